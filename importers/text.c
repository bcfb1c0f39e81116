/* text.c - field text to UTF-8: UTF-8 is validated in place (no copy beyond the NUL), GBK and
 * GB18030 go through iconv (glibc's tables), then the same validation. */
#include "importers/text.h"
#include "index/utf8.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct text_conv {
    enum text_encoding from;
    iconv_t cd; /* (iconv_t)-1 for UTF-8 */
    char *buf;
    size_t cap;
};

static const char *const names[] = {"utf-8", "gbk", "gb18030"};

enum geod_err text_encoding_parse(const char *name, enum text_encoding *out)
{
    if (!strcasecmp(name, "utf-8") || !strcasecmp(name, "utf8"))
        *out = TEXT_UTF8;
    else if (!strcasecmp(name, "gbk") || !strcasecmp(name, "cp936"))
        *out = TEXT_GBK;
    else if (!strcasecmp(name, "gb18030"))
        *out = TEXT_GB18030;
    else
        return GEOD_EINVAL;
    return GEOD_OK;
}

const char *text_encoding_name(enum text_encoding e)
{
    return e <= TEXT_GB18030 ? names[e] : "unknown";
}

void text_detect(const char *data, size_t len, enum text_encoding *out, bool *known)
{
    *out = TEXT_UTF8;
    *known = (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) || utf8_valid(data, len);
}

enum geod_err text_conv_new(enum text_encoding from, struct text_conv **out)
{
    struct text_conv *c = calloc(1, sizeof *c);
    if (!c)
        return GEOD_ENOMEM;
    c->from = from;
    c->cd = (iconv_t)-1;
    if (from != TEXT_UTF8) {
        c->cd = iconv_open("UTF-8", from == TEXT_GBK ? "GBK" : "GB18030");
        if (c->cd == (iconv_t)-1) {
            free(c);
            return GEOD_EINVAL; /* glibc without gconv modules */
        }
    }
    *out = c;
    return GEOD_OK;
}

void text_conv_free(struct text_conv *c)
{
    if (!c)
        return;
    if (c->cd != (iconv_t)-1)
        iconv_close(c->cd);
    free(c->buf);
    free(c);
}

static bool reserve(struct text_conv *c, size_t n)
{
    if (n <= c->cap)
        return true;
    size_t cap = c->cap ? c->cap : 256;
    while (cap < n)
        cap *= 2;
    char *b = realloc(c->buf, cap);
    if (!b)
        return false;
    c->buf = b;
    c->cap = cap;
    return true;
}

/* Valid UTF-8 without NUL or control characters other than tab. */
static const char *check_text(const char *s, size_t n)
{
    if (!utf8_valid(s, n))
        return "not valid UTF-8";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return "a control character";
        /* C1 controls U+0080..U+009F are C2 80..C2 9F */
        if (ch == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] < 0xA0)
            return "a control character";
    }
    return NULL;
}

enum geod_err text_to_utf8(struct text_conv *c, const char *field, size_t len, const char **out,
                           size_t *out_len, const char **why)
{
    *why = NULL;
    if (c->from == TEXT_UTF8) {
        if (!reserve(c, len + 1))
            return GEOD_ENOMEM;
        memcpy(c->buf, field, len);
    } else {
        /* GB18030 needs at most 4 bytes per character, UTF-8 at most 4 per code point, and no
         * character is shorter in GB than 1 byte: 4 * len + 1 always suffices */
        if (!reserve(c, 4 * len + 1))
            return GEOD_ENOMEM;
        char *in = (char *)field, *o = c->buf;
        size_t inleft = len, outleft = c->cap - 1;
        iconv(c->cd, NULL, NULL, NULL, NULL);
        if (iconv(c->cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
            *why = c->from == TEXT_GBK ? "not valid GBK" : "not valid GB18030";
            return GEOD_EINVAL;
        }
        len = (size_t)(o - c->buf);
    }
    c->buf[len] = '\0';
    if ((*why = check_text(c->buf, len)))
        return GEOD_EINVAL;
    *out = c->buf;
    *out_len = len;
    return GEOD_OK;
}

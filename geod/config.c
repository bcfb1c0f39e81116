/* config.c - the `key = value` file format of geod serve --config (config.h): a line splitter
 * and a reader, nothing about what the keys mean. */
#include "geod/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* s[0..n) without blanks at either end, NUL-terminated in place; *n updated. */
static char *trim(char *s, size_t *n)
{
    while (*n && blank(*s)) {
        s++;
        (*n)--;
    }
    while (*n && blank(s[*n - 1]))
        (*n)--;
    s[*n] = '\0';
    return s;
}

bool config_parse(char *text, size_t len, config_item_fn fn, void *ctx, unsigned *line, char *err,
                  size_t errlen)
{
    *line = 0;
    if (len && memchr(text, '\0', len)) {
        /* the line of the first NUL */
        const char *z = memchr(text, '\0', len);
        unsigned n = 1;
        for (const char *p = text; p < z; p++)
            n += *p == '\n';
        *line = n;
        snprintf(err, errlen, "a NUL byte");
        return false;
    }
    text[len] = '\0';
    char *p = text, *end = text + len;
    unsigned n = 0;
    while (p < end) {
        n++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        size_t l = (size_t)(stop - p);
        if (l && p[l - 1] == '\r')
            l--;
        *line = n;
        if (l > CONFIG_LINE_MAX) {
            snprintf(err, errlen, "a line longer than %d bytes", CONFIG_LINE_MAX);
            return false;
        }
        for (size_t i = 0; i < l; i++)
            if ((unsigned char)p[i] < 0x20 && p[i] != '\t') {
                snprintf(err, errlen, "a control character (byte 0x%02x)", (unsigned char)p[i]);
                return false;
            }
        char *s = trim(p, &l);
        if (l == 0 || s[0] == '#') {
            p = stop + (nl ? 1 : 0);
            continue;
        }
        char *eq = memchr(s, '=', l);
        if (!eq) {
            snprintf(err, errlen, "\"%.64s\" is not key = value", s);
            return false;
        }
        size_t kl = (size_t)(eq - s), vl = l - kl - 1;
        char *key = trim(s, &kl), *value = trim(eq + 1, &vl);
        bool ok_key = kl > 0 && kl <= CONFIG_KEY_MAX;
        for (size_t i = 0; ok_key && i < kl; i++)
            ok_key = key_char(key[i]);
        if (!ok_key) {
            snprintf(err, errlen, "\"%.64s\" is not a key (letters, digits and '-')", key);
            return false;
        }
        if (vl == 0) {
            snprintf(err, errlen, "%s has no value", key);
            return false;
        }
        struct config_item it = {key, value, n};
        if (!fn(ctx, &it, err, errlen))
            return false;
        p = stop + (nl ? 1 : 0);
    }
    return true;
}

bool config_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return false;
    }
    char *buf = malloc(CONFIG_FILE_MAX + 2);
    errno = 0;
    size_t n = buf ? fread(buf, 1, CONFIG_FILE_MAX + 1, f) : 0;
    int e = errno;
    bool bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s", !buf ? "out of memory" : e ? strerror(e) : "cannot be read");
        free(buf);
        return false;
    }
    if (n > CONFIG_FILE_MAX) {
        snprintf(err, errlen, "larger than %d bytes", CONFIG_FILE_MAX);
        free(buf);
        return false;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return true;
}

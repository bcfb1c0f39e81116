/* query.c - query string parsing and value readers (see query.h). No allocation, no I/O.
 *
 * Why len + 1 bytes of buf always suffice: decoding only shrinks ("%XX" is 3 bytes in and 1 out,
 * everything else 1 for 1). A segment of s bytes with an '=' drops the '=' and so holds at most
 * s - 1 bytes of name and value, s + 1 with a NUL after each; one without an '=' holds at most s
 * bytes of name, s + 1 with its NUL, and its empty value points at that NUL. The k non-empty
 * segments and at least k - 1 '&' between them fit in len bytes, so the total is at most
 * len - (k - 1) + k = len + 1. */
#include "api/query.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index/utf8.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define NUM_MAX_LEN 64  /* bytes accepted by query_double() */
#define UINT_MAX_LEN 20 /* digits accepted by query_uint(): UINT64_MAX has 20 */

/* Room for the decoded name behind fail->param. Each byte of it becomes at most one byte of
 * param ('?' replaces a bad byte or a whole control character), and at least every second byte
 * produces one, so param is full long before a sequence cut at the end of this room shows up. */
#define FAIL_NAME_MAX (4 * sizeof(((struct query_fail *)0)->param))

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Percent-decode the `n` raw bytes at `src` into at most `cap` bytes at `dst` (stopping early
 * when full), setting `*dst_len` (OUT). A '%' without two hex digits after it makes this return
 * false when `strict`; otherwise it is kept as a literal '%' (for echoing a bad name back). */
static bool decode(const char *src, size_t n, char *dst, size_t cap, size_t *dst_len, bool strict)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hex_value((unsigned char)src[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value((unsigned char)src[i + 2]) : -1;
            if (lo >= 0) {
                c = (unsigned char)(hi << 4 | lo);
                i += 2;
            } else if (strict) {
                return false;
            }
        }
        dst[o++] = (char)c;
    }
    *dst_len = o;
    return true;
}

/* Copy the `len` decoded bytes at `s` into `dst` (`cap` bytes) so that they are safe to echo:
 * each invalid byte and each control character (C0, DEL, C1) becomes '?', and the copy stops at
 * the last whole character that fits before the NUL. */
static void safe_copy(char *dst, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        bool bad = n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
        size_t out_n = bad ? 1 : n;
        if (o + out_n > cap - 1)
            break;
        if (bad)
            dst[o] = '?';
        else
            memcpy(dst + o, s + i, n);
        o += out_n;
        i += n ? n : 1;
    }
    dst[o] = '\0';
}

/* Fill `*fail` for a refusal caused by the parameter whose raw (undecoded) name is the `raw_len`
 * bytes at `raw_name`, and return GEOD_EINVAL. */
static enum geod_err refuse(struct query_fail *fail, const char *code, const char *message,
                            const char *raw_name, size_t raw_len)
{
    char name[FAIL_NAME_MAX];
    size_t name_len = 0;
    if (raw_len)
        decode(raw_name, raw_len, name, sizeof name, &name_len, false);
    fail->code = code;
    fail->message = message;
    safe_copy(fail->param, sizeof fail->param, name, name_len);
    return GEOD_EINVAL;
}

/* Decode the `n` raw bytes at `src` to `*w` (advanced past the result and its NUL), storing the
 * start and length in `*str` and `*str_len` (OUT), and check the result; the raw name is for
 * `*fail` only. */
static enum geod_err decode_field(const char *src, size_t n, char **w, const char **str,
                                  size_t *str_len, const char *raw_name, size_t raw_name_len,
                                  struct query_fail *fail)
{
    char *dst = *w;
    size_t len;
    if (!decode(src, n, dst, n, &len, true))
        return refuse(fail, "invalid_encoding",
                      "A '%' in the query string is not followed by two hexadecimal digits.",
                      raw_name, raw_name_len);
    if (memchr(dst, '\0', len))
        return refuse(fail, "nul_byte", "A query parameter contains a NUL character.", raw_name,
                      raw_name_len);
    if (!utf8_valid(dst, len))
        return refuse(fail, "invalid_utf8", "A query parameter is not valid UTF-8.", raw_name,
                      raw_name_len);
    dst[len] = '\0';
    *str = dst;
    *str_len = len;
    *w = dst + len + 1;
    return GEOD_OK;
}

/* Parse the non-empty segment [seg, end) into the next entry of `out`, decoding to `*w`. The
 * checks run left to right: the name (encoding, NUL, UTF-8, empty, duplicate), then the value. */
static enum geod_err parse_segment(const char *seg, const char *end, char **w, struct query *out,
                                   struct query_fail *fail)
{
    const char *eq = memchr(seg, '=', (size_t)(end - seg));
    size_t raw_len = (size_t)((eq ? eq : end) - seg);
    if (out->n == QUERY_MAX_PARAMS)
        return refuse(fail, "too_many_parameters",
                      "The query string has more than " STR(QUERY_MAX_PARAMS) " parameters.", seg,
                      raw_len);
    struct query_param *p = &out->p[out->n];
    enum geod_err rc = decode_field(seg, raw_len, w, &p->name, &p->name_len, seg, raw_len, fail);
    if (rc)
        return rc;
    if (p->name_len == 0)
        return refuse(fail, "invalid_name", "A query parameter has an empty name.", NULL, 0);
    for (size_t i = 0; i < out->n; i++)
        if (out->p[i].name_len == p->name_len && !memcmp(out->p[i].name, p->name, p->name_len))
            return refuse(fail, "duplicate_parameter", "A query parameter is given more than once.",
                          seg, raw_len);
    if (eq) {
        rc = decode_field(eq + 1, (size_t)(end - eq - 1), w, &p->value, &p->value_len, seg, raw_len,
                          fail);
        if (rc)
            return rc;
    } else {
        p->value = p->name + p->name_len; /* its NUL */
        p->value_len = 0;
    }
    out->n++;
    return GEOD_OK;
}

enum geod_err query_parse(const char *qs, size_t len, char *buf, size_t buf_cap, struct query *out,
                          struct query_fail *fail)
{
    out->n = 0;
    if (len > QUERY_MAX_LEN)
        return refuse(fail, "query_too_long",
                      "The query string is longer than " STR(QUERY_MAX_LEN) " bytes.", NULL, 0);
    if (buf_cap < len + 1)
        return GEOD_ERANGE;
    if (len == 0)
        return GEOD_OK;
    char *w = buf;
    const char *end = qs + len;
    for (const char *seg = qs;;) {
        const char *amp = memchr(seg, '&', (size_t)(end - seg));
        const char *seg_end = amp ? amp : end;
        if (seg_end > seg) {
            enum geod_err rc = parse_segment(seg, seg_end, &w, out, fail);
            if (rc)
                return rc;
        }
        if (!amp)
            return GEOD_OK;
        seg = amp + 1;
    }
}

const struct query_param *query_get(const struct query *q, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < q->n; i++)
        if (q->p[i].name_len == n && !memcmp(q->p[i].name, name, n))
            return &q->p[i];
    return NULL;
}

/* Powers of ten that are doubles exactly (5^22 < 2^53). */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

enum geod_err query_double(const char *s, size_t len, double *out)
{
    if (len == 0 || len > NUM_MAX_LEN)
        return GEOD_EINVAL;
    /* The grammar is checked here, so strtod's own extras (hex, "inf", "nan", leading space)
     * never get a say; strtod only does the correctly rounded conversion. On the way the digits
     * are gathered into m and the power of ten into scale, for the exact fast path below. */
    size_t i = 0, digits = 0;
    uint64_t m = 0;    /* the digits as an integer, while they fit (fits) */
    bool fits = true;  /* m holds every digit */
    long scale = 0;    /* the value is m * 10^scale */
    bool neg = s[0] == '-';
    if (s[i] == '+' || s[i] == '-')
        i++;
    for (; i < len && is_digit(s[i]); i++, digits++) {
        fits = fits && m <= (UINT64_MAX - 9) / 10;
        m = m * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit(s[i]); i++, digits++, scale--) {
            fits = fits && m <= (UINT64_MAX - 9) / 10;
            m = m * 10 + (uint64_t)(s[i] - '0');
        }
    }
    if (digits == 0)
        return GEOD_EINVAL;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = i < len && s[i] == '-';
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp_digits = 0;
        long x = 0;
        for (; i < len && is_digit(s[i]); i++, exp_digits++)
            if (x < 100000)
                x = x * 10 + (s[i] - '0');
        if (exp_digits == 0)
            return GEOD_EINVAL;
        scale += eneg ? -x : x;
    }
    if (i != len)
        return GEOD_EINVAL;
    /* Clinger's fast path: m and 10^|scale| are both doubles exactly, so one multiplication or
     * division, rounded to nearest by IEEE, is the correctly rounded value strtod gives (and
     * "-0" stays -0). tests/test_query.c checks it against strtod on millions of numbers. */
    if (fits && m <= (1ull << 53) && scale >= -22 && scale <= 22) {
        double v = scale >= 0 ? (double)m * pow10_exact[scale] : (double)m / pow10_exact[-scale];
        *out = neg ? -v : v;
        return GEOD_OK;
    }
    char tmp[NUM_MAX_LEN + 1];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    /* strtod reads the decimal point of LC_NUMERIC, which need not be '.': convert in the C
     * locale. glibc hands back its built-in C locale object here without allocating, so this
     * cannot fail in practice; api/ may abort on out-of-memory anyway. */
    locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_locale)
        abort();
    char *e;
    double v = strtod_l(tmp, &e, c_locale);
    freelocale(c_locale);
    if (e != tmp + len || !isfinite(v))
        return GEOD_EINVAL;
    *out = v;
    return GEOD_OK;
}

enum geod_err query_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > UINT_MAX_LEN)
        return GEOD_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return GEOD_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return GEOD_ERANGE; /* above UINT64_MAX, so above any max */
        v = v * 10 + d;
    }
    if (v > max)
        return GEOD_ERANGE;
    *out = v;
    return GEOD_OK;
}

bool query_next_item(const char **cur, const char *end, const char **item, size_t *item_len)
{
    const char *p = *cur;
    if (!p) { /* the empty item after a trailing comma */
        *item = end;
        *item_len = 0;
        *cur = end;
        return true;
    }
    if (p == end)
        return false;
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *item_end = comma ? comma : end;
    *item = p;
    *item_len = (size_t)(item_end - p);
    if (!comma)
        *cur = end;
    else if (comma + 1 == end)
        *cur = NULL;
    else
        *cur = comma + 1;
    return true;
}

/* similar.c - the duplicate guard's name similarity (see similar.h). */
#include "index/similar.h"
#include "index/utf8.h"

#include <stdint.h>
#include <string.h>

static bool dropped(uint32_t c)
{
    if (c <= 0x7f)
        return c <= ' ' || (c < '0') || (c > '9' && c < 'A') || (c > 'Z' && c < 'a') || c > 'z';
    static const uint32_t punct[] = {0x3000, 0x3001, 0x3002, 0xff0c, 0x00b7, 0xff08, 0xff09,
                                     0x300a, 0x300b, 0x201c, 0x201d, 0x2018, 0x2019, 0x3010,
                                     0x3011, 0x2014, 0x2026};
    for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++)
        if (c == punct[i])
            return true;
    return false;
}

/* The normalized code points of s into out[0..return). */
static size_t normalize(const char *s, uint32_t out[SIMILAR_MAX_CP])
{
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len && n < SIMILAR_MAX_CP;) {
        uint32_t c;
        size_t k = utf8_decode(s + i, len - i, &c);
        if (!k) { /* not UTF-8: compare bytes */
            c = (unsigned char)s[i];
            k = 1;
        }
        i += k;
        if (c >= 0xff01 && c <= 0xff5e)
            c -= 0xfee0;
        if (dropped(c))
            continue;
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        out[n++] = c;
    }
    return n;
}

static bool contains(const uint32_t *h, size_t hn, const uint32_t *n, size_t nn)
{
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, n, nn * sizeof *n) == 0)
            return true;
    return false;
}

/* Levenshtein distance, or limit + 1 once it must exceed limit. */
static size_t distance(const uint32_t *a, size_t an, const uint32_t *b, size_t bn, size_t limit)
{
    if ((an > bn ? an - bn : bn - an) > limit)
        return limit + 1;
    size_t row[SIMILAR_MAX_CP + 1];
    for (size_t j = 0; j <= bn; j++)
        row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t diag = row[0], best = i;
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
    }
    return row[bn];
}

bool names_similar(const char *a, const char *b)
{
    uint32_t x[SIMILAR_MAX_CP], y[SIMILAR_MAX_CP];
    size_t xn = normalize(a, x), yn = normalize(b, y);
    if (!xn || !yn)
        return false;
    if (xn > yn) { /* x the shorter */
        uint32_t t[SIMILAR_MAX_CP];
        memcpy(t, x, xn * sizeof *x);
        memcpy(x, y, yn * sizeof *y);
        memcpy(y, t, xn * sizeof *t);
        size_t tn = xn;
        xn = yn;
        yn = tn;
    }
    if (xn == yn && memcmp(x, y, xn * sizeof *x) == 0)
        return true;
    if (xn >= 2 && contains(y, yn, x, xn))
        return true;
    size_t limit = xn >= 6 ? 2 : xn >= 3 ? 1 : 0;
    return limit && distance(x, xn, y, yn, limit) <= limit;
}

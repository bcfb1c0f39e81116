/* cursor.c - next_cursor encoding.
 *
 * Format: 21 bytes, little-endian, then base64url without padding (28 characters):
 *   [0]      version, 1
 *   [1..8]   query fingerprint (FNV-1a 64 of the query's defining values)
 *   [9..16]  after_m, IEEE-754 binary64
 *   [17..20] after_id */
#include "api/cursor.h"

#include <math.h>
#include <string.h>

#define CURSOR_VERSION 1
#define CURSOR_BYTES 21

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

uint64_t cursor_fingerprint(double lon, double lat, double radius_m, uint64_t cat_mask)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, &lon, sizeof lon);
    h = fnv(h, &lat, sizeof lat);
    h = fnv(h, &radius_m, sizeof radius_m);
    return fnv(h, &cat_mask, sizeof cat_mask);
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void cursor_encode(const struct cursor *c, char out[CURSOR_LEN + 1])
{
    unsigned char b[CURSOR_BYTES];
    uint64_t bits;
    memcpy(&bits, &c->after_m, sizeof bits);
    b[0] = CURSOR_VERSION;
    put_le(b + 1, c->query, 8);
    put_le(b + 9, bits, 8);
    put_le(b + 17, c->after_id, 4);
    for (int i = 0, o = 0; i < CURSOR_BYTES; i += 3, o += 4) { /* 21 = 7 groups of 3 */
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        out[o] = b64[v >> 18];
        out[o + 1] = b64[(v >> 12) & 63];
        out[o + 2] = b64[(v >> 6) & 63];
        out[o + 3] = b64[v & 63];
    }
    out[CURSOR_LEN] = '\0';
}

static int b64_value(char ch)
{
    const char *p = ch ? memchr(b64, ch, 64) : NULL;
    return p ? (int)(p - b64) : -1;
}

enum geod_err cursor_decode(const char *s, size_t len, struct cursor *out)
{
    if (len != CURSOR_LEN)
        return GEOD_EINVAL;
    unsigned char b[CURSOR_BYTES];
    for (int i = 0, o = 0; i < CURSOR_LEN; i += 4, o += 3) {
        uint32_t v = 0;
        for (int j = 0; j < 4; j++) {
            int d = b64_value(s[i + j]);
            if (d < 0)
                return GEOD_EINVAL;
            v = v << 6 | (uint32_t)d;
        }
        b[o] = (unsigned char)(v >> 16);
        b[o + 1] = (unsigned char)(v >> 8);
        b[o + 2] = (unsigned char)v;
    }
    if (b[0] != CURSOR_VERSION)
        return GEOD_EINVAL;
    uint64_t bits = get_le(b + 9, 8);
    double after;
    memcpy(&after, &bits, sizeof after);
    if (!isfinite(after) || after < 0)
        return GEOD_EINVAL;
    out->query = get_le(b + 1, 8);
    out->after_m = after;
    out->after_id = (uint32_t)get_le(b + 17, 4);
    return GEOD_OK;
}

/* utf8.h - strict UTF-8 (RFC 3629): validate a byte string and decode one code point at a time.
 * Pure functions over caller bytes; no allocation, no I/O, no normalization. */
#ifndef GEOD_UTF8_H
#define GEOD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_MAX_SEQ 4 /* bytes in the longest sequence (U+10000..U+10FFFF) */

/* Whether the `len` bytes at `s` are well-formed UTF-8: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no stray continuation bytes, no sequence cut off by
 * the end. A NUL byte is valid UTF-8 (U+0000); callers that must not see one check separately. */
bool utf8_valid(const char *s, size_t len);

/* Decode the code point starting at `s`, reading at most `len` bytes, into `*cp` (OUT, untouched
 * on failure). Returns the bytes consumed (1..4), or 0 if `len` is 0 or the bytes do not start a
 * well-formed sequence under the same rules as utf8_valid(). */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* The length (1..4) of the well-formed sequence starting at s[0..n), or 0 when there is none
 * (n >= 1). Inline, for loops over text on hot paths (the response encoder). The rules are those
 * of the table in utf8.c: restricting the second byte rules out overlongs, surrogates and code
 * points above U+10FFFF. */
static inline size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    size_t k;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        lo = c == 0xE0 ? 0xA0 : lo;
        hi = c == 0xED ? 0x9F : hi;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        lo = c == 0xF0 ? 0x90 : lo;
        hi = c == 0xF4 ? 0x8F : hi;
    } else {
        return 0;
    }
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return k;
}

#endif

/* utf8.c - strict UTF-8 validation and decoding (see utf8.h).
 *
 * The well-formed sequences, from RFC 3629 section 4 (Unicode table 3-7); restricting the second
 * byte is what rules out overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points
 * above U+10FFFF (F4 90..BF), so no decoded value needs a range check afterwards:
 *
 *     00..7F
 *     C2..DF  80..BF
 *     E0      A0..BF  80..BF
 *     E1..EC  80..BF  80..BF
 *     ED      80..9F  80..BF
 *     EE..EF  80..BF  80..BF
 *     F0      90..BF  80..BF  80..BF
 *     F1..F3  80..BF  80..BF  80..BF
 *     F4      80..8F  80..BF  80..BF
 *
 * C0, C1 and F5..FF never appear; 80..BF never lead. */
#include "index/utf8.h"

size_t utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    if (len == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = utf8_seq(u, len);
    if (n == 0)
        return 0;
    static const unsigned char lead_bits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t v = u[0] & lead_bits[n];
    for (size_t i = 1; i < n; i++)
        v = v << 6 | (u[i] & 0x3F);
    *cp = v;
    return n;
}

bool utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* ASCII runs are the common case in query strings: skip them without decoding */
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

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

#endif

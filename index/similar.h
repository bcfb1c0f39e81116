/* similar.h - whether two facility names are "similar" for the write API's duplicate guard.
 * Both names are normalized first: whitespace (ASCII and U+3000) and punctuation (ASCII
 * punctuation, fullwidth forms of it, 、。，·（）《》“”‘’【】) dropped, fullwidth ASCII
 * (U+FF01..U+FF5E) mapped to ASCII, ASCII letters lowercased. Then a and b are similar when
 *   - they are equal, or
 *   - the shorter (at least 2 code points) is contained in the longer, or
 *   - their edit distance (Levenshtein over code points) is at most 1 and the shorter has at
 *     least 3 code points, or at most 2 and the shorter has at least 6.
 * Names that normalize to nothing are similar to nothing. No I/O. */
#ifndef GEOD_SIMILAR_H
#define GEOD_SIMILAR_H

#include <stdbool.h>

#define SIMILAR_MAX_CP 256 /* code points compared; longer names are cut there */

bool names_similar(const char *a, const char *b);

#endif

/* credit_code.h - the unified social credit code (统一社会信用代码, GB 32100-2015) that names every
 * Chinese legal entity: its structure and its check character. No I/O, no allocation.
 *
 * Layout, 18 characters of the set 0-9 A-H J-N P-R T-U W-Y (31 of them: no I O Z S V):
 *   1      registration authority (9 market regulation, 5 civil affairs, 1 public sector, ...)
 *   2      type of entity under that authority (91: an enterprise, 92: an individual business)
 *   3-8    the GB/T 2260 region code of the registering authority (420102: 江岸区)
 *   9-17   the entity's identifier (its former organization code, GB 11714)
 *   18     check character: C = (31 - sum(v(c_i) * w_i) mod 31) mod 31 over the first 17, where
 *          v is the position in the set above and w_i = 3^(i-1) mod 31 (1 3 9 27 19 26 16 17 20 29
 *          25 13 8 24 10 30 28). 31 is prime and no weight is 0, so any single wrong character
 *          changes the sum: every single substitution is caught. */
#ifndef GEOD_CREDIT_CODE_H
#define GEOD_CREDIT_CODE_H

#include <stdbool.h>

#define CREDIT_CODE_LEN 18

/* Is s (NUL-terminated; NULL is not) a well-formed code: exactly 18 characters of the set, an
 * authority/type pair of GB 32100's table (with its amendments: A military, N rural collectives),
 * six digits of a province's region code (or 100000, national), and the right check character?
 * Lower case is refused: codes are written in capitals. */
bool credit_code_valid(const char *s);

/* The check character for the 17 characters at body (not necessarily NUL-terminated), or '\0'
 * when one of them is outside the set. */
char credit_code_check(const char *body);

#endif

/* gen.h - random test data for the store and snapshot tests (tests/test_store*.c,
 * tests/test_snapshot.c): a seeded splitmix64 stream, texts glued from fragments of UTF-8 that
 * break naive code (quotes, SQL and JSON metacharacters, 2- to 4-byte sequences), the seeded
 * categories, random facilities as a store is handed them, and the comparisons that check they
 * came back unchanged. Deterministic for a given seed; nothing here uses tests/t.h. */
#ifndef GEOD_TEST_GEN_H
#define GEOD_TEST_GEN_H

#include "data/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- randomness ---- */

struct gen_rng {
    uint64_t s; /* the seed, then splitmix64's state */
};
uint64_t gen_u64(struct gen_rng *g);
double gen_unit(struct gen_rng *g);            /* [0, 1), 53 bits */
size_t gen_below(struct gen_rng *g, size_t n); /* [0, n), n > 0 */

/* ---- texts ---- */

/* A set of fragments a text is glued from. */
struct gen_frags {
    const char *const *v;
    size_t n;
};
/* Quotes, backslashes, SQL and JSON metacharacters, control characters, 2-, 3- and 4-byte
 * UTF-8, "NULL" and "null": what a store must keep byte for byte. */
extern const struct gen_frags gen_frags_hostile;
/* Plainer: Chinese words, quotes, an emoji, a 4-byte CJK character, the sample-data marker. */
extern const struct gen_frags gen_frags_names;

#define GEN_TEXT_MAX 1024 /* a text stops before the fragment that would make it this long */

/* min..max fragments of f (each drawn at random), malloc'ed. */
char *gen_text(struct gen_rng *g, const struct gen_frags *f, size_t min, size_t max);
/* One draw u in [0, 1): NULL (unknown) when u < null_below, "" (known to be empty) when
 * u < empty_below, else gen_text(g, f, min, max). */
char *gen_opt(struct gen_rng *g, const struct gen_frags *f, double null_below, double empty_below,
              size_t min, size_t max);

/* ---- categories and facilities ---- */

#define GEN_NCAT 9
/* The categories data/schema.c seeds, in their idx order: ids and Chinese names. */
extern const char *const gen_cat_id[GEN_NCAT];
extern const char *const gen_cat_zh[GEN_NCAT];

/* A facility as the test wrote it (all strings malloc'ed, NULL for unknown). */
struct gen_fac {
    const char *category; /* one of gen_cat_id */
    char *name, *address, *phone, *hours, *division_code, *source, *source_key;
    double lon, lat; /* in the Wuhan box, every bit of the double in use or rounded to 1e-7 */
};

/* The i-th random facility: hostile texts (a 200..300-fragment name when i % 500 == 7),
 * optional fields NULL or "" at times, a division code most of the time, a source_key unique per
 * i, and now and then the position of prev (may be NULL). */
void gen_facility(struct gen_rng *g, struct gen_fac *r, size_t i, const struct gen_fac *prev);
void gen_facility_free(struct gen_fac *r);
/* r as store_insert_facility takes it (borrowing r's strings). */
struct store_facility gen_store_facility(const struct gen_fac *r);

/* ---- comparing what came back ---- */

bool gen_same_bits(double a, double b);          /* the same 64 bits */
bool gen_same_str(const char *a, const char *b); /* both NULL, or the same bytes */
const char *gen_show(const char *s);             /* s, or "(null)" for printing */

#endif

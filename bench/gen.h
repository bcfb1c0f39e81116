/* gen.h - deterministic benchmark data: city-like clustered (or uniform) points around Wuhan with
 * skewed categories, and query positions that every engine replays. Not a test oracle and not
 * part of the library; it only feeds bench/.
 *
 * Determinism. One seed gives the same doubles on every machine: the generator is xoshiro256**
 * seeded through splitmix64 (no libc rand) and uses libm only for Box-Muller (log, sqrt, cos)
 * and the cluster sizes (pow). glibc does not promise correct rounding for those, so the
 * guarantee is "same seed, same Debian libm -> same bytes"; gen_hash() gives a fingerprint so a
 * report says which data it measured. Points are drawn one after another from one stream, so the
 * first m points of an n-point set (m < n) are the m-point set: smaller runs measure a prefix. */
#ifndef GEOD_BENCH_GEN_H
#define GEOD_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

/* The box every point lies in (WGS-84 degrees); uniform queries are drawn from it as well. */
#define GEN_LON_MIN 113.7
#define GEN_LON_MAX 115.1
#define GEN_LAT_MIN 29.97
#define GEN_LAT_MAX 31.37
#define GEN_CATEGORIES 9 /* categories 0..8 */

struct gen_rng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
};

enum gen_mode {
    GEN_CLUSTERED, /* ~300 Gaussian clusters with Zipf weights, 10 % uniform background */
    GEN_UNIFORM,   /* uniform over the box */
};

struct gen_point {
    double lon, lat; /* WGS-84 degrees, inside the box */
    uint32_t id;     /* 1..n in generation order */
    uint8_t cat;     /* 0: 40 %, 1: 2 %, 2: 0.1 %, 3..8: the remaining 57.9 % evenly */
};

struct gen_query {
    double lon, lat; /* WGS-84 degrees; a near-data query may lie up to a few km outside the box */
};

/* Seeds r for one of several independent streams of the same seed. */
void gen_rng_seed(struct gen_rng *r, uint64_t seed, uint64_t stream);
uint64_t gen_rng_next(struct gen_rng *r);
double gen_rng_unit(struct gen_rng *r);  /* uniform in [0, 1), 53 bits */
double gen_rng_gauss(struct gen_rng *r); /* standard normal (Box-Muller, one of the pair) */

/* "clustered" or "uniform" into *out; returns 0, or -1 for an unknown name. */
int gen_mode_parse(const char *name, enum gen_mode *out);
const char *gen_mode_name(enum gen_mode mode);

/* out[0..n) = the n points of (mode, seed). */
void gen_points(enum gen_mode mode, uint64_t seed, struct gen_point *out, size_t n);

/* out[0..q) = q query positions over pts[0..n): 70 % a random point moved by a Gaussian of
 * 300 m per axis, 30 % uniform over the box. Uses its own stream of seed. */
void gen_queries(const struct gen_point *pts, size_t n, uint64_t seed, struct gen_query *out,
                 size_t q);

/* rtree_query.coords over pts = a gen_points array (cdata): point id is pts[id - 1]. */
void gen_coords(const void *pts, uint32_t id, double *lon, double *lat);

/* FNV-1a over the points' coordinate bits and categories, independent of byte order. */
uint64_t gen_hash(const struct gen_point *pts, size_t n);

#endif

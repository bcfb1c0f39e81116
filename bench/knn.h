/* knn.h - the engines geod is compared with: exact nearest-K by a scan of every point (brute
 * force, or chord-pruned: the benchmark's oracle) and by SQLite's R*Tree module with expanding
 * boxes. All rank by geo_inverse distance, ties by id, and answer with ids in that order. They
 * share nothing with index/rtree.c but geo_inverse, so they can check it. */
#ifndef GEOD_BENCH_KNN_H
#define GEOD_BENCH_KNN_H

#include "bench/gen.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KNN_MAX_K 1000

/* The k best (distance, id) pairs so far: a max-heap, the worst at d[0]. */
struct knn_best {
    size_t k, n; /* capacity (<= KNN_MAX_K) and pairs held */
    double d[KNN_MAX_K];
    uint32_t id[KNN_MAX_K];
};

/* ECEF metres of a point on the WGS-84 surface (the bench's own, not index/geodesic.c's). */
void knn_ecef(double lon, double lat, double out[3]);

/* A scan over pts[0..m): geo_inverse to every point when xyz is NULL (brute force); otherwise
 * only to the points whose chord, a lower bound on the geodesic, could still enter the k best.
 * The pruned scan gives the same answers a thousand times faster and is the oracle. */
struct knn_scan {
    const struct gen_point *pts; /* [m] */
    const double (*xyz)[3];      /* [m] ECEF of pts, or NULL */
    size_t m;
    struct knn_best best; /* working memory; best.k is the K */
};

void knn_scan_nearest(struct knn_scan *s, double lon, double lat, uint32_t *ids, size_t *n);

/* SQLite's R*Tree has no nearest-K, so the standard way: the ids in a box around the query,
 * doubling its half-size until the box holds k points and the k-th exact distance is below a
 * lower bound on the distance to anything outside it. The first size is a percentile of the
 * sizes the answers before needed (adaptive, one rule for every query; needed, not reached,
 * or a start too large could never learn better). Ranking takes geo_inverse to every id of the
 * last box, or with xyz, only to those whose chord (taken in increasing order) could still
 * enter the k best. */
#define KNN_SQ_LEVELS 40 /* half-size of level j: 10 m * 2^j */

struct knn_cand {
    double c2; /* squared chord to the query, metres^2 (ranking with xyz only) */
    uint32_t id;
};

struct knn_sqlite {
    sqlite3_stmt *box;           /* ids in a box: ?1 lon max, ?2 lon min, ?3 lat max, ?4 lat min */
    const struct gen_point *pts; /* [n] exact coordinates by id - 1 (R*Tree keeps floats) */
    const double (*xyz)[3];      /* [n] ECEF by id - 1, or NULL */
    unsigned start_pct;          /* the first box: this percentile of the needed levels so far */
    struct knn_best best;        /* working memory; best.k is the K */
    struct knn_cand *cand;       /* [cap] the ids of the current box */
    size_t cap;
    uint64_t hist[KNN_SQ_LEVELS];          /* queries so far by the level they needed */
    uint64_t rounds, candidates, inverses; /* box queries, ids they returned, geo_inverse calls */
};

/* An in-memory database holding only the R*Tree `pts(id, minx, maxx, miny, maxy)` over
 * pts[0..n), ids pts[i].id, inserted in one transaction; *bytes_pt = its pages / n. 0 or -1
 * (message on stderr). */
int knn_sqlite_build(const struct gen_point *pts, size_t n, sqlite3 **db, double *bytes_pt);

/* A searcher over db's R*Tree; pts (and xyz, may be NULL) are borrowed. 0 or -1. */
int knn_sqlite_new(sqlite3 *db, const struct gen_point *pts, const double (*xyz)[3], size_t k,
                   unsigned start_pct, struct knn_sqlite **out);
void knn_sqlite_free(struct knn_sqlite *s);
void knn_sqlite_nearest(struct knn_sqlite *s, double lon, double lat, uint32_t *ids, size_t *n);

#endif

/* peers_inproc.c - see peers_inproc.h. */
#include "bench/peers_inproc.h"
#include "bench/knn.h"
#include "index/rtree.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double timer_ns(void)
{
    double d[1001];
    for (int i = 0; i < 1001; i++) {
        double a = now(), b = now();
        d[i] = (b - a) * 1e9;
    }
    qsort(d, 1001, sizeof *d, report_cmp_double);
    return d[500];
}

/* p50 of single timed queries for `seconds` (at most NQ), less the timer; *qps over the loop. */
static double time_queries(const struct gen_query *q, size_t nq, int engine, struct rtree *t,
                           const struct gen_point *pts, struct knn_sqlite *sq, uint64_t mask,
                           double seconds, double tns, double *qps)
{
    double *lat = malloc(nq * sizeof *lat);
    struct rtree_scratch *s;
    rtree_scratch_new(&s);
    struct rtree_hit hits[10];
    uint32_t ids[10];
    size_t n = 0, m;
    double t0 = now(), end = t0 + seconds;
    for (; n < nq; n++) {
        double a = now();
        if (engine == 0) {
            struct rtree_query rq = {.lon = q[n].lon,
                                     .lat = q[n].lat,
                                     .k = 10,
                                     .max_m = INFINITY,
                                     .cat_mask = mask,
                                     .coords = gen_coords,
                                     .cdata = pts};
            rtree_nearest(t, &rq, s, hits, &m);
        } else {
            knn_sqlite_nearest(sq, q[n].lon, q[n].lat, ids, &m);
        }
        double b = now();
        lat[n] = (b - a) * 1e9 - tns;
        if (b > end)
            break;
    }
    n = n < nq ? n + 1 : nq;
    *qps = (double)n / (now() - t0);
    rtree_scratch_free(s);
    qsort(lat, n, sizeof *lat, report_cmp_double);
    double p50 = lat[n / 2] / 1000;
    free(lat);
    return p50;
}

bool inproc_run(const struct gen_point *pts, size_t n, const struct gen_query *q, size_t nq,
                double seconds, int runs, struct inproc *ip)
{
    struct rtree_item *it = malloc(n * sizeof *it);
    for (size_t i = 0; i < n; i++)
        it[i] = (struct rtree_item){pts[i].lon, pts[i].lat, pts[i].id, pts[i].cat};
    struct rtree *t;
    double t0 = now();
    if (rtree_build(it, n, &t))
        return false;
    ip->build_s = now() - t0;
    ip->bytes_pt = (double)rtree_bytes(t) / (double)n;
    free(it);
    /* exact answers: the chord-pruned scan (bench_index checks it against brute force) */
    double(*xyz)[3] = malloc(n * sizeof *xyz);
    for (size_t i = 0; i < n; i++)
        knn_ecef(pts[i].lon, pts[i].lat, xyz[i]);
    struct gen_point *rare = malloc(n * sizeof *rare);
    double(*rxyz)[3] = malloc(n * sizeof *rxyz);
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        if (pts[i].cat == 1) {
            rare[nr] = pts[i];
            memcpy(rxyz[nr++], xyz[i], sizeof xyz[i]);
        }
    sqlite3 *db = NULL;
    struct knn_sqlite *sq = NULL;
    t0 = now();
    double sq_bytes = 0;
    bool have_sq = knn_sqlite_build(pts, n, &db, &sq_bytes) == 0 &&
                   knn_sqlite_new(db, pts, NULL, 10, 25, &sq) == 0;
    ip->sq_build_s = now() - t0;
    ip->sq_bytes_pt = sq_bytes;
    struct knn_scan all = {.pts = pts, .xyz = (const double(*)[3])xyz, .m = n, .best.k = 10},
                    cat = {.pts = rare, .xyz = (const double(*)[3])rxyz, .m = nr, .best.k = 10};
    struct rtree_scratch *s;
    rtree_scratch_new(&s);
    size_t same[3] = {0};
    for (size_t i = 0; i < 100; i++) {
        uint32_t want[10], got[10];
        size_t wn, gn;
        struct rtree_hit hits[10];
        for (int e = 0; e < 3; e++) {
            knn_scan_nearest(e == 1 ? &cat : &all, q[i].lon, q[i].lat, want, &wn);
            if (e < 2) {
                struct rtree_query rq = {.lon = q[i].lon,
                                         .lat = q[i].lat,
                                         .k = 10,
                                         .max_m = INFINITY,
                                         .cat_mask = e ? 2 : ~0ull,
                                         .coords = gen_coords,
                                         .cdata = pts};
                rtree_nearest(t, &rq, s, hits, &gn);
                for (size_t j = 0; j < gn; j++)
                    got[j] = hits[j].id;
            } else if (have_sq) {
                knn_sqlite_nearest(sq, q[i].lon, q[i].lat, got, &gn);
            } else {
                gn = 0;
            }
            same[e] += wn == gn && !memcmp(want, got, wn * sizeof *want);
        }
    }
    rtree_scratch_free(s);
    for (int e = 0; e < 3; e++)
        ip->same_pct[e] = (double)same[e];
    double tns = timer_ns(), secs = seconds;
    for (int run = 0; run < runs; run++) {
        ip->p50[0][run] = time_queries(q, nq, 0, t, pts, NULL, ~0ull, secs, tns, &ip->qps[0][run]);
        ip->p50[1][run] = time_queries(q, nq, 0, t, pts, NULL, 2, secs, tns, &ip->qps[1][run]);
        if (have_sq)
            ip->p50[2][run] =
                time_queries(q, nq, 1, NULL, NULL, sq, 0, secs, tns, &ip->qps[2][run]);
    }
    ip->have_sqlite = have_sq;
    knn_sqlite_free(sq);
    sqlite3_close(db);
    rtree_free(t);
    free(xyz);
    free(rare);
    free(rxyz);
    return true;
}

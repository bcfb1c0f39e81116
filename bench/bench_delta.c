/* bench_delta.c - the in-process cost of publishing facility changes as deltas
 * (index/snapshot_delta.c) and of reading through them (index/snapshot_query.c): on a snapshot
 * of --n clustered points (gen.c), the time of one snapshot_derive as the delta grows from 0 to
 * --delta changes (half moves of existing facilities, a quarter new ones, a quarter deletions),
 * against one full rebuild (snapshot_compact), both in this thread's CPU time (the machine may
 * be shared); then nearest-10 (all categories, and the 2 % category; wall time per query) over
 * the full snapshot and over the one with the whole delta. Speed is never
 * asserted; the answers of the two are compared (they must be equal: exit 1 otherwise). */
#include "bench/gen.h"
#include "index/snapshot.h"
#include "index/snapshot_query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const cat_id[GEN_CATEGORIES] = {
    "elderly_care",     "marriage_registry", "relief_station",  "shelter",           "hospital",
    "community_center", "street_office",     "elderly_daycare", "welfare_enterprise"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* This thread's CPU seconds: what building costs, whatever else the machine runs meanwhile. */
static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, dbl_cmp);
    return v[n / 2];
}

static struct facility_in in_of(const struct gen_point *p, uint32_t id, char name[32])
{
    snprintf(name, 32, "设施%u", id);
    return (struct facility_in){.id = id,
                                .version = 1,
                                .category = cat_id[p->cat],
                                .lon = p->lon,
                                .lat = p->lat,
                                .name = name,
                                .source = "bench"};
}

/* p50 µs of nearest-k (mask) over s for q[0..nq); the answers' ids into ids[nq * k]. */
static double nearest_p50(const struct snapshot *s, const struct gen_query *q, size_t nq,
                          uint32_t k, uint64_t mask, uint32_t *ids)
{
    struct snapshot_scratch *sc;
    struct snapshot_hit hits[16];
    double *t = malloc(nq * sizeof *t);
    if (snapshot_scratch_new(&sc) || !t)
        exit(1);
    for (size_t i = 0; i < nq; i++) {
        struct rtree_query rq = {
            .lon = q[i].lon, .lat = q[i].lat, .k = k, .max_m = INFINITY, .cat_mask = mask};
        size_t n;
        double a = now();
        if (snapshot_nearest(s, &rq, sc, hits, &n))
            exit(1);
        t[i] = (now() - a) * 1e6;
        for (size_t j = 0; j < k; j++)
            ids[i * k + j] = j < n ? hits[j].f->id : 0;
    }
    double p = median(t, nq);
    free(t);
    snapshot_scratch_free(sc);
    return p;
}

int main(int argc, char **argv)
{
    size_t n = 1000000, delta = 1000, nq = 200000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--delta") && i + 1 < argc)
            delta = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            nq = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_delta [--n N (1000000)] [--delta D (1000)] "
                            "[--queries Q (200000)]\n");
            return 1;
        }
    }
    struct gen_point *p = malloc((n + delta) * sizeof *p);
    struct gen_query *q = malloc(nq * sizeof *q);
    uint32_t *ids[2] = {malloc(nq * 10 * sizeof(uint32_t)), malloc(nq * 10 * sizeof(uint32_t))};
    if (!p || !q || !ids[0] || !ids[1] || n < delta)
        return 1;
    gen_points(GEN_CLUSTERED, 1, p, n + delta);
    gen_queries(p, n, 2, q, nq);
    struct snapshot_builder *b;
    char name[32];
    if (snapshot_builder_new(&b))
        return 1;
    for (int c = 0; c < GEN_CATEGORIES; c++)
        snapshot_builder_category(b, cat_id[c], cat_id[c]);
    for (size_t i = 0; i < n; i++) {
        struct facility_in in = in_of(&p[i], (uint32_t)i + 1, name);
        if (snapshot_builder_add(b, &in))
            return 1;
    }
    struct snapshot *full, *s;
    double t0 = cpu();
    if (snapshot_builder_finish(b, 1, &full))
        return 1;
    double build_s = cpu() - t0;
    /* the delta: change i moves facility 1 + 7i, creates n + 1 + i, or deletes 3 + 11i */
    double *tw = malloc(delta * sizeof *tw);
    s = snapshot_ref(full);
    for (size_t i = 0; i < delta; i++) {
        struct snapshot *next;
        struct facility_in in;
        uint32_t drop = 0;
        const struct facility_in *put = &in;
        if (i % 4 < 2) {
            uint32_t id = (uint32_t)(1 + 7 * i % n);
            in = in_of(&p[id - 1], id, name);
            in.lon += 1e-4;
            in.version = 2;
        } else if (i % 4 == 2) {
            in = in_of(&p[n + i], (uint32_t)(n + 1 + i), name);
        } else {
            drop = (uint32_t)(3 + 11 * i % n);
            put = NULL;
        }
        double a = cpu();
        if (snapshot_derive(s, put, drop, 2 + i, &next))
            return 1;
        tw[i] = (cpu() - a) * 1e3;
        snapshot_free(s);
        s = next;
    }
    double w_first = tw[0], w_last = tw[delta - 1];
    double w_p50 = median(tw, delta);
    t0 = cpu();
    double w0 = now();
    struct snapshot *compacted;
    if (snapshot_compact(s, &compacted))
        return 1;
    double compact_s = cpu() - t0, compact_wall = now() - w0;
    uint64_t all = ~0ull, rare = 1ull << 1;
    double q_full = nearest_p50(compacted, q, nq, 10, all, ids[0]);
    double q_delta = nearest_p50(s, q, nq, 10, all, ids[1]);
    bool same = !memcmp(ids[0], ids[1], nq * 10 * sizeof(uint32_t));
    double r_full = nearest_p50(compacted, q, nq, 10, rare, ids[0]);
    double r_delta = nearest_p50(s, q, nq, 10, rare, ids[1]);
    same = same && !memcmp(ids[0], ids[1], nq * 10 * sizeof(uint32_t));
    printf("| %zu | %zu | %.0f | %.3f | %.3f | %.3f | %.2f (%.2f wall) | %.2f | %.2f | %.2f | %.2f "
           "| %s |\n",
           n, snapshot_delta_len(s), build_s * 1e3, w_first, w_p50, w_last, compact_s, compact_wall,
           q_full, q_delta, r_full, r_delta, same ? "same" : "DIFFER");
    snapshot_free(compacted);
    snapshot_free(s);
    snapshot_free(full);
    free(tw);
    free(p);
    free(q);
    free(ids[0]);
    free(ids[1]);
    return same ? 0 : 1;
}

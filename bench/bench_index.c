/* bench_index.c - `make bench`: exact nearest-K over one generated data set, in one process, for
 * geod's R-tree, SQLite's R*Tree module, a chord-pruned scan (the oracle) and a plain brute-force
 * scan. Prints a markdown table of build time, bytes per point, per-query latency, throughput and
 * recall against the oracle. Speed is measured and reported, never asserted: the exit status is
 * 2 only when an engine's answers differ from the oracle's (1 on errors). bench/README.md says
 * what each number means. */
#include "bench/gen.h"
#include "bench/knn.h"
#include "index/geodesic.h"
#include "index/rtree.h"

#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 1000 /* extra queries after the measured ones, only to warm engines up */

struct opts {
    uint64_t points, queries, seed, k, check, brute_queries, sq_pct;
    double geod_s, sqlite_s, brute_s;
    enum gen_mode mode;
};

/* The options, redis-style: one row each (name, kind, bounds), defaults in main(). */
static const struct opt_row {
    const char *name;
    size_t off; /* into struct opts */
    char kind;  /* 'u' uint64_t, 'f' double, 'm' mode */
    double lo, hi;
    const char *help;
} opt_rows[] = {
    {"--points", offsetof(struct opts, points), 'u', 1, 4e9, "data points (1000000)"},
    {"--queries", offsetof(struct opts, queries), 'u', 1, 1e8,
     "queries for geod and SQLite (200000)"},
    {"--seed", offsetof(struct opts, seed), 'u', 0, 1.8e19, "generator seed (1)"},
    {"--k", offsetof(struct opts, k), 'u', 1, KNN_MAX_K, "neighbours per query (10)"},
    {"--mode", offsetof(struct opts, mode), 'm', 0, 0, "clustered (default) | uniform"},
    {"--check", offsetof(struct opts, check), 'u', 1, 1e6,
     "queries checked against the oracle (1000)"},
    {"--brute-queries", offsetof(struct opts, brute_queries), 'u', 1, 1e6,
     "brute-force queries at most (200)"},
    {"--sqlite-start", offsetof(struct opts, sq_pct), 'u', 0, 100,
     "first SQLite box: percentile of needed sizes (25)"},
    {"--geod-seconds", offsetof(struct opts, geod_s), 'f', 0.1, 1e4,
     "time budget of each geod row (30)"},
    {"--sqlite-seconds", offsetof(struct opts, sqlite_s), 'f', 0.1, 1e4,
     "time budget of each SQLite row (10)"},
    {"--brute-seconds", offsetof(struct opts, brute_s), 'f', 0.1, 1e4,
     "time budget of brute force (15)"},
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const struct opt_row *r = NULL;
        for (size_t j = 0; j < sizeof opt_rows / sizeof *opt_rows; j++)
            if (!strcmp(argv[i], opt_rows[j].name))
                r = &opt_rows[j];
        if (!r || i + 1 >= argc) {
            bool help = !strcmp(argv[i], "--help");
            FILE *f = help ? stdout : stderr;
            fprintf(f, "usage: bench_index [option value]...\n");
            for (size_t j = 0; j < sizeof opt_rows / sizeof *opt_rows; j++)
                fprintf(f, "  %-16s %s\n", opt_rows[j].name, opt_rows[j].help);
            return help ? 1 : -1;
        }
        const char *v = argv[++i];
        void *dst = (char *)o + r->off;
        char *end;
        double x = strtod(v, &end);
        if (r->kind == 'm') {
            if (gen_mode_parse(v, dst) == 0)
                continue;
        } else if (*v && !*end && x >= r->lo && x <= r->hi && (r->kind == 'f' || x == floor(x))) {
            if (r->kind == 'u')
                *(uint64_t *)dst = strtoull(v, NULL, 10);
            else
                *(double *)dst = x;
            continue;
        }
        fprintf(stderr, "bench_index: bad value for %s: %s\n", r->name, v);
        return -1;
    }
    return 0;
}

/* Integer nanoseconds, so that differences are exact whatever the uptime. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median cost of one back-to-back pair of clock reads, subtracted from every latency. */
static double timer_overhead_ns(void)
{
    enum { N = 100001 };
    static double d[N];
    for (int i = 0; i < N; i++) {
        uint64_t t0 = now_ns();
        d[i] = (double)(now_ns() - t0);
    }
    qsort(d, N, sizeof *d, cmp_double);
    return d[N / 2];
}

/* One row of the table: an engine, how long it may run, and what it measured. */
struct engine {
    const char *name;
    void (*nearest)(void *ctx, const struct gen_query *q, uint32_t *ids, size_t *n);
    void *ctx;
    size_t warm;         /* untimed queries first */
    size_t max_q, min_q; /* runs max_q queries, or stops after budget_s once min_q are done */
    double budget_s;
    const struct engine *oracle; /* checks it; NULL: it is an oracle */
    double build_s, bytes_pt;    /* build_s < 0: nothing to build */
    size_t ran, checked;
    double p50, p99, mean, qps; /* nanoseconds; queries per second of the timed loop */
    double recall;              /* matching (position, id) pairs / the oracle's, checked queries */
    bool exact;                 /* every checked answer equals the oracle's */
    uint32_t *res;              /* [check * k] ids of the first checked answers */
    size_t *nres;               /* [check] their counts */
};

struct run {
    const struct gen_query *qs; /* [queries + WARMUP]: the last WARMUP only warm up */
    size_t queries, check, k;
    double overhead_ns;
};

static int measure(struct engine *e, const struct run *r)
{
    uint32_t ids[KNN_MAX_K];
    size_t n;
    double *lat = malloc(e->max_q * sizeof *lat);
    e->res = malloc(r->check * r->k * sizeof *e->res);
    e->nres = malloc(r->check * sizeof *e->nres);
    if (!lat || !e->res || !e->nres)
        return -1;
    for (size_t i = 0; i < e->warm && i < WARMUP; i++)
        e->nearest(e->ctx, &r->qs[r->queries + i], ids, &n);
    uint64_t start = now_ns(), t1 = start;
    for (e->ran = 0; e->ran < e->max_q; e->ran++) {
        size_t i = e->ran;
        if (i >= e->min_q && t1 - start > e->budget_s * 1e9)
            break;
        uint64_t t0 = now_ns();
        e->nearest(e->ctx, &r->qs[i], ids, &n);
        t1 = now_ns();
        lat[i] = fmax(0.0, (double)(t1 - t0) - r->overhead_ns);
        if (i < r->check) {
            memcpy(&e->res[i * r->k], ids, n * sizeof *ids);
            e->nres[i] = n;
        }
    }
    e->checked = e->ran < r->check ? e->ran : r->check;
    e->qps = e->ran / ((t1 - start) / 1e9);
    e->mean = 0.0;
    for (size_t i = 0; i < e->ran; i++)
        e->mean += lat[i] / e->ran;
    qsort(lat, e->ran, sizeof *lat, cmp_double);
    e->p50 = lat[(size_t)(0.50 * (e->ran - 1) + 0.5)];
    e->p99 = lat[(size_t)(0.99 * (e->ran - 1) + 0.5)];
    free(lat);
    fprintf(stderr, "  %-36s %7zu queries  p50 %10.2f us\n", e->name, e->ran, e->p50 / 1e3);
    return 0;
}

/* Recall against e->oracle on the queries both answered: the same ids in the same order. */
static void compare(struct engine *e, size_t k)
{
    size_t match = 0, expected = 0;
    e->exact = true;
    for (size_t i = 0; i < e->checked; i++) {
        const uint32_t *a = &e->res[i * k], *b = &e->oracle->res[i * k];
        size_t na = e->nres[i], nb = e->oracle->nres[i];
        expected += nb;
        for (size_t j = 0; j < na && j < nb; j++)
            match += a[j] == b[j];
        if (na != nb || memcmp(a, b, na * sizeof *a))
            e->exact = false;
    }
    e->recall = expected ? (double)match / expected : 1.0;
}

static void scan_q(void *ctx, const struct gen_query *q, uint32_t *ids, size_t *n)
{
    knn_scan_nearest(ctx, q->lon, q->lat, ids, n);
}

static void sqlite_q(void *ctx, const struct gen_query *q, uint32_t *ids, size_t *n)
{
    knn_sqlite_nearest(ctx, q->lon, q->lat, ids, n);
}

struct geod_ctx {
    const struct rtree *t;
    const struct gen_point *pts; /* the exact coordinates the tree asks for (gen_coords) */
    struct rtree_scratch *s;
    struct rtree_hit hits[KNN_MAX_K];
    uint32_t k;
    uint64_t mask;
};

static void geod_q(void *ctx, const struct gen_query *q, uint32_t *ids, size_t *n)
{
    struct geod_ctx *g = ctx;
    struct rtree_query rq = {
        .lon = q->lon,
        .lat = q->lat,
        .k = g->k,
        .max_m = INFINITY,
        .cat_mask = g->mask,
        .coords = gen_coords,
        .cdata = g->pts,
    };
    if (rtree_nearest(g->t, &rq, g->s, g->hits, n) != GEOD_OK)
        *n = 0; /* shows as a recall failure */
    for (size_t i = 0; i < *n; i++)
        ids[i] = g->hits[i].id;
}

/* pts[] with a category in mask, and their ECEF, into s as new arrays. */
static int filter(const struct gen_point *pts, const double (*xyz)[3], size_t n, uint64_t mask,
                  struct knn_scan *s)
{
    struct gen_point *p = malloc((n ? n : 1) * sizeof *p);
    double(*x)[3] = malloc((n ? n : 1) * sizeof *x);
    if (!p || !x) {
        free(p);
        free(x);
        return -1;
    }
    s->m = 0;
    for (size_t i = 0; i < n; i++)
        if (mask >> pts[i].cat & 1) {
            p[s->m] = pts[i];
            memcpy(x[s->m++], xyz[i], sizeof *x);
        }
    s->pts = p;
    s->xyz = (const double(*)[3])x;
    return 0;
}

static void cpu_model(char *buf, size_t len)
{
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(buf, len, "unknown CPU");
    while (f && fgets(line, sizeof line, f)) {
        char *v = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && v) {
            v += strspn(v + 1, " \t") + 1;
            v[strcspn(v, "\n")] = '\0';
            snprintf(buf, len, "%s", v);
            break;
        }
    }
    if (f)
        fclose(f);
}

/* v with as many decimals as its size deserves, into buf[16]. */
static const char *num(char *buf, double v)
{
    snprintf(buf, 16, v < 10 ? "%.2f" : v < 1000 ? "%.1f" : "%.0f", v);
    return buf;
}

#ifndef GEOD_VERSION
#define GEOD_VERSION "unknown"
#endif

enum { R_GEOD, R_GEOD_2, R_GEOD_01, R_SQ, R_SQ_CHORD, R_SCAN, R_BRUTE, N_ROWS };

static void print_sqlite_note(const struct engine *e, const struct knn_sqlite *s, double inv_ns)
{
    double q = (double)(e->ran + e->warm); /* the counters include the warm-up queries */
    double inv_us = s->inverses / q * inv_ns / 1e3;
    printf("- %s: per query %.2f box queries returning %.1f ids, %.1f geo_inverse calls; at "
           "%.0f ns each (measured on 400 m lines) those are %.1f µs, %.0f %% of its mean.\n",
           e->name, s->rounds / q, s->candidates / q, s->inverses / q, inv_ns, inv_us,
           100.0 * inv_us / (e->mean / 1e3));
}

static void print_report(const struct opts *o, const struct run *r, const struct engine *rows,
                         struct knn_sqlite *const *sq, double inv_ns, uint64_t hash)
{
    char date[64], cpu[128], b[6][16];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    cpu_model(cpu, sizeof cpu);
    printf("# geod nearest-%zu benchmark\n\n", r->k);
    printf("- date: %s\n- machine: %s, %ld cores online\n", date, cpu,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("- build: geod %s, SQLite %s, gcc %s -O2 -march=x86-64-v2\n", GEOD_VERSION,
           sqlite3_libversion(), __VERSION__);
    printf("- data: %llu %s points, seed %llu (fingerprint %016llx); queries 70 %% near the data, "
           "30 %% uniform; k = %zu\n",
           (unsigned long long)o->points, gen_mode_name(o->mode), (unsigned long long)o->seed,
           (unsigned long long)hash, r->k);
    printf("- latency per query, less %.0f ns of timer overhead; q/s over the whole timed loop\n\n",
           r->overhead_ns);
    printf("| engine | queries | build s | bytes/pt | p50 µs | p99 µs | mean µs | q/s | recall "
           "| vs geod (p50) |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < N_ROWS; i++) {
        const struct engine *e = &rows[i];
        char build[16], recall[48];
        if (e->build_s < 0)
            snprintf(build, sizeof build, "-");
        else
            snprintf(build, sizeof build, "%.3f", e->build_s);
        if (!e->oracle)
            snprintf(recall, sizeof recall, "oracle");
        else
            snprintf(recall, sizeof recall, "%s%.2f %% (%zu q)", e->exact ? "" : "**MISMATCH** ",
                     100.0 * e->recall, e->checked);
        printf("| %s | %zu | %s | %.1f | %s | %s | %s | %s | %s | %.1f× |\n", e->name, e->ran,
               build, e->bytes_pt, num(b[0], e->p50 / 1e3), num(b[1], e->p99 / 1e3),
               num(b[2], e->mean / 1e3), num(b[3], e->qps), recall, e->p50 / rows[R_GEOD].p50);
    }
    double p50 = rows[R_GEOD].p50 / 1e3, ratio = rows[R_SQ].p50 / rows[R_GEOD].p50;
    printf("\ngeod nearest-%zu p50 %.2f µs (target < 2 µs): %s %.0f %%; geod vs SQLite R*Tree p50 "
           "ratio %.1f× (target ≥ 20×): %s (with the chord prefilter: %.1f×)\n\n",
           r->k, p50, p50 < 2.0 ? "met, under by" : "missed by", fabs(p50 / 2.0 - 1.0) * 100.0,
           ratio, ratio >= 20.0 ? "met" : "missed", rows[R_SQ_CHORD].p50 / rows[R_GEOD].p50);
    print_sqlite_note(&rows[R_SQ], sq[0], inv_ns);
    print_sqlite_note(&rows[R_SQ_CHORD], sq[1], inv_ns);
    printf("- bytes/pt: geod rtree_bytes / n (the exact lon/lat it asks for by id, 16 B/pt, are "
           "the caller's point records, not counted); SQLite the in-memory database's pages / n "
           "(its exact lon/lat, 16 B/pt, and the prefilter's ECEF, 24 B/pt, live in C arrays, not "
           "counted); scan lon/lat + ECEF; brute force lon/lat.\n");
    printf("- recall: the same ids in the same order as the oracle (a chord-pruned scan ranking by "
           "geo_inverse, ties by id, over the same category) on the first queries both answered; "
           "the brute-force row checks the oracle itself.\n");
}

int main(int argc, char **argv)
{
    struct opts o = {.points = 1000000,
                     .queries = 200000,
                     .seed = 1,
                     .k = 10,
                     .check = 1000,
                     .brute_queries = 200,
                     .sq_pct = 25,
                     .geod_s = 30,
                     .sqlite_s = 10,
                     .brute_s = 15,
                     .mode = GEN_CLUSTERED};
    int parsed = parse_opts(argc, argv, &o);
    if (parsed)
        return parsed > 0 ? 0 : 1; /* --help, or a bad option */
    size_t n = o.points, nq = o.queries;
    struct gen_point *pts = malloc(n * sizeof *pts);
    struct gen_query *qs = malloc((nq + WARMUP) * sizeof *qs);
    struct rtree_item *items = malloc(n * sizeof *items);
    double(*xyz)[3] = malloc(n * sizeof *xyz);
    if (!pts || !qs || !items || !xyz) {
        fprintf(stderr, "bench_index: out of memory\n");
        return 1;
    }
    fprintf(stderr, "bench_index: %zu %s points, seed %llu\n", n, gen_mode_name(o.mode),
            (unsigned long long)o.seed);
    gen_points(o.mode, o.seed, pts, n);
    gen_queries(pts, n, o.seed, qs, nq + WARMUP);
    struct run r = {.qs = qs,
                    .queries = nq,
                    .check = o.check < nq ? o.check : nq,
                    .k = o.k,
                    .overhead_ns = timer_overhead_ns()};
    struct engine rows[N_ROWS] = {0}, oracle[3] = {0};
    static struct knn_scan scans[4];         /* the oracles over all, cat 1, cat 2; brute force */
    static struct geod_ctx geod[3];          /* all, cat 1, cat 2 */
    struct knn_sqlite *sq[2] = {NULL, NULL}; /* geo_inverse ranking, chord prefilter */
    const uint64_t masks[3] = {~0ull, 1u << 1, 1u << 2};
    const char *geod_names[3] = {"geod", "geod, 2 % category", "geod, 0.1 % category"};
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < n; i++)
        knn_ecef(pts[i].lon, pts[i].lat, xyz[i]);
    double ecef_s = (now_ns() - t0) / 1e9;

    for (int m = 0; m < 3; m++) {
        struct engine *e = m == 0 ? &rows[R_SCAN] : &oracle[m];
        scans[m].best.k = o.k;
        if (m == 0) {
            scans[0].pts = pts, scans[0].xyz = (const double(*)[3])xyz, scans[0].m = n;
        } else if (filter(pts, (const double(*)[3])xyz, n, masks[m], &scans[m])) {
            return 1;
        }
        *e = (struct engine){.name = "scan + chord bound (oracle)",
                             .nearest = scan_q,
                             .ctx = &scans[m],
                             .warm = 1,
                             .max_q = r.check,
                             .min_q = r.check,
                             .build_s = ecef_s,
                             .bytes_pt = 40.0};
        if (measure(e, &r))
            return 1;
    }
    oracle[0] = rows[R_SCAN];

    for (size_t i = 0; i < n; i++)
        items[i] = (struct rtree_item){pts[i].lon, pts[i].lat, pts[i].id, pts[i].cat};
    struct rtree *t;
    t0 = now_ns();
    enum geod_err rc = rtree_build(items, n, &t);
    double geod_build_s = (now_ns() - t0) / 1e9;
    if (rc) {
        fprintf(stderr, "bench_index: rtree_build: %s\n", geod_strerror(rc));
        return 1;
    }
    for (int m = 0; m < 3; m++) {
        geod[m] = (struct geod_ctx){.t = t, .pts = pts, .k = (uint32_t)o.k, .mask = masks[m]};
        if (rtree_scratch_new(&geod[m].s))
            return 1;
        rows[R_GEOD + m] = (struct engine){.name = geod_names[m],
                                           .nearest = geod_q,
                                           .ctx = &geod[m],
                                           .warm = WARMUP,
                                           .max_q = nq,
                                           .min_q = nq < 2000 ? nq : 2000,
                                           .budget_s = o.geod_s,
                                           .oracle = &oracle[m],
                                           .build_s = geod_build_s,
                                           .bytes_pt = (double)rtree_bytes(t) / n};
        if (measure(&rows[R_GEOD + m], &r))
            return 1;
    }

    sqlite3 *db = NULL;
    double sq_bytes = 0.0;
    t0 = now_ns();
    if (knn_sqlite_build(pts, n, &db, &sq_bytes))
        return 1;
    double sq_build_s = (now_ns() - t0) / 1e9;
    for (int v = 0; v < 2; v++) {
        if (knn_sqlite_new(db, pts, v ? (const double(*)[3])xyz : NULL, o.k, (unsigned)o.sq_pct,
                           &sq[v]))
            return 1;
        rows[R_SQ + v] =
            (struct engine){.name = v ? "SQLite R*Tree + chord prefilter" : "SQLite R*Tree",
                            .nearest = sqlite_q,
                            .ctx = sq[v],
                            .warm = 100,
                            .max_q = nq,
                            .min_q = nq < 2000 ? nq : 2000,
                            .budget_s = o.sqlite_s,
                            .oracle = &oracle[0],
                            .build_s = sq_build_s,
                            .bytes_pt = sq_bytes};
        if (measure(&rows[R_SQ + v], &r))
            return 1;
    }

    scans[3] = (struct knn_scan){.pts = pts, .m = n, .best.k = o.k};
    size_t bq = o.brute_queries < nq ? o.brute_queries : nq;
    rows[R_BRUTE] = (struct engine){.name = "brute force (geo_inverse to all)",
                                    .nearest = scan_q,
                                    .ctx = &scans[3],
                                    .warm = 1,
                                    .max_q = bq,
                                    .min_q = bq < 10 ? bq : 10,
                                    .budget_s = o.brute_s,
                                    .oracle = &oracle[0],
                                    .build_s = -1,
                                    .bytes_pt = 16.0};
    if (measure(&rows[R_BRUTE], &r))
        return 1;

    enum { N_INV = 200000 }; /* the cost of one geo_inverse on lines of ~400 m, for the notes */
    volatile double sink = 0.0;
    t0 = now_ns();
    for (size_t i = 0; i < N_INV; i++)
        sink += geo_inverse(pts[i % n].lon, pts[i % n].lat, pts[i % n].lon + 0.003,
                            pts[i % n].lat + 0.002, NULL);
    double inv_ns = (now_ns() - t0) / N_INV;

    int status = 0;
    for (int i = 0; i < N_ROWS; i++)
        if (rows[i].oracle) {
            compare(&rows[i], r.k);
            status |= rows[i].exact ? 0 : 2;
        }
    print_report(&o, &r, rows, sq, inv_ns, gen_hash(pts, n));

    for (int m = 0; m < 3; m++)
        rtree_scratch_free(geod[m].s);
    rtree_free(t);
    knn_sqlite_free(sq[0]);
    knn_sqlite_free(sq[1]);
    sqlite3_close(db);
    for (int m = 1; m < 3; m++) {
        free((void *)scans[m].pts);
        free((void *)scans[m].xyz);
    }
    for (int i = 0; i < N_ROWS; i++)
        free(rows[i].res), free(rows[i].nres);
    for (int m = 1; m < 3; m++)
        free(oracle[m].res), free(oracle[m].nres);
    free(pts), free(qs), free(items), free(xyz);
    return status;
}

/* bench_bbox.c - GET /v1/bbox's engine (index/cluster.h) in process: the build cost and memory
 * of the per-snapshot cluster index, then the whole city at zoom 10 (all categories, three, one
 * rare) and random 1280 x 800 px viewports at zooms 10..16, timed one query at a time, with
 * and without writing the answer's clusters through the JSON encoder. Data from bench/gen.c
 * (clustered). Prints a markdown report; asserts no speed. Exit 1 only on errors or when the
 * clusters' counts do not add up to the points (a sanity check, not the oracle: the tests have
 * that). */
#include "api/enc.h"
#include "bench/gen.h"
#include "index/cluster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

struct sink {
    uint64_t clusters, points;
    struct enc *enc; /* NULL: count only */
};

/* A cluster as the API writes it (the same keys and number formats). */
static bool consume(void *udata, const struct cluster *c)
{
    struct sink *s = udata;
    s->clusters++;
    s->points += c->count;
    if (!s->enc)
        return true;
    struct enc *e = s->enc;
    char id[48];
    snprintf(id, sizeof id, "%d/%u/%u", c->zoom, c->x, c->y);
    enc_map(e, 8);
    enc_key(e, "id");
    enc_cstr(e, id);
    enc_key(e, "cluster");
    enc_bool(e, true);
    enc_key(e, "count");
    enc_uint(e, c->count);
    enc_key(e, "counts");
    enc_map(e, c->nparts);
    for (uint32_t i = 0; i < c->nparts; i++) {
        enc_key(e, "elderly_daycare");
        enc_uint(e, c->parts[i].count);
    }
    enc_end(e);
    enc_key(e, "lon");
    enc_double(e, c->lon, 7);
    enc_key(e, "lat");
    enc_double(e, c->lat, 7);
    enc_key(e, "bbox");
    enc_array(e, 4);
    for (int i = 0; i < 4; i++)
        enc_double(e, c->box[0][i], 7);
    enc_end(e);
    enc_key(e, "expansion_zoom");
    enc_uint(e, (uint64_t)c->expansion_zoom);
    enc_end(e);
    return true;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stats {
    double p50, p99, mean; /* microseconds */
    double clusters;       /* per query */
};

/* Times q queries over boxes[q][4] at zooms[q]; with_json: encode every cluster too. */
static int run(const struct cluster_index *ci, struct cluster_scratch *s, double (*boxes)[4],
               const int *zooms, size_t q, uint64_t mask, bool with_json, struct stats *st)
{
    double *t = malloc(q * sizeof *t);
    struct sink sink = {0};
    if (!t || (with_json && enc_new(ENC_JSON, &sink.enc)))
        return -1;
    for (size_t i = 0; i < q; i++) {
        double t0 = now();
        if (sink.enc) {
            enc_reset(sink.enc, ENC_JSON);
            enc_array(sink.enc, 1u << 30); /* never closed: only the bytes' cost matters */
        }
        if (cluster_query(ci, boxes[i], zooms[i], mask, s, consume, &sink))
            return -1;
        t[i] = (now() - t0) * 1e6;
    }
    double sum = 0;
    for (size_t i = 0; i < q; i++)
        sum += t[i];
    qsort(t, q, sizeof *t, dcmp);
    *st = (struct stats){t[q / 2], t[q * 99 / 100], sum / q, (double)sink.clusters / q};
    free(t);
    enc_free(sink.enc);
    return 0;
}

static int bench_size(size_t n, uint64_t seed, size_t q)
{
    struct gen_point *gp = malloc(n * sizeof *gp);
    struct rtree_item *it = malloc(n * sizeof *it);
    struct gen_query *gq = malloc(q * sizeof *gq);
    double(*boxes)[4] = malloc(q * sizeof *boxes);
    int *zooms = malloc(q * sizeof *zooms);
    if (!gp || !it || !gq || !boxes || !zooms)
        return 1;
    gen_points(GEN_CLUSTERED, seed, gp, n);
    gen_queries(gp, n, seed, gq, q);
    for (size_t i = 0; i < n; i++)
        it[i] = (struct rtree_item){gp[i].lon, gp[i].lat, gp[i].id, gp[i].cat};
    struct cluster_index *ci;
    struct cluster_scratch *s;
    double t0 = now();
    if (cluster_build(it, n, &ci) || cluster_scratch_new(&s))
        return 1;
    double build = now() - t0;
    printf("\n### %zu points\n\nbuild %.3f s, %.0f bytes/point (%.1f MB)\n\n", n, build,
           (double)cluster_bytes(ci) / n, cluster_bytes(ci) / 1e6);
    printf("| query | zoom | clusters/query | p50 µs | p99 µs | mean µs | p50 µs with JSON |\n");
    printf("|---|---|---|---|---|---|---|\n");
    const double city[4] = {GEN_LON_MIN, GEN_LAT_MIN, GEN_LON_MAX, GEN_LAT_MAX};
    static const struct {
        const char *name;
        uint64_t mask;
    } masks[] = {{"whole city, all categories", ~0ull},
                 {"whole city, 3 categories", 0x38},
                 {"whole city, rare category (0.1 %)", 0x4}};
    size_t reps = q < 2000 ? q : 2000;
    for (size_t i = 0; i < reps; i++) {
        memcpy(boxes[i], city, sizeof city);
        zooms[i] = 10;
    }
    int bad = 0;
    for (size_t m = 0; m < 3; m++) {
        struct stats a, b;
        if (run(ci, s, boxes, zooms, reps, masks[m].mask, false, &a) ||
            run(ci, s, boxes, zooms, reps, masks[m].mask, true, &b))
            return 1;
        printf("| %s | 10 | %.0f | %.1f | %.1f | %.1f | %.1f |\n", masks[m].name, a.clusters,
               a.p50, a.p99, a.mean, b.p50);
    }
    struct sink all = {0};
    cluster_query(ci, city, 10, ~0ull, s, consume, &all);
    bad |= all.points != n; /* every generated point lies in the city box */
    for (int z = 10; z <= CLUSTER_MAX_ZOOM; z++) {
        double w = 1280.0 / (256.0 * ldexp(1.0, z)) * 360.0;
        for (size_t i = 0; i < q; i++) {
            double h = w * 800.0 / 1280.0 * cos(gq[i].lat * M_PI / 180.0);
            boxes[i][0] = gq[i].lon - w / 2, boxes[i][2] = gq[i].lon + w / 2;
            boxes[i][1] = gq[i].lat - h / 2, boxes[i][3] = gq[i].lat + h / 2;
            zooms[i] = z;
        }
        struct stats a, b;
        if (run(ci, s, boxes, zooms, q, ~0ull, false, &a) ||
            run(ci, s, boxes, zooms, q, ~0ull, true, &b))
            return 1;
        printf("| 1280 x 800 px viewport | %d | %.1f | %.1f | %.1f | %.1f | %.1f |\n", z,
               a.clusters, a.p50, a.p99, a.mean, b.p50);
    }
    cluster_scratch_free(s);
    cluster_free(ci);
    free(gp);
    free(it);
    free(gq);
    free(boxes);
    free(zooms);
    if (bad)
        fprintf(stderr, "bench_bbox: the whole city's clusters do not count every point\n");
    return bad;
}

int main(int argc, char **argv)
{
    size_t sizes[] = {4327, 100000, 1000000}, q = 1000;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--points"))
            sizes[2] = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--queries"))
            q = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
    }
    if (argc % 2 == 0 || q < 1 || sizes[2] < 1) {
        fprintf(stderr, "usage: bench_bbox [--points N (1000000)] [--queries Q (1000)] "
                        "[--seed S (1)]\n");
        return 1;
    }
    printf("# bench_bbox: GET /v1/bbox's cluster index (index/cluster.h), in process\n\n");
    printf("Clustered points of bench/gen.c (seed %llu); the first size is the built-in store's. "
           "Times per query, one at a time; \"with JSON\" also writes each cluster through "
           "api/enc.c. Viewports are centred on bench/gen.c's query positions.\n",
           (unsigned long long)seed);
    int rc = 0;
    for (size_t i = 0; i < 3; i++)
        rc |= bench_size(sizes[i], seed, q);
    return rc;
}

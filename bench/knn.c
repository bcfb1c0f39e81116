/* knn.c - the comparison engines of bench_index (see knn.h): a scan with or without chord
 * pruning, and nearest-K over SQLite's R*Tree by expanding boxes. Pruning is exact: every bound
 * used to skip a point is a proven lower bound on its geodesic distance, less SAFETY_M. */
#include "bench/knn.h"
#include "index/geodesic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DEG (M_PI / 180.0)
#define E2 (GEO_F * (2.0 - GEO_F))
#define SAFETY_M 1e-3      /* metres; ECEF rounding is ~1e-8 m, geo_inverse's error ~1e-8 m */
#define SQ_BASE_M 10.0     /* half-size of box level 0, metres */
#define M_PER_DEG 111195.0 /* only sizes the boxes; the exactness test does not depend on it */

void knn_ecef(double lon, double lat, double out[3])
{
    double sp = sin(lat * DEG), cp = cos(lat * DEG);
    double n = GEO_A / sqrt(1.0 - E2 * sp * sp);
    out[0] = n * cp * cos(lon * DEG);
    out[1] = n * cp * sin(lon * DEG);
    out[2] = n * (1.0 - E2) * sp;
}

static double chord2(const double a[3], const double b[3])
{
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return dx * dx + dy * dy + dz * dz;
}

/* (d1, i1) comes after (d2, i2) in the answer order */
static bool after(double d1, uint32_t i1, double d2, uint32_t i2)
{
    return d1 > d2 || (d1 == d2 && i1 > i2);
}

static void sift_down(struct knn_best *b, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < b->n && after(b->d[c], b->id[c], b->d[m], b->id[m]))
            m = c;
        if (c + 1 < b->n && after(b->d[c + 1], b->id[c + 1], b->d[m], b->id[m]))
            m = c + 1;
        if (m == i)
            return;
        double td = b->d[i];
        uint32_t ti = b->id[i];
        b->d[i] = b->d[m], b->id[i] = b->id[m];
        b->d[m] = td, b->id[m] = ti;
        i = m;
    }
}

/* Offers (d, id); true when it was kept. */
static bool best_push(struct knn_best *b, double d, uint32_t id)
{
    if (b->n < b->k) {
        size_t i = b->n++;
        while (i > 0 && after(d, id, b->d[(i - 1) / 2], b->id[(i - 1) / 2])) {
            b->d[i] = b->d[(i - 1) / 2], b->id[i] = b->id[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        b->d[i] = d, b->id[i] = id;
        return true;
    }
    if (!after(b->d[0], b->id[0], d, id))
        return false;
    b->d[0] = d, b->id[0] = id;
    sift_down(b, 0);
    return true;
}

/* What a distance must not exceed to enter: the k-th best, or infinity until k are held. */
static double best_limit(const struct knn_best *b)
{
    return b->n < b->k ? INFINITY : b->d[0];
}

/* The squared chord beyond which a point cannot enter. */
static double best_chord2(const struct knn_best *b)
{
    double c = best_limit(b) + SAFETY_M;
    return c * c;
}

/* ids[0..n) in answer order; empties b. */
static size_t best_drain(struct knn_best *b, uint32_t *ids)
{
    size_t n = b->n;
    while (b->n > 0) {
        ids[b->n - 1] = b->id[0];
        b->n--;
        b->d[0] = b->d[b->n], b->id[0] = b->id[b->n];
        sift_down(b, 0);
    }
    return n;
}

void knn_scan_nearest(struct knn_scan *s, double lon, double lat, uint32_t *ids, size_t *n)
{
    double o[3], lim2 = INFINITY;
    knn_ecef(lon, lat, o);
    for (size_t i = 0; i < s->m; i++) {
        if (s->xyz && chord2(o, s->xyz[i]) > lim2)
            continue;
        double d = geo_inverse(lon, lat, s->pts[i].lon, s->pts[i].lat, NULL);
        if (best_push(&s->best, d, s->pts[i].id))
            lim2 = best_chord2(&s->best);
    }
    *n = best_drain(&s->best, ids);
}

int knn_sqlite_build(const struct gen_point *pts, size_t n, sqlite3 **db, double *bytes_pt)
{
    sqlite3_stmt *ins = NULL, *size = NULL;
    int rc = sqlite3_open(":memory:", db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(*db,
                          "CREATE VIRTUAL TABLE pts USING rtree(id, minx, maxx, miny, maxy);"
                          "BEGIN",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(*db, "INSERT INTO pts VALUES (?1, ?2, ?2, ?3, ?3)", -1, &ins, NULL);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(ins, 1, pts[i].id);
        sqlite3_bind_double(ins, 2, pts[i].lon);
        sqlite3_bind_double(ins, 3, pts[i].lat);
        rc = sqlite3_step(ins) == SQLITE_DONE ? sqlite3_reset(ins) : SQLITE_ERROR;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(*db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(*db,
                                "SELECT page_count * page_size "
                                "FROM pragma_page_count(), pragma_page_size()",
                                -1, &size, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(size) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
    if (rc == SQLITE_OK)
        *bytes_pt = (double)sqlite3_column_int64(size, 0) / (double)n;
    else
        fprintf(stderr, "bench_index: sqlite build: %s\n", sqlite3_errmsg(*db));
    sqlite3_finalize(ins);
    sqlite3_finalize(size);
    return rc == SQLITE_OK ? 0 : -1;
}

int knn_sqlite_new(sqlite3 *db, const struct gen_point *pts, const double (*xyz)[3], size_t k,
                   unsigned start_pct, struct knn_sqlite **out)
{
    struct knn_sqlite *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    *s = (struct knn_sqlite){.pts = pts, .xyz = xyz, .start_pct = start_pct, .best.k = k};
    int rc = sqlite3_prepare_v2(db,
                                "SELECT id FROM pts "
                                "WHERE minx <= ?1 AND maxx >= ?2 AND miny <= ?3 AND maxy >= ?4",
                                -1, &s->box, NULL);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "bench_index: sqlite prepare: %s\n", sqlite3_errmsg(db));
        knn_sqlite_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void knn_sqlite_free(struct knn_sqlite *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->box);
    free(s->cand);
    free(s);
}

/* A lower bound on the geodesic distance from latitude lat to any point outside the box of
 * half-sizes (hx, hy) degrees around it. Along any path ds^2 = M^2 dphi^2 + (N cos phi)^2
 * dlambda^2, so leaving the latitude band costs at least hy * min M (M grows with |phi|), and
 * moving hx in longitude while staying in it at least hx * min N cos phi (which shrinks with
 * |phi|). Nothing here handles the antimeridian, which the generator's box is far from. */
static double outside_bound(double lon, double lat, double hx, double hy)
{
    if (lat - hy <= -90.0 && lat + hy >= 90.0 && lon - hx <= -180.0 && lon + hx >= 180.0)
        return INFINITY; /* the box holds the whole earth */
    double near = fabs(lat) > hy ? fabs(lat) - hy : 0.0;
    double far = fmin(fabs(lat) + hy, 90.0);
    double sn = sin(near * DEG), sf = sin(far * DEG);
    double m_min = GEO_A * (1.0 - E2) / pow(1.0 - E2 * sn * sn, 1.5);
    double nc_min = GEO_A / sqrt(1.0 - E2 * sf * sf) * cos(far * DEG);
    return fmin(hy * DEG * m_min, hx * DEG * nc_min) - SAFETY_M;
}

/* The half-sizes in degrees of the box of a level, and the bound for what lies outside it. */
static void level_box(int level, double coslat, double *hx, double *hy)
{
    double h = SQ_BASE_M * ldexp(1.0, level);
    *hy = h / M_PER_DEG;
    *hx = h / (M_PER_DEG * coslat);
}

static double level_bound(double lon, double lat, double coslat, int level)
{
    double hx, hy;
    level_box(level, coslat, &hx, &hy);
    return outside_bound(lon, lat, hx, hy);
}

static int start_level(const struct knn_sqlite *s)
{
    uint64_t total = 0, acc = 0;
    for (int i = 0; i < KNN_SQ_LEVELS; i++)
        total += s->hist[i];
    for (int i = 0; i < KNN_SQ_LEVELS && total; i++)
        if ((acc += s->hist[i]) * 100 >= total * s->start_pct)
            return i;
    return 0;
}

static int cmp_cand(const void *a, const void *b)
{
    const struct knn_cand *x = a, *y = b;
    return (x->c2 > y->c2) - (x->c2 < y->c2);
}

/* s->best = the k best of the m candidates. */
static void rank(struct knn_sqlite *s, double lon, double lat, size_t m)
{
    s->best.n = 0;
    if (s->xyz) {
        double o[3];
        knn_ecef(lon, lat, o);
        for (size_t i = 0; i < m; i++)
            s->cand[i].c2 = chord2(o, s->xyz[s->cand[i].id - 1]);
        qsort(s->cand, m, sizeof *s->cand, cmp_cand);
    }
    for (size_t i = 0; i < m; i++) {
        const struct gen_point *p = &s->pts[s->cand[i].id - 1];
        if (s->xyz && s->cand[i].c2 > best_chord2(&s->best))
            break; /* so are all the rest */
        s->inverses++;
        best_push(&s->best, geo_inverse(lon, lat, p->lon, p->lat, NULL), s->cand[i].id);
    }
}

void knn_sqlite_nearest(struct knn_sqlite *s, double lon, double lat, uint32_t *ids, size_t *n)
{
    double coslat = cos(lat * DEG);
    int level = start_level(s);
    for (;; level++) {
        double hx, hy;
        size_t m = 0;
        level_box(level, coslat, &hx, &hy);
        sqlite3_bind_double(s->box, 1, lon + hx);
        sqlite3_bind_double(s->box, 2, lon - hx);
        sqlite3_bind_double(s->box, 3, lat + hy);
        sqlite3_bind_double(s->box, 4, lat - hy);
        while (sqlite3_step(s->box) == SQLITE_ROW) {
            if (m == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 1024;
                struct knn_cand *c = realloc(s->cand, cap * sizeof *c);
                if (!c)
                    break; /* answers from part of the box show as a recall failure */
                s->cand = c, s->cap = cap;
            }
            s->cand[m++].id = (uint32_t)sqlite3_column_int64(s->box, 0);
        }
        sqlite3_reset(s->box); /* an error stops the rows early: a recall failure too */
        s->rounds++;
        s->candidates += m;
        double bound = outside_bound(lon, lat, hx, hy);
        bool last = level == KNN_SQ_LEVELS - 1 || bound == INFINITY;
        if (m < s->best.k && !last)
            continue; /* too few: no distance is needed to know the box must grow */
        rank(s, lon, lat, m);
        if (last || best_limit(&s->best) < bound)
            break;
    }
    /* Learn the level the answer needed, not the one reached: from a start too large, the
     * final level would only ever ratchet up. */
    int need = 0;
    while (need < level && !(best_limit(&s->best) < level_bound(lon, lat, coslat, need)))
        need++;
    s->hist[need]++;
    *n = best_drain(&s->best, ids);
}

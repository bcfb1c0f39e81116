/* test_cluster.c - index/cluster.c against brute force over the same points: for random boxes,
 * zooms and category masks, the cells returned are exactly the non-empty cells the box meets,
 * each cluster's count, per-category counts, member, centroid, boxes (WGS-84, GCJ-02, BD-09) and
 * expansion zoom are those of its cell's members, counts add up to the points in the returned
 * cells, which cover every point inside the box; clusters do not change as the box pans; the
 * points of a box are exactly those inside it. The oracle computes cells with its own formula
 * (log(tan + sec), plain floor), not with cluster_cell. */
#include "index/cluster.h"
#include "index/crs.h"
#include "index/snapshot.h"
#include "tests/lib/gen.h"
#include "tests/t.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct gen_rng rng = {2024};

#define NPTS 6000
#define NCAT 9

static struct rtree_item pts[NPTS + 64];
static size_t npts;

/* ---- the oracle ---- */

/* The cell of (lon, lat) at zoom, from the textbook Web Mercator formula. */
static void oracle_cell(double lon, double lat, int zoom, uint32_t *x, uint32_t *y)
{
    double lim = CLUSTER_MERCATOR_LAT, n = ldexp(1.0, zoom + 2);
    lat = lat > lim ? lim : lat < -lim ? -lim : lat;
    double fx = (lon + 180.0) / 360.0;
    double phi = lat * M_PI / 180.0;
    double fy = (1.0 - log(tan(phi) + 1.0 / cos(phi)) / M_PI) / 2.0;
    double cx = floor(fx * n), cy = floor(fy * n);
    *x = cx < 0 ? 0 : cx > n - 1 ? (uint32_t)(n - 1) : (uint32_t)cx;
    *y = cy < 0 ? 0 : cy > n - 1 ? (uint32_t)(n - 1) : (uint32_t)cy;
}

static bool inside(const struct rtree_item *p, const double b[4])
{
    return p->lon >= b[0] && p->lon <= b[2] && p->lat >= b[1] && p->lat <= b[3];
}

/* Position of p in system s (0 WGS-84, 1 GCJ-02, 2 BD-09), WGS-84 where undefined. */
static void pos_in(const struct rtree_item *p, int s, double *lon, double *lat)
{
    static const enum crs_id sys[3] = {CRS_WGS84, CRS_GCJ02, CRS_BD09};
    if (crs_convert(CRS_WGS84, sys[s], p->lon, p->lat, lon, lat)) {
        *lon = p->lon;
        *lat = p->lat;
    }
}

/* ---- data ---- */

/* City-like points: Gaussian clusters around Wuhan, uniform noise, exact duplicates, and a few at
 * the poles, the antimeridian and Web Mercator's latitude limit. */
static void make_points(void)
{
    double centres[40][2];
    for (int i = 0; i < 40; i++) {
        centres[i][0] = 113.8 + 1.2 * gen_unit(&rng);
        centres[i][1] = 30.1 + 1.1 * gen_unit(&rng);
    }
    for (npts = 0; npts < NPTS; npts++) {
        struct rtree_item *p = &pts[npts];
        uint64_t u = gen_below(&rng, 100);
        if (u < 8 && npts > 0) { /* a duplicate position */
            *p = pts[gen_below(&rng, npts)];
        } else if (u < 20) {
            p->lon = 113.7 + 1.4 * gen_unit(&rng);
            p->lat = 29.97 + 1.4 * gen_unit(&rng);
        } else {
            const double *c = centres[gen_below(&rng, 40)];
            double sd = 0.002 + 0.03 * gen_unit(&rng) * gen_unit(&rng);
            p->lon = c[0] + sd * (gen_unit(&rng) + gen_unit(&rng) + gen_unit(&rng) - 1.5);
            p->lat = c[1] + sd * (gen_unit(&rng) + gen_unit(&rng) + gen_unit(&rng) - 1.5);
        }
        p->id = (uint32_t)(npts * 3 + 7);
        uint64_t c = gen_below(&rng, 1000);
        p->cat = c < 400 ? 0 : c < 420 ? 1 : c < 421 ? 2 : (uint8_t)(3 + c % 6);
    }
    static const double odd[][2] = {{-180, 0},   {180, 0},   {0, 90},   {0, -90},
                                    {179.9, 89}, {-180, -90}, {0, 85.0511287798066},
                                    {114.3, 86}, {114.3, -86}};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++, npts++)
        pts[npts] = (struct rtree_item){odd[i][0], odd[i][1], (uint32_t)(900000 + i), (uint8_t)(i % 3)};
}

/* ---- cluster queries against the oracle ---- */

struct got {
    struct cluster *c;
    size_t n, cap;
    size_t stop_after; /* 0: never stop */
};

static bool take(void *udata, const struct cluster *c)
{
    struct got *g = udata;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->c = realloc(g->c, g->cap * sizeof *g->c);
    }
    g->c[g->n++] = *c;
    return !g->stop_after || g->n < g->stop_after;
}

/* A masked point and its cell at the query's zoom, by the oracle. */
struct member {
    uint64_t key; /* y << 32 | x */
    const struct rtree_item *p;
};

static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->p->id < y->p->id ? -1 : x->p->id > y->p->id;
}

/* The run of m[0..n) (sorted) in cell key: *count members from the returned index. */
static size_t find_run(const struct member *m, size_t n, uint64_t key, size_t *count)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < n && m[end].key == key)
        end++;
    *count = end - lo;
    return lo;
}

/* One cluster against its cell's members mem[0..count) (mask applied). */
static void check_cluster(const struct cluster *c, int zoom, const struct member *mem,
                          size_t count)
{
    size_t per[RTREE_MAX_CATEGORIES] = {0};
    double box[3][4], sum_lon = 0, sum_lat = 0;
    T_CHECKF(c->count == count && count > 0, "cell %d/%u/%u: count %u, brute force %zu", zoom,
             c->x, c->y, c->count, count);
    if (!count || c->count != count)
        return;
    for (size_t i = 0; i < count; i++) {
        const struct rtree_item *p = mem[i].p;
        for (int s = 0; s < 3; s++) {
            double lon, lat;
            pos_in(p, s, &lon, &lat);
            box[s][0] = i ? fmin(box[s][0], lon) : lon;
            box[s][1] = i ? fmin(box[s][1], lat) : lat;
            box[s][2] = i ? fmax(box[s][2], lon) : lon;
            box[s][3] = i ? fmax(box[s][3], lat) : lat;
        }
        sum_lon += p->lon;
        sum_lat += p->lat;
        per[p->cat]++;
    }
    size_t parts = 0;
    for (int k = 0; k < RTREE_MAX_CATEGORIES; k++)
        if (per[k]) {
            bool ok = parts < c->nparts && c->parts[parts].cat == (uint32_t)k &&
                      c->parts[parts].count == per[k];
            T_CHECKF(ok, "cell %d/%u/%u: category %d count wrong", zoom, c->x, c->y, k);
            parts++;
        }
    T_CHECKF(parts == c->nparts, "cell %d/%u/%u: %u parts, expected %zu", zoom, c->x, c->y,
             c->nparts, parts);
    for (int s = 0; s < 3; s++)
        T_CHECKF(!memcmp(box[s], c->box[s], sizeof box[s]),
                 "cell %d/%u/%u: box %d is not its members' (%.9f %.9f %.9f %.9f)", zoom, c->x,
                 c->y, s, c->box[s][0], c->box[s][1], c->box[s][2], c->box[s][3]);
    if (count == 1) {
        T_CHECKF(c->id == mem[0].p->id && c->lon == mem[0].p->lon && c->lat == mem[0].p->lat,
                 "cell %d/%u/%u: single %u, expected %u", zoom, c->x, c->y, c->id, mem[0].p->id);
        return;
    }
    T_CHECK(c->id == 0);
    T_CHECKF(fabs(c->lon - sum_lon / count) < 1e-9 && fabs(c->lat - sum_lat / count) < 1e-9 &&
                 c->lon >= box[0][0] && c->lon <= box[0][2] && c->lat >= box[0][1] &&
                 c->lat <= box[0][3],
             "cell %d/%u/%u: centroid %.9f,%.9f, mean %.9f,%.9f", zoom, c->x, c->y, c->lon, c->lat,
             sum_lon / count, sum_lat / count);
    int expand = CLUSTER_MAX_ZOOM + 1;
    for (int z = zoom + 1; z <= CLUSTER_MAX_ZOOM && expand > CLUSTER_MAX_ZOOM; z++) {
        uint32_t x0, y0;
        oracle_cell(mem[0].p->lon, mem[0].p->lat, z, &x0, &y0);
        for (size_t i = 1; i < count; i++) {
            uint32_t x, y;
            oracle_cell(mem[i].p->lon, mem[i].p->lat, z, &x, &y);
            if (x != x0 || y != y0) {
                expand = z;
                break;
            }
        }
    }
    T_CHECKF(c->expansion_zoom == expand, "cell %d/%u/%u: expansion zoom %d, expected %d", zoom,
             c->x, c->y, c->expansion_zoom, expand);
}

static int cluster_key_cmp(const void *a, const void *b)
{
    const struct cluster *x = a, *y = b;
    uint64_t kx = (uint64_t)x->y << 32 | x->x, ky = (uint64_t)y->y << 32 | y->x;
    return kx < ky ? -1 : kx > ky;
}

/* Every check of one query; returns the number of clusters. */
static size_t check_query(const struct cluster_index *ci, struct cluster_scratch *s,
                          const double b[4], int zoom, uint64_t mask, size_t *in_box)
{
    static struct member mem[NPTS + 64];
    struct got g = {0};
    T_CHECK(cluster_query(ci, b, zoom, mask, s, take, &g) == GEOD_OK);
    uint32_t bx0, by0, bx1, by1;
    oracle_cell(b[0], b[3], zoom, &bx0, &by0);
    oracle_cell(b[2], b[1], zoom, &bx1, &by1);
    size_t n = 0, nonempty = 0, inbox = 0, total = 0;
    for (size_t i = 0; i < npts; i++) {
        if (!(mask >> pts[i].cat & 1))
            continue;
        uint32_t x, y;
        oracle_cell(pts[i].lon, pts[i].lat, zoom, &x, &y);
        mem[n++] = (struct member){(uint64_t)y << 32 | x, &pts[i]};
        nonempty += x >= bx0 && x <= bx1 && y >= by0 && y <= by1;
    }
    qsort(mem, n, sizeof *mem, member_cmp);
    for (size_t i = 0; i < g.n; i++) {
        const struct cluster *c = &g.c[i];
        T_CHECKF(c->x >= bx0 && c->x <= bx1 && c->y >= by0 && c->y <= by1,
                 "cell %d/%u/%u outside the box's cells %u..%u x %u..%u", zoom, c->x, c->y, bx0,
                 bx1, by0, by1);
        if (i)
            T_CHECKF(cluster_key_cmp(&g.c[i - 1], c) < 0, "clusters not in row-major order at %zu",
                     i);
        size_t cnt, at = find_run(mem, n, (uint64_t)c->y << 32 | c->x, &cnt);
        check_cluster(c, zoom, mem + at, cnt);
        total += c->count;
    }
    /* the counts add up to the points in the box's cells, and every point inside the box
     * (brute force) lies in a returned cell */
    T_CHECKF(total == nonempty, "zoom %d mask %llx: counts add to %zu, the box's cells hold %zu",
             zoom, (unsigned long long)mask, total, nonempty);
    for (size_t i = 0; i < n; i++) {
        if (!inside(mem[i].p, b))
            continue;
        inbox++;
        struct cluster key = {.x = (uint32_t)mem[i].key, .y = (uint32_t)(mem[i].key >> 32)};
        T_CHECKF(g.n && bsearch(&key, g.c, g.n, sizeof *g.c, cluster_key_cmp),
                 "zoom %d: point %u inside the box is in no returned cell", zoom, mem[i].p->id);
    }
    *in_box += inbox;
    free(g.c);
    return g.n;
}

static void random_box(double b[4])
{
    static const double sizes[] = {0.002, 0.01, 0.05, 0.2, 0.8, 1.6};
    double w = sizes[gen_below(&rng, 6)] * (0.3 + gen_unit(&rng));
    double h = w * (0.4 + gen_unit(&rng));
    const struct rtree_item *p = &pts[gen_below(&rng, NPTS)];
    b[0] = p->lon - w * gen_unit(&rng);
    b[1] = p->lat - h * gen_unit(&rng);
    b[2] = b[0] + w;
    b[3] = b[1] + h;
    if (gen_below(&rng, 5) == 0) { /* an edge exactly on a point */
        const struct rtree_item *q = &pts[gen_below(&rng, NPTS)];
        b[0] = q->lon;
        b[2] = fmax(b[2], q->lon + 0.001);
    }
}

static uint64_t random_mask(void)
{
    switch (gen_below(&rng, 4)) {
    case 0:
        return ~0ull;
    case 1:
        return 1ull << gen_below(&rng, NCAT); /* one category, often rare */
    case 2:
        return (uint64_t)gen_below(&rng, 1u << NCAT) | 1u << 2;
    default:
        return 0x7ull << gen_below(&rng, NCAT - 2);
    }
}

static void test_queries(void)
{
    struct cluster_index *ci = NULL;
    struct cluster_scratch *s = NULL;
    T_CHECK(cluster_build(pts, npts, &ci) == GEOD_OK && cluster_scratch_new(&s) == GEOD_OK);
    if (!ci || !s)
        return;
    size_t queries = 0, clusters = 0, in_box = 0;
    for (int i = 0; i < 400; i++, queries++) {
        double b[4];
        random_box(b);
        int zoom = (int)gen_below(&rng, CLUSTER_MAX_ZOOM + 1);
        while (zoom > 0 && cluster_box_cells(b, zoom) > 4096) /* as the API would allow */
            zoom--;
        clusters += check_query(ci, s, b, zoom, random_mask(), &in_box);
    }
    /* the world at the lowest zooms: every point, poles and antimeridian included */
    const double world[4] = {-180, -90, 180, 90};
    for (int z = 0; z <= 3; z++, queries++)
        clusters += check_query(ci, s, world, z, ~0ull, &in_box);
    printf("  %zu queries, %zu clusters, %zu points inside the boxes\n", queries, clusters, in_box);
    cluster_scratch_free(s);
    cluster_free(ci);
}

/* Two overlapping boxes: a cell both meet gives the same cluster, field by field. */
static void test_panning(void)
{
    struct cluster_index *ci = NULL;
    struct cluster_scratch *s = NULL;
    T_CHECK(cluster_build(pts, npts, &ci) == GEOD_OK && cluster_scratch_new(&s) == GEOD_OK);
    if (!ci || !s)
        return;
    size_t shared = 0;
    for (int i = 0; i < 200; i++) {
        double a[4], b[4];
        random_box(a);
        double dx = (a[2] - a[0]) * (gen_unit(&rng) - 0.5), dy = (a[3] - a[1]) * (gen_unit(&rng) - 0.5);
        b[0] = a[0] + dx, b[2] = a[2] + dx, b[1] = a[1] + dy, b[3] = a[3] + dy;
        int zoom = 8 + (int)gen_below(&rng, CLUSTER_MAX_ZOOM - 7);
        while (zoom > 0 && cluster_box_cells(a, zoom) > 4096)
            zoom--;
        uint64_t mask = random_mask();
        struct got ga = {0}, gb = {0};
        T_CHECK(cluster_query(ci, a, zoom, mask, s, take, &ga) == GEOD_OK);
        T_CHECK(cluster_query(ci, b, zoom, mask, s, take, &gb) == GEOD_OK);
        for (size_t j = 0; j < ga.n; j++)
            for (size_t k = 0; k < gb.n; k++) {
                const struct cluster *x = &ga.c[j], *y = &gb.c[k];
                if (x->x != y->x || x->y != y->y)
                    continue;
                shared++;
                bool same = x->count == y->count && x->id == y->id && x->lon == y->lon &&
                            x->lat == y->lat && !memcmp(x->box, y->box, sizeof x->box) &&
                            x->expansion_zoom == y->expansion_zoom && x->nparts == y->nparts &&
                            !memcmp(x->parts, y->parts, x->nparts * sizeof *x->parts);
                T_CHECKF(same, "cell %d/%u/%u changes as the box pans", zoom, x->x, x->y);
            }
        free(ga.c);
        free(gb.c);
    }
    T_CHECKF(shared > 1000, "only %zu shared cells: the test proves little", shared);
    printf("  %zu cells seen from two overlapping boxes, all identical\n", shared);
    cluster_scratch_free(s);
    cluster_free(ci);
}

/* ---- points ---- */

struct ids {
    uint32_t *v;
    size_t n;
};

static bool take_id(void *udata, uint32_t id, double lon, double lat)
{
    struct ids *s = udata;
    s->v[s->n++] = id;
    return true;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void test_points(void)
{
    struct cluster_index *ci = NULL;
    T_CHECK(cluster_build(pts, npts, &ci) == GEOD_OK);
    if (!ci)
        return;
    uint32_t *got = malloc(npts * sizeof *got), *want = malloc(npts * sizeof *want);
    size_t total = 0, edges = 0;
    for (int i = 0; i < 400; i++) {
        double b[4];
        random_box(b);
        if (i % 4 == 0) { /* every edge exactly on a point: closed box */
            const struct rtree_item *p = &pts[gen_below(&rng, NPTS)], *q = &pts[gen_below(&rng, NPTS)];
            b[0] = fmin(p->lon, q->lon), b[2] = fmax(p->lon, q->lon);
            b[1] = fmin(p->lat, q->lat), b[3] = fmax(p->lat, q->lat);
        }
        if (i == 0)
            b[0] = -180, b[1] = -90, b[2] = 180, b[3] = 90;
        uint64_t mask = random_mask();
        struct ids g = {got, 0};
        T_CHECK(cluster_points(ci, b, mask, take_id, &g) == GEOD_OK);
        size_t n = 0;
        for (size_t j = 0; j < npts; j++)
            if (mask >> pts[j].cat & 1 && inside(&pts[j], b)) {
                want[n++] = pts[j].id;
                edges += pts[j].lon == b[0] || pts[j].lat == b[3];
            }
        qsort(got, g.n, sizeof *got, u32_cmp);
        qsort(want, n, sizeof *want, u32_cmp);
        T_CHECKF(g.n == n && !memcmp(got, want, n * sizeof *got),
                 "box %.9f,%.9f,%.9f,%.9f: %zu points, brute force %zu", b[0], b[1], b[2], b[3],
                 g.n, n);
        total += n;
    }
    T_CHECKF(edges > 50, "only %zu points on a box edge", edges);
    printf("  400 boxes, %zu points inside (%zu on an edge), all as brute force\n", total, edges);
    free(got);
    free(want);
    cluster_free(ci);
}

/* ---- edges of the interface ---- */

static bool stop_now(void *udata, uint32_t id, double lon, double lat)
{
    (*(size_t *)udata)++;
    return false;
}

static void test_edges(void)
{
    struct cluster_index *ci = NULL, *empty = NULL;
    struct cluster_scratch *s = NULL;
    T_CHECK(cluster_build(pts, npts, &ci) == GEOD_OK && cluster_scratch_new(&s) == GEOD_OK);
    T_CHECK(cluster_build(NULL, 0, &empty) == GEOD_OK);
    if (!ci || !s || !empty)
        return;
    const double city[4] = {113.7, 29.97, 115.1, 31.37}, world[4] = {-180, -90, 180, 90};
    const double bad[][4] = {{1, 0, 0, 1}, {0, 1, 1, 0}, {NAN, 0, 1, 1}, {0, 0, INFINITY, 1}};
    struct got g = {0};
    for (size_t i = 0; i < 4; i++) {
        T_CHECK(cluster_query(ci, bad[i], 5, ~0ull, s, take, &g) == GEOD_EINVAL);
        T_CHECK(cluster_points(ci, bad[i], ~0ull, stop_now, &g.n) == GEOD_EINVAL);
    }
    T_CHECK(cluster_query(ci, city, -1, ~0ull, s, take, &g) == GEOD_EINVAL);
    T_CHECK(cluster_query(ci, city, CLUSTER_MAX_ZOOM + 1, ~0ull, s, take, &g) == GEOD_EINVAL);
    T_CHECK(g.n == 0);
    /* a callback that says stop is obeyed */
    g.stop_after = 3;
    T_CHECK(cluster_query(ci, city, 12, ~0ull, s, take, &g) == GEOD_OK && g.n == 3);
    size_t calls = 0;
    T_CHECK(cluster_points(ci, world, ~0ull, stop_now, &calls) == GEOD_OK && calls == 1);
    /* nothing in an empty index, nor with an empty mask */
    g.n = 0;
    g.stop_after = 0;
    T_CHECK(cluster_query(empty, world, 0, ~0ull, s, take, &g) == GEOD_OK && g.n == 0);
    T_CHECK(cluster_query(ci, world, 0, 0, s, take, &g) == GEOD_OK && g.n == 0);
    /* the world at zoom 0 is 16 cells holding every point once */
    T_CHECK(cluster_box_cells(world, 0) == 16 && cluster_box_cells(city, 10) < 400);
    T_CHECK(cluster_query(ci, world, 0, ~0ull, s, take, &g) == GEOD_OK);
    size_t sum = 0;
    for (size_t i = 0; i < g.n; i++)
        sum += g.c[i].count;
    T_CHECKF(sum == npts, "the world at zoom 0 counts %zu of %zu points", sum, npts);
    /* points sharing one position never split */
    struct rtree_item same[3] = {{114.3, 30.6, 1, 0}, {114.3, 30.6, 2, 1}, {114.3, 30.6, 3, 0}};
    struct cluster_index *dup = NULL;
    T_CHECK(cluster_build(same, 3, &dup) == GEOD_OK);
    g.n = 0;
    T_CHECK(dup && cluster_query(dup, city, CLUSTER_MAX_ZOOM, ~0ull, s, take, &g) == GEOD_OK);
    T_CHECK(g.n == 1 && g.c[0].count == 3 && g.c[0].expansion_zoom == CLUSTER_MAX_ZOOM + 1 &&
            g.c[0].nparts == 2 && g.c[0].parts[0].count == 2 && g.c[0].lon == 114.3);
    /* invalid items */
    struct rtree_item nan_item = {NAN, 30, 1, 0}, cat_item = {114, 30, 1, RTREE_MAX_CATEGORIES};
    struct cluster_index *x = NULL;
    T_CHECK(cluster_build(&nan_item, 1, &x) == GEOD_EINVAL && !x);
    T_CHECK(cluster_build(&cat_item, 1, &x) == GEOD_EINVAL && !x);
    /* cluster_cell is the grid: zoom 0 has 4 x 4 cells, Wuhan is in cell (3, 1) */
    uint32_t cx, cy;
    cluster_cell(114.3, 30.6, 0, &cx, &cy);
    T_CHECK(cx == 3 && cy == 1);
    cluster_cell(180, -90, CLUSTER_ZOOM_LIMIT, &cx, &cy);
    T_CHECK(cx == (1u << (CLUSTER_ZOOM_LIMIT + 2)) - 1 && cy == cx);
    free(g.c);
    cluster_free(dup);
    cluster_free(empty);
    cluster_free(ci);
    cluster_free(NULL);
    cluster_scratch_free(s);
    cluster_scratch_free(NULL);
}

/* Two clusters equal field by field (the doubles bit for bit). */
static bool same_cluster(const struct cluster *a, const struct cluster *b)
{
    if (a->zoom != b->zoom || a->x != b->x || a->y != b->y || a->count != b->count ||
        a->id != b->id || a->expansion_zoom != b->expansion_zoom || a->nparts != b->nparts ||
        memcmp(&a->lon, &b->lon, sizeof a->lon) || memcmp(&a->lat, &b->lat, sizeof a->lat) ||
        memcmp(a->box, b->box, sizeof a->box))
        return false;
    for (uint32_t i = 0; i < a->nparts; i++)
        if (a->parts[i].cat != b->parts[i].cat || a->parts[i].count != b->parts[i].count)
            return false;
    return true;
}

/* An index built from prepared items (in another order) answers exactly as one built from the
 * items; prepared items are checked as items are. */
static void test_prepared(void)
{
    struct cluster_prepared *pre = malloc(npts * sizeof *pre);
    struct cluster_index *ci = NULL, *cp = NULL;
    struct cluster_scratch *s = NULL;
    T_CHECK(pre != NULL);
    if (!pre)
        return;
    for (size_t i = 0; i < npts; i++) /* reversed */
        cluster_prepare(&pts[npts - 1 - i], &pre[i]);
    T_CHECK(cluster_build(pts, npts, &ci) == GEOD_OK);
    T_CHECK(cluster_build_prepared(pre, npts, &cp) == GEOD_OK &&
            cluster_scratch_new(&s) == GEOD_OK);
    T_CHECK(ci && cp && cluster_bytes(ci) == cluster_bytes(cp));
    size_t compared = 0;
    for (int i = 0; ci && cp && s && i < 300; i++) {
        double b[4];
        if (i == 0) {
            const double world[4] = {-180, -90, 180, 90};
            memcpy(b, world, sizeof b);
        } else {
            random_box(b);
        }
        int zoom = i == 0 ? 0 : (int)gen_below(&rng, CLUSTER_MAX_ZOOM + 1);
        while (zoom > 0 && cluster_box_cells(b, zoom) > 4096)
            zoom--;
        uint64_t mask = random_mask();
        struct got g1 = {0}, g2 = {0};
        T_CHECK(cluster_query(ci, b, zoom, mask, s, take, &g1) == GEOD_OK);
        T_CHECK(cluster_query(cp, b, zoom, mask, s, take, &g2) == GEOD_OK);
        T_CHECKF(g1.n == g2.n, "box %d: %zu clusters from items, %zu from prepared", i, g1.n, g2.n);
        for (size_t j = 0; j < g1.n && j < g2.n; j++, compared++)
            T_CHECKF(same_cluster(&g1.c[j], &g2.c[j]), "box %d: cluster %zu differs", i, j);
        free(g1.c);
        free(g2.c);
    }
    T_CHECK(compared > 0);
    printf("  %zu clusters compared\n", compared);
    struct rtree_item bad[2] = {{NAN, 30, 1, 0}, {114, 30, 1, RTREE_MAX_CATEGORIES}};
    for (int i = 0; i < 2; i++) {
        struct cluster_prepared p;
        struct cluster_index *x = NULL;
        cluster_prepare(&bad[i], &p);
        T_CHECK(cluster_build_prepared(&p, 1, &x) == GEOD_EINVAL && !x);
    }
    cluster_scratch_free(s);
    cluster_free(cp);
    cluster_free(ci);
    free(pre);
}

/* The snapshot carries the index over its facilities. */
static void test_snapshot(void)
{
    struct snapshot_builder *b = NULL;
    T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
    for (int c = 0; b && c < NCAT; c++)
        T_CHECK(snapshot_builder_category(b, gen_cat_id[c], gen_cat_zh[c]) == GEOD_OK);
    for (size_t i = 0; b && i < 500; i++) {
        struct facility_in f = {.id = pts[i].id, .version = 1, .category = gen_cat_id[pts[i].cat],
                                .lon = pts[i].lon, .lat = pts[i].lat, .name = "x", .source = "t"};
        T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
    }
    struct snapshot *snap = NULL;
    T_CHECK(b && snapshot_builder_finish(b, 1, &snap) == GEOD_OK);
    if (!snap)
        return;
    T_CHECK(snap->clusters && snapshot_bytes(snap) > cluster_bytes(snap->clusters));
    struct cluster_scratch *s = NULL;
    struct got g = {0};
    const double world[4] = {-180, -90, 180, 90};
    T_CHECK(cluster_scratch_new(&s) == GEOD_OK &&
            cluster_query(snap->clusters, world, 0, ~0ull, s, take, &g) == GEOD_OK);
    size_t sum = 0;
    for (size_t i = 0; i < g.n; i++)
        sum += g.c[i].count;
    T_CHECKF(sum == 500, "the snapshot's clusters count %zu of 500", sum);
    free(g.c);
    cluster_scratch_free(s);
    snapshot_free(snap);
}

int main(void)
{
    make_points();
    T_RUN(test_queries);
    T_RUN(test_panning);
    T_RUN(test_points);
    T_RUN(test_edges);
    T_RUN(test_prepared);
    T_RUN(test_snapshot);
    return T_END();
}

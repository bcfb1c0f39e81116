/* cluster_build.c - building the cluster index (layout in cluster_impl.h): one sort of each
 * category's points by Morton code, then the cells of zoom CLUSTER_MAX_ZOOM from runs of points
 * and the cells of every lower zoom from runs of the next finer zoom's cells (four cells at
 * z + 1 make one at z), each level then sorted row-major for box scans. */
#include "index/cluster_impl.h"
#include "index/crs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIXED_ONE 2147483648.0 /* 2^GRID_BITS */

/* A point while building: its Morton code and its positions in every boxed system. */
struct bpoint {
    uint64_t morton;
    struct cpoint p;
    double pos[CLUSTER_NSYS][2]; /* lon, lat in WGS-84, GCJ-02, BD-09 */
};

static uint32_t fixed(double v)
{
    if (!(v > 0))
        return 0;
    double f = floor(v * FIXED_ONE);
    return f >= FIXED_ONE - 1 ? (uint32_t)(FIXED_ONE - 1) : (uint32_t)f;
}

void cluster_grid(double lon, double lat, uint32_t *x, uint32_t *y)
{
    if (lat > CLUSTER_MERCATOR_LAT)
        lat = CLUSTER_MERCATOR_LAT;
    else if (lat < -CLUSTER_MERCATOR_LAT)
        lat = -CLUSTER_MERCATOR_LAT;
    *x = fixed((lon + 180.0) / 360.0);
    *y = fixed(0.5 - asinh(tan(lat * (M_PI / 180.0))) / (2.0 * M_PI));
}

void cluster_cell(double lon, double lat, int zoom, uint32_t *x, uint32_t *y)
{
    uint32_t gx, gy;
    cluster_grid(lon, lat, &gx, &gy);
    *x = gx >> CELL_SHIFT(zoom);
    *y = gy >> CELL_SHIFT(zoom);
}

/* The bits of v spread to the even bit positions. */
static uint64_t spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | x << 16) & 0x0000ffff0000ffffull;
    x = (x | x << 8) & 0x00ff00ff00ff00ffull;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
    x = (x | x << 2) & 0x3333333333333333ull;
    x = (x | x << 1) & 0x5555555555555555ull;
    return x;
}

uint64_t cluster_morton(uint32_t x, uint32_t y)
{
    return spread(x) | spread(y) << 1;
}

void cluster_positions(double lon, double lat, double pos[CLUSTER_NSYS][2])
{
    static const enum crs_id sys[CLUSTER_NSYS] = {CRS_WGS84, CRS_GCJ02, CRS_BD09};
    for (int s = 0; s < CLUSTER_NSYS; s++)
        if (crs_convert(CRS_WGS84, sys[s], lon, lat, &pos[s][0], &pos[s][1])) {
            pos[s][0] = lon;
            pos[s][1] = lat;
        }
}

static int bpoint_cmp(const void *a, const void *b)
{
    const struct bpoint *x = a, *y = b;
    if (x->morton != y->morton)
        return x->morton < y->morton ? -1 : 1;
    return x->p.id < y->p.id ? -1 : x->p.id > y->p.id;
}

/* A cell's key and where it is: sorting these moves 16 bytes a step, not a whole cell. */
struct keyed {
    uint64_t key;
    size_t at;
};

static int keyed_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct keyed *)a)->key, y = ((const struct keyed *)b)->key;
    return x < y ? -1 : x > y;
}

static void box_init(double box[CLUSTER_NSYS][4], const double pos[CLUSTER_NSYS][2])
{
    for (int s = 0; s < CLUSTER_NSYS; s++) {
        box[s][0] = box[s][2] = pos[s][0];
        box[s][1] = box[s][3] = pos[s][1];
    }
}

static void box_add(double box[CLUSTER_NSYS][4], const double other[CLUSTER_NSYS][4])
{
    for (int s = 0; s < CLUSTER_NSYS; s++) {
        box[s][0] = fmin(box[s][0], other[s][0]);
        box[s][1] = fmin(box[s][1], other[s][1]);
        box[s][2] = fmax(box[s][2], other[s][2]);
        box[s][3] = fmax(box[s][3], other[s][3]);
    }
}

static uint64_t cell_key(const struct cpoint *p, int zoom)
{
    return (uint64_t)(p->y >> CELL_SHIFT(zoom)) << 32 | (p->x >> CELL_SHIFT(zoom));
}

/* The cells of zoom CLUSTER_MAX_ZOOM, in Morton order, from runs of bp[0..n). */
static size_t finest_cells(const struct bpoint *bp, size_t n, struct ccell *out)
{
    const int shift = 2 * CELL_SHIFT(CLUSTER_MAX_ZOOM);
    size_t m = 0;
    for (size_t i = 0; i < n; m++) {
        struct ccell *c = &out[m];
        c->key = cell_key(&bp[i].p, CLUSTER_MAX_ZOOM);
        c->first = (uint32_t)i;
        c->sum_lon = c->sum_lat = 0;
        box_init(c->box, bp[i].pos);
        size_t j = i;
        for (; j < n && bp[j].morton >> shift == bp[i].morton >> shift; j++) {
            double one[CLUSTER_NSYS][4];
            box_init(one, bp[j].pos);
            box_add(c->box, one);
            c->sum_lon += bp[j].p.lon;
            c->sum_lat += bp[j].p.lat;
        }
        c->count = (uint32_t)(j - i);
        i = j;
    }
    return m;
}

/* The cells of zoom z, in Morton order, from those of z + 1 (fine[0..nf), Morton order). */
static size_t coarser_cells(const struct bpoint *bp, const struct ccell *fine, size_t nf, int z,
                            struct ccell *out)
{
    const int shift = 2 * CELL_SHIFT(z);
    size_t m = 0;
    for (size_t i = 0; i < nf; m++) {
        uint64_t code = bp[fine[i].first].morton >> shift;
        struct ccell *c = &out[m];
        *c = fine[i];
        c->key = cell_key(&bp[fine[i].first].p, z);
        size_t j = i + 1;
        for (; j < nf && bp[fine[j].first].morton >> shift == code; j++) {
            c->count += fine[j].count;
            c->sum_lon += fine[j].sum_lon;
            c->sum_lat += fine[j].sum_lat;
            box_add(c->box, fine[j].box);
        }
        i = j;
    }
    return m;
}

/* One category's points (bp[0..n), sorted) and cells. */
static enum geod_err build_category(const struct bpoint *bp, size_t n, struct ccat *cat)
{
    cat->n = n;
    cat->pts = malloc(n * sizeof *cat->pts);
    struct ccell *morton[2] = {malloc(n * sizeof(struct ccell)), malloc(n * sizeof(struct ccell))};
    struct keyed *order = malloc(n * sizeof *order);
    enum geod_err rc = GEOD_ENOMEM;
    if (!cat->pts || !morton[0] || !morton[1] || !order)
        goto done;
    for (size_t i = 0; i < n; i++)
        cat->pts[i] = bp[i].p;
    size_t m = finest_cells(bp, n, morton[0]);
    for (int z = CLUSTER_MAX_ZOOM, cur = 0; z >= 0; z--, cur ^= 1) {
        if (z < CLUSTER_MAX_ZOOM)
            m = coarser_cells(bp, morton[cur ^ 1], m, z, morton[cur]);
        cat->cell[z] = malloc(m * sizeof **cat->cell);
        if (!cat->cell[z])
            goto done;
        for (size_t i = 0; i < m; i++) /* a level's keys are distinct: one order */
            order[i] = (struct keyed){morton[cur][i].key, i};
        qsort(order, m, sizeof *order, keyed_cmp);
        for (size_t i = 0; i < m; i++)
            cat->cell[z][i] = morton[cur][order[i].at];
        cat->ncell[z] = m;
    }
    rc = GEOD_OK;
done:
    free(order);
    free(morton[0]);
    free(morton[1]);
    return rc;
}

void cluster_prepare(const struct rtree_item *it, struct cluster_prepared *p)
{
    p->lon = it->lon;
    p->lat = it->lat;
    p->id = it->id;
    p->cat = it->cat;
    if (it->lon >= -180 && it->lon <= 180 && it->lat >= -90 && it->lat <= 90) {
        cluster_grid(it->lon, it->lat, &p->x, &p->y);
        cluster_positions(it->lon, it->lat, p->pos);
    } else {
        p->x = p->y = 0;
        memset(p->pos, 0, sizeof p->pos);
    }
}

/* The building form of an item: grid position, Morton code, positions in every system (where
 * a conversion is undefined the WGS-84 position stands in, as api/render.c does), computed now
 * or taken from its prepared form. */
static void to_bpoint(const struct rtree_item *it, const struct cluster_prepared *pre,
                      struct bpoint *b)
{
    if (pre) {
        b->p = (struct cpoint){
            .lon = pre->lon, .lat = pre->lat, .id = pre->id, .x = pre->x, .y = pre->y};
        memcpy(b->pos, pre->pos, sizeof b->pos);
    } else {
        b->p = (struct cpoint){.lon = it->lon, .lat = it->lat, .id = it->id};
        cluster_grid(it->lon, it->lat, &b->p.x, &b->p.y);
        cluster_positions(it->lon, it->lat, b->pos);
    }
    b->morton = cluster_morton(b->p.x, b->p.y);
}

/* The index over items[0..n) or, when items is NULL, pre[0..n). */
static enum geod_err build(const struct rtree_item *items, const struct cluster_prepared *pre,
                           size_t n, struct cluster_index **out)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        double lon = items ? items[i].lon : pre[i].lon, lat = items ? items[i].lat : pre[i].lat;
        if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) ||
            (items ? items[i].cat : pre[i].cat) >= RTREE_MAX_CATEGORIES)
            return GEOD_EINVAL;
    }
    struct cluster_index *c = calloc(1, sizeof *c);
    struct bpoint *bp = malloc((n ? n : 1) * sizeof *bp);
    size_t start[RTREE_MAX_CATEGORIES + 1] = {0};
    enum geod_err rc = GEOD_ENOMEM;
    if (!c || !bp)
        goto done;
    c->n = n;
    for (size_t i = 0; i < n; i++) /* counting sort by category */
        start[(items ? items[i].cat : pre[i].cat) + 1]++;
    for (int k = 0; k < RTREE_MAX_CATEGORIES; k++)
        start[k + 1] += start[k];
    size_t fill[RTREE_MAX_CATEGORIES];
    memcpy(fill, start, sizeof fill);
    for (size_t i = 0; i < n; i++) {
        uint8_t cat = items ? items[i].cat : pre[i].cat;
        to_bpoint(items ? &items[i] : NULL, items ? NULL : &pre[i], &bp[fill[cat]++]);
    }
    for (int k = 0; k < RTREE_MAX_CATEGORIES; k++) {
        size_t m = start[k + 1] - start[k];
        if (!m)
            continue;
        qsort(bp + start[k], m, sizeof *bp, bpoint_cmp);
        if ((rc = build_category(bp + start[k], m, &c->cat[k])))
            goto done;
    }
    rc = GEOD_OK;
done:
    free(bp);
    if (rc) {
        cluster_free(c);
        return rc;
    }
    *out = c;
    return GEOD_OK;
}

enum geod_err cluster_build(const struct rtree_item *items, size_t n, struct cluster_index **out)
{
    return build(items, NULL, n, out);
}

enum geod_err cluster_build_prepared(const struct cluster_prepared *pts, size_t n,
                                     struct cluster_index **out)
{
    return build(NULL, pts, n, out);
}

void cluster_free(struct cluster_index *c)
{
    if (!c)
        return;
    for (int k = 0; k < RTREE_MAX_CATEGORIES && !c->mapped; k++) {
        free(c->cat[k].pts);
        for (int z = 0; z < NZOOM; z++)
            free(c->cat[k].cell[z]);
    }
    free(c);
}

size_t cluster_bytes(const struct cluster_index *c)
{
    size_t b = sizeof *c;
    for (int k = 0; k < RTREE_MAX_CATEGORIES; k++) {
        b += c->cat[k].n * sizeof(struct cpoint);
        for (int z = 0; z < NZOOM; z++)
            b += c->cat[k].ncell[z] * sizeof(struct ccell);
    }
    return b;
}

/* cluster.c - the cluster index's queries (layout in cluster_impl.h): a box is scanned row of
 * cells by row; in each row every selected category's cells are found by one binary search and
 * a scan, then merged by cell, so a query costs rows x categories x log(cells) plus the cells it
 * returns, and never touches a point unless a cell holds a single one. */
#include "index/cluster_impl.h"

#include <math.h>
#include <stdlib.h>

#define POINTS_SCAN_CELLS 4096 /* cluster_points scans the finest zoom with at most this many */

enum geod_err cluster_scratch_new(struct cluster_scratch **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

void cluster_scratch_free(struct cluster_scratch *s)
{
    if (!s)
        return;
    free(s->e);
    free(s->m);
    free(s->own);
    free(s->own_one);
    free(s);
}

bool cluster_box_ok(const double b[4])
{
    return isfinite(b[0]) && isfinite(b[1]) && isfinite(b[2]) && isfinite(b[3]) && b[0] <= b[2] &&
           b[1] <= b[3];
}

void cluster_box_span(const double b[4], int zoom, uint32_t r[4])
{
    cluster_cell(b[0], b[3], zoom, &r[0], &r[1]);
    cluster_cell(b[2], b[1], zoom, &r[2], &r[3]);
}

uint64_t cluster_box_cells(const double box[4], int zoom)
{
    uint32_t r[4];
    cluster_box_span(box, zoom, r);
    return (uint64_t)(r[2] - r[0] + 1) * (r[3] - r[1] + 1);
}

size_t cluster_lower_bound(const struct ccell *cells, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cells[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int cluster_entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->cat != y->cat)
        return x->cat < y->cat ? -1 : 1;
    return x->src < y->src ? -1 : x->src > y->src;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The lowest zoom above c->zoom at which the WGS-84 box's corners (members) fall in two cells. */
static int expansion_zoom(const struct cluster *c)
{
    uint32_t x0, y0, x1, y1;
    cluster_grid(c->box[0][0], c->box[0][3], &x0, &y0);
    cluster_grid(c->box[0][2], c->box[0][1], &x1, &y1);
    for (int z = c->zoom + 1; z <= CLUSTER_MAX_ZOOM; z++)
        if (x0 >> CELL_SHIFT(z) != x1 >> CELL_SHIFT(z) ||
            y0 >> CELL_SHIFT(z) != y1 >> CELL_SHIFT(z))
            return z;
    return CLUSTER_MAX_ZOOM + 1;
}

void cluster_make(const struct entry *e, size_t n, int zoom, struct cluster *c)
{
    c->zoom = zoom;
    c->x = (uint32_t)e[0].key;
    c->y = (uint32_t)(e[0].key >> 32);
    c->count = 0;
    c->nparts = 0;
    double sum_lon = 0, sum_lat = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ccell *cell = e[i].cell;
        c->parts[c->nparts++] = (struct cluster_part){e[i].cat, cell->count};
        c->count += cell->count;
        sum_lon += cell->sum_lon;
        sum_lat += cell->sum_lat;
        for (int s = 0; s < CLUSTER_NSYS; s++) {
            const double *b = cell->box[s];
            double *o = c->box[s];
            o[0] = i ? fmin(o[0], b[0]) : b[0];
            o[1] = i ? fmin(o[1], b[1]) : b[1];
            o[2] = i ? fmax(o[2], b[2]) : b[2];
            o[3] = i ? fmax(o[3], b[3]) : b[3];
        }
    }
    if (c->count == 1) {
        const struct cpoint *p = e[0].one;
        c->id = p->id;
        c->lon = p->lon;
        c->lat = p->lat;
        c->expansion_zoom = CLUSTER_MAX_ZOOM + 1;
        return;
    }
    c->id = 0;
    c->lon = clamp(sum_lon / c->count, c->box[0][0], c->box[0][2]);
    c->lat = clamp(sum_lat / c->count, c->box[0][1], c->box[0][3]);
    c->expansion_zoom = expansion_zoom(c);
}

enum geod_err cluster_gather_row(const struct cluster_index *ci, int zoom, uint64_t mask,
                                 uint32_t y, uint32_t x0, uint32_t x1, uint32_t src,
                                 struct cluster_scratch *s)
{
    uint64_t lo_key = (uint64_t)y << 32 | x0, hi_key = (uint64_t)y << 32 | x1;
    for (uint32_t k = 0; k < RTREE_MAX_CATEGORIES; k++) {
        const struct ccat *cat = &ci->cat[k];
        if (!(mask >> k & 1) || !cat->ncell[zoom])
            continue;
        const struct ccell *cells = cat->cell[zoom];
        for (size_t i = cluster_lower_bound(cells, cat->ncell[zoom], lo_key);
             i < cat->ncell[zoom] && cells[i].key <= hi_key; i++) {
            if (s->n == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 256;
                struct entry *e = realloc(s->e, cap * sizeof *e);
                if (!e)
                    return GEOD_ENOMEM;
                s->e = e;
                s->cap = cap;
            }
            s->e[s->n++] = (struct entry){cells[i].key, k, src, &cells[i],
                                          cells[i].count == 1 ? &cat->pts[cells[i].first] : NULL};
        }
    }
    return GEOD_OK;
}

enum geod_err cluster_query(const struct cluster_index *ci, const double box[4], int zoom,
                            uint64_t mask, struct cluster_scratch *s, cluster_fn fn, void *udata)
{
    if (!cluster_box_ok(box) || zoom < 0 || zoom > CLUSTER_MAX_ZOOM)
        return GEOD_EINVAL;
    uint32_t r[4];
    cluster_box_span(box, zoom, r);
    struct cluster c;
    for (uint64_t y = r[1]; y <= r[3]; y++) {
        s->n = 0;
        enum geod_err rc = cluster_gather_row(ci, zoom, mask, (uint32_t)y, r[0], r[2], SRC_BASE, s);
        if (rc)
            return rc;
        if (s->n > 1)
            qsort(s->e, s->n, sizeof *s->e, cluster_entry_cmp);
        for (size_t i = 0; i < s->n;) {
            size_t j = i + 1;
            while (j < s->n && s->e[j].key == s->e[i].key)
                j++;
            cluster_make(s->e + i, j - i, zoom, &c);
            if (!fn(udata, &c))
                return GEOD_OK;
            i = j;
        }
    }
    return GEOD_OK;
}

enum geod_err cluster_points(const struct cluster_index *ci, const double box[4], uint64_t mask,
                             cluster_point_fn fn, void *udata)
{
    if (!cluster_box_ok(box))
        return GEOD_EINVAL;
    int zoom = CLUSTER_MAX_ZOOM; /* the finest zoom whose cells over the box are few */
    while (zoom > 0 && cluster_box_cells(box, zoom) > POINTS_SCAN_CELLS)
        zoom--;
    uint32_t r[4];
    cluster_box_span(box, zoom, r);
    for (uint32_t k = 0; k < RTREE_MAX_CATEGORIES; k++) {
        const struct ccat *cat = &ci->cat[k];
        if (!(mask >> k & 1) || !cat->n)
            continue;
        const struct ccell *cells = cat->cell[zoom];
        size_t nc = cat->ncell[zoom];
        for (uint64_t y = r[1]; y <= r[3]; y++) {
            uint64_t hi_key = y << 32 | r[2];
            for (size_t i = cluster_lower_bound(cells, nc, y << 32 | r[0]);
                 i < nc && cells[i].key <= hi_key; i++) {
                const struct cpoint *p = &cat->pts[cells[i].first];
                for (uint32_t j = 0; j < cells[i].count; j++, p++)
                    if (p->lon >= box[0] && p->lon <= box[2] && p->lat >= box[1] &&
                        p->lat <= box[3] && !fn(udata, p->id, p->lon, p->lat))
                        return GEOD_OK;
            }
        }
    }
    return GEOD_OK;
}

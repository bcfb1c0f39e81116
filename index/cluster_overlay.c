/* cluster_overlay.c - map clusters of an index with points added and removed (cluster.h's
 * cluster_overlay), exactly as a rebuilt index would give them, without rebuilding it.
 *
 * The builder (cluster_build.c) makes each category's cell at zoom z from its (up to four)
 * quarters at z + 1 in Morton order: count and sums added left to right, starting from the first
 * quarter's, boxes joined; a cell of the finest zoom sums its members in (Morton code, id)
 * order starting from 0. A floating-point sum depends on that order, so a changed cell is
 * recomputed the same way: a quarter that no added or removed point falls in is the index's own
 * cell (already the builder's sum), a touched one is recomputed in turn, down to the finest
 * zoom, where the index's members (less the removed ones) and the added ones are merged in
 * (Morton code, id) order. A change of one point costs a path of 17 cells and the members of
 * one finest cell, never a scan of a big cell. */
#include "index/cluster_impl.h"

#include <math.h>
#include <stdlib.h>

/* One category's cell as recomputed: its aggregate and its member when it has one. */
struct agg {
    struct ccell c; /* c.count == 0: empty */
    struct cpoint one;
};

static const struct ccell *find_cell(const struct cluster_index *ci, uint32_t k, int z,
                                     uint64_t key)
{
    if (!ci || !ci->cat[k].ncell[z])
        return NULL;
    const struct ccell *cells = ci->cat[k].cell[z];
    size_t n = ci->cat[k].ncell[z], i = cluster_lower_bound(cells, n, key);
    return i < n && cells[i].key == key ? &cells[i] : NULL;
}

static void box_join(double box[CLUSTER_NSYS][4], const double other[CLUSTER_NSYS][4])
{
    for (int s = 0; s < CLUSTER_NSYS; s++) {
        box[s][0] = fmin(box[s][0], other[s][0]);
        box[s][1] = fmin(box[s][1], other[s][1]);
        box[s][2] = fmax(box[s][2], other[s][2]);
        box[s][3] = fmax(box[s][3], other[s][3]);
    }
}

/* a = a then b, as coarser_cells joins quarters. */
static void agg_join(struct agg *a, const struct agg *b)
{
    if (!b->c.count)
        return;
    if (!a->c.count) {
        *a = *b;
        return;
    }
    a->c.count += b->c.count;
    a->c.sum_lon += b->c.sum_lon;
    a->c.sum_lat += b->c.sum_lat;
    box_join(a->c.box, b->c.box);
}

/* The members of a finest cell: the index's (bp[0..nb), less the removed) merged with the
 * added (ap[0..na)), in (Morton code, id) order, summed as finest_cells does. */
static void finest(const struct cluster_overlay *ov, const struct cpoint *bp, size_t nb,
                   const struct cpoint *ap, size_t na, struct agg *out)
{
    out->c.count = 0;
    out->c.sum_lon = out->c.sum_lat = 0;
    size_t i = 0, j = 0;
    while (i < nb || j < na) {
        const struct cpoint *p;
        if (i < nb && ov->removed(ov->udata, bp[i].id)) {
            i++;
            continue;
        }
        if (j == na) {
            p = &bp[i++];
        } else if (i == nb) {
            p = &ap[j++];
        } else {
            uint64_t mb = cluster_morton(bp[i].x, bp[i].y), ma = cluster_morton(ap[j].x, ap[j].y);
            bool base_first = mb != ma ? mb < ma : bp[i].id < ap[j].id;
            p = base_first ? &bp[i++] : &ap[j++];
        }
        double pos[CLUSTER_NSYS][2], one[CLUSTER_NSYS][4];
        cluster_positions(p->lon, p->lat, pos);
        for (int s = 0; s < CLUSTER_NSYS; s++) {
            one[s][0] = one[s][2] = pos[s][0];
            one[s][1] = one[s][3] = pos[s][1];
        }
        if (!out->c.count) {
            for (int s = 0; s < CLUSTER_NSYS; s++)
                for (int e = 0; e < 4; e++)
                    out->c.box[s][e] = one[s][e];
            out->one = *p;
        }
        box_join(out->c.box, one);
        out->c.sum_lon += p->lon;
        out->c.sum_lat += p->lat;
        out->c.count++;
    }
}

/* Category k's cell (x, y) at zoom z of the changed index. */
static void compute(const struct cluster_index *ci, const struct cluster_overlay *ov, uint32_t k,
                    int z, uint32_t x, uint32_t y, struct agg *out)
{
    uint64_t key = (uint64_t)y << 32 | x;
    const struct ccell *bc = find_cell(ci, k, z, key);
    const struct ccell *ac = find_cell(ov->add, k, z, key);
    if (!ac && !find_cell(ov->gone, k, z, key)) { /* untouched */
        out->c.count = 0;
        if (bc) {
            out->c = *bc;
            if (bc->count == 1)
                out->one = ci->cat[k].pts[bc->first];
        }
    } else if (z == CLUSTER_MAX_ZOOM) {
        finest(ov, bc ? &ci->cat[k].pts[bc->first] : NULL, bc ? bc->count : 0,
               ac ? &ov->add->cat[k].pts[ac->first] : NULL, ac ? ac->count : 0, out);
    } else {
        out->c.count = 0;
        for (uint32_t q = 0; q < 4; q++) { /* Morton order: x bit low */
            struct agg part;
            compute(ci, ov, k, z + 1, 2 * x + (q & 1), 2 * y + (q >> 1), &part);
            agg_join(out, &part);
        }
    }
    out->c.key = key;
}

static bool reserve(void **p, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < want)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* Row y's cells of the changed index, by (key, category), into s->m. */
static enum geod_err overlay_row(const struct cluster_index *ci, const struct cluster_overlay *ov,
                                 int zoom, uint64_t mask, uint32_t y, uint32_t x0, uint32_t x1,
                                 struct cluster_scratch *s)
{
    s->n = 0;
    enum geod_err rc = cluster_gather_row(ci, zoom, mask, y, x0, x1, SRC_BASE, s);
    if (!rc && ov->add)
        rc = cluster_gather_row(ov->add, zoom, mask, y, x0, x1, SRC_ADD, s);
    if (!rc && ov->gone)
        rc = cluster_gather_row(ov->gone, zoom, mask, y, x0, x1, SRC_GONE, s);
    if (rc)
        return rc;
    if (s->n > 1)
        qsort(s->e, s->n, sizeof *s->e, cluster_entry_cmp);
    size_t cap1 = s->own_cap, cap2 = s->own_cap;
    if (!reserve((void **)&s->m, &s->mcap, s->n, sizeof *s->m) ||
        !reserve((void **)&s->own, &cap1, s->n, sizeof *s->own) ||
        !reserve((void **)&s->own_one, &cap2, s->n, sizeof *s->own_one))
        return GEOD_ENOMEM;
    s->own_cap = cap1 < cap2 ? cap1 : cap2;
    s->mn = s->own_n = 0;
    for (size_t i = 0; i < s->n;) {
        size_t j = i + 1;
        while (j < s->n && s->e[j].key == s->e[i].key && s->e[j].cat == s->e[i].cat)
            j++;
        if (j == i + 1 && s->e[i].src == SRC_BASE) {
            s->m[s->mn++] = s->e[i];
        } else {
            struct agg a;
            uint64_t key = s->e[i].key;
            compute(ci, ov, s->e[i].cat, zoom, (uint32_t)key, (uint32_t)(key >> 32), &a);
            if (a.c.count) {
                size_t o = s->own_n++;
                s->own[o] = a.c;
                s->own_one[o] = a.one;
                s->m[s->mn++] = (struct entry){key, s->e[i].cat, SRC_ADD, &s->own[o],
                                               a.c.count == 1 ? &s->own_one[o] : NULL};
            }
        }
        i = j;
    }
    return GEOD_OK;
}

enum geod_err cluster_query_overlay(const struct cluster_index *ci,
                                    const struct cluster_overlay *ov, const double box[4], int zoom,
                                    uint64_t mask, struct cluster_scratch *s, cluster_fn fn,
                                    void *udata)
{
    if (!cluster_box_ok(box) || zoom < 0 || zoom > CLUSTER_MAX_ZOOM)
        return GEOD_EINVAL;
    uint32_t r[4];
    cluster_box_span(box, zoom, r);
    struct cluster c;
    for (uint64_t y = r[1]; y <= r[3]; y++) {
        enum geod_err rc = overlay_row(ci, ov, zoom, mask, (uint32_t)y, r[0], r[2], s);
        if (rc)
            return rc;
        for (size_t i = 0; i < s->mn;) {
            size_t j = i + 1;
            while (j < s->mn && s->m[j].key == s->m[i].key)
                j++;
            cluster_make(s->m + i, j - i, zoom, &c);
            if (!fn(udata, &c))
                return GEOD_OK;
            i = j;
        }
    }
    return GEOD_OK;
}

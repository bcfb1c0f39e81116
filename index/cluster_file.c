/* cluster_file.c - the cluster index in a snapshot file (snapshot_file.h): its flat arrays saved
 * as they are and used in place. The one place that knows which arrays the index has: a change
 * of the layout (cluster_impl.h) changes this file and SNAPSHOT_FILE_FORMAT.
 *
 * Sections: struct cluster_index (pointers zeroed), then for every category with points, its
 * points and its cells of each zoom 0..CLUSTER_MAX_ZOOM. */
#include "index/cluster_impl.h"
#include "index/snapshot_file.h"

#include <stdlib.h>
#include <string.h>

void cluster_file_put(const struct cluster_index *c, struct snapshot_file_writer *w)
{
    struct cluster_index h = *c;
    for (int k = 0; k < RTREE_MAX_CATEGORIES; k++) {
        h.cat[k].pts = NULL;
        for (int z = 0; z < NZOOM; z++)
            h.cat[k].cell[z] = NULL;
    }
    h.mapped = false;
    snapshot_file_put_copy(w, &h, sizeof h);
    for (int k = 0; k < RTREE_MAX_CATEGORIES; k++) {
        const struct ccat *cat = &c->cat[k];
        if (!cat->n)
            continue;
        snapshot_file_put(w, cat->pts, cat->n * sizeof *cat->pts);
        for (int z = 0; z < NZOOM; z++)
            snapshot_file_put(w, cat->cell[z], cat->ncell[z] * sizeof **cat->cell);
    }
}

/* A category's arrays: every cell names members inside the points, every point is known. */
static bool cat_ok(const struct ccat *cat, uint8_t k, bool (*known)(void *u, uint32_t id, uint8_t cat),
                   void *u)
{
    for (size_t i = 0; i < cat->n; i++)
        if (!known(u, cat->pts[i].id, k))
            return false;
    for (int z = 0; z < NZOOM; z++)
        for (size_t i = 0; i < cat->ncell[z]; i++) {
            const struct ccell *e = &cat->cell[z][i];
            if (e->count < 1 || e->first >= cat->n || e->count > cat->n - e->first)
                return false;
        }
    return true;
}

enum geod_err cluster_file_take(struct snapshot_file_reader *r, size_t n,
                                bool (*known)(void *u, uint32_t id, uint8_t cat), void *u,
                                struct cluster_index **out)
{
    *out = NULL;
    const struct cluster_index *h = snapshot_file_take(r, sizeof *h);
    if (!h)
        return GEOD_ECORRUPT;
    struct cluster_index *c = calloc(1, sizeof *c);
    if (!c)
        return GEOD_ENOMEM;
    memcpy(c, h, sizeof *c);
    c->mapped = true;
    size_t total = 0;
    bool ok = c->n == n;
    for (int k = 0; k < RTREE_MAX_CATEGORIES; k++) {
        struct ccat *cat = &c->cat[k];
        cat->pts = NULL;
        for (int z = 0; z < NZOOM; z++) {
            cat->cell[z] = NULL;
            /* every point is in one cell per zoom; a category without points has none */
            ok = ok && cat->ncell[z] <= cat->n && (cat->ncell[z] > 0) == (cat->n > 0);
        }
        ok = ok && cat->n <= n - total;
        total += ok ? cat->n : 0;
    }
    ok = ok && total == n;
    for (int k = 0; ok && k < RTREE_MAX_CATEGORIES; k++) {
        struct ccat *cat = &c->cat[k];
        if (!cat->n)
            continue;
        cat->pts = snapshot_file_take(r, cat->n * sizeof *cat->pts);
        for (int z = 0; z < NZOOM; z++)
            cat->cell[z] = snapshot_file_take(r, cat->ncell[z] * sizeof **cat->cell);
        ok = !r->bad && cat_ok(cat, (uint8_t)k, known, u);
    }
    if (!ok) {
        cluster_free(c);
        return GEOD_ECORRUPT;
    }
    *out = c;
    return GEOD_OK;
}

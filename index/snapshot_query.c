/* snapshot_query.c - queries over a snapshot and its delta (snapshot_query.h). Nearest: the
 * base's tree with the hidden ids refused, the delta's tree no farther than the base's k-th,
 * and a merge of the two ordered lists; where two distances are too close for the trees' tolerance
 * to order them, both are taken from geo_inverse, so the merge decides as a brute-force scan would.
 */
#include "index/geodesic.h"
#include "index/snapshot_impl.h"
#include "index/snapshot_query.h"

#include <stdlib.h>

struct snapshot_scratch {
    struct rtree_scratch *rs;
    struct rtree_hit *a, *b; /* [cap]: the base's and the delta's hits */
    size_t cap;
};

enum geod_err snapshot_scratch_new(struct snapshot_scratch **out)
{
    struct snapshot_scratch *s = calloc(1, sizeof *s);
    if (!s || rtree_scratch_new(&s->rs)) {
        free(s);
        *out = NULL;
        return GEOD_ENOMEM;
    }
    *out = s;
    return GEOD_OK;
}

void snapshot_scratch_free(struct snapshot_scratch *s)
{
    if (!s)
        return;
    rtree_scratch_free(s->rs);
    free(s->a);
    free(s->b);
    free(s);
}

static bool reserve(struct snapshot_scratch *s, size_t k)
{
    if (k <= s->cap)
        return true;
    struct rtree_hit *a = realloc(s->a, k * sizeof *a);
    if (a)
        s->a = a;
    struct rtree_hit *b = a ? realloc(s->b, k * sizeof *b) : NULL;
    if (b)
        s->b = b;
    if (!a || !b)
        return false;
    s->cap = k;
    return true;
}

/* The base's filter: not hidden by the delta, and the caller's. */
struct visible {
    const struct snapshot *s;
    const struct rtree_query *q;
};

static bool visible(void *udata, uint32_t id)
{
    const struct visible *v = udata;
    if (snapshot_delta_find(v->s->delta, id) >= 0)
        return false;
    return !v->q->accept || v->q->accept(v->q->udata, id);
}

/* rtree_query.coords of the base's tree (its items are the base's records: the delta's hidden
 * ones too) and of the delta's (its live records). */
static void base_coords(const void *cdata, uint32_t id, double *lon, double *lat)
{
    const struct facility *f = snapshot_base_get(cdata, id);
    *lon = f->lon;
    *lat = f->lat;
}

static void delta_coords(const void *cdata, uint32_t id, double *lon, double *lat)
{
    const struct facility *f = snapshot_get(cdata, id);
    *lon = f->lon;
    *lat = f->lat;
}

/* Does (fa at about da) come before (fb at about db) in the exact order? */
static bool before(const struct rtree_query *q, const struct facility *fa, double da,
                   const struct facility *fb, double db)
{
    if (da + 2 * RTREE_DISTANCE_TOL < db)
        return true;
    if (db + 2 * RTREE_DISTANCE_TOL < da)
        return false;
    double ea = geo_inverse(q->lon, q->lat, fa->lon, fa->lat, NULL);
    double eb = geo_inverse(q->lon, q->lat, fb->lon, fb->lat, NULL);
    return ea != eb ? ea < eb : fa->id < fb->id;
}

enum geod_err snapshot_nearest(const struct snapshot *s, const struct rtree_query *q,
                               struct snapshot_scratch *sc, struct snapshot_hit *out, size_t *n_out)
{
    *n_out = 0;
    if (!reserve(sc, q->k))
        return GEOD_ENOMEM;
    const struct snapshot_delta *d = s->delta;
    size_t na = 0, nb = 0;
    struct rtree_query bq = *q;
    bq.coords = base_coords;
    bq.cdata = s;
    struct visible v = {s, q};
    if (d && d->nhidden) {
        bq.accept = visible;
        bq.udata = &v;
    }
    enum geod_err rc = rtree_nearest(s->tree, &bq, sc->rs, sc->a, &na);
    if (!rc && d && d->tree) {
        /* with k from the base, a delta record farther than the k-th cannot enter the answer:
         * its exact distance is at most the k-th's estimate plus the tolerance */
        struct rtree_query dq = *q;
        dq.coords = delta_coords;
        dq.cdata = s;
        if (na == q->k && sc->a[na - 1].distance_m + 2 * RTREE_DISTANCE_TOL < dq.max_m)
            dq.max_m = sc->a[na - 1].distance_m + 2 * RTREE_DISTANCE_TOL;
        rc = rtree_nearest(d->tree, &dq, sc->rs, sc->b, &nb);
    }
    if (rc)
        return rc;
    size_t i = 0, j = 0, n = 0;
    while (n < q->k && (i < na || j < nb)) {
        const struct facility *fa = i < na ? snapshot_base_get(s, sc->a[i].id) : NULL;
        const struct facility *fb = j < nb ? snapshot_get(s, sc->b[j].id) : NULL;
        if (fa && (!fb || before(q, fa, sc->a[i].distance_m, fb, sc->b[j].distance_m)))
            out[n++] = (struct snapshot_hit){fa, sc->a[i++].distance_m};
        else
            out[n++] = (struct snapshot_hit){fb, sc->b[j++].distance_m};
    }
    *n_out = n;
    return GEOD_OK;
}

static bool hidden(void *udata, uint32_t id)
{
    return snapshot_delta_find(udata, id) >= 0;
}

enum geod_err snapshot_clusters(const struct snapshot *s, const double box[4], int zoom,
                                uint64_t mask, struct cluster_scratch *cs, cluster_fn fn,
                                void *udata)
{
    if (!s->delta)
        return cluster_query(s->clusters, box, zoom, mask, cs, fn, udata);
    struct cluster_overlay ov = {s->delta->add, s->delta->gone, hidden, s->delta};
    return cluster_query_overlay(s->clusters, &ov, box, zoom, mask, cs, fn, udata);
}

struct points {
    const struct snapshot_delta *d;
    cluster_point_fn fn;
    void *udata;
    bool stopped;
};

static bool base_point(void *udata, uint32_t id, double lon, double lat)
{
    struct points *p = udata;
    if (snapshot_delta_find(p->d, id) >= 0)
        return true;
    return (p->stopped = !p->fn(p->udata, id, lon, lat)) == false;
}

enum geod_err snapshot_points(const struct snapshot *s, const double box[4], uint64_t mask,
                              cluster_point_fn fn, void *udata)
{
    if (!s->delta)
        return cluster_points(s->clusters, box, mask, fn, udata);
    struct points p = {s->delta, fn, udata, false};
    enum geod_err rc = cluster_points(s->clusters, box, mask, base_point, &p);
    if (!rc && !p.stopped && s->delta->add)
        rc = cluster_points(s->delta->add, box, mask, fn, udata);
    return rc;
}

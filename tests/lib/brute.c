/* brute.c - the brute-force nearest-neighbour reference (see brute.h). */
#include "tests/lib/brute.h"

#include "index/geodesic.h"

#include <geodesic.h> /* PROJ's */
#include <stdlib.h>

static int by_distance_then_id(const void *a, const void *b)
{
    const struct brute_ref *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

size_t brute_nearest(const struct rtree_item *it, size_t n, const struct rtree_query *q,
                     enum brute_metric metric, struct brute_ref *out)
{
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!((q->cat_mask >> it[i].cat) & 1))
            continue;
        if (q->accept && !q->accept(q->udata, it[i].id))
            continue;
        double d, az1, az2;
        if (metric == BRUTE_PROJ)
            geod_inverse(&g, q->lat, q->lon, it[i].lat, it[i].lon, &d, &az1, &az2);
        else
            d = geo_inverse(q->lon, q->lat, it[i].lon, it[i].lat, NULL);
        if (d > q->max_m)
            continue;
        if (q->has_after && (d < q->after_m || (d == q->after_m && it[i].id <= q->after_id)))
            continue;
        out[m++] = (struct brute_ref){d, it[i].id};
    }
    qsort(out, m, sizeof *out, by_distance_then_id);
    return m;
}

/* brute.h - the brute-force reference of the nearest-neighbour tests (tests/test_rtree.c,
 * tests/test_snapshot.c): every point that passes a query's filters (category mask, accept
 * callback, max_m, the (after_m, after_id) cursor), sorted by (distance, id), measured either
 * with geod's own geo_inverse or with PROJ's geod_inverse, which shares no code with geod. */
#ifndef GEOD_TEST_BRUTE_H
#define GEOD_TEST_BRUTE_H

#include "index/rtree.h"

#include <stddef.h>
#include <stdint.h>

/* One point of the reference answer. */
struct brute_ref {
    double d;    /* metres from the query position */
    uint32_t id; /* the item's id */
};

enum brute_metric {
    BRUTE_GEO_INVERSE, /* index/geodesic.h's geo_inverse: rtree.h's distances are exactly these */
    BRUTE_PROJ,        /* PROJ's geod_inverse on WGS-84: an oracle independent of geod */
};

/* The items of it[0..n) that q accepts (everything but q->k), into out[0..n) by (distance, id);
 * returns how many. */
size_t brute_nearest(const struct rtree_item *it, size_t n, const struct rtree_query *q,
                     enum brute_metric metric, struct brute_ref *out);

#endif

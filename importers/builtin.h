/* builtin.h - loads the built-in Wuhan dataset into a new store: the community and street centre
 * points (GCJ-02) and the clean hospital records (BD-09) from data/wuhan/, converted to WGS-84,
 * and the synthetic facilities generated around them. One transaction: all or nothing. */
#ifndef GEOD_BUILTIN_H
#define GEOD_BUILTIN_H

#include "data/store.h"

#include <stddef.h>

struct builtin_stats {
    size_t street_offices;
    size_t community_centers;
    size_t hospitals;
    size_t hospitals_suspect; /* flagged rows left out */
    size_t synthetic;
};

enum geod_err builtin_load(struct store *s, struct builtin_stats *stats, char *err,
                           size_t errlen);

#endif

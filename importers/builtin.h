/* builtin.h - loads the built-in Wuhan dataset into a new store: the divisions with their
 * boundaries (real for the city and districts, derived for streets and communities), the
 * community and street centre points (GCJ-02) and the clean hospital records (BD-09) from
 * data/wuhan/, converted to WGS-84, and the synthetic facilities generated around them, with a
 * welfare enterprise record for each synthetic welfare_enterprise facility; every facility gets
 * the code of the community (else street, else district) it lies in. One transaction: all or
 * nothing. */
#ifndef GEOD_BUILTIN_H
#define GEOD_BUILTIN_H

#include "data/store.h"

#include <geos_c.h>

#include <stddef.h>

struct builtin_stats {
    size_t divisions;
    size_t boundaries; /* divisions with a boundary (real or derived) */
    size_t street_offices;
    size_t community_centers;
    size_t hospitals;
    size_t hospitals_suspect; /* flagged rows left out */
    size_t synthetic;
    size_t enterprises; /* synthetic welfare enterprises, one per welfare_enterprise facility */
};

enum geod_err builtin_load(struct store *s, struct builtin_stats *stats, char *err,
                           size_t errlen);

/* The divisions part (importers/builtin_divisions.c), inside builtin_load's transaction. */
enum geod_err builtin_load_divisions(struct store *s, GEOSContextHandle_t ctx,
                                     struct builtin_stats *stats, char *err, size_t errlen);

#endif

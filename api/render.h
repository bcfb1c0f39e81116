/* render.h - how a facility appears in every answer, in JSON/msgpack and as a GeoJSON Feature.
 * Positions go out in the requested system; geohash is always of the WGS-84 position. */
#ifndef GEOD_RENDER_H
#define GEOD_RENDER_H

#include "api/enc.h"
#include "index/crs.h"
#include "index/divisions.h"
#include "index/snapshot.h"

#include <stdbool.h>

#define RENDER_LONLAT_DECIMALS 7  /* ~1 cm */
#define RENDER_DISTANCE_DECIMALS 2
#define RENDER_BEARING_DECIMALS 1

/* Distance and bearing from the query, when the answer has a query position. */
struct render_from {
    double distance_m;
    double bearing_deg;
};

/* A facility as a map: id, name, category, category_name, lon, lat, geohash, address, phone,
 * hours, division_code, source, version, and distance_m, bearing_deg when `from` is given. */
void render_facility(struct enc *e, const struct snapshot *s, const struct facility *f,
                     enum crs_id out, const struct render_from *from);

/* The same as a GeoJSON Feature: geometry Point [lon, lat] and the other fields as properties. */
void render_feature(struct enc *e, const struct snapshot *s, const struct facility *f,
                    enum crs_id out, const struct render_from *from);

/* A division: level, code, name, kind, approximate (boundary derived, not surveyed) and center
 * ({lon, lat} in `out`, or null). idx < 0 writes the same keys with nulls: a level that is not
 * known, said as such rather than guessed. */
void render_division(struct enc *e, const struct divisions *t, int32_t idx, enum div_level level,
                     enum crs_id out);

/* The same key/value pairs, RENDER_DIVISION_PAIRS of them, into a map the caller opened. */
#define RENDER_DIVISION_PAIRS 6
void render_division_pairs(struct enc *e, const struct divisions *t, int32_t idx,
                           enum div_level level, enum crs_id out);

/* The distance to print (to the centimetre): d, from the index (within RTREE_DISTANCE_TOL of the
 * geodesic), unless d lies so close to a half centimetre that the exact distance could round
 * the other way; then the exact distance (geod_inverse) from (lon1, lat1) to (lon2, lat2). */
double render_distance(double d, double lon1, double lat1, double lon2, double lat2);

#endif

/* crs_epsg.h - conversions between WGS-84 and any EPSG coordinate system through PROJ, with axes
 * normalized to (east, north) or (lon, lat) whatever the EPSG definition says. Creating a PROJ
 * transformation costs ~0.1 s, so each thread keeps a cache of them; a cache is not shared. */
#ifndef GEOD_CRS_EPSG_H
#define GEOD_CRS_EPSG_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>

#define CRS_EPSG_CACHE 16 /* transformations kept per thread */

struct crs_epsg_cache;

enum geod_err crs_epsg_cache_new(struct crs_epsg_cache **out);
void crs_epsg_cache_free(struct crs_epsg_cache *c);

/* "EPSG:4547" (case-insensitive, 1 to 6 digits) into 4547; GEOD_ECRS otherwise. */
enum geod_err crs_epsg_parse(const char *s, size_t len, int *code);

/* GEOD_ECRS for a code PROJ does not know or cannot reach from WGS-84, or that is not a
 * horizontal system (geographic or projected: heights, earth-centred and compound systems are
 * refused); GEOD_ERANGE when PROJ has
 * no answer (infinity, an error) or the answer is not a longitude/latitude. Positions far outside
 * a projection's zone still get PROJ's finite (and distorted) answer. */
enum geod_err crs_epsg_from_wgs84(struct crs_epsg_cache *c, int epsg, double lon, double lat,
                                  double *x, double *y);
enum geod_err crs_epsg_to_wgs84(struct crs_epsg_cache *c, int epsg, double x, double y, double *lon,
                                double *lat);

/* Whether the system is geographic (degrees) rather than projected (metres); false when
 * unknown. */
bool crs_epsg_is_geographic(struct crs_epsg_cache *c, int epsg);

#endif

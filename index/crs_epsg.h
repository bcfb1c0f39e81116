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

/* The EPSG code of a coordinate system given as WKT (OGC WKT1, ESRI's WKT1 as in a Shapefile's
 * .prj, or WKT2): the EPSG AUTHORITY/ID the WKT itself carries, else the best of PROJ's
 * proj_identify() matches against its EPSG database when its confidence is at least 70 (a tie
 * between two codes at the top is no answer). GEOD_EINVAL when PROJ cannot parse the WKT,
 * GEOD_ECRS when no EPSG system matches well enough, GEOD_ENOMEM. Opens its own PROJ context:
 * meant for once per file, not per position. */
enum geod_err crs_epsg_identify_wkt(const char *wkt, int *epsg);

/* Whether the system is geographic (degrees) rather than projected (metres); false when
 * unknown. */
bool crs_epsg_is_geographic(struct crs_epsg_cache *c, int epsg);

#endif

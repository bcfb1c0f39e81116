/* areas.h - boundaries as the store keeps them: repair of imported polygons, and the approximate
 * street and community areas derived from centre points when no real boundary exists (open data
 * has none): each unit gets the part of its district nearest to its centre, a Voronoi cell
 * clipped to the district, marked `approximate` in the store. Runs when data is built or loaded,
 * with the caller's GEOS context; queries use index/region.h. Every geometry is WGS-84 lon/lat,
 * and every polygonal result is a valid MultiPolygon, the store's column type, possibly empty. */
#ifndef GEOD_AREAS_H
#define GEOD_AREAS_H

#include "index/err.h"

#include <geos_c.h>
#include <stddef.h>

struct areas_site {
    double lon, lat; /* WGS-84 degrees: the unit's centre */
};

/* Cuts `district` (a Polygon or MultiPolygon, repaired first with areas_repair) into the parts
 * nearest to each of sites[0..n): cells[i] receives a new MultiPolygon (the caller destroys it
 * with GEOSGeom_destroy_r) holding the points of the district closer to site i than to any other
 * site of this call. "Closer" is planar after scaling longitude by cos(lat_mid), lat_mid the
 * middle latitude of the repaired district's envelope: within a district that is metres to a
 * fraction of a percent, where raw degrees would stretch every cell 15% north-south.
 * - Sites at the same position share one cell: the first of them in sites[] gets it, the others
 *   an empty MultiPolygon.
 * - A site outside the district gets the part of the district nearest to it, possibly nothing.
 * - The cells cover the district without overlapping (up to rounding at the cuts), share their
 *   Voronoi edges vertex for vertex, and a site inside the district lies inside its own cell.
 * GEOD_EINVAL for NULL arguments, a non-finite site or a district that is not polygonal;
 * GEOD_ENOMEM when memory or GEOS fails (GEOS reports both its allocation failures and its
 * internal robustness errors as a NULL result; with repaired input only the first happen).
 * On any error every cells[i] is NULL. */
enum geod_err areas_derive(GEOSContextHandle_t ctx, const GEOSGeometry *district,
                           const struct areas_site *sites, size_t n, GEOSGeometry **cells);

/* A valid MultiPolygon covering what g covers: GEOSMakeValid_r, then only the polygonal parts
 * (collapsed rings become lines there and are dropped), into *out (a new geometry; g is only
 * read, the caller still owns it). A self-intersecting ring becomes the polygons it encloses
 * (a bowtie: two triangles). GEOD_EINVAL when g is NULL or not a Polygon or MultiPolygon, or has
 * a non-finite coordinate; GEOD_ENOMEM when GEOS fails. */
enum geod_err areas_repair(GEOSContextHandle_t ctx, const GEOSGeometry *g, GEOSGeometry **out);

/* WKB in and out, as SpatiaLite's GeomFromWKB / AsBinary take and give it (2D, little-endian,
 * no SRID). areas_from_wkb: GEOD_EINVAL for bytes that are not WKB. areas_to_wkb: *out is
 * malloc'ed (free() it), *len its size; Z is dropped. Both GEOD_ENOMEM when memory fails. */
enum geod_err areas_from_wkb(GEOSContextHandle_t ctx, const unsigned char *wkb, size_t len,
                             GEOSGeometry **out);
enum geod_err areas_to_wkb(GEOSContextHandle_t ctx, const GEOSGeometry *g, unsigned char **out,
                           size_t *len);

#endif

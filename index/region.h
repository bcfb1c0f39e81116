/* region.h - point-in-polygon for the division levels (city, district, street, community): which
 * polygon of a level contains a point. One index per thread: GEOS 3.11 prepared geometries build
 * their internal indexes lazily and are not thread-safe (libgeos/geos#825, fixed in 3.13), and a
 * GEOS context must not be shared, so every query thread builds its own index from the same
 * immutable WKB held by the published snapshot. It does no I/O and never repairs a polygon.
 * What GEOS 3.11 still shares between contexts is the default GeometryFactory's reference count,
 * changed without atomics whenever a geometry is made or freed (libgeos/geos#847): a race on a
 * counter that only decides whether to free a factory GEOS never frees, so harmless in practice,
 * but a ThreadSanitizer build of GEOS would report it. */
#ifndef GEOD_REGION_H
#define GEOD_REGION_H

#include "index/err.h"

#include <stddef.h>

enum region_level {
    REGION_CITY = 0,
    REGION_DISTRICT = 1,
    REGION_STREET = 2,
    REGION_COMMUNITY = 3,
    REGION_LEVELS = 4,
};

/* One polygon as the snapshot holds it; everything is borrowed for the duration of
 * region_index_new only. */
struct region_src {
    const char *code;         /* division code, NUL-terminated; copied into the index */
    int level;                /* an enum region_level below REGION_LEVELS */
    const unsigned char *wkb; /* Polygon or MultiPolygon, WGS-84 lon/lat; NULL = no boundary */
    size_t wkb_len;           /* bytes at wkb; 0 = no boundary */
};

struct region_index;

/* Builds an index over src[0..n) for the calling thread: its own GEOS context, one prepared
 * geometry per polygon and one STRtree per level, all built here (nothing lazy is left for the
 * first query). Entries with no WKB, or whose polygon is empty, are skipped. GEOD_EINVAL, naming
 * nothing, for a NULL code, a level out of range, or a WKB that does not parse, is not a Polygon
 * or MultiPolygon, or has a non-finite coordinate; GEOD_ENOMEM when memory or GEOS fails. Polygons
 * are expected valid (data/areas.c repairs them on load); that is not checked here, since every
 * thread would pay for it. Duplicate codes are allowed. */
enum geod_err region_index_new(const struct region_src *src, size_t n, struct region_index **out);
void region_index_free(struct region_index *idx); /* NULL is a no-op */

/* The code of the polygon of `level` that contains (lon, lat), WGS-84 degrees, into *code (a
 * string owned by idx, valid until region_index_free), or NULL when none does. Contains is
 * GEOS's (and SpatiaLite's ST_Contains): a point exactly on a polygon's boundary is not inside
 * it. Where polygons of a level overlap, the smallest code in strcmp order wins, so the answer
 * never depends on build order. GEOD_EINVAL for a non-finite coordinate or a level out of range,
 * GEOD_ENOMEM when GEOS fails (*code is NULL then). Allocates one GEOS point per call (~30 ns):
 * GEOS caches a geometry's envelope, and its C API cannot mark a reused point as moved.
 * Not thread-safe: one index per thread. */
enum geod_err region_locate(struct region_index *idx, double lon, double lat, int level,
                            const char **code);

size_t region_index_count(const struct region_index *idx, int level); /* polygons indexed */

/* Approximate heap held by the index, estimated from its vertex and polygon counts (GEOS does
 * not report its memory): within ~10% of glibc's count on the Wuhan data. */
size_t region_index_bytes(const struct region_index *idx);

#endif

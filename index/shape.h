/* shape.h - a boundary (Polygon or MultiPolygon WKB) simplified with GEOS into plain arrays of
 * rings, for drawing: what GET /v1/places/boundaries sends a map as its offline base layer. */
#ifndef GEOD_SHAPE_H
#define GEOD_SHAPE_H

#include "index/err.h"

#include <stddef.h>

/* Polygons of rings of points: polygon p has rings poly_ring[p] .. poly_ring[p+1]-1 (its
 * exterior first), ring r has points ring_pt[r] .. ring_pt[r+1]-1, point i is xy[2i], xy[2i+1]
 * (lon, lat as in the WKB). Rings are closed (first point = last point). */
struct shape {
    size_t npoly, nring, npt;
    size_t *poly_ring; /* [npoly + 1] */
    size_t *ring_pt;   /* [nring + 1] */
    double *xy;        /* [2 * npt] */
};

/* Simplifies the (Multi)Polygon in wkb[0..len) with GEOS's topology-preserving Douglas-Peucker
 * at `tolerance` (in the WKB's units; 0 keeps every point) into *out, which shape_free releases.
 * GEOD_EINVAL for WKB that is not a (Multi)Polygon, GEOD_ENOMEM when memory or GEOS fails.
 * Thread-safe: a GEOS context of its own per call. */
enum geod_err shape_simplify(const unsigned char *wkb, size_t len, double tolerance,
                             struct shape *out);

void shape_free(struct shape *s); /* NULL or a zeroed shape is a no-op */

#endif

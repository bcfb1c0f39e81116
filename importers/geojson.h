/* geojson.h - a reader of GeoJSON (RFC 7946, and the 2008 "crs" member) into GEOS geometries:
 * a FeatureCollection, a single Feature or a bare geometry, each feature handed to a callback
 * with its properties. Every vertex goes through the caller's transform (e.g. GCJ-02 to WGS-84).
 * Malformed input is an error naming the feature and what is wrong; nothing is guessed. */
#ifndef GEOD_GEOJSON_H
#define GEOD_GEOJSON_H

#include "index/err.h"

#include <geos_c.h>
#include <jansson.h>
#include <stddef.h>

#define GEOJSON_MAX_BYTES (256u << 20) /* larger documents are refused */

/* Transforms one vertex in place; a non-zero return rejects the document with that error. */
typedef enum geod_err (*geojson_xy_fn)(void *udata, double *x, double *y);

struct geojson_feature {
    size_t index;       /* 0-based position in the collection */
    json_t *id;         /* the feature's "id", borrowed; NULL when absent */
    json_t *properties; /* borrowed; NULL when absent or null */
    GEOSGeometry *geom; /* NULL for a null geometry; the callback may take it (set it to
                         * NULL), otherwise the reader destroys it after the call */
};

/* Called once per feature, in order; a non-zero return stops reading and is returned. */
typedef enum geod_err (*geojson_feature_fn)(void *udata, struct geojson_feature *f);

struct geojson_error {
    char msg[200];  /* a one-line reason, "" when there was none */
    size_t feature; /* the feature it concerns (0-based), or SIZE_MAX */
};

/* Reads data[0..len). crs_out (may be NULL) receives the document's 2008-style crs name
 * ("urn:ogc:def:crs:EPSG::4547", "EPSG:4326", ...) or "" when it has none. GEOD_EINVAL with
 * err->msg for malformed input, GEOD_ERANGE when too large, GEOD_ENOMEM. */
enum geod_err geojson_read(const char *data, size_t len, GEOSContextHandle_t ctx, geojson_xy_fn xy,
                           void *xy_udata, geojson_feature_fn cb, void *udata, char *crs_out,
                           size_t crs_len, struct geojson_error *err);

#endif

/* geojson.c - GeoJSON to GEOS. The whole document is parsed by jansson (duplicate keys refused),
 * then walked: positions must be arrays of 2 or 3 finite numbers (a third is ignored), linear
 * rings closed with at least 4 positions, line strings at least 2. GeometryCollection is refused
 * (no importer needs one and nothing would know what to do with its mixed parts). */
#include "importers/geojson.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct reader {
    GEOSContextHandle_t ctx;
    geojson_xy_fn xy;
    void *xy_udata;
    struct geojson_error *err;
    size_t feature;
    enum geod_err rc; /* the first error */
};

static GEOSGeometry *fail(struct reader *r, enum geod_err rc, const char *fmt, ...)
{
    if (r->rc == GEOD_OK) {
        r->rc = rc;
        va_list ap;
        va_start(ap, fmt);
        int n = 0;
        if (r->feature != SIZE_MAX)
            n = snprintf(r->err->msg, sizeof r->err->msg, "feature %zu: ", r->feature);
        vsnprintf(r->err->msg + n, sizeof r->err->msg - (size_t)n, fmt, ap);
        va_end(ap);
        r->err->feature = r->feature;
    }
    return NULL;
}

/* A coordinate sequence from an array of positions; min: the fewest allowed; closed: the first
 * and last must be equal. */
static GEOSCoordSequence *positions(struct reader *r, json_t *a, size_t min, int closed,
                                    const char *what)
{
    if (!json_is_array(a)) {
        fail(r, GEOD_EINVAL, "%s: coordinates are not an array", what);
        return NULL;
    }
    size_t n = json_array_size(a);
    if (n < min) {
        fail(r, GEOD_EINVAL, "%s: %zu positions, at least %zu needed", what, n, min);
        return NULL;
    }
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(r->ctx, (unsigned)n, 2);
    if (!seq) {
        fail(r, GEOD_ENOMEM, "out of memory");
        return NULL;
    }
    double x0 = 0, y0 = 0, x = 0, y = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(a, i);
        size_t dims = json_is_array(p) ? json_array_size(p) : 0;
        json_t *jx = dims >= 2 ? json_array_get(p, 0) : NULL;
        json_t *jy = dims >= 2 ? json_array_get(p, 1) : NULL;
        if ((dims != 2 && dims != 3) || !json_is_number(jx) || !json_is_number(jy) ||
            (dims == 3 && !json_is_number(json_array_get(p, 2)))) {
            fail(r, GEOD_EINVAL, "%s: position %zu is not [x, y] or [x, y, z]", what, i);
            goto bad;
        }
        x = json_number_value(jx);
        y = json_number_value(jy);
        if (!isfinite(x) || !isfinite(y)) {
            fail(r, GEOD_EINVAL, "%s: position %zu is not finite", what, i);
            goto bad;
        }
        if (i == 0) {
            x0 = x;
            y0 = y;
        }
        if (r->xy) {
            enum geod_err rc = r->xy(r->xy_udata, &x, &y);
            if (rc) {
                fail(r, rc, "%s: position %zu (%.9g, %.9g) cannot be converted", what, i,
                     json_number_value(jx), json_number_value(jy));
                goto bad;
            }
        }
        GEOSCoordSeq_setXY_r(r->ctx, seq, (unsigned)i, x, y);
    }
    if (closed && (json_number_value(json_array_get(json_array_get(a, n - 1), 0)) != x0 ||
                   json_number_value(json_array_get(json_array_get(a, n - 1), 1)) != y0)) {
        fail(r, GEOD_EINVAL, "%s: the ring is not closed", what);
        goto bad;
    }
    return seq;
bad:
    GEOSCoordSeq_destroy_r(r->ctx, seq);
    return NULL;
}

static GEOSGeometry *polygon(struct reader *r, json_t *rings, const char *what)
{
    if (!json_is_array(rings) || json_array_size(rings) == 0)
        return fail(r, GEOD_EINVAL, "%s: a polygon needs at least one ring", what);
    size_t n = json_array_size(rings);
    GEOSGeometry *shell = NULL, **holes = calloc(n, sizeof *holes);
    if (!holes)
        return fail(r, GEOD_ENOMEM, "out of memory");
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        GEOSCoordSequence *seq = positions(r, json_array_get(rings, i), 4, 1, what);
        GEOSGeometry *ring = seq ? GEOSGeom_createLinearRing_r(r->ctx, seq) : NULL;
        if (!ring) {
            if (seq)
                fail(r, GEOD_EINVAL, "%s: ring %zu is not a linear ring", what, i);
            break;
        }
        if (i == 0)
            shell = ring;
        else
            holes[nh++] = ring;
    }
    GEOSGeometry *g = NULL;
    if (r->rc == GEOD_OK && shell)
        g = GEOSGeom_createPolygon_r(r->ctx, shell, holes, (unsigned)nh);
    if (!g) {
        if (shell)
            GEOSGeom_destroy_r(r->ctx, shell);
        for (size_t i = 0; i < nh; i++)
            GEOSGeom_destroy_r(r->ctx, holes[i]);
    }
    free(holes);
    return g;
}

/* A Multi* geometry from parts made by make(). */
static GEOSGeometry *multi(struct reader *r, json_t *coords, int type,
                           GEOSGeometry *(*make)(struct reader *, json_t *, const char *),
                           const char *what)
{
    if (!json_is_array(coords))
        return fail(r, GEOD_EINVAL, "%s: coordinates are not an array", what);
    size_t n = json_array_size(coords);
    GEOSGeometry **parts = calloc(n ? n : 1, sizeof *parts);
    if (!parts)
        return fail(r, GEOD_ENOMEM, "out of memory");
    size_t k = 0;
    for (; k < n; k++)
        if (!(parts[k] = make(r, json_array_get(coords, k), what)))
            break;
    GEOSGeometry *g = NULL;
    if (k == n)
        g = GEOSGeom_createCollection_r(r->ctx, type, parts, (unsigned)n);
    if (!g)
        for (size_t i = 0; i < k; i++)
            GEOSGeom_destroy_r(r->ctx, parts[i]);
    free(parts);
    return g;
}

static GEOSGeometry *make_point(struct reader *r, json_t *c, const char *what)
{
    if (!json_is_array(c))
        return fail(r, GEOD_EINVAL, "%s: a point's coordinates are not a position", what);
    json_t *wrapped = json_pack("[O]", c); /* positions() reads an array of positions */
    if (!wrapped)
        return fail(r, GEOD_ENOMEM, "out of memory");
    GEOSCoordSequence *seq = positions(r, wrapped, 1, 0, what);
    json_decref(wrapped);
    return seq ? GEOSGeom_createPoint_r(r->ctx, seq) : NULL;
}

static GEOSGeometry *make_line(struct reader *r, json_t *c, const char *what)
{
    GEOSCoordSequence *seq = positions(r, c, 2, 0, what);
    return seq ? GEOSGeom_createLineString_r(r->ctx, seq) : NULL;
}

static GEOSGeometry *make_polygon(struct reader *r, json_t *c, const char *what)
{
    return polygon(r, c, what);
}

static GEOSGeometry *geometry(struct reader *r, json_t *g)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    json_t *c = json_object_get(g, "coordinates");
    if (!json_is_object(g) || !type)
        return fail(r, GEOD_EINVAL, "geometry has no type");
    if (strcmp(type, "Point") == 0)
        return make_point(r, c, type);
    if (strcmp(type, "LineString") == 0)
        return make_line(r, c, type);
    if (strcmp(type, "Polygon") == 0)
        return polygon(r, c, type);
    if (strcmp(type, "MultiPoint") == 0)
        return multi(r, c, GEOS_MULTIPOINT, make_point, type);
    if (strcmp(type, "MultiLineString") == 0)
        return multi(r, c, GEOS_MULTILINESTRING, make_line, type);
    if (strcmp(type, "MultiPolygon") == 0)
        return multi(r, c, GEOS_MULTIPOLYGON, make_polygon, type);
    return fail(r, GEOD_EINVAL, "geometry type %.40s is not supported", type);
}

static enum geod_err feature(struct reader *r, json_t *f, size_t index, geojson_feature_fn cb,
                             void *udata)
{
    r->feature = index;
    const char *type = json_string_value(json_object_get(f, "type"));
    if (!json_is_object(f) || !type || strcmp(type, "Feature") != 0)
        return fail(r, GEOD_EINVAL, "not a Feature"), r->rc;
    json_t *g = json_object_get(f, "geometry");
    if (!g)
        return fail(r, GEOD_EINVAL, "a Feature needs a geometry member (null is allowed)"), r->rc;
    struct geojson_feature out = {.index = index, .id = json_object_get(f, "id")};
    json_t *props = json_object_get(f, "properties");
    out.properties = json_is_object(props) ? props : NULL;
    if (props && !json_is_object(props) && !json_is_null(props))
        return fail(r, GEOD_EINVAL, "properties are neither an object nor null"), r->rc;
    if (!json_is_null(g) && !(out.geom = geometry(r, g)))
        return r->rc ? r->rc : GEOD_EINVAL;
    enum geod_err rc = cb(udata, &out);
    if (out.geom)
        GEOSGeom_destroy_r(r->ctx, out.geom);
    return rc;
}

static void crs_name(json_t *root, char *out, size_t len)
{
    json_t *name =
        json_object_get(json_object_get(json_object_get(root, "crs"), "properties"), "name");
    snprintf(out, len, "%s", json_is_string(name) ? json_string_value(name) : "");
}

enum geod_err geojson_read(const char *data, size_t len, GEOSContextHandle_t ctx, geojson_xy_fn xy,
                           void *xy_udata, geojson_feature_fn cb, void *udata, char *crs_out,
                           size_t crs_len, struct geojson_error *err)
{
    err->msg[0] = '\0';
    err->feature = SIZE_MAX;
    if (crs_out && crs_len)
        crs_out[0] = '\0';
    if (len > GEOJSON_MAX_BYTES) {
        snprintf(err->msg, sizeof err->msg, "document larger than %u bytes", GEOJSON_MAX_BYTES);
        return GEOD_ERANGE;
    }
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        snprintf(err->msg, sizeof err->msg, "not JSON: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return GEOD_EINVAL;
    }
    struct reader r = {.ctx = ctx, .xy = xy, .xy_udata = xy_udata, .err = err, .feature = SIZE_MAX};
    if (crs_out && crs_len)
        crs_name(root, crs_out, crs_len);
    const char *type = json_string_value(json_object_get(root, "type"));
    enum geod_err rc;
    if (!json_is_object(root) || !type) {
        fail(&r, GEOD_EINVAL, "the document is not a GeoJSON object (no type)");
        rc = r.rc;
    } else if (strcmp(type, "FeatureCollection") == 0) {
        json_t *fs = json_object_get(root, "features");
        rc = GEOD_OK;
        if (!json_is_array(fs)) {
            fail(&r, GEOD_EINVAL, "a FeatureCollection needs a features array");
            rc = r.rc;
        }
        for (size_t i = 0; !rc && i < json_array_size(fs); i++)
            rc = feature(&r, json_array_get(fs, i), i, cb, udata);
    } else if (strcmp(type, "Feature") == 0) {
        rc = feature(&r, root, 0, cb, udata);
    } else { /* a bare geometry is a collection of one feature without properties */
        r.feature = 0;
        struct geojson_feature f = {.index = 0, .geom = geometry(&r, root)};
        rc = f.geom ? cb(udata, &f) : (r.rc ? r.rc : GEOD_EINVAL);
        if (f.geom)
            GEOSGeom_destroy_r(ctx, f.geom);
    }
    json_decref(root);
    return rc;
}

/* import_geom.c - a record's position and boundary into WGS-84, checked: numbers that are
 * numbers, degrees in range, a conversion the coordinate system allows, a result inside the
 * region (Wuhan and 50 km around it), a polygon that is valid. */
#include "importers/import_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* x, y in the import's coordinate system to WGS-84. */
static enum geod_err to_wgs84(struct job *j, double x, double y, double *lon, double *lat)
{
    if (j->named_crs)
        return x >= -180 && x <= 180 && y >= -90 && y <= 90
                   ? crs_convert(j->crs, CRS_WGS84, x, y, lon, lat)
                   : GEOD_ERANGE;
    return crs_epsg_to_wgs84(j->proj, j->epsg, x, y, lon, lat);
}

static bool in_region(double lon, double lat)
{
    return lon >= IMPORT_LON_MIN && lon <= IMPORT_LON_MAX && lat >= IMPORT_LAT_MIN &&
           lat <= IMPORT_LAT_MAX;
}

static const char far_away[] = "far outside Wuhan (more than 50 km): swapped axes or a wrong "
                               "coordinate system?";

int import_position(struct job *j, const struct record *r, bool required, double *lon, double *lat)
{
    const struct kind_ops *k = j->k;
    const char *vx = k->lon >= 0 ? import_value(j, r, k->lon) : NULL;
    const char *vy = k->lat >= 0 ? import_value(j, r, k->lat) : NULL;
    const char *fx = k->lon >= 0 ? k->fields[k->lon] : "lon";
    const char *fy = k->lat >= 0 ? k->fields[k->lat] : "lat";
    double x, y;
    if (vx || vy) {
        if (!import_number(vx, &x))
            return import_bad(j, r->where, fx, vx ? "not a number" : "missing"), -1;
        if (!import_number(vy, &y))
            return import_bad(j, r->where, fy, vy ? "not a number" : "missing"), -1;
    } else if (r->has_point) {
        x = r->x;
        y = r->y;
    } else if (!required) {
        return 0;
    } else if (r->area_wkb || r->other_geometry) {
        char why[128];
        snprintf(why, sizeof why, "a %s, not a Point: a %s is a position",
                 r->area_wkb ? "Polygon" : r->other_geometry, k->what);
        return import_bad(j, r->where, "geometry", why), -1;
    } else {
        return import_bad(j, r->where, fx, "missing"), -1;
    }
    if (j->named_crs && !(x >= -180 && x <= 180 && y >= -90 && y <= 90))
        return import_bad(j, r->where, !(y >= -90 && y <= 90) ? fy : fx,
                          "out of range for degrees (swapped with the other?)"),
               -1;
    if (to_wgs84(j, x, y, lon, lat))
        return import_bad(j, r->where, fx, "not a position in the declared coordinate system"), -1;
    if (!in_region(*lon, *lat))
        return import_bad(j, r->where, fx, far_away), -1;
    return 1;
}

struct xy_ctx {
    struct job *j;
    bool failed, outside;
};

static int transform(double *x, double *y, void *udata)
{
    struct xy_ctx *c = udata;
    double lon, lat;
    if (to_wgs84(c->j, *x, *y, &lon, &lat)) {
        c->failed = true;
        return 0;
    }
    c->outside |= !in_region(lon, lat);
    *x = lon;
    *y = lat;
    return 1;
}

int import_area(struct job *j, const struct record *r, struct irow *row, enum geod_err *rc)
{
    *rc = GEOD_OK;
    if (!r->area_wkb)
        return 0;
    if (!j->geos && !(j->geos = GEOS_init_r())) {
        *rc = GEOD_ENOMEM;
        return -1;
    }
    GEOSContextHandle_t h = j->geos;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    GEOSGeometry *g = rd ? GEOSWKBReader_read_r(h, rd, r->area_wkb, r->area_wkb_len) : NULL;
    if (rd)
        GEOSWKBReader_destroy_r(h, rd);
    if (!g)
        return import_bad(j, r->where, "geometry", "not a readable polygon"), -1;
    struct xy_ctx c = {j, false, false};
    GEOSGeometry *w = GEOSGeom_transformXY_r(h, g, transform, &c);
    GEOSGeom_destroy_r(h, g);
    int out = -1;
    if (!w) {
        import_bad(j, r->where, "geometry",
                   c.failed ? "a vertex is not a position in the declared coordinate system"
                            : "cannot be transformed");
        return -1;
    }
    char *reason = NULL;
    if (c.outside) {
        import_bad(j, r->where, "geometry", far_away);
    } else if (GEOSisEmpty_r(h, w)) {
        import_bad(j, r->where, "geometry", "empty");
    } else if (GEOSisValid_r(h, w) != 1) {
        char why[200];
        reason = GEOSisValidReason_r(h, w);
        snprintf(why, sizeof why, "not a valid polygon: %s", reason ? reason : "?");
        import_bad(j, r->where, "geometry", why);
    } else {
        GEOSGeometry *inside = isnan(row->lon) ? GEOSPointOnSurface_r(h, w) : NULL;
        if (inside) { /* a centre for a boundary that comes without one */
            GEOSGeomGetX_r(h, inside, &row->lon);
            GEOSGeomGetY_r(h, inside, &row->lat);
            GEOSGeom_destroy_r(h, inside);
        }
        GEOSGeometry *m = w;
        if (GEOSGeomTypeId_r(h, w) == GEOS_POLYGON) {
            GEOSGeometry *part[1] = {w};
            if ((m = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, part, 1)))
                w = NULL; /* the collection owns it */
        }
        GEOSWKBWriter *wr = m ? GEOSWKBWriter_create_r(h) : NULL;
        size_t len = 0;
        unsigned char *wkb = wr ? GEOSWKBWriter_write_r(h, wr, m, &len) : NULL;
        if (wkb && !(*rc = import_put(j, wkb, len, &row->wkb_off))) {
            row->wkb_len = len;
            out = 1;
        } else if (!*rc) {
            *rc = GEOD_ENOMEM;
        }
        if (wkb)
            GEOSFree_r(h, wkb);
        if (wr)
            GEOSWKBWriter_destroy_r(h, wr);
        if (m && m != w)
            GEOSGeom_destroy_r(h, m);
    }
    if (reason)
        GEOSFree_r(h, reason);
    if (w)
        GEOSGeom_destroy_r(h, w);
    return out;
}

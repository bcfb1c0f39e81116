/* h_convert.c - GET /v1/convert: a position from one coordinate system to another. The named
 * systems (wgs84, gcj02, bd09, cgcs2000) go through index/crs.c; EPSG:n through PROJ, via
 * WGS-84. Geographic answers are degrees (x = lon, y = lat); projected ones metres (x = east,
 * y = north) whatever axis order the EPSG definition has. */
#include "api/params.h"
#include "index/crs_epsg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct system {
    bool named;      /* one of crs.h's */
    enum crs_id crs; /* when named */
    int epsg;        /* otherwise */
};

static bool parse_system(struct api_req *r, const char *param, struct system *out)
{
    const struct query_param *p = query_get(&r->q, param);
    if (!p) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s is required", param);
        api_fail(r, 400, "missing_parameter", msg, param);
        return false;
    }
    *out = (struct system){0};
    if (crs_parse(p->value, p->value_len, &out->crs) == GEOD_OK) {
        out->named = true;
        return true;
    }
    if (crs_epsg_parse(p->value, p->value_len, &out->epsg) == GEOD_OK)
        return true;
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be wgs84, gcj02, bd09, cgcs2000 or EPSG:n", param);
    api_fail(r, 400, "unknown_crs", msg, param);
    return false;
}

/* Whether PROJ can reach the system at all (a transformation to it can be made). */
static bool known(struct api_req *r, const struct system *s, const char *param)
{
    double a, b;
    if (s->named || crs_epsg_from_wgs84(r->th->epsg, s->epsg, 114.3, 30.6, &a, &b) != GEOD_ECRS)
        return true;
    char msg[64];
    snprintf(msg, sizeof msg, "PROJ knows no EPSG:%d", s->epsg);
    api_fail(r, 400, "unknown_crs", msg, param);
    return false;
}

static bool geographic(struct api_req *r, const struct system *s)
{
    return s->named || crs_epsg_is_geographic(r->th->epsg, s->epsg);
}

/* The input coordinate: lon/lat, or x/y (the same thing, named for projected systems). */
static bool read_xy(struct api_req *r, bool geo, double *x, double *y)
{
    bool has_lon = query_get(&r->q, "lon") != NULL, has_x = query_get(&r->q, "x") != NULL;
    const char *nx = has_x || (!has_lon && !geo) ? "x" : "lon";
    const char *ny = has_x || (!has_lon && !geo) ? "y" : "lat";
    if (has_lon && has_x) {
        api_fail(r, 400, "invalid_parameter", "give lon and lat, or x and y, not both", "x");
        return false;
    }
    double lim_x = geo ? 180 : 1e9, lim_y = geo ? 90 : 1e9;
    return params_double(r, nx, -lim_x, lim_x, true, x, NULL) &&
           params_double(r, ny, -lim_y, lim_y, true, y, NULL);
}

void api_h_convert(struct api_req *r)
{
    static const char *const allowed[] = {"lon", "lat", "x", "y", "from", "to", NULL};
    struct system from, to;
    double x, y, lon, lat, ox, oy;
    if (!params_allow(r, allowed) || !parse_system(r, "from", &from) ||
        !parse_system(r, "to", &to) || !known(r, &from, "from") || !known(r, &to, "to") ||
        !read_xy(r, geographic(r, &from), &x, &y))
        return;
    enum geod_err rc = from.named ? crs_convert(from.crs, CRS_WGS84, x, y, &lon, &lat)
                                  : crs_epsg_to_wgs84(r->th->epsg, from.epsg, x, y, &lon, &lat);
    if (!rc)
        rc = to.named ? crs_convert(CRS_WGS84, to.crs, lon, lat, &ox, &oy)
                      : crs_epsg_from_wgs84(r->th->epsg, to.epsg, lon, lat, &ox, &oy);
    if (rc) {
        api_fail(r, 400, "out_of_range", "the position cannot be converted between these systems",
                 "lon");
        return;
    }
    bool geo = geographic(r, &to);
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 5);
    enc_key(e, "from");
    enc_str(e, query_get(&r->q, "from")->value, query_get(&r->q, "from")->value_len);
    enc_key(e, "to");
    enc_str(e, query_get(&r->q, "to")->value, query_get(&r->q, "to")->value_len);
    enc_key(e, "x");
    enc_double(e, ox, geo ? 9 : 4); /* 1e-9 degree ~ 0.1 mm; 0.1 mm */
    enc_key(e, "y");
    enc_double(e, oy, geo ? 9 : 4);
    enc_key(e, "unit");
    enc_cstr(e, geo ? "degree" : "metre");
    enc_end(e);
    api_send(r, 200);
}

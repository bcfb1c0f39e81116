/* render.c - the facility object, written once for every endpoint and format. */
#include "api/render.h"
#include "index/geodesic.h"
#include "index/rtree.h"

#include <math.h>

static void position(const struct facility *f, enum crs_id out, double *lon, double *lat)
{
    /* WGS-84 in range converts without failure to every system we answer in */
    if (crs_convert(CRS_WGS84, out, f->lon, f->lat, lon, lat)) {
        *lon = f->lon;
        *lat = f->lat;
    }
}

static void properties(struct enc *e, const struct snapshot *s, const struct facility *f,
                       const struct render_from *from, bool with_position, double lon,
                       double lat)
{
    enc_map(e, (with_position ? 13 : 11) + (from ? 2 : 0));
    enc_key(e, "id");
    enc_uint(e, f->id);
    enc_key(e, "name");
    enc_cstr(e, f->name);
    enc_key(e, "category");
    enc_cstr(e, s->cats[f->cat].id);
    enc_key(e, "category_name");
    enc_cstr(e, s->cats[f->cat].name_zh);
    if (with_position) {
        enc_key(e, "lon");
        enc_double(e, lon, RENDER_LONLAT_DECIMALS);
        enc_key(e, "lat");
        enc_double(e, lat, RENDER_LONLAT_DECIMALS);
    }
    enc_key(e, "geohash");
    enc_cstr(e, f->geohash);
    enc_key(e, "address");
    enc_cstr(e, f->address);
    enc_key(e, "phone");
    enc_cstr(e, f->phone);
    enc_key(e, "hours");
    enc_cstr(e, f->hours);
    enc_key(e, "division_code");
    enc_cstr(e, f->division_code);
    enc_key(e, "source");
    enc_cstr(e, f->source);
    enc_key(e, "version");
    enc_uint(e, f->version);
    if (from) {
        enc_key(e, "distance_m");
        enc_double(e, from->distance_m, RENDER_DISTANCE_DECIMALS);
        enc_key(e, "bearing_deg");
        /* 359.96 rounds to 360.0, which is north again */
        double b = round(from->bearing_deg * 10.0) / 10.0;
        enc_double(e, b >= 360.0 ? 0.0 : b, RENDER_BEARING_DECIMALS);
    }
    enc_end(e);
}

void render_facility(struct enc *e, const struct snapshot *s, const struct facility *f,
                     enum crs_id out, const struct render_from *from)
{
    double lon, lat;
    position(f, out, &lon, &lat);
    properties(e, s, f, from, true, lon, lat);
}

void render_feature(struct enc *e, const struct snapshot *s, const struct facility *f,
                    enum crs_id out, const struct render_from *from)
{
    double lon, lat;
    position(f, out, &lon, &lat);
    enc_map(e, 4);
    enc_key(e, "type");
    enc_cstr(e, "Feature");
    enc_key(e, "id");
    enc_uint(e, f->id);
    enc_key(e, "geometry");
    enc_map(e, 2);
    enc_key(e, "type");
    enc_cstr(e, "Point");
    enc_key(e, "coordinates");
    enc_array(e, 2);
    enc_double(e, lon, RENDER_LONLAT_DECIMALS);
    enc_double(e, lat, RENDER_LONLAT_DECIMALS);
    enc_end(e);
    enc_end(e);
    enc_key(e, "properties");
    properties(e, s, f, from, false, lon, lat);
    enc_end(e);
}

void render_division(struct enc *e, const struct divisions *t, int32_t idx, enum div_level level,
                     enum crs_id out)
{
    enc_map(e, RENDER_DIVISION_PAIRS);
    render_division_pairs(e, t, idx, level, out);
    enc_end(e);
}

void render_division_pairs(struct enc *e, const struct divisions *t, int32_t idx,
                           enum div_level level, enum crs_id out)
{
    const struct division *d = idx >= 0 ? &t->d[idx] : NULL;
    enc_key(e, "level");
    enc_cstr(e, div_level_name(d ? d->level : level));
    enc_key(e, "code");
    enc_cstr(e, d ? d->code : NULL);
    enc_key(e, "name");
    enc_cstr(e, d ? d->name : NULL);
    enc_key(e, "kind");
    enc_cstr(e, d ? d->kind : NULL);
    enc_key(e, "approximate");
    if (d)
        enc_bool(e, d->approximate);
    else
        enc_null(e);
    enc_key(e, "center");
    double lon, lat;
    if (d && !isnan(d->center_lon) &&
        crs_convert(CRS_WGS84, out, d->center_lon, d->center_lat, &lon, &lat) == GEOD_OK) {
        enc_map(e, 2);
        enc_key(e, "lon");
        enc_double(e, lon, RENDER_LONLAT_DECIMALS);
        enc_key(e, "lat");
        enc_double(e, lat, RENDER_LONLAT_DECIMALS);
        enc_end(e);
    } else {
        enc_null(e);
    }
}

double render_distance(double d, double lon1, double lat1, double lon2, double lat2)
{
    double frac = d * 100.0 - floor(d * 100.0);
    if (fabs(frac - 0.5) <= RTREE_DISTANCE_TOL * 100.0 + 1e-6)
        return geo_inverse(lon1, lat1, lon2, lat2, NULL);
    return d;
}

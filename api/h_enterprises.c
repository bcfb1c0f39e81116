/* h_enterprises.c - GET /v1/enterprises: welfare enterprises (福利企业) by name (Chinese, pinyin
 * or initials, index/names.h), district and position (index/enterprises.h says the orders).
 * Answers {"results":[…],"count":n}, or a FeatureCollection for GeoJSON. */
#include "api/params.h"
#include "api/render.h"
#include "index/enterprises.h"

#include <math.h>
#include <string.h>

#define DEFAULT_LIMIT 20
#define MAX_RADIUS_M 50000
#define DISTRICT_LEN 6 /* a county-level code: 420102 江岸区 */

/* The enterprise's fields (all but its position when with_position is false), and its distance
 * when d is not NAN. */
static void properties(struct enc *e, const struct enterprise *x, bool with_position, double lon,
                       double lat, double d)
{
    enc_map(e, (with_position ? 11 : 9) + (isnan(d) ? 0 : 1));
    enc_key(e, "id");
    enc_uint(e, x->id);
    enc_key(e, "credit_code");
    enc_cstr(e, x->credit_code);
    enc_key(e, "name");
    enc_cstr(e, x->name);
    enc_key(e, "address");
    enc_cstr(e, x->address);
    if (with_position) {
        enc_key(e, "lon");
        enc_double(e, lon, RENDER_LONLAT_DECIMALS);
        enc_key(e, "lat");
        enc_double(e, lat, RENDER_LONLAT_DECIMALS);
    }
    enc_key(e, "district_code");
    enc_cstr(e, x->district_code);
    enc_key(e, "industry");
    enc_cstr(e, x->industry);
    enc_key(e, "disabled_employees");
    if (x->disabled_employees < 0)
        enc_null(e);
    else
        enc_int(e, x->disabled_employees);
    enc_key(e, "certified_on");
    enc_cstr(e, x->certified_on);
    enc_key(e, "source");
    enc_cstr(e, x->source);
    if (!isnan(d)) {
        enc_key(e, "distance_m");
        enc_double(e, d, RENDER_DISTANCE_DECIMALS);
    }
    enc_end(e);
}

static void write_item(struct enc *e, const struct enterprise *x, enum crs_id out, double d,
                       bool geojson)
{
    double lon = x->lon, lat = x->lat;
    /* WGS-84 in range converts without failure to every system we answer in */
    if (crs_convert(CRS_WGS84, out, x->lon, x->lat, &lon, &lat)) {
        lon = x->lon;
        lat = x->lat;
    }
    if (!geojson) {
        properties(e, x, true, lon, lat, d);
        return;
    }
    enc_map(e, 4);
    enc_key(e, "type");
    enc_cstr(e, "Feature");
    enc_key(e, "id");
    enc_uint(e, x->id);
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
    properties(e, x, false, lon, lat, d);
    enc_end(e);
}

/* district=420102: six digits, or absent (*out = NULL). */
static bool district_param(struct api_req *r, const char **out)
{
    const struct query_param *p = query_get(&r->q, "district");
    *out = NULL;
    if (!p)
        return true;
    bool ok = p->value_len == DISTRICT_LEN;
    for (size_t i = 0; ok && i < DISTRICT_LEN; i++)
        ok = p->value[i] >= '0' && p->value[i] <= '9';
    if (!ok) {
        api_fail(r, 400, "invalid_parameter",
                 "district must be a 6-digit county code, such as 420102 for 江岸区", "district");
        return false;
    }
    *out = p->value;
    return true;
}

/* The position (lon and lat, both or neither, with crs and out_crs) and radius. */
static bool position_params(struct api_req *r, struct api_pos *pos, bool *has_pos, double *radius)
{
    bool has_radius;
    *has_pos = query_get(&r->q, "lon") || query_get(&r->q, "lat");
    *radius = INFINITY;
    if (*has_pos ? !params_position(r, pos) : !params_out_crs(r, &pos->out_crs))
        return false;
    if (!params_double(r, "radius", 1, MAX_RADIUS_M, false, radius, &has_radius))
        return false;
    if (has_radius && !*has_pos) {
        api_fail(r, 400, "missing_parameter", "radius needs a position: give lon and lat too",
                 "radius");
        return false;
    }
    return true;
}

void api_h_enterprises(struct api_req *r)
{
    static const char *const allowed[] = {"q",     "district", "lon",     "lat", "radius",
                                          "limit", "crs",      "out_crs", NULL};
    struct api_pos pos = {0};
    struct enterprises_query eq = {0};
    uint64_t limit;
    if (!params_allow(r, allowed) ||
        !params_uint(r, "limit", 1, API_MAX_RESULTS, DEFAULT_LIMIT, false, &limit) ||
        !position_params(r, &pos, &eq.has_pos, &eq.max_m) || !district_param(r, &eq.district))
        return;
    const struct query_param *q = query_get(&r->q, "q");
    if (q) {
        eq.q = q->value;
        eq.qlen = q->value_len;
    }
    eq.lon = pos.lon;
    eq.lat = pos.lat;
    eq.limit = (size_t)limit;
    struct enterprises_hit *hits = h2o_mem_alloc_pool(&r->req->pool, limit * sizeof *hits);
    const struct enterprises *t = r->snap->ent;
    size_t n;
    enum geod_err rc = enterprises_find(t, &eq, r->th->scratch, r->th->hits, hits, &n);
    if (rc == GEOD_ERANGE) {
        api_fail(r, 400, "out_of_range", "q is longer than 64 characters", "q");
        return;
    }
    if (rc == GEOD_EINVAL) {
        api_fail(r, 400, "invalid_parameter",
                 "q must be text: Chinese characters, pinyin or initials", "q");
        return;
    }
    if (rc == GEOD_ENOTFOUND) {
        api_fail(r, 503, "unavailable", "enterprise search has no name index", NULL);
        return;
    }
    if (rc) {
        api_fail(r, 500, "internal", "the search failed", NULL);
        return;
    }
    bool geojson = r->fmt == FMT_GEOJSON;
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, geojson ? 3 : 2);
    if (geojson) {
        enc_key(e, "type");
        enc_cstr(e, "FeatureCollection");
    }
    enc_key(e, geojson ? "features" : "results");
    enc_array(e, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        const struct enterprise *x = &t->e[hits[i].idx];
        double d = eq.has_pos
                       ? render_distance(hits[i].distance_m, pos.lon, pos.lat, x->lon, x->lat)
                       : NAN;
        write_item(e, x, pos.out_crs, d, geojson);
    }
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, n);
    enc_end(e);
    api_send(r, 200);
}

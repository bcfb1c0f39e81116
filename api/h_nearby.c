/* h_nearby.c - GET /v1/nearby (the k nearest) and GET /v1/within (everything within a radius,
 * paged), both exact: ordered by geodesic distance, ties by id. */
#include "api/cursor.h"
#include "api/params.h"
#include "api/render.h"
#include "index/geodesic.h"
#include "index/hours.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define MAX_K 100
#define MAX_RADIUS_M 50000
#define MAX_Q_BYTES 64
#define DEFAULT_LIMIT 100

/* What the optional filters of /v1/nearby need, for the index's accept callback. */
struct filter {
    const struct snapshot *snap;
    const char *q; /* name substring, NUL-terminated, or NULL */
    bool open_now;
    int weekday, minute; /* local time in Wuhan (UTC+8, no daylight saving) */
};

static bool filter_accept(void *udata, uint32_t id)
{
    const struct filter *f = udata;
    const struct facility *fac = snapshot_get(f->snap, id);
    if (!fac)
        return false;
    if (f->q && !strstr(fac->name, f->q))
        return false;
    return !f->open_now || hours_open(fac->hours, f->weekday, f->minute);
}

static void wuhan_now(int *weekday, int *minute)
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    *weekday = (tm.tm_wday + 6) % 7; /* Monday = 0 */
    *minute = tm.tm_hour * 60 + tm.tm_min;
}

/* Writes the results list (and count) of an answer: a FeatureCollection for GeoJSON. */
static void write_results(struct api_req *r, const struct api_pos *pos, size_t n,
                          uint32_t extra_pairs)
{
    struct enc *e = r->th->enc;
    struct geo_origin o;
    geo_origin_init(&o, pos->lon, pos->lat);
    bool geojson = r->fmt == FMT_GEOJSON;
    enc_map(e, (geojson ? 3 : 2) + extra_pairs);
    if (geojson) {
        enc_key(e, "type");
        enc_cstr(e, "FeatureCollection");
    }
    enc_key(e, geojson ? "features" : "results");
    enc_array(e, (uint32_t)n);
    /* the records' strings (name first, the rest after it in the arena), asked for all at
     * once: their cache misses overlap instead of following one another */
    for (size_t i = 0; i < n; i++) {
        __builtin_prefetch(r->th->fhits[i].f->name);
        __builtin_prefetch(r->th->fhits[i].f->name + 64);
    }
    for (size_t i = 0; i < n; i++) {
        const struct snapshot_hit *h = &r->th->fhits[i];
        const struct facility *f = h->f;
        double lon = f->lon, lat = f->lat, xyz[3];
        geo_ecef(lon, lat, xyz);
        struct render_from from = {render_distance(h->distance_m, pos->lon, pos->lat, lon, lat),
                                   geo_bearing(&o, lon, lat, xyz)};
        if (geojson)
            render_feature(e, r->snap, f, pos->out_crs, &from);
        else
            render_facility(e, r->snap, f, pos->out_crs, &from);
    }
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, n);
}

void api_h_nearby(struct api_req *r)
{
    static const char *const allowed[] = {"lon",      "lat",    "crs", "out_crs",  "k",
                                          "category", "radius", "q",   "open_now", NULL};
    struct api_pos pos;
    uint64_t k, mask;
    double radius = INFINITY;
    struct filter filter = {.snap = r->snap};
    if (!params_allow(r, allowed) || !params_position(r, &pos) ||
        !params_uint(r, "k", 1, MAX_K, 10, false, &k) ||
        !params_double(r, "radius", 1, MAX_RADIUS_M, false, &radius, NULL) ||
        !params_categories(r, &mask) || !params_flag(r, "open_now", &filter.open_now))
        return;
    const struct query_param *q = query_get(&r->q, "q");
    char qbuf[MAX_Q_BYTES + 1];
    if (q) {
        if (q->value_len == 0 || q->value_len > MAX_Q_BYTES) {
            api_fail(r, 400, "out_of_range", "q must be 1 to 64 bytes of text", "q");
            return;
        }
        memcpy(qbuf, q->value, q->value_len); /* valid UTF-8 without NUL (query_parse) */
        qbuf[q->value_len] = '\0';
        filter.q = qbuf;
    }
    if (filter.open_now)
        wuhan_now(&filter.weekday, &filter.minute);
    struct rtree_query rq = {
        .lon = pos.lon,
        .lat = pos.lat,
        .k = (uint32_t)k,
        .max_m = radius,
        .cat_mask = mask,
        .accept = filter.q || filter.open_now ? filter_accept : NULL,
        .udata = &filter,
    };
    size_t n;
    if (snapshot_nearest(r->snap, &rq, r->th->near, r->th->fhits, &n)) {
        api_fail(r, 500, "internal", "the search failed", NULL);
        return;
    }
    enc_reset(r->th->enc, api_enc_format(r));
    write_results(r, &pos, n, 0);
    enc_end(r->th->enc);
    api_send(r, 200);
}

void api_h_within(struct api_req *r)
{
    static const char *const allowed[] = {"lon",   "lat",    "crs",      "out_crs", "radius",
                                          "limit", "cursor", "category", NULL};
    struct api_pos pos;
    uint64_t limit, mask;
    double radius;
    if (!params_allow(r, allowed) || !params_position(r, &pos) ||
        !params_double(r, "radius", 1, MAX_RADIUS_M, true, &radius, NULL) ||
        !params_uint(r, "limit", 1, API_MAX_RESULTS, DEFAULT_LIMIT, false, &limit) ||
        !params_categories(r, &mask))
        return;
    uint64_t fp = cursor_fingerprint(pos.lon, pos.lat, radius, mask);
    struct rtree_query rq = {
        .lon = pos.lon,
        .lat = pos.lat,
        .k = (uint32_t)limit + 1, /* one more tells whether another page follows */
        .max_m = radius,
        .cat_mask = mask,
    };
    const struct query_param *cp = query_get(&r->q, "cursor");
    if (cp) {
        struct cursor c;
        if (cursor_decode(cp->value, cp->value_len, &c) || c.query != fp) {
            api_fail(r, 400, "invalid_parameter",
                     "cursor is not a next_cursor of this query (same position, radius and "
                     "categories)",
                     "cursor");
            return;
        }
        rq.has_after = true;
        rq.after_m = c.after_m;
        rq.after_id = c.after_id;
    }
    size_t n;
    if (snapshot_nearest(r->snap, &rq, r->th->near, r->th->fhits, &n)) {
        api_fail(r, 500, "internal", "the search failed", NULL);
        return;
    }
    char next[CURSOR_LEN + 1];
    bool more = n > limit;
    if (more) {
        n = (size_t)limit;
        const struct facility *last = r->th->fhits[n - 1].f;
        struct cursor c = {fp, geo_inverse(pos.lon, pos.lat, last->lon, last->lat, NULL), last->id};
        cursor_encode(&c, next);
    }
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    write_results(r, &pos, n, 1);
    enc_key(e, "next_cursor");
    if (more)
        enc_str(e, next, CURSOR_LEN);
    else
        enc_null(e);
    enc_end(e);
    api_send(r, 200);
}

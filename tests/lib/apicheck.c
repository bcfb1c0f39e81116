/* apicheck.c - helpers of the API tests (see apicheck.h). */
#include "tests/lib/apicheck.h"

#include "tests/lib/mpjson.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((format(printf, 2, 3))) static void say(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, AC_WHY, fmt, ap);
    va_end(ap);
}

/* ---- randomness ---- */

double ac_urand(struct ac_rng *g)
{
    g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(g->s >> 11) / 9007199254740992.0;
}

double ac_nrand(struct ac_rng *g)
{
    double u = ac_urand(g) + 1e-300, v = ac_urand(g);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

uint32_t ac_below(struct ac_rng *g, uint32_t n)
{
    return (uint32_t)(ac_urand(g) * n);
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void ac_position(struct ac_rng *g, const struct oracle *o, struct ac_mix mix, double *lon,
                 double *lat)
{
    int r = (int)ac_below(g, 100);
    const struct oracle_fac *f = &o->fac[ac_below(g, (uint32_t)o->n)];
    if (r < mix.near) {
        *lon = f->lon + ac_nrand(g) * 0.003;
        *lat = f->lat + ac_nrand(g) * 0.003;
    } else if ((r -= mix.near) < mix.at) {
        *lon = f->lon;
        *lat = f->lat;
    } else if ((r -= mix.at) < mix.box) {
        *lon = 113.7 + ac_urand(g) * 1.4;
        *lat = 29.97 + ac_urand(g) * 1.4;
    } else if ((r -= mix.box) < mix.china) {
        *lon = 73 + ac_urand(g) * 62;
        *lat = 18 + ac_urand(g) * 35;
    } else {
        *lon = ac_urand(g) * 360 - 180;
        *lat = asin(ac_urand(g) * 2 - 1) * 180 / M_PI;
    }
    *lon = clamp(*lon, -180, 180);
    *lat = clamp(*lat, -90, 90);
}

double ac_coord_text(struct ac_rng *g, double v, char *buf, size_t len)
{
    static const char *const styles[] = {"%.6f", "%.9f", "%.17g"};
    snprintf(buf, len, styles[ac_below(g, 3)], v);
    return strtod(buf, NULL);
}

void ac_category_filter(struct ac_rng *g, const struct oracle *o, char *buf, size_t len,
                        uint64_t *mask)
{
    static const char *const rare[] = {"marriage_registry", "hospital", "relief_station"};
    double r = ac_urand(g);
    int items = r < 0.6 ? 1 : r < 0.85 ? 2 : 3;
    size_t used = 0;
    *mask = 0;
    buf[0] = '\0';
    for (int i = 0; i < items; i++) {
        const char *id =
            ac_urand(g) < 0.4 ? rare[ac_below(g, 3)] : o->cat_id[ac_below(g, (uint32_t)o->ncat)];
        int c = oracle_category(o, id);
        if (c >= 0)
            *mask |= 1ull << c;
        used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", i ? "," : "", id);
    }
}

void ac_percent_encode(const char *s, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 <= len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("._~-", *p)) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
}

/* ---- answers ---- */

void ac_answer_free(struct ac_answer *a)
{
    http_resp_free(&a->r);
    json_decref(a->json);
    a->json = NULL;
    a->status = 0;
}

bool ac_healthz_ok(struct http_client *c)
{
    struct ac_answer a;
    char why[AC_WHY] = "";
    bool ok = ac_get(c, "/healthz", NULL, &a, why) && a.status == 200 &&
              json_is_string(json_object_get(a.json, "status"));
    ac_answer_free(&a);
    return ok;
}

bool ac_get(struct http_client *c, const char *target, const char *headers, struct ac_answer *a,
            char why[AC_WHY])
{
    memset(a, 0, sizeof *a);
    enum http_err e = http_get(c, target, headers, &a->r);
    if (e) {
        say(why, "GET %.200s: %s: %s", target, http_strerror(e), http_client_error(c));
        return false;
    }
    a->status = a->r.status;
    const char *type = http_header(&a->r, "Content-Type");
    if (a->status >= 500) {
        say(why, "GET %.200s: status %d: %.200s", target, a->status, a->r.body);
        return false;
    }
    if (!type) {
        say(why, "GET %.200s: %d without a Content-Type", target, a->status);
        return false;
    }
    char err[200] = "";
    if (strncmp(type, "application/json", 16) == 0 ||
        strncmp(type, "application/geo+json", 20) == 0) {
        json_error_t je;
        a->json = json_loadb(a->r.body, a->r.body_len, JSON_REJECT_DUPLICATES, &je);
        if (!a->json)
            snprintf(err, sizeof err, "%s at byte %d", je.text, je.position);
    } else if (strcmp(type, "application/msgpack") == 0) {
        a->json = mpjson_from_msgpack(a->r.body, a->r.body_len, err, sizeof err);
    } else {
        snprintf(err, sizeof err, "unexpected Content-Type");
    }
    if (!a->json) {
        say(why, "GET %.200s: %d %s body does not parse: %s", target, a->status, type, err);
        return false;
    }
    return true;
}

bool ac_is_error(const struct ac_answer *a, int status, const char *code, const char *param,
                 char why[AC_WHY])
{
    const char *type = http_header(&a->r, "Content-Type");
    json_t *err = json_object_get(a->json, "error");
    json_t *c = json_object_get(err, "code"), *m = json_object_get(err, "message");
    json_t *p = json_object_get(err, "param");
    if (a->status != status) {
        say(why, "status %d, expected %d: %.200s", a->status, status, a->r.body);
        return false;
    }
    if (!type || strcmp(type, "application/json; charset=utf-8") != 0) {
        say(why, "Content-Type %s", type ? type : "(none)");
        return false;
    }
    if (!json_is_object(a->json) || json_object_size(a->json) != 1 || !json_is_object(err) ||
        json_object_size(err) != 3 || !json_is_string(c) || !json_is_string(m) ||
        !json_string_length(m) || !(json_is_string(p) || json_is_null(p))) {
        say(why, "not an {\"error\":{code,message,param}} body: %.300s", a->r.body);
        return false;
    }
    if (strcmp(json_string_value(c), code) != 0) {
        say(why, "code %s, expected %s", json_string_value(c), code);
        return false;
    }
    if (param ? !json_is_string(p) || strcmp(json_string_value(p), param) != 0 : !json_is_null(p)) {
        say(why, "param %s, expected %s", json_is_string(p) ? json_string_value(p) : "null",
            param ? param : "null");
        return false;
    }
    return true;
}

const char *ac_str(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "";
}

const char *ac_content_type(const struct ac_answer *a)
{
    const char *t = http_header(&a->r, "Content-Type");
    return t ? t : "(none)";
}

bool ac_same_body(const struct ac_answer *a, const struct ac_answer *b)
{
    return a->r.body_len == b->r.body_len && !memcmp(a->r.body, b->r.body, a->r.body_len);
}

/* Checks one page of /v1/within (see ac_follow_pages); true if it is well formed. */
static bool page_ok(const struct ac_answer *a, int page, size_t limit, char why[AC_WHY])
{
    const json_t *res = json_object_get(a->json, "results");
    const json_t *next = json_object_get(a->json, "next_cursor");
    size_t n = json_array_size(res);
    if (a->status != 200)
        say(why, "status %d: %.200s", a->status, a->r.body);
    else if (json_object_size(a->json) != 3 || !json_is_array(res) || !next ||
             json_integer_value(json_object_get(a->json, "count")) != (json_int_t)n)
        say(why, "page %d is not {results, count, next_cursor}", page);
    else if (n > limit || (json_is_string(next) && n != limit) || (n == 0 && page > 1))
        say(why, "page %d has %zu results with limit %zu", page, n, limit);
    else if (!json_is_null(next) && !(json_is_string(next) && json_string_length(next) == 28))
        say(why, "page %d: next_cursor is neither null nor 28 characters", page);
    else
        return true;
    return false;
}

int ac_follow_pages(struct http_client *c, const char *url, size_t limit, json_t *all,
                    char *first_cursor, char why[AC_WHY])
{
    char target[2048];
    snprintf(target, sizeof target, "%s", url);
    if (first_cursor)
        first_cursor[0] = '\0';
    for (int page = 1; page <= 5000; page++) {
        struct ac_answer a;
        if (!ac_get(c, target, NULL, &a, why) || !page_ok(&a, page, limit, why)) {
            ac_answer_free(&a);
            return -1;
        }
        json_array_extend(all, json_object_get(a.json, "results"));
        const char *next = json_string_value(json_object_get(a.json, "next_cursor"));
        if (next && first_cursor && page == 1)
            snprintf(first_cursor, 64, "%s", next);
        if (next)
            snprintf(target, sizeof target, "%s&cursor=%s", url, next);
        ac_answer_free(&a);
        if (!next)
            return page;
    }
    say(why, "more than 5000 pages");
    return -1;
}

/* json_equal, but two absent values are the same too. */
static bool same_or_both_absent(const json_t *a, const json_t *b)
{
    return (!a && !b) || json_equal(a, b);
}

static bool feature_matches(const json_t *r, const json_t *f)
{
    const json_t *g = json_object_get(f, "geometry"), *c = json_object_get(g, "coordinates");
    json_t *props = json_deep_copy(r);
    json_object_del(props, "lon");
    json_object_del(props, "lat");
    bool ok = json_object_size(f) == 4 && !strcmp(ac_str(json_object_get(f, "type")), "Feature") &&
              json_equal(json_object_get(f, "id"), json_object_get(r, "id")) &&
              json_object_size(g) == 2 && !strcmp(ac_str(json_object_get(g, "type")), "Point") &&
              json_array_size(c) == 2 &&
              json_equal(json_array_get(c, 0), json_object_get(r, "lon")) &&
              json_equal(json_array_get(c, 1), json_object_get(r, "lat")) &&
              mpjson_equal(props, json_object_get(f, "properties"), NULL, 0);
    json_decref(props);
    return ok;
}

bool ac_geojson_matches(const json_t *js, const json_t *geo, bool collection, char why[AC_WHY])
{
    if (!collection) {
        if (!feature_matches(js, geo)) {
            say(why, "the Feature differs from the JSON facility");
            return false;
        }
        return true;
    }
    const json_t *items = json_object_get(js, "results"), *feats = json_object_get(geo, "features");
    if (!json_is_array(feats) || json_array_size(feats) != json_array_size(items) ||
        strcmp(ac_str(json_object_get(geo, "type")), "FeatureCollection") ||
        !json_equal(json_object_get(js, "count"), json_object_get(geo, "count")) ||
        !same_or_both_absent(json_object_get(js, "next_cursor"),
                             json_object_get(geo, "next_cursor")) ||
        json_object_size(geo) != json_object_size(js) + 1) {
        say(why, "not the FeatureCollection of the results");
        return false;
    }
    for (size_t i = 0; i < json_array_size(items); i++) {
        if (!feature_matches(json_array_get(items, i), json_array_get(feats, i))) {
            say(why, "feature %zu differs from the JSON result", i);
            return false;
        }
    }
    return true;
}

/* ---- facility objects ---- */

static bool str_or_null_is(const json_t *v, const char *expect)
{
    return expect ? json_is_string(v) && strcmp(json_string_value(v), expect) == 0
                  : json_is_null(v);
}

/* Counts a problem, describing the first. */
#define PROBLEM(...)                                                                               \
    do {                                                                                           \
        if (!problems++)                                                                           \
            say(why, __VA_ARGS__);                                                                 \
    } while (0)

static int check_numbers(const json_t *obj, const struct oracle *o, const struct oracle_fac *f,
                         enum crs_id out, const struct oracle_hit *from, bool props,
                         char why[AC_WHY])
{
    int problems = 0;
    if (!props) {
        double lon = f->lon, lat = f->lat;
        crs_convert(CRS_WGS84, out, f->lon, f->lat, &lon, &lat);
        const json_t *jl = json_object_get(obj, "lon"), *jt = json_object_get(obj, "lat");
        /* the server rounds to 7 decimals: half a unit of the last place, plus float noise */
        if (!json_is_number(jl) || fabs(json_number_value(jl) - lon) > 0.5e-7 + 1e-10 ||
            !json_is_number(jt) || fabs(json_number_value(jt) - lat) > 0.5e-7 + 1e-10)
            PROBLEM("facility %u: lon/lat %.10g,%.10g, expected %.10g,%.10g in %s", f->id,
                    json_number_value(jl), json_number_value(jt), lon, lat, crs_name(out));
    }
    if (from) {
        const json_t *jd = json_object_get(obj, "distance_m");
        const json_t *jb = json_object_get(obj, "bearing_deg");
        double d = json_number_value(jd), b = json_number_value(jb);
        if (!json_is_number(jd) || fabs(d - from->d) > 0.005 + 1e-6)
            PROBLEM("facility %u: distance_m %.6f, exact %.6f", f->id, d, from->d);
        double diff = fabs(b - from->azi);
        diff = diff > 180 ? 360 - diff : diff;
        /* rounded to 0.1 degree; below 1 m the direction means little */
        if (!json_is_number(jb) || !(b >= 0 && b < 360) || (from->d >= 1 && diff > 0.07))
            PROBLEM("facility %u: bearing_deg %.3f, exact azimuth %.4f at %.2f m", f->id, b,
                    from->azi, from->d);
    }
    return problems;
}

int ac_check_facility(const json_t *obj, const struct oracle *o, const struct oracle_fac *f,
                      enum crs_id out, const struct oracle_hit *from, bool props, char why[AC_WHY])
{
    int problems = 0;
    if (!json_is_object(obj)) {
        say(why, "facility %u: not an object", f->id);
        return 1;
    }
    size_t keys = (props ? 11 : 13) + (from ? 2 : 0);
    if (json_object_size(obj) != keys)
        PROBLEM("facility %u: %zu keys, expected %zu", f->id, json_object_size(obj), keys);
    const json_t *id = json_object_get(obj, "id"), *ver = json_object_get(obj, "version");
    if (!json_is_integer(id) || json_integer_value(id) != f->id)
        PROBLEM("facility %u: id is not the integer %u", f->id, f->id);
    if (!json_is_integer(ver) || json_integer_value(ver) != f->version)
        PROBLEM("facility %u: version is not the integer %lld", f->id, (long long)f->version);
    static const char *const text_fields[] = {"name",  "category", "category_name", "address",
                                              "phone", "hours",    "division_code", "source"};
    const char *const expect[] = {f->name,  o->cat_id[f->cat], o->cat_name[f->cat], f->address,
                                  f->phone, f->hours,          f->division_code,    f->source};
    for (size_t i = 0; i < sizeof text_fields / sizeof text_fields[0]; i++) {
        const json_t *v = json_object_get(obj, text_fields[i]);
        if (!str_or_null_is(v, expect[i]))
            PROBLEM("facility %u: %s is %s, expected %s", f->id, text_fields[i],
                    json_is_string(v) ? json_string_value(v)
                    : json_is_null(v) ? "null"
                                      : "(missing or not a string)",
                    expect[i] ? expect[i] : "null");
    }
    char gh[13];
    oracle_geohash(f->lon, f->lat, gh);
    if (!str_or_null_is(json_object_get(obj, "geohash"), gh))
        PROBLEM("facility %u: geohash is not %s", f->id, gh);
    char why2[AC_WHY];
    int more = check_numbers(obj, o, f, out, from, props, why2);
    if (more && !problems)
        memcpy(why, why2, AC_WHY);
    return problems + more;
}

int ac_check_results(const json_t *results, const struct oracle *o, const struct oracle_hit *expect,
                     size_t n, enum crs_id out, char why[AC_WHY])
{
    int problems = 0;
    if (!json_is_array(results)) {
        say(why, "results is not an array");
        return 1;
    }
    if (json_array_size(results) != n)
        PROBLEM("%zu results, expected %zu", json_array_size(results), n);
    size_t m = json_array_size(results) < n ? json_array_size(results) : n;
    for (size_t i = 0; i < m; i++) {
        const json_t *obj = json_array_get(results, i);
        json_int_t id = json_integer_value(json_object_get(obj, "id"));
        if (id != expect[i].f->id) {
            PROBLEM("result %zu is id %lld (%.3f m), expected %u (%.6f m)", i, (long long)id,
                    json_number_value(json_object_get(obj, "distance_m")), expect[i].f->id,
                    expect[i].d);
            continue;
        }
        char why2[AC_WHY];
        int p = ac_check_facility(obj, o, expect[i].f, out, &expect[i], false, why2);
        if (p && !problems)
            snprintf(why, AC_WHY, "result %zu: %.480s", i, why2);
        problems += p;
    }
    return problems;
}

/* ---- q and open_now ---- */

void ac_wuhan_now(int *weekday, int *minute)
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    *weekday = (tm.tm_wday + 6) % 7;
    *minute = tm.tm_hour * 60 + tm.tm_min;
}

/* Every 24/7 facility that passes the other filters, up to the last result (all of them when fewer
 * than k came back) is in the answer. */
static bool always_open_included(const json_t *res, const struct oracle *o,
                                 const struct oracle_hit *ranked, const struct oracle_filter *fl)
{
    size_t k = fl->k;
    size_t n = json_array_size(res);
    double last =
        n ? json_number_value(json_object_get(json_array_get(res, n - 1), "distance_m")) : INFINITY;
    if (n < k)
        last = INFINITY;
    for (size_t i = 0, j = 0; i < o->n && ranked[i].d < last - 0.01; i++) {
        const struct oracle_fac *f = ranked[i].f;
        if (!f->hours || strcmp(f->hours, "24/7") || !(fl->mask >> f->cat & 1) ||
            (fl->q && !strstr(f->name, fl->q)))
            continue;
        for (j = 0; j < n; j++)
            if (json_integer_value(json_object_get(json_array_get(res, j), "id")) ==
                ranked[i].f->id)
                break;
        if (j == n)
            return false;
    }
    return true;
}

bool ac_filters_hold(const json_t *res, const struct oracle *o, const struct oracle_hit *ranked,
                     const struct oracle_filter *fl, char why[AC_WHY])
{
    for (size_t j = 0; j < json_array_size(res); j++) {
        const json_t *r = json_array_get(res, j);
        if ((fl->q && !strstr(ac_str(json_object_get(r, "name")), fl->q)) ||
            (fl->open_now && !json_is_string(json_object_get(r, "hours")))) {
            snprintf(why, AC_WHY, "result %zu breaks the filter", j);
            return false;
        }
    }
    if (fl->open_now && !always_open_included(res, o, ranked, fl)) {
        snprintf(why, AC_WHY, "a 24/7 facility is missing");
        return false;
    }
    return true;
}

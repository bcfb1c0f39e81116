/* test_api_places.c - the place endpoints of a real geod (the sanitized build, $GEOD_BIN) serving
 * a fresh store: /v1/places/reverse, /v1/shake, /v1/places/search, /v1/convert, and the division
 * codes facilities carry. The oracles share no code with geod: SpatiaLite's ST_Contains on the
 * stored polygons and a restatement of index/names.h's rules for Chinese queries
 * (tests/lib/placecheck.h), brute-force nearest facilities by PROJ's geod_inverse
 * (tests/lib/oracle.h), and PROJ's own cs2cs. index/crs.h only turns request positions into the
 * WGS-84 ones geod reads. Each test prints a one-line summary. GEOD_TEST_SEED=N replays another
 * random sequence. */
#include "index/crs.h"
#include "tests/lib/apicheck.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/mpjson.h"
#include "tests/lib/oracle.h"
#include "tests/lib/placecheck.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <signal.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/wait.h>

#define START_MS 60000   /* the start creates the store */
#define REQUEST_MS 10000 /* a request that takes longer fails the test */
#define BOX_W 113.6      /* the box random points come from; the city does not fill it */
#define BOX_E 115.2
#define BOX_S 29.9
#define BOX_N 31.5
#define JIANGAN "420102000000" /* 江岸区 */

static struct geodproc geod;   /* the server every test talks to */
static bool geod_up;           /* it started and the oracles loaded */
static struct oracle orc;      /* its facilities, read with plain SQLite */
static struct pc_oracle pc;    /* its divisions, read with SpatiaLite */
static struct http_client *hc; /* one kept-alive connection to it */
static struct ac_rng rng;      /* every random choice */
static size_t mp_checked;      /* answers also fetched as msgpack (msgpack_matches) */

/* GET on hc; a failed exchange, a 5xx or an unparsable body fails the test. */
static bool get(const char *target, struct ac_answer *a)
{
    char why[AC_WHY];
    bool ok = ac_get(hc, target, NULL, a, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

/* The answer to target must be the error {code, param} with status 400. */
static void expect_error(const char *target, const char *code, const char *param)
{
    struct ac_answer a;
    char why[AC_WHY];
    if (get(target, &a))
        T_CHECKF(ac_is_error(&a, 400, code, param, why), "%s: %s", target, why);
    ac_answer_free(&a);
}

/* url (with a query string) asked with format=msgpack must answer js's value, in fewer bytes. */
static bool msgpack_matches(const char *url, const struct ac_answer *js)
{
    char mp_url[1024], why[AC_WHY] = "";
    struct ac_answer m;
    snprintf(mp_url, sizeof mp_url, "%s&format=msgpack", url);
    bool ok = get(mp_url, &m) && !strcmp(ac_content_type(&m), "application/msgpack") &&
              m.status == js->status && mpjson_equal(js->json, m.json, why, sizeof why);
    T_CHECKF(ok, "%s: msgpack differs from JSON %s", mp_url, why);
    T_CHECKF(!ok || m.r.body_len < js->r.body_len, "%s: msgpack %zu bytes, JSON %zu", mp_url,
             m.r.body_len, js->r.body_len);
    mp_checked += ok;
    ac_answer_free(&m);
    return ok;
}

static double box_lon(void)
{
    return BOX_W + ac_urand(&rng) * (BOX_E - BOX_W);
}

static double box_lat(void)
{
    return BOX_S + ac_urand(&rng) * (BOX_N - BOX_S);
}

/* SpatiaLite's answers at n points into at[n]; every 20th also by the plain query over every row,
 * which must give the same (the boxes only spare parsing polygons). Returns how many were
 * cross-checked. */
static size_t locate_all(const double *lon, const double *lat, size_t n, int32_t (*at)[PC_LEVELS])
{
    char why[PC_WHY];
    bool ok = pc_locate_many(&pc, lon, lat, n, at, why);
    T_CHECKF(ok, "%s", why);
    size_t cross = 0;
    for (size_t i = 0; ok && i < n; i += 20, cross++) {
        int32_t full[PC_LEVELS];
        bool same =
            pc_locate(&pc, lon[i], lat[i], true, full, why) && !memcmp(full, at[i], sizeof full);
        T_CHECKF(same, "(%.17g, %.17g): asked point by point, SpatiaLite answers otherwise", lon[i],
                 lat[i]);
    }
    return cross;
}

/* Points on and near the edges of a level's boundaries (pc_edge_points). */
static size_t edge_points(int level, int edges, struct pc_pt *out)
{
    char why[PC_WHY];
    size_t n = pc_edge_points(&pc, &rng, level, edges, out, why);
    T_CHECKF(n != SIZE_MAX, "%s", why);
    return n == SIZE_MAX ? 0 : n;
}

/* ---- start ---- */

static void test_start(void)
{
    char err[1024], why[PC_WHY];
    double t0 = geodproc_now();
    bool ok = geodproc_start(&geod, NULL, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    if (!ok)
        return;
    double started = geodproc_now() - t0;
    ok = oracle_load(&orc, geod.db, err, sizeof err);
    T_CHECKF(ok, "cannot read the store: %s", err);
    bool pc_ok = ok && pc_open(&pc, geod.db, why);
    T_CHECKF(!ok || pc_ok, "cannot read the divisions with SpatiaLite: %s", why);
    hc = http_client_new(geod.port, true, REQUEST_MS);
    geod_up = pc_ok && hc && orc.n > 1000 && pc.n > 1000;
    T_CHECKF(geod_up, "setup failed (%zu facilities, %zu divisions)", orc.n, pc.n);
    printf("  geod: port %u, %zu facilities, %zu divisions, started in %.1f s\n", geod.port, orc.n,
           pc.n, started);
}

/* ---- /v1/places/reverse ---- */

/* One reverse query: the WGS-84 position geod reads, and how it is sent. */
struct rq {
    double lon, lat;
    char tlon[32], tlat[32]; /* the texts, in crs */
    enum crs_id crs, out;    /* crs= and out_crs=, each said when not WGS-84 */
    int kind;
};

/* The point p sent in c by the texts of crs_convert's answer, which geod reads back as
 * crs_convert does, and answered in out. */
static void request_in(struct rq *q, const struct pc_pt *p, enum crs_id c, enum crs_id out)
{
    double clon = p->lon, clat = p->lat;
    *q = (struct rq){p->lon, p->lat, "", "", c, out, p->kind};
    T_CHECK(crs_convert(CRS_WGS84, c, p->lon, p->lat, &clon, &clat) == GEOD_OK);
    snprintf(q->tlon, sizeof q->tlon, "%.17g", clon);
    snprintf(q->tlat, sizeof q->tlat, "%.17g", clat);
    T_CHECK(crs_convert(c, CRS_WGS84, strtod(q->tlon, NULL), strtod(q->tlat, NULL), &q->lon,
                        &q->lat) == GEOD_OK);
}

/* GETs the reverse chain of q and checks it against `at`, the oracle's answer where geod reads
 * q; now and then also as msgpack. */
static bool reverse_matches(const struct rq *q, const int32_t at[PC_LEVELS], bool msgpack)
{
    char url[512], why[PC_WHY] = "";
    int n = snprintf(url, sizeof url, "/v1/places/reverse?lon=%s&lat=%s", q->tlon, q->tlat);
    if (q->crs != CRS_WGS84)
        n += snprintf(url + n, sizeof url - (size_t)n, "&crs=%s", crs_name(q->crs));
    if (q->out != q->crs)
        snprintf(url + n, sizeof url - (size_t)n, "&out_crs=%s", crs_name(q->out));
    struct ac_answer a;
    bool ok = get(url, &a);
    if (ok && a.status != 200)
        ok = (snprintf(why, sizeof why, "status %d: %.200s", a.status, a.r.body), false);
    else if (ok && json_object_size(a.json) != 1)
        ok = (snprintf(why, sizeof why, "keys other than chain"), false);
    else if (ok)
        ok = pc_check_chain(json_object_get(a.json, "chain"), &pc, at, q->out, why);
    T_CHECKF(ok || !why[0], "%s: %s", url, why);
    if (ok && msgpack)
        ok = msgpack_matches(url, &a);
    ac_answer_free(&a);
    return ok;
}

static void reverse_errors(void)
{
    static const char *const cases[][3] = {
        {"/v1/places/reverse?lat=30.6", "missing_parameter", "lon"},
        {"/v1/places/reverse?lon=114.3&lat=91", "out_of_range", "lat"},
        {"/v1/places/reverse?lon=114.3&lat=30.6&crs=mars", "unknown_crs", "crs"},
        {"/v1/places/reverse?lon=114.3&lat=30.6&level=city", "unknown_parameter", "level"},
        {"/v1/shake?lon=114.3", "missing_parameter", "lat"},
        {"/v1/shake?lon=114.3&lat=30.6&k=5", "unknown_parameter", "k"},
        {"/v1/shake?lon=114.3&lat=30.6&out_crs=bd", "unknown_crs", "out_crs"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i][0], cases[i][1], cases[i][2]);
}

static void test_reverse(void)
{
    static const double far[][2] = {
        {116.4074, 39.9042}, {0, 0},  {180, 0},        {-180, 0},      {179.9999999, 0},
        {-180, -90},         {0, 90}, {121.47, 31.23}, {114.3, -30.6}, {-104.9903, 39.7392},
        {114.3, 90}};
    enum { UNIFORM = 2000, EDGES_CITY = 25, EDGES = 70, CRS = 300 };
    size_t nfar = sizeof far / sizeof far[0], cap = UNIFORM + nfar + 6 * (EDGES_CITY + 3 * EDGES);
    struct pc_pt *p = malloc(cap * sizeof *p);
    struct rq *q = malloc((cap + CRS) * sizeof *q);
    double *lon = malloc((cap + CRS) * sizeof *lon), *lat = malloc((cap + CRS) * sizeof *lat);
    int32_t(*at)[PC_LEVELS] = malloc((cap + CRS) * sizeof *at);
    if (!p || !q || !lon || !lat || !at)
        goto done;
    double t0 = geodproc_now();
    size_t np = 0, kinds[PC_KINDS] = {0}, found[PC_LEVELS] = {0}, outside = 0, holes = 0;
    size_t mismatches = 0, ncrs = 0;
    for (int i = 0; i < UNIFORM; i++)
        p[np++] = (struct pc_pt){box_lon(), box_lat(), PC_UNIFORM};
    for (size_t i = 0; i < nfar; i++)
        p[np++] = (struct pc_pt){far[i][0], far[i][1], PC_FAR};
    np += edge_points(0, EDGES_CITY, p + np);
    for (int l = 1; l < PC_LEVELS; l++)
        np += edge_points(l, EDGES, p + np);
    for (size_t i = 0; i < np; i++) {
        request_in(&q[i], &p[i], CRS_WGS84, CRS_WGS84);
        kinds[p[i].kind]++;
    }
    /* a few hundred more sent in GCJ-02 or BD-09, answered in it, or in another system */
    static const enum crs_id ins[] = {CRS_GCJ02, CRS_BD09, CRS_WGS84, CRS_CGCS2000};
    for (size_t k = 0, i = 0; np && ncrs < CRS && k < 10 * CRS; k++, i = (i + 7) % np)
        if (p[i].kind != PC_FAR) {
            enum crs_id c = ins[ncrs % 4], out = ncrs % 3 ? c : ins[(ncrs + 1) % 4];
            request_in(&q[np + ncrs++], &p[i], c, out);
        }
    size_t nq = np + ncrs;
    for (size_t i = 0; i < nq; i++)
        lon[i] = q[i].lon, lat[i] = q[i].lat;
    size_t cross = locate_all(lon, lat, nq, at);
    for (size_t i = 0; i < nq; i++) {
        outside += at[i][0] < 0;
        for (int l = 0; l < PC_LEVELS; l++) {
            found[l] += at[i][l] >= 0;
            holes += at[i][0] >= 0 && at[i][l] < 0;
        }
        mismatches += !reverse_matches(&q[i], at[i], i % 25 == 0);
    }
    reverse_errors();
    T_CHECKF(np >= 3000 && np - kinds[PC_UNIFORM] - kinds[PC_FAR] >= 1000 && ncrs == CRS,
             "only %zu points, %zu in other systems", np, ncrs);
    printf("  reverse: %zu points (%zu uniform, %zu far; on/near boundaries %zu vertices %zu "
           "midpoints %zu at 1e-9 %zu at 1e-7) and %zu more with crs/out_crs: %zu outside "
           "the city; found city %zu district %zu street %zu community %zu, %zu null levels "
           "inside; %zu cross-checked point by point; %zu mismatches, %.1f s\n",
           np, kinds[PC_UNIFORM], kinds[PC_FAR], kinds[PC_VERTEX], kinds[PC_MIDPOINT],
           kinds[PC_OFF9], kinds[PC_OFF7], ncrs, outside, found[0], found[1], found[2], found[3],
           holes, cross, mismatches, geodproc_now() - t0);
done:
    free(p);
    free(q);
    free(lon);
    free(lat);
    free(at);
}

/* ---- /v1/shake ---- */

/* The expected shake answer at (lon, lat), WGS-84 (nearby community centres only, unless full). */
static bool shake_oracle(double lon, double lat, bool full, struct pc_shake *x)
{
    char why[PC_WHY];
    bool ok = pc_shake_expect(&pc, &orc, lon, lat, full, x, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

/* GETs /v1/shake?params and checks it against x, and that its place is the reverse chain of the
 * same parameters; with msgpack, also in that format. */
static bool shake_matches(const char *params, const struct pc_shake *x, double lon, double lat,
                          enum crs_id out, bool msgpack)
{
    char url[512], why[AC_WHY] = "";
    struct ac_answer a, rev;
    memset(&rev, 0, sizeof rev);
    snprintf(url, sizeof url, "/v1/shake?%s", params);
    bool ok = get(url, &a);
    if (ok && a.status != 200)
        ok = (snprintf(why, sizeof why, "status %d: %.200s", a.status, a.r.body), false);
    else if (ok)
        ok = pc_check_shake(a.json, &pc, &orc, x, lon, lat, out, why);
    T_CHECKF(ok || !why[0], "%s: %s", url, why);
    snprintf(url, sizeof url, "/v1/places/reverse?%s", params);
    if (ok) {
        ok = get(url, &rev) &&
             json_equal(json_object_get(rev.json, "chain"), json_object_get(a.json, "place"));
        T_CHECKF(ok || !rev.json, "%s: not the place of /v1/shake?%s", url, params);
    }
    ac_answer_free(&rev);
    snprintf(url, sizeof url, "/v1/shake?%s", params);
    if (ok && msgpack)
        ok = msgpack_matches(url, &a);
    ac_answer_free(&a);
    return ok;
}

/* The next shake position: uniform over the box, near (or exactly at) a community centre, on or
 * near a community boundary, or far away; some sent in GCJ-02 or BD-09, answered in it or in
 * another system (*out). */
static void shake_position(size_t i, const struct pc_pt *edge, size_t nedge, double *lon,
                           double *lat, enum crs_id *c, enum crs_id *out)
{
    static const double far[][2] = {{116.4074, 39.9042}, {0, 0}, {180, 0}, {-104.99, 39.74}};
    int cc = oracle_category(&orc, "community_center");
    const struct oracle_fac *f = &orc.fac[ac_below(&rng, (uint32_t)orc.n)];
    *c = i % 20 == 19 ? (i % 40 == 19 ? CRS_BD09 : CRS_GCJ02) : CRS_WGS84;
    *out = i % 20 == 9 ? (i % 40 == 9 ? CRS_GCJ02 : CRS_BD09) : *c;
    if (i < 4) {
        *lon = far[i][0], *lat = far[i][1], *c = *out = CRS_WGS84;
    } else if (i % 3 == 0) {
        *lon = box_lon(), *lat = box_lat();
    } else if (i % 3 == 1 || !nedge) {
        while (f->cat != cc)
            f = &orc.fac[ac_below(&rng, (uint32_t)orc.n)];
        bool at = i % 9 == 4 && *c == CRS_WGS84;
        *lon = f->lon + (at ? 0 : ac_nrand(&rng) * 0.005);
        *lat = f->lat + (at ? 0 : ac_nrand(&rng) * 0.005);
    } else {
        *lon = edge[i % nedge].lon, *lat = edge[i % nedge].lat;
    }
}

static void test_shake(void)
{
    enum { POINTS = 540, WANT_OTHER = 20 };
    struct pc_pt *edge = malloc(6 * 30 * sizeof *edge);
    struct pc_shake *x = malloc(sizeof *x);
    double t0 = geodproc_now();
    size_t nedge = edge ? edge_points(3, 30, edge) : 0, points = 0, mismatches = 0, other = 0;
    size_t with_resp = 0, no_resp = 0, tried = 0, ncrs = 0, mp0 = mp_checked, found = 0;
    for (size_t i = 0; x && i < POINTS; i++) {
        double lon, lat, clon, clat;
        enum crs_id c, out;
        char params[160];
        shake_position(i, edge, nedge, &lon, &lat, &c, &out);
        T_CHECK(crs_convert(CRS_WGS84, c, lon, lat, &clon, &clat) == GEOD_OK);
        int m = snprintf(params, sizeof params, "lon=%.17g&lat=%.17g%s%s", clon, clat,
                         c ? "&crs=" : "", c ? crs_name(c) : "");
        if (out != c)
            snprintf(params + m, sizeof params - (size_t)m, "&out_crs=%s", crs_name(out));
        T_CHECK(crs_convert(c, CRS_WGS84, clon, clat, &lon, &lat) == GEOD_OK); /* as geod does */
        ncrs += c != CRS_WGS84 || out != c;
        if (!shake_oracle(lon, lat, true, x))
            continue;
        points++;
        other += pc_other_nearer(x);
        with_resp += x->resp != 0;
        no_resp += x->at[3] >= 0 && !x->resp;
        mismatches += !shake_matches(params, x, lon, lat, out, i % 4 == 0);
    }
    /* searched for: places where the geometry makes another centre responsible than the nearest */
    while (x && found < WANT_OTHER && tried < 20000) {
        double lon = box_lon(), lat = box_lat();
        tried++;
        if (!shake_oracle(lon, lat, false, x) || !pc_other_nearer(x) ||
            !shake_oracle(lon, lat, true, x))
            continue;
        char params[128];
        snprintf(params, sizeof params, "lon=%.17g&lat=%.17g", lon, lat);
        mismatches += !shake_matches(params, x, lon, lat, CRS_WGS84, found % 2 == 0);
        found++;
    }
    T_CHECKF(found >= WANT_OTHER, "only %zu places where the nearest centre is not responsible",
             found);
    printf("  shake: %zu points (%zu with crs/out_crs), %zu with a responsible centre, %zu in "
           "a community without one, %zu where the nearest centre is not the responsible one; "
           "%zu more such places found in %zu random tries; %zu answers also as msgpack (equal, "
           "smaller); %zu mismatches, %.1f s\n",
           points, ncrs, with_resp, no_resp, other, found, tried, mp_checked - mp0, mismatches,
           geodproc_now() - t0);
    free(edge);
    free(x);
}

/* ---- the facilities' division codes ---- */

/* Every facility's division_code is its own code (source adcode, when that code is a division),
 * or that of the smallest division SpatiaLite finds at its position; and the API says so. */
static void test_facility_divisions(void)
{
    double t0 = geodproc_now();
    size_t cap = orc.n + 1, own = 0, level[PC_LEVELS] = {0}, none = 0, wrong = 0, api = 0;
    struct pc_frow *r = malloc(cap * sizeof *r);
    double *lon = malloc(cap * sizeof *lon), *lat = malloc(cap * sizeof *lat);
    int32_t(*at)[PC_LEVELS] = malloc(cap * sizeof *at);
    char why[PC_WHY] = "";
    size_t n = r && lon && lat && at ? pc_facility_rows(&pc, r, lon, lat, cap, why) : 0;
    T_CHECKF(n == orc.n && n > 0, "%zu facility rows, %zu live %s", n, orc.n, why);
    size_t cross = n ? locate_all(lon, lat, n, at) : 0;
    for (size_t i = 0; i < n; i++) {
        int32_t want = -1;
        bool is_own = !strcmp(r[i].source, "adcode") && (want = pc_find(&pc, r[i].key)) >= 0;
        if (!is_own)
            want = pc_smallest(at[i]);
        const char *expect = want >= 0 ? pc.d[want].code : NULL;
        bool ok = expect ? r[i].has_code && !strcmp(r[i].code, expect) : !r[i].has_code;
        T_CHECKF(ok, "facility %u (%s %s): division_code %s, expected %s (%s)", r[i].id,
                 r[i].source, r[i].key, r[i].has_code ? r[i].code : "NULL",
                 expect ? expect : "NULL", is_own ? "its own code" : "where it lies");
        wrong += !ok;
        own += is_own;
        if (want >= 0)
            level[pc.d[want].level]++;
        else
            none++;
        if (i % 10 == 0) { /* and as the API answers it */
            char url[64];
            struct ac_answer a;
            snprintf(url, sizeof url, "/v1/facilities/%u", r[i].id);
            const json_t *dc = get(url, &a) ? json_object_get(a.json, "division_code") : NULL;
            T_CHECKF(!a.json || (a.status == 200 &&
                                 (expect ? !strcmp(ac_str(dc), expect) : json_is_null(dc))),
                     "%s: division_code %s, expected %s", url, ac_str(dc),
                     expect ? expect : "null");
            api += dc != NULL;
            ac_answer_free(&a);
        }
    }
    printf("  facility divisions: %zu facilities, %zu by their own code, the rest where they lie "
           "(%zu cross-checked point by point); codes per level: community %zu, street %zu, "
           "district %zu, city %zu, none %zu; %zu wrong; %zu checked through /v1/facilities, "
           "%.1f s\n",
           n, own, cross, level[3], level[2], level[1], level[0], none, wrong, api,
           geodproc_now() - t0);
    free(r);
    free(lon);
    free(lat);
    free(at);
}

/* ---- /v1/places/search ---- */

/* GETs /v1/places/search?params and checks what every answer must be (pc_check_search); the
 * answer (every 10th also as msgpack), or NULL (reported). */
static json_t *search(const char *params, unsigned mask, int32_t parent, size_t limit,
                      enum crs_id out)
{
    static unsigned calls;
    char url[1024], why[PC_WHY] = "";
    snprintf(url, sizeof url, "/v1/places/search?%s", params);
    struct ac_answer a;
    bool ok = get(url, &a);
    if (ok && a.status != 200)
        ok = (snprintf(why, sizeof why, "status %d: %.200s", a.status, a.r.body), false);
    else if (ok)
        ok = pc_check_search(a.json, &pc, mask, parent, limit, out, why);
    T_CHECKF(ok || !why[0], "%s: %s", url, why);
    if (ok && calls++ % 10 == 0)
        msgpack_matches(url, &a);
    json_t *js = ok ? json_incref(a.json) : NULL;
    ac_answer_free(&a);
    return js;
}

/* The query q (UTF-8, Chinese characters) against the restated rules: the same divisions in the
 * same order with the same classes, all found as hanzi. */
static bool search_hanzi(const char *q, unsigned mask, int32_t parent, size_t limit, bool say_limit,
                         struct pc_hit *hits, size_t *results)
{
    char enc[512], params[1024], lv[64] = "";
    ac_percent_encode(q, enc, sizeof enc);
    for (int l = 0, m = 0; mask != 0xF && l < PC_LEVELS; l++)
        if (mask >> l & 1)
            m += snprintf(lv + m, sizeof lv - (size_t)m, "%s%s", m ? "," : "", pc_level_names[l]);
    int m = snprintf(params, sizeof params, "q=%s%s%s%s%s", enc, lv[0] ? "&level=" : "", lv,
                     parent >= 0 ? "&parent=" : "", parent >= 0 ? pc.d[parent].code : "");
    if (say_limit)
        snprintf(params + m, sizeof params - (size_t)m, "&limit=%zu", limit);
    json_t *js = search(params, mask, parent, limit, CRS_WGS84);
    if (!js)
        return false;
    size_t n = pc_search_hanzi(&pc, q, mask, parent, limit, hits);
    const json_t *res = json_object_get(js, "results");
    bool ok = json_array_size(res) == n;
    T_CHECKF(ok, "search %s: %zu results, expected %zu", params, json_array_size(res), n);
    for (size_t i = 0; ok && i < n; i++) {
        const json_t *r = json_array_get(res, i);
        ok = !strcmp(ac_str(json_object_get(r, "code")), pc.d[hits[i].idx].code) &&
             !strcmp(ac_str(json_object_get(r, "match")), pc_class_names[hits[i].cls]) &&
             !strcmp(ac_str(json_object_get(r, "how")), "hanzi");
        T_CHECKF(ok, "search %s: result %zu is %s %s %s, expected %s %s %s", params, i,
                 ac_str(json_object_get(r, "code")), ac_str(json_object_get(r, "name")),
                 ac_str(json_object_get(r, "match")), pc.d[hits[i].idx].code,
                 pc.d[hits[i].idx].name, pc_class_names[hits[i].cls]);
    }
    *results += n;
    json_decref(js);
    return ok;
}

/* Random runs of Chinese characters out of division names, with random level and parent filters
 * and limits, against the restated rules. */
static size_t search_random_hanzi(struct pc_hit *hits, size_t *results, size_t *mismatches)
{
    size_t queries = 0;
    while (queries < 300) {
        const struct pc_div *d = &pc.d[ac_below(&rng, (uint32_t)pc.n)];
        size_t at = ac_below(&rng, (uint32_t)d->ncp), len = 0, want = 1 + ac_below(&rng, 4);
        while (len < want && at + len < d->ncp && pc_is_han(d->cp[at + len]))
            len++;
        if (!len)
            continue;
        char q[64];
        pc_utf8_encode(d->cp + at, len, q);
        unsigned mask = ac_below(&rng, 10) < 3 ? 1 + ac_below(&rng, 15) : 0xF;
        int32_t parent = -1;
        if (ac_below(&rng, 4) == 0) /* one of its ancestors, or 江岸区 */
            for (parent = (int32_t)(d - pc.d); parent >= 0 && ac_below(&rng, 2);)
                parent = pc.d[parent].parent;
        if (parent == (int32_t)(d - pc.d))
            parent = pc_find(&pc, JIANGAN);
        bool say_limit = ac_below(&rng, 2);
        size_t limit = say_limit ? 1 + ac_below(&rng, 100) : 20;
        *mismatches += !search_hanzi(q, mask, parent, limit, say_limit, hits, results);
        queries++;
    }
    return queries;
}

/* The pinyin of the Chinese name of d as the API spells it (found by its name), into out. */
static bool pinyin_of(const struct pc_div *d, const char *filter, char *out, size_t len)
{
    char enc[256], params[512];
    int32_t district = (int32_t)(d - pc.d), pos;
    while (district >= 0 && pc.d[district].level > 1)
        district = pc.d[district].parent;
    ac_percent_encode(d->name, enc, sizeof enc);
    snprintf(params, sizeof params, "q=%s%s", enc, filter);
    json_t *js = search(params, 1u << d->level, d->level > 1 ? district : -1, 100, CRS_WGS84);
    const json_t *r = js ? pc_find_result(js, d->name, &pos) : NULL;
    T_CHECKF(!js || (r && !strcmp(ac_str(json_object_get(r, "match")), "exact")),
             "%s: not found as EXACT by its name", params);
    snprintf(out, len, "%s", r ? ac_str(json_object_get(r, "pinyin")) : "");
    json_decref(js);
    return out[0] != '\0';
}

/* Divisions of Chinese names found by their own pinyin (as the API spells it: without spaces, with
 * them, upper case) and its initials, level and district filters narrowing the field. */
static size_t search_pinyin_property(size_t *mismatches, size_t *crowded)
{
    size_t queries = 0;
    for (int tries = 0; tries < 2000 && queries < 360; tries++) {
        const struct pc_div *d = &pc.d[ac_below(&rng, (uint32_t)pc.n)];
        bool han = d->ncp >= 2 && d->ncp <= 12;
        for (size_t i = 0; han && i < d->ncp; i++)
            han = pc_is_han(d->cp[i]);
        int32_t district = (int32_t)(d - pc.d);
        while (district >= 0 && pc.d[district].level > 1)
            district = pc.d[district].parent;
        char enc[256], params[512], filt[128], py[256], flat[256], ini[64], up[256];
        bool below = d->level > 1 && district >= 0;
        snprintf(filt, sizeof filt, "&level=%s&limit=100%s%s", pc_level_names[d->level],
                 below ? "&parent=" : "", below ? pc.d[district].code : "");
        if (!han || !pinyin_of(d, filt, py, sizeof py))
            continue;
        size_t nf = 0, ni = 0, i = 0;
        for (; py[i]; i++) {
            flat[nf] = py[i];
            nf += py[i] != ' ';
            if (py[i] != ' ' && (i == 0 || py[i - 1] == ' ') && ni < sizeof ini - 1)
                ini[ni++] = py[i];
            up[i] = py[i] >= 'a' && py[i] <= 'z' ? (char)(py[i] - 32) : py[i];
        }
        flat[nf] = ini[ni] = up[i] = '\0';
        const char *const variants[] = {flat, py, up, ini};
        for (int v = 0; v < 4; v++, queries++) {
            int pos;
            ac_percent_encode(variants[v], enc, sizeof enc);
            snprintf(params, sizeof params, "q=%s%s", enc, filt);
            json_t *js = search(params, 1u << d->level, below ? district : -1, 100, CRS_WGS84);
            bool ok = js && pc_exact_or_crowded(js, d->code, 100);
            const json_t *r = js ? pc_find_result(js, d->name, &pos) : NULL;
            *crowded += ok && !r;
            T_CHECKF(!js || ok, "%s (%s): %s is not among the EXACT results", params, variants[v],
                     d->name);
            T_CHECKF(!r || v == 3 || !strcmp(ac_str(json_object_get(r, "how")), "pinyin"),
                     "%s: how %s", params, ac_str(json_object_get(r, "how")));
            *mismatches += js && !ok;
            json_decref(js);
        }
    }
    return queries;
}

struct named_case {
    const char *q;     /* UTF-8, percent-encoded here */
    const char *name;  /* the division expected among the EXACT results */
    const char *how;   /* found so */
    bool first;        /* and first of all */
    const char *extra; /* more parameters */
};

static const struct named_case named_cases[] = {
    {"江汉", "江汉区", "hanzi", true, ""},
    {"江汉区", "江汉区", "hanzi", true, ""},
    {"  江汉  ", "江汉区", "hanzi", true, ""},
    {"jiang han", "江汉区", "pinyin", true, ""},
    {"JiangHan", "江汉区", "pinyin", true, ""},
    {"jianghanqu", "江汉区", "pinyin", true, ""},
    {"jiāng hàn", "江汉区", "pinyin", true, ""},
    {"jiang1han4", "江汉区", "pinyin", true, ""},
    {"jiang'han", "江汉区", "pinyin", true, ""},
    {"ＪＩＡＮＧＨＡＮ", "江汉区", "pinyin", true, ""},
    {"jhq", "江汉区", "initials", false, ""},
    {"JHQ", "江汉区", "initials", false, ""},
    {"jh", "江汉区", "initials", false, "&level=district"},
    {"江han", "江汉区", "mixed", true, ""},
    {"jiang汉", "江汉区", "mixed", true, ""},
    {"黄陂", "黄陂区", "hanzi", true, ""},
    {"huangpi", "黄陂区", "pinyin", true, ""},
    {"huang pi", "黄陂区", "pinyin", true, ""},
    {"huángpí", "黄陂区", "pinyin", true, ""},
    {"hp", "黄陂区", "initials", false, "&level=district"},
    {"沌口", "沌口街道", "hanzi", true, ""},
    {"zhuankou", "沌口街道", "pinyin", true, ""},
    {"zhuan kou", "沌口街道", "pinyin", true, ""},
    {"奓山", "奓山街道", "hanzi", true, "&level=street"},
    {"zhashan", "奓山街道", "pinyin", true, ""},
    {"zha shan", "奓山街道", "pinyin", true, "&level=street"},
    {"wuchang", "武昌区", "pinyin", true, "&level=district"},
};

/* The override names spell as data/wuhan/pinyin_overrides.csv says. */
static const char *const override_pinyin[][2] = {
    {"黄陂区", "huang pi qu"}, {"沌口街道", "zhuan kou jie dao"}, {"奓山街道", "zha shan jie dao"}};

static size_t search_named(void)
{
    size_t n = sizeof named_cases / sizeof named_cases[0];
    for (size_t i = 0; i < n; i++) {
        const struct named_case *c = &named_cases[i];
        char enc[256], params[512];
        int pos;
        ac_percent_encode(c->q, enc, sizeof enc);
        snprintf(params, sizeof params, "q=%s%s", enc, c->extra);
        unsigned mask = strstr(c->extra, "district") ? 2 : strstr(c->extra, "street") ? 4 : 0xF;
        json_t *js = search(params, mask, -1, 20, CRS_WGS84);
        const json_t *r = js ? pc_find_result(js, c->name, &pos) : NULL;
        const char *cls = ac_str(json_object_get(r, "match"));
        const char *how = ac_str(json_object_get(r, "how"));
        bool ok = r && !strcmp(cls, "exact") && !strcmp(how, c->how) && (pos == 0 || !c->first);
        T_CHECKF(!js || ok, "search %s: %s at %d as %s/%s, expected EXACT/%s%s", c->q, c->name, pos,
                 cls, how, c->how, c->first ? " and first" : "");
        for (size_t k = 0; r && k < 3; k++)
            T_CHECKF(strcmp(c->name, override_pinyin[k][0]) ||
                         !strcmp(ac_str(json_object_get(r, "pinyin")), override_pinyin[k][1]),
                     "%s: pinyin %s, expected %s", c->name, ac_str(json_object_get(r, "pinyin")),
                     override_pinyin[k][1]);
        json_decref(js);
    }
    return n;
}

/* Filters and limits (level, parent 江岸区, limit 1 and 100) and centres in other systems. */
static size_t search_filters(struct pc_hit *hits, size_t *results, size_t *mismatches)
{
    static const char *const qs[] = {"江", "社区", "汉", "中"};
    int32_t jiangan = pc_find(&pc, JIANGAN);
    T_CHECKF(jiangan >= 0, "no division %s", JIANGAN);
    size_t n = 0;
    for (size_t i = 0; jiangan >= 0 && i < sizeof qs / sizeof qs[0]; i++, n += 5) {
        *mismatches += !search_hanzi(qs[i], 1u << 1, -1, 100, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 1u << 2 | 1u << 3, -1, 100, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 0xF, jiangan, 100, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 0xF, -1, 1, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 0xF, -1, 20, false, hits, results);
    }
    json_t *js = search("q=she&limit=100", 0xF, -1, 100, CRS_WGS84);
    T_CHECKF(!js || json_array_size(json_object_get(js, "results")) == 100,
             "q=she&limit=100: fewer than 100 results");
    json_decref(js);
    json_decref(search("q=%E6%B1%9F%E6%B1%89&out_crs=bd09", 0xF, -1, 20, CRS_BD09));
    json_decref(search("q=wuhan&crs=gcj02&parent=" JIANGAN, 0xF, jiangan, 20, CRS_GCJ02));
    return n + 3;
}

static size_t search_errors(void)
{
    static const char *const cases[][3] = {
        {"", "missing_parameter", "q"},
        {"?level=district", "missing_parameter", "q"},
        {"?q=", "invalid_parameter", "q"},
        {"?q", "invalid_parameter", "q"},
        {"?q=%20%20", "invalid_parameter", "q"},
        {"?q=%CB%89", "invalid_parameter", "q"}, /* a lone tone mark */
        {"?q=%E6%B1%9F%01", "invalid_parameter", "q"},
        {"?q=%ff", "invalid_utf8", "q"},
        {"?q=%c0%80", "invalid_utf8", "q"},
        {"?q=%E6%B1", "invalid_utf8", "q"},
        {"?q=%00", "nul_byte", "q"},
        {"?q=jh&level=bogus", "invalid_parameter", "level"},
        {"?q=jh&level=", "invalid_parameter", "level"},
        {"?q=jh&level=district,town", "invalid_parameter", "level"},
        {"?q=jh&parent=123", "invalid_parameter", "parent"},
        {"?q=jh&parent=420102000001", "invalid_parameter", "parent"},
        {"?q=jh&limit=0", "out_of_range", "limit"},
        {"?q=jh&limit=101", "out_of_range", "limit"},
        {"?q=jh&limit=ten", "invalid_parameter", "limit"},
        {"?q=jh&nope=1", "unknown_parameter", "nope"},
        {"?q=jh&out_crs=mars", "unknown_crs", "out_crs"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    char q65[65 * 9 + 1] = "", url[700];
    for (size_t i = 0; i < n; i++) {
        snprintf(url, sizeof url, "/v1/places/search%s", cases[i][0]);
        expect_error(url, cases[i][1], cases[i][2]);
    }
    for (int i = 0; i < 64; i++) /* 江 */
        strcat(q65, "%E6%B1%9F");
    snprintf(url, sizeof url, "q=%%20%s%%20", q65); /* 64 characters are still a query */
    json_decref(search(url, 0xF, -1, 20, CRS_WGS84));
    snprintf(url, sizeof url, "/v1/places/search?q=%s%%E6%%B1%%9F", q65);
    expect_error(url, "out_of_range", "q");
    return n + 2;
}

static void test_search(void)
{
    struct pc_hit *hits = malloc(pc.n * sizeof *hits);
    if (!hits)
        return;
    double t0 = geodproc_now();
    size_t results = 0, mismatches = 0, crowded = 0, mp0 = mp_checked;
    size_t named = search_named();
    size_t filters = search_filters(hits, &results, &mismatches);
    size_t random = search_random_hanzi(hits, &results, &mismatches);
    size_t pinyin = search_pinyin_property(&mismatches, &crowded);
    size_t errors = search_errors();
    printf("  search: %zu named cases, %zu filter/limit queries, %zu random Chinese queries "
           "against the restated rules (%zu results), %zu pinyin/initials queries of random names "
           "(%zu crowded out by other EXACT names), %zu refusals, %zu also as msgpack; %zu "
           "mismatches, %.1f s\n",
           named, filters, random, results, pinyin, crowded, errors, mp_checked - mp0, mismatches,
           geodproc_now() - t0);
    free(hits);
}

/* ---- /v1/convert ---- */

/* GETs /v1/convert?from=..&to=..&coords: x, y of a {from, to, x, y, unit} answer in `unit`. */
static bool convert(const char *from, const char *to, const char *coords, const char *unit,
                    double *x, double *y)
{
    static unsigned calls;
    char url[512], why[AC_WHY] = "";
    snprintf(url, sizeof url, "/v1/convert?from=%s&to=%s&%s", from, to, coords);
    struct ac_answer a;
    bool ok = get(url, &a);
    const json_t *jx = json_object_get(a.json, "x"), *jy = json_object_get(a.json, "y");
    if (ok && a.status != 200)
        ok = (snprintf(why, sizeof why, "status %d: %.200s", a.status, a.r.body), false);
    else if (ok && (json_object_size(a.json) != 5 || !json_is_number(jx) || !json_is_number(jy) ||
                    strcmp(ac_str(json_object_get(a.json, "from")), from) ||
                    strcmp(ac_str(json_object_get(a.json, "to")), to) ||
                    strcmp(ac_str(json_object_get(a.json, "unit")), unit)))
        ok = (snprintf(why, sizeof why, "not {from, to, x, y, unit: %s}: %.200s", unit, a.r.body),
              false);
    T_CHECKF(ok || !why[0], "%s: %s", url, why);
    *x = json_number_value(jx);
    *y = json_number_value(jy);
    if (ok && calls++ % 20 == 0)
        msgpack_matches(url, &a);
    ac_answer_free(&a);
    return ok;
}

/* 300 points to EPSG:4547 against `cs2cs -f %.6f EPSG:4326 EPSG:4547` (lat lon in, northing
 * easting out) within 1e-4 m, and cs2cs's metres back within 1e-8 degrees. */
static size_t convert_cs2cs(size_t *bad)
{
    enum { N = 300 };
    static double lon[N], lat[N], north[N], east[N];
    struct scratch s;
    char in[256], cmd[600], line[256];
    int got = 0;
    T_CHECKF(scratch_new(&s, "geod-places"), "no scratch directory");
    FILE *f = s.dir[0] ? fopen(scratch_path(&s, in, sizeof in, "in.txt"), "w") : NULL;
    for (int i = 0; f && i < N; i++) { /* the values of the texts both sides read */
        snprintf(line, sizeof line, "%.10f %.10f", 29.9 + ac_urand(&rng) * 1.6,
                 112.6 + ac_urand(&rng) * 3.2);
        sscanf(line, "%lf %lf", &lat[i], &lon[i]);
        fprintf(f, "%s\n", line);
    }
    if (f && !fclose(f)) {
        snprintf(cmd, sizeof cmd, "cs2cs -f %%.6f EPSG:4326 EPSG:4547 < %s 2>&1", in);
        FILE *p = popen(cmd, "r");
        while (p && got < N && fgets(line, sizeof line, p))
            got += sscanf(line, "%lf %lf", &north[got], &east[got]) == 2;
        T_CHECKF(p && pclose(p) == 0 && got == N, "cs2cs gave %d of %d points (proj-bin?)", got, N);
    }
    for (int i = 0; i < got; i++) {
        char coords[128];
        double x = NAN, y = NAN, blon = NAN, blat = NAN;
        snprintf(coords, sizeof coords, "lon=%.10f&lat=%.10f", lon[i], lat[i]);
        bool ok = convert("wgs84", "EPSG:4547", coords, "metre", &x, &y) &&
                  fabs(x - east[i]) <= 1e-4 && fabs(y - north[i]) <= 1e-4;
        T_CHECKF(ok, "(%.10f, %.10f) to EPSG:4547: (%.4f, %.4f), cs2cs (%.6f, %.6f)", lon[i],
                 lat[i], x, y, east[i], north[i]);
        snprintf(coords, sizeof coords, "x=%.6f&y=%.6f", east[i], north[i]);
        bool back = convert("EPSG:4547", "wgs84", coords, "degree", &blon, &blat) &&
                    fabs(blon - lon[i]) <= 1e-8 && fabs(blat - lat[i]) <= 1e-8;
        T_CHECKF(back, "EPSG:4547 %s back: (%.10f, %.10f), expected (%.10f, %.10f)", coords, blon,
                 blat, lon[i], lat[i]);
        *bad += !ok + !back;
    }
    if (s.dir[0])
        scratch_free(&s);
    return (size_t)got * 2;
}

/* One row of tests/data/crs_vectors.csv (fl: source, case, from_crs, to_crs, in_lng, in_lat,
 * expected_lng, expected_lat, tolerance, tolerance_unit) at its tolerance; false if wrong. */
static bool convert_vector(char **fl)
{
    const char *name = fl[1], *from = fl[2], *to = fl[3];
    char coords[128];
    double x, y, bx = NAN, by = NAN, in_lon = atof(fl[4]), in_lat = atof(fl[5]), tol = atof(fl[8]);
    snprintf(coords, sizeof coords, "lon=%s&lat=%s", fl[4], fl[5]);
    if (fabs(in_lon) > 180) { /* gcoord passes lon 183 through; geod refuses it */
        char url[256];
        snprintf(url, sizeof url, "/v1/convert?from=%s&to=%s&%s", from, to, coords);
        expect_error(url, "out_of_range", "lon");
        return true;
    }
    if (!convert(from, to, coords, "degree", &x, &y))
        return false;
    /* Not at their tolerance, these rows: their expected values are published approximations
     * that geod's exact inverses must not reproduce (tests/test_crs.c checks each against the
     * formula it encodes): *_approx the one-step GCJ-02 inverse (~1e-6 degrees from the exact
     * one, or a 5 m bound that encodes the same approximation), *_variant eviltransform's BD-09
     * variant (10-40 m off), bd09togcj02 the closed-form BD-09 inverse (~4e-7 degrees off,
     * against 1e-9). For them, geod's answer converted forward again must give the input back. */
    if (strstr(name, "_approx") || strstr(name, "variant") || !strcmp(name, "bd09togcj02")) {
        snprintf(coords, sizeof coords, "lon=%.17g&lat=%.17g", x, y);
        bool ok = convert(to, from, coords, "degree", &bx, &by) &&
                  fmax(fabs(bx - in_lon), fabs(by - in_lat)) <= 3e-9;
        T_CHECKF(ok, "%s: forward of our answer (%.10f, %.10f), input (%s, %s)", name, bx, by,
                 fl[4], fl[5]);
        return ok;
    }
    double err = !strcmp(fl[9], "m") ? oracle_distance(&orc, x, y, atof(fl[6]), atof(fl[7]), NULL)
                                     : fmax(fabs(x - atof(fl[6])), fabs(y - atof(fl[7])));
    T_CHECKF(err <= tol, "%s %s->%s: (%.12f, %.12f), expected (%s, %s), off by %.3g %s", name, from,
             to, x, y, fl[6], fl[7], err, fl[9]);
    return err <= tol;
}

/* tests/data/crs_vectors.csv, the rows between WGS84, GCJ02 and BD09. */
static size_t convert_vectors(size_t *bad, size_t *skipped)
{
    FILE *f = fopen("tests/data/crs_vectors.csv", "r");
    T_CHECKF(f, "cannot open tests/data/crs_vectors.csv (run from the repository root)");
    char line[1024], *fl[16];
    size_t rows = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (pc_csv_split(line, fl, 16) < 10 || !strcmp(fl[0], "source"))
            continue;
        bool named = true; /* not BD09MC, nor EPSG3857 with gcoord's clamping */
        for (int k = 2; k <= 3; k++)
            named = named && (!strcasecmp(fl[k], "wgs84") || !strcasecmp(fl[k], "gcj02") ||
                              !strcasecmp(fl[k], "bd09"));
        *skipped += !named;
        rows += named;
        *bad += named && !convert_vector(fl);
    }
    if (f)
        fclose(f);
    return rows;
}

/* 100 rows of tests/data/crs_city_vectors.csv: WGS-84 to GCJ-02 within 1e-5 degrees, GCJ-02 to
 * BD-09 within 1e-6. */
static size_t convert_cities(size_t *bad)
{
    FILE *f = fopen("tests/data/crs_city_vectors.csv", "r");
    T_CHECKF(f, "cannot open tests/data/crs_city_vectors.csv");
    char line[1024], *fl[20];
    size_t rows = 0;
    for (int i = 0; f && rows < 100 && fgets(line, sizeof line, f); i++) {
        /* ..., wgs84_lng (4), wgs84_lat, gcj02_lng, gcj02_lat, bd09_lng, bd09_lat (9), ... */
        if (i == 0 || i % 3 != 1 || pc_csv_split(line, fl, 20) < 10)
            continue;
        char coords[128];
        double x = NAN, y = NAN, u = NAN, v = NAN;
        snprintf(coords, sizeof coords, "lon=%s&lat=%s", fl[4], fl[5]);
        bool ok = convert("wgs84", "gcj02", coords, "degree", &x, &y) &&
                  fmax(fabs(x - atof(fl[6])), fabs(y - atof(fl[7]))) <= 1e-5;
        snprintf(coords, sizeof coords, "lon=%s&lat=%s", fl[6], fl[7]);
        bool ok2 = convert("gcj02", "bd09", coords, "degree", &u, &v) &&
                   fmax(fabs(u - atof(fl[8])), fabs(v - atof(fl[9]))) <= 1e-6;
        T_CHECKF(ok && ok2, "%s: gcj02 (%.9f, %.9f) want (%s, %s); bd09 (%.9f, %.9f) want (%s, %s)",
                 fl[3], x, y, fl[6], fl[7], u, v, fl[8], fl[9]);
        *bad += !ok + !ok2;
        rows++;
    }
    if (f)
        fclose(f);
    return rows * 2;
}

/* from -> to -> from for a random Wuhan point must come back within tol degrees. */
static bool round_trip(const char *from, const char *to, double tol)
{
    double lon = box_lon(), lat = box_lat(), x = NAN, y = NAN, bx = NAN, by = NAN;
    bool metres = !strncmp(to, "EPSG:", 5) && strcmp(to, "EPSG:4326") && strcmp(to, "EPSG:4490");
    char coords[128];
    snprintf(coords, sizeof coords, "lon=%.9f&lat=%.9f", lon, lat);
    sscanf(coords, "lon=%lf&lat=%lf", &lon, &lat);
    bool ok = convert(from, to, coords, metres ? "metre" : "degree", &x, &y);
    snprintf(coords, sizeof coords, metres ? "x=%.17g&y=%.17g" : "lon=%.17g&lat=%.17g", x, y);
    ok = ok && convert(to, from, coords, "degree", &bx, &by) &&
         fmax(fabs(bx - lon), fabs(by - lat)) <= tol &&
         (metres || fmax(fabs(x - lon), fabs(y - lat)) <= 0.02); /* still (lon, lat) */
    T_CHECKF(ok, "%s->%s->%s: (%.9f, %.9f) via (%.9f, %.9f) came back as (%.10f, %.10f)", from, to,
             from, lon, lat, x, y, bx, by);
    return ok;
}

/* GCJ-02 is the identity outside China (both ways); round trips between every pair of named
 * systems within 3e-9 degrees (two roundings to 9 decimals and at most two inverses exact to
 * 1e-9), and between WGS-84 and EPSG systems within 1e-8. */
static size_t convert_round_trips(size_t *bad)
{
    static const char *const named[] = {"wgs84", "gcj02", "bd09", "cgcs2000"};
    static const char *const epsg[] = {"EPSG:4547", "EPSG:4490", "EPSG:3857", "EPSG:32650",
                                       "EPSG:4326"};
    size_t n = 0;
    for (int i = 0; i < 60; i++, n += 2) {
        double lon = i ? -180 + ac_urand(&rng) * 250 : -104.9903, x = NAN, y = NAN;
        double lat = i ? (i % 2 ? 56 + ac_urand(&rng) * 30 : -80 + ac_urand(&rng) * 80) : 39.7392;
        char coords[128];
        snprintf(coords, sizeof coords, "lon=%.9f&lat=%.9f", lon, lat);
        sscanf(coords, "lon=%lf&lat=%lf", &lon, &lat);
        for (int dir = 0; dir < 2; dir++) {
            bool ok = convert(dir ? "gcj02" : "wgs84", dir ? "wgs84" : "gcj02", coords, "degree",
                              &x, &y) &&
                      x == lon && y == lat;
            T_CHECKF(ok, "%s outside China: (%.9f, %.9f)", coords, x, y);
            *bad += !ok;
        }
    }
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int i = 0; a != b && i < 20; i++, n += 2)
                *bad += !round_trip(named[a], named[b], 3e-9);
    for (int e = 0; e < 5; e++)
        for (int i = 0; i < 20; i++, n += 2)
            *bad += !round_trip("wgs84", epsg[e], 1e-8);
    return n;
}

static size_t convert_errors(void)
{
    static const char *const cases[][3] = {
        {"lon=114&lat=30&to=wgs84", "missing_parameter", "from"},
        {"lon=114&lat=30&from=wgs84", "missing_parameter", "to"},
        {"lon=114&lat=30&from=wgs84&to=mars", "unknown_crs", "to"},
        {"lon=114&lat=30&from=mars&to=wgs84", "unknown_crs", "from"},
        {"lon=114&lat=30&from=EPSG:999999&to=wgs84", "unknown_crs", "from"},
        {"lon=114&lat=30&from=wgs84&to=EPSG:999999", "unknown_crs", "to"},
        {"lon=114&lat=30&from=wgs84&to=EPSG:1234567", "unknown_crs", "to"},
        {"lon=114&lat=30&from=wgs84&to=EPSG:", "unknown_crs", "to"},
        {"lon=181&lat=30&from=wgs84&to=gcj02", "out_of_range", "lon"},
        {"lon=-181&lat=30&from=EPSG:4326&to=wgs84", "out_of_range", "lon"},
        {"lon=114&lat=90.5&from=bd09&to=wgs84", "out_of_range", "lat"},
        {"lon=114&lat=30&x=1&y=2&from=wgs84&to=gcj02", "invalid_parameter", "x"},
        {"lat=30&from=wgs84&to=gcj02", "missing_parameter", "lon"},
        {"x=500000&from=EPSG:4547&to=wgs84", "missing_parameter", "y"},
        {"lon=abc&lat=30&from=wgs84&to=gcj02", "invalid_parameter", "lon"},
        {"lon=180&lat=0&from=wgs84&to=bd09", "out_of_range", "lon"},
        {"lon=114&lat=30&from=wgs84&to=gcj02&k=1", "unknown_parameter", "k"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        char url[256];
        snprintf(url, sizeof url, "/v1/convert?%s", cases[i][0]);
        expect_error(url, cases[i][1], cases[i][2]);
    }
    return n;
}

/* EPSG systems that are not a horizontal position: a vertical one (EGM96 height; cs2cs itself
 * refuses it) and geocentric ones (X, Y, Z: no x east, y north) cannot be answered as {x, y}, and
 * must be refused naming the parameter; a compound one with a geographic horizontal part may be
 * refused, or answered in degrees (lon, lat). */
static size_t convert_other_systems(size_t *bad)
{
    static const char *const refused[][2] = {
        {"from=wgs84&to=EPSG:5773&lon=114&lat=30", "to"},
        {"from=EPSG:5773&to=wgs84&lon=114&lat=30", "from"},
        {"from=wgs84&to=EPSG:4978&lon=114&lat=30", "to"},
        {"from=EPSG:4978&to=wgs84&x=-2248544.5475&y=5050313.7415", "from"},
    };
    size_t n = sizeof refused / sizeof refused[0];
    for (size_t i = 0; i < n; i++) {
        char url[256], why[AC_WHY];
        struct ac_answer a;
        snprintf(url, sizeof url, "/v1/convert?%s", refused[i][0]);
        bool ok = get(url, &a) && ac_is_error(&a, 400, "unknown_crs", refused[i][1], why);
        T_CHECKF(ok || !a.json, "%s: %s", url, why);
        *bad += !ok;
        ac_answer_free(&a);
    }
    struct ac_answer a;
    const char *url = "/v1/convert?from=wgs84&to=EPSG:9518&lon=114.25&lat=30.5";
    if (get(url, &a)) {
        bool ok = a.status == 400 ||
                  (a.status == 200 && !strcmp(ac_str(json_object_get(a.json, "unit")), "degree") &&
                   fabs(json_number_value(json_object_get(a.json, "x")) - 114.25) < 1e-6 &&
                   fabs(json_number_value(json_object_get(a.json, "y")) - 30.5) < 1e-6);
        T_CHECKF(ok, "%s: %.200s", url, a.r.body);
        *bad += !ok;
    }
    ac_answer_free(&a);
    return n + 1;
}

static void test_convert(void)
{
    double t0 = geodproc_now();
    size_t bad = 0, skipped = 0, mp0 = mp_checked;
    size_t cs = convert_cs2cs(&bad);
    size_t vectors = convert_vectors(&bad, &skipped);
    size_t cities = convert_cities(&bad);
    size_t trips = convert_round_trips(&bad);
    size_t errors = convert_errors() + convert_other_systems(&bad);
    printf("  convert: %zu EPSG:4547 conversions against cs2cs, %zu crs_vectors rows (%zu in "
           "other systems skipped), %zu city-vector conversions, %zu identity/round-trip "
           "conversions, %zu refusals, %zu also as msgpack; %zu wrong, %.1f s\n",
           cs, vectors, skipped, cities, trips, errors, mp_checked - mp0, bad, geodproc_now() - t0);
}

/* ---- the end ---- */

static void test_main_stops(void)
{
    http_client_free(hc);
    hc = NULL;
    int st;
    double secs;
    char sb[32], why[512];
    bool exited = geodproc_stop(&geod, 10000, &st, &secs);
    T_CHECKF(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "geod after SIGTERM: %s after %.1f s",
             exited ? geodproc_status_text(st, sb) : "killed", secs);
    char *log = geodproc_stderr(&geod);
    bool clean = geodproc_log_ok(log, true, why, sizeof why);
    T_CHECKF(clean, "geod: stderr %s", why);
    free(log);
    printf("  main geod: exit %d %.2f s after SIGTERM, stderr %s\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, secs, clean ? "clean" : "NOT clean");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    const char *seed = getenv("GEOD_TEST_SEED");
    rng.s = seed ? strtoull(seed, NULL, 10) : 1;
    printf("  geod under test: %s, seed %llu\n", geodproc_bin(), (unsigned long long)rng.s);
    double t0 = geodproc_now();
    T_RUN(test_start);
    if (geod_up) {
        T_RUN(test_reverse);
        T_RUN(test_shake);
        T_RUN(test_facility_divisions);
        T_RUN(test_search);
        T_RUN(test_convert);
    }
    if (geod.pid)
        T_RUN(test_main_stops);
    if (t_failed && geod.dir[0])
        printf("  kept %s\n", geod.dir);
    else
        geodproc_cleanup(&geod);
    geodproc_kill(&geod);
    oracle_free(&orc);
    pc_close(&pc);
    http_client_free(hc);
    printf("  total %.1f s\n", geodproc_now() - t0);
    return T_END();
}

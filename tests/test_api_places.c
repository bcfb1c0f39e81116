/* test_api_places.c - the place endpoints of a real geod (the sanitized build, $GEOD_BIN) that
 * answer by position: /v1/places/reverse, /v1/shake, and the division codes facilities carry.
 * The oracles share no code with geod: SpatiaLite's ST_Contains on the stored polygons
 * (tests/lib/placecheck.h) and brute-force nearest facilities by PROJ's geod_inverse
 * (tests/lib/oracle.h). index/crs.h only turns request positions into the WGS-84 ones geod reads.
 * /v1/places/search is tests/test_api_search.c's, /v1/convert tests/test_api_convert.c's; the
 * fixture they share is tests/lib/placefix.h. Each test prints a one-line summary.
 * GEOD_TEST_SEED=N replays another random sequence. */
#include "index/crs.h"
#include "tests/lib/apicheck.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/oracle.h"
#include "tests/lib/placecheck.h"
#include "tests/lib/placefix.h"
#include "tests/t.h"

#include <stdlib.h>
#include <string.h>

static struct pf_fixture fx; /* geod, its oracles, the client, the random source */

/* GET on fx.hc; a failed exchange, a 5xx or an unparsable body fails the test. */
static bool get(const char *target, struct ac_answer *a)
{
    char why[AC_WHY];
    bool ok = ac_get(fx.hc, target, NULL, a, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

/* The answer to target must be the error {code, param} with status 400. */
static void expect_error(const char *target, const char *code, const char *param)
{
    char why[PF_WHY];
    T_CHECKF(pf_is_error(&fx, target, code, param, why), "%s", why);
}

/* url (with a query string) asked with format=msgpack must answer js's value, in fewer bytes;
 * returns whether the values are equal. */
static bool msgpack_matches(const char *url, const struct ac_answer *js)
{
    char why[PF_WHY];
    bool equal;
    T_CHECKF(pf_msgpack(&fx, url, js, &equal, why), "%s", why);
    return equal;
}

/* SpatiaLite's answers at n points into at[n]; every 20th also by the plain query over every row,
 * which must give the same (the boxes only spare parsing polygons). Returns how many were
 * cross-checked. */
static size_t locate_all(const double *lon, const double *lat, size_t n, int32_t (*at)[PC_LEVELS])
{
    char why[PC_WHY];
    bool ok = pc_locate_many(&fx.pc, lon, lat, n, at, why);
    T_CHECKF(ok, "%s", why);
    size_t cross = 0;
    for (size_t i = 0; ok && i < n; i += 20, cross++) {
        int32_t full[PC_LEVELS];
        bool same =
            pc_locate(&fx.pc, lon[i], lat[i], true, full, why) && !memcmp(full, at[i], sizeof full);
        T_CHECKF(same, "(%.17g, %.17g): asked point by point, SpatiaLite answers otherwise", lon[i],
                 lat[i]);
    }
    return cross;
}

/* Points on and near the edges of a level's boundaries (pc_edge_points). */
static size_t edge_points(int level, int edges, struct pc_pt *out)
{
    char why[PC_WHY];
    size_t n = pc_edge_points(&fx.pc, &fx.rng, level, edges, out, why);
    T_CHECKF(n != SIZE_MAX, "%s", why);
    return n == SIZE_MAX ? 0 : n;
}

/* ---- start ---- */

static void test_start(void)
{
    char why[PF_WHY];
    T_CHECKF(pf_start(&fx, true, why), "%s", why);
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
        ok = pc_check_chain(json_object_get(a.json, "chain"), &fx.pc, at, q->out, why);
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
        p[np++] = (struct pc_pt){pf_box_lon(&fx), pf_box_lat(&fx), PC_UNIFORM};
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
    bool ok = pc_shake_expect(&fx.pc, &fx.orc, lon, lat, full, x, why);
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
        ok = pc_check_shake(a.json, &fx.pc, &fx.orc, x, lon, lat, out, why);
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
    int cc = oracle_category(&fx.orc, "community_center");
    const struct oracle_fac *f = &fx.orc.fac[ac_below(&fx.rng, (uint32_t)fx.orc.n)];
    *c = i % 20 == 19 ? (i % 40 == 19 ? CRS_BD09 : CRS_GCJ02) : CRS_WGS84;
    *out = i % 20 == 9 ? (i % 40 == 9 ? CRS_GCJ02 : CRS_BD09) : *c;
    if (i < 4) {
        *lon = far[i][0], *lat = far[i][1], *c = *out = CRS_WGS84;
    } else if (i % 3 == 0) {
        *lon = pf_box_lon(&fx), *lat = pf_box_lat(&fx);
    } else if (i % 3 == 1 || !nedge) {
        while (f->cat != cc)
            f = &fx.orc.fac[ac_below(&fx.rng, (uint32_t)fx.orc.n)];
        bool at = i % 9 == 4 && *c == CRS_WGS84;
        *lon = f->lon + (at ? 0 : ac_nrand(&fx.rng) * 0.005);
        *lat = f->lat + (at ? 0 : ac_nrand(&fx.rng) * 0.005);
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
    size_t with_resp = 0, no_resp = 0, tried = 0, ncrs = 0, mp0 = fx.mp_checked, found = 0;
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
        double lon = pf_box_lon(&fx), lat = pf_box_lat(&fx);
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
           points, ncrs, with_resp, no_resp, other, found, tried, fx.mp_checked - mp0, mismatches,
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
    size_t cap = fx.orc.n + 1, own = 0, level[PC_LEVELS] = {0}, none = 0, wrong = 0, api = 0;
    struct pc_frow *r = malloc(cap * sizeof *r);
    double *lon = malloc(cap * sizeof *lon), *lat = malloc(cap * sizeof *lat);
    int32_t(*at)[PC_LEVELS] = malloc(cap * sizeof *at);
    char why[PC_WHY] = "";
    size_t n = r && lon && lat && at ? pc_facility_rows(&fx.pc, r, lon, lat, cap, why) : 0;
    T_CHECKF(n == fx.orc.n && n > 0, "%zu facility rows, %zu live %s", n, fx.orc.n, why);
    size_t cross = n ? locate_all(lon, lat, n, at) : 0;
    for (size_t i = 0; i < n; i++) {
        int32_t want = -1;
        bool is_own = !strcmp(r[i].source, "adcode") && (want = pc_find(&fx.pc, r[i].key)) >= 0;
        if (!is_own)
            want = pc_smallest(at[i]);
        const char *expect = want >= 0 ? fx.pc.d[want].code : NULL;
        bool ok = expect ? r[i].has_code && !strcmp(r[i].code, expect) : !r[i].has_code;
        T_CHECKF(ok, "facility %u (%s %s): division_code %s, expected %s (%s)", r[i].id,
                 r[i].source, r[i].key, r[i].has_code ? r[i].code : "NULL",
                 expect ? expect : "NULL", is_own ? "its own code" : "where it lies");
        wrong += !ok;
        own += is_own;
        if (want >= 0)
            level[fx.pc.d[want].level]++;
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

/* ---- the end ---- */

static void test_main_stops(void)
{
    struct pf_stop s;
    pf_stop(&fx, &s);
    T_CHECKF(s.exited, "%s", s.exit_why);
    T_CHECKF(s.clean, "geod: stderr %s", s.log_why);
}

int main(void)
{
    pf_init(&fx);
    T_RUN(test_start);
    if (fx.up) {
        T_RUN(test_reverse);
        T_RUN(test_shake);
        T_RUN(test_facility_divisions);
    }
    if (fx.geod.pid)
        T_RUN(test_main_stops);
    pf_finish(&fx, t_failed > 0);
    return T_END();
}

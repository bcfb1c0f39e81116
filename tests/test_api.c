/* test_api.c - the answers of the HTTP API of a real geod (the sanitized build, $GEOD_BIN)
 * serving a real store, checked against an oracle that shares no code with it: the store file
 * read with plain SQLite and brute-force ranking by PROJ's geod_inverse (tests/lib/oracle.h).
 * /v1/nearby, /v1/within with its cursors, the three formats, /v1/facilities/{id},
 * /v1/categories, q and open_now; one geod serves them all and must stop cleanly at the end.
 * Hostile input, HEAD, concurrency, the command line and shutdown under load are
 * tests/test_api_robust.c's. Each test prints a one-line summary. GEOD_TEST_SEED=N replays
 * another random sequence. */
#include "index/crs.h"
#include "tests/lib/apicheck.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/mpjson.h"
#include "tests/lib/oracle.h"
#include "tests/t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define START_MS 60000   /* the start creates the store */
#define REQUEST_MS 10000 /* a request that takes longer fails the test */

static struct geodproc geod;      /* the server every test talks to */
static bool geod_up;              /* it started and the oracle loaded */
static struct oracle orc;         /* its store, read independently */
static struct http_client *hc;    /* one kept-alive connection to it */
static struct ac_rng rng;         /* every random choice */
static struct oracle_hit *ranked; /* [orc.n]: oracle_rank's output */
static struct oracle_hit *expect; /* [orc.n]: the filtered oracle answer */

/* GET on hc; a failed exchange, a 5xx or an unparsable body fails the test. */
static bool get(const char *target, const char *headers, struct ac_answer *a)
{
    char why[AC_WHY];
    bool ok = ac_get(hc, target, headers, a, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

/* ---- the oracle's answer ---- */

/* The oracle's answer for the position `ranked` was computed at, into `expect`. */
static size_t oracle_answer(const struct oracle_filter *fl)
{
    return oracle_select(&orc, ranked, fl, expect);
}

/* GETs a /v1/nearby (or one page of /v1/within) and compares it with expect[0..n). */
static bool answer_matches(const char *url, size_t n, enum crs_id out)
{
    char why[AC_WHY] = "";
    struct ac_answer a;
    if (!get(url, NULL, &a)) {
        ac_answer_free(&a);
        return false;
    }
    json_t *res = json_object_get(a.json, "results"), *cnt = json_object_get(a.json, "count");
    int problems = 1;
    if (a.status != 200)
        snprintf(why, sizeof why, "status %d: %.200s", a.status, a.r.body);
    else if (!json_is_integer(cnt) || json_integer_value(cnt) != (json_int_t)json_array_size(res))
        snprintf(why, sizeof why, "count is not the number of results");
    else if (json_object_size(a.json) != (strncmp(url, "/v1/within", 10) ? 2u : 3u))
        snprintf(why, sizeof why, "keys other than results, count (and next_cursor)");
    else
        problems = ac_check_results(res, &orc, expect, n, out, why);
    T_CHECKF(!problems, "%s: %s", url, why);
    ac_answer_free(&a);
    return !problems;
}

/* ac_follow_pages on hc; a failure fails the test. */
static int follow_pages(const char *url, size_t limit, json_t *all, char *first_cursor)
{
    char why[AC_WHY] = "";
    int pages = ac_follow_pages(hc, url, limit, all, first_cursor, why);
    T_CHECKF(pages > 0, "%s: %s", url, why);
    return pages;
}

/* ---- start ---- */

static void test_start(void)
{
    char err[1024];
    double t0 = geodproc_now();
    bool ok = geodproc_start(&geod, NULL, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    if (!ok)
        return;
    double started = geodproc_now() - t0;
    ok = oracle_load(&orc, geod.db, err, sizeof err);
    T_CHECKF(ok, "cannot read the store: %s", err);
    if (!ok)
        return;
    T_CHECKF(geod.facilities == orc.n, "geod serves %zu facilities, the store holds %zu",
             geod.facilities, orc.n);
    ranked = malloc(orc.n * sizeof *ranked);
    expect = malloc(orc.n * sizeof *expect);
    hc = http_client_new(geod.port, true, REQUEST_MS);
    geod_up = ranked && expect && hc && orc.n > 1000;
    T_CHECKF(geod_up, "setup failed (%zu facilities)", orc.n);
    printf("  geod: port %u, %zu facilities in %zu categories, started in %.1f s\n", geod.port,
           orc.n, orc.ncat, started);
}

/* ---- /v1/nearby ---- */

/* A query URL for the position texts and filter, with k left out now and then (default 10). */
static void nearby_url(char *url, size_t len, const char *tlon, const char *tlat,
                       const struct oracle_filter *fl, const char *cats, const char *rad)
{
    int n = snprintf(url, len, "/v1/nearby?lon=%s&lat=%s", tlon, tlat);
    if (fl->k != 10 || ac_below(&rng, 2))
        n += snprintf(url + n, len - (size_t)n, "&k=%zu", fl->k);
    if (cats[0])
        n += snprintf(url + n, len - (size_t)n, "&category=%s", cats);
    if (rad[0])
        snprintf(url + n, len - (size_t)n, "&radius=%s", rad);
}

/* Positions at the poles and the antimeridian, where every facility is thousands of km away. */
static size_t nearby_edges(size_t *mismatches)
{
    static const char *const edges[][2] = {{"0", "90"},     {"180", "-90"},  {"-180", "0"},
                                           {"180", "0"},    {"114.3", "90"}, {"-65.7", "-30.6"},
                                           {"-180", "-90"}, {"0", "0"}};
    size_t n = sizeof edges / sizeof edges[0];
    for (size_t i = 0; i < n; i++) {
        char url[256];
        snprintf(url, sizeof url, "/v1/nearby?lon=%s&lat=%s&k=100", edges[i][0], edges[i][1]);
        oracle_rank(&orc, strtod(edges[i][0], NULL), strtod(edges[i][1], NULL), ranked);
        struct oracle_filter fl = {.k = 100, .mask = ~0ull, .radius = INFINITY};
        *mismatches += !answer_matches(url, oracle_answer(&fl), CRS_WGS84);
    }
    return n;
}

/* The bearing of a facility due north of the query but 4e-7 degrees west is 359.98 degrees,
 * which must not round up to 360 (bearing_deg is in [0, 360)). */
static void nearby_bearing_wraps(void)
{
    int mr = oracle_category(&orc, "marriage_registry");
    for (size_t i = 0, tried = 0; i < orc.n && tried < 3; i++) {
        const struct oracle_fac *f = &orc.fac[i];
        if (f->cat != mr)
            continue;
        tried++;
        double lon = f->lon + 4e-7, lat = f->lat - 0.001;
        char url[256];
        snprintf(url, sizeof url, "/v1/nearby?lon=%.17g&lat=%.17g&k=1&category=marriage_registry",
                 lon, lat);
        oracle_rank(&orc, lon, lat, ranked);
        struct oracle_filter fl = {.k = 1, .mask = 1ull << mr, .radius = INFINITY};
        answer_matches(url, oracle_answer(&fl), CRS_WGS84);
    }
}

static void test_nearby(void)
{
    enum { POSITIONS = 700, VARIANTS = 3 };
    static const size_t ks[] = {1, 3, 10, 50, 100};
    size_t queries = 0, mismatches = 0, results = 0, empty = 0;
    double t0 = geodproc_now();
    for (int p = 0; p < POSITIONS; p++) {
        double lon, lat;
        char tlon[40], tlat[40];
        ac_position(&rng, &orc, (struct ac_mix){40, 5, 35, 12}, &lon, &lat);
        lon = ac_coord_text(&rng, lon, tlon, sizeof tlon);
        lat = ac_coord_text(&rng, lat, tlat, sizeof tlat);
        oracle_rank(&orc, lon, lat, ranked);
        for (int v = 0; v < VARIANTS; v++) {
            struct oracle_filter fl = {
                .k = ks[ac_below(&rng, 5)], .mask = ~0ull, .radius = INFINITY};
            char cats[128] = "", rad[40] = "", url[512];
            if (v == 1 || (v == 2 && ac_below(&rng, 2)))
                ac_category_filter(&rng, &orc, cats, sizeof cats, &fl.mask);
            if (v == 2) /* log-uniform over 1 m .. 50 km */
                fl.radius =
                    ac_coord_text(&rng, exp(ac_urand(&rng) * log(50000.0)), rad, sizeof rad);
            nearby_url(url, sizeof url, tlon, tlat, &fl, cats, rad);
            size_t n = oracle_answer(&fl);
            mismatches += !answer_matches(url, n, CRS_WGS84);
            queries++;
            results += n;
            empty += n == 0;
        }
    }
    queries += nearby_edges(&mismatches);
    nearby_bearing_wraps();
    T_CHECKF(http_client_connects(hc) == 1, "%u connections for one kept-alive client",
             http_client_connects(hc));
    printf("  nearby: %zu queries (%zu results, %zu empty), %zu mismatches, %.1f s\n", queries,
           results, empty, mismatches, geodproc_now() - t0);
}

/* Positions sent in GCJ-02, BD-09 or CGCS2000: the oracle converts the same text with
 * crs_convert; answers in the input system, or out_crs. */
static void test_nearby_crs(void)
{
    static const enum crs_id ins[] = {CRS_GCJ02, CRS_BD09, CRS_CGCS2000};
    static const char *const in_names[] = {"gcj02", "BD09", "cgcs2000"};
    static const enum crs_id outs[] = {CRS_WGS84, CRS_GCJ02, CRS_BD09};
    size_t queries = 0, mismatches = 0;
    for (int i = 0; i < 240; i++) {
        double lon, lat, clon, clat;
        ac_position(&rng, &orc, (struct ac_mix){70, 5, 25, 0}, &lon, &lat);
        int c = i % 3;
        if (crs_convert(CRS_WGS84, ins[c], lon, lat, &clon, &clat))
            continue;
        char tlon[40], tlat[40], url[512];
        clon = ac_coord_text(&rng, clon, tlon, sizeof tlon);
        clat = ac_coord_text(&rng, clat, tlat, sizeof tlat);
        T_CHECK(crs_convert(ins[c], CRS_WGS84, clon, clat, &lon, &lat) == GEOD_OK);
        int o = (int)ac_below(&rng, 4); /* 3: no out_crs, answers in the input system */
        enum crs_id out = o < 3 ? outs[o] : ins[c];
        struct oracle_filter fl = {.k = 1 + ac_below(&rng, 30), .mask = ~0ull, .radius = INFINITY};
        int n = snprintf(url, sizeof url, "/v1/nearby?lon=%s&lat=%s&crs=%s&k=%zu", tlon, tlat,
                         in_names[c], fl.k);
        if (o < 3)
            snprintf(url + n, sizeof url - (size_t)n, "&out_crs=%s", crs_name(out));
        oracle_rank(&orc, lon, lat, ranked);
        mismatches += !answer_matches(url, oracle_answer(&fl), out);
        queries++;
    }
    printf("  nearby crs: %zu queries (gcj02/bd09/cgcs2000 in, 4 out systems), %zu mismatches\n",
           queries, mismatches);
}

/* ---- /v1/within ---- */

/* Ids that occur more than once in the results `all`; seen (max_id + 1 bytes, zero) is zero
 * again afterwards. */
static size_t duplicates(const json_t *all, uint8_t *seen)
{
    size_t dups = 0, n = json_array_size(all);
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < n; j++) {
            json_int_t id = json_integer_value(json_object_get(json_array_get(all, j), "id"));
            if (id > 0 && id <= orc.max_id)
                dups += pass ? (seen[id] = 0) : seen[id]++ > 0;
        }
    return dups;
}

/* Random queries, paged to the end; every tenth radius is exactly some facility's distance
 * (which must be included: within means distance <= radius). */
static size_t within_random(size_t *requests, size_t *total, size_t *mismatches)
{
    static const size_t limits[] = {1, 7, 100, 1000};
    static const double max_radius[] = {1000, 4000, 20000, 20000};
    size_t queries = 0;
    uint8_t *seen = calloc(orc.max_id + 1, 1);
    for (int i = 0; i < 200 && seen; i++, queries++) {
        double lon, lat, maxr = max_radius[i % 4];
        char tlon[40], tlat[40], rad[40], cats[128] = "", url[512];
        ac_position(&rng, &orc, (struct ac_mix){60, 5, 30, 5}, &lon, &lat);
        lon = ac_coord_text(&rng, lon, tlon, sizeof tlon);
        lat = ac_coord_text(&rng, lat, tlat, sizeof tlat);
        oracle_rank(&orc, lon, lat, ranked);
        struct oracle_filter fl = {.k = orc.n, .mask = ~0ull};
        fl.radius =
            ac_coord_text(&rng, 200 * exp(ac_urand(&rng) * log(maxr / 200)), rad, sizeof rad);
        for (size_t j = 0; i % 10 == 9 && j < orc.n && ranked[j].d <= maxr; j++)
            if (ranked[j].d >= 200 && ac_below(&rng, 4) == 0) {
                snprintf(rad, sizeof rad, "%.17g", ranked[j].d);
                fl.radius = ranked[j].d;
            }
        if (ac_below(&rng, 10) < 3)
            ac_category_filter(&rng, &orc, cats, sizeof cats, &fl.mask);
        snprintf(url, sizeof url, "/v1/within?lon=%s&lat=%s&radius=%s&limit=%zu%s%s", tlon, tlat,
                 rad, limits[i % 4], cats[0] ? "&category=" : "", cats);
        size_t n = oracle_answer(&fl);
        json_t *all = json_array();
        int pages = follow_pages(url, limits[i % 4], all, NULL);
        char why[AC_WHY] = "";
        int problems = pages < 0;
        if (pages >= 0 && (problems = ac_check_results(all, &orc, expect, n, CRS_WGS84, why)))
            T_CHECKF(false, "%s (%d pages): %s", url, pages, why);
        size_t dups = duplicates(all, seen);
        T_CHECKF(dups == 0, "%s: %zu duplicates across pages", url, dups);
        *mismatches += problems || dups;
        *requests += pages > 0 ? (size_t)pages : 1;
        *total += n;
        json_decref(all);
    }
    free(seen);
    return queries;
}

/* The cursor must be refused: 400, invalid_parameter, param cursor. */
static void cursor_refused(const char *url)
{
    struct ac_answer a;
    char why[AC_WHY] = "";
    if (get(url, NULL, &a))
        T_CHECKF(ac_is_error(&a, 400, "invalid_parameter", "cursor", why), "%s: %s", url, why);
    ac_answer_free(&a);
}

/* The page must be expect[from, from + count) of the list `ranked` and fl give. */
static void cursor_resumes(const char *url, const struct oracle_filter *fl, size_t from,
                           size_t count, enum crs_id out)
{
    oracle_answer(fl);
    memmove(expect, expect + from, count * sizeof *expect);
    answer_matches(url, count, out);
}

/* One cursor misused: with another radius, position, category or input system it is refused;
 * with another limit or out_crs it resumes the same list; garbage is refused. */
static size_t within_cursor_misuse(void)
{
    const struct oracle_fac *c = &orc.fac[orc.n / 2];
    char base[256], url[512], cur[64] = "", alt[64];
    snprintf(base, sizeof base, "/v1/within?lon=%.17g&lat=%.17g&radius=3000", c->lon, c->lat);
    oracle_rank(&orc, c->lon, c->lat, ranked);
    struct oracle_filter fl = {.k = orc.n, .mask = ~0ull, .radius = 3000};
    size_t n = oracle_answer(&fl), cases = 0;
    snprintf(url, sizeof url, "%s&limit=7", base);
    json_t *all = json_array();
    follow_pages(url, 7, all, cur);
    json_decref(all);
    T_CHECKF(n > 20 && strlen(cur) == 28, "%zu within 3 km of %u, next_cursor \"%s\"", n, c->id,
             cur);
    if (n <= 20 || strlen(cur) != 28)
        return 0;
    static const char *const resume[] = {"&limit=7&cursor=%s", "&limit=3&cursor=%s",
                                         "&cursor=%s&limit=7&out_crs=gcj02"};
    static const size_t counts[] = {7, 3, 7};
    for (int i = 0; i < 3; i++, cases++) {
        int m = snprintf(url, sizeof url, "%s", base);
        snprintf(url + m, sizeof url - (size_t)m, resume[i], cur);
        cursor_resumes(url, &fl, 7, counts[i], i == 2 ? CRS_GCJ02 : CRS_WGS84);
    }
    snprintf(url, sizeof url, "%s&category=%s&limit=7&cursor=%s", base, orc.cat_id[c->cat], cur);
    cursor_refused(url);
    snprintf(url, sizeof url, "%s&crs=gcj02&limit=7&cursor=%s", base, cur);
    cursor_refused(url);
    snprintf(url, sizeof url, "/v1/within?lon=%.17g&lat=%.17g&radius=3001&limit=7&cursor=%s",
             c->lon, c->lat, cur);
    cursor_refused(url);
    snprintf(url, sizeof url, "/v1/within?lon=%.17g&lat=%.17g&radius=3000&limit=7&cursor=%s",
             c->lon + 1e-6, c->lat, cur);
    cursor_refused(url);
    cases += 4;
    /* garbage: wrong lengths, bad characters, a changed fingerprint, a wrong version byte */
    const char *garbage[] = {"abc",
                             "",
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                             "!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
                             "AWNF50ApkC0s2tcawHbeVUCfDwAAA",
                             "AWNF50ApkC0s2tcawHbeVUCfDwA",
                             "%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F"
                             "%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F",
                             alt,
                             alt};
    size_t ng = sizeof garbage / sizeof garbage[0];
    for (size_t i = 0; i < ng; i++, cases++) {
        snprintf(alt, sizeof alt, "%s", cur);
        if (i == ng - 2)
            alt[5] = alt[5] == 'A' ? 'B' : 'A'; /* inside the fingerprint */
        if (i == ng - 1)
            alt[0] = alt[0] == 'A' ? 'B' : 'A'; /* the version byte */
        snprintf(url, sizeof url, "%s&limit=7&cursor=%s", base, garbage[i]);
        cursor_refused(url);
    }
    /* the same cursor twice: the same page, byte for byte */
    snprintf(url, sizeof url, "%s&limit=7&cursor=%s", base, cur);
    struct ac_answer a, b;
    if (get(url, NULL, &a) && get(url, NULL, &b))
        T_CHECKF(ac_same_body(&a, &b), "%s: two different answers", url);
    ac_answer_free(&a);
    ac_answer_free(&b);
    return cases + 1;
}

static int by_position(const void *a, const void *b)
{
    const struct oracle_fac *x = *(const struct oracle_fac *const *)a;
    const struct oracle_fac *y = *(const struct oracle_fac *const *)b;
    return x->lon != y->lon   ? (x->lon < y->lon ? -1 : 1)
           : x->lat != y->lat ? (x->lat < y->lat ? -1 : 1)
                              : 0;
}

/* Facilities sharing a position are at equal distances from anywhere: one to a page, each
 * page boundary falls between equals, which the cursor's (distance, id) must resolve. */
static size_t within_ties(size_t *mismatches)
{
    const struct oracle_fac **by = malloc(orc.n * sizeof *by);
    size_t queries = 0;
    for (size_t i = 0; by && i < orc.n; i++)
        by[i] = &orc.fac[i];
    if (by)
        qsort(by, orc.n, sizeof *by, by_position);
    for (size_t i = 1; by && i < orc.n && queries < 12; i++) {
        if (by_position(&by[i - 1], &by[i]) != 0)
            continue;
        double lon = by[i]->lon + 0.0004, lat = by[i]->lat - 0.0003;
        char url[256];
        snprintf(url, sizeof url, "/v1/within?lon=%.17g&lat=%.17g&radius=150&limit=1", lon, lat);
        oracle_rank(&orc, lon, lat, ranked);
        struct oracle_filter fl = {.k = orc.n, .mask = ~0ull, .radius = 150};
        size_t n = oracle_answer(&fl);
        json_t *all = json_array();
        char why[AC_WHY] = "";
        if (follow_pages(url, 1, all, NULL) < 0 ||
            ac_check_results(all, &orc, expect, n, CRS_WGS84, why)) {
            T_CHECKF(!why[0], "%s: %s", url, why);
            (*mismatches)++;
        }
        json_decref(all);
        queries++;
    }
    free(by);
    return queries;
}

static void test_within(void)
{
    double t0 = geodproc_now();
    size_t requests = 0, total = 0, mismatches = 0;
    size_t queries = within_random(&requests, &total, &mismatches);
    size_t ties = within_ties(&mismatches);
    size_t misuse = within_cursor_misuse();
    printf("  within: %zu queries (+%zu at shared positions), %zu pages, %zu results, %zu "
           "mismatches; %zu cursor cases, %.1f s\n",
           queries, ties, requests, total, mismatches, misuse, geodproc_now() - t0);
}

/* ---- formats ---- */

/* Fetches target as JSON, msgpack (both ways), GeoJSON (both ways); compares. Returns requests. */
static size_t formats_one(const char *target, bool geographic, bool collection)
{
    static const char *const mp_accept[] = {"Accept: application/msgpack\r\n",
                                            "Accept: application/x-msgpack\r\n",
                                            "Accept: application/json;q=0.5, "
                                            "application/msgpack\r\n"};
    char url[1024], why[AC_WHY];
    const char *sep = strchr(target, '?') ? "&" : "?";
    struct ac_answer js, v[4];
    memset(v, 0, sizeof v);
    size_t requests = 0;
    if (!get(target, NULL, &js)) {
        ac_answer_free(&js);
        return 1;
    }
    T_CHECKF(!strcmp(ac_content_type(&js), "application/json; charset=utf-8"), "%s: JSON as %s",
             target, ac_content_type(&js));
    const char *vary = http_header(&js.r, "Vary");
    T_CHECKF(vary && strstr(vary, "Accept"), "%s: no Vary: Accept", target);
    snprintf(url, sizeof url, "%s%sformat=msgpack", target, sep);
    bool ok = get(url, NULL, &v[0]) && get(target, mp_accept[ac_below(&rng, 3)], &v[1]);
    snprintf(url, sizeof url, "%s%sformat=json", target, sep);
    ok = ok && get(url, NULL, &v[2]) && get(target, "Accept: application/json\r\n", &v[3]);
    requests += 5;
    for (int i = 0; ok && i < 2; i++) {
        T_CHECKF(v[i].status == js.status && !strcmp(ac_content_type(&v[i]), "application/msgpack"),
                 "%s (msgpack %d): %d %s", target, i, v[i].status, ac_content_type(&v[i]));
        T_CHECKF(mpjson_equal(js.json, v[i].json, why, sizeof why),
                 "%s: msgpack %d differs from JSON at %s", target, i, why);
    }
    T_CHECKF(!ok || (ac_same_body(&js, &v[2]) && ac_same_body(&js, &v[3])),
             "%s: format=json or Accept: application/json changed the answer", target);
    for (int i = 0; i < 4; i++)
        ac_answer_free(&v[i]);
    snprintf(url, sizeof url, "%s%sformat=geojson", target, sep);
    ok = get(url, NULL, &v[0]) && get(target, "Accept: application/geo+json\r\n", &v[1]);
    requests += 2;
    const char *want =
        geographic && js.status == 200 ? "application/geo+json" : "application/json; charset=utf-8";
    for (int i = 0; ok && i < 2; i++)
        T_CHECKF(v[i].status == js.status && !strcmp(ac_content_type(&v[i]), want),
                 "%s (geojson %d): %d %s, expected %s", target, i, v[i].status,
                 ac_content_type(&v[i]), want);
    if (ok && geographic && js.status == 200) {
        T_CHECKF(ac_same_body(&v[0], &v[1]), "%s: format=geojson and Accept differ", target);
        T_CHECKF(ac_geojson_matches(js.json, v[0].json, collection, why), "%s: %s", target, why);
    } else if (ok) {
        T_CHECKF(ac_same_body(&js, &v[0]), "%s: format=geojson changed a non-geographic answer",
                 target);
    }
    ac_answer_free(&v[0]);
    ac_answer_free(&v[1]);
    ac_answer_free(&js);
    return requests;
}

/* A query string too broken to read format= from still has an Accept header to honour. */
static size_t formats_query_errors(void)
{
    static const char *const broken[] = {"/v1/nearby?lon=%zz&lat=30", "/v1/nearby?q=%ff",
                                         "/v1/nearby?lon=1&lon=2", "/v1/within?a=%00"};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        struct ac_answer a;
        if (get(broken[i], "Accept: application/msgpack\r\n", &a))
            T_CHECKF(a.status == 400 && !strcmp(ac_content_type(&a), "application/msgpack"),
                     "%s with Accept: application/msgpack: %d %s", broken[i], a.status,
                     ac_content_type(&a));
        ac_answer_free(&a);
    }
    return sizeof broken / sizeof broken[0];
}

static void test_formats(void)
{
    static const char *const fixed[] = {"/v1/categories",
                                        "/healthz",
                                        "/nope",
                                        "/v1/facilities/0",
                                        "/v1/nearby?lon=abc&lat=1",
                                        "/v1/nearby?lat=1",
                                        "/v1/within?lon=1&lat=1",
                                        "/healthz?x=1",
                                        "/v1/categories?x=1",
                                        "/v1/nearby?lon=114&lat=30.5&k=0",
                                        "/v1/facilities/abc"};
    size_t targets = 0, requests = 0;
    char url[512], tlon[40], tlat[40];
    double t0 = geodproc_now();
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++, targets++)
        requests += formats_one(
            fixed[i], !strncmp(fixed[i], "/v1/", 4) && strncmp(fixed[i], "/v1/categories", 14),
            false);
    for (int i = 0; i < 180; i++, targets++) {
        double lon, lat;
        ac_position(&rng, &orc, (struct ac_mix){60, 5, 30, 5}, &lon, &lat);
        ac_coord_text(&rng, lon, tlon, sizeof tlon);
        ac_coord_text(&rng, lat, tlat, sizeof tlat);
        const char *out = ac_below(&rng, 4) == 0 ? "&out_crs=gcj02" : "";
        if (i % 3 == 0) {
            snprintf(url, sizeof url, "/v1/nearby?lon=%s&lat=%s&k=%u%s", tlon, tlat,
                     1 + ac_below(&rng, 100), out);
            requests += formats_one(url, true, true);
        } else if (i % 3 == 1) {
            snprintf(url, sizeof url, "/v1/within?lon=%s&lat=%s&radius=%u&limit=%u%s", tlon, tlat,
                     100 + ac_below(&rng, 3000), 1 + ac_below(&rng, 20), out);
            requests += formats_one(url, true, true);
            struct ac_answer a;
            if (get(url, NULL, &a) && json_is_string(json_object_get(a.json, "next_cursor"))) {
                size_t m = strlen(url);
                snprintf(url + m, sizeof url - m, "&cursor=%s",
                         json_string_value(json_object_get(a.json, "next_cursor")));
                requests += formats_one(url, true, true) + 1;
                targets++;
            }
            ac_answer_free(&a);
        } else {
            snprintf(url, sizeof url, "/v1/facilities/%u%s",
                     orc.fac[ac_below(&rng, (uint32_t)orc.n)].id, *out ? "?out_crs=bd09" : "");
            requests += formats_one(url, true, false);
        }
    }
    requests += formats_query_errors();
    printf("  formats: %zu targets, %zu requests (JSON = msgpack = GeoJSON), %.1f s\n", targets,
           requests, geodproc_now() - t0);
}

/* ---- /v1/facilities/{id}, /v1/categories, /healthz ---- */

static void test_facilities(void)
{
    size_t checked = 0, problems = 0, missing = 0;
    char url[128], why[AC_WHY];
    size_t step = orc.n / 500 ? orc.n / 500 : 1;
    for (size_t i = ac_below(&rng, (uint32_t)step); i < orc.n; i += step, checked++) {
        const struct oracle_fac *f = &orc.fac[i];
        static const enum crs_id outs[] = {CRS_WGS84, CRS_GCJ02, CRS_BD09};
        enum crs_id out = checked % 5 ? CRS_WGS84 : outs[checked / 5 % 3];
        snprintf(url, sizeof url, "/v1/facilities/%u%s%s", f->id, out ? "?out_crs=" : "",
                 out ? crs_name(out) : "");
        struct ac_answer a;
        if (get(url, NULL, &a)) {
            int p = a.status == 200 ? ac_check_facility(a.json, &orc, f, out, NULL, false, why)
                                    : (snprintf(why, sizeof why, "status %d", a.status), 1);
            T_CHECKF(!p, "%s: %s", url, why);
            problems += p != 0;
        }
        ac_answer_free(&a);
    }
    char beyond[32];
    snprintf(beyond, sizeof beyond, "%u", orc.max_id + 1);
    const char *absent[] = {beyond, "0",  "-1",  "99999999999",         "abc", "4294967296", "1.0",
                            "+1",   "1x", "%31", "18446744073709551617"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++, missing++) {
        snprintf(url, sizeof url, "/v1/facilities/%s", absent[i]);
        struct ac_answer a;
        if (get(url, NULL, &a))
            T_CHECKF(ac_is_error(&a, 404, "not_found", "id", why), "%s: %s", url, why);
        ac_answer_free(&a);
    }
    printf("  facilities: %zu records compared field by field, %zu problems; %zu absent ids "
           "answer 404\n",
           checked, problems, missing);
}

static void test_categories(void)
{
    struct ac_answer a, h;
    if (!get("/v1/categories", NULL, &a) || !get("/healthz", NULL, &h)) {
        ac_answer_free(&a);
        return;
    }
    json_t *cats = json_object_get(a.json, "categories");
    T_CHECKF(a.status == 200 && json_array_size(cats) == orc.ncat &&
                 json_integer_value(json_object_get(a.json, "count")) == (json_int_t)orc.ncat,
             "%zu categories listed, the store has %zu", json_array_size(cats), orc.ncat);
    json_int_t sum = 0;
    for (size_t i = 0; i < json_array_size(cats) && i < orc.ncat; i++) {
        json_t *c = json_array_get(cats, i);
        const char *id = json_string_value(json_object_get(c, "id"));
        const char *name = json_string_value(json_object_get(c, "name"));
        json_int_t count = json_integer_value(json_object_get(c, "count"));
        T_CHECKF(id && name && !strcmp(id, orc.cat_id[i]) && !strcmp(name, orc.cat_name[i]) &&
                     count == (json_int_t)orc.cat_count[i] && json_object_size(c) == 3,
                 "category %zu: %s %s %lld, expected %s %s %zu", i, id ? id : "?",
                 name ? name : "?", (long long)count, orc.cat_id[i], orc.cat_name[i],
                 orc.cat_count[i]);
        sum += count;
    }
    json_int_t live = json_integer_value(json_object_get(h.json, "facilities"));
    T_CHECKF(h.status == 200 && sum == live && live == (json_int_t)orc.n &&
                 !strcmp(ac_str(json_object_get(h.json, "status")), "ok"),
             "categories add up to %lld, /healthz says %lld, the store has %zu", (long long)sum,
             (long long)live, orc.n);
    printf("  categories: %zu, counts add up to %lld = /healthz facilities = store rows\n",
           orc.ncat, (long long)sum);
    ac_answer_free(&a);
    ac_answer_free(&h);
}

/* ---- q and open_now ---- */

#define NB "/v1/nearby?lon=114.3&lat=30.6"

/* One query with q and/or open_now against the oracle at the Wuhan minute of the request; one
 * that straddles a minute boundary is asked again. Returns whether it matched. */
static bool q_open_now_one(const char *url, struct oracle_filter *fl, size_t *results,
                           size_t *retries)
{
    for (int attempt = 0;; attempt++) {
        int wd0, m0, wd1, m1;
        struct ac_answer a;
        ac_wuhan_now(&wd0, &m0);
        bool got = get(url, NULL, &a);
        ac_wuhan_now(&wd1, &m1);
        if (got && fl->open_now && (wd0 != wd1 || m0 != m1) && attempt == 0) {
            ac_answer_free(&a);
            (*retries)++;
            continue;
        }
        fl->weekday = wd0;
        fl->minute = m0;
        size_t n = oracle_answer(fl);
        json_t *res = json_object_get(a.json, "results");
        char why[AC_WHY] = "";
        bool ok = got && a.status == 200 &&
                  !ac_check_results(res, &orc, expect, n, CRS_WGS84, why) &&
                  ac_filters_hold(res, &orc, ranked, fl, why);
        if (got && a.status != 200)
            snprintf(why, sizeof why, "status %d", a.status);
        T_CHECKF(ok || !got, "%s: %s", url, why);
        *results += n;
        ac_answer_free(&a);
        return ok;
    }
}

static void test_q_open_now(void)
{
    static const char *const words[] = {"社区", "街道", "医院", "福利", "婚姻登记", "不存在的名字"};
    size_t queries = 0, mismatches = 0, results = 0, retries = 0;
    for (int i = 0; i < 240; i++, queries++) {
        double lon, lat;
        char tlon[40], tlat[40], url[512], enc[128] = "", cats[128] = "";
        ac_position(&rng, &orc, (struct ac_mix){60, 5, 35, 0}, &lon, &lat);
        lon = ac_coord_text(&rng, lon, tlon, sizeof tlon);
        lat = ac_coord_text(&rng, lat, tlat, sizeof tlat);
        oracle_rank(&orc, lon, lat, ranked);
        struct oracle_filter fl = {.k = 1 + ac_below(&rng, 100), .mask = ~0ull, .radius = INFINITY};
        if (i % 3 != 1) { /* i % 3: 0 q, 1 open_now, 2 both */
            fl.q = i < 30 ? words[0] : words[ac_below(&rng, 6)];
            ac_percent_encode(fl.q, enc, sizeof enc);
        }
        fl.open_now = i % 3 != 0;
        if (ac_below(&rng, 4) == 0)
            ac_category_filter(&rng, &orc, cats, sizeof cats, &fl.mask);
        snprintf(url, sizeof url, "/v1/nearby?lon=%s&lat=%s&k=%zu%s%s%s%s%s", tlon, tlat, fl.k,
                 fl.q ? "&q=" : "", enc,
                 fl.open_now ? (i % 2 ? "&open_now=1" : "&open_now=true") : "",
                 cats[0] ? "&category=" : "", cats);
        mismatches += !q_open_now_one(url, &fl, &results, &retries);
    }
    /* open_now=0 and false are no filter at all */
    struct ac_answer a[3];
    memset(a, 0, sizeof a);
    if (get(NB "&k=50&open_now=0", NULL, &a[0]) && get(NB "&k=50&open_now=false", NULL, &a[1]) &&
        get(NB "&k=50", NULL, &a[2]))
        T_CHECKF(ac_same_body(&a[0], &a[2]) && ac_same_body(&a[1], &a[2]),
                 "open_now=0 or false is not the same as no open_now");
    for (int i = 0; i < 3; i++)
        ac_answer_free(&a[i]);
    printf("  q/open_now: %zu queries (%zu results), %zu mismatches, %zu retried at a minute "
           "boundary\n",
           queries, results, mismatches, retries);
}

/* ---- the end ---- */

/* geod's stderr has no sanitizer report and, if it stopped, ends with "geod: stopped". */
static bool check_stderr(const char *log, bool stopped, const char *who)
{
    char why[512];
    bool ok = geodproc_log_ok(log, stopped, why, sizeof why);
    T_CHECKF(ok, "%s: stderr %s", who, why);
    return ok;
}

/* The geod stops cleanly after all the queries above: exit 0 soon after SIGTERM, and nothing on
 * stderr from a sanitizer. */
static void test_main_stops(void)
{
    http_client_free(hc);
    hc = NULL;
    int st;
    double secs;
    char sb[32];
    bool exited = geodproc_stop(&geod, 10000, &st, &secs);
    T_CHECKF(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "geod after SIGTERM: %s after %.1f s",
             exited ? geodproc_status_text(st, sb) : "killed", secs);
    char *log = geodproc_stderr(&geod);
    bool clean = check_stderr(log, true, "geod");
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
        T_RUN(test_nearby);
        T_RUN(test_nearby_crs);
        T_RUN(test_within);
        T_RUN(test_formats);
        T_RUN(test_facilities);
        T_RUN(test_categories);
        T_RUN(test_q_open_now);
    }
    if (geod.pid)
        T_RUN(test_main_stops);
    if (t_failed && geod.dir[0])
        printf("  kept %s\n", geod.dir);
    else
        geodproc_cleanup(&geod);
    geodproc_kill(&geod);
    oracle_free(&orc);
    free(ranked);
    free(expect);
    http_client_free(hc);
    printf("  total %.1f s\n", geodproc_now() - t0);
    return T_END();
}

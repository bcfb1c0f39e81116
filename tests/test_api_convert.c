/* test_api_convert.c - /v1/convert of a real geod (the sanitized build, $GEOD_BIN): EPSG:4547
 * against PROJ's own cs2cs, the published vectors of tests/data/crs_vectors.csv and
 * crs_city_vectors.csv, identity outside China and round trips between every pair of systems,
 * refusals, systems that are no horizontal position. Distances in metres by PROJ's geod_inverse
 * (oracle_distance); the store's oracles are not loaded, as nothing here depends on the store.
 * The fixture is tests/lib/placefix.h's. Each test prints a one-line summary. GEOD_TEST_SEED=N
 * replays another random sequence. */
#include "tests/lib/apicheck.h"
#include "tests/lib/oracle.h"
#include "tests/lib/placecheck.h"
#include "tests/lib/placefix.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct pf_fixture fx; /* geod (no oracles), the client, the random source */

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

/* ---- start ---- */

static void test_start(void)
{
    char why[PF_WHY];
    T_CHECKF(pf_start(&fx, false, why), "%s", why);
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
        snprintf(line, sizeof line, "%.10f %.10f", 29.9 + ac_urand(&fx.rng) * 1.6,
                 112.6 + ac_urand(&fx.rng) * 3.2);
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
    double err = !strcmp(fl[9], "m")
                     ? oracle_distance(&fx.orc, x, y, atof(fl[6]), atof(fl[7]), NULL)
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
    double lon = pf_box_lon(&fx), lat = pf_box_lat(&fx), x = NAN, y = NAN, bx = NAN, by = NAN;
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
        double lon = i ? -180 + ac_urand(&fx.rng) * 250 : -104.9903, x = NAN, y = NAN;
        double lat =
            i ? (i % 2 ? 56 + ac_urand(&fx.rng) * 30 : -80 + ac_urand(&fx.rng) * 80) : 39.7392;
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
    size_t bad = 0, skipped = 0, mp0 = fx.mp_checked;
    size_t cs = convert_cs2cs(&bad);
    size_t vectors = convert_vectors(&bad, &skipped);
    size_t cities = convert_cities(&bad);
    size_t trips = convert_round_trips(&bad);
    size_t errors = convert_errors() + convert_other_systems(&bad);
    printf("  convert: %zu EPSG:4547 conversions against cs2cs, %zu crs_vectors rows (%zu in "
           "other systems skipped), %zu city-vector conversions, %zu identity/round-trip "
           "conversions, %zu refusals, %zu also as msgpack; %zu wrong, %.1f s\n",
           cs, vectors, skipped, cities, trips, errors, fx.mp_checked - mp0, bad,
           geodproc_now() - t0);
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
        T_RUN(test_convert);
    }
    if (fx.geod.pid)
        T_RUN(test_main_stops);
    pf_finish(&fx, t_failed > 0);
    return T_END();
}

/* test_import_division.c - `geod import --kind division` end to end (the real binary on a real
 * store). The oracles: the fixtures' own values (codes, names), the NBS code rules (a code's level
 * and parent), and SpatiaLite on a connection of the test's own reading the fixture geometry
 * (GeomFromGeoJSON, ST_Transform for the projected file) and comparing it with what the store
 * holds (ST_Equals, HausdorffDistance). A refused import leaves the store file byte for byte as
 * it was; a running `geod serve` answers from an imported boundary within seconds. The tests run
 * in order on one store. */
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/importrun.h"
#include "tests/lib/scratch.h"
#include "tests/lib/storecheck.h"
#include "tests/t.h"

#include <jansson.h>
#include <math.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#define FIX "tests/data/import/"
#define P_LON "114.2847" /* inside the square division_areas.geojson gives 420102002001 */
#define P_LAT "30.5856"

static struct scratch sc;
static char db[512], report[512];

/* reports go to the scratch directory, not next to the fixtures */
#define import(err, ...) importrun(db, err, "--report", report, __VA_ARGS__)

static long long q(const char *sql)
{
    return importrun_q(db, sql);
}

/* The geometry of the feature of fixture `file` whose code is `code`, as GeoJSON text. */
static char *fixture_geometry(const char *file, const char *code)
{
    json_error_t e;
    json_t *fc = json_load_file(file, 0, &e), *f;
    size_t i;
    char *out = NULL;
    json_array_foreach(json_object_get(fc, "features"), i, f)
    {
        const char *c =
            json_string_value(json_object_get(json_object_get(f, "properties"), "code"));
        if (c && strcmp(c, code) == 0)
            out = json_dumps(json_object_get(f, "geometry"), JSON_COMPACT);
    }
    json_decref(fc);
    return out;
}

/* One number from SpatiaLite on the store, with the fixture geometry bound as ?1; NAN on error. */
static double spatial(const char *sql, const char *geojson)
{
    struct sc_conn c;
    char why[SC_WHY];
    double v = NAN;
    if (!sc_open(&c, db, SQLITE_OPEN_READONLY, why)) {
        T_CHECKF(false, "%s", why);
        return v;
    }
    sqlite3_stmt *st = sc_prep(c.db, sql, why);
    if (st) {
        sqlite3_bind_text(st, 1, geojson, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            v = sqlite3_column_double(st, 0);
        sqlite3_finalize(st);
    }
    T_CHECKF(st, "%s", why);
    sc_close(&c, why);
    return v;
}

static void test_codes_from_csv(void)
{
    char *err;
    /* creates the store with the built-in divisions first */
    T_CHECK(import(&err, FIX "facilities.csv", "--crs", "wgs84", NULL) == 0);
    free(err);
    long long before_n = q("SELECT count(*) FROM division");
    T_CHECK(before_n == 3702);
    size_t len0, len1;
    char *bytes0 = scratch_slurp(db, &len0);

    /* two bad rows: without --skip-bad nothing is written */
    T_CHECK(import(&err, FIX "divisions.csv", "--kind", "division", NULL) != 0);
    T_CHECKF(err && strstr(err, "line 5, field code") && strstr(err, "not a division of Wuhan") &&
                 strstr(err, "line 6, field level") && strstr(err, "nothing was imported"),
             "%s", err);
    free(err);
    char *bytes1 = scratch_slurp(db, &len1);
    T_CHECK(bytes0 && bytes1 && len0 == len1 && memcmp(bytes0, bytes1, len0) == 0);
    free(bytes0);
    free(bytes1);

    T_CHECK(import(&err, FIX "divisions.csv", "--kind", "division", "--skip-bad", NULL) == 0);
    T_CHECKF(err && strstr(err, "1 inserted, 1 updated, 1 unchanged, 0 deleted, 2 rejected"), "%s",
             err);
    free(err);
    T_CHECK(q("SELECT count(*) FROM division") == before_n + 1);
    T_CHECK(q("SELECT count(*) FROM division WHERE code = '420102002003' AND name = '保成路社区'"
              " AND level = 'community' AND parent = '420102002000'") == 1);
    /* new: level and parent follow from the code */
    T_CHECK(q("SELECT count(*) FROM division WHERE code = '420102002001' AND name = '大智新建社区'"
              " AND level = 'community' AND parent = '420102002000' AND boundary IS NULL") == 1);
    T_CHECK(q("SELECT count(*) FROM division WHERE code = '420103000000' AND name = '江汉区'") ==
            1);
    T_CHECK(q("SELECT count(*) FROM division WHERE code LIKE '3201%'") == 0);
    /* the audit log: one row per change, with the import's name */
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'division'") == 2);
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'division' AND entity_key ="
              " '420102002003' AND action = 'update' AND actor = 'import:divisions.csv' AND"
              " instr(before, '保成社区') AND instr(after, '保成路社区')") == 1);
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity_key = '420102002001' AND"
              " action = 'create' AND before IS NULL AND instr(after, '大智新建社区')") == 1);

    /* the same feed again changes nothing */
    T_CHECK(import(&err, FIX "divisions.csv", "--kind", "division", "--skip-bad", NULL) == 0);
    T_CHECKF(err && strstr(err, "0 inserted, 0 updated, 3 unchanged"), "%s", err);
    free(err);
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'division'") == 2);
}

/* While a server runs on a copy of the store, importing the boundaries into its store moves
 * the point P from the derived community to the imported one, without a restart. */
static void test_serve_picks_up(void)
{
    struct geodproc g;
    char why[512];
    bool started = geodproc_start(&g, db, 60000, why, sizeof why);
    T_CHECKF(started, "%s", why);
    if (!started)
        return;
    struct http_client *c = http_client_new(g.port, true, 10000);
    const char *target = "/v1/places/reverse?lon=" P_LON "&lat=" P_LAT;
    char *community = NULL;
    bool approximate = true;
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            char *err;
            T_CHECK(importrun(g.db, &err, FIX "division_areas.geojson", "--kind", "division",
                              NULL) == 0);
            free(err);
        }
        double t0 = geodproc_now();
        do {
            struct http_resp r = {0};
            free(community);
            community = NULL;
            if (http_get(c, target, NULL, &r) == HTTP_OK && r.status == 200) {
                json_t *j = json_loadb(r.body, r.body_len, 0, NULL), *e;
                size_t i;
                json_array_foreach(json_object_get(j, "chain"), i, e)
                {
                    if (strcmp(json_string_value(json_object_get(e, "level")), "community"))
                        continue;
                    community = strdup(json_string_value(json_object_get(e, "code")));
                    approximate = json_is_true(json_object_get(e, "approximate"));
                }
                json_decref(j);
            }
            http_resp_free(&r);
            if (round == 0 || (community && strcmp(community, "420102002001") == 0))
                break;
            usleep(50000);
        } while (geodproc_now() - t0 < 10);
        if (round == 0) /* before: a derived community, not the one with no boundary yet */
            T_CHECKF(community && strcmp(community, "420102002001") != 0 && approximate, "%s",
                     community ? community : "(none)");
        else
            T_CHECKF(community && strcmp(community, "420102002001") == 0 && !approximate,
                     "after the import: %s", community ? community : "(none)");
    }
    free(community);
    http_client_free(c);
    int status = -1;
    bool stopped = geodproc_stop(&g, 10000, &status, NULL);
    char *log = geodproc_stderr(&g);
    why[0] = '\0';
    T_CHECKF(stopped && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                 geodproc_log_ok(log, true, why, sizeof why),
             "status %d: %s\n%s", status, why, log ? log : "");
    free(log);
    geodproc_cleanup(&g);
}

static void test_boundaries_from_geojson(void)
{
    char *err;
    T_CHECK(import(&err, FIX "division_areas.geojson", "--kind", "division", NULL) == 0);
    T_CHECKF(err && strstr(err, "0 inserted, 2 updated, 0 unchanged"), "%s", err);
    free(err);
    const char *codes[] = {"420102002001", "420102002003"};
    for (int i = 0; i < 2; i++) {
        char *geo = fixture_geometry(FIX "division_areas.geojson", codes[i]);
        T_CHECK(geo);
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT ST_Equals(boundary, SetSRID(GeomFromGeoJSON(?1), 4326)) FROM division"
                 " WHERE code = '%s' AND approximate = 0 AND boundary_source ="
                 " 'division_areas.geojson'",
                 codes[i]);
        T_CHECKF(spatial(sql, geo) == 1, "%s: boundary not the fixture's", codes[i]);
        /* the centre lies in the boundary (the new one had none: a point on its surface) */
        snprintf(sql, sizeof sql,
                 "SELECT ST_Contains(boundary, MakePoint(center_lon, center_lat, 4326)) FROM"
                 " division WHERE code = '%s'",
                 codes[i]);
        T_CHECKF(spatial(sql, NULL) == 1, "%s: centre outside", codes[i]);
        free(geo);
    }
    T_CHECK(q("SELECT count(*) FROM division WHERE code = '420102002003' AND"
              " name = '保成路社区'") == 1); /* the name the feed gives, unchanged */
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'division' AND"
              " actor = 'import:division_areas.geojson' AND action = 'update'") == 2);
    /* again: nothing changes */
    T_CHECK(import(&err, FIX "division_areas.geojson", "--kind", "division", NULL) == 0);
    T_CHECKF(err && strstr(err, "0 inserted, 0 updated, 2 unchanged"), "%s", err);
    free(err);
}

static void test_projected_boundary(void)
{
    char *err;
    T_CHECK(import(&err, FIX "division_4547.geojson", "--kind", "division", NULL) == 0);
    T_CHECKF(err && strstr(err, "EPSG:4547") && strstr(err, "1 updated"), "%s", err);
    free(err);
    char *geo = fixture_geometry(FIX "division_4547.geojson", "420102002005");
    double d = spatial("SELECT HausdorffDistance(boundary, ST_Transform(SetSRID("
                       "GeomFromGeoJSON(?1), 4547), 4326)) FROM division WHERE"
                       " code = '420102002005' AND approximate = 0",
                       geo);
    T_CHECKF(d < 1e-7, "distance to SpatiaLite's transform %g degrees", d);
    /* the cs2cs oracle of SOURCES.md: the square is 114.300..114.301, 30.600..30.601 */
    double w = spatial("SELECT MbrMinX(boundary) FROM division WHERE code = '420102002005'", NULL);
    double n = spatial("SELECT MbrMaxY(boundary) FROM division WHERE code = '420102002005'", NULL);
    T_CHECKF(fabs(w - 114.300) < 1e-6 && fabs(n - 30.601) < 1e-6, "%.8f %.8f", w, n);
    T_CHECK(q("SELECT count(*) FROM division WHERE code = '420102002005' AND"
              " name = '先锋社区'") == 1);
    free(geo);
}

/* Refusals leave the store as it was. */
static void test_refused(void)
{
    size_t len0, len1;
    char *bytes0 = scratch_slurp(db, &len0), *err;
    T_CHECK(import(&err, FIX "division_bowtie.geojson", "--kind", "division", NULL) != 0);
    T_CHECKF(err && strstr(err, "feature 1, field geometry") && strstr(err, "nothing was imported"),
             "%s", err);
    free(err);
    T_CHECK(import(&err, FIX "divisions.csv", "--kind", "division", "--skip-bad",
                   "--delete-missing", NULL) != 0);
    T_CHECKF(err && strstr(err, "--delete-missing"), "%s", err);
    free(err);
    T_CHECK(import(&err, FIX "divisions.csv", "--kind", "planet", NULL) != 0);
    T_CHECKF(err && strstr(err, "--kind"), "%s", err);
    free(err);
    char *bytes1 = scratch_slurp(db, &len1);
    T_CHECK(bytes0 && bytes1 && len0 == len1 && memcmp(bytes0, bytes1, len0) == 0);
    free(bytes0);
    free(bytes1);
}

int main(void)
{
    if (!scratch_new(&sc, "geod-import-division"))
        return 1;
    scratch_path(&sc, db, sizeof db, "geod.sqlite");
    scratch_path(&sc, report, sizeof report, "report.txt");
    T_RUN(test_codes_from_csv);
    T_RUN(test_serve_picks_up);
    T_RUN(test_boundaries_from_geojson);
    T_RUN(test_projected_boundary);
    T_RUN(test_refused);
    scratch_free(&sc);
    return T_END();
}

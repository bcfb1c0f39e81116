/* test_import_formats.c - `geod import` of Shapefiles and SpatiaLite tables end to end (the real
 * binary on a real store). The oracles are independent of geod's readers: the CSV the Shapefile
 * was made from by GDAL (src/facilities.csv, WGS-84, before ogr2ogr projected it to EPSG:4547
 * and wrote it in GBK), SpatiaLite reading the SpatiaLite fixture (ST_X, ST_Y) and the district
 * Shapefile (its VirtualShape module) and GeoJSON (GeomFromGeoJSON) on a connection of the
 * test's own. Files that cannot be imported leave the store byte for byte as it was. */
#include "tests/lib/importrun.h"
#include "tests/lib/scratch.h"
#include "tests/lib/storecheck.h"
#include "tests/t.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#define FIX "tests/data/import/"

static struct scratch sc;
static char db[512], report[512];

#define import(err, ...) importrun(db, err, "--report", report, __VA_ARGS__)

static long long q(const char *sql)
{
    return importrun_q(db, sql);
}

/* Runs sql (one number) on the store with SpatiaLite, with ?1 bound to text (may be NULL). */
static double spatial(const char *sql, const char *text)
{
    struct sc_conn c;
    char why[SC_WHY];
    double v = NAN;
    if (!sc_open(&c, db, SQLITE_OPEN_READONLY, why)) {
        T_CHECKF(0, "%s", why);
        return v;
    }
    sqlite3_stmt *st = sc_prep(c.db, sql, why);
    if (st) {
        if (text)
            sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            v = sqlite3_column_double(st, 0);
        sqlite3_finalize(st);
    }
    T_CHECKF(st, "%s", why);
    sc_close(&c, why);
    return v;
}

static void test_shapefile_points(void)
{
    char *err;
    T_CHECK(import(&err, FIX "facilities.csv", "--crs", "wgs84", NULL) == 0); /* the store */
    free(err);
    /* neither encoding nor system given: the .cpg says GBK, the .prj EPSG:4547 */
    T_CHECK(import(&err, FIX "facilities_4547.shp", "--source", "shp", NULL) == 0);
    T_CHECKF(err && strstr(err, "gbk (from the .cpg)") && strstr(err, "EPSG:4547") &&
                 strstr(err, "8 inserted"),
             "%s", err);
    free(err);
    /* every record of the CSV GDAL made the file from: its name, its position */
    FILE *f = fopen(FIX "src/facilities.csv", "r");
    char line[1024];
    int rows = 0, good = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (rows++ == 0)
            continue; /* the header */
        char *field[10] = {0}, *p = line;
        for (int i = 0; i < 10 && p; i++) {
            field[i] = p;
            p = strchr(p, ',');
            if (p)
                *p++ = '\0';
        }
        double lon = atof(field[8]), lat = atof(field[9]);
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT max(abs(lon - %.10f), abs(lat - %.10f)) FROM facility WHERE"
                 " source = 'shp' AND source_key = '%s' AND name = ?1",
                 lon, lat, field[0]);
        double d = spatial(sql, field[1]);
        T_CHECKF(d < 1e-7, "%s %s: %g degrees off (or missing)", field[0], field[1], d);
        good += d < 1e-7;
    }
    if (f)
        fclose(f);
    T_CHECK(rows == 9 && good == 8);
    /* again: nothing changes */
    T_CHECK(import(&err, FIX "facilities_4547.shp", "--source", "shp", NULL) == 0);
    T_CHECKF(err && strstr(err, "0 inserted, 0 updated, 8 unchanged"), "%s", err);
    free(err);
}

static void test_spatialite_table(void)
{
    char *err;
    /* row 7 has no position: refused as a whole, then imported without it */
    T_CHECK(import(&err, FIX "facilities_4490.sqlite", "--source", "sq", NULL) != 0);
    T_CHECKF(err && strstr(err, "row 7, field lon: missing"), "%s", err);
    free(err);
    T_CHECK(import(&err, FIX "facilities_4490.sqlite", "--source", "sq", "--skip-bad", NULL) == 0);
    T_CHECKF(err && strstr(err, "EPSG:4490") && strstr(err, "5 inserted") &&
                 strstr(err, "1 rejected"),
             "%s", err);
    free(err);
    /* the oracle: SpatiaLite's own reading of the fixture */
    struct sc_conn c;
    char why[SC_WHY];
    if (!sc_open(&c, FIX "facilities_4490.sqlite", SQLITE_OPEN_READONLY, why)) {
        T_CHECKF(0, "%s", why);
        return;
    }
    sqlite3_stmt *st = sc_prep(c.db,
                               "SELECT id, name, ST_X(geom), ST_Y(geom) FROM facility WHERE"
                               " geom IS NOT NULL",
                               why);
    int n = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT max(abs(lon - %.12f), abs(lat - %.12f)) FROM facility WHERE"
                 " source = 'sq' AND source_key = '%lld' AND name = ?1",
                 sqlite3_column_double(st, 2), sqlite3_column_double(st, 3),
                 (long long)sqlite3_column_int64(st, 0));
        double d = spatial(sql, (const char *)sqlite3_column_text(st, 1));
        T_CHECKF(d < 1e-9, "row %lld: %g", (long long)sqlite3_column_int64(st, 0), d);
        n++;
    }
    sqlite3_finalize(st);
    sc_close(&c, why);
    T_CHECK(n == 5 && q("SELECT count(*) FROM facility WHERE source = 'sq'") == 5);
    /* the table can be named; a wrong one is refused naming the tables there are */
    T_CHECK(import(&err, FIX "facilities_4490.sqlite", "--table", "nope", "--source", "sq",
                   NULL) != 0);
    T_CHECKF(err && strstr(err, "nope") && strstr(err, "facility"), "%s", err);
    free(err);
}

static void test_division_boundaries(void)
{
    char *err;
    T_CHECK(import(&err, FIX "districts_4490.shp", "--kind", "division", NULL) == 0);
    T_CHECKF(err && strstr(err, "EPSG:4490") && strstr(err, "4 updated"), "%s", err);
    free(err);
    /* each district's boundary is the Shapefile's, as SpatiaLite's VirtualShape reads it */
    const char *codes[] = {"420103000000", "420113000000", "420114000000", "420117000000"};
    for (int i = 0; i < 4; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT HausdorffDistance(d.boundary, s.Geometry) + abs(ST_Area("
                 "d.boundary) - ST_Area(s.Geometry)) FROM division d, shp s WHERE"
                 " d.code = '%s' AND s.code = d.code AND d.approximate = 0 AND"
                 " d.boundary_source = 'districts_4490.shp') FROM (SELECT 1)",
                 codes[i]);
        struct sc_conn c;
        char why[SC_WHY];
        if (!sc_open(&c, db, SQLITE_OPEN_READONLY, why))
            continue;
        T_CHECK(sqlite3_exec(c.db,
                             "CREATE VIRTUAL TABLE temp.shp USING VirtualShape("
                             "'" FIX "districts_4490', 'UTF-8', 4326)",
                             NULL, NULL, NULL) == SQLITE_OK);
        double d = NAN;
        sqlite3_stmt *st = sc_prep(c.db, sql, why);
        if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            d = sqlite3_column_double(st, 0);
        sqlite3_finalize(st);
        sc_close(&c, why);
        T_CHECKF(d < 1e-9, "%s: %g from the Shapefile's", codes[i], d);
    }
    /* GeoJSON polygons */
    T_CHECK(import(&err, FIX "districts.geojson", "--kind", "division", NULL) == 0);
    T_CHECKF(err && strstr(err, "5 updated"), "%s", err);
    free(err);
    json_t *fc = json_load_file(FIX "districts.geojson", 0, NULL), *f;
    size_t i;
    int n = 0;
    json_array_foreach(json_object_get(fc, "features"), i, f)
    {
        char *geo = json_dumps(json_object_get(f, "geometry"), JSON_COMPACT), sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT ST_Equals(boundary, SetSRID(GeomFromGeoJSON(?1), 4326)) FROM division"
                 " WHERE code = '%s' AND approximate = 0",
                 json_string_value(json_object_get(json_object_get(f, "properties"), "code")));
        n += spatial(sql, geo) == 1;
        free(geo);
    }
    json_decref(fc);
    T_CHECK(n == 5);
}

/* Files that cannot be imported: a clear reason, the store untouched. */
static void test_refused(void)
{
    size_t len0, len1, n;
    char *bytes0 = scratch_slurp(db, &len0), *err, path[600];
    /* a Shapefile without its .prj: the system must be given */
    const char *parts[] = {"shp", "shx", "dbf", "cpg"};
    for (int i = 0; i < 4; i++) {
        char from[256];
        snprintf(from, sizeof from, FIX "facilities_4547.%s", parts[i]);
        char name[64];
        snprintf(name, sizeof name, "noprj.%s", parts[i]);
        char *b = scratch_slurp(from, &n);
        scratch_path(&sc, path, sizeof path, name);
        /* the .shp cut short in a second copy */
        T_CHECK(b && scratch_spit(path, b, n));
        snprintf(name, sizeof name, "cut.%s", parts[i]);
        scratch_path(&sc, path, sizeof path, name);
        T_CHECK(b && scratch_spit(path, b, i == 0 ? n - 30 : n));
        free(b);
    }
    scratch_path(&sc, path, sizeof path, "noprj.shp");
    T_CHECK(import(&err, path, NULL) != 0);
    T_CHECKF(err && strstr(err, "no .prj") && strstr(err, "--crs"), "%s", err);
    free(err);
    scratch_path(&sc, path, sizeof path, "cut.shp");
    T_CHECK(import(&err, path, "--crs", "EPSG:4547", NULL) != 0);
    T_CHECKF(err && strstr(err, "cut.sh"), "%s", err);
    free(err);
    T_CHECK(import(&err, FIX "facilities.csv", "--crs", "wgs84", "--table", "t", NULL) != 0);
    T_CHECKF(err && strstr(err, "--table"), "%s", err);
    free(err);
    T_CHECK(import(&err, FIX "divisions.csv", "--format", "xls", NULL) != 0);
    T_CHECKF(err && strstr(err, "format xls is not supported"), "%s", err);
    free(err);
    char *bytes1 = scratch_slurp(db, &len1);
    T_CHECK(bytes0 && bytes1 && len0 == len1 && memcmp(bytes0, bytes1, len0) == 0);
    free(bytes0);
    free(bytes1);
    /* with the system given, the same file goes in */
    scratch_path(&sc, path, sizeof path, "noprj.shp");
    T_CHECK(import(&err, path, "--crs", "EPSG:4547", "--source", "shp", NULL) == 0);
    T_CHECKF(err && strstr(err, "8 unchanged"), "%s", err);
    free(err);
}

int main(void)
{
    if (!scratch_new(&sc, "geod-import-formats"))
        return 1;
    scratch_path(&sc, db, sizeof db, "geod.sqlite");
    scratch_path(&sc, report, sizeof report, "report.txt");
    T_RUN(test_shapefile_points);
    T_RUN(test_spatialite_table);
    T_RUN(test_division_boundaries);
    T_RUN(test_refused);
    scratch_free(&sc);
    return T_END();
}

/* test_records_sqlite.c - importers/records_sqlite.c: the SpatiaLite fixture read against the same
 * table through direct SQL on a connection of the test's own (values compared as numbers where
 * they are numbers, points to the last bit), the file left byte for byte as it was; then which
 * table is meant, polygons and other geometry, values that are not text, and files that are not
 * what they should be. */
#include "importers/records.h"
#include "tests/t.h"

#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h */
#include <spatialite.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define FIXTURE "tests/data/import/facilities_4490.sqlite"

static char tmpdir[64];

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

/* A connection with SpatiaLite, to the fixture or a file the test makes. */
struct conn {
    sqlite3 *db;
    void *sp;
};

static struct conn conn_open(const char *path, int flags)
{
    struct conn c = {0};
    T_CHECK(sqlite3_open_v2(path, &c.db, flags, NULL) == SQLITE_OK);
    c.sp = spatialite_alloc_connection();
    spatialite_init_ex(c.db, c.sp, 0);
    return c;
}

static void conn_close(struct conn c)
{
    sqlite3_close(c.db);
    spatialite_cleanup_ex(c.sp);
}

static void exec(struct conn c, const char *sql)
{
    char *msg = NULL;
    T_CHECKF(sqlite3_exec(c.db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_free(msg);
}

static struct rec_source *open_ok(const char *path, const char *table, char *crs)
{
    struct rec_source *s = NULL;
    char err[256] = "";
    enum geod_err rc = rec_open_sqlite(path, table, &s, crs, 64, err, sizeof err);
    T_CHECKF(rc == GEOD_OK, "%s %s: %d %s", path, table ? table : "(auto)", rc, err);
    return s;
}

static enum geod_err open_err(const char *path, const char *table, char *err, size_t errlen)
{
    struct rec_source *s = NULL;
    char crs[64];
    err[0] = '\0';
    enum geod_err rc = rec_open_sqlite(path, table, &s, crs, sizeof crs, err, errlen);
    rec_close(s);
    return rc;
}

/* Every row of the fixture's facility table, field by field against SQL. */
static void test_fixture_vs_sql(void)
{
    size_t n0, n1;
    unsigned char *before = slurp(FIXTURE, &n0);
    char crs[64];
    struct rec_source *s = open_ok(FIXTURE, NULL, crs);
    if (!s) {
        free(before);
        return;
    }
    T_CHECKF(strcmp(crs, "EPSG:4490") == 0, "%s", crs);
    /* photo (BLOB) and geom are not fields */
    static const char *const names[] = {"id",      "code", "name",  "category",
                                        "address", "beds", "rating"};
    T_CHECKF(rec_nfields(s) == 7, "%zu fields", rec_nfields(s));
    for (size_t i = 0; i < 7 && rec_nfields(s) == 7; i++)
        T_CHECKF(strcmp(rec_field_name(s, i), names[i]) == 0, "%s", rec_field_name(s, i));
    struct conn c = conn_open(FIXTURE, SQLITE_OPEN_READONLY);
    sqlite3_stmt *st = NULL;
    T_CHECK(sqlite3_prepare_v2(c.db,
                               "SELECT rowid, id, code, name, category, address, beds, "
                               "rating, ST_X(geom), ST_Y(geom), geom IS NULL FROM facility "
                               "ORDER BY rowid",
                               -1, &st, NULL) == SQLITE_OK);
    struct record r;
    char err[256];
    int n = 0, nulls = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        T_CHECKF(rec_next(s, &r, err, sizeof err) == GEOD_OK, "%s", err);
        n++;
        T_CHECK(r.where == (size_t)sqlite3_column_int64(st, 0) && !r.bad_why);
        for (int i = 0; i < 7 && r.nfields == 7; i++) {
            const char *v = r.values[i];
            switch (sqlite3_column_type(st, i + 1)) {
            case SQLITE_NULL:
                T_CHECK(v == NULL);
                nulls++;
                break;
            case SQLITE_INTEGER:
                T_CHECKF(v && strtoll(v, NULL, 10) == sqlite3_column_int64(st, i + 1),
                         "row %zu %s: %s", r.where, names[i], v ? v : "(null)");
                break;
            case SQLITE_FLOAT:
                T_CHECKF(v && strtod(v, NULL) == sqlite3_column_double(st, i + 1), "row %zu %s: %s",
                         r.where, names[i], v ? v : "(null)");
                break;
            default:
                T_CHECKF(v && strcmp(v, (const char *)sqlite3_column_text(st, i + 1)) == 0,
                         "row %zu %s: %s", r.where, names[i], v ? v : "(null)");
            }
        }
        if (sqlite3_column_int(st, 10)) {
            T_CHECK(!r.has_point && !r.area_wkb && !r.other_geometry);
        } else {
            T_CHECK(r.has_point && r.x == sqlite3_column_double(st, 8) &&
                    r.y == sqlite3_column_double(st, 9));
        }
    }
    sqlite3_finalize(st);
    conn_close(c);
    T_CHECKF(n == 6 && nulls == 3, "%d rows, %d nulls", n, nulls);
    T_CHECK(rec_next(s, &r, err, sizeof err) == GEOD_ENOTFOUND && rec_progress(s) == 1);
    rec_close(s);
    /* beyond a double's 53 bits, and the shortest text of 1e-300 and 0.1 */
    s = open_ok(FIXTURE, "facility", crs);
    while (s && rec_next(s, &r, err, sizeof err) == GEOD_OK) {
        if (r.where == 6)
            T_CHECKF(strcmp(r.values[5], "9007199254740993") == 0, "%s", r.values[5]);
        if (r.where == 5)
            T_CHECKF(strcmp(r.values[6], "1e-300") == 0, "%s", r.values[6]);
        if (r.where == 2)
            T_CHECKF(strcmp(r.values[6], "0.1") == 0, "%s", r.values[6]);
    }
    rec_close(s);
    unsigned char *after = slurp(FIXTURE, &n1);
    T_CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    T_CHECK(access(FIXTURE "-journal", F_OK) != 0 && access(FIXTURE "-wal", F_OK) != 0);
}

static void test_table_without_geometry(void)
{
    char crs[64] = "x", err[256];
    struct rec_source *s = open_ok(FIXTURE, "NOTE", crs); /* any case */
    struct record r;
    T_CHECK(crs[0] == '\0');
    T_CHECK(s && rec_nfields(s) == 2 && strcmp(rec_field_name(s, 1), "text") == 0);
    T_CHECK(s && rec_next(s, &r, err, sizeof err) == GEOD_OK && r.where == 1 &&
            strcmp(r.values[1], "a table without geometry") == 0 && !r.has_point && !r.area_wkb &&
            !r.other_geometry);
    T_CHECK(s && rec_next(s, &r, err, sizeof err) == GEOD_ENOTFOUND);
    rec_close(s);
}

static void test_bad_files(void)
{
    char err[256];
    T_CHECK(open_err(FIXTURE, "nothing", err, sizeof err) == GEOD_ENOTFOUND);
    T_CHECKF(strstr(err, "no table nothing") && strstr(err, "facility, note"), "%s", err);
    T_CHECK(open_err("tests/data/import/facilities.csv", NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "not a SQLite database"), "%s", err);
    T_CHECK(open_err("tests/data/import/none.sqlite", NULL, err, sizeof err) == GEOD_ENOTFOUND);
    T_CHECKF(strstr(err, "none.sqlite"), "%s", err);
}

/* Files made here: two geometry tables (ambiguous), then plain SQLite with one and two tables. */
static void test_pick(void)
{
    char path[128], err[512], crs[64];
    snprintf(path, sizeof path, "%s/two.sqlite", tmpdir);
    struct conn c = conn_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    exec(c, "SELECT InitSpatialMetadata(1, 'NONE'); SELECT InsertEpsgSrid(4547);"
            "CREATE TABLE a (id INTEGER PRIMARY KEY, n TEXT);"
            "SELECT AddGeometryColumn('a', 'geom', 4326, 'POINT', 'XY');"
            "SELECT CreateSpatialIndex('a', 'geom');"
            "CREATE TABLE b (id INTEGER PRIMARY KEY);"
            "SELECT AddGeometryColumn('b', 'g', 4547, 'POINT', 'XY');"
            "CREATE TABLE plain (x TEXT);"
            "INSERT INTO b VALUES (1, MakePoint(526007.5, 3386792.25, 4547));");
    conn_close(c);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "2 tables with geometry (a, b)") && strstr(err, "give --table"), "%s",
             err);
    struct rec_source *s = open_ok(path, "b", crs);
    struct record r;
    T_CHECKF(strcmp(crs, "EPSG:4547") == 0, "%s", crs);
    T_CHECK(s && rec_next(s, &r, err, sizeof err) == GEOD_OK && r.has_point && r.x == 526007.5 &&
            r.y == 3386792.25 && rec_nfields(s) == 1);
    rec_close(s);
    unlink(path);

    snprintf(path, sizeof path, "%s/plain.sqlite", tmpdir);
    c = conn_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    exec(c, "CREATE TABLE only_one (k TEXT, v REAL)");
    conn_close(c);
    s = open_ok(path, NULL, crs);
    T_CHECK(s && rec_nfields(s) == 2 && strcmp(rec_field_name(s, 0), "k") == 0 && !crs[0]);
    rec_close(s);
    c = conn_open(path, SQLITE_OPEN_READWRITE);
    exec(c, "CREATE TABLE second (k TEXT)");
    conn_close(c);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "2 tables (only_one, second)") && strstr(err, "give --table"), "%s", err);
    unlink(path);
    /* an empty database: no table at all */
    snprintf(path, sizeof path, "%s/empty.sqlite", tmpdir);
    c = conn_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    exec(c, "PRAGMA user_version = 1");
    conn_close(c);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "0 tables"), "%s", err);
    unlink(path);
}

/* Polygons, a multipolygon, a line, a 3-D point, a one-point multipoint, a blob that is no
 * geometry, and values that are not text. */
static void test_geometry_and_values(void)
{
    char path[128], err[256], crs[64];
    snprintf(path, sizeof path, "%s/geom.sqlite", tmpdir);
    struct conn c = conn_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    exec(c, "SELECT InitSpatialMetadata(1, 'NONE');"
            "CREATE TABLE t (name TEXT, note);"
            "SELECT AddGeometryColumn('t', 'geom', 4326, 'GEOMETRY', 'XYZ');"
            "INSERT INTO t VALUES ('p', 1, GeomFromText('POLYGON Z((0 0 5,0 10 5,10 10 5,10 0 "
            "5,0 0 5),(2 2 5,8 2 5,8 8 5,2 8 5,2 2 5))', 4326));"
            "INSERT INTO t VALUES ('mp', 2, GeomFromText('MULTIPOLYGON Z(((0 0 1,0 1 1,1 1 1,0 0 "
            "1)),((5 5 1,5 6 1,6 6 1,5 5 1)))', 4326));"
            "INSERT INTO t VALUES ('l', 3, GeomFromText('LINESTRING Z(0 0 0,1 1 1)', 4326));"
            "INSERT INTO t VALUES ('pz', 4, GeomFromText('POINT Z(114.25 30.5 12)', 4326));"
            "INSERT INTO t VALUES ('m1', 5, GeomFromText('MULTIPOINT Z(114.5 30.75 1)', 4326));"
            /* the column's triggers would refuse what is not a geometry */
            "DROP TRIGGER IF EXISTS ggi_t_geom; DROP TRIGGER IF EXISTS ggu_t_geom;"
            "DROP TRIGGER IF EXISTS tmi_t_geom; DROP TRIGGER IF EXISTS tmu_t_geom;"
            "INSERT INTO t VALUES ('junk', 6, X'00010203');"
            "INSERT INTO t VALUES (CAST(X'E6B1' AS TEXT), 7, NULL);"
            "INSERT INTO t VALUES ('blob', X'FFD8', NULL);");
    conn_close(c);
    struct rec_source *s = open_ok(path, NULL, crs);
    T_CHECKF(strcmp(crs, "EPSG:4326") == 0, "%s", crs);
    T_CHECK(s && rec_nfields(s) == 2 && strcmp(rec_field_name(s, 1), "note") == 0);
    struct conn o = conn_open(":memory:", SQLITE_OPEN_READWRITE);
    sqlite3_stmt *cmp = NULL;
    T_CHECK(sqlite3_prepare_v2(o.db,
                               "SELECT ST_Equals(GeomFromWKB(?), GeomFromText(?)), "
                               "CoordDimension(GeomFromWKB(?1))",
                               -1, &cmp, NULL) == SQLITE_OK);
    static const char *const wkt[] = {"POLYGON((0 0,0 10,10 10,10 0,0 0),(2 2,8 2,8 8,2 8,2 2))",
                                      "MULTIPOLYGON(((0 0,0 1,1 1,0 0)),((5 5,5 6,6 6,5 5)))"};
    struct record r;
    for (size_t row = 1; s && rec_next(s, &r, err, sizeof err) == GEOD_OK; row++) {
        T_CHECK(r.where == row);
        if (row <= 2) {
            T_CHECK(r.area_wkb && !r.has_point && !r.bad_why);
            sqlite3_reset(cmp);
            sqlite3_bind_blob(cmp, 1, r.area_wkb, (int)r.area_wkb_len, SQLITE_STATIC);
            sqlite3_bind_text(cmp, 2, wkt[row - 1], -1, SQLITE_STATIC);
            T_CHECK(cmp && sqlite3_step(cmp) == SQLITE_ROW && sqlite3_column_int(cmp, 0) == 1);
            T_CHECKF(strcmp((const char *)sqlite3_column_text(cmp, 1), "XY") == 0, "%s",
                     sqlite3_column_text(cmp, 1));
        } else if (row == 3) {
            T_CHECK(r.other_geometry && strcmp(r.other_geometry, "LineString") == 0);
        } else if (row == 4) {
            T_CHECK(r.has_point && r.x == 114.25 && r.y == 30.5);
        } else if (row == 5) {
            T_CHECK(r.has_point && r.x == 114.5 && r.y == 30.75);
        } else if (row == 6) {
            T_CHECK(r.bad_field && strcmp(r.bad_field, "geom") == 0 && !r.has_point);
        } else if (row == 7) {
            T_CHECKF(r.bad_field && strcmp(r.bad_field, "name") == 0 && r.bad_why &&
                         strstr(r.bad_why, "UTF-8") && !r.values[0],
                     "%s", r.bad_why ? r.bad_why : "-");
        } else if (row == 8) {
            T_CHECK(r.bad_field && strcmp(r.bad_field, "note") == 0 && r.bad_why &&
                    strstr(r.bad_why, "BLOB") && strcmp(r.values[0], "blob") == 0);
        }
        T_CHECK(row <= 8);
    }
    sqlite3_finalize(cmp);
    conn_close(o);
    rec_close(s);
    unlink(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/geod_sqlrec_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 2;
    T_RUN(test_fixture_vs_sql);
    T_RUN(test_table_without_geometry);
    T_RUN(test_bad_files);
    T_RUN(test_pick);
    T_RUN(test_geometry_and_values);
    rmdir(tmpdir);
    return T_END();
}

/* test_shapefile.c - importers/records_shp.c (with shapefile.c, shapefile_dbf.c and
 * shapefile_rings.c under it) against SpatiaLite's VirtualShape, an independent reader of the same
 * files: same records, same attributes, the same points, polygons ST_Equals with the same area.
 * Then copies of the fixtures broken one way at a time, each refused with a clear message. */
#include "importers/records.h"
#include "importers/shapefile.h"
#include "tests/t.h"

#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h */
#include <spatialite.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define FIX "tests/data/import/"

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

static void spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

static const char *const exts[] = {"shp", "shx", "dbf", "prj", "cpg"};

/* Copies fixture set name into tmpdir as "t.*" and returns the path of the copy's .shp. */
static const char *copy_set(const char *name)
{
    static char out[128];
    for (size_t i = 0; i < 5; i++) {
        char from[128], to[128];
        snprintf(from, sizeof from, FIX "%s.%s", name, exts[i]);
        snprintf(to, sizeof to, "%s/t.%s", tmpdir, exts[i]);
        size_t n;
        unsigned char *b = slurp(from, &n);
        T_CHECK(b != NULL);
        if (b)
            spit(to, b, n);
        free(b);
    }
    snprintf(out, sizeof out, "%s/t.shp", tmpdir);
    return out;
}

static char *part(const char *ext)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/t.%s", tmpdir, ext);
    return p;
}

/* Overwrites bytes of the copy's file ext at off. */
static void patch(const char *ext, long off, const void *bytes, size_t n)
{
    FILE *f = fopen(part(ext), "r+b");
    T_CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, off, SEEK_SET);
    fwrite(bytes, 1, n, f);
    fclose(f);
}

/* ---- the oracle ---- */

static sqlite3 *db;
static void *splite;

static void oracle_open(void)
{
    T_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    splite = spatialite_alloc_connection();
    spatialite_init_ex(db, splite, 0);
    T_CHECK(sqlite3_exec(db,
                         "CREATE VIRTUAL TABLE fac USING VirtualShape('" FIX
                         "facilities_4547', 'CP936', 4547);"
                         "CREATE VIRTUAL TABLE dis USING VirtualShape('" FIX
                         "districts_4490', 'UTF-8', 4490)",
                         NULL, NULL, NULL) == SQLITE_OK);
}

static sqlite3_stmt *oracle(const char *sql)
{
    sqlite3_stmt *st = NULL;
    T_CHECKF(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
             sqlite3_errmsg(db));
    return st;
}

static int count(const char *table)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = oracle(sql);
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static struct rec_source *open_ok(const char *path, const char *enc, char *enc_out, char *crs)
{
    struct rec_source *s = NULL;
    char err[256] = "";
    enum geod_err rc = rec_open_shp(path, enc, &s, enc_out, 64, crs, 64, err, sizeof err);
    T_CHECKF(rc == GEOD_OK, "%s: %d %s", path, rc, err);
    return s;
}

/* Every facility against VirtualShape: fields by name in the .dbf's order, text equal, numbers
 * equal as numbers (VirtualShape reads a blank number as 0), dates as the same Julian day, points
 * to the last bit. */
static void test_facilities_vs_virtualshape(void)
{
    char enc[64], crs[64];
    struct rec_source *s = open_ok(FIX "facilities_4547.shp", NULL, enc, crs);
    if (!s)
        return;
    T_CHECKF(strcmp(enc, "gbk (from the .cpg)") == 0, "%s", enc);
    T_CHECKF(strcmp(crs, "EPSG:4547") == 0, "%s", crs);
    static const char kinds[] = "CCCCNNDN"; /* the .dbf's types (ogrinfo -so) */
    T_CHECKF(rec_nfields(s) == 8, "%zu fields", rec_nfields(s));
    sqlite3_stmt *cols = oracle("PRAGMA table_info(fac)");
    for (size_t i = 0; cols && sqlite3_step(cols) == SQLITE_ROW;) {
        int cid = sqlite3_column_int(cols, 0);
        if (cid < 2)
            continue; /* PKUID, Geometry */
        const char *name = (const char *)sqlite3_column_text(cols, 1);
        T_CHECKF(i < rec_nfields(s) && strcmp(rec_field_name(s, i), name) == 0, "field %zu: %s", i,
                 name);
        i++;
    }
    sqlite3_finalize(cols);
    sqlite3_stmt *st = oracle("SELECT PKUID, ST_X(Geometry), ST_Y(Geometry), * FROM fac "
                              "ORDER BY PKUID");
    struct record r;
    char err[256];
    int n = 0, blanks = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        T_CHECKF(rec_next(s, &r, err, sizeof err) == GEOD_OK, "%s", err);
        n++;
        T_CHECK(r.where == (size_t)sqlite3_column_int64(st, 0));
        T_CHECKF(!r.bad_why, "record %zu: %s", r.where, r.bad_why);
        T_CHECK(r.has_point && !r.area_wkb && !r.other_geometry);
        T_CHECKF(r.x == sqlite3_column_double(st, 1) && r.y == sqlite3_column_double(st, 2),
                 "record %zu: (%.17g %.17g)", r.where, r.x, r.y);
        for (size_t i = 0; i < 8 && r.nfields == 8; i++) {
            int c = 5 + (int)i; /* after PKUID, x, y, PKUID, Geometry */
            const char *v = r.values[i];
            if (kinds[i] == 'C') {
                T_CHECKF(v && strcmp(v, (const char *)sqlite3_column_text(st, c)) == 0,
                         "record %zu field %zu: %s", r.where, i, v ? v : "(null)");
            } else if (kinds[i] == 'N') {
                blanks += !v;
                T_CHECKF(v ? strtod(v, NULL) == sqlite3_column_double(st, c)
                           : sqlite3_column_double(st, c) == 0,
                         "record %zu field %zu: %s", r.where, i, v ? v : "(null)");
            } else {
                sqlite3_stmt *jd = oracle("SELECT julianday(?)");
                sqlite3_bind_text(jd, 1, v ? v : "", -1, SQLITE_STATIC);
                T_CHECK(jd && sqlite3_step(jd) == SQLITE_ROW);
                T_CHECKF(v ? sqlite3_column_double(jd, 0) == sqlite3_column_double(st, c)
                           : sqlite3_column_type(st, c) == SQLITE_NULL,
                         "record %zu date: %s", r.where, v ? v : "(null)");
                sqlite3_finalize(jd);
            }
        }
    }
    sqlite3_finalize(st);
    T_CHECKF(n == count("fac") && n == 8, "%d records", n);
    T_CHECKF(blanks == 6, "%d", blanks); /* the blank numbers of src/facilities.csv */
    T_CHECK(rec_next(s, &r, err, sizeof err) == GEOD_ENOTFOUND);
    T_CHECK(rec_progress(s) == 1);
    rec_close(s);
}

/* The districts: 江汉 one ring, 汉南 with holes, 蔡甸 six parts, 新洲 two parts one with holes.
 * VirtualShape makes every one a MULTIPOLYGON; ours must be the same set of points. */
static void test_districts_vs_virtualshape(void)
{
    char enc[64], crs[64];
    struct rec_source *s = open_ok(FIX "districts_4490.shp", NULL, enc, crs);
    if (!s)
        return;
    T_CHECKF(strcmp(enc, "utf-8 (from the .cpg)") == 0, "%s", enc);
    T_CHECKF(strcmp(crs, "EPSG:4490") == 0, "%s", crs);
    T_CHECK(rec_nfields(s) == 2 && strcmp(rec_field_name(s, 0), "code") == 0 &&
            strcmp(rec_field_name(s, 1), "name") == 0);
    sqlite3_stmt *st = oracle("SELECT PKUID, code, name, ST_Area(Geometry), Geometry FROM dis "
                              "ORDER BY PKUID");
    sqlite3_stmt *cmp = oracle(
        "SELECT ST_Equals(g, ?2), ST_Area(g), ST_IsValid(g), NumGeometries(g), ST_NPoints(g), "
        "ST_NPoints(?2), (SELECT sum(NumInteriorRings(GeometryN(g, value))) FROM (SELECT 1 AS "
        "value UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5 UNION SELECT 6) "
        "WHERE value <= NumGeometries(g)) FROM (SELECT GeomFromWKB(?1, 4490) AS g)");
    static const int parts[] = {1, 1, 6, 2}, polygon_type[] = {3, 3, 6, 6};
    struct record r;
    char err[256];
    int n = 0, holes = 0;
    while (st && cmp && sqlite3_step(st) == SQLITE_ROW && n < 4) {
        T_CHECKF(rec_next(s, &r, err, sizeof err) == GEOD_OK, "%s", err);
        T_CHECK(r.where == (size_t)sqlite3_column_int64(st, 0) && !r.bad_why && !r.has_point);
        T_CHECK(r.values[0] && strcmp(r.values[0], (const char *)sqlite3_column_text(st, 1)) == 0);
        T_CHECK(r.values[1] && strcmp(r.values[1], (const char *)sqlite3_column_text(st, 2)) == 0);
        T_CHECKF(r.area_wkb && r.area_wkb_len > 9, "record %zu has no polygon", r.where);
        if (!r.area_wkb)
            break;
        uint32_t type;
        memcpy(&type, r.area_wkb + 1, 4);
        T_CHECKF(r.area_wkb[0] == 1 && type == (uint32_t)polygon_type[n], "type %u", type);
        sqlite3_reset(cmp);
        sqlite3_bind_blob(cmp, 1, r.area_wkb, (int)r.area_wkb_len, SQLITE_STATIC);
        sqlite3_bind_value(cmp, 2, sqlite3_column_value(st, 4));
        T_CHECK(sqlite3_step(cmp) == SQLITE_ROW);
        double theirs = sqlite3_column_double(st, 3), ours = sqlite3_column_double(cmp, 1);
        T_CHECKF(sqlite3_column_int(cmp, 0) == 1, "record %zu: not ST_Equals", r.where);
        T_CHECKF(fabs(ours - theirs) <= 1e-9 * theirs && theirs > 0, "record %zu: %.17g vs %.17g",
                 r.where, ours, theirs);
        T_CHECK(sqlite3_column_int(cmp, 2) == 1);
        T_CHECKF(sqlite3_column_int(cmp, 3) == parts[n], "record %zu: %d parts", r.where,
                 sqlite3_column_int(cmp, 3));
        T_CHECK(sqlite3_column_int(cmp, 4) == sqlite3_column_int(cmp, 5));
        holes += sqlite3_column_int(cmp, 6);
        if (n == 1) /* 汉南 */
            T_CHECKF(sqlite3_column_int(cmp, 6) > 0, "汉南 has %d holes",
                     sqlite3_column_int(cmp, 6));
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(cmp);
    T_CHECKF(n == count("dis") && n == 4, "%d records", n);
    T_CHECK(holes >= 2);
    T_CHECK(rec_next(s, &r, err, sizeof err) == GEOD_ENOTFOUND);
    rec_close(s);
}

/* Reads every record of s; the rc that ends it, and err. */
static enum geod_err read_all(struct rec_source *s, int *n, char *err, size_t errlen)
{
    struct record r;
    enum geod_err rc;
    *n = 0;
    while ((rc = rec_next(s, &r, err, errlen)) == GEOD_OK)
        (*n)++;
    return rc;
}

static enum geod_err open_err(const char *path, const char *enc, char *err, size_t errlen)
{
    struct rec_source *s = NULL;
    char e[64], c[64];
    err[0] = '\0';
    enum geod_err rc = rec_open_shp(path, enc, &s, e, sizeof e, c, sizeof c, err, errlen);
    T_CHECK(rc != GEOD_OK || s != NULL);
    rec_close(s);
    return rc;
}

static void test_encodings(void)
{
    char enc[64], crs[64], err[256];
    struct rec_source *s = open_ok(FIX "facilities_4547.shp", "gb18030", enc, crs);
    T_CHECKF(strcmp(enc, "gb18030 (given)") == 0, "%s", enc);
    struct record r;
    T_CHECK(s && rec_next(s, &r, err, sizeof err) == GEOD_OK &&
            strcmp(r.values[1], "江汉区社会福利院") == 0);
    rec_close(s);
    /* UTF-8 said of a GBK file: its GBK column names do not decode */
    T_CHECK(open_err(FIX "facilities_4547.shp", "utf-8", err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "UTF-8") && strstr(err, "column 1"), "%s", err);
    T_CHECK(open_err(FIX "facilities_4547.shp", "latin1", err, sizeof err) == GEOD_EINVAL);
    /* no .cpg: the language driver byte 0x4D says GBK */
    const char *path = copy_set("facilities_4547");
    unlink(part("cpg"));
    patch("dbf", 29, "\x4D", 1);
    s = open_ok(path, NULL, enc, crs);
    T_CHECKF(strcmp(enc, "gbk (from the .dbf's language driver 0x4D)") == 0, "%s", enc);
    T_CHECK(s && rec_next(s, &r, err, sizeof err) == GEOD_OK &&
            strcmp(r.values[3], "武汉市江汉区新华路218号") == 0);
    rec_close(s);
    /* neither: UTF-8 must prove itself, and GBK names do not */
    patch("dbf", 29, "\0", 1);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "not valid UTF-8"), "%s", err);
    /* UTF-8 without a .cpg proves itself */
    path = copy_set("districts_4490");
    unlink(part("cpg"));
    s = open_ok(path, NULL, enc, crs);
    T_CHECKF(strcmp(enc, "utf-8 (not said: the file must prove it)") == 0, "%s", enc);
    int n;
    T_CHECK(s && read_all(s, &n, err, sizeof err) == GEOD_ENOTFOUND && n == 4);
    rec_close(s);
    spit(part("cpg"), " \r\n", 3); /* an empty .cpg says nothing */
    s = open_ok(path, NULL, enc, crs);
    T_CHECKF(strcmp(enc, "utf-8 (not said: the file must prove it)") == 0, "%s", enc);
    rec_close(s);
    spit(part("cpg"), "ISO-8859-1\r\n", 12);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "ISO-8859-1") && strstr(err, ".cpg"), "%s", err);
}

static void test_prj(void)
{
    char enc[64], crs[64], err[256];
    const char *path = copy_set("districts_4490");
    unlink(part("prj"));
    struct rec_source *s = open_ok(path, NULL, enc, crs);
    T_CHECKF(crs[0] == '\0', "%s", crs);
    rec_close(s);
    static const char weird[] =
        "PROJCS[\"weird\",GEOGCS[\"x\",DATUM[\"D_x\",SPHEROID[\"s\",6378000,300]],PRIMEM["
        "\"Greenwich\",0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator"
        "\"],PARAMETER[\"False_Easting\",12345],PARAMETER[\"Central_Meridian\",111.3],PARAMETER["
        "\"Scale_Factor\",1],PARAMETER[\"Latitude_Of_Origin\",0],UNIT[\"Meter\",1]]";
    spit(part("prj"), weird, sizeof weird - 1);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "t.prj") && strstr(err, "EPSG"), "%s", err);
    spit(part("prj"), "this is not WKT", 15);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "t.prj") && strstr(err, "WKT"), "%s", err);
}

static void test_truncated_shp(void)
{
    char err[256];
    const char *path = copy_set("districts_4490");
    size_t n;
    unsigned char *b = slurp(part("shp"), &n);
    T_CHECK(b && n > 1000);
    if (!b)
        return;
    spit(part("shp"), b, n - 100); /* the last record loses its last points */
    free(b);
    struct rec_source *s = NULL;
    char enc[64], crs[64];
    T_CHECK(rec_open_shp(path, NULL, &s, enc, 64, crs, 64, err, sizeof err) == GEOD_OK);
    int got;
    T_CHECK(s && read_all(s, &got, err, sizeof err) == GEOD_EINVAL && got == 3);
    T_CHECKF(strstr(err, "t.shp: record 4") && strstr(err, "truncated"), "%s", err);
    rec_close(s);
    /* shorter than its header */
    spit(part("shp"), "\0\0\x27\x0a", 4);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "not a shapefile"), "%s", err);
}

static void test_shx_past_end(void)
{
    char err[256];
    const char *path = copy_set("facilities_4547");
    /* entry 3's offset: 0x7fffff00 words, far past the 324-byte .shp */
    patch("shx", 100 + 8 * 2, "\x7f\xff\xff\x00", 4);
    struct rec_source *s = open_ok(path, NULL, (char[64]){0}, (char[64]){0});
    int got;
    T_CHECK(s && read_all(s, &got, err, sizeof err) == GEOD_EINVAL && got == 2);
    T_CHECKF(strstr(err, "record 3") && strstr(err, "past the end"), "%s", err);
    rec_close(s);
    /* an entry pointing into the header */
    copy_set("facilities_4547");
    patch("shx", 100, "\0\0\0\x10", 4);
    s = open_ok(path, NULL, (char[64]){0}, (char[64]){0});
    T_CHECK(s && read_all(s, &got, err, sizeof err) == GEOD_EINVAL && got == 0);
    T_CHECKF(strstr(err, "inside the header"), "%s", err);
    rec_close(s);
    /* a .shx cut mid-entry */
    copy_set("facilities_4547");
    if (truncate(part("shx"), 100 + 8 * 3 + 5) == 0) {
        T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
        T_CHECKF(strstr(err, "t.shx") && strstr(err, "truncated"), "%s", err);
    }
}

static void test_dbf_header_lies(void)
{
    char err[256];
    const char *path = copy_set("facilities_4547");
    patch("dbf", 4, "\xe8\x03\0\0", 4); /* 1000 records */
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "t.dbf") && strstr(err, "1000 records"), "%s", err);
    copy_set("facilities_4547");
    patch("dbf", 10, "\xff\x00", 2); /* records of 255 bytes */
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "t.dbf") && strstr(err, "add up"), "%s", err);
    copy_set("facilities_4547");
    patch("dbf", 8, "\xff\xff", 2); /* a header longer than the file */
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "t.dbf") && strstr(err, "header"), "%s", err);
    copy_set("facilities_4547");
    patch("dbf", 4, "\x07\0\0\0", 4); /* 7 records for 8 shapes */
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "8 shapes") && strstr(err, "7 records"), "%s", err);
    copy_set("facilities_4547");
    spit(part("dbf"), "\x03\x7e", 2);
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "not a dBase file"), "%s", err);
}

/* A record header whose content length (in 16-bit words) is 0x7fffffff: 4 GiB past a small
 * file, with the .shx agreeing and without a .shx. */
static void test_record_length_overflow(void)
{
    char err[256];
    const char *path = copy_set("facilities_4547");
    patch("shp", 100 + 4, "\x7f\xff\xff\xff", 4);
    patch("shx", 100 + 4, "\x7f\xff\xff\xff", 4);
    struct rec_source *s = open_ok(path, NULL, (char[64]){0}, (char[64]){0});
    int got;
    T_CHECK(s && read_all(s, &got, err, sizeof err) == GEOD_EINVAL && got == 0);
    T_CHECKF(strstr(err, "record 1") && strstr(err, "truncated"), "%s", err);
    rec_close(s);
    unlink(part("shx"));
    s = open_ok(path, NULL, (char[64]){0}, (char[64]){0});
    T_CHECK(s && read_all(s, &got, err, sizeof err) == GEOD_EINVAL && got == 0);
    T_CHECKF(strstr(err, "record 1") && strstr(err, "truncated"), "%s", err);
    rec_close(s);
    /* a polygon whose part and point counts overflow 32 bits when multiplied out */
    path = copy_set("districts_4490");
    patch("shp", 100 + 8 + 36, "\xff\xff\xff\x0f\xff\xff\xff\x0f", 8);
    s = open_ok(path, NULL, (char[64]){0}, (char[64]){0});
    T_CHECK(s && read_all(s, &got, err, sizeof err) == GEOD_EINVAL && got == 0);
    T_CHECKF(strstr(err, "do not fit"), "%s", err);
    rec_close(s);
}

static void test_missing_files(void)
{
    char err[256];
    const char *path = copy_set("facilities_4547");
    unlink(part("dbf"));
    T_CHECK(open_err(path, NULL, err, sizeof err) == GEOD_EINVAL);
    T_CHECKF(strstr(err, "t.dbf") && strstr(err, "no such file"), "%s", err);
    T_CHECK(open_err("tests/data/import/nothing.shp", NULL, err, sizeof err) == GEOD_ENOTFOUND);
    T_CHECKF(strstr(err, "nothing.shp"), "%s", err);
    /* no .shx: the .shp is read record after record, the same records */
    copy_set("districts_4490");
    unlink(part("shx"));
    struct rec_source *s = open_ok(path, NULL, (char[64]){0}, (char[64]){0});
    int got;
    T_CHECK(s && read_all(s, &got, err, sizeof err) == GEOD_ENOTFOUND && got == 4);
    rec_close(s);
    /* the path without its .shp works too */
    char base[128];
    snprintf(base, sizeof base, "%s/t", tmpdir);
    s = open_ok(base, NULL, (char[64]){0}, (char[64]){0});
    rec_close(s);
}

/* Bad GBK bytes in record 2's 名称, deleted record 3, record 5 a Null shape. */
static void test_bad_field_deleted_null(void)
{
    char err[256];
    const char *path = copy_set("facilities_4547");
    size_t n;
    unsigned char *b = slurp(part("dbf"), &n);
    if (!b)
        return;
    unsigned hlen = b[8] | b[9] << 8, rlen = b[10] | b[11] << 8;
    free(b);
    patch("dbf", (long)(hlen + rlen + 1 + 10), "\xff\xfe", 2); /* 名称 starts after 编号 (10) */
    patch("dbf", (long)(hlen + 2 * rlen), "*", 1);
    b = slurp(part("shx"), &n);
    if (!b)
        return;
    long off5 = 2L * (b[100 + 32] << 24 | b[101 + 32] << 16 | b[102 + 32] << 8 | b[103 + 32]);
    free(b);
    patch("shp", off5 + 8, "\0\0\0\0", 4);
    struct rec_source *s = open_ok(path, NULL, (char[64]){0}, (char[64]){0});
    struct record r;
    static const size_t want[] = {1, 2, 4, 5, 6, 7, 8};
    double last = -1;
    for (size_t i = 0; s && i < 7; i++) {
        T_CHECKF(rec_next(s, &r, err, sizeof err) == GEOD_OK, "%s", err);
        T_CHECKF(r.where == want[i], "record %zu where %zu was expected", r.where, want[i]);
        T_CHECK(rec_progress(s) > last && rec_progress(s) <= 1);
        last = rec_progress(s);
        if (r.where == 2) {
            T_CHECKF(r.bad_field && strcmp(r.bad_field, "名称") == 0 && r.bad_why &&
                         strcmp(r.bad_why, "not valid GBK") == 0,
                     "%s: %s", r.bad_field ? r.bad_field : "-", r.bad_why ? r.bad_why : "-");
            T_CHECK(r.values[1] == NULL && strcmp(r.values[0], "F002") == 0 && r.has_point);
        } else {
            T_CHECK(!r.bad_why);
        }
        if (r.where == 5)
            T_CHECK(!r.has_point && !r.area_wkb && !r.other_geometry &&
                    strcmp(r.values[0], "F005") == 0);
        else
            T_CHECK(r.has_point);
    }
    T_CHECK(s && rec_next(s, &r, err, sizeof err) == GEOD_ENOTFOUND && rec_progress(s) == 1);
    rec_close(s);
}

/* The in-memory readers (the fuzz target's way in) read what the file readers read. */
static void test_mem_readers(void)
{
    size_t ns, nx, nd;
    unsigned char *shp = slurp(FIX "districts_4490.shp", &ns);
    unsigned char *shx = slurp(FIX "districts_4490.shx", &nx);
    unsigned char *dbf = slurp(FIX "districts_4490.dbf", &nd);
    struct shp_reader *a = NULL, *b = NULL;
    struct dbf_reader *d = NULL;
    char err[256];
    T_CHECK(shp_open_mem(shp, ns, shx, nx, &a, err, sizeof err) == GEOD_OK);
    T_CHECK(shp_open(FIX "districts_4490.shp", NULL, &b, err, sizeof err) == GEOD_OK);
    T_CHECK(dbf_open_mem(dbf, nd, &d, err, sizeof err) == GEOD_OK);
    T_CHECK(a && shp_count(a) == 4 && shp_file_type(a) == 5 && d && dbf_nrecords(d) == 4);
    struct shp_shape sa, sb;
    int n = 0;
    while (a && b && shp_next(a, &sa, err, sizeof err) == GEOD_OK) {
        T_CHECK(shp_next(b, &sb, err, sizeof err) == GEOD_OK);
        T_CHECK(sa.wkb_len == sb.wkb_len && sa.wkb && memcmp(sa.wkb, sb.wkb, sa.wkb_len) == 0);
        n++;
    }
    T_CHECK(n == 4 && shp_next(b, &sb, err, sizeof err) == GEOD_ENOTFOUND);
    bool del;
    const char *p;
    size_t len;
    T_CHECK(d && dbf_read(d, 3, &del, err, sizeof err) == GEOD_OK && !del);
    T_CHECK(d && dbf_value(d, 0, &p, &len) == DBF_TEXT && len == 12 &&
            memcmp(p, "420117000000", 12) == 0);
    T_CHECK(d && dbf_read(d, 4, &del, err, sizeof err) == GEOD_EINVAL);
    shp_close(a);
    shp_close(b);
    dbf_close(d);
    free(shp);
    free(shx);
    free(dbf);
}

/* Hand-made polygons in memory: a square with a hole and an island in the hole (two polygons),
 * a hole inside no outer ring (its own polygon), an unclosed ring (unusable, not an error). */
static void put32be(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static size_t polygon_shp(unsigned char *buf, const double (*rings[])[2], const int *nring,
                          int nparts)
{
    int npts = 0;
    for (int i = 0; i < nparts; i++)
        npts += nring[i];
    size_t content = 44 + 4 * (size_t)nparts + 16 * (size_t)npts;
    memset(buf, 0, 100 + 8 + content);
    put32be(buf, 9994);
    put32be(buf + 24, (uint32_t)(100 + 8 + content) / 2);
    buf[28] = 0xe8, buf[29] = 0x03, buf[32] = 5;
    put32be(buf + 100, 1);
    put32be(buf + 104, (uint32_t)content / 2);
    unsigned char *c = buf + 108;
    c[0] = 5;
    uint32_t np = (uint32_t)nparts, nv = (uint32_t)npts;
    memcpy(c + 36, &np, 4);
    memcpy(c + 40, &nv, 4);
    uint32_t at = 0;
    unsigned char *pt = c + 44 + 4 * nparts;
    for (int i = 0; i < nparts; i++) {
        memcpy(c + 44 + 4 * i, &at, 4);
        for (int k = 0; k < nring[i]; k++, pt += 16)
            memcpy(pt, rings[i][k], 16);
        at += (uint32_t)nring[i];
    }
    return 100 + 8 + content;
}

static void test_rings(void)
{
    /* clockwise outer rings, counter-clockwise holes (y up) */
    static const double outer[][2] = {{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}};
    static const double hole[][2] = {{2, 2}, {8, 2}, {8, 8}, {2, 8}, {2, 2}};
    static const double island[][2] = {{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}};
    static const double orphan[][2] = {{20, 0}, {22, 0}, {22, 2}, {20, 2}, {20, 0}};
    static const double open_ring[][2] = {{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 1}};
    unsigned char buf[1024];
    const double(*a[])[2] = {island, outer, hole, orphan};
    const int na[] = {5, 5, 5, 5};
    size_t len = polygon_shp(buf, a, na, 4);
    struct shp_reader *r = NULL;
    struct shp_shape s;
    char err[256];
    T_CHECK(shp_open_mem(buf, len, NULL, 0, &r, err, sizeof err) == GEOD_OK);
    T_CHECKF(r && shp_next(r, &s, err, sizeof err) == GEOD_OK && s.wkb, "%s", err);
    if (r && s.wkb) { /* 100 - 36 + 4 + 4 by the oracle */
        sqlite3_stmt *st = oracle("SELECT ST_Area(g), NumGeometries(g), ST_IsValid(g), "
                                  "ST_Equals(g, GeomFromText('MULTIPOLYGON(((0 0,0 10,10 10,10 "
                                  "0,0 0),(2 2,8 2,8 8,2 8,2 2)),((4 4,4 6,6 6,6 4,4 4)),((20 "
                                  "0,22 0,22 2,20 2,20 0)))')) FROM (SELECT GeomFromWKB(?) AS g)");
        sqlite3_bind_blob(st, 1, s.wkb, (int)s.wkb_len, SQLITE_STATIC);
        T_CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_double(st, 0) == 72 &&
                sqlite3_column_int(st, 1) == 3 && sqlite3_column_int(st, 2) == 1 &&
                sqlite3_column_int(st, 3) == 1);
        sqlite3_finalize(st);
    }
    shp_close(r);
    const double(*b[])[2] = {open_ring};
    len = polygon_shp(buf, b, na, 1);
    T_CHECK(shp_open_mem(buf, len, NULL, 0, &r, err, sizeof err) == GEOD_OK);
    T_CHECK(r && shp_next(r, &s, err, sizeof err) == GEOD_OK && !s.wkb && s.bad &&
            strstr(s.bad, "not closed"));
    shp_close(r);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/geod_shp_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 2;
    oracle_open();
    T_RUN(test_facilities_vs_virtualshape);
    T_RUN(test_districts_vs_virtualshape);
    T_RUN(test_encodings);
    T_RUN(test_prj);
    T_RUN(test_truncated_shp);
    T_RUN(test_shx_past_end);
    T_RUN(test_dbf_header_lies);
    T_RUN(test_record_length_overflow);
    T_RUN(test_missing_files);
    T_RUN(test_bad_field_deleted_null);
    T_RUN(test_mem_readers);
    T_RUN(test_rings);
    sqlite3_close(db);
    spatialite_cleanup_ex(splite);
    for (size_t i = 0; i < 5; i++)
        unlink(part(exts[i]));
    rmdir(tmpdir);
    return T_END();
}

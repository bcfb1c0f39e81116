/* test_import.c - `geod import` end to end (the real binary on a real store): fixtures in UTF-8,
 * GBK and GeoJSON land with the right fields and positions (the oracle: the fixture's values, the
 * declared system converted by index/crs.c, read back with plain SQLite); re-importing changes
 * nothing; a changed feed changes exactly what changed; every malformed file is refused with a
 * clear message and leaves the store file byte for byte as it was. */
#include "index/crs.h"
#include "tests/lib/importrun.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>

#define FIX "tests/data/import/"

static struct scratch sc;
static char db[512];

#define import(err, ...) importrun(db, err, __VA_ARGS__)

static long long q(const char *sql)
{
    return importrun_q(db, sql);
}

/* The store file's bytes. */
static char *snapshot_file(size_t *len)
{
    return scratch_slurp(db, len);
}

struct expect {
    const char *key, *name, *category, *address, *phone, *hours;
    double x, y;
};

static const struct expect csv_rows[] = {
    {"MCA-001", "江汉区第一福利院", "elderly_care", "武汉市江汉区唐家墩路18号", "027-85551234",
     "24/7", 114.26913, 30.60452},
    {"MCA-002", "汉阳区月湖日间照料中心", "elderly_daycare", "武汉市汉阳区月湖街,琴台路2号",
     "027-84448888", "Mo-Sa 08:00-17:30", 114.25871, 30.55982},
    {"MCA-003", "武昌区救助管理站", "relief_station", "武汉市武昌区中山路300号", "027-88887777",
     "24/7", 114.31234, 30.54321},
    {"MCA-004", "青山区应急避难场所（和平公园）", "shelter", "武汉市青山区和平大道", NULL, "24/7",
     114.39012, 30.62345},
    {"MCA-005", "洪山区婚姻登记处", "marriage_registry", "武汉市洪山区珞喻路", "027-87654321",
     "Mo-Fr 09:00-12:00,13:30-17:00", 114.36123, 30.51876},
};

/* Every expected record is in the store as source src, its position converted from `crs`. */
static int check_rows(const char *src, const struct expect *e, size_t n, enum crs_id crs)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int ok = 0;
    sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(h,
                       "SELECT name, category, address, phone, hours, lon, lat, division_code,"
                       " deleted FROM facility WHERE source = ?1 AND source_key = ?2",
                       -1, &st, NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, src, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, e[i].key, -1, SQLITE_STATIC);
        double lon, lat;
        crs_convert(crs, CRS_WGS84, e[i].x, e[i].y, &lon, &lat);
#define TXT(c) ((const char *)sqlite3_column_text(st, c))
#define EQ(c, v) ((!(v) && !TXT(c)) || ((v) && TXT(c) && strcmp(TXT(c), (v)) == 0))
        bool good = sqlite3_step(st) == SQLITE_ROW && EQ(0, e[i].name) && EQ(1, e[i].category) &&
                    EQ(2, e[i].address) && EQ(3, e[i].phone) && EQ(4, e[i].hours) &&
                    sqlite3_column_double(st, 5) == lon && sqlite3_column_double(st, 6) == lat &&
                    TXT(7) && strlen(TXT(7)) == 12 && sqlite3_column_int(st, 8) == 0;
        T_CHECKF(good, "%s %s not as expected", src, e[i].key);
        ok += good;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return ok;
}

static void test_csv_utf8_and_gbk(void)
{
    char *err;
    /* the store does not exist yet: import creates it with the built-in data first */
    T_CHECK(import(&err, FIX "facilities.csv", "--crs", "wgs84", "--source", "mca", NULL) == 0);
    T_CHECKF(err && strstr(err, "5 inserted"), "%s", err);
    free(err);
    T_CHECK(check_rows("mca", csv_rows, 5, CRS_WGS84) == 5);
    long long audit = q("SELECT count(*) FROM facility_audit");

    /* the same feed again, and the same records in GBK: nothing changes */
    T_CHECK(import(&err, FIX "facilities.csv", "--crs", "wgs84", "--source", "mca", NULL) == 0);
    T_CHECKF(err && strstr(err, "5 unchanged"), "%s", err);
    free(err);
    T_CHECK(import(&err, FIX "facilities_gbk.csv", "--crs", "wgs84", "--encoding", "gbk",
                   "--source", "mca", NULL) == 0);
    T_CHECKF(err && strstr(err, "5 unchanged"), "%s", err);
    free(err);
    T_CHECK(q("SELECT count(*) FROM facility_audit") == audit);
    T_CHECK(q("SELECT max(version) FROM facility WHERE source = 'mca'") == 1);

    /* the GBK file read as GCJ-02 under another source: the positions move by the datum shift */
    T_CHECK(import(NULL, FIX "facilities_gbk.csv", "--crs", "gcj02", "--encoding", "gbk",
                   "--source", "mca-gcj", NULL) == 0);
    T_CHECK(check_rows("mca-gcj", csv_rows, 5, CRS_GCJ02) == 5);
}

static void test_changed_feed(void)
{
    /* MCA-002 renamed, MCA-003 moved, MCA-005 dropped */
    char path[600];
    scratch_path(&sc, path, sizeof path, "changed.csv");
    size_t len;
    char *orig = scratch_slurp(FIX "facilities.csv", &len), *out = malloc(len + 64);
    char *o = out;
    for (char *line = strtok(orig, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "MCA-005", 7) == 0)
            continue;
        char buf[512];
        snprintf(buf, sizeof buf, "%s", line);
        if (strncmp(line, "MCA-002", 7) == 0) {
            char *p = strstr(buf, "月湖");
            memcpy(p, "琴台", strlen("琴台"));
        }
        if (strncmp(line, "MCA-003", 7) == 0) {
            char *p = strstr(buf, "114.31234");
            memcpy(p, "114.31299", 9);
        }
        o += sprintf(o, "%s\n", buf);
    }
    scratch_spit(path, out, (size_t)(o - out));
    free(orig);
    free(out);
    long long audit = q("SELECT count(*) FROM facility_audit");
    size_t before_len, after_len;
    char *before = snapshot_file(&before_len);
    char *err;
    /* a dry run says what would change and changes nothing */
    T_CHECK(import(&err, path, "--crs", "wgs84", "--source", "mca", "--delete-missing", "--dry-run",
                   NULL) == 0);
    T_CHECKF(err && strstr(err, "2 updated, 2 unchanged, 1 deleted") && strstr(err, "dry run"),
             "%s", err);
    free(err);
    char *after = snapshot_file(&after_len);
    T_CHECK(before && after && before_len == after_len && memcmp(before, after, before_len) == 0);
    free(after);
    free(before);
    T_CHECK(q("SELECT count(*) FROM facility_audit") == audit);
    /* the real thing */
    T_CHECK(import(&err, path, "--crs", "wgs84", "--source", "mca", "--delete-missing", NULL) == 0);
    T_CHECKF(err && strstr(err, "0 inserted, 2 updated, 2 unchanged, 1 deleted"), "%s", err);
    free(err);
    T_CHECK(q("SELECT count(*) FROM facility_audit") == audit + 3);
    T_CHECK(q("SELECT version FROM facility WHERE source_key = 'MCA-002' AND source = 'mca'") == 2);
    T_CHECK(q("SELECT count(*) FROM facility WHERE source = 'mca' AND name LIKE '%琴台%'") == 1);
    T_CHECK(q("SELECT deleted FROM facility WHERE source_key = 'MCA-005' AND source = 'mca'") == 1);
    T_CHECK(q("SELECT count(*) FROM facility WHERE source = 'mca-gcj' AND deleted = 0") == 5);
}

static void test_geojson(void)
{
    char *err;
    T_CHECK(import(&err, FIX "facilities.geojson", "--source", "geo", NULL) == 0);
    T_CHECKF(err && strstr(err, "3 inserted") && strstr(err, "wgs84"), "%s", err);
    free(err);
    static const struct expect rows[] = {
        {"GJ-1", "东西湖区养老院", "elderly_care", "武汉市东西湖区", NULL, "24/7", 114.13456,
         30.62123},
        {"GJ-2", "蔡甸区救助站", "relief_station", NULL, NULL, NULL, 114.02999, 30.58222},
        {"GJ-3", "江夏区避难场所", "shelter", NULL, NULL, NULL, 114.32111, 30.37555},
    };
    T_CHECK(check_rows("geo", rows, 3, CRS_WGS84) == 3);
}

/* Each malformed file is refused with a message, and the store file does not change. */
static void test_malformed_leave_store_unchanged(void)
{
    char big[600];
    scratch_path(&sc, big, sizeof big, "ten_mb_line.csv");
    FILE *f = fopen(big, "w");
    fprintf(f, "编号,名称,类别,经度,纬度\nBIG,");
    for (int i = 0; i < 10 * 1024 * 1024 / 17; i++)
        fputs("很长的名字ab", f); /* 17 bytes each: 10 MB of name */
    fputs(",shelter,114.3,30.6\n", f);
    fclose(f);
    static const struct {
        const char *file, *extra, *msg;
    } cases[] = {
        {FIX "truncated_quote.csv", "--crs=wgs84", "unterminated quoted field"},
        {FIX "wrong_columns.csv", "--crs=wgs84", "4 fields where the header has 5"},
        {FIX "nan.csv", "--crs=wgs84", "3 bad records"},
        {FIX "mixed_encoding.csv", "--crs=wgs84", "give --encoding gbk"},
        {FIX "facilities_gbk.csv", "--crs=wgs84", "give --encoding gbk"},
        {FIX "bad_polygon.geojson", "--source=x", "not a Point"},
        {FIX "facilities.csv", "--source=x", "give --crs"},
        {FIX "facilities.csv", "--crs=EPSG:5773", "coordinate system EPSG:5773"},
        {FIX "facilities.csv", "--crs=wgs84", "--map"},
        {FIX "SOURCES.md", "--crs=wgs84", "not supported"},
        {NULL, "--crs=wgs84", "longer than 200 characters"},
    };
    size_t len0;
    char *bytes0 = snapshot_file(&len0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        const char *file = cases[i].file ? cases[i].file : big;
        char rpt[600];
        scratch_path(&sc, rpt, sizeof rpt, "malformed.report.txt");
        int rc =
            strcmp(cases[i].msg, "--map") == 0
                ? import(&err, file, cases[i].extra, "--map", "nope=name", "--report", rpt, NULL)
                : import(&err, file, cases[i].extra, "--report", rpt, NULL);
        T_CHECKF(rc == 1 && err && strstr(err, cases[i].msg), "%s: exit %d, %s", file, rc,
                 err ? err : "");
        size_t len;
        char *bytes = snapshot_file(&len);
        T_CHECKF(bytes && len == len0 && memcmp(bytes, bytes0, len) == 0,
                 "%s changed the store file", file);
        free(bytes);
        free(err);
    }
    free(bytes0);
    /* --skip-bad imports the good records and reports the others */
    char *err, copy[600], report[640];
    scratch_path(&sc, copy, sizeof copy, "wrong_columns.csv");
    size_t n;
    char *bytes = scratch_slurp(FIX "wrong_columns.csv", &n);
    T_CHECK(bytes && scratch_spit(copy, bytes, n));
    free(bytes);
    T_CHECK(import(&err, copy, "--crs", "wgs84", "--skip-bad", "--source", "wc", NULL) == 0);
    T_CHECKF(err && strstr(err, "1 inserted") && strstr(err, "1 rejected"), "%s", err);
    free(err);
    /* the report sits next to the file by default and names the bad line */
    snprintf(report, sizeof report, "%s.report.txt", copy);
    bytes = scratch_slurp(report, &n);
    T_CHECKF(bytes && strstr(bytes, "line 3") && strstr(bytes, "4 fields"), "%s",
             bytes ? bytes : "(no report)");
    free(bytes);
    T_CHECK(q("SELECT count(*) FROM facility WHERE source = 'wc' AND source_key = 'X1'") == 1);
    T_CHECK(q("SELECT count(*) FROM facility WHERE source = 'wc' AND source_key = 'X2'") == 0);
}

int main(void)
{
    if (!scratch_new(&sc, "import"))
        return 1;
    scratch_path(&sc, db, sizeof db, "geod.sqlite");
    T_RUN(test_csv_utf8_and_gbk);
    T_RUN(test_changed_feed);
    T_RUN(test_geojson);
    T_RUN(test_malformed_leave_store_unchanged);
    scratch_free(&sc);
    return T_END();
}

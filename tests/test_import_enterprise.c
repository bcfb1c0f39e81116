/* test_import_enterprise.c - `geod import --kind enterprise` end to end (the real binary on a
 * real store, then a real server). The oracles: the fixture's own values (a GBK CSV with the
 * bureau's Chinese column names), SpatiaLite's ST_Contains over the store's district boundaries
 * for records that name no district, and the credit code rule for the refused line. A running
 * server answers /v1/enterprises from an import within seconds. */
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/importrun.h"
#include "tests/lib/scratch.h"
#include "tests/lib/storecheck.h"
#include "tests/t.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIX "tests/data/import/"

static struct scratch sc;
static char db[512], report[512];

#define import(err, ...) importrun(db, err, "--report", report, __VA_ARGS__)

static long long q(const char *sql)
{
    return importrun_q(db, sql);
}

struct expect {
    const char *code, *name, *district, *industry, *certified;
    long long disabled; /* -1: NULL */
};

static const struct expect rows[] = {
    {"91420102MA4K0A1B25", "武汉康乐福利印刷厂有限公司", "420102000000", "印刷业", "2015-06-18",
     35},
    {"91420103MA4K0C3D4M", "武汉爱心福利制衣有限公司", "420103000000", "纺织服装", "2018-03-05",
     22},
    {"91420106MA4K0E5F63", "武昌自强福利包装厂", "420106000000", "包装", "2019-03-20", 12},
    {"91420111MA4K0G7H8C", "洪山福利电子有限公司", NULL, "电子元件", "2021-11-02", -1},
    {"91420104MA4K0J9K0B", "硚口阳光福利食品厂", "420104000000", "食品制造", "2016-09-01", 8},
    {"91420105MA4K0L1M23", "汉阳助残福利五金厂", NULL, NULL, NULL, 0},
};

/* The district whose boundary holds the enterprise's position, by SpatiaLite. */
static char *containing_district(const char *code)
{
    struct sc_conn c;
    char why[SC_WHY], sql[512], out[64] = "";
    if (!sc_open(&c, db, SQLITE_OPEN_READONLY, why))
        return NULL;
    snprintf(sql, sizeof sql,
             "SELECT d.code FROM division d, enterprise e WHERE e.credit_code = '%s' AND"
             " d.level = 'district' AND ST_Contains(d.boundary, MakePoint(e.lon, e.lat, 4326))",
             code);
    bool ok = sc_text(c.db, sql, out, sizeof out);
    sc_close(&c, why);
    return ok ? strdup(out) : NULL;
}

static void test_gbk_feed(void)
{
    char *err;
    T_CHECK(import(&err, FIX "facilities.csv", "--crs", "wgs84", NULL) == 0); /* the store */
    free(err);
    size_t len0, len1;
    char *bytes0 = scratch_slurp(db, &len0);
    /* GBK not given: refused with the hint */
    T_CHECK(import(&err, FIX "enterprises_gbk.csv", "--kind", "enterprise", "--crs", "wgs84",
                   "--source", "mca-ent", NULL) != 0);
    T_CHECKF(err && strstr(err, "--encoding gbk"), "%s", err);
    free(err);
    /* given: two bad lines refuse the feed, the store untouched */
    T_CHECK(import(&err, FIX "enterprises_gbk.csv", "--kind", "enterprise", "--crs", "wgs84",
                   "--encoding", "gbk", "--source", "mca-ent", NULL) != 0);
    T_CHECKF(err && strstr(err, "line 8, field credit_code") &&
                 strstr(err, "line 9, field certified_on"),
             "%s", err);
    free(err);
    char *bytes1 = scratch_slurp(db, &len1);
    T_CHECK(bytes0 && bytes1 && len0 == len1 && memcmp(bytes0, bytes1, len0) == 0);
    free(bytes0);
    free(bytes1);
    long long before = q("SELECT count(*) FROM enterprise");
    T_CHECK(import(&err, FIX "enterprises_gbk.csv", "--kind", "enterprise", "--crs", "wgs84",
                   "--encoding", "gbk", "--source", "mca-ent", "--skip-bad", NULL) == 0);
    T_CHECKF(err && strstr(err, "6 inserted") && strstr(err, "2 rejected"), "%s", err);
    free(err);
    T_CHECK(q("SELECT count(*) FROM enterprise") == before + 6);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct expect *e = &rows[i];
        char *district = e->district ? strdup(e->district) : containing_district(e->code);
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM enterprise WHERE credit_code = '%s' AND source = 'mca-ent'"
                 " AND source_key = credit_code AND name = '%s' AND district_code IS %s%s%s AND"
                 " industry IS %s%s%s AND certified_on IS %s%s%s AND disabled_employees IS %s"
                 " AND deleted = 0",
                 e->code, e->name, district ? "'" : "", district ? district : "NULL",
                 district ? "'" : "", e->industry ? "'" : "", e->industry ? e->industry : "NULL",
                 e->industry ? "'" : "", e->certified ? "'" : "",
                 e->certified ? e->certified : "NULL", e->certified ? "'" : "",
                 e->disabled < 0 ? "NULL" : e->disabled == 0 ? "0" : "disabled_employees");
        T_CHECKF(q(sql) == 1, "%s (%s) not as expected", e->code, e->name);
        if (e->disabled > 0) {
            snprintf(sql, sizeof sql,
                     "SELECT disabled_employees FROM enterprise WHERE credit_code = '%s'",
                     e->code);
            T_CHECKF(q(sql) == e->disabled, "%s: disabled employees", e->code);
        }
        T_CHECKF(district && strlen(district) == 12, "%s: no district", e->code);
        free(district);
    }
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'enterprise' AND"
              " actor = 'import:mca-ent' AND action = 'create'") == 6);
    /* again: nothing changes */
    T_CHECK(import(&err, FIX "enterprises_gbk.csv", "--kind", "enterprise", "--crs", "wgs84",
                   "--encoding", "gbk", "--source", "mca-ent", "--skip-bad", NULL) == 0);
    T_CHECKF(err && strstr(err, "0 inserted, 0 updated, 6 unchanged"), "%s", err);
    free(err);
}

/* A changed feed into a running server's store: one renamed, one gone; within seconds the
 * server finds the new name and no longer the gone one. */
static void test_changed_feed_served(void)
{
    struct geodproc g;
    char why[512];
    bool started = geodproc_start(&g, db, 60000, why, sizeof why);
    T_CHECKF(started, "%s", why);
    if (!started)
        return;
    struct http_client *c = http_client_new(g.port, true, 10000);
    struct http_resp r0 = {0};
    /* before: the one to go is served (so its absence later means something) */
    T_CHECK(http_get(c, "/v1/enterprises?q=%E6%B1%89%E9%98%B3%E5%8A%A9%E6%AE%8B", NULL, &r0) ==
                HTTP_OK &&
            r0.status == 200 && strstr(r0.body, "91420105MA4K0L1M23"));
    http_resp_free(&r0);
    char *err;
    T_CHECK(importrun(g.db, &err, FIX "enterprises_changed.csv", "--kind", "enterprise", "--crs",
                      "wgs84", "--source", "mca-ent", "--delete-missing", "--report", report,
                      NULL) == 0);
    T_CHECKF(err && strstr(err, "0 inserted, 1 updated, 4 unchanged, 1 deleted"), "%s", err);
    free(err);
    bool renamed = false, gone = false;
    double t0 = geodproc_now();
    while (!(renamed && gone) && geodproc_now() - t0 < 10) {
        struct http_resp r = {0};
        /* 股份 is only in the new name */
        if (http_get(c, "/v1/enterprises?q=%E8%82%A1%E4%BB%BD", NULL, &r) == HTTP_OK &&
            r.status == 200)
            renamed = strstr(r.body, "91420103MA4K0C3D4M") != NULL;
        http_resp_free(&r);
        if (http_get(c, "/v1/enterprises?q=%E6%B1%89%E9%98%B3%E5%8A%A9%E6%AE%8B", NULL, &r) ==
                HTTP_OK &&
            r.status == 200)
            gone = strstr(r.body, "91420105MA4K0L1M23") == NULL;
        http_resp_free(&r);
        if (!(renamed && gone))
            usleep(50000);
    }
    T_CHECKF(renamed && gone, "renamed %d, gone %d", renamed, gone);
    http_client_free(c);
    int status = -1;
    T_CHECK(geodproc_stop(&g, 10000, &status, NULL) && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0);
    geodproc_cleanup(&g);
}

int main(void)
{
    if (!scratch_new(&sc, "geod-import-enterprise"))
        return 1;
    scratch_path(&sc, db, sizeof db, "geod.sqlite");
    scratch_path(&sc, report, sizeof report, "report.txt");
    T_RUN(test_gbk_feed);
    T_RUN(test_changed_feed_served);
    scratch_free(&sc);
    return T_END();
}

/* test_store_enterprise.c - data/store_enterprise.c and data/synth_enterprise.c: a feed of
 * enterprises imported, re-imported unchanged, changed field by field, cut short with
 * delete-missing, then revived; each step against the test's own list of records and plain SQL
 * over the file, every audit row's before and after parsed and compared field by field. Records
 * the store must refuse; loading into a snapshot table; the synthetic generator's codes checked
 * by GB 11714 and GB 32100 written again here. */
#include "data/store_enterprise.h"
#include "data/synth_enterprise.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>

#define N 60
#define KEEP 40 /* the records the shortened feed keeps */

struct rec {
    char key[16], code[19], name[64], address[64], district[13], date[11];
    double lon, lat;
    int64_t disabled;
    bool has_district, has_date, has_address;
};

static struct rec feed[N];
static struct scratch sc;
static char path[512];

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs % n);
}

static void new_code(char out[19])
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    memcpy(out, "91420106", 8);
    for (int i = 8; i < 17; i++)
        out[i] = set[rnd(31)];
    out[17] = credit_code_check(out);
    out[18] = '\0';
}

static void make_feed(void)
{
    for (int i = 0; i < N; i++) {
        struct rec *r = &feed[i];
        snprintf(r->key, sizeof r->key, "e%03d", i);
        new_code(r->code);
        snprintf(r->name, sizeof r->name, "武汉测试福利厂%d有限公司", i);
        snprintf(r->address, sizeof r->address, "武汉市武昌区测试路%d号", i);
        snprintf(r->district, sizeof r->district, "4201%02u000000", 2 + rnd(5));
        snprintf(r->date, sizeof r->date, "20%02u-%02u-%02u", 10 + rnd(10), 1 + rnd(12),
                 1 + rnd(28));
        r->lon = 114.2 + rnd(100000) * 1e-6 + 1e-9 / 3; /* digits a 15-digit format would lose */
        r->lat = 30.5 + rnd(100000) * 1e-6;
        r->disabled = (int64_t)rnd(40) - 1; /* -1 now and then: unknown */
        r->has_district = i % 7 != 0;
        r->has_date = i % 5 != 0;
        r->has_address = i % 9 != 0;
    }
}

static struct store_enterprise as_store(const struct rec *r, const char *src)
{
    return (struct store_enterprise){
        .credit_code = r->code,
        .name = r->name,
        .address = r->has_address ? r->address : NULL,
        .lon = r->lon,
        .lat = r->lat,
        .district_code = r->has_district ? r->district : NULL,
        .industry = "印刷和记录媒介复制业",
        .disabled_employees = r->disabled,
        .certified_on = r->has_date ? r->date : NULL,
        .source = src,
        .source_key = r->key,
    };
}

struct counts {
    size_t ins, upd, same, deleted;
};

/* Imports feed[0..n) as src in one transaction; deletes what is missing when asked. */
static struct counts import(const char *src, int n, bool delete_missing)
{
    struct counts c = {0};
    struct store *s;
    char err[256];
    T_CHECKF(store_open(path, true, &s, err, sizeof err) == GEOD_OK, "%s", err);
    if (!s)
        return c;
    T_CHECK(store_begin(s) == GEOD_OK && store_import_begin(s) == GEOD_OK);
    for (int i = 0; i < n; i++) {
        struct store_enterprise e = as_store(&feed[i], src);
        enum store_change what = (enum store_change) - 1;
        enum geod_err rc = store_upsert_enterprise(s, &e, "importer", &what);
        T_CHECKF(rc == GEOD_OK, "%s: %s (%s)", feed[i].key, geod_strerror(rc), store_errmsg(s));
        c.ins += what == STORE_INSERTED;
        c.upd += what == STORE_UPDATED;
        c.same += what == STORE_UNCHANGED;
    }
    if (delete_missing)
        T_CHECK(store_delete_missing_enterprises(s, src, "importer", &c.deleted) == GEOD_OK);
    T_CHECK(store_commit(s) == GEOD_OK);
    store_close(s);
    return c;
}

static sqlite3 *db;

static long long q(const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Is o's member k the string v, or null when v is NULL? */
static bool str_is(const json_t *o, const char *k, const char *v)
{
    const json_t *m = json_object_get(o, k);
    return v ? json_is_string(m) && strcmp(json_string_value(m), v) == 0 : json_is_null(m);
}

/* Does the JSON object (an audit row's before or after) say exactly what r says? */
static bool json_is(const json_t *o, const struct rec *r, const char *src, long long version,
                    int deleted, char *why, size_t cap)
{
    const char *bad = NULL;
    if (!json_is_object(o))
        bad = "not an object";
    else if (!str_is(o, "credit_code", r->code))
        bad = "credit_code";
    else if (!str_is(o, "name", r->name))
        bad = "name";
    else if (!str_is(o, "address", r->has_address ? r->address : NULL))
        bad = "address";
    else if (json_number_value(json_object_get(o, "lon")) != r->lon)
        bad = "lon";
    else if (json_number_value(json_object_get(o, "lat")) != r->lat)
        bad = "lat";
    else if (!str_is(o, "district_code", r->has_district ? r->district : NULL))
        bad = "district_code";
    else if (r->disabled < 0
                 ? !json_is_null(json_object_get(o, "disabled_employees"))
                 : json_integer_value(json_object_get(o, "disabled_employees")) != r->disabled)
        bad = "disabled_employees";
    else if (!str_is(o, "certified_on", r->has_date ? r->date : NULL))
        bad = "certified_on";
    else if (!str_is(o, "source", src) || !str_is(o, "source_key", r->key))
        bad = "source";
    else if (json_integer_value(json_object_get(o, "version")) != version)
        bad = "version";
    else if (json_integer_value(json_object_get(o, "deleted")) != deleted)
        bad = "deleted";
    if (bad)
        snprintf(why, cap, "%s differs", bad);
    return !bad;
}

/* The last audit row of r's credit code: its action, before and after against the records. */
static void check_audit(const struct rec *r, const char *action, const struct rec *before,
                        long long version, int deleted_before, int deleted_after)
{
    sqlite3_stmt *st;
    T_CHECK(sqlite3_prepare_v2(db,
                               "SELECT action, actor, before, after FROM record_audit"
                               " WHERE entity = 'enterprise' AND entity_key = ?1"
                               " ORDER BY seq DESC LIMIT 1",
                               -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
    bool row = sqlite3_step(st) == SQLITE_ROW;
    T_CHECKF(row, "%s: no audit row", r->key);
    if (row) {
        const char *act = (const char *)sqlite3_column_text(st, 0);
        const char *bt = (const char *)sqlite3_column_text(st, 2);
        const char *at = (const char *)sqlite3_column_text(st, 3);
        T_CHECKF(act && strcmp(act, action) == 0, "%s: action %s, want %s", r->key, act, action);
        T_CHECK(strcmp((const char *)sqlite3_column_text(st, 1), "importer") == 0);
        char why[128] = "";
        json_t *a = at ? json_loads(at, 0, NULL) : NULL;
        T_CHECKF(json_is(a, r, "feedA", version, deleted_after, why, sizeof why), "%s after: %s",
                 r->key, why);
        json_decref(a);
        if (!before) {
            T_CHECKF(!bt, "%s: a before for a create", r->key);
        } else {
            json_t *b = bt ? json_loads(bt, 0, NULL) : NULL;
            T_CHECKF(json_is(b, before, "feedA", version - 1, deleted_before, why, sizeof why),
                     "%s before: %s", r->key, why);
            json_decref(b);
        }
    }
    sqlite3_finalize(st);
}

static void test_cycle(void)
{
    /* a new feed: every record inserted with its "create" row */
    struct counts c = import("feedA", N, false);
    T_CHECKF(c.ins == N && c.upd == 0 && c.same == 0, "%zu %zu %zu", c.ins, c.upd, c.same);
    T_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'enterprise'") == N);
    for (int i = 0; i < N; i++)
        check_audit(&feed[i], "create", NULL, 1, 0, 0);
    T_CHECK(q("SELECT count(*) FROM enterprise WHERE version = 1 AND deleted = 0"
              " AND created_by = 'importer' AND geom IS NOT NULL") == N);

    /* the same feed again: nothing */
    import("feedB", 5, false); /* another source, which nothing below may touch */
    c = import("feedA", N, false);
    T_CHECKF(c.same == N && c.ins == 0 && c.upd == 0, "%zu %zu %zu", c.ins, c.upd, c.same);
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'enterprise'") == N + 5);

    /* one field changed per record, in turn */
    struct rec old[N];
    memcpy(old, feed, sizeof feed);
    for (int i = 0; i < N; i++) {
        struct rec *r = &feed[i];
        switch (i % 8) {
        case 0:
            strcat(r->name, "（新）");
            break;
        case 1:
            r->has_address = !r->has_address;
            break;
        case 2:
            r->lon = nextafter(r->lon, 200);
            break; /* the smallest change there is */
        case 3:
            r->has_district = !r->has_district;
            break;
        case 4:
            r->disabled = r->disabled < 0 ? 0 : -1;
            break; /* unknown <-> none */
        case 5:
            r->has_date = !r->has_date;
            break;
        case 6:
            new_code(r->code);
            break;
        case 7:
            r->lat += 0.001;
            break;
        }
    }
    c = import("feedA", N, false);
    T_CHECKF(c.upd == N && c.ins == 0 && c.same == 0, "%zu %zu %zu", c.ins, c.upd, c.same);
    for (int i = 0; i < N; i++)
        check_audit(&feed[i], "update", &old[i], 2, 0, 0);
    T_CHECK(q("SELECT count(*) FROM enterprise WHERE source = 'feedA' AND version = 2"
              " AND updated_by = 'importer'") == N);

    /* a shorter feed with delete-missing: the rest soft-deleted, feedB untouched */
    c = import("feedA", KEEP, true);
    T_CHECKF(c.same == KEEP && c.deleted == N - KEEP, "%zu same, %zu deleted", c.same, c.deleted);
    for (int i = KEEP; i < N; i++)
        check_audit(&feed[i], "delete", &feed[i], 3, 0, 1);
    T_CHECK(q("SELECT count(*) FROM enterprise WHERE source = 'feedA' AND deleted = 1") ==
            N - KEEP);
    T_CHECK(q("SELECT count(*) FROM enterprise WHERE source = 'feedB' AND deleted = 0"
              " AND version = 1") == 5);
    c = import("feedA", KEEP, true); /* again: nothing more to delete */
    T_CHECKF(c.deleted == 0 && c.same == KEEP, "%zu deleted", c.deleted);

    /* the whole feed again: the deleted come back */
    c = import("feedA", N, false);
    T_CHECKF(c.upd == N - KEEP && c.same == KEEP, "%zu updated, %zu same", c.upd, c.same);
    for (int i = KEEP; i < N; i++)
        check_audit(&feed[i], "update", &feed[i], 4, 1, 0);
    T_CHECK(q("SELECT count(*) FROM enterprise WHERE deleted = 0") == N + 5);
    T_CHECK(q("SELECT count(*) FROM record_audit WHERE entity = 'enterprise'") ==
            N + 5 + N + 2 * (N - KEEP));
    sqlite3_close(db);
    db = NULL;
}

static void test_refused(void)
{
    struct store *s;
    char err[256];
    T_CHECKF(store_open(path, true, &s, err, sizeof err) == GEOD_OK, "%s", err);
    if (!s)
        return;
    int64_t before = -1, after = -2;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    before = q("SELECT count(*) FROM record_audit") * 1000 + q("SELECT count(*) FROM enterprise");
    struct rec r = feed[0];
    strcpy(r.key, "refused");
    new_code(r.code);
    char badcode[19];
    strcpy(badcode, r.code);
    badcode[17] = badcode[17] == 'A' ? 'B' : 'A';
    struct {
        const char *field;
        struct store_enterprise e;
    } cases[16];
    int n = 0;
    struct store_enterprise ok = as_store(&r, "feedC");
#define CASE(f, ...)                                                                               \
    do {                                                                                           \
        cases[n].field = f;                                                                        \
        cases[n].e = ok;                                                                           \
        __VA_ARGS__;                                                                               \
        n++;                                                                                       \
    } while (0)
    CASE("credit_code", cases[n].e.credit_code = badcode);
    CASE("credit_code", cases[n].e.credit_code = NULL);
    CASE("name", cases[n].e.name = "");
    CASE("name", cases[n].e.name = "武汉\t福利厂");
    CASE("name", cases[n].e.name = "武汉\xff");
    CASE("lon", cases[n].e.lon = NAN);
    CASE("lat", cases[n].e.lat = -90.5);
    CASE("district_code", cases[n].e.district_code = "420102");
    CASE("district_code", cases[n].e.district_code = "42010200000X");
    CASE("disabled_employees", cases[n].e.disabled_employees = -2);
    CASE("certified_on", cases[n].e.certified_on = "2023-02-29");
    CASE("certified_on", cases[n].e.certified_on = "2023-2-28");
    CASE("certified_on", cases[n].e.certified_on = "2023-13-01");
    CASE("source", cases[n].e.source = NULL);
    CASE("source_key", cases[n].e.source_key = "");
    CASE("address", cases[n].e.address = "\x01");
#undef CASE
    T_CHECK(store_begin(s) == GEOD_OK && store_import_begin(s) == GEOD_OK);
    for (int i = 0; i < n; i++) {
        const char *field = NULL;
        T_CHECKF(store_enterprise_check(&cases[i].e, &field) == GEOD_EINVAL && field &&
                     strcmp(field, cases[i].field) == 0,
                 "case %d: field %s, want %s", i, field ? field : "(none)", cases[i].field);
        enum store_change what;
        T_CHECKF(store_upsert_enterprise(s, &cases[i].e, "importer", &what) == GEOD_EINVAL,
                 "case %d written", i);
    }
    const char *field = "x";
    ok.certified_on = "2024-02-29"; /* a leap day is a date */
    T_CHECK(store_enterprise_check(&ok, &field) == GEOD_OK && field == NULL);
    T_CHECK(store_commit(s) == GEOD_OK);
    store_close(s);
    after = q("SELECT count(*) FROM record_audit") * 1000 + q("SELECT count(*) FROM enterprise");
    T_CHECKF(before == after, "%lld -> %lld", (long long)before, (long long)after);
    sqlite3_close(db);
    db = NULL;
}

static void test_load(void)
{
    struct store *s;
    char err[256];
    T_CHECKF(store_open(path, false, &s, err, sizeof err) == GEOD_OK, "%s", err);
    if (!s)
        return;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    struct enterprises_builder *b;
    struct enterprises *t = NULL;
    uint64_t gen = 0;
    int64_t bad = 0;
    T_CHECK(enterprises_builder_new(&b) == GEOD_OK);
    T_CHECK(store_load_enterprises(s, b, &gen, &bad) == GEOD_OK);
    T_CHECK(enterprises_builder_finish(b, NULL, NULL, &t) == GEOD_OK);
    T_CHECKF(t && t->n == N + 5, "%zu loaded", t ? t->n : 0);
    T_CHECK((long long)gen == q("SELECT max(seq) FROM record_audit") && gen > 0);
    for (int i = 0; t && i < N; i++) {
        const struct enterprise *e = NULL;
        for (size_t k = 0; k < t->n && !e; k++)
            if (strcmp(t->e[k].credit_code, feed[i].code) == 0)
                e = &t->e[k];
        T_CHECKF(e && strcmp(e->name, feed[i].name) == 0 && e->lon == feed[i].lon &&
                     e->lat == feed[i].lat && e->disabled_employees == feed[i].disabled &&
                     (feed[i].has_date
                          ? e->certified_on && strcmp(e->certified_on, feed[i].date) == 0
                          : !e->certified_on) &&
                     strcmp(e->source, "feedA") == 0,
                 "%s", feed[i].key);
    }
    enterprises_free(t);
    /* one row spoilt behind the store's back: the load says which */
    T_CHECK(sqlite3_exec(db,
                         "UPDATE enterprise SET credit_code = '914201061234567890'"
                         " WHERE id = 7",
                         NULL, NULL, NULL) == SQLITE_OK);
    T_CHECK(enterprises_builder_new(&b) == GEOD_OK);
    T_CHECK(store_load_enterprises(s, b, &gen, &bad) == GEOD_ECORRUPT && bad == 7);
    enterprises_builder_free(b);
    sqlite3_close(db);
    db = NULL;
    store_close(s);
}

/* GB 11714's check of an organization code, written again: 11 - sum mod 11, 10 X, 11 0. */
static bool org_code_ok(const char *c)
{
    static const int w[] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        if (c[i] < '0' || c[i] > '9')
            return false;
        sum += (c[i] - '0') * w[i];
    }
    int v = (11 - sum % 11) % 11;
    return c[8] == (v == 10 ? 'X' : '0' + v);
}

static void test_synthetic(void)
{
    char key[32], name[64];
    struct synth_enterprise_buf b1, b2;
    struct store_enterprise e1, e2;
    size_t no_count = 0, no_date = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "welfare_enterprise:%d", i + 1);
        snprintf(name, sizeof name, "武汉康乐福利%s厂有限公司", i % 2 ? "印刷" : "五金");
        struct store_facility f = {.category = "welfare_enterprise",
                                   .name = name,
                                   .address = "武汉市（示例数据）",
                                   .lon = 114.3,
                                   .lat = 30.6,
                                   .division_code = i % 10 ? "420106001002" : NULL,
                                   .source = "synthetic",
                                   .source_key = key};
        T_CHECK(synth_enterprise(&f, &b1, &e1) == GEOD_OK);
        T_CHECK(synth_enterprise(&f, &b2, &e2) == GEOD_OK); /* the same again */
        const char *field = NULL;
        T_CHECKF(store_enterprise_check(&e1, &field) == GEOD_OK, "%s: %s", key, field);
        T_CHECKF(strcmp(e1.credit_code, e2.credit_code) == 0 &&
                     e1.disabled_employees == e2.disabled_employees &&
                     (e1.certified_on == NULL) == (e2.certified_on == NULL),
                 "%s differs between runs", key);
        T_CHECKF(org_code_ok(e1.credit_code + 8), "%s: organization code", e1.credit_code);
        T_CHECK(strcmp(e1.district_code, i % 10 ? "420106000000" : "420100000000") == 0);
        T_CHECK(memcmp(e1.credit_code, "91", 2) == 0 &&
                memcmp(e1.credit_code + 2, e1.district_code, 6) == 0);
        T_CHECK(strcmp(e1.industry, i % 2 ? "印刷和记录媒介复制业" : "金属制品业") == 0);
        T_CHECK(e1.lon == f.lon && e1.lat == f.lat && e1.name == f.name &&
                strcmp(e1.source, "synthetic") == 0);
        T_CHECK(e1.disabled_employees == -1 ||
                (e1.disabled_employees >= 10 && e1.disabled_employees <= 80));
        no_count += e1.disabled_employees < 0;
        no_date += !e1.certified_on;
    }
    /* about 1 in 20 and 1 in 25 */
    T_CHECKF(no_count > 50 && no_count < 160 && no_date > 40 && no_date < 130, "%zu, %zu", no_count,
             no_date);
    struct store_facility other = {.category = "hospital", .name = "x", .source_key = "k"};
    T_CHECK(synth_enterprise(&other, &b1, &e1) == GEOD_EINVAL);
}

int main(void)
{
    make_feed();
    if (!scratch_new(&sc, "store_ent")) {
        printf("no scratch directory\n0 passed, 1 failed\n");
        return 1;
    }
    scratch_path(&sc, path, sizeof path, "geod.sqlite");
    T_RUN(test_cycle);
    T_RUN(test_refused);
    T_RUN(test_load);
    T_RUN(test_synthetic);
    scratch_free(&sc);
    return T_END();
}

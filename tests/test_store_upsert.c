/* test_store_upsert.c - data/store_upsert.c: a feed re-imported changes nothing, a changed feed
 * changes exactly the changed records (with their audit rows), and records a feed drops are
 * soft-deleted only for that feed's source. The oracle is the test's own list of records and
 * plain SQL over the file. */
#include "data/store.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <sqlite3.h>
#include <stdlib.h>

#define N 120

struct rec {
    char key[16], name[32];
    double lon, lat;
};

static struct rec feed[N];

static void make_feed(void)
{
    for (int i = 0; i < N; i++) {
        snprintf(feed[i].key, sizeof feed[i].key, "k%03d", i);
        snprintf(feed[i].name, sizeof feed[i].name, "养老院%d", i);
        feed[i].lon = 114.2 + i * 0.001;
        feed[i].lat = 30.5 + i * 0.0007;
    }
}

struct counts {
    size_t ins, upd, same;
};

/* Imports feed[0..n) as source `src`; deletes what is missing when asked. */
static struct counts import(const char *path, const char *src, int n, bool delete_missing,
                            size_t *deleted)
{
    struct counts c = {0};
    struct store *s;
    char err[256];
    T_CHECKF(store_open(path, true, &s, err, sizeof err) == GEOD_OK, "%s", err);
    T_CHECK(store_begin(s) == GEOD_OK && store_import_begin(s) == GEOD_OK);
    for (int i = 0; i < n; i++) {
        struct store_facility f = {.category = "elderly_care",
                                   .name = feed[i].name,
                                   .lon = feed[i].lon,
                                   .lat = feed[i].lat,
                                   .source = src,
                                   .source_key = feed[i].key,
                                   .address = "地址"};
        enum store_change what;
        uint32_t id;
        T_CHECK(store_upsert_facility(s, &f, "importer", &what, &id) == GEOD_OK && id > 0);
        c.ins += what == STORE_INSERTED;
        c.upd += what == STORE_UPDATED;
        c.same += what == STORE_UNCHANGED;
    }
    if (delete_missing)
        T_CHECK(store_delete_missing(s, src, "importer", deleted) == GEOD_OK);
    T_CHECK(store_commit(s) == GEOD_OK);
    store_close(s);
    return c;
}

static long long q(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_feed_cycle(void)
{
    struct scratch sc;
    char path[512];
    T_CHECK(scratch_new(&sc, "upsert"));
    scratch_path(&sc, path, sizeof path, "geod.sqlite");
    make_feed();
    size_t del = 0;
    struct counts c = import(path, "mca", N, false, NULL);
    T_CHECKF(c.ins == N && c.upd == 0 && c.same == 0, "first: %zu %zu %zu", c.ins, c.upd, c.same);
    import(path, "other", 10, false, NULL); /* another source, same keys */
    sqlite3 *db;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    long long audit0 = q(db, "SELECT count(*) FROM facility_audit");
    T_CHECK(audit0 == N + 10);

    /* the same feed again: nothing changes, not even the audit log */
    c = import(path, "mca", N, true, &del);
    T_CHECKF(c.ins == 0 && c.upd == 0 && c.same == N && del == 0, "again: %zu %zu %zu %zu", c.ins,
             c.upd, c.same, del);
    T_CHECK(q(db, "SELECT count(*) FROM facility_audit") == audit0);
    T_CHECK(q(db, "SELECT max(version) FROM facility") == 1);

    /* 10 records changed (names, positions), 5 dropped */
    for (int i = 0; i < 10; i++) {
        if (i % 2)
            strcat(feed[i].name, "（新）");
        else
            feed[i].lon += 1e-6;
    }
    c = import(path, "mca", N - 5, true, &del);
    T_CHECKF(c.ins == 0 && c.upd == 10 && c.same == N - 15 && del == 5, "changed: %zu %zu %zu %zu",
             c.ins, c.upd, c.same, del);
    T_CHECK(q(db, "SELECT count(*) FROM facility WHERE source = 'mca' AND version = 2") == 15);
    T_CHECK(q(db, "SELECT count(*) FROM facility WHERE source = 'mca' AND deleted = 1") == 5);
    T_CHECK(q(db, "SELECT count(*) FROM facility WHERE source = 'other' AND deleted = 0") == 10);
    T_CHECK(q(db, "SELECT count(*) FROM facility_audit WHERE action = 'update'") == 10);
    T_CHECK(q(db, "SELECT count(*) FROM facility_audit WHERE action = 'delete'") == 5);
    /* the audit keeps before and after: the changed name is in one and not the other */
    T_CHECK(q(db, "SELECT count(*) FROM facility_audit WHERE action = 'update' AND"
                  " json_extract(after, '$.name') LIKE '%（新）' AND"
                  " json_extract(before, '$.name') NOT LIKE '%（新）'") == 5);
    T_CHECK(q(db, "SELECT count(*) FROM facility_audit WHERE action = 'update' AND"
                  " json_extract(after, '$.lon') = json_extract(before, '$.lon') + 1e-6") >= 1);

    /* a dropped record that comes back is undeleted (an update), the rest stay */
    c = import(path, "mca", N - 4, true, &del);
    T_CHECKF(c.upd == 1 && del == 0, "back: %zu updated, %zu deleted", c.upd, del);
    T_CHECK(q(db, "SELECT count(*) FROM facility WHERE source = 'mca' AND deleted = 1") == 4);
    sqlite3_close(db);

    /* a record without a key cannot be upserted */
    struct store *s;
    char err[256];
    T_CHECK(store_open(path, false, &s, err, sizeof err) == GEOD_OK);
    struct store_facility f = {
        .category = "shelter", .name = "x", .lon = 114, .lat = 30, .source = "mca"};
    enum store_change what;
    T_CHECK(store_begin(s) == GEOD_OK && store_import_begin(s) == GEOD_OK);
    T_CHECK(store_upsert_facility(s, &f, "importer", &what, NULL) == GEOD_EINVAL);
    store_rollback(s);
    store_close(s);
    scratch_free(&sc);
}

int main(void)
{
    T_RUN(test_feed_cycle);
    return T_END();
}

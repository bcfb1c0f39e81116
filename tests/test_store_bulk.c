/* test_store_bulk.c - the store's bulk mode (data/store_bulk.c, data/store_rtree.c, the audit
 * JSON of data/store_json.c) against SQLite itself: after an import the spatial index holds the
 * very boxes SQLite's own R*Tree module makes from the same points (an R*Tree filled row by row
 * through the virtual table on the test's connection), passes rtreecheck(), and answers random
 * boxes as that R*Tree does; SpatiaLite's triggers are back word for word after a commit and
 * after a rollback; every audit row's JSON reads back as the facility it describes. Both paths
 * are covered: a large import (the index rebuilt packed) and a small one (rows added one by one),
 * and updates and deletions. */
#include "data/store.h"
#include "tests/lib/scratch.h"
#include "tests/lib/storecheck.h"
#include "tests/t.h"

#include <stdlib.h>

static struct scratch sc;
static char db[512];

/* A deterministic position in Wuhan for record i of generation g. */
static void pos(int i, int g, double *lon, double *lat)
{
    uint64_t x = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)g * 0xBF58476D1CE4E5B9ull;
    x ^= x >> 31;
    *lon = 114.0 + (double)(x % 800000) * 1e-6;
    *lat = 30.3 + (double)((x >> 20) % 600000) * 1e-6;
}

/* Imports n records k0..k(n-1) of source src (generation g moves every third one); deletes what
 * is missing when asked; commits, or rolls back. */
static bool import(const char *src, int n, int g, bool delete_missing, bool commit)
{
    struct store *s;
    char err[256];
    if (store_open(db, true, &s, err, sizeof err)) {
        T_CHECKF(0, "%s", err);
        return false;
    }
    bool ok = store_begin(s) == GEOD_OK && store_import_begin(s) == GEOD_OK;
    for (int i = 0; ok && i < n; i++) {
        char key[16], name[32];
        snprintf(key, sizeof key, "k%05d", i);
        snprintf(name, sizeof name, "设施\"%d\"\\\t", i); /* characters JSON must escape */
        struct store_facility f = {.category = "shelter", .name = name, .source = src,
                                   .source_key = key, .phone = i % 2 ? "027-1" : NULL};
        pos(i, i % 3 == 0 ? g : 0, &f.lon, &f.lat);
        enum store_change what;
        ok = store_upsert_facility(s, &f, "bulk-test", &what, NULL) == GEOD_OK;
    }
    size_t deleted;
    if (ok && delete_missing)
        ok = store_delete_missing(s, src, "bulk-test", &deleted) == GEOD_OK;
    if (ok && commit)
        ok = store_commit(s) == GEOD_OK;
    else
        store_rollback(s);
    store_close(s);
    T_CHECKF(ok, "import %s %d %d", src, n, g);
    return ok;
}

static char *triggers(struct sc_conn *o)
{
    char *out = calloc(1, 1 << 16);
    sqlite3_stmt *st = sc_prep(o->db,
                               "SELECT group_concat(name || ':' || sql, ';') FROM (SELECT name, sql"
                               " FROM sqlite_master WHERE type = 'trigger' AND tbl_name ="
                               " 'facility' ORDER BY name)",
                               (char[SC_WHY]){0});
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, 1 << 16, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static int64_t qi(struct sc_conn *o, const char *sql)
{
    int64_t v = INT64_MIN;
    char why[SC_WHY];
    T_CHECKF(sc_int(o->db, sql, &v, why), "%s: %s", sql, why);
    return v;
}

/* The index is SQLite's own, the triggers are as before, the audit reads back. */
static void check_store(const char *want_triggers)
{
    struct sc_conn o;
    char why[SC_WHY];
    if (!sc_open(&o, db, SQLITE_OPEN_READWRITE, why)) {
        T_CHECKF(0, "%s", why);
        return;
    }
    char *t = triggers(&o);
    T_CHECKF(strcmp(t, want_triggers) == 0, "triggers differ:\n%s\n%s", t, want_triggers);
    free(t);
    char text[64] = "";
    T_CHECK(sc_text(o.db, "SELECT rtreecheck('idx_facility_geom')", text, sizeof text) &&
            strcmp(text, "ok") == 0);
    /* the oracle: SQLite's R*Tree filled through the virtual table, in a database of its own */
    T_CHECK(sqlite3_exec(o.db,
                         "ATTACH ':memory:' AS o; CREATE VIRTUAL TABLE o.r USING rtree(id, x0, x1,"
                         " y0, y1); INSERT INTO o.r SELECT id, lon, lon, lat, lat FROM facility"
                         " WHERE geom IS NOT NULL",
                         NULL, NULL, NULL) == SQLITE_OK);
    int64_t n = qi(&o, "SELECT count(*) FROM o.r");
    T_CHECK(n > 0 && qi(&o, "SELECT count(*) FROM idx_facility_geom") == n);
    T_CHECK(qi(&o, "SELECT count(*) FROM idx_facility_geom i JOIN o.r ON o.r.id = i.pkid WHERE"
                   " i.xmin = o.r.x0 AND i.xmax = o.r.x1 AND i.ymin = o.r.y0 AND"
                   " i.ymax = o.r.y1") == n);
    sqlite3_stmt *a = sc_prep(o.db,
                              "SELECT group_concat(pkid) FROM (SELECT pkid FROM idx_facility_geom"
                              " WHERE xmax >= ?1 AND xmin <= ?2 AND ymax >= ?3 AND ymin <= ?4"
                              " ORDER BY pkid)",
                              why),
                 *b = sc_prep(o.db,
                              "SELECT group_concat(id) FROM (SELECT id FROM o.r WHERE x1 >= ?1 AND"
                              " x0 <= ?2 AND y1 >= ?3 AND y0 <= ?4 ORDER BY id)",
                              why);
    int differ = 0;
    for (int q = 0; a && b && q < 300; q++) {
        double w, s, size = q % 3 == 0 ? 0.002 : q % 3 == 1 ? 0.02 : 0.2;
        pos(q, 77, &w, &s);
        sqlite3_stmt *st[2] = {a, b};
        const char *got[2];
        for (int k = 0; k < 2; k++) {
            sqlite3_bind_double(st[k], 1, w);
            sqlite3_bind_double(st[k], 2, w + size);
            sqlite3_bind_double(st[k], 3, s);
            sqlite3_bind_double(st[k], 4, s + size);
            sqlite3_step(st[k]);
            got[k] = (const char *)sqlite3_column_text(st[k], 0);
        }
        differ += !((!got[0] && !got[1]) || (got[0] && got[1] && strcmp(got[0], got[1]) == 0));
        sqlite3_reset(a);
        sqlite3_reset(b);
    }
    T_CHECKF(differ == 0, "%d of 300 boxes answered differently", differ);
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    /* the latest audit row of every facility is the facility */
    T_CHECK(qi(&o, "SELECT count(*) FROM facility_audit WHERE NOT json_valid(after)") == 0);
    T_CHECK(qi(&o, "SELECT count(*) FROM facility f JOIN facility_audit a ON a.facility_id = f.id"
                   " AND a.version = f.version WHERE json_extract(a.after, '$.id') = f.id AND"
                   " json_extract(a.after, '$.category') = f.category AND"
                   " json_extract(a.after, '$.name') = f.name AND"
                   " json_extract(a.after, '$.address') IS f.address AND"
                   " json_extract(a.after, '$.phone') IS f.phone AND"
                   " json_extract(a.after, '$.hours') IS f.hours AND"
                   " json_extract(a.after, '$.lon') = f.lon AND"
                   " json_extract(a.after, '$.lat') = f.lat AND"
                   " json_extract(a.after, '$.division_code') IS f.division_code AND"
                   " json_extract(a.after, '$.source') = f.source AND"
                   " json_extract(a.after, '$.source_key') IS f.source_key AND"
                   " json_extract(a.after, '$.version') = f.version AND"
                   " json_extract(a.after, '$.deleted') = f.deleted AND a.at = f.updated_at") ==
            qi(&o, "SELECT count(*) FROM facility"));
    /* an update's before is the previous version's after */
    T_CHECK(qi(&o, "SELECT count(*) FROM facility_audit a JOIN facility_audit p ON"
                   " p.facility_id = a.facility_id AND p.version = a.version - 1 WHERE"
                   " a.before IS NOT p.after") == 0);
    sc_close(&o, why);
}

static void test_bulk(void)
{
    /* a new store (the built-in data, written row by row with SpatiaLite's triggers) */
    T_CHECK(import("warm", 1, 0, false, true));
    struct sc_conn o;
    char why[SC_WHY];
    T_CHECK(sc_open(&o, db, SQLITE_OPEN_READONLY, why));
    char *want = triggers(&o);
    sc_close(&o, why);
    T_CHECK(strstr(want, "gii_facility_geom:") && strstr(want, "tmi_facility_geom:"));

    T_CHECK(import("big", 20000, 0, false, true)); /* the index rebuilt packed */
    check_store(want);
    T_CHECK(import("big", 20000, 1, true, true)); /* a third moved: rebuilt again */
    check_store(want);
    T_CHECK(import("big", 19990, 2, true, true)); /* 6667 moved, 10 deleted */
    check_store(want);
    T_CHECK(import("small", 50, 0, false, true)); /* one by one */
    check_store(want);
    T_CHECK(import("small", 40, 5, true, true)); /* updates and deletions, one by one */
    check_store(want);

    /* a rolled back import leaves everything as it was, triggers included */
    size_t len0, len1;
    char *bytes0 = scratch_slurp(db, &len0);
    T_CHECK(import("gone", 5000, 0, false, false));
    char *bytes1 = scratch_slurp(db, &len1);
    T_CHECK(bytes0 && bytes1 && len0 == len1 && memcmp(bytes0, bytes1, len0) == 0);
    free(bytes0);
    free(bytes1);
    check_store(want);
    free(want);
}

int main(void)
{
    if (!scratch_new(&sc, "store-bulk"))
        return 1;
    scratch_path(&sc, db, sizeof db, "geod.sqlite");
    T_RUN(test_bulk);
    scratch_free(&sc);
    return T_END();
}

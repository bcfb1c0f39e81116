/* storecheck.c - a store file seen from outside and inside (see storecheck.h). */
#include "tests/lib/storecheck.h"

/* spatialite.h uses sqlite3 types without including sqlite3.h */
#include <spatialite.h>

#include <stdio.h>
#include <string.h>

bool sc_open(struct sc_conn *o, const char *path, int flags, char why[SC_WHY])
{
    o->db = NULL;
    o->cache = NULL;
    int rc = sqlite3_open_v2(path, &o->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(why, SC_WHY, "sqlite3_open_v2 %s: %s", path, sqlite3_errstr(rc));
        sqlite3_close(o->db);
        o->db = NULL;
        return false;
    }
    o->cache = spatialite_alloc_connection();
    spatialite_init_ex(o->db, o->cache, 0);
    return true;
}

bool sc_close(struct sc_conn *o, char why[SC_WHY])
{
    bool ok = true;
    if (o->db && sqlite3_close(o->db) != SQLITE_OK) {
        snprintf(why, SC_WHY, "close: %s", sqlite3_errmsg(o->db));
        ok = false;
    }
    if (o->cache)
        spatialite_cleanup_ex(o->cache);
    o->db = NULL;
    o->cache = NULL;
    return ok;
}

sqlite3_stmt *sc_prep(sqlite3 *db, const char *sql, char why[SC_WHY])
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(why, SC_WHY, "prepare [%s]: %s", sql, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

bool sc_int(sqlite3 *db, const char *sql, int64_t *v, char why[SC_WHY])
{
    sqlite3_stmt *st = sc_prep(db, sql, why);
    bool ok = st && sqlite3_step(st) == SQLITE_ROW;
    *v = ok ? sqlite3_column_int64(st, 0) : INT64_MIN;
    if (st && !ok)
        snprintf(why, SC_WHY, "[%s]: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

bool sc_text(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    char why[SC_WHY];
    sqlite3_stmt *st = sc_prep(db, sql, why);
    bool ok = st && sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(st);
    return ok;
}

bool sc_col_is(sqlite3_stmt *st, int i, const char *want)
{
    if (!want)
        return sqlite3_column_type(st, i) == SQLITE_NULL;
    if (sqlite3_column_type(st, i) != SQLITE_TEXT)
        return false;
    const void *t = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    return n == strlen(want) && memcmp(t, want, n) == 0;
}

bool sc_load(struct store *s, uint64_t *gen, struct snapshot **out, char why[SC_WHY])
{
    struct snapshot_builder *b = NULL;
    *out = NULL;
    bool ok = true;
    if (snapshot_builder_new(&b) != GEOD_OK) {
        snprintf(why, SC_WHY, "snapshot_builder_new failed");
        ok = false;
    }
    enum geod_err rc = store_load(s, b, gen);
    if (rc != GEOD_OK && ok) {
        snprintf(why, SC_WHY, "store_load: %s (%s)", geod_strerror(rc), store_errmsg(s));
        ok = false;
    }
    rc = snapshot_builder_finish(b, *gen, out);
    if (rc != GEOD_OK && ok) {
        snprintf(why, SC_WHY, "snapshot_builder_finish: %s", geod_strerror(rc));
        ok = false;
    }
    return ok;
}

/* store_upsert.c - imports into the store: a record keyed by (source, source_key) is inserted,
 * updated when a field differs, or left alone; records the feed no longer holds are soft-deleted.
 * Every change has its audit row. The keys a feed holds are tracked in a TEMP table, which lives
 * on this connection only and never reaches the file. */
#include "data/store_impl.h"

#include <stdlib.h>
#include <string.h>

enum { SEL, UPD, SEEN, MISSING };

static const char *const sql[] = {
    [SEL] = "SELECT id, category, name, address, phone, hours, lon, lat, division_code, deleted"
            " FROM facility WHERE source = ?1 AND source_key = ?2",
    [UPD] = "UPDATE facility SET category = ?2, name = ?3, address = ?4, phone = ?5, hours = ?6,"
            " lon = ?7, lat = ?8, division_code = ?9, geom = MakePoint(?7, ?8, 4326),"
            " deleted = 0, version = version + 1, updated_by = ?10,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
    [SEEN] = "INSERT OR IGNORE INTO temp.import_seen (key) VALUES (?1)",
    [MISSING] = "SELECT id FROM facility WHERE source = ?1 AND deleted = 0"
                " AND source_key IS NOT NULL"
                " AND source_key NOT IN (SELECT key FROM temp.import_seen)",
};

static sqlite3_stmt *stmt(struct store *s, int which)
{
    if (!s->upsert[which] && sqlite3_prepare_v3(s->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                                &s->upsert[which], NULL) != SQLITE_OK)
        return NULL;
    return s->upsert[which];
}

enum geod_err store_import_begin(struct store *s)
{
    /* import_seen_enterprise: the same for store_upsert_enterprise (data/store_enterprise.c) */
    if (store_exec(s, "CREATE TEMP TABLE IF NOT EXISTS import_seen (key TEXT PRIMARY KEY)") ||
        store_exec(s, "DELETE FROM temp.import_seen") ||
        store_exec(s, "CREATE TEMP TABLE IF NOT EXISTS import_seen_enterprise"
                      " (key TEXT PRIMARY KEY)") ||
        store_exec(s, "DELETE FROM temp.import_seen_enterprise"))
        return GEOD_ESTORE;
    return GEOD_OK;
}

static bool same_text(sqlite3_stmt *st, int col, const char *v)
{
    const char *cur = (const char *)sqlite3_column_text(st, col);
    return (!cur && !v) || (cur && v && strcmp(cur, v) == 0);
}

/* The row's JSON as the audit log keeps it, before a change (malloc'ed, or NULL). */
static char *row_json(struct store *s, uint32_t id)
{
    sqlite3_stmt *st;
    char *out = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT " STORE_FACILITY_JSON " FROM facility WHERE id = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

enum geod_err store_upsert_facility(struct store *s, const struct store_facility *f,
                                    const char *actor, enum store_change *what, uint32_t *id)
{
    if (!f->source || !f->source_key)
        return GEOD_EINVAL;
    sqlite3_stmt *sel = stmt(s, SEL), *seen = stmt(s, SEEN);
    if (!sel || !seen)
        return GEOD_ESTORE;
    store_bind_text(seen, 1, f->source_key);
    if (store_step_done(seen))
        return GEOD_ESTORE;
    store_bind_text(sel, 1, f->source);
    store_bind_text(sel, 2, f->source_key);
    int r = sqlite3_step(sel);
    if (r == SQLITE_DONE) {
        sqlite3_reset(sel);
        *what = STORE_INSERTED;
        return store_insert_facility(s, f, actor, id);
    }
    if (r != SQLITE_ROW) {
        sqlite3_reset(sel);
        return GEOD_ESTORE;
    }
    uint32_t fid = (uint32_t)sqlite3_column_int64(sel, 0);
    bool same = same_text(sel, 1, f->category) && same_text(sel, 2, f->name) &&
                same_text(sel, 3, f->address) && same_text(sel, 4, f->phone) &&
                same_text(sel, 5, f->hours) && sqlite3_column_double(sel, 6) == f->lon &&
                sqlite3_column_double(sel, 7) == f->lat && same_text(sel, 8, f->division_code) &&
                sqlite3_column_int(sel, 9) == 0;
    sqlite3_reset(sel);
    if (id)
        *id = fid;
    if (same) {
        *what = STORE_UNCHANGED;
        return GEOD_OK;
    }
    char *before = row_json(s, fid);
    sqlite3_stmt *upd = stmt(s, UPD);
    enum geod_err rc = GEOD_ESTORE;
    if (before && upd) {
        sqlite3_bind_int64(upd, 1, fid);
        store_bind_text(upd, 2, f->category);
        store_bind_text(upd, 3, f->name);
        store_bind_text(upd, 4, f->address);
        store_bind_text(upd, 5, f->phone);
        store_bind_text(upd, 6, f->hours);
        sqlite3_bind_double(upd, 7, f->lon);
        sqlite3_bind_double(upd, 8, f->lat);
        store_bind_text(upd, 9, f->division_code);
        store_bind_text(upd, 10, actor);
        if (!store_step_done(upd) && sqlite3_changes(s->db) == 1)
            rc = store_audit(s, fid, "update", actor, before);
    }
    free(before);
    *what = STORE_UPDATED;
    return rc;
}

enum geod_err store_delete_missing(struct store *s, const char *source, const char *actor,
                                   size_t *deleted)
{
    *deleted = 0;
    sqlite3_stmt *miss = stmt(s, MISSING), *del;
    if (!miss ||
        sqlite3_prepare_v2(s->db,
                           "UPDATE facility SET deleted = 1, version = version + 1,"
                           " updated_by = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                           " WHERE id = ?1",
                           -1, &del, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    store_bind_text(miss, 1, source);
    enum geod_err rc = GEOD_OK;
    /* collect first: the UPDATEs change what the SELECT walks */
    size_t n = 0, cap = 0;
    uint32_t *ids = NULL;
    int r;
    while ((r = sqlite3_step(miss)) == SQLITE_ROW) {
        if (n == cap) {
            size_t c = cap ? 2 * cap : 256;
            uint32_t *a = realloc(ids, c * sizeof *a);
            if (!a) {
                rc = GEOD_ENOMEM;
                break;
            }
            ids = a;
            cap = c;
        }
        ids[n++] = (uint32_t)sqlite3_column_int64(miss, 0);
    }
    sqlite3_reset(miss);
    if (!rc && r != SQLITE_DONE)
        rc = GEOD_ESTORE;
    for (size_t i = 0; !rc && i < n; i++) {
        char *before = row_json(s, ids[i]);
        sqlite3_bind_int64(del, 1, ids[i]);
        store_bind_text(del, 2, actor);
        rc = before && !store_step_done(del) ? store_audit(s, ids[i], "delete", actor, before)
                                             : GEOD_ESTORE;
        free(before);
        *deleted += !rc;
    }
    sqlite3_finalize(del);
    free(ids);
    return rc;
}

/* store_upsert.c - imports into the store: a record keyed by (source, source_key) is inserted,
 * updated when a field differs, or left alone; records the feed no longer holds are soft-deleted.
 * Every change has its audit row. The keys a feed holds are tracked in a TEMP table, which lives
 * on this connection only and never reaches the file. */
#include "data/store_impl.h"

#include <stdlib.h>
#include <string.h>

enum { SEL, UPD, SEEN, MISSING, ROW, DEL };

#define COLUMNS "category, name, address, phone, hours, lon, lat, division_code, deleted, version"

static const char *const sql[] = {
    [SEL] = "SELECT id, " COLUMNS " FROM facility WHERE source = ?1 AND source_key = ?2",
    [UPD] = "UPDATE facility SET category = ?2, name = ?3, address = ?4, phone = ?5, hours = ?6,"
            " lon = ?7, lat = ?8, division_code = ?9, geom = MakePoint(?7, ?8, 4326),"
            " deleted = 0, version = version + 1, updated_by = ?10, updated_at = ?11"
            " WHERE id = ?1",
    [SEEN] = "INSERT OR IGNORE INTO temp.import_seen (key) VALUES (?1)",
    [MISSING] = "SELECT id FROM facility WHERE source = ?1 AND deleted = 0"
                " AND source_key IS NOT NULL"
                " AND source_key NOT IN (SELECT key FROM temp.import_seen)",
    [ROW] = "SELECT id, " COLUMNS ", source, source_key FROM facility WHERE id = ?1",
    [DEL] = "UPDATE facility SET deleted = 1, version = version + 1, updated_by = ?2,"
            " updated_at = ?3 WHERE id = ?1",
};

static sqlite3_stmt *stmt(struct store *s, int which)
{
    if (!s->upsert[which] && sqlite3_prepare_v3(s->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                                &s->upsert[which], NULL) != SQLITE_OK)
        return NULL;
    return s->upsert[which];
}

static const char *text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

/* A row of COLUMNS from column 1 of st (valid until st moves). */
static void row_of(sqlite3_stmt *st, struct store_facility *f, bool *deleted, int64_t *version)
{
    f->category = text(st, 1);
    f->name = text(st, 2);
    f->address = text(st, 3);
    f->phone = text(st, 4);
    f->hours = text(st, 5);
    f->lon = sqlite3_column_double(st, 6);
    f->lat = sqlite3_column_double(st, 7);
    f->division_code = text(st, 8);
    *deleted = sqlite3_column_int(st, 9) != 0;
    *version = sqlite3_column_int64(st, 10);
}

enum geod_err store_import_begin(struct store *s)
{
    /* a feed is one transaction: with SQLite's default 2 MB cache its pages would spill to the
     * WAL again and again; the cache grows only as far as the transaction needs.
     * import_seen_enterprise: the keys for store_upsert_enterprise (data/store_enterprise.c) */
    if (store_exec(s, "PRAGMA cache_size = -1048576") ||
        store_exec(s, "CREATE TEMP TABLE IF NOT EXISTS import_seen (key TEXT PRIMARY KEY)") ||
        store_exec(s, "DELETE FROM temp.import_seen") ||
        store_exec(s, "CREATE TEMP TABLE IF NOT EXISTS import_seen_enterprise"
                      " (key TEXT PRIMARY KEY)") ||
        store_exec(s, "DELETE FROM temp.import_seen_enterprise"))
        return GEOD_ESTORE;
    s->import_source[0] = '\0';
    return store_bulk_begin(s);
}

/* The import's one source: the first upsert names it and learns whether the store holds any of
 * its records. A new source is all inserts: no lookups, no key tracking (every record of the
 * source is then in the feed, so none is missing). */
static enum geod_err source_of(struct store *s, const char *source)
{
    if (s->import_source[0])
        return strcmp(s->import_source, source) == 0 ? GEOD_OK : GEOD_EINVAL;
    if (strlen(source) >= sizeof s->import_source)
        return GEOD_EINVAL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM facility WHERE source = ?1)", -1,
                           &st, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    store_bind_text(st, 1, source);
    int r = sqlite3_step(st);
    s->import_fresh = r == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    if (r != SQLITE_ROW)
        return GEOD_ESTORE;
    strcpy(s->import_source, source);
    return GEOD_OK;
}

static bool same_text(sqlite3_stmt *st, int col, const char *v)
{
    const char *cur = (const char *)sqlite3_column_text(st, col);
    return (!cur && !v) || (cur && v && strcmp(cur, v) == 0);
}

enum geod_err store_upsert_facility(struct store *s, const struct store_facility *f,
                                    const char *actor, enum store_change *what, uint32_t *id)
{
    if (!f->source || !f->source_key)
        return GEOD_EINVAL;
    enum geod_err rc = source_of(s, f->source);
    if (rc)
        return rc;
    if (s->import_fresh) { /* a key twice is refused by the store's unique index */
        *what = STORE_INSERTED;
        return store_insert_facility(s, f, actor, id);
    }
    sqlite3_stmt *sel = stmt(s, SEL), *seen = stmt(s, SEEN), *upd = stmt(s, UPD);
    if (!sel || !seen || !upd)
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
    struct store_facility cur = {.source = f->source, .source_key = f->source_key};
    bool deleted;
    int64_t version;
    row_of(sel, &cur, &deleted, &version);
    bool same = same_text(sel, 1, f->category) && same_text(sel, 2, f->name) &&
                same_text(sel, 3, f->address) && same_text(sel, 4, f->phone) &&
                same_text(sel, 5, f->hours) && cur.lon == f->lon && cur.lat == f->lat &&
                same_text(sel, 8, f->division_code) && !deleted;
    const char *before = same ? NULL : store_facility_json(&s->json[0], fid, version, deleted, &cur);
    sqlite3_reset(sel);
    if (id)
        *id = fid;
    if (same) {
        *what = STORE_UNCHANGED;
        return GEOD_OK;
    }
    *what = STORE_UPDATED;
    if (!before)
        return GEOD_ENOMEM;
    char at[STORE_TIME_LEN];
    store_now(at);
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
    store_bind_text(upd, 11, at);
    if (store_step_done(upd) || sqlite3_changes(s->db) != 1)
        return GEOD_ESTORE;
    rc = s->bulk ? store_bulk_index(s, fid, f->lon, f->lat) : GEOD_OK;
    return rc ? rc
              : store_audit(s, fid, version + 1, "update", actor, at, before,
                            store_facility_json(&s->json[1], fid, version + 1, false, f));
}

/* Soft-deletes facility id (live): version + 1, audit "delete" with before and after. */
static enum geod_err delete_one(struct store *s, uint32_t id, const char *actor)
{
    sqlite3_stmt *row = stmt(s, ROW), *del = stmt(s, DEL);
    if (!row || !del)
        return GEOD_ESTORE;
    sqlite3_bind_int64(row, 1, id);
    if (sqlite3_step(row) != SQLITE_ROW) {
        sqlite3_reset(row);
        return GEOD_ESTORE;
    }
    struct store_facility f = {.source = text(row, 11), .source_key = text(row, 12)};
    bool deleted;
    int64_t version;
    row_of(row, &f, &deleted, &version);
    const char *before = store_facility_json(&s->json[0], id, version, false, &f);
    const char *after = store_facility_json(&s->json[1], id, version + 1, true, &f);
    sqlite3_reset(row);
    if (!before || !after)
        return GEOD_ENOMEM;
    char at[STORE_TIME_LEN];
    store_now(at);
    sqlite3_bind_int64(del, 1, id);
    store_bind_text(del, 2, actor);
    store_bind_text(del, 3, at);
    if (store_step_done(del))
        return GEOD_ESTORE;
    return store_audit(s, id, version + 1, "delete", actor, at, before, after);
}

enum geod_err store_delete_missing(struct store *s, const char *source, const char *actor,
                                   size_t *deleted)
{
    *deleted = 0;
    if (s->import_source[0] && strcmp(s->import_source, source) == 0 && s->import_fresh)
        return GEOD_OK; /* every record of a new source came with this feed */
    sqlite3_stmt *miss = stmt(s, MISSING);
    if (!miss)
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
        rc = delete_one(s, ids[i], actor);
        *deleted += !rc;
    }
    free(ids);
    return rc;
}

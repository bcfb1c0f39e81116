/* store_write.c - single-record facility writes for the write API (see store_write.h). The
 * statements are prepared once per handle and kept (preparing one that fires SpatiaLite's
 * triggers compiles the triggers too); the audit row's JSON comes from store_json.c like an
 * import's, so every writer leaves the same shape of history. */
#include "data/store_write.h"
#include "data/store_impl.h"

#include <stdlib.h>
#include <string.h>

#define ROW_COLUMNS                                                                                \
    "category, name, address, phone, hours, lon, lat, division_code, source, source_key,"        \
    " version, deleted"

enum stmt_id { GET, UPDATE, SEQ_FACILITY, SEQ_RECORD, HISTORY, AT };

static const char *const stmt_sql[STORE_WRITE_STMTS] = {
    [GET] = "SELECT " ROW_COLUMNS " FROM facility WHERE id = ?1",
    [UPDATE] = "UPDATE facility SET category = ?2, name = ?3, address = ?4,"
               " phone = ?5, hours = ?6, lon = ?7, lat = ?8, division_code = ?9,"
               " geom = MakePoint(?7, ?8, 4326), deleted = ?10, version = ?11,"
               " updated_by = ?12, updated_at = ?13 WHERE id = ?1",
    [SEQ_FACILITY] = "SELECT coalesce(max(seq), 0) FROM facility_audit",
    [SEQ_RECORD] = "SELECT coalesce(max(seq), 0) FROM record_audit",
    [HISTORY] = "SELECT seq, version, action, actor, at, before, after"
                " FROM facility_audit WHERE facility_id = ?1 ORDER BY seq",
    [AT] = "SELECT after FROM facility_audit WHERE facility_id = ?1"
           " AND version = ?2 AND after IS NOT NULL ORDER BY seq DESC LIMIT 1",
};

/* Statement id of this handle, prepared on first use; NULL when SQLite refuses it. The caller
 * resets it (done()) before it returns. */
static sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
    if (!s->write_stmt[id] && sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                                 &s->write_stmt[id], NULL) != SQLITE_OK)
        return NULL;
    return s->write_stmt[id];
}

static void done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

void store_facility_row_free(struct store_facility_row *r)
{
    if (!r)
        return;
    free(r->mem);
    memset(r, 0, sizeof *r);
}

enum geod_err store_facility_get(struct store *s, uint32_t id, struct store_facility_row *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = stmt(s, GET);
    if (!st)
        return GEOD_ESTORE;
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW) {
        done(st);
        return r == SQLITE_DONE ? GEOD_ENOTFOUND : GEOD_ESTORE;
    }
    /* the text columns, copied into one block */
    static const int text_cols[] = {0, 1, 2, 3, 4, 7, 8, 9};
    enum { NTEXT = sizeof text_cols / sizeof text_cols[0] };
    size_t total = 0;
    for (int i = 0; i < NTEXT; i++)
        total += (size_t)sqlite3_column_bytes(st, text_cols[i]) + 1;
    out->mem = malloc(total ? total : 1);
    if (!out->mem) {
        done(st);
        return GEOD_ENOMEM;
    }
    const char *v[NTEXT];
    char *p = out->mem;
    for (int i = 0; i < NTEXT; i++) {
        const unsigned char *t = sqlite3_column_text(st, text_cols[i]);
        size_t n = (size_t)sqlite3_column_bytes(st, text_cols[i]);
        v[i] = NULL;
        if (t) {
            memcpy(p, t, n);
            p[n] = '\0';
            v[i] = p;
            p += n + 1;
        }
    }
    out->id = id;
    out->f = (struct store_facility){.category = v[0], .name = v[1], .address = v[2],
                                     .phone = v[3], .hours = v[4],
                                     .lon = sqlite3_column_double(st, 5),
                                     .lat = sqlite3_column_double(st, 6),
                                     .division_code = v[5], .source = v[6], .source_key = v[7]};
    out->version = sqlite3_column_int64(st, 10);
    out->deleted = sqlite3_column_int(st, 11) != 0;
    done(st);
    return GEOD_OK;
}

enum geod_err store_write_facility(struct store *s, uint32_t id, const struct store_facility *f,
                                   bool deleted, const char *action, const char *actor,
                                   int64_t *version)
{
    struct store_facility_row cur;
    enum geod_err rc = store_facility_get(s, id, &cur);
    if (rc)
        return rc;
    struct store_facility next = *f;
    next.source = cur.f.source;
    next.source_key = cur.f.source_key;
    int64_t v = cur.version + 1;
    const char *before = store_facility_json(&s->json[0], id, cur.version, cur.deleted, &cur.f);
    const char *after = store_facility_json(&s->json[1], id, v, deleted, &next);
    char at[STORE_TIME_LEN];
    store_now(at);
    sqlite3_stmt *st = NULL;
    rc = GEOD_ENOMEM;
    if (!before || !after)
        goto out;
    rc = GEOD_ESTORE;
    if (!(st = stmt(s, UPDATE)))
        goto out;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, next.category);
    store_bind_text(st, 3, next.name);
    store_bind_text(st, 4, next.address);
    store_bind_text(st, 5, next.phone);
    store_bind_text(st, 6, next.hours);
    sqlite3_bind_double(st, 7, next.lon);
    sqlite3_bind_double(st, 8, next.lat);
    store_bind_text(st, 9, next.division_code);
    sqlite3_bind_int(st, 10, deleted ? 1 : 0);
    sqlite3_bind_int64(st, 11, v);
    store_bind_text(st, 12, actor);
    store_bind_text(st, 13, at);
    if (store_step_done(st) || sqlite3_changes(s->db) != 1)
        goto out;
    if ((rc = store_audit(s, id, v, action, actor, at, before, after)))
        goto out;
    *version = v;
out:
    done(st);
    store_facility_row_free(&cur);
    return rc;
}

enum geod_err store_audit_seq(struct store *s, int64_t out[2])
{
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = stmt(s, i ? SEQ_RECORD : SEQ_FACILITY);
        int r = st ? sqlite3_step(st) : SQLITE_ERROR;
        if (r == SQLITE_ROW)
            out[i] = sqlite3_column_int64(st, 0);
        done(st);
        if (r != SQLITE_ROW)
            return GEOD_ESTORE;
    }
    return GEOD_OK;
}

enum geod_err store_read_begin(struct store *s)
{
    return store_exec(s, "BEGIN");
}

void store_read_end(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        store_exec(s, "COMMIT");
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

enum geod_err store_facility_history(struct store *s, uint32_t id,
                                     bool (*fn)(void *ud, const struct store_audit_row *row),
                                     void *ud, size_t *n)
{
    *n = 0;
    sqlite3_stmt *st = stmt(s, HISTORY);
    if (!st)
        return GEOD_ESTORE;
    sqlite3_bind_int64(st, 1, id);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_audit_row row = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                      col(st, 2), col(st, 3), col(st, 4), col(st, 5), col(st, 6)};
        ++*n;
        if (!fn(ud, &row)) {
            r = SQLITE_DONE;
            break;
        }
    }
    done(st);
    return r == SQLITE_DONE ? GEOD_OK : GEOD_ESTORE;
}

enum geod_err store_facility_at(struct store *s, uint32_t id, int64_t version, char **after)
{
    *after = NULL;
    sqlite3_stmt *st = stmt(s, AT);
    if (!st)
        return GEOD_ESTORE;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, version);
    int r = sqlite3_step(st);
    enum geod_err rc = r == SQLITE_DONE ? GEOD_ENOTFOUND : r == SQLITE_ROW ? GEOD_OK : GEOD_ESTORE;
    if (!rc && !(*after = strdup(col(st, 0))))
        rc = GEOD_ENOMEM;
    done(st);
    return rc;
}

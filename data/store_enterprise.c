/* store_enterprise.c - welfare enterprises in the store (see store_enterprise.h). Mirrors
 * store_upsert.c: a record keyed by (source, source_key) is inserted, updated when a field
 * differs, or left alone; the keys a feed holds go to a TEMP table (temp.import_seen_enterprise,
 * made and emptied by store_import_begin), which lives on this connection only. Every change has
 * its record_audit row, whose before/after is the row as JSON built by SQLite from the row
 * itself. Statements are prepared per call: imports are small and this keeps struct store as
 * store.c has it. */
#include "data/store_enterprise.h"
#include "data/store_impl.h"
#include "index/names.h"
#include "index/utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* positions as 17 significant digits, which read back as the same doubles */
#define ENTERPRISE_JSON                                                                            \
    "json_object('id', id, 'credit_code', credit_code, 'name', name, 'address', address,"          \
    " 'lon', json(printf('%!.17g', lon)), 'lat', json(printf('%!.17g', lat)),"                     \
    " 'district_code', district_code, 'industry', industry,"                                       \
    " 'disabled_employees', disabled_employees, 'certified_on', certified_on, 'source', source,"   \
    " 'source_key', source_key, 'version', version, 'deleted', deleted)"

/* ---- checks ---- */

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* YYYY-MM-DD, a date of the Gregorian calendar between 1949 and 2099. */
static bool date_ok(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) ||
        !digits(s + 8, 2))
        return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1949 || y > 2099 || m < 1 || m > 12)
        return false;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d >= 1 && d <= mdays[m - 1] + (m == 2 && leap);
}

/* Valid UTF-8 without control characters, of 1..max code points (0: any number). */
static bool text_ok(const char *s, size_t max)
{
    size_t len = strlen(s), n = 0;
    for (size_t i = 0; i < len; n++) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (!k || cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            return false;
        i += k;
    }
    return n >= 1 && (!max || n <= max);
}

enum geod_err store_enterprise_check(const struct store_enterprise *e, const char **field)
{
    const char *bad = NULL;
    if (!e->credit_code || !credit_code_valid(e->credit_code))
        bad = "credit_code";
    else if (!e->name || !text_ok(e->name, NAMES_MAX_NAME))
        bad = "name";
    else if (e->address && !text_ok(e->address, 0))
        bad = "address";
    else if (!(e->lon >= -180 && e->lon <= 180))
        bad = "lon";
    else if (!(e->lat >= -90 && e->lat <= 90))
        bad = "lat";
    else if (e->district_code && (strlen(e->district_code) != 12 || !digits(e->district_code, 12)))
        bad = "district_code";
    else if (e->industry && !text_ok(e->industry, 0))
        bad = "industry";
    else if (e->disabled_employees < -1)
        bad = "disabled_employees";
    else if (e->certified_on && !date_ok(e->certified_on))
        bad = "certified_on";
    else if (!e->source || !*e->source)
        bad = "source";
    else if (!e->source_key || !*e->source_key)
        bad = "source_key";
    if (field)
        *field = bad;
    return bad ? GEOD_EINVAL : GEOD_OK;
}

/* ---- writes ---- */

static sqlite3_stmt *prep(struct store *s, const char *sql)
{
    sqlite3_stmt *st;
    return sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK ? st : NULL;
}

/* Binds e's fields as ?first .. ?first+8: credit_code, name, address, lon, lat, district_code,
 * industry, disabled_employees, certified_on. */
static void bind_fields(sqlite3_stmt *st, int first, const struct store_enterprise *e)
{
    store_bind_text(st, first, e->credit_code);
    store_bind_text(st, first + 1, e->name);
    store_bind_text(st, first + 2, e->address);
    sqlite3_bind_double(st, first + 3, e->lon);
    sqlite3_bind_double(st, first + 4, e->lat);
    store_bind_text(st, first + 5, e->district_code);
    store_bind_text(st, first + 6, e->industry);
    if (e->disabled_employees < 0)
        sqlite3_bind_null(st, first + 7);
    else
        sqlite3_bind_int64(st, first + 7, e->disabled_employees);
    store_bind_text(st, first + 8, e->certified_on);
}

/* Runs st (already bound) to completion and finalizes it. */
static enum geod_err run(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? GEOD_OK : GEOD_ESTORE;
}

/* The audit row of enterprise id's current state (after), with before_json (may be NULL). */
static enum geod_err audit(struct store *s, int64_t id, const char *action, const char *actor,
                           const char *before_json)
{
    sqlite3_stmt *st =
        prep(s, "INSERT INTO record_audit (entity, entity_key, action, actor, at,"
                " before, after) SELECT 'enterprise', credit_code, ?2, ?3,"
                " updated_at, ?4, " ENTERPRISE_JSON " FROM enterprise WHERE id = ?1");
    if (!st)
        return GEOD_ESTORE;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, action);
    store_bind_text(st, 3, actor);
    store_bind_text(st, 4, before_json);
    enum geod_err rc = run(st);
    return !rc && sqlite3_changes(s->db) == 1 ? GEOD_OK : GEOD_ESTORE;
}

/* The row as the audit log keeps it, before a change (malloc'ed, or NULL). */
static char *row_json(struct store *s, int64_t id)
{
    sqlite3_stmt *st = prep(s, "SELECT " ENTERPRISE_JSON " FROM enterprise WHERE id = ?1");
    char *out = NULL;
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static enum geod_err insert(struct store *s, const struct store_enterprise *e, const char *actor)
{
    sqlite3_stmt *st = prep(
        s, "INSERT INTO enterprise (credit_code, name, address, lon, lat, district_code, industry,"
           " disabled_employees, certified_on, source, source_key, version, created_by,"
           " created_at, updated_by, updated_at, geom) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
           " ?9, ?10, ?11, 1, ?12, " NOW ", ?12, " NOW ", MakePoint(?4, ?5, 4326))");
    if (!st)
        return GEOD_ESTORE;
    bind_fields(st, 1, e);
    store_bind_text(st, 10, e->source);
    store_bind_text(st, 11, e->source_key);
    store_bind_text(st, 12, actor);
    if (run(st))
        return GEOD_ESTORE;
    return audit(s, sqlite3_last_insert_rowid(s->db), "create", actor, NULL);
}

static bool same_text(sqlite3_stmt *st, int col, const char *v)
{
    const char *cur = (const char *)sqlite3_column_text(st, col);
    return (!cur && !v) || (cur && v && strcmp(cur, v) == 0);
}

/* Is the selected row (SEL's columns) live and equal to e? */
static bool same_row(sqlite3_stmt *st, const struct store_enterprise *e)
{
    bool unknown = sqlite3_column_type(st, 8) == SQLITE_NULL;
    return same_text(st, 1, e->credit_code) && same_text(st, 2, e->name) &&
           same_text(st, 3, e->address) && sqlite3_column_double(st, 4) == e->lon &&
           sqlite3_column_double(st, 5) == e->lat && same_text(st, 6, e->district_code) &&
           same_text(st, 7, e->industry) &&
           (e->disabled_employees < 0
                ? unknown
                : !unknown && sqlite3_column_int64(st, 8) == e->disabled_employees) &&
           same_text(st, 9, e->certified_on) && sqlite3_column_int(st, 10) == 0;
}

static enum geod_err update(struct store *s, int64_t id, const struct store_enterprise *e,
                            const char *actor)
{
    char *before = row_json(s, id);
    sqlite3_stmt *st = before ? prep(s, "UPDATE enterprise SET credit_code = ?2, name = ?3,"
                                        " address = ?4, lon = ?5, lat = ?6, district_code = ?7,"
                                        " industry = ?8, disabled_employees = ?9,"
                                        " certified_on = ?10, geom = MakePoint(?5, ?6, 4326),"
                                        " deleted = 0, version = version + 1, updated_by = ?11,"
                                        " updated_at = " NOW " WHERE id = ?1")
                              : NULL;
    enum geod_err rc = GEOD_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        bind_fields(st, 2, e);
        store_bind_text(st, 11, actor);
        if (!run(st) && sqlite3_changes(s->db) == 1)
            rc = audit(s, id, "update", actor, before);
    }
    free(before);
    return rc;
}

enum geod_err store_upsert_enterprise(struct store *s, const struct store_enterprise *e,
                                      const char *actor, enum store_change *what)
{
    if (store_enterprise_check(e, NULL))
        return GEOD_EINVAL;
    sqlite3_stmt *seen = prep(s, "INSERT OR IGNORE INTO temp.import_seen_enterprise (key)"
                                 " VALUES (?1)");
    if (!seen)
        return GEOD_ESTORE;
    store_bind_text(seen, 1, e->source_key);
    if (run(seen))
        return GEOD_ESTORE;
    sqlite3_stmt *sel = prep(s, "SELECT id, credit_code, name, address, lon, lat, district_code,"
                                " industry, disabled_employees, certified_on, deleted"
                                " FROM enterprise WHERE source = ?1 AND source_key = ?2");
    if (!sel)
        return GEOD_ESTORE;
    store_bind_text(sel, 1, e->source);
    store_bind_text(sel, 2, e->source_key);
    int r = sqlite3_step(sel);
    int64_t id = r == SQLITE_ROW ? sqlite3_column_int64(sel, 0) : 0;
    bool same = r == SQLITE_ROW && same_row(sel, e);
    sqlite3_finalize(sel);
    if (r == SQLITE_DONE) {
        *what = STORE_INSERTED;
        return insert(s, e, actor);
    }
    if (r != SQLITE_ROW)
        return GEOD_ESTORE;
    *what = same ? STORE_UNCHANGED : STORE_UPDATED;
    return same ? GEOD_OK : update(s, id, e, actor);
}

enum geod_err store_delete_missing_enterprises(struct store *s, const char *source,
                                               const char *actor, size_t *deleted)
{
    *deleted = 0;
    sqlite3_stmt *miss = prep(s, "SELECT id FROM enterprise WHERE source = ?1 AND deleted = 0"
                                 " AND source_key NOT IN"
                                 " (SELECT key FROM temp.import_seen_enterprise) ORDER BY id");
    if (!miss)
        return GEOD_ESTORE;
    store_bind_text(miss, 1, source);
    /* collect first: the UPDATEs change what the SELECT walks */
    enum geod_err rc = GEOD_OK;
    size_t n = 0, cap = 0;
    int64_t *ids = NULL;
    int r;
    while ((r = sqlite3_step(miss)) == SQLITE_ROW) {
        if (n == cap) {
            size_t c = cap ? 2 * cap : 256;
            int64_t *a = realloc(ids, c * sizeof *a);
            if (!a) {
                rc = GEOD_ENOMEM;
                break;
            }
            ids = a;
            cap = c;
        }
        ids[n++] = sqlite3_column_int64(miss, 0);
    }
    sqlite3_finalize(miss);
    if (!rc && r != SQLITE_DONE)
        rc = GEOD_ESTORE;
    for (size_t i = 0; !rc && i < n; i++) {
        char *before = row_json(s, ids[i]);
        sqlite3_stmt *del = before ? prep(s, "UPDATE enterprise SET deleted = 1,"
                                             " version = version + 1, updated_by = ?2,"
                                             " updated_at = " NOW " WHERE id = ?1")
                                   : NULL;
        rc = GEOD_ESTORE;
        if (del) {
            sqlite3_bind_int64(del, 1, ids[i]);
            store_bind_text(del, 2, actor);
            if (!run(del))
                rc = audit(s, ids[i], "delete", actor, before);
        }
        free(before);
        *deleted += !rc;
    }
    free(ids);
    return rc;
}

/* ---- loading ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

enum geod_err store_load_enterprises(struct store *s, struct enterprises_builder *b,
                                     uint64_t *generation, int64_t *bad_id)
{
    /* one read transaction, so the rows and the counter agree */
    if (store_exec(s, "BEGIN"))
        return GEOD_ESTORE;
    enum geod_err rc = GEOD_ESTORE;
    sqlite3_stmt *st = prep(s, "SELECT id, version, credit_code, name, address, lon, lat,"
                               " district_code, industry, disabled_employees, certified_on,"
                               " source FROM enterprise WHERE deleted = 0");
    int r = SQLITE_ERROR;
    while (st && (r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        struct enterprise_in in = {
            .id = (uint32_t)id,
            .version = (uint32_t)sqlite3_column_int64(st, 1),
            .credit_code = col_text(st, 2),
            .name = col_text(st, 3),
            .address = col_text(st, 4),
            .lon = sqlite3_column_double(st, 5),
            .lat = sqlite3_column_double(st, 6),
            .district_code = col_text(st, 7),
            .industry = col_text(st, 8),
            .disabled_employees =
                sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 9),
            .certified_on = col_text(st, 10),
            .source = col_text(st, 11),
        };
        if ((rc = enterprises_builder_add(b, &in))) {
            if (rc == GEOD_EINVAL) {
                rc = GEOD_ECORRUPT;
                if (bad_id)
                    *bad_id = id;
            }
            break;
        }
    }
    sqlite3_finalize(st);
    int64_t gen = 0;
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        rc = GEOD_ESTORE;
    else if (r == SQLITE_DONE)
        rc = store_query_int(s, "SELECT coalesce(max(seq), 0) FROM record_audit", &gen);
    if (!rc)
        *generation = (uint64_t)gen;
    store_exec(s, rc ? "ROLLBACK" : "COMMIT");
    return rc;
}

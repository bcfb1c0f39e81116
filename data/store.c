/* store.c - the SpatiaLite store: opening (and recognising) the file, migrations, transactional
 * writes with their audit rows, and loading everything live into a snapshot.
 *
 * Format. A SQLite database in WAL mode with PRAGMA application_id = GEOD_APP_ID and
 * PRAGMA user_version = the number of migrations applied (data/schema.c). SpatiaLite metadata is
 * initialised when the file is created. Commits are durable (synchronous = FULL). */
#include "data/store.h"
#include "data/schema.h"
#include "data/store_impl.h"

#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h */
#include <spatialite.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GEOD_APP_ID 0x67656f64 /* "geod" */


static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *store_errmsg(const struct store *s)
{
    return s && s->db ? sqlite3_errmsg(s->db) : "no store";
}

enum geod_err store_exec(struct store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? GEOD_OK : GEOD_ESTORE;
}

/* Runs a statement that returns one integer into *out. */
enum geod_err store_query_int(struct store *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? GEOD_OK : GEOD_ESTORE;
}

enum geod_err store_data_version(struct store *s, int64_t *out)
{
    return store_query_int(s, "PRAGMA data_version", out);
}

enum geod_err store_content_stamp(struct store *s, int64_t *out)
{
    return store_query_int(s, "SELECT stamp FROM content_stamp WHERE id = 1", out);
}

int store_schema_version(struct store *s)
{
    int64_t v = -1;
    store_query_int(s, "PRAGMA user_version", &v);
    return (int)v;
}

enum geod_err store_begin(struct store *s)
{
    s->fault = STORE_FAULT_NONE;
    return store_exec(s, "BEGIN IMMEDIATE");
}

enum geod_err store_commit(struct store *s)
{
    enum geod_err rc = store_bulk_end(s); /* never commits without SpatiaLite's triggers */
    return rc ? rc : store_exec(s, "COMMIT");
}

/* The errno of writing one byte into an unnamed new file beside the store, 0 when that works:
 * SQLite's I/O errors do not always keep the errno (EROFS from a file system that went
 * read-only after an error arrives as SQLITE_IOERR_WRITE with no errno). */
static int probe_dir(sqlite3 *db)
{
    const char *path = sqlite3_db_filename(db, "main");
    char dir[PATH_MAX];
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    int e = write(fd, "", 1) == 1 && fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return e;
}

/* The fault of the last call on db, from its extended code and, for I/O errors, the errno of
 * the OS call that failed, else of a probe. */
static enum store_fault fault_of(sqlite3 *db)
{
    int code = sqlite3_extended_errcode(db), primary = code & 0xff;
    if (primary == SQLITE_OK || primary == SQLITE_ROW || primary == SQLITE_DONE)
        return STORE_FAULT_NONE;
    if (primary == SQLITE_FULL)
        return STORE_FAULT_FULL;
    if (primary == SQLITE_READONLY)
        return STORE_FAULT_READONLY;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return STORE_FAULT_BUSY;
    if (primary != SQLITE_IOERR && primary != SQLITE_CANTOPEN)
        return STORE_FAULT_OTHER;
    int e = sqlite3_system_errno(db);
    if (e != ENOSPC && e != EDQUOT && e != EROFS)
        e = probe_dir(db);
    return e == ENOSPC || e == EDQUOT ? STORE_FAULT_FULL
           : e == EROFS               ? STORE_FAULT_READONLY
                                      : STORE_FAULT_IO;
}

enum store_fault store_fault(struct store *s)
{
    enum store_fault f = fault_of(s->db);
    return f ? f : s->fault;
}

const char *store_fault_text(enum store_fault f)
{
    switch (f) {
    case STORE_FAULT_NONE:
        return "no fault";
    case STORE_FAULT_FULL:
        return "the store's disk is full";
    case STORE_FAULT_READONLY:
        return "the store's file system is read-only";
    case STORE_FAULT_BUSY:
        return "the store is busy";
    case STORE_FAULT_IO:
        return "the store's disk reported an I/O error";
    default:
        return "the store refused the change";
    }
}

void store_rollback(struct store *s)
{
    enum store_fault f = fault_of(s->db);
    if (f)
        s->fault = f;
    if (!sqlite3_get_autocommit(s->db))
        store_exec(s, "ROLLBACK");
    store_bulk_forget(s); /* the rollback brought the triggers back */
}

enum geod_err store_savepoint(struct store *s)
{
    return store_exec(s, "SAVEPOINT w");
}

enum geod_err store_release(struct store *s)
{
    return store_exec(s, "RELEASE w");
}

enum geod_err store_rollback_to(struct store *s)
{
    enum store_fault f = fault_of(s->db);
    if (f)
        s->fault = f;
    if (sqlite3_get_autocommit(s->db))
        return GEOD_ESTORE;
    return store_exec(s, "ROLLBACK TO w") || store_exec(s, "RELEASE w") ? GEOD_ESTORE : GEOD_OK;
}

bool store_in_transaction(struct store *s)
{
    return !sqlite3_get_autocommit(s->db);
}

static enum geod_err run_migration(struct store *s, size_t i, char *err, size_t errlen)
{
    const struct migration *m = &schema_migrations[i];
    if (store_begin(s))
        goto fail;
    for (const char *const *sql = m->sql; *sql; sql++) {
        if (strncmp(*sql, "SELECT", 6) == 0) {
            int64_t ok = 0;
            if (store_query_int(s, *sql, &ok) || ok != 1)
                goto fail;
        } else if (store_exec(s, *sql)) {
            goto fail;
        }
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %zu", i + 1);
    if (store_exec(s, pragma) || store_commit(s))
        goto fail;
    return GEOD_OK;
fail:
    set_err(err, errlen, "migration %zu (%s) failed: %s", i + 1, m->name, sqlite3_errmsg(s->db));
    store_rollback(s);
    return GEOD_ESTORE;
}

/* Recognises the file: ours, new (no tables at all), or foreign. */
static enum geod_err check_identity(struct store *s, bool create, const char *path, char *err,
                                    size_t errlen)
{
    int64_t app = 0, tables = 0;
    if (store_query_int(s, "PRAGMA application_id", &app) ||
        store_query_int(s, "SELECT count(*) FROM sqlite_master", &tables)) {
        int code = sqlite3_errcode(s->db);
        set_err(err, errlen, "%s: cannot read the database: %s", path, sqlite3_errmsg(s->db));
        return code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? GEOD_ECORRUPT : GEOD_ESTORE;
    }
    if (app == GEOD_APP_ID)
        return GEOD_OK;
    if (app != 0 || tables != 0 || !create) {
        set_err(err, errlen, "%s: not a geod store (a SQLite database of something else)", path);
        return GEOD_ECORRUPT;
    }
    int64_t ok = 0;
    if (store_query_int(s, "SELECT InitSpatialMetadata(1)", &ok) || ok != 1) {
        set_err(err, errlen, "%s: SpatiaLite metadata: %s", path, sqlite3_errmsg(s->db));
        return GEOD_ESTORE;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA application_id = %d", GEOD_APP_ID);
    return store_exec(s, pragma);
}

/* Reads the first bytes through SQLite's own VFS, not stdio: closing any other descriptor of
 * the file would drop the POSIX locks every connection of this process holds on it (WAL mode
 * keeps a shared lock for the connection's life), and another process could then think itself
 * the last connection and checkpoint and delete the WAL under our feet. SQLite's unix VFS
 * defers such closes while locks are held. */
static enum geod_err check_header(const char *path, char *err, size_t errlen)
{
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    sqlite3_file *f = vfs ? calloc(1, (size_t)vfs->szOsFile) : NULL;
    int out = 0;
    if (!f || vfs->xOpen(vfs, path, f, SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READONLY, &out) !=
                  SQLITE_OK) {
        if (f && f->pMethods)
            f->pMethods->xClose(f);
        free(f);
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return GEOD_EIO;
    }
    char head[16];
    sqlite3_int64 size = 0;
    int rc = f->pMethods->xFileSize(f, &size);
    if (rc == SQLITE_OK && size > 0)
        rc = f->pMethods->xRead(f, head, (int)(size < 16 ? size : 16), 0);
    f->pMethods->xClose(f);
    free(f);
    if (rc == SQLITE_IOERR_SHORT_READ || (rc == SQLITE_OK && size > 0 &&
                                          (size < 16 || memcmp(head, "SQLite format 3", 16) != 0))) {
        set_err(err, errlen, "%s: not a geod store (not an SQLite database)", path);
        return GEOD_ECORRUPT;
    }
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "%s: cannot read it", path);
        return GEOD_EIO;
    }
    return GEOD_OK;
}

static enum geod_err prepare(struct store *s)
{
    static const char ins_facility[] =
        "INSERT INTO facility (category, name, address, phone, hours, lon, lat, division_code,"
        " source, source_key, version, created_by, created_at, updated_by, updated_at, geom)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, ?11, ?12,"
        " MakePoint(?6, ?7, 4326))";
    static const char ins_audit[] =
        "INSERT INTO facility_audit (facility_id, version, action, actor, at, before, after)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    static const char put_division[] =
        "INSERT OR REPLACE INTO division (code, name, level, kind, parent, center_lon, center_lat,"
        " approximate, boundary_source, source, updated_at, boundary)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
        " CastToMultiPolygon(GeomFromWKB(?11, 4326)))";
    if (sqlite3_prepare_v3(s->db, put_division, -1, SQLITE_PREPARE_PERSISTENT, &s->put_division,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(s->db, ins_facility, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_facility,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(s->db, ins_audit, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_audit, NULL) !=
            SQLITE_OK)
        return GEOD_ESTORE;
    return GEOD_OK;
}

enum geod_err store_open(const char *path, bool create, struct store **out, char *err,
                         size_t errlen)
{
    *out = NULL;
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (!exists && !create) {
        set_err(err, errlen, "%s: no such store", path);
        return GEOD_ENOTFOUND;
    }
    if (exists) {
        if (!S_ISREG(st.st_mode)) {
            set_err(err, errlen, "%s: not a regular file", path);
            return GEOD_EIO;
        }
        enum geod_err rc = check_header(path, err, errlen);
        if (rc)
            return rc;
    }
    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return GEOD_ENOMEM;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    enum geod_err rc = GEOD_ESTORE;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        goto fail;
    }
    s->spatialite = spatialite_alloc_connection();
    spatialite_init_ex(s->db, s->spatialite, 0);
    sqlite3_busy_timeout(s->db, 5000);
    /* recognise the file before changing anything in it: a foreign database stays untouched */
    rc = check_identity(s, create, path, err, errlen);
    if (rc)
        goto fail;
    int64_t mode;
    if (store_exec(s, "PRAGMA foreign_keys = ON") || store_query_int(s, "PRAGMA journal_mode = WAL", &mode) ||
        store_exec(s, "PRAGMA synchronous = FULL") || store_exec(s, "PRAGMA temp_store = MEMORY")) {
        set_err(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
        rc = GEOD_ESTORE;
        goto fail;
    }
    int version = store_schema_version(s);
    if (version < 0 || (size_t)version > schema_migration_count) {
        set_err(err, errlen, "%s: schema version %d is newer than this geod knows (%zu)", path,
                version, schema_migration_count);
        rc = GEOD_ECORRUPT;
        goto fail;
    }
    for (size_t i = (size_t)version; i < schema_migration_count; i++)
        if ((rc = run_migration(s, i, err, errlen)))
            goto fail;
    if ((rc = prepare(s))) {
        int code = sqlite3_errcode(s->db);
        set_err(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
        rc = code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? GEOD_ECORRUPT : GEOD_ESTORE;
        goto fail;
    }
    *out = s;
    return GEOD_OK;
fail:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->ins_facility);
    sqlite3_finalize(s->ins_audit);
    sqlite3_finalize(s->put_division);
    store_bulk_forget(s);
    free(s->json[0].p);
    free(s->json[1].p);
    for (size_t i = 0; i < sizeof s->upsert / sizeof s->upsert[0]; i++)
        sqlite3_finalize(s->upsert[i]);
    for (size_t i = 0; i < STORE_WRITE_STMTS; i++)
        sqlite3_finalize(s->write_stmt[i]);
    if (s->db)
        sqlite3_close(s->db);
    if (s->spatialite)
        spatialite_cleanup_ex(s->spatialite);
    free(s);
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

enum geod_err store_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? GEOD_OK : GEOD_ESTORE;
}

enum geod_err store_audit(struct store *s, int64_t id, int64_t version, const char *action,
                          const char *actor, const char *at, const char *before,
                          const char *after)
{
    if (!after)
        return GEOD_ENOMEM;
    sqlite3_stmt *st = s->ins_audit;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, version);
    store_bind_text(st, 3, action);
    store_bind_text(st, 4, actor);
    store_bind_text(st, 5, at);
    store_bind_text(st, 6, before);
    store_bind_text(st, 7, after);
    return store_step_done(st);
}

enum geod_err store_insert_facility(struct store *s, const struct store_facility *f,
                                    const char *actor, uint32_t *id_out)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    sqlite3_stmt *st = s->ins_facility;
    store_bind_text(st, 1, f->category);
    store_bind_text(st, 2, f->name);
    store_bind_text(st, 3, f->address);
    store_bind_text(st, 4, f->phone);
    store_bind_text(st, 5, f->hours);
    sqlite3_bind_double(st, 6, f->lon);
    sqlite3_bind_double(st, 7, f->lat);
    store_bind_text(st, 8, f->division_code);
    store_bind_text(st, 9, f->source);
    store_bind_text(st, 10, f->source_key);
    store_bind_text(st, 11, actor);
    store_bind_text(st, 12, at);
    if (store_step_done(st))
        return GEOD_ESTORE;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    enum geod_err rc = s->bulk ? store_bulk_index(s, id, f->lon, f->lat) : GEOD_OK;
    if (!rc)
        rc = store_audit(s, id, 1, "create", actor, at, NULL,
                         store_facility_json(&s->json[1], id, 1, false, f));
    if (rc)
        return rc;
    if (id_out)
        *id_out = (uint32_t)id;
    return GEOD_OK;
}

static void bind_double_or_null(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

enum geod_err store_put_division(struct store *s, const struct store_division *d)
{
    sqlite3_stmt *st = s->put_division;
    store_bind_text(st, 1, d->code);
    store_bind_text(st, 2, d->name);
    store_bind_text(st, 3, d->level);
    store_bind_text(st, 4, d->kind);
    store_bind_text(st, 5, d->parent);
    bind_double_or_null(st, 6, d->center_lon);
    bind_double_or_null(st, 7, d->center_lat);
    sqlite3_bind_int(st, 8, d->approximate ? 1 : 0);
    store_bind_text(st, 9, d->boundary_source);
    store_bind_text(st, 10, d->source);
    if (d->wkb)
        sqlite3_bind_blob(st, 11, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 11);
    return store_step_done(st);
}

enum geod_err store_category_id(struct store *s, const char *text, char *out, size_t outlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM category WHERE id = ?1 OR name_zh = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    store_bind_text(st, 1, text);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return r == SQLITE_ROW ? GEOD_OK : r == SQLITE_DONE ? GEOD_ENOTFOUND : GEOD_ESTORE;
}

enum geod_err store_facility_count(struct store *s, int64_t *out)
{
    return store_query_int(s, "SELECT count(*) FROM facility", out);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static double col_double_or_nan(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

enum geod_err store_load_divisions(struct store *s, struct divisions_builder *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT code, name, level, kind, parent, center_lon, center_lat,"
                           " approximate, AsBinary(boundary) FROM division",
                           -1, &st, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    enum geod_err rc = GEOD_OK;
    int r;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *level = col_text(st, 2);
        struct division_in d = {
            .code = col_text(st, 0),
            .name = col_text(st, 1),
            .kind = col_text(st, 3),
            .parent = col_text(st, 4),
            .center_lon = col_double_or_nan(st, 5),
            .center_lat = col_double_or_nan(st, 6),
            .approximate = sqlite3_column_int(st, 7) != 0,
            .wkb = sqlite3_column_blob(st, 8),
            .wkb_len = (size_t)sqlite3_column_bytes(st, 8),
        };
        if (!level || div_level_parse(level, strlen(level), &d.level))
            rc = GEOD_ECORRUPT;
        else
            rc = divisions_builder_add(db, &d);
    }
    if (!rc && r != SQLITE_DONE)
        rc = GEOD_ESTORE;
    sqlite3_finalize(st);
    return rc;
}

enum geod_err store_load(struct store *s, struct snapshot_builder *b, uint64_t *generation)
{
    sqlite3_stmt *st = NULL;
    enum geod_err rc = GEOD_ESTORE;
    /* one read transaction, so categories, facilities and the counter agree */
    if (store_exec(s, "BEGIN"))
        return GEOD_ESTORE;
    if (sqlite3_prepare_v2(s->db, "SELECT id, name_zh FROM category ORDER BY idx", -1, &st, NULL) !=
        SQLITE_OK)
        goto done;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = snapshot_builder_category(b, col_text(st, 0), col_text(st, 1))))
            goto done;
    if (r != SQLITE_DONE) {
        rc = GEOD_ESTORE;
        goto done;
    }
    sqlite3_finalize(st);
    rc = GEOD_ESTORE;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, version, category, lon, lat, name, address, phone, hours,"
                           " division_code, source FROM facility WHERE deleted = 0",
                           -1, &st, NULL) != SQLITE_OK)
        goto done;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct facility_in f = {
            .id = (uint32_t)sqlite3_column_int64(st, 0),
            .version = (uint32_t)sqlite3_column_int64(st, 1),
            .category = col_text(st, 2),
            .lon = sqlite3_column_double(st, 3),
            .lat = sqlite3_column_double(st, 4),
            .name = col_text(st, 5),
            .address = col_text(st, 6),
            .phone = col_text(st, 7),
            .hours = col_text(st, 8),
            .division_code = col_text(st, 9),
            .source = col_text(st, 10),
        };
        if ((rc = snapshot_builder_add(b, &f)))
            goto done;
    }
    if (r != SQLITE_DONE) {
        rc = GEOD_ESTORE;
        goto done;
    }
    int64_t gen = 0;
    if ((rc = store_query_int(s, "SELECT coalesce(max(seq), 0) FROM facility_audit", &gen)))
        goto done;
    *generation = (uint64_t)gen;
    rc = GEOD_OK;
done:
    sqlite3_finalize(st);
    store_exec(s, rc ? "ROLLBACK" : "COMMIT");
    return rc;
}

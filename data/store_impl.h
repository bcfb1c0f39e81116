/* store_impl.h - the store's handle and helpers, shared by the files of data/ that speak SQL
 * (store.c: open, migrate, load, insert; store_upsert.c: imports). Internal to data/. */
#ifndef GEOD_STORE_IMPL_H
#define GEOD_STORE_IMPL_H

#include "data/store.h"

#include <sqlite3.h>
#include <stdbool.h>

#define STORE_BULK_TRIGGERS 9
#define STORE_WRITE_STMTS 6 /* store_write.c's cached statements */
#define STORE_TIME_LEN 64 /* "2026-11-29T05:50:12.345Z" and its NUL, with room */

/* A growing text buffer (store_json.c). */
struct store_jbuf {
    char *p;
    size_t len, cap;
};

struct store {
    sqlite3 *db;
    void *spatialite; /* SpatiaLite's per-connection cache */
    sqlite3_stmt *ins_facility;
    sqlite3_stmt *ins_audit;
    sqlite3_stmt *put_division;
    sqlite3_stmt *upsert[6]; /* store_upsert.c's, prepared on first use */
    sqlite3_stmt *write_stmt[STORE_WRITE_STMTS]; /* store_write.c's, prepared on first use */
    /* bulk mode (store_bulk.c) */
    bool bulk;
    char *bulk_sql[STORE_BULK_TRIGGERS]; /* the dropped triggers' CREATE statements */
    struct store_bulk_point {
        int64_t id;
        double lon, lat;
    } *bulk_pts; /* the points written, to index at the end */
    size_t bulk_n, bulk_cap;
    struct store_jbuf json[2]; /* an audit row's before and after */
    char import_source[256];   /* the import's source, "" before its first record */
    bool import_fresh;         /* the store held no record of it when the import began */
    enum store_fault fault;    /* latched by store_rollback, cleared by store_begin */
};

enum geod_err store_exec(struct store *s, const char *sql);
/* Runs a statement that returns one integer into *out. */
enum geod_err store_query_int(struct store *s, const char *sql, int64_t *out);
/* Binds text, or NULL as SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Steps a statement expected to finish, then resets it and clears its bindings. */
enum geod_err store_step_done(sqlite3_stmt *st);
/* Appends an audit row of facility id (its version after the change), with the JSON of
 * before (NULL for a creation) and after, at the time `at` (store_now). */
enum geod_err store_audit(struct store *s, int64_t id, int64_t version, const char *action,
                          const char *actor, const char *at, const char *before,
                          const char *after);

/* The time now as the store writes it: UTC, milliseconds ("2026-11-29T05:50:12.345Z"). */
void store_now(char out[STORE_TIME_LEN]);
/* A facility as the audit log's JSON, into b (valid until b is used again); NULL without
 * memory. Keys: id, category, name, address, phone, hours, lon, lat, division_code, source,
 * source_key, version, deleted. */
const char *store_facility_json(struct store_jbuf *b, int64_t id, int64_t version, bool deleted,
                                const struct store_facility *f);

/* Bulk mode, inside a transaction (store_bulk.c): SpatiaLite's per-row index and timestamp
 * triggers of facility.geom dropped, store_bulk_index writing a point's index row instead;
 * store_bulk_end restores the triggers (store_commit calls it), store_bulk_forget drops the
 * saved state after a rollback (which restored them). */
enum geod_err store_bulk_begin(struct store *s);
enum geod_err store_bulk_index(struct store *s, int64_t id, double lon, double lat);
enum geod_err store_bulk_end(struct store *s);
void store_bulk_forget(struct store *s);

/* Rebuilds the 2-D R*Tree `rtree` (a SpatiaLite index, "idx_facility_geom") from the rows of
 * `select` (rowid, x, y: points), packed (store_rtree.c), inside the caller's transaction. */
enum geod_err store_rtree_load(struct store *s, const char *rtree, const char *select);
/* A double rounded down and up to float as SQLite's R*Tree rounds a box's edges. */
float store_rtree_down(double d);
float store_rtree_up(double d);

#endif

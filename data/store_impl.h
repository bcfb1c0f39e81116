/* store_impl.h - the store's handle and helpers, shared by the files of data/ that speak SQL
 * (store.c: open, migrate, load, insert; store_upsert.c: imports). Internal to data/. */
#ifndef GEOD_STORE_IMPL_H
#define GEOD_STORE_IMPL_H

#include "data/store.h"

#include <sqlite3.h>

struct store {
    sqlite3 *db;
    void *spatialite; /* SpatiaLite's per-connection cache */
    sqlite3_stmt *ins_facility;
    sqlite3_stmt *ins_audit;
    sqlite3_stmt *put_division;
    sqlite3_stmt *upsert[4]; /* store_upsert.c's, prepared on first use */
};

/* A facility row as the JSON the audit log keeps (before and after); positions as 17
 * significant digits, which read back as the same doubles (json_object's own format keeps 15). */
#define STORE_FACILITY_JSON                                                                        \
    "json_object('id', id, 'category', category, 'name', name, 'address', address,"                \
    " 'phone', phone, 'hours', hours, 'lon', json(printf('%!.17g', lon)),"                         \
    " 'lat', json(printf('%!.17g', lat)), 'division_code', division_code, 'source', source,"       \
    " 'source_key', source_key, 'version', version, 'deleted', deleted)"

enum geod_err store_exec(struct store *s, const char *sql);
/* Runs a statement that returns one integer into *out. */
enum geod_err store_query_int(struct store *s, const char *sql, int64_t *out);
/* Binds text, or NULL as SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Steps a statement expected to finish, then resets it and clears its bindings. */
enum geod_err store_step_done(sqlite3_stmt *st);
/* Appends the audit row of facility id's current state (after), with before_json (may be NULL). */
enum geod_err store_audit(struct store *s, int64_t id, const char *action, const char *actor,
                          const char *before_json);

#endif

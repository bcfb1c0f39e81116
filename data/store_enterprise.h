/* store_enterprise.h - welfare enterprises (福利企业) in the store: checked writes keyed by
 * (source, source_key) with their audit rows (table record_audit, entity 'enterprise', keyed by
 * the credit code), the soft deletion of what a feed no longer holds, and loading the live rows
 * for a snapshot. Facilities' counterpart is store.h's store_upsert_facility; the import session
 * (store_import_begin) and enum store_change are shared with it. */
#ifndef GEOD_STORE_ENTERPRISE_H
#define GEOD_STORE_ENTERPRISE_H

#include "data/store.h"
#include "index/enterprises.h"

#include <stdint.h>

/* An enterprise as written. Strings may be NULL (unknown) except credit_code, name, source and
 * source_key; an empty string is refused (write NULL for unknown). */
struct store_enterprise {
    const char *credit_code; /* 18 characters, credit_code_valid */
    const char *name;        /* UTF-8, no control characters, 1..NAMES_MAX_NAME code points */
    const char *address;
    double lon, lat;           /* WGS-84 degrees */
    const char *district_code; /* 12 digits (420102000000) or NULL */
    const char *industry;
    int64_t disabled_employees; /* >= 0, or -1 unknown */
    const char *certified_on;   /* YYYY-MM-DD (a real date, 1949-2099) or NULL */
    const char *source;         /* "synthetic" for generated records */
    const char *source_key;     /* the record's key in its source, unique per source */
};

/* Whether e can be written: GEOD_OK, else GEOD_EINVAL with *field (may be NULL) set to the name
 * of the first field that is wrong ("credit_code", "name", "lon", ...). Importers call it to
 * report a rejected row; store_upsert_enterprise calls it too. */
enum geod_err store_enterprise_check(const struct store_enterprise *e, const char **field);

/* Inserts e (version 1, audit "create"), or updates the record with the same (source,
 * source_key) when any field differs or it was deleted (version + 1, updated_by/at = actor/now,
 * deleted = 0, audit "update" with before and after), or leaves it alone; *what says which.
 * Marks the key as seen for store_delete_missing_enterprises. Must run inside store_begin/commit
 * after store_import_begin. GEOD_EINVAL for a record store_enterprise_check refuses (nothing
 * written), GEOD_ESTORE when SQLite fails. */
enum geod_err store_upsert_enterprise(struct store *s, const struct store_enterprise *e,
                                      const char *actor, enum store_change *what);

/* Soft-deletes (deleted = 1, version + 1, audit "delete") the live enterprises of `source` whose
 * key no store_upsert_enterprise has seen since store_import_begin; *deleted says how many. Same
 * transaction as the upserts. */
enum geod_err store_delete_missing_enterprises(struct store *s, const char *source,
                                               const char *actor, size_t *deleted);

/* Adds every live enterprise to the builder, in one read transaction; *generation gets the
 * store's counter of audited changes to records that are not facilities (the last record_audit
 * sequence number), which only grows. GEOD_ECORRUPT (with the row's id in *bad_id when not NULL)
 * for a row the builder refuses: one written behind the store's back. */
enum geod_err store_load_enterprises(struct store *s, struct enterprises_builder *b,
                                     uint64_t *generation, int64_t *bad_id);

#endif

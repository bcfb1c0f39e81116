/* store_write.h - one facility at a time, as the write API changes it: read a record with its
 * version, write a new version of it (update, soft delete, revert) with its audit row, the audit
 * log's position, and a facility's history. Every write runs inside store_begin/commit. */
#ifndef GEOD_STORE_WRITE_H
#define GEOD_STORE_WRITE_H

#include "data/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A facility as the store holds it; the strings of f live in mem. */
struct store_facility_row {
    uint32_t id;
    struct store_facility f;
    int64_t version;
    bool deleted;
    char *mem; /* private */
};

void store_facility_row_free(struct store_facility_row *r); /* NULL-safe, idempotent */

/* Facility id, live or deleted, into *out (free it); GEOD_ENOTFOUND when there is none. */
enum geod_err store_facility_get(struct store *s, uint32_t id, struct store_facility_row *out);

/* Writes version + 1 of facility id: f's fields (its source and source_key are ignored: a record
 * keeps its own), `deleted`, and an audit row of `action` ("update", "delete" or "revert") by
 * actor with the record before and after. *version gets the new version. GEOD_ENOTFOUND when
 * there is no such facility. */
enum geod_err store_write_facility(struct store *s, uint32_t id, const struct store_facility *f,
                                   bool deleted, const char *action, const char *actor,
                                   int64_t *version);

/* The audit logs' positions: the last seq of facility_audit and of record_audit (0 when empty),
 * as store_content_version, but usable inside the caller's transaction. */
enum geod_err store_audit_seq(struct store *s, int64_t out[2]);

/* A read transaction, so that several reads see one state of the store. */
enum geod_err store_read_begin(struct store *s);
void store_read_end(struct store *s);

/* One row of a facility's audit log; strings valid during the callback only. */
struct store_audit_row {
    int64_t seq;
    int64_t version; /* the facility's version after the change */
    const char *action, *actor, *at;
    const char *before; /* JSON object, NULL for a creation */
    const char *after;  /* JSON object */
};

/* Calls fn for each audit row of facility id, oldest first, until it returns false; *n gets
 * the number of rows visited. */
enum geod_err store_facility_history(struct store *s, uint32_t id,
                                     bool (*fn)(void *ud, const struct store_audit_row *row),
                                     void *ud, size_t *n);

/* The record as it was at `version` (the "after" of the audit row that made it), malloc'ed JSON
 * into *after; GEOD_ENOTFOUND when no such version was ever written. */
enum geod_err store_facility_at(struct store *s, uint32_t id, int64_t version, char **after);

#endif

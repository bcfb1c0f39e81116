/* store.h - the system of record: one SpatiaLite file (WAL mode) holding categories, facilities
 * and their audit log. The only place that speaks SQL; callers see this narrow interface (open,
 * migrate, write with audit, load everything into a snapshot). Not thread-safe: one store
 * handle per thread. */
#ifndef GEOD_STORE_H
#define GEOD_STORE_H

#include "index/err.h"
#include "index/divisions.h"
#include "index/snapshot.h"

#include <stdbool.h>
#include <stdint.h>

struct store;

/* Opens an existing store, or creates one when `create` is set and no file is at path, and runs
 * every pending migration. GEOD_ENOTFOUND when the file is missing and !create; GEOD_ECORRUPT
 * for a file that is not SQLite or not a geod store. *err (may be NULL) receives a one-line
 * reason on failure. */
enum geod_err store_open(const char *path, bool create, struct store **out, char *err,
                         size_t errlen);
void store_close(struct store *s);

/* The last error reported by SQLite on this handle. */
const char *store_errmsg(const struct store *s);

/* A number that changes whenever another connection (another process: an import, say) has
 * committed to the store since this handle last asked (SQLite's PRAGMA data_version). */
enum geod_err store_data_version(struct store *s, int64_t *out);

/* The content stamp (data/schema.c, migration 5): a random number replaced by every committed
 * change of facilities, categories, divisions or enterprises. */
enum geod_err store_content_stamp(struct store *s, int64_t *out);

/* The schema version the store is at (the number of migrations applied). */
int store_schema_version(struct store *s);

enum geod_err store_begin(struct store *s);
enum geod_err store_commit(struct store *s);
void store_rollback(struct store *s);

/* A savepoint inside store_begin/commit (one level): store_release keeps what was done since,
 * store_rollback_to undoes it and the transaction goes on (the fault that led there, if any, is
 * latched for store_fault as store_rollback latches it). store_in_transaction: a transaction is
 * open (SQLite ends one by itself after some I/O errors). */
enum geod_err store_savepoint(struct store *s);
enum geod_err store_release(struct store *s);
enum geod_err store_rollback_to(struct store *s);
bool store_in_transaction(struct store *s);

/* Why a write to the store failed, as far as SQLite and the OS tell: what an answer to the
 * client and the operator's log say. */
enum store_fault {
    STORE_FAULT_NONE = 0, /* nothing failed */
    STORE_FAULT_FULL,     /* the disk or the quota is full (SQLITE_FULL, ENOSPC, EDQUOT) */
    STORE_FAULT_READONLY, /* the file or its file system is read-only (SQLITE_READONLY, EROFS) */
    STORE_FAULT_BUSY,     /* another connection held the lock past the busy timeout */
    STORE_FAULT_IO,       /* another I/O error */
    STORE_FAULT_OTHER,    /* anything else SQLite refused */
};

/* The fault of the last call on s that failed, else the one the last store_rollback since
 * store_begin rolled back from (a rollback that succeeds clears SQLite's own error state). */
enum store_fault store_fault(struct store *s);

/* A static English phrase for f ("the store's disk is full", ...). */
const char *store_fault_text(enum store_fault f);

/* What a write from a feed did to a record. */
enum store_change { STORE_INSERTED, STORE_UPDATED, STORE_UNCHANGED };

/* A facility as written. Strings may be NULL (unknown) except category, name and source. */
struct store_facility {
    const char *category;
    const char *name;
    const char *address;
    const char *phone;
    const char *hours;
    double lon, lat; /* WGS-84 degrees */
    const char *division_code;
    const char *source;     /* "synthetic" for generated records */
    const char *source_key; /* the record's key in its source, unique per source */
};

/* Inserts a new facility at version 1 with an audit row ("create" by actor). Must run inside
 * store_begin/commit. */
enum geod_err store_insert_facility(struct store *s, const struct store_facility *f,
                                    const char *actor, uint32_t *id_out);

/* A division as written: the boundary is WKB of a (multi)polygon in WGS-84 or NULL. */
struct store_division {
    const char *code; /* 12 digits */
    const char *name;
    const char *level; /* city, district, street, community */
    const char *kind;
    const char *parent;            /* 12 digits or NULL */
    double center_lon, center_lat; /* NAN when unknown */
    const unsigned char *wkb;
    size_t wkb_len;
    int approximate; /* the boundary is derived, not surveyed */
    const char *boundary_source;
    const char *source;
};

/* Inserts or replaces a division by code. Must run inside store_begin/commit. */
enum geod_err store_put_division(struct store *s, const struct store_division *d);

/* A division from a feed, keyed by code (data/store_division.c): a new one needs name, level and
 * kind (GEOD_EINVAL otherwise); for one the store holds, a NULL field, a NAN centre or a NULL
 * boundary keeps what is there. Inserted, updated (record_audit 'update' with the division
 * before and after, boundary included) or unchanged. Inside store_begin/commit. */
enum geod_err store_upsert_division(struct store *s, const struct store_division *d,
                                    const char *actor, enum store_change *what);

/* The name of the division with this code, into name (may be NULL); GEOD_ENOTFOUND. */
enum geod_err store_division_name(struct store *s, const char *code, char *name, size_t len);

/* Imports. A feed's records are keyed by (source, source_key). store_import_begin starts
 * tracking which keys the feed holds (inside the caller's transaction); store_upsert_facility
 * inserts a new record, updates a changed one (version + 1, audit "update" with before and after;
 * a deleted one comes back), and leaves an identical one alone; store_delete_missing then
 * soft-deletes the source's live records the feed no longer holds (audit "delete"). One import
 * has one source (GEOD_EINVAL for another). The import runs in bulk mode (data/store_bulk.c):
 * store_commit or store_rollback ends it. */

enum geod_err store_import_begin(struct store *s);
enum geod_err store_upsert_facility(struct store *s, const struct store_facility *f,
                                    const char *actor, enum store_change *what, uint32_t *id);
enum geod_err store_delete_missing(struct store *s, const char *source, const char *actor,
                                   size_t *deleted);

/* The category whose id or Chinese name is `text`, into out (NUL-terminated); GEOD_ENOTFOUND
 * when there is none. */
enum geod_err store_category_id(struct store *s, const char *text, char *out, size_t outlen);

/* Number of facilities (live or deleted). */
enum geod_err store_facility_count(struct store *s, int64_t *out);

/* Registers every category and every live facility with the builder; *generation gets the
 * store's change counter (the last audit sequence number). */
enum geod_err store_load(struct store *s, struct snapshot_builder *b, uint64_t *generation);

/* Adds every division, with its boundary as WKB, to the builder. */
enum geod_err store_load_divisions(struct store *s, struct divisions_builder *db);

#endif

/* facility_write.h - how a facility write reaches the store and then every query (internal to
 * api/), with group commit. An event loop gathers the writes it runs in one turn (the requests
 * that arrived together) into one transaction: the first takes the server's write lock and
 * begins it, each write runs inside a SAVEPOINT of its own (a write refused or failing alone is
 * rolled back alone), and when the loop has run every request of its turn, api_write_flush
 * commits them with one durable COMMIT (synchronous = FULL: one WAL sync), publishes them as
 * one change of the served snapshot (snapshot_derive_n: the served snapshot's base and its delta
 * with these changes; api/compact.c folds deltas later) when the served one is exactly the
 * store's state before the batch, else a rebuild from the store, releases the lock, and only
 * then answers each write, in order, as if they had run one after another. A store fault (disk
 * full, read-only, I/O) in any of them, or a failed commit, rolls back the batch and answers
 * every write of it 503. Queries never take the lock: they keep reading the snapshot they
 * started with. A batch never outlives the event loop's turn (api/server.c flushes after each),
 * so the snapshots its answers render are still alive. */
#ifndef GEOD_FACILITY_WRITE_H
#define GEOD_FACILITY_WRITE_H

#include "api/http.h"

#include <stdbool.h>
#include <stdint.h>

/* What to answer once a staged write is durable and published. */
struct api_write_answer {
    int status; /* 201 (with Location: /v1/facilities/{id}) or 200 */
    uint32_t id;
    int64_t version;
    enum crs_id out;
    const struct snapshot *before; /* a delete: the record as it was, in this snapshot */
    const struct facility *was;    /* its record there (NULL: answer the id and version) */
};

/* Renders and sends the answer of a committed write (h_facility_write.c). */
typedef void (*api_write_answer_fn)(struct api_req *r, const struct api_write_answer *a);

struct api_write {
    struct api_req *r;
    uint64_t t0_ns; /* when the write began (CLOCK_MONOTONIC), for /metrics */
    bool open;      /* inside its savepoint */
};

/* Joins (or begins) this loop's batch and opens the write's savepoint; false (answered 503) when
 * the store fails. A batch holding id (0: none) is flushed first, so that each record is written
 * at most once per batch, and so is any batch when `flush_first` (a check that must see every
 * earlier write published, like the duplicate guard's). */
bool api_write_begin(struct api_req *r, struct api_write *w, uint32_t id, bool flush_first);

/* Rolls the write back to its savepoint (nothing answered); the batch goes on, unless the store
 * failed (a fault of the disk), which fails the whole batch. No-op when not open. */
void api_write_abort(struct api_write *w);

/* Stages the write of facility a->id (its savepoint released): fn answers a once the batch is
 * committed and published, or api_fail_store answers 503 if the batch fails. Always true (kept
 * for the callers' shape: false would mean answered). */
bool api_write_commit(struct api_write *w, const struct api_write_answer *a,
                      api_write_answer_fn fn);

/* Commits, publishes and answers this loop's batch, if one is open (api/server.c calls it after
 * every turn of the event loop; the dispatcher before any request but a facility write). */
void api_write_flush(struct api_thread *th);

/* Frees the batch state of a thread (after a last flush). */
void api_write_thread_free(struct api_thread *th);

/* The snapshot served now (a batch's is published by api_write_flush); valid for the rest of
 * the request. */
const struct snapshot *api_write_current(struct api_req *r);

#endif

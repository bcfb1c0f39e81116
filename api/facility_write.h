/* facility_write.h - how a facility write reaches the store and then every query (internal to
 * api/): one writer at a time holds the server's write lock from BEGIN IMMEDIATE to the
 * publication of its snapshot; the commit is durable (synchronous = FULL) before anything is
 * published or answered; the new snapshot is derived from the served one plus this change
 * (snapshot_derive: the served snapshot's base and its delta with this change, O(delta), no
 * store read, no index of the base rebuilt; api/compact.c folds deltas later) when the served
 * one is exactly the store's state before the write, else rebuilt from the store. Queries never
 * take the lock: they keep reading the snapshot they started with. */
#ifndef GEOD_FACILITY_WRITE_H
#define GEOD_FACILITY_WRITE_H

#include "api/http.h"

#include <stdbool.h>
#include <stdint.h>

struct api_write {
    struct api_req *r;
    int64_t seq_before[2]; /* store_audit_seq at BEGIN */
    uint64_t t0_ns;        /* when BEGIN succeeded (CLOCK_MONOTONIC), for /metrics */
    bool open;
};

/* Takes the write lock and begins the transaction; false (answered 503) when the store fails. */
bool api_write_begin(struct api_req *r, struct api_write *w);

/* Rolls back and releases the lock (nothing answered). No-op when not open. */
void api_write_abort(struct api_write *w);

/* Commits, then publishes facility id as the store now holds it (gone from the snapshot when
 * deleted), then releases the lock. False (answered 503) when the commit failed. A publication
 * that fails after the commit is logged and left to the reloader, which sees the store ahead of
 * the served snapshot. */
bool api_write_commit(struct api_write *w, uint32_t id);

/* The snapshot served now (a writer's is published by api_write_commit); valid for the rest of
 * the request. */
const struct snapshot *api_write_current(struct api_req *r);

#endif

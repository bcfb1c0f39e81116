/* storm.h - concurrent creates cut by SIGKILL, checked afterwards (tests/test_api_facility_
 * concurrent.c, tests/test_store_checkpoint.c). Client t names its i-th create PREFIX-t-i (i
 * zero-padded to a width), counts what it sent and what got 201, and keeps each 201's id.
 * Nothing here uses tests/t.h (its counters are per file): a failure comes back as false with
 * the first problem in `why`. */
#ifndef GEOD_TEST_STORM_H
#define GEOD_TEST_STORM_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct storm_client {
    int sent, acked;
    const uint32_t *id; /* [acked] the id each 201 named */
};

/* The rule, on db (the store, plain SQLite): every create a client got 201 for is there once
 * with its id; of the rest at most the client's last request (in flight at the kill), whole.
 * n clients of at most max creates each; *acked and *present: the counts. */
bool storm_check_store(sqlite3 *db, const char *prefix, const struct storm_client *cl, int n,
                       int max, int *acked, int *present, char *why, size_t cap);

/* geod restarted on db_path serves every step-th acknowledged create by its id (200, with its
 * name), then stops cleanly. */
bool storm_check_served(const char *db_path, const char *prefix, int width,
                        const struct storm_client *cl, int n, int step, int start_ms,
                        int request_ms, char *why, size_t cap);

#endif

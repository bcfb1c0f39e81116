/* storecheck.h - looking at a store file the way the store tests (tests/test_store.c,
 * tests/test_builtin.c) do: from outside, on a SQLite connection of the test's own with
 * SpatiaLite loaded (one value per query, a column compared byte for byte), and from inside, the
 * store loaded into a snapshot. Nothing here uses tests/t.h (its counters are per file): a
 * failure comes back as false or NULL with what went wrong in `why`. */
#ifndef GEOD_TEST_STORECHECK_H
#define GEOD_TEST_STORECHECK_H

#include "data/store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_WHY 512 /* room for a problem's description */

/* A connection that shares nothing with data/store.c. */
struct sc_conn {
    sqlite3 *db;
    void *cache; /* SpatiaLite's */
};

/* Opens path with the sqlite3_open_v2 flags and loads SpatiaLite. */
bool sc_open(struct sc_conn *o, const char *path, int flags, char why[SC_WHY]);
/* Closes (a no-op for a connection that did not open); false if sqlite3_close failed. */
bool sc_close(struct sc_conn *o, char why[SC_WHY]);

sqlite3_stmt *sc_prep(sqlite3 *db, const char *sql, char why[SC_WHY]);
/* The first column of the first row as an integer into *v (INT64_MIN on failure). */
bool sc_int(sqlite3 *db, const char *sql, int64_t *v, char why[SC_WHY]);
/* The first column of the first row as text into out (empty for NULL); false without a row. */
bool sc_text(sqlite3 *db, const char *sql, char *out, size_t cap);
/* Is column i NULL when want is NULL, else text with exactly want's bytes? */
bool sc_col_is(sqlite3_stmt *st, int i, const char *want);

/* store_load into a new builder, finished as generation *gen into *out (which is set even when
 * store_load failed, as snapshot_builder_finish left it). False if any step failed. */
bool sc_load(struct store *s, uint64_t *gen, struct snapshot **out, char why[SC_WHY]);

#endif

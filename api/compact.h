/* compact.h - the compactor (internal to api/): a thread that folds the served snapshot's delta
 * into a new full snapshot once the delta holds more than a limit of changed facilities, so that
 * every write stays O(delta) and queries stay as fast as on a full snapshot. */
#ifndef GEOD_COMPACT_H
#define GEOD_COMPACT_H

#include "index/err.h"

#include <stddef.h>
#include <stdint.h>

#define API_DELTA_MIN 64   /* the default limit's bounds: changed facilities a delta holds */
#define API_DELTA_MAX 1024 /* before compaction */

struct api_server;
struct api_compactor;
struct snapshot;

/* The delta's limit for snapshot s: `given` when not 0, else sqrt(s's facilities) within
 * API_DELTA_MIN..API_DELTA_MAX. A write publishes in O(delta) and a compaction costs O(n) once
 * per limit writes, so their sum per write is least near sqrt(n) (measured: 1.3 ms to publish
 * with 500 changes, 3.4 s to compact a million; 0.01 s for the built-in 4,300). */
size_t api_delta_limit(size_t given, const struct snapshot *s);

/* Starts the thread for server srv with this limit (0: api_delta_limit's default). */
enum geod_err api_compactor_start(struct api_server *srv, size_t limit, struct api_compactor **out);

/* Wakes the thread if the served snapshot's delta is over the limit (cheap; any thread). */
void api_compactor_poke(struct api_compactor *c);

/* Compactions published so far. */
uint64_t api_compactor_count(const struct api_compactor *c);

/* Stops the thread (a compaction under way is finished first, or dropped) and frees it. */
void api_compactor_stop(struct api_compactor *c);

#endif

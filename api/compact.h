/* compact.h - the compactor (internal to api/): a thread that folds the served snapshot's delta
 * into a new full snapshot once the delta holds more than a limit of changed facilities, so that
 * every write stays O(delta) and queries stay as fast as on a full snapshot. */
#ifndef GEOD_COMPACT_H
#define GEOD_COMPACT_H

#include "index/err.h"

#include <stddef.h>
#include <stdint.h>

#define API_DELTA_MAX 1024 /* default limit: changed facilities a delta holds before compaction */

struct api_server;
struct api_compactor;

/* Starts the thread for server srv with this limit (>= 1). */
enum geod_err api_compactor_start(struct api_server *srv, size_t limit, struct api_compactor **out);

/* Wakes the thread if the served snapshot's delta is over the limit (cheap; any thread). */
void api_compactor_poke(struct api_compactor *c);

/* Compactions published so far. */
uint64_t api_compactor_count(const struct api_compactor *c);

/* Stops the thread (a compaction under way is finished first, or dropped) and frees it. */
void api_compactor_stop(struct api_compactor *c);

#endif

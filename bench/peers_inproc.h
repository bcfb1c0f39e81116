/* peers_inproc.h - bench_peers' in-process rows: geod's R-tree next to SQLite's R*Tree on
 * gen.c's points, nearest 10 (all categories and the 2 % one), answers checked against the
 * chord-pruned scan of knn.h. bench_index measures the same engines at length; this is the
 * short version that goes into bench/report.md at every size. */
#ifndef GEOD_BENCH_PEERS_INPROC_H
#define GEOD_BENCH_PEERS_INPROC_H

#include "bench/gen.h"
#include "bench/peers_report.h"

#include <stdbool.h>
#include <stddef.h>

/* Builds both, checks 100 answers of each, then times single queries for `seconds` per engine
 * per run; false when geod's tree cannot be built. */
bool inproc_run(const struct gen_point *pts, size_t n, const struct gen_query *q, size_t nq,
                double seconds, int runs, struct inproc *ip);

#endif

/* snapfile.h - the snapshot file on disk (the bytes: index/snapshot_file.h): mapped at start in
 * place of reading and indexing every facility, written after a full build from the store. A
 * file that is missing, of another build or store state, truncated or damaged is never used: the line saying what was loaded says why, and the index is built
 * from the store as before. */
#ifndef GEOD_SNAPFILE_H
#define GEOD_SNAPFILE_H

#include "data/store.h"
#include "index/snapshot_file.h"

/* The key of the store's state now for this binary; non-zero (logged at debug) when there is
 * none (a binary without a build id). Read before anything the snapshot is built from. */
int geod_snapfile_key(struct store *s, struct snapshot_file_key *key);

/* Maps path and reads it into b (a new builder) when it was made under key: 0, and b holds the
 * records and indexes (the mapping is the snapshot's). Otherwise non-zero, with why ("No such
 * file or directory", "truncated", ...) in why[0..whylen). */
int geod_snapfile_load(const char *path, const struct snapshot_file_key *key,
                       struct snapshot_builder *b, char *why, size_t whylen);

/* Writes s (a full snapshot) to path under key, on a thread of its own: into path.tmp, fsync,
 * rename over path, fsync of the directory, so that path is always either the old file, the
 * new one, or missing. One write at a time: a write asked for while one runs is skipped. */
void geod_snapfile_save(const char *path, const struct snapshot_file_key *key,
                        const struct snapshot *s);

/* Waits for the write in progress, if any (before exiting). */
void geod_snapfile_wait(void);

#endif

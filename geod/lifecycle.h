/* lifecycle.h - what `geod serve` (and later commands) do to get from a path to a snapshot:
 * create a missing store with the built-in data, load the pinyin tables, build a snapshot from an
 * open store. Each failure prints one line on stderr and returns non-zero. */
#ifndef GEOD_LIFECYCLE_H
#define GEOD_LIFECYCLE_H

#include "data/store.h"
#include "index/pinyin.h"
#include "index/snapshot.h"

/* The pinyin readings and local overrides, loaded once; every snapshot borrows them. */
struct geod_pinyin {
    struct pinyin_table *table;
    struct pinyin_overrides *overrides;
};

double geod_now(void); /* monotonic seconds */

/* Builds a new store beside path and renames it into place, so that a store that exists is
 * always complete, even if geod is killed while creating it. */
int geod_create_store(const char *path);

int geod_load_pinyin(struct geod_pinyin *p);

/* Raises the soft limit of open files to the hard limit: every client connection holds one. */
void geod_raise_nofile(void);
void geod_pinyin_free(struct geod_pinyin *p);

/* Everything the store holds, as a new snapshot (path only names it in messages). With
 * snap_path (may be NULL), the facilities and their indexes come from that snapshot file when it
 * was made from the store as it is now (geod/snapfile.h); when it was not, they are read from the
 * store and the file is written anew in the background. */
int geod_snapshot_from(struct store *s, const char *path, const char *snap_path,
                       const struct geod_pinyin *py, struct snapshot **out);

#endif

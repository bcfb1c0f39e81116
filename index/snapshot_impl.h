/* snapshot_impl.h - what snapshot.c (full snapshots) and snapshot_delta.c (derived ones) share;
 * internal to index/.
 *
 * A derived snapshot's delta lists every facility id changed since its base, ascending, each
 * with its record now (NULL when gone). Records are immutable and shared, reference-counted, by
 * the successive deltas that hold them; a delta only grows (an id once changed stays listed)
 * until a compaction starts a new base, which is what lets snapshot_rebase tell what changed
 * after a given snapshot. The base's records with a listed id are hidden from its indexes'
 * answers; the delta's own indexes (an R-tree and cluster indexes of its live and hidden
 * records) are rebuilt with every change, at O(delta log delta), from the records' prepared
 * cluster points: each record's grid position and GCJ-02/BD-09 conversions are computed once,
 * when the record (or, for a hidden base record, its id's delta entry) is made. */
#ifndef GEOD_SNAPSHOT_IMPL_H
#define GEOD_SNAPSHOT_IMPL_H

#include "index/snapshot.h"

#include <stdatomic.h>
#include <sys/types.h>

struct snapshot_rec {
    atomic_size_t refs;
    struct cluster_prepared cp; /* f's position prepared for cluster_build_prepared */
    struct facility f;          /* strings point into str */
    char str[];
};

#define DELTA_FILTER_BITS 8192 /* a one-hash Bloom filter of the listed ids */

struct snapshot_delta {
    uint64_t filter[DELTA_FILTER_BITS / 64]; /* bit h(id) set for every listed id: most ids a
                                              * query meets are not listed, and one load says so */
    size_t n;                                /* ids changed since the base */
    uint32_t *ids;                           /* [n] ascending */
    struct snapshot_rec **rec;               /* [n]: the record now; NULL when gone */
    struct cluster_prepared *was;            /* [n]: the base's record of ids[i], prepared;
                                              * id 0 when not yet (or the base holds none) */
    size_t nlive;                            /* non-NULL records */
    size_t nhidden;                          /* listed ids the base holds */
    struct rtree *tree;                      /* over the live records; NULL when none */
    struct cluster_index *add;               /* clusters of the live records; NULL when none */
    struct cluster_index *gone; /* clusters of the base's hidden records; NULL when none */
};

/* The filter bit of an id. */
static inline uint32_t snapshot_delta_hash(uint32_t id)
{
    return (uint32_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 51); /* 13 bits */
}

/* Might d list id? False means it does not. */
static inline bool snapshot_delta_may_list(const struct snapshot_delta *d, uint32_t id)
{
    uint32_t h = snapshot_delta_hash(id);
    return d->filter[h >> 6] >> (h & 63) & 1;
}

/* The index of id in d->ids, or -1. */
ssize_t snapshot_delta_find(const struct snapshot_delta *d, uint32_t id);

void snapshot_delta_free(struct snapshot_delta *d);
size_t snapshot_delta_bytes(const struct snapshot_delta *d);

/* The base record with this id (s full, or the base's fields of a derived s), or NULL. */
const struct facility *snapshot_base_get(const struct snapshot *s, uint32_t id);

/* Records and indexes made elsewhere (snapshot_file.c), for snapshot_builder_finish to take
 * over instead of building them: fac[0..n) by ascending id, valid categories and strings inside
 * arena, tree and clusters over them; category c's id and Chinese name at arena offsets
 * cat_id[c] and cat_name[c]. release (may be NULL) is called when the snapshot goes (or
 * when finish fails), after tree and clusters are freed; fac and arena are then not freed. */
struct snapshot_prebuilt {
    struct facility *fac;
    size_t n;
    char *arena;
    size_t arena_len;
    size_t ncat;
    size_t cat_id[RTREE_MAX_CATEGORIES], cat_name[RTREE_MAX_CATEGORIES];
    struct rtree *tree;
    struct cluster_index *clusters;
    void (*release)(void *ctx);
    void *release_ctx;
};
void snapshot_builder_prebuilt(struct snapshot_builder *b, const struct snapshot_prebuilt *p);

/* One more holder of p (snapshot.c's shared divisions, names and enterprises). */
void snapshot_parts_retain(struct snapshot_parts *p);

#endif

/* snapshot.h - an immutable view of every live facility: the records, the category table and
 * the spatial index over them, with the divisions and welfare enterprises of the same moment.
 * Queries read a snapshot without locks; a change makes a new one. Built with a
 * snapshot_builder, which copies what it is given.
 *
 * Full and derived snapshots. A full snapshot (the builder's) holds its records and indexes. A
 * change (snapshot_derive) makes a derived one: the full snapshot it started from (its base,
 * shared, reference-counted) plus a small delta of the records changed since (snapshot_delta.c),
 * in O(delta) with no index of the base rebuilt. Its answers are those of a full snapshot of the
 * same records, through snapshot_get, snapshot_foreach and the queries of snapshot_query.h;
 * `fac`, `tree`, `clusters` and `slot` are the base's and must not be read directly. When deltas
 * grow, snapshot_compact builds a new full snapshot and snapshot_rebase moves what changed
 * meanwhile onto it. */
#ifndef GEOD_SNAPSHOT_H
#define GEOD_SNAPSHOT_H

#include "index/cluster.h"
#include "index/divisions.h"
#include "index/enterprises.h"
#include "index/err.h"
#include "index/names.h"
#include "index/rtree.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_ID_MAX 64 /* longest category id, bytes */

struct facility {
    uint32_t id;
    uint32_t version;
    uint8_t cat;      /* index into snapshot.cats */
    double lon, lat;  /* WGS-84 degrees */
    char geohash[13]; /* of the WGS-84 position, 12 characters */
    /* NUL-terminated UTF-8 owned by the snapshot; NULL when unknown */
    const char *name; /* never NULL */
    const char *address;
    const char *phone;
    const char *hours;
    const char *division_code;
    const char *source; /* never NULL; "synthetic" marks generated records */
};

/* What a caller hands the builder: strings are copied, NULL means unknown. */
struct facility_in {
    uint32_t id;
    uint32_t version;
    const char *category; /* a category id registered before */
    double lon, lat;
    const char *name, *address, *phone, *hours, *division_code, *source;
};

struct snapshot_category {
    const char *id;      /* e.g. "hospital" */
    const char *name_zh; /* e.g. "医院" */
    size_t count;        /* live facilities */
};

struct snapshot {
    uint64_t generation;        /* increases with every published change */
    int64_t seq[2];             /* the store's audit positions (facility_audit, record_audit)
                                 * this snapshot holds everything up to; set by whoever loaded
                                 * it, {0, 0} when unknown. Writers and the reloader compare it
                                 * with the store's to know whether it is current. */
    size_t n;                   /* live facilities */
    const struct facility *fac; /* [nfac] by ascending id: the base's records (all of them in a
                                 * full snapshot) */
    size_t ncat;
    struct snapshot_category cats[RTREE_MAX_CATEGORIES];
    struct rtree *tree;                /* over fac, item ids = facility ids (the base's) */
    struct cluster_index *clusters;    /* map clusters over fac (GET /v1/bbox), ids = facility ids
                                        * (the base's) */
    struct divisions *div;             /* never NULL (possibly empty) */
    struct names *div_names;           /* name search over div (entry ids = indexes into div->d,
                                        * groups = levels); NULL without a pinyin table */
    const struct pinyin_table *pinyin; /* borrowed from the builder's caller */
    const struct pinyin_overrides *overrides; /* borrowed, may be NULL */
    struct enterprises *ent; /* the welfare enterprises; never NULL (possibly empty) */
    uint32_t *responsible;   /* [div->n]: the id of the division's community_center
                              * facility (the lowest id whose division_code is that
                              * division's code), 0 for none */
    /* private */
    struct snapshot_parts *parts; /* owns div, div_names and ent; shared by derived snapshots */
    atomic_size_t refs;           /* snapshot_ref adds one, snapshot_free drops one */
    struct snapshot *base;        /* NULL in a full snapshot; else the full one it derives from
                                   * (one reference held), whose fac, tree, clusters, slot and
                                   * max_id these are */
    struct snapshot_delta *delta; /* the changes since base; NULL in a full snapshot */
    size_t nfac;                  /* records in fac */
    uint32_t *cc_at, *cc_id;      /* full snapshots: the community_center ids of division d,
                                   * ascending, are cc_id[cc_at[d] .. cc_at[d + 1]) */
    uint32_t max_id;
    uint32_t *slot; /* [max_id + 1]: index into fac plus one, 0 for none; NULL
                     * when ids are sparse (then a binary search over fac) */
    char *arena;
    size_t arena_len;
    void (*release)(void *ctx); /* non-NULL: fac and arena lie in memory the snapshot does not
                                 * own (a snapshot file, snapshot_file.h), handed back by
                                 * release(release_ctx) when the snapshot goes */
    void *release_ctx;
};

struct snapshot_builder;

enum geod_err snapshot_builder_new(struct snapshot_builder **out);
void snapshot_builder_free(struct snapshot_builder *b);

/* Registers a category; categories get indices 0, 1, ... in registration order. GEOD_EINVAL for
 * a duplicate or an id longer than SNAPSHOT_ID_MAX, GEOD_ERANGE past RTREE_MAX_CATEGORIES. */
enum geod_err snapshot_builder_category(struct snapshot_builder *b, const char *id,
                                        const char *name_zh);

/* Adds a facility. GEOD_EINVAL for an unknown category, a non-finite or out-of-range position,
 * id 0, a duplicate id or a NULL name or source. */
enum geod_err snapshot_builder_add(struct snapshot_builder *b, const struct facility_in *f);

/* The pinyin readings (and local overrides, may be NULL) for name search; both borrowed and
 * must outlive every snapshot built with them. Without them divisions cannot be searched. */
void snapshot_builder_pinyin(struct snapshot_builder *b, const struct pinyin_table *pt,
                             const struct pinyin_overrides *ov);

/* Hands the division table to the snapshot being built (NULL for none). */
void snapshot_builder_divisions(struct snapshot_builder *b, struct divisions *div);

/* Hands the welfare enterprises gathered so far to the snapshot being built (NULL for none);
 * finish builds their table with the pinyin tables given to snapshot_builder_pinyin. */
void snapshot_builder_enterprises(struct snapshot_builder *b, struct enterprises_builder *eb);

/* Builds the snapshot and frees the builder, whatever the outcome. */
enum geod_err snapshot_builder_finish(struct snapshot_builder *b, uint64_t generation,
                                      struct snapshot **out);

/* Drops a reference (the builder's, or one of snapshot_ref); frees at the last. */
void snapshot_free(struct snapshot *s);

/* Another reference to s, for a reader outside the server's reclamation (the compactor). */
struct snapshot *snapshot_ref(const struct snapshot *s);

/* A new snapshot: cur's facilities with the facility `drop` removed (0 for none) and then `put`
 * added (or replacing the one with its id; NULL for none), derived from cur's base with cur's
 * delta plus this change: O(delta log delta + divisions), independent of the number of
 * facilities; categories, divisions, name index and enterprises shared. No store access. seq is
 * copied from cur; the caller sets the new one. GEOD_EINVAL as snapshot_builder_add for a bad
 * `put`. (snapshot_delta.c) */
enum geod_err snapshot_derive(const struct snapshot *cur, const struct facility_in *put,
                              uint32_t drop, uint64_t generation, struct snapshot **out);

/* One change of snapshot_derive_n: the facility `drop` removed (0 for none), then `put` added or
 * replacing the one with its id (NULL for none). */
struct snapshot_change {
    const struct facility_in *put;
    uint32_t drop;
};

/* snapshot_derive of the changes ch[0..n) applied in order, in one derivation: what a group of
 * writes committed together publishes, O(delta log delta + divisions) once for them all. */
enum geod_err snapshot_derive_n(const struct snapshot *cur, const struct snapshot_change *ch,
                                size_t n, uint64_t generation, struct snapshot **out);

/* How many facility ids changed since s's base (0 for a full snapshot): the delta's size. */
size_t snapshot_delta_len(const struct snapshot *s);

/* A full snapshot of s's live facilities, with s's generation and seq, sharing s's divisions,
 * names and enterprises: O(n log n), for a thread off the write path. (snapshot_delta.c) */
enum geod_err snapshot_compact(const struct snapshot *s, struct snapshot **out);

/* cur's facilities on top of full = snapshot_compact(from), where cur is from plus later
 * changes (the same base, its delta a superset of from's): full itself when nothing changed
 * since from, else a snapshot derived from full holding those changes; cur's generation and
 * seq. GEOD_ENOTFOUND when cur does not descend from from (a whole snapshot was published
 * meanwhile): then full is of no use. (snapshot_delta.c) */
enum geod_err snapshot_rebase(const struct snapshot *cur, const struct snapshot *from,
                              const struct snapshot *full, struct snapshot **out);

/* The facility with this id, or NULL. */
const struct facility *snapshot_get(const struct snapshot *s, uint32_t id);

/* Every live facility by ascending id to fn until it returns false. */
void snapshot_foreach(const struct snapshot *s, bool (*fn)(void *udata, const struct facility *f),
                      void *udata);

/* The index of the category with this id (len bytes), or -1. */
int snapshot_category(const struct snapshot *s, const char *id, size_t len);

/* Bytes held by the snapshot (records, strings, index). */
size_t snapshot_bytes(const struct snapshot *s);

#endif

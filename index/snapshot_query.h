/* snapshot_query.h - the facility queries of a snapshot, full or derived (snapshot.h): what the
 * handlers call instead of the indexes inside it. A derived snapshot's answers are those of a
 * full snapshot of the same facilities: its base's indexes with the records the delta hides
 * filtered out, merged in exact order with its delta's. Thread-safe with a scratch per thread. */
#ifndef GEOD_SNAPSHOT_QUERY_H
#define GEOD_SNAPSHOT_QUERY_H

#include "index/cluster.h"
#include "index/rtree.h"
#include "index/snapshot.h"

struct snapshot_hit {
    const struct facility *f; /* valid as long as the snapshot */
    double distance_m;        /* geodesic, within RTREE_DISTANCE_TOL of geo_inverse's */
};

struct snapshot_scratch; /* per-thread working memory for snapshot_nearest */

enum geod_err snapshot_scratch_new(struct snapshot_scratch **out);
void snapshot_scratch_free(struct snapshot_scratch *s);

/* rtree_nearest over s's live facilities (q's accept sees facility ids; snapshot_get(s, id)
 * gives the record; q's coords and cdata are ignored: the snapshot supplies its own): the up to
 * q->k nearest passing every filter, by geodesic distance then id, into out[0..*n_out) (room for
 * q->k). GEOD_ENOMEM. */
enum geod_err snapshot_nearest(const struct snapshot *s, const struct rtree_query *q,
                               struct snapshot_scratch *sc, struct snapshot_hit *out,
                               size_t *n_out);

/* cluster_query over s's live facilities. */
enum geod_err snapshot_clusters(const struct snapshot *s, const double box[4], int zoom,
                                uint64_t mask, struct cluster_scratch *cs, cluster_fn fn,
                                void *udata);

/* cluster_points over s's live facilities. */
enum geod_err snapshot_points(const struct snapshot *s, const double box[4], uint64_t mask,
                              cluster_point_fn fn, void *udata);

#endif

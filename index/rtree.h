/* rtree.h - a static R-tree over points on the WGS-84 ellipsoid: built in bulk (tiled top-down),
 * never modified, answering exact nearest-K and radius queries ordered by geodesic distance,
 * ties by id, with category filters. Thread-safe for concurrent queries (each with its own
 * scratch). It does no I/O. It keeps no copy of the exact coordinates: a query that needs one
 * asks the caller (struct rtree_query's coords), whose records hold them anyway. */
#ifndef GEOD_RTREE_H
#define GEOD_RTREE_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTREE_MAX_CATEGORIES 64 /* categories are small integers; filters are 64-bit masks */
#define RTREE_DISTANCE_TOL 1e-4 /* metres: how far a hit's distance_m may be from geo_inverse's */

struct rtree_item {
    double lon, lat; /* WGS-84 degrees */
    uint32_t id;     /* the caller's id, unique: orders equal distances, names it to coords */
    uint8_t cat;     /* category, < RTREE_MAX_CATEGORIES */
};

struct rtree_query {
    double lon, lat;   /* WGS-84 degrees, finite and in range */
    uint32_t k;        /* at most k results (>= 1) */
    double max_m;      /* only points within this geodesic distance; INFINITY for none */
    uint64_t cat_mask; /* bit c accepts category c */
    /* optional further filter, called for candidates that pass the others */
    bool (*accept)(void *udata, uint32_t id);
    void *udata;
    /* optional: only points strictly after (after_m, after_id) in the result order; after_m
     * must be the exact (geo_inverse) distance of the point the previous page ended on */
    bool has_after;
    double after_m;
    uint32_t after_id;
    /* required: item id's lon and lat, bit for bit as given to rtree_build (the caller's records
     * must outlive the tree); called only where an order needs the exact geodesic distance */
    void (*coords)(const void *cdata, uint32_t id, double *lon, double *lat);
    const void *cdata;
};

struct rtree_hit {
    uint32_t id;       /* the item's id */
    uint32_t pos;      /* its position in the tree, for rtree_point() */
    double distance_m; /* geodesic distance, within RTREE_DISTANCE_TOL of geo_inverse's */
};

struct rtree;
struct rtree_scratch; /* per-thread working memory for queries */

/* Builds a tree over items[0..n): it copies their ids and categories and stores their positions
 * approximately (ECEF, quantized); the exact lon/lat stay the caller's (rtree_query.coords). */
enum geod_err rtree_build(const struct rtree_item *items, size_t n, struct rtree **out);
void rtree_free(struct rtree *t);

size_t rtree_count(const struct rtree *t);
size_t rtree_bytes(const struct rtree *t); /* memory held by the tree (not the caller's records) */

/* Position pos's ECEF coordinates (metres, as stored: within 1e-4 m for a leaf 1000 km across,
 * far closer in a city). */
void rtree_point(const struct rtree *t, uint32_t pos, double xyz[3]);

enum geod_err rtree_scratch_new(struct rtree_scratch **out);
void rtree_scratch_free(struct rtree_scratch *s);

/* The up to q->k points nearest to (q->lon, q->lat) that pass every filter, in order of
 * geodesic distance then id, into out[0..*n_out). out holds at least q->k hits. */
enum geod_err rtree_nearest(const struct rtree *t, const struct rtree_query *q,
                            struct rtree_scratch *s, struct rtree_hit *out, size_t *n_out);

/* Invariant walker for tests: every box holds its children, every mask is their union. */
bool rtree_check(const struct rtree *t);

#endif

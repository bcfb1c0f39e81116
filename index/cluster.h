/* cluster.h - map clusters on a fixed grid, for GET /v1/bbox: the facilities of each category
 * gathered into square cells of 64 screen pixels of the Web Mercator map at every zoom
 * 0..CLUSTER_MAX_ZOOM, with counts, centroids and bounding boxes computed once when the index is
 * built; above CLUSTER_MAX_ZOOM, the points of a box one by one. Static, thread-safe for
 * concurrent queries (each with its own scratch); no I/O.
 *
 * The grid. x = (lon + 180) / 360 and y = (1 - asinh(tan lat) / pi) / 2 (latitudes beyond
 * +-CLUSTER_MERCATOR_LAT clamped) are held as 31-bit fixed point X = min(floor(x 2^31), 2^31 - 1),
 * and the cell of a position at zoom z is (X >> (29 - z), Y >> (29 - z)): 2^(z + 2) cells per
 * axis, cell (x, y) at zoom z being the 256-pixel tile (z + 2, x, y), y counted from the north.
 * A cell's cluster is a function of (zoom, cell, categories) only, never of the box asked for,
 * so clusters stay put as a map pans, and a cell that straddles the box's edge is the same
 * cluster whatever the box. Points and box corners go through the same function (cluster_cell),
 * so every point inside a box lies in a cell between the cells of its corners. */
#ifndef GEOD_CLUSTER_H
#define GEOD_CLUSTER_H

#include "index/err.h"
#include "index/rtree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLUSTER_MAX_ZOOM 16                    /* clusters at zooms 0..16; single points above */
#define CLUSTER_ZOOM_LIMIT 24                  /* the highest zoom cluster_cell accepts */
#define CLUSTER_CELL_PX 64                     /* a cell's side in screen pixels at its zoom */
#define CLUSTER_MERCATOR_LAT 85.05112877980659 /* Web Mercator's latitude limit */
#define CLUSTER_NSYS 3 /* boxes in the systems of index/crs.h: WGS-84, GCJ-02, BD-09 */

struct cluster_index;
struct cluster_scratch; /* per-thread working memory for cluster_query */

/* Builds the index over items[0..n) (positions WGS-84, finite and in range); GEOD_EINVAL
 * otherwise, GEOD_ENOMEM. Positions are converted to GCJ-02 and BD-09 for the boxes here. */
enum geod_err cluster_build(const struct rtree_item *items, size_t n, struct cluster_index **out);

/* An item as the builder takes it: its grid position and its position in every boxed system,
 * computed once by cluster_prepare (the conversions are most of a small build's cost) and
 * reusable for every later build over the same item. */
struct cluster_prepared {
    double lon, lat;             /* WGS-84 */
    uint32_t id;                 /* the item's id; 0 marks a point not prepared (callers' use) */
    uint8_t cat;                 /* category, < RTREE_MAX_CATEGORIES */
    uint32_t x, y;               /* grid position, fixed point (cluster_impl.h) */
    double pos[CLUSTER_NSYS][2]; /* lon, lat in WGS-84, GCJ-02, BD-09 */
};

/* it prepared (any position: cluster_build_prepared checks them). */
void cluster_prepare(const struct rtree_item *it, struct cluster_prepared *p);

/* cluster_build over prepared items: the same index as cluster_build over the items they were
 * prepared from; the same errors. */
enum geod_err cluster_build_prepared(const struct cluster_prepared *pts, size_t n,
                                     struct cluster_index **out);
void cluster_free(struct cluster_index *c);
size_t cluster_bytes(const struct cluster_index *c); /* memory held by the index */

/* The cell of (lon, lat) at zoom (0..CLUSTER_ZOOM_LIMIT). */
void cluster_cell(double lon, double lat, int zoom, uint32_t *x, uint32_t *y);

/* How many cells at zoom the WGS-84 box {w, s, e, n} (w <= e, s <= n) meets. */
uint64_t cluster_box_cells(const double box[4], int zoom);

struct cluster_part {
    uint32_t cat;   /* category */
    uint32_t count; /* members of that category, >= 1 */
};

/* One cell's members that pass a category mask. */
struct cluster {
    int zoom;
    uint32_t x, y;   /* the cell */
    uint32_t count;  /* members, >= 1 */
    uint32_t id;     /* count == 1: the member's id; else 0 */
    double lon, lat; /* WGS-84: the member's position, or the members' mean position (clamped
                      * into box[0]) */
    double box[CLUSTER_NSYS][4]; /* the members' bounding box {w, s, e, n} in WGS-84, GCJ-02 and
                                  * BD-09 (index/crs.h's conversions; where BD-09 is undefined,
                                  * the WGS-84 position stands in, as the API renders it) */
    int expansion_zoom;          /* the lowest zoom at which the members occupy more than one
                                  * cell; CLUSTER_MAX_ZOOM + 1 when they never do (one position) */
    uint32_t nparts;             /* categories present */
    struct cluster_part parts[RTREE_MAX_CATEGORIES]; /* by ascending category */
};

typedef bool (*cluster_fn)(void *udata, const struct cluster *c); /* false: stop */
typedef bool (*cluster_point_fn)(void *udata, uint32_t id, double lon, double lat);

enum geod_err cluster_scratch_new(struct cluster_scratch **out);
void cluster_scratch_free(struct cluster_scratch *s);

/* The clusters of every cell at zoom (0..CLUSTER_MAX_ZOOM) that meets the WGS-84 box
 * {w, s, e, n} (w <= e, s <= n, finite) and holds a member whose category is in mask, each
 * covering the whole cell (not clipped to the box), in row-major order (north to south, then
 * west to east), to fn until it returns false. GEOD_EINVAL for a bad box or zoom, GEOD_ENOMEM. */
enum geod_err cluster_query(const struct cluster_index *c, const double box[4], int zoom,
                            uint64_t mask, struct cluster_scratch *s, cluster_fn fn, void *udata);

/* Every point inside the closed WGS-84 box (w <= lon <= e, s <= lat <= n) whose category is in
 * mask, in no particular order, to fn until it returns false. GEOD_EINVAL for a bad box. */
enum geod_err cluster_points(const struct cluster_index *c, const double box[4], uint64_t mask,
                             cluster_point_fn fn, void *udata);

/* A change on top of an index (a snapshot's delta): the points of `add` join it and those of
 * `gone` leave it (the index holds them, with the same ids, positions and categories);
 * removed(udata, id) says whether a point of the index is one of gone's. add and gone may be
 * NULL. */
struct cluster_overlay {
    const struct cluster_index *add, *gone;
    bool (*removed)(void *udata, uint32_t id);
    void *udata;
};

/* cluster_query over the index as changed by ov: the same clusters, bit for bit (counts, sums
 * added in the builder's order, boxes, single members), as cluster_query over an index built
 * from the changed points. Cells the change does not touch come from the index as they are;
 * a touched cell is recomputed from its untouched quarters down to the finest zoom, where only
 * touched cells' members are read. Errors as cluster_query. (cluster_overlay.c) */
enum geod_err cluster_query_overlay(const struct cluster_index *c, const struct cluster_overlay *ov,
                                    const double box[4], int zoom, uint64_t mask,
                                    struct cluster_scratch *s, cluster_fn fn, void *udata);

#endif

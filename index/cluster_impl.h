/* cluster_impl.h - the cluster index's layout, shared by its builder (cluster_build.c) and its
 * queries (cluster.c); internal to index/.
 *
 * Per category: its points sorted by the Morton code of their fixed-point grid position (X, Y)
 * (cluster.h), then by id; and for every zoom 0..CLUSTER_MAX_ZOOM the non-empty cells, sorted
 * row-major by key = y << 32 | x. A cell's members are contiguous in the point array (the Morton
 * codes of one cell share their leading 2 (z + 2) bits), so a cell names them by first and
 * count. Invariants: count >= 1; box holds every member (per system), sum_* is the sum of the
 * members' WGS-84 coordinates, added in point order. */
#ifndef GEOD_CLUSTER_IMPL_H
#define GEOD_CLUSTER_IMPL_H

#include "index/cluster.h"

#define GRID_BITS 31 /* fixed-point bits of X and Y */
#define CELL_SHIFT(z) (GRID_BITS - 2 - (z)) /* X >> CELL_SHIFT(z) is the cell at zoom z */
#define NZOOM (CLUSTER_MAX_ZOOM + 1)

struct cpoint {
    double lon, lat; /* WGS-84 */
    uint32_t id;
    uint32_t x, y;   /* grid position, fixed point */
};

struct ccell {
    uint64_t key;                /* y << 32 | x at the level's zoom */
    uint32_t first;              /* index of the first member in the category's points */
    uint32_t count;              /* members */
    double sum_lon, sum_lat;     /* of the members, WGS-84 */
    double box[CLUSTER_NSYS][4]; /* w, s, e, n per system */
};

struct ccat {
    struct cpoint *pts;          /* [n] by (Morton code, id) */
    size_t n;
    struct ccell *cell[NZOOM];   /* [ncell[z]] by key */
    size_t ncell[NZOOM];
};

struct cluster_index {
    size_t n;
    struct ccat cat[RTREE_MAX_CATEGORIES];
};

/* The fixed-point grid position of a WGS-84 position. */
void cluster_grid(double lon, double lat, uint32_t *x, uint32_t *y);

#endif

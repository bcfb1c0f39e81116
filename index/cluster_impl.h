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

#define GRID_BITS 31                        /* fixed-point bits of X and Y */
#define CELL_SHIFT(z) (GRID_BITS - 2 - (z)) /* X >> CELL_SHIFT(z) is the cell at zoom z */
#define NZOOM (CLUSTER_MAX_ZOOM + 1)

struct cpoint {
    double lon, lat; /* WGS-84 */
    uint32_t id;
    uint32_t x, y; /* grid position, fixed point */
};

struct ccell {
    uint64_t key;                /* y << 32 | x at the level's zoom */
    uint32_t first;              /* index of the first member in the category's points */
    uint32_t count;              /* members */
    double sum_lon, sum_lat;     /* of the members, WGS-84 */
    double box[CLUSTER_NSYS][4]; /* w, s, e, n per system */
};

struct ccat {
    struct cpoint *pts; /* [n] by (Morton code, id) */
    size_t n;
    struct ccell *cell[NZOOM]; /* [ncell[z]] by key */
    size_t ncell[NZOOM];
};

struct cluster_index {
    size_t n;
    struct ccat cat[RTREE_MAX_CATEGORIES];
    bool mapped; /* the arrays lie in a snapshot file (cluster_file.c): cluster_free leaves them */
};

struct snapshot_file_writer;
struct snapshot_file_reader;
/* The index's sections into w; an index of n points out of r, its arrays in place, every id
 * and category checked with known(u, id, cat); GEOD_ECORRUPT when a section does not hold
 * (cluster_file.c). */
void cluster_file_put(const struct cluster_index *c, struct snapshot_file_writer *w);
enum geod_err cluster_file_take(struct snapshot_file_reader *r, size_t n,
                                bool (*known)(void *u, uint32_t id, uint8_t cat), void *u,
                                struct cluster_index **out);

/* The fixed-point grid position of a WGS-84 position. */
void cluster_grid(double lon, double lat, uint32_t *x, uint32_t *y);

/* The Morton code of a grid position (x in the even bits). */
uint64_t cluster_morton(uint32_t x, uint32_t y);

/* A point's position in every boxed system (WGS-84, GCJ-02, BD-09), as the builder takes it:
 * where a conversion is undefined the WGS-84 position stands in. */
void cluster_positions(double lon, double lat, double pos[CLUSTER_NSYS][2]);

/* One category's cell of one index, as a query sees it; the source says which index of an
 * overlay (cluster_overlay.c) it came from. */
enum { SRC_BASE, SRC_ADD, SRC_GONE };
struct entry {
    uint64_t key;
    uint32_t cat;
    uint32_t src; /* SRC_* */
    const struct ccell *cell;
    const struct cpoint *one; /* cell->count == 1: the member */
};

struct cluster_scratch {
    struct entry *e; /* one row's cells, all categories */
    size_t n, cap;
    struct entry *m; /* cluster_overlay.c: one row's merged cells */
    size_t mn, mcap;
    struct ccell *own;      /* cluster_overlay.c: cells recomputed for this row */
    struct cpoint *own_one; /* [owncap]: their single member */
    size_t own_n, own_cap;
};

/* Appends row y's cells of every category in mask between x0 and x1 to s->e, tagged src. */
enum geod_err cluster_gather_row(const struct cluster_index *ci, int zoom, uint64_t mask,
                                 uint32_t y, uint32_t x0, uint32_t x1, uint32_t src,
                                 struct cluster_scratch *s);

/* Entries by key, then category, then source. */
int cluster_entry_cmp(const void *a, const void *b);

/* The first of cells[0..n) with a key >= key. */
size_t cluster_lower_bound(const struct ccell *cells, size_t n, uint64_t key);

/* The cluster of e[0..n): one cell's entries, by ascending category. */
void cluster_make(const struct entry *e, size_t n, int zoom, struct cluster *c);

/* The cells {x0, y0, x1, y1} the box spans at zoom (y0 north). */
void cluster_box_span(const double b[4], int zoom, uint32_t r[4]);

/* Is the box finite with w <= e and s <= n? */
bool cluster_box_ok(const double b[4]);

#endif

/* rtree_impl.h - the R-tree's layout, shared by its builder (rtree_build.c) and its search
 * (rtree.c); internal to index/. The format is described at the top of rtree_build.c. */
#ifndef GEOD_RTREE_IMPL_H
#define GEOD_RTREE_IMPL_H

#include "index/rtree.h"

#define FANOUT 16 /* children per node */
#define LEAF 16   /* points per leaf */
_Static_assert(FANOUT % 4 == 0 && FANOUT <= 32, "FANOUT: 4 floats per step, masks of 32 bits");
_Static_assert(LEAF % 2 == 0 && LEAF <= 32, "LEAF: 2 doubles per step, masks of 32 bits");
#define MAX_LEVELS 9     /* 16^8 = 2^32 points */
#define CHORD_SLACK 1e-8 /* ECEF rounding: chord <= geodesic + CHORD_SLACK */
/* the largest normal curvature of the ellipsoid, 1 / (a (1 - e^2)), squared */
#define K2_MAX (1.0 / (6335439.327 * 6335439.327))
/* a curve of curvature <= k over a chord c < 100 km is at most c (1 + (k c)^2 / 20) long */
#define ARC_OVER_CHORD (K2_MAX / 20.0)
/* Rare categories (rtree_build.c): a tree of at least RARE_MIN_N points also keeps its categories
 * of at most n / RARE_DIV points each, together at most n / RARE_DIV points, in a tree of their
 * own, so that a filter on them reads leaves full of matches instead of a few per leaf. */
#define RARE_DIV 16
#define RARE_MIN_N 1024

struct nblk {              /* FANOUT sibling nodes */
    float lo[3][FANOUT];   /* box minimum per axis, ECEF metres from the origin, rounded down */
    float hi[3][FANOUT];   /* box maximum, rounded up */
    uint64_t mask[FANOUT]; /* union of category bits below; 0 in padding */
} __attribute__((aligned(64)));

struct pblk {       /* up to LEAF points of one leaf; a scan reads the first 4 lines */
    double base[3]; /* ECEF metres: the centre of the leaf's box */
    double step;    /* metres per quantum: a coordinate is base + q * step */
    double err;     /* the reconstructed point lies within err of the true one */
    uint8_t cat[LEAF];
    uint8_t count;                                   /* points in use; the rest is padding */
    int32_t q[3][LEAF] __attribute__((aligned(64))); /* quantized offsets from base (signed:
                                                      * converts in one step) */
    uint32_t id[LEAF];                               /* read only for candidates */
} __attribute__((aligned(64)));

struct level {
    uint32_t count;   /* nodes on this level */
    struct nblk *blk; /* [ceil(count / FANOUT)] */
};

struct rtree {
    size_t n;
    double origin[3]; /* ECEF metres; boxes are stored relative to it */
    double max_abs;   /* the largest |coordinate| of any box, relative to origin */
    double err;       /* the largest leaf err: every stored point is within it of the true one */
    struct pblk *pts; /* [ceil(n / LEAF)], tiled in (lon, lat); exact lon/lat are the caller's */
    int nlevels;      /* 0 when n == 0 */
    struct level level[MAX_LEVELS];
    uint64_t rare_mask; /* categories whose points are also all in `rare`; 0 without it */
    struct rtree *rare; /* NULL, or the tree of just the points of rare_mask (and their own) */
    uint32_t *rare_pos; /* [rare->n] the position in this tree of each position in `rare` */
    bool mapped; /* the arrays lie in a snapshot file (rtree_file.c): rtree_free leaves them */
};

struct snapshot_file_writer;
struct snapshot_file_reader;
/* The tree's sections into w; a tree of n points out of r, its arrays in place, every id and
 * category checked with known(u, id, cat); GEOD_ECORRUPT when a section does not hold
 * (rtree_file.c). */
void rtree_file_put(const struct rtree *t, struct snapshot_file_writer *w);
enum geod_err rtree_file_take(struct snapshot_file_reader *r, size_t n,
                              bool (*known)(void *u, uint32_t id, uint8_t cat), void *u,
                              struct rtree **out);

#define SLOT(arr, i) ((arr)[(i) / FANOUT])    /* the block holding node i */
#define IN(i) ((i) % FANOUT)                  /* node i's slot in it */
#define PBLK(t, pos) ((t)->pts[(pos) / LEAF]) /* the leaf holding point pos */
#define PIN(pos) ((pos) % LEAF)               /* pos's slot in it */

#endif

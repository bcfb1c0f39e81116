/* rtree.c - static packed R-tree over ECEF points; exact nearest-K by geodesic distance.
 *
 * Layout. Points are sorted by the Hilbert index of their (lon, lat) and stored in blocks of
 * FANOUT (struct pblk: one cache-aligned block per leaf, coordinates as arrays so a leaf is
 * scanned with vector instructions). Level 0 node i bounds point block i; level L node i bounds
 * level L-1 nodes [i*FANOUT, (i+1)*FANOUT); the top level has one node. The boxes of FANOUT
 * sibling nodes share a block (struct nblk), so one descent touches one contiguous block per
 * level. Boxes are ECEF metres as floats rounded outwards, so a box always contains its points
 * exactly; each node also keeps the union of its points' category bits. Padding slots have NaN
 * coordinates (every comparison with them fails) and an empty mask.
 *
 * Search. Depth-first branch and bound, nearest child first, on the squared distance from the
 * query to a box: it bounds the chord to any point inside, which bounds the geodesic distance
 * (to CHORD_SLACK; geodesic.h). A candidate carries an interval known to hold its exact
 * (geo_inverse) distance, from its chord first, narrowed to the fast formula and then to
 * geo_inverse only when a comparison needs it; equal exact distances order by id. Every
 * decision is therefore the exact one. The k best so far, kept sorted, give the pruning limit. */
#include "index/rtree.h"
#include "index/geodesic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FANOUT 16
#define MAX_LEVELS 9     /* 16^8 = 2^32 points */
#define CHORD_SLACK 1e-8 /* ECEF rounding: chord <= geodesic + CHORD_SLACK */
/* the largest normal curvature of the ellipsoid, 1 / (a (1 - e^2)), squared */
#define K2_MAX (1.0 / (6335439.327 * 6335439.327))
/* a curve of curvature <= k over a chord c < 100 km is at most c (1 + (k c)^2 / 20) long */
#define ARC_OVER_CHORD (K2_MAX / 20.0)

struct nblk {                /* FANOUT sibling nodes */
    float lo[3][FANOUT];     /* box minimum per axis, ECEF metres from the origin, rounded down */
    float hi[3][FANOUT];     /* box maximum, rounded up */
    uint64_t mask[FANOUT];   /* union of category bits below; 0 in padding */
} __attribute__((aligned(64)));

struct pblk {                /* up to FANOUT points of one leaf */
    double base[3];          /* ECEF metres: the leaf's minimum corner */
    double step;             /* metres per quantum: a coordinate is base + q * step */
    double err;              /* the reconstructed point lies within err of the true one */
    uint32_t q[3][FANOUT];   /* quantized offsets from base */
    uint32_t id[FANOUT];
    uint8_t cat[FANOUT];
    uint8_t count;           /* points in use; the rest is padding */
} __attribute__((aligned(64)));

struct level {
    uint32_t count;    /* nodes on this level */
    struct nblk *blk;  /* [ceil(count / FANOUT)] */
};

struct rtree {
    size_t n;
    double origin[3]; /* ECEF metres; boxes are stored relative to it */
    double max_abs;   /* the largest |coordinate| of any box, relative to origin */
    struct pblk *pts;  /* [ceil(n / FANOUT)] in Hilbert order of (lon, lat) */
    double *lon;       /* [n] degrees, by position */
    double *lat;       /* [n] */
    int nlevels;       /* 0 when n == 0 */
    struct level level[MAX_LEVELS];
};

enum { CHORD, FAST, EXACT }; /* how a candidate's interval was obtained */

struct cand {
    double lo, hi; /* the exact geodesic distance lies in [lo, hi]; lo == hi once EXACT */
    double c;      /* chord, metres */
    uint32_t pos;  /* position in the tree */
    uint32_t id;
    int state;
};

struct rtree_scratch {
    struct cand *cand; /* candidates of the current query */
    size_t cand_cap;
    double *heap;      /* [heap_cap] max-heap of the k smallest upper bounds */
    size_t heap_cap;
};

/* ---- build ---- */

static float f_down(double v)
{
    float f = (float)v;
    return (double)f > v ? nextafterf(f, -INFINITY) : f;
}

static float f_up(double v)
{
    float f = (float)v;
    return (double)f < v ? nextafterf(f, INFINITY) : f;
}

/* LSD radix sort of a[0..n) by the upper 32 bits (stable), skipping bytes equal in every key. */
static void radix_sort_hi(uint64_t *a, uint64_t *tmp, size_t n)
{
    uint64_t *src = a, *dst = tmp;
    for (int shift = 32; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((src[i] >> shift) & 0xff) + 1]++;
        bool trivial = false;
        for (int b = 1; b <= 256; b++)
            trivial = trivial || count[b] == n;
        if (trivial)
            continue;
        for (int b = 1; b <= 256; b++)
            count[b] += count[b - 1];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* The packing: a top-down tiling ("OMT"). A range of points that fills `children` subtrees of
 * `cap` points each is sorted by longitude into about sqrt(children) slabs of whole subtrees,
 * each slab by latitude, and each run of `cap` points becomes one subtree, recursively. Every
 * subtree is then a compact tile and a contiguous run of the order, which is what the implicit
 * layout (node i covers positions [i*cap, (i+1)*cap)) needs. */
struct packer {
    uint64_t *key; /* [n] (quantized coordinate << 32 | item) */
    uint64_t *tmp; /* [n] */
    const uint32_t *qx, *qy; /* [n items] quantized longitude, latitude */
};

static void sort_by(struct packer *p, size_t lo, size_t hi, const uint32_t *q)
{
    for (size_t i = lo; i < hi; i++)
        p->key[i] = (uint64_t)q[p->key[i] & 0xffffffffu] << 32 | (p->key[i] & 0xffffffffu);
    radix_sort_hi(p->key + lo, p->tmp, hi - lo);
}

static void pack(struct packer *p, size_t lo, size_t hi, size_t cap)
{
    size_t n = hi - lo, children = (n + cap - 1) / cap;
    if (children <= 1 && cap > FANOUT) {
        pack(p, lo, hi, cap / FANOUT);
        return;
    }
    size_t sx = (size_t)ceil(sqrt((double)children));
    size_t slab = (children + sx - 1) / sx * cap;
    sort_by(p, lo, hi, p->qx);
    for (size_t s = lo; s < hi; s += slab) {
        size_t e = s + slab < hi ? s + slab : hi;
        sort_by(p, s, e, p->qy);
        if (cap > FANOUT)
            for (size_t c = s; c < e; c += cap)
                pack(p, c, c + cap < e ? c + cap : e, cap / FANOUT);
    }
}

/* order[pos] = the item at position pos. */
static enum geod_err pack_order(const struct rtree_item *items, size_t n, uint32_t *order)
{
    struct packer p = {0};
    uint32_t *qx = malloc((n ? n : 1) * sizeof *qx), *qy = malloc((n ? n : 1) * sizeof *qy);
    p.key = malloc((n ? n : 1) * sizeof *p.key);
    p.tmp = malloc((n ? n : 1) * sizeof *p.tmp);
    if (!qx || !qy || !p.key || !p.tmp) {
        free(qx), free(qy), free(p.key), free(p.tmp);
        return GEOD_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        qx[i] = (uint32_t)((items[i].lon + 180.0) / 360.0 * 4294967295.0);
        qy[i] = (uint32_t)((items[i].lat + 90.0) / 180.0 * 4294967295.0);
        p.key[i] = i;
    }
    p.qx = qx;
    p.qy = qy;
    size_t cap = FANOUT; /* points under one child of the root */
    while (cap * FANOUT < n)
        cap *= FANOUT;
    if (n > FANOUT)
        pack(&p, 0, n, cap);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)(p.key[i] & 0xffffffffu);
    free(qx), free(qy), free(p.key), free(p.tmp);
    return GEOD_OK;
}

static size_t nblocks(size_t count)
{
    return (count + FANOUT - 1) / FANOUT;
}

/* Allocates a level of `count` nodes with every slot padding. */
static enum geod_err level_alloc(struct level *l, uint32_t count)
{
    size_t nb = nblocks(count);
    l->count = count;
    l->blk = aligned_alloc(64, nb * sizeof *l->blk);
    if (!l->blk)
        return GEOD_ENOMEM;
    for (size_t b = 0; b < nb; b++) {
        struct nblk *k = &l->blk[b];
        for (int a = 0; a < 3; a++)
            for (int j = 0; j < FANOUT; j++)
                k->lo[a][j] = k->hi[a][j] = NAN;
        memset(k->mask, 0, sizeof k->mask);
    }
    return GEOD_OK;
}

#define SLOT(arr, i) ((arr)[(i) / FANOUT])
#define IN(i) ((i) % FANOUT)

/* Builds the node levels from the points' exact ECEF coordinates (xyz, by position). */
static enum geod_err build_levels(struct rtree *t, const double (*xyz)[3])
{
    uint32_t count = (uint32_t)nblocks(t->n);
    struct level *l = &t->level[0];
    t->nlevels = 1;
    if (level_alloc(l, count))
        return GEOD_ENOMEM;
    for (uint32_t i = 0; i < count; i++) {
        const struct pblk *p = &t->pts[i];
        struct nblk *k = &SLOT(l->blk, i);
        int np = t->n - (size_t)i * FANOUT < FANOUT ? (int)(t->n - (size_t)i * FANOUT) : FANOUT;
        for (int a = 0; a < 3; a++) {
            float mn = INFINITY, mx = -INFINITY;
            for (int j = 0; j < np; j++) {
                double rel = xyz[(size_t)i * FANOUT + (size_t)j][a] - t->origin[a];
                float dn = f_down(rel), up = f_up(rel);
                mn = dn < mn ? dn : mn;
                mx = up > mx ? up : mx;
            }
            k->lo[a][IN(i)] = mn;
            k->hi[a][IN(i)] = mx;
            t->max_abs = fmax(t->max_abs, fmax(fabs(mn), fabs(mx)));
        }
        for (int j = 0; j < np; j++)
            k->mask[IN(i)] |= 1ull << p->cat[j];
    }
    while (count > 1) {
        const struct level *below = &t->level[t->nlevels - 1];
        count = (uint32_t)nblocks(count);
        l = &t->level[t->nlevels++];
        if (level_alloc(l, count))
            return GEOD_ENOMEM;
        for (uint32_t i = 0; i < count; i++) {
            const struct nblk *c = &below->blk[i]; /* node i's children */
            struct nblk *k = &SLOT(l->blk, i);
            for (int a = 0; a < 3; a++) {
                float mn = INFINITY, mx = -INFINITY;
                for (int j = 0; j < FANOUT; j++) {
                    if (!c->mask[j])
                        continue; /* padding */
                    mn = c->lo[a][j] < mn ? c->lo[a][j] : mn;
                    mx = c->hi[a][j] > mx ? c->hi[a][j] : mx;
                }
                k->lo[a][IN(i)] = mn;
                k->hi[a][IN(i)] = mx;
            }
            for (int j = 0; j < FANOUT; j++)
                k->mask[IN(i)] |= c->mask[j];
        }
    }
    return GEOD_OK;
}

static enum geod_err alloc_points(struct rtree *t, size_t n)
{
    size_t nb = nblocks(n), m = n ? n : 1;
    t->n = n;
    t->pts = aligned_alloc(64, (nb ? nb : 1) * sizeof *t->pts);
    t->lon = malloc(m * sizeof *t->lon);
    t->lat = malloc(m * sizeof *t->lat);
    if (!t->pts || !t->lon || !t->lat)
        return GEOD_ENOMEM;
    memset(t->pts, 0, (nb ? nb : 1) * sizeof *t->pts);
    return GEOD_OK;
}

/* Stores a leaf's points as 32-bit offsets from its minimum corner: ~2e-5 m apart for a leaf
 * 100 km across (the pruning and the candidate intervals allow for p->err). */
static void quantize_leaf(struct pblk *p, const double (*xyz)[3])
{
    double extent = 0;
    for (int a = 0; a < 3; a++) {
        double mn = INFINITY, mx = -INFINITY;
        for (int j = 0; j < p->count; j++) {
            mn = xyz[j][a] < mn ? xyz[j][a] : mn;
            mx = xyz[j][a] > mx ? xyz[j][a] : mx;
        }
        p->base[a] = mn;
        extent = fmax(extent, mx - mn);
    }
    p->step = extent > 0 ? extent / 4294967040.0 : 1.0; /* 2^32 - 256: rounding stays in range */
    double worst = 0;
    for (int j = 0; j < p->count; j++) {
        double d2 = 0;
        for (int a = 0; a < 3; a++) {
            p->q[a][j] = (uint32_t)llround((xyz[j][a] - p->base[a]) / p->step);
            double back = p->base[a] + (double)p->q[a][j] * p->step - xyz[j][a];
            d2 += back * back;
        }
        worst = fmax(worst, sqrt(d2));
    }
    p->err = worst * 1.5 + 1e-8; /* measured, with a margin for the reconstruction's rounding */
}

enum geod_err rtree_build(const struct rtree_item *items, size_t n, struct rtree **out)
{
    *out = NULL;
    if (n > UINT32_MAX)
        return GEOD_ERANGE;
    for (size_t i = 0; i < n; i++) {
        const struct rtree_item *it = &items[i];
        if (!(it->lon >= -180 && it->lon <= 180 && it->lat >= -90 && it->lat <= 90) ||
            it->cat >= RTREE_MAX_CATEGORIES)
            return GEOD_EINVAL;
    }
    struct rtree *t = calloc(1, sizeof *t);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    double(*xyz)[3] = malloc((n ? n : 1) * sizeof *xyz);
    if (!t || !order || !xyz || alloc_points(t, n) || pack_order(items, n, order))
        goto oom;
    for (size_t pos = 0; pos < n; pos++) {
        const struct rtree_item *it = &items[order[pos]];
        struct pblk *p = &SLOT(t->pts, pos);
        geo_ecef(it->lon, it->lat, xyz[pos]);
        p->id[IN(pos)] = it->id;
        p->cat[IN(pos)] = it->cat;
        p->count++;
        t->lon[pos] = it->lon;
        t->lat[pos] = it->lat;
    }
    free(order);
    order = NULL;
    for (size_t b = 0; b < nblocks(n); b++)
        quantize_leaf(&t->pts[b], xyz + b * FANOUT);
    /* the origin: the centre of the points' ECEF bounding box, so float boxes stay precise */
    for (int a = 0; a < 3; a++) {
        double mn = INFINITY, mx = -INFINITY;
        for (size_t pos = 0; pos < n; pos++) {
            mn = xyz[pos][a] < mn ? xyz[pos][a] : mn;
            mx = xyz[pos][a] > mx ? xyz[pos][a] : mx;
        }
        t->origin[a] = n ? (mn + mx) / 2 : 0;
    }
    if (n && build_levels(t, (const double(*)[3])xyz))
        goto oom;
    free(xyz);
    *out = t;
    return GEOD_OK;
oom:
    free(order);
    free(xyz);
    rtree_free(t);
    return GEOD_ENOMEM;
}

void rtree_free(struct rtree *t)
{
    if (!t)
        return;
    for (int i = 0; i < MAX_LEVELS; i++)
        free(t->level[i].blk);
    free(t->pts);
    free(t->lon);
    free(t->lat);
    free(t);
}

size_t rtree_count(const struct rtree *t)
{
    return t->n;
}

size_t rtree_bytes(const struct rtree *t)
{
    size_t b = sizeof *t + nblocks(t->n) * sizeof(struct pblk) + t->n * 2 * sizeof(double);
    for (int i = 0; i < t->nlevels; i++)
        b += nblocks(t->level[i].count) * sizeof(struct nblk);
    return b;
}

void rtree_point(const struct rtree *t, uint32_t pos, double *lon, double *lat, double xyz[3])
{
    if (lon)
        *lon = t->lon[pos];
    if (lat)
        *lat = t->lat[pos];
    if (xyz) {
        const struct pblk *p = &SLOT(t->pts, pos);
        for (int a = 0; a < 3; a++)
            xyz[a] = p->base[a] + (double)p->q[a][IN(pos)] * p->step;
    }
}

enum geod_err rtree_scratch_new(struct rtree_scratch **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

void rtree_scratch_free(struct rtree_scratch *s)
{
    if (!s)
        return;
    free(s->cand);
    free(s->heap);
    free(s);
}

/* ---- candidates ----
 *
 * Two phases. While the tree is walked, every point that may still belong to the answer is
 * appended to `cands` with an interval from its chord, and a max-heap keeps the k smallest upper
 * bounds among the points certain to pass the filters: its top bounds the k-th distance of the
 * answer, hence the chord of any point that can still matter (lim). Afterwards the candidates
 * that can still beat that bound are ordered exactly (cand_cmp) and the first k are the answer. */

struct search {
    const struct rtree *t;
    const struct rtree_query *q;
    struct rtree_scratch *s;
    struct geo_origin o;
    float qf[3];       /* the query relative to the tree's origin, as floats */
    float eps;         /* bound on the float rounding of a box distance, per axis */
    size_t ncand;      /* s->cand in use */
    size_t nheap;      /* s->heap in use */
    double lim;        /* no point with a larger chord can be in the answer */
    bool oom;
};

/* Narrows c's interval one step: chord -> fast formula -> geo_inverse. */
static void refine(const struct search *x, struct cand *c)
{
    if (c->state == CHORD && c->c <= GEO_FAST_MAX_M) {
        double xyz[3];
        rtree_point(x->t, c->pos, NULL, NULL, xyz);
        /* the point is within err of xyz, which moves the distance by at most as much */
        double d = geo_fast(&x->o, xyz, c->c);
        double e = geo_fast_err(d) + SLOT(x->t->pts, c->pos).err;
        c->lo = d - e;
        c->hi = d + e;
        c->state = FAST;
    } else if (c->state != EXACT) {
        c->lo = c->hi =
            geo_inverse(x->q->lon, x->q->lat, x->t->lon[c->pos], x->t->lat[c->pos], NULL);
        c->state = EXACT;
    }
}

/* The order of geo_inverse distance then id, narrowing intervals only as far as needed. Every
 * decision equals the exact one, so this is a total order. */
static int cand_cmp(const struct search *x, struct cand *a, struct cand *b)
{
    for (;;) {
        if (a->hi < b->lo)
            return -1;
        if (b->hi < a->lo)
            return 1;
        if (a->state == EXACT && b->state == EXACT)
            return a->lo != b->lo ? (a->lo < b->lo ? -1 : 1) : (a->id < b->id ? -1 : a->id > b->id);
        refine(x, a->state <= b->state ? a : b);
    }
}

static int cand_cmp_r(const void *a, const void *b, void *x)
{
    return cand_cmp(x, (struct cand *)a, (struct cand *)b);
}

/* Is c's exact distance <= m? */
static bool within(const struct search *x, struct cand *c, double m)
{
    for (;;) {
        if (c->hi <= m)
            return true;
        if (c->lo > m)
            return false;
        if (c->state == EXACT)
            return c->lo <= m;
        refine(x, c);
    }
}

/* Is c strictly after the query's (after_m, after_id)? */
static bool after_cursor(const struct search *x, struct cand *c)
{
    const struct rtree_query *q = x->q;
    for (;;) {
        if (c->lo > q->after_m)
            return true;
        if (c->hi < q->after_m)
            return false;
        if (c->state == EXACT)
            return c->lo > q->after_m || c->id > q->after_id;
        refine(x, c);
    }
}

/* Offers an upper bound of a point certain to pass the filters to the heap of the k smallest. */
static void heap_offer(struct search *x, double hi)
{
    double *h = x->s->heap;
    size_t k = x->q->k, i;
    if (x->nheap < k) {
        for (i = x->nheap++; i > 0 && h[(i - 1) / 2] < hi; i = (i - 1) / 2)
            h[i] = h[(i - 1) / 2];
        h[i] = hi;
    } else if (hi < h[0]) {
        for (i = 0;;) {
            size_t l = 2 * i + 1, m = l;
            if (l >= k)
                break;
            if (l + 1 < k && h[l + 1] > h[l])
                m = l + 1;
            if (h[m] <= hi)
                break;
            h[i] = h[m];
            i = m;
        }
        h[i] = hi;
    } else {
        return;
    }
    if (x->nheap == k && h[0] + CHORD_SLACK < x->lim)
        x->lim = h[0] + CHORD_SLACK;
}

/* c2: the squared chord to the point as reconstructed, which is within err of the true one. */
static void visit_point(struct search *x, uint32_t pos, double c2, double err)
{
    const struct rtree_query *q = x->q;
    uint32_t id = SLOT(x->t->pts, pos).id[IN(pos)];
    if (q->accept && !q->accept(q->udata, id))
        return;
    double c = sqrt(c2);
    struct cand cd = {.lo = c - err - CHORD_SLACK,
                      .hi = (c + err) * (1.0 + ARC_OVER_CHORD * (c + err) * (c + err)) + CHORD_SLACK,
                      .c = c,
                      .pos = pos,
                      .id = id,
                      .state = CHORD};
    if (c > GEO_FAST_MAX_M)
        refine(x, &cd);
    if (cd.lo > q->max_m || (q->has_after && cd.hi < q->after_m))
        return; /* certainly filtered out */
    struct rtree_scratch *s = x->s;
    if (x->ncand == s->cand_cap) {
        size_t cap = s->cand_cap ? 2 * s->cand_cap : 256;
        struct cand *a = realloc(s->cand, cap * sizeof *a);
        if (!a) {
            x->oom = true;
            return;
        }
        s->cand = a;
        s->cand_cap = cap;
    }
    s->cand[x->ncand++] = cd;
    if (cd.hi <= q->max_m && !(q->has_after && cd.lo <= q->after_m))
        heap_offer(x, cd.hi); /* certainly passes: it may tighten the limit */
}

/* Phase two: the candidates that can still beat the k-th bound, filtered and ordered exactly;
 * returns how many of them lead the array. */
static size_t finish(struct search *x)
{
    const struct rtree_query *q = x->q;
    struct cand *c = x->s->cand;
    double bound = x->nheap == q->k ? x->s->heap[0] : INFINITY;
    size_t m = 0;
    for (size_t i = 0; i < x->ncand; i++) {
        struct cand *d = &c[i];
        if (d->lo > bound || !within(x, d, q->max_m) || (q->has_after && !after_cursor(x, d)))
            continue;
        c[m++] = *d;
    }
    if (m <= 32) { /* insertion sort: m is about k, and most comparisons end at the first test */
        for (size_t i = 1; i < m; i++) {
            struct cand v = c[i];
            size_t j = i;
            for (; j > 0 && cand_cmp(x, &c[j - 1], &v) > 0; j--)
                c[j] = c[j - 1];
            c[j] = v;
        }
    } else {
        qsort_r(c, m, sizeof *c, cand_cmp_r, x);
    }
    return m < q->k ? m : q->k;
}

/* ---- traversal ---- */

static void visit_leaf(struct search *x, uint32_t leaf)
{
    typedef double v2d __attribute__((vector_size(16)));
    const struct pblk *p = &x->t->pts[leaf];
    double c2[FANOUT];
    v2d b[3], step = {p->step, p->step};
    for (int a = 0; a < 3; a++)
        b[a] = (v2d){p->base[a] - x->o.p[a], p->base[a] - x->o.p[a]};
    for (int j = 0; j < FANOUT; j += 2) { /* two lanes of doubles at a time */
        v2d sum = {0, 0};
        for (int a = 0; a < 3; a++) {
            v2d v = {(double)p->q[a][j], (double)p->q[a][j + 1]};
            v = b[a] + v * step;
            sum += v * v;
        }
        memcpy(&c2[j], &sum, sizeof sum);
    }
    /* a point is worth a look if its true chord (within err of this one) may be <= lim */
    uint64_t mask = x->q->cat_mask;
    for (int j = 0; j < p->count; j++) {
        double l = x->lim + p->err;
        if (c2[j] <= l * l && ((mask >> p->cat[j]) & 1))
            visit_point(x, leaf * FANOUT + (uint32_t)j, c2[j], p->err);
    }
}

/* Can node j of block k be skipped because everything in it comes before the cursor? */
static bool before_cursor(const struct search *x, const struct nblk *k, int j)
{
    double d2 = 0;
    for (int a = 0; a < 3; a++) {
        double lo = x->t->origin[a] + (double)k->lo[a][j];
        double hi = x->t->origin[a] + (double)k->hi[a][j];
        double u = x->o.p[a] - lo, v = hi - x->o.p[a];
        double m = u > v ? u : v;
        d2 += m * m;
    }
    double c = sqrt(d2) + 1.0; /* + 1 m: the box was rounded through floats */
    return c <= GEO_FAST_MAX_M && c * (1.0 + ARC_OVER_CHORD * c * c) + CHORD_SLACK < x->q->after_m;
}

typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

/* Lane-wise max by comparison and select; the compiler turns it into max instructions. NaN
 * lanes (padding) yield b, and padding is excluded by its empty mask anyway. */
static inline v4f vmax(v4f a, v4f b)
{
    v4i m = a > b;
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

static inline v4f vload(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Squared lower bounds on the chord from the query to the FANOUT boxes of block k, four at a
 * time in floats: each axis gap max(lo - q, q - hi) is reduced by eps, which covers the rounding
 * of the query and of the subtraction, and the sum is scaled down past its own rounding, so no
 * bound exceeds the true distance. */
static void block_d2(const struct search *x, const struct nblk *k, float *d2)
{
    const v4f zero = {0, 0, 0, 0}, shrink = {0.99999f, 0.99999f, 0.99999f, 0.99999f};
    v4f e = {x->eps, x->eps, x->eps, x->eps};
    for (int j = 0; j < FANOUT; j += 4) {
        v4f sum = zero;
        for (int a = 0; a < 3; a++) {
            v4f q = {x->qf[a], x->qf[a], x->qf[a], x->qf[a]};
            v4f g = vmax(vmax(vload(&k->lo[a][j]) - q, q - vload(&k->hi[a][j])) - e, zero);
            sum += g * g;
        }
        sum *= shrink;
        memcpy(&d2[j], &sum, sizeof sum);
    }
}

/* Visits the nodes of level `level` held in block b, nearest first, dropping the others as
 * soon as the limit passes them (after the first visit, usually all of them). */
static void search_block(struct search *x, int level, uint32_t b)
{
    const struct nblk *k = &x->t->level[level].blk[b];
    float d2[FANOUT];
    block_d2(x, k, d2);
    uint32_t todo = 0;
    double lim2 = x->lim * x->lim;
    for (int j = 0; j < FANOUT; j++)
        if ((k->mask[j] & x->q->cat_mask) && d2[j] <= lim2 &&
            !(x->q->has_after && before_cursor(x, k, j)))
            todo |= 1u << j;
    if (level == 0) /* several leaves are usually read: ask for them all at once */
        for (uint32_t m = todo; m; m &= m - 1) {
            const char *p = (const char *)&x->t->pts[b * FANOUT + (uint32_t)__builtin_ctz(m)];
            for (size_t off = 0; off < sizeof(struct pblk); off += 64)
                __builtin_prefetch(p + off);
        }
    while (todo) {
        int best = __builtin_ctz(todo);
        for (uint32_t m = todo & (todo - 1); m; m &= m - 1) {
            int j = __builtin_ctz(m);
            if (d2[j] < d2[best])
                best = j;
        }
        todo &= ~(1u << best);
        uint32_t node = b * FANOUT + (uint32_t)best;
        if (level == 0)
            visit_leaf(x, node);
        else
            search_block(x, level - 1, node);
        lim2 = x->lim * x->lim;
        for (uint32_t m = todo; m; m &= m - 1)
            if (d2[__builtin_ctz(m)] > lim2)
                todo &= ~(1u << __builtin_ctz(m));
    }
}

enum geod_err rtree_nearest(const struct rtree *t, const struct rtree_query *q,
                            struct rtree_scratch *s, struct rtree_hit *out, size_t *n_out)
{
    *n_out = 0;
    if (q->k == 0 || !(q->lon >= -180 && q->lon <= 180 && q->lat >= -90 && q->lat <= 90) ||
        isnan(q->max_m) || q->max_m < 0)
        return GEOD_EINVAL;
    if (t->n == 0)
        return GEOD_OK;
    if (s->heap_cap < q->k) {
        double *h = realloc(s->heap, q->k * sizeof *h);
        if (!h)
            return GEOD_ENOMEM;
        s->heap = h;
        s->heap_cap = q->k;
    }
    struct search x = {.t = t, .q = q, .s = s};
    geo_origin_init(&x.o, q->lon, q->lat);
    double qmax = 0;
    for (int a = 0; a < 3; a++) {
        double rel = x.o.p[a] - t->origin[a];
        x.qf[a] = (float)rel;
        qmax = fmax(qmax, fabs(rel));
    }
    /* float rounding of the query and of (box - query), with a factor of 2 to spare */
    x.eps = (float)((2.0 * qmax + t->max_abs) * 0x1p-22 + 1e-6);
    x.lim = isinf(q->max_m) ? INFINITY : q->max_m + CHORD_SLACK;
    search_block(&x, t->nlevels - 1, 0);
    if (x.oom)
        return GEOD_ENOMEM;
    size_t n = finish(&x);
    for (size_t i = 0; i < n; i++) { /* distances to RTREE_DISTANCE_TOL */
        struct cand *c = &s->cand[i];
        while (c->hi - c->lo > 2 * RTREE_DISTANCE_TOL)
            refine(&x, c);
        out[i] = (struct rtree_hit){c->id, c->pos, (c->lo + c->hi) / 2};
    }
    *n_out = n;
    return GEOD_OK;
}

bool rtree_check(const struct rtree *t)
{
    if (t->n == 0)
        return t->nlevels == 0;
    if (t->level[t->nlevels - 1].count != 1)
        return false;
    const struct level *l0 = &t->level[0];
    for (uint32_t i = 0; i < l0->count; i++) {
        const struct nblk *k = &SLOT(l0->blk, i);
        const struct pblk *p = &t->pts[i];
        uint64_t m = 0;
        for (int j = 0; j < FANOUT; j++) {
            size_t pos = (size_t)i * FANOUT + (size_t)j;
            if (pos >= t->n) {
                if (j < p->count)
                    return false;
                continue;
            }
            /* the true point is in the box; its reconstruction is within err of it */
            double xyz[3];
            rtree_point(t, (uint32_t)pos, NULL, NULL, xyz);
            for (int a = 0; a < 3; a++) {
                double rel = xyz[a] - t->origin[a];
                if (!(k->lo[a][IN(i)] - p->err <= rel && rel <= k->hi[a][IN(i)] + p->err))
                    return false;
            }
            m |= 1ull << p->cat[j];
        }
        if (m != k->mask[IN(i)])
            return false;
    }
    for (int lv = 1; lv < t->nlevels; lv++) {
        const struct level *l = &t->level[lv], *below = &t->level[lv - 1];
        for (uint32_t i = 0; i < l->count; i++) {
            const struct nblk *k = &SLOT(l->blk, i), *c = &below->blk[i];
            uint64_t m = 0;
            for (int j = 0; j < FANOUT; j++) {
                if (i * FANOUT + (uint32_t)j >= below->count) {
                    if (c->mask[j])
                        return false;
                    continue;
                }
                for (int a = 0; a < 3; a++)
                    if (!(k->lo[a][IN(i)] <= c->lo[a][j] && c->hi[a][j] <= k->hi[a][IN(i)]))
                        return false;
                m |= c->mask[j];
            }
            if (m != k->mask[IN(i)])
                return false;
        }
    }
    return true;
}

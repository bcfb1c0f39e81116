/* rtree_build.c - building the static R-tree: the tiled packing, quantized leaves, node levels,
 * and the invariant walker for tests.
 *
 * Layout. Points are ordered by a top-down tiling of (lon, lat) (pack()) and stored in leaves of
 * LEAF points (struct pblk: one cache-aligned block per leaf, coordinates as 32-bit offsets from
 * the leaf's centre, in arrays so that a leaf is scanned with vector instructions). Level 0 node
 * i bounds leaf i; level L node i bounds level L-1 nodes [i*FANOUT, (i+1)*FANOUT); the top level
 * has one node. The boxes of FANOUT sibling nodes share a block (struct nblk), so a descent
 * touches one contiguous block per level. Boxes are ECEF metres from the tree's origin as floats
 * rounded outwards, so a box always contains its points exactly; each node also keeps the union
 * of its points' category bits. Padding slots have NaN boxes (every comparison with them fails)
 * and an empty mask. Large arrays ask for huge pages. */
#include "index/geodesic.h"
#include "index/rtree_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
    uint64_t *key;           /* [n] (quantized coordinate << 32 | item) */
    uint64_t *tmp;           /* [n] */
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
    if (children <= 1 && cap > LEAF) {
        pack(p, lo, hi, cap / FANOUT);
        return;
    }
    size_t sx = (size_t)ceil(sqrt((double)children));
    size_t slab = (children + sx - 1) / sx * cap;
    sort_by(p, lo, hi, p->qx);
    for (size_t s = lo; s < hi; s += slab) {
        size_t e = s + slab < hi ? s + slab : hi;
        sort_by(p, s, e, p->qy);
        if (cap > LEAF)
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
    size_t cap = LEAF; /* points under one child of the root */
    while (cap * FANOUT < n)
        cap *= FANOUT;
    if (n > LEAF)
        pack(&p, 0, n, cap);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)(p.key[i] & 0xffffffffu);
    free(qx), free(qy), free(p.key), free(p.tmp);
    return GEOD_OK;
}

/* Cache-aligned memory; a large block is aligned to 2 MiB and offered to the kernel for
 * transparent huge pages, since a query touches a few lines scattered over all of it and 4 KiB
 * pages would cost a TLB miss each. */
static void *block_alloc(size_t size)
{
    const size_t huge = 2u << 20;
    if (size < huge)
        return aligned_alloc(64, (size + 63) & ~(size_t)63);
    void *p = NULL;
    size = (size + huge - 1) & ~(huge - 1);
    if (posix_memalign(&p, huge, size) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE); /* advice only: without it the pages are just smaller */
#endif
    return p;
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
    l->blk = block_alloc(nb * sizeof *l->blk);
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

/* Builds the node levels from the points' exact ECEF coordinates (xyz, by position). */
static enum geod_err build_levels(struct rtree *t, const double (*xyz)[3])
{
    uint32_t count = (uint32_t)((t->n + LEAF - 1) / LEAF);
    struct level *l = &t->level[0];
    t->nlevels = 1;
    if (level_alloc(l, count))
        return GEOD_ENOMEM;
    for (uint32_t i = 0; i < count; i++) {
        const struct pblk *p = &t->pts[i];
        struct nblk *k = &SLOT(l->blk, i);
        int np = p->count;
        for (int a = 0; a < 3; a++) {
            float mn = INFINITY, mx = -INFINITY;
            for (int j = 0; j < np; j++) {
                double rel = xyz[(size_t)i * LEAF + (size_t)j][a] - t->origin[a];
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
    size_t nb = (n + LEAF - 1) / LEAF, m = n ? n : 1;
    t->n = n;
    t->pts = block_alloc((nb ? nb : 1) * sizeof *t->pts);
    t->lon = malloc(m * sizeof *t->lon);
    t->lat = malloc(m * sizeof *t->lat);
    if (!t->pts || !t->lon || !t->lat)
        return GEOD_ENOMEM;
    memset(t->pts, 0, (nb ? nb : 1) * sizeof *t->pts);
    return GEOD_OK;
}

/* Stores a leaf's points as signed 32-bit offsets from its centre: ~2e-5 m apart for a leaf
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
        p->base[a] = p->count ? (mn + mx) / 2 : 0;
        extent = fmax(extent, mx - mn);
    }
    /* half the extent over 2^31 - 256, so that rounding stays in range */
    p->step = extent > 0 ? extent / 2 / 2147483392.0 : 1.0;
    double worst = 0;
    for (int j = 0; j < p->count; j++) {
        double d2 = 0;
        for (int a = 0; a < 3; a++) {
            p->q[a][j] = (int32_t)llround((xyz[j][a] - p->base[a]) / p->step);
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
        struct pblk *p = &PBLK(t, pos);
        geo_ecef(it->lon, it->lat, xyz[pos]);
        p->id[PIN(pos)] = it->id;
        p->cat[PIN(pos)] = it->cat;
        p->count++;
        t->lon[pos] = it->lon;
        t->lat[pos] = it->lat;
    }
    free(order);
    order = NULL;
    for (size_t b = 0; b < (n + LEAF - 1) / LEAF; b++) {
        quantize_leaf(&t->pts[b], xyz + b * LEAF);
        t->err = fmax(t->err, t->pts[b].err);
    }
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
    if (!t->mapped) {
        for (int i = 0; i < MAX_LEVELS; i++)
            free(t->level[i].blk);
        free(t->pts);
        free(t->lon);
        free(t->lat);
    }
    free(t);
}

size_t rtree_count(const struct rtree *t)
{
    return t->n;
}

size_t rtree_bytes(const struct rtree *t)
{
    size_t b =
        sizeof *t + (t->n + LEAF - 1) / LEAF * sizeof(struct pblk) + t->n * 2 * sizeof(double);
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
        const struct pblk *p = &PBLK(t, pos);
        for (int a = 0; a < 3; a++)
            xyz[a] = p->base[a] + (double)p->q[a][PIN(pos)] * p->step;
    }
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
        for (int j = 0; j < LEAF; j++) {
            size_t pos = (size_t)i * LEAF + (size_t)j;
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

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
 * and an empty mask. Large arrays ask for huge pages. The exact lon/lat are not kept (16 bytes a
 * point, more than the rest of the tree): the rare query that needs them asks the caller by id.
 *
 * Rare categories. A filter on a category of 2 % of the points finds about one match per leaf
 * it reads, so a nearest-10 reads dozens of leaves. A tree of RARE_MIN_N points or more therefore
 * also builds, over the points of its rare categories (rare_categories()), a second tree of the
 * same format (t->rare, recursively), with the position in t of each of its points
 * (t->rare_pos). A query whose filter admits only rare categories searches t->rare instead and
 * maps the positions back: the same points, so the same exact answer. Its cost is at most
 * 1/RARE_DIV of the tree's size again, plus 4 bytes per rare point. */
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

/* The packing: a top-down tiling. A range of points that fills `children` subtrees of `cap`
 * points each is cut in two across its longer side (in metres: longitude scaled by the cosine
 * of the latitude), at a multiple of `cap`, and each part again, until every part is one
 * subtree, which is then tiled the same way with cap / FANOUT. Every subtree is thus a compact
 * tile and a contiguous run of the order, which is what the implicit layout (node i covers
 * positions [i*cap, (i+1)*cap)) needs. Cutting the longer side keeps tiles square where the
 * density changes (a cluster's edge), where fixed longitude slabs made long thin ones that
 * overlap many queries. */
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

/* Is the range's extent in longitude, in metres, larger than in latitude? */
static bool wider_than_tall(const struct packer *p, size_t lo, size_t hi)
{
    uint32_t x0 = UINT32_MAX, x1 = 0, y0 = UINT32_MAX, y1 = 0;
    for (size_t i = lo; i < hi; i++) {
        uint32_t it = (uint32_t)(p->key[i] & 0xffffffffu), x = p->qx[it], y = p->qy[it];
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
    }
    /* qx spans 360 degrees and qy 180 in the same range: a qx step is twice a qy step */
    double lat = ((double)y0 + (double)y1) / 2 / 4294967295.0 * 180.0 - 90.0;
    return 2.0 * (double)(x1 - x0) * cos(lat * M_PI / 180.0) > (double)(y1 - y0);
}

/* sorted: the range is in order of qx (0), of qy (1), or not known to be (-1). */
static void pack(struct packer *p, size_t lo, size_t hi, size_t cap, int sorted)
{
    size_t n = hi - lo, children = (n + cap - 1) / cap;
    if (children <= 1) {
        if (cap > LEAF)
            pack(p, lo, hi, cap / FANOUT, sorted);
        return;
    }
    int axis = wider_than_tall(p, lo, hi) ? 0 : 1;
    if (axis != sorted) /* a part of a sorted range is sorted: cutting it again costs nothing */
        sort_by(p, lo, hi, axis ? p->qy : p->qx);
    size_t mid = lo + (children + 1) / 2 * cap;
    pack(p, lo, mid, cap, axis);
    pack(p, mid, hi, cap, axis);
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
        pack(&p, 0, n, cap, -1);
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
    size_t nb = (n + LEAF - 1) / LEAF;
    t->n = n;
    t->pts = block_alloc((nb ? nb : 1) * sizeof *t->pts);
    if (!t->pts)
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

/* The rare categories of items[0..n): each of at most n / RARE_DIV points, taken from the
 * smallest while together they stay within n / RARE_DIV; 0 below RARE_MIN_N points. */
static uint64_t rare_categories(const struct rtree_item *items, size_t n)
{
    size_t count[RTREE_MAX_CATEGORIES] = {0}, total = 0, cap = n / RARE_DIV;
    uint64_t mask = 0;
    if (n < RARE_MIN_N)
        return 0;
    for (size_t i = 0; i < n; i++)
        count[items[i].cat]++;
    for (;;) {
        int best = -1;
        for (int c = 0; c < RTREE_MAX_CATEGORIES; c++)
            if (count[c] && !(mask >> c & 1) && (best < 0 || count[c] < count[best]))
                best = c;
        if (best < 0 || total + count[best] > cap)
            return mask;
        mask |= 1ull << best;
        total += count[best];
    }
}

static enum geod_err build_tree(const struct rtree_item *items, size_t n, struct rtree **out,
                                uint32_t *order);

/* t->rare: a tree of t's points in its rare categories (items by position: order), with the
 * map from its positions to t's. */
static enum geod_err build_rare(struct rtree *t, const struct rtree_item *items,
                                const uint32_t *order)
{
    uint64_t mask = rare_categories(items, t->n);
    if (!mask)
        return GEOD_OK;
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        m += mask >> items[i].cat & 1;
    struct rtree_item *sub = calloc(m, sizeof *sub); /* calloc: gcc cannot see it filled */
    uint32_t *from = malloc(m * sizeof *from), *sub_order = malloc(m * sizeof *sub_order);
    enum geod_err rc = GEOD_ENOMEM;
    if (!sub || !from || !sub_order || !(t->rare_pos = malloc(m * sizeof *t->rare_pos)))
        goto done;
    m = 0;
    for (size_t pos = 0; pos < t->n; pos++)
        if (mask >> items[order[pos]].cat & 1) {
            sub[m] = items[order[pos]];
            from[m++] = (uint32_t)pos;
        }
    if ((rc = build_tree(sub, m, &t->rare, sub_order)))
        goto done;
    for (size_t p = 0; p < m; p++)
        t->rare_pos[p] = from[sub_order[p]];
    t->rare_mask = mask;
done:
    free(sub), free(from), free(sub_order);
    return rc;
}

/* Builds the tree of items[0..n) (checked), and order[pos] = the item at position pos. */
static enum geod_err build_tree(const struct rtree_item *items, size_t n, struct rtree **out,
                                uint32_t *order)
{
    *out = NULL;
    struct rtree *t = calloc(1, sizeof *t);
    double(*xyz)[3] = malloc((n ? n : 1) * sizeof *xyz);
    if (!t || !xyz || alloc_points(t, n) || pack_order(items, n, order))
        goto oom;
    for (size_t pos = 0; pos < n; pos++) {
        const struct rtree_item *it = &items[order[pos]];
        struct pblk *p = &PBLK(t, pos);
        geo_ecef(it->lon, it->lat, xyz[pos]);
        p->id[PIN(pos)] = it->id;
        p->cat[PIN(pos)] = it->cat;
        p->count++;
    }
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
    xyz = NULL;
    if (build_rare(t, items, order))
        goto oom;
    *out = t;
    return GEOD_OK;
oom:
    free(xyz);
    rtree_free(t);
    return GEOD_ENOMEM;
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
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    enum geod_err rc = order ? build_tree(items, n, out, order) : GEOD_ENOMEM;
    free(order);
    return rc;
}

void rtree_free(struct rtree *t)
{
    if (!t)
        return;
    if (!t->mapped) {
        for (int i = 0; i < MAX_LEVELS; i++)
            free(t->level[i].blk);
        free(t->pts);
        free(t->rare_pos);
    }
    rtree_free(t->rare);
    free(t);
}

size_t rtree_count(const struct rtree *t)
{
    return t->n;
}

size_t rtree_bytes(const struct rtree *t)
{
    size_t b = sizeof *t + (t->n + LEAF - 1) / LEAF * sizeof(struct pblk);
    for (int i = 0; i < t->nlevels; i++)
        b += nblocks(t->level[i].count) * sizeof(struct nblk);
    if (t->rare)
        b += rtree_bytes(t->rare) + t->rare->n * sizeof *t->rare_pos;
    return b;
}

void rtree_point(const struct rtree *t, uint32_t pos, double xyz[3])
{
    const struct pblk *p = &PBLK(t, pos);
    for (int a = 0; a < 3; a++)
        xyz[a] = p->base[a] + (double)p->q[a][PIN(pos)] * p->step;
}

/* Are the stored points r:p and t:pos, each within its leaf's err of its true point, the same? */
static bool same_point(const struct rtree *r, uint32_t p, const struct rtree *t, uint32_t pos)
{
    double a[3], b[3], d2 = 0;
    rtree_point(r, p, a);
    rtree_point(t, pos, b);
    for (int i = 0; i < 3; i++)
        d2 += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(d2) <= PBLK(r, p).err + PBLK(t, pos).err;
}

/* The rare tree holds exactly this tree's points of rare_mask, each once, as they are here. */
static bool check_rare(const struct rtree *t)
{
    const struct rtree *r = t->rare;
    if (!r)
        return !t->rare_mask && !t->rare_pos;
    size_t want = 0;
    for (size_t pos = 0; pos < t->n; pos++)
        want += t->rare_mask >> PBLK(t, pos).cat[PIN(pos)] & 1;
    if (!t->rare_mask || r->n != want || !rtree_check(r))
        return false;
    uint8_t *seen = calloc(t->n, 1);
    bool ok = seen != NULL;
    for (size_t p = 0; ok && p < r->n; p++) {
        uint32_t pos = t->rare_pos[p];
        ok = pos < t->n && !seen[pos] && PBLK(r, p).id[PIN(p)] == PBLK(t, pos).id[PIN(pos)] &&
             PBLK(r, p).cat[PIN(p)] == PBLK(t, pos).cat[PIN(pos)] &&
             same_point(r, (uint32_t)p, t, pos);
        if (ok)
            seen[pos] = 1;
    }
    free(seen);
    return ok;
}

bool rtree_check(const struct rtree *t)
{
    if (!check_rare(t))
        return false;
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
            rtree_point(t, (uint32_t)pos, xyz);
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

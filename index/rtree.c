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

struct nblk {                /* FANOUT sibling nodes */
    float lo[3][FANOUT];     /* box minimum per axis, ECEF metres rounded down */
    float hi[3][FANOUT];     /* box maximum, rounded up */
    uint64_t mask[FANOUT];   /* union of category bits below; 0 in padding */
} __attribute__((aligned(64)));

struct pblk {                /* FANOUT points of one leaf */
    double xyz[3][FANOUT];   /* ECEF metres; NaN in padding */
    uint32_t id[FANOUT];
    uint8_t cat[FANOUT];
} __attribute__((aligned(64)));

struct level {
    uint32_t count;    /* nodes on this level */
    struct nblk *blk;  /* [ceil(count / FANOUT)] */
};

struct rtree {
    size_t n;
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
    struct cand *best;
    size_t best_cap;
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

/* Hilbert curve index of (x, y) on a 65536 x 65536 grid. */
static uint32_t hilbert(uint32_t x, uint32_t y)
{
    uint64_t d = 0;
    for (uint32_t s = 1u << 15; s > 0; s >>= 1) {
        uint32_t rx = (x & s) != 0, ry = (y & s) != 0;
        d += (uint64_t)s * s * ((3 * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                x = 65535 - x;
                y = 65535 - y;
            }
            uint32_t t = x;
            x = y;
            y = t;
        }
    }
    return (uint32_t)d;
}

/* LSD radix sort of 64-bit keys, skipping bytes that are equal in every key. */
static enum geod_err radix_sort(uint64_t *keys, size_t n)
{
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return GEOD_ENOMEM;
    uint64_t *src = keys, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
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
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
    free(tmp);
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

static enum geod_err build_levels(struct rtree *t)
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
                float dn = f_down(p->xyz[a][j]), up = f_up(p->xyz[a][j]);
                mn = dn < mn ? dn : mn;
                mx = up > mx ? up : mx;
            }
            k->lo[a][IN(i)] = mn;
            k->hi[a][IN(i)] = mx;
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
    for (size_t b = 0; b < nb; b++) {
        struct pblk *p = &t->pts[b];
        for (int a = 0; a < 3; a++)
            for (int j = 0; j < FANOUT; j++)
                p->xyz[a][j] = NAN;
        memset(p->id, 0, sizeof p->id);
        memset(p->cat, 0, sizeof p->cat);
    }
    return GEOD_OK;
}

enum geod_err rtree_build(const struct rtree_item *items, size_t n, struct rtree **out)
{
    *out = NULL;
    if (n > UINT32_MAX)
        return GEOD_ERANGE;
    double min_lon = 180, max_lon = -180, min_lat = 90, max_lat = -90;
    for (size_t i = 0; i < n; i++) {
        const struct rtree_item *it = &items[i];
        if (!(it->lon >= -180 && it->lon <= 180 && it->lat >= -90 && it->lat <= 90) ||
            it->cat >= RTREE_MAX_CATEGORIES)
            return GEOD_EINVAL;
        min_lon = fmin(min_lon, it->lon);
        max_lon = fmax(max_lon, it->lon);
        min_lat = fmin(min_lat, it->lat);
        max_lat = fmax(max_lat, it->lat);
    }
    struct rtree *t = calloc(1, sizeof *t);
    uint64_t *keys = malloc((n ? n : 1) * sizeof *keys);
    if (!t || !keys || alloc_points(t, n))
        goto oom;
    double sx = max_lon > min_lon ? 65535.0 / (max_lon - min_lon) : 0;
    double sy = max_lat > min_lat ? 65535.0 / (max_lat - min_lat) : 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t hx = (uint32_t)((items[i].lon - min_lon) * sx);
        uint32_t hy = (uint32_t)((items[i].lat - min_lat) * sy);
        keys[i] = (uint64_t)hilbert(hx, hy) << 32 | i;
    }
    if (radix_sort(keys, n))
        goto oom;
    for (size_t pos = 0; pos < n; pos++) {
        const struct rtree_item *it = &items[keys[pos] & 0xffffffffu];
        struct pblk *p = &SLOT(t->pts, pos);
        double xyz[3];
        geo_ecef(it->lon, it->lat, xyz);
        for (int a = 0; a < 3; a++)
            p->xyz[a][IN(pos)] = xyz[a];
        p->id[IN(pos)] = it->id;
        p->cat[IN(pos)] = it->cat;
        t->lon[pos] = it->lon;
        t->lat[pos] = it->lat;
    }
    free(keys);
    keys = NULL;
    if (n && build_levels(t))
        goto oom;
    *out = t;
    return GEOD_OK;
oom:
    free(keys);
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
    if (xyz)
        for (int a = 0; a < 3; a++)
            xyz[a] = SLOT(t->pts, pos).xyz[a][IN(pos)];
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
    free(s->best);
    free(s);
}

/* ---- candidates ---- */

struct search {
    const struct rtree *t;
    const struct rtree_query *q;
    struct geo_origin o;
    struct cand *best; /* the best candidates so far, best first */
    size_t best_n;
    double lim;        /* no point with a larger chord can be in the answer */
};

/* Narrows c's interval one step: chord -> fast formula -> geo_inverse. */
static void refine(struct search *x, struct cand *c)
{
    if (c->state == CHORD && c->c <= GEO_FAST_MAX_M) {
        double xyz[3];
        rtree_point(x->t, c->pos, NULL, NULL, xyz);
        double s = geo_fast(&x->o, xyz, c->c), e = geo_fast_err(s);
        c->lo = s - e;
        c->hi = s + e;
        c->state = FAST;
    } else if (c->state != EXACT) {
        c->lo = c->hi =
            geo_inverse(x->q->lon, x->q->lat, x->t->lon[c->pos], x->t->lat[c->pos], NULL);
        c->state = EXACT;
    }
}

/* The order of geo_inverse distance then id, narrowing intervals only as far as needed. Every
 * decision equals the exact one, so this is a total order. */
static int cand_cmp(struct search *x, struct cand *a, struct cand *b)
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

/* Is c's exact distance <= m? */
static bool within(struct search *x, struct cand *c, double m)
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
static bool after_cursor(struct search *x, struct cand *c)
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

static void visit_point(struct search *x, uint32_t pos, double c2)
{
    const struct rtree_query *q = x->q;
    uint32_t id = SLOT(x->t->pts, pos).id[IN(pos)];
    if (q->accept && !q->accept(q->udata, id))
        return;
    double c = sqrt(c2);
    /* a curve of curvature <= k over a chord c < 100 km is at most c (1 + (k c)^2 / 20) long */
    struct cand cd = {.lo = c - CHORD_SLACK,
                      .hi = c * (1.0 + K2_MAX * c * c / 20.0) + CHORD_SLACK,
                      .c = c,
                      .pos = pos,
                      .id = id,
                      .state = CHORD};
    if (c > GEO_FAST_MAX_M)
        refine(x, &cd);
    if (!within(x, &cd, q->max_m) || (q->has_after && !after_cursor(x, &cd)))
        return;
    size_t n = x->best_n;
    if (n == q->k && cand_cmp(x, &cd, &x->best[n - 1]) >= 0)
        return;
    size_t j = n < q->k ? n++ : n - 1; /* a full list drops its worst */
    while (j > 0 && cand_cmp(x, &cd, &x->best[j - 1]) < 0) {
        x->best[j] = x->best[j - 1];
        j--;
    }
    x->best[j] = cd;
    x->best_n = n;
    if (n == q->k) { /* the worst of the k best bounds every answer */
        double l = x->best[n - 1].hi + CHORD_SLACK;
        x->lim = l < x->lim ? l : x->lim;
    }
}

/* ---- traversal ---- */

static void visit_leaf(struct search *x, uint32_t leaf)
{
    const struct pblk *p = &x->t->pts[leaf];
    const double *o = x->o.p;
    double c2[FANOUT];
    for (int j = 0; j < FANOUT; j++) {
        double dx = p->xyz[0][j] - o[0], dy = p->xyz[1][j] - o[1], dz = p->xyz[2][j] - o[2];
        c2[j] = dx * dx + dy * dy + dz * dz;
    }
    uint64_t mask = x->q->cat_mask;
    for (int j = 0; j < FANOUT; j++)
        if (c2[j] <= x->lim * x->lim && ((mask >> p->cat[j]) & 1))
            visit_point(x, leaf * FANOUT + (uint32_t)j, c2[j]);
}

static inline double max3(double a, double b, double c)
{
    double m = a > b ? a : b;
    return m > c ? m : c;
}

/* Can node j of block k be skipped because everything in it comes before the cursor? */
static bool before_cursor(const struct search *x, const struct nblk *k, int j)
{
    double d2 = 0;
    for (int a = 0; a < 3; a++) {
        double u = x->o.p[a] - (double)k->lo[a][j], v = (double)k->hi[a][j] - x->o.p[a];
        double m = u > v ? u : v;
        d2 += m * m;
    }
    double c = sqrt(d2);
    return c <= GEO_FAST_MAX_M && c * (1.0 + K2_MAX * c * c / 20.0) + CHORD_SLACK < x->q->after_m;
}

static void prefetch_block(const void *p, size_t size)
{
    for (size_t off = 0; off < size; off += 64)
        __builtin_prefetch((const char *)p + off);
}

/* Visits the nodes of level `level` held in block b, nearest first. */
static void search_block(struct search *x, int level, uint32_t b)
{
    const struct nblk *k = &x->t->level[level].blk[b];
    const double *o = x->o.p;
    double d2[FANOUT];
    for (int j = 0; j < FANOUT; j++) { /* branch-free: the compiler vectorizes it */
        double dx = max3((double)k->lo[0][j] - o[0], o[0] - (double)k->hi[0][j], 0.0);
        double dy = max3((double)k->lo[1][j] - o[1], o[1] - (double)k->hi[1][j], 0.0);
        double dz = max3((double)k->lo[2][j] - o[2], o[2] - (double)k->hi[2][j], 0.0);
        d2[j] = dx * dx + dy * dy + dz * dz;
    }
    double lim2 = x->lim * x->lim, od[FANOUT];
    uint32_t oc[FANOUT], m = 0;
    for (int j = 0; j < FANOUT; j++) {
        if (!(k->mask[j] & x->q->cat_mask) || !(d2[j] <= lim2))
            continue;
        if (x->q->has_after && before_cursor(x, k, j))
            continue;
        uint32_t i = m++, node = b * FANOUT + (uint32_t)j;
        for (; i > 0 && od[i - 1] > d2[j]; i--) {
            od[i] = od[i - 1];
            oc[i] = oc[i - 1];
        }
        od[i] = d2[j];
        oc[i] = node;
    }
    for (uint32_t i = 0; i < m; i++) {
        if (level == 0)
            prefetch_block(&x->t->pts[oc[i]], sizeof(struct pblk));
        else
            prefetch_block(&x->t->level[level - 1].blk[oc[i]], sizeof(struct nblk));
    }
    for (uint32_t i = 0; i < m && od[i] <= x->lim * x->lim; i++) {
        if (level == 0)
            visit_leaf(x, oc[i]);
        else
            search_block(x, level - 1, oc[i]);
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
    if (s->best_cap < q->k) {
        struct cand *b = realloc(s->best, q->k * sizeof *b);
        if (!b)
            return GEOD_ENOMEM;
        s->best = b;
        s->best_cap = q->k;
    }
    struct search x = {.t = t, .q = q, .best = s->best};
    geo_origin_init(&x.o, q->lon, q->lat);
    x.lim = isinf(q->max_m) ? INFINITY : q->max_m + geo_fast_err(q->max_m) + CHORD_SLACK;
    search_block(&x, t->nlevels - 1, 0);
    for (size_t i = 0; i < x.best_n; i++) {
        struct cand *c = &x.best[i];
        if (c->state == CHORD)
            refine(&x, c);
        out[i] = (struct rtree_hit){c->id, c->pos, c->state == EXACT ? c->lo : (c->lo + c->hi) / 2};
    }
    *n_out = x.best_n;
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
                if (!isnan(p->xyz[0][j]))
                    return false;
                continue;
            }
            for (int a = 0; a < 3; a++)
                if (!(k->lo[a][IN(i)] <= p->xyz[a][j] && p->xyz[a][j] <= k->hi[a][IN(i)]))
                    return false;
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

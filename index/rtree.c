/* rtree.c - exact nearest-K and radius search over the static R-tree (built by rtree_build.c).
 *
 * Depth-first branch and bound, nearest child first, on the squared distance from the query to
 * a box: it bounds the chord to any point inside, which bounds the geodesic distance (to
 * CHORD_SLACK; geodesic.h). Candidates are collected by chord and then ordered by intervals known
 * to hold their exact (geo_inverse) distance: from the chord, narrowed to the fast formula and
 * then to geo_inverse only when a comparison needs it (of the exact lon/lat, which the tree does
 * not keep: it asks the caller, rtree_query.coords); equal exact distances order by id. Every
 * decision is therefore the exact one ("candidates" below). */
#include "index/geodesic.h"
#include "index/rtree_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <emmintrin.h> /* SSE2, part of x86-64 */

enum { CHORD, FAST, EXACT }; /* how a candidate's interval was obtained */

struct cand {
    double lo, hi; /* the exact geodesic distance lies in [lo, hi]; lo == hi once EXACT */
    double c;      /* chord, metres */
    uint32_t pos;  /* position in the tree */
    uint32_t id;
    int state;
};

struct pcand { /* a candidate while walking the tree */
    double c2; /* squared chord to the stored point */
    uint32_t pos;
};

struct rtree_scratch {
    struct pcand *pc; /* candidates of the current query */
    size_t pc_cap;
    struct cand *cand; /* the ones that can still win, with intervals */
    size_t cand_cap;
    double *heap; /* [heap_cap] max-heap of the k smallest upper bounds */
    size_t heap_cap;
};

enum geod_err rtree_scratch_new(struct rtree_scratch **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

void rtree_scratch_free(struct rtree_scratch *s)
{
    if (!s)
        return;
    free(s->pc);
    free(s->cand);
    free(s->heap);
    free(s);
}

/* ---- candidates ----
 *
 * Two phases. While the tree is walked, every point that may still belong to the answer is
 * appended to `pc` with its squared chord, and a max-heap keeps the k smallest squared chords
 * among the points certain to pass the filters: its top bounds the k-th distance of the answer,
 * hence the chord of any point that can still matter (lim). Afterwards the candidates that can
 * still beat that bound get intervals and are ordered exactly (cand_cmp); the first k are the
 * answer. Chords are to the stored points, which are within t->err of the true ones. */

struct search {
    const struct rtree *t;
    const struct rtree_query *q;
    struct rtree_scratch *s;
    struct geo_origin o;
    float qf[3];    /* the query relative to the tree's origin, as floats */
    float eps;      /* bound on the float rounding of a box distance, per axis */
    size_t npc;     /* s->pc in use */
    size_t nheap;   /* s->heap in use */
    double lim;     /* no point whose stored chord is larger can be in the answer */
    double fail_r2; /* squared chords above this are certainly beyond max_m */
    double pass_r2; /* ... at most this are certainly within it */
    double before2; /* ... below this certainly come before the cursor */
    double after2;  /* ... above this certainly come after it */
    bool oom;
};

/* The longest geodesic over a chord of u metres. Up to GEO_FAST_MAX_M the series bound of
 * rtree_impl.h. Past it Schur's comparison theorem: a curve of curvature at most K (a geodesic of
 * the ellipsoid: its curvature is its normal curvature, K^2 <= K2_MAX) and of length s <= pi / K
 * has a chord c >= (2 / K) sin(K s / 2), so s <= (2 / K) asin(K c / 2); the series bound is
 * looser than this one where both are used. Geodesics longer than pi / K (19,903 km) join nearly
 * antipodal points, whose chords exceed 12,700 km: past FAR_SIN * 2 / K (12,037 km) there is no
 * bound. (The series alone, used at every length before, fell below the true arc past ~7,000 km.) */
#define K_MAX (1.0 / 6335439.327)
#define FAR_SIN 0.95
static double arc_hi(double u)
{
    if (u <= GEO_FAST_MAX_M)
        return u * (1.0 + ARC_OVER_CHORD * u * u);
    double h = u * (K_MAX / 2);
    return h >= FAR_SIN ? INFINITY : asin(h) * (2 / K_MAX) * (1 + 1e-12);
}

/* A chord of at most this length has arc_hi(chord) <= s: its geodesic is at most s long. */
static double arc_chord_lo(double s)
{
    if (s <= GEO_FAST_MAX_M)
        return s / (1.0 + ARC_OVER_CHORD * s * s);
    double a = s * (K_MAX / 2), amax = asin(FAR_SIN);
    return sin(a < amax ? a : amax) * (2 / K_MAX) * (1 - 1e-12);
}

/* The largest exact distance a point at stored chord c can have (curvature bound, geodesic.h). */
static double chord_hi(const struct search *x, double c)
{
    return arc_hi(c + x->t->err) + CHORD_SLACK;
}

/* Narrows c's interval one step: chord -> fast formula -> geo_inverse. */
static void refine(const struct search *x, struct cand *c)
{
    if (c->state == CHORD && c->c <= GEO_FAST_MAX_M) {
        double xyz[3];
        rtree_point(x->t, c->pos, xyz);
        /* the point is within err of xyz, which moves the distance by at most as much */
        double d = geo_fast(&x->o, xyz, c->c);
        double e = geo_fast_err(d) + x->t->err;
        c->lo = d - e;
        c->hi = d + e;
        c->state = FAST;
    } else if (c->state != EXACT) {
        double lon, lat; /* the caller's exact coordinates: the tree keeps none */
        x->q->coords(x->q->cdata, c->id, &lon, &lat);
        c->lo = c->hi = geo_inverse(x->q->lon, x->q->lat, lon, lat, NULL);
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

/* Squared chord thresholds equivalent to the filters' certain answers, so that the walk decides
 * most points without intervals. */
static void set_thresholds(struct search *x)
{
    const struct rtree_query *q = x->q;
    double err = x->t->err;
    if (isinf(q->max_m)) {
        x->fail_r2 = x->pass_r2 = INFINITY;
    } else {
        double f = q->max_m + err + CHORD_SLACK; /* lo > max_m */
        double p = arc_chord_lo(q->max_m - CHORD_SLACK) - err;
        x->fail_r2 = f * f;
        x->pass_r2 = p > 0 ? p * p : -1.0;
    }
    x->before2 = -1.0;
    x->after2 = -1.0;
    if (q->has_after) {
        double b = arc_chord_lo(q->after_m - CHORD_SLACK) - err; /* hi < after_m */
        double a = q->after_m + err + CHORD_SLACK; /* lo > after_m */
        x->before2 = b > 0 ? b * b : -1.0;
        x->after2 = a * a;
    }
}

/* Offers the squared chord of a point certain to pass the filters to the heap of the k
 * smallest; a full heap's top bounds the answer. */
static void heap_offer(struct search *x, double c2)
{
    double *h = x->s->heap;
    size_t k = x->q->k, i;
    if (x->nheap < k) {
        for (i = x->nheap++; i > 0 && h[(i - 1) / 2] < c2; i = (i - 1) / 2)
            h[i] = h[(i - 1) / 2];
        h[i] = c2;
    } else if (c2 < h[0]) {
        for (i = 0;;) {
            size_t l = 2 * i + 1, m = l;
            if (l >= k)
                break;
            if (l + 1 < k && h[l + 1] > h[l])
                m = l + 1;
            if (h[m] <= c2)
                break;
            h[i] = h[m];
            i = m;
        }
        h[i] = c2;
    } else {
        return;
    }
    if (x->nheap == k) { /* a point matters only if its lower bound is below the k-th's upper */
        double l = chord_hi(x, sqrt(h[0])) + x->t->err + CHORD_SLACK;
        x->lim = l < x->lim ? l : x->lim;
    }
}

static void visit_point(struct search *x, uint32_t pos, double c2)
{
    const struct rtree_query *q = x->q;
    if (c2 > x->fail_r2 || c2 < x->before2)
        return; /* certainly filtered out */
    if (q->accept && !q->accept(q->udata, PBLK(x->t, pos).id[PIN(pos)]))
        return;
    struct rtree_scratch *s = x->s;
    if (x->npc == s->pc_cap) {
        size_t cap = s->pc_cap ? 2 * s->pc_cap : 256;
        struct pcand *a = realloc(s->pc, cap * sizeof *a);
        if (!a) {
            x->oom = true;
            return;
        }
        s->pc = a;
        s->pc_cap = cap;
    }
    s->pc[x->npc++] = (struct pcand){c2, pos};
    if (c2 <= x->pass_r2 && (!q->has_after || c2 > x->after2))
        heap_offer(x, c2);
}

static int pcand_cmp(const void *a, const void *b)
{
    const struct pcand *p = a, *q = b;
    return p->c2 != q->c2 ? (p->c2 < q->c2 ? -1 : 1) : (p->pos > q->pos) - (p->pos < q->pos);
}

/* Phase two: the candidates that can still beat the k-th bound, with intervals, filtered and
 * ordered exactly, into s->cand; returns how many lead it (at most k). */
static size_t finish(struct search *x)
{
    const struct rtree_query *q = x->q;
    struct rtree_scratch *s = x->s;
    double bound = x->nheap == q->k ? chord_hi(x, sqrt(s->heap[0])) : INFINITY;
    /* a candidate can beat the bound only if its lower bound, c - err - slack, is below it */
    double keep = bound + x->t->err + CHORD_SLACK, keep2 = keep * keep;
    struct pcand *pc = s->pc;
    size_t m = 0;
    for (size_t i = 0; i < x->npc; i++)
        if (pc[i].c2 <= keep2)
            pc[m++] = pc[i];
    if (m <= 64) { /* by chord first: usually about k of them, nearly in order */
        for (size_t i = 1; i < m; i++) {
            struct pcand v = pc[i];
            size_t j = i;
            for (; j > 0 && pc[j - 1].c2 > v.c2; j--)
                pc[j] = pc[j - 1];
            pc[j] = v;
        }
    } else { /* a query far from every point keeps them all: no quadratic sort */
        qsort(pc, m, sizeof *pc, pcand_cmp);
    }
    if (s->cand_cap < m) {
        struct cand *a = realloc(s->cand, m * sizeof *a);
        if (!a) {
            x->oom = true;
            return 0;
        }
        s->cand = a;
        s->cand_cap = m;
    }
    struct cand *c = s->cand;
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        double ch = sqrt(pc[i].c2);
        uint32_t pos = pc[i].pos;
        struct cand d = {.lo = ch - x->t->err - CHORD_SLACK,
                         .hi = chord_hi(x, ch),
                         .c = ch,
                         .pos = pos,
                         .id = PBLK(x->t, pos).id[PIN(pos)],
                         .state = CHORD};
        if (ch > GEO_FAST_MAX_M)
            refine(x, &d);
        if (!within(x, &d, q->max_m) || (q->has_after && !after_cursor(x, &d)))
            continue;
        c[n++] = d;
    }
    /* exact order: the chord order is already right but where intervals overlap */
    if (n <= 64) {
        for (size_t i = 1; i < n; i++) {
            struct cand v = c[i];
            size_t j = i;
            for (; j > 0 && cand_cmp(x, &c[j - 1], &v) > 0; j--)
                c[j] = c[j - 1];
            c[j] = v;
        }
    } else {
        qsort_r(c, n, sizeof *c, cand_cmp_r, x);
    }
    return n < q->k ? n : q->k;
}

/* ---- traversal ---- */

/* The squared chords from the query to the stored points of a leaf, two at a time, and the
 * bit mask of those within the limit. */
static uint32_t leaf_c2(const struct search *x, const struct pblk *p, double *c2)
{
    __m128d b[3], step = _mm_set1_pd(p->step), l2 = _mm_set1_pd(x->lim * x->lim);
    for (int a = 0; a < 3; a++)
        b[a] = _mm_set1_pd(p->base[a] - x->o.p[a]);
    uint32_t pass = 0;
    for (int j = 0; j < LEAF; j += 2) {
        __m128d sum = _mm_setzero_pd();
        for (int a = 0; a < 3; a++) {
            __m128d q = _mm_cvtepi32_pd(_mm_loadl_epi64((const __m128i *)&p->q[a][j]));
            __m128d v = _mm_add_pd(b[a], _mm_mul_pd(q, step));
            sum = _mm_add_pd(sum, _mm_mul_pd(v, v));
        }
        _mm_storeu_pd(&c2[j], sum);
        pass |= (uint32_t)_mm_movemask_pd(_mm_cmple_pd(sum, l2)) << j;
    }
    return (uint32_t)(pass & ((1ull << p->count) - 1));
}

static void visit_leaf(struct search *x, uint32_t leaf)
{
    const struct pblk *p = &x->t->pts[leaf];
    double c2[LEAF];
    uint32_t pass = leaf_c2(x, p, c2);
    uint64_t mask = x->q->cat_mask;
    for (; pass; pass &= pass - 1) {
        int j = __builtin_ctz(pass);
        if (c2[j] <= x->lim * x->lim && ((mask >> p->cat[j]) & 1)) /* lim may have shrunk */
            visit_point(x, leaf * LEAF + (uint32_t)j, c2[j]);
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

/* Squared lower bounds on the chord from the query to the FANOUT boxes of block k, four at a
 * time in floats: each axis gap max(lo - q, q - hi) is reduced by eps, which covers the rounding
 * of the query and of the subtraction, and the sum is scaled down past its own rounding, so no
 * bound exceeds the true distance. Returns the mask of boxes within lim2. */
static uint32_t block_d2(const struct search *x, const struct nblk *k, float *d2, float lim2)
{
    const __m128 zero = _mm_setzero_ps(), shrink = _mm_set1_ps(0.99999f), l2 = _mm_set1_ps(lim2);
    const __m128 e = _mm_set1_ps(x->eps);
    uint32_t pass = 0;
    for (int j = 0; j < FANOUT; j += 4) {
        __m128 sum = zero;
        for (int a = 0; a < 3; a++) {
            __m128 q = _mm_set1_ps(x->qf[a]);
            __m128 g = _mm_max_ps(_mm_sub_ps(_mm_load_ps(&k->lo[a][j]), q),
                                  _mm_sub_ps(q, _mm_load_ps(&k->hi[a][j])));
            g = _mm_max_ps(zero, _mm_sub_ps(g, e)); /* this operand order keeps NaN: padding */
            sum = _mm_add_ps(sum, _mm_mul_ps(g, g));
        }
        sum = _mm_mul_ps(sum, shrink);
        _mm_storeu_ps(&d2[j], sum);
        pass |= (uint32_t)_mm_movemask_ps(_mm_cmple_ps(sum, l2)) << j;
    }
    return pass; /* padding boxes are NaN, and NaN compares false */
}

/* lim * lim as a float no smaller than the double. */
static float lim2_float(double lim)
{
    double l2 = lim * lim;
    float f = (float)l2;
    return (double)f < l2 ? nextafterf(f, INFINITY) : f;
}

static void prefetch_leaf(const struct pblk *p)
{
    const char *c = (const char *)p;
    __builtin_prefetch(c);
    __builtin_prefetch(c + 64);
    __builtin_prefetch(c + 128);
    __builtin_prefetch(c + 192);
}

/* Visits the nodes of level `level` held in block b, nearest first, dropping the others as
 * soon as the limit passes them (after the first visit, usually all of them). */
static void search_block(struct search *x, int level, uint32_t b)
{
    const struct nblk *k = &x->t->level[level].blk[b];
    float d2[FANOUT];
    uint32_t todo = block_d2(x, k, d2, lim2_float(x->lim));
    if (x->q->cat_mask != ~0ull || x->q->has_after)
        for (uint32_t m = todo; m; m &= m - 1) {
            int j = __builtin_ctz(m);
            if (!(k->mask[j] & x->q->cat_mask) || (x->q->has_after && before_cursor(x, k, j)))
                todo &= ~(1u << j);
        }
    /* several leaves are usually read: ask for them all at once, but only once a limit has
     * pruned them (before, every leaf of the first block would be asked for, and those requests
     * would hold up the one read first) */
    bool fetch = level == 0;
    while (todo) {
        if (fetch && x->lim < INFINITY) {
            for (uint32_t m = todo; m; m &= m - 1)
                prefetch_leaf(&x->t->pts[b * FANOUT + (uint32_t)__builtin_ctz(m)]);
            fetch = false;
        }
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
        double lim2 = x->lim * x->lim;
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
        isnan(q->max_m) || q->max_m < 0 || !q->coords)
        return GEOD_EINVAL;
    if (t->n == 0)
        return GEOD_OK;
    uint64_t present = t->level[t->nlevels - 1].blk[0].mask[0]; /* the root's */
    if (t->rare && !(q->cat_mask & present & ~t->rare_mask)) {
        /* only rare categories pass: all of them are in t->rare (rtree_build.c) */
        enum geod_err rc = rtree_nearest(t->rare, q, s, out, n_out);
        for (size_t i = 0; i < *n_out; i++)
            out[i].pos = t->rare_pos[out[i].pos];
        return rc;
    }
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
    x.lim = isinf(q->max_m) ? INFINITY : q->max_m + t->err + CHORD_SLACK;
    set_thresholds(&x);
    search_block(&x, t->nlevels - 1, 0);
    size_t n = x.oom ? 0 : finish(&x);
    if (x.oom)
        return GEOD_ENOMEM;
    for (size_t i = 0; i < n; i++) { /* distances to RTREE_DISTANCE_TOL */
        struct cand *c = &s->cand[i];
        while (c->hi - c->lo > 2 * RTREE_DISTANCE_TOL)
            refine(&x, c);
        out[i] = (struct rtree_hit){c->id, c->pos, (c->lo + c->hi) / 2};
    }
    *n_out = n;
    return GEOD_OK;
}

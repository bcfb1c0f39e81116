/* names_search.c - finding the candidates of a query in the name index and keeping the best hits
 * (names.h says what matches and how hits rank; names_match.c verifies one candidate; the keys are
 * listed in names_impl.h).
 *
 * Candidates. A query that starts with letters is matched from some name position p by a first
 * piece, and that piece with the query unit after it names a key p is filed under: "jinzhong"
 * may start with the reading jin followed by a z (SYLN(jin, z)), with ji followed by an n, or with
 * the initial j followed by an i (INITN(j, i), empty: no reading starts with i). The query's first
 * units allow a few such ways (names_query_opts at unit 0); so does the unit where the first piece
 * ends, at p + 1, and the one after, at p + 2. Each pair of ways is a stream of candidates: the
 * postings of the first key at p joined with those of the second at p + 1 (and with the third
 * unit's keys at p + 2), driven by the shortest list (the third unit's keys merged) and probing
 * the others; when a probe misses, the drive leaps to where that list goes on. A join is three
 * streams by where its matches start: at 0 (EXACT and PREFIX), at 1, later (SUBSTRING), each
 * reading only the segment of each list that can hold them. A candidate must then also be filed,
 * up to FILTER_DEPTH positions on, under keys the query allows where the pieces end (the filter).
 * A query that begins with other characters joins its first unit and the two rarest of its
 * leading non-letter units.
 *
 * Pruning. Streams are visited in idx order, and each candidate first gets a lower bound of its
 * hit key (class, rank, idx); a max-heap keeps the best `limit` hits, and a stream ends as soon
 * as its bound cannot beat the heap's worst. The class bound knows how many name characters the
 * rest of the query can take (so which exact forms it could cover); the rank bound comes from the
 * query alone (the verification with every syllable allowed everywhere) after the stream's two
 * pieces, a preferred reading and another being different keys: "jhq" can only ever be INITIALS,
 * so after `limit` such hits in idx order no later candidate can rank better; "zrgs" could rank
 * as PINYIN only where r is a whole reading (儿), which is its own short stream. The filter
 * tightens the rank bound of each candidate before it is verified. */
#include "index/names_impl.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FILTER 24   /* keys a filter node probes; more and it lets every candidate pass */
#define FILTER_DEPTH 4  /* name positions after the start a candidate's filter looks at */
#define MAX_NODES 24    /* filter nodes (depth, query unit) of one stream */
#define MAX_STREAMS 256 /* more and the later first pieces are not paired */

/* ---- the best hits ---- */

#define SET_SIZE 2048 /* > 2 * NAMES_MAX_LIMIT, a power of 2 */

struct scan {
    const struct names *ix;
    const struct nq *q;
    uint32_t gmask;
    bool (*accept)(void *udata, uint32_t id);
    void *udata;
    uint64_t *h; /* max-heap of hit keys */
    size_t n, cap;
    uint32_t *set;    /* [SET_SIZE] 1 + idx of the names in the heap, linear probing */
    struct uopts *uo; /* [q->n] */
};

struct uopts { /* the keys a piece may begin with at one query unit, found once per search */
    int8_t n;  /* -1: not looked up yet; -2: too many ways to filter by */
    uint8_t len[MAX_FILTER];
    uint8_t eff[MAX_FILTER];
    uint32_t key[MAX_FILTER]; /* index into ix->key[] */
};

static size_t set_pos(const struct scan *sc, uint32_t idx)
{
    size_t i = (idx * 2654435761u) & (SET_SIZE - 1);
    while (sc->set[i] && sc->set[i] != idx + 1)
        i = (i + 1) & (SET_SIZE - 1);
    return i;
}

static void set_del(struct scan *sc, uint32_t idx) /* backward-shift deletion */
{
    size_t i = set_pos(sc, idx);
    sc->set[i] = 0;
    for (size_t j = (i + 1) & (SET_SIZE - 1); sc->set[j]; j = (j + 1) & (SET_SIZE - 1)) {
        size_t home = ((sc->set[j] - 1) * 2654435761u) & (SET_SIZE - 1);
        if (((j - home) & (SET_SIZE - 1)) >= ((j - i) & (SET_SIZE - 1))) {
            sc->set[i] = sc->set[j];
            sc->set[j] = 0;
            i = j;
        }
    }
}

static uint64_t worst(const struct scan *sc)
{
    return sc->n < sc->cap ? UINT64_MAX : sc->h[0];
}

static void sift_down(uint64_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && h[l] > h[m])
            m = l;
        if (l + 1 < n && h[l + 1] > h[m])
            m = l + 1;
        if (m == i)
            return;
        uint64_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void consider(struct scan *sc, uint64_t key)
{
    if (key >= worst(sc))
        return;
    uint32_t idx = (uint32_t)(key & 0xFFFFFF);
    size_t at = set_pos(sc, idx);
    if (sc->set[at]) { /* in already, from another stream: keep the better key */
        for (size_t i = 0; i < sc->n; i++) {
            if ((uint32_t)(sc->h[i] & 0xFFFFFF) == idx && key < sc->h[i]) {
                sc->h[i] = key;
                sift_down(sc->h, sc->n, i);
                break;
            }
        }
        return;
    }
    if (sc->accept && !sc->accept(sc->udata, sc->ix->rec[idx].id))
        return;
    if (sc->n == sc->cap) {
        set_del(sc, (uint32_t)(sc->h[0] & 0xFFFFFF));
        sc->h[0] = key;
        sift_down(sc->h, sc->n, 0);
    } else {
        size_t i = sc->n++;
        for (; i && sc->h[(i - 1) / 2] < key; i = (i - 1) / 2)
            sc->h[i] = sc->h[(i - 1) / 2];
        sc->h[i] = key;
    }
    sc->set[set_pos(sc, idx)] = idx + 1;
}

/* ---- joins ---- */

struct cursor { /* sorted postings, from the current one on */
    const uint32_t *cur, *end;
};

/* whether posting v is in c; v never decreases between calls on one cursor */
static bool seek(struct cursor *c, uint32_t v)
{
    const uint32_t *p = c->cur, *e = c->end;
    if (p < e && *p < v) { /* gallop, then bisect for the first >= v */
        size_t step = 1;
        while (p + step < e && p[step] < v) {
            p += step;
            step *= 2;
        }
        const uint32_t *lo = p + 1, *hi = p + step < e ? p + step : e;
        while (lo < hi) {
            const uint32_t *m = lo + (hi - lo) / 2;
            if (*m < v)
                lo = m + 1;
            else
                hi = m;
        }
        p = lo;
    }
    c->cur = p;
    return p < e && *p == v;
}

static const struct nkey *find_key(const struct names *ix, uint32_t key)
{
    size_t lo = 0, hi = ix->nkey;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->key[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->nkey && ix->key[lo].key == key ? &ix->key[lo] : NULL;
}

/* Streams come in three classes by where their matches start: at 0, at 1, at 2 or later. The
 * postings of a unit t positions after the start are then in segment seg_for(class, t). */
static unsigned seg_for(unsigned sclass, unsigned t)
{
    return sclass + t < 2 ? sclass + t : 2;
}

static struct cursor segment(const struct names *ix, const struct nkey *k, unsigned s)
{
    return (struct cursor){ix->post + k->seg[s], ix->post + k->seg[s + 1]};
}

/* the ways a piece may begin at unit j that some name has after its start, once a search */
static const struct uopts *unit_opts(struct scan *sc, unsigned j)
{
    struct uopts *u = &sc->uo[j];
    if (u->n != -1)
        return u;
    struct opt o[MAX_OPTS];
    size_t no = names_query_opts(sc->ix, sc->q, j, o);
    u->n = 0;
    if (no > MAX_FILTER) {
        u->n = -2;
        return u;
    }
    for (size_t k = 0; k < no; k++) {
        const struct nkey *key = find_key(sc->ix, o[k].key);
        if (key && key->seg[3] > key->seg[1]) {
            u->key[u->n] = (uint32_t)(key - sc->ix->key);
            u->eff[u->n] = o[k].eff;
            u->len[u->n++] = o[k].len;
        }
    }
    return u;
}

/* The filter: a node per (depth, query unit) with a cursor per key a piece there may have. */
struct fnode {
    uint8_t d, j; /* positions after the start, query unit */
    uint8_t n;    /* keys */
    bool open;    /* too many keys: everything passes */
    struct cursor c[MAX_FILTER];
    uint8_t len[MAX_FILTER]; /* query units the piece takes */
    uint8_t eff[MAX_FILTER]; /* its effect on the states */
};

struct filter {
    struct fnode node[MAX_NODES];
    size_t n;
    unsigned sclass; /* of the stream */
};

static struct fnode *node_at(struct scan *sc, struct filter *f, unsigned d, unsigned j)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->node[i].d == d && f->node[i].j == j)
            return &f->node[i];
    if (f->n == MAX_NODES)
        return NULL;
    const struct uopts *u = unit_opts(sc, j);
    struct fnode *nd = &f->node[f->n++];
    nd->d = (uint8_t)d;
    nd->j = (uint8_t)j;
    nd->open = u->n < 0;
    nd->n = u->n < 0 ? 0 : (uint8_t)u->n;
    for (size_t k = 0; k < nd->n; k++) {
        nd->c[k] = segment(sc->ix, &sc->ix->key[u->key[k]], seg_for(f->sclass, d));
        nd->len[k] = u->len[k];
        nd->eff[k] = u->eff[k];
    }
    return nd;
}

/* The best rank a match may reach if it goes on at posting v (d positions after the start) in
 * states st with a piece that begins at unit j, as far as the filter can tell; NO_RANK if it
 * cannot go on. room: name positions from v's on; enough: a rank that needs no better bound. */
static unsigned follow(struct scan *sc, struct filter *f, unsigned d, unsigned j, uint32_t v,
                       uint8_t st, unsigned room, unsigned enough)
{
    if (room == 0)
        return NO_RANK;
    struct fnode *nd = d > FILTER_DEPTH ? NULL : node_at(sc, f, d, j);
    if (!nd || nd->open)
        return names_rank_bound(sc->q, j, st);
    unsigned best = NO_RANK;
    for (size_t k = 0; k < nd->n && best > enough; k++) {
        if (!seek(&nd->c[k], v))
            continue;
        unsigned nj = j + nd->len[k], r;
        uint8_t s2 = names_apply(sc->ix, st, nd->eff[k]);
        if (nj >= sc->q->n)
            r = names_rank_bound(sc->q, sc->q->n, s2);
        else
            r = follow(sc, f, d + 1, nj, v + 1, s2, room - 1, enough);
        best = r < best ? r : best;
    }
    return best;
}

/* ---- streams ---- */

#define MAX_UNION 8 /* keys whose postings a stream may be driven by, merged */

struct stream {
    struct cursor drive;    /* postings of name position start + shift, unless nunion */
    uint8_t nunion, uunit;  /* or those of the keys of query unit uunit (sc->uo), merged */
    struct cursor other[2]; /* probed at start + oshift[i], i < nother: a join */
    uint8_t sclass;         /* the match starts at 0 (EXACT/PREFIX), 1 or 2 and later */
    uint8_t shift;          /* positions after the start of drive's postings */
    uint8_t oshift[2], nother;
    uint8_t depth, next; /* the filter begins depth positions after the start, at query unit next */
    uint8_t states;      /* the match states there */
    uint8_t rank;        /* lower bound */
    uint8_t minp, maxp;  /* the fewest and most name characters a match covers */
};

/* the next posting of the drive (the smallest of its lists' next ones), or UINT32_MAX */
static inline uint32_t pull(struct cursor *d, size_t nd)
{
    if (nd == 1)
        return d->cur < d->end ? *d->cur++ : UINT32_MAX;
    size_t m = nd;
    uint32_t v = UINT32_MAX;
    for (size_t i = 0; i < nd; i++)
        if (d[i].cur < d[i].end && *d[i].cur < v)
            v = *d[m = i].cur;
    if (m < nd)
        d[m].cur++;
    return v;
}

/* Verifies the candidates of st that pass the join and the filter. */
static void scan_stream(struct scan *sc, struct stream *st)
{
    const struct names *ix = sc->ix;
    const struct nq *q = sc->q;
    struct filter f;
    struct cursor d[MAX_UNION] = {st->drive};
    size_t nd = 1;
    f.n = 0;
    f.sclass = st->sclass;
    if (st->rank >= NO_RANK)
        return;
    if (st->nunion) {
        const struct uopts *u = &sc->uo[st->uunit];
        for (nd = 0; nd < st->nunion; nd++)
            d[nd] = segment(ix, &ix->key[u->key[nd]], seg_for(st->sclass, st->shift));
    }
    uint32_t v = pull(d, nd), last = UINT32_MAX;
    while (v != UINT32_MAX) {
        uint32_t idx = v >> 8;
        const struct nrec *r = &ix->rec[idx];
        unsigned cls = st->sclass                      ? NAMES_SUBSTRING
                       : r->len <= st->maxp + MAXSTRIP ? NAMES_EXACT
                                                       : NAMES_PREFIX;
        if (hit_key(cls, st->rank, idx) >= worst(sc)) /* bounds only grow along a stream */
            return;
        bool skip = !(sc->gmask >> r->group & 1);
        if (cls == NAMES_EXACT && !can_exact(r, st->minp, st->maxp))
            cls = NAMES_PREFIX;
        skip |= hit_key(cls, st->rank, idx) >= worst(sc);
        uint64_t best = UINT64_MAX;
        for (; v != UINT32_MAX && v >> 8 == idx; last = v, v = pull(d, nd)) {
            unsigned pos = v & 0xFF;
            if (skip || v == last || pos < st->shift)
                continue;
            uint32_t s = v - st->shift; /* the posting of the start */
            unsigned s0 = s & 0xFF, rank = st->rank;
            if (s0 < 2 ? s0 != st->sclass : st->sclass != 2)
                continue;
            size_t miss = st->nother;
            for (size_t i = 0; i < st->nother && miss == st->nother; i++)
                if (!seek(&st->other[i], s + st->oshift[i]))
                    miss = i;
            if (miss < st->nother) {
                if (nd == 1) { /* leap: the drive's next chance is where the list missed is */
                    const struct cursor *o = &st->other[miss];
                    if (o->cur == o->end) {
                        v = UINT32_MAX; /* nothing more can join */
                        break;
                    }
                    seek(&d[0], *o->cur - st->oshift[miss] + st->shift);
                }
                continue;
            }
            if (st->next < q->n) {
                if (s0 + st->depth >= r->len)
                    continue;
                rank = follow(sc, &f, st->depth, st->next, s + st->depth, st->states,
                              r->len - s0 - st->depth, st->rank);
                if (rank >= NO_RANK || hit_key(cls, rank, idx) >= worst(sc))
                    continue;
            }
            uint64_t k = names_verify(ix, q, idx, s0);
            best = k < best ? k : best;
        }
        if (best != UINT64_MAX)
            consider(sc, best);
    }
}

/* The stream of class sclass of a join: list i (of key k[i], or of the keys of unit u3 merged if
 * k[i] is NULL) at start + off[i], for i < n; driven by its shortest list, the others probed. */
static void add_join(struct scan *sc, unsigned sclass, const struct nkey *const *k,
                     const unsigned *off, size_t n, unsigned u3, struct stream x, struct stream *st,
                     size_t *ns)
{
    const struct names *ix = sc->ix;
    struct cursor l[3];
    size_t len[3], drv = 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i]) {
            l[i] = segment(ix, k[i], seg_for(sclass, off[i]));
            len[i] = (size_t)(l[i].end - l[i].cur);
        } else { /* the keys of u3, merged */
            const struct uopts *u = &sc->uo[u3];
            len[i] = 0;
            for (int8_t m = 0; m < u->n; m++) {
                struct cursor c = segment(ix, &ix->key[u->key[m]], seg_for(sclass, off[i]));
                len[i] += (size_t)(c.end - c.cur);
            }
        }
        if (len[i] == 0)
            return; /* nothing there */
        drv = len[i] < len[drv] ? i : drv;
    }
    x.sclass = (uint8_t)sclass;
    x.shift = (uint8_t)off[drv];
    if (k[drv]) {
        x.drive = l[drv];
    } else {
        x.nunion = (uint8_t)sc->uo[u3].n;
        x.uunit = (uint8_t)u3;
    }
    for (size_t i = 0; i < n; i++) {
        if (i != drv && k[i]) {
            x.other[x.nother] = l[i];
            x.oshift[x.nother++] = (uint8_t)off[i];
        }
    }
    st[(*ns)++] = x;
}

/* The streams of first key k1, joined with k2 at the next position if k2, and with the keys of
 * query unit u3 (any of them) at the one after if they are few. */
static void add_streams(struct scan *sc, const struct nkey *k1, const struct nkey *k2, unsigned u3,
                        unsigned rank, unsigned next, uint8_t states, struct stream *st, size_t *ns)
{
    const struct nq *q = sc->q;
    unsigned depth = k2 ? 2 : 1;
    if (rank >= NO_RANK || (next < q->n && q->mxp[next] == 0)) /* the rest cannot match */
        return;
    const struct uopts *u = k2 && u3 < q->n ? &sc->uo[u3] : NULL;
    const struct nkey *k[3] = {k1, k2, u && u->n == 1 ? &sc->ix->key[u->key[0]] : NULL};
    size_t n = !k2 ? 1 : u && u->n > 0 && u->n <= MAX_UNION ? 3 : 2;
    struct stream x = {.depth = (uint8_t)depth,
                       .next = (uint8_t)next,
                       .states = states,
                       .rank = (uint8_t)rank,
                       .minp = (uint8_t)(depth + q->mnp[next]),
                       .maxp = (uint8_t)(depth + q->mxp[next])};
    static const unsigned off[3] = {0, 1, 2};
    for (unsigned c = 0; c < 3; c++)
        add_join(sc, c, k, off, n, u3, x, st, ns);
}

/* A query that starts with non-letters: its first unit at 0 and the rarest of its leading
 * non-letter units (EXACT, PREFIX); the two rarest (SUBSTRING). The units after them go to the
 * filter. */
static void search_symbols(struct scan *sc)
{
    const struct nq *q = sc->q;
    const struct nkey *first = find_key(sc->ix, q->u[0]), *k[3] = {first, NULL, NULL};
    unsigned at[2] = {0, 0}; /* the units of k[0], k[1] */
    if (!first)
        return;
    for (unsigned j = 1; j < q->n && !q->letter[j]; j++) {
        const struct nkey *kj = find_key(sc->ix, q->u[j]);
        if (!kj)
            return; /* a character no name holds */
        size_t nj = kj->seg[3] - kj->seg[0];
        if (nj < k[0]->seg[3] - k[0]->seg[0]) {
            k[1] = k[0];
            at[1] = at[0];
            k[0] = kj;
            at[0] = j;
        } else if (!k[1] || nj < k[1]->seg[3] - k[1]->seg[0]) {
            k[1] = kj;
            at[1] = j;
        }
    }
    struct stream st[3],
        x = {.states = 1 << 3, .rank = (uint8_t)q->kind, .minp = q->mnp[0], .maxp = q->mxp[0]};
    unsigned last = k[1] && at[1] > at[0] ? at[1] : at[0];
    x.depth = x.next = (uint8_t)(last + 1);
    const struct nkey *kk[3] = {k[0], k[1], first};
    unsigned off[3] = {at[0], at[1], 0};
    size_t n = k[1] ? 2 : 1, ns = 0;
    if (at[0] != 0 && (!k[1] || at[1] != 0)) { /* the first unit is not among them: add it */
        kk[n] = first;
        off[n++] = 0;
    }
    for (unsigned c = 0; c < 3; c++)
        add_join(sc, c, kk, off, n, q->n, x, st, &ns);
    for (size_t i = 0; i < ns; i++)
        scan_stream(sc, &st[i]);
}
static void search_letters(struct scan *sc)
{
    const struct names *ix = sc->ix;
    const struct nq *q = sc->q;
    struct opt o[MAX_OPTS];
    struct stream st[MAX_STREAMS];
    size_t no = names_query_opts(ix, q, 0, o), ns = 0;
    for (size_t k = 0; k < no; k++) {
        const struct nkey *k1 = find_key(ix, o[k].key);
        if (!k1)
            continue;
        uint8_t s1 = names_apply(ix, 1 << 3, o[k].eff);
        unsigned j = o[k].len;
        const struct uopts *u = j < q->n ? unit_opts(sc, j) : NULL;
        if (!u || u->n < 0 || ns + 3 * (size_t)u->n + 3 * (no - k) > MAX_STREAMS) {
            add_streams(sc, k1, NULL, q->n, names_rank_bound(q, j, s1), j, s1, st, &ns);
            continue;
        }
        for (int8_t i = 0; i < u->n; i++) { /* paired with each way the next piece may begin */
            uint8_t s2 = names_apply(ix, s1, u->eff[i]);
            unsigned j2 = j + u->len[i], rank = names_rank_bound(q, j2, s2);
            if (j2 < q->n && unit_opts(sc, j2)->n == 0) /* nothing can follow */
                continue;
            add_streams(sc, k1, &ix->key[u->key[i]], j2, rank, j2, s2, st, &ns);
        }
    }
    for (size_t i = 1; i < ns; i++) { /* EXACT/PREFIX first, each class by rank */
        struct stream t = st[i];
        size_t j = i;
        for (; j && (st[j - 1].sclass > t.sclass ||
                     (st[j - 1].sclass == t.sclass && st[j - 1].rank > t.rank));
             j--)
            st[j] = st[j - 1];
        st[j] = t;
    }
    for (size_t i = 0; i < ns; i++)
        scan_stream(sc, &st[i]);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

enum geod_err names_search(const struct names *ix, const char *q, size_t qlen, uint32_t group_mask,
                           bool (*accept)(void *udata, uint32_t id), void *udata, size_t limit,
                           struct names_hit *out, size_t *n)
{
    *n = 0;
    struct nq nq;
    enum geod_err rc = names_query_parse(q, qlen, &nq);
    if (rc)
        return rc;
    if (limit > NAMES_MAX_LIMIT)
        return GEOD_ERANGE;
    if (limit == 0)
        return GEOD_OK;
    uint64_t heap[NAMES_MAX_LIMIT];
    uint32_t set[SET_SIZE] = {0};
    struct uopts uo[NAMES_MAX_QUERY];
    for (unsigned j = 0; j < nq.n; j++)
        uo[j].n = -1;
    struct scan sc = {ix, &nq, group_mask, accept, udata, heap, 0, limit, set, uo};
    names_query_prepare(ix, &nq);
    if (nq.mxp[0] == 0) /* no way to split it into pieces */
        ;
    else if (nq.letter[0])
        search_letters(&sc);
    else
        search_symbols(&sc);
    qsort(heap, sc.n, sizeof *heap, cmp_u64);
    for (size_t i = 0; i < sc.n; i++) {
        const struct nrec *r = &ix->rec[heap[i] & 0xFFFFFF];
        unsigned cls = (unsigned)(heap[i] >> 36 & 3), rank = (unsigned)(heap[i] >> 32 & 7);
        out[i] = (struct names_hit){
            .id = r->id,
            .cls = (uint8_t)cls,
            .how = (uint8_t)(rank == 0   ? NAMES_HANZI
                             : rank == 1 ? NAMES_MIXED
                             : rank == 5 ? NAMES_INITIALS
                                         : NAMES_PINYIN),
            .rank = (uint8_t)rank,
            .len = r->len,
            .score = (uint64_t)cls << 44 | (uint64_t)rank << 40 | (uint64_t)r->len << 32 | r->id,
        };
    }
    *n = sc.n;
    return GEOD_OK;
}

/* names_search.c - searching the name index (names.h says what matches and how hits rank; names.c
 * builds it; readings come from index/pinyin.c).
 *
 * Search. The query's first unit picks the key: its character, or its first two letters, or its
 * first letter when no letter follows. Start segments give EXACT and PREFIX candidates, inner
 * ones SUBSTRING; a query that begins with Han characters instead takes its substring candidates
 * from the rarest of its leading non-letter units. A candidate (name, start) is verified by a DP
 * over (name position, query position) whose cells hold sets of match states (below). Segments
 * are visited in idx order, and each candidate first gets a lower bound of its hit key (class,
 * rank, idx); a max-heap keeps the best `limit` hits, and a segment ends as soon as its bound
 * cannot beat the heap's worst. The rank bound comes from the query alone (the same DP against
 * the set of all syllables): "jhq" can only ever be INITIALS, so after `limit` such hits in idx
 * order no later candidate can rank better, and the scan stops.
 *
 * Match states (letter-only queries): st = 3 * all_initials + max_cost. A letter piece costs 0
 * (preferred reading, in full or as the prefix that ends the query), 1 (another reading) or
 * 2 (an initial not at the end); all_initials says every piece so far was an initial or a name
 * letter. At the end the rank is 5 if all_initials, else 2 + max_cost. */
#include "index/names_impl.h"
#include "index/utf8.h"

#include <stdlib.h>
#include <string.h>

#define NO_RANK 6

/* ---- the query ---- */

struct nq {
    uint32_t u[NAMES_MAX_QUERY]; /* units: a letter 'a'..'z', or a folded code point */
    uint8_t letter[NAMES_MAX_QUERY];
    uint8_t brk[NAMES_MAX_QUERY];    /* a separator stands before unit j */
    uint8_t segend[NAMES_MAX_QUERY]; /* letter j: end of its run of letters without separator */
    unsigned n;
    int kind; /* the rank when the make-up fixes it: 0 (no letters), 1 (mixed); else -1 */
};

static enum geod_err parse_query(const char *s, size_t len, struct nq *q)
{
    q->n = 0;
    if (!utf8_valid(s, len))
        return GEOD_EINVAL;
    size_t b = len, e = 0; /* the trimmed range */
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t k = utf8_decode(s + i, len - i, &c);
        if ((c < 0x20 && !is_space(c)) || c == 0x7F)
            return GEOD_EINVAL;
        if (!is_space(c)) {
            b = b < i ? b : i;
            e = i + k;
        }
        i += k;
    }
    bool sep = false, tone = false, has_l = false, has_o = false;
    size_t count = 0;
    for (size_t i = b; i < e;) {
        uint32_t c;
        i += utf8_decode(s + i, e - i, &c);
        if (++count > NAMES_MAX_QUERY)
            return GEOD_ERANGE;
        if (is_space(c) || is_apos(c)) {
            sep = true;
            tone = false;
            continue;
        }
        if (pinyin_is_tone_mark(c))
            continue;
        c = fold(c);
        bool l = is_letter(c);
        if (!l && tone && c >= '0' && c <= '9') { /* jiang1 */
            sep = true;
            continue;
        }
        q->u[q->n] = c;
        q->letter[q->n] = l;
        q->brk[q->n] = sep && l && q->n && q->letter[q->n - 1];
        q->n++;
        has_l |= l;
        has_o |= !l;
        tone = l;
        sep = false;
    }
    if (q->n == 0)
        return GEOD_EINVAL;
    for (unsigned j = q->n; j-- > 0;)
        if (q->letter[j])
            q->segend[j] = j + 1 < q->n && q->letter[j + 1] && !q->brk[j + 1] ? q->segend[j + 1]
                                                                              : (uint8_t)(j + 1);
    q->kind = !has_l ? 0 : has_o ? 1 : -1;
    return GEOD_OK;
}

/* whether the folded letters w[0..n) are a syllable (*full) or a proper prefix of one */
static bool syl_prefix(const struct names *ix, const uint32_t *w, size_t n, bool *full)
{
    char k[8] = {0};
    for (size_t i = 0; i < n; i++)
        k[i] = w[i] == 'v' ? 'u' : (char)w[i];
    size_t lo = 0, hi = ix->nfsyl;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(ix->fsyl[mid], k, 8) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *full = lo < ix->nfsyl && memcmp(ix->fsyl[lo], k, 8) == 0;
    size_t p = lo + *full;
    return *full || (p < ix->nfsyl && memcmp(ix->fsyl[p], k, n) == 0);
}

static unsigned rank_of(const struct nq *q, uint8_t states)
{
    if (q->kind >= 0)
        return (unsigned)q->kind;
    for (unsigned st = 0; st < 3; st++)
        if (states >> st & 1)
            return 2 + st;
    return states ? 5 : NO_RANK;
}

/* The best rank any name could reach for letter-only query q, starting in states st0 at query
 * position j0: the verification DP with every syllable allowed everywhere (optimistic). */
static unsigned rank_bound(const struct names *ix, const struct nq *q, unsigned j0, uint8_t st0)
{
    uint8_t cur[NAMES_MAX_QUERY + 1] = {0};
    cur[j0] = st0;
    for (unsigned j = j0; j < q->n; j++) {
        if (!cur[j])
            continue;
        for (unsigned l = 1; l <= PINYIN_MAX_SYLLABLE && j + l <= q->segend[j]; l++) {
            bool last = j + l == q->n, full;
            if (!syl_prefix(ix, q->u + j, l, &full))
                break;
            const uint32_t *w = q->u + j;
            bool init = l == 1 || (l == 2 && w[1] == 'h' && (*w == 'z' || *w == 'c' || *w == 's'));
            if (full)
                cur[j + l] |= ix->tr[cur[j]][0][0];
            if (init)
                cur[j + l] |= ix->tr[cur[j]][last ? 0 : 2][1];
            else if (last)
                cur[j + l] |= ix->tr[cur[j]][0][0];
        }
        if (ix->ascii >> (q->u[j] - 'a') & 1)
            cur[j + 1] |= cur[j];
    }
    return rank_of(q, cur[q->n]);
}

/* ---- verification ---- */

/* letters from unit j against Han character c (preferred reading pref): into nxt */
static void step_han(const struct names *ix, const struct nq *q, uint32_t c, uint16_t pref,
                     unsigned j, uint8_t st, uint8_t *nxt)
{
    uint16_t ids[PINYIN_MAX_READINGS + 1];
    size_t n = names_readings(ix, c, pref, ids);
    uint8_t cost[PINYIN_MAX_SYLLABLE + 1], full[PINYIN_MAX_SYLLABLE + 1] = {0};
    uint8_t init[3] = {0};
    memset(cost, 3, sizeof cost);
    unsigned e = q->segend[j], room = e - j;
    for (size_t k = 0; k < n; k++) {
        const struct syl *y = &ix->syl[ids[k]];
        uint8_t rc = ids[k] != pref;
        unsigned m = 0;
        while (m < room && m < y->len &&
               (q->u[j + m] == (uint8_t)y->s[m] || (q->u[j + m] == 'u' && y->s[m] == 'v')))
            m++;
        if (m == 0)
            continue;
        init[1] = 1;
        if (y->ilen == 2 && m >= 2)
            init[2] = 1;
        if (m == y->len) {
            full[m] = 1;
            cost[m] = cost[m] < rc ? cost[m] : rc;
        } else if (m == room && e == q->n) { /* a prefix ending the query */
            cost[m] = cost[m] < rc ? cost[m] : rc;
        }
    }
    for (unsigned l = 1; l <= PINYIN_MAX_SYLLABLE && l <= room; l++) {
        uint8_t cst = cost[l], ini = l <= 2 && init[l];
        if (cst == 3 && ini && j + l < q->n)
            cst = 2;
        if (cst < 3)
            nxt[j + l] |= ix->tr[st][cst][ini && !full[l]];
    }
}

static uint64_t hit_key(unsigned cls, unsigned rank, uint32_t idx)
{
    return (uint64_t)cls << 36 | (uint64_t)rank << 32 | idx;
}

/* the best hit key of name idx for matches starting at s, or UINT64_MAX */
static uint64_t verify(const struct names *ix, const struct nq *q, uint32_t idx, unsigned s)
{
    const struct nrec *r = &ix->rec[idx];
    const uint32_t *c = ix->cp + r->off;
    const uint16_t *pf = ix->pref + r->off;
    uint8_t a[NAMES_MAX_QUERY + 1] = {0}, b[NAMES_MAX_QUERY + 1], *cur = a, *nxt = b;
    uint64_t best = UINT64_MAX;
    unsigned lo = 0, hi = 0; /* cur is empty outside [lo, hi] */
    cur[0] = 1 << 3;
    for (unsigned i = s; i < r->len; i++) {
        memset(nxt, 0, q->n + 1);
        for (unsigned j = lo; j <= hi; j++) {
            if (!cur[j])
                continue;
            if (!q->letter[j] || is_letter(c[i])) {
                if (q->u[j] == c[i])
                    nxt[j + 1] |= cur[j];
            } else {
                step_han(ix, q, c[i], pf[i], j, cur[j], nxt);
            }
        }
        if (nxt[q->n]) {
            unsigned e = i + 1, cls = NAMES_SUBSTRING;
            if (s == 0)
                cls = r->len - e <= MAXSTRIP && (r->exact >> (r->len - e) & 1) ? NAMES_EXACT
                                                                               : NAMES_PREFIX;
            uint64_t k = hit_key(cls, rank_of(q, nxt[q->n]), idx);
            best = k < best ? k : best;
            nxt[q->n] = 0;
        }
        lo = q->n;
        hi = 0;
        for (unsigned j = 0; j < q->n; j++) {
            if (nxt[j]) {
                lo = lo < j ? lo : j;
                hi = j;
            }
        }
        if (lo > hi)
            break;
        uint8_t *t = cur;
        cur = nxt;
        nxt = t;
    }
    return best;
}

/* ---- search ---- */

struct scan {
    const struct names *ix;
    const struct nq *q;
    uint32_t gmask;
    bool (*accept)(void *udata, uint32_t id);
    void *udata;
    uint64_t *h; /* max-heap of hit keys */
    size_t n, cap;
};

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
    for (size_t i = 0; i < sc->n; i++) { /* the name may be in already, from another segment */
        if ((uint32_t)(sc->h[i] & 0xFFFFFF) == idx) {
            if (key < sc->h[i]) {
                sc->h[i] = key;
                sift_down(sc->h, sc->n, i);
            }
            return;
        }
    }
    if (sc->accept && !sc->accept(sc->udata, sc->ix->rec[idx].id))
        return;
    if (sc->n == sc->cap) {
        sc->h[0] = key;
        sift_down(sc->h, sc->n, 0);
        return;
    }
    size_t i = sc->n++;
    for (; i && sc->h[(i - 1) / 2] < key; i = (i - 1) / 2)
        sc->h[i] = sc->h[(i - 1) / 2];
    sc->h[i] = key;
}

/* Candidates p[0..n): name idx at position (entry & 0xFF) - shift. start: the segment of first
 * positions (EXACT/PREFIX); otherwise only starts > 0 count (SUBSTRING). */
static void scan_seg(struct scan *sc, const uint32_t *p, const uint32_t *end, unsigned shift,
                     bool start, unsigned rank_lb)
{
    const struct names *ix = sc->ix;
    const struct nq *q = sc->q;
    if (rank_lb >= NO_RANK)
        return;
    while (p < end) {
        uint32_t idx = *p >> 8;
        const struct nrec *r = &ix->rec[idx];
        unsigned cls = !start                      ? NAMES_SUBSTRING
                       : r->len <= q->n + MAXSTRIP ? NAMES_EXACT
                                                   : NAMES_PREFIX;
        if (hit_key(cls, rank_lb, idx) >= worst(sc)) /* bounds only grow along a segment */
            return;
        const uint32_t *g = p;
        while (p < end && *p >> 8 == idx)
            p++;
        if (!(sc->gmask >> r->group & 1))
            continue;
        if (start && r->mincore > q->n && hit_key(NAMES_PREFIX, rank_lb, idx) >= worst(sc))
            continue;
        uint64_t best = UINT64_MAX;
        for (; g < p; g++) {
            unsigned pos = *g & 0xFF;
            if (pos < shift || (!start && pos == shift))
                continue;
            uint64_t k = verify(ix, q, idx, pos - shift);
            best = k < best ? k : best;
        }
        if (best != UINT64_MAX)
            consider(sc, best);
    }
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

/* a query starting with non-letters: prefixes from the first unit, substrings from the rarest
 * leading non-letter unit */
static void search_symbols(struct scan *sc)
{
    const struct nq *q = sc->q;
    const uint32_t *post = sc->ix->post;
    const struct nkey *k0 = find_key(sc->ix, q->u[0]), *ka = k0;
    unsigned shift = 0;
    if (!k0)
        return;
    for (unsigned j = 1; j < q->n && !q->letter[j]; j++) {
        const struct nkey *k = find_key(sc->ix, q->u[j]);
        if (!k)
            return; /* a character no name holds */
        if (k->seg[4] - k->seg[0] < ka->seg[4] - ka->seg[0]) {
            ka = k;
            shift = j;
        }
    }
    unsigned r = (unsigned)q->kind;
    scan_seg(sc, post + k0->seg[0], post + k0->seg[1], 0, true, r);
    scan_seg(sc, post + ka->seg[shift ? 0 : 2], post + ka->seg[4], shift, false, r);
}

static void search_letters(struct scan *sc)
{
    const struct names *ix = sc->ix;
    const struct nq *q = sc->q;
    bool two = q->n > 1 && q->letter[1];
    const struct nkey *k =
        find_key(ix, two ? KEY_L2(fl(q->u[0]), fl(q->u[1])) : KEY_L1(fl(q->u[0])));
    if (!k)
        return;
    unsigned ra = (unsigned)q->kind, rb = ra;
    if (q->kind < 0) {
        ra = rank_bound(ix, q, 0, 1 << 3);
        rb = two ? rank_bound(ix, q, 1, ix->tr[1 << 3][2][1]) : NO_RANK;
    }
    const uint32_t *post = ix->post;
    scan_seg(sc, post + k->seg[0], post + k->seg[1], 0, true, ra);
    scan_seg(sc, post + k->seg[1], post + k->seg[2], 0, true, rb);
    scan_seg(sc, post + k->seg[2], post + k->seg[3], 0, false, ra);
    scan_seg(sc, post + k->seg[3], post + k->seg[4], 0, false, rb);
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
    enum geod_err rc = parse_query(q, qlen, &nq);
    if (rc)
        return rc;
    if (limit > NAMES_MAX_LIMIT)
        return GEOD_ERANGE;
    if (limit == 0)
        return GEOD_OK;
    uint64_t heap[NAMES_MAX_LIMIT];
    struct scan sc = {ix, &nq, group_mask, accept, udata, heap, 0, limit};
    if (nq.letter[0])
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

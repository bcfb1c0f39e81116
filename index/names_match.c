/* names_match.c - what a query is and how it matches one name (the rules are in names.h): the
 * query's normalization, the syllables its letters may spell, the best rank it could reach, the
 * ways a piece may begin at a query unit (the keys of names_impl.h), and the verification of a
 * candidate. names_search.c finds the candidates; names.c builds the index.
 *
 * Verification is a DP over (name position, query position) whose cells hold sets of match
 * states. For letter-only queries st = 3 * all_initials + max_cost: a letter piece costs 0
 * (preferred reading, in full or as the prefix that ends the query), 1 (another reading) or
 * 2 (an initial not at the end); all_initials says every piece so far was an initial or a name
 * letter. At the end the rank is 5 if all_initials, else 2 + max_cost. A piece's effect on the
 * states is one or more (cost, initial) pairs, bit EFF(cost, initial) of struct opt.eff. */
#include "index/names_impl.h"
#include "index/utf8.h"

#include <string.h>

/* ---- the query ---- */

enum geod_err names_query_parse(const char *s, size_t len, struct nq *q)
{
    q->n = 0;
    if (!utf8_valid(s, len))
        return GEOD_EINVAL;
    size_t b = len, e = 0; /* the trimmed range */
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t k = utf8_decode(s + i, len - i, &c);
        if (is_control(c))
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

/* lo[][], hi[][], full[][]: each step narrows the range of syllables that share the letters so
 * far (fsyl[] is sorted and NUL-padded, so the one that ends here comes first) */
static void syllable_ranges(const struct names *ix, struct nq *q)
{
    for (unsigned j = 0; j < q->n; j++) {
        if (!q->letter[j])
            continue;
        size_t lo = 0, hi = ix->nfsyl;
        for (unsigned l = 1; l <= PINYIN_MAX_SYLLABLE; l++) {
            if (j + l > q->segend[j]) {
                lo = hi;
            } else {
                unsigned char c = q->u[j + l - 1] == 'v' ? 'u' : (unsigned char)q->u[j + l - 1];
                size_t a = lo, z = hi;
                while (a < z) { /* the first whose letter l is >= c */
                    size_t m = a + (z - a) / 2;
                    if ((unsigned char)ix->fsyl[m][l - 1] < c)
                        a = m + 1;
                    else
                        z = m;
                }
                for (z = a; z < hi && (unsigned char)ix->fsyl[z][l - 1] == c;)
                    z++;
                lo = a;
                hi = z;
            }
            q->lo[j][l] = (uint16_t)lo;
            q->hi[j][l] = (uint16_t)hi;
            q->full[j][l] = lo < hi && ix->fsyl[lo][l] == '\0';
        }
    }
}

static unsigned st_rank(unsigned st)
{
    return st < 3 ? 2 + st : 5;
}

static unsigned st_step(unsigned st, unsigned cost, unsigned init)
{
    return (st >= 3 && init) * 3 + (st % 3 > cost ? st % 3 : cost);
}

static bool is_zcs_h(const struct nq *q, unsigned j) /* units j, j+1 are zh, ch or sh */
{
    return (q->u[j] == 'z' || q->u[j] == 'c' || q->u[j] == 's') && q->u[j + 1] == 'h';
}

/* best[][] for a letter-only query, from the end: what the verification DP (verify below) could
 * reach if every syllable were a reading of every character, at cost 0 */
static void rank_table(const struct names *ix, struct nq *q)
{
    for (unsigned st = 0; st < 6; st++)
        q->best[q->n][st] = (uint8_t)st_rank(st);
    for (unsigned j = q->n; j-- > 0;) {
        for (unsigned st = 0; st < 6; st++) {
            unsigned b = NO_RANK, room = q->segend[j] - j, r;
#define TAKE(x) (r = (x), b = r < b ? r : b)
            if (ix->ascii >> (q->u[j] - 'a') & 1) /* a letter of a name */
                TAKE(q->best[j + 1][st]);
            for (unsigned l = 1; l <= PINYIN_MAX_SYLLABLE && l <= room; l++) {
                if (q->lo[j][l] == q->hi[j][l])
                    break;
                bool last = j + l == q->n, init = l == 1 || (l == 2 && is_zcs_h(q, j));
                if (q->full[j][l] && ix->used[q->lo[j][l] / 8] >> q->lo[j][l] % 8 & 1)
                    TAKE(q->best[j + l][st_step(st, 0, 0)]);
                if (init)
                    TAKE(q->best[j + l][st_step(st, last ? 0 : 2, 1)]);
                else if (last)
                    TAKE(q->best[j + l][st_step(st, 0, 0)]);
            }
#undef TAKE
            q->best[j][st] = (uint8_t)b;
        }
    }
}

/* mnp[], mxp[]: the pieces the units from j on may take, fewest and most (a DP from the end) */
static void piece_counts(const struct names *ix, struct nq *q)
{
    uint8_t *mn = q->mnp, *mx = q->mxp; /* mx 0: no way */
    mn[q->n] = mx[q->n] = 0;
    for (unsigned j = q->n; j-- > 0;) {
        mn[j] = UINT8_MAX;
        mx[j] = 0;
        for (unsigned l = 1; l <= (q->letter[j] ? PINYIN_MAX_SYLLABLE : 1); l++) {
            bool ok = !q->letter[j];
            if (q->letter[j] && j + l <= q->segend[j] && q->lo[j][l] < q->hi[j][l])
                ok = l == 1 || q->full[j][l] || (l == 2 && is_zcs_h(q, j)) || j + l == q->n;
            if (l == 1 && q->letter[j] && ix->ascii >> (q->u[j] - 'a') & 1)
                ok = true;
            if (!ok || (j + l < q->n && mx[j + l] == 0))
                continue;
            mn[j] = mn[j + l] + 1 < mn[j] ? (uint8_t)(mn[j + l] + 1) : mn[j];
            mx[j] = mx[j + l] + 1 > mx[j] ? (uint8_t)(mx[j + l] + 1) : mx[j];
        }
    }
}

/* after names_query_parse: the syllable ranges, the piece counts and, for a letter-only query,
 * best[][] */
void names_query_prepare(const struct names *ix, struct nq *q)
{
    syllable_ranges(ix, q);
    piece_counts(ix, q);
    if (q->kind < 0)
        rank_table(ix, q);
}

unsigned names_rank_of(const struct nq *q, uint8_t states)
{
    if (q->kind >= 0)
        return (unsigned)q->kind;
    for (unsigned st = 0; st < 3; st++)
        if (states >> st & 1)
            return 2 + st;
    return states ? 5 : NO_RANK;
}

uint8_t names_apply(const struct names *ix, uint8_t states, uint8_t eff)
{
    uint8_t out = 0;
    for (unsigned b = 0; b < 6; b++)
        if (eff >> b & 1)
            out |= ix->tr[states][b % 3][b / 3];
    return out;
}

unsigned names_rank_bound(const struct nq *q, unsigned j, uint8_t states)
{
    if (q->kind >= 0)
        return (unsigned)q->kind;
    unsigned r = NO_RANK;
    for (unsigned st = 0; st < 6; st++)
        if (states >> st & 1 && q->best[j][st] < r)
            r = q->best[j][st];
    return r;
}

/* ---- the ways a piece may begin ---- */

size_t names_query_opts(const struct names *ix, const struct nq *q, unsigned j, struct opt *o)
{
    size_t n = 0;
    if (!q->letter[j]) {
        o[n++] = (struct opt){q->u[j], 1, EFF(0, 1)};
        return n;
    }
    unsigned a = fl(q->u[j]), room = q->segend[j] - j;
    for (unsigned l = 1; l <= PINYIN_MAX_SYLLABLE && l <= room; l++) {
        unsigned lo = q->lo[j][l], hi = q->hi[j][l];
        if (lo == hi)
            break;
        bool last = j + l == q->n, nl = !last && q->letter[j + l];
        unsigned b = nl ? fl(q->u[j + l]) : 0;
        for (unsigned c = 0; c < 2 && q->full[j][l]; c++) /* a whole reading, preferred or not */
            o[n++] = (struct opt){nl ? KEY_SYLN(lo, c, b) : KEY_SYL(lo, c), (uint8_t)l, EFF(c, 0)};
        if (l == 1) { /* an initial, or any reading's first letter at the end */
            uint8_t eff = last ? EFF(0, 1) : EFF(2, 1); /* a whole reading of one letter: above */
            o[n++] = (struct opt){nl ? KEY_INITN(a, b) : KEY_INIT(a), 1, eff};
        } else if (l == 2 && is_zcs_h(q, j)) {
            unsigned x = a == 'z' - 'a' ? 0 : a == 'c' - 'a' ? 1 : 2;
            o[n++] = (struct opt){nl ? KEY_IZN(x, b) : KEY_IZ(x), 2, last ? EFF(0, 1) : EFF(2, 1)};
        } else if (last) { /* the start of a reading, ending the query: every reading it begins */
            for (unsigned f = lo + q->full[j][l]; f < hi && n + 5 < MAX_OPTS; f++)
                for (unsigned c = 0; c < 2; c++)
                    o[n++] = (struct opt){KEY_SYL(f, c), (uint8_t)l, EFF(c, 0)};
        }
    }
    if (ix->ascii >> (q->u[j] - 'a') & 1) { /* a letter of a name */
        bool nl = j + 1 < q->n && q->letter[j + 1];
        o[n++] = (struct opt){nl ? KEY_LETN(a, fl(q->u[j + 1])) : KEY_LET(a), 1, EFF(0, 1)};
    }
    return n;
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

uint64_t names_verify(const struct names *ix, const struct nq *q, uint32_t idx, unsigned s)
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
            uint64_t k = hit_key(cls, names_rank_of(q, nxt[q->n]), idx);
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

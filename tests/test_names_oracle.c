/* test_names_oracle.c - index/names*.c against a brute-force oracle: the 3,702 Wuhan division
 * names with 1,000 random queries made from random names (Chinese substrings, full pinyin with
 * random spacing, case, tone marks and tone numbers, u for v, initials, mixes of Chinese and
 * pinyin, cut-off last syllables, split syllables, stray letters, too long), then 5,000 generated
 * places and companies (letters, digits, odd readings, long shared endings) with 800 more. Each
 * query is answered by the index (all hits, and a random limit and group mask) and by this file's
 * own reading of the rules in names.h: its own UTF-8 decoding, query normalization, suffix rule
 * and a memoized match over (name position, query position) that shares no code with
 * names_search.c or names_match.c, only the pinyin table. Every hit must agree: the same ids in
 * the same order, class, rank and score. */
#include "tests/t.h"

#include "data/pinyin_data.h"
#include "index/names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define QUERIES 1000
#define INIT 4 /* a piece's flag: an initial (or a letter of the name) */

static struct pinyin_table *tab;
static struct pinyin_overrides *ovr;

/* ---- the names ---- */

struct orc { /* one reading of a name character, as the oracle keeps it */
    char s[8];
    uint8_t len, cost; /* cost 0: the preferred reading, 1: another */
};

struct oname {
    uint32_t id, group;
    size_t len;       /* code points, folded */
    uint32_t *c;      /* [len] folded code points */
    struct orc **rd;  /* [len] readings, preferred first */
    uint8_t *nrd;     /* [len] */
    uint32_t *firsts; /* [len] bit a: some reading starts with 'a' + a */
    bool *exact;      /* [len + 1] exact[e]: c[0..e) is an exact form */
    char *text;       /* the name as given */
};

static struct oname *nm;
static size_t nnm;
static struct names_entry *ents;
static const char *const *sfx = names_place_suffixes; /* the suffix list of the names */

static bool o_space(uint32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0 || c == 0x3000;
}

static bool o_apos(uint32_t c)
{
    return c == '\'' || c == 0x2018 || c == 0x2019 || c == 0xFF07;
}

static bool o_tone(uint32_t c)
{
    return (c >= 0x300 && c <= 0x36F) || c == 0x2C9 || c == 0x2CA || c == 0x2C7 || c == 0x2CB ||
           c == 0x2D9;
}

static uint32_t o_fold(uint32_t c)
{
    int l = pinyin_fold_latin(c);
    return l ? (uint32_t)l : c >= 0xFF01 && c <= 0xFF5E ? c - 0xFEE0 : c;
}

static bool o_letter(uint32_t c)
{
    return c >= 'a' && c <= 'z';
}

/* strict UTF-8, written again here: s[0..n) into cps (at most cap); -1 if invalid */
static long o_decode(const char *s, size_t n, uint32_t *cps, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        const unsigned char *p = (const unsigned char *)s + i;
        unsigned len = p[0] < 0x80                   ? 1
                       : p[0] >= 0xC2 && p[0] < 0xE0 ? 2
                       : p[0] >= 0xE0 && p[0] < 0xF0 ? 3
                       : p[0] >= 0xF0 && p[0] < 0xF5 ? 4
                                                     : 0;
        if (!len || i + len > n)
            return -1;
        uint32_t c = len == 1 ? p[0] : p[0] & (0x7Fu >> len);
        for (unsigned j = 1; j < len; j++) {
            if ((p[j] & 0xC0) != 0x80)
                return -1;
            c = c << 6 | (p[j] & 0x3Fu);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return -1;
        if (k < cap)
            cps[k] = c;
        i += len;
    }
    return (long)k;
}

static size_t o_encode(uint32_t c, char *out)
{
    size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t i = n; i-- > 1; c >>= 6)
        out[i] = (char)(0x80 | (c & 0x3F));
    out[0] = (char)(lead[n] | c);
    return n;
}

/* marks the exact forms of c[0..len) after `gone` code points were stripped (names.h) */
static void o_cores(struct oname *o, size_t len, size_t gone)
{
    for (size_t k = 0; sfx[k]; k++) {
        uint32_t c[8];
        long sl = o_decode(sfx[k], strlen(sfx[k]), c, 8);
        if (sl < 1 || gone + (size_t)sl > 7 || len < (size_t)sl + 2)
            continue;
        if (memcmp(o->c + len - (size_t)sl, c, (size_t)sl * sizeof *c) == 0) {
            o->exact[len - (size_t)sl] = true;
            o_cores(o, len - (size_t)sl, gone + (size_t)sl);
        }
    }
}

static void o_name(struct oname *o, const char *text)
{
    uint32_t raw[512], pref[512];
    long n = o_decode(text, strlen(text), raw, 512);
    o->text = strdup(text);
    o->c = calloc((size_t)n + 1, sizeof *o->c);
    for (long i = 0; i < n; i++)
        if (!o_space(raw[i]) && !o_apos(raw[i]) && !o_tone(raw[i]))
            o->c[o->len++] = o_fold(raw[i]);
    uint16_t *pf = calloc(o->len + 1, sizeof *pf);
    pinyin_preferred(tab, ovr, o->c, o->len, pf);
    o->rd = calloc(o->len + 1, sizeof *o->rd);
    o->nrd = calloc(o->len + 1, 1);
    o->firsts = calloc(o->len + 1, sizeof *o->firsts);
    o->exact = calloc(o->len + 1, sizeof *o->exact);
    for (size_t i = 0; i < o->len; i++) {
        const uint16_t *ids;
        size_t k = pinyin_readings(tab, o->c[i], &ids);
        o->rd[i] = calloc(k + 2, sizeof **o->rd);
        if (pf[i] != PINYIN_NONE)
            pref[o->nrd[i]++] = pf[i];
        for (size_t j = 0; j < k; j++)
            if (ids[j] != pf[i])
                pref[o->nrd[i]++] = ids[j];
        for (size_t j = 0; j < o->nrd[i]; j++) {
            struct orc *r = &o->rd[i][j];
            snprintf(r->s, sizeof r->s, "%s", pinyin_syllable(tab, (uint16_t)pref[j], NULL));
            r->len = (uint8_t)strlen(r->s);
            r->cost = j > 0 || pf[i] == PINYIN_NONE;
            o->firsts[i] |= 1u << (r->s[0] - 'a');
        }
    }
    free(pf);
    o->exact[o->len] = o->len > 0;
    o_cores(o, o->len, 0);
}

/* ---- the query ---- */

struct oq {
    uint32_t u[NAMES_MAX_QUERY];
    bool letter[NAMES_MAX_QUERY], brk[NAMES_MAX_QUERY]; /* brk: a separator before unit j */
    size_t n;
    int kind; /* 0 no letters, 1 letters and other units, -1 letters only */
};

static enum geod_err o_parse(const char *s, size_t len, struct oq *q)
{
    static uint32_t c[4096];
    long n = o_decode(s, len, c, 4096);
    if (n < 0)
        return GEOD_EINVAL;
    for (long i = 0; i < n; i++)
        if ((c[i] < 0x20 && !o_space(c[i])) || (c[i] >= 0x7F && c[i] < 0xA0 && !o_space(c[i])))
            return GEOD_EINVAL;
    long b = 0, e = n;
    while (b < e && o_space(c[b]))
        b++;
    while (e > b && o_space(c[e - 1]))
        e--;
    if (e - b > NAMES_MAX_QUERY)
        return GEOD_ERANGE;
    bool sep = false, after_letter = false, letters = false, others = false;
    q->n = 0;
    for (long i = b; i < e; i++) {
        if (o_space(c[i]) || o_apos(c[i])) {
            sep = true;
            after_letter = false;
            continue;
        }
        if (o_tone(c[i]))
            continue;
        uint32_t u = o_fold(c[i]);
        if (after_letter && u >= '0' && u <= '9') { /* tone numbers: jiang1han4 */
            sep = true;
            continue;
        }
        q->u[q->n] = u;
        q->letter[q->n] = o_letter(u);
        q->brk[q->n] = sep && q->n > 0 && q->letter[q->n] && q->letter[q->n - 1];
        letters |= q->letter[q->n];
        others |= !q->letter[q->n];
        after_letter = q->letter[q->n];
        sep = false;
        q->n++;
    }
    q->kind = !letters ? 0 : others ? 1 : -1;
    return q->n ? GEOD_OK : GEOD_EINVAL;
}

/* ---- matching ---- */

/* query units j..j+l as one piece for character i of o: -1, or cost | INIT */
static int o_piece(const struct oname *o, size_t i, const struct oq *q, size_t j, size_t l)
{
    uint32_t c = o->c[i];
    if (!q->letter[j] || o_letter(c))
        return l == 1 && q->u[j] == c ? INIT : -1;
    if (!(o->firsts[i] >> (q->u[j] - 'a') & 1))
        return -1;
    for (size_t k = 1; k < l; k++)
        if (!q->letter[j + k] || q->brk[j + k])
            return -1;
    bool at_end = j + l == q->n, full = false, initial = false;
    int cost = 3;
    for (size_t r = 0; r < o->nrd[i]; r++) {
        const struct orc *y = &o->rd[i][r];
        size_t m = 0;
        while (m < l && m < y->len &&
               (q->u[j + m] == (uint32_t)y->s[m] || (q->u[j + m] == 'u' && y->s[m] == 'v')))
            m++;
        if (m == l && y->len == l) {
            full = true;
            cost = cost < y->cost ? cost : y->cost;
        } else if (m == l && at_end) {
            cost = cost < y->cost ? cost : y->cost;
        }
        bool zcs = y->len >= 2 && y->s[1] == 'h' && strchr("zcs", y->s[0]);
        if ((l == 1 && m == 1) || (l == 2 && m == 2 && zcs))
            initial = true;
    }
    if (cost == 3 && initial && !at_end)
        cost = 2;
    if (cost == 3)
        return -1;
    return cost | (initial && !full ? INIT : 0);
}

/* memo of f(i, j): for each end e, the set of (cost, all initials) of the ways to match query
 * units j.. with name characters i..e-1, as bits cost + 3 * all_initials */
static uint8_t pool[256 * (NAMES_MAX_QUERY + 1) * 257];
static uint32_t stamp[256 * (NAMES_MAX_QUERY + 1)], gen;

static const uint8_t *o_f(const struct oname *o, const struct oq *q, size_t i, size_t j)
{
    size_t cell = i * (q->n + 1) + j;
    uint8_t *m = pool + cell * (o->len + 1);
    if (stamp[cell] == gen)
        return m;
    stamp[cell] = gen;
    memset(m, 0, o->len + 1);
    for (size_t l = 1; l <= 6 && j + l <= q->n; l++) {
        int p = o_piece(o, i, q, j, l);
        if (p < 0)
            continue;
        unsigned cost = (unsigned)p & 3, init = (unsigned)p >> 2;
        if (j + l == q->n) {
            m[i + 1] |= (uint8_t)(1u << (cost + 3 * init));
            continue;
        }
        if (i + 1 == o->len)
            continue;
        const uint8_t *r = o_f(o, q, i + 1, j + l);
        for (size_t e = i + 2; e <= o->len; e++)
            for (unsigned b = 0; b < 6; b++)
                if (r[e] >> b & 1) {
                    unsigned c2 = b % 3 > cost ? b % 3 : cost, i2 = b / 3 && init;
                    m[e] |= (uint8_t)(1u << (c2 + 3 * i2));
                }
    }
    return m;
}

struct ohit {
    uint64_t score;
    unsigned cls, rank;
};

/* the best (class, rank) of o for q, as a score; false if it does not match */
static bool o_match(const struct oname *o, const struct oq *q, struct ohit *h)
{
    bool any = false;
    unsigned best = 99;
    gen++;
    for (size_t s = 0; s < o->len; s++) {
        const uint8_t *m = o_f(o, q, s, 0);
        for (size_t e = s + 1; e <= o->len; e++) {
            if (!m[e])
                continue;
            unsigned cls = s ? NAMES_SUBSTRING : o->exact[e] ? NAMES_EXACT : NAMES_PREFIX;
            unsigned rank = 5;
            if (q->kind >= 0)
                rank = (unsigned)q->kind;
            else
                for (unsigned c = 3; c-- > 0;)
                    if (m[e] >> c & 1)
                        rank = 2 + c;
            if (cls * 8 + rank < best)
                best = cls * 8 + rank;
            any = true;
        }
    }
    if (any) {
        h->cls = best / 8;
        h->rank = best % 8;
        h->score =
            (uint64_t)h->cls << 44 | (uint64_t)h->rank << 40 | (uint64_t)o->len << 32 | o->id;
    }
    return any;
}

static int cmp_ohit(const void *a, const void *b)
{
    const struct ohit *x = a, *y = b;
    return x->score < y->score ? -1 : x->score > y->score;
}

/* every hit of q over all names, sorted as names.h ranks them; the count, or -1 and *rc */
static long o_search(const char *qs, size_t qlen, struct ohit *out, enum geod_err *rc)
{
    struct oq q;
    *rc = o_parse(qs, qlen, &q);
    if (*rc)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < nnm; i++)
        if (o_match(&nm[i], &q, &out[n]))
            n++;
    qsort(out, n, sizeof *out, cmp_ohit);
    return (long)n;
}

/* ---- loading ---- */

static void add_name(const char *text, uint32_t group)
{
    nm[nnm].id = (uint32_t)nnm;
    nm[nnm].group = group;
    o_name(&nm[nnm], text);
    ents[nnm] = (struct names_entry){(uint32_t)nnm, nm[nnm].text, group};
    nnm++;
}

static bool load_divisions(void)
{
    FILE *f = fopen("data/wuhan/wuhan_divisions.csv", "r");
    if (!f)
        return false;
    char line[1024];
    nm = calloc(4000, sizeof *nm);
    ents = calloc(4000, sizeof *ents);
    static const char *const levels[] = {"city", "district", "street", "community"};
    while (fgets(line, sizeof line, f) && nnm < 4000) {
        char *col[6] = {line};
        for (int k = 1; k < 6 && col[k - 1]; k++)
            if ((col[k] = strchr(col[k - 1], ',')))
                *col[k]++ = '\0';
        if (!col[5] || strcmp(col[0], "code") == 0)
            continue;
        uint32_t g = 4;
        for (uint32_t k = 0; k < 4; k++)
            if (strcmp(col[2], levels[k]) == 0)
                g = k;
        add_name(col[4], g);
    }
    fclose(f);
    return nnm == 3702;
}

static void unload_names(void)
{
    for (size_t i = 0; i < nnm; i++) {
        for (size_t k = 0; k < nm[i].len; k++)
            free(nm[i].rd[k]);
        free(nm[i].rd);
        free(nm[i].nrd);
        free(nm[i].c);
        free(nm[i].firsts);
        free(nm[i].exact);
        free(nm[i].text);
    }
    free(nm);
    free(ents);
    nm = NULL;
    ents = NULL;
    nnm = 0;
}

/* ---- random queries ---- */

static uint64_t rs = 20240601;

static uint64_t rnd(uint64_t n)
{
    uint64_t z = (rs += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) % n;
}

struct qb {
    char s[1024];
    size_t n;
};

static void put(struct qb *b, const char *s, size_t n)
{
    if (b->n + n < sizeof b->s) {
        memcpy(b->s + b->n, s, n);
        b->n += n;
    }
}

static void put_cp(struct qb *b, uint32_t c)
{
    char u[4];
    put(b, u, o_encode(c, u));
}

/* one reading written as people type it: case, tone marks (precomposed or combining) */
static void put_syllable(struct qb *b, const char *s, size_t len)
{
    static const char *const marked[6][4] = {
        {"ā", "á", "ǎ", "à"}, {"ē", "é", "ě", "è"}, {"ī", "í", "ǐ", "ì"},
        {"ō", "ó", "ǒ", "ò"}, {"ū", "ú", "ǔ", "ù"}, {"ǖ", "ǘ", "ǚ", "ǜ"},
    };
    static const uint32_t comb[4] = {0x304, 0x301, 0x30C, 0x300};
    unsigned style = (unsigned)rnd(20), tone = (unsigned)rnd(4), casing = (unsigned)rnd(10);
    size_t mark = len; /* the letter that carries a tone mark */
    if (style < 4) {
        const char *v = "aeoiuv";
        for (const char *p = v; *p && mark == len; p++) {
            const char *at = memchr(s, *p, len);
            mark = at ? (size_t)(at - s) : len;
        }
    }
    size_t split = rnd(30) == 0 && len > 1 ? 1 + rnd(len - 1) : len; /* "jia ng": no match */
    for (size_t i = 0; i < len; i++) {
        if (i == split)
            put(b, " ", 1);
        if (i == mark && style < 2) {
            const char *m = marked[strchr("aeiouv", s[i]) - "aeiouv"][tone];
            put(b, m, strlen(m));
            continue;
        }
        char c = s[i] == 'v' && casing > 5 ? 'u' : s[i]; /* lu for lv */
        if (casing == 0 || (casing == 1 && i == 0))
            c = (char)(c - 'a' + 'A');
        if (casing == 2)
            put_cp(b, 0xFF41 + (uint32_t)(c - 'a')); /* full width */
        else
            put(b, &c, 1);
        if (i == mark)
            put_cp(b, comb[tone]);
    }
}

/* between two pieces of letters: nothing, a space, an apostrophe, a tone number */
static void put_sep(struct qb *b)
{
    static const char *const seps[] = {"", "", "", " ", " ", "'", "1", "4", "\xe3\x80\x80", "  "};
    const char *s = seps[rnd(sizeof seps / sizeof seps[0])];
    put(b, s, strlen(s));
}

/* a random query made from name o; *what says how */
static void make_query(const struct oname *o, struct qb *b, const char **what)
{
    static const char *const kinds[] = {"hanzi",    "hanzi", "pinyin", "pinyin",
                                        "initials", "mixed", "cut",    "letters"};
    unsigned kind = (unsigned)rnd(8);
    size_t s = rnd(5) < 2 ? 0 : rnd(o->len), k = 1 + rnd(o->len - s < 8 ? o->len - s : 8);
    if (rnd(4) == 0)
        k = o->len - s;
    b->n = 0;
    *what = kinds[kind];
    if (rnd(10) == 0)
        put(b, " ", 1);
    if (kind == 7) {
        static const char letters[] = "abcdefghjklmnopqrstuwxyz";
        for (size_t i = 0, n = 1 + rnd(4); i < n; i++)
            put(b, &letters[rnd(sizeof letters - 1)], 1);
        return;
    }
    bool prev_letter = false;
    for (size_t i = s; i < s + k; i++) {
        unsigned how = kind <= 1 ? 0 : kind == 4 ? 2 : kind == 5 ? (unsigned)rnd(3) : 1;
        if (o->nrd[i] == 0 || how == 0) { /* the character itself */
            put_cp(b, o->c[i]);
            prev_letter = o_letter(o->c[i]);
            continue;
        }
        const struct orc *r = &o->rd[i][rnd(10) < 7 ? 0 : rnd(o->nrd[i])];
        size_t len = r->len;
        if (how == 2 && rnd(10)) /* an initial, zh ch sh as one or two letters */
            len = r->len > 2 && r->s[1] == 'h' && strchr("zcs", r->s[0]) && rnd(2) ? 2 : 1;
        if (kind == 6 && i + 1 == s + k)
            len = 1 + rnd(len);
        if (prev_letter)
            put_sep(b);
        put_syllable(b, r->s, len);
        prev_letter = true;
    }
    if (rnd(10) == 0)
        put(b, "\t ", 2);
    if (rnd(50) == 0) /* too long, most likely */
        for (size_t n = b->n, r = 0; r < 8; r++)
            put(b, b->s, n);
}

/* ---- the comparison ---- */

struct stats {
    size_t queries, errors, empty, hits[3], mismatches;
};

static const char *show(const char *s, size_t n)
{
    static char buf[1100];
    snprintf(buf, sizeof buf, "%.*s", (int)n, s);
    return buf;
}

/* the index's answer to q (group_mask, limit) against the oracle's hits o[0..no) */
static bool compare(const struct names *ix, const struct qb *q, uint32_t mask, size_t limit,
                    const struct ohit *o, long no, enum geod_err orc, struct stats *st)
{
    static struct names_hit h[NAMES_MAX_LIMIT];
    static struct ohit want[NAMES_MAX_LIMIT];
    size_t n = 99, nw = 0;
    enum geod_err rc = names_search(ix, q->s, q->n, mask, NULL, NULL, limit, h, &n);
    if (no < 0) {
        T_CHECKF(rc == orc && n == 0, "\"%s\": rc %d, oracle %d", show(q->s, q->n), rc, orc);
        return rc == orc;
    }
    for (long i = 0; i < no && nw < limit; i++)
        if (mask >> nm[o[i].score & 0xFFFFFFFF].group & 1)
            want[nw++] = o[i];
    bool same = rc == GEOD_OK && n == nw;
    for (size_t i = 0; same && i < n; i++) {
        const struct ohit *w = &want[i];
        unsigned how = w->rank == 0   ? NAMES_HANZI
                       : w->rank == 1 ? NAMES_MIXED
                       : w->rank == 5 ? NAMES_INITIALS
                                      : NAMES_PINYIN;
        same = h[i].score == w->score && h[i].id == (uint32_t)w->score && h[i].cls == w->cls &&
               h[i].rank == w->rank && h[i].how == how && h[i].len == nm[h[i].id].len;
        if (!same) {
            T_CHECKF(false,
                     "\"%s\" limit %zu mask %x: hit %zu is %s (cls %u rank %u), oracle %s "
                     "(cls %u rank %u)",
                     show(q->s, q->n), limit, (unsigned)mask, i, nm[h[i].id].text, h[i].cls,
                     h[i].rank, nm[(uint32_t)w->score].text, w->cls, w->rank);
        }
    }
    if (rc != GEOD_OK || n != nw)
        T_CHECKF(false, "\"%s\" limit %zu mask %x: rc %d, %zu hits, oracle %zu%s%s",
                 show(q->s, q->n), limit, (unsigned)mask, rc, n, nw, nw ? ", first " : "",
                 nw ? nm[(uint32_t)want[0].score].text : "");
    if (limit == NAMES_MAX_LIMIT && mask == NAMES_ALL_GROUPS)
        for (size_t i = 0; i < nw; i++)
            st->hits[want[i].cls]++;
    st->mismatches += !same;
    return same;
}

/* 1000 (or n) random queries against the index of the names loaded, built with suffixes sfx */
static void run_oracle(const char *label, size_t nq, size_t min_hits)
{
    struct names *ix;
    T_CHECK(names_new(ents, nnm, tab, ovr, sfx, &ix) == GEOD_OK);
    if (!ix)
        return;
    struct ohit *o = malloc(nnm * sizeof *o);
    struct stats st = {0};
    size_t by_kind[8] = {0};
    static const char *const kinds[] = {"hanzi", "pinyin", "initials", "mixed", "cut", "letters"};
    for (size_t k = 0; k < nq; k++) {
        struct qb q;
        const char *what;
        make_query(&nm[rnd(nnm)], &q, &what);
        for (size_t i = 0; i < 6; i++)
            by_kind[i] += strcmp(what, kinds[i]) == 0;
        enum geod_err orc;
        long no = o_search(q.s, q.n, o, &orc);
        st.queries++;
        st.errors += no < 0;
        st.empty += no == 0;
        compare(ix, &q, NAMES_ALL_GROUPS, NAMES_MAX_LIMIT, o, no, orc, &st);
        uint32_t mask = rnd(2) ? NAMES_ALL_GROUPS : (uint32_t)(1 + rnd(15));
        compare(ix, &q, mask, 1 + rnd(12), o, no, orc, &st);
    }
    printf("  oracle, %s: %zu names, %zu queries (%zu hanzi, %zu pinyin, %zu initials, %zu mixed, "
           "%zu cut, %zu letters), %zu refused, %zu without hits; hits compared: %zu exact, "
           "%zu prefix, %zu substring; %zu answers differ\n",
           label, nnm, st.queries, by_kind[0], by_kind[1], by_kind[2], by_kind[3], by_kind[4],
           by_kind[5], st.errors, st.empty, st.hits[0], st.hits[1], st.hits[2], st.mismatches);
    T_CHECK(st.hits[0] > min_hits && st.hits[1] > min_hits && st.hits[2] > min_hits);
    free(o);
    names_free(ix);
}

/* the 3,702 divisions, with the place-name suffixes */
static void test_oracle_divisions(void)
{
    sfx = names_place_suffixes;
    if (!load_divisions()) {
        T_CHECKF(false, "cannot read data/wuhan/wuhan_divisions.csv");
        return;
    }
    run_oracle("divisions", QUERIES, 500);
    unload_names();
}

/* 5,000 names that are not divisions: 2,000 places and shops with letters, digits, full width,
 * spaces and apostrophes, characters of several readings or of one letter, v in readings; then
 * 3,000 company names with the long shared endings that make posting lists long */
static void test_oracle_mixed(void)
{
    static const char *const own[] = {"股份有限公司", "有限责任公司", "有限公司", "公司",
                                      "福利厂",       "合作社",       "厂",       "社区",
                                      "村委会",       "街道",         NULL};
    static const char chars[] = "武汉江岸硚口阳昌青山洪东西湖蔡甸夏黄陂新洲科技商贸实业餐饮物流"
                                "建材服装印刷包装电子机械食品福利长行重乐都沌奓阿鹅儿哦嗯绿女吕律"
                                "略虐区单仇朴解曾查佛会中正山水石家庄张";
    static const char *const odd[] = {"ABC", "3M", "Ｋ１", "e", "St. John's ", "Ｏ２Ｏ",
                                      "1号", "（", "）",   "·", "-",           " ",
                                      "'",   "Lǜ", "A",    "x"};
    static const char *const tail[] = {"有限公司",     "公司",
                                       "福利厂",       "厂",
                                       "社区",         "村委会",
                                       "街道",         "",
                                       "有限责任公司", "股份有限公司",
                                       "工作室",       "合作社",
                                       "科技有限公司", "商贸有限责任公司"};
    enum { N = 5000, PLACES = 2000 };
    nm = calloc(N, sizeof *nm);
    ents = calloc(N, sizeof *ents);
    sfx = own;
    size_t nchars = (sizeof chars - 1) / 3;
    for (size_t i = 0; i < N; i++) {
        char b[256];
        size_t o = 0;
        if (i >= PLACES) /* a company */
            o += (size_t)snprintf(b, sizeof b, "%s", rnd(2) ? "武汉" : rnd(2) ? "湖北" : "");
        else if (rnd(5) == 0)
            o += (size_t)snprintf(b + o, sizeof b - o, "%s", odd[rnd(16)]);
        for (size_t k = 0, n = 1 + rnd(5); k < n; k++) {
            memcpy(b + o, chars + 3 * rnd(nchars), 3);
            o += 3;
            if (i < PLACES && rnd(12) == 0)
                o += (size_t)snprintf(b + o, sizeof b - o, "%s", odd[rnd(16)]);
        }
        snprintf(b + o, sizeof b - o, "%s", tail[i < PLACES ? rnd(8) : 8 + rnd(6)]);
        add_name(b, (uint32_t)rnd(4));
    }
    run_oracle("mixed names and companies", 800, 100);
    unload_names();
    sfx = names_place_suffixes;
}

int main(void)
{
    struct pinyin_data_blob ub = pinyin_data_unihan(), ob = pinyin_data_overrides();
    if (pinyin_table_new(ub.data, ub.len, &tab) ||
        pinyin_overrides_new(tab, ob.data, ob.len, &ovr, NULL)) {
        printf("FAIL cannot load the pinyin tables\n");
        return 1;
    }
    T_RUN(test_oracle_divisions);
    T_RUN(test_oracle_mixed);
    pinyin_overrides_free(ovr);
    pinyin_table_free(tab);
    return T_END();
}

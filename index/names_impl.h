/* names_impl.h - the layout of struct names, shared by index/names.c (building) and
 * index/names_search.c (searching, and how); not for use outside those two files.
 *
 * Layout. Names are numbered (idx) in the order of their tie-break: length, id, input order. Each
 * is a run cp[off .. off+len) of folded code points (ASCII lower case, full width to ASCII,
 * spaces, apostrophes and tone marks dropped) with the preferred syllable of each in pref[].
 * Letters in keys are 0..25 with v filed as u (query u matches v), syllables by their folded id
 * (fsyl[], v written u).
 *
 * Postings. Position p of name idx is filed as idx << 8 | p under one key for every way a piece of
 * a query can begin there, together with the first letter of what follows (F' below: the first
 * letters of the next character's readings, or the next character if it is a letter):
 *   CHAR(c)             the character c itself, when it is not a letter (Han, digits, symbols);
 *   LET(a), LETN(a,b)   c is the letter a (and b is in F');
 *   INIT(a), INITN(a,b) a reading of c starts with a (and b is in F');
 *   IZ(x), IZN(x,b)     a reading of c starts with zh, ch or sh (x = 0, 1, 2) (and b is in F');
 *   SYL(f,o), SYLN(f,o,b)  c has the reading f, its preferred one (o = 0) or another (o = 1)
 *                       (and b is in F').
 * A key's postings are three segments, each sorted by idx then p: p == 0 (where EXACT and PREFIX
 * matches start), p == 1, p >= 2 (so a join of a start with what follows it at p == 1 only reads
 * the few postings there).
 * So every match is found under a key that its first piece and the next query unit determine:
 * a search looks up the few keys the query's first units allow (names_search.c). */
#ifndef GEOD_NAMES_IMPL_H
#define GEOD_NAMES_IMPL_H

#include "index/names.h"

#include <string.h>

#define MAXSTRIP 7 /* code points a suffix rule may remove in all: bits of nrec.exact */

#define KEY_BASE 0x110000u /* keys below are code points (CHAR) */
#define KEY_INIT(a) (KEY_BASE + (uint32_t)(a))
#define KEY_LET(a) (KEY_BASE + 26 + (uint32_t)(a))
#define KEY_IZ(x) (KEY_BASE + 52 + (uint32_t)(x))
#define KEY_INITN(a, b) (KEY_BASE + 64 + (uint32_t)(a)*26 + (uint32_t)(b))
#define KEY_LETN(a, b) (KEY_BASE + 64 + 676 + (uint32_t)(a)*26 + (uint32_t)(b))
#define KEY_IZN(x, b) (KEY_BASE + 64 + 2 * 676 + (uint32_t)(x)*26 + (uint32_t)(b))
#define KEY_SYL(f, o) (KEY_BASE + 0x1000 + (uint32_t)(f)*2 + (uint32_t)(o))
#define KEY_SYLN(f, o, b)                                                                          \
    (KEY_BASE + 0x2000 + ((uint32_t)(f)*2 + (uint32_t)(o)) * 26 + (uint32_t)(b))

#define NO_IZ 3 /* struct syl.iz of a reading that does not start with zh, ch or sh */

struct syl {
    char s[PINYIN_MAX_SYLLABLE + 2];
    uint8_t len, ilen; /* letters; of the initial (2 for zh ch sh) */
    uint8_t iz;        /* 0 zh, 1 ch, 2 sh, NO_IZ */
    uint16_t fid;      /* the folded syllable: index into fsyl[] */
};

struct nrec {
    uint32_t id, off;
    uint8_t len;   /* code points */
    uint8_t exact; /* bit t: the first len - t code points are an exact form (bit 0 always) */
    uint8_t group; /* < NAMES_MAX_GROUPS */
};

struct nkey {
    uint32_t key;
    uint32_t seg[4]; /* segment s (p == 0, p == 1, p >= 2) is post[seg[s] .. seg[s + 1]) */
};

struct names {
    const struct pinyin_table *pt;
    size_t n;
    struct nrec *rec; /* [n] by idx */
    uint32_t *cp;     /* [nch] */
    uint16_t *pref;   /* [nch] */
    size_t nch;
    struct syl *syl; /* [nsyl] by syllable id */
    size_t nsyl;
    char (*fsyl)[8]; /* [nfsyl] distinct syllables with v as u, NUL-padded, sorted */
    size_t nfsyl;
    struct nkey *key; /* [nkey] sorted by key */
    size_t nkey;
    uint32_t *post; /* [npost] */
    size_t npost;
    uint32_t ascii;         /* bit a: some name holds the letter 'a' + a */
    uint8_t used[1024 / 8]; /* bit f: some name has a character with the reading fsyl[f] */
    uint8_t tr[64][3][2];   /* state set x piece cost x initial -> state set */
};

static inline bool is_letter(uint32_t c)
{
    return c >= 'a' && c <= 'z';
}

static inline unsigned fl(uint32_t c) /* letter -> 0..25, v filed as u */
{
    return c == 'v' ? 'u' - 'a' : c - 'a';
}

static inline bool is_space(uint32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0 || c == 0x3000;
}

static inline bool is_apos(uint32_t c)
{
    return c == '\'' || c == 0x2018 || c == 0x2019 || c == 0xFF07;
}

static inline bool is_control(uint32_t c) /* C0 (but the white space above), DEL, C1 */
{
    return (c < 0x20 && !is_space(c)) || (c >= 0x7F && c <= 0x9F);
}

static inline uint32_t fold(uint32_t c) /* a non-separator code point as stored and matched */
{
    int l = pinyin_fold_latin(c);
    if (l)
        return (uint32_t)l;
    return c >= 0xFF01 && c <= 0xFF5E ? c - 0xFEE0 : c;
}

/* ---- the query and matching (names_match.c) ---- */

#define NO_RANK 6
#define MAX_OPTS 64 /* ways a piece may begin at one query unit */
#define EFF(cost, init) ((uint8_t)(1u << ((init)*3 + (cost)))) /* bits of struct opt.eff */

struct nq {
    uint32_t u[NAMES_MAX_QUERY]; /* units: a letter 'a'..'z', or a folded code point */
    uint8_t letter[NAMES_MAX_QUERY];
    uint8_t brk[NAMES_MAX_QUERY];    /* a separator stands before unit j */
    uint8_t segend[NAMES_MAX_QUERY]; /* letter j: end of its run of letters without separator */
    unsigned n;
    int kind; /* the rank when the make-up fixes it: 0 (no letters), 1 (mixed); else -1 */
    /* letters j .. j+l as the start of a syllable: the syllables fsyl[lo .. hi) they begin, and
     * whether fsyl[lo] is exactly them (l = 1..6; empty ranges once no syllable fits) */
    uint16_t lo[NAMES_MAX_QUERY][PINYIN_MAX_SYLLABLE + 1];
    uint16_t hi[NAMES_MAX_QUERY][PINYIN_MAX_SYLLABLE + 1];
    uint8_t full[NAMES_MAX_QUERY][PINYIN_MAX_SYLLABLE + 1];
    uint8_t best[NAMES_MAX_QUERY + 1][6]; /* letter-only: the best rank from unit j in state st */
    /* the fewest and most name characters the units from j on take (mxp 0: they cannot match) */
    uint8_t mnp[NAMES_MAX_QUERY + 1], mxp[NAMES_MAX_QUERY + 1];
};

struct opt {      /* one way a piece may begin at a query unit */
    uint32_t key; /* where such a piece is filed */
    uint8_t len;  /* query units the piece takes */
    uint8_t eff;  /* its (cost, initial) pairs: EFF() bits, optimistic */
};

/* The query q[0..len) normalized as names.h says, into *q: GEOD_EINVAL, GEOD_ERANGE. */
enum geod_err names_query_parse(const char *s, size_t len, struct nq *q);
/* Fills q's syllable ranges and rank bounds for ix. */
void names_query_prepare(const struct names *ix, struct nq *q);
/* The ways a piece may begin at unit j into o[0..MAX_OPTS): how many. Every match whose piece
 * starts at j is filed under one of these keys at the name position of that piece. */
size_t names_query_opts(const struct names *ix, const struct nq *q, unsigned j, struct opt *o);
/* The states after a piece of effect eff from states. */
uint8_t names_apply(const struct names *ix, uint8_t states, uint8_t eff);
/* The best rank a match could reach from unit j in states (NO_RANK: none). */
unsigned names_rank_bound(const struct nq *q, unsigned j, uint8_t states);
/* The rank of a match that ends in states. */
unsigned names_rank_of(const struct nq *q, uint8_t states);
/* The best hit key (below) of name idx for matches starting at position s, or UINT64_MAX. */
uint64_t names_verify(const struct names *ix, const struct nq *q, uint32_t idx, unsigned s);

/* whether a match from the start of r that covers minp .. maxp characters can cover one of r's
 * exact forms */
static inline bool can_exact(const struct nrec *r, unsigned minp, unsigned maxp)
{
    if (minp > r->len || minp > maxp)
        return false;
    unsigned lo = r->len > maxp ? r->len - maxp : 0, hi = r->len - minp; /* stripped */
    if (lo > MAXSTRIP)
        return false;
    hi = hi < MAXSTRIP ? hi : MAXSTRIP;
    return r->exact >> lo & ((2u << (hi - lo)) - 1);
}

static inline uint64_t hit_key(unsigned cls, unsigned rank, uint32_t idx)
{
    return (uint64_t)cls << 36 | (uint64_t)rank << 32 | idx;
}

/* the readings of c, preferred first, distinct */
static inline size_t names_readings(const struct names *ix, uint32_t c, uint16_t pref,
                                    uint16_t *ids)
{
    const uint16_t *r;
    size_t k = pinyin_readings(ix->pt, c, &r), n = 0;
    if (pref != PINYIN_NONE)
        ids[n++] = pref;
    for (size_t i = 0; i < k; i++)
        if (r[i] != pref)
            ids[n++] = r[i];
    return n;
}

#endif

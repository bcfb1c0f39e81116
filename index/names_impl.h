/* names_impl.h - the layout of struct names, shared by index/names.c (building) and
 * index/names_search.c (searching, and how); not for use outside those two files.
 *
 * Layout. Names are numbered (idx) in the order of their tie-break: length, id, input order. Each
 * is a run cp[off .. off+len) of folded code points (ASCII lower case, full width to ASCII,
 * spaces, apostrophes and tone marks dropped) with the preferred syllable of each in pref[].
 *
 * Postings. Name position p of name idx is filed as idx << 8 | p under these keys:
 *   - the character itself, when it is not a letter (Han, digits, symbols);
 *   - L1(a): a is the first letter of one of its readings, or the character is the letter a;
 *   - L2(a,b), tier A: a piece matching here can start with the letters ab: a reading starts
 *     with ab, or a one-letter reading / the name letter a is followed by a character that
 *     starts with b (as in L1);
 *   - L2(a,b), tier B, when not in tier A: a is the initial of a reading here and b starts the
 *     next character (what "jh" for 江汉 needs).
 * The letter v is filed as u (query u matches v). A key's postings are four segments, each sorted
 * by idx then p: start-A, start-B (p == 0), inner-A, inner-B (p > 0). */
#ifndef GEOD_NAMES_IMPL_H
#define GEOD_NAMES_IMPL_H

#include "index/names.h"

#include <string.h>

#define MAXSTRIP 7 /* code points a suffix rule may remove in all: bits of nrec.exact */
#define KEY_L1(a) (0x110000u + (uint32_t)(a))
#define KEY_L2(a, b) (0x110000u + 32 + (uint32_t)(a)*26 + (uint32_t)(b))

struct syl {
    char s[PINYIN_MAX_SYLLABLE + 2];
    uint8_t len, ilen; /* letters; of the initial (2 for zh ch sh) */
};

struct nrec {
    uint32_t id, off;
    uint8_t len;     /* code points */
    uint8_t exact;   /* bit t: the first len - t code points are an exact form (bit 0 always) */
    uint8_t group;   /* < NAMES_MAX_GROUPS */
    uint8_t mincore; /* the shortest exact form */
};

struct nkey {
    uint32_t key;
    uint32_t seg[5]; /* segment i is post[seg[i] .. seg[i+1]) */
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
    uint32_t ascii;       /* bit a: some name holds the letter 'a' + a */
    uint8_t tr[64][3][2]; /* state set x piece cost x initial -> state set */
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

static inline uint32_t fold(uint32_t c) /* a non-separator code point as stored and matched */
{
    int l = pinyin_fold_latin(c);
    if (l)
        return (uint32_t)l;
    return c >= 0xFF01 && c <= 0xFF5E ? c - 0xFEE0 : c;
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

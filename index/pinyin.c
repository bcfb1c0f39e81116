/* pinyin.c - the Unihan reading table, the place-name override table, and the display pinyin of a
 * name (see pinyin.h). Not the name index: index/names.c matches queries against names.
 *
 * Layout of a table. Readings are syllable ids (uint16) into syl[]; each code point's readings
 * are a run rd[start .. start+count). Lookup is two-level, by the high and the low byte of the
 * code point: top[cp >> 8] is 0 or 1 + a page number, page[p][cp & 0xFF] is start << 8 | count
 * (count 0: no readings). Unihan 15's 41,421 code points fill about 400 pages (1 KiB each).
 * Invariants: count <= PINYIN_MAX_READINGS, the readings of one code point are distinct, and
 * every id in rd[] is < nsyl. */
#include "index/pinyin.h"
#include "index/utf8.h"

#include <stdlib.h>
#include <string.h>

#define TOP_SIZE (0x110000 >> 8)

struct pinyin_table {
    uint16_t top[TOP_SIZE]; /* cp >> 8 -> 1 + page, or 0 */
    uint32_t (*page)[256];  /* [npage] start << 8 | count */
    size_t npage;
    uint16_t *rd; /* [nrd] reading ids */
    size_t nrd;
    char (*syl)[PINYIN_MAX_SYLLABLE + 2]; /* [nsyl] NUL-terminated texts */
    uint8_t *syl_len;                     /* [nsyl] */
    size_t nsyl;
    size_t ncp;
};

struct ovr {
    uint32_t *cps; /* the text */
    uint16_t *syl; /* one syllable per code point */
    size_t n;
};

struct pinyin_overrides {
    struct ovr *o; /* sorted by first code point, longer first: the first match is the longest */
    size_t n;
    uint32_t *cps; /* storage for every text, then every syllable list */
    uint16_t *syl;
};

/* ---- the table ---- */

struct build {
    struct pinyin_table *t;
    size_t cap_page, cap_rd;
    /* interning: syllable packed in base 27 (a = 1) -> 1 + id; open addressing */
    uint32_t hkey[2 * PINYIN_MAX_SYLLABLES];
    uint16_t hval[2 * PINYIN_MAX_SYLLABLES];
};

static uint32_t pack_syl(const char *s, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k = k * 27 + (uint32_t)(s[i] - 'a' + 1);
    return k;
}

/* the id of s[0..n) (lower-case letters, 1 <= n <= PINYIN_MAX_SYLLABLE), added if new */
static enum geod_err intern(struct build *b, const char *s, size_t n, uint16_t *id)
{
    struct pinyin_table *t = b->t;
    uint32_t k = pack_syl(s, n);
    size_t mask = 2 * PINYIN_MAX_SYLLABLES - 1, h = (k * 2654435761u) & mask;
    for (; b->hval[h]; h = (h + 1) & mask) {
        if (b->hkey[h] == k) {
            *id = (uint16_t)(b->hval[h] - 1);
            return GEOD_OK;
        }
    }
    if (t->nsyl == PINYIN_MAX_SYLLABLES)
        return GEOD_ECORRUPT;
    if (t->nsyl == 0) {
        t->syl = malloc(PINYIN_MAX_SYLLABLES * sizeof *t->syl);
        t->syl_len = malloc(PINYIN_MAX_SYLLABLES);
        if (!t->syl || !t->syl_len)
            return GEOD_ENOMEM;
    }
    memset(t->syl[t->nsyl], 0, sizeof t->syl[0]);
    memcpy(t->syl[t->nsyl], s, n);
    t->syl_len[t->nsyl] = (uint8_t)n;
    b->hkey[h] = k;
    b->hval[h] = (uint16_t)(t->nsyl + 1);
    *id = (uint16_t)t->nsyl++;
    return GEOD_OK;
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* One line "HEX<TAB>r r r" (without its newline) for code point > *prev. */
static enum geod_err parse_line(struct build *b, const char *s, const char *e, int64_t *prev)
{
    struct pinyin_table *t = b->t;
    uint32_t cp = 0;
    const char *p = s;
    for (; p < e && *p != '\t'; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
        if (d < 0 || p - s >= 6)
            return GEOD_ECORRUPT;
        cp = cp << 4 | (uint32_t)d;
    }
    if (p == s || p == e || cp > 0x10FFFF || (int64_t)cp <= *prev)
        return GEOD_ECORRUPT;
    *prev = cp;
    size_t start = t->nrd, count = 0;
    for (p++; p < e;) {
        const char *w = p;
        while (p < e && *p >= 'a' && *p <= 'z')
            p++;
        size_t n = (size_t)(p - w);
        if (n == 0 || n > PINYIN_MAX_SYLLABLE || (p < e && *p != ' ') || (p < e && p + 1 == e))
            return GEOD_ECORRUPT;
        if (p < e)
            p++;
        uint16_t id;
        enum geod_err rc = intern(b, w, n, &id);
        if (rc)
            return rc;
        for (size_t i = start; i < t->nrd; i++)
            if (t->rd[i] == id)
                return GEOD_ECORRUPT;
        if (++count > PINYIN_MAX_READINGS)
            return GEOD_ECORRUPT;
        if (!grow((void **)&t->rd, &b->cap_rd, t->nrd + 1, sizeof *t->rd))
            return GEOD_ENOMEM;
        t->rd[t->nrd++] = id;
    }
    if (count == 0 || start >= (1u << 24))
        return GEOD_ECORRUPT;
    uint16_t *top = &t->top[cp >> 8];
    if (!*top) {
        if (!grow((void **)&t->page, &b->cap_page, t->npage + 1, sizeof *t->page))
            return GEOD_ENOMEM;
        memset(t->page[t->npage], 0, sizeof t->page[0]);
        *top = (uint16_t)++t->npage;
    }
    t->page[*top - 1][cp & 0xFF] = (uint32_t)start << 8 | (uint32_t)count;
    t->ncp++;
    return GEOD_OK;
}

enum geod_err pinyin_table_new(const char *blob, size_t len, struct pinyin_table **out)
{
    *out = NULL;
    struct build *b = calloc(1, sizeof *b);
    struct pinyin_table *t = calloc(1, sizeof *t);
    enum geod_err rc = b && t ? GEOD_OK : GEOD_ENOMEM;
    if (b)
        b->t = t;
    int64_t prev = -1;
    for (size_t i = 0; !rc && i < len;) {
        const char *nl = memchr(blob + i, '\n', len - i);
        const char *e = nl ? nl : blob + len;
        rc = parse_line(b, blob + i, e, &prev);
        i = (size_t)(e - blob) + 1;
    }
    free(b);
    if (rc) {
        pinyin_table_free(t);
        return rc;
    }
    *out = t;
    return GEOD_OK;
}

void pinyin_table_free(struct pinyin_table *t)
{
    if (!t)
        return;
    free(t->page);
    free(t->rd);
    free(t->syl);
    free(t->syl_len);
    free(t);
}

size_t pinyin_table_count(const struct pinyin_table *t)
{
    return t->ncp;
}

size_t pinyin_table_bytes(const struct pinyin_table *t)
{
    return sizeof *t + t->npage * sizeof t->page[0] + t->nrd * sizeof *t->rd +
           (t->nsyl ? PINYIN_MAX_SYLLABLES * (sizeof t->syl[0] + 1) : 0);
}

size_t pinyin_syllable_count(const struct pinyin_table *t)
{
    return t->nsyl;
}

size_t pinyin_readings(const struct pinyin_table *t, uint32_t cp, const uint16_t **ids)
{
    *ids = NULL;
    if (cp > 0x10FFFF || !t->top[cp >> 8])
        return 0;
    uint32_t v = t->page[t->top[cp >> 8] - 1][cp & 0xFF];
    if (!(v & 0xFF))
        return 0;
    *ids = t->rd + (v >> 8);
    return v & 0xFF;
}

const char *pinyin_syllable(const struct pinyin_table *t, uint16_t id, size_t *len)
{
    if (len)
        *len = t->syl_len[id];
    return t->syl[id];
}

uint16_t pinyin_syllable_find(const struct pinyin_table *t, const char *s, size_t len)
{
    for (size_t i = 0; i < t->nsyl; i++)
        if (t->syl_len[i] == len && memcmp(t->syl[i], s, len) == 0)
            return (uint16_t)i;
    return PINYIN_NONE;
}

/* ---- overrides ---- */

static int cmp_ovr(const void *a, const void *b)
{
    const struct ovr *x = a, *y = b;
    if (x->cps[0] != y->cps[0])
        return x->cps[0] < y->cps[0] ? -1 : 1;
    return x->n > y->n ? -1 : x->n < y->n ? 1 : 0;
}

/* Row "TEXT,SYL SYL" in s[0..n) into o->o[o->n] (storage at o->cps/o->syl + *used). */
static bool parse_row(const struct pinyin_table *t, struct pinyin_overrides *o, const char *s,
                      size_t n, size_t *used)
{
    const char *comma = memchr(s, ',', n);
    if (!comma || comma == s || memchr(s, '"', n))
        return false;
    struct ovr *r = &o->o[o->n];
    r->cps = o->cps + *used;
    r->syl = o->syl + *used;
    r->n = 0;
    for (size_t i = 0, tl = (size_t)(comma - s); i < tl;) {
        size_t k = utf8_decode(s + i, tl - i, &r->cps[r->n]);
        if (k == 0)
            return false;
        r->n++;
        i += k;
    }
    const char *p = comma + 1, *e = s + n;
    size_t ns = 0;
    while (p < e) {
        const char *w = p;
        while (p < e && *p >= 'a' && *p <= 'z')
            p++;
        if (p == w || ns == r->n)
            return false;
        uint16_t id = pinyin_syllable_find(t, w, (size_t)(p - w));
        if (id == PINYIN_NONE)
            return false;
        r->syl[ns++] = id;
        if (p < e && (*p != ' ' || p + 1 == e))
            return false;
        if (p < e)
            p++;
    }
    if (ns != r->n)
        return false;
    *used += r->n;
    o->n++;
    return true;
}

enum geod_err pinyin_overrides_new(const struct pinyin_table *t, const char *csv, size_t len,
                                   struct pinyin_overrides **out, size_t *err_line)
{
    *out = NULL;
    if (err_line)
        *err_line = 0;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += csv[i] == '\n';
    struct pinyin_overrides *o = calloc(1, sizeof *o);
    if (!o)
        return GEOD_ENOMEM;
    /* a row has at most as many code points as bytes: len bounds the storage */
    o->o = malloc(lines * sizeof *o->o);
    o->cps = malloc((len + 1) * sizeof *o->cps);
    o->syl = malloc((len + 1) * sizeof *o->syl);
    if (!o->o || !o->cps || !o->syl) {
        pinyin_overrides_free(o);
        return GEOD_ENOMEM;
    }
    size_t used = 0, line = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(csv + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - csv) : len, n = e - i;
        const char *s = csv + i;
        line++;
        i = e + 1;
        if (n && s[n - 1] == '\r')
            n--;
        bool ok;
        if (line == 1)
            ok = n == 11 && memcmp(s, "text,pinyin", 11) == 0;
        else
            ok = n == 0 || parse_row(t, o, s, n, &used);
        if (!ok) {
            if (err_line)
                *err_line = line;
            pinyin_overrides_free(o);
            return GEOD_EINVAL;
        }
    }
    if (line == 0) { /* not even a header */
        pinyin_overrides_free(o);
        return GEOD_EINVAL;
    }
    qsort(o->o, o->n, sizeof *o->o, cmp_ovr);
    *out = o;
    return GEOD_OK;
}

void pinyin_overrides_free(struct pinyin_overrides *o)
{
    if (!o)
        return;
    free(o->o);
    free(o->cps);
    free(o->syl);
    free(o);
}

size_t pinyin_overrides_count(const struct pinyin_overrides *o)
{
    return o->n;
}

/* the longest override whose text starts at cps[0..n), or NULL */
static const struct ovr *ovr_at(const struct pinyin_overrides *ov, const uint32_t *cps, size_t n)
{
    size_t lo = 0, hi = ov->n;
    while (lo < hi) { /* first override with first code point >= cps[0] */
        size_t mid = lo + (hi - lo) / 2;
        if (ov->o[mid].cps[0] < cps[0])
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < ov->n && ov->o[lo].cps[0] == cps[0]; lo++) {
        const struct ovr *r = &ov->o[lo];
        if (r->n <= n && memcmp(r->cps, cps, r->n * sizeof *cps) == 0)
            return r;
    }
    return NULL;
}

void pinyin_preferred(const struct pinyin_table *t, const struct pinyin_overrides *ov,
                      const uint32_t *cps, size_t n, uint16_t *pref)
{
    for (size_t i = 0; i < n;) {
        const struct ovr *r = ov && ov->n ? ovr_at(ov, cps + i, n - i) : NULL;
        if (r) {
            memcpy(pref + i, r->syl, r->n * sizeof *pref);
            i += r->n;
            continue;
        }
        const uint16_t *ids;
        pref[i] = pinyin_readings(t, cps[i], &ids) ? ids[0] : PINYIN_NONE;
        i++;
    }
}

/* ---- display ---- */

struct outbuf {
    char *buf;
    size_t cap, len;
};

static void put(struct outbuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, o->len++)
        if (o->len + 1 < o->cap)
            o->buf[o->len] = s[i];
}

static int fold_digit(uint32_t cp)
{
    if (cp >= '0' && cp <= '9')
        return (int)cp;
    if (cp >= 0xFF10 && cp <= 0xFF19)
        return (int)(cp - 0xFF10 + '0');
    return 0;
}

enum geod_err pinyin_name(const struct pinyin_table *t, const struct pinyin_overrides *ov,
                          const char *name, size_t len, char *buf, size_t cap, size_t *need)
{
    *need = 0;
    if (cap)
        buf[0] = '\0';
    if (!utf8_valid(name, len))
        return GEOD_EINVAL;
    uint32_t *cps = malloc((len + 1) * sizeof *cps);
    uint16_t *pref = malloc((len + 1) * sizeof *pref);
    if (!cps || !pref) {
        free(cps);
        free(pref);
        return GEOD_ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; n++)
        i += utf8_decode(name + i, len - i, &cps[n]);
    pinyin_preferred(t, ov, cps, n, pref);
    struct outbuf o = {buf, cap, 0};
    bool in_run = false; /* inside a run of ASCII letters and digits */
    for (size_t i = 0; i < n; i++) {
        int c = pinyin_fold_latin(cps[i]);
        c = c ? c : fold_digit(cps[i]);
        if (c) {
            if (!in_run && o.len)
                put(&o, " ", 1);
            char ch = (char)c;
            put(&o, &ch, 1);
            in_run = true;
            continue;
        }
        in_run = false;
        if (pref[i] == PINYIN_NONE)
            continue;
        if (o.len)
            put(&o, " ", 1);
        put(&o, t->syl[pref[i]], t->syl_len[pref[i]]);
    }
    free(cps);
    free(pref);
    *need = o.len;
    if (cap)
        buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len < cap ? GEOD_OK : GEOD_ERANGE;
}

/* ---- folding ---- */

/* Latin letters with pinyin tone marks, sorted by code point */
static const struct {
    uint16_t cp;
    char c;
} latin[] = {
    {0xC0, 'a'},   {0xC1, 'a'},   {0xC8, 'e'},   {0xC9, 'e'},   {0xCA, 'e'},   {0xCC, 'i'},
    {0xCD, 'i'},   {0xD2, 'o'},   {0xD3, 'o'},   {0xD9, 'u'},   {0xDA, 'u'},   {0xDC, 'v'},
    {0xE0, 'a'},   {0xE1, 'a'},   {0xE8, 'e'},   {0xE9, 'e'},   {0xEA, 'e'},   {0xEC, 'i'},
    {0xED, 'i'},   {0xF2, 'o'},   {0xF3, 'o'},   {0xF9, 'u'},   {0xFA, 'u'},   {0xFC, 'v'},
    {0x100, 'a'},  {0x101, 'a'},  {0x112, 'e'},  {0x113, 'e'},  {0x11A, 'e'},  {0x11B, 'e'},
    {0x12A, 'i'},  {0x12B, 'i'},  {0x143, 'n'},  {0x144, 'n'},  {0x147, 'n'},  {0x148, 'n'},
    {0x14C, 'o'},  {0x14D, 'o'},  {0x16A, 'u'},  {0x16B, 'u'},  {0x1CD, 'a'},  {0x1CE, 'a'},
    {0x1CF, 'i'},  {0x1D0, 'i'},  {0x1D1, 'o'},  {0x1D2, 'o'},  {0x1D3, 'u'},  {0x1D4, 'u'},
    {0x1D5, 'v'},  {0x1D6, 'v'},  {0x1D7, 'v'},  {0x1D8, 'v'},  {0x1D9, 'v'},  {0x1DA, 'v'},
    {0x1DB, 'v'},  {0x1DC, 'v'},  {0x1F8, 'n'},  {0x1F9, 'n'},  {0x1E3E, 'm'}, {0x1E3F, 'm'},
    {0x1EBE, 'e'}, {0x1EBF, 'e'}, {0x1EC0, 'e'}, {0x1EC1, 'e'},
};

int pinyin_fold_latin(uint32_t cp)
{
    if (cp >= 'a' && cp <= 'z')
        return (int)cp;
    if (cp >= 'A' && cp <= 'Z')
        return (int)(cp - 'A' + 'a');
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        return (int)(cp - 0xFF21 + 'a');
    if (cp >= 0xFF41 && cp <= 0xFF5A)
        return (int)(cp - 0xFF41 + 'a');
    if (cp < 0xC0 || cp > 0x1EC1)
        return 0;
    size_t lo = 0, hi = sizeof latin / sizeof latin[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (latin[mid].cp == cp)
            return latin[mid].c;
        if (latin[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

bool pinyin_is_tone_mark(uint32_t cp)
{
    return (cp >= 0x300 && cp <= 0x36F) || cp == 0x2C9 || cp == 0x2CA || cp == 0x2C7 ||
           cp == 0x2CB || cp == 0x2D9;
}

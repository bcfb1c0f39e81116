/* names.c - builds the name index: folds names, computes their exact forms (the suffix rule of
 * names.h) and files every position under its keys (the layout is in names_impl.h). */
#include "index/names_impl.h"
#include "index/utf8.h"

#include <stdlib.h>
#include <string.h>

const char *const names_place_suffixes[] = {"社区居民委员会",
                                            "居民委员会",
                                            "村民委员会",
                                            "社区居委会",
                                            "街道办事处",
                                            "委员会",
                                            "居委会",
                                            "村委会",
                                            "管委会",
                                            "办事处",
                                            "管理处",
                                            "生产队",
                                            "街道",
                                            "社区",
                                            "居委",
                                            "区",
                                            "街",
                                            "镇",
                                            "乡",
                                            "村",
                                            "县",
                                            "市",
                                            NULL};

/* ---- building ---- */

/* s, NUL-terminated, folded into buf[0..*n) (at most NAMES_MAX_NAME) */
static enum geod_err fold_name(const char *s, uint32_t *buf, size_t *n)
{
    size_t len = strlen(s);
    *n = 0;
    if (!utf8_valid(s, len))
        return GEOD_EINVAL;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        i += utf8_decode(s + i, len - i, &c);
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) /* no control characters, not even tabs */
            return GEOD_EINVAL;
        if (is_space(c) || is_apos(c) || pinyin_is_tone_mark(c))
            continue;
        if (*n == NAMES_MAX_NAME)
            return GEOD_ERANGE;
        buf[(*n)++] = fold(c);
    }
    return GEOD_OK;
}

struct sfx {
    uint32_t c[MAXSTRIP];
    size_t n;
};

/* marks in *mask every exact form of c[0..len) reached by removing suffixes after `gone` */
static void cores(const struct sfx *sf, size_t nsf, const uint32_t *c, size_t len, size_t gone,
                  uint8_t *mask)
{
    for (size_t i = 0; i < nsf; i++) {
        size_t k = sf[i].n;
        if (gone + k > MAXSTRIP || len < k + 2 || memcmp(c + len - k, sf[i].c, k * sizeof *c))
            continue;
        *mask |= (uint8_t)(1u << (gone + k));
        cores(sf, nsf, c, len - k, gone + k, mask);
    }
}

struct order {
    uint32_t len, id, i;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* the letters (0..25, v as u) a piece for character i of the name may start with */
static uint32_t firsts(const struct names *ix, size_t i)
{
    if (is_letter(ix->cp[i]))
        return 1u << fl(ix->cp[i]);
    uint16_t ids[PINYIN_MAX_READINGS + 1];
    size_t n = names_readings(ix, ix->cp[i], ix->pref[i], ids);
    uint32_t m = 0;
    for (size_t k = 0; k < n; k++)
        m |= 1u << fl((uint8_t)ix->syl[ids[k]].s[0]);
    return m;
}

struct khash { /* key -> slot, open addressing; v = slot + 1 */
    uint32_t *k, *v;
    size_t cap, n;
    uint32_t (*cnt)[3]; /* [slot] per segment: counts, then fill cursors */
    size_t cnt_cap;
};

static size_t kh_pos(const struct khash *h, uint32_t key)
{
    size_t i = (key * 2654435761u) & (h->cap - 1);
    while (h->v[i] && h->k[i] != key)
        i = (i + 1) & (h->cap - 1);
    return i;
}

static enum geod_err kh_add(struct khash *h, uint32_t key, uint32_t *slot)
{
    if (2 * (h->n + 1) > h->cap) {
        struct khash g = {.cap = h->cap ? 2 * h->cap : 1024};
        g.k = malloc(g.cap * sizeof *g.k);
        g.v = calloc(g.cap, sizeof *g.v);
        if (!g.k || !g.v) {
            free(g.k);
            free(g.v);
            return GEOD_ENOMEM;
        }
        for (size_t i = 0; i < h->cap; i++) {
            if (h->v[i]) {
                size_t j = kh_pos(&g, h->k[i]);
                g.k[j] = h->k[i];
                g.v[j] = h->v[i];
            }
        }
        free(h->k);
        free(h->v);
        h->k = g.k;
        h->v = g.v;
        h->cap = g.cap;
    }
    size_t i = kh_pos(h, key);
    if (!h->v[i]) {
        if (h->n == h->cnt_cap) {
            size_t c = h->cnt_cap ? 2 * h->cnt_cap : 1024;
            void *p = realloc(h->cnt, c * sizeof *h->cnt);
            if (!p)
                return GEOD_ENOMEM;
            h->cnt = p;
            h->cnt_cap = c;
        }
        memset(h->cnt[h->n], 0, sizeof h->cnt[0]);
        h->k[i] = key;
        h->v[i] = (uint32_t)++h->n;
    }
    *slot = h->v[i] - 1;
    return GEOD_OK;
}

/* most keys one position is filed under: CHAR, then INIT, IZ, SYL (at most 26 + 3 + 33 of them)
 * each alone and with the 26 letters that may follow, or LET and LETN */
#define MAX_KEYS (1 + 27 * (26 + 3 + PINYIN_MAX_READINGS + 1))

/* the keys of position i of a name (names_impl.h) into keys; how many. Marks the readings used. */
static size_t pos_keys(struct names *ix, size_t i, bool has_next, uint32_t *keys)
{
    uint32_t c = ix->cp[i], next = has_next ? firsts(ix, i + 1) : 0;
    size_t nk = 0;
    if (is_letter(c)) {
        keys[nk++] = KEY_LET(fl(c));
        for (unsigned b = 0; b < 26; b++)
            if (next >> b & 1)
                keys[nk++] = KEY_LETN(fl(c), b);
        return nk;
    }
    keys[nk++] = c;
    uint16_t ids[PINYIN_MAX_READINGS + 1], fids[PINYIN_MAX_READINGS + 1];
    size_t n = names_readings(ix, c, ix->pref[i], ids), nf = 0;
    uint32_t first = 0, iz = 0;
    for (size_t k = 0; k < n; k++) {
        const struct syl *y = &ix->syl[ids[k]];
        first |= 1u << fl((uint8_t)y->s[0]);
        iz |= y->iz == NO_IZ ? 0 : 1u << y->iz;
        uint16_t fo = (uint16_t)(y->fid * 2 + (ids[k] != ix->pref[i])); /* KEY_SYL's f, o */
        size_t f = 0;
        ix->used[y->fid / 8] |= (uint8_t)(1u << y->fid % 8);
        while (f < nf && fids[f] != fo) /* lv and lu fold alike */
            f++;
        if (f == nf)
            fids[nf++] = fo;
    }
    for (unsigned a = 0; a < 26; a++) {
        if (!(first >> a & 1))
            continue;
        keys[nk++] = KEY_INIT(a);
        for (unsigned b = 0; b < 26; b++)
            if (next >> b & 1)
                keys[nk++] = KEY_INITN(a, b);
    }
    for (unsigned x = 0; x < 3; x++) {
        if (!(iz >> x & 1))
            continue;
        keys[nk++] = KEY_IZ(x);
        for (unsigned b = 0; b < 26; b++)
            if (next >> b & 1)
                keys[nk++] = KEY_IZN(x, b);
    }
    for (size_t f = 0; f < nf; f++) {
        keys[nk++] = KEY_SYL(fids[f] / 2, fids[f] % 2);
        for (unsigned b = 0; b < 26; b++)
            if (next >> b & 1)
                keys[nk++] = KEY_SYLN(fids[f] / 2, fids[f] % 2, b);
    }
    return nk;
}

/* Files position p of name idx under its keys: counts them (fill false) or writes them. */
static enum geod_err file_pos(struct names *ix, struct khash *h, uint32_t idx, size_t p, bool fill)
{
    const struct nrec *r = &ix->rec[idx];
    uint32_t keys[MAX_KEYS];
    size_t nk = pos_keys(ix, r->off + p, p + 1 < r->len, keys), seg = p < 2 ? p : 2;
    for (size_t k = 0; k < nk; k++) {
        uint32_t slot;
        if (fill) {
            slot = h->v[kh_pos(h, keys[k])] - 1;
            ix->post[h->cnt[slot][seg]++] = idx << 8 | (uint32_t)p;
            continue;
        }
        enum geod_err rc = kh_add(h, keys[k], &slot);
        if (rc)
            return rc;
        h->cnt[slot][seg]++;
    }
    return GEOD_OK;
}

static int cmp_key(const void *a, const void *b)
{
    const struct nkey *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int cmp_fsyl(const void *a, const void *b)
{
    return memcmp(a, b, 8);
}

/* the postings: count, lay out the segments by key, fill */
static enum geod_err build_postings(struct names *ix)
{
    struct khash h = {0};
    enum geod_err rc = GEOD_OK;
    for (uint32_t idx = 0; !rc && idx < ix->n; idx++)
        for (size_t p = 0; !rc && p < ix->rec[idx].len; p++)
            rc = file_pos(ix, &h, idx, p, false);
    if (!rc && !(ix->key = malloc((h.n ? h.n : 1) * sizeof *ix->key)))
        rc = GEOD_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < h.cap; i++)
            if (h.v[i])
                ix->key[ix->nkey++].key = h.k[i];
        qsort(ix->key, ix->nkey, sizeof *ix->key, cmp_key);
        size_t total = 0;
        for (size_t i = 0; i < ix->nkey; i++) {
            uint32_t slot = h.v[kh_pos(&h, ix->key[i].key)] - 1;
            for (int s = 0; s < 3; s++) {
                ix->key[i].seg[s] = (uint32_t)total;
                total += h.cnt[slot][s];
                h.cnt[slot][s] = ix->key[i].seg[s]; /* now the fill cursor */
            }
            ix->key[i].seg[3] = (uint32_t)total;
        }
        ix->npost = total;
        if (!(ix->post = malloc((total ? total : 1) * sizeof *ix->post)))
            rc = GEOD_ENOMEM;
    }
    for (uint32_t idx = 0; !rc && idx < ix->n; idx++)
        for (size_t p = 0; !rc && p < ix->rec[idx].len; p++)
            rc = file_pos(ix, &h, idx, p, true);
    free(h.k);
    free(h.v);
    free(h.cnt);
    return rc;
}

/* syllable info, the folded syllable set, the state transitions */
static enum geod_err build_tables(struct names *ix)
{
    ix->nsyl = pinyin_syllable_count(ix->pt);
    ix->syl = calloc(ix->nsyl + 1, sizeof *ix->syl);
    ix->fsyl = calloc(ix->nsyl + 1, sizeof *ix->fsyl);
    if (!ix->syl || !ix->fsyl)
        return GEOD_ENOMEM;
    for (size_t i = 0; i < ix->nsyl; i++) {
        size_t len;
        const char *s = pinyin_syllable(ix->pt, (uint16_t)i, &len);
        struct syl *y = &ix->syl[i];
        memcpy(y->s, s, len);
        y->len = (uint8_t)len;
        y->ilen = len >= 2 && s[1] == 'h' && (s[0] == 'z' || s[0] == 'c' || s[0] == 's') ? 2 : 1;
        y->iz = y->ilen == 2 ? (uint8_t)(s[0] == 'z' ? 0 : s[0] == 'c' ? 1 : 2) : NO_IZ;
        for (size_t k = 0; k < len; k++)
            ix->fsyl[i][k] = s[k] == 'v' ? 'u' : s[k];
    }
    qsort(ix->fsyl, ix->nsyl, sizeof *ix->fsyl, cmp_fsyl);
    for (size_t i = 0; i < ix->nsyl; i++)
        if (ix->nfsyl == 0 || memcmp(ix->fsyl[ix->nfsyl - 1], ix->fsyl[i], 8))
            memmove(ix->fsyl[ix->nfsyl++], ix->fsyl[i], 8);
    for (size_t i = 0; i < ix->nsyl; i++) { /* each syllable's folded id */
        char k[8] = {0};
        for (size_t j = 0; j < ix->syl[i].len; j++)
            k[j] = ix->syl[i].s[j] == 'v' ? 'u' : ix->syl[i].s[j];
        const char(*f)[8] = bsearch(k, ix->fsyl, ix->nfsyl, sizeof *ix->fsyl, cmp_fsyl);
        ix->syl[i].fid = (uint16_t)(f - ix->fsyl);
    }
    for (unsigned m = 0; m < 64; m++)
        for (unsigned cost = 0; cost < 3; cost++)
            for (unsigned b = 0; b < 2; b++) {
                uint8_t out = 0;
                for (unsigned st = 0; st < 6; st++) {
                    if (!(m >> st & 1))
                        continue;
                    unsigned mx = st % 3 > cost ? st % 3 : cost;
                    out |= (uint8_t)(1u << ((st >= 3 && b) * 3 + mx));
                }
                ix->tr[m][cost][b] = out;
            }
    return GEOD_OK;
}

/* names in idx order, folded, with preferred readings and exact forms */
static enum geod_err build_names(struct names *ix, const struct names_entry *e,
                                 const struct pinyin_overrides *ov, const char *const *suffixes)
{
    size_t nsf = 0;
    while (suffixes[nsf])
        nsf++;
    struct sfx *sf = calloc(nsf + 1, sizeof *sf);
    struct order *ord = malloc((ix->n + 1) * sizeof *ord);
    uint32_t *buf = malloc(NAMES_MAX_NAME * sizeof *buf);
    enum geod_err rc = sf && ord && buf ? GEOD_OK : GEOD_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; !rc && i < nsf; i++) {
        size_t n;
        if (fold_name(suffixes[i], buf, &n) == GEOD_OK && n >= 1 && n <= MAXSTRIP) {
            memcpy(sf[k].c, buf, n * sizeof *buf);
            sf[k++].n = n;
        }
    }
    nsf = k;
    for (size_t i = 0; !rc && i < ix->n; i++) {
        size_t n = 0;
        if (!e[i].name || e[i].group >= NAMES_MAX_GROUPS)
            rc = GEOD_EINVAL;
        else
            rc = fold_name(e[i].name, buf, &n);
        if (!rc)
            ord[i] = (struct order){(uint32_t)n, e[i].id, (uint32_t)i};
        ix->nch += n;
    }
    if (!rc) {
        ix->rec = malloc((ix->n + 1) * sizeof *ix->rec);
        ix->cp = malloc((ix->nch + 1) * sizeof *ix->cp);
        ix->pref = malloc((ix->nch + 1) * sizeof *ix->pref);
        if (!ix->rec || !ix->cp || !ix->pref)
            rc = GEOD_ENOMEM;
    }
    if (!rc)
        qsort(ord, ix->n, sizeof *ord, cmp_order);
    size_t off = 0;
    for (size_t i = 0; !rc && i < ix->n; i++) {
        const struct names_entry *en = &e[ord[i].i];
        struct nrec *r = &ix->rec[i];
        size_t n;
        fold_name(en->name, ix->cp + off, &n);
        pinyin_preferred(ix->pt, ov, ix->cp + off, n, ix->pref + off);
        for (size_t j = 0; j < n; j++)
            if (is_letter(ix->cp[off + j]))
                ix->ascii |= 1u << (ix->cp[off + j] - 'a');
        *r = (struct nrec){en->id, (uint32_t)off, (uint8_t)n, 1, (uint8_t)en->group};
        cores(sf, nsf, ix->cp + off, n, 0, &r->exact);
        off += n;
    }
    free(sf);
    free(ord);
    free(buf);
    return rc;
}

enum geod_err names_new(const struct names_entry *e, size_t n, const struct pinyin_table *pt,
                        const struct pinyin_overrides *ov, const char *const *suffixes,
                        struct names **out)
{
    *out = NULL;
    if (n >= NAMES_MAX_COUNT)
        return GEOD_ERANGE;
    struct names *ix = calloc(1, sizeof *ix);
    if (!ix)
        return GEOD_ENOMEM;
    ix->pt = pt;
    ix->n = n;
    enum geod_err rc = build_tables(ix);
    if (!rc)
        rc = build_names(ix, e, ov, suffixes ? suffixes : names_place_suffixes);
    if (!rc)
        rc = build_postings(ix);
    if (rc) {
        names_free(ix);
        return rc;
    }
    *out = ix;
    return GEOD_OK;
}

void names_free(struct names *ix)
{
    if (!ix)
        return;
    free(ix->rec);
    free(ix->cp);
    free(ix->pref);
    free(ix->syl);
    free(ix->fsyl);
    free(ix->key);
    free(ix->post);
    free(ix);
}

size_t names_count(const struct names *ix)
{
    return ix->n;
}

size_t names_bytes(const struct names *ix)
{
    return sizeof *ix + ix->n * sizeof *ix->rec + ix->nch * (sizeof *ix->cp + sizeof *ix->pref) +
           ix->nsyl * (sizeof *ix->syl + sizeof *ix->fsyl) + ix->nkey * sizeof *ix->key +
           ix->npost * sizeof *ix->post;
}

/* snapshot_file.c - a full snapshot as the bytes of a snapshot file and back (the format:
 * snapshot_file.h); the R-tree's and the clusters' sections are rtree_file.c's and
 * cluster_file.c's. No I/O. */
#include "index/cluster_impl.h"
#include "index/rtree_impl.h"
#include "index/snapshot_file.h"
#include "index/snapshot_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ORDER_MARK 0x01020304u

/* The facility meta section. */
struct fmeta {
    uint64_t n;         /* records */
    uint64_t arena_len; /* bytes of the string arena, its last one NUL */
    uint64_t ncat;
    uint64_t cat_id[RTREE_MAX_CATEGORIES], cat_name[RTREE_MAX_CATEGORIES]; /* arena offsets */
};

static void layout(uint32_t out[8])
{
    const uint32_t l[8] = {sizeof(struct facility), sizeof(struct rtree),
                           sizeof(struct pblk),     sizeof(struct nblk),
                           sizeof(struct cluster_index), sizeof(struct cpoint),
                           sizeof(struct ccell),    sizeof(void *)};
    memcpy(out, l, sizeof l);
}

/* ---- the checksum: 4 lanes of Fletcher-style sums of 64-bit words (a single changed word
 * changes the first sums; the second ones make it order-dependent), streamed over chunks ---- */

struct sum {
    uint64_t a[4], b[4];
    uint8_t buf[32];
    size_t nbuf;
    uint64_t total;
};

static void sum_blocks(struct sum *s, const uint8_t *p, size_t nblk)
{
    uint64_t a0 = s->a[0], a1 = s->a[1], a2 = s->a[2], a3 = s->a[3];
    uint64_t b0 = s->b[0], b1 = s->b[1], b2 = s->b[2], b3 = s->b[3];
    for (size_t i = 0; i < nblk; i++, p += 32) {
        uint64_t w[4];
        memcpy(w, p, sizeof w);
        a0 += w[0], a1 += w[1], a2 += w[2], a3 += w[3];
        b0 += a0, b1 += a1, b2 += a2, b3 += a3;
    }
    s->a[0] = a0, s->a[1] = a1, s->a[2] = a2, s->a[3] = a3;
    s->b[0] = b0, s->b[1] = b1, s->b[2] = b2, s->b[3] = b3;
}

static void sum_add(struct sum *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->total += n;
    if (s->nbuf) {
        size_t k = 32 - s->nbuf < n ? 32 - s->nbuf : n;
        memcpy(s->buf + s->nbuf, p, k);
        s->nbuf += k;
        p += k;
        n -= k;
        if (s->nbuf < 32)
            return;
        sum_blocks(s, s->buf, 1);
        s->nbuf = 0;
    }
    sum_blocks(s, p, n / 32);
    memcpy(s->buf, p + n / 32 * 32, n % 32);
    s->nbuf = n % 32;
}

static uint64_t sum_end(struct sum *s)
{
    if (s->nbuf) {
        memset(s->buf + s->nbuf, 0, 32 - s->nbuf);
        sum_blocks(s, s->buf, 1);
    }
    uint64_t h = s->total * 0x9E3779B97F4A7C15ull;
    for (int l = 0; l < 4; l++) {
        h = (h ^ s->a[l]) * 0xff51afd7ed558ccdull;
        h = (h ^ s->b[l]) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
    }
    return h;
}

uint64_t snapshot_file_sum(const void *p, size_t n)
{
    struct sum s = {0};
    sum_add(&s, p, n);
    return sum_end(&s);
}

/* ---- writing ---- */

static const uint8_t zeros[SNAPSHOT_FILE_ALIGN];

static void add_chunk(struct snapshot_file_writer *w, const void *p, size_t len)
{
    if (w->oom)
        return;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct snapshot_file_chunk *c = realloc(w->c, cap * sizeof *c);
        if (!c) {
            w->oom = true;
            return;
        }
        w->c = c;
        w->cap = cap;
    }
    w->c[w->n++] = (struct snapshot_file_chunk){p, len};
    w->bytes += len;
}

void snapshot_file_put(struct snapshot_file_writer *w, const void *p, size_t len)
{
    if (w->bytes % SNAPSHOT_FILE_ALIGN)
        add_chunk(w, zeros, SNAPSHOT_FILE_ALIGN - w->bytes % SNAPSHOT_FILE_ALIGN);
    if (len)
        add_chunk(w, p, len);
}

void snapshot_file_put_copy(struct snapshot_file_writer *w, const void *p, size_t len)
{
    void *c = w->nown < sizeof w->own / sizeof w->own[0] ? malloc(len ? len : 1) : NULL;
    if (!c) {
        w->oom = true;
        return;
    }
    memcpy(c, p, len);
    w->own[w->nown++] = c;
    snapshot_file_put(w, c, len);
}

void snapshot_file_writer_free(struct snapshot_file_writer *w)
{
    for (size_t i = 0; i < w->nown; i++)
        free(w->own[i]);
    free(w->c);
    memset(w, 0, sizeof *w);
}

static uintptr_t str_off(const struct snapshot *s, const char *p)
{
    return p ? (uintptr_t)(p - s->arena) + 1 : 0;
}

enum geod_err snapshot_file_write(const struct snapshot *s, const struct snapshot_file_key *key,
                                  struct snapshot_file_writer *w)
{
    memset(w, 0, sizeof *w);
    if (s->base || !s->tree || !s->clusters || !s->arena_len)
        return GEOD_EINVAL;
    add_chunk(w, &w->header, sizeof w->header);
    struct fmeta m = {.n = s->nfac, .arena_len = s->arena_len, .ncat = s->ncat};
    for (size_t c = 0; c < s->ncat; c++) {
        m.cat_id[c] = (uint64_t)(s->cats[c].id - s->arena);
        m.cat_name[c] = (uint64_t)(s->cats[c].name_zh - s->arena);
    }
    snapshot_file_put_copy(w, &m, sizeof m);
    struct facility *fac = malloc((s->nfac ? s->nfac : 1) * sizeof *fac);
    if (!fac || w->nown == sizeof w->own / sizeof w->own[0]) {
        free(fac);
        snapshot_file_writer_free(w);
        return GEOD_ENOMEM;
    }
    w->own[w->nown++] = fac;
    for (size_t i = 0; i < s->nfac; i++) {
        const struct facility *f = &s->fac[i];
        fac[i] = *f;
        fac[i].name = (const char *)str_off(s, f->name);
        fac[i].address = (const char *)str_off(s, f->address);
        fac[i].phone = (const char *)str_off(s, f->phone);
        fac[i].hours = (const char *)str_off(s, f->hours);
        fac[i].division_code = (const char *)str_off(s, f->division_code);
        fac[i].source = (const char *)str_off(s, f->source);
    }
    snapshot_file_put(w, fac, s->nfac * sizeof *fac);
    snapshot_file_put(w, s->arena, s->arena_len);
    rtree_file_put(s->tree, w);
    cluster_file_put(s->clusters, w);
    if (w->oom) {
        snapshot_file_writer_free(w);
        return GEOD_ENOMEM;
    }
    struct sum sum = {0};
    for (size_t i = 1; i < w->n; i++)
        sum_add(&sum, w->c[i].p, w->c[i].len);
    struct snapshot_file_header *h = &w->header;
    memcpy(h->magic, "GEODSNAP", 8);
    h->format = SNAPSHOT_FILE_FORMAT;
    h->order = ORDER_MARK;
    layout(h->layout);
    h->key = *key;
    h->generation = s->generation;
    h->bytes = w->bytes;
    h->sum = sum_end(&sum);
    h->header_sum = 0;
    h->header_sum = snapshot_file_sum(h, sizeof *h);
    return GEOD_OK;
}

/* ---- reading ---- */

size_t snapshot_file_mul(size_t len, size_t size)
{
    return size && len > SIZE_MAX / size ? SIZE_MAX : len * size;
}

void *snapshot_file_take(struct snapshot_file_reader *r, size_t len)
{
    size_t off = (r->off + SNAPSHOT_FILE_ALIGN - 1) / SNAPSHOT_FILE_ALIGN * SNAPSHOT_FILE_ALIGN;
    if (r->bad || off > r->len || len > r->len - off) {
        r->bad = true;
        return NULL;
    }
    r->off = off + len;
    return r->buf + off;
}

const char *snapshot_file_verdict_text(enum snapshot_file_verdict v)
{
    switch (v) {
    case SNAPSHOT_FILE_OK:
        return "valid";
    case SNAPSHOT_FILE_SHORT:
        return "truncated";
    case SNAPSHOT_FILE_FOREIGN:
        return "not a snapshot file of this format and layout";
    case SNAPSHOT_FILE_STALE:
        return "made by another build or from another state of the store";
    case SNAPSHOT_FILE_DAMAGED:
        return "damaged (checksum)";
    }
    return "?";
}

enum snapshot_file_verdict snapshot_file_check(const void *buf, size_t len,
                                               const struct snapshot_file_key *key,
                                               bool verify_sum)
{
    struct snapshot_file_header h;
    if (len < sizeof h)
        return SNAPSHOT_FILE_SHORT;
    memcpy(&h, buf, sizeof h);
    uint32_t l[8];
    layout(l);
    if (memcmp(h.magic, "GEODSNAP", 8) || h.format != SNAPSHOT_FILE_FORMAT ||
        h.order != ORDER_MARK || memcmp(h.layout, l, sizeof l))
        return SNAPSHOT_FILE_FOREIGN;
    uint64_t hs = h.header_sum;
    h.header_sum = 0;
    if (snapshot_file_sum(&h, sizeof h) != hs)
        return SNAPSHOT_FILE_DAMAGED;
    if (memcmp(&h.key, key, sizeof h.key))
        return SNAPSHOT_FILE_STALE;
    if (h.bytes != len)
        return h.bytes > len ? SNAPSHOT_FILE_SHORT : SNAPSHOT_FILE_DAMAGED;
    if (verify_sum &&
        snapshot_file_sum((const uint8_t *)buf + sizeof h, len - sizeof h) != h.sum)
        return SNAPSHOT_FILE_DAMAGED;
    return SNAPSHOT_FILE_OK;
}

/* Ids and categories of the records, for checking the indexes' items. */
struct known {
    const struct facility *fac;
    size_t n;
    uint8_t *cat; /* [max_id + 1]: category + 1, 0 for none; NULL: binary search */
};

static bool known_id(void *u, uint32_t id, uint8_t cat)
{
    const struct known *k = u;
    if (k->cat)
        return k->n && id <= k->fac[k->n - 1].id && k->cat[id] == cat + 1u;
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->fac[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k->n && k->fac[lo].id == id && k->fac[lo].cat == cat;
}

/* An encoded string pointer back into the arena: false when it points outside. */
static bool fix_str(const char **p, char *arena, size_t arena_len, bool required)
{
    uintptr_t v = (uintptr_t)*p;
    if (!v) {
        return !required;
    }
    if (v - 1 >= arena_len)
        return false;
    *p = arena + (v - 1);
    return true;
}

static bool fix_records(struct facility *fac, size_t n, char *arena, size_t arena_len,
                        size_t ncat)
{
    uint32_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        struct facility *f = &fac[i];
        if (f->id <= prev || f->cat >= ncat || !(f->lon >= -180 && f->lon <= 180) ||
            !(f->lat >= -90 && f->lat <= 90) || f->geohash[12] != '\0' ||
            !fix_str(&f->name, arena, arena_len, true) ||
            !fix_str(&f->address, arena, arena_len, false) ||
            !fix_str(&f->phone, arena, arena_len, false) ||
            !fix_str(&f->hours, arena, arena_len, false) ||
            !fix_str(&f->division_code, arena, arena_len, false) ||
            !fix_str(&f->source, arena, arena_len, true))
            return false;
        prev = f->id;
    }
    return true;
}

enum geod_err snapshot_file_read(struct snapshot_builder *b, void *buf, size_t len,
                                 void (*release)(void *ctx), void *release_ctx)
{
    struct snapshot_file_reader r = {.buf = buf, .len = len,
                                     .off = sizeof(struct snapshot_file_header)};
    const struct fmeta *m = snapshot_file_take(&r, sizeof *m);
    if (!m || m->ncat > RTREE_MAX_CATEGORIES || m->arena_len == 0 || m->n > UINT32_MAX)
        return GEOD_ECORRUPT;
    struct snapshot_prebuilt p = {.n = m->n, .arena_len = m->arena_len, .ncat = m->ncat,
                                  .release = release, .release_ctx = release_ctx};
    p.fac = snapshot_file_take(&r, snapshot_file_mul(m->n, sizeof *p.fac));
    p.arena = snapshot_file_take(&r, m->arena_len);
    if (r.bad || p.arena[p.arena_len - 1] != '\0')
        return GEOD_ECORRUPT;
    for (size_t c = 0; c < p.ncat; c++) {
        if (m->cat_id[c] >= p.arena_len || m->cat_name[c] >= p.arena_len)
            return GEOD_ECORRUPT;
        p.cat_id[c] = m->cat_id[c];
        p.cat_name[c] = m->cat_name[c];
    }
    if (!fix_records(p.fac, p.n, p.arena, p.arena_len, p.ncat))
        return GEOD_ECORRUPT;
    struct known k = {p.fac, p.n, NULL};
    uint32_t max_id = p.n ? p.fac[p.n - 1].id : 0;
    if (max_id <= 2 * p.n + (1u << 20)) {
        if (!(k.cat = calloc((size_t)max_id + 1, 1)))
            return GEOD_ENOMEM;
        for (size_t i = 0; i < p.n; i++)
            k.cat[p.fac[i].id] = (uint8_t)(p.fac[i].cat + 1);
    }
    enum geod_err rc = rtree_file_take(&r, p.n, known_id, &k, &p.tree);
    if (!rc)
        rc = cluster_file_take(&r, p.n, known_id, &k, &p.clusters);
    free(k.cat);
    if (!rc && r.off != len)
        rc = GEOD_ECORRUPT;
    if (rc) {
        rtree_free(p.tree);
        cluster_free(p.clusters);
        return rc;
    }
    snapshot_builder_prebuilt(b, &p);
    return GEOD_OK;
}

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

/* MurmurHash3's finalizer: a bijection in which every input bit moves every output bit. */
static uint64_t fmix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ x >> 33;
}

static uint64_t sum_end(struct sum *s)
{
    if (s->nbuf) {
        memset(s->buf + s->nbuf, 0, 32 - s->nbuf);
        sum_blocks(s, s->buf, 1);
    }
    /* each sum through the bijection before the next joins, so changes never cancel */
    uint64_t h = fmix(s->total);
    for (int l = 0; l < 4; l++)
        h = fmix(fmix(h ^ s->a[l]) ^ s->b[l]);
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

/* A string's address were the arena at `at`. */
static const char *str_at(const struct snapshot *s, const char *p, uintptr_t at)
{
    return p ? (const char *)(at + (uintptr_t)(p - s->arena)) : NULL;
}

static size_t align_up(size_t off)
{
    return (off + SNAPSHOT_FILE_ALIGN - 1) / SNAPSHOT_FILE_ALIGN * SNAPSHOT_FILE_ALIGN;
}

enum geod_err snapshot_file_write(const struct snapshot *s, const struct snapshot_file_key *key,
                                  uintptr_t base, struct snapshot_file_writer *w)
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
    /* where the arena will be: right after the records */
    uintptr_t at = base + align_up(align_up(w->bytes) + s->nfac * sizeof *fac);
    for (size_t i = 0; i < s->nfac; i++) {
        const struct facility *f = &s->fac[i];
        fac[i] = *f;
        fac[i].name = str_at(s, f->name, at);
        fac[i].address = str_at(s, f->address, at);
        fac[i].phone = str_at(s, f->phone, at);
        fac[i].hours = str_at(s, f->hours, at);
        fac[i].division_code = str_at(s, f->division_code, at);
        fac[i].source = str_at(s, f->source, at);
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
    h->base = base;
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
    size_t off = align_up(r->off);
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

/* The ids of the records, for checking the indexes' items: an index's id always names a record
 * (the answers look it up); its category only filters, and is checked to be one. */
struct known {
    const struct facility *fac;
    size_t n;
    uint32_t max_id;
    uint64_t *bits; /* [max_id / 64 + 1]: bit id set for a record; NULL: binary search */
};

static bool known_id(void *u, uint32_t id, uint8_t cat)
{
    const struct known *k = u;
    if (cat >= RTREE_MAX_CATEGORIES)
        return false;
    if (k->bits)
        return id <= k->max_id && (k->bits[id / 64] >> (id % 64) & 1);
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->fac[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k->n && k->fac[lo].id == id;
}

/* Is a string pointer, as written (the arena at `was`), inside the arena? */
static bool str_ok(const char *p, uintptr_t was, size_t arena_len, bool required)
{
    return p ? (uintptr_t)p - was < arena_len : !required;
}

/* The records' checks, every string pointer inside the arena, which was at `was` when they were
 * written and is at `arena` now. */
static bool check_records(const struct facility *fac, size_t n, uintptr_t was, size_t arena_len,
                          size_t ncat)
{
    uint32_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        const struct facility *f = &fac[i];
        if (f->id <= prev || f->cat >= ncat || !(f->lon >= -180 && f->lon <= 180) ||
            !(f->lat >= -90 && f->lat <= 90) || f->geohash[12] != '\0' ||
            !str_ok(f->name, was, arena_len, true) || !str_ok(f->address, was, arena_len, false) ||
            !str_ok(f->phone, was, arena_len, false) || !str_ok(f->hours, was, arena_len, false) ||
            !str_ok(f->division_code, was, arena_len, false) ||
            !str_ok(f->source, was, arena_len, true))
            return false;
        prev = f->id;
    }
    return true;
}

static void fix_str(const char **p, uintptr_t was, const char *arena)
{
    if (*p)
        *p = arena + ((uintptr_t)*p - was);
}

/* The records' string pointers moved from the arena at `was` to `arena`. */
static void fix_records(struct facility *fac, size_t n, uintptr_t was, const char *arena)
{
    for (size_t i = 0; i < n; i++) {
        struct facility *f = &fac[i];
        fix_str(&f->name, was, arena);
        fix_str(&f->address, was, arena);
        fix_str(&f->phone, was, arena);
        fix_str(&f->hours, was, arena);
        fix_str(&f->division_code, was, arena);
        fix_str(&f->source, was, arena);
    }
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
    const struct snapshot_file_header *h = (const void *)buf;
    uintptr_t was = (uintptr_t)h->base + (uintptr_t)(p.arena - (char *)buf);
    if (!check_records(p.fac, p.n, was, p.arena_len, p.ncat))
        return GEOD_ECORRUPT;
    if (was != (uintptr_t)p.arena) /* not mapped where it was meant to be */
        fix_records(p.fac, p.n, was, p.arena);
    struct known k = {p.fac, p.n, p.n ? p.fac[p.n - 1].id : 0, NULL};
    if (k.max_id <= 64 * p.n + (1u << 20)) {
        if (!(k.bits = calloc(k.max_id / 64 + 1, sizeof *k.bits)))
            return GEOD_ENOMEM;
        for (size_t i = 0; i < p.n; i++)
            k.bits[p.fac[i].id / 64] |= 1ull << (p.fac[i].id % 64);
    }
    enum geod_err rc = rtree_file_take(&r, p.n, known_id, &k, &p.tree);
    if (!rc)
        rc = cluster_file_take(&r, p.n, known_id, &k, &p.clusters);
    free(k.bits);
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

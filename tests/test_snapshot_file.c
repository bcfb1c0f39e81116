/* test_snapshot_file.c - index/snapshot_file.c, rtree_file.c and cluster_file.c: a snapshot
 * written to bytes and read back (mapped where it was meant to be, or elsewhere and fixed up)
 * answers exactly as the snapshot it was written from (the oracle): every record, the category
 * counts, nearest-K over the R-tree and the clusters of every zoom; and bytes that are not such
 * a file (truncated, a byte changed anywhere, another key, another format) are refused, while
 * sections damaged behind a valid checksum are refused by the section checks, never crash. */
#include "index/cluster.h"
#include "index/rtree.h"
#include "index/rtree_impl.h"
#include "index/snapshot_file.h"
#include "tests/t.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double unit(void)
{
    return (double)(next() >> 11) / 9007199254740992.0;
}

static const char *const cats[] = {"community_center", "hospital", "shelter", "elderly_care"};

/* 60 % / 35.5 % / 4 % / 0.5 %: the last two are rare enough for the R-tree's tree of rare
 * categories (rtree_build.c), which the file must carry too. */
static size_t skewed_category(void)
{
    uint64_t r = next() % 1000;
    return r < 600 ? 0 : r < 955 ? 1 : r < 995 ? 2 : 3;
}

/* n facilities around Wuhan with sparse-ish ids and strings that are sometimes NULL. */
static struct snapshot *make(size_t n, uint64_t generation)
{
    struct snapshot_builder *b;
    T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
    for (size_t c = 0; c < sizeof cats / sizeof *cats; c++)
        T_CHECK(snapshot_builder_category(b, cats[c], "名称") == GEOD_OK);
    uint32_t id = 0;
    for (size_t i = 0; i < n; i++) {
        char name[64], addr[64], phone[32];
        id += 1 + (uint32_t)(next() % 3);
        snprintf(name, sizeof name, "设施 %zu", i);
        snprintf(addr, sizeof addr, "武汉市 %u 号", (unsigned)(next() % 1000));
        snprintf(phone, sizeof phone, "027-%08u", (unsigned)(next() % 100000000));
        struct facility_in f = {
            .id = id,
            .version = 1 + (uint32_t)(next() % 5),
            .category = cats[skewed_category()],
            .lon = 113.7 + 1.4 * unit(),
            .lat = 29.97 + 1.4 * unit(),
            .name = name,
            .address = next() % 3 ? addr : NULL,
            .phone = next() % 2 ? phone : NULL,
            .hours = next() % 4 ? "Mo-Fr 08:00-17:00" : NULL,
            .division_code = next() % 2 ? "420102003002" : NULL,
            .source = next() % 2 ? "synthetic" : "import",
        };
        if (i % 50 == 7) /* some at exactly the same place */
            f.lon = 114.3, f.lat = 30.6;
        T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
    }
    struct snapshot *s = NULL;
    T_CHECK(snapshot_builder_finish(b, generation, &s) == GEOD_OK);
    return s;
}

/* The bytes of s under key for a file at base, in an aligned buffer (of cap >= the length). */
static uint8_t *bytes_of(const struct snapshot *s, const struct snapshot_file_key *key,
                         uintptr_t base, size_t *len)
{
    struct snapshot_file_writer w;
    T_CHECK(snapshot_file_write(s, key, base, &w) == GEOD_OK);
    uint8_t *buf = aligned_alloc(4096, (w.bytes + 4095) / 4096 * 4096);
    size_t off = 0;
    for (size_t i = 0; i < w.n; i++) {
        memcpy(buf + off, w.c[i].p, w.c[i].len);
        off += w.c[i].len;
    }
    T_CHECK(off == w.bytes);
    *len = w.bytes;
    snapshot_file_writer_free(&w);
    return buf;
}

/* The pointers of a file written for one address, moved to where buf is. */
static uint8_t *written_for(const struct snapshot *s, const struct snapshot_file_key *key,
                            bool here, size_t *len)
{
    size_t l;
    free(bytes_of(s, key, 0, &l));
    uint8_t *buf = aligned_alloc(4096, (l + 4095) / 4096 * 4096);
    uint8_t *tmp = bytes_of(s, key, here ? (uintptr_t)buf : 0x123400000040ull, len);
    memcpy(buf, tmp, *len);
    free(tmp);
    return buf;
}

static int releases;

static void release(void *ctx)
{
    releases++;
    free(ctx);
}

static struct snapshot *read_back(uint8_t *buf, size_t len, uint64_t generation)
{
    struct snapshot_builder *b;
    T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
    enum geod_err rc = snapshot_file_read(b, buf, len, release, buf);
    T_CHECKF(rc == GEOD_OK, "snapshot_file_read: %s", geod_strerror(rc));
    struct snapshot *s = NULL;
    if (rc) {
        snapshot_builder_free(b);
        free(buf);
        return NULL;
    }
    T_CHECK(snapshot_builder_finish(b, generation, &s) == GEOD_OK);
    return s;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

struct cmp {
    const struct snapshot *other;
    size_t seen, bad;
};

static bool same_record(void *udata, const struct facility *f)
{
    struct cmp *c = udata;
    const struct facility *g = snapshot_get(c->other, f->id);
    c->seen++;
    if (!g || g->id != f->id || g->version != f->version || g->cat != f->cat ||
        g->lon != f->lon || g->lat != f->lat || strcmp(g->geohash, f->geohash) ||
        !same_str(g->name, f->name) || !same_str(g->address, f->address) ||
        !same_str(g->phone, f->phone) || !same_str(g->hours, f->hours) ||
        !same_str(g->division_code, f->division_code) || !same_str(g->source, f->source))
        c->bad++;
    return true;
}

static bool collect(void *udata, const struct cluster *c)
{
    struct {
        struct cluster *c;
        size_t n, cap;
    } *l = udata;
    if (l->n < l->cap)
        l->c[l->n] = *c;
    l->n++;
    return true;
}

static bool same_cluster(const struct cluster *a, const struct cluster *b)
{
    if (a->zoom != b->zoom || a->x != b->x || a->y != b->y || a->count != b->count ||
        a->id != b->id || a->lon != b->lon || a->lat != b->lat ||
        a->expansion_zoom != b->expansion_zoom || a->nparts != b->nparts ||
        memcmp(a->box, b->box, sizeof a->box))
        return false;
    for (uint32_t i = 0; i < a->nparts; i++)
        if (a->parts[i].cat != b->parts[i].cat || a->parts[i].count != b->parts[i].count)
            return false;
    return true;
}

/* Everything a query can see of a and b is the same. */
/* rtree_query.coords: the exact position of a record, by id, from the snapshot itself. */
static void snap_coords(const void *cdata, uint32_t id, double *lon, double *lat)
{
    const struct facility *f = snapshot_get(cdata, id);
    T_CHECKF(f != NULL, "the tree holds id %u, which no record has", id);
    *lon = f ? f->lon : 0;
    *lat = f ? f->lat : 0;
}

static void same_answers(const struct snapshot *a, const struct snapshot *b)
{
    T_CHECK(a->n == b->n && a->ncat == b->ncat && a->generation == b->generation);
    for (size_t c = 0; c < a->ncat && c < b->ncat; c++)
        T_CHECK(!strcmp(a->cats[c].id, b->cats[c].id) &&
                !strcmp(a->cats[c].name_zh, b->cats[c].name_zh) &&
                a->cats[c].count == b->cats[c].count);
    struct cmp c = {b, 0, 0};
    snapshot_foreach(a, same_record, &c);
    T_CHECKF(c.seen == a->n && c.bad == 0, "%zu records, %zu differ", c.seen, c.bad);
    struct rtree_scratch *sa, *sb;
    T_CHECK(rtree_scratch_new(&sa) == GEOD_OK && rtree_scratch_new(&sb) == GEOD_OK);
    struct rtree_hit ha[50], hb[50];
    size_t bad = 0;
    for (int q = 0; q < 200; q++) {
        struct rtree_query rq = {.lon = 113.6 + 1.6 * unit(),
                                 .lat = 29.9 + 1.6 * unit(),
                                 .k = 1 + (uint32_t)(next() % 50),
                                 .max_m = q % 3 ? INFINITY : 5000,
                                 .cat_mask = q % 2 ? ~0ull : 1ull << (q % 4)};
        size_t na = 0, nb = 0;
        rq.coords = snap_coords; /* each tree its own snapshot's records */
        rq.cdata = a;
        T_CHECK(rtree_nearest(a->tree, &rq, sa, ha, &na) == GEOD_OK);
        rq.cdata = b;
        T_CHECK(rtree_nearest(b->tree, &rq, sb, hb, &nb) == GEOD_OK);
        bad += na != nb || memcmp(ha, hb, na * sizeof *ha) != 0;
    }
    T_CHECKF(bad == 0, "%zu nearest-K answers differ", bad);
    rtree_scratch_free(sa);
    rtree_scratch_free(sb);
    struct cluster_scratch *ca, *cb;
    T_CHECK(cluster_scratch_new(&ca) == GEOD_OK && cluster_scratch_new(&cb) == GEOD_OK);
    static struct cluster la[4096], lb[4096];
    bad = 0;
    for (int z = 0; z <= CLUSTER_MAX_ZOOM; z++) {
        double w = 113.7 + unit(), s = 29.97 + unit(), span = 2.0 / (1 << (z / 2));
        double box[4] = {w, s, w + span, s + span};
        struct {
            struct cluster *c;
            size_t n, cap;
        } xa = {la, 0, 4096}, xb = {lb, 0, 4096};
        T_CHECK(cluster_query(a->clusters, box, z, ~0ull, ca, collect, &xa) == GEOD_OK);
        T_CHECK(cluster_query(b->clusters, box, z, ~0ull, cb, collect, &xb) == GEOD_OK);
        bad += xa.n != xb.n;
        for (size_t i = 0; i < xa.n && i < xb.n && i < 4096; i++)
            bad += !same_cluster(&la[i], &lb[i]);
    }
    T_CHECKF(bad == 0, "%zu cluster answers differ", bad);
    cluster_scratch_free(ca);
    cluster_scratch_free(cb);
}

static const struct snapshot_file_key key1 = {.build_id = {1, 2, 3}, .stamp = 42, .schema = 5};

/* Mapped where it was meant to be: used as it is (not a byte of it changed). */
static void round_trip_in_place(void)
{
    struct snapshot *s = make(3000, 77);
    size_t len;
    uint8_t *buf = written_for(s, &key1, true, &len);
    T_CHECK(snapshot_file_check(buf, len, &key1, true) == SNAPSHOT_FILE_OK);
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    releases = 0;
    struct snapshot *r = read_back(buf, len, 77);
    if (r) {
        T_CHECK(memcmp(copy, buf, len) == 0);
        /* the tree of rare categories came through too, and queries on them reach it */
        T_CHECK(s->tree->rare && r->tree->rare && r->tree->rare->n == s->tree->rare->n);
        same_answers(s, r);
        snapshot_free(r);
    }
    T_CHECK(releases == 1);
    free(copy);
    snapshot_free(s);
}

/* Mapped elsewhere: the records' pointers fixed up, the same answers. */
static void round_trip_moved(void)
{
    for (size_t n = 0; n <= 2000; n += n < 20 ? 1 : 997) {
        struct snapshot *s = make(n, 3);
        size_t len;
        uint8_t *buf = written_for(s, &key1, false, &len);
        T_CHECK(snapshot_file_check(buf, len, &key1, true) == SNAPSHOT_FILE_OK);
        struct snapshot *r = read_back(buf, len, 3);
        if (r) {
            same_answers(s, r);
            /* and written again from the snapshot read: the same bytes */
            size_t l1, l2;
            uint8_t *b1 = bytes_of(s, &key1, 4096, &l1), *b2 = bytes_of(r, &key1, 4096, &l2);
            T_CHECKF(l1 == l2 && memcmp(b1, b2, l1) == 0, "n %zu: rewritten bytes differ", n);
            free(b1);
            free(b2);
            snapshot_free(r);
        }
        snapshot_free(s);
    }
}

/* Whatever is not the file for this key is refused before a section is read. */
static void refused(void)
{
    struct snapshot *s = make(500, 1);
    size_t len;
    uint8_t *buf = written_for(s, &key1, false, &len);
    T_CHECK(snapshot_file_check(buf, len, &key1, true) == SNAPSHOT_FILE_OK);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 3)
        T_CHECKF(snapshot_file_check(buf, cut, &key1, true) != SNAPSHOT_FILE_OK, "cut at %zu",
                 cut);
    uint8_t *longer = malloc(len + 64);
    memcpy(longer, buf, len);
    memset(longer + len, 0, 64);
    T_CHECK(snapshot_file_check(longer, len + 64, &key1, true) == SNAPSHOT_FILE_DAMAGED);
    free(longer);
    struct snapshot_file_key k = key1;
    k.stamp++;
    T_CHECK(snapshot_file_check(buf, len, &k, true) == SNAPSHOT_FILE_STALE);
    k = key1;
    k.build_id[39] ^= 1;
    T_CHECK(snapshot_file_check(buf, len, &k, true) == SNAPSHOT_FILE_STALE);
    k = key1;
    k.schema = 4;
    T_CHECK(snapshot_file_check(buf, len, &k, true) == SNAPSHOT_FILE_STALE);
    struct snapshot_file_header *h = (void *)buf;
    h->format++;
    T_CHECK(snapshot_file_check(buf, len, &key1, true) == SNAPSHOT_FILE_FOREIGN);
    h->format--;
    /* every bit of the header and a spread of bits everywhere else */
    size_t missed = 0, tried = 0;
    for (size_t bit = 0; bit < len * 8; bit += bit < sizeof *h * 8 ? 1 : 1 + next() % 4001) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        missed += snapshot_file_check(buf, len, &key1, true) == SNAPSHOT_FILE_OK;
        tried++;
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    T_CHECKF(missed == 0, "%zu of %zu flipped bits not noticed", missed, tried);
    T_CHECK(snapshot_file_check(buf, len, &key1, true) == SNAPSHOT_FILE_OK);
    free(buf);
    snapshot_free(s);
}

/* Sections changed behind a checksum that holds (the fuzz target's way in): every change is
 * either refused or yields a snapshot that can be queried and freed, never a crash (ASan). */
static void damaged_sections(void)
{
    struct snapshot *s = make(300, 1);
    size_t len;
    uint8_t *orig = written_for(s, &key1, false, &len);
    size_t refused_n = 0, taken = 0;
    for (int i = 0; i < 3000; i++) {
        uint8_t *buf = aligned_alloc(4096, (len + 4095) / 4096 * 4096);
        memcpy(buf, orig, len);
        size_t at = sizeof(struct snapshot_file_header) + next() % (len - sizeof(struct snapshot_file_header));
        buf[at] ^= (uint8_t)(1 + next() % 255);
        if (i % 3 == 0) /* and whole words */
            memset(buf + (at & ~(size_t)7), 0xff, at + 8 <= len ? 8 : 1);
        T_CHECK(snapshot_file_check(buf, len, &key1, false) == SNAPSHOT_FILE_OK);
        struct snapshot_builder *b;
        T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
        if (snapshot_file_read(b, buf, len, release, buf) != GEOD_OK) {
            refused_n++;
            snapshot_builder_free(b);
            free(buf);
            continue;
        }
        struct snapshot *r = NULL;
        if (snapshot_builder_finish(b, 1, &r) == GEOD_OK) {
            taken++;
            struct rtree_scratch *sc;
            struct rtree_hit hits[20];
            size_t nh;
            T_CHECK(rtree_scratch_new(&sc) == GEOD_OK);
            struct rtree_query q = {.lon = 114.3, .lat = 30.6, .k = 20, .max_m = INFINITY,
                                    .cat_mask = ~0ull, .coords = snap_coords, .cdata = r};
            T_CHECK(rtree_nearest(r->tree, &q, sc, hits, &nh) == GEOD_OK);
            for (size_t h = 0; h < nh; h++)
                T_CHECK(snapshot_get(r, hits[h].id) != NULL);
            rtree_scratch_free(sc);
            snapshot_free(r);
        }
    }
    printf("     %zu changed files refused, %zu taken\n", refused_n, taken);
    free(orig);
    snapshot_free(s);
}

int main(void)
{
    T_RUN(round_trip_in_place);
    T_RUN(round_trip_moved);
    T_RUN(refused);
    T_RUN(damaged_sections);
    return T_END();
}

/* snapshot.c - building and reading immutable full facility snapshots (derived ones:
 * snapshot_delta.c). Strings live in one arena; while building, records hold arena offsets,
 * turned into pointers once the arena stops moving. */
#include "index/geohash.h"
#include "index/snapshot_impl.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#define NSTR 6 /* name, address, phone, hours, division_code, source */
#define NO_STR SIZE_MAX
#define PARALLEL_MIN 50000 /* facilities from which a second thread builds the R-tree */

struct bfac {
    struct facility f;
    size_t off[NSTR]; /* arena offsets of the strings, NO_STR for NULL */
};

/* What derived snapshots share: freed with the last snapshot holding it. */
struct snapshot_parts {
    atomic_size_t refs;
    struct divisions *div;
    struct names *div_names;
    struct enterprises *ent;
};

struct snapshot_builder {
    struct snapshot_parts *shared; /* snapshot_derive: the base's parts, one reference held */
    struct bfac *fac;
    size_t n, cap;
    char *arena;
    size_t arena_len, arena_cap;
    size_t ncat;
    struct {
        size_t id, name_zh; /* arena offsets */
    } cat[RTREE_MAX_CATEGORIES];
    struct divisions *div;
    struct enterprises_builder *ent;
    const struct pinyin_table *pt;
    const struct pinyin_overrides *ov;
    enum geod_err err; /* snapshot_compact's add_live */
    struct snapshot_prebuilt pre; /* snapshot_builder_prebuilt's, when has_pre */
    bool has_pre;
};

void snapshot_parts_retain(struct snapshot_parts *p)
{
    atomic_fetch_add(&p->refs, 1);
}

static void parts_release(struct snapshot_parts *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    divisions_free(p->div);
    names_free(p->div_names);
    enterprises_free(p->ent);
    free(p);
}

enum geod_err snapshot_builder_new(struct snapshot_builder **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

void snapshot_builder_free(struct snapshot_builder *b)
{
    if (!b)
        return;
    divisions_free(b->div);
    enterprises_builder_free(b->ent);
    parts_release(b->shared);
    if (b->has_pre) { /* not taken over by a snapshot */
        rtree_free(b->pre.tree);
        cluster_free(b->pre.clusters);
        if (b->pre.release)
            b->pre.release(b->pre.release_ctx);
    }
    free(b->fac);
    free(b->arena);
    free(b);
}

static enum geod_err arena_put(struct snapshot_builder *b, const char *s, size_t *off)
{
    if (!s) {
        *off = NO_STR;
        return GEOD_OK;
    }
    size_t len = strlen(s) + 1;
    if (b->arena_len + len > b->arena_cap) {
        size_t cap = b->arena_cap ? b->arena_cap * 2 : 4096;
        while (cap < b->arena_len + len)
            cap *= 2;
        char *a = realloc(b->arena, cap);
        if (!a)
            return GEOD_ENOMEM;
        b->arena = a;
        b->arena_cap = cap;
    }
    memcpy(b->arena + b->arena_len, s, len);
    *off = b->arena_len;
    b->arena_len += len;
    return GEOD_OK;
}

static int find_category(const struct snapshot_builder *b, const char *id)
{
    for (size_t i = 0; i < b->ncat; i++)
        if (strcmp(b->arena + b->cat[i].id, id) == 0)
            return (int)i;
    return -1;
}

enum geod_err snapshot_builder_category(struct snapshot_builder *b, const char *id,
                                        const char *name_zh)
{
    if (!id || !*id || strlen(id) > SNAPSHOT_ID_MAX || !name_zh || find_category(b, id) >= 0)
        return GEOD_EINVAL;
    if (b->ncat == RTREE_MAX_CATEGORIES)
        return GEOD_ERANGE;
    if (arena_put(b, id, &b->cat[b->ncat].id) || arena_put(b, name_zh, &b->cat[b->ncat].name_zh))
        return GEOD_ENOMEM;
    b->ncat++;
    return GEOD_OK;
}

enum geod_err snapshot_builder_add(struct snapshot_builder *b, const struct facility_in *f)
{
    int cat = f->category ? find_category(b, f->category) : -1;
    if (cat < 0 || f->id == 0 || !f->name || !f->source ||
        !(f->lon >= -180 && f->lon <= 180 && f->lat >= -90 && f->lat <= 90))
        return GEOD_EINVAL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        struct bfac *a = realloc(b->fac, cap * sizeof *a);
        if (!a)
            return GEOD_ENOMEM;
        b->fac = a;
        b->cap = cap;
    }
    struct bfac *r = &b->fac[b->n];
    memset(r, 0, sizeof *r);
    r->f.id = f->id;
    r->f.version = f->version;
    r->f.cat = (uint8_t)cat;
    r->f.lon = f->lon;
    r->f.lat = f->lat;
    if (geohash_encode(f->lon, f->lat, 12, r->f.geohash))
        return GEOD_EINVAL;
    const char *s[NSTR] = {f->name, f->address, f->phone, f->hours, f->division_code, f->source};
    for (int i = 0; i < NSTR; i++)
        if (arena_put(b, s[i], &r->off[i]))
            return GEOD_ENOMEM;
    b->n++;
    return GEOD_OK;
}

void snapshot_builder_prebuilt(struct snapshot_builder *b, const struct snapshot_prebuilt *p)
{
    b->pre = *p;
    b->has_pre = true;
}

void snapshot_builder_pinyin(struct snapshot_builder *b, const struct pinyin_table *pt,
                             const struct pinyin_overrides *ov)
{
    b->pt = pt;
    b->ov = ov;
}

/* The name index over the divisions: ids are table indexes, groups are levels. */
static enum geod_err index_division_names(struct snapshot *s)
{
    if (!s->pinyin || !s->div->n)
        return GEOD_OK;
    struct names_entry *e = malloc(s->div->n * sizeof *e);
    if (!e)
        return GEOD_ENOMEM;
    for (size_t i = 0; i < s->div->n; i++)
        e[i] = (struct names_entry){(uint32_t)i, s->div->d[i].name, (uint32_t)s->div->d[i].level};
    enum geod_err rc = names_new(e, s->div->n, s->pinyin, s->overrides, NULL, &s->div_names);
    free(e);
    return rc;
}

void snapshot_builder_divisions(struct snapshot_builder *b, struct divisions *div)
{
    divisions_free(b->div);
    b->div = div;
}

void snapshot_builder_enterprises(struct snapshot_builder *b, struct enterprises_builder *eb)
{
    enterprises_builder_free(b->ent);
    b->ent = eb;
}

/* The enterprise table: what was handed over, else an empty one (still with its name index, so
 * that a query is checked the same way). */
static enum geod_err build_enterprises(struct snapshot_builder *b, struct snapshot *s)
{
    struct enterprises_builder *eb = b->ent;
    b->ent = NULL;
    enum geod_err rc = eb ? GEOD_OK : enterprises_builder_new(&eb);
    return rc ? rc : enterprises_builder_finish(eb, s->pinyin, s->overrides, &s->ent);
}

/* divisions_find for many codes: an open-addressing table of the 12-character codes (others
 * never match a 12-character code). */
struct code_table {
    int32_t *slot; /* division index + 1, 0 for empty */
    size_t mask;
};

static uint64_t code_hash(const char *c)
{
    uint64_t a, b = 0;
    memcpy(&a, c, 8);
    memcpy(&b, c + 8, 4);
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ b * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 31; /* the low bits of a product see only the low bits of its factors */
    h *= 0xff51afd7ed558ccdull;
    return h ^ h >> 29;
}

static bool code_table_new(const struct divisions *d, struct code_table *t)
{
    size_t cap = 16;
    while (cap < 2 * d->n)
        cap *= 2;
    t->mask = cap - 1;
    if (!(t->slot = calloc(cap, sizeof *t->slot)))
        return false;
    for (size_t i = 0; i < d->n; i++) {
        const char *c = d->d[i].code;
        if (strlen(c) != 12)
            continue;
        size_t h = code_hash(c) & t->mask;
        while (t->slot[h] && memcmp(d->d[t->slot[h] - 1].code, c, 12))
            h = (h + 1) & t->mask;
        if (!t->slot[h])
            t->slot[h] = (int32_t)i + 1;
    }
    return true;
}

static int32_t code_table_find(const struct code_table *t, const struct divisions *d,
                               const char *code)
{
    if (strnlen(code, 13) != 12)
        return -1;
    for (size_t h = code_hash(code) & t->mask; t->slot[h]; h = (h + 1) & t->mask)
        if (!memcmp(d->d[t->slot[h] - 1].code, code, 12))
            return t->slot[h] - 1;
    return -1;
}

/* For each division, its community_center facilities (whose division_code is its code) by
 * ascending id, and the first of them as the one responsible. */
static enum geod_err link_responsible(struct snapshot *s)
{
    size_t nd = s->div->n;
    s->responsible = calloc(nd ? nd : 1, sizeof *s->responsible);
    s->cc_at = calloc(nd + 1, sizeof *s->cc_at);
    if (!s->responsible || !s->cc_at)
        return GEOD_ENOMEM;
    int cc = snapshot_category(s, "community_center", strlen("community_center"));
    size_t ncc = 0;
    for (size_t i = 0; cc >= 0 && i < s->n; i++)
        ncc += s->fac[i].cat == cc && s->fac[i].division_code;
    int32_t *dv = malloc((ncc ? ncc : 1) * sizeof *dv);
    s->cc_id = malloc((ncc ? ncc : 1) * sizeof *s->cc_id);
    struct code_table ct = {0};
    if (!dv || !s->cc_id || !code_table_new(s->div, &ct)) {
        free(dv);
        return GEOD_ENOMEM;
    }
    for (size_t i = 0, j = 0; cc >= 0 && i < s->n; i++) { /* ascending ids */
        const struct facility *f = &s->fac[i];
        if (f->cat != cc || !f->division_code)
            continue;
        dv[j] = code_table_find(&ct, s->div, f->division_code);
        if (dv[j] >= 0)
            s->cc_at[dv[j] + 1]++;
        j++;
    }
    free(ct.slot);
    for (size_t d = 0; d < nd; d++)
        s->cc_at[d + 1] += s->cc_at[d];
    uint32_t *fill = malloc((nd ? nd : 1) * sizeof *fill);
    if (!fill) {
        free(dv);
        return GEOD_ENOMEM;
    }
    memcpy(fill, s->cc_at, nd * sizeof *fill);
    for (size_t i = 0, j = 0; cc >= 0 && i < s->n; i++) { /* ascending ids: the first one wins */
        const struct facility *f = &s->fac[i];
        if (f->cat != cc || !f->division_code)
            continue;
        int32_t d = dv[j++];
        if (d < 0)
            continue;
        if (!s->responsible[d])
            s->responsible[d] = f->id;
        s->cc_id[fill[d]++] = f->id;
    }
    free(fill);
    free(dv);
    return GEOD_OK;
}

/* The R-tree, built by a thread of its own while the caller builds the clusters. */
struct tree_job {
    const struct rtree_item *items;
    size_t n;
    struct rtree *tree;
    enum geod_err rc;
};

static void *tree_job_run(void *arg)
{
    struct tree_job *j = arg;
    j->rc = rtree_build(j->items, j->n, &j->tree);
    return NULL;
}

/* The spatial index and the clusters over the same items, independent of each other: built at
 * once on two threads (or one after the other when no thread can be started). */
static enum geod_err build_indexes(const struct rtree_item *items, size_t n, struct snapshot *s)
{
    struct tree_job job = {.items = items, .n = n};
    pthread_t tid;
    bool threaded = n >= PARALLEL_MIN && pthread_create(&tid, NULL, tree_job_run, &job) == 0;
    if (!threaded)
        tree_job_run(&job);
    enum geod_err rc = cluster_build(items, n, &s->clusters);
    if (threaded)
        pthread_join(tid, NULL);
    s->tree = job.tree;
    return job.rc ? job.rc : rc;
}

static int bfac_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct bfac *)a)->f.id, y = ((const struct bfac *)b)->f.id;
    return x < y ? -1 : x > y;
}

static const char *str_at(const char *arena, size_t off)
{
    return off == NO_STR ? NULL : arena + off;
}

/* The prebuilt records and indexes into s, which owns them from here (even on failure). */
static enum geod_err take_prebuilt(struct snapshot_builder *b, struct snapshot *s)
{
    const struct snapshot_prebuilt *p = &b->pre;
    b->has_pre = false;
    s->fac = p->fac;
    s->n = s->nfac = p->n;
    s->arena = p->arena;
    s->arena_len = p->arena_len;
    s->tree = p->tree;
    s->clusters = p->clusters;
    s->release = p->release;
    s->release_ctx = p->release_ctx;
    s->max_id = p->n ? p->fac[p->n - 1].id : 0;
    s->ncat = p->ncat;
    for (size_t c = 0; c < p->ncat; c++) {
        s->cats[c].id = s->arena + p->cat_id[c];
        s->cats[c].name_zh = s->arena + p->cat_name[c];
    }
    bool dense = s->max_id <= 2 * p->n + (1u << 20);
    if (dense && !(s->slot = calloc((size_t)s->max_id + 1, sizeof *s->slot)))
        return GEOD_ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        if (s->slot)
            s->slot[p->fac[i].id] = (uint32_t)i + 1;
        s->cats[p->fac[i].cat].count++;
    }
    return GEOD_OK;
}

enum geod_err snapshot_builder_finish(struct snapshot_builder *b, uint64_t generation,
                                      struct snapshot **out)
{
    *out = NULL;
    enum geod_err rc = GEOD_ENOMEM;
    struct rtree_item *items = NULL;
    struct facility *fac = NULL;
    struct divisions_builder *db = NULL;
    struct snapshot *s = calloc(1, sizeof *s);
    if (!s)
        goto done;
    atomic_init(&s->refs, 1);
    s->generation = generation;
    if (b->has_pre) {
        rc = take_prebuilt(b, s);
        goto parts;
    }
    bool sorted = true; /* the store hands records over by id: no need to sort them again */
    for (size_t i = 1; i < b->n && sorted; i++)
        sorted = b->fac[i - 1].f.id < b->fac[i].f.id;
    if (!sorted)
        qsort(b->fac, b->n, sizeof *b->fac, bfac_cmp);
    for (size_t i = 1; i < b->n; i++) {
        if (b->fac[i].f.id == b->fac[i - 1].f.id) {
            rc = GEOD_EINVAL;
            goto done;
        }
    }
    s->generation = generation;
    s->n = b->n;
    s->nfac = b->n;
    s->max_id = b->n ? b->fac[b->n - 1].f.id : 0;
    s->arena = b->arena; /* the snapshot takes the arena over */
    s->arena_len = b->arena_len;
    b->arena = NULL;
    fac = malloc((b->n ? b->n : 1) * sizeof *fac);
    /* ids are dense in practice (the store counts up): a direct table; when they are not, a
     * binary search over fac instead of a table of up to 2^32 slots */
    bool dense = s->max_id <= 2 * b->n + (1u << 20);
    if (dense)
        s->slot = calloc((size_t)s->max_id + 1, sizeof *s->slot);
    items = malloc((b->n ? b->n : 1) * sizeof *items);
    if (!fac || (dense && !s->slot) || !items)
        goto done;
    s->ncat = b->ncat;
    for (size_t c = 0; c < b->ncat; c++) {
        s->cats[c].id = s->arena + b->cat[c].id;
        s->cats[c].name_zh = s->arena + b->cat[c].name_zh;
    }
    for (size_t i = 0; i < b->n; i++) {
        const struct bfac *r = &b->fac[i];
        struct facility *f = &fac[i];
        *f = r->f;
        f->name = str_at(s->arena, r->off[0]);
        f->address = str_at(s->arena, r->off[1]);
        f->phone = str_at(s->arena, r->off[2]);
        f->hours = str_at(s->arena, r->off[3]);
        f->division_code = str_at(s->arena, r->off[4]);
        f->source = str_at(s->arena, r->off[5]);
        if (s->slot)
            s->slot[f->id] = (uint32_t)i + 1;
        s->cats[f->cat].count++;
        items[i] = (struct rtree_item){f->lon, f->lat, f->id, f->cat};
    }
    s->fac = fac;
    fac = NULL;
    rc = GEOD_OK;
parts:
    if (rc)
        goto done;
    s->pinyin = b->pt;
    s->overrides = b->ov;
    if (b->shared) {
        s->parts = b->shared;
        b->shared = NULL;
        s->div = s->parts->div;
        s->div_names = s->parts->div_names;
        s->ent = s->parts->ent;
        if ((rc = link_responsible(s)))
            goto done;
    } else {
        rc = GEOD_ENOMEM;
        if (!(s->parts = calloc(1, sizeof *s->parts)))
            goto done;
        atomic_init(&s->parts->refs, 1);
        s->div = b->div;
        b->div = NULL;
        if (!s->div && divisions_builder_new(&db) == GEOD_OK)
            divisions_builder_finish(db, &s->div); /* an empty table */
        s->parts->div = s->div;
        if (!s->div || (rc = link_responsible(s)))
            goto done;
        if ((rc = index_division_names(s)))
            goto done;
        s->parts->div_names = s->div_names;
        if ((rc = build_enterprises(b, s)))
            goto done;
        s->parts->ent = s->ent;
    }
    if (!s->tree)
        rc = build_indexes(items, b->n, s);
done:
    free(items);
    free(fac);
    snapshot_builder_free(b);
    if (rc) {
        snapshot_free(s);
        return rc;
    }
    *out = s;
    return GEOD_OK;
}

void snapshot_free(struct snapshot *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    if (s->base) { /* derived: the indexes and records are the base's */
        snapshot_delta_free(s->delta);
        parts_release(s->parts);
        free(s->responsible);
        snapshot_free(s->base);
        free(s);
        return;
    }
    rtree_free(s->tree);
    cluster_free(s->clusters);
    if (s->parts) {
        parts_release(s->parts);
    } else { /* failed before its parts were made */
        divisions_free(s->div);
        names_free(s->div_names);
        enterprises_free(s->ent);
    }
    free(s->responsible);
    free(s->cc_at);
    free(s->cc_id);
    free(s->slot);
    if (s->release) {
        s->release(s->release_ctx);
    } else {
        free((void *)s->fac);
        free(s->arena);
    }
    free(s);
}

struct snapshot *snapshot_ref(const struct snapshot *s)
{
    struct snapshot *m = (struct snapshot *)s; /* the count is the one mutable part */
    atomic_fetch_add(&m->refs, 1);
    return m;
}

const struct facility *snapshot_base_get(const struct snapshot *s, uint32_t id)
{
    if (id > s->max_id)
        return NULL;
    if (s->slot)
        return s->slot[id] ? &s->fac[s->slot[id] - 1] : NULL;
    size_t lo = 0, hi = s->nfac;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->fac[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nfac && s->fac[lo].id == id ? &s->fac[lo] : NULL;
}

const struct facility *snapshot_get(const struct snapshot *s, uint32_t id)
{
    if (s->delta) {
        ssize_t i = snapshot_delta_find(s->delta, id);
        if (i >= 0)
            return s->delta->rec[i] ? &s->delta->rec[i]->f : NULL;
    }
    return snapshot_base_get(s, id);
}

void snapshot_foreach(const struct snapshot *s, bool (*fn)(void *udata, const struct facility *f),
                      void *udata)
{
    const struct snapshot_delta *d = s->delta;
    size_t i = 0, j = 0, nd = d ? d->n : 0;
    while (i < s->nfac || j < nd) {
        if (j < nd && (i == s->nfac || d->ids[j] <= s->fac[i].id)) {
            if (i < s->nfac && s->fac[i].id == d->ids[j])
                i++; /* hidden by the delta */
            if (d->rec[j] && !fn(udata, &d->rec[j]->f))
                return;
            j++;
        } else if (!fn(udata, &s->fac[i++])) {
            return;
        }
    }
}

int snapshot_category(const struct snapshot *s, const char *id, size_t len)
{
    for (size_t i = 0; i < s->ncat; i++)
        if (strlen(s->cats[i].id) == len && memcmp(s->cats[i].id, id, len) == 0)
            return (int)i;
    return -1;
}

size_t snapshot_bytes(const struct snapshot *s)
{
    if (s->base)
        return sizeof *s + s->div->n * sizeof *s->responsible + snapshot_delta_bytes(s->delta) +
               snapshot_bytes(s->base);
    size_t b = sizeof *s + s->nfac * sizeof *s->fac +
               (s->slot ? (size_t)s->max_id + 1 : 0) * sizeof *s->slot;
    if (s->tree)
        b += rtree_bytes(s->tree);
    if (s->clusters)
        b += cluster_bytes(s->clusters);
    if (s->div)
        b += divisions_bytes(s->div) + s->div->n * sizeof *s->responsible;
    if (s->cc_at)
        b += (s->div->n + 1 + s->cc_at[s->div->n]) * sizeof *s->cc_at;
    if (s->div_names)
        b += names_bytes(s->div_names);
    if (s->ent)
        b += enterprises_bytes(s->ent);
    return b + s->arena_len;
}

static bool add_live(void *udata, const struct facility *f)
{
    struct snapshot_builder *b = udata;
    struct facility_in in = {
        .id = f->id,
        .version = f->version,
        .category = b->arena + b->cat[f->cat].id,
        .lon = f->lon,
        .lat = f->lat,
        .name = f->name,
        .address = f->address,
        .phone = f->phone,
        .hours = f->hours,
        .division_code = f->division_code,
        .source = f->source,
    };
    b->err = snapshot_builder_add(b, &in);
    return b->err == GEOD_OK;
}

enum geod_err snapshot_compact(const struct snapshot *s, struct snapshot **out)
{
    *out = NULL;
    struct snapshot_builder *b;
    enum geod_err rc = snapshot_builder_new(&b);
    if (rc)
        return rc;
    for (size_t c = 0; !rc && c < s->ncat; c++)
        rc = snapshot_builder_category(b, s->cats[c].id, s->cats[c].name_zh);
    if (!rc) {
        snapshot_foreach(s, add_live, b);
        rc = b->err;
    }
    if (rc) {
        snapshot_builder_free(b);
        return rc;
    }
    b->pt = s->pinyin;
    b->ov = s->overrides;
    snapshot_parts_retain(s->parts);
    b->shared = s->parts;
    rc = snapshot_builder_finish(b, s->generation, out);
    if (!rc) {
        (*out)->seq[0] = s->seq[0];
        (*out)->seq[1] = s->seq[1];
    }
    return rc;
}

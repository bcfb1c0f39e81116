/* test_snapshot_delta.c - derived snapshots (index/snapshot_delta.c, snapshot_query.c,
 * cluster_overlay.c) against two oracles, step by step through long random sequences of creates,
 * moves, renames, recategorisations, deletes and reverts, with compactions in between (also
 * ones that started several writes earlier, as the compactor's do):
 *   (a) a full snapshot built from scratch from the same records (the model): counts, every id,
 *       iteration order, the community centre responsible for each division, nearest-K with
 *       categories, radius and a name filter, map clusters to the last bit, points at high zoom;
 *   (b) brute force by geo_inverse over the model (tests/lib/brute.h): nearest-K and paging
 *       through everything within a radius with the (distance, id) cursor.
 * Positions pile up on a few hubs (many points per finest map cell, equal distances) so that
 * sums, ties and cells shared by base and delta are exercised. */
#include "index/cluster.h"
#include "index/geodesic.h"
#include "index/snapshot.h"
#include "index/snapshot_query.h"
#include "tests/lib/brute.h"
#include "tests/lib/gen.h"
#include "tests/t.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_IDS 6000
#define NDIV 8
#define NHUB 12

static const char *const div_code[NDIV] = {"420102001001", "420102001002", "420102001003",
                                           "420103002001", "420103002002", "420104003001",
                                           "420104003002", "420105004001"};

/* The model: every id's record now, and the one before its last change (for reverts). */
struct mrec {
    bool live;
    uint32_t version;
    int cat;
    double lon, lat;
    char name[48];
    int div;  /* index into div_code, -1 for none */
    int addr; /* 0: NULL, else a variant */
};

static struct mrec model[MAX_IDS + 1], prev[MAX_IDS + 1];
static bool has_prev[MAX_IDS + 1];
static uint32_t max_id;
static double hub[NHUB][2];

static void to_in(uint32_t id, const struct mrec *m, struct facility_in *in, char addr[32])
{
    snprintf(addr, 32, "武汉市某路%d号", m->addr);
    *in = (struct facility_in){.id = id,
                               .version = m->version,
                               .category = gen_cat_id[m->cat],
                               .lon = m->lon,
                               .lat = m->lat,
                               .name = m->name,
                               .address = m->addr ? addr : NULL,
                               .phone = m->addr % 3 ? "027-1234" : NULL,
                               .hours = m->addr % 2 ? "Mo-Fr 08:00-17:00" : NULL,
                               .division_code = m->div >= 0 ? div_code[m->div] : NULL,
                               .source = id % 2 ? "test" : "synthetic"};
}

static struct divisions *make_divisions(void)
{
    struct divisions_builder *b;
    struct divisions *d = NULL;
    if (divisions_builder_new(&b))
        return NULL;
    for (int i = 0; i < NDIV; i++) {
        struct division_in in = {.code = div_code[i],
                                 .name = "某社区",
                                 .level = DIV_COMMUNITY,
                                 .kind = "residents_committee",
                                 .center_lon = NAN,
                                 .center_lat = NAN};
        if (divisions_builder_add(b, &in)) {
            divisions_builder_free(b);
            return NULL;
        }
    }
    divisions_builder_finish(b, &d);
    return d;
}

/* A full snapshot of the model, from scratch. */
static struct snapshot *rebuild(uint64_t gen)
{
    struct snapshot_builder *b;
    struct snapshot *s = NULL;
    if (snapshot_builder_new(&b))
        return NULL;
    enum geod_err rc = GEOD_OK;
    for (int c = 0; !rc && c < GEN_NCAT; c++)
        rc = snapshot_builder_category(b, gen_cat_id[c], gen_cat_zh[c]);
    for (uint32_t id = 1; !rc && id <= max_id; id++) {
        if (!model[id].live)
            continue;
        struct facility_in in;
        char addr[32];
        to_in(id, &model[id], &in, addr);
        rc = snapshot_builder_add(b, &in);
    }
    snapshot_builder_divisions(b, make_divisions());
    if (rc) {
        snapshot_builder_free(b);
        return NULL;
    }
    return snapshot_builder_finish(b, gen, &s) == GEOD_OK ? s : NULL;
}

static void random_position(struct gen_rng *g, double *lon, double *lat)
{
    double u = gen_unit(g);
    if (u < 0.15) { /* exactly on a hub: equal distances, one finest cell */
        int h = (int)gen_below(g, NHUB);
        *lon = hub[h][0];
        *lat = hub[h][1];
    } else if (u < 0.5) { /* near a hub */
        int h = (int)gen_below(g, NHUB);
        *lon = hub[h][0] + (gen_unit(g) - 0.5) * 2e-4;
        *lat = hub[h][1] + (gen_unit(g) - 0.5) * 2e-4;
    } else {
        *lon = 114.0 + 0.6 * gen_unit(g);
        *lat = 30.3 + 0.5 * gen_unit(g);
    }
}

static void random_record(struct gen_rng *g, uint32_t id, struct mrec *m)
{
    m->live = true;
    m->cat = gen_unit(g) < 0.3 ? 0 : (int)gen_below(g, GEN_NCAT); /* many community centres */
    random_position(g, &m->lon, &m->lat);
    snprintf(m->name, sizeof m->name, "设施%u号%s", id, gen_below(g, 4) ? "" : "站");
    m->div = gen_below(g, 5) ? (int)gen_below(g, NDIV) : -1;
    m->addr = (int)gen_below(g, 7);
}

/* ---- comparisons ---- */

struct idlist {
    uint32_t ids[MAX_IDS];
    size_t n;
};

static bool collect_id(void *udata, const struct facility *f)
{
    struct idlist *l = udata;
    l->ids[l->n++] = f->id;
    return true;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_facility(const struct facility *a, const struct facility *b)
{
    return a->id == b->id && a->version == b->version && a->cat == b->cat && a->lon == b->lon &&
           a->lat == b->lat && !strcmp(a->geohash, b->geohash) && same_str(a->name, b->name) &&
           same_str(a->address, b->address) && same_str(a->phone, b->phone) &&
           same_str(a->hours, b->hours) && same_str(a->division_code, b->division_code) &&
           same_str(a->source, b->source);
}

static bool name_has_zhan(void *udata, uint32_t id)
{
    const struct facility *f = snapshot_get(udata, id);
    return f && strstr(f->name, "站");
}

struct cl_list {
    struct cluster c[4096];
    size_t n;
};

static bool take_cluster(void *udata, const struct cluster *c)
{
    struct cl_list *l = udata;
    if (l->n == 4096)
        return false;
    l->c[l->n++] = *c;
    return true;
}

static bool same_cluster(const struct cluster *a, const struct cluster *b)
{
    if (a->zoom != b->zoom || a->x != b->x || a->y != b->y || a->count != b->count ||
        a->id != b->id || a->lon != b->lon || a->lat != b->lat ||
        a->expansion_zoom != b->expansion_zoom || a->nparts != b->nparts)
        return false;
    for (int s = 0; s < CLUSTER_NSYS; s++)
        for (int e = 0; e < 4; e++)
            if (a->box[s][e] != b->box[s][e])
                return false;
    for (uint32_t i = 0; i < a->nparts; i++)
        if (a->parts[i].cat != b->parts[i].cat || a->parts[i].count != b->parts[i].count)
            return false;
    return true;
}

static bool take_point(void *udata, uint32_t id, double lon, double lat)
{
    struct idlist *l = udata;
    l->ids[l->n++] = id;
    return true;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static struct snapshot_scratch *sc_a, *sc_b;
static struct cluster_scratch *cs_a, *cs_b;
static struct snapshot_hit hit_a[1200], hit_b[1200];
static struct idlist la, lb;
static struct cl_list ca, cb;

static void random_query(struct gen_rng *g, struct rtree_query *q, void *snap)
{
    double lon, lat;
    random_position(g, &lon, &lat);
    static const uint32_t ks[] = {1, 3, 10, 50, 200};
    uint64_t mask = ~0ull;
    double u = gen_unit(g);
    if (u < 0.3)
        mask = 1ull << gen_below(g, GEN_NCAT);
    else if (u < 0.5)
        mask = 1ull << gen_below(g, GEN_NCAT) | 1ull << gen_below(g, GEN_NCAT);
    *q = (struct rtree_query){.lon = lon,
                              .lat = lat,
                              .k = ks[gen_below(g, 5)],
                              .max_m = gen_below(g, 3) ? INFINITY : 200 + 5000 * gen_unit(g),
                              .cat_mask = mask};
    if (!gen_below(g, 5)) {
        q->accept = name_has_zhan;
        q->udata = snap;
    }
}

/* Everything the two snapshots answer must agree; step names the failure. */
static void compare(struct gen_rng *g, const struct snapshot *s, const struct snapshot *ref,
                    int step)
{
    T_CHECKF(s->n == ref->n, "step %d: n %zu, rebuilt %zu", step, s->n, ref->n);
    for (size_t c = 0; c < ref->ncat; c++)
        T_CHECKF(s->cats[c].count == ref->cats[c].count, "step %d: %s count %zu, rebuilt %zu", step,
                 ref->cats[c].id, s->cats[c].count, ref->cats[c].count);
    for (size_t d = 0; d < ref->div->n; d++)
        T_CHECKF(s->responsible[d] == ref->responsible[d],
                 "step %d: division %zu responsible %u, rebuilt %u", step, d, s->responsible[d],
                 ref->responsible[d]);
    for (uint32_t id = 0; id <= max_id + 2; id++) {
        const struct facility *a = snapshot_get(s, id), *b = snapshot_get(ref, id);
        T_CHECKF((!a && !b) || (a && b && same_facility(a, b)), "step %d: id %u differs", step, id);
    }
    la.n = lb.n = 0;
    snapshot_foreach(s, collect_id, &la);
    snapshot_foreach(ref, collect_id, &lb);
    T_CHECKF(la.n == lb.n && !memcmp(la.ids, lb.ids, la.n * sizeof *la.ids),
             "step %d: iteration differs", step);
    for (int i = 0; i < 3; i++) { /* nearest */
        struct rtree_query q;
        random_query(g, &q, (void *)s);
        struct rtree_query qr = q;
        if (qr.accept)
            qr.udata = (void *)ref;
        size_t na = 0, nb = 0;
        T_CHECK(snapshot_nearest(s, &q, sc_a, hit_a, &na) == GEOD_OK);
        T_CHECK(snapshot_nearest(ref, &qr, sc_b, hit_b, &nb) == GEOD_OK);
        bool same = na == nb;
        for (size_t j = 0; same && j < na; j++)
            same = hit_a[j].f->id == hit_b[j].f->id &&
                   fabs(hit_a[j].distance_m - hit_b[j].distance_m) <= 2 * RTREE_DISTANCE_TOL;
        T_CHECKF(same, "step %d: nearest k=%u mask=%llx at %.7f,%.7f: %zu vs %zu hits", step, q.k,
                 (unsigned long long)q.cat_mask, q.lon, q.lat, na, nb);
    }
    for (int i = 0; i < 2; i++) { /* clusters, bit for bit */
        int zoom = i ? 10 + (int)gen_below(g, 7) : (int)gen_below(g, 11);
        double lon, lat, w = i ? 0.02 + 0.1 * gen_unit(g) : 0.8;
        random_position(g, &lon, &lat);
        double box[4] = {lon - w, lat - w, lon + w, lat + w};
        uint64_t mask = gen_below(g, 2) ? ~0ull : 1ull << gen_below(g, GEN_NCAT) | 1;
        if (cluster_box_cells(box, zoom) > 4096)
            continue;
        ca.n = cb.n = 0;
        T_CHECK(snapshot_clusters(s, box, zoom, mask, cs_a, take_cluster, &ca) == GEOD_OK);
        T_CHECK(snapshot_clusters(ref, box, zoom, mask, cs_b, take_cluster, &cb) == GEOD_OK);
        bool same = ca.n == cb.n;
        for (size_t j = 0; same && j < ca.n; j++)
            same = same_cluster(&ca.c[j], &cb.c[j]);
        T_CHECKF(same, "step %d: clusters at zoom %d differ (%zu vs %zu)", step, zoom, ca.n, cb.n);
    }
    double lon, lat, w = 0.01 * gen_unit(g);
    random_position(g, &lon, &lat);
    double box[4] = {lon - w, lat - w, lon + w, lat + w};
    la.n = lb.n = 0;
    T_CHECK(snapshot_points(s, box, ~0ull, take_point, &la) == GEOD_OK);
    T_CHECK(snapshot_points(ref, box, ~0ull, take_point, &lb) == GEOD_OK);
    qsort(la.ids, la.n, sizeof *la.ids, u32_cmp);
    qsort(lb.ids, lb.n, sizeof *lb.ids, u32_cmp);
    T_CHECKF(la.n == lb.n && !memcmp(la.ids, lb.ids, la.n * sizeof *la.ids),
             "step %d: points in a box differ", step);
}

/* The model's live records as index items, for brute force. */
static size_t model_items(struct rtree_item *it)
{
    size_t n = 0;
    for (uint32_t id = 1; id <= max_id; id++)
        if (model[id].live)
            it[n++] = (struct rtree_item){model[id].lon, model[id].lat, id, (uint8_t)model[id].cat};
    return n;
}

static struct rtree_item items[MAX_IDS];
static struct brute_ref bref[MAX_IDS];

/* Nearest-K and a paged radius search of s against brute force over the model. */
static void compare_brute(struct gen_rng *g, const struct snapshot *s, int step)
{
    size_t n = model_items(items);
    struct rtree_query q;
    random_query(g, &q, (void *)s);
    size_t nb = brute_nearest(items, n, &q, BRUTE_GEO_INVERSE, bref), na = 0;
    T_CHECK(snapshot_nearest(s, &q, sc_a, hit_a, &na) == GEOD_OK);
    size_t want = nb < q.k ? nb : q.k;
    bool same = na == want;
    for (size_t j = 0; same && j < na; j++)
        same = hit_a[j].f->id == bref[j].id;
    T_CHECKF(same, "step %d: nearest k=%u differs from brute force (%zu vs %zu)", step, q.k, na,
             want);
    /* everything within a radius, 7 at a time */
    double lon, lat;
    random_position(g, &lon, &lat);
    struct rtree_query w = {.lon = lon,
                            .lat = lat,
                            .k = 8,
                            .max_m = 300 + 3000 * gen_unit(g),
                            .cat_mask = gen_below(g, 2) ? ~0ull : 1ull};
    nb = brute_nearest(items, n, &w, BRUTE_GEO_INVERSE, bref);
    size_t got = 0;
    same = true;
    for (int page = 0; same && page < 1000; page++) {
        T_CHECK(snapshot_nearest(s, &w, sc_a, hit_a, &na) == GEOD_OK);
        size_t take = na > 7 ? 7 : na;
        for (size_t j = 0; same && j < take; j++)
            same = got + j < nb && hit_a[j].f->id == bref[got + j].id;
        got += take;
        if (na <= 7)
            break;
        const struct facility *last = hit_a[6].f;
        w.has_after = true;
        w.after_m = geo_inverse(w.lon, w.lat, last->lon, last->lat, NULL);
        w.after_id = last->id;
    }
    T_CHECKF(same && got == nb, "step %d: paging within %.0f m gave %zu of %zu", step, w.max_m, got,
             nb);
}

/* ---- the random sequences ---- */

static void change(struct gen_rng *g, uint32_t *id_out, bool *gone)
{
    uint32_t id;
    double u = gen_unit(g);
    *gone = false;
    if (u < 0.3 || !max_id) { /* create: the next id, or one further on (sparse ids) */
        id = max_id + 1 + (gen_below(g, 10) ? 0 : (uint32_t)gen_below(g, 5));
        if (id > MAX_IDS)
            id = max_id;
        has_prev[id] = false;
        random_record(g, id, &model[id]);
        model[id].version = 1;
        if (id > max_id)
            max_id = id;
        *id_out = id;
        return;
    }
    do
        id = 1 + (uint32_t)gen_below(g, max_id);
    while (!model[id].live && u < 0.9);
    struct mrec was = model[id];
    struct mrec *m = &model[id];
    if (u >= 0.9) { /* revert to the record before the last change (back from the dead too) */
        if (!has_prev[id]) {
            *id_out = 0;
            return;
        }
        *m = prev[id];
        m->live = true;
        m->version = was.version + 1;
    } else if (u < 0.5) { /* move: a little, onto a hub, or anywhere */
        if (gen_below(g, 2)) {
            m->lon += (gen_unit(g) - 0.5) * 1e-5;
            m->lat += (gen_unit(g) - 0.5) * 1e-5;
        } else {
            random_position(g, &m->lon, &m->lat);
        }
        m->version++;
    } else if (u < 0.6) { /* rename */
        snprintf(m->name, sizeof m->name, "改名%u站%u", id, (unsigned)gen_below(g, 100));
        m->addr = (int)gen_below(g, 7);
        m->version++;
    } else if (u < 0.7) { /* recategorise, maybe into another division */
        m->cat = (int)gen_below(g, GEN_NCAT);
        m->div = gen_below(g, 5) ? (int)gen_below(g, NDIV) : -1;
        m->version++;
    } else { /* delete */
        m->live = false;
        m->version++;
        *gone = true;
    }
    prev[id] = was;
    has_prev[id] = true;
    *id_out = id;
}

static void run_sequence(uint64_t seed, size_t n0, int steps, size_t limit)
{
    struct gen_rng g = {seed};
    memset(model, 0, sizeof model);
    memset(has_prev, 0, sizeof has_prev);
    max_id = 0;
    for (int h = 0; h < NHUB; h++) {
        hub[h][0] = 114.1 + 0.4 * gen_unit(&g);
        hub[h][1] = 30.4 + 0.3 * gen_unit(&g);
    }
    for (uint32_t id = 1; id <= n0; id++) {
        random_record(&g, id, &model[id]);
        model[id].version = 1;
        model[id].live = gen_below(&g, 20) != 0; /* a few gaps */
        max_id = id;
    }
    uint64_t gen = 1;
    struct snapshot *cur = rebuild(gen), *from = NULL;
    T_CHECK(cur != NULL);
    if (!cur)
        return;
    int compact_at = -1, compactions = 0, max_delta = 0, since_from = 0;
    for (int step = 0; step < steps; step++) {
        uint32_t id;
        bool gone;
        change(&g, &id, &gone);
        if (!id)
            continue;
        struct facility_in in;
        char addr[32];
        to_in(id, &model[id], &in, addr);
        struct snapshot *next = NULL;
        gen++;
        enum geod_err rc = snapshot_derive(cur, gone ? NULL : &in, gone ? id : 0, gen, &next);
        T_CHECKF(rc == GEOD_OK, "step %d: derive: %s", step, geod_strerror(rc));
        if (rc)
            break;
        snapshot_free(cur);
        cur = next;
        if ((int)snapshot_delta_len(cur) > max_delta)
            max_delta = (int)snapshot_delta_len(cur);
        /* a compaction starts from this snapshot and lands a few writes later */
        since_from++;
        if (!from && snapshot_delta_len(cur) > limit) {
            from = snapshot_ref(cur);
            since_from = 0;
            compact_at = step + (int)gen_below(&g, 6);
        }
        if (from && step >= compact_at) {
            struct snapshot *full = NULL, *rebased = NULL;
            T_CHECK(snapshot_compact(from, &full) == GEOD_OK);
            T_CHECK(full && snapshot_delta_len(full) == 0 && full->n == from->n);
            rc = full ? snapshot_rebase(cur, from, full, &rebased) : GEOD_ENOMEM;
            T_CHECKF(rc == GEOD_OK, "step %d: rebase: %s", step, geod_strerror(rc));
            if (!rc) {
                T_CHECK(rebased->generation == cur->generation);
                /* only the writes after `from` are left as a delta */
                T_CHECK(snapshot_delta_len(rebased) <= (size_t)since_from);
                /* the old `from` is not an ancestor of what the rebase published */
                struct snapshot *again = NULL;
                T_CHECK(snapshot_rebase(rebased, from, full, &again) == GEOD_ENOTFOUND);
                snapshot_free(cur);
                cur = rebased;
                compactions++;
            }
            snapshot_free(full);
            snapshot_free(from);
            from = NULL;
        }
        struct snapshot *ref = rebuild(gen);
        T_CHECK(ref != NULL);
        if (!ref)
            break;
        compare(&g, cur, ref, step);
        if (step % 10 == 0)
            compare_brute(&g, cur, step);
        snapshot_free(ref);
        if (t_cur_fails > 20)
            break;
    }
    /* a whole snapshot published meanwhile (the reloader's) makes a compaction of no use */
    struct snapshot *full = NULL, *other = rebuild(gen), *out = NULL;
    if (snapshot_delta_len(cur) && other && snapshot_compact(cur, &full) == GEOD_OK)
        T_CHECK(snapshot_rebase(other, cur, full, &out) == GEOD_ENOTFOUND && !out);
    snapshot_free(full);
    snapshot_free(other);
    snapshot_free(from);
    snapshot_free(cur);
    T_CHECKF(compactions >= steps / (int)(limit + 8) / 2, "only %d compactions", compactions);
    T_CHECKF(max_delta > (int)limit, "the delta never grew past %zu", limit);
}

static void test_random_small_delta(void)
{
    run_sequence(1, 400, 600, 12);
}

static void test_random_large(void)
{
    run_sequence(2, 2000, 500, 60);
}

static void test_random_from_empty(void)
{
    run_sequence(3, 0, 400, 30); /* every facility born in a delta */
}

/* A derived snapshot refuses what a builder refuses, and leaves the one it came from alone. */
static void test_derive_validation(void)
{
    memset(model, 0, sizeof model);
    max_id = 0;
    struct gen_rng g = {9};
    for (uint32_t id = 1; id <= 50; id++) {
        random_record(&g, id, &model[id]);
        model[id].version = 1;
        max_id = id;
    }
    struct snapshot *s = rebuild(1), *out = (struct snapshot *)1;
    if (!s)
        return;
    struct facility_in in;
    char addr[32];
    to_in(7, &model[7], &in, addr);
    struct facility_in bad = in;
    bad.category = "no_such";
    T_CHECK(snapshot_derive(s, &bad, 0, 2, &out) == GEOD_EINVAL && out == NULL);
    bad = in;
    bad.lat = 91;
    T_CHECK(snapshot_derive(s, &bad, 0, 2, &out) == GEOD_EINVAL);
    bad = in;
    bad.id = 0;
    T_CHECK(snapshot_derive(s, &bad, 0, 2, &out) == GEOD_EINVAL);
    bad = in;
    bad.name = NULL;
    T_CHECK(snapshot_derive(s, &bad, 0, 2, &out) == GEOD_EINVAL);
    /* deleting an id nobody holds changes nothing and lists nothing */
    T_CHECK(snapshot_derive(s, NULL, 999, 2, &out) == GEOD_OK && out);
    if (out) {
        T_CHECK(snapshot_delta_len(out) == 0 && out->n == s->n && out->generation == 2);
        snapshot_free(out);
    }
    T_CHECK(snapshot_derive(s, NULL, 7, 3, &out) == GEOD_OK && out);
    if (out) {
        T_CHECK(snapshot_get(out, 7) == NULL && snapshot_get(s, 7) != NULL);
        T_CHECK(out->n == s->n - 1 && snapshot_delta_len(out) == 1);
        snapshot_free(out);
    }
    snapshot_free(s);
}

/* snapshot_derive_n, as a group commit publishes: random changes taken in groups of 1 to 12 (an
 * id may change more than once in a group: created and moved, deleted and reverted, ...), each
 * group one derivation; the oracle after each group is the model rebuilt from scratch. */
static void test_derive_groups(void)
{
    struct gen_rng g = {77};
    memset(model, 0, sizeof model);
    memset(has_prev, 0, sizeof has_prev);
    max_id = 0;
    for (int h = 0; h < NHUB; h++) {
        hub[h][0] = 114.1 + 0.4 * gen_unit(&g);
        hub[h][1] = 30.4 + 0.3 * gen_unit(&g);
    }
    for (uint32_t id = 1; id <= 300; id++) {
        random_record(&g, id, &model[id]);
        model[id].version = 1;
        model[id].live = gen_below(&g, 20) != 0;
        max_id = id;
    }
    uint64_t gen = 1;
    struct snapshot *cur = rebuild(gen);
    T_CHECK(cur != NULL);
    static struct facility_in in[12];
    static char addr[12][32];
    struct snapshot_change ch[12];
    for (int group = 0; cur && group < 120; group++) {
        size_t n = 1 + (size_t)gen_below(&g, 12);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t id;
            bool gone;
            change(&g, &id, &gone);
            if (!id)
                continue;
            to_in(id, &model[id], &in[k], addr[k]);
            ch[k] = (struct snapshot_change){.put = gone ? NULL : &in[k], .drop = gone ? id : 0};
            k++;
        }
        struct snapshot *next = NULL;
        gen += k;
        enum geod_err rc = snapshot_derive_n(cur, ch, k, gen, &next);
        T_CHECKF(rc == GEOD_OK, "group %d: derive: %s", group, geod_strerror(rc));
        if (rc)
            break;
        snapshot_free(cur);
        cur = next;
        struct snapshot *ref = rebuild(gen);
        T_CHECK(ref != NULL);
        if (!ref)
            break;
        compare(&g, cur, ref, group);
        if (group % 10 == 0)
            compare_brute(&g, cur, group);
        snapshot_free(ref);
        if (t_cur_fails > 20)
            break;
    }
    snapshot_free(cur);
}

int main(void)
{
    T_CHECK(snapshot_scratch_new(&sc_a) == GEOD_OK && snapshot_scratch_new(&sc_b) == GEOD_OK);
    T_CHECK(cluster_scratch_new(&cs_a) == GEOD_OK && cluster_scratch_new(&cs_b) == GEOD_OK);
    T_RUN(test_derive_validation);
    T_RUN(test_random_small_delta);
    T_RUN(test_random_large);
    T_RUN(test_random_from_empty);
    T_RUN(test_derive_groups);
    snapshot_scratch_free(sc_a);
    snapshot_scratch_free(sc_b);
    cluster_scratch_free(cs_a);
    cluster_scratch_free(cs_b);
    return T_END();
}

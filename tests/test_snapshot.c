/* test_snapshot.c - index/snapshot.c against what the test handed the builder: validation of
 * categories and facilities, lookups by sparse ids with every field and string preserved, the
 * category table and counts, the empty snapshot, and the R-tree inside against brute force by
 * PROJ's geod_inverse (tests/lib/brute.h). Random data from tests/lib/gen.h. */
#include "index/geodesic.h"
#include "index/geohash.h"
#include "index/rtree.h"
#include "index/snapshot.h"
#include "tests/lib/brute.h"
#include "tests/lib/gen.h"
#include "tests/t.h"

#include <stdint.h>
#include <stdlib.h>

/* how far a hit's distance may be from geod_inverse's, as rtree.h promises it */
#ifdef RTREE_DISTANCE_TOL
#define DIST_TOL(d) RTREE_DISTANCE_TOL
#else
#define DIST_TOL(d) geo_fast_err(d)
#endif

static struct gen_rng rng = {42};

/* rtree_query.coords for s->tree of a snapshot without a delta (cdata: the snapshot): the tree
 * keeps no exact coordinates, the snapshot's records hold them. */
static void snap_coords(const void *cdata, uint32_t id, double *lon, double *lat)
{
    const struct facility *f = snapshot_get(cdata, id);
    *lon = f->lon;
    *lat = f->lat;
}

static struct snapshot_builder *builder_with_categories(void)
{
    struct snapshot_builder *b = NULL;
    T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
    for (int c = 0; b && c < 9; c++)
        T_CHECK(snapshot_builder_category(b, gen_cat_id[c], gen_cat_zh[c]) == GEOD_OK);
    return b;
}

static struct facility_in good(uint32_t id)
{
    return (struct facility_in){.id = id,
                                .version = 1,
                                .category = "hospital",
                                .lon = 114.3,
                                .lat = 30.6,
                                .name = "医院",
                                .source = "test"};
}

/* ---- validation ---- */

static void test_builder_validation(void)
{
    struct snapshot_builder *b = builder_with_categories();
    if (!b)
        return;
    /* categories */
    T_CHECK(snapshot_builder_category(b, "hospital", "又一个") == GEOD_EINVAL);
    T_CHECK(snapshot_builder_category(b, NULL, "x") == GEOD_EINVAL);
    T_CHECK(snapshot_builder_category(b, "", "x") == GEOD_EINVAL);
    T_CHECK(snapshot_builder_category(b, "x", NULL) == GEOD_EINVAL);
    char id64[SNAPSHOT_ID_MAX + 2];
    memset(id64, 'q', sizeof id64);
    id64[SNAPSHOT_ID_MAX + 1] = '\0';
    T_CHECK(snapshot_builder_category(b, id64, "too long") == GEOD_EINVAL);
    id64[SNAPSHOT_ID_MAX] = '\0';
    T_CHECK(snapshot_builder_category(b, id64, "just fits") == GEOD_OK); /* index 9 */

    /* facilities: each rejected one has an id of its own, and must not appear */
    struct {
        const char *what;
        struct facility_in f;
    } bad[] = {
        {"unknown category", good(1001)},
        {"NULL category", good(1002)},
        {"id 0", good(0)},
        {"lon NaN", good(1004)},
        {"lat NaN", good(1005)},
        {"lon inf", good(1006)},
        {"lat -inf", good(1007)},
        {"lon 180+", good(1008)},
        {"lon -180-", good(1009)},
        {"lat 90+", good(1010)},
        {"lat -90-", good(1011)},
        {"lon 200", good(1012)},
        {"NULL name", good(1013)},
        {"NULL source", good(1014)},
        {"category by Chinese name", good(1015)},
        {"category prefix", good(1016)},
    };
    bad[0].f.category = "bakery";
    bad[1].f.category = NULL;
    bad[3].f.lon = NAN;
    bad[4].f.lat = NAN;
    bad[5].f.lon = INFINITY;
    bad[6].f.lat = -INFINITY;
    bad[7].f.lon = nextafter(180.0, 200.0);
    bad[8].f.lon = nextafter(-180.0, -200.0);
    bad[9].f.lat = nextafter(90.0, 100.0);
    bad[10].f.lat = nextafter(-90.0, -100.0);
    bad[11].f.lon = 200;
    bad[12].f.name = NULL;
    bad[13].f.source = NULL;
    bad[14].f.category = "医院";
    bad[15].f.category = "hosp";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_CHECKF(snapshot_builder_add(b, &bad[i].f) == GEOD_EINVAL, "%s accepted", bad[i].what);

    /* the edges of the valid range, and the long category id */
    struct facility_in ok[] = {good(1), good(2), good(3), good(4), good(5)};
    ok[0].lon = 180;
    ok[0].lat = 90;
    ok[1].lon = -180;
    ok[1].lat = -90;
    ok[2].lon = 0;
    ok[2].lat = 0;
    ok[3].category = id64;
    ok[4].name = ""; /* empty but known */
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        T_CHECKF(snapshot_builder_add(b, &ok[i]) == GEOD_OK, "valid facility %zu refused", i);

    struct snapshot *s = NULL;
    T_CHECK(snapshot_builder_finish(b, 7, &s) == GEOD_OK);
    if (!s)
        return;
    T_CHECK(s->n == 5 && s->ncat == 10 && s->generation == 7);
    for (uint32_t id = 1; id <= 5; id++) {
        const struct facility *f = snapshot_get(s, id);
        T_CHECKF(f && gen_same_bits(f->lon, ok[id - 1].lon) &&
                     gen_same_bits(f->lat, ok[id - 1].lat) && strcmp(f->name, ok[id - 1].name) == 0,
                 "facility %u", id);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_CHECK(snapshot_get(s, bad[i].f.id) == NULL);
    T_CHECK(snapshot_category(s, id64, SNAPSHOT_ID_MAX) == 9);
    T_CHECK(s->cats[9].count == 1 && s->cats[4].count == 4);
    char gh[13];
    geohash_encode(180, 90, 12, gh);
    T_CHECK(snapshot_get(s, 1) && strcmp(snapshot_get(s, 1)->geohash, gh) == 0);
    snapshot_free(s);

    /* a duplicate id is caught when finishing, whatever lies between the two */
    for (int gap = 0; gap < 3; gap++) {
        b = builder_with_categories();
        if (!b)
            return;
        struct facility_in f = good(5);
        T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
        for (uint32_t i = 0; i < (gap == 0 ? 0u : gap == 1 ? 1u : 3000u); i++) {
            struct facility_in g = good(1000000 - i);
            g.lon = 114 + gen_unit(&rng);
            T_CHECK(snapshot_builder_add(b, &g) == GEOD_OK);
        }
        f.lon = 114.5; /* a different record with the same id */
        T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
        s = (struct snapshot *)&f; /* must be reset to NULL */
        T_CHECKF(snapshot_builder_finish(b, 1, &s) == GEOD_EINVAL, "duplicate id, gap %d", gap);
        T_CHECK(s == NULL);
    }

    /* 64 categories fit, a 65th does not; a duplicate is still EINVAL */
    T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
    if (!b)
        return;
    char name[16];
    for (int c = 0; c < RTREE_MAX_CATEGORIES; c++) {
        snprintf(name, sizeof name, "c%d", c);
        T_CHECKF(snapshot_builder_category(b, name, "类") == GEOD_OK, "category %d", c);
    }
    T_CHECK(snapshot_builder_category(b, "c64", "类") == GEOD_ERANGE);
    T_CHECK(snapshot_builder_category(b, "c63", "类") == GEOD_EINVAL);
    T_CHECK(snapshot_builder_category(b, "c0", "类") == GEOD_EINVAL);
    struct facility_in f = good(9);
    f.category = "c63";
    T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
    f = good(10);
    f.category = "c0";
    T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
    f = good(11);
    f.category = "c64";
    T_CHECK(snapshot_builder_add(b, &f) == GEOD_EINVAL);
    T_CHECK(snapshot_builder_finish(b, 0, &s) == GEOD_OK);
    if (!s)
        return;
    T_CHECK(s->ncat == 64 && s->n == 2);
    T_CHECK(snapshot_category(s, "c63", 3) == 63);
    T_CHECK(snapshot_get(s, 9) && snapshot_get(s, 9)->cat == 63);
    T_CHECK(s->cats[63].count == 1 && s->cats[0].count == 1 && s->cats[1].count == 0);
    /* the tree filters on category 63 (the top bit of the mask) */
    struct rtree_scratch *sc = NULL;
    T_CHECK(rtree_scratch_new(&sc) == GEOD_OK);
    struct rtree_hit hit[4];
    size_t got = 99;
    struct rtree_query q = {.lon = 0,
                            .lat = 0,
                            .k = 4,
                            .max_m = INFINITY,
                            .cat_mask = 1ull << 63,
                            .coords = snap_coords,
                            .cdata = s};
    T_CHECK(sc && rtree_nearest(s->tree, &q, sc, hit, &got) == GEOD_OK);
    T_CHECK(got == 1 && hit[0].id == 9);
    q.cat_mask = ~(1ull << 63);
    T_CHECK(sc && rtree_nearest(s->tree, &q, sc, hit, &got) == GEOD_OK);
    T_CHECK(got == 1 && hit[0].id == 10);
    rtree_scratch_free(sc);
    snapshot_free(s);

    snapshot_builder_free(NULL);
    snapshot_free(NULL);
}

/* ---- lookups ---- */

/* 1..8 plain fragments; optional fields NULL 30% and "" 5% of the time */
static char *rand_text(void)
{
    return gen_text(&rng, &gen_frags_names, 1, 8);
}

static char *rand_opt(void)
{
    return gen_opt(&rng, &gen_frags_names, 0.3, 0.35, 1, 8);
}

struct want {
    uint32_t id, version;
    int cat;
    double lon, lat;
    char *s[6]; /* name, address, phone, hours, division_code, source */
};

static void want_free(struct want *w)
{
    for (int i = 0; i < 6; i++)
        free(w->s[i]);
}

#define MAX_SPARSE 1000000u

static void test_lookups(void)
{
    size_t n = 20000;
    /* distinct sparse ids: a random subset of 1..MAX_SPARSE, with 1 and MAX_SPARSE in it */
    unsigned char *used = calloc(MAX_SPARSE + 1, 1);
    struct want *w = calloc(n, sizeof *w);
    if (!used || !w) {
        T_CHECK(0);
        free(used);
        free(w);
        return;
    }
    struct snapshot_builder *b = builder_with_categories();
    size_t count[9] = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t id;
        if (i == 0)
            id = 1;
        else if (i == 1)
            id = MAX_SPARSE;
        else
            do
                id = 1 + (uint32_t)gen_below(&rng, MAX_SPARSE);
            while (used[id]);
        used[id] = 1;
        struct want *x = &w[i];
        x->id = id;
        x->version = (uint32_t)gen_u64(&rng);
        x->cat = (int)gen_below(&rng, 9);
        count[x->cat]++;
        x->lon = 113.7 + gen_unit(&rng) * 1.4;
        x->lat = 29.97 + gen_unit(&rng) * 1.4;
        x->s[0] = rand_text();
        for (int k = 1; k < 5; k++)
            x->s[k] = rand_opt();
        x->s[5] = rand_text();
        /* the builder gets copies in scratch buffers, scribbled over after the call */
        char *tmp[6];
        for (int k = 0; k < 6; k++)
            tmp[k] = x->s[k] ? strdup(x->s[k]) : NULL;
        char cat[32];
        snprintf(cat, sizeof cat, "%s", gen_cat_id[x->cat]);
        struct facility_in f = {
            .id = id,
            .version = x->version,
            .category = cat,
            .lon = x->lon,
            .lat = x->lat,
            .name = tmp[0],
            .address = tmp[1],
            .phone = tmp[2],
            .hours = tmp[3],
            .division_code = tmp[4],
            .source = tmp[5],
        };
        T_CHECK(b && snapshot_builder_add(b, &f) == GEOD_OK);
        memset(cat, 'x', sizeof cat - 1);
        for (int k = 0; k < 6; k++) {
            if (tmp[k])
                memset(tmp[k], '#', strlen(tmp[k]));
            free(tmp[k]);
        }
    }
    struct snapshot *s = NULL;
    T_CHECK(b && snapshot_builder_finish(b, 123456789012ull, &s) == GEOD_OK);
    if (!s)
        goto out;
    T_CHECK(s->n == n && s->generation == 123456789012ull && s->ncat == 9);
    for (size_t c = 0; c < 9 && c < s->ncat; c++) {
        T_CHECK(strcmp(s->cats[c].id, gen_cat_id[c]) == 0 &&
                strcmp(s->cats[c].name_zh, gen_cat_zh[c]) == 0);
        T_CHECKF(s->cats[c].count == count[c], "%s: %zu, want %zu", gen_cat_id[c], s->cats[c].count,
                 count[c]);
        T_CHECK(snapshot_category(s, gen_cat_id[c], strlen(gen_cat_id[c])) == (int)c);
    }
    /* snapshot_category takes a length: prefixes and extensions are other ids */
    T_CHECK(snapshot_category(s, "hospitals", 8) == 4);
    T_CHECK(snapshot_category(s, "hospital", 7) == -1);
    T_CHECK(snapshot_category(s, "hospitals", 9) == -1);
    T_CHECK(snapshot_category(s, "医院", strlen("医院")) == -1);
    T_CHECK(snapshot_category(s, "", 0) == -1);
    for (size_t i = 1; i < s->n; i++)
        if (s->fac[i - 1].id >= s->fac[i].id) {
            T_CHECKF(0, "fac[] not ascending at %zu", i);
            break;
        }

    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct want *x = &w[i];
        const struct facility *f = snapshot_get(s, x->id);
        char gh[13];
        geohash_encode(x->lon, x->lat, 12, gh);
        bool ok = f && f->id == x->id && f->version == x->version && f->cat == x->cat &&
                  gen_same_bits(f->lon, x->lon) && gen_same_bits(f->lat, x->lat) &&
                  strcmp(f->geohash, gh) == 0 && gen_same_str(f->name, x->s[0]) &&
                  gen_same_str(f->address, x->s[1]) && gen_same_str(f->phone, x->s[2]) &&
                  gen_same_str(f->hours, x->s[3]) && gen_same_str(f->division_code, x->s[4]) &&
                  gen_same_str(f->source, x->s[5]);
        if (!ok && bad++ < 5)
            T_CHECKF(0, "id %u: %s", x->id, f ? "fields differ" : "missing");
    }
    T_CHECKF(bad == 0, "%d of %zu facilities differ", bad, n);
    /* every other id is absent, up to and beyond the largest */
    size_t found = 0, wrong = 0;
    for (uint64_t id = 0; id <= MAX_SPARSE + 100; id++) {
        const struct facility *f = snapshot_get(s, (uint32_t)id);
        found += f != NULL;
        wrong += (f != NULL) != (id <= MAX_SPARSE && used[id]) || (f && f->id != id);
    }
    T_CHECKF(found == n && wrong == 0, "%zu found, %zu wrong", found, wrong);
    T_CHECK(snapshot_get(s, UINT32_MAX) == NULL);
    T_CHECK(snapshot_get(s, UINT32_MAX - 1) == NULL);
    T_CHECK(snapshot_bytes(s) >= n * sizeof(struct facility));
    T_CHECK(s->tree && rtree_count(s->tree) == n && rtree_check(s->tree));
    snapshot_free(s);
out:
    for (size_t i = 0; i < n; i++)
        want_free(&w[i]);
    free(w);
    free(used);
}

/* ---- empty snapshots ---- */

static void test_empty(void)
{
    struct rtree_scratch *sc = NULL;
    T_CHECK(rtree_scratch_new(&sc) == GEOD_OK);
    for (int with_cats = 0; with_cats < 2; with_cats++) {
        struct snapshot_builder *b = NULL;
        if (with_cats)
            b = builder_with_categories();
        else
            T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
        struct snapshot *s = NULL;
        T_CHECK(b && snapshot_builder_finish(b, 3, &s) == GEOD_OK);
        if (!s)
            continue;
        T_CHECK(s->n == 0 && s->generation == 3 && s->ncat == (with_cats ? 9u : 0u));
        for (size_t c = 0; c < s->ncat; c++)
            T_CHECK(s->cats[c].count == 0);
        T_CHECK(snapshot_get(s, 0) == NULL && snapshot_get(s, 1) == NULL);
        T_CHECK(snapshot_get(s, MAX_SPARSE) == NULL && snapshot_get(s, UINT32_MAX) == NULL);
        T_CHECK(snapshot_category(s, "hospital", 8) == (with_cats ? 4 : -1));
        T_CHECK(s->tree && rtree_count(s->tree) == 0);
        struct rtree_hit hit[10];
        size_t got = 99;
        struct rtree_query q = {.lon = 114.3,
                                .lat = 30.6,
                                .k = 10,
                                .max_m = INFINITY,
                                .cat_mask = ~0ull,
                                .coords = snap_coords,
                                .cdata = s};
        T_CHECK(sc && s->tree && rtree_nearest(s->tree, &q, sc, hit, &got) == GEOD_OK);
        T_CHECK(got == 0);
        T_CHECK(snapshot_bytes(s) > 0);
        snapshot_free(s);
    }
    rtree_scratch_free(sc);
}

/* ---- the tree against brute force ---- */

/* Ids spread up to 2^32 - 1 (as an import could make them): lookups by binary search, without a
 * table of 2^32 slots. */
static void test_sparse_ids(void)
{
    static const uint32_t ids[] = {1,           7,           1000003,   2147483647u,
                                   4000000000u, 4294967294u, UINT32_MAX};
    struct snapshot_builder *b = builder_with_categories();
    for (size_t i = 0; b && i < sizeof ids / sizeof ids[0]; i++) {
        struct facility_in f = {.id = ids[i],
                                .version = (uint32_t)i,
                                .category = "shelter",
                                .lon = 114 + (double)i * 0.01,
                                .lat = 30.5,
                                .name = "x",
                                .source = "t"};
        T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
    }
    struct snapshot *s = NULL;
    T_CHECK(b && snapshot_builder_finish(b, 1, &s) == GEOD_OK);
    if (!s)
        return;
    T_CHECK(s->slot == NULL); /* the sparse path is the one under test */
    T_CHECK(snapshot_bytes(s) < 1u << 20);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const struct facility *f = snapshot_get(s, ids[i]);
        T_CHECKF(f && f->id == ids[i] && f->version == i, "id %u", ids[i]);
        T_CHECK(snapshot_get(s, ids[i] - 1) == NULL || ids[i] - 1 == ids[i > 0 ? i - 1 : 0]);
    }
    T_CHECK(snapshot_get(s, 0) == NULL && snapshot_get(s, 2) == NULL);
    T_CHECK(snapshot_get(s, 3000000000u) == NULL && snapshot_get(s, 4294967293u) == NULL);
    snapshot_free(s);
}

/* n facilities, handed to the builder in id order or in reverse (which it must sort); nearest
 * queries against brute force over them. */
static void tree_vs_brute(size_t n, bool reversed, int queries)
{
    struct snapshot_builder *b = builder_with_categories();
    struct rtree_item *w = calloc(n, sizeof *w); /* what the builder got, for the reference */
    struct brute_ref *ref = malloc(n * sizeof *ref);
    if (!b || !w || !ref) {
        T_CHECK(0);
        snapshot_builder_free(b);
        free(w);
        free(ref);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct rtree_item *x = &w[i];
        x->id = (uint32_t)(i * 7 + 1 + gen_below(&rng, 7)); /* sparse, ascending, unique */
        x->cat =
            gen_unit(&rng) < 0.05 ? 8 : (uint8_t)gen_below(&rng, 8); /* marriage_registry is rare */
        if (i && gen_unit(&rng) < 0.05) { /* shared positions: ties broken by id */
            x->lon = w[i - 1].lon;
            x->lat = w[i - 1].lat;
        } else if (gen_unit(&rng) < 0.6) { /* dense in the centre */
            x->lon = 114.25 + gen_unit(&rng) * 0.1;
            x->lat = 30.55 + gen_unit(&rng) * 0.08;
        } else {
            x->lon = 113.7 + gen_unit(&rng) * 1.4;
            x->lat = 29.97 + gen_unit(&rng) * 1.4;
        }
    }
    for (size_t j = 0; j < n; j++) {
        const struct rtree_item *x = &w[reversed ? n - 1 - j : j];
        struct facility_in f = {.id = x->id,
                                .version = 1,
                                .category = gen_cat_id[x->cat],
                                .lon = x->lon,
                                .lat = x->lat,
                                .name = "n",
                                .source = "s"};
        T_CHECK(snapshot_builder_add(b, &f) == GEOD_OK);
    }
    struct snapshot *s = NULL;
    T_CHECK(snapshot_builder_finish(b, 1, &s) == GEOD_OK);
    struct rtree_scratch *sc = NULL;
    T_CHECK(rtree_scratch_new(&sc) == GEOD_OK);
    struct rtree_hit hit[64];
    int bad = 0, nonempty = 0;
    for (int qi = 0; s && sc && qi < queries; qi++) {
        struct rtree_query q = {
            .max_m = INFINITY, .cat_mask = ~0ull, .coords = snap_coords, .cdata = s};
        const struct rtree_item *a = &w[gen_below(&rng, n)];
        double r = gen_unit(&rng);
        q.lon = r < 0.2   ? a->lon
                : r < 0.7 ? a->lon + (gen_unit(&rng) - 0.5) * 0.01
                          : 113.6 + gen_unit(&rng) * 1.6;
        q.lat = r < 0.2   ? a->lat
                : r < 0.7 ? a->lat + (gen_unit(&rng) - 0.5) * 0.01
                          : 29.9 + gen_unit(&rng) * 1.6;
        static const uint32_t ks[] = {1, 2, 5, 10, 64};
        q.k = ks[gen_below(&rng, 5)];
        double m = gen_unit(&rng);
        q.cat_mask = m < 0.4 ? ~0ull : m < 0.7 ? 1ull << gen_below(&rng, 9) : gen_u64(&rng) & 0x1ff;
        if (gen_unit(&rng) < 0.3)
            q.max_m = 100 + gen_unit(&rng) * 5000;
        size_t m_ref = brute_nearest(w, n, &q, BRUTE_PROJ, ref);
        size_t want = m_ref < q.k ? m_ref : q.k, got = 0;
        T_CHECK(rtree_nearest(s->tree, &q, sc, hit, &got) == GEOD_OK);
        nonempty += got > 0;
        bool same = got == want;
        size_t i = 0;
        for (; same && i < got; i++) {
            /* the tree's position (ECEF, quantized: well under a millimetre in a city) is the
             * record's */
            double xyz[3], want_xyz[3], d2 = 0;
            rtree_point(s->tree, hit[i].pos, xyz);
            const struct facility *f = snapshot_get(s, hit[i].id);
            if (f)
                geo_ecef(f->lon, f->lat, want_xyz);
            for (int ax = 0; f && ax < 3; ax++)
                d2 += (xyz[ax] - want_xyz[ax]) * (xyz[ax] - want_xyz[ax]);
            same = hit[i].id == ref[i].id &&
                   fabs(hit[i].distance_m - ref[i].d) <= DIST_TOL(ref[i].d) && f && d2 < 1e-6;
        }
        if (!same && bad++ < 3) {
            size_t j = i ? i - 1 : 0; /* the first hit that differs */
            T_CHECKF(0,
                     "query %d (%.7f %.7f k=%u mask=%llx max=%g): %zu hits, want %zu; hit %zu: "
                     "id %u at %.9f m, want id %u at %.9f m",
                     qi, q.lon, q.lat, q.k, (unsigned long long)q.cat_mask, q.max_m, got, want, j,
                     j < got ? hit[j].id : 0, j < got ? hit[j].distance_m : NAN,
                     j < want ? ref[j].id : 0, j < want ? ref[j].d : NAN);
        }
    }
    T_CHECKF(bad == 0, "%d of %d queries differ from brute force", bad, queries);
    T_CHECKF(nonempty > queries / 2, "only %d queries had answers", nonempty);
    rtree_scratch_free(sc);
    snapshot_free(s);
    free(w);
    free(ref);
}

static void test_tree_vs_brute(void)
{
    tree_vs_brute(4000, false, 400);
}

/* Past snapshot.c's PARALLEL_MIN: the R-tree is built by a thread of its own. */
static void test_tree_vs_brute_large(void)
{
    tree_vs_brute(60000, true, 40);
}

int main(void)
{
    T_RUN(test_builder_validation);
    T_RUN(test_lookups);
    T_RUN(test_empty);
    T_RUN(test_sparse_ids);
    T_RUN(test_tree_vs_brute);
    T_RUN(test_tree_vs_brute_large);
    return T_END();
}

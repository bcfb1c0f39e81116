/* test_rtree.c - index/rtree.c against a brute-force oracle (tests/lib/brute.h): every point's
 * geo_inverse distance, sorted by (distance, id). Data sets: clustered, uniform, duplicates, a rare
 * category, a grid of symmetric points, points around the antimeridian and the poles, and skewed
 * categories (answered through the rare categories' trees: rtree_impl.h is read to check that
 * they exist). */
#include "index/geodesic.h"
#include "index/rtree.h"
#include "index/rtree_impl.h"
#include "tests/lib/brute.h"
#include "tests/t.h"

#include <stdlib.h>

static unsigned long long seed = 7;

static double urand(void)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(seed >> 11) / 9007199254740992.0;
}

static double nrand(void)
{
    double u = urand() + 1e-300, v = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

enum shape { CLUSTERED, UNIFORM, DUPLICATES, RARE, GRID, WORLD, SKEWED, SKEWED_DUP, SKEWED_WORLD };

static const char *shape_name[] = {"clustered", "uniform", "duplicates", "rare",        "grid",
                                   "world",     "skewed",  "skewed_dup", "skewed_world"};

/* The positions of a shape: the skewed ones have another's positions and skewed categories. */
static enum shape positions(enum shape sh)
{
    return sh == SKEWED         ? CLUSTERED
           : sh == SKEWED_DUP   ? DUPLICATES
           : sh == SKEWED_WORLD ? WORLD
                                : sh;
}

/* Skewed categories, so that some are rare (rtree_build.c) and one is rare among the rare: 0.2 %
 * of category 2, 2 % of 1, 3 % of 3, 40 % of 0, and the rest spread over 4..8. */
static uint8_t skewed_category(void)
{
    double r = urand();
    return (uint8_t)(r < 0.002   ? 2
                     : r < 0.022 ? 1
                     : r < 0.052 ? 3
                     : r < 0.452 ? 0
                                 : 4 + (int)(urand() * 5));
}

/* Masks over the skewed categories: rare alone, rare together (with an absent category's bit),
 * and mixed with a common one. */
static const uint64_t skewed_masks[] = {1ull << 1,
                                        1ull << 2,
                                        1ull << 3,
                                        1ull << 1 | 1ull << 2,
                                        1ull << 1 | 1ull << 2 | 1ull << 3 | 1ull << 40,
                                        1ull << 2 | 1ull << 0,
                                        ~0ull,
                                        1ull << 7};

/* Wuhan-like data: ids are shuffled so that id order differs from position order. */
static struct rtree_item *make_items(enum shape sh, size_t n)
{
    struct rtree_item *it = calloc(n, sizeof *it);
    double cx[20], cy[20];
    for (int c = 0; c < 20; c++) {
        cx[c] = 114.0 + urand() * 0.7;
        cy[c] = 30.3 + urand() * 0.6;
    }
    for (size_t i = 0; i < n; i++) {
        double lon, lat;
        switch (positions(sh)) {
        case CLUSTERED: {
            int c = (int)(urand() * urand() * 20);
            lon = cx[c] + nrand() * 0.01;
            lat = cy[c] + nrand() * 0.01;
            break;
        }
        case DUPLICATES: { /* only 40 distinct positions */
            int c = (int)(urand() * 20);
            lon = cx[c] + (urand() < 0.5 ? 0 : 0.003);
            lat = cy[c];
            break;
        }
        case GRID: /* a 0.001-degree grid: many equal and mirror-equal distances */
            lon = 114.3 + (double)(i % 50) * 0.001;
            lat = 30.5 + (double)(i / 50) * 0.001;
            break;
        case WORLD:
            lon = (urand() * 2 - 1) * 180;
            lat = asin(urand() * 2 - 1) * 180 / M_PI;
            if (i % 7 == 0)
                lon = (i % 2 ? 179.9 : -179.9) + nrand() * 0.05;
            if (i % 11 == 0)
                lat = (i % 2 ? 89.9 : -89.9) + urand() * 0.099;
            if (lon > 180)
                lon = 180;
            if (lon < -180)
                lon = -180;
            break;
        default:
            lon = 113.7 + urand() * 1.4;
            lat = 29.97 + urand() * 1.4;
        }
        it[i].lon = lon;
        it[i].lat = lat;
        it[i].cat = (uint8_t)(sh == RARE ? (i % 1000 == 17 ? 5 : (i % 3)) : i % 4);
        if (positions(sh) != sh)
            it[i].cat = skewed_category();
        it[i].id = (uint32_t)i;
    }
    for (size_t i = n - 1; i > 0; i--) { /* shuffle ids */
        size_t j = (size_t)(urand() * (double)(i + 1));
        uint32_t t = it[i].id;
        it[i].id = it[j].id;
        it[j].id = t;
    }
    return it;
}

/* rtree_query.coords over make_items' items, whose ids are a permutation of 0..n-1: the tree
 * keeps no exact coordinates and asks for them by id. Counts its calls. */
struct by_id {
    const struct rtree_item *it;
    uint32_t *at; /* [id] the item's index */
    size_t calls;
};

static struct by_id *by_id_new(const struct rtree_item *it, size_t n)
{
    struct by_id *b = calloc(1, sizeof *b);
    b->it = it;
    b->at = malloc((n ? n : 1) * sizeof *b->at);
    for (size_t i = 0; i < n; i++)
        b->at[it[i].id] = (uint32_t)i;
    return b;
}

static void by_id_free(struct by_id *b)
{
    free(b->at);
    free(b);
}

static void item_coords(const void *cdata, uint32_t id, double *lon, double *lat)
{
    struct by_id *b = (struct by_id *)cdata; /* the test's own: counting is all it writes */
    const struct rtree_item *p = &b->it[b->at[id]];
    b->calls++;
    *lon = p->lon;
    *lat = p->lat;
}

static bool odd_id(void *udata, uint32_t id)
{
    (void)udata;
    return id & 1;
}

static void random_query(enum shape sh, const struct rtree_item *it, size_t n,
                         const struct by_id *b, struct rtree_query *q)
{
    memset(q, 0, sizeof *q);
    q->coords = item_coords;
    q->cdata = b;
    if (positions(sh) == WORLD) {
        q->lon = (urand() * 2 - 1) * 180;
        q->lat = (urand() * 2 - 1) * 90;
    } else if (urand() < 0.7) { /* near the data, sometimes exactly on a point */
        const struct rtree_item *p = &it[(size_t)(urand() * (double)n)];
        q->lon = p->lon + (urand() < 0.3 ? 0 : nrand() * 0.005);
        q->lat = p->lat + (urand() < 0.3 ? 0 : nrand() * 0.005);
    } else {
        q->lon = 113.6 + urand() * 1.6;
        q->lat = 29.9 + urand() * 1.6;
    }
    static const uint32_t ks[] = {1, 2, 3, 10, 50, 100};
    q->k = ks[(int)(urand() * 6)];
    q->max_m = urand() < 0.5 ? INFINITY : (positions(sh) == WORLD ? 2e6 : 200 + urand() * 20000);
    double r = urand();
    q->cat_mask = r < 0.5 ? ~0ull : r < 0.7 ? 1ull << 1 : r < 0.85 ? (1ull << 0 | 1ull << 2) : 0;
    if (sh == RARE && r < 0.9)
        q->cat_mask = 1ull << 5;
    if (positions(sh) != sh)
        q->cat_mask = skewed_masks[(int)(urand() * 8)];
    if (urand() < 0.1)
        q->accept = odd_id;
}

/* Returns how many queries differ; *exact counts the exact coordinates the tree asked for. */
static int check_against_oracle(enum shape sh, size_t n, int queries, size_t *exact)
{
    struct rtree_item *it = make_items(sh, n);
    struct by_id *b = by_id_new(it, n);
    struct rtree *t = NULL;
    struct rtree_scratch *s = NULL;
    T_CHECK(rtree_build(it, n, &t) == GEOD_OK);
    T_CHECK(rtree_scratch_new(&s) == GEOD_OK);
    T_CHECK(rtree_check(t));
    T_CHECK(rtree_count(t) == n);
    struct brute_ref *ref = malloc(n * sizeof *ref);
    struct rtree_hit *hit = malloc(100 * sizeof *hit);
    int bad = 0, nonempty = 0;
    for (int qi = 0; qi < queries; qi++) {
        struct rtree_query q;
        random_query(sh, it, n, b, &q);
        size_t m = brute_nearest(it, n, &q, BRUTE_GEO_INVERSE, ref), got = 0;
        size_t want = m < q.k ? m : q.k;
        T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_OK);
        nonempty += got > 0;
        bool same = got == want;
        size_t i = 0;
        for (; same && i < got; i++)
            same =
                hit[i].id == ref[i].id && fabs(hit[i].distance_m - ref[i].d) <= RTREE_DISTANCE_TOL;
        if (!same && bad++ < 3)
            T_CHECKF(0,
                     "%s query %d (%.7f,%.7f k=%u max=%g mask=%llx): got %zu hits, want %zu; "
                     "hit %zu: id %u at %.9f, want id %u at %.9f",
                     shape_name[sh], qi, q.lon, q.lat, q.k, q.max_m, (unsigned long long)q.cat_mask,
                     got, want, i - 1, got && i ? hit[i - 1].id : 0,
                     got && i ? hit[i - 1].distance_m : 0, want && i ? ref[i - 1].id : 0,
                     want && i ? ref[i - 1].d : 0);
    }
    T_CHECKF(bad == 0, "%s: %d of %d queries differ from brute force", shape_name[sh], bad,
             queries);
    T_CHECKF(nonempty > queries / 3, "%s: only %d of %d queries had answers", shape_name[sh],
             nonempty, queries);
    if (exact)
        *exact = b->calls;
    free(ref);
    free(hit);
    free(it);
    by_id_free(b);
    rtree_scratch_free(s);
    rtree_free(t);
    return bad;
}

static void test_clustered(void)
{
    check_against_oracle(CLUSTERED, 5000, 1500, NULL);
}

static void test_uniform(void)
{
    check_against_oracle(UNIFORM, 5000, 1500, NULL);
}

static void test_duplicates(void)
{
    check_against_oracle(DUPLICATES, 3000, 1000, NULL);
}

static void test_rare_category(void)
{
    check_against_oracle(RARE, 20000, 300, NULL);
}

/* Filters on rare categories are answered by the tree of the rare points (and the tree of the
 * rarest among those): the same answers as brute force, with positions of the whole tree. */
static void test_skewed_categories(void)
{
    check_against_oracle(SKEWED, 40000, 500, NULL);
    check_against_oracle(SKEWED_DUP, 30000, 300, NULL);
    check_against_oracle(SKEWED_WORLD, 40000, 300, NULL);
    /* the data above does reach both trees: categories 1, 2, 3 are rare, and 2 among them */
    struct rtree_item *it = make_items(SKEWED, 30000);
    struct rtree *t;
    T_CHECK(rtree_build(it, 30000, &t) == GEOD_OK);
    T_CHECK(t->rare_mask == (1ull << 1 | 1ull << 2 | 1ull << 3));
    T_CHECK(t->rare && t->rare->rare_mask == 1ull << 2 && t->rare->rare && !t->rare->rare->rare);
    rtree_free(t);
    free(it);
}

static void test_grid_symmetry(void)
{
    check_against_oracle(GRID, 2500, 1500, NULL);
}

static void test_world(void)
{
    /* distances beyond the fast formula's range: the exact ones, from the caller's coordinates */
    size_t exact = 0;
    check_against_oracle(WORLD, 4000, 800, &exact);
    T_CHECKF(exact > 0, "the tree never asked for exact coordinates");
}

/* Queries thousands of kilometres from a city's points: every point stays a candidate (the
 * chord bounds the arc loosely that far), the answers still equal brute force, also with limits
 * past 100 km where the arc bound is Schur's and past 12,037 km where there is none. */
static void test_far_queries(void)
{
    size_t n = 20000;
    struct rtree_item *it = make_items(CLUSTERED, n);
    struct rtree *t;
    struct rtree_scratch *s;
    T_CHECK(rtree_build(it, n, &t) == GEOD_OK);
    T_CHECK(rtree_scratch_new(&s) == GEOD_OK);
    struct by_id *b = by_id_new(it, n);
    struct brute_ref *ref = malloc(n * sizeof *ref);
    struct rtree_hit hit[50];
    static const double at[][2] = {{-65.7, -30.6}, {-65.6, -30.3}, {0, 0},     {-0.0, 0},
                                   {2.35, 48.85},  {-74, 40.7},    {151, -34}, {114.3, -89.99}};
    static const double limits[] = {INFINITY, 5e5, 3e6, 1.1e7, 1.25e7, 1.5e7, 2e7};
    int bad = 0, queries = 0, nonempty = 0;
    for (int qi = 0; qi < 40; qi++) {
        struct rtree_query q = {.k = (uint32_t[]){1, 10, 50}[qi % 3],
                                .cat_mask = qi % 4 == 3 ? 1ull << 1 : ~0ull,
                                .max_m = limits[qi % 7],
                                .coords = item_coords,
                                .cdata = b};
        if (qi < 8) {
            q.lon = at[qi][0];
            q.lat = at[qi][1];
        } else { /* anywhere at least ~2,000 km from the data */
            do {
                q.lon = (urand() * 2 - 1) * 180;
                q.lat = asin(urand() * 2 - 1) * 180 / M_PI;
            } while (fabs(q.lon - 114.4) < 25 && fabs(q.lat - 30.6) < 20);
        }
        size_t m = brute_nearest(it, n, &q, BRUTE_GEO_INVERSE, ref), got = 0;
        size_t want = m < q.k ? m : q.k;
        T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_OK);
        queries++;
        nonempty += got > 0;
        bool same = got == want;
        for (size_t i = 0; same && i < got; i++)
            same =
                hit[i].id == ref[i].id && fabs(hit[i].distance_m - ref[i].d) <= RTREE_DISTANCE_TOL;
        if (!same && bad++ < 3)
            T_CHECKF(0, "far query %d (%.4f,%.4f k=%u max=%g): got %zu hits, want %zu", qi, q.lon,
                     q.lat, q.k, q.max_m, got, want);
    }
    T_CHECKF(bad == 0, "%d of %d far queries differ from brute force", bad, queries);
    T_CHECKF(nonempty > queries / 2, "only %d of %d far queries had answers", nonempty, queries);
    T_CHECKF(b->calls > 0, "the exact coordinates were never asked for");
    by_id_free(b);
    free(ref);
    free(it);
    rtree_scratch_free(s);
    rtree_free(t);
}

/* Paging: pages that resume after the previous page's last hit concatenate to the whole list. */
static void check_paging(enum shape sh, size_t n)
{
    struct rtree_item *it = make_items(sh, n);
    struct by_id *b = by_id_new(it, n);
    struct rtree *t;
    struct rtree_scratch *s;
    T_CHECK(rtree_build(it, n, &t) == GEOD_OK);
    T_CHECK(rtree_scratch_new(&s) == GEOD_OK);
    struct brute_ref *ref = malloc(n * sizeof *ref);
    struct rtree_hit hit[37];
    for (int qi = 0; qi < 40; qi++) {
        struct rtree_query q;
        random_query(sh, it, n, b, &q);
        q.k = 37;
        q.max_m = 3000 + urand() * 20000;
        q.accept = NULL;
        size_t m = brute_nearest(it, n, &q, BRUTE_GEO_INVERSE, ref), seen = 0, got;
        for (;;) {
            T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_OK);
            for (size_t i = 0; i < got; i++, seen++)
                T_CHECKF(seen < m && hit[i].id == ref[seen].id, "query %d, item %zu", qi, seen);
            if (got < q.k)
                break;
            const struct rtree_item *last = &it[b->at[hit[got - 1].id]];
            q.has_after = true;
            q.after_m = geo_inverse(q.lon, q.lat, last->lon, last->lat, NULL);
            q.after_id = hit[got - 1].id;
        }
        T_CHECKF(seen == m, "query %d: pages hold %zu of %zu", qi, seen, m);
    }
    free(ref);
    free(it);
    by_id_free(b);
    rtree_scratch_free(s);
    rtree_free(t);
}

static void test_paging(void)
{
    check_paging(DUPLICATES, 4000);
    check_paging(SKEWED_DUP, 30000); /* through the rare categories' tree as well */
}

static void test_edges(void)
{
    struct rtree *t;
    struct rtree_scratch *s;
    struct rtree_hit hit[4];
    size_t got = 99;
    T_CHECK(rtree_scratch_new(&s) == GEOD_OK);
    T_CHECK(rtree_build(NULL, 0, &t) == GEOD_OK);
    T_CHECK(rtree_check(t));
    struct rtree_item one = {114.1, 30.1, 42, 3};
    struct by_id b = {&one, (uint32_t[43]){[42] = 0}, 0};
    struct rtree_query q = {.lon = 114,
                            .lat = 30,
                            .k = 4,
                            .max_m = INFINITY,
                            .cat_mask = ~0ull,
                            .coords = item_coords,
                            .cdata = &b};
    T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_OK && got == 0);
    rtree_free(t);
    T_CHECK(rtree_build(&one, 1, &t) == GEOD_OK);
    T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_OK && got == 1 && hit[0].id == 42);
    q.coords = NULL; /* the tree has no coordinates of its own: a query must name the caller's */
    T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_EINVAL);
    q.coords = item_coords;
    q.k = 0;
    T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_EINVAL);
    q.k = 1;
    q.lat = NAN;
    T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_EINVAL);
    q.lat = 30;
    q.max_m = -1;
    T_CHECK(rtree_nearest(t, &q, s, hit, &got) == GEOD_EINVAL);
    rtree_free(t);
    struct rtree_item bad[2] = {{114, 30, 1, 0}, {114, 95, 2, 0}};
    T_CHECK(rtree_build(bad, 2, &t) == GEOD_EINVAL && t == NULL);
    bad[1] = (struct rtree_item){114, 30, 2, RTREE_MAX_CATEGORIES};
    T_CHECK(rtree_build(bad, 2, &t) == GEOD_EINVAL);
    rtree_free(NULL);
    rtree_scratch_free(s);
}

int main(void)
{
    T_RUN(test_clustered);
    T_RUN(test_uniform);
    T_RUN(test_duplicates);
    T_RUN(test_rare_category);
    T_RUN(test_skewed_categories);
    T_RUN(test_grid_symmetry);
    T_RUN(test_world);
    T_RUN(test_far_queries);
    T_RUN(test_paging);
    T_RUN(test_edges);
    return T_END();
}

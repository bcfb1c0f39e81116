/* test_enterprises.c - index/enterprises.c against brute force: 1,500 random enterprises (names
 * from a small vocabulary with polyphones, repeated names, shared positions, sparse ids, some
 * without a district) and random queries. Distances are PROJ's geod_inverse (tests/lib/brute.h);
 * a name matches when this file's own reading of names.h says so: a Chinese query is a substring
 * of the name; a pinyin query is split into one piece per name character over a run of the name,
 * each piece a whole reading of the character, its initial (zh/ch/sh too) or, for the piece that
 * ends the query, any prefix of a reading (readings from the pinyin table only). Also: the
 * listing order (name bytewise, then id), district filters with limits, the builder's refusals,
 * an empty table. */
#include "tests/t.h"

#include "data/pinyin_data.h"
#include "index/enterprises.h"
#include "index/utf8.h"
#include "tests/lib/brute.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N 1500
#define QUERIES 600

static struct pinyin_table *tab;

static const char *const vocab[] = {"武", "汉", "康", "乐", "福", "利", "印", "刷", "厂", "长",
                                    "江", "行", "银", "光", "明", "华", "中", "新", "兴", "安",
                                    "和", "平", "重", "庆", "东", "阳", "红", "电", "子", "食",
                                    "品", "包", "装", "制", "衣", "绿", "女"};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

static const char *const districts[] = {"420102000000", "420103000000", "420104000000",
                                        "420105000000", "420106000000", "420111000000"};

struct rec {
    struct enterprise_in in;
    char name[128], code[19], district[13];
    uint32_t cps[40]; /* the name's code points */
    size_t ncp;
};

static struct rec recs[N];
static struct rec *by_id[12 * N + 8]; /* ids are 1 + 3i + {0, 1, 2}, i < 4N */
static struct enterprises *table;

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs % n);
}
static double urnd(void)
{
    return (double)rnd(1u << 30) / (double)(1u << 30);
}

static void make_code(char out[19])
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    memcpy(out, "91420102", 8);
    for (int i = 8; i < 17; i++)
        out[i] = set[rnd(31)];
    out[17] = credit_code_check(out);
    out[18] = '\0';
}

static void decode(struct rec *r)
{
    size_t len = strlen(r->name);
    r->ncp = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(r->name + i, len - i, &cp);
        r->cps[r->ncp++] = cp;
        i += k;
    }
}

static void make_records(void)
{
    uint32_t ids[4 * N];
    for (uint32_t i = 0; i < 4 * N; i++)
        ids[i] = 1 + 3 * i + rnd(3);
    for (uint32_t i = 4 * N - 1; i > 0; i--) { /* shuffle; take the first N */
        uint32_t j = rnd(i + 1), t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }
    for (size_t i = 0; i < N; i++) {
        struct rec *r = &recs[i];
        if (i > 10 && rnd(20) == 0) { /* a repeated name */
            strcpy(r->name, recs[rnd((uint32_t)i)].name);
        } else {
            r->name[0] = '\0';
            for (uint32_t k = 0, n = 2 + rnd(7); k < n; k++)
                strcat(r->name, vocab[rnd(NVOCAB)]);
            if (rnd(2))
                strcat(r->name, "有限公司");
        }
        decode(r);
        make_code(r->code);
        bool has_district = rnd(10) != 0;
        if (has_district)
            strcpy(r->district, districts[rnd(6)]);
        double lon = 114.0 + 0.6 * urnd(), lat = 30.3 + 0.5 * urnd();
        if (i > 0 && rnd(20) == 0) { /* the same place as another: ties go by id */
            lon = recs[i - 1].in.lon;
            lat = recs[i - 1].in.lat;
        }
        r->in = (struct enterprise_in){
            .id = ids[i],
            .version = 1,
            .credit_code = r->code,
            .name = r->name,
            .address = rnd(2) ? "武汉市（测试）" : NULL,
            .lon = lon,
            .lat = lat,
            .district_code = has_district ? r->district : NULL,
            .industry = rnd(2) ? "印刷" : NULL,
            .disabled_employees = (int64_t)rnd(50) - 1,
            .certified_on = rnd(2) ? "2015-06-01" : NULL,
            .source = "test",
        };
        by_id[r->in.id] = r;
    }
}

/* ---- the name oracle ---- */

static bool letter_eq(char q, char r)
{
    return q == r || (q == 'u' && r == 'v');
}

/* Can q[i..qn) (lower-case letters and single spaces) be split into pieces for cps[j..)? */
static bool pinyin_from(const uint32_t *cps, size_t n, size_t j, const char *q, size_t i, size_t qn)
{
    while (i < qn && q[i] == ' ')
        i++;
    if (i == qn)
        return true;
    if (j == n)
        return false;
    const uint16_t *ids;
    size_t nr = pinyin_readings(tab, cps[j], &ids);
    for (size_t k = 0; k < nr; k++) {
        size_t rl;
        const char *rd = pinyin_syllable(tab, ids[k], &rl);
        size_t m = 0;
        while (m < rl && i + m < qn && q[i + m] != ' ' && letter_eq(q[i + m], rd[m]))
            m++;
        for (size_t len = 1; len <= m; len++) {
            bool zcs = len == 2 && rd[1] == 'h' && (rd[0] == 'z' || rd[0] == 'c' || rd[0] == 's');
            bool ok = len == rl || len == 1 || zcs || i + len == qn;
            if (ok && pinyin_from(cps, n, j + 1, q, i + len, qn))
                return true;
        }
    }
    return false;
}

static bool o_match(const struct rec *r, const char *q)
{
    if ((unsigned char)q[0] >= 0x80)
        return strstr(r->name, q) != NULL;
    for (size_t p = 0; p < r->ncp; p++)
        if (pinyin_from(r->cps, r->ncp, p, q, 0, strlen(q)))
            return true;
    return false;
}

/* A query made from a run of a random name. */
static void make_query(char *q, size_t cap)
{
    const struct rec *r = &recs[rnd(N)];
    size_t start = rnd((uint32_t)r->ncp), len = 1 + rnd(4);
    if (start + len > r->ncp)
        len = r->ncp - start;
    int kind = (int)rnd(5);
    q[0] = '\0';
    if (kind == 4) { /* random letters, which may match nothing */
        size_t n = 2 + rnd(4);
        for (size_t i = 0; i < n; i++)
            q[i] = (char)('a' + rnd(26));
        q[n] = '\0';
        return;
    }
    for (size_t k = start; k < start + len; k++) {
        if (kind == 0) { /* the characters */
            char buf[5] = {0};
            uint32_t c = r->cps[k];
            buf[0] = (char)(0xE0 | c >> 12);
            buf[1] = (char)(0x80 | (c >> 6 & 0x3F));
            buf[2] = (char)(0x80 | (c & 0x3F));
            strncat(q, buf, cap - strlen(q) - 1);
            continue;
        }
        const uint16_t *ids;
        size_t nr = pinyin_readings(tab, r->cps[k], &ids);
        size_t sl;
        const char *syl = pinyin_syllable(tab, ids[rnd((uint32_t)nr)], &sl);
        char piece[8];
        snprintf(piece, sizeof piece, "%s", syl);
        if (kind == 2) /* initials */
            piece[1] = '\0';
        if (kind == 3 && k + 1 == start + len) /* the last syllable cut short */
            piece[1 + rnd((uint32_t)sl)] = '\0';
        if (kind == 1 && k > start && rnd(2))
            strncat(q, " ", cap - strlen(q) - 1);
        strncat(q, piece, cap - strlen(q) - 1);
    }
}

/* ---- the checks ---- */

static bool in_district(const struct rec *r, const char *d)
{
    return !d || (r->in.district_code && memcmp(r->in.district_code, d, 6) == 0);
}

struct ofilter {
    const char *q, *district;
};

static bool o_accept(void *udata, uint32_t id)
{
    const struct ofilter *f = udata;
    const struct rec *r = by_id[id];
    return in_district(r, f->district) && (!f->q || o_match(r, f->q));
}

static enum geod_err find(const struct enterprises_query *q, struct enterprises_hit *out, size_t *n)
{
    static struct rtree_scratch *sc;
    static struct rtree_hit hits[NAMES_MAX_LIMIT];
    if (!sc && rtree_scratch_new(&sc))
        return GEOD_ENOMEM;
    if (!q) { /* the end */
        rtree_scratch_free(sc);
        sc = NULL;
        return GEOD_OK;
    }
    return enterprises_find(table, q, sc, hits, out, n);
}

static const struct rec *rec_of(const struct enterprises_hit *h)
{
    return by_id[table->e[h->idx].id];
}

static void test_build(void)
{
    struct enterprises_builder *b;
    T_CHECK(enterprises_builder_new(&b) == GEOD_OK);
    for (size_t i = 0; i < N; i++)
        T_CHECKF(enterprises_builder_add(b, &recs[i].in) == GEOD_OK, "record %zu", i);
    T_CHECK(enterprises_builder_finish(b, tab, NULL, &table) == GEOD_OK);
    T_CHECK(table && table->n == N && table->names && rtree_check(table->tree));
    for (size_t i = 0; table && i < N; i++) {
        const struct enterprise *e = enterprises_get(table, recs[i].in.id);
        T_CHECKF(e && strcmp(e->name, recs[i].name) == 0 &&
                     strcmp(e->credit_code, recs[i].code) == 0 && e->lon == recs[i].in.lon &&
                     e->disabled_employees == recs[i].in.disabled_employees,
                 "id %u", recs[i].in.id);
    }
    size_t absent = 0;
    for (uint32_t id = 0; table && id < 12 * N + 8; id++) {
        if (!by_id[id]) {
            T_CHECKF(!enterprises_get(table, id), "id %u", id);
            absent++;
        }
    }
    T_CHECK(absent > 3 * N);
}

/* Without a position: every match (names.h's order is names.h's test's business), and with a
 * district and limit, the same order restricted to the district, cut at the limit. */
static void test_names_vs_brute(void)
{
    static struct enterprises_hit all[NAMES_MAX_LIMIT], some[NAMES_MAX_LIMIT];
    size_t checked = 0, matched = 0;
    for (int t = 0; t < QUERIES && table; t++) {
        char q[64];
        make_query(q, sizeof q);
        struct enterprises_query eq = {.q = q, .qlen = strlen(q), .limit = NAMES_MAX_LIMIT};
        size_t n = 0, want = 0;
        T_CHECKF(find(&eq, all, &n) == GEOD_OK, "%s", q);
        bool *hit = calloc(N, sizeof *hit);
        for (size_t i = 0; i < n; i++) {
            const struct rec *r = rec_of(&all[i]);
            hit[r - recs] = true;
            T_CHECKF(o_match(r, q), "%s: %s should not match", q, r->name);
        }
        for (size_t i = 0; i < N; i++) {
            want += o_match(&recs[i], q);
            T_CHECKF(hit[i] || n == NAMES_MAX_LIMIT || !o_match(&recs[i], q),
                     "%s: %s (id %u) missing", q, recs[i].name, recs[i].in.id);
        }
        free(hit);
        T_CHECKF(n == (want < NAMES_MAX_LIMIT ? want : NAMES_MAX_LIMIT), "%s: %zu of %zu", q, n,
                 want);
        checked++;
        matched += n;
        if (n == NAMES_MAX_LIMIT)
            continue;
        const char *d = rnd(4) ? districts[rnd(6)] : "420199"; /* and one with nothing */
        eq.district = d;
        eq.limit = 1 + rnd(30);
        size_t m = 0, k = 0;
        T_CHECK(find(&eq, some, &m) == GEOD_OK);
        for (size_t i = 0; i < n && k < eq.limit; i++) {
            if (!in_district(rec_of(&all[i]), d))
                continue;
            T_CHECKF(k < m && some[k].idx == all[i].idx, "%s in %s: result %zu differs", q, d, k);
            k++;
        }
        T_CHECKF(m == k, "%s in %s: %zu results, want %zu", q, d, m, k);
    }
    printf("  %zu queries, %zu hits\n", checked, matched);
}

/* With a position: nearest first by PROJ's distance, ties by id, with every filter. */
static void test_nearest_vs_brute(void)
{
    static struct enterprises_hit out[NAMES_MAX_LIMIT];
    static struct brute_ref ref[N];
    static struct rtree_item items[N];
    for (size_t i = 0; i < N; i++)
        items[i] = (struct rtree_item){recs[i].in.lon, recs[i].in.lat, recs[i].in.id, 0};
    size_t total = 0;
    for (int t = 0; t < QUERIES && table; t++) {
        char q[64];
        struct ofilter f = {NULL, NULL};
        if (rnd(2)) {
            make_query(q, sizeof q);
            f.q = q;
        }
        if (rnd(3) == 0)
            f.district = districts[rnd(6)];
        struct enterprises_query eq = {
            .q = f.q,
            .qlen = f.q ? strlen(f.q) : 0,
            .district = f.district,
            .has_pos = true,
            .lon = rnd(5) ? recs[rnd(N)].in.lon : 113.9 + 0.8 * urnd(),
            .lat = 30.2 + 0.7 * urnd(),
            .max_m = rnd(2) ? 200.0 + 20000.0 * urnd() : INFINITY,
            .limit = 1 + rnd(rnd(4) ? 20 : NAMES_MAX_LIMIT),
        };
        if (rnd(5) == 0) /* exactly at one */
            eq.lat = recs[rnd(N)].in.lat, eq.lon = 114.0 + 0.6 * urnd();
        struct rtree_query rq = {.lon = eq.lon,
                                 .lat = eq.lat,
                                 .k = (uint32_t)eq.limit,
                                 .max_m = eq.max_m,
                                 .cat_mask = 1,
                                 .accept = o_accept,
                                 .udata = &f};
        size_t want = brute_nearest(items, N, &rq, BRUTE_PROJ, ref), n = 0;
        if (want > eq.limit)
            want = eq.limit;
        T_CHECKF(find(&eq, out, &n) == GEOD_OK, "query %d", t);
        T_CHECKF(n == want,
                 "query %d (q %s, district %s, radius %g, limit %zu): %zu results, "
                 "want %zu",
                 t, f.q ? f.q : "-", f.district ? f.district : "-", eq.max_m, eq.limit, n, want);
        for (size_t i = 0; i < n && i < want; i++) {
            uint32_t id = table->e[out[i].idx].id;
            /* only a tie within the tolerance may swap two of them */
            bool same = id == ref[i].id ||
                        (i + 1 < want && id == ref[i + 1].id && ref[i + 1].d - ref[i].d < 1e-3) ||
                        (i > 0 && id == ref[i - 1].id && ref[i].d - ref[i - 1].d < 1e-3);
            T_CHECKF(same, "query %d, result %zu: id %u, want %u", t, i, id, ref[i].id);
            T_CHECKF(fabs(out[i].distance_m - ref[i].d) < 1e-3,
                     "query %d, result %zu: %.6f m, "
                     "want %.6f",
                     t, i, out[i].distance_m, ref[i].d);
        }
        total += n;
    }
    printf("  %d queries, %zu hits\n", QUERIES, total);
}

static int by_name_then_id(const void *a, const void *b)
{
    const struct rec *x = *(const struct rec *const *)a, *y = *(const struct rec *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->in.id < y->in.id ? -1 : x->in.id > y->in.id;
}

static void test_listing(void)
{
    static const struct rec *sorted[N];
    static struct enterprises_hit out[NAMES_MAX_LIMIT];
    for (int t = 0; t < 40 && table; t++) {
        const char *d = t % 4 ? districts[rnd(6)] : NULL;
        size_t m = 0;
        for (size_t i = 0; i < N; i++)
            if (in_district(&recs[i], d))
                sorted[m++] = &recs[i];
        qsort(sorted, m, sizeof *sorted, by_name_then_id);
        struct enterprises_query eq = {.district = d, .limit = 1 + rnd(NAMES_MAX_LIMIT)};
        size_t n = 0;
        T_CHECK(find(&eq, out, &n) == GEOD_OK);
        size_t want = m < eq.limit ? m : eq.limit;
        T_CHECKF(n == want, "listing in %s: %zu, want %zu", d ? d : "-", n, want);
        for (size_t i = 0; i < n && i < want; i++) {
            T_CHECKF(rec_of(&out[i]) == sorted[i], "listing in %s, %zu: %s, want %s", d ? d : "-",
                     i, rec_of(&out[i])->name, sorted[i]->name);
            T_CHECK(isnan(out[i].distance_m));
        }
    }
}

static void test_refusals(void)
{
    struct enterprises_hit out[4];
    size_t n = 99;
    struct enterprises_query eq = {.q = "康乐", .qlen = strlen("康乐"), .limit = 0};
    T_CHECK(find(&eq, out, &n) == GEOD_EINVAL && n == 0);
    eq.limit = NAMES_MAX_LIMIT + 1;
    T_CHECK(find(&eq, out, &n) == GEOD_EINVAL);
    eq.limit = 4;
    eq.q = "   ";
    eq.qlen = 3;
    T_CHECK(find(&eq, out, &n) == GEOD_EINVAL);
    eq.has_pos = true, eq.lon = 114.3, eq.lat = 30.5, eq.max_m = INFINITY;
    T_CHECK(find(&eq, out, &n) == GEOD_EINVAL); /* by distance too */
    char longq[300] = "";
    for (int i = 0; i < 70; i++)
        strcat(longq, "汉");
    eq.q = longq;
    eq.qlen = strlen(longq);
    T_CHECK(find(&eq, out, &n) == GEOD_ERANGE);

    struct enterprises_builder *b;
    T_CHECK(enterprises_builder_new(&b) == GEOD_OK);
    struct enterprise_in ok = recs[0].in, bad;
    char code[19];
    strcpy(code, recs[0].code);
    code[17] = code[17] == '0' ? '1' : '0';
    const char *const bad_districts[] = {"42010200000", "4201020000000", "42010200000a"};
    bad = ok, bad.id = 0;
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    bad = ok, bad.credit_code = code;
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    bad = ok, bad.name = "";
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    bad = ok, bad.name = NULL;
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    bad = ok, bad.source = NULL;
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    bad = ok, bad.lon = NAN;
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    bad = ok, bad.lat = 91;
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    bad = ok, bad.disabled_employees = -2;
    T_CHECK(enterprises_builder_add(b, &bad) == GEOD_EINVAL);
    for (int i = 0; i < 3; i++) {
        bad = ok, bad.district_code = bad_districts[i];
        T_CHECKF(enterprises_builder_add(b, &bad) == GEOD_EINVAL, "%s", bad_districts[i]);
    }
    T_CHECK(enterprises_builder_add(b, &ok) == GEOD_OK);
    T_CHECK(enterprises_builder_add(b, &ok) == GEOD_OK); /* the duplicate id: caught by finish */
    struct enterprises *t = NULL;
    T_CHECK(enterprises_builder_finish(b, tab, NULL, &t) == GEOD_EINVAL && !t);
}

static void test_empty(void)
{
    struct enterprises *t = NULL;
    struct enterprises_builder *b;
    T_CHECK(enterprises_builder_new(&b) == GEOD_OK);
    T_CHECK(enterprises_builder_finish(b, tab, NULL, &t) == GEOD_OK && t && t->n == 0);
    struct enterprises_hit out[4];
    struct rtree_scratch *sc;
    struct rtree_hit hits[4];
    T_CHECK(rtree_scratch_new(&sc) == GEOD_OK);
    size_t n = 9;
    struct enterprises_query eq = {.q = "kangle", .qlen = 6, .limit = 4};
    T_CHECK(t && enterprises_find(t, &eq, sc, hits, out, &n) == GEOD_OK && n == 0);
    eq.q = "\x01", eq.qlen = 1; /* still checked */
    T_CHECK(t && enterprises_find(t, &eq, sc, hits, out, &n) == GEOD_EINVAL);
    eq.q = NULL, eq.has_pos = true, eq.lon = 114.3, eq.lat = 30.6, eq.max_m = INFINITY;
    T_CHECK(t && enterprises_find(t, &eq, sc, hits, out, &n) == GEOD_OK && n == 0);
    enterprises_free(t);
    T_CHECK(enterprises_empty(&t) == GEOD_OK && t && t->n == 0 && !t->names);
    eq.q = "kangle", eq.has_pos = false;
    T_CHECK(t && enterprises_find(t, &eq, sc, hits, out, &n) == GEOD_ENOTFOUND);
    enterprises_free(t);
    rtree_scratch_free(sc);
}

int main(void)
{
    struct pinyin_data_blob u = pinyin_data_unihan();
    if (pinyin_table_new(u.data, u.len, &tab)) {
        printf("the pinyin table does not load\n1 passed, 1 failed\n");
        return 1;
    }
    make_records();
    T_RUN(test_build);
    T_RUN(test_names_vs_brute);
    T_RUN(test_nearest_vs_brute);
    T_RUN(test_listing);
    T_RUN(test_refusals);
    T_RUN(test_empty);
    find(NULL, NULL, NULL);
    enterprises_free(table);
    pinyin_table_free(tab);
    return T_END();
}

/* test_api_enterprises.c - GET /v1/enterprises of a real geod (the sanitized build, $GEOD_BIN)
 * serving the built-in store. The oracle is the enterprise table read from the store file with
 * plain SQLite, distances by PROJ's geod_inverse (tests/lib/oracle.h), name matches by Chinese
 * substrings and by this file's own pinyin of the synthetic names' parts. Checked: the whole
 * listing field by field, names in Chinese, full pinyin and initials, districts, position and
 * radius against brute force, out_crs, msgpack and GeoJSON against JSON, refusals, and a write
 * into the store of a running geod seen within a second. GEOD_TEST_SEED=N replays another
 * random sequence. */
#include "data/store_enterprise.h"
#include "index/crs.h"
#include "tests/lib/apicheck.h"
#include "tests/lib/placefix.h"
#include "tests/t.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT_ALL 1000

static struct pf_fixture fx;

struct ent {
    int64_t id, disabled; /* -1: NULL */
    double lon, lat;
    char *code, *name, *address, *district, *industry, *certified, *source; /* NULL for NULL */
};

static struct ent *ents;
static size_t nent;

/* ---- the oracle ---- */

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static bool load_ents(const char *db, char *why, size_t cap)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h,
                           "SELECT id, credit_code, name, address, lon, lat, district_code,"
                           " industry, disabled_employees, certified_on, source"
                           " FROM enterprise WHERE deleted = 0 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(why, cap, "%.300s: %s", db, sqlite3_errmsg(h));
        sqlite3_close(h);
        return false;
    }
    size_t cap_n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (nent == cap_n) {
            cap_n = cap_n ? 2 * cap_n : 512;
            ents = realloc(ents, cap_n * sizeof *ents);
        }
        struct ent *e = &ents[nent++];
        e->id = sqlite3_column_int64(st, 0);
        e->code = dup_col(st, 1);
        e->name = dup_col(st, 2);
        e->address = dup_col(st, 3);
        e->lon = sqlite3_column_double(st, 4);
        e->lat = sqlite3_column_double(st, 5);
        e->district = dup_col(st, 6);
        e->industry = dup_col(st, 7);
        e->disabled = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 8);
        e->certified = dup_col(st, 9);
        e->source = dup_col(st, 10);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return true;
}

static void free_ents(void)
{
    for (size_t i = 0; i < nent; i++) {
        struct ent *e = &ents[i];
        free(e->code), free(e->name), free(e->address), free(e->district), free(e->industry);
        free(e->certified), free(e->source);
    }
    free(ents);
}

static const struct ent *ent_by_id(int64_t id)
{
    for (size_t i = 0; i < nent; i++)
        if (ents[i].id == id)
            return &ents[i];
    return NULL;
}

/* GB 32100's check character, written again (values by ranges, weights 3^i mod 31). */
static bool code_ok(const char *c)
{
    static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    if (!c || strlen(c) != 18)
        return false;
    long sum = 0, w = 1;
    for (int i = 0; i < 17; i++, w = w * 3 % 31) {
        const char *p = strchr(set, c[i]);
        if (!p || !c[i])
            return false;
        sum += (p - set) * w;
    }
    return set[(31 - sum % 31) % 31] == c[17];
}

/* ---- fetching ---- */

static json_t *get_json(const char *url, int want_status, struct ac_answer *keep)
{
    char why[AC_WHY];
    struct ac_answer a;
    bool ok = ac_get(fx.hc, url, NULL, &a, why);
    T_CHECKF(ok, "%s: %s", url, why);
    if (!ok)
        return NULL;
    T_CHECKF(a.status == want_status, "%s: status %d: %.200s", url, a.status, a.r.body);
    json_t *js = a.status == want_status ? json_incref(a.json) : NULL;
    if (keep)
        *keep = a;
    else
        ac_answer_free(&a);
    return js;
}

/* The results of url, checked item by item against the store (fields, and the exact distance
 * from (qlon, qlat) when has_pos), with out the system lon/lat are in; ids into out_ids (cap),
 * the count returned (-1 on a problem). */
static long results(const char *url, bool has_pos, double qlon, double qlat, enum crs_id out,
                    int64_t *out_ids, size_t cap)
{
    json_t *js = get_json(url, 200, NULL);
    if (!js)
        return -1;
    const json_t *res = json_object_get(js, "results");
    long n = (long)json_array_size(res);
    T_CHECKF(json_is_array(res) && json_object_size(js) == 2 &&
                 json_integer_value(json_object_get(js, "count")) == n,
             "%s: not {results, count}", url);
    for (long i = 0; i < n && (size_t)i < cap; i++) {
        const json_t *o = json_array_get(res, (size_t)i);
        int64_t id = json_integer_value(json_object_get(o, "id"));
        const struct ent *e = ent_by_id(id);
        out_ids[i] = id;
        T_CHECKF(e, "%s: id %lld is no live enterprise", url, (long long)id);
        if (!e)
            continue;
#define SAME_STR(k, v)                                                                             \
    T_CHECKF((v) ? json_is_string(json_object_get(o, k)) &&                                        \
                       strcmp(json_string_value(json_object_get(o, k)), (v)) == 0                  \
                 : json_is_null(json_object_get(o, k)),                                            \
             "%s: enterprise %lld: %s differs", url, (long long)id, k)
        SAME_STR("credit_code", e->code);
        SAME_STR("name", e->name);
        SAME_STR("address", e->address);
        SAME_STR("district_code", e->district);
        SAME_STR("industry", e->industry);
        SAME_STR("certified_on", e->certified);
        SAME_STR("source", e->source);
#undef SAME_STR
        const json_t *de = json_object_get(o, "disabled_employees");
        T_CHECKF(e->disabled < 0 ? json_is_null(de)
                                 : json_is_integer(de) && json_integer_value(de) == e->disabled,
                 "%s: enterprise %lld: disabled_employees", url, (long long)id);
        double lon = e->lon, lat = e->lat;
        crs_convert(CRS_WGS84, out, e->lon, e->lat, &lon, &lat);
        T_CHECKF(fabs(json_number_value(json_object_get(o, "lon")) - lon) <= 0.5e-7 + 1e-10 &&
                     fabs(json_number_value(json_object_get(o, "lat")) - lat) <= 0.5e-7 + 1e-10,
                 "%s: enterprise %lld: position", url, (long long)id);
        T_CHECKF(json_object_size(o) == (has_pos ? 12u : 11u), "%s: %zu keys", url,
                 json_object_size(o));
        if (has_pos) {
            double d = oracle_distance(&fx.orc, qlon, qlat, e->lon, e->lat, NULL);
            double got = json_number_value(json_object_get(o, "distance_m"));
            T_CHECKF(fabs(got - d) <= 0.005 + 1e-6, "%s: enterprise %lld: %.3f m, want %.4f", url,
                     (long long)id, got, d);
        }
    }
    json_decref(js);
    return n;
}

/* ---- tests ---- */

static void test_start(void)
{
    char why[PF_WHY];
    T_CHECKF(pf_start(&fx, false, why), "%s", why);
    T_CHECKF(fx.up && load_ents(fx.geod.db, why, sizeof why), "%s", why);
    printf("  %zu live enterprises in the store\n", nent);
}

/* The built-in store: a few hundred synthetic enterprises with valid, distinct codes, each at
 * the place of the synthetic welfare_enterprise facility of its name. */
static void test_builtin_rows(void)
{
    T_CHECKF(nent >= 300 && nent <= LIMIT_ALL, "%zu enterprises", nent);
    for (size_t i = 0; i < nent; i++) {
        T_CHECKF(code_ok(ents[i].code), "%s", ents[i].code);
        T_CHECKF(strcmp(ents[i].source, "synthetic") == 0 && ents[i].district &&
                     memcmp(ents[i].code + 2, ents[i].district, 6) == 0,
                 "%s", ents[i].code);
        for (size_t j = 0; j < i; j++)
            T_CHECKF(strcmp(ents[i].code, ents[j].code) != 0, "%s twice", ents[i].code);
    }
    sqlite3 *h;
    T_CHECK(sqlite3_open_v2(fx.geod.db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st;
    T_CHECK(sqlite3_prepare_v2(h,
                               "SELECT count(*) FROM enterprise e JOIN facility f"
                               " ON f.name = e.name AND f.lon = e.lon AND f.lat = e.lat"
                               " AND f.category = 'welfare_enterprise' AND f.deleted = 0"
                               " WHERE e.deleted = 0",
                               -1, &st, NULL) == SQLITE_OK);
    T_CHECK(sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_int64(st, 0) == nent);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static const struct ent **sorted_by_name(const char *district, size_t *m)
{
    const struct ent **s = malloc((nent + 1) * sizeof *s);
    *m = 0;
    for (size_t i = 0; i < nent; i++)
        if (!district || (ents[i].district && memcmp(ents[i].district, district, 6) == 0))
            s[(*m)++] = &ents[i];
    for (size_t i = 1; i < *m; i++) /* insertion sort by (name bytewise, id) */
        for (size_t j = i; j > 0; j--) {
            int c = strcmp(s[j - 1]->name, s[j]->name);
            if (c < 0 || (c == 0 && s[j - 1]->id < s[j]->id))
                break;
            const struct ent *t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return s;
}

/* Without q or a position: everything (or a district's) by name, then id. */
static void test_listing_and_districts(void)
{
    static int64_t ids[LIMIT_ALL];
    const char *const districts[] = {NULL,     "420102", "420103", "420104", "420105",
                                     "420106", "420107", "420111", "420112", "420113",
                                     "420114", "420115", "420116", "420117", "420199"};
    size_t nonempty = 0;
    for (size_t k = 0; k < sizeof districts / sizeof districts[0]; k++) {
        char url[128];
        snprintf(url, sizeof url, "/v1/enterprises?limit=%d%s%s", LIMIT_ALL,
                 districts[k] ? "&district=" : "", districts[k] ? districts[k] : "");
        size_t m;
        const struct ent **want = sorted_by_name(districts[k], &m);
        long n = results(url, false, 0, 0, CRS_WGS84, ids, LIMIT_ALL);
        T_CHECKF(n == (long)m, "%s: %ld results, want %zu", url, n, m);
        for (long i = 0; i < n && (size_t)i < m; i++)
            T_CHECKF(ids[i] == want[i]->id, "%s: result %ld is %lld, want %lld", url, i,
                     (long long)ids[i], (long long)want[i]->id);
        nonempty += m > 0;
        free(want);
    }
    T_CHECKF(nonempty >= 10, "%zu districts with enterprises", nonempty);
    /* the default limit */
    T_CHECK(results("/v1/enterprises", false, 0, 0, CRS_WGS84, ids, LIMIT_ALL) == 20);
}

/* q (UTF-8, percent-encoded here) must find exactly the enterprises whose name contains
 * `contains` or `alt` (may be NULL), optionally in a district. Returns the number found. */
static long name_query2(const char *q, const char *contains, const char *alt, const char *district)
{
    static int64_t ids[LIMIT_ALL];
    char enc[512], url[700];
    ac_percent_encode(q, enc, sizeof enc);
    snprintf(url, sizeof url, "/v1/enterprises?q=%s&limit=%d%s%s", enc, LIMIT_ALL,
             district ? "&district=" : "", district ? district : "");
    long n = results(url, false, 0, 0, CRS_WGS84, ids, LIMIT_ALL);
    size_t want = 0;
    for (size_t i = 0; i < nent; i++) {
        const struct ent *e = &ents[i];
        if ((!strstr(e->name, contains) && !(alt && strstr(e->name, alt))) ||
            (district && (!e->district || memcmp(e->district, district, 6) != 0)))
            continue;
        want++;
        bool found = false;
        for (long k = 0; k < n && !found; k++)
            found = ids[k] == e->id;
        T_CHECKF(found, "q=%s%s%s: %s missing", q, district ? " in " : "", district ? district : "",
                 e->name);
    }
    T_CHECKF(n == (long)want, "q=%s: %ld results, want %zu", q, n, want);
    return n;
}

static long name_query(const char *q, const char *contains, const char *district)
{
    return name_query2(q, contains, NULL, district);
}

static void test_q_chinese(void)
{
    size_t total = 0;
    for (int t = 0; t < 60 && nent; t++) {
        const struct ent *e = &ents[ac_below(&fx.rng, (uint32_t)nent)];
        /* whole names: the name itself comes first (exact beats prefix: 某某（二） too) */
        if (t % 3 == 0) {
            char enc[512], url[700];
            ac_percent_encode(e->name, enc, sizeof enc);
            snprintf(url, sizeof url, "/v1/enterprises?q=%s&limit=3", enc);
            json_t *js = get_json(url, 200, NULL);
            const json_t *first = json_array_get(json_object_get(js, "results"), 0);
            T_CHECKF(json_integer_value(json_object_get(first, "id")) == e->id, "%s: not first",
                     e->name);
            json_decref(js);
        }
        /* a run of 2..5 characters from the third on (after 武汉) */
        size_t at[128], chars = 0, len = strlen(e->name);
        for (size_t i = 0; i <= len && chars < 128; i++)
            if (i == len || ((unsigned char)e->name[i] & 0xC0) != 0x80)
                at[chars++] = i; /* where each character starts, and the end */
        chars--;
        size_t from = 2 + ac_below(&fx.rng, (uint32_t)(chars > 4 ? chars - 4 : 1));
        size_t cnt = 2 + ac_below(&fx.rng, 4);
        if (from + cnt > chars)
            continue;
        char sub[128], district[7] = "";
        memcpy(sub, e->name + at[from], at[from + cnt] - at[from]);
        sub[at[from + cnt] - at[from]] = '\0';
        if (e->district)
            memcpy(district, e->district, 6), district[6] = '\0';
        total += (size_t)name_query(sub, sub, t % 4 == 0 && e->district ? district : NULL);
    }
    printf("  %zu hits\n", total);
}

/* The synthetic names' parts (data/synth.c) with their pinyin, their initials, and the end of
 * another brand those initials spell as well: yh is 阳红 of 夕阳红 too, and sh, an initial of
 * its own, is 寿 of 福寿. */
static const char *const brands[][4] = {
    {"康乐", "kang le", "kl", NULL},         {"福寿", "fu shou", "fs", NULL},
    {"夕阳红", "xi yang hong", "xyh", NULL}, {"幸福", "xing fu", "xf", NULL},
    {"颐和", "yi he", "yh", "阳红"},         {"松鹤", "song he", "sh", "寿"},
    {"安康", "an kang", "ak", NULL},         {"乐龄", "le ling", "ll", NULL},
    {"长青", "chang qing", "cq", NULL},      {"晚晴", "wan qing", "wq", NULL},
    {"爱心", "ai xin", "ax", NULL},          {"同心", "tong xin", "tx", NULL},
};
static const char *const trades[][3] = {
    {"印刷厂", "yin shua chang", "ysc"},   {"制衣厂", "zhi yi chang", "zyc"},
    {"包装厂", "bao zhuang chang", "bzc"}, {"电子厂", "dian zi chang", "dzc"},
    {"五金厂", "wu jin chang", "wjc"},     {"食品厂", "shi pin chang", "spc"},
};

static void nospace(const char *in, char *out)
{
    for (; *in; in++)
        if (*in != ' ')
            *out++ = *in;
    *out = '\0';
}

static void test_q_pinyin(void)
{
    size_t total = 0, queries = 0;
    for (size_t b = 0; b < sizeof brands / sizeof brands[0]; b++) {
        for (size_t t = 0; t < sizeof trades / sizeof trades[0]; t++) {
            char hanzi[64], alt[64], full[128], joined[128], initials[32], upper[128];
            snprintf(hanzi, sizeof hanzi, "%s福利%s", brands[b][0], trades[t][0]);
            snprintf(alt, sizeof alt, "%s福利%s", brands[b][3] ? brands[b][3] : "-", trades[t][0]);
            snprintf(full, sizeof full, "%s fu li %s", brands[b][1], trades[t][1]);
            nospace(full, joined);
            snprintf(initials, sizeof initials, "%sfl%s", brands[b][2], trades[t][2]);
            for (size_t i = 0; i <= strlen(joined); i++)
                upper[i] = (char)(i % 2 ? joined[i] - (joined[i] >= 'a' ? 32 : 0) : joined[i]);
            total += (size_t)name_query(full, hanzi, NULL);
            name_query(joined, hanzi, NULL);
            name_query2(initials, hanzi, brands[b][3] ? alt : NULL, NULL);
            name_query(upper, hanzi, NULL); /* case does not matter */
            queries += 4;
        }
        /* the brand after 武汉, in pinyin: wuhan kangle */
        char q[64], hanzi[64];
        snprintf(q, sizeof q, "wuhan %s", brands[b][1]);
        snprintf(hanzi, sizeof hanzi, "武汉%s福利", brands[b][0]);
        name_query(q, hanzi, NULL);
        queries++;
    }
    /* Every enterprise is found by the initials of its brand and trade: the sets above cover
     * the whole table. */
    T_CHECKF(total == nent, "%zu found by brand and trade, %zu enterprises", total, nent);
    printf("  %zu queries\n", queries);
}

/* With a position: the nearest first, by PROJ's distance, ties by id; radius, q and district
 * filter first. */
static void test_position(void)
{
    static int64_t ids[LIMIT_ALL];
    size_t total = 0;
    for (int t = 0; t < 60 && nent; t++) {
        const struct ent *near = &ents[ac_below(&fx.rng, (uint32_t)nent)];
        double lon = t % 5 ? near->lon + 0.02 * (ac_urand(&fx.rng) - 0.5) : pf_box_lon(&fx);
        double lat = t % 5 ? near->lat + 0.02 * (ac_urand(&fx.rng) - 0.5) : pf_box_lat(&fx);
        if (t % 11 == 0)
            lon = near->lon, lat = near->lat; /* at one */
        char lons[40], lats[40];
        lon = ac_coord_text(&fx.rng, lon, lons, sizeof lons);
        lat = ac_coord_text(&fx.rng, lat, lats, sizeof lats);
        bool has_radius = t % 2, has_q = t % 3 == 0, has_d = t % 4 == 1;
        double radius = 50 + ac_below(&fx.rng, 8000);
        const char *q = has_q ? trades[ac_below(&fx.rng, 6)][0] : NULL;
        size_t limit = 1 + ac_below(&fx.rng, t % 7 ? 30 : LIMIT_ALL);
        char url[600], enc[64] = "";
        if (q)
            ac_percent_encode(q, enc, sizeof enc);
        snprintf(url, sizeof url, "/v1/enterprises?lon=%s&lat=%s&limit=%zu", lons, lats, limit);
        if (has_radius)
            snprintf(url + strlen(url), 40, "&radius=%.0f", radius);
        if (q)
            snprintf(url + strlen(url), 80, "&q=%s", enc);
        if (has_d)
            snprintf(url + strlen(url), 40, "&district=%.6s", near->district);
        /* brute force */
        struct cand {
            double d;
            int64_t id;
        } *c = malloc(nent * sizeof *c);
        size_t m = 0;
        for (size_t i = 0; i < nent; i++) {
            const struct ent *e = &ents[i];
            if ((q && !strstr(e->name, q)) ||
                (has_d && (!e->district || memcmp(e->district, near->district, 6) != 0)))
                continue;
            double d = oracle_distance(&fx.orc, lon, lat, e->lon, e->lat, NULL);
            if (has_radius && d > radius)
                continue;
            size_t k = m++;
            for (; k > 0 && (c[k - 1].d > d || (c[k - 1].d == d && c[k - 1].id > e->id)); k--)
                c[k] = c[k - 1];
            c[k] = (struct cand){d, e->id};
        }
        size_t want = m < limit ? m : limit;
        long n = results(url, true, lon, lat, CRS_WGS84, ids, LIMIT_ALL);
        T_CHECKF(n == (long)want, "%s: %ld results, want %zu", url, n, want);
        for (size_t i = 0; n > 0 && i < (size_t)n && i < want; i++) {
            bool tie = (i + 1 < m && c[i + 1].d - c[i].d < 1e-3 && ids[i] == c[i + 1].id) ||
                       (i > 0 && c[i].d - c[i - 1].d < 1e-3 && ids[i] == c[i - 1].id);
            T_CHECKF(ids[i] == c[i].id || tie, "%s: result %zu is %lld, want %lld", url, i,
                     (long long)ids[i], (long long)c[i].id);
        }
        total += n > 0 ? (size_t)n : 0;
        free(c);
    }
    printf("  %zu hits\n", total);
}

/* A position in GCJ-02, answers in GCJ-02 or BD-09. */
static void test_crs(void)
{
    static int64_t ids[LIMIT_ALL];
    for (int t = 0; t < 10 && nent; t++) {
        const struct ent *e = &ents[ac_below(&fx.rng, (uint32_t)nent)];
        double glon, glat, wlon, wlat;
        crs_convert(CRS_WGS84, CRS_GCJ02, e->lon + 0.003, e->lat - 0.002, &glon, &glat);
        char url[300];
        snprintf(url, sizeof url, "/v1/enterprises?lon=%.9f&lat=%.9f&crs=gcj02&limit=5%s", glon,
                 glat, t % 2 ? "&out_crs=bd09" : "");
        crs_convert(CRS_GCJ02, CRS_WGS84, strtod(strchr(url, '=') + 1, NULL),
                    strtod(strstr(url, "lat=") + 4, NULL), &wlon, &wlat);
        long n = results(url, true, wlon, wlat, t % 2 ? CRS_BD09 : CRS_GCJ02, ids, LIMIT_ALL);
        T_CHECKF(n == 5, "%s: %ld", url, n);
        /* no position: out_crs (or crs) alone */
        snprintf(url, sizeof url, "/v1/enterprises?district=%.6s&limit=3&out_crs=gcj02",
                 e->district);
        T_CHECK(results(url, false, 0, 0, CRS_GCJ02, ids, LIMIT_ALL) == 3);
    }
}

static void test_formats(void)
{
    const char *const urls[] = {
        "/v1/enterprises?q=kangle&limit=50",
        "/v1/enterprises?lon=114.30&lat=30.59&radius=5000&limit=100",
        "/v1/enterprises?district=420106&limit=1000",
        "/v1/enterprises?q=%E5%8D%B0%E5%88%B7&lon=114.2&lat=30.6&limit=7",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct ac_answer js, geo;
        json_t *j = get_json(urls[i], 200, &js);
        char why[PF_WHY], gurl[300];
        bool equal = false;
        T_CHECKF(j && pf_msgpack(&fx, urls[i], &js, &equal, why) && equal, "%s: %s", urls[i], why);
        snprintf(gurl, sizeof gurl, "%s&format=geojson", urls[i]);
        json_t *g = get_json(gurl, 200, &geo);
        T_CHECKF(g && strcmp(ac_content_type(&geo), "application/geo+json") == 0, "%s: %s", gurl,
                 ac_content_type(&geo));
        T_CHECKF(g && j && ac_geojson_matches(j, g, true, why), "%s: %s", gurl, why);
        json_decref(j);
        json_decref(g);
        ac_answer_free(&js);
        ac_answer_free(&geo);
    }
}

static void expect_error(const char *target, const char *code, const char *param)
{
    char why[PF_WHY];
    T_CHECKF(pf_is_error(&fx, target, code, param, why), "%s: %s", target, why);
}

static void test_refusals(void)
{
    char longq[800] = "/v1/enterprises?q=";
    for (int i = 0; i < 70; i++)
        strcat(longq, "%E6%B1%89");
    expect_error("/v1/enterprises?radius=500", "missing_parameter", "radius");
    expect_error("/v1/enterprises?lon=114.3", "missing_parameter", "lat");
    expect_error("/v1/enterprises?lat=30.5&radius=100", "missing_parameter", "lon");
    expect_error("/v1/enterprises?district=4201", "invalid_parameter", "district");
    expect_error("/v1/enterprises?district=42010a", "invalid_parameter", "district");
    expect_error("/v1/enterprises?district=420102000000", "invalid_parameter", "district");
    expect_error("/v1/enterprises?district=", "invalid_parameter", "district");
    expect_error("/v1/enterprises?limit=0", "out_of_range", "limit");
    expect_error("/v1/enterprises?limit=1001", "out_of_range", "limit");
    expect_error("/v1/enterprises?limit=ten", "invalid_parameter", "limit");
    expect_error("/v1/enterprises?q=", "invalid_parameter", "q");
    expect_error("/v1/enterprises?q=%20%20", "invalid_parameter", "q");
    expect_error(longq, "out_of_range", "q");
    expect_error("/v1/enterprises?lon=114.3&lat=95", "out_of_range", "lat");
    expect_error("/v1/enterprises?lon=114.3&lat=30.5&radius=0", "out_of_range", "radius");
    expect_error("/v1/enterprises?lon=114.3&lat=30.5&radius=-5", "out_of_range", "radius");
    expect_error("/v1/enterprises?lon=114.3&lat=30.5&radius=far", "invalid_parameter", "radius");
    expect_error("/v1/enterprises?crs=mars", "unknown_crs", "crs");
    expect_error("/v1/enterprises?k=5", "unknown_parameter", "k");
    /* and still serving */
    T_CHECK(ac_healthz_ok(fx.hc));
}

/* A write into the store of a running geod (a copy of the fixture's store, so the kept store
 * stays as built) is served within a second, and so is its deletion. */
static void test_live_write(void)
{
    struct geodproc g = {0};
    char err[PF_WHY];
    T_CHECKF(geodproc_start(&g, fx.geod.db, PF_START_MS, err, sizeof err), "%s", err);
    if (!g.pid)
        return;
    struct http_client *c = http_client_new(g.port, true, PF_REQUEST_MS);
    const char *url = "/v1/enterprises?q=%E6%B5%8B%E8%AF%95%E7%94%B5%E5%AD%90"; /* 测试电子 */
    for (int step = 0; step < 2; step++) {
        struct store *s = NULL;
        T_CHECKF(store_open(g.db, false, &s, err, sizeof err) == GEOD_OK, "%s", err);
        if (!s)
            break;
        struct store_enterprise e = {.credit_code = "91420106MA4K7E8T1", /* + check */
                                     .name = "武汉测试电子福利有限公司",
                                     .lon = 114.31,
                                     .lat = 30.55,
                                     .district_code = "420106000000",
                                     .disabled_employees = 12,
                                     .source = "test",
                                     .source_key = "t1"};
        char code[19];
        memcpy(code, e.credit_code, 17);
        code[17] = credit_code_check(code);
        code[18] = '\0';
        e.credit_code = code;
        enum store_change what;
        size_t deleted = 0;
        T_CHECK(store_begin(s) == GEOD_OK && store_import_begin(s) == GEOD_OK);
        if (step == 0)
            T_CHECK(store_upsert_enterprise(s, &e, "test", &what) == GEOD_OK &&
                    what == STORE_INSERTED);
        else
            T_CHECK(store_delete_missing_enterprises(s, "test", "test", &deleted) == GEOD_OK &&
                    deleted == 1);
        T_CHECK(store_commit(s) == GEOD_OK);
        store_close(s);
        double t0 = geodproc_now(), seen = -1;
        while (geodproc_now() - t0 < 5 && seen < 0) {
            struct ac_answer a;
            char why[AC_WHY];
            if (ac_get(c, url, NULL, &a, why) && a.status == 200 &&
                json_integer_value(json_object_get(a.json, "count")) == (step == 0 ? 1 : 0))
                seen = geodproc_now() - t0;
            ac_answer_free(&a);
            if (seen < 0)
                usleep(20000);
        }
        T_CHECKF(seen >= 0 && seen < 1.0, "%s seen after %.3f s",
                 step == 0 ? "the insert" : "the deletion", seen);
        printf("  %s served after %.3f s\n", step == 0 ? "insert" : "deletion", seen);
    }
    http_client_free(c);
    int ws;
    T_CHECK(geodproc_stop(&g, 10000, &ws, NULL) && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    char *log = geodproc_stderr(&g), why[256];
    T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "%s", why);
    free(log);
    geodproc_cleanup(&g);
}

static void test_stop(void)
{
    struct pf_stop st;
    pf_stop(&fx, &st);
    T_CHECKF(st.exited, "%s", st.exit_why);
    T_CHECKF(st.clean, "%s", st.log_why);
}

int main(void)
{
    pf_init(&fx);
    T_RUN(test_start);
    if (fx.up) {
        T_RUN(test_builtin_rows);
        T_RUN(test_listing_and_districts);
        T_RUN(test_q_chinese);
        T_RUN(test_q_pinyin);
        T_RUN(test_position);
        T_RUN(test_crs);
        T_RUN(test_formats);
        T_RUN(test_refusals);
        T_RUN(test_live_write);
    }
    T_RUN(test_stop);
    pf_finish(&fx, t_failed > 0);
    free_ents();
    return T_END();
}

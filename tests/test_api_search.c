/* test_api_search.c - /v1/places/search of a real geod (the sanitized build, $GEOD_BIN): the
 * full answer of queries of Chinese characters against a restatement of index/names.h's rules
 * (tests/lib/placecheck.h) that shares no code with geod, named cases and random division names
 * found by their pinyin and initials, level, parent and limit filters, refusals. The fixture is
 * tests/lib/placefix.h's. Each test prints a one-line summary. GEOD_TEST_SEED=N replays another
 * random sequence. */
#include "index/crs.h"
#include "tests/lib/apicheck.h"
#include "tests/lib/placecheck.h"
#include "tests/lib/placefix.h"
#include "tests/t.h"

#include <stdlib.h>
#include <string.h>

#define JIANGAN "420102000000" /* 江岸区 */

static struct pf_fixture fx; /* geod, its oracles, the client, the random source */

/* GET on fx.hc; a failed exchange, a 5xx or an unparsable body fails the test. */
static bool get(const char *target, struct ac_answer *a)
{
    char why[AC_WHY];
    bool ok = ac_get(fx.hc, target, NULL, a, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

/* The answer to target must be the error {code, param} with status 400. */
static void expect_error(const char *target, const char *code, const char *param)
{
    char why[PF_WHY];
    T_CHECKF(pf_is_error(&fx, target, code, param, why), "%s", why);
}

/* url (with a query string) asked with format=msgpack must answer js's value, in fewer bytes;
 * returns whether the values are equal. */
static bool msgpack_matches(const char *url, const struct ac_answer *js)
{
    char why[PF_WHY];
    bool equal;
    T_CHECKF(pf_msgpack(&fx, url, js, &equal, why), "%s", why);
    return equal;
}

/* ---- start ---- */

static void test_start(void)
{
    char why[PF_WHY];
    T_CHECKF(pf_start(&fx, true, why), "%s", why);
}

/* ---- /v1/places/search ---- */

/* GETs /v1/places/search?params and checks what every answer must be (pc_check_search); the
 * answer (every 10th also as msgpack), or NULL (reported). */
static json_t *search(const char *params, unsigned mask, int32_t parent, size_t limit,
                      enum crs_id out)
{
    static unsigned calls;
    char url[1024], why[PC_WHY] = "";
    snprintf(url, sizeof url, "/v1/places/search?%s", params);
    struct ac_answer a;
    bool ok = get(url, &a);
    if (ok && a.status != 200)
        ok = (snprintf(why, sizeof why, "status %d: %.200s", a.status, a.r.body), false);
    else if (ok)
        ok = pc_check_search(a.json, &fx.pc, mask, parent, limit, out, why);
    T_CHECKF(ok || !why[0], "%s: %s", url, why);
    if (ok && calls++ % 10 == 0)
        msgpack_matches(url, &a);
    json_t *js = ok ? json_incref(a.json) : NULL;
    ac_answer_free(&a);
    return js;
}

/* The query q (UTF-8, Chinese characters) against the restated rules: the same divisions in the
 * same order with the same classes, all found as hanzi. */
static bool search_hanzi(const char *q, unsigned mask, int32_t parent, size_t limit, bool say_limit,
                         struct pc_hit *hits, size_t *results)
{
    char enc[512], params[1024], lv[64] = "";
    ac_percent_encode(q, enc, sizeof enc);
    for (int l = 0, m = 0; mask != 0xF && l < PC_LEVELS; l++)
        if (mask >> l & 1)
            m += snprintf(lv + m, sizeof lv - (size_t)m, "%s%s", m ? "," : "", pc_level_names[l]);
    int m = snprintf(params, sizeof params, "q=%s%s%s%s%s", enc, lv[0] ? "&level=" : "", lv,
                     parent >= 0 ? "&parent=" : "", parent >= 0 ? fx.pc.d[parent].code : "");
    if (say_limit)
        snprintf(params + m, sizeof params - (size_t)m, "&limit=%zu", limit);
    json_t *js = search(params, mask, parent, limit, CRS_WGS84);
    if (!js)
        return false;
    size_t n = pc_search_hanzi(&fx.pc, q, mask, parent, limit, hits);
    const json_t *res = json_object_get(js, "results");
    bool ok = json_array_size(res) == n;
    T_CHECKF(ok, "search %s: %zu results, expected %zu", params, json_array_size(res), n);
    for (size_t i = 0; ok && i < n; i++) {
        const json_t *r = json_array_get(res, i);
        ok = !strcmp(ac_str(json_object_get(r, "code")), fx.pc.d[hits[i].idx].code) &&
             !strcmp(ac_str(json_object_get(r, "match")), pc_class_names[hits[i].cls]) &&
             !strcmp(ac_str(json_object_get(r, "how")), "hanzi");
        T_CHECKF(ok, "search %s: result %zu is %s %s %s, expected %s %s %s", params, i,
                 ac_str(json_object_get(r, "code")), ac_str(json_object_get(r, "name")),
                 ac_str(json_object_get(r, "match")), fx.pc.d[hits[i].idx].code,
                 fx.pc.d[hits[i].idx].name, pc_class_names[hits[i].cls]);
    }
    *results += n;
    json_decref(js);
    return ok;
}

/* Random runs of Chinese characters out of division names, with random level and parent filters
 * and limits, against the restated rules. */
static size_t search_random_hanzi(struct pc_hit *hits, size_t *results, size_t *mismatches)
{
    size_t queries = 0;
    while (queries < 300) {
        const struct pc_div *d = &fx.pc.d[ac_below(&fx.rng, (uint32_t)fx.pc.n)];
        size_t at = ac_below(&fx.rng, (uint32_t)d->ncp), len = 0, want = 1 + ac_below(&fx.rng, 4);
        while (len < want && at + len < d->ncp && pc_is_han(d->cp[at + len]))
            len++;
        if (!len)
            continue;
        char q[64];
        pc_utf8_encode(d->cp + at, len, q);
        unsigned mask = ac_below(&fx.rng, 10) < 3 ? 1 + ac_below(&fx.rng, 15) : 0xF;
        int32_t parent = -1;
        if (ac_below(&fx.rng, 4) == 0) /* one of its ancestors, or 江岸区 */
            for (parent = (int32_t)(d - fx.pc.d); parent >= 0 && ac_below(&fx.rng, 2);)
                parent = fx.pc.d[parent].parent;
        if (parent == (int32_t)(d - fx.pc.d))
            parent = pc_find(&fx.pc, JIANGAN);
        bool say_limit = ac_below(&fx.rng, 2);
        size_t limit = say_limit ? 1 + ac_below(&fx.rng, 100) : 20;
        *mismatches += !search_hanzi(q, mask, parent, limit, say_limit, hits, results);
        queries++;
    }
    return queries;
}

/* The pinyin of the Chinese name of d as the API spells it (found by its name), into out. */
static bool pinyin_of(const struct pc_div *d, const char *filter, char *out, size_t len)
{
    char enc[256], params[512];
    int32_t district = (int32_t)(d - fx.pc.d), pos;
    while (district >= 0 && fx.pc.d[district].level > 1)
        district = fx.pc.d[district].parent;
    ac_percent_encode(d->name, enc, sizeof enc);
    snprintf(params, sizeof params, "q=%s%s", enc, filter);
    json_t *js = search(params, 1u << d->level, d->level > 1 ? district : -1, 100, CRS_WGS84);
    const json_t *r = js ? pc_find_result(js, d->name, &pos) : NULL;
    T_CHECKF(!js || (r && !strcmp(ac_str(json_object_get(r, "match")), "exact")),
             "%s: not found as EXACT by its name", params);
    snprintf(out, len, "%s", r ? ac_str(json_object_get(r, "pinyin")) : "");
    json_decref(js);
    return out[0] != '\0';
}

/* Divisions of Chinese names found by their own pinyin (as the API spells it: without spaces, with
 * them, upper case) and its initials, level and district filters narrowing the field. */
static size_t search_pinyin_property(size_t *mismatches, size_t *crowded)
{
    size_t queries = 0;
    for (int tries = 0; tries < 2000 && queries < 360; tries++) {
        const struct pc_div *d = &fx.pc.d[ac_below(&fx.rng, (uint32_t)fx.pc.n)];
        bool han = d->ncp >= 2 && d->ncp <= 12;
        for (size_t i = 0; han && i < d->ncp; i++)
            han = pc_is_han(d->cp[i]);
        int32_t district = (int32_t)(d - fx.pc.d);
        while (district >= 0 && fx.pc.d[district].level > 1)
            district = fx.pc.d[district].parent;
        char enc[256], params[512], filt[128], py[256], flat[256], ini[64], up[256];
        bool below = d->level > 1 && district >= 0;
        snprintf(filt, sizeof filt, "&level=%s&limit=100%s%s", pc_level_names[d->level],
                 below ? "&parent=" : "", below ? fx.pc.d[district].code : "");
        if (!han || !pinyin_of(d, filt, py, sizeof py))
            continue;
        size_t nf = 0, ni = 0, i = 0;
        for (; py[i]; i++) {
            flat[nf] = py[i];
            nf += py[i] != ' ';
            if (py[i] != ' ' && (i == 0 || py[i - 1] == ' ') && ni < sizeof ini - 1)
                ini[ni++] = py[i];
            up[i] = py[i] >= 'a' && py[i] <= 'z' ? (char)(py[i] - 32) : py[i];
        }
        flat[nf] = ini[ni] = up[i] = '\0';
        const char *const variants[] = {flat, py, up, ini};
        for (int v = 0; v < 4; v++, queries++) {
            int pos;
            ac_percent_encode(variants[v], enc, sizeof enc);
            snprintf(params, sizeof params, "q=%s%s", enc, filt);
            json_t *js = search(params, 1u << d->level, below ? district : -1, 100, CRS_WGS84);
            bool ok = js && pc_exact_or_crowded(js, d->code, 100);
            const json_t *r = js ? pc_find_result(js, d->name, &pos) : NULL;
            *crowded += ok && !r;
            T_CHECKF(!js || ok, "%s (%s): %s is not among the EXACT results", params, variants[v],
                     d->name);
            T_CHECKF(!r || v == 3 || !strcmp(ac_str(json_object_get(r, "how")), "pinyin"),
                     "%s: how %s", params, ac_str(json_object_get(r, "how")));
            *mismatches += js && !ok;
            json_decref(js);
        }
    }
    return queries;
}

struct named_case {
    const char *q;     /* UTF-8, percent-encoded here */
    const char *name;  /* the division expected among the EXACT results */
    const char *how;   /* found so */
    bool first;        /* and first of all */
    const char *extra; /* more parameters */
};

static const struct named_case named_cases[] = {
    {"江汉", "江汉区", "hanzi", true, ""},
    {"江汉区", "江汉区", "hanzi", true, ""},
    {"  江汉  ", "江汉区", "hanzi", true, ""},
    {"jiang han", "江汉区", "pinyin", true, ""},
    {"JiangHan", "江汉区", "pinyin", true, ""},
    {"jianghanqu", "江汉区", "pinyin", true, ""},
    {"jiāng hàn", "江汉区", "pinyin", true, ""},
    {"jiang1han4", "江汉区", "pinyin", true, ""},
    {"jiang'han", "江汉区", "pinyin", true, ""},
    {"ＪＩＡＮＧＨＡＮ", "江汉区", "pinyin", true, ""},
    {"jhq", "江汉区", "initials", false, ""},
    {"JHQ", "江汉区", "initials", false, ""},
    {"jh", "江汉区", "initials", false, "&level=district"},
    {"江han", "江汉区", "mixed", true, ""},
    {"jiang汉", "江汉区", "mixed", true, ""},
    {"黄陂", "黄陂区", "hanzi", true, ""},
    {"huangpi", "黄陂区", "pinyin", true, ""},
    {"huang pi", "黄陂区", "pinyin", true, ""},
    {"huángpí", "黄陂区", "pinyin", true, ""},
    {"hp", "黄陂区", "initials", false, "&level=district"},
    {"沌口", "沌口街道", "hanzi", true, ""},
    {"zhuankou", "沌口街道", "pinyin", true, ""},
    {"zhuan kou", "沌口街道", "pinyin", true, ""},
    {"奓山", "奓山街道", "hanzi", true, "&level=street"},
    {"zhashan", "奓山街道", "pinyin", true, ""},
    {"zha shan", "奓山街道", "pinyin", true, "&level=street"},
    {"wuchang", "武昌区", "pinyin", true, "&level=district"},
};

/* The override names spell as data/wuhan/pinyin_overrides.csv says. */
static const char *const override_pinyin[][2] = {
    {"黄陂区", "huang pi qu"}, {"沌口街道", "zhuan kou jie dao"}, {"奓山街道", "zha shan jie dao"}};

static size_t search_named(void)
{
    size_t n = sizeof named_cases / sizeof named_cases[0];
    for (size_t i = 0; i < n; i++) {
        const struct named_case *c = &named_cases[i];
        char enc[256], params[512];
        int pos;
        ac_percent_encode(c->q, enc, sizeof enc);
        snprintf(params, sizeof params, "q=%s%s", enc, c->extra);
        unsigned mask = strstr(c->extra, "district") ? 2 : strstr(c->extra, "street") ? 4 : 0xF;
        json_t *js = search(params, mask, -1, 20, CRS_WGS84);
        const json_t *r = js ? pc_find_result(js, c->name, &pos) : NULL;
        const char *cls = ac_str(json_object_get(r, "match"));
        const char *how = ac_str(json_object_get(r, "how"));
        bool ok = r && !strcmp(cls, "exact") && !strcmp(how, c->how) && (pos == 0 || !c->first);
        T_CHECKF(!js || ok, "search %s: %s at %d as %s/%s, expected EXACT/%s%s", c->q, c->name, pos,
                 cls, how, c->how, c->first ? " and first" : "");
        for (size_t k = 0; r && k < 3; k++)
            T_CHECKF(strcmp(c->name, override_pinyin[k][0]) ||
                         !strcmp(ac_str(json_object_get(r, "pinyin")), override_pinyin[k][1]),
                     "%s: pinyin %s, expected %s", c->name, ac_str(json_object_get(r, "pinyin")),
                     override_pinyin[k][1]);
        json_decref(js);
    }
    return n;
}

/* Filters and limits (level, parent 江岸区, limit 1 and 100) and centres in other systems. */
static size_t search_filters(struct pc_hit *hits, size_t *results, size_t *mismatches)
{
    static const char *const qs[] = {"江", "社区", "汉", "中"};
    int32_t jiangan = pc_find(&fx.pc, JIANGAN);
    T_CHECKF(jiangan >= 0, "no division %s", JIANGAN);
    size_t n = 0;
    for (size_t i = 0; jiangan >= 0 && i < sizeof qs / sizeof qs[0]; i++, n += 5) {
        *mismatches += !search_hanzi(qs[i], 1u << 1, -1, 100, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 1u << 2 | 1u << 3, -1, 100, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 0xF, jiangan, 100, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 0xF, -1, 1, true, hits, results);
        *mismatches += !search_hanzi(qs[i], 0xF, -1, 20, false, hits, results);
    }
    json_t *js = search("q=she&limit=100", 0xF, -1, 100, CRS_WGS84);
    T_CHECKF(!js || json_array_size(json_object_get(js, "results")) == 100,
             "q=she&limit=100: fewer than 100 results");
    json_decref(js);
    json_decref(search("q=%E6%B1%9F%E6%B1%89&out_crs=bd09", 0xF, -1, 20, CRS_BD09));
    json_decref(search("q=wuhan&crs=gcj02&parent=" JIANGAN, 0xF, jiangan, 20, CRS_GCJ02));
    return n + 3;
}

static size_t search_errors(void)
{
    static const char *const cases[][3] = {
        {"", "missing_parameter", "q"},
        {"?level=district", "missing_parameter", "q"},
        {"?q=", "invalid_parameter", "q"},
        {"?q", "invalid_parameter", "q"},
        {"?q=%20%20", "invalid_parameter", "q"},
        {"?q=%CB%89", "invalid_parameter", "q"}, /* a lone tone mark */
        {"?q=%E6%B1%9F%01", "invalid_parameter", "q"},
        {"?q=%ff", "invalid_utf8", "q"},
        {"?q=%c0%80", "invalid_utf8", "q"},
        {"?q=%E6%B1", "invalid_utf8", "q"},
        {"?q=%00", "nul_byte", "q"},
        {"?q=jh&level=bogus", "invalid_parameter", "level"},
        {"?q=jh&level=", "invalid_parameter", "level"},
        {"?q=jh&level=district,town", "invalid_parameter", "level"},
        {"?q=jh&parent=123", "invalid_parameter", "parent"},
        {"?q=jh&parent=420102000001", "invalid_parameter", "parent"},
        {"?q=jh&limit=0", "out_of_range", "limit"},
        {"?q=jh&limit=101", "out_of_range", "limit"},
        {"?q=jh&limit=ten", "invalid_parameter", "limit"},
        {"?q=jh&nope=1", "unknown_parameter", "nope"},
        {"?q=jh&out_crs=mars", "unknown_crs", "out_crs"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    char q65[65 * 9 + 1] = "", url[700];
    for (size_t i = 0; i < n; i++) {
        snprintf(url, sizeof url, "/v1/places/search%s", cases[i][0]);
        expect_error(url, cases[i][1], cases[i][2]);
    }
    for (int i = 0; i < 64; i++) /* 江 */
        strcat(q65, "%E6%B1%9F");
    snprintf(url, sizeof url, "q=%%20%s%%20", q65); /* 64 characters are still a query */
    json_decref(search(url, 0xF, -1, 20, CRS_WGS84));
    snprintf(url, sizeof url, "/v1/places/search?q=%s%%E6%%B1%%9F", q65);
    expect_error(url, "out_of_range", "q");
    return n + 2;
}

static void test_search(void)
{
    struct pc_hit *hits = malloc(fx.pc.n * sizeof *hits);
    if (!hits)
        return;
    double t0 = geodproc_now();
    size_t results = 0, mismatches = 0, crowded = 0, mp0 = fx.mp_checked;
    size_t named = search_named();
    size_t filters = search_filters(hits, &results, &mismatches);
    size_t random = search_random_hanzi(hits, &results, &mismatches);
    size_t pinyin = search_pinyin_property(&mismatches, &crowded);
    size_t errors = search_errors();
    printf("  search: %zu named cases, %zu filter/limit queries, %zu random Chinese queries "
           "against the restated rules (%zu results), %zu pinyin/initials queries of random names "
           "(%zu crowded out by other EXACT names), %zu refusals, %zu also as msgpack; %zu "
           "mismatches, %.1f s\n",
           named, filters, random, results, pinyin, crowded, errors, fx.mp_checked - mp0,
           mismatches, geodproc_now() - t0);
    free(hits);
}

/* ---- the end ---- */

static void test_main_stops(void)
{
    struct pf_stop s;
    pf_stop(&fx, &s);
    T_CHECKF(s.exited, "%s", s.exit_why);
    T_CHECKF(s.clean, "geod: stderr %s", s.log_why);
}

int main(void)
{
    pf_init(&fx);
    T_RUN(test_start);
    if (fx.up) {
        T_RUN(test_search);
    }
    if (fx.geod.pid)
        T_RUN(test_main_stops);
    pf_finish(&fx, t_failed > 0);
    return T_END();
}

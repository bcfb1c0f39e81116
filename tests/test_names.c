/* test_names.c - index/names*.c on the 3,702 Wuhan division names (group = level: city 0,
 * district 1, street 2, community 3): Chinese, pinyin and initials, the local readings of the
 * override table, mixed input, ranking, the suffix rule, group and accept filters, the refusals
 * of names_new and names_search, and a timing printout (never asserted) for these names and for
 * 100,000 synthetic company names. The brute-force oracle is tests/test_names_oracle.c. */
#include "tests/t.h"

#include "data/pinyin_data.h"
#include "index/names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct pinyin_table *tab;
static struct pinyin_overrides *ovr;
static struct names *ix;
static struct names_entry ents[4000];
static size_t nents;

/* ---- helpers ---- */

static bool load(void)
{
    struct pinyin_data_blob ub = pinyin_data_unihan(), ob = pinyin_data_overrides();
    if (pinyin_table_new(ub.data, ub.len, &tab) ||
        pinyin_overrides_new(tab, ob.data, ob.len, &ovr, NULL))
        return false;
    FILE *f = fopen("data/wuhan/wuhan_divisions.csv", "r");
    if (!f)
        return false;
    static const char *const levels[] = {"city", "district", "street", "community"};
    char line[1024];
    while (fgets(line, sizeof line, f) && nents < 4000) {
        char *col[6] = {line};
        for (int k = 1; k < 6 && col[k - 1]; k++)
            if ((col[k] = strchr(col[k - 1], ',')))
                *col[k]++ = '\0';
        if (!col[5] || strcmp(col[0], "code") == 0)
            continue;
        uint32_t g = 4;
        for (uint32_t k = 0; k < 4; k++)
            if (strcmp(col[2], levels[k]) == 0)
                g = k;
        ents[nents] = (struct names_entry){(uint32_t)nents, strdup(col[4]), g};
        nents++;
    }
    fclose(f);
    return nents == 3702 && names_new(ents, nents, tab, ovr, NULL, &ix) == GEOD_OK;
}

static void unload(void)
{
    names_free(ix);
    for (size_t i = 0; i < nents; i++)
        free((char *)ents[i].name);
    pinyin_overrides_free(ovr);
    pinyin_table_free(tab);
}

static struct names_hit hits[NAMES_MAX_LIMIT];
static size_t nhits;

/* q over the divisions, all groups, up to limit hits into hits[0..nhits) */
static enum geod_err search(const char *q, size_t limit)
{
    return names_search(ix, q, strlen(q), NAMES_ALL_GROUPS, NULL, NULL, limit, hits, &nhits);
}

static const char *name_of(uint32_t id)
{
    return id < nents ? ents[id].name : "?";
}

/* the position of the division named `name` among the hits, or -1 */
static long pos_of(const char *name)
{
    for (size_t i = 0; i < nhits; i++)
        if (strcmp(name_of(hits[i].id), name) == 0)
            return (long)i;
    return -1;
}

/* hits are in increasing score, the score is what names.h says, and no id comes twice */
static bool well_ordered(void)
{
    for (size_t i = 0; i < nhits; i++) {
        const struct names_hit *h = &hits[i];
        uint64_t s =
            (uint64_t)h->cls << 44 | (uint64_t)h->rank << 40 | (uint64_t)h->len << 32 | h->id;
        if (h->score != s || h->cls > NAMES_SUBSTRING || h->rank > 5 || h->id >= nents)
            return false;
        if (i && hits[i - 1].score >= h->score)
            return false;
    }
    return true;
}

/* q's first hit is `name`, of class cls and rank rank */
static void expect_first(const char *q, const char *name, unsigned cls, unsigned rank)
{
    enum geod_err rc = search(q, 20);
    T_CHECKF(rc == GEOD_OK && nhits > 0 && strcmp(name_of(hits[0].id), name) == 0 &&
                 hits[0].cls == cls && hits[0].rank == rank,
             "\"%s\": rc %d, %zu hits, first %s (cls %u rank %u), want %s (cls %u rank %u)", q, rc,
             nhits, nhits ? name_of(hits[0].id) : "-", nhits ? hits[0].cls : 9,
             nhits ? hits[0].rank : 9, name, cls, rank);
    T_CHECKF(well_ordered(), "\"%s\": hits out of order", q);
}

/* ---- cases ---- */

static void test_chinese(void)
{
    expect_first("江汉区", "江汉区", NAMES_EXACT, 0);
    T_CHECK(hits[0].how == NAMES_HANZI && hits[0].len == 3);
    expect_first("江汉", "江汉区", NAMES_EXACT, 0); /* 江汉 is the core of 江汉区 */
    T_CHECK(nhits > 1 && hits[1].cls == NAMES_PREFIX);
    expect_first("黄陂", "黄陂区", NAMES_EXACT, 0);
    expect_first(" 江汉区\t", "江汉区", NAMES_EXACT, 0);
    expect_first("沌口街道", "沌口街道", NAMES_EXACT, 0);
    expect_first("沌口", "沌口街道", NAMES_EXACT, 0);
    expect_first("长江村", "长江村村委会", NAMES_EXACT, 0); /* 长江村村委会 -> 长江村 -> 长江 */
    expect_first("长江", "长江村村委会", NAMES_EXACT, 0);
    /* 汉 as a substring: the names that start with it first, then 江汉区 and the rest */
    T_CHECK(search("汉", NAMES_MAX_LIMIT) == GEOD_OK && well_ordered());
    long yang = pos_of("汉阳区"), jiang = pos_of("江汉区");
    T_CHECKF(yang >= 0 && jiang > yang && hits[yang].cls == NAMES_PREFIX &&
                 hits[jiang].cls == NAMES_SUBSTRING,
             "汉: 汉阳区 at %ld, 江汉区 at %ld", yang, jiang);
    for (size_t i = 0; i < nhits; i++)
        T_CHECKF(strstr(name_of(hits[i].id), "汉") && hits[i].rank == 0, "汉: %s",
                 name_of(hits[i].id));
    T_CHECK(search("东湖风景区街道（武昌）", 5) == GEOD_OK && nhits == 1);
    T_CHECK(search("东湖风景区街道(武昌)", 5) == GEOD_OK && nhits == 1); /* full width folds */
    T_CHECK(search("701", 5) == GEOD_OK && nhits == 1 && hits[0].cls == NAMES_EXACT);
    T_CHECK(search("龘", 5) == GEOD_OK && nhits == 0);
}

static void test_pinyin(void)
{
    static const char *const jianghan[] = {
        "jianghan",    "jiang han",    "JiangHan",     "JIANGHAN",         "jiāng hàn",
        "jiang1 han4", "jiang1han4",   "jiang'han",    "ｊｉａｎｇｈａｎ", "jia\xcc\x84nghan",
        "jiangˉhanˋ",  " jiang  han ", "jiang han qu", "jianghanqu",
    };
    for (size_t i = 0; i < sizeof jianghan / sizeof jianghan[0]; i++) {
        expect_first(jianghan[i], "江汉区", NAMES_EXACT, 2);
        T_CHECK(hits[0].how == NAMES_PINYIN);
    }
    expect_first("jiangha", "江汉区", NAMES_EXACT, 2); /* the last syllable may be cut off */
    expect_first("jiangh", "江汉区", NAMES_EXACT, 2);
    T_CHECK(search("jia ng han", 20) == GEOD_OK && pos_of("江汉区") < 0); /* split syllable */
    T_CHECK(search("jhq", 10) == GEOD_OK && well_ordered());
    long at = pos_of("江汉区");
    T_CHECKF(at >= 0 && at < 3 && hits[at].how == NAMES_INITIALS && hits[at].cls == NAMES_EXACT,
             "jhq: 江汉区 at %ld", at);
    expect_first("jh", "江汉区", NAMES_EXACT, 5);
    expect_first("jiangh q", "江汉区", NAMES_EXACT, 4); /* h is an initial there */
    expect_first("jhanqu", "江汉区", NAMES_EXACT, 4); /* abbreviated: an initial, not at the end */
    expect_first("wuchang", "武昌区", NAMES_EXACT, 2);
    expect_first("hongshan", "洪山区", NAMES_EXACT, 2);
    expect_first("qingshanqu", "青山区", NAMES_EXACT, 2);
    expect_first("qsq", "青山区", NAMES_EXACT, 5);
}

static void test_overrides(void)
{
    expect_first("huangpi", "黄陂区", NAMES_EXACT, 2);
    expect_first("huang pi qu", "黄陂区", NAMES_EXACT, 2);
    expect_first("hp", "黄陂区", NAMES_EXACT, 5);
    expect_first("huangbei", "黄陂区", NAMES_EXACT, 3); /* the customary reading still finds it */
    expect_first("zhuankou", "沌口街道", NAMES_EXACT, 2);
    expect_first("zhuankoujiedao", "沌口街道", NAMES_EXACT, 2);
    expect_first("zk", "沌口街道", NAMES_EXACT, 5);
    expect_first("zhk", "沌口街道", NAMES_EXACT, 5);
    expect_first("zhuanyang", "沌阳街道", NAMES_EXACT, 2);
    expect_first("zhashan", "奓山街道", NAMES_EXACT, 2);
    expect_first("zha shan jie dao", "奓山街道", NAMES_EXACT, 2);
    expect_first("zs", "奓山街道", NAMES_EXACT, 5);
    /* dun is 沌's customary reading: 沌口 still comes up, as "another reading" (rank 3) */
    T_CHECK(search("dunkou", 20) == GEOD_OK && well_ordered());
    long at = pos_of("沌口街道");
    T_CHECKF(at >= 0 && hits[at].cls == NAMES_EXACT && hits[at].rank == 3, "dunkou: at %ld", at);
    T_CHECK(search("dunyang", 20) == GEOD_OK && pos_of("沌阳街道") == 0 && hits[0].rank == 3);
    expect_first("changfeng", "长丰街道", NAMES_EXACT, 2);
    expect_first("zhangfeng", "长丰街道", NAMES_EXACT, 3);
    expect_first("fozuling", "佛祖岭街道", NAMES_EXACT, 2);
    expect_first("fuzuling", "佛祖岭街道", NAMES_EXACT, 3);
    expect_first("gangdu", "钢都花园街道", NAMES_PREFIX, 2);
}

/* below the preferred-reading matches of the same class: an index with a 顿口 next to 沌口 */
static void test_other_reading_ranks_lower(void)
{
    static const struct names_entry e[] = {
        {1, "沌口街道", 2}, {2, "顿口村", 3}, {3, "沌口", 2}, {4, "墩口社区", 3}, {5, "沌河村", 3},
    };
    struct names *s;
    T_CHECK(names_new(e, 5, tab, ovr, NULL, &s) == GEOD_OK);
    if (!s)
        return;
    struct names_hit h[10];
    size_t n;
    T_CHECK(names_search(s, "dunkou", 6, NAMES_ALL_GROUPS, NULL, NULL, 10, h, &n) == GEOD_OK);
    /* 顿口村 and 墩口社区 by their customary readings, then the 沌口s by another one */
    T_CHECKF(n == 4 && h[0].id == 2 && h[1].id == 4 && h[2].id == 3 && h[3].id == 1,
             "%zu: %u %u %u %u", n, h[0].id, h[1].id, h[2].id, h[3].id);
    T_CHECK(n == 4 && h[0].rank == 2 && h[1].rank == 2 && h[2].rank == 3 && h[3].rank == 3);
    T_CHECK(names_search(s, "zhuankou", 8, NAMES_ALL_GROUPS, NULL, NULL, 10, h, &n) == GEOD_OK);
    T_CHECK(n == 2 && h[0].id == 3 && h[1].id == 1 && h[0].rank == 2);
    T_CHECK(names_search(s, "dunhe", 5, NAMES_ALL_GROUPS, NULL, NULL, 10, h, &n) == GEOD_OK);
    T_CHECK(n == 1 && h[0].id == 5 && h[0].rank == 2); /* 沌 outside 沌口 and 沌阳: dun */
    names_free(s);
}

static void test_mixed(void)
{
    expect_first("江han", "江汉区", NAMES_EXACT, 1);
    T_CHECK(hits[0].how == NAMES_MIXED);
    expect_first("jiang汉", "江汉区", NAMES_EXACT, 1);
    expect_first("江h区", "江汉区", NAMES_EXACT, 1);
    expect_first("j汉q", "江汉区", NAMES_EXACT, 1);
    expect_first("黄pi", "黄陂区", NAMES_EXACT, 1);
    expect_first("沌kou", "沌口街道", NAMES_EXACT, 1);
    expect_first("奓shan街道", "奓山街道", NAMES_EXACT, 1);
    T_CHECK(search("江hanx", 20) == GEOD_OK && pos_of("江汉区") < 0);
}

static void test_ranking(void)
{
    static const char *const qs[] = {"jiang", "j", "社区", "sq", "cun", "hu", "xin", "长", "z"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        T_CHECK(search(qs[i], NAMES_MAX_LIMIT) == GEOD_OK);
        T_CHECKF(well_ordered(), "\"%s\" out of order", qs[i]);
        /* a smaller limit gives the first hits of a larger one */
        struct names_hit all[50];
        size_t nall = nhits < 50 ? nhits : 50;
        memcpy(all, hits, nall * sizeof *all);
        for (size_t lim = 1; lim <= 50; lim += 7) {
            T_CHECK(search(qs[i], lim) == GEOD_OK);
            T_CHECKF(nhits == (lim < nall ? lim : nall) &&
                         memcmp(hits, all, nhits * sizeof *hits) == 0,
                     "\"%s\" limit %zu", qs[i], lim);
        }
    }
}

static void test_groups(void)
{
    struct names_hit h[NAMES_MAX_LIMIT];
    size_t n;
    T_CHECK(names_search(ix, "汉", 3, 1u << 1, NULL, NULL, 100, h, &n) == GEOD_OK);
    T_CHECKF(n == 3 && strcmp(name_of(h[0].id), "汉阳区") == 0 &&
                 strcmp(name_of(h[1].id), "汉南区") == 0 && strcmp(name_of(h[2].id), "江汉区") == 0,
             "districts with 汉: %zu", n);
    T_CHECK(names_search(ix, "jh", 2, 1u << 3, NULL, NULL, 1000, h, &n) == GEOD_OK && n > 0);
    for (size_t i = 0; i < n; i++)
        T_CHECK(ents[h[i].id].group == 3);
    T_CHECK(names_search(ix, "wuhan", 5, 1u << 0, NULL, NULL, 10, h, &n) == GEOD_OK && n == 1 &&
            strcmp(name_of(h[0].id), "武汉市") == 0 && h[0].cls == NAMES_EXACT);
    T_CHECK(names_search(ix, "汉", 3, 0, NULL, NULL, 10, h, &n) == GEOD_OK && n == 0);
    T_CHECK(names_search(ix, "汉", 3, 1u << 7, NULL, NULL, 10, h, &n) == GEOD_OK && n == 0);
}

static size_t accept_calls;

static bool accept_even(void *udata, uint32_t id)
{
    (void)udata;
    accept_calls++;
    return id % 2 == 0;
}

static void test_accept(void)
{
    struct names_hit all[NAMES_MAX_LIMIT], h[NAMES_MAX_LIMIT];
    size_t nall, n, k = 0;
    T_CHECK(names_search(ix, "s", 1, NAMES_ALL_GROUPS, NULL, NULL, 1000, all, &nall) == 0);
    T_CHECK(names_search(ix, "s", 1, NAMES_ALL_GROUPS, accept_even, NULL, 30, h, &n) == 0);
    /* the first 30 even ids among... the hits of a search without the filter, as far as they go */
    for (size_t i = 0; i < nall && k < n; i++)
        if (all[i].id % 2 == 0)
            T_CHECKF(all[i].id == h[k++].id, "accept: hit %zu", k - 1);
    T_CHECK(n == 30 && k == 30 && accept_calls >= 30);
}

static void test_query_errors(void)
{
    static const struct {
        const char *q;
        size_t len;
        enum geod_err rc;
    } cases[] = {
        {"", 0, GEOD_EINVAL},
        {"   ", 3, GEOD_EINVAL},
        {"\t\r\n \xe3\x80\x80", 7, GEOD_EINVAL}, /* ASCII and ideographic spaces only */
        {"\xcc\x84", 2, GEOD_EINVAL},            /* a lone combining macron */
        {"\xcb\x87", 2, GEOD_EINVAL},            /* ˇ */
        {" \xcc\x81 ", 4, GEOD_EINVAL},
        {"''", 2, GEOD_EINVAL},
        {"\xff", 1, GEOD_EINVAL},
        {"jiang\xff", 6, GEOD_EINVAL},
        {"\xc0\x80", 2, GEOD_EINVAL}, /* overlong NUL */
        {"\xe0\x80\xaf", 3, GEOD_EINVAL},
        {"\xed\xa0\x80", 3, GEOD_EINVAL}, /* a surrogate */
        {"\xe6\xb1", 2, GEOD_EINVAL},     /* cut off */
        {"\xf4\x90\x80\x80", 4, GEOD_EINVAL},
        {"a\0b", 3, GEOD_EINVAL},
        {"a\x01", 2, GEOD_EINVAL},
        {"a\x7f", 2, GEOD_EINVAL},
        {"a\xc2\x85", 3, GEOD_EINVAL}, /* C1 control */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nhits = 99;
        enum geod_err rc = names_search(ix, cases[i].q, cases[i].len, NAMES_ALL_GROUPS, NULL, NULL,
                                        10, hits, &nhits);
        T_CHECKF(rc == cases[i].rc && nhits == 0, "case %zu: %d", i, rc);
    }
    char q[400];
    q[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(q, "汉");
    T_CHECK(search(q, 10) == GEOD_OK && nhits == 0); /* 64 code points: fine */
    char spaced[420];
    snprintf(spaced, sizeof spaced, "  %s\t", q);
    T_CHECK(search(spaced, 10) == GEOD_OK); /* trimmed first */
    strcat(q, "汉");
    nhits = 99;
    T_CHECK(search(q, 10) == GEOD_ERANGE && nhits == 0); /* 65 */
    char letters[80];
    memset(letters, 'a', 65);
    letters[65] = '\0';
    T_CHECK(search(letters, 10) == GEOD_ERANGE);
    letters[64] = '\0';
    T_CHECK(search(letters, 10) == GEOD_OK);
    T_CHECK(search("jiang han", NAMES_MAX_LIMIT + 1) == GEOD_ERANGE && nhits == 0);
    T_CHECK(search("jiang han", 0) == GEOD_OK && nhits == 0);
    T_CHECK(search("", 0) == GEOD_EINVAL);
}

static void test_new_errors(void)
{
    char longname[1100] = "";
    for (int i = 0; i < NAMES_MAX_NAME; i++)
        strcat(longname, "汉");
    struct {
        struct names_entry e;
        enum geod_err rc;
    } cases[] = {
        {{1, "黄\xff", 0}, GEOD_EINVAL}, {{1, "\xc0\x80", 0}, GEOD_EINVAL},
        {{1, "a\tb", 0}, GEOD_EINVAL},   {{1, "a\xc2\x9f", 0}, GEOD_EINVAL},
        {{1, NULL, 0}, GEOD_EINVAL},     {{1, "汉", NAMES_MAX_GROUPS}, GEOD_EINVAL},
        {{1, longname, 0}, GEOD_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct names_entry e[2] = {{7, "江汉区", 1}, cases[i].e};
        struct names *s = (struct names *)&cases; /* must be reset */
        enum geod_err rc = names_new(e, 2, tab, ovr, NULL, &s);
        T_CHECKF(rc == cases[i].rc && (rc ? s == NULL : s != NULL), "case %zu: %d", i, rc);
        names_free(rc ? NULL : s);
    }
    strcat(longname, "汉");
    struct names_entry e = {1, longname, 0};
    struct names *s;
    T_CHECK(names_new(&e, 1, tab, ovr, NULL, &s) == GEOD_ERANGE && s == NULL);
    T_CHECK(names_new(&e, NAMES_MAX_COUNT, tab, ovr, NULL, &s) == GEOD_ERANGE && s == NULL);
    /* nothing at all, and an empty name, which never matches */
    T_CHECK(names_new(NULL, 0, tab, NULL, NULL, &s) == GEOD_OK && names_count(s) == 0);
    struct names_hit h[4];
    size_t n = 9;
    T_CHECK(names_search(s, "a", 1, NAMES_ALL_GROUPS, NULL, NULL, 4, h, &n) == GEOD_OK && n == 0);
    names_free(s);
    struct names_entry empty[] = {{1, "", 0}, {2, "  ", 0}, {3, "A", 0}};
    T_CHECK(names_new(empty, 3, tab, NULL, NULL, &s) == GEOD_OK && names_count(s) == 3);
    T_CHECK(names_search(s, "a", 1, NAMES_ALL_GROUPS, NULL, NULL, 4, h, &n) == GEOD_OK && n == 1 &&
            h[0].id == 3);
    names_free(s);
    names_free(NULL);
}

/* names with letters, digits, spaces and symbols, and a suffix list of one's own */
static void test_letters_and_suffixes(void)
{
    static const char *const sfx[] = {"有限公司", "公司", "福利厂", NULL};
    static const struct names_entry e[] = {
        {1, "武汉福利厂有限公司", 0}, {2, "武汉福利厂", 0}, {3, "ABC科技有限公司", 0},
        {4, "3M中国有限公司", 0},     {5, "新公司", 0},     {6, "e家园", 0},
        {7, "St. John's 医院", 0},    {8, "Ｋ１社区", 0},   {9, "绿洲公司", 0},
    };
    struct names *s;
    T_CHECK(names_new(e, sizeof e / sizeof e[0], tab, ovr, sfx, &s) == GEOD_OK);
    if (!s)
        return;
    static const struct {
        const char *q;
        uint32_t ids[3];
        unsigned cls, rank; /* of the first hit */
    } cases[] = {
        {"武汉福利厂", {2, 1}, NAMES_EXACT, 0},
        {"武汉", {2, 1}, NAMES_EXACT, 0}, /* both cores: 武汉福利厂有限公司 -> 武汉福利厂 -> 武汉 */
        {"wuhanfulichang", {2, 1}, NAMES_EXACT, 2},
        {"abc", {3}, NAMES_PREFIX, 5}, /* letters of the name count as initials */
        {"abckeji", {3}, NAMES_EXACT, 2},
        {"ABC科技", {3}, NAMES_EXACT, 1},
        {"3m", {4}, NAMES_PREFIX, 1},
        {"3M中国", {4}, NAMES_EXACT, 1},
        {"新", {5}, NAMES_PREFIX, 0}, /* a core keeps 2 characters: 新公司 has none */
        {"e", {6}, NAMES_PREFIX, 5},
        {"ejiayuan", {6}, NAMES_EXACT, 2},
        {"st.john", {7}, NAMES_PREFIX, 1},
        {"johns yiyuan", {7}, NAMES_SUBSTRING, 2},
        {"k 1", {8}, NAMES_PREFIX, 1},
        {"k1", {8, 3}, NAMES_PREFIX, 5}, /* the 1 is a tone number: k, also 科 */
        {"lvzhou", {9}, NAMES_EXACT, 2},
        {"luzhou", {9}, NAMES_EXACT, 2}, /* u for ü */
        {"lǜzhōu", {9}, NAMES_EXACT, 2},
        {"lüzhou", {9}, NAMES_EXACT, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct names_hit h[10];
        size_t n, want = 0;
        while (want < 3 && cases[i].ids[want])
            want++;
        enum geod_err rc = names_search(s, cases[i].q, strlen(cases[i].q), NAMES_ALL_GROUPS, NULL,
                                        NULL, 10, h, &n);
        bool ok =
            rc == GEOD_OK && n == want && h[0].cls == cases[i].cls && h[0].rank == cases[i].rank;
        for (size_t k = 0; ok && k < n; k++)
            ok = h[k].id == cases[i].ids[k];
        T_CHECKF(ok, "\"%s\": rc %d, %zu hits, first %u (cls %u rank %u)", cases[i].q, rc, n,
                 n ? h[0].id : 0, n ? h[0].cls : 9, n ? h[0].rank : 9);
    }
    T_CHECK(names_count(s) == 9 && names_bytes(s) > 9);
    names_free(s);
}

/* Pruning must not drop the best: 300 names that match first (in idx order) but rank worse, and
 * one that ranks better behind them; limit 1 must find it, as limit 1000 does. */
static void test_pruning(void)
{
    static const struct {
        const char *many, *one, *q;
        unsigned cls, rank; /* of `one` */
    } cases[] = {
        {"江汉恩湖", "江汉鹅湖", "jhe", NAMES_PREFIX, 4}, /* e is a whole reading of 鹅 */
        {"江汉桥恩湖", "江汉桥鹅湖", "jhqe", NAMES_PREFIX, 4},
        {"江汉路", "江汉社区居民委员会", "江汉", NAMES_EXACT, 0},
        {"责任公司", "责儿公司", "zrgs", NAMES_EXACT, 4},                 /* and r of 儿 */
        {"江汉路小区", "江汉社区居民委员会", "jianghan", NAMES_EXACT, 2}, /* 江汉 is its core */
        {"江汉路小区", "江汉路社区居民委员会", "jhl", NAMES_EXACT, 5},
        {"长江路桥", "长江村委会", "cj", NAMES_EXACT, 5},
        {"江陂江", "黄陂区江", "pi", NAMES_SUBSTRING, 2}, /* bei is 陂's customary reading */
        {"陂江街", "黄陂区", "hp", NAMES_EXACT, 5},
        {"中国", "中华人民共和国", "zhonghuarenmingongheguo", NAMES_EXACT, 2},
        {"社区社区", "社区社区社区医院", "sqsqsqyy", NAMES_EXACT, 5},
        {"汉汉", "江汉汉口", "汉汉口", NAMES_SUBSTRING, 0},
    };
    static struct names_entry e[302];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (uint32_t i = 0; i < 300; i++)
            e[i] = (struct names_entry){i, cases[c].many, 0};
        e[300] = (struct names_entry){1000, cases[c].one, 0};
        struct names *s;
        T_CHECK(names_new(e, 301, tab, ovr, NULL, &s) == GEOD_OK);
        if (!s)
            return;
        struct names_hit h[NAMES_MAX_LIMIT], one;
        size_t n, n1;
        const char *q = cases[c].q;
        T_CHECK(names_search(s, q, strlen(q), NAMES_ALL_GROUPS, NULL, NULL, 1000, h, &n) == 0);
        T_CHECK(names_search(s, q, strlen(q), NAMES_ALL_GROUPS, NULL, NULL, 1, &one, &n1) == 0);
        T_CHECKF(n >= 1 && h[0].id == 1000 && h[0].cls == cases[c].cls &&
                     h[0].rank == cases[c].rank,
                 "\"%s\": %zu hits, first %u (cls %u rank %u)", q, n, n ? h[0].id : 0,
                 n ? h[0].cls : 9, n ? h[0].rank : 9);
        T_CHECKF(n1 == 1 && one.id == h[0].id && one.score == h[0].score, "\"%s\" limit 1: %u", q,
                 n1 ? one.id : 0);
        names_free(s);
    }
}

/* ---- timing ---- */

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rs = 7;

static uint64_t rnd(uint64_t n)
{
    uint64_t z = (rs += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) % n;
}

#define NQ 3000
static char tq[NQ][256];

/* queries a user might type for name: a piece of it, its pinyin (perhaps cut off), initials */
static void make_query(const char *name, char *q, size_t cap)
{
    char py[512], *tok[128];
    size_t need, nt = 0, o = 0;
    pinyin_name(tab, ovr, name, strlen(name), py, sizeof py, &need);
    for (char *save = NULL, *t = strtok_r(py, " ", &save); t && nt < 128;
         t = strtok_r(NULL, " ", &save))
        tok[nt++] = t;
    size_t from = nt ? rnd(nt) : 0, k = nt ? 1 + rnd(nt - from) : 0;
    q[0] = '\0';
    switch (rnd(4)) {
    case 0: { /* Chinese: 1-4 characters (3-byte UTF-8 in these names, mostly) from anywhere */
        size_t len = strlen(name), at = rnd(len / 3 + 1) * 3, n = 3 * (1 + rnd(4));
        snprintf(q, cap, "%.*s", (int)(at + n <= len ? n : len - at), name + at);
        if (!q[0] || (unsigned char)q[0] < 0x80)
            snprintf(q, cap, "%s", name);
        return;
    }
    case 1: /* full pinyin, no spaces, the last syllable perhaps cut off */
        for (size_t i = from; i < from + k; i++)
            o += (size_t)snprintf(q + o, cap - o, "%s", tok[i]);
        if (o > 1 && rnd(2))
            q[o - rnd(2)] = '\0';
        break;
    case 2: /* initials */
        for (size_t i = from; i < from + k && o + 1 < cap; i++)
            q[o++] = tok[i][0];
        q[o] = '\0';
        break;
    default: /* two syllables with a space */
        for (size_t i = from; i < from + k && i < from + 2; i++)
            o += (size_t)snprintf(q + o, cap - o, "%s%s", i > from ? " " : "", tok[i]);
    }
    if (!q[0])
        snprintf(q, cap, "%s", name);
}

/* the latency of each query (the best of 3 runs), printed as p50, p99 and max */
static void timing(const char *label, const struct names *s, const struct names_entry *e, size_t n,
                   double build_ms)
{
    static const char *const hard[] = {
        "a",
        "z",
        "s",
        "sh",
        "zh",
        "x",
        "社区",
        "有限公司",
        "whkj",
        "whyxgs",
        "zhzhzhzhzhzh",
        "sssssssssssssss",
        "wuhanshi",
        "xxxxxxxxxxxxxxxxxxx",
        "jiangjiangjiangjiangjiang",
        "zhongzhongzhongzhong",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "z z z z z z z z z z z z z z z z z z z z z z z z z z z z z z z z",
        "wuhankejiyouxiangongsiz",
    };
    size_t nq = 0, nh = sizeof hard / sizeof hard[0];
    for (; nq < nh; nq++)
        snprintf(tq[nq], sizeof tq[nq], "%s", hard[nq]);
    for (; nq < NQ; nq++)
        make_query(e[rnd(n)].name, tq[nq], sizeof tq[nq]);
    static double us[NQ];
    static struct names_hit h[20];
    size_t total = 0, nh_hits;
    for (size_t i = 0; i < nq; i++) {
        us[i] = 1e18;
        for (int r = 0; r < 3; r++) {
            double t0 = now_us();
            names_search(s, tq[i], strlen(tq[i]), NAMES_ALL_GROUPS, NULL, NULL, 20, h, &nh_hits);
            double t = now_us() - t0;
            us[i] = t < us[i] ? t : us[i];
        }
        total += nh_hits;
    }
    size_t slow = 0;
    for (size_t i = 0; i < nq; i++)
        slow = us[i] > us[slow] ? i : slow;
    double hard_max = 0;
    for (size_t i = 0; i < nh; i++)
        hard_max = us[i] > hard_max ? us[i] : hard_max;
    char slowest[300];
    snprintf(slowest, sizeof slowest, "%s", tq[slow]);
    double slow_us = us[slow];
    qsort(us, nq, sizeof *us, cmp_double);
    printf("  timing %s: %zu names, built in %.0f ms, %.0f bytes/name; %zu queries (limit 20, "
           "%.1f hits each): p50 %.1f us, p99 %.1f us, max %.1f us (\"%s\"); the %zu hard ones "
           "at most %.1f us\n",
           label, n, build_ms, (double)names_bytes(s) / (double)n, nq, (double)total / (double)nq,
           us[nq / 2], us[nq * 99 / 100], slow_us, slowest, nh, hard_max);
}

static void test_timing_divisions(void)
{
    double t0 = now_us();
    struct names *s;
    T_CHECK(names_new(ents, nents, tab, ovr, NULL, &s) == GEOD_OK);
    if (s)
        timing("divisions", s, ents, nents, (now_us() - t0) / 1e3);
    names_free(s);
}

/* 100,000 company-like names from frequent characters, deterministic */
static void test_timing_companies(void)
{
    static const char freq[] =
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"
        "下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量"
        "都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各"
        "重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代"
        "想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接"
        "知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研鑫华盛达通顺";
    static const char *const pre[] = {"武汉", "武汉市", "湖北", "江岸区", "硚口",
                                      "汉阳", "武昌",   "青山", "洪山",   "东西湖",
                                      "蔡甸", "江夏",   "黄陂", "新洲",   ""};
    static const char *const mid[] = {"科技", "商贸", "实业", "餐饮", "物流", "建材", "服装",
                                      "印刷", "包装", "电子", "机械", "食品", ""};
    static const char *const suf[] = {"有限公司", "有限责任公司", "福利厂", "股份有限公司",
                                      "厂",       "店",           "工作室", "合作社"};
    static const char *const sfx[] = {"股份有限公司", "有限责任公司", "有限公司", "公司",
                                      "福利厂",       "合作社",       "厂",       NULL};
    enum { N = 100000 };
    struct names_entry *e = calloc(N, sizeof *e);
    char *buf = calloc(N, 96);
    size_t nfreq = (sizeof freq - 1) / 3;
    for (size_t i = 0; i < N; i++) {
        char *b = buf + 96 * i;
        size_t o = (size_t)snprintf(b, 96, "%s", pre[rnd(15)]);
        for (size_t k = 0, nk = 2 + rnd(3); k < nk; k++, o += 3)
            memcpy(b + o, freq + 3 * rnd(nfreq), 3);
        snprintf(b + o, 96 - o, "%s%s", mid[rnd(13)], suf[rnd(8)]);
        e[i] = (struct names_entry){(uint32_t)i, b, 0};
    }
    double t0 = now_us();
    struct names *s;
    T_CHECK(names_new(e, N, tab, ovr, sfx, &s) == GEOD_OK);
    if (s)
        timing("companies", s, e, N, (now_us() - t0) / 1e3);
    names_free(s);
    free(e);
    free(buf);
}

int main(void)
{
    if (!load()) {
        printf("FAIL cannot load the tables or data/wuhan/wuhan_divisions.csv\n");
        return 1;
    }
    T_RUN(test_chinese);
    T_RUN(test_pinyin);
    T_RUN(test_overrides);
    T_RUN(test_other_reading_ranks_lower);
    T_RUN(test_mixed);
    T_RUN(test_ranking);
    T_RUN(test_groups);
    T_RUN(test_accept);
    T_RUN(test_query_errors);
    T_RUN(test_new_errors);
    T_RUN(test_letters_and_suffixes);
    T_RUN(test_pruning);
    T_RUN(test_timing_divisions);
    T_RUN(test_timing_companies);
    unload();
    return T_END();
}

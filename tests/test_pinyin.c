/* test_pinyin.c - index/pinyin.c: readings of characters that place names need (several readings,
 * local ones, v for u-umlaut), code points without readings, the override table and the display
 * pinyin of names, the parsers' refusals, and the generated table checked against an independent
 * parse of Debian's Unihan_Readings.txt.bz2 (read here through bzcat, with its own tone table). */
#include "tests/t.h"

#include "data/pinyin_data.h"
#include "index/pinyin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UNIHAN "/usr/share/unicode/Unihan_Readings.txt.bz2"

static struct pinyin_table *tab;
static struct pinyin_overrides *ovr;

/* the readings of cp as one string, "a b c" in table order */
static const char *readings(uint32_t cp)
{
    static char buf[512];
    const uint16_t *ids;
    size_t n = pinyin_readings(tab, cp, &ids), len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *s = pinyin_syllable(tab, ids[i], NULL);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "", s);
    }
    return buf;
}

static bool has_reading(uint32_t cp, const char *syl)
{
    const uint16_t *ids;
    size_t n = pinyin_readings(tab, cp, &ids);
    for (size_t i = 0; i < n; i++)
        if (strcmp(pinyin_syllable(tab, ids[i], NULL), syl) == 0)
            return true;
    return false;
}

static const char *first_reading(uint32_t cp)
{
    const uint16_t *ids;
    return pinyin_readings(tab, cp, &ids) ? pinyin_syllable(tab, ids[0], NULL) : "";
}

static void test_readings(void)
{
    static const struct {
        uint32_t cp;
        const char *first, *also; /* the customary reading; another one, or NULL */
    } cases[] = {
        {0x6C5F, "jiang", NULL},    /* 江 */
        {0x6C49, "han", NULL},      /* 汉 */
        {0x9642, "bei", "pi"},      /* 陂: customary bei; pi in 黄陂 */
        {0x6C8C, "dun", "zhuan"},   /* 沌: customary dun; zhuan in 沌口, 沌阳 */
        {0x5953, "zha", "she"},     /* 奓: zhā, zhà in 奓山 */
        {0x957F, "zhang", "chang"}, /* 长 */
        {0x91CD, "zhong", "chong"}, /* 重 */
        {0x884C, "xing", "hang"},   /* 行 */
        {0x7EFF, "lv", "lu"},       /* 绿: lǜ is written lv; lù (XHC1983, TGHZ2013) is lu */
        {0x533A, "qu", "ou"},       /* 区 */
        {0x9053, "dao", NULL},      /* 道 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = cases[i].cp;
        T_CHECKF(strcmp(first_reading(cp), cases[i].first) == 0, "U+%04X: \"%s\", first %s",
                 (unsigned)cp, readings(cp), cases[i].first);
        if (cases[i].also)
            T_CHECKF(has_reading(cp, cases[i].also), "U+%04X: \"%s\" lacks %s", (unsigned)cp,
                     readings(cp), cases[i].also);
    }
    /* the exact lists, as the generator orders them: kMandarin, XHC1983, TGHZ2013, Pinlu, Hanyu */
    T_CHECKF(strcmp(readings(0x6C5F), "jiang") == 0, "江 %s", readings(0x6C5F));
    T_CHECKF(strcmp(readings(0x9642), "bei pi po bi") == 0, "陂 %s", readings(0x9642));
    T_CHECKF(strcmp(readings(0x6C8C), "dun zhuan tun chun") == 0, "沌 %s", readings(0x6C8C));
    T_CHECKF(strcmp(readings(0x5953), "zha she chi") == 0, "奓 %s", readings(0x5953));
    T_CHECKF(strcmp(readings(0x957F), "zhang chang") == 0, "长 %s", readings(0x957F));
    T_CHECKF(strcmp(readings(0x7EFF), "lv lu") == 0, "绿 %s", readings(0x7EFF));
    T_CHECK(has_reading(0x91CD, "tong")); /* 重: kHanyuPinyin tóng too (all readings, not one) */
    T_CHECK(has_reading(0x884C, "heng"));
    T_CHECK(!has_reading(0x7EFF, "lü") && !has_reading(0x6C5F, "jiāng"));
    /* a reading that is one letter, and the longest ones */
    T_CHECK(has_reading(0x963F, "a"));                              /* 阿 */
    T_CHECK(has_reading(0x5E84, "zhuang"));                         /* 庄 */
    T_CHECK(has_reading(0x55EF, "ng") || has_reading(0x55EF, "n")); /* 嗯 */
    T_CHECK(has_reading(0x20000, "he"));                            /* 𠀀: outside the BMP */
}

static void test_no_readings(void)
{
    static const uint32_t none[] = {
        'A',
        'a',
        '1',
        ' ',
        0,
        0x3007 /* 〇 */,
        0x5159 /* 兙: Han, no Mandarin reading */,
        0x9FA6,
        0xFF21 /* Ａ */,
        0xE000,
        0x10FFFF,
        0x110000,
        0xFFFFFFFFu,
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        const uint16_t *ids = (const uint16_t *)&none; /* must be reset */
        size_t n = pinyin_readings(tab, none[i], &ids);
        T_CHECKF(n == 0 && ids == NULL, "U+%04X: %zu readings", (unsigned)none[i], n);
    }
}

static void test_syllables(void)
{
    size_t n = pinyin_syllable_count(tab);
    T_CHECKF(n > 380 && n < PINYIN_MAX_SYLLABLES, "%zu syllables", n);
    for (size_t i = 0; i < n; i++) {
        size_t len = 99;
        const char *s = pinyin_syllable(tab, (uint16_t)i, &len);
        T_CHECKF(len >= 1 && len <= PINYIN_MAX_SYLLABLE && strlen(s) == len, "syllable %zu", i);
        T_CHECKF(strspn(s, "abcdefghijklmnopqrstuvwxyz") == len, "syllable %zu: %s", i, s);
        T_CHECKF(pinyin_syllable_find(tab, s, len) == i, "find %s", s);
    }
    T_CHECK(pinyin_syllable_find(tab, "zhuang", 6) != PINYIN_NONE);
    T_CHECK(pinyin_syllable_find(tab, "lv", 2) != PINYIN_NONE);
    T_CHECK(pinyin_syllable_find(tab, "zhuangx", 7) == PINYIN_NONE);
    T_CHECK(pinyin_syllable_find(tab, "zhuan", 4) == pinyin_syllable_find(tab, "zhua", 4));
    T_CHECK(pinyin_syllable_find(tab, "xyz", 3) == PINYIN_NONE);
    T_CHECK(pinyin_syllable_find(tab, "", 0) == PINYIN_NONE);
    T_CHECK(pinyin_syllable_find(tab, "lü", strlen("lü")) == PINYIN_NONE);
    T_CHECKF(pinyin_table_count(tab) > 40000, "%zu code points", pinyin_table_count(tab));
    T_CHECK(pinyin_table_bytes(tab) > pinyin_table_count(tab) * sizeof(uint16_t));
}

/* pinyin_name into a buffer of cap bytes; "" and the code on failure */
static const char *pname(const struct pinyin_overrides *ov, const char *name, size_t cap,
                         enum geod_err *rc, size_t *need)
{
    static char buf[256];
    *rc = pinyin_name(tab, ov, name, strlen(name), buf, cap, need);
    return buf;
}

static void test_name_overrides(void)
{
    static const struct {
        const char *name, *with, *without; /* with the Wuhan overrides, with none */
    } cases[] = {
        {"黄陂区", "huang pi qu", "huang bei qu"},
        {"沌口街道", "zhuan kou jie dao", "dun kou jie dao"},
        {"沌阳街道", "zhuan yang jie dao", "dun yang jie dao"},
        {"奓山街道", "zha shan jie dao", "zha shan jie dao"},
        {"长丰街道", "chang feng jie dao", "zhang feng jie dao"},
        {"长江村村委会", "chang jiang cun cun wei hui", "zhang jiang cun cun wei hui"},
        {"长轩岭街道", "chang xuan ling jie dao", "zhang xuan ling jie dao"},
        {"佛祖岭街道", "fo zu ling jie dao", "fu zu ling jie dao"}, /* 佛 customary fu */
        {"钢都花园街道", "gang du hua yuan jie dao", "gang dou hua yuan jie dao"},
        {"都市桃源社区居委会", "du shi tao yuan she qu ju wei hui",
         "dou shi tao yuan she qu ju wei hui"},
        {"黄陂岭村委会", "huang pi ling cun wei hui", "huang bei ling cun wei hui"},
        {"大陂村委会", "da bei cun wei hui", "da bei cun wei hui"}, /* 陂 alone: customary */
        {"沌", "dun", "dun"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum geod_err rc;
        size_t need;
        const char *got = pname(ovr, cases[i].name, 256, &rc, &need);
        T_CHECKF(rc == GEOD_OK && strcmp(got, cases[i].with) == 0 && need == strlen(got),
                 "%s: \"%s\" (%d), want \"%s\"", cases[i].name, got, rc, cases[i].with);
        got = pname(NULL, cases[i].name, 256, &rc, &need);
        T_CHECKF(rc == GEOD_OK && strcmp(got, cases[i].without) == 0, "%s without: \"%s\"",
                 cases[i].name, got);
    }
    T_CHECKF(pinyin_overrides_count(ovr) == 12, "%zu overrides", pinyin_overrides_count(ovr));
}

static void test_name_format(void)
{
    static const struct {
        const char *name, *want;
    } cases[] = {
        {"Ａ区１号", "a qu 1 hao"}, /* full width folded; runs of letters and digits */
        {"701社区居委会", "701 she qu ju wei hui"},
        {"东湖风景区街道（武昌）", "dong hu feng jing qu jie dao wu chang"},
        {"ABC12 科技", "abc12 ke ji"},
        {"Lǜ绿", "lv lv"},
        {"Jiāng汉", "jiang han"},
        {"a-b c", "a b c"},
        {"〇兙", "ling"}, /* 〇 by its override (Unihan gives it none), 兙 has no reading */
        {"兙", ""},       /* no readings: skipped */
        {"", ""},
        {"  ", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum geod_err rc;
        size_t need;
        const char *got = pname(ovr, cases[i].name, 256, &rc, &need);
        T_CHECKF(rc == GEOD_OK && strcmp(got, cases[i].want) == 0, "%s: \"%s\" (%d), want \"%s\"",
                 cases[i].name, got, rc, cases[i].want);
    }
    enum geod_err rc;
    size_t need;
    const char *got = pname(ovr, "黄陂区", 5, &rc, &need);
    T_CHECKF(rc == GEOD_ERANGE && need == 11 && strcmp(got, "huan") == 0, "cap 5: %d %zu %s", rc,
             need, got);
    got = pname(ovr, "黄陂区", 12, &rc, &need);
    T_CHECK(rc == GEOD_OK && need == 11 && strcmp(got, "huang pi qu") == 0);
    got = pname(ovr, "黄陂区", 11, &rc, &need);
    T_CHECK(rc == GEOD_ERANGE && need == 11 && strcmp(got, "huang pi q") == 0);
    char one = 'x';
    rc = pinyin_name(tab, ovr, "区", 3, &one, 0, &need);
    T_CHECK(rc == GEOD_ERANGE && need == 2 && one == 'x');
    got = pname(ovr, "黄\xff", 64, &rc, &need);
    T_CHECK(rc == GEOD_EINVAL && need == 0 && got[0] == '\0');
    got = pname(ovr, "\xc0\x80", 64, &rc, &need);
    T_CHECK(rc == GEOD_EINVAL);
    got = pname(ovr, "\xe9\xbb", 64, &rc, &need); /* cut off */
    T_CHECK(rc == GEOD_EINVAL);
}

/* pinyin_preferred over the UTF-8 text s, as "a b c" (NONE shown as "-") */
static const char *preferred(const struct pinyin_overrides *ov, const char *s)
{
    static char buf[256];
    uint32_t cps[64] = {0};
    uint16_t pref[64] = {0};
    size_t n = 0, len = strlen(s), out = 0;
    for (size_t i = 0; i < len && n < 64; n++) { /* the tests give valid UTF-8 */
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t cp = k == 1 ? c : c & (0x3Fu >> (k - 1));
        for (size_t j = 1; j < k; j++)
            cp = cp << 6 | ((unsigned char)s[i + j] & 0x3F);
        cps[n] = cp;
        i += k;
    }
    pinyin_preferred(tab, ov, cps, n, pref);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        out += (size_t)snprintf(buf + out, sizeof buf - out, "%s%s", i ? " " : "",
                                pref[i] == PINYIN_NONE ? "-" : pinyin_syllable(tab, pref[i], 0));
    return buf;
}

static void test_preferred(void)
{
    static const char csv[] = "text,pinyin\n"
                              "长,chang\n"
                              "长江,zhang jiang\n" /* not a real reading: shows which row won */
                              "江长,jiang zhang\n"
                              "乐,le\n";
    struct pinyin_overrides *ov;
    size_t line = 99;
    T_CHECK(pinyin_overrides_new(tab, csv, sizeof csv - 1, &ov, &line) == GEOD_OK && line == 0);
    if (!ov)
        return;
    T_CHECK(pinyin_overrides_count(ov) == 4);
    /* the longest override starting at a position wins; occurrences do not overlap */
    T_CHECKF(strcmp(preferred(ov, "长江长"), "zhang jiang chang") == 0, "%s",
             preferred(ov, "长江长"));
    T_CHECKF(strcmp(preferred(ov, "江长江"), "jiang zhang jiang") == 0, "%s",
             preferred(ov, "江长江"));
    T_CHECKF(strcmp(preferred(ov, "长长"), "chang chang") == 0, "%s", preferred(ov, "长长"));
    T_CHECKF(strcmp(preferred(NULL, "长长"), "zhang zhang") == 0, "%s", preferred(NULL, "长长"));
    T_CHECKF(strcmp(preferred(ov, "A音乐〇"), "- yin le -") == 0, "%s", preferred(ov, "A音乐〇"));
    T_CHECKF(strcmp(preferred(NULL, "音乐"), "yin le") == 0, "%s", preferred(NULL, "音乐"));
    pinyin_overrides_free(ov);
    /* an empty table (header only) and no text at all */
    T_CHECK(pinyin_overrides_new(tab, "text,pinyin\n", 12, &ov, NULL) == GEOD_OK);
    T_CHECK(ov && pinyin_overrides_count(ov) == 0);
    T_CHECKF(strcmp(preferred(ov, "长"), "zhang") == 0, "%s", preferred(ov, "长"));
    pinyin_overrides_free(ov);
    pinyin_preferred(tab, ovr, NULL, 0, NULL);
    pinyin_overrides_free(NULL);
}

static void test_overrides_errors(void)
{
    static const struct {
        const char *csv;
        size_t line; /* the line reported, 0 for none */
    } bad[] = {
        {"", 0},
        {"text,pin\n", 1},
        {"黄陂,huang pi\n", 1},
        {"text,pinyin\n黄陂,huang\n", 2},
        {"text,pinyin\n黄陂,huang pi qu\n", 2},
        {"text,pinyin\n\n黄陂,huang xx\n", 3},
        {"text,pinyin\n黄陂,Huang pi\n", 2},
        {"text,pinyin\n黄陂,huang  pi\n", 2},
        {"text,pinyin\n黄陂,huang pi \n", 2},
        {"text,pinyin\n黄陂,huāng pi\n", 2},
        {"text,pinyin\n\"黄陂\",huang pi\n", 2},
        {"text,pinyin\n,huang\n", 2},
        {"text,pinyin\n黄陂\n", 2},
        {"text,pinyin\n黄陂,\n", 2},
        {"text,pinyin\n\xff\xfe,huang pi\n", 2},
        {"text,pinyin\n长,chang\n长,chang zhang\n", 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pinyin_overrides *ov = (struct pinyin_overrides *)&bad; /* must be reset */
        size_t line = 99;
        enum geod_err rc = pinyin_overrides_new(tab, bad[i].csv, strlen(bad[i].csv), &ov, &line);
        T_CHECKF(rc == GEOD_EINVAL && ov == NULL && line == bad[i].line, "case %zu: %d line %zu", i,
                 rc, line);
    }
    static const char ok[] = "text,pinyin\r\n黄陂,huang pi\r\n\r\n沌口,zhuan kou";
    struct pinyin_overrides *ov;
    T_CHECK(pinyin_overrides_new(tab, ok, sizeof ok - 1, &ov, NULL) == GEOD_OK);
    T_CHECK(ov && pinyin_overrides_count(ov) == 2);
    T_CHECKF(strcmp(preferred(ov, "沌口黄陂"), "zhuan kou huang pi") == 0, "%s",
             preferred(ov, "沌口黄陂"));
    pinyin_overrides_free(ov);
}

static void test_table_errors(void)
{
    static const char *const bad[] = {
        "4E01\ta\n4E00\tb\n", /* not increasing */
        "4E00\ta\n4E00\tb\n",     "4E00\tYi\n", "4e00\tyi\n",   "4E00\tzhuangg\n",
        "4E00\tyi yi\n",          "4E00 yi\n",  "4E00\t\n",     "4E00\tyi \n",
        "4E00\tyi  er\n",         "\tyi\n",     "110000\tyi\n", "1234567\tyi\n",
        "4E00\tyi\n\n4E01\ter\n", "4E00\tlü\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pinyin_table *t = (struct pinyin_table *)&bad; /* must be reset */
        enum geod_err rc = pinyin_table_new(bad[i], strlen(bad[i]), &t);
        T_CHECKF(rc == GEOD_ECORRUPT && t == NULL, "case %zu: %d", i, rc);
    }
    /* 33 readings for one code point are too many; 32 are fine */
    char line[512] = "4E00\t";
    for (int i = 0; i < 33; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%sq%c%c", i ? " " : "",
                 'a' + i / 26, 'a' + i % 26);
    struct pinyin_table *t;
    T_CHECK(pinyin_table_new(line, strlen(line), &t) == GEOD_ECORRUPT);
    *strrchr(line, ' ') = '\0';
    T_CHECK(pinyin_table_new(line, strlen(line), &t) == GEOD_OK);
    if (t) {
        const uint16_t *ids;
        T_CHECK(pinyin_readings(t, 0x4E00, &ids) == 32 && pinyin_syllable_count(t) == 32);
        pinyin_table_free(t);
    }
    static const char small[] = "41\tei\n4E00\tyi\n10FFFF\tzz";
    T_CHECK(pinyin_table_new(small, sizeof small - 1, &t) == GEOD_OK);
    if (t) {
        const uint16_t *ids;
        T_CHECK(pinyin_table_count(t) == 3 && pinyin_readings(t, 0x10FFFF, &ids) == 1);
        T_CHECK(pinyin_readings(t, 0x4E01, &ids) == 0 && pinyin_readings(t, 0x41, &ids) == 1);
        pinyin_table_free(t);
    }
    T_CHECK(pinyin_table_new("", 0, &t) == GEOD_OK && t && pinyin_table_count(t) == 0);
    pinyin_table_free(t);
    pinyin_table_free(NULL);
}

static void test_fold(void)
{
    static const struct {
        uint32_t cp;
        int want;
    } cases[] = {
        {'a', 'a'},   {'Z', 'z'},    {0xFF21, 'a'}, {0xFF5A, 'z'},   {0x101, 'a'}, {0x1CE, 'a'},
        {0xE0, 'a'},  {0xC1, 'a'},   {0xFC, 'v'},   {0xDC, 'v'},     {0x1D6, 'v'}, {0x1DC, 'v'},
        {0xEA, 'e'},  {0x1EBF, 'e'}, {0x1EC1, 'e'}, {0x144, 'n'},    {0x1F9, 'n'}, {0x1E3F, 'm'},
        {0x12B, 'i'}, {0x14D, 'o'},  {0x16B, 'u'},  {0x11B, 'e'},    {'0', 0},     {'@', 0},
        {'[', 0},     {0x6C5F, 0},   {0xFF10, 0},   {0xE7 /*ç*/, 0}, {0x300, 0},   {0x110000, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        T_CHECKF(pinyin_fold_latin(cases[i].cp) == cases[i].want, "U+%04X -> %d",
                 (unsigned)cases[i].cp, pinyin_fold_latin(cases[i].cp));
    static const uint32_t marks[] = {0x300, 0x301, 0x304, 0x30C, 0x36F,
                                     0x2C9, 0x2CA, 0x2C7, 0x2CB, 0x2D9};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        T_CHECK(pinyin_is_tone_mark(marks[i]));
    T_CHECK(!pinyin_is_tone_mark(0x2FF) && !pinyin_is_tone_mark(0x370) &&
            !pinyin_is_tone_mark('a'));
}

/* ---- the independent reading of Unihan ---- */

/* toned letter (UTF-8) -> toneless, as this test reads Unihan; combining marks are dropped */
static const char *const toned[][2] = {
    {"à", "a"}, {"á", "a"}, {"ā", "a"},       {"ǎ", "a"},       {"è", "e"},       {"é", "e"},
    {"ē", "e"}, {"ě", "e"}, {"ê", "e"},       {"ế", "e"},       {"ề", "e"},       {"ì", "i"},
    {"í", "i"}, {"ī", "i"}, {"ǐ", "i"},       {"ò", "o"},       {"ó", "o"},       {"ō", "o"},
    {"ǒ", "o"}, {"ù", "u"}, {"ú", "u"},       {"ū", "u"},       {"ǔ", "u"},       {"ü", "v"},
    {"ǘ", "v"}, {"ǚ", "v"}, {"ǜ", "v"},       {"ǖ", "v"},       {"ń", "n"},       {"ň", "n"},
    {"ǹ", "n"}, {"ḿ", "m"}, {"\xcc\x80", ""}, {"\xcc\x81", ""}, {"\xcc\x84", ""}, {"\xcc\x8c", ""},
};

/* s[0..n) toneless into out; false for anything unexpected */
static bool toneless(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        const char *rep = NULL;
        size_t k = 1;
        if (s[i] >= 'a' && s[i] <= 'z') {
            static char one[2];
            one[0] = s[i];
            rep = one;
        } else {
            for (size_t j = 0; j < sizeof toned / sizeof toned[0] && !rep; j++) {
                k = strlen(toned[j][0]);
                if (k <= n - i && memcmp(s + i, toned[j][0], k) == 0)
                    rep = toned[j][1];
            }
        }
        if (!rep || o + strlen(rep) + 1 > cap)
            return false;
        memcpy(out + o, rep, strlen(rep));
        o += strlen(rep);
        i += k;
    }
    out[o] = '\0';
    return o > 0;
}

struct uh { /* one code point as Unihan says */
    uint32_t cp;
    char first[8]; /* kMandarin's first reading, toneless, or "" */
    char set[200]; /* " r1 r2 ... " every distinct reading */
};

static bool uh_add(struct uh *u, const char *s, size_t n)
{
    char r[16], key[20];
    if (!toneless(s, n, r, sizeof r))
        return false;
    snprintf(key, sizeof key, " %s ", r);
    if (!strstr(u->set, key)) {
        size_t l = strlen(u->set);
        if (l + strlen(r) + 2 >= sizeof u->set)
            return false;
        snprintf(u->set + l, sizeof u->set - l, "%s%s ", l ? "" : " ", r);
    }
    return true;
}

/* one field's value into u: kMandarin "a b", kHanyuPinlu "a(12) b(3)", the others
 * "LOC:a,b LOC:c"; false for something unparsable */
static bool uh_field(struct uh *u, const char *field, char *v)
{
    bool mandarin = strcmp(field, "kMandarin") == 0, pinlu = strcmp(field, "kHanyuPinlu") == 0;
    for (char *save = NULL, *w = strtok_r(v, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (pinlu) {
            char *paren = strchr(w, '(');
            if (!paren || !uh_add(u, w, (size_t)(paren - w)))
                return false;
            continue;
        }
        if (mandarin) {
            if (!u->first[0] && !toneless(w, strlen(w), u->first, sizeof u->first))
                return false;
            if (!uh_add(u, w, strlen(w)))
                return false;
            continue;
        }
        char *colon = strchr(w, ':');
        if (!colon)
            return false;
        for (char *p = colon + 1;;) {
            size_t k = strcspn(p, ",");
            if (!uh_add(u, p, k))
                return false;
            if (!p[k])
                break;
            p += k + 1;
        }
    }
    return true;
}

/* every code point with a reading in kMandarin, kXHC1983, kTGHZ2013, kHanyuPinlu, kHanyuPinyin */
static struct uh *read_unihan(size_t *n)
{
    FILE *f = popen("bzcat " UNIHAN, "r");
    if (!f)
        return NULL;
    size_t cap = 50000, bad = 0;
    struct uh *u = calloc(cap, sizeof *u);
    char *line = NULL;
    size_t lcap = 0;
    *n = 0;
    while (u && getline(&line, &lcap, f) > 0) {
        char *cp = line, *field = strchr(line, '\t'), *val;
        if (line[0] != 'U' || !field || !(val = strchr(field + 1, '\t')))
            continue;
        *field++ = '\0';
        *val++ = '\0';
        val[strcspn(val, "\r\n")] = '\0';
        if (strcmp(field, "kMandarin") && strcmp(field, "kXHC1983") && strcmp(field, "kTGHZ2013") &&
            strcmp(field, "kHanyuPinlu") && strcmp(field, "kHanyuPinyin"))
            continue;
        uint32_t c = (uint32_t)strtoul(cp + 2, NULL, 16);
        if (*n == 0 || u[*n - 1].cp != c) {
            if (*n == cap)
                break;
            u[(*n)++].cp = c;
        }
        bad += !uh_field(&u[*n - 1], field, val);
    }
    free(line);
    int st = pclose(f);
    T_CHECKF(st == 0 && bad == 0 && *n > 40000, "bzcat status %d, %zu bad values, %zu code points",
             st, bad, *n);
    return u;
}

/* the table's readings of cp as " r1 r2 ... " */
static void table_set(uint32_t cp, char *out, size_t cap)
{
    const uint16_t *ids;
    size_t n = pinyin_readings(tab, cp, &ids), o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s ", i ? "" : " ",
                              pinyin_syllable(tab, ids[i], NULL));
}

/* whether the sets " a b " and " b a " hold the same words */
static bool same_words(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    for (const char *p = a; *p; p++)
        na += *p == ' ';
    for (const char *p = b; *p; p++)
        nb += *p == ' ';
    if (na != nb)
        return false;
    for (const char *p = a; *p && p[1];) {
        const char *e = strchr(p + 1, ' ');
        char w[24];
        snprintf(w, sizeof w, "%.*s", (int)(e - p + 1), p);
        if (!strstr(b, w))
            return false;
        p = e;
    }
    return true;
}

static void test_unihan_agrees(void)
{
    size_t n;
    struct uh *u = read_unihan(&n);
    if (!u)
        return;
    T_CHECKF(n == pinyin_table_count(tab), "Unihan: %zu code points, table %zu", n,
             pinyin_table_count(tab));
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    size_t checked = 0;
    static const uint32_t must[] = {0x9642, 0x6C8C, 0x5953, 0x957F, 0x7EFF, 0x91CD, 0x884C};
    for (size_t k = 0; k < 300 + sizeof must / sizeof must[0]; k++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        size_t i = (size_t)(rng >> 33) % n;
        if (k >= 300)
            for (i = 0; i < n && u[i].cp != must[k - 300]; i++)
                ;
        if (i == n)
            continue;
        char set[512];
        table_set(u[i].cp, set, sizeof set);
        T_CHECKF(same_words(set, u[i].set), "U+%04X: table {%s} Unihan {%s}", (unsigned)u[i].cp,
                 set, u[i].set);
        if (u[i].first[0])
            T_CHECKF(strcmp(first_reading(u[i].cp), u[i].first) == 0,
                     "U+%04X: first %s, kMandarin %s", (unsigned)u[i].cp, first_reading(u[i].cp),
                     u[i].first);
        checked++;
        /* and a code point that Unihan gives no reading has none in the table */
        uint32_t gap = u[i].cp + 1;
        if (i + 1 < n && u[i + 1].cp != gap) {
            const uint16_t *ids;
            T_CHECKF(pinyin_readings(tab, gap, &ids) == 0, "U+%04X has readings", (unsigned)gap);
        }
    }
    T_CHECKF(checked == 300 + sizeof must / sizeof must[0], "%zu code points checked", checked);
    free(u);
}

int main(void)
{
    struct pinyin_data_blob ub = pinyin_data_unihan(), ob = pinyin_data_overrides();
    size_t line = 0;
    if (pinyin_table_new(ub.data, ub.len, &tab) ||
        pinyin_overrides_new(tab, ob.data, ob.len, &ovr, &line)) {
        printf("FAIL cannot load the embedded tables (override line %zu)\n", line);
        return 1;
    }
    T_RUN(test_readings);
    T_RUN(test_no_readings);
    T_RUN(test_syllables);
    T_RUN(test_name_overrides);
    T_RUN(test_name_format);
    T_RUN(test_preferred);
    T_RUN(test_overrides_errors);
    T_RUN(test_table_errors);
    T_RUN(test_fold);
    T_RUN(test_unihan_agrees);
    pinyin_overrides_free(ovr);
    pinyin_table_free(tab);
    return T_END();
}

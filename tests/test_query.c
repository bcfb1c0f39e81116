/* test_query.c - api/query.c and index/utf8.c: decoding and refusal tables for query_parse, a
 * round-trip property test against an independent percent-encoder, the number and list readers,
 * and UTF-8 against a brute-force oracle over every code point and every short byte string. */
#include "api/query.h"
#include "index/utf8.h"
#include "tests/t.h"

#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* xorshift64*: deterministic, so a failure reproduces */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static size_t rng_below(size_t n)
{
    return (size_t)(rng() % n);
}

/* Parse `len` bytes of `qs` with a heap buffer of exactly len + 1 bytes, so ASan sees any write
 * past the documented bound. The buffer is returned through `*buf` for the caller to free. */
static enum geod_err parse(const char *qs, size_t len, char **buf, struct query *q,
                           struct query_fail *fail)
{
    *buf = malloc(len + 1);
    memset(fail, 0, sizeof *fail);
    return query_parse(qs, len, *buf, len + 1, q, fail);
}

/* ---- decoding ---------------------------------------------------------------------------- */

struct ok_case {
    const char *qs;
    const char *kv[11]; /* expected name, value, name, value, ..., NULL */
};

static const struct ok_case ok_cases[] = {
    {"a=%41", {"a", "A"}},
    {"name=%e6%ad%a6", {"name", "\xe6\xad\xa6"}}, /* 武 */
    {"%E6%AD%A6=1", {"\xe6\xad\xa6", "1"}},
    {"q=\xe6\xad\xa6\xe6\xb1\x89", {"q", "\xe6\xad\xa6\xe6\xb1\x89"}}, /* raw 武汉 */
    {"q=a+b", {"q", "a b"}},
    {"q=a%2Bb", {"q", "a+b"}},
    {"q=a%2bb", {"q", "a+b"}},
    {"a=1=2", {"a", "1=2"}},
    {"a=%4a%4A%4f%4F", {"a", "JJOO"}},
    {"a=%25", {"a", "%"}},
    {"a=%26&b=%3D", {"a", "&", "b", "="}},
    {"&&a=1&&b=2&", {"a", "1", "b", "2"}},
    {"a", {"a", ""}},
    {"a=", {"a", ""}},
    {"a&b=", {"a", "", "b", ""}},
    {"", {NULL}},
    {"&", {NULL}},
    {"&&&", {NULL}},
    {"+=1", {" ", "1"}},
    {"a+b=c+d", {"a b", "c d"}},
    {"x=%0a%7e", {"x", "\n~"}},
    {"x=%20%20", {"x", "  "}},
    {"x=%C2%80", {"x", "\xc2\x80"}},
    {"x=%F0%9F%98%80", {"x", "\xf0\x9f\x98\x80"}},
    {"lon=114.30&lat=30.59&k=10&category=hospital,shelter&crs=gcj02",
     {"lon", "114.30", "lat", "30.59", "k", "10", "category", "hospital,shelter", "crs", "gcj02"}},
};

static void check_ok_case(const struct ok_case *c)
{
    char *buf;
    struct query q;
    struct query_fail fail;
    enum geod_err rc = parse(c->qs, strlen(c->qs), &buf, &q, &fail);
    T_CHECKF(rc == GEOD_OK, "\"%s\": rc %d (%s)", c->qs, rc, rc ? fail.code : "");
    if (rc) {
        free(buf);
        return;
    }
    size_t n = 0;
    while (n < 5 && c->kv[2 * n])
        n++;
    T_CHECKF(q.n == n, "\"%s\": %zu params, want %zu", c->qs, q.n, n);
    for (size_t i = 0; i < n && i < q.n; i++) {
        const struct query_param *p = &q.p[i];
        T_CHECKF(p->name_len == strlen(c->kv[2 * i]) && !strcmp(p->name, c->kv[2 * i]),
                 "\"%s\": name %zu is \"%s\"", c->qs, i, p->name);
        T_CHECKF(p->value_len == strlen(c->kv[2 * i + 1]) && !strcmp(p->value, c->kv[2 * i + 1]),
                 "\"%s\": value %zu is \"%s\"", c->qs, i, p->value);
        T_CHECK(query_get(&q, c->kv[2 * i]) == p);
    }
    T_CHECK(query_get(&q, "absent") == NULL);
    free(buf);
}

static void test_decoding(void)
{
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++)
        check_ok_case(&ok_cases[i]);

    /* the input need not be NUL-terminated: only len bytes are read */
    char *buf;
    struct query q;
    struct query_fail fail;
    T_CHECK(parse("a=12&b=3", 4, &buf, &q, &fail) == GEOD_OK && q.n == 1 &&
            !strcmp(q.p[0].value, "12"));
    free(buf);
    T_CHECK(parse(NULL, 0, &buf, &q, &fail) == GEOD_OK && q.n == 0);
    free(buf);
}

/* ---- refusals ---------------------------------------------------------------------------- */

struct fail_case {
    const char *qs;
    const char *code;
    const char *param;
};

static const struct fail_case fail_cases[] = {
    {"a=%zz", "invalid_encoding", "a"},
    {"a=%", "invalid_encoding", "a"},
    {"a=%4", "invalid_encoding", "a"},
    {"a=%4g", "invalid_encoding", "a"},
    {"a=%g4", "invalid_encoding", "a"},
    {"a=1%", "invalid_encoding", "a"},
    {"ok=1&b=%%41", "invalid_encoding", "b"},
    {"%zz=1", "invalid_encoding", "%zz"},
    {"%=1", "invalid_encoding", "%"},
    {"a%4=1", "invalid_encoding", "a%4"},
    {"a=%00", "nul_byte", "a"},
    {"%00=1", "nul_byte", "?"},
    {"a%00b", "nul_byte", "a?b"},
    {"a=%C0%80", "invalid_utf8", "a"},       /* overlong NUL */
    {"a=%C1%BF", "invalid_utf8", "a"},       /* overlong 2-byte */
    {"a=%E0%80%80", "invalid_utf8", "a"},    /* overlong 3-byte */
    {"a=%F0%80%80%80", "invalid_utf8", "a"}, /* overlong 4-byte */
    {"a=%ED%A0%80", "invalid_utf8", "a"},    /* surrogate U+D800 */
    {"a=%ED%BF%BF", "invalid_utf8", "a"},    /* surrogate U+DFFF */
    {"a=%F4%90%80%80", "invalid_utf8", "a"}, /* U+110000 */
    {"a=%E6%AD", "invalid_utf8", "a"},       /* truncated */
    {"a=%E6%AD&b=%A6", "invalid_utf8", "a"}, /* a sequence does not span parameters */
    {"a=%80", "invalid_utf8", "a"},          /* stray continuation */
    {"a=%FF", "invalid_utf8", "a"},
    {"a=\xff", "invalid_utf8", "a"}, /* raw bytes are checked too */
    {"%FF=1", "invalid_utf8", "?"},
    {"ab%FFc=1", "invalid_utf8", "ab?c"},
    {"\xe6\xad=1", "invalid_utf8", "??"},
    {"a=1&a=2", "duplicate_parameter", "a"},
    {"a&a", "duplicate_parameter", "a"},
    {"a=1&%61=2", "duplicate_parameter", "a"},
    {"%E6%AD%A6=1&%e6%ad%a6=2", "duplicate_parameter", "\xe6\xad\xa6"},
    {"%0A%1B%7F%C2%85=1&%0A%1B%7F%C2%85", "duplicate_parameter", "????"}, /* controls */
    {"a=1&a=%zz", "duplicate_parameter", "a"}, /* the name is looked at before the value */
    {"=5", "invalid_name", ""},
    {"=", "invalid_name", ""},
    {"a=1&=", "invalid_name", ""},
};

static void test_refusals(void)
{
    for (size_t i = 0; i < sizeof fail_cases / sizeof fail_cases[0]; i++) {
        const struct fail_case *c = &fail_cases[i];
        char *buf;
        struct query q;
        struct query_fail fail;
        enum geod_err rc = parse(c->qs, strlen(c->qs), &buf, &q, &fail);
        T_CHECKF(rc == GEOD_EINVAL, "\"%s\": rc %d", c->qs, rc);
        T_CHECKF(fail.code && !strcmp(fail.code, c->code), "\"%s\": code %s, want %s", c->qs,
                 fail.code ? fail.code : "(null)", c->code);
        T_CHECKF(fail.message && fail.message[0], "\"%s\": no message", c->qs);
        T_CHECKF(!strcmp(fail.param, c->param), "\"%s\": param \"%s\", want \"%s\"", c->qs,
                 fail.param, c->param);
        free(buf);
    }

    /* a raw NUL byte is refused like a decoded one */
    char *buf;
    struct query q;
    struct query_fail fail;
    T_CHECK(parse("a=x\0y", 5, &buf, &q, &fail) == GEOD_EINVAL && !strcmp(fail.code, "nul_byte"));
    free(buf);

    /* param is cut to 63 bytes at a character boundary: "a" and 20 of 21 武 fit */
    char qs[160] = "a";
    for (int i = 0; i < 21; i++)
        strcat(qs, "\xe6\xad\xa6");
    strcat(qs, "=1&");
    size_t half = strlen(qs);
    memcpy(qs + half, qs, half - 1); /* the same name again */
    T_CHECK(parse(qs, 2 * half - 1, &buf, &q, &fail) == GEOD_EINVAL &&
            !strcmp(fail.code, "duplicate_parameter"));
    T_CHECKF(strlen(fail.param) == 61 && !memcmp(fail.param, qs, 61) && utf8_valid(fail.param, 61),
             "param \"%s\"", fail.param);
    free(buf);

    /* ASCII is cut at exactly 63 bytes */
    char longname[300];
    memset(longname, 'x', 200);
    strcpy(longname + 200, "=%zz");
    T_CHECK(parse(longname, strlen(longname), &buf, &q, &fail) == GEOD_EINVAL &&
            strlen(fail.param) == 63 && fail.param[0] == 'x');
    free(buf);
}

/* ---- limits ------------------------------------------------------------------------------ */

static void test_limits(void)
{
    static char qs[QUERY_MAX_LEN + 2];
    char *buf;
    struct query q;
    struct query_fail fail;

    memset(qs, 'x', sizeof qs);
    memcpy(qs, "a=", 2);
    T_CHECK(parse(qs, QUERY_MAX_LEN, &buf, &q, &fail) == GEOD_OK && q.n == 1 &&
            q.p[0].value_len == QUERY_MAX_LEN - 2);
    free(buf);
    T_CHECK(parse(qs, QUERY_MAX_LEN + 1, &buf, &q, &fail) == GEOD_EINVAL &&
            !strcmp(fail.code, "query_too_long") && !strcmp(fail.param, ""));
    free(buf);

    /* the buffer size: len + 1 is required, and the length limit is told first */
    char small[8];
    T_CHECK(query_parse("a=1234", 6, small, 6, &q, &fail) == GEOD_ERANGE);
    T_CHECK(query_parse("a=1234", 6, small, 7, &q, &fail) == GEOD_OK);
    T_CHECK(query_parse(qs, QUERY_MAX_LEN + 1, small, sizeof small, &q, &fail) == GEOD_EINVAL);
    T_CHECK(query_parse("", 0, small, 0, &q, &fail) == GEOD_ERANGE);

    /* 32 parameters, 33 */
    size_t len = 0;
    for (int i = 0; i < QUERY_MAX_PARAMS + 1; i++)
        len += (size_t)sprintf(qs + len, "%sp%d=%d&", i % 3 ? "" : "&", i, i);
    size_t len32 = (size_t)(strstr(qs, "p32=") - qs);
    T_CHECK(parse(qs, len32, &buf, &q, &fail) == GEOD_OK && q.n == QUERY_MAX_PARAMS);
    T_CHECK(q.n == QUERY_MAX_PARAMS && !strcmp(q.p[31].name, "p31") &&
            !strcmp(q.p[31].value, "31"));
    free(buf);
    T_CHECK(parse(qs, len, &buf, &q, &fail) == GEOD_EINVAL &&
            !strcmp(fail.code, "too_many_parameters") && !strcmp(fail.param, "p32"));
    free(buf);

    /* the worst case for the buffer: many one-byte segments, each with a NUL after it */
    len = 0;
    for (int i = 0; i < QUERY_MAX_PARAMS; i++) {
        qs[len++] = (char)('A' + i);
        if (i < QUERY_MAX_PARAMS - 1)
            qs[len++] = '&';
    }
    T_CHECK(parse(qs, len, &buf, &q, &fail) == GEOD_OK && q.n == QUERY_MAX_PARAMS);
    free(buf);
    len = 0;
    for (int i = 0; i < QUERY_MAX_PARAMS; i++) {
        qs[len++] = (char)('A' + i);
        qs[len++] = i < QUERY_MAX_PARAMS - 1 ? '&' : '=';
    }
    T_CHECK(parse(qs, len, &buf, &q, &fail) == GEOD_OK && q.n == QUERY_MAX_PARAMS);
    free(buf);
}

/* ---- round trip -------------------------------------------------------------------------- */

/* The test's own UTF-8 encoder: no validity checks, so it also makes surrogates and overlongs.
 * `n` is the length to use (1..4), which must be enough for `cp`. */
static size_t enc_utf8(uint32_t cp, int n, unsigned char *out)
{
    static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    for (int i = n - 1; i > 0; i--) {
        out[i] = (unsigned char)(0x80 | (cp & 0x3F));
        cp >>= 6;
    }
    out[0] = (unsigned char)(lead[n] | cp);
    return (size_t)n;
}

static int min_len(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* A random non-empty-or-empty string of valid UTF-8 without NUL, biased to the bytes that
 * matter to the parser. Returns its length. */
static size_t random_text(char *out, size_t max_chars)
{
    static const char special[] = "&=%+ ,;?#/\\\"'.-_~*";
    size_t chars = rng_below(max_chars + 1), len = 0;
    for (size_t i = 0; i < chars; i++) {
        uint32_t cp;
        switch (rng_below(6)) {
        case 0:
            cp = (unsigned char)special[rng_below(sizeof special - 1)];
            break;
        case 1:
            cp = 1 + (uint32_t)rng_below(0x7F);
            break;
        case 2:
            cp = 0x4E00 + (uint32_t)rng_below(0x5200); /* CJK */
            break;
        case 3:
            cp = 0x80 + (uint32_t)rng_below(0x780);
            break;
        case 4:
            cp = 0x10000 + (uint32_t)rng_below(0x100000);
            break;
        default:
            cp = 0x800 + (uint32_t)rng_below(0xF800);
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 'z';
        }
        len += enc_utf8(cp, min_len(cp), (unsigned char *)out + len);
    }
    return len;
}

/* The test's own percent-encoder: unreserved bytes stay as they are or get encoded at random,
 * space becomes '+' or "%20", everything else "%XX" in a random case. */
static size_t pct_encode(const char *s, size_t len, char *out)
{
    static const char hex[2][17] = {"0123456789abcdef", "0123456789ABCDEF"};
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || strchr("-._~", c);
        if (c == ' ' && rng_below(2)) {
            out[o++] = '+';
        } else if (unreserved && c != '\0' && rng_below(4)) {
            out[o++] = (char)c;
        } else {
            const char *h = hex[rng_below(2)];
            out[o++] = '%';
            out[o++] = h[c >> 4];
            out[o++] = h[c & 15];
        }
    }
    return o;
}

static void test_round_trip(void)
{
    static char names[QUERY_MAX_PARAMS][64], values[QUERY_MAX_PARAMS][64];
    static size_t name_len[QUERY_MAX_PARAMS], value_len[QUERY_MAX_PARAMS];
    static char qs[QUERY_MAX_LEN * 4];
    int rounds = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rng_below(QUERY_MAX_PARAMS + 1), len = 0;
        for (size_t i = 0; i < n; i++) {
            bool dup;
            do { /* distinct, non-empty names */
                name_len[i] = random_text(names[i], 8);
                dup = name_len[i] == 0;
                for (size_t j = 0; j < i && !dup; j++)
                    dup = name_len[j] == name_len[i] && !memcmp(names[j], names[i], name_len[i]);
            } while (dup);
            value_len[i] = random_text(values[i], 12);
            while (rng_below(4) == 0)
                qs[len++] = '&'; /* empty segments */
            len += pct_encode(names[i], name_len[i], qs + len);
            if (value_len[i] || rng_below(2)) {
                qs[len++] = '=';
                len += pct_encode(values[i], value_len[i], qs + len);
            }
            if (i + 1 < n || rng_below(4) == 0)
                qs[len++] = '&';
        }
        if (len > QUERY_MAX_LEN)
            continue;
        rounds++;
        char *buf;
        struct query q;
        struct query_fail fail;
        enum geod_err rc = parse(qs, len, &buf, &q, &fail);
        T_CHECKF(rc == GEOD_OK && q.n == n, "\"%.*s\": rc %d (%s), %zu params, want %zu", (int)len,
                 qs, rc, rc ? fail.code : "", q.n, n);
        for (size_t i = 0; !rc && i < n && i < q.n; i++) {
            const struct query_param *p = &q.p[i];
            T_CHECKF(p->name_len == name_len[i] && !memcmp(p->name, names[i], name_len[i]) &&
                         p->name[p->name_len] == '\0',
                     "\"%.*s\": name %zu", (int)len, qs, i);
            T_CHECKF(p->value_len == value_len[i] && !memcmp(p->value, values[i], value_len[i]) &&
                         p->value[p->value_len] == '\0',
                     "\"%.*s\": value %zu", (int)len, qs, i);
            names[i][name_len[i]] = '\0';
            T_CHECK(query_get(&q, names[i]) == p);
        }
        free(buf);
    }
    T_CHECKF(rounds > 15000, "only %d rounds fit the length limit", rounds);
}

/* Random bytes over the parser's alphabet: whatever comes back must keep the promises. */
static void test_garbage(void)
{
    static const char alphabet[] = "ab=&%+0fF\x00\x80\xc3\xa9\xe6\xad\xa6\xed\xff";
    char qs[64];
    for (int iter = 0; iter < 100000; iter++) {
        size_t len = rng_below(sizeof qs + 1);
        for (size_t i = 0; i < len; i++)
            qs[i] = alphabet[rng_below(sizeof alphabet - 1)];
        char *buf;
        struct query q;
        struct query_fail fail;
        enum geod_err rc = parse(qs, len, &buf, &q, &fail);
        if (rc == GEOD_OK) {
            T_CHECK(q.n <= QUERY_MAX_PARAMS);
            for (size_t i = 0; i < q.n; i++) {
                const struct query_param *p = &q.p[i];
                T_CHECK(p->name_len > 0 && p->name_len <= len && p->value_len <= len);
                T_CHECK(utf8_valid(p->name, p->name_len) && !memchr(p->name, 0, p->name_len));
                T_CHECK(utf8_valid(p->value, p->value_len) && !memchr(p->value, 0, p->value_len));
            }
        } else {
            T_CHECK(rc == GEOD_EINVAL && fail.code && fail.message);
            size_t pl = strnlen(fail.param, sizeof fail.param);
            T_CHECK(pl < sizeof fail.param && utf8_valid(fail.param, pl));
            for (size_t i = 0; i < pl; i++)
                T_CHECK((unsigned char)fail.param[i] >= 0x20 && fail.param[i] != 0x7F);
        }
        free(buf);
    }
}

/* ---- numbers and lists ------------------------------------------------------------------- */

static void test_double(void)
{
    static const struct {
        const char *s;
        enum geod_err rc;
        double want;
    } cases[] = {
        {"114.3", GEOD_OK, 114.3},
        {"30.59", GEOD_OK, 30.59},
        {"-0", GEOD_OK, 0.0},
        {"0", GEOD_OK, 0.0},
        {"1e3", GEOD_OK, 1000.0},
        {"1E3", GEOD_OK, 1000.0},
        {"1e+3", GEOD_OK, 1000.0},
        {"1e-3", GEOD_OK, 0.001},
        {"-114.25e-1", GEOD_OK, -11.425},
        {".5", GEOD_OK, 0.5},
        {"5.", GEOD_OK, 5.0},
        {"+1", GEOD_OK, 1.0},
        {"007.50", GEOD_OK, 7.5},
        {"1e-400", GEOD_OK, 0.0}, /* underflow rounds to zero */
        {"1e400", GEOD_EINVAL, 0},
        {"-1e400", GEOD_EINVAL, 0},
        {" 1", GEOD_EINVAL, 0},
        {"1 ", GEOD_EINVAL, 0},
        {"0x10", GEOD_EINVAL, 0},
        {"nan", GEOD_EINVAL, 0},
        {"NaN", GEOD_EINVAL, 0},
        {"inf", GEOD_EINVAL, 0},
        {"-Infinity", GEOD_EINVAL, 0},
        {"", GEOD_EINVAL, 0},
        {"1,5", GEOD_EINVAL, 0},
        {".", GEOD_EINVAL, 0},
        {"-", GEOD_EINVAL, 0},
        {"+", GEOD_EINVAL, 0},
        {"-.", GEOD_EINVAL, 0},
        {"e3", GEOD_EINVAL, 0},
        {".e3", GEOD_EINVAL, 0},
        {"1e", GEOD_EINVAL, 0},
        {"1e+", GEOD_EINVAL, 0},
        {"1e3.5", GEOD_EINVAL, 0},
        {"1.2.3", GEOD_EINVAL, 0},
        {"1..2", GEOD_EINVAL, 0},
        {"--1", GEOD_EINVAL, 0},
        {"+-1", GEOD_EINVAL, 0},
        {"1d", GEOD_EINVAL, 0},
        {"1f", GEOD_EINVAL, 0},
        {"\xef\xbc\x91", GEOD_EINVAL, 0}, /* fullwidth digit one */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -12345.0;
        enum geod_err rc = query_double(cases[i].s, strlen(cases[i].s), &v);
        T_CHECKF(rc == cases[i].rc, "\"%s\": rc %d", cases[i].s, rc);
        T_CHECKF(rc || v == cases[i].want, "\"%s\": %.17g, want %.17g", cases[i].s, v,
                 cases[i].want);
        T_CHECKF(!rc || v == -12345.0, "\"%s\": output written on failure", cases[i].s);
    }
    double v = 0;
    T_CHECK(query_double("-0", 2, &v) == GEOD_OK && signbit(v));
    T_CHECK(query_double("12345", 3, &v) == GEOD_OK && v == 123.0); /* only len bytes */
    T_CHECK(query_double("1.5", 0, &v) == GEOD_EINVAL);

    char s[80];
    memset(s, '0', sizeof s);
    s[0] = '1';
    T_CHECK(query_double(s, 64, &v) == GEOD_OK && v == 1e63);
    T_CHECK(query_double(s, 65, &v) == GEOD_EINVAL);
    s[0] = '0';
    s[1] = '.';
    s[63] = '7';
    T_CHECK(query_double(s, 64, &v) == GEOD_OK && v == 7e-62);

    /* the C locale's '.' whatever LC_NUMERIC says (checked only where such a locale exists) */
    static const char *comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                          "ru_RU.UTF-8"};
    for (size_t i = 0; i < sizeof comma_locales / sizeof comma_locales[0]; i++) {
        if (!setlocale(LC_NUMERIC, comma_locales[i]))
            continue;
        T_CHECKF(query_double("114.3", 5, &v) == GEOD_OK && v == 114.3, "in %s", comma_locales[i]);
        T_CHECKF(query_double("114,3", 5, &v) == GEOD_EINVAL, "in %s", comma_locales[i]);
        setlocale(LC_NUMERIC, "C");
        break;
    }
}

/* query_double against strtod (the C locale) on random numbers of its grammar: every digit
 * count and position of the point, leading zeros, exponents, signs; the fast path (at most 2^53
 * and 10^22) and strtod's path both, compared bit for bit (so -0 counts). */
static void test_double_oracle(void)
{
    uint64_t x = 0x243F6A8885A308D3ull;
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17)
    static const char *edges[] = {
        "9007199254740992",  "9007199254740993",  "9007199254740991", "1e22",   "1e23",
        "9007199254740992e22", "9007199254740992e-22", "9007199254740993e-22", "4.35",
        "0.1",  "0.3",  "-0.0", "+0", "0e-400", "1e-400", "1e308", "2e308",
        "114.3050000", "30.5930000", "-180", "180.0000000", "89.9999999",
        "123456789012345678", "1234567890123456789", "12345678901234567890",
        "18446744073709551615", "18446744073709551616", "0.000000000000000000001",
        "4.9406564584124654e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
    };
    size_t bad = 0, n = 0;
    char buf[80];
    for (size_t it = 0; it < 3000000 + sizeof edges / sizeof edges[0]; it++) {
        size_t len = 0;
        if (it < sizeof edges / sizeof edges[0]) {
            len = strlen(edges[it]);
            memcpy(buf, edges[it], len);
        } else {
            uint64_t r = NEXT();
            if (r % 3 == 1)
                buf[len++] = '-';
            else if (r % 3 == 2 && r % 5 == 0)
                buf[len++] = '+';
            size_t idig = (NEXT() >> 3) % 21, fdig = (NEXT() >> 3) % 21;
            if (idig + fdig == 0)
                idig = 1;
            bool lead0 = NEXT() % 4 == 0;
            for (size_t i = 0; i < idig; i++)
                buf[len++] = (char)(lead0 && i < 2 ? '0' : '0' + NEXT() % 10);
            if (fdig || NEXT() % 8 == 0)
                buf[len++] = '.';
            for (size_t i = 0; i < fdig; i++)
                buf[len++] = (char)('0' + NEXT() % 10);
            if (NEXT() % 3 == 0) {
                buf[len++] = NEXT() % 2 ? 'e' : 'E';
                uint64_t es = NEXT() % 3;
                if (es)
                    buf[len++] = es == 1 ? '-' : '+';
                uint64_t range = NEXT() % 2 ? 30 : 400;
                int ev = (int)(NEXT() % range);
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%d", ev);
            }
        }
        buf[len] = '\0';
        char *end;
        double want = strtod(buf, &end);
        bool ok_want = end == buf + len && isfinite(want);
        double got = -12345.0;
        enum geod_err rc = query_double(buf, len, &got);
        n++;
        if ((rc == GEOD_OK) != ok_want || (ok_want && memcmp(&got, &want, sizeof got) != 0)) {
            if (bad++ < 10)
                T_CHECKF(false, "\"%s\": rc %d, %.17g, strtod %.17g", buf, rc, got, want);
        }
    }
#undef NEXT
    T_CHECKF(bad == 0, "%zu of %zu numbers differ from strtod", bad, n);
}

static void test_uint(void)
{
    static const struct {
        const char *s;
        uint64_t max;
        enum geod_err rc;
        uint64_t want;
    } cases[] = {
        {"0", UINT64_MAX, GEOD_OK, 0},
        {"007", UINT64_MAX, GEOD_OK, 7},
        {"10", 100, GEOD_OK, 10},
        {"100", 100, GEOD_OK, 100},
        {"101", 100, GEOD_ERANGE, 0},
        {"18446744073709551615", UINT64_MAX, GEOD_OK, UINT64_MAX},
        {"18446744073709551616", UINT64_MAX, GEOD_ERANGE, 0},
        {"99999999999999999999", UINT64_MAX, GEOD_ERANGE, 0},
        {"00000000000000000001", 1, GEOD_OK, 1},
        {"000000000000000000001", UINT64_MAX, GEOD_EINVAL, 0}, /* 21 chars */
        {"-1", UINT64_MAX, GEOD_EINVAL, 0},
        {"+1", UINT64_MAX, GEOD_EINVAL, 0},
        {"1.0", UINT64_MAX, GEOD_EINVAL, 0},
        {"1e3", UINT64_MAX, GEOD_EINVAL, 0},
        {"", UINT64_MAX, GEOD_EINVAL, 0},
        {" 1", UINT64_MAX, GEOD_EINVAL, 0},
        {"1 ", UINT64_MAX, GEOD_EINVAL, 0},
        {"0x1", UINT64_MAX, GEOD_EINVAL, 0},
        {"abc", 5, GEOD_EINVAL, 0},
        {"5", 0, GEOD_ERANGE, 0},
        {"0", 0, GEOD_OK, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        enum geod_err rc = query_uint(cases[i].s, strlen(cases[i].s), cases[i].max, &v);
        T_CHECKF(rc == cases[i].rc, "\"%s\": rc %d", cases[i].s, rc);
        T_CHECKF(rc ? v == 12345 : v == cases[i].want, "\"%s\": %llu", cases[i].s,
                 (unsigned long long)v);
    }
    /* every value near the overflow boundary against unsigned __int128 */
    char s[32];
    for (unsigned long long k = 0; k < 2000; k++) {
        unsigned __int128 x = (unsigned __int128)UINT64_MAX - 1000 + k;
        int n = 0;
        char rev[32];
        for (unsigned __int128 y = x; y; y /= 10)
            rev[n++] = (char)('0' + (int)(y % 10));
        for (int i = 0; i < n; i++)
            s[i] = rev[n - 1 - i];
        uint64_t v;
        enum geod_err rc = query_uint(s, (size_t)n, UINT64_MAX, &v);
        T_CHECKF(x > UINT64_MAX ? rc == GEOD_ERANGE : rc == GEOD_OK && v == (uint64_t)x,
                 "%.*s: rc %d", n, s, rc);
    }
}

static void test_next_item(void)
{
    static const struct {
        const char *s;
        const char *items[5]; /* NULL-terminated */
    } cases[] = {
        {"", {NULL}},
        {"a", {"a", NULL}},
        {"hospital,shelter", {"hospital", "shelter", NULL}},
        {"a,,b", {"a", "", "b", NULL}},
        {"a,", {"a", "", NULL}},
        {",a", {"", "a", NULL}},
        {",", {"", "", NULL}},
        {",,", {"", "", "", NULL}},
        {"114.2,30.5,114.4,30.7", {"114.2", "30.5", "114.4", "30.7", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i].s, *cur = s, *end = s + strlen(s), *item;
        size_t item_len, k = 0;
        while (query_next_item(&cur, end, &item, &item_len)) {
            T_CHECKF(k < 4 && cases[i].items[k], "\"%s\": too many items", s);
            if (k >= 4 || !cases[i].items[k])
                break;
            T_CHECKF(item >= s && item + item_len <= end && item_len == strlen(cases[i].items[k]) &&
                         !memcmp(item, cases[i].items[k], item_len),
                     "\"%s\": item %zu is \"%.*s\"", s, k, (int)item_len, item);
            k++;
        }
        T_CHECKF(!cases[i].items[k], "\"%s\": only %zu items", s, k);
        T_CHECK(!query_next_item(&cur, end, &item, &item_len)); /* stays done */
    }
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */

static void test_utf8_table(void)
{
    static const struct {
        const char *s;
        size_t len;
        bool valid;
    } cases[] = {
        {"", 0, true},
        {"A", 1, true},
        {"\0", 1, true}, /* NUL is valid UTF-8; callers reject it */
        {"\x7f", 1, true},
        {"\xc2\x80", 2, true},
        {"\xdf\xbf", 2, true},
        {"\xe0\xa0\x80", 3, true},
        {"\xe6\xad\xa6", 3, true},
        {"\xed\x9f\xbf", 3, true}, /* U+D7FF */
        {"\xee\x80\x80", 3, true}, /* U+E000 */
        {"\xef\xbf\xbf", 3, true}, /* U+FFFF: a noncharacter, but well-formed */
        {"\xf0\x90\x80\x80", 4, true},
        {"\xf4\x8f\xbf\xbf", 4, true}, /* U+10FFFF */
        {"\x80", 1, false},            /* lone continuation */
        {"\xbf", 1, false},
        {"\xc0\x80", 2, false}, /* overlong */
        {"\xc1\xbf", 2, false},
        {"\xe0\x80\x80", 3, false},
        {"\xe0\x9f\xbf", 3, false},
        {"\xf0\x80\x80\x80", 4, false},
        {"\xf0\x8f\xbf\xbf", 4, false},
        {"\xed\xa0\x80", 3, false}, /* surrogates */
        {"\xed\xbf\xbf", 3, false},
        {"\xed\xa0\x80\xed\xb0\x80", 6, false}, /* a CESU-8 pair */
        {"\xf4\x90\x80\x80", 4, false},         /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, false},
        {"\xf7\xbf\xbf\xbf", 4, false},
        {"\xf8\x88\x80\x80\x80", 5, false}, /* 5- and 6-byte forms */
        {"\xfc\x84\x80\x80\x80\x80", 6, false},
        {"\xfe", 1, false},
        {"\xff", 1, false},
        {"\xc2", 1, false}, /* truncated */
        {"\xe6\xad", 2, false},
        {"\xf0\x9f\x98", 3, false},
        {"a\xe6", 2, false},
        {"\xc2\x41", 2, false}, /* a non-continuation inside */
        {"\xe6\x41\xa6", 3, false},
        {"\xe6\xad\x41", 3, false},
        {"\xf0\x9f\x98\x41", 4, false},
        {"\xe6\xad\xa6\xe6\xad\xa6\x80", 7, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        T_CHECKF(utf8_valid(cases[i].s, cases[i].len) == cases[i].valid, "case %zu", i);
        uint32_t cp = 0xFFFFFFFFu;
        size_t n = utf8_decode(cases[i].s, cases[i].len, &cp);
        if (cases[i].valid && cases[i].len > 0)
            T_CHECKF(n == cases[i].len, "case %zu: decoded %zu bytes", i, n);
        if (n == 0)
            T_CHECKF(cp == 0xFFFFFFFFu, "case %zu: cp written on failure", i);
    }
    uint32_t cp = 0;
    T_CHECK(utf8_decode("\xe6\xad\xa6", 3, &cp) == 3 && cp == 0x6B66);
    T_CHECK(utf8_decode("\xe6\xad\xa6", 2, &cp) == 0); /* never reads past len */
    T_CHECK(utf8_decode("A", 0, &cp) == 0);
    T_CHECK(utf8_decode("\0", 1, &cp) == 1 && cp == 0);
}

/* Every code point in its shortest form decodes back; surrogates, longer forms and values above
 * U+10FFFF are all refused. */
static void test_utf8_exhaustive(void)
{
    unsigned char b[4];
    int bad = 0;
    for (uint32_t cp = 0; cp <= 0x1FFFFF; cp++) {
        bool ok = cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        for (int n = min_len(cp); n <= 4; n++) {
            enc_utf8(cp, n, b);
            bool want = ok && n == min_len(cp);
            uint32_t got = 0xFFFFFFFFu;
            size_t used = utf8_decode((const char *)b, (size_t)n, &got);
            bool good = utf8_valid((const char *)b, (size_t)n) == want &&
                        (want ? used == (size_t)n && got == cp : used == 0);
            if (!good && bad++ < 10)
                T_CHECKF(good, "U+%04X in %d bytes: valid %d, decoded %zu -> U+%04X", cp, n,
                         utf8_valid((const char *)b, (size_t)n), used, got);
        }
    }
    T_CHECK(bad == 0);
}

/* A brute-force oracle for short strings: well-formed iff it splits into shortest-form
 * encodings of scalar values, found by trying every length at every position. */
static bool oracle_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        bool found = false;
        for (int n = 1; n <= 4 && !found && i + (size_t)n <= len; n++) {
            uint32_t cp;
            if (n == 1) {
                found = s[i] < 0x80;
                continue;
            }
            unsigned char lead_mask = (unsigned char)(0xFF << (7 - n)),
                          lead = (unsigned char)(lead_mask << 1);
            if ((s[i] & lead_mask) != lead)
                continue;
            cp = s[i] & (unsigned char)~lead_mask;
            bool conts = true;
            for (int k = 1; k < n; k++) {
                conts = conts && (s[i + k] & 0xC0) == 0x80;
                cp = cp << 6 | (s[i + k] & 0x3F);
            }
            found = conts && min_len(cp) == n && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
            if (found)
                i += (size_t)n - 1;
        }
        if (!found)
            return false;
        i++;
    }
    return true;
}

static void test_utf8_oracle(void)
{
    static const unsigned char pick[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                         0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                         0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF};
    const size_t np = sizeof pick;
    unsigned char s[4];
    int bad = 0;
    for (uint32_t v = 0; v < 0x10000; v++) { /* every string of one and two bytes */
        s[0] = (unsigned char)(v >> 8);
        s[1] = (unsigned char)v;
        for (size_t len = 1; len <= 2; len++)
            if (utf8_valid((const char *)s, len) != oracle_valid(s, len) && bad++ < 10)
                T_CHECKF(0, "%02X %02X (len %zu)", s[0], s[1], len);
    }
    for (size_t a = 0; a < np; a++) /* boundary bytes in every arrangement of three and four */
        for (size_t b = 0; b < np; b++)
            for (size_t c = 0; c < np; c++)
                for (size_t d = 0; d < np; d++) {
                    s[0] = pick[a], s[1] = pick[b], s[2] = pick[c], s[3] = pick[d];
                    for (size_t len = 3; len <= 4; len++)
                        if (utf8_valid((const char *)s, len) != oracle_valid(s, len) && bad++ < 10)
                            T_CHECKF(0, "%02X %02X %02X %02X (len %zu)", s[0], s[1], s[2], s[3],
                                     len);
                }
    T_CHECK(bad == 0);
}

int main(void)
{
    T_RUN(test_decoding);
    T_RUN(test_refusals);
    T_RUN(test_limits);
    T_RUN(test_round_trip);
    T_RUN(test_garbage);
    T_RUN(test_double);
    T_RUN(test_double_oracle);
    T_RUN(test_uint);
    T_RUN(test_next_item);
    T_RUN(test_utf8_table);
    T_RUN(test_utf8_exhaustive);
    T_RUN(test_utf8_oracle);
    return T_END();
}

/* test_enc.c - api/enc.c: golden documents byte for byte in both formats, exact texts for
 * numbers and escapes, a property test of random documents against an oracle tree, misuse,
 * and reuse after enc_reset. `test_enc --update-golden` rewrites tests/data/golden/ (check
 * the diff by hand before committing it). */
#include "api/enc.h"
#include "tests/lib/mpjson.h"
#include "tests/t.h"

#include <float.h>
#include <math.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdlib.h>

#define GOLDEN_DIR "tests/data/golden/"

/* ---- golden documents ---- */

static void kstr(struct enc *e, const char *k, const char *v)
{
    enc_key(e, k);
    enc_cstr(e, v);
}

static void kdbl(struct enc *e, const char *k, double v, int decimals)
{
    enc_key(e, k);
    enc_double(e, v, decimals);
}

static void facility(struct enc *e, int64_t id, const char *name, const char *cat, double lon,
                     double lat, double dist, double bearing, const char *addr, const char *phone,
                     const char *hours, const char *code)
{
    enc_map(e, 11);
    enc_key(e, "id");
    enc_int(e, id);
    kstr(e, "name", name);
    kstr(e, "category", cat);
    kdbl(e, "lon", lon, 7);
    kdbl(e, "lat", lat, 7);
    kdbl(e, "distance_m", dist, 2);
    kdbl(e, "bearing_deg", bearing, 2);
    kstr(e, "address", addr);
    kstr(e, "phone", phone);
    kstr(e, "hours", hours);
    kstr(e, "division_code", code);
    enc_end(e);
}

static void doc_nearby(struct enc *e)
{
    enc_map(e, 2);
    enc_key(e, "results");
    enc_array(e, 2);
    facility(e, 1024, "百步亭社区服务中心", "community_center", 114.30521674, 30.64312345, 87.354,
             312.4, "湖北省武汉市江岸区百步亭花园路18号", "027-82345678",
             "周一至周五 08:30-12:00, 14:00-17:30", "420102011001");
    facility(e, 7, "武汉市第一医院(\"一医院\")", "hospital", 114.2712003, 30.58033109, 8120.5,
             225.0, NULL, NULL, NULL, "420103");
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, 2);
    enc_end(e);
}

static void doc_error(struct enc *e)
{
    enc_map(e, 1);
    enc_key(e, "error");
    enc_map(e, 3);
    kstr(e, "code", "invalid_param");
    kstr(e, "message", "lon must be a number in [-180, 180], got \"东经114\"\n\t(see /v1/docs)");
    kstr(e, "param", "lon");
    enc_end(e);
    enc_end(e);
}

static void doc_geojson(struct enc *e)
{
    static const double bbox[] = {114.2, 30.5, 114.3, 30.6};
    enc_map(e, 2);
    kstr(e, "type", "FeatureCollection");
    enc_key(e, "features");
    enc_array(e, 1);
    enc_map(e, 3);
    kstr(e, "type", "Feature");
    enc_key(e, "geometry");
    enc_map(e, 2);
    kstr(e, "type", "Point");
    enc_key(e, "coordinates");
    enc_array(e, 2);
    enc_double(e, 114.30521674, 7);
    enc_double(e, -30.64312345, 7);
    enc_end(e);
    enc_end(e);
    enc_key(e, "properties");
    enc_map(e, 3);
    enc_key(e, "id");
    enc_int(e, 1024);
    kstr(e, "name", "百步亭社区服务中心");
    enc_key(e, "bbox");
    enc_array(e, 4);
    for (int i = 0; i < 4; i++)
        enc_double(e, bbox[i], 6);
    for (int i = 0; i < 5; i++)
        enc_end(e);
}

static void doc_edge(struct enc *e)
{
    static const int64_t ints[] = {1,          -1,         -32,       -33,      127,  128,
                                   255,        256,        65535,     65536,    -128, -129,
                                   4294967295, 4294967296, INT64_MIN, INT64_MAX};
    static const struct {
        double v;
        int d;
    } dbls[] = {{-0.0, 2},        {-0.004, 2},  {5, 2},    {0.125, 2},
                {-2.5, 0},        {1e300, 2},   {NAN, 3},  {-INFINITY, 1},
                {-123.456789, 7}, {1e-9, 9},    {0.1, 9},  {9007199254740993.0, 0},
                {1.5e19, 0},      {-1e-300, 9}, {2.675, 2}};
    static const char bad[] = "\xff\xc0\xaf\xed\xa0\x80\xe4\xb8ok";
    enc_array(e, 7);
    enc_array(e, 0);
    enc_end(e);
    enc_map(e, 0);
    enc_end(e);
    enc_array(e, 2);
    enc_array(e, 2);
    enc_array(e, 1);
    enc_null(e);
    enc_end(e);
    enc_array(e, sizeof ints / sizeof ints[0]);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        enc_int(e, ints[i]);
    enc_end(e);
    enc_end(e);
    enc_uint(e, INT64_MAX); /* jansson holds no more; test_exact does UINT64_MAX */
    enc_end(e);
    enc_array(e, 4);
    enc_bool(e, true);
    enc_bool(e, false);
    enc_null(e);
    enc_cstr(e, NULL);
    enc_end(e);
    enc_array(e, sizeof dbls / sizeof dbls[0]);
    for (size_t i = 0; i < sizeof dbls / sizeof dbls[0]; i++)
        enc_double(e, dbls[i].v, dbls[i].d);
    enc_end(e);
    enc_array(e, 6);
    enc_str(e, "", 0);
    enc_cstr(e, "quote\" backslash\\ slash/ \b\f\n\r\t \x01\x1f\x7f");
    enc_str(e, "a\0b", 3);
    enc_cstr(e, "line\xe2\x80\xa8sep\xe2\x80\xa9");
    enc_str(e, bad, sizeof bad - 1);
    enc_cstr(e, "😀 中文 \xef\xbf\xbd \xf4\x8f\xbf\xbf \xc2\x80");
    enc_end(e);
    enc_map(e, 3);
    enc_key(e, "k\"ey\n");
    enc_int(e, 1);
    enc_key(e, "键");
    enc_cstr(e, "值");
    enc_key(e, "bad\xff key");
    enc_int(e, -2);
    enc_end(e);
    enc_end(e);
}

static const struct {
    const char *name;
    void (*build)(struct enc *e);
} goldens[] = {
    {"nearby", doc_nearby}, {"error", doc_error}, {"geojson", doc_geojson}, {"edge", doc_edge}};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0 && ftell(f) >= 0) {
        size_t n = (size_t)ftell(f);
        rewind(f);
        buf = malloc(n + 1);
        *len = fread(buf, 1, n, f);
    }
    if (f)
        fclose(f);
    return buf;
}

/* Builds each golden document in both formats and compares it with its file, or with
 * update set rewrites the files; also checks that the two formats decode to the same tree. */
static bool golden_run(bool update)
{
    struct enc *e;
    T_CHECK(enc_new(ENC_JSON, &e) == GEOD_OK);
    for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
        json_t *parsed[2] = {NULL, NULL};
        for (int f = ENC_JSON; f <= ENC_MSGPACK; f++) {
            char path[256], err[200] = "";
            size_t len, want_len = 0;
            json_error_t je = {.text = ""};
            enc_reset(e, (enum enc_format)f);
            goldens[i].build(e);
            T_CHECKF(enc_ok(e), "%s: %s", goldens[i].name, enc_error(e));
            const char *data = enc_data(e, &len);
            snprintf(path, sizeof path, GOLDEN_DIR "%s.%s", goldens[i].name,
                     f == ENC_JSON ? "json" : "msgpack");
            if (update) {
                FILE *out = fopen(path, "wb");
                T_CHECKF(out && fwrite(data, 1, len, out) == len && !fclose(out), "%s", path);
                printf("wrote %s (%zu bytes)\n", path, len);
            }
            char *want = slurp(path, &want_len);
            T_CHECKF(want && len == want_len && memcmp(data, want, len) == 0,
                     "%s differs from the encoder's %zu bytes", path, len);
            parsed[f] = f == ENC_JSON ? json_loadb(data, len, JSON_ALLOW_NUL, &je)
                                      : mpjson_from_msgpack(data, len, err, sizeof err);
            T_CHECKF(parsed[f], "%s does not parse: %s %s", path, je.text, err);
            free(want);
        }
        char where[300];
        T_CHECKF(mpjson_equal(parsed[0], parsed[1], where, sizeof where), "%s: %s", goldens[i].name,
                 where);
        json_decref(parsed[0]);
        json_decref(parsed[1]);
    }
    enc_free(e);
    return t_cur_fails == 0;
}

static void test_golden(void)
{
    golden_run(false);
}

/* ---- exact texts ---- */

static const char *json_of_double(struct enc *e, double v, int d, char *buf, size_t n)
{
    size_t len;
    enc_reset(e, ENC_JSON);
    enc_double(e, v, d);
    const char *p = enc_data(e, &len);
    snprintf(buf, n, "%.*s", (int)len, enc_ok(e) ? p : "<failed>");
    return buf;
}

static void test_exact(void)
{
    static const struct {
        double v;
        int d;
        const char *json;
    } cases[] = {
        {123.4, 4, "123.4"},
        {5, 2, "5"},
        {-0.0, 2, "0"},
        {-0.001, 2, "0"},
        {0.125, 2, "0.13"},
        {-0.125, 2, "-0.13"},
        {-2.5, 0, "-3"},
        {0.05, 2, "0.05"},
        {-0.05, 2, "-0.05"},
        {1e-9, 9, "0.000000001"},
        {114.30521674, 7, "114.3052167"},
        {1e300, 2, "1e+300"},
        {NAN, 2, "null"},
        {INFINITY, 0, "null"},
        {1.5e19, 0, "1.5e+19"},
        {-DBL_MAX, 9, "-1.7976931348623157e+308"},
        {0x1p62, 0, "4611686018427387904"},
    };
    struct enc *e;
    char buf[64];
    T_CHECK(enc_new(ENC_MSGPACK, &e) == GEOD_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_of_double(e, cases[i].v, cases[i].d, buf, sizeof buf);
        T_CHECKF(strcmp(buf, cases[i].json) == 0, "%.17g/%d gave %s, want %s", cases[i].v,
                 cases[i].d, buf, cases[i].json);
    }
    size_t len;
    enc_reset(e, ENC_MSGPACK);
    enc_double(e, 5, 2); /* float64 5.0, not the integer 5 */
    T_CHECK(enc_ok(e) && memcmp(enc_data(e, &len), "\xcb\x40\x14\0\0\0\0\0\0", 9) == 0 && len == 9);
    enc_reset(e, ENC_MSGPACK);
    enc_uint(e, UINT64_MAX);
    T_CHECK(enc_ok(e) &&
            memcmp(enc_data(e, &len), "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9) == 0 && len == 9);
    enc_reset(e, ENC_JSON);
    enc_array(e, 3);
    enc_uint(e, UINT64_MAX);
    enc_int(e, INT64_MIN);
    enc_str(e, "\"\\\n\x01\xe2\x80\xa8\xff中", 11);
    enc_end(e);
    const char *want = "[18446744073709551615,-9223372036854775808,"
                       "\"\\\"\\\\\\n\\u0001\\u2028\xef\xbf\xbd中\"]";
    const char *got = enc_data(e, &len);
    T_CHECKF(enc_ok(e) && len == strlen(want) && memcmp(got, want, len) == 0, "got %.*s", (int)len,
             got);
    T_CHECK(strcmp(enc_content_type(ENC_JSON), "application/json; charset=utf-8") == 0);
    T_CHECK(strcmp(enc_content_type(ENC_MSGPACK), "application/msgpack") == 0);
    struct enc *bad = e;
    T_CHECK(enc_new((enum enc_format)7, &bad) == GEOD_EINVAL && bad == NULL);
    enc_free(NULL);
    enc_free(e);
}

/* ---- property test: random documents against an oracle tree ---- */

struct gen {
    uint64_t s;            /* xorshift64* state */
    struct enc *ej, *em;   /* the JSON and the msgpack encoder, fed the same calls */
    int budget;            /* values this document may still declare */
    int maxdepth, deepest; /* nesting allowed in this document; deepest seen in the run */
};

static uint64_t rnd(struct gen *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 0x2545F4914F6CDD1DULL;
}

/* The reference for "a well-formed UTF-8 sequence starts here": decode, then check range,
 * overlong and surrogate (written differently from enc.c's table on purpose). */
static size_t ref_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0)
        k = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        k = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        k = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    return cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : k;
}

static bool valid_utf8(const char *p, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = ref_seq((const unsigned char *)p + i, n - i)))
            return false;
    return true;
}

/* The oracle's string: each byte that starts no well-formed sequence becomes U+FFFD. */
static json_t *ref_string(const char *s, size_t n)
{
    char *out = malloc(3 * n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = ref_seq((const unsigned char *)s + i, n - i);
        memcpy(out + o, k ? s + i : "\xef\xbf\xbd", k ? k : 3);
        o += k ? k : 3;
        i += k ? k : 1;
    }
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

static size_t put_utf8(char *p, uint32_t cp)
{
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        p[i] = (char)(0x80 | (cp & 63));
    p[0] = (char)(lead[n] | cp);
    return n;
}

/* Random text into buf (room for 4 * 24 bytes): ASCII, escapes, controls (NUL only if nul),
 * well-formed code points of every length, and stray bytes. Returns the length. */
static size_t rnd_text(struct gen *g, char *buf, bool nul)
{
    static const uint32_t special[] = {0x2028, 0x2029, 0xFFFD, 0x10FFFF, 0x4E2D, 0x80,
                                       0x7FF,  0x800,  0xFFFF, 0x10000,  0xD7FF, 0xE000};
    size_t n = 0, atoms = rnd(g) % 25;
    for (size_t i = 0; i < atoms; i++) {
        uint64_t r = rnd(g);
        switch (r % 8) {
        case 0:
        case 1:
            buf[n++] = (char)(0x20 + (r >> 8) % 95);
            break;
        case 2:
            buf[n++] = "\"\\/\x7f\b\f\n\r\t"[(r >> 8) % 9];
            break;
        case 3:
            buf[n++] = (char)((r >> 8) % 32);
            if (!nul && buf[n - 1] == 0)
                buf[n - 1] = 1;
            break;
        case 4:
            n += put_utf8(buf + n, special[(r >> 8) % (sizeof special / sizeof special[0])]);
            break;
        case 5: { /* a random scalar value: any plane, no surrogates */
            uint32_t cp = (uint32_t)((r >> 8) % 0x110000);
            n += put_utf8(buf + n, cp >= 0xD800 && cp <= 0xDFFF ? 0x4E00 + cp % 0x5000 : cp);
            break;
        }
        default: /* a stray byte, mostly non-ASCII */
            buf[n++] = (char)(0x80 | (r >> 8));
            if (r % 4 == 0)
                buf[n - 1] = (char)((r >> 16) | !nul);
        }
    }
    return n;
}

static int64_t rnd_int(struct gen *g)
{
    static const int64_t special[] = {
        0,         1,        -1,    127,       128,       -32,
        -33,       -128,     -129,  255,       256,       32767,
        -32768,    65535,    65536, INT32_MAX, INT32_MIN, (int64_t)UINT32_MAX + 1,
        INT64_MAX, INT64_MIN};
    uint64_t r = rnd(g);
    if (r % 2)
        return special[(r >> 8) % (sizeof special / sizeof special[0])];
    uint64_t u = rnd(g) >> (r >> 8) % 64;
    return (int64_t)(r & 4 ? ~u : u);
}

static double rnd_double(struct gen *g)
{
    static const double special[] = {0.0,     -0.0,     NAN,        INFINITY,   -INFINITY,
                                     DBL_MAX, -DBL_MAX, DBL_MIN,    5e-324,     -5e-324,
                                     1e300,   0.5,      -2.5,       1e15 + 0.3, 9.2e18,
                                     -9.3e18, 1e-10,    123.456789, 0x1p53 + 2, 0x1p63};
    uint64_t r = rnd(g), bits;
    double unit = (double)(rnd(g) >> 11) * 0x1p-53, v;
    switch (r % 6) {
    case 0:
        return special[(r >> 8) % (sizeof special / sizeof special[0])];
    case 1:
        return unit * 360 - 180;
    case 2:
        bits = rnd(g);
        memcpy(&v, &bits, sizeof v);
        return v;
    case 3:
        return (unit - 0.5) * 2e6;
    case 4:
        return ldexp(unit - 0.5, (int)((r >> 8) % 160) - 80);
    default: /* a decimal tie at some scale */
        return ((double)((r >> 8) % 2000000) - 1e6 + 0.5) / pow(10, (double)((r >> 40) % 10));
    }
}

#define BOTH(call, ...)                                                                            \
    do {                                                                                           \
        call(g->ej, __VA_ARGS__);                                                                  \
        call(g->em, __VA_ARGS__);                                                                  \
    } while (0)

/* Writes one random value to both encoders and returns what it must decode to. */
static json_t *gen_value(struct gen *g, int depth)
{
    char buf[4 * 24 + 32];
    uint64_t r = rnd(g);
    int deep = g->maxdepth > 8 ? 95 : 35; /* percent chance of a container */
    if (depth < g->maxdepth && g->budget > 0 && (int)(r % 100) < deep) {
        bool map = r & 128;
        uint32_t n = (uint32_t)((r >> 8) % (g->maxdepth > 8 ? 3 : 6));
        n = n > (uint32_t)g->budget ? (uint32_t)g->budget : n;
        g->budget -= (int)n;
        g->deepest = depth + 1 > g->deepest ? depth + 1 : g->deepest;
        json_t *j = map ? json_object() : json_array();
        if (map)
            BOTH(enc_map, n);
        else
            BOTH(enc_array, n);
        for (uint32_t i = 0; i < n; i++) {
            if (map) {
                int pre = snprintf(buf, sizeof buf, "%u:", i); /* keys stay unique */
                buf[pre + rnd_text(g, buf + pre, false)] = '\0';
                BOTH(enc_key, buf);
                json_t *key = ref_string(buf, strlen(buf));
                json_object_set_new(j, json_string_value(key), gen_value(g, depth + 1));
                json_decref(key);
            } else {
                json_array_append_new(j, gen_value(g, depth + 1));
            }
        }
        enc_end(g->ej);
        enc_end(g->em);
        return j;
    }
    switch ((r >> 8) % 8) {
    case 0:
        BOTH(enc_bool, r & 1 << 20);
        return json_boolean(r & 1 << 20);
    case 1: {
        int64_t v = rnd_int(g);
        BOTH(enc_int, v);
        return json_integer(v);
    }
    case 2: { /* jansson cannot hold more than INT64_MAX; test_exact covers the rest */
        uint64_t v = (uint64_t)rnd_int(g) & INT64_MAX;
        BOTH(enc_uint, v);
        return json_integer((json_int_t)v);
    }
    case 3:
    case 4: {
        double v = rnd_double(g), p;
        int d = (int)(rnd(g) % 10);
        BOTH(enc_double, v, d);
        if (!isfinite(v))
            return json_null();
        p = pow(10, d);
        v = isfinite(v * p) ? round(v * p) / p : v;
        return json_real(v == 0 ? 0.0 : v);
    }
    case 5: {
        size_t n = rnd_text(g, buf, true);
        BOTH(enc_str, buf, n);
        return ref_string(buf, n);
    }
    case 6:
        if (r & 1 << 21) {
            buf[rnd_text(g, buf, false)] = '\0';
            BOTH(enc_cstr, buf);
            return ref_string(buf, strlen(buf));
        }
        BOTH(enc_cstr, NULL);
        return json_null();
    default:
        enc_null(g->ej);
        enc_null(g->em);
        return json_null();
    }
}

static void test_property(void)
{
    struct gen g = {.s = 0x9E3779B97F4A7C15ULL};
    const char *seed = getenv("GEOD_SEED");
    if (seed)
        g.s = strtoull(seed, NULL, 0) | 1;
    T_CHECK(enc_new(ENC_JSON, &g.ej) == GEOD_OK && enc_new(ENC_MSGPACK, &g.em) == GEOD_OK);
    for (int it = 0; it < 20000; it++) {
        enc_reset(g.ej, ENC_JSON);
        enc_reset(g.em, ENC_MSGPACK);
        g.maxdepth = rnd(&g) % 8 == 0 ? ENC_MAX_DEPTH : 1 + (int)(rnd(&g) % 5);
        g.budget = 60;
        json_t *want = gen_value(&g, 0);
        size_t jl, ml;
        const char *jd = enc_data(g.ej, &jl), *md = enc_data(g.em, &ml);
        char err[200] = "", where[300] = "";
        json_error_t je = {.text = ""};
        json_t *fromj = NULL, *fromm = NULL;
        bool ok = enc_ok(g.ej) && enc_ok(g.em) && valid_utf8(jd, jl) &&
                  !memmem(jd, jl, "\xe2\x80\xa8", 3) && !memmem(jd, jl, "\xe2\x80\xa9", 3);
        T_CHECKF(ok, "doc %d: %s / %s, or invalid UTF-8", it, enc_error(g.ej), enc_error(g.em));
        fromj = json_loadb(jd, jl, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
        fromm = mpjson_from_msgpack(md, ml, err, sizeof err);
        T_CHECKF(fromj && fromm, "doc %d: json: %s, msgpack: %s: %.*s", it, je.text, err, (int)jl,
                 jd);
        T_CHECKF(mpjson_equal(want, fromj, where, sizeof where), "doc %d json: %s: %.*s", it, where,
                 (int)jl, jd);
        T_CHECKF(mpjson_equal(want, fromm, where, sizeof where), "doc %d msgpack: %s", it, where);
        T_CHECKF(mpjson_equal(fromj, fromm, where, sizeof where), "doc %d: %s", it, where);
        json_decref(want);
        json_decref(fromj);
        json_decref(fromm);
    }
    T_CHECKF(g.deepest == ENC_MAX_DEPTH, "deepest nesting generated %d", g.deepest);
    enc_free(g.ej);
    enc_free(g.em);
}

/* Every 3-byte lead (E0..EF) with every second byte and the third bytes around the
 * continuation range, between two Chinese characters and at the end of the text (cut short):
 * JSON and msgpack read back as the reference decoding (ref_seq), whichever path enc takes. */
static void test_three_byte_text(void)
{
    static const unsigned char thirds[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0,
                                           0xA8, 0xA9, 0xBF, 0xC0, 0xE4, 0xFF};
    struct enc *ej, *em;
    T_CHECK(enc_new(ENC_JSON, &ej) == GEOD_OK && enc_new(ENC_MSGPACK, &em) == GEOD_OK);
    int bad = 0;
    for (unsigned lead = 0xE0; lead <= 0xEF; lead++) {
        for (unsigned b1 = 0; b1 < 256; b1++) {
            for (size_t t = 0; t <= sizeof thirds; t++) {
                /* 中 x x x 中 (t < count), or 中 x x at the very end (t == count) */
                char buf[16] = "\xe4\xb8\xad";
                size_t n = 3;
                buf[n++] = (char)lead;
                buf[n++] = (char)b1;
                if (t < sizeof thirds) {
                    buf[n++] = (char)thirds[t];
                    memcpy(buf + n, "\xe4\xb8\xad", 3);
                    n += 3;
                }
                json_t *want = ref_string(buf, n);
                enc_reset(ej, ENC_JSON);
                enc_reset(em, ENC_MSGPACK);
                enc_str(ej, buf, n);
                enc_str(em, buf, n);
                size_t jl, ml;
                const char *jd = enc_data(ej, &jl), *md = enc_data(em, &ml);
                json_error_t je;
                json_t *fj = json_loadb(jd, jl, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
                json_t *fm = mpjson_from_msgpack(md, ml, NULL, 0);
                char where[200] = "";
                bool ok = fj && fm && valid_utf8(jd, jl) && !memmem(jd, jl, "\xe2\x80\xa8", 3) &&
                          !memmem(jd, jl, "\xe2\x80\xa9", 3) &&
                          mpjson_equal(want, fj, where, sizeof where) &&
                          mpjson_equal(want, fm, where, sizeof where);
                if (!ok && bad++ < 5)
                    T_CHECKF(false, "lead %02x, then %02x, third %zu: %s", lead, b1, t, where);
                json_decref(want);
                json_decref(fj);
                json_decref(fm);
            }
        }
    }
    enc_free(ej);
    enc_free(em);
}

/* ---- misuse and reuse ---- */

/* Runs a script of calls: a<n> array, m<n> map, e end, k key, K NULL key, i int, n null,
 * d a double with 10 decimals, s a NULL string of length 3. */
static void run_script(struct enc *e, const char *s)
{
    while (*s) {
        char op = *s++, *end;
        uint32_t n = (uint32_t)strtoul(s, &end, 10);
        s = end;
        switch (op) {
        case 'a':
            enc_array(e, n);
            break;
        case 'm':
            enc_map(e, n);
            break;
        case 'e':
            enc_end(e);
            break;
        case 'k':
        case 'K':
            enc_key(e, op == 'k' ? "a" : NULL);
            break;
        case 'i':
            enc_int(e, 1);
            break;
        case 'n':
            enc_null(e);
            break;
        case 'd':
            enc_double(e, 1.5, 10);
            break;
        default:
            enc_str(e, NULL, 3);
        }
    }
}

static void test_misuse(void)
{
    static const struct {
        const char *script;
        bool incomplete; /* merely unfinished, not failed */
    } cases[] = {
        {"a2ie", false}, /* fewer items than declared */
        {"a1ii", false}, /* more */
        {"m1i", false},  /* a value where a key is due */
        {"m1kk", false}, /* a key where a value is due */
        {"m1ke", false}, /* a key without its value */
        {"m0k", false},  /* more pairs than declared */
        {"a1k", false},  /* a key in an array */
        {"k", false},    /* a key at the top */
        {"e", false},    /* enc_end with nothing open */
        {"a0ee", false}, /* one enc_end too many */
        {"nn", false},   /* two top-level values */
        {"d", false},    /* decimals out of range */
        {"s", false},    /* NULL string with a length */
        {"m1K", false},  /* NULL key */
        {"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", false}, /* 33 */
        {"m1kn", true}, /* unclosed */
        {"", true},     /* nothing written */
    };
    struct enc *e;
    T_CHECK(enc_new(ENC_JSON, &e) == GEOD_OK);
    for (int f = ENC_JSON; f <= ENC_MSGPACK; f++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            size_t before, after;
            enc_reset(e, (enum enc_format)f);
            run_script(e, cases[i].script);
            const char *why = enc_error(e);
            bool incomplete =
                why && (!strcmp(why, "containers still open") || !strcmp(why, "no value written"));
            T_CHECKF(!enc_ok(e) && why && incomplete == cases[i].incomplete, "\"%s\" format %d: %s",
                     cases[i].script, f, why ? why : "ok");
            if (incomplete)
                continue;
            enc_data(e, &before); /* failed: frozen from now on */
            run_script(e, "eeena0m1kn");
            enc_data(e, &after);
            T_CHECKF(!enc_ok(e) && enc_error(e) == why && before == after,
                     "\"%s\" format %d wrote after failing", cases[i].script, f);
        }
        enc_reset(e, (enum enc_format)f); /* the deepest allowed nesting is fine */
        for (int i = 0; i < ENC_MAX_DEPTH; i++)
            enc_array(e, i < ENC_MAX_DEPTH - 1);
        for (int i = 0; i < ENC_MAX_DEPTH; i++)
            enc_end(e);
        T_CHECKF(enc_ok(e) && !enc_error(e), "depth %d: %s", ENC_MAX_DEPTH, enc_error(e));
        size_t len;
        const char *d = enc_data(e, &len);
        json_t *j = mpjson_from_msgpack(d, len, NULL, 0);
        T_CHECK(f == ENC_JSON || j);
        json_decref(j);
    }
    enc_free(e);
}

static void test_reset(void)
{
    struct enc *e, *fresh;
    T_CHECK(enc_new(ENC_JSON, &e) == GEOD_OK && enc_new(ENC_MSGPACK, &fresh) == GEOD_OK);
    enc_array(e, 50000); /* grows the buffer well past its first size */
    for (int i = 0; i < 50000; i++)
        enc_cstr(e, "百步亭社区服务中心 \"quoted\"");
    enc_end(e);
    size_t len, flen;
    T_CHECK(enc_ok(e) && enc_data(e, &len) && len > 1000000);
    const char *big = enc_data(e, &len);
    enc_reset(e, ENC_MSGPACK);
    T_CHECK(!enc_ok(e) && enc_data(e, &len) == big && len == 0); /* buffer kept */
    run_script(e, "a1e");                                        /* fail, then recover by reset */
    T_CHECK(!enc_ok(e));
    enc_reset(e, ENC_MSGPACK);
    doc_nearby(e);
    doc_nearby(fresh);
    const char *a = enc_data(e, &len), *b = enc_data(fresh, &flen);
    T_CHECK(enc_ok(e) && enc_ok(fresh) && len == flen && memcmp(a, b, len) == 0);
    enc_reset(e, (enum enc_format)9);
    enc_null(e);
    T_CHECK(!enc_ok(e) && enc_error(e));
    enc_free(e);
    enc_free(fresh);
}

/* The helper the API tests lean on refuses what it cannot represent, before allocating. */
static void test_mpjson(void)
{
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\xc0\xc0", 2},                 /* trailing bytes */
        {"", 0},                         /* nothing */
        {"\x92\x01", 2},                 /* truncated array */
        {"\xdd\xff\xff\xff\xff", 5},     /* 2^32 - 1 items declared, none present */
        {"\xdf\x7f\xff\xff\xff\xc0", 6}, /* a huge map */
        {"\xdb\xff\xff\xff\xf0"
         "ab",
         7},                             /* a huge string */
        {"\xc4\x01x", 3},                /* bin */
        {"\xd4\x01x", 3},                /* fixext */
        {"\xc1", 1},                     /* reserved */
        {"\x81\x01\xc0", 3},             /* non-string key */
        {"\x82\xa1k\xc0\xa1k\xc0", 7},   /* repeated key */
        {"\xa1\xff", 2},                 /* invalid UTF-8 */
        {"\xcf\x80\0\0\0\0\0\0\0", 9},   /* above INT64_MAX */
        {"\xcb\x7f\xf0\0\0\0\0\0\0", 9}, /* infinity */
    };
    char err[200], where[300];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        json_t *j = mpjson_from_msgpack(bad[i].bytes, bad[i].len, err, sizeof err);
        T_CHECKF(!j && err[0], "case %zu accepted", i);
        json_decref(j);
    }
    char deep[40];
    memset(deep, 0x91, sizeof deep);
    deep[ENC_MAX_DEPTH] = (char)0xc0;
    json_t *j = mpjson_from_msgpack(deep, ENC_MAX_DEPTH + 1, err, sizeof err);
    T_CHECKF(j, "%d levels: %s", ENC_MAX_DEPTH, err);
    json_decref(j);
    deep[ENC_MAX_DEPTH + 1] = (char)0xc0;
    T_CHECK(!mpjson_from_msgpack(deep, ENC_MAX_DEPTH + 2, err, sizeof err));

    json_t *a = json_pack("{s:[i,f,s]}", "a/b", 5, 0.5, "x");
    json_t *b = json_pack("{s:[f,f,s]}", "a/b", 5.0, 0.5, "x");
    T_CHECK(mpjson_equal(a, b, where, sizeof where));
    json_array_set_new(json_object_get(b, "a/b"), 0, json_real(-0.0));
    json_array_set_new(json_object_get(a, "a/b"), 0, json_integer(0));
    T_CHECKF(!mpjson_equal(a, b, where, sizeof where) && strncmp(where, "/a~1b/0:", 8) == 0,
             "where: %s", where);
    json_decref(a);
    json_decref(b);
}

/* ---- msgpack forms against msgpack-c ----
 * enc writes msgpack itself; msgpack-c's packer is the second implementation: each value, and
 * each container header, must come out as the same bytes. */

static struct enc *mp_enc;
static msgpack_sbuffer mp_sbuf;
static msgpack_packer mp_pk;
static int mp_mismatches;

static void mp_begin(void)
{
    enc_reset(mp_enc, ENC_MSGPACK);
    msgpack_sbuffer_clear(&mp_sbuf);
}

/* Compares what enc wrote since mp_begin with what msgpack-c packed. */
static void mp_compare(const char *what, double v)
{
    size_t len;
    const char *got = enc_data(mp_enc, &len);
    if (len == mp_sbuf.size && memcmp(got, mp_sbuf.data, len) == 0)
        return;
    if (mp_mismatches++ < 10)
        T_CHECKF(false, "%s %.17g: enc wrote %zu bytes (first %02x), msgpack-c %zu (first %02x)",
                 what, v, len, len ? (unsigned char)got[0] : 0, mp_sbuf.size,
                 mp_sbuf.size ? (unsigned char)mp_sbuf.data[0] : 0);
}

static void mp_check_uint(uint64_t v)
{
    mp_begin();
    enc_uint(mp_enc, v);
    msgpack_pack_uint64(&mp_pk, v);
    mp_compare("uint", (double)v);
}

static void mp_check_int(int64_t v)
{
    mp_begin();
    enc_int(mp_enc, v);
    msgpack_pack_int64(&mp_pk, v);
    mp_compare("int", (double)v);
}

static void mp_check_container(bool map, uint32_t n)
{
    mp_begin();
    if (map) {
        enc_map(mp_enc, n);
        msgpack_pack_map(&mp_pk, n);
    } else {
        enc_array(mp_enc, n);
        msgpack_pack_array(&mp_pk, n);
    }
    mp_compare(map ? "map header" : "array header", n);
}

/* A well-formed string of n bytes (ASCII, or 3-byte characters and ASCII), as value and key. */
static void mp_check_str(const char *s, size_t n)
{
    mp_begin();
    enc_str(mp_enc, s, n);
    msgpack_pack_str(&mp_pk, n);
    msgpack_pack_str_body(&mp_pk, s, n);
    mp_compare("str", (double)n);
    mp_begin();
    enc_map(mp_enc, 1);
    enc_key_n(mp_enc, s, n);
    msgpack_pack_map(&mp_pk, 1);
    msgpack_pack_str(&mp_pk, n);
    msgpack_pack_str_body(&mp_pk, s, n);
    mp_compare("key", (double)n);
}

static void test_msgpack_oracle(void)
{
    T_CHECK(enc_new(ENC_MSGPACK, &mp_enc) == GEOD_OK);
    msgpack_sbuffer_init(&mp_sbuf);
    msgpack_packer_init(&mp_pk, &mp_sbuf, msgpack_sbuffer_write);
    struct gen g = {.s = 0x9E3779B97F4A7C15ull};
    /* every width's edges, then random values of every bit length */
    for (int b = 0; b <= 64; b++) {
        uint64_t p = b == 64 ? 0 : 1ull << b;
        for (int d = -2; d <= 2; d++) {
            mp_check_uint(p + (uint64_t)d);
            mp_check_int((int64_t)(p + (uint64_t)d));
            mp_check_int((int64_t)(0 - (p + (uint64_t)d)));
        }
    }
    mp_check_int(INT64_MIN);
    mp_check_int(INT64_MAX);
    mp_check_int(INT32_MIN);
    mp_check_int((int64_t)INT32_MIN - 1);
    for (int i = 0; i < 2000000; i++) {
        int bits = (int)(rnd(&g) % 64) + 1;
        uint64_t v = rnd(&g) >> (64 - bits);
        mp_check_uint(v);
        mp_check_int((int64_t)v);
        mp_check_int(-(int64_t)(v >> 1) - 1);
    }
    /* doubles that rounding to 0 decimals leaves alone, the specials, and -0 made 0 */
    static const double specials[] = {0.0, 1.0, -1.0, 0x1p52, 0x1p53, 0x1p63, -0x1p63, 0x1p64,
                                      1e300, -1e300, DBL_MAX, -DBL_MAX};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        mp_begin();
        enc_double(mp_enc, specials[i], 0);
        msgpack_pack_double(&mp_pk, specials[i]);
        mp_compare("double", specials[i]);
    }
    for (int i = 0; i < 1000000; i++) {
        double v = (double)(int64_t)(rnd(&g) >> (rnd(&g) % 64));
        v = rnd(&g) & 1 ? -v : v;
        mp_begin();
        enc_double(mp_enc, v, 0);
        msgpack_pack_double(&mp_pk, v == 0 ? 0.0 : v);
        mp_compare("double", v);
    }
    mp_begin();
    enc_double(mp_enc, -0.0, 3);
    msgpack_pack_double(&mp_pk, 0.0);
    mp_compare("double", -0.0);
    mp_begin();
    enc_double(mp_enc, NAN, 3);
    msgpack_pack_nil(&mp_pk);
    mp_compare("nan", NAN);
    mp_begin();
    enc_null(mp_enc);
    msgpack_pack_nil(&mp_pk);
    mp_compare("null", 0);
    mp_begin();
    enc_bool(mp_enc, true);
    msgpack_pack_true(&mp_pk);
    mp_compare("true", 1);
    mp_begin();
    enc_bool(mp_enc, false);
    msgpack_pack_false(&mp_pk);
    mp_compare("false", 0);
    /* container headers around each size boundary */
    static const uint32_t sizes[] = {0,     1,     14,    15,         16,         17,
                                     255,   256,   65534, 65535,      65536,      65537,
                                     1u << 24, UINT32_MAX - 1, UINT32_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        mp_check_container(true, sizes[i]);
        mp_check_container(false, sizes[i]);
    }
    /* strings around the fixstr, str8 and str16 boundaries, and 3-byte characters */
    static const size_t lens[] = {0, 1, 7, 8, 9, 30, 31, 32, 33, 254, 255, 256, 257, 65534, 65535,
                                  65536, 65537, 100000};
    char *buf = malloc(100001);
    T_CHECK(buf != NULL);
    for (size_t i = 0; i < 100001; i++)
        buf[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        mp_check_str(buf, lens[i]);
    for (size_t i = 0; i + 3 <= 100001; i += 3)
        memcpy(buf + i, "\xe4\xb8\xad", 3); /* 中 */
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        mp_check_str(buf, lens[i] / 3 * 3);
    for (int i = 0; i < 20000; i++) { /* random short keys and values: printable ASCII */
        char k[40];
        size_t n = rnd(&g) % 40;
        for (size_t j = 0; j < n; j++)
            k[j] = (char)(0x20 + rnd(&g) % 95);
        mp_check_str(k, n);
    }
    free(buf);
    msgpack_sbuffer_destroy(&mp_sbuf);
    enc_free(mp_enc);
}

/* Keys written through enc_key's short-key path against the same key through enc_str's: the
 * same bytes in both formats, for every byte value in every position of keys up to 40 bytes. */
static void test_key_paths(void)
{
    struct enc *a, *b;
    T_CHECK(enc_new(ENC_JSON, &a) == GEOD_OK && enc_new(ENC_JSON, &b) == GEOD_OK);
    struct gen g = {.s = 12345};
    int bad = 0;
    for (int it = 0; it < 200000; it++) {
        char k[41];
        size_t n = rnd(&g) % 41;
        for (size_t j = 0; j < n; j++)
            k[j] = (char)(0x20 + rnd(&g) % 95);
        if (n)
            k[rnd(&g) % n] = (char)(rnd(&g) & 0xff); /* one byte of any value */
        enum enc_format f = it & 1 ? ENC_MSGPACK : ENC_JSON;
        enc_reset(a, f);
        enc_reset(b, f);
        enc_map(a, 1);
        enc_key_n(a, k, n);
        enc_null(a);
        enc_end(a);
        /* the reference: the key as a string value in an array, then the separator by hand */
        enc_array(b, 1);
        enc_str(b, k, n);
        enc_end(b);
        size_t la, lb;
        const char *da = enc_data(a, &la), *db = enc_data(b, &lb);
        /* JSON {"k":null} against ["k"]; msgpack 81 <str> c0 against 91 <str> */
        size_t body = f == ENC_JSON ? lb - 2 : lb - 1;
        bool same = enc_ok(a) && enc_ok(b) &&
                    (f == ENC_JSON ? la == body + 7 && memcmp(da + 1, db + 1, body) == 0 &&
                                         memcmp(da + 1 + body, ":null}", 6) == 0
                                   : la == body + 2 && memcmp(da + 1, db + 1, body) == 0 &&
                                         (unsigned char)da[1 + body] == 0xc0);
        if (!same && bad++ < 5)
            T_CHECKF(false, "key of %zu bytes (%s) differs from the same text as a value", n,
                     f == ENC_JSON ? "json" : "msgpack");
    }
    enc_free(a);
    enc_free(b);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--update-golden") == 0)
        return golden_run(true) ? 0 : 1;
    T_RUN(test_golden);
    T_RUN(test_exact);
    T_RUN(test_property);
    T_RUN(test_three_byte_text);
    T_RUN(test_misuse);
    T_RUN(test_reset);
    T_RUN(test_mpjson);
    T_RUN(test_msgpack_oracle);
    T_RUN(test_key_paths);
    return T_END();
}

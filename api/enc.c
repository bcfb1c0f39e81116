/* enc.c - the response encoder (see enc.h): one growable byte buffer, a stack of open containers
 * that checks the declared counts, and two backends selected per call. It does no I/O.
 *
 * Invariants: stack[0..depth) are the open containers, innermost last; `left` counts the values
 * a container still expects, keys included (a map of n pairs starts at 2n), so in a map a key
 * is due exactly when `left` is even. Once `err` is set nothing more is written. msgpack goes
 * through msgpack-c's packer, whose write callback appends to our buffer; JSON is written
 * directly. Both backends share utf8_seq, so they replace exactly the same bytes by U+FFFD. */
#include "api/enc.h"
#include "index/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct frame {
    uint64_t left; /* values (and keys) still due */
    bool map;      /* a map, else an array */
    bool first;    /* nothing written in it yet: JSON needs no comma */
};

struct enc {
    enum enc_format fmt;
    char *buf;         /* bytes written, buf[0..len) */
    size_t len, cap;   /* cap > 0: enc_new allocates the first buffer */
    const char *err;   /* the first failure, static text, or NULL */
    bool top_done;     /* the top-level value has been started */
    int depth;         /* open containers */
    struct frame stack[ENC_MAX_DEPTH];
};

#define ENC_INITIAL_CAP 4096       /* most answers fit; it doubles from here */
#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

static const double pow10_tab[10] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
static const char hex_digits[] = "0123456789abcdef";

const char *enc_content_type(enum enc_format f)
{
    switch (f) {
    case ENC_JSON:
        return "application/json; charset=utf-8";
    case ENC_MSGPACK:
        return "application/msgpack";
    }
    return "application/octet-stream";
}

static void fail(struct enc *e, const char *why)
{
    if (!e->err)
        e->err = why;
}

/* reserve()'s slow path: doubles the buffer until n more bytes fit. */
static bool grow(struct enc *e, size_t n)
{
    if (e->err)
        return false;
    if (n > SIZE_MAX / 2 - e->len) {
        fail(e, "document too large");
        return false;
    }
    size_t cap = e->cap;
    while (cap - e->len < n)
        cap *= 2;
    char *p = realloc(e->buf, cap);
    if (!p) {
        fail(e, "out of memory");
        return false;
    }
    e->buf = p;
    e->cap = cap;
    return true;
}

/* Makes room for n more bytes; false (and e failed) when that is impossible. */
static inline bool reserve(struct enc *e, size_t n)
{
    return (!e->err && n <= e->cap - e->len) || grow(e, n);
}

static inline void put(struct enc *e, const void *p, size_t n)
{
    if (n && reserve(e, n)) {
        memcpy(e->buf + e->len, p, n);
        e->len += n;
    }
}

static inline void put1(struct enc *e, char c)
{
    if (reserve(e, 1))
        e->buf[e->len++] = c;
}

/* msgpack: a type byte and `bytes` bytes of v, big-endian. */
static inline void mp_head(struct enc *e, unsigned char tag, uint64_t v, int bytes)
{
    if (!reserve(e, 9))
        return;
    unsigned char *p = (unsigned char *)e->buf + e->len;
    *p++ = tag;
    for (int i = bytes - 1; i >= 0; i--)
        *p++ = (unsigned char)(v >> (8 * i));
    e->len += 1 + (size_t)bytes;
}

/* msgpack's map and array headers: fixmap/fixarray below 16, then 16 and 32 bits. */
static void mp_container(struct enc *e, bool map, uint32_t n)
{
    if (n < 16)
        put1(e, (char)((map ? 0x80 : 0x90) | n));
    else if (n < 65536)
        mp_head(e, map ? 0xde : 0xdc, n, 2);
    else
        mp_head(e, map ? 0xdf : 0xdd, n, 4);
}

/* msgpack's str header: fixstr below 32 bytes, then str8, str16, str32. */
static void mp_str_head(struct enc *e, uint32_t n)
{
    if (n < 32)
        put1(e, (char)(0xa0 | n));
    else if (n < 256)
        mp_head(e, 0xd9, n, 1);
    else if (n < 65536)
        mp_head(e, 0xda, n, 2);
    else
        mp_head(e, 0xdb, n, 4);
}

/* msgpack's smallest form of a non-negative integer: positive fixint, uint8..uint64. */
static void mp_uint(struct enc *e, uint64_t v)
{
    if (v < 128)
        put1(e, (char)v);
    else if (v < 256)
        mp_head(e, 0xcc, v, 1);
    else if (v < 65536)
        mp_head(e, 0xcd, v, 2);
    else if (v < 0x100000000ull)
        mp_head(e, 0xce, v, 4);
    else
        mp_head(e, 0xcf, v, 8);
}

/* A negative integer as msgpack-c writes it: negative fixint from -32, then int8..int64. */
static void mp_neg(struct enc *e, int64_t v)
{
    if (v >= -32)
        put1(e, (char)(unsigned char)v);
    else if (v >= -128)
        mp_head(e, 0xd0, (uint64_t)v, 1);
    else if (v >= -32768)
        mp_head(e, 0xd1, (uint64_t)v, 2);
    else if (v >= INT32_MIN)
        mp_head(e, 0xd2, (uint64_t)v, 4);
    else
        mp_head(e, 0xd3, (uint64_t)v, 8);
}

enum geod_err enc_new(enum enc_format f, struct enc **out)
{
    *out = NULL;
    if (f != ENC_JSON && f != ENC_MSGPACK)
        return GEOD_EINVAL;
    struct enc *e = calloc(1, sizeof *e);
    if (!e)
        return GEOD_ENOMEM;
    e->buf = malloc(ENC_INITIAL_CAP);
    if (!e->buf) {
        free(e);
        return GEOD_ENOMEM;
    }
    e->cap = ENC_INITIAL_CAP;
    e->fmt = f;
    *out = e;
    return GEOD_OK;
}

void enc_free(struct enc *e)
{
    if (!e)
        return;
    free(e->buf);
    free(e);
}

void enc_reset(struct enc *e, enum enc_format f)
{
    e->len = 0;
    e->err = NULL;
    e->top_done = false;
    e->depth = 0;
    e->fmt = f;
    if (f != ENC_JSON && f != ENC_MSGPACK)
        fail(e, "unknown format");
}

/* begin()'s slow path: the top level, and every misuse. */
static bool begin_other(struct enc *e, bool key)
{
    if (e->err)
        return false;
    struct frame *f = e->depth ? &e->stack[e->depth - 1] : NULL;
    const char *why = NULL;
    if (key && (!f || !f->map))
        why = "key outside a map";
    else if (!f)
        why = e->top_done ? "more than one top-level value" : NULL;
    else if (f->left == 0)
        why = f->map ? "more pairs than declared" : "more items than declared";
    else if (f->map && key != (f->left % 2 == 0))
        why = key ? "key where a value is due" : "value where a key is due";
    if (why) {
        fail(e, why);
        return false;
    }
    if (!f) {
        e->top_done = true;
        return true;
    }
    if ((key || !f->map) && !f->first && e->fmt == ENC_JSON)
        put1(e, ',');
    f->first = false;
    f->left--;
    return true;
}

/* Accounts for a key (if key) or a value about to be written, and writes the JSON comma that
 * goes before it; false if it is not allowed here, e then failed. Inline for the common case:
 * inside a container that still expects this kind of entry. */
static inline bool begin(struct enc *e, bool key)
{
    struct frame *f = e->depth ? &e->stack[e->depth - 1] : NULL;
    if (e->err || !f || f->left == 0 || (f->map ? key != (f->left % 2 == 0) : key))
        return begin_other(e, key);
    if ((key || !f->map) && !f->first && e->fmt == ENC_JSON)
        put1(e, ',');
    f->first = false;
    f->left--;
    return true;
}

static void open_container(struct enc *e, bool map, uint32_t n)
{
    if (e->err)
        return;
    if (e->depth == ENC_MAX_DEPTH) {
        fail(e, "nesting deeper than ENC_MAX_DEPTH");
        return;
    }
    if (!begin(e, false))
        return;
    e->stack[e->depth++] =
        (struct frame){.left = map ? 2 * (uint64_t)n : n, .map = map, .first = true};
    if (e->fmt == ENC_JSON)
        put1(e, map ? '{' : '[');
    else
        mp_container(e, map, n);
}

void enc_map(struct enc *e, uint32_t npairs)
{
    open_container(e, true, npairs);
}

void enc_array(struct enc *e, uint32_t nitems)
{
    open_container(e, false, nitems);
}

void enc_end(struct enc *e)
{
    if (e->err)
        return;
    if (e->depth == 0) {
        fail(e, "enc_end with no open container");
        return;
    }
    struct frame *f = &e->stack[e->depth - 1];
    if (f->left) {
        fail(e, !f->map       ? "fewer items than declared"
                : f->left % 2 ? "key without a value"
                              : "fewer pairs than declared");
        return;
    }
    e->depth--;
    if (e->fmt == ENC_JSON)
        put1(e, f->map ? '}' : ']');
}

/* What JSON does with a byte inside a string: 0 copy, 1 escape, 2 look at the UTF-8. A table:
 * one load per byte instead of four comparisons, for the bytes past the last 8-byte word. */
#define C1_16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
#define C2_16 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
static const unsigned char json_cls[256] = {
    C1_16, C1_16, ['"'] = 1, ['\\'] = 1, [0x80] = C2_16, C2_16, C2_16, C2_16,
    C2_16, C2_16, C2_16, C2_16};

static inline int json_class(unsigned char c)
{
    return json_cls[c];
}

/* c is a control character, '"' or '\\'. */
static void json_escape(struct enc *e, unsigned char c)
{
    static const char short_form[0x5d] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
                                          ['\t'] = 't', ['"'] = '"',  ['\\'] = '\\'};
    char esc[6] = {'\\', short_form[c], '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
    if (!esc[1])
        esc[1] = 'u';
    put(e, esc, esc[1] == 'u' ? 6 : 2);
}

/* Do the 8 bytes of x all have json_class 0? Once no byte has its high bit set (checked), nor
 * have x ^ '"'.. and x ^ '\\'.., and then (v - 0x01..) & ~v & 0x80.. is non-zero exactly when
 * v has a zero byte, and (x - 0x20..) & ~x & 0x80.. exactly when x has a byte below 0x20 (the
 * bits set need not be those bytes', but only whether any is set matters here). */
static inline bool json_plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t hit = (x - ones * 0x20) | (q - ones) | (b - ones);
    hit &= ~x & ~q & ~b; /* for bytes < 0x80 q and b are < 0x80 too */
    return ((x & high) | (hit & high)) == 0;
}

/* The length of the prefix of s[0..n) that JSON copies as it is (json_class 0 throughout). */
static inline size_t json_plain_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint64_t w;
    while (n - i >= 8 && (memcpy(&w, s + i, 8), json_plain8(w)))
        i += 8;
    while (i < n && json_class(s[i]) == 0)
        i++;
    return i;
}

/* Chinese text's usual character: a 3-byte sequence led by E3..EC, EE or EF. utf8_seq accepts
 * those leads with any two continuation bytes, and none of them is U+2028/U+2029 (led by E2),
 * so both backends may pass such a character on after this check alone. */
static inline bool cjk3(const unsigned char *s)
{
    return s[0] >= 0xE3 && s[0] != 0xED && s[0] <= 0xEF && (s[1] & 0xC0) == 0x80 &&
           (s[2] & 0xC0) == 0x80;
}

/* Copies runs of bytes that need nothing with one memcpy each; a string that needs nothing at
 * all (most keys and much ASCII text) is one reserve and one memcpy. */
static void json_string(struct enc *e, const unsigned char *s, size_t n)
{
    if (!reserve(e, n + 2))
        return;
    size_t i = json_plain_prefix(s, n);
    char *p = e->buf + e->len;
    *p++ = '"';
    if (i == n) {
        memcpy(p, s, n);
        p[n] = '"';
        e->len += n + 2;
        return;
    }
    e->len++;
    size_t run = 0;
    while (i < n) {
        uint64_t w;
        if (n - i >= 8 && (memcpy(&w, s + i, 8), json_plain8(w))) {
            i += 8;
            continue;
        }
        int cls = json_class(s[i]);
        if (cls == 0) {
            i++;
            continue;
        }
        if (cls == 2 && n - i >= 3 && cjk3(s + i)) {
            do
                i += 3;
            while (n - i >= 3 && cjk3(s + i));
            continue;
        }
        size_t k = cls == 2 ? utf8_seq(s + i, n - i) : 0;
        bool sep = k == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] & 0xFE) == 0xA8;
        if (k && !sep) {
            i += k;
            continue;
        }
        put(e, s + run, i - run);
        if (cls == 1) {
            json_escape(e, s[i]);
            i++;
        } else if (sep) { /* U+2028/U+2029 end a line in JavaScript */
            put(e, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            i += 3;
        } else {
            put(e, REPLACEMENT, 3);
            i++;
        }
        run = i;
    }
    put(e, s + run, n - run);
    put1(e, '"');
}

/* Walks s as mp_string writes it, writing it too if emit; returns the byte count. */
static size_t mp_text(struct enc *e, const unsigned char *s, size_t n, bool emit)
{
    size_t out = 0, run = 0, i = 0;
    while (i < n) {
        uint64_t w;
        if (n - i >= 8 && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) {
            i += 8;
            out += 8;
            continue;
        }
        size_t k = s[i] < 0x80 ? 1 : n - i >= 3 && cjk3(s + i) ? 3 : utf8_seq(s + i, n - i);
        if (k) {
            i += k;
            out += k;
            continue;
        }
        if (emit) {
            put(e, s + run, i - run);
            put(e, REPLACEMENT, 3);
        }
        out += 3;
        run = ++i;
    }
    if (emit)
        put(e, s + run, n - run);
    return out;
}

/* msgpack needs the length first, so invalid input is walked twice. */
static void mp_string(struct enc *e, const unsigned char *s, size_t n)
{
    size_t out = mp_text(e, s, n, false);
    if (out > UINT32_MAX) {
        fail(e, "string longer than msgpack allows");
        return;
    }
    mp_str_head(e, (uint32_t)out);
    if (out == n) /* nothing replaced: each replacement adds two bytes */
        put(e, s, n);
    else
        mp_text(e, s, n, true);
}

static void write_str(struct enc *e, const char *s, size_t n)
{
    if (e->fmt == ENC_JSON)
        json_string(e, (const unsigned char *)s, n);
    else
        mp_string(e, (const unsigned char *)s, n);
}

/* Copies k[0..n) (n < 32) to dst and says whether JSON copies every byte as it is. Whole
 * 8-byte (or 4-byte) words, the last one overlapping the one before, read and written at once:
 * no call and no loop over the bytes of a key. */
static inline bool copy_plain(char *dst, const char *k, size_t n)
{
    if (n >= 8) {
        uint64_t w, all = 0;
        bool plain = true;
        for (size_t j = 0; j + 8 <= n; j += 8) {
            memcpy(&w, k + j, 8);
            memcpy(dst + j, &w, 8);
            plain = plain && json_plain8(w);
        }
        memcpy(&all, k + n - 8, 8);
        memcpy(dst + n - 8, &all, 8);
        return plain && json_plain8(all);
    }
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, k, 4);
        memcpy(&b, k + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
        return json_plain8((uint64_t)a << 32 | b);
    }
    bool plain = true;
    for (size_t j = 0; j < n; j++) {
        dst[j] = k[j];
        plain = plain && !json_cls[(unsigned char)k[j]];
    }
    return plain;
}

void enc_key_n(struct enc *e, const char *k, size_t n)
{
    if (!k) {
        fail(e, "NULL key");
        return;
    }
    if (!begin(e, true))
        return;
    /* a short key that needs no escape (every key geod writes): the same bytes as write_str
     * gives, a fixstr in msgpack, copied and checked in one pass; when some byte needs more,
     * what was copied past len is simply left behind for write_str to overwrite */
    if (n < 32 && reserve(e, n + 3)) {
        char *p = e->buf + e->len + 1;
        if (copy_plain(p, k, n)) {
            if (e->fmt == ENC_JSON) {
                p[-1] = '"';
                p[n] = '"';
                p[n + 1] = ':';
                e->len += n + 3;
            } else {
                p[-1] = (char)(0xa0 | n);
                e->len += n + 1;
            }
            return;
        }
    }
    write_str(e, k, n);
    if (e->fmt == ENC_JSON)
        put1(e, ':');
}

void enc_str(struct enc *e, const char *s, size_t len)
{
    if (!s && len) {
        fail(e, "NULL string with a length");
        return;
    }
    if (begin(e, false))
        write_str(e, s ? s : "", len);
}

void enc_cstr(struct enc *e, const char *s)
{
    if (!s)
        enc_null(e);
    else
        enc_str(e, s, strlen(s));
}

/* JSON for an unsigned magnitude, with a '-' before it if neg. */
static void json_digits(struct enc *e, uint64_t u, bool neg)
{
    char tmp[24], *end = tmp + sizeof tmp, *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg)
        *--p = '-';
    put(e, p, (size_t)(end - p));
}

void enc_int(struct enc *e, int64_t v)
{
    if (!begin(e, false))
        return;
    if (e->fmt == ENC_JSON)
        json_digits(e, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
    else if (v < 0)
        mp_neg(e, v);
    else
        mp_uint(e, (uint64_t)v);
}

void enc_uint(struct enc *e, uint64_t v)
{
    if (!begin(e, false))
        return;
    if (e->fmt == ENC_JSON)
        json_digits(e, v, false);
    else
        mp_uint(e, v);
}

void enc_bool(struct enc *e, bool v)
{
    if (!begin(e, false))
        return;
    if (e->fmt == ENC_JSON)
        put(e, v ? "true" : "false", v ? 4 : 5);
    else
        put1(e, v ? (char)0xc3 : (char)0xc2);
}

void enc_null(struct enc *e)
{
    if (!begin(e, false))
        return;
    if (e->fmt == ENC_JSON)
        put(e, "null", 4);
    else
        put1(e, (char)0xc0);
}

/* JSON for n / 10^d in plain notation without trailing zeros. Read by strtod this gives the
 * double nearest n / 10^d, which is exactly r = n / 10^d as computed in enc_double, because
 * 10^d (d <= 9) is exact and IEEE division rounds to nearest too. */
static void json_fixed(struct enc *e, int64_t n, int d)
{
    char tmp[32], *end = tmp + sizeof tmp, *p = end;
    uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
    while (d > 0 && u % 10 == 0) {
        u /= 10;
        d--;
    }
    for (int i = 0; i < d; i++) {
        *--p = (char)('0' + u % 10);
        u /= 10;
    }
    if (d > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0)
        *--p = '-';
    put(e, p, (size_t)(end - p));
}

/* JSON for a large finite r: the shortest "%.Ng" that strtod reads back as r (%.17g always
 * does). Rare (|r| >= 2^63 / 10^d), so a few snprintf/strtod rounds are fine. Assumes the "C"
 * LC_NUMERIC locale, which geod never changes. */
static void json_general(struct enc *e, double r)
{
    char tmp[40];
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, r);
        if (strtod(tmp, NULL) == r)
            break;
    }
    put(e, tmp, (size_t)n);
}

void enc_double(struct enc *e, double v, int decimals)
{
    if (e->err)
        return;
    if (decimals < 0 || decimals > 9) {
        fail(e, "decimals outside 0..9");
        return;
    }
    if (!isfinite(v)) {
        enc_null(e);
        return;
    }
    if (!begin(e, false))
        return;
    double p = pow10_tab[decimals], x = v * p;
    double n = isfinite(x) ? round(x) : v; /* an overflowing product means v is an integer */
    double r = isfinite(x) ? n / p : v;
    if (r == 0)
        r = 0; /* -0 and tiny negatives become 0 */
    if (e->fmt == ENC_MSGPACK) {
        uint64_t bits;
        memcpy(&bits, &r, sizeof bits);
        mp_head(e, 0xcb, bits, 8);
    } else if (fabs(n) < 0x1p63) {
        json_fixed(e, (int64_t)n, decimals);
    } else {
        json_general(e, r);
    }
}

const char *enc_data(const struct enc *e, size_t *len)
{
    *len = e->len;
    return e->buf;
}

bool enc_ok(const struct enc *e)
{
    return !e->err && e->depth == 0 && e->top_done;
}

const char *enc_error(const struct enc *e)
{
    if (e->err)
        return e->err;
    if (e->depth)
        return "containers still open";
    if (!e->top_done)
        return "no value written";
    return NULL;
}

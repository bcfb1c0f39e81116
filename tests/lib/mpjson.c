/* mpjson.c - msgpack to jansson, and a numeric-tolerant deep equality (see mpjson.h).
 *
 * msgpack_unpack_next allocates every array and map the input declares before reading its
 * elements, so a five-byte "array of 2^32 items" would ask for 100 GB. prescan() therefore
 * walks the bytes first, with no allocation, and refuses any declared size that the remaining
 * input cannot hold (every element takes at least one byte), as well as bin, ext, reserved
 * bytes, excess depth, truncation and trailing bytes. Only then does msgpack-c unpack it. */
#include "tests/lib/mpjson.h"

#include <msgpack.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* Big-endian unsigned of w bytes at p[*pos], if the input holds them. */
static bool be(const unsigned char *p, size_t len, size_t *pos, int w, uint64_t *out)
{
    if ((size_t)w > len - *pos)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < w; i++)
        v = v << 8 | p[(*pos)++];
    *out = v;
    return true;
}

/* NULL if p[0..len) is exactly one msgpack object we accept, else why not. */
static const char *prescan(const unsigned char *p, size_t len)
{
    uint64_t pending[MPJSON_MAX_DEPTH + 1]; /* objects still due at each open level */
    int depth = 0;
    size_t pos = 0;
    pending[0] = 1;
    while (depth >= 0) {
        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        pending[depth]--;
        if (pos >= len)
            return "truncated input";
        unsigned c = p[pos++];
        uint64_t n = 0, skip = 0;
        int container = 0; /* 1 array of n, 2 map of n pairs */
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
            continue;
        if (c >= 0x80 && c <= 0x8f)
            n = c & 0x0f, container = 2;
        else if (c >= 0x90 && c <= 0x9f)
            n = c & 0x0f, container = 1;
        else if (c >= 0xa0 && c <= 0xbf)
            skip = c & 0x1f;
        else if (c == 0xca || c == 0xcb)
            skip = c == 0xca ? 4 : 8;
        else if (c >= 0xcc && c <= 0xd3)
            skip = 1u << ((c - 0xcc) & 3);
        else if (c >= 0xd9 && c <= 0xdb) {
            if (!be(p, len, &pos, 1 << (c - 0xd9), &skip))
                return "truncated input";
        } else if (c >= 0xdc && c <= 0xdf) {
            if (!be(p, len, &pos, c & 1 ? 4 : 2, &n))
                return "truncated input";
            container = c <= 0xdd ? 1 : 2;
        } else if (c == 0xc1)
            return "reserved byte 0xc1";
        else if (c >= 0xc4 && c <= 0xc6)
            return "bin is not supported";
        else
            return "ext is not supported";
        if (skip > len - pos)
            return "truncated input";
        pos += skip;
        if (container) {
            if (depth == MPJSON_MAX_DEPTH)
                return "nested too deeply";
            if (container == 2)
                n *= 2; /* n < 2^32, no overflow */
            if (n > len - pos)
                return "container larger than the input";
            pending[++depth] = n;
        }
    }
    return pos == len ? NULL : "trailing bytes after the object";
}

static json_t *convert(const msgpack_object *o, char *err, size_t errlen)
{
    json_t *j = NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX) {
            say(err, errlen, "integer %llu does not fit json_int_t",
                (unsigned long long)o->via.u64);
            return NULL;
        }
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        j = json_real(o->via.f64);
        if (!j)
            say(err, errlen, "non-finite float");
        return j;
    case MSGPACK_OBJECT_STR:
        /* msgpack-c leaves ptr NULL for "", which jansson refuses */
        j = json_stringn(o->via.str.size ? o->via.str.ptr : "", o->via.str.size);
        if (!j)
            say(err, errlen, "string is not valid UTF-8");
        return j;
    case MSGPACK_OBJECT_ARRAY:
        j = json_array();
        for (uint32_t i = 0; j && i < o->via.array.size; i++) {
            json_t *v = convert(&o->via.array.ptr[i], err, errlen);
            if (!v || json_array_append_new(j, v)) {
                json_decref(j);
                return NULL;
            }
        }
        return j;
    case MSGPACK_OBJECT_MAP:
        j = json_object();
        for (uint32_t i = 0; j && i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) {
                say(err, errlen, "map key is not a str");
                json_decref(j);
                return NULL;
            }
            const char *k = kv->key.via.str.size ? kv->key.via.str.ptr : "";
            size_t klen = kv->key.via.str.size;
            if (json_object_getn(j, k, klen)) {
                say(err, errlen, "repeated key \"%.*s\"", (int)klen, k);
                json_decref(j);
                return NULL;
            }
            json_t *v = convert(&kv->val, err, errlen);
            if (!v || json_object_setn_new(j, k, klen, v)) {
                if (v)
                    say(err, errlen, "key is not valid UTF-8");
                json_decref(j);
                return NULL;
            }
        }
        return j;
    default:
        say(err, errlen, "unsupported msgpack type %d", (int)o->type);
        return NULL;
    }
}

json_t *mpjson_from_msgpack(const char *data, size_t len, char *err, size_t errlen)
{
    say(err, errlen, "out of memory");
    if (len > MPJSON_MAX_INPUT) {
        say(err, errlen, "input of %zu bytes is over the limit", len);
        return NULL;
    }
    const char *why = prescan((const unsigned char *)data, len);
    if (why) {
        say(err, errlen, "%s", why);
        return NULL;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    json_t *j = NULL;
    msgpack_unpack_return rc = msgpack_unpack_next(&u, data, len, &off);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len)
        say(err, errlen, "msgpack_unpack_next failed (%d) at %zu of %zu", (int)rc, off, len);
    else
        j = convert(&u.data, err, errlen);
    msgpack_unpacked_destroy(&u);
    return j;
}

static bool bits_equal(double a, double b)
{
    uint64_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

static bool int_equals_real(json_int_t i, double r)
{
    return bits_equal((double)i, r) && r >= -0x1p63 && r < 0x1p63 && (json_int_t)r == i;
}

/* The path so far lives in path[0..plen); children append to it. */
struct walk {
    char path[512];
    size_t plen;
    char *where;
    size_t wherelen;
};

static bool differ(struct walk *w, const char *what)
{
    say(w->where, w->wherelen, "%.*s: %s", (int)w->plen, w->path, what);
    return false;
}

/* Appends "/" and the segment (escaped as in a JSON pointer) to the path; returns the old
 * length to restore. Truncates silently when the buffer is full. */
static size_t push_seg(struct walk *w, const char *s, size_t n)
{
    size_t old = w->plen;
    char *p = w->path;
    size_t cap = sizeof w->path - 1;
    if (w->plen < cap)
        p[w->plen++] = '/';
    for (size_t i = 0; i < n && w->plen + 2 <= cap; i++) {
        if (s[i] == '~' || s[i] == '/') {
            p[w->plen++] = '~';
            p[w->plen++] = s[i] == '~' ? '0' : '1';
        } else {
            p[w->plen++] = s[i];
        }
    }
    return old;
}

static bool equal(struct walk *w, const json_t *a, const json_t *b)
{
    bool an = json_is_number(a), bn = json_is_number(b);
    if (an && bn) {
        if (json_is_integer(a) && json_is_integer(b)) {
            if (json_integer_value(a) != json_integer_value(b))
                return differ(w, "integers differ");
        } else if (json_is_real(a) && json_is_real(b)) {
            if (!bits_equal(json_real_value(a), json_real_value(b)))
                return differ(w, "reals differ");
        } else {
            const json_t *i = json_is_integer(a) ? a : b, *r = json_is_integer(a) ? b : a;
            if (!int_equals_real(json_integer_value(i), json_real_value(r)))
                return differ(w, "integer and real differ");
        }
        return true;
    }
    if (json_typeof(a) != json_typeof(b))
        return differ(w, "types differ");
    char buf[24];
    switch (json_typeof(a)) {
    case JSON_STRING:
        if (json_string_length(a) != json_string_length(b) ||
            memcmp(json_string_value(a), json_string_value(b), json_string_length(a)))
            return differ(w, "strings differ");
        return true;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return differ(w, "array sizes differ");
        for (size_t i = 0; i < json_array_size(a); i++) {
            size_t old = push_seg(w, buf, (size_t)snprintf(buf, sizeof buf, "%zu", i));
            if (!equal(w, json_array_get(a, i), json_array_get(b, i)))
                return false;
            w->plen = old;
        }
        return true;
    case JSON_OBJECT: {
        const char *k;
        size_t klen;
        json_t *va;
        json_object_keylen_foreach((json_t *)a, k, klen, va)
        {
            size_t old = push_seg(w, k, klen);
            const json_t *vb = json_object_getn(b, k, klen);
            if (!vb)
                return differ(w, "key missing from the second");
            if (!equal(w, va, vb))
                return false;
            w->plen = old;
        }
        if (json_object_size(a) != json_object_size(b))
            return differ(w, "the second has keys the first lacks");
        return true;
    }
    default: /* null, true, false: the type is the value */
        return true;
    }
}

bool mpjson_equal(const json_t *a, const json_t *b, char *where, size_t wherelen)
{
    struct walk w = {.plen = 0, .where = where, .wherelen = wherelen};
    say(where, wherelen, "equal");
    if (!a || !b)
        return a == b || differ(&w, "one side is NULL");
    return equal(&w, a, b);
}

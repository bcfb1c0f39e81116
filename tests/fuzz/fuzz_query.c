/* fuzz_query.c - libFuzzer target for api/query.c and index/utf8.c: any bytes as a query string
 * must parse or be refused without a sanitizer report, and whatever comes back must keep the
 * promises of query.h; the value readers run over every value (query_double must give strtod's
 * double); utf8_valid() must agree with decoding one code point after another. A broken promise
 * is __builtin_trap(). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "index/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* valid iff decoding one code point after another consumes everything */
static void check_utf8(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0xFFFFFFFFu;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            break;
        CHECK(n <= UTF8_MAX_SEQ && n <= len - i);
        CHECK(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
        CHECK((n == 1) == (cp < 0x80));
        i += n;
    }
    CHECK(utf8_valid(s, len) == (i == len));
}

static bool in_input(const char *p, size_t n, const char *lo, size_t lo_len)
{
    return p >= lo && n <= lo_len && p + n <= lo + lo_len;
}

static void check_value(const char *v, size_t len)
{
    double d;
    if (query_double(v, len, &d) == GEOD_OK) {
        CHECK(d - d == 0); /* finite */
        /* the same double as strtod (the fuzzer runs in the C locale), whichever path */
        char tmp[80];
        CHECK(len < sizeof tmp);
        memcpy(tmp, v, len);
        tmp[len] = '\0';
        double want = strtod(tmp, NULL);
        CHECK(memcmp(&d, &want, sizeof d) == 0);
    }
    uint64_t u;
    enum geod_err rc = query_uint(v, len, 1000, &u);
    CHECK(rc == GEOD_OK || rc == GEOD_EINVAL || rc == GEOD_ERANGE);
    if (rc == GEOD_OK)
        CHECK(u <= 1000);
    const char *cur = v, *end = v + len, *item;
    size_t item_len, items = 0, item_bytes = 0;
    while (query_next_item(&cur, end, &item, &item_len)) {
        CHECK(in_input(item, item_len, v, len));
        CHECK(++items <= len + 1);
        item_bytes += item_len;
    }
    CHECK(len == 0 ? items == 0 : item_bytes + items - 1 == len); /* items and commas */
}

static void check_ok(const struct query *q, const char *buf, size_t buf_cap, size_t size)
{
    CHECK(q->n <= QUERY_MAX_PARAMS);
    for (size_t i = 0; i < q->n; i++) {
        const struct query_param *p = &q->p[i];
        CHECK(p->name_len > 0 && p->name_len <= size && p->value_len <= size);
        CHECK(in_input(p->name, p->name_len + 1, buf, buf_cap));
        CHECK(in_input(p->value, p->value_len + 1, buf, buf_cap));
        CHECK(p->name[p->name_len] == '\0' && p->value[p->value_len] == '\0');
        CHECK(!memchr(p->name, '\0', p->name_len) && !memchr(p->value, '\0', p->value_len));
        CHECK(utf8_valid(p->name, p->name_len) && utf8_valid(p->value, p->value_len));
        for (size_t j = 0; j < i; j++)
            CHECK(q->p[j].name_len != p->name_len ||
                  memcmp(q->p[j].name, p->name, p->name_len) != 0);
        CHECK(query_get(q, p->name) == p);
        check_value(p->value, p->value_len);
    }
}

static void check_fail(const struct query_fail *fail)
{
    CHECK(fail->code != NULL && fail->message != NULL);
    size_t len = strnlen(fail->param, sizeof fail->param);
    CHECK(len < sizeof fail->param);
    CHECK(utf8_valid(fail->param, len));
    for (size_t i = 0; i < len; i++)
        CHECK((unsigned char)fail->param[i] >= 0x20 && fail->param[i] != 0x7F);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *qs = (const char *)data;
    check_utf8(qs, size);

    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    struct query q;
    struct query_fail fail;
    enum geod_err rc = query_parse(qs, size, buf, size + 1, &q, &fail);
    if (rc == GEOD_OK) {
        CHECK(size <= QUERY_MAX_LEN);
        check_ok(&q, buf, size + 1, size);
    } else {
        CHECK(rc == GEOD_EINVAL);
        check_fail(&fail);
        CHECK((size > QUERY_MAX_LEN) == !strcmp(fail.code, "query_too_long"));
    }
    free(buf);

    /* the whole input as one value, as a handler might see an unchecked header */
    check_value(qs, size);
    return 0;
}

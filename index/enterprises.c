/* enterprises.c - building the welfare-enterprise table with its spatial and name indexes, and the
 * one query it answers. Strings live in one arena; while building, records hold arena offsets,
 * turned into pointers once the arena stops moving (as in snapshot.c). */
#include "index/enterprises.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NSTR 6 /* name, address, district_code, industry, certified_on, source */
#define NO_STR SIZE_MAX

const char *const enterprises_name_suffixes[] = {"股份有限公司", "有限责任公司", "有限公司", "公司",
                                                 NULL};

struct brec {
    struct enterprise e;
    size_t off[NSTR]; /* arena offsets of the strings, NO_STR for NULL */
};

struct enterprises_builder {
    struct brec *r;
    size_t n, cap;
    char *arena;
    size_t len, acap;
};

enum geod_err enterprises_builder_new(struct enterprises_builder **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

void enterprises_builder_free(struct enterprises_builder *b)
{
    if (!b)
        return;
    free(b->r);
    free(b->arena);
    free(b);
}

static enum geod_err put(struct enterprises_builder *b, const char *s, size_t *off)
{
    if (!s) {
        *off = NO_STR;
        return GEOD_OK;
    }
    size_t n = strlen(s) + 1;
    if (b->len + n > b->acap) {
        size_t cap = b->acap ? b->acap : 1 << 14;
        while (cap < b->len + n)
            cap *= 2;
        char *a = realloc(b->arena, cap);
        if (!a)
            return GEOD_ENOMEM;
        b->arena = a;
        b->acap = cap;
    }
    memcpy(b->arena + b->len, s, n);
    *off = b->len;
    b->len += n;
    return GEOD_OK;
}

static bool is_code12(const char *s)
{
    if (strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

enum geod_err enterprises_builder_add(struct enterprises_builder *b, const struct enterprise_in *in)
{
    if (in->id == 0 || !credit_code_valid(in->credit_code) || !in->name || !*in->name ||
        !in->source || !(in->lon >= -180 && in->lon <= 180 && in->lat >= -90 && in->lat <= 90) ||
        (in->district_code && !is_code12(in->district_code)) || in->disabled_employees < -1)
        return GEOD_EINVAL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        struct brec *r = realloc(b->r, cap * sizeof *r);
        if (!r)
            return GEOD_ENOMEM;
        b->r = r;
        b->cap = cap;
    }
    struct brec *r = &b->r[b->n];
    memset(r, 0, sizeof *r);
    r->e.id = in->id;
    r->e.version = in->version;
    r->e.lon = in->lon;
    r->e.lat = in->lat;
    r->e.disabled_employees = in->disabled_employees;
    memcpy(r->e.credit_code, in->credit_code, sizeof r->e.credit_code);
    const char *s[NSTR] = {in->name,     in->address,      in->district_code,
                           in->industry, in->certified_on, in->source};
    for (int i = 0; i < NSTR; i++)
        if (put(b, s[i], &r->off[i]))
            return GEOD_ENOMEM;
    b->n++;
    return GEOD_OK;
}

static int brec_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct brec *)a)->e.id, y = ((const struct brec *)b)->e.id;
    return x < y ? -1 : x > y;
}

/* by_name: indexes ordered by name then id. A merge sort with the table passed along, so that
 * builds on several threads never share a global. */
static void merge_by_name(const struct enterprise *e, uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_by_name(e, a, tmp, h);
    merge_by_name(e, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        const struct enterprise *x = &e[a[i]], *y = &e[a[j]];
        int c = strcmp(x->name, y->name);
        bool left = c < 0 || (c == 0 && x->id < y->id);
        tmp[k++] = left ? a[i++] : a[j++];
    }
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static enum geod_err build_indexes(struct enterprises *t, const struct pinyin_table *pt,
                                   const struct pinyin_overrides *ov)
{
    size_t n = t->n;
    struct rtree_item *items = malloc((n ? n : 1) * sizeof *items);
    struct names_entry *ne = malloc((n ? n : 1) * sizeof *ne);
    uint32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    t->by_name = malloc((n ? n : 1) * sizeof *t->by_name);
    enum geod_err rc = GEOD_ENOMEM;
    if (!items || !ne || !tmp || !t->by_name)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const struct enterprise *e = &t->e[i];
        items[i] = (struct rtree_item){e->lon, e->lat, e->id, 0};
        ne[i] = (struct names_entry){(uint32_t)i, e->name, 0};
        t->by_name[i] = (uint32_t)i;
    }
    merge_by_name(t->e, t->by_name, tmp, n);
    if ((rc = rtree_build(items, n, &t->tree)))
        goto done;
    if (pt) /* even when empty, so that a query is still checked */
        rc = names_new(ne, n, pt, ov, enterprises_name_suffixes, &t->names);
done:
    free(items);
    free(ne);
    free(tmp);
    return rc;
}

static const char *str_at(const char *arena, size_t off)
{
    return off == NO_STR ? NULL : arena + off;
}

enum geod_err enterprises_builder_finish(struct enterprises_builder *b,
                                         const struct pinyin_table *pt,
                                         const struct pinyin_overrides *ov,
                                         struct enterprises **out)
{
    *out = NULL;
    enum geod_err rc = GEOD_ENOMEM;
    struct enterprises *t = calloc(1, sizeof *t);
    struct enterprise *e = malloc((b->n ? b->n : 1) * sizeof *e);
    if (!t || !e)
        goto done;
    if (b->n)
        qsort(b->r, b->n, sizeof *b->r, brec_cmp);
    rc = GEOD_EINVAL;
    for (size_t i = 1; i < b->n; i++)
        if (b->r[i].e.id == b->r[i - 1].e.id)
            goto done;
    t->arena = b->arena;
    t->arena_len = b->len;
    b->arena = NULL;
    for (size_t i = 0; i < b->n; i++) {
        const struct brec *r = &b->r[i];
        e[i] = r->e;
        e[i].name = str_at(t->arena, r->off[0]);
        e[i].address = str_at(t->arena, r->off[1]);
        e[i].district_code = str_at(t->arena, r->off[2]);
        e[i].industry = str_at(t->arena, r->off[3]);
        e[i].certified_on = str_at(t->arena, r->off[4]);
        e[i].source = str_at(t->arena, r->off[5]);
    }
    t->n = b->n;
    t->e = e;
    e = NULL;
    rc = build_indexes(t, pt, ov);
done:
    free(e);
    enterprises_builder_free(b);
    if (rc) {
        enterprises_free(t);
        return rc;
    }
    *out = t;
    return GEOD_OK;
}

enum geod_err enterprises_empty(struct enterprises **out)
{
    struct enterprises_builder *b;
    enum geod_err rc = enterprises_builder_new(&b);
    return rc ? rc : enterprises_builder_finish(b, NULL, NULL, out);
}

void enterprises_free(struct enterprises *t)
{
    if (!t)
        return;
    rtree_free(t->tree);
    names_free(t->names);
    free((void *)t->e);
    free(t->by_name);
    free(t->arena);
    free(t);
}

static size_t index_of(const struct enterprises *t, uint32_t id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->e[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->e[lo].id == id ? lo : SIZE_MAX;
}

const struct enterprise *enterprises_get(const struct enterprises *t, uint32_t id)
{
    size_t i = index_of(t, id);
    return i == SIZE_MAX ? NULL : &t->e[i];
}

size_t enterprises_bytes(const struct enterprises *t)
{
    size_t b = sizeof *t + t->n * (sizeof *t->e + sizeof *t->by_name) + t->arena_len;
    if (t->tree)
        b += rtree_bytes(t->tree);
    if (t->names)
        b += names_bytes(t->names);
    return b;
}

/* ---- the query ---- */

struct filter {
    const struct enterprises *t;
    const char *district; /* 6 digits, or NULL */
    const uint8_t *match; /* bit i: e[i]'s name matches the query; NULL for no query */
};

static bool in_district(const struct filter *f, const struct enterprise *e)
{
    return !f->district || (e->district_code && memcmp(e->district_code, f->district, 6) == 0);
}

static bool accept_index(void *udata, uint32_t idx) /* names_search: ids are indexes */
{
    const struct filter *f = udata;
    return in_district(f, &f->t->e[idx]);
}

static bool accept_id(void *udata, uint32_t id) /* rtree_nearest: ids are enterprise ids */
{
    const struct filter *f = udata;
    size_t i = index_of(f->t, id);
    return i != SIZE_MAX && (!f->match || (f->match[i / 8] >> (i % 8) & 1)) &&
           in_district(f, &f->t->e[i]);
}

static void coords(const void *cdata, uint32_t id, double *lon, double *lat) /* rtree_nearest */
{
    const struct enterprise *e = enterprises_get(cdata, id);
    *lon = e->lon;
    *lat = e->lat;
}

/* names_search asks accept about every name that matches as long as it has not found `limit`
 * accepted ones: refusing them all makes it enumerate the whole match set. */
static bool collect(void *udata, uint32_t idx)
{
    uint8_t *bits = udata;
    bits[idx / 8] |= (uint8_t)(1u << (idx % 8));
    return false;
}

static enum geod_err by_distance(const struct enterprises *t, const struct enterprises_query *q,
                                 struct filter *f, struct rtree_scratch *scratch,
                                 struct rtree_hit *hits, struct enterprises_hit *out, size_t *n)
{
    uint8_t *bits = NULL;
    enum geod_err rc = GEOD_OK;
    if (q->q) {
        struct names_hit none;
        size_t nn;
        if (!(bits = calloc(t->n / 8 + 1, 1)))
            return GEOD_ENOMEM;
        rc = names_search(t->names, q->q, q->qlen, NAMES_ALL_GROUPS, collect, bits, 1, &none, &nn);
        f->match = bits;
    }
    struct rtree_query rq = {
        .lon = q->lon,
        .lat = q->lat,
        .k = (uint32_t)q->limit,
        .max_m = q->max_m,
        .cat_mask = 1,
        .accept = q->q || q->district ? accept_id : NULL,
        .udata = f,
        .coords = coords,
        .cdata = t,
    };
    size_t m = 0;
    if (!rc)
        rc = rtree_nearest(t->tree, &rq, scratch, hits, &m);
    for (size_t i = 0; !rc && i < m; i++)
        out[i] = (struct enterprises_hit){(uint32_t)index_of(t, hits[i].id), hits[i].distance_m};
    *n = rc ? 0 : m;
    free(bits);
    return rc;
}

enum geod_err enterprises_find(const struct enterprises *t, const struct enterprises_query *q,
                               struct rtree_scratch *scratch, struct rtree_hit *hits,
                               struct enterprises_hit *out, size_t *n)
{
    *n = 0;
    if (q->limit == 0 || q->limit > NAMES_MAX_LIMIT)
        return GEOD_EINVAL;
    if (q->q && !t->names)
        return GEOD_ENOTFOUND;
    struct filter f = {t, q->district, NULL};
    if (q->has_pos)
        return by_distance(t, q, &f, scratch, hits, out, n);
    if (q->q) {
        struct names_hit nh[NAMES_MAX_LIMIT];
        size_t m;
        enum geod_err rc = names_search(t->names, q->q, q->qlen, NAMES_ALL_GROUPS,
                                        q->district ? accept_index : NULL, &f, q->limit, nh, &m);
        if (rc)
            return rc;
        for (size_t i = 0; i < m; i++)
            out[i] = (struct enterprises_hit){nh[i].id, NAN};
        *n = m;
        return GEOD_OK;
    }
    size_t m = 0;
    for (size_t i = 0; i < t->n && m < q->limit; i++)
        if (in_district(&f, &t->e[t->by_name[i]]))
            out[m++] = (struct enterprises_hit){t->by_name[i], NAN};
    *n = m;
    return GEOD_OK;
}

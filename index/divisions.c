/* divisions.c - building and looking up the division table. Records hold arena offsets while
 * being built and pointers once the arena stops moving, as in snapshot.c. */
#include "index/divisions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX

struct brec {
    struct division d;
    size_t name, kind, wkb; /* arena offsets (wkb: NONE when absent) */
    char parent[13];        /* "" when none */
};

struct divisions_builder {
    struct brec *r;
    size_t n, cap;
    char *arena;
    size_t len, acap;
};

static const char *const level_names[DIV_LEVELS] = {"city", "district", "street", "community"};

const char *div_level_name(enum div_level level)
{
    return level < DIV_LEVELS ? level_names[level] : "unknown";
}

enum geod_err div_level_parse(const char *name, size_t len, enum div_level *out)
{
    for (int i = 0; i < DIV_LEVELS; i++) {
        if (strlen(level_names[i]) == len && memcmp(level_names[i], name, len) == 0) {
            *out = (enum div_level)i;
            return GEOD_OK;
        }
    }
    return GEOD_EINVAL;
}

enum geod_err divisions_builder_new(struct divisions_builder **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

void divisions_builder_free(struct divisions_builder *b)
{
    if (!b)
        return;
    free(b->r);
    free(b->arena);
    free(b);
}

static enum geod_err put(struct divisions_builder *b, const void *p, size_t n, size_t *off)
{
    if (b->len + n > b->acap) {
        size_t cap = b->acap ? b->acap : 1 << 16;
        while (cap < b->len + n)
            cap *= 2;
        char *a = realloc(b->arena, cap);
        if (!a)
            return GEOD_ENOMEM;
        b->arena = a;
        b->acap = cap;
    }
    memcpy(b->arena + b->len, p, n);
    *off = b->len;
    b->len += n;
    return GEOD_OK;
}

static bool is_code(const char *s)
{
    if (!s || strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

enum geod_err divisions_builder_add(struct divisions_builder *b, const struct division_in *in)
{
    bool centre = !isnan(in->center_lon) || !isnan(in->center_lat);
    if (!is_code(in->code) || !in->name || !*in->name || in->level >= DIV_LEVELS ||
        (in->parent && !is_code(in->parent)) ||
        (centre && !(in->center_lon >= -180 && in->center_lon <= 180 && in->center_lat >= -90 &&
                     in->center_lat <= 90)))
        return GEOD_EINVAL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        struct brec *r = realloc(b->r, cap * sizeof *r);
        if (!r)
            return GEOD_ENOMEM;
        b->r = r;
        b->cap = cap;
    }
    struct brec *r = &b->r[b->n];
    memset(r, 0, sizeof *r);
    memcpy(r->d.code, in->code, 13);
    r->d.level = in->level;
    r->d.center_lon = centre ? in->center_lon : NAN;
    r->d.center_lat = centre ? in->center_lat : NAN;
    r->d.approximate = in->approximate;
    r->d.wkb_len = in->wkb ? in->wkb_len : 0;
    if (in->parent)
        memcpy(r->parent, in->parent, 13);
    const char *kind = in->kind ? in->kind : "";
    if (put(b, in->name, strlen(in->name) + 1, &r->name) ||
        put(b, kind, strlen(kind) + 1, &r->kind))
        return GEOD_ENOMEM;
    r->wkb = NONE;
    if (in->wkb && in->wkb_len && put(b, in->wkb, in->wkb_len, &r->wkb))
        return GEOD_ENOMEM;
    b->n++;
    return GEOD_OK;
}

static int brec_cmp(const void *a, const void *b)
{
    return strcmp(((const struct brec *)a)->d.code, ((const struct brec *)b)->d.code);
}

static int32_t find_in(const struct brec *r, size_t n, const char *code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r[mid].d.code, code);
        if (c == 0)
            return (int32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

enum geod_err divisions_builder_finish(struct divisions_builder *b, struct divisions **out)
{
    *out = NULL;
    enum geod_err rc = GEOD_ENOMEM;
    struct divisions *t = calloc(1, sizeof *t);
    struct division *d = malloc((b->n ? b->n : 1) * sizeof *d);
    if (!t || !d)
        goto done;
    if (b->n)
        qsort(b->r, b->n, sizeof *b->r, brec_cmp);
    rc = GEOD_EINVAL;
    for (size_t i = 1; i < b->n; i++)
        if (strcmp(b->r[i].d.code, b->r[i - 1].d.code) == 0)
            goto done;
    t->arena = b->arena;
    b->arena = NULL;
    for (size_t i = 0; i < b->n; i++) {
        d[i] = b->r[i].d;
        d[i].name = t->arena + b->r[i].name;
        d[i].kind = t->arena + b->r[i].kind;
        d[i].wkb = b->r[i].wkb == NONE ? NULL : (const unsigned char *)t->arena + b->r[i].wkb;
        d[i].parent = b->r[i].parent[0] ? find_in(b->r, b->n, b->r[i].parent) : -1;
    }
    t->n = b->n;
    t->d = d;
    t->hash = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < t->n; i++) {
        const unsigned char *parts[2] = {(const unsigned char *)d[i].code, d[i].wkb};
        size_t lens[2] = {13, d[i].wkb_len};
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; j < lens[k]; j++)
                t->hash = (t->hash ^ parts[k][j]) * 0x100000001b3ull;
        t->hash = (t->hash ^ (unsigned)d[i].level) * 0x100000001b3ull;
    }
    d = NULL;
    rc = GEOD_OK;
done:
    free(d);
    divisions_builder_free(b);
    if (rc) {
        divisions_free(t);
        return rc;
    }
    *out = t;
    return GEOD_OK;
}

void divisions_free(struct divisions *t)
{
    if (!t)
        return;
    free((void *)t->d);
    free(t->arena);
    free(t);
}

int32_t divisions_find(const struct divisions *t, const char *code, size_t len)
{
    if (len != 12)
        return -1;
    char c[13];
    memcpy(c, code, 12);
    c[12] = '\0';
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(t->d[mid].code, c);
        if (cmp == 0)
            return (int32_t)mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

size_t divisions_bytes(const struct divisions *t)
{
    size_t b = sizeof *t + t->n * sizeof *t->d;
    for (size_t i = 0; i < t->n; i++)
        b += strlen(t->d[i].name) + strlen(t->d[i].kind) + 2 + t->d[i].wkb_len;
    return b;
}

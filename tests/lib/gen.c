/* gen.c - random test data (see gen.h). The order of draws is part of the contract: a test that
 * keeps its seed keeps its data. */
#include "tests/lib/gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- randomness ---- */

uint64_t gen_u64(struct gen_rng *g) /* splitmix64 */
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double gen_unit(struct gen_rng *g)
{
    return (double)(gen_u64(g) >> 11) / 9007199254740992.0;
}

size_t gen_below(struct gen_rng *g, size_t n)
{
    return (size_t)(gen_u64(g) % n);
}

/* ---- texts ---- */

static const char *const hostile[] = {
    "a",  "Z",  "7",  " ",   "'",        "\"",   "''",   "\\",        "%",        "_",
    ",",  ";",  "\n", "\t",  "武",       "汉",   "市",   "社区",      "医院",     "服务中心",
    "é",  "ß",  "€",  "😀",   "𠀀",       "《》", "（",   "）",        "\"引号\"", "'单引号'",
    "--", "/*", "*/", "<>&", "\xc2\xa0", "NULL", "null", "{\"a\":1}", "$.name",   "\\u0000",
};
const struct gen_frags gen_frags_hostile = {hostile, sizeof hostile / sizeof hostile[0]};

static const char *const names[] = {"a",  "Z",  " ",    "'",    "\"",          "\\",
                                    "武", "汉", "社区", "医院", "服务中心",    "😀",
                                    "𠀀", "é",  "\n",   "null", "（示例数据）"};
const struct gen_frags gen_frags_names = {names, sizeof names / sizeof names[0]};

char *gen_text(struct gen_rng *g, const struct gen_frags *f, size_t min, size_t max)
{
    size_t k = min + gen_below(g, max - min + 1);
    char buf[GEN_TEXT_MAX];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        const char *p = f->v[gen_below(g, f->n)];
        size_t l = strlen(p);
        if (n + l + 1 > sizeof buf)
            break;
        memcpy(buf + n, p, l + 1);
        n += l;
    }
    return strdup(buf);
}

char *gen_opt(struct gen_rng *g, const struct gen_frags *f, double null_below, double empty_below,
              size_t min, size_t max)
{
    double u = gen_unit(g);
    if (u < null_below)
        return NULL;
    if (u < empty_below)
        return strdup("");
    return gen_text(g, f, min, max);
}

/* ---- categories and facilities ---- */

const char *const gen_cat_id[GEN_NCAT] = {
    "community_center", "street_office",   "relief_station",     "shelter",          "hospital",
    "elderly_care",     "elderly_daycare", "welfare_enterprise", "marriage_registry"};
const char *const gen_cat_zh[GEN_NCAT] = {"社区服务中心", "街道办事处", "救助管理站",
                                          "应急避难场所", "医院",       "养老机构",
                                          "日间照料中心", "福利企业",   "婚姻登记处"};

/* NULL a quarter of the time, "" sometimes, else 1..10 hostile fragments */
static char *opt(struct gen_rng *g)
{
    return gen_opt(g, &gen_frags_hostile, 0.25, 0.3, 1, 10);
}

void gen_facility(struct gen_rng *g, struct gen_fac *r, size_t i, const struct gen_fac *prev)
{
    static const char *const sources[] = {"adcode", "survey", "synthetic", "手工录入"};
    memset(r, 0, sizeof *r);
    r->category = gen_cat_id[gen_below(g, GEN_NCAT)];
    r->name = gen_text(g, &gen_frags_hostile, 1, 12);
    if (i % 500 == 7) { /* a long one */
        free(r->name);
        r->name = gen_text(g, &gen_frags_hostile, 200, 300);
    }
    r->address = opt(g);
    r->phone = gen_unit(g) < 0.3 ? NULL : opt(g);
    r->hours = opt(g);
    if (gen_unit(g) < 0.7) {
        char code[13];
        snprintf(code, sizeof code, "4201%08llu", (unsigned long long)gen_below(g, 100000000));
        r->division_code = strdup(code);
    }
    r->source = strdup(sources[gen_below(g, 4)]);
    if (gen_unit(g) < 0.8) {
        char key[64];
        snprintf(key, sizeof key, "键-%zu'\"", i); /* unique per (source, key) */
        r->source_key = strdup(key);
    }
    if (prev && gen_unit(g) < 0.02) { /* same position as the one before */
        r->lon = prev->lon;
        r->lat = prev->lat;
    } else {
        r->lon = 113.7 + gen_unit(g) * 1.4; /* every bit of the double in use */
        r->lat = 29.97 + gen_unit(g) * 1.4;
        if (gen_unit(g) < 0.2) { /* as importers round them */
            r->lon = round(r->lon * 1e7) / 1e7;
            r->lat = round(r->lat * 1e7) / 1e7;
        }
    }
}

void gen_facility_free(struct gen_fac *r)
{
    free(r->name);
    free(r->address);
    free(r->phone);
    free(r->hours);
    free(r->division_code);
    free(r->source);
    free(r->source_key);
}

struct store_facility gen_store_facility(const struct gen_fac *r)
{
    return (struct store_facility){
        .category = r->category,
        .name = r->name,
        .address = r->address,
        .phone = r->phone,
        .hours = r->hours,
        .lon = r->lon,
        .lat = r->lat,
        .division_code = r->division_code,
        .source = r->source,
        .source_key = r->source_key,
    };
}

/* ---- comparing what came back ---- */

bool gen_same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

bool gen_same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

const char *gen_show(const char *s)
{
    return s ? s : "(null)";
}

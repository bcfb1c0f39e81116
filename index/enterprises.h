/* enterprises.h - the welfare enterprises (福利企业) of a snapshot: the records, a spatial index
 * (exact geodesic nearest and radius queries, index/rtree.h) and a name index (Chinese, pinyin
 * and initials, index/names.h) over them, and the one query /v1/enterprises asks. Immutable once
 * built; safe for concurrent queries, each with its own rtree scratch. No I/O. */
#ifndef GEOD_ENTERPRISES_H
#define GEOD_ENTERPRISES_H

#include "index/credit_code.h"
#include "index/err.h"
#include "index/names.h"
#include "index/pinyin.h"
#include "index/rtree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Company-name suffixes for the name index's suffix rule, longest first, NULL-terminated:
 * 股份有限公司 有限责任公司 有限公司 公司 (so 武汉康乐福利印刷厂 is an exact match of
 * 武汉康乐福利印刷厂有限公司). */
extern const char *const enterprises_name_suffixes[];

/* What a caller hands the builder: strings are copied, NULL means unknown. */
struct enterprise_in {
    uint32_t id; /* the store's id, > 0, unique */
    uint32_t version;
    const char *credit_code; /* credit_code_valid */
    const char *name;        /* never NULL or empty */
    const char *address;
    double lon, lat;           /* WGS-84 degrees */
    const char *district_code; /* 12 digits or NULL */
    const char *industry;
    int64_t disabled_employees; /* -1: unknown */
    const char *certified_on;   /* YYYY-MM-DD or NULL */
    const char *source;         /* never NULL */
};

struct enterprise {
    uint32_t id;
    uint32_t version;
    double lon, lat;
    int64_t disabled_employees; /* -1: unknown */
    char credit_code[CREDIT_CODE_LEN + 1];
    /* NUL-terminated UTF-8 owned by the table; NULL when unknown */
    const char *name; /* never NULL */
    const char *address;
    const char *district_code; /* 12 digits */
    const char *industry;
    const char *certified_on;
    const char *source; /* never NULL */
};

struct enterprises {
    size_t n;
    const struct enterprise *e; /* [n] by ascending id */
    struct rtree *tree;         /* over e, item ids = enterprise ids, one category (0) */
    struct names *names;        /* entry ids = indexes into e; NULL without a pinyin table */
    /* private */
    uint32_t *by_name; /* [n] indexes into e by name (bytewise), then id */
    char *arena;
    size_t arena_len;
};

struct enterprises_builder;

enum geod_err enterprises_builder_new(struct enterprises_builder **out);
void enterprises_builder_free(struct enterprises_builder *b);

/* Adds one. GEOD_EINVAL for id 0, an invalid credit code, a NULL or empty name, a NULL source, a
 * non-finite or out-of-range position, a district code that is not 12 digits, or
 * disabled_employees below -1. Duplicate ids are caught by finish. */
enum geod_err enterprises_builder_add(struct enterprises_builder *b,
                                      const struct enterprise_in *in);

/* Builds the table and frees the builder, whatever the outcome: GEOD_EINVAL for a duplicate id;
 * errors of names_new (a name it refuses). pt and ov (both may be NULL: then no name index) are
 * borrowed as names_new says; with pt there is a name index even over no enterprises. */
enum geod_err enterprises_builder_finish(struct enterprises_builder *b,
                                         const struct pinyin_table *pt,
                                         const struct pinyin_overrides *ov,
                                         struct enterprises **out);

/* An empty table without a name index (a q is then GEOD_ENOTFOUND); finishing an empty builder
 * with a pinyin table gives one whose queries are still checked. */
enum geod_err enterprises_empty(struct enterprises **out);

void enterprises_free(struct enterprises *t);

/* The enterprise with this id, or NULL. */
const struct enterprise *enterprises_get(const struct enterprises *t, uint32_t id);

size_t enterprises_bytes(const struct enterprises *t);

/* A lookup. At least one of q, district, has_pos should be set (without any, it lists every
 * enterprise by name). */
struct enterprises_query {
    const char *q; /* a name query (names.h's syntax) of qlen bytes, or NULL */
    size_t qlen;
    const char *district; /* a 6-digit county code (420102): only enterprises whose
                           * district_code starts with it; NULL for any */
    bool has_pos;         /* lon, lat (WGS-84) given: order by distance */
    double lon, lat;
    double max_m; /* with a position: only within this distance (INFINITY: any) */
    size_t limit; /* at most this many, 1..NAMES_MAX_LIMIT */
};

struct enterprises_hit {
    uint32_t idx;      /* index into e */
    double distance_m; /* with a position: geodesic, within RTREE_DISTANCE_TOL; else NAN */
};

/* The answer, into out[0..*n) (out and hits, the rtree's output, hold q->limit each):
 *   - with a position: the enterprises matching q (any class) and district, within max_m,
 *     nearest first, ties by id: exact, as rtree_nearest;
 *   - with q and no position: names_search's ranking (class, match rank, shorter name, index);
 *   - otherwise: by name (bytewise UTF-8, which is code point order), then id.
 * Errors: those of names_search for q (GEOD_EINVAL, GEOD_ERANGE for a query names.h refuses);
 * GEOD_ENOTFOUND for q when there is no name index; GEOD_EINVAL for a limit of 0 or above
 * NAMES_MAX_LIMIT; GEOD_ENOMEM. */
enum geod_err enterprises_find(const struct enterprises *t, const struct enterprises_query *q,
                               struct rtree_scratch *scratch, struct rtree_hit *hits,
                               struct enterprises_hit *out, size_t *n);

#endif

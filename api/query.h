/* query.h - URL query strings as they arrive from outside (h2o 2.2.5 hands them over raw):
 * split into name/value pairs, percent-decode, validate, and read numbers and comma lists out of
 * the values. Knows nothing about which parameters an endpoint takes; no allocation. */
#ifndef GEOD_QUERY_H
#define GEOD_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/err.h"

#define QUERY_MAX_LEN 4096  /* bytes of raw query string; longer ones are refused */
#define QUERY_MAX_PARAMS 32 /* distinct parameters; more are refused */

/* One decoded parameter. Both strings point into the caller's buffer, are valid UTF-8 without
 * NUL, and are also NUL-terminated there, so they may be handed to C string functions. */
struct query_param {
    const char *name;  /* never empty */
    size_t name_len;   /* bytes, without the terminating NUL */
    const char *value; /* "" for "name=" and for a bare "name" */
    size_t value_len;  /* bytes, without the terminating NUL */
};

struct query {
    struct query_param p[QUERY_MAX_PARAMS]; /* in the order they appear, names all distinct */
    size_t n;                               /* entries of p in use */
};

/* Why a query string was refused, shaped for the {"error":{code,message,param}} body. */
struct query_fail {
    const char *code;    /* static: "query_too_long", "too_many_parameters", "invalid_encoding",
                            "invalid_utf8", "nul_byte", "duplicate_parameter", "invalid_name" */
    const char *message; /* static, one short English sentence */
    char param[64];      /* the offending parameter's decoded name, safe to echo: valid UTF-8,
                            control characters and bad bytes as '?', cut at a character boundary,
                            NUL-terminated; "" when there is no name */
};

/* Parse the `len` raw bytes at `qs` (without the leading '?'; no NUL needed) into `*out` (OUT).
 * Segments are split on '&' (empty ones skipped) and each at its first '=' (none: empty value);
 * "%XX" (either case) and '+' (space) are decoded in names and values alike. The decoded strings
 * are written to `buf` (OUT, caller storage, `buf_cap` bytes, at least len + 1) and must stay
 * there as long as `*out` is used. Returns GEOD_OK; GEOD_EINVAL with `*fail` (OUT) filled for a
 * refused query (the first problem from the left; `*out` is then unspecified); GEOD_ERANGE if
 * `buf_cap` < len + 1 (checked after the length limit, so a QUERY_MAX_LEN + 1 buffer always
 * suffices to tell the client what is wrong). */
enum geod_err query_parse(const char *qs, size_t len, char *buf, size_t buf_cap, struct query *out,
                          struct query_fail *fail);

/* The parameter of `q` named `name` (NUL-terminated, compared bytewise), or NULL if absent. */
const struct query_param *query_get(const struct query *q, const char *name);

/* A decimal number: [+-] digits [. digits] [(e|E) [+-] digits], at least one digit in the
 * mantissa ("5.", ".5" are fine), at most 64 bytes, nothing else (no spaces, hex, "inf", "nan").
 * The `len` bytes at `s` into `*out` (OUT), independent of the locale. GEOD_EINVAL for bad
 * syntax or a result that is not finite (e.g. "1e400"); an underflow rounds towards zero. */
enum geod_err query_double(const char *s, size_t len, double *out);

/* An unsigned decimal of 1..20 digits (leading zeros allowed, no sign) at `s`, `len` bytes,
 * into `*out` (OUT). GEOD_EINVAL for bad syntax, GEOD_ERANGE for a value above `max`. */
enum geod_err query_uint(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Iterate over the comma-separated items of [*cur, end): each call stores the next item in
 * `*item`/`*item_len` (OUT, pointing into the range, possibly empty) and advances `*cur`; returns
 * false when there are no more. "a,,b" gives "a", "", "b"; "a," gives "a", ""; an empty range
 * gives nothing. Start with *cur = value and end = value + value_len, then treat *cur as opaque
 * (it is NULL while an empty last item is pending). */
bool query_next_item(const char **cur, const char *end, const char **item, size_t *item_len);

#endif

/* enc.h - the one writer every response goes through: a streaming encoder with a JSON and a
 * msgpack backend behind one call sequence (GeoJSON is JSON of a given shape, written by the
 * handlers through the JSON backend). It knows nothing of HTTP or of what the documents mean.
 *
 * Usage: declare containers with their sizes up front (msgpack needs them), write keys and
 * values, close each container with enc_end, then check enc_ok and take enc_data:
 *
 *     enc_map(e, 1); enc_key(e, "count"); enc_int(e, 3); enc_end(e);   -> {"count":3}
 *
 * A document is exactly one top-level value. Misuse (a wrong count, a key where a value is due
 * or the reverse, enc_end with nothing open, nesting deeper than ENC_MAX_DEPTH, a second
 * top-level value, a bad argument) and allocation failure put the encoder in a failed state:
 * every later call is a no-op and enc_ok stays false until enc_reset, so a caller that checks
 * enc_ok never sends malformed output. One encoder is used by one thread at a time. */
#ifndef GEOD_ENC_H
#define GEOD_ENC_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ENC_MAX_DEPTH 32 /* containers open at once; msgpack-c's unpacker handles this many */

enum enc_format {
    ENC_JSON,    /* UTF-8 JSON, compact, keys in the order written */
    ENC_MSGPACK, /* msgpack, smallest integer forms, str (never bin) for text */
};

/* The Content-Type of f: "application/json; charset=utf-8" or "application/msgpack";
 * "application/octet-stream" for a value outside the enum. */
const char *enc_content_type(enum enc_format f);

struct enc;

/* A new, empty encoder for f; GEOD_EINVAL for an unknown format, GEOD_ENOMEM. */
enum geod_err enc_new(enum enc_format f, struct enc **out);
void enc_free(struct enc *e); /* enc_free(NULL) is a no-op */
/* Empties e and clears any failure, keeping its buffer, and switches it to format f. */
void enc_reset(struct enc *e, enum enc_format f);

/* Opens a map of exactly npairs key/value pairs, or an array of exactly nitems values. */
void enc_map(struct enc *e, uint32_t npairs);
void enc_array(struct enc *e, uint32_t nitems);
/* Closes the innermost open container, which must have received all it declared. */
void enc_end(struct enc *e);

/* A map key: k[0..n) UTF-8 (invalid bytes become U+FFFD), written like enc_str's text. */
void enc_key_n(struct enc *e, const char *k, size_t n);
/* A map key: NUL-terminated UTF-8. Inline so that a literal key's length is known when
 * compiling. */
static inline void enc_key(struct enc *e, const char *k)
{
    enc_key_n(e, k, k ? strlen(k) : 0);
}
/* Text s[0..len), which may contain NUL; each byte that does not start a well-formed UTF-8
 * sequence is written as U+FFFD in both backends. JSON escapes '"', '\\', control characters
 * (\b \f \n \r \t, else \u00xx) and U+2028/U+2029; other text is written raw. s may be NULL
 * only when len is 0. */
void enc_str(struct enc *e, const char *s, size_t len);
void enc_cstr(struct enc *e, const char *s); /* NUL-terminated; NULL writes null */
void enc_int(struct enc *e, int64_t v);
void enc_uint(struct enc *e, uint64_t v);
void enc_bool(struct enc *e, bool v);
void enc_null(struct enc *e);
/* v rounded to `decimals` (0..9) places: r = round(v * 10^decimals) / 10^decimals (r = v when
 * the product overflows, v then being an integer already), -0 made 0. msgpack writes r as a
 * float64 (so 5 stays 5.0); JSON writes text that strtod reads back as exactly r: without
 * trailing zeros or a trailing point ("123.4", and "5" for 5.0), in plain notation up to
 * |r * 10^decimals| < 2^63, else the shortest "%.Ng" form (e.g. "1e+300"). Non-finite v is
 * written as null in both backends. */
void enc_double(struct enc *e, double v, int decimals);

/* The bytes written so far (not NUL-terminated); meaningful as a document only if enc_ok. */
const char *enc_data(const struct enc *e, size_t *len);
/* True when exactly one complete top-level value has been written without any failure. */
bool enc_ok(const struct enc *e);
/* A static description of the first failure, or of why the document is incomplete; NULL when
 * enc_ok would be true. */
const char *enc_error(const struct enc *e);

#endif

/* mpjson.h - test helpers that let a test compare a msgpack answer with a JSON one: msgpack
 * decoded into a jansson tree, and deep equality of jansson trees that treats the JSON integer
 * 5 and the msgpack float 5.0 as the same value. For tests only (it allocates freely). */
#ifndef GEOD_MPJSON_H
#define GEOD_MPJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define MPJSON_MAX_INPUT (64u << 20) /* larger inputs are refused before unpacking */
#define MPJSON_MAX_DEPTH 32          /* as deep as msgpack-c's unpacker goes */

/* The one msgpack object in data[0..len) as a new jansson value (the caller json_decref()s
 * it): maps with str keys become objects, float32/float64 reals, integers integers, nil null,
 * str strings (which must be valid UTF-8; NUL allowed). Anything else is an error: trailing
 * bytes, a truncated object, bin or ext, a non-str or repeated key, a positive integer above
 * INT64_MAX (jansson cannot hold it), more than MPJSON_MAX_DEPTH levels. On error returns
 * NULL and writes a message to err[0..errlen) (err may be NULL). */
json_t *mpjson_from_msgpack(const char *data, size_t len, char *err, size_t errlen);

/* Deep equality: same types and values, objects with the same key set regardless of order,
 * arrays in order. An integer equals a real holding exactly its value (+0.0 but not -0.0 for
 * 0); two reals must be bit-identical. On a difference returns false and writes the path of
 * the first one, JSON-pointer style ("/results/0/name", "" for the root), and what differs to
 * where[0..wherelen) (where may be NULL). */
bool mpjson_equal(const json_t *a, const json_t *b, char *where, size_t wherelen);

#endif

/* cursor.h - the opaque next_cursor of paged answers: where the last page ended (its exact
 * distance and id) and a fingerprint of the query it belongs to, as 28 base64url characters.
 * Cursors come back from clients, so decoding treats them as hostile bytes. */
#ifndef GEOD_CURSOR_H
#define GEOD_CURSOR_H

#include "index/err.h"

#include <stddef.h>
#include <stdint.h>

#define CURSOR_LEN 28 /* characters, without a terminating NUL */

struct cursor {
    uint64_t query;    /* fingerprint of the query (cursor_fingerprint) */
    double after_m;    /* exact geodesic distance of the last item, finite, >= 0 */
    uint32_t after_id; /* its id */
};

/* A fingerprint of what defines the result list; a cursor only resumes the same list. */
uint64_t cursor_fingerprint(double lon, double lat, double radius_m, uint64_t cat_mask);

/* Writes CURSOR_LEN characters and a NUL into out. */
void cursor_encode(const struct cursor *c, char out[CURSOR_LEN + 1]);

/* GEOD_EINVAL unless s is exactly a cursor this version wrote (the fingerprint is not checked
 * here). */
enum geod_err cursor_decode(const char *s, size_t len, struct cursor *out);

#endif

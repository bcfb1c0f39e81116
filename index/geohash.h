/* geohash.h - geohash bit maths: a (lon, lat) point to an interleaved integer or base32 string,
 * a hash back to its cell box, and a cell's eight neighbours. No search-area logic lives here. */
#ifndef GEOD_GEOHASH_H
#define GEOD_GEOHASH_H

#include <stddef.h>
#include <stdint.h>

#include "index/err.h"

#define GEOHASH_MAX_LEN 12 /* base32 characters: 60 bits, cells of about 4 cm by 2 cm */

/* A cell: [min, max) on both axes, except that the last row and column also hold 90 and 180. */
struct geohash_box {
    double min_lon, min_lat, max_lon, max_lat; /* degrees */
};

/* The eight neighbours, in the order geohash_neighbors*() write them. */
enum geohash_dir {
    GEOHASH_N,
    GEOHASH_NE,
    GEOHASH_E,
    GEOHASH_SE,
    GEOHASH_S,
    GEOHASH_SW,
    GEOHASH_W,
    GEOHASH_NW
};

/* Encode (lon, lat) in degrees, lon in [-180, 180] and lat in [-90, 90], as `len` (1..12)
 * base32 characters plus a NUL into `out` (OUT, at least len + 1 bytes). A point on a cell
 * edge belongs to the upper cell, as in the original geohash.org and PostGIS. */
enum geod_err geohash_encode(double lon, double lat, int len, char *out);

/* Encode (lon, lat) as an integer geohash of `bits` (1..64) bits in the low bits of `*out` (OUT):
 * the most significant of them is the first longitude bit, then latitude, alternating. */
enum geod_err geohash_encode_int(double lon, double lat, int bits, uint64_t *out);

/* The cell of the `len` (1..12) base32 characters at `hash` (no NUL needed; either case) into
 * `*out` (OUT). Any character outside the geohash alphabet is GEOD_EINVAL. */
enum geod_err geohash_decode(const char *hash, size_t len, struct geohash_box *out);

/* The eight neighbours of `hash` (as for geohash_decode) as NUL-terminated lowercase strings of
 * the same length, in enum geohash_dir order, into `out` (OUT). East and west wrap around the
 * antimeridian. A cell in the top (bottom) row has no neighbours to the north (south): those
 * slots get the cell itself, so callers that merely union the nine cells need no special case. */
enum geod_err geohash_neighbors(const char *hash, size_t len, char out[8][GEOHASH_MAX_LEN + 1]);

/* geohash_neighbors() for an integer geohash of `bits` (1..64) bits, into `out` (OUT). A hash
 * with bits set above `bits` is GEOD_EINVAL. */
enum geod_err geohash_neighbors_int(uint64_t hash, int bits, uint64_t out[8]);

#endif

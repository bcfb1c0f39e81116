/* geohash.c - geohash bit maths (see geohash.h); no search-area logic.
 *
 * Format: a geohash of b bits halves longitude and latitude alternately, longitude first, so lon
 * gets ceil(b/2) bits and lat floor(b/2). Read on its own, each axis's bits are the index of the
 * column (row) in a 2^n grid over [-180, 180] ([-90, 90]): e.g. 5 bits "01101" are lon 0 1 1 =
 * column 3 of 8 and lat 1 0 = row 2 of 4, which is base32 'e'. So we compute the two indices with
 * integer maths and interleave them, and a neighbour is just an index plus or minus one. */
#include "index/geohash.h"

#include <math.h>

static const char base32[] = "0123456789bcdefghjkmnpqrstuvwxyz"; /* no a, i, l, o */

/* Neighbour offsets (dlon, dlat) in enum geohash_dir order. */
static const signed char dir_offsets[8][2] = {{0, 1},  {1, 1},   {1, 0},  {1, -1},
                                              {0, -1}, {-1, -1}, {-1, 0}, {-1, 1}};

/* Spread the 32 bits of v to the even bit positions of the result: ...dcba -> .d.c.b.a */
static uint64_t spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | x << 16) & 0x0000ffff0000ffffu;
    x = (x | x << 8) & 0x00ff00ff00ff00ffu;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fu;
    x = (x | x << 2) & 0x3333333333333333u;
    x = (x | x << 1) & 0x5555555555555555u;
    return x;
}

/* The inverse of spread(): gather the even bits of x, dropping the odd ones. */
static uint32_t squash(uint64_t x)
{
    x &= 0x5555555555555555u;
    x = (x | x >> 1) & 0x3333333333333333u;
    x = (x | x >> 2) & 0x0f0f0f0f0f0f0f0fu;
    x = (x | x >> 4) & 0x00ff00ff00ff00ffu;
    x = (x | x >> 8) & 0x0000ffff0000ffffu;
    x = (x | x >> 16) & 0x00000000ffffffffu;
    return (uint32_t)x;
}

/* The west (south) edge of cell i of 2^n over [lo, lo + span]. Exact: with span 360 or 180 the
 * edge is 45 times an integer of at most 2^34, over a power of two, which a double holds, and
 * IEEE arithmetic returns a result that is representable without rounding. */
static double cell_edge(double lo, double span, int n, uint64_t i)
{
    return lo + ldexp(span * (double)i, -n);
}

/* The index of the cell of 2^n over [lo, lo + span] holding v (already checked to lie in the
 * range); the top edge belongs to the last cell. */
static uint32_t cell_index(double v, double lo, double span, int n)
{
    uint64_t cells = (uint64_t)1 << n;
    double f = (v - lo) / span * (double)cells;
    uint64_t i = f >= (double)cells ? cells - 1 : (uint64_t)f;
    /* v - lo and the division round, so a point within an ulp or so of an edge can land one
     * cell off from where exact bisection puts it; settle it against the exact edges, so that
     * a point on an edge goes to the upper cell as in the standard. */
    while (i > 0 && v < cell_edge(lo, span, n, i))
        i--;
    while (i + 1 < cells && v >= cell_edge(lo, span, n, i + 1))
        i++;
    return (uint32_t)i;
}

/* Lon bits go where the first bit (the top one) goes: the odd positions when bits is even. */
static uint64_t interleave(uint32_t x, uint32_t y, int bits)
{
    return bits % 2 ? spread(x) | spread(y) << 1 : spread(x) << 1 | spread(y);
}

static void deinterleave(uint64_t h, int bits, uint32_t *x, uint32_t *y)
{
    *x = squash(bits % 2 ? h : h >> 1);
    *y = squash(bits % 2 ? h >> 1 : h);
}

enum geod_err geohash_encode_int(double lon, double lat, int bits, uint64_t *out)
{
    /* Written so that NaN fails every comparison and is rejected. */
    if (!(lon >= -180.0 && lon <= 180.0 && lat >= -90.0 && lat <= 90.0))
        return GEOD_EINVAL;
    if (bits < 1 || bits > 64 || !out)
        return GEOD_EINVAL;
    uint32_t x = cell_index(lon, -180.0, 360.0, (bits + 1) / 2);
    uint32_t y = cell_index(lat, -90.0, 180.0, bits / 2);
    *out = interleave(x, y, bits);
    return GEOD_OK;
}

static void to_base32(uint64_t h, int len, char *out)
{
    for (int i = len - 1; i >= 0; i--, h >>= 5)
        out[i] = base32[h & 31];
    out[len] = '\0';
}

/* Parse `len` base32 characters into an integer of 5 * len bits. */
static enum geod_err from_base32(const char *hash, size_t len, uint64_t *out)
{
    if (!hash || len < 1 || len > GEOHASH_MAX_LEN)
        return GEOD_EINVAL;
    uint64_t h = 0;
    for (size_t i = 0; i < len; i++) {
        char c = hash[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        int v = 0;
        while (v < 32 && base32[v] != c) /* 32 tries at most; not worth a 256-entry table */
            v++;
        if (v == 32)
            return GEOD_EINVAL;
        h = h << 5 | (uint64_t)v;
    }
    *out = h;
    return GEOD_OK;
}

enum geod_err geohash_encode(double lon, double lat, int len, char *out)
{
    if (len < 1 || len > GEOHASH_MAX_LEN || !out)
        return GEOD_EINVAL;
    uint64_t h;
    enum geod_err rc = geohash_encode_int(lon, lat, 5 * len, &h);
    if (rc)
        return rc;
    to_base32(h, len, out);
    return GEOD_OK;
}

enum geod_err geohash_decode(const char *hash, size_t len, struct geohash_box *out)
{
    uint64_t h;
    enum geod_err rc = from_base32(hash, len, &h);
    if (rc)
        return rc;
    if (!out)
        return GEOD_EINVAL;
    int bits = 5 * (int)len, nlon = (bits + 1) / 2, nlat = bits / 2;
    uint32_t x, y;
    deinterleave(h, bits, &x, &y);
    out->min_lon = cell_edge(-180.0, 360.0, nlon, x);
    out->max_lon = cell_edge(-180.0, 360.0, nlon, (uint64_t)x + 1);
    out->min_lat = cell_edge(-90.0, 180.0, nlat, y);
    out->max_lat = cell_edge(-90.0, 180.0, nlat, (uint64_t)y + 1);
    return GEOD_OK;
}

enum geod_err geohash_neighbors_int(uint64_t hash, int bits, uint64_t out[8])
{
    if (bits < 1 || bits > 64 || !out || (bits < 64 && hash >> bits))
        return GEOD_EINVAL;
    int nlon = (bits + 1) / 2, nlat = bits / 2;
    uint64_t lon_mask = ((uint64_t)1 << nlon) - 1;
    int64_t rows = (int64_t)1 << nlat;
    uint32_t x, y;
    deinterleave(hash, bits, &x, &y);
    for (int d = 0; d < 8; d++) {
        /* Unsigned wrap-around then the mask is x + dlon modulo 2^nlon: the antimeridian. */
        uint64_t nx = ((uint64_t)x + (uint64_t)(int64_t)dir_offsets[d][0]) & lon_mask;
        int64_t ny = (int64_t)y + dir_offsets[d][1];
        /* Nothing lies north of the top row or south of the bottom one (the pole is a point,
         * not a row to step over), so such slots repeat the cell, as geohash.h promises. */
        out[d] = ny < 0 || ny >= rows ? hash : interleave((uint32_t)nx, (uint32_t)ny, bits);
    }
    return GEOD_OK;
}

enum geod_err geohash_neighbors(const char *hash, size_t len, char out[8][GEOHASH_MAX_LEN + 1])
{
    uint64_t h, nb[8];
    enum geod_err rc = from_base32(hash, len, &h);
    if (rc)
        return rc;
    if (!out)
        return GEOD_EINVAL;
    rc = geohash_neighbors_int(h, 5 * (int)len, nb);
    if (rc)
        return rc;
    for (int d = 0; d < 8; d++)
        to_base32(nb[d], (int)len, out[d]);
    return GEOD_OK;
}

/* test_geohash.c - index/geohash.c against every row of the tests/data/geohash_*.csv vectors, a
 * bisection oracle on random and edge points, cell/neighbour geometry, and bad input. */
#include "index/geohash.h"
#include "tests/t.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_FIELDS 24

/* Split one CSV line in place into at most MAX_FIELDS fields; quoted fields may hold commas and
 * "" for a quote. Returns the field count, or -1 for an unterminated quote or too many fields. */
static int csv_split(char *line, char *fld[MAX_FIELDS])
{
    line[strcspn(line, "\r\n")] = '\0';
    int n = 0;
    char *r = line;
    for (;;) {
        if (n == MAX_FIELDS)
            return -1;
        char *w = r;
        fld[n++] = w;
        if (*r == '"') {
            for (r++;; r++) {
                if (*r == '\0')
                    return -1;
                if (*r == '"' && r[1] != '"')
                    break;
                if (*r == '"')
                    r++;
                *w++ = *r;
            }
            r++; /* past the closing quote, which must end the field */
            if (*r != ',' && *r != '\0')
                return -1;
        } else {
            while (*r != ',' && *r != '\0')
                *w++ = *r++;
        }
        char end = *r;
        *w = '\0';
        if (end == '\0')
            return n;
        r++;
    }
}

/* Open a vector file and check its header, so a reordered column fails loudly. */
static FILE *open_vectors(const char *path, const char *header)
{
    FILE *f = fopen(path, "r");
    T_CHECKF(f != NULL, "cannot open %s (tests run from the repository root)", path);
    if (!f)
        return NULL;
    char line[1024];
    T_CHECKF(fgets(line, sizeof line, f) && strncmp(line, header, strlen(header)) == 0 &&
                 strchr("\r\n", line[strlen(header)]),
             "%s: header is not \"%s\"", path, header);
    return f;
}

/* The next data row's fields; 0 at EOF. A truncated line or a wrong field count fails. */
static int next_row(FILE *f, char *line, size_t size, char *fld[MAX_FIELDS], int want)
{
    while (fgets(line, (int)size, f)) {
        if (line[0] == '\n' || line[0] == '\r')
            continue;
        T_CHECKF(strchr(line, '\n') || feof(f), "line too long: %.60s...", line);
        int n = csv_split(line, fld);
        if (n == want)
            return 1;
        T_CHECKF(0, "row with %d fields, expected %d: %.60s", n, want, line);
    }
    return 0;
}

static int num(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == '\0';
}

static uint64_t u64(const char *s, int base)
{
    return strtoull(s, NULL, base);
}

/* |a - b| within a relative 1e-11 of the larger: the decode vectors carry 12 significant
 * digits, so their last digit is off by up to half a unit (5e-12 relative). */
static int close_rel(double a, double b)
{
    return fabs(a - b) <= 1e-11 * fmax(fabs(a), fabs(b));
}

/* The standard algorithm, halving intervals in floating point: the oracle for the integer path.
 * Each mid is a dyadic fraction of 180 or 360 with few bits, so it is exact. */
static uint64_t bisect_encode(double lon, double lat, int bits)
{
    double lo[2] = {-180, -90}, hi[2] = {180, 90}, v[2] = {lon, lat};
    uint64_t h = 0;
    for (int k = 0; k < bits; k++) {
        int a = k % 2;
        double mid = (lo[a] + hi[a]) / 2;
        int up = v[a] >= mid;
        h = h << 1 | (uint64_t)up;
        if (up)
            lo[a] = mid;
        else
            hi[a] = mid;
    }
    return h;
}

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

/* A random value in [lo, lo + span]; half the time exactly on a cell edge of a random level or
 * one ulp either side of it, the cases where rounding could break ties the wrong way. */
static double rnd_coord(uint64_t *s, double lo, double span)
{
    uint64_t r = rnd(s);
    if (r % 2)
        return lo + span * (double)rnd(s) / 9007199254740992.0;
    int level = (int)(rnd(s) % 33);
    double v = lo + ldexp(span * (double)(rnd(s) % (((uint64_t)1 << level) + 1)), -level);
    if (r % 6 == 2)
        v = nextafter(v, lo - 1);
    else if (r % 6 == 4)
        v = nextafter(v, lo + span + 1);
    return fmin(fmax(v, lo), lo + span);
}

static void test_encode_vectors(void)
{
    FILE *f = open_vectors("tests/data/geohash_encode_vectors.csv",
                           "lat,lng,geohash12,uint64_hex,uint64_dec");
    if (!f)
        return;
    char line[1024], *c[MAX_FIELDS], got[16];
    int rows = 0;
    while (next_row(f, line, sizeof line, c, 5)) {
        double lat, lon;
        rows++;
        if (!(num(c[0], &lat) && num(c[1], &lon))) {
            T_CHECKF(0, "row %d: bad numbers", rows);
            continue;
        }
        uint64_t want = u64(c[4], 10), h = 0;
        T_CHECKF(want == u64(c[3], 16), "row %d: hex and decimal columns disagree", rows);
        T_CHECK(geohash_encode_int(lon, lat, 64, &h) == GEOD_OK);
        T_CHECKF(h == want, "row %d: uint64 %" PRIu64 ", expected %" PRIu64, rows, h, want);
        /* Every shorter hash is a prefix of the 12-character one. */
        for (int len = 1; len <= 12; len++) {
            T_CHECK(geohash_encode(lon, lat, len, got) == GEOD_OK);
            T_CHECKF(strlen(got) == (size_t)len && strncmp(got, c[2], (size_t)len) == 0,
                     "row %d: len %d gives %s, expected a prefix of %s", rows, len, got, c[2]);
        }
    }
    fclose(f);
    printf("  encode vectors: %d rows\n", rows);
    T_CHECKF(rows > 0, "no rows read");
}

static void test_decode_vectors(void)
{
    FILE *f = open_vectors("tests/data/geohash_decode_vectors.csv",
                           "geohash,min_lat,max_lat,min_lng,max_lng");
    if (!f)
        return;
    char line[1024], *c[MAX_FIELDS], upper[16];
    int rows = 0;
    while (next_row(f, line, sizeof line, c, 5)) {
        double w[4]; /* min_lat, max_lat, min_lng, max_lng */
        struct geohash_box b, ub;
        size_t len = strlen(c[0]);
        rows++;
        if (!(num(c[1], &w[0]) && num(c[2], &w[1]) && num(c[3], &w[2]) && num(c[4], &w[3]))) {
            T_CHECKF(0, "row %d: bad numbers", rows);
            continue;
        }
        T_CHECKF(geohash_decode(c[0], len, &b) == GEOD_OK, "row %d: %s rejected", rows, c[0]);
        T_CHECKF(close_rel(b.min_lat, w[0]) && close_rel(b.max_lat, w[1]) &&
                     close_rel(b.min_lon, w[2]) && close_rel(b.max_lon, w[3]),
                 "row %d: %s -> lat [%.12g, %.12g] lon [%.12g, %.12g]", rows, c[0], b.min_lat,
                 b.max_lat, b.min_lon, b.max_lon);
        for (size_t i = 0; i <= len && i < sizeof upper; i++)
            upper[i] = (char)(c[0][i] >= 'a' && c[0][i] <= 'z' ? c[0][i] - 'a' + 'A' : c[0][i]);
        T_CHECK(geohash_decode(upper, len, &ub) == GEOD_OK && memcmp(&b, &ub, sizeof b) == 0);
    }
    fclose(f);
    printf("  decode vectors: %d rows\n", rows);
    T_CHECKF(rows > 0, "no rows read");
}

static void test_neighbors_vectors(void)
{
    FILE *f = open_vectors("tests/data/geohash_neighbors_vectors.csv",
                           "lat,lng,geohash,n,ne,e,se,s,sw,w,nw,hash_int,hash_int_bits,"
                           "int_n,int_ne,int_e,int_se,int_s,int_sw,int_w,int_nw");
    if (!f)
        return;
    char line[1024], *c[MAX_FIELDS], got[16], nb[8][GEOHASH_MAX_LEN + 1];
    int rows = 0;
    while (next_row(f, line, sizeof line, c, 21)) {
        double lat, lon;
        uint64_t h = 0, inb[8];
        rows++;
        if (!(num(c[0], &lat) && num(c[1], &lon))) {
            T_CHECKF(0, "row %d: bad numbers", rows);
            continue;
        }
        int len = (int)strlen(c[2]), bits = atoi(c[12]);
        T_CHECK(geohash_encode(lon, lat, len, got) == GEOD_OK && strcmp(got, c[2]) == 0);
        T_CHECK(geohash_neighbors(c[2], (size_t)len, nb) == GEOD_OK);
        for (int d = 0; d < 8; d++)
            T_CHECKF(strcmp(nb[d], c[3 + d]) == 0, "row %d: %s neighbour %d is %s, expected %s",
                     rows, c[2], d, nb[d], c[3 + d]);
        T_CHECK(geohash_encode_int(lon, lat, bits, &h) == GEOD_OK && h == u64(c[11], 10));
        T_CHECK(geohash_neighbors_int(h, bits, inb) == GEOD_OK);
        for (int d = 0; d < 8; d++)
            T_CHECKF(inb[d] == u64(c[13 + d], 10),
                     "row %d: %" PRIu64 "/%d neighbour %d is %" PRIu64 ", expected %s", rows, h,
                     bits, d, inb[d], c[13 + d]);
    }
    fclose(f);
    printf("  neighbors vectors: %d rows\n", rows);
    T_CHECKF(rows > 0, "no rows read");
}

static void test_named_vectors(void)
{
    FILE *f = open_vectors("tests/data/geohash_named_vectors.csv",
                           "source,name,lat,lng,precision,geohash,note");
    if (!f)
        return;
    char line[1024], *c[MAX_FIELDS], got[16];
    int rows = 0;
    while (next_row(f, line, sizeof line, c, 7)) {
        double lat, lon;
        rows++;
        if (!(num(c[2], &lat) && num(c[3], &lon))) {
            T_CHECKF(0, "row %d: bad numbers", rows);
            continue;
        }
        int len = atoi(c[4]);
        T_CHECKF(len >= 1 && len <= 12 && strlen(c[5]) == (size_t)len, "row %d: precision", rows);
        if (len < 1 || len > 12)
            continue;
        T_CHECK(geohash_encode(lon, lat, len, got) == GEOD_OK);
        /* Redis GEOHASH keeps 52 bits, i.e. 10 characters and 2 bits, and pads its 11 characters
         * with a '0' in place of the last one; the first 10 are the standard geohash. */
        if (strncmp(c[0], "Redis", 5) == 0 && len == 11) {
            T_CHECKF(strncmp(got, c[5], 10) == 0 && c[5][10] == '0',
                     "row %d (%s): %s, expected %.10s + Redis's padding '0'", rows, c[1], got,
                     c[5]);
            continue;
        }
        T_CHECKF(strcmp(got, c[5]) == 0, "row %d (%s): %s, expected %s", rows, c[1], got, c[5]);
    }
    fclose(f);
    printf("  named vectors: %d rows\n", rows);
    T_CHECKF(rows > 0, "no rows read");
}

/* Points on cell edges belong to the upper cell; the grid's corners and the poles encode. */
static void test_edges(void)
{
    char got[16];
    uint64_t h;
    T_CHECK(geohash_encode(123.75, 37.25, 12, got) == GEOD_OK && strcmp(got, "wy85bj0hbp21") == 0);
    T_CHECK(geohash_encode(0.0, 0.0, 1, got) == GEOD_OK && strcmp(got, "s") == 0);
    T_CHECK(geohash_encode(-0.0, -0.0, 1, got) == GEOD_OK && strcmp(got, "s") == 0);
    T_CHECK(geohash_encode(-180, -90, 12, got) == GEOD_OK && strcmp(got, "000000000000") == 0);
    T_CHECK(geohash_encode(180, 90, 12, got) == GEOD_OK && strcmp(got, "zzzzzzzzzzzz") == 0);
    T_CHECK(geohash_encode_int(180, 90, 64, &h) == GEOD_OK && h == UINT64_MAX);
    T_CHECK(geohash_encode_int(180, 90, 1, &h) == GEOD_OK && h == 1);
    T_CHECK(geohash_encode_int(-180, 90, 2, &h) == GEOD_OK && h == 1);

    /* 'z' is the top-right cell: nothing north, east wraps to 'b' at the west edge. */
    static const char *const z_nb[8] = {"z", "z", "b", "8", "x", "w", "y", "z"};
    static const char *const zero_nb[8] = {"2", "3", "1", "0", "0", "0", "p", "r"};
    char nb[8][GEOHASH_MAX_LEN + 1];
    T_CHECK(geohash_neighbors("z", 1, nb) == GEOD_OK);
    for (int d = 0; d < 8; d++)
        T_CHECKF(strcmp(nb[d], z_nb[d]) == 0, "z: neighbour %d is %s", d, nb[d]);
    T_CHECK(geohash_neighbors("0", 1, nb) == GEOD_OK);
    for (int d = 0; d < 8; d++)
        T_CHECKF(strcmp(nb[d], zero_nb[d]) == 0, "0: neighbour %d is %s", d, nb[d]);
}

/* The integer path against floating bisection, for every bit count, on random and edge points. */
static void test_oracle(void)
{
    uint64_t s = 42;
    for (int i = 0; i < 20000; i++) {
        double lon = rnd_coord(&s, -180, 360), lat = rnd_coord(&s, -90, 180);
        for (int bits = 1; bits <= 64; bits++) {
            uint64_t h = 0, want = bisect_encode(lon, lat, bits);
            T_CHECK(geohash_encode_int(lon, lat, bits, &h) == GEOD_OK);
            T_CHECKF(h == want, "(%.17g, %.17g) %d bits: %" PRIx64 ", bisection %" PRIx64, lon, lat,
                     bits, h, want);
        }
    }
}

/* decode(encode(p)) contains p, and its size is 360 / 2^lon_bits by 180 / 2^lat_bits. */
static void test_roundtrip(void)
{
    uint64_t s = 7;
    char got[16];
    for (int i = 0; i < 20000; i++) {
        double lon = rnd_coord(&s, -180, 360), lat = rnd_coord(&s, -90, 180);
        for (int len = 1; len <= 12; len++) {
            struct geohash_box b;
            T_CHECK(geohash_encode(lon, lat, len, got) == GEOD_OK);
            T_CHECK(geohash_decode(got, (size_t)len, &b) == GEOD_OK);
            int bits = 5 * len;
            T_CHECKF(b.min_lon <= lon && (lon < b.max_lon || lon == 180) && b.min_lat <= lat &&
                         (lat < b.max_lat || lat == 90),
                     "(%.17g, %.17g) -> %s, box lon [%.17g, %.17g) lat [%.17g, %.17g)", lon, lat,
                     got, b.min_lon, b.max_lon, b.min_lat, b.max_lat);
            T_CHECK(b.max_lon - b.min_lon == ldexp(360, -(bits + 1) / 2));
            T_CHECK(b.max_lat - b.min_lat == ldexp(180, -bits / 2));
        }
    }
}

static int same_range(double a0, double a1, double b0, double b1)
{
    return a0 == b0 && a1 == b1;
}

/* Each neighbour's box touches the cell's on the right side (across the antimeridian for east
 * and west); north of the top row and south of the bottom row the cell itself comes back. */
static void test_neighbor_geometry(void)
{
    static const int dlon[8] = {0, 1, 1, 1, 0, -1, -1, -1}, dlat[8] = {1, 1, 0, -1, -1, -1, 0, 1};
    uint64_t s = 99;
    char hash[16], nb[8][GEOHASH_MAX_LEN + 1];
    for (int i = 0; i < 20000; i++) {
        /* A quarter of the points in the outermost rows and columns. */
        double lon = rnd_coord(&s, -180, 360), lat = rnd_coord(&s, -90, 180);
        if (i % 4 == 0) {
            lon = copysign(180, lon);
            lat = copysign(90, lat) - copysign(1e-9, lat);
        }
        for (int len = 1; len <= 12; len++) {
            struct geohash_box b, n;
            T_CHECK(geohash_encode(lon, lat, len, hash) == GEOD_OK);
            T_CHECK(geohash_decode(hash, (size_t)len, &b) == GEOD_OK);
            T_CHECK(geohash_neighbors(hash, (size_t)len, nb) == GEOD_OK);
            for (int d = 0; d < 8; d++) {
                if ((dlat[d] > 0 && b.max_lat == 90) || (dlat[d] < 0 && b.min_lat == -90)) {
                    T_CHECKF(strcmp(nb[d], hash) == 0, "%s at a pole: %d is %s", hash, d, nb[d]);
                    continue;
                }
                T_CHECK(geohash_decode(nb[d], (size_t)len, &n) == GEOD_OK);
                int lat_ok = dlat[d] > 0   ? n.min_lat == b.max_lat
                             : dlat[d] < 0 ? n.max_lat == b.min_lat
                                           : same_range(n.min_lat, n.max_lat, b.min_lat, b.max_lat);
                int lon_ok = dlon[d] > 0   ? n.min_lon == (b.max_lon == 180 ? -180 : b.max_lon)
                             : dlon[d] < 0 ? n.max_lon == (b.min_lon == -180 ? 180 : b.min_lon)
                                           : same_range(n.min_lon, n.max_lon, b.min_lon, b.max_lon);
                T_CHECKF(lat_ok && lon_ok && n.max_lat - n.min_lat == b.max_lat - b.min_lat &&
                             n.max_lon - n.min_lon == b.max_lon - b.min_lon,
                         "%s: neighbour %d %s is not adjacent", hash, d, nb[d]);
            }
        }
    }
}

/* For integer hashes of every width: the neighbour's opposite neighbour is the cell again. */
static void test_neighbors_int_inverse(void)
{
    uint64_t s = 5;
    for (int i = 0; i < 5000; i++) {
        double lon = rnd_coord(&s, -180, 360), lat = rnd_coord(&s, -90, 180);
        for (int bits = 1; bits <= 64; bits++) {
            uint64_t h = 0, nb[8], back[8];
            T_CHECK(geohash_encode_int(lon, lat, bits, &h) == GEOD_OK);
            T_CHECK(geohash_neighbors_int(h, bits, nb) == GEOD_OK);
            for (int d = 0; d < 8; d++) {
                T_CHECK(geohash_neighbors_int(nb[d], bits, back) == GEOD_OK);
                /* A missing neighbour is the cell, whose opposite is a real neighbour; and with
                 * one lat row every north/south slot repeats. Skip those. */
                if (nb[d] == h)
                    continue;
                T_CHECKF(back[(d + 4) % 8] == h, "%" PRIu64 "/%d: dir %d and back gives %" PRIu64,
                         h, bits, d, back[(d + 4) % 8]);
            }
        }
    }
}

static void test_bad_input(void)
{
    char out[16], nb[8][GEOHASH_MAX_LEN + 1];
    uint64_t h, inb[8];
    struct geohash_box b;
    const double bad[][2] = {{NAN, 0},        {0, NAN},      {INFINITY, 0},
                             {-INFINITY, 0},  {0, INFINITY}, {0, 91},
                             {0, -90.000001}, {181, 0},      {-180.000001, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        T_CHECKF(geohash_encode(bad[i][0], bad[i][1], 5, out) == GEOD_EINVAL, "case %zu", i);
        T_CHECKF(geohash_encode_int(bad[i][0], bad[i][1], 30, &h) == GEOD_EINVAL, "case %zu", i);
    }
    T_CHECK(geohash_encode(0, 0, 0, out) == GEOD_EINVAL);
    T_CHECK(geohash_encode(0, 0, 13, out) == GEOD_EINVAL);
    T_CHECK(geohash_encode(0, 0, 5, NULL) == GEOD_EINVAL);
    T_CHECK(geohash_encode_int(0, 0, 0, &h) == GEOD_EINVAL);
    T_CHECK(geohash_encode_int(0, 0, 65, &h) == GEOD_EINVAL);
    T_CHECK(geohash_encode_int(0, 0, 10, NULL) == GEOD_EINVAL);

    T_CHECK(geohash_decode("", 0, &b) == GEOD_EINVAL);
    T_CHECK(geohash_decode("0123456789bcd", 13, &b) == GEOD_EINVAL);
    T_CHECK(geohash_decode(NULL, 3, &b) == GEOD_EINVAL);
    T_CHECK(geohash_decode("ezs", 3, NULL) == GEOD_EINVAL);
    const char *bad_hash[] = {"a", "i", "l", "o", "A", "I", "L", "O", "ezs4a", "ez s", "ez-s", "{"};
    for (size_t i = 0; i < sizeof bad_hash / sizeof bad_hash[0]; i++) {
        T_CHECKF(geohash_decode(bad_hash[i], strlen(bad_hash[i]), &b) == GEOD_EINVAL, "%s",
                 bad_hash[i]);
        T_CHECKF(geohash_neighbors(bad_hash[i], strlen(bad_hash[i]), nb) == GEOD_EINVAL, "%s",
                 bad_hash[i]);
    }
    T_CHECK(geohash_decode("ez\0s", 4, &b) == GEOD_EINVAL); /* len counts, not the NUL */
    T_CHECK(geohash_decode("ezs42", 3, &b) == GEOD_OK);     /* nor is a NUL needed */
    T_CHECK(geohash_neighbors("", 0, nb) == GEOD_EINVAL);
    T_CHECK(geohash_neighbors("0123456789bcd", 13, nb) == GEOD_EINVAL);

    T_CHECK(geohash_neighbors_int(0, 0, inb) == GEOD_EINVAL);
    T_CHECK(geohash_neighbors_int(0, 65, inb) == GEOD_EINVAL);
    T_CHECK(geohash_neighbors_int(1u << 10, 10, inb) == GEOD_EINVAL); /* bits above `bits` */
    T_CHECK(geohash_neighbors_int(UINT64_MAX, 64, inb) == GEOD_OK);
}

int main(void)
{
    T_RUN(test_encode_vectors);
    T_RUN(test_decode_vectors);
    T_RUN(test_neighbors_vectors);
    T_RUN(test_named_vectors);
    T_RUN(test_edges);
    T_RUN(test_oracle);
    T_RUN(test_roundtrip);
    T_RUN(test_neighbor_geometry);
    T_RUN(test_neighbors_int_inverse);
    T_RUN(test_bad_input);
    return T_END();
}

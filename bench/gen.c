/* gen.c - the benchmark data generator (see gen.h for the determinism contract).
 *
 * Clustered model. 300 cluster centres; the cluster of rank i (0 = heaviest) has weight
 * 1/(i+1) (Zipf, s = 1: the heaviest holds ~16 % of the clustered points, the lightest ~0.05 %)
 * and its centre is a Gaussian draw around central Wuhan whose spread grows with rank, from 3 km
 * to 28 km, so big clusters sit downtown and small ones in the suburbs. A cluster's points are a
 * round Gaussian of its own sigma, log-uniform in 200 m .. 3 km. 10 % of the points are uniform
 * background. Anything falling outside the box is redrawn. Metres become degrees with the
 * constant scale of the box's centre latitude: the data need to look like a city, not to be
 * geodesically exact, and constants keep libm out of the conversion. */
#include "bench/gen.h"

#include <math.h>
#include <string.h>

#define N_CLUSTERS 300
#define CITY_LON 114.30 /* central Wuhan, near the Yangtze bridges */
#define CITY_LAT 30.58
#define M_PER_DEG_LAT 110864.0 /* WGS-84 metres per degree at 30.67 N */
#define M_PER_DEG_LON 95830.0
#define BACKGROUND 0.10     /* share of uniform points in clustered mode */
#define QUERY_NEAR 0.70     /* share of queries near a data point */
#define QUERY_SIGMA_M 300.0 /* their offset per axis */

enum { STREAM_POINTS = 1, STREAM_QUERIES = 2 };

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void gen_rng_seed(struct gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03u);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(struct gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double gen_rng_unit(struct gen_rng *r)
{
    return (double)(gen_rng_next(r) >> 11) * 0x1.0p-53;
}

double gen_rng_gauss(struct gen_rng *r)
{
    double u = 1.0 - gen_rng_unit(r); /* (0, 1]: log(u) is finite */
    double v = gen_rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

int gen_mode_parse(const char *name, enum gen_mode *out)
{
    if (!strcmp(name, "clustered"))
        *out = GEN_CLUSTERED;
    else if (!strcmp(name, "uniform"))
        *out = GEN_UNIFORM;
    else
        return -1;
    return 0;
}

const char *gen_mode_name(enum gen_mode mode)
{
    return mode == GEN_UNIFORM ? "uniform" : "clustered";
}

static int in_box(double lon, double lat)
{
    return lon >= GEN_LON_MIN && lon <= GEN_LON_MAX && lat >= GEN_LAT_MIN && lat <= GEN_LAT_MAX;
}

static void uniform_in_box(struct gen_rng *r, double *lon, double *lat)
{
    *lon = GEN_LON_MIN + (GEN_LON_MAX - GEN_LON_MIN) * gen_rng_unit(r);
    *lat = GEN_LAT_MIN + (GEN_LAT_MAX - GEN_LAT_MIN) * gen_rng_unit(r);
}

/* A Gaussian of sigma_m metres per axis around (lon0, lat0), redrawn until inside the box.
 * Every caller's centre is inside the box, so a redraw succeeds with probability >= 1/4. */
static void gauss_in_box(struct gen_rng *r, double lon0, double lat0, double sigma_m, double *lon,
                         double *lat)
{
    do {
        *lon = lon0 + gen_rng_gauss(r) * sigma_m / M_PER_DEG_LON;
        *lat = lat0 + gen_rng_gauss(r) * sigma_m / M_PER_DEG_LAT;
    } while (!in_box(*lon, *lat));
}

static uint8_t draw_category(struct gen_rng *r)
{
    /* integer thresholds on 20 bits so the shares are exact up to 1e-6 */
    uint32_t u = (uint32_t)(gen_rng_next(r) >> 44); /* [0, 2^20) */
    const uint32_t one = 1u << 20;
    if (u < (uint32_t)(0.400 * one))
        return 0;
    u -= (uint32_t)(0.400 * one);
    if (u < (uint32_t)(0.020 * one))
        return 1;
    u -= (uint32_t)(0.020 * one);
    if (u < (uint32_t)(0.001 * one))
        return 2;
    u -= (uint32_t)(0.001 * one);
    uint32_t rest =
        one - (uint32_t)(0.400 * one) - (uint32_t)(0.020 * one) - (uint32_t)(0.001 * one);
    return (uint8_t)(3 + (uint64_t)u * 6 / rest);
}

struct cluster {
    double lon, lat; /* centre */
    double sigma_m;  /* spread per axis */
    double cdf;      /* cumulative weight of clusters 0..this, the last is 1 */
};

static void make_clusters(struct gen_rng *r, struct cluster *c)
{
    double total = 0.0;
    for (int i = 0; i < N_CLUSTERS; i++)
        total += 1.0 / (i + 1);
    double acc = 0.0;
    for (int i = 0; i < N_CLUSTERS; i++) {
        double spread_m = 3000.0 + 25000.0 * i / N_CLUSTERS;
        gauss_in_box(r, CITY_LON, CITY_LAT, spread_m, &c[i].lon, &c[i].lat);
        c[i].sigma_m = 200.0 * pow(15.0, gen_rng_unit(r)); /* 200 m .. 3 km, log-uniform */
        acc += 1.0 / (i + 1);
        c[i].cdf = acc / total;
    }
    c[N_CLUSTERS - 1].cdf = 1.0;
}

static const struct cluster *pick_cluster(const struct cluster *c, double u)
{
    int lo = 0, hi = N_CLUSTERS - 1; /* the first cluster with cdf > u */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (c[mid].cdf > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &c[lo];
}

void gen_points(enum gen_mode mode, uint64_t seed, struct gen_point *out, size_t n)
{
    struct gen_rng r;
    struct cluster clusters[N_CLUSTERS];
    gen_rng_seed(&r, seed, STREAM_POINTS);
    if (mode == GEN_CLUSTERED)
        make_clusters(&r, clusters);
    for (size_t i = 0; i < n; i++) {
        struct gen_point *p = &out[i];
        if (mode == GEN_UNIFORM || gen_rng_unit(&r) < BACKGROUND) {
            uniform_in_box(&r, &p->lon, &p->lat);
        } else {
            const struct cluster *c = pick_cluster(clusters, gen_rng_unit(&r));
            gauss_in_box(&r, c->lon, c->lat, c->sigma_m, &p->lon, &p->lat);
        }
        p->id = (uint32_t)(i + 1);
        p->cat = draw_category(&r);
    }
}

void gen_coords(const void *pts, uint32_t id, double *lon, double *lat)
{
    const struct gen_point *p = (const struct gen_point *)pts + (id - 1);
    *lon = p->lon;
    *lat = p->lat;
}

void gen_queries(const struct gen_point *pts, size_t n, uint64_t seed, struct gen_query *out,
                 size_t q)
{
    struct gen_rng r;
    gen_rng_seed(&r, seed, STREAM_QUERIES);
    for (size_t i = 0; i < q; i++) {
        if (n > 0 && gen_rng_unit(&r) < QUERY_NEAR) {
            const struct gen_point *p = &pts[gen_rng_next(&r) % n];
            out[i].lon = p->lon + gen_rng_gauss(&r) * QUERY_SIGMA_M / M_PER_DEG_LON;
            out[i].lat = p->lat + gen_rng_gauss(&r) * QUERY_SIGMA_M / M_PER_DEG_LAT;
        } else {
            uniform_in_box(&r, &out[i].lon, &out[i].lat);
        }
    }
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3u;
    }
    return h;
}

uint64_t gen_hash(const struct gen_point *pts, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        uint64_t lon, lat;
        memcpy(&lon, &pts[i].lon, sizeof lon);
        memcpy(&lat, &pts[i].lat, sizeof lat);
        h = fnv_u64(fnv_u64(fnv_u64(h, lon), lat), pts[i].cat);
    }
    return h;
}

/* test_geodesic.c - index/geodesic.c against GeographicLib's GeodTest set and, for the fast
 * path, against geod_inverse itself on random lines at every latitude. */
#include "index/geodesic.h"
#include "tests/t.h"

#include <stdlib.h>

static double urand(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* Every row of GeodTest-short: s12 within 1 mm, azi1 within 1e-9 degrees where defined. */
static void test_geodtest(void)
{
    FILE *f = fopen("tests/data/geodesic_geodtest_short.csv", "r");
    T_CHECK(f != NULL);
    if (!f)
        return;
    char line[512];
    int rows = 0;
    double worst = 0;
    T_CHECK(fgets(line, sizeof line, f) != NULL); /* header */
    while (fgets(line, sizeof line, f)) {
        double lat1, lon1, azi1, lat2, lon2, azi2, s12;
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &lat1, &lon1, &azi1, &lat2, &lon2, &azi2,
                   &s12) != 7) {
            T_CHECKF(0, "unparsable row: %s", line);
            continue;
        }
        double az;
        double s = geo_inverse(lon1, lat1, lon2, lat2, &az);
        double err = fabs(s - s12);
        if (err > worst)
            worst = err;
        T_CHECKF(err <= 1e-3, "row %d: s12 %.9f, expected %.9f", rows + 1, s, s12);
        T_CHECKF(az >= 0 && az < 360, "row %d: azimuth %.17g outside [0,360)", rows + 1, az);
        rows++;
    }
    fclose(f);
    T_CHECKF(rows == 10000, "read %d rows", rows);
    printf("  geodtest: %d rows, worst |s12 error| %.3g m\n", rows, worst);
}

/* The fast path stays within a third of its declared bound, the chord never exceeds the
 * geodesic, and the bearing agrees with geod_inverse's azimuth. */
static void test_fast_vs_exact(void)
{
    unsigned long long seed = 42;
    double worst_ratio = 0, worst_bearing = 0;
    for (int i = 0; i < 400000; i++) {
        /* latitudes everywhere, but weighted towards Wuhan's 30 degrees N half the time */
        double lat1 = (i & 1) ? (urand(&seed) * 2 - 1) * 89.99 : 29 + urand(&seed) * 3;
        double lon1 = (urand(&seed) * 2 - 1) * 180;
        double len = i % 3 == 0 ? urand(&seed) * 100 : urand(&seed) * GEO_FAST_MAX_M * 0.999;
        double lat2, lon2;
        /* a destination at geodesic distance ~len: use a small-angle offset, then measure */
        double az = urand(&seed) * 2 * M_PI;
        lat2 = lat1 + cos(az) * len / 111000.0;
        lon2 = lon1 + sin(az) * len / (111000.0 * fmax(cos(lat1 * M_PI / 180), 0.01));
        if (lat2 > 90 || lat2 < -90)
            continue;
        if (lon2 > 180)
            lon2 -= 360;
        if (lon2 < -180)
            lon2 += 360;
        double azi;
        double s = geo_inverse(lon1, lat1, lon2, lat2, &azi);
        struct geo_origin o;
        geo_origin_init(&o, lon1, lat1);
        double p[3];
        geo_ecef(lon2, lat2, p);
        double c = sqrt(geo_chord2(&o, p));
        /* ECEF coordinates carry ~1e-9 m of rounding; geo_fast_err's floor covers it */
        T_CHECKF(c <= s + 1e-8, "chord %.12g exceeds geodesic %.12g", c, s);
        if (c > GEO_FAST_MAX_M)
            continue;
        double f = geo_fast(&o, p, c);
        double ratio = fabs(f - s) / geo_fast_err(s);
        if (ratio > worst_ratio)
            worst_ratio = ratio;
        T_CHECKF(ratio <= 1.0 / 3, "s %.6f: fast %.12f exact %.12f (err %.3g, bound %.3g)", s, f, s,
                 fabs(f - s), geo_fast_err(s));
        bool exact;
        T_CHECK(geo_distance(&o, lon2, lat2, p, &exact) == f && !exact);
        if (s > 1.0 && fabs(lat1) < 89) {
            double b = geo_bearing(&o, lon2, lat2, p);
            double db = fabs(b - azi);
            if (db > 180)
                db = 360 - db;
            if (db > worst_bearing)
                worst_bearing = db;
            T_CHECKF(db <= 0.01, "bearing %.6f vs azimuth %.6f (s %.3f, lat %.4f)", b, azi, s,
                     lat1);
        }
    }
    printf("  fast path: worst error %.3f of the bound; worst bearing %.2e degrees\n", worst_ratio,
           worst_bearing);
}

/* Long lines take the exact path. */
static void test_long_lines_exact(void)
{
    struct geo_origin o;
    geo_origin_init(&o, 114.3, 30.6);
    double p[3];
    geo_ecef(116.4, 39.9, p); /* Beijing */
    bool exact = false;
    double d = geo_distance(&o, 116.4, 39.9, p, &exact);
    T_CHECK(exact);
    T_CHECK(d == geo_inverse(114.3, 30.6, 116.4, 39.9, NULL));
    double b = geo_bearing(&o, 116.4, 39.9, p);
    double azi;
    geo_inverse(114.3, 30.6, 116.4, 39.9, &azi);
    T_CHECK(b == azi);
    /* the same point: zero distance, a defined bearing */
    geo_ecef(114.3, 30.6, p);
    T_CHECK(geo_distance(&o, 114.3, 30.6, p, NULL) == 0.0);
    T_CHECK(geo_bearing(&o, 114.3, 30.6, p) == 0.0);
}

int main(void)
{
    T_RUN(test_geodtest);
    T_RUN(test_fast_vs_exact);
    T_RUN(test_long_lines_exact);
    return T_END();
}

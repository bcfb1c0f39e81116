/* geodesic.c - WGS-84 distances: PROJ's geod_inverse for exact answers and a chord-based fast
 * path for short lines (see geodesic.h for the formula and its error bound). */
#include "index/geodesic.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>

#define DEG (M_PI / 180.0)
#define E2 (GEO_F * (2.0 - GEO_F))

static struct geod_geodesic wgs84; /* written once by init_wgs84, read-only afterwards */
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;

static void init_wgs84(void)
{
    geod_init(&wgs84, GEO_A, GEO_F);
}

void geo_ecef(double lon, double lat, double out[3])
{
    double sp = sin(lat * DEG), cp = cos(lat * DEG);
    double n = GEO_A / sqrt(1.0 - E2 * sp * sp);
    out[0] = n * cp * cos(lon * DEG);
    out[1] = n * cp * sin(lon * DEG);
    out[2] = n * (1.0 - E2) * sp;
}

void geo_origin_init(struct geo_origin *o, double lon, double lat)
{
    double sp = sin(lat * DEG), cp = cos(lat * DEG);
    double sl = sin(lon * DEG), cl = cos(lon * DEG);
    double w = sqrt(1.0 - E2 * sp * sp);
    double n = GEO_A / w; /* as geo_ecef, from the sines and cosines already at hand */
    o->lon = lon;
    o->lat = lat;
    o->p[0] = n * cp * cl;
    o->p[1] = n * cp * sl;
    o->p[2] = n * (1.0 - E2) * sp;
    o->east[0] = -sl;
    o->east[1] = cl;
    o->east[2] = 0.0;
    o->north[0] = -sp * cl;
    o->north[1] = -sp * sl;
    o->north[2] = cp;
    o->inv_n = w / GEO_A;
    o->inv_m = w * w * w / (GEO_A * (1.0 - E2));
}

double geo_inverse(double lon1, double lat1, double lon2, double lat2, double *azi1_deg)
{
    double s12, azi1, azi2;
    pthread_once(&wgs84_once, init_wgs84);
    geod_inverse(&wgs84, lat1, lon1, lat2, lon2, &s12, &azi1, &azi2);
    if (azi1_deg) {
        if (azi1 < 0.0)
            azi1 += 360.0;
        *azi1_deg = azi1 >= 360.0 ? 0.0 : azi1;
    }
    return s12;
}

double geo_fast(const struct geo_origin *o, const double p[3], double c)
{
    double d[3] = {p[0] - o->p[0], p[1] - o->p[1], p[2] - o->p[2]};
    double de = d[0] * o->east[0] + d[1] * o->east[1];
    double dn = d[0] * o->north[0] + d[1] * o->north[1] + d[2] * o->north[2];
    double h2 = de * de + dn * dn;
    double k = h2 > 0.0 ? (dn * dn * o->inv_m + de * de * o->inv_n) / h2 : o->inv_m;
    double kc2 = k * k * c * c;
    return c * (1.0 + kc2 * (1.0 / 24.0 + kc2 * (3.0 / 640.0)));
}

double geo_distance(const struct geo_origin *o, double lon, double lat, const double p[3],
                    bool *exact)
{
    double c = sqrt(geo_chord2(o, p));
    if (c <= GEO_FAST_MAX_M) {
        if (exact)
            *exact = false;
        return geo_fast(o, p, c);
    }
    if (exact)
        *exact = true;
    return geo_inverse(o->lon, o->lat, lon, lat, NULL);
}

double geo_bearing(const struct geo_origin *o, double lon, double lat, const double p[3])
{
    double d[3] = {p[0] - o->p[0], p[1] - o->p[1], p[2] - o->p[2]};
    double c2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if (c2 > GEO_FAST_MAX_M * GEO_FAST_MAX_M) {
        double azi;
        geo_inverse(o->lon, o->lat, lon, lat, &azi);
        return azi;
    }
    double de = d[0] * o->east[0] + d[1] * o->east[1];
    double dn = d[0] * o->north[0] + d[1] * o->north[1] + d[2] * o->north[2];
    if (de == 0.0 && dn == 0.0)
        return 0.0;
    double azi = atan2(de, dn) / DEG;
    if (azi < 0.0)
        azi += 360.0;
    return azi >= 360.0 ? 0.0 : azi;
}

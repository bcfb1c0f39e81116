/* crs.c - WGS-84 <-> GCJ-02 <-> BD-09 by the published formulas, with iterative inverses so a
 * round trip comes back to within a micrometre. Not a datum library: no PROJ, no EPSG codes.
 *
 * Both obfuscations have the form F(p) = p + e(p), where e is small (GCJ-02: < 0.01 degrees;
 * BD-09: ~0.0065 degrees plus a ~2e-5 degree wobble) and varies slowly: its Jacobian has
 * entries below ~5e-3 over China. So the fixed-point step p <- p - (F(p) - target) contracts
 * the error by ~200 per step, and three or four steps from the usual one-step guess reach
 * 1e-11 degrees. Newton would need the Jacobian for no gain at that rate. */
#include "index/crs.h"

#include <math.h>

#define CRS_PI 3.14159265358979323846
#define CRS_X_PI (CRS_PI * 3000.0 / 180.0)  /* Baidu's wobble frequency, as in its formulas */
#define KRASOVSKY_A 6378245.0               /* semi-major axis GCJ-02 uses, metres */
#define KRASOVSKY_EE 0.00669342162296594323 /* its first eccentricity squared */

/* The iterations stop when the forward image of the answer is this close to the input in both
 * coordinates: 1e-11 degrees is ~1 micrometre, leaving two orders of headroom under the 1e-9
 * promised in crs.h while staying far above rounding noise (~3e-14 at lon 137). */
#define CRS_INV_EPS 1e-11
/* Convergence takes 3-4 steps inside China; the cap only matters where the maps fold. */
#define CRS_INV_MAX_ITER 20

static const char *const crs_names[CRS_COUNT] = {
    [CRS_WGS84] = "wgs84",
    [CRS_GCJ02] = "gcj02",
    [CRS_BD09] = "bd09",
    [CRS_CGCS2000] = "cgcs2000",
};

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

enum geod_err crs_parse(const char *name, size_t len, enum crs_id *out)
{
    if (!name && len)
        return GEOD_EINVAL;
    for (int id = 0; id < CRS_COUNT; id++) {
        const char *want = crs_names[id];
        size_t i = 0;
        while (i < len && want[i] && ascii_lower(name[i]) == want[i])
            i++;
        if (i == len && !want[i]) {
            *out = (enum crs_id)id;
            return GEOD_OK;
        }
    }
    return GEOD_ECRS;
}

const char *crs_name(enum crs_id id)
{
    return (unsigned)id < CRS_COUNT ? crs_names[id] : NULL;
}

bool crs_in_china(double lon, double lat)
{
    /* Written as "inside" so NaN compares false and counts as outside. */
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

/* The GCJ-02 offsets, in metres-ish units on the Krasovsky ellipsoid, of a point x degrees east
 * of 105E and y degrees north of 35N. Term order follows the published code (coordtransform) so
 * results agree with it to the last bit or two. */
static double gcj_offset_lat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * CRS_PI) + 20.0 * sin(2.0 * x * CRS_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * CRS_PI) + 40.0 * sin(y / 3.0 * CRS_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * CRS_PI) + 320.0 * sin(y * CRS_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double gcj_offset_lon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * CRS_PI) + 20.0 * sin(2.0 * x * CRS_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * CRS_PI) + 40.0 * sin(x / 3.0 * CRS_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * CRS_PI) + 300.0 * sin(x / 30.0 * CRS_PI)) * 2.0 / 3.0;
    return r;
}

/* e(p) of the GCJ-02 map in degrees, with no in-China test: the inverse iterates on it. */
static void gcj_delta(double lon, double lat, double *dlon, double *dlat)
{
    double dy = gcj_offset_lat(lon - 105.0, lat - 35.0);
    double dx = gcj_offset_lon(lon - 105.0, lat - 35.0);
    double rad_lat = lat / 180.0 * CRS_PI;
    double magic = sin(rad_lat);
    magic = 1 - KRASOVSKY_EE * magic * magic;
    double sqrt_magic = sqrt(magic);
    /* metres to degrees: meridional and parallel radii of curvature on the ellipsoid */
    *dlat = (dy * 180.0) / ((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrt_magic) * CRS_PI);
    *dlon = (dx * 180.0) / (KRASOVSKY_A / sqrt_magic * cos(rad_lat) * CRS_PI);
}

void crs_wgs84_to_gcj02(double lon, double lat, double *out_lon, double *out_lat)
{
    if (!crs_in_china(lon, lat)) {
        *out_lon = lon;
        *out_lat = lat;
        return;
    }
    double dlon, dlat;
    gcj_delta(lon, lat, &dlon, &dlat);
    *out_lon = lon + dlon;
    *out_lat = lat + dlat;
}

void crs_gcj02_to_wgs84(double lon, double lat, double *out_lon, double *out_lat)
{
    if (!crs_in_china(lon, lat)) {
        *out_lon = lon;
        *out_lat = lat;
        return;
    }
    /* Start from the one-step inverse p - e(p), which is off by up to a few metres because e
     * is evaluated at the GCJ point rather than the WGS one; then fixed-point on F(w) = w + e(w)
     * (see the top of the file). e is used unconditionally: a point just inside the rectangle
     * may have its preimage just outside, and testing the rectangle inside the loop would
     * make it oscillate there. */
    double dlon, dlat;
    gcj_delta(lon, lat, &dlon, &dlat);
    double wlon = lon - dlon, wlat = lat - dlat;
    for (int i = 0; i < CRS_INV_MAX_ITER; i++) {
        gcj_delta(wlon, wlat, &dlon, &dlat);
        double rlon = wlon + dlon - lon, rlat = wlat + dlat - lat;
        if (fabs(rlon) <= CRS_INV_EPS && fabs(rlat) <= CRS_INV_EPS)
            break;
        wlon -= rlon;
        wlat -= rlat;
    }
    *out_lon = wlon;
    *out_lat = wlat;
}

void crs_gcj02_to_bd09(double lon, double lat, double *out_lon, double *out_lat)
{
    /* A small radial stretch and rotation about (0, 0), then a fixed shift. */
    double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * CRS_X_PI);
    double theta = atan2(lat, lon) + 0.000003 * cos(lon * CRS_X_PI);
    *out_lon = z * cos(theta) + 0.0065;
    *out_lat = z * sin(theta) + 0.006;
}

/* The closed form everyone publishes. It undoes the shift exactly but evaluates the stretch and
 * rotation at the BD-09 point instead of the GCJ-02 one, so as an inverse it is off by up to
 * ~2e-6 degrees (~0.2 m) over China (tests/test_crs.c measures it): fine for a map pin, not for
 * a round trip that must return the same facility coordinates. */
static void bd_closed_form(double lon, double lat, double *out_lon, double *out_lat)
{
    double x = lon - 0.0065, y = lat - 0.006;
    double z = sqrt(x * x + y * y) - 0.00002 * sin(y * CRS_X_PI);
    double theta = atan2(y, x) - 0.000003 * cos(x * CRS_X_PI);
    *out_lon = z * cos(theta);
    *out_lat = z * sin(theta);
}

void crs_bd09_to_gcj02(double lon, double lat, double *out_lon, double *out_lat)
{
    double glon, glat;
    bd_closed_form(lon, lat, &glon, &glat);
    /* Keep the best iterate: near (0, 0) the stretch can exceed the radius, the map folds, and
     * the fixed point may not converge; elsewhere the last iterate is the best. */
    double best_lon = glon, best_lat = glat, best_r = INFINITY;
    for (int i = 0; i < CRS_INV_MAX_ITER; i++) {
        double blon, blat;
        crs_gcj02_to_bd09(glon, glat, &blon, &blat);
        double rlon = blon - lon, rlat = blat - lat;
        double r = fmax(fabs(rlon), fabs(rlat));
        if (r < best_r) {
            best_r = r;
            best_lon = glon;
            best_lat = glat;
        }
        if (!(r > CRS_INV_EPS)) /* also stops on NaN */
            break;
        glon -= rlon;
        glat -= rlat;
    }
    *out_lon = best_lon;
    *out_lat = best_lat;
}

static bool valid_lon_lat(double lon, double lat)
{
    /* isfinite is implied by the range tests, which are false for NaN and infinities. */
    return lon >= -180.0 && lon <= 180.0 && lat >= -90.0 && lat <= 90.0;
}

/* Position on the chain WGS-84 - GCJ-02 - BD-09 (CGCS2000 sits with WGS-84). */
static int chain_pos(enum crs_id id)
{
    switch (id) {
    case CRS_GCJ02:
        return 1;
    case CRS_BD09:
        return 2;
    default:
        return 0;
    }
}

enum geod_err crs_convert(enum crs_id from, enum crs_id to, double lon, double lat, double *out_lon,
                          double *out_lat)
{
    if ((unsigned)from >= CRS_COUNT || (unsigned)to >= CRS_COUNT)
        return GEOD_ECRS;
    if (!out_lon || !out_lat || !valid_lon_lat(lon, lat))
        return GEOD_EINVAL;
    /* Walk the chain one link at a time rather than via WGS-84, so GCJ-02 <-> BD-09 does not
     * pick up a needless GCJ-02 round trip. */
    int at = chain_pos(from), goal = chain_pos(to);
    while (at < goal) {
        if (at == 0)
            crs_wgs84_to_gcj02(lon, lat, &lon, &lat);
        else
            crs_gcj02_to_bd09(lon, lat, &lon, &lat);
        at++;
    }
    while (at > goal) {
        if (at == 2)
            crs_bd09_to_gcj02(lon, lat, &lon, &lat);
        else
            crs_gcj02_to_wgs84(lon, lat, &lon, &lat);
        at--;
    }
    if (!valid_lon_lat(lon, lat))
        return GEOD_ERANGE;
    *out_lon = lon;
    *out_lat = lat;
    return GEOD_OK;
}

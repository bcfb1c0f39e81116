/* geodesic.h - distances and bearings on the WGS-84 ellipsoid.
 * Exact answers come from PROJ's geod_inverse (Karney). For lines up to GEO_FAST_MAX_M a chord
 * formula with a curvature correction agrees with it to within geo_fast_err(s); the index ranks
 * with the fast value and falls back to geod_inverse whenever that bound could change an order. */
#ifndef GEOD_GEODESIC_H
#define GEOD_GEODESIC_H

#include <stdbool.h>

#define GEO_A 6378137.0               /* WGS-84 semi-major axis, metres */
#define GEO_F (1.0 / 298.257223563)   /* WGS-84 flattening */
#define GEO_FAST_MAX_M 100000.0       /* the fast formula is used for chords up to this length */

/* A query position with what every distance from it needs, computed once per query. */
struct geo_origin {
    double lon, lat;        /* degrees, WGS-84 */
    double p[3];            /* ECEF metres */
    double east[3];         /* local unit vectors at the origin */
    double north[3];
    double inv_m, inv_n;    /* 1/meridional and 1/prime-vertical radius of curvature, 1/m */
};

/* ECEF coordinates (metres) of a point on the ellipsoid's surface. */
void geo_ecef(double lon, double lat, double out[3]);

void geo_origin_init(struct geo_origin *o, double lon, double lat);

/* Exact geodesic distance in metres (geod_inverse); *azi1_deg (may be NULL) gets the forward
 * azimuth at point 1 in [0, 360). */
double geo_inverse(double lon1, double lat1, double lon2, double lat2, double *azi1_deg);

/* Squared straight-line (chord) distance from the origin to an ECEF point. The chord is a lower
 * bound on the geodesic distance (the geodesic is a path between the same two points), up to
 * ~1e-8 m of rounding in the ECEF coordinates, which geo_fast_err's floor absorbs. */
static inline double geo_chord2(const struct geo_origin *o, const double p[3])
{
    double dx = p[0] - o->p[0], dy = p[1] - o->p[1], dz = p[2] - o->p[2];
    return dx * dx + dy * dy + dz * dz;
}

/* Geodesic distance estimate from the chord c (= sqrt(geo_chord2)) to the ECEF point p, for
 * c <= GEO_FAST_MAX_M. The arc of a curve of curvature k over a chord c is
 * c + k^2 c^3/24 + 3 k^4 c^5/640 + ...; a geodesic's curvature in space is the surface's normal
 * curvature in its direction, k = cos^2(a)/M + sin^2(a)/N (Euler), taken at the origin. */
double geo_fast(const struct geo_origin *o, const double p[3], double c);

/* A bound on |geo_fast - geo_inverse| for a line of length s <= GEO_FAST_MAX_M (metres),
 * with a margin of at least 3 over the worst error measured (tests/test_geodesic.c checks it). */
static inline double geo_fast_err(double s)
{
    double s2 = s * s;
    return 2e-8 + 1e-23 * s2 * s2;
}

/* Distance from the origin to a point given both ways: fast when the chord allows, exact
 * otherwise. *exact (may be NULL) says which was used. */
double geo_distance(const struct geo_origin *o, double lon, double lat, const double p[3],
                    bool *exact);

/* Forward azimuth in degrees [0, 360) from the origin towards the point. Within
 * GEO_FAST_MAX_M it is the direction of the chord in the origin's tangent plane (0.01 degree
 * or better for lines over 1 m); beyond, geod_inverse. */
double geo_bearing(const struct geo_origin *o, double lon, double lat, const double p[3]);

#endif

/* crs.h - conversions between the coordinate systems Chinese clients send: WGS-84, GCJ-02
 * ("Mars"), BD-09 (Baidu) and CGCS2000 (taken as WGS-84). Pure arithmetic, no PROJ; EPSG
 * projections for imports live elsewhere. Every coordinate is (lon, lat) in degrees. */
#ifndef GEOD_CRS_H
#define GEOD_CRS_H

#include <stdbool.h>
#include <stddef.h>

#include "index/err.h"

enum crs_id {
    CRS_WGS84,
    CRS_GCJ02,
    CRS_BD09,
    CRS_CGCS2000, /* differs from WGS-84 by centimetres; treated as equal */
    CRS_COUNT,
};

/* The id named by name[0..len) ("wgs84", "gcj02", "bd09", "cgcs2000", ASCII case-insensitive;
 * no NUL needed). GEOD_ECRS for any other name, GEOD_EINVAL for name NULL with len > 0. */
enum geod_err crs_parse(const char *name, size_t len, enum crs_id *out);

/* The lower-case name crs_parse accepts for id; NULL for an id outside the enum. */
const char *crs_name(enum crs_id id);

/* True inside the conventional GCJ-02 rectangle (lon 72.004..137.8347, lat 0.8293..55.8271,
 * inclusive); GCJ-02 equals WGS-84 outside it. False for NaN. */
bool crs_in_china(double lon, double lat);

/* The GCJ-02 obfuscation (Krasovsky formula): identity outside crs_in_china. */
void crs_wgs84_to_gcj02(double lon, double lat, double *out_lon, double *out_lat);

/* The exact inverse of crs_wgs84_to_gcj02, by iteration: the forward image of the answer is
 * within 1e-9 degrees (0.1 mm) of the input. Identity when the input is outside crs_in_china.
 * Near the rectangle's edges (within ~0.01 degrees) the forward map is not one-to-one; there
 * the answer inverts the inside-China formula even if it lands just outside the rectangle. */
void crs_gcj02_to_wgs84(double lon, double lat, double *out_lon, double *out_lat);

/* Baidu's BD-09 from GCJ-02. Applied everywhere, as the published formula is: unlike GCJ-02 it
 * has no China rectangle. */
void crs_gcj02_to_bd09(double lon, double lat, double *out_lon, double *out_lat);

/* The inverse of crs_gcj02_to_bd09, refined by iteration until crs_gcj02_to_bd09 of the answer
 * is within 1e-9 degrees of the input; the usual closed form alone is off by up to ~2e-6 degrees
 * (~0.2 m). Within ~2e-5 degrees of (0, 0) the forward map folds and the answer is best-effort. */
void crs_bd09_to_gcj02(double lon, double lat, double *out_lon, double *out_lat);

/* (lon, lat) in `from` to `to`, through the chain WGS-84/CGCS2000 - GCJ-02 - BD-09.
 * GEOD_ECRS for an id outside the enum; GEOD_EINVAL for a non-finite coordinate, lon outside
 * [-180, 180] or lat outside [-90, 90]; GEOD_ERANGE when the answer falls outside those ranges
 * (BD-09 within ~0.007 degrees of the antimeridian or a pole). The outputs are written only on
 * GEOD_OK. */
enum geod_err crs_convert(enum crs_id from, enum crs_id to, double lon, double lat, double *out_lon,
                          double *out_lat);

#endif

/* params.h - the parameters every endpoint shares, parsed from the query and checked; on a bad
 * value each function has already answered 400 naming the parameter and returns false. */
#ifndef GEOD_PARAMS_H
#define GEOD_PARAMS_H

#include "api/http.h"
#include "index/crs.h"

#include <stdbool.h>
#include <stdint.h>

struct api_pos {
    double lon, lat;      /* WGS-84, converted from the request's system */
    enum crs_id crs;      /* the system lon/lat came in */
    enum crs_id out_crs;  /* the system answers go out in (out_crs, else crs) */
};

/* Refuses any parameter not in the NULL-terminated list (a typo should not pass silently). */
bool params_allow(struct api_req *r, const char *const *names);

/* lon, lat (required), crs and out_crs. */
bool params_position(struct api_req *r, struct api_pos *p);

/* crs or out_crs alone, for answers without an input position (default wgs84). */
bool params_out_crs(struct api_req *r, enum crs_id *out);

/* crs (the system the request's coordinates are in) and out_crs (the answer's; crs by default),
 * for inputs other than lon/lat (default wgs84). */
bool params_systems(struct api_req *r, enum crs_id *crs, enum crs_id *out);

/* An integer in [min, max]; *out = dflt when absent (and !required). */
bool params_uint(struct api_req *r, const char *name, uint64_t min, uint64_t max, uint64_t dflt,
                 bool required, uint64_t *out);

/* A number in [min, max]; *present says whether it was given. */
bool params_double(struct api_req *r, const char *name, double min, double max, bool required,
                   double *out, bool *present);

/* category=a,b,...: the mask of known categories; every category when absent. */
bool params_categories(struct api_req *r, uint64_t *mask);

/* A boolean flag: 1/0/true/false; *out = false when absent. */
bool params_flag(struct api_req *r, const char *name, bool *out);

#endif

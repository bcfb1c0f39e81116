/* oracle.h - what the API tests compare geod's answers with, computed without any of geod's
 * code: the live facilities read straight from the store file with plain SQLite (read-only, no
 * SpatiaLite), and brute-force ranking by exact geodesic distance (PROJ's geod_inverse on
 * WGS-84), ties by id. Only the opening-hours filter borrows geod's own evaluator
 * (index/hours.h), as the rules of opening_hours are not the oracle's to restate. */
#ifndef GEOD_TEST_ORACLE_H
#define GEOD_TEST_ORACLE_H

#include <geodesic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ORACLE_MAX_CATS 64

struct oracle_fac {
    uint32_t id;
    int cat;         /* index into oracle.cat_id, which is the category's idx */
    double lon, lat; /* WGS-84, as stored */
    int64_t version;
    /* NULL for SQL NULL */
    char *name, *address, *phone, *hours, *division_code, *source;
};

struct oracle {
    struct oracle_fac *fac; /* [n], by ascending id */
    size_t n;
    uint32_t max_id;
    size_t ncat;                       /* categories idx 0..ncat-1 */
    char *cat_id[ORACLE_MAX_CATS];     /* "hospital" */
    char *cat_name[ORACLE_MAX_CATS];   /* "医院" */
    size_t cat_count[ORACLE_MAX_CATS]; /* live facilities */
    struct geod_geodesic g;            /* WGS-84 */
};

/* One facility seen from a query position. */
struct oracle_hit {
    const struct oracle_fac *f;
    double d;   /* exact geodesic distance, metres */
    double azi; /* forward azimuth at the query, degrees in [0, 360) */
};

/* Reads `SELECT ... FROM facility WHERE deleted = 0` and the category table of the store at db.
 * False with a message in err on failure. */
bool oracle_load(struct oracle *o, const char *db, char *err, size_t errlen);
void oracle_free(struct oracle *o);

/* The live facility with this id, or NULL. */
const struct oracle_fac *oracle_get(const struct oracle *o, uint64_t id);
/* The idx of the category with this id, or -1. */
int oracle_category(const struct oracle *o, const char *id);

/* Every facility seen from (lon, lat) (WGS-84), sorted by (distance, id), into hits[o->n]. */
void oracle_rank(const struct oracle *o, double lon, double lat, struct oracle_hit *hits);

/* What a query asks for besides its position. */
struct oracle_filter {
    size_t k;            /* at most this many */
    uint64_t mask;       /* bit c: category c (~0 for every one) */
    double radius;       /* metres, INFINITY for none; within means distance <= radius */
    const char *q;       /* a substring the name must contain, or NULL */
    bool open_now;       /* only places open at weekday/minute (index/hours.h's hours_open) */
    int weekday, minute; /* local time: 0 = Monday, 0..1439 */
};

/* The first hits of ranked[0..o->n) (oracle_rank's order) that pass the filter, into out;
 * returns how many. */
size_t oracle_select(const struct oracle *o, const struct oracle_hit *ranked,
                     const struct oracle_filter *fl, struct oracle_hit *out);

/* Exact distance (and azimuth in [0, 360), azi may be NULL) between two WGS-84 positions. */
double oracle_distance(const struct oracle *o, double lon1, double lat1, double lon2, double lat2,
                       double *azi);

/* The 12-character geohash of (lon, lat), written here from the textbook definition. */
void oracle_geohash(double lon, double lat, char out[13]);

#endif

/* apicheck.h - shared pieces of the API tests (tests/test_api.c, tests/test_api_robust.c): a
 * seeded random source, random query positions over Wuhan and beyond, answers fetched and parsed,
 * and the checks of error bodies, facility objects and filters against the oracle. Nothing here
 * uses tests/t.h (whose counters are per file): checks return what they found, the first problem
 * described in `why`. */
#ifndef GEOD_TEST_APICHECK_H
#define GEOD_TEST_APICHECK_H

#include "index/crs.h"
#include "tests/lib/http.h"
#include "tests/lib/oracle.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AC_WHY 512 /* room for a problem's description */

/* ---- randomness (deterministic for a given seed) ---- */
struct ac_rng {
    uint64_t s;
};
double ac_urand(struct ac_rng *g);               /* [0, 1) */
double ac_nrand(struct ac_rng *g);               /* standard normal */
uint32_t ac_below(struct ac_rng *g, uint32_t n); /* [0, n) */

/* Where a random query position comes from, in percent: near a facility (a few hundred metres
 * off), exactly at one, uniform over the Wuhan box (lon 113.7..115.1, lat 29.97..31.37), or
 * elsewhere in China; the rest anywhere on Earth. */
struct ac_mix {
    int near, at, box, china;
};
void ac_position(struct ac_rng *g, const struct oracle *o, struct ac_mix mix, double *lon,
                 double *lat);

/* Writes v as decimal text in a style chosen at random (%.6f, %.9f, %.17g) and returns the
 * double that text stands for, which is what the server reads. */
double ac_coord_text(struct ac_rng *g, double v, char *buf, size_t len);

/* A random category filter ("hospital", "marriage_registry,shelter", ...; rare categories
 * often) into buf, its bits into *mask. */
void ac_category_filter(struct ac_rng *g, const struct oracle *o, char *buf, size_t len,
                        uint64_t *mask);

/* Percent-encodes every byte outside [A-Za-z0-9._~-] of s into out (len bytes with the NUL). */
void ac_percent_encode(const char *s, char *out, size_t len);

/* ---- answers ---- */

struct ac_answer {
    struct http_resp r;
    int status;   /* 0 when the exchange failed */
    json_t *json; /* the body parsed by its Content-Type (JSON, GeoJSON or msgpack), else NULL */
};

/* GET target with extra header lines (or NULL) on c. False with why set for a failed exchange,
 * a 5xx, a missing Content-Type, or a body that does not parse as its Content-Type says. */
bool ac_get(struct http_client *c, const char *target, const char *headers, struct ac_answer *a,
            char why[AC_WHY]);
void ac_answer_free(struct ac_answer *a);

/* Does GET /healthz on c answer 200 with a "status" string? */
bool ac_healthz_ok(struct http_client *c);

/* Is the answer `status` with a JSON content type and exactly
 * {"error":{"code","message","param"}}, with that code and param (NULL: JSON null) and a
 * non-empty message? */
bool ac_is_error(const struct ac_answer *a, int status, const char *code, const char *param,
                 char why[AC_WHY]);

/* A JSON string's value, "" for anything else (NULL included). */
const char *ac_str(const json_t *v);
/* The answer's Content-Type, "(none)" without one. */
const char *ac_content_type(const struct ac_answer *a);
/* Are the two bodies byte for byte the same? */
bool ac_same_body(const struct ac_answer *a, const struct ac_answer *b);

/* Follows a /v1/within url (without cursor) page by page through next_cursor until it is null,
 * appending every result to the array `all`, and checks each page's shape: exactly results,
 * count and next_cursor (null or 28 characters); count = the number of results; at most
 * `limit` results, exactly `limit` when another page follows, and no empty page after the
 * first. first_cursor (64 bytes, may be NULL) gets page 1's next_cursor ("" if none). Returns
 * the number of pages, or -1 with why set. */
int ac_follow_pages(struct http_client *c, const char *url, size_t limit, json_t *all,
                    char *first_cursor, char why[AC_WHY]);

/* Does the GeoJSON answer `geo` carry what the JSON answer `js` does: for a collection (nearby,
 * within) a FeatureCollection with the same count (and next_cursor) whose features are the
 * results in order, else the one Feature of a facility; a Feature has the result's id, a Point
 * of its lon and lat, and every other field as properties. */
bool ac_geojson_matches(const json_t *js, const json_t *geo, bool collection, char why[AC_WHY]);

/* ---- facility objects ---- */

/* Checks one result object against the oracle's facility: each field with its JSON type and
 * value (lon/lat converted to `out` and rounded to 7 decimals, geohash of the stored position),
 * and no other keys; with `from`, distance_m within 0.005 m of the exact distance and
 * bearing_deg in [0, 360) near the exact azimuth. props: the object is a GeoJSON Feature's
 * properties (no lon/lat). Returns the number of problems, the first described in why. */
int ac_check_facility(const json_t *obj, const struct oracle *o, const struct oracle_fac *f,
                      enum crs_id out, const struct oracle_hit *from, bool props, char why[AC_WHY]);

/* A results array against the oracle's expected hits: the same ids in the same order, each
 * object as ac_check_facility. Returns the number of problems, the first described in why. */
int ac_check_results(const json_t *results, const struct oracle *o, const struct oracle_hit *expect,
                     size_t n, enum crs_id out, char why[AC_WHY]);

/* ---- q and open_now ---- */

/* Weekday (0 = Monday) and minute of the day in Wuhan (UTC+8, no daylight saving) now. */
void ac_wuhan_now(int *weekday, int *minute);

/* What must hold of a results array beyond the oracle's list for a query with q and/or open_now
 * (fl): every name contains q, every result has hours, and with open_now every 24/7 facility
 * that passes the other filters, up to the last result's distance (all of them when fewer than
 * k came back), is there; a check that needs no opening-hours evaluator. ranked is the oracle's
 * ranking from the query position (oracle_rank). False with why set if not. */
bool ac_filters_hold(const json_t *res, const struct oracle *o, const struct oracle_hit *ranked,
                     const struct oracle_filter *fl, char why[AC_WHY]);

#endif

/* placecheck.h - the divisions of a store seen through SpatiaLite, for the place tests
 * (tests/test_api_places.c, test_api_search.c, test_api_convert.c): the division table read back as
 * rows, point-in-polygon by SpatiaLite's ST_Contains on the stored boundaries (the oracle of
 * /v1/places/reverse, /v1/shake and the facilities' division codes), the stored polygons' vertices,
 * the checks of a division object and of a chain as the API writes them, the full expected answer
 * of a place search made of Chinese characters only (its rules restated from index/names.h), and
 * the expected /v1/shake answer (with the nearest facilities by tests/lib/oracle.h). Nothing here
 * uses tests/t.h: checks return false with the first problem in `why`. */
#ifndef GEOD_TEST_PLACECHECK_H
#define GEOD_TEST_PLACECHECK_H

#include "index/crs.h"
#include "tests/lib/apicheck.h"
#include "tests/lib/oracle.h"
#include "tests/lib/storecheck.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_LEVELS 4 /* city, district, street, community */
#define PC_WHY 512

extern const char *const pc_level_names[PC_LEVELS];

struct pc_div {
    char code[13];
    char *name, *kind;
    int level;         /* 0 city .. 3 community */
    int32_t parent;    /* index of the parent row, -1 for none (or a code not in the table) */
    bool has_center;   /* center_lon/center_lat are not NULL */
    double clon, clat; /* WGS-84 */
    bool approximate;  /* the column, 0 or 1 */
    bool has_boundary; /* boundary is not NULL */
    double box[4];     /* its MbrMinX, MbrMinY, MbrMaxX, MbrMaxY */
    uint32_t *cp;      /* the name as code points */
    size_t ncp;
};

struct pc_oracle {
    struct sc_conn c;
    struct pc_div *d; /* [n] by ascending code: the index is the API's division id */
    size_t n;
    sqlite3_stmt *locate; /* ST_Contains over the rows the spatial index's boxes admit */
    sqlite3_stmt *scan;   /* ST_Contains over every row of the level */
    sqlite3_stmt *resp;   /* the responsible community_center of a code */
    sqlite3_stmt *wkb;    /* AsBinary(boundary) of a code */
    sqlite3_stmt *within; /* ST_Contains(boundary of a code, a point) */
};

/* Opens the store read-only with SpatiaLite and reads the division table. */
bool pc_open(struct pc_oracle *o, const char *db, char why[PC_WHY]);
void pc_close(struct pc_oracle *o);

/* The row with this code, or -1. */
int32_t pc_find(const struct pc_oracle *o, const char *code);
/* The level named so, or -1. */
int pc_level(const char *name);

/* The division of each level containing (lon, lat), WGS-84: per level
 *   SELECT code FROM division WHERE level = ? AND ST_Contains(boundary, MakePoint(?, ?, 4326)) = 1
 *   ORDER BY code LIMIT 1
 * (`= 1`: ST_Contains answers -1, which SQL takes as true, for a NULL boundary). Unless scan, the
 * rows are first narrowed to those whose box in the spatial index (idx_division_boundary, kept by
 * SpatiaLite's triggers) holds the point, which spares parsing every polygon. out[level] gets the
 * row index, -1 where none contains it. False on an SQL error. */
bool pc_locate(struct pc_oracle *o, double lon, double lat, bool scan, int32_t out[PC_LEVELS],
               char why[PC_WHY]);

/* pc_locate's answers for n points, out[i] for (lon[i], lat[i]), found the other way round: for
 * each boundary (in code order, so the first found is the smallest code) and each point inside
 * its box, ST_Contains(boundary, MakePoint(lon, lat, 4326)) = 1. The same predicate on the same
 * polygons, asked polygon after polygon, so that SpatiaLite's cache of prepared geometries
 * (which keeps the last two it used) always hits: many times faster than point by point. */
bool pc_locate_many(struct pc_oracle *o, const double *lon, const double *lat, size_t n,
                    int32_t (*out)[PC_LEVELS], char why[PC_WHY]);

/* The smallest division of a pc_locate answer: community, else street, else district; -1. */
int32_t pc_smallest(const int32_t at[PC_LEVELS]);

/* SELECT min(id) FROM facility WHERE deleted = 0 AND category = 'community_center' AND
 * division_code = code; 0 for none. */
bool pc_responsible(struct pc_oracle *o, const char *code, uint32_t *id, char why[PC_WHY]);

/* One ring of a boundary: n vertices (the first repeated last), xy[2 * n]. */
struct pc_ring {
    double *xy;
    size_t n;
};
/* Every ring (outer and inner, of every part) of row idx's boundary, from AsBinary(boundary),
 * into a malloc'ed array (*rings, *nrings; none for no boundary). */
bool pc_rings(struct pc_oracle *o, int32_t idx, struct pc_ring **rings, size_t *nrings,
              char why[PC_WHY]);
void pc_rings_free(struct pc_ring *rings, size_t nrings);

/* A test point: where it is (WGS-84) and how it was made. */
enum { PC_UNIFORM, PC_FAR, PC_VERTEX, PC_MIDPOINT, PC_OFF9, PC_OFF7, PC_KINDS };
struct pc_pt {
    double lon, lat;
    int kind;
};

/* Points on and near `edges` random edges of the boundaries of a level (any ring of any part):
 * each edge's first vertex (exactly), its midpoint, and the midpoint moved 1e-9 and 1e-7 degrees
 * to either side across the edge; 6 per edge into out. Returns how many, or SIZE_MAX with why. */
size_t pc_edge_points(struct pc_oracle *o, struct ac_rng *g, int level, int edges,
                      struct pc_pt *out, char why[PC_WHY]);

/* The division keys of obj (level, code, name, kind, approximate, center) against row idx, the
 * center converted to out and rounded to 7 decimals; idx -1: level `level` and nulls. obj may
 * have other keys (extra of them, exactly). */
bool pc_check_division(const json_t *obj, const struct pc_oracle *o, int32_t idx, int level,
                       size_t extra, enum crs_id out, char why[PC_WHY]);

/* A reverse chain: [] when at[0] < 0 (outside the city), otherwise the four levels in order. */
bool pc_check_chain(const json_t *chain, const struct pc_oracle *o, const int32_t at[PC_LEVELS],
                    enum crs_id out, char why[PC_WHY]);

/* A search hit's chain: the row's parents (through the parent column), from the city down. */
bool pc_check_parents(const json_t *chain, const struct pc_oracle *o, int32_t idx, enum crs_id out,
                      char why[PC_WHY]);

/* Is row idx strictly below row ancestor? */
bool pc_is_under(const struct pc_oracle *o, int32_t idx, int32_t ancestor);

/* What every /v1/places/search answer js must be: {results, count} with count the number of
 * results, at most limit, each a division row (pc_check_division, plus pinyin, match, how and
 * its parents as chain) of a level in level_mask and below parent (-1: any), classes in order,
 * no division twice. */
bool pc_check_search(const json_t *js, const struct pc_oracle *o, unsigned level_mask,
                     int32_t parent, size_t limit, enum crs_id out, char why[PC_WHY]);

/* ---- the search oracle for queries of Chinese characters only ---- */

enum { PC_EXACT, PC_PREFIX, PC_SUBSTRING };
extern const char *const pc_class_names[3];

struct pc_hit {
    int32_t idx;
    int cls; /* PC_EXACT .. PC_SUBSTRING */
};

/* The answer names.h promises for q (UTF-8, Han characters only): the rows whose name holds q
 * (EXACT when q is the name or one of its cores by the suffix rule, PREFIX when the name starts
 * with it, else SUBSTRING), of a level in level_mask (bit per level) and below parent (-1: any),
 * ordered by class, name length in code points, then code; at most limit of them into out[o->n].
 * Returns how many. */
size_t pc_search_hanzi(const struct pc_oracle *o, const char *q, unsigned level_mask,
                       int32_t parent, size_t limit, struct pc_hit *out);

/* Decodes valid UTF-8 s into cp (cap entries); returns the count, or SIZE_MAX if it is not valid
 * or does not fit. */
size_t pc_utf8_decode(const char *s, uint32_t *cp, size_t cap);
/* cp[0..n) (below U+10000) as UTF-8 into out (3 n + 1 bytes). */
void pc_utf8_encode(const uint32_t *cp, size_t n, char *out);
/* Is c a CJK unified ideograph (U+4E00..U+9FFF)? */
bool pc_is_han(uint32_t c);

/* The result for the division named `name` in a search answer (NULL), its position in *pos (-1). */
const json_t *pc_find_result(const json_t *js, const char *name, int *pos);

/* Is the division `code` among the EXACT results of js, or crowded out by `limit` of them? */
bool pc_exact_or_crowded(const json_t *js, const char *code, size_t limit);

/* ---- facilities and /v1/shake ---- */

/* The k facilities of category cat nearest to (lon, lat), by (distance, id), into out[k]. */
size_t pc_nearest(const struct oracle *f, double lon, double lat, int cat, size_t k,
                  struct oracle_hit *out);

/* A facility row as the store has it (live or not). */
struct pc_frow {
    uint32_t id;
    char source[32], key[32], code[16]; /* source, source_key, division_code; "" for NULL */
    bool has_code;                      /* division_code is not NULL */
};
/* Every facility row by id into r[cap], its position into lon, lat; how many (0 with why). */
size_t pc_facility_rows(struct pc_oracle *o, struct pc_frow *r, double *lon, double *lat,
                        size_t cap, char why[PC_WHY]);

#define PC_SHAKE_NCAT 5 /* categories of a shake's nearby */
#define PC_SHAKE_K 3    /* facilities of each */
extern const char *const pc_shake_cats[PC_SHAKE_NCAT];

/* What /v1/shake must answer at a WGS-84 position. */
struct pc_shake {
    int32_t at[PC_LEVELS]; /* pc_locate's answer: the place */
    uint32_t resp;         /* pc_responsible of the community, 0 for none */
    struct oracle_hit near[PC_SHAKE_NCAT][PC_SHAKE_K]; /* pc_nearest of each category */
    size_t nnear[PC_SHAKE_NCAT];
};

/* The expected answer at (lon, lat) into x; unless full, of the nearby only the community centres.
 */
bool pc_shake_expect(struct pc_oracle *o, const struct oracle *f, double lon, double lat, bool full,
                     struct pc_shake *x, char why[PC_WHY]);

/* Is the nearest community centre not the responsible one (which exists)? */
bool pc_other_nearer(const struct pc_shake *x);

/* A shake answer against x: exactly place (pc_check_chain), responsible (null, or that facility
 * as ac_check_facility has it, with its distance and bearing) and nearby (each category's
 * results as ac_check_results). */
bool pc_check_shake(const json_t *js, const struct pc_oracle *o, const struct oracle *f,
                    const struct pc_shake *x, double lon, double lat, enum crs_id out,
                    char why[PC_WHY]);

/* A CSV line split at commas outside double quotes (the quotes removed) into fl[0..max); returns
 * the number of fields. The line is changed. */
int pc_csv_split(char *line, char **fl, int max);

#endif

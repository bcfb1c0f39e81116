/* import_impl.h - the import engine's job and the kinds it imports, shared by importers/import*.c.
 * The engine (import.c) opens the file, maps its columns to a kind's fields, reads and checks
 * every record into rows (strings in one arena), refuses duplicate keys, then writes the rows in
 * one transaction. A kind (import_facility.c, import_division.c, import_enterprise.c) says which
 * fields it has, checks a record and writes a row. Internal to importers/. */
#ifndef GEOD_IMPORT_IMPL_H
#define GEOD_IMPORT_IMPL_H

#include "importers/import.h"
#include "importers/locate.h"
#include "importers/records.h"
#include "index/crs.h"
#include "index/crs_epsg.h"

#include <geos_c.h>
#include <stdint.h>
#include <sys/types.h>

#define IMPORT_MAX_FIELDS 12
#define IMPORT_NONE SIZE_MAX
#define IMPORT_MAX_ALIASES 10 /* column names a field is known by, NULL-terminated */

/* Wuhan and 50 km around it: a position farther out is a mistake (swapped axes, a wrong
 * coordinate system, a typo), not a record of the bureau. */
#define IMPORT_LON_MIN 113.16
#define IMPORT_LON_MAX 115.60
#define IMPORT_LAT_MIN 29.52
#define IMPORT_LAT_MAX 31.81

struct irow { /* a checked record */
    size_t where;
    size_t off[IMPORT_MAX_FIELDS]; /* arena offsets of the fields' text, IMPORT_NONE for none */
    double lon, lat;               /* WGS-84, NAN for none */
    int64_t n;                     /* a kind's number (an enterprise's disabled employees), -1 */
    size_t wkb_off, wkb_len;       /* a boundary as WGS-84 MultiPolygon WKB in the arena */
};

struct job;

struct kind_ops {
    const char *what; /* "facility", for messages */
    size_t nfields;   /* field 0 is the key records are matched by on re-import */
    const char *const *fields;
    const char *const (
        *aliases)[IMPORT_MAX_ALIASES]; /* [nfields] column names taken without a --map */
    int lon, lat;                      /* the fields holding a position, -1 for none */
    /* After mapping: GEOD_EINVAL (import_fail) when a column the kind needs is missing. */
    enum geod_err (*mapped)(struct job *j);
    /* Checks the record (its key already in row->off[0]): fills row, or reports it with
     * import_bad and clears *ok. A non-zero return stops the import. */
    enum geod_err (*check)(struct job *j, const struct record *r, struct irow *row, bool *ok);
    enum geod_err (*write)(struct job *j, const struct irow *row, enum store_change *what);
    /* Soft-deletes the source's records the feed no longer holds; NULL: the kind refuses
     * --delete-missing. */
    enum geod_err (*delete_missing)(struct job *j, size_t *deleted);
};

extern const struct kind_ops import_facility, import_division, import_enterprise;

struct job {
    const struct import_opts *o;
    const struct kind_ops *k;
    struct import_stats *st;
    struct store *s;
    FILE *log, *report;
    char *err;
    size_t errlen;
    ssize_t col[IMPORT_MAX_FIELDS]; /* the record field of each of the kind's, -1 for none */
    bool named_crs;
    enum crs_id crs;
    int epsg;
    struct crs_epsg_cache *proj;
    GEOSContextHandle_t geos; /* for boundaries, made on first use */
    struct locator *loc;      /* while writing */
    char actor[96];           /* "import:SOURCE" */
    struct irow *rows;
    size_t nrows, cap;
    char *arena;
    size_t alen, acap;
    size_t bad;
    double t0, last_progress;
    struct { /* the category texts seen, resolved (import_facility.c) */
        char text[64], id[32];
    } cats[16];
    size_t ncats;
};

/* Sets the one-line reason and returns rc. */
enum geod_err import_fail(struct job *j, enum geod_err rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a bad record (where, the field, why) on the log and in the report file. */
void import_bad(struct job *j, size_t where, const char *field, const char *why);
/* The trimmed text of the record's value for field f, NULL when missing or blank. */
const char *import_value(const struct job *j, const struct record *r, int f);
/* A finite number and nothing else. */
bool import_number(const char *s, double *out);
/* Copies text (or bytes) into the arena: *off its offset. */
enum geod_err import_put(struct job *j, const void *v, size_t len, size_t *off);
/* A row's field text, NULL for none. */
const char *import_str(const struct job *j, const struct irow *r, int f);
/* The record's position (the kind's lon/lat columns, else a Point geometry) in WGS-84 and
 * inside the region: 1, or 0 when there is none and !required, or -1 when it is bad (reported). */
int import_position(struct job *j, const struct record *r, bool required, double *lon, double *lat);
/* The record's Polygon/MultiPolygon geometry, transformed to WGS-84, valid and inside the
 * region, as MultiPolygon WKB in the arena (and a point on its surface as row->lon/lat when
 * those are NAN): 1, 0 when it has none, -1 when it is bad (reported);
 * a negative *rc (GEOD_ENOMEM) stops the import. */
int import_area(struct job *j, const struct record *r, struct irow *row, enum geod_err *rc);

#endif

/* shapefile.h - an ESRI Shapefile reader in plain C: the shapes of the .shp (its .shx, when there
 * is one, says where each starts) and the table of the .dbf, both from a file or from memory.
 * Every length and offset the files declare is checked against what is there: a truncated or
 * inconsistent file is an error naming the file and the record, never a read past the end.
 * Text fields come back as the bytes the file holds (trimmed); decoding them is the caller's.
 *
 * Shapes are read as 2-D: the Z and M of PointZ, PolygonM, ... are skipped. Polygons become OGC
 * WKB (2-D, little-endian): clockwise rings are outer rings, counter-clockwise rings holes, each
 * hole going to the smallest outer ring that contains it (a hole inside none becomes an outer
 * ring of its own, as SpatiaLite and GDAL do). */
#ifndef GEOD_SHAPEFILE_H
#define GEOD_SHAPEFILE_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- .shp (+ .shx) ---- */

struct shp_reader;

/* shx_path may be NULL (no .shx: the shapes are read one after the other). GEOD_ENOTFOUND when
 * the .shp is missing, GEOD_EINVAL (err says why) when it is not a shapefile, GEOD_EIO. */
enum geod_err shp_open(const char *shp_path, const char *shx_path, struct shp_reader **out,
                       char *err, size_t errlen);
/* The same over bytes in memory, which must outlive the reader; shx may be NULL. */
enum geod_err shp_open_mem(const void *shp, size_t shp_len, const void *shx, size_t shx_len,
                           struct shp_reader **out, char *err, size_t errlen);
void shp_close(struct shp_reader *r); /* shp_close(NULL) is a no-op */

/* The shape count the .shx gives, or SIZE_MAX without a .shx. */
size_t shp_count(const struct shp_reader *r);
/* The shape type of the file's header (1 Point, 3 PolyLine, 5 Polygon, 8 MultiPoint, +10 Z,
 * +20 M, 31 MultiPatch). */
int shp_file_type(const struct shp_reader *r);

struct shp_shape {
    size_t number;            /* the record, from 1 */
    int type;                 /* the record's shape type; 0 for a Null shape (none of the below) */
    bool has_point;           /* a Point, or a MultiPoint of one point */
    double x, y;              /* its position */
    const unsigned char *wkb; /* a Polygon or MultiPolygon as WKB, valid until the next call */
    size_t wkb_len;           /* bytes at wkb */
    const char *other;        /* anything else: "MultiPoint", "LineString", "MultiLineString",
                               * "MultiPatch" (a static string) */
    const char *bad; /* a well-formed record whose shape cannot be used (an unclosed ring, a
                      * coordinate that is not finite), why; the fields above unset */
};

/* The next shape: GEOD_OK, GEOD_ENOTFOUND after the last, GEOD_EINVAL for a truncated or
 * inconsistent record (err names the file and the record), GEOD_EIO, GEOD_ENOMEM. */
enum geod_err shp_next(struct shp_reader *r, struct shp_shape *s, char *err, size_t errlen);

/* ---- .dbf ---- */

struct dbf_reader;

struct dbf_field {
    char name[12]; /* the raw name bytes (not decoded), NUL-terminated */
    char type;     /* 'C', 'N', 'F', 'D', 'L', or another dBase type (read as not readable) */
    unsigned len;  /* bytes in a record */
    unsigned decimals;
};

/* GEOD_ENOTFOUND when the file is missing, GEOD_EINVAL (err says why) for a header that lies
 * (field lengths that do not add up to the record length, records past the end of the file),
 * GEOD_EIO. */
enum geod_err dbf_open(const char *path, struct dbf_reader **out, char *err, size_t errlen);
enum geod_err dbf_open_mem(const void *data, size_t len, struct dbf_reader **out, char *err,
                           size_t errlen);
void dbf_close(struct dbf_reader *r); /* dbf_close(NULL) is a no-op */

size_t dbf_nrecords(const struct dbf_reader *r);
size_t dbf_nfields(const struct dbf_reader *r);
const struct dbf_field *dbf_field(const struct dbf_reader *r, size_t i);
/* The language driver byte of the header (0x4D, 0x7A: GBK; 0: not said). */
unsigned dbf_language_driver(const struct dbf_reader *r);

/* Reads record i (from 0): *deleted when it carries the deletion mark. GEOD_EIO, GEOD_EINVAL
 * when it is not there (a file that shrank). */
enum geod_err dbf_read(struct dbf_reader *r, size_t i, bool *deleted, char *err, size_t errlen);

enum dbf_value {
    DBF_MISSING, /* blank, an empty or all-* number, a null date or logical */
    DBF_TEXT,    /* a C field: bytes in the file's encoding, trimmed of spaces and NULs */
    DBF_PLAIN,   /* ASCII text made by the reader: a number as written ("-12.50"), a date as
                  * YYYY-MM-DD, a logical as "true" or "false" */
    DBF_BAD,     /* what the field holds is not what its type says; *p is why */
};

/* Field j of the record last read: *p, *len (not NUL-terminated; valid until the next call). */
enum dbf_value dbf_value(struct dbf_reader *r, size_t j, const char **p, size_t *len);

#endif

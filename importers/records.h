/* records.h - what every import reads, whatever the file: records of named text fields, already
 * UTF-8, with where they came from (a line, a feature number) for reports, and a point when the
 * format carries geometry. A field that cannot be decoded is reported, not guessed. */
#ifndef GEOD_RECORDS_H
#define GEOD_RECORDS_H

#include "importers/text.h"
#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>

struct record {
    size_t where;        /* CSV: the line the record starts on; GeoJSON: the feature, from 1 */
    size_t nfields;      /* as many as rec_nfields() */
    const char **values; /* [nfields] NUL-terminated UTF-8; NULL where decoding failed */
    const char *bad_field; /* the first field that failed to decode (its name), or NULL */
    const char *bad_why;   /* why */
    /* The geometry, in the file's coordinate system: a Point, or a Polygon/MultiPolygon as 2-D
     * WKB (borrowed until the next record), or the type name of anything else ("LineString");
     * none of the three for a record without geometry (CSV). */
    bool has_point;
    double x, y;
    const unsigned char *area_wkb;
    size_t area_wkb_len;
    const char *other_geometry;
};

struct rec_source;

/* A CSV file: the first record names the fields. GEOD_EINVAL (err says why) for a file that does
 * not start with a header of distinct names, GEOD_EIO when it cannot be read. */
enum geod_err rec_open_csv(const char *path, enum text_encoding enc, struct rec_source **out,
                           char *err, size_t errlen);

/* A GeoJSON file: the fields are the union of the features' property names (values as text:
 * strings as they are, numbers as JSON writes them, null as missing), and each feature's
 * geometry as the record's. crs_out gets the file's "crs" name ("" when none). */
enum geod_err rec_open_geojson(const char *path, struct rec_source **out, char *crs_out,
                               size_t crs_len, char *err, size_t errlen);

size_t rec_nfields(const struct rec_source *s);
const char *rec_field_name(const struct rec_source *s, size_t i);

/* The next record, valid until the next call: GEOD_OK, GEOD_ENOTFOUND at the end, GEOD_EINVAL
 * for a file that cannot be read on (a CSV error: err says where), GEOD_EIO, GEOD_ENOMEM. A
 * record with the wrong number of fields comes back with bad_why set. */
enum geod_err rec_next(struct rec_source *s, struct record *r, char *err, size_t errlen);

/* How far through the file, 0..1, for progress reports. */
double rec_progress(const struct rec_source *s);

void rec_close(struct rec_source *s);

#endif

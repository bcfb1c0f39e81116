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
    size_t where;          /* CSV: the line the record starts on; GeoJSON: the feature, from 1;
                            * Shapefile: the record number, from 1; SQLite: the rowid */
    size_t nfields;        /* as many as rec_nfields() */
    const char **values;   /* [nfields] NUL-terminated UTF-8; NULL where decoding failed */
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

/* An ESRI Shapefile (path to the .shp; .shx and .dbf beside it, .prj and .cpg read when present):
 * fields are the .dbf's columns (decoded: enc_given NULL means detect from the .cpg, else the
 * dbf language driver byte (0x4D/0x7A = GBK), else UTF-8 that must prove itself field by field;
 * enc_out gets the name used, e.g. "gbk (from the .cpg)"), each record's geometry as Point or
 * Polygon/MultiPolygon WKB (records.h's struct record fields has_point/x/y, area_wkb/area_wkb_len,
 * other_geometry). crs_out gets "EPSG:n" identified from the .prj WKT ("" when no .prj;
 * GEOD_EINVAL with a clear message when a .prj exists but cannot be identified).
 * Numbers come as written ("4.500"), dates as YYYY-MM-DD, logicals as true/false; columns of
 * dBase types other than C, N, F, D and L (memo, binary) are not fields. Deleted records are
 * skipped; a Null shape is a record without geometry; a shape that cannot be used (an unclosed
 * ring) is a record with bad_why set ("geometry: ...") and bad_field NULL. Without a .shx the
 * .shp is read record after record. GEOD_EINVAL (err says which file and why) for a missing
 * .dbf, a header that lies, an unknown .cpg encoding, field names that do not decode or repeat,
 * and shape and record counts that differ; rec_next gives GEOD_EINVAL for a truncated or
 * inconsistent record. */
enum geod_err rec_open_shp(const char *path, const char *enc_given, struct rec_source **out,
                           char *enc_out, size_t enc_len, char *crs_out, size_t crs_len, char *err,
                           size_t errlen);

/* A table of a SQLite/SpatiaLite file: table NULL means the only table with a geometry column
 * (registered in geometry_columns), else the only user table; ambiguous -> GEOD_EINVAL listing the
 * tables ("give --table"). Fields are the non-geometry columns as text (integers/reals as text,
 * BLOB columns skipped or reported), the geometry column's value (SpatiaLite blob) converted to the
 * record's Point / Polygon-MultiPolygon WKB (use SpatiaLite SQL: AsBinary(geom) / ST_X/ST_Y, in a
 * separate connection opened read-only with mod_spatialite loaded — see how data/store.c loads it);
 * crs_out gets "EPSG:n" from the geometry column's SRID ("" when none). The file is opened
 * read-only and never modified.
 * Reals come as the shortest text that reads back as the same double; columns declared BLOB are
 * not fields, and a BLOB in another column is that record's bad field. A table with more than one
 * geometry column is GEOD_EINVAL; a geometry that is not a SpatiaLite geometry is a bad field.
 * GEOD_ENOTFOUND for a missing file or table, GEOD_EINVAL for a file that is not SQLite. */
enum geod_err rec_open_sqlite(const char *path, const char *table, struct rec_source **out,
                              char *crs_out, size_t crs_len, char *err, size_t errlen);

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

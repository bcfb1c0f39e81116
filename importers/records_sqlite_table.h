/* records_sqlite_table.h - which table of a SQLite/SpatiaLite file a reader reads (given, or the
 * one table that can be meant), its geometry column and coordinate system, and the SELECT that
 * reads it. Internal to importers/records_sqlite*.c. */
#ifndef GEOD_RECORDS_SQLITE_TABLE_H
#define GEOD_RECORDS_SQLITE_TABLE_H

#include "importers/records.h"

#include <sqlite3.h>
#include <stdint.h>

struct sqlite_table {
    char *name;   /* as the file spells it */
    char *geom;   /* its geometry column (registered in geometry_columns), or NULL */
    int epsg;     /* the EPSG code of the geometry column's SRID, or 0 */
    char **names; /* [nfields] the fields' names, borrowed from the rec_source (by prepare) */
    size_t nfields;
};

/* Picks the table: want (any case), else the only table with a geometry column, else the only
 * user table (SpatiaLite's metadata, SQLite's own and virtual tables and their shadows are not
 * user tables). GEOD_ENOTFOUND for a table that is not there, GEOD_EINVAL for a file that is not
 * SQLite, for no table or more than one that can be meant (err lists them), and for a table with
 * more than one geometry column; GEOD_ENOMEM. */
enum geod_err sqlite_table_pick(sqlite3 *db, const char *path, const char *want,
                                struct sqlite_table *t, char *err, size_t errlen);

/* Adds t's fields to rs (every column but the geometry and those declared BLOB) and prepares
 * *st: SELECT rowid, the fields, and when there is geometry: the geometry, GeometryType,
 * ST_X, ST_Y, ST_X and ST_Y of GeometryN(.., 1), AsBinary(CastToXY(..)), NumGeometries, in rowid
 * order. *total gets the row count. GEOD_EINVAL (err says why), GEOD_ENOMEM. */
enum geod_err sqlite_table_prepare(sqlite3 *db, const char *path, struct sqlite_table *t,
                                   struct rec_source *rs, sqlite3_stmt **st, int64_t *total,
                                   char *err, size_t errlen);

void sqlite_table_clear(struct sqlite_table *t);

#endif

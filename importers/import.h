/* import.h - `geod import`: a feed from the data center into the store, as one transaction. Every
 * record is read, decoded and checked before anything is written; without skip_bad one bad record
 * means nothing is written (the store is left as it was), with it the bad ones are reported and the
 * rest imported. Records are keyed by (source, id column): a re-import updates what changed,
 * leaves the rest alone, and with delete_missing soft-deletes what the feed dropped. */
#ifndef GEOD_IMPORT_H
#define GEOD_IMPORT_H

#include "data/store.h"

#include <stdbool.h>
#include <stdio.h>

#define IMPORT_MAX_MAPS 32

enum import_kind { IMPORT_FACILITY, IMPORT_DIVISION, IMPORT_ENTERPRISE };

struct import_opts {
    const char *path;
    const char *format;   /* csv, geojson, shp, sqlite; NULL: from the file name's extension */
    const char *table;    /* sqlite: the table; NULL: the only one (with a geometry column) */
    enum import_kind kind;
    const char *category; /* facilities: the category of rows that name none */
    const char *crs;      /* wgs84, gcj02, bd09, cgcs2000 or EPSG:n; NULL: from the file */
    const char *encoding; /* utf-8, gbk, gb18030; NULL: from the file (BOM, valid UTF-8) */
    const char *maps[IMPORT_MAX_MAPS]; /* "column=field" */
    size_t nmaps;
    const char *source;   /* the feed's name; NULL: the file's base name */
    const char *report;   /* where bad records are listed; NULL: PATH.report.txt */
    bool dry_run, skip_bad, delete_missing;
};

struct import_stats {
    size_t records, inserted, updated, unchanged, deleted, rejected;
    char encoding[48], crs[64], format[16], source[64];
};

/* Runs the import; progress and the list of bad records go to `log` (stderr). GEOD_EINVAL with a
 * one-line reason in err for a file that cannot be imported as a whole (unknown format, missing
 * columns, unknown encoding or CRS, bad records without skip_bad); GEOD_ESTORE, GEOD_EIO,
 * GEOD_ENOMEM. */
enum geod_err import_run(struct store *s, const struct import_opts *o, struct import_stats *st,
                         FILE *log, char *err, size_t errlen);

#endif

/* import.c - `geod import FILE --db PATH [options]`: a feed into the store (importers/import.h).
 * A missing store is created with the built-in data first, as `geod serve` does. A running
 * `geod serve` on the same store picks the change up by itself. */
#include "geod/geod.h"
#include "geod/lifecycle.h"
#include "importers/import.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: geod import FILE --db PATH [--format csv|geojson|shp|sqlite] [--table T]\n"
    "       [--kind facility|division|enterprise]\n"
    "       [--category C] [--crs wgs84|gcj02|bd09|cgcs2000|EPSG:n] [--encoding "
    "utf-8|gbk|gb18030]\n"
    "       [--map COLUMN=FIELD ...] [--source NAME] [--report FILE] [--dry-run] [--skip-bad]\n"
    "       [--delete-missing]\n";

/* --name value or --name=value. */
static const char *opt(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int geod_import(int argc, char **argv)
{
    struct import_opts o = {0};
    const char *db = NULL, *kind = NULL, *v;
    for (int i = 0; i < argc; i++) {
        if ((v = opt(argc, argv, &i, "--db")))
            db = v;
        else if ((v = opt(argc, argv, &i, "--format")))
            o.format = v;
        else if ((v = opt(argc, argv, &i, "--table")))
            o.table = v;
        else if ((v = opt(argc, argv, &i, "--kind")))
            kind = v;
        else if ((v = opt(argc, argv, &i, "--category")))
            o.category = v;
        else if ((v = opt(argc, argv, &i, "--crs")))
            o.crs = v;
        else if ((v = opt(argc, argv, &i, "--encoding")))
            o.encoding = v;
        else if ((v = opt(argc, argv, &i, "--source")))
            o.source = v;
        else if ((v = opt(argc, argv, &i, "--report")))
            o.report = v;
        else if ((v = opt(argc, argv, &i, "--map"))) {
            if (o.nmaps == IMPORT_MAX_MAPS) {
                fprintf(stderr, "geod import: at most %d --map\n", IMPORT_MAX_MAPS);
                return 2;
            }
            o.maps[o.nmaps++] = v;
        } else if (strcmp(argv[i], "--dry-run") == 0)
            o.dry_run = true;
        else if (strcmp(argv[i], "--skip-bad") == 0)
            o.skip_bad = true;
        else if (strcmp(argv[i], "--delete-missing") == 0)
            o.delete_missing = true;
        else if (argv[i][0] != '-' && !o.path)
            o.path = argv[i];
        else {
            fprintf(stderr, "geod import: unexpected %s\n%s", argv[i], usage);
            return 2;
        }
    }
    if (!o.path || !db) {
        fputs(usage, stderr);
        return 2;
    }
    if (!kind || strcmp(kind, "facility") == 0) {
        o.kind = IMPORT_FACILITY;
    } else if (strcmp(kind, "division") == 0) {
        o.kind = IMPORT_DIVISION;
    } else if (strcmp(kind, "enterprise") == 0) {
        o.kind = IMPORT_ENTERPRISE;
    } else {
        fprintf(stderr, "geod import: --kind %s: want facility, division or enterprise\n", kind);
        return 2;
    }
    struct stat st;
    if (stat(db, &st) != 0) {
        if (errno != ENOENT) {
            fprintf(stderr, "geod import: %s: %s\n", db, strerror(errno));
            return 1;
        }
        if (geod_create_store(db))
            return 1;
    }
    char err[512] = "";
    struct store *s;
    if (store_open(db, false, &s, err, sizeof err)) {
        fprintf(stderr, "geod import: %s\n", err);
        return 1;
    }
    struct import_stats stats;
    double t0 = geod_now();
    enum geod_err rc = import_run(s, &o, &stats, stderr, err, sizeof err);
    store_close(s);
    double secs = geod_now() - t0;
    if (rc) {
        fprintf(stderr, "geod import: %s: %s\n", o.path, err[0] ? err : geod_strerror(rc));
        return 1;
    }
    fprintf(stderr,
            "geod import: %s (%s, %s, %s) as source %s: %zu records: %zu inserted, %zu updated, "
            "%zu unchanged, %zu deleted, %zu rejected%s (%.2f s, %.0f records/s)\n",
            o.path, stats.format, stats.encoding, stats.crs, stats.source, stats.records,
            stats.inserted, stats.updated, stats.unchanged, stats.deleted, stats.rejected,
            o.dry_run ? "; dry run: nothing written" : "", secs,
            stats.records / (secs > 0 ? secs : 1e-9));
    return 0;
}

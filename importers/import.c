/* import.c - a feed into the store. Three passes: read and check every record (nothing is
 * written, and a bad record is listed with where it is, the field and why), then one transaction
 * of upserts keyed by (source, key), then, when asked, soft-deletion of what the feed no longer
 * holds. A dry run does all of it and rolls back. What a record holds is the kind's business
 * (import_facility.c, import_division.c, import_enterprise.c). */
#include "importers/import_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

enum geod_err import_fail(struct job *j, enum geod_err rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, j->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *unit(const struct job *j)
{
    return strcmp(j->st->format, "csv") == 0       ? "line"
           : strcmp(j->st->format, "geojson") == 0 ? "feature"
           : strcmp(j->st->format, "shp") == 0     ? "record"
                                                   : "row";
}

/* One bad record: on the log (the first 20) and in the report (all). */
void import_bad(struct job *j, size_t where, const char *field, const char *why)
{
    if (j->bad < 20)
        fprintf(j->log, "import: %s %zu, field %s: %s\n", unit(j), where, field ? field : "-", why);
    if (j->report)
        fprintf(j->report, "%s %zu\t%s\t%s\n", unit(j), where, field ? field : "-", why);
    j->bad++;
}

static enum geod_err map_columns(struct job *j, const struct rec_source *src)
{
    const struct kind_ops *k = j->k;
    for (size_t f = 0; f < k->nfields; f++)
        j->col[f] = -1;
    for (size_t m = 0; m < j->o->nmaps; m++) { /* --map column=field */
        const char *eq = strchr(j->o->maps[m], '=');
        size_t f = 0;
        while (eq && f < k->nfields && strcmp(eq + 1, k->fields[f]) != 0)
            f++;
        if (!eq || f == k->nfields) {
            char list[256] = "";
            for (size_t i = 0; i < k->nfields; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         k->fields[i]);
            return import_fail(j, GEOD_EINVAL, "--map %s: want COLUMN=FIELD, FIELD one of %s",
                               j->o->maps[m], list);
        }
        size_t len = (size_t)(eq - j->o->maps[m]);
        for (size_t i = 0; i < rec_nfields(src); i++) {
            const char *n = rec_field_name(src, i);
            if (strlen(n) == len && memcmp(n, j->o->maps[m], len) == 0)
                j->col[f] = (ssize_t)i;
        }
        if (j->col[f] < 0)
            return import_fail(j, GEOD_EINVAL, "--map %s: the file has no column %.*s",
                               j->o->maps[m], (int)len, j->o->maps[m]);
    }
    for (size_t f = 0; f < k->nfields; f++)
        for (size_t i = 0; j->col[f] < 0 && i < rec_nfields(src); i++)
            for (int a = 0; k->aliases[f][a]; a++)
                if (strcasecmp(rec_field_name(src, i), k->aliases[f][a]) == 0)
                    j->col[f] = (ssize_t)i;
    if (j->col[0] < 0)
        return import_fail(j, GEOD_EINVAL,
                           "no %s column (records are matched by it on re-import): name one "
                           "with --map COLUMN=%s",
                           k->fields[0], k->fields[0]);
    return k->mapped(j);
}

enum geod_err import_put(struct job *j, const void *v, size_t n, size_t *off)
{
    if (j->alen + n > j->acap) {
        size_t cap = j->acap ? j->acap * 2 : 1 << 20;
        while (cap < j->alen + n)
            cap *= 2;
        char *a = realloc(j->arena, cap);
        if (!a)
            return GEOD_ENOMEM;
        j->arena = a;
        j->acap = cap;
    }
    memcpy(j->arena + j->alen, v, n);
    *off = j->alen;
    j->alen += n;
    return GEOD_OK;
}

const char *import_str(const struct job *j, const struct irow *r, int f)
{
    return r->off[f] == IMPORT_NONE ? NULL : j->arena + r->off[f];
}

bool import_number(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return false;
    *out = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end == '\0' && isfinite(*out);
}

const char *import_value(const struct job *j, const struct record *r, int f)
{
    ssize_t col = j->col[f];
    if (col < 0 || !r->values[col])
        return NULL;
    const char *v = r->values[col];
    while (*v == ' ' || *v == '\t')
        v++;
    return *v ? v : NULL;
}

/* Checks one record into j->rows; a bad one is reported and left out. */
static enum geod_err check(struct job *j, const struct record *r)
{
    if (r->bad_why && !j->o->encoding && strstr(r->bad_why, "UTF-8")) {
        char why[96];
        snprintf(why, sizeof why, "%s (a GBK file? give --encoding gbk)", r->bad_why);
        return import_bad(j, r->where, r->bad_field, why), GEOD_OK;
    }
    if (r->bad_why)
        return import_bad(j, r->where, r->bad_field, r->bad_why), GEOD_OK;
    struct irow row = {.where = r->where, .lon = NAN, .lat = NAN, .n = -1};
    for (size_t f = 0; f < IMPORT_MAX_FIELDS; f++)
        row.off[f] = IMPORT_NONE;
    const char *key = import_value(j, r, 0);
    if (!key)
        return import_bad(j, r->where, j->k->fields[0], "missing"), GEOD_OK;
    if (strlen(key) > 200)
        return import_bad(j, r->where, j->k->fields[0], "longer than 200 bytes"), GEOD_OK;
    enum geod_err rc = import_put(j, key, strlen(key) + 1, &row.off[0]);
    bool ok = true;
    if (rc)
        return rc;
    if ((rc = j->k->check(j, r, &row, &ok)) || !ok) {
        j->alen = row.off[0]; /* drops what the record put */
        return rc;
    }
    if (j->nrows == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 4096;
        struct irow *a = realloc(j->rows, cap * sizeof *a);
        if (!a)
            return GEOD_ENOMEM;
        j->rows = a;
        j->cap = cap;
    }
    j->rows[j->nrows++] = row;
    return GEOD_OK;
}

static int key_cmp(const void *a, const void *b, void *arg)
{
    const struct job *j = arg;
    const struct irow *x = *(struct irow *const *)a, *y = *(struct irow *const *)b;
    int c = strcmp(import_str(j, x, 0), import_str(j, y, 0));
    return c ? c : (x->where > y->where) - (x->where < y->where);
}

/* A key twice in one feed is an error for every occurrence after the first. */
static enum geod_err check_duplicates(struct job *j)
{
    struct irow **by = malloc((j->nrows ? j->nrows : 1) * sizeof *by);
    if (!by)
        return GEOD_ENOMEM;
    for (size_t i = 0; i < j->nrows; i++)
        by[i] = &j->rows[i];
    qsort_r(by, j->nrows, sizeof *by, key_cmp, j);
    for (size_t i = 1; i < j->nrows; i++) {
        if (strcmp(import_str(j, by[i], 0), import_str(j, by[i - 1], 0)) == 0) {
            char why[96];
            snprintf(why, sizeof why, "the %s is already on %s %zu", j->k->fields[0], unit(j),
                     by[i - 1]->where);
            import_bad(j, by[i]->where, j->k->fields[0], why);
            by[i]->where = 0; /* marks it out */
            by[i] = by[i - 1];
        }
    }
    free(by);
    size_t k = 0;
    for (size_t i = 0; i < j->nrows; i++)
        if (j->rows[i].where)
            j->rows[k++] = j->rows[i];
    j->nrows = k;
    return GEOD_OK;
}

static void progress(struct job *j, const char *what, size_t done, double frac)
{
    double t = now();
    if (t - j->last_progress < 1.0)
        return;
    j->last_progress = t;
    double rate = done / (t - j->t0 + 1e-9);
    fprintf(j->log, "import: %s %zu records (%.0f/s)", what, done, rate);
    if (frac > 0.01 && frac < 1)
        fprintf(j->log, ", %.0f%%, about %.0f s left", 100 * frac, (t - j->t0) * (1 - frac) / frac);
    fputc('\n', j->log);
}

static enum geod_err write_rows(struct job *j)
{
    enum geod_err rc = store_begin(j->s);
    if (rc)
        return import_fail(j, rc, "store: %s", store_errmsg(j->s));
    if ((rc = store_import_begin(j->s)) || (!j->loc && (rc = locator_new(j->s, &j->loc)))) {
        store_rollback(j->s);
        return import_fail(j, rc, "store: %s", store_errmsg(j->s));
    }
    j->t0 = j->last_progress = now();
    for (size_t i = 0; !rc && i < j->nrows; i++) {
        enum store_change what;
        if ((rc = j->k->write(j, &j->rows[i], &what)))
            break;
        j->st->inserted += what == STORE_INSERTED;
        j->st->updated += what == STORE_UPDATED;
        j->st->unchanged += what == STORE_UNCHANGED;
        progress(j, "wrote", i + 1, (double)(i + 1) / (double)j->nrows);
    }
    if (!rc && j->o->delete_missing)
        rc = j->k->delete_missing(j, &j->st->deleted);
    if (rc) {
        store_rollback(j->s);
        if (!j->err[0])
            import_fail(j, rc, "store: %s", store_errmsg(j->s));
        strncat(j->err, " (nothing was imported)", j->errlen - strlen(j->err) - 1);
        return rc;
    }
    if (j->o->dry_run) {
        store_rollback(j->s);
        return GEOD_OK;
    }
    if ((rc = store_commit(j->s))) {
        store_rollback(j->s);
        return import_fail(j, rc, "store: %s (nothing was imported)", store_errmsg(j->s));
    }
    return GEOD_OK;
}

/* The format a file name says, "" for none. */
static const char *format_of(const char *path)
{
    static const char *const ext[][2] = {
        {".csv", "csv"},        {".txt", "csv"},       {".geojson", "geojson"},
        {".json", "geojson"},   {".shp", "shp"},       {".sqlite", "sqlite"},
        {".db", "sqlite"},      {".spatialite", "sqlite"}, {".sqlite3", "sqlite"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot, ext[i][0]) == 0)
            return ext[i][1];
    return dot && !strchr(dot, '/') ? dot + 1 : "";
}

/* Format, encoding and coordinate system: given, else what the file says. */
static enum geod_err open_source(struct job *j, struct rec_source **src)
{
    const struct import_opts *o = j->o;
    const char *format = o->format ? o->format : format_of(o->path);
    snprintf(j->st->format, sizeof j->st->format, "%s", format);
    char crs[64] = "";
    enum geod_err rc;
    if (o->table && strcmp(format, "sqlite") != 0)
        return import_fail(j, GEOD_EINVAL, "--table is for SQLite files (--format sqlite)");
    if (o->encoding && strcmp(format, "csv") != 0 && strcmp(format, "shp") != 0)
        return import_fail(j, GEOD_EINVAL, "--encoding is for CSV files and Shapefiles (%s files "
                                           "are UTF-8)",
                           format);
    if (strcmp(format, "csv") == 0) {
        enum text_encoding enc = TEXT_UTF8; /* BOM or plain: decoding proves it field by field */
        if (o->encoding && text_encoding_parse(o->encoding, &enc))
            return import_fail(j, GEOD_EINVAL, "--encoding %s: want utf-8, gbk or gb18030",
                               o->encoding);
        snprintf(j->st->encoding, sizeof j->st->encoding, "%s%s", text_encoding_name(enc),
                 o->encoding ? "" : " (not given: the file must prove it)");
        rc = rec_open_csv(o->path, enc, src, j->err, j->errlen);
        if (rc == GEOD_EINVAL && !o->encoding && strstr(j->err, "UTF-8"))
            strncat(j->err, " (a GBK file? give --encoding gbk)",
                    j->errlen - strlen(j->err) - 1);
    } else if (strcmp(format, "geojson") == 0) {
        snprintf(j->st->encoding, sizeof j->st->encoding, "utf-8");
        rc = rec_open_geojson(o->path, src, crs, sizeof crs, j->err, j->errlen);
    } else if (strcmp(format, "shp") == 0) {
        enum text_encoding enc;
        if (o->encoding && text_encoding_parse(o->encoding, &enc))
            return import_fail(j, GEOD_EINVAL, "--encoding %s: want utf-8, gbk or gb18030",
                               o->encoding);
        /* a given --crs stands for the .prj, which is then not read */
        rc = rec_open_shp(o->path, o->encoding, src, j->st->encoding, sizeof j->st->encoding, crs,
                          o->crs ? 0 : sizeof crs, j->err, j->errlen);
        if (rc == GEOD_EINVAL && !o->encoding && strstr(j->err, "UTF-8"))
            strncat(j->err, " (a GBK file? give --encoding gbk)",
                    j->errlen - strlen(j->err) - 1);
    } else if (strcmp(format, "sqlite") == 0) {
        snprintf(j->st->encoding, sizeof j->st->encoding, "utf-8");
        rc = rec_open_sqlite(o->path, o->table, src, crs, sizeof crs, j->err, j->errlen);
        if (rc == GEOD_ENOTFOUND)
            rc = GEOD_EINVAL; /* a missing table: err lists the tables */
    } else {
        return import_fail(j, GEOD_EINVAL,
                           "format %s is not supported (csv, geojson, shp, sqlite): give --format",
                           *format ? format : "(none)");
    }
    if (rc)
        return rc;
    /* the coordinate system: --crs, else the file's, else GeoJSON's WGS-84; a Shapefile
     * without a .prj or a table without an SRID must be told */
    if (!o->crs && !*crs && (strcmp(format, "shp") == 0 || strcmp(format, "sqlite") == 0)) {
        rec_close(*src);
        *src = NULL;
        return import_fail(j, GEOD_EINVAL,
                           "%s does not say its coordinate system (%s): give --crs (wgs84, "
                           "gcj02, bd09, cgcs2000 or EPSG:n)",
                           o->path, strcmp(format, "shp") == 0 ? "no .prj" : "no SRID");
    }
    const char *c = o->crs ? o->crs : *crs ? crs : "wgs84";
    const char *epsg = strstr(c, "EPSG");
    char norm[32];
    if (epsg && !o->crs) { /* urn:ogc:def:crs:EPSG::4547 -> EPSG:4547 */
        const char *digits = epsg + strcspn(epsg, "0123456789");
        snprintf(norm, sizeof norm, "EPSG:%.10s", digits);
        c = norm;
    }
    snprintf(j->st->crs, sizeof j->st->crs, "%s", c);
    if (crs_parse(c, strlen(c), &j->crs) == GEOD_OK) {
        j->named_crs = true;
    } else if (crs_epsg_parse(c, strlen(c), &j->epsg) || crs_epsg_cache_new(&j->proj) ||
               crs_epsg_to_wgs84(j->proj, j->epsg, 0, 0, &(double){0}, &(double){0}) == GEOD_ECRS) {
        rec_close(*src);
        *src = NULL;
        return import_fail(j, GEOD_EINVAL,
                           "coordinate system %s: want wgs84, gcj02, bd09, cgcs2000 or an "
                           "EPSG:n that PROJ knows",
                           c);
    }
    return GEOD_OK;
}

enum geod_err import_run(struct store *s, const struct import_opts *o, struct import_stats *st,
                         FILE *log, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    static const struct kind_ops *const kinds[] = {
        [IMPORT_FACILITY] = &import_facility,
        [IMPORT_DIVISION] = &import_division,
        [IMPORT_ENTERPRISE] = &import_enterprise,
    };
    struct job j = {
        .o = o, .k = kinds[o->kind], .st = st, .s = s, .log = log, .err = err, .errlen = errlen};
    err[0] = '\0';
    if ((size_t)o->kind >= sizeof kinds / sizeof kinds[0] || !kinds[o->kind])
        return import_fail(&j, GEOD_EINVAL, "this kind of record cannot be imported yet");
    const char *base = strrchr(o->path, '/');
    snprintf(st->source, sizeof st->source, "%s",
             o->source ? o->source
             : base    ? base + 1
                       : o->path);
    snprintf(j.actor, sizeof j.actor, "import:%s", st->source);
    if (o->delete_missing && !j.k->delete_missing)
        return import_fail(&j, GEOD_EINVAL,
                           "--delete-missing: %s records are not deleted by a "
                           "feed",
                           j.k->what);
    struct rec_source *src = NULL;
    enum geod_err rc = open_source(&j, &src);
    if (!rc)
        rc = map_columns(&j, src);
    if (!rc && !o->crs && strcmp(st->format, "csv") == 0 && j.k->lon >= 0 && j.col[j.k->lon] >= 0)
        rc = import_fail(&j, GEOD_EINVAL,
                         "a CSV file does not say its coordinate system: give --crs (wgs84, "
                         "gcj02, bd09, cgcs2000 or EPSG:n)");
    char report[4096];
    snprintf(report, sizeof report, "%s", o->report ? o->report : o->path);
    if (!o->report)
        strncat(report, ".report.txt", sizeof report - strlen(report) - 1);
    if (!rc && !(j.report = fopen(report, "w")))
        rc = import_fail(&j, GEOD_EIO, "cannot write the report %s", report);
    j.t0 = j.last_progress = now();
    struct record r;
    while (!rc && (rc = rec_next(src, &r, err, errlen)) == GEOD_OK) {
        st->records++;
        rc = check(&j, &r);
        progress(&j, "read", st->records, rec_progress(src));
    }
    if (rc == GEOD_ENOTFOUND)
        rc = check_duplicates(&j);
    rec_close(src);
    st->rejected = j.bad;
    if (!rc && j.bad && !o->skip_bad)
        rc = import_fail(&j, GEOD_EINVAL,
                         "%zu bad record%s (listed in %s); nothing was imported "
                         "(--skip-bad imports the others)",
                         j.bad, j.bad == 1 ? "" : "s", report);
    if (!rc)
        rc = write_rows(&j);
    if (j.report)
        fclose(j.report);
    if (!j.bad && j.report)
        remove(report); /* nothing to report */
    locator_free(j.loc);
    crs_epsg_cache_free(j.proj);
    if (j.geos)
        GEOS_finish_r(j.geos);
    free(j.rows);
    free(j.arena);
    return rc;
}

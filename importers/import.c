/* import.c - a facility feed into the store. Three passes: read and check every record (nothing
 * is written, and a bad record is listed with where it is, the field and why), then one
 * transaction of upserts keyed by (source, id), then, when asked, soft-deletion of what the feed
 * no longer holds. A dry run does all of it and rolls back. */
#include "importers/import.h"
#include "importers/locate.h"
#include "importers/records.h"
#include "index/crs.h"
#include "index/crs_epsg.h"
#include "index/hours.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Wuhan and 50 km around it: a position farther out is a mistake (swapped axes, a wrong
 * coordinate system, a typo), not a facility of the bureau. */
#define REGION_LON_MIN 113.16
#define REGION_LON_MAX 115.60
#define REGION_LAT_MIN 29.52
#define REGION_LAT_MAX 31.81

enum field { F_ID, F_NAME, F_CATEGORY, F_ADDRESS, F_PHONE, F_HOURS, F_LON, F_LAT, F_COUNT };

static const char *const field_names[F_COUNT] = {"id",    "name",  "category", "address",
                                                 "phone", "hours", "lon",      "lat"};

/* Column names taken for a field when no --map says otherwise (case-insensitive for ASCII). */
static const char *const aliases[F_COUNT][8] = {
    [F_ID] = {"id", "key", "source_key", "code", "编号", "编码", "ID", NULL},
    [F_NAME] = {"name", "名称", "机构名称", "单位名称", NULL},
    [F_CATEGORY] = {"category", "类别", "类型", NULL},
    [F_ADDRESS] = {"address", "地址", "详细地址", NULL},
    [F_PHONE] = {"phone", "tel", "telephone", "电话", "联系电话", NULL},
    [F_HOURS] = {"hours", "opening_hours", "开放时间", "服务时间", NULL},
    [F_LON] = {"lon", "lng", "longitude", "x", "经度", NULL},
    [F_LAT] = {"lat", "latitude", "y", "纬度", NULL},
};

struct frow { /* a checked record, strings in the rows arena */
    size_t where;
    size_t off[F_COUNT]; /* arena offsets, SIZE_MAX for none (lon/lat unused) */
    double lon, lat;     /* WGS-84 */
};

struct job {
    const struct import_opts *o;
    struct import_stats *st;
    struct store *s;
    FILE *log, *report;
    char *err;
    size_t errlen;
    ssize_t col[F_COUNT]; /* the record field of each of ours, -1 for none */
    bool named_crs;
    enum crs_id crs;
    int epsg;
    struct crs_epsg_cache *proj;
    struct frow *rows;
    size_t nrows, cap;
    char *arena;
    size_t alen, acap;
    size_t bad;
    double t0, last_progress;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static enum geod_err fail(struct job *j, enum geod_err rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, j->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* One bad record: on the log (the first 20) and in the report (all). */
static void bad(struct job *j, size_t where, const char *field, const char *why)
{
    const char *unit = strcmp(j->st->format, "csv") == 0 ? "line" : "feature";
    if (j->bad < 20)
        fprintf(j->log, "import: %s %zu, field %s: %s\n", unit, where, field ? field : "-", why);
    if (j->report)
        fprintf(j->report, "%s %zu\t%s\t%s\n", unit, where, field ? field : "-", why);
    j->bad++;
}

static enum geod_err map_columns(struct job *j, const struct rec_source *src)
{
    for (int f = 0; f < F_COUNT; f++)
        j->col[f] = -1;
    for (size_t m = 0; m < j->o->nmaps; m++) { /* --map column=field */
        const char *eq = strchr(j->o->maps[m], '=');
        int f = 0;
        while (eq && f < F_COUNT && strcmp(eq + 1, field_names[f]) != 0)
            f++;
        if (!eq || f == F_COUNT)
            return fail(j, GEOD_EINVAL, "--map %s: want COLUMN=FIELD, FIELD one of id, name, "
                                        "category, address, phone, hours, lon, lat",
                        j->o->maps[m]);
        size_t len = (size_t)(eq - j->o->maps[m]);
        for (size_t i = 0; i < rec_nfields(src); i++) {
            const char *n = rec_field_name(src, i);
            if (strlen(n) == len && memcmp(n, j->o->maps[m], len) == 0)
                j->col[f] = (ssize_t)i;
        }
        if (j->col[f] < 0)
            return fail(j, GEOD_EINVAL, "--map %s: the file has no column %.*s", j->o->maps[m],
                        (int)len, j->o->maps[m]);
    }
    for (int f = 0; f < F_COUNT; f++)
        for (size_t i = 0; j->col[f] < 0 && i < rec_nfields(src); i++)
            for (int a = 0; aliases[f][a]; a++)
                if (strcasecmp(rec_field_name(src, i), aliases[f][a]) == 0)
                    j->col[f] = (ssize_t)i;
    if (j->col[F_ID] < 0)
        return fail(j, GEOD_EINVAL, "no id column (records are matched by it on re-import): "
                                    "name one with --map COLUMN=id");
    if (j->col[F_NAME] < 0)
        return fail(j, GEOD_EINVAL, "no name column: name one with --map COLUMN=name");
    if (j->col[F_CATEGORY] < 0 && !j->o->category)
        return fail(j, GEOD_EINVAL, "no category column: give --category or --map COLUMN=category");
    return GEOD_OK;
}

static enum geod_err put(struct job *j, const char *v, size_t *off)
{
    size_t n = strlen(v) + 1;
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

static bool number(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return false;
    *out = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end == '\0' && isfinite(*out);
}

static const char *value(const struct record *r, ssize_t col)
{
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
        return bad(j, r->where, r->bad_field, why), GEOD_OK;
    }
    if (r->bad_why)
        return bad(j, r->where, r->bad_field, r->bad_why), GEOD_OK;
    struct frow row = {.where = r->where};
    const char *name = value(r, j->col[F_NAME]), *id = value(r, j->col[F_ID]);
    if (!id)
        return bad(j, r->where, "id", "missing"), GEOD_OK;
    if (!name || strlen(name) > 600)
        return bad(j, r->where, "name", name ? "longer than 200 characters" : "missing"), GEOD_OK;
    const char *cat = value(r, j->col[F_CATEGORY]);
    char catid[80];
    if (!cat)
        cat = j->o->category;
    enum geod_err rc = cat ? store_category_id(j->s, cat, catid, sizeof catid) : GEOD_ENOTFOUND;
    if (rc == GEOD_ENOTFOUND)
        return bad(j, r->where, "category", cat ? "not a category (GET /v1/categories)"
                                                : "missing"), GEOD_OK;
    if (rc)
        return rc;
    double x, y;
    if ((r->area_wkb || r->other_geometry) && j->col[F_LON] < 0)
        return bad(j, r->where, "geometry",
                   r->area_wkb ? "a Polygon, not a Point: a facility is a position"
                               : "not a Point: a facility is a position"),
               GEOD_OK;
    if (r->has_point && j->col[F_LON] < 0) {
        x = r->x;
        y = r->y;
    } else if (!number(value(r, j->col[F_LON]), &x)) {
        return bad(j, r->where, "lon", value(r, j->col[F_LON]) ? "not a number" : "missing"),
               GEOD_OK;
    } else if (!number(value(r, j->col[F_LAT]), &y)) {
        return bad(j, r->where, "lat", value(r, j->col[F_LAT]) ? "not a number" : "missing"),
               GEOD_OK;
    }
    if (j->named_crs && !(x >= -180 && x <= 180 && y >= -90 && y <= 90))
        return bad(j, r->where, !(y >= -90 && y <= 90) ? "lat" : "lon",
                   "out of range for degrees (swapped with the other?)"),
               GEOD_OK;
    enum geod_err crc = j->named_crs ? crs_convert(j->crs, CRS_WGS84, x, y, &row.lon, &row.lat)
                                     : crs_epsg_to_wgs84(j->proj, j->epsg, x, y, &row.lon,
                                                         &row.lat);
    if (crc)
        return bad(j, r->where, "lon", "not a position in the declared coordinate system"),
               GEOD_OK;
    if (row.lon < REGION_LON_MIN || row.lon > REGION_LON_MAX || row.lat < REGION_LAT_MIN ||
        row.lat > REGION_LAT_MAX)
        return bad(j, r->where, "lon", "far outside Wuhan (more than 50 km): swapped axes or a "
                                       "wrong coordinate system?"),
               GEOD_OK;
    const char *hours = value(r, j->col[F_HOURS]);
    if (hours && !hours_valid(hours))
        return bad(j, r->where, "hours", "not understood (e.g. \"Mo-Fr 08:30-17:30\" or \"24/7\")"),
               GEOD_OK;
    const char *phone = value(r, j->col[F_PHONE]);
    if (phone && (strlen(phone) > 40 || strspn(phone, "0123456789-+() ,;/") != strlen(phone)))
        return bad(j, r->where, "phone", "not a telephone number"), GEOD_OK;
    const char *v[F_COUNT] = {id, name, catid, value(r, j->col[F_ADDRESS]), phone, hours};
    for (int f = 0; f < F_LON; f++) {
        row.off[f] = SIZE_MAX;
        if (v[f] && (rc = put(j, v[f], &row.off[f])))
            return rc;
    }
    if (j->nrows == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 4096;
        struct frow *a = realloc(j->rows, cap * sizeof *a);
        if (!a)
            return GEOD_ENOMEM;
        j->rows = a;
        j->cap = cap;
    }
    j->rows[j->nrows++] = row;
    return GEOD_OK;
}

static const char *str(const struct job *j, const struct frow *r, int f)
{
    return r->off[f] == SIZE_MAX ? NULL : j->arena + r->off[f];
}

static int key_cmp(const void *a, const void *b, void *arg)
{
    const struct job *j = arg;
    const struct frow *x = *(struct frow *const *)a, *y = *(struct frow *const *)b;
    int c = strcmp(str(j, x, F_ID), str(j, y, F_ID));
    return c ? c : (x->where > y->where) - (x->where < y->where);
}

/* A key twice in one feed is an error for every occurrence after the first. */
static enum geod_err check_duplicates(struct job *j)
{
    struct frow **by = malloc((j->nrows ? j->nrows : 1) * sizeof *by);
    if (!by)
        return GEOD_ENOMEM;
    for (size_t i = 0; i < j->nrows; i++)
        by[i] = &j->rows[i];
    qsort_r(by, j->nrows, sizeof *by, key_cmp, j);
    for (size_t i = 1; i < j->nrows; i++) {
        if (strcmp(str(j, by[i], F_ID), str(j, by[i - 1], F_ID)) == 0) {
            char why[96];
            snprintf(why, sizeof why, "the id is already on %s %zu",
                     strcmp(j->st->format, "csv") == 0 ? "line" : "feature", by[i - 1]->where);
            bad(j, by[i]->where, "id", why);
            by[i]->off[F_ID] = SIZE_MAX; /* marks it out */
            by[i] = by[i - 1];
        }
    }
    free(by);
    size_t k = 0;
    for (size_t i = 0; i < j->nrows; i++)
        if (j->rows[i].off[F_ID] != SIZE_MAX)
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
    struct locator *loc;
    enum geod_err rc = store_begin(j->s);
    if (rc)
        return fail(j, rc, "store: %s", store_errmsg(j->s));
    if ((rc = store_import_begin(j->s)) || (rc = locator_new(j->s, &loc))) {
        store_rollback(j->s);
        return fail(j, rc, "store: %s", store_errmsg(j->s));
    }
    char actor[96];
    snprintf(actor, sizeof actor, "import:%s", j->st->source);
    j->t0 = j->last_progress = now();
    for (size_t i = 0; !rc && i < j->nrows; i++) {
        const struct frow *r = &j->rows[i];
        struct store_facility f = {
            .category = str(j, r, F_CATEGORY),
            .name = str(j, r, F_NAME),
            .address = str(j, r, F_ADDRESS),
            .phone = str(j, r, F_PHONE),
            .hours = str(j, r, F_HOURS),
            .lon = r->lon,
            .lat = r->lat,
            .division_code = locator_code(loc, r->lon, r->lat),
            .source = j->st->source,
            .source_key = str(j, r, F_ID),
        };
        enum store_change what;
        if ((rc = store_upsert_facility(j->s, &f, actor, &what, NULL)))
            break;
        j->st->inserted += what == STORE_INSERTED;
        j->st->updated += what == STORE_UPDATED;
        j->st->unchanged += what == STORE_UNCHANGED;
        progress(j, "wrote", i + 1, (double)(i + 1) / (double)j->nrows);
    }
    if (!rc && j->o->delete_missing)
        rc = store_delete_missing(j->s, j->st->source, actor, &j->st->deleted);
    locator_free(loc);
    if (rc) {
        store_rollback(j->s);
        return fail(j, rc, "store: %s (nothing was imported)", store_errmsg(j->s));
    }
    if (j->o->dry_run) {
        store_rollback(j->s);
        return GEOD_OK;
    }
    if ((rc = store_commit(j->s))) {
        store_rollback(j->s);
        return fail(j, rc, "store: %s (nothing was imported)", store_errmsg(j->s));
    }
    return GEOD_OK;
}

/* Format, encoding and coordinate system: given, else what the file says. */
static enum geod_err open_source(struct job *j, struct rec_source **src)
{
    const struct import_opts *o = j->o;
    const char *ext = strrchr(o->path, '.');
    const char *format = o->format ? o->format
                         : !ext    ? ""
                         : !strcasecmp(ext, ".csv") || !strcasecmp(ext, ".txt") ? "csv"
                         : !strcasecmp(ext, ".geojson") || !strcasecmp(ext, ".json")
                             ? "geojson"
                             : ext + 1;
    snprintf(j->st->format, sizeof j->st->format, "%s", format);
    char crs[64] = "";
    enum geod_err rc;
    if (strcmp(format, "csv") == 0) {
        enum text_encoding enc = TEXT_UTF8; /* BOM or plain: decoding proves it field by field */
        if (o->encoding && text_encoding_parse(o->encoding, &enc))
            return fail(j, GEOD_EINVAL, "--encoding %s: want utf-8, gbk or gb18030", o->encoding);
        snprintf(j->st->encoding, sizeof j->st->encoding, "%s%s", text_encoding_name(enc),
                 o->encoding ? "" : " (not given: the file must prove it)");
        rc = rec_open_csv(o->path, enc, src, j->err, j->errlen);
        if (rc == GEOD_EINVAL && !o->encoding && strstr(j->err, "UTF-8"))
            strncat(j->err, " (a GBK file? give --encoding gbk)",
                    j->errlen - strlen(j->err) - 1);
        if (!o->crs && !rc) {
            rec_close(*src);
            *src = NULL;
            return fail(j, GEOD_EINVAL, "a CSV file does not say its coordinate system: give "
                                        "--crs (wgs84, gcj02, bd09, cgcs2000 or EPSG:n)");
        }
    } else if (strcmp(format, "geojson") == 0) {
        snprintf(j->st->encoding, sizeof j->st->encoding, "utf-8");
        rc = rec_open_geojson(o->path, src, crs, sizeof crs, j->err, j->errlen);
    } else {
        return fail(j, GEOD_EINVAL, "format %s is not supported yet (csv, geojson): give --format",
                    *format ? format : "(none)");
    }
    if (rc)
        return rc;
    /* the coordinate system: --crs, else the GeoJSON's crs member, else GeoJSON's WGS-84 */
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
        return fail(j, GEOD_EINVAL, "coordinate system %s: want wgs84, gcj02, bd09, cgcs2000 or "
                                    "an EPSG:n that PROJ knows",
                    c);
    }
    return GEOD_OK;
}

enum geod_err import_run(struct store *s, const struct import_opts *o, struct import_stats *st,
                         FILE *log, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    struct job j = {.o = o, .st = st, .s = s, .log = log, .err = err, .errlen = errlen};
    const char *base = strrchr(o->path, '/');
    snprintf(st->source, sizeof st->source, "%s", o->source ? o->source : base ? base + 1 : o->path);
    if (o->kind != IMPORT_FACILITY)
        return fail(&j, GEOD_EINVAL, "only facilities can be imported yet");
    struct rec_source *src = NULL;
    enum geod_err rc = open_source(&j, &src);
    if (!rc)
        rc = map_columns(&j, src);
    char report[4096];
    snprintf(report, sizeof report, "%s", o->report ? o->report : o->path);
    if (!o->report)
        strncat(report, ".report.txt", sizeof report - strlen(report) - 1);
    if (!rc && !(j.report = fopen(report, "w")))
        rc = fail(&j, GEOD_EIO, "cannot write the report %s", report);
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
        rc = fail(&j, GEOD_EINVAL, "%zu bad record%s (listed in %s); nothing was imported "
                                   "(--skip-bad imports the others)",
                  j.bad, j.bad == 1 ? "" : "s", report);
    if (!rc)
        rc = write_rows(&j);
    if (j.report)
        fclose(j.report);
    if (!j.bad && j.report)
        remove(report); /* nothing to report */
    crs_epsg_cache_free(j.proj);
    free(j.rows);
    free(j.arena);
    return rc;
}

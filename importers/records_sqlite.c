/* records_sqlite.c - a table of a SQLite/SpatiaLite file as a record source. The file gets a
 * connection of its own, opened read-only with SpatiaLite loaded (as data/store.c loads it), and
 * one SELECT over the table in rowid order; SpatiaLite's SQL turns its geometry blobs into what
 * a record carries (ST_X/ST_Y for points, AsBinary(CastToXY(...)) for polygons). Not the store:
 * the file is someone else's and is never written. */
#include "importers/records_impl.h"
#include "importers/records_sqlite_table.h"

/* spatialite.h uses sqlite3 types without including sqlite3.h */
#include <spatialite.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct sql_src {
    sqlite3 *db;
    void *spatialite; /* SpatiaLite's per-connection state */
    sqlite3_stmt *st; /* rowid, the fields, then 8 geometry columns when there is geometry */
    struct text_conv *utf8;
    size_t nfields;
    char **names; /* [nfields] borrowed from the rec_source */
    char *geom;   /* the geometry column's name, or NULL */
    const char **values;
    size_t *offs;
    char *arena;
    size_t alen, acap;
    int64_t total, done;
    char num[32]; /* a number's text */
};

static void src_close(void *impl)
{
    struct sql_src *s = impl;
    if (!s)
        return;
    sqlite3_finalize(s->st);
    if (s->db)
        sqlite3_close(s->db);
    if (s->spatialite)
        spatialite_cleanup_ex(s->spatialite);
    text_conv_free(s->utf8);
    free(s->names);
    free(s->geom);
    free((void *)s->values);
    free(s->offs);
    free(s->arena);
    free(s);
}

static double src_progress(const void *impl)
{
    const struct sql_src *s = impl;
    return s->total > 0 ? fmin(1, (double)s->done / (double)s->total) : 1;
}

static enum geod_err put(struct sql_src *s, const char *p, size_t n, size_t *off)
{
    if (n + 1 > s->acap - s->alen) {
        size_t cap = s->acap ? s->acap : 1024;
        while (n + 1 > cap - s->alen)
            cap *= 2;
        char *a = realloc(s->arena, cap);
        if (!a)
            return GEOD_ENOMEM;
        s->arena = a;
        s->acap = cap;
    }
    memcpy(s->arena + s->alen, p, n);
    s->arena[s->alen + n] = '\0';
    *off = s->alen;
    s->alen += n + 1;
    return GEOD_OK;
}

/* The shortest %.Ng that reads back as the same double (SQLite's own text keeps 15 digits). */
static void real_text(char *buf, size_t len, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Column c of the current row as text into the arena: *off, or *why. */
static enum geod_err value(struct sql_src *s, int c, size_t *off, const char **why)
{
    const char *p = s->num;
    size_t n;
    *off = SIZE_MAX;
    switch (sqlite3_column_type(s->st, c)) {
    case SQLITE_NULL:
        return GEOD_OK;
    case SQLITE_INTEGER:
        n = (size_t)snprintf(s->num, sizeof s->num, "%lld",
                             (long long)sqlite3_column_int64(s->st, c));
        break;
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(s->st, c);
        if (!isfinite(v)) {
            *why = "not a finite number";
            return GEOD_OK;
        }
        real_text(s->num, sizeof s->num, v);
        n = strlen(s->num);
        break;
    }
    case SQLITE_TEXT: {
        const char *t = (const char *)sqlite3_column_text(s->st, c);
        if (!t)
            return GEOD_ENOMEM;
        enum geod_err rc =
            text_to_utf8(s->utf8, t, (size_t)sqlite3_column_bytes(s->st, c), &p, &n, why);
        if (rc == GEOD_EINVAL)
            return GEOD_OK;
        if (rc)
            return rc;
        break;
    }
    default:
        *why = "a BLOB, not text";
        return GEOD_OK;
    }
    return put(s, p, n, off);
}

/* The geometry columns of the current row (from column c on) into r. */
static void geometry(struct sql_src *s, int c, struct record *r)
{
    if (sqlite3_column_type(s->st, c) == SQLITE_NULL)
        return; /* no geometry */
    const char *type = (const char *)sqlite3_column_text(s->st, c + 1);
    if (!type) {
        if (!r->bad_why) {
            r->bad_field = s->geom;
            r->bad_why = "not a SpatiaLite geometry";
        }
        return;
    }
    size_t n = strcspn(type, " "); /* "POINT Z" -> POINT */
    if (n == 5 && !strncmp(type, "POINT", n)) {
        r->x = sqlite3_column_double(s->st, c + 2);
        r->y = sqlite3_column_double(s->st, c + 3);
        r->has_point = true;
    } else if (n == 10 && !strncmp(type, "MULTIPOINT", n) &&
               sqlite3_column_int(s->st, c + 7) == 1) {
        r->x = sqlite3_column_double(s->st, c + 4);
        r->y = sqlite3_column_double(s->st, c + 5);
        r->has_point = true;
    } else if ((n == 7 && !strncmp(type, "POLYGON", n)) ||
               (n == 12 && !strncmp(type, "MULTIPOLYGON", n))) {
        r->area_wkb = sqlite3_column_blob(s->st, c + 6);
        r->area_wkb_len = (size_t)sqlite3_column_bytes(s->st, c + 6);
    } else {
        static const char *const names[][2] = {
            {"MULTIPOINT", "MultiPoint"},
            {"LINESTRING", "LineString"},
            {"MULTILINESTRING", "MultiLineString"},
            {"GEOMETRYCOLLECTION", "GeometryCollection"},
        };
        r->other_geometry = "Geometry";
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i][0]) == n && !strncmp(type, names[i][0], n))
                r->other_geometry = names[i][1];
    }
    if (r->has_point && (!isfinite(r->x) || !isfinite(r->y))) {
        r->has_point = false;
        if (!r->bad_why)
            r->bad_why = "geometry: the point's coordinates are not finite numbers";
    }
}

static enum geod_err src_next(void *impl, struct record *r, char *err, size_t errlen)
{
    struct sql_src *s = impl;
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_DONE)
        return GEOD_ENOTFOUND;
    if (rc != SQLITE_ROW) {
        snprintf(err, errlen, "row %lld: %s", (long long)s->done + 1, sqlite3_errmsg(s->db));
        return rc == SQLITE_NOMEM ? GEOD_ENOMEM : rc == SQLITE_CORRUPT ? GEOD_EINVAL : GEOD_EIO;
    }
    s->done++;
    memset(r, 0, sizeof *r);
    r->where = (size_t)sqlite3_column_int64(s->st, 0);
    r->nfields = s->nfields;
    r->values = s->values;
    s->alen = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const char *why = NULL;
        enum geod_err e = value(s, (int)i + 1, &s->offs[i], &why);
        if (e)
            return e;
        if (why && !r->bad_field) {
            r->bad_field = s->names[i];
            r->bad_why = why;
        }
    }
    for (size_t i = 0; i < s->nfields; i++)
        s->values[i] = s->offs[i] == SIZE_MAX ? NULL : s->arena + s->offs[i];
    if (s->geom)
        geometry(s, (int)s->nfields + 1, r);
    return GEOD_OK;
}

static const struct rec_ops sql_ops = {src_next, src_progress, src_close};

enum geod_err rec_open_sqlite(const char *path, const char *table, struct rec_source **out,
                              char *crs_out, size_t crs_len, char *err, size_t errlen)
{
    *out = NULL;
    if (crs_len)
        crs_out[0] = '\0';
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no such file", path);
        return GEOD_ENOTFOUND;
    }
    struct sql_src *s = calloc(1, sizeof *s);
    if (!s)
        return GEOD_ENOMEM;
    enum geod_err rc = GEOD_OK;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open it");
        rc = GEOD_EIO;
    }
    if (!rc && !(s->spatialite = spatialite_alloc_connection()))
        rc = GEOD_ENOMEM;
    if (!rc) {
        spatialite_init_ex(s->db, s->spatialite, 0);
        rc = text_conv_new(TEXT_UTF8, &s->utf8);
    }
    struct rec_source *rs = NULL;
    struct sqlite_table t = {0};
    if (!rc)
        rc = sqlite_table_pick(s->db, path, table, &t, err, errlen);
    if (!rc && !(rc = rec_source_new(&sql_ops, s, &rs))) {
        struct sql_src *impl = s;
        s = NULL; /* rec_close(rs) frees it now */
        rc = sqlite_table_prepare(impl->db, path, &t, rs, &impl->st, &impl->total, err, errlen);
        impl->nfields = t.nfields;
        impl->names = t.names;
        t.names = NULL;
        impl->geom = t.geom;
        t.geom = NULL;
        if (!rc && (!(impl->values = calloc(t.nfields + 1, sizeof *impl->values)) ||
                    !(impl->offs = calloc(t.nfields + 1, sizeof *impl->offs))))
            rc = GEOD_ENOMEM;
        if (!rc && t.epsg > 0)
            snprintf(crs_out, crs_len, "EPSG:%d", t.epsg);
    }
    sqlite_table_clear(&t);
    if (rc) {
        rec_close(rs);
        src_close(s);
        return rc;
    }
    *out = rs;
    return GEOD_OK;
}

/* records.c - record sources. CSV streams through importers/csv.c, each field decoded by
 * importers/text.c into a per-record arena. GeoJSON is read whole by importers/geojson.c (which
 * checks the geometry), its features kept as records of stringified properties. Other formats
 * live in files of their own (records_shp.c, records_sqlite.c) behind struct rec_ops
 * (records_impl.h): this file keeps their field names and dispatches to them. */
#include "importers/records_impl.h"
#include "importers/csv.h"
#include "importers/geojson.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct grec { /* a GeoJSON feature kept for rec_next */
    char **values;
    bool has_point;
    double x, y;
    unsigned char *wkb; /* a Polygon or MultiPolygon */
    size_t wkb_len;
    const char *other; /* a static type name */
};

struct rec_source {
    char **names;
    size_t nnames;
    /* CSV */
    FILE *f;
    struct csv_reader *csv;
    struct text_conv *conv;
    long size;
    /* the current record's text */
    char *arena;
    size_t alen, acap;
    const char **values;
    size_t *offs; /* [nnames] arena offsets while a record is decoded */
    char why[64];
    /* GeoJSON */
    struct grec *g;
    size_t ng, gcap, gnext;
    /* a source of its own file (records_impl.h) */
    const struct rec_ops *ops;
    void *impl;
};

static enum geod_err add_name(struct rec_source *s, const char *name)
{
    char **n = realloc(s->names, (s->nnames + 1) * sizeof *n);
    if (!n)
        return GEOD_ENOMEM;
    s->names = n;
    if (!(s->names[s->nnames] = strdup(name)))
        return GEOD_ENOMEM;
    s->nnames++;
    return GEOD_OK;
}

static ssize_t find_name(const struct rec_source *s, const char *name)
{
    for (size_t i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i], name) == 0)
            return (ssize_t)i;
    return -1;
}

enum geod_err rec_open_csv(const char *path, enum text_encoding enc, struct rec_source **out,
                           char *err, size_t errlen)
{
    *out = NULL;
    struct rec_source *s = calloc(1, sizeof *s);
    if (!s)
        return GEOD_ENOMEM;
    struct stat st;
    s->f = fopen(path, "rb");
    if (!s->f || fstat(fileno(s->f), &st) != 0) {
        snprintf(err, errlen, "%s: cannot read it", path);
        rec_close(s);
        return GEOD_EIO;
    }
    s->size = (long)st.st_size;
    enum geod_err rc = csv_open_file(s->f, NULL, &s->csv);
    if (!rc)
        rc = text_conv_new(enc, &s->conv);
    const struct csv_field *f;
    size_t nf;
    if (!rc && (rc = csv_next(s->csv, &f, &nf)) != GEOD_OK) {
        snprintf(err, errlen, "%s: no header line", path);
        rc = GEOD_EINVAL;
    }
    for (size_t i = 0; !rc && i < nf; i++) {
        const char *name, *why;
        size_t len;
        if (text_to_utf8(s->conv, f[i].p, f[i].len, &name, &len, &why)) {
            snprintf(err, errlen, "the header's column %zu is %s", i + 1, why);
            rc = GEOD_EINVAL;
        } else if (len == 0 || find_name(s, name) >= 0) {
            snprintf(err, errlen, "the header's column %zu (%s) is empty or repeated", i + 1,
                     name);
            rc = GEOD_EINVAL;
        } else {
            rc = add_name(s, name);
        }
    }
    if (!rc && (!(s->values = calloc(s->nnames, sizeof *s->values)) ||
                !(s->offs = calloc(s->nnames, sizeof *s->offs))))
        rc = GEOD_ENOMEM;
    if (rc) {
        rec_close(s);
        return rc;
    }
    *out = s;
    return GEOD_OK;
}

static enum geod_err arena_put(struct rec_source *s, const char *p, size_t n, size_t *off)
{
    if (s->alen + n + 1 > s->acap) {
        size_t cap = s->acap ? s->acap : 4096;
        while (cap < s->alen + n + 1)
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

static enum geod_err next_csv(struct rec_source *s, struct record *r, char *err, size_t errlen)
{
    const struct csv_field *f;
    size_t nf;
    enum geod_err rc;
    do { /* blank lines mean nothing */
        rc = csv_next(s->csv, &f, &nf);
    } while (!rc && nf == 1 && f[0].len == 0);
    if (rc == GEOD_EINVAL) {
        snprintf(err, errlen, "line %zu, column %zu: %s", csv_error_line(s->csv),
                 csv_error_column(s->csv), csv_error(s->csv));
        return rc;
    }
    if (rc)
        return rc;
    memset(r, 0, sizeof *r);
    r->where = csv_record_line(s->csv);
    r->nfields = s->nnames;
    r->values = s->values;
    if (nf != s->nnames) {
        snprintf(s->why, sizeof s->why, "%zu fields where the header has %zu", nf, s->nnames);
        r->bad_why = s->why;
        for (size_t i = 0; i < s->nnames; i++)
            s->values[i] = NULL;
        return GEOD_OK;
    }
    size_t *off = s->offs;
    s->alen = 0;
    for (size_t i = 0; i < nf; i++) {
        const char *v, *why;
        size_t len;
        off[i] = SIZE_MAX;
        if (text_to_utf8(s->conv, f[i].p, f[i].len, &v, &len, &why)) {
            if (!r->bad_field) {
                r->bad_field = s->names[i];
                r->bad_why = why;
            }
            continue;
        }
        if (arena_put(s, v, len, &off[i]))
            return GEOD_ENOMEM;
    }
    for (size_t i = 0; i < nf; i++)
        s->values[i] = off[i] == SIZE_MAX ? NULL : s->arena + off[i];
    return GEOD_OK;
}

/* ---- GeoJSON ---- */

struct gload {
    struct rec_source *s;
    GEOSContextHandle_t ctx;
    GEOSWKBWriter *wkb;
};

static char *value_text(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!v || json_is_null(v))
        return NULL;
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static enum geod_err on_feature(void *udata, struct geojson_feature *f)
{
    struct gload *gl = udata;
    struct rec_source *s = gl->s;
    const char *key;
    json_t *v;
    json_object_foreach(f->properties, key, v) if (find_name(s, key) < 0 && add_name(s, key))
        return GEOD_ENOMEM;
    if (s->ng == s->gcap) {
        size_t cap = s->gcap ? 2 * s->gcap : 256;
        struct grec *g = realloc(s->g, cap * sizeof *g);
        if (!g)
            return GEOD_ENOMEM;
        s->g = g;
        s->gcap = cap;
    }
    struct grec *g = &s->g[s->ng];
    memset(g, 0, sizeof *g);
    /* names only grow: keep values by name, placed when the record is read */
    g->values = calloc(2 * json_object_size(f->properties) + 1, sizeof *g->values);
    if (!g->values)
        return GEOD_ENOMEM;
    size_t k = 0;
    json_object_foreach(f->properties, key, v)
    {
        g->values[k++] = strdup(key);
        g->values[k++] = value_text(v);
    }
    if (f->geom) {
        int type = GEOSGeomTypeId_r(gl->ctx, f->geom);
        if (type == GEOS_POINT && !GEOSisEmpty_r(gl->ctx, f->geom)) {
            g->has_point = GEOSGeomGetX_r(gl->ctx, f->geom, &g->x) == 1 &&
                           GEOSGeomGetY_r(gl->ctx, f->geom, &g->y) == 1;
        } else if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) {
            if (!(g->wkb = GEOSWKBWriter_write_r(gl->ctx, gl->wkb, f->geom, &g->wkb_len)))
                return GEOD_ENOMEM;
        } else {
            static const char *const names[] = {
                [GEOS_POINT] = "Point", /* an empty one */
                [GEOS_LINESTRING] = "LineString",
                [GEOS_LINEARRING] = "LinearRing",
                [GEOS_MULTIPOINT] = "MultiPoint",
                [GEOS_MULTILINESTRING] = "MultiLineString",
                [GEOS_GEOMETRYCOLLECTION] = "GeometryCollection",
            };
            g->other = type >= 0 && (size_t)type < sizeof names / sizeof names[0] && names[type]
                           ? names[type]
                           : "Geometry";
        }
    }
    s->ng++;
    return GEOD_OK;
}

enum geod_err rec_open_geojson(const char *path, struct rec_source **out, char *crs_out,
                               size_t crs_len, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read it", path);
        return GEOD_EIO;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 && (unsigned long)n <= GEOJSON_MAX_BYTES ? malloc((size_t)n + 1) : NULL;
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)n) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read it whole (too large?)", path);
        return GEOD_EIO;
    }
    struct rec_source *s = calloc(1, sizeof *s);
    struct gload gl = {s, GEOS_init_r(), NULL};
    if (gl.ctx)
        gl.wkb = GEOSWKBWriter_create_r(gl.ctx); /* 2-D, little-endian: OGC WKB */
    struct geojson_error ge;
    enum geod_err rc = s && gl.wkb ? geojson_read(buf, got, gl.ctx, NULL, NULL, on_feature, &gl,
                                                  crs_out, crs_len, &ge)
                                   : GEOD_ENOMEM;
    if (rc == GEOD_EINVAL || rc == GEOD_ERANGE)
        snprintf(err, errlen, "%s", ge.msg);
    if (gl.wkb)
        GEOSWKBWriter_destroy_r(gl.ctx, gl.wkb);
    if (gl.ctx)
        GEOS_finish_r(gl.ctx);
    free(buf);
    if (!rc && !(s->values = calloc(s->nnames ? s->nnames : 1, sizeof *s->values)))
        rc = GEOD_ENOMEM;
    if (rc) {
        rec_close(s);
        return rc;
    }
    *out = s;
    return GEOD_OK;
}

static enum geod_err next_geojson(struct rec_source *s, struct record *r)
{
    if (s->gnext == s->ng)
        return GEOD_ENOTFOUND;
    struct grec *g = &s->g[s->gnext++];
    memset(r, 0, sizeof *r);
    r->where = s->gnext;
    r->nfields = s->nnames;
    r->values = s->values;
    for (size_t i = 0; i < s->nnames; i++)
        s->values[i] = NULL;
    for (size_t k = 0; g->values[k]; k += 2) {
        ssize_t i = find_name(s, g->values[k]);
        if (i >= 0)
            s->values[i] = g->values[k + 1];
    }
    r->has_point = g->has_point;
    r->x = g->x;
    r->y = g->y;
    r->area_wkb = g->wkb;
    r->area_wkb_len = g->wkb_len;
    r->other_geometry = g->other;
    return GEOD_OK;
}

/* ---- sources in files of their own ---- */

enum geod_err rec_source_new(const struct rec_ops *ops, void *impl, struct rec_source **out)
{
    struct rec_source *s = calloc(1, sizeof *s);
    if (!s)
        return GEOD_ENOMEM;
    s->ops = ops;
    s->impl = impl;
    *out = s;
    return GEOD_OK;
}

enum geod_err rec_source_add_field(struct rec_source *s, const char *name)
{
    if (!*name || find_name(s, name) >= 0)
        return GEOD_EINVAL;
    return add_name(s, name);
}

/* ---- common ---- */

size_t rec_nfields(const struct rec_source *s)
{
    return s->nnames;
}

const char *rec_field_name(const struct rec_source *s, size_t i)
{
    return i < s->nnames ? s->names[i] : NULL;
}

enum geod_err rec_next(struct rec_source *s, struct record *r, char *err, size_t errlen)
{
    if (s->ops)
        return s->ops->next(s->impl, r, err, errlen);
    return s->csv ? next_csv(s, r, err, errlen) : next_geojson(s, r);
}

double rec_progress(const struct rec_source *s)
{
    if (s->ops)
        return s->ops->progress(s->impl);
    if (s->csv && s->size > 0) {
        long pos = ftell(s->f);
        return pos > 0 ? (double)pos / (double)s->size : 0;
    }
    return s->ng ? (double)s->gnext / (double)s->ng : 1;
}

void rec_close(struct rec_source *s)
{
    if (!s)
        return;
    if (s->ops)
        s->ops->close(s->impl);
    csv_close(s->csv);
    if (s->f)
        fclose(s->f);
    text_conv_free(s->conv);
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    for (size_t i = 0; i < s->ng; i++) {
        for (size_t k = 0; s->g[i].values[k]; k += 2) {
            free(s->g[i].values[k]);
            free(s->g[i].values[k + 1]);
        }
        free(s->g[i].values);
        if (s->g[i].wkb)
            GEOSFree(s->g[i].wkb);
    }
    free(s->g);
    free(s->arena);
    free((void *)s->values);
    free(s->offs);
    free(s);
}

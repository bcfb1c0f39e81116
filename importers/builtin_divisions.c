/* builtin_divisions.c - the built-in divisions: the 3,702 NBS 2023 units of Wuhan, the city and
 * district boundaries (GCJ-02, converted to WGS-84 and repaired), and approximate street and
 * community areas derived from their centre points (data/areas.c): within each district, the
 * sites are the community centres, plus the centre of every street none of whose communities has
 * one; a community's area is its site's cell, a street's the union of its sites' cells. Units
 * without a centre get no area and are still found by name. */
#include "importers/builtin.h"
#include "data/areas.h"
#include "data/wuhan.h"
#include "importers/csv.h"
#include "importers/geojson.h"
#include "index/crs.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOUNDARY_REAL "Vonng/adcode (Amap), CC BY 4.0"
#define BOUNDARY_DERIVED "derived: nearest centre point within the district (Voronoi)"

struct drow {
    char code[13];
    char parent[13]; /* "" for none */
    char name[128];
    char kind[32];
    enum div_level level;
    double lon, lat;        /* centre, WGS-84; NAN when unknown */
    GEOSGeometry *boundary; /* owned; NULL when unknown */
    bool approximate;
    bool site; /* a Voronoi site of its district */
};

struct dload {
    struct store *s;
    GEOSContextHandle_t ctx;
    char *err;
    size_t errlen;
    struct drow *r;
    size_t n;
};

static enum geod_err fail(struct dload *l, enum geod_err rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int drow_cmp(const void *a, const void *b)
{
    return strcmp(((const struct drow *)a)->code, ((const struct drow *)b)->code);
}

static struct drow *find(struct dload *l, const char *code)
{
    struct drow key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return bsearch(&key, l->r, l->n, sizeof *l->r, drow_cmp);
}

static void field(char *dst, size_t cap, const struct csv_field *f)
{
    size_t n = f->len < cap - 1 ? f->len : cap - 1;
    memcpy(dst, f->p, n);
    dst[n] = '\0';
}

/* "4201" -> "420100000000": short NBS codes padded to 12 digits. */
static void pad12(char out[13], const struct csv_field *f)
{
    size_t n = f->len < 12 ? f->len : 12;
    memcpy(out, f->p, n);
    memset(out + n, '0', 12 - n);
    out[12] = '\0';
}

enum { C_CODE12, C_LEVEL, C_KIND, C_NAME, C_PARENT };

static enum geod_err read_rows(struct dload *l)
{
    static const char *const names[] = {"code12", "level", "kind", "name", "parent_code", NULL};
    struct wuhan_blob b = wuhan_divisions();
    struct csv_reader *rd;
    if (csv_open_mem(b.data, b.len, NULL, &rd))
        return GEOD_ENOMEM;
    const struct csv_field *f;
    size_t nf, cap = 4096;
    int col[5];
    enum geod_err rc = csv_next(rd, &f, &nf);
    for (int i = 0; !rc && names[i]; i++) {
        col[i] = -1;
        for (size_t j = 0; j < nf; j++)
            if (csv_field_eq(&f[j], names[i]))
                col[i] = (int)j;
        if (col[i] < 0)
            rc = fail(l, GEOD_ECORRUPT, "%s: no column %s", b.name, names[i]);
    }
    l->r = rc ? NULL : calloc(cap, sizeof *l->r);
    while (!rc && l->r && (rc = csv_next(rd, &f, &nf)) == GEOD_OK) {
        if (l->n == cap) {
            struct drow *r = realloc(l->r, 2 * cap * sizeof *r);
            if (!r)
                break;
            memset(r + cap, 0, cap * sizeof *r);
            l->r = r;
            cap *= 2;
        }
        struct drow *d = &l->r[l->n];
        field(d->code, sizeof d->code, &f[col[C_CODE12]]);
        field(d->name, sizeof d->name, &f[col[C_NAME]]);
        field(d->kind, sizeof d->kind, &f[col[C_KIND]]);
        pad12(d->parent, &f[col[C_PARENT]]);
        d->lon = d->lat = NAN;
        if (strlen(d->code) != 12 ||
            div_level_parse(f[col[C_LEVEL]].p, f[col[C_LEVEL]].len, &d->level)) {
            rc = fail(l, GEOD_ECORRUPT, "%s line %zu: bad code or level", b.name,
                      csv_record_line(rd));
            break;
        }
        l->n++;
    }
    csv_close(rd);
    if (!l->r)
        return rc ? rc : GEOD_ENOMEM;
    if (rc != GEOD_ENOTFOUND)
        return rc ? rc : GEOD_ENOMEM;
    qsort(l->r, l->n, sizeof *l->r, drow_cmp);
    for (size_t i = 0; i < l->n; i++) /* a parent outside the table (the province) is none */
        if (!find(l, l->r[i].parent))
            l->r[i].parent[0] = '\0';
    return GEOD_OK;
}

/* Centres of streets and communities: the published centre points (GCJ-02). */
static enum geod_err read_centres(struct dload *l)
{
    struct wuhan_blob b = wuhan_communities();
    struct csv_reader *rd;
    if (csv_open_mem(b.data, b.len, NULL, &rd))
        return GEOD_ENOMEM;
    const struct csv_field *f;
    size_t nf;
    enum geod_err rc = csv_next(rd, &f, &nf); /* header: code12,...,lng_gcj02(6),lat_gcj02(7) */
    while (!rc && (rc = csv_next(rd, &f, &nf)) == GEOD_OK) {
        char code[13], x[32], y[32];
        if (nf < 8)
            continue;
        field(code, sizeof code, &f[0]);
        field(x, sizeof x, &f[6]);
        field(y, sizeof y, &f[7]);
        struct drow *d = find(l, code);
        double lon, lat;
        if (d && crs_convert(CRS_GCJ02, CRS_WGS84, strtod(x, NULL), strtod(y, NULL), &lon, &lat) ==
                     GEOD_OK) {
            d->lon = lon;
            d->lat = lat;
        }
    }
    csv_close(rd);
    return rc == GEOD_ENOTFOUND ? GEOD_OK : rc;
}

static enum geod_err gcj_to_wgs(void *udata, double *x, double *y)
{
    (void)udata;
    return crs_convert(CRS_GCJ02, CRS_WGS84, *x, *y, x, y);
}

struct boundary_ctx {
    struct dload *l;
    const char *fixed_code; /* the city file has no adcode property worth trusting */
};

static enum geod_err on_boundary(void *udata, struct geojson_feature *f)
{
    struct boundary_ctx *bc = udata;
    struct dload *l = bc->l;
    char code[13];
    json_t *adcode = json_object_get(f->properties, "adcode");
    if (bc->fixed_code)
        snprintf(code, sizeof code, "%s", bc->fixed_code);
    else if (json_is_integer(adcode))
        snprintf(code, sizeof code, "%06lld000000", (long long)json_integer_value(adcode));
    else
        return fail(l, GEOD_ECORRUPT, "boundary feature %zu has no adcode", f->index);
    struct drow *d = find(l, code);
    if (!d || !f->geom)
        return GEOD_OK; /* a boundary of a unit we do not have: nothing to attach it to */
    GEOSGeometry *fixed;
    enum geod_err rc = areas_repair(l->ctx, f->geom, &fixed);
    if (rc)
        return fail(l, rc, "boundary of %s cannot be repaired", code);
    if (d->boundary)
        GEOSGeom_destroy_r(l->ctx, d->boundary);
    d->boundary = fixed;
    GEOSGeometry *p = GEOSPointOnSurface_r(l->ctx, fixed);
    if (p && isnan(d->lon)) {
        GEOSGeomGetX_r(l->ctx, p, &d->lon);
        GEOSGeomGetY_r(l->ctx, p, &d->lat);
    }
    if (p)
        GEOSGeom_destroy_r(l->ctx, p);
    return GEOD_OK;
}

static enum geod_err read_boundaries(struct dload *l)
{
    struct geojson_error ge;
    struct boundary_ctx bc = {l, NULL};
    struct wuhan_blob b = wuhan_districts();
    enum geod_err rc =
        geojson_read(b.data, b.len, l->ctx, gcj_to_wgs, NULL, on_boundary, &bc, NULL, 0, &ge);
    if (!rc) {
        bc.fixed_code = "420100000000";
        b = wuhan_city();
        rc = geojson_read(b.data, b.len, l->ctx, gcj_to_wgs, NULL, on_boundary, &bc, NULL, 0, &ge);
    }
    if (rc && ge.msg[0])
        return fail(l, rc, "%s: %s", b.name, ge.msg);
    return rc;
}

/* The approximate areas of one district's streets and communities. */
static enum geod_err derive_district(struct dload *l, const struct drow *district)
{
    size_t cap = 0, n = 0;
    struct drow **owner = NULL;
    struct areas_site *sites = NULL;
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l->n; i++) {
            struct drow *d = &l->r[i];
            if (memcmp(d->code, district->code, 6) != 0 || isnan(d->lon))
                continue;
            bool is_site = d->level == DIV_COMMUNITY;
            if (d->level == DIV_STREET) { /* a street is a site only if no community of it is */
                is_site = true;
                for (size_t j = 0; j < l->n && is_site; j++)
                    if (l->r[j].level == DIV_COMMUNITY && !isnan(l->r[j].lon) &&
                        strcmp(l->r[j].parent, d->code) == 0)
                        is_site = false;
            }
            if (!is_site)
                continue;
            if (pass == 1) {
                owner[n] = d;
                sites[n] = (struct areas_site){d->lon, d->lat};
            }
            n++;
        }
        if (pass == 0) {
            cap = n;
            n = 0;
            owner = calloc(cap ? cap : 1, sizeof *owner);
            sites = calloc(cap ? cap : 1, sizeof *sites);
            if (!owner || !sites) {
                free(owner);
                free(sites);
                return GEOD_ENOMEM;
            }
        }
    }
    GEOSGeometry **cells = calloc(n ? n : 1, sizeof *cells);
    enum geod_err rc = cells ? GEOD_OK : GEOD_ENOMEM;
    if (!rc && n)
        rc = areas_derive(l->ctx, district->boundary, sites, n, cells);
    for (size_t i = 0; !rc && i < n; i++) {
        owner[i]->site = true;
        owner[i]->approximate = true;
        owner[i]->boundary = cells[i];
        cells[i] = NULL;
    }
    if (rc)
        rc = fail(l, rc, "areas of district %s cannot be derived", district->code);
    free(cells);
    free(owner);
    free(sites);
    return rc;
}

/* Is c a community of street st with a (non-empty) cell? */
static bool member(const struct dload *l, const struct drow *c, const struct drow *st)
{
    return c->level == DIV_COMMUNITY && c->boundary && !GEOSisEmpty_r(l->ctx, c->boundary) &&
           strcmp(c->parent, st->code) == 0;
}

/* A street's area: the union of its sites' cells (its communities', or its own). */
static enum geod_err street_areas(struct dload *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct drow *st = &l->r[i];
        if (st->level != DIV_STREET || (st->site && st->boundary))
            continue;
        size_t k = 0;
        for (size_t j = 0; j < l->n; j++)
            k += member(l, &l->r[j], st);
        if (!k)
            continue;
        GEOSGeometry **parts = calloc(k, sizeof *parts);
        if (!parts)
            return GEOD_ENOMEM;
        k = 0;
        for (size_t j = 0; j < l->n; j++)
            if (member(l, &l->r[j], st))
                parts[k++] = GEOSGeom_clone_r(l->ctx, l->r[j].boundary);
        GEOSGeometry *coll =
            GEOSGeom_createCollection_r(l->ctx, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)k);
        free(parts);
        GEOSGeometry *u = coll ? GEOSUnaryUnion_r(l->ctx, coll) : NULL;
        if (coll)
            GEOSGeom_destroy_r(l->ctx, coll);
        GEOSGeometry *fixed = NULL;
        enum geod_err rc = u ? areas_repair(l->ctx, u, &fixed) : GEOD_ENOMEM;
        if (u)
            GEOSGeom_destroy_r(l->ctx, u);
        if (rc)
            return fail(l, rc, "the area of street %s cannot be built", st->code);
        st->boundary = fixed;
        st->approximate = true;
    }
    return GEOD_OK;
}

static enum geod_err write_rows(struct dload *l, struct builtin_stats *stats)
{
    for (size_t i = 0; i < l->n; i++) {
        struct drow *d = &l->r[i];
        unsigned char *wkb = NULL;
        size_t len = 0;
        if (d->boundary && !GEOSisEmpty_r(l->ctx, d->boundary) &&
            areas_to_wkb(l->ctx, d->boundary, &wkb, &len))
            return GEOD_ENOMEM;
        struct store_division sd = {
            .code = d->code,
            .name = d->name,
            .level = div_level_name(d->level),
            .kind = d->kind,
            .parent = d->parent[0] ? d->parent : NULL,
            .center_lon = d->lon,
            .center_lat = d->lat,
            .wkb = wkb,
            .wkb_len = len,
            .approximate = wkb && d->approximate,
            .boundary_source = wkb ? (d->approximate ? BOUNDARY_DERIVED : BOUNDARY_REAL) : NULL,
            .source = "nbs2023",
        };
        enum geod_err rc = store_put_division(l->s, &sd);
        free(wkb);
        if (rc)
            return fail(l, GEOD_ESTORE, "store: %s", store_errmsg(l->s));
        stats->divisions++;
        stats->boundaries += wkb != NULL;
    }
    return GEOD_OK;
}

enum geod_err builtin_load_divisions(struct store *s, GEOSContextHandle_t ctx,
                                     struct builtin_stats *stats, char *err, size_t errlen)
{
    struct dload l = {.s = s, .ctx = ctx, .err = err, .errlen = errlen};
    enum geod_err rc = read_rows(&l);
    if (!rc)
        rc = read_centres(&l);
    if (!rc)
        rc = read_boundaries(&l);
    for (size_t i = 0; !rc && i < l.n; i++)
        if (l.r[i].level == DIV_DISTRICT && l.r[i].boundary)
            rc = derive_district(&l, &l.r[i]);
    if (!rc)
        rc = street_areas(&l);
    if (!rc)
        rc = write_rows(&l, stats);
    for (size_t i = 0; i < l.n; i++)
        if (l.r[i].boundary)
            GEOSGeom_destroy_r(ctx, l.r[i].boundary);
    free(l.r);
    return rc;
}

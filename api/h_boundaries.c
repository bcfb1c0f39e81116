/* h_boundaries.c - GET /v1/places/boundaries: the division boundaries of one level as a GeoJSON
 * FeatureCollection, simplified for drawing (the map widget's offline base layer). Simplified
 * shapes are kept per thread for the default tolerance and rebuilt when the snapshot's divisions
 * change; another tolerance is simplified for that request only. */
#include "api/params.h"
#include "index/shape.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_SIMPLIFY_M 30 /* fine enough for zooms up to ~14, a few % of the points */
#define MAX_SIMPLIFY_M 5000
#define M_PER_DEGREE 111320.0 /* tolerance in degrees: about, as a drawing needs */
#define COORD_DECIMALS 6      /* 0.1 m */

struct api_boundaries {
    uint64_t hash;                /* of the divisions these were built from */
    struct shape *lvl[DIV_LEVELS]; /* [d->n] per level, built on first use; NULL until then */
    size_t n;
};

void api_boundaries_free(struct api_boundaries *b)
{
    if (!b)
        return;
    for (int l = 0; l < DIV_LEVELS; l++) {
        for (size_t i = 0; b->lvl[l] && i < b->n; i++)
            shape_free(&b->lvl[l][i]);
        free(b->lvl[l]);
    }
    free(b);
}

/* Simplified shapes of every division of `level` (a zeroed shape for the others); NULL when out
 * of memory or GEOS failed. */
static struct shape *build(const struct divisions *dv, enum div_level level, double tol)
{
    struct shape *s = calloc(dv->n ? dv->n : 1, sizeof *s);
    for (size_t i = 0; s && i < dv->n; i++) {
        const struct division *d = &dv->d[i];
        if (d->level != level || !d->wkb)
            continue;
        enum geod_err rc = shape_simplify(d->wkb, d->wkb_len, tol, &s[i]);
        if (rc == GEOD_ENOMEM) {
            for (size_t k = 0; k <= i; k++)
                shape_free(&s[k]);
            free(s);
            return NULL;
        } /* a boundary GEOS cannot read stays out of the layer, as one never surveyed */
    }
    return s;
}

/* The thread's cached shapes of a level at the default tolerance. */
static const struct shape *cached(struct api_req *r, enum div_level level)
{
    struct api_thread *th = r->th;
    const struct divisions *dv = r->snap->div;
    if (th->bounds && th->bounds->hash != dv->hash) {
        api_boundaries_free(th->bounds);
        th->bounds = NULL;
    }
    if (!th->bounds) {
        if (!(th->bounds = calloc(1, sizeof *th->bounds)))
            return NULL;
        th->bounds->hash = dv->hash;
        th->bounds->n = dv->n;
    }
    if (!th->bounds->lvl[level])
        th->bounds->lvl[level] = build(dv, level, DEFAULT_SIMPLIFY_M / M_PER_DEGREE);
    return th->bounds->lvl[level];
}

static void write_geometry(struct enc *e, const struct shape *s, enum crs_id out)
{
    enc_map(e, 2);
    enc_key(e, "type");
    enc_cstr(e, "MultiPolygon");
    enc_key(e, "coordinates");
    enc_array(e, (uint32_t)s->npoly);
    for (size_t p = 0; p < s->npoly; p++) {
        enc_array(e, (uint32_t)(s->poly_ring[p + 1] - s->poly_ring[p]));
        for (size_t k = s->poly_ring[p]; k < s->poly_ring[p + 1]; k++) {
            enc_array(e, (uint32_t)(s->ring_pt[k + 1] - s->ring_pt[k]));
            for (size_t i = s->ring_pt[k]; i < s->ring_pt[k + 1]; i++) {
                double lon = s->xy[2 * i], lat = s->xy[2 * i + 1];
                if (out != CRS_WGS84 && out != CRS_CGCS2000)
                    crs_convert(CRS_WGS84, out, lon, lat, &lon, &lat); /* in range: Wuhan */
                enc_array(e, 2);
                enc_double(e, lon, COORD_DECIMALS);
                enc_double(e, lat, COORD_DECIMALS);
                enc_end(e);
            }
            enc_end(e);
        }
        enc_end(e);
    }
    enc_end(e);
    enc_end(e);
}

static void write_feature(struct enc *e, const struct division *d, const struct shape *s,
                          enum crs_id out)
{
    enc_map(e, 4);
    enc_key(e, "type");
    enc_cstr(e, "Feature");
    enc_key(e, "id");
    enc_cstr(e, d->code);
    enc_key(e, "geometry");
    write_geometry(e, s, out);
    enc_key(e, "properties");
    enc_map(e, 4);
    enc_key(e, "code");
    enc_cstr(e, d->code);
    enc_key(e, "name");
    enc_cstr(e, d->name);
    enc_key(e, "level");
    enc_cstr(e, div_level_name(d->level));
    enc_key(e, "approximate");
    enc_bool(e, d->approximate);
    enc_end(e);
    enc_end(e);
}

void api_h_boundaries(struct api_req *r)
{
    static const char *const allowed[] = {"level", "simplify", "out_crs", NULL};
    enum crs_id out;
    uint64_t simplify;
    enum div_level level = DIV_DISTRICT;
    if (!params_allow(r, allowed) || !params_out_crs(r, &out) ||
        !params_uint(r, "simplify", 0, MAX_SIMPLIFY_M, DEFAULT_SIMPLIFY_M, false, &simplify))
        return;
    const struct query_param *lp = query_get(&r->q, "level");
    if (lp && div_level_parse(lp->value, lp->value_len, &level)) {
        api_fail(r, 400, "invalid_parameter", "level must be city, district, street or community",
                 "level");
        return;
    }
    const struct divisions *dv = r->snap->div;
    struct shape *own = NULL;
    const struct shape *s = simplify == DEFAULT_SIMPLIFY_M
                                ? cached(r, level)
                                : (own = build(dv, level, (double)simplify / M_PER_DEGREE));
    if (!s) {
        api_fail(r, 500, "internal", "the boundaries could not be simplified", NULL);
        return;
    }
    uint32_t n = 0;
    for (size_t i = 0; i < dv->n; i++)
        n += s[i].npoly > 0;
    if (r->fmt != FMT_MSGPACK)
        r->fmt = FMT_GEOJSON;
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 4);
    enc_key(e, "type");
    enc_cstr(e, "FeatureCollection");
    enc_key(e, "features");
    enc_array(e, n);
    for (size_t i = 0; i < dv->n; i++)
        if (s[i].npoly > 0)
            write_feature(e, &dv->d[i], &s[i], out);
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, n);
    enc_key(e, "level");
    enc_cstr(e, div_level_name(level));
    enc_end(e);
    if (own) {
        for (size_t i = 0; i < dv->n; i++)
            shape_free(&own[i]);
        free(own);
    }
    api_send(r, 200);
}

/* h_places.c - GET /v1/places/reverse (which divisions contain a point) and GET /v1/shake (the
 * app's one answer after a shake: where, who is responsible, what is near). */
#include "api/params.h"
#include "api/render.h"
#include "index/geodesic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SHAKE_K 3 /* facilities per category in a shake answer */

static const char *const shake_categories[] = {"community_center", "hospital", "relief_station",
                                               "elderly_care", "shelter"};
#define SHAKE_NCAT (sizeof shake_categories / sizeof shake_categories[0])

/* The thread's point-in-polygon index for the snapshot's divisions, rebuilt when they change
 * (GEOS structures cannot be shared between threads; see index/region.h). */
static struct region_index *region_for(struct api_req *r)
{
    struct api_thread *th = r->th;
    const struct divisions *dv = r->snap->div;
    if (th->region && th->region_hash == dv->hash)
        return th->region;
    region_index_free(th->region);
    th->region = NULL;
    struct region_src *src = malloc((dv->n ? dv->n : 1) * sizeof *src);
    if (!src)
        return NULL;
    for (size_t i = 0; i < dv->n; i++)
        src[i] =
            (struct region_src){dv->d[i].code, (int)dv->d[i].level, dv->d[i].wkb, dv->d[i].wkb_len};
    if (region_index_new(src, dv->n, &th->region) == GEOD_OK)
        th->region_hash = dv->hash;
    free(src);
    return th->region;
}

void api_prepare_thread(struct api_thread *th, const struct snapshot *snap)
{
    struct api_req r = {.th = th, .snap = snap};
    region_for(&r); /* a failure now is retried, and answered, by the first request */
}

/* The divisions containing the point, by level (-1 where none does); false on failure. */
bool api_locate(struct api_req *r, double lon, double lat, int32_t chain[DIV_LEVELS])
{
    struct region_index *idx = region_for(r);
    if (!idx)
        return false;
    for (int l = 0; l < DIV_LEVELS; l++) {
        const char *code = NULL;
        if (region_locate(idx, lon, lat, l, &code))
            return false;
        chain[l] = code ? divisions_find(r->snap->div, code, strlen(code)) : -1;
    }
    return true;
}

/* The chain city → community: empty outside the city, otherwise one entry per level, with
 * nulls where the level is unknown (no boundary there), never a guess. */
void api_write_chain(struct api_req *r, const int32_t chain[DIV_LEVELS], enum crs_id out)
{
    struct enc *e = r->th->enc;
    bool inside = chain[DIV_CITY] >= 0;
    enc_array(e, inside ? DIV_LEVELS : 0);
    for (int l = 0; inside && l < DIV_LEVELS; l++)
        render_division(e, r->snap->div, chain[l], (enum div_level)l, out);
    enc_end(e);
}

void api_h_reverse(struct api_req *r)
{
    static const char *const allowed[] = {"lon", "lat", "crs", "out_crs", NULL};
    struct api_pos pos;
    int32_t chain[DIV_LEVELS];
    if (!params_allow(r, allowed) || !params_position(r, &pos))
        return;
    if (!api_locate(r, pos.lon, pos.lat, chain)) {
        api_fail(r, 500, "internal", "the region index could not be built", NULL);
        return;
    }
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 1);
    enc_key(e, "chain");
    api_write_chain(r, chain, pos.out_crs);
    enc_end(e);
    api_send(r, 200);
}

/* A facility with its distance (d: the index's, or NAN to compute it) and bearing. */
static void write_facility_from(struct api_req *r, const struct api_pos *pos,
                                const struct geo_origin *o, const struct facility *f, double d)
{
    double xyz[3];
    geo_ecef(f->lon, f->lat, xyz);
    d = isnan(d) ? geo_inverse(pos->lon, pos->lat, f->lon, f->lat, NULL)
                 : render_distance(d, pos->lon, pos->lat, f->lon, f->lat);
    struct render_from from = {d, geo_bearing(o, f->lon, f->lat, xyz)};
    render_facility(r->th->enc, r->snap, f, pos->out_crs, &from);
}

void api_h_shake(struct api_req *r)
{
    static const char *const allowed[] = {"lon", "lat", "crs", "out_crs", NULL};
    struct api_pos pos;
    int32_t chain[DIV_LEVELS];
    if (!params_allow(r, allowed) || !params_position(r, &pos))
        return;
    if (!api_locate(r, pos.lon, pos.lat, chain)) {
        api_fail(r, 500, "internal", "the region index could not be built", NULL);
        return;
    }
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    struct geo_origin o;
    geo_origin_init(&o, pos.lon, pos.lat);
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 3);
    enc_key(e, "place");
    api_write_chain(r, chain, pos.out_crs);
    /* the centre responsible for the community the point is in, however far */
    enc_key(e, "responsible");
    uint32_t rid = chain[DIV_COMMUNITY] >= 0 ? r->snap->responsible[chain[DIV_COMMUNITY]] : 0;
    const struct facility *rf = rid ? snapshot_get(r->snap, rid) : NULL;
    if (rf)
        write_facility_from(r, &pos, &o, rf, NAN);
    else
        enc_null(e);
    enc_key(e, "nearby");
    enc_map(e, SHAKE_NCAT);
    for (size_t c = 0; c < SHAKE_NCAT; c++) {
        enc_key(e, shake_categories[c]);
        int cat = snapshot_category(r->snap, shake_categories[c], strlen(shake_categories[c]));
        size_t n = 0;
        if (cat >= 0) {
            struct rtree_query q = {.lon = pos.lon,
                                    .lat = pos.lat,
                                    .k = SHAKE_K,
                                    .max_m = INFINITY,
                                    .cat_mask = 1ull << cat};
            if (snapshot_nearest(r->snap, &q, r->th->near, r->th->fhits, &n))
                n = 0;
        }
        enc_array(e, (uint32_t)n);
        for (size_t i = 0; i < n; i++)
            write_facility_from(r, &pos, &o, r->th->fhits[i].f, r->th->fhits[i].distance_m);
        enc_end(e);
    }
    enc_end(e);
    enc_end(e);
    api_send(r, 200);
}

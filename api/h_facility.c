/* h_facility.c - GET /v1/facilities/{id} and the routing of the other /v1/facilities
 * resources (api/h_facility_write.h), GET /v1/categories, GET /healthz. */
#include "api/h_facility_write.h"
#include "api/params.h"
#include "api/render.h"

#include <string.h>

static void get_facility(struct api_req *r, const char *idtext, size_t idlen);

/* POST /v1/facilities */
void api_h_facilities(struct api_req *r)
{
    api_h_facility_create(r);
}

/* /v1/facilities/{id}[/history|/revert], by method. */
void api_h_facility(struct api_req *r)
{
    const char *idtext = r->path + strlen("/v1/facilities/");
    size_t rest = r->path_len - strlen("/v1/facilities/");
    const char *slash = memchr(idtext, '/', rest);
    size_t idlen = slash ? (size_t)(slash - idtext) : rest;
    const char *sub = slash ? slash + 1 : "";
    if (!slash) {
        if (api_method_is(r, API_M_GET))
            get_facility(r, idtext, idlen);
        else if (api_method_is(r, API_M_PATCH))
            api_h_facility_patch(r, idtext, idlen);
        else if (api_method_is(r, API_M_DELETE))
            api_h_facility_delete(r, idtext, idlen);
        else
            api_refuse_method(r, API_M_GET | API_M_PATCH | API_M_DELETE);
    } else if (!strcmp(sub, "history")) {
        if (api_method_is(r, API_M_GET))
            api_h_facility_history(r, idtext, idlen);
        else
            api_refuse_method(r, API_M_GET);
    } else if (!strcmp(sub, "revert")) {
        if (api_method_is(r, API_M_POST))
            api_h_facility_revert(r, idtext, idlen);
        else
            api_refuse_method(r, API_M_POST);
    } else {
        api_fail(r, 404, "not_found", "no such resource", NULL);
    }
}

static void get_facility(struct api_req *r, const char *idtext, size_t idlen)
{
    static const char *const allowed[] = {"crs", "out_crs", NULL};
    uint64_t id;
    enum crs_id out;
    if (!params_allow(r, allowed) || !params_out_crs(r, &out))
        return;
    if (query_uint(idtext, idlen, UINT32_MAX, &id) || id == 0) {
        api_fail(r, 404, "not_found", "no facility has this id", "id");
        return;
    }
    const struct facility *f = snapshot_get(r->snap, (uint32_t)id);
    if (!f) {
        api_fail(r, 404, "not_found", "no facility has this id", "id");
        return;
    }
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    if (r->fmt == FMT_GEOJSON)
        render_feature(e, r->snap, f, out, NULL);
    else
        render_facility(e, r->snap, f, out, NULL);
    api_send(r, 200);
}

void api_h_categories(struct api_req *r)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON; /* not geographic */
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 2);
    enc_key(e, "categories");
    enc_array(e, (uint32_t)r->snap->ncat);
    for (size_t i = 0; i < r->snap->ncat; i++) {
        const struct snapshot_category *c = &r->snap->cats[i];
        enc_map(e, 3);
        enc_key(e, "id");
        enc_cstr(e, c->id);
        enc_key(e, "name");
        enc_cstr(e, c->name_zh);
        enc_key(e, "count");
        enc_uint(e, c->count);
        enc_end(e);
    }
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, r->snap->ncat);
    enc_end(e);
    api_send(r, 200);
}

void api_h_healthz(struct api_req *r)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 3);
    enc_key(e, "status");
    enc_cstr(e, "ok");
    enc_key(e, "facilities");
    enc_uint(e, r->snap->n);
    enc_key(e, "generation");
    enc_uint(e, r->snap->generation);
    enc_end(e);
    api_send(r, 200);
}

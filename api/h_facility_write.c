/* h_facility_write.c - POST /v1/facilities, PATCH and DELETE /v1/facilities/{id}, POST
 * /v1/facilities/{id}/revert. Each: login (auth.h; CSRF for cookie sessions), the body
 * (facility_body.h), the district check on the facility's division before and after, then one
 * write of the event loop's group commit through facility_write.h, answered once durable.
 * Answers carry the record as GET /v1/facilities/{id} renders it, with `ETag: "<version>"`;
 * PATCH, DELETE and revert need `If-Match: <version>` (428 without, 412 with the current record
 * when stale). Deleted facilities are 404 here as in reads, except to revert, which is how an
 * admin brings one back. */
#include "api/auth.h"
#include "api/facility_body.h"
#include "api/facility_write.h"
#include "api/h_facility_write.h"
#include "api/params.h"
#include "api/render.h"
#include "data/store_write.h"
#include "index/similar.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Wuhan and 50 km around it, as the importers check (importers/import_impl.h): a position
 * farther out is a mistake, not a facility of the bureau. */
#define WRITE_LON_MIN 113.16
#define WRITE_LON_MAX 115.60
#define WRITE_LAT_MIN 29.52
#define WRITE_LAT_MAX 31.81
#define DUPLICATE_M 30.0 /* the duplicate guard's radius, geodesic metres */
#define DUPLICATE_MAX 32 /* candidates looked at (and listed) */

static void header(struct api_req *r, const h2o_token_t *name, const char *value)
{
    size_t n = strlen(value);
    char *v = h2o_mem_alloc_pool(&r->req->pool, n);
    memcpy(v, value, n);
    h2o_add_header(&r->req->pool, &r->req->res.headers, name, NULL, v, n);
}

/* The record of facility id in the current snapshot as the answer, with its ETag. */
static void answer(struct api_req *r, int status, uint32_t id, int64_t version, enum crs_id out)
{
    if (status == 201) {
        char loc[48];
        snprintf(loc, sizeof loc, "/v1/facilities/%u", (unsigned)id);
        header(r, H2O_TOKEN_LOCATION, loc);
    }
    const struct snapshot *s = api_write_current(r);
    const struct facility *f = snapshot_get(s, id);
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)version);
    header(r, H2O_TOKEN_ETAG, etag);
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    if (f && f->version == version) {
        render_facility(e, s, f, out, NULL);
    } else { /* written, not yet published (see api_write_commit) */
        enc_map(e, 2);
        enc_key(e, "id");
        enc_uint(e, id);
        enc_key(e, "version");
        enc_int(e, version);
        enc_end(e);
    }
    api_send(r, status);
}

/* The answer of a committed create, patch or revert (api_write_answer_fn). */
static void answer_written(struct api_req *r, const struct api_write_answer *a)
{
    answer(r, a->status, a->id, a->version, a->out);
}

/* An error with one more member: the current record (412) or the candidates (409). */
static void fail_with(struct api_req *r, int status, const char *code, const char *message,
                      const char *key, const struct snapshot *s, const uint32_t *ids, size_t n,
                      bool list, enum crs_id out)
{
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 2);
    enc_key(e, "error");
    enc_map(e, 3);
    enc_key(e, "code");
    enc_cstr(e, code);
    enc_key(e, "message");
    enc_cstr(e, message);
    enc_key(e, "param");
    enc_null(e);
    enc_end(e);
    enc_key(e, key);
    if (list)
        enc_array(e, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        const struct facility *f = snapshot_get(s, ids[i]);
        if (f)
            render_facility(e, s, f, out, NULL);
        else
            enc_null(e);
    }
    if (!list && n == 0)
        enc_null(e);
    if (list)
        enc_end(e);
    enc_end(e);
    api_send(r, status);
}

static bool content_is_json(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = strlen("application/json");
    return v.len >= n && h2o_lcstris(v.base, n, "application/json", n) &&
           (v.len == n || v.base[n] == ';' || v.base[n] == ' ');
}

/* The caller, allowed to write; false when answered. */
static bool writer(struct api_req *r, struct auth_user *u, char actor[AUTH_NAME_MAX + 8])
{
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    enum auth_result a = auth_request(r, !auth_method_safe(r), u);
    if (a) {
        auth_refuse(r, a);
        return false;
    }
    snprintf(actor, AUTH_NAME_MAX + 8, "user:%s", u->name);
    return true;
}

/* The body, parsed as kind; false when answered. */
static bool body(struct api_req *r, enum fac_body_kind kind, struct fac_body *b)
{
    h2o_req_t *req = r->req;
    if (!content_is_json(req)) {
        api_fail(r, 415, "unsupported_media_type", "send the body as application/json", NULL);
        return false;
    }
    if (req->entity.len > FAC_BODY_MAX) {
        api_fail(r, 413, "body_too_long", "the body is longer than 16384 bytes", NULL);
        return false;
    }
    struct auth_body_fail f;
    if (fac_body_parse(req->entity.base, req->entity.len, kind, b, &f)) {
        api_fail(r, 400, f.code, f.message, f.param[0] ? f.param : NULL);
        return false;
    }
    return true;
}

/* If-Match: 3 or "3"; false when answered (428 missing, 400 malformed). */
static bool if_match(struct api_req *r, int64_t *version)
{
    ssize_t i = h2o_find_header(&r->req->headers, H2O_TOKEN_IF_MATCH, -1);
    if (i < 0) {
        api_fail(r, 428, "precondition_required",
                 "send If-Match with the version you last read (its ETag)", "If-Match");
        return false;
    }
    h2o_iovec_t v = r->req->headers.entries[i].value;
    size_t a = 0, b = v.len;
    while (a < b && v.base[a] == ' ')
        a++;
    while (b > a && v.base[b - 1] == ' ')
        b--;
    if (b - a >= 2 && v.base[a] == '"' && v.base[b - 1] == '"') {
        a++;
        b--;
    }
    uint64_t n;
    if (query_uint(v.base + a, b - a, UINT32_MAX, &n) || n == 0) {
        api_fail(r, 400, "invalid_parameter", "If-Match must be a version, like \"3\"", "If-Match");
        return false;
    }
    *version = (int64_t)n;
    return true;
}

/* category id or Chinese name -> the snapshot's id; false when answered. */
static bool category(struct api_req *r, const char *text, const char **id)
{
    const struct snapshot *s = r->snap;
    for (size_t i = 0; i < s->ncat; i++) {
        if (!strcmp(s->cats[i].id, text) || !strcmp(s->cats[i].name_zh, text)) {
            *id = s->cats[i].id;
            return true;
        }
    }
    api_fail(r, 400, "unknown_category", "no category has this id or name", "category");
    return false;
}

/* The body's position in WGS-84, checked to be in Wuhan, and the code of the smallest division
 * holding it (community, else street, else district; "" outside them all). */
static bool position(struct api_req *r, const struct fac_body *b, double *lon, double *lat,
                     char code[13])
{
    if (crs_convert(b->crs, CRS_WGS84, b->lon, b->lat, lon, lat)) {
        api_fail(r, 400, "out_of_range", "the position cannot be converted", "lon");
        return false;
    }
    if (!(*lon >= WRITE_LON_MIN && *lon <= WRITE_LON_MAX)) {
        api_fail(r, 400, "out_of_range", "lon is far outside Wuhan (more than 50 km)", "lon");
        return false;
    }
    if (!(*lat >= WRITE_LAT_MIN && *lat <= WRITE_LAT_MAX)) {
        api_fail(r, 400, "out_of_range", "lat is far outside Wuhan (more than 50 km)", "lat");
        return false;
    }
    int32_t chain[DIV_LEVELS];
    if (!api_locate(r, *lon, *lat, chain)) {
        api_fail(r, 500, "internal", "the region index could not be built", NULL);
        return false;
    }
    code[0] = '\0';
    for (int l = DIV_COMMUNITY; l >= DIV_DISTRICT; l--) {
        if (chain[l] >= 0) {
            snprintf(code, 13, "%s", r->snap->div->d[chain[l]].code);
            break;
        }
    }
    return true;
}

static bool may_edit(struct api_req *r, const struct auth_user *u, const char *code)
{
    if (auth_may_edit(u, code && code[0] ? code : NULL))
        return true;
    api_fail(r, 403, "forbidden",
             "this account may not edit facilities in this division (outside its district)", NULL);
    return false;
}

/* Facilities of category cat within DUPLICATE_M of (lon, lat) with a name similar to name. */
static size_t duplicates(struct api_req *r, const struct snapshot *s, const char *cat, double lon,
                         double lat, const char *name, uint32_t out[DUPLICATE_MAX])
{
    int c = snapshot_category(s, cat, strlen(cat));
    struct rtree_query q = {.lon = lon,
                            .lat = lat,
                            .k = DUPLICATE_MAX,
                            .max_m = DUPLICATE_M,
                            .cat_mask = c >= 0 ? 1ull << c : 0};
    size_t n = 0, found = 0;
    if (c < 0 || snapshot_nearest(s, &q, r->th->near, r->th->fhits, &n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        const struct facility *f = r->th->fhits[i].f;
        if (f && names_similar(f->name, name))
            out[found++] = f->id;
    }
    return found;
}

static enum crs_id out_system(struct api_req *r, const struct fac_body *b)
{
    enum crs_id out = b && (b->have & FAC_F_POSITION) ? b->crs : CRS_WGS84;
    const struct query_param *p = query_get(&r->q, "out_crs");
    if (p && crs_parse(p->value, p->value_len, &out) == GEOD_OK)
        return out;
    return out;
}

void api_h_facility_create(struct api_req *r)
{
    static const char *const allowed[] = {"out_crs", NULL};
    struct auth_user u;
    char actor[AUTH_NAME_MAX + 8];
    enum crs_id out;
    if (!params_allow(r, allowed) || !params_out_crs(r, &out) || !writer(r, &u, actor))
        return;
    struct fac_body b;
    const char *cat;
    double lon, lat;
    char code[13];
    if (!body(r, FAC_BODY_CREATE, &b) || !category(r, b.category, &cat) ||
        !position(r, &b, &lon, &lat, code) || !may_edit(r, &u, code))
        return;
    out = out_system(r, &b);
    struct api_write w;
    /* the duplicate guard must see every earlier write published */
    if (!api_write_begin(r, &w, 0, !b.confirm_duplicate))
        return;
    if (!b.confirm_duplicate) {
        uint32_t dup[DUPLICATE_MAX];
        const struct snapshot *s = api_write_current(r);
        size_t n = duplicates(r, s, cat, lon, lat, b.name, dup);
        if (n) {
            api_write_abort(&w);
            fail_with(r, 409, "duplicate",
                      "a facility of this category with a similar name is within 30 m; send "
                      "\"confirm_duplicate\": true to create it anyway",
                      "candidates", s, dup, n, true, out);
            return;
        }
    }
    struct store_facility f = {.category = cat,
                               .name = b.name,
                               .address = b.address,
                               .phone = b.phone,
                               .hours = b.hours,
                               .lon = lon,
                               .lat = lat,
                               .division_code = code[0] ? code : NULL,
                               .source = "api"};
    uint32_t id;
    if (store_insert_facility(r->th->store, &f, actor, &id)) {
        api_write_abort(&w);
        api_fail_store(r, "the facility could not be written");
        return;
    }
    struct api_write_answer a = {.status = 201, .id = id, .version = 1, .out = out};
    api_write_commit(&w, &a, answer_written);
}

/* The live record id for a change checked against If-Match; false when answered (and the
 * write aborted). */
static bool current(struct api_req *r, struct api_write *w, uint32_t id, int64_t expect,
                    const struct auth_user *u, bool allow_deleted, struct store_facility_row *row,
                    enum crs_id out)
{
    enum geod_err rc = store_facility_get(r->th->store, id, row);
    if (rc || (row->deleted && !allow_deleted)) {
        api_write_abort(w);
        store_facility_row_free(row); /* every refusal frees the row: the callers return */
        if (rc && rc != GEOD_ENOTFOUND)
            api_fail_store(r, "the facility cannot be read");
        else
            api_fail(r, 404, "not_found", "no facility has this id", "id");
        return false;
    }
    if (!may_edit(r, u, row->f.division_code)) {
        api_write_abort(w);
        store_facility_row_free(row);
        return false;
    }
    if (row->version != expect) {
        api_write_abort(w);
        char etag[32];
        snprintf(etag, sizeof etag, "\"%lld\"", (long long)row->version);
        size_t n = row->deleted ? 0 : 1;
        store_facility_row_free(row);
        header(r, H2O_TOKEN_ETAG, etag);
        fail_with(r, 412, "version_mismatch",
                  "the facility changed since that version: here is the current record", "current",
                  api_write_current(r), &id, n, false, out);
        return false;
    }
    return true;
}

static bool facility_id(struct api_req *r, const char *text, size_t len, uint32_t *id)
{
    uint64_t v;
    if (query_uint(text, len, UINT32_MAX, &v) || v == 0) {
        api_fail(r, 404, "not_found", "no facility has this id", "id");
        return false;
    }
    *id = (uint32_t)v;
    return true;
}

/* A change of an existing facility: what PATCH, DELETE and revert do in their transaction. */
struct change {
    const char *action; /* the audit action: "update", "delete", "revert" */
    bool deletes;       /* the write soft-deletes */
    bool allow_deleted; /* a deleted facility may be changed (revert brings it back) */
    const char *failed; /* the 503 message when the store refuses the write */
    /* The record to write, from the current row, into f (strings in row or in ctx); false when
     * refused (answered). Inside the transaction, the row checked against If-Match. */
    bool (*apply)(struct api_req *r, void *ctx, const struct store_facility_row *row,
                  const struct auth_user *u, struct store_facility *f);
    void *ctx;
};

/* The answer to a delete: the record as it was, with its new version. */
static void answer_deleted(struct api_req *r, uint32_t id, int64_t version, enum crs_id out,
                           const struct snapshot *before, const struct facility *was)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)version);
    header(r, H2O_TOKEN_ETAG, etag);
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    if (was) { /* `before` stays valid for this request (server.c's reclamation) */
        struct facility gone = *was;
        gone.version = (uint32_t)version;
        render_facility(e, before, &gone, out, NULL);
    } else {
        enc_map(e, 2);
        enc_key(e, "id");
        enc_uint(e, id);
        enc_key(e, "version");
        enc_int(e, version);
        enc_end(e);
    }
    api_send(r, 200);
}

/* The answer of a committed delete (api_write_answer_fn). */
static void answer_gone(struct api_req *r, const struct api_write_answer *a)
{
    answer_deleted(r, a->id, a->version, a->out, a->before, a->was);
}

/* The one path of every change to facility id: the transaction, the current record checked
 * (404, 403 by district, 412 stale), the change applied and written with its audit row, the
 * commit and publication, and the answer. */
static void change_facility(struct api_req *r, const struct auth_user *u, const char *actor,
                            uint32_t id, int64_t expect, enum crs_id out, const struct change *c)
{
    struct api_write w;
    struct store_facility_row row;
    if (!api_write_begin(r, &w, id, false))
        return;
    if (!current(r, &w, id, expect, u, c->allow_deleted, &row, out))
        return;
    /* the record as it was, for a delete's answer: the snapshot loses it on publication */
    const struct snapshot *before = api_write_current(r);
    const struct facility *was = snapshot_get(before, id);
    struct store_facility f;
    if (!c->apply(r, c->ctx, &row, u, &f)) {
        api_write_abort(&w);
        store_facility_row_free(&row);
        return;
    }
    int64_t version;
    enum geod_err rc =
        store_write_facility(r->th->store, id, &f, c->deletes, c->action, actor, &version);
    store_facility_row_free(&row);
    if (rc) {
        api_write_abort(&w);
        api_fail_store(r, c->failed);
        return;
    }
    struct api_write_answer a = {.status = 200, .id = id, .version = version, .out = out};
    if (c->deletes) {
        a.before = before;
        a.was = was;
    }
    api_write_commit(&w, &a, c->deletes ? answer_gone : answer_written);
}

/* The caller, the id and If-Match of a change; false when answered. */
static bool change_request(struct api_req *r, const char *idtext, size_t idlen, struct auth_user *u,
                           char actor[AUTH_NAME_MAX + 8], uint32_t *id, enum crs_id *out)
{
    static const char *const allowed[] = {"out_crs", NULL};
    return params_allow(r, allowed) && params_out_crs(r, out) && writer(r, u, actor) &&
           facility_id(r, idtext, idlen, id);
}

/* PATCH: the fields the body has, over the current record. */
struct patch {
    const struct fac_body *b;
    const char *cat;
    double lon, lat;
    char code[13];
};

static bool apply_patch(struct api_req *r, void *ctx, const struct store_facility_row *row,
                        const struct auth_user *u, struct store_facility *f)
{
    const struct patch *p = ctx;
    const struct fac_body *b = p->b;
    *f = row->f;
    if (p->cat)
        f->category = p->cat;
    if (b->have & FAC_F_NAME)
        f->name = b->name;
    if (b->have & FAC_F_ADDRESS)
        f->address = b->address;
    if (b->have & FAC_F_PHONE)
        f->phone = b->phone;
    if (b->have & FAC_F_HOURS)
        f->hours = b->hours;
    if (b->have & FAC_F_POSITION) {
        f->lon = p->lon;
        f->lat = p->lat;
        f->division_code = p->code[0] ? p->code : NULL;
        return may_edit(r, u, f->division_code);
    }
    return true;
}

void api_h_facility_patch(struct api_req *r, const char *idtext, size_t idlen)
{
    struct auth_user u;
    char actor[AUTH_NAME_MAX + 8];
    enum crs_id out;
    uint32_t id;
    int64_t expect;
    if (!change_request(r, idtext, idlen, &u, actor, &id, &out) || !if_match(r, &expect))
        return;
    struct fac_body b;
    struct patch p = {.b = &b, .lon = NAN, .lat = NAN};
    if (!body(r, FAC_BODY_PATCH, &b) ||
        ((b.have & FAC_F_CATEGORY) && !category(r, b.category, &p.cat)) ||
        ((b.have & FAC_F_POSITION) && !position(r, &b, &p.lon, &p.lat, p.code)))
        return;
    struct change c = {"update",    false, false, "the facility could not be written",
                       apply_patch, &p};
    change_facility(r, &u, actor, id, expect, out_system(r, &b), &c);
}

static bool apply_delete(struct api_req *r, void *ctx, const struct store_facility_row *row,
                         const struct auth_user *u, struct store_facility *f)
{
    *f = row->f;
    return true;
}

void api_h_facility_delete(struct api_req *r, const char *idtext, size_t idlen)
{
    struct auth_user u;
    char actor[AUTH_NAME_MAX + 8];
    enum crs_id out;
    uint32_t id;
    int64_t expect;
    if (!change_request(r, idtext, idlen, &u, actor, &id, &out) || !if_match(r, &expect))
        return;
    struct change c = {"delete",     true, false, "the facility could not be deleted",
                       apply_delete, NULL};
    change_facility(r, &u, actor, id, expect, out, &c);
}

/* The fields of a record as the audit log keeps it (store_json.c's keys) into f, whose strings
 * point into root. False when a field is missing or of the wrong type. */
static bool fields_of(json_t *root, struct store_facility *f)
{
    json_t *cat = json_object_get(root, "category"), *name = json_object_get(root, "name");
    json_t *lon = json_object_get(root, "lon"), *lat = json_object_get(root, "lat");
    if (!json_is_string(cat) || !json_is_string(name) || !json_is_number(lon) ||
        !json_is_number(lat))
        return false;
    *f = (struct store_facility){.category = json_string_value(cat),
                                 .name = json_string_value(name),
                                 .address = json_string_value(json_object_get(root, "address")),
                                 .phone = json_string_value(json_object_get(root, "phone")),
                                 .hours = json_string_value(json_object_get(root, "hours")),
                                 .lon = json_number_value(lon),
                                 .lat = json_number_value(lat),
                                 .division_code =
                                     json_string_value(json_object_get(root, "division_code"))};
    return true;
}

/* Revert: the record as it was at an earlier version (the audit log's copy). */
struct revert {
    int64_t version; /* the body's */
    char *text;      /* the audit log's JSON of that version */
    json_t *root;
};

static bool apply_revert(struct api_req *r, void *ctx, const struct store_facility_row *row,
                         const struct auth_user *u, struct store_facility *f)
{
    struct revert *v = ctx;
    enum geod_err rc = v->version < row->version
                           ? store_facility_at(r->th->store, row->id, v->version, &v->text)
                           : GEOD_ENOTFOUND;
    if (!rc && (!(v->root = json_loads(v->text, 0, NULL)) || !fields_of(v->root, f)))
        rc = GEOD_ECORRUPT;
    if (rc == GEOD_ENOTFOUND)
        api_fail(r, 400, "invalid_field", "version must be an earlier version of this facility",
                 "version");
    else if (rc)
        api_fail_store(r, "the facility could not be reverted");
    return rc == GEOD_OK;
}

void api_h_facility_revert(struct api_req *r, const char *idtext, size_t idlen)
{
    struct auth_user u;
    char actor[AUTH_NAME_MAX + 8];
    enum crs_id out;
    uint32_t id;
    int64_t expect;
    if (!change_request(r, idtext, idlen, &u, actor, &id, &out))
        return;
    if (u.role != AUTH_ADMIN) {
        api_fail(r, 403, "forbidden", "only an admin may revert a facility", NULL);
        return;
    }
    struct fac_body b;
    if (!if_match(r, &expect) || !body(r, FAC_BODY_REVERT, &b))
        return;
    struct revert v = {.version = b.version};
    struct change c = {"revert",     false, true, "the facility could not be reverted",
                       apply_revert, &v};
    change_facility(r, &u, actor, id, expect, out, &c);
    json_decref(v.root);
    free(v.text);
}

/* h_facility_history.c - GET /v1/facilities/{id}/history: every change of a facility from the
 * store's audit log, oldest first, for logged-in users (workers check what happened to a record
 * before they edit it; citizens have no need of who changed what). Deleted facilities keep their
 * history. Answer: {"id":id,"history":[{"version","action","actor","at","before","after"}],
 * "count":n}, before and after being the record as the audit log keeps it (null before a
 * creation). */
#include "api/auth.h"
#include "api/h_facility_write.h"
#include "api/params.h"
#include "data/store_write.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_MAX 10000 /* rows answered at most */

/* A JSON value (from the audit log) through the encoder. */
static void write_json(struct enc *e, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        enc_map(e, (uint32_t)json_object_size(v));
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            enc_key(e, k);
            write_json(e, x);
        }
        enc_end(e);
        break;
    }
    case JSON_ARRAY: {
        enc_array(e, (uint32_t)json_array_size(v));
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) write_json(e, x);
        enc_end(e);
        break;
    }
    case JSON_STRING:
        enc_str(e, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        enc_int(e, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        enc_double(e, json_real_value(v), 9);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        enc_bool(e, json_is_true(v));
        break;
    default:
        enc_null(e);
    }
}

static void write_text(struct enc *e, const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (v)
        write_json(e, v);
    else
        enc_null(e);
    json_decref(v);
}

struct rows {
    struct enc *e;
    size_t n;
};

static bool one(void *ud, const struct store_audit_row *row)
{
    struct rows *w = ud;
    if (w->n++ == HISTORY_MAX)
        return false;
    struct enc *e = w->e;
    enc_map(e, 6);
    enc_key(e, "version");
    enc_int(e, row->version);
    enc_key(e, "action");
    enc_cstr(e, row->action);
    enc_key(e, "actor");
    enc_cstr(e, row->actor);
    enc_key(e, "at");
    enc_cstr(e, row->at);
    enc_key(e, "before");
    write_text(e, row->before);
    enc_key(e, "after");
    write_text(e, row->after);
    enc_end(e);
    return true;
}

static bool noop(void *ud, const struct store_audit_row *row)
{
    (void)row;
    ++*(size_t *)ud;
    return *(size_t *)ud < HISTORY_MAX;
}

void api_h_facility_history(struct api_req *r, const char *idtext, size_t idlen)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    struct auth_user u;
    enum auth_result a = auth_request(r, !auth_method_safe(r), &u);
    if (a) {
        auth_refuse(r, a);
        return;
    }
    uint64_t id;
    if (query_uint(idtext, idlen, UINT32_MAX, &id) || id == 0) {
        api_fail(r, 404, "not_found", "no facility has this id", "id");
        return;
    }
    /* count first (the encoder needs sizes up front), then write, in one read transaction */
    struct store *st = r->th->store;
    size_t n = 0, seen = 0;
    if (store_read_begin(st) ||
        store_facility_history(st, (uint32_t)id, noop, &seen, &n)) {
        store_read_end(st);
        api_fail_store(r, "the history cannot be read");
        return;
    }
    if (seen == 0) {
        store_read_end(st);
        api_fail(r, 404, "not_found", "no facility has this id", "id");
        return;
    }
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 3);
    enc_key(e, "id");
    enc_uint(e, id);
    enc_key(e, "history");
    enc_array(e, (uint32_t)seen);
    struct rows w = {e, 0};
    enum geod_err rc = store_facility_history(st, (uint32_t)id, one, &w, &n);
    store_read_end(st);
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, seen);
    enc_end(e);
    if (rc) {
        api_fail_store(r, "the history cannot be read");
        return;
    }
    api_send(r, 200);
}

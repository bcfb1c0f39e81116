/* http.c - routing, format negotiation and the two ways to answer (api_send, api_fail). */
#include "api/http.h"
#include "api/cors.h"
#include "api/facility_write.h"
#include "api/headers.h"
#include "api/static.h"
#include "data/log.h"
#include "data/store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const struct snapshot *api_current(struct api_thread *th); /* api/server.c */

enum { M_GET = API_M_GET, M_POST = API_M_POST, M_PATCH = API_M_PATCH, M_DELETE = API_M_DELETE };
enum { M_OWN = 1u << 15 }; /* the handler checks the method itself (and answers 405) */

struct route {
    const char *path; /* exact path, or a prefix when it ends with '/' */
    api_handler_fn fn;
    unsigned methods; /* M_*; 0 means M_GET */
};

static const struct route routes[] = {
    {"/v1/nearby", api_h_nearby},
    {"/v1/within", api_h_within},
    {"/v1/facilities", api_h_facilities, M_POST},
    /* GET, PATCH, DELETE /v1/facilities/{id}, GET …/history, POST …/revert: the methods
     * differ by sub-resource, so h_facility.c answers 405 (with the Allow of the one asked) */
    {"/v1/facilities/", api_h_facility, M_OWN},
    {"/v1/categories", api_h_categories},
    {"/healthz", api_h_healthz},
    {"/v1/convert", api_h_convert},
    {"/v1/places/reverse", api_h_reverse},
    {"/v1/places/search", api_h_search},
    {"/v1/shake", api_h_shake},
    {"/v1/enterprises", api_h_enterprises},
    {"/v1/bbox", api_h_bbox},
    {"/v1/places/boundaries", api_h_boundaries},
    {"/v1/login", api_h_login, M_POST},
    {"/v1/logout", api_h_logout, M_POST},
    {"/v1/me", api_h_me},
    {"/v1/me/ping", api_h_me_ping, M_POST},
    {"/v1/tiles", api_h_tiles},
    {"/metrics", api_h_metrics},
};

#define NROUTES (sizeof routes / sizeof routes[0])
_Static_assert(NROUTES < METRICS_ROUTES, "more routes than metric slots");

const char *api_route_name(int route)
{
    return route >= 0 && (size_t)route < NROUTES ? routes[route].path : "other";
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static h2o_generator_t generator; /* a single final send needs no callbacks */

enum enc_format api_enc_format(const struct api_req *r)
{
    return r->fmt == FMT_MSGPACK ? ENC_MSGPACK : ENC_JSON;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

void api_observe(struct api_req *r, int status, size_t len)
{
    h2o_req_t *req = r->req;
    uint64_t ns = mono_ns() - r->t0_ns;
    metrics_record(r->th->metrics, r->route, status, ns);
    if (r->th->log) {
        struct access_entry e = {.peer = NULL,
                                 .method = req->method.base,
                                 .method_len = req->method.len,
                                 .route = api_route_name(r->route),
                                 .path = r->path ? r->path : "",
                                 .path_len = r->path ? r->path_len : 0,
                                 .q = r->q_ok ? &r->q : NULL,
                                 .status = status,
                                 .bytes = len,
                                 .ns = ns};
        struct sockaddr_storage ss;
        if (req->conn->callbacks->get_peername &&
            req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss))
            e.peer = (struct sockaddr *)&ss;
        access_log_write(r->th->log, &e);
    }
}

void api_respond(struct api_req *r, int status, const char *body, size_t len,
                 const char *content_type)
{
    h2o_req_t *req = r->req;
    api_observe(r, status, len);
    req->res.status = status;
    req->res.reason = reason(status);
    req->res.content_length = len;
    /* room for the headers below at once (8 with CORS), instead of growing 4 -> 8 on the way */
    h2o_vector_reserve(&req->pool, &req->res.headers, req->res.headers.size + 8);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    /* answers depend on the citizen's position: nobody along the way may keep them */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Accept"));
    api_security_headers(r, NULL);
    api_cors_headers(r);
    h2o_iovec_t buf = h2o_iovec_init(NULL, 0);
    if (len && !h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"))) {
        buf.base = h2o_mem_alloc_pool(&req->pool, len);
        memcpy(buf.base, body, len);
        buf.len = len;
    }
    h2o_start_response(req, &generator);
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

void api_send(struct api_req *r, int status)
{
    struct enc *e = r->th->enc;
    if (!enc_ok(e)) { /* a bug in a handler, never the client's fault: say so plainly */
        enc_reset(e, ENC_JSON);
        enc_map(e, 1);
        enc_key(e, "error");
        enc_map(e, 3);
        enc_key(e, "code");
        enc_cstr(e, "internal");
        enc_key(e, "message");
        enc_cstr(e, "the answer could not be encoded");
        enc_key(e, "param");
        enc_null(e);
        enc_end(e);
        enc_end(e);
        status = 500;
    }
    size_t len;
    const char *body = enc_data(e, &len);
    const char *type = r->fmt == FMT_GEOJSON && (status == 200 || status == 201)
                           ? "application/geo+json"
                           : enc_content_type(r->fmt == FMT_MSGPACK ? ENC_MSGPACK : ENC_JSON);
    api_respond(r, status, body, len, type);
}

void api_fail(struct api_req *r, int status, const char *code, const char *message,
              const char *param)
{
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 1);
    enc_key(e, "error");
    enc_map(e, 3);
    enc_key(e, "code");
    enc_cstr(e, code);
    enc_key(e, "message");
    enc_cstr(e, message);
    enc_key(e, "param");
    enc_cstr(e, param);
    enc_end(e);
    enc_end(e);
    api_send(r, status);
}

void api_fail_store(struct api_req *r, const char *what)
{
    enum store_fault f = r->th->store ? store_fault(r->th->store) : STORE_FAULT_OTHER;
    /* a full disk or a read-only file system waits for the operator; a busy store a moment */
    const char *retry = f == STORE_FAULT_BUSY ? "1" : "30";
    h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, retry,
                   strlen(retry));
    const char *why = f == STORE_FAULT_NONE ? "the store is unavailable" : store_fault_text(f);
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s; try again later", what, why);
    log_error("store write failed (%.*s %.*s): %s", (int)r->req->method.len, r->req->method.base,
              (int)r->req->path_normalized.len, r->req->path_normalized.base, why);
    metrics_write_failed(r->th->metrics);
    api_fail(r, 503, "store_unavailable", msg, NULL);
}

/* The format the Accept header asks for; unknown types mean JSON. */
static enum api_format accept_format(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, -1);
    if (i < 0)
        return FMT_JSON;
    h2o_iovec_t v = req->headers.entries[i].value;
    if (h2o_strstr(v.base, v.len, H2O_STRLIT("application/msgpack")) != SIZE_MAX ||
        h2o_strstr(v.base, v.len, H2O_STRLIT("application/x-msgpack")) != SIZE_MAX)
        return FMT_MSGPACK;
    if (h2o_strstr(v.base, v.len, H2O_STRLIT("application/geo+json")) != SIZE_MAX)
        return FMT_GEOJSON;
    return FMT_JSON;
}

/* format= overrides Accept; an unknown format is refused. */
static bool format_param(struct api_req *r)
{
    const struct query_param *f = query_get(&r->q, "format");
    if (!f)
        return true;
    if (h2o_memis(f->value, f->value_len, H2O_STRLIT("json")))
        r->fmt = FMT_JSON;
    else if (h2o_memis(f->value, f->value_len, H2O_STRLIT("geojson")))
        r->fmt = FMT_GEOJSON;
    else if (h2o_memis(f->value, f->value_len, H2O_STRLIT("msgpack")))
        r->fmt = FMT_MSGPACK;
    else
        return false;
    return true;
}

/* The rate limit of public routes (not /healthz and /metrics, which monitoring polls): false
 * when the request was refused (answered 429). */
static bool limited(struct api_req *r)
{
    const char *route = api_route_name(r->route);
    if (strcmp(route, "/healthz") == 0 || strcmp(route, "/metrics") == 0)
        return true;
    h2o_req_t *req = r->req;
    struct sockaddr_storage ss;
    struct sockaddr *peer = NULL;
    if (req->conn->callbacks->get_peername &&
        req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss))
        peer = (struct sockaddr *)&ss;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_X_FORWARDED_FOR, -1);
    uint8_t key[16];
    ratelimit_client(r->th->rl, peer, i >= 0 ? req->headers.entries[i].value.base : NULL,
                     i >= 0 ? req->headers.entries[i].value.len : 0, key);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int retry;
    if (ratelimit_take(r->th->rl, key, (double)t.tv_sec + (double)t.tv_nsec * 1e-9, &retry))
        return true;
    char *v = h2o_mem_alloc_pool(&req->pool, 16);
    int n = snprintf(v, 16, "%d", retry);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v, (size_t)n);
    api_fail(r, 429, "rate_limited", "too many requests from this address: try again later", NULL);
    return false;
}

static unsigned api_method(h2o_req_t *req)
{
    h2o_iovec_t m = req->method;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("GET")) || h2o_memis(m.base, m.len, H2O_STRLIT("HEAD")))
        return M_GET;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("POST")))
        return M_POST;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("PATCH")))
        return M_PATCH;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("DELETE")))
        return M_DELETE;
    return 0;
}

bool api_method_is(const struct api_req *r, unsigned methods)
{
    return (api_method(r->req) & methods) != 0;
}

void api_refuse_method(struct api_req *r, unsigned allow)
{
    static const char *const names[] = {"GET, HEAD", "POST", "PATCH", "DELETE"};
    char list[64] = "", msg[96];
    for (int i = 0; i < 4; i++) {
        if (allow & (1u << i)) {
            if (list[0])
                strcat(list, ", ");
            strcat(list, names[i]);
        }
    }
    size_t n = strlen(list);
    char *v = h2o_mem_alloc_pool(&r->req->pool, n);
    memcpy(v, list, n);
    h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_ALLOW, NULL, v, n);
    snprintf(msg, sizeof msg, "this resource answers %s", list);
    api_fail(r, 405, "method_not_allowed", msg, NULL);
}

void api_dispatch(struct api_thread *th, h2o_req_t *req)
{
    /* Accept first, so that even a query that cannot be parsed is refused in the format asked */
    struct api_req r = {.req = req,
                        .th = th,
                        .fmt = accept_format(req),
                        .route = METRICS_ROUTES - 1,
                        .t0_ns = mono_ns()};
    size_t qat = req->query_at;
    size_t plen = qat == SIZE_MAX ? req->path.len : qat;
    char *path = h2o_mem_alloc_pool(&req->pool, plen + 1);
    memcpy(path, req->path.base, plen);
    path[plen] = '\0';
    r.path = path;
    r.path_len = plen;
    for (size_t i = 0; i < NROUTES; i++) { /* the route, for metrics and the log */
        size_t n = strlen(routes[i].path);
        if (routes[i].path[n - 1] == '/' ? plen > n && memcmp(path, routes[i].path, n) == 0
                                         : plen == n && memcmp(path, routes[i].path, n) == 0) {
            r.route = (int)i;
            break;
        }
    }
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"))) {
        api_cors_preflight(&r);
        return;
    }
    /* the web assets before the query is parsed: the widget page reads its own query */
    const struct static_asset *asset = static_find(path, plen);
    if (asset) {
        api_static_serve(&r, asset);
        return;
    }
    if (plen == 7 && memcmp(path, "/widget", 7) == 0) {
        api_static_redirect(&r, "/widget/");
        return;
    }
    if (plen == 4 && memcmp(path, "/tag", 4) == 0) {
        api_static_redirect(&r, "/tag/");
        return;
    }
    if (th->rl && !limited(&r))
        return;
    if (qat != SIZE_MAX) {
        const char *qs = req->path.base + qat + 1;
        size_t qlen = req->path.len - qat - 1;
        if (qlen > QUERY_MAX_LEN) {
            api_fail(&r, 400, "query_too_long", "the query string is longer than 4096 bytes", NULL);
            return;
        }
        char *buf = h2o_mem_alloc_pool(&req->pool, qlen + 1);
        struct query_fail fail;
        if (query_parse(qs, qlen, buf, qlen + 1, &r.q, &fail)) {
            api_fail(&r, 400, fail.code, fail.message, fail.param[0] ? fail.param : NULL);
            return;
        }
    }
    r.q_ok = true;
    if (!format_param(&r)) {
        api_fail(&r, 400, "invalid_parameter", "format must be json, geojson or msgpack", "format");
        return;
    }
    if ((size_t)r.route < NROUTES) { /* the route found above */
        const struct route *rt = &routes[r.route];
        unsigned m = api_method(req), allow = rt->methods ? rt->methods : M_GET;
        if (!(allow & M_OWN) && !(m & allow)) {
            api_refuse_method(&r, allow);
            return;
        }
        /* only facility writes join this turn's batch; anything else sees it committed */
        if (!(m & (M_POST | M_PATCH | M_DELETE)) || strncmp(rt->path, "/v1/facilities", 14))
            api_write_flush(th);
        r.snap = api_current(th);
        rt->fn(&r);
        return;
    }
    api_fail(&r, 404, "not_found", "no such resource", NULL);
}

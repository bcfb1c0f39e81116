/* cors.c - the allowed portal origins and the CORS headers of answers and preflights (see
 * cors.h). Checked against the request's Origin on every answer; an origin not in the list gets
 * no CORS header at all, so its pages cannot read the answer. */
#include "api/cors.h"
#include "api/headers.h"
#include "api/http.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PREFLIGHT_MAX_AGE "600" /* seconds a browser may keep a preflight's answer */

/* h2o 2.2.5 has tokens for few of the CORS headers: the others go by name (lower case, as h2o
 * keeps names), written as orig. */
static void add_named(h2o_req_t *req, const char *lower, const char *orig, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, lower, strlen(lower), 0, orig, value,
                          strlen(value));
}

enum geod_err cors_list_add(struct cors_list *l, const char *origin, char *err, size_t errlen)
{
    size_t len = strlen(origin);
    if (len && origin[len - 1] == '/')
        len--;
    const char *host = strstr(origin, "://");
    if (l->n >= CORS_MAX_ORIGINS) {
        snprintf(err, errlen, "at most %d origins", CORS_MAX_ORIGINS);
        return GEOD_EINVAL;
    }
    if (len == 0 || len > CORS_ORIGIN_MAX || !host || (size_t)(host - origin) + 3 >= len) {
        snprintf(err, errlen, "%s is not an origin like https://portal.example.cn", origin);
        return GEOD_EINVAL;
    }
    size_t slen = (size_t)(host - origin);
    if (!((slen == 4 && strncasecmp(origin, "http", 4) == 0) ||
          (slen == 5 && strncasecmp(origin, "https", 5) == 0))) {
        snprintf(err, errlen, "%s: the scheme must be http or https", origin);
        return GEOD_EINVAL;
    }
    for (size_t i = slen + 3; i < len; i++) {
        unsigned char c = (unsigned char)origin[i];
        if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']')) {
            snprintf(err, errlen, "%s: an origin has no path, query or user (scheme://host[:port])",
                     origin);
            return GEOD_EINVAL;
        }
    }
    char *dst = l->origin[l->n++];
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)tolower((unsigned char)origin[i]);
    dst[len] = '\0';
    return GEOD_OK;
}

bool cors_allowed(const struct cors_list *l, const char *origin, size_t len)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (strlen(l->origin[i]) == len && strncasecmp(l->origin[i], origin, len) == 0)
            return true;
    return false;
}

/* The request's Origin header if it is allowed, else NULL. */
static const h2o_iovec_t *allowed_origin(struct api_req *r)
{
    h2o_req_t *req = r->req;
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i < 0)
        return NULL;
    const h2o_iovec_t *v = &req->headers.entries[i].value;
    return cors_allowed(r->th->cors, v->base, v->len) ? v : NULL;
}

void api_cors_headers(struct api_req *r)
{
    h2o_req_t *req = r->req;
    if (!r->th->cors || r->th->cors->n == 0)
        return;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    const h2o_iovec_t *o = allowed_origin(r);
    if (o)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
                       o->base, o->len);
}

void api_cors_preflight(struct api_req *r)
{
    h2o_req_t *req = r->req;
    ssize_t m =
        h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-method"), -1);
    const h2o_iovec_t *o = allowed_origin(r);
    bool read = m >= 0 && (h2o_memis(req->headers.entries[m].value.base,
                                     req->headers.entries[m].value.len, H2O_STRLIT("GET")) ||
                           h2o_memis(req->headers.entries[m].value.base,
                                     req->headers.entries[m].value.len, H2O_STRLIT("HEAD")));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL,
                   H2O_STRLIT("Origin, Access-Control-Request-Method, "
                              "Access-Control-Request-Headers"));
    if (o && read) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
                       o->base, o->len);
        add_named(req, "access-control-allow-methods", "Access-Control-Allow-Methods", "GET, HEAD");
        /* If-None-Match is not a CORS-safelisted header; Accept is, named for clarity */
        add_named(req, "access-control-allow-headers", "Access-Control-Allow-Headers",
                  "Accept, If-None-Match");
        add_named(req, "access-control-max-age", "Access-Control-Max-Age", PREFLIGHT_MAX_AGE);
    }
    api_security_headers(r, NULL);
    static h2o_generator_t gen;
    req->res.status = 204;
    req->res.reason = "No Content";
    req->res.content_length = 0;
    api_observe(r, 204, 0);
    h2o_start_response(req, &gen);
    h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
}

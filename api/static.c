/* static.c - serves the embedded web assets (static.h) from memory: GET and HEAD only, a strong
 * ETag (the content's SHA-256) with If-None-Match answered 304, Cache-Control public with the
 * asset's max-age (immutable for the versioned Leaflet paths), the security headers
 * (api/headers.c), and the CORS headers of
 * the allowed portal origins. Not a file server: only what web/assets.txt lists exists. */
#include "api/static.h"
#include "api/cors.h"
#include "api/headers.h"
#include "api/http.h"

#include <stdio.h>
#include <string.h>

#define YEAR_S 31536000u

const struct static_asset *static_find(const char *path, size_t len)
{
    for (size_t i = 0; i < static_assets_n; i++) {
        /* to the first byte that differs (the second, for an API path), not strlen of each */
        const char *a = static_assets[i].path;
        size_t j = 0;
        while (j < len && a[j] && a[j] == path[j])
            j++;
        if (j == len && a[len] == '\0') /* a[0..len) are not NUL: a[len] is inside a */
            return &static_assets[i];
    }
    return NULL;
}

bool static_etag_matches(const char *h, size_t len, const char *etag)
{
    size_t elen = strlen(etag);
    size_t i = 0;
    while (i < len) {
        while (i < len && (h[i] == ' ' || h[i] == '\t' || h[i] == ','))
            i++;
        if (i < len && h[i] == '*')
            return true;
        if (i + 1 < len && h[i] == 'W' && h[i + 1] == '/')
            i += 2;
        size_t start = i;
        if (i < len && h[i] == '"') /* a quoted tag: up to its closing quote */
            for (i++; i < len && h[i] != '"'; i++)
                ;
        while (i < len && h[i] != ',') /* the closing quote, or a malformed rest */
            i++;
        size_t end = i;
        while (end > start && (h[end - 1] == ' ' || h[end - 1] == '\t'))
            end--;
        if (end - start == elen && memcmp(h + start, etag, elen) == 0)
            return true;
    }
    return false;
}

static void add(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_add_header(&req->pool, &req->res.headers, token, NULL, value, strlen(value));
}

void api_static_serve(struct api_req *r, const struct static_asset *a)
{
    static h2o_generator_t gen; /* one final send needs no callbacks */
    h2o_req_t *req = r->req;
    bool head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    if (!head && !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"))) {
        add(req, H2O_TOKEN_ALLOW, "GET, HEAD");
        api_fail(r, 405, "method_not_allowed", "this resource answers GET and HEAD", NULL);
        return;
    }
    char cache[80];
    snprintf(cache, sizeof cache, "public, max-age=%u%s", a->max_age,
             a->max_age >= YEAR_S ? ", immutable" : "");
    add(req, H2O_TOKEN_ETAG, a->etag);
    add(req, H2O_TOKEN_CACHE_CONTROL, h2o_strdup(&req->pool, cache, SIZE_MAX).base);
    api_security_headers(r, a->path); /* nosniff, CSP, framing: api/headers.c decides */
    api_cors_headers(r);
    ssize_t inm = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
    if (inm >= 0 && static_etag_matches(req->headers.entries[inm].value.base,
                                        req->headers.entries[inm].value.len, a->etag)) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        req->res.content_length = 0;
        api_observe(r, 304, 0);
        h2o_start_response(req, &gen);
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    size_t len = (size_t)(a->end - a->start);
    add(req, H2O_TOKEN_CONTENT_TYPE, a->content_type);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = len;
    /* the bytes live in the binary for its whole life: sent as they are, never copied */
    h2o_iovec_t body = h2o_iovec_init(a->start, head ? 0 : len);
    api_observe(r, 200, len);
    h2o_start_response(req, &gen);
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
}

void api_static_redirect(struct api_req *r, const char *to)
{
    static h2o_generator_t gen;
    h2o_req_t *req = r->req;
    size_t qat = req->query_at;
    h2o_iovec_t loc = qat == SIZE_MAX
                          ? h2o_strdup(&req->pool, to, SIZE_MAX)
                          : h2o_concat(&req->pool, h2o_iovec_init(to, strlen(to)),
                                       h2o_iovec_init(req->path.base + qat, req->path.len - qat));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, loc.base, loc.len);
    api_security_headers(r, NULL);
    api_cors_headers(r);
    req->res.status = 301;
    req->res.reason = "Moved Permanently";
    req->res.content_length = 0;
    api_observe(r, 301, 0);
    h2o_start_response(req, &gen);
    h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
}

/* headers.c - which security headers each answer carries. One table, one decision:
 *
 *   answer                         Content-Security-Policy      X-Frame-Options  Referrer-Policy
 *   /tag/ and its files            TAG_CSP (self only; images   DENY             same-origin
 *                                  also from its tile host)
 *   /widget/ (the iframe page)     WIDGET_CSP (frameable)       -                strict-origin-…
 *   everything else: the API,      default-src 'none';          DENY             -
 *   errors, redirects, /widget.js, frame-ancestors 'none'
 *   Leaflet's files
 *
 * and X-Content-Type-Options: nosniff on every answer. The pages run no inline script or style
 * (web/tag/, web/widget/: every script and style is a file of geod's), so 'self' is enough.
 * The widget page is the one portals frame: its frame-ancestors are the portal origins of
 * --cors-origin (the operator named its portals) or, with none named, any page (an iframe
 * needs no CORS, so unconfigured iframe embeds keep working); its img-src is open, for the tile
 * server a portal names in `tiles` (images carry no script, and the page holds no secret: its
 * requests omit credentials). Answers h2o gives by itself (a malformed request's 400, 413 beyond
 * the server's body limit) do not pass here. */
#include "api/headers.h"
#include "api/cors.h"
#include "api/http.h"
#include "api/tiles.h"

#include <string.h>

/* TAG_CSP_HEAD, the tile host when /tag/ has a tile layer (api/tiles.h), TAG_CSP_TAIL */
#define TAG_CSP_HEAD "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"
#define TAG_CSP_TAIL                                                                               \
    "; connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "               \
    "frame-ancestors 'none'"
#define WIDGET_CSP                                                                                 \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src * data:; "                   \
    "connect-src 'self'; form-action 'none'; base-uri 'none'; object-src 'none'; "                 \
    "frame-ancestors "
#define OTHER_CSP "default-src 'none'; frame-ancestors 'none'"

static void add(h2o_req_t *req, const char *lower, const char *name, const char *value, size_t len)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, lower, strlen(lower), 0, name, value, len);
}

/* WIDGET_CSP with its frame-ancestors: 'self' and the portal origins, or * with none. */
static h2o_iovec_t widget_csp(struct api_req *r)
{
    const struct cors_list *l = r->th->cors;
    if (!l || l->n == 0)
        return h2o_iovec_init(H2O_STRLIT(WIDGET_CSP "*"));
    size_t len = sizeof WIDGET_CSP - 1 + sizeof "'self'" - 1;
    for (size_t i = 0; i < l->n; i++)
        len += 1 + strlen(l->origin[i]);
    char *buf = h2o_mem_alloc_pool(&r->req->pool, len + 1), *p = buf;
    memcpy(p, WIDGET_CSP "'self'", sizeof WIDGET_CSP - 1 + sizeof "'self'" - 1);
    p += sizeof WIDGET_CSP - 1 + sizeof "'self'" - 1;
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->origin[i]);
        *p++ = ' ';
        memcpy(p, l->origin[i], n);
        p += n;
    }
    *p = '\0';
    return h2o_iovec_init(buf, len);
}

void api_security_headers(struct api_req *r, const char *asset_path)
{
    h2o_req_t *req = r->req;
    add(req, "x-content-type-options", "X-Content-Type-Options", H2O_STRLIT("nosniff"));
    if (asset_path && strncmp(asset_path, "/tag/", 5) == 0) {
        const struct tile_config *t = r->th->tiles;
        h2o_iovec_t csp =
            t && t->on ? h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT(TAG_CSP_HEAD " ")),
                                    h2o_iovec_init(t->csp_source, strlen(t->csp_source)),
                                    h2o_iovec_init(H2O_STRLIT(TAG_CSP_TAIL)))
                       : h2o_iovec_init(H2O_STRLIT(TAG_CSP_HEAD TAG_CSP_TAIL));
        add(req, "content-security-policy", "Content-Security-Policy", csp.base, csp.len);
        add(req, "x-frame-options", "X-Frame-Options", H2O_STRLIT("DENY"));
        add(req, "referrer-policy", "Referrer-Policy", H2O_STRLIT("same-origin"));
    } else if (asset_path && strcmp(asset_path, "/widget/") == 0) {
        h2o_iovec_t csp = widget_csp(r);
        add(req, "content-security-policy", "Content-Security-Policy", csp.base, csp.len);
        add(req, "referrer-policy", "Referrer-Policy",
            H2O_STRLIT("strict-origin-when-cross-origin"));
    } else {
        add(req, "content-security-policy", "Content-Security-Policy", H2O_STRLIT(OTHER_CSP));
        add(req, "x-frame-options", "X-Frame-Options", H2O_STRLIT("DENY"));
    }
}

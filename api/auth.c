/* auth.c - auth_request and friends (see auth.h): credentials from the request, the session
 * from the store, expiry and CSRF. */
#include "api/auth.h"
#include "api/auth_config.h"
#include "data/store_auth.h"

#include <string.h>
#include <time.h>

#define COOKIE_NAME "geod_session"

const char *auth_role_name(enum auth_role role)
{
    return role == AUTH_ADMIN ? "admin" : "worker";
}

bool auth_method_safe(const struct api_req *r)
{
    h2o_iovec_t m = r->req->method;
    return h2o_memis(m.base, m.len, H2O_STRLIT("GET")) ||
           h2o_memis(m.base, m.len, H2O_STRLIT("HEAD")) ||
           h2o_memis(m.base, m.len, H2O_STRLIT("OPTIONS"));
}

bool auth_may_edit(const struct auth_user *u, const char *division_code)
{
    if (!u)
        return false;
    if (u->role == AUTH_ADMIN || u->district[0] == '\0')
        return true;
    if (!division_code || strlen(division_code) != 12 || strlen(u->district) != 6)
        return false;
    for (size_t i = 0; i < 12; i++)
        if (division_code[i] < '0' || division_code[i] > '9')
            return false;
    return memcmp(division_code, u->district, 6) == 0;
}

/* The token of `Authorization: Bearer <token>`: 1 found, 0 no such header, -1 malformed. */
static int bearer_token(h2o_req_t *req, h2o_iovec_t *tok)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    if (v.len < 7 || !h2o_lcstris(v.base, 6, H2O_STRLIT("bearer")) || v.base[6] != ' ')
        return -1;
    size_t at = 7;
    while (at < v.len && v.base[at] == ' ')
        at++;
    size_t end = v.len;
    while (end > at && v.base[end - 1] == ' ')
        end--;
    *tok = h2o_iovec_init(v.base + at, end - at);
    return auth_token_shape(tok->base, tok->len) ? 1 : -1;
}

/* The value of the geod_session cookie: 1 found, 0 none. The first one wins. */
static int session_cookie(h2o_req_t *req, h2o_iovec_t *tok)
{
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[i].value;
        size_t at = 0;
        while (at < v.len) {
            while (at < v.len && (v.base[at] == ' ' || v.base[at] == ';'))
                at++;
            size_t end = at;
            while (end < v.len && v.base[end] != ';')
                end++;
            const char *eq = memchr(v.base + at, '=', end - at);
            if (eq && (size_t)(eq - (v.base + at)) == sizeof COOKIE_NAME - 1 &&
                memcmp(v.base + at, COOKIE_NAME, sizeof COOKIE_NAME - 1) == 0) {
                size_t vend = end;
                while (vend > (size_t)(eq + 1 - v.base) && v.base[vend - 1] == ' ')
                    vend--;
                *tok = h2o_iovec_init(eq + 1, vend - (size_t)(eq + 1 - v.base));
                return 1;
            }
            at = end;
        }
    }
    return 0;
}

/* The CSRF token the request carries: the X-CSRF-Token header, else a form body's field. */
static bool csrf_ok(struct api_req *r, const char *expected)
{
    h2o_req_t *req = r->req;
    size_t elen = strlen(expected);
    if (elen == 0)
        return false;
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-csrf-token"), -1);
    if (i >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        return auth_equal(v.base, v.len, expected, elen);
    }
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    static const char form[] = "application/x-www-form-urlencoded";
    if (ct < 0 || req->headers.entries[ct].value.len < sizeof form - 1 ||
        !h2o_lcstris(req->headers.entries[ct].value.base, sizeof form - 1, H2O_STRLIT(form)))
        return false;
    char got[AUTH_TOKEN_LEN + 2];
    if (!auth_form_field(req->entity.base, req->entity.len, "csrf_token", got, sizeof got))
        return false;
    return auth_equal(got, strlen(got), expected, elen);
}

enum auth_result auth_request(struct api_req *r, bool needs_csrf, struct auth_user *out)
{
    memset(out, 0, sizeof *out);
    struct api_thread *th = r->th;
    h2o_iovec_t tok;
    bool bearer = true;
    int found = bearer_token(r->req, &tok);
    if (found < 0)
        return AUTH_INVALID;
    if (found == 0) {
        bearer = false;
        if (!session_cookie(r->req, &tok))
            return AUTH_NO_CREDENTIALS;
        if (!auth_token_shape(tok.base, tok.len))
            return AUTH_INVALID;
    }
    if (!th->store)
        return AUTH_UNAVAILABLE;
    struct store_session ss;
    uint8_t hash[AUTH_TOKEN_HASH_LEN];
    auth_token_hash(tok.base, tok.len, hash);
    enum geod_err rc = store_session_get(th->store, hash, &ss);
    if (rc == GEOD_ENOTFOUND || (!rc && ss.bearer != bearer))
        return AUTH_INVALID;
    if (rc)
        return AUTH_UNAVAILABLE;
    const struct auth_config *c = th->auth;
    int64_t now = (int64_t)time(NULL);
    if (now >= ss.expires_at || now - ss.last_seen >= c->session_idle) {
        store_session_delete(th->store, hash);
        return AUTH_INVALID;
    }
    if (ss.user.disabled)
        return AUTH_DISABLED;
    if (needs_csrf && !bearer && !csrf_ok(r, ss.csrf_token))
        return AUTH_CSRF;
    /* a session that cannot be touched (a full disk) still holds: it only ends sooner */
    if (now - ss.last_seen >= c->session_touch)
        store_session_touch(th->store, hash, now);
    out->id = ss.user.id;
    memcpy(out->name, ss.user.name, sizeof out->name);
    out->role = strcmp(ss.user.role, "admin") == 0 ? AUTH_ADMIN : AUTH_WORKER;
    memcpy(out->district, ss.user.district, sizeof out->district);
    out->via = bearer ? AUTH_VIA_BEARER : AUTH_VIA_COOKIE;
    out->expires_at = ss.expires_at;
    memcpy(out->token_hash, hash, sizeof hash);
    return AUTH_OK;
}

void auth_refuse(struct api_req *r, enum auth_result why)
{
    h2o_req_t *req = r->req;
    switch (why) {
    case AUTH_NO_CREDENTIALS:
    case AUTH_INVALID:
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Bearer realm=\"geod\""));
        if (why == AUTH_NO_CREDENTIALS)
            api_fail(r, 401, "not_logged_in", "log in first (POST /v1/login)", NULL);
        else
            api_fail(r, 401, "session_invalid",
                     "the session or token is unknown, expired or logged out", NULL);
        return;
    case AUTH_CSRF:
        api_fail(r, 403, "csrf_failed",
                 "a request with the session cookie needs its X-CSRF-Token header", NULL);
        return;
    case AUTH_DISABLED:
        api_fail(r, 403, "account_disabled", "this account is disabled", NULL);
        return;
    default:
        if (r->th->store)
            api_fail_store(r, "accounts cannot be checked");
        else
            api_fail(r, 503, "unavailable", "this server has no accounts", NULL);
        return;
    }
}

void auth_write_user(struct enc *e, const struct auth_user *u)
{
    enc_map(e, 3);
    enc_key(e, "name");
    enc_cstr(e, u->name);
    enc_key(e, "role");
    enc_cstr(e, auth_role_name(u->role));
    enc_key(e, "district");
    enc_cstr(e, u->district[0] ? u->district : NULL);
    enc_end(e);
}

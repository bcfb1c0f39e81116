/* h_auth.c - POST /v1/login, POST /v1/logout, GET /v1/me and POST /v1/me/ping (the smallest
 * authenticated write, answering what the write API will: who you are and whether you may edit
 * a division). The rules are auth.h's; throttling is auth_throttle.h's. A login costs its event
 * loop one argon2id verification (~0.1 s at the default cost), unknown names included. */
#include "api/auth.h"
#include "api/auth_throttle.h"
#include "api/params.h"
#include "data/store_auth.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Strict"

/* "; Secure" when the request came over TLS (geod serve --tls-cert): the browser then never
 * sends the session cookie over plain HTTP. */
static const char *cookie_secure(const struct api_req *r)
{
    return r->req->input.scheme == &H2O_URL_SCHEME_HTTPS ? "; Secure" : "";
}

static void add_header(struct api_req *r, const h2o_token_t *name, const char *value)
{
    size_t n = strlen(value);
    char *v = h2o_mem_alloc_pool(&r->req->pool, n);
    memcpy(v, value, n);
    h2o_add_header(&r->req->pool, &r->req->res.headers, name, NULL, v, n);
}

static void iso_time(int64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The peer's address as text ("127.0.0.1", "::1"), the throttling key of an address. */
static void peer_address(struct api_req *r, char out[INET6_ADDRSTRLEN])
{
    struct sockaddr_storage ss;
    socklen_t len = r->req->conn->callbacks->get_peername(r->req->conn, (struct sockaddr *)&ss);
    const void *a = NULL;
    if (len && ss.ss_family == AF_INET)
        a = &((struct sockaddr_in *)&ss)->sin_addr;
    else if (len && ss.ss_family == AF_INET6)
        a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
    if (!a || !inet_ntop(ss.ss_family, a, out, INET6_ADDRSTRLEN))
        snprintf(out, INET6_ADDRSTRLEN, "unknown");
}

static bool content_type_is(h2o_req_t *req, const char *type)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = strlen(type);
    return v.len >= n && h2o_lcstris(v.base, n, type, n) &&
           (v.len == n || v.base[n] == ';' || v.base[n] == ' ');
}

/* Seconds until (scope, key) may try again; -1 when the store failed. */
static int64_t throttled(struct api_req *r, enum store_login_scope scope, const char *key,
                         int64_t now)
{
    struct store_login_failure f;
    if (store_login_get(r->th->store, scope, key, &f))
        return -1;
    return auth_throttle_wait(r->th->auth, auth_throttle_limits(r->th->auth, scope), &f, now);
}

static enum geod_err record_failure(struct api_req *r, enum store_login_scope scope,
                                    const char *key, int64_t now)
{
    struct store_login_failure f;
    enum geod_err rc = store_login_get(r->th->store, scope, key, &f);
    if (!rc) {
        auth_throttle_fail(r->th->auth, auth_throttle_limits(r->th->auth, scope), &f, now);
        rc = store_login_put(r->th->store, scope, key, &f);
    }
    return rc;
}

static void too_many(struct api_req *r, int64_t wait)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)wait);
    add_header(r, H2O_TOKEN_RETRY_AFTER, v);
    api_fail(r, 429, "too_many_attempts",
             "too many failed logins from this address or for this name; try again later", NULL);
}

/* A new session for u; answers r. */
static void start_session(struct api_req *r, const struct store_user *su, bool bearer, int64_t now)
{
    const struct auth_config *c = r->th->auth;
    struct store_session ss = {
        .bearer = bearer, .created_at = now, .last_seen = now, .expires_at = now + c->session_max};
    char token[AUTH_TOKEN_LEN + 1];
    auth_token_new(token);
    auth_token_hash(token, AUTH_TOKEN_LEN, ss.token_hash);
    if (!bearer)
        auth_token_new(ss.csrf_token);
    if (store_session_prune(r->th->store, now, now - c->session_idle) ||
        store_login_prune(r->th->store, now, now - c->login_window) ||
        store_session_add(r->th->store, su->id, &ss)) {
        sodium_memzero(token, sizeof token);
        api_fail_store(r, "the session could not be stored");
        return;
    }
    struct auth_user u = {.id = su->id,
                          .role = strcmp(su->role, "admin") ? AUTH_WORKER : AUTH_ADMIN,
                          .via = bearer ? AUTH_VIA_BEARER : AUTH_VIA_COOKIE,
                          .expires_at = ss.expires_at};
    memcpy(u.name, su->name, sizeof u.name);
    memcpy(u.district, su->district, sizeof u.district);
    if (!bearer) {
        char cookie[192];
        snprintf(cookie, sizeof cookie, "geod_session=%s" COOKIE_ATTRS "%s; Max-Age=%lld", token,
                 cookie_secure(r), (long long)c->session_max);
        add_header(r, H2O_TOKEN_SET_COOKIE, cookie);
    }
    char exp[32];
    iso_time(ss.expires_at, exp);
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 3);
    enc_key(e, "user");
    auth_write_user(e, &u);
    enc_key(e, bearer ? "token" : "csrf");
    enc_cstr(e, bearer ? token : ss.csrf_token);
    enc_key(e, "expires_at");
    enc_cstr(e, exp);
    enc_end(e);
    sodium_memzero(token, sizeof token);
    api_send(r, 200);
}

void api_h_login(struct api_req *r)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    if (!r->th->store) {
        api_fail(r, 503, "unavailable", "this server has no accounts", NULL);
        return;
    }
    h2o_req_t *req = r->req;
    bool form = content_type_is(req, "application/x-www-form-urlencoded");
    if (!form && !content_type_is(req, "application/json")) {
        api_fail(r, 415, "unsupported_media_type",
                 "send application/json or application/x-www-form-urlencoded", NULL);
        return;
    }
    if (req->entity.len > (size_t)r->th->auth->body_max) {
        api_fail(r, 413, "body_too_long", "the login body is too long", NULL);
        return;
    }
    struct auth_login_body b;
    struct auth_body_fail f;
    if (auth_login_parse(req->entity.base, req->entity.len, form, &b, &f)) {
        sodium_memzero(&b, sizeof b);
        api_fail(r, 400, f.code, f.message, f.param[0] ? f.param : NULL);
        return;
    }
    char addr[INET6_ADDRSTRLEN];
    peer_address(r, addr);
    int64_t now = (int64_t)time(NULL);
    int64_t wa = throttled(r, STORE_LOGIN_ADDRESS, addr, now);
    int64_t wn = wa < 0 ? -1 : throttled(r, STORE_LOGIN_ACCOUNT, b.name, now);
    if (wa < 0 || wn < 0) {
        sodium_memzero(&b, sizeof b);
        api_fail_store(r, "accounts cannot be checked");
        return;
    }
    if (wa > 0 || wn > 0) {
        sodium_memzero(&b, sizeof b);
        too_many(r, wa > wn ? wa : wn);
        return;
    }
    struct store_user u;
    enum geod_err rc = store_user_get(r->th->store, b.name, &u);
    if (rc && rc != GEOD_ENOTFOUND) {
        sodium_memzero(&b, sizeof b);
        api_fail_store(r, "accounts cannot be checked");
        return;
    }
    /* an unknown name costs one verification too, against a hash nothing matches */
    bool ok = auth_pw_verify(rc ? r->th->dummy_hash : u.password_hash, b.password, b.password_len);
    ok = ok && !rc;
    sodium_memzero(b.password, sizeof b.password);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (!ok) {
        if (store_begin(r->th->store) || record_failure(r, STORE_LOGIN_ADDRESS, addr, now) ||
            record_failure(r, STORE_LOGIN_ACCOUNT, b.name, now) || store_commit(r->th->store)) {
            store_rollback(r->th->store);
            api_fail_store(r, "accounts cannot be checked");
            return;
        }
        api_fail(r, 401, "invalid_credentials", "wrong name or password", NULL);
        return;
    }
    if (u.disabled) {
        api_fail(r, 403, "account_disabled", "this account is disabled", NULL);
        return;
    }
    if (store_login_clear(r->th->store, STORE_LOGIN_ACCOUNT, b.name)) {
        api_fail_store(r, "accounts cannot be checked");
        return;
    }
    start_session(r, &u, b.bearer, now);
}

void api_h_logout(struct api_req *r)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    struct auth_user u;
    enum auth_result a = auth_request(r, true, &u);
    if (a) {
        auth_refuse(r, a);
        return;
    }
    if (store_session_delete(r->th->store, u.token_hash)) {
        api_fail_store(r, "the session could not be ended");
        return;
    }
    if (u.via == AUTH_VIA_COOKIE) {
        char cookie[96];
        snprintf(cookie, sizeof cookie, "geod_session=" COOKIE_ATTRS "%s; Max-Age=0",
                 cookie_secure(r));
        add_header(r, H2O_TOKEN_SET_COOKIE, cookie);
    }
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 1);
    enc_key(e, "logged_out");
    enc_bool(e, true);
    enc_end(e);
    api_send(r, 200);
}

void api_h_me(struct api_req *r)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    struct auth_user u;
    enum auth_result a = auth_request(r, false, &u);
    if (a) {
        auth_refuse(r, a);
        return;
    }
    /* the web form reloaded: it learns its CSRF token again from here */
    struct store_session ss;
    if (u.via == AUTH_VIA_COOKIE && store_session_get(r->th->store, u.token_hash, &ss)) {
        api_fail_store(r, "accounts cannot be checked");
        return;
    }
    char exp[32];
    iso_time(u.expires_at, exp);
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 4);
    enc_key(e, "user");
    auth_write_user(e, &u);
    enc_key(e, "via");
    enc_cstr(e, u.via == AUTH_VIA_COOKIE ? "cookie" : "bearer");
    enc_key(e, "csrf");
    enc_cstr(e, u.via == AUTH_VIA_COOKIE ? ss.csrf_token : NULL);
    enc_key(e, "expires_at");
    enc_cstr(e, exp);
    enc_end(e);
    api_send(r, 200);
}

void api_h_me_ping(struct api_req *r)
{
    static const char *const allowed[] = {"division_code", NULL};
    if (!params_allow(r, allowed))
        return;
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    const struct query_param *dc = query_get(&r->q, "division_code");
    struct auth_user u;
    enum auth_result a = auth_request(r, !auth_method_safe(r), &u);
    if (a) {
        auth_refuse(r, a);
        return;
    }
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, dc ? 3 : 2);
    enc_key(e, "user");
    auth_write_user(e, &u);
    enc_key(e, "ok");
    enc_bool(e, true);
    if (dc) {
        enc_key(e, "may_edit");
        enc_bool(e, auth_may_edit(&u, dc->value));
    }
    enc_end(e);
    api_send(r, 200);
}

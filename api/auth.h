/* auth.h - who is calling: the one interface the write handlers use (POST/PATCH/DELETE
 * /v1/facilities, the /tag/ form). Reads need no login; anything that changes data calls
 *
 *     struct auth_user u;
 *     enum auth_result a = auth_request(r, !auth_method_safe(r), &u);
 *     if (a) { auth_refuse(r, a); return; }
 *     if (!auth_may_edit(&u, division_code)) { api_fail(r, 403, "forbidden", "...", NULL); ... }
 *
 * Credentials, checked in this order:
 *  - `Authorization: Bearer <token>` (a token from POST /v1/login with "bearer": true): no CSRF
 *    token needed, as browsers never add this header by themselves;
 *  - the cookie `geod_session` (HttpOnly, SameSite=Strict, from POST /v1/login): when
 *    needs_csrf, the session's CSRF token must come back in the `X-CSRF-Token` header or, for an
 *    application/x-www-form-urlencoded body, its `csrf_token` field (compared in constant time).
 * A bearer token is never accepted as a cookie nor the other way round. A session ends
 * session_idle seconds after its last use, session_max seconds after login, at logout, or when
 * its user is disabled (api/auth_config.h). Tokens are stored hashed (data/store_auth.h).
 * Nothing here writes a token, a CSRF token or a password to any log. */
#ifndef GEOD_AUTH_H
#define GEOD_AUTH_H

#include "api/auth_body.h"
#include "api/auth_crypto.h"
#include "api/http.h"

#include <stdbool.h>
#include <stdint.h>

enum auth_role { AUTH_WORKER, AUTH_ADMIN };
enum auth_via { AUTH_VIA_COOKIE, AUTH_VIA_BEARER };

/* The caller, as auth_request found them. */
struct auth_user {
    int64_t id;                   /* app_user.id */
    char name[AUTH_NAME_MAX + 1]; /* the name to record as actor ("user:NAME" in audit rows) */
    enum auth_role role;
    char district[7];             /* the 6-digit county code a worker is limited to; "" none */
    enum auth_via via;
    int64_t expires_at;           /* Unix seconds: the session's absolute end */
    uint8_t token_hash[AUTH_TOKEN_HASH_LEN]; /* the session's key in the store (logout) */
};

/* Why a request is not authenticated; auth_refuse answers each as commented. */
enum auth_result {
    AUTH_OK = 0,
    AUTH_NO_CREDENTIALS, /* 401 not_logged_in: no bearer token and no session cookie */
    AUTH_INVALID,        /* 401 session_invalid: unknown, malformed, expired or logged out */
    AUTH_CSRF,           /* 403 csrf_failed: a cookie session without the right CSRF token */
    AUTH_DISABLED,       /* 403 account_disabled */
    AUTH_UNAVAILABLE,    /* 503 unavailable: the store failed, or the server has no store */
};

/* Who sent r, into *out. needs_csrf: the request changes something (pass
 * !auth_method_safe(r)). A valid session used after session_touch seconds gets its last_seen
 * written. An expired session found here is deleted. */
enum auth_result auth_request(struct api_req *r, bool needs_csrf, struct auth_user *out);

/* Answers r for a failed auth_request: the status and error code above, and
 * `WWW-Authenticate: Bearer realm="geod"` with a 401. */
void auth_refuse(struct api_req *r, enum auth_result why);

/* GET, HEAD and OPTIONS change nothing. */
bool auth_method_safe(const struct api_req *r);

/* Whether u may create, change or delete a facility in the division with this 12-digit code:
 * an admin anything; a worker without a district anything; a worker with a district only
 * codes of 12 digits that start with its 6 (NULL or malformed codes: no). */
bool auth_may_edit(const struct auth_user *u, const char *division_code);

/* "worker" or "admin". */
const char *auth_role_name(enum auth_role role);

/* The user object of answers: {"name","role","district"} (district null when none). */
void auth_write_user(struct enc *e, const struct auth_user *u);

#endif

/* test_api_auth.c - accounts end to end, through the real binary ($GEOD_BIN): `geod user
 * add/list/disable/enable` (the password on stdin; the stored hash checked with libsodium
 * directly), then a real `geod serve` with short expiries and low throttling limits (--auth):
 * login by JSON and by form, the cookie's attributes, CSRF on unsafe requests with the cookie,
 * bearer tokens without it, logout, idle and absolute expiry, disabled users, the same answer
 * for an unknown name and a wrong password, refused bodies naming their field, and throttling
 * per account and per address (each test talks from its own 127.0.0.x, as another client would)
 * slowing, then locking, then lifting. At the end: no password or token in geod's stderr or in
 * the store's files, and no snapshot rebuilt for all these writes. */
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000
#define CLI_MS 60000
#define REQUEST_MS 10000

static char dir[64];     /* the seed store's directory */
static char seed[128];   /* DIR/seed.sqlite, where the users are made */
static struct geodproc geod;
static bool up;
/* every secret the tests used, to look for in logs and files at the end */
static char secrets[64][128];
static int nsecrets;

static void keep_secret(const char *s)
{
    if (nsecrets < 64)
        snprintf(secrets[nsecrets++], sizeof secrets[0], "%s", s);
}

static void nap(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* `geod ARGS` with input on stdin; the exit status (-1 when it could not run). */
static int cli(const char *const *args, const char *input, char **out, char **err)
{
    int st;
    char *o = NULL, *e = NULL;
    bool ran = geodproc_run_input(args, input, CLI_MS, &st, &o, &e, NULL);
    int code = ran && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return code;
}

/* The password hash stored for name in db ("" when none). */
static void stored_hash(const char *db, const char *name, char *out, size_t len)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT password_hash FROM app_user WHERE name = ?1", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
}

static void test_user_cli(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-auth-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    T_CHECK(sodium_init() >= 0);
    /* the default cost first: the hash must be argon2id at OPSLIMIT/MEMLIMIT_INTERACTIVE */
    unsetenv("GEOD_KDF_COST");
    const char *add_alice[] = {"user", "add", "alice", "--role", "worker", "--district",
                               "420102", "--db", seed, NULL};
    char *out = NULL, *err = NULL;
    int rc = cli(add_alice, "correct horse 1\n", &out, &err);
    T_CHECKF(rc == 0, "user add: exit %d: %s", rc, err);
    free(out);
    free(err);
    keep_secret("correct horse 1");
    char h[256];
    stored_hash(seed, "alice", h, sizeof h);
    T_CHECKF(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0, "hash %s", h);
    T_CHECK(!strstr(h, "correct horse"));
    T_CHECK(crypto_pwhash_str_verify(h, "correct horse 1", 15) == 0);
    T_CHECK(crypto_pwhash_str_verify(h, "correct horse 2", 15) != 0);
    T_CHECK(crypto_pwhash_str_verify(h, "correct horse 1\n", 16) != 0); /* the line end is not */

    setenv("GEOD_KDF_COST", "min", 1); /* the rest quickly (tests only; see api/auth_crypto.h) */
    static const char *const users[][3] = {
        {"bob", "admin", NULL},       {"carol", "worker", "420103"}, {"dave", "worker", NULL},
        {"erin", "worker", "420106"}, {"frank", "worker", NULL},     {"张三", "worker", NULL},
    };
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
        const char *args[12] = {"user", "add", users[i][0], "--role", users[i][1], "--db", seed};
        if (users[i][2]) {
            args[7] = "--district";
            args[8] = users[i][2];
        }
        char pw[64];
        snprintf(pw, sizeof pw, "pw-of-%s-123\n", users[i][0]);
        rc = cli(args, pw, NULL, &err);
        T_CHECKF(rc == 0, "add %s: %d %s", users[i][0], rc, err);
        free(err);
        pw[strlen(pw) - 1] = '\0';
        keep_secret(pw);
        stored_hash(seed, users[i][0], h, sizeof h);
        T_CHECKF(crypto_pwhash_str_verify(h, pw, strlen(pw)) == 0, "%s: hash %s", users[i][0], h);
    }
    /* refusals */
    rc = cli(add_alice, "another password\n", NULL, &err);
    T_CHECKF(rc == 1 && strstr(err, "exists"), "duplicate: %d %s", rc, err);
    free(err);
    const char *add_short[] = {"user", "add", "gina", "--role", "worker", "--db", seed, NULL};
    rc = cli(add_short, "short\n", NULL, NULL);
    stored_hash(seed, "gina", h, sizeof h);
    T_CHECKF(rc == 1 && h[0] == '\0', "a 5-byte password: exit %d, hash '%s'", rc, h);
    rc = cli(add_short, "", NULL, NULL);
    T_CHECKF(rc == 1, "no password: exit %d", rc);
    const char *bad_district[] = {"user", "add", "gina", "--role", "worker", "--district",
                                  "999999", "--db", seed, NULL};
    T_CHECK(cli(bad_district, "long enough\n", NULL, NULL) == 2);
    const char *admin_district[] = {"user", "add", "gina", "--role", "admin", "--district",
                                    "420102", "--db", seed, NULL};
    T_CHECK(cli(admin_district, "long enough\n", NULL, NULL) == 2);
    const char *bad_role[] = {"user", "add", "gina", "--role", "boss", "--db", seed, NULL};
    T_CHECK(cli(bad_role, "long enough\n", NULL, NULL) == 2);
    const char *bad_name[] = {"user", "add", "gi na", "--role", "worker", "--db", seed, NULL};
    T_CHECK(cli(bad_name, "long enough\n", NULL, NULL) == 2);
    const char *no_such[] = {"user", "disable", "nobody", "--db", seed, NULL};
    T_CHECK(cli(no_such, NULL, NULL, NULL) == 1);
    const char *list[] = {"user", "list", "--db", seed, NULL};
    rc = cli(list, NULL, &out, NULL);
    T_CHECKF(rc == 0 && strstr(out, "name\trole\tdistrict\tstatus") &&
                 strstr(out, "\nalice\tworker\t420102\tactive\t") &&
                 strstr(out, "\nbob\tadmin\t-\tactive\t") && !strstr(out, "gina") &&
                 !strstr(out, "argon2"),
             "list: %d\n%s", rc, out);
    free(out);
}

/* ---- the server ---- */

static void test_start(void)
{
    static const char *const extra[] = {
        "--auth", "session_idle=3",       "--auth", "session_max=7",
        "--auth", "session_touch=0",      "--auth", "account_slow_after=2",
        "--auth", "account_lock_after=4", "--auth", "address_slow_after=5",
        "--auth", "address_lock_after=6", "--auth", "login_slow_max=2",
        "--auth", "login_lockout=3",      "--auth", "login_window=60",
        NULL};
    char err[1024];
    up = geodproc_start_args(&geod, seed, extra, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
}

/* A client talking from 127.0.0.last. */
static struct http_client *client(int last)
{
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    char a[32];
    snprintf(a, sizeof a, "127.0.0.%d", last);
    T_CHECK(c && http_client_source(c, a));
    return c;
}

struct answer {
    int status;
    json_t *js;
    char body[2048];
    char set_cookie[256];
    char retry_after[32];
    char www_auth[64];
};

static void answer_free(struct answer *a)
{
    json_decref(a->js);
    a->js = NULL;
}

static bool request(struct http_client *c, const char *method, const char *target,
                    const char *headers, const char *body, struct answer *a)
{
    memset(a, 0, sizeof *a);
    struct http_resp r;
    enum http_err e = http_request(c, method, target, headers, body, body ? strlen(body) : 0, &r);
    T_CHECKF(!e, "%s %s: %s (%s)", method, target, http_strerror(e), http_client_error(c));
    if (e) {
        http_resp_free(&r);
        return false;
    }
    a->status = r.status;
    snprintf(a->body, sizeof a->body, "%s", r.body);
    const char *v;
    if ((v = http_header(&r, "Set-Cookie")))
        snprintf(a->set_cookie, sizeof a->set_cookie, "%s", v);
    if ((v = http_header(&r, "Retry-After")))
        snprintf(a->retry_after, sizeof a->retry_after, "%s", v);
    if ((v = http_header(&r, "WWW-Authenticate")))
        snprintf(a->www_auth, sizeof a->www_auth, "%s", v);
    a->js = json_loadb(r.body, r.body_len, 0, NULL);
    T_CHECKF(a->js != NULL, "%s %s: not JSON: %.200s", method, target, r.body);
    http_resp_free(&r);
    return a->js != NULL;
}

static const char *str_at(const json_t *js, const char *k1, const char *k2)
{
    const json_t *v = json_object_get(js, k1);
    if (k2)
        v = json_object_get(v, k2);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool is_error(const struct answer *a, int status, const char *code, const char *param)
{
    const char *c = str_at(a->js, "error", "code");
    const char *p = str_at(a->js, "error", "param");
    return a->status == status && c && strcmp(c, code) == 0 &&
           (param ? p && strcmp(p, param) == 0 : !p);
}

#define JSON_HDR "Content-Type: application/json\r\n"
#define FORM_HDR "Content-Type: application/x-www-form-urlencoded\r\n"

static int login_json(struct http_client *c, const char *name, const char *pw, bool bearer,
                      struct answer *a)
{
    char body[512];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"%s}", name, pw,
             bearer ? ",\"bearer\":true" : "");
    request(c, "POST", "/v1/login", JSON_HDR, body, a);
    return a->status;
}

/* A cookie session: its token (from Set-Cookie) and CSRF token. */
struct sess {
    char token[64], csrf[64];
};

static bool cookie_login(struct http_client *c, const char *name, const char *pw, struct sess *s)
{
    struct answer a;
    int st = login_json(c, name, pw, false, &a);
    const char *csrf = str_at(a.js, "csrf", NULL);
    const char *ck = strstr(a.set_cookie, "geod_session=");
    bool ok = st == 200 && csrf && ck;
    T_CHECKF(ok, "login %s: %d %s", name, st, a.body);
    if (ok) {
        snprintf(s->csrf, sizeof s->csrf, "%s", csrf);
        size_t n = strcspn(ck + 13, ";");
        snprintf(s->token, sizeof s->token, "%.*s", (int)n, ck + 13);
        keep_secret(s->token);
        keep_secret(s->csrf);
    }
    answer_free(&a);
    return ok;
}

/* The status of a request with the session's cookie and, when csrf is not NULL, that header. */
static int with_cookie(struct http_client *c, const char *method, const char *target,
                       const struct sess *s, const char *csrf, struct answer *a)
{
    char h[512];
    int n = snprintf(h, sizeof h, "Cookie: theme=dark; geod_session=%s\r\n", s->token);
    if (csrf)
        snprintf(h + n, sizeof h - (size_t)n, "X-CSRF-Token: %s\r\n", csrf);
    request(c, method, target, h, strcmp(method, "POST") == 0 ? "" : NULL, a);
    return a->status;
}

static int with_bearer(struct http_client *c, const char *method, const char *target,
                       const char *token, struct answer *a)
{
    char h[256];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", token);
    request(c, method, target, h, strcmp(method, "POST") == 0 ? "" : NULL, a);
    return a->status;
}

static int status_of(struct http_client *c, const char *method, const char *target,
                     const struct sess *s, const char *csrf)
{
    struct answer a;
    int st = with_cookie(c, method, target, s, csrf, &a);
    answer_free(&a);
    return st;
}

static void test_cookie_and_csrf(void)
{
    if (!up)
        return;
    struct http_client *c = client(8);
    struct answer a;
    T_CHECK(login_json(c, "alice", "correct horse 1", false, &a) == 200);
    T_CHECKF(strstr(a.set_cookie, "; HttpOnly") && strstr(a.set_cookie, "; SameSite=Strict") &&
                 strstr(a.set_cookie, "; Path=/") && !strstr(a.set_cookie, "Secure"),
             "Set-Cookie: %s", a.set_cookie);
    T_CHECKF(!json_object_get(a.js, "token") &&
                 !strcmp(str_at(a.js, "user", "name"), "alice") &&
                 !strcmp(str_at(a.js, "user", "role"), "worker") &&
                 !strcmp(str_at(a.js, "user", "district"), "420102"),
             "%s", a.body);
    answer_free(&a);
    struct sess s, other;
    T_CHECK(cookie_login(c, "alice", "correct horse 1", &s));
    T_CHECK(cookie_login(c, "bob", "pw-of-bob-123", &other));
    T_CHECK(strlen(s.token) == 43 && strlen(s.csrf) == 43 && strcmp(s.token, s.csrf));
    T_CHECK(with_cookie(c, "GET", "/v1/me", &s, NULL, &a) == 200 &&
            !strcmp(str_at(a.js, "via", NULL), "cookie") &&
            !strcmp(str_at(a.js, "csrf", NULL), s.csrf));
    answer_free(&a);
    /* unsafe with the cookie: the CSRF token is required, and must be this session's */
    T_CHECK(with_cookie(c, "POST", "/v1/me/ping", &s, NULL, &a) == 403 &&
            is_error(&a, 403, "csrf_failed", NULL));
    answer_free(&a);
    T_CHECK(status_of(c, "POST", "/v1/me/ping", &s, "") == 403);
    T_CHECK(status_of(c, "POST", "/v1/me/ping", &s, other.csrf) == 403);
    char flipped[64];
    snprintf(flipped, sizeof flipped, "%s", s.csrf);
    flipped[42] = flipped[42] == 'A' ? 'B' : 'A';
    T_CHECK(status_of(c, "POST", "/v1/me/ping", &s, flipped) == 403);
    T_CHECK(with_cookie(c, "POST", "/v1/me/ping?division_code=420102003002", &s, s.csrf, &a) ==
                200 &&
            json_is_true(json_object_get(a.js, "may_edit")));
    answer_free(&a);
    T_CHECK(with_cookie(c, "POST", "/v1/me/ping?division_code=420103001001", &s, s.csrf, &a) ==
                200 &&
            json_is_false(json_object_get(a.js, "may_edit")));
    answer_free(&a);
    /* the web form's way: csrf_token in a form body */
    char h[256], body[128];
    snprintf(h, sizeof h, "Cookie: geod_session=%s\r\n" FORM_HDR, s.token);
    snprintf(body, sizeof body, "csrf_token=%s", s.csrf);
    request(c, "POST", "/v1/me/ping", h, body, &a);
    T_CHECKF(a.status == 200, "form csrf: %d %s", a.status, a.body);
    answer_free(&a);
    snprintf(body, sizeof body, "csrf_token=%s", other.csrf);
    request(c, "POST", "/v1/me/ping", h, body, &a);
    T_CHECK(a.status == 403);
    answer_free(&a);
    /* a cookie token is not a bearer token; junk is refused; no credentials at all is 401 */
    T_CHECK(with_bearer(c, "GET", "/v1/me", s.token, &a) == 401 &&
            is_error(&a, 401, "session_invalid", NULL) && strstr(a.www_auth, "Bearer"));
    answer_free(&a);
    request(c, "GET", "/v1/me", "Cookie: geod_session=nonsense\r\n", NULL, &a);
    T_CHECK(is_error(&a, 401, "session_invalid", NULL));
    answer_free(&a);
    request(c, "POST", "/v1/me/ping", NULL, "", &a);
    T_CHECK(is_error(&a, 401, "not_logged_in", NULL));
    answer_free(&a);
    /* reads need nothing, and a bad cookie does not stop them */
    request(c, "GET", "/v1/nearby?lon=114.3055&lat=30.5928&k=2",
            "Cookie: geod_session=nonsense\r\n", NULL, &a);
    T_CHECK(a.status == 200);
    answer_free(&a);
    /* logout: CSRF required; then the session is gone and the cookie cleared */
    T_CHECK(status_of(c, "POST", "/v1/logout", &s, NULL) == 403);
    T_CHECK(with_cookie(c, "POST", "/v1/logout", &s, s.csrf, &a) == 200 &&
            strstr(a.set_cookie, "geod_session=;") && strstr(a.set_cookie, "Max-Age=0"));
    answer_free(&a);
    T_CHECK(status_of(c, "GET", "/v1/me", &s, NULL) == 401);
    T_CHECK(status_of(c, "POST", "/v1/me/ping", &s, s.csrf) == 401);
    T_CHECK(status_of(c, "GET", "/v1/me", &other, NULL) == 200); /* the other lives on */
    http_client_free(c);
}

/* Whether the store holds a session under BLAKE2b(token), and nowhere the token itself. */
static void check_stored_hashed(const char *token, bool present)
{
    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)token, strlen(token), NULL, 0);
    sqlite3 *h;
    sqlite3_stmt *st;
    int64_t by_hash = -1, by_text = -1;
    if (sqlite3_open_v2(geod.db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h,
                           "SELECT (SELECT count(*) FROM session WHERE token_hash = ?1),"
                           " (SELECT count(*) FROM session WHERE instr(CAST(token_hash AS TEXT),"
                           " ?2) OR instr(coalesce(csrf_token, ''), ?2))",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            by_hash = sqlite3_column_int64(st, 0);
            by_text = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    T_CHECKF(by_hash == (present ? 1 : 0) && by_text == 0, "token: %lld by hash, %lld by text",
             (long long)by_hash, (long long)by_text);
}

static void test_bearer(void)
{
    if (!up)
        return;
    struct http_client *c = client(9);
    struct answer a;
    char body[128];
    snprintf(body, sizeof body, "name=bob&password=pw-of-bob-123&bearer=1");
    request(c, "POST", "/v1/login", FORM_HDR, body, &a);
    const char *t = str_at(a.js, "token", NULL);
    T_CHECKF(a.status == 200 && t && strlen(t) == 43 && !a.set_cookie[0] &&
                 !json_object_get(a.js, "csrf"),
             "bearer login: %d %s (Set-Cookie %s)", a.status, a.body, a.set_cookie);
    char token[64] = "";
    snprintf(token, sizeof token, "%s", t ? t : "");
    keep_secret(token);
    answer_free(&a);
    check_stored_hashed(token, true);
    T_CHECK(with_bearer(c, "POST", "/v1/me/ping?division_code=420115001001", token, &a) == 200 &&
            json_is_true(json_object_get(a.js, "may_edit")) &&
            !strcmp(str_at(a.js, "user", "role"), "admin"));
    answer_free(&a);
    T_CHECK(with_bearer(c, "GET", "/v1/me", token, &a) == 200 &&
            !strcmp(str_at(a.js, "via", NULL), "bearer") &&
            json_is_null(json_object_get(a.js, "csrf")));
    answer_free(&a);
    struct sess as_cookie;
    snprintf(as_cookie.token, sizeof as_cookie.token, "%s", token);
    T_CHECK(status_of(c, "GET", "/v1/me", &as_cookie, NULL) == 401); /* not a cookie session */
    request(c, "GET", "/v1/me", "Authorization: Basic Ym9iOnB3\r\n", NULL, &a);
    T_CHECK(is_error(&a, 401, "session_invalid", NULL));
    answer_free(&a);
    T_CHECK(with_bearer(c, "POST", "/v1/logout", token, &a) == 200 && !a.set_cookie[0]);
    answer_free(&a);
    T_CHECK(with_bearer(c, "GET", "/v1/me", token, &a) == 401);
    answer_free(&a);
    check_stored_hashed(token, false);
    http_client_free(c);
}

static void test_same_error(void)
{
    if (!up)
        return;
    struct http_client *c = client(6);
    struct answer wrong, unknown;
    login_json(c, "dave", "not his password", false, &wrong);
    login_json(c, "nobody-at-all", "not his password", false, &unknown);
    T_CHECKF(is_error(&wrong, 401, "invalid_credentials", NULL) &&
                 strcmp(wrong.body, unknown.body) == 0 && unknown.status == 401,
             "wrong password: %d %s; unknown name: %d %s", wrong.status, wrong.body,
             unknown.status, unknown.body);
    answer_free(&wrong);
    answer_free(&unknown);
    http_client_free(c);
}

struct bad_body {
    const char *headers, *body;
    int status;
    const char *code, *param;
};

static void test_bad_bodies(void)
{
    if (!up)
        return;
    static char huge[6000];
    memset(huge, 'x', sizeof huge - 1);
    static char long_name[200];
    snprintf(long_name, sizeof long_name, "{\"name\":\"%070d\",\"password\":\"p\"}", 0);
    static const struct bad_body cases[] = {
        {JSON_HDR, "{\"name\":\"alice\"", 400, "invalid_json", NULL},
        {JSON_HDR, "[\"alice\",\"pw\"]", 400, "invalid_body", NULL},
        {JSON_HDR, "{\"name\":[],\"password\":\"p\"}", 400, "invalid_field", "name"},
        {JSON_HDR, "{\"name\":\"alice\",\"password\":12345678}", 400, "invalid_field",
         "password"},
        {JSON_HDR, "{\"name\":\"alice\",\"password\":\"p\",\"bearer\":1}", 400, "invalid_field",
         "bearer"},
        {JSON_HDR, "{\"name\":\"alice\",\"password\":\"p\",\"role\":\"admin\"}", 400,
         "unknown_field", "role"},
        {JSON_HDR, "{\"name\":\"alice\"}", 400, "missing_field", "password"},
        {JSON_HDR, long_name, 400, "field_too_long", "name"},
        {JSON_HDR, "{\"name\":\"al\xc3\",\"password\":\"p\"}", 400, "invalid_json", NULL},
        {JSON_HDR, "", 400, "invalid_body", NULL},
        {JSON_HDR, huge, 413, "body_too_long", NULL},
        {FORM_HDR, "name=alice&password=%C3", 400, "invalid_utf8", "password"},
        {FORM_HDR, "name=alice%00&password=p", 400, "nul_byte", "name"},
        {FORM_HDR, "name=alice&password=p&bearer=maybe", 400, "invalid_field", "bearer"},
        {"Content-Type: text/plain\r\n", "name=alice&password=p", 415, "unsupported_media_type",
         NULL},
        {NULL, "{\"name\":\"alice\",\"password\":\"p\"}", 415, "unsupported_media_type", NULL},
    };
    memset(huge, 'x', sizeof huge - 1);
    struct http_client *c = client(7);
    size_t wrong = 0, n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        struct answer a;
        request(c, "POST", "/v1/login", cases[i].headers, cases[i].body, &a);
        bool ok = is_error(&a, cases[i].status, cases[i].code, cases[i].param);
        T_CHECKF(ok, "case %zu: %d %.300s, want %d %s %s", i, a.status, a.body, cases[i].status,
                 cases[i].code, cases[i].param ? cases[i].param : "(null)");
        wrong += !ok;
        answer_free(&a);
    }
    struct answer a;
    request(c, "GET", "/v1/login", NULL, NULL, &a);
    T_CHECK(is_error(&a, 405, "method_not_allowed", NULL));
    answer_free(&a);
    request(c, "POST", "/v1/login?x=1", JSON_HDR, "{}", &a);
    T_CHECK(is_error(&a, 400, "unknown_parameter", "x"));
    answer_free(&a);
    /* none of them counted as a failed login: still no slowing down from this address */
    T_CHECK(login_json(c, "alice", "correct horse 1", false, &a) == 200);
    answer_free(&a);
    printf("  %zu bad bodies, %zu answered wrongly\n", n, wrong);
    http_client_free(c);
}

/* The Retry-After of an answer, or -1. */
static int retry_after(const struct answer *a)
{
    return a->retry_after[0] ? atoi(a->retry_after) : -1;
}

static void test_throttle_account(void)
{
    if (!up)
        return;
    struct http_client *c2 = client(2), *c3 = client(3);
    struct answer a;
    T_CHECK(login_json(c2, "carol", "guess 1", false, &a) == 401);
    answer_free(&a);
    T_CHECK(login_json(c2, "carol", "guess 2", false, &a) == 401);
    answer_free(&a);
    /* slowed: the next attempt, even with the right password, must wait */
    T_CHECKF(login_json(c2, "carol", "pw-of-carol-123", false, &a) == 429 &&
                 is_error(&a, 429, "too_many_attempts", NULL) && retry_after(&a) >= 1 &&
                 retry_after(&a) <= 2,
             "third attempt at once: %d, Retry-After %s", a.status, a.retry_after);
    answer_free(&a);
    nap(2.1);
    T_CHECK(login_json(c2, "carol", "guess 3", false, &a) == 401);
    answer_free(&a);
    nap(2.1);
    T_CHECK(login_json(c2, "carol", "guess 4", false, &a) == 401); /* the fourth: locked */
    answer_free(&a);
    /* locked for the account, from any address, the right password included */
    T_CHECKF(login_json(c3, "carol", "pw-of-carol-123", false, &a) == 429 &&
                 retry_after(&a) >= 1 && retry_after(&a) <= 3,
             "locked: %d, Retry-After %s", a.status, a.retry_after);
    answer_free(&a);
    T_CHECK(login_json(c3, "dave", "pw-of-dave-123", false, &a) == 200); /* others unaffected */
    answer_free(&a);
    nap(3.2);
    T_CHECKF(login_json(c3, "carol", "pw-of-carol-123", false, &a) == 200, "after the lock: %d %s",
             a.status, a.body);
    answer_free(&a);
    http_client_free(c2);
    http_client_free(c3);
}

static void test_throttle_address(void)
{
    if (!up)
        return;
    struct http_client *c4 = client(4), *c5 = client(5);
    struct answer a;
    char name[32];
    for (int i = 1; i <= 5; i++) { /* five names, one failure each */
        snprintf(name, sizeof name, "ghost%d", i);
        T_CHECK(login_json(c4, name, "whatever", false, &a) == 401);
        answer_free(&a);
    }
    T_CHECKF(login_json(c4, "dave", "pw-of-dave-123", false, &a) == 429 && retry_after(&a) >= 1,
             "sixth attempt from the address: %d %s", a.status, a.retry_after);
    answer_free(&a);
    nap(2.1);
    T_CHECK(login_json(c4, "ghost6", "whatever", false, &a) == 401); /* the sixth: locked */
    answer_free(&a);
    T_CHECKF(login_json(c4, "dave", "pw-of-dave-123", false, &a) == 429 && retry_after(&a) >= 1 &&
                 retry_after(&a) <= 3,
             "address locked: %d %s", a.status, a.retry_after);
    answer_free(&a);
    T_CHECK(login_json(c5, "dave", "pw-of-dave-123", false, &a) == 200); /* another address */
    answer_free(&a);
    nap(3.2);
    T_CHECK(login_json(c4, "dave", "pw-of-dave-123", false, &a) == 200);
    answer_free(&a);
    http_client_free(c4);
    http_client_free(c5);
}

static void test_expiry(void)
{
    if (!up)
        return;
    struct http_client *c = client(11);
    struct sess idle, busy;
    T_CHECK(cookie_login(c, "frank", "pw-of-frank-123", &idle));
    T_CHECK(cookie_login(c, "frank", "pw-of-frank-123", &busy));
    /* idle expiry (session_idle=3, whole seconds: a gap of g s may count as ceil(g)): used
     * after 1.5 s, fine; then 4 s of silence */
    nap(1.5);
    T_CHECK(status_of(c, "GET", "/v1/me", &idle, NULL) == 200);
    T_CHECK(status_of(c, "GET", "/v1/me", &busy, NULL) == 200);
    /* busy is used every 1 s (plus the request's own time): counted as at most 2 s idle while a
     * request takes under 1 s, which leaves a loaded machine room */
    for (int i = 0; i < 4; i++) {
        nap(1.0);
        T_CHECKF(status_of(c, "GET", "/v1/me", &busy, NULL) == 200, "busy at step %d", i);
    }
    T_CHECK(status_of(c, "GET", "/v1/me", &idle, NULL) == 401); /* 4 s idle */
    /* absolute expiry (session_max=7): busy was made 5.5 s ago; keep it busy past 8 */
    nap(1.0);
    status_of(c, "GET", "/v1/me", &busy, NULL); /* 6.5 s */
    nap(1.0);
    status_of(c, "GET", "/v1/me", &busy, NULL); /* 7.5 s: may or may not be within the second */
    nap(1.0);
    T_CHECK(status_of(c, "GET", "/v1/me", &busy, NULL) == 401); /* 8.5 s: past session_max */
    http_client_free(c);
}

static void test_disable(void)
{
    if (!up)
        return;
    struct http_client *c = client(10);
    struct sess s;
    struct answer a;
    T_CHECK(cookie_login(c, "erin", "pw-of-erin-123", &s));
    T_CHECK(login_json(c, "erin", "pw-of-erin-123", true, &a) == 200);
    char token[64];
    snprintf(token, sizeof token, "%s", str_at(a.js, "token", NULL) ? str_at(a.js, "token", NULL) : "");
    keep_secret(token);
    answer_free(&a);
    T_CHECK(status_of(c, "GET", "/v1/me", &s, NULL) == 200);
    const char *disable[] = {"user", "disable", "erin", "--db", geod.db, NULL};
    T_CHECK(cli(disable, NULL, NULL, NULL) == 0);
    T_CHECK(status_of(c, "GET", "/v1/me", &s, NULL) == 401);
    T_CHECK(with_bearer(c, "GET", "/v1/me", token, &a) == 401);
    answer_free(&a);
    T_CHECK(login_json(c, "erin", "pw-of-erin-123", false, &a) == 403 &&
            is_error(&a, 403, "account_disabled", NULL));
    answer_free(&a);
    const char *list[] = {"user", "list", "--db", geod.db, NULL};
    char *out = NULL;
    T_CHECK(cli(list, NULL, &out, NULL) == 0 && strstr(out, "\nerin\tworker\t420106\tdisabled\t"));
    free(out);
    const char *enable[] = {"user", "enable", "erin", "--db", geod.db, NULL};
    T_CHECK(cli(enable, NULL, NULL, NULL) == 0);
    T_CHECKF(login_json(c, "erin", "pw-of-erin-123", false, &a) == 200, "enabled again: %d %s",
             a.status, a.body);
    answer_free(&a);
    /* a Chinese name logs in too */
    T_CHECK(login_json(c, "张三", "pw-of-张三-123", false, &a) == 200);
    answer_free(&a);
    http_client_free(c);
}

/* Whether the bytes of file path contain s. */
static bool file_has(const char *path, const char *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = strlen(s), cap = 1 << 20, len;
    char *buf = malloc(cap + n);
    bool found = false;
    size_t keep = 0;
    while (buf && !found && (len = fread(buf + keep, 1, cap, f)) > 0) {
        len += keep;
        found = memmem(buf, len, s, n) != NULL;
        keep = len < n ? len : n - 1;
        memmove(buf, buf + len - keep, keep);
    }
    free(buf);
    fclose(f);
    return found;
}

static void test_stop_and_secrets(void)
{
    if (!up)
        return;
    int st;
    T_CHECK(geodproc_stop(&geod, 20000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *log = geodproc_stderr(&geod);
    char why[512];
    T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "%s", why);
    T_CHECKF(!strstr(log, "the store changed"), "logins made the server rebuild its snapshot");
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", geod.db);
    int leaks = 0;
    for (int i = 0; i < nsecrets; i++) {
        bool bad = strstr(log, secrets[i]) || file_has(geod.db, secrets[i]) ||
                   file_has(wal, secrets[i]) || file_has(seed, secrets[i]);
        T_CHECKF(!bad, "secret %d (%.6s...) found in stderr or the store", i, secrets[i]);
        leaks += bad;
    }
    printf("  %d secrets (passwords, tokens, CSRF tokens) looked for: %d found\n", nsecrets, leaks);
    free(log);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    T_RUN(test_user_cli);
    T_RUN(test_start);
    T_RUN(test_cookie_and_csrf);
    T_RUN(test_bearer);
    T_RUN(test_same_error);
    T_RUN(test_bad_bodies);
    T_RUN(test_throttle_account);
    T_RUN(test_throttle_address);
    T_RUN(test_expiry);
    T_RUN(test_disable);
    T_RUN(test_stop_and_secrets);
    geodproc_cleanup(&geod);
    unlink(seed);
    rmdir(dir);
    return T_END();
}

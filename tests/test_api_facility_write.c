/* test_api_facility_write.c - the facility write API end to end, through the real binary
 * ($GEOD_BIN) on a store with the built-in data and three accounts (an admin, a worker limited
 * to 江岸区 420102, a worker limited to 武昌区 420106): login required (401), CSRF for cookie
 * sessions (403), bearer tokens, district limits (403 outside, 201 inside), every kind of bad
 * body refused naming its field, POST→GET round trips (GCJ-02 in and out), visibility of each
 * write to the very next query on fresh connections (so that both server threads answer),
 * versions (428 without If-Match, 412 with the current record when stale), the duplicate guard
 * (409 with the candidate, then 201 when confirmed), the history against the sequence of changes
 * made, revert (admins only), and no reloader rebuild for the server's own writes. A burst of
 * writes cut by SIGKILL: tests/test_api_facility_crash.c. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <jansson.h>
#include <sqlite3.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000
#define REQUEST_MS 20000
#define JSON_HDR "Content-Type: application/json\r\n"
#define JA_LON 114.3055 /* in 江岸区 (community 420102003004) */
#define JA_LAT 30.5928

static char dir[64], seed[128];
static struct geodproc geod;
static bool up;
static char tok_admin[128], tok_wk[128], tok_wc[128]; /* bearer tokens: adm, wk (420102), wc */
static char ck_wk[128], csrf_wk[128];                 /* a cookie session of wk */

struct answer {
    int status;
    json_t *js;
    char *body;
    char etag[64], location[96];
};

static void answer_free(struct answer *a)
{
    json_decref(a->js);
    free(a->body);
    memset(a, 0, sizeof *a);
}

/* method target with extra header lines and a body (NULL: none) on c; JSON answer into *a. */
static int req(struct http_client *c, const char *method, const char *target, const char *headers,
               const char *body, size_t len, struct answer *a)
{
    memset(a, 0, sizeof *a);
    struct http_resp r;
    enum http_err e = http_request(c, method, target, headers, body, body ? len : 0, &r);
    T_CHECKF(!e, "%s %s: %s (%s)", method, target, http_strerror(e), http_client_error(c));
    if (!e) {
        a->status = r.status;
        a->body = strdup(r.body);
        const char *v;
        if ((v = http_header(&r, "ETag")))
            snprintf(a->etag, sizeof a->etag, "%s", v);
        if ((v = http_header(&r, "Location")))
            snprintf(a->location, sizeof a->location, "%s", v);
        a->js = json_loadb(r.body, r.body_len, 0, NULL);
        T_CHECKF(a->js || r.status >= 500, "%s %s: %d not JSON: %.200s", method, target, r.status,
                 r.body);
    }
    http_resp_free(&r);
    return a->status;
}

/* With a bearer token (NULL: no credentials) and optional If-Match. */
static int as(struct http_client *c, const char *tok, const char *method, const char *target,
              const char *if_match, const char *body, struct answer *a)
{
    char h[512];
    int n = snprintf(h, sizeof h, "%s", body ? JSON_HDR : "");
    if (tok)
        n += snprintf(h + n, sizeof h - (size_t)n, "Authorization: Bearer %s\r\n", tok);
    if (if_match)
        snprintf(h + n, sizeof h - (size_t)n, "If-Match: %s\r\n", if_match);
    return req(c, method, target, h, body, body ? strlen(body) : 0, a);
}

static const char *str_at(const json_t *js, const char *k1, const char *k2)
{
    const json_t *v = json_object_get(js, k1);
    if (k2)
        v = json_object_get(v, k2);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t int_at(const json_t *js, const char *k)
{
    const json_t *v = json_object_get(js, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static bool is_error(const struct answer *a, int status, const char *code, const char *param)
{
    const char *c = str_at(a->js, "error", "code");
    const char *p = str_at(a->js, "error", "param");
    return a->status == status && c && strcmp(c, code) == 0 &&
           (param ? p && strcmp(p, param) == 0 : !p);
}

static struct http_client *client(void)
{
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    T_CHECK(c != NULL);
    return c;
}

static void login(const char *name, bool bearer, char *tok, char *csrf)
{
    char why[512];
    T_CHECKF(accounts_login(geod.port, name, bearer, tok, csrf, why, sizeof why), "%s", why);
}

static void test_start(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-write-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    static const char *const users[][3] = {
        {"adm", "admin", NULL}, {"wk", "worker", "420102"}, {"wc", "worker", "420106"}};
    char err[1024];
    for (size_t i = 0; i < 3; i++)
        T_CHECKF(accounts_add(seed, users[i][0], users[i][1], users[i][2], err, sizeof err), "%s",
                 err);
    up = geodproc_start(&geod, seed, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    if (!up)
        return;
    login("adm", true, tok_admin, NULL);
    login("wk", true, tok_wk, NULL);
    login("wc", true, tok_wc, NULL);
    login("wk", false, ck_wk, csrf_wk);
}

/* A facility body at (lon, lat) in wgs84. */
static void body_at(char *out, size_t len, const char *cat, const char *name, double lon,
                    double lat, const char *more)
{
    snprintf(out, len,
             "{\"category\":\"%s\",\"name\":\"%s\",\"lon\":%.7f,\"lat\":%.7f,\"crs\":\"wgs84\"%s}",
             cat, name, lon, lat, more ? more : "");
}

/* POSTs a facility as tok; its id (0 when not 201). */
static uint32_t create(struct http_client *c, const char *tok, const char *cat, const char *name,
                       double lon, double lat, const char *more)
{
    char b[1024];
    body_at(b, sizeof b, cat, name, lon, lat, more);
    struct answer a;
    as(c, tok, "POST", "/v1/facilities", NULL, b, &a);
    T_CHECKF(a.status == 201, "POST %s: %d %.300s", name, a.status, a.body);
    uint32_t id = a.status == 201 ? (uint32_t)int_at(a.js, "id") : 0;
    answer_free(&a);
    return id;
}

static void test_auth(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    char b[512];
    body_at(b, sizeof b, "shelter", "认证测试避难所", JA_LON + 0.003, JA_LAT, NULL);
    struct answer a;
    as(c, NULL, "POST", "/v1/facilities", NULL, b, &a);
    T_CHECKF(is_error(&a, 401, "not_logged_in", NULL), "no login: %s", a.body);
    answer_free(&a);
    as(c, NULL, "PATCH", "/v1/facilities/1", "\"1\"", "{\"name\":\"x\"}", &a);
    T_CHECKF(a.status == 401, "PATCH no login: %s", a.body);
    answer_free(&a);
    as(c, NULL, "DELETE", "/v1/facilities/1", "\"1\"", NULL, &a);
    T_CHECKF(a.status == 401, "DELETE no login: %s", a.body);
    answer_free(&a);
    as(c, "not-a-token", "POST", "/v1/facilities", NULL, b, &a);
    T_CHECKF(is_error(&a, 401, "session_invalid", NULL), "bad token: %s", a.body);
    answer_free(&a);
    /* a cookie session needs its CSRF token */
    char h[512];
    snprintf(h, sizeof h, JSON_HDR "Cookie: geod_session=%s\r\n", ck_wk);
    req(c, "POST", "/v1/facilities", h, b, strlen(b), &a);
    T_CHECKF(is_error(&a, 403, "csrf_failed", NULL), "cookie without csrf: %s", a.body);
    answer_free(&a);
    snprintf(h, sizeof h, JSON_HDR "Cookie: geod_session=%s\r\nX-CSRF-Token: %s\r\n", ck_wk,
             "0123456789abcdef0123456789abcdef");
    req(c, "POST", "/v1/facilities", h, b, strlen(b), &a);
    T_CHECKF(is_error(&a, 403, "csrf_failed", NULL), "cookie with a wrong csrf: %s", a.body);
    answer_free(&a);
    snprintf(h, sizeof h, JSON_HDR "Cookie: geod_session=%s\r\nX-CSRF-Token: %s\r\n", ck_wk,
             csrf_wk);
    req(c, "POST", "/v1/facilities", h, b, strlen(b), &a);
    T_CHECKF(a.status == 201, "cookie with csrf: %d %s", a.status, a.body);
    T_CHECK(str_at(a.js, "name", NULL) && !strcmp(str_at(a.js, "name", NULL), "认证测试避难所"));
    answer_free(&a);
    /* bearer: no CSRF token */
    T_CHECK(create(c, tok_wk, "shelter", "持令牌测试避难所", JA_LON - 0.003, JA_LAT + 0.003, NULL) >
            0);
    http_client_free(c);
}

static void test_district(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    char b[512];
    body_at(b, sizeof b, "elderly_care", "辖区测试养老院", JA_LON, JA_LAT + 0.003, NULL);
    struct answer a;
    as(c, tok_wc, "POST", "/v1/facilities", NULL, b, &a); /* 武昌's worker in 江岸 */
    T_CHECKF(is_error(&a, 403, "forbidden", NULL), "outside the district: %d %s", a.status, a.body);
    answer_free(&a);
    uint32_t id = create(c, tok_wk, "elderly_care", "辖区测试养老院", JA_LON, JA_LAT + 0.003, NULL);
    char t[64];
    snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id);
    as(c, tok_wc, "PATCH", t, "\"1\"", "{\"name\":\"改名\"}", &a);
    T_CHECKF(is_error(&a, 403, "forbidden", NULL), "patch outside: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_wc, "DELETE", t, "\"1\"", NULL, &a);
    T_CHECKF(is_error(&a, 403, "forbidden", NULL), "delete outside: %d %s", a.status, a.body);
    answer_free(&a);
    /* moving it out of 江岸 is refused to 江岸's worker too (武昌区 lies south of the river) */
    as(c, tok_wk, "PATCH", t, "\"1\"", "{\"lon\":114.3162,\"lat\":30.5433,\"crs\":\"wgs84\"}", &a);
    T_CHECKF(is_error(&a, 403, "forbidden", NULL), "move outside: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_admin, "PATCH", t, "\"1\"", "{\"phone\":\"027-8888 8888\"}", &a);
    T_CHECKF(a.status == 200 && int_at(a.js, "version") == 2, "admin: %d %s", a.status, a.body);
    answer_free(&a);
    http_client_free(c);
}

static size_t facility_count(struct http_client *c)
{
    struct answer a;
    as(c, NULL, "GET", "/healthz", NULL, NULL, &a);
    size_t n = (size_t)int_at(a.js, "facilities");
    answer_free(&a);
    return n;
}

static void test_validation(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    size_t before = facility_count(c);
    static const struct {
        const char *body, *code, *param;
        int status;
    } bad[] = {
        {"{\"category\":\"hospital\",", "invalid_json", NULL, 400},
        {"[1,2]", "invalid_body", NULL, 400},
        {"", "invalid_body", NULL, 400},
        {"{\"category\":\"hospital\",\"name\":7,\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\"}",
         "invalid_field", "name", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":\"114.3\",\"lat\":30.6,\"crs\":"
         "\"wgs84\"}",
         "invalid_field", "lon", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"lat\":91,\"crs\":\"wgs84\"}",
         "out_of_range", "lat", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":116.9,\"lat\":30.6,\"crs\":\"wgs84\"}",
         "out_of_range", "lon", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"lat\":30.6}", "missing_field",
         "crs", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"utm\"}",
         "unknown_crs", "crs", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"crs\":\"wgs84\"}",
         "missing_field", "lat", 400},
        {"{\"category\":\"hospital\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\"}",
         "missing_field", "name", 400},
        {"{\"category\":\"nope\",\"name\":\"a\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\"}",
         "unknown_category", "category", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\","
         "\"color\":\"red\"}",
         "unknown_field", "color", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\","
         "\"hours\":\"whenever\"}",
         "invalid_field", "hours", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\","
         "\"phone\":\"call me\"}",
         "invalid_field", "phone", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\\u0000b\",\"lon\":114.3,\"lat\":30.6,"
         "\"crs\":\"wgs84\"}",
         "nul_byte", "name", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\\nb\",\"lon\":114.3,\"lat\":30.6,"
         "\"crs\":\"wgs84\"}",
         "invalid_field", "name", 400},
        {"{\"category\":\"hospital\",\"name\":\"   \",\"lon\":114.3,\"lat\":30.6,"
         "\"crs\":\"wgs84\"}",
         "invalid_field", "name", 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"name\":\"b\",\"lon\":114.3,\"lat\":30.6,"
         "\"crs\":\"wgs84\"}",
         "invalid_json", NULL, 400},
        {"{\"category\":\"hospital\",\"name\":\"a\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\","
         "\"confirm_duplicate\":\"yes\"}",
         "invalid_field", "confirm_duplicate", 400},
        {"{\"category\":\"hospital\",\"name\":\"\xff\xfe\",\"lon\":114.3,\"lat\":30.6,"
         "\"crs\":\"wgs84\"}",
         "invalid_utf8", NULL, 400},
        {"{\"category\":\"hospital\",\"name\":\"\xe6\xb5\",\"lon\":114.3,\"lat\":30.6,"
         "\"crs\":\"wgs84\"}",
         "invalid_utf8", NULL, 400},
    };
    struct answer a;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        as(c, tok_admin, "POST", "/v1/facilities", NULL, bad[i].body, &a);
        T_CHECKF(is_error(&a, bad[i].status, bad[i].code, bad[i].param), "case %zu (%s): %d %s", i,
                 bad[i].code, a.status, a.body);
        answer_free(&a);
    }
    /* a name over 256 bytes, then one of 1 MB (the body cap is 16 KB) */
    char *big = malloc(1100000);
    size_t lens[] = {300, 1048576};
    for (int k = 0; k < 2; k++) {
        int off = sprintf(big, "{\"category\":\"hospital\",\"name\":\"");
        memset(big + off, 'a', lens[k]);
        sprintf(big + off + lens[k], "\",\"lon\":114.3,\"lat\":30.6,\"crs\":\"wgs84\"}");
        as(c, tok_admin, "POST", "/v1/facilities", NULL, big, &a);
        if (k == 0)
            T_CHECKF(is_error(&a, 400, "field_too_long", "name"), "300 bytes: %s", a.body);
        else
            T_CHECKF(is_error(&a, 413, "body_too_long", NULL), "1 MB: %d %.200s", a.status, a.body);
        answer_free(&a);
    }
    free(big);
    /* another content type */
    char h[256];
    snprintf(h, sizeof h, "Content-Type: text/plain\r\nAuthorization: Bearer %s\r\n", tok_admin);
    req(c, "POST", "/v1/facilities", h, "{}", 2, &a);
    T_CHECKF(a.status == 415, "text/plain: %d", a.status);
    answer_free(&a);
    /* PATCH bodies */
    as(c, tok_admin, "PATCH", "/v1/facilities/1", "\"1\"", "{}", &a);
    T_CHECKF(is_error(&a, 400, "invalid_body", NULL), "empty patch: %s", a.body);
    answer_free(&a);
    as(c, tok_admin, "PATCH", "/v1/facilities/1", "\"1\"", "{\"lon\":114.3,\"crs\":\"wgs84\"}", &a);
    T_CHECKF(is_error(&a, 400, "missing_field", "lat"), "lon alone: %s", a.body);
    answer_free(&a);
    as(c, tok_admin, "PATCH", "/v1/facilities/1", "\"1\"", "{\"confirm_duplicate\":true}", &a);
    T_CHECKF(is_error(&a, 400, "unknown_field", "confirm_duplicate"), "patch confirm: %s", a.body);
    answer_free(&a);
    T_CHECKF(facility_count(c) == before, "bad bodies wrote something: %zu -> %zu", before,
             facility_count(c));
    http_client_free(c);
}

/* GET /v1/facilities/id and /v1/nearby at its position on fresh connections, n times: each
 * must show name at version (name NULL: gone everywhere). */
static void visible_everywhere(uint32_t id, const char *name, int64_t version, double lon,
                               double lat, const char *cat)
{
    char t[64], q[256];
    snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id);
    snprintf(q, sizeof q, "/v1/nearby?lon=%.7f&lat=%.7f&k=5&category=%s", lon, lat, cat);
    for (int i = 0; i < 8; i++) {
        struct http_client *c = http_client_new(geod.port, false, REQUEST_MS);
        struct answer a;
        as(c, NULL, "GET", t, NULL, NULL, &a);
        if (name)
            T_CHECKF(a.status == 200 && str_at(a.js, "name", NULL) &&
                         !strcmp(str_at(a.js, "name", NULL), name) &&
                         int_at(a.js, "version") == version,
                     "try %d: GET %s: %d %s", i, t, a.status, a.body);
        else
            T_CHECKF(a.status == 404, "try %d: GET %s deleted: %d", i, t, a.status);
        answer_free(&a);
        as(c, NULL, "GET", q, NULL, NULL, &a);
        bool found = false;
        json_t *res = json_object_get(a.js, "results"), *x;
        size_t k;
        json_array_foreach(res, k, x)
        {
            if (int_at(x, "id") == id)
                found = name && !strcmp(str_at(x, "name", NULL), name) &&
                        int_at(x, "version") == version;
        }
        T_CHECKF(found == (name != NULL), "try %d: nearby %s: %.300s", i, name, a.body);
        answer_free(&a);
        http_client_free(c);
    }
}

static void test_round_trip_and_visibility(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    /* GCJ-02 in: stored in WGS-84, answered in GCJ-02 unless out_crs says otherwise */
    const char *b = "{\"category\":\"relief_station\",\"name\":\"往返测试救助站\",\"lon\":114.3111,"
                    "\"lat\":30.5901,\"crs\":\"gcj02\",\"address\":\"江岸区测试路1号\","
                    "\"phone\":\"027-12345678\",\"hours\":\"Mo-Fr 08:30-17:30\"}";
    struct answer a;
    as(c, tok_wk, "POST", "/v1/facilities", NULL, b, &a);
    T_CHECKF(a.status == 201, "POST: %d %s", a.status, a.body);
    uint32_t id = (uint32_t)int_at(a.js, "id");
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/facilities/%u", (unsigned)id);
    T_CHECKF(!strcmp(a.location, loc), "Location %s", a.location);
    T_CHECKF(!strcmp(a.etag, "\"1\""), "ETag %s", a.etag);
    T_CHECK(fabs(json_number_value(json_object_get(a.js, "lon")) - 114.3111) < 2e-7);
    T_CHECK(fabs(json_number_value(json_object_get(a.js, "lat")) - 30.5901) < 2e-7);
    answer_free(&a);
    char t[96];
    snprintf(t, sizeof t, "%s?out_crs=gcj02", loc);
    as(c, NULL, "GET", t, NULL, NULL, &a);
    T_CHECKF(a.status == 200, "GET: %d", a.status);
    T_CHECK(fabs(json_number_value(json_object_get(a.js, "lon")) - 114.3111) < 2e-7);
    T_CHECK(fabs(json_number_value(json_object_get(a.js, "lat")) - 30.5901) < 2e-7);
    T_CHECK(str_at(a.js, "address", NULL) &&
            !strcmp(str_at(a.js, "address", NULL), "江岸区测试路1号"));
    T_CHECK(str_at(a.js, "hours", NULL) &&
            !strcmp(str_at(a.js, "hours", NULL), "Mo-Fr 08:30-17:30"));
    T_CHECK(str_at(a.js, "phone", NULL) && !strcmp(str_at(a.js, "phone", NULL), "027-12345678"));
    T_CHECK(str_at(a.js, "division_code", NULL) &&
            !strncmp(str_at(a.js, "division_code", NULL), "420102", 6));
    double wlon = NAN, wlat = NAN;
    answer_free(&a);
    as(c, NULL, "GET", loc, NULL, NULL, &a);
    wlon = json_number_value(json_object_get(a.js, "lon"));
    wlat = json_number_value(json_object_get(a.js, "lat"));
    T_CHECKF(fabs(wlon - 114.3111) > 1e-3, "stored as WGS-84, not GCJ-02: %f", wlon);
    answer_free(&a);
    visible_everywhere(id, "往返测试救助站", 1, wlon, wlat, "relief_station");
    /* a change and a deletion are as visible */
    as(c, tok_wk, "PATCH", loc, "\"1\"", "{\"name\":\"往返测试救助站（新）\",\"address\":null}",
       &a);
    T_CHECKF(a.status == 200 && int_at(a.js, "version") == 2 && !strcmp(a.etag, "\"2\"") &&
                 json_is_null(json_object_get(a.js, "address")),
             "PATCH: %d %s", a.status, a.body);
    answer_free(&a);
    visible_everywhere(id, "往返测试救助站（新）", 2, wlon, wlat, "relief_station");
    as(c, tok_wk, "DELETE", loc, "2", NULL, &a);
    T_CHECKF(a.status == 200 && int_at(a.js, "version") == 3, "DELETE: %d %s", a.status, a.body);
    answer_free(&a);
    visible_everywhere(id, NULL, 0, wlon, wlat, "relief_station");
    http_client_free(c);
}

static void test_versions(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    uint32_t id =
        create(c, tok_wk, "elderly_daycare", "版本测试日间照料中心", JA_LON - 0.004, JA_LAT, NULL);
    char t[64];
    snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id);
    struct answer a;
    as(c, tok_wk, "PATCH", t, NULL, "{\"name\":\"甲\"}", &a);
    T_CHECKF(is_error(&a, 428, "precondition_required", "If-Match"), "no If-Match: %s", a.body);
    answer_free(&a);
    as(c, tok_wk, "PATCH", t, "banana", "{\"name\":\"甲\"}", &a);
    T_CHECKF(is_error(&a, 400, "invalid_parameter", "If-Match"), "bad If-Match: %s", a.body);
    answer_free(&a);
    as(c, tok_wk, "PATCH", t, "\"1\"", "{\"name\":\"版本测试二\"}", &a);
    T_CHECKF(a.status == 200 && int_at(a.js, "version") == 2, "v1->v2: %d %s", a.status, a.body);
    answer_free(&a);
    /* a second client still holding version 1 */
    as(c, tok_wk, "PATCH", t, "\"1\"", "{\"name\":\"过时的修改\"}", &a);
    json_t *cur = json_object_get(a.js, "current");
    T_CHECKF(is_error(&a, 412, "version_mismatch", NULL) && int_at(cur, "version") == 2 &&
                 !strcmp(str_at(cur, "name", NULL), "版本测试二") && !strcmp(a.etag, "\"2\""),
             "stale: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_wk, "DELETE", t, "\"1\"", NULL, &a);
    T_CHECKF(is_error(&a, 412, "version_mismatch", NULL), "stale delete: %s", a.body);
    answer_free(&a);
    as(c, tok_wk, "DELETE", t, NULL, NULL, &a);
    T_CHECKF(is_error(&a, 428, "precondition_required", "If-Match"), "delete no If-Match: %s",
             a.body);
    answer_free(&a);
    as(c, NULL, "GET", t, NULL, NULL, &a);
    T_CHECKF(!strcmp(str_at(a.js, "name", NULL), "版本测试二"), "stale writes changed it: %s",
             a.body);
    answer_free(&a);
    as(c, tok_wk, "DELETE", t, "\"2\"", NULL, &a);
    T_CHECKF(a.status == 200 && int_at(a.js, "version") == 3, "delete: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_wk, "PATCH", t, "\"3\"", "{\"name\":\"复活\"}", &a);
    T_CHECKF(is_error(&a, 404, "not_found", "id"), "patch deleted: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_wk, "DELETE", t, "\"3\"", NULL, &a);
    T_CHECKF(is_error(&a, 404, "not_found", "id"), "delete deleted: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_wk, "PATCH", "/v1/facilities/4000000000", "\"1\"", "{\"name\":\"无\"}", &a);
    T_CHECKF(is_error(&a, 404, "not_found", "id"), "patch missing: %d %s", a.status, a.body);
    answer_free(&a);
    http_client_free(c);
}

static void test_duplicates(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    double lon = JA_LON - 0.009, lat = JA_LAT + 0.006;
    uint32_t first = create(c, tok_wk, "elderly_care", "晴川测试颐养院", lon, lat, NULL);
    /* 0.0001° of latitude is ~11 m: within 30 m, same category, similar names */
    static const char *const similar[] = {"晴川测试颐养院", "晴川 测试颐养院（分院）",
                                          "晴川测试颐养园", "测试颐养院"};
    struct answer a;
    for (size_t i = 0; i < sizeof similar / sizeof similar[0]; i++) {
        char b[512];
        body_at(b, sizeof b, "elderly_care", similar[i], lon, lat + 0.0001, NULL);
        as(c, tok_wk, "POST", "/v1/facilities", NULL, b, &a);
        json_t *cand = json_object_get(a.js, "candidates");
        T_CHECKF(is_error(&a, 409, "duplicate", NULL) && json_array_size(cand) >= 1 &&
                     int_at(json_array_get(cand, 0), "id") == first,
                 "%s: %d %.300s", similar[i], a.status, a.body);
        answer_free(&a);
    }
    /* not duplicates: another category, a dissimilar name, or farther than 30 m (~44 m) */
    T_CHECK(create(c, tok_wk, "shelter", "晴川测试颐养院", lon, lat + 0.0001, NULL) > 0);
    T_CHECK(create(c, tok_wk, "elderly_care", "汉口江滩敬老中心", lon, lat + 0.0001, NULL) > 0);
    T_CHECK(create(c, tok_wk, "elderly_care", "晴川测试颐养院", lon, lat + 0.0004, NULL) > 0);
    /* confirmed */
    uint32_t again = create(c, tok_wk, "elderly_care", "晴川测试颐养院", lon, lat + 0.0001,
                            ",\"confirm_duplicate\":true");
    T_CHECK(again > first);
    http_client_free(c);
}

static json_t *history(struct http_client *c, const char *tok, uint32_t id, int *status)
{
    char t[64];
    snprintf(t, sizeof t, "/v1/facilities/%u/history", (unsigned)id);
    struct answer a;
    *status = as(c, tok, "GET", t, NULL, NULL, &a);
    json_t *h = json_incref(a.js);
    answer_free(&a);
    return h;
}

static void test_history_and_revert(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    uint32_t id = create(c, tok_wk, "marriage_registry", "历史测试登记处", JA_LON + 0.003,
                         JA_LAT + 0.004, ",\"hours\":\"Mo-Fr 09:00-17:00\"");
    char t[64], rv[80];
    snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id);
    snprintf(rv, sizeof rv, "%s/revert", t);
    struct answer a;
    const char *changes[] = {
        "{\"name\":\"历史测试登记处（二）\"}",
        "{\"lon\":114.3092,\"lat\":30.5961,\"crs\":\"wgs84\",\"phone\":\"12345\"}",
        "{\"hours\":null,\"category\":\"婚姻登记处\",\"address\":\"某路2号\"}"};
    for (int i = 0; i < 3; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i + 1);
        as(c, tok_wk, "PATCH", t, v, changes[i], &a);
        T_CHECKF(a.status == 200, "change %d: %d %s", i, a.status, a.body);
        answer_free(&a);
    }
    as(c, tok_wk, "DELETE", t, "4", NULL, &a);
    T_CHECKF(a.status == 200, "delete: %d %s", a.status, a.body);
    answer_free(&a);
    /* revert: admins only, If-Match, an earlier version */
    as(c, tok_wk, "POST", rv, "5", "{\"version\":2}", &a);
    T_CHECKF(is_error(&a, 403, "forbidden", NULL), "worker revert: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_admin, "POST", rv, "4", "{\"version\":2}", &a);
    T_CHECKF(is_error(&a, 412, "version_mismatch", NULL), "stale revert: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, tok_admin, "POST", rv, "5", "{\"version\":9}", &a);
    T_CHECKF(is_error(&a, 400, "invalid_field", "version"), "future revert: %d %s", a.status,
             a.body);
    answer_free(&a);
    as(c, tok_admin, "POST", rv, "5", "{\"version\":2}", &a);
    T_CHECKF(a.status == 200 && int_at(a.js, "version") == 6 &&
                 !strcmp(str_at(a.js, "name", NULL), "历史测试登记处（二）") &&
                 !strcmp(str_at(a.js, "hours", NULL), "Mo-Fr 09:00-17:00"),
             "revert: %d %s", a.status, a.body);
    answer_free(&a);
    as(c, NULL, "GET", t, NULL, NULL, &a);
    T_CHECKF(a.status == 200 && int_at(a.js, "version") == 6, "after revert: %d %s", a.status,
             a.body);
    answer_free(&a);
    /* the history: login needed; then every change, each before = the previous after */
    int st;
    json_t *h = history(c, NULL, id, &st);
    T_CHECKF(st == 401, "history without login: %d", st);
    json_decref(h);
    h = history(c, tok_wc, id, &st); /* any logged-in user may read it */
    T_CHECKF(st == 200, "history: %d", st);
    json_t *rows = json_object_get(h, "history");
    static const char *const actions[] = {"create", "update", "update",
                                          "update", "delete", "revert"};
    static const char *const actors[] = {"user:wk", "user:wk", "user:wk",
                                         "user:wk", "user:wk", "user:adm"};
    T_CHECKF(json_array_size(rows) == 6 && int_at(h, "count") == 6, "rows %zu",
             json_array_size(rows));
    json_t *prev_after = NULL;
    for (size_t i = 0; i < json_array_size(rows) && i < 6; i++) {
        json_t *r = json_array_get(rows, i);
        json_t *before = json_object_get(r, "before"), *after = json_object_get(r, "after");
        T_CHECKF(int_at(r, "version") == (int64_t)i + 1, "row %zu version", i);
        T_CHECKF(!strcmp(str_at(r, "action", NULL), actions[i]), "row %zu action %s", i,
                 str_at(r, "action", NULL));
        T_CHECKF(!strcmp(str_at(r, "actor", NULL), actors[i]), "row %zu actor", i);
        T_CHECKF(str_at(r, "at", NULL) != NULL, "row %zu at", i);
        T_CHECKF(i == 0 ? json_is_null(before) : json_equal(before, prev_after),
                 "row %zu: before is not the previous after", i);
        T_CHECKF(int_at(after, "version") == (int64_t)i + 1, "row %zu after.version", i);
        prev_after = after;
    }
    json_t *v2 = json_object_get(json_array_get(rows, 1), "after");
    json_t *v6 = json_object_get(json_array_get(rows, 5), "after");
    static const char *const same[] = {"category", "name", "address", "phone",
                                       "hours",    "lon",  "lat",     "division_code"};
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++)
        T_CHECKF(json_equal(json_object_get(v2, same[k]), json_object_get(v6, same[k])),
                 "reverted %s differs", same[k]);
    T_CHECK(
        int_at(json_array_get(rows, 4) ? json_object_get(json_array_get(rows, 4), "after") : NULL,
               "deleted") == 1);
    T_CHECK(int_at(v6, "deleted") == 0);
    T_CHECK(
        !strcmp(str_at(json_object_get(json_array_get(rows, 2), "after"), "phone", NULL), "12345"));
    json_decref(h);
    h = history(c, tok_wk, 4000000000u, &st);
    T_CHECKF(st == 404, "history of nothing: %d", st);
    json_decref(h);
    http_client_free(c);
}

/* nothing made the reloader rebuild: the writes published themselves */
/* 405 names the methods of the resource asked (as the contract lists them), and only those. */
static void test_methods(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    static const char *const cases[][3] = {
        {"PUT", "/v1/facilities/1", "GET, HEAD, PATCH, DELETE"},
        {"POST", "/v1/facilities/1", "GET, HEAD, PATCH, DELETE"},
        {"OPTIONSX", "/v1/facilities/1", "GET, HEAD, PATCH, DELETE"},
        {"PUT", "/v1/facilities/1/history", "GET, HEAD"},
        {"DELETE", "/v1/facilities/1/history", "GET, HEAD"},
        {"GET", "/v1/facilities/1/revert", "POST"},
        {"PATCH", "/v1/facilities/1/revert", "POST"},
        {"PUT", "/v1/facilities", "POST"},
        {"GET", "/v1/facilities", "POST"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_resp r;
        enum http_err e = http_request(c, cases[i][0], cases[i][1], NULL, NULL, 0, &r);
        const char *allow = e ? NULL : http_header(&r, "Allow");
        T_CHECKF(!e && r.status == 405 && allow && !strcmp(allow, cases[i][2]) &&
                     strstr(r.body, "\"method_not_allowed\""),
                 "%s %s: %d, Allow %s (want %s)", cases[i][0], cases[i][1], e ? -1 : r.status,
                 allow ? allow : "(none)", cases[i][2]);
        http_resp_free(&r);
    }
    struct answer a;
    as(c, NULL, "PUT", "/v1/facilities/1/nothing", NULL, NULL, &a);
    T_CHECKF(is_error(&a, 404, "not_found", NULL), "PUT on no resource: %d %s", a.status, a.body);
    answer_free(&a);
    http_client_free(c);
}

/* The value of the sample `name` (whole line start) in a /metrics body, or -1. */
static double metric(const char *body, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, name, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

/* Rows of the store's facility audit log, read with plain SQLite: one per committed write. */
static long audit_rows(void)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_open_v2(geod.db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM facility_audit", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* /metrics' write histograms count exactly the writes committed (the oracle: the audit log grows
 * by one row per write) and each is a well-formed Prometheus histogram. */
static void test_write_metrics(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    struct answer a;
    static const char *const stage[] = {"commit", "publish"};
    double before[2];
    struct http_resp m = {0};
    T_CHECK(http_get(c, "/metrics", NULL, &m) == HTTP_OK && m.status == 200);
    for (int k = 0; k < 2; k++) {
        char name[96];
        snprintf(name, sizeof name, "geod_store_write_duration_seconds_count{stage=\"%s\"}",
                 stage[k]);
        before[k] = metric(m.body ? m.body : "", name);
        T_CHECKF(before[k] > 0, "%s: %g after the earlier tests' writes", name, before[k]);
    }
    T_CHECK(metric(m.body ? m.body : "", "geod_store_write_failures_total") == 0);
    http_resp_free(&m);
    long audit0 = audit_rows();
    const int writes = 5;
    for (int i = 0; i < writes; i++) {
        char b[256];
        snprintf(b, sizeof b,
                 "{\"category\":\"relief_station\",\"name\":\"计量测试站%d\",\"lon\":%.6f,"
                 "\"lat\":%.6f,\"crs\":\"wgs84\"}",
                 i, JA_LON + 0.001 * i, JA_LAT);
        as(c, tok_wk, "POST", "/v1/facilities", NULL, b, &a);
        T_CHECKF(a.status == 201, "POST %d: %d %s", i, a.status, a.body);
        answer_free(&a);
    }
    long audit1 = audit_rows();
    T_CHECKF(audit0 >= 0 && audit1 - audit0 == writes, "audit rows %ld -> %ld", audit0, audit1);
    T_CHECK(http_get(c, "/metrics", NULL, &m) == HTTP_OK && m.status == 200);
    const char *text = m.body ? m.body : "";
    for (int k = 0; k < 2; k++) {
        char name[128];
        snprintf(name, sizeof name, "geod_store_write_duration_seconds_count{stage=\"%s\"}",
                 stage[k]);
        double count = metric(text, name);
        T_CHECKF(count - before[k] == (double)(audit1 - audit0), "%s: %g -> %g, %ld audit rows",
                 name, before[k], count, audit1 - audit0);
        snprintf(name, sizeof name, "geod_store_write_duration_seconds_bucket{stage=\"%s\",le=\"+Inf\"}",
                 stage[k]);
        T_CHECKF(metric(text, name) == count, "%s: %g, count %g", name, metric(text, name),
                 count);
        snprintf(name, sizeof name, "geod_store_write_duration_seconds_sum{stage=\"%s\"}",
                 stage[k]);
        T_CHECKF(metric(text, name) > 0, "%s: %g", name, metric(text, name));
        /* cumulative buckets never decrease */
        double prev = 0;
        char needle[96];
        snprintf(needle, sizeof needle, "geod_store_write_duration_seconds_bucket{stage=\"%s\",le=",
                 stage[k]);
        int buckets = 0;
        for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
            double v = strtod(strchr(p, '}') + 2, NULL);
            T_CHECKF(v >= prev, "%s buckets decrease: %g after %g", stage[k], v, prev);
            prev = v;
            buckets++;
        }
        T_CHECKF(buckets >= 2, "%s: %d buckets", stage[k], buckets);
    }
    http_resp_free(&m);
    http_client_free(c);
}

static void test_no_rebuild(void)
{
    char *log = geodproc_stderr(&geod);
    T_CHECKF(!strstr(log, "the store changed"), "the reloader rebuilt for the API's own writes");
    T_CHECKF(!geodproc_sanitizer_report(log), "sanitizer: %s", geodproc_sanitizer_report(log));
    free(log);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    T_RUN(test_start);
    T_RUN(test_auth);
    T_RUN(test_district);
    T_RUN(test_validation);
    T_RUN(test_round_trip_and_visibility);
    T_RUN(test_versions);
    T_RUN(test_duplicates);
    T_RUN(test_history_and_revert);
    T_RUN(test_methods);
    T_RUN(test_write_metrics);
    T_RUN(test_no_rebuild);
    geodproc_cleanup(&geod);
    unlink(seed);
    rmdir(dir);
    return T_END();
}

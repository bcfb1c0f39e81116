/* test_api_headers.c - the security headers of every kind of answer a real geod gives (the
 * sanitized build, $GEOD_BIN): every asset web/assets.txt lists, every API route (answers and
 * errors, JSON and msgpack), redirects, 304s, preflights and 404s. The oracle is the policy
 * restated here from api/headers.c's table: nosniff everywhere; /tag/ and its files under a
 * self-only CSP and never framed; /widget/ under a CSP that lets it be framed (by anyone
 * without --cors-origin, by the named portals with it); everything else
 * "default-src 'none'; frame-ancestors 'none'" and X-Frame-Options DENY. Error bodies are
 * checked for internal detail (paths, SQLite, errno texts). */
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define START_MS 60000
#define REQUEST_MS 10000
#define PORTAL "https://portal.example.cn"

enum kind { K_TAG, K_WIDGET_PAGE, K_OTHER };

static struct geodproc geod;
static bool geod_up;
static struct http_client *hc;
static char leaflet_version[32];

static const char *hdr(const struct http_resp *r, const char *name)
{
    const char *v = http_header(r, name);
    return v ? v : "(none)";
}

/* Does the CSP have this directive with exactly this value? */
static bool csp_has(const char *csp, const char *directive, const char *value)
{
    char want[256];
    snprintf(want, sizeof want, "%s %s", directive, value);
    size_t n = strlen(want);
    for (const char *p = csp; p && (p = strstr(p, want)); p += n)
        if ((p == csp || p[-1] == ' ') && (p[n] == ';' || p[n] == '\0'))
            return true;
    return false;
}

/* The headers one answer must carry for its kind; frame_ancestors is the widget page's. */
static void check_headers(const char *what, const struct http_resp *r, enum kind k,
                          const char *frame_ancestors)
{
    const char *csp = http_header(r, "Content-Security-Policy");
    T_CHECKF(http_header_count(r, "X-Content-Type-Options") == 1 &&
                 strcmp(hdr(r, "X-Content-Type-Options"), "nosniff") == 0,
             "%s: X-Content-Type-Options %s", what, hdr(r, "X-Content-Type-Options"));
    T_CHECKF(csp && http_header_count(r, "Content-Security-Policy") == 1, "%s: CSP %s", what,
             hdr(r, "Content-Security-Policy"));
    if (!csp)
        return;
    T_CHECKF(!strstr(csp, "unsafe-"), "%s: CSP allows unsafe code: %s", what, csp);
    switch (k) {
    case K_TAG:
        T_CHECKF(csp_has(csp, "default-src", "'self'") && csp_has(csp, "script-src", "'self'") &&
                     csp_has(csp, "style-src", "'self'") && csp_has(csp, "connect-src", "'self'") &&
                     csp_has(csp, "frame-ancestors", "'none'") &&
                     csp_has(csp, "object-src", "'none'"),
                 "%s: CSP %s", what, csp);
        T_CHECKF(strcmp(hdr(r, "X-Frame-Options"), "DENY") == 0, "%s: X-Frame-Options %s", what,
                 hdr(r, "X-Frame-Options"));
        T_CHECKF(http_header(r, "Referrer-Policy"), "%s: no Referrer-Policy", what);
        break;
    case K_WIDGET_PAGE:
        T_CHECKF(csp_has(csp, "script-src", "'self'") && csp_has(csp, "style-src", "'self'") &&
                     csp_has(csp, "connect-src", "'self'") &&
                     csp_has(csp, "object-src", "'none'") &&
                     csp_has(csp, "frame-ancestors", frame_ancestors),
                 "%s: CSP %s, want frame-ancestors %s", what, csp, frame_ancestors);
        T_CHECKF(!http_header(r, "X-Frame-Options"), "%s: X-Frame-Options %s on the frameable page",
                 what, hdr(r, "X-Frame-Options"));
        T_CHECKF(http_header(r, "Referrer-Policy"), "%s: no Referrer-Policy", what);
        break;
    case K_OTHER:
        T_CHECKF(csp_has(csp, "default-src", "'none'") && csp_has(csp, "frame-ancestors", "'none'"),
                 "%s: CSP %s", what, csp);
        T_CHECKF(strcmp(hdr(r, "X-Frame-Options"), "DENY") == 0, "%s: X-Frame-Options %s", what,
                 hdr(r, "X-Frame-Options"));
        break;
    }
}

/* Internal detail an error body must never show: the store's directory, SQLite's words, errno
 * texts, source file names. */
static void check_no_leak(const char *what, const struct http_resp *r)
{
    static const char *const words[] = {
        "sqlite", "SQLITE", "spatialite", "No such file", "Permission denied",
        "errno",  ".c:",    "database",   "/tmp/",        "constraint"};
    T_CHECKF(!strstr(r->body, geod.dir), "%s: the store's directory in the body: %s", what,
             r->body);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        T_CHECKF(!strstr(r->body, words[i]), "%s: \"%s\" in the body: %s", what, words[i], r->body);
}

static void request(const char *method, const char *target, const char *headers, const char *body,
                    int want_status, enum kind k, const char *fa)
{
    struct http_resp r = {0};
    char what[512];
    snprintf(what, sizeof what, "%s %s", method, target);
    enum http_err e = http_request(hc, method, target, headers, body, body ? strlen(body) : 0, &r);
    T_CHECKF(e == HTTP_OK, "%s: %s (%s)", what, http_strerror(e), http_client_error(hc));
    if (e == HTTP_OK) {
        T_CHECKF(r.status == want_status, "%s: status %d, want %d", what, r.status, want_status);
        check_headers(what, &r, k, fa);
        if (r.status >= 400)
            check_no_leak(what, &r);
    }
    http_resp_free(&r);
}

static bool start(struct geodproc *g, const char *const *extra)
{
    char err[1024];
    bool ok = geodproc_start_args(g, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    return ok;
}

static void test_start(void)
{
    geod_up = start(&geod, NULL) && (hc = http_client_new(geod.port, true, REQUEST_MS));
    struct http_resp r = {0};
    if (geod_up && http_get(hc, "/widget.js", NULL, &r) == HTTP_OK && r.status == 200) {
        const char *at = strstr(r.body, "/widget/leaflet/");
        size_t n = at ? strcspn(at + 16, "/'\"") : 0;
        if (n > 0 && n < sizeof leaflet_version)
            snprintf(leaflet_version, sizeof leaflet_version, "%.*s", (int)n, at + 16);
    }
    T_CHECKF(leaflet_version[0], "no Leaflet version in /widget.js");
    http_resp_free(&r);
}

/* Every asset web/assets.txt lists (the list the build embeds), GET and HEAD, and a 304. */
static void test_assets(void)
{
    FILE *f = fopen("web/assets.txt", "r");
    T_CHECKF(f, "cannot read web/assets.txt");
    if (!f)
        return;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char url[256], path[300];
        if (line[0] == '#' || sscanf(line, "%255s", url) != 1)
            continue;
        char *at = strstr(url, "@LEAFLET@");
        if (at)
            snprintf(path, sizeof path, "%.*s%s%s", (int)(at - url), url, leaflet_version, at + 9);
        else
            snprintf(path, sizeof path, "%s", url);
        enum kind k = strncmp(path, "/tag/", 5) == 0  ? K_TAG
                      : strcmp(path, "/widget/") == 0 ? K_WIDGET_PAGE
                                                      : K_OTHER;
        request("GET", path, NULL, NULL, 200, k, "*");
        request("HEAD", path, NULL, NULL, 200, k, "*");
        request("GET", path, "If-None-Match: *\r\n", NULL, 304, k, "*");
        request("POST", path, NULL, "x", 405, K_OTHER, NULL);
        n++;
    }
    fclose(f);
    T_CHECKF(n >= 10, "only %d assets in web/assets.txt", n);
}

/* Every API route, answers and errors, in JSON and msgpack. */
static void test_api(void)
{
    static const struct {
        const char *method, *target;
        int status;
    } routes[] = {
        {"GET", "/v1/nearby?lon=114.3055&lat=30.5928&k=3", 200},
        {"GET", "/v1/nearby?lon=114.3055&lat=30.5928&format=msgpack", 200},
        {"GET", "/v1/nearby?lon=500&lat=30.5928", 400},
        {"GET", "/v1/within?lon=114.3055&lat=30.5928&radius=500", 200},
        {"GET", "/v1/bbox?bbox=114.27,30.57,114.33,30.61&zoom=14", 200},
        {"GET", "/v1/shake?lon=114.3055&lat=30.5928", 200},
        {"GET", "/v1/places/reverse?lon=114.3055&lat=30.5928", 200},
        {"GET", "/v1/places/search?q=jhq", 200},
        {"GET", "/v1/places/boundaries?level=district", 200},
        {"GET", "/v1/enterprises?q=kangle&limit=2", 200},
        {"GET", "/v1/convert?lon=114.3&lat=30.6&from=wgs84&to=gcj02", 200},
        {"GET", "/v1/convert?lon=114.3&lat=30.6&from=wgs84&to=EPSG:999999", 400},
        {"GET", "/v1/categories", 200},
        {"GET", "/v1/facilities/1", 200},
        {"GET", "/v1/facilities/99999999", 404},
        {"GET", "/v1/facilities/1/history", 401},
        {"GET", "/healthz", 200},
        {"GET", "/metrics", 200},
        {"GET", "/v1/me", 401},
        {"POST", "/v1/facilities", 401},
        {"DELETE", "/v1/nearby", 405},
        {"GET", "/nope", 404},
        {"GET", "/v1/nearby?lon=1&lat=2&lon=3", 400},
        {"GET", "/v1/nearby?lon=%ZZ", 400},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        request(routes[i].method, routes[i].target, NULL, NULL, routes[i].status, K_OTHER, NULL);
    request("GET", "/v1/shake?lon=114.3055&lat=30.5928", "Accept: application/msgpack\r\n", NULL,
            200, K_OTHER, NULL);
    request("POST", "/v1/login", "Content-Type: application/json\r\n", "{\"name\":", 400, K_OTHER,
            NULL);
    request("POST", "/v1/login", "Content-Type: application/json\r\n",
            "{\"name\":\"nobody\",\"password\":\"wrong password\"}", 401, K_OTHER, NULL);
    request("POST", "/v1/login", "Content-Type: text/plain\r\n", "x", 415, K_OTHER, NULL);
    /* redirects and a preflight */
    request("GET", "/widget?zoom=3", NULL, NULL, 301, K_OTHER, NULL);
    request("GET", "/tag", NULL, NULL, 301, K_OTHER, NULL);
    request("OPTIONS", "/v1/nearby", "Origin: " PORTAL "\r\nAccess-Control-Request-Method: GET\r\n",
            NULL, 204, K_OTHER, NULL);
}

/* With --cors-origin the widget page may be framed by geod itself and the named portals only. */
static void test_widget_portals(void)
{
    struct geodproc g = {0};
    const char *extra[] = {"--cors-origin", PORTAL, "--cors-origin", "http://127.0.0.1:8099", NULL};
    if (!start(&g, extra))
        return;
    struct http_client *c = http_client_new(g.port, true, REQUEST_MS);
    struct http_resp r = {0};
    T_CHECK(c && http_get(c, "/widget/?zoom=12", NULL, &r) == HTTP_OK && r.status == 200);
    if (r.status == 200)
        check_headers("/widget/ with portals", &r, K_WIDGET_PAGE,
                      "'self' " PORTAL " http://127.0.0.1:8099");
    http_resp_free(&r);
    /* and the rest is unchanged */
    T_CHECK(c && http_get(c, "/tag/", NULL, &r) == HTTP_OK && r.status == 200);
    if (r.status == 200)
        check_headers("/tag/ with portals", &r, K_TAG, NULL);
    http_resp_free(&r);
    http_client_free(c);
    int st;
    T_CHECK(geodproc_stop(&g, 10000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    geodproc_cleanup(&g);
}

static void test_stops(void)
{
    char why[512];
    T_CHECKF(geodproc_stop_clean(&geod, why, sizeof why), "%s", why);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    T_RUN(test_start);
    if (geod_up) {
        T_RUN(test_assets);
        T_RUN(test_api);
    }
    T_RUN(test_widget_portals);
    http_client_free(hc);
    if (geod.pid)
        T_RUN(test_stops);
    if (t_failed && geod.dir[0])
        printf("  kept %s\n", geod.dir);
    else
        geodproc_cleanup(&geod);
    geodproc_kill(&geod);
    return T_END();
}

/* test_api_static.c - the web assets a real geod serves (the sanitized build, $GEOD_BIN, started
 * with --cors-origin): Content-Types, a strong ETag that is the SHA-256 of the bytes sent and
 * If-None-Match answered 304 (strong, weak, listed and "*" forms), Cache-Control (short for the
 * entry points, a year and immutable for the versioned Leaflet), nosniff, HEAD and 405; CORS for
 * the allowed origin only, on assets, API answers, errors and preflights; and GET
 * /v1/places/boundaries, the widget's offline base layer. */
#include "tests/lib/apicheck.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/wait.h>

#define START_MS 60000
#define REQUEST_MS 10000
#define PORTAL "http://portal.example.cn"
#define PORTAL2 "http://127.0.0.1:8099"
#define LEAFLET_VERSION_MAX 16

static struct geodproc geod;
static bool geod_up;
static struct http_client *hc;
static char leaflet[64]; /* "/widget/leaflet/1.9.4/", found in widget.js */

static bool get(const char *target, const char *headers, struct http_resp *r)
{
    http_resp_free(r);
    enum http_err e = http_get(hc, target, headers, r);
    T_CHECKF(e == HTTP_OK, "GET %s: %s (%s)", target, http_strerror(e), http_client_error(hc));
    return e == HTTP_OK;
}

static bool has(const struct http_resp *r, const char *name, const char *value)
{
    const char *v = http_header(r, name);
    return v && strcmp(v, value) == 0;
}

/* Is `token` one of the comma-separated values of every `name` header together? */
static bool header_lists(const struct http_resp *r, const char *name, const char *token)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, name) != 0)
            continue;
        const char *p = r->headers[i].value;
        size_t n = strlen(token);
        while ((p = strcasestr(p, token))) {
            bool start = p == r->headers[i].value || p[-1] == ' ' || p[-1] == ',';
            bool end = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
            if (start && end)
                return true;
            p += n;
        }
    }
    return false;
}

static void test_start(void)
{
    char err[1024];
    const char *extra[] = {"--cors-origin", PORTAL "/", "--cors-origin", PORTAL2, NULL};
    bool ok = geodproc_start_args(&geod, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    hc = ok ? http_client_new(geod.port, true, REQUEST_MS) : NULL;
    geod_up = ok && hc && sodium_init() >= 0;
}

/* One asset: status, type, length, the ETag as the SHA-256 of the body, caching, nosniff. */
static void check_asset(const char *path, const char *type, const char *cache, const char *has_text)
{
    struct http_resp r = {0};
    if (!get(path, NULL, &r))
        return;
    T_CHECKF(r.status == 200, "%s: status %d", path, r.status);
    T_CHECKF(has(&r, "Content-Type", type), "%s: Content-Type %s", path,
             http_header(&r, "Content-Type"));
    T_CHECKF(has(&r, "Cache-Control", cache), "%s: Cache-Control %s", path,
             http_header(&r, "Cache-Control"));
    T_CHECKF(has(&r, "X-Content-Type-Options", "nosniff"), "%s: no nosniff", path);
    T_CHECKF(r.has_length && r.length == r.body_len && r.body_len > 0, "%s: length", path);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)r.body, r.body_len);
    char want[40] = "\"";
    for (int i = 0; i < 16; i++)
        snprintf(want + 1 + 2 * i, 3, "%02x", h[i]);
    strcat(want, "\"");
    T_CHECKF(has(&r, "ETag", want), "%s: ETag %s, the body's SHA-256 gives %s", path,
             http_header(&r, "ETag"), want);
    T_CHECKF(!has_text || strstr(r.body, has_text), "%s: no \"%s\" in the body", path, has_text);
    T_CHECKF(!http_header(&r, "Access-Control-Allow-Origin"), "%s: CORS without an Origin", path);
    http_resp_free(&r);
}

static void test_assets(void)
{
    struct http_resp r = {0};
    if (!get("/widget.js", NULL, &r))
        return;
    const char *at = strstr(r.body, "/widget/leaflet/");
    size_t n = at ? strcspn(at + 16, "/'\"") : 0;
    T_CHECKF(at && n > 0 && n <= LEAFLET_VERSION_MAX, "widget.js names no Leaflet path");
    if (at && n > 0 && n <= LEAFLET_VERSION_MAX)
        snprintf(leaflet, sizeof leaflet, "/widget/leaflet/%.*s/", (int)n, at + 16);
    http_resp_free(&r);
    const char *js = "text/javascript; charset=utf-8",
               *year = "public, max-age=31536000, immutable";
    check_asset("/widget.js", js, "public, max-age=300", "data-geod-widget");
    check_asset("/widget/", "text/html; charset=utf-8", "public, max-age=300", "widget.js");
    check_asset("/widget/geod-widget.css", "text/css; charset=utf-8", "public, max-age=300",
                ".geod-widget");
    const char *files[][3] = {{"leaflet.js", js, "Leaflet"},
                              {"leaflet.css", "text/css; charset=utf-8", ".leaflet-"},
                              {"LICENSE", "text/plain; charset=utf-8", "Agafonkin"},
                              {"images/marker-icon.png", "image/png", "PNG"},
                              {"images/layers.png", "image/png", "PNG"}};
    for (size_t i = 0; leaflet[0] && i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s%s", leaflet, files[i][0]);
        check_asset(path, files[i][1], year, files[i][2]);
    }
    /* what is not an asset is the API's 404; the iframe page without its slash is redirected */
    struct ac_answer a = {0};
    char why[AC_WHY];
    T_CHECKF(ac_get(hc, "/widget/nope.js", NULL, &a, why) &&
                 ac_is_error(&a, 404, "not_found", NULL, why),
             "%s", why);
    ac_answer_free(&a);
    if (get("/widget?category=hospital", NULL, &r))
        T_CHECKF(r.status == 301 && has(&r, "Location", "/widget/?category=hospital"),
                 "/widget: %d %s", r.status, http_header(&r, "Location"));
    http_resp_free(&r);
}

/* The tagging form /tag/: its three files, the Leaflet of the widget, the security headers (CSP
 * 'self' without inline code, never framed) on each of them and none of them on the widget's
 * page, which portals frame; /tag redirects. */
static void test_tag_assets(void)
{
    check_asset("/tag/", "text/html; charset=utf-8", "public, max-age=300", "tag.js");
    check_asset("/tag/tag.js", "text/javascript; charset=utf-8", "public, max-age=300",
                "/v1/facilities");
    check_asset("/tag/tag.css", "text/css; charset=utf-8", "public, max-age=300", "@media");
    struct http_resp r = {0};
    const char *paths[] = {"/tag/", "/tag/tag.js", "/tag/tag.css"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (!get(paths[i], NULL, &r))
            continue;
        const char *csp = http_header(&r, "Content-Security-Policy");
        T_CHECKF(csp && strstr(csp, "default-src 'self'") && strstr(csp, "script-src 'self'") &&
                     strstr(csp, "frame-ancestors 'none'") && !strstr(csp, "unsafe"),
                 "%s: Content-Security-Policy %s", paths[i], csp ? csp : "(none)");
        T_CHECKF(has(&r, "X-Frame-Options", "DENY"), "%s: X-Frame-Options %s", paths[i],
                 http_header(&r, "X-Frame-Options"));
    }
    if (get("/tag/", NULL, &r)) {
        T_CHECKF(leaflet[0] && strstr(r.body, leaflet), "/tag/ does not load %sleaflet.js",
                 leaflet);
        /* no inline script: every <script carries a src */
        for (const char *p = r.body; (p = strstr(p, "<script")); p++)
            T_CHECKF(strncmp(p, "<script src=", 12) == 0, "/tag/: an inline script: %.40s", p);
        T_CHECKF(!strstr(r.body, "style=") && !strstr(r.body, "<style"), "/tag/: inline style");
    }
    if (get("/widget/", NULL, &r)) {
        /* frameable by the portals (--cors-origin), and by nothing else */
        const char *csp = http_header(&r, "Content-Security-Policy");
        T_CHECKF(!http_header(&r, "X-Frame-Options") && csp &&
                     strstr(csp, "frame-ancestors 'self' " PORTAL " " PORTAL2) &&
                     strstr(csp, "script-src 'self'") && !strstr(csp, "unsafe"),
                 "/widget/ must stay frameable by the portals: CSP %s", csp ? csp : "(none)");
        T_CHECKF(!strstr(r.body, "style=") && !strstr(r.body, "<style"), "/widget/: inline style");
    }
    if (get("/tag", NULL, &r))
        T_CHECKF(r.status == 301 && has(&r, "Location", "/tag/"), "/tag: %d %s", r.status,
                 http_header(&r, "Location"));
    struct ac_answer a = {0};
    char why[AC_WHY];
    T_CHECKF(ac_get(hc, "/tag/nope.js", NULL, &a, why) &&
                 ac_is_error(&a, 404, "not_found", NULL, why),
             "%s", why);
    ac_answer_free(&a);
    http_resp_free(&r);
}

static void test_etag(void)
{
    struct http_resp r = {0};
    if (!get("/widget.js", NULL, &r))
        return;
    char etag[64], hdr[256];
    snprintf(etag, sizeof etag, "%s", http_header(&r, "ETag") ? http_header(&r, "ETag") : "");
    T_CHECKF(strlen(etag) == 34 && etag[0] == '"', "a strong ETag: %s", etag);
    const char *match[] = {"%s", "W/%s", "\"other\", %s", "\"a\",%s , \"b\"", "*"};
    for (size_t i = 0; i < sizeof match / sizeof match[0]; i++) {
        char v[128];
        snprintf(v, sizeof v, match[i], etag);
        snprintf(hdr, sizeof hdr, "If-None-Match: %s\r\n", v);
        if (!get("/widget.js", hdr, &r))
            continue;
        T_CHECKF(r.status == 304 && r.body_len == 0 && has(&r, "ETag", etag) &&
                     has(&r, "Cache-Control", "public, max-age=300"),
                 "If-None-Match: %s -> %d", v, r.status);
    }
    const char *miss[] = {"\"0123\"", "W/\"0123\"", "", "\"\""};
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++) {
        snprintf(hdr, sizeof hdr, "If-None-Match: %s\r\n", miss[i]);
        if (get("/widget.js", hdr, &r))
            T_CHECKF(r.status == 200 && r.body_len > 0, "If-None-Match: %s -> %d", miss[i],
                     r.status);
    }
    /* another asset's tag is not this one's */
    struct http_resp css = {0};
    if (http_get(hc, "/widget/geod-widget.css", NULL, &css) == HTTP_OK &&
        http_header(&css, "ETag")) {
        snprintf(hdr, sizeof hdr, "If-None-Match: %s\r\n", http_header(&css, "ETag"));
        if (get("/widget.js", hdr, &r))
            T_CHECKF(r.status == 200, "another asset's ETag -> %d", r.status);
    }
    http_resp_free(&css);
    /* HEAD: the headers of GET, no body; other methods: 405 */
    http_resp_free(&r);
    T_CHECK(http_request(hc, "HEAD", "/widget.js", NULL, NULL, 0, &r) == HTTP_OK);
    T_CHECKF(r.status == 200 && r.body_len == 0 && r.has_length && r.length > 1000 &&
                 has(&r, "ETag", etag),
             "HEAD: %d, %zu bytes", r.status, r.body_len);
    http_resp_free(&r);
    T_CHECK(http_request(hc, "POST", "/widget.js", NULL, "x", 1, &r) == HTTP_OK);
    T_CHECKF(r.status == 405 && has(&r, "Allow", "GET, HEAD"), "POST: %d", r.status);
    http_resp_free(&r);
}

/* An answer to a request from origin: allowed → its origin echoed; else no CORS header. */
static void check_cors(const char *target, const char *origin, bool allowed)
{
    struct http_resp r = {0};
    char hdr[256];
    snprintf(hdr, sizeof hdr, "Origin: %s\r\n", origin);
    if (!get(target, hdr, &r))
        return;
    const char *acao = http_header(&r, "Access-Control-Allow-Origin");
    if (allowed)
        T_CHECKF(acao && strcmp(acao, origin) == 0, "%s from %s: ACAO %s", target, origin, acao);
    else
        T_CHECKF(!acao, "%s from %s: ACAO %s", target, origin, acao);
    T_CHECKF(header_lists(&r, "Vary", "Origin"), "%s: no Vary: Origin", target);
    T_CHECKF(!http_header(&r, "Access-Control-Allow-Credentials"), "%s: credentials", target);
    http_resp_free(&r);
}

static void test_cors(void)
{
    const char *targets[] = {"/widget.js",
                             "/widget/",
                             "/v1/bbox?bbox=114.2,30.5,114.4,30.7",
                             "/v1/nearby?lon=114.3&lat=30.6&k=2",
                             "/v1/nearby?lon=x",
                             "/healthz",
                             "/v1/places/boundaries?level=city"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        check_cors(targets[i], PORTAL, true);
        check_cors(targets[i], PORTAL2, true);
        check_cors(targets[i], "http://PORTAL.example.cn", true); /* hosts are case-blind */
        check_cors(targets[i], "http://evil.example.cn", false);
        check_cors(targets[i], "https://portal.example.cn", false); /* another scheme */
        check_cors(targets[i], "http://portal.example.cn:8080", false);
        check_cors(targets[i], "null", false);
    }
    if (leaflet[0]) {
        char path[128];
        snprintf(path, sizeof path, "%sleaflet.js", leaflet);
        check_cors(path, PORTAL, true);
        check_cors(path, "http://evil.example.cn", false);
    }
    /* preflights: allowed origin and a read method only */
    struct {
        const char *origin, *method;
        bool ok;
    } pre[] = {{PORTAL, "GET", true},
               {PORTAL2, "HEAD", true},
               {PORTAL, "POST", false},
               {PORTAL, "DELETE", false},
               {"http://evil.example.cn", "GET", false},
               {PORTAL, NULL, false}};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        char hdr[256];
        snprintf(hdr, sizeof hdr, "Origin: %s\r\n%s%s%s", pre[i].origin,
                 pre[i].method ? "Access-Control-Request-Method: " : "",
                 pre[i].method ? pre[i].method : "", pre[i].method ? "\r\n" : "");
        struct http_resp r = {0};
        T_CHECK(http_request(hc, "OPTIONS", "/v1/bbox", hdr, NULL, 0, &r) == HTTP_OK);
        const char *acao = http_header(&r, "Access-Control-Allow-Origin");
        T_CHECKF(r.status == 204, "OPTIONS from %s: %d", pre[i].origin, r.status);
        if (pre[i].ok)
            T_CHECKF(acao && strcmp(acao, pre[i].origin) == 0 &&
                         has(&r, "Access-Control-Allow-Methods", "GET, HEAD") &&
                         header_lists(&r, "Access-Control-Allow-Headers", "If-None-Match") &&
                         http_header(&r, "Access-Control-Max-Age"),
                     "preflight %s %s: ACAO %s", pre[i].origin, pre[i].method, acao);
        else
            T_CHECKF(!acao && !http_header(&r, "Access-Control-Allow-Methods"),
                     "preflight %s %s: ACAO %s", pre[i].origin, pre[i].method, acao);
        http_resp_free(&r);
    }
}

static void test_cors_option(void)
{
    const char *bad[] = {"portal.example.cn",
                         "ftp://portal.example.cn",
                         "http://",
                         "http://portal.example.cn/path",
                         "http://user@portal.example.cn",
                         "http://portal.example.cn?x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {"serve",         "--db", "/nonexistent/geod.sqlite",
                              "--cors-origin", bad[i], NULL};
        int st = 0;
        char *err = NULL;
        bool ran = geodproc_run(args, 20000, &st, NULL, &err, NULL);
        T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == 2 && err &&
                     strstr(err, "--cors-origin"),
                 "--cors-origin %s: status %d, %s", bad[i], st, err ? err : "");
        free(err);
    }
}

/* Every ring closed and inside the Wuhan box; returns the number of points. */
static size_t check_multipolygon(const json_t *geom, char *why)
{
    size_t pts = 0, pi, ri, ci;
    json_t *poly, *ring, *c;
    if (strcmp(ac_str(json_object_get(geom, "type")), "MultiPolygon") != 0) {
        snprintf(why, AC_WHY, "not a MultiPolygon");
        return 0;
    }
    json_array_foreach(json_object_get(geom, "coordinates"), pi, poly)
    {
        json_array_foreach(poly, ri, ring)
        {
            size_t n = json_array_size(ring);
            if (n < 4 || !json_equal(json_array_get(ring, 0), json_array_get(ring, n - 1)))
                snprintf(why, AC_WHY, "a ring of %zu points, or not closed", n);
            json_array_foreach(ring, ci, c)
            {
                double lon = json_number_value(json_array_get(c, 0));
                double lat = json_number_value(json_array_get(c, 1));
                if (!(lon > 113.6 && lon < 115.2 && lat > 29.9 && lat < 31.5))
                    snprintf(why, AC_WHY, "a point outside Wuhan: %f, %f", lon, lat);
                pts++;
            }
        }
    }
    return pts;
}

static size_t boundaries(const char *query, const char *level, size_t expect, double first[2])
{
    char target[256], why[AC_WHY] = "";
    snprintf(target, sizeof target, "/v1/places/boundaries%s", query);
    struct ac_answer a = {0};
    size_t pts = 0;
    if (ac_get(hc, target, NULL, &a, why) && a.status == 200 && a.json) {
        T_CHECKF(strcmp(ac_content_type(&a), "application/geo+json") == 0, "%s: %s", target,
                 ac_content_type(&a));
        json_t *fs = json_object_get(a.json, "features"), *f;
        size_t i;
        T_CHECKF(strcmp(ac_str(json_object_get(a.json, "type")), "FeatureCollection") == 0 &&
                     json_array_size(fs) == expect &&
                     json_integer_value(json_object_get(a.json, "count")) == (json_int_t)expect &&
                     strcmp(ac_str(json_object_get(a.json, "level")), level) == 0,
                 "%s: %zu features", target, json_array_size(fs));
        json_array_foreach(fs, i, f)
        {
            json_t *p = json_object_get(f, "properties");
            const char *code = ac_str(json_object_get(p, "code"));
            T_CHECKF(strlen(code) == 12 && strncmp(code, "4201", 4) == 0 &&
                         strcmp(ac_str(json_object_get(f, "id")), code) == 0 &&
                         strcmp(ac_str(json_object_get(p, "level")), level) == 0 &&
                         *ac_str(json_object_get(p, "name")),
                     "%s: feature %zu", target, i);
            pts += check_multipolygon(json_object_get(f, "geometry"), why);
            T_CHECKF(!why[0], "%s: %s: %s", target, code, why);
            why[0] = '\0';
        }
        json_t *geom = json_object_get(json_array_get(fs, 0), "geometry");
        json_t *ring0 = json_array_get(json_array_get(json_object_get(geom, "coordinates"), 0), 0);
        json_t *c0 = json_array_get(ring0, 0);
        first[0] = json_number_value(json_array_get(c0, 0));
        first[1] = json_number_value(json_array_get(c0, 1));
    } else {
        T_CHECKF(false, "%s: %d %s", target, a.status, why);
    }
    ac_answer_free(&a);
    return pts;
}

static void test_boundaries(void)
{
    double w[2], g[2], f[2];
    size_t simple = boundaries("", "district", 13, w);
    size_t full = boundaries("?level=district&simplify=0", "district", 13, f);
    boundaries("?level=district&out_crs=gcj02", "district", 13, g);
    boundaries("?level=city", "city", 1, f);
    T_CHECKF(simple > 500 && full > 2 * simple, "points: %zu simplified, %zu in full", simple,
             full);
    /* GCJ-02 lies some hundreds of metres north-east of WGS-84 in Wuhan */
    T_CHECKF(g[0] - w[0] > 0.003 && g[0] - w[0] < 0.008 && g[1] - w[1] > -0.004 &&
                 g[1] - w[1] < 0.001,
             "gcj02 offset %f, %f", g[0] - w[0], g[1] - w[1]);
    const char *bad[][2] = {{"?level=province", "level"},
                            {"?simplify=-1", "simplify"},
                            {"?simplify=99999", "simplify"},
                            {"?out_crs=mars", "out_crs"},
                            {"?zoom=3", "zoom"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char target[128], why[AC_WHY] = "";
        snprintf(target, sizeof target, "/v1/places/boundaries%s", bad[i][0]);
        struct ac_answer a = {0};
        T_CHECKF(ac_get(hc, target, NULL, &a, why) && a.status == 400 &&
                     strcmp(ac_str(json_object_get(json_object_get(a.json, "error"), "param")),
                            bad[i][1]) == 0,
                 "%s: %d %s", target, a.status, why);
        ac_answer_free(&a);
    }
}

static void test_stops(void)
{
    http_client_free(hc);
    hc = NULL;
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
        T_RUN(test_tag_assets);
        T_RUN(test_etag);
        T_RUN(test_cors);
        T_RUN(test_boundaries);
    }
    T_RUN(test_cors_option);
    if (geod.pid)
        T_RUN(test_stops);
    if (t_failed && geod.dir[0])
        printf("  kept %s\n", geod.dir);
    else
        geodproc_cleanup(&geod);
    geodproc_kill(&geod);
    http_client_free(hc);
    return T_END();
}

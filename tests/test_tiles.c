/* test_tiles.c - the /tag/ form's optional tile layer (api/tiles.h): the checks of
 * `geod serve --tile-url/--tile-crs/--tile-subdomains/--tile-attribution/--tile-max-zoom`
 * against a table of templates and the CSP source each must give (written out by hand from the
 * CSP host-source grammar), the one-line error and exit status 2 of a bad value (with no store
 * created), and with a real geod: GET /v1/tiles says what was configured (null without), and
 * every /tag/ asset's Content-Security-Policy lets images come from the tile host and no other. */
#include "api/tiles.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_MS 60000
#define CLI_MS 30000
#define HTTP_MS 10000

static void test_templates(void)
{
    static const struct {
        const char *url;
        const char *csp; /* NULL: refused */
    } cases[] = {
        {"https://webrd0{s}.is.autonavi.com/"
         "appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
         "https://*.is.autonavi.com"},
        {"http://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abc",
         "http://*.tianditu.gov.cn"},
        {"https://{s}.tile.example.cn/{z}/{x}/{y}.png", "https://*.tile.example.cn"},
        {"http://127.0.0.1:8088/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8088"},
        {"http://Tiles.Intranet.MZJ:81/{z}/{y}/{x}", "http://tiles.intranet.mzj:81"},
        {"https://tiles.example.cn/{z}/{x}/{y}@2x.png", "https://tiles.example.cn"},
        {"https://tiles.example.cn/a%20b/{z}/{x}/{y}.png", "https://tiles.example.cn"},
        {"ftp://tiles.example.cn/{z}/{x}/{y}.png", NULL},
        {"tiles.example.cn/{z}/{x}/{y}.png", NULL},
        {"https://tiles.example.cn/{z}/{x}.png", NULL},          /* no {y} */
        {"https://tiles.example.cn/{z}/{x}/{y}/{x}.png", NULL},  /* {x} twice */
        {"https://tiles.example.cn/{z}/{x}/{y}/{r}.png", NULL},  /* {r}: not known */
        {"https://tiles.example.cn/{z}/{x}/{y}}.png", NULL},     /* a stray '}' */
        {"https://a.{s}.example.cn/{z}/{x}/{y}.png", NULL},      /* {s} not leftmost */
        {"https://user@tiles.example.cn/{z}/{x}/{y}.png", NULL}, /* credentials */
        {"https:///{z}/{x}/{y}.png", NULL},                      /* no host */
        {"https://tiles.example.cn/{z}/{x}/{y}.png; script-src *", NULL},
        {"https://tiles.example.cn/{z}/{x}/{y}.png,x", NULL},
        {"https://tiles.example.cn/\"{z}/{x}/{y}.png", NULL},
        {"https://tiles.example.cn/瓦片/{z}/{x}/{y}.png", NULL}, /* non-ASCII: percent-encode */
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tile_config t;
        tile_config_init(&t);
        char err[640] = "";
        enum geod_err rc = tile_config_url(&t, cases[i].url, err, sizeof err);
        if (cases[i].csp) {
            T_CHECKF(rc == GEOD_OK && t.on, "%s refused: %s", cases[i].url, err);
            T_CHECKF(strcmp(t.csp_source, cases[i].csp) == 0, "%s: CSP source %s, want %s",
                     cases[i].url, t.csp_source, cases[i].csp);
            T_CHECKF(strcmp(t.url, cases[i].url) == 0, "%s kept as %s", cases[i].url, t.url);
        } else {
            T_CHECKF(rc == GEOD_EINVAL && !t.on, "%s accepted (CSP %s)", cases[i].url,
                     t.csp_source);
            T_CHECKF(err[0] != '\0', "%s refused without a reason", cases[i].url);
        }
    }
    char long_url[TILES_URL_MAX + 64];
    snprintf(long_url, sizeof long_url, "https://t.example.cn/{z}/{x}/{y}/");
    size_t n = strlen(long_url);
    memset(long_url + n, 'a', sizeof long_url - n - 1);
    long_url[sizeof long_url - 1] = '\0';
    struct tile_config t;
    tile_config_init(&t);
    char err[640];
    T_CHECK(tile_config_url(&t, long_url, err, sizeof err) == GEOD_EINVAL);
}

static void test_other_settings(void)
{
    struct tile_config t;
    tile_config_init(&t);
    char err[640];
    T_CHECK(t.crs == CRS_WGS84 && strcmp(t.subdomains, "abc") == 0 && t.max_zoom == 18);
    T_CHECK(tile_config_crs(&t, "gcj02", err, sizeof err) == GEOD_OK && t.crs == CRS_GCJ02);
    T_CHECK(tile_config_crs(&t, "GCJ02", err, sizeof err) == GEOD_OK && t.crs == CRS_GCJ02);
    /* CGCS2000 (Tianditu) is WGS-84 to centimetres: drawn as WGS-84 */
    T_CHECK(tile_config_crs(&t, "cgcs2000", err, sizeof err) == GEOD_OK && t.crs == CRS_WGS84);
    T_CHECK(tile_config_crs(&t, "wgs84", err, sizeof err) == GEOD_OK && t.crs == CRS_WGS84);
    T_CHECK(tile_config_crs(&t, "bd09", err, sizeof err) == GEOD_EINVAL); /* not Web Mercator */
    T_CHECK(tile_config_crs(&t, "EPSG:3857", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(tile_config_crs(&t, "", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(tile_config_subdomains(&t, "1234", err, sizeof err) == GEOD_OK &&
            strcmp(t.subdomains, "1234") == 0);
    T_CHECK(tile_config_subdomains(&t, "", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(tile_config_subdomains(&t, "a,b", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(tile_config_subdomains(&t, "abcdefghijklmnopq", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(strcmp(t.subdomains, "1234") == 0); /* a refused value changes nothing */
    T_CHECK(tile_config_attribution(&t, "© 高德地图 GS(2023)551号", err, sizeof err) == GEOD_OK);
    T_CHECK(tile_config_attribution(&t, "<img src=x onerror=alert(1)>", err, sizeof err) ==
            GEOD_EINVAL);
    T_CHECK(tile_config_attribution(&t, "a\nb", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(tile_config_attribution(&t, "\xe9\x99", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(strcmp(t.attribution, "© 高德地图 GS(2023)551号") == 0);
    T_CHECK(tile_config_max_zoom(&t, "19", err, sizeof err) == GEOD_OK && t.max_zoom == 19);
    const char *bad_zoom[] = {"0", "23", "x", "", "18.5", "-1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad_zoom / sizeof bad_zoom[0]; i++)
        T_CHECKF(tile_config_max_zoom(&t, bad_zoom[i], err, sizeof err) == GEOD_EINVAL,
                 "max zoom %s accepted", bad_zoom[i]);
    T_CHECK(t.max_zoom == 19);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A bad value: exit status 2, one line on stderr naming the option and the value, no store. */
static void test_bad_options(void)
{
    char dir[] = "/tmp/geod-tiles-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char db[64];
    snprintf(db, sizeof db, "%s/geod.sqlite", dir);
    static const char *const bad[][2] = {
        {"--tile-url", "ftp://t.example.cn/{z}/{x}/{y}"},
        {"--tile-url", "https://t.example.cn/{z}/{x}"},
        {"--tile-crs", "bd09"},
        {"--tile-subdomains", "a b"},
        {"--tile-attribution", "<b>x</b>"},
        {"--tile-max-zoom", "40"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {"serve",       "--db",    db,        "--listen",
                              "127.0.0.1:0", bad[i][0], bad[i][1], NULL};
        int st = 0;
        char *err = NULL;
        bool ran = geodproc_run(args, CLI_MS, &st, NULL, &err, NULL);
        T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s %s: status %d", bad[i][0],
                 bad[i][1], st);
        T_CHECKF(err && count_lines(err) == 1 && strstr(err, bad[i][0]) && strstr(err, bad[i][1]) &&
                     !geodproc_sanitizer_report(err),
                 "%s %s: stderr %s", bad[i][0], bad[i][1], err ? err : "(none)");
        free(err);
        struct stat sb;
        T_CHECKF(stat(db, &sb) != 0, "a store was created despite %s %s", bad[i][0], bad[i][1]);
    }
    /* --name=value works as --name value does */
    const char *args[] = {"serve", "--db", db, "--tile-crs=bd09", NULL};
    int st = 0;
    char *err = NULL;
    T_CHECK(geodproc_run(args, CLI_MS, &st, NULL, &err, NULL) && WIFEXITED(st) &&
            WEXITSTATUS(st) == 2 && err && strstr(err, "--tile-crs bd09"));
    free(err);
    rmdir(dir);
}

static const char *csp_of(struct http_client *c, const char *path, struct http_resp *r)
{
    if (http_get(c, path, NULL, r) != HTTP_OK || r->status != 200)
        return NULL;
    return http_header(r, "Content-Security-Policy");
}

#define TILE_URL "https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"
#define ATTRIBUTION "© 高德地图"

static void serve_and_check(bool with_tiles)
{
    struct geodproc g = {0};
    char err[1024];
    const char *extra[] = {"--tile-url",
                           TILE_URL,
                           "--tile-crs",
                           "gcj02",
                           "--tile-subdomains",
                           "1234",
                           "--tile-attribution",
                           ATTRIBUTION,
                           "--tile-max-zoom",
                           "17",
                           NULL};
    bool up = geodproc_start_args(&g, NULL, with_tiles ? extra : NULL, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    if (!up) {
        geodproc_kill(&g);
        return;
    }
    struct http_client *c = http_client_new(g.port, true, HTTP_MS);
    struct http_resp r = {0};
    T_CHECK(http_get(c, "/v1/tiles", NULL, &r) == HTTP_OK && r.status == 200);
    if (with_tiles)
        T_CHECKF(strcmp(r.body, "{\"tiles\":{\"url\":\"" TILE_URL "\",\"crs\":\"gcj02\","
                                "\"subdomains\":\"1234\",\"max_zoom\":17,"
                                "\"attribution\":\"" ATTRIBUTION "\"}}") == 0,
                 "/v1/tiles: %s", r.body);
    else
        T_CHECKF(strcmp(r.body, "{\"tiles\":null}") == 0, "/v1/tiles: %s", r.body);
    http_resp_free(&r);
    T_CHECK(http_get(c, "/v1/tiles?zoom=3", NULL, &r) == HTTP_OK && r.status == 400);
    http_resp_free(&r);
    const char *assets[] = {"/tag/", "/tag/tag.js", "/tag/tag.css"};
    for (size_t i = 0; i < 3; i++) {
        const char *csp = csp_of(c, assets[i], &r);
        T_CHECKF(csp != NULL, "%s: no CSP", assets[i]);
        if (csp) {
            const char *img = strstr(csp, "img-src ");
            T_CHECKF(img != NULL, "%s: CSP %s", assets[i], csp);
            char want[160];
            snprintf(want, sizeof want, "img-src 'self' data:%s;",
                     with_tiles ? " https://*.is.autonavi.com" : "");
            T_CHECKF(img && strncmp(img, want, strlen(want)) == 0, "%s: CSP %s, want %s", assets[i],
                     csp, want);
            /* only images: scripts, styles and fetches stay geod's own */
            T_CHECKF(strstr(csp, "script-src 'self';") && strstr(csp, "connect-src 'self';") &&
                         strstr(csp, "default-src 'self';"),
                     "%s: CSP %s", assets[i], csp);
        }
        http_resp_free(&r);
    }
    http_client_free(c);
    int st;
    T_CHECK(geodproc_stop(&g, 10000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *log = geodproc_stderr(&g);
    char why[256];
    T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "%s", why);
    free(log);
    if (!t_cur_fails)
        geodproc_cleanup(&g);
}

static void test_serve_without_tiles(void)
{
    serve_and_check(false);
}

static void test_serve_with_tiles(void)
{
    serve_and_check(true);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    T_RUN(test_templates);
    T_RUN(test_other_settings);
    T_RUN(test_bad_options);
    T_RUN(test_serve_without_tiles);
    T_RUN(test_serve_with_tiles);
    return T_END();
}

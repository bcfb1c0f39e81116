/* test_browser_tag_tiles.c - the tagging form over a GCJ-02 tile layer: a free loopback port
 * for the tile server that tests/browser/tag_tiles.mjs runs itself, a real geod (the sanitized
 * build, $GEOD_BIN) started with --tile-url http://127.0.0.1:PORT/t/{z}/{x}/{y}.svg --tile-crs
 * gcj02 and a community worker of 江岸区 (`geod user add`, GEOD_KDF_COST=min), then the script in
 * headless chromium, counted as one test. Like test_browser_tag.c it fails without chromium and
 * playwright-core (make test installs both), it never skips. Screenshot: build/artifacts/. */
#include "tests/lib/browser.h"
#include "tests/lib/geodproc.h"
#include "tests/t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_MS 60000
#define BROWSER_S 300 /* the whole script, chromium's start included */
#define SCRIPT "tests/browser/tag_tiles.mjs"
#define USER "wang"
#define PASSWORD "a long passphrase 江岸"
#define DISTRICT "420102"

static struct geodproc geod;
static bool geod_up;

static char dir[64], seed[128];
static unsigned tile_port;


static void test_start(void)
{
    char ready[256];
    T_CHECKF(browser_ready(ready, sizeof ready), "%s", ready);
    snprintf(dir, sizeof dir, "/tmp/geod-tagtiles-XXXXXX");
    char why[256];
    T_CHECKF(browser_worker_store(dir, seed, sizeof seed, USER, PASSWORD, DISTRICT, why,
                                  sizeof why),
             "%s", why);
    tile_port = browser_free_port();
    T_CHECK(tile_port != 0);
    char tile_url[96], err[1024];
    snprintf(tile_url, sizeof tile_url, "http://127.0.0.1:%u/t/{z}/{x}/{y}.svg", tile_port);
    const char *extra[] = {"--tile-url", tile_url, "--tile-crs", "gcj02", NULL};
    bool ok = geodproc_start_args(&geod, seed, extra, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    geod_up = ok && t_cur_fails == 0;
}

static void test_browser(void)
{
    char url[64], port[16], why[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)geod.port);
    snprintf(port, sizeof port, "%u", tile_port);
    const char *args[] = {url, USER, PASSWORD, BROWSER_ARTIFACTS, port, NULL};
    T_CHECKF(browser_run(SCRIPT, args, BROWSER_S, why, sizeof why), "%s", why);
    T_CHECKF(browser_screenshot("tag-tiles.png"),
             "no screenshot in " BROWSER_ARTIFACTS "/tag-tiles.png");
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
    if (geod_up)
        T_RUN(test_browser);
    if (geod.pid)
        T_RUN(test_stops);
    if (t_failed && geod.dir[0])
        printf("  kept %s\n", geod.dir);
    else
        geodproc_cleanup(&geod);
    geodproc_kill(&geod);
    if (dir[0] && !t_failed) {
        unlink(seed);
        rmdir(dir);
    }
    return T_END();
}

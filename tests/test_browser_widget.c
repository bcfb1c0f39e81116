/* test_browser_widget.c - runs the browser test of the map widget (tests/browser/widget.mjs:
 * headless chromium through playwright-core) against a real geod (the sanitized build,
 * $GEOD_BIN) that allows the test portal's origin, and counts it as one test per step of the
 * script. `make test` installs chromium and playwright-core first (browser-deps); without them
 * this test fails, it never skips. Screenshots go to build/artifacts/. */
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
#define SCRIPT "tests/browser/widget.mjs"

static struct geodproc geod;
static bool geod_up;
static uint16_t portal_port;

static void test_start(void)
{
    char ready[256];
    T_CHECKF(browser_ready(ready, sizeof ready), "%s", ready);
    portal_port = browser_free_port();
    T_CHECK(portal_port != 0);
    char origin[64], err[1024];
    snprintf(origin, sizeof origin, "http://127.0.0.1:%u", (unsigned)portal_port);
    const char *extra[] = {"--cors-origin", origin, NULL};
    bool ok = geodproc_start_args(&geod, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    geod_up = ok && portal_port && t_cur_fails == 0;
}

static void test_browser(void)
{
    char url[64], port[16], why[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)geod.port);
    snprintf(port, sizeof port, "%u", (unsigned)portal_port);
    const char *args[] = {url, port, BROWSER_ARTIFACTS, NULL};
    T_CHECKF(browser_run(SCRIPT, args, BROWSER_S, why, sizeof why), "%s", why);
    T_CHECKF(browser_screenshot("widget.png"), "no screenshot in " BROWSER_ARTIFACTS "/widget.png");
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
    return T_END();
}

/* test_browser_tag.c - runs the browser test of the tagging form (tests/browser/tag.mjs:
 * headless chromium through playwright-core, a 390x844 phone viewport) against a real geod (the
 * sanitized build, $GEOD_BIN) whose store holds a community worker of 江岸区 made with
 * `geod user add` (GEOD_KDF_COST=min, as the other account tests), and counts it as one test. `make test` installs chromium and playwright-core first (browser-deps); without them
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
#define SCRIPT "tests/browser/tag.mjs"
#define USER "wang"
#define PASSWORD "a long passphrase 江岸"
#define DISTRICT "420102"

static struct geodproc geod;
static bool geod_up;

static char dir[64], seed[128];

static void test_start(void)
{
    char ready[256];
    T_CHECKF(browser_ready(ready, sizeof ready), "%s", ready);
    snprintf(dir, sizeof dir, "/tmp/geod-tag-XXXXXX");
    char why[256];
    T_CHECKF(browser_worker_store(dir, seed, sizeof seed, USER, PASSWORD, DISTRICT, why,
                                  sizeof why),
             "%s", why);
    char err[1024];
    bool ok = geodproc_start(&geod, seed, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    geod_up = ok && t_cur_fails == 0;
}

static void test_browser(void)
{
    char url[64], why[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)geod.port);
    const char *args[] = {url, USER, PASSWORD, BROWSER_ARTIFACTS, NULL};
    T_CHECKF(browser_run(SCRIPT, args, BROWSER_S, why, sizeof why), "%s", why);
    T_CHECKF(browser_screenshot("tag.png"), "no screenshot in " BROWSER_ARTIFACTS "/tag.png");
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

/* test_browser_tag_tiles.c - the tagging form over a GCJ-02 tile layer: a free loopback port
 * for the tile server that tests/browser/tag_tiles.mjs runs itself, a real geod (the sanitized
 * build, $GEOD_BIN) started with --tile-url http://127.0.0.1:PORT/t/{z}/{x}/{y}.svg --tile-crs
 * gcj02 and a community worker of 江岸区 (`geod user add`, GEOD_KDF_COST=min), then the script in
 * headless chromium, counted as one test. Like test_browser_tag.c it fails without chromium and
 * playwright-core (make test installs both), it never skips. Screenshot: build/artifacts/. */
#include "tests/lib/browser.h"
#include "tests/lib/geodproc.h"
#include "tests/t.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_MS 60000
#define BROWSER_S 300 /* the whole script, chromium's start included */
#define SCRIPT "tests/browser/tag_tiles.mjs"
#define CLI_MS 60000
#define USER "wang"
#define PASSWORD "a long passphrase 江岸"
#define DISTRICT "420102"

static struct geodproc geod;
static bool geod_up;

static char dir[64], seed[128];
static unsigned tile_port;

/* A loopback port nobody listens on now (the kernel's pick, released for the script). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void test_start(void)
{
    char ready[256];
    T_CHECKF(browser_ready(ready, sizeof ready), "%s", ready);
    snprintf(dir, sizeof dir, "/tmp/geod-tagtiles-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    setenv("GEOD_KDF_COST", "min", 1);
    const char *args[] = {"user", "add", USER, "--role", "worker", "--district", DISTRICT,
                          "--db", seed, NULL};
    int rc = 0;
    bool ran = geodproc_run_input(args, PASSWORD "\n", CLI_MS, &rc, NULL, NULL, NULL);
    T_CHECKF(ran && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "geod user add " USER);
    tile_port = free_port();
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
    int st;
    char sb[32], why[512];
    bool exited = geodproc_stop(&geod, 10000, &st, NULL);
    T_CHECKF(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "geod after SIGTERM: %s",
             exited ? geodproc_status_text(st, sb) : "killed");
    char *log = geodproc_stderr(&geod);
    T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "geod's stderr: %s", why);
    free(log);
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

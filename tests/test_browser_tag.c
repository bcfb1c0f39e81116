/* test_browser_tag.c - runs the browser test of the tagging form (tests/browser/tag.mjs:
 * headless chromium through playwright-core, a 390x844 phone viewport) against a real geod (the
 * sanitized build, $GEOD_BIN) whose store holds a community worker of 江岸区 made with
 * `geod user add` (GEOD_KDF_COST=min, as the other account tests), and counts it as one test. `make test` installs chromium and playwright-core first (browser-deps); without them
 * this test fails, it never skips. Screenshots go to build/artifacts/. */
#include "tests/lib/geodproc.h"
#include "tests/t.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000
#define BROWSER_S 300 /* the whole script, chromium's start included */
#define SCRIPT "tests/browser/tag.mjs"
#define PLAYWRIGHT "tests/browser/node_modules/playwright-core/package.json"
#define CHROMIUM "/usr/bin/chromium"
#define ARTIFACTS "build/artifacts"
#define CLI_MS 60000
#define USER "wang"
#define PASSWORD "a long passphrase 江岸"
#define DISTRICT "420102"

static struct geodproc geod;
static bool geod_up;

static char dir[64], seed[128];

static void test_start(void)
{
    struct stat st;
    T_CHECKF(stat(CHROMIUM, &st) == 0, "%s is missing: make test installs it (browser-deps)",
             CHROMIUM);
    T_CHECKF(stat(PLAYWRIGHT, &st) == 0, "%s is missing: make test runs npm ci (browser-deps)",
             PLAYWRIGHT);
    snprintf(dir, sizeof dir, "/tmp/geod-tag-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    setenv("GEOD_KDF_COST", "min", 1);
    const char *args[] = {"user", "add", USER, "--role", "worker", "--district", DISTRICT,
                          "--db", seed, NULL};
    int rc = 0;
    bool ran = geodproc_run_input(args, PASSWORD "\n", CLI_MS, &rc, NULL, NULL, NULL);
    T_CHECKF(ran && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "geod user add " USER);
    char err[1024];
    bool ok = geodproc_start(&geod, seed, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    geod_up = ok && t_cur_fails == 0;
}

/* Prints the script's output indented, so that its own summary line is not the binary's. */
static void show(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f))
        printf("    %s", line);
    if (f)
        fclose(f);
}

static void test_browser(void)
{
    char url[64], out[] = "/tmp/geod-browser-XXXXXX";
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)geod.port);
    int fd = mkstemp(out);
    T_CHECK(fd >= 0);
    if (fd < 0)
        return;
    mkdir("build", 0755);
    mkdir(ARTIFACTS, 0755);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("node", "node", SCRIPT, url, USER, PASSWORD, ARTIFACTS, (char *)NULL);
        fprintf(stderr, "cannot run node: %s\n", strerror(errno));
        _exit(127);
    }
    close(fd);
    int st = 0;
    time_t until = time(NULL) + BROWSER_S;
    pid_t done = 0;
    while (pid > 0 && (done = waitpid(pid, &st, WNOHANG)) == 0 && time(NULL) < until)
        usleep(100 * 1000);
    if (pid > 0 && done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        T_CHECKF(false, "the browser test took longer than %d s", BROWSER_S);
    }
    show(out);
    char sb[32];
    T_CHECKF(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: %s", SCRIPT,
             geodproc_status_text(st, sb));
    struct stat shot;
    T_CHECKF(stat(ARTIFACTS "/tag.png", &shot) == 0 && shot.st_size > 10000,
             "no screenshot in " ARTIFACTS "/tag.png");
    unlink(out);
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

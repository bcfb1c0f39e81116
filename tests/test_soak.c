/* test_soak.c - the one-minute soak (tests/soak/run with SOAK_SECONDS=60: wrk over the public
 * endpoints against the release build/geod on the built-in data). Passes when the runner does,
 * and re-checks its figures here from build/soak/summary.txt and the raw samples in
 * build/soak/samples.txt (a second reading of the criteria): no non-2xx answer, no socket
 * error, RSS and open descriptors flat after warm-up, geod stopped cleanly. `make test` builds
 * build/geod and installs wrk first. */
#include "tests/t.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOAK_SECONDS "60"
#define RUN_LIMIT_S 300 /* the run, geod's start and stop included */

static long summary(const char *text, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\n%s=", key);
    const char *p = strstr(text, k);
    return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf + 1, 1, (1 << 20) - 2, f) : 0;
    fclose(f);
    if (buf)
        buf[0] = '\n'; /* so that the first key is found like the others */
    (void)n;
    return buf;
}

static int run_status = -1;

static void test_run(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("SOAK_SECONDS", SOAK_SECONDS, 1);
        execl("tests/soak/run", "tests/soak/run", (char *)NULL);
        _exit(127);
    }
    T_CHECK(pid > 0);
    int st = 0;
    time_t t0 = time(NULL);
    while (pid > 0) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (time(NULL) - t0 > RUN_LIMIT_S) {
            kill(pid, SIGTERM);
            waitpid(pid, &st, 0);
            T_CHECKF(false, "the soak ran over %d s", RUN_LIMIT_S);
            break;
        }
        sleep(1);
    }
    run_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    T_CHECKF(run_status == 0, "tests/soak/run exited %d (see build/soak/report.md)", run_status);
}

static void test_figures(void)
{
    char *s = slurp("build/soak/summary.txt");
    T_CHECKF(s, "no build/soak/summary.txt");
    if (!s)
        return;
    long req = summary(s, "requests"), non2xx = summary(s, "non_2xx"),
         sock = summary(s, "socket_errors"), rf = summary(s, "rss_first_max_kb"),
         rl = summary(s, "rss_last_max_kb"), ff = summary(s, "fd_first_max"),
         fl = summary(s, "fd_last_max"), gx = summary(s, "geod_exit");
    printf("  soak: %ld requests, RSS %ld -> %ld kB, descriptors %ld -> %ld\n", req, rf, rl, ff,
           fl);
    T_CHECKF(summary(s, "seconds") == atol(SOAK_SECONDS), "seconds %ld", summary(s, "seconds"));
    T_CHECKF(req > 1000, "%ld requests", req);
    T_CHECKF(non2xx == 0, "%ld non-2xx answers", non2xx);
    T_CHECKF(sock == 0, "%ld socket errors", sock);
    T_CHECKF(rf > 0 && rl > 0 && rl <= rf * 110 / 100 + 4096, "RSS %ld -> %ld kB", rf, rl);
    T_CHECKF(ff > 0 && fl <= ff + 2, "descriptors %ld -> %ld", ff, fl);
    T_CHECKF(gx == 0, "geod exited %ld after SIGTERM", gx);
    free(s);
}

/* The samples themselves: enough of them over the whole run, every one with a live process,
 * and the thirds recomputed here agree with the runner's. */
static void test_samples(void)
{
    FILE *f = fopen("build/soak/samples.txt", "r");
    T_CHECKF(f, "no build/soak/samples.txt");
    if (!f)
        return;
    long secs = atol(SOAK_SECONDS), warm = secs / 10 < 10 ? 10 : secs / 10;
    double third = (double)(secs - warm) / 3;
    long t, rss, fds, last_t = -1, rf = 0, rl = 0, ff = 0, fl = 0;
    int n = 0;
    while (fscanf(f, "%ld %ld %ld", &t, &rss, &fds) == 3) {
        T_CHECKF(t >= last_t && rss > 1000 && fds > 3, "sample %d: %ld s, %ld kB, %ld fds", n, t,
                 rss, fds);
        if (t >= warm && t < warm + third) {
            rf = rss > rf ? rss : rf;
            ff = fds > ff ? fds : ff;
        }
        if (t >= secs - third) {
            rl = rss > rl ? rss : rl;
            fl = fds > fl ? fds : fl;
        }
        last_t = t;
        n++;
    }
    fclose(f);
    T_CHECKF(n >= 15 && last_t >= secs - 5, "%d samples up to %ld s", n, last_t);
    char *s = slurp("build/soak/summary.txt");
    if (s) {
        T_CHECKF(summary(s, "rss_first_max_kb") == rf && summary(s, "rss_last_max_kb") == rl &&
                     summary(s, "fd_first_max") == ff && summary(s, "fd_last_max") == fl,
                 "the runner read %ld/%ld kB, %ld/%ld fds; the samples say %ld/%ld, %ld/%ld",
                 summary(s, "rss_first_max_kb"), summary(s, "rss_last_max_kb"),
                 summary(s, "fd_first_max"), summary(s, "fd_last_max"), rf, rl, ff, fl);
        free(s);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    /* a summary left by an earlier run must not pass for this one */
    unlink("build/soak/summary.txt");
    unlink("build/soak/samples.txt");
    T_RUN(test_run);
    T_RUN(test_figures);
    T_RUN(test_samples);
    return T_END();
}

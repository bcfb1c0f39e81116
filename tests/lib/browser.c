/* browser.c - see browser.h. */
#include "tests/lib/browser.h"
#include "tests/lib/geodproc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PLAYWRIGHT "tests/browser/node_modules/playwright-core/package.json"
#define CHROMIUM "/usr/bin/chromium"

bool browser_ready(char *why, size_t whylen)
{
    struct stat st;
    if (stat(CHROMIUM, &st) != 0)
        return snprintf(why, whylen, "%s is missing: make test installs it (browser-deps)",
                        CHROMIUM),
               false;
    if (stat(PLAYWRIGHT, &st) != 0)
        return snprintf(why, whylen, "%s is missing: make test runs npm ci (browser-deps)",
                        PLAYWRIGHT),
               false;
    return true;
}

/* Prints the script's output indented. */
static void show(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f))
        printf("    %s", line);
    if (f)
        fclose(f);
}

bool browser_run(const char *script, const char *const *args, int timeout_s, char *why,
                 size_t whylen)
{
    char out[] = "/tmp/geod-browser-XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0)
        return snprintf(why, whylen, "mkstemp: %s", strerror(errno)), false;
    mkdir("build", 0755);
    mkdir(BROWSER_ARTIFACTS, 0755);
    const char *argv[12] = {"node", script};
    int n = 2;
    for (int i = 0; args && args[i] && n < 11; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd, 1);
        dup2(fd, 2);
        execvp("node", (char *const *)argv);
        fprintf(stderr, "cannot run node: %s\n", strerror(errno));
        _exit(127);
    }
    close(fd);
    int st = 0;
    time_t until = time(NULL) + timeout_s;
    pid_t done = 0;
    while (pid > 0 && (done = waitpid(pid, &st, WNOHANG)) == 0 && time(NULL) < until)
        usleep(100 * 1000);
    bool late = pid > 0 && done == 0;
    if (late) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    show(out);
    unlink(out);
    char sb[32];
    if (pid < 0)
        return snprintf(why, whylen, "fork: %s", strerror(errno)), false;
    if (late)
        return snprintf(why, whylen, "%s took longer than %d s", script, timeout_s), false;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return snprintf(why, whylen, "%s: %s", script, geodproc_status_text(st, sb)), false;
    return true;
}

bool browser_screenshot(const char *name)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", BROWSER_ARTIFACTS, name);
    return stat(path, &st) == 0 && st.st_size > 10000;
}

uint16_t browser_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

bool browser_worker_store(char *dir, char *seed, size_t seedlen, const char *user,
                          const char *password, const char *district, char *why, size_t whylen)
{
    if (!mkdtemp(dir))
        return snprintf(why, whylen, "mkdtemp %s: %s", dir, strerror(errno)), false;
    snprintf(seed, seedlen, "%s/seed.sqlite", dir);
    setenv("GEOD_KDF_COST", "min", 1);
    const char *args[] = {"user", "add", user,  "--role", "worker", "--district",
                          district, "--db", seed,   NULL};
    char input[256];
    snprintf(input, sizeof input, "%s\n", password);
    int rc = 0;
    bool ran = geodproc_run_input(args, input, 60000, &rc, NULL, NULL, NULL);
    if (!ran || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0)
        return snprintf(why, whylen, "geod user add %s failed", user), false;
    return true;
}

/* geodproc.c - geod as a child process for the API tests (see geodproc.h). */
#include "tests/lib/geodproc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double geodproc_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

const char *geodproc_bin(void)
{
    const char *b = getenv("GEOD_BIN");
    return b && *b ? b : "build/asan/geod";
}

const char *geodproc_status_text(int wstatus, char buf[32])
{
    if (WIFEXITED(wstatus))
        snprintf(buf, 32, "exit %d", WEXITSTATUS(wstatus));
    else if (WIFSIGNALED(wstatus))
        snprintf(buf, 32, "signal %d", WTERMSIG(wstatus));
    else
        snprintf(buf, 32, "status 0x%x", (unsigned)wstatus);
    return buf;
}

/* In the child: die with the parent, then become geod with the given stdio. */
static void exec_child(pid_t parent, const char *const *argv, int in, int out, int err)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    signal(SIGPIPE, SIG_DFL); /* the test ignores it; geod must decide for itself */
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    execv(argv[0], (char *const *)argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Waits for pid until the deadline (geodproc_now() based); true with *wstatus if it exited. */
static bool wait_until(pid_t pid, double deadline, int *wstatus)
{
    for (;;) {
        pid_t r = waitpid(pid, wstatus, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
        if (geodproc_now() >= deadline)
            return false;
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
}

static bool copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = in >= 0 && out >= 0;
    char buf[65536];
    ssize_t n;
    while (ok && (n = read(in, buf, sizeof buf)) != 0)
        ok = n > 0 && write(out, buf, (size_t)n) == n;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        ok = false;
    return ok;
}

char *geodproc_stderr(const struct geodproc *g)
{
    FILE *f = fopen(g->stderr_path, "rb");
    char *s = NULL;
    size_t len = 0;
    if (f) {
        FILE *m = open_memstream(&s, &len);
        char buf[4096];
        size_t n;
        while (m && (n = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, n, m);
        if (m)
            fclose(m);
        fclose(f);
    }
    return s ? s : strdup("");
}

/* The last ~600 bytes of geod's stderr, for failure messages. */
static void stderr_tail(const struct geodproc *g, char *out, size_t outlen)
{
    char *s = geodproc_stderr(g);
    size_t n = s ? strlen(s) : 0;
    say(out, outlen, "%s", s ? (n > 600 ? s + n - 600 : s) : "");
    free(s);
}

/* Reads geod's stdout until the serving line; true with port and facilities set. */
static bool read_serving_line(struct geodproc *g, double deadline, char *err, size_t errlen)
{
    char line[1024];
    size_t len = 0;
    for (;;) {
        char *nl = memchr(line, '\n', len);
        if (nl) {
            *nl = '\0';
            unsigned port;
            size_t n;
            /* http:// or, with --tls-cert, https:// */
            if ((sscanf(line, "geod: serving %zu facilities at http://127.0.0.1:%u/", &n, &port) ==
                     2 ||
                 sscanf(line, "geod: serving %zu facilities at https://127.0.0.1:%u/", &n, &port) ==
                     2) &&
                port > 0 && port < 65536) {
                g->port = (uint16_t)port;
                g->facilities = n;
                return true;
            }
            size_t rest = len - (size_t)(nl + 1 - line);
            memmove(line, nl + 1, rest);
            len = rest;
            continue;
        }
        if (len == sizeof line) {
            say(err, errlen, "geod wrote a stdout line longer than %zu bytes", sizeof line);
            return false;
        }
        double left = deadline - geodproc_now();
        struct pollfd p = {.fd = g->out_fd, .events = POLLIN};
        int r = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            say(err, errlen, "no serving line from geod within the time allowed");
            return false;
        }
        ssize_t n = read(g->out_fd, line + len, sizeof line - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            say(err, errlen, "geod closed its stdout without a serving line");
            return false;
        }
        len += (size_t)n;
    }
}

bool geodproc_start(struct geodproc *g, const char *seed_db, int timeout_ms, char *err,
                    size_t errlen)
{
    return geodproc_start_args(g, seed_db, NULL, timeout_ms, err, errlen);
}

bool geodproc_start_args(struct geodproc *g, const char *seed_db, const char *const *extra,
                         int timeout_ms, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->out_fd = -1;
    snprintf(g->dir, sizeof g->dir, "/tmp/geod-test-XXXXXX");
    if (!mkdtemp(g->dir)) {
        say(err, errlen, "mkdtemp: %s", strerror(errno));
        g->dir[0] = '\0';
        return false;
    }
    snprintf(g->db, sizeof g->db, "%s/geod.sqlite", g->dir);
    snprintf(g->stderr_path, sizeof g->stderr_path, "%s/stderr.txt", g->dir);
    if (seed_db && !copy_file(seed_db, g->db)) {
        say(err, errlen, "cannot copy %s to %s: %s", seed_db, g->db, strerror(errno));
        return false;
    }
    int pipefd[2];
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int errfd = open(g->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in < 0 || errfd < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        say(err, errlen, "cannot set up geod's stdio: %s", strerror(errno));
        if (in >= 0)
            close(in);
        if (errfd >= 0)
            close(errfd);
        return false;
    }
    /* no rate limit unless a test asks for one (a later --rate-limit in extra wins): the tests
     * query far faster than any citizen */
    const char *argv[40] = {geodproc_bin(), "serve",       "--db",      g->db,
                            "--listen",     "127.0.0.1:0", "--threads", "2",
                            "--rate-limit", "0",           NULL};
    for (size_t i = 10, k = 0; extra && extra[k] && i < 39; i++, k++)
        argv[i] = extra[k];
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(parent, argv, in, pipefd[1], errfd);
    close(in);
    close(errfd);
    close(pipefd[1]);
    g->out_fd = pipefd[0];
    if (pid < 0) {
        say(err, errlen, "fork: %s", strerror(errno));
        close(g->out_fd);
        g->out_fd = -1;
        return false;
    }
    g->pid = pid;
    char why[256];
    if (read_serving_line(g, geodproc_now() + timeout_ms / 1000.0, why, sizeof why))
        return true;
    int st = 0;
    char stb[32], tail[640];
    bool exited = wait_until(pid, geodproc_now() + 0.5, &st);
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    g->pid = 0;
    close(g->out_fd);
    g->out_fd = -1;
    stderr_tail(g, tail, sizeof tail);
    say(err, errlen, "%s (geod %s; %s in %s); its stderr ends:\n%s", why,
        exited ? geodproc_status_text(st, stb) : "killed", argv[0], g->dir, tail);
    return false;
}

void geodproc_signal(struct geodproc *g, int sig)
{
    g->signalled = geodproc_now();
    if (g->pid)
        kill(g->pid, sig);
}

bool geodproc_wait(struct geodproc *g, int timeout_ms, int *wstatus, double *seconds)
{
    *wstatus = 0;
    if (seconds)
        *seconds = 0;
    if (!g->pid)
        return false;
    bool ok = wait_until(g->pid, geodproc_now() + timeout_ms / 1000.0, wstatus);
    if (!ok) {
        kill(g->pid, SIGKILL);
        waitpid(g->pid, wstatus, 0);
    }
    if (seconds)
        *seconds = geodproc_now() - g->signalled;
    g->pid = 0;
    if (g->out_fd >= 0)
        close(g->out_fd);
    g->out_fd = -1;
    return ok;
}

bool geodproc_stop(struct geodproc *g, int timeout_ms, int *wstatus, double *seconds)
{
    geodproc_signal(g, SIGTERM);
    return geodproc_wait(g, timeout_ms, wstatus, seconds);
}

void geodproc_kill(struct geodproc *g)
{
    if (g->pid) {
        int st;
        kill(g->pid, SIGKILL);
        waitpid(g->pid, &st, 0);
        g->pid = 0;
    }
    if (g->out_fd >= 0)
        close(g->out_fd);
    g->out_fd = -1;
}

void geodproc_cleanup(struct geodproc *g)
{
    geodproc_kill(g);
    if (!g->dir[0])
        return;
    DIR *d = opendir(g->dir);
    if (d) {
        struct dirent *e;
        char p[PATH_MAX];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", g->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g->dir);
    g->dir[0] = '\0';
}

const char *geodproc_sanitizer_report(const char *log)
{
    static const char *const marks[] = {"ERROR: AddressSanitizer",
                                        "runtime error:", "LeakSanitizer", "ThreadSanitizer", NULL};
    const char *first = NULL;
    for (const char *const *m = marks; *m; m++) {
        const char *p = strstr(log, *m);
        if (p && (!first || p < first))
            first = p;
    }
    if (!first)
        return NULL;
    while (first > log && first[-1] != '\n')
        first--;
    return first;
}

bool geodproc_log_ok(const char *log, bool stopped, char *why, size_t whylen)
{
    static const char lsan_table[] = "-----------------------------------------------------\n"
                                     "Suppressions used:";
    static const char end[] = "geod: stopped\n";
    const char *report = geodproc_sanitizer_report(log);
    if (report) {
        say(why, whylen, "sanitizer report: %.400s", report);
        return false;
    }
    const char *table = strstr(log, lsan_table);
    size_t n = table ? (size_t)(table - log) : strlen(log);
    if (stopped &&
        (n < sizeof end - 1 || memcmp(log + n - (sizeof end - 1), end, sizeof end - 1))) {
        say(why, whylen, "does not end with \"geod: stopped\": ...%.300s",
            n > 300 ? log + n - 300 : log);
        return false;
    }
    return true;
}

int geodproc_message_lines(const char *log)
{
    int lines = 0;
    for (const char *p = log; *p;) {
        const char *nl = strchr(p, '\n');
        if (strncmp(p, "geod: loaded ", 13) && strncmp(p, "geod: created ", 14))
            lines++;
        p = nl ? nl + 1 : p + strlen(p);
    }
    return lines;
}

bool geodproc_run(const char *const *args, int timeout_ms, int *wstatus, char **out, char **err,
                  double *seconds)
{
    return geodproc_run_input(args, NULL, timeout_ms, wstatus, out, err, seconds);
}

/* A file descriptor reading input (a memfd), or /dev/null for NULL; -1 on failure. */
static int input_fd(const char *input)
{
    if (!input)
        return open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd = memfd_create("geod-stdin", MFD_CLOEXEC);
    size_t n = strlen(input);
    if (fd < 0 || write(fd, input, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

bool geodproc_run_input(const char *const *args, const char *input, int timeout_ms, int *wstatus,
                        char **out, char **err, double *seconds)
{
    const char *argv[32] = {geodproc_bin()};
    size_t argc = 1;
    for (; args[argc - 1] && argc < 31; argc++)
        argv[argc] = args[argc - 1];
    argv[argc] = NULL;
    *wstatus = 0;
    int po[2], pe[2];
    int in = input_fd(input);
    if (in < 0 || pipe2(po, O_CLOEXEC) != 0) {
        if (in >= 0)
            close(in);
        return false;
    }
    if (pipe2(pe, O_CLOEXEC) != 0) {
        close(in);
        close(po[0]);
        close(po[1]);
        return false;
    }
    double t0 = geodproc_now(), deadline = t0 + timeout_ms / 1000.0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(parent, argv, in, po[1], pe[1]);
    close(in);
    close(po[1]);
    close(pe[1]);
    char *text[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    FILE *m[2] = {open_memstream(&text[0], &len[0]), open_memstream(&text[1], &len[1])};
    int fds[2] = {po[0], pe[0]};
    bool killed = false;
    while (pid > 0 && (fds[0] >= 0 || fds[1] >= 0)) {
        struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
        double left = deadline - geodproc_now();
        int r = left > 0 ? poll(p, 2, (int)(left * 1000) + 1) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            killed = true;
            kill(pid, SIGKILL);
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i] < 0 || !p[i].revents)
                continue;
            char buf[4096];
            ssize_t n = read(fds[i], buf, sizeof buf);
            if (n > 0 && m[i])
                fwrite(buf, 1, (size_t)n, m[i]);
            else if (n == 0 || (n < 0 && errno != EINTR)) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        if (m[i])
            fclose(m[i]);
    }
    if (pid > 0 && !killed && !wait_until(pid, deadline, wstatus)) {
        killed = true;
        kill(pid, SIGKILL);
    }
    if (pid > 0 && killed)
        waitpid(pid, wstatus, 0);
    if (seconds)
        *seconds = geodproc_now() - t0;
    char **dst[2] = {out, err};
    for (int i = 0; i < 2; i++) {
        if (dst[i])
            *dst[i] = text[i] ? text[i] : strdup("");
        else
            free(text[i]);
    }
    return pid > 0 && !killed;
}

bool geodproc_stop_clean(struct geodproc *g, char *why, size_t whylen)
{
    int st;
    char sb[32];
    bool exited = geodproc_stop(g, 10000, &st, NULL);
    if (!exited || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return snprintf(why, whylen, "geod after SIGTERM: %s",
                        exited ? geodproc_status_text(st, sb) : "killed"),
               false;
    char *log = geodproc_stderr(g);
    char lwhy[400];
    bool ok = geodproc_log_ok(log, true, lwhy, sizeof lwhy);
    free(log);
    if (!ok)
        snprintf(why, whylen, "geod's stderr: %s", lwhy);
    return ok;
}

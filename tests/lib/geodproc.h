/* geodproc.h - the geod binary under test ($GEOD_BIN, else build/asan/geod) as a child process:
 * `geod serve` in a fresh mkdtemp directory on a port the kernel picks, learnt from geod's
 * "geod: serving N facilities at http://127.0.0.1:PORT/ ..." line (https:// with TLS); stopped with SIGTERM; and
 * one-shot runs of other command lines. A child dies with the test process (PR_SET_PDEATHSIG),
 * so a test that crashes or fails early never leaves a server behind. */
#ifndef GEOD_TEST_GEODPROC_H
#define GEOD_TEST_GEODPROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct geodproc {
    pid_t pid;                  /* 0 when not running */
    uint16_t port;              /* from the serving line */
    size_t facilities;          /* N from the serving line */
    char dir[64];               /* the mkdtemp directory, "" before start */
    char db[PATH_MAX];          /* DIR/geod.sqlite */
    char stderr_path[PATH_MAX]; /* DIR/stderr.txt: everything geod wrote to stderr */
    int out_fd;                 /* read end of geod's stdout, -1 when closed */
    double signalled;           /* when geodproc_signal last sent a signal (monotonic seconds) */
};

/* The geod binary to test. */
const char *geodproc_bin(void);

/* Monotonic seconds, the clock geodproc_wait measures with. */
double geodproc_now(void);

/* Starts `geod serve --db DIR/geod.sqlite --listen 127.0.0.1:0 --threads 2 --rate-limit 0` (no
 * rate limit: tests query far faster than any citizen) in a new directory
 * (with seed_db copied there first when not NULL, so no store is created) and waits up to
 * timeout_ms for the serving line. On failure kills what it started, writes why (with the tail
 * of geod's stderr) to err and returns false; g->dir is kept for a look. */
bool geodproc_start(struct geodproc *g, const char *seed_db, int timeout_ms, char *err,
                    size_t errlen);

/* The same with more arguments after the usual ones (extra NULL-terminated, may be NULL), e.g.
 * {"--auth", "session_idle=3", NULL}. */
bool geodproc_start_args(struct geodproc *g, const char *seed_db, const char *const *extra,
                         int timeout_ms, char *err, size_t errlen);

/* Sends sig (e.g. SIGTERM) to the running geod, noting the time for geodproc_wait. */
void geodproc_signal(struct geodproc *g, int sig);

/* Waits up to timeout_ms for geod to exit, SIGKILL after that. *wstatus gets the wait status
 * and *seconds (may be NULL) the time since the last geodproc_signal. False if it had to be
 * killed (or was not running). */
bool geodproc_wait(struct geodproc *g, int timeout_ms, int *wstatus, double *seconds);

/* geodproc_signal(SIGTERM), then geodproc_wait. */
bool geodproc_stop(struct geodproc *g, int timeout_ms, int *wstatus, double *seconds);

/* SIGKILL and reap, if running. */
void geodproc_kill(struct geodproc *g);

/* geod's stderr so far, malloc'ed and NUL-terminated ("" if unreadable). */
char *geodproc_stderr(const struct geodproc *g);

/* Removes the directory and what geod left in it. */
void geodproc_cleanup(struct geodproc *g);

/* The first sanitizer report line in log ("ERROR: AddressSanitizer", "runtime error:",
 * "LeakSanitizer", "ThreadSanitizer"), or NULL. */
const char *geodproc_sanitizer_report(const char *log);

/* Is a geod stderr log clean: no sanitizer report, and when stopped ending with
 * "geod: stopped" (LeakSanitizer's table of used suppressions after it aside, which it prints
 * unless print_suppressions=0)? False with why (whylen bytes) set. */
bool geodproc_log_ok(const char *log, bool stopped, char *why, size_t whylen);

/* The lines of log other than the progress lines of a starting serve ("geod: loaded ...",
 * "geod: created ..."): what a failure has to say. */
int geodproc_message_lines(const char *log);

/* Runs `geod args...` (args NULL-terminated, without the program) with stdin from /dev/null,
 * capturing stdout and stderr into malloc'ed strings (out, err may be NULL), for up to
 * timeout_ms (then SIGKILL). *wstatus gets the wait status, *seconds (may be NULL) the run time.
 * False if it could not be started or had to be killed. */
bool geodproc_run(const char *const *args, int timeout_ms, int *wstatus, char **out, char **err,
                  double *seconds);

/* geodproc_run with input[0..strlen) as stdin instead of /dev/null. */
bool geodproc_run_input(const char *const *args, const char *input, int timeout_ms, int *wstatus,
                        char **out, char **err, double *seconds);

/* SIGTERM to g: it must exit 0 within 10 s with a clean log ("geod: stopped", no sanitizer
 * report). False with why. */
bool geodproc_stop_clean(struct geodproc *g, char *why, size_t whylen);

/* "exit 0", "signal 9", ... for a wait status, written to buf. */
const char *geodproc_status_text(int wstatus, char buf[32]);

#endif

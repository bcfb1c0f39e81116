/* t.h - the smallest test harness that does the job: a test is a `static void f(void)` that
 * calls T_CHECK*; T_RUN runs it and reports "ok"/"FAIL"; T_END prints "N passed, N failed" for
 * the binary's test functions and is the process exit status. tests/run sums the binaries.
 * Test data paths are relative to the repository root (tests/run starts binaries there). */
#ifndef GEOD_T_H
#define GEOD_T_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_passed, t_failed, t_cur_fails, t_reports;

#define T_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            t_fail_(__FILE__, __LINE__, "%s", #cond);                                              \
    } while (0)

/* Like T_CHECK, with a printf-style explanation of what was seen. */
#define T_CHECKF(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond))                                                                               \
            t_fail_(__FILE__, __LINE__, __VA_ARGS__);                                              \
    } while (0)

#define T_RUN(fn)                                                                                  \
    do {                                                                                           \
        t_cur_fails = 0;                                                                           \
        t_reports = 0;                                                                             \
        fn();                                                                                      \
        if (t_cur_fails) {                                                                         \
            t_failed++;                                                                            \
            printf("FAIL %s (%d failed checks)\n", #fn, t_cur_fails);                              \
        } else {                                                                                   \
            t_passed++;                                                                            \
            printf("ok   %s\n", #fn);                                                              \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

#define T_END()                                                                                    \
    (printf("%d passed, %d failed\n", t_passed, t_failed), fflush(stdout), t_failed ? 1 : 0)

__attribute__((format(printf, 3, 4))) static void t_fail_(const char *file, int line,
                                                          const char *fmt, ...);

#include <stdarg.h>
static void t_fail_(const char *file, int line, const char *fmt, ...)
{
    t_cur_fails++;
    if (++t_reports > 20) /* a broken loop should not drown the log */
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("  %s:%d: ", file, line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

#endif

/* test_log.c - geod's diagnostic lines (data/log.c) through a real geod (the sanitized build,
 * $GEOD_BIN): started and stopped at each --log-level, in text and in JSON lines. The oracle is
 * a run at debug in JSON, whose lines say their level: a run at level L shows exactly the lines
 * of levels up to L (compared with their numbers taken out), and some lines are pinned to their
 * level by hand (the options line is debug, the weak-hash warning warn, "loaded" and "stopped"
 * info, a port in use error). */
#include "tests/lib/geodproc.h"
#include "tests/t.h"

#include <ctype.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define START_MS 60000
#define MAX_KINDS 64

static const char *const levels[] = {"error", "warn", "info", "debug"};

/* A line's message with its digits and paths taken out (timings, counts, ports and the
 * temporary directories vary between runs). */
struct kinds {
    char msg[MAX_KINDS][256];
    int level[MAX_KINDS];
    int n;
};

static void add_kind(struct kinds *k, const char *msg, int level)
{
    char m[256];
    size_t j = 0;
    for (size_t i = 0; msg[i] && j < sizeof m - 1; i++) {
        if (msg[i] == '/' && (i == 0 || msg[i - 1] == ' ')) {
            while (msg[i + 1] && msg[i + 1] != ' ' && msg[i + 1] != ',')
                i++;
            m[j++] = '/';
        } else if (!isdigit((unsigned char)msg[i])) {
            m[j++] = msg[i];
        }
    }
    m[j] = '\0';
    for (int i = 0; i < k->n; i++)
        if (strcmp(k->msg[i], m) == 0)
            return;
    if (k->n < MAX_KINDS) {
        snprintf(k->msg[k->n], sizeof k->msg[0], "%s", m);
        k->level[k->n++] = level;
    }
}

static int find_kind(const struct kinds *k, const char *prefix)
{
    for (int i = 0; i < k->n; i++)
        if (strncmp(k->msg[i], prefix, strlen(prefix)) == 0)
            return i;
    return -1;
}

static int level_of(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(levels[i], name) == 0)
            return i;
    return -1;
}

/* Starts geod with --log-level level --log-format format, stops it, and returns its stderr. */
static char *run(const char *level, const char *format)
{
    struct geodproc g = {0};
    char err[1024];
    const char *extra[] = {"--log-level", level, "--log-format", format, NULL};
    bool ok = geodproc_start_args(&g, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod --log-level %s --log-format %s did not start: %s", level, format, err);
    int st;
    T_CHECK(ok && geodproc_stop(&g, 10000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *log = geodproc_stderr(&g);
    const char *san = geodproc_sanitizer_report(log);
    T_CHECKF(!san, "sanitizer: %s", san);
    geodproc_cleanup(&g);
    return log;
}

static struct kinds oracle;

/* The debug run in JSON: every line a JSON object with time, level and msg. */
static void test_json_debug(void)
{
    char *log = run("debug", "json");
    int lines = 0;
    for (char *p = log, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl)
            nl = p + strlen(p) - 1;
        *nl = '\0';
        json_error_t je;
        json_t *j = json_loads(p, 0, &je);
        const char *t = json_string_value(json_object_get(j, "time"));
        const char *l = json_string_value(json_object_get(j, "level"));
        const char *m = json_string_value(json_object_get(j, "msg"));
        T_CHECKF(j && json_object_size(j) == 3 && t && strlen(t) == 24 && t[10] == 'T' &&
                     t[23] == 'Z' && l && level_of(l) >= 0 && m && *m,
                 "not a log line: %s", p);
        if (l && m && level_of(l) >= 0)
            add_kind(&oracle, m, level_of(l));
        json_decref(j);
        lines++;
    }
    free(log);
    /* some lines pinned by hand */
    static const struct {
        const char *prefix;
        int level;
    } pinned[] = {{"options: db", 3},       {"event loop  of  serving", 3},
                  {"GEOD_KDF_COST=min", 1}, {"loaded  facilities", 2},
                  {"SIGTERM received", 2},  {"stopped", 2}};
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        int k = find_kind(&oracle, pinned[i].prefix);
        T_CHECKF(k >= 0 && oracle.level[k] == pinned[i].level, "\"%s\": %s at %s", pinned[i].prefix,
                 k >= 0 ? "logged" : "not logged", k >= 0 ? levels[oracle.level[k]] : "-");
    }
    T_CHECKF(lines >= 6, "%d lines", lines);
}

/* Each level in text: exactly the oracle's lines up to that level, each as "geod: msg". */
static void test_text_levels(void)
{
    for (int lv = 0; lv < 4; lv++) {
        char *log = run(levels[lv], "text");
        struct kinds got = {0};
        for (char *p = log, *nl; *p; p = nl + 1) {
            nl = strchr(p, '\n');
            if (!nl)
                nl = p + strlen(p) - 1;
            *nl = '\0';
            T_CHECKF(strncmp(p, "geod: ", 6) == 0, "--log-level %s: %s", levels[lv], p);
            add_kind(&got, strncmp(p, "geod: ", 6) == 0 ? p + 6 : p, -1);
        }
        for (int i = 0; i < oracle.n; i++) {
            bool want = oracle.level[i] <= lv, has = find_kind(&got, oracle.msg[i]) >= 0;
            /* "draining" and reload lines depend on timing: only refuse them above the level */
            bool timing =
                strstr(oracle.msg[i], "draining") || strstr(oracle.msg[i], "data version");
            T_CHECKF(has == want || (timing && !has), "--log-level %s: \"%s\" (%s) %s", levels[lv],
                     oracle.msg[i], levels[oracle.level[i]], has ? "shown" : "missing");
        }
        for (int i = 0; i < got.n; i++)
            T_CHECKF(find_kind(&oracle, got.msg[i]) >= 0, "--log-level %s: unexpected \"%s\"",
                     levels[lv], got.msg[i]);
        free(log);
    }
}

/* An error at startup shows at every level, as one line: a port in use. */
static void test_error_level(void)
{
    struct geodproc g = {0};
    char err[1024];
    bool ok = geodproc_start(&g, NULL, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)g.port);
    for (int f = 0; ok && f < 2; f++) {
        const char *args[] = {"serve",       "--db",  g.db,           "--listen",          listen,
                              "--log-level", "error", "--log-format", f ? "json" : "text", NULL};
        int st = 0;
        char *e = NULL;
        bool ran = geodproc_run(args, 60000, &st, NULL, &e, NULL);
        const char *s = e ? e : "";
        size_t lines = 0;
        for (const char *p = s; *p; p++)
            lines += *p == '\n';
        bool shape = f ? strncmp(s, "{\"time\":", 8) == 0 && strstr(s, "\"level\":\"error\"")
                       : strncmp(s, "geod: ", 6) == 0;
        T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == 1 && lines == 1 && shape &&
                     strstr(s, "cannot listen"),
                 "port in use at --log-level error (%s): status %d: %s", f ? "json" : "text", st,
                 s);
        free(e);
    }
    int st;
    geodproc_stop(&g, 10000, &st, NULL);
    geodproc_cleanup(&g);
}

static void test_bad_options(void)
{
    const char *const bad[][2] = {{"--log-level", "verbose"}, {"--log-format", "xml"}};
    for (int i = 0; i < 2; i++) {
        const char *args[] = {"serve",   "--db",    "/nonexistent/geod.sqlite",
                              bad[i][0], bad[i][1], NULL};
        int st = 0;
        char *e = NULL;
        bool ran = geodproc_run(args, 20000, &st, NULL, &e, NULL);
        T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == 2 && e && strstr(e, bad[i][0]) &&
                     strstr(e, bad[i][1]),
                 "%s %s: status %d: %s", bad[i][0], bad[i][1], st, e ? e : "");
        free(e);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    setenv("GEOD_KDF_COST", "min", 1); /* a warn line at start */
    T_RUN(test_json_debug);
    T_RUN(test_text_levels);
    T_RUN(test_error_level);
    T_RUN(test_bad_options);
    return T_END();
}

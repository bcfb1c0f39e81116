/* test_config.c - the `geod serve --config FILE` format (geod/config.c) and its use by a real
 * geod (the sanitized build, $GEOD_BIN): the items parsed from files whose items are written
 * here by hand (the oracle), errors with their line numbers; then a geod whose CORS origin,
 * access log and log level come from the file, with command-line options overriding the file
 * (a repeatable option's list replaced, not extended); and one stderr line
 * "geod: config FILE:LINE: ..." naming the key and the value, with exit 2, for every bad file. */
#include "geod/config.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define START_MS 60000
#define REQUEST_MS 10000

static struct scratch sc;

struct got {
    char items[16][2][128];
    unsigned lines[16];
    int n;
};

static bool collect(void *ctx, const struct config_item *it, char *err, size_t errlen)
{
    struct got *g = ctx;
    if (g->n >= 16)
        return false;
    snprintf(g->items[g->n][0], 128, "%s", it->key);
    snprintf(g->items[g->n][1], 128, "%s", it->value);
    g->lines[g->n++] = it->line;
    return true;
}

/* Parses text (len bytes); the items or the failing line. */
static bool parse(const char *text, size_t len, struct got *g, unsigned *line, char *err)
{
    char *buf = malloc(len + 1);
    memcpy(buf, text, len);
    memset(g, 0, sizeof *g);
    bool ok = config_parse(buf, len, collect, g, line, err, 256);
    free(buf);
    return ok;
}

static void test_format(void)
{
    static const char text[] = "# geod\n"
                               "listen = 127.0.0.1:9000\n"
                               "\n"
                               "  db=/var/lib/geod/geod.sqlite  \r\n"
                               "\t# indented comment\n"
                               "cors-origin = https://a.example.cn\n"
                               "access-log = /var/log/geod#1.log\n"
                               "auth = session_idle=60";
    static const char *const want[][2] = {{"listen", "127.0.0.1:9000"},
                                          {"db", "/var/lib/geod/geod.sqlite"},
                                          {"cors-origin", "https://a.example.cn"},
                                          {"access-log", "/var/log/geod#1.log"},
                                          {"auth", "session_idle=60"}};
    static const unsigned want_lines[] = {2, 4, 6, 7, 8};
    struct got g;
    unsigned line;
    char err[256] = "";
    T_CHECKF(parse(text, sizeof text - 1, &g, &line, err), "line %u: %s", line, err);
    T_CHECKF(g.n == 5, "%d items", g.n);
    for (int i = 0; i < 5 && i < g.n; i++)
        T_CHECKF(strcmp(g.items[i][0], want[i][0]) == 0 && strcmp(g.items[i][1], want[i][1]) == 0 &&
                     g.lines[i] == want_lines[i],
                 "item %d: \"%s\" = \"%s\" on line %u", i, g.items[i][0], g.items[i][1],
                 g.lines[i]);
    T_CHECK(parse("", 0, &g, &line, err) && g.n == 0);
    T_CHECK(parse("\n\n# only comments\n", 18, &g, &line, err) && g.n == 0);
}

static void test_format_errors(void)
{
    static const struct {
        const char *text;
        size_t len;
        unsigned line;
        const char *says;
    } bad[] = {
        {"a = 1\nlisten\n", 13, 2, "not key = value"}, {"a = 1\n\n = 2\n", 11, 3, "not a key"},
        {"threads =   \n", 13, 1, "no value"},         {"a b = 1\n", 8, 1, "not a key"},
        {"a = 1\nb = x\0y\n", 14, 2, "NUL"},           {"a = 1\rb\n", 8, 1, "control character"},
        {"k\xc3\xa9y = 1\n", 9, 1, "not a key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct got g;
        unsigned line = 0;
        char err[256] = "";
        bool ok = parse(bad[i].text, bad[i].len, &g, &line, err);
        T_CHECKF(!ok && line == bad[i].line && strstr(err, bad[i].says),
                 "case %zu: %s, line %u: %s", i, ok ? "accepted" : "refused", line, err);
    }
    /* a line just at the limit passes, one byte more fails */
    char *big = malloc(CONFIG_LINE_MAX + 8);
    memcpy(big, "k = ", 4);
    memset(big + 4, 'v', CONFIG_LINE_MAX - 4);
    struct got g;
    unsigned line;
    char err[256];
    T_CHECK(parse(big, CONFIG_LINE_MAX, &g, &line, err) && g.n == 1);
    big[CONFIG_LINE_MAX] = 'v';
    T_CHECK(!parse(big, CONFIG_LINE_MAX + 1, &g, &line, err) && line == 1);
    free(big);
}

static void write_file(const char *name, const char *text, char *path, size_t cap)
{
    scratch_path(&sc, path, cap, name);
    T_CHECKF(scratch_spit(path, text, strlen(text)), "cannot write %s", path);
}

/* `geod serve --config FILE`: exits 2 with exactly one stderr line that holds every string of
 * `says` (NULL-terminated). */
static void expect_refusal(const char *name, const char *text, const char *const *says,
                           const char *const *more)
{
    char path[256];
    write_file(name, text, path, sizeof path);
    const char *args[12] = {"serve", "--db", "/nonexistent/geod.sqlite", "--config", path};
    int n = 5;
    for (; more && *more && n < 11; more++)
        args[n++] = *more;
    args[n] = NULL;
    int st = 0;
    char *err = NULL;
    bool ran = geodproc_run(args, 20000, &st, NULL, &err, NULL);
    const char *e = err ? err : "";
    size_t lines = 0;
    for (const char *p = e; *p; p++)
        lines += *p == '\n';
    bool all = true;
    for (int i = 0; says[i]; i++)
        all = all && strstr(e, says[i]);
    T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == 2 && lines == 1 && all,
             "%s: status %d, %zu lines: %s", name, st, lines, e);
    free(err);
}

static void test_bad_files(void)
{
    char prefix[300];
    scratch_path(&sc, prefix, sizeof prefix, "bad-value.conf");
    char where[400];
    snprintf(where, sizeof where, "geod: config %s:3: threads = 0", prefix);
    expect_refusal("bad-value.conf", "# geod\nlisten = 127.0.0.1:0\nthreads = 0\n",
                   (const char *const[]){where, "1 to 256", NULL}, NULL);
    scratch_path(&sc, prefix, sizeof prefix, "unknown.conf");
    snprintf(where, sizeof where, "geod: config %s:2: unknown key colour", prefix);
    expect_refusal("unknown.conf", "threads = 2\ncolour = blue\n",
                   (const char *const[]){where, "blue", NULL}, NULL);
    scratch_path(&sc, prefix, sizeof prefix, "listen.conf");
    snprintf(where, sizeof where, "geod: config %s:1: listen = nowhere", prefix);
    expect_refusal("listen.conf", "listen = nowhere\n",
                   (const char *const[]){where, "HOST:PORT", NULL}, NULL);
    scratch_path(&sc, prefix, sizeof prefix, "tls.conf");
    snprintf(where, sizeof where, "geod: config %s:1: tls-cert = /nonexistent/cert.pem", prefix);
    expect_refusal("tls.conf", "tls-cert = /nonexistent/cert.pem\n",
                   (const char *const[]){where, "No such file", NULL}, NULL);
    scratch_path(&sc, prefix, sizeof prefix, "level.conf");
    snprintf(where, sizeof where, "geod: config %s:1: log-level = loud", prefix);
    expect_refusal("level.conf", "log-level = loud\n",
                   (const char *const[]){where, "error, warn, info or debug", NULL}, NULL);
    scratch_path(&sc, prefix, sizeof prefix, "syntax.conf");
    snprintf(where, sizeof where, "geod: config %s:2: ", prefix);
    expect_refusal("syntax.conf", "threads = 2\nthreads\n",
                   (const char *const[]){where, "key = value", NULL}, NULL);
    scratch_path(&sc, prefix, sizeof prefix, "cors.conf");
    snprintf(where, sizeof where, "geod: config %s:1: cors-origin = portal.example.cn", prefix);
    expect_refusal("cors.conf", "cors-origin = portal.example.cn\n",
                   (const char *const[]){where, NULL}, NULL);
    /* the file is read, and refused, even when the command line would fix the value */
    scratch_path(&sc, prefix, sizeof prefix, "override.conf");
    snprintf(where, sizeof where, "geod: config %s:1: threads = many", prefix);
    expect_refusal("override.conf", "threads = many\n", (const char *const[]){where, NULL},
                   (const char *const[]){"--threads", "2", NULL});
    /* a file that is not there */
    const char *args[] = {"serve", "--config", "/nonexistent/geod.conf", NULL};
    int st = 0;
    char *err = NULL;
    bool ran = geodproc_run(args, 20000, &st, NULL, &err, NULL);
    T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == 2 && err &&
                 strstr(err, "geod: config /nonexistent/geod.conf: No such file") &&
                 strchr(err, '\n') == err + strlen(err) - 1,
             "missing file: status %d: %s", st, err ? err : "");
    free(err);
}

static bool origin_allowed(struct http_client *c, const char *origin)
{
    char h[256];
    snprintf(h, sizeof h, "Origin: %s\r\n", origin);
    struct http_resp r = {0};
    bool ok = http_get(c, "/healthz", h, &r) == HTTP_OK && r.status == 200 &&
              http_header(&r, "Access-Control-Allow-Origin") &&
              strcmp(http_header(&r, "Access-Control-Allow-Origin"), origin) == 0;
    http_resp_free(&r);
    return ok;
}

/* The file's settings take effect; the command line's win. */
static void test_serve_with_file(void)
{
    char conf[256], log_path[256], text[1024], err[1024];
    scratch_path(&sc, log_path, sizeof log_path, "access.log");
    snprintf(text, sizeof text,
             "# from the file\n"
             "cors-origin = https://file-a.example.cn\n"
             "cors-origin = https://file-b.example.cn\n"
             "access-log = %s\n"
             "log-level = debug\n"
             "rate-limit = 1,1\n",
             log_path);
    write_file("serve.conf", text, conf, sizeof conf);

    /* the file alone (geodproc's --rate-limit 0 overrides its rate limit) */
    struct geodproc g = {0};
    const char *extra[] = {"--config", conf, NULL};
    bool up = geodproc_start_args(&g, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    struct http_client *c = up ? http_client_new(g.port, true, REQUEST_MS) : NULL;
    if (c) {
        T_CHECK(origin_allowed(c, "https://file-a.example.cn"));
        T_CHECK(origin_allowed(c, "https://file-b.example.cn"));
        T_CHECK(!origin_allowed(c, "https://cli.example.cn"));
        /* a rate limit of 1,1 from the file would refuse the second of these */
        for (int i = 0; i < 20; i++)
            T_CHECKF(origin_allowed(c, "https://file-a.example.cn"), "request %d refused", i);
    }
    http_client_free(c);
    int st;
    T_CHECK(geodproc_stop(&g, 10000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *log = geodproc_stderr(&g);
    T_CHECKF(strstr(log, "geod: options: "), "no debug line (log-level = debug): %s", log);
    free(log);
    size_t len = 0;
    char *alog = scratch_slurp(log_path, &len);
    T_CHECKF(alog && strstr(alog, "\"/healthz\""), "no access log at %s from the file", log_path);
    free(alog);
    geodproc_cleanup(&g);

    /* the command line's cors-origin replaces the file's list; its log level the file's */
    struct geodproc g2 = {0};
    const char *extra2[] = {
        "--config", conf, "--cors-origin", "https://cli.example.cn", "--log-level", "info", NULL};
    up = geodproc_start_args(&g2, NULL, extra2, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    c = up ? http_client_new(g2.port, true, REQUEST_MS) : NULL;
    if (c) {
        T_CHECK(origin_allowed(c, "https://cli.example.cn"));
        T_CHECK(!origin_allowed(c, "https://file-a.example.cn"));
        T_CHECK(!origin_allowed(c, "https://file-b.example.cn"));
    }
    http_client_free(c);
    T_CHECK(geodproc_stop(&g2, 10000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    log = geodproc_stderr(&g2);
    T_CHECKF(!strstr(log, "geod: options: "), "a debug line at --log-level info: %s", log);
    free(log);
    geodproc_cleanup(&g2);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (!scratch_new(&sc, "geod-config")) {
        printf("cannot make a scratch directory\n0 passed, 1 failed\n");
        return 1;
    }
    T_RUN(test_format);
    T_RUN(test_format_errors);
    T_RUN(test_bad_files);
    T_RUN(test_serve_with_file);
    scratch_free(&sc);
    return T_END();
}

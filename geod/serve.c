/* serve.c - `geod serve`: defaults, then the --config file, then argv, all through one option
 * table (opt_rows); make sure the store exists (creating it with the
 * built-in data if not); load the snapshot; start the server; wait for SIGINT or SIGTERM; stop
 * cleanly. Signals are blocked in every thread and taken by sigwait here, so no handler runs
 * inside h2o or SQLite. */
#include "api/auth_config.h"
#include "api/auth_crypto.h"
#include "api/server.h"
#include "data/store.h"
#include "data/store_auth.h"
#include "data/log.h"
#include "geod/config.h"
#include "geod/geod.h"
#include "geod/lifecycle.h"
#include "geod/reload.h"
#include "geod/snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Per client address: 100 requests a second, 200 at once (a carrier-grade NAT puts many phones
 * behind one address). */
#define GEOD_DEFAULT_RATE_LIMIT "100,200"

struct serve_opts {
    const char *db;
    char host[256];
    uint16_t port;
    int threads;
    struct auth_config auth;
    const char *access_log;     /* --access-log PATH */
    struct ratelimit_config rl; /* --rate-limit, --trusted-proxy */
    int access_log_days;        /* --access-log-days N */
    struct cors_list cors;
    const char *tls_cert, *tls_key; /* --tls-cert, --tls-key: both or neither */
    enum log_level log_level;       /* --log-level */
    enum log_format log_format;     /* --log-format */
    char *config_text;              /* the --config file's text, which values point into */
    int request_timeout;            /* --request-timeout SECONDS, 0: the server's default */
    int max_connections;            /* --max-connections N, 0: the server's default */
    struct tile_config tiles;       /* --tile-url, --tile-crs, ... */
    size_t delta_max;               /* --delta-max N; 0: the default */
    const char *snapshot_file;      /* --snapshot-file PATH or "off"; NULL: DB.snap */
};

/* An option's setter: 0 when v was taken, 2 with why (naming v) when it is bad, 3 when it did
 * what was asked and geod should exit 0 (--auth help). */
typedef int (*opt_set_fn)(struct serve_opts *o, const char *v, char *why, size_t whylen);

static int set_db(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    o->db = v;
    return 0;
}

static int set_listen(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    const char *colon = strrchr(v, ':');
    const char *h = v;
    size_t hlen = colon ? (size_t)(colon - v) : 0;
    if (colon && h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') { /* [::1]:8080 */
        h++;
        hlen -= 2;
    }
    char *end;
    errno = 0;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == v || hlen >= sizeof o->host || errno || *end || end == colon + 1 ||
        port < 0 || port > 65535) {
        snprintf(why, whylen, "wants HOST:PORT, not %s", v);
        return 2;
    }
    memcpy(o->host, h, hlen);
    o->host[hlen] = '\0';
    o->port = (uint16_t)port;
    return 0;
}

/* A whole number from lo to hi. */
static bool whole(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

static int set_threads(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    long t;
    if (!whole(v, 1, 256, &t)) {
        snprintf(why, whylen, "wants 1 to 256, not %s", v);
        return 2;
    }
    o->threads = (int)t;
    return 0;
}

static int set_rate_limit(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    if (ratelimit_parse(v, &o->rl)) {
        snprintf(why, whylen,
                 "wants RATE[,BURST] (requests per second per address, 0 for none), "
                 "not %s",
                 v);
        return 2;
    }
    return 0;
}

static int set_trusted_proxy(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    if (ratelimit_add_proxy(&o->rl, v)) {
        snprintf(why, whylen, "wants ADDRESS[/PREFIX] (at most %d), not %s", RATELIMIT_MAX_PROXIES,
                 v);
        return 2;
    }
    return 0;
}

static void reset_trusted_proxy(struct serve_opts *o)
{
    o->rl.nproxies = 0;
}

static int set_access_log(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    o->access_log = v;
    return 0;
}

static int set_access_log_days(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    long d;
    if (!whole(v, 1, 3650, &d)) {
        snprintf(why, whylen, "wants 1 to 3650, not %s", v);
        return 2;
    }
    o->access_log_days = (int)d;
    return 0;
}

static int set_cors_origin(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return cors_list_add(&o->cors, v, why, whylen) ? 2 : 0;
}

static void reset_cors_origin(struct serve_opts *o)
{
    o->cors.n = 0;
}

static int set_auth(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    if (strcmp(v, "help") == 0) {
        char row[160];
        for (size_t k = 0; k < auth_config_rows(); k++)
            printf("  %s\n", auth_config_row_help(k, row, sizeof row));
        return 3;
    }
    return auth_config_set(&o->auth, v, why, whylen) ? 2 : 0;
}

/* A file that must be readable when geod starts (the TLS files: checked again when loaded). */
static int set_readable(const char **dst, const char *v, char *why, size_t whylen)
{
    if (access(v, R_OK) != 0) {
        snprintf(why, whylen, "%s: %s", v, strerror(errno));
        return 2;
    }
    *dst = v;
    return 0;
}

static int set_tls_cert(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return set_readable(&o->tls_cert, v, why, whylen);
}

static int set_tls_key(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return set_readable(&o->tls_key, v, why, whylen);
}

static int set_log_level(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    if (!log_level_parse(v, &o->log_level)) {
        snprintf(why, whylen, "wants error, warn, info or debug, not %s", v);
        return 2;
    }
    return 0;
}

static int set_log_format(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    if (!log_format_parse(v, &o->log_format)) {
        snprintf(why, whylen, "wants text or json, not %s", v);
        return 2;
    }
    return 0;
}

static int set_request_timeout(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    long t;
    if (!whole(v, 1, 3600, &t)) {
        snprintf(why, whylen, "wants 1 to 3600 seconds, not %s", v);
        return 2;
    }
    o->request_timeout = (int)t;
    return 0;
}

static int set_max_connections(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    long m;
    if (!whole(v, 1, 1000000, &m)) {
        snprintf(why, whylen, "wants 1 to 1000000, not %s", v);
        return 2;
    }
    o->max_connections = (int)m;
    return 0;
}

static int set_delta_max(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    long d;
    if (!whole(v, 1, 1000000, &d)) {
        snprintf(why, whylen, "wants 1 to 1000000, not %s", v);
        return 2;
    }
    o->delta_max = (size_t)d;
    return 0;
}

static int set_snapshot_file(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    if (!*v) {
        snprintf(why, whylen, "'%s': want a path or off", v);
        return 2;
    }
    o->snapshot_file = v;
    return 0;
}

/* The tile layer of /tag/ (api/tiles.h): each setter names the value it refuses. */
static int set_tile_url(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return tile_config_url(&o->tiles, v, why, whylen) ? 2 : 0;
}

static int set_tile_crs(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return tile_config_crs(&o->tiles, v, why, whylen) ? 2 : 0;
}

static int set_tile_subdomains(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return tile_config_subdomains(&o->tiles, v, why, whylen) ? 2 : 0;
}

static int set_tile_attribution(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return tile_config_attribution(&o->tiles, v, why, whylen) ? 2 : 0;
}

static int set_tile_max_zoom(struct serve_opts *o, const char *v, char *why, size_t whylen)
{
    return tile_config_max_zoom(&o->tiles, v, why, whylen) ? 2 : 0;
}

/* Every option of geod serve, on the command line as --NAME VALUE (or --NAME=VALUE) and in the
 * --config file as NAME = VALUE. A repeatable option has a reset: values given on the command
 * line replace the file's instead of adding to them. Adding an option is adding a row. */
static const struct opt_row {
    const char *name;
    opt_set_fn set;
    void (*reset)(struct serve_opts *o);
} opt_rows[] = {
    {"db", set_db},
    {"listen", set_listen},
    {"threads", set_threads},
    {"rate-limit", set_rate_limit},
    {"trusted-proxy", set_trusted_proxy, reset_trusted_proxy},
    {"access-log", set_access_log},
    {"access-log-days", set_access_log_days},
    {"cors-origin", set_cors_origin, reset_cors_origin},
    {"auth", set_auth},
    {"tls-cert", set_tls_cert},
    {"tls-key", set_tls_key},
    {"log-level", set_log_level},
    {"log-format", set_log_format},
    {"request-timeout", set_request_timeout},
    {"max-connections", set_max_connections},
    {"delta-max", set_delta_max},
    {"snapshot-file", set_snapshot_file},
    {"tile-url", set_tile_url},
    {"tile-crs", set_tile_crs},
    {"tile-subdomains", set_tile_subdomains},
    {"tile-attribution", set_tile_attribution},
    {"tile-max-zoom", set_tile_max_zoom},
};
#define NOPTS (sizeof opt_rows / sizeof opt_rows[0])

static const struct opt_row *opt_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opt_rows[i].name) == len && memcmp(opt_rows[i].name, name, len) == 0)
            return &opt_rows[i];
    return NULL;
}

static void opts_default(struct serve_opts *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    memset(o, 0, sizeof *o);
    o->db = "geod.sqlite";
    o->threads = cpus > 0 ? (int)cpus : 1;
    o->access_log_days = 30;
    ratelimit_parse(GEOD_DEFAULT_RATE_LIMIT, &o->rl);
    char why[128];
    set_listen(o, "127.0.0.1:8080", why, sizeof why);
    auth_config_default(&o->auth);
    o->log_level = LOGL_INFO;
    o->log_format = LOGF_TEXT;
    tile_config_init(&o->tiles);
}

/* The config file's items through the table. */
struct file_ctx {
    struct serve_opts *o;
    int rc;
};

static bool file_item(void *ctx, const struct config_item *it, char *err, size_t errlen)
{
    struct file_ctx *c = ctx;
    const struct opt_row *row = opt_find(it->key, strlen(it->key));
    if (!row) {
        snprintf(err, errlen, "unknown key %s (value %s)", it->key, it->value);
        c->rc = 2;
        return false;
    }
    char why[600];
    int rc = row->set(c->o, it->value, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "%s = %s: %s", it->key, it->value, why);
        c->rc = rc;
        return false;
    }
    return true;
}

static int load_config(struct serve_opts *o, const char *path)
{
    size_t len;
    char err[1024];
    unsigned line = 0;
    if (!config_read_file(path, &o->config_text, &len, err, sizeof err)) {
        fprintf(stderr, "geod: config %s: %s\n", path, err);
        return 2;
    }
    struct file_ctx c = {o, 2};
    if (!config_parse(o->config_text, len, file_item, &c, &line, err, sizeof err)) {
        if (c.rc != 3)
            fprintf(stderr, "geod: config %s:%u: %s\n", path, line, err);
        return c.rc;
    }
    return 0;
}

/* argv[*i] as "--NAME VALUE" or "--NAME=VALUE": its row and value (NULL row: unknown; NULL value:
 * none given). */
static const struct opt_row *argv_opt(int argc, char **argv, int *i, const char **value)
{
    const char *a = argv[*i];
    *value = NULL;
    if (strncmp(a, "--", 2) != 0)
        return NULL;
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (n == 6 && memcmp(a + 2, "config", 6) == 0) {
        static const struct opt_row config_row = {"config", NULL};
        *value = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
        return &config_row;
    }
    const struct opt_row *row = opt_find(a + 2, n);
    if (row)
        *value = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    return row;
}

/* defaults → the --config file → the command line (which overrides the file). 0, 2 (usage) or 3
 * (done: exit 0). */
static int parse_opts(int argc, char **argv, struct serve_opts *o)
{
    opts_default(o);
    const char *config = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v;
        const struct opt_row *row = argv_opt(argc, argv, &i, &v);
        if (row && !row->set)
            config = v ? v : "";
    }
    if (config && !config[0]) {
        fprintf(stderr, "geod serve: --config wants a file\n");
        return 2;
    }
    int rc = config ? load_config(o, config) : 0;
    if (rc)
        return rc;
    bool reset[NOPTS] = {false};
    for (int i = 0; i < argc; i++) {
        const char *v, *arg = argv[i];
        const struct opt_row *row = argv_opt(argc, argv, &i, &v);
        if (!row) {
            fprintf(stderr, "geod serve: unknown option %s (geod --help)\n", arg);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "geod serve: --%s wants a value\n", row->name);
            return 2;
        }
        if (!row->set)
            continue; /* --config, read above */
        size_t k = (size_t)(row - opt_rows);
        if (row->reset && !reset[k]) {
            row->reset(o);
            reset[k] = true;
        }
        char why[600];
        if ((rc = row->set(o, v, why, sizeof why))) {
            if (rc == 2)
                fprintf(stderr, "geod serve: --%s %s\n", row->name, why);
            return rc;
        }
    }
    if (!o->tls_cert != !o->tls_key) {
        fprintf(stderr, "geod serve: --tls-cert and --tls-key go together\n");
        return 2;
    }
    return 0;
}

/* The facility writers' fallback (api_config.rebuild): the whole store as a new snapshot. */
struct rebuild_ctx {
    const char *path;
    const struct geod_pinyin *py;
};

static enum geod_err rebuild(void *ctx, struct store *s, struct snapshot **out)
{
    const struct rebuild_ctx *c = ctx;
    return geod_snapshot_from(s, c->path, NULL, c->py, out) ? GEOD_ESTORE : GEOD_OK;
}

/* The hash an unknown user name is checked against (api_config.dummy_hash): one key
 * derivation, a quarter of a second, made on a thread of its own while the index loads. */
struct dummy_job {
    pthread_t tid;
    bool started;
    enum geod_err rc;
    char hash[AUTH_PW_HASH_MAX];
};

static void *dummy_run(void *arg)
{
    struct dummy_job *j = arg;
    char secret[AUTH_TOKEN_LEN + 1];
    j->rc = auth_crypto_init();
    if (!j->rc) {
        auth_token_new(secret);
        j->rc = auth_pw_hash(secret, strlen(secret), j->hash);
    }
    return NULL;
}

/* The hash, or NULL (the server then makes its own). */
static const char *dummy_join(struct dummy_job *j)
{
    if (!j->started)
        return NULL;
    pthread_join(j->tid, NULL);
    j->started = false;
    return j->rc ? NULL : j->hash;
}

static int serve(struct serve_opts *op)
{
    struct serve_opts o = *op;
    int rc;
    log_configure(o.log_level, o.log_format);
    log_debug("options: db %s, listen %s:%u, %d threads, rate limit %g/s (burst %g), %zu trusted "
              "proxies, %zu CORS origins, access log %s, TLS %s",
              o.db, o.host, (unsigned)o.port, o.threads, o.rl.rate, o.rl.burst, o.rl.nproxies,
              o.cors.n, o.access_log ? o.access_log : "none", o.tls_cert ? o.tls_cert : "off");
    if (auth_crypto_weak())
        log_warn("GEOD_KDF_COST=min: weak password hashes, for tests only");

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* inherited by every thread started from here */
    signal(SIGPIPE, SIG_IGN);
    geod_raise_nofile();

    struct stat st;
    if (stat(o.db, &st) != 0) {
        if (errno != ENOENT) {
            log_error("%s: %s", o.db, strerror(errno));
            return 1;
        }
        if ((rc = geod_create_store(o.db)))
            return rc;
    }
    struct dummy_job dummy = {0};
    dummy.started = pthread_create(&dummy.tid, NULL, dummy_run, &dummy) == 0;
    struct geod_pinyin py = {0};
    if ((rc = geod_load_pinyin(&py))) {
        dummy_join(&dummy);
        return rc;
    }
    /* the store stays open for the reloader; its data version is read before the first load,
     * so that anything committed from then on is noticed */
    char err[512] = "";
    struct store *store;
    struct snapshot *snap = NULL;
    int64_t version = 0, content[2] = {0, 0};
    if (store_open(o.db, false, &store, err, sizeof err)) {
        log_error("%s", err);
        dummy_join(&dummy);
        geod_pinyin_free(&py);
        return 1;
    }
    char snap_path[PATH_MAX];
    const char *snapfile = o.snapshot_file;
    if (!snapfile && snprintf(snap_path, sizeof snap_path, "%s.snap", o.db) < (int)sizeof snap_path)
        snapfile = snap_path;
    if (snapfile && !strcmp(snapfile, "off"))
        snapfile = NULL;
    if (store_data_version(store, &version) || store_content_version(store, content) ||
        geod_snapshot_from(store, o.db, snapfile, &py, &snap)) {
        dummy_join(&dummy);
        store_close(store);
        geod_pinyin_free(&py);
        return 1;
    }

    struct rebuild_ctx rctx = {o.db, &py};
    struct api_config cfg = {.access_log = o.access_log,
                             .access_log_days = o.access_log_days,
                             .ratelimit = &o.rl,
                             .host = o.host,
                             .port = o.port,
                             .threads = o.threads,
                             .db = o.db,
                             .auth = &o.auth,
                             .cors = &o.cors,
                             .rebuild = rebuild,
                             .rebuild_ctx = &rctx,
                             .dummy_hash = dummy_join(&dummy),
                             .tls_cert = o.tls_cert,
                             .tls_key = o.tls_key,
                             .tiles = &o.tiles,
                             .request_timeout = o.request_timeout,
                             .max_connections = o.max_connections,
                             .delta_max = o.delta_max};
    struct api_server *srv;
    if (api_server_start(&cfg, snap, &srv, err, sizeof err)) {
        log_error("%s:%u: %s", o.host, (unsigned)o.port, err);
        snapshot_free(snap);
        store_close(store);
        geod_pinyin_free(&py);
        return 1;
    }
    struct geod_reloader *reloader;
    if (geod_reloader_start(store, o.db, snapfile, version, content, &py, srv, &reloader)) {
        api_server_stop(srv);
        store_close(store);
        geod_pinyin_free(&py);
        return 1;
    }
    bool v6 = strchr(o.host, ':') != NULL;
    /* on stdout whatever the log settings: scripts wait for this line */
    printf("geod: serving %zu facilities at %s://%s%s%s:%u/ with %d threads\n", snap->n,
           o.tls_cert ? "https" : "http", v6 ? "[" : "", o.host, v6 ? "]" : "",
           (unsigned)api_server_port(srv), o.threads);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    log_info("%s received, finishing requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
    geod_reloader_stop(reloader); /* no more publishing */
    api_server_stop(srv);         /* frees the snapshots, which borrow the pinyin tables */
    geod_snapfile_wait();         /* and so does the one being written */
    geod_pinyin_free(&py);
    log_info("stopped");
    return 0;
}

int geod_serve(int argc, char **argv)
{
    struct serve_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (!rc)
        rc = serve(&o);
    free(o.config_text); /* after serving: the options point into it */
    return rc == 3 ? 0 : rc;
}

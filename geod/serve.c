/* serve.c - `geod serve`: defaults, then argv; make sure the store exists (creating it with the
 * built-in data if not); load the snapshot; start the server; wait for SIGINT or SIGTERM; stop
 * cleanly. Signals are blocked in every thread and taken by sigwait here, so no handler runs
 * inside h2o or SQLite. */
#include "api/auth_config.h"
#include "api/auth_crypto.h"
#include "api/server.h"
#include "data/store.h"
#include "data/store_auth.h"
#include "geod/geod.h"
#include "geod/lifecycle.h"
#include "geod/reload.h"

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
    size_t delta_max; /* --delta-max N; 0: the default */
};

static bool parse_listen(const char *s, struct serve_opts *o)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return false;
    size_t hlen = (size_t)(colon - s);
    if (s[0] == '[' && hlen >= 2 && s[hlen - 1] == ']') { /* [::1]:8080 */
        s++;
        hlen -= 2;
    }
    if (hlen >= sizeof o->host)
        return false;
    memcpy(o->host, s, hlen);
    o->host[hlen] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return false;
    o->port = (uint16_t)port;
    return true;
}

/* --name value or --name=value; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_opts(int argc, char **argv, struct serve_opts *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->db = "geod.sqlite";
    o->threads = cpus > 0 ? (int)cpus : 1;
    o->access_log = NULL;
    o->access_log_days = 30;
    memset(&o->rl, 0, sizeof o->rl);
    ratelimit_parse(GEOD_DEFAULT_RATE_LIMIT, &o->rl);
    parse_listen("127.0.0.1:8080", o);
    auth_config_default(&o->auth);
    o->cors.n = 0;
    o->delta_max = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = opt_value(argc, argv, &i, "--db"))) {
            o->db = v;
        } else if ((v = opt_value(argc, argv, &i, "--listen"))) {
            if (!parse_listen(v, o)) {
                fprintf(stderr, "geod serve: --listen wants HOST:PORT, not %s\n", v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--threads"))) {
            char *end;
            long t = strtol(v, &end, 10);
            if (*end || end == v || t < 1 || t > 256) {
                fprintf(stderr, "geod serve: --threads wants 1 to 256, not %s\n", v);
                return 2;
            }
            o->threads = (int)t;
        } else if ((v = opt_value(argc, argv, &i, "--rate-limit"))) {
            if (ratelimit_parse(v, &o->rl)) {
                fprintf(stderr,
                        "geod serve: --rate-limit wants RATE[,BURST] (requests per second "
                        "per address, 0 for none), not %s\n",
                        v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--trusted-proxy"))) {
            if (ratelimit_add_proxy(&o->rl, v)) {
                fprintf(stderr,
                        "geod serve: --trusted-proxy wants ADDRESS[/PREFIX] (at most %d), "
                        "not %s\n",
                        RATELIMIT_MAX_PROXIES, v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--access-log"))) {
            o->access_log = v;
        } else if ((v = opt_value(argc, argv, &i, "--delta-max"))) {
            char *end;
            long d = strtol(v, &end, 10);
            if (*end || end == v || d < 1 || d > 1000000) {
                fprintf(stderr, "geod serve: --delta-max wants 1 to 1000000, not %s\n", v);
                return 2;
            }
            o->delta_max = (size_t)d;
        } else if ((v = opt_value(argc, argv, &i, "--access-log-days"))) {
            char *end;
            long d = strtol(v, &end, 10);
            if (*end || end == v || d < 1 || d > 3650) {
                fprintf(stderr, "geod serve: --access-log-days wants 1 to 3650, not %s\n", v);
                return 2;
            }
            o->access_log_days = (int)d;
        } else if ((v = opt_value(argc, argv, &i, "--cors-origin"))) {
            char err[512];
            if (cors_list_add(&o->cors, v, err, sizeof err)) {
                fprintf(stderr, "geod serve: --cors-origin %s\n", err);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--auth"))) {
            char err[512];
            if (strcmp(v, "help") == 0) {
                char row[160];
                for (size_t k = 0; k < auth_config_rows(); k++)
                    printf("  %s\n", auth_config_row_help(k, row, sizeof row));
                return 3;
            }
            if (auth_config_set(&o->auth, v, err, sizeof err)) {
                fprintf(stderr, "geod serve: --auth %s\n", err);
                return 2;
            }
        } else {
            fprintf(stderr, "geod serve: unknown option %s (geod --help)\n", argv[i]);
            return 2;
        }
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
    return geod_snapshot_from(s, c->path, c->py, out) ? GEOD_ESTORE : GEOD_OK;
}

int geod_serve(int argc, char **argv)
{
    struct serve_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (auth_crypto_weak())
        fprintf(stderr, "geod: GEOD_KDF_COST=min: weak password hashes, for tests only\n");

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* inherited by every thread started from here */
    signal(SIGPIPE, SIG_IGN);

    struct stat st;
    if (stat(o.db, &st) != 0) {
        if (errno != ENOENT) {
            fprintf(stderr, "geod: %s: %s\n", o.db, strerror(errno));
            return 1;
        }
        if ((rc = geod_create_store(o.db)))
            return rc;
    }
    struct geod_pinyin py = {0};
    if ((rc = geod_load_pinyin(&py)))
        return rc;
    /* the store stays open for the reloader; its data version is read before the first load,
     * so that anything committed from then on is noticed */
    char err[512] = "";
    struct store *store;
    struct snapshot *snap = NULL;
    int64_t version = 0, content[2] = {0, 0};
    if (store_open(o.db, false, &store, err, sizeof err)) {
        fprintf(stderr, "geod: %s\n", err);
        geod_pinyin_free(&py);
        return 1;
    }
    if (store_data_version(store, &version) || store_content_version(store, content) ||
        geod_snapshot_from(store, o.db, &py, &snap)) {
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
                             .delta_max = o.delta_max};
    struct api_server *srv;
    if (api_server_start(&cfg, snap, &srv, err, sizeof err)) {
        fprintf(stderr, "geod: %s:%u: %s\n", o.host, (unsigned)o.port, err);
        snapshot_free(snap);
        store_close(store);
        geod_pinyin_free(&py);
        return 1;
    }
    struct geod_reloader *reloader;
    if (geod_reloader_start(store, o.db, version, content, &py, srv, &reloader)) {
        api_server_stop(srv);
        store_close(store);
        geod_pinyin_free(&py);
        return 1;
    }
    bool v6 = strchr(o.host, ':') != NULL;
    printf("geod: serving %zu facilities at http://%s%s%s:%u/ with %d threads\n", snap->n,
           v6 ? "[" : "", o.host, v6 ? "]" : "", (unsigned)api_server_port(srv), o.threads);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "geod: %s received, finishing requests in flight\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    geod_reloader_stop(reloader); /* no more publishing */
    api_server_stop(srv);         /* frees the snapshots, which borrow the pinyin tables */
    geod_pinyin_free(&py);
    fprintf(stderr, "geod: stopped\n");
    return 0;
}

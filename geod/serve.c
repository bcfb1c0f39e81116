/* serve.c - `geod serve`: defaults, then argv; make sure the store exists (creating it with the
 * built-in data if not); load the snapshot; start the server; wait for SIGINT or SIGTERM; stop
 * cleanly. Signals are blocked in every thread and taken by sigwait here, so no handler runs
 * inside h2o or SQLite. */
#include "api/server.h"
#include "data/store.h"
#include "geod/geod.h"
#include "data/pinyin_data.h"
#include "importers/builtin.h"

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

struct serve_opts {
    const char *db;
    char host[256];
    uint16_t port;
    int threads;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

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
    parse_listen("127.0.0.1:8080", o);
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
        } else {
            fprintf(stderr, "geod serve: unknown option %s (geod --help)\n", argv[i]);
            return 2;
        }
    }
    return 0;
}

static void remove_db_files(const char *path)
{
    char p[PATH_MAX + 8];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* Builds a new store beside the final path and renames it into place, so that a store that
 * exists is always complete, even if geod is killed while creating it. */
static int create_store(const char *path)
{
    char tmp[PATH_MAX], err[512] = "";
    if (snprintf(tmp, sizeof tmp, "%s.creating", path) >= (int)sizeof tmp) {
        fprintf(stderr, "geod: store path too long: %s\n", path);
        return 1;
    }
    remove_db_files(tmp);
    double t0 = now_s();
    struct store *s;
    struct builtin_stats st;
    if (store_open(tmp, true, &s, err, sizeof err)) {
        fprintf(stderr, "geod: cannot create the store: %s\n", err);
        return 1;
    }
    if (builtin_load(s, &st, err, sizeof err)) {
        fprintf(stderr, "geod: cannot load the built-in data: %s\n", err);
        store_close(s);
        remove_db_files(tmp);
        return 1;
    }
    store_close(s); /* checkpoints the WAL into the file */
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "geod: cannot put the new store at %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        remove_db_files(tmp);
        return 1;
    }
    close(fd);
    fprintf(stderr,
            "geod: created %s with the built-in Wuhan data: %zu divisions (%zu with a boundary), "
            "%zu street offices, %zu community centres, %zu hospitals (%zu suspect records left "
            "out), %zu synthetic facilities (%.2f s)\n",
            path, st.divisions, st.boundaries, st.street_offices, st.community_centers,
            st.hospitals, st.hospitals_suspect, st.synthetic, now_s() - t0);
    return 0;
}

/* The pinyin readings and local overrides, loaded once, for every snapshot's name search. */
struct pinyin {
    struct pinyin_table *table;
    struct pinyin_overrides *overrides;
};

static int load_pinyin(struct pinyin *p)
{
    struct pinyin_data_blob u = pinyin_data_unihan(), o = pinyin_data_overrides();
    size_t line = 0;
    if (pinyin_table_new(u.data, u.len, &p->table) ||
        pinyin_overrides_new(p->table, o.data, o.len, &p->overrides, &line)) {
        fprintf(stderr, "geod: the built-in pinyin tables are damaged (line %zu)\n", line);
        pinyin_table_free(p->table);
        return 1;
    }
    return 0;
}

static int load_snapshot(const char *path, const struct pinyin *py, struct snapshot **out)
{
    char err[512] = "";
    struct store *s;
    double t0 = now_s();
    if (store_open(path, false, &s, err, sizeof err)) {
        fprintf(stderr, "geod: %s\n", err);
        return 1;
    }
    struct snapshot_builder *b;
    struct divisions_builder *db = NULL;
    struct divisions *div = NULL;
    uint64_t gen = 0;
    enum geod_err rc = snapshot_builder_new(&b);
    if (!rc && !(rc = divisions_builder_new(&db)) && !(rc = store_load_divisions(s, db))) {
        rc = divisions_builder_finish(db, &div);
        db = NULL;
    }
    divisions_builder_free(db);
    if (!rc) {
        snapshot_builder_divisions(b, div);
        snapshot_builder_pinyin(b, py->table, py->overrides);
    }
    if (!rc && (rc = store_load(s, b, &gen))) {
        fprintf(stderr, "geod: cannot load %s: %s (%s)\n", path, geod_strerror(rc),
                store_errmsg(s));
        snapshot_builder_free(b);
        store_close(s);
        return 1;
    }
    store_close(s);
    if (rc || (rc = snapshot_builder_finish(b, gen, out))) {
        fprintf(stderr, "geod: cannot build the index: %s\n", geod_strerror(rc));
        return 1;
    }
    fprintf(stderr, "geod: loaded %zu facilities and %zu divisions from %s, %.1f MB (%.3f s)\n",
            (*out)->n, (*out)->div->n, path, (double)snapshot_bytes(*out) / 1e6, now_s() - t0);
    return 0;
}

int geod_serve(int argc, char **argv)
{
    struct serve_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc;

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
        if ((rc = create_store(o.db)))
            return rc;
    }
    struct pinyin py = {0};
    struct snapshot *snap;
    if ((rc = load_pinyin(&py)))
        return rc;
    if ((rc = load_snapshot(o.db, &py, &snap))) {
        pinyin_overrides_free(py.overrides);
        pinyin_table_free(py.table);
        return rc;
    }

    struct api_config cfg = {.host = o.host, .port = o.port, .threads = o.threads};
    struct api_server *srv;
    char err[512] = "";
    if (api_server_start(&cfg, snap, &srv, err, sizeof err)) {
        fprintf(stderr, "geod: %s:%u: %s\n", o.host, (unsigned)o.port, err);
        snapshot_free(snap);
        pinyin_overrides_free(py.overrides);
        pinyin_table_free(py.table);
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
    api_server_stop(srv); /* frees the snapshots, which borrow the pinyin tables */
    pinyin_overrides_free(py.overrides);
    pinyin_table_free(py.table);
    fprintf(stderr, "geod: stopped\n");
    return 0;
}

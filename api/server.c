/* server.c - the h2o server: one listening socket polled by one event loop per thread,
 * graceful stop, and the published snapshot with quiescent-state reclamation.
 *
 * Snapshots. `current` is read by handlers with one atomic load and no lock. Publishing swaps it,
 * bumps `epoch`, and retires the old snapshot tagged with the new epoch. Each loop stores the
 * epoch it sees in seen_epoch between runs of the event loop, when none of its handlers is
 * running; a retired snapshot is freed once every thread's seen_epoch has reached its tag. All
 * of these are sequentially consistent atomics, which is what makes "saw the new epoch" imply
 * "will read the new snapshot". */
#include "api/server.h"
#include "api/auth_crypto.h"
#include "api/compact.h"
#include "api/facility_write.h"
#include "api/http.h"
#include "api/tls.h"
#include "data/log.h"
#include "data/store.h"
#include "data/store_checkpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOOP_WAKE_MS 100       /* how often an idle loop looks at the stop flag */
/* a loop at its connection limit closes what sat idle or half-sent this long */
#define API_PRESSURE_MS 1000
#define DRAIN_MS 5000          /* how long a stopping loop waits for requests in flight */
/* request bodies; each handler that takes one caps it lower and answers 413 itself, which it
 * can only do for bodies h2o accepted: beyond this h2o answers 413 on its own */
#define MAX_ENTITY (2 * 1024 * 1024)

struct retired {
    struct snapshot *snap;
    uint64_t epoch;
    struct retired *next;
};

struct api_server {
    h2o_globalconf_t config;
    _Atomic(struct snapshot *) current;
    _Atomic uint64_t epoch;
    atomic_bool stop;
    pthread_mutex_t publish_lock; /* publishers only; readers never take it */
    pthread_mutex_t write_lock;   /* facility writers (api_server_write_lock) */
    _Atomic int64_t seq[2];       /* current's seq, readable without the publication lock */
    enum geod_err (*rebuild)(void *ctx, struct store *s, struct snapshot **out);
    void *rebuild_ctx;
    struct retired *retired;
    struct api_compactor *compactor;
    struct store_checkpointer *ckpt; /* the loops' WAL checkpoints; NULL without a store */
    size_t delta_max;
    int nthreads;
    size_t max_conns; /* client connections at most, over every loop */
    uint16_t port;
    struct api_thread *threads;
    char *db;                          /* copied from the config, or NULL */
    struct auth_config auth;           /* copied from the config */
    struct cors_list cors;             /* copied from the config */
    struct tile_config tiles;          /* copied from the config */
    char dummy_hash[AUTH_PW_HASH_MAX]; /* auth_pw_hash of a random secret */
    struct access_log *log;            /* NULL without --access-log */
    struct ratelimit *rl;              /* NULL without a limit */
    _Atomic double published_at;       /* when `current` was published, UTC seconds */
    SSL_CTX *tls;                      /* NULL: plain HTTP */
};

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void api_server_metrics(struct api_thread *th, struct api_metrics *sum, double *published_at)
{
    struct api_server *s = th->server;
    for (int i = 0; i < s->nthreads; i++)
        if (s->threads[i].metrics)
            metrics_add(sum, s->threads[i].metrics);
    *published_at = atomic_load(&s->published_at);
}

void api_dispatch(struct api_thread *th, h2o_req_t *req); /* api/routes.c */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- requests ---- */

static void on_req_disposed(void *p)
{
    struct api_thread *th = *(struct api_thread **)p;
    th->inflight--;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct api_thread *th = (struct api_thread *)req->conn->ctx;
    /* linked to the request's pool: on_req_disposed runs when the request is done */
    struct api_thread **token = h2o_mem_alloc_shared(&req->pool, sizeof *token, on_req_disposed);
    *token = th;
    th->inflight++;
    api_dispatch(th, req);
    return 0;
}

const struct snapshot *api_current(struct api_thread *th)
{
    return atomic_load(&th->server->current);
}

/* ---- snapshots ---- */

static void reclaim(struct api_server *s, bool all)
{
    uint64_t min_seen = UINT64_MAX;
    for (int i = 0; i < s->nthreads; i++) {
        uint64_t e = atomic_load(&s->threads[i].seen_epoch);
        min_seen = e < min_seen ? e : min_seen;
    }
    struct retired **link = &s->retired;
    while (*link) {
        struct retired *r = *link;
        if (all || r->epoch <= min_seen) {
            *link = r->next;
            snapshot_free(r->snap);
            free(r);
        } else {
            link = &r->next;
        }
    }
}

/* Publishes snap; the caller holds publish_lock. */
static void publish_locked(struct api_server *s, struct snapshot *snap)
{
    atomic_store(&s->seq[0], snap->seq[0]);
    atomic_store(&s->seq[1], snap->seq[1]);
    struct snapshot *old = atomic_exchange(&s->current, snap);
    atomic_store(&s->published_at, wall_now());
    uint64_t e = atomic_fetch_add(&s->epoch, 1) + 1;
    struct retired *r = malloc(sizeof *r);
    if (r) {
        *r = (struct retired){old, e, s->retired};
        s->retired = r;
    } else {
        /* nowhere to park it: wait for every loop to pass a quiescent point instead */
        for (;;) {
            bool done = true;
            for (int i = 0; i < s->nthreads; i++)
                done = done && atomic_load(&s->threads[i].seen_epoch) >= e;
            if (done)
                break;
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        snapshot_free(old);
    }
    reclaim(s, false);
}

void api_server_publish(struct api_server *s, struct snapshot *snap)
{
    pthread_mutex_lock(&s->publish_lock);
    publish_locked(s, snap);
    pthread_mutex_unlock(&s->publish_lock);
}

bool api_server_publish_newer(struct api_server *s, struct snapshot *snap)
{
    pthread_mutex_lock(&s->publish_lock);
    const struct snapshot *cur = atomic_load(&s->current);
    bool newer = !cur || (snap->seq[0] >= cur->seq[0] && snap->seq[1] >= cur->seq[1]);
    if (newer)
        publish_locked(s, snap);
    else
        snapshot_free(snap);
    pthread_mutex_unlock(&s->publish_lock);
    return newer;
}

enum geod_err api_server_update(struct api_server *s,
                                enum geod_err (*make)(void *ctx, const struct snapshot *cur,
                                                      struct snapshot **next),
                                void *ctx)
{
    pthread_mutex_lock(&s->publish_lock);
    struct snapshot *next = NULL;
    enum geod_err rc = make(ctx, atomic_load(&s->current), &next);
    if (!rc)
        publish_locked(s, next);
    pthread_mutex_unlock(&s->publish_lock);
    return rc;
}

struct snapshot *api_server_acquire(struct api_server *s)
{
    pthread_mutex_lock(&s->publish_lock); /* no reclamation meanwhile */
    struct snapshot *snap = snapshot_ref(atomic_load(&s->current));
    pthread_mutex_unlock(&s->publish_lock);
    return snap;
}

void api_server_wrote(struct api_server *s)
{
    const struct snapshot *cur = atomic_load(&s->current);
    if (snapshot_delta_len(cur) > api_delta_limit(s->delta_max, cur))
        api_compactor_poke(s->compactor);
}

uint64_t api_server_compactions(struct api_server *s)
{
    return api_compactor_count(s->compactor);
}

uint64_t api_server_checkpoints(struct api_server *s)
{
    return store_checkpointer_count(s->ckpt);
}

void api_server_write_lock(struct api_server *s)
{
    pthread_mutex_lock(&s->write_lock);
}

void api_server_write_unlock(struct api_server *s)
{
    pthread_mutex_unlock(&s->write_lock);
}

void api_server_seq(struct api_server *s, int64_t out[2])
{
    out[0] = atomic_load(&s->seq[0]);
    out[1] = atomic_load(&s->seq[1]);
}

enum geod_err api_server_rebuild(struct api_server *s, struct store *st, struct snapshot **out)
{
    *out = NULL;
    return s->rebuild ? s->rebuild(s->rebuild_ctx, st, out) : GEOD_ENOTFOUND;
}

/* ---- listeners and loops ---- */

static void on_socket_close(void *data)
{
    struct api_thread *th = data;
    th->conns--;
}

static void on_accept(h2o_socket_t *listener, const char *err);

/* Stops accepting and closes connections that wait too long, until resume_accepting. */
static void pause_accepting(struct api_thread *th)
{
    if (th->paused)
        return;
    th->paused = true;
    h2o_socket_read_stop(th->listener);
    th->ctx.http1.req_timeout.timeout = API_PRESSURE_MS;
}

static void resume_accepting(struct api_thread *th, uint64_t req_timeout)
{
    if (!th->paused || th->conns >= th->max_conns)
        return;
    th->paused = false;
    th->ctx.http1.req_timeout.timeout = req_timeout;
    h2o_socket_read_start(th->listener, on_accept);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct api_thread *th = listener->data;
    if (err)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (!sock) {
        /* out of descriptors: the connection stays in the backlog, and the listener would wake
         * this loop again at once; wait for connections to close instead */
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            pause_accepting(th);
        return;
    }
    th->conns++;
    sock->on_close.cb = on_socket_close;
    sock->on_close.data = th;
    h2o_accept(&th->accept, sock);
    if (th->conns >= th->max_conns)
        pause_accepting(th);
}

static int open_listener(const struct sockaddr *sa, socklen_t len, char *err, size_t errlen)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    /* SO_REUSEADDR only: with SO_REUSEPORT a second geod could bind the same port and take
     * half of the connections (from another store) instead of failing */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(fd, sa, len) != 0 || listen(fd, 1024) != 0) {
        set_err(err, errlen, "cannot listen: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void *loop_main(void *arg)
{
    struct api_thread *th = arg;
    struct api_server *s = th->server;
    h2o_evloop_t *loop = th->ctx.loop;
    api_prepare_thread(th, atomic_load(&s->current));
    uint64_t req_timeout = th->ctx.http1.req_timeout.timeout;
    log_debug("event loop %d of %d serving", (int)(th - s->threads) + 1, s->nthreads);
    while (!atomic_load(&s->stop)) {
        atomic_store(&th->seen_epoch, atomic_load(&s->epoch));
        h2o_evloop_run(loop, LOOP_WAKE_MS);
        /* the writes of this turn, committed together and answered, before the next quiescent
         * point: their answers render snapshots this thread may still read */
        api_write_flush(th);
        resume_accepting(th, req_timeout);
    }
    /* stop accepting; let what is in flight finish; connections close after their response */
    h2o_socket_read_stop(th->listener);
    h2o_socket_close(th->listener);
    th->listener = NULL;
    h2o_context_request_shutdown(&th->ctx);
    log_debug("event loop %d of %d draining: %zu request(s) in flight, %zu connection(s)",
              (int)(th - s->threads) + 1, s->nthreads, th->inflight, th->conns);
    for (int waited = 0; th->inflight > 0 && waited < DRAIN_MS; waited += 10) {
        h2o_evloop_run(loop, 10);
        api_write_flush(th);
    }
    /* HTTP/1 has no graceful close of idle keep-alive connections in h2o 2.2.5: expire their
     * request timeout now, which closes them, so the context can be disposed cleanly */
    th->ctx.http1.req_timeout.timeout = 0;
    for (int waited = 0; th->conns > 0 && waited < DRAIN_MS; waited += 10)
        h2o_evloop_run(loop, 10);
    /* request_shutdown also armed HTTP/2's goaway resender, which we never need (no HTTP/2):
     * disarm it, or h2o_context_dispose finds the timeout still in use */
    if (h2o_timeout_is_linked(&th->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&th->ctx.http2._graceful_shutdown_timeout);
    atomic_store(&th->seen_epoch, UINT64_MAX);
    return NULL;
}

static enum geod_err resolve(const struct api_config *cfg, struct sockaddr_storage *ss,
                             socklen_t *len, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE},
                    *res;
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)cfg->port);
    int rc = getaddrinfo(cfg->host, port, &hints, &res);
    if (rc != 0) {
        set_err(err, errlen, "cannot resolve listen address %s: %s", cfg->host, gai_strerror(rc));
        return GEOD_EINVAL;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return GEOD_OK;
}

static enum geod_err thread_init(struct api_server *s, struct api_thread *th, int fd, char *err,
                                 size_t errlen)
{
    th->server = s;
    th->fd = fd;
    th->max_conns = (s->max_conns + (size_t)s->nthreads - 1) / (size_t)s->nthreads;
    th->auth = &s->auth;
    th->log = s->log;
    th->rl = s->rl;
    if (!(th->metrics = calloc(1, sizeof *th->metrics)))
        return GEOD_ENOMEM;
    th->cors = &s->cors;
    th->tiles = &s->tiles;
    th->dummy_hash = s->dummy_hash;
    if (s->db && store_open(s->db, false, &th->store, err, errlen))
        return GEOD_ESTORE;
    store_checkpointer_attach(s->ckpt, th->store); /* no checkpoint in a write's answer */
    h2o_context_init(&th->ctx, h2o_evloop_create(), &s->config);
    th->accept.ctx = &th->ctx;
    th->accept.hosts = s->config.hosts;
    th->accept.ssl_ctx = s->tls; /* h2o does the handshake before the first request */
    if (enc_new(ENC_JSON, &th->enc) || rtree_scratch_new(&th->scratch) ||
        cluster_scratch_new(&th->cscratch) || crs_epsg_cache_new(&th->epsg) ||
        snapshot_scratch_new(&th->near) ||
        !(th->hits = malloc((API_MAX_RESULTS + 1) * sizeof *th->hits)) ||
        !(th->fhits = malloc((API_MAX_RESULTS + 1) * sizeof *th->fhits)))
        return GEOD_ENOMEM;
    th->listener = h2o_evloop_socket_create(th->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    th->listener->data = th;
    h2o_socket_read_start(th->listener, on_accept);
    return GEOD_OK;
}

static void thread_dispose(struct api_thread *th)
{
    if (th->listener)
        h2o_socket_close(th->listener);
    if (th->ctx.loop && th->conns > 0) {
        /* a connection outlived the drain (a client that stopped reading): the process is
         * ending, so leave the loop to the OS rather than free what h2o still uses */
        log_warn("%zu connection(s) still open at exit", th->conns);
    } else if (th->ctx.loop) {
        h2o_loop_t *loop = th->ctx.loop;
        h2o_context_dispose(&th->ctx);
        h2o_evloop_destroy(loop);
    }
    enc_free(th->enc);
    rtree_scratch_free(th->scratch);
    cluster_scratch_free(th->cscratch);
    crs_epsg_cache_free(th->epsg);
    region_index_free(th->region);
    api_boundaries_free(th->bounds);
    free(th->hits);
    snapshot_scratch_free(th->near);
    free(th->fhits);
    free(th->metrics);
    api_write_thread_free(th);
    store_close(th->store);
}

enum geod_err api_server_start(const struct api_config *cfg, struct snapshot *snap,
                               struct api_server **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sslen;
    enum geod_err rc = resolve(cfg, &ss, &sslen, err, errlen);
    if (rc)
        return rc;
    struct api_server *s = calloc(1, sizeof *s);
    if (!s)
        return GEOD_ENOMEM;
    s->nthreads = cfg->threads > 0 ? cfg->threads : 1;
    s->threads = calloc((size_t)s->nthreads, sizeof *s->threads);
    if (!s->threads) {
        free(s);
        return GEOD_ENOMEM;
    }
    if (cfg->auth)
        s->auth = *cfg->auth;
    else
        auth_config_default(&s->auth);
    if (cfg->cors)
        s->cors = *cfg->cors;
    if (cfg->tiles)
        s->tiles = *cfg->tiles;
    else
        tile_config_init(&s->tiles);
    if (cfg->db) {
        /* a hash to verify unknown names against, so that they take as long as wrong passwords */
        char secret[AUTH_TOKEN_LEN + 1] = "";
        bool ok = auth_crypto_init() == GEOD_OK;
        if (ok && !cfg->dummy_hash)
            auth_token_new(secret);
        if (ok && cfg->dummy_hash)
            ok = snprintf(s->dummy_hash, sizeof s->dummy_hash, "%s", cfg->dummy_hash) <
                 (int)sizeof s->dummy_hash;
        if (!ok || !(s->db = strdup(cfg->db)) ||
            (!cfg->dummy_hash && auth_pw_hash(secret, strlen(secret), s->dummy_hash))) {
            free(s->db);
            free(s->threads);
            free(s);
            set_err(err, errlen, "cannot set up password hashing");
            return GEOD_ENOMEM;
        }
    }
    atomic_init(&s->current, snap);
    atomic_init(&s->seq[0], snap ? snap->seq[0] : 0);
    atomic_init(&s->seq[1], snap ? snap->seq[1] : 0);
    s->rebuild = cfg->rebuild;
    s->rebuild_ctx = cfg->rebuild_ctx;
    s->delta_max = cfg->delta_max; /* 0: api_delta_limit's, by the served snapshot's size */
    atomic_init(&s->published_at, wall_now());
    if ((cfg->ratelimit && cfg->ratelimit->rate > 0 && ratelimit_new(cfg->ratelimit, &s->rl)) ||
        (cfg->access_log &&
         access_log_open(cfg->access_log, cfg->access_log_days, &s->log, err, errlen))) {
        ratelimit_free(s->rl);
        free(s->db);
        free(s->threads);
        free(s);
        return GEOD_EIO;
    }
    struct rlimit nofile;
    size_t fds = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY
                     ? (size_t)nofile.rlim_cur
                     : SIZE_MAX;
    /* the store, logs and listeners, and each loop's store handle, epoll and the like */
    size_t reserve = API_FD_RESERVE + 8 * (size_t)s->nthreads;
    size_t room = fds > reserve + 1 ? fds - reserve : 1;
    s->max_conns = cfg->max_connections > 0     ? (size_t)cfg->max_connections
                   : room < API_MAX_CONNECTIONS ? room
                                                : API_MAX_CONNECTIONS;
    if (s->max_conns > room) {
        set_err(err, errlen,
                "--max-connections %d needs more open files than the limit of %zu allows (%zu "
                "are kept for the store, logs and threads): raise it (ulimit -n) or ask fewer",
                cfg->max_connections, fds, reserve);
        ratelimit_free(s->rl);
        access_log_close(s->log);
        free(s->db);
        free(s->threads);
        free(s);
        return GEOD_EINVAL;
    }
    if (cfg->tls_cert && (rc = api_tls_new(cfg->tls_cert, cfg->tls_key, &s->tls, err, errlen))) {
        access_log_close(s->log);
        ratelimit_free(s->rl);
        free(s->db);
        free(s->threads);
        free(s);
        return rc;
    }
    atomic_init(&s->epoch, 1);
    atomic_init(&s->stop, false);
    pthread_mutex_init(&s->publish_lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    h2o_config_init(&s->config);
    s->config.max_request_entity_size = MAX_ENTITY;
    /* the whole request (headers and body) within this, else h2o closes the connection: what
     * ends a slowloris; also how long an idle kept-alive connection stays */
    s->config.http1.req_timeout =
        (uint64_t)(cfg->request_timeout > 0 ? cfg->request_timeout : API_REQUEST_TIMEOUT) * 1000;
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("geod"));
    s->config.http1.upgrade_to_http2 = 0; /* no h2c: plain HTTP/1.1, or TLS later */
    h2o_hostconf_t *host =
        h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;

    /* one listening socket; every loop polls a duplicate of it and accepts what it can */
    int started = 0;
    int fd = open_listener((struct sockaddr *)&ss, sslen, err, errlen);
    if (fd < 0) {
        rc = GEOD_ESYS;
        goto fail;
    }
    getsockname(fd, (struct sockaddr *)&ss, &sslen);
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    if (s->db) {
        char why[512] = "";
        if ((rc = store_checkpointer_start(s->db, STORE_CHECKPOINT_FRAMES, &s->ckpt, why,
                                           sizeof why))) {
            set_err(err, errlen, "%s", rc == GEOD_ENOMEM ? "out of memory" : why);
            goto fail;
        }
    }
    for (int i = 0; i < s->nthreads; i++) {
        int tfd = i == 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (tfd < 0) {
            set_err(err, errlen, "cannot share the listening socket: %s", strerror(errno));
            rc = GEOD_ESYS;
            goto fail;
        }
        char why[512] = "";
        if ((rc = thread_init(s, &s->threads[i], tfd, why, sizeof why))) {
            set_err(err, errlen, "%s", rc == GEOD_ESTORE ? why : "out of memory");
            goto fail;
        }
    }
    if (api_compactor_start(s, s->delta_max, &s->compactor)) {
        set_err(err, errlen, "cannot start the compactor");
        rc = GEOD_ESYS;
        goto fail;
    }
    for (; started < s->nthreads; started++) {
        if (pthread_create(&s->threads[started].tid, NULL, loop_main, &s->threads[started])) {
            set_err(err, errlen, "cannot start a thread: %s", strerror(errno));
            rc = GEOD_ESYS;
            goto fail;
        }
    }
    *out = s;
    return GEOD_OK;
fail:
    atomic_store(&s->stop, true);
    for (int i = 0; i < started; i++)
        pthread_join(s->threads[i].tid, NULL);
    atomic_store(&s->current, NULL); /* the caller keeps snap on failure */
    api_server_stop(s);
    return rc;
}

uint16_t api_server_port(const struct api_server *s)
{
    return s->port;
}

void api_server_stop(struct api_server *s)
{
    if (!s)
        return;
    api_compactor_stop(s->compactor);
    s->compactor = NULL;
    if (!atomic_exchange(&s->stop, true))
        for (int i = 0; i < s->nthreads; i++)
            if (s->threads[i].tid)
                pthread_join(s->threads[i].tid, NULL);
    for (int i = 0; i < s->nthreads; i++)
        thread_dispose(&s->threads[i]);
    store_checkpointer_stop(s->ckpt); /* after the connections it serves */
    s->ckpt = NULL;
    reclaim(s, true);
    access_log_close(s->log);
    ratelimit_free(s->rl);
    snapshot_free(atomic_load(&s->current));
    h2o_config_dispose(&s->config);
    api_tls_free(s->tls);
    pthread_mutex_destroy(&s->publish_lock);
    pthread_mutex_destroy(&s->write_lock);
    free(s->threads);
    free(s->db);
    free(s);
}

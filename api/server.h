/* server.h - geod's HTTP server: one h2o event loop per thread, all accepting from one
 * listening socket, answering from the published snapshot. */
#ifndef GEOD_SERVER_H
#define GEOD_SERVER_H

#include "api/auth_config.h"
#include "api/ratelimit.h"
#include "api/cors.h"
#include "api/tiles.h"
#include "index/err.h"
#include "index/snapshot.h"

#include <stdbool.h>
#include <stdint.h>

struct store;

#define API_REQUEST_TIMEOUT 10   /* seconds (h2o's own default) */
#define API_MAX_CONNECTIONS 4096 /* the default limit of open client connections */
#define API_FD_RESERVE 64        /* descriptors kept for the store and logs, plus 8 a thread */

struct api_config {
    const char *host; /* numeric address or name to bind, e.g. "127.0.0.1" */
    uint16_t port;    /* 0 picks a free port; api_server_port() tells which */
    int threads;      /* event loops, >= 1 */
    const char *db;   /* the store accounts and sessions live in; NULL: no logins (503) */
    const struct auth_config *auth; /* NULL: auth_config_default */
    const char *access_log;         /* the access log's path (api/access_log.h), or NULL */
    int access_log_days;            /* dated access log files kept, >= 1 */
    const struct ratelimit_config *ratelimit; /* NULL or rate 0: no limit */
    const struct cors_list *cors;   /* portal origins allowed to read; NULL: none */
    const struct tile_config *tiles; /* the /tag/ form's tile layer; NULL: none */
    int request_timeout;            /* seconds a client has to send a whole request, and an idle
                                       kept-alive connection stays open; 0: API_REQUEST_TIMEOUT */
    int max_connections;            /* open client connections at most; 0: API_MAX_CONNECTIONS,
                                       less if the open-file limit is lower */
    const char *tls_cert; /* PEM certificate chain: the listener speaks HTTPS; NULL: */
    const char *tls_key;  /* plain HTTP. Its PEM private key (both or neither) */
    /* Everything the store holds as a new snapshot (seq set), read through s: the facility
     * writes' fallback when the served snapshot is not the store's latest state (another
     * process committed meanwhile). NULL: writers leave that case to the reloader. */
    enum geod_err (*rebuild)(void *ctx, struct store *s, struct snapshot **out);
    void *rebuild_ctx;
    const char *dummy_hash; /* optional: auth_pw_hash of a random secret made beforehand (geod
                             * makes it while the index loads); NULL: made at start */
    size_t delta_max; /* facility changes a published delta holds before the compactor folds
                       * them into a full snapshot (api/compact.h); 0: api_delta_limit's */
};

struct api_server;

/* Binds the listeners (so a port in use fails here, with a message in err) and starts the
 * threads. Connections: each loop accepts up to its share of max_connections; a loop at its
 * share (or out of file descriptors) stops accepting, so that further clients wait in the
 * kernel's backlog, and shortens its request timeout to API_PRESSURE_MS, which closes the
 * connections that sat idle or half-sent that long; both come back once it is below its share.
 * A max_connections the open-file limit cannot hold (less API_FD_RESERVE) is refused here. The
 * server answers from `snap` until api_server_publish replaces it; it takes ownership of snap. */
enum geod_err api_server_start(const struct api_config *cfg, struct snapshot *snap,
                               struct api_server **out, char *err, size_t errlen);

uint16_t api_server_port(const struct api_server *s);

/* Makes `snap` the snapshot every following request reads; the server owns it from now on.
 * The previous one is freed once no thread can still be reading it. */
void api_server_publish(struct api_server *s, struct snapshot *snap);

/* The same, unless snap is older than the snapshot served (its seq lower in either place): then
 * snap is freed and false returned. What the reloader publishes, so that a snapshot it loaded
 * before a facility write committed never hides that write. */
bool api_server_publish_newer(struct api_server *s, struct snapshot *snap);

/* A reference to the snapshot served now, for a thread that is not an event loop (release it
 * with snapshot_free). */
struct snapshot *api_server_acquire(struct api_server *s);

/* After a facility write's publication: wakes the compactor when the served delta is over
 * the limit. Call from a request handler (it reads the served snapshot). */
void api_server_wrote(struct api_server *s);

/* Compactions published so far (api/compact.h). */
uint64_t api_server_compactions(struct api_server *s);
/* WAL checkpoints run by the background checkpointer (data/store_checkpoint.h). */
uint64_t api_server_checkpoints(struct api_server *s);

/* The writers' lock: facility writes hold it from their transaction's start to their snapshot's
 * publication, so whoever holds it sees the store and the served snapshot agree (the reloader
 * takes it to compare them). Queries never take it. */
void api_server_write_lock(struct api_server *s);
void api_server_write_unlock(struct api_server *s);

/* The seq of the snapshot served now, into out[2]. */
void api_server_seq(struct api_server *s, int64_t out[2]);

/* Under the publication lock: make(ctx, current, &next) derives the next snapshot from the
 * current one, which is then published (nothing when make fails; its error is returned). */
enum geod_err api_server_update(struct api_server *s,
                                enum geod_err (*make)(void *ctx, const struct snapshot *cur,
                                                      struct snapshot **next),
                                void *ctx);

/* The rebuild hook of the configuration (NULL when none) and its context. */
enum geod_err api_server_rebuild(struct api_server *s, struct store *st, struct snapshot **out);

/* Stops accepting, lets requests in flight finish (up to a few seconds), joins the threads and
 * frees everything. */
void api_server_stop(struct api_server *s);

#endif

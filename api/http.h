/* http.h - what handlers share (internal to api/): the per-thread state, the per-request
 * context, and the one way to answer (through the encoder) or to refuse (a JSON error naming the
 * parameter). */
#ifndef GEOD_HTTP_H
#define GEOD_HTTP_H

#include "api/access_log.h"
#include "api/enc.h"
#include "api/metrics.h"
#include "api/ratelimit.h"
#include "api/query.h"
#include "index/cluster.h"
#include "index/crs.h"
#include "index/crs_epsg.h"
#include "index/divisions.h"
#include "index/region.h"
#include "index/rtree.h"
#include "index/snapshot.h"
#include "index/snapshot_query.h"

#include <h2o.h>

struct store;
struct auth_config;
struct cors_list;
struct tile_config;
struct api_boundaries;
struct static_asset;
#include <stdatomic.h>
#include <stdbool.h>

#define API_MAX_RESULTS 1000 /* the most results one answer carries */

enum api_format { FMT_JSON, FMT_GEOJSON, FMT_MSGPACK };

/* One event loop's state. ctx comes first so that req->conn->ctx leads back here. */
struct api_thread {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_socket_t *listener;
    struct api_server *server;
    pthread_t tid;
    int fd;                         /* the listening socket */
    _Atomic uint64_t seen_epoch;    /* the snapshot epoch this thread last passed idle */
    size_t inflight;                /* requests started and not yet disposed */
    size_t conns;                   /* connections accepted and not yet closed */
    size_t max_conns;               /* this loop's share of --max-connections */
    bool paused;                    /* not accepting: at max_conns or out of descriptors */
    struct enc *enc;                /* reused by every request of this thread */
    struct rtree_scratch *scratch;
    struct cluster_scratch *cscratch; /* for GET /v1/bbox */
    struct rtree_hit *hits;         /* [API_MAX_RESULTS + 1] (enterprises) */
    struct snapshot_scratch *near;  /* for snapshot_nearest */
    struct snapshot_hit *fhits;     /* [API_MAX_RESULTS + 1]: snapshot_nearest's answers */
    struct crs_epsg_cache *epsg;    /* PROJ transformations of this thread */
    struct region_index *region;    /* point-in-polygon over the divisions (GEOS: per thread) */
    uint64_t region_hash;           /* of the divisions it was built from (divisions_hash) */
    struct store *store;            /* this thread's store handle (accounts); NULL without one */
    struct api_metrics *metrics;    /* this thread's counters (api/metrics.h) */
    struct access_log *log;         /* the server's access log, or NULL */
    struct ratelimit *rl;           /* the server's rate limiter, or NULL */
    const struct auth_config *auth; /* the server's, never NULL */
    const struct cors_list *cors;   /* the portal origins allowed to read, never NULL */
    const struct tile_config *tiles; /* the /tag/ form's tile layer, never NULL */
    struct api_boundaries *bounds;  /* simplified division boundaries (h_boundaries.c) */
    struct api_batch *batch;        /* facility writes gathered this turn (facility_write.c) */
    const char *dummy_hash;         /* a password hash no password matches: unknown names cost
                                       as much as wrong passwords */
};

struct api_req {
    h2o_req_t *req;
    struct api_thread *th;
    const struct snapshot *snap;
    struct query q;
    enum api_format fmt;
    const char *path; /* the path without the query, NUL-terminated, in req->pool */
    size_t path_len;
    int route;      /* the route's slot (api_route_name), for metrics and the access log */
    uint64_t t0_ns; /* when dispatch began (CLOCK_MONOTONIC) */
    bool q_ok;      /* q holds the decoded query */
};

typedef void (*api_handler_fn)(struct api_req *r);

/* A route slot's name ("/v1/nearby", "other"), for metrics and the access log. */
const char *api_route_name(int route);

/* Counts an answer (metrics) and logs it (access log); api_respond calls it, and so must any
 * handler that answers by itself (static assets, preflights). */
void api_observe(struct api_req *r, int status, size_t len);

/* Answers with body as is (type: its Content-Type), through api_observe. */
void api_respond(struct api_req *r, int status, const char *body, size_t len,
                 const char *content_type);

/* The sum of every thread's counters, and when the current snapshot was published (UTC
 * seconds); api/server.c. */
void api_server_metrics(struct api_thread *th, struct api_metrics *sum, double *published_at);

void api_h_metrics(struct api_req *r);

/* Answers with the encoder's contents (built by the handler with r->th->enc in r->fmt). */
void api_send(struct api_req *r, int status);

/* Answers with {"error":{"code","message","param"}}; param may be NULL. Headers the handler
 * added to r->req->res.headers before (Set-Cookie, Retry-After, ...) go out with it. */
void api_fail(struct api_req *r, int status, const char *code, const char *message,
              const char *param);

/* 503 store_unavailable after a call on r's store failed: "<what>: <why>; try again later", the
 * why from store_fault (the disk is full, the file system is read-only, ...), with Retry-After
 * and one line on stderr for the operator. Nothing about the store beyond that goes out. */
void api_fail_store(struct api_req *r, const char *what);

/* The encoder format for r->fmt (GeoJSON is written as JSON). */
enum enc_format api_enc_format(const struct api_req *r);

/* The request's method is one of `methods` (api/http.c's M_GET = 1 (GET, HEAD), M_POST = 2,
 * M_PATCH = 4, M_DELETE = 8); api_refuse_method answers 405 with Allow listing `allow`. */
#define API_M_GET 1u
#define API_M_POST 2u
#define API_M_PATCH 4u
#define API_M_DELETE 8u
bool api_method_is(const struct api_req *r, unsigned methods);
void api_refuse_method(struct api_req *r, unsigned allow);

/* Handlers (api/h_*.c). */
void api_h_nearby(struct api_req *r);
void api_h_within(struct api_req *r);
void api_h_bbox(struct api_req *r);
void api_h_facility(struct api_req *r);
void api_h_facilities(struct api_req *r);
void api_h_categories(struct api_req *r);
void api_h_healthz(struct api_req *r);
void api_h_convert(struct api_req *r);
void api_h_reverse(struct api_req *r);
void api_h_search(struct api_req *r);
void api_h_shake(struct api_req *r);
void api_h_enterprises(struct api_req *r);
void api_h_boundaries(struct api_req *r);
void api_boundaries_free(struct api_boundaries *b); /* NULL is a no-op */
void api_h_login(struct api_req *r);
void api_h_logout(struct api_req *r);
void api_h_me(struct api_req *r);
void api_h_me_ping(struct api_req *r);
void api_h_tiles(struct api_req *r);

/* The embedded web assets (api/static.c): an asset, or a redirect to `to` keeping the query. */
void api_static_serve(struct api_req *r, const struct static_asset *a);
void api_static_redirect(struct api_req *r, const char *to);

/* Builds what a thread's place queries need (its region index) before it serves. */
void api_prepare_thread(struct api_thread *th, const struct snapshot *snap);

/* Shared by the place handlers (api/h_places.c): the divisions containing a point, by level (-1
 * where none), and the chain city → community written from them. */
bool api_locate(struct api_req *r, double lon, double lat, int32_t chain[DIV_LEVELS]);
void api_write_chain(struct api_req *r, const int32_t chain[DIV_LEVELS], enum crs_id out);

#endif

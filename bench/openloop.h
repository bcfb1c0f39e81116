/* openloop.h - the load generator of bench_peers: one thread, epoll, several connections, each
 * with at most one request in flight (no pipelining), speaking HTTP/1.1 keep-alive, Redis's RESP
 * or PostgreSQL's protocol (libpq, non-blocking, one prepared statement).
 *
 * Closed loop (rate 0): every connection sends its next request as soon as its answer is in;
 * what comes out is the peak throughput. Open loop (rate R): request i is due at t0 + i / R
 * whatever happened before (a fixed schedule); a due request waits for a free connection, and its
 * latency runs from its due time, not from when it could be sent, so a stalled server is charged
 * for every request it held up (no coordinated omission). Only bench/ uses it. */
#ifndef GEOD_BENCH_OPENLOOP_H
#define GEOD_BENCH_OPENLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ol_proto { OL_HTTP, OL_RESP, OL_PG };

struct ol_target {
    enum ol_proto proto;
    uint16_t port;      /* HTTP: 127.0.0.1:port */
    const char *path;   /* RESP: the unix socket; PG: the libpq conninfo */
    const char *pg_sql; /* PG: the statement, parameters $1..$pg_params as text */
    int pg_params;
};

/* One request. HTTP: the whole request's bytes; RESP: the whole command's bytes; PG: the
 * parameters' text separated by '\t'. */
struct ol_req {
    const char *data;
    size_t len;
};

struct ol_spec {
    const struct ol_target *t;
    const struct ol_req *reqs; /* sent in order, wrapping around */
    size_t nreq, first;        /* the first request sent is reqs[first % nreq] */
    int conns;                 /* connections (1..256) */
    double rate;               /* requests per second on a fixed schedule; 0: closed loop */
    double seconds;            /* how long requests are sent */
    size_t min_done;           /* closed loop: go on past seconds until this many answers... */
    double max_seconds;        /* ...but not past this (slow requests such as durable writes) */
};

struct ol_result {
    size_t done;    /* answers received (successful or not) */
    size_t errors;  /* answers with an error status, connection failures */
    size_t late;    /* open loop: due requests never answered by the end of the drain */
    double elapsed; /* seconds from the first send to the last answer */
    double rps;     /* done / elapsed */
    double p50, p99, p999, mean; /* µs, from the due time (open) or the send (closed) */
    double send_lag_p99;         /* open loop: µs from the due time to the send (waiting for a free
                                    connection included) */
    double bytes;                /* mean answer bytes (HTTP: body; RESP, PG: wire bytes) */
};

/* Runs spec; false when a connection could not be made (message on stderr). */
bool ol_run(const struct ol_spec *spec, struct ol_result *out);

#endif

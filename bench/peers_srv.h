/* peers_srv.h - the servers bench_peers measures, started on loopback or unix sockets in one
 * temporary directory and stopped at exit: geod, Redis 7, PostgreSQL 15 + PostGIS 3, h2o serving
 * fixed bytes (bench_h2o_bytes), nginx (a `return 200` body and a static file). Each is pinned to
 * the server CPUs when pinning. Also what is measured about servers: their CPU time from /proc,
 * and the disk's fdatasync rate. Only bench/ uses it. */
#ifndef GEOD_BENCH_PEERS_SRV_H
#define GEOD_BENCH_PEERS_SRV_H

#include "bench/gen.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SRV_PG_PORT 55432

struct srv_point {
    double lon, lat;
    uint32_t id;
    uint8_t cat; /* index into srv_categories */
};

extern const char *const srv_categories[GEN_CATEGORIES];

struct srv {
    char dir[64];         /* the temporary directory */
    char server_cpus[48]; /* taskset list, "" when not pinning */
    int threads;          /* worker threads/processes of each HTTP server */
    pid_t geod, redis, h2o, nginx, postmaster;
    bool pg_started;
};

/* Runs a shell command built like printf; its exit status. */
int srv_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* geod serve on db (no rate limit), port into *port; *startup_s from the spawn to the first
 * 200 answer of GET /v1/nearby. */
bool srv_geod_start(struct srv *s, const char *geod, const char *db, uint16_t *port,
                    double *startup_s);
bool srv_redis_start(struct srv *s, const struct srv_point *p, size_t n);
/* pts(id, cat, geom) with a GiST index and q(i, g): the query positions 1..nq, for pgbench. */
bool srv_pg_start(struct srv *s, const struct srv_point *p, size_t n, const struct gen_query *q,
                  size_t nq);
bool srv_h2o_start(struct srv *s, const char *bin, uint16_t port, const char *body);
/* One nginx: port_ret answers `return 200` with body's bytes, port_file serves body as a file. */
bool srv_nginx_start(struct srv *s, uint16_t port_ret, uint16_t port_file, const char *body);
void srv_kill(pid_t *pid);
void srv_stop_all(struct srv *s);

/* Seconds of CPU (user + system) of pid, its live children and its reaped ones. */
double srv_cpu_s(pid_t pid);

/* 4 KiB writes, each followed by fdatasync, for seconds in a file of dir: per second. */
double srv_fdatasync_rate(const char *dir, double seconds);

#endif

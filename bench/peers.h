/* peers.h - the engines bench_peers compares geod with, each behind one tiny interface: a
 * connection that answers "the 10 nearest to (lon, lat)" (optionally within 1 km) with ids.
 *   geod over HTTP   `geod serve`, GET /v1/nearby (JSON or msgpack), keep-alive HTTP/1.1
 *   Redis 7          GEOSEARCH key FROMLONLAT lon lat BYRADIUS 1 km ASC COUNT 10 (hiredis)
 *   PostGIS 3        SELECT id FROM pts ORDER BY geom <-> point LIMIT 10, GiST index (libpq)
 * Servers are started and loaded by bench/peers_run.c; here only the client side. Not a test
 * oracle; only bench/ uses it. */
#ifndef GEOD_BENCH_PEERS_H
#define GEOD_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_K 10

enum peer_kind { PEER_GEOD_JSON, PEER_GEOD_MSGPACK, PEER_REDIS, PEER_POSTGIS };

struct peer_target {
    enum peer_kind kind;
    uint16_t port;      /* geod */
    const char *socket; /* redis: unix socket path; postgis: the socket directory */
    uint16_t pg_port;
    bool radius_1km; /* geod: k=10 within 1000 m (Redis's query); else k=10 anywhere */
};

struct peer_conn;

/* Connects (NULL with a message on stderr when it cannot). */
struct peer_conn *peer_connect(const struct peer_target *t);
void peer_close(struct peer_conn *c);

/* Asks for the nearest; ids into ids[PEER_K] (when want_ids; geod's msgpack is not parsed, only
 * its status checked), *n how many. False on any error. */
bool peer_query(struct peer_conn *c, double lon, double lat, bool want_ids, uint32_t *ids,
                size_t *n);

#endif

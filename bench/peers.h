/* peers.h - one question at a time to any engine of bench_peers, for checking answers: sends one
 * request as bench/openloop.h describes it (the same bytes the load generator sends) on a
 * blocking connection and reads back the ids of the answer, in order.
 *   HTTP   geod's JSON ({"results":[{"id":…},…]}) or msgpack (the same keys)
 *   RESP   Redis's GEOSEARCH answer: an array of member names, which are the ids
 *   PG     the first column of every row
 * Not a test oracle; only bench/ uses it. */
#ifndef GEOD_BENCH_PEERS_H
#define GEOD_BENCH_PEERS_H

#include "bench/openloop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct peer_conn;

/* Connects (NULL with a message on stderr when it cannot). */
struct peer_conn *peer_connect(const struct ol_target *t);
void peer_close(struct peer_conn *c);

/* Sends req; the answer's ids into ids[0..max), *n how many. msgpack: whether HTTP answers are
 * msgpack. False on any error (a status other than 2xx included). */
bool peer_ask(struct peer_conn *c, const struct ol_req *req, bool msgpack, uint32_t *ids,
              size_t max, size_t *n);

/* Sends req (POST /v1/login with "bearer": true) and copies the answer's "token". */
bool peer_ask_token(struct peer_conn *c, const struct ol_req *req, char *token, size_t size);

#endif

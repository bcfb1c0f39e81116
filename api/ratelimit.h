/* ratelimit.h - requests per client address, as token buckets: each client (an IPv4 address,
 * or an IPv6 /64) may make `burst` requests at once and `rate` per second after that; a request
 * beyond gets 429 with Retry-After. One table shared by every event-loop thread (a client's
 * connections may land on any of them), in shards each behind its own mutex, of fixed size: when
 * a shard is full the longest-idle client in the probed slots gives its place (a client idle that
 * long has a full bucket anyway, or nearly).
 *
 * The client is the TCP peer, unless the peer is a configured proxy: then the right-most address
 * of X-Forwarded-For that is not itself a configured proxy. */
#ifndef GEOD_RATELIMIT_H
#define GEOD_RATELIMIT_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RATELIMIT_MAX_PROXIES 16

struct ratelimit_config {
    double rate;  /* tokens per second; 0 disables limiting */
    double burst; /* bucket size, >= 1 */
    size_t nproxies;
    struct ratelimit_net {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        int prefix;
    } proxies[RATELIMIT_MAX_PROXIES];
};

/* "RATE[,BURST]" (burst defaults to 2 × rate, at least 1) into c. GEOD_EINVAL otherwise. */
enum geod_err ratelimit_parse(const char *s, struct ratelimit_config *c);
/* Adds a trusted proxy network "ADDR[/PREFIX]". GEOD_EINVAL for a bad one or too many. */
enum geod_err ratelimit_add_proxy(struct ratelimit_config *c, const char *s);

struct ratelimit;

enum geod_err ratelimit_new(const struct ratelimit_config *c, struct ratelimit **out);
void ratelimit_free(struct ratelimit *r);

/* The client key (16 bytes) for a peer address and the X-Forwarded-For header's value (may be
 * NULL): see the comment at the top. */
void ratelimit_client(const struct ratelimit *r, const struct sockaddr *peer, const char *xff,
                      size_t xff_len, uint8_t key[16]);

/* Takes a token for key at time now (seconds, monotonic): true if the request may go on; else
 * false with *retry_after (whole seconds, >= 1) until a token is there. */
bool ratelimit_take(struct ratelimit *r, const uint8_t key[16], double now, int *retry_after);

/* Requests refused so far. */
uint64_t ratelimit_refused(const struct ratelimit *r);

/* The bucket arithmetic alone, for tests: a bucket with `tokens` at time `last` (seconds), at
 * time now, with rate and burst: refills (capped at burst), takes one if it can. */
bool ratelimit_bucket(double *tokens, double *last, double now, double rate, double burst,
                      int *retry_after);

#endif

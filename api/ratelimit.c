/* ratelimit.c - see ratelimit.h. */
#include "api/ratelimit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 64
#define SLOTS 4096 /* per shard: 262,144 clients in all, ~10 MB */
#define PROBE 8

struct slot {
    uint8_t key[16];
    bool used;
    double tokens, last;
};

struct shard {
    pthread_mutex_t lock;
    struct slot s[SLOTS];
};

struct ratelimit {
    struct ratelimit_config c;
    struct shard *shards; /* [SHARDS] */
    _Atomic uint64_t refused;
};

enum geod_err ratelimit_parse(const char *s, struct ratelimit_config *c)
{
    char *end;
    double rate = strtod(s, &end), burst = 2 * rate;
    if (end == s || !isfinite(rate) || rate < 0 || rate > 1e6)
        return GEOD_EINVAL;
    if (*end == ',') {
        const char *b = end + 1;
        burst = strtod(b, &end);
        if (end == b || !isfinite(burst) || burst < 1 || burst > 1e7)
            return GEOD_EINVAL;
    }
    if (*end)
        return GEOD_EINVAL;
    c->rate = rate;
    c->burst = burst < 1 ? 1 : burst;
    return GEOD_OK;
}

enum geod_err ratelimit_add_proxy(struct ratelimit_config *c, const char *s)
{
    if (c->nproxies == RATELIMIT_MAX_PROXIES)
        return GEOD_EINVAL;
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof addr)
        return GEOD_EINVAL;
    memcpy(addr, s, n);
    addr[n] = '\0';
    struct ratelimit_net *net = &c->proxies[c->nproxies];
    memset(net, 0, sizeof *net);
    if (inet_pton(AF_INET, addr, net->addr) == 1)
        net->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, net->addr) == 1)
        net->family = AF_INET6;
    else
        return GEOD_EINVAL;
    int max = net->family == AF_INET ? 32 : 128;
    net->prefix = max;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || p < 0 || p > max)
            return GEOD_EINVAL;
        net->prefix = (int)p;
    }
    c->nproxies++;
    return GEOD_OK;
}

enum geod_err ratelimit_new(const struct ratelimit_config *c, struct ratelimit **out)
{
    struct ratelimit *r = calloc(1, sizeof *r);
    if (!r || !(r->shards = calloc(SHARDS, sizeof *r->shards))) {
        free(r);
        return GEOD_ENOMEM;
    }
    r->c = *c;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&r->shards[i].lock, NULL);
    *out = r;
    return GEOD_OK;
}

void ratelimit_free(struct ratelimit *r)
{
    if (!r)
        return;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_destroy(&r->shards[i].lock);
    free(r->shards);
    free(r);
}

/* An address as a 16-byte key: IPv4 mapped into ::ffff:0:0/96, IPv6 cut to its /64. */
static void key_of(int family, const void *addr, uint8_t key[16])
{
    memset(key, 0, 16);
    if (family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, addr, 4);
    } else {
        memcpy(key, addr, 8);
    }
}

static bool in_net(const struct ratelimit_net *n, int family, const uint8_t *addr)
{
    if (n->family != family)
        return false;
    int full = n->prefix / 8, rest = n->prefix % 8;
    if (memcmp(n->addr, addr, (size_t)full) != 0)
        return false;
    return !rest || ((n->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

static bool trusted(const struct ratelimit_config *c, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < c->nproxies; i++)
        if (in_net(&c->proxies[i], family, addr))
            return true;
    return false;
}

void ratelimit_client(const struct ratelimit *r, const struct sockaddr *peer, const char *xff,
                      size_t xff_len, uint8_t key[16])
{
    const struct ratelimit_config *c = &r->c;
    int family = peer ? peer->sa_family : AF_UNSPEC;
    uint8_t addr[16] = {0};
    if (family == AF_INET)
        memcpy(addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
    else if (family == AF_INET6)
        memcpy(addr, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
    /* from the right of X-Forwarded-For, past the proxies we trust */
    while (family != AF_UNSPEC && xff && xff_len && trusted(c, family, addr)) {
        size_t end = xff_len;
        while (end && (xff[end - 1] == ' ' || xff[end - 1] == ','))
            end--;
        size_t start = end;
        while (start && xff[start - 1] != ',')
            start--;
        char one[64];
        size_t n = end - start;
        while (n && xff[start] == ' ')
            start++, n--;
        if (!n || n >= sizeof one)
            break;
        memcpy(one, xff + start, n);
        one[n] = '\0';
        uint8_t next[16] = {0};
        if (inet_pton(AF_INET, one, next) == 1)
            family = AF_INET;
        else if (inet_pton(AF_INET6, one, next) == 1)
            family = AF_INET6;
        else
            break; /* garbage from a client: the last trusted hop is the client */
        memcpy(addr, next, 16);
        xff_len = start ? start - 1 : 0;
    }
    key_of(family, addr, key);
}

bool ratelimit_bucket(double *tokens, double *last, double now, double rate, double burst,
                      int *retry_after)
{
    double t = *tokens + (now - *last) * rate;
    *tokens = t > burst ? burst : t;
    *last = now;
    if (*tokens >= 1) {
        *tokens -= 1;
        return true;
    }
    double wait = (1 - *tokens) / rate;
    *retry_after = (int)ceil(wait) < 1 ? 1 : (int)ceil(wait);
    return false;
}

static uint64_t hash(const uint8_t key[16])
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

bool ratelimit_take(struct ratelimit *r, const uint8_t key[16], double now, int *retry_after)
{
    if (r->c.rate <= 0)
        return true;
    uint64_t h = hash(key);
    struct shard *sh = &r->shards[h % SHARDS];
    size_t base = (size_t)(h / SHARDS) % SLOTS;
    pthread_mutex_lock(&sh->lock);
    struct slot *s = NULL, *oldest = NULL;
    for (int i = 0; i < PROBE && !s; i++) {
        struct slot *c = &sh->s[(base + (size_t)i) % SLOTS];
        if (c->used && memcmp(c->key, key, 16) == 0)
            s = c;
        else if (!oldest || !c->used || (oldest->used && c->last < oldest->last))
            oldest = c;
    }
    if (!s) { /* a new client takes a free slot or the longest-idle one's */
        s = oldest;
        memcpy(s->key, key, 16);
        s->used = true;
        s->tokens = r->c.burst;
        s->last = now;
    }
    bool ok = ratelimit_bucket(&s->tokens, &s->last, now, r->c.rate, r->c.burst, retry_after);
    pthread_mutex_unlock(&sh->lock);
    if (!ok)
        atomic_fetch_add_explicit(&r->refused, 1, memory_order_relaxed);
    return ok;
}

uint64_t ratelimit_refused(const struct ratelimit *r)
{
    return atomic_load_explicit(&r->refused, memory_order_relaxed);
}

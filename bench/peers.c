/* peers.c - see peers.h. Blocking clients, one connection each, no pipelining: every engine is
 * asked one query at a time per connection, as an app server would ask it. */
#include "bench/peers.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct peer_conn {
    const struct peer_target *t;
    int fd;            /* geod */
    char *buf;         /* geod: response buffer */
    size_t cap;
    redisContext *redis;
    PGconn *pg;
};

struct peer_conn *peer_connect(const struct peer_target *t)
{
    struct peer_conn *c = calloc(1, sizeof *c);
    c->t = t;
    c->fd = -1;
    if (t->kind == PEER_REDIS) {
        c->redis = redisConnectUnix(t->socket);
        if (!c->redis || c->redis->err) {
            fprintf(stderr, "redis: %s\n", c->redis ? c->redis->errstr : "no memory");
            peer_close(c);
            return NULL;
        }
    } else if (t->kind == PEER_POSTGIS) {
        char info[512];
        snprintf(info, sizeof info, "host=%s port=%u user=bench dbname=bench", t->socket,
                 t->pg_port);
        c->pg = PQconnectdb(info);
        PGresult *r = PQstatus(c->pg) == CONNECTION_OK
                          ? PQprepare(c->pg, "knn",
                                      "SELECT id FROM pts ORDER BY geom <-> ST_SetSRID("
                                      "ST_MakePoint($1::float8, $2::float8), 4326) LIMIT 10",
                                      2, NULL)
                          : NULL;
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "postgis: %s\n", PQerrorMessage(c->pg));
            PQclear(r);
            peer_close(c);
            return NULL;
        }
        PQclear(r);
    } else {
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(t->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa)) {
            perror("geod: connect");
            peer_close(c);
            return NULL;
        }
        c->cap = 1 << 20;
        c->buf = malloc(c->cap);
    }
    return c;
}

void peer_close(struct peer_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    if (c->redis)
        redisFree(c->redis);
    if (c->pg)
        PQfinish(c->pg);
    free(c->buf);
    free(c);
}

/* One GET on the keep-alive connection: the body into c->buf, its length in *len. */
static bool http_get(struct peer_conn *c, const char *target, size_t *len)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", target);
    if (write(c->fd, req, (size_t)n) != n)
        return false;
    size_t have = 0, body_at = 0, clen = 0;
    for (;;) {
        ssize_t r = read(c->fd, c->buf + have, c->cap - have - 1);
        if (r <= 0)
            return false;
        have += (size_t)r;
        c->buf[have] = '\0';
        if (!body_at) {
            char *end = strstr(c->buf, "\r\n\r\n");
            if (!end)
                continue;
            body_at = (size_t)(end - c->buf) + 4;
            if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0)
                return false;
            char *cl = strcasestr(c->buf, "\r\ncontent-length:");
            if (!cl || cl > end)
                return false;
            clen = strtoul(cl + 17, NULL, 10);
            if (body_at + clen >= c->cap)
                return false;
        }
        if (have >= body_at + clen)
            break;
    }
    memmove(c->buf, c->buf + body_at, clen);
    c->buf[clen] = '\0';
    *len = clen;
    return true;
}

bool peer_query(struct peer_conn *c, double lon, double lat, bool want_ids, uint32_t *ids,
                size_t *n)
{
    *n = 0;
    if (c->redis) {
        redisReply *r = redisCommand(c->redis,
                                     "GEOSEARCH pts FROMLONLAT %.7f %.7f BYRADIUS 1 km ASC "
                                     "COUNT 10",
                                     lon, lat);
        bool ok = r && r->type == REDIS_REPLY_ARRAY;
        for (size_t i = 0; ok && i < r->elements && i < PEER_K; i++)
            ids[(*n)++] = (uint32_t)strtoul(r->element[i]->str, NULL, 10);
        freeReplyObject(r);
        return ok;
    }
    if (c->pg) {
        char x[32], y[32];
        snprintf(x, sizeof x, "%.7f", lon);
        snprintf(y, sizeof y, "%.7f", lat);
        const char *params[2] = {x, y};
        PGresult *r = PQexecPrepared(c->pg, "knn", 2, params, NULL, NULL, 0);
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        for (int i = 0; ok && i < PQntuples(r) && i < PEER_K; i++)
            ids[(*n)++] = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
        PQclear(r);
        return ok;
    }
    char target[256];
    snprintf(target, sizeof target, "/v1/nearby?lon=%.7f&lat=%.7f&k=%d%s%s", lon, lat, PEER_K,
             c->t->radius_1km ? "&radius=1000" : "",
             c->t->kind == PEER_GEOD_MSGPACK ? "&format=msgpack" : "");
    size_t len;
    if (!http_get(c, target, &len))
        return false;
    if (!want_ids)
        return true;
    if (c->t->kind == PEER_GEOD_MSGPACK) { /* {"results": [{"id": n, ...}, ...], ...} */
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        bool ok = msgpack_unpack_next(&u, c->buf, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
                  u.data.type == MSGPACK_OBJECT_MAP;
        for (uint32_t i = 0; ok && i < u.data.via.map.size; i++) {
            msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size != 7 ||
                memcmp(kv->key.via.str.ptr, "results", 7) || kv->val.type != MSGPACK_OBJECT_ARRAY)
                continue;
            for (uint32_t j = 0; j < kv->val.via.array.size && *n < PEER_K; j++) {
                msgpack_object *item = &kv->val.via.array.ptr[j];
                for (uint32_t k = 0; item->type == MSGPACK_OBJECT_MAP && k < item->via.map.size;
                     k++) {
                    msgpack_object_kv *f = &item->via.map.ptr[k];
                    if (f->key.type == MSGPACK_OBJECT_STR && f->key.via.str.size == 2 &&
                        !memcmp(f->key.via.str.ptr, "id", 2))
                        ids[(*n)++] = (uint32_t)f->val.via.u64;
                }
            }
        }
        msgpack_unpacked_destroy(&u);
        return ok;
    }
    json_t *j = json_loadb(c->buf, len, 0, NULL), *e;
    size_t i;
    json_array_foreach(json_object_get(j, "results"), i, e)
    {
        if (*n < PEER_K)
            ids[(*n)++] = (uint32_t)json_integer_value(json_object_get(e, "id"));
    }
    json_decref(j);
    return true;
}

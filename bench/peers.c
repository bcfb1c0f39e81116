/* peers.c - see peers.h. Blocking, one connection, no pipelining. */
#include "bench/peers.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct peer_conn {
    const struct ol_target *t;
    int fd;    /* HTTP, RESP */
    char *buf; /* the answer */
    size_t cap;
    PGconn *pg;
};

struct peer_conn *peer_connect(const struct ol_target *t)
{
    struct peer_conn *c = calloc(1, sizeof *c);
    c->t = t;
    c->fd = -1;
    if (t->proto == OL_PG) {
        c->pg = PQconnectdb(t->path);
        PGresult *r = PQstatus(c->pg) == CONNECTION_OK
                          ? PQprepare(c->pg, "q", t->pg_sql, t->pg_params, NULL)
                          : NULL;
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "postgis: %s", PQerrorMessage(c->pg));
        PQclear(r);
        if (!ok)
            return peer_close(c), NULL;
        return c;
    }
    if (t->proto == OL_RESP) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", t->path);
        c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa))
            return perror("redis: connect"), peer_close(c), NULL;
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons(t->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa))
            return perror("http: connect"), peer_close(c), NULL;
    }
    c->cap = 1 << 20;
    c->buf = malloc(c->cap);
    return c;
}

void peer_close(struct peer_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    if (c->pg)
        PQfinish(c->pg);
    free(c->buf);
    free(c);
}

/* Reads until complete(buf, have) says how long the answer is (> 0). */
static bool read_answer(struct peer_conn *c, long (*complete)(const char *, size_t), size_t *len)
{
    size_t have = 0;
    for (;;) {
        if (have + 1 >= c->cap) {
            c->cap *= 2;
            c->buf = realloc(c->buf, c->cap);
        }
        ssize_t r = read(c->fd, c->buf + have, c->cap - have - 1);
        if (r <= 0)
            return false;
        have += (size_t)r;
        c->buf[have] = '\0';
        long n = complete(c->buf, have);
        if (n < 0)
            return false;
        if (n > 0) {
            *len = (size_t)n;
            return true;
        }
    }
}

static long http_complete(const char *b, size_t n)
{
    const char *end = strstr(b, "\r\n\r\n");
    if (!end)
        return 0;
    const char *cl = strcasestr(b, "\r\ncontent-length:");
    if (!cl || cl > end)
        return -1;
    size_t head = (size_t)(end - b) + 4, clen = strtoul(cl + 17, NULL, 10);
    return n >= head + clen ? (long)(head + clen) : 0;
}

/* One RESP value's length, 0 incomplete, -1 malformed. */
static long resp_complete(const char *b, size_t n)
{
    const char *eol = memmem(b, n, "\r\n", 2);
    if (n < 3 || !eol)
        return 0;
    size_t line = (size_t)(eol - b) + 2;
    long v = strtol(b + 1, NULL, 10);
    if (b[0] == '+' || b[0] == '-' || b[0] == ':' || (b[0] == '$' && v < 0))
        return (long)line;
    if (b[0] == '$')
        return n >= line + (size_t)v + 2 ? (long)(line + (size_t)v + 2) : 0;
    if (b[0] != '*')
        return -1;
    size_t at = line;
    for (long i = 0; i < v; i++) {
        long e = resp_complete(b + at, n - at);
        if (e <= 0)
            return e;
        at += (size_t)e;
    }
    return (long)at;
}

static void msgpack_ids(const char *b, size_t len, uint32_t *ids, size_t max, size_t *n)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, b, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size != 7 ||
                memcmp(kv->key.via.str.ptr, "results", 7) || kv->val.type != MSGPACK_OBJECT_ARRAY)
                continue;
            for (uint32_t j = 0; j < kv->val.via.array.size && *n < max; j++) {
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
    }
    msgpack_unpacked_destroy(&u);
}

bool peer_ask(struct peer_conn *c, const struct ol_req *req, bool msgpack, uint32_t *ids,
              size_t max, size_t *n)
{
    *n = 0;
    if (c->pg) {
        char text[512];
        const char *params[16];
        int np = 0;
        size_t len = req->len < sizeof text - 1 ? req->len : sizeof text - 1;
        memcpy(text, req->data, len);
        text[len] = '\0';
        for (char *p = text; np < 16 && np < c->t->pg_params; np++) {
            params[np] = p;
            if (!(p = strchr(p, '\t')))
                break;
            *p++ = '\0';
        }
        PGresult *r = PQexecPrepared(c->pg, "q", c->t->pg_params, params, NULL, NULL, 0);
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        for (int i = 0; ok && i < PQntuples(r) && *n < max; i++)
            ids[(*n)++] = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
        PQclear(r);
        return ok;
    }
    if (write(c->fd, req->data, req->len) != (ssize_t)req->len)
        return false;
    size_t len;
    if (c->t->proto == OL_RESP) {
        if (!read_answer(c, resp_complete, &len) || c->buf[0] != '*')
            return false;
        /* *N\r\n then N bulk strings $L\r\nID\r\n */
        char *p = strchr(c->buf, '\n') + 1;
        while (*p == '$' && *n < max) {
            p = strchr(p, '\n') + 1;
            ids[(*n)++] = (uint32_t)strtoul(p, &p, 10);
            p += 2;
        }
        return true;
    }
    if (!read_answer(c, http_complete, &len) || strncmp(c->buf, "HTTP/1.1 2", 10))
        return false;
    char *body = strstr(c->buf, "\r\n\r\n") + 4;
    size_t blen = len - (size_t)(body - c->buf);
    if (msgpack) {
        msgpack_ids(body, blen, ids, max, n);
        return true;
    }
    json_t *j = json_loadb(body, blen, 0, NULL), *e;
    size_t i;
    json_array_foreach(json_object_get(j, "results"), i, e)
    {
        if (*n < max)
            ids[(*n)++] = (uint32_t)json_integer_value(json_object_get(e, "id"));
    }
    bool ok = j != NULL;
    json_decref(j);
    return ok;
}

bool peer_ask_token(struct peer_conn *c, const struct ol_req *req, char *token, size_t size)
{
    size_t len;
    if (c->t->proto != OL_HTTP || write(c->fd, req->data, req->len) != (ssize_t)req->len ||
        !read_answer(c, http_complete, &len) || strncmp(c->buf, "HTTP/1.1 200", 12))
        return false;
    char *body = strstr(c->buf, "\r\n\r\n") + 4;
    json_t *j = json_loadb(body, len - (size_t)(body - c->buf), 0, NULL);
    const char *t = json_string_value(json_object_get(j, "token"));
    bool ok = t && strlen(t) < size;
    if (ok)
        strcpy(token, t);
    json_decref(j);
    return ok;
}

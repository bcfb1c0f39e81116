/* http.c - the tests' HTTP/1.1 client (see http.h). Sockets are non-blocking and every wait is a
 * poll() against the request's deadline. Received bytes collect in one growable buffer; an
 * answer is parsed once its head ("\r\n\r\n") is in and then as many body bytes as
 * Content-Length says are waited for. Bytes beyond an answer stay buffered for the next one. */
#include "tests/lib/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX (1u << 20)  /* a longer answer head is refused */
#define BODY_MAX (64u << 20) /* so is a longer body */

struct http_client {
    uint16_t port;
    bool keep_alive;
    int timeout_ms;
    uint32_t source;   /* the address to connect from (network order), 0: any */
    int fd;            /* -1 when not connected */
    bool used;         /* the connection has carried a complete answer */
    unsigned connects; /* connections opened */
    char *buf;         /* received, not yet consumed: buf[0..len) */
    size_t len, cap;
    char err[512];
};

static const char *const err_names[] = {
    [HTTP_OK] = "ok",
    [HTTP_ECONNECT] = "connect failed",
    [HTTP_ECLOSED] = "connection closed",
    [HTTP_ETIMEOUT] = "timed out",
    [HTTP_EPROTO] = "bad answer",
    [HTTP_ESYS] = "local failure",
};

const char *http_strerror(enum http_err e)
{
    return (unsigned)e < sizeof err_names / sizeof err_names[0] ? err_names[e] : "?";
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4))) static enum http_err
fail(struct http_client *c, enum http_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return e;
}

/* Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error (errno). */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 1;
        if (n == 0 && left == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* A connected non-blocking socket to 127.0.0.1:port, or -1 with *e and c->err set. */
static int connect_to(struct http_client *c, uint16_t port, int64_t deadline, enum http_err *e)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *e = fail(c, HTTP_ESYS, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c && c->source) {
        struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = c->source};
        if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
            *e = fail(c, HTTP_ESYS, "bind: %s", strerror(errno));
            close(fd);
            return -1;
        }
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int ready = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, deadline) : -1;
        int soerr = errno;
        socklen_t sl = sizeof soerr;
        if (ready == 1)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (ready != 1 || soerr) {
            *e = ready == 0
                     ? fail(c, HTTP_ETIMEOUT, "connect to port %u timed out", port)
                     : fail(c, HTTP_ECONNECT, "connect to port %u: %s", port, strerror(soerr));
            close(fd);
            return -1;
        }
    }
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return fd;
}

void http_client_close(struct http_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->used = false;
    c->len = 0;
}

struct http_client *http_client_new(uint16_t port, bool keep_alive, int timeout_ms)
{
    struct http_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->port = port;
    c->keep_alive = keep_alive;
    c->timeout_ms = timeout_ms;
    c->fd = -1;
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    http_client_close(c);
    free(c->buf);
    free(c);
}

bool http_client_source(struct http_client *c, const char *ipv4)
{
    struct in_addr a = {0};
    if (ipv4 && inet_pton(AF_INET, ipv4, &a) != 1)
        return false;
    http_client_close(c);
    c->source = a.s_addr;
    return true;
}

const char *http_client_error(const struct http_client *c)
{
    return c->err;
}

unsigned http_client_connects(const struct http_client *c)
{
    return c->connects;
}

/* A kept-alive connection the server has closed while idle reads as EOF (or an error). */
static bool idle_conn_dead(struct http_client *c)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return false;
    char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);
    return n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR));
}

static enum http_err ensure_conn(struct http_client *c, int64_t deadline)
{
    if (c->fd >= 0 && c->used && idle_conn_dead(c))
        http_client_close(c);
    if (c->fd >= 0)
        return HTTP_OK;
    enum http_err e = HTTP_OK;
    c->fd = connect_to(c, c->port, deadline, &e);
    if (c->fd < 0)
        return e;
    c->connects++;
    c->used = false;
    c->len = 0;
    return HTTP_OK;
}

static enum http_err send_all(struct http_client *c, const char *p, size_t len, int64_t deadline)
{
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(c, errno == EPIPE || errno == ECONNRESET ? HTTP_ECLOSED : HTTP_ESYS,
                        "send: %s", strerror(errno));
        int w = wait_fd(c->fd, POLLOUT, deadline);
        if (w <= 0)
            return w == 0 ? fail(c, HTTP_ETIMEOUT, "send timed out")
                          : fail(c, HTTP_ESYS, "poll: %s", strerror(errno));
    }
    return HTTP_OK;
}

/* Reads what is available into the buffer, waiting until the deadline: HTTP_OK with *eof set
 * when the peer closed (or reset) the connection. */
static enum http_err fill(struct http_client *c, int64_t deadline, bool *eof)
{
    *eof = false;
    if (c->cap - c->len < 16384) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        char *p = realloc(c->buf, cap);
        if (!p)
            return fail(c, HTTP_ESYS, "out of memory");
        c->buf = p;
        c->cap = cap;
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            return HTTP_OK;
        }
        if (n == 0 || errno == ECONNRESET) {
            *eof = true;
            return HTTP_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(c, HTTP_ESYS, "recv: %s", strerror(errno));
        int w = wait_fd(c->fd, POLLIN, deadline);
        if (w == 0)
            return fail(c, HTTP_ETIMEOUT, "no complete answer within %d ms (%zu bytes in)",
                        c->timeout_ms, c->len);
        if (w < 0)
            return fail(c, HTTP_ESYS, "poll: %s", strerror(errno));
    }
}

static bool token_in(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (strncasecmp(p, tok, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

/* Parses the head hmem (NUL-terminated, without the final CRLF CRLF) into r. */
static enum http_err parse_head(struct http_client *c, struct http_resp *r)
{
    char *line = r->hmem, *next;
    size_t maxh = 1;
    for (const char *p = line; *p; p++)
        maxh += *p == '\n';
    r->headers = calloc(maxh, sizeof *r->headers);
    if (!r->headers)
        return fail(c, HTTP_ESYS, "out of memory");
    bool http10;
    if (strncmp(line, "HTTP/1.1 ", 9) == 0)
        http10 = false;
    else if (strncmp(line, "HTTP/1.0 ", 9) == 0)
        http10 = true;
    else
        return fail(c, HTTP_EPROTO, "status line does not start with HTTP/1.x: %.60s", line);
    for (int i = 9; i < 12; i++)
        if (line[i] < '0' || line[i] > '9')
            return fail(c, HTTP_EPROTO, "bad status code in: %.60s", line);
    if (line[12] != ' ' && line[12] != '\r')
        return fail(c, HTTP_EPROTO, "bad status line: %.60s", line);
    r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    bool keep_alive_hdr = false;
    for (;; line = next) {
        char *eol = strstr(line, "\r\n");
        next = eol ? eol + 2 : line + strlen(line);
        if (eol)
            *eol = '\0';
        if (line == r->hmem) {
            r->reason = line[12] ? line + 13 : line + 12;
        } else {
            char *colon = strchr(line, ':');
            if (!colon || colon == line || strpbrk(line, " \t") < colon)
                return fail(c, HTTP_EPROTO, "bad header line: %.60s", line);
            *colon = '\0';
            char *v = colon + 1, *end = v + strlen(v);
            while (*v == ' ' || *v == '\t')
                v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = '\0';
            r->headers[r->nheaders++] = (struct http_header){line, v};
            if (strcasecmp(line, "Content-Length") == 0) {
                char *e;
                if (*v < '0' || *v > '9')
                    return fail(c, HTTP_EPROTO, "bad Content-Length: %.40s", v);
                unsigned long long n = strtoull(v, &e, 10);
                if (*e || n > BODY_MAX || (r->has_length && r->length != n))
                    return fail(c, HTTP_EPROTO, "bad or conflicting Content-Length: %.40s", v);
                r->has_length = true;
                r->length = (size_t)n;
            } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
                return fail(c, HTTP_EPROTO, "Transfer-Encoding %s where Content-Length is due", v);
            } else if (strcasecmp(line, "Connection") == 0) {
                r->closes = r->closes || token_in(v, "close");
                keep_alive_hdr = keep_alive_hdr || token_in(v, "keep-alive");
            }
        }
        if (!*next)
            break;
    }
    if (http10 && !keep_alive_hdr)
        r->closes = true;
    return HTTP_OK;
}

static void consume(struct http_client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static enum http_err read_answer(struct http_client *c, bool head, struct http_resp *r,
                                 int64_t deadline)
{
    memset(r, 0, sizeof *r);
    if (c->fd < 0)
        return fail(c, HTTP_ECLOSED, "not connected");
    size_t hlen = 0;
    for (;;) {
        char *end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (end) {
            hlen = (size_t)(end - c->buf);
            break;
        }
        if (c->len > HEAD_MAX)
            return fail(c, HTTP_EPROTO, "answer head longer than %u bytes", HEAD_MAX);
        bool eof;
        enum http_err e = fill(c, deadline, &eof);
        if (e)
            return e;
        if (eof)
            return c->len == 0
                       ? fail(c, HTTP_ECLOSED, "closed before answering")
                       : fail(c, HTTP_EPROTO, "closed within the answer head (%zu bytes)", c->len);
    }
    if (!(r->hmem = malloc(hlen + 1)))
        return fail(c, HTTP_ESYS, "out of memory");
    memcpy(r->hmem, c->buf, hlen);
    r->hmem[hlen] = '\0';
    enum http_err e = parse_head(c, r);
    if (e)
        return e;
    consume(c, hlen + 4);
    bool no_body = head || r->status / 100 == 1 || r->status == 204 || r->status == 304;
    bool to_close = !no_body && !r->has_length;
    if (to_close && (r->status / 100 == 2 || r->status / 100 == 4))
        return fail(c, HTTP_EPROTO, "a %d answer without Content-Length", r->status);
    size_t want = no_body ? 0 : r->length;
    for (bool eof = false; to_close ? !eof : c->len < want;) {
        if (c->len > BODY_MAX)
            return fail(c, HTTP_EPROTO, "body longer than %u bytes", BODY_MAX);
        if ((e = fill(c, deadline, &eof)))
            return e;
        if (eof && !to_close)
            return fail(c, HTTP_EPROTO, "closed after %zu of %zu body bytes", c->len, want);
    }
    if (to_close) {
        want = c->len;
        r->closes = true;
    }
    if (!(r->mem = malloc(want + 1)))
        return fail(c, HTTP_ESYS, "out of memory");
    memcpy(r->mem, c->buf, want);
    r->mem[want] = '\0';
    r->body = r->mem;
    r->body_len = want;
    consume(c, want);
    c->used = true;
    return HTTP_OK;
}

enum http_err http_read_response(struct http_client *c, bool head, struct http_resp *out)
{
    c->err[0] = '\0';
    enum http_err e = read_answer(c, head, out, now_ms() + c->timeout_ms);
    if (e || out->closes)
        http_client_close(c);
    return e;
}

enum http_err http_send_raw(struct http_client *c, const void *data, size_t len)
{
    int64_t deadline = now_ms() + c->timeout_ms;
    c->err[0] = '\0';
    enum http_err e = ensure_conn(c, deadline);
    if (!e)
        e = send_all(c, data, len, deadline);
    return e;
}

/* The request as one buffer (malloc'ed). */
static char *format_request(struct http_client *c, const char *method, const char *target,
                            const char *headers, const char *body, size_t body_len, size_t *len)
{
    char *req = NULL;
    FILE *f = open_memstream(&req, len);
    if (!f)
        return NULL;
    fprintf(f, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s", method, target, c->port,
            headers ? headers : "");
    if (body) {
        fprintf(f, "Content-Length: %zu\r\n\r\n", body_len);
        fwrite(body, 1, body_len, f);
    } else {
        fputs("\r\n", f);
    }
    if (fclose(f) != 0) {
        free(req);
        return NULL;
    }
    return req;
}

enum http_err http_request(struct http_client *c, const char *method, const char *target,
                           const char *headers, const char *body, size_t body_len,
                           struct http_resp *out)
{
    memset(out, 0, sizeof *out);
    c->err[0] = '\0';
    size_t len;
    char *req = format_request(c, method, target, headers, body, body_len, &len);
    if (!req)
        return fail(c, HTTP_ESYS, "out of memory");
    bool head = strcmp(method, "HEAD") == 0;
    enum http_err e = HTTP_OK;
    /* a kept-alive connection may be closed by the server between our check and our request:
     * like every HTTP client, try once more on a new connection then (connects counts it) */
    for (int attempt = 0; attempt < 2; attempt++) {
        int64_t deadline = now_ms() + c->timeout_ms;
        bool reused = c->fd >= 0 && c->used;
        if (!(e = ensure_conn(c, deadline)))
            e = send_all(c, req, len, deadline);
        if (!e)
            e = read_answer(c, head, out, deadline);
        if (e || out->closes || !c->keep_alive)
            http_client_close(c);
        if (!(e == HTTP_ECLOSED && reused))
            break;
        http_resp_free(out);
    }
    free(req);
    return e;
}

enum http_err http_get(struct http_client *c, const char *target, const char *headers,
                       struct http_resp *out)
{
    return http_request(c, "GET", target, headers, NULL, 0, out);
}

size_t http_client_stray_bytes(struct http_client *c, int wait_ms)
{
    if (c->fd < 0)
        return 0;
    bool eof = false;
    int64_t deadline = now_ms() + wait_ms;
    while (!eof && now_ms() < deadline && fill(c, deadline, &eof) == HTTP_OK)
        ;
    size_t n = c->len;
    c->len = 0;
    if (eof)
        http_client_close(c);
    return n;
}

const char *http_header(const struct http_resp *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

size_t http_header_count(const struct http_resp *r, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nheaders; i++)
        n += strcasecmp(r->headers[i].name, name) == 0;
    return n;
}

void http_resp_free(struct http_resp *r)
{
    free(r->mem);
    free(r->hmem);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

/* Has buf[0..len) one complete answer: a head and as many body bytes as its Content-Length
 * says (none without one)? */
static bool answer_complete(const char *buf, size_t len)
{
    const char *end = buf && len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
    if (!end)
        return false;
    size_t body = (size_t)(buf + len - (end + 4)), want = 0;
    for (const char *p = buf; p < end; p++) {
        p = memchr(p, '\n', (size_t)(end - p));
        if (!p)
            break;
        if ((size_t)(end - p) > 16 && strncasecmp(p + 1, "Content-Length:", 15) == 0)
            want = strtoull(p + 16, NULL, 10);
    }
    return body >= want;
}

enum http_err http_raw_exchange(uint16_t port, const void *data, size_t len, bool shut_write,
                                int timeout_ms, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    struct http_client *c = http_client_new(port, false, timeout_ms);
    if (!c)
        return HTTP_ESYS;
    int64_t deadline = now_ms() + timeout_ms;
    enum http_err e = ensure_conn(c, deadline);
    if (!e) {
        /* the server may refuse and close before reading everything: read what it said */
        if (send_all(c, data, len, deadline) == HTTP_OK && shut_write)
            shutdown(c->fd, SHUT_WR);
        for (bool eof = false; !eof && !e && !answer_complete(c->buf, c->len);)
            e = fill(c, deadline, &eof);
    }
    if (c->buf || !e) {
        *out = malloc(c->len + 1);
        if (*out) {
            memcpy(*out, c->buf ? c->buf : "", c->len);
            (*out)[c->len] = '\0';
            *out_len = c->len;
        } else {
            e = HTTP_ESYS;
        }
    }
    http_client_free(c);
    return e;
}

static void *loader_main(void *arg)
{
    struct http_loader *l = arg;
    struct http_client *c = http_client_new(l->port, true, 10000);
    while (c && !atomic_load(&l->stop)) {
        struct http_resp r;
        enum http_err e = http_get(c, l->target, NULL, &r);
        if (!e && r.status == 200)
            l->ok++;
        else if (e == HTTP_ECLOSED)
            l->closed++;
        else if (e == HTTP_ECONNECT)
            l->refused++;
        else if (!l->bad++)
            snprintf(l->first_bad, sizeof l->first_bad, "%s %d: %.200s", http_strerror(e), r.status,
                     http_client_error(c));
        http_resp_free(&r);
        if (e == HTTP_ECONNECT)
            break;
    }
    http_client_free(c);
    return NULL;
}

bool http_loader_start(struct http_loader *l, uint16_t port, const char *target)
{
    memset(l, 0, sizeof *l);
    l->port = port;
    l->target = target;
    atomic_init(&l->stop, false);
    return pthread_create(&l->tid, NULL, loader_main, l) == 0;
}

void http_loader_stop(struct http_loader *l)
{
    atomic_store(&l->stop, true);
    pthread_join(l->tid, NULL);
}

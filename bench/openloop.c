/* openloop.c - see openloop.h. One epoll loop; a connection is idle or has exactly one request
 * in flight. The schedule is kept as an index: requests [head, due) are due and unsent, so a
 * backlog costs no memory. Timeouts use epoll_pwait2 (nanoseconds) with a 1 ns timer slack, and
 * spin when the next send is under 20 µs away, so sends leave close to their due times; the
 * report prints how late they left (send lag). */
#include "bench/openloop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define DRAIN_S 2.0 /* after the last send, how long answers are awaited */

struct conn {
    int fd;
    PGconn *pg;
    bool busy, dead, want_out;
    double due;      /* when the request in flight was due (closed loop: sent) */
    const char *out; /* unsent bytes of the request in flight (HTTP, RESP) */
    size_t out_len;
    char *buf; /* the answer so far (HTTP, RESP) */
    size_t have, cap;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Length of one complete RESP value at b[0..n), 0 if incomplete, -1 if malformed. */
static long resp_len(const char *b, size_t n)
{
    if (n < 3)
        return 0;
    const char *eol = memmem(b, n, "\r\n", 2);
    if (!eol)
        return 0;
    size_t line = (size_t)(eol - b) + 2;
    long v = strtol(b + 1, NULL, 10);
    switch (b[0]) {
    case '+':
    case '-':
    case ':':
        return (long)line;
    case '$':
        if (v < 0)
            return (long)line;
        return n >= line + (size_t)v + 2 ? (long)(line + (size_t)v + 2) : 0;
    case '*': {
        size_t at = line;
        for (long i = 0; i < v; i++) {
            long e = resp_len(b + at, n - at);
            if (e <= 0)
                return e;
            at += (size_t)e;
        }
        return (long)at;
    }
    default:
        return -1;
    }
}

/* An HTTP answer at b[0..n): 1 complete (status into *status, body length *body), 0 not yet,
 * -1 malformed. */
static int http_done(const char *b, size_t n, int *status, size_t *body)
{
    const char *end = memmem(b, n, "\r\n\r\n", 4);
    if (!end)
        return 0;
    if (n < 12 || memcmp(b, "HTTP/1.", 7))
        return -1;
    *status = atoi(b + 9);
    size_t head = (size_t)(end - b) + 4, clen = 0;
    bool have_len = false;
    for (const char *p = b; p < end;) {
        const char *nl = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!nl)
            break;
        p = nl + 2;
        if (end - p > 15 && !strncasecmp(p, "content-length:", 15)) {
            clen = strtoul(p + 15, NULL, 10);
            have_len = true;
        }
    }
    if (!have_len)
        return -1; /* every engine here sends one; chunked answers are not read */
    *body = clen;
    return n >= head + clen ? 1 : 0;
}

static bool connect_one(const struct ol_target *t, struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    if (t->proto == OL_PG) {
        c->pg = PQconnectdb(t->path);
        PGresult *r = PQstatus(c->pg) == CONNECTION_OK
                          ? PQprepare(c->pg, "ol", t->pg_sql, t->pg_params, NULL)
                          : NULL;
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "openloop: postgres: %s", PQerrorMessage(c->pg));
        PQclear(r);
        if (!ok || PQsetnonblocking(c->pg, 1))
            return false;
        c->fd = PQsocket(c->pg);
        return true;
    }
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
    if (t->proto == OL_RESP) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", t->path);
        c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa))
            return perror("openloop: redis"), false;
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons(t->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa))
            return perror("openloop: connect"), false;
    }
    return true;
}

static void close_one(struct conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    else if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
}

static void want_out(int ep, struct conn *c, bool on)
{
    if (c->want_out == on)
        return;
    c->want_out = on;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static bool flush_out(int ep, struct conn *c)
{
    if (c->pg) {
        int f = PQflush(c->pg);
        want_out(ep, c, f == 1);
        return f >= 0;
    }
    while (c->out_len) {
        ssize_t w = write(c->fd, c->out, c->out_len);
        if (w < 0 && errno == EAGAIN)
            break;
        if (w <= 0)
            return false;
        c->out += w;
        c->out_len -= (size_t)w;
    }
    want_out(ep, c, c->out_len > 0);
    return true;
}

static bool send_req(int ep, const struct ol_target *t, struct conn *c, const struct ol_req *r)
{
    c->busy = true;
    c->have = 0;
    if (c->pg) {
        char text[512];
        const char *params[16];
        int n = 0;
        size_t len = r->len < sizeof text - 1 ? r->len : sizeof text - 1;
        memcpy(text, r->data, len);
        text[len] = '\0';
        for (char *p = text; n < 16 && n < t->pg_params; n++) {
            params[n] = p;
            p = strchr(p, '\t');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (!PQsendQueryPrepared(c->pg, "ol", t->pg_params, params, NULL, NULL, 0))
            return false;
    } else {
        c->out = r->data;
        c->out_len = r->len;
    }
    return flush_out(ep, c);
}

/* Reads what is there; 1 when the answer is complete (*ok: a success), 0 not yet, -1 broken. */
static int on_read(struct conn *c, enum ol_proto proto, bool *ok, size_t *bytes)
{
    if (c->pg) {
        if (!PQconsumeInput(c->pg))
            return -1;
        *ok = true;
        while (!PQisBusy(c->pg)) {
            PGresult *r = PQgetResult(c->pg);
            if (!r)
                return 1;
            if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
                *ok = false;
            *bytes = (size_t)PQntuples(r);
            PQclear(r);
        }
        return 0;
    }
    for (;;) {
        if (c->cap - c->have < 4096) {
            c->cap *= 2;
            c->buf = realloc(c->buf, c->cap);
        }
        size_t room = c->cap - c->have;
        ssize_t r = read(c->fd, c->buf + c->have, room);
        if (r < 0 && errno == EAGAIN)
            break;
        if (r <= 0)
            return -1;
        c->have += (size_t)r;
        if ((size_t)r < room) /* the socket is drained */
            break;
    }
    if (proto == OL_RESP) {
        long n = resp_len(c->buf, c->have);
        if (n <= 0)
            return (int)n;
        *ok = c->buf[0] != '-';
        *bytes = (size_t)n;
        return 1;
    }
    int status = 0;
    size_t body = 0;
    int d = http_done(c->buf, c->have, &status, &body);
    if (d == 1) {
        *ok = status >= 200 && status < 300;
        *bytes = body;
    }
    return d;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return NAN;
    size_t i = (size_t)(p * (double)n);
    return v[i < n ? i : n - 1];
}

struct samples {
    double *v;
    size_t n, cap;
};

static void push(struct samples *s, double x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1 << 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = x;
}

bool ol_run(const struct ol_spec *spec, struct ol_result *out)
{
    memset(out, 0, sizeof *out);
    int nc = spec->conns < 1 ? 1 : spec->conns > MAX_CONNS ? MAX_CONNS : spec->conns;
    struct conn *cs = calloc((size_t)nc, sizeof *cs);
    int ep = epoll_create1(0);
    bool ok = ep >= 0;
    for (int i = 0; i < nc && ok; i++) {
        ok = connect_one(spec->t, &cs[i]);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) == 0;
    }
    for (int i = 0; i < nc && ok; i++)
        ok = cs[i].pg || fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK) == 0;
    if (!ok) {
        for (int i = 0; i < nc; i++)
            close_one(&cs[i]);
        free(cs);
        if (ep >= 0)
            close(ep);
        return false;
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    struct samples lat = {0}, lag = {0};
    double bytes = 0;
    const bool open = spec->rate > 0;
    const double t0 = now(), end = t0 + spec->seconds;
    /* answers are awaited DRAIN_S past the last send (or past max_seconds with min_done) */
    const double hard = fmax(end, spec->min_done ? t0 + spec->max_seconds : end) + DRAIN_S;
    size_t head = 0, due = 0, next = spec->first; /* open loop: [head, due) due, unsent */
    double last = t0;
    int busy = 0, alive = nc;
    struct epoll_event evs[MAX_CONNS];
    for (;;) {
        double t = now();
        if (open)
            while (t0 + (double)due / spec->rate <= t && t0 + (double)due / spec->rate < end)
                due++;
        bool more =
            t < end || (out->done + (size_t)busy < spec->min_done && t < t0 + spec->max_seconds);
        for (int i = 0; i < nc && (open ? head < due : more); i++) {
            struct conn *c = &cs[i];
            if (c->busy || c->dead)
                continue;
            const struct ol_req *r = &spec->reqs[next++ % spec->nreq];
            c->due = open ? t0 + (double)head++ / spec->rate : t;
            if (open)
                push(&lag, (t - c->due) * 1e6);
            if (!send_req(ep, spec->t, c, r)) {
                c->dead = true, alive--, out->errors++;
                continue;
            }
            busy++;
        }
        if (!alive)
            break;
        if (!more && !busy && (!open || head == due))
            break;
        if (t >= hard)
            break;
        double wake = hard;
        if (open && t0 + (double)due / spec->rate < end)
            wake = t0 + (double)due / spec->rate;
        if (!open && t < end)
            wake = fmin(wake, end);
        double wait = wake - t;
        struct timespec ts = {0, 0};
        if (wait > 20e-6) {
            ts.tv_sec = (time_t)wait;
            ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
        }
        int n = epoll_pwait2(ep, evs, MAX_CONNS, &ts, NULL);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->dead)
                continue;
            if ((evs[i].events & EPOLLOUT) && !flush_out(ep, c)) {
                c->dead = true, alive--, busy -= c->busy, out->errors += c->busy;
                continue;
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                continue;
            bool good = false;
            size_t b = 0;
            int d = on_read(c, spec->t->proto, &good, &b);
            if (d == 0)
                continue;
            double t1 = now();
            if (d < 0 || !c->busy) {
                c->dead = true, alive--, busy -= c->busy, out->errors += c->busy;
                continue;
            }
            c->busy = false;
            busy--;
            out->done++;
            out->errors += !good;
            bytes += (double)b;
            push(&lat, (t1 - c->due) * 1e6);
            last = t1;
        }
    }
    if (open)
        out->late = due - head;
    for (int i = 0; i < nc; i++) {
        if (cs[i].busy && !cs[i].dead)
            out->late++;
        close_one(&cs[i]);
    }
    free(cs);
    close(ep);
    out->elapsed = last - t0;
    out->rps = out->elapsed > 0 ? (double)out->done / out->elapsed : 0;
    qsort(lat.v, lat.n, sizeof *lat.v, by_double);
    double sum = 0;
    for (size_t i = 0; i < lat.n; i++)
        sum += lat.v[i];
    out->mean = lat.n ? sum / (double)lat.n : NAN;
    out->p50 = pct(lat.v, lat.n, 0.5);
    out->p99 = pct(lat.v, lat.n, 0.99);
    out->p999 = pct(lat.v, lat.n, 0.999);
    qsort(lag.v, lag.n, sizeof *lag.v, by_double);
    out->send_lag_p99 = pct(lag.v, lag.n, 0.99);
    out->bytes = out->done ? bytes / (double)out->done : 0;
    free(lat.v);
    free(lag.v);
    return true;
}

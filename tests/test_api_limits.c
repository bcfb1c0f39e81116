/* test_api_limits.c - slow and abusive clients against the real binary ($GEOD_BIN), started with
 * --request-timeout 3 --max-connections 400: a slowloris (a header byte every half second,
 * never finished) and a slow body are closed by the request timeout; a 1 MB header line is cut
 * off; bodies over the caps get 413 (with Content-Length, chunked) or a 4xx (without a length);
 * 2,000 idle connections are held to the connection limit (geod's open descriptors stay under
 * it) and closed by the time-out. While each goes on, a normal client is served, and served
 * right: GET /v1/facilities/{id} answers the record the store holds (read with plain SQLite),
 * and /healthz 200. Bounds on waiting are there to end the test, not to measure speed. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define START_MS 120000
#define REQUEST_MS 30000
#define TIMEOUT_S 3     /* --request-timeout */
#define MAX_CONNS 400   /* --max-connections */
#define IDLE_CONNS 2000 /* the flood */
#define CHECK_ID 1      /* the facility the normal client reads */

static struct geodproc geod;
static bool up;
static char tok[ACCOUNTS_TOKEN];
static struct {
    char name[512], category[64];
    double lon, lat;
    int64_t version;
} oracle;

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
}

/* ---- the normal client ---- */

static bool read_oracle(void)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_open_v2(geod.db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db,
                                 "SELECT name, category, lon, lat, version FROM facility"
                                 " WHERE id = ?1 AND deleted = 0",
                                 -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_int(st, 1, CHECK_ID);
        ok = sqlite3_step(st) == SQLITE_ROW;
    }
    if (ok) {
        snprintf(oracle.name, sizeof oracle.name, "%s", sqlite3_column_text(st, 0));
        snprintf(oracle.category, sizeof oracle.category, "%s", sqlite3_column_text(st, 1));
        oracle.lon = sqlite3_column_double(st, 2);
        oracle.lat = sqlite3_column_double(st, 3);
        oracle.version = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* One normal client's visit on a fresh connection: /healthz 200, and facility CHECK_ID as the
 * store holds it. False with why. */
static bool served(char *why, size_t whylen)
{
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    struct http_resp r = {0};
    bool ok = false;
    enum http_err e = c ? http_get(c, "/healthz", NULL, &r) : HTTP_ESYS;
    if (e || r.status != 200) {
        snprintf(why, whylen, "/healthz: %s %d", e ? http_client_error(c) : "", r.status);
        goto done;
    }
    http_resp_free(&r);
    char target[64];
    snprintf(target, sizeof target, "/v1/facilities/%d", CHECK_ID);
    if ((e = http_get(c, target, NULL, &r)) || r.status != 200) {
        snprintf(why, whylen, "%s: %s %d", target, e ? http_client_error(c) : "", r.status);
        goto done;
    }
    json_t *js = json_loadb(r.body, r.body_len, 0, NULL);
    const char *name = json_string_value(json_object_get(js, "name"));
    const char *cat = json_string_value(json_object_get(js, "category"));
    double lon = json_number_value(json_object_get(js, "lon"));
    double lat = json_number_value(json_object_get(js, "lat"));
    ok = name && cat && !strcmp(name, oracle.name) && !strcmp(cat, oracle.category) &&
         fabs(lon - oracle.lon) < 1e-7 && fabs(lat - oracle.lat) < 1e-7 &&
         json_integer_value(json_object_get(js, "version")) == oracle.version;
    if (!ok)
        snprintf(why, whylen, "%s differs from the store: %.300s", target, r.body);
    json_decref(js);
done:
    http_resp_free(&r);
    http_client_free(c);
    return ok;
}

/* ---- raw sockets ---- */

static int connect_to(bool nonblocking)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(geod.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Has the server closed fd (EOF or reset)? Bytes it sent first go to got[0..cap). */
static bool closed_by_server(int fd, char *got, size_t cap, size_t *len)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0)
            return false;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return true;
        if (n < 0)
            return false;
        size_t k = *len + (size_t)n < cap ? (size_t)n : cap - *len;
        memcpy(got + *len, buf, k);
        *len += k;
    }
}

/* The status of the answer at the start of got, 0 if none. */
static int status_of(const char *got, size_t len)
{
    int st = 0;
    char line[64];
    snprintf(line, sizeof line, "%.*s", (int)(len < 63 ? len : 63), got);
    return sscanf(line, "HTTP/1.%*d %d", &st) == 1 ? st : 0;
}

/* ---- start ---- */

static void test_start(void)
{
    char err[1024];
    char secs[16], max[16];
    snprintf(secs, sizeof secs, "%d", TIMEOUT_S);
    snprintf(max, sizeof max, "%d", MAX_CONNS);
    const char *extra[] = {"--request-timeout", secs, "--max-connections", max, NULL};
    up = geodproc_start_args(&geod, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    if (!up)
        return;
    T_CHECKF(read_oracle(), "facility %d is not in %s", CHECK_ID, geod.db);
    T_CHECKF(accounts_add(geod.db, "lim", "admin", NULL, err, sizeof err) &&
                 accounts_login(geod.port, "lim", true, tok, NULL, err, sizeof err),
             "%s", err);
    T_CHECKF(served(err, sizeof err), "before any abuse: %s", err);
}

/* ---- slow clients ---- */

#define SLOW_HEAD 20 /* slowloris: headers never finished */
#define SLOW_BODY 5  /* a body announced and trickled */

static void test_slow_clients(void)
{
    int fd[SLOW_HEAD + SLOW_BODY];
    bool closed[SLOW_HEAD + SLOW_BODY] = {false};
    char got[SLOW_HEAD + SLOW_BODY][512];
    size_t got_len[SLOW_HEAD + SLOW_BODY] = {0};
    int n = SLOW_HEAD + SLOW_BODY, open_n = 0, visits = 0, bad_visits = 0;
    char why[512] = "";
    for (int i = 0; i < n; i++) {
        fd[i] = connect_to(false);
        T_CHECK(fd[i] >= 0);
        const char *head = i < SLOW_HEAD ? "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
                                         : "POST /v1/nearby HTTP/1.1\r\nHost: x\r\n"
                                           "Content-Length: 1000\r\n\r\n";
        if (fd[i] >= 0 && send(fd[i], head, strlen(head), MSG_NOSIGNAL) > 0)
            open_n++;
        else
            closed[i] = true;
    }
    /* a byte each half second, for up to ten times the time-out */
    int ticks = 0;
    for (; open_n > 0 && ticks < 20 * TIMEOUT_S; ticks++) {
        sleep_ms(500);
        for (int i = 0; i < n; i++) {
            if (closed[i])
                continue;
            if (closed_by_server(fd[i], got[i], sizeof got[i], &got_len[i]) ||
                send(fd[i], "a", 1, MSG_NOSIGNAL) != 1) {
                closed[i] = true;
                open_n--;
            }
        }
        visits++;
        if (!served(why, sizeof why))
            bad_visits++;
    }
    T_CHECKF(open_n == 0, "%d of %d slow clients still connected after %d s", open_n, n, ticks / 2);
    for (int i = 0; i < n; i++) {
        int st = status_of(got[i], got_len[i]);
        T_CHECKF(st == 0 || (st >= 400 && st < 500), "slow client %d got %d", i, st);
        if (fd[i] >= 0)
            close(fd[i]);
    }
    T_CHECKF(bad_visits == 0, "%d of %d normal visits failed meanwhile; the last: %s", bad_visits,
             visits, why);
    printf("  %d slowloris and %d slow bodies closed within %.1f s; %d normal visits served\n",
           SLOW_HEAD, SLOW_BODY, ticks / 2.0, visits);
}

/* ---- huge requests ---- */

/* Sends head, then total bytes of filler (chunked: in 64 KB chunks), reading as it goes. The
 * answer's status, 0 when none came; *cut: the server closed before all was sent. */
static int stream(const char *head, size_t total, bool chunked, bool *cut)
{
    int fd = connect_to(false);
    char got[4096];
    size_t len = 0, sent = 0;
    *cut = false;
    if (fd < 0)
        return -1;
    struct timeval tv = {REQUEST_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    static char buf[65536 + 32];
    memset(buf, 'a', sizeof buf);
    bool ok = send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head);
    while (ok && sent < total) {
        size_t k = total - sent < 65536 ? total - sent : 65536;
        char *p = buf + 16;
        size_t plen = k;
        if (chunked) {
            int h = snprintf(buf, 16, "%zx\r\n", k);
            p = buf + 16 - h;
            memmove(p, buf, (size_t)h);
            plen = (size_t)h + k;
            memcpy(p + plen, "\r\n", 2); /* buf has room: 16 ahead, 16 behind */
            plen += 2;
        }
        ok = send(fd, p, plen, MSG_NOSIGNAL) == (ssize_t)plen;
        sent += k;
        if (closed_by_server(fd, got, sizeof got, &len))
            ok = false;
    }
    if (ok && chunked)
        ok = send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL) == 5;
    *cut = !ok;
    /* the answer, if any, until the server closes or answers */
    for (int waited = 0; waited < REQUEST_MS && !status_of(got, len); waited += 50) {
        if (closed_by_server(fd, got, sizeof got, &len))
            break;
        sleep_ms(50);
    }
    close(fd);
    return status_of(got, len);
}

static void test_huge_requests(void)
{
    char why[512], head[1024];
    bool cut;
    /* a 64 KB header line fits h2o's request buffer: answered, and rightly */
    static char big[70000];
    int m = snprintf(big, sizeof big, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + m, 'b', 65536);
    memcpy(big + m + 65536, "\r\n\r\n", 5);
    int st = stream(big, 0, false, &cut);
    T_CHECKF(st == 200 || (st >= 400 && st < 500), "64 KB header: %d", st);
    T_CHECKF(served(why, sizeof why), "after a 64 KB header: %s", why);
    /* a 1 MB header line never fits: cut off, never answered with a 2xx or 5xx */
    st = stream("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", 1 << 20, false, &cut);
    T_CHECKF(cut || (st >= 400 && st < 500), "1 MB header: sent whole, answered %d", st);
    T_CHECKF(st == 0 || (st >= 400 && st < 500), "1 MB header: answered %d", st);
    T_CHECKF(served(why, sizeof why), "after a 1 MB header: %s", why);

    /* bodies: over h2o's 2 MB cap by Content-Length (refused before it is read) */
    snprintf(head, sizeof head,
             "POST /v1/facilities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nContent-Length: 3000000\r\n\r\n",
             tok);
    st = stream(head, 3000000, false, &cut);
    T_CHECKF(st == 413, "3 MB body with Content-Length: %d (cut %d)", st, cut);
    /* over it chunked: refused as it passes the cap */
    snprintf(head, sizeof head,
             "POST /v1/facilities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
             tok);
    st = stream(head, 3000000, true, &cut);
    T_CHECKF(st == 413 || (st == 0 && cut), "3 MB chunked body: %d (cut %d)", st, cut);
    T_CHECKF(served(why, sizeof why), "after the 3 MB bodies: %s", why);
    /* under h2o's cap, over the facility body's 16 KB: the handler's 413 body_too_long */
    st = stream(head, 100000, true, &cut);
    T_CHECKF(st == 413 && !cut, "100 KB chunked facility body: %d (cut %d)", st, cut);
    snprintf(head, sizeof head,
             "POST /v1/facilities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n",
             tok);
    st = stream(head, 1000000, false, &cut);
    T_CHECKF(st == 413 && !cut, "1 MB facility body: %d (cut %d)", st, cut);
    /* no length at all: no body as far as HTTP goes, the bytes after are no request */
    snprintf(head, sizeof head,
             "POST /v1/facilities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\n\r\n",
             tok);
    st = stream(head, 1000000, false, &cut);
    T_CHECKF(st >= 400 && st < 500, "a body without a length: %d (cut %d)", st, cut);
    T_CHECKF(served(why, sizeof why), "after the bodies: %s", why);
    printf("  64 KB header answered, 1 MB header cut off, bodies over the caps refused\n");
}

/* ---- many idle connections ---- */

/* geod's open descriptors, from /proc. */
static int fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return d ? n : -1;
}

static void test_idle_connections(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < IDLE_CONNS + 200 && rl.rlim_max > rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int n = rl.rlim_cur > IDLE_CONNS + 200 ? IDLE_CONNS : (int)rl.rlim_cur - 200;
    T_CHECKF(n >= 1000, "only %d descriptors for the idle connections", n);
    int baseline = fd_count(geod.pid);
    static int fd[IDLE_CONNS];
    static bool closed[IDLE_CONNS];
    int opened = 0;
    for (int i = 0; i < n; i++) {
        fd[i] = connect_to(true);
        closed[i] = fd[i] < 0;
        opened += fd[i] >= 0;
    }
    T_CHECKF(opened == n, "opened %d of %d connections", opened, n);
    /* while they sit there: geod stays within its limit and a normal client is served */
    char why[512] = "";
    int visits = 0, bad = 0, most = 0;
    for (int i = 0; i < 5; i++) {
        visits++;
        bad += !served(why, sizeof why);
        int now = fd_count(geod.pid);
        most = now > most ? now : most;
    }
    T_CHECKF(bad == 0, "%d of %d normal visits failed during the flood; the last: %s", bad, visits,
             why);
    /* descriptors: the connections, the store's files per thread, listeners, logs */
    T_CHECKF(most <= MAX_CONNS + baseline + 8, "geod held %d descriptors (limit %d + %d before)",
             most, MAX_CONNS, baseline);
    /* every idle connection is closed by geod in the end */
    int left = opened;
    for (int t = 0; left > 0 && t < 1200; t++) { /* up to 2 minutes */
        for (int i = 0; i < n; i++) {
            char got[64];
            size_t len = 0;
            if (!closed[i] && closed_by_server(fd[i], got, sizeof got, &len)) {
                closed[i] = true;
                left--;
            }
        }
        if (left)
            sleep_ms(100);
    }
    T_CHECKF(left == 0, "%d of %d idle connections still open", left, opened);
    for (int i = 0; i < n; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    T_CHECKF(served(why, sizeof why), "after the flood: %s", why);
    int after = -1;
    for (int t = 0; t < 50 && (after = fd_count(geod.pid)) > baseline; t++)
        sleep_ms(100);
    T_CHECKF(after <= baseline, "geod holds %d descriptors after the flood, %d before", after,
             baseline);
    printf("  %d idle connections: at most %d descriptors in geod (limit %d), %d visits served, "
           "all closed by geod\n",
           opened, most, MAX_CONNS, visits);
}

static void test_stop(void)
{
    int st;
    T_CHECK(geodproc_stop(&geod, 20000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *log = geodproc_stderr(&geod), why[512];
    T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "%s", why);
    free(log);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    T_RUN(test_start);
    if (up) {
        T_RUN(test_slow_clients);
        T_RUN(test_huge_requests);
        T_RUN(test_idle_connections);
        T_RUN(test_stop);
    }
    geodproc_kill(&geod);
    geodproc_cleanup(&geod);
    return T_END();
}

/* bench_write.c - how long an acknowledged facility write takes over HTTP, by store size: a
 * store with the built-in data plus --rows generated facilities (`geod import`), an admin
 * account (`geod user add`), the release binary serving it on loopback, then --writes
 * sequential POST /v1/facilities (new shelters at deterministic positions in Wuhan), each timed
 * from the first byte sent to the last byte of the 201, and each followed (untimed) by GET
 * /v1/facilities/{id} and a /v1/nearby at the new position, which must show it: a write counts
 * only if the very next query sees it. Then, with --clients 1,4,16, for each count that many
 * clients on kept-alive connections POST one write after another for --seconds each (what group
 * commit gathers), next to the fdatasync rate of the store's disk measured the way
 * bench/peers_srv.c does, with geod's CPU per write from /proc. Speed is never asserted; the exit
 * status is 1 when a run fails or a write is not visible. */
#include "bench/gen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static bool write_feed(const char *path, size_t n)
{
    static const char *const cats[] = {"elderly_care",    "relief_station", "shelter",
                                       "elderly_daycare", "hospital",       "community_center"};
    struct gen_point *p = malloc((n ? n : 1) * sizeof *p);
    FILE *f = fopen(path, "w");
    if (!p || !f) {
        free(p);
        if (f)
            fclose(f);
        return false;
    }
    gen_points(GEN_CLUSTERED, 7, p, n);
    fputs("编号,名称,类别,地址,经度,纬度\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "B%07zu,压测第%zu号服务点,%s,武汉市某路%zu号,%.7f,%.7f\n", i, i,
                cats[p[i].cat % 6], i % 997, p[i].lon, p[i].lat);
    free(p);
    return fclose(f) == 0;
}

/* Runs argv with stdin from `input` (NULL: /dev/null) and stderr to log; true on exit 0. */
static bool run(char *const argv[], const char *input, const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, input ? input : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid;
    int st = -1;
    bool ok = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0 &&
              waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    posix_spawn_file_actions_destroy(&fa);
    return ok;
}

/* ---- a minimal keep-alive HTTP/1.1 client ---- */

struct conn {
    int fd;
    char buf[1 << 16];
    size_t len;
};

static bool conn_open(struct conn *c, uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    return c->fd >= 0 && setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
           connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0;
}

/* Sends a request and reads the answer: status, and the body (NUL-terminated) into c->buf. */
static int request(struct conn *c, const char *method, const char *target, const char *hdrs,
                   const char *body)
{
    char req[4096];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%zu\r\n\r\n%s",
                     method, target, hdrs ? hdrs : "", "Content-Length: ", body ? strlen(body) : 0,
                     body ? body : "");
    if (n < 0 || (size_t)n >= sizeof req || write(c->fd, req, (size_t)n) != n)
        return -1;
    c->len = 0;
    size_t head = 0, clen = 0;
    for (;;) {
        if (c->len == sizeof c->buf - 1)
            return -1;
        ssize_t k = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
        if (k <= 0)
            return -1;
        c->len += (size_t)k;
        c->buf[c->len] = '\0';
        if (!head) {
            char *e = strstr(c->buf, "\r\n\r\n");
            if (!e)
                continue;
            head = (size_t)(e - c->buf) + 4;
            char *cl = strcasestr(c->buf, "\r\ncontent-length:");
            if (!cl || cl > e)
                return -1;
            clen = strtoull(cl + 17, NULL, 10);
        }
        if (c->len >= head + clen)
            break;
    }
    int status = atoi(c->buf + 9);
    memmove(c->buf, c->buf + head, clen);
    c->buf[clen] = '\0';
    return status;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* ---- concurrent writers (--clients) ---- */

/* The disk's fdatasync rate where the store lives: 4 KiB overwrites of a preallocated file,
 * each followed by fdatasync, for `seconds` (as bench/peers_srv.c's srv_fdatasync_rate). */
static double fdatasync_rate(const char *dir, double seconds)
{
    char path[300];
    snprintf(path, sizeof path, "%s/fdatasync.bin", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 0;
    static char block[4096];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 256; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
            return close(fd), 0;
    fsync(fd);
    size_t n = 0;
    double t0 = now(), t = t0;
    while (t - t0 < seconds) {
        if (pwrite(fd, block, sizeof block, (off_t)(n % 256) * 4096) != (ssize_t)sizeof block ||
            fdatasync(fd))
            break;
        n++;
        t = now();
    }
    close(fd);
    unlink(path);
    return t > t0 ? (double)n / (t - t0) : 0;
}

/* pid's user + system CPU seconds, from /proc (every thread). */
static double cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

struct client {
    uint16_t port;
    const char *auth;
    unsigned no;       /* the client's number, in the names it writes */
    double until;      /* CLOCK_MONOTONIC seconds */
    size_t done, fail; /* 201s, other answers */
};

static void *client_main(void *arg)
{
    struct client *cl = arg;
    struct conn *c = malloc(sizeof *c);
    if (!c || !conn_open(c, cl->port)) {
        free(c);
        cl->fail++;
        return NULL;
    }
    struct gen_rng rng;
    gen_rng_seed(&rng, 13, cl->no);
    while (now() < cl->until) {
        double lon = 114.10 + 0.40 * gen_rng_unit(&rng), lat = 30.45 + 0.25 * gen_rng_unit(&rng);
        char body[512];
        snprintf(body, sizeof body,
                 "{\"category\":\"shelter\",\"name\":\"并发写入%u-%zu\",\"lon\":%.7f,"
                 "\"lat\":%.7f,\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
                 cl->no, cl->done + cl->fail, lon, lat);
        int st = request(c, "POST", "/v1/facilities", cl->auth, body);
        if (st == 201)
            cl->done++;
        else if (st < 0)
            break;
        else
            cl->fail++;
    }
    close(c->fd);
    free(c);
    return NULL;
}

/* `n` clients, each on its own kept-alive connection, POSTing one write after another for
 * `seconds`: one table row with writes/s, geod's CPU per write and the errors. */
static bool clients_run(uint16_t port, const char *auth, pid_t pid, int n, double seconds,
                        double fsync_rate)
{
    struct client cl[64];
    pthread_t tid[64];
    static unsigned round;
    round++;
    double t0 = now(), c0 = cpu_s(pid);
    for (int i = 0; i < n; i++) {
        cl[i] = (struct client){
            .port = port, .auth = auth, .no = round * 100 + (unsigned)i, .until = t0 + seconds};
        if (pthread_create(&tid[i], NULL, client_main, &cl[i]))
            return false;
    }
    size_t done = 0, fail = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        done += cl[i].done;
        fail += cl[i].fail;
    }
    double wall = now() - t0, cpu = cpu_s(pid) - c0;
    printf("| %d | %zu | %.1f | %.0f | %.0f | %.2f× | %zu |\n", n, done, (double)done / wall,
           done ? cpu * 1e6 / (double)done : 0.0, fsync_rate,
           fsync_rate > 0 ? (double)done / wall / fsync_rate : 0.0, fail);
    fflush(stdout);
    return true;
}

int main(int argc, char **argv)
{
    size_t rows = 0, writes = 200;
    const char *geod = "build/geod", *threads = "2", *given_db = NULL, *clients = NULL;
    const char *delta_max = "0";
    double seconds = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--writes") == 0 && i + 1 < argc)
            writes = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--geod") == 0 && i + 1 < argc)
            geod = argv[++i];
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            given_db = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = argv[++i];
        else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            clients = argv[++i];
        else if (strcmp(argv[i], "--delta-max") == 0 && i + 1 < argc)
            delta_max = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_write [--rows N (0: the built-in data only)] "
                            "[--writes W (200)] [--geod PATH] [--threads T (2)]\n"
                            "       [--db PATH (a store made by an earlier run: no import)]\n"
                            "       [--clients 1,4,16 [--seconds S (5)]: concurrent writers "
                            "after the sequential writes]\n"
                            "       [--delta-max N (geod's default)]\n");
            return 1;
        }
    }
    char dir[] = "/tmp/geod-bench-write-XXXXXX";
    if (!writes || !mkdtemp(dir)) {
        fprintf(stderr, "bench_write: no writes asked, or no temporary directory\n");
        return 1;
    }
    char feed[256], db[256], log[256], pw[256];
    snprintf(feed, sizeof feed, "%s/feed.csv", dir);
    snprintf(db, sizeof db, "%s", given_db ? given_db : "");
    if (!given_db)
        snprintf(db, sizeof db, "%s/geod.sqlite", dir);
    snprintf(log, sizeof log, "%s/stderr.txt", dir);
    snprintf(pw, sizeof pw, "%s/pw.txt", dir);
    FILE *f = fopen(pw, "w");
    if (!f || fputs("bench-password-123\n", f) < 0 || fclose(f))
        return 1;
    setenv("GEOD_KDF_COST", "min", 1);
    double t0 = now();
    /* the store: built-in data, plus the feed (one row when none is asked, to create it) */
    if (!given_db && !write_feed(feed, rows ? rows : 1))
        return 1;
    char *imp[] = {(char *)geod, "import", feed,       "--db",  db,
                   "--crs",      "wgs84",  "--source", "bench", NULL};
    char *user[] = {(char *)geod, "user", "add", "bench", "--role", "admin", "--db", db, NULL};
    bool made = given_db || run(imp, NULL, log);
    if (!made || (!run(user, pw, log) && !given_db)) { /* a given store may have the account */
        fprintf(stderr, "bench_write: import or user add failed (see %s)\n", log);
        return 1;
    }
    fprintf(stderr, "bench_write: store ready in %.1f s\n", now() - t0);

    int out[2];
    if (pipe(out)) {
        perror("bench_write: pipe");
        return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    char *serve[] = {(char *)geod, "serve",         "--db",         db,  "--listen", "127.0.0.1:0",
                     "--threads",  (char *)threads, "--rate-limit", "0", NULL,       NULL,
                     NULL};
    if (strcmp(delta_max, "0") != 0) {
        serve[10] = "--delta-max";
        serve[11] = (char *)delta_max;
    }
    pid_t pid;
    t0 = now();
    if (posix_spawnp(&pid, geod, &fa, NULL, serve, environ)) {
        fprintf(stderr, "bench_write: cannot run %s\n", geod);
        return 1;
    }
    close(out[1]);
    FILE *so = fdopen(out[0], "r");
    char line[512];
    unsigned port = 0;
    size_t nfac = 0;
    while (so && fgets(line, sizeof line, so))
        if (sscanf(line, "geod: serving %zu facilities at http://127.0.0.1:%u/", &nfac, &port) == 2)
            break;
    double start_s = now() - t0;
    struct conn c;
    int ok = 1;
    if (!port || !conn_open(&c, (uint16_t)port)) {
        fprintf(stderr, "bench_write: geod did not start (see %s)\n", log);
        kill(pid, SIGKILL);
        return 1;
    }
    if (request(&c, "POST", "/v1/login", "Content-Type: application/json\r\n",
                "{\"name\":\"bench\",\"password\":\"bench-password-123\",\"bearer\":true}") !=
        200) {
        fprintf(stderr, "bench_write: login failed: %s\n", c.buf);
        kill(pid, SIGKILL);
        return 1;
    }
    char auth[512], *tok = strstr(c.buf, "\"token\":\"");
    if (!tok) {
        fprintf(stderr, "bench_write: no token in %s\n", c.buf);
        kill(pid, SIGKILL);
        return 1;
    }
    tok += 9;
    snprintf(auth, sizeof auth, "Content-Type: application/json\r\nAuthorization: Bearer %.*s\r\n",
             (int)strcspn(tok, "\""), tok);
    double *lat_ms = malloc(writes * sizeof *lat_ms);
    struct gen_rng rng;
    gen_rng_seed(&rng, 11, 3);
    size_t unseen = 0;
    double wall0 = now();
    for (size_t i = 0; i < writes && ok; i++) {
        double lon = 114.10 + 0.40 * gen_rng_unit(&rng), lat = 30.45 + 0.25 * gen_rng_unit(&rng);
        char body[512], target[256];
        snprintf(
            body, sizeof body,
            "{\"category\":\"shelter\",\"name\":\"写入压测避难点%zu\",\"lon\":%.7f,\"lat\":%.7f,"
            "\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
            i, lon, lat);
        double a = now();
        int st = request(&c, "POST", "/v1/facilities", auth, body);
        lat_ms[i] = (now() - a) * 1e3;
        char *idp = strstr(c.buf, "\"id\":");
        unsigned long id = idp ? strtoul(idp + 5, NULL, 10) : 0;
        if (st != 201 || !id) {
            fprintf(stderr, "bench_write: write %zu: %d %s\n", i, st, c.buf);
            ok = 0;
            break;
        }
        snprintf(target, sizeof target, "/v1/facilities/%lu", id);
        bool seen = request(&c, "GET", target, NULL, NULL) == 200;
        snprintf(target, sizeof target, "/v1/nearby?lon=%.7f&lat=%.7f&k=1&category=shelter", lon,
                 lat);
        char want[32];
        snprintf(want, sizeof want, "\"id\":%lu,", id);
        seen = seen && request(&c, "GET", target, NULL, NULL) == 200 && strstr(c.buf, want);
        unseen += !seen;
    }
    double wall = now() - wall0;
    close(c.fd);
    if (ok && clients) {
        char dbdir[256];
        snprintf(dbdir, sizeof dbdir, "%s", db);
        char *slash = strrchr(dbdir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dbdir, sizeof dbdir, ".");
        double rate = fdatasync_rate(dbdir, seconds);
        printf("\n| clients | writes | writes/s | geod CPU µs/write | fdatasync/s | vs fdatasync "
               "| errors |\n|---:|---:|---:|---:|---:|---:|---:|\n");
        for (const char *p = clients; ok && *p;) {
            int n = atoi(p);
            if (n < 1 || n > 64 || !clients_run((uint16_t)port, auth, pid, n, seconds, rate))
                ok = 0;
            p += strcspn(p, ",");
            p += *p == ',';
        }
    }
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    if (!ok)
        return 1;
    double mean = 0;
    for (size_t i = 0; i < writes; i++)
        mean += lat_ms[i] / (double)writes;
    qsort(lat_ms, writes, sizeof *lat_ms, dbl_cmp);
    printf("| %zu | %zu | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %zu |\n", nfac, writes,
           pct(lat_ms, writes, 0.5), pct(lat_ms, writes, 0.9), pct(lat_ms, writes, 0.99),
           lat_ms[writes - 1], mean, writes / wall, unseen);
    fprintf(stderr, "bench_write: %zu facilities served after %.2f s; store in %s\n", nfac, start_s,
            dir);
    free(lat_ms);
    return unseen ? 1 : 0;
}

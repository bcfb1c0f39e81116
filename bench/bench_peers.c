/* bench_peers.c - `make bench-peers`: geod next to the engines people would pick instead, on the
 * same data, the same queries, in one run on one machine (issue 7, first step). It generates the
 * clustered points of gen.c, imports them into a geod store with `geod import`, reads back every
 * facility of the store (the points plus the built-in data) and loads exactly those into Redis 7
 * (GEOADD) and PostGIS 3 (COPY, GiST index), starts each server on loopback or a unix socket in a
 * temporary directory, and then, for 1 and 4 client threads (one connection each, one query at a
 * time), replays the same query positions for a fixed time against:
 *   geod in-process   rtree_nearest, k = 10 (one thread, no network: the engine alone)
 *   geod HTTP json    GET /v1/nearby?k=10, JSON            (the same question as PostGIS)
 *   geod HTTP msgpack GET /v1/nearby?k=10&format=msgpack
 *   geod HTTP 1 km    GET /v1/nearby?k=10&radius=1000      (the same question as Redis)
 *   Redis             GEOSEARCH ... BYRADIUS 1 km ASC COUNT 10
 *   PostGIS           ORDER BY geom <-> point LIMIT 10 (planar degrees: an approximation)
 * Each row: queries/s, p50 and p99 latency (every query timed), and recall against the exact
 * answer (geodesic distance on WGS-84, ties by id; geod's in-process R-tree, itself checked
 * against brute force by bench_index) over the first 1000 queries. Servers and clients share the
 * machine's cores (no pinning in this step); speed is reported, never asserted. */
#include "bench/gen.h"
#include "bench/peers.h"
#include "index/rtree.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define RECALL_QUERIES 1000
#define PG_PORT 55432

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const char *const categories[9] = {
    "community_center", "hospital",        "relief_station",     "shelter",          "elderly_care",
    "elderly_daycare",  "street_office",   "welfare_enterprise", "marriage_registry"};

static char dir[64];
static pid_t geod_pid, redis_pid, h2o_pid, nginx_pid;
static bool pg_started;
/* Servers on the upper half of the cores, clients on the lower half ("" and -1: no pinning). */
static char server_cpus[64] = "";
static int client_cpu_lo = -1, client_cpu_hi = -1;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void cleanup(void)
{
    if (geod_pid > 0)
        kill(geod_pid, SIGTERM), waitpid(geod_pid, NULL, 0);
    if (redis_pid > 0)
        kill(redis_pid, SIGTERM), waitpid(redis_pid, NULL, 0);
    if (h2o_pid > 0)
        kill(h2o_pid, SIGTERM), waitpid(h2o_pid, NULL, 0);
    if (nginx_pid > 0)
        kill(nginx_pid, SIGTERM), waitpid(nginx_pid, NULL, 0);
    if (pg_started)
        sh("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D %s/pg -m fast stop "
           ">/dev/null 2>&1",
           dir);
    if (dir[0])
        sh("rm -rf %s", dir);
}

/* The store's facilities: the data every engine holds. */
static struct rtree_item *read_store(const char *db, size_t *n)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    size_t cap = 1 << 20;
    struct rtree_item *it = malloc(cap * sizeof *it);
    *n = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) ||
        sqlite3_prepare_v2(h, "SELECT id, lon, lat FROM facility WHERE deleted = 0", -1, &st,
                           NULL))
        return NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap)
            it = realloc(it, (cap *= 2) * sizeof *it);
        it[(*n)++] = (struct rtree_item){.id = (uint32_t)sqlite3_column_int64(st, 0),
                                         .lon = sqlite3_column_double(st, 1),
                                         .lat = sqlite3_column_double(st, 2)};
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return it;
}

/* posix_spawnp of argv, under `taskset -c server_cpus` when pinning. */
static int spawn_server(pid_t *pid, const posix_spawn_file_actions_t *fa, char *const argv[])
{
    char *full[32];
    int n = 0;
    if (server_cpus[0]) {
        full[n++] = "taskset";
        full[n++] = "-c";
        full[n++] = server_cpus;
    }
    for (int i = 0; argv[i] && n < 31; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    return posix_spawnp(pid, full[0], fa, NULL, full, environ);
}

static bool start_geod(const char *geod, const char *db, uint16_t *port)
{
    int out[2];
    if (pipe(out))
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char log[128];
    snprintf(log, sizeof log, "%s/geod.log", dir);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    /* no rate limit: the bench is one client address asking as fast as it can */
    char *argv[] = {(char *)geod, "serve", "--db", (char *)db, "--listen", "127.0.0.1:0",
                    "--threads", "2", "--rate-limit", "0", NULL};
    if (spawn_server(&geod_pid, &fa, argv))
        return false;
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *at = strstr(line, "http://127.0.0.1:");
        if (at) {
            *port = (uint16_t)atoi(at + 17);
            return true; /* the pipe stays open: geod's later lines would block otherwise */
        }
    }
    return false;
}

static bool start_redis(const struct rtree_item *it, size_t n)
{
    char sock[128], arg[160];
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    snprintf(arg, sizeof arg, "%s", sock);
    char logf[160];
    snprintf(logf, sizeof logf, "%s/redis.log", dir);
    char *argv[] = {"redis-server", "--port", "0", "--unixsocket", arg, "--save", "",
                    "--appendonly", "no", "--loglevel", "warning", "--logfile", logf, NULL};
    if (spawn_server(&redis_pid, NULL, argv))
        return false;
    redisContext *c = NULL;
    for (int i = 0; i < 100 && !c; i++) {
        usleep(50000);
        c = redisConnectUnix(sock);
        if (c && c->err)
            redisFree(c), c = NULL;
    }
    if (!c)
        return false;
    for (size_t i = 0; i < n; i += 1000) {
        size_t m = n - i < 1000 ? n - i : 1000;
        for (size_t j = i; j < i + m; j++)
            redisAppendCommand(c, "GEOADD pts %.7f %.7f %u", it[j].lon, it[j].lat, it[j].id);
        for (size_t j = 0; j < m; j++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type == REDIS_REPLY_ERROR)
                return false;
            freeReplyObject(r);
        }
    }
    redisFree(c);
    return true;
}

static bool pg_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ||
              PQresultStatus(r) == PGRES_COPY_IN;
    if (!ok)
        fprintf(stderr, "postgis: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok;
}

static bool start_postgis(const struct rtree_item *it, size_t n)
{
    if (sh("mkdir -p %s/pg && chown postgres %s/pg && runuser -u postgres -- "
           "/usr/lib/postgresql/15/bin/initdb -D %s/pg -U bench -A trust --no-sync >/dev/null",
           dir, dir, dir) ||
        sh("runuser -u postgres -- %s%s%s/usr/lib/postgresql/15/bin/pg_ctl -D %s/pg -l %s/pg/log "
           "-w -o \"-k %s/pg -p %d -c listen_addresses='' -c shared_buffers=512MB -c fsync=off "
           "-c max_connections=20\" start >/dev/null",
           server_cpus[0] ? "taskset -c " : "", server_cpus, server_cpus[0] ? " " : "", dir, dir,
           dir, PG_PORT))
        return false;
    pg_started = true;
    char info[256];
    snprintf(info, sizeof info, "host=%s/pg port=%d user=bench dbname=postgres", dir, PG_PORT);
    PGconn *c = PQconnectdb(info);
    if (PQstatus(c) != CONNECTION_OK || !pg_exec(c, "CREATE DATABASE bench"))
        return PQfinish(c), false;
    PQfinish(c);
    snprintf(info, sizeof info, "host=%s/pg port=%d user=bench dbname=bench", dir, PG_PORT);
    c = PQconnectdb(info);
    bool ok = PQstatus(c) == CONNECTION_OK && pg_exec(c, "CREATE EXTENSION postgis") &&
              pg_exec(c, "CREATE TABLE pts (id integer PRIMARY KEY, geom geometry(Point, 4326))") &&
              pg_exec(c, "COPY pts FROM STDIN");
    char line[128];
    for (size_t i = 0; ok && i < n; i++) {
        int len = snprintf(line, sizeof line, "%u\tSRID=4326;POINT(%.7f %.7f)\n", it[i].id,
                           it[i].lon, it[i].lat);
        ok = PQputCopyData(c, line, len) == 1;
    }
    ok = ok && PQputCopyEnd(c, NULL) == 1;
    PGresult *r = PQgetResult(c);
    ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    ok = ok && pg_exec(c, "CREATE INDEX pts_geom ON pts USING gist (geom)") &&
         pg_exec(c, "VACUUM ANALYZE pts");
    PQfinish(c);
    return ok;
}

/* A typical answer's bytes (the first query's, JSON) into DIR/body.json. */
static bool save_body(uint16_t port, const struct gen_query *q)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "curl -sf -o %s/body.json 'http://127.0.0.1:%u/v1/nearby?lon=%.7f&lat=%.7f&k=10'", dir,
             port, q->lon, q->lat);
    return system(cmd) == 0;
}

/* Waits until something listens on port (up to 10 s). */
static bool wait_port(uint16_t port)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "curl -s -o /dev/null http://127.0.0.1:%u/", port);
    for (int i = 0; i < 200; i++) {
        if (system(cmd) == 0)
            return true;
        usleep(50000);
    }
    return false;
}

static bool start_h2o(const char *self_dir, uint16_t port)
{
    char bin[512], portarg[16], body[128];
    snprintf(bin, sizeof bin, "%s/bench_h2o_bytes", self_dir);
    snprintf(portarg, sizeof portarg, "%u", port);
    snprintf(body, sizeof body, "%s/body.json", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {bin, portarg, body, "2", NULL};
    return spawn_server(&h2o_pid, &fa, argv) == 0 && wait_port(port);
}

/* nginx serving the same bytes as a static file (sendfile, open file cache), 2 workers. */
static bool start_nginx(uint16_t port)
{
    if (system("command -v nginx >/dev/null 2>&1") != 0)
        return false;
    char conf[128];
    snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return false;
    fprintf(f,
            "worker_processes 2; pid %s/nginx.pid; error_log %s/nginx.err; daemon off;\n"
            "events { worker_connections 256; }\n"
            "http { access_log off; sendfile on; tcp_nodelay on; keepalive_requests 100000000;\n"
            "  open_file_cache max=10; server { listen 127.0.0.1:%u;\n"
            "  location / { default_type application/json; root %s; try_files /body.json =404; } } }\n",
            dir, dir, port, dir);
    fclose(f);
    char *argv[] = {"nginx", "-c", conf, NULL};
    return spawn_server(&nginx_pid, NULL, argv) == 0 && wait_port(port);
}

struct load {
    const struct peer_target *t; /* NULL: in-process */
    const struct rtree *tree;
    const struct gen_query *q;
    size_t nq, start;
    double seconds;
    double *lat_us; /* [cap] */
    size_t n, cap;
    bool failed;
};

static void *loader(void *arg)
{
    struct load *l = arg;
    if (client_cpu_lo >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int c = client_cpu_lo; c <= client_cpu_hi; c++)
            CPU_SET(c, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    struct peer_conn *c = l->t ? peer_connect(l->t) : NULL;
    struct rtree_scratch *s = NULL;
    struct rtree_hit hits[PEER_K];
    rtree_scratch_new(&s);
    if (l->t && !c) {
        l->failed = true;
        return NULL;
    }
    double end = now() + l->seconds;
    uint32_t ids[PEER_K];
    for (size_t i = l->start; l->n < l->cap; i++) {
        const struct gen_query *q = &l->q[i % l->nq];
        double t0 = now();
        size_t n;
        bool ok;
        if (c) {
            ok = peer_query(c, q->lon, q->lat, false, ids, &n);
        } else {
            struct rtree_query rq = {.lon = q->lon, .lat = q->lat, .k = PEER_K,
                                     .max_m = INFINITY, .cat_mask = ~0ull};
            ok = rtree_nearest(l->tree, &rq, s, hits, &n) == GEOD_OK;
        }
        double t1 = now();
        if (!ok) {
            l->failed = true;
            break;
        }
        l->lat_us[l->n++] = (t1 - t0) * 1e6;
        if (t1 > end)
            break;
    }
    rtree_scratch_free(s);
    peer_close(c);
    return NULL;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Recall of the first RECALL_QUERIES answers against the exact ones: the share of answers equal
 * in ids and order, and of ids found. */
static void recall(const struct peer_target *t, const struct rtree *tree, const struct gen_query *q,
                   double *exact_pct, double *ids_pct)
{
    struct peer_conn *c = peer_connect(t);
    struct rtree_scratch *s;
    rtree_scratch_new(&s);
    size_t same = 0, found = 0, want = 0;
    for (size_t i = 0; c && i < RECALL_QUERIES; i++) {
        uint32_t ids[PEER_K];
        size_t n = 0, m;
        struct rtree_hit hits[PEER_K];
        struct rtree_query rq = {.lon = q[i].lon, .lat = q[i].lat, .k = PEER_K,
                                 .max_m = t->radius_1km || t->kind == PEER_REDIS ? 1000 : INFINITY,
                                 .cat_mask = ~0ull};
        if (!peer_query(c, q[i].lon, q[i].lat, true, ids, &n) ||
            rtree_nearest(tree, &rq, s, hits, &m))
            break;
        bool eq = n == m;
        for (size_t j = 0; j < m; j++) {
            eq = eq && ids[j] == hits[j].id;
            for (size_t k = 0; k < n; k++)
                found += ids[k] == hits[j].id;
        }
        same += eq;
        want += m;
    }
    *exact_pct = 100.0 * (double)same / RECALL_QUERIES;
    *ids_pct = want ? 100.0 * (double)found / (double)want : 100.0;
    rtree_scratch_free(s);
    peer_close(c);
}

int main(int argc, char **argv)
{
    size_t points = 1000000, nq = 20000;
    double seconds = 5;
    const char *geod = "build/geod";
    bool pin = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--points") && i + 1 < argc)
            points = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--geod") && i + 1 < argc)
            geod = argv[++i];
        else if (!strcmp(argv[i], "--no-pin"))
            pin = false;
        else {
            fprintf(stderr, "usage: bench_peers [--points N (1000000)] [--seconds S (5)] "
                            "[--geod PATH] [--no-pin]\n");
            return 1;
        }
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (pin && cores >= 2) {
        client_cpu_lo = 0;
        client_cpu_hi = (int)cores / 2 - 1;
        snprintf(server_cpus, sizeof server_cpus, "%ld-%ld", cores / 2, cores - 1);
    }
    snprintf(dir, sizeof dir, "/tmp/geod-bench-peers-XXXXXX");
    if (!mkdtemp(dir) || chmod(dir, 0755))
        return 1;
    atexit(cleanup);
    char csv[128], db[128];
    snprintf(csv, sizeof csv, "%s/points.csv", dir);
    snprintf(db, sizeof db, "%s/geod.sqlite", dir);
    struct gen_point *p = malloc(points * sizeof *p);
    struct gen_query *q = malloc(nq * sizeof *q);
    gen_points(GEN_CLUSTERED, 1, p, points);
    gen_queries(p, points, 1, q, nq);
    for (size_t i = 0; i < nq; i++) { /* as the clients send them: 7 decimals */
        char b[64];
        snprintf(b, sizeof b, "%.7f %.7f", q[i].lon, q[i].lat);
        sscanf(b, "%lf %lf", &q[i].lon, &q[i].lat);
    }
    FILE *f = fopen(csv, "w");
    fputs("id,name,category,lon,lat\n", f);
    for (size_t i = 0; i < points; i++)
        fprintf(f, "P%zu,bench point %zu,%s,%.7f,%.7f\n", i, i, categories[p[i].cat % 9], p[i].lon,
                p[i].lat);
    fclose(f);
    double t0 = now();
    if (sh("%s import %s --db %s --crs wgs84 --source bench >/dev/null 2>%s/import.txt", geod, csv,
           db, dir)) {
        fprintf(stderr, "bench_peers: geod import failed (%s/import.txt)\n", dir);
        return 1;
    }
    double t_import = now() - t0;
    size_t n;
    struct rtree_item *it = read_store(db, &n);
    struct rtree *tree;
    if (!it || rtree_build(it, n, &tree))
        return 1;
    uint16_t port = 0;
    t0 = now();
    if (!start_geod(geod, db, &port)) {
        fprintf(stderr, "bench_peers: geod serve did not start\n");
        return 1;
    }
    double t_geod = now() - t0;
    t0 = now();
    if (!start_redis(it, n)) {
        fprintf(stderr, "bench_peers: redis did not start or load\n");
        return 1;
    }
    double t_redis = now() - t0;
    t0 = now();
    if (!start_postgis(it, n)) {
        fprintf(stderr, "bench_peers: postgis did not start or load (%s/pg/log)\n", dir);
        return 1;
    }
    double t_pg = now() - t0;
    char self_dir[512];
    snprintf(self_dir, sizeof self_dir, "%s", argv[0]);
    char *slash = strrchr(self_dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(self_dir, ".");
    uint16_t h2o_port = (uint16_t)(port + 1000), nginx_port = (uint16_t)(port + 1001);
    bool have_h2o = save_body(port, q) && start_h2o(self_dir, h2o_port);
    bool have_nginx = have_h2o && start_nginx(nginx_port);
    struct stat body_st;
    char body_path[128];
    snprintf(body_path, sizeof body_path, "%s/body.json", dir);
    long body_bytes = stat(body_path, &body_st) ? -1 : (long)body_st.st_size;
    char sock[128], pgsock[128];
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    snprintf(pgsock, sizeof pgsock, "%s/pg", dir);
    const struct row {
        const char *name;
        struct peer_target t;
        bool in_process;
    } rows[] = {
        {"geod in-process (k=10)", {0}, true},
        {"geod HTTP JSON (k=10)", {.kind = PEER_GEOD_JSON, .port = port}, false},
        {"geod HTTP msgpack (k=10)", {.kind = PEER_GEOD_MSGPACK, .port = port}, false},
        {"PostGIS <-> LIMIT 10", {.kind = PEER_POSTGIS, .socket = pgsock, .pg_port = PG_PORT},
         false},
        {"geod HTTP JSON (k=10, 1 km)", {.kind = PEER_GEOD_JSON, .port = port, .radius_1km = true},
         false},
        {"Redis GEOSEARCH 1 km COUNT 10", {.kind = PEER_REDIS, .socket = sock}, false},
        {"h2o, the same bytes from memory", {.kind = PEER_GEOD_JSON, .port = h2o_port}, false},
        {"nginx, the same bytes as a file", {.kind = PEER_GEOD_JSON, .port = nginx_port}, false},
    };
    size_t nrows = sizeof rows / sizeof rows[0];
    double qps[8][2] = {{0}};
    (void)body_bytes;
    char pinned_text[128];
    if (server_cpus[0])
        snprintf(pinned_text, sizeof pinned_text,
                 "servers pinned to CPUs %s, clients to CPUs %d-%d", server_cpus, client_cpu_lo,
                 client_cpu_hi);
    else
        snprintf(pinned_text, sizeof pinned_text, "servers and clients share the cores (not pinned)");
    printf("# geod next to Redis and PostGIS: nearest 10 among %zu facilities\n\n", n);
    printf("One run, %ld cores; %s; %g s per row, the same "
           "%zu query positions (gen.c: 70 %% near the data, 30 %% uniform) for every engine. "
           "Load: geod import %.1f s, geod serve start %.1f s, Redis GEOADD %.1f s, PostGIS "
           "COPY + GiST %.1f s.\n\n",
           cores, pinned_text, seconds, nq, t_import, t_geod, t_redis, t_pg);
    printf("| engine | clients | q/s | p50 µs | p99 µs | same answer | ids found |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t r = 0; r < nrows; r++) {
        double exact = 100, ids = 100;
        bool ceiling = r >= 6;
        if ((r == 6 && !have_h2o) || (r == 7 && !have_nginx))
            continue;
        if (!rows[r].in_process && !ceiling)
            recall(&rows[r].t, tree, q, &exact, &ids);
        for (int ci = 0; ci < 2; ci++) {
            int clients = ci ? 4 : 1;
            if (rows[r].in_process && ci)
                continue;
            struct load l[4];
            pthread_t th[4];
            for (int k = 0; k < clients; k++) {
                l[k] = (struct load){.t = rows[r].in_process ? NULL : &rows[r].t, .tree = tree,
                                     .q = q, .nq = nq, .start = (size_t)k * nq / 4,
                                     .seconds = seconds, .cap = 20000000};
                l[k].lat_us = malloc(l[k].cap * sizeof(double));
                pthread_create(&th[k], NULL, loader, &l[k]);
            }
            size_t total = 0;
            bool failed = false;
            double span = 0;
            for (int k = 0; k < clients; k++) {
                pthread_join(th[k], NULL);
                total += l[k].n;
                failed |= l[k].failed;
            }
            double *all = malloc((total ? total : 1) * sizeof *all);
            size_t m = 0;
            for (int k = 0; k < clients; k++) {
                double sum = 0;
                for (size_t i = 0; i < l[k].n; i++)
                    sum += (all[m++] = l[k].lat_us[i]);
                span = fmax(span, sum / 1e6);
                free(l[k].lat_us);
            }
            qsort(all, total, sizeof *all, by_double);
            qps[r][ci] = span > 0 ? (double)total / span : 0;
            if (ceiling)
                printf("| %s | %d | %.0f | %.1f | %.1f | — | — |%s\n", rows[r].name, clients,
                       qps[r][ci], total ? all[total / 2] : NAN,
                       total ? all[(size_t)(total * 0.99)] : NAN, failed ? " (errors)" : "");
            else
                printf("| %s | %d | %.0f | %.1f | %.1f | %.1f %% | %.2f %% |%s\n", rows[r].name,
                       clients, qps[r][ci], total ? all[total / 2] : NAN,
                       total ? all[(size_t)(total * 0.99)] : NAN, exact, ids,
                       failed ? " (errors)" : "");
            free(all);
        }
    }
    if (have_h2o)
        printf("\nThe ceilings answer every request with the %ld bytes of one geod answer (the "
               "first query's, JSON). geod HTTP JSON k=10 ÷ h2o: %.2f× (1 client), %.2f× (4 "
               "clients; target ≥ 0.9×)%s.\n",
               body_bytes, qps[1][0] / qps[6][0], qps[1][1] / qps[6][1],
               have_nginx ? "" : "; nginx not installed");
    if (have_nginx)
        printf("geod HTTP JSON k=10 ÷ nginx: %.2f× (1 client), %.2f× (4 clients).\n",
               qps[1][0] / qps[7][0], qps[1][1] / qps[7][1]);
    printf("\nRatios, same run: geod HTTP JSON k=10 vs PostGIS: %.1f× (1 client), %.1f× "
           "(4 clients; target ≥ 6×); geod HTTP JSON 1 km vs Redis 1 km: %.1f× (1 client), %.1f× "
           "(4 clients; target ≥ 15×).\n",
           qps[1][0] / qps[3][0], qps[1][1] / qps[3][1], qps[4][0] / qps[5][0],
           qps[4][1] / qps[5][1]);
    printf("\nq/s: a row's queries over the longest client's summed latency. same answer: the "
           "share of the first %d queries answered with exactly the exact ids in the exact order; "
           "ids found: the share of exact ids present. PostGIS ranks by planar distance in "
           "degrees and Redis by a sphere on 52-bit geohash cells; geod by WGS-84 geodesics.\n",
           RECALL_QUERIES);
    rtree_free(tree);
    free(it);
    free(p);
    free(q);
    return 0;
}

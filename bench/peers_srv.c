/* peers_srv.c - see peers_srv.h. */
#include "bench/peers_srv.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *const srv_categories[GEN_CATEGORIES] = {
    "community_center", "hospital",      "relief_station",     "shelter",          "elderly_care",
    "elderly_daycare",  "street_office", "welfare_enterprise", "marriage_registry"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int srv_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* posix_spawnp of argv, under `taskset -c server_cpus` when pinning (taskset execs: the pid is
 * the server's). */
static int spawn(const struct srv *s, pid_t *pid, const posix_spawn_file_actions_t *fa,
                 char *const argv[])
{
    char *full[40];
    int n = 0;
    if (s->server_cpus[0]) {
        full[n++] = "taskset";
        full[n++] = "-c";
        full[n++] = (char *)s->server_cpus;
    }
    for (int i = 0; argv[i] && n < 39; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    return posix_spawnp(pid, full[0], fa, NULL, full, environ);
}

void srv_kill(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
    }
    *pid = 0;
}

void srv_stop_all(struct srv *s)
{
    srv_kill(&s->geod);
    srv_kill(&s->redis);
    srv_kill(&s->h2o);
    srv_kill(&s->nginx);
    if (s->pg_started)
        srv_sh("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D %s/pg -m fast stop "
               ">/dev/null 2>&1; rm -rf %s/pg",
               s->dir, s->dir);
    s->pg_started = false;
    s->postmaster = 0;
}

/* GET target once on a new connection: the status, or 0 when nothing answers. */
static int get_status(uint16_t port, const char *target)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
    if (fd < 0)
        return 0;
    if (!connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        char req[512], buf[64];
        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n", target);
        if (write(fd, req, (size_t)n) == n && read(fd, buf, 12) == 12)
            status = atoi(buf + 9);
    }
    close(fd);
    return status;
}

bool srv_geod_start(struct srv *s, const char *geod, const char *db, uint16_t *port,
                    double *startup_s)
{
    int out[2];
    if (pipe(out))
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char log[128], threads[16];
    snprintf(log, sizeof log, "%s/geod.log", s->dir);
    snprintf(threads, sizeof threads, "%d", s->threads);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    /* no rate limit: the bench is one client address asking as fast as it can */
    char *argv[] = {(char *)geod, "serve", "--db",         (char *)db, "--listen", "127.0.0.1:0",
                    "--threads",  threads, "--rate-limit", "0",        NULL};
    double t0 = now();
    int rc = spawn(s, &s->geod, &fa, argv);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc) {
        close(out[0]);
        return false;
    }
    FILE *f = fdopen(out[0], "r");
    char line[512];
    *port = 0;
    while (!*port && fgets(line, sizeof line, f)) {
        char *at = strstr(line, "http://127.0.0.1:");
        if (at)
            *port = (uint16_t)atoi(at + 17);
    }
    /* the pipe stays open (leaked on purpose): geod's later lines would block otherwise */
    if (!*port)
        return false;
    while (get_status(*port, "/v1/nearby?lon=114.3&lat=30.6&k=1") != 200) {
        if (now() - t0 > 600)
            return false;
        usleep(1000);
    }
    *startup_s = now() - t0;
    return true;
}

bool srv_redis_start(struct srv *s, const struct srv_point *p, size_t n)
{
    char sock[128], logf[160];
    snprintf(sock, sizeof sock, "%s/redis.sock", s->dir);
    snprintf(logf, sizeof logf, "%s/redis.log", s->dir);
    char *argv[] = {
        "redis-server", "--port", "0",          "--unixsocket", sock,        "--save", "",
        "--appendonly", "no",     "--loglevel", "warning",      "--logfile", logf,     NULL};
    if (spawn(s, &s->redis, NULL, argv))
        return false;
    redisContext *c = NULL;
    for (int i = 0; i < 200 && !c; i++) {
        usleep(50000);
        c = redisConnectUnix(sock);
        if (c && c->err)
            redisFree(c), c = NULL;
    }
    if (!c)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i += 1000) {
        size_t m = n - i < 1000 ? n - i : 1000;
        for (size_t j = i; j < i + m; j++)
            redisAppendCommand(c, "GEOADD pts %.7f %.7f %u", p[j].lon, p[j].lat, p[j].id);
        for (size_t j = 0; j < m; j++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type == REDIS_REPLY_ERROR)
                ok = false;
            else
                freeReplyObject(r);
        }
    }
    redisFree(c);
    return ok;
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

static bool pg_copy(PGconn *c, const char *sql, const char *(*line)(size_t i, void *u), size_t n,
                    void *u)
{
    bool ok = pg_exec(c, sql);
    for (size_t i = 0; ok && i < n; i++) {
        const char *l = line(i, u);
        ok = PQputCopyData(c, l, (int)strlen(l)) == 1;
    }
    ok = PQputCopyEnd(c, NULL) == 1 && ok;
    PGresult *r = PQgetResult(c);
    ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    return ok;
}

static const char *pts_line(size_t i, void *u)
{
    static char b[128];
    const struct srv_point *p = (const struct srv_point *)u + i;
    snprintf(b, sizeof b, "%u\t%u\tSRID=4326;POINT(%.7f %.7f)\n", p->id, p->cat, p->lon, p->lat);
    return b;
}

static const char *q_line(size_t i, void *u)
{
    static char b[128];
    const struct gen_query *q = (const struct gen_query *)u + i;
    snprintf(b, sizeof b, "%zu\tSRID=4326;POINT(%.7f %.7f)\n", i + 1, q->lon, q->lat);
    return b;
}

bool srv_pg_start(struct srv *s, const struct srv_point *p, size_t n, const struct gen_query *q,
                  size_t nq)
{
    const char *ts = s->server_cpus[0] ? "taskset -c " : "";
    if (srv_sh("mkdir -p %s/pg && chown postgres %s/pg && runuser -u postgres -- "
               "/usr/lib/postgresql/15/bin/initdb -D %s/pg -U bench -A trust --no-sync "
               ">/dev/null",
               s->dir, s->dir, s->dir) ||
        srv_sh("runuser -u postgres -- %s%s /usr/lib/postgresql/15/bin/pg_ctl -D %s/pg -l "
               "%s/pg/log -w -o \"-k %s/pg -p %d -c listen_addresses='' -c shared_buffers=1GB "
               "-c fsync=off -c max_connections=20\" start >/dev/null",
               ts, s->server_cpus, s->dir, s->dir, s->dir, SRV_PG_PORT))
        return false;
    s->pg_started = true;
    char pidf[128];
    snprintf(pidf, sizeof pidf, "%s/pg/postmaster.pid", s->dir);
    FILE *f = fopen(pidf, "r");
    bool got = f && fscanf(f, "%d", &s->postmaster) == 1;
    if (f)
        fclose(f);
    if (!got)
        return false;
    char info[256];
    snprintf(info, sizeof info, "host=%s/pg port=%d user=bench dbname=postgres", s->dir,
             SRV_PG_PORT);
    PGconn *c = PQconnectdb(info);
    bool ok = PQstatus(c) == CONNECTION_OK && pg_exec(c, "CREATE DATABASE bench");
    PQfinish(c);
    if (!ok)
        return false;
    snprintf(info, sizeof info, "host=%s/pg port=%d user=bench dbname=bench", s->dir, SRV_PG_PORT);
    c = PQconnectdb(info);
    ok = PQstatus(c) == CONNECTION_OK && pg_exec(c, "CREATE EXTENSION postgis") &&
         pg_exec(c, "CREATE TABLE pts (id integer PRIMARY KEY, cat smallint, "
                    "geom geometry(Point, 4326))") &&
         pg_copy(c, "COPY pts FROM STDIN", pts_line, n, (void *)p) &&
         pg_exec(c, "CREATE INDEX pts_geom ON pts USING gist (geom)") &&
         pg_exec(c, "CREATE TABLE q (i integer PRIMARY KEY, g geometry(Point, 4326))") &&
         pg_copy(c, "COPY q FROM STDIN", q_line, nq, (void *)q) &&
         pg_exec(c, "VACUUM ANALYZE pts") && pg_exec(c, "VACUUM ANALYZE q");
    PQfinish(c);
    return ok;
}

/* Waits until port answers HTTP (up to 10 s). */
static bool wait_port(uint16_t port)
{
    for (int i = 0; i < 1000; i++) {
        if (get_status(port, "/") > 0)
            return true;
        usleep(10000);
    }
    return false;
}

bool srv_h2o_start(struct srv *s, const char *bin, uint16_t port, const char *body)
{
    char portarg[16], threads[16];
    snprintf(portarg, sizeof portarg, "%u", port);
    snprintf(threads, sizeof threads, "%d", s->threads);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)bin, portarg, (char *)body, threads, NULL};
    bool ok = spawn(s, &s->h2o, &fa, argv) == 0;
    posix_spawn_file_actions_destroy(&fa);
    return ok && wait_port(port);
}

bool srv_nginx_start(struct srv *s, uint16_t port_ret, uint16_t port_file, const char *body)
{
    if (system("command -v nginx >/dev/null 2>&1") != 0)
        return false;
    FILE *b = fopen(body, "rb");
    if (!b)
        return false;
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, b);
    fclose(b);
    text[len] = '\0';
    /* the same number of bytes, made safe for a single-quoted nginx string (no variables) */
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\'' || text[i] == '\\' || text[i] == '$' || text[i] == '{' ||
            text[i] == '}')
            text[i] = 'x';
    char conf[128], base[128];
    snprintf(conf, sizeof conf, "%s/nginx.conf", s->dir);
    snprintf(base, sizeof base, "%s", body);
    char *slash = strrchr(base, '/');
    if (!slash)
        return false;
    *slash = '\0';
    FILE *f = fopen(conf, "w");
    if (!f)
        return false;
    fprintf(f,
            "worker_processes %d; pid %s/nginx.pid; error_log %s/nginx.err; daemon off;\n"
            "events { worker_connections 512; }\n"
            "http { access_log off; sendfile on; tcp_nodelay on; keepalive_requests 100000000;\n"
            "  client_body_temp_path %s/nginx-body; proxy_temp_path %s/nginx-proxy;\n"
            "  fastcgi_temp_path %s/nginx-fcgi; uwsgi_temp_path %s/nginx-uwsgi;\n"
            "  scgi_temp_path %s/nginx-scgi; open_file_cache max=10;\n"
            "  server { listen 127.0.0.1:%u; location / { default_type application/json;\n"
            "    return 200 '%s'; } }\n"
            "  server { listen 127.0.0.1:%u; location / { default_type application/json;\n"
            "    root %s; try_files /%s =404; } } }\n",
            s->threads, s->dir, s->dir, s->dir, s->dir, s->dir, s->dir, s->dir, port_ret, text,
            port_file, base, slash + 1);
    fclose(f);
    char errlog[160];
    snprintf(errlog, sizeof errlog, "%s/nginx.err", s->dir);
    char *argv[] = {"nginx", "-e", errlog, "-p", s->dir, "-c", conf, NULL};
    return spawn(s, &s->nginx, NULL, argv) == 0 && wait_port(port_ret) && wait_port(port_file);
}

/* utime + stime (and with reaped, cutime + cstime) of /proc/pid/stat, in clock ticks; *ppid. */
static long long ticks(pid_t pid, bool reaped, pid_t *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces */
    if (!p)
        return -1;
    long long v[20] = {0};
    char state;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
     * stime cutime cstime */
    if (sscanf(p + 2, "%c %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
               &state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
               &v[11], &v[12], &v[13]) != 15)
        return -1;
    if (ppid)
        *ppid = (pid_t)v[0];
    return v[10] + v[11] + (reaped ? v[12] + v[13] : 0);
}

double srv_cpu_s(pid_t pid)
{
    if (pid <= 0)
        return 0;
    long long t = ticks(pid, true, NULL);
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        pid_t child = (pid_t)atoi(e->d_name), parent = 0;
        if (child <= 0 || child == pid)
            continue;
        long long c = ticks(child, false, &parent);
        if (c > 0 && parent == pid)
            t += c;
    }
    if (d)
        closedir(d);
    return (double)t / (double)sysconf(_SC_CLK_TCK);
}

double srv_fdatasync_rate(const char *dir, double seconds)
{
    char path[160];
    snprintf(path, sizeof path, "%s/fdatasync.bin", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 0;
    static char block[4096];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 256; i++) /* 1 MiB written out first: overwrites need no new blocks */
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

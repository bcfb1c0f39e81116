/* bench_peers.c - `make bench-peers`: geod next to the engines people would pick instead, on the
 * same data, the same query positions, in one run on one machine (issue 7), into one report
 * (bench/report.md) with plots (bench/plots/). For each data size:
 *   in process   geod's R-tree (nearest 10, all and a 2 % category) and SQLite's R*Tree
 *   HTTP         geod JSON and msgpack; the ceilings: h2o and nginx answering the same bytes
 *   peers        Redis 7 GEOSEARCH, PostGIS 3 (GiST KNN), also through pgbench
 *   writes       geod's durable POST /v1/facilities next to the disk's fdatasync rate
 *   start-up     geod serve on the store until its first answer
 * Every server is pinned to the upper half of the cores and the load generator (openloop.h) to
 * the lower half. A row's figures: the peak (closed loop), then latency at 50 % and 80 % of that
 * peak on a fixed schedule (open loop), server CPU per request, answer bytes; every figure is
 * the median of the runs. Answers are checked against the exact ones (WGS-84 geodesic, ties by
 * id: geod's in-process R-tree, itself checked against a scan); geod must be exact (exit 2),
 * the peers' agreement is reported. Speed is reported, never asserted. */
#include "bench/gen.h"
#include "bench/knn.h"
#include "bench/openloop.h"
#include "bench/peers.h"
#include "bench/peers_inproc.h"
#include "bench/peers_report.h"
#include "bench/peers_srv.h"
#include "index/rtree.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NQ 20000
#define RECALL_Q 200

static struct srv srv;
static struct opts o;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void cleanup(void)
{
    srv_stop_all(&srv);
    if (srv.dir[0])
        srv_sh("rm -rf %s", srv.dir);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_peers: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- requests ---------------------------------------------------------------------------- */

static void rq_add(struct reqset *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rq_add(struct reqset *s, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (s->len + (size_t)n + 1 > s->cap) {
        s->cap = (s->cap + (size_t)n + 1) * 2;
        s->buf = realloc(s->buf, s->cap);
    }
    if (s->n % 1024 == 0)
        s->off = realloc(s->off, (s->n + 1024) * sizeof *s->off);
    memcpy(s->buf + s->len, tmp, (size_t)n + 1);
    s->off[s->n++] = s->len;
    s->len += (size_t)n + 1;
}

static struct ol_req *rq_done(struct reqset *s)
{
    s->reqs = malloc(s->n * sizeof *s->reqs);
    for (size_t i = 0; i < s->n; i++)
        s->reqs[i] = (struct ol_req){s->buf + s->off[i], strlen(s->buf + s->off[i])};
    free(s->off);
    s->off = NULL;
    return s->reqs;
}

static void rq_free(struct reqset *s)
{
    free(s->buf);
    free(s->off);
    free(s->reqs);
    memset(s, 0, sizeof *s);
}

#define GET "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n"

static void http_get(struct reqset *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void http_get(struct reqset *s, const char *fmt, ...)
{
    char target[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(target, sizeof target, fmt, ap);
    va_end(ap);
    rq_add(s, GET, target);
}

static void redis_cmd(struct reqset *s, int argc, const char *const *argv)
{
    char cmd[1024];
    size_t at = (size_t)snprintf(cmd, sizeof cmd, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        at +=
            (size_t)snprintf(cmd + at, sizeof cmd - at, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    rq_add(s, "%s", cmd);
}

static void post_write(struct reqset *s, const char *token, size_t i, double lon, double lat)
{
    char body[512];
    int n = snprintf(body, sizeof body,
                     "{\"category\":\"elderly_care\",\"name\":\"bench write %zu\",\"lon\":%.7f,"
                     "\"lat\":%.7f,\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
                     i, lon, lat);
    rq_add(s,
           "POST /v1/facilities HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
           token, n, body);
}

/* ---- one data size ----------------------------------------------------------------------- */

struct ctx {
    size_t n;              /* generated points */
    struct gen_point *pts; /* [n] */
    struct gen_query *q;   /* [NQ], at 7 decimals as clients send them */
    struct srv_point *sp;  /* the store's facilities */
    size_t nsp;
    struct rtree *tree; /* over sp: the exact answers */
    uint16_t geod_port, h2o_port, nginx_ret, nginx_file;
    char db[128], body[128], token[256];
    bool have_h2o, have_nginx, full;
    const char *self_dir;
};

/* rtree_query.coords over the store's points (cdata: struct ctx), which are in order of id. */
static void store_coords(const void *cdata, uint32_t id, double *lon, double *lat)
{
    const struct ctx *c = cdata;
    size_t lo = 0, hi = c->nsp;
    while (lo + 1 < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->sp[mid].id <= id)
            lo = mid;
        else
            hi = mid;
    }
    *lon = c->sp[lo].lon;
    *lat = c->sp[lo].lat;
}

static const char *PG_XY = "ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)";

static void pg_target(struct ol_target *t, const char *sql, int params)
{
    static char info[256];
    snprintf(info, sizeof info, "host=%s/pg port=%d user=bench dbname=bench", srv.dir, SRV_PG_PORT);
    *t = (struct ol_target){
        .proto = OL_PG, .path = info, .pg_sql = strdup(sql), .pg_params = params};
}

/* The rows of one size: every (mix, variant, engine) measured. */
static size_t make_rows(struct ctx *c, struct row *rows)
{
    size_t nr = 0;
    static char redis_sock[128];
    snprintf(redis_sock, sizeof redis_sock, "%s/redis.sock", srv.dir);
    const struct ol_target geod = {.proto = OL_HTTP, .port = c->geod_port};
    static const int ks[3] = {1, 10, 50};
    for (int cat = 0; cat < 2; cat++)
        for (int ki = 0; ki < 3; ki++) {
            int k = ks[ki];
            bool main_row = k == 10 && !cat;
            if (!c->full && !main_row)
                continue;
            char variant[64];
            snprintf(variant, sizeof variant, "k=%d%s", k, cat ? ", hospital (2 %)" : "");
            struct rtree_query oq = {
                .k = (uint32_t)k, .max_m = INFINITY, .cat_mask = cat ? 1u << 1 : ~0ull};
            for (int e = 0; e < 6; e++) {
                if (e >= 3 && !main_row)
                    break;
                if ((e == 3 && !c->have_h2o) || (e >= 4 && !c->have_nginx))
                    continue;
                struct row *r = &rows[nr++];
                *r = (struct row){.mix = "shake", .oracle = oq, .conns = 8, .sweep = main_row};
                snprintf(r->variant, sizeof r->variant, "%s", variant);
                for (size_t i = 0; i < NQ; i++) {
                    if (e == 2) {
                        rq_add(&r->rs, "%.7f\t%.7f", c->q[i].lon, c->q[i].lat);
                        continue;
                    }
                    http_get(&r->rs, "/v1/nearby?lon=%.7f&lat=%.7f&k=%d%s%s", c->q[i].lon,
                             c->q[i].lat, k, cat ? "&category=hospital" : "",
                             e == 1 ? "&format=msgpack" : "");
                }
                r->t = geod;
                r->pid = &srv.geod;
                r->check = e < 3;
                r->geod = e < 2;
                r->msgpack = e == 1;
                if (e == 0)
                    snprintf(r->engine, sizeof r->engine, "geod JSON");
                else if (e == 1)
                    snprintf(r->engine, sizeof r->engine, "geod msgpack");
                else if (e == 2) {
                    char sql[512];
                    snprintf(sql, sizeof sql, "SELECT id FROM pts %s ORDER BY geom <-> %s LIMIT %d",
                             cat ? "WHERE cat = 1" : "", PG_XY, k);
                    pg_target(&r->t, sql, 2);
                    r->pid = &srv.postmaster;
                    r->conns = 4;
                    snprintf(r->engine, sizeof r->engine, "PostGIS");
                } else if (e == 3) {
                    r->t.port = c->h2o_port;
                    r->pid = &srv.h2o;
                    snprintf(r->engine, sizeof r->engine, "h2o bytes");
                } else {
                    r->t.port = e == 4 ? c->nginx_ret : c->nginx_file;
                    r->pid = &srv.nginx;
                    r->sweep = false;
                    snprintf(r->engine, sizeof r->engine, "nginx %s", e == 4 ? "return" : "file");
                }
                rq_done(&r->rs);
            }
        }
    static const double radii[3] = {500, 1000, 5000};
    for (int ri = 0; ri < 3; ri++) {
        double m = radii[ri];
        if (!c->full && m != 1000)
            continue;
        for (int e = 0; e < 3; e++) {
            struct row *r = &rows[nr++];
            *r = (struct row){.mix = "radius",
                              .oracle = {.k = 10, .max_m = m, .cat_mask = ~0ull},
                              .conns = 8,
                              .check = true,
                              .sweep = m == 1000 && e != 2,
                              .t = geod,
                              .pid = &srv.geod,
                              .geod = e == 0};
            snprintf(r->variant, sizeof r->variant, "%g km", m / 1000);
            char ms[32];
            snprintf(ms, sizeof ms, "%.0f", m);
            for (size_t i = 0; i < NQ; i++) {
                double lon = c->q[i].lon, lat = c->q[i].lat;
                char x[32], y[32];
                snprintf(x, sizeof x, "%.7f", lon);
                snprintf(y, sizeof y, "%.7f", lat);
                if (e == 0)
                    http_get(&r->rs, "/v1/within?lon=%s&lat=%s&radius=%s&limit=10", x, y, ms);
                else if (e == 1) {
                    const char *argv[] = {"GEOSEARCH", "pts", "FROMLONLAT", x,   y, "BYRADIUS", ms,
                                          "m",         "ASC", "COUNT",      "10"};
                    redis_cmd(&r->rs, 11, argv);
                } else /* the index box in degrees: the longitude span is the wider */
                    rq_add(&r->rs, "%s\t%s\t%.9f", x, y,
                           m * 1.02 / (111320.0 * cos(lat * M_PI / 180)));
            }
            if (e == 0) {
                snprintf(r->engine, sizeof r->engine, "geod JSON");
            } else if (e == 1) {
                r->t = (struct ol_target){.proto = OL_RESP, .path = redis_sock};
                r->pid = &srv.redis;
                snprintf(r->engine, sizeof r->engine, "Redis");
            } else {
                char sql[768];
                snprintf(sql, sizeof sql,
                         "SELECT id FROM pts WHERE ST_DWithin(geom, %s, $3::float8) AND "
                         "ST_DistanceSphere(geom, %s) <= %s ORDER BY geom <-> %s LIMIT 10",
                         PG_XY, PG_XY, ms, PG_XY);
                pg_target(&r->t, sql, 3);
                r->pid = &srv.postmaster;
                r->conns = 4;
                snprintf(r->engine, sizeof r->engine, "PostGIS");
            }
            rq_done(&r->rs);
        }
    }
    static const double boxes[3] = {1000, 5000, 20000};
    for (int bi = 0; c->full && bi < 3; bi++)
        for (int e = 0; e < 2; e++) {
            struct row *r = &rows[nr++];
            *r = (struct row){.mix = "box",
                              .conns = 8,
                              .t = geod,
                              .pid = &srv.geod,
                              .geod = true,
                              .msgpack = e == 1};
            snprintf(r->variant, sizeof r->variant, "%g km", boxes[bi] / 1000);
            snprintf(r->engine, sizeof r->engine, e ? "geod msgpack" : "geod JSON");
            double hx = boxes[bi] / 2 / 95830.0, hy = boxes[bi] / 2 / 110864.0;
            for (size_t i = 0; i < NQ; i++)
                http_get(&r->rs, "/v1/bbox?bbox=%.7f,%.7f,%.7f,%.7f%s", c->q[i].lon - hx,
                         c->q[i].lat - hy, c->q[i].lon + hx, c->q[i].lat + hy,
                         e ? "&format=msgpack" : "");
            rq_done(&r->rs);
        }
    return nr;
}

/* The share of the first RECALL_Q answers equal to the exact ones, and of exact ids found. */
static bool check_row(struct ctx *c, struct row *r)
{
    struct peer_conn *pc = peer_connect(&r->t);
    struct rtree_scratch *s;
    rtree_scratch_new(&s);
    size_t same = 0, found = 0, want = 0, asked = 0;
    uint32_t ids[64];
    struct rtree_hit hits[64];
    for (size_t i = 0; pc && i < RECALL_Q; i++, asked++) {
        size_t n, m;
        struct rtree_query rq = r->oracle;
        rq.lon = c->q[i].lon;
        rq.lat = c->q[i].lat;
        rq.coords = store_coords;
        rq.cdata = c;
        if (!peer_ask(pc, &r->rs.reqs[i], r->msgpack, ids, 64, &n) ||
            rtree_nearest(c->tree, &rq, s, hits, &m))
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
    rtree_scratch_free(s);
    peer_close(pc);
    r->checked = true;
    r->same_pct = 100.0 * (double)same / RECALL_Q;
    r->ids_pct = want ? 100.0 * (double)found / (double)want : 100.0;
    return asked == RECALL_Q;
}

/* One run of a row: the peak, then 50 % and 80 % of it on a schedule. */
static bool run_row(struct row *r, int run, bool open)
{
    struct fig *f = &r->run[run];
    struct ol_spec sp = {.t = &r->t,
                         .reqs = r->rs.reqs,
                         .nreq = r->rs.n,
                         .first = (size_t)run * r->rs.n / 3,
                         .conns = r->conns,
                         .seconds = o.seconds,
                         .min_done = (size_t)r->conns, /* slow engines: one answer each */
                         .max_seconds = 60};
    struct ol_result res;
    double cpu0 = srv_cpu_s(*r->pid);
    if (!ol_run(&sp, &res))
        return false;
    double cpu1 = srv_cpu_s(*r->pid);
    f->peak = res.rps;
    f->cpu_us = res.done ? (cpu1 - cpu0) * 1e6 / (double)res.done : NAN;
    f->bytes = res.bytes;
    f->errors = (double)res.errors;
    f->closed_p50 = res.p50;
    for (int l = 0; l < 2; l++)
        f->p50[l] = f->p99[l] = f->p999[l] = f->lag[l] = f->late[l] = NAN;
    sp.min_done = 0; /* the open loop keeps to its schedule */
    for (int l = 0; open && res.rps > 0 && l < 2; l++) {
        sp.rate = res.rps * (l ? 0.8 : 0.5);
        sp.first += res.done;
        struct ol_result q;
        if (!ol_run(&sp, &q))
            return false;
        f->p50[l] = q.p50;
        f->p99[l] = q.p99;
        f->p999[l] = q.p999;
        f->lag[l] = q.send_lag_p99;
        f->late[l] = (double)q.late;
        f->errors += (double)q.errors;
    }
    return true;
}

/* ---- the store --------------------------------------------------------------------------- */

static int cat_index(const char *name)
{
    for (int i = 0; i < GEN_CATEGORIES; i++)
        if (!strcmp(name, srv_categories[i]))
            return i;
    return GEN_CATEGORIES - 1;
}

static struct srv_point *read_store(const char *db, size_t *n)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    size_t cap = 1 << 16;
    struct srv_point *p = malloc(cap * sizeof *p);
    *n = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) ||
        sqlite3_prepare_v2(
            h, "SELECT id, lon, lat, category FROM facility WHERE deleted = 0 ORDER BY id", -1, &st,
            NULL))
        return NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap)
            p = realloc(p, (cap *= 2) * sizeof *p);
        p[(*n)++] =
            (struct srv_point){sqlite3_column_double(st, 1), sqlite3_column_double(st, 2),
                               (uint32_t)sqlite3_column_int64(st, 0),
                               (uint8_t)cat_index((const char *)sqlite3_column_text(st, 3))};
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return p;
}

/* The store of c->n points: from the cache when an earlier run made it (copied: the writes
 * below change it), else `geod import` of a CSV of the points into a store holding the
 * built-in data, kept in the cache. *import_s: the import's wall time (then or now). */
static bool make_store(struct ctx *c, uint64_t hash, double *import_s, bool *cached)
{
    char cache[512], meta[600];
    srv_sh("mkdir -p %s", o.cache);
    snprintf(cache, sizeof cache, "%s/store-%zu-%016llx.sqlite", o.cache, c->n,
             (unsigned long long)hash);
    snprintf(meta, sizeof meta, "%s.import_s", cache);
    snprintf(c->db, sizeof c->db, "%s/geod.sqlite", srv.dir);
    FILE *f = fopen(meta, "r");
    *cached = f && fscanf(f, "%lf", import_s) == 1;
    if (f)
        fclose(f);
    if (!*cached) {
        char csv[128];
        snprintf(csv, sizeof csv, "%s/points.csv", srv.dir);
        f = fopen(csv, "w");
        fputs("id,name,category,lon,lat\n", f);
        for (size_t i = 0; i < c->n; i++)
            fprintf(f, "P%zu,bench point %zu,%s,%.7f,%.7f\n", i, i, srv_categories[c->pts[i].cat],
                    c->pts[i].lon, c->pts[i].lat);
        fclose(f);
        say("importing %zu points into a store", c->n);
        srv_sh("rm -f %s %s-wal %s-shm", cache, cache, cache);
        double t0 = now();
        if (srv_sh("%s import %s --db %s --crs wgs84 --source bench >/dev/null 2>%s/import.txt",
                   o.geod, csv, cache, srv.dir))
            return say("geod import failed (%s/import.txt)", srv.dir), false;
        *import_s = now() - t0;
        unlink(csv);
        if ((f = fopen(meta, "w")))
            fprintf(f, "%.3f\n", *import_s), fclose(f);
    }
    if (srv_sh("cp %s %s", cache, c->db))
        return false;
    /* an account for the writes (the password on stdin, the cheapest key derivation) */
    return srv_sh("printf 'bench-password-123\\n' | GEOD_KDF_COST=min %s user add bench --role "
                  "admin --db %s >/dev/null 2>&1",
                  o.geod, c->db) == 0;
}

static bool login(struct ctx *c)
{
    struct ol_target t = {.proto = OL_HTTP, .port = c->geod_port};
    struct peer_conn *pc = peer_connect(&t);
    const char *body = "{\"name\":\"bench\",\"password\":\"bench-password-123\",\"bearer\":true}";
    char req[512];
    snprintf(req, sizeof req,
             "POST /v1/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    struct ol_req r = {req, strlen(req)};
    bool ok = pc && peer_ask_token(pc, &r, c->token, sizeof c->token);
    peer_close(pc);
    return ok;
}

/* ---- pgbench, start-up, writes ------------------------------------------------------------- */

static double pgbench(int clients)
{
    char script[128];
    snprintf(script, sizeof script, "%s/knn.sql", srv.dir);
    FILE *f = fopen(script, "w");
    fprintf(f,
            "\\set i random(1, %d)\nSELECT id FROM pts ORDER BY geom <-> (SELECT g FROM q "
            "WHERE i = :i) LIMIT 10;\n",
            NQ);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s%s pgbench -n -h %s/pg -p %d -U bench -f %s -c %d -j %d -T %d -M prepared bench "
             "2>/dev/null",
             o.client_cpus[0] ? "taskset -c " : "", o.client_cpus, srv.dir, SRV_PG_PORT, script,
             clients, clients, (int)ceil(o.seconds));
    FILE *p = popen(cmd, "r");
    char line[256];
    double tps = NAN;
    while (p && fgets(line, sizeof line, p))
        if (!strncmp(line, "tps = ", 6))
            tps = atof(line + 6);
    if (p)
        pclose(p);
    return tps;
}

/* Waits (up to 5 min) until pid's CPU time stops growing: what slow requests left queued
 * (durable writes) is done before the next measurement starts. */
static void settle(pid_t pid)
{
    double c = srv_cpu_s(pid), t0 = now();
    for (;;) {
        usleep(300000);
        double d = srv_cpu_s(pid);
        if (d - c < 0.02 || now() - t0 > 300)
            return;
        c = d;
    }
}

/* A closed loop of conns connections; writes: until at least 2 answers per connection (up to
 * 60 s), then until the server is idle again. */
static bool closed(const struct ol_target *t, const struct reqset *rs, int conns, int run,
                   pid_t pid, bool writes, double *rps, double *cpu_us, double *errors)
{
    struct ol_spec sp = {.t = t,
                         .reqs = rs->reqs,
                         .nreq = rs->n,
                         .first = (size_t)run * rs->n / 3,
                         .conns = conns,
                         .seconds = o.seconds,
                         .min_done = writes ? 2 * (size_t)conns : 0,
                         .max_seconds = 60};
    struct ol_result res;
    double c0 = srv_cpu_s(pid);
    if (!ol_run(&sp, &res))
        return false;
    *rps = res.rps;
    if (cpu_us)
        *cpu_us = res.done ? (srv_cpu_s(pid) - c0) * 1e6 / (double)res.done : NAN;
    if (errors)
        *errors = (double)res.errors + (double)res.late;
    if (writes)
        settle(pid);
    return true;
}

static bool extras(struct ctx *c, struct size_res *sr, struct row *k10json)
{
    /* pgbench next to geod (JSON k=10) and PostGIS through the load generator, 1 and 4 clients */
    struct ol_target pgt;
    pg_target(&pgt,
              "SELECT id FROM pts ORDER BY geom <-> "
              "ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) LIMIT 10",
              2);
    struct reqset pgq = {0};
    for (size_t i = 0; i < NQ; i++)
        rq_add(&pgq, "%.7f\t%.7f", c->q[i].lon, c->q[i].lat);
    rq_done(&pgq);
    for (int run = 0; run < o.runs; run++)
        for (int ci = 0; ci < 2; ci++) {
            int cl = ci ? 4 : 1;
            sr->pgbench[ci][run] = pgbench(cl);
            if (!closed(&pgt, &pgq, cl, run, srv.postmaster, false, &sr->pg_ol[ci][run], NULL,
                        NULL) ||
                !closed(&k10json->t, &k10json->rs, cl, run, srv.geod, false, &sr->geod_cl[ci][run],
                        NULL, NULL))
                return false;
        }
    rq_free(&pgq);
    free((char *)pgt.pg_sql);
    sr->pgbench_knn_plan =
        srv_sh("psql -h %s/pg -p %d -U bench -d bench -Atc 'EXPLAIN SELECT id FROM pts ORDER BY "
               "geom <-> (SELECT g FROM q WHERE i = 1) LIMIT 10' 2>/dev/null | grep -q "
               "'Index Scan using pts_geom'",
               srv.dir, SRV_PG_PORT) == 0;
    /* start-up: geod serve on the store, from the spawn to the first answer */
    for (int run = 0; run < o.runs; run++) {
        srv_kill(&srv.geod);
        if (!srv_geod_start(&srv, o.geod, c->db, &c->geod_port, &sr->startup_s[run]))
            return say("geod did not restart"), false;
    }
    /* durable writes: each POST acknowledged after its commit; then the mixed load */
    if (!login(c))
        return say("login failed"), false;
    struct reqset w = {0}, mixed = {0};
    for (size_t i = 0; i < NQ; i++) {
        post_write(&w, c->token, i, c->q[i].lon, c->q[i].lat);
        if (i % 100 == 99)
            post_write(&mixed, c->token, NQ + i, c->q[i].lon, c->q[i].lat);
        else
            http_get(&mixed, "/v1/nearby?lon=%.7f&lat=%.7f&k=10", c->q[i].lon, c->q[i].lat);
    }
    rq_done(&w);
    rq_done(&mixed);
    struct ol_target gt = {.proto = OL_HTTP, .port = c->geod_port};
    static const int wc[3] = {1, 4, 16};
    for (int run = 0; run < o.runs; run++) {
        sr->fdatasync[run] = srv_fdatasync_rate(srv.dir, o.seconds);
        for (int i = 0; i < 3; i++)
            if (!closed(&gt, &w, wc[i], run, srv.geod, true, &sr->writes[i][run],
                        &sr->writes_cpu[i][run], &sr->writes_err[i][run]))
                return false;
    }
    rq_free(&w);
    if (c->full) {
        struct row *r = &sr->mixed;
        *r = (struct row){.mix = "mixed",
                          .variant = "k=10, 1 % writes",
                          .engine = "geod JSON",
                          .t = gt,
                          .pid = &srv.geod,
                          .conns = 8,
                          .geod = true,
                          .rs = mixed};
        for (int run = 0; run < o.runs; run++) {
            if (!run_row(r, run, true))
                return false;
            settle(srv.geod);
        }
        report_median(r, o.runs);
        sr->have_mixed = true;
    } else {
        rq_free(&mixed);
    }
    return true;
}

/* Everything for one size; false when something could not run. */
static bool one_size(size_t n, bool full, struct size_res *sr, int *status)
{
    struct ctx c = {.n = n, .full = full};
    sr->n = n;
    sr->full = full;
    c.pts = malloc(n * sizeof *c.pts);
    c.q = malloc(NQ * sizeof *c.q);
    gen_points(GEN_CLUSTERED, 1, c.pts, n);
    gen_queries(c.pts, n, 1, c.q, NQ);
    for (size_t i = 0; i < NQ; i++) { /* as the clients send them: 7 decimals */
        char b[64];
        snprintf(b, sizeof b, "%.7f %.7f", c.q[i].lon, c.q[i].lat);
        sscanf(b, "%lf %lf", &c.q[i].lon, &c.q[i].lat);
    }
    sr->hash = gen_hash(c.pts, n);
    say("%zu points: in process", n);
    if (!inproc_run(c.pts, n, c.q, NQ, o.seconds / 2, o.runs, &sr->ip))
        return false;
    if (sr->ip.same_pct[0] < 100 || sr->ip.same_pct[1] < 100)
        *status = 2;
    if (!make_store(&c, sr->hash, &sr->import_s, &sr->cached))
        return false;
    c.sp = read_store(c.db, &c.nsp);
    struct rtree_item *it = malloc(c.nsp * sizeof *it);
    for (size_t i = 0; i < c.nsp; i++)
        it[i] = (struct rtree_item){c.sp[i].lon, c.sp[i].lat, c.sp[i].id, c.sp[i].cat};
    if (!c.sp || rtree_build(it, c.nsp, &c.tree))
        return false;
    free(it);
    sr->facilities = c.nsp;
    say("%zu points: starting the servers", n);
    double t0;
    if (!srv_geod_start(&srv, o.geod, c.db, &c.geod_port, &sr->first_start_s))
        return say("geod serve did not start"), false;
    t0 = now();
    if (!srv_redis_start(&srv, c.sp, c.nsp))
        return say("redis did not start or load"), false;
    sr->redis_load_s = now() - t0;
    t0 = now();
    if (!srv_pg_start(&srv, c.sp, c.nsp, c.q, NQ))
        return say("postgis did not start or load (%s/pg/log)", srv.dir), false;
    sr->pg_load_s = now() - t0;
    snprintf(c.body, sizeof c.body, "%s/body.json", srv.dir);
    c.h2o_port = (uint16_t)(c.geod_port + 1000);
    c.nginx_ret = (uint16_t)(c.geod_port + 1001);
    c.nginx_file = (uint16_t)(c.geod_port + 1002);
    char bin[600];
    snprintf(bin, sizeof bin, "%s/bench_h2o_bytes", o.self_dir);
    c.have_h2o = srv_sh("curl -sf -o %s 'http://127.0.0.1:%u/v1/nearby?lon=%.7f&lat=%.7f&k=10'",
                        c.body, c.geod_port, c.q[0].lon, c.q[0].lat) == 0 &&
                 srv_h2o_start(&srv, bin, c.h2o_port, c.body);
    c.have_nginx = c.have_h2o && srv_nginx_start(&srv, c.nginx_ret, c.nginx_file, c.body);
    struct stat st;
    sr->body_bytes = stat(c.body, &st) ? 0 : (long)st.st_size;
    sr->nrows = make_rows(&c, sr->rows);
    struct row *k10 = NULL;
    for (size_t i = 0; i < sr->nrows; i++) {
        struct row *r = &sr->rows[i];
        if (!strcmp(r->mix, "shake") && !strcmp(r->variant, "k=10") &&
            !strcmp(r->engine, "geod JSON"))
            k10 = r;
        if (r->check) {
            if (!check_row(&c, r))
                return say("%s %s %s: no answer", r->mix, r->variant, r->engine), false;
            if (r->geod && r->same_pct < 100)
                *status = 2;
        }
    }
    for (int run = 0; run < o.runs; run++)
        for (size_t i = 0; i < sr->nrows; i++) {
            struct row *r = &sr->rows[i];
            say("%zu points, run %d/%d: %s %s %s", n, run + 1, o.runs, r->mix, r->variant,
                r->engine);
            if (!run_row(r, run, true))
                return say("%s %s %s did not run", r->mix, r->variant, r->engine), false;
        }
    for (size_t i = 0; i < sr->nrows; i++)
        report_median(&sr->rows[i], o.runs);
    say("%zu points: pgbench, start-up, writes", n);
    if (!k10 || !extras(&c, sr, k10))
        return false;
    srv_stop_all(&srv);
    for (size_t i = 0; i < sr->nrows; i++) {
        free((char *)(sr->rows[i].t.proto == OL_PG ? sr->rows[i].t.pg_sql : NULL));
        rq_free(&sr->rows[i].rs);
    }
    if (sr->have_mixed)
        rq_free(&sr->mixed.rs);
    rtree_free(c.tree);
    free(c.sp);
    free(c.pts);
    free(c.q);
    srv_sh("rm -f %s/geod.sqlite*", srv.dir);
    return true;
}

static void loadavg(char *out, size_t size)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (f && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(out, size, "%.2f %.2f %.2f", a, b, c);
    else
        snprintf(out, size, "?");
    if (f)
        fclose(f);
}

int main(int argc, char **argv)
{
    report_opts_default(&o);
    if (!report_opts_parse(&o, argc, argv))
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    srv.threads = 1;
    if (o.pin && cores >= 2) {
        snprintf(o.client_cpus, sizeof o.client_cpus, "0-%ld", cores / 2 - 1);
        snprintf(srv.server_cpus, sizeof srv.server_cpus, "%ld-%ld", cores / 2, cores - 1);
        srv.threads = (int)(cores - cores / 2);
        cpu_set_t set;
        CPU_ZERO(&set);
        for (long i = 0; i < cores / 2; i++)
            CPU_SET(i, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    snprintf(o.server_cpus, sizeof o.server_cpus, "%s", srv.server_cpus);
    o.threads = srv.threads;
    o.cores = cores;
    char self[512];
    snprintf(self, sizeof self, "%s", argv[0]);
    char *slash = strrchr(self, '/');
    snprintf(o.self_dir, sizeof o.self_dir, "%.*s", slash ? (int)(slash - self) : 1,
             slash ? self : ".");
    snprintf(srv.dir, sizeof srv.dir, "/tmp/geod-bench-peers-XXXXXX");
    if (!mkdtemp(srv.dir) || chmod(srv.dir, 0755))
        return 1;
    atexit(cleanup);
    static struct size_res res[REPORT_MAX_SIZES];
    int status = 0;
    size_t done = 0;
    o.started = time(NULL);
    loadavg(o.load_start, sizeof o.load_start);
    /* the largest size first (every mix), the report rewritten after each size: a run cut
     * short still leaves the most telling part */
    for (size_t i = o.nsizes; i-- > 0; done++) {
        bool full = o.full_all || i + 1 == o.nsizes;
        if (!one_size(o.sizes[i], full, &res[i], &status)) {
            srv_stop_all(&srv);
            status = 1;
            break;
        }
        loadavg(o.load_end, sizeof o.load_end);
        if (!report_write(&o, res + i, done + 1))
            return 1;
    }
    return status;
}

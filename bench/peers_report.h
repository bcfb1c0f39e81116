/* peers_report.h - what bench_peers measures, its options, and the report it writes: markdown
 * (one table per query mix, a column per engine, ratio columns geod ÷ each; the targets of
 * issue 7, met or missed and by how much) and gnuplot PNGs of throughput and latency against
 * the data size. Only bench/ uses it. */
#ifndef GEOD_BENCH_PEERS_REPORT_H
#define GEOD_BENCH_PEERS_REPORT_H

#include "bench/openloop.h"
#include "index/rtree.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define REPORT_MAX_RUNS 5
#define REPORT_MAX_SIZES 8
#define REPORT_MAX_ROWS 48

struct opts {
    size_t sizes[REPORT_MAX_SIZES]; /* points per data set, ascending */
    size_t nsizes;
    double seconds;     /* per measurement */
    int runs;           /* of everything; medians reported */
    bool full_all, pin; /* every mix at every size (else the largest only); pinning */
    const char *geod, *cache, *report, *plots, *note;
    char client_cpus[48], server_cpus[48], self_dir[512];
    int threads;
    long cores;
    time_t started;
    char load_start[64], load_end[64]; /* /proc/loadavg */
};

/* Requests in one growing buffer (bench_peers.c builds them). */
struct reqset {
    char *buf;
    size_t len, cap, n;
    size_t *off;
    struct ol_req *reqs; /* [n] once done */
};

/* One run of a row; latencies in µs, [0] at 50 % of the peak, [1] at 80 %. */
struct fig {
    double peak;       /* req/s, closed loop */
    double closed_p50; /* µs, closed loop */
    double cpu_us;     /* server CPU per request during the peak run */
    double bytes;      /* mean answer bytes (PostgreSQL: rows) */
    double errors;
    double p50[2], p99[2], p999[2], lag[2], late[2];
};

struct row {
    const char *mix;  /* shake, radius, box, mixed */
    char variant[64]; /* k=10, 1 km, ... */
    char engine[32];  /* geod JSON, PostGIS, ... */
    struct ol_target t;
    struct reqset rs;
    pid_t *pid; /* the server, for its CPU */
    int conns;
    bool msgpack, check, geod, sweep, checked;
    struct rtree_query oracle; /* the exact answer's question (k, max_m, cat_mask) */
    double same_pct, ids_pct;  /* of the first answers: equal to the exact; exact ids found */
    struct fig run[REPORT_MAX_RUNS], med;
};

struct inproc {
    double build_s, bytes_pt, sq_build_s, sq_bytes_pt;
    double same_pct[3]; /* of 100: geod all, geod 2 %, SQLite */
    double p50[3][REPORT_MAX_RUNS], qps[3][REPORT_MAX_RUNS];
    bool have_sqlite;
};

struct size_res {
    size_t n, facilities;
    bool full, cached;
    unsigned long long hash;
    double import_s, first_start_s, redis_load_s, pg_load_s;
    long body_bytes;
    struct inproc ip;
    struct row rows[REPORT_MAX_ROWS];
    size_t nrows;
    double pgbench[2][REPORT_MAX_RUNS], pg_ol[2][REPORT_MAX_RUNS], geod_cl[2][REPORT_MAX_RUNS];
    bool pgbench_knn_plan; /* pgbench's statement plans a GiST index scan by distance */
    double startup_s[REPORT_MAX_RUNS];
    double fdatasync[REPORT_MAX_RUNS];
    double writes[3][REPORT_MAX_RUNS], writes_cpu[3][REPORT_MAX_RUNS],
        writes_err[3][REPORT_MAX_RUNS]; /* 1, 4, 16 clients */
    struct row mixed;
    bool have_mixed;
};

int report_cmp_double(const void *a, const void *b);
double report_med(const double *v, int n);   /* the median, NaN ignored */
void report_median(struct row *r, int runs); /* r->med from r->run[0..runs) */

void report_opts_default(struct opts *o); /* and the BENCH_* environment */
bool report_opts_parse(struct opts *o, int argc, char **argv);

/* The report and the plots of res[0..n); false if a file could not be written. */
bool report_write(const struct opts *o, const struct size_res *res, size_t n);

#endif

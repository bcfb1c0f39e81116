/* h_metrics.c - GET /metrics: Prometheus text format 0.0.4. Counters and histograms summed over
 * the event-loop threads (api/metrics.h), gauges from the snapshot being served. */
#include "api/params.h"
#include "api/server.h"
#include "index/divisions.h"
#include "index/enterprises.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct text {
    char *p;
    size_t len, cap;
};

static void out(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 1 << 15;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p)
            return;
        t->p = p;
        t->cap = cap;
    }
}

/* One labelled series of a histogram (buckets not cumulative, as counted); nothing when empty. */
static void histogram(struct text *t, const char *name, const char *label, const char *value,
                      const _Atomic uint64_t *bucket, uint64_t sum_ns)
{
    uint64_t n = 0;
    for (int b = 0; b < METRICS_BUCKETS; b++)
        n += bucket[b];
    if (!n)
        return;
    uint64_t cum = 0;
    for (int b = 0; b < METRICS_BUCKETS; b++) {
        cum += bucket[b];
        if (b == METRICS_BUCKETS - 1)
            out(t, "%s_bucket{%s=\"%s\",le=\"+Inf\"} %llu\n", name, label, value,
                (unsigned long long)cum);
        else
            out(t, "%s_bucket{%s=\"%s\",le=\"%g\"} %llu\n", name, label, value,
                metrics_bucket_us[b] / 1e6, (unsigned long long)cum);
    }
    out(t, "%s_sum{%s=\"%s\"} %.9f\n", name, label, value, (double)sum_ns / 1e9);
    out(t, "%s_count{%s=\"%s\"} %llu\n", name, label, value, (unsigned long long)n);
}

static const char *const classes[METRICS_CLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

void api_h_metrics(struct api_req *r)
{
    static const char *const allowed[] = {NULL};
    if (!params_allow(r, allowed))
        return;
    struct api_metrics *m = calloc(1, sizeof *m);
    double published = 0;
    struct text t = {0};
    if (!m) {
        api_fail(r, 500, "internal", "out of memory", NULL);
        return;
    }
    api_server_metrics(r->th, m, &published);
    out(&t, "# HELP geod_requests_total Requests answered, by route and status class.\n"
            "# TYPE geod_requests_total counter\n");
    for (int i = 0; i < METRICS_ROUTES; i++) {
        const char *route = api_route_name(i);
        if (strcmp(route, "other") == 0 && i != METRICS_ROUTES - 1)
            continue; /* an unused slot */
        for (int c = 0; c < METRICS_CLASSES; c++)
            out(&t, "geod_requests_total{route=\"%s\",status=\"%s\"} %llu\n", route, classes[c],
                (unsigned long long)m->count[i][c]);
    }
    out(&t, "# HELP geod_request_duration_seconds Time from dispatch to the answer, by route.\n"
            "# TYPE geod_request_duration_seconds histogram\n");
    for (int i = 0; i < METRICS_ROUTES; i++)
        histogram(&t, "geod_request_duration_seconds", "route", api_route_name(i), m->bucket[i],
                  m->sum_ns[i]);
    const struct snapshot *s = r->snap;
    out(&t, "# HELP geod_facilities Live facilities in the index, by category.\n"
            "# TYPE geod_facilities gauge\n");
    for (size_t c = 0; c < s->ncat; c++)
        out(&t, "geod_facilities{category=\"%s\"} %zu\n", s->cats[c].id, s->cats[c].count);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    out(&t,
        "# HELP geod_index_bytes Memory held by the snapshot being served.\n"
        "# TYPE geod_index_bytes gauge\ngeod_index_bytes %zu\n"
        "# HELP geod_divisions Divisions in the snapshot.\n"
        "# TYPE geod_divisions gauge\ngeod_divisions %zu\n"
        "# HELP geod_enterprises Welfare enterprises in the snapshot.\n"
        "# TYPE geod_enterprises gauge\ngeod_enterprises %zu\n"
        "# HELP geod_snapshot_generation The store's change counter the snapshot was built at.\n"
        "# TYPE geod_snapshot_generation gauge\ngeod_snapshot_generation %llu\n"
        "# HELP geod_snapshot_age_seconds Time since the snapshot being served was published.\n"
        "# TYPE geod_snapshot_age_seconds gauge\ngeod_snapshot_age_seconds %.3f\n",
        snapshot_bytes(s), s->div->n, s->ent->n, (unsigned long long)s->generation,
        (double)now.tv_sec + (double)now.tv_nsec * 1e-9 - published);
    out(&t,
        "# HELP geod_snapshot_delta_facilities Facilities changed since the last full index "
        "build (the snapshot's delta).\n"
        "# TYPE geod_snapshot_delta_facilities gauge\ngeod_snapshot_delta_facilities %zu\n"
        "# HELP geod_snapshot_compactions_total Deltas folded into a new full index.\n"
        "# TYPE geod_snapshot_compactions_total counter\ngeod_snapshot_compactions_total %llu\n",
        snapshot_delta_len(s), (unsigned long long)api_server_compactions(r->th->server));
    out(&t,
        "# HELP geod_store_checkpoints_total WAL checkpoints run in the background, off the "
        "writes' path.\n"
        "# TYPE geod_store_checkpoints_total counter\ngeod_store_checkpoints_total %llu\n",
        (unsigned long long)api_server_checkpoints(r->th->server));
    out(&t, "# HELP geod_store_write_duration_seconds Facility writes, by stage: commit (BEGIN to "
            "a durable COMMIT) and publish (the commit to the snapshot every thread reads).\n"
            "# TYPE geod_store_write_duration_seconds histogram\n");
    static const char *const stages[METRICS_WRITE_STAGES] = {"commit", "publish"};
    for (int i = 0; i < METRICS_WRITE_STAGES; i++)
        histogram(&t, "geod_store_write_duration_seconds", "stage", stages[i], m->write_bucket[i],
                  m->write_sum_ns[i]);
    out(&t,
        "# HELP geod_store_write_failures_total Store writes refused (a full disk, a read-only "
        "file system, an I/O error), answered 503.\n"
        "# TYPE geod_store_write_failures_total counter\ngeod_store_write_failures_total %llu\n",
        (unsigned long long)m->write_failed);
    out(&t,
        "# HELP geod_ratelimit_refused_total Requests refused by the per-address rate limit.\n"
        "# TYPE geod_ratelimit_refused_total counter\ngeod_ratelimit_refused_total %llu\n",
        (unsigned long long)(r->th->rl ? ratelimit_refused(r->th->rl) : 0));
    free(m);
    if (!t.p) {
        api_fail(r, 500, "internal", "out of memory", NULL);
        return;
    }
    api_respond(r, 200, t.p, t.len, "text/plain; version=0.0.4; charset=utf-8");
    free(t.p);
}

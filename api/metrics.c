/* metrics.c - see metrics.h. */
#include "api/metrics.h"

const double metrics_bucket_us[METRICS_BUCKETS] = {
    25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 250000, 1000000, 1.0 / 0.0};

static int bucket_of(uint64_t ns)
{
    double us = (double)ns / 1e3;
    int b = 0;
    while (b < METRICS_BUCKETS - 1 && us > metrics_bucket_us[b])
        b++;
    return b;
}

/* Adds v to *a. Only the owning thread writes a counter, so a relaxed load and store do: no
 * locked read-modify-write on the request path, and a scrape still reads whole values. */
static inline void bump(_Atomic uint64_t *a, uint64_t v)
{
    atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

void metrics_record(struct api_metrics *m, int route, int status, uint64_t ns)
{
    if (route < 0 || route >= METRICS_ROUTES)
        route = METRICS_ROUTES - 1;
    int cls = status >= 100 && status < 600 ? status / 100 - 1 : METRICS_CLASSES - 1;
    bump(&m->count[route][cls], 1);
    bump(&m->bucket[route][bucket_of(ns)], 1);
    bump(&m->sum_ns[route], ns);
}

void metrics_record_write(struct api_metrics *m, enum metrics_write_stage stage, uint64_t ns)
{
    bump(&m->write_bucket[stage][bucket_of(ns)], 1);
    bump(&m->write_sum_ns[stage], ns);
}

void metrics_write_failed(struct api_metrics *m)
{
    bump(&m->write_failed, 1);
}

void metrics_add(struct api_metrics *into, const struct api_metrics *from)
{
    for (int r = 0; r < METRICS_ROUTES; r++) {
        for (int c = 0; c < METRICS_CLASSES; c++)
            into->count[r][c] += atomic_load_explicit(&from->count[r][c], memory_order_relaxed);
        for (int b = 0; b < METRICS_BUCKETS; b++)
            into->bucket[r][b] += atomic_load_explicit(&from->bucket[r][b], memory_order_relaxed);
        into->sum_ns[r] += atomic_load_explicit(&from->sum_ns[r], memory_order_relaxed);
    }
    for (int s = 0; s < METRICS_WRITE_STAGES; s++) {
        for (int b = 0; b < METRICS_BUCKETS; b++)
            into->write_bucket[s][b] +=
                atomic_load_explicit(&from->write_bucket[s][b], memory_order_relaxed);
        into->write_sum_ns[s] += atomic_load_explicit(&from->write_sum_ns[s], memory_order_relaxed);
    }
    into->write_failed += atomic_load_explicit(&from->write_failed, memory_order_relaxed);
}

/* metrics.h - what GET /metrics tells Prometheus: requests by route and status class, latency
 * histograms by route, and (computed at scrape time from the snapshot) facilities per category,
 * index bytes, snapshot generation and age. Each event-loop thread counts into its own struct
 * (relaxed atomics written by that thread only); a scrape sums them. No locks on the request
 * path. */
#ifndef GEOD_METRICS_H
#define GEOD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_ROUTES 40 /* route slots: the route table's, then "other" */
#define METRICS_CLASSES 5 /* 1xx .. 5xx */
#define METRICS_BUCKETS 14

/* Latency bucket upper bounds, microseconds (the last is +Inf). */
extern const double metrics_bucket_us[METRICS_BUCKETS];

/* The stages of a facility write (api/facility_write.c) timed apart. */
enum metrics_write_stage {
    METRICS_WRITE_COMMIT,  /* BEGIN IMMEDIATE to a durable COMMIT: the store's share */
    METRICS_WRITE_PUBLISH, /* the commit to the snapshot every thread reads */
    METRICS_WRITE_STAGES
};

struct api_metrics {
    _Atomic uint64_t count[METRICS_ROUTES][METRICS_CLASSES];
    _Atomic uint64_t bucket[METRICS_ROUTES][METRICS_BUCKETS]; /* not cumulative */
    _Atomic uint64_t sum_ns[METRICS_ROUTES];
    _Atomic uint64_t write_bucket[METRICS_WRITE_STAGES][METRICS_BUCKETS]; /* not cumulative */
    _Atomic uint64_t write_sum_ns[METRICS_WRITE_STAGES];
    _Atomic uint64_t write_failed; /* writes the store refused (503) after BEGIN */
};

/* One answered request: route slot (< METRICS_ROUTES), HTTP status, time from dispatch to the
 * answer in nanoseconds. Called by the thread that owns m. */
void metrics_record(struct api_metrics *m, int route, int status, uint64_t ns);

/* One facility write's stage took ns nanoseconds. Called by the thread that owns m. */
void metrics_record_write(struct api_metrics *m, enum metrics_write_stage stage, uint64_t ns);

/* A write the store refused after it began. */
void metrics_write_failed(struct api_metrics *m);

/* into += from (a scrape's sum over threads). */
void metrics_add(struct api_metrics *into, const struct api_metrics *from);

#endif

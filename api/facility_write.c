/* facility_write.c - group commit, then publish (see facility_write.h). */
#include "data/log.h"
#include "api/facility_write.h"
#include "api/server.h"
#include "data/store_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH_MAX 64 /* writes one commit takes at most; the next one waits for the flush */

/* A write staged in the open batch, answered at the flush. */
struct staged {
    struct api_req r; /* a copy: its strings and snapshot live as long as the request */
    struct api_write_answer a;
    api_write_answer_fn fn;
    uint64_t t0_ns;
};

struct api_batch {
    bool open;             /* the write lock is held and the transaction begun */
    bool failed;           /* a store fault: the flush rolls back and answers 503 */
    int64_t seq_before[2]; /* store_audit_seq at BEGIN */
    size_t n;
    struct staged w[BATCH_MAX];
};

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

const struct snapshot *api_current(struct api_thread *th); /* api/server.c */

const struct snapshot *api_write_current(struct api_req *r)
{
    return api_current(r->th);
}

/* The store faults that are the disk's, not one write's: they fail the whole batch. */
static bool disk_fault(enum store_fault f)
{
    return f == STORE_FAULT_FULL || f == STORE_FAULT_READONLY || f == STORE_FAULT_IO ||
           f == STORE_FAULT_BUSY;
}

static bool batch_holds(const struct api_batch *b, uint32_t id)
{
    for (size_t i = 0; id && i < b->n; i++)
        if (b->w[i].a.id == id)
            return true;
    return false;
}

bool api_write_begin(struct api_req *r, struct api_write *w, uint32_t id, bool flush_first)
{
    *w = (struct api_write){.r = r};
    struct api_thread *th = r->th;
    if (!th->store) {
        api_fail(r, 503, "unavailable", "this server has no store to write to", NULL);
        return false;
    }
    if (!th->batch && !(th->batch = calloc(1, sizeof *th->batch)))
        abort(); /* api/ may abort on out-of-memory */
    struct api_batch *b = th->batch;
    if (b->open && (flush_first || b->failed || b->n == BATCH_MAX || batch_holds(b, id)))
        api_write_flush(th);
    if (!b->open) {
        api_server_write_lock(th->server);
        if (store_begin(th->store) || store_audit_seq(th->store, b->seq_before)) {
            store_rollback(th->store);
            api_server_write_unlock(th->server);
            api_fail_store(r, "the change could not be started");
            return false;
        }
        b->open = true;
        b->failed = false;
        b->n = 0;
    }
    if (store_savepoint(th->store)) {
        b->failed = true;
        api_fail_store(r, "the change could not be started");
        return false;
    }
    w->open = true;
    w->t0_ns = mono_ns();
    return true;
}

void api_write_abort(struct api_write *w)
{
    if (!w->open)
        return;
    struct api_thread *th = w->r->th;
    enum store_fault f = store_fault(th->store);
    if (store_rollback_to(th->store) || disk_fault(f))
        th->batch->failed = true;
    w->open = false;
}

bool api_write_commit(struct api_write *w, const struct api_write_answer *a, api_write_answer_fn fn)
{
    struct api_thread *th = w->r->th;
    struct api_batch *b = th->batch;
    if (store_release(th->store))
        b->failed = true;
    b->w[b->n++] = (struct staged){.r = *w->r, .a = *a, .fn = fn, .t0_ns = w->t0_ns};
    w->open = false;
    return true;
}

struct derive {
    const struct api_batch *b;
    const struct snapshot_change *ch;
    int64_t seq_after[2];
};

static enum geod_err derive(void *ctx, const struct snapshot *cur, struct snapshot **next)
{
    const struct derive *d = ctx;
    const struct api_batch *b = d->b;
    /* only a snapshot of exactly the state this batch started from can take it as a delta */
    if (cur->seq[0] != b->seq_before[0] || cur->seq[1] != b->seq_before[1])
        return GEOD_ECORRUPT;
    uint64_t gen = cur->generation + (uint64_t)(d->seq_after[0] - b->seq_before[0]);
    enum geod_err rc = snapshot_derive_n(cur, d->ch, b->n, gen, next);
    if (!rc) {
        (*next)->seq[0] = d->seq_after[0];
        (*next)->seq[1] = d->seq_after[1];
    }
    return rc;
}

/* The staged records as the store holds them, the audit log's position, and the commit; false
 * when any of it fails (the transaction rolled back). */
static bool commit(struct api_thread *th, struct store_facility_row *rows, struct facility_in *in,
                   struct snapshot_change *ch, int64_t seq_after[2])
{
    struct api_batch *b = th->batch;
    struct store *st = th->store;
    bool ok = !b->failed && store_in_transaction(st);
    for (size_t i = 0; ok && i < b->n; i++) {
        const struct store_facility_row *row = &rows[i];
        ok = store_facility_get(st, b->w[i].a.id, &rows[i]) == GEOD_OK;
        const struct store_facility *f = &row->f;
        in[i] = (struct facility_in){.id = row->id,
                                     .version = (uint32_t)row->version,
                                     .category = f->category,
                                     .lon = f->lon,
                                     .lat = f->lat,
                                     .name = f->name,
                                     .address = f->address,
                                     .phone = f->phone,
                                     .hours = f->hours,
                                     .division_code = f->division_code,
                                     .source = f->source};
        ch[i] = (struct snapshot_change){.put = row->deleted ? NULL : &in[i],
                                         .drop = row->deleted ? row->id : 0};
    }
    if (ok && !store_audit_seq(st, seq_after) && !store_commit(st))
        return true;
    store_rollback(st);
    return false;
}

void api_write_flush(struct api_thread *th)
{
    struct api_batch *b = th->batch;
    if (!b || !b->open)
        return;
    b->open = false; /* the answers below may not join it */
    struct api_server *srv = th->server;
    struct store_facility_row *rows = calloc(b->n ? b->n : 1, sizeof *rows);
    struct facility_in *in = calloc(b->n ? b->n : 1, sizeof *in);
    struct snapshot_change *ch = calloc(b->n ? b->n : 1, sizeof *ch);
    if (!rows || !in || !ch)
        abort();
    struct derive d = {.b = b, .ch = ch};
    if (!commit(th, rows, in, ch, d.seq_after)) {
        api_server_write_unlock(srv);
        for (size_t i = 0; i < b->n; i++)
            api_fail_store(&b->w[i].r, "the change could not be committed");
    } else {
        /* committed and durable: from here on every answer is a success */
        uint64_t committed = mono_ns();
        for (size_t i = 0; i < b->n; i++)
            metrics_record_write(th->metrics, METRICS_WRITE_COMMIT, committed - b->w[i].t0_ns);
        enum geod_err rc = b->n ? api_server_update(srv, derive, &d) : GEOD_OK;
        if (rc) {
            struct snapshot *snap;
            rc = api_server_rebuild(srv, th->store, &snap);
            if (!rc && !api_server_publish_newer(srv, snap))
                rc = GEOD_ECORRUPT;
        }
        uint64_t published = mono_ns();
        for (size_t i = 0; i < b->n; i++) {
            if (rc)
                log_error("facility %u was written but not yet published (%s); the reloader "
                          "will",
                          (unsigned)b->w[i].a.id, geod_strerror(rc));
            else
                metrics_record_write(th->metrics, METRICS_WRITE_PUBLISH, published - committed);
        }
        api_server_write_unlock(srv);
        api_server_wrote(srv);
        for (size_t i = 0; i < b->n; i++)
            b->w[i].fn(&b->w[i].r, &b->w[i].a);
    }
    for (size_t i = 0; i < b->n; i++)
        store_facility_row_free(&rows[i]);
    free(rows);
    free(in);
    free(ch);
    b->n = 0;
    b->failed = false;
}

void api_write_thread_free(struct api_thread *th)
{
    free(th->batch);
    th->batch = NULL;
}

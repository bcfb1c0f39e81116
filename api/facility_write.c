/* facility_write.c - commit, then publish (see facility_write.h). */
#include "data/log.h"
#include "api/facility_write.h"
#include "api/server.h"
#include "data/store_write.h"

#include <stdio.h>
#include <time.h>

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

bool api_write_begin(struct api_req *r, struct api_write *w)
{
    *w = (struct api_write){.r = r};
    if (!r->th->store) {
        api_fail(r, 503, "unavailable", "this server has no store to write to", NULL);
        return false;
    }
    api_server_write_lock(r->th->server);
    if (store_begin(r->th->store) || store_audit_seq(r->th->store, w->seq_before)) {
        store_rollback(r->th->store);
        api_server_write_unlock(r->th->server);
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
    store_rollback(w->r->th->store);
    api_server_write_unlock(w->r->th->server);
    w->open = false;
}

struct derive {
    const struct api_write *w;
    const struct store_facility_row *row;
    int64_t seq_after[2];
};

static enum geod_err derive(void *ctx, const struct snapshot *cur, struct snapshot **next)
{
    const struct derive *d = ctx;
    /* only a snapshot of exactly the state this write started from can take it as a delta */
    if (cur->seq[0] != d->w->seq_before[0] || cur->seq[1] != d->w->seq_before[1])
        return GEOD_ECORRUPT;
    const struct store_facility *f = &d->row->f;
    struct facility_in in = {.id = d->row->id,
                             .version = (uint32_t)d->row->version,
                             .category = f->category,
                             .lon = f->lon,
                             .lat = f->lat,
                             .name = f->name,
                             .address = f->address,
                             .phone = f->phone,
                             .hours = f->hours,
                             .division_code = f->division_code,
                             .source = f->source};
    uint64_t gen = cur->generation + (uint64_t)(d->seq_after[0] - d->w->seq_before[0]);
    enum geod_err rc = snapshot_derive(cur, d->row->deleted ? NULL : &in,
                                       d->row->deleted ? d->row->id : 0, gen, next);
    if (!rc) {
        (*next)->seq[0] = d->seq_after[0];
        (*next)->seq[1] = d->seq_after[1];
    }
    return rc;
}

bool api_write_commit(struct api_write *w, uint32_t id)
{
    struct api_req *r = w->r;
    struct store *st = r->th->store;
    struct derive d = {.w = w};
    struct store_facility_row row;
    enum geod_err rc = store_facility_get(st, id, &row);
    d.row = &row;
    if (rc || store_audit_seq(st, d.seq_after) || store_commit(st)) {
        store_facility_row_free(&row);
        api_write_abort(w);
        api_fail_store(r, "the change could not be committed");
        return false;
    }
    /* committed and durable: from here on the answer is a success */
    uint64_t committed = mono_ns();
    metrics_record_write(r->th->metrics, METRICS_WRITE_COMMIT, committed - w->t0_ns);
    rc = api_server_update(r->th->server, derive, &d);
    if (rc) {
        struct snapshot *snap;
        rc = api_server_rebuild(r->th->server, st, &snap);
        if (!rc && !api_server_publish_newer(r->th->server, snap))
            rc = GEOD_ECORRUPT;
    }
    if (rc)
        log_error("facility %u was written but not yet published (%s); the reloader "
                  "will",
                  (unsigned)id, geod_strerror(rc));
    else
        metrics_record_write(r->th->metrics, METRICS_WRITE_PUBLISH, mono_ns() - committed);
    store_facility_row_free(&row);
    api_server_write_unlock(r->th->server);
    w->open = false;
    api_server_wrote(r->th->server);
    return true;
}

/* compact.c - the compactor (compact.h). Woken after a write whose snapshot's delta is over the
 * limit, it takes a reference to the served snapshot S, builds a full snapshot B of it without
 * any lock (snapshot_compact: seconds at a million facilities, while writers keep publishing
 * deltas and readers keep reading), then, under the publication lock, publishes the served
 * snapshot C's state on top of B (snapshot_rebase: B plus whatever C changed after S). C and
 * the published snapshot hold the same facilities, generation and seq, so no acknowledged write
 * is lost and nothing a reader sees changes but speed. When C does not descend from S (the
 * reloader published a whole snapshot meanwhile), B is dropped; the loop looks again. */
#include "api/compact.h"
#include "api/server.h"
#include "data/log.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct api_compactor {
    struct api_server *srv;
    size_t limit; /* --delta-max, 0: api_delta_limit's default */
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stop;
    bool poked;
    _Atomic uint64_t count;
};

struct rebase {
    const struct snapshot *from, *full;
};

static enum geod_err rebase(void *ctx, const struct snapshot *cur, struct snapshot **next)
{
    const struct rebase *r = ctx;
    return snapshot_rebase(cur, r->from, r->full, next);
}

/* One compaction if the served delta is over the limit; true when one was published. */
static bool compact_once(struct api_compactor *c)
{
    struct snapshot *from = api_server_acquire(c->srv), *full = NULL;
    bool done = false;
    if (snapshot_delta_len(from) > api_delta_limit(c->limit, from)) {
        enum geod_err rc = snapshot_compact(from, &full);
        if (!rc) {
            struct rebase r = {from, full};
            rc = api_server_update(c->srv, rebase, &r);
        }
        if (!rc) {
            atomic_fetch_add(&c->count, 1);
            done = true;
        } else if (rc != GEOD_ENOTFOUND) {
            log_error("compacting the snapshot failed (%s); writes go on as deltas",
                      geod_strerror(rc));
        }
    }
    snapshot_free(full);
    snapshot_free(from);
    return done;
}

static void *run(void *arg)
{
    struct api_compactor *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->stop && !c->poked)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stop)
            break;
        c->poked = false;
        pthread_mutex_unlock(&c->lock);
        /* writes that came during a compaction may have filled the next delta already */
        while (compact_once(c) && !c->stop)
            ;
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

size_t api_delta_limit(size_t given, const struct snapshot *s)
{
    if (given)
        return given;
    size_t r = (size_t)sqrt((double)(s ? s->n : 0));
    return r < API_DELTA_MIN ? API_DELTA_MIN : r > API_DELTA_MAX ? API_DELTA_MAX : r;
}

enum geod_err api_compactor_start(struct api_server *srv, size_t limit, struct api_compactor **out)
{
    *out = NULL;
    struct api_compactor *c = calloc(1, sizeof *c);
    if (!c)
        return GEOD_ENOMEM;
    c->srv = srv;
    c->limit = limit;
    atomic_init(&c->count, 0);
    atomic_init(&c->stop, false);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->tid, NULL, run, c)) {
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        free(c);
        return GEOD_ESYS;
    }
    *out = c;
    return GEOD_OK;
}

void api_compactor_poke(struct api_compactor *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->poked = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

uint64_t api_compactor_count(const struct api_compactor *c)
{
    return c ? atomic_load(&((struct api_compactor *)c)->count) : 0;
}

void api_compactor_stop(struct api_compactor *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->tid, NULL);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c);
}

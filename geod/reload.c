/* reload.c - a thread that asks the store, every RELOAD_PERIOD_MS, whether another connection
 * has committed (PRAGMA data_version) something a snapshot is built from: the audit logs moved
 * past the served snapshot's seq (store_content_version; logins and sessions, written all the
 * time by the API threads, do not count, and the API's own facility writes publish their
 * snapshot before anyone can see their commit); if so it builds a new snapshot on its own
 * connection and publishes it, unless a newer one was published meanwhile. A snapshot that
 * cannot be built is reported and the old one stays served. */
#include "data/log.h"
#include "data/store_auth.h"
#include "geod/reload.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct geod_reloader {
    struct store *s;
    const char *path;
    const char *snap_path; /* may be NULL */
    int64_t version;
    bool retry; /* the last snapshot built was older than the one served */
    const struct geod_pinyin *py;
    struct api_server *srv;
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static void *watch(void *arg)
{
    struct geod_reloader *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += RELOAD_PERIOD_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&r->wake, &r->lock, &until);
        if (r->stop)
            break;
        pthread_mutex_unlock(&r->lock);
        int64_t v;
        int64_t content[2], served[2];
        bool changed = store_data_version(r->s, &v) == GEOD_OK && (v != r->version || r->retry);
        if (changed)
            r->version = v;
        /* under the writers' lock: a facility write of this server is either not begun or
         * committed and published, so its own commits never look like news */
        bool stale = false;
        if (changed) {
            api_server_write_lock(r->srv);
            stale = store_content_version(r->s, content) == GEOD_OK;
            api_server_seq(r->srv, served);
            api_server_write_unlock(r->srv);
            stale = stale && (content[0] != served[0] || content[1] != served[1]);
        }
        r->retry = false;
        if (changed)
            log_debug("the store's data version is now %lld: %s", (long long)v,
                      stale ? "reloading" : "nothing a snapshot holds changed");
        if (stale) {
            struct snapshot *snap;
            double t0 = geod_now();
            if (geod_snapshot_from(r->s, r->path, r->snap_path, r->py, &snap) == 0) {
                unsigned long long gen = snap->generation;
                /* refused when a write published a newer one meanwhile: look again */
                if (api_server_publish_newer(r->srv, snap))
                    log_info("the store changed; now serving generation %llu (%.3f s)", gen,
                             geod_now() - t0);
                else
                    r->retry = true;
            }
        }
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int geod_reloader_start(struct store *s, const char *path, const char *snap_path, int64_t version,
                        const int64_t content[2], const struct geod_pinyin *py,
                        struct api_server *srv, struct geod_reloader **out)
{
    struct geod_reloader *r = calloc(1, sizeof *r);
    if (!r) {
        log_error("out of memory");
        return 1;
    }
    (void)content; /* the served snapshot's seq says the same */
    *r = (struct geod_reloader){.s = s,
                                .path = path,
                                .snap_path = snap_path,
                                .version = version, .py = py, .srv = srv};
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->tid, NULL, watch, r) != 0) {
        log_error("cannot start the store watcher");
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->wake);
        free(r);
        return 1;
    }
    *out = r;
    return 0;
}

void geod_reloader_stop(struct geod_reloader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->tid, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    store_close(r->s);
    free(r);
}

/* store_checkpoint.c - the background WAL checkpointer (store_checkpoint.h). The writers' WAL
 * hook only signals; the checkpoint runs on the checkpointer's thread and connection. A PASSIVE
 * checkpoint never waits for a writer or reader; the WAL restarts from its beginning at the
 * first write after a checkpoint that copied every frame. Under steady writes the checkpoint
 * rarely catches up before the next write begins, so the WAL keeps growing: the hook wakes the
 * thread once per c->frames new frames (not at every commit past the mark, which made a
 * checkpoint, and a sync of the store file, of a few frames per write), and a writer checkpoints
 * inline past INLINE_FACTOR times that, after which its next write restarts the WAL. */
#include "data/store_checkpoint.h"
#include "data/log.h"
#include "data/store_impl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define INLINE_FACTOR 4 /* WAL frames, in c->frames, past which a writer checkpoints itself */

struct store_checkpointer {
    sqlite3 *db; /* the checkpointer's own connection */
    int frames;  /* WAL frames that wake the thread */
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool poked, stop; /* under lock */
    int seen;         /* under lock: the WAL's frames at the last commit */
    int next;         /* under lock: the WAL's frames that wake the thread next */
    _Atomic uint64_t count;
};

static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct store_checkpointer *c = arg;
    bool inline_ckpt = frames >= INLINE_FACTOR * c->frames;
    pthread_mutex_lock(&c->lock);
    if (frames < c->seen) /* the WAL restarted */
        c->next = c->frames;
    c->seen = frames;
    if (!inline_ckpt && frames >= c->next) {
        c->next = frames + c->frames;
        c->poked = true;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    if (inline_ckpt)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static void *run(void *arg)
{
    struct store_checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->stop && !c->poked)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stop)
            break;
        c->poked = false;
        pthread_mutex_unlock(&c->lock);
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc == SQLITE_OK)
            atomic_fetch_add(&c->count, 1);
        else if (rc != SQLITE_BUSY)
            log_warn("WAL checkpoint failed: %s; writes go on", sqlite3_errmsg(c->db));
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

enum geod_err store_checkpointer_start(const char *path, int frames,
                                       struct store_checkpointer **out, char *err,
                                       size_t errlen)
{
    *out = NULL;
    struct store_checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return GEOD_ENOMEM;
    c->frames = frames > 0 ? frames : STORE_CHECKPOINT_FRAMES;
    c->next = c->frames;
    atomic_init(&c->count, 0);
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: checkpointer: %s", path,
                 c->db ? sqlite3_errmsg(c->db) : "cannot open");
        sqlite3_close(c->db);
        free(c);
        return GEOD_ESTORE;
    }
    sqlite3_busy_timeout(c->db, 5000);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->tid, NULL, run, c)) {
        snprintf(err, errlen, "cannot start the checkpointer");
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        sqlite3_close(c->db);
        free(c);
        return GEOD_ESYS;
    }
    *out = c;
    return GEOD_OK;
}

void store_checkpointer_attach(struct store_checkpointer *c, struct store *s)
{
    if (c && s)
        sqlite3_wal_hook(s->db, on_commit, c);
}

uint64_t store_checkpointer_count(const struct store_checkpointer *c)
{
    return c ? atomic_load(&((struct store_checkpointer *)c)->count) : 0;
}

void store_checkpointer_stop(struct store_checkpointer *c)
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
    sqlite3_close(c->db);
    free(c);
}

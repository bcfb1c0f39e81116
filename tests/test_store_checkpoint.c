/* test_store_checkpoint.c - data/store_checkpoint.c through the real binary ($GEOD_BIN, two
 * event loops): clients create facilities at once while the background checkpointer copies the
 * WAL into the store file, and geod is killed with SIGKILL once several checkpoints have run
 * (the kill may land in one). The oracles: /metrics counts the checkpoints; the WAL never grows
 * past what the writers' inline fallback allows; read with plain SQLite after the kill, the
 * store passes its integrity check and holds every create acknowledged before the kill, once,
 * with its id, and nothing unacknowledged but each client's one request in flight; restarted,
 * geod serves them. Client threads only record; the main thread checks. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/storm.h"
#include "tests/t.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000
#define REQUEST_MS 30000
#define CLIENTS 4
#define WRITES_MAX 20000 /* per client; the kill comes long before */
#define CHECKPOINTS 3    /* seen in /metrics before the kill */
#define WAL_FRAMES_MAX (4 * 1000 + 2000) /* the inline fallback's 4 x 1,000, and a group */

static char dir[64], seed[128];
static struct geodproc geod;
static bool up;
static char tok[ACCOUNTS_TOKEN];

struct client {
    int no;
    atomic_int *acked_total;
    atomic_bool *stop;
    atomic_int *finished; /* clients that stopped writing */
    int acked, sent;
    uint32_t id[WRITES_MAX];
};

static void test_start(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-ckpt-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    char err[1024];
    T_CHECKF(accounts_add(seed, "adm", "admin", NULL, err, sizeof err), "%s", err);
    up = geodproc_start(&geod, seed, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    if (up)
        T_CHECKF(accounts_login(geod.port, "adm", true, tok, NULL, err, sizeof err), "%s", err);
}

static void *client_main(void *arg)
{
    struct client *cl = arg;
    struct http_client *c = http_client_new(geod.port, true, 5000);
    char body[512], h[512];
    snprintf(h, sizeof h, "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n", tok);
    for (int i = 0; i < WRITES_MAX && !atomic_load(cl->stop); i++) {
        snprintf(body, sizeof body,
                 "{\"category\":\"shelter\",\"name\":\"ckpt-%d-%05d\",\"lon\":%.7f,"
                 "\"lat\":%.7f,\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
                 cl->no, i, 114.25 + 0.0007 * (i % 100), 30.55 + 0.0007 * cl->no);
        cl->sent = i + 1;
        struct http_resp r;
        enum http_err e = http_request(c, "POST", "/v1/facilities", h, body, strlen(body), &r);
        uint32_t id = 0;
        if (!e && r.status == 201) {
            json_t *js = json_loadb(r.body, r.body_len, 0, NULL);
            const json_t *v = json_object_get(js, "id");
            id = json_is_integer(v) ? (uint32_t)json_integer_value(v) : 0;
            json_decref(js);
        }
        int status = e ? 0 : r.status;
        http_resp_free(&r);
        if (status != 201 || !id)
            break; /* geod is gone (no answer), or refused: the main thread says which */
        cl->id[i] = id;
        cl->acked = i + 1;
        atomic_fetch_add(cl->acked_total, 1);
    }
    http_client_free(c);
    atomic_fetch_add(cl->finished, 1);
    return NULL;
}

static double metric(const char *body, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, name, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static double checkpoints_counted(struct http_client *c)
{
    struct http_resp m;
    double v = -1;
    if (http_get(c, "/metrics", NULL, &m) == HTTP_OK && m.status == 200)
        v = metric(m.body, "geod_store_checkpoints_total");
    http_resp_free(&m);
    return v;
}

static long long wal_bytes(void)
{
    char p[PATH_MAX + 8];
    snprintf(p, sizeof p, "%s-wal", geod.db);
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

static void test_kill_while_checkpointing(void)
{
    if (!up)
        return;
    static struct client cl[CLIENTS];
    atomic_int total, finished;
    atomic_bool stop;
    atomic_init(&total, 0);
    atomic_init(&finished, 0);
    atomic_init(&stop, false);
    pthread_t tid[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        cl[i] = (struct client){
            .no = i, .acked_total = &total, .stop = &stop, .finished = &finished};
        T_CHECK(pthread_create(&tid[i], NULL, client_main, &cl[i]) == 0);
    }
    /* until the checkpointer has run a few times (or every client has stopped) */
    struct http_client *mc = http_client_new(geod.port, true, REQUEST_MS);
    double ckpts = 0;
    long long wal_max = 0;
    while (ckpts < CHECKPOINTS && atomic_load(&finished) < CLIENTS) {
        nanosleep(&(struct timespec){0, 20000000}, NULL);
        double v = checkpoints_counted(mc);
        ckpts = v > ckpts ? v : ckpts;
        long long w = wal_bytes();
        wal_max = w > wal_max ? w : wal_max;
    }
    http_client_free(mc);
    T_CHECKF(ckpts >= CHECKPOINTS, "only %.0f checkpoints counted", ckpts);
    geodproc_kill(&geod);
    atomic_store(&stop, true);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(tid[i], NULL);
    T_CHECKF(atomic_load(&total) > 0, "no create acknowledged");

    /* the store, read with plain SQLite: whole, and every acknowledged create in it */
    sqlite3 *db;
    sqlite3_stmt *st;
    T_CHECK(sqlite3_open_v2(geod.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    T_CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
    T_CHECK(sqlite3_step(st) == SQLITE_ROW &&
            strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0);
    sqlite3_finalize(st);
    T_CHECK(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK);
    long long page = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 4096;
    sqlite3_finalize(st);
    T_CHECKF(wal_max <= WAL_FRAMES_MAX * (page + 24) + 32, "the WAL grew to %lld bytes", wal_max);
    struct storm_client view[CLIENTS];
    for (int t = 0; t < CLIENTS; t++)
        view[t] = (struct storm_client){cl[t].sent, cl[t].acked, cl[t].id};
    int acked = 0, present = 0;
    char why[512];
    T_CHECKF(storm_check_store(db, "ckpt", view, CLIENTS, WRITES_MAX, &acked, &present, why,
                               sizeof why),
             "%s", why);
    sqlite3_close(db);

    /* restarted, geod serves them */
    T_CHECKF(storm_check_served(geod.db, "ckpt", 5, view, CLIENTS, 7, START_MS, REQUEST_MS, why,
                                sizeof why),
             "%s", why);
    printf("  %.0f checkpoints, WAL at most %lld bytes; %d creates acknowledged before the kill, "
           "%d in the store\n",
           ckpts, wal_max, acked, present);
    up = false;
}

int main(void)
{
    T_RUN(test_start);
    T_RUN(test_kill_while_checkpointing);
    geodproc_cleanup(&geod);
    unlink(seed);
    rmdir(dir);
    return T_END();
}

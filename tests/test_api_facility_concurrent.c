/* test_api_facility_concurrent.c - facility writes from many clients at once, through the real
 * binary ($GEOD_BIN, two event loops): every client PATCHing one record with the same If-Match,
 * round after round; each client's own chains of create, patch, stale patch and delete; then a
 * storm of concurrent creates cut by SIGKILL. The oracles: of the clients racing on a version
 * exactly one gets 200 and every other 412 with the winner's record; afterwards the store read
 * with plain SQLite, its audit log and geod's answers agree (every acknowledged write is there,
 * one audit row each, each record's versions 1..v without a gap, GET answers the store's
 * version, /metrics counts the audit log's growth); after the kill and a restart every create
 * acknowledged before it is in the store and served, and nothing unacknowledged but each
 * client's one request in flight. Client threads only record; the main thread checks. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/storm.h"
#include "tests/t.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000
#define REQUEST_MS 30000
#define JSON_HDR "Content-Type: application/json\r\n"
#define CLIENTS 8
#define ROUNDS 12 /* If-Match races on one record */
#define CHAINS 8  /* create, patch, stale patch (412), every third deleted: per client */
#define STORM_MAX 2000

static char dir[64], seed[128];
static struct geodproc geod;
static bool up;
static char tok[ACCOUNTS_TOKEN];

/* One request's answer, as a client thread records it. */
struct rec {
    int status; /* 0: no answer */
    int64_t version, etag;
    uint32_t id;
    char name[64]; /* the answer's name, or the 412's current record's */
};

static int64_t int_at(const json_t *js, const char *k)
{
    const json_t *v = json_object_get(js, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* One request with the admin's bearer token and optional If-Match; its answer into *out. */
static void call(struct http_client *c, const char *method, const char *target,
                 const char *if_match, const char *body, struct rec *out)
{
    char h[512];
    int n = snprintf(h, sizeof h, "%sAuthorization: Bearer %s\r\n", body ? JSON_HDR : "", tok);
    if (if_match)
        snprintf(h + n, sizeof h - (size_t)n, "If-Match: %s\r\n", if_match);
    memset(out, 0, sizeof *out);
    struct http_resp r;
    if (http_request(c, method, target, h, body, body ? strlen(body) : 0, &r) == HTTP_OK) {
        out->status = r.status;
        const char *e = http_header(&r, "ETag");
        out->etag = e ? strtoll(e + (*e == '"'), NULL, 10) : -1;
        json_t *js = json_loadb(r.body, r.body_len, 0, NULL);
        const json_t *f = r.status == 412 ? json_object_get(js, "current") : js;
        out->id = (uint32_t)int_at(f, "id");
        out->version = int_at(f, "version");
        const json_t *name = json_object_get(f, "name");
        snprintf(out->name, sizeof out->name, "%s",
                 json_is_string(name) ? json_string_value(name) : "");
        json_decref(js);
    }
    http_resp_free(&r);
}

static void test_start(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-conc-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    char err[1024];
    T_CHECKF(accounts_add(seed, "adm", "admin", NULL, err, sizeof err), "%s", err);
    up = geodproc_start(&geod, seed, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    if (up)
        T_CHECKF(accounts_login(geod.port, "adm", true, tok, NULL, err, sizeof err), "%s", err);
}

/* ---- the store, read with plain SQLite ---- */

static sqlite3 *store_open(void)
{
    sqlite3 *db = NULL;
    T_CHECK(sqlite3_open_v2(geod.db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    return db;
}

static int64_t q_int(sqlite3 *db, const char *sql, int64_t arg)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, arg);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* The audit log of facility id: its versions in seq order are 1..n without a gap (n returned,
 * -1 when not), and after[i] (may be NULL) gets the name each version was written with. */
static int audit_versions(sqlite3 *db, uint32_t id, char (*after)[64], int max)
{
    sqlite3_stmt *st;
    int n = 0;
    bool gapless = true;
    if (sqlite3_prepare_v2(db,
                           "SELECT version, json_extract(after, '$.name') FROM facility_audit"
                           " WHERE facility_id = ?1 ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        gapless = gapless && sqlite3_column_int64(st, 0) == n + 1;
        const unsigned char *name = sqlite3_column_text(st, 1);
        if (after && n < max)
            snprintf(after[n], 64, "%s", name ? (const char *)name : "");
        n++;
    }
    sqlite3_finalize(st);
    return gapless ? n : -1;
}

static double metric(const char *body, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, name, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static double commits_counted(void)
{
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    struct http_resp m;
    double v = -1;
    if (http_get(c, "/metrics", NULL, &m) == HTTP_OK && m.status == 200)
        v = metric(m.body, "geod_store_write_duration_seconds_count{stage=\"commit\"}");
    http_resp_free(&m);
    http_client_free(c);
    return v;
}

/* ---- races and chains ---- */

struct shared {
    pthread_barrier_t go;
    uint32_t race_id;
    int64_t race_version; /* the round's If-Match, set by the main thread between barriers */
    struct rec race[ROUNDS][CLIENTS];
    struct rec chain[CLIENTS][CHAINS][4]; /* create, patch, stale patch, delete */
};

struct worker {
    struct shared *sh;
    int no;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    char target[64], body[512], im[32];
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&sh->go); /* the main thread has set race_version */
        snprintf(target, sizeof target, "/v1/facilities/%u", (unsigned)sh->race_id);
        snprintf(im, sizeof im, "\"%lld\"", (long long)sh->race_version);
        snprintf(body, sizeof body, "{\"name\":\"race-%02d-%d\"}", r, w->no);
        call(c, "PATCH", target, im, body, &sh->race[r][w->no]);
        pthread_barrier_wait(&sh->go); /* the round is over */
    }
    for (int i = 0; i < CHAINS; i++) {
        struct rec *k = sh->chain[w->no][i];
        snprintf(body, sizeof body,
                 "{\"category\":\"shelter\",\"name\":\"chain-%d-%d\",\"lon\":%.7f,\"lat\":%.7f,"
                 "\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
                 w->no, i, 114.20 + 0.002 * w->no, 30.50 + 0.002 * i);
        call(c, "POST", "/v1/facilities", NULL, body, &k[0]);
        if (k[0].status != 201)
            continue;
        snprintf(target, sizeof target, "/v1/facilities/%u", (unsigned)k[0].id);
        snprintf(body, sizeof body, "{\"name\":\"chain-%d-%d-b\"}", w->no, i);
        call(c, "PATCH", target, "\"1\"", body, &k[1]);
        snprintf(body, sizeof body, "{\"name\":\"chain-%d-%d-stale\"}", w->no, i);
        call(c, "PATCH", target, "\"1\"", body, &k[2]);
        if (i % 3 == 0)
            call(c, "DELETE", target, "\"2\"", NULL, &k[3]);
    }
    http_client_free(c);
    return NULL;
}

static void test_races_and_chains(void)
{
    if (!up)
        return;
    static struct shared sh;
    memset(&sh, 0, sizeof sh);
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    struct rec x;
    call(c, "POST", "/v1/facilities", NULL,
         "{\"category\":\"hospital\",\"name\":\"race-start\",\"lon\":114.31,\"lat\":30.59,"
         "\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
         &x);
    http_client_free(c);
    T_CHECKF(x.status == 201 && x.id > 0, "create: %d", x.status);
    if (x.status != 201)
        return;
    sqlite3 *db = store_open();
    int64_t audit0 = q_int(db, "SELECT count(*) FROM facility_audit WHERE ?1 = ?1", 0);
    sqlite3_close(db);
    double commits0 = commits_counted();
    sh.race_id = x.id;
    sh.race_version = 1;
    T_CHECK(pthread_barrier_init(&sh.go, NULL, CLIENTS + 1) == 0);
    pthread_t tid[CLIENTS];
    struct worker w[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        w[i] = (struct worker){&sh, i};
        T_CHECK(pthread_create(&tid[i], NULL, worker_main, &w[i]) == 0);
    }
    char winner[ROUNDS][64];
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&sh.go);
        pthread_barrier_wait(&sh.go);
        int won = -1, lost = 0;
        for (int i = 0; i < CLIENTS; i++) {
            const struct rec *a = &sh.race[r][i];
            if (a->status == 200) {
                T_CHECKF(won < 0, "round %d: clients %d and %d both won", r, won, i);
                won = i;
            } else {
                lost += a->status == 412;
                T_CHECKF(a->status == 412, "round %d client %d: %d", r, i, a->status);
            }
        }
        T_CHECKF(won >= 0 && lost == CLIENTS - 1, "round %d: winner %d, %d got 412", r, won, lost);
        if (won < 0)
            break;
        const struct rec *win = &sh.race[r][won];
        T_CHECKF(win->version == sh.race_version + 1 && win->etag == win->version,
                 "round %d: the winner got version %lld (ETag %lld) over %lld", r,
                 (long long)win->version, (long long)win->etag, (long long)sh.race_version);
        snprintf(winner[r], sizeof winner[r], "race-%02d-%d", r, won);
        T_CHECKF(!strcmp(win->name, winner[r]), "round %d: winner answered %s", r, win->name);
        for (int i = 0; i < CLIENTS; i++) {
            const struct rec *a = &sh.race[r][i];
            if (i != won && a->status == 412)
                T_CHECKF(a->etag == win->version && a->version == win->version &&
                             !strcmp(a->name, winner[r]),
                         "round %d client %d: 412 with version %lld (ETag %lld) %s, the winner "
                         "wrote %lld %s",
                         r, i, (long long)a->version, (long long)a->etag, a->name,
                         (long long)win->version, winner[r]);
        }
        sh.race_version = win->version;
    }
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&sh.go);

    /* the answers against each other and against the store */
    int64_t acked = ROUNDS; /* the races' winners */
    db = store_open();
    char after[ROUNDS + 1][64];
    int nv = audit_versions(db, x.id, after, ROUNDS + 1);
    T_CHECKF(nv == ROUNDS + 1, "the raced record's audit versions: %d (-1: a gap)", nv);
    for (int r = 0; r < ROUNDS && nv == ROUNDS + 1; r++)
        T_CHECKF(!strcmp(after[r + 1], winner[r]), "version %d was written by %s, not %s", r + 2,
                 after[r + 1], winner[r]);
    T_CHECK(q_int(db, "SELECT version FROM facility WHERE id = ?1", x.id) == ROUNDS + 1);
    struct http_client *g = http_client_new(geod.port, true, REQUEST_MS);
    for (int t = 0; t < CLIENTS; t++)
        for (int i = 0; i < CHAINS; i++) {
            struct rec *k = sh.chain[t][i];
            T_CHECKF(k[0].status == 201 && k[0].version == 1, "chain %d-%d create: %d", t, i,
                     k[0].status);
            if (k[0].status != 201)
                continue;
            T_CHECKF(k[1].status == 200 && k[1].version == 2, "chain %d-%d patch: %d v%lld", t, i,
                     k[1].status, (long long)k[1].version);
            T_CHECKF(k[2].status == 412 && k[2].version == 2 && k[2].etag == 2,
                     "chain %d-%d stale patch: %d v%lld", t, i, k[2].status,
                     (long long)k[2].version);
            bool deleted = i % 3 == 0;
            if (deleted)
                T_CHECKF(k[3].status == 200 && k[3].etag == 3, "chain %d-%d delete: %d", t, i,
                         k[3].status);
            acked += 2 + deleted;
            int64_t v = deleted ? 3 : 2;
            T_CHECKF(audit_versions(db, k[0].id, NULL, 0) == v, "chain %d-%d (id %u): audit", t, i,
                     (unsigned)k[0].id);
            T_CHECKF(q_int(db, "SELECT version FROM facility WHERE id = ?1", k[0].id) == v &&
                         q_int(db, "SELECT deleted FROM facility WHERE id = ?1", k[0].id) ==
                             deleted,
                     "chain %d-%d (id %u): the store's version or deleted flag", t, i,
                     (unsigned)k[0].id);
            char target[64];
            snprintf(target, sizeof target, "/v1/facilities/%u", (unsigned)k[0].id);
            struct rec now;
            call(g, "GET", target, NULL, NULL, &now);
            if (deleted)
                T_CHECKF(now.status == 404, "GET %s: %d after its delete", target, now.status);
            else
                T_CHECKF(now.status == 200 && now.version == 2, "GET %s: %d v%lld", target,
                         now.status, (long long)now.version);
        }
    http_client_free(g);
    int64_t audit1 = q_int(db, "SELECT count(*) FROM facility_audit WHERE ?1 = ?1", 0);
    sqlite3_close(db);
    T_CHECKF(audit1 - audit0 == acked, "audit rows grew by %lld, %lld writes acknowledged",
             (long long)(audit1 - audit0), (long long)acked);
    double commits1 = commits_counted();
    T_CHECKF(commits1 - commits0 == (double)acked, "/metrics counted %g commits, %lld audit rows",
             commits1 - commits0, (long long)acked);
}

/* ---- a storm of concurrent creates cut by SIGKILL ---- */

struct storm {
    uint16_t port;
    int no;
    atomic_int *acked_total;
    int acked, sent;
    uint32_t id[STORM_MAX];
};

static void *storm_main(void *arg)
{
    struct storm *s = arg;
    struct http_client *c = http_client_new(s->port, true, 5000);
    char body[512];
    for (int i = 0; i < STORM_MAX; i++) {
        snprintf(body, sizeof body,
                 "{\"category\":\"shelter\",\"name\":\"storm-%d-%04d\",\"lon\":%.7f,"
                 "\"lat\":%.7f,\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
                 s->no, i, 114.25 + 0.0007 * (i % 100), 30.55 + 0.0007 * s->no);
        struct rec a;
        s->sent = i + 1;
        call(c, "POST", "/v1/facilities", NULL, body, &a);
        if (a.status != 201)
            break; /* geod is gone (no answer), or refused: the main thread says which */
        s->id[i] = a.id;
        s->acked = i + 1;
        atomic_fetch_add(s->acked_total, 1);
    }
    http_client_free(c);
    return NULL;
}

static void test_kill_during_storm(void)
{
    if (!up)
        return;
    static struct storm s[CLIENTS];
    atomic_int total;
    atomic_init(&total, 0);
    pthread_t tid[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        s[i] = (struct storm){.port = geod.port, .no = i, .acked_total = &total};
        T_CHECK(pthread_create(&tid[i], NULL, storm_main, &s[i]) == 0);
    }
    double t0 = geodproc_now();
    while (atomic_load(&total) < 80 && geodproc_now() - t0 < 120)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    nanosleep(&(struct timespec){0, 5000000}, NULL);
    geodproc_kill(&geod);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(tid[i], NULL);
    T_CHECKF(atomic_load(&total) >= 80, "only %d creates acknowledged", atomic_load(&total));
    /* the store, read with plain SQLite, then geod restarted on it */
    struct storm_client view[CLIENTS];
    for (int t = 0; t < CLIENTS; t++)
        view[t] = (struct storm_client){s[t].sent, s[t].acked, s[t].id};
    sqlite3 *db;
    T_CHECK(sqlite3_open_v2(geod.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    int acked = 0, present = 0;
    char why[512];
    T_CHECKF(storm_check_store(db, "storm", view, CLIENTS, STORM_MAX, &acked, &present, why,
                               sizeof why),
             "%s", why);
    sqlite3_close(db);
    T_CHECKF(storm_check_served(geod.db, "storm", 4, view, CLIENTS, 5, START_MS, REQUEST_MS, why,
                                sizeof why),
             "%s", why);
    printf("  %d creates acknowledged before the kill, %d in the store\n", acked, present);
    up = false;
}

int main(void)
{
    T_RUN(test_start);
    T_RUN(test_races_and_chains);
    T_RUN(test_kill_during_storm);
    geodproc_cleanup(&geod);
    unlink(seed);
    rmdir(dir);
    return T_END();
}

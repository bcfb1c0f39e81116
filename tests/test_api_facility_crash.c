/* test_api_facility_crash.c - a burst of facility writes cut by SIGKILL, through the real binary
 * ($GEOD_BIN): after recovery every write that got 201 is in the store exactly once (with the id
 * its answer gave, and one audit row), nothing else is but possibly the one request in flight at
 * the kill, whole, and a restarted geod serves exactly those and stops cleanly. The oracle is the
 * test's own record of the answers, against the store read with plain SQLite. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000
#define REQUEST_MS 20000
#define JSON_HDR "Content-Type: application/json\r\n"

static char dir[64], seed[128];
static struct geodproc geod;
static bool up;
static char tok_admin[ACCOUNTS_TOKEN];

static int64_t int_at(const json_t *js, const char *k)
{
    const json_t *v = json_object_get(js, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static struct http_client *client(void)
{
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    T_CHECK(c != NULL);
    return c;
}

/* Live facilities, as /healthz counts them. */
static size_t facility_count(struct http_client *c)
{
    struct http_resp r;
    size_t n = 0;
    if (http_get(c, "/healthz", NULL, &r) == HTTP_OK) {
        json_t *js = json_loadb(r.body, r.body_len, 0, NULL);
        n = (size_t)int_at(js, "facilities");
        json_decref(js);
    }
    http_resp_free(&r);
    return n;
}

static void test_start(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-crash-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    char err[1024];
    T_CHECKF(accounts_add(seed, "adm", "admin", NULL, err, sizeof err), "%s", err);
    up = geodproc_start(&geod, seed, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    if (up)
        T_CHECKF(accounts_login(geod.port, "adm", true, tok_admin, NULL, err, sizeof err), "%s",
                 err);
}

/* ---- a burst of writes cut by SIGKILL ---- */

#define BURST_MAX 4000

struct burst {
    uint16_t port;
    atomic_int acked;        /* answers 201 so far */
    int sent;                /* requests sent (the last may have no answer) */
    int status[BURST_MAX];   /* per request: 201, another status, or 0 for no answer */
    uint32_t id[BURST_MAX];
    char why[256]; /* how the last request ended without an answer */
};

static void *burst_main(void *arg)
{
    struct burst *b = arg;
    struct http_client *c = http_client_new(b->port, true, 5000);
    char h[256], body[512];
    snprintf(h, sizeof h, JSON_HDR "Authorization: Bearer %s\r\n", tok_admin);
    for (int i = 0; i < BURST_MAX; i++) {
        snprintf(body, sizeof body,
                 "{\"category\":\"shelter\",\"name\":\"crash-%04d\",\"lon\":%.7f,\"lat\":%.7f,"
                 "\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
                 i, 114.25 + 0.0007 * (i % 100), 30.55 + 0.0007 * (i / 100));
        struct http_resp r;
        b->sent = i + 1;
        enum http_err e = http_request(c, "POST", "/v1/facilities", h, body, strlen(body), &r);
        if (e) {
            snprintf(b->why, sizeof b->why, "%s (%s)", http_strerror(e), http_client_error(c));
            http_resp_free(&r);
            break; /* geod is gone: this one is the write in flight */
        }
        b->status[i] = r.status;
        json_t *js = json_loadb(r.body, r.body_len, 0, NULL);
        b->id[i] = (uint32_t)int_at(js, "id");
        json_decref(js);
        http_resp_free(&r);
        if (b->status[i] != 201)
            break;
        atomic_fetch_add(&b->acked, 1);
    }
    http_client_free(c);
    return NULL;
}

static void test_crash(void)
{
    if (!up)
        return;
    struct http_client *c = client();
    size_t before = facility_count(c);
    http_client_free(c);
    static struct burst b;
    memset(&b, 0, sizeof b);
    b.port = geod.port;
    pthread_t tid;
    T_CHECK(pthread_create(&tid, NULL, burst_main, &b) == 0);
    /* kill part-way: after some writes were acknowledged, at an arbitrary moment */
    double t0 = geodproc_now();
    while (atomic_load(&b.acked) < 40 && geodproc_now() - t0 < 60)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    nanosleep(&(struct timespec){0, 7000000}, NULL);
    geodproc_kill(&geod);
    pthread_join(tid, NULL);
    int acked = atomic_load(&b.acked);
    T_CHECKF(acked >= 40 && b.sent > acked, "acked %d of %d sent; the last: %d %s", acked, b.sent,
             b.sent ? b.status[b.sent - 1] : 0, b.why);
    for (int i = 0; i < acked; i++)
        T_CHECKF(b.status[i] == 201, "request %d: %d before the kill", i, b.status[i]);
    /* The rule: let A be the names whose POST got 201 and F the name of the one request sent
     * without an answer (the write in flight at the kill; there is at most one, the last).
     * After recovery every crash-* name in the store occurs exactly once, every name of A is
     * there (with the id its answer gave), and no name outside A ∪ {F} is. F may be there or
     * not, but whole: then exactly once, live, at the position it was sent with. */
    char in_flight[32] = "";
    if (b.sent > acked && b.status[b.sent - 1] == 0)
        snprintf(in_flight, sizeof in_flight, "crash-%04d", b.sent - 1);
    /* the store as geod left it, WAL included (reading it recovers the WAL, as a restart does) */
    sqlite3 *db;
    sqlite3_stmt *st;
    T_CHECK(sqlite3_open_v2(geod.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    T_CHECK(sqlite3_prepare_v2(db,
                               "SELECT name, count(*), min(id), max(deleted) FROM facility"
                               " WHERE name LIKE 'crash-%' GROUP BY name",
                               -1, &st, NULL) == SQLITE_OK);
    int present = 0, extra = 0;
    static bool seen[BURST_MAX];
    memset(seen, 0, sizeof seen);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int n = sqlite3_column_int(st, 1), i = atoi(name + 6);
        uint32_t id = (uint32_t)sqlite3_column_int64(st, 2);
        T_CHECKF(n == 1 && sqlite3_column_int(st, 3) == 0, "%s: %d rows", name, n);
        bool ok = i >= 0 && i < BURST_MAX &&
                  ((i < acked && id == b.id[i]) || !strcmp(name, in_flight));
        T_CHECKF(ok, "%s is in the store but its POST got no 201 (acked %d, in flight %s)", name,
                 acked, in_flight);
        if (ok && i >= 0 && i < BURST_MAX)
            seen[i] = true;
        present++;
        extra += !ok;
    }
    sqlite3_finalize(st);
    for (int i = 0; i < acked; i++)
        T_CHECKF(seen[i], "crash-%04d got 201 (id %u) but is not in the store", i,
                 (unsigned)b.id[i]);
    /* every audit row of a crash facility is its creation, once */
    int64_t audits = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM facility_audit WHERE facility_id IN"
                           " (SELECT id FROM facility WHERE name LIKE 'crash-%')",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        audits = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    T_CHECKF(audits == present, "audit rows %lld for %d facilities", (long long)audits, present);
    sqlite3_close(db);
    T_CHECK(extra == 0);
    /* restarted, geod serves exactly those */
    char err[1024];
    struct geodproc g2;
    bool up2 = geodproc_start(&g2, geod.db, START_MS, err, sizeof err);
    T_CHECKF(up2, "restart: %s", err);
    if (!up2)
        return;
    T_CHECKF(g2.facilities == before + (size_t)present, "after restart %zu, before %zu + %d",
             g2.facilities, before, present);
    struct http_client *c2 = http_client_new(g2.port, true, REQUEST_MS);
    for (int i = 0; i < acked; i += 7) {
        char t[64], name[32];
        snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)b.id[i]);
        snprintf(name, sizeof name, "crash-%04d", i);
        struct http_resp r;
        enum http_err e = http_get(c2, t, NULL, &r);
        T_CHECKF(!e && r.status == 200 && strstr(r.body, name), "%s after restart: %d", name,
                 e ? -1 : r.status);
        http_resp_free(&r);
    }
    http_client_free(c2);
    int ws;
    T_CHECK(geodproc_stop(&g2, 20000, &ws, NULL) && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    char *log = geodproc_stderr(&g2), why[256];
    bool clean = geodproc_log_ok(log, true, why, sizeof why);
    T_CHECKF(clean, "restarted geod: %s", why);
    if (!clean)
        printf("%s\n", log);
    free(log);
    geodproc_cleanup(&g2);
    up = false;
}


int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    T_RUN(test_start);
    T_RUN(test_crash);
    geodproc_kill(&geod);
    geodproc_cleanup(&geod);
    unlink(seed);
    rmdir(dir);
    return T_END();
}

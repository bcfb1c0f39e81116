/* test_reload.c - a running geod follows its store: facilities written by another process (here
 * the test itself, through data/store.h on its own connection, as an import will) are served
 * without a restart, while clients keep querying without a single failure. How soon is printed
 * (the watcher looks every 250 ms), not asserted: a loaded machine stretches it, and speed is
 * bench/'s business; the deadline only tells "served" from "never served". */
#include "data/store.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

static struct geodproc g;

struct load {
    uint16_t port;
    atomic_bool stop;
    int answers, failures;
};

static void *hammer(void *arg)
{
    struct load *l = arg;
    struct http_client *c = http_client_new(l->port, true, 10000);
    while (!atomic_load(&l->stop)) {
        struct http_resp r = {0};
        if (http_get(c, "/v1/nearby?lon=114.3055&lat=30.5928&k=20", NULL, &r) == HTTP_OK &&
            r.status == 200)
            l->answers++;
        else
            l->failures++;
        http_resp_free(&r);
    }
    http_client_free(c);
    return NULL;
}

/* The generation /healthz reports, or 0. */
static unsigned long long generation(struct http_client *c)
{
    struct http_resp r = {0};
    unsigned long long gen = 0;
    if (http_get(c, "/healthz", NULL, &r) == HTTP_OK && r.status == 200) {
        json_t *doc = json_loadb(r.body, r.body_len, 0, NULL);
        gen = (unsigned long long)json_integer_value(json_object_get(doc, "generation"));
        json_decref(doc);
    }
    http_resp_free(&r);
    return gen;
}

static int status_of(struct http_client *c, const char *target)
{
    struct http_resp r = {0};
    int st = http_get(c, target, NULL, &r) == HTTP_OK ? r.status : -1;
    http_resp_free(&r);
    return st;
}

static void test_follows_the_store(void)
{
    char err[512];
    T_CHECKF(geodproc_start(&g, NULL, 120000, err, sizeof err), "%s", err);
    if (!g.pid)
        return;
    struct http_client *c = http_client_new(g.port, true, 10000);
    unsigned long long before = generation(c);
    T_CHECK(before > 0);
    struct load load = {.port = g.port};
    pthread_t tid;
    pthread_create(&tid, NULL, hammer, &load);

    struct store *s;
    T_CHECKF(store_open(g.db, false, &s, err, sizeof err) == GEOD_OK, "%s", err);
    uint32_t ids[3] = {0};
    for (int round = 0; s && round < 3; round++) {
        T_CHECK(store_begin(s) == GEOD_OK);
        struct store_facility f = {.category = "shelter",
                                   .name = "测试避难场所",
                                   .lon = 114.3055 + 0.0001 * round,
                                   .lat = 30.5928,
                                   .source = "test"};
        T_CHECK(store_insert_facility(s, &f, "test_reload", &ids[round]) == GEOD_OK);
        T_CHECK(store_commit(s) == GEOD_OK);
        double t0 = geodproc_now(), seen = -1;
        char target[64];
        snprintf(target, sizeof target, "/v1/facilities/%u", ids[round]);
        while (geodproc_now() - t0 < 20) {
            if (status_of(c, target) == 200) {
                seen = geodproc_now() - t0;
                break;
            }
            usleep(20000);
        }
        T_CHECKF(seen >= 0, "round %d: facility %u not served 20 s after its commit", round,
                 ids[round]);
        printf("  write %d served after %.3f s\n", round, seen);
    }
    store_close(s);
    T_CHECK(generation(c) > before);
    atomic_store(&load.stop, true);
    pthread_join(tid, NULL);
    T_CHECKF(load.failures == 0, "%d of %d queries failed during reloads", load.failures,
             load.answers + load.failures);
    printf("  %d queries during the reloads, %d failed\n", load.answers, load.failures);
    http_client_free(c);
}

static void test_stops_cleanly(void)
{
    int status = -1;
    T_CHECK(g.pid && geodproc_stop(&g, 10000, &status, NULL));
    T_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
    char *log = geodproc_stderr(&g);
    char why[256] = "";
    T_CHECKF(log && geodproc_log_ok(log, true, why, sizeof why), "%s", why);
    T_CHECK(log && strstr(log, "the store changed"));
    free(log);
    geodproc_cleanup(&g);
}

int main(void)
{
    T_RUN(test_follows_the_store);
    T_RUN(test_stops_cleanly);
    return T_END();
}

/* test_server.c - api/server.c in-process: snapshots published while clients query. Every answer
 * must come from one whole snapshot (no mixing), each connection must see generations in order,
 * the last publish must be visible to the next request, and under ASan nothing may be read after
 * it was freed or left unfreed at the end. */
#include "api/server.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define PUBLISHES 300

/* Generation g holds 5 + g % 11 shelters, all named "g<g>", near one point. */
static struct snapshot *make_snapshot(uint64_t g)
{
    struct snapshot_builder *b;
    struct snapshot *s = NULL;
    if (snapshot_builder_new(&b))
        return NULL;
    snapshot_builder_category(b, "shelter", "应急避难场所");
    char name[32];
    snprintf(name, sizeof name, "g%llu", (unsigned long long)g);
    for (uint32_t i = 0; i < 5 + g % 11; i++) {
        struct facility_in f = {.id = i + 1,
                                .version = 1,
                                .category = "shelter",
                                .lon = 114.30 + 0.001 * i,
                                .lat = 30.59,
                                .name = name,
                                .source = "test"};
        snapshot_builder_add(b, &f);
    }
    snapshot_builder_finish(b, g, &s);
    return s;
}

struct reader {
    uint16_t port;
    atomic_bool *stop;
    int answers, mixed, backwards, failures;
    uint64_t last;
};

/* One answer's generation, checking that all its results agree with it. */
static void check_nearby(struct reader *rd, const struct http_resp *r)
{
    json_t *doc = json_loadb(r->body, r->body_len, 0, NULL);
    json_t *results = json_object_get(doc, "results");
    size_t n = json_array_size(results);
    uint64_t gen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_object_get(json_array_get(results, i), "name"));
        uint64_t g = name && name[0] == 'g' ? strtoull(name + 1, NULL, 10) : 0;
        if (i == 0)
            gen = g;
        else if (g != gen)
            rd->mixed++;
    }
    if (!gen || n != 5 + gen % 11)
        rd->mixed++; /* the count must be that generation's */
    if (gen < rd->last)
        rd->backwards++;
    rd->last = gen;
    rd->answers++;
    json_decref(doc);
}

static void *read_loop(void *arg)
{
    struct reader *rd = arg;
    struct http_client *c = http_client_new(rd->port, true, 5000);
    while (!atomic_load(rd->stop)) {
        struct http_resp r = {0};
        if (http_get(c, "/v1/nearby?lon=114.3&lat=30.59&k=100", NULL, &r) || r.status != 200)
            rd->failures++;
        else
            check_nearby(rd, &r);
        http_resp_free(&r);
    }
    http_client_free(c);
    return NULL;
}

static void test_publish_under_load(void)
{
    struct api_config cfg = {.host = "127.0.0.1", .port = 0, .threads = 2};
    struct api_server *srv = NULL;
    char err[256];
    T_CHECKF(api_server_start(&cfg, make_snapshot(1), &srv, err, sizeof err) == GEOD_OK, "%s", err);
    if (!srv)
        return;
    atomic_bool stop = false;
    struct reader rd[3] = {{0}};
    pthread_t tid[3];
    for (int i = 0; i < 3; i++) {
        rd[i] = (struct reader){.port = api_server_port(srv), .stop = &stop};
        pthread_create(&tid[i], NULL, read_loop, &rd[i]);
    }
    for (uint64_t g = 2; g <= PUBLISHES; g++) {
        api_server_publish(srv, make_snapshot(g));
        nanosleep(&(struct timespec){0, 300 * 1000}, NULL);
    }
    /* the next request after a publish sees it, on any connection */
    struct http_client *c = http_client_new(api_server_port(srv), false, 5000);
    for (int i = 0; i < 8; i++) {
        struct http_resp r = {0};
        struct reader last = {.last = 0};
        T_CHECK(http_get(c, "/v1/nearby?lon=114.3&lat=30.59&k=100", NULL, &r) == HTTP_OK);
        check_nearby(&last, &r);
        T_CHECKF(last.last == PUBLISHES && !last.mixed, "saw generation %llu",
                 (unsigned long long)last.last);
        http_resp_free(&r);
    }
    http_client_free(c);
    atomic_store(&stop, true);
    int answers = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(tid[i], NULL);
        answers += rd[i].answers;
        T_CHECKF(rd[i].mixed == 0, "reader %d: %d answers mixed snapshots", i, rd[i].mixed);
        T_CHECKF(rd[i].backwards == 0, "reader %d: generation went back %d times", i,
                 rd[i].backwards);
        T_CHECKF(rd[i].failures == 0, "reader %d: %d failed requests", i, rd[i].failures);
    }
    T_CHECKF(answers > PUBLISHES, "only %d answers during %d publishes", answers, PUBLISHES);
    printf("  %d answers during %d publishes\n", answers, PUBLISHES);
    api_server_stop(srv);
}

/* A port in use is refused at start, with a message; the snapshot stays the caller's. */
static void test_port_in_use(void)
{
    struct api_config cfg = {.host = "127.0.0.1", .port = 0, .threads = 1};
    struct api_server *a = NULL, *b = NULL;
    char err[256] = "";
    struct snapshot *s1 = make_snapshot(1), *s2 = make_snapshot(2);
    T_CHECK(api_server_start(&cfg, s1, &a, err, sizeof err) == GEOD_OK);
    if (!a)
        return;
    cfg.port = api_server_port(a);
    T_CHECK(api_server_start(&cfg, s2, &b, err, sizeof err) != GEOD_OK && b == NULL);
    T_CHECKF(strstr(err, "listen") != NULL, "message: %s", err);
    snapshot_free(s2);
    api_server_stop(a);
}

int main(void)
{
    T_RUN(test_publish_under_load);
    T_RUN(test_port_in_use);
    return T_END();
}

/* test_api_observe.c - GET /metrics and the access log, through a real geod. The oracles: the
 * test's own tally of the requests it made (by route and status class), /v1/categories and
 * /healthz for the gauges, the Prometheus rules for histograms (cumulative buckets, +Inf equal to
 * the count), and for the log: one valid JSON line per request, no coordinate finer than 2
 * decimals, and none of the precise positions the test sent anywhere in the file's bytes. A
 * one-second "day" (GEOD_LOG_DAY_SECONDS) shows rotation and retention. */
#include "api/access_log.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_MS 120000

static struct scratch sc;
static char log_path[512], seed[600];

/* The value of the sample `name` (full, with labels) in a Prometheus text body, or -1. */
static double sample(const char *body, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return atof(p + n + 1);
    return -1;
}

static int get(struct http_client *c, const char *target, char **body)
{
    struct http_resp r = {0};
    int status = http_get(c, target, NULL, &r) == HTTP_OK ? r.status : -1;
    if (body)
        *body = r.body ? strndup(r.body, r.body_len) : NULL;
    http_resp_free(&r);
    return status;
}

static void test_metrics_and_log(void)
{
    struct geodproc g;
    char why[512];
    const char *extra[] = {"--access-log", log_path, NULL};
    bool started = geodproc_start_args(&g, NULL, extra, START_MS, why, sizeof why);
    T_CHECKF(started, "%s", why);
    if (!started)
        return;
    struct http_client *c = http_client_new(g.port, true, 10000);
    char sent[40][2][32];
    int nearby_ok = 0, nearby_bad = 0, missing = 0, reverse = 0;
    for (int i = 0; i < 37; i++) { /* precise positions: 6 decimals */
        snprintf(sent[i][0], sizeof sent[i][0], "114.%06d", 210000 + i * 2357);
        snprintf(sent[i][1], sizeof sent[i][1], "30.%06d", 540000 + i * 1931);
        char target[128];
        snprintf(target, sizeof target, "/v1/nearby?lon=%s&lat=%s&k=3", sent[i][0], sent[i][1]);
        nearby_ok += get(c, target, NULL) == 200;
    }
    for (int i = 0; i < 5; i++)
        nearby_bad += get(c, "/v1/nearby?lon=114.3&lat=95", NULL) == 400;
    for (int i = 0; i < 3; i++)
        missing += get(c, "/v1/nowhere", NULL) == 404;
    for (int i = 0; i < 4; i++)
        reverse += get(c, "/v1/places/reverse?lon=114.283712&lat=30.581234", NULL) == 200;
    T_CHECK(nearby_ok == 37 && nearby_bad == 5 && missing == 3 && reverse == 4);
    char *cats = NULL, *health = NULL, *body = NULL;
    T_CHECK(get(c, "/v1/categories", &cats) == 200 && get(c, "/healthz", &health) == 200);
    T_CHECK(get(c, "/metrics", &body) == 200 && body);
    if (body) {
        T_CHECK(sample(body, "geod_requests_total{route=\"/v1/nearby\",status=\"2xx\"}") == 37);
        T_CHECK(sample(body, "geod_requests_total{route=\"/v1/nearby\",status=\"4xx\"}") == 5);
        T_CHECK(sample(body, "geod_requests_total{route=\"other\",status=\"4xx\"}") == 3);
        T_CHECK(sample(body, "geod_requests_total{route=\"/v1/places/reverse\",status=\"2xx\"}") ==
                4);
        T_CHECK(sample(body, "geod_requests_total{route=\"/v1/shake\",status=\"2xx\"}") == 0);
        /* the histogram: cumulative, +Inf = count = requests */
        const char *les[] = {"2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025",
                             "0.005",   "0.01",  "0.025",  "0.1",     "0.25",   "1",     "+Inf"};
        double prev = 0;
        bool monotone = true;
        for (size_t i = 0; i < sizeof les / sizeof les[0]; i++) {
            char name[160];
            snprintf(name, sizeof name,
                     "geod_request_duration_seconds_bucket{route=\"/v1/nearby\",le=\"%s\"}",
                     les[i]);
            double v = sample(body, name);
            monotone = monotone && v >= prev;
            prev = v;
        }
        T_CHECK(monotone && prev == 42);
        T_CHECK(sample(body, "geod_request_duration_seconds_count{route=\"/v1/nearby\"}") == 42);
        T_CHECK(sample(body, "geod_request_duration_seconds_sum{route=\"/v1/nearby\"}") > 0);
        /* gauges: the categories' counts and the generation the API gives */
        json_t *cj = json_loads(cats ? cats : "", 0, NULL), *cat;
        size_t i;
        int good = 0, n = 0;
        json_array_foreach(json_object_get(cj, "categories"), i, cat)
        {
            char name[128];
            snprintf(name, sizeof name, "geod_facilities{category=\"%s\"}",
                     json_string_value(json_object_get(cat, "id")));
            good += sample(body, name) == (double)json_integer_value(json_object_get(cat, "count"));
            n++;
        }
        json_decref(cj);
        T_CHECKF(n >= 9 && good == n, "%d of %d categories", good, n);
        json_t *hj = json_loads(health ? health : "", 0, NULL);
        T_CHECK(sample(body, "geod_snapshot_generation") ==
                (double)json_integer_value(json_object_get(hj, "generation")));
        json_decref(hj);
        double age = sample(body, "geod_snapshot_age_seconds");
        T_CHECKF(age >= 0 && age < 600, "age %g", age);
        T_CHECK(sample(body, "geod_index_bytes") > 1e5 && sample(body, "geod_divisions") == 3702);
    }
    free(body);
    free(cats);
    free(health);
    http_client_free(c);
    int status = -1;
    T_CHECK(geodproc_stop(&g, 10000, &status, NULL) && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0);
    char copy[512];
    scratch_path(&sc, copy, sizeof copy, "seed.sqlite");
    size_t len;
    char *bytes = scratch_slurp(g.db, &len);
    T_CHECK(bytes && scratch_spit(copy, bytes, len));
    free(bytes);
    snprintf(seed, sizeof seed, "%s", copy);
    geodproc_cleanup(&g);

    /* the log: a line per request (37 + 5 + 3 + 4 + categories + healthz + metrics) */
    char *log = scratch_slurp(log_path, &len);
    T_CHECK(log);
    int lines = 0, valid = 0, coarse = 0, with_pos = 0;
    for (char *line = log; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lines++;
        json_t *j = json_loads(line, 0, NULL);
        valid += j && json_is_object(json_object_get(j, "params")) &&
                 strcmp(json_string_value(json_object_get(j, "client")), "127.0.0.0/24") == 0;
        const char *lon = json_string_value(json_object_get(json_object_get(j, "params"), "lon"));
        const char *lat = json_string_value(json_object_get(json_object_get(j, "params"), "lat"));
        if (lon && lat) {
            with_pos++;
            const char *dl = strchr(lon, '.'), *da = strchr(lat, '.');
            coarse += dl && da && strlen(dl + 1) == 2 && strlen(da + 1) == 2;
        }
        json_decref(j);
        line = nl ? nl + 1 : NULL;
    }
    T_CHECKF(lines == 52 && valid == 52, "%d lines, %d valid", lines, valid);
    T_CHECKF(with_pos == 46 && coarse == 46, "%d with a position, %d coarse", with_pos, coarse);
    /* no precise position anywhere in the file, in any form */
    int leaks = 0;
    for (int i = 0; log && i < 37; i++)
        leaks += strstr(log, sent[i][0]) != NULL || strstr(log, sent[i][1]) != NULL;
    T_CHECK(log && !strstr(log, "114.283712") && !strstr(log, "30.581234"));
    T_CHECKF(leaks == 0, "%d precise positions in the log", leaks);
    free(log);
}

/* access_log_format on hostile parameters: valid JSON, coordinates coarse whatever their form. */
static void test_format(void)
{
    struct query q = {.n = 4};
    q.p[0] = (struct query_param){"lon", 3, "1.23456e2", 9};
    q.p[1] = (struct query_param){"bbox", 4, "114.123456,30.5,x,1e400", 23};
    q.p[2] = (struct query_param){"q\"\\", 3, "a\"b\\c\n\x01", 7};
    q.p[3] = (struct query_param){"cursor", 6, "secret-position", 15};
    struct access_entry e = {.method = "GET", .method_len = 3, .route = "/v1/nearby",
                             .path = "/v1/\"x", .path_len = 6, .q = &q, .status = 200,
                             .bytes = 10, .ns = 12345};
    char line[2048], wrapped[2100];
    size_t n = access_log_format(&e, line, sizeof line);
    snprintf(wrapped, sizeof wrapped, "{%s}", line);
    json_t *j = json_loads(wrapped, 0, NULL);
    T_CHECKF(n > 0 && j, "%s", line);
    json_t *p = json_object_get(j, "params");
    T_CHECK(strcmp(json_string_value(json_object_get(p, "lon")) ?: "", "123.46") == 0);
    T_CHECK(strcmp(json_string_value(json_object_get(p, "bbox")) ?: "", "114.12,30.50,?,?") == 0);
    T_CHECK(strcmp(json_string_value(json_object_get(p, "q\"\\")) ?: "", "a\"b\\c\n\x01") == 0);
    T_CHECK(strcmp(json_string_value(json_object_get(p, "cursor")) ?: "", "-") == 0);
    T_CHECK(!strstr(line, "secret") && !strstr(line, "123.456"));
    json_decref(j);
    /* too small a buffer: 0, never a cut line */
    T_CHECK(access_log_format(&e, line, 20) == 0);
}

/* One-second days: the log is rotated every second and only 2 dated files are kept. */
static void test_rotation(void)
{
    char path[512];
    scratch_path(&sc, path, sizeof path, "rot.log");
    setenv("GEOD_LOG_DAY_SECONDS", "1", 1);
    struct geodproc g;
    char why[512];
    const char *extra[] = {"--access-log", path, "--access-log-days", "2", NULL};
    bool started = geodproc_start_args(&g, seed, extra, START_MS, why, sizeof why);
    unsetenv("GEOD_LOG_DAY_SECONDS");
    T_CHECKF(started, "%s", why);
    if (!started)
        return;
    struct http_client *c = http_client_new(g.port, true, 10000);
    double t0 = geodproc_now();
    int sent = 0;
    while (geodproc_now() - t0 < 5.5) {
        sent += get(c, "/healthz", NULL) == 200;
        usleep(100000);
    }
    http_client_free(c);
    int status;
    T_CHECK(geodproc_stop(&g, 10000, &status, NULL));
    geodproc_cleanup(&g);
    /* PATH and at most 2 dated files remain; the dated ones are PATH.<day> */
    DIR *d = opendir(sc.dir);
    struct dirent *e;
    int dated = 0, current = 0;
    while (d && (e = readdir(d))) {
        current += strcmp(e->d_name, "rot.log") == 0;
        if (strncmp(e->d_name, "rot.log.", 8) == 0 && strspn(e->d_name + 8, "0123456789") > 0)
            dated++;
    }
    if (d)
        closedir(d);
    T_CHECKF(current == 1 && dated >= 1 && dated <= 2, "%d dated files (sent %d)", dated, sent);
}

int main(void)
{
    if (!scratch_new(&sc, "geod-observe"))
        return 1;
    scratch_path(&sc, log_path, sizeof log_path, "access.log");
    T_RUN(test_format);
    T_RUN(test_metrics_and_log);
    T_RUN(test_rotation);
    scratch_free(&sc);
    return T_END();
}

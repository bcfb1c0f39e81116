/* test_api_facility_delta.c - facility writes published as deltas, through the real binary
 * ($GEOD_BIN) started with a tiny --delta-max so that the compactor runs again and again during
 * the test: a burst of creates (some on one spot, so distances tie), moves, renames,
 * recategorisations, deletes and reverts, each followed at once, on fresh connections (either
 * server thread), by the queries that must show it (by id, /v1/nearby, /v1/bbox); then, with a
 * delta still unfolded, a second geod loading the same store from scratch (a full rebuild) must
 * give byte for byte the same answers to nearby, within pages, bbox clusters and points, shake,
 * categories and every facility touched. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/gen.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000
#define REQUEST_MS 20000
#define DELTA_MAX 6
#define WRITES 80
#define MAX_TOUCHED (WRITES + 1)

static struct geodproc g1, g2;
static bool up;
static char tok[ACCOUNTS_TOKEN], dir[64], seed[128];

struct fac {
    uint32_t id;
    int64_t version;
    bool live;
    double lon, lat;
    char name[64];
    const char *cat;
};
static struct fac touched[MAX_TOUCHED];
static size_t ntouched;

static const char *const cats[] = {"relief_station", "shelter", "community_center",
                                   "elderly_daycare"};

/* One request on a fresh connection; the answer's status, its body into *body (malloc'ed). */
static int ask(uint16_t port, const char *method, const char *target, const char *headers,
               const char *body, char **out)
{
    struct http_client *c = http_client_new(port, false, REQUEST_MS);
    struct http_resp r;
    enum http_err e =
        c ? http_request(c, method, target, headers, body, body ? strlen(body) : 0, &r) : HTTP_ESYS;
    T_CHECKF(!e, "%s %s: %s", method, target, http_strerror(e));
    int status = e ? -1 : r.status;
    if (out)
        *out = e ? strdup("") : strdup(r.body);
    if (!e)
        http_resp_free(&r);
    http_client_free(c);
    return status;
}

static int write_req(const char *method, const char *target, int64_t if_match, const char *body,
                     json_t **js)
{
    char h[512], *out = NULL;
    int n = snprintf(h, sizeof h, "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n",
                     tok);
    if (if_match)
        snprintf(h + n, sizeof h - (size_t)n, "If-Match: %lld\r\n", (long long)if_match);
    int st = ask(g1.port, method, target, h, body, &out);
    *js = json_loads(out, 0, NULL);
    free(out);
    return st;
}

static int64_t int_at(const json_t *js, const char *k)
{
    const json_t *v = json_object_get(js, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* The facility as the very next queries must see it. */
static void check_visible(const struct fac *f, int w)
{
    char t[256], *body = NULL, want[32];
    snprintf(want, sizeof want, "\"id\":%u,", (unsigned)f->id);
    snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)f->id);
    int st = ask(g1.port, "GET", t, NULL, NULL, &body);
    if (f->live) {
        json_t *js = json_loads(body, 0, NULL);
        const char *name = json_string_value(json_object_get(js, "name"));
        T_CHECKF(st == 200 && int_at(js, "version") == f->version && name && !strcmp(name, f->name),
                 "write %d: GET %s: %d %.200s", w, t, st, body);
        json_decref(js);
    } else {
        T_CHECKF(st == 404, "write %d: GET %s of a deleted facility: %d", w, t, st);
    }
    free(body);
    snprintf(t, sizeof t, "/v1/nearby?lon=%.7f&lat=%.7f&k=100&radius=30&category=%s", f->lon,
             f->lat, f->cat);
    st = ask(g1.port, "GET", t, NULL, NULL, &body);
    T_CHECKF(st == 200 && (strstr(body, want) != NULL) == f->live, "write %d: %s: %d, %s %u", w, t,
             st, f->live ? "missing" : "still has", (unsigned)f->id);
    free(body);
    snprintf(t, sizeof t, "/v1/bbox?bbox=%.7f,%.7f,%.7f,%.7f&zoom=20", f->lon - 1e-4, f->lat - 1e-4,
             f->lon + 1e-4, f->lat + 1e-4);
    st = ask(g1.port, "GET", t, NULL, NULL, &body);
    T_CHECKF(st == 200 && (strstr(body, want) != NULL) == f->live, "write %d: %s: %d, %s %u", w, t,
             st, f->live ? "missing" : "still has", (unsigned)f->id);
    free(body);
}

/* --delta-max takes 1 to 1000000; anything else is a one-line error and exit 2. */
static void test_option(void)
{
    static const char *const bad[] = {"0", "-3", "x", "1000001", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {"serve",       "--db", "/nonexistent/x.sqlite",
                              "--delta-max", bad[i], NULL};
        int ws;
        char *err = NULL;
        bool ran = geodproc_run(args, 20000, &ws, NULL, &err, NULL);
        T_CHECKF(ran && WIFEXITED(ws) && WEXITSTATUS(ws) == 2 && err && strstr(err, "--delta-max"),
                 "--delta-max %s: %s", bad[i], err ? err : "(did not run)");
        free(err);
    }
}

static void test_start(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-delta-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    char err[1024];
    T_CHECKF(accounts_add(seed, "adm", "admin", NULL, err, sizeof err), "%s", err);
    static const char *const extra[] = {"--delta-max", "6", NULL};
    up = geodproc_start_args(&g1, seed, extra, START_MS, err, sizeof err);
    T_CHECKF(up, "geod did not start: %s", err);
    if (up)
        T_CHECKF(accounts_login(g1.port, "adm", true, tok, NULL, err, sizeof err), "%s", err);
}

static void test_burst(void)
{
    if (!up)
        return;
    struct gen_rng g = {77};
    for (int w = 0; w < WRITES; w++) {
        double u = gen_unit(&g);
        char body[512], t[64];
        json_t *js = NULL;
        struct fac *f;
        if (u < 0.35 || ntouched < 3) { /* create, now and then on the spot of another */
            f = &touched[ntouched];
            memset(f, 0, sizeof *f);
            if (ntouched && gen_below(&g, 4) == 0) {
                f->lon = touched[gen_below(&g, ntouched)].lon;
                f->lat = touched[gen_below(&g, ntouched)].lat;
            } else {
                f->lon = 114.26 + 0.08 * gen_unit(&g);
                f->lat = 30.56 + 0.06 * gen_unit(&g);
            }
            f->cat = cats[gen_below(&g, 4)];
            snprintf(f->name, sizeof f->name, "增量测试点%d", w);
            snprintf(body, sizeof body,
                     "{\"category\":\"%s\",\"name\":\"%s\",\"lon\":%.7f,\"lat\":%.7f,"
                     "\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
                     f->cat, f->name, f->lon, f->lat);
            int st = write_req("POST", "/v1/facilities", 0, body, &js);
            T_CHECKF(st == 201, "write %d: POST: %d", w, st);
            f->id = (uint32_t)int_at(js, "id");
            f->version = int_at(js, "version");
            f->live = st == 201;
            ntouched++;
        } else {
            f = &touched[gen_below(&g, ntouched)];
            snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)f->id);
            int st;
            if (!f->live || u > 0.9) { /* revert to version 1 (back from the dead too) */
                if (f->version < 2)
                    continue;
                snprintf(t, sizeof t, "/v1/facilities/%u/revert", (unsigned)f->id);
                st = write_req("POST", t, f->version, "{\"version\":1}", &js);
                T_CHECKF(st == 200, "write %d: revert %u: %d", w, (unsigned)f->id, st);
                const json_t *v = json_object_get(js, "name");
                snprintf(f->name, sizeof f->name, "%s",
                         json_is_string(v) ? json_string_value(v) : "");
                f->lon = json_number_value(json_object_get(js, "lon"));
                f->lat = json_number_value(json_object_get(js, "lat"));
                const char *c = json_string_value(json_object_get(js, "category"));
                for (size_t i = 0; c && i < 4; i++)
                    if (!strcmp(c, cats[i]))
                        f->cat = cats[i];
                f->live = st == 200;
            } else if (u < 0.55) { /* move: a step, or onto another facility */
                if (gen_below(&g, 2)) {
                    f->lon += 2e-5;
                } else {
                    const struct fac *o = &touched[gen_below(&g, ntouched)];
                    f->lon = o->lon;
                    f->lat = o->lat;
                }
                snprintf(body, sizeof body, "{\"lon\":%.7f,\"lat\":%.7f,\"crs\":\"wgs84\"}", f->lon,
                         f->lat);
                st = write_req("PATCH", t, f->version, body, &js);
                T_CHECKF(st == 200, "write %d: move %u: %d", w, (unsigned)f->id, st);
            } else if (u < 0.7) { /* rename and recategorise */
                f->cat = cats[gen_below(&g, 4)];
                snprintf(f->name, sizeof f->name, "改名测试点%d", w);
                snprintf(body, sizeof body, "{\"name\":\"%s\",\"category\":\"%s\"}", f->name,
                         f->cat);
                st = write_req("PATCH", t, f->version, body, &js);
                T_CHECKF(st == 200, "write %d: rename %u: %d", w, (unsigned)f->id, st);
            } else { /* delete */
                st = write_req("DELETE", t, f->version, NULL, &js);
                T_CHECKF(st == 200, "write %d: delete %u: %d", w, (unsigned)f->id, st);
                f->live = false;
            }
            f->version = int_at(js, "version");
        }
        json_decref(js);
        check_visible(f, w);
        if (t_cur_fails > 10)
            return;
    }
}

/* A metric's value from /metrics, or -1. */
static double metric(const char *name)
{
    char *body = NULL, key[96];
    double v = -1;
    if (ask(g1.port, "GET", "/metrics", NULL, NULL, &body) == 200) {
        snprintf(key, sizeof key, "\n%s ", name);
        const char *p = strstr(body, key);
        if (p)
            v = strtod(p + strlen(key), NULL);
    }
    free(body);
    return v;
}

/* The same question to both servers must get the same bytes. */
static size_t compared, differ;

static void same(const char *target)
{
    char *a = NULL, *b = NULL;
    int sa = ask(g1.port, "GET", target, NULL, NULL, &a);
    int sb = ask(g2.port, "GET", target, NULL, NULL, &b);
    compared++;
    if (sa != sb || strcmp(a, b)) {
        differ++;
        T_CHECKF(false, "%s: %d vs a rebuilt server's %d:\n  %.300s\n  %.300s", target, sa, sb, a,
                 b);
    }
    free(a);
    free(b);
}

static void test_against_rebuild(void)
{
    if (!up)
        return;
    /* the compactor ran during the burst; let it finish, then leave a delta unfolded */
    for (int i = 0; i < 100 && metric("geod_snapshot_delta_facilities") > DELTA_MAX; i++)
        usleep(100 * 1000);
    double compactions = metric("geod_snapshot_compactions_total");
    T_CHECKF(compactions >= 3, "only %.0f compactions during %d writes", compactions, WRITES);
    /* a few more changes, short of the limit: moves, and reverts of the deleted */
    for (size_t i = 0; i < ntouched && metric("geod_snapshot_delta_facilities") < 4; i++) {
        struct fac *f = &touched[i];
        char body[160], t[64];
        json_t *js = NULL;
        snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)f->id);
        f->lon += 3e-5;
        snprintf(body, sizeof body, "{\"lon\":%.7f,\"lat\":%.7f,\"crs\":\"wgs84\"}", f->lon,
                 f->lat);
        if (!f->live) {
            snprintf(t, sizeof t, "/v1/facilities/%u/revert", (unsigned)f->id);
            snprintf(body, sizeof body, "{\"version\":1}");
        }
        T_CHECK(write_req(f->live ? "PATCH" : "POST", t, f->version, body, &js) == 200);
        f->version = int_at(js, "version");
        f->lon = json_number_value(json_object_get(js, "lon"));
        f->lat = json_number_value(json_object_get(js, "lat"));
        f->live = true;
        json_decref(js);
    }
    double delta = metric("geod_snapshot_delta_facilities");
    T_CHECKF(delta >= 4 && delta <= DELTA_MAX, "delta of %.0f facilities", delta);
    char err[1024];
    const char *const extra[] = {"--db", g1.db, NULL};
    bool up2 = geodproc_start_args(&g2, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(up2, "the second geod did not start: %s", err);
    if (!up2)
        return;
    char *hz = NULL;
    ask(g1.port, "GET", "/healthz", NULL, NULL, &hz);
    json_t *js = json_loads(hz, 0, NULL);
    T_CHECKF(int_at(js, "facilities") == (int64_t)g2.facilities,
             "%lld facilities served, %zu in the store", (long long)int_at(js, "facilities"),
             g2.facilities);
    json_decref(js);
    free(hz);
    same("/v1/categories");
    char t[256];
    for (size_t i = 0; i < ntouched; i++) {
        const struct fac *x = &touched[i];
        snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)x->id);
        same(t);
        snprintf(t, sizeof t, "/v1/nearby?lon=%.7f&lat=%.7f&k=50", x->lon + 1e-4, x->lat);
        same(t);
        snprintf(t, sizeof t, "/v1/nearby?lon=%.7f&lat=%.7f&k=7&category=%s", x->lon, x->lat,
                 x->cat);
        same(t);
        snprintf(t, sizeof t, "/v1/shake?lon=%.7f&lat=%.7f", x->lon, x->lat);
        same(t);
        snprintf(t, sizeof t, "/v1/within?lon=%.7f&lat=%.7f&radius=800&limit=20", x->lon, x->lat);
        same(t);
        snprintf(t, sizeof t, "/v1/bbox?bbox=%.5f,%.5f,%.5f,%.5f&zoom=%zu", x->lon - 0.02,
                 x->lat - 0.02, x->lon + 0.02, x->lat + 0.02, 12 + i % 5);
        same(t);
        snprintf(t, sizeof t, "/v1/bbox?bbox=%.5f,%.5f,%.5f,%.5f&zoom=18", x->lon - 0.002,
                 x->lat - 0.002, x->lon + 0.002, x->lat + 0.002);
        same(t);
    }
    for (int z = 8; z <= 11; z++) {
        snprintf(t, sizeof t, "/v1/bbox?bbox=114.0,30.3,114.6,30.8&zoom=%d", z);
        same(t);
        snprintf(t, sizeof t, "/v1/bbox?bbox=114.0,30.3,114.6,30.8&zoom=%d&category=shelter", z);
        same(t);
    }
    printf("  %zu writes, %.0f compactions, %.0f facilities in the delta at the end; %zu answers "
           "compared with a rebuilt server, %zu differ\n",
           (size_t)WRITES, metric("geod_snapshot_compactions_total"), delta, compared, differ);
    int ws;
    T_CHECK(geodproc_stop(&g2, 20000, &ws, NULL));
}

static void test_stop(void)
{
    if (!up)
        return;
    int ws;
    T_CHECK(geodproc_stop(&g1, 20000, &ws, NULL));
    char *log = geodproc_stderr(&g1), why[512];
    T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "%s", why);
    free(log);
    geodproc_cleanup(&g1);
    geodproc_cleanup(&g2);
    char path[160];
    snprintf(path, sizeof path, "rm -rf %s", dir);
    T_CHECK(system(path) == 0);
}

int main(void)
{
    T_RUN(test_option);
    T_RUN(test_start);
    T_RUN(test_burst);
    T_RUN(test_against_rebuild);
    T_RUN(test_stop);
    return T_END();
}

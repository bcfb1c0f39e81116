/* test_api_robust.c - the HTTP layer and the process of a real geod (the sanitized build,
 * $GEOD_BIN): hostile input (bad parameters answer their documented 4xx, odd but valid spellings
 * the plain answer), malformed requests at the socket level, HEAD, clients in parallel getting
 * byte for byte the serial answers, the command line and its exit codes, and shutdown: the geod
 * that took all this stops cleanly, and a second one stops cleanly under load with connections
 * open. The answers themselves are tests/test_api.c's. Each test prints a one-line summary.
 * GEOD_TEST_SEED=N replays another random sequence. */
#include "tests/lib/apicheck.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/oracle.h"
#include "tests/t.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 60000   /* a start that creates the store */
#define REQUEST_MS 10000 /* a request that takes longer fails the test */

static struct geodproc geod;   /* the server most tests talk to */
static bool geod_up;           /* it started and the oracle loaded */
static bool geod_stopped;      /* it exited 0 after SIGTERM: its store is whole */
static struct oracle orc;      /* its store, read independently */
static struct http_client *hc; /* one kept-alive connection to it */
static struct ac_rng rng;      /* every random choice */

/* GET on hc; a failed exchange, a 5xx or an unparsable body fails the test. */
static bool get(const char *target, const char *headers, struct ac_answer *a)
{
    char why[AC_WHY];
    bool ok = ac_get(hc, target, headers, a, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

/* geod's stderr has no sanitizer report and, if it stopped, ends with "geod: stopped". */
static bool check_stderr(const char *log, bool stopped, const char *who)
{
    char why[512];
    bool ok = geodproc_log_ok(log, stopped, why, sizeof why);
    T_CHECKF(ok, "%s: stderr %s", who, why);
    return ok;
}

/* ---- start ---- */

static void test_start(void)
{
    char err[1024];
    double t0 = geodproc_now();
    bool ok = geodproc_start(&geod, NULL, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    if (!ok)
        return;
    double started = geodproc_now() - t0;
    ok = oracle_load(&orc, geod.db, err, sizeof err);
    T_CHECKF(ok, "cannot read the store: %s", err);
    if (!ok)
        return;
    T_CHECKF(geod.facilities == orc.n, "geod serves %zu facilities, the store holds %zu",
             geod.facilities, orc.n);
    hc = http_client_new(geod.port, true, REQUEST_MS);
    /* connected now, before the tests that count reconnections */
    bool healthy = hc && ac_healthz_ok(hc);
    T_CHECKF(healthy, "/healthz: %s", hc ? http_client_error(hc) : "no client");
    geod_up = healthy && orc.n > 1000;
    T_CHECKF(geod_up, "setup failed (%zu facilities)", orc.n);
    printf("  geod: port %u, %zu facilities in %zu categories, started in %.1f s\n", geod.port,
           orc.n, orc.ncat, started);
}

/* ---- hostile input ---- */

struct bad_case {
    const char *target;
    int status;
    const char *code;
    const char *param; /* NULL: JSON null */
};

#define NB "/v1/nearby?lon=114.3&lat=30.6"
#define WI "/v1/within?lon=114.3&lat=30.6&radius=500"

static const struct bad_case bad_cases[] = {
    {"/v1/nearby?lat=30.6", 400, "missing_parameter", "lon"},
    {"/v1/nearby?lon=114.3", 400, "missing_parameter", "lat"},
    {"/v1/nearby?lon=181&lat=30.6", 400, "out_of_range", "lon"},
    {"/v1/nearby?lon=114.3&lat=-91", 400, "out_of_range", "lat"},
    {"/v1/nearby?lon=-180.000001&lat=30.6", 400, "out_of_range", "lon"},
    {"/v1/nearby?lon=nan&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=inf&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=-Infinity&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=1e999&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=0x10&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=1,2&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=%20114.3&lat=30.6", 400, "invalid_parameter", "lon"},
    {"/v1/nearby?lon=114.3&lat=abc", 400, "invalid_parameter", "lat"},
    {"/v1/nearby?lon=-180&lat=10&crs=bd09", 400, "out_of_range", "lon"},
    {NB "&k=0", 400, "out_of_range", "k"},
    {NB "&k=101", 400, "out_of_range", "k"},
    {NB "&k=18446744073709551616", 400, "out_of_range", "k"},
    {NB "&k=-1", 400, "invalid_parameter", "k"},
    {NB "&k=1.5", 400, "invalid_parameter", "k"},
    {NB "&k=", 400, "invalid_parameter", "k"},
    {NB "&radius=0", 400, "out_of_range", "radius"},
    {NB "&radius=50001", 400, "out_of_range", "radius"},
    {NB "&radius=-5", 400, "out_of_range", "radius"},
    {NB "&radius=nan", 400, "invalid_parameter", "radius"},
    {"/v1/within?lon=114.3&lat=30.6", 400, "missing_parameter", "radius"},
    {WI "&limit=0", 400, "out_of_range", "limit"},
    {WI "&limit=1001", 400, "out_of_range", "limit"},
    {NB "&category=nope", 400, "unknown_category", "category"},
    {NB "&category=", 400, "invalid_parameter", "category"},
    {NB "&category=hospital,nope", 400, "unknown_category", "category"},
    {WI "&category=nope", 400, "unknown_category", "category"},
    {NB "&crs=xyz", 400, "unknown_crs", "crs"},
    {NB "&out_crs=epsg:4326", 400, "unknown_crs", "out_crs"},
    {NB "&format=xml", 400, "invalid_parameter", "format"},
    {NB "&lon=114.4", 400, "duplicate_parameter", "lon"},
    {NB "&radious=5", 400, "unknown_parameter", "radious"},
    {NB "&limit=5", 400, "unknown_parameter", "limit"},
    {WI "&k=5", 400, "unknown_parameter", "k"},
    {"/v1/nearby?lon=%zz&lat=30.6", 400, "invalid_encoding", "lon"},
    {"/v1/nearby?lon=114.3&lat=30.6%", 400, "invalid_encoding", "lat"},
    {NB "&q=%ff", 400, "invalid_utf8", "q"},
    {NB "&q=%c0%80", 400, "invalid_utf8", "q"},
    {NB "&q=%ed%a0%80", 400, "invalid_utf8", "q"},
    {NB "&q=a%00b", 400, "nul_byte", "q"},
    {NB "&q=", 400, "out_of_range", "q"},
    {NB "&open_now=yes", 400, "invalid_parameter", "open_now"},
    {NB "&open_now=", 400, "invalid_parameter", "open_now"},
    {NB "&=5", 400, "invalid_name", NULL},
    {NB "&%6Con=114.4", 400, "duplicate_parameter", "lon"},
    {NB "&%ff=1", 400, "invalid_utf8", "?"},
    {"/v1/facilities/1?x=1", 400, "unknown_parameter", "x"},
    {"/v1/facilities/1?out_crs=mars", 400, "unknown_crs", "out_crs"},
    {"/v1/categories?crs=wgs84", 400, "unknown_parameter", "crs"},
    {"/healthz?verbose=1", 400, "unknown_parameter", "verbose"},
    {"/nope", 404, "not_found", NULL},
    {"/", 404, "not_found", NULL},
    {"/v1/nearby/", 404, "not_found", NULL},
    {"/v1/facilities/", 404, "not_found", NULL},
    {"/V1/NEARBY?lon=114.3&lat=30.6", 404, "not_found", NULL},
};

/* Odd but valid spellings of one query: each answers exactly as the plain one does. */
static size_t lenient_inputs(void)
{
    static const char *const same[] = {
        "/v1/nearby?lon=%2B114.3&lat=30.6&k=5",
        "/v1/nearby?lon=114.30&lat=30.60000&k=005",
        "/v1/nearby?lon=1.143e2&lat=3.06E1&k=5",
        "/v1/nearby?k=5&lat=30.6&lon=114.3",
        "/v1/nearby?&lon=114.3&&lat=30.6&k=5&",
        "/v1/nearby?%6Con=114.3&lat=30.6&k=5",
        "/v1/nearby?lon=114.3&lat=30.6&k=5&crs=WGS84&out_crs=cgcs2000",
        "/v1/nearby?lon=114.3&lat=30.6&k=5&format=json&open_now=0&radius=50000",
        "/v1/nearby?lon=114.3&lat=30.6&k=5&category=community_center,street_office,"
        "relief_station,shelter,hospital,elderly_care,elderly_daycare,welfare_enterprise,"
        "marriage_registry,hospital",
    };
    struct ac_answer plain;
    if (!get(NB "&k=5", NULL, &plain)) {
        ac_answer_free(&plain);
        return 0;
    }
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        struct ac_answer a;
        if (get(same[i], NULL, &a))
            T_CHECKF(a.status == 200 && ac_same_body(&a, &plain), "%s: %d, not the answer to %s",
                     same[i], a.status, NB "&k=5");
        ac_answer_free(&a);
    }
    ac_answer_free(&plain);
    return sizeof same / sizeof same[0];
}

/* One case: the expected error, then the same connection still answers. */
static bool bad_one(const char *target, int status, const char *code, const char *param)
{
    struct ac_answer a;
    char why[AC_WHY] = "";
    bool ok = get(target, NULL, &a) && ac_is_error(&a, status, code, param, why);
    T_CHECKF(ok, "%.120s%s: %s", target, strlen(target) > 120 ? "..." : "", why);
    ac_answer_free(&a);
    T_CHECKF(ac_healthz_ok(hc), "no answer to /healthz after %.120s: %s", target,
             http_client_error(hc));
    return ok;
}

static void test_bad_input(void)
{
    size_t cases = 0, wrong = 0;
    unsigned conns = http_client_connects(hc);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++, cases++) {
        const struct bad_case *b = &bad_cases[i];
        wrong += !bad_one(b->target, b->status, b->code, b->param);
    }
    /* an 8 KB query string; q of 65 bytes (and 64, which is fine); 33 parameters */
    char *url = malloc(10000);
    int n = snprintf(url, 10000, NB "&q=");
    memset(url + n, 'a', 8192);
    url[n + 8192] = '\0';
    wrong += !bad_one(url, 400, "query_too_long", NULL);
    url[n + 65] = '\0';
    wrong += !bad_one(url, 400, "out_of_range", "q");
    url[n + 64] = '\0';
    struct ac_answer a;
    T_CHECKF(get(url, NULL, &a) && a.status == 200, "q of 64 bytes: %d", a.status);
    ac_answer_free(&a);
    n = snprintf(url, 10000, "/healthz?");
    for (int i = 0; i < 33; i++)
        n += snprintf(url + n, 10000 - (size_t)n, "p%d=1&", i);
    wrong += !bad_one(url, 400, "too_many_parameters", "p32");
    free(url);
    cases += 4;
    /* other methods */
    static const char *const methods[][2] = {{"POST", "/v1/nearby?lon=114.3&lat=30.6"},
                                             {"PUT", "/healthz"},
                                             {"DELETE", "/v1/categories"},
                                             {"PATCH", "/v1/within"}};
    for (size_t i = 0; i < 4; i++, cases++) {
        struct http_resp r;
        enum http_err e = http_request(hc, methods[i][0], methods[i][1], NULL, "", 0, &r);
        const char *allow = e ? NULL : http_header(&r, "Allow");
        T_CHECKF(!e && r.status == 405 && allow && strstr(allow, "GET") &&
                     strstr(r.body, "\"method_not_allowed\""),
                 "%s %s: %s %d, Allow %s: %.200s", methods[i][0], methods[i][1], http_strerror(e),
                 r.status, allow ? allow : "(none)", e ? "" : r.body);
        wrong += e || r.status != 405;
        http_resp_free(&r);
    }
    size_t lenient = lenient_inputs();
    T_CHECKF(http_client_connects(hc) == conns, "the server closed the connection %u times",
             http_client_connects(hc) - conns);
    printf("  bad input: %zu cases, %zu wrong, none 5xx, the connection stayed up throughout; "
           "%zu odd but valid spellings answered as the plain query\n",
           cases, wrong, lenient);
}

/* Malformed requests at the socket level; after each, a fresh connection gets /healthz. */
static void test_raw(void)
{
    static const char big_head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ";
    size_t big_len = sizeof big_head - 1 + 65536 + 4;
    char *big = malloc(big_len + 1);
    memcpy(big, big_head, sizeof big_head - 1);
    memset(big + sizeof big_head - 1, 'a', 65536);
    memcpy(big + big_len - 4, "\r\n\r\n", 4);
    char many[8192];
    int m = snprintf(many, sizeof many, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 150; i++)
        m += snprintf(many + m, sizeof many - (size_t)m, "X-H%d: %d\r\n", i, i);
    snprintf(many + m, sizeof many - (size_t)m, "\r\n");
    char binary[1024];
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (char)ac_below(&rng, 256);
    const struct {
        const char *name, *data;
        size_t len;
        bool shut; /* close our side after sending */
    } cases[] = {
#define RAW(name, text) {name, text, sizeof text - 1, false}
        RAW("garbage bytes", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"),
        {"random binary", binary, sizeof binary, false},
        RAW("no HTTP version", "GET /healthz\r\n\r\n"),
        {"64 KB header", big, big_len, false},
        {"150 headers", many, strlen(many), false},
        RAW("header without colon", "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"),
        RAW("negative Content-Length",
            "POST /v1/nearby HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
        RAW("huge Content-Length",
            "POST /v1/nearby HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc"),
        RAW("NUL in the path", "GET /healthz\0x HTTP/1.1\r\nHost: x\r\n\r\n"),
        RAW("raw 0xff in the query", "GET /v1/nearby?lon=114&lat=30&q=\xff HTTP/1.1\r\n\r\n"),
        RAW("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        {"half a request, then EOF", "GET /v1/nearby?lon=114.3&la", 27, true},
        RAW("absolute target", "GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        RAW("bare LF", "GET /healthz HTTP/1.1\nHost: x\n\n"),
        RAW("HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n"),
        RAW("Expect: 100-continue", "POST /v1/nearby HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                    "Expect: 100-continue\r\n\r\nhello"),
#undef RAW
    };
    size_t n = sizeof cases / sizeof cases[0], answered = 0;
    struct http_client *fresh = http_client_new(geod.port, false, REQUEST_MS);
    for (size_t i = 0; i < n; i++) {
        char *out;
        size_t out_len;
        enum http_err e = http_raw_exchange(geod.port, cases[i].data, cases[i].len, cases[i].shut,
                                            3000, &out, &out_len);
        T_CHECKF(e == HTTP_OK || e == HTTP_ETIMEOUT, "%s: %s", cases[i].name, http_strerror(e));
        int status = 0;
        if (out && sscanf(out, "HTTP/1.%*d %d", &status) == 1)
            answered++;
        T_CHECKF(status < 500, "%s: answered %d", cases[i].name, status);
        free(out);
        T_CHECKF(ac_healthz_ok(fresh), "after %s: /healthz fails: %s", cases[i].name,
                 http_client_error(fresh));
    }
    /* three requests in one write: three answers, in order */
    const char pipelined[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /v1/categories HTTP/1.1\r\nHost: x\r\n\r\n";
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    const int want[] = {200, 404, 200};
    bool sent = http_send_raw(c, pipelined, sizeof pipelined - 1) == HTTP_OK;
    for (int i = 0; i < 3 && sent; i++) {
        struct http_resp r;
        enum http_err e = http_read_response(c, false, &r);
        T_CHECKF(!e && r.status == want[i], "pipelined answer %d: %s %d, expected %d", i,
                 e ? http_client_error(c) : "", r.status, want[i]);
        http_resp_free(&r);
    }
    T_CHECK(sent);
    http_client_free(c);
    http_client_free(fresh);
    free(big);
    printf("  raw: %zu malformed requests (%zu answered, none 5xx), server up after each; "
           "3 pipelined answers in order\n",
           n, answered);
}

/* ---- HEAD ---- */

static void test_head(void)
{
    static const char *const targets[] = {"/healthz", "/v1/categories", NB "&k=5", "/nope",
                                          NB "&k=0"};
    unsigned conns = http_client_connects(hc);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_resp g, h;
        enum http_err eg = http_request(hc, "GET", targets[i], NULL, NULL, 0, &g);
        enum http_err eh = http_request(hc, "HEAD", targets[i], NULL, NULL, 0, &h);
        T_CHECKF(!eg && !eh, "%s: GET %s, HEAD %s (%s)", targets[i], http_strerror(eg),
                 http_strerror(eh), http_client_error(hc));
        if (!eg && !eh) {
            T_CHECKF(h.status == g.status && h.has_length && h.length == g.body_len,
                     "HEAD %s: %d with Content-Length %zu, GET: %d with %zu bytes", targets[i],
                     h.status, h.length, g.status, g.body_len);
            size_t stray = http_client_stray_bytes(hc, 100);
            T_CHECKF(stray == 0, "HEAD %s: %zu bytes of body after the head", targets[i], stray);
        }
        http_resp_free(&g);
        http_resp_free(&h);
    }
    T_CHECKF(ac_healthz_ok(hc), "GET after HEAD fails: %s", http_client_error(hc));
    T_CHECKF(http_client_connects(hc) == conns, "HEAD cost %u reconnections",
             http_client_connects(hc) - conns);
    printf("  head: %zu targets, Content-Length = GET body length, no body, connection reused\n",
           sizeof targets / sizeof targets[0]);
}

/* ---- concurrency ---- */

#define PAR_URLS 24

/* A client thread asking the reference URLs in its own order; counts, no T_CHECK (not
 * thread-safe). */
struct par_worker {
    pthread_t tid;
    unsigned offset;
    size_t requests, differ, failed;
    char first[300];
};

static char par_url[PAR_URLS][160];
static struct http_resp par_ref[PAR_URLS]; /* the serial answers */

static void *par_main(void *arg)
{
    struct par_worker *w = arg;
    struct http_client *c = http_client_new(geod.port, true, REQUEST_MS);
    for (unsigned r = 0; c && r < 150; r++, w->requests++) {
        unsigned i = (w->offset + r * 7) % PAR_URLS;
        struct http_resp got;
        enum http_err e = http_get(c, par_url[i], NULL, &got);
        bool same = !e && got.status == par_ref[i].status && got.body_len == par_ref[i].body_len &&
                    !memcmp(got.body, par_ref[i].body, got.body_len);
        if (e)
            w->failed++;
        else if (!same)
            w->differ++;
        if ((e || !same) && !w->first[0])
            snprintf(w->first, sizeof w->first, "%s: %s %d", par_url[i], http_strerror(e),
                     got.status);
        http_resp_free(&got);
    }
    http_client_free(c);
    return NULL;
}

/* Clients in parallel on both server threads get byte for byte the answers one client got. */
static void test_parallel(void)
{
    enum { WORKERS = 4 };
    for (int i = 0; i < PAR_URLS; i++) {
        double lon, lat;
        ac_position(&rng, &orc, (struct ac_mix){70, 0, 30, 0}, &lon, &lat);
        static const char *const fmt[] = {"/v1/nearby?lon=%.6f&lat=%.6f&k=%u",
                                          "/v1/within?lon=%.6f&lat=%.6f&radius=800&limit=%u",
                                          "/v1/nearby?lon=%.6f&lat=%.6f&k=%u&format=msgpack"};
        snprintf(par_url[i], sizeof par_url[i], fmt[i % 3], lon, lat, 1 + ac_below(&rng, 100));
        enum http_err e = http_get(hc, par_url[i], NULL, &par_ref[i]);
        T_CHECKF(!e && par_ref[i].status == 200, "%s: %s", par_url[i], http_client_error(hc));
    }
    struct par_worker w[WORKERS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < WORKERS; i++) {
        w[i].offset = (unsigned)i * 5;
        T_CHECK(pthread_create(&w[i].tid, NULL, par_main, &w[i]) == 0);
    }
    size_t requests = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(w[i].tid, NULL);
        T_CHECKF(!w[i].failed && !w[i].differ, "client %d: %zu failed, %zu differ, first %s", i,
                 w[i].failed, w[i].differ, w[i].first);
        requests += w[i].requests;
    }
    for (int i = 0; i < PAR_URLS; i++)
        http_resp_free(&par_ref[i]);
    printf("  parallel: %d clients, %zu requests, every answer identical to the serial one\n",
           WORKERS, requests);
}

/* ---- the binary and its lifecycle ---- */

static void test_cli(void)
{
    const struct {
        const char *args[8];
        int status;
        const char *out_has, *err_has; /* NULL: stdout/stderr must be empty */
        bool one_line;
    } runs[] = {
        {{"--version"}, 0, "geod ", NULL, false},
        {{"--help"}, 0, "usage: geod", NULL, false},
        {{"serve", "--threads", "0", "--db", geod.db}, 2, "", "--threads", true},
        {{"serve", "--threads", "257", "--db", geod.db}, 2, "", "--threads", true},
        {{"serve", "--listen", "nonsense", "--db", geod.db}, 2, "", "--listen", true},
        {{"serve", "--bogus"}, 2, "", "--bogus", true},
        {{"frobnicate"}, 2, "", "frobnicate", true},
        {{NULL}, 2, "", "usage", false},
    };
    size_t n = sizeof runs / sizeof runs[0];
    for (size_t i = 0; i < n; i++) {
        int st;
        char *out = NULL, *err = NULL, sb[32];
        bool ran = geodproc_run(runs[i].args, 20000, &st, &out, &err, NULL);
        const char *a0 = runs[i].args[0] ? runs[i].args[0] : "(no arguments)";
        T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == runs[i].status,
                 "geod %s %s: %s, expected exit %d", a0, runs[i].args[1] ? runs[i].args[1] : "",
                 ran ? geodproc_status_text(st, sb) : "did not finish", runs[i].status);
        T_CHECKF(out && strstr(out, runs[i].out_has) && (*runs[i].out_has || !*out),
                 "geod %s: stdout %.200s", a0, out);
        T_CHECKF(runs[i].err_has ? err && strstr(err, runs[i].err_has) != NULL : !err || !*err,
                 "geod %s: stderr %.300s", a0, err);
        T_CHECKF(!runs[i].one_line || (err && geodproc_message_lines(err) == 1),
                 "geod %s: not one line on stderr: %.300s", a0, err);
        if (err)
            check_stderr(err, false, a0);
        free(out);
        free(err);
    }
    /* a port somebody else listens on (without SO_REUSEPORT), then one another geod serves */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    T_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    uint16_t ports[2] = {ntohs(sa.sin_port), geod.port};
    const char *whose[2] = {"a plain listener", "the running geod"};
    for (int i = 0; i < 2; i++) {
        char listen_on[32], sb[32];
        snprintf(listen_on, sizeof listen_on, "127.0.0.1:%u", ports[i]);
        const char *args[] = {"serve", "--db", geod.db, "--listen", listen_on, NULL};
        int st;
        char *err = NULL;
        double secs;
        bool ran = geodproc_run(args, 5000, &st, NULL, &err, &secs);
        T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) != 0,
                 "geod serve on port %u, which %s has: %s after %.1f s (expected a quick "
                 "non-zero exit)",
                 ports[i], whose[i], ran ? geodproc_status_text(st, sb) : "still serving", secs);
        T_CHECKF(!ran || (err && geodproc_message_lines(err) == 1 && strstr(err, listen_on)),
                 "geod serve on a port in use: not one line naming %s: %.300s", listen_on, err);
        if (err)
            check_stderr(err, false, "geod serve on a port in use");
        free(err);
    }
    if (fd >= 0)
        close(fd);
    T_CHECKF(ac_healthz_ok(hc), "the running geod stopped answering: %s", http_client_error(hc));
    printf("  cli: %zu command lines with their exit codes; serve on a port in use (2 ways)\n", n);
}

/* The main geod stops cleanly after all the abuse above. */
static void test_main_stops(void)
{
    http_client_free(hc);
    hc = NULL;
    int st;
    double secs;
    char sb[32];
    bool exited = geodproc_stop(&geod, 10000, &st, &secs);
    T_CHECKF(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "geod after SIGTERM: %s after %.1f s",
             exited ? geodproc_status_text(st, sb) : "killed", secs);
    char *log = geodproc_stderr(&geod);
    bool clean = check_stderr(log, true, "geod");
    geod_stopped = exited && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    free(log);
    printf("  main geod: exit %d %.2f s after SIGTERM, stderr %s\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, secs, clean ? "clean" : "NOT clean");
}

/* An answer on a connection that was open at SIGTERM: complete, or a clean close. */
static bool clean_end(enum http_err e, const struct http_resp *r)
{
    return (!e && r->status == 200) || e == HTTP_ECLOSED || e == HTTP_ECONNECT;
}

static void test_shutdown(void)
{
    enum { CONNS = 20, LOADERS = 2 };
    struct geodproc g;
    char err[1024];
    /* on a copy of the first geod's store once that geod exited cleanly (which closed the file
     * whole), which saves creating another */
    bool seeded = geod_stopped;
    bool up = geodproc_start(&g, seeded ? geod.db : NULL, START_MS, err, sizeof err);
    T_CHECKF(up, "the second geod did not start: %s", err);
    if (!up) {
        geodproc_cleanup(&g);
        return;
    }
    struct http_client *c[CONNS];
    size_t idle_ok = 0, pending_ok = 0, answered = 0;
    for (int i = 0; i < CONNS; i++) {
        c[i] = http_client_new(g.port, true, REQUEST_MS);
        T_CHECKF(ac_healthz_ok(c[i]), "connection %d: %s", i, http_client_error(c[i]));
    }
    struct http_loader ld[LOADERS];
    for (int i = 0; i < LOADERS; i++)
        T_CHECK(http_loader_start(&ld[i], g.port, "/v1/nearby?lon=114.3&lat=30.6&k=100"));
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    /* half the connections have a request on the wire when the signal comes */
    static const char req[] = "GET /v1/within?lon=114.3&lat=30.6&radius=5000&limit=1000 "
                              "HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < CONNS / 2; i++)
        T_CHECK(http_send_raw(c[i], req, sizeof req - 1) == HTTP_OK);
    geodproc_signal(&g, SIGTERM);
    for (int i = 0; i < CONNS; i++) {
        struct http_resp r;
        enum http_err e = i < CONNS / 2 ? http_read_response(c[i], false, &r)
                                        : http_get(c[i], "/healthz", NULL, &r);
        T_CHECKF(clean_end(e, &r), "connection %d after SIGTERM: %s %d: %s", i, http_strerror(e),
                 r.status, http_client_error(c[i]));
        if (!e && r.status == 200)
            *(i < CONNS / 2 ? &pending_ok : &idle_ok) += 1;
        http_resp_free(&r);
    }
    int st;
    double secs;
    bool exited = geodproc_wait(&g, 10000, &st, &secs);
    for (int i = 0; i < LOADERS; i++) {
        http_loader_stop(&ld[i]);
        T_CHECKF(ld[i].bad == 0 && ld[i].ok > 0, "loader %d: %zu answers, %zu bad (%s)", i,
                 ld[i].ok, ld[i].bad, ld[i].first_bad);
        answered += ld[i].ok;
    }
    char sb[32];
    T_CHECKF(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "geod after SIGTERM: %s after %.1f s (expected exit 0 within 10 s)",
             exited ? geodproc_status_text(st, sb) : "killed", secs);
    char *log = geodproc_stderr(&g);
    check_stderr(log, true, "the second geod");
    free(log);
    struct http_client *after = http_client_new(g.port, false, 2000);
    struct http_resp r;
    T_CHECKF(http_get(after, "/healthz", NULL, &r) == HTTP_ECONNECT,
             "something still answers on port %u", g.port);
    http_resp_free(&r);
    http_client_free(after);
    for (int i = 0; i < CONNS; i++)
        http_client_free(c[i]);
    printf("  shutdown: %d connections + %d loaders (%zu answers); after SIGTERM %zu of %d "
           "requests in flight and %zu of %d new ones answered, the rest closed cleanly; exit %d "
           "after %.2f s; %s store\n",
           CONNS, LOADERS, answered, pending_ok, CONNS / 2, idle_ok, CONNS / 2,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, secs, seeded ? "a copied" : "a new");
    if (!t_cur_fails)
        geodproc_cleanup(&g);
    else
        printf("  kept %s\n", g.dir);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    const char *seed = getenv("GEOD_TEST_SEED");
    rng.s = seed ? strtoull(seed, NULL, 10) : 1;
    printf("  geod under test: %s, seed %llu\n", geodproc_bin(), (unsigned long long)rng.s);
    double t0 = geodproc_now();
    T_RUN(test_start);
    if (geod_up) {
        T_RUN(test_bad_input);
        T_RUN(test_raw);
        T_RUN(test_head);
        T_RUN(test_parallel);
        T_RUN(test_cli);
    }
    if (geod.pid)
        T_RUN(test_main_stops);
    T_RUN(test_shutdown);
    if (t_failed && geod.dir[0])
        printf("  kept %s\n", geod.dir);
    else
        geodproc_cleanup(&geod);
    geodproc_kill(&geod);
    oracle_free(&orc);
    http_client_free(hc);
    printf("  total %.1f s\n", geodproc_now() - t0);
    return T_END();
}

/* test_api_tls.c - geod serve --tls-cert/--tls-key with a real geod (the sanitized build,
 * $GEOD_BIN) and a certificate made at test time (the openssl CLI): answers over HTTPS (OpenSSL
 * client, certificate verified) are byte for byte those a plain-HTTP geod gives from a copy of
 * the same store; ALPN picks HTTP/1.1; plain HTTP to the TLS port gets no HTTP answer; the
 * session cookie of a login over TLS is Secure (and not over plain HTTP); a missing certificate,
 * a file that is no certificate and a key of another certificate are refused with one line and
 * a non-zero exit. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/scratch.h"
#include "tests/lib/tlsclient.h"
#include "tests/t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define START_MS 60000
#define REQUEST_MS 15000

static struct scratch sc;
static char cert[256], key[256], other_key[256];
static struct geodproc seed, plain, tls;
static bool up;

static void test_start(void)
{
    char why[1024];
    scratch_path(&sc, cert, sizeof cert, "cert.pem");
    scratch_path(&sc, key, sizeof key, "key.pem");
    scratch_path(&sc, other_key, sizeof other_key, "other-key.pem");
    T_CHECKF(tls_make_cert(cert, key, why, sizeof why), "%s", why);
    T_CHECKF(tls_make_key(other_key, why, sizeof why), "%s", why);
    /* a store made by one geod (then stopped, so the file is whole), with an account in it;
     * the plain and the TLS geod each serve a copy */
    bool ok = geodproc_start(&seed, NULL, START_MS, why, sizeof why);
    T_CHECKF(ok, "seed geod: %s", why);
    int st;
    ok = ok && geodproc_stop(&seed, 10000, &st, NULL);
    ok = ok && accounts_add(seed.db, "tlsuser", "admin", NULL, why, sizeof why);
    T_CHECKF(ok, "account: %s", why);
    const char *extra[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    ok = ok && geodproc_start(&plain, seed.db, START_MS, why, sizeof why);
    T_CHECKF(ok, "plain geod: %s", why);
    ok = ok && geodproc_start_args(&tls, seed.db, extra, START_MS, why, sizeof why);
    T_CHECKF(ok, "TLS geod: %s", why);
    up = ok && t_cur_fails == 0;
}

/* The same request over HTTPS and over plain HTTP: the same status, Content-Type and body. */
static void same_answer(struct http_client *hc, const char *target, const char *headers)
{
    struct tls_resp t = {0};
    struct http_resp p = {0};
    char why[512], len[32] = "", type[128] = "";
    bool ok =
        tls_request(tls.port, cert, "GET", target, headers, NULL, REQUEST_MS, &t, why, sizeof why);
    T_CHECKF(ok, "https %s: %s", target, why);
    T_CHECK(http_request(hc, "GET", target, headers, NULL, 0, &p) == HTTP_OK);
    if (ok && p.status) {
        tls_header(&t, "Content-Length", len, sizeof len);
        tls_header(&t, "Content-Type", type, sizeof type);
        T_CHECKF(t.status == p.status && strtoul(len, NULL, 10) == t.body_len &&
                     t.body_len == p.body_len && memcmp(t.body, p.body, t.body_len) == 0 &&
                     strcmp(type, http_header(&p, "Content-Type")) == 0,
                 "%s: https %d, %zu bytes (Content-Length %s), %s; http %d, %zu bytes, %s", target,
                 t.status, t.body_len, len, type, p.status, p.body_len,
                 http_header(&p, "Content-Type"));
        T_CHECKF(strcmp(t.alpn, "http/1.1") == 0, "%s: ALPN selected \"%s\"", target, t.alpn);
    }
    tls_resp_free(&t);
    http_resp_free(&p);
}

static void test_same_answers(void)
{
    struct http_client *hc = http_client_new(plain.port, true, REQUEST_MS);
    static const char *const targets[] = {
        "/healthz",
        "/v1/nearby?lon=114.3055&lat=30.5928&k=10",
        "/v1/nearby?lon=114.3115&lat=30.5903&crs=gcj02&category=hospital,relief_station&k=5",
        "/v1/shake?lon=114.3055&lat=30.5928",
        "/v1/within?lon=114.3055&lat=30.5928&radius=1000&limit=20",
        "/v1/bbox?bbox=113.7,29.97,115.1,31.37&zoom=10",
        "/v1/places/reverse?lon=114.3055&lat=30.5928",
        "/v1/places/search?q=jhq",
        "/v1/places/boundaries?level=district",
        "/v1/facilities/1",
        "/v1/nearby?lon=500&lat=30",
        "/widget.js",
        "/tag/",
    };
    for (size_t i = 0; hc && i < sizeof targets / sizeof targets[0]; i++)
        same_answer(hc, targets[i], NULL);
    same_answer(hc, "/v1/shake?lon=114.3055&lat=30.5928", "Accept: application/msgpack\r\n");
    http_client_free(hc);
}

/* Plain HTTP to the TLS port: no HTTP answer, and the server goes on serving HTTPS. */
static void test_plain_to_tls_port(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char *got = NULL;
    size_t n = 0;
    enum http_err e = http_raw_exchange(tls.port, req, sizeof req - 1, false, 5000, &got, &n);
    T_CHECKF(!got || strncmp(got, "HTTP/", 5) != 0, "plain HTTP to the TLS port answered: %.60s",
             got ? got : "");
    T_CHECKF(e != HTTP_OK || n == 0 || strncmp(got, "HTTP/", 5) != 0, "exchange %s",
             http_strerror(e));
    free(got);
    struct tls_resp t = {0};
    char why[512];
    T_CHECKF(tls_request(tls.port, cert, "GET", "/healthz", NULL, NULL, REQUEST_MS, &t, why,
                         sizeof why) &&
                 t.status == 200,
             "after plain HTTP: %s", why);
    tls_resp_free(&t);
    /* and a client that does not trust the certificate is refused in the handshake */
    T_CHECKF(!tls_request(tls.port, other_key, "GET", "/healthz", NULL, NULL, REQUEST_MS, &t, why,
                          sizeof why),
             "a client without the certificate accepted the server");
    tls_resp_free(&t);
}

static void test_secure_cookie(void)
{
    static const char body[] = "{\"name\":\"tlsuser\",\"password\":\"pw-of-tlsuser-123\"}";
    struct tls_resp t = {0};
    char why[512], cookie[512] = "";
    T_CHECKF(tls_request(tls.port, cert, "POST", "/v1/login", "Content-Type: application/json\r\n",
                         body, REQUEST_MS, &t, why, sizeof why) &&
                 t.status == 200,
             "login over TLS: %d %s %s", t.status, why, t.body ? t.body : "");
    T_CHECKF(tls_header(&t, "Set-Cookie", cookie, sizeof cookie) &&
                 strncmp(cookie, "geod_session=", 13) == 0 && strstr(cookie, "; Secure") &&
                 strstr(cookie, "HttpOnly"),
             "Set-Cookie over TLS: %s", cookie);
    tls_resp_free(&t);
    struct http_client *hc = http_client_new(plain.port, false, REQUEST_MS);
    struct http_resp p = {0};
    T_CHECK(hc && http_request(hc, "POST", "/v1/login", "Content-Type: application/json\r\n", body,
                               sizeof body - 1, &p) == HTTP_OK);
    const char *c = http_header(&p, "Set-Cookie");
    T_CHECKF(p.status == 200 && c && !strstr(c, "Secure"), "Set-Cookie over HTTP: %s",
             c ? c : "(none)");
    http_resp_free(&p);
    http_client_free(hc);
}

/* geod serve with these TLS files exits non-zero with one stderr line holding `says`. */
static void refused(const char *c, const char *k, int status, const char *says)
{
    const char *args[] = {"serve",      "--db", seed.db,     "--listen", "127.0.0.1:0",
                          "--tls-cert", c,      "--tls-key", k,          NULL};
    int st = 0;
    char *err = NULL;
    bool ran = geodproc_run(args, 60000, &st, NULL, &err, NULL);
    const char *e = err ? err : "";
    /* the lines of a starting serve ("geod: loaded ...") aside, one line */
    T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) == status && strstr(e, says) &&
                 geodproc_message_lines(e) == 1,
             "--tls-cert %s --tls-key %s: status %d, want exit %d and \"%s\": %s", c, k, st, status,
             says, e);
    free(err);
}

static void test_bad_files(void)
{
    unsetenv("GEOD_KDF_COST"); /* set by accounts_add; geod would warn of it on a line of its own */
    char notcert[256];
    scratch_path(&sc, notcert, sizeof notcert, "not-a-cert.pem");
    scratch_spit(notcert, "hello\n", 6);
    refused("/nonexistent/cert.pem", key, 2, "--tls-cert /nonexistent/cert.pem: No such file");
    refused(cert, "/nonexistent/key.pem", 2, "--tls-key /nonexistent/key.pem: No such file");
    refused(notcert, key, 1, "TLS certificate");
    refused(cert, notcert, 1, "TLS key");
    refused(cert, other_key, 1, "does not belong to the certificate");
    const char *half[] = {"serve", "--db", seed.db, "--tls-cert", cert, NULL};
    int st = 0;
    char *err = NULL;
    T_CHECKF(geodproc_run(half, 20000, &st, NULL, &err, NULL) && WIFEXITED(st) &&
                 WEXITSTATUS(st) == 2 && err && strstr(err, "go together"),
             "--tls-cert alone: %d %s", st, err ? err : "");
    free(err);
}

static void test_stops(void)
{
    char why[512];
    struct geodproc *gs[] = {&plain, &tls};
    for (int i = 0; i < 2; i++) {
        int st;
        bool exited = geodproc_stop(gs[i], 10000, &st, NULL);
        T_CHECKF(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "geod %d after SIGTERM", i);
        char *log = geodproc_stderr(gs[i]);
        T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "geod %d's stderr: %s", i, why);
        free(log);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (!scratch_new(&sc, "geod-tls")) {
        printf("cannot make a scratch directory\n0 passed, 1 failed\n");
        return 1;
    }
    T_RUN(test_start);
    if (up) {
        T_RUN(test_same_answers);
        T_RUN(test_plain_to_tls_port);
        T_RUN(test_secure_cookie);
        T_RUN(test_bad_files);
        T_RUN(test_stops);
    }
    geodproc_kill(&plain);
    geodproc_kill(&tls);
    geodproc_kill(&seed);
    if (!t_failed) {
        geodproc_cleanup(&plain);
        geodproc_cleanup(&tls);
        geodproc_cleanup(&seed);
    }
    scratch_free(&sc);
    return T_END();
}

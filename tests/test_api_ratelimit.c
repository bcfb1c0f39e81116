/* test_api_ratelimit.c - the per-address rate limit (api/ratelimit.h). The token bucket against
 * a second formulation of the same limit (GCRA: a theoretical arrival time, Retry-After from it)
 * on random arrival times; the client key from peer and X-Forwarded-For against the rule (only
 * trusted proxies are looked through, right to left); and a real geod: a burst from one address
 * is cut at the bucket's size with 429 and Retry-After, another address and /healthz are not,
 * a forged X-Forwarded-For does not help, and /metrics counts the refusals. */
#include "api/ratelimit.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/wait.h>

static uint64_t rng = 88172645463325252ull;
static double unit(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void test_bucket_vs_gcra(void)
{
    int differ = 0, retry_differ = 0, allowed = 0, n = 0;
    for (int run = 0; run < 200; run++) {
        double rate = 0.5 + unit() * 50, burst = 1 + floor(unit() * 20);
        double tokens = burst, last = 0, tat = 0, tau = (burst - 1) / rate, t = 0;
        for (int i = 0; i < 300; i++, n++) {
            t += unit() * unit() * 3 / rate; /* bursts and pauses */
            int retry = 0;
            bool a = ratelimit_bucket(&tokens, &last, t, rate, burst, &retry);
            bool b = t >= tat - tau - 1e-9;
            if (fabs(t - (tat - tau)) < 1e-7) /* on the boundary, rounding decides */
                b = a;
            if (b)
                tat = fmax(tat, t) + 1 / rate;
            differ += a != b;
            allowed += a;
            if (!a && !b) {
                int want = (int)ceil(tat - tau - t);
                retry_differ += retry != (want < 1 ? 1 : want) && fabs(tat - tau - t - want) > 1e-6;
            }
        }
    }
    T_CHECKF(differ == 0 && retry_differ == 0, "%d of %d decisions and %d Retry-After differ",
             differ, n, retry_differ);
    T_CHECK(allowed > n / 10 && allowed < n); /* both outcomes were exercised */
}

static void key(struct ratelimit *r, const char *peer, const char *xff, char *out, size_t cap)
{
    struct sockaddr_storage ss = {0};
    if (strchr(peer, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, peer, &a->sin6_addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        inet_pton(AF_INET, peer, &a->sin_addr);
    }
    uint8_t k[16];
    ratelimit_client(r, (struct sockaddr *)&ss, xff, xff ? strlen(xff) : 0, k);
    inet_ntop(AF_INET6, k, out, (socklen_t)cap);
}

static void test_client_key(void)
{
    struct ratelimit_config c = {0};
    T_CHECK(ratelimit_parse("10,20", &c) == GEOD_OK && c.rate == 10 && c.burst == 20);
    T_CHECK(ratelimit_parse("3", &c) == GEOD_OK && c.burst == 6);
    T_CHECK(ratelimit_parse("x", &c) && ratelimit_parse("-1", &c) && ratelimit_parse("5,0", &c) &&
            ratelimit_parse("5,", &c) && ratelimit_parse("nan", &c));
    T_CHECK(ratelimit_add_proxy(&c, "127.0.0.1") == GEOD_OK &&
            ratelimit_add_proxy(&c, "10.0.0.0/8") == GEOD_OK &&
            ratelimit_add_proxy(&c, "fd00::/8") == GEOD_OK);
    T_CHECK(ratelimit_add_proxy(&c, "10.0.0.0/33") && ratelimit_add_proxy(&c, "nope") &&
            ratelimit_add_proxy(&c, "1.2.3.4/") == GEOD_EINVAL);
    struct ratelimit *r;
    T_CHECK(ratelimit_new(&c, &r) == GEOD_OK);
    const struct {
        const char *peer, *xff, *want;
    } cases[] = {
        {"192.0.2.7", NULL, "::ffff:192.0.2.7"},
        {"192.0.2.7", "1.1.1.1", "::ffff:192.0.2.7"}, /* not a proxy: its header is ignored */
        {"127.0.0.1", "1.1.1.1", "::ffff:1.1.1.1"},
        {"127.0.0.1", "6.6.6.6, 1.1.1.1", "::ffff:1.1.1.1"}, /* the left is the client's word */
        {"127.0.0.1", "1.1.1.1, 10.2.3.4", "::ffff:1.1.1.1"}, /* through a second proxy */
        {"127.0.0.1", "10.2.3.4", "::ffff:10.2.3.4"},          /* all proxies: the last */
        {"127.0.0.1", "garbage", "::ffff:127.0.0.1"},
        {"127.0.0.1", " 2001:db8:1:2:3:4:5:6 ", "2001:db8:1:2::"},
        {"2001:db8:aa:bb:cc:dd:ee:ff", NULL, "2001:db8:aa:bb::"}, /* an IPv6 /64 */
        {"fd00::1", "203.0.113.9", "::ffff:203.0.113.9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[64];
        key(r, cases[i].peer, cases[i].xff, got, sizeof got);
        T_CHECKF(strcmp(got, cases[i].want) == 0, "%s / %s: %s, want %s", cases[i].peer,
                 cases[i].xff ? cases[i].xff : "-", got, cases[i].want);
    }
    ratelimit_free(r);
}

static int get(struct http_client *c, const char *target, const char *headers, char **retry,
               char **body)
{
    struct http_resp r = {0};
    int status = http_get(c, target, headers, &r) == HTTP_OK ? r.status : -1;
    const char *ra = http_header(&r, "retry-after");
    if (retry)
        *retry = ra ? strdup(ra) : NULL;
    if (body)
        *body = r.body ? strndup(r.body, r.body_len) : NULL;
    http_resp_free(&r);
    return status;
}

static void test_live(void)
{
    struct geodproc g;
    char why[512];
    const char *extra[] = {"--rate-limit", "2,5", NULL}; /* 5 at once, 2 a second */
    bool started = geodproc_start_args(&g, NULL, extra, 120000, why, sizeof why);
    T_CHECKF(started, "%s", why);
    if (!started)
        return;
    struct http_client *a = http_client_new(g.port, true, 10000),
                       *b = http_client_new(g.port, true, 10000);
    T_CHECK(http_client_source(a, "127.0.0.3") && http_client_source(b, "127.0.0.4"));
    double t0 = geodproc_now();
    int ok = 0, refused = 0, good_retry = 0, coded = 0;
    for (int i = 0; i < 12; i++) {
        char *retry = NULL, *body = NULL;
        int s = get(a, "/v1/nearby?lon=114.3&lat=30.6&k=1", i % 2 ? "X-Forwarded-For: 9.9.9.9\r\n"
                                                                  : NULL,
                    &retry, &body);
        ok += s == 200;
        if (s == 429) {
            refused++;
            good_retry += retry && atoi(retry) >= 1 && atoi(retry) <= 1;
            coded += body && strstr(body, "\"rate_limited\"");
        }
        free(retry);
        free(body);
    }
    double spent = geodproc_now() - t0;
    /* the bucket: 5, plus what 2 a second refilled meanwhile */
    int most = 5 + (int)floor(spent * 2);
    T_CHECKF(ok >= 5 && ok <= most && refused == 12 - ok, "%d allowed in %.3f s (at most %d)", ok,
             spent, most);
    T_CHECK(good_retry == refused && coded == refused);
    /* monitoring and other addresses go on */
    T_CHECK(get(a, "/healthz", NULL, NULL, NULL) == 200);
    T_CHECK(get(b, "/v1/nearby?lon=114.3&lat=30.6&k=1", NULL, NULL, NULL) == 200);
    char *body = NULL;
    T_CHECK(get(b, "/metrics", NULL, NULL, &body) == 200 && body);
    char want[64];
    snprintf(want, sizeof want, "geod_ratelimit_refused_total %d\n", refused);
    T_CHECKF(body && strstr(body, want), "want %s", want);
    free(body);
    http_client_free(a);
    http_client_free(b);
    int status;
    T_CHECK(geodproc_stop(&g, 10000, &status, NULL) && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0);
    geodproc_cleanup(&g);
}

int main(void)
{
    T_RUN(test_bucket_vs_gcra);
    T_RUN(test_client_key);
    T_RUN(test_live);
    return T_END();
}

/* test_auth.c - the pure parts of accounts: auth_may_edit against the rule written out as an
 * oracle over random users and codes; the throttling policy (api/auth_throttle.c) replayed
 * against a brute-force model that keeps every attempt; the login body parser (both encodings,
 * every refusal naming its field); the settings table; and the libsodium wrappers checked with
 * libsodium directly. The HTTP side is tests/test_api_auth.c. */
#include "api/auth.h"
#include "api/auth_body.h"
#include "api/auth_config.h"
#include "api/auth_crypto.h"
#include "api/auth_throttle.h"
#include "tests/t.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- auth_may_edit ---- */

static bool may_edit_oracle(bool admin, const char *district, const char *code)
{
    if (admin || !district[0])
        return true;
    if (!code || strlen(code) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return strncmp(code, district, 6) == 0;
}

static void test_may_edit(void)
{
    struct auth_user w = {.role = AUTH_WORKER};
    snprintf(w.district, sizeof w.district, "420102");
    T_CHECK(auth_may_edit(&w, "420102003002"));
    T_CHECK(!auth_may_edit(&w, "420103001001"));
    T_CHECK(!auth_may_edit(&w, "420102"));       /* a district code is not a facility's */
    T_CHECK(!auth_may_edit(&w, "4201020030021")); /* 13 digits */
    T_CHECK(!auth_may_edit(&w, "42010200300x"));
    T_CHECK(!auth_may_edit(&w, NULL));
    T_CHECK(!auth_may_edit(&w, ""));
    T_CHECK(!auth_may_edit(NULL, "420102003002"));
    struct auth_user free_worker = {.role = AUTH_WORKER};
    T_CHECK(auth_may_edit(&free_worker, "420115001001") && auth_may_edit(&free_worker, NULL));
    struct auth_user admin = {.role = AUTH_ADMIN};
    snprintf(admin.district, sizeof admin.district, "420102"); /* ignored for an admin */
    T_CHECK(auth_may_edit(&admin, "420115001001") && auth_may_edit(&admin, NULL));

    static const char *const districts[] = {"", "420102", "420103", "420115", "420100"};
    size_t cases = 0, allowed = 0;
    for (int i = 0; i < 20000; i++) {
        struct auth_user u = {.role = next() % 4 == 0 ? AUTH_ADMIN : AUTH_WORKER};
        snprintf(u.district, sizeof u.district, "%s", districts[next() % 5]);
        char code[16];
        int len = (int)(next() % 5) == 0 ? (int)(next() % 15) : 12;
        /* mostly near the district: its prefix with a digit or two changed */
        const char *base = districts[1 + next() % 4];
        for (int k = 0; k < len; k++)
            code[k] = k < 6 ? base[k] : (char)('0' + next() % 10);
        if (len > 0 && next() % 4 == 0)
            code[next() % (uint64_t)len] = (char)('0' + next() % 10);
        if (len > 0 && next() % 20 == 0)
            code[next() % (uint64_t)len] = (char)" x-/"[next() % 4];
        code[len] = '\0';
        const char *c = next() % 50 == 0 ? NULL : code;
        bool want = may_edit_oracle(u.role == AUTH_ADMIN, u.district, c);
        bool got = auth_may_edit(&u, c);
        T_CHECKF(got == want, "%s %s, code %s: %d, want %d", auth_role_name(u.role), u.district,
                 c ? c : "NULL", got, want);
        cases++;
        allowed += got;
    }
    T_CHECKF(allowed > cases / 4 && allowed < cases * 9 / 10, "%zu of %zu allowed: a poor mix",
             allowed, cases);
    printf("  auth_may_edit: %zu random cases agree with the rule, %zu allowed\n", cases, allowed);
}

/* ---- throttling ---- */

/* A model that keeps every failure: the same policy computed from the full history. */
struct model {
    int64_t fails[256]; /* times of the failures counted since the last reset */
    int n;
    int64_t locked_until;
};

static int64_t model_wait(const struct auth_config *c, struct auth_throttle_limits lim,
                          const struct model *m, int64_t now)
{
    if (m->locked_until > now)
        return m->locked_until - now;
    if (m->n == 0 || now - m->fails[0] >= c->login_window)
        return 0;
    if (m->n < lim.slow_after)
        return 0;
    int64_t sp = 1;
    for (int64_t k = 0; k < m->n - lim.slow_after + 1 && sp < c->login_slow_max; k++)
        sp *= 2;
    if (sp > c->login_slow_max)
        sp = c->login_slow_max;
    int64_t next_ok = m->fails[m->n - 1] + sp;
    return next_ok > now ? next_ok - now : 0;
}

static void model_fail(const struct auth_config *c, struct auth_throttle_limits lim,
                       struct model *m, int64_t now)
{
    if (m->n > 0 && now - m->fails[0] >= c->login_window)
        m->n = 0;
    m->fails[m->n++] = now;
    if (m->n >= lim.lock_after) {
        m->locked_until = now + c->login_lockout;
        m->n = 0;
    }
}

static void test_throttle_scenario(void)
{
    struct auth_config c;
    auth_config_default(&c);
    c.account_slow_after = 2;
    c.account_lock_after = 4;
    c.login_slow_max = 4;
    c.login_lockout = 100;
    c.login_window = 1000;
    struct auth_throttle_limits lim = auth_throttle_limits(&c, STORE_LOGIN_ACCOUNT);
    T_CHECK(lim.slow_after == 2 && lim.lock_after == 4);
    struct store_login_failure f = {0};
    int64_t t = 5000;
    T_CHECK(auth_throttle_wait(&c, lim, &f, t) == 0);
    auth_throttle_fail(&c, lim, &f, t);
    T_CHECK(auth_throttle_wait(&c, lim, &f, t) == 0); /* one failure: no wait */
    auth_throttle_fail(&c, lim, &f, t);
    T_CHECKF(auth_throttle_wait(&c, lim, &f, t) == 2, "%lld", (long long)auth_throttle_wait(&c, lim, &f, t));
    T_CHECK(auth_throttle_wait(&c, lim, &f, t + 1) == 1 && auth_throttle_wait(&c, lim, &f, t + 2) == 0);
    auth_throttle_fail(&c, lim, &f, t + 2);
    T_CHECK(auth_throttle_wait(&c, lim, &f, t + 2) == 4); /* 2, then 4 */
    auth_throttle_fail(&c, lim, &f, t + 6);                /* the fourth: locked */
    T_CHECK(auth_throttle_wait(&c, lim, &f, t + 6) == 100);
    T_CHECK(auth_throttle_wait(&c, lim, &f, t + 105) == 1);
    T_CHECK(auth_throttle_wait(&c, lim, &f, t + 106) == 0); /* lifted, and counting afresh */
    auth_throttle_fail(&c, lim, &f, t + 106);
    T_CHECK(f.failures == 1 && auth_throttle_wait(&c, lim, &f, t + 106) == 0);
    /* the window forgets */
    auth_throttle_fail(&c, lim, &f, t + 107);
    T_CHECK(auth_throttle_wait(&c, lim, &f, t + 107) == 2);
    T_CHECK(auth_throttle_wait(&c, lim, &f, t + 106 + 1000) == 0);
    auth_throttle_fail(&c, lim, &f, t + 106 + 1000);
    T_CHECK(f.failures == 1);
    /* the address scope has its own limits */
    struct auth_throttle_limits al = auth_throttle_limits(&c, STORE_LOGIN_ADDRESS);
    T_CHECK(al.slow_after == c.address_slow_after && al.lock_after == c.address_lock_after);
}

static void test_throttle_model(void)
{
    size_t steps = 0, refused = 0, locks = 0;
    for (int run = 0; run < 200; run++) {
        struct auth_config c;
        auth_config_default(&c);
        c.account_slow_after = 1 + (int64_t)(next() % 5);
        c.account_lock_after = c.account_slow_after + (int64_t)(next() % 6);
        c.login_slow_max = 1 + (int64_t)(next() % 40);
        c.login_lockout = 1 + (int64_t)(next() % 200);
        c.login_window = 1 + (int64_t)(next() % 300);
        struct auth_throttle_limits lim = auth_throttle_limits(&c, STORE_LOGIN_ACCOUNT);
        struct store_login_failure f = {0};
        struct model m = {0};
        int64_t t = 1000000;
        for (int i = 0; i < 300; i++, steps++) {
            t += (int64_t)(next() % 4 == 0 ? next() % 120 : next() % 4);
            int64_t want = model_wait(&c, lim, &m, t), got = auth_throttle_wait(&c, lim, &f, t);
            T_CHECKF(got == want, "run %d step %d: wait %lld, the model says %lld", run, i,
                     (long long)got, (long long)want);
            if (got != want)
                break;
            if (got > 0) {
                refused++;
                continue; /* refused: not a failure */
            }
            bool was_locked = m.locked_until > t;
            model_fail(&c, lim, &m, t);
            auth_throttle_fail(&c, lim, &f, t);
            locks += !was_locked && m.locked_until > t;
        }
    }
    T_CHECKF(refused > 1000 && locks > 100, "%zu refused, %zu locks: a weak test", refused, locks);
    printf("  throttling: %zu attempts agree with the model (%zu refused, %zu locks)\n", steps,
           refused, locks);
}

/* ---- the login body ---- */

struct body_case {
    const char *body;
    bool form;
    const char *code; /* NULL: accepted */
    const char *param;
};

static void test_login_body(void)
{
    static const struct body_case cases[] = {
        {"{\"name\":\"alice\",\"password\":\"pw\"}", false, NULL, NULL},
        {"{\"username\":\"alice\",\"password\":\"pw\",\"bearer\":true}", false, NULL, NULL},
        {"name=alice&password=p%20w+x&bearer=1", true, NULL, NULL},
        {"csrf_token=abc&name=%E5%BC%A0%E4%B8%89&password=pw", true, NULL, NULL},
        {"", false, "invalid_body", NULL},
        {"{", false, "invalid_json", NULL},
        {"[1]", false, "invalid_body", NULL},
        {"{\"name\":\"a\",\"name\":\"b\",\"password\":\"p\"}", false, "invalid_json", NULL},
        {"{\"name\":\"a\",\"username\":\"b\",\"password\":\"p\"}", false, "duplicate_field",
         "username"},
        {"{\"name\":5,\"password\":\"p\"}", false, "invalid_field", "name"},
        {"{\"name\":\"a\",\"password\":null}", false, "invalid_field", "password"},
        {"{\"name\":\"a\",\"password\":\"p\",\"bearer\":\"yes\"}", false, "invalid_field",
         "bearer"},
        {"{\"name\":\"a\",\"password\":\"p\",\"role\":\"admin\"}", false, "unknown_field", "role"},
        {"{\"password\":\"p\"}", false, "missing_field", "name"},
        {"{\"name\":\"a\"}", false, "missing_field", "password"},
        {"{\"name\":\"a b\",\"password\":\"p\"}", false, "invalid_field", "name"},
        {"{\"name\":\"\",\"password\":\"p\"}", false, "invalid_field", "name"},
        {"{\"name\":\"a\",\"password\":\"\"}", false, "invalid_field", "password"},
        {"{\"name\":\"a\\u0000b\",\"password\":\"p\"}", false, "invalid_json", NULL},
        {"{\"name\":\"\xff\",\"password\":\"p\"}", false, "invalid_json", NULL},
        {"name=a&password=%FF", true, "invalid_utf8", "password"},
        {"name=a%00&password=p", true, "nul_byte", "name"},
        {"name=a&password=p&bearer=2", true, "invalid_field", "bearer"},
        {"name=a&password=p&admin=1", true, "unknown_field", "admin"},
        {"name=a&name=b&password=p", true, "duplicate_parameter", "name"},
        {"password=p", true, "missing_field", "name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct body_case *c = &cases[i];
        struct auth_login_body b;
        struct auth_body_fail f;
        enum geod_err rc = auth_login_parse(c->body, strlen(c->body), c->form, &b, &f);
        if (!c->code) {
            T_CHECKF(rc == GEOD_OK, "%s: refused %s (%s)", c->body, f.code, f.param);
            continue;
        }
        T_CHECKF(rc == GEOD_EINVAL && f.code && strcmp(f.code, c->code) == 0 && f.message &&
                     strcmp(f.param, c->param ? c->param : "") == 0,
                 "%s: %d %s param '%s', want %s '%s'", c->body, rc, f.code ? f.code : "-",
                 f.param, c->code, c->param ? c->param : "");
    }
    /* what an accepted body holds */
    struct auth_login_body b;
    struct auth_body_fail f;
    const char *form = "name=%E5%BC%A0%E4%B8%89&password=p%20w+x&bearer=true";
    T_CHECK(auth_login_parse(form, strlen(form), true, &b, &f) == GEOD_OK &&
            strcmp(b.name, "张三") == 0 && b.password_len == 5 &&
            memcmp(b.password, "p w x", 5) == 0 && b.bearer);
    /* the limits: 64-byte names, 1024-byte passwords */
    char big[1200 + 64];
    for (int name_len = 63; name_len <= 65; name_len++) {
        int n = snprintf(big, sizeof big, "{\"name\":\"%.*s\",\"password\":\"p\"}", name_len,
                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        enum geod_err rc = auth_login_parse(big, (size_t)n, false, &b, &f);
        T_CHECKF(name_len <= 64 ? rc == GEOD_OK
                                : rc && !strcmp(f.code, "field_too_long") && !strcmp(f.param, "name"),
                 "name of %d bytes: %d", name_len, rc);
    }
    for (int pw_len = 1024; pw_len <= 1025; pw_len++) {
        int n = snprintf(big, sizeof big, "{\"name\":\"a\",\"password\":\"");
        memset(big + n, 'p', (size_t)pw_len);
        n += pw_len;
        n += snprintf(big + n, sizeof big - (size_t)n, "\"}");
        enum geod_err rc = auth_login_parse(big, (size_t)n, false, &b, &f);
        T_CHECKF(pw_len <= 1024 ? rc == GEOD_OK && b.password_len == 1024
                                : rc && !strcmp(f.code, "field_too_long"),
                 "password of %d bytes: %d", pw_len, rc);
    }
    char field[64];
    const char *csrf = "a=1&csrf_token=abc%2Bdef";
    T_CHECK(auth_form_field(csrf, strlen(csrf), "csrf_token", field, sizeof field) &&
            strcmp(field, "abc+def") == 0);
    T_CHECK(!auth_form_field(csrf, strlen(csrf), "csrf", field, sizeof field));
    T_CHECK(!auth_form_field("csrf_token=%ZZ", 14, "csrf_token", field, sizeof field));
    T_CHECK(!auth_form_field(csrf, strlen(csrf), "csrf_token", field, 4));
}

static void test_config(void)
{
    struct auth_config c;
    auth_config_default(&c);
    T_CHECK(c.session_idle == 8 * 3600 && c.session_max == 7 * 86400 && c.body_max == 4096);
    char err[512];
    T_CHECK(auth_config_set(&c, "session_idle=3", err, sizeof err) == GEOD_OK &&
            c.session_idle == 3);
    T_CHECK(auth_config_set(&c, "session_idle=0", err, sizeof err) == GEOD_EINVAL &&
            strstr(err, "session_idle") && c.session_idle == 3);
    T_CHECK(auth_config_set(&c, "session_idle=3x", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(auth_config_set(&c, "session_idle", err, sizeof err) == GEOD_EINVAL);
    T_CHECK(auth_config_set(&c, "nonsense=1", err, sizeof err) == GEOD_EINVAL &&
            strstr(err, "login_lockout"));
    char row[160];
    T_CHECK(auth_config_rows() >= 10 && auth_config_row_help(0, row, sizeof row) &&
            !auth_config_row_help(auth_config_rows(), row, sizeof row));
}

static void test_crypto(void)
{
    T_CHECK(auth_crypto_init() == GEOD_OK);
    unsetenv("GEOD_KDF_COST");
    char h[AUTH_PW_HASH_MAX];
    T_CHECK(auth_pw_hash("correct horse", 13, h) == GEOD_OK);
    T_CHECKF(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0, "default cost: %s", h);
    T_CHECK(crypto_pwhash_str_verify(h, "correct horse", 13) == 0);
    T_CHECK(auth_pw_verify(h, "correct horse", 13) && !auth_pw_verify(h, "correct horsE", 13));
    T_CHECK(!auth_pw_verify("not a hash", "x", 1));
    setenv("GEOD_KDF_COST", "min", 1);
    T_CHECK(auth_crypto_weak() && auth_pw_hash("pw", 2, h) == GEOD_OK &&
            strstr(h, "m=8,t=1") && auth_pw_verify(h, "pw", 2));
    unsetenv("GEOD_KDF_COST");
    char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
    auth_token_new(a);
    auth_token_new(b);
    T_CHECK(strlen(a) == AUTH_TOKEN_LEN && auth_token_shape(a, strlen(a)) && strcmp(a, b) != 0);
    T_CHECK(!auth_token_shape(a, AUTH_TOKEN_LEN - 1) && !auth_token_shape("a=b", 3));
    uint8_t got[AUTH_TOKEN_HASH_LEN], want[crypto_generichash_BYTES];
    auth_token_hash(a, AUTH_TOKEN_LEN, got);
    crypto_generichash(want, sizeof want, (const unsigned char *)a, AUTH_TOKEN_LEN, NULL, 0);
    T_CHECK(memcmp(got, want, sizeof want) == 0);
    T_CHECK(auth_equal("abc", 3, "abc", 3) && !auth_equal("abc", 3, "abd", 3) &&
            !auth_equal("abc", 3, "ab", 2));
}

int main(void)
{
    T_RUN(test_may_edit);
    T_RUN(test_throttle_scenario);
    T_RUN(test_throttle_model);
    T_RUN(test_login_body);
    T_RUN(test_config);
    T_RUN(test_crypto);
    return T_END();
}

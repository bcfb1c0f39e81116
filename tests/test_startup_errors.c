/* test_startup_errors.c - `geod serve` ($GEOD_BIN) refusing to start: a store directory that is
 * not there, a store path that is a directory, text, random bytes, an empty file, another
 * application's SQLite database, a truncated or damaged store, a store from a newer geod, an
 * access log that cannot be opened, an address not on this host, and bad option values. Each
 * exits non-zero within seconds with exactly one line on stderr that names the culprit (the
 * file, the option and its value) and no sanitizer report, and leaves the files it was given as
 * they were (no byte changed, no -wal or -shm beside them). A port in use, --threads 0 and 257,
 * --listen nonsense and unknown options are test_api_robust.c's; store_open's own recognition
 * is test_store_recognition.c's. The oracle for "as they were" is a copy taken before. */
#include "data/store.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MS 30000

static struct scratch tmp;

static char *tpath(char *out, size_t cap, const char *name)
{
    return scratch_path(&tmp, out, cap, name);
}

/* A geod store with its schema and no records, made through data/store.c. */
static bool make_store(const char *path)
{
    struct store *s;
    char err[256];
    if (store_open(path, true, &s, err, sizeof err))
        return false;
    store_close(s);
    return true;
}

static bool sql(const char *path, const char *stmt)
{
    sqlite3 *db;
    bool ok = sqlite3_open(path, &db) == SQLITE_OK &&
              sqlite3_exec(db, stmt, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

/* Runs `geod serve --listen 127.0.0.1:0 --rate-limit 0 ARGS...` and checks the refusal: exit
 * status `status` (0: any non-zero), one message line holding `names`, no sanitizer report. */
static void refused(const char *const *args, int status, const char *names, const char *what)
{
    /* the test's arguments last: they override these, and one without a value stays last */
    const char *argv[24] = {"serve", "--listen", "127.0.0.1:0", "--rate-limit", "0"};
    size_t n = 5;
    for (size_t i = 0; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int st;
    char *out = NULL, *err = NULL, sb[32], why[512];
    bool ran = geodproc_run(argv, RUN_MS, &st, &out, &err, NULL);
    T_CHECKF(ran && WIFEXITED(st) && WEXITSTATUS(st) != 0 &&
                 (status == 0 || WEXITSTATUS(st) == status),
             "%s: %s, expected exit %d", what, ran ? geodproc_status_text(st, sb) : "still serving",
             status);
    T_CHECKF(err && geodproc_message_lines(err) == 1 && strstr(err, names),
             "%s: expected one line naming '%s' on stderr, got: %.400s", what, names, err);
    T_CHECKF(err && geodproc_log_ok(err, false, why, sizeof why), "%s: %s", what, why);
    T_CHECKF(out && !*out, "%s: stdout %.200s", what, out);
    free(out);
    free(err);
}

/* ---- the store ---- */

static void test_store_files(void)
{
    char p[PATH_MAX], missing[PATH_MAX], gone[PATH_MAX];
    /* the files */
    char rnd[65536];
    srand(7);
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (char)(rand() & 0xff);
    T_CHECK(scratch_spit(tpath(p, sizeof p, "text.sqlite"), "just some text\n", 15));
    T_CHECK(scratch_spit(tpath(p, sizeof p, "random.sqlite"), rnd, sizeof rnd));
    T_CHECK(scratch_spit(tpath(p, sizeof p, "empty.sqlite"), "", 0));
    T_CHECK(sql(tpath(p, sizeof p, "foreign.sqlite"),
                "CREATE TABLE orders(id INTEGER PRIMARY KEY, item TEXT);"
                "INSERT INTO orders(item) VALUES ('tea');"));
    T_CHECK(make_store(tpath(p, sizeof p, "newer.sqlite")) && sql(p, "PRAGMA user_version = 9999"));
    /* a store cut after its first page, and one whose pages after the first are noise */
    char full[PATH_MAX];
    T_CHECK(make_store(tpath(full, sizeof full, "whole.sqlite")));
    size_t len = 0;
    char *bytes = scratch_slurp(full, &len);
    T_CHECK(bytes && len > 8192);
    if (bytes && len > 8192) {
        T_CHECK(scratch_spit(tpath(p, sizeof p, "truncated.sqlite"), bytes, 4096 + 100));
        for (size_t i = 4096; i < len; i++)
            bytes[i] = rnd[i % sizeof rnd];
        T_CHECK(scratch_spit(tpath(p, sizeof p, "damaged.sqlite"), bytes, len));
    }
    free(bytes);
    T_CHECK(mkdir(tpath(p, sizeof p, "a-directory.sqlite"), 0700) == 0);

    static const char *const files[] = {"text.sqlite",    "random.sqlite",     "empty.sqlite",
                                        "foreign.sqlite", "newer.sqlite",      "truncated.sqlite",
                                        "damaged.sqlite", "a-directory.sqlite"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        tpath(p, sizeof p, files[i]);
        size_t before_len = 0, after_len = 0;
        struct stat st;
        bool dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
        char *before = dir ? NULL : scratch_slurp(p, &before_len);
        const char *args[] = {"--db", p, NULL};
        refused(args, 1, p, files[i]);
        if (!dir) {
            char *after = scratch_slurp(p, &after_len);
            T_CHECKF(before && after && before_len == after_len &&
                         !memcmp(before, after, before_len),
                     "%s: changed by the failed start", files[i]);
            free(after);
        }
        free(before);
        char side[PATH_MAX + 8];
        snprintf(side, sizeof side, "%s-wal", p);
        T_CHECKF(!scratch_exists(side), "%s: a -wal file was left", files[i]);
        snprintf(side, sizeof side, "%s-shm", p);
        T_CHECKF(!scratch_exists(side), "%s: a -shm file was left", files[i]);
    }
    /* a store in a directory that is not there: named, and nothing created */
    snprintf(missing, sizeof missing, "%s/no-such-dir/geod.sqlite", tmp.dir);
    const char *args[] = {"--db", missing, NULL};
    refused(args, 1, "no-such-dir", "a missing store directory");
    snprintf(gone, sizeof gone, "%s/no-such-dir", tmp.dir);
    T_CHECK(!scratch_exists(gone));
    printf("  %zu store files and a missing directory refused, each named, none touched\n",
           sizeof files / sizeof files[0]);
}

/* ---- the options ---- */

static void test_options(void)
{
    char db[PATH_MAX], log[PATH_MAX], store[PATH_MAX];
    /* option errors come before the store is opened: this one is never created */
    tpath(db, sizeof db, "never-created.sqlite");
    static const struct {
        const char *opt, *value, *names;
    } bad[] = {
        {"--threads", "abc", "abc"},
        {"--threads", "-1", "-1"},
        {"--threads", "2x", "2x"},
        {"--rate-limit", "x", "--rate-limit"},
        {"--rate-limit", "5,abc", "5,abc"},
        {"--rate-limit", "-3", "-3"},
        {"--access-log-days", "x", "--access-log-days"},
        {"--access-log-days", "0", "--access-log-days"},
        {"--trusted-proxy", "not-an-address", "not-an-address"},
        {"--trusted-proxy", "10.0.0.0/99", "10.0.0.0/99"},
        {"--auth", "no_such_setting=1", "no_such_setting"},
        {"--auth", "session_idle=abc", "session_idle"},
        {"--cors-origin", "not an origin", "not an origin"},
        {"--listen", "127.0.0.1:99999", "127.0.0.1:99999"},
        {"--listen", "127.0.0.1", "127.0.0.1"},
        {"--listen", "127.0.0.1:http", "127.0.0.1:http"},
        {"--request-timeout", "0", "--request-timeout"},
        {"--request-timeout", "soon", "soon"},
        {"--max-connections", "0", "--max-connections"},
        {"--max-connections", "many", "many"},
    };
    size_t n = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < n; i++) {
        const char *args[] = {"--db", db, bad[i].opt, bad[i].value, NULL};
        char what[128];
        snprintf(what, sizeof what, "%s %s", bad[i].opt, bad[i].value);
        refused(args, 2, bad[i].names, what);
        T_CHECKF(!scratch_exists(db), "%s: the store was created", what);
    }
    /* an option without its value */
    const char *novalue[] = {"--db", db, "--threads", NULL};
    refused(novalue, 2, "--threads", "--threads without a value");

    /* found once the store is open: an access log that cannot be opened, an address that is
     * not this host's */
    T_CHECK(make_store(tpath(store, sizeof store, "ok.sqlite")));
    snprintf(log, sizeof log, "%s/no-such-dir/access.log", tmp.dir);
    const char *alog[] = {"--db", store, "--access-log", log, NULL};
    refused(alog, 1, log, "--access-log in a missing directory");
    const char *away[] = {"--db", store, "--listen", "192.0.2.1:8080", NULL};
    refused(away, 1, "192.0.2.1", "--listen on an address of another host");
    /* more connections than the open-file limit can hold (geod raises its soft limit to the
     * hard one, which the test lowers for it) */
    struct rlimit saved, low;
    T_CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    low = saved;
    low.rlim_cur = low.rlim_max = 1024;
    bool lowered = saved.rlim_max >= 1024 && setrlimit(RLIMIT_NOFILE, &low) == 0;
    if (lowered) {
        /* a child keeps the lowered hard limit; this process gets it back: it is root */
        const char *many[] = {"--db", store, "--max-connections", "5000", NULL};
        refused(many, 1, "--max-connections 5000", "--max-connections over the open-file limit");
    }
    T_CHECKF(lowered, "cannot lower RLIMIT_NOFILE to 1024");
    setrlimit(RLIMIT_NOFILE, &saved);
    printf("  %zu bad option values, an option without value, a bad access log and address\n", n);
}

int main(void)
{
    if (!scratch_new(&tmp, "geod-startup")) {
        printf("cannot make a scratch directory\n");
        return 1;
    }
    T_RUN(test_store_files);
    T_RUN(test_options);
    scratch_free(&tmp);
    return T_END();
}

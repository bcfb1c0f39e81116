/* test_store_recognition.c - data/store.c's store_open on files that are not stores: missing
 * ones, text, random bytes, a bare SQLite header, a truncated store, another application's
 * database, an empty file, a store from a newer geod, a directory. Each is refused with an error
 * naming the path and left exactly as it was (no byte changed, no -wal or -shm file behind); a
 * store with damaged pages opens and loads, or fails cleanly. The store's own round trip is
 * tests/test_store.c's. */
#include "data/store.h"
#include "tests/lib/gen.h"
#include "tests/lib/scratch.h"
#include "tests/t.h"

#include <sqlite3.h>

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#define NREC 200 /* facilities in a real store */
#define ACTOR "测试员 'tester' \"q\""

static struct scratch tmp;              /* every file the tests make */
static struct gen_rng rng = {20240601}; /* every random choice */
static struct gen_fac recs[NREC];

/* tmp's directory/name into out */
static char *tpath(char *out, size_t cap, const char *name)
{
    return scratch_path(&tmp, out, cap, name);
}

struct probe {
    const char *what;
    enum geod_err want;  /* GEOD_OK: any error */
    const char *mention; /* the message must contain it (besides the path) */
};

static void expect_refused(const char *path, const struct probe *p, bool create)
{
    size_t before_len = 0, after_len = 0;
    char *before = scratch_slurp(path, &before_len);
    char wal[600], shm[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    struct store *s = (struct store *)&before_len; /* must be reset to NULL */
    char err[512] = "";
    enum geod_err rc = store_open(path, create, &s, err, sizeof err);
    T_CHECKF(p->want ? rc == p->want : rc != GEOD_OK, "%s (create=%d): %s [%s], want %s", p->what,
             create, geod_strerror(rc), err, p->want ? geod_strerror(p->want) : "an error");
    T_CHECKF(s == NULL, "%s: *out not NULL", p->what);
    if (rc == GEOD_OK)
        store_close(s);
    T_CHECKF(strstr(err, path) != NULL, "%s: message [%s] does not name the path", p->what, err);
    if (p->mention)
        T_CHECKF(strstr(err, p->mention) != NULL, "%s: message [%s] does not mention %s", p->what,
                 err, p->mention);
    char *after = scratch_slurp(path, &after_len);
    T_CHECKF((before == NULL) == (after == NULL), "%s: the file appeared or vanished", p->what);
    if (before && after) {
        size_t i = 0;
        while (i < before_len && i < after_len && before[i] == after[i])
            i++;
        T_CHECKF(before_len == after_len && i == before_len,
                 "%s (create=%d): the file was modified (%zu -> %zu bytes, first change at "
                 "offset %zu)",
                 p->what, create, before_len, after_len, i);
    }
    T_CHECKF(!scratch_exists(wal) && !scratch_exists(shm), "%s: left %s or %s behind", p->what, wal,
             shm);
    free(before);
    free(after);
}

static bool make_small_store(const char *path)
{
    struct store *s = NULL;
    if (store_open(path, true, &s, NULL, 0))
        return false;
    bool ok = store_begin(s) == GEOD_OK;
    for (size_t i = 0; ok && i < NREC; i++) {
        struct store_facility f = gen_store_facility(&recs[i]);
        ok = store_insert_facility(s, &f, ACTOR, NULL) == GEOD_OK;
    }
    ok = ok && store_commit(s) == GEOD_OK;
    store_close(s);
    return ok;
}

static void test_recognition(void)
{
    char path[512];
    struct store *s = (struct store *)path;

    /* missing: not found, and not created */
    tpath(path, sizeof path, "missing.sqlite");
    char err[512] = "";
    T_CHECK(store_open(path, false, &s, err, sizeof err) == GEOD_ENOTFOUND);
    T_CHECK(s == NULL);
    T_CHECKF(strstr(err, path) != NULL, "[%s]", err);
    T_CHECK(!scratch_exists(path));
    tpath(path, sizeof path, "missing-dir/x.sqlite");
    T_CHECK(store_open(path, false, &s, NULL, 0) == GEOD_ENOTFOUND);

    /* a text file */
    tpath(path, sizeof path, "notes.txt");
    const char *text = "这不是数据库\nid,name\n1,x\n";
    T_CHECK(scratch_spit(path, text, strlen(text)));
    for (int create = 0; create < 2; create++)
        expect_refused(path, &(struct probe){"text file", GEOD_ECORRUPT, NULL}, create);

    /* 100 random bytes */
    tpath(path, sizeof path, "random.bin");
    unsigned char rb[100];
    for (size_t i = 0; i < sizeof rb; i++)
        rb[i] = (unsigned char)gen_u64(&rng);
    T_CHECK(scratch_spit(path, rb, sizeof rb));
    expect_refused(path, &(struct probe){"random bytes", GEOD_ECORRUPT, NULL}, false);

    /* 100 bytes that start like SQLite */
    tpath(path, sizeof path, "header-only.bin");
    memcpy(rb, "SQLite format 3", 16);
    T_CHECK(scratch_spit(path, rb, sizeof rb));
    expect_refused(path, &(struct probe){"100 bytes with a SQLite header", GEOD_ECORRUPT, NULL},
                   false);

    /* the first 4096 bytes of a real store */
    char real[512];
    tpath(real, sizeof real, "real.sqlite");
    T_CHECK(make_small_store(real));
    size_t len = 0;
    char *bytes = scratch_slurp(real, &len);
    T_CHECKF(bytes && len > 8192, "real store: %zu bytes", len);
    if (bytes && len > 4096) {
        tpath(path, sizeof path, "truncated.sqlite");
        T_CHECK(scratch_spit(path, bytes, 4096));
        expect_refused(path, &(struct probe){"truncated store", GEOD_ECORRUPT, NULL}, false);
        /* pages overwritten in the middle: an open may or may not notice, but nothing
         * crashes and a load either works or fails cleanly */
        for (size_t page = 1; page < len / 4096 && page < 40; page += 3) {
            char *copy = malloc(len);
            memcpy(copy, bytes, len);
            memset(copy + page * 4096, 0xA5, 4096);
            tpath(path, sizeof path, "damaged.sqlite");
            T_CHECK(scratch_spit(path, copy, len));
            free(copy);
            struct store *d = NULL;
            if (store_open(path, false, &d, NULL, 0) == GEOD_OK) {
                struct snapshot_builder *b = NULL;
                uint64_t gen;
                struct snapshot *snap = NULL;
                T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
                if (store_load(d, b, &gen) == GEOD_OK)
                    T_CHECK(snapshot_builder_finish(b, gen, &snap) == GEOD_OK);
                else
                    snapshot_builder_free(b);
                snapshot_free(snap);
                store_close(d);
            }
        }
    }
    free(bytes);

    /* a SQLite database of another application, in rollback-journal mode as most are */
    tpath(path, sizeof path, "other.db");
    for (int create = 0; create < 2; create++) {
        remove(path);
        sqlite3 *db = NULL;
        T_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        T_CHECK(sqlite3_exec(db,
                             "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT);"
                             "INSERT INTO contacts (name) VALUES ('张三'), ('李四');",
                             NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
        expect_refused(path, &(struct probe){"another application's database", GEOD_ECORRUPT, NULL},
                       create);
    }

    /* an empty SQLite database (0 bytes) with create=false is not a store either */
    tpath(path, sizeof path, "empty.sqlite");
    T_CHECK(scratch_spit(path, "", 0));
    expect_refused(path, &(struct probe){"empty file, create=false", GEOD_ECORRUPT, NULL}, false);

    /* a store from a newer geod */
    tpath(path, sizeof path, "future.sqlite");
    T_CHECK(make_small_store(path));
    sqlite3 *db = NULL;
    T_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    T_CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    expect_refused(path, &(struct probe){"user_version 99", GEOD_OK, "99"}, false);

    /* a directory */
    tpath(path, sizeof path, "a-directory");
    T_CHECK(mkdir(path, 0700) == 0);
    for (int create = 0; create < 2; create++) {
        s = (struct store *)path;
        err[0] = '\0';
        T_CHECK(store_open(path, create, &s, err, sizeof err) != GEOD_OK);
        T_CHECK(s == NULL);
        T_CHECKF(strstr(err, path) != NULL, "[%s]", err);
    }

    /* the real store itself still opens, unchanged in content */
    s = NULL;
    T_CHECK(store_open(real, false, &s, err, sizeof err) == GEOD_OK);
    int64_t count = -1;
    T_CHECK(s && store_facility_count(s, &count) == GEOD_OK && count == 200);
    store_close(s);
}

int main(void)
{
    if (!scratch_new(&tmp, "geod_test_store_recognition")) {
        perror("mkdtemp");
        return 1;
    }
    for (size_t i = 0; i < NREC; i++)
        gen_facility(&rng, &recs[i], i, i ? &recs[i - 1] : NULL);
    T_RUN(test_recognition);
    for (size_t i = 0; i < NREC; i++)
        gen_facility_free(&recs[i]);
    scratch_free(&tmp);
    return T_END();
}

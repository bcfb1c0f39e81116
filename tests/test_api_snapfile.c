/* test_api_snapfile.c - geod serve's snapshot file (DB.snap, geod/snapfile.h) through the real
 * binary ($GEOD_BIN). The oracle is a start without the file (--snapshot-file off) on the same
 * store: a start that maps the file answers a spread of endpoints byte for byte the same. Every
 * way the file can stop matching the store (a write through geod, `geod import`, an UPDATE,
 * INSERT or DELETE from another SQLite connection, a truncated file, a changed byte, another
 * format version, the file of another store) is noticed: the start says why on its "loaded"
 * line, answers as the file-less start, and leaves a file that the next start maps. geod killed
 * (SIGKILL) while it writes the file leaves a store whose next start answers the same. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_MS 180000

static char dir[64], db[128], snap[160], tok[ACCOUNTS_TOKEN];

static const char *const targets[] = {
    "/v1/nearby?lon=114.3055&lat=30.5928&k=20",
    "/v1/nearby?lon=114.3115&lat=30.5903&crs=gcj02&category=hospital,elderly_care&k=7",
    "/v1/nearby?lon=114.2&lat=30.6&k=5&format=msgpack",
    "/v1/nearby?lon=114.3055&lat=30.5928&k=10&format=geojson&out_crs=bd09",
    "/v1/within?lon=114.3055&lat=30.5928&radius=3000&limit=50",
    "/v1/bbox?bbox=113.7,29.97,115.1,31.37",
    "/v1/bbox?bbox=114.1,30.4,114.5,30.7&zoom=12",
    "/v1/bbox?bbox=114.28,30.57,114.32,30.61&zoom=18",
    "/v1/bbox?bbox=114.2,30.5,114.4,30.7&zoom=10&category=community_center&crs=gcj02",
    "/v1/facilities/1",
    "/v1/facilities/100",
    "/v1/facilities/4000",
    "/v1/places/search?q=huangpi",
    "/v1/places/search?q=%E6%B1%9F%E5%B2%B8",
    "/v1/places/reverse?lon=114.3055&lat=30.5928",
    "/v1/shake?lon=114.3055&lat=30.5928",
    "/v1/categories",
    "/v1/enterprises?lon=114.3&lat=30.6",
};
#define NTARGETS (sizeof targets / sizeof *targets)

struct answers {
    char *body[NTARGETS];
    size_t len[NTARGETS];
    int status[NTARGETS];
};

static void answers_free(struct answers *a)
{
    for (size_t i = 0; i < NTARGETS; i++)
        free(a->body[i]);
    memset(a, 0, sizeof *a);
}

/* Starts geod on db with extra arguments, asks every target, stops it cleanly (which waits for a
 * snapshot file being written); *log gets its stderr (may be NULL). */
static bool run(const char *snapfile, struct answers *a, char **log)
{
    struct geodproc g;
    char err[1024];
    const char *extra[] = {"--db", db, snapfile ? "--snapshot-file" : NULL, snapfile, NULL};
    memset(a, 0, sizeof *a);
    if (!geodproc_start_args(&g, NULL, extra, START_MS, err, sizeof err)) {
        T_CHECKF(false, "geod did not start: %s", err);
        geodproc_cleanup(&g);
        return false;
    }
    struct http_client *c = http_client_new(g.port, true, 30000);
    for (size_t i = 0; i < NTARGETS; i++) {
        struct http_resp r = {0};
        if (http_get(c, targets[i], NULL, &r) == HTTP_OK) {
            a->status[i] = r.status;
            a->body[i] = malloc(r.body_len + 1);
            memcpy(a->body[i], r.body, r.body_len + 1);
            a->len[i] = r.body_len;
        }
        http_resp_free(&r);
    }
    http_client_free(c);
    int st;
    T_CHECK(geodproc_stop(&g, 60000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *e = geodproc_stderr(&g), why[256];
    T_CHECKF(geodproc_log_ok(e, true, why, sizeof why), "%s", why);
    if (log)
        *log = e;
    else
        free(e);
    geodproc_cleanup(&g);
    return true;
}

static void same(const struct answers *a, const struct answers *b, const char *when)
{
    for (size_t i = 0; i < NTARGETS; i++)
        T_CHECKF(a->status[i] == b->status[i] && a->len[i] == b->len[i] && a->body[i] &&
                     b->body[i] && !memcmp(a->body[i], b->body[i], a->len[i]),
                 "%s: %s differs (%d, %zu bytes vs %d, %zu bytes)", when, targets[i], a->status[i],
                 a->len[i], b->status[i], b->len[i]);
}

/* A start with the file (which must say `says`, and `also` when not NULL, on its loaded line)
 * against one without. */
static void check_start(const char *when, const char *says, const char *also)
{
    struct answers with, without;
    char *log = NULL;
    if (!run(NULL, &with, &log))
        return;
    T_CHECKF(log && strstr(log, says) && (!also || strstr(log, also)),
             "%s: the log does not say \"%s\": %.600s", when, says, log ? log : "");
    free(log);
    if (run("off", &without, NULL))
        same(&with, &without, when);
    answers_free(&with);
    answers_free(&without);
}

/* The start after something changed: not from the file (for the reason given), the file-less
 * answers, and a file written that the next start maps with the same answers. */
static void check_rebuilt(const char *when, const char *reason)
{
    char says[512];
    snprintf(says, sizeof says, "%s: %s", snap, reason);
    check_start(when, says, ", the index built anew)");
    snprintf(says, sizeof says, "the index from %s)", snap);
    check_start(when, says, NULL);
}

static bool sql(const char *stmt)
{
    sqlite3 *h;
    /* as the sqlite3 shell after `.load mod_spatialite`: the geometry triggers need it */
    bool ok = sqlite3_open(db, &h) == SQLITE_OK && sqlite3_enable_load_extension(h, 1) == SQLITE_OK &&
              sqlite3_load_extension(h, "mod_spatialite", NULL, NULL) == SQLITE_OK &&
              sqlite3_exec(h, stmt, NULL, NULL, NULL) == SQLITE_OK;
    T_CHECKF(ok, "%s: %s", stmt, sqlite3_errmsg(h));
    sqlite3_close(h);
    return ok;
}

static bool copy(const char *from, const char *to)
{
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    return system(cmd) == 0;
}

static void test_setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-snapfile-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/geod.sqlite", dir);
    snprintf(snap, sizeof snap, "%s.snap", db);
    char err[1024];
    T_CHECKF(accounts_add(db, "adm", "admin", NULL, err, sizeof err), "%s", err);
}

/* The first start builds and writes the file; the next maps it and answers the same. */
static void test_warm_equals_cold(void)
{
    struct stat st;
    T_CHECK(stat(snap, &st) != 0);
    check_rebuilt("first start", "No such file or directory");
    T_CHECK(stat(snap, &st) == 0 && st.st_size > 0);
    /* an account added is not what a snapshot holds: the file still serves */
    char err[1024];
    T_CHECKF(accounts_add(db, "w2", "worker", NULL, err, sizeof err), "%s", err);
    char says[512];
    snprintf(says, sizeof says, "the index from %s)", snap);
    check_start("after an account was added", says, NULL);
}

static void test_geod_write(void)
{
    struct geodproc g;
    char err[1024];
    const char *extra[] = {"--db", db, NULL};
    if (!geodproc_start_args(&g, NULL, extra, START_MS, err, sizeof err)) {
        T_CHECKF(false, "geod did not start: %s", err);
        geodproc_cleanup(&g);
        return;
    }
    T_CHECKF(accounts_login(g.port, "adm", true, tok, NULL, err, sizeof err), "%s", err);
    struct http_client *c = http_client_new(g.port, false, 30000);
    char h[512];
    snprintf(h, sizeof h, "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n", tok);
    const char *body = "{\"category\":\"hospital\",\"name\":\"快照测试医院\",\"lon\":114.3056,"
                       "\"lat\":30.5929,\"crs\":\"wgs84\",\"confirm_duplicate\":true}";
    struct http_resp r = {0};
    T_CHECK(http_request(c, "POST", "/v1/facilities", h, body, strlen(body), &r) == HTTP_OK &&
            r.status == 201);
    http_resp_free(&r);
    http_client_free(c);
    int st;
    T_CHECK(geodproc_stop(&g, 60000, &st, NULL) && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    geodproc_cleanup(&g);
    check_rebuilt("after a write through geod", "made by another build or from another state");
}

static void test_import(void)
{
    char csv[128];
    snprintf(csv, sizeof csv, "%s/feed.csv", dir);
    FILE *f = fopen(csv, "w");
    fputs("id,name,category,lon,lat\nA1,导入养老院,elderly_care,114.3050,30.5925\n"
          "A2,导入医院,hospital,114.3,30.6\n",
          f);
    fclose(f);
    const char *args[] = {"import", csv, "--db", db, "--crs", "wgs84", "--source", "snaptest",
                          NULL};
    int st;
    T_CHECK(geodproc_run(args, START_MS, &st, NULL, NULL, NULL) && WIFEXITED(st) &&
            WEXITSTATUS(st) == 0);
    check_rebuilt("after geod import", "made by another build or from another state");
}

static void test_outside_sql(void)
{
    static const char *const edits[] = {
        "UPDATE facility SET name = '外部改名' WHERE id = 100",
        "UPDATE facility SET lon = lon + 0.001 WHERE id = 1",
        "INSERT INTO facility (category, name, lon, lat, source, created_by, created_at, "
        "updated_by, updated_at) VALUES ('shelter', '外部插入', 114.3054, 30.5927, 'sql', 'x', "
        "'2026-11-29T00:00:00Z', 'x', '2026-11-29T00:00:00Z')",
        "DELETE FROM facility WHERE id = 4000",
        "UPDATE division SET name = '外部街道' WHERE level = 'street' AND rowid = "
        "(SELECT min(rowid) FROM division WHERE level = 'street')",
        "UPDATE enterprise SET name = '外部企业' WHERE id = 1",
    };
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++)
        if (sql(edits[i]))
            check_rebuilt(edits[i], "made by another build or from another state");
}

/* The file itself damaged: length, a byte, the format. */
static void test_damaged_file(void)
{
    struct stat st;
    T_CHECK(stat(snap, &st) == 0);
    T_CHECK(truncate(snap, st.st_size / 2) == 0);
    check_rebuilt("a truncated file", "truncated");
    T_CHECK(stat(snap, &st) == 0);
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(snap, "r+b");
        long at = k == 0 ? st.st_size - 1 : k == 1 ? st.st_size / 3 : 200;
        fseek(f, at, SEEK_SET);
        int c = fgetc(f);
        fseek(f, at, SEEK_SET);
        fputc(c ^ 0x10, f);
        fclose(f);
        check_rebuilt("a changed byte", "damaged");
    }
    FILE *f = fopen(snap, "r+b");
    uint32_t format;
    fseek(f, 8, SEEK_SET);
    T_CHECK(fread(&format, 4, 1, f) == 1);
    format++;
    fseek(f, 8, SEEK_SET);
    fwrite(&format, 4, 1, f);
    fclose(f);
    check_rebuilt("another format version", "not a snapshot file of this format");
}

/* Another store's file (the same data but for one change): refused. */
static void test_other_store(void)
{
    char other[96];
    snprintf(other, sizeof other, "%s/other.sqlite", dir);
    T_CHECK(copy(db, other));
    /* make the other store's file: change it, start geod on it once */
    char saved[128];
    snprintf(saved, sizeof saved, "%s", db);
    snprintf(db, sizeof db, "%s", other);
    sql("UPDATE facility SET phone = '027-12345678' WHERE id = 2");
    struct answers a;
    if (run(NULL, &a, NULL))
        answers_free(&a);
    char other_snap[128];
    snprintf(other_snap, sizeof other_snap, "%s.snap", other);
    snprintf(db, sizeof db, "%s", saved);
    T_CHECK(copy(other_snap, snap));
    check_rebuilt("the file of another store", "made by another build or from another state");
}

/* SIGKILL at times spread from the spawn over loading, writing the file and serving: whatever
 * is left at the file's path is whole (the next start maps it) or missing, and the next start
 * answers as a file-less one. */
static void test_killed_while_writing(void)
{
    int left = 0, runs = 0, midway = 0;
    for (int ms = 100; ms <= 4000; ms += ms < 1000 ? 75 : 500) {
        unlink(snap);
        const char *args[] = {"serve", "--db", db, "--listen", "127.0.0.1:0", NULL};
        int st;
        T_CHECK(!geodproc_run(args, ms, &st, NULL, NULL, NULL) && WIFSIGNALED(st) &&
                WTERMSIG(st) == SIGKILL);
        struct stat sb;
        char tmp[200];
        snprintf(tmp, sizeof tmp, "%s.tmp", snap);
        bool whole = stat(snap, &sb) == 0;
        left += whole;
        midway += stat(tmp, &sb) == 0; /* killed while writing it */
        runs++;
        char when[64], says[512];
        snprintf(when, sizeof when, "killed %d ms after the spawn (%s)", ms,
                 whole ? "a file left" : "no file");
        if (whole)
            snprintf(says, sizeof says, "the index from %s)", snap);
        else
            snprintf(says, sizeof says, "%s: No such file or directory", snap);
        check_start(when, says, NULL);
    }
    printf("     %d kills: %d left a file, %d a half-written one beside it\n", runs, left, midway);
}

static void test_cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    T_CHECK(system(cmd) == 0);
}

int main(void)
{
    T_RUN(test_setup);
    T_RUN(test_warm_equals_cold);
    T_RUN(test_geod_write);
    T_RUN(test_import);
    T_RUN(test_outside_sql);
    T_RUN(test_damaged_file);
    T_RUN(test_other_store);
    T_RUN(test_killed_while_writing);
    T_RUN(test_cleanup);
    return T_END();
}

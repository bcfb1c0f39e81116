/* test_store_faults.c - the store's disk fills up, or its file system turns read-only, under a
 * running geod ($GEOD_BIN). Every write endpoint (facility create, patch, delete, revert; login,
 * failed login, logout) then answers 503 store_unavailable saying why, with Retry-After; reads
 * answer exactly what they answered before the fault; nothing that got a 503 is in the store,
 * also when several clients' creates arrive at once (a group commit of them all fails).
 * Disk full: a small tmpfs filled by a filler file; deleting the filler brings writes back in
 * the same process. Read-only: an ext4 image mounted with errors=remount-ro, turned read-only by
 * ext4's trigger_fs_error (Linux refuses `mount -o remount,ro` while geod holds its files open
 * for writing, and refuses remount,rw after an emergency read-only); after geod stops, e2fsck
 * and a fresh mount, a restarted geod has every acknowledged write and writes again.
 * Needs root (mount); a mount that fails is a failure, not a skip. The oracles: the answers
 * before the fault, and the store read with plain SQLite. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/t.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_MS 60000
#define REQUEST_MS 20000
#define JSON_HDR "Content-Type: application/json\r\n"

static char dir[64], seed[128];
static bool seeded;

/* ---- helpers ---- */

static bool copy_synced(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char buf[65536];
    ssize_t n = 0;
    bool ok = in >= 0 && out >= 0;
    while (ok && (n = read(in, buf, sizeof buf)) > 0)
        ok = write(out, buf, (size_t)n) == n;
    ok = ok && n == 0 && fsync(out) == 0; /* on disk before any fault: cp alone is not */
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return ok;
}

static bool run(const char *cmd)
{
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Unmounts dir, lazily when something still holds it. */
static void unmount(const char *path)
{
    if (umount(path) != 0 && errno != EINVAL)
        umount2(path, MNT_DETACH);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A file at path written until the disk says ENOSPC; false if it never did. */
static bool fill(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    static char buf[65536];
    bool full = false;
    for (long i = 0; fd >= 0 && i < 100000; i++) {
        if (write(fd, buf, sizeof buf) < 0) {
            full = errno == ENOSPC;
            break;
        }
    }
    /* a last partial page: tmpfs may take a few more bytes */
    while (full && write(fd, buf, 512) > 0)
        ;
    if (fd >= 0)
        close(fd);
    return full;
}

struct ans {
    int status;
    char body[8192];
    char retry_after[32];
    json_t *js; /* the body parsed, or NULL */
};

static void ans_free(struct ans *a)
{
    json_decref(a->js);
    a->js = NULL;
}

static bool req(uint16_t port, const char *method, const char *target, const char *headers,
                const char *body, struct ans *a)
{
    memset(a, 0, sizeof *a);
    struct http_client *c = http_client_new(port, false, REQUEST_MS);
    struct http_resp r = {0};
    enum http_err e =
        c ? http_request(c, method, target, headers, body, body ? strlen(body) : 0, &r) : HTTP_ESYS;
    if (!e) {
        a->status = r.status;
        snprintf(a->body, sizeof a->body, "%.*s", (int)r.body_len, r.body);
        const char *ra = http_header(&r, "Retry-After");
        snprintf(a->retry_after, sizeof a->retry_after, "%s", ra ? ra : "");
        a->js = json_loadb(r.body, r.body_len, 0, NULL);
    } else {
        snprintf(a->body, sizeof a->body, "%s (%s)", http_strerror(e),
                 c ? http_client_error(c) : "");
    }
    http_resp_free(&r);
    http_client_free(c);
    return !e;
}

static int64_t int_at(const json_t *js, const char *k)
{
    const json_t *v = json_object_get(js, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static const char *err_field(const struct ans *a, const char *k)
{
    return json_string_value(json_object_get(json_object_get(a->js, "error"), k));
}

static int refused_seen; /* 503 answers check_refused saw, for /metrics' failure counter */

/* geod_store_write_failures_total from /metrics, or -1. */
static long failures_metric(uint16_t port)
{
    struct http_client *c = http_client_new(port, false, REQUEST_MS);
    struct http_resp r = {0};
    long v = -1;
    static const char name[] = "\ngeod_store_write_failures_total ";
    if (c && http_get(c, "/metrics", NULL, &r) == HTTP_OK && r.status == 200) {
        const char *p = strstr(r.body, name);
        if (p)
            v = strtol(p + sizeof name - 1, NULL, 10);
    }
    http_resp_free(&r);
    http_client_free(c);
    return v;
}

/* A 503 store_unavailable naming `why` with a Retry-After. */
static void check_refused(const struct ans *a, const char *what, const char *why)
{
    refused_seen += a->status == 503;
    const char *code = err_field(a, "code"), *msg = err_field(a, "message");
    T_CHECKF(a->status == 503 && code && !strcmp(code, "store_unavailable") && msg &&
                 strstr(msg, why) && a->retry_after[0] && atoi(a->retry_after) > 0,
             "%s with the store %s: %d (Retry-After '%s') %.300s", what, why, a->status,
             a->retry_after, a->body);
}

static char *auth_hdr(char *out, size_t cap, const char *tok, const char *more)
{
    snprintf(out, cap, "Authorization: Bearer %s\r\n%s", tok, more ? more : "");
    return out;
}

static void body_of(char *out, size_t cap, const char *name, double lon, double lat)
{
    snprintf(out, cap,
             "{\"category\":\"shelter\",\"name\":\"%s\",\"lon\":%.7f,\"lat\":%.7f,"
             "\"crs\":\"wgs84\",\"confirm_duplicate\":true}",
             name, lon, lat);
}

/* The reads whose answers must not change while the store is sick. */
static const char *const read_targets[] = {
    "/v1/nearby?lon=114.3055&lat=30.5928&k=10", "/v1/shake?lon=114.3055&lat=30.5928",
    "/v1/bbox?bbox=114.27,30.57,114.33,30.61&zoom=14", "/v1/places/reverse?lon=114.3&lat=30.6",
    NULL /* the facility itself, filled in */};
#define NREADS (sizeof read_targets / sizeof read_targets[0])

static void reads_snapshot(uint16_t port, uint32_t id, char (*out)[8192])
{
    for (size_t i = 0; i < NREADS; i++) {
        char t[64];
        const char *target = read_targets[i];
        if (!target) {
            snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id);
            target = t;
        }
        struct ans a;
        bool ok = req(port, "GET", target, NULL, NULL, &a);
        T_CHECKF(ok && a.status == 200, "GET %s: %d %.200s", target, a.status, a.body);
        snprintf(out[i], 8192, "%s", a.body);
        ans_free(&a);
    }
}

static void reads_same(uint16_t port, uint32_t id, char (*before)[8192], const char *when)
{
    static char now[NREADS][8192];
    reads_snapshot(port, id, now);
    for (size_t i = 0; i < NREADS; i++)
        T_CHECKF(!strcmp(now[i], before[i]), "%s: GET %s changed: %.200s", when,
                 read_targets[i] ? read_targets[i] : "/v1/facilities/{id}", now[i]);
}

/* The store at db, read with plain SQLite: how many live facilities are named name, and
 * facility id's version and audit rows. */
struct store_view {
    int named;
    int64_t version, audits, deleted;
};

static bool view(const char *db, const char *name, uint32_t id, struct store_view *v)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    memset(v, 0, sizeof *v);
    v->version = v->audits = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return false;
    }
    bool ok = sqlite3_prepare_v2(h,
                                 "SELECT (SELECT count(*) FROM facility WHERE name = ?1),"
                                 " (SELECT version FROM facility WHERE id = ?2),"
                                 " (SELECT deleted FROM facility WHERE id = ?2),"
                                 " (SELECT count(*) FROM facility_audit WHERE facility_id = ?2)",
                                 -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        ok = sqlite3_step(st) == SQLITE_ROW;
        if (ok) {
            v->named = sqlite3_column_int(st, 0);
            v->version = sqlite3_column_int64(st, 1);
            v->deleted = sqlite3_column_int64(st, 2);
            v->audits = sqlite3_column_int64(st, 3);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return ok;
}

/* Every write endpoint, each expected to be refused for why: create (name refused_name), patch,
 * delete and revert of facility id at version `version`, a login, a failed login, a logout of
 * tok2. */
static void writes_refused(uint16_t port, const char *tok, const char *tok2, uint32_t id,
                           int64_t version, const char *refused_name, const char *why)
{
    char h[512], b[512], t[64], im[64];
    struct ans a;
    body_of(b, sizeof b, refused_name, 114.31, 30.59);
    req(port, "POST", "/v1/facilities", auth_hdr(h, sizeof h, tok, JSON_HDR), b, &a);
    check_refused(&a, "POST /v1/facilities", why);
    ans_free(&a);
    snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id);
    snprintf(im, sizeof im, JSON_HDR "If-Match: \"%lld\"\r\n", (long long)version);
    req(port, "PATCH", t, auth_hdr(h, sizeof h, tok, im), "{\"name\":\"refused-patch\"}", &a);
    check_refused(&a, "PATCH /v1/facilities/{id}", why);
    ans_free(&a);
    req(port, "DELETE", t, auth_hdr(h, sizeof h, tok, im), NULL, &a);
    check_refused(&a, "DELETE /v1/facilities/{id}", why);
    ans_free(&a);
    snprintf(t, sizeof t, "/v1/facilities/%u/revert", (unsigned)id);
    req(port, "POST", t, auth_hdr(h, sizeof h, tok, im), "{\"version\":1}", &a);
    check_refused(&a, "POST /v1/facilities/{id}/revert", why);
    ans_free(&a);
    req(port, "POST", "/v1/login", JSON_HDR,
        "{\"name\":\"adm\",\"password\":\"pw-of-adm-123\",\"bearer\":true}", &a);
    check_refused(&a, "POST /v1/login", why);
    ans_free(&a);
    req(port, "POST", "/v1/login", JSON_HDR,
        "{\"name\":\"adm\",\"password\":\"not the password\",\"bearer\":true}", &a);
    check_refused(&a, "POST /v1/login (wrong password)", why);
    ans_free(&a);
    if (tok2) {
        req(port, "POST", "/v1/logout", auth_hdr(h, sizeof h, tok2, NULL), NULL, &a);
        check_refused(&a, "POST /v1/logout", why);
        ans_free(&a);
    }
    /* and a read that needs the session still answers */
    req(port, "GET", "/v1/me", auth_hdr(h, sizeof h, tok, NULL), NULL, &a);
    T_CHECKF(a.status == 200, "GET /v1/me with the store %s: %d %.200s", why, a.status, a.body);
    ans_free(&a);
}

/* Creates from TOGETHER clients at once (what geod commits as one group): each refused. */
#define TOGETHER 8

struct together {
    uint16_t port;
    const char *tok;
    int no;
    struct ans a;
};

static void *together_main(void *arg)
{
    struct together *t = arg;
    char h[512], b[512], name[32];
    snprintf(name, sizeof name, "refused-together-%d", t->no);
    body_of(b, sizeof b, name, 114.32 + 0.001 * t->no, 30.58);
    req(t->port, "POST", "/v1/facilities", auth_hdr(h, sizeof h, t->tok, JSON_HDR), b, &t->a);
    return NULL;
}

static void writes_refused_together(uint16_t port, const char *tok, const char *why)
{
    static struct together t[TOGETHER];
    pthread_t tid[TOGETHER];
    for (int i = 0; i < TOGETHER; i++) {
        t[i] = (struct together){.port = port, .tok = tok, .no = i};
        T_CHECK(pthread_create(&tid[i], NULL, together_main, &t[i]) == 0);
    }
    for (int i = 0; i < TOGETHER; i++) {
        pthread_join(tid[i], NULL);
        check_refused(&t[i].a, "POST /v1/facilities (clients at once)", why);
        ans_free(&t[i].a);
    }
}

/* POST a facility named name; its id, or 0 with the answer in a. */
static uint32_t create(uint16_t port, const char *tok, const char *name, double lon, double lat)
{
    char h[512], b[512];
    struct ans a;
    body_of(b, sizeof b, name, lon, lat);
    req(port, "POST", "/v1/facilities", auth_hdr(h, sizeof h, tok, JSON_HDR), b, &a);
    uint32_t id = a.status == 201 ? (uint32_t)int_at(a.js, "id") : 0;
    T_CHECKF(id > 0, "POST %s: %d %.300s", name, a.status, a.body);
    ans_free(&a);
    return id;
}

static int64_t patch(uint16_t port, const char *tok, uint32_t id, int64_t version, const char *name)
{
    char h[512], b[256], t[64], im[96];
    struct ans a;
    snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id);
    snprintf(im, sizeof im, JSON_HDR "If-Match: \"%lld\"\r\n", (long long)version);
    snprintf(b, sizeof b, "{\"name\":\"%s\"}", name);
    req(port, "PATCH", t, auth_hdr(h, sizeof h, tok, im), b, &a);
    int64_t v = a.status == 200 ? int_at(a.js, "version") : -1;
    T_CHECKF(v == version + 1, "PATCH %u: %d %.300s", (unsigned)id, a.status, a.body);
    ans_free(&a);
    return v;
}

static bool stop_clean(struct geodproc *g, const char *who)
{
    int st;
    bool stopped = geodproc_stop(g, 20000, &st, NULL);
    char *log = geodproc_stderr(g), why[512], sb[32];
    bool ok = stopped && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
              geodproc_log_ok(log, true, why, sizeof why);
    T_CHECKF(ok, "%s: %s; %s", who, stopped ? geodproc_status_text(st, sb) : "killed",
             stopped ? why : "");
    free(log);
    return ok;
}

/* ---- the seed store ---- */

static void test_seed(void)
{
    snprintf(dir, sizeof dir, "/tmp/geod-faults-XXXXXX");
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(seed, sizeof seed, "%s/seed.sqlite", dir);
    char err[1024];
    seeded = accounts_add(seed, "adm", "admin", NULL, err, sizeof err);
    T_CHECKF(seeded, "%s", err);
}

/* ---- disk full ---- */

static void test_disk_full(void)
{
    if (!seeded)
        return;
    char mnt[128], db[192], filler[192], opts[64], err[1024];
    snprintf(mnt, sizeof mnt, "%s/full", dir);
    snprintf(db, sizeof db, "%s/geod.sqlite", mnt);
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    /* the store and 8 MB for its WAL and the filler */
    snprintf(opts, sizeof opts, "size=%ldk", (file_size(seed) + (8l << 20)) / 1024);
    T_CHECK(mkdir(mnt, 0700) == 0);
    bool mounted = mount("tmpfs", mnt, "tmpfs", 0, opts) == 0;
    T_CHECKF(mounted, "mount -t tmpfs -o %s tmpfs %s: %s (this test needs root)", opts, mnt,
             strerror(errno));
    if (!mounted)
        return;
    struct geodproc g = {0};
    const char *extra[] = {"--db", db, NULL};
    bool up =
        copy_synced(seed, db) && geodproc_start_args(&g, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(up, "geod on the tmpfs: %s", err);
    char tok[ACCOUNTS_TOKEN], tok2[ACCOUNTS_TOKEN];
    if (up && accounts_login(g.port, "adm", true, tok, NULL, err, sizeof err) &&
        accounts_login(g.port, "adm", true, tok2, NULL, err, sizeof err)) {
        /* a facility at version 2, so that revert has a version to go back to */
        uint32_t id = create(g.port, tok, "fault-a", 114.3061, 30.5931);
        int64_t v = id ? patch(g.port, tok, id, 1, "fault-a2") : -1;
        static char before[NREADS][8192];
        reads_snapshot(g.port, id, before);

        T_CHECK(fill(filler));
        long failures0 = failures_metric(g.port);
        refused_seen = 0;
        writes_refused(g.port, tok, tok2, id, v, "refused-full", "disk is full");
        reads_same(g.port, id, before, "disk full");
        /* again: a refused write left the connection usable and still refuses */
        writes_refused(g.port, tok, NULL, id, v, "refused-full2", "disk is full");
        writes_refused_together(g.port, tok, "disk is full");
        /* /metrics counted each refusal */
        long failures1 = failures_metric(g.port);
        T_CHECKF(failures0 == 0 && refused_seen > 0 && failures1 - failures0 == refused_seen,
                 "geod_store_write_failures_total %ld -> %ld, %d refusals seen", failures0,
                 failures1, refused_seen);

        /* space returns: the same process writes again */
        T_CHECK(unlink(filler) == 0);
        uint32_t id2 = create(g.port, tok, "after-full", 114.3071, 30.5941);
        int64_t v2 = patch(g.port, tok, id, v, "fault-a3");
        struct ans a;
        char h[512];
        req(g.port, "POST", "/v1/logout", auth_hdr(h, sizeof h, tok2, NULL), NULL, &a);
        T_CHECKF(a.status == 200, "logout after the disk full: %d %.200s", a.status, a.body);
        ans_free(&a);
        char t3[ACCOUNTS_TOKEN];
        T_CHECKF(accounts_login(g.port, "adm", true, t3, NULL, err, sizeof err),
                 "login after the disk full: %s", err);
        /* the writes acknowledged after are served */
        char t[64];
        snprintf(t, sizeof t, "/v1/facilities/%u", (unsigned)id2);
        req(g.port, "GET", t, NULL, NULL, &a);
        const char *name = json_string_value(json_object_get(a.js, "name"));
        T_CHECKF(a.status == 200 && name && !strcmp(name, "after-full"), "GET %s: %d %.200s", t,
                 a.status, a.body);
        ans_free(&a);

        /* the store: the refused writes left nothing, the acknowledged ones are there */
        struct store_view sv;
        T_CHECK(view(db, "refused-full", id, &sv));
        T_CHECKF(sv.named == 0 && sv.version == v2 && v2 == 3 && sv.deleted == 0 && sv.audits == 3,
                 "refused-full: %d rows; facility %u version %lld (expected 3), deleted %lld, "
                 "%lld audit rows (expected 3)",
                 sv.named, (unsigned)id, (long long)sv.version, (long long)sv.deleted,
                 (long long)sv.audits);
        T_CHECK(view(db, "refused-full2", id, &sv) && sv.named == 0);
        T_CHECK(view(db, "refused-patch", id, &sv) && sv.named == 0);
        for (int i = 0; i < TOGETHER; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "refused-together-%d", i);
            T_CHECKF(view(db, nm, id, &sv) && sv.named == 0, "%s is in the store", nm);
        }
        T_CHECK(view(db, "after-full", id, &sv) && sv.named == 1);
        stop_clean(&g, "geod after the disk full");
    } else if (up) {
        T_CHECKF(false, "%s", err);
    }
    geodproc_kill(&g);
    geodproc_cleanup(&g);
    unmount(mnt);
    rmdir(mnt);
}

/* ---- read-only ---- */

/* The block device mounted at path ("loop3"), from /proc/self/mountinfo. */
static bool device_of(const char *path, char *out, size_t cap)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[1024];
    bool found = false;
    while (f && fgets(line, sizeof line, f)) {
        char mp[512], src[256];
        /* id parent major:minor root mountpoint options ... - fstype source superoptions */
        const char *dash = strstr(line, " - ");
        if (sscanf(line, "%*s %*s %*s %*s %511s", mp) == 1 && !strcmp(mp, path) && dash &&
            sscanf(dash + 3, "%*s %255s", src) == 1 && !strncmp(src, "/dev/", 5)) {
            snprintf(out, cap, "%s", src + 5);
            found = true;
        }
    }
    if (f)
        fclose(f);
    return found;
}

static void test_read_only(void)
{
    if (!seeded)
        return;
    char img[128], mnt[128], db[192], cmd[1024], dev[256], trig[384], err[1024];
    snprintf(img, sizeof img, "%s/ext4.img", dir);
    snprintf(mnt, sizeof mnt, "%s/ro", dir);
    snprintf(db, sizeof db, "%s/geod.sqlite", mnt);
    T_CHECK(mkdir(mnt, 0700) == 0);
    snprintf(cmd, sizeof cmd,
             "truncate -s %ldk %s && mkfs.ext4 -q -F %s && mount -o loop,errors=remount-ro %s %s",
             (2 * file_size(seed) + (16l << 20)) / 1024, img, img, img, mnt);
    bool mounted = run(cmd) && device_of(mnt, dev, sizeof dev);
    T_CHECKF(mounted, "%s: failed (this test needs root and a loop device)", cmd);
    if (!mounted)
        return;
    snprintf(trig, sizeof trig, "/sys/fs/ext4/%s/trigger_fs_error", dev);
    struct geodproc g = {0};
    const char *extra[] = {"--db", db, NULL};
    bool up =
        copy_synced(seed, db) && geodproc_start_args(&g, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(up, "geod on ext4: %s", err);
    char tok[ACCOUNTS_TOKEN];
    uint32_t id = 0;
    if (up && accounts_login(g.port, "adm", true, tok, NULL, err, sizeof err)) {
        id = create(g.port, tok, "ro-a", 114.3062, 30.5932);
        T_CHECK(id && patch(g.port, tok, id, 1, "ro-a") == 2);
        static char before[NREADS][8192];
        reads_snapshot(g.port, id, before);
        /* the file system turns read-only under geod, as ext4 does after an error */
        FILE *f = fopen(trig, "w");
        bool triggered = f && fputs("1", f) >= 0;
        triggered = (f && fclose(f) == 0) && triggered;
        T_CHECKF(triggered, "cannot write %s: %s", trig, strerror(errno));
        writes_refused(g.port, tok, NULL, id, 2, "refused-ro", "read-only");
        reads_same(g.port, id, before, "read-only");
        stop_clean(&g, "geod on a read-only file system");
    } else if (up) {
        T_CHECKF(false, "%s", err);
    }
    geodproc_kill(&g);
    geodproc_cleanup(&g);
    unmount(mnt);
    if (!up || !id)
        return;
    /* the operator's repair: check the file system, mount it again, start geod again */
    snprintf(cmd, sizeof cmd, "e2fsck -fy %s >/dev/null 2>&1; mount -o loop %s %s", img, img, mnt);
    T_CHECKF(run(cmd), "%s: failed", cmd);
    struct store_view sv;
    T_CHECKF(view(db, "refused-ro", id, &sv) && sv.named == 0 && sv.version == 2 && sv.audits == 2,
             "after the repair: refused-ro %d rows, facility %u version %lld, %lld audit rows",
             sv.named, (unsigned)id, (long long)sv.version, (long long)sv.audits);
    T_CHECK(view(db, "ro-a", id, &sv) && sv.named == 1);
    struct geodproc g2 = {0};
    up = geodproc_start_args(&g2, NULL, extra, START_MS, err, sizeof err);
    T_CHECKF(up, "geod after the repair: %s", err);
    if (up && accounts_login(g2.port, "adm", true, tok, NULL, err, sizeof err)) {
        T_CHECK(patch(g2.port, tok, id, 2, "ro-a3") == 3);
        T_CHECK(create(g2.port, tok, "after-ro", 114.3072, 30.5942) > 0);
        stop_clean(&g2, "geod after the repair");
    }
    geodproc_kill(&g2);
    geodproc_cleanup(&g2);
    unmount(mnt);
}

int main(void)
{
    T_RUN(test_seed);
    T_RUN(test_disk_full);
    T_RUN(test_read_only);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (dir[0] && seeded)
        run(cmd);
    return T_END();
}

/* placefix.c - the shared fixture of the place API tests: geod started (from the kept store when
 * it is fresh), the oracles loaded, the error and msgpack fetches, and the stop. See placefix.h. */
#include "tests/lib/placefix.h"

#include "tests/lib/mpjson.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the kept store ---- */

/* Where the kept store lives: next to the geod binary under test. */
static bool kept_path(char *path, size_t len)
{
    int n = snprintf(path, len, "%s-places.sqlite", geodproc_bin());
    return n > 0 && (size_t)n < len;
}

static bool newer(struct timespec a, struct timespec b)
{
    return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* Is there a kept store written after the geod binary was (so by this very binary)? */
static bool kept_store(char *path, size_t len)
{
    struct stat bin, kept;
    return kept_path(path, len) && stat(geodproc_bin(), &bin) == 0 && stat(path, &kept) == 0 &&
           S_ISREG(kept.st_mode) && newer(kept.st_mtim, bin.st_mtim);
}

static bool copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = in >= 0 && out >= 0;
    char buf[65536];
    ssize_t n;
    while (ok && (n = read(in, buf, sizeof buf)) != 0)
        ok = n > 0 && write(out, buf, (size_t)n) == n;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        ok = false;
    return ok;
}

/* Copies the store of a geod that exited cleanly (which left it whole in its one file, no -wal
 * beside it) to a temporary name beside the kept path and renames it there, so that a reader
 * never sees half a store. */
static void keep_store(const struct pf_fixture *f)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32], wal[PATH_MAX + 8];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", f->geod.db);
    if (!kept_path(path, sizeof path) || (stat(wal, &st) == 0 && st.st_size > 0))
        return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (copy_file(f->geod.db, tmp) && rename(tmp, path) == 0)
        printf("  kept the store as %s for the next place tests\n", path);
    else
        unlink(tmp);
}

/* ---- start ---- */

void pf_init(struct pf_fixture *f)
{
    memset(f, 0, sizeof *f);
    f->geod.out_fd = -1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    const char *seed = getenv("GEOD_TEST_SEED");
    f->rng.s = seed ? strtoull(seed, NULL, 10) : 1;
    printf("  geod under test: %s, seed %llu\n", geodproc_bin(), (unsigned long long)f->rng.s);
    f->t0 = geodproc_now();
}

bool pf_start(struct pf_fixture *f, bool oracles, char why[PF_WHY])
{
    char err[PF_WHY / 2], seed[PATH_MAX], pcwhy[PC_WHY];
    double t0 = geodproc_now();
    why[0] = '\0';
    f->seeded = kept_store(seed, sizeof seed);
    if (!geodproc_start(&f->geod, f->seeded ? seed : NULL, PF_START_MS, err, sizeof err)) {
        snprintf(why, PF_WHY, "geod did not start%s%.300s: %s", f->seeded ? " on a copy of " : "",
                 f->seeded ? seed : "", err);
        return false;
    }
    double started = geodproc_now() - t0;
    bool loaded = true;
    if (!oracles) { /* oracle_distance needs only the ellipsoid */
        geod_init(&f->orc.g, 6378137, 1 / 298.257223563);
    } else if (!(loaded = oracle_load(&f->orc, f->geod.db, err, sizeof err))) {
        snprintf(why, PF_WHY, "cannot read the store: %s", err);
    } else if (!(loaded = pc_open(&f->pc, f->geod.db, pcwhy))) {
        snprintf(why, PF_WHY, "cannot read the divisions with SpatiaLite: %s", pcwhy);
    }
    f->hc = http_client_new(f->geod.port, true, PF_REQUEST_MS);
    f->up = loaded && f->hc && (!oracles || (f->orc.n > 1000 && f->pc.n > 1000));
    if (!f->up && !why[0])
        snprintf(why, PF_WHY, "setup failed (%zu facilities, %zu divisions)", f->orc.n, f->pc.n);
    if (oracles)
        printf("  geod: port %u, %zu facilities, %zu divisions, started in %.1f s (%s)\n",
               f->geod.port, f->orc.n, f->pc.n, started,
               f->seeded ? "a copy of the kept store" : "a new store");
    else
        printf("  geod: port %u, serving %zu facilities (no oracles loaded), started in %.1f s "
               "(%s)\n",
               f->geod.port, f->geod.facilities, started,
               f->seeded ? "a copy of the kept store" : "a new store");
    return f->up;
}

/* ---- fetches ---- */

bool pf_is_error(struct pf_fixture *f, const char *target, const char *code, const char *param,
                 char why[PF_WHY])
{
    struct ac_answer a;
    char w[AC_WHY];
    bool ok = ac_get(f->hc, target, NULL, &a, w);
    if (!ok)
        snprintf(why, PF_WHY, "%s", w);
    else if (!(ok = ac_is_error(&a, 400, code, param, w)))
        snprintf(why, PF_WHY, "%s: %s", target, w);
    ac_answer_free(&a);
    return ok;
}

bool pf_msgpack(struct pf_fixture *f, const char *url, const struct ac_answer *js, bool *equal,
                char why[PF_WHY])
{
    char mp_url[1024], w[AC_WHY] = "";
    struct ac_answer m;
    snprintf(mp_url, sizeof mp_url, "%s&format=msgpack", url);
    bool got = ac_get(f->hc, mp_url, NULL, &m, w);
    bool typed = got && !strcmp(ac_content_type(&m), "application/msgpack");
    bool ok = typed && m.status == js->status && mpjson_equal(js->json, m.json, w, sizeof w);
    bool smaller = !ok || m.r.body_len < js->r.body_len;
    if (!got)
        snprintf(why, PF_WHY, "%s", w);
    else if (!typed)
        snprintf(why, PF_WHY, "%s: msgpack differs from JSON: Content-Type %s", mp_url,
                 ac_content_type(&m));
    else if (!ok && m.status != js->status)
        snprintf(why, PF_WHY, "%s: msgpack differs from JSON: status %d, JSON %d", mp_url, m.status,
                 js->status);
    else if (!ok)
        snprintf(why, PF_WHY, "%s: msgpack differs from JSON %s", mp_url, w);
    else if (!smaller)
        snprintf(why, PF_WHY, "%s: msgpack %zu bytes, JSON %zu", mp_url, m.r.body_len,
                 js->r.body_len);
    *equal = ok;
    f->mp_checked += ok;
    ac_answer_free(&m);
    return ok && smaller;
}

double pf_box_lon(struct pf_fixture *f)
{
    return PF_BOX_W + ac_urand(&f->rng) * (PF_BOX_E - PF_BOX_W);
}

double pf_box_lat(struct pf_fixture *f)
{
    return PF_BOX_S + ac_urand(&f->rng) * (PF_BOX_N - PF_BOX_S);
}

/* ---- the end ---- */

void pf_stop(struct pf_fixture *f, struct pf_stop *s)
{
    http_client_free(f->hc);
    f->hc = NULL;
    int st;
    double secs;
    char sb[32];
    memset(s, 0, sizeof *s);
    bool exited = geodproc_stop(&f->geod, 10000, &st, &secs);
    s->exited = exited && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    snprintf(s->exit_why, sizeof s->exit_why, "geod after SIGTERM: %s after %.1f s",
             exited ? geodproc_status_text(st, sb) : "killed", secs);
    char *log = geodproc_stderr(&f->geod);
    s->clean = geodproc_log_ok(log, true, s->log_why, sizeof s->log_why);
    free(log);
    f->stopped = s->exited && s->clean;
    printf("  main geod: exit %d %.2f s after SIGTERM, stderr %s\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, secs, s->clean ? "clean" : "NOT clean");
}

void pf_finish(struct pf_fixture *f, bool failed)
{
    if (!failed && f->stopped && !f->seeded)
        keep_store(f);
    if (failed && f->geod.dir[0])
        printf("  kept %s\n", f->geod.dir);
    else
        geodproc_cleanup(&f->geod);
    geodproc_kill(&f->geod);
    oracle_free(&f->orc);
    pc_close(&f->pc);
    http_client_free(f->hc);
    f->hc = NULL;
    printf("  total %.1f s\n", geodproc_now() - f->t0);
}

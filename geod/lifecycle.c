/* lifecycle.c - a store from nothing (the built-in data, renamed into place when complete), the
 * pinyin tables, and a snapshot from an open store. */
#include "data/log.h"
#include "geod/lifecycle.h"
#include "geod/snapfile.h"
#include "data/pinyin_data.h"
#include "data/store_auth.h"
#include "data/store_enterprise.h"
#include "importers/builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double geod_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void remove_db_files(const char *path)
{
    char p[PATH_MAX + 8];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* Builds a new store beside the final path and renames it into place, so that a store that
 * exists is always complete, even if geod is killed while creating it. */
int geod_create_store(const char *path)
{
    char tmp[PATH_MAX], err[512] = "";
    if (snprintf(tmp, sizeof tmp, "%s.creating", path) >= (int)sizeof tmp) {
        log_error("store path too long: %s", path);
        return 1;
    }
    /* a directory that is not there is the operator's typo: say so, not SQLite's "unable to
     * open database file" about a temporary name */
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
             slash ? path : ".");
    struct stat ds;
    int src = stat(dir, &ds);
    if (src != 0 || !S_ISDIR(ds.st_mode)) {
        fprintf(stderr, "geod: cannot create the store %s: %s %s\n", path, dir,
                src != 0 && errno == ENOENT ? "does not exist"
                : src != 0                  ? strerror(errno)
                                            : "is not a directory");
        return 1;
    }
    remove_db_files(tmp);
    double t0 = geod_now();
    struct store *s;
    struct builtin_stats st;
    if (store_open(tmp, true, &s, err, sizeof err)) {
        log_error("cannot create the store: %s", err);
        return 1;
    }
    if (builtin_load(s, &st, err, sizeof err)) {
        log_error("cannot load the built-in data: %s", err);
        store_close(s);
        remove_db_files(tmp);
        return 1;
    }
    store_close(s); /* checkpoints the WAL into the file */
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0 || rename(tmp, path) != 0) {
        log_error("cannot put the new store at %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        remove_db_files(tmp);
        return 1;
    }
    close(fd);
    log_info("created %s with the built-in Wuhan data: %zu divisions (%zu with a boundary), "
             "%zu street offices, %zu community centres, %zu hospitals (%zu suspect records left "
             "out), %zu synthetic facilities, %zu synthetic welfare enterprises (%.2f s)",
             path, st.divisions, st.boundaries, st.street_offices, st.community_centers,
             st.hospitals, st.hospitals_suspect, st.synthetic, st.enterprises, geod_now() - t0);
    return 0;
}

void geod_raise_nofile(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

int geod_load_pinyin(struct geod_pinyin *p)
{
    struct pinyin_data_blob u = pinyin_data_unihan(), o = pinyin_data_overrides();
    size_t line = 0;
    if (pinyin_table_new(u.data, u.len, &p->table) ||
        pinyin_overrides_new(p->table, o.data, o.len, &p->overrides, &line)) {
        log_error("the built-in pinyin tables are damaged (line %zu)", line);
        pinyin_table_free(p->table);
        return 1;
    }
    return 0;
}

void geod_pinyin_free(struct geod_pinyin *p)
{
    pinyin_overrides_free(p->overrides);
    pinyin_table_free(p->table);
    p->overrides = NULL;
    p->table = NULL;
}

int geod_snapshot_from(struct store *s, const char *path, const char *snap_path,
                       const struct geod_pinyin *py, struct snapshot **out)
{
    double t0 = geod_now();
    struct snapshot_builder *b;
    struct divisions_builder *db = NULL;
    struct enterprises_builder *eb = NULL;
    struct divisions *div = NULL;
    uint64_t gen = 0, egen = 0;
    int64_t bad_id = 0;
    /* read first: the snapshot holds at least everything up to these (a commit landing while it
     * loads is noticed again by the reloader, never lost) */
    int64_t seq[2] = {0, 0};
    if (store_content_version(s, seq)) {
        log_error("cannot read %s: %s", path, store_errmsg(s));
        return 1;
    }
    /* the key too is read before the records: a file keyed with it holds them or newer ones,
     * and the store never has that stamp again once anything changed */
    struct snapshot_file_key key;
    bool keyed = snap_path && geod_snapfile_key(s, &key) == 0;
    bool mapped = false;
    enum geod_err rc = snapshot_builder_new(&b);
    if (!rc && !(rc = divisions_builder_new(&db)) && !(rc = store_load_divisions(s, db))) {
        rc = divisions_builder_finish(db, &div);
        db = NULL;
    }
    divisions_builder_free(db);
    if (!rc) {
        snapshot_builder_divisions(b, div);
        snapshot_builder_pinyin(b, py->table, py->overrides);
    }
    if (!rc && !(rc = enterprises_builder_new(&eb)) &&
        (rc = store_load_enterprises(s, eb, &egen, &bad_id))) {
        enterprises_builder_free(eb);
        if (rc == GEOD_ECORRUPT)
            log_error("cannot load %s: enterprise %lld is not a valid record", path,
                      (long long)bad_id);
        else
            log_error("cannot load the enterprises of %s: %s (%s)", path, geod_strerror(rc),
                      store_errmsg(s));
        snapshot_builder_free(b);
        return 1;
    }
    if (!rc)
        snapshot_builder_enterprises(b, eb);
    char why[128] = "";
    if (!rc && keyed && geod_snapfile_load(snap_path, &key, b, why, sizeof why) == 0) {
        mapped = true;
        gen = (uint64_t)seq[0]; /* what store_load reads: the last facility audit seq */
    } else if (!rc && (rc = store_load(s, b, &gen))) {
        log_error("cannot load %s: %s (%s)", path, geod_strerror(rc), store_errmsg(s));
        snapshot_builder_free(b);
        return 1;
    }
    /* both counters only grow, so their sum does with every audited change */
    if (rc || (rc = snapshot_builder_finish(b, gen + egen, out))) {
        log_error("cannot build the index: %s", geod_strerror(rc));
        return 1;
    }
    (*out)->seq[0] = seq[0];
    (*out)->seq[1] = seq[1];
    char how[PATH_MAX + 160] = "";
    if (mapped)
        snprintf(how, sizeof how, "; the index from %s", snap_path);
    else if (keyed)
        snprintf(how, sizeof how, "; %s: %s, the index built anew", snap_path, why);
    log_info("loaded %zu facilities, %zu divisions and %zu enterprises from %s, %.1f MB "
             "(%.3f s%s)",
             (*out)->n, (*out)->div->n, (*out)->ent->n, path, (double)snapshot_bytes(*out) / 1e6,
             geod_now() - t0, how);
    if (keyed && !mapped)
        geod_snapfile_save(snap_path, &key, *out);
    return 0;
}

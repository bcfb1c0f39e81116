/* test_import_crash.c - `geod import` killed with SIGKILL while it writes (its progress says
 * "wrote": inside the transaction, in bulk mode, SpatiaLite's triggers dropped and the spatial
 * index not yet rebuilt). After the crash the store is as it was before the import: the same
 * records, not one of the feed's, SpatiaLite's triggers word for word, a sound R*Tree
 * (rtreecheck) and database (integrity_check); and the next import works. The oracle is the
 * store as read before the import, on the test's own SpatiaLite connection. */
#include "tests/lib/geodproc.h"
#include "tests/lib/importrun.h"
#include "tests/lib/scratch.h"
#include "tests/lib/storecheck.h"
#include "tests/t.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIX "tests/data/import/"
#define ROWS 100000

static struct scratch sc;
static char db[512], feed[512], log_path[512], report[512];

/* What must survive: records, triggers, index soundness, as one string. */
static char *state(void)
{
    struct sc_conn c;
    char why[SC_WHY];
    if (!sc_open(&c, db, SQLITE_OPEN_READONLY, why))
        return NULL;
    char *out = malloc(1 << 17);
    size_t len = 0;
    const char *const q[] = {
        "SELECT count(*) || ' facilities, ' || max(id) || ' last id, ' || total(version) FROM"
        " facility",
        "SELECT count(*) || ' audit rows' FROM facility_audit",
        "SELECT count(*) || ' from the feed' FROM facility WHERE source = 'crash'",
        "SELECT group_concat(name || ':' || sql, ';') FROM (SELECT name, sql FROM sqlite_master"
        " WHERE type = 'trigger' ORDER BY name)",
        "SELECT rtreecheck('idx_facility_geom')",
        "SELECT count(*) || ' index entries' FROM idx_facility_geom",
        "PRAGMA integrity_check",
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        char v[1 << 15] = "";
        if (!sc_text(c.db, q[i], v, sizeof v))
            snprintf(v, sizeof v, "(no answer to %s)", q[i]);
        len += (size_t)snprintf(out + len, (1 << 17) - len, "%s\n", v);
    }
    sc_close(&c, why);
    return out;
}

static void test_killed_while_writing(void)
{
    char *err;
    T_CHECK(importrun(db, &err, FIX "facilities.csv", "--crs", "wgs84", "--report", report,
                      NULL) == 0); /* the store */
    free(err);
    FILE *f = fopen(feed, "w");
    T_CHECK(f);
    if (!f)
        return;
    fputs("id,name,category,lon,lat\n", f);
    for (int i = 0; i < ROWS; i++)
        fprintf(f, "C%06d,设施%d,shelter,%.6f,%.6f\n", i, i, 114.0 + (i % 997) * 7e-4,
                30.3 + (i % 991) * 6e-4);
    fclose(f);
    char *before = state();
    T_CHECK(before && strstr(before, "\nok\n"));

    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execl(geodproc_bin(), geodproc_bin(), "import", feed, "--db", db, "--crs", "wgs84",
              "--source", "crash", "--report", report, (char *)NULL);
        _exit(127);
    }
    /* wait until it writes, then kill it */
    bool writing = false;
    double t0 = geodproc_now();
    while (!writing && geodproc_now() - t0 < 300) {
        usleep(20000);
        size_t n;
        char *log = scratch_slurp(log_path, &n);
        writing = log && strstr(log, "import: wrote");
        free(log);
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break; /* it finished first: the test could not kill it in time */
    }
    T_CHECKF(writing, "never saw the import writing");
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    char *after = state();
    T_CHECKF(before && after && strcmp(before, after) == 0, "before:\n%s\nafter:\n%s",
             before ? before : "", after ? after : "");
    free(after);
    /* and the store takes the next import */
    T_CHECK(importrun(db, &err, FIX "facilities.csv", "--crs", "wgs84", "--source", "next",
                      "--report", report, NULL) == 0);
    T_CHECKF(err && strstr(err, "5 inserted"), "%s", err);
    free(err);
    after = state();
    T_CHECK(after && strstr(after, "\nok\n") && strstr(after, "0 from the feed"));
    free(after);
    free(before);
}

int main(void)
{
    if (!scratch_new(&sc, "geod-import-crash"))
        return 1;
    scratch_path(&sc, db, sizeof db, "geod.sqlite");
    scratch_path(&sc, feed, sizeof feed, "feed.csv");
    scratch_path(&sc, log_path, sizeof log_path, "stderr.txt");
    scratch_path(&sc, report, sizeof report, "report.txt");
    T_RUN(test_killed_while_writing);
    scratch_free(&sc);
    return T_END();
}

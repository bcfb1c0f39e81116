/* bench_import.c - `make bench`, part two: how fast `geod import` takes a large CSV feed, next to
 * SQLite's own CSV import of the same file in the same run. It writes a deterministic feed (the
 * clustered points of gen.c as facilities of six categories, with Chinese names and addresses,
 * a changed copy and a shortened copy), then times the release binary (build/geod) as a user
 * runs it, on a store created beforehand:
 *   new       the whole feed as a new source (every record inserted, audited, indexed)
 *   again     the same feed again (every record compared, none written)
 *   changed   1 % of the records moved or renamed, 0.5 % gone (--delete-missing)
 * and, as the floor for "CSV into SQLite", the sqlite3 shell's `.import` of the same file into a
 * plain table with no index, no checks and no audit (skipped when there is no sqlite3 shell).
 * Each run's wall time, CPU time (its rusage) and peak memory are reported; speed is never
 * asserted: the exit status is 1 only when a run fails or its counts are wrong. */
#include "bench/gen.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *const categories[] = {"elderly_care", "养老机构",     "relief_station",
                                          "shelter",      "日间照料中心", "hospital"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The feed: record i of n (generation g moves or renames 1 % of them; `drop` leaves every
 * 200th out). */
static bool write_feed(const char *path, const struct gen_point *p, size_t n, int g, bool drop)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fputs("编号,名称,类别,地址,电话,开放时间,经度,纬度\n", f);
    for (size_t i = 0; i < n; i++) {
        if (drop && i % 200 == 7)
            continue;
        bool moved = g && i % 100 == 3;
        fprintf(f, "WH%07zu,武汉市第%zu号%s服务点,%s,武汉市某区某路%zu号,027-8%07zu,%s,%.6f,%.6f\n", i,
                i, moved && i % 200 == 3 ? "（新址）" : "", categories[p[i].cat % 6], i % 997,
                i % 10000000, i % 3 ? "24/7" : "Mo-Fr 08:30-17:30",
                p[i].lon + (moved ? 1e-4 : 0), p[i].lat);
    }
    return fclose(f) == 0;
}

struct run {
    const char *name;
    double wall, cpu;
    long rss_kb;
    int status;
    char summary[512];
};

/* Runs argv (stderr into `log`), timing it; its last stderr line kept. */
static bool run(struct run *r, char *const argv[], const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double t0 = now();
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) {
        posix_spawn_file_actions_destroy(&fa);
        return false;
    }
    posix_spawn_file_actions_destroy(&fa);
    struct rusage ru;
    if (wait4(pid, &r->status, 0, &ru) != pid)
        return false;
    r->wall = now() - t0;
    r->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    r->rss_kb = ru.ru_maxrss;
    FILE *f = fopen(log, "r");
    char line[512];
    r->summary[0] = '\0';
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "geod import:", 12) == 0)
            snprintf(r->summary, sizeof r->summary, "%s", line);
    if (f)
        fclose(f);
    r->summary[strcspn(r->summary, "\n")] = '\0';
    return WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long long)st.st_size;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    const char *geod = "build/geod";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--geod") == 0 && i + 1 < argc)
            geod = argv[++i];
        else {
            fprintf(stderr, "usage: bench_import [--rows N (1000000)] [--geod PATH]\n");
            return 1;
        }
    }
    char dir[] = "/tmp/geod-bench-import-XXXXXX";
    if (!mkdtemp(dir) || n < 1000)
        return 1;
    char feed[4][256], db[256], log[256], small[256];
    const char *names[] = {"feed.csv", "changed.csv", "shorter.csv", "floor.sqlite"};
    for (int i = 0; i < 4; i++)
        snprintf(feed[i], sizeof feed[i], "%s/%s", dir, names[i]);
    snprintf(db, sizeof db, "%s/geod.sqlite", dir);
    snprintf(log, sizeof log, "%s/stderr.txt", dir);
    snprintf(small, sizeof small, "%s/small.csv", dir);
    struct gen_point *p = malloc(n * sizeof *p);
    if (!p)
        return 1;
    gen_points(GEN_CLUSTERED, 1, p, n);
    double t0 = now();
    if (!write_feed(feed[0], p, n, 0, false) || !write_feed(feed[1], p, n, 1, false) ||
        !write_feed(feed[2], p, n, 1, true) || !write_feed(small, p, 1, 0, false))
        return 1;
    fprintf(stderr, "bench_import: feeds of %zu records written in %.1f s\n", n, now() - t0);

    struct run r[5] = {{"new source"}, {"same feed again"}, {"1 % changed, 0.5 % gone"},
                       {"sqlite3 .import (floor)"}, {"store creation"}};
    char *create[] = {(char *)geod, "import", small, "--db", db, "--crs", "wgs84", "--source",
                      "warm", NULL};
    bool ok = run(&r[4], create, log);
    long long db0 = file_size(db);
    char *imp[] = {(char *)geod, "import", feed[0], "--db", db, "--crs", "wgs84", "--source", "wh",
                   NULL};
    ok = ok && run(&r[0], imp, log);
    long long db1 = file_size(db);
    ok = ok && run(&r[1], imp, log);
    char *chg[] = {(char *)geod, "import", feed[2], "--db", db, "--crs", "wgs84", "--source", "wh",
                   "--delete-missing", NULL};
    ok = ok && run(&r[2], chg, log);
    char want[3][128];
    size_t gone = 0, moved = 0;
    for (size_t i = 0; i < n; i++) {
        gone += i % 200 == 7;
        moved += i % 100 == 3;
    }
    snprintf(want[0], sizeof want[0], "%zu inserted, 0 updated, 0 unchanged, 0 deleted", n);
    snprintf(want[1], sizeof want[1], "0 inserted, 0 updated, %zu unchanged, 0 deleted", n);
    snprintf(want[2], sizeof want[2], "0 inserted, %zu updated, %zu unchanged, %zu deleted", moved,
             n - gone - moved, gone);
    for (int i = 0; ok && i < 3; i++)
        if (!strstr(r[i].summary, want[i])) {
            fprintf(stderr, "bench_import: %s: want \"%s\", got \"%s\"\n", r[i].name, want[i],
                    r[i].summary);
            ok = false;
        }
    /* the floor: the sqlite3 shell, if there is one */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, ".import --csv %s feed", feed[0]);
    char *floor_argv[] = {"sqlite3", feed[3], cmd, NULL};
    bool have_floor = system("command -v sqlite3 >/dev/null 2>&1") == 0 &&
                      run(&r[3], floor_argv, log);
    if (!ok) {
        fprintf(stderr, "bench_import: a run failed (see %s)\n", log);
        return 1;
    }

    printf("# geod import: a %zu-record CSV feed\n\n", n);
    printf("One run on this machine (%ld cores online), release build `%s`, store on `%s`. "
           "Records/s = records / wall time; CPU = user + system time of the process.\n\n",
           sysconf(_SC_NPROCESSORS_ONLN), geod, dir);
    printf("| run | wall s | records/s | CPU s | CPU µs/record | peak RSS MB |\n|---|---:|---:|---:|"
           "---:|---:|\n");
    for (int i = 0; i < 4; i++) {
        if (i == 3 && !have_floor)
            continue;
        printf("| %s | %.2f | %.0f | %.2f | %.1f | %.0f |\n", r[i].name, r[i].wall, n / r[i].wall,
               r[i].cpu, r[i].cpu / n * 1e6, r[i].rss_kb / 1024.0);
    }
    printf("\nStore: %.1f MB before, %.1f MB after the new source (%.0f bytes/record: the row, its "
           "indexes, its audit row, its spatial index entry).\n",
           db0 / 1e6, db1 / 1e6, (double)(db1 - db0) / (double)n);
    if (have_floor)
        printf("geod's new-source import takes %.1f× the time of SQLite's bare `.import` of the "
               "same file.\n",
               r[0].wall / r[3].wall);
    printf("Target (issue 4): ≥ 200000 records/s for a new source: %s (%.0f).\n",
           n / r[0].wall >= 200000 ? "met" : "missed", n / r[0].wall);
    for (int i = 0; i < 3; i++)
        printf("\n%s: `%s`", r[i].name, r[i].summary);
    printf("\n");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    free(p);
    return 0;
}

/* peers_report.c - see peers_report.h. The markdown goes to opts.report; the plots' data
 * (sizes.dat), their gnuplot script and the PNGs to opts.plots. */
#include "bench/peers_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NQ_TEXT "20,000"

int report_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double report_med(const double *v, int n)
{
    double t[REPORT_MAX_RUNS];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i]))
            t[m++] = v[i];
    if (!m)
        return NAN;
    qsort(t, (size_t)m, sizeof *t, report_cmp_double);
    return m % 2 ? t[m / 2] : (t[m / 2 - 1] + t[m / 2]) / 2;
}

void report_median(struct row *r, int runs)
{
    double v[REPORT_MAX_RUNS] = {0};
#define MED(field)                                                                                 \
    do {                                                                                           \
        for (int i = 0; i < runs; i++)                                                             \
            v[i] = r->run[i].field;                                                                \
        r->med.field = report_med(v, runs);                                                        \
    } while (0)
    MED(peak);
    MED(closed_p50);
    MED(cpu_us);
    MED(bytes);
    MED(errors);
    for (int l = 0; l < 2; l++) {
        MED(p50[l]);
        MED(p99[l]);
        MED(p999[l]);
        MED(lag[l]);
        MED(late[l]);
    }
#undef MED
    r->med.errors = 0;
    for (int i = 0; i < runs; i++)
        r->med.errors += r->run[i].errors; /* errors: the sum, not the median */
}

static bool parse_sizes(struct opts *o, const char *s)
{
    o->nsizes = 0;
    while (*s && o->nsizes < REPORT_MAX_SIZES) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            return false;
        if (*end == 'k' || *end == 'K')
            v *= 1e3, end++;
        else if (*end == 'm' || *end == 'M')
            v *= 1e6, end++;
        if (v < 1000)
            return false;
        o->sizes[o->nsizes++] = (size_t)v;
        s = end + strspn(end, " ,");
    }
    for (size_t i = 1; i < o->nsizes; i++)
        if (o->sizes[i] <= o->sizes[i - 1])
            return false;
    return o->nsizes > 0;
}

void report_opts_default(struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->seconds = 3;
    o->runs = 3;
    o->pin = true;
    o->geod = "build/geod";
    o->cache = "build/bench-cache";
    o->report = "bench/report.md";
    o->plots = "bench/plots";
    o->note = "";
    parse_sizes(o, "10k 100k 1M");
    const char *e;
    if ((e = getenv("BENCH_SIZES")) && *e && !parse_sizes(o, e))
        parse_sizes(o, "10k 100k 1M");
    if ((e = getenv("BENCH_SECONDS")) && atof(e) > 0)
        o->seconds = atof(e);
    if ((e = getenv("BENCH_RUNS")) && atoi(e) > 0)
        o->runs = atoi(e) < REPORT_MAX_RUNS ? atoi(e) : REPORT_MAX_RUNS;
    if ((e = getenv("BENCH_FULL")) && !strcmp(e, "all"))
        o->full_all = true;
    if ((e = getenv("BENCH_CACHE")) && *e)
        o->cache = e;
    if ((e = getenv("BENCH_NOTE")))
        o->note = e;
}

bool report_opts_parse(struct opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (!strcmp(a, "--sizes") && v)
            ok = parse_sizes(o, v), i++;
        else if (!strcmp(a, "--seconds") && v)
            ok = (o->seconds = atof(v)) > 0, i++;
        else if (!strcmp(a, "--runs") && v)
            ok = (o->runs = atoi(v)) > 0 && o->runs <= REPORT_MAX_RUNS, i++;
        else if (!strcmp(a, "--full-all"))
            o->full_all = true;
        else if (!strcmp(a, "--no-pin"))
            o->pin = false;
        else if (!strcmp(a, "--geod") && v)
            o->geod = v, i++;
        else if (!strcmp(a, "--report") && v)
            o->report = v, i++;
        else if (!strcmp(a, "--plots") && v)
            o->plots = v, i++;
        else if (!strcmp(a, "--cache") && v)
            o->cache = v, i++;
        else if (!strcmp(a, "--note") && v)
            o->note = v, i++;
        else
            ok = false;
        if (!ok) {
            fprintf(stderr,
                    "usage: bench_peers [--sizes '10k 100k 1M'] [--seconds S (3)] [--runs R (3)]\n"
                    "  [--full-all] [--no-pin] [--geod build/geod] [--report bench/report.md]\n"
                    "  [--plots bench/plots] [--cache build/bench-cache] [--note TEXT]\n"
                    "environment: BENCH_SIZES, BENCH_SECONDS, BENCH_RUNS, BENCH_FULL=all,\n"
                    "  BENCH_CACHE, BENCH_NOTE (the same, options win)\n");
            return false;
        }
    }
    return true;
}

/* ---- formatting -------------------------------------------------------------------------- */

static const char *num(char *b, size_t n, double v)
{
    if (isnan(v))
        snprintf(b, n, "—");
    else if (fabs(v) >= 1000)
        snprintf(b, n, "%.0f", v);
    else if (fabs(v) >= 100)
        snprintf(b, n, "%.0f", v);
    else if (fabs(v) >= 10)
        snprintf(b, n, "%.1f", v);
    else
        snprintf(b, n, "%.2f", v);
    return b;
}

static const char *ratio(char *b, size_t n, double a, double c)
{
    if (isnan(a) || isnan(c) || c <= 0)
        snprintf(b, n, "—");
    else
        snprintf(b, n, "%.2f×", a / c);
    return b;
}

static const char *size_name(char *b, size_t n, size_t pts)
{
    if (pts % 1000000 == 0)
        snprintf(b, n, "%zuM", pts / 1000000);
    else if (pts % 1000 == 0)
        snprintf(b, n, "%zuk", pts / 1000);
    else
        snprintf(b, n, "%zu", pts);
    return b;
}

static const struct row *find(const struct size_res *s, const char *mix, const char *variant,
                              const char *engine)
{
    for (size_t i = 0; i < s->nrows; i++)
        if (!strcmp(s->rows[i].mix, mix) && !strcmp(s->rows[i].variant, variant) &&
            !strcmp(s->rows[i].engine, engine))
            return &s->rows[i];
    if (s->have_mixed && !strcmp(mix, "mixed"))
        return &s->mixed;
    return NULL;
}

/* One table for one mix: two label columns (variant, figure), a column per engine, then a
 * column geod JSON ÷ each other engine. */
static void mix_table(FILE *f, const struct size_res *s, const char *mix, const char *title)
{
    const char *eng[8], *var[8];
    size_t ne = 0, nv = 0;
    const struct row *rows[REPORT_MAX_ROWS + 1];
    size_t nr = 0;
    for (size_t i = 0; i < s->nrows; i++)
        if (!strcmp(s->rows[i].mix, mix))
            rows[nr++] = &s->rows[i];
    if (!strcmp(mix, "mixed") && s->have_mixed)
        rows[nr++] = &s->mixed;
    if (!nr)
        return;
    for (size_t i = 0; i < nr; i++) {
        size_t j;
        for (j = 0; j < ne && strcmp(eng[j], rows[i]->engine); j++)
            ;
        if (j == ne && ne < 8)
            eng[ne++] = rows[i]->engine;
        for (j = 0; j < nv && strcmp(var[j], rows[i]->variant); j++)
            ;
        if (j == nv && nv < 8)
            var[nv++] = rows[i]->variant;
    }
    fprintf(f, "\n### %s\n\n| | |", title);
    for (size_t e = 0; e < ne; e++)
        fprintf(f, " %s |", eng[e]);
    size_t nratio = 0;
    for (size_t e = 0; e < ne; e++)
        if (strncmp(eng[e], "geod", 4))
            fprintf(f, " geod JSON ÷ %s |", eng[e]), nratio++;
    fprintf(f, "\n|---|---|");
    for (size_t e = 0; e < ne + nratio; e++)
        fprintf(f, "---:|");
    fputc('\n', f);
    static const char *const figs[] = {"req/s (peak)",
                                       "µs p50 / p99 / p99.9 at 50 %",
                                       "µs p50 / p99 / p99.9 at 80 %",
                                       "server CPU µs/req",
                                       "answer bytes",
                                       "same answer / ids found"};
    char b1[32], b2[32], b3[32];
    for (size_t v = 0; v < nv; v++) {
        const struct row *js = find(s, mix, var[v], "geod JSON");
        for (int fi = 0; fi < 6; fi++) {
            bool any = false;
            for (size_t e = 0; e < ne; e++) {
                const struct row *r = find(s, mix, var[v], eng[e]);
                any |= r && (fi != 5 || r->checked);
            }
            if (!any)
                continue;
            fprintf(f, "| %s | %s |", fi ? "" : var[v], figs[fi]);
            for (size_t e = 0; e < ne; e++) {
                const struct row *r = find(s, mix, var[v], eng[e]);
                if (!r) {
                    fprintf(f, " |");
                    continue;
                }
                const struct fig *m = &r->med;
                const char *pg_rows = r->t.proto == OL_PG ? " rows" : "";
                switch (fi) {
                case 0:
                    fprintf(f, " %s%s |", num(b1, 32, m->peak), m->errors ? " (errors)" : "");
                    break;
                case 1:
                case 2:
                    fprintf(f, " %s / %s / %s", num(b1, 32, m->p50[fi - 1]),
                            num(b2, 32, m->p99[fi - 1]), num(b3, 32, m->p999[fi - 1]));
                    if (m->late[fi - 1] > 0) /* due, never answered: not in the percentiles */
                        fprintf(f, " (%.0f late)", m->late[fi - 1]);
                    fprintf(f, " |");
                    break;
                case 3:
                    fprintf(f, " %s |", num(b1, 32, m->cpu_us));
                    break;
                case 4:
                    fprintf(f, " %s%s |", num(b1, 32, m->bytes), pg_rows);
                    break;
                default:
                    if (r->checked)
                        fprintf(f, " %.1f %% / %.2f %% |", r->same_pct, r->ids_pct);
                    else
                        fprintf(f, " — |");
                }
            }
            for (size_t e = 0; e < ne; e++) {
                if (!strncmp(eng[e], "geod", 4))
                    continue;
                const struct row *r = find(s, mix, var[v], eng[e]);
                double a = NAN, c = NAN;
                if (r && js) {
                    if (fi == 0)
                        a = js->med.peak, c = r->med.peak;
                    else if (fi == 1 || fi == 2)
                        a = js->med.p99[fi - 1], c = r->med.p99[fi - 1];
                    else if (fi == 3)
                        a = js->med.cpu_us, c = r->med.cpu_us;
                    else if (fi == 4 && r->t.proto == OL_HTTP)
                        a = js->med.bytes, c = r->med.bytes;
                }
                fprintf(f, " %s |", ratio(b1, 32, a, c));
            }
            fputc('\n', f);
        }
    }
}

/* ---- plots ------------------------------------------------------------------------------- */

struct series {
    const char *mix, *variant, *engine, *title;
};
static const struct series series[] = {
    {"shake", "k=10", "geod JSON", "geod JSON, nearest 10"},
    {"shake", "k=10", "geod msgpack", "geod msgpack, nearest 10"},
    {"shake", "k=10", "PostGIS", "PostGIS, nearest 10"},
    {"shake", "k=10", "h2o bytes", "h2o, the same bytes"},
    {"radius", "1 km", "geod JSON", "geod JSON, 10 within 1 km"},
    {"radius", "1 km", "Redis", "Redis, 10 within 1 km"},
};
#define NSERIES (sizeof series / sizeof series[0])

static bool plots(const struct opts *o, const struct size_res *res, size_t n)
{
    char path[600];
    mkdir(o->plots, 0755);
    snprintf(path, sizeof path, "%s/sizes.dat", o->plots);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "points");
    for (int what = 0; what < 3; what++)
        for (size_t i = 0; i < NSERIES; i++)
            fprintf(f, " \"%s\"", series[i].title);
    fprintf(f, " \"geod in process, nearest 10\" \"SQLite R*Tree in process, nearest 10\"\n");
    for (size_t s = 0; s < n; s++) {
        fprintf(f, "%zu", res[s].n);
        for (int what = 0; what < 3; what++)
            for (size_t i = 0; i < NSERIES; i++) {
                const struct row *r =
                    find(&res[s], series[i].mix, series[i].variant, series[i].engine);
                double v = !r          ? NAN
                           : what == 0 ? r->med.peak
                           : what == 1 ? r->med.p50[1]
                                       : r->med.p99[1];
                if (isnan(v))
                    fprintf(f, " ?");
                else
                    fprintf(f, " %.3f", v);
            }
        double q0 = report_med(res[s].ip.qps[0], o->runs),
               q2 = res[s].ip.have_sqlite ? report_med(res[s].ip.qps[2], o->runs) : NAN;
        fprintf(f, " %.1f", q0);
        if (isnan(q2))
            fprintf(f, " ?\n");
        else
            fprintf(f, " %.1f\n", q2);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/plots.gp", o->plots);
    if (!(f = fopen(path, "w")))
        return false;
    int k = (int)NSERIES;
    fprintf(
        f,
        "# written by bench_peers: gnuplot plots.gp (in this directory)\n"
        "set terminal png size 960,600\nset datafile missing '?'\nset logscale xy\n"
        "set xlabel 'points'\nset grid\nset key outside right top\nset format x '%%.0s%%c'\n"
        "set output 'throughput.png'\n"
        "set title 'Peak throughput (closed loop), same machine, same run'\n"
        "set ylabel 'requests or queries per second'\n"
        "plot for [i=2:%d] 'sizes.dat' using 1:i with linespoints title columnheader(i), \\\n"
        "     for [i=%d:%d] 'sizes.dat' using 1:i with linespoints dashtype 2 "
        "title columnheader(i)\n"
        "set output 'latency.png'\n"
        "set title 'Latency at 80 %% of each engine''s peak (open loop): p99 solid, p50 dashed'\n"
        "set ylabel 'microseconds'\n"
        "plot for [i=%d:%d] 'sizes.dat' using 1:i with linespoints lc (i-%d) "
        "title columnheader(i), \\\n"
        "     for [i=%d:%d] 'sizes.dat' using 1:i with linespoints lc (i-%d) dashtype 2 notitle\n",
        1 + k, 2 + 3 * k, 3 + 3 * k, 2 + 2 * k, 1 + 3 * k, 1 + 2 * k, 2 + k, 1 + 2 * k, 1 + k);
    fclose(f);
    if (system("command -v gnuplot >/dev/null 2>&1")) {
        fprintf(stderr,
                "bench_peers: gnuplot is missing; no plots (apt-get install gnuplot-nox)\n");
        return true;
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cd %s && gnuplot plots.gp 2>/dev/null", o->plots);
    if (system(cmd))
        fprintf(stderr, "bench_peers: gnuplot failed\n");
    return true;
}

/* ---- targets ----------------------------------------------------------------------------- */

/* "met (1.23× the target)" or "missed: 0.45× the target" for higher-is-better (or lower). */
static void verdict(FILE *f, const char *target, const char *measured, double v, double goal,
                    bool higher)
{
    char how[96];
    if (isnan(v))
        snprintf(how, sizeof how, "not measured");
    else if (higher ? v >= goal : v <= goal)
        snprintf(how, sizeof how, "**met** (%.2f× the target)", higher ? v / goal : goal / v);
    else
        snprintf(how, sizeof how, "**missed**: %.2f× the target (short by %.0f %%)",
                 higher ? v / goal : goal / v, 100 * (1 - (higher ? v / goal : goal / v)));
    fprintf(f, "| %s | %s | %s |\n", target, measured, how);
}

static void targets(FILE *f, const struct opts *o, const struct size_res *s)
{
    char m[256], sz[32];
    size_name(sz, sizeof sz, s->n);
    fprintf(f,
            "\n## Targets (issue 7), at %s points\n\nThroughput ratios are the verdicts; in "
            "brackets the same comparison by server CPU per request (the peer's ÷ geod's), "
            "which holds when the load generator or other work on the machine is the "
            "bottleneck.\n\n| target | measured | |\n|---|---|---|\n",
            sz);
    const struct row *js = find(s, "shake", "k=10", "geod JSON"),
                     *h2o = find(s, "shake", "k=10", "h2o bytes"),
                     *j1 = find(s, "radius", "1 km", "geod JSON"),
                     *rd = find(s, "radius", "1 km", "Redis");
    double a = js ? js->med.peak : NAN, b = h2o ? h2o->med.peak : NAN;
    snprintf(m, sizeof m, "%.0f ÷ %.0f req/s = %.2f× (server CPU per request: %.2f×)", a, b, a / b,
             h2o && js ? h2o->med.cpu_us / js->med.cpu_us : NAN);
    verdict(f, "geod nearest-10 over HTTP ≥ 0.9× h2o serving the same bytes", m, a / b, 0.9, true);
    a = j1 ? j1->med.peak : NAN, b = rd ? rd->med.peak : NAN;
    snprintf(m, sizeof m,
             "10 within 1 km: %.0f ÷ %.0f req/s = %.1f× (server CPU per request: "
             "%.1f×)",
             a, b, a / b, rd && j1 ? rd->med.cpu_us / j1->med.cpu_us : NAN);
    verdict(f, "… ≥ 15× Redis (GEOSEARCH 1 km COUNT 10)", m, a / b, 15, true);
    const struct row *pg = find(s, "shake", "k=10", "PostGIS");
    a = report_med(s->geod_cl[1], o->runs), b = report_med(s->pgbench[1], o->runs);
    snprintf(m, sizeof m,
             "4 clients: %.0f req/s ÷ pgbench %.0f TPS = %.1f× (server CPU per "
             "request: %.1f×)",
             a, b, a / b, pg && js ? pg->med.cpu_us / js->med.cpu_us : NAN);
    verdict(f, "… ≥ 6× PostGIS with 4 clients", m, a / b, 6, true);
    a = report_med(s->ip.p50[0], o->runs);
    snprintf(m, sizeof m, "%.3f µs%s", a, s->n == 1000000 ? "" : " (not at 1M points)");
    verdict(f, "in-process nearest-10 on 1M points ≤ 1 µs median", m, a, 1, false);
    a = report_med(s->ip.p50[1], o->runs);
    snprintf(m, sizeof m, "%.3f µs", a);
    verdict(f, "… with a 2 % category ≤ 2 µs", m, a, 2, false);
    snprintf(m, sizeof m, "%.1f B", s->ip.bytes_pt);
    verdict(f, "≤ 24 bytes per point in the index", m, s->ip.bytes_pt, 24, false);
    a = report_med(s->startup_s, o->runs) / ((double)s->facilities / 1e6);
    snprintf(m, sizeof m, "%.2f s for %zu facilities = %.2f s per million",
             report_med(s->startup_s, o->runs), s->facilities, a);
    verdict(f, "start-up ≤ 0.5 s per million facilities", m, a, 0.5, false);
    double fd = report_med(s->fdatasync, o->runs);
    a = report_med(s->writes[0], o->runs);
    snprintf(m, sizeof m, "1 client: %.0f writes/s ÷ %.0f fdatasync/s = %.2f×", a, fd, a / fd);
    verdict(f, "single-row durable writes ≥ 0.8× the disk's fdatasync rate", m, a / fd, 0.8, true);
    double w4 = report_med(s->writes[1], o->runs), w16 = report_med(s->writes[2], o->runs);
    snprintf(m, sizeof m, "4 clients: %.2f×, 16 clients: %.2f×", w4 / fd, w16 / fd);
    verdict(f, "… more with group commit (concurrent clients above 1 client's ratio)", m,
            fmax(w4, w16) / fd, a / fd, true);
}

/* ---- the report -------------------------------------------------------------------------- */

static void size_section(FILE *f, const struct opts *o, const struct size_res *s)
{
    char sz[32], b1[32], b2[32], b3[32], b4[32];
    size_name(sz, sizeof sz, s->n);
    fprintf(f,
            "\n## %s points (%zu facilities in the store: the points and the built-in data; "
            "gen_hash %016llx)\n\n",
            sz, s->facilities, s->hash);
    fprintf(f,
            "Load: a new store with the built-in data, then `geod import` of the points: %.1f "
            "s together (%.0f points/s)%s; Redis GEOADD %.1f s; PostGIS "
            "COPY + GiST + VACUUM ANALYZE %.1f s. geod start-up from the store to the first "
            "answer: %.2f s (median of %d restarts; the first start %.2f s).\n",
            s->import_s, (double)s->n / s->import_s,
            s->cached ? ", measured when the cached store was made" : "", s->redis_load_s,
            s->pg_load_s, report_med(s->startup_s, o->runs), o->runs, s->first_start_s);
    const struct inproc *ip = &s->ip;
    fprintf(f,
            "\n### In process: nearest 10 (the index alone, one thread, %s points of gen.c)\n\n"
            "| engine | build s | bytes/pt | p50 µs | q/s | same answer (100 queries) |\n"
            "|---|---:|---:|---:|---:|---:|\n",
            sz);
    static const char *const names[3] = {"geod R-tree", "geod R-tree, 2 % category",
                                         "SQLite R*Tree (expanding boxes)"};
    for (int e = 0; e < 3; e++) {
        if (e == 2 && !ip->have_sqlite)
            continue;
        fprintf(f, "| %s | %s | %s | %.3f | %s | %.0f %% |\n", names[e],
                e == 1 ? "" : num(b1, 32, e ? ip->sq_build_s : ip->build_s),
                e == 1 ? "" : num(b2, 32, e ? ip->sq_bytes_pt : ip->bytes_pt),
                report_med(ip->p50[e], o->runs), num(b3, 32, report_med(ip->qps[e], o->runs)),
                ip->same_pct[e]);
    }
    mix_table(f, s, "shake", "shake: the nearest K (GET /v1/nearby), all categories or one at 2 %");
    mix_table(f, s, "radius", "radius: the 10 nearest within 0.5, 1, 5 km, sorted");
    mix_table(f, s, "box", "box: map viewports of 1, 5, 20 km (GET /v1/bbox, default zoom)");
    mix_table(f, s, "mixed", "mixed: nearest 10 with 1 % durable writes (POST /v1/facilities)");
    fprintf(f, "\n### pgbench: PostGIS nearest 10 (GiST KNN) next to geod\n\n"
               "| clients | PostGIS, pgbench TPS | PostGIS, bench's client q/s | geod JSON k=10 "
               "req/s | geod ÷ pgbench |\n|---:|---:|---:|---:|---:|\n");
    for (int c = 0; c < 2; c++) {
        double pb = report_med(s->pgbench[c], o->runs), ol = report_med(s->pg_ol[c], o->runs),
               g = report_med(s->geod_cl[c], o->runs);
        fprintf(f, "| %d | %s | %s | %s | %s |\n", c ? 4 : 1, num(b1, 32, pb), num(b2, 32, ol),
                num(b3, 32, g), ratio(b4, 32, g, pb));
    }
    fprintf(f,
            "\npgbench runs `\\set i random(1, 20000)` then `SELECT id FROM pts ORDER BY geom <-> "
            "(SELECT g FROM q WHERE i = :i) LIMIT 10` (`-M prepared`, `-j` = clients): the "
            "query positions of every other row, from a table. Its plan %s the GiST index "
            "ordered by distance. The bench's own client sends the coordinates as "
            "parameters instead.\n",
            s->pgbench_knn_plan ? "is" : "is **not**");
    double fd = report_med(s->fdatasync, o->runs);
    fprintf(f,
            "\n### Durable writes: POST /v1/facilities, each answered after its commit\n\n"
            "The disk: %.0f fdatasync/s (4 KiB write + fdatasync, same filesystem, same "
            "run).\n\n| clients | writes/s | server CPU µs/write | errors | ÷ fdatasync |\n"
            "|---:|---:|---:|---:|---:|\n",
            fd);
    static const int wc[3] = {1, 4, 16};
    for (int c = 0; c < 3; c++) {
        double w = report_med(s->writes[c], o->runs), err = 0;
        for (int r = 0; r < o->runs; r++)
            err += s->writes_err[c][r];
        fprintf(f, "| %d | %s | %s | %.0f | %s |\n", wc[c], num(b1, 32, w),
                num(b2, 32, report_med(s->writes_cpu[c], o->runs)), err, ratio(b3, 32, w, fd));
    }
}

bool report_write(const struct opts *o, const struct size_res *res, size_t n)
{
    FILE *f = fopen(o->report, "w");
    if (!f)
        return perror(o->report), false;
    char when[64], sz[32];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&o->started));
    fprintf(f, "# geod next to the engines people would pick instead\n\n");
    fprintf(f,
            "`make bench-peers` (bench/bench_peers.c), started %s: %g s per measurement, %d runs "
            "of everything, medians. %ld cores: every server pinned to CPUs %s (geod `--threads "
            "%d --rate-limit 0`, h2o %d thread(s), nginx %d worker(s); Redis is one thread, "
            "PostgreSQL a process per connection), the load generator and pgbench to CPUs %s. "
            "Data: gen.c clustered, seed 1, sizes",
            when, o->seconds, o->runs, o->cores,
            o->server_cpus[0] ? o->server_cpus : "(not pinned)", o->threads, o->threads, o->threads,
            o->client_cpus[0] ? o->client_cpus : "(not pinned)");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %s", i ? "," : "", size_name(sz, sizeof sz, res[i].n));
    fprintf(f,
            "; the same " NQ_TEXT " query positions (70 %% near the data, 30 %% uniform) for "
            "every engine; every mix at %s, the main rows at every size.%s%s\n",
            o->full_all ? "every size" : "the largest size", o->note[0] ? " " : "", o->note);
    fprintf(f,
            "\nLoad average (/proc/loadavg) when the run started: %s; when it ended: %s. Other "
            "work on the machine shares the cores with the servers and the load generator, "
            "so absolute figures move between runs; compare engines within one run.\n",
            o->load_start, o->load_end);
    if (n)
        targets(f, o, &res[n - 1]);
    fprintf(f, "\n## Plots\n\n![peak throughput against the data size](plots/throughput.png)\n"
               "![latency at 80 %% of the peak against the data size](plots/latency.png)\n");
    fprintf(f,
            "\n## How to read the tables\n\n"
            "- **req/s (peak)**: a closed loop (8 connections, PostgreSQL 4), each sending its "
            "next request when the answer is in.\n"
            "- **µs at 50 %% / 80 %%**: an open loop (bench/openloop.c) sending on a fixed "
            "schedule at 50 %% and 80 %% of that run's peak; a request's latency runs from when "
            "it was due, so a stall is charged to every request it held up.\n"
            "- **server CPU µs/req**: user + system time of the server's processes "
            "(/proc/PID/stat, children included) over the peak run ÷ its requests; valid even "
            "when the client is the bottleneck.\n"
            "- **late**: requests of the open loop's schedule still unanswered 2 s after the last "
            "was due (not in the percentiles, which would only be larger).\n"
            "- **answer bytes**: HTTP body bytes, Redis's whole reply; for PostgreSQL rows.\n"
            "- **same answer / ids found**: of the first 200 answers, the share with exactly the "
            "exact ids in the exact order (WGS-84 geodesic, ties by id), and the share of exact "
            "ids present. geod must be exact; PostGIS ranks by planar degrees and Redis by a "
            "sphere on 52-bit geohash cells, so they are not.\n"
            "- **ratio columns**: geod JSON's figure ÷ the engine's (req/s: higher is better for "
            "geod; latency (p99), CPU, bytes: lower is better for geod).\n"
            "- h2o and nginx answer every request with the bytes of one geod answer (nearest 10, "
            "JSON): the HTTP ceiling; nginx `return` holds it in its config, nginx `file` "
            "serves it as a static file.\n");
    for (size_t i = n; i-- > 0;)
        size_section(f, o, &res[i]);
    fclose(f);
    return plots(o, res, n);
}

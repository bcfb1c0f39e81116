/* test_builtin.c - the built-in Wuhan data (importers/builtin.c, data/synth.c) loaded into fresh
 * stores, checked on a SQLite/SpatiaLite connection of the test's own (tests/lib/storecheck.h)
 * against the CSV files it comes from: the counts per source and category, the synthetic rows
 * marked as samples, every position in Wuhan with its geometry, sampled positions converted from
 * GCJ-02 and BD-09 bit for bit, the flagged hospitals left out, and a second load byte for byte
 * the same. */
#include "data/store.h"
#include "importers/builtin.h"
#include "index/crs.h"
#include "tests/lib/gen.h"
#include "tests/lib/scratch.h"
#include "tests/lib/storecheck.h"
#include "tests/t.h"

#include <sqlite3.h>

#include <stdint.h>
#include <stdlib.h>

static struct scratch tmp; /* the stores */

/* tmp's directory/name into out */
static char *tpath(char *out, size_t cap, const char *name)
{
    return scratch_path(&tmp, out, cap, name);
}

/* ---- tests/lib/storecheck.h, its failures counted here ---- */

static bool sql_open(struct sc_conn *o, const char *path, int flags)
{
    char why[SC_WHY];
    bool ok = sc_open(o, path, flags, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

static void sql_close(struct sc_conn *o)
{
    char why[SC_WHY];
    T_CHECKF(sc_close(o, why), "%s", why);
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    char why[SC_WHY];
    sqlite3_stmt *st = sc_prep(db, sql, why);
    T_CHECKF(st, "%s", why);
    return st;
}

/* One integer, or INT64_MIN on an error. */
static int64_t q_int(sqlite3 *db, const char *sql)
{
    char why[SC_WHY];
    int64_t v;
    T_CHECKF(sc_int(db, sql, &v, why), "%s", why);
    return v;
}

static struct snapshot *load(struct store *s, uint64_t *gen)
{
    char why[SC_WHY];
    struct snapshot *snap;
    T_CHECKF(sc_load(s, gen, &snap, why), "%s", why);
    return snap;
}

static bool load_builtin(const char *path, struct builtin_stats *st)
{
    struct store *s = NULL;
    char err[256] = "";
    T_CHECKF(store_open(path, true, &s, err, sizeof err) == GEOD_OK, "%s", err);
    if (!s)
        return false;
    enum geod_err rc = builtin_load(s, st, err, sizeof err);
    T_CHECKF(rc == GEOD_OK, "builtin_load: %s (%s)", geod_strerror(rc), err);
    if (!rc) { /* and the store loads into a snapshot */
        uint64_t gen = 0;
        struct snapshot *snap = load(s, &gen);
        size_t total = st->street_offices + st->community_centers + st->hospitals + st->synthetic;
        T_CHECKF(snap && snap->n == total && gen == total, "snapshot of %zu, generation %llu",
                 snap ? snap->n : 0, (unsigned long long)gen);
        snapshot_free(snap);
    }
    store_close(s);
    return rc == GEOD_OK;
}

/* Split a CSV line without quotes in place; returns the number of fields. */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

/* Picks every step-th data row of a CSV, converts (col_lon, col_lat) from `from` and compares
 * with the stored row whose source_key is column col_key. Rows whose column col_skip is not "0"
 * must not be stored at all. */
static void check_points(sqlite3 *db, const char *csv, const char *source, enum crs_id from,
                         int col_key, int col_lon, int col_lat, int col_skip, int step)
{
    FILE *f = fopen(csv, "r");
    T_CHECKF(f != NULL, "cannot open %s", csv);
    if (!f)
        return;
    sqlite3_stmt *st = prep(db, "SELECT lon, lat FROM facility WHERE source = ?1 AND "
                                "source_key = ?2");
    char line[4096];
    int row = 0, checked = 0, bad = 0, skipped = 0;
    while (st && fgets(line, sizeof line, f)) {
        if (row++ == 0)
            continue; /* header */
        char *fld[16];
        size_t n = split(line, fld, 16);
        if ((int)n <= col_key || (int)n <= col_lon || (int)n <= col_lat)
            continue;
        bool skip = col_skip >= 0 && strcmp(fld[col_skip], "0") != 0;
        if (!skip && row % step != 0)
            continue;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, fld[col_key], -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (skip) {
            skipped++;
            T_CHECKF(r == SQLITE_DONE, "%s: flagged row %s was stored", csv, fld[col_key]);
        } else {
            double lon = 0, lat = 0;
            enum geod_err rc = crs_convert(from, CRS_WGS84, strtod(fld[col_lon], NULL),
                                           strtod(fld[col_lat], NULL), &lon, &lat);
            bool ok = rc == GEOD_OK && r == SQLITE_ROW &&
                      gen_same_bits(sqlite3_column_double(st, 0), lon) &&
                      gen_same_bits(sqlite3_column_double(st, 1), lat);
            if (!ok && bad++ < 3)
                T_CHECKF(0, "%s key %s: stored %.17g %.17g, converted %.17g %.17g", csv,
                         fld[col_key], r == SQLITE_ROW ? sqlite3_column_double(st, 0) : NAN,
                         r == SQLITE_ROW ? sqlite3_column_double(st, 1) : NAN, lon, lat);
            checked++;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    fclose(f);
    T_CHECKF(checked >= 20 && bad == 0, "%s: %d of %d converted points differ", csv, bad, checked);
    if (col_skip >= 0)
        T_CHECKF(skipped == 22, "%s: %d flagged rows", csv, skipped);
}

/* The facility rows as text, one line per row, doubles in hex. */
static char *dump_rows(sqlite3 *db, size_t *rows)
{
    sqlite3_stmt *st = prep(db, "SELECT category, name, address, phone, hours, lon, lat, "
                                "division_code, source, source_key FROM facility ORDER BY id");
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap);
    *rows = 0;
    while (st && out && sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < 10; i++) {
            char cell[1024];
            int t = sqlite3_column_type(st, i);
            if (t == SQLITE_NULL)
                snprintf(cell, sizeof cell, "\\N|");
            else if (t == SQLITE_FLOAT)
                snprintf(cell, sizeof cell, "%a|", sqlite3_column_double(st, i));
            else
                snprintf(cell, sizeof cell, "%d:%s|", t, sqlite3_column_text(st, i));
            size_t l = strlen(cell);
            if (n + l + 2 > cap) {
                char *o = realloc(out, cap *= 2);
                if (!o) {
                    free(out);
                    out = NULL;
                    break;
                }
                out = o;
            }
            memcpy(out + n, cell, l);
            n += l;
        }
        if (out)
            out[n++] = '\n';
        ++*rows;
    }
    if (out)
        out[n] = '\0';
    sqlite3_finalize(st);
    return out;
}

static void test_builtin(void)
{
    char path[512], path2[512];
    tpath(path, sizeof path, "builtin.sqlite");
    tpath(path2, sizeof path2, "builtin2.sqlite");
    struct builtin_stats st, st2;
    if (!load_builtin(path, &st) || !load_builtin(path2, &st2))
        return;
    T_CHECKF(st.street_offices == 98, "%zu street offices", st.street_offices);
    T_CHECKF(st.community_centers == 801, "%zu community centres", st.community_centers);
    T_CHECKF(st.hospitals == 28, "%zu hospitals", st.hospitals);
    T_CHECKF(st.hospitals_suspect == 22, "%zu suspect hospitals", st.hospitals_suspect);
    T_CHECKF(st.synthetic >= 3300 && st.synthetic <= 3500, "%zu synthetic", st.synthetic);
    T_CHECK(memcmp(&st, &st2, sizeof st) == 0);

    struct sc_conn o;
    if (!sql_open(&o, path, SQLITE_OPEN_READONLY))
        return;
    size_t total = st.street_offices + st.community_centers + st.hospitals + st.synthetic;
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility") == (int64_t)total);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility_audit WHERE action = 'create' AND actor = "
                        "'builtin' AND json_valid(after)") == (int64_t)total);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE category = 'street_office' AND "
                        "source = 'adcode'") == (int64_t)st.street_offices);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE category = 'community_center' AND "
                        "source = 'adcode'") == (int64_t)st.community_centers);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE category = 'hospital' AND "
                        "source = 'yiqing_map'") == (int64_t)st.hospitals);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE source = 'synthetic'") ==
            (int64_t)st.synthetic);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE source NOT IN ('adcode', "
                        "'yiqing_map', 'synthetic')") == 0);
    /* synthetic rows: only the categories without open data, unmistakably samples */
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE source = 'synthetic' AND category "
                        "IN ('community_center', 'street_office', 'hospital')") == 0);
    T_CHECK(q_int(o.db, "SELECT count(DISTINCT category) FROM facility WHERE source = "
                        "'synthetic'") == 6);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE source = 'synthetic' AND (phone IS "
                        "NOT NULL OR address IS NULL OR instr(address, '示例数据') = 0 OR "
                        "source_key IS NULL)") == 0);
    T_CHECK(q_int(o.db, "SELECT count(DISTINCT source_key) FROM facility WHERE source = "
                        "'synthetic'") == (int64_t)st.synthetic);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE source_key IS NULL") == 0);
    /* real rows have no sample marker */
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE source <> 'synthetic' AND "
                        "instr(address, '示例数据') > 0") == 0);
    /* every position in Wuhan, and the geometry with it */
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE NOT (lon BETWEEN 113.6 AND 115.2 "
                        "AND lat BETWEEN 29.9 AND 31.4)") == 0);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE NOT (ST_X(geom) = lon AND "
                        "ST_Y(geom) = lat AND ST_SRID(geom) = 4326)") == 0);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE length(name) = 0 OR name IS NULL") ==
            0);

    /* positions are the published ones, converted */
    check_points(o.db, "data/wuhan/pois_communities_wuhan_gcj02.csv", "adcode", CRS_GCJ02, 0, 6, 7,
                 -1, 45);
    check_points(o.db, "data/wuhan/pois_hospitals_wuhan_bd09.csv", "yiqing_map", CRS_BD09, 0, 6, 7,
                 11, 1);

    /* deterministic: a second fresh store holds the same rows, byte for byte */
    struct sc_conn o2;
    if (sql_open(&o2, path2, SQLITE_OPEN_READONLY)) {
        size_t r1 = 0, r2 = 0;
        char *d1 = dump_rows(o.db, &r1), *d2 = dump_rows(o2.db, &r2);
        T_CHECKF(r1 == total && r2 == total, "%zu and %zu rows", r1, r2);
        T_CHECK(d1 && d2 && strcmp(d1, d2) == 0);
        if (d1 && d2 && strcmp(d1, d2) != 0) {
            size_t i = 0;
            while (d1[i] == d2[i])
                i++;
            T_CHECKF(0, "first difference at byte %zu: [%.80s] vs [%.80s]", i, d1 + i, d2 + i);
        }
        free(d1);
        free(d2);
        sql_close(&o2);
    }
    sql_close(&o);
}

int main(void)
{
    if (!scratch_new(&tmp, "geod_test_builtin")) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_builtin);
    scratch_free(&tmp);
    return T_END();
}

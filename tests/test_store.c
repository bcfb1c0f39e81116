/* test_store.c - data/store.c against what the test wrote and against SQLite/SpatiaLite queried
 * on a connection of its own (tests/lib/storecheck.h): the round trip through a snapshot, the
 * geometry column and its spatial index, the audit log, transactions, and durability. NREC random
 * facilities (tests/lib/gen.h) are written to one store first. Files that are not stores are
 * tests/test_store_recognition.c's, the built-in data tests/test_builtin.c's. */
#include "data/schema.h"
#include "data/store.h"
#include "index/geohash.h"
#include "tests/lib/gen.h"
#include "tests/lib/scratch.h"
#include "tests/lib/storecheck.h"
#include "tests/t.h"

#include <sqlite3.h>

#include <stdint.h>
#include <stdlib.h>

static struct scratch tmp;              /* every file the tests make */
static struct gen_rng rng = {20240601}; /* every random choice */

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

/* ---- the shared store: NREC random facilities written once ---- */

#define NREC 2000
#define ACTOR "测试员 'tester' \"q\""

static struct gen_fac recs[NREC];
static char main_db[512];
static bool main_ok;

static bool make_main_store(void)
{
    static bool made;
    if (made)
        return main_ok;
    made = true;
    tpath(main_db, sizeof main_db, "main.sqlite");
    for (size_t i = 0; i < NREC; i++)
        gen_facility(&rng, &recs[i], i, i ? &recs[i - 1] : NULL);
    struct store *s = NULL;
    char err[256] = "";
    enum geod_err rc = store_open(main_db, true, &s, err, sizeof err);
    T_CHECKF(rc == GEOD_OK, "store_open create: %s (%s)", geod_strerror(rc), err);
    if (rc)
        return false;
    T_CHECK(store_schema_version(s) == (int)schema_migration_count);
    int64_t count = -1;
    T_CHECK(store_facility_count(s, &count) == GEOD_OK && count == 0);
    T_CHECK(store_begin(s) == GEOD_OK);
    int bad = 0;
    for (size_t i = 0; i < NREC; i++) {
        struct store_facility f = gen_store_facility(&recs[i]);
        uint32_t id = 0;
        rc = store_insert_facility(s, &f, ACTOR, &id);
        if ((rc || id != i + 1) && bad++ < 5)
            T_CHECKF(0, "insert %zu: %s, id %u (%s)", i, geod_strerror(rc), id, store_errmsg(s));
    }
    T_CHECK(store_commit(s) == GEOD_OK);
    T_CHECK(store_facility_count(s, &count) == GEOD_OK && count == NREC);
    store_close(s);
    main_ok = bad == 0;
    return main_ok;
}

/* Every record comes back as written: ids 1..n in insertion order, version 1. */
static void check_snapshot(const struct snapshot *snap, const char *what)
{
    T_CHECKF(snap->n == NREC, "%s: %zu facilities, want %d", what, snap->n, NREC);
    T_CHECKF(snap->ncat == 9, "%s: %zu categories", what, snap->ncat);
    size_t want_count[9] = {0};
    for (size_t i = 0; i < NREC; i++)
        for (int c = 0; c < 9; c++)
            want_count[c] += recs[i].category == gen_cat_id[c];
    for (size_t c = 0; c < 9 && c < snap->ncat; c++) {
        T_CHECKF(strcmp(snap->cats[c].id, gen_cat_id[c]) == 0, "%s: category %zu is %s", what, c,
                 snap->cats[c].id);
        T_CHECKF(strcmp(snap->cats[c].name_zh, gen_cat_zh[c]) == 0, "%s: category %zu named %s",
                 what, c, snap->cats[c].name_zh);
        T_CHECKF(snap->cats[c].count == want_count[c], "%s: %s has %zu, want %zu", what,
                 gen_cat_id[c], snap->cats[c].count, want_count[c]);
    }
    int bad = 0;
    for (size_t i = 0; i < NREC; i++) {
        const struct gen_fac *r = &recs[i];
        const struct facility *f = snapshot_get(snap, (uint32_t)(i + 1));
        if (!f) {
            if (bad++ < 5)
                T_CHECKF(0, "%s: id %zu missing", what, i + 1);
            continue;
        }
        char gh[13];
        geohash_encode(r->lon, r->lat, 12, gh);
        bool ok = f->id == i + 1 && f->version == 1 && f->cat < snap->ncat &&
                  strcmp(snap->cats[f->cat].id, r->category) == 0 &&
                  gen_same_str(f->name, r->name) && gen_same_str(f->address, r->address) &&
                  gen_same_str(f->phone, r->phone) && gen_same_str(f->hours, r->hours) &&
                  gen_same_str(f->division_code, r->division_code) &&
                  gen_same_str(f->source, r->source) && gen_same_bits(f->lon, r->lon) &&
                  gen_same_bits(f->lat, r->lat) && strcmp(f->geohash, gh) == 0;
        if (!ok && bad++ < 5)
            T_CHECKF(0,
                     "%s: id %zu differs: version %u cat %d name [%s]/[%s] address [%s]/[%s] "
                     "phone [%s]/[%s] hours [%s]/[%s] code [%s]/[%s] source [%s]/[%s] "
                     "lon %.17g/%.17g lat %.17g/%.17g",
                     what, i + 1, f->version, f->cat, gen_show(f->name), gen_show(r->name),
                     gen_show(f->address), gen_show(r->address), gen_show(f->phone),
                     gen_show(r->phone), gen_show(f->hours), gen_show(r->hours),
                     gen_show(f->division_code), gen_show(r->division_code), gen_show(f->source),
                     gen_show(r->source), f->lon, r->lon, f->lat, r->lat);
    }
    T_CHECKF(bad == 0, "%s: %d records differ", what, bad);
    T_CHECK(snapshot_get(snap, 0) == NULL);
    T_CHECK(snapshot_get(snap, NREC + 1) == NULL);
    T_CHECK(rtree_count(snap->tree) == NREC);
}

static void test_round_trip(void)
{
    if (!make_main_store())
        return;
    for (int pass = 0; pass < 2; pass++) { /* then again after reopening */
        struct store *s = NULL;
        char err[256] = "";
        enum geod_err rc = store_open(main_db, false, &s, err, sizeof err);
        T_CHECKF(rc == GEOD_OK, "reopen: %s (%s)", geod_strerror(rc), err);
        if (rc)
            return;
        T_CHECK(store_schema_version(s) == (int)schema_migration_count);
        uint64_t gen = 0;
        struct snapshot *snap = load(s, &gen);
        T_CHECKF(gen == NREC, "generation %llu, want %d", (unsigned long long)gen, NREC);
        if (snap) {
            T_CHECK(snap->generation == gen);
            check_snapshot(snap, pass ? "second reopen" : "reopen");
        }
        snapshot_free(snap);
        store_close(s);
    }
}

/* ---- the geometry column and its spatial index ---- */

static void test_geometry_mirror(void)
{
    if (!make_main_store())
        return;
    struct sc_conn o;
    if (!sql_open(&o, main_db, SQLITE_OPEN_READONLY))
        return;
    sqlite3_stmt *st = prep(o.db, "SELECT id, lon, lat, ST_X(geom), ST_Y(geom), ST_SRID(geom),"
                                  " GeometryType(geom) FROM facility ORDER BY id");
    size_t rows = 0;
    int bad = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        rows++;
        if (id < 1 || id > NREC) {
            T_CHECKF(0, "unexpected id %lld", (long long)id);
            continue;
        }
        const struct gen_fac *r = &recs[id - 1];
        double lon = sqlite3_column_double(st, 1), lat = sqlite3_column_double(st, 2);
        double x = sqlite3_column_double(st, 3), y = sqlite3_column_double(st, 4);
        bool ok = gen_same_bits(lon, r->lon) && gen_same_bits(lat, r->lat) &&
                  gen_same_bits(x, lon) && gen_same_bits(y, lat) &&
                  sqlite3_column_int(st, 5) == 4326 && sc_col_is(st, 6, "POINT");
        if (!ok && bad++ < 5)
            T_CHECKF(
                0, "id %lld: lon %.17g lat %.17g geom (%.17g %.17g) srid %d %s, wrote %.17g %.17g",
                (long long)id, lon, lat, x, y, sqlite3_column_int(st, 5),
                gen_show((const char *)sqlite3_column_text(st, 6)), r->lon, r->lat);
    }
    sqlite3_finalize(st);
    T_CHECKF(rows == NREC, "%zu rows", rows);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE NOT (ST_X(geom) = lon AND "
                        "ST_Y(geom) = lat AND ST_SRID(geom) = 4326)") == 0);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility WHERE geom IS NULL") == 0);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM geometry_columns WHERE f_table_name = 'facility'"
                        " AND f_geometry_column = 'geom' AND srid = 4326"
                        " AND spatial_index_enabled = 1") == 1);

    /* The R*Tree holds one box per row, containing the point (its float32 bounds round
     * outwards). */
    T_CHECK(q_int(o.db, "SELECT count(*) FROM idx_facility_geom") == NREC);
    T_CHECK(q_int(o.db,
                  "SELECT count(*) FROM facility f JOIN idx_facility_geom r ON r.pkid = "
                  "f.id WHERE r.xmin <= f.lon AND f.lon <= r.xmax AND r.ymin <= f.lat AND "
                  "f.lat <= r.ymax AND r.xmax - r.xmin < 1e-4 AND r.ymax - r.ymin < 1e-4") == NREC);

    /* Box queries: through the raw R*Tree (a superset within float32 rounding, refined by
     * lon/lat) and through the SpatialIndex virtual table, both against brute force. */
    sqlite3_stmt *raw = prep(o.db, "SELECT pkid FROM idx_facility_geom WHERE xmax >= ?1 AND "
                                   "xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4");
    sqlite3_stmt *vt = prep(o.db, "SELECT id FROM facility WHERE ROWID IN (SELECT ROWID FROM "
                                  "SpatialIndex WHERE f_table_name = 'facility' AND "
                                  "f_geometry_column = 'geom' AND search_frame = "
                                  "BuildMbr(?1, ?2, ?3, ?4, 4326)) AND lon BETWEEN ?1 AND ?3 "
                                  "AND lat BETWEEN ?2 AND ?4");
    if (!raw || !vt) {
        sqlite3_finalize(raw);
        sqlite3_finalize(vt);
        sql_close(&o);
        return;
    }
    static char want[NREC + 1], got[NREC + 1];
    int queries = 300, bad_raw = 0, bad_vt = 0;
    size_t total = 0;
    for (int q = 0; q < queries; q++) {
        double w, s, e, n;
        const struct gen_fac *a = &recs[gen_below(&rng, NREC)], *b = &recs[gen_below(&rng, NREC)];
        if (q % 3 == 0) { /* edges exactly on points: the box is closed */
            w = fmin(a->lon, b->lon);
            e = fmax(a->lon, b->lon);
            s = fmin(a->lat, b->lat);
            n = fmax(a->lat, b->lat);
        } else {
            double hw = 0.0005 + gen_unit(&rng) * gen_unit(&rng) * 0.3,
                   hh = 0.0005 + gen_unit(&rng) * gen_unit(&rng) * 0.3;
            w = a->lon - hw;
            e = a->lon + hw;
            s = a->lat - hh;
            n = a->lat + hh;
        }
        memset(want, 0, sizeof want);
        size_t nwant = 0;
        for (size_t i = 0; i < NREC; i++) {
            if (recs[i].lon >= w && recs[i].lon <= e && recs[i].lat >= s && recs[i].lat <= n) {
                want[i + 1] = 1;
                nwant++;
            }
        }
        total += nwant;
        /* raw R*Tree */
        memset(got, 0, sizeof got);
        sqlite3_bind_double(raw, 1, w);
        sqlite3_bind_double(raw, 2, s);
        sqlite3_bind_double(raw, 3, e);
        sqlite3_bind_double(raw, 4, n);
        size_t far = 0;
        while (sqlite3_step(raw) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(raw, 0);
            if (id < 1 || id > NREC)
                continue;
            got[id] = 1;
            if (!want[id]) {
                const struct gen_fac *r = &recs[id - 1];
                far += r->lon < w - 1e-4 || r->lon > e + 1e-4 || r->lat < s - 1e-4 ||
                       r->lat > n + 1e-4;
            }
        }
        sqlite3_reset(raw);
        size_t missed = 0;
        for (size_t i = 1; i <= NREC; i++)
            missed += want[i] && !got[i];
        if ((missed || far) && bad_raw++ < 3)
            T_CHECKF(0, "R*Tree box %d [%.9f %.9f %.9f %.9f]: missed %zu of %zu, %zu far extra", q,
                     w, s, e, n, missed, nwant, far);
        /* SpatialIndex virtual table, refined */
        memset(got, 0, sizeof got);
        sqlite3_bind_double(vt, 1, w);
        sqlite3_bind_double(vt, 2, s);
        sqlite3_bind_double(vt, 3, e);
        sqlite3_bind_double(vt, 4, n);
        int r;
        while ((r = sqlite3_step(vt)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(vt, 0);
            if (id >= 1 && id <= NREC)
                got[id] = 1;
        }
        if (r != SQLITE_DONE && bad_vt++ < 3)
            T_CHECKF(0, "SpatialIndex: %s", sqlite3_errmsg(o.db));
        sqlite3_reset(vt);
        if (memcmp(want, got, sizeof want) != 0 && bad_vt++ < 3)
            T_CHECKF(0, "SpatialIndex box %d [%.9f %.9f %.9f %.9f] differs from brute force", q, w,
                     s, e, n);
    }
    T_CHECKF(bad_raw == 0 && bad_vt == 0, "%d R*Tree and %d SpatialIndex boxes differ", bad_raw,
             bad_vt);
    T_CHECKF(total > (size_t)queries * 5, "boxes too small to mean much: %zu hits", total);
    sqlite3_finalize(raw);
    sqlite3_finalize(vt);
    sql_close(&o);
}

/* ---- the audit log ---- */

static void check_audit(bool exact_coordinates)
{
    if (!make_main_store())
        return;
    struct sc_conn o;
    if (!sql_open(&o, main_db, SQLITE_OPEN_READONLY))
        return;
    sqlite3_stmt *st = prep(
        o.db, "SELECT a.seq, a.facility_id, a.version, a.action, a.actor, a.before IS NULL,"
              " json_valid(a.after), json_extract(a.after, '$.id'),"
              " json_extract(a.after, '$.category'), json_extract(a.after, '$.name'),"
              " json_extract(a.after, '$.address'), json_extract(a.after, '$.phone'),"
              " json_extract(a.after, '$.hours'), json_extract(a.after, '$.lon'),"
              " json_extract(a.after, '$.lat'), json_extract(a.after, '$.division_code'),"
              " json_extract(a.after, '$.source'), json_extract(a.after, '$.source_key'),"
              " json_extract(a.after, '$.version'), json_extract(a.after, '$.deleted'),"
              " a.at = f.updated_at AND f.created_by = ?1 AND f.updated_by = ?1"
              " FROM facility_audit a LEFT JOIN facility f ON f.id = a.facility_id ORDER BY a.seq");
    if (!st) {
        sql_close(&o);
        return;
    }
    sqlite3_bind_text(st, 1, ACTOR, -1, SQLITE_STATIC);
    static char seen[NREC + 1];
    memset(seen, 0, sizeof seen);
    int64_t last_seq = 0, last_id = 0;
    size_t rows = 0;
    int bad = 0, bad_coord = 0;
    double worst = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        int64_t seq = sqlite3_column_int64(st, 0), id = sqlite3_column_int64(st, 1);
        bool ok = seq > last_seq && id > last_id && id >= 1 && id <= NREC && !seen[id];
        last_seq = seq;
        last_id = id;
        if (!ok) {
            if (bad++ < 5)
                T_CHECKF(0, "audit seq %lld for facility %lld out of order or repeated",
                         (long long)seq, (long long)id);
            continue;
        }
        seen[id] = 1;
        const struct gen_fac *r = &recs[id - 1];
        ok = sqlite3_column_int64(st, 2) == 1 && sc_col_is(st, 3, "create") &&
             sc_col_is(st, 4, ACTOR) && sqlite3_column_int(st, 5) == 1 &&
             sqlite3_column_int(st, 6) == 1 && sqlite3_column_int64(st, 7) == id &&
             sc_col_is(st, 8, r->category) && sc_col_is(st, 9, r->name) &&
             sc_col_is(st, 10, r->address) && sc_col_is(st, 11, r->phone) &&
             sc_col_is(st, 12, r->hours) && sc_col_is(st, 15, r->division_code) &&
             sc_col_is(st, 16, r->source) && sc_col_is(st, 17, r->source_key) &&
             sqlite3_column_int64(st, 18) == 1 && sqlite3_column_type(st, 19) == SQLITE_INTEGER &&
             sqlite3_column_int64(st, 19) == 0 && sqlite3_column_int(st, 20) == 1;
        if (!ok && bad++ < 5)
            T_CHECKF(0, "audit of facility %lld: action [%s] actor [%s] name [%s] want [%s]",
                     (long long)id, gen_show((const char *)sqlite3_column_text(st, 3)),
                     gen_show((const char *)sqlite3_column_text(st, 4)),
                     gen_show((const char *)sqlite3_column_text(st, 9)), r->name);
        double lon = sqlite3_column_double(st, 13), lat = sqlite3_column_double(st, 14);
        double err = fmax(fabs(lon - r->lon), fabs(lat - r->lat));
        worst = fmax(worst, err);
        bool coord_ok =
            sqlite3_column_type(st, 13) == SQLITE_FLOAT &&
            sqlite3_column_type(st, 14) == SQLITE_FLOAT &&
            (exact_coordinates ? gen_same_bits(lon, r->lon) && gen_same_bits(lat, r->lat)
                               : err <= 1e-11);
        if (!coord_ok && bad_coord++ < 3)
            T_CHECKF(0, "audit of facility %lld: after.lon/lat %.17g %.17g, row %.17g %.17g",
                     (long long)id, lon, lat, r->lon, r->lat);
    }
    sqlite3_finalize(st);
    T_CHECKF(rows == NREC, "%zu audit rows, want %d", rows, NREC);
    T_CHECKF(bad == 0, "%d audit rows differ from what was written", bad);
    T_CHECKF(bad_coord == 0, "%d audit rows have other coordinates than the row (worst %.3g deg)",
             bad_coord, worst);
    if (!exact_coordinates) {
        /* store_load's generation is the last sequence number */
        int64_t max_seq = q_int(o.db, "SELECT max(seq) FROM facility_audit");
        struct store *s = NULL;
        if (store_open(main_db, false, &s, NULL, 0) == GEOD_OK) {
            uint64_t gen = 0;
            struct snapshot *snap = load(s, &gen);
            T_CHECKF((int64_t)gen == max_seq, "generation %llu, max(seq) %lld",
                     (unsigned long long)gen, (long long)max_seq);
            snapshot_free(snap);
            store_close(s);
        } else {
            T_CHECK(0);
        }
    }
    sql_close(&o);
}

static void test_audit(void)
{
    check_audit(false);
}

/* An audit row's `after` is the record as written: a revert restores it from there, so the
 * coordinates must survive bit for bit (SQLite's JSON prints REALs with 15 digits). */
static void test_audit_exact_coordinates(void)
{
    check_audit(true);
}

/* ---- transactions ---- */

static void test_transactions(void)
{
    if (!make_main_store())
        return;
    char path[512];
    tpath(path, sizeof path, "tx.sqlite");
    struct store *s = NULL;
    char err[256] = "";
    T_CHECKF(store_open(path, true, &s, err, sizeof err) == GEOD_OK, "%s", err);
    if (!s)
        return;
    T_CHECK(store_begin(s) == GEOD_OK);
    for (size_t i = 0; i < 50; i++) {
        struct store_facility f = gen_store_facility(&recs[i]);
        T_CHECK(store_insert_facility(s, &f, ACTOR, NULL) == GEOD_OK);
    }
    store_rollback(s);
    int64_t count = -1;
    T_CHECK(store_facility_count(s, &count) == GEOD_OK && count == 0);
    store_close(s);

    /* every kind of invalid row fails, and the failures leave nothing behind */
    struct store_facility good = {
        .category = "hospital", .name = "好", .lon = 114.3, .lat = 30.6, .source = "t"};
    struct {
        const char *what;
        struct store_facility f;
    } bad[] = {
        {"lon 200", {.category = "hospital", .name = "x", .lon = 200, .lat = 30, .source = "t"}},
        {"lon -180.5",
         {.category = "hospital", .name = "x", .lon = -180.5, .lat = 30, .source = "t"}},
        {"lat 91", {.category = "hospital", .name = "x", .lon = 114, .lat = 91, .source = "t"}},
        {"lon NaN", {.category = "hospital", .name = "x", .lon = NAN, .lat = 30, .source = "t"}},
        {"lat inf",
         {.category = "hospital", .name = "x", .lon = 114, .lat = INFINITY, .source = "t"}},
        {"unknown category",
         {.category = "bakery", .name = "x", .lon = 114, .lat = 30, .source = "t"}},
        {"NULL category", {.category = NULL, .name = "x", .lon = 114, .lat = 30, .source = "t"}},
        {"empty name", {.category = "shelter", .name = "", .lon = 114, .lat = 30, .source = "t"}},
        {"NULL name", {.category = "shelter", .name = NULL, .lon = 114, .lat = 30, .source = "t"}},
        {"NULL source",
         {.category = "shelter", .name = "x", .lon = 114, .lat = 30, .source = NULL}},
        {"duplicate source key",
         {.category = "shelter",
          .name = "x",
          .lon = 114,
          .lat = 30,
          .source = "t",
          .source_key = "k1"}},
    };
    size_t nbad = sizeof bad / sizeof bad[0];
    for (int commit = 0; commit < 2; commit++) {
        T_CHECK(store_open(path, false, &s, err, sizeof err) == GEOD_OK);
        if (!s)
            return;
        T_CHECK(store_begin(s) == GEOD_OK);
        good.source_key = "k1";
        uint32_t id = 0;
        T_CHECK(store_insert_facility(s, &good, ACTOR, &id) == GEOD_OK);
        for (size_t i = 0; i < nbad; i++) {
            uint32_t bid = 12345;
            enum geod_err rc = store_insert_facility(s, &bad[i].f, ACTOR, &bid);
            T_CHECKF(rc != GEOD_OK, "%s was accepted", bad[i].what);
            T_CHECKF(bid == 12345, "%s: id_out written on failure", bad[i].what);
        }
        good.source_key = "k2"; /* the statements are reset: a good row still goes in */
        T_CHECK(store_insert_facility(s, &good, ACTOR, NULL) == GEOD_OK);
        if (commit)
            T_CHECK(store_commit(s) == GEOD_OK);
        else
            store_rollback(s);
        store_close(s);

        struct sc_conn o;
        if (!sql_open(&o, path, SQLITE_OPEN_READONLY))
            return;
        int64_t want = commit ? 2 : 0;
        T_CHECKF(q_int(o.db, "SELECT count(*) FROM facility") == want, "commit=%d", commit);
        T_CHECKF(q_int(o.db, "SELECT count(*) FROM facility_audit") == want, "commit=%d", commit);
        T_CHECKF(q_int(o.db, "SELECT count(*) FROM facility WHERE name = '好' AND lon = 114.3 AND "
                             "source_key IN ('k1', 'k2')") == want,
                 "commit=%d", commit);
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility_audit a JOIN facility f ON f.id = "
                            "a.facility_id") == want);
        sql_close(&o);
    }
}

/* ---- durability ---- */

/* The connections opened while it is registered, so the test can ask the store's own
 * connection for its settings. */
static sqlite3 *seen_db;

static int catch_db(sqlite3 *db, const char **msg, const struct sqlite3_api_routines *api)
{
    (void)msg;
    (void)api;
    if (!seen_db)
        seen_db = db;
    return SQLITE_OK;
}

static void test_durability(void)
{
    if (!make_main_store())
        return;
    char path[512], wal[600];
    tpath(path, sizeof path, "durable.sqlite");
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct store *s = NULL;
    char err[256] = "";
    seen_db = NULL;
    T_CHECK(sqlite3_auto_extension((void (*)(void))catch_db) == SQLITE_OK);
    T_CHECKF(store_open(path, true, &s, err, sizeof err) == GEOD_OK, "%s", err);
    sqlite3_cancel_auto_extension((void (*)(void))catch_db);
    if (!s)
        return;
    T_CHECK(scratch_exists(wal));
    T_CHECK(seen_db != NULL);
    if (seen_db) { /* the store's own connection */
        char mode[32] = "";
        T_CHECK(sc_text(seen_db, "PRAGMA journal_mode", mode, sizeof mode));
        T_CHECKF(strcmp(mode, "wal") == 0, "journal_mode %s", mode);
        T_CHECKF(q_int(seen_db, "PRAGMA synchronous") == 2, "synchronous is not FULL");
        T_CHECK(q_int(seen_db, "PRAGMA foreign_keys") == 1);
    }
    struct sc_conn o;
    if (!sql_open(&o, path, SQLITE_OPEN_READONLY)) {
        store_close(s);
        return;
    }
    char mode[32] = "";
    T_CHECK(sc_text(o.db, "PRAGMA journal_mode", mode, sizeof mode));
    T_CHECKF(strcmp(mode, "wal") == 0, "journal_mode %s", mode);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility") == 0);
    for (int round = 1; round <= 3; round++) {
        T_CHECK(store_begin(s) == GEOD_OK);
        for (size_t i = 0; i < 10; i++) {
            struct store_facility f = gen_store_facility(&recs[(size_t)round * 10 + i]);
            T_CHECK(store_insert_facility(s, &f, ACTOR, NULL) == GEOD_OK);
        }
        /* not visible before the commit... */
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility") == (round - 1) * 10);
        T_CHECK(store_commit(s) == GEOD_OK);
        /* ...and visible right after it, to a connection that shares nothing with the store */
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility") == round * 10);
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility_audit") == round * 10);
        T_CHECK(scratch_exists(wal));
    }
    sql_close(&o);
    store_close(s);
    /* a clean close checkpoints: the main file alone holds everything */
    T_CHECK(!scratch_exists(wal));
    sqlite3 *db = NULL;
    T_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    if (db)
        T_CHECK(q_int(db, "SELECT count(*) FROM facility") == 30);
    sqlite3_close(db);
}

int main(void)
{
    if (!scratch_new(&tmp, "geod_test_store")) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_round_trip);
    T_RUN(test_geometry_mirror);
    T_RUN(test_audit);
    T_RUN(test_audit_exact_coordinates);
    T_RUN(test_transactions);
    T_RUN(test_durability);
    for (size_t i = 0; i < NREC; i++)
        gen_facility_free(&recs[i]);
    scratch_free(&tmp);
    return T_END();
}

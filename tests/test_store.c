/* test_store.c - data/store.c against what the test wrote and against SQLite/SpatiaLite queried
 * on a connection of its own: the round trip through a snapshot, the geometry column and its
 * spatial index, the audit log, transactions, files that are not stores, durability, and the
 * built-in Wuhan data (importers/builtin.c, data/synth.c) against the CSV files it comes from. */
#include "data/store.h"
#include "importers/builtin.h"
#include "index/crs.h"
#include "index/geohash.h"
#include "tests/t.h"

#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h */
#include <spatialite.h>

#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp_dir[] = "/tmp/geod_test_store.XXXXXX";

/* tmp_dir/name into out */
static char *tpath(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmp_dir, name);
    return out;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(p);
}

static uint64_t rng_state = 20240601;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double urand(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static size_t below(size_t n)
{
    return (size_t)(rnd() % n);
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* both NULL, or both strings with the same bytes */
static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* The whole file, or NULL when it cannot be read; *len gets its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The seeded categories, in their idx order (data/schema.c). */
static const char *const cat_id[9] = {
    "community_center", "street_office",   "relief_station",     "shelter",          "hospital",
    "elderly_care",     "elderly_daycare", "welfare_enterprise", "marriage_registry"};
static const char *const cat_zh[9] = {"社区服务中心", "街道办事处", "救助管理站",
                                      "应急避难场所", "医院",       "养老机构",
                                      "日间照料中心", "福利企业",   "婚姻登记处"};

/* ---- random facilities, kept as written ---- */

struct rec {
    const char *category; /* one of cat_id */
    char *name, *address, *phone, *hours, *division_code, *source, *source_key;
    double lon, lat;
};

/* Pieces of names: quotes, SQL and JSON metacharacters, 2-, 3- and 4-byte UTF-8. */
static const char *const frags[] = {
    "a",  "Z",  "7",  " ",   "'",        "\"",   "''",   "\\",        "%",        "_",
    ",",  ";",  "\n", "\t",  "武",       "汉",   "市",   "社区",      "医院",     "服务中心",
    "é",  "ß",  "€",  "😀",   "𠀀",       "《》", "（",   "）",        "\"引号\"", "'单引号'",
    "--", "/*", "*/", "<>&", "\xc2\xa0", "NULL", "null", "{\"a\":1}", "$.name",   "\\u0000",
};

static char *rand_text(size_t min_frags, size_t max_frags)
{
    size_t k = min_frags + below(max_frags - min_frags + 1);
    char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        const char *f = frags[below(sizeof frags / sizeof frags[0])];
        size_t l = strlen(f);
        if (n + l + 1 > sizeof buf)
            break;
        memcpy(buf + n, f, l + 1);
        n += l;
    }
    return strdup(buf);
}

/* NULL (unknown) a quarter of the time, "" (known to be empty) sometimes, else text */
static char *rand_opt(void)
{
    double u = urand();
    if (u < 0.25)
        return NULL;
    if (u < 0.3)
        return strdup("");
    return rand_text(1, 10);
}

static void rand_rec(struct rec *r, size_t i, const struct rec *prev)
{
    static const char *const sources[] = {"adcode", "survey", "synthetic", "手工录入"};
    memset(r, 0, sizeof *r);
    r->category = cat_id[below(9)];
    r->name = rand_text(1, 12);
    if (i % 500 == 7) { /* a long one */
        free(r->name);
        r->name = rand_text(200, 300);
    }
    r->address = rand_opt();
    r->phone = urand() < 0.3 ? NULL : rand_opt();
    r->hours = rand_opt();
    if (urand() < 0.7) {
        char code[13];
        snprintf(code, sizeof code, "4201%08llu", (unsigned long long)below(100000000));
        r->division_code = strdup(code);
    }
    r->source = strdup(sources[below(4)]);
    if (urand() < 0.8) {
        char key[64];
        snprintf(key, sizeof key, "键-%zu'\"", i); /* unique per (source, key) */
        r->source_key = strdup(key);
    }
    if (prev && urand() < 0.02) { /* same position as the one before */
        r->lon = prev->lon;
        r->lat = prev->lat;
    } else {
        r->lon = 113.7 + urand() * 1.4; /* every bit of the double in use */
        r->lat = 29.97 + urand() * 1.4;
        if (urand() < 0.2) { /* as importers round them */
            r->lon = round(r->lon * 1e7) / 1e7;
            r->lat = round(r->lat * 1e7) / 1e7;
        }
    }
}

static void rec_free(struct rec *r)
{
    free(r->name);
    free(r->address);
    free(r->phone);
    free(r->hours);
    free(r->division_code);
    free(r->source);
    free(r->source_key);
}

static struct store_facility as_store(const struct rec *r)
{
    return (struct store_facility){
        .category = r->category,
        .name = r->name,
        .address = r->address,
        .phone = r->phone,
        .hours = r->hours,
        .lon = r->lon,
        .lat = r->lat,
        .division_code = r->division_code,
        .source = r->source,
        .source_key = r->source_key,
    };
}

/* ---- the shared store: NREC random facilities written once ---- */

#define NREC 2000
#define ACTOR "测试员 'tester' \"q\""

static struct rec recs[NREC];
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
        rand_rec(&recs[i], i, i ? &recs[i - 1] : NULL);
    struct store *s = NULL;
    char err[256] = "";
    enum geod_err rc = store_open(main_db, true, &s, err, sizeof err);
    T_CHECKF(rc == GEOD_OK, "store_open create: %s (%s)", geod_strerror(rc), err);
    if (rc)
        return false;
    T_CHECK(store_schema_version(s) == 1);
    int64_t count = -1;
    T_CHECK(store_facility_count(s, &count) == GEOD_OK && count == 0);
    T_CHECK(store_begin(s) == GEOD_OK);
    int bad = 0;
    for (size_t i = 0; i < NREC; i++) {
        struct store_facility f = as_store(&recs[i]);
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

static struct snapshot *load(struct store *s, uint64_t *gen)
{
    struct snapshot_builder *b = NULL;
    struct snapshot *snap = NULL;
    T_CHECK(snapshot_builder_new(&b) == GEOD_OK);
    enum geod_err rc = store_load(s, b, gen);
    T_CHECKF(rc == GEOD_OK, "store_load: %s (%s)", geod_strerror(rc), store_errmsg(s));
    rc = snapshot_builder_finish(b, *gen, &snap);
    T_CHECKF(rc == GEOD_OK, "snapshot_builder_finish: %s", geod_strerror(rc));
    return snap;
}

/* Every record comes back as written: ids 1..n in insertion order, version 1. */
static void check_snapshot(const struct snapshot *snap, const char *what)
{
    T_CHECKF(snap->n == NREC, "%s: %zu facilities, want %d", what, snap->n, NREC);
    T_CHECKF(snap->ncat == 9, "%s: %zu categories", what, snap->ncat);
    size_t want_count[9] = {0};
    for (size_t i = 0; i < NREC; i++)
        for (int c = 0; c < 9; c++)
            want_count[c] += recs[i].category == cat_id[c];
    for (size_t c = 0; c < 9 && c < snap->ncat; c++) {
        T_CHECKF(strcmp(snap->cats[c].id, cat_id[c]) == 0, "%s: category %zu is %s", what, c,
                 snap->cats[c].id);
        T_CHECKF(strcmp(snap->cats[c].name_zh, cat_zh[c]) == 0, "%s: category %zu named %s", what,
                 c, snap->cats[c].name_zh);
        T_CHECKF(snap->cats[c].count == want_count[c], "%s: %s has %zu, want %zu", what, cat_id[c],
                 snap->cats[c].count, want_count[c]);
    }
    int bad = 0;
    for (size_t i = 0; i < NREC; i++) {
        const struct rec *r = &recs[i];
        const struct facility *f = snapshot_get(snap, (uint32_t)(i + 1));
        if (!f) {
            if (bad++ < 5)
                T_CHECKF(0, "%s: id %zu missing", what, i + 1);
            continue;
        }
        char gh[13];
        geohash_encode(r->lon, r->lat, 12, gh);
        bool ok = f->id == i + 1 && f->version == 1 && f->cat < snap->ncat &&
                  strcmp(snap->cats[f->cat].id, r->category) == 0 && str_same(f->name, r->name) &&
                  str_same(f->address, r->address) && str_same(f->phone, r->phone) &&
                  str_same(f->hours, r->hours) && str_same(f->division_code, r->division_code) &&
                  str_same(f->source, r->source) && same_bits(f->lon, r->lon) &&
                  same_bits(f->lat, r->lat) && strcmp(f->geohash, gh) == 0;
        if (!ok && bad++ < 5)
            T_CHECKF(0,
                     "%s: id %zu differs: version %u cat %d name [%s]/[%s] address [%s]/[%s] "
                     "phone [%s]/[%s] hours [%s]/[%s] code [%s]/[%s] source [%s]/[%s] "
                     "lon %.17g/%.17g lat %.17g/%.17g",
                     what, i + 1, f->version, f->cat, show(f->name), show(r->name),
                     show(f->address), show(r->address), show(f->phone), show(r->phone),
                     show(f->hours), show(r->hours), show(f->division_code), show(r->division_code),
                     show(f->source), show(r->source), f->lon, r->lon, f->lat, r->lat);
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
        T_CHECK(store_schema_version(s) == 1);
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

/* ---- an independent connection ---- */

struct oracle {
    sqlite3 *db;
    void *cache;
};

static bool oracle_open(struct oracle *o, const char *path, int flags)
{
    o->db = NULL;
    o->cache = NULL;
    int rc = sqlite3_open_v2(path, &o->db, flags, NULL);
    T_CHECKF(rc == SQLITE_OK, "sqlite3_open_v2 %s: %s", path, sqlite3_errstr(rc));
    if (rc != SQLITE_OK) {
        sqlite3_close(o->db);
        o->db = NULL;
        return false;
    }
    o->cache = spatialite_alloc_connection();
    spatialite_init_ex(o->db, o->cache, 0);
    return true;
}

static void oracle_close(struct oracle *o)
{
    if (o->db)
        T_CHECKF(sqlite3_close(o->db) == SQLITE_OK, "close: %s", sqlite3_errmsg(o->db));
    if (o->cache)
        spatialite_cleanup_ex(o->cache);
    o->db = NULL;
    o->cache = NULL;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    T_CHECKF(rc == SQLITE_OK, "prepare [%s]: %s", sql, sqlite3_errmsg(db));
    return st;
}

/* One integer, or INT64_MIN on an error. */
static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = prep(db, sql);
    int64_t v = INT64_MIN;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        T_CHECKF(0, "[%s]: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return v;
}

/* One text value into out (empty for NULL); false on an error. */
static bool q_text(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = prep(db, sql);
    bool ok = st && sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(st);
    return ok;
}

/* column i is NULL if want is NULL, else text with exactly want's bytes */
static bool col_is(sqlite3_stmt *st, int i, const char *want)
{
    if (!want)
        return sqlite3_column_type(st, i) == SQLITE_NULL;
    if (sqlite3_column_type(st, i) != SQLITE_TEXT)
        return false;
    const void *t = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    return n == strlen(want) && memcmp(t, want, n) == 0;
}

/* ---- the geometry column and its spatial index ---- */

static void test_geometry_mirror(void)
{
    if (!make_main_store())
        return;
    struct oracle o;
    if (!oracle_open(&o, main_db, SQLITE_OPEN_READONLY))
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
        const struct rec *r = &recs[id - 1];
        double lon = sqlite3_column_double(st, 1), lat = sqlite3_column_double(st, 2);
        double x = sqlite3_column_double(st, 3), y = sqlite3_column_double(st, 4);
        bool ok = same_bits(lon, r->lon) && same_bits(lat, r->lat) && same_bits(x, lon) &&
                  same_bits(y, lat) && sqlite3_column_int(st, 5) == 4326 && col_is(st, 6, "POINT");
        if (!ok && bad++ < 5)
            T_CHECKF(
                0, "id %lld: lon %.17g lat %.17g geom (%.17g %.17g) srid %d %s, wrote %.17g %.17g",
                (long long)id, lon, lat, x, y, sqlite3_column_int(st, 5),
                show((const char *)sqlite3_column_text(st, 6)), r->lon, r->lat);
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
        oracle_close(&o);
        return;
    }
    static char want[NREC + 1], got[NREC + 1];
    int queries = 300, bad_raw = 0, bad_vt = 0;
    size_t total = 0;
    for (int q = 0; q < queries; q++) {
        double w, s, e, n;
        const struct rec *a = &recs[below(NREC)], *b = &recs[below(NREC)];
        if (q % 3 == 0) { /* edges exactly on points: the box is closed */
            w = fmin(a->lon, b->lon);
            e = fmax(a->lon, b->lon);
            s = fmin(a->lat, b->lat);
            n = fmax(a->lat, b->lat);
        } else {
            double hw = 0.0005 + urand() * urand() * 0.3, hh = 0.0005 + urand() * urand() * 0.3;
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
                const struct rec *r = &recs[id - 1];
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
    oracle_close(&o);
}

/* ---- the audit log ---- */

static void check_audit(bool exact_coordinates)
{
    if (!make_main_store())
        return;
    struct oracle o;
    if (!oracle_open(&o, main_db, SQLITE_OPEN_READONLY))
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
        oracle_close(&o);
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
        const struct rec *r = &recs[id - 1];
        ok = sqlite3_column_int64(st, 2) == 1 && col_is(st, 3, "create") && col_is(st, 4, ACTOR) &&
             sqlite3_column_int(st, 5) == 1 && sqlite3_column_int(st, 6) == 1 &&
             sqlite3_column_int64(st, 7) == id && col_is(st, 8, r->category) &&
             col_is(st, 9, r->name) && col_is(st, 10, r->address) && col_is(st, 11, r->phone) &&
             col_is(st, 12, r->hours) && col_is(st, 15, r->division_code) &&
             col_is(st, 16, r->source) && col_is(st, 17, r->source_key) &&
             sqlite3_column_int64(st, 18) == 1 && sqlite3_column_type(st, 19) == SQLITE_INTEGER &&
             sqlite3_column_int64(st, 19) == 0 && sqlite3_column_int(st, 20) == 1;
        if (!ok && bad++ < 5)
            T_CHECKF(0, "audit of facility %lld: action [%s] actor [%s] name [%s] want [%s]",
                     (long long)id, show((const char *)sqlite3_column_text(st, 3)),
                     show((const char *)sqlite3_column_text(st, 4)),
                     show((const char *)sqlite3_column_text(st, 9)), r->name);
        double lon = sqlite3_column_double(st, 13), lat = sqlite3_column_double(st, 14);
        double err = fmax(fabs(lon - r->lon), fabs(lat - r->lat));
        worst = fmax(worst, err);
        bool coord_ok =
            sqlite3_column_type(st, 13) == SQLITE_FLOAT &&
            sqlite3_column_type(st, 14) == SQLITE_FLOAT &&
            (exact_coordinates ? same_bits(lon, r->lon) && same_bits(lat, r->lat) : err <= 1e-11);
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
    oracle_close(&o);
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
        struct store_facility f = as_store(&recs[i]);
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

        struct oracle o;
        if (!oracle_open(&o, path, SQLITE_OPEN_READONLY))
            return;
        int64_t want = commit ? 2 : 0;
        T_CHECKF(q_int(o.db, "SELECT count(*) FROM facility") == want, "commit=%d", commit);
        T_CHECKF(q_int(o.db, "SELECT count(*) FROM facility_audit") == want, "commit=%d", commit);
        T_CHECKF(q_int(o.db, "SELECT count(*) FROM facility WHERE name = '好' AND lon = 114.3 AND "
                             "source_key IN ('k1', 'k2')") == want,
                 "commit=%d", commit);
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility_audit a JOIN facility f ON f.id = "
                            "a.facility_id") == want);
        oracle_close(&o);
    }
}

/* ---- recognising what is not a store ---- */

struct probe {
    const char *what;
    enum geod_err want;  /* GEOD_OK: any error */
    const char *mention; /* the message must contain it (besides the path) */
};

static void expect_refused(const char *path, const struct probe *p, bool create)
{
    size_t before_len = 0, after_len = 0;
    char *before = slurp(path, &before_len);
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
    char *after = slurp(path, &after_len);
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
    T_CHECKF(!exists(wal) && !exists(shm), "%s: left %s or %s behind", p->what, wal, shm);
    free(before);
    free(after);
}

static bool make_small_store(const char *path)
{
    struct store *s = NULL;
    if (store_open(path, true, &s, NULL, 0))
        return false;
    bool ok = store_begin(s) == GEOD_OK;
    for (size_t i = 0; ok && i < 200; i++) {
        struct store_facility f = as_store(&recs[i]);
        ok = store_insert_facility(s, &f, ACTOR, NULL) == GEOD_OK;
    }
    ok = ok && store_commit(s) == GEOD_OK;
    store_close(s);
    return ok;
}

static void test_recognition(void)
{
    if (!make_main_store())
        return;
    char path[512];
    struct store *s = (struct store *)path;

    /* missing: not found, and not created */
    tpath(path, sizeof path, "missing.sqlite");
    char err[512] = "";
    T_CHECK(store_open(path, false, &s, err, sizeof err) == GEOD_ENOTFOUND);
    T_CHECK(s == NULL);
    T_CHECKF(strstr(err, path) != NULL, "[%s]", err);
    T_CHECK(!exists(path));
    tpath(path, sizeof path, "missing-dir/x.sqlite");
    T_CHECK(store_open(path, false, &s, NULL, 0) == GEOD_ENOTFOUND);

    /* a text file */
    tpath(path, sizeof path, "notes.txt");
    const char *text = "这不是数据库\nid,name\n1,x\n";
    T_CHECK(spit(path, text, strlen(text)));
    for (int create = 0; create < 2; create++)
        expect_refused(path, &(struct probe){"text file", GEOD_ECORRUPT, NULL}, create);

    /* 100 random bytes */
    tpath(path, sizeof path, "random.bin");
    unsigned char rb[100];
    for (size_t i = 0; i < sizeof rb; i++)
        rb[i] = (unsigned char)rnd();
    T_CHECK(spit(path, rb, sizeof rb));
    expect_refused(path, &(struct probe){"random bytes", GEOD_ECORRUPT, NULL}, false);

    /* 100 bytes that start like SQLite */
    tpath(path, sizeof path, "header-only.bin");
    memcpy(rb, "SQLite format 3", 16);
    T_CHECK(spit(path, rb, sizeof rb));
    expect_refused(path, &(struct probe){"100 bytes with a SQLite header", GEOD_ECORRUPT, NULL},
                   false);

    /* the first 4096 bytes of a real store */
    char real[512];
    tpath(real, sizeof real, "real.sqlite");
    T_CHECK(make_small_store(real));
    size_t len = 0;
    char *bytes = slurp(real, &len);
    T_CHECKF(bytes && len > 8192, "real store: %zu bytes", len);
    if (bytes && len > 4096) {
        tpath(path, sizeof path, "truncated.sqlite");
        T_CHECK(spit(path, bytes, 4096));
        expect_refused(path, &(struct probe){"truncated store", GEOD_ECORRUPT, NULL}, false);
        /* pages overwritten in the middle: an open may or may not notice, but nothing
         * crashes and a load either works or fails cleanly */
        for (size_t page = 1; page < len / 4096 && page < 40; page += 3) {
            char *copy = malloc(len);
            memcpy(copy, bytes, len);
            memset(copy + page * 4096, 0xA5, 4096);
            tpath(path, sizeof path, "damaged.sqlite");
            T_CHECK(spit(path, copy, len));
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
    T_CHECK(spit(path, "", 0));
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
    T_CHECK(exists(wal));
    T_CHECK(seen_db != NULL);
    if (seen_db) { /* the store's own connection */
        char mode[32] = "";
        T_CHECK(q_text(seen_db, "PRAGMA journal_mode", mode, sizeof mode));
        T_CHECKF(strcmp(mode, "wal") == 0, "journal_mode %s", mode);
        T_CHECKF(q_int(seen_db, "PRAGMA synchronous") == 2, "synchronous is not FULL");
        T_CHECK(q_int(seen_db, "PRAGMA foreign_keys") == 1);
    }
    struct oracle o;
    if (!oracle_open(&o, path, SQLITE_OPEN_READONLY)) {
        store_close(s);
        return;
    }
    char mode[32] = "";
    T_CHECK(q_text(o.db, "PRAGMA journal_mode", mode, sizeof mode));
    T_CHECKF(strcmp(mode, "wal") == 0, "journal_mode %s", mode);
    T_CHECK(q_int(o.db, "SELECT count(*) FROM facility") == 0);
    for (int round = 1; round <= 3; round++) {
        T_CHECK(store_begin(s) == GEOD_OK);
        for (size_t i = 0; i < 10; i++) {
            struct store_facility f = as_store(&recs[(size_t)round * 10 + i]);
            T_CHECK(store_insert_facility(s, &f, ACTOR, NULL) == GEOD_OK);
        }
        /* not visible before the commit... */
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility") == (round - 1) * 10);
        T_CHECK(store_commit(s) == GEOD_OK);
        /* ...and visible right after it, to a connection that shares nothing with the store */
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility") == round * 10);
        T_CHECK(q_int(o.db, "SELECT count(*) FROM facility_audit") == round * 10);
        T_CHECK(exists(wal));
    }
    oracle_close(&o);
    store_close(s);
    /* a clean close checkpoints: the main file alone holds everything */
    T_CHECK(!exists(wal));
    sqlite3 *db = NULL;
    T_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    if (db)
        T_CHECK(q_int(db, "SELECT count(*) FROM facility") == 30);
    sqlite3_close(db);
}

/* ---- the built-in Wuhan data ---- */

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
                      same_bits(sqlite3_column_double(st, 0), lon) &&
                      same_bits(sqlite3_column_double(st, 1), lat);
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

    struct oracle o;
    if (!oracle_open(&o, path, SQLITE_OPEN_READONLY))
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
    struct oracle o2;
    if (oracle_open(&o2, path2, SQLITE_OPEN_READONLY)) {
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
        oracle_close(&o2);
    }
    oracle_close(&o);
}

int main(void)
{
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_round_trip);
    T_RUN(test_geometry_mirror);
    T_RUN(test_audit);
    T_RUN(test_audit_exact_coordinates);
    T_RUN(test_transactions);
    T_RUN(test_recognition);
    T_RUN(test_durability);
    T_RUN(test_builtin);
    for (size_t i = 0; i < NREC; i++)
        rec_free(&recs[i]);
    nftw(tmp_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return T_END();
}

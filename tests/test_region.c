/* test_region.c - index/region.c and data/areas.c on the real Wuhan polygons (the GeoJSON under
 * data/wuhan, GCJ-02 converted to WGS-84 per vertex) and on cells derived from the street and
 * community centres: the cells partition their district, a brute-force nearest-centre oracle agrees
 * with them, and region_locate agrees with SpatiaLite's ST_Contains on the same WKB at every level
 * for random, outside, on-edge, on-vertex and just-off-edge points; then threads, timing (not
 * asserted), fixed semantics cases and bad input. Lines starting "  #" describe the data. */
#include "data/areas.h"
#include "index/crs.h"
#include "index/region.h"
#include "tests/t.h"

#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h */
#include <spatialite.h>

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define MAXP 2048 /* polygons: 1 city, 13 districts, 98 streets, 801 communities */
#define MAXS 1024 /* centre points */
#define M2_PER_DEG2 (111320.0 * 111320.0 * 0.862) /* at lat 30.5; for printing only */

struct poly {
    char code[16];
    int level;
    GEOSGeometry *g; /* valid MultiPolygon, WGS-84 */
    unsigned char *wkb;
    size_t len;
};

struct site {
    char code[16], district[16];
    int level;
    double lon, lat; /* WGS-84 */
};

static GEOSContextHandle_t gctx; /* the main thread's context */
static struct poly P[MAXP];
static size_t NP;
static struct region_src SRC[MAXP];
static struct site S[MAXS];
static size_t NS;
static struct region_index *IDX; /* the main thread's index over SRC */
static uint64_t rng = 20240601;

static double urand(void) /* splitmix64, [0, 1) */
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

static double area(const GEOSGeometry *g)
{
    double a = NAN;
    T_CHECK(GEOSArea_r(gctx, g, &a) == 1);
    return a;
}

static void env(const GEOSGeometry *g, double e[4])
{
    GEOSGeom_getXMin_r(gctx, g, &e[0]);
    GEOSGeom_getYMin_r(gctx, g, &e[1]);
    GEOSGeom_getXMax_r(gctx, g, &e[2]);
    GEOSGeom_getYMax_r(gctx, g, &e[3]);
}

static bool env_meet(const double a[4], const double b[4])
{
    return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

static double op_area(GEOSGeometry *(*op)(GEOSContextHandle_t, const GEOSGeometry *,
                                          const GEOSGeometry *),
                      const GEOSGeometry *a, const GEOSGeometry *b)
{
    GEOSGeometry *r = op(gctx, a, b);
    T_CHECK(r != NULL);
    double x = r ? area(r) : NAN;
    GEOSGeom_destroy_r(gctx, r);
    return x;
}

static char contains_xy(const GEOSGeometry *g, double x, double y)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gctx, x, y);
    char r = GEOSContains_r(gctx, g, pt);
    GEOSGeom_destroy_r(gctx, pt);
    return r;
}

/* Takes g; empty geometries are not kept (the store keeps NULL for them). */
static void add_poly(const char *code, int level, GEOSGeometry *g)
{
    if (GEOSisEmpty_r(gctx, g) || NP == MAXP) {
        T_CHECK(NP < MAXP);
        GEOSGeom_destroy_r(gctx, g);
        return;
    }
    struct poly *p = &P[NP];
    snprintf(p->code, sizeof p->code, "%s", code);
    p->level = level;
    p->g = g;
    T_CHECK(areas_to_wkb(gctx, g, &p->wkb, &p->len) == GEOD_OK);
    SRC[NP] = (struct region_src){p->code, level, p->wkb, p->len};
    NP++;
}

/* ---- loading: GeoJSON polygons and CSV centres, GCJ-02 to WGS-84 ---- */

static GEOSGeometry *ring_from_json(json_t *ring)
{
    size_t n = json_array_size(ring);
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(gctx, (unsigned)n, 2);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(ring, i);
        double x, y;
        T_CHECK(crs_convert(CRS_GCJ02, CRS_WGS84, json_number_value(json_array_get(c, 0)),
                            json_number_value(json_array_get(c, 1)), &x, &y) == GEOD_OK);
        GEOSCoordSeq_setXY_r(gctx, cs, (unsigned)i, x, y);
    }
    return GEOSGeom_createLinearRing_r(gctx, cs);
}

static GEOSGeometry *polygon_from_json(json_t *rings)
{
    size_t nh = json_array_size(rings) - 1;
    GEOSGeometry *holes[64];
    T_CHECK(nh < 64);
    for (size_t h = 0; h < nh && h < 64; h++)
        holes[h] = ring_from_json(json_array_get(rings, h + 1));
    GEOSGeometry *shell = ring_from_json(json_array_get(rings, 0));
    return GEOSGeom_createPolygon_r(gctx, shell, holes, (unsigned)(nh < 64 ? nh : 0));
}

static GEOSGeometry *geom_from_json(json_t *geometry)
{
    const char *type = json_string_value(json_object_get(geometry, "type"));
    json_t *coords = json_object_get(geometry, "coordinates");
    if (type && strcmp(type, "Polygon") == 0)
        return polygon_from_json(coords);
    T_CHECKF(type && strcmp(type, "MultiPolygon") == 0, "geometry type %s", type);
    size_t n = json_array_size(coords);
    GEOSGeometry **parts = malloc((n ? n : 1) * sizeof *parts);
    for (size_t i = 0; i < n; i++)
        parts[i] = polygon_from_json(json_array_get(coords, i));
    GEOSGeometry *g = GEOSGeom_createCollection_r(gctx, GEOS_MULTIPOLYGON, parts, (unsigned)n);
    free(parts);
    return g;
}

static void read_geojson(const char *path, int level)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    T_CHECKF(root != NULL, "%s:%d: %s", path, err.line, err.text);
    json_t *feats = json_object_get(root, "features");
    for (size_t i = 0; i < json_array_size(feats); i++) {
        json_t *f = json_array_get(feats, i);
        json_t *props = json_object_get(f, "properties");
        char code[16];
        snprintf(code, sizeof code, "%lld000000",
                 (long long)json_integer_value(json_object_get(props, "adcode")));
        GEOSGeometry *g0 = geom_from_json(json_object_get(f, "geometry")), *g = NULL;
        T_CHECK(areas_repair(gctx, g0, &g) == GEOD_OK && g);
        if (GEOSisValid_r(gctx, g0) != 1) {
            char *why = GEOSisValidReason_r(gctx, g0);
            printf("  # %s %s: invalid after GCJ-02 to WGS-84 (%s); repair changed the area by "
                   "%.3g m2\n",
                   code, json_string_value(json_object_get(props, "name")), why,
                   (area(g) - area(g0)) * M2_PER_DEG2);
            GEOSFree_r(gctx, why);
        }
        GEOSGeom_destroy_r(gctx, g0);
        if (g)
            add_poly(code, level, g);
    }
    json_decref(root);
}

static void load_sites(const char *path)
{
    FILE *fp = fopen(path, "r");
    T_CHECKF(fp != NULL, "cannot open %s", path);
    char line[1024], level[16], district[8];
    double x, y;
    /* code12,name_2016,level,district_code,district_name,street_name_2016,lng,lat,...: no
     * quotes and no empty fields in this file */
    while (fp && fgets(line, sizeof line, fp) && NS < MAXS) {
        struct site *s = &S[NS];
        if (sscanf(line, "%15[^,],%*[^,],%15[^,],%7[^,],%*[^,],%*[^,],%lf,%lf", s->code, level,
                   district, &x, &y) != 5)
            continue; /* the header */
        snprintf(s->district, sizeof s->district, "%s000000", district);
        s->level = strcmp(level, "street") == 0 ? REGION_STREET : REGION_COMMUNITY;
        T_CHECK(crs_convert(CRS_GCJ02, CRS_WGS84, x, y, &s->lon, &s->lat) == GEOD_OK);
        NS++;
    }
    if (fp)
        fclose(fp);
    T_CHECKF(NS == 899, "%zu centres", NS);
}

/* ---- partition properties of one district's cells ---- */

static struct {
    double max_sum_rel, max_overlap, max_outside;
    int dups, sites_outside, empty_cells, oracle_points;
} st;

/* The site of sites[0..n) nearest to (x, y) in areas.h's plane (k = cos(lat_mid)), first index
 * on equal positions; -1 when the two nearest distinct positions are too close to call. */
static int nearest_site(const struct areas_site *s, size_t n, double k, double x, double y)
{
    double d1 = INFINITY, d2 = INFINITY;
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (hypot((s[i].lon - x) * k, s[i].lat - y) < d1) {
            d1 = hypot((s[i].lon - x) * k, s[i].lat - y);
            best = (int)i;
        }
    for (size_t i = 0; best >= 0 && i < n; i++)
        if (s[i].lon != s[best].lon || s[i].lat != s[best].lat)
            d2 = fmin(d2, hypot((s[i].lon - x) * k, s[i].lat - y));
    return d2 - d1 > 1e-9 ? best : -1;
}

static void check_partition(const struct poly *d, const struct areas_site *s, size_t n,
                            GEOSGeometry **cells)
{
    double ad = area(d->g), sum = 0, de[4], ce[MAXS][4];
    env(d->g, de);
    for (size_t i = 0; i < n; i++) {
        T_CHECKF(GEOSisValid_r(gctx, cells[i]) == 1 &&
                     GEOSGeomTypeId_r(gctx, cells[i]) == GEOS_MULTIPOLYGON,
                 "%s cell %zu not a valid MultiPolygon", d->code, i);
        sum += area(cells[i]);
        env(cells[i], ce[i]);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = s[j].lon == s[i].lon && s[j].lat == s[i].lat;
        st.dups += dup;
        st.empty_cells += GEOSisEmpty_r(gctx, cells[i]) == 1;
        if (dup)
            T_CHECK(GEOSisEmpty_r(gctx, cells[i]) == 1);
        else if (contains_xy(d->g, s[i].lon, s[i].lat))
            T_CHECKF(contains_xy(cells[i], s[i].lon, s[i].lat), "%s: site %zu not in its cell",
                     d->code, i);
        else
            st.sites_outside++;
        double out = op_area(GEOSDifference_r, cells[i], d->g) / ad;
        st.max_outside = fmax(st.max_outside, out);
        T_CHECKF(out < 1e-12, "%s cell %zu: %.3g of it outside the district", d->code, i, out);
        for (size_t j = 0; j < i; j++) {
            if (!env_meet(ce[i], ce[j]) || GEOSisEmpty_r(gctx, cells[j]) == 1)
                continue;
            double ov = op_area(GEOSIntersection_r, cells[i], cells[j]) / ad;
            st.max_overlap = fmax(st.max_overlap, ov);
            T_CHECKF(ov < 1e-12, "%s cells %zu, %zu overlap by %.3g", d->code, j, i, ov);
        }
    }
    /* Cutting moves a point by a few ulps (~1e-14 degrees near lon 114): over a perimeter of a
     * few degrees that is ~1e-13 deg2 against areas of 0.01-0.3 deg2, so 1e-9 relative is four
     * orders of margin and still fails for a lost sliver of ~1 m2. */
    double rel = fabs(sum - ad) / ad;
    st.max_sum_rel = fmax(st.max_sum_rel, rel);
    T_CHECKF(rel < 1e-9, "%s: cells sum to %.17g, district %.17g", d->code, sum, ad);
    /* every point of the district lies in the cell of its nearest centre */
    double k = cos((de[1] / 2 + de[3] / 2) * (M_PI / 180));
    for (int t = 0; t < 100; t++) {
        double x = de[0] + urand() * (de[2] - de[0]), y = de[1] + urand() * (de[3] - de[1]);
        int i = nearest_site(s, n, k, x, y);
        if (i < 0 || !contains_xy(d->g, x, y))
            continue;
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gctx, x, y);
        T_CHECKF(GEOSIntersects_r(gctx, cells[i], pt) == 1, "%s: (%.9f, %.9f) not in cell %d",
                 d->code, x, y, i);
        GEOSGeom_destroy_r(gctx, pt);
        st.oracle_points++;
    }
}

/* Derives the cells of district d from its centres of `level`, checks them, keeps them. */
static void derive_level(const struct poly *d, int level)
{
    struct areas_site s[MAXS] = {{0}};
    const char *code[MAXS];
    size_t n = 0;
    for (size_t i = 0; i < NS; i++)
        if (S[i].level == level && strcmp(S[i].district, d->code) == 0) {
            s[n] = (struct areas_site){S[i].lon, S[i].lat};
            code[n++] = S[i].code;
        }
    GEOSGeometry *cells[MAXS];
    T_CHECK(areas_derive(gctx, d->g, s, n, cells) == GEOD_OK);
    if (n) /* 420104 has no street centre */
        check_partition(d, s, n, cells);
    for (size_t i = 0; i < n; i++)
        add_poly(code[i], level, cells[i]);
}

/* District overlaps (the sum of the areas less the union's), and the city against the union. */
static void describe_districts(void)
{
    GEOSGeometry *parts[16], *city = P[0].g;
    size_t nd = 0;
    double sum = 0;
    for (size_t i = 0; i < NP && nd < 16; i++)
        if (P[i].level == REGION_DISTRICT) {
            sum += area(P[i].g);
            parts[nd++] = GEOSGeom_clone_r(gctx, P[i].g);
        }
    GEOSGeometry *all = GEOSGeom_createCollection_r(gctx, GEOS_GEOMETRYCOLLECTION, parts, nd);
    GEOSGeometry *u = GEOSUnaryUnion_r(gctx, all);
    T_CHECK(P[0].level == REGION_CITY && u && nd == 13);
    if (u)
        printf("  # %zu districts: overlaps %.3g m2; city minus districts %.3g m2; districts "
               "minus city %.3g m2; city %.0f km2\n",
               nd, (sum - area(u)) * M2_PER_DEG2, op_area(GEOSDifference_r, city, u) * M2_PER_DEG2,
               op_area(GEOSDifference_r, u, city) * M2_PER_DEG2, area(city) * M2_PER_DEG2 / 1e6);
    GEOSGeom_destroy_r(gctx, u);
    GEOSGeom_destroy_r(gctx, all);
}

static void test_load_and_partition(void)
{
    read_geojson("data/wuhan/wuhan_city_boundary_gcj02.geojson", REGION_CITY);
    read_geojson("data/wuhan/wuhan_districts_gcj02.geojson", REGION_DISTRICT);
    load_sites("data/wuhan/pois_communities_wuhan_gcj02.csv");
    describe_districts();
    size_t nd = NP;
    for (size_t i = 0; i < nd; i++)
        if (P[i].level == REGION_DISTRICT) {
            derive_level(&P[i], REGION_STREET);
            derive_level(&P[i], REGION_COMMUNITY);
        }
    printf("  # %zu polygons; %d duplicate centres (empty cells), %d other empty cells, %d "
           "centres outside their district; cell sums off by <= %.2g, overlaps <= %.2g, "
           "outside <= %.2g (relative); %d nearest-centre oracle points\n",
           NP, st.dups, st.empty_cells - st.dups, st.sites_outside, st.max_sum_rel, st.max_overlap,
           st.max_outside, st.oracle_points);
    T_CHECK(region_index_new(SRC, NP, &IDX) == GEOD_OK);
}

/* ---- region_locate against SpatiaLite ---- */

/* A random edge (a, b) of a random polygon of a random level. */
static void random_edge(double *ax, double *ay, double *bx, double *by)
{
    int level = (int)(urand() * REGION_LEVELS);
    size_t p;
    do
        p = (size_t)(urand() * NP);
    while (P[p].level != level);
    const GEOSGeometry *g = P[p].g;
    const GEOSGeometry *poly =
        GEOSGetGeometryN_r(gctx, g, (int)(urand() * GEOSGetNumGeometries_r(gctx, g)));
    int nh = GEOSGetNumInteriorRings_r(gctx, poly), r = (int)(urand() * (nh + 1));
    const GEOSGeometry *ring =
        r ? GEOSGetInteriorRingN_r(gctx, poly, r - 1) : GEOSGetExteriorRing_r(gctx, poly);
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(gctx, ring);
    unsigned int n = 0;
    GEOSCoordSeq_getSize_r(gctx, cs, &n);
    unsigned int i = (unsigned)(urand() * (n - 1));
    GEOSCoordSeq_getXY_r(gctx, cs, i, ax, ay);
    GEOSCoordSeq_getXY_r(gctx, cs, i + 1, bx, by);
}

enum { PT_BOX, PT_OUTSIDE, PT_EDGE, PT_VERTEX, PT_OFF9, PT_OFF7, PT_KINDS };
static const char *const kind_name[PT_KINDS] = {"box",       "outside",       "on edge",
                                                "on vertex", "1e-9 off edge", "1e-7 off edge"};

/* A point of kind k into (x, y). */
static void make_point(int k, double *x, double *y)
{
    double ax, ay, bx, by, t = urand();
    switch (k) {
    case PT_BOX:
        *x = 113.6 + 1.6 * urand(), *y = 29.9 + 1.6 * urand();
        return;
    case PT_OUTSIDE:
        do
            *x = 112.6 + 3.6 * urand(), *y = 28.9 + 3.6 * urand();
        while (*x > 113.6 && *x < 115.2 && *y > 29.9 && *y < 31.5);
        return;
    }
    random_edge(&ax, &ay, &bx, &by);
    if (k == PT_VERTEX) {
        *x = ax, *y = ay;
        return;
    }
    *x = ax + t * (bx - ax), *y = ay + t * (by - ay);
    if (k == PT_EDGE)
        return;
    double len = hypot(bx - ax, by - ay), off = (k == PT_OFF9 ? 1e-9 : 1e-7);
    off = urand() < 0.5 ? -off : off;
    *x -= off * (by - ay) / len, *y += off * (bx - ax) / len;
}

static void test_oracle(void)
{
    static const int per_kind[PT_KINDS] = {2000, 300, 1000, 500, 1000, 1000};
    static const double far[][2] = {{0, 0}, {-180, -90}, {180, 90}, {114.3, -30.6}};
    sqlite3 *db = NULL;
    void *cache = spatialite_alloc_connection();
    T_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    spatialite_init_ex(db, cache, 0);
    T_CHECK(sqlite3_exec(db,
                         "CREATE TABLE t(code TEXT, level INT, minx REAL, miny REAL, maxx REAL,"
                         " maxy REAL, geom BLOB NOT NULL)",
                         NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *ins = NULL, *q = NULL;
    T_CHECK(sqlite3_prepare_v2(db,
                               "INSERT INTO t SELECT ?1, ?2, MbrMinX(g), MbrMinY(g), MbrMaxX(g),"
                               " MbrMaxY(g), g FROM (SELECT GeomFromWKB(?3, 4326) AS g)",
                               -1, &ins, NULL) == SQLITE_OK);
    for (size_t i = 0; i < NP; i++) {
        sqlite3_bind_text(ins, 1, P[i].code, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 2, P[i].level);
        sqlite3_bind_blob(ins, 3, P[i].wkb, (int)P[i].len, SQLITE_STATIC);
        T_CHECKF(sqlite3_step(ins) == SQLITE_DONE, "%s: %s", P[i].code, sqlite3_errmsg(db));
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    /* the bounding-box terms only spare SpatiaLite a parse per row; they are inclusive */
    T_CHECK(sqlite3_prepare_v2(db,
                               "SELECT code FROM t WHERE level = ?1 AND minx <= ?2 AND maxx >= ?2"
                               " AND miny <= ?3 AND maxy >= ?3"
                               " AND ST_Contains(geom, MakePoint(?2, ?3, 4326)) = 1"
                               " ORDER BY code LIMIT 1",
                               -1, &q, NULL) == SQLITE_OK);
    enum { NPT = 5800 };
    static double px[NPT], py[NPT];
    static int pk[NPT];
    int npt = 0, found[REGION_LEVELS] = {0}, diff[PT_KINDS] = {0};
    for (int k = 0; k < PT_KINDS; k++)
        for (int j = 0; j < per_kind[k] && npt < NPT; j++, npt++) {
            pk[npt] = k;
            make_point(k, &px[npt], &py[npt]);
            if (k == PT_OUTSIDE && j < 4)
                px[npt] = far[j][0], py[npt] = far[j][1];
        }
    /* level by level: SpatiaLite keeps the last polygon it used prepared */
    for (int l = 0; l < REGION_LEVELS; l++)
        for (int i = 0; i < npt; i++) {
            const char *got = NULL, *want = NULL;
            T_CHECK(region_locate(IDX, px[i], py[i], l, &got) == GEOD_OK);
            sqlite3_bind_int(q, 1, l);
            sqlite3_bind_double(q, 2, px[i]);
            sqlite3_bind_double(q, 3, py[i]);
            int rc = sqlite3_step(q);
            T_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE);
            if (rc == SQLITE_ROW)
                want = (const char *)sqlite3_column_text(q, 0);
            bool same = (!got && !want) || (got && want && strcmp(got, want) == 0);
            diff[pk[i]] += !same;
            found[l] += got != NULL;
            T_CHECKF(same, "%s point (%.17g, %.17g) level %d: region %s, SpatiaLite %s",
                     kind_name[pk[i]], px[i], py[i], l, got ? got : "none", want ? want : "none");
            sqlite3_reset(q);
        }
    T_CHECK(npt >= 5000);
    printf("  # %d points x %d levels; inside a polygon per level: %d %d %d %d; disagreements:",
           npt, REGION_LEVELS, found[0], found[1], found[2], found[3]);
    for (int k = 0; k < PT_KINDS; k++)
        printf(" %s %d%s", kind_name[k], diff[k], k + 1 < PT_KINDS ? "," : "\n");
    sqlite3_finalize(q);
    T_CHECK(sqlite3_close(db) == SQLITE_OK);
    spatialite_cleanup_ex(cache);
}

/* ---- threads: each its own index over the same WKB ---- */

#define NTHREAD_PTS 50000

static pthread_barrier_t start; /* both indexes built before either thread queries */

struct worker {
    pthread_t tid;
    const double *xy;        /* [2 * NTHREAD_PTS] */
    const char *const *want; /* [NTHREAD_PTS], from the main thread's index */
    int mismatches, errors;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct region_index *idx = NULL;
    w->errors += region_index_new(SRC, NP, &idx) != GEOD_OK;
    pthread_barrier_wait(&start);
    for (int i = 0; idx && i < NTHREAD_PTS; i++) {
        const char *got = NULL;
        w->errors +=
            region_locate(idx, w->xy[2 * i], w->xy[2 * i + 1], i % REGION_LEVELS, &got) != GEOD_OK;
        const char *want = w->want[i];
        w->mismatches += !((!got && !want) || (got && want && strcmp(got, want) == 0));
    }
    region_index_free(idx);
    return NULL;
}

static void test_threads(void)
{
    double *xy = malloc(2 * NTHREAD_PTS * sizeof *xy);
    const char **want = malloc(NTHREAD_PTS * sizeof *want);
    for (int i = 0; i < NTHREAD_PTS; i++) {
        make_point(i % 5 ? PT_BOX : PT_OFF9, &xy[2 * i], &xy[2 * i + 1]);
        T_CHECK(region_locate(IDX, xy[2 * i], xy[2 * i + 1], i % REGION_LEVELS, &want[i]) ==
                GEOD_OK);
    }
    struct worker w[2];
    pthread_barrier_init(&start, NULL, 2);
    for (int t = 0; t < 2; t++) {
        w[t] = (struct worker){.xy = xy, .want = want};
        T_CHECK(pthread_create(&w[t].tid, NULL, worker_main, &w[t]) == 0);
    }
    for (int t = 0; t < 2; t++) {
        pthread_join(w[t].tid, NULL);
        T_CHECKF(w[t].errors == 0 && w[t].mismatches == 0, "thread %d: %d errors, %d mismatches", t,
                 w[t].errors, w[t].mismatches);
    }
    pthread_barrier_destroy(&start);
    free(want);
    free(xy);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_timing(void)
{
    double t0 = now();
    struct region_index *idx = NULL;
    T_CHECK(region_index_new(SRC, NP, &idx) == GEOD_OK);
    printf("  # build %.1f ms, ~%.1f MB (region_index_bytes); random points in the box;",
           (now() - t0) * 1e3, region_index_bytes(idx) / 1e6);
    for (int l = 0; idx && l < REGION_LEVELS; l++) {
        enum { N = 100000 };
        int hit = 0;
        t0 = now();
        for (int i = 0; i < N; i++) {
            const char *c;
            region_locate(idx, 113.6 + 1.6 * urand(), 29.9 + 1.6 * urand(), l, &c);
            hit += c != NULL;
        }
        printf(" level %d (%zu polygons, %d%% hits): %.2f us/locate%s", l,
               region_index_count(idx, l), hit / (N / 100), (now() - t0) / N * 1e6,
               l + 1 < REGION_LEVELS ? "," : "\n");
    }
    region_index_free(idx);
}

/* ---- fixed cases ---- */

static GEOSGeometry *wkt(const char *s)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(gctx);
    GEOSGeometry *g = GEOSWKTReader_read_r(gctx, r, s);
    GEOSWKTReader_destroy_r(gctx, r);
    T_CHECKF(g != NULL, "WKT %s", s);
    return g;
}

static const char *at(struct region_index *idx, double x, double y, int level)
{
    const char *c = "unset";
    T_CHECK(region_locate(idx, x, y, level, &c) == GEOD_OK);
    return c ? c : "none";
}

static void test_semantics(void)
{
    const char *w[] = {"POLYGON((0 0,2 0,2 2,0 2,0 0))", "POLYGON((1 1,3 1,3 3,1 3,1 1))",
                       "POLYGON((10 10,14 10,14 14,10 14,10 10),(11 11,13 11,13 13,11 13,11 11))",
                       "POLYGON EMPTY"};
    const char *codes[] = {"b", "a", "c", "e"};
    struct region_src src[4];
    unsigned char *buf[4] = {0};
    for (int i = 0; i < 4; i++) {
        GEOSGeometry *g = wkt(w[i]);
        size_t len = 0;
        T_CHECK(areas_to_wkb(gctx, g, &buf[i], &len) == GEOD_OK);
        GEOSGeom_destroy_r(gctx, g);
        src[i] = (struct region_src){codes[i], REGION_STREET, buf[i], len};
    }
    struct region_index *idx = NULL;
    T_CHECK(region_index_new(src, 4, &idx) == GEOD_OK);
    for (int i = 0; i < 4; i++)
        free(buf[i]);
    if (!idx)
        return;
    T_CHECK(region_index_count(idx, 2) == 3 && region_index_count(idx, 1) == 0);
    T_CHECK(strcmp(at(idx, 1.5, 1.5, 2), "a") == 0); /* both: the smaller code */
    T_CHECK(strcmp(at(idx, 0.5, 0.5, 2), "b") == 0);
    T_CHECK(strcmp(at(idx, 2, 1.5, 2), "a") == 0);    /* on b's edge, inside a */
    T_CHECK(strcmp(at(idx, 1, 1.5, 2), "b") == 0);    /* on a's edge, inside b */
    T_CHECK(strcmp(at(idx, 0, 1, 2), "none") == 0);   /* boundary only */
    T_CHECK(strcmp(at(idx, 0, 0, 2), "none") == 0);   /* vertex */
    T_CHECK(strcmp(at(idx, 12, 12, 2), "none") == 0); /* in the hole */
    T_CHECK(strcmp(at(idx, 11, 12, 2), "none") == 0); /* on the hole's edge */
    T_CHECK(strcmp(at(idx, 10.5, 12, 2), "c") == 0);
    T_CHECK(strcmp(at(idx, 10.5, 12, 1), "none") == 0); /* an empty level */
    const char *c = "unset";
    T_CHECK(region_locate(idx, NAN, 1, 2, &c) == GEOD_EINVAL && c == NULL);
    T_CHECK(region_locate(idx, 1, 1, 4, &c) == GEOD_EINVAL && c == NULL);
    T_CHECK(region_locate(idx, 1, 1, -1, &c) == GEOD_EINVAL);
    region_index_free(idx);
    region_index_free(NULL);
}

static void test_derive_small(void)
{
    GEOSGeometry *d = wkt("POLYGON((114 30,115 30,115 31,114 31,114 30))"), *cells[4];
    struct areas_site s[] = {{114.25, 30.5}, {114.25, 30.5}, {114.75, 30.5}, {115.2, 30.5}};
    T_CHECK(areas_derive(gctx, d, s, 4, cells) == GEOD_OK);
    T_CHECK(fabs(area(cells[0]) - 0.5) < 1e-12); /* bisector x = 114.5 in any scaling */
    T_CHECK(GEOSisEmpty_r(gctx, cells[1]) == 1); /* a duplicate */
    T_CHECK(fabs(area(cells[2]) - 0.475) < 1e-12);
    T_CHECK(fabs(area(cells[3]) - 0.025) < 1e-12); /* outside: the strip nearest to it */
    for (int i = 0; i < 4; i++)
        GEOSGeom_destroy_r(gctx, cells[i]);
    /* the plane: a degree of longitude counts cos(30.5) of one of latitude. Raw degrees would
     * put (114.5, 30.687) nearer the first site, the plane nearer the second. */
    struct areas_site s2[] = {{114.5, 30.5}, {114.7, 30.5 + 0.2 * cos(30.5 * M_PI / 180)}};
    T_CHECK(areas_derive(gctx, d, s2, 2, cells) == GEOD_OK);
    T_CHECK(contains_xy(cells[1], 114.5, 30.687) && contains_xy(cells[0], 114.5, 30.66));
    GEOSGeom_destroy_r(gctx, cells[0]);
    GEOSGeom_destroy_r(gctx, cells[1]);
    T_CHECK(areas_derive(gctx, d, s, 1, cells) == GEOD_OK); /* one site: all of it */
    T_CHECK(fabs(area(cells[0]) - 1) < 1e-12);
    GEOSGeom_destroy_r(gctx, cells[0]);
    T_CHECK(areas_derive(gctx, d, s, 0, cells) == GEOD_OK);
    s[2].lat = NAN;
    T_CHECK(areas_derive(gctx, d, s, 4, cells) == GEOD_EINVAL && cells[0] == NULL);
    GEOSGeometry *line = wkt("LINESTRING(114 30,115 31)");
    T_CHECK(areas_derive(gctx, line, s, 2, cells) == GEOD_EINVAL);
    GEOSGeom_destroy_r(gctx, line);
    GEOSGeom_destroy_r(gctx, d);
}

static void test_bad_input(void)
{
    GEOSGeometry *bow = wkt("POLYGON((0 0,2 2,2 0,0 2,0 0))"), *fixed = NULL;
    T_CHECK(GEOSisValid_r(gctx, bow) == 0);
    T_CHECK(areas_repair(gctx, bow, &fixed) == GEOD_OK && fixed);
    T_CHECK(GEOSisValid_r(gctx, fixed) == 1 && GEOSGeomTypeId_r(gctx, fixed) == GEOS_MULTIPOLYGON &&
            GEOSGetNumGeometries_r(gctx, fixed) == 2);
    T_CHECKF(fabs(area(fixed) - 2) < 1e-12, "bowtie repaired to area %g", area(fixed));
    unsigned char *wkb = NULL;
    size_t len = 0;
    GEOSGeometry *back = NULL;
    T_CHECK(areas_to_wkb(gctx, fixed, &wkb, &len) == GEOD_OK && len > 9);
    T_CHECK(areas_from_wkb(gctx, wkb, len, &back) == GEOD_OK &&
            GEOSEqualsExact_r(gctx, back, fixed, 0) == 1);
    GEOSGeom_destroy_r(gctx, back);
    T_CHECK(areas_from_wkb(gctx, wkb, len / 2, &back) == GEOD_EINVAL && back == NULL);
    struct region_index *idx = (struct region_index *)1;
    struct region_src src = {"x", 1, wkb, len / 2}; /* truncated */
    T_CHECK(region_index_new(&src, 1, &idx) == GEOD_EINVAL && idx == NULL);
    src = (struct region_src){"x", 1, (const unsigned char *)"not a polygon", 13};
    T_CHECK(region_index_new(&src, 1, &idx) == GEOD_EINVAL);
    T_CHECK(areas_from_wkb(gctx, src.wkb, src.wkb_len, &back) == GEOD_EINVAL);
    src = (struct region_src){"x", 5, wkb, len};
    T_CHECK(region_index_new(&src, 1, &idx) == GEOD_EINVAL);
    src = (struct region_src){NULL, 1, wkb, len};
    T_CHECK(region_index_new(&src, 1, &idx) == GEOD_EINVAL);
    src = (struct region_src){"x", 1, NULL, 0}; /* no boundary: skipped */
    T_CHECK(region_index_new(&src, 1, &idx) == GEOD_OK && region_index_count(idx, 1) == 0);
    region_index_free(idx);
    free(wkb);
    static const char *const not_polygonal[] = {"POINT(1 1)", "LINESTRING(0 0,1 1)",
                                                "POLYGON((0 0,1 0,nan 1,0 0))"};
    for (int i = 0; i < 3; i++) {
        GEOSGeometry *g = wkt(not_polygonal[i]);
        T_CHECK(areas_to_wkb(gctx, g, &wkb, &len) == GEOD_OK);
        src = (struct region_src){"x", 1, wkb, len};
        T_CHECKF(region_index_new(&src, 1, &idx) == GEOD_EINVAL, "%s", not_polygonal[i]);
        T_CHECKF(areas_repair(gctx, g, &back) == GEOD_EINVAL, "%s", not_polygonal[i]);
        GEOSGeom_destroy_r(gctx, g);
        free(wkb);
    }
    GEOSGeom_destroy_r(gctx, fixed);
    GEOSGeom_destroy_r(gctx, bow);
}

int main(void)
{
    gctx = GEOS_init_r();
    T_RUN(test_semantics);
    T_RUN(test_derive_small);
    T_RUN(test_bad_input);
    T_RUN(test_load_and_partition);
    if (IDX) {
        T_RUN(test_oracle);
        T_RUN(test_threads);
        T_RUN(test_timing);
    }
    region_index_free(IDX);
    for (size_t i = 0; i < NP; i++) {
        GEOSGeom_destroy_r(gctx, P[i].g);
        free(P[i].wkb);
    }
    GEOS_finish_r(gctx);
    return T_END();
}

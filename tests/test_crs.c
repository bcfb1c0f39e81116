/* test_crs.c - index/crs.c against published vectors (tests/data/crs_vectors.csv), 332 city
 * vectors (tests/data/crs_city_vectors.csv) and round-trip properties on random points.
 * The worst errors seen are printed on "#" lines so a regression in accuracy is visible. */
#include "index/crs.h"
#include "tests/t.h"

#include <stdint.h>
#include <stdlib.h>

#define VECTORS "tests/data/crs_vectors.csv"
#define CITY_VECTORS "tests/data/crs_city_vectors.csv"
#define MAX_FIELDS 32
#define EARTH_R 6371008.8 /* mean radius, metres: enough for metre-level tolerances */
#define DEG (3.14159265358979323846 / 180.0)

/* How far the closed-form BD-09 inverse may be from the true one over China (crs.c). */
#define BD_CLOSED_FORM_ERR 2e-6

/* --- small helpers ------------------------------------------------------------------------ */

/* Splits one CSV line in place (RFC 4180 quoting: "a,b" and "" inside quotes; no newlines in
 * fields). Returns the number of fields, or -1 for an unterminated quote or too many fields. */
static int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *r = line, *w = line;
    for (;;) {
        if (n == max)
            return -1;
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (!*r)
                    return -1;
                if (*r == '"' && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else {
                    *w++ = *r++;
                }
            }
        }
        while (*r && *r != ',')
            *w++ = *r++;
        if (!*r) {
            *w = '\0';
            return n;
        }
        *w++ = '\0';
        r++;
    }
}

/* Reads the next line without its line ending; false at end of file. */
static bool read_line(FILE *f, char **buf, size_t *cap)
{
    ssize_t len = getline(buf, cap, f);
    if (len < 0)
        return false;
    while (len > 0 && ((*buf)[len - 1] == '\n' || (*buf)[len - 1] == '\r'))
        (*buf)[--len] = '\0';
    return true;
}

static int column(char **hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(hdr[i], name))
            return i;
    return -1;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end != s && !*end;
}

/* Distance in metres, equirectangular: good to far better than 1 % over a few hundred metres. */
static double dist_m(double lon1, double lat1, double lon2, double lat2)
{
    double dx = (lon2 - lon1) * cos((lat1 + lat2) / 2 * DEG), dy = lat2 - lat1;
    return EARTH_R * DEG * sqrt(dx * dx + dy * dy);
}

static double max_abs2(double a, double b)
{
    return fmax(fabs(a), fabs(b));
}

/* splitmix64: a reproducible stream without a global. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_next(s) >> 11) * 0x1p-53;
}

typedef void (*crs_fn)(double, double, double *, double *);

/* The library function for one link of the chain, or NULL. */
static crs_fn link_fn(enum crs_id from, enum crs_id to)
{
    if (from == CRS_WGS84 && to == CRS_GCJ02)
        return crs_wgs84_to_gcj02;
    if (from == CRS_GCJ02 && to == CRS_WGS84)
        return crs_gcj02_to_wgs84;
    if (from == CRS_GCJ02 && to == CRS_BD09)
        return crs_gcj02_to_bd09;
    if (from == CRS_BD09 && to == CRS_GCJ02)
        return crs_bd09_to_gcj02;
    return NULL;
}

/* Random points: over China, kept 0.02 degrees inside the GCJ-02 rectangle because within
 * ~0.011 degrees (the largest offset) of its edges the forward map is not one-to-one; and
 * around Wuhan, where geod's data is. */
static void random_china(uint64_t *s, double *lon, double *lat)
{
    *lon = rng_uniform(s, 72.004 + 0.02, 137.8347 - 0.02);
    *lat = rng_uniform(s, 0.8293 + 0.02, 55.8271 - 0.02);
}

static void random_wuhan(uint64_t *s, double *lon, double *lat)
{
    *lon = rng_uniform(s, 113.6, 115.1);
    *lat = rng_uniform(s, 29.9, 31.4);
}

/* --- oracles for the published (approximate) formulas some vectors encode ------------------ */

/* The one-step GCJ-02 inverse of coordtransform/eviltransform: g - e(g). */
static void one_step_gcj02_to_wgs84(double lon, double lat, double *out_lon, double *out_lat)
{
    double flon, flat;
    crs_wgs84_to_gcj02(lon, lat, &flon, &flat);
    *out_lon = lon - (flon - lon);
    *out_lat = lat - (flat - lat);
}

/* The closed-form BD-09 inverse (coordtransform's bd09togcj02). With variant set, eviltransform's
 * version, which has pi where the others have x_pi = pi * 3000 / 180. */
static void closed_bd09_to_gcj02(double lon, double lat, bool variant, double *out_lon,
                                 double *out_lat)
{
    double k = variant ? 3.14159265358979323846 : 3.14159265358979323846 * 3000.0 / 180.0;
    double x = lon - 0.0065, y = lat - 0.006;
    double z = sqrt(x * x + y * y) - 0.00002 * sin(y * k);
    double theta = atan2(y, x) - 0.000003 * cos(x * k);
    *out_lon = z * cos(theta);
    *out_lat = z * sin(theta);
}

/* --- tests --------------------------------------------------------------------------------- */

static void test_parse_name(void)
{
    enum crs_id id;
    for (int i = 0; i < CRS_COUNT; i++) {
        const char *name = crs_name((enum crs_id)i);
        T_CHECK(name != NULL);
        if (!name)
            continue;
        T_CHECKF(crs_parse(name, strlen(name), &id) == GEOD_OK && id == (enum crs_id)i, "%s", name);
    }
    T_CHECK(crs_parse("WGS84", 5, &id) == GEOD_OK && id == CRS_WGS84);
    T_CHECK(crs_parse("Gcj02", 5, &id) == GEOD_OK && id == CRS_GCJ02);
    T_CHECK(crs_parse("BD09", 4, &id) == GEOD_OK && id == CRS_BD09);
    T_CHECK(crs_parse("CGCS2000", 8, &id) == GEOD_OK && id == CRS_CGCS2000);
    /* len, not NUL, ends the name: a query string is not NUL-terminated per parameter */
    T_CHECK(crs_parse("bd09&x=1", 4, &id) == GEOD_OK && id == CRS_BD09);
    id = CRS_GCJ02;
    T_CHECK(crs_parse("wgs", 3, &id) == GEOD_ECRS);
    T_CHECK(crs_parse("wgs84x", 6, &id) == GEOD_ECRS);
    T_CHECK(crs_parse("wgs84", 4, &id) == GEOD_ECRS);
    T_CHECK(crs_parse("wgs-84", 6, &id) == GEOD_ECRS);
    T_CHECK(crs_parse("bd09mc", 6, &id) == GEOD_ECRS);
    T_CHECK(crs_parse("epsg:4326", 9, &id) == GEOD_ECRS);
    T_CHECK(crs_parse("wgs84\0", 6, &id) == GEOD_ECRS);
    T_CHECK(crs_parse("", 0, &id) == GEOD_ECRS);
    T_CHECK(crs_parse(NULL, 0, &id) == GEOD_ECRS);
    T_CHECK(crs_parse(NULL, 3, &id) == GEOD_EINVAL);
    T_CHECK(id == CRS_GCJ02); /* untouched on failure */
    T_CHECK(crs_name(CRS_COUNT) == NULL);
    T_CHECK(crs_name((enum crs_id)1000) == NULL);
}

static void test_in_china(void)
{
    T_CHECK(crs_in_china(114.3055, 30.5928)); /* Wuhan */
    T_CHECK(crs_in_china(72.004, 0.8293));    /* corners are inside */
    T_CHECK(crs_in_china(137.8347, 55.8271));
    T_CHECK(!crs_in_china(72.0039, 30));
    T_CHECK(!crs_in_china(137.8348, 30));
    T_CHECK(!crs_in_china(100, 0.8292));
    T_CHECK(!crs_in_china(100, 55.8272));
    T_CHECK(!crs_in_china(NAN, 30));
    T_CHECK(!crs_in_china(100, NAN));
    T_CHECK(!crs_in_china(INFINITY, 30));
}

/* Row kinds of crs_vectors.csv, counted so a change to the file or to the classification is
 * noticed: the expected numbers are those of the file as committed. */
struct vector_counts {
    int direct;  /* checked through crs_convert at the row's own tolerance */
    int approx;  /* encode a published approximate inverse; see check_approx_row */
    int variant; /* encode eviltransform's variant BD-09 formula; see check_approx_row */
    int skipped; /* BD09MC, EPSG3857: not this module's systems */
    int total;
};

static bool within(double got_lon, double got_lat, double exp_lon, double exp_lat, double tol,
                   bool metres, double *err)
{
    *err = metres ? dist_m(got_lon, got_lat, exp_lon, exp_lat)
                  : max_abs2(got_lon - exp_lon, got_lat - exp_lat);
    return *err <= tol;
}

/* Rows whose expected value is a published approximate inverse at a tolerance tighter than its
 * own error, so our exact inverse cannot match them and should not:
 *   - gcj02towgs84_approx (1e-9 deg): the one-step GCJ-02 inverse;
 *   - bd09togcj02 (1e-9 deg): the closed-form BD-09 inverse, ~4e-7 deg (4 cm) off here;
 *   - *_variant (1e-6 deg): eviltransform's BD-09 inverse with pi for x_pi plus a one-step
 *     GCJ-02 inverse, 10-40 m from the usual formula.
 * For each, the row is checked at its own tolerance against a test-side copy of the formula it
 * encodes (which also pins our forward maps to the published ones bit for bit), and our answer
 * is checked by what it promises: its forward image reproduces the input within 1e-9 deg. No
 * tolerance is widened. Returns false if the row is not one of these. */
static bool check_approx_row(const char *name, enum crs_id from, enum crs_id to, double in_lon,
                             double in_lat, double exp_lon, double exp_lat, double tol, bool metres,
                             struct vector_counts *c)
{
    bool variant = strstr(name, "variant") != NULL;
    bool one_step = from == CRS_GCJ02 && to == CRS_WGS84 && strstr(name, "_approx") && !metres;
    bool closed = from == CRS_BD09 && to == CRS_GCJ02 && !metres && tol < BD_CLOSED_FORM_ERR;
    if (!variant && !one_step && !closed)
        return false;
    double olon, olat, err, ours_lon, ours_lat;
    if (variant) {
        T_CHECKF(from == CRS_BD09 && to == CRS_WGS84 && !metres, "%s: unexpected variant", name);
        closed_bd09_to_gcj02(in_lon, in_lat, true, &olon, &olat);
        one_step_gcj02_to_wgs84(olon, olat, &olon, &olat);
    } else if (one_step) {
        one_step_gcj02_to_wgs84(in_lon, in_lat, &olon, &olat);
    } else {
        closed_bd09_to_gcj02(in_lon, in_lat, false, &olon, &olat);
    }
    T_CHECKF(within(olon, olat, exp_lon, exp_lat, tol, metres, &err),
             "%s: published formula gives (%.15g, %.15g), off by %.3g", name, olon, olat, err);

    T_CHECK(crs_convert(from, to, in_lon, in_lat, &ours_lon, &ours_lat) == GEOD_OK);
    T_CHECK(crs_convert(to, from, ours_lon, ours_lat, &olon, &olat) == GEOD_OK);
    T_CHECKF(max_abs2(olon - in_lon, olat - in_lat) <= 1e-9,
             "%s: forward of our answer is off the input by %.3g deg", name,
             max_abs2(olon - in_lon, olat - in_lat));
    printf("# %s %s->%s: ours is %.3f m from the published approximation\n", name, crs_name(from),
           crs_name(to), dist_m(ours_lon, ours_lat, exp_lon, exp_lat));
    if (variant)
        c->variant++;
    else
        c->approx++;
    return true;
}

static void check_direct_row(const char *name, enum crs_id from, enum crs_id to, double in_lon,
                             double in_lat, double exp_lon, double exp_lat, double tol, bool metres,
                             double *worst)
{
    double lon, lat, err;
    crs_fn fn = link_fn(from, to);
    if (!(fabs(in_lon) <= 180 && fabs(in_lat) <= 90)) {
        /* gcoord passes lon 183 through unchanged; crs_convert rejects it as input, so the row
         * is checked on the link function, which is defined for any finite point. */
        T_CHECKF(crs_convert(from, to, in_lon, in_lat, &lon, &lat) == GEOD_EINVAL, "%s", name);
        T_CHECKF(fn != NULL, "%s: out-of-range input and no single link to check", name);
        if (!fn)
            return;
        fn(in_lon, in_lat, &lon, &lat);
    } else {
        T_CHECKF(crs_convert(from, to, in_lon, in_lat, &lon, &lat) == GEOD_OK, "%s", name);
        if (fn) { /* crs_convert of one link is exactly that link */
            double flon, flat;
            fn(in_lon, in_lat, &flon, &flat);
            T_CHECKF(flon == lon && flat == lat, "%s: crs_convert differs from its link", name);
        }
    }
    T_CHECKF(within(lon, lat, exp_lon, exp_lat, tol, metres, &err),
             "%s %s->%s: got (%.15g, %.15g), want (%.15g, %.15g), off by %.3g %s", name,
             crs_name(from), crs_name(to), lon, lat, exp_lon, exp_lat, err, metres ? "m" : "deg");
    if (tol > 0 && err / tol > *worst)
        *worst = err / tol;
}

static void test_vectors(void)
{
    FILE *f = fopen(VECTORS, "r");
    T_CHECKF(f != NULL, "cannot open %s (run from the repository root)", VECTORS);
    if (!f)
        return;
    char *line = NULL, *hdr_line = NULL, *hdr[MAX_FIELDS], *fld[MAX_FIELDS];
    size_t cap = 0, hcap = 0;
    int nh = read_line(f, &hdr_line, &hcap) ? csv_split(hdr_line, hdr, MAX_FIELDS) : -1;
    int c_case = column(hdr, nh, "case"), c_from = column(hdr, nh, "from_crs"),
        c_to = column(hdr, nh, "to_crs"), c_in_lon = column(hdr, nh, "in_lng"),
        c_in_lat = column(hdr, nh, "in_lat"), c_exp_lon = column(hdr, nh, "expected_lng"),
        c_exp_lat = column(hdr, nh, "expected_lat"), c_tol = column(hdr, nh, "tolerance"),
        c_unit = column(hdr, nh, "tolerance_unit");
    T_CHECK(c_case >= 0 && c_from >= 0 && c_to >= 0 && c_in_lon >= 0 && c_in_lat >= 0 &&
            c_exp_lon >= 0 && c_exp_lat >= 0 && c_tol >= 0 && c_unit >= 0);
    struct vector_counts c = {0};
    double worst = 0; /* largest error as a fraction of its row's tolerance */
    int lineno = 1;
    while (nh > 0 && read_line(f, &line, &cap)) {
        lineno++;
        if (!*line)
            continue;
        int n = csv_split(line, fld, MAX_FIELDS);
        T_CHECKF(n == nh, "%s:%d: %d fields, header has %d", VECTORS, lineno, n, nh);
        if (n != nh)
            continue;
        c.total++;
        enum crs_id from, to;
        const char *f_name = fld[c_from], *t_name = fld[c_to];
        if (crs_parse(f_name, strlen(f_name), &from) || crs_parse(t_name, strlen(t_name), &to)) {
            c.skipped++;
            continue;
        }
        double in_lon, in_lat, exp_lon, exp_lat, tol;
        bool ok = parse_double(fld[c_in_lon], &in_lon) && parse_double(fld[c_in_lat], &in_lat) &&
                  parse_double(fld[c_exp_lon], &exp_lon) &&
                  parse_double(fld[c_exp_lat], &exp_lat) && parse_double(fld[c_tol], &tol);
        bool metres = !strcmp(fld[c_unit], "m");
        T_CHECKF(ok && (metres || !strcmp(fld[c_unit], "deg")), "%s:%d: bad number or unit",
                 VECTORS, lineno);
        if (!ok)
            continue;
        if (check_approx_row(fld[c_case], from, to, in_lon, in_lat, exp_lon, exp_lat, tol, metres,
                             &c))
            continue;
        check_direct_row(fld[c_case], from, to, in_lon, in_lat, exp_lon, exp_lat, tol, metres,
                         &worst);
        c.direct++;
    }
    free(line);
    free(hdr_line);
    fclose(f);
    printf("# vectors: %d rows, %d checked directly (worst %.3g of tolerance), %d approx, "
           "%d variant, %d skipped\n",
           c.total, c.direct, worst, c.approx, c.variant, c.skipped);
    T_CHECKF(c.total == 29 && c.direct == 17 && c.approx == 2 && c.variant == 2 && c.skipped == 8,
             "row counts changed: %d total, %d direct, %d approx, %d variant, %d skipped", c.total,
             c.direct, c.approx, c.variant, c.skipped);
}

static void test_city_vectors(void)
{
    FILE *f = fopen(CITY_VECTORS, "r");
    T_CHECKF(f != NULL, "cannot open %s (run from the repository root)", CITY_VECTORS);
    if (!f)
        return;
    char *line = NULL, *hdr_line = NULL, *hdr[MAX_FIELDS], *fld[MAX_FIELDS];
    size_t cap = 0, hcap = 0;
    int nh = read_line(f, &hdr_line, &hcap) ? csv_split(hdr_line, hdr, MAX_FIELDS) : -1;
    static const char *const names[6] = {"wgs84_lng", "wgs84_lat", "gcj02_lng",
                                         "gcj02_lat", "bd09_lng",  "bd09_lat"};
    int col[6];
    for (int i = 0; i < 6; i++) {
        col[i] = column(hdr, nh, names[i]);
        T_CHECKF(col[i] >= 0, "%s: no column %s", CITY_VECTORS, names[i]);
        if (col[i] < 0)
            nh = -1;
    }
    /* worst error per check: WGS->GCJ, GCJ->BD, BD->GCJ, GCJ->WGS */
    static const double tol[4] = {1e-5, 1e-6, 2e-6, 1e-5};
    static const char *const what[4] = {"wgs84->gcj02", "gcj02->bd09", "bd09->gcj02",
                                        "gcj02->wgs84"};
    double worst[4] = {0}, closed_worst = 0;
    int rows = 0, lineno = 1;
    while (nh > 0 && read_line(f, &line, &cap)) {
        lineno++;
        if (!*line)
            continue;
        double v[6];
        bool ok = csv_split(line, fld, MAX_FIELDS) == nh;
        for (int i = 0; ok && i < 6; i++)
            ok = parse_double(fld[col[i]], &v[i]);
        T_CHECKF(ok, "%s:%d: bad row", CITY_VECTORS, lineno);
        if (!ok)
            continue;
        rows++;
        double got[4][2], want[4][2] = {{v[2], v[3]}, {v[4], v[5]}, {v[2], v[3]}, {v[0], v[1]}};
        crs_wgs84_to_gcj02(v[0], v[1], &got[0][0], &got[0][1]);
        crs_gcj02_to_bd09(v[2], v[3], &got[1][0], &got[1][1]);
        crs_bd09_to_gcj02(v[4], v[5], &got[2][0], &got[2][1]);
        crs_gcj02_to_wgs84(v[2], v[3], &got[3][0], &got[3][1]);
        for (int k = 0; k < 4; k++) {
            double err = max_abs2(got[k][0] - want[k][0], got[k][1] - want[k][1]);
            worst[k] = fmax(worst[k], err);
            T_CHECKF(err <= tol[k], "%s:%d %s: off by %.3g deg", CITY_VECTORS, lineno, what[k],
                     err);
        }
        double cl_lon, cl_lat; /* how far the closed form is from ours, for the comment in crs.c */
        closed_bd09_to_gcj02(v[4], v[5], false, &cl_lon, &cl_lat);
        closed_worst = fmax(closed_worst, max_abs2(cl_lon - got[2][0], cl_lat - got[2][1]));
    }
    free(line);
    free(hdr_line);
    fclose(f);
    printf("# cities: %d rows; worst %s %.3g, %s %.3g, %s %.3g, %s %.3g deg; closed-form bd09 "
           "inverse is up to %.3g deg from ours\n",
           rows, what[0], worst[0], what[1], worst[1], what[2], worst[2], what[3], worst[3],
           closed_worst);
    T_CHECKF(rows == 332, "%d city rows, expected 332", rows);
}

/* Round trips on 100k points over China and 100k around Wuhan: inverse(forward(p)) within
 * 1e-8 deg (~1 mm) of p, and forward(inverse(q)) within the 1e-9 deg crs.h promises. */
static void round_trips(crs_fn fwd, crs_fn inv, const char *what)
{
    uint64_t s = 42;
    double worst_pq = 0, worst_qp = 0;
    for (int i = 0; i < 200000; i++) {
        double lon, lat, a, b, c, d;
        if (i < 100000)
            random_china(&s, &lon, &lat);
        else
            random_wuhan(&s, &lon, &lat);
        fwd(lon, lat, &a, &b);
        inv(a, b, &c, &d);
        double e = max_abs2(c - lon, d - lat);
        worst_pq = fmax(worst_pq, e);
        T_CHECKF(e <= 1e-8, "%s: inverse(forward(%.12g, %.12g)) off by %.3g deg", what, lon, lat,
                 e);
        inv(lon, lat, &a, &b);
        fwd(a, b, &c, &d);
        e = max_abs2(c - lon, d - lat);
        worst_qp = fmax(worst_qp, e);
        T_CHECKF(e <= 1e-9, "%s: forward(inverse(%.12g, %.12g)) off by %.3g deg", what, lon, lat,
                 e);
    }
    printf("# %s: worst inverse(forward(p)) %.3g deg, forward(inverse(q)) %.3g deg\n", what,
           worst_pq, worst_qp);
}

static void test_gcj02_round_trip(void)
{
    round_trips(crs_wgs84_to_gcj02, crs_gcj02_to_wgs84, "gcj02");
}

static void test_bd09_round_trip(void)
{
    round_trips(crs_gcj02_to_bd09, crs_bd09_to_gcj02, "bd09");
}

/* The one-step inverse must be measurably worse than ours, or the iteration is not running. */
static void test_gcj02_inverse_beats_one_step(void)
{
    uint64_t s = 7;
    double worst_one_step = 0;
    for (int i = 0; i < 10000; i++) {
        double lon, lat, g_lon, g_lat, a, b;
        random_china(&s, &lon, &lat);
        crs_wgs84_to_gcj02(lon, lat, &g_lon, &g_lat);
        one_step_gcj02_to_wgs84(g_lon, g_lat, &a, &b);
        worst_one_step = fmax(worst_one_step, dist_m(a, b, lon, lat));
    }
    printf("# one-step gcj02 inverse: worst %.3f m over China\n", worst_one_step);
    T_CHECK(worst_one_step > 0.01);
}

static void test_outside_china(void)
{
    uint64_t s = 99;
    int n = 0;
    while (n < 100000) {
        double lon = rng_uniform(&s, -180, 180), lat = rng_uniform(&s, -90, 90), a, b;
        if (crs_in_china(lon, lat))
            continue;
        n++;
        crs_wgs84_to_gcj02(lon, lat, &a, &b);
        T_CHECKF(a == lon && b == lat, "wgs84->gcj02 moved (%.12g, %.12g)", lon, lat);
        crs_gcj02_to_wgs84(lon, lat, &a, &b);
        T_CHECKF(a == lon && b == lat, "gcj02->wgs84 moved (%.12g, %.12g)", lon, lat);
        T_CHECK(crs_convert(CRS_WGS84, CRS_CGCS2000, lon, lat, &a, &b) == GEOD_OK && a == lon &&
                b == lat);
    }
    double a, b; /* published cases outside the rectangle, including beyond the antimeridian */
    crs_wgs84_to_gcj02(183, 45, &a, &b);
    T_CHECK(a == 183 && b == 45);
    crs_gcj02_to_wgs84(-104.9903, 39.7392, &a, &b);
    T_CHECK(a == -104.9903 && b == 39.7392);
}

/* Every ordered pair of systems round-trips through crs_convert, in China and abroad. */
static void test_convert_pairs(void)
{
    uint64_t s = 2024;
    double worst = 0;
    for (int i = 0; i < 20000; i++) {
        double lon, lat;
        if (i < 8000)
            random_china(&s, &lon, &lat);
        else if (i < 16000)
            random_wuhan(&s, &lon, &lat);
        else { /* abroad, away from the poles and the antimeridian where BD-09 leaves range */
            lon = rng_uniform(&s, -179, 179);
            lat = rng_uniform(&s, -89, 89);
            if (crs_in_china(lon, lat))
                continue;
        }
        for (int from = 0; from < CRS_COUNT; from++)
            for (int to = 0; to < CRS_COUNT; to++) {
                double a, b, c, d;
                enum geod_err rc1 = crs_convert(from, to, lon, lat, &a, &b);
                enum geod_err rc2 = crs_convert(to, from, a, b, &c, &d);
                double e = max_abs2(c - lon, d - lat);
                worst = fmax(worst, e);
                T_CHECKF(!rc1 && !rc2 && e <= 1e-8, "%s->%s->%s at (%.12g, %.12g): rc %d %d, %.3g",
                         crs_name(from), crs_name(to), crs_name(from), lon, lat, rc1, rc2, e);
            }
    }
    printf("# crs_convert pairs: worst round trip %.3g deg\n", worst);

    /* the chain composes its links */
    double a, b, c, d;
    T_CHECK(crs_convert(CRS_CGCS2000, CRS_BD09, 114.3, 30.6, &a, &b) == GEOD_OK);
    crs_wgs84_to_gcj02(114.3, 30.6, &c, &d);
    crs_gcj02_to_bd09(c, d, &c, &d);
    T_CHECK(a == c && b == d);
    T_CHECK(crs_convert(CRS_BD09, CRS_WGS84, 114.3, 30.6, &a, &b) == GEOD_OK);
    crs_bd09_to_gcj02(114.3, 30.6, &c, &d);
    crs_gcj02_to_wgs84(c, d, &c, &d);
    T_CHECK(a == c && b == d);
    T_CHECK(crs_convert(CRS_GCJ02, CRS_GCJ02, 114.3, 30.6, &a, &b) == GEOD_OK && a == 114.3 &&
            b == 30.6);
}

static void test_convert_bad_input(void)
{
    static const double bad[][2] = {
        {NAN, 30},   {114, NAN},   {INFINITY, 30}, {-INFINITY, 30}, {114, INFINITY},
        {114, 90.5}, {114, -90.5}, {-181, 30},     {181, 30},       {180.0000001, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        for (int from = 0; from < CRS_COUNT; from++)
            for (int to = 0; to < CRS_COUNT; to++) {
                double a = 1, b = 2;
                T_CHECKF(crs_convert(from, to, bad[i][0], bad[i][1], &a, &b) == GEOD_EINVAL,
                         "(%g, %g) %d->%d", bad[i][0], bad[i][1], from, to);
                T_CHECK(a == 1 && b == 2); /* outputs untouched */
            }
    double a = 1, b = 2;
    T_CHECK(crs_convert(CRS_COUNT, CRS_WGS84, 114, 30, &a, &b) == GEOD_ECRS);
    T_CHECK(crs_convert(CRS_WGS84, (enum crs_id)77, 114, 30, &a, &b) == GEOD_ECRS);
    T_CHECK(crs_convert(CRS_WGS84, CRS_GCJ02, 114, 30, NULL, &b) == GEOD_EINVAL);
    T_CHECK(a == 1 && b == 2);

    /* The edges of the valid range are accepted; what comes out is either in range or
     * GEOD_ERANGE (BD-09 shifts by ~0.006 deg, past a pole or the antimeridian). */
    static const double edge[] = {-180, -90, 0, 90, 180};
    for (int i = 0; i < 5; i++)
        for (int j = 1; j < 4; j++)
            for (int from = 0; from < CRS_COUNT; from++)
                for (int to = 0; to < CRS_COUNT; to++) {
                    double lon = edge[i], lat = edge[j] /* -90, 0, 90 */;
                    enum geod_err rc = crs_convert(from, to, lon, lat, &a, &b);
                    T_CHECKF(rc == GEOD_OK || rc == GEOD_ERANGE, "(%g, %g) %d->%d: rc %d", lon, lat,
                             from, to, rc);
                    T_CHECKF(rc || (fabs(a) <= 180 && fabs(b) <= 90), "(%g, %g) %d->%d", lon, lat,
                             from, to);
                }
}

int main(void)
{
    T_RUN(test_parse_name);
    T_RUN(test_in_china);
    T_RUN(test_vectors);
    T_RUN(test_city_vectors);
    T_RUN(test_gcj02_round_trip);
    T_RUN(test_bd09_round_trip);
    T_RUN(test_gcj02_inverse_beats_one_step);
    T_RUN(test_outside_china);
    T_RUN(test_convert_pairs);
    T_RUN(test_convert_bad_input);
    return T_END();
}

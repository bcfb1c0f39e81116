/* test_api_bbox.c - GET /v1/bbox of a real geod (the sanitized build, $GEOD_BIN) against an
 * oracle that reads the store with plain SQLite (tests/lib/oracle.h) and puts every facility in
 * its grid cell with its own Web Mercator formula: at zooms up to 16 one item per non-empty cell
 * the box meets (a facility when it is alone there, else a cluster with its count, counts per
 * category, a bbox holding its members in out_crs and a position inside it), counts adding up to
 * the facilities of those cells and covering every facility inside the box; above, exactly the
 * facilities inside the box as given in its crs, field by field. JSON, msgpack and GeoJSON
 * agree; clusters do not change as the box pans; bad parameters get a 400 naming them.
 * GEOD_TEST_SEED=N replays another random sequence. */
#include "index/crs.h"
#include "tests/lib/apicheck.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/mpjson.h"
#include "tests/lib/oracle.h"
#include "tests/t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define START_MS 60000
#define REQUEST_MS 10000
#define MAX_CELLS 4096   /* what the API promises to answer */
#define CLUSTER_ZOOM 16  /* the highest zoom with clusters */
#define MERC_LAT 85.05112877980659

static struct geodproc geod;
static bool geod_up;
static struct oracle orc;
static struct http_client *hc;
static struct ac_rng rng;
/* The facilities that pass the mask and lie in the box's cells at the current zoom, by cell. */
struct member {
    uint64_t cell; /* y << 32 | x */
    const struct oracle_fac *f;
};
static struct member *mem;
static size_t nmem;

static bool get(const char *target, const char *headers, struct ac_answer *a)
{
    char why[AC_WHY];
    bool ok = ac_get(hc, target, headers, a, why);
    T_CHECKF(ok, "%s", why);
    return ok;
}

/* ---- the oracle ---- */

static uint64_t cell(double lon, double lat, int zoom)
{
    double n = ldexp(1.0, zoom + 2), phi;
    lat = lat > MERC_LAT ? MERC_LAT : lat < -MERC_LAT ? -MERC_LAT : lat;
    phi = lat * M_PI / 180.0;
    double x = floor((lon + 180.0) / 360.0 * n);
    double y = floor((1.0 - log(tan(phi) + 1.0 / cos(phi)) / M_PI) / 2.0 * n);
    x = x < 0 ? 0 : x > n - 1 ? n - 1 : x;
    y = y < 0 ? 0 : y > n - 1 ? n - 1 : y;
    return (uint64_t)y << 32 | (uint64_t)x;
}

/* A box in crs, and the WGS-84 box its converted corners span. */
struct qbox {
    double b[4], wgs[4];
    enum crs_id crs, out;
};

static void wgs_box(struct qbox *q)
{
    for (int i = 0; i < 4; i++) {
        double lon = 0, lat = 0;
        T_CHECK(crs_convert(q->crs, CRS_WGS84, q->b[i & 1 ? 2 : 0], q->b[i & 2 ? 3 : 1], &lon,
                            &lat) == GEOD_OK);
        q->wgs[0] = i ? fmin(q->wgs[0], lon) : lon;
        q->wgs[1] = i ? fmin(q->wgs[1], lat) : lat;
        q->wgs[2] = i ? fmax(q->wgs[2], lon) : lon;
        q->wgs[3] = i ? fmax(q->wgs[3], lat) : lat;
    }
}

static void cell_range(const struct qbox *q, int zoom, uint64_t r[4])
{
    uint64_t a = cell(q->wgs[0], q->wgs[3], zoom), b = cell(q->wgs[2], q->wgs[1], zoom);
    r[0] = a & 0xffffffff, r[1] = a >> 32, r[2] = b & 0xffffffff, r[3] = b >> 32;
}

static bool in_range(uint64_t c, const uint64_t r[4])
{
    uint64_t x = c & 0xffffffff, y = c >> 32;
    return x >= r[0] && x <= r[2] && y >= r[1] && y <= r[3];
}

/* The position of f in system out (as the server renders it). */
static void pos_out(const struct oracle_fac *f, enum crs_id out, double *lon, double *lat)
{
    *lon = f->lon, *lat = f->lat;
    crs_convert(CRS_WGS84, out, f->lon, f->lat, lon, lat);
}

static void random_qbox(struct qbox *q, double size)
{
    const struct oracle_fac *f = &orc.fac[ac_below(&rng, (uint32_t)orc.n)];
    double w = size * (0.5 + ac_urand(&rng)), h = w * (0.5 + 0.7 * ac_urand(&rng));
    double lon, lat;
    q->out = q->crs = CRS_WGS84;
    uint32_t c = ac_below(&rng, 8);
    if (c >= 6)
        q->crs = c == 6 ? CRS_GCJ02 : CRS_BD09;
    if (ac_below(&rng, 4) == 0)
        q->out = (enum crs_id)ac_below(&rng, 3);
    else
        q->out = q->crs;
    pos_out(f, q->crs, &lon, &lat);
    q->b[0] = lon - w * ac_urand(&rng);
    q->b[1] = lat - h * ac_urand(&rng);
    q->b[2] = q->b[0] + w;
    q->b[3] = q->b[1] + h;
    wgs_box(q);
}

static int box_url(char *url, size_t len, const struct qbox *q, int zoom, const char *cats)
{
    int n = snprintf(url, len, "/v1/bbox?bbox=%.9f,%.9f,%.9f,%.9f", q->b[0], q->b[1], q->b[2],
                     q->b[3]);
    if (zoom >= 0)
        n += snprintf(url + n, len - (size_t)n, "&zoom=%d", zoom);
    if (cats[0])
        n += snprintf(url + n, len - (size_t)n, "&category=%s", cats);
    if (q->crs)
        n += snprintf(url + n, len - (size_t)n, "&crs=%s", crs_name(q->crs));
    if (q->out != q->crs)
        n += snprintf(url + n, len - (size_t)n, "&out_crs=%s", crs_name(q->out));
    return n;
}

/* The text after the sprintf of the box, parsed back as the server reads it. */
static void reparse(struct qbox *q)
{
    for (int i = 0; i < 4; i++) {
        char t[64];
        snprintf(t, sizeof t, "%.9f", q->b[i]);
        q->b[i] = strtod(t, NULL);
    }
    wgs_box(q);
}

/* ---- checks ---- */

static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    return x->cell < y->cell ? -1 : x->cell > y->cell ? 1 : (x->f->id > y->f->id) - (x->f->id < y->f->id);
}

/* The run of mem in cell c: *n members from the returned index. */
static size_t run(uint64_t c, size_t *n)
{
    size_t lo = 0, hi = nmem;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mem[mid].cell < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < nmem && mem[end].cell == c)
        end++;
    *n = end - lo;
    return lo;
}

static int check_cluster(const json_t *it, const struct qbox *q, int zoom, uint64_t mask,
                         const uint64_t r[4], char *why)
{
    const char *id = ac_str(json_object_get(it, "id"));
    unsigned z, x, y;
    if (sscanf(id, "%u/%u/%u", &z, &x, &y) != 3 || z != (unsigned)zoom)
        return snprintf(why, AC_WHY, "cluster id \"%s\"", id), 1;
    uint64_t c = (uint64_t)y << 32 | x;
    if (!in_range(c, r))
        return snprintf(why, AC_WHY, "cluster %s outside the box's cells", id), 1;
    size_t count = 0, per[ORACLE_MAX_CATS] = {0};
    const json_t *bb = json_object_get(it, "bbox");
    double b[4];
    for (int i = 0; i < 4; i++)
        b[i] = json_number_value(json_array_get(bb, (size_t)i));
    size_t n, at = run(c, &n);
    for (size_t i = at; i < at + n; i++) {
        const struct oracle_fac *f = mem[i].f;
        count++;
        per[f->cat]++;
        double lon, lat;
        pos_out(f, q->out, &lon, &lat);
        if (lon < b[0] - 1e-7 || lon > b[2] + 1e-7 || lat < b[1] - 1e-7 || lat > b[3] + 1e-7)
            return snprintf(why, AC_WHY, "cluster %s: member %u outside its bbox", id, f->id), 1;
    }
    const json_t *counts = json_object_get(it, "counts");
    size_t listed = 0;
    for (size_t k = 0; k < orc.ncat; k++) {
        if (!per[k])
            continue;
        listed++;
        json_t *v = json_object_get(counts, orc.cat_id[k]);
        if (!json_is_integer(v) || (size_t)json_integer_value(v) != per[k])
            return snprintf(why, AC_WHY, "cluster %s: %s count wrong (%zu)", id, orc.cat_id[k],
                            per[k]),
                   1;
    }
    double lon = json_number_value(json_object_get(it, "lon"));
    double lat = json_number_value(json_object_get(it, "lat"));
    json_int_t ez = json_integer_value(json_object_get(it, "expansion_zoom"));
    if (json_integer_value(json_object_get(it, "count")) != (json_int_t)count || count < 2 ||
        listed != json_object_size(counts) || json_object_size(it) != 8 ||
        json_object_get(it, "cluster") != json_true() || json_array_size(bb) != 4 ||
        !(lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]) || ez <= zoom || ez > 17)
        return snprintf(why, AC_WHY, "cluster %s: count %lld, expected %zu, or its shape", id,
                        (long long)json_integer_value(json_object_get(it, "count")), count),
               1;
    return 0;
}

/* One clustered answer against the oracle; *items gets its length. */
static int check_clusters(const json_t *js, const struct qbox *q, int zoom, uint64_t mask,
                          size_t *items, char *why)
{
    uint64_t r[4];
    cell_range(q, zoom, r);
    size_t cells = 0, in_cells = 0;
    nmem = 0;
    for (size_t i = 0; i < orc.n; i++) {
        uint64_t c = cell(orc.fac[i].lon, orc.fac[i].lat, zoom);
        if (mask >> orc.fac[i].cat & 1 && in_range(c, r))
            mem[nmem++] = (struct member){c, &orc.fac[i]};
    }
    qsort(mem, nmem, sizeof *mem, member_cmp);
    in_cells = nmem;
    for (size_t i = 0; i < nmem; i++)
        cells += i == 0 || mem[i].cell != mem[i - 1].cell;
    const json_t *res = json_object_get(js, "results");
    *items = json_array_size(res);
    json_int_t total = json_integer_value(json_object_get(js, "total"));
    if (json_array_size(res) != cells || total != (json_int_t)in_cells ||
        json_integer_value(json_object_get(js, "count")) != (json_int_t)cells ||
        json_integer_value(json_object_get(js, "zoom")) != zoom || json_object_size(js) != 4)
        return snprintf(why, AC_WHY, "%zu items, total %lld; the box's cells: %zu non-empty, %zu "
                        "facilities",
                        json_array_size(res), (long long)total, cells, in_cells),
               1;
    size_t sum = 0;
    for (size_t i = 0; i < cells; i++) {
        const json_t *it = json_array_get(res, i);
        if (json_object_get(it, "cluster")) {
            if (check_cluster(it, q, zoom, mask, r, why))
                return 1;
            sum += (size_t)json_integer_value(json_object_get(it, "count"));
            continue;
        }
        const struct oracle_fac *f = oracle_get(&orc, (uint64_t)json_integer_value(json_object_get(it, "id")));
        if (!f)
            return snprintf(why, AC_WHY, "item %zu: no such facility", i), 1;
        uint64_t fc = cell(f->lon, f->lat, zoom);
        size_t alone, at = run(fc, &alone);
        if (alone != 1 || mem[at].f != f)
            return snprintf(why, AC_WHY, "facility %u is not alone in a cell of the box", f->id), 1;
        if (ac_check_facility(it, &orc, f, q->out, NULL, false, why))
            return 1;
        sum++;
    }
    if (sum != in_cells)
        return snprintf(why, AC_WHY, "items count %zu, expected %zu", sum, in_cells), 1;
    /* every facility inside the (converted) box is in a returned cell: they all are counted */
    return 0;
}

/* Above zoom 16: exactly the facilities inside the box as given in its crs, by id. */
static int check_singles(const json_t *js, const struct qbox *q, int zoom, uint64_t mask,
                         size_t *items, char *why)
{
    const json_t *res = json_object_get(js, "results");
    size_t n = 0, got = json_array_size(res);
    *items = got;
    for (size_t i = 0; i < orc.n; i++) {
        const struct oracle_fac *f = &orc.fac[i];
        double lon, lat;
        if (!(mask >> f->cat & 1) || crs_convert(CRS_WGS84, q->crs, f->lon, f->lat, &lon, &lat) ||
            !(lon >= q->b[0] && lon <= q->b[2] && lat >= q->b[1] && lat <= q->b[3]))
            continue;
        if (n >= got)
            return snprintf(why, AC_WHY, "facility %u inside the box is missing", f->id), 1;
        if (ac_check_facility(json_array_get(res, n), &orc, f, q->out, NULL, false, why))
            return 1;
        n++;
    }
    if (n != got || json_integer_value(json_object_get(js, "total")) != (json_int_t)n ||
        json_integer_value(json_object_get(js, "count")) != (json_int_t)n ||
        json_integer_value(json_object_get(js, "zoom")) != zoom)
        return snprintf(why, AC_WHY, "%zu items, brute force %zu", got, n), 1;
    return 0;
}

/* The same URL as msgpack and GeoJSON must say the same. */
static int check_formats(const char *url, const struct ac_answer *js, char *why)
{
    char u[1024];
    struct ac_answer mp, geo;
    snprintf(u, sizeof u, "%s&format=msgpack", url);
    bool ok = get(u, NULL, &mp);
    ok = get(url, "Accept: application/geo+json\r\n", &geo) && ok;
    int bad = 0;
    if (!ok || !mpjson_equal(js->json, mp.json, why, AC_WHY))
        bad = 1;
    else if (strcmp(ac_content_type(&geo), "application/geo+json") ||
             !ac_geojson_matches(js->json, geo.json, true, why) ||
             !json_equal(json_object_get(js->json, "total"), json_object_get(geo.json, "total")) ||
             !json_equal(json_object_get(js->json, "zoom"), json_object_get(geo.json, "zoom")))
        bad = why[0] ? 1 : (snprintf(why, AC_WHY, "GeoJSON differs"), 1);
    ac_answer_free(&mp);
    ac_answer_free(&geo);
    return bad;
}

/* ---- tests ---- */

static void test_start(void)
{
    char err[1024];
    bool ok = geodproc_start(&geod, NULL, START_MS, err, sizeof err);
    T_CHECKF(ok, "geod did not start: %s", err);
    if (!ok)
        return;
    ok = oracle_load(&orc, geod.db, err, sizeof err);
    T_CHECKF(ok, "cannot read the store: %s", err);
    mem = malloc((orc.n ? orc.n : 1) * sizeof *mem);
    hc = http_client_new(geod.port, true, REQUEST_MS);
    geod_up = ok && mem && hc && orc.n > 1000;
    T_CHECKF(geod_up, "setup failed (%zu facilities)", orc.n);
}

static void test_clusters(void)
{
    static const double sizes[] = {0.003, 0.02, 0.1, 0.4, 1.4};
    size_t queries = 0, items = 0, refused = 0, formats = 0, mismatches = 0;
    for (int i = 0; i < 260; i++) {
        struct qbox q;
        random_qbox(&q, sizes[i % 5]);
        char url[768], cats[128] = "", why[AC_WHY] = "";
        uint64_t mask = ~0ull;
        if (ac_below(&rng, 3) == 0)
            ac_category_filter(&rng, &orc, cats, sizeof cats, &mask);
        int zoom = 6 + (int)ac_below(&rng, CLUSTER_ZOOM - 5);
        box_url(url, sizeof url, &q, zoom, cats);
        reparse(&q);
        uint64_t r[4];
        cell_range(&q, zoom, r);
        uint64_t ncells = (r[2] - r[0] + 1) * (r[3] - r[1] + 1);
        struct ac_answer a;
        if (!get(url, NULL, &a)) {
            ac_answer_free(&a);
            continue;
        }
        queries++;
        int bad;
        if (ncells > MAX_CELLS) {
            bad = !ac_is_error(&a, 400, "out_of_range", "bbox", why);
            refused++;
        } else {
            size_t n = 0;
            bad = a.status != 200 ? (snprintf(why, sizeof why, "status %d", a.status), 1)
                                  : check_clusters(a.json, &q, zoom, mask, &n, why);
            items += n;
            if (!bad && i % 4 == 0) {
                bad = check_formats(url, &a, why);
                formats++;
            }
        }
        T_CHECKF(!bad, "%s: %s", url, why);
        mismatches += bad;
        ac_answer_free(&a);
    }
    T_CHECKF(refused > 5 && refused < queries / 2, "%zu of %zu boxes too big", refused, queries);
    printf("  clusters: %zu queries (%zu items, %zu refused as too big, %zu in 3 formats), %zu "
           "mismatches\n",
           queries, items, refused, formats, mismatches);
}

static void test_singles(void)
{
    size_t queries = 0, items = 0, mismatches = 0, refusals = 0;
    for (int i = 0; i < 150; i++) {
        struct qbox q;
        random_qbox(&q, i % 2 ? 0.004 : 0.012);
        char url[768], cats[128] = "", why[AC_WHY] = "";
        uint64_t mask = ~0ull;
        if (ac_below(&rng, 4) == 0)
            ac_category_filter(&rng, &orc, cats, sizeof cats, &mask);
        int zoom = 17 + (int)ac_below(&rng, 2);
        box_url(url, sizeof url, &q, zoom, cats);
        reparse(&q);
        uint64_t r[4];
        cell_range(&q, zoom, r);
        bool too_big = (r[2] - r[0] + 1) * (r[3] - r[1] + 1) > MAX_CELLS;
        struct ac_answer a;
        size_t n = 0;
        if (get(url, NULL, &a)) {
            int bad = too_big         ? !ac_is_error(&a, 400, "out_of_range", "bbox", why)
                      : a.status != 200 ? (snprintf(why, sizeof why, "status %d: %.200s", a.status,
                                                    a.r.body),
                                           1)
                                        : check_singles(a.json, &q, zoom, mask, &n, why);
            refusals += too_big;
            if (!bad && i % 5 == 0)
                bad = check_formats(url, &a, why);
            T_CHECKF(!bad, "%s: %s", url, why);
            mismatches += bad;
            queries++;
            items += n;
        }
        ac_answer_free(&a);
    }
    T_CHECKF(items > 100, "only %zu facilities in %zu boxes", items, queries);
    printf("  singles: %zu queries at zooms 17-18 (%zu refused as too big), %zu facilities, %zu "
           "mismatches\n",
           queries, refusals, items, mismatches);
}

/* Two overlapping boxes at one zoom: every cluster both show is the same object. */
static void test_panning(void)
{
    size_t shared = 0;
    for (int i = 0; i < 60; i++) {
        struct qbox a, b;
        random_qbox(&a, 0.05 + 0.2 * ac_urand(&rng));
        b = a;
        double dx = (a.b[2] - a.b[0]) * (ac_urand(&rng) - 0.5);
        double dy = (a.b[3] - a.b[1]) * (ac_urand(&rng) - 0.5);
        b.b[0] += dx, b.b[2] += dx, b.b[1] += dy, b.b[3] += dy;
        int zoom = 10 + (int)ac_below(&rng, 4);
        char ua[768], ub[768];
        box_url(ua, sizeof ua, &a, zoom, "");
        box_url(ub, sizeof ub, &b, zoom, "");
        struct ac_answer ra, rb;
        if (get(ua, NULL, &ra) && get(ub, NULL, &rb) && ra.status == 200 && rb.status == 200) {
            const json_t *xa = json_object_get(ra.json, "results"),
                         *xb = json_object_get(rb.json, "results");
            for (size_t j = 0; j < json_array_size(xa); j++)
                for (size_t k = 0; k < json_array_size(xb); k++) {
                    const json_t *p = json_array_get(xa, j), *o = json_array_get(xb, k);
                    if (!json_equal(json_object_get(p, "id"), json_object_get(o, "id")))
                        continue;
                    shared++;
                    T_CHECKF(json_equal(p, o), "%s and %s: item %s differs", ua, ub,
                             ac_str(json_object_get(p, "id")));
                }
        }
        ac_answer_free(&ra);
        ac_answer_free(&rb);
    }
    T_CHECKF(shared > 200, "only %zu shared items", shared);
    printf("  panning: %zu items seen in two overlapping boxes, all identical\n", shared);
}

static void refused(const char *target, const char *code, const char *param)
{
    char why[AC_WHY] = "";
    struct ac_answer a;
    bool ok = get(target, NULL, &a) && ac_is_error(&a, 400, code, param, why);
    T_CHECKF(ok, "%s: %s", target, why);
    ac_answer_free(&a);
}

static void test_bad_params(void)
{
    static const char *const cases[][3] = {
        {"/v1/bbox", "missing_parameter", "bbox"},
        {"/v1/bbox?zoom=10", "missing_parameter", "bbox"},
        {"/v1/bbox?bbox=114,30,115", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=114,30,115,31,1", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=114,30,,31", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=a,30,115,31", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=nan,30,115,31", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=114,30,inf,31", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=115,30,114,31", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=114,30,114,31", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=114,31,115,30", "invalid_parameter", "bbox"},
        {"/v1/bbox?bbox=114,30,181,31", "out_of_range", "bbox"},
        {"/v1/bbox?bbox=-181,30,115,31", "out_of_range", "bbox"},
        {"/v1/bbox?bbox=114,30,115,91", "out_of_range", "bbox"},
        {"/v1/bbox?bbox=113.7,29.97,115.1,31.37&zoom=16", "out_of_range", "bbox"},
        {"/v1/bbox?bbox=113.7,29.97,115.1,31.37&zoom=20", "out_of_range", "bbox"},
        {"/v1/bbox?bbox=114,30,115,31&zoom=23", "out_of_range", "zoom"},
        {"/v1/bbox?bbox=114,30,115,31&zoom=-1", "invalid_parameter", "zoom"},
        {"/v1/bbox?bbox=114,30,115,31&zoom=1.5", "invalid_parameter", "zoom"},
        {"/v1/bbox?bbox=114,30,115,31&category=nope", "unknown_category", "category"},
        {"/v1/bbox?bbox=114,30,115,31&crs=mars", "unknown_crs", "crs"},
        {"/v1/bbox?bbox=114,30,115,31&out_crs=epsg:4326", "unknown_crs", "out_crs"},
        {"/v1/bbox?bbox=114,30,115,31&k=3", "unknown_parameter", "k"},
        {"/v1/bbox?bbox=114,30,115,31&bbox=114,30,115,31", "duplicate_parameter", "bbox"},
        {"/v1/bbox?bbox=-180,30,-179.999,31&crs=bd09", "out_of_range", "bbox"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++)
        refused(cases[i][0], cases[i][1], cases[i][2]);
    printf("  bad parameters: %zu cases, each a 400 naming its parameter\n", n);
}

/* Without zoom the answer picks the highest zoom at which the box spans at most 16 cells each
 * way (a 1024-pixel square map) and says which. */
static void test_default_zoom(void)
{
    for (int i = 0; i < 20; i++) {
        struct qbox q;
        random_qbox(&q, 0.002 * pow(2, i % 10));
        q.crs = q.out = CRS_WGS84;
        char url[768], why[AC_WHY] = "";
        box_url(url, sizeof url, &q, -1, "");
        reparse(&q);
        int want = 0;
        for (int z = 22; z > 0 && !want; z--) {
            uint64_t r[4];
            cell_range(&q, z, r);
            if (r[2] - r[0] < 16 && r[3] - r[1] < 16)
                want = z;
        }
        struct ac_answer a;
        if (get(url, NULL, &a)) {
            size_t n;
            json_int_t z = json_integer_value(json_object_get(a.json, "zoom"));
            int bad = a.status != 200 || z != want
                          ? (snprintf(why, sizeof why, "status %d zoom %lld, expected %d", a.status,
                                      (long long)z, want),
                             1)
                      : want <= CLUSTER_ZOOM ? check_clusters(a.json, &q, want, ~0ull, &n, why)
                                             : check_singles(a.json, &q, want, ~0ull, &n, why);
            T_CHECKF(!bad, "%s: %s", url, why);
        }
        ac_answer_free(&a);
    }
}

static void test_stops(void)
{
    http_client_free(hc);
    hc = NULL;
    int st;
    double secs;
    char sb[32], why[512];
    bool exited = geodproc_stop(&geod, 10000, &st, &secs);
    T_CHECKF(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "geod after SIGTERM: %s",
             exited ? geodproc_status_text(st, sb) : "killed");
    char *log = geodproc_stderr(&geod);
    T_CHECKF(geodproc_log_ok(log, true, why, sizeof why), "geod's stderr: %s", why);
    free(log);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    const char *seed = getenv("GEOD_TEST_SEED");
    rng.s = seed ? strtoull(seed, NULL, 10) : 7;
    T_RUN(test_start);
    if (geod_up) {
        T_RUN(test_clusters);
        T_RUN(test_singles);
        T_RUN(test_panning);
        T_RUN(test_bad_params);
        T_RUN(test_default_zoom);
    }
    if (geod.pid)
        T_RUN(test_stops);
    if (t_failed && geod.dir[0])
        printf("  kept %s\n", geod.dir);
    else
        geodproc_cleanup(&geod);
    geodproc_kill(&geod);
    oracle_free(&orc);
    free(mem);
    http_client_free(hc);
    return T_END();
}

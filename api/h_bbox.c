/* h_bbox.c - GET /v1/bbox: what a map shows in a box at a zoom. At zooms 0..CLUSTER_MAX_ZOOM the
 * clusters of index/cluster.h's fixed grid (cells of 64 px) that meet the box, each covering its
 * whole cell, a cell holding one facility giving the facility itself; above, every facility
 * inside the box. Parameters, limits and shapes are in README.md. */
#include "api/params.h"
#include "api/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define BBOX_MAX_ZOOM 22      /* the deepest zoom of common map libraries */
#define BBOX_MAX_CELLS 4096   /* cells a box may span at its zoom: 16 Mpx, eight full-HD screens */
#define BBOX_MAX_SINGLES 4096 /* facilities one answer lists above CLUSTER_MAX_ZOOM */
#define FIT_CELLS 16          /* no zoom given: the highest at which the box fits 1024 x 1024 px */
/* Above CLUSTER_MAX_ZOOM a box in GCJ-02 or BD-09 is searched in WGS-84 through the box of its
 * converted corners grown by this share of its size: the offset of either system from WGS-84
 * changes by less than 0.03 degree per degree, so nothing inside the box is missed. */
#define CRS_PAD_SHARE 0.05

struct bbox_params {
    double box[4]; /* w, s, e, n as given, in crs */
    double wgs[4]; /* the WGS-84 box spanned by the converted corners */
    enum crs_id crs, out;
    int zoom;
    uint64_t mask;
};

/* Index of the cluster box for a system (CGCS2000 is WGS-84). */
static int box_sys(enum crs_id c)
{
    return c == CRS_GCJ02 ? 1 : c == CRS_BD09 ? 2 : 0;
}

static bool parse_bbox(struct api_req *r, double b[4])
{
    const struct query_param *p = query_get(&r->q, "bbox");
    if (!p) {
        api_fail(r, 400, "missing_parameter", "bbox is required: w,s,e,n", "bbox");
        return false;
    }
    const char *cur = p->value, *end = p->value + p->value_len, *item;
    size_t len;
    int n = 0;
    bool ok = true;
    while (ok && query_next_item(&cur, end, &item, &len))
        ok = n < 4 && query_double(item, len, &b[n++]) == GEOD_OK;
    if (!ok || n != 4) {
        api_fail(r, 400, "invalid_parameter",
                 "bbox must be four decimal numbers w,s,e,n (west, south, east, north)", "bbox");
        return false;
    }
    if (!(b[0] >= -180 && b[0] <= 180 && b[2] >= -180 && b[2] <= 180 && b[1] >= -90 && b[1] <= 90 &&
          b[3] >= -90 && b[3] <= 90)) {
        api_fail(r, 400, "out_of_range",
                 "bbox longitudes must be between -180 and 180, latitudes between -90 and 90",
                 "bbox");
        return false;
    }
    if (!(b[0] < b[2] && b[1] < b[3])) {
        api_fail(r, 400, "invalid_parameter",
                 "bbox must have w < e and s < n (across the antimeridian, ask for two boxes)",
                 "bbox");
        return false;
    }
    return true;
}

/* The WGS-84 box spanned by the four corners converted from crs. */
static bool to_wgs84(struct api_req *r, struct bbox_params *p)
{
    for (int i = 0; i < 4; i++) {
        double lon, lat;
        if (crs_convert(p->crs, CRS_WGS84, p->box[i & 1 ? 2 : 0], p->box[i & 2 ? 3 : 1], &lon,
                        &lat)) {
            api_fail(r, 400, "out_of_range", "the box is outside the range of its crs", "bbox");
            return false;
        }
        p->wgs[0] = i ? fmin(p->wgs[0], lon) : lon;
        p->wgs[1] = i ? fmin(p->wgs[1], lat) : lat;
        p->wgs[2] = i ? fmax(p->wgs[2], lon) : lon;
        p->wgs[3] = i ? fmax(p->wgs[3], lat) : lat;
    }
    return true;
}

/* The highest zoom at which the box spans at most FIT_CELLS cells each way. */
static int fit_zoom(const double wgs[4])
{
    for (int z = BBOX_MAX_ZOOM; z > 0; z--) {
        uint32_t x0, y0, x1, y1;
        cluster_cell(wgs[0], wgs[3], z, &x0, &y0);
        cluster_cell(wgs[2], wgs[1], z, &x1, &y1);
        if (x1 - x0 < FIT_CELLS && y1 - y0 < FIT_CELLS)
            return z;
    }
    return 0;
}

static bool parse(struct api_req *r, struct bbox_params *p)
{
    static const char *const allowed[] = {"bbox", "zoom", "category", "crs", "out_crs", NULL};
    if (!params_allow(r, allowed) || !parse_bbox(r, p->box) ||
        !params_systems(r, &p->crs, &p->out) || !params_categories(r, &p->mask) || !to_wgs84(r, p))
        return false;
    uint64_t zoom = 0;
    if (!query_get(&r->q, "zoom"))
        zoom = (uint64_t)fit_zoom(p->wgs);
    else if (!params_uint(r, "zoom", 0, BBOX_MAX_ZOOM, 0, true, &zoom))
        return false;
    p->zoom = (int)zoom;
    uint64_t cells = cluster_box_cells(p->wgs, p->zoom);
    if (cells > BBOX_MAX_CELLS) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the box spans %llu cells of 64 px at zoom %d, at most %d: ask a smaller box or "
                 "a lower zoom",
                 (unsigned long long)cells, p->zoom, BBOX_MAX_CELLS);
        api_fail(r, 400, "out_of_range", msg, "bbox");
        return false;
    }
    return true;
}

/* ---- clusters ---- */

struct citem {
    uint32_t x, y, count, id; /* id: count == 1 */
    double lon, lat;          /* in the answer's system */
    double box[4];            /* in the answer's system */
    int expansion_zoom;
    uint32_t parts_at, nparts; /* into collect.parts */
};

struct collect {
    struct citem *it;
    size_t n, cap;
    struct cluster_part *parts;
    size_t nparts, parts_cap;
    enum crs_id out;
    uint64_t total;
};

static bool collect_cluster(void *udata, const struct cluster *c)
{
    struct collect *k = udata;
    if (k->n == k->cap || k->nparts + c->nparts > k->parts_cap)
        return false; /* cannot happen: room for every cell and category was made */
    struct citem *it = &k->it[k->n++];
    int s = box_sys(k->out);
    *it = (struct citem){c->x,
                         c->y,
                         c->count,
                         c->id,
                         c->lon,
                         c->lat,
                         {0},
                         c->expansion_zoom,
                         (uint32_t)k->nparts,
                         c->nparts};
    for (int i = 0; i < 4; i++)
        it->box[i] = c->box[s][i];
    if (crs_convert(CRS_WGS84, k->out, c->lon, c->lat, &it->lon, &it->lat) == GEOD_OK) {
        it->lon = fmin(fmax(it->lon, it->box[0]), it->box[2]); /* the mean stays in the box */
        it->lat = fmin(fmax(it->lat, it->box[1]), it->box[3]);
    }
    for (uint32_t i = 0; i < c->nparts; i++)
        k->parts[k->nparts++] = c->parts[i];
    k->total += c->count;
    return true;
}

/* A cluster's fields; props: as a GeoJSON Feature's properties (no lon, lat). */
static void cluster_fields(struct enc *e, const struct snapshot *s, const struct collect *k,
                           const struct citem *it, const char *id, bool props)
{
    enc_map(e, props ? 6 : 8);
    enc_key(e, "id");
    enc_cstr(e, id);
    enc_key(e, "cluster");
    enc_bool(e, true);
    enc_key(e, "count");
    enc_uint(e, it->count);
    enc_key(e, "counts");
    enc_map(e, it->nparts);
    for (uint32_t i = 0; i < it->nparts; i++) {
        const struct cluster_part *p = &k->parts[it->parts_at + i];
        enc_key(e, s->cats[p->cat].id);
        enc_uint(e, p->count);
    }
    enc_end(e);
    if (!props) {
        enc_key(e, "lon");
        enc_double(e, it->lon, RENDER_LONLAT_DECIMALS);
        enc_key(e, "lat");
        enc_double(e, it->lat, RENDER_LONLAT_DECIMALS);
    }
    enc_key(e, "bbox");
    enc_array(e, 4);
    for (int i = 0; i < 4; i++)
        enc_double(e, it->box[i], RENDER_LONLAT_DECIMALS);
    enc_end(e);
    enc_key(e, "expansion_zoom");
    enc_uint(e, (uint64_t)it->expansion_zoom);
    enc_end(e);
}

static void write_cluster(struct enc *e, const struct snapshot *s, const struct collect *k,
                          const struct citem *it, int zoom, bool geojson)
{
    char id[48];
    snprintf(id, sizeof id, "%d/%u/%u", zoom, it->x, it->y);
    if (!geojson) {
        cluster_fields(e, s, k, it, id, false);
        return;
    }
    enc_map(e, 4);
    enc_key(e, "type");
    enc_cstr(e, "Feature");
    enc_key(e, "id");
    enc_cstr(e, id);
    enc_key(e, "geometry");
    enc_map(e, 2);
    enc_key(e, "type");
    enc_cstr(e, "Point");
    enc_key(e, "coordinates");
    enc_array(e, 2);
    enc_double(e, it->lon, RENDER_LONLAT_DECIMALS);
    enc_double(e, it->lat, RENDER_LONLAT_DECIMALS);
    enc_end(e);
    enc_end(e);
    enc_key(e, "properties");
    cluster_fields(e, s, k, it, id, true);
    enc_end(e);
}

/* The answer's opening: {["type":"FeatureCollection",] "results"|"features": [ */
static void open_answer(struct api_req *r, size_t n)
{
    struct enc *e = r->th->enc;
    bool geojson = r->fmt == FMT_GEOJSON;
    enc_reset(e, api_enc_format(r));
    enc_map(e, geojson ? 5 : 4);
    if (geojson) {
        enc_key(e, "type");
        enc_cstr(e, "FeatureCollection");
    }
    enc_key(e, geojson ? "features" : "results");
    enc_array(e, (uint32_t)n);
}

/* ...]; "count", "total", "zoom"} and send. */
static void close_answer(struct api_req *r, size_t n, uint64_t total, int zoom)
{
    struct enc *e = r->th->enc;
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, n);
    enc_key(e, "total");
    enc_uint(e, total);
    enc_key(e, "zoom");
    enc_uint(e, (uint64_t)zoom);
    enc_end(e);
    api_send(r, 200);
}

static void write_facility(struct api_req *r, uint32_t id, enum crs_id out)
{
    const struct facility *f = snapshot_get(r->snap, id);
    if (r->fmt == FMT_GEOJSON)
        render_feature(r->th->enc, r->snap, f, out, NULL);
    else
        render_facility(r->th->enc, r->snap, f, out, NULL);
}

static void answer_clusters(struct api_req *r, const struct bbox_params *p)
{
    size_t cells = (size_t)cluster_box_cells(p->wgs, p->zoom);
    size_t cats = (size_t)__builtin_popcountll(
        p->mask & (r->snap->ncat < 64 ? (1ull << r->snap->ncat) - 1 : ~0ull));
    struct collect k = {.cap = cells, .parts_cap = cells * cats, .out = p->out};
    k.it = h2o_mem_alloc_pool(&r->req->pool, cells * sizeof *k.it);
    k.parts = h2o_mem_alloc_pool(&r->req->pool, (k.parts_cap ? k.parts_cap : 1) * sizeof *k.parts);
    if (snapshot_clusters(r->snap, p->wgs, p->zoom, p->mask, r->th->cscratch, collect_cluster,
                          &k)) {
        api_fail(r, 500, "internal", "the search failed", NULL);
        return;
    }
    open_answer(r, k.n);
    for (size_t i = 0; i < k.n; i++) {
        if (k.it[i].count == 1)
            write_facility(r, k.it[i].id, p->out);
        else
            write_cluster(r->th->enc, r->snap, &k, &k.it[i], p->zoom, r->fmt == FMT_GEOJSON);
    }
    close_answer(r, k.n, k.total, p->zoom);
}

/* ---- single facilities ---- */

struct singles {
    const struct bbox_params *p;
    bool exact; /* test each candidate's position in crs against the box as given */
    uint32_t *ids;
    size_t n;
    bool over; /* more than BBOX_MAX_SINGLES */
};

static bool collect_point(void *udata, uint32_t id, double lon, double lat)
{
    struct singles *s = udata;
    if (s->exact) {
        const double *b = s->p->box;
        double x, y;
        if (crs_convert(CRS_WGS84, s->p->crs, lon, lat, &x, &y) ||
            !(x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]))
            return true;
    }
    if (s->n == BBOX_MAX_SINGLES) {
        s->over = true;
        return false;
    }
    s->ids[s->n++] = id;
    return true;
}

static int id_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void answer_singles(struct api_req *r, const struct bbox_params *p)
{
    struct singles s = {.p = p, .exact = box_sys(p->crs) != 0};
    s.ids = h2o_mem_alloc_pool(&r->req->pool, BBOX_MAX_SINGLES * sizeof *s.ids);
    double search[4] = {p->wgs[0], p->wgs[1], p->wgs[2], p->wgs[3]};
    if (s.exact) {
        double pad = CRS_PAD_SHARE * (search[2] - search[0] + search[3] - search[1]) + 1e-6;
        search[0] -= pad;
        search[1] -= pad;
        search[2] += pad;
        search[3] += pad;
    }
    if (snapshot_points(r->snap, search, p->mask, collect_point, &s)) {
        api_fail(r, 500, "internal", "the search failed", NULL);
        return;
    }
    if (s.over) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "more than %d facilities in the box at zoom %d: ask a smaller box, a lower zoom "
                 "or fewer categories",
                 BBOX_MAX_SINGLES, p->zoom);
        api_fail(r, 400, "too_many_results", msg, "bbox");
        return;
    }
    qsort(s.ids, s.n, sizeof *s.ids, id_cmp);
    open_answer(r, s.n);
    for (size_t i = 0; i < s.n; i++)
        write_facility(r, s.ids[i], p->out);
    close_answer(r, s.n, s.n, p->zoom);
}

void api_h_bbox(struct api_req *r)
{
    struct bbox_params p;
    if (!parse(r, &p))
        return;
    if (p.zoom <= CLUSTER_MAX_ZOOM)
        answer_clusters(r, &p);
    else
        answer_singles(r, &p);
}

/* region.c - the per-thread region index: GEOS prepared polygons in one STRtree per level.
 *
 * Layout: `poly` holds every indexed polygon (its GEOS geometry and the prepared geometry over
 * it, both owned by the index's own context); each level's STRtree holds pointers into `poly`,
 * keyed by the polygon's envelope. A query makes one GEOS point, asks the level's tree for the
 * polygons whose envelopes hold it, and tests those with GEOSPreparedContains_r (GEOS 3.11 has
 * no GEOSPreparedContainsXY_r). Invariant after region_index_new: every tree is built and every
 * prepared geometry has its point locator, so queries only read what the build left (plus the
 * point they allocate). */
#include "index/region.h"

#include <geos_c.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STRTREE_NODE_CAPACITY 10 /* GEOS's usual choice; the trees hold at most a few thousand */

/* Per-vertex and per-polygon costs behind region_index_bytes, fitted to glibc mallinfo2 under
 * GEOS 3.11 on two Wuhan sets (city and districts: 14 polygons, ~20k vertices, 1.49 MB; derived
 * cells: 867 polygons, ~37k vertices, 3.19 MB). A vertex is a 24-byte xyz Coordinate in the
 * geometry plus its edge in the prepared geometry's interval tree. */
#define BYTES_PER_VERTEX 74
#define BYTES_PER_POLYGON 570

struct region_poly {
    const char *code;                 /* into region_index.codes */
    GEOSGeometry *geom;               /* owned */
    const GEOSPreparedGeometry *prep; /* over geom; owned */
};

struct region_index {
    GEOSContextHandle_t ctx;          /* this index's (and so this thread's) own */
    GEOSSTRtree *tree[REGION_LEVELS]; /* items are struct region_poly *; NULL when empty */
    size_t count[REGION_LEVELS];      /* polygons per level */
    struct region_poly *poly;         /* [npoly] */
    size_t npoly;
    char *codes;  /* the codes, NUL-terminated, back to back */
    size_t bytes; /* estimate, see region_index_bytes */
};

void region_index_free(struct region_index *idx)
{
    if (!idx)
        return;
    for (int l = 0; l < REGION_LEVELS; l++)
        if (idx->tree[l])
            GEOSSTRtree_destroy_r(idx->ctx, idx->tree[l]);
    for (size_t i = 0; i < idx->npoly; i++) {
        GEOSPreparedGeom_destroy_r(idx->ctx, idx->poly[i].prep);
        GEOSGeom_destroy_r(idx->ctx, idx->poly[i].geom);
    }
    if (idx->ctx)
        GEOS_finish_r(idx->ctx);
    free(idx->poly);
    free(idx->codes);
    free(idx);
}

/* Adds the vertices of ring r to *nv; false when one is not finite. */
static bool ring_finite(GEOSContextHandle_t ctx, const GEOSGeometry *r, size_t *nv)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx, r);
    unsigned int n;
    if (!cs || !GEOSCoordSeq_getSize_r(ctx, cs, &n))
        return false;
    for (unsigned int i = 0; i < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(ctx, cs, i, &x, &y) || !isfinite(x) || !isfinite(y))
            return false;
    }
    *nv += n;
    return true;
}

/* True when every vertex of the (multi)polygon g is finite; counts them into *nv. */
static bool polygonal_finite(GEOSContextHandle_t ctx, const GEOSGeometry *g, size_t *nv)
{
    int np = GEOSGetNumGeometries_r(ctx, g);
    for (int p = 0; p < np; p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx, g, p);
        int nh = GEOSGetNumInteriorRings_r(ctx, poly);
        if (nh < 0 || !ring_finite(ctx, GEOSGetExteriorRing_r(ctx, poly), nv))
            return false;
        for (int h = 0; h < nh; h++)
            if (!ring_finite(ctx, GEOSGetInteriorRingN_r(ctx, poly, h), nv))
                return false;
    }
    return np >= 0;
}

/* Parses src into p: GEOD_OK with p->geom NULL when there is nothing to index. */
static enum geod_err parse_one(GEOSContextHandle_t ctx, GEOSWKBReader *rd,
                               const struct region_src *src, struct region_poly *p, size_t *nv)
{
    p->geom = NULL;
    if (!src->wkb || !src->wkb_len)
        return GEOD_OK;
    GEOSGeometry *g = GEOSWKBReader_read_r(ctx, rd, src->wkb, src->wkb_len);
    if (!g)
        return GEOD_EINVAL; /* GEOS reports bad bytes and allocation failure alike */
    int type = GEOSGeomTypeId_r(ctx, g);
    if ((type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) || !polygonal_finite(ctx, g, nv)) {
        GEOSGeom_destroy_r(ctx, g);
        return GEOD_EINVAL;
    }
    if (GEOSisEmpty_r(ctx, g) == 1) {
        GEOSGeom_destroy_r(ctx, g);
        return GEOD_OK;
    }
    p->geom = g;
    return GEOD_OK;
}

/* Prepares p->geom and makes GEOS build the prepared geometry's point locator now, with one
 * test at the envelope's centre, so the first real query does not pay for it. */
static enum geod_err prepare_one(GEOSContextHandle_t ctx, struct region_poly *p)
{
    double x0, y0, x1, y1;
    p->prep = GEOSPrepare_r(ctx, p->geom);
    if (!p->prep || !GEOSGeom_getXMin_r(ctx, p->geom, &x0) ||
        !GEOSGeom_getYMin_r(ctx, p->geom, &y0) || !GEOSGeom_getXMax_r(ctx, p->geom, &x1) ||
        !GEOSGeom_getYMax_r(ctx, p->geom, &y1))
        return GEOD_ENOMEM;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx, x0 / 2 + x1 / 2, y0 / 2 + y1 / 2);
    char r = pt ? GEOSPreparedContains_r(ctx, p->prep, pt) : 2;
    GEOSGeom_destroy_r(ctx, pt);
    return r == 2 ? GEOD_ENOMEM : GEOD_OK;
}

static void ignore_item(void *item, void *udata)
{
    (void)item;
    (void)udata;
}

/* Inserts every polygon into its level's tree, then builds the trees (GEOS builds an STRtree
 * on its first query). */
static enum geod_err build_trees(struct region_index *idx, const struct region_src *src,
                                 const size_t *src_of)
{
    for (size_t i = 0; i < idx->npoly; i++) {
        int l = src[src_of[i]].level;
        if (!idx->tree[l] &&
            !(idx->tree[l] = GEOSSTRtree_create_r(idx->ctx, STRTREE_NODE_CAPACITY)))
            return GEOD_ENOMEM;
        GEOSSTRtree_insert_r(idx->ctx, idx->tree[l], idx->poly[i].geom, &idx->poly[i]);
        idx->count[l]++;
    }
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(idx->ctx, 0, 0);
    if (!pt)
        return GEOD_ENOMEM;
    for (int l = 0; l < REGION_LEVELS; l++)
        if (idx->tree[l])
            GEOSSTRtree_query_r(idx->ctx, idx->tree[l], pt, ignore_item, NULL);
    GEOSGeom_destroy_r(idx->ctx, pt);
    return GEOD_OK;
}

/* Copies the codes of the indexed polygons into one arena. */
static enum geod_err copy_codes(struct region_index *idx, const struct region_src *src,
                                const size_t *src_of)
{
    size_t len = 0;
    for (size_t i = 0; i < idx->npoly; i++)
        len += strlen(src[src_of[i]].code) + 1;
    if (!(idx->codes = malloc(len ? len : 1)))
        return GEOD_ENOMEM;
    char *w = idx->codes;
    for (size_t i = 0; i < idx->npoly; i++) {
        size_t k = strlen(src[src_of[i]].code) + 1;
        memcpy(w, src[src_of[i]].code, k);
        idx->poly[i].code = w;
        w += k;
    }
    idx->bytes += sizeof *idx + idx->npoly * sizeof *idx->poly + len;
    return GEOD_OK;
}

static enum geod_err build(struct region_index *idx, const struct region_src *src, size_t n,
                           size_t *src_of)
{
    GEOSWKBReader *rd = GEOSWKBReader_create_r(idx->ctx);
    if (!rd)
        return GEOD_ENOMEM;
    enum geod_err rc = GEOD_OK;
    size_t nv = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct region_poly *p = &idx->poly[idx->npoly];
        if (!(rc = parse_one(idx->ctx, rd, &src[i], p, &nv)) && p->geom) {
            p->prep = NULL;
            src_of[idx->npoly++] = i;
            rc = prepare_one(idx->ctx, p);
        }
    }
    GEOSWKBReader_destroy_r(idx->ctx, rd);
    idx->bytes = nv * BYTES_PER_VERTEX + idx->npoly * BYTES_PER_POLYGON;
    if (!rc)
        rc = copy_codes(idx, src, src_of);
    if (!rc)
        rc = build_trees(idx, src, src_of);
    return rc;
}

enum geod_err region_index_new(const struct region_src *src, size_t n, struct region_index **out)
{
    *out = NULL;
    if (n && !src)
        return GEOD_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!src[i].code || src[i].level < 0 || src[i].level >= REGION_LEVELS)
            return GEOD_EINVAL;
    struct region_index *idx = calloc(1, sizeof *idx);
    size_t *src_of = calloc(n ? n : 1, sizeof *src_of); /* poly[i] came from src[src_of[i]] */
    enum geod_err rc = GEOD_ENOMEM;
    if (idx && src_of && (idx->poly = calloc(n ? n : 1, sizeof *idx->poly)) &&
        (idx->ctx = GEOS_init_r()))
        rc = build(idx, src, n, src_of);
    free(src_of);
    if (rc) {
        region_index_free(idx);
        return rc;
    }
    *out = idx;
    return GEOD_OK;
}

struct locate_state {
    GEOSContextHandle_t ctx;
    const GEOSGeometry *pt;
    const char *best; /* smallest code found so far to contain pt */
    bool failed;      /* GEOS reported an exception */
};

/* STRtree callback: a polygon whose envelope holds the point. Candidates that cannot beat the
 * best code so far are not tested. */
static void on_candidate(void *item, void *udata)
{
    const struct region_poly *p = item;
    struct locate_state *s = udata;
    if (s->failed || (s->best && strcmp(p->code, s->best) >= 0))
        return;
    char r = GEOSPreparedContains_r(s->ctx, p->prep, s->pt);
    if (r == 2)
        s->failed = true;
    else if (r)
        s->best = p->code;
}

enum geod_err region_locate(struct region_index *idx, double lon, double lat, int level,
                            const char **code)
{
    *code = NULL;
    if (!isfinite(lon) || !isfinite(lat) || level < 0 || level >= REGION_LEVELS)
        return GEOD_EINVAL;
    if (!idx->tree[level])
        return GEOD_OK;
    struct locate_state s = {.ctx = idx->ctx};
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(idx->ctx, lon, lat);
    if (!pt)
        return GEOD_ENOMEM;
    s.pt = pt;
    GEOSSTRtree_query_r(idx->ctx, idx->tree[level], pt, on_candidate, &s);
    GEOSGeom_destroy_r(idx->ctx, pt);
    if (s.failed)
        return GEOD_ENOMEM;
    *code = s.best;
    return GEOD_OK;
}

size_t region_index_count(const struct region_index *idx, int level)
{
    return level >= 0 && level < REGION_LEVELS ? idx->count[level] : 0;
}

size_t region_index_bytes(const struct region_index *idx)
{
    return idx ? idx->bytes : 0;
}

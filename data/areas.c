/* areas.c - polygon repair and the Voronoi derivation of approximate areas (see areas.h).
 *
 * Derivation, for one district and its sites:
 *   1. repair the district (MakeValid, "structure" method: overlapping parts are unioned, not
 *      cancelled by parity as the "linework" method does);
 *   2. drop duplicate positions (the first site in sites[] keeps the position);
 *   3. map lon/lat to a local plane, x = (lon - lon_mid) * cos(lat_mid), y = lat - lat_mid,
 *      and take GEOS's Voronoi diagram of the sites there, clipped to a box 10% larger than the
 *      district so the district lies strictly inside the diagram;
 *   4. map the cells back (a fixed affine map, so the edges neighbouring cells share stay
 *      bit-identical) and give each cell to the site it contains: GEOS returns cells in its
 *      own order;
 *   5. intersect each cell with the district and keep the valid polygonal part.
 * Centring the plane on the district keeps the coordinates GEOS computes circumcentres from
 * small, which is where its Delaunay code is most precise. */
#include "data/areas.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DIAGRAM_MARGIN 0.1 /* the diagram's box around the district, per unit of its size */

/* ---- polygonal parts ---- */

struct parts {
    GEOSGeometry **g; /* owned polygons */
    size_t n, cap;
};

static void parts_clear(GEOSContextHandle_t ctx, struct parts *p)
{
    for (size_t i = 0; i < p->n; i++)
        GEOSGeom_destroy_r(ctx, p->g[i]);
    free(p->g);
    *p = (struct parts){0};
}

/* Appends a copy of every non-empty polygon in g, at any depth of collections. */
static enum geod_err parts_collect(GEOSContextHandle_t ctx, const GEOSGeometry *g, struct parts *p)
{
    int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; i++) {
            enum geod_err rc = parts_collect(ctx, GEOSGetGeometryN_r(ctx, g, i), p);
            if (rc)
                return rc;
        }
        return n < 0 ? GEOD_ENOMEM : GEOD_OK;
    }
    if (type != GEOS_POLYGON || GEOSisEmpty_r(ctx, g) == 1)
        return GEOD_OK; /* points and lines: what repairs and cuts leave of collapsed parts */
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 8;
        GEOSGeometry **ng = realloc(p->g, cap * sizeof *ng);
        if (!ng)
            return GEOD_ENOMEM;
        p->g = ng;
        p->cap = cap;
    }
    if (!(p->g[p->n] = GEOSGeom_clone_r(ctx, g)))
        return GEOD_ENOMEM;
    p->n++;
    return GEOD_OK;
}

/* The polygonal parts of g as one MultiPolygon into *out. */
static enum geod_err parts_multi(GEOSContextHandle_t ctx, const GEOSGeometry *g, GEOSGeometry **out)
{
    struct parts p = {0};
    enum geod_err rc = parts_collect(ctx, g, &p);
    if (rc) {
        parts_clear(ctx, &p);
        return rc;
    }
    /* the collection takes the polygons, not the array */
    *out = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, p.g, (unsigned int)p.n);
    if (*out)
        p.n = 0;
    parts_clear(ctx, &p);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

/* The valid polygonal part of g, as a MultiPolygon. Parts of a valid collection can still make
 * an invalid MultiPolygon (two polygons sharing an edge), so the result is checked, and
 * repaired once more if needed. */
static enum geod_err valid_multi(GEOSContextHandle_t ctx, const GEOSGeometry *g, GEOSGeometry **out)
{
    *out = NULL;
    GEOSGeometry *fixed = NULL;
    if (GEOSisValid_r(ctx, g) != 1) {
        GEOSMakeValidParams *prm = GEOSMakeValidParams_create_r(ctx);
        if (prm && GEOSMakeValidParams_setMethod_r(ctx, prm, GEOS_MAKE_VALID_STRUCTURE) &&
            GEOSMakeValidParams_setKeepCollapsed_r(ctx, prm, 0))
            fixed = GEOSMakeValidWithParams_r(ctx, g, prm);
        GEOSMakeValidParams_destroy_r(ctx, prm);
        if (!fixed)
            return GEOD_ENOMEM;
        g = fixed;
    }
    GEOSGeometry *m = NULL;
    enum geod_err rc = parts_multi(ctx, g, &m);
    GEOSGeom_destroy_r(ctx, fixed);
    if (rc)
        return rc;
    if (GEOSisValid_r(ctx, m) != 1) {
        GEOSGeometry *u = GEOSUnaryUnion_r(ctx, m);
        GEOSGeom_destroy_r(ctx, m);
        m = NULL;
        rc = u ? parts_multi(ctx, u, &m) : GEOD_ENOMEM;
        GEOSGeom_destroy_r(ctx, u);
        if (!rc && GEOSisValid_r(ctx, m) != 1)
            rc = GEOD_ENOMEM; /* GEOS could not make it valid: reported like its other failures */
        if (rc) {
            GEOSGeom_destroy_r(ctx, m);
            return rc;
        }
    }
    *out = m;
    return GEOD_OK;
}

/* ---- repair ---- */

static bool ring_finite(GEOSContextHandle_t ctx, const GEOSGeometry *r)
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
    return true;
}

/* True when g is a Polygon or MultiPolygon with finite coordinates only. */
static bool polygonal_finite(GEOSContextHandle_t ctx, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(ctx, g);
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
        return false;
    int np = GEOSGetNumGeometries_r(ctx, g);
    for (int p = 0; p < np; p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx, g, p);
        int nh = GEOSGetNumInteriorRings_r(ctx, poly);
        if (nh < 0 || !ring_finite(ctx, GEOSGetExteriorRing_r(ctx, poly)))
            return false;
        for (int h = 0; h < nh; h++)
            if (!ring_finite(ctx, GEOSGetInteriorRingN_r(ctx, poly, h)))
                return false;
    }
    return np >= 0;
}

enum geod_err areas_repair(GEOSContextHandle_t ctx, const GEOSGeometry *g, GEOSGeometry **out)
{
    *out = NULL;
    if (!ctx || !g || !polygonal_finite(ctx, g))
        return GEOD_EINVAL;
    return valid_multi(ctx, g, out);
}

/* ---- derivation ---- */

struct plane {
    double lon0, lat0, k; /* x = (lon - lon0) * k, y = lat - lat0 */
};

static int to_lonlat(double *x, double *y, void *udata)
{
    const struct plane *pl = udata;
    *x = *x / pl->k + pl->lon0;
    *y = *y + pl->lat0;
    return 1;
}

struct usite {
    double lon, lat;
    size_t i; /* index into sites[] */
};

static int usite_cmp(const void *a, const void *b)
{
    const struct usite *p = a, *q = b;
    if (p->lon != q->lon)
        return p->lon < q->lon ? -1 : 1;
    if (p->lat != q->lat)
        return p->lat < q->lat ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* The distinct positions of sites[0..n) into u[0..*m), each with the first index holding it. */
static void unique_sites(const struct areas_site *sites, size_t n, struct usite *u, size_t *m)
{
    for (size_t i = 0; i < n; i++)
        u[i] = (struct usite){sites[i].lon, sites[i].lat, i};
    qsort(u, n, sizeof *u, usite_cmp);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (w == 0 || u[i].lon != u[w - 1].lon || u[i].lat != u[w - 1].lat)
            u[w++] = u[i];
    *m = w;
}

/* The Voronoi cells of u[0..m) (m >= 2) around district d, back in lon/lat: a collection. */
static GEOSGeometry *voronoi(GEOSContextHandle_t ctx, const GEOSGeometry *d, const struct usite *u,
                             size_t m, struct plane *pl)
{
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(ctx, d, &x0) || !GEOSGeom_getYMin_r(ctx, d, &y0) ||
        !GEOSGeom_getXMax_r(ctx, d, &x1) || !GEOSGeom_getYMax_r(ctx, d, &y1))
        return NULL;
    pl->lon0 = x0 / 2 + x1 / 2;
    pl->lat0 = y0 / 2 + y1 / 2;
    pl->k = cos(pl->lat0 * (M_PI / 180));
    double hw = (x1 - x0) / 2 * pl->k, hh = (y1 - y0) / 2;
    double pad = DIAGRAM_MARGIN * (hw > hh ? hw : hh) + 1e-9;
    GEOSGeometry **pts = malloc(m * sizeof *pts);
    if (!pts)
        return NULL;
    size_t np = 0;
    while (np < m && (pts[np] = GEOSGeom_createPointFromXY_r(ctx, (u[np].lon - pl->lon0) * pl->k,
                                                             u[np].lat - pl->lat0)))
        np++;
    GEOSGeometry *mp = NULL;
    if (np == m)
        mp = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOINT, pts, (unsigned int)m);
    if (!mp)
        for (size_t i = 0; i < np; i++)
            GEOSGeom_destroy_r(ctx, pts[i]);
    free(pts);
    GEOSGeometry *box = GEOSGeom_createRectangle_r(ctx, -hw - pad, -hh - pad, hw + pad, hh + pad);
    GEOSGeometry *cells = mp && box ? GEOSVoronoiDiagram_r(ctx, mp, box, 0.0, 0) : NULL;
    GEOSGeometry *back = cells ? GEOSGeom_transformXY_r(ctx, cells, to_lonlat, pl) : NULL;
    GEOSGeom_destroy_r(ctx, cells);
    GEOSGeom_destroy_r(ctx, box);
    GEOSGeom_destroy_r(ctx, mp);
    return back;
}

static bool env_holds(GEOSContextHandle_t ctx, const GEOSGeometry *g, double x, double y)
{
    double x0, y0, x1, y1;
    return GEOSGeom_getXMin_r(ctx, g, &x0) && GEOSGeom_getYMin_r(ctx, g, &y0) &&
           GEOSGeom_getXMax_r(ctx, g, &x1) && GEOSGeom_getYMax_r(ctx, g, &y1) && x >= x0 &&
           x <= x1 && y >= y0 && y <= y1;
}

/* cell_of[j] = the cell of `cells` holding u[j], or NULL. A cell goes to the first site it
 * holds that has none yet: with distinct sites each cell holds exactly one. */
static enum geod_err match_cells(GEOSContextHandle_t ctx, const GEOSGeometry *cells,
                                 const struct usite *u, size_t m, const GEOSGeometry **cell_of)
{
    int nc = GEOSGetNumGeometries_r(ctx, cells);
    if (nc < 0)
        return GEOD_ENOMEM;
    for (int c = 0; c < nc; c++) {
        const GEOSGeometry *cell = GEOSGetGeometryN_r(ctx, cells, c);
        for (size_t j = 0; j < m; j++) {
            if (cell_of[j] || !env_holds(ctx, cell, u[j].lon, u[j].lat))
                continue;
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx, u[j].lon, u[j].lat);
            char in = pt ? GEOSIntersects_r(ctx, cell, pt) : 2;
            GEOSGeom_destroy_r(ctx, pt);
            if (in == 2)
                return GEOD_ENOMEM;
            if (in) {
                cell_of[j] = cell;
                break;
            }
        }
    }
    return GEOD_OK;
}

/* Fills cells[] for the distinct sites u[0..m) of a repaired, non-empty district d. Sites
 * whose cell GEOS did not return (never seen: it would take positions GEOS cannot tell apart)
 * are left NULL and get an empty area from the caller. */
static enum geod_err derive_cells(GEOSContextHandle_t ctx, const GEOSGeometry *d,
                                  const struct usite *u, size_t m, GEOSGeometry **cells)
{
    if (m == 1)
        return (cells[u[0].i] = GEOSGeom_clone_r(ctx, d)) ? GEOD_OK : GEOD_ENOMEM;
    struct plane pl;
    GEOSGeometry *vor = voronoi(ctx, d, u, m, &pl);
    const GEOSGeometry **cell_of = calloc(m, sizeof *cell_of);
    enum geod_err rc = vor && cell_of ? match_cells(ctx, vor, u, m, cell_of) : GEOD_ENOMEM;
    for (size_t j = 0; j < m && !rc; j++) {
        if (!cell_of[j])
            continue;
        GEOSGeometry *part = GEOSIntersection_r(ctx, cell_of[j], d);
        rc = part ? valid_multi(ctx, part, &cells[u[j].i]) : GEOD_ENOMEM;
        GEOSGeom_destroy_r(ctx, part);
    }
    free(cell_of);
    GEOSGeom_destroy_r(ctx, vor);
    return rc;
}

enum geod_err areas_derive(GEOSContextHandle_t ctx, const GEOSGeometry *district,
                           const struct areas_site *sites, size_t n, GEOSGeometry **cells)
{
    if (n && cells)
        memset(cells, 0, n * sizeof *cells);
    if (!ctx || !district || (n && (!sites || !cells)))
        return GEOD_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(sites[i].lon) || !isfinite(sites[i].lat))
            return GEOD_EINVAL;
    if (n == 0)
        return GEOD_OK;
    GEOSGeometry *d = NULL;
    enum geod_err rc = areas_repair(ctx, district, &d);
    if (rc)
        return rc;
    struct usite *u = malloc(n * sizeof *u);
    if (!u)
        rc = GEOD_ENOMEM;
    else if (GEOSisEmpty_r(ctx, d) != 1) {
        size_t m;
        unique_sites(sites, n, u, &m);
        rc = derive_cells(ctx, d, u, m, cells);
    }
    for (size_t i = 0; i < n && !rc; i++)
        if (!cells[i] && !(cells[i] = GEOSGeom_createEmptyCollection_r(ctx, GEOS_MULTIPOLYGON)))
            rc = GEOD_ENOMEM;
    if (rc)
        for (size_t i = 0; i < n; i++) {
            GEOSGeom_destroy_r(ctx, cells[i]);
            cells[i] = NULL;
        }
    free(u);
    GEOSGeom_destroy_r(ctx, d);
    return rc;
}

/* ---- WKB ---- */

enum geod_err areas_from_wkb(GEOSContextHandle_t ctx, const unsigned char *wkb, size_t len,
                             GEOSGeometry **out)
{
    *out = NULL;
    if (!ctx || !wkb || !len)
        return GEOD_EINVAL;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(ctx);
    if (!rd)
        return GEOD_ENOMEM;
    *out = GEOSWKBReader_read_r(ctx, rd, wkb, len);
    GEOSWKBReader_destroy_r(ctx, rd);
    return *out ? GEOD_OK : GEOD_EINVAL; /* GEOS does not tell bad bytes from no memory */
}

enum geod_err areas_to_wkb(GEOSContextHandle_t ctx, const GEOSGeometry *g, unsigned char **out,
                           size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!ctx || !g)
        return GEOD_EINVAL;
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(ctx);
    if (!wr)
        return GEOD_ENOMEM;
    GEOSWKBWriter_setOutputDimension_r(ctx, wr, 2);
    GEOSWKBWriter_setByteOrder_r(ctx, wr, GEOS_WKB_NDR);
    GEOSWKBWriter_setIncludeSRID_r(ctx, wr, 0);
    size_t n = 0;
    unsigned char *buf = GEOSWKBWriter_write_r(ctx, wr, g, &n);
    GEOSWKBWriter_destroy_r(ctx, wr);
    if (!buf)
        return GEOD_ENOMEM;
    *out = malloc(n ? n : 1);
    if (*out) {
        memcpy(*out, buf, n);
        *len = n;
    }
    GEOSFree_r(ctx, buf);
    return *out ? GEOD_OK : GEOD_ENOMEM;
}

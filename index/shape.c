/* shape.c - (Multi)Polygon WKB → GEOS → simplified → plain arrays (see shape.h). The arrays are
 * sized in a first pass over the simplified geometry and filled in a second, so there is no
 * reallocation and a failure leaves nothing behind. */
#include "index/shape.h"

#include <geos_c.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void shape_free(struct shape *s)
{
    if (!s)
        return;
    free(s->poly_ring);
    free(s->ring_pt);
    free(s->xy);
    memset(s, 0, sizeof *s);
}

static const GEOSGeometry *ring_of(GEOSContextHandle_t c, const GEOSGeometry *poly, int k)
{
    return k == 0 ? GEOSGetExteriorRing_r(c, poly) : GEOSGetInteriorRingN_r(c, poly, k - 1);
}

/* Counts (fill == false) or copies (fill == true) the rings and points of g into s. */
static bool walk(GEOSContextHandle_t c, const GEOSGeometry *g, struct shape *s, bool fill)
{
    int nparts = GEOSGetNumGeometries_r(c, g);
    if (nparts < 0)
        return false;
    s->npoly = s->nring = s->npt = 0;
    for (int p = 0; p < nparts; p++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(c, g, p);
        int nholes = poly ? GEOSGetNumInteriorRings_r(c, poly) : -1;
        if (nholes < 0 || GEOSisEmpty_r(c, poly) == 1)
            continue;
        if (fill)
            s->poly_ring[s->npoly] = s->nring;
        for (int k = 0; k <= nholes; k++) {
            const GEOSGeometry *ring = ring_of(c, poly, k);
            const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(c, ring) : NULL;
            unsigned int n = 0;
            if (!seq || !GEOSCoordSeq_getSize_r(c, seq, &n))
                return false;
            if (fill) {
                s->ring_pt[s->nring] = s->npt;
                for (unsigned int i = 0; i < n; i++)
                    if (!GEOSCoordSeq_getXY_r(c, seq, i, &s->xy[2 * (s->npt + i)],
                                              &s->xy[2 * (s->npt + i) + 1]))
                        return false;
            }
            s->nring++;
            s->npt += n;
        }
        s->npoly++;
    }
    if (fill) {
        s->poly_ring[s->npoly] = s->nring;
        s->ring_pt[s->nring] = s->npt;
    }
    return true;
}

enum geod_err shape_simplify(const unsigned char *wkb, size_t len, double tolerance,
                             struct shape *out)
{
    memset(out, 0, sizeof *out);
    GEOSContextHandle_t c = GEOS_init_r();
    if (!c)
        return GEOD_ENOMEM;
    enum geod_err rc = GEOD_EINVAL;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(c);
    GEOSGeometry *g = rd ? GEOSWKBReader_read_r(c, rd, wkb, len) : NULL;
    GEOSGeometry *simple = NULL;
    int type = g ? GEOSGeomTypeId_r(c, g) : -1;
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) {
        rc = GEOD_ENOMEM;
        simple = tolerance > 0 ? GEOSTopologyPreserveSimplify_r(c, g, tolerance) : NULL;
        const GEOSGeometry *use = tolerance > 0 ? simple : g;
        struct shape n;
        if (use && walk(c, use, &n, false)) {
            out->poly_ring = malloc((n.npoly + 1) * sizeof *out->poly_ring);
            out->ring_pt = malloc((n.nring + 1) * sizeof *out->ring_pt);
            out->xy = malloc((n.npt ? 2 * n.npt : 1) * sizeof *out->xy);
            if (out->poly_ring && out->ring_pt && out->xy && walk(c, use, out, true))
                rc = GEOD_OK;
        }
        if (rc)
            shape_free(out);
    }
    if (simple)
        GEOSGeom_destroy_r(c, simple);
    if (g)
        GEOSGeom_destroy_r(c, g);
    if (rd)
        GEOSWKBReader_destroy_r(c, rd);
    GEOS_finish_r(c);
    return rc;
}

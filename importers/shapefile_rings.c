/* shapefile_rings.c - a Shapefile polygon's rings into OGC WKB. The file says nothing of which
 * ring belongs to which polygon; orientation does: clockwise (negative shoelace area, y up) is
 * an outer ring, counter-clockwise a hole. A hole goes to the smallest outer ring that contains
 * it (tested at its first vertex not on that ring's boundary), so an island inside a lake inside
 * a district comes out as two polygons. A hole no outer ring contains is made an outer ring. */
#include "importers/shapefile_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ring {
    const unsigned char *pts; /* npts (x, y) LE doubles */
    uint32_t npts;
    double area;   /* signed: > 0 counter-clockwise */
    double box[4]; /* xmin, ymin, xmax, ymax */
    size_t owner;  /* a hole: the index of its outer ring; an outer: itself */
    bool hole;
};

static double px(const struct ring *r, uint32_t i)
{
    return shp_f64le(r->pts + 16 * (size_t)i);
}

static double py(const struct ring *r, uint32_t i)
{
    return shp_f64le(r->pts + 16 * (size_t)i + 8);
}

/* Where (x, y) is with respect to ring o: 1 inside, 0 outside, -1 on its boundary. */
static int locate(const struct ring *o, double x, double y)
{
    if (x < o->box[0] || x > o->box[2] || y < o->box[1] || y > o->box[3])
        return 0;
    bool in = false;
    for (uint32_t i = 0, j = o->npts - 1; i < o->npts; j = i++) {
        double xi = px(o, i), yi = py(o, i), xj = px(o, j), yj = py(o, j);
        double cross = (xj - xi) * (y - yi) - (x - xi) * (yj - yi);
        if (cross == 0 && fmin(xi, xj) <= x && x <= fmax(xi, xj) && fmin(yi, yj) <= y &&
            y <= fmax(yi, yj))
            return -1;
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

/* Whether hole h lies in outer ring o: the first vertex of h off o's boundary decides. */
static bool contains(const struct ring *o, const struct ring *h)
{
    if (h->box[0] < o->box[0] || h->box[1] < o->box[1] || h->box[2] > o->box[2] ||
        h->box[3] > o->box[3])
        return false;
    for (uint32_t i = 0; i < h->npts; i++) {
        int w = locate(o, px(h, i), py(h, i));
        if (w >= 0)
            return w == 1;
    }
    return true; /* every vertex on the boundary: the same ring traced backwards */
}

static enum geod_err put(struct shp_buf *b, const void *p, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (n > cap - b->len) {
            if (cap > SIZE_MAX / 2)
                return GEOD_ENOMEM;
            cap *= 2;
        }
        unsigned char *q = realloc(b->p, cap);
        if (!q)
            return GEOD_ENOMEM;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return GEOD_OK;
}

static enum geod_err put_u32(struct shp_buf *b, uint32_t v)
{
    unsigned char p[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    return put(b, p, 4);
}

static enum geod_err put_header(struct shp_buf *b, uint32_t type, uint32_t n)
{
    unsigned char order = 1; /* little-endian */
    enum geod_err rc = put(b, &order, 1);
    if (!rc)
        rc = put_u32(b, type);
    if (!rc)
        rc = put_u32(b, n);
    return rc;
}

static enum geod_err put_ring(struct shp_buf *b, const struct ring *r)
{
    enum geod_err rc = put_u32(b, r->npts);
    return rc ? rc : put(b, r->pts, 16 * (size_t)r->npts);
}

/* The rings of polygon o (the outer ring first, then its holes) into b. */
static enum geod_err put_polygon(struct shp_buf *b, const struct ring *rings, size_t nrings,
                                 size_t o)
{
    uint32_t n = 0;
    for (size_t i = 0; i < nrings; i++)
        n += rings[i].owner == o;
    enum geod_err rc = put_header(b, 3, n);
    if (!rc)
        rc = put_ring(b, &rings[o]); /* the outer ring first, then its holes */
    for (size_t i = 0; !rc && i < nrings; i++)
        if (i != o && rings[i].owner == o)
            rc = put_ring(b, &rings[i]);
    return rc;
}

/* Measures ring r, or says why it is not a ring. */
static const char *measure(struct ring *r)
{
    double x0 = px(r, 0), y0 = py(r, 0);
    r->box[0] = r->box[2] = x0;
    r->box[1] = r->box[3] = y0;
    double a = 0;
    for (uint32_t i = 0; i < r->npts; i++) {
        double x = px(r, i), y = py(r, i);
        if (!isfinite(x) || !isfinite(y))
            return "a polygon's coordinates are not finite numbers";
        r->box[0] = fmin(r->box[0], x);
        r->box[1] = fmin(r->box[1], y);
        r->box[2] = fmax(r->box[2], x);
        r->box[3] = fmax(r->box[3], y);
        if (i + 1 < r->npts)
            a += (x - x0) * (py(r, i + 1) - y0) - (px(r, i + 1) - x0) * (y - y0);
    }
    if (r->npts < 4)
        return "a polygon ring has fewer than 4 points";
    if (px(r, r->npts - 1) != x0 || py(r, r->npts - 1) != y0)
        return "a polygon ring is not closed (its last point is not its first)";
    if (!(a != 0) || !isfinite(a))
        return "a polygon ring has no area";
    r->area = a / 2;
    r->hole = a > 0;
    return NULL;
}

enum geod_err shp_rings_to_wkb(const unsigned char *pts, uint32_t npoints, const uint32_t *parts,
                               uint32_t nparts, struct shp_buf *out, const char **bad)
{
    *bad = NULL;
    struct ring *rings = calloc(nparts, sizeof *rings);
    if (!rings)
        return GEOD_ENOMEM;
    for (uint32_t i = 0; i < nparts && !*bad; i++) {
        uint32_t end = i + 1 < nparts ? parts[i + 1] : npoints;
        rings[i].pts = pts + 16 * (size_t)parts[i];
        rings[i].npts = end - parts[i];
        *bad = measure(&rings[i]);
    }
    size_t nouter = 0;
    for (size_t i = 0; i < nparts && !*bad; i++) {
        rings[i].owner = i;
        if (rings[i].hole) {
            size_t best = SIZE_MAX;
            for (size_t k = 0; k < nparts; k++)
                if (!rings[k].hole && contains(&rings[k], &rings[i]) &&
                    (best == SIZE_MAX || fabs(rings[k].area) < fabs(rings[best].area)))
                    best = k;
            if (best == SIZE_MAX)
                rings[i].hole = false; /* an orphan: its own polygon */
            else
                rings[i].owner = best;
        }
    }
    for (size_t i = 0; i < nparts && !*bad; i++)
        nouter += !rings[i].hole;
    enum geod_err rc = GEOD_OK;
    if (!*bad && nouter == 1) {
        for (size_t i = 0; i < nparts; i++)
            if (!rings[i].hole)
                rc = put_polygon(out, rings, nparts, i);
    } else if (!*bad) {
        rc = put_header(out, 6, (uint32_t)nouter);
        for (size_t i = 0; !rc && i < nparts; i++)
            if (!rings[i].hole)
                rc = put_polygon(out, rings, nparts, i);
    }
    free(rings);
    return rc;
}

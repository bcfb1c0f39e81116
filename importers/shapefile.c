/* shapefile.c - the .shp and .shx of an ESRI Shapefile (the .dbf is shapefile_dbf.c, polygons
 * shapefile_rings.c). Not a writer, and not a validator of geometry beyond what reading needs.
 *
 * Format (ESRI Shapefile Technical Description, 1998). Both files open with a 100-byte header:
 * file code 9994 (big-endian) at 0, file length in 16-bit words (big-endian) at 24, version
 * 1000 (little-endian) at 28, shape type (LE) at 32, bounding box at 36. The .shx then holds one
 * 8-byte entry per shape: offset and content length, both big-endian in 16-bit words. Each .shp
 * record is an 8-byte header (number, content length; BE) and content: shape type (LE int32),
 * then by type
 *   Point (1, 11, 21)        x, y (LE doubles)                               >= 20 bytes
 *   MultiPoint (8, 18, 28)   box[4], npoints, points[npoints]                >= 40 + 16 n
 *   PolyLine, Polygon (3, 13, 23; 5, 15, 25) and MultiPatch (31)
 *                            box[4], nparts, npoints, parts[nparts] (MultiPatch: and
 *                            types[nparts]), points[npoints]
 * with Z and M arrays after the points, which are not read. The header's file length is not
 * trusted: each record is checked against the bytes that are there. */
#include "importers/shapefile_impl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SHP_MAX_PARTS (1u << 24) /* more parts than this in one shape is not a real file */

/* ---- bytes ---- */

enum geod_err shp_io_open(struct shp_io *io, const char *path)
{
    memset(io, 0, sizeof *io);
    const char *base = strrchr(path, '/');
    snprintf(io->name, sizeof io->name, "%s", base ? base + 1 : path);
    io->f = fopen(path, "rb");
    if (!io->f)
        return errno == ENOENT ? GEOD_ENOTFOUND : GEOD_EIO;
    if (fseeko(io->f, 0, SEEK_END) != 0) {
        shp_io_close(io);
        return GEOD_EIO;
    }
    off_t end = ftello(io->f);
    if (end < 0) {
        shp_io_close(io);
        return GEOD_EIO;
    }
    io->size = (uint64_t)end;
    return GEOD_OK;
}

void shp_io_mem(struct shp_io *io, const void *data, size_t len, const char *name)
{
    memset(io, 0, sizeof *io);
    io->mem = data;
    io->size = len;
    snprintf(io->name, sizeof io->name, "%s", name);
}

void shp_io_close(struct shp_io *io)
{
    if (io->f)
        fclose(io->f);
    io->f = NULL;
}

enum geod_err shp_io_read(struct shp_io *io, uint64_t off, void *buf, size_t n)
{
    if (off > io->size || n > io->size - off)
        return GEOD_EINVAL;
    if (n == 0)
        return GEOD_OK;
    if (io->mem) {
        memcpy(buf, io->mem + off, n);
        return GEOD_OK;
    }
    if (off > (uint64_t)INT64_MAX || fseeko(io->f, (off_t)off, SEEK_SET) != 0 ||
        fread(buf, 1, n, io->f) != n)
        return GEOD_EIO;
    return GEOD_OK;
}

double shp_f64le(const unsigned char *p)
{
    uint64_t u = (uint64_t)shp_u32le(p) | (uint64_t)shp_u32le(p + 4) << 32;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- the reader ---- */

struct shp_reader {
    struct shp_io shp, shx;
    bool has_shx;
    int type;           /* of the header */
    size_t count;       /* shapes in the .shx, or SIZE_MAX */
    size_t next;        /* the next shape, from 0 */
    uint64_t pos;       /* without a .shx: where the next record starts */
    unsigned char *rec; /* the current record's content */
    size_t rec_cap;
    uint32_t *parts;
    size_t parts_cap;
    struct shp_buf wkb;
};

static enum geod_err fail(char *err, size_t errlen, enum geod_err rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static enum geod_err check_header(struct shp_io *io, int *type, char *err, size_t errlen)
{
    unsigned char h[100];
    if (shp_io_read(io, 0, h, sizeof h))
        return fail(err, errlen, GEOD_EINVAL, "%s: not a shapefile (shorter than its header)",
                    io->name);
    if (shp_u32be(h) != 9994 || shp_u32le(h + 28) != 1000)
        return fail(err, errlen, GEOD_EINVAL, "%s: not a shapefile (no file code 9994)", io->name);
    *type = (int)shp_u32le(h + 32);
    return GEOD_OK;
}

static enum geod_err open_common(struct shp_reader *r, char *err, size_t errlen)
{
    enum geod_err rc = check_header(&r->shp, &r->type, err, errlen);
    int shx_type;
    if (!rc && r->has_shx && !(rc = check_header(&r->shx, &shx_type, err, errlen))) {
        if ((r->shx.size - 100) % 8 != 0)
            return fail(err, errlen, GEOD_EINVAL,
                        "%s: %llu bytes is not a header and whole "
                        "8-byte entries (truncated?)",
                        r->shx.name, (unsigned long long)r->shx.size);
        uint64_t n = (r->shx.size - 100) / 8;
        r->count = n > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)n;
    }
    r->pos = 100;
    return rc;
}

enum geod_err shp_open(const char *shp_path, const char *shx_path, struct shp_reader **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    struct shp_reader *r = calloc(1, sizeof *r);
    if (!r)
        return GEOD_ENOMEM;
    r->count = SIZE_MAX;
    enum geod_err rc = shp_io_open(&r->shp, shp_path);
    if (rc)
        fail(err, errlen, rc, "%s: %s", shp_path,
             rc == GEOD_ENOTFOUND ? "no such file" : "cannot read it");
    if (!rc && shx_path) {
        if ((rc = shp_io_open(&r->shx, shx_path)))
            fail(err, errlen, rc, "%s: cannot read it", shx_path);
        r->has_shx = true;
    }
    if (!rc)
        rc = open_common(r, err, errlen);
    if (rc) {
        shp_close(r);
        return rc;
    }
    *out = r;
    return GEOD_OK;
}

enum geod_err shp_open_mem(const void *shp, size_t shp_len, const void *shx, size_t shx_len,
                           struct shp_reader **out, char *err, size_t errlen)
{
    *out = NULL;
    struct shp_reader *r = calloc(1, sizeof *r);
    if (!r)
        return GEOD_ENOMEM;
    r->count = SIZE_MAX;
    shp_io_mem(&r->shp, shp, shp_len, "the .shp");
    if (shx) {
        shp_io_mem(&r->shx, shx, shx_len, "the .shx");
        r->has_shx = true;
    }
    enum geod_err rc = open_common(r, err, errlen);
    if (rc) {
        shp_close(r);
        return rc;
    }
    *out = r;
    return GEOD_OK;
}

void shp_close(struct shp_reader *r)
{
    if (!r)
        return;
    shp_io_close(&r->shp);
    shp_io_close(&r->shx);
    free(r->rec);
    free(r->parts);
    free(r->wkb.p);
    free(r);
}

size_t shp_count(const struct shp_reader *r)
{
    return r->count;
}

int shp_file_type(const struct shp_reader *r)
{
    return r->type;
}

/* Reads the record that starts at off into r->rec; *len gets its content length. */
static enum geod_err read_record(struct shp_reader *r, uint64_t off, uint64_t shx_len, size_t *len,
                                 char *err, size_t errlen)
{
    const char *name = r->shp.name;
    size_t no = r->next + 1;
    unsigned char h[8];
    enum geod_err rc = shp_io_read(&r->shp, off, h, sizeof h);
    if (rc == GEOD_EINVAL)
        return fail(err, errlen, rc,
                    "%s: record %zu: truncated: its header at byte %llu is past "
                    "the end of the file (%llu bytes)",
                    name, no, (unsigned long long)off, (unsigned long long)r->shp.size);
    if (rc)
        return fail(err, errlen, rc, "%s: record %zu: cannot read it", name, no);
    uint64_t n = 2 * (uint64_t)shp_u32be(h + 4);
    if (r->has_shx && n != shx_len)
        return fail(err, errlen, GEOD_EINVAL, "%s: record %zu: %llu bytes long where %s says %llu",
                    name, no, (unsigned long long)n, r->shx.name, (unsigned long long)shx_len);
    if (n < 4 || n > r->shp.size - off - 8)
        return fail(err, errlen, GEOD_EINVAL,
                    "%s: record %zu: %s (%llu bytes at byte %llu of "
                    "%llu)",
                    name, no, n < 4 ? "too short for a shape type" : "truncated",
                    (unsigned long long)n, (unsigned long long)off + 8,
                    (unsigned long long)r->shp.size);
    if (n > SIZE_MAX)
        return fail(err, errlen, GEOD_ERANGE, "%s: record %zu: too large", name, no);
    if (n > r->rec_cap) {
        unsigned char *p = realloc(r->rec, (size_t)n);
        if (!p)
            return GEOD_ENOMEM;
        r->rec = p;
        r->rec_cap = (size_t)n;
    }
    if ((rc = shp_io_read(&r->shp, off + 8, r->rec, (size_t)n)))
        return fail(err, errlen, rc, "%s: record %zu: cannot read it", name, no);
    *len = (size_t)n;
    return GEOD_OK;
}

/* Parts and points of a PolyLine, Polygon or MultiPatch: checks that what the counts say fits
 * in the record and that the part indices are in order; *pts at the first point. */
static enum geod_err multi_parts(struct shp_reader *r, size_t len, uint32_t *nparts,
                                 uint32_t *npoints, const unsigned char **pts, char *err,
                                 size_t errlen)
{
    const char *name = r->shp.name;
    size_t no = r->next + 1;
    if (len < 44)
        return fail(err, errlen, GEOD_EINVAL,
                    "%s: record %zu: %zu bytes, too short for its "
                    "part and point counts",
                    name, no, len);
    *nparts = shp_u32le(r->rec + 36);
    *npoints = shp_u32le(r->rec + 40);
    int type = (int)shp_u32le(r->rec);
    uint64_t part_bytes = (uint64_t)*nparts * (type == 31 ? 8 : 4);
    uint64_t need = 44 + part_bytes + 16 * (uint64_t)*npoints;
    if (*nparts > SHP_MAX_PARTS || need > len)
        return fail(err, errlen, GEOD_EINVAL,
                    "%s: record %zu: %u parts and %u points do not "
                    "fit in its %zu bytes",
                    name, no, *nparts, *npoints, len);
    if (*nparts == 0 || *npoints == 0)
        return GEOD_OK;
    if (*nparts > r->parts_cap) {
        uint32_t *p = realloc(r->parts, *nparts * sizeof *p);
        if (!p)
            return GEOD_ENOMEM;
        r->parts = p;
        r->parts_cap = *nparts;
    }
    for (uint32_t i = 0; i < *nparts; i++) {
        uint32_t v = shp_u32le(r->rec + 44 + 4 * (size_t)i);
        if ((i == 0 && v != 0) || (i > 0 && v <= r->parts[i - 1]) || v >= *npoints)
            return fail(err, errlen, GEOD_EINVAL,
                        "%s: record %zu: part %u starts at point %u, "
                        "out of order or past the %u points",
                        name, no, i + 1, v, *npoints);
        r->parts[i] = v;
    }
    *pts = r->rec + 44 + part_bytes;
    return GEOD_OK;
}

static enum geod_err shape(struct shp_reader *r, size_t len, struct shp_shape *s, char *err,
                           size_t errlen)
{
    int type = (int)shp_u32le(r->rec);
    s->type = type;
    uint32_t nparts, npoints;
    const unsigned char *pts = NULL;
    enum geod_err rc;
    switch (type) {
    case 0:
        return GEOD_OK;
    case 1:
    case 11:
    case 21:
        if (len < 20)
            return fail(err, errlen, GEOD_EINVAL,
                        "%s: record %zu: %zu bytes, too short for a "
                        "point",
                        r->shp.name, r->next + 1, len);
        s->x = shp_f64le(r->rec + 4);
        s->y = shp_f64le(r->rec + 12);
        break;
    case 8:
    case 18:
    case 28:
        npoints = len >= 40 ? shp_u32le(r->rec + 36) : 0;
        if (len < 40 || 40 + 16 * (uint64_t)npoints > len)
            return fail(err, errlen, GEOD_EINVAL,
                        "%s: record %zu: %u points do not fit in "
                        "its %zu bytes",
                        r->shp.name, r->next + 1, npoints, len);
        if (npoints != 1) {
            s->other = npoints ? "MultiPoint" : NULL; /* an empty one is no geometry */
            return GEOD_OK;
        }
        s->x = shp_f64le(r->rec + 40);
        s->y = shp_f64le(r->rec + 48);
        break;
    case 3:
    case 13:
    case 23:
    case 31:
        if ((rc = multi_parts(r, len, &nparts, &npoints, &pts, err, errlen)))
            return rc;
        if (npoints)
            s->other = type == 31 ? "MultiPatch" : nparts > 1 ? "MultiLineString" : "LineString";
        return GEOD_OK;
    case 5:
    case 15:
    case 25:
        if ((rc = multi_parts(r, len, &nparts, &npoints, &pts, err, errlen)))
            return rc;
        if (nparts == 0 || npoints == 0)
            return GEOD_OK;
        r->wkb.len = 0;
        if ((rc = shp_rings_to_wkb(pts, npoints, r->parts, nparts, &r->wkb, &s->bad)))
            return rc;
        if (!s->bad) {
            s->wkb = r->wkb.p;
            s->wkb_len = r->wkb.len;
        }
        return GEOD_OK;
    default:
        return fail(err, errlen, GEOD_EINVAL, "%s: record %zu: unknown shape type %d", r->shp.name,
                    r->next + 1, type);
    }
    if (!isfinite(s->x) || !isfinite(s->y))
        s->bad = "the point's coordinates are not finite numbers";
    else
        s->has_point = true;
    return GEOD_OK;
}

enum geod_err shp_next(struct shp_reader *r, struct shp_shape *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    uint64_t off, shx_len = 0;
    if (r->has_shx) {
        if (r->next >= r->count)
            return GEOD_ENOTFOUND;
        unsigned char e[8];
        enum geod_err rc = shp_io_read(&r->shx, 100 + 8 * (uint64_t)r->next, e, sizeof e);
        if (rc)
            return fail(err, errlen, rc == GEOD_EINVAL ? GEOD_EINVAL : GEOD_EIO,
                        "%s: entry %zu: cannot read it", r->shx.name, r->next + 1);
        off = 2 * (uint64_t)shp_u32be(e);
        shx_len = 2 * (uint64_t)shp_u32be(e + 4);
        if (off < 100)
            return fail(err, errlen, GEOD_EINVAL,
                        "%s: entry %zu: offset %llu is inside the "
                        "header",
                        r->shx.name, r->next + 1, (unsigned long long)off);
    } else {
        if (r->pos == r->shp.size)
            return GEOD_ENOTFOUND;
        off = r->pos;
    }
    size_t len = 0;
    enum geod_err rc = read_record(r, off, shx_len, &len, err, errlen);
    if (rc)
        return rc;
    r->pos = off + 8 + len;
    s->number = r->next + 1;
    if ((rc = shape(r, len, s, err, errlen)))
        return rc;
    r->next++;
    return GEOD_OK;
}

/* shapefile_impl.h - what the Shapefile reader's files share (importers/shapefile.c: .shp/.shx;
 * shapefile_dbf.c: .dbf; shapefile_rings.c: polygons to WKB): one file's bytes, from disk or
 * memory, read only through a bounds-checked call. Internal to importers/shapefile*.c. */
#ifndef GEOD_SHAPEFILE_IMPL_H
#define GEOD_SHAPEFILE_IMPL_H

#include "importers/shapefile.h"

#include <stdio.h>

struct shp_io {
    const unsigned char *mem; /* the bytes, when in memory; else */
    FILE *f;                  /* the open file */
    uint64_t size;            /* bytes in the file */
    char name[64];            /* the file's name for messages ("districts.shp") */
};

/* Opens path (the name kept for messages is its last component). GEOD_ENOTFOUND, GEOD_EIO. */
enum geod_err shp_io_open(struct shp_io *io, const char *path);
void shp_io_mem(struct shp_io *io, const void *data, size_t len, const char *name);
void shp_io_close(struct shp_io *io);
/* n bytes at off into buf: GEOD_EINVAL when they are not all in the file, GEOD_EIO. */
enum geod_err shp_io_read(struct shp_io *io, uint64_t off, void *buf, size_t n);

/* Little- and big-endian integers and doubles from bytes. */
static inline uint32_t shp_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint32_t shp_u32be(const unsigned char *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}
double shp_f64le(const unsigned char *p);

/* A growing byte buffer (the WKB being written). */
struct shp_buf {
    unsigned char *p;
    size_t len, cap;
};

/* Polygon parts into WKB: npoints points (x, y pairs of little-endian doubles at pts), parts
 * [nparts] starting indices (checked by the caller: increasing, below npoints, parts[0] == 0).
 * GEOD_OK with *bad NULL and the WKB in out, or GEOD_OK with *bad set for a shape that cannot be
 * used; GEOD_ENOMEM. */
enum geod_err shp_rings_to_wkb(const unsigned char *pts, uint32_t npoints, const uint32_t *parts,
                               uint32_t nparts, struct shp_buf *out, const char **bad);

#endif

/* fuzz_shapefile.c - the Shapefile readers (importers/shapefile*.c) on hostile bytes: the input
 * is split into a .shp, a .shx and a .dbf (a header of two little-endian u32: the .shp's length,
 * the .shx's; what follows them is the .dbf; a .shx of length 0 is no .shx), read through
 * shp_open_mem and dbf_open_mem. No crash, no read past the end, errors carry a message, and
 * every polygon handed out is WKB whose counts match its length. */
#include "importers/shapefile.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walks one WKB Polygon or MultiPolygon; false when its counts disagree with its length. */
static bool wkb_ok(const uint8_t *p, size_t n)
{
    if (n < 9 || p[0] != 1)
        return false;
    uint32_t type = u32(p + 1), count = u32(p + 5);
    size_t at = 9, polygons = type == 6 ? count : 1;
    if (type != 3 && type != 6)
        return false;
    for (size_t k = 0; k < polygons; k++) {
        uint32_t rings = count;
        if (type == 6) {
            if (n - at < 9 || p[at] != 1 || u32(p + at + 1) != 3)
                return false;
            rings = u32(p + at + 5);
            at += 9;
        }
        if (rings == 0)
            return false;
        for (uint32_t r = 0; r < rings; r++) {
            if (n - at < 4)
                return false;
            uint32_t pts = u32(p + at);
            at += 4;
            if (pts < 4 || (n - at) / 16 < pts)
                return false;
            at += 16 * (size_t)pts;
        }
    }
    return at == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    size_t rest = size - 8;
    size_t shp_len = u32(data) < rest ? u32(data) : rest;
    size_t shx_len = u32(data + 4) < rest - shp_len ? u32(data + 4) : rest - shp_len;
    const uint8_t *shp = data + 8, *shx = shp + shp_len, *dbf = shx + shx_len;
    size_t dbf_len = rest - shp_len - shx_len;
    char err[256];

    struct shp_reader *r = NULL;
    err[0] = '\0';
    enum geod_err rc =
        shp_open_mem(shp, shp_len, shx_len ? shx : NULL, shx_len, &r, err, sizeof err);
    if (rc == GEOD_EINVAL && !err[0])
        __builtin_trap();
    for (int i = 0; r && i < 10000; i++) {
        struct shp_shape s;
        err[0] = '\0';
        rc = shp_next(r, &s, err, sizeof err);
        if (rc == GEOD_EINVAL && !err[0])
            __builtin_trap();
        if (rc)
            break;
        if (s.wkb && !wkb_ok(s.wkb, s.wkb_len))
            __builtin_trap();
        if ((s.wkb != NULL) + s.has_point + (s.other != NULL) + (s.bad != NULL) > 1)
            __builtin_trap();
    }
    shp_close(r);

    struct dbf_reader *d = NULL;
    err[0] = '\0';
    rc = dbf_open_mem(dbf, dbf_len, &d, err, sizeof err);
    if (rc == GEOD_EINVAL && !err[0])
        __builtin_trap();
    for (size_t i = 0; d && i < dbf_nrecords(d) && i < 10000; i++) {
        bool deleted;
        if (dbf_read(d, i, &deleted, err, sizeof err))
            __builtin_trap(); /* dbf_open checked that every record is there */
        for (size_t j = 0; j < dbf_nfields(d); j++) {
            const char *p;
            size_t len;
            enum dbf_value v = dbf_value(d, j, &p, &len);
            if (v == DBF_TEXT && len > dbf_field(d, j)->len)
                __builtin_trap();
            if (v == DBF_BAD && !p[0])
                __builtin_trap();
            for (size_t k = 0; k < len; k++) /* touch every byte handed out */
                if (p[k] == '\0' && v == DBF_PLAIN)
                    __builtin_trap();
        }
    }
    dbf_close(d);
    return 0;
}

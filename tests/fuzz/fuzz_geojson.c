/* fuzz_geojson.c - geojson_read on hostile bytes: no crash, no leak, errors carry a message, and
 * every geometry handed out is one GEOS can describe. */
#include "importers/geojson.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum geod_err flip(void *udata, double *x, double *y)
{
    (void)udata;
    if (*x > 1e300) /* exercise the transform's refusal */
        return GEOD_ERANGE;
    double t = *x;
    *x = *y;
    *y = t;
    return GEOD_OK;
}

static enum geod_err on_feature(void *udata, struct geojson_feature *f)
{
    GEOSContextHandle_t ctx = udata;
    if (f->geom && GEOSGeomTypeId_r(ctx, f->geom) < 0)
        __builtin_trap();
    if (f->properties && !json_is_object(f->properties))
        __builtin_trap();
    return f->index > 1000 ? GEOD_ERANGE : GEOD_OK; /* the callback may stop the reader */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GEOSContextHandle_t ctx;
    if (!ctx)
        ctx = GEOS_init_r();
    struct geojson_error err;
    char crs[64];
    enum geod_err rc = geojson_read((const char *)data, size, ctx, flip, NULL, on_feature, ctx, crs,
                                    sizeof crs, &err);
    if (rc == GEOD_EINVAL && err.msg[0] == '\0')
        __builtin_trap();
    if (memchr(crs, '\0', sizeof crs) == NULL)
        __builtin_trap();
    return 0;
}

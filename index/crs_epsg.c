/* crs_epsg.c - PROJ transformations WGS-84 <-> EPSG:n, cached per thread (least recently used
 * out). proj_normalize_for_visualization fixes the axis order to (east, north) / (lon, lat):
 * EPSG:4547, for one, is defined northing first. PROJ finds EPSG definitions in proj.db
 * (Debian's proj-data), offline. crs_epsg_identify_wkt names the EPSG system a WKT describes,
 * through the same database (ESRI names included, which is what Shapefile .prj files use). */
#include "index/crs_epsg.h"

#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
    int epsg; /* 0: empty */
    PJ *pj;   /* WGS-84 (lon, lat) -> the system, normalized */
    bool geographic;
    unsigned long used;
};

struct crs_epsg_cache {
    PJ_CONTEXT *ctx;
    struct entry e[CRS_EPSG_CACHE];
    unsigned long clock;
};

enum geod_err crs_epsg_cache_new(struct crs_epsg_cache **out)
{
    struct crs_epsg_cache *c = calloc(1, sizeof *c);
    if (!c)
        return GEOD_ENOMEM;
    c->ctx = proj_context_create();
    if (!c->ctx) {
        free(c);
        return GEOD_ENOMEM;
    }
    proj_log_level(c->ctx, PJ_LOG_NONE); /* failures come back as error codes, not stderr */
    *out = c;
    return GEOD_OK;
}

void crs_epsg_cache_free(struct crs_epsg_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < CRS_EPSG_CACHE; i++)
        if (c->e[i].pj)
            proj_destroy(c->e[i].pj);
    proj_context_destroy(c->ctx);
    free(c);
}

enum geod_err crs_epsg_parse(const char *s, size_t len, int *code)
{
    if (len < 6 || len > 11 || strncasecmp(s, "EPSG:", 5) != 0)
        return GEOD_ECRS;
    int v = 0;
    for (size_t i = 5; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return GEOD_ECRS;
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0)
        return GEOD_ECRS;
    *code = v;
    return GEOD_OK;
}

static struct entry *lookup(struct crs_epsg_cache *c, int epsg)
{
    struct entry *victim = &c->e[0];
    for (int i = 0; i < CRS_EPSG_CACHE; i++) {
        if (c->e[i].epsg == epsg) {
            c->e[i].used = ++c->clock;
            return &c->e[i];
        }
        if (c->e[i].used < victim->used)
            victim = &c->e[i];
    }
    char name[32];
    snprintf(name, sizeof name, "EPSG:%d", epsg);
    PJ *raw = proj_create_crs_to_crs(c->ctx, "EPSG:4326", name, NULL);
    PJ *pj = raw ? proj_normalize_for_visualization(c->ctx, raw) : NULL;
    proj_destroy(raw);
    if (!pj)
        return NULL;
    PJ *crs = proj_create(c->ctx, name);
    PJ_TYPE type = crs ? proj_get_type(crs) : PJ_TYPE_UNKNOWN;
    proj_destroy(crs);
    /* only horizontal positions: a height, an earth-centred (X, Y, Z) or a compound system has
     * no (east, north) or (lon, lat) to give */
    if (type != PJ_TYPE_GEOGRAPHIC_2D_CRS && type != PJ_TYPE_GEOGRAPHIC_3D_CRS &&
        type != PJ_TYPE_PROJECTED_CRS) {
        proj_destroy(pj);
        return NULL;
    }
    if (victim->pj)
        proj_destroy(victim->pj);
    *victim = (struct entry){epsg, pj,
                             type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS,
                             ++c->clock};
    return victim;
}

static enum geod_err trans(struct crs_epsg_cache *c, int epsg, PJ_DIRECTION dir, double a, double b,
                           double *x, double *y)
{
    if (!isfinite(a) || !isfinite(b))
        return GEOD_EINVAL;
    struct entry *e = lookup(c, epsg);
    if (!e)
        return GEOD_ECRS;
    proj_errno_reset(e->pj);
    PJ_COORD out = proj_trans(e->pj, dir, proj_coord(a, b, 0, 0));
    if (!isfinite(out.xy.x) || !isfinite(out.xy.y) || proj_errno(e->pj))
        return GEOD_ERANGE;
    *x = out.xy.x;
    *y = out.xy.y;
    return GEOD_OK;
}

enum geod_err crs_epsg_from_wgs84(struct crs_epsg_cache *c, int epsg, double lon, double lat,
                                  double *x, double *y)
{
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
        return GEOD_EINVAL;
    return trans(c, epsg, PJ_FWD, lon, lat, x, y);
}

enum geod_err crs_epsg_to_wgs84(struct crs_epsg_cache *c, int epsg, double x, double y, double *lon,
                                double *lat)
{
    enum geod_err rc = trans(c, epsg, PJ_INV, x, y, lon, lat);
    if (!rc && !(*lon >= -180 && *lon <= 180 && *lat >= -90 && *lat <= 90))
        return GEOD_ERANGE;
    return rc;
}

bool crs_epsg_is_geographic(struct crs_epsg_cache *c, int epsg)
{
    struct entry *e = lookup(c, epsg);
    return e && e->geographic;
}

/* The EPSG code obj carries itself (an ID / AUTHORITY["EPSG", n]), or 0. */
static int own_epsg(PJ *obj)
{
    const char *auth = proj_get_id_auth_name(obj, 0);
    const char *code = proj_get_id_code(obj, 0);
    if (!auth || !code || strcasecmp(auth, "EPSG") != 0)
        return 0;
    char *end;
    long v = strtol(code, &end, 10);
    return *end == '\0' && v > 0 && v < 1000000 ? (int)v : 0;
}

enum geod_err crs_epsg_identify_wkt(const char *wkt, int *epsg)
{
    PJ_CONTEXT *ctx = proj_context_create();
    if (!ctx)
        return GEOD_ENOMEM;
    proj_log_level(ctx, PJ_LOG_NONE);
    enum geod_err rc = GEOD_EINVAL;
    PJ *obj = proj_create(ctx, wkt);
    if (obj && !proj_is_crs(obj)) {
        proj_destroy(obj);
        obj = NULL;
    }
    if (obj) {
        rc = GEOD_ECRS;
        int own = own_epsg(obj);
        int *confidence = NULL;
        PJ_OBJ_LIST *list = own ? NULL : proj_identify(ctx, obj, "EPSG", NULL, &confidence);
        int n = list ? proj_list_get_count(list) : 0;
        int best = 0, best_conf = -1, tie = 0;
        for (int i = 0; i < n; i++) {
            PJ *c = proj_list_get(ctx, list, i);
            int code = c ? own_epsg(c) : 0;
            proj_destroy(c);
            if (!code || confidence[i] < best_conf)
                continue;
            if (confidence[i] > best_conf) {
                best = code;
                best_conf = confidence[i];
                tie = 0;
            } else if (code != best) {
                tie = code;
            }
        }
        if (own) {
            *epsg = own;
            rc = GEOD_OK;
        } else if (best && best_conf >= 70 && !tie) {
            *epsg = best;
            rc = GEOD_OK;
        }
        proj_int_list_destroy(confidence);
        proj_list_destroy(list);
        proj_destroy(obj);
    }
    proj_context_destroy(ctx);
    return rc;
}

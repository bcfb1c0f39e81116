/* params.c - shared parameter parsing with errors that name the parameter. */
#include "api/params.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fail_param(struct api_req *r, const char *code, const char *param, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

static void fail_param(struct api_req *r, const char *code, const char *param, const char *fmt,
                       ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    api_fail(r, 400, code, msg, param);
}

bool params_allow(struct api_req *r, const char *const *names)
{
    for (size_t i = 0; i < r->q.n; i++) {
        const struct query_param *p = &r->q.p[i];
        bool known = h2o_memis(p->name, p->name_len, H2O_STRLIT("format"));
        for (const char *const *n = names; *n && !known; n++)
            known = strlen(*n) == p->name_len && memcmp(*n, p->name, p->name_len) == 0;
        if (!known) {
            char name[64];
            size_t len = p->name_len < sizeof name - 1 ? p->name_len : sizeof name - 1;
            /* valid UTF-8 already; cut at a character boundary */
            while (len > 0 && len < p->name_len && ((unsigned char)p->name[len] & 0xc0) == 0x80)
                len--;
            memcpy(name, p->name, len);
            name[len] = '\0';
            fail_param(r, "unknown_parameter", name, "this endpoint takes no parameter %s", name);
            return false;
        }
    }
    return true;
}

bool params_double(struct api_req *r, const char *name, double min, double max, bool required,
                   double *out, bool *present)
{
    const struct query_param *p = query_get(&r->q, name);
    if (present)
        *present = p != NULL;
    if (!p) {
        if (required)
            fail_param(r, "missing_parameter", name, "%s is required", name);
        return !required;
    }
    double v;
    if (query_double(p->value, p->value_len, &v)) {
        fail_param(r, "invalid_parameter", name, "%s must be a decimal number", name);
        return false;
    }
    if (!(v >= min && v <= max)) {
        fail_param(r, "out_of_range", name, "%s must be between %g and %g", name, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool params_uint(struct api_req *r, const char *name, uint64_t min, uint64_t max, uint64_t dflt,
                 bool required, uint64_t *out)
{
    const struct query_param *p = query_get(&r->q, name);
    if (!p) {
        if (required) {
            fail_param(r, "missing_parameter", name, "%s is required", name);
            return false;
        }
        *out = dflt;
        return true;
    }
    uint64_t v;
    enum geod_err rc = query_uint(p->value, p->value_len, UINT64_MAX, &v);
    if (rc == GEOD_EINVAL) {
        fail_param(r, "invalid_parameter", name, "%s must be a whole number", name);
        return false;
    }
    if (rc || v < min || v > max) {
        fail_param(r, "out_of_range", name, "%s must be between %llu and %llu", name,
                   (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    *out = v;
    return true;
}

static bool crs_param(struct api_req *r, const char *name, enum crs_id dflt, enum crs_id *out)
{
    const struct query_param *p = query_get(&r->q, name);
    if (!p) {
        *out = dflt;
        return true;
    }
    if (crs_parse(p->value, p->value_len, out)) {
        fail_param(r, "unknown_crs", name, "%s must be wgs84, gcj02, bd09 or cgcs2000", name);
        return false;
    }
    return true;
}

bool params_position(struct api_req *r, struct api_pos *p)
{
    double lon, lat;
    if (!params_double(r, "lon", -180, 180, true, &lon, NULL) ||
        !params_double(r, "lat", -90, 90, true, &lat, NULL) ||
        !crs_param(r, "crs", CRS_WGS84, &p->crs) || !crs_param(r, "out_crs", p->crs, &p->out_crs))
        return false;
    if (crs_convert(p->crs, CRS_WGS84, lon, lat, &p->lon, &p->lat)) {
        fail_param(r, "out_of_range", "lon", "the position is outside the range of %s",
                   crs_name(p->crs));
        return false;
    }
    return true;
}

bool params_out_crs(struct api_req *r, enum crs_id *out)
{
    enum crs_id c;
    return crs_param(r, "crs", CRS_WGS84, &c) && crs_param(r, "out_crs", c, out);
}

bool params_systems(struct api_req *r, enum crs_id *crs, enum crs_id *out)
{
    return crs_param(r, "crs", CRS_WGS84, crs) && crs_param(r, "out_crs", *crs, out);
}

bool params_categories(struct api_req *r, uint64_t *mask)
{
    const struct query_param *p = query_get(&r->q, "category");
    if (!p) {
        *mask = ~0ull;
        return true;
    }
    *mask = 0;
    const char *cur = p->value, *end = p->value + p->value_len, *item;
    size_t len;
    int items = 0;
    while (query_next_item(&cur, end, &item, &len)) {
        items++;
        int c = snapshot_category(r->snap, item, len);
        if (c < 0) {
            fail_param(r, "unknown_category", "category",
                       "unknown category %.*s (GET /v1/categories lists them)",
                       (int)(len < 64 ? len : 64), item);
            return false;
        }
        *mask |= 1ull << c;
    }
    if (!items) {
        fail_param(r, "invalid_parameter", "category", "category must name at least one");
        return false;
    }
    return true;
}

bool params_flag(struct api_req *r, const char *name, bool *out)
{
    const struct query_param *p = query_get(&r->q, name);
    *out = false;
    if (!p)
        return true;
    if (h2o_memis(p->value, p->value_len, H2O_STRLIT("1")) ||
        h2o_memis(p->value, p->value_len, H2O_STRLIT("true")))
        *out = true;
    else if (!h2o_memis(p->value, p->value_len, H2O_STRLIT("0")) &&
             !h2o_memis(p->value, p->value_len, H2O_STRLIT("false"))) {
        fail_param(r, "invalid_parameter", name, "%s must be 1, 0, true or false", name);
        return false;
    }
    return true;
}

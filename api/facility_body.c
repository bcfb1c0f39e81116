/* facility_body.c - the facility write body parser (see facility_body.h). The whole body must be
 * UTF-8 before jansson sees it (so the answer can say invalid_utf8 rather than invalid_json);
 * JSON_ALLOW_NUL lets a \u0000 through to be refused as nul_byte naming its field. */
#include "api/facility_body.h"
#include "index/hours.h"
#include "index/utf8.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static enum geod_err refuse(struct auth_body_fail *f, const char *code, const char *message,
                            const char *param)
{
    f->code = code;
    f->message = message;
    size_t n = param ? strlen(param) : 0;
    if (n > sizeof f->param - 1)
        n = sizeof f->param - 1;
    memcpy(f->param, param ? param : "", n);
    /* echoed back: printable characters and whole UTF-8 sequences only */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)f->param[i] < 0x20 || f->param[i] == 0x7f)
            f->param[i] = '?';
    while (n > 0 && !utf8_valid(f->param, n))
        n--;
    f->param[n] = '\0';
    return GEOD_EINVAL;
}

/* A text field: a string without NUL or control characters, max bytes, copied into buf. */
static enum geod_err text(json_t *v, const char *key, size_t max, bool allow_empty, char *buf,
                          struct auth_body_fail *f)
{
    if (!json_is_string(v))
        return refuse(f, "invalid_field", "the value must be a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (memchr(s, '\0', n))
        return refuse(f, "nul_byte", "the value contains a NUL character", key);
    if (n > max)
        return refuse(f, "field_too_long", "the value is too long", key);
    bool blank = true;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (!k)
            return refuse(f, "invalid_utf8", "the value is not valid UTF-8", key);
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
            return refuse(f, "invalid_field", "the value contains a control character", key);
        if (cp != ' ' && cp != 0x3000)
            blank = false;
        i += k;
    }
    if (blank && !allow_empty)
        return refuse(f, "invalid_field", "the value must not be empty", key);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return GEOD_OK;
}

static enum geod_err number(json_t *v, const char *key, double lo, double hi, double *out,
                            struct auth_body_fail *f)
{
    if (!json_is_number(v))
        return refuse(f, "invalid_field", "the value must be a number", key);
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi)
        return refuse(f, "out_of_range", lo < -100 ? "lon must be within [-180, 180]"
                                                   : "lat must be within [-90, 90]",
                      key);
    *out = d;
    return GEOD_OK;
}

static bool phone_ok(const char *s)
{
    for (; *s; s++)
        if (!strchr("0123456789 +-(),;#ext", *s))
            return false;
    return true;
}

/* An optional text: null clears it. */
static enum geod_err optional(json_t *v, const char *key, size_t max, char *buf, const char **out,
                              struct auth_body_fail *f)
{
    if (json_is_null(v)) {
        *out = NULL;
        return GEOD_OK;
    }
    enum geod_err rc = text(v, key, max, true, buf, f);
    *out = rc || !buf[0] ? NULL : buf; /* "" means unknown too */
    return rc;
}

static enum geod_err field(json_t *v, const char *key, enum fac_body_kind kind,
                           struct fac_body *out, unsigned *pos, struct auth_body_fail *f)
{
    enum geod_err rc;
    if (kind == FAC_BODY_REVERT) {
        if (strcmp(key, "version"))
            return refuse(f, "unknown_field", "a revert takes version only", key);
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return refuse(f, "invalid_field", "version must be a positive integer", key);
        out->version = (int64_t)json_integer_value(v);
        return GEOD_OK;
    }
    if (!strcmp(key, "category")) {
        if ((rc = text(v, key, FAC_CATEGORY_MAX, false, out->category, f)))
            return rc;
        out->have |= FAC_F_CATEGORY;
    } else if (!strcmp(key, "name")) {
        if ((rc = text(v, key, FAC_NAME_MAX, false, out->name, f)))
            return rc;
        out->have |= FAC_F_NAME;
    } else if (!strcmp(key, "lon")) {
        if ((rc = number(v, key, -180, 180, &out->lon, f)))
            return rc;
        *pos |= 1;
    } else if (!strcmp(key, "lat")) {
        if ((rc = number(v, key, -90, 90, &out->lat, f)))
            return rc;
        *pos |= 2;
    } else if (!strcmp(key, "crs")) {
        if (!json_is_string(v))
            return refuse(f, "invalid_field", "the value must be a string", key);
        if (crs_parse(json_string_value(v), json_string_length(v), &out->crs))
            return refuse(f, "unknown_crs", "crs must be wgs84, gcj02, bd09 or cgcs2000", key);
        *pos |= 4;
    } else if (!strcmp(key, "address")) {
        if ((rc = optional(v, key, FAC_ADDRESS_MAX, out->address_buf, &out->address, f)))
            return rc;
        out->have |= FAC_F_ADDRESS;
    } else if (!strcmp(key, "phone")) {
        if ((rc = optional(v, key, FAC_PHONE_MAX, out->phone_buf, &out->phone, f)))
            return rc;
        if (out->phone && !phone_ok(out->phone))
            return refuse(f, "invalid_field",
                          "phone takes digits, spaces and + - ( ) , ; # ext only", key);
        out->have |= FAC_F_PHONE;
    } else if (!strcmp(key, "hours")) {
        if ((rc = optional(v, key, FAC_HOURS_MAX, out->hours_buf, &out->hours, f)))
            return rc;
        if (out->hours && !hours_valid(out->hours))
            return refuse(f, "invalid_field",
                          "hours must read like \"Mo-Fr 08:30-17:30; Sa 09:00-12:00\"", key);
        out->have |= FAC_F_HOURS;
    } else if (!strcmp(key, "confirm_duplicate") && kind == FAC_BODY_CREATE) {
        if (!json_is_boolean(v))
            return refuse(f, "invalid_field", "confirm_duplicate must be true or false", key);
        out->confirm_duplicate = json_is_true(v);
    } else {
        return refuse(f, "unknown_field",
                      kind == FAC_BODY_CREATE
                          ? "a facility takes category, name, lon, lat, crs, address, phone, "
                            "hours and confirm_duplicate"
                          : "a change takes category, name, lon, lat, crs, address, phone and "
                            "hours",
                      key);
    }
    return GEOD_OK;
}

static enum geod_err check_whole(enum fac_body_kind kind, struct fac_body *out, unsigned pos,
                                 struct auth_body_fail *f)
{
    if (kind == FAC_BODY_REVERT)
        return out->version ? GEOD_OK
                            : refuse(f, "missing_field", "version is required", "version");
    if (pos && pos != 7) {
        const char *miss = !(pos & 1) ? "lon" : !(pos & 2) ? "lat" : "crs";
        if (kind == FAC_BODY_CREATE && !(out->have & FAC_F_CATEGORY))
            return refuse(f, "missing_field", "category is required", "category");
        return refuse(f, "missing_field",
                      !(pos & 4) ? "a position needs its crs: wgs84, gcj02, bd09 or cgcs2000"
                                 : "a position needs both lon and lat",
                      miss);
    }
    if (pos == 7)
        out->have |= FAC_F_POSITION;
    if (kind == FAC_BODY_CREATE) {
        if (!(out->have & FAC_F_CATEGORY))
            return refuse(f, "missing_field", "category is required", "category");
        if (!(out->have & FAC_F_NAME))
            return refuse(f, "missing_field", "name is required", "name");
        if (!(out->have & FAC_F_POSITION))
            return refuse(f, "missing_field", "lon is required", "lon");
    } else if (!out->have) {
        return refuse(f, "invalid_body", "the body changes nothing", NULL);
    }
    return GEOD_OK;
}

enum geod_err fac_body_parse(const char *body, size_t len, enum fac_body_kind kind,
                             struct fac_body *out, struct auth_body_fail *fail)
{
    memset(out, 0, sizeof *out);
    fail->code = NULL;
    fail->message = NULL;
    fail->param[0] = '\0';
    if (!body || len == 0)
        return refuse(fail, "invalid_body", "the body is empty", NULL);
    if (len > FAC_BODY_MAX)
        return refuse(fail, "body_too_long", "the body is longer than 16384 bytes", NULL);
    if (!utf8_valid(body, len))
        return refuse(fail, "invalid_utf8", "the body is not valid UTF-8", NULL);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root)
        return refuse(fail, "invalid_json", "the body is not well-formed JSON (or repeats a key)",
                      NULL);
    enum geod_err rc = GEOD_OK;
    unsigned pos = 0;
    if (!json_is_object(root)) {
        rc = refuse(fail, "invalid_body", "the body must be a JSON object", NULL);
    } else {
        const char *key;
        json_t *v;
        json_object_foreach(root, key, v) {
            if ((rc = field(v, key, kind, out, &pos, fail)))
                break;
        }
    }
    if (!rc)
        rc = check_whole(kind, out, pos, fail);
    json_decref(root);
    return rc;
}

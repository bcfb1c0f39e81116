/* facility_body.h - the JSON body of a facility write, from outside bytes: POST /v1/facilities
 * (a new record), PATCH /v1/facilities/{id} (the fields to change) and POST
 * /v1/facilities/{id}/revert ({"version": n}). Fields:
 *   category   string, 1..64 bytes: a category id or its Chinese name (the caller resolves it)
 *   name       string, 1..256 bytes, not only spaces, no control characters
 *   lon, lat   numbers, finite, within [-180, 180] and [-90, 90], in the system `crs`
 *   crs        "wgs84", "gcj02", "bd09" or "cgcs2000": required whenever lon/lat are given
 *   address    string of at most 512 bytes, or null
 *   phone      string of at most 64 bytes of digits, spaces and + - ( ) , ; # ext, or null
 *   hours      opening hours as index/hours.h reads them (at most 256 bytes), or null
 *   confirm_duplicate   true or false (POST only): create even next to a similar facility
 * A POST needs category, name, lon, lat and crs; a PATCH at least one field, lon and lat
 * together. Unknown and repeated keys, wrong types, bad UTF-8 and NUL characters are refused,
 * each refusal naming its field. No I/O, no HTTP; fuzzed by tests/fuzz/fuzz_facility_body.c. */
#ifndef GEOD_FACILITY_BODY_H
#define GEOD_FACILITY_BODY_H

#include "api/auth_body.h"
#include "index/crs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAC_BODY_MAX (16 * 1024) /* bytes of a body (413 beyond) */
#define FAC_CATEGORY_MAX 64
#define FAC_NAME_MAX 256
#define FAC_ADDRESS_MAX 512
#define FAC_PHONE_MAX 64
#define FAC_HOURS_MAX 256

enum fac_body_kind { FAC_BODY_CREATE, FAC_BODY_PATCH, FAC_BODY_REVERT };

/* Which fields a body carries. */
enum {
    FAC_F_CATEGORY = 1 << 0,
    FAC_F_NAME = 1 << 1,
    FAC_F_POSITION = 1 << 2, /* lon, lat and crs */
    FAC_F_ADDRESS = 1 << 3,
    FAC_F_PHONE = 1 << 4,
    FAC_F_HOURS = 1 << 5,
};

struct fac_body {
    unsigned have; /* FAC_F_* */
    char category[FAC_CATEGORY_MAX + 1];
    char name[FAC_NAME_MAX + 1];
    double lon, lat; /* in crs, checked finite and in range */
    enum crs_id crs;
    /* the optional texts: NULL when given as null (or, in a POST, absent) */
    const char *address, *phone, *hours; /* point into the buffers below */
    char address_buf[FAC_ADDRESS_MAX + 1];
    char phone_buf[FAC_PHONE_MAX + 1];
    char hours_buf[FAC_HOURS_MAX + 1];
    bool confirm_duplicate;
    int64_t version; /* FAC_BODY_REVERT: >= 1 */
};

/* Parses body[0..len) as `kind` into *out. GEOD_OK, or GEOD_EINVAL with *fail (codes
 * invalid_json, invalid_body, invalid_utf8, missing_field, invalid_field, unknown_field,
 * field_too_long, nul_byte, out_of_range, unknown_crs; param the field). */
enum geod_err fac_body_parse(const char *body, size_t len, enum fac_body_kind kind,
                             struct fac_body *out, struct auth_body_fail *fail);

#endif

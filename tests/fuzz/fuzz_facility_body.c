/* fuzz_facility_body.c - libFuzzer target for api/facility_body.c: any bytes as a facility write
 * body, read as a POST, a PATCH and a revert, must be accepted or refused without a sanitizer
 * report, and keep the promises of facility_body.h: an accepted POST has category, name and a
 * position with finite, in-range coordinates; every text is valid UTF-8 without NUL within its
 * limit; a refusal has a code, a message and a printable UTF-8 param. Broken: __builtin_trap(). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api/facility_body.h"
#include "index/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void text_ok(const char *s, size_t max)
{
    if (!s)
        return;
    size_t n = strlen(s);
    CHECK(n <= max && utf8_valid(s, n));
}

static void one(const char *s, size_t len, enum fac_body_kind kind)
{
    struct fac_body b;
    struct auth_body_fail f;
    enum geod_err rc = fac_body_parse(s, len, kind, &b, &f);
    if (rc == GEOD_OK) {
        if (kind == FAC_BODY_REVERT) {
            CHECK(b.version >= 1);
            return;
        }
        if (kind == FAC_BODY_CREATE)
            CHECK((b.have & (FAC_F_CATEGORY | FAC_F_NAME | FAC_F_POSITION)) ==
                  (FAC_F_CATEGORY | FAC_F_NAME | FAC_F_POSITION));
        else
            CHECK(b.have != 0);
        if (b.have & FAC_F_POSITION)
            CHECK(isfinite(b.lon) && isfinite(b.lat) && fabs(b.lon) <= 180 &&
                  fabs(b.lat) <= 90 && b.crs < CRS_COUNT);
        if (b.have & FAC_F_NAME)
            CHECK(b.name[0]);
        text_ok(b.category, FAC_CATEGORY_MAX);
        text_ok(b.name, FAC_NAME_MAX);
        text_ok(b.address, FAC_ADDRESS_MAX);
        text_ok(b.phone, FAC_PHONE_MAX);
        text_ok(b.hours, FAC_HOURS_MAX);
        return;
    }
    CHECK(rc == GEOD_EINVAL && f.code && f.message);
    size_t plen = strlen(f.param);
    CHECK(plen < sizeof f.param && utf8_valid(f.param, plen));
    for (size_t i = 0; i < plen; i++)
        CHECK((unsigned char)f.param[i] >= 0x20 && f.param[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one((const char *)data, size, FAC_BODY_CREATE);
    one((const char *)data, size, FAC_BODY_PATCH);
    one((const char *)data, size, FAC_BODY_REVERT);
    return 0;
}

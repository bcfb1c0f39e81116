/* fuzz_login_body.c - libFuzzer target for api/auth_body.c: any bytes as a login body, read as
 * JSON and as a form, must be accepted or refused without a sanitizer report, and keep the
 * promises of auth_body.h: an accepted body has a valid name and a password of 1..1024 bytes of
 * UTF-8 without NUL; a refusal has a code, a message and a param that is valid UTF-8 without
 * control characters. A broken promise is __builtin_trap(). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api/auth_body.h"
#include "index/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void one(const char *s, size_t len, bool form)
{
    struct auth_login_body b;
    struct auth_body_fail f;
    enum geod_err rc = auth_login_parse(s, len, form, &b, &f);
    if (rc == GEOD_OK) {
        CHECK(auth_name_valid(b.name, strlen(b.name)));
        CHECK(b.password_len >= 1 && b.password_len <= AUTH_PASSWORD_MAX);
        CHECK(b.password[b.password_len] == '\0' && !memchr(b.password, '\0', b.password_len));
        CHECK(utf8_valid(b.password, b.password_len));
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
    one((const char *)data, size, false);
    one((const char *)data, size, true);
    char field[64];
    auth_form_field((const char *)data, size, "csrf_token", field, sizeof field);
    return 0;
}

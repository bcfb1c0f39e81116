/* auth_body.h - the body of POST /v1/login, from outside bytes: JSON
 * {"name": "...", "password": "...", "bearer": false} ("username" is taken for "name") or the
 * same as application/x-www-form-urlencoded (name=...&password=...&bearer=1, as the web form
 * posts it, which may also carry csrf_token, ignored here). Every refusal names the field. No
 * I/O, no HTTP; fuzzed by tests/fuzz/fuzz_login_body.c. */
#ifndef GEOD_AUTH_BODY_H
#define GEOD_AUTH_BODY_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>

#define AUTH_NAME_MAX 64        /* bytes of a user name */
#define AUTH_PASSWORD_MAX 1024  /* bytes of a password */
#define AUTH_PASSWORD_MIN 8     /* bytes of a new password (geod user add) */
#define AUTH_FORM_MAX 4096      /* bytes of a form body (the query parser's limit) */

struct auth_login_body {
    char name[AUTH_NAME_MAX + 1];         /* auth_name_valid, NUL-terminated */
    char password[AUTH_PASSWORD_MAX + 1]; /* valid UTF-8 without NUL, 1..AUTH_PASSWORD_MAX bytes */
    size_t password_len;
    bool bearer; /* answer with a bearer token instead of a cookie */
};

/* Why a body was refused, for {"error":{code,message,param}}: all static strings except param,
 * which is the field's name cut to 63 bytes ("" when there is none, e.g. malformed JSON). */
struct auth_body_fail {
    const char *code;    /* invalid_json, invalid_body, missing_field, invalid_field,
                            unknown_field, duplicate_field, field_too_long, invalid_utf8,
                            nul_byte, ... */
    const char *message;
    char param[64];
};

/* Parses body[0..len) (form: x-www-form-urlencoded, else JSON) into *out. GEOD_OK, or
 * GEOD_EINVAL with *fail. The caller wipes out->password after use. */
enum geod_err auth_login_parse(const char *body, size_t len, bool form,
                               struct auth_login_body *out, struct auth_body_fail *fail);

/* A user name: valid UTF-8 of 1..AUTH_NAME_MAX bytes without control characters, spaces or
 * U+FFFD-like garbage (the bytes must decode). */
bool auth_name_valid(const char *s, size_t len);

/* The value of field `name` of a form body into out (NUL-terminated, at most cap - 1 bytes);
 * false when the body is not a well-formed form, lacks the field, or the value does not fit. */
bool auth_form_field(const char *body, size_t len, const char *name, char *out, size_t cap);

#endif

/* auth_body.c - the login body parser (see auth_body.h). JSON goes through jansson with
 * duplicate keys refused; a form through api/query.c, which decodes, checks UTF-8 and NUL and
 * refuses repeated names. Both end in the same field checks. */
#include "api/auth_body.h"
#include "api/query.h"
#include "index/utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static enum geod_err refuse(struct auth_body_fail *f, const char *code, const char *message,
                            const char *param, size_t plen)
{
    f->code = code;
    f->message = message;
    size_t n = 0;
    if (param) {
        n = plen < sizeof f->param - 1 ? plen : sizeof f->param - 1;
        memcpy(f->param, param, n);
        /* echoed back: keep printable ASCII and whole UTF-8 characters only */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)f->param[i] < 0x20 || f->param[i] == 0x7f)
                f->param[i] = '?';
        while (n > 0 && !utf8_valid(f->param, n))
            n--;
    }
    f->param[n] = '\0';
    return GEOD_EINVAL;
}

bool auth_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > AUTH_NAME_MAX || !utf8_valid(s, len))
        return false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (!k || cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0x3000 || cp == 0xfeff ||
            (cp >= 0x2000 && cp <= 0x200f) || cp == 0x2028 || cp == 0x2029)
            return false;
        i += k;
    }
    return true;
}

/* The shared checks of one field's text value. */
static enum geod_err set_text(struct auth_login_body *out, const char *field, const char *v,
                              size_t len, struct auth_body_fail *f)
{
    size_t flen = strlen(field);
    if (memchr(v, '\0', len))
        return refuse(f, "nul_byte", "the value contains a NUL character", field, flen);
    if (!utf8_valid(v, len))
        return refuse(f, "invalid_utf8", "the value is not valid UTF-8", field, flen);
    if (strcmp(field, "password") == 0) {
        if (len == 0)
            return refuse(f, "invalid_field", "password must not be empty", field, flen);
        if (len > AUTH_PASSWORD_MAX)
            return refuse(f, "field_too_long", "password is longer than 1024 bytes", field, flen);
        memcpy(out->password, v, len);
        out->password[len] = '\0';
        out->password_len = len;
        return GEOD_OK;
    }
    if (len > AUTH_NAME_MAX)
        return refuse(f, "field_too_long", "name is longer than 64 bytes", field, flen);
    if (!auth_name_valid(v, len))
        return refuse(f, "invalid_field",
                      "name must be 1 to 64 bytes without spaces or control characters", field,
                      flen);
    memcpy(out->name, v, len);
    out->name[len] = '\0';
    return GEOD_OK;
}

static enum geod_err finish(struct auth_login_body *out, bool have_name, bool have_pw,
                            struct auth_body_fail *f)
{
    if (!have_name)
        return refuse(f, "missing_field", "name is required", "name", 4);
    if (!have_pw)
        return refuse(f, "missing_field", "password is required", "password", 8);
    (void)out;
    return GEOD_OK;
}

static enum geod_err parse_json(const char *body, size_t len, struct auth_login_body *out,
                                struct auth_body_fail *f)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return refuse(f, "invalid_json", "the body is not well-formed JSON (or repeats a key)",
                      NULL, 0);
    enum geod_err rc = GEOD_OK;
    bool have_name = false, have_pw = false;
    if (!json_is_object(root)) {
        rc = refuse(f, "invalid_body", "the body must be a JSON object", NULL, 0);
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t klen = strlen(key); /* jansson refuses keys with NUL without JSON_ALLOW_NUL */
        bool is_name = strcmp(key, "name") == 0 || strcmp(key, "username") == 0;
        if (is_name || strcmp(key, "password") == 0) {
            if (!json_is_string(v)) {
                rc = refuse(f, "invalid_field", "the value must be a string", key, klen);
                goto done;
            }
            if (is_name && have_name) {
                rc = refuse(f, "duplicate_field", "give name or username, not both", key, klen);
                goto done;
            }
            if ((rc = set_text(out, is_name ? "name" : "password", json_string_value(v),
                               json_string_length(v), f))) {
                if (is_name)
                    refuse(f, f->code, f->message, key, klen); /* name the key as sent */
                goto done;
            }
            have_name |= is_name;
            have_pw |= !is_name;
        } else if (strcmp(key, "bearer") == 0) {
            if (!json_is_boolean(v)) {
                rc = refuse(f, "invalid_field", "bearer must be true or false", key, klen);
                goto done;
            }
            out->bearer = json_is_true(v);
        } else {
            rc = refuse(f, "unknown_field", "login takes name, password and bearer only", key,
                        klen);
            goto done;
        }
    }
    rc = finish(out, have_name, have_pw, f);
done:
    json_decref(root);
    return rc;
}

static enum geod_err parse_form(const char *body, size_t len, struct auth_login_body *out,
                                struct auth_body_fail *f)
{
    if (len > AUTH_FORM_MAX)
        return refuse(f, "body_too_long", "the form is longer than 4096 bytes", NULL, 0);
    char buf[AUTH_FORM_MAX + 1];
    struct query q;
    struct query_fail qf;
    if (query_parse(body, len, buf, sizeof buf, &q, &qf))
        return refuse(f, qf.code, qf.message, qf.param, strlen(qf.param));
    bool have_name = false, have_pw = false;
    enum geod_err rc = GEOD_OK;
    for (size_t i = 0; i < q.n && !rc; i++) {
        const struct query_param *p = &q.p[i];
        bool is_name = strcmp(p->name, "name") == 0 || strcmp(p->name, "username") == 0;
        if (is_name || strcmp(p->name, "password") == 0) {
            if (is_name && have_name) {
                rc = refuse(f, "duplicate_field", "give name or username, not both", p->name,
                            p->name_len);
                break;
            }
            rc = set_text(out, is_name ? "name" : "password", p->value, p->value_len, f);
            if (rc && is_name)
                refuse(f, f->code, f->message, p->name, p->name_len);
            have_name |= is_name;
            have_pw |= !is_name;
        } else if (strcmp(p->name, "bearer") == 0) {
            if (!strcmp(p->value, "1") || !strcmp(p->value, "true"))
                out->bearer = true;
            else if (!strcmp(p->value, "0") || !strcmp(p->value, "false"))
                out->bearer = false;
            else
                rc = refuse(f, "invalid_field", "bearer must be 1, 0, true or false", "bearer", 6);
        } else if (strcmp(p->name, "csrf_token") != 0) {
            rc = refuse(f, "unknown_field", "login takes name, password and bearer only",
                        p->name, p->name_len);
        }
    }
    /* the decoded copy held the password */
    memset(buf, 0, sizeof buf);
    __asm__ __volatile__("" : : "r"(buf) : "memory");
    return rc ? rc : finish(out, have_name, have_pw, f);
}

enum geod_err auth_login_parse(const char *body, size_t len, bool form,
                               struct auth_login_body *out, struct auth_body_fail *fail)
{
    memset(out, 0, sizeof *out);
    fail->code = NULL;
    fail->message = NULL;
    fail->param[0] = '\0';
    if (len == 0 || !body)
        return refuse(fail, "invalid_body", "the body is empty", NULL, 0);
    return form ? parse_form(body, len, out, fail) : parse_json(body, len, out, fail);
}

bool auth_form_field(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    if (!body || len > AUTH_FORM_MAX || cap == 0)
        return false;
    char buf[AUTH_FORM_MAX + 1];
    struct query q;
    struct query_fail qf;
    if (query_parse(body, len, buf, sizeof buf, &q, &qf))
        return false;
    const struct query_param *p = query_get(&q, name);
    bool ok = p && p->value_len < cap;
    if (ok)
        memcpy(out, p->value, p->value_len + 1);
    memset(buf, 0, sizeof buf);
    __asm__ __volatile__("" : : "r"(buf) : "memory");
    return ok;
}

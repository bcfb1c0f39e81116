/* accounts.c - see accounts.h. */
#include "tests/lib/accounts.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define CLI_MS 60000

bool accounts_add(const char *db, const char *name, const char *role, const char *district,
                  char *why, size_t whylen)
{
    setenv("GEOD_KDF_COST", "min", 1);
    const char *args[12] = {"user", "add", name, "--role", role, "--db", db};
    if (district) {
        args[7] = "--district";
        args[8] = district;
    }
    char pw[96];
    snprintf(pw, sizeof pw, "pw-of-%s-123\n", name);
    int st;
    bool ran = geodproc_run_input(args, pw, CLI_MS, &st, NULL, NULL, NULL);
    if (ran && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return true;
    snprintf(why, whylen, "geod user add %s: %s", name, ran ? "failed" : "did not run");
    return false;
}

bool accounts_login(uint16_t port, const char *name, bool bearer, char tok[ACCOUNTS_TOKEN],
                    char csrf[ACCOUNTS_TOKEN], char *why, size_t whylen)
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"pw-of-%s-123\"%s}", name, name,
             bearer ? ",\"bearer\":true" : "");
    struct http_client *c = http_client_new(port, false, 20000);
    struct http_resp r = {0};
    enum http_err e = c ? http_request(c, "POST", "/v1/login",
                                       "Content-Type: application/json\r\n", body, strlen(body),
                                       &r)
                        : HTTP_ECONNECT;
    tok[0] = '\0';
    json_t *js = !e && r.status == 200 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
    const char *v;
    if (bearer && (v = json_string_value(json_object_get(js, "token"))))
        snprintf(tok, ACCOUNTS_TOKEN, "%s", v);
    if (!bearer && js) {
        const char *ck = http_header(&r, "Set-Cookie");
        ck = ck ? strstr(ck, "geod_session=") : NULL;
        if (ck)
            snprintf(tok, ACCOUNTS_TOKEN, "%.*s", (int)strcspn(ck + 13, ";"), ck + 13);
        if (csrf && (v = json_string_value(json_object_get(js, "csrf"))))
            snprintf(csrf, ACCOUNTS_TOKEN, "%s", v);
    }
    if (!tok[0])
        snprintf(why, whylen, "login %s: %d %.200s", name, e ? -1 : r.status,
                 e ? http_strerror(e) : r.body);
    json_decref(js);
    http_resp_free(&r);
    http_client_free(c);
    return tok[0] != '\0';
}

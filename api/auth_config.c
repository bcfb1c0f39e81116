/* auth_config.c - the table behind struct auth_config: one row per tunable. */
#include "api/auth_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row {
    const char *name;
    size_t offset;
    int64_t dflt, min, max;
    const char *what;
};

#define F(field) offsetof(struct auth_config, field)
static const struct row rows[] = {
    {"session_idle", F(session_idle), 8 * 3600, 1, 366 * 86400, "seconds a session may go unused"},
    {"session_max", F(session_max), 7 * 86400, 1, 366 * 86400, "seconds a session lasts at most"},
    {"session_touch", F(session_touch), 60, 0, 3600, "seconds between writes of last_seen"},
    {"login_window", F(login_window), 15 * 60, 1, 86400, "seconds failed logins are counted"},
    {"account_slow_after", F(account_slow_after), 3, 1, 1000,
     "failures for a name after which its attempts are spaced"},
    {"address_slow_after", F(address_slow_after), 10, 1, 100000,
     "failures from an address after which its attempts are spaced"},
    {"login_slow_max", F(login_slow_max), 60, 1, 3600, "the longest spacing, seconds"},
    {"account_lock_after", F(account_lock_after), 10, 1, 1000, "failures that lock a name"},
    {"address_lock_after", F(address_lock_after), 30, 1, 100000,
     "failures that lock an address"},
    {"login_lockout", F(login_lockout), 15 * 60, 1, 86400, "seconds a lock lasts"},
    {"body_max", F(body_max), 4096, 256, 4096, "bytes of a login body"},
};
#undef F
#define NROWS (sizeof rows / sizeof rows[0])

static int64_t *field(struct auth_config *c, const struct row *r)
{
    return (int64_t *)((char *)c + r->offset);
}

void auth_config_default(struct auth_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NROWS; i++)
        *field(c, &rows[i]) = rows[i].dflt;
}

enum geod_err auth_config_set(struct auth_config *c, const char *assignment, char *err,
                              size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    size_t nlen = eq ? (size_t)(eq - assignment) : strlen(assignment);
    for (size_t i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        if (strlen(r->name) != nlen || memcmp(r->name, assignment, nlen) != 0)
            continue;
        char *end;
        errno = 0;
        long long v = eq ? strtoll(eq + 1, &end, 10) : 0;
        if (!eq || errno || end == eq + 1 || *end || v < r->min || v > r->max) {
            snprintf(err, errlen, "%s wants a whole number from %lld to %lld", r->name,
                     (long long)r->min, (long long)r->max);
            return GEOD_EINVAL;
        }
        *field(c, r) = v;
        return GEOD_OK;
    }
    size_t n = (size_t)snprintf(err, errlen, "unknown setting %.*s; known:", (int)(nlen > 64 ? 64 : nlen),
                                assignment);
    for (size_t i = 0; i < NROWS && n < errlen; i++)
        n += (size_t)snprintf(err + n, errlen - n, " %s", rows[i].name);
    return GEOD_EINVAL;
}

size_t auth_config_rows(void)
{
    return NROWS;
}

const char *auth_config_row_help(size_t i, char *buf, size_t len)
{
    if (i >= NROWS)
        return NULL;
    const struct row *r = &rows[i];
    snprintf(buf, len, "%s (default %lld, %lld..%lld): %s", r->name, (long long)r->dflt,
             (long long)r->min, (long long)r->max, r->what);
    return buf;
}

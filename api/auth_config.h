/* auth_config.h - every tunable of accounts, sessions and login throttling, in one place: the
 * struct, its defaults, and a table of rows (name, bounds, default) that `geod serve --auth
 * NAME=VALUE` sets from. Times are seconds. */
#ifndef GEOD_AUTH_CONFIG_H
#define GEOD_AUTH_CONFIG_H

#include "index/err.h"

#include <stddef.h>
#include <stdint.h>

struct auth_config {
    int64_t session_idle;      /* a session unused this long ends (8 h) */
    int64_t session_max;       /* a session ends this long after login, used or not (7 days) */
    int64_t session_touch;     /* last_seen is written at most this often per session (60) */
    int64_t login_window;      /* failures older than this (from the first) are forgotten (15 min) */
    int64_t account_slow_after; /* after this many failures for one name in the window, each
                                   next attempt must wait 2^(failures - slow_after + 1) s after the
                                   last one, up to login_slow_max (3) */
    int64_t address_slow_after; /* the same for one address (10) */
    int64_t login_slow_max;    /* the longest such wait (60) */
    int64_t account_lock_after; /* this many failures for one name lock it for login_lockout (10) */
    int64_t address_lock_after; /* this many from one address lock the address (30) */
    int64_t login_lockout;     /* how long a lock lasts (15 min) */
    int64_t body_max;          /* bytes of a login body (4096) */
};

/* The defaults above. */
void auth_config_default(struct auth_config *c);

/* Sets one field from "name=value" (a decimal in the row's bounds). GEOD_EINVAL with a one-line
 * reason in err (listing the names when the name is unknown). */
enum geod_err auth_config_set(struct auth_config *c, const char *assignment, char *err,
                              size_t errlen);

/* The rows, for --help: "name (default, min..max): what". */
size_t auth_config_rows(void);
const char *auth_config_row_help(size_t i, char *buf, size_t len);

#endif

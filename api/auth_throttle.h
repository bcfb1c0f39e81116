/* auth_throttle.h - the policy of failed logins, as arithmetic on a failure record (no I/O):
 * within login_window seconds of the first failure, failures count; once there are slow_after of them each
 * next attempt must come at least 2^(failures - slow_after + 1) s (at most login_slow_max) after
 * the last; lock_after of them lock the key for login_lockout seconds, after which counting starts
 * afresh. A refused attempt is not a failure. Applied to each address and each account name. */
#ifndef GEOD_AUTH_THROTTLE_H
#define GEOD_AUTH_THROTTLE_H

#include "api/auth_config.h"
#include "data/store_auth.h"

#include <stdint.h>

struct auth_throttle_limits {
    int64_t slow_after, lock_after;
};

/* The limits of a scope under c. */
struct auth_throttle_limits auth_throttle_limits(const struct auth_config *c,
                                                 enum store_login_scope scope);

/* Seconds until an attempt is allowed (0: now). */
int64_t auth_throttle_wait(const struct auth_config *c, struct auth_throttle_limits lim,
                           const struct store_login_failure *f, int64_t now);

/* *f after one more failure at now. */
void auth_throttle_fail(const struct auth_config *c, struct auth_throttle_limits lim,
                        struct store_login_failure *f, int64_t now);

#endif

/* auth_throttle.c - see auth_throttle.h. */
#include "api/auth_throttle.h"

struct auth_throttle_limits auth_throttle_limits(const struct auth_config *c,
                                                 enum store_login_scope scope)
{
    if (scope == STORE_LOGIN_ADDRESS)
        return (struct auth_throttle_limits){c->address_slow_after, c->address_lock_after};
    return (struct auth_throttle_limits){c->account_slow_after, c->account_lock_after};
}

/* The spacing after `failures` failures, or 0. */
static int64_t spacing(const struct auth_config *c, struct auth_throttle_limits lim,
                       int64_t failures)
{
    if (failures < lim.slow_after)
        return 0;
    int64_t k = failures - lim.slow_after + 1; /* 2 s at the first: never "within a second" */
    return k >= 62 || ((int64_t)1 << k) > c->login_slow_max ? c->login_slow_max : (int64_t)1 << k;
}

static bool forgotten(const struct auth_config *c, const struct store_login_failure *f, int64_t now)
{
    return f->failures <= 0 || now - f->first_at >= c->login_window || now < f->first_at;
}

int64_t auth_throttle_wait(const struct auth_config *c, struct auth_throttle_limits lim,
                           const struct store_login_failure *f, int64_t now)
{
    if (f->locked_until > now)
        return f->locked_until - now;
    if (forgotten(c, f, now))
        return 0;
    int64_t next = f->last_at + spacing(c, lim, f->failures);
    return next > now ? next - now : 0;
}

void auth_throttle_fail(const struct auth_config *c, struct auth_throttle_limits lim,
                        struct store_login_failure *f, int64_t now)
{
    if (f->locked_until <= now && forgotten(c, f, now)) {
        f->failures = 0;
        f->first_at = now;
        f->locked_until = 0;
    }
    f->failures++;
    f->last_at = now;
    if (f->failures >= lim.lock_after) {
        f->locked_until = now + c->login_lockout;
        f->failures = 0; /* counting starts afresh once the lock ends */
        f->first_at = now;
    }
}

/* browser.h - what the browser tests (tests/test_browser_NAME.c) share: whether headless chromium
 * and playwright-core are installed (`make test` installs both: browser-deps), and running one
 * node script (tests/browser/NAME.mjs) with a time limit, its output shown indented so that its own
 * summary line is not the test binary's. Nothing here uses tests/t.h: a failure comes back as
 * false with why. */
#ifndef GEOD_TEST_BROWSER_H
#define GEOD_TEST_BROWSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BROWSER_ARTIFACTS "build/artifacts" /* screenshots, kept after the run */

/* Are Debian's chromium and tests/browser's playwright-core there? */
bool browser_ready(char *why, size_t whylen);

/* Runs `node script args...` (args NULL-terminated, at most 8) for at most timeout_s seconds
 * (then SIGKILL), with BROWSER_ARTIFACTS made first; prints its output indented. True when it
 * exited 0; otherwise why says how it ended. */
bool browser_run(const char *script, const char *const *args, int timeout_s, char *why,
                 size_t whylen);

/* A loopback port nobody listens on now (the kernel's pick, released for a script's own
 * server), or 0. */
uint16_t browser_free_port(void);

/* A store for the tagging tests: mkdtemp DIR (dirlen bytes, from the template "/tmp/geod-NAME-
 * XXXXXX" given in dir) with DIR/seed.sqlite (seedlen bytes into seed) holding a worker of
 * district made with `geod user add` (GEOD_KDF_COST=min). False with why. */
bool browser_worker_store(char *dir, char *seed, size_t seedlen, const char *user,
                          const char *password, const char *district, char *why, size_t whylen);

/* Does the screenshot BROWSER_ARTIFACTS/name exist with more than 10 kB? */
bool browser_screenshot(const char *name);

#endif

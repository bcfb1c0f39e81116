/* accounts.h - test accounts for the write tests: `geod user add` through the real binary
 * (password on stdin, GEOD_KDF_COST=min so that hashing is quick) and POST /v1/login. Nothing
 * here uses tests/t.h (its counters are per file): a failure comes back as false with why. */
#ifndef GEOD_TEST_ACCOUNTS_H
#define GEOD_TEST_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACCOUNTS_TOKEN 128 /* room for a token or a CSRF token */

/* Adds NAME (role "admin" or "worker", district NULL or 6 digits) to the store at db with the
 * password "pw-of-NAME-123". */
bool accounts_add(const char *db, const char *name, const char *role, const char *district,
                  char *why, size_t whylen);

/* Logs NAME in on geod at port: a bearer token into tok, or (bearer false) the session cookie's
 * value into tok and its CSRF token into csrf. */
bool accounts_login(uint16_t port, const char *name, bool bearer, char tok[ACCOUNTS_TOKEN],
                    char csrf[ACCOUNTS_TOKEN], char *why, size_t whylen);

#endif

/* store_auth.h - accounts, sessions and failed-login counters in the store (tables app_user,
 * session, login_failure: migration 4 in data/schema.c). Plain rows in and out, each write one
 * durable statement or transaction; what the rows mean (expiry, throttling, who may log in) is
 * api/auth*.c's business. Secrets never reach this layer: only argon2id hashes and token hashes. */
#ifndef GEOD_STORE_AUTH_H
#define GEOD_STORE_AUTH_H

#include "data/store.h"

#include <stdbool.h>
#include <stdint.h>

#define STORE_USER_NAME_MAX 64   /* bytes */
#define STORE_PW_HASH_MAX 128    /* crypto_pwhash_STRBYTES, with its NUL */
#define STORE_TOKEN_HASH_LEN 32  /* BLAKE2b-256 */
#define STORE_CSRF_MAX 64        /* the CSRF token's text, with its NUL */

struct store_user {
    int64_t id;
    char name[STORE_USER_NAME_MAX + 1];
    char role[8];     /* "worker" or "admin" */
    char district[7]; /* 6 digits, or "" for none */
    char password_hash[STORE_PW_HASH_MAX];
    bool disabled;
    char created_at[32]; /* "2026-11-29T05:50:12.345Z" */
};

/* A new user (role "worker" or "admin", district 6 digits or NULL). GEOD_EINVAL when the name
 * is taken (or a field breaks a table constraint). */
enum geod_err store_user_add(struct store *s, const char *name, const char *role,
                             const char *district, const char *password_hash);

/* The user named name into *out; GEOD_ENOTFOUND. */
enum geod_err store_user_get(struct store *s, const char *name, struct store_user *out);

/* Every user, by name, to fn (which returns false to stop). */
enum geod_err store_user_list(struct store *s, bool (*fn)(const struct store_user *u, void *udata),
                              void *udata);

/* Disables (or enables) the user; disabling also deletes every session of the user, in the same
 * transaction. GEOD_ENOTFOUND. */
enum geod_err store_user_set_disabled(struct store *s, const char *name, bool disabled);

/* A session as stored, with the user it belongs to. */
struct store_session {
    uint8_t token_hash[STORE_TOKEN_HASH_LEN];
    bool bearer;                     /* kind 'bearer' (else 'cookie') */
    char csrf_token[STORE_CSRF_MAX]; /* "" for bearer sessions */
    int64_t created_at, last_seen, expires_at; /* Unix seconds */
    struct store_user user;          /* password_hash left empty */
};

/* Stores a new session for user_id (fields of s->user other than id are ignored). */
enum geod_err store_session_add(struct store *s, int64_t user_id, const struct store_session *ss);

/* The session with this token hash, joined with its user; GEOD_ENOTFOUND. */
enum geod_err store_session_get(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN],
                                struct store_session *out);

/* Sets last_seen. */
enum geod_err store_session_touch(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN],
                                  int64_t now);

/* Deletes the session (no error when there is none). */
enum geod_err store_session_delete(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN]);

/* Deletes sessions past expires_at or idle since before idle_before. */
enum geod_err store_session_prune(struct store *s, int64_t now, int64_t idle_before);

/* Failed logins of one address or one account name. */
enum store_login_scope { STORE_LOGIN_ADDRESS, STORE_LOGIN_ACCOUNT };
struct store_login_failure {
    int64_t failures;     /* within the window that started at first_at */
    int64_t first_at;     /* Unix seconds */
    int64_t last_at;
    int64_t locked_until; /* 0: not locked */
};

/* The row of (scope, key) into *out, zeros when there is none. */
enum geod_err store_login_get(struct store *s, enum store_login_scope scope, const char *key,
                              struct store_login_failure *out);

/* Writes the row of (scope, key) (replacing it). */
enum geod_err store_login_put(struct store *s, enum store_login_scope scope, const char *key,
                              const struct store_login_failure *f);

/* Deletes the row of (scope, key). */
enum geod_err store_login_clear(struct store *s, enum store_login_scope scope, const char *key);

/* Deletes rows whose last failure is before `before` and whose lock has ended by `now`. */
enum geod_err store_login_prune(struct store *s, int64_t now, int64_t before);

/* What the snapshot is built from changed when this pair changes: the last sequence numbers of
 * facility_audit and record_audit (every change of a facility, division or enterprise writes
 * one). Writes to the tables above leave it alone. */
enum geod_err store_content_version(struct store *s, int64_t out[2]);

#endif

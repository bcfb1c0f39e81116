/* store_auth.c - app_user, session and login_failure rows (see store_auth.h). Statements are
 * prepared per call: logins are rare next to queries, and this keeps struct store as it is.
 * Every write outside an explicit transaction commits on its own (synchronous = FULL). */
#include "data/store_auth.h"
#include "data/store_impl.h"

#include <stdio.h>
#include <string.h>

static sqlite3_stmt *prep(struct store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return st;
}

/* Steps a write to its end and finalizes it; GEOD_EINVAL for a constraint. */
static enum geod_err run(sqlite3_stmt *st)
{
    if (!st)
        return GEOD_ESTORE;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? GEOD_OK : (rc & 0xff) == SQLITE_CONSTRAINT ? GEOD_EINVAL : GEOD_ESTORE;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", v ? v : "");
}

enum geod_err store_user_add(struct store *s, const char *name, const char *role,
                             const char *district, const char *password_hash)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    sqlite3_stmt *st = prep(s, "INSERT INTO app_user (name, role, district, password_hash,"
                               " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
    if (st) {
        store_bind_text(st, 1, name);
        store_bind_text(st, 2, role);
        store_bind_text(st, 3, district);
        store_bind_text(st, 4, password_hash);
        store_bind_text(st, 5, at);
    }
    return run(st);
}

#define USER_COLS "u.id, u.name, u.role, u.district, u.password_hash, u.disabled, u.created_at"

/* The user from the columns USER_COLS starting at column c. */
static void read_user(sqlite3_stmt *st, int c, struct store_user *u, bool with_hash)
{
    u->id = sqlite3_column_int64(st, c);
    copy_col(u->name, sizeof u->name, st, c + 1);
    copy_col(u->role, sizeof u->role, st, c + 2);
    copy_col(u->district, sizeof u->district, st, c + 3);
    if (with_hash)
        copy_col(u->password_hash, sizeof u->password_hash, st, c + 4);
    else
        u->password_hash[0] = '\0';
    u->disabled = sqlite3_column_int(st, c + 5) != 0;
    copy_col(u->created_at, sizeof u->created_at, st, c + 6);
}

enum geod_err store_user_get(struct store *s, const char *name, struct store_user *out)
{
    sqlite3_stmt *st = prep(s, "SELECT " USER_COLS " FROM app_user u WHERE u.name = ?1");
    if (!st)
        return GEOD_ESTORE;
    store_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_user(st, 0, out, true);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? GEOD_OK : rc == SQLITE_DONE ? GEOD_ENOTFOUND : GEOD_ESTORE;
}

enum geod_err store_user_list(struct store *s, bool (*fn)(const struct store_user *u, void *udata),
                              void *udata)
{
    sqlite3_stmt *st = prep(s, "SELECT " USER_COLS " FROM app_user u ORDER BY u.name");
    if (!st)
        return GEOD_ESTORE;
    int rc;
    struct store_user u;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_user(st, 0, &u, false);
        if (!fn(&u, udata)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? GEOD_OK : GEOD_ESTORE;
}

enum geod_err store_user_set_disabled(struct store *s, const char *name, bool disabled)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    if (store_begin(s))
        return GEOD_ESTORE;
    sqlite3_stmt *st = prep(s, "UPDATE app_user SET disabled = ?2, updated_at = ?3 WHERE name = ?1");
    enum geod_err rc = GEOD_ESTORE;
    if (st) {
        store_bind_text(st, 1, name);
        sqlite3_bind_int(st, 2, disabled ? 1 : 0);
        store_bind_text(st, 3, at);
        rc = run(st);
    }
    if (!rc && sqlite3_changes(s->db) == 0)
        rc = GEOD_ENOTFOUND;
    if (!rc && disabled) {
        st = prep(s, "DELETE FROM session WHERE user_id = (SELECT id FROM app_user WHERE name = ?1)");
        if (st)
            store_bind_text(st, 1, name);
        rc = run(st);
    }
    if (!rc)
        rc = store_commit(s);
    if (rc)
        store_rollback(s);
    return rc;
}

enum geod_err store_session_add(struct store *s, int64_t user_id, const struct store_session *ss)
{
    sqlite3_stmt *st = prep(s, "INSERT INTO session (token_hash, user_id, kind, csrf_token,"
                               " created_at, last_seen, expires_at) VALUES (?1, ?2, ?3, ?4, ?5,"
                               " ?6, ?7)");
    if (st) {
        sqlite3_bind_blob(st, 1, ss->token_hash, STORE_TOKEN_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, user_id);
        store_bind_text(st, 3, ss->bearer ? "bearer" : "cookie");
        store_bind_text(st, 4, ss->bearer ? NULL : ss->csrf_token);
        sqlite3_bind_int64(st, 5, ss->created_at);
        sqlite3_bind_int64(st, 6, ss->last_seen);
        sqlite3_bind_int64(st, 7, ss->expires_at);
    }
    return run(st);
}

enum geod_err store_session_get(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN],
                                struct store_session *out)
{
    sqlite3_stmt *st = prep(s, "SELECT s.kind, s.csrf_token, s.created_at, s.last_seen,"
                               " s.expires_at, " USER_COLS " FROM session s"
                               " JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = ?1");
    if (!st)
        return GEOD_ESTORE;
    sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memcpy(out->token_hash, hash, STORE_TOKEN_HASH_LEN);
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        out->bearer = kind && strcmp(kind, "bearer") == 0;
        copy_col(out->csrf_token, sizeof out->csrf_token, st, 1);
        out->created_at = sqlite3_column_int64(st, 2);
        out->last_seen = sqlite3_column_int64(st, 3);
        out->expires_at = sqlite3_column_int64(st, 4);
        read_user(st, 5, &out->user, false);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? GEOD_OK : rc == SQLITE_DONE ? GEOD_ENOTFOUND : GEOD_ESTORE;
}

enum geod_err store_session_touch(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN],
                                  int64_t now)
{
    sqlite3_stmt *st = prep(s, "UPDATE session SET last_seen = ?2 WHERE token_hash = ?1");
    if (st) {
        sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
    }
    return run(st);
}

enum geod_err store_session_delete(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN])
{
    sqlite3_stmt *st = prep(s, "DELETE FROM session WHERE token_hash = ?1");
    if (st)
        sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_STATIC);
    return run(st);
}

enum geod_err store_session_prune(struct store *s, int64_t now, int64_t idle_before)
{
    sqlite3_stmt *st = prep(s, "DELETE FROM session WHERE expires_at <= ?1 OR last_seen < ?2");
    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, idle_before);
    }
    return run(st);
}

static const char *scope_name(enum store_login_scope scope)
{
    return scope == STORE_LOGIN_ADDRESS ? "address" : "account";
}

enum geod_err store_login_get(struct store *s, enum store_login_scope scope, const char *key,
                              struct store_login_failure *out)
{
    *out = (struct store_login_failure){0};
    sqlite3_stmt *st = prep(s, "SELECT failures, first_at, last_at, locked_until"
                               " FROM login_failure WHERE scope = ?1 AND key = ?2");
    if (!st)
        return GEOD_ESTORE;
    store_bind_text(st, 1, scope_name(scope));
    store_bind_text(st, 2, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->failures = sqlite3_column_int64(st, 0);
        out->first_at = sqlite3_column_int64(st, 1);
        out->last_at = sqlite3_column_int64(st, 2);
        out->locked_until = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? GEOD_OK : GEOD_ESTORE;
}

enum geod_err store_login_put(struct store *s, enum store_login_scope scope, const char *key,
                              const struct store_login_failure *f)
{
    sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO login_failure (scope, key, failures,"
                               " first_at, last_at, locked_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (st) {
        store_bind_text(st, 1, scope_name(scope));
        store_bind_text(st, 2, key);
        sqlite3_bind_int64(st, 3, f->failures);
        sqlite3_bind_int64(st, 4, f->first_at);
        sqlite3_bind_int64(st, 5, f->last_at);
        sqlite3_bind_int64(st, 6, f->locked_until);
    }
    return run(st);
}

enum geod_err store_login_clear(struct store *s, enum store_login_scope scope, const char *key)
{
    sqlite3_stmt *st = prep(s, "DELETE FROM login_failure WHERE scope = ?1 AND key = ?2");
    if (st) {
        store_bind_text(st, 1, scope_name(scope));
        store_bind_text(st, 2, key);
    }
    return run(st);
}

enum geod_err store_login_prune(struct store *s, int64_t now, int64_t before)
{
    sqlite3_stmt *st = prep(s, "DELETE FROM login_failure WHERE last_at < ?2 AND locked_until <= ?1");
    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, before);
    }
    return run(st);
}

enum geod_err store_content_version(struct store *s, int64_t out[2])
{
    if (store_exec(s, "BEGIN"))
        return GEOD_ESTORE;
    enum geod_err rc =
        store_query_int(s, "SELECT coalesce(max(seq), 0) FROM facility_audit", &out[0]);
    if (!rc)
        rc = store_query_int(s, "SELECT coalesce(max(seq), 0) FROM record_audit", &out[1]);
    store_exec(s, "COMMIT");
    return rc;
}

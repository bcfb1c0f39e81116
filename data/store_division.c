/* store_division.c - divisions from a feed: a division is keyed by its code; what the feed says
 * replaces what the store holds, what it leaves out (a boundary file without names, a code list
 * without boundaries) is kept. Every change has a row in record_audit with the division before
 * and after, boundary included, so nothing a feed replaces is lost. */
#include "data/store_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIVISION_JSON                                                                              \
    "json_object('code', code, 'name', name, 'level', level, 'kind', kind, 'parent', parent,"      \
    " 'center_lon', CASE WHEN center_lon IS NULL THEN NULL"                                        \
    " ELSE json(printf('%!.17g', center_lon)) END,"                                                \
    " 'center_lat', CASE WHEN center_lat IS NULL THEN NULL"                                        \
    " ELSE json(printf('%!.17g', center_lat)) END,"                                                \
    " 'approximate', approximate, 'boundary_source', boundary_source, 'source', source,"           \
    " 'boundary', json(AsGeoJSON(boundary, 9)))"

static char *division_json(struct store *s, const char *code)
{
    sqlite3_stmt *st;
    char *out = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT " DIVISION_JSON " FROM division WHERE code = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return NULL;
    store_bind_text(st, 1, code);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static enum geod_err audit(struct store *s, const char *code, const char *action, const char *actor,
                           const char *before)
{
    char *after = division_json(s, code);
    sqlite3_stmt *st;
    if (!after || sqlite3_prepare_v2(s->db,
                                     "INSERT INTO record_audit (entity, entity_key, action, actor,"
                                     " at, before, after) VALUES ('division', ?1, ?2, ?3,"
                                     " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?4, ?5)",
                                     -1, &st, NULL) != SQLITE_OK) {
        free(after);
        return GEOD_ESTORE;
    }
    store_bind_text(st, 1, code);
    store_bind_text(st, 2, action);
    store_bind_text(st, 3, actor);
    store_bind_text(st, 4, before);
    store_bind_text(st, 5, after);
    enum geod_err rc = sqlite3_step(st) == SQLITE_DONE ? GEOD_OK : GEOD_ESTORE;
    sqlite3_finalize(st);
    free(after);
    return rc;
}

enum geod_err store_division_name(struct store *s, const char *code, char *name, size_t len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM division WHERE code = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return GEOD_ESTORE;
    store_bind_text(st, 1, code);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW && name)
        snprintf(name, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return r == SQLITE_ROW ? GEOD_OK : r == SQLITE_DONE ? GEOD_ENOTFOUND : GEOD_ESTORE;
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static double col_double(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static bool same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void bind_double(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static enum geod_err write_row(struct store *s, const struct store_division *d, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    store_bind_text(st, 1, d->code);
    store_bind_text(st, 2, d->name);
    store_bind_text(st, 3, d->level);
    store_bind_text(st, 4, d->kind);
    store_bind_text(st, 5, d->parent);
    bind_double(st, 6, d->center_lon);
    bind_double(st, 7, d->center_lat);
    sqlite3_bind_int(st, 8, d->approximate ? 1 : 0);
    store_bind_text(st, 9, d->boundary_source);
    store_bind_text(st, 10, d->source);
    if (d->wkb)
        sqlite3_bind_blob(st, 11, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 11);
    enum geod_err rc = sqlite3_step(st) == SQLITE_DONE ? GEOD_OK : GEOD_ESTORE;
    sqlite3_finalize(st);
    return rc;
}

enum geod_err store_upsert_division(struct store *s, const struct store_division *d,
                                    const char *actor, enum store_change *what)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT name, level, kind, parent, center_lon, center_lat, approximate,"
                           " boundary_source, AsBinary(boundary) FROM division WHERE code = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    store_bind_text(st, 1, d->code);
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        sqlite3_finalize(st);
        if (!d->name || !d->level || !d->kind)
            return GEOD_EINVAL;
        enum geod_err rc = write_row(
            s, d,
            "INSERT INTO division (code, name, level, kind, parent, center_lon, center_lat,"
            " approximate, boundary_source, source, updated_at, boundary)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, strftime('%Y-%m-%dT%H:%M:%fZ', "
            "'now'),"
            " CastToMultiPolygon(GeomFromWKB(?11, 4326)))");
        if (!rc)
            rc = audit(s, d->code, "create", actor, NULL);
        *what = STORE_INSERTED;
        return rc;
    }
    if (r != SQLITE_ROW) {
        sqlite3_finalize(st);
        return GEOD_ESTORE;
    }
    /* what the feed leaves out stays as it is */
    struct store_division m = *d;
    char *keep[4] = {NULL};
    const char **field[4] = {&m.name, &m.level, &m.kind, &m.parent};
    bool changed = false;
    for (int i = 0; i < 4; i++) {
        const char *cur = (const char *)sqlite3_column_text(st, i);
        if (!*field[i] && cur && !(*field[i] = keep[i] = strdup(cur)))
            r = SQLITE_NOMEM;
        changed |= !same(*field[i], cur);
    }
    if (isnan(m.center_lon)) {
        m.center_lon = col_double(st, 4);
        m.center_lat = col_double(st, 5);
    }
    changed |= !same_double(m.center_lon, col_double(st, 4)) ||
               !same_double(m.center_lat, col_double(st, 5));
    const char *cur_source = (const char *)sqlite3_column_text(st, 7);
    char *keep_source = NULL;
    if (d->wkb) {
        const void *cur = sqlite3_column_blob(st, 8);
        size_t len = (size_t)sqlite3_column_bytes(st, 8);
        changed |= !cur || len != d->wkb_len || memcmp(cur, d->wkb, len) != 0 ||
                   sqlite3_column_int(st, 6) != (d->approximate ? 1 : 0) ||
                   !same(cur_source, d->boundary_source);
    } else {
        m.approximate = sqlite3_column_int(st, 6);
        if (cur_source && !(m.boundary_source = keep_source = strdup(cur_source)))
            r = SQLITE_NOMEM;
    }
    sqlite3_finalize(st);
    enum geod_err rc = r == SQLITE_NOMEM ? GEOD_ENOMEM : GEOD_OK;
    *what = STORE_UNCHANGED;
    if (!rc && changed) {
        char *before = division_json(s, d->code);
        rc = before ? write_row(s, &m,
                                "UPDATE division SET name = ?2, level = ?3, kind = ?4, parent = ?5,"
                                " center_lon = ?6, center_lat = ?7, approximate = ?8,"
                                " boundary_source = ?9, source = ?10,"
                                " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
                                " boundary = CASE WHEN ?11 IS NULL THEN boundary"
                                " ELSE CastToMultiPolygon(GeomFromWKB(?11, 4326)) END"
                                " WHERE code = ?1")
                    : GEOD_ESTORE;
        if (!rc)
            rc = audit(s, d->code, "update", actor, before);
        free(before);
        *what = STORE_UPDATED;
    }
    for (int i = 0; i < 4; i++)
        free(keep[i]);
    free(keep_source);
    return rc;
}

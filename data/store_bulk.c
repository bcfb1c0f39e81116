/* store_bulk.c - the store's bulk mode, for imports. SpatiaLite keeps a geometry column's
 * spatial index and its timestamps with per-row triggers: RTreeAlign() formats and parses an SQL
 * statement for every row, and the timestamp trigger scans geometry_columns, together most of the
 * cost of writing a record. Inside an import's transaction, bulk mode drops those triggers and
 * writes the index rows itself with one prepared statement (the same boxes: SQLite's R*Tree rounds
 * a point's box outward as RTreeAlign's does); store_bulk_end puts the triggers back word for
 * word and stamps the timestamps once, before the commit. A rollback (an error, a dry run, a
 * crash) restores the triggers with everything else, so no committed state lacks them. */
#include "data/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The per-row triggers bulk mode replaces: the index on insert and on update of the point, the
 * timestamps on insert and update, and the geometry type check (bulk writes make every point
 * with MakePoint(lon, lat, 4326), which passes it by construction). Deletes are soft (updates);
 * the delete triggers stay. And the content stamp's (data/schema.c, migration 5), replaced once
 * at the end instead of once a row. */
static const char *const triggers[STORE_BULK_TRIGGERS] = {
    "gii_facility_geom",        "giu_facility_geom",        "tmi_facility_geom",
    "tmu_facility_geom",        "ggi_facility_geom",        "ggu_facility_geom",
    "content_stamp_facility_i", "content_stamp_facility_u", "content_stamp_facility_d"};

enum geod_err store_bulk_begin(struct store *s)
{
    if (s->bulk)
        return GEOD_OK;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    enum geod_err rc = GEOD_OK;
    for (int i = 0; !rc && i < STORE_BULK_TRIGGERS; i++) {
        sqlite3_bind_text(st, 1, triggers[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            if (!(s->bulk_sql[i] = strdup((const char *)sqlite3_column_text(st, 0))))
                rc = GEOD_ENOMEM;
        } else {
            rc = GEOD_ECORRUPT; /* a store without SpatiaLite's triggers: not ours */
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    for (int i = 0; !rc && i < STORE_BULK_TRIGGERS; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP TRIGGER \"%s\"", triggers[i]);
        rc = store_exec(s, sql);
    }
    if (rc) { /* the caller rolls back, which brings back what was dropped */
        for (int i = 0; i < STORE_BULK_TRIGGERS; i++) {
            free(s->bulk_sql[i]);
            s->bulk_sql[i] = NULL;
        }
        return rc;
    }
    s->bulk = true;
    return GEOD_OK;
}

enum geod_err store_bulk_index(struct store *s, int64_t id, double lon, double lat)
{
    if (s->bulk_n == s->bulk_cap) {
        size_t cap = s->bulk_cap ? 2 * s->bulk_cap : 1024;
        struct store_bulk_point *a = realloc(s->bulk_pts, cap * sizeof *a);
        if (!a)
            return GEOD_ENOMEM;
        s->bulk_pts = a;
        s->bulk_cap = cap;
    }
    s->bulk_pts[s->bulk_n++] = (struct store_bulk_point){id, lon, lat};
    return GEOD_OK;
}

/* The index rows of what bulk mode wrote: one by one when they are few next to the table,
 * else the whole index rebuilt packed (store_rtree.c). */
static enum geod_err index_changes(struct store *s)
{
    int64_t total = 0;
    if (store_query_int(s, "SELECT count(*) FROM idx_facility_geom_rowid", &total))
        return GEOD_ESTORE;
    if (s->bulk_n >= 1000 && (int64_t)s->bulk_n * 10 >= total)
        return store_rtree_load(s, "idx_facility_geom",
                                "SELECT id, MbrMinX(geom), MbrMinY(geom) FROM facility"
                                " WHERE geom IS NOT NULL");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO idx_facility_geom (pkid, xmin, xmax, ymin, ymax)"
                           " VALUES (?1, ?2, ?2, ?3, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return GEOD_ESTORE;
    enum geod_err rc = GEOD_OK;
    for (size_t i = 0; !rc && i < s->bulk_n; i++) {
        sqlite3_bind_int64(st, 1, s->bulk_pts[i].id);
        sqlite3_bind_double(st, 2, s->bulk_pts[i].lon);
        sqlite3_bind_double(st, 3, s->bulk_pts[i].lat);
        rc = store_step_done(st);
    }
    sqlite3_finalize(st);
    return rc;
}

void store_bulk_forget(struct store *s)
{
    for (int i = 0; i < STORE_BULK_TRIGGERS; i++) {
        free(s->bulk_sql[i]);
        s->bulk_sql[i] = NULL;
    }
    free(s->bulk_pts);
    s->bulk_pts = NULL;
    s->bulk_n = s->bulk_cap = 0;
    s->bulk = false;
}

enum geod_err store_bulk_end(struct store *s)
{
    if (!s->bulk)
        return GEOD_OK;
    enum geod_err rc = GEOD_OK;
    for (int i = 0; !rc && i < STORE_BULK_TRIGGERS; i++)
        rc = store_exec(s, s->bulk_sql[i]);
    if (!rc)
        rc = store_exec(s, "UPDATE content_stamp SET stamp = random()");
    if (!rc && s->bulk_n)
        rc = index_changes(s);
    if (!rc && s->bulk_n)
        rc = store_exec(s, "UPDATE geometry_columns_time SET"
                           " last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
                           " last_update = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                           " WHERE f_table_name = 'facility' AND f_geometry_column = 'geom'");
    store_bulk_forget(s);
    return rc;
}

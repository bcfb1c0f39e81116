/* records_sqlite_table.c - the table a SQLite/SpatiaLite reader reads: found in sqlite_master
 * (any case), its geometry column and SRID in SpatiaLite's geometry_columns, its other columns in
 * PRAGMA table_info. When no table is given, SpatiaLite's metadata tables (a fresh
 * InitSpatialMetadata makes some thirty), SQLite's own and virtual tables (the spatial index,
 * KNN, ...) with their shadow tables are never the one meant. */
#include "importers/records_sqlite_table.h"
#include "importers/records_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Names (or name prefixes, ending in '*') of SpatiaLite's, RasterLite2's and GeoPackage's
 * metadata tables. */
static const char *const metadata[] = {
    "geometry_columns*",
    "views_geometry_columns*",
    "virts_geometry_columns*",
    "spatial_ref_sys*",
    "spatialite_history",
    "sql_statements_log",
    "data_licenses",
    "geom_cols_ref_sys",
    "vector_layers*",
    "SE_*",
    "ISO_metadata*",
    "raster_coverages*",
    "vector_coverages*",
    "wms_*",
    "rl2map_configurations*",
    "topologies",
    "networks",
    "stored_procedures",
    "stored_variables",
    "layer_params",
    "layer_statistics",
    "layer_sub_classes",
    "layer_table_layout",
    "pattern_bitmaps",
    "project_defs",
    "raster_pyramids",
    "symbol_bitmaps",
    "tableprefix_*",
    "gpkg_*",
    "rtree_*",
};

static bool is_metadata(const char *name)
{
    if (!strncasecmp(name, "sqlite_", 7))
        return true;
    for (size_t i = 0; i < sizeof metadata / sizeof metadata[0]; i++) {
        size_t n = strlen(metadata[i]);
        if (metadata[i][n - 1] == '*' ? !strncasecmp(name, metadata[i], n - 1)
                                      : !strcasecmp(name, metadata[i]))
            return true;
    }
    return false;
}

/* A list of names, and its text for messages ("a, b, c"). */
struct names {
    char **v;
    size_t n;
};

static enum geod_err push(struct names *l, const char *s)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return GEOD_ENOMEM;
    l->v = v;
    if (!(l->v[l->n] = strdup(s)))
        return GEOD_ENOMEM;
    l->n++;
    return GEOD_OK;
}

static void clear(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void list_text(const struct names *l, char *out, size_t len)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l->n && at < len; i++)
        at += (size_t)snprintf(out + at, len - at, "%s%s", i ? ", " : "", l->v[i]);
    if (!l->n)
        snprintf(out, len, "none");
}

static ssize_t find(const struct names *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcasecmp(l->v[i], s))
            return (ssize_t)i;
    return -1;
}

static enum geod_err sql_fail(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int code = sqlite3_errcode(db);
    if (code == SQLITE_NOMEM)
        return GEOD_ENOMEM;
    snprintf(err, errlen, "%s: %s", path,
             code == SQLITE_NOTADB ? "not a SQLite database" : sqlite3_errmsg(db));
    return code == SQLITE_IOERR || code == SQLITE_CANTOPEN ? GEOD_EIO : GEOD_EINVAL;
}

/* The tables (all, users' only) and the geometry columns (table, column, srid) of the file. */
static enum geod_err survey(sqlite3 *db, const char *path, struct names *all, struct names *user,
                            struct names *gtab, struct names *gcol, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    static const char q[] =
        "SELECT t.name, EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table' AND "
        "v.sql LIKE 'CREATE VIRTUAL%' AND (v.name = t.name OR substr(t.name, 1, length(v.name) "
        "+ 1) = v.name || '_')) FROM sqlite_master t WHERE t.type = 'table' ORDER BY t.name";
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, path, err, errlen);
    enum geod_err rc = GEOD_OK;
    int s;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name)
            continue;
        rc = push(all, name);
        if (!rc && !sqlite3_column_int(st, 1) && !is_metadata(name))
            rc = push(user, name);
    }
    if (!rc && s != SQLITE_DONE)
        rc = sql_fail(db, path, err, errlen);
    sqlite3_finalize(st);
    if (rc || find(all, "geometry_columns") < 0)
        return rc; /* plain SQLite: no geometry */
    if (sqlite3_prepare_v2(db,
                           "SELECT f_table_name, f_geometry_column, srid FROM "
                           "geometry_columns ORDER BY f_table_name",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, path, err, errlen);
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        const char *c = (const char *)sqlite3_column_text(st, 1);
        char srid[24];
        snprintf(srid, sizeof srid, "%d", sqlite3_column_int(st, 2));
        if (!t || !c || find(user, t) < 0)
            continue;
        if (!(rc = push(gtab, t)) && !(rc = push(gcol, c)))
            rc = push(gcol, srid); /* gcol: column and SRID of gtab[i] at 2i, 2i + 1 */
    }
    if (!rc && s != SQLITE_DONE)
        rc = sql_fail(db, path, err, errlen);
    sqlite3_finalize(st);
    return rc;
}

/* The EPSG code of SpatiaLite SRID srid: spatial_ref_sys's EPSG authority, else the SRID itself
 * (SpatiaLite's SRIDs are EPSG codes unless it says otherwise). */
static int srid_epsg(sqlite3 *db, int srid)
{
    if (srid <= 0)
        return 0;
    sqlite3_stmt *st;
    int epsg = srid;
    if (sqlite3_prepare_v2(db, "SELECT auth_name, auth_srid FROM spatial_ref_sys WHERE srid = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return epsg;
    sqlite3_bind_int(st, 1, srid);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *auth = (const char *)sqlite3_column_text(st, 0);
        epsg = auth && !strcasecmp(auth, "epsg") ? sqlite3_column_int(st, 1) : 0;
    }
    sqlite3_finalize(st);
    return epsg > 0 ? epsg : 0;
}

enum geod_err sqlite_table_pick(sqlite3 *db, const char *path, const char *want,
                                struct sqlite_table *t, char *err, size_t errlen)
{
    struct names all = {0}, user = {0}, gtab = {0}, gcol = {0}, distinct = {0};
    enum geod_err rc = survey(db, path, &all, &user, &gtab, &gcol, err, errlen);
    char list[512];
    const char *name = NULL;
    for (size_t i = 0; !rc && i < gtab.n; i++)
        if (find(&distinct, gtab.v[i]) < 0)
            rc = push(&distinct, gtab.v[i]);
    if (!rc && want) {
        ssize_t i = find(&all, want);
        if (i < 0) {
            list_text(&user, list, sizeof list);
            snprintf(err, errlen, "%s: no table %s (its tables: %s)", path, want, list);
            rc = GEOD_ENOTFOUND;
        } else {
            name = all.v[i];
        }
    } else if (!rc && distinct.n == 1) {
        name = user.v[find(&user, distinct.v[0])];
    } else if (!rc && distinct.n > 1) {
        list_text(&distinct, list, sizeof list);
        snprintf(err, errlen, "%s has %zu tables with geometry (%s): give --table", path,
                 distinct.n, list);
        rc = GEOD_EINVAL;
    } else if (!rc && user.n == 1) {
        name = user.v[0];
    } else if (!rc) {
        list_text(&user, list, sizeof list);
        snprintf(err, errlen, "%s has %zu tables (%s): give --table", path, user.n, list);
        rc = GEOD_EINVAL;
    }
    if (!rc && !(t->name = strdup(name)))
        rc = GEOD_ENOMEM;
    for (size_t i = 0; !rc && i < gtab.n; i++) {
        if (strcasecmp(gtab.v[i], name))
            continue;
        if (t->geom) {
            snprintf(err, errlen, "%s: table %s has more than one geometry column (%s, %s)", path,
                     name, t->geom, gcol.v[2 * i]);
            rc = GEOD_EINVAL;
        } else if (!(t->geom = strdup(gcol.v[2 * i]))) {
            rc = GEOD_ENOMEM;
        } else {
            t->epsg = srid_epsg(db, atoi(gcol.v[2 * i + 1]));
        }
    }
    clear(&all);
    clear(&user);
    clear(&gtab);
    clear(&gcol);
    clear(&distinct);
    return rc;
}

/* Adds the fields to rs and the SELECT's field list to q; *has_geom when t->geom is a column. */
static enum geod_err columns(sqlite3 *db, const char *path, struct sqlite_table *t,
                             struct rec_source *rs, sqlite3_str *q, bool *has_geom, char *err,
                             size_t errlen)
{
    char *sql = sqlite3_mprintf("PRAGMA table_info(\"%w\")", t->name);
    sqlite3_stmt *st;
    if (!sql)
        return GEOD_ENOMEM;
    int s = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (s != SQLITE_OK)
        return sql_fail(db, path, err, errlen);
    enum geod_err rc = GEOD_OK;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *type = (const char *)sqlite3_column_text(st, 2);
        if (!name)
            continue;
        if (t->geom && !strcasecmp(name, t->geom)) {
            *has_geom = true;
            continue;
        }
        if (type && strcasestr(type, "BLOB"))
            continue; /* photos and such: not text */
        if ((rc = rec_source_add_field(rs, name)) == GEOD_EINVAL)
            snprintf(err, errlen, "%s: table %s: a column named \"%s\" twice or empty", path,
                     t->name, name);
        sqlite3_str_appendf(q, ", \"%w\"", name);
    }
    if (!rc && s != SQLITE_DONE)
        rc = sql_fail(db, path, err, errlen);
    sqlite3_finalize(st);
    return rc;
}

enum geod_err sqlite_table_prepare(sqlite3 *db, const char *path, struct sqlite_table *t,
                                   struct rec_source *rs, sqlite3_stmt **st, int64_t *total,
                                   char *err, size_t errlen)
{
    sqlite3_str *q = sqlite3_str_new(db);
    sqlite3_str_appendall(q, "SELECT rowid");
    bool has_geom = false;
    enum geod_err rc = columns(db, path, t, rs, q, &has_geom, err, errlen);
    if (!rc && t->geom && !has_geom) {
        snprintf(err, errlen,
                 "%s: geometry_columns names column %s of table %s, which has no "
                 "such column",
                 path, t->geom, t->name);
        rc = GEOD_EINVAL;
    }
    if (!rc && t->geom)
        sqlite3_str_appendf(q,
                            ", \"%w\", GeometryType(\"%w\"), ST_X(\"%w\"), ST_Y(\"%w\"), "
                            "ST_X(GeometryN(\"%w\", 1)), ST_Y(GeometryN(\"%w\", 1)), "
                            "AsBinary(CastToXY(\"%w\")), NumGeometries(\"%w\")",
                            t->geom, t->geom, t->geom, t->geom, t->geom, t->geom, t->geom, t->geom);
    sqlite3_str_appendf(q, " FROM \"%w\" ORDER BY rowid", t->name);
    char *sql = sqlite3_str_finish(q);
    if (!rc && !sql)
        rc = GEOD_ENOMEM;
    if (!rc && sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        rc = sql_fail(db, path, err, errlen);
    sqlite3_free(sql);
    t->nfields = rec_nfields(rs);
    if (!rc && !(t->names = calloc(t->nfields + 1, sizeof *t->names)))
        rc = GEOD_ENOMEM;
    for (size_t i = 0; !rc && i < t->nfields; i++)
        t->names[i] = (char *)rec_field_name(rs, i);
    /* the row count, for progress only */
    sqlite3_stmt *count;
    sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", t->name);
    *total = 0;
    if (!rc && sql && sqlite3_prepare_v2(db, sql, -1, &count, NULL) == SQLITE_OK) {
        if (sqlite3_step(count) == SQLITE_ROW)
            *total = sqlite3_column_int64(count, 0);
        sqlite3_finalize(count);
    }
    sqlite3_free(sql);
    return rc;
}

void sqlite_table_clear(struct sqlite_table *t)
{
    free(t->name);
    free(t->geom);
    free(t->names);
    memset(t, 0, sizeof *t);
}

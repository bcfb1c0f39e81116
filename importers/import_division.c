/* import_division.c - divisions (区划): a 12-digit NBS code (6 and 9 digits are padded), a name,
 * and a boundary (a Polygon or MultiPolygon: GeoJSON, Shapefile, SpatiaLite) or a centre (a
 * Point, or lon/lat columns). The level and the parent follow from the code, and a level or
 * parent the feed gives must agree with it. A code list without boundaries renames and adds; a
 * boundary file without names replaces the boundaries of divisions the store knows, and an
 * imported boundary is surveyed, not approximate: it replaces a derived one. */
#include "importers/import_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { D_CODE, D_NAME, D_LEVEL, D_KIND, D_PARENT, D_LON, D_LAT, D_COUNT };

static const char *const fields[D_COUNT] = {"code",   "name", "level", "kind",
                                            "parent", "lon",  "lat"};

static const char *const aliases[D_COUNT][IMPORT_MAX_ALIASES] = {
    [D_CODE] = {"code", "code12", "区划代码", "行政区划代码", "统计用区划代码", "adcode", "编码",
                "id"},
    [D_NAME] = {"name", "名称", "区划名称", "行政区划名称", NULL},
    [D_LEVEL] = {"level", "级别", "层级", NULL},
    [D_KIND] = {"kind", "类型", "城乡分类", NULL},
    [D_PARENT] = {"parent", "parent_code", "上级代码", "上级区划代码", NULL},
    [D_LON] = {"lon", "center_lon", "lng", "longitude", "经度", NULL},
    [D_LAT] = {"lat", "center_lat", "latitude", "纬度", NULL},
};

/* The kinds the store knows, and the words feeds use for them. */
static const struct {
    const char *kind, *words[4];
} kinds[] = {
    {"prefecture_city", {"地级市", NULL}},
    {"district", {"市辖区", "区", NULL}},
    {"subdistrict", {"街道", "街道办事处", NULL}},
    {"town", {"镇", NULL}},
    {"township", {"乡", NULL}},
    {"residents_committee", {"居委会", "居民委员会", "社区居委会", NULL}},
    {"villagers_committee", {"村委会", "村民委员会", NULL}},
    {"other", {"其他", NULL}},
};

static const char *kind_of(const char *v)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(v, kinds[i].kind) == 0)
            return kinds[i].kind;
        for (int w = 0; kinds[i].words[w]; w++)
            if (strcmp(v, kinds[i].words[w]) == 0)
                return kinds[i].kind;
    }
    return NULL;
}

static const char *level_of(const char *v)
{
    static const char *const levels[][3] = {
        {"city", "市", "地级市"},
        {"district", "区", "区县"},
        {"street", "街道", "乡镇"},
        {"community", "社区", "村居"},
    };
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        for (int w = 0; w < 3; w++)
            if (strcmp(v, levels[i][w]) == 0)
                return levels[i][0];
    return NULL;
}

/* 4, 6, 9 or 12 digits to 12; false for anything else. */
static bool code12(const char *v, char out[13])
{
    size_t n = strlen(v);
    if ((n != 4 && n != 6 && n != 9 && n != 12) || strspn(v, "0123456789") != n)
        return false;
    memcpy(out, v, n);
    memset(out + n, '0', 12 - n);
    out[12] = '\0';
    return true;
}

static bool zeros(const char *s, size_t n)
{
    return strspn(s, "0") >= n;
}

/* The level the code is at, and its parent's code ("" for the city). */
static const char *code_level(const char *c, char parent[13])
{
    memcpy(parent, c, 13);
    if (zeros(c + 4, 8)) {
        parent[0] = '\0';
        return "city";
    }
    if (zeros(c + 6, 6)) {
        memcpy(parent + 4, "00000000", 8);
        return "district";
    }
    if (zeros(c + 9, 3)) {
        memcpy(parent + 6, "000000", 6);
        return "street";
    }
    memcpy(parent + 9, "000", 3);
    return "community";
}

static enum geod_err mapped(struct job *j)
{
    (void)j; /* a boundary file may carry nothing but codes */
    return GEOD_OK;
}

static enum geod_err check(struct job *j, const struct record *r, struct irow *row, bool *ok)
{
    *ok = false;
    char code[13], parent[13], name_now[256];
    if (!code12(import_str(j, row, D_CODE), code))
        return import_bad(j, r->where, "code", "not a division code (12 digits, or 6 or 9)"),
               GEOD_OK;
    if (strncmp(code, "4201", 4) != 0)
        return import_bad(j, r->where, "code", "not a division of Wuhan (4201...)"), GEOD_OK;
    const char *level = code_level(code, parent);
    const char *v = import_value(j, r, D_LEVEL);
    if (v && level_of(v) != level) {
        char why[96];
        snprintf(why, sizeof why, "%s, but the code is of a %s", v, level);
        return import_bad(j, r->where, "level", why), GEOD_OK;
    }
    char given[13];
    if ((v = import_value(j, r, D_PARENT)) &&
        (!code12(v, given) || strcmp(given, *parent ? parent : "420000000000") != 0)) {
        char why[96];
        snprintf(why, sizeof why, "%s, but the code's parent is %s", v,
                 *parent ? parent : "420000000000");
        return import_bad(j, r->where, "parent", why), GEOD_OK;
    }
    enum geod_err rc = store_division_name(j->s, code, name_now, sizeof name_now);
    if (rc && rc != GEOD_ENOTFOUND)
        return rc;
    bool known = rc == GEOD_OK;
    const char *name = import_value(j, r, D_NAME);
    if (name && strlen(name) > 200)
        return import_bad(j, r->where, "name", "longer than 200 bytes"), GEOD_OK;
    if (!name && !known)
        return import_bad(j, r->where, "name", "missing, and the store has no such division"),
               GEOD_OK;
    const char *kind = NULL;
    if ((v = import_value(j, r, D_KIND)) && !(kind = kind_of(v)))
        return import_bad(j, r->where, "kind",
                          "not a kind of division (district, subdistrict, "
                          "town, township, residents_committee, "
                          "villagers_committee, other)"),
               GEOD_OK;
    if (!kind && !known)
        kind = strcmp(level, "city") == 0       ? "prefecture_city"
               : strcmp(level, "district") == 0 ? "district"
                                                : "other";
    if (import_position(j, r, false, &row->lon, &row->lat) < 0)
        return GEOD_OK;
    if (r->other_geometry) {
        char why[96];
        snprintf(why, sizeof why, "a %s: a division has a Polygon boundary or a Point centre",
                 r->other_geometry);
        return import_bad(j, r->where, "geometry", why), GEOD_OK;
    }
    if (import_area(j, r, row, &rc) < 0 || rc)
        return rc;
    /* the code as stored (the key duplicates are found by), then the rest */
    const char *put[D_COUNT] = {[D_CODE] = code,
                                [D_NAME] = name,
                                [D_LEVEL] = level,
                                [D_KIND] = kind,
                                [D_PARENT] = *parent ? parent : NULL};
    for (int f = D_CODE; f <= D_PARENT; f++)
        if (put[f] && (rc = import_put(j, put[f], strlen(put[f]) + 1, &row->off[f])))
            return rc;
    *ok = true;
    return GEOD_OK;
}

static enum geod_err write(struct job *j, const struct irow *r, enum store_change *what)
{
    struct store_division d = {
        .code = import_str(j, r, D_CODE),
        .name = import_str(j, r, D_NAME),
        .level = import_str(j, r, D_LEVEL),
        .kind = import_str(j, r, D_KIND),
        .parent = import_str(j, r, D_PARENT),
        .center_lon = r->lon,
        .center_lat = r->lat,
        .wkb = r->wkb_len ? (const unsigned char *)j->arena + r->wkb_off : NULL,
        .wkb_len = r->wkb_len,
        .approximate = 0,
        .boundary_source = r->wkb_len ? j->st->source : NULL,
        .source = j->st->source,
    };
    return store_upsert_division(j->s, &d, j->actor, what);
}

const struct kind_ops import_division = {
    .what = "division",
    .nfields = D_COUNT,
    .fields = fields,
    .aliases = aliases,
    .lon = D_LON,
    .lat = D_LAT,
    .mapped = mapped,
    .check = check,
    .write = write,
    .delete_missing = NULL,
};

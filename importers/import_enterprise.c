/* import_enterprise.c - welfare enterprises (福利企业): keyed by the unified social credit code
 * (its check character verified), a name, a position, and an address, a district, an industry, a
 * disabled-employee count and a certification date when the feed has them. The district may be
 * a code (6 or 12 digits) or a district's name (江岸区, 江岸); without one it is the district the
 * position lies in. Dates are taken as 2019-03-20, 2019/3/20, 2019.3.20, 20190320 or
 * 2019年3月20日 and stored as YYYY-MM-DD. The store's own check (store_enterprise_check) has the
 * last word on every field. */
#include "data/store_enterprise.h"
#include "importers/import_impl.h"
#include "index/credit_code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { E_CODE, E_NAME, E_ADDRESS, E_LON, E_LAT, E_DISTRICT, E_INDUSTRY, E_DISABLED, E_CERTIFIED,
       E_COUNT };

static const char *const fields[E_COUNT] = {
    "credit_code", "name",     "address",            "lon",         "lat",
    "district",    "industry", "disabled_employees", "certified_on"};

static const char *const aliases[E_COUNT][IMPORT_MAX_ALIASES] = {
    [E_CODE] = {"credit_code", "统一社会信用代码", "信用代码", "社会信用代码", "uscc", "code",
                NULL},
    [E_NAME] = {"name", "企业名称", "单位名称", "名称", NULL},
    [E_ADDRESS] = {"address", "地址", "注册地址", "经营地址", NULL},
    [E_LON] = {"lon", "lng", "longitude", "x", "经度", NULL},
    [E_LAT] = {"lat", "latitude", "y", "纬度", NULL},
    [E_DISTRICT] = {"district", "district_code", "区", "所属区", "行政区", "区划代码", NULL},
    [E_INDUSTRY] = {"industry", "行业", "所属行业", "行业类别", NULL},
    [E_DISABLED] = {"disabled_employees", "残疾职工人数", "残疾职工数", "安置残疾人数", NULL},
    [E_CERTIFIED] = {"certified_on", "认定日期", "认定时间", "发证日期", NULL},
};

static enum geod_err mapped(struct job *j)
{
    if (j->col[E_NAME] < 0)
        return import_fail(j, GEOD_EINVAL, "no name column: name one with --map COLUMN=name");
    return GEOD_OK;
}

/* A date in one of the forms above, as YYYY-MM-DD into out[11]; false if it is none. */
static bool date_of(const char *v, char out[11])
{
    int y, m, d, n = 0;
    char rest;
    if (strlen(v) == 8 && strspn(v, "0123456789") == 8)
        n = sscanf(v, "%4d%2d%2d", &y, &m, &d);
    else if (sscanf(v, "%d-%d-%d%c", &y, &m, &d, &rest) == 3 ||
             sscanf(v, "%d/%d/%d%c", &y, &m, &d, &rest) == 3 ||
             sscanf(v, "%d.%d.%d%c", &y, &m, &d, &rest) == 3)
        n = 3;
    else if (sscanf(v, "%d年%d月%d日%c", &y, &m, &d, &rest) == 3)
        n = 3;
    if (n != 3 || y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return true;
}

/* The 12-digit district code of v: a 6- or 12-digit code of a district of the store, or the name
 * of one (with or without its last character, 区); NULL when there is none. */
static const char *district_of(struct job *j, const char *v)
{
    const struct divisions *t = locator_divisions(j->loc);
    size_t n = strlen(v);
    char code[13];
    if ((n == 6 || n == 12) && strspn(v, "0123456789") == n) {
        memcpy(code, v, 6);
        memcpy(code + 6, "000000", 7);
        if (n == 12 && strcmp(code, v) != 0)
            return NULL; /* a street's or a community's code */
        int32_t i = divisions_find(t, code, 12);
        return i >= 0 && t->d[i].level == DIV_DISTRICT ? t->d[i].code : NULL;
    }
    for (size_t i = 0; i < t->n; i++) {
        const char *name = t->d[i].name;
        size_t len = strlen(name);
        if (t->d[i].level == DIV_DISTRICT &&
            (strcmp(name, v) == 0 || (len > n && strncmp(name, v, n) == 0 &&
                                      strcmp(name + n, "区") == 0)))
            return t->d[i].code;
    }
    return NULL;
}

static enum geod_err check(struct job *j, const struct record *r, struct irow *row, bool *ok)
{
    *ok = false;
    const char *code = import_str(j, row, E_CODE);
    if (!credit_code_valid(code))
        return import_bad(j, r->where, "credit_code",
                          "not a unified social credit code (18 characters, check character "
                          "last)"),
               GEOD_OK;
    const char *name = import_value(j, r, E_NAME);
    if (!name)
        return import_bad(j, r->where, "name", "missing"), GEOD_OK;
    if (import_position(j, r, true, &row->lon, &row->lat) < 0)
        return GEOD_OK;
    const char *v = import_value(j, r, E_DISABLED);
    if (v) {
        char *end;
        long long k = strtoll(v, &end, 10);
        if (end == v || k < 0 || k > 10000000 || (*end && strcmp(end, "人") != 0))
            return import_bad(j, r->where, "disabled_employees",
                              "not a count of people (a whole number, 0 or more)"),
                   GEOD_OK;
        row->n = k;
    }
    char date[11];
    const char *certified = import_value(j, r, E_CERTIFIED);
    if (certified && !date_of(certified, date))
        return import_bad(j, r->where, "certified_on",
                          "not a date (2019-03-20, 2019/3/20, 20190320 or 2019年3月20日)"),
               GEOD_OK;
    enum geod_err rc;
    if (!j->loc && (rc = locator_new(j->s, &j->loc)))
        return import_fail(j, rc, "store: %s", store_errmsg(j->s));
    const char *district = NULL;
    if ((v = import_value(j, r, E_DISTRICT)) && !(district = district_of(j, v)))
        return import_bad(j, r->where, "district",
                          "not a district of Wuhan (a code such as 420102 or a name such as "
                          "江岸区)"),
               GEOD_OK;
    char from_pos[13];
    if (!district) { /* the district the position lies in */
        const char *c = locator_code(j->loc, row->lon, row->lat);
        if (c) {
            memcpy(from_pos, c, 6);
            memcpy(from_pos + 6, "000000", 7);
            district = from_pos;
        }
    }
    const char *put[E_COUNT] = {[E_NAME] = name,
                                [E_ADDRESS] = import_value(j, r, E_ADDRESS),
                                [E_DISTRICT] = district,
                                [E_INDUSTRY] = import_value(j, r, E_INDUSTRY),
                                [E_CERTIFIED] = certified ? date : NULL};
    struct store_enterprise e = {.credit_code = code, .name = name, .address = put[E_ADDRESS],
                                 .lon = row->lon, .lat = row->lat, .district_code = district,
                                 .industry = put[E_INDUSTRY], .disabled_employees = row->n,
                                 .certified_on = put[E_CERTIFIED], .source = j->st->source,
                                 .source_key = code};
    const char *field = NULL;
    if (store_enterprise_check(&e, &field)) {
        char why[96];
        snprintf(why, sizeof why, "refused by the store (%s)", field ? field : "?");
        return import_bad(j, r->where, field, why), GEOD_OK;
    }
    for (int f = E_NAME; f < E_COUNT; f++)
        if (put[f] && (rc = import_put(j, put[f], strlen(put[f]) + 1, &row->off[f])))
            return rc;
    *ok = true;
    return GEOD_OK;
}

static enum geod_err write(struct job *j, const struct irow *r, enum store_change *what)
{
    struct store_enterprise e = {
        .credit_code = import_str(j, r, E_CODE),
        .name = import_str(j, r, E_NAME),
        .address = import_str(j, r, E_ADDRESS),
        .lon = r->lon,
        .lat = r->lat,
        .district_code = import_str(j, r, E_DISTRICT),
        .industry = import_str(j, r, E_INDUSTRY),
        .disabled_employees = r->n,
        .certified_on = import_str(j, r, E_CERTIFIED),
        .source = j->st->source,
        .source_key = import_str(j, r, E_CODE),
    };
    return store_upsert_enterprise(j->s, &e, j->actor, what);
}

static enum geod_err delete_missing(struct job *j, size_t *deleted)
{
    return store_delete_missing_enterprises(j->s, j->st->source, j->actor, deleted);
}

const struct kind_ops import_enterprise = {
    .what = "enterprise",
    .nfields = E_COUNT,
    .fields = fields,
    .aliases = aliases,
    .lon = E_LON,
    .lat = E_LAT,
    .mapped = mapped,
    .check = check,
    .write = write,
    .delete_missing = delete_missing,
};

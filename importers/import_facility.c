/* import_facility.c - facilities: a key, a name, a category (by id or Chinese name), a position,
 * and an address, a telephone number and opening hours when the feed has them. The division a
 * facility lies in is found at write time from the store's boundaries. */
#include "importers/import_impl.h"
#include "index/hours.h"

#include <string.h>

enum { F_ID, F_NAME, F_CATEGORY, F_ADDRESS, F_PHONE, F_HOURS, F_LON, F_LAT, F_COUNT };

static const char *const fields[F_COUNT] = {"id",    "name",  "category", "address",
                                            "phone", "hours", "lon",      "lat"};

static const char *const aliases[F_COUNT][IMPORT_MAX_ALIASES] = {
    [F_ID] = {"id", "key", "source_key", "code", "编号", "编码", "ID", NULL},
    [F_NAME] = {"name", "名称", "机构名称", "单位名称", NULL},
    [F_CATEGORY] = {"category", "类别", "类型", NULL},
    [F_ADDRESS] = {"address", "地址", "详细地址", NULL},
    [F_PHONE] = {"phone", "tel", "telephone", "电话", "联系电话", NULL},
    [F_HOURS] = {"hours", "opening_hours", "开放时间", "服务时间", NULL},
    [F_LON] = {"lon", "lng", "longitude", "x", "经度", NULL},
    [F_LAT] = {"lat", "latitude", "y", "纬度", NULL},
};

static enum geod_err mapped(struct job *j)
{
    if (j->col[F_NAME] < 0)
        return import_fail(j, GEOD_EINVAL, "no name column: name one with --map COLUMN=name");
    if (j->col[F_CATEGORY] < 0 && !j->o->category)
        return import_fail(j, GEOD_EINVAL,
                           "no category column: give --category or --map COLUMN=category");
    return GEOD_OK;
}

/* store_category_id, remembering the answers (a feed names a handful of categories). */
static enum geod_err category(struct job *j, const char *text, char *id, size_t len)
{
    for (size_t i = 0; i < j->ncats; i++)
        if (strcmp(j->cats[i].text, text) == 0)
            return snprintf(id, len, "%s", j->cats[i].id), GEOD_OK;
    enum geod_err rc = store_category_id(j->s, text, id, len);
    if (!rc && j->ncats < sizeof j->cats / sizeof j->cats[0] &&
        strlen(text) < sizeof j->cats[0].text && strlen(id) < sizeof j->cats[0].id) {
        strcpy(j->cats[j->ncats].text, text);
        strcpy(j->cats[j->ncats++].id, id);
    }
    return rc;
}

static enum geod_err check(struct job *j, const struct record *r, struct irow *row, bool *ok)
{
    *ok = false;
    const char *name = import_value(j, r, F_NAME);
    if (!name || strlen(name) > 600)
        return import_bad(j, r->where, "name", name ? "longer than 200 characters" : "missing"),
               GEOD_OK;
    const char *cat = import_value(j, r, F_CATEGORY);
    char catid[80];
    if (!cat)
        cat = j->o->category;
    enum geod_err rc = cat ? category(j, cat, catid, sizeof catid) : GEOD_ENOTFOUND;
    if (rc == GEOD_ENOTFOUND)
        return import_bad(j, r->where, "category",
                          cat ? "not a category (GET /v1/categories)" : "missing"),
               GEOD_OK;
    if (rc)
        return rc;
    if (import_position(j, r, true, &row->lon, &row->lat) < 0)
        return GEOD_OK;
    const char *hours = import_value(j, r, F_HOURS);
    if (hours && !hours_valid(hours))
        return import_bad(j, r->where, "hours",
                          "not understood (e.g. \"Mo-Fr 08:30-17:30\" or \"24/7\")"),
               GEOD_OK;
    const char *phone = import_value(j, r, F_PHONE);
    if (phone && (strlen(phone) > 40 || strspn(phone, "0123456789-+() ,;/") != strlen(phone)))
        return import_bad(j, r->where, "phone", "not a telephone number"), GEOD_OK;
    const char *v[F_LON] = {NULL, name, catid, import_value(j, r, F_ADDRESS), phone, hours};
    for (int f = F_NAME; f < F_LON; f++)
        if (v[f] && (rc = import_put(j, v[f], strlen(v[f]) + 1, &row->off[f])))
            return rc;
    *ok = true;
    return GEOD_OK;
}

static enum geod_err write(struct job *j, const struct irow *r, enum store_change *what)
{
    struct store_facility f = {
        .category = import_str(j, r, F_CATEGORY),
        .name = import_str(j, r, F_NAME),
        .address = import_str(j, r, F_ADDRESS),
        .phone = import_str(j, r, F_PHONE),
        .hours = import_str(j, r, F_HOURS),
        .lon = r->lon,
        .lat = r->lat,
        .division_code = locator_code(j->loc, r->lon, r->lat),
        .source = j->st->source,
        .source_key = import_str(j, r, F_ID),
    };
    return store_upsert_facility(j->s, &f, j->actor, what, NULL);
}

static enum geod_err delete_missing(struct job *j, size_t *deleted)
{
    return store_delete_missing(j->s, j->st->source, j->actor, deleted);
}

const struct kind_ops import_facility = {
    .what = "facility",
    .nfields = F_COUNT,
    .fields = fields,
    .aliases = aliases,
    .lon = F_LON,
    .lat = F_LAT,
    .mapped = mapped,
    .check = check,
    .write = write,
    .delete_missing = delete_missing,
};

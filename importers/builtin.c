/* builtin.c - the built-in Wuhan dataset into a new store (data/wuhan/SOURCES.md says what the
 * files are). Street-level units become street_office facilities and community/village units
 * community_center facilities at their published centres; clean hospital rows become hospital
 * facilities; synth_generate adds the categories that have no open data. */
#include "importers/builtin.h"
#include "data/synth.h"
#include "data/synth_enterprise.h"
#include "data/wuhan.h"
#include "importers/csv.h"
#include "index/crs.h"
#include "importers/locate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 192
#define ACTOR "builtin"

struct unit {
    char code[13];
    char name[NAME_MAX_BYTES];     /* the 2023 name, else the 2016 one */
    char district[NAME_MAX_BYTES];
    char street[NAME_MAX_BYTES];   /* the street-level unit it belongs to */
    char street2016[NAME_MAX_BYTES];
    double lon, lat;               /* WGS-84 */
    bool is_street;
};

struct loader {
    struct store *s;
    struct builtin_stats *stats;
    char *err;
    size_t errlen;
    struct unit *units;
    size_t n;
    struct locator *loc; /* the divisions as just written, read back and indexed */
};

static const char *division_at(struct loader *l, double lon, double lat)
{
    return locator_code(l->loc, lon, lat);
}

/* A unit's own code when it is a division of 2023, else where its point lies (53 of the 2016
 * codes are gone: merged or renamed). */
static const char *unit_division(struct loader *l, const struct unit *u)
{
    if (divisions_find(locator_divisions(l->loc), u->code, strlen(u->code)) >= 0)
        return u->code;
    return division_at(l, u->lon, u->lat);
}

static enum geod_err fail(struct loader *l, enum geod_err rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static void copy_field(char *dst, size_t cap, const struct csv_field *f)
{
    size_t n = f->len < cap - 1 ? f->len : cap - 1;
    memcpy(dst, f->p, n);
    dst[n] = '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Column indexes of the wanted names in a header record; false if one is missing. */
static bool map_columns(const struct csv_field *f, size_t n, const char *const *names, int *col)
{
    for (int i = 0; names[i]; i++) {
        col[i] = -1;
        for (size_t j = 0; j < n; j++)
            if (csv_field_eq(&f[j], names[i]))
                col[i] = (int)j;
        if (col[i] < 0)
            return false;
    }
    return true;
}

static bool parse_number(const struct csv_field *f, double *out)
{
    char buf[64];
    if (f->len == 0 || f->len >= sizeof buf)
        return false;
    memcpy(buf, f->p, f->len);
    buf[f->len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0';
}

enum { C_CODE, C_NAME2016, C_LEVEL, C_DCODE, C_DNAME, C_STREET2016, C_LON, C_LAT, C_NAME2023 };

static enum geod_err read_units(struct loader *l)
{
    static const char *const names[] = {"code12",  "name_2016",     "level",
                                        "district_code", "district_name", "street_name_2016",
                                        "lng_gcj02", "lat_gcj02",   "name_nbs2023", NULL};
    struct wuhan_blob b = wuhan_communities();
    struct csv_reader *r;
    if (csv_open_mem(b.data, b.len, NULL, &r))
        return GEOD_ENOMEM;
    const struct csv_field *f;
    size_t nf;
    int col[9];
    enum geod_err rc = csv_next(r, &f, &nf);
    if (rc || !map_columns(f, nf, names, col)) {
        csv_close(r);
        return fail(l, GEOD_ECORRUPT, "%s: unexpected header", b.name);
    }
    size_t cap = 1024;
    l->units = malloc(cap * sizeof *l->units);
    while (l->units && (rc = csv_next(r, &f, &nf)) == GEOD_OK) {
        if (nf != 11) {
            rc = fail(l, GEOD_ECORRUPT, "%s line %zu: %zu fields", b.name, csv_record_line(r), nf);
            break;
        }
        if (l->n == cap) {
            struct unit *u = realloc(l->units, 2 * cap * sizeof *u);
            if (!u)
                break;
            l->units = u;
            cap *= 2;
        }
        struct unit *u = &l->units[l->n];
        double glon, glat;
        copy_field(u->code, sizeof u->code, &f[col[C_CODE]]);
        copy_field(u->name, sizeof u->name, &f[col[f[col[C_NAME2023]].len ? C_NAME2023 : C_NAME2016]]);
        copy_field(u->district, sizeof u->district, &f[col[C_DNAME]]);
        copy_field(u->street2016, sizeof u->street2016, &f[col[C_STREET2016]]);
        u->is_street = csv_field_eq(&f[col[C_LEVEL]], "street");
        if (strlen(u->code) != 12 || f[col[C_DCODE]].len != 6 ||
            !parse_number(&f[col[C_LON]], &glon) || !parse_number(&f[col[C_LAT]], &glat) ||
            crs_convert(CRS_GCJ02, CRS_WGS84, glon, glat, &u->lon, &u->lat)) {
            rc = fail(l, GEOD_ECORRUPT, "%s line %zu: bad code or position", b.name,
                      csv_record_line(r));
            break;
        }
        l->n++;
    }
    csv_close(r);
    if (!l->units)
        return GEOD_ENOMEM;
    return rc == GEOD_ENOTFOUND ? GEOD_OK : rc;
}

/* The street each community belongs to: the street unit with the same first 9 digits, else
 * its 2016 street name (大智街办事处 -> 大智街道). */
static void name_streets(struct loader *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct unit *u = &l->units[i];
        if (u->is_street) {
            snprintf(u->street, sizeof u->street, "%s", u->name);
            continue;
        }
        const struct unit *st = NULL;
        for (size_t j = 0; j < l->n && !st; j++)
            if (l->units[j].is_street && memcmp(l->units[j].code, u->code, 9) == 0)
                st = &l->units[j];
        if (st) {
            snprintf(u->street, sizeof u->street, "%s", st->name);
        } else {
            snprintf(u->street, sizeof u->street, "%s", u->street2016);
            if (ends_with(u->street, "街办事处"))
                strcpy(u->street + strlen(u->street) - strlen("办事处"), "道");
            else if (ends_with(u->street, "办事处"))
                u->street[strlen(u->street) - strlen("办事处")] = '\0';
        }
    }
}

/* The office's name: 一元街道 -> 一元街道办事处, 天兴乡 -> 天兴乡人民政府, 保成社区居委会 ->
 * 保成社区党群服务中心; other units (管理处, 管理委员会, ...) keep their own names. */
static void office_name(const struct unit *u, char *out, size_t cap)
{
    if (u->is_street) {
        const char *suffix = ends_with(u->name, "街道") ? "办事处"
                             : ends_with(u->name, "镇") || ends_with(u->name, "乡") ? "人民政府"
                                                                                 : "";
        snprintf(out, cap, "%s%s", u->name, suffix);
        return;
    }
    static const char *const committee[] = {"居民委员会", "村民委员会", "居委会", "村委会", NULL};
    char base[NAME_MAX_BYTES];
    snprintf(base, sizeof base, "%s", u->name);
    for (int i = 0; committee[i]; i++) {
        if (ends_with(base, committee[i]) && strlen(base) > strlen(committee[i])) {
            base[strlen(base) - strlen(committee[i])] = '\0';
            break;
        }
    }
    snprintf(out, cap, "%s党群服务中心", base);
}

static enum geod_err insert_units(struct loader *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct unit *u = &l->units[i];
        char name[NAME_MAX_BYTES + 32], address[4 * NAME_MAX_BYTES];
        office_name(u, name, sizeof name);
        if (u->is_street)
            snprintf(address, sizeof address, "武汉市%s%s", u->district, u->street);
        else
            snprintf(address, sizeof address, "武汉市%s%s%s", u->district, u->street, u->name);
        struct store_facility f = {
            .category = u->is_street ? "street_office" : "community_center",
            .name = name,
            .address = address,
            .lon = u->lon,
            .lat = u->lat,
            .division_code = unit_division(l, u),
            .source = "adcode",
            .source_key = u->code,
        };
        if (store_insert_facility(l->s, &f, ACTOR, NULL))
            return fail(l, GEOD_ESTORE, "store: %s", store_errmsg(l->s));
        if (u->is_street)
            l->stats->street_offices++;
        else
            l->stats->community_centers++;
    }
    return GEOD_OK;
}

enum { H_ID, H_NAME, H_DISTRICT, H_ADDRESS, H_LON, H_LAT, H_SUSPECT };

static enum geod_err insert_hospitals(struct loader *l)
{
    static const char *const names[] = {"src_id", "name",     "district_declared", "address",
                                        "lng_bd09", "lat_bd09", "suspect", NULL};
    struct wuhan_blob b = wuhan_hospitals();
    struct csv_reader *r;
    if (csv_open_mem(b.data, b.len, NULL, &r))
        return GEOD_ENOMEM;
    const struct csv_field *f;
    size_t nf;
    int col[7];
    enum geod_err rc = csv_next(r, &f, &nf);
    if (rc || !map_columns(f, nf, names, col)) {
        csv_close(r);
        return fail(l, GEOD_ECORRUPT, "%s: unexpected header", b.name);
    }
    while ((rc = csv_next(r, &f, &nf)) == GEOD_OK) {
        if (!csv_field_eq(&f[col[H_SUSPECT]], "0")) {
            l->stats->hospitals_suspect++;
            continue;
        }
        char key[32], name[NAME_MAX_BYTES], district[NAME_MAX_BYTES], street[NAME_MAX_BYTES];
        char address[3 * NAME_MAX_BYTES];
        double blon, blat, lon, lat;
        copy_field(key, sizeof key, &f[col[H_ID]]);
        copy_field(name, sizeof name, &f[col[H_NAME]]);
        copy_field(district, sizeof district, &f[col[H_DISTRICT]]);
        copy_field(street, sizeof street, &f[col[H_ADDRESS]]);
        if (!parse_number(&f[col[H_LON]], &blon) || !parse_number(&f[col[H_LAT]], &blat) ||
            crs_convert(CRS_BD09, CRS_WGS84, blon, blat, &lon, &lat)) {
            rc = fail(l, GEOD_ECORRUPT, "%s line %zu: bad position", b.name, csv_record_line(r));
            break;
        }
        const char *dcode = division_at(l, lon, lat);
        snprintf(address, sizeof address, "武汉市%s%s", district, street);
        struct store_facility h = {
            .category = "hospital",
            .name = name,
            .address = address,
            .lon = lon,
            .lat = lat,
            .division_code = dcode,
            .source = "yiqing_map",
            .source_key = key,
        };
        if (store_insert_facility(l->s, &h, ACTOR, NULL)) {
            rc = fail(l, GEOD_ESTORE, "store: %s", store_errmsg(l->s));
            break;
        }
        l->stats->hospitals++;
    }
    csv_close(r);
    return rc == GEOD_ENOTFOUND ? GEOD_OK : rc;
}

static enum geod_err emit_synthetic(void *udata, const struct store_facility *f)
{
    struct loader *l = udata;
    struct store_facility g = *f; /* where it was put, not where its anchor is */
    g.division_code = division_at(l, f->lon, f->lat);
    if (store_insert_facility(l->s, &g, ACTOR, NULL))
        return fail(l, GEOD_ESTORE, "store: %s", store_errmsg(l->s));
    l->stats->synthetic++;
    if (strcmp(g.category, SYNTH_ENTERPRISE_CATEGORY) != 0)
        return GEOD_OK;
    /* the welfare enterprise whose works this facility is */
    struct synth_enterprise_buf buf;
    struct store_enterprise e;
    enum store_change what;
    enum geod_err rc = synth_enterprise(&g, &buf, &e);
    if (!rc)
        rc = store_upsert_enterprise(l->s, &e, ACTOR, &what);
    if (rc)
        return fail(l, rc, "synthetic enterprise %s: %s (%s)", g.source_key, geod_strerror(rc),
                    store_errmsg(l->s));
    l->stats->enterprises++;
    return GEOD_OK;
}

static enum geod_err insert_synthetic(struct loader *l)
{
    struct synth_anchor *a = malloc(l->n * sizeof *a);
    if (!a)
        return GEOD_ENOMEM;
    for (size_t i = 0; i < l->n; i++) {
        const struct unit *u = &l->units[i];
        a[i] = (struct synth_anchor){u->lon, u->lat,  u->district, u->street,
                                     u->name, u->code, u->is_street};
    }
    enum geod_err rc = store_import_begin(l->s); /* store_upsert_enterprise tracks keys */
    if (rc)
        rc = fail(l, rc, "store: %s", store_errmsg(l->s));
    else
        rc = synth_generate(a, l->n, SYNTH_SEED, emit_synthetic, l);
    free(a);
    return rc;
}

enum geod_err builtin_load(struct store *s, struct builtin_stats *stats, char *err,
                           size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    struct loader l = {.s = s, .stats = stats, .err = err, .errlen = errlen};
    GEOSContextHandle_t ctx = GEOS_init_r();
    enum geod_err rc = ctx ? read_units(&l) : GEOD_ENOMEM;
    if (!rc) {
        name_streets(&l);
        if (store_begin(s))
            rc = fail(&l, GEOD_ESTORE, "store: %s", store_errmsg(s));
    }
    if (!rc)
        rc = builtin_load_divisions(s, ctx, stats, err, errlen);
    if (!rc && (rc = locator_new(s, &l.loc)))
        fail(&l, rc, "the divisions cannot be indexed");
    if (!rc)
        rc = insert_units(&l);
    if (!rc)
        rc = insert_hospitals(&l);
    if (!rc)
        rc = insert_synthetic(&l);
    if (!rc && store_commit(s))
        rc = fail(&l, GEOD_ESTORE, "store: %s", store_errmsg(s));
    if (rc) {
        store_rollback(s);
        if (rc == GEOD_ENOMEM)
            fail(&l, rc, "out of memory");
    }
    free(l.units);
    locator_free(l.loc);
    if (ctx)
        GEOS_finish_r(ctx);
    return rc;
}

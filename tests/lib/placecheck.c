/* placecheck.c - the divisions of a store seen through SpatiaLite (see placecheck.h). */
#include "tests/lib/placecheck.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pc_level_names[PC_LEVELS] = {"city", "district", "street", "community"};
const char *const pc_class_names[3] = {"exact", "prefix", "substring"};

__attribute__((format(printf, 2, 3))) static bool say(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, PC_WHY, fmt, ap);
    va_end(ap);
    return false;
}

int pc_level(const char *name)
{
    for (int l = 0; l < PC_LEVELS; l++)
        if (name && !strcmp(name, pc_level_names[l]))
            return l;
    return -1;
}

bool pc_is_han(uint32_t c)
{
    return c >= 0x4E00 && c <= 0x9FFF;
}

size_t pc_utf8_decode(const char *s, uint32_t *cp, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        uint32_t c = len == 1 ? *p : len == 2 ? *p & 0x1Fu : len == 3 ? *p & 0x0Fu : *p & 0x07u;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return SIZE_MAX;
            c = c << 6 | (p[i] & 0x3Fu);
        }
        if (n == cap || (len == 4 && (*p > 0xF4 || c > 0x10FFFF)))
            return SIZE_MAX;
        cp[n++] = c;
        p += len;
    }
    return n;
}

void pc_utf8_encode(const uint32_t *cp, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c < 0x80) {
            *out++ = (char)c;
        } else if (c < 0x800) {
            *out++ = (char)(0xC0 | c >> 6);
            *out++ = (char)(0x80 | (c & 0x3F));
        } else {
            *out++ = (char)(0xE0 | c >> 12);
            *out++ = (char)(0x80 | (c >> 6 & 0x3F));
            *out++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *out = '\0';
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return strdup(s ? (const char *)s : "");
}

static int by_code(const void *key, const void *row)
{
    return strcmp(key, ((const struct pc_div *)row)->code);
}

int32_t pc_find(const struct pc_oracle *o, const char *code)
{
    const struct pc_div *d = code ? bsearch(code, o->d, o->n, sizeof *o->d, by_code) : NULL;
    return d ? (int32_t)(d - o->d) : -1;
}

static bool read_rows(struct pc_oracle *o, char why[PC_WHY])
{
    sqlite3_stmt *st = sc_prep(o->c.db,
                               "SELECT code, name, level, kind, parent, center_lon, center_lat,"
                               " approximate, boundary IS NOT NULL, MbrMinX(boundary),"
                               " MbrMinY(boundary), MbrMaxX(boundary), MbrMaxY(boundary)"
                               " FROM division ORDER BY code",
                               why);
    size_t cap = 0;
    char **parents = NULL;
    bool ok = st != NULL;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        if (o->n == cap) {
            cap = cap ? 2 * cap : 4096;
            struct pc_div *d = realloc(o->d, cap * sizeof *d);
            char **p = realloc(parents, cap * sizeof *p);
            if (d)
                o->d = d;
            if (p)
                parents = p;
            if (!d || !p) {
                ok = say(why, "out of memory");
                break;
            }
        }
        struct pc_div *d = &o->d[o->n];
        memset(d, 0, sizeof *d);
        snprintf(d->code, sizeof d->code, "%s", (const char *)sqlite3_column_text(st, 0));
        d->name = dup_col(st, 1);
        d->level = pc_level((const char *)sqlite3_column_text(st, 2));
        d->kind = dup_col(st, 3);
        parents[o->n] = sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : dup_col(st, 4);
        d->has_center = sqlite3_column_type(st, 5) != SQLITE_NULL;
        d->clon = sqlite3_column_double(st, 5);
        d->clat = sqlite3_column_double(st, 6);
        d->approximate = sqlite3_column_int(st, 7) != 0;
        d->has_boundary = sqlite3_column_int(st, 8) != 0;
        for (int k = 0; k < 4; k++)
            d->box[k] = sqlite3_column_double(st, 9 + k);
        d->cp = malloc((strlen(d->name) + 1) * sizeof *d->cp);
        o->n++;
        d->ncp = d->cp ? pc_utf8_decode(d->name, d->cp, strlen(d->name)) : SIZE_MAX;
        if (d->level < 0 || d->ncp == SIZE_MAX)
            ok = say(why, "division %s: bad level or name", d->code);
    }
    for (size_t i = 0; i < o->n; i++) {
        o->d[i].parent = ok ? pc_find(o, parents[i]) : -1;
        free(parents[i]);
    }
    free(parents);
    sqlite3_finalize(st);
    return ok && o->n > 0;
}

bool pc_open(struct pc_oracle *o, const char *db, char why[PC_WHY])
{
    memset(o, 0, sizeof *o);
    if (!sc_open(&o->c, db, SQLITE_OPEN_READONLY, why) || !read_rows(o, why))
        return false;
    o->locate = sc_prep(o->c.db,
                        "SELECT code FROM division WHERE level = ?1"
                        " AND ST_Contains(boundary, MakePoint(?2, ?3, 4326)) = 1"
                        " AND rowid IN (SELECT pkid FROM idx_division_boundary"
                        "  WHERE xmin <= ?2 AND xmax >= ?2 AND ymin <= ?3 AND ymax >= ?3)"
                        " ORDER BY code LIMIT 1",
                        why);
    o->scan = o->locate ? sc_prep(o->c.db,
                                  "SELECT code FROM division WHERE level = ?1"
                                  " AND ST_Contains(boundary, MakePoint(?2, ?3, 4326)) = 1"
                                  " ORDER BY code LIMIT 1",
                                  why)
                        : NULL;
    o->resp = o->scan ? sc_prep(o->c.db,
                                "SELECT min(id) FROM facility WHERE deleted = 0 AND"
                                " category = 'community_center' AND division_code = ?1",
                                why)
                      : NULL;
    o->wkb = o->resp
                 ? sc_prep(o->c.db, "SELECT AsBinary(boundary) FROM division WHERE code = ?1", why)
                 : NULL;
    o->within = o->wkb ? sc_prep(o->c.db,
                                 "SELECT ST_Contains(boundary, MakePoint(?2, ?3, 4326))"
                                 " FROM division WHERE code = ?1",
                                 why)
                       : NULL;
    return o->within != NULL;
}

void pc_close(struct pc_oracle *o)
{
    sqlite3_finalize(o->locate);
    sqlite3_finalize(o->scan);
    sqlite3_finalize(o->resp);
    sqlite3_finalize(o->wkb);
    sqlite3_finalize(o->within);
    char why[PC_WHY];
    sc_close(&o->c, why);
    for (size_t i = 0; i < o->n; i++) {
        free(o->d[i].name);
        free(o->d[i].kind);
        free(o->d[i].cp);
    }
    free(o->d);
    memset(o, 0, sizeof *o);
}

bool pc_locate(struct pc_oracle *o, double lon, double lat, bool scan, int32_t out[PC_LEVELS],
               char why[PC_WHY])
{
    sqlite3_stmt *st = scan ? o->scan : o->locate;
    for (int l = 0; l < PC_LEVELS; l++) {
        sqlite3_bind_text(st, 1, pc_level_names[l], -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 2, lon);
        sqlite3_bind_double(st, 3, lat);
        int rc = sqlite3_step(st);
        out[l] = rc == SQLITE_ROW ? pc_find(o, (const char *)sqlite3_column_text(st, 0)) : -1;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return say(why, "locate (%.17g, %.17g): %s", lon, lat, sqlite3_errmsg(o->c.db));
    }
    return true;
}

struct by_lon {
    double lon;
    size_t i;
};

static int cmp_lon(const void *a, const void *b)
{
    const struct by_lon *x = a, *y = b;
    return x->lon < y->lon ? -1 : x->lon > y->lon ? 1 : x->i < y->i ? -1 : x->i > y->i;
}

bool pc_locate_many(struct pc_oracle *o, const double *lon, const double *lat, size_t n,
                    int32_t (*out)[PC_LEVELS], char why[PC_WHY])
{
    for (size_t i = 0; i < n; i++)
        for (int l = 0; l < PC_LEVELS; l++)
            out[i][l] = -1;
    struct by_lon *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return say(why, "out of memory");
    for (size_t i = 0; i < n; i++)
        s[i] = (struct by_lon){lon[i], i};
    qsort(s, n, sizeof *s, cmp_lon);
    bool ok = true;
    for (size_t d = 0; d < o->n && ok; d++) {
        const struct pc_div *v = &o->d[d];
        size_t lo = 0, hi = n; /* the first point with lon >= the box's west edge */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (s[mid].lon < v->box[0])
                lo = mid + 1;
            else
                hi = mid;
        }
        sqlite3_bind_text(o->within, 1, v->code, -1, SQLITE_STATIC);
        for (size_t k = lo; v->has_boundary && k < n && s[k].lon <= v->box[2] && ok; k++) {
            size_t i = s[k].i;
            if (out[i][v->level] >= 0 || !(lat[i] >= v->box[1] && lat[i] <= v->box[3]))
                continue; /* a smaller code already contains it, or outside the box */
            sqlite3_bind_double(o->within, 2, lon[i]);
            sqlite3_bind_double(o->within, 3, lat[i]);
            int rc = sqlite3_step(o->within);
            if (rc == SQLITE_ROW && sqlite3_column_int(o->within, 0) == 1)
                out[i][v->level] = (int32_t)d;
            else if (rc != SQLITE_ROW)
                ok = say(why, "%s contains (%.17g, %.17g): %s", v->code, lon[i], lat[i],
                         sqlite3_errmsg(o->c.db));
            sqlite3_reset(o->within);
        }
    }
    free(s);
    return ok;
}

int32_t pc_smallest(const int32_t at[PC_LEVELS])
{
    for (int l = PC_LEVELS - 1; l >= 1; l--)
        if (at[l] >= 0)
            return at[l];
    return -1;
}

bool pc_responsible(struct pc_oracle *o, const char *code, uint32_t *id, char why[PC_WHY])
{
    sqlite3_bind_text(o->resp, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(o->resp);
    *id = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(o->resp, 0) : 0;
    sqlite3_reset(o->resp);
    return rc == SQLITE_ROW || say(why, "responsible %s: %s", code, sqlite3_errmsg(o->c.db));
}

/* ---- boundaries as rings ---- */

struct wkb {
    const unsigned char *p, *end;
};

static bool wkb_u32(struct wkb *w, uint32_t *v)
{
    if (w->end - w->p < 4)
        return false;
    memcpy(v, w->p, 4); /* little-endian, checked by the caller's byte-order byte */
    w->p += 4;
    return true;
}

/* One Polygon (byte order and type included) appended to rings. */
static bool wkb_polygon(struct wkb *w, struct pc_ring **rings, size_t *n)
{
    uint32_t type, nr;
    if (w->p >= w->end || *w->p++ != 1 || !wkb_u32(w, &type) || type != 3 || !wkb_u32(w, &nr))
        return false;
    for (uint32_t r = 0; r < nr; r++) {
        uint32_t np;
        if (!wkb_u32(w, &np) || (size_t)(w->end - w->p) < (size_t)np * 16)
            return false;
        struct pc_ring *g = realloc(*rings, (*n + 1) * sizeof *g);
        if (!g)
            return false;
        *rings = g;
        g[*n].n = np;
        g[*n].xy = malloc((np ? np : 1) * 16);
        if (!g[*n].xy)
            return false;
        memcpy(g[(*n)++].xy, w->p, (size_t)np * 16);
        w->p += (size_t)np * 16;
    }
    return true;
}

bool pc_rings(struct pc_oracle *o, int32_t idx, struct pc_ring **rings, size_t *nrings,
              char why[PC_WHY])
{
    *rings = NULL;
    *nrings = 0;
    sqlite3_bind_text(o->wkb, 1, o->d[idx].code, -1, SQLITE_STATIC);
    bool ok = sqlite3_step(o->wkb) == SQLITE_ROW;
    struct wkb w = {sqlite3_column_blob(o->wkb, 0), NULL};
    w.end = w.p + sqlite3_column_bytes(o->wkb, 0);
    uint32_t type = 0, parts = 1;
    if (ok && w.p && w.end - w.p > 9 && w.p[0] == 1) {
        memcpy(&type, w.p + 1, 4);
        if (type == 6) {
            w.p += 5;
            ok = wkb_u32(&w, &parts);
        }
        for (uint32_t k = 0; ok && k < parts; k++)
            ok = wkb_polygon(&w, rings, nrings);
        ok = ok && w.p == w.end;
    } else if (ok && w.p) {
        ok = false;
    }
    sqlite3_reset(o->wkb);
    return ok || say(why, "%s: the boundary's WKB does not parse", o->d[idx].code);
}

void pc_rings_free(struct pc_ring *rings, size_t nrings)
{
    for (size_t i = 0; i < nrings; i++)
        free(rings[i].xy);
    free(rings);
}

size_t pc_edge_points(struct pc_oracle *o, struct ac_rng *g, int level, int edges,
                      struct pc_pt *out, char why[PC_WHY])
{
    int32_t *with = malloc((o->n ? o->n : 1) * sizeof *with);
    size_t nw = 0, np = 0;
    for (size_t i = 0; with && i < o->n; i++)
        if (o->d[i].level == level && o->d[i].has_boundary)
            with[nw++] = (int32_t)i;
    bool ok = with && nw > 0;
    if (!ok)
        say(why, "no %s has a boundary", pc_level_names[level]);
    for (int e = 0; ok && e < edges; e++) {
        struct pc_ring *r;
        size_t nr;
        ok = pc_rings(o, with[ac_below(g, (uint32_t)nw)], &r, &nr, why) &&
             (nr || say(why, "a boundary without rings"));
        const struct pc_ring *gr = ok ? &r[ac_below(g, (uint32_t)nr)] : NULL;
        size_t i = gr && gr->n >= 2 ? ac_below(g, (uint32_t)(gr->n - 1)) : 0;
        double ax = gr ? gr->xy[2 * i] : 0, ay = gr ? gr->xy[2 * i + 1] : 0;
        double bx = gr && gr->n >= 2 ? gr->xy[2 * i + 2] : ax;
        double by = gr && gr->n >= 2 ? gr->xy[2 * i + 3] : ay, len = hypot(bx - ax, by - ay);
        if (len > 0) {
            double mx = (ax + bx) / 2, my = (ay + by) / 2;
            double nx = -(by - ay) / len, ny = (bx - ax) / len; /* the unit normal */
            out[np++] = (struct pc_pt){ax, ay, PC_VERTEX};
            out[np++] = (struct pc_pt){mx, my, PC_MIDPOINT};
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                out[np++] = (struct pc_pt){mx + sgn * 1e-9 * nx, my + sgn * 1e-9 * ny, PC_OFF9};
                out[np++] = (struct pc_pt){mx + sgn * 1e-7 * nx, my + sgn * 1e-7 * ny, PC_OFF7};
            }
        }
        if (ok)
            pc_rings_free(r, nr);
    }
    free(with);
    return ok ? np : SIZE_MAX;
}

/* ---- answers ---- */

static bool str_is(const json_t *v, const char *want)
{
    return want ? json_is_string(v) && !strcmp(json_string_value(v), want) : json_is_null(v);
}

static const char *show(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : json_is_null(v) ? "null" : "(not a string)";
}

bool pc_check_division(const json_t *obj, const struct pc_oracle *o, int32_t idx, int level,
                       size_t extra, enum crs_id out, char why[PC_WHY])
{
    const struct pc_div *d = idx >= 0 ? &o->d[idx] : NULL;
    const char *what = d ? d->code : pc_level_names[level];
    if (!json_is_object(obj) || json_object_size(obj) != 6 + extra)
        return say(why, "%s: not an object of %zu keys", what, 6 + extra);
    const json_t *lv = json_object_get(obj, "level"), *code = json_object_get(obj, "code");
    const json_t *name = json_object_get(obj, "name"), *kind = json_object_get(obj, "kind");
    const json_t *ap = json_object_get(obj, "approximate"), *c = json_object_get(obj, "center");
    if (!str_is(lv, pc_level_names[d ? d->level : level]))
        return say(why, "%s: level %s, expected %s", what, show(lv),
                   pc_level_names[d ? d->level : level]);
    if (!str_is(code, d ? d->code : NULL))
        return say(why, "%s level: code %s, expected %s", pc_level_names[level], show(code),
                   d ? d->code : "null");
    if (!str_is(name, d ? d->name : NULL) || !str_is(kind, d ? d->kind : NULL))
        return say(why, "%s: name %s kind %s, expected %s %s", what, show(name), show(kind),
                   d ? d->name : "null", d ? d->kind : "null");
    if (d ? !json_is_boolean(ap) || json_is_true(ap) != d->approximate : !json_is_null(ap))
        return say(why, "%s: approximate is not %s", what,
                   !d               ? "null"
                   : d->approximate ? "true"
                                    : "false");
    double lon, lat;
    if (!d || !d->has_center || crs_convert(CRS_WGS84, out, d->clon, d->clat, &lon, &lat)) {
        if (!json_is_null(c))
            return say(why, "%s: center is not null", what);
        return true;
    }
    const json_t *jl = json_object_get(c, "lon"), *jt = json_object_get(c, "lat");
    /* 7 decimals: half a unit of the last place, plus float noise */
    if (json_object_size(c) != 2 || !json_is_number(jl) || !json_is_number(jt) ||
        fabs(json_number_value(jl) - lon) > 0.5e-7 + 1e-10 ||
        fabs(json_number_value(jt) - lat) > 0.5e-7 + 1e-10)
        return say(why, "%s: center (%.9g, %.9g), expected (%.9g, %.9g) in %s", what,
                   json_number_value(jl), json_number_value(jt), lon, lat, crs_name(out));
    return true;
}

bool pc_check_chain(const json_t *chain, const struct pc_oracle *o, const int32_t at[PC_LEVELS],
                    enum crs_id out, char why[PC_WHY])
{
    size_t want = at[0] >= 0 ? PC_LEVELS : 0;
    if (!json_is_array(chain) || json_array_size(chain) != want)
        return say(why, "chain of %zu entries, expected %zu", json_array_size(chain), want);
    for (size_t l = 0; l < want; l++)
        if (!pc_check_division(json_array_get(chain, l), o, at[l], (int)l, 0, out, why))
            return false;
    return true;
}

bool pc_check_parents(const json_t *chain, const struct pc_oracle *o, int32_t idx, enum crs_id out,
                      char why[PC_WHY])
{
    int32_t up[PC_LEVELS + 1];
    size_t n = 0;
    for (int32_t p = o->d[idx].parent; p >= 0 && n < PC_LEVELS; p = o->d[p].parent)
        up[n++] = p;
    if (!json_is_array(chain) || json_array_size(chain) != n)
        return say(why, "%s: chain of %zu, expected %zu parents", o->d[idx].code,
                   json_array_size(chain), n);
    for (size_t i = 0; i < n; i++) {
        int32_t p = up[n - 1 - i];
        if (!pc_check_division(json_array_get(chain, i), o, p, o->d[p].level, 0, out, why))
            return false;
    }
    return true;
}

bool pc_is_under(const struct pc_oracle *o, int32_t idx, int32_t ancestor)
{
    for (int32_t p = o->d[idx].parent; p >= 0; p = o->d[p].parent)
        if (p == ancestor)
            return true;
    return false;
}

static int index_of(const char *s, const char *const *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, v[i]))
            return i;
    return -1;
}

bool pc_check_search(const json_t *js, const struct pc_oracle *o, unsigned level_mask,
                     int32_t parent, size_t limit, enum crs_id out, char why[PC_WHY])
{
    static const char *const how_names[] = {"hanzi", "mixed", "pinyin", "initials"};
    const json_t *res = json_object_get(js, "results");
    size_t n = json_array_size(res);
    if (json_object_size(js) != 2 || !json_is_array(res) ||
        json_integer_value(json_object_get(js, "count")) != (json_int_t)n || n > limit)
        return say(why, "not {results, count} with at most %zu results", limit);
    int prev = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(res, i);
        int32_t idx = pc_find(o, ac_str(json_object_get(r, "code")));
        int cls = index_of(ac_str(json_object_get(r, "match")), pc_class_names, 3);
        if (idx < 0 || cls < prev)
            return say(why, "result %zu: unknown code, or match out of order", i);
        if (index_of(ac_str(json_object_get(r, "how")), how_names, 4) < 0 ||
            !json_is_string(json_object_get(r, "pinyin")))
            return say(why, "%s: bad how or pinyin", o->d[idx].code);
        prev = cls;
        if (!pc_check_division(r, o, idx, o->d[idx].level, 4, out, why) ||
            !pc_check_parents(json_object_get(r, "chain"), o, idx, out, why))
            return false;
        if (!(level_mask >> o->d[idx].level & 1) || (parent >= 0 && !pc_is_under(o, idx, parent)))
            return say(why, "%s: level or parent filtered out", o->d[idx].code);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ac_str(json_object_get(json_array_get(res, j), "code")), o->d[idx].code))
                return say(why, "%s twice", o->d[idx].code);
    }
    return true;
}

const json_t *pc_find_result(const json_t *js, const char *name, int *pos)
{
    const json_t *res = json_object_get(js, "results");
    for (*pos = 0; (size_t)*pos < json_array_size(res); (*pos)++)
        if (!strcmp(ac_str(json_object_get(json_array_get(res, (size_t)*pos), "name")), name))
            return json_array_get(res, (size_t)*pos);
    *pos = -1;
    return NULL;
}

bool pc_exact_or_crowded(const json_t *js, const char *code, size_t limit)
{
    const json_t *res = json_object_get(js, "results");
    for (size_t i = 0; i < json_array_size(res); i++) {
        const json_t *r = json_array_get(res, i);
        if (!strcmp(ac_str(json_object_get(r, "code")), code))
            return !strcmp(ac_str(json_object_get(r, "match")), "exact");
    }
    const json_t *last = json_array_get(res, json_array_size(res) - 1);
    return json_array_size(res) == limit &&
           !strcmp(ac_str(json_object_get(last, "match")), "exact");
}

/* ---- the search oracle ---- */

/* names.h's place suffixes, longest first */
static const char *const suffixes[] = {"社区居民委员会",
                                       "居民委员会",
                                       "村民委员会",
                                       "社区居委会",
                                       "街道办事处",
                                       "委员会",
                                       "居委会",
                                       "村委会",
                                       "管委会",
                                       "办事处",
                                       "管理处",
                                       "生产队",
                                       "街道",
                                       "社区",
                                       "居委",
                                       "区",
                                       "街",
                                       "镇",
                                       "乡",
                                       "村",
                                       "县",
                                       "市",
                                       NULL};

#define MAX_STRIP 7 /* characters the suffix rule removes at most, in all */

/* Marks in *gone (bit k: a core is the name without its last k characters) every core of
 * c[0..len), having removed `removed` characters already. */
static void cores(const uint32_t *c, size_t len, size_t removed, unsigned *gone)
{
    for (int i = 0; suffixes[i]; i++) {
        uint32_t s[8];
        size_t k = pc_utf8_decode(suffixes[i], s, 8);
        if (removed + k > MAX_STRIP || len < k + 2 || memcmp(c + len - k, s, k * sizeof *s))
            continue;
        *gone |= 1u << (removed + k);
        cores(c, len - k, removed + k, gone);
    }
}

/* The best class of q in name d, or -1 when q is not in it. */
static int classify(const struct pc_div *d, const uint32_t *q, size_t nq)
{
    int best = -1;
    for (size_t at = 0; at + nq <= d->ncp && best != PC_EXACT; at++) {
        if (memcmp(d->cp + at, q, nq * sizeof *q))
            continue;
        unsigned gone = 0;
        if (at == 0)
            cores(d->cp, d->ncp, 0, &gone);
        int cls = at ? PC_SUBSTRING
                  : nq == d->ncp || (d->ncp - nq <= MAX_STRIP && ((gone >> (d->ncp - nq)) & 1))
                      ? PC_EXACT
                      : PC_PREFIX;
        if (best < 0 || cls < best)
            best = cls;
    }
    return best;
}

static const struct pc_oracle *sort_oracle; /* qsort has no user data */

static int by_rank(const void *a, const void *b)
{
    const struct pc_hit *x = a, *y = b;
    size_t lx = sort_oracle->d[x->idx].ncp, ly = sort_oracle->d[y->idx].ncp;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

size_t pc_search_hanzi(const struct pc_oracle *o, const char *q, unsigned level_mask,
                       int32_t parent, size_t limit, struct pc_hit *out)
{
    uint32_t cq[256];
    size_t nq = pc_utf8_decode(q, cq, 256), n = 0;
    if (nq == SIZE_MAX || nq == 0)
        return 0;
    for (size_t i = 0; i < o->n; i++) {
        const struct pc_div *d = &o->d[i];
        if (!(level_mask >> d->level & 1) || (parent >= 0 && !pc_is_under(o, (int32_t)i, parent)))
            continue;
        int cls = classify(d, cq, nq);
        if (cls >= 0)
            out[n++] = (struct pc_hit){(int32_t)i, cls};
    }
    sort_oracle = o;
    qsort(out, n, sizeof *out, by_rank);
    return n < limit ? n : limit;
}

/* ---- facilities and /v1/shake ---- */

const char *const pc_shake_cats[PC_SHAKE_NCAT] = {"community_center", "hospital", "relief_station",
                                                  "elderly_care", "shelter"};

size_t pc_nearest(const struct oracle *f, double lon, double lat, int cat, size_t k,
                  struct oracle_hit *out)
{
    size_t n = 0;
    for (size_t i = 0; k && i < f->n; i++) { /* by ascending id: a tie keeps the earlier */
        const struct oracle_fac *a = &f->fac[i];
        if (a->cat != cat)
            continue;
        struct oracle_hit h = {a, 0, 0};
        h.d = oracle_distance(f, lon, lat, a->lon, a->lat, &h.azi);
        if (n == k && !(h.d < out[k - 1].d))
            continue;
        size_t j = n < k ? n++ : k - 1;
        for (; j > 0 && h.d < out[j - 1].d; j--)
            out[j] = out[j - 1];
        out[j] = h;
    }
    return n;
}

size_t pc_facility_rows(struct pc_oracle *o, struct pc_frow *r, double *lon, double *lat,
                        size_t cap, char why[PC_WHY])
{
    sqlite3_stmt *st = sc_prep(o->c.db,
                               "SELECT id, source, source_key, lon, lat, division_code"
                               " FROM facility ORDER BY id",
                               why);
    size_t n = 0;
    while (st && n < cap && sqlite3_step(st) == SQLITE_ROW) {
        const char *src = (const char *)sqlite3_column_text(st, 1);
        const char *key = (const char *)sqlite3_column_text(st, 2);
        const char *code = (const char *)sqlite3_column_text(st, 5);
        r[n].id = (uint32_t)sqlite3_column_int64(st, 0);
        snprintf(r[n].source, sizeof r->source, "%s", src ? src : "");
        snprintf(r[n].key, sizeof r->key, "%s", key ? key : "");
        snprintf(r[n].code, sizeof r->code, "%s", code ? code : "");
        r[n].has_code = code != NULL;
        lon[n] = sqlite3_column_double(st, 3);
        lat[n++] = sqlite3_column_double(st, 4);
    }
    sqlite3_finalize(st);
    return n;
}

bool pc_shake_expect(struct pc_oracle *o, const struct oracle *f, double lon, double lat, bool full,
                     struct pc_shake *x, char why[PC_WHY])
{
    x->resp = 0;
    if (!pc_locate(o, lon, lat, false, x->at, why) ||
        (x->at[3] >= 0 && !pc_responsible(o, o->d[x->at[3]].code, &x->resp, why)))
        return false;
    for (int c = 0; c < PC_SHAKE_NCAT; c++)
        x->nnear[c] = full || c == 0 ? pc_nearest(f, lon, lat, oracle_category(f, pc_shake_cats[c]),
                                                  PC_SHAKE_K, x->near[c])
                                     : 0;
    return true;
}

bool pc_other_nearer(const struct pc_shake *x)
{
    return x->resp && x->nnear[0] && x->near[0][0].f->id != x->resp;
}

bool pc_check_shake(const json_t *js, const struct pc_oracle *o, const struct oracle *f,
                    const struct pc_shake *x, double lon, double lat, enum crs_id out,
                    char why[PC_WHY])
{
    const json_t *place = json_object_get(js, "place"), *resp = json_object_get(js, "responsible");
    const json_t *near = json_object_get(js, "nearby");
    if (json_object_size(js) != 3 || !place || !resp || json_object_size(near) != PC_SHAKE_NCAT)
        return say(why, "not {place, responsible, nearby{%d categories}}", PC_SHAKE_NCAT);
    if (!pc_check_chain(place, o, x->at, out, why))
        return false;
    json_int_t rid = json_integer_value(json_object_get(resp, "id"));
    if (x->resp ? rid != x->resp : !json_is_null(resp))
        return say(why, "responsible is %lld, expected %u (the nearest centre is %u)",
                   (long long)rid, x->resp, x->nnear[0] ? x->near[0][0].f->id : 0);
    if (x->resp) {
        struct oracle_hit h = {oracle_get(f, x->resp), 0, 0};
        h.d = h.f ? oracle_distance(f, lon, lat, h.f->lon, h.f->lat, &h.azi) : 0;
        if (!h.f)
            return say(why, "responsible %u is not a live facility", x->resp);
        if (ac_check_facility(resp, f, h.f, out, &h, false, why))
            return false;
    }
    for (int c = 0; c < PC_SHAKE_NCAT; c++)
        if (ac_check_results(json_object_get(near, pc_shake_cats[c]), f, x->near[c], x->nnear[c],
                             out, why)) {
            size_t m = strlen(why);
            snprintf(why + m, PC_WHY - m, " (nearby %s)", pc_shake_cats[c]);
            return false;
        }
    return true;
}

int pc_csv_split(char *line, char **fl, int max)
{
    int n = 0;
    char *w = line;
    bool quoted = false;
    fl[n++] = w;
    for (char *r = line; *r && *r != '\n' && *r != '\r'; r++) {
        if (*r == '"')
            quoted = !quoted;
        else if (*r == ',' && !quoted && n < max)
            *w++ = '\0', fl[n++] = w;
        else
            *w++ = *r;
    }
    *w = '\0';
    return n;
}

/* oracle.c - the API tests' independent answers (see oracle.h). */
#include "tests/lib/oracle.h"

#include "index/hours.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return s ? strdup((const char *)s) : NULL;
}

static bool load_categories(struct oracle *o, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT id, idx, name_zh FROM category ORDER BY idx", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(err, errlen, "category: %s", sqlite3_errmsg(db));
        return false;
    }
    bool ok = true;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        int idx = sqlite3_column_int(st, 1);
        ok = idx == (int)o->ncat && idx < ORACLE_MAX_CATS;
        if (!ok)
            snprintf(err, errlen, "category idx %d out of sequence", idx);
        else {
            o->cat_id[idx] = dup_col(st, 0);
            o->cat_name[idx] = dup_col(st, 2);
            o->ncat++;
        }
    }
    sqlite3_finalize(st);
    return ok;
}

static bool load_facilities(struct oracle *o, sqlite3 *db, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT id, category, lon, lat, name, address, phone, hours, division_code, source, "
        "version FROM facility WHERE deleted = 0 ORDER BY id";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "facility: %s", sqlite3_errmsg(db));
        return false;
    }
    size_t cap = 0;
    bool ok = true;
    int rc;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->n == cap) {
            cap = cap ? cap * 2 : 4096;
            struct oracle_fac *p = realloc(o->fac, cap * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                ok = false;
                break;
            }
            o->fac = p;
        }
        struct oracle_fac *f = &o->fac[o->n];
        f->id = (uint32_t)sqlite3_column_int64(st, 0);
        f->cat = oracle_category(o, (const char *)sqlite3_column_text(st, 1));
        f->lon = sqlite3_column_double(st, 2);
        f->lat = sqlite3_column_double(st, 3);
        f->name = dup_col(st, 4);
        f->address = dup_col(st, 5);
        f->phone = dup_col(st, 6);
        f->hours = dup_col(st, 7);
        f->division_code = dup_col(st, 8);
        f->source = dup_col(st, 9);
        f->version = sqlite3_column_int64(st, 10);
        o->n++;
        if (f->cat < 0) {
            snprintf(err, errlen, "facility %u has an unknown category", f->id);
            ok = false;
        } else {
            o->cat_count[f->cat]++;
            o->max_id = f->id;
        }
    }
    if (ok && rc != SQLITE_DONE) {
        snprintf(err, errlen, "facility: %s", sqlite3_errmsg(db));
        ok = false;
    }
    sqlite3_finalize(st);
    return ok;
}

bool oracle_load(struct oracle *o, const char *db, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    geod_init(&o->g, 6378137, 1 / 298.257223563);
    sqlite3 *h;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", db, h ? sqlite3_errmsg(h) : "cannot open");
        sqlite3_close(h);
        return false;
    }
    bool ok = load_categories(o, h, err, errlen) && load_facilities(o, h, err, errlen);
    sqlite3_close(h);
    if (!ok)
        oracle_free(o);
    return ok;
}

void oracle_free(struct oracle *o)
{
    for (size_t i = 0; i < o->n; i++) {
        struct oracle_fac *f = &o->fac[i];
        free(f->name);
        free(f->address);
        free(f->phone);
        free(f->hours);
        free(f->division_code);
        free(f->source);
    }
    free(o->fac);
    for (size_t i = 0; i < o->ncat; i++) {
        free(o->cat_id[i]);
        free(o->cat_name[i]);
    }
    memset(o, 0, sizeof *o);
}

const struct oracle_fac *oracle_get(const struct oracle *o, uint64_t id)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->fac[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < o->n && o->fac[lo].id == id ? &o->fac[lo] : NULL;
}

int oracle_category(const struct oracle *o, const char *id)
{
    for (size_t i = 0; id && i < o->ncat; i++)
        if (strcmp(o->cat_id[i], id) == 0)
            return (int)i;
    return -1;
}

double oracle_distance(const struct oracle *o, double lon1, double lat1, double lon2, double lat2,
                       double *azi)
{
    double s12, azi1, azi2;
    geod_inverse(&o->g, lat1, lon1, lat2, lon2, &s12, &azi1, &azi2);
    if (azi) {
        if (azi1 < 0)
            azi1 += 360;
        *azi = azi1 >= 360 ? 0 : azi1;
    }
    return s12;
}

static int by_distance_then_id(const void *a, const void *b)
{
    const struct oracle_hit *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->f->id < y->f->id ? -1 : x->f->id > y->f->id;
}

void oracle_rank(const struct oracle *o, double lon, double lat, struct oracle_hit *hits)
{
    for (size_t i = 0; i < o->n; i++) {
        hits[i].f = &o->fac[i];
        hits[i].d = oracle_distance(o, lon, lat, o->fac[i].lon, o->fac[i].lat, &hits[i].azi);
    }
    qsort(hits, o->n, sizeof *hits, by_distance_then_id);
}

size_t oracle_select(const struct oracle *o, const struct oracle_hit *ranked,
                     const struct oracle_filter *fl, struct oracle_hit *out)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n && n < fl->k; i++) {
        const struct oracle_hit *h = &ranked[i];
        if (!(h->d <= fl->radius))
            break;
        if (!(fl->mask >> h->f->cat & 1) || (fl->q && !strstr(h->f->name, fl->q)) ||
            (fl->open_now && !hours_open(h->f->hours, fl->weekday, fl->minute)))
            continue;
        out[n++] = *h;
    }
    return n;
}

void oracle_geohash(double lon, double lat, char out[13])
{
    static const char base32[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    double lo[2] = {-180, -90}, hi[2] = {180, 90}, v[2] = {lon, lat};
    int bit = 0;
    for (int c = 0; c < 12; c++) {
        int idx = 0;
        for (int b = 0; b < 5; b++, bit++) {
            int axis = bit % 2; /* even bits split longitude, odd ones latitude */
            double mid = (lo[axis] + hi[axis]) / 2;
            idx <<= 1;
            if (v[axis] >= mid) {
                idx |= 1;
                lo[axis] = mid;
            } else {
                hi[axis] = mid;
            }
        }
        out[c] = base32[idx];
    }
    out[12] = '\0';
}

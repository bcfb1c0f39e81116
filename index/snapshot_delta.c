/* snapshot_delta.c - derived snapshots (layout in snapshot_impl.h): a full base shared with
 * every snapshot derived from it, plus the facilities changed since. A change copies the delta's
 * lists (sharing the records), rebuilds the delta's small indexes and the per-snapshot tables
 * (category counts, who is responsible for each division): O(delta log delta + divisions),
 * whatever the number of facilities. Also the rebase of a compaction (snapshot.h). */
#include "index/geohash.h"
#include "index/snapshot_impl.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(DELTA_FILTER_BITS == 1 << 13, "snapshot_delta_hash gives 13 bits");

ssize_t snapshot_delta_find(const struct snapshot_delta *d, uint32_t id)
{
    if (!snapshot_delta_may_list(d, id))
        return -1;
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n && d->ids[lo] == id ? (ssize_t)lo : -1;
}

static void rec_release(struct snapshot_rec *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1)
        free(r);
}

static struct snapshot_rec *rec_retain(struct snapshot_rec *r)
{
    if (r)
        atomic_fetch_add(&r->refs, 1);
    return r;
}

void snapshot_delta_free(struct snapshot_delta *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        rec_release(d->rec[i]);
    free(d->ids);
    free(d->rec);
    free(d->was);
    rtree_free(d->tree);
    cluster_free(d->add);
    cluster_free(d->gone);
    free(d);
}

size_t snapshot_delta_bytes(const struct snapshot_delta *d)
{
    size_t b = sizeof *d + d->n * (sizeof *d->ids + sizeof *d->rec + sizeof *d->was);
    for (size_t i = 0; i < d->n; i++)
        if (d->rec[i])
            b += sizeof *d->rec[i] + strlen(d->rec[i]->f.source) + 1; /* roughly: the last string */
    if (d->tree)
        b += rtree_bytes(d->tree);
    if (d->add)
        b += cluster_bytes(d->add);
    if (d->gone)
        b += cluster_bytes(d->gone);
    return b;
}

/* A record of `in` (category index cat) with its strings in one block. */
static enum geod_err rec_new(const struct facility_in *in, int cat, struct snapshot_rec **out)
{
    const char *str[6] = {in->name,  in->address,       in->phone,
                          in->hours, in->division_code, in->source};
    size_t len = 0;
    for (int i = 0; i < 6; i++)
        len += str[i] ? strlen(str[i]) + 1 : 0;
    struct snapshot_rec *r = malloc(sizeof *r + len);
    if (!r)
        return GEOD_ENOMEM;
    atomic_init(&r->refs, 1);
    r->f = (struct facility){
        .id = in->id, .version = in->version, .cat = (uint8_t)cat, .lon = in->lon, .lat = in->lat};
    if (geohash_encode(in->lon, in->lat, 12, r->f.geohash)) {
        free(r);
        return GEOD_EINVAL;
    }
    cluster_prepare(&(struct rtree_item){in->lon, in->lat, in->id, (uint8_t)cat}, &r->cp);
    const char *at[6];
    char *p = r->str;
    for (int i = 0; i < 6; i++) {
        at[i] = NULL;
        if (str[i]) {
            size_t n = strlen(str[i]) + 1;
            memcpy(p, str[i], n);
            at[i] = p;
            p += n;
        }
    }
    r->f.name = at[0];
    r->f.address = at[1];
    r->f.phone = at[2];
    r->f.hours = at[3];
    r->f.division_code = at[4];
    r->f.source = at[5];
    *out = r;
    return GEOD_OK;
}

/* Sets id's record in d (room for one more entry made by the caller); takes rec's reference. */
static void delta_set(struct snapshot_delta *d, uint32_t id, struct snapshot_rec *rec)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->n && d->ids[lo] == id) {
        rec_release(d->rec[lo]);
        d->rec[lo] = rec;
        return;
    }
    memmove(d->ids + lo + 1, d->ids + lo, (d->n - lo) * sizeof *d->ids);
    memmove(d->rec + lo + 1, d->rec + lo, (d->n - lo) * sizeof *d->rec);
    memmove(d->was + lo + 1, d->was + lo, (d->n - lo) * sizeof *d->was);
    d->ids[lo] = id;
    d->rec[lo] = rec;
    d->was[lo].id = 0;
    d->n++;
}

/* d lists id (d's filter may not be set yet). */
static bool delta_lists(const struct snapshot_delta *d, uint32_t id)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n && d->ids[lo] == id;
}

static struct snapshot_delta *delta_new(size_t cap)
{
    struct snapshot_delta *d = calloc(1, sizeof *d);
    if (d) {
        d->ids = malloc((cap ? cap : 1) * sizeof *d->ids);
        d->rec = malloc((cap ? cap : 1) * sizeof *d->rec);
        d->was = malloc((cap ? cap : 1) * sizeof *d->was);
        if (!d->ids || !d->rec || !d->was) {
            free(d->ids);
            free(d->rec);
            free(d->was);
            free(d);
            d = NULL;
        }
    }
    return d;
}

static bool is_cc(const struct facility *f, int cc)
{
    return f && cc >= 0 && f->cat == cc && f->division_code;
}

static int32_t division_of(const struct snapshot *s, const struct facility *f)
{
    return divisions_find(s->div, f->division_code, strlen(f->division_code));
}

/* responsible[] of s (derived from base with delta d): the base's, except for the divisions
 * where a community_center was hidden or added: there the lowest live id of either. */
static enum geod_err link_responsible(struct snapshot *s, const struct snapshot *base)
{
    const struct snapshot_delta *d = s->delta;
    size_t nd = s->div->n;
    if (!(s->responsible = malloc((nd ? nd : 1) * sizeof *s->responsible)))
        return GEOD_ENOMEM;
    memcpy(s->responsible, base->responsible, nd * sizeof *s->responsible);
    int cc = snapshot_category(s, "community_center", strlen("community_center"));
    for (size_t i = 0; cc >= 0 && i < d->n; i++) { /* the base's candidate, hidden ones skipped */
        const struct facility *was = snapshot_base_get(base, d->ids[i]);
        const struct facility *now = d->rec[i] ? &d->rec[i]->f : NULL;
        int32_t dv[2] = {is_cc(was, cc) ? division_of(s, was) : -1,
                         is_cc(now, cc) ? division_of(s, now) : -1};
        for (int k = 0; k < 2; k++) {
            if (dv[k] < 0)
                continue;
            uint32_t pick = 0;
            for (uint32_t j = base->cc_at[dv[k]]; j < base->cc_at[dv[k] + 1] && !pick; j++)
                if (snapshot_delta_find(d, base->cc_id[j]) < 0)
                    pick = base->cc_id[j];
            s->responsible[dv[k]] = pick;
        }
    }
    for (size_t i = 0; cc >= 0 && i < d->n; i++) { /* then the delta's, lowest id first */
        const struct facility *now = d->rec[i] ? &d->rec[i]->f : NULL;
        int32_t dv = is_cc(now, cc) ? division_of(s, now) : -1;
        if (dv >= 0 && (!s->responsible[dv] || now->id < s->responsible[dv]))
            s->responsible[dv] = now->id;
    }
    return GEOD_OK;
}

/* The delta's indexes and counts, from its lists (the base's records it hides prepared here
 * the first time only). */
static enum geod_err index_delta(struct snapshot *s, const struct snapshot *base)
{
    struct snapshot_delta *d = s->delta;
    struct rtree_item *items = malloc((d->n ? d->n : 1) * sizeof *items);
    struct cluster_prepared *live = malloc((d->n ? d->n : 1) * sizeof *live);
    struct cluster_prepared *hidden = malloc((d->n ? d->n : 1) * sizeof *hidden);
    enum geod_err rc = GEOD_ENOMEM;
    if (!items || !live || !hidden)
        goto done;
    d->nlive = d->nhidden = 0;
    memset(d->filter, 0, sizeof d->filter);
    for (size_t i = 0; i < d->n; i++) {
        uint32_t h = snapshot_delta_hash(d->ids[i]);
        d->filter[h >> 6] |= 1ull << (h & 63);
        const struct facility *was = snapshot_base_get(base, d->ids[i]);
        if (was) {
            if (d->was[i].id != was->id)
                cluster_prepare(&(struct rtree_item){was->lon, was->lat, was->id, was->cat},
                                &d->was[i]);
            hidden[d->nhidden++] = d->was[i];
            s->cats[was->cat].count--;
        }
        if (d->rec[i]) {
            const struct facility *f = &d->rec[i]->f;
            items[d->nlive] = (struct rtree_item){f->lon, f->lat, f->id, f->cat};
            live[d->nlive++] = d->rec[i]->cp;
            s->cats[f->cat].count++;
        }
    }
    s->n = base->n - d->nhidden + d->nlive;
    rc = GEOD_OK;
    if (d->nlive && !(rc = rtree_build(items, d->nlive, &d->tree)))
        rc = cluster_build_prepared(live, d->nlive, &d->add);
    if (!rc && d->nhidden)
        rc = cluster_build_prepared(hidden, d->nhidden, &d->gone);
done:
    free(items);
    free(live);
    free(hidden);
    return rc;
}

/* A snapshot of base changed by d (taken over, also on failure). */
static enum geod_err overlay_new(const struct snapshot *base, struct snapshot_delta *d,
                                 uint64_t generation, const int64_t seq[2], struct snapshot **out)
{
    *out = NULL;
    struct snapshot *s = calloc(1, sizeof *s);
    if (!s) {
        snapshot_delta_free(d);
        return GEOD_ENOMEM;
    }
    atomic_init(&s->refs, 1);
    s->generation = generation;
    s->seq[0] = seq[0];
    s->seq[1] = seq[1];
    s->ncat = base->ncat;
    memcpy(s->cats, base->cats, sizeof s->cats);
    s->fac = base->fac;
    s->nfac = base->nfac;
    s->tree = base->tree;
    s->clusters = base->clusters;
    s->slot = base->slot;
    s->max_id = base->max_id;
    s->div = base->div;
    s->div_names = base->div_names;
    s->pinyin = base->pinyin;
    s->overrides = base->overrides;
    s->ent = base->ent;
    snapshot_parts_retain(base->parts);
    s->parts = base->parts;
    s->base = snapshot_ref(base);
    s->delta = d;
    enum geod_err rc = index_delta(s, base);
    if (!rc)
        rc = link_responsible(s, base);
    if (rc) {
        snapshot_free(s);
        return rc;
    }
    *out = s;
    return GEOD_OK;
}

enum geod_err snapshot_derive_n(const struct snapshot *cur, const struct snapshot_change *ch,
                                size_t n, uint64_t generation, struct snapshot **out)
{
    *out = NULL;
    const struct snapshot *base = cur->base ? cur->base : cur;
    const struct snapshot_delta *od = cur->delta;
    struct snapshot_rec **rec = calloc(n ? n : 1, sizeof *rec);
    if (!rec)
        return GEOD_ENOMEM;
    enum geod_err rc = GEOD_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct facility_in *put = ch[i].put;
        if (!put)
            continue;
        int cat = put->category ? snapshot_category(cur, put->category, strlen(put->category)) : -1;
        if (cat < 0 || put->id == 0 || !put->name || !put->source ||
            !(put->lon >= -180 && put->lon <= 180 && put->lat >= -90 && put->lat <= 90))
            rc = GEOD_EINVAL;
        else
            rc = rec_new(put, cat, &rec[i]);
    }
    struct snapshot_delta *d = rc ? NULL : delta_new((od ? od->n : 0) + 2 * n);
    if (!d) {
        for (size_t i = 0; i < n; i++)
            rec_release(rec[i]);
        free(rec);
        return rc ? rc : GEOD_ENOMEM;
    }
    for (size_t i = 0; od && i < od->n; i++) {
        d->ids[i] = od->ids[i];
        d->rec[i] = rec_retain(od->rec[i]);
    }
    if (od) /* prepared against the same base */
        memcpy(d->was, od->was, od->n * sizeof *d->was);
    d->n = od ? od->n : 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t drop = ch[i].drop;
        /* an id neither the base nor the delta holds needs no entry to be gone */
        if (drop && (snapshot_base_get(base, drop) || delta_lists(d, drop)))
            delta_set(d, drop, NULL);
        if (rec[i])
            delta_set(d, rec[i]->f.id, rec[i]);
    }
    free(rec);
    return overlay_new(base, d, generation, cur->seq, out);
}

enum geod_err snapshot_derive(const struct snapshot *cur, const struct facility_in *put,
                              uint32_t drop, uint64_t generation, struct snapshot **out)
{
    struct snapshot_change ch = {.put = put, .drop = drop};
    return snapshot_derive_n(cur, &ch, 1, generation, out);
}

size_t snapshot_delta_len(const struct snapshot *s)
{
    return s->delta ? s->delta->n : 0;
}

enum geod_err snapshot_rebase(const struct snapshot *cur, const struct snapshot *from,
                              const struct snapshot *full, struct snapshot **out)
{
    *out = NULL;
    const struct snapshot *cb = cur->base ? cur->base : cur;
    const struct snapshot *fb = from->base ? from->base : from;
    const struct snapshot_delta *cd = cur->delta, *fd = from->delta;
    if (cb != fb || (fd && !cd) || (fd && cd->n < fd->n))
        return GEOD_ENOTFOUND;
    /* what changed after `from`: ids it does not list, or lists with another record */
    struct snapshot_delta *d = delta_new(cd ? cd->n : 0);
    if (!d)
        return GEOD_ENOMEM;
    size_t seen = 0;
    for (size_t i = 0; cd && i < cd->n; i++) {
        ssize_t j = fd ? snapshot_delta_find(fd, cd->ids[i]) : -1;
        seen += j >= 0;
        if (j >= 0 && fd->rec[j] == cd->rec[i])
            continue;
        d->ids[d->n] = cd->ids[i];
        d->was[d->n].id = 0; /* full's records, not cur's base's */
        d->rec[d->n++] = rec_retain(cd->rec[i]);
    }
    if (fd && seen != fd->n) { /* from listed an id cur does not: not its descendant */
        snapshot_delta_free(d);
        return GEOD_ENOTFOUND;
    }
    if (!d->n && cur->generation == full->generation && cur->seq[0] == full->seq[0] &&
        cur->seq[1] == full->seq[1]) {
        snapshot_delta_free(d);
        *out = snapshot_ref(full);
        return GEOD_OK;
    }
    return overlay_new(full, d, cur->generation, cur->seq, out);
}

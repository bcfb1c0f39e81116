/* rtree_file.c - the R-tree in a snapshot file (snapshot_file.h): its flat arrays saved as they
 * are and used in place. The one place that knows which arrays a tree has: a change of the
 * layout (rtree_impl.h) changes this file and SNAPSHOT_FILE_FORMAT.
 *
 * Sections: struct rtree (pointers zeroed), the leaves (ceil(n / LEAF) blocks, at least one),
 * then each level's node blocks, bottom up; then,
 * when rare_mask is not 0, the tree of the rare points (the same sections, recursively) and its
 * rare_pos (rare->n positions in this tree). */
#include "index/rtree_impl.h"
#include "index/snapshot_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t nblocks(size_t count)
{
    return (count + FANOUT - 1) / FANOUT;
}

void rtree_file_put(const struct rtree *t, struct snapshot_file_writer *w)
{
    struct rtree h = *t;
    h.pts = NULL;
    for (int i = 0; i < MAX_LEVELS; i++)
        h.level[i].blk = NULL;
    h.mapped = false;
    h.rare = NULL;
    h.rare_pos = NULL;
    snapshot_file_put_copy(w, &h, sizeof h);
    size_t nb = (t->n + LEAF - 1) / LEAF;
    snapshot_file_put(w, t->pts, (nb ? nb : 1) * sizeof *t->pts);
    for (int i = 0; i < t->nlevels; i++)
        snapshot_file_put(w, t->level[i].blk, nblocks(t->level[i].count) * sizeof(struct nblk));
    if (t->rare_mask) {
        rtree_file_put(t->rare, w);
        snapshot_file_put(w, t->rare_pos, (t->rare->n ? t->rare->n : 1) * sizeof *t->rare_pos);
    }
}

/* The rare tree holds only points of rare_mask, each the point at its rare_pos in t (same id and
 * category; exact coordinates come by id from the caller's records, rtree.h). */
static bool rare_ok(const struct rtree *t)
{
    const struct rtree *r = t->rare;
    for (size_t p = 0; p < r->n; p++) {
        uint32_t pos = t->rare_pos[p];
        if (pos >= t->n || PBLK(r, p).id[PIN(p)] != PBLK(t, pos).id[PIN(pos)] ||
            PBLK(r, p).cat[PIN(p)] != PBLK(t, pos).cat[PIN(pos)] ||
            !(t->rare_mask >> PBLK(r, p).cat[PIN(p)] & 1))
            return false;
    }
    return true;
}

/* A rare tree's ids and categories are checked against its parent's (rare_ok). */
static bool any_n(void *u, uint32_t id, uint8_t cat)
{
    (void)u, (void)id, (void)cat;
    return true;
}

/* Padding slots (from count on) must stay out of every search: empty mask, NaN boxes. */
static bool level_ok(const struct level *l)
{
    size_t slots = nblocks(l->count) * FANOUT;
    for (size_t i = l->count; i < slots; i++) {
        const struct nblk *k = &SLOT(l->blk, i);
        if (k->mask[IN(i)])
            return false;
        for (int a = 0; a < 3; a++)
            if (!isnan(k->lo[a][IN(i)]) || !isnan(k->hi[a][IN(i)]))
                return false;
    }
    return true;
}

static enum geod_err take(struct snapshot_file_reader *r, size_t n, size_t max_n,
                         bool (*known)(void *u, uint32_t id, uint8_t cat), void *u,
                         struct rtree **out)
{
    *out = NULL;
    const struct rtree *h = snapshot_file_take(r, sizeof *h);
    if (!h)
        return GEOD_ECORRUPT;
    if (max_n) /* a rare tree: its n is in its header */
        n = h->n <= max_n ? h->n : SIZE_MAX;
    struct rtree *t = calloc(1, sizeof *t);
    if (!t)
        return GEOD_ENOMEM;
    memcpy(t, h, sizeof *t);
    t->mapped = true;
    t->rare = NULL;
    t->rare_pos = NULL;
    t->pts = NULL;
    for (int i = 0; i < MAX_LEVELS; i++)
        t->level[i].blk = NULL;
    size_t nb = (n + LEAF - 1) / LEAF;
    bool ok = t->n == n && n <= UINT32_MAX && t->nlevels >= 0 && t->nlevels <= MAX_LEVELS;
    /* the level counts the builder makes: leaves, then ceil(count / FANOUT) up to one */
    size_t count = nb;
    for (int i = 0; ok && i < MAX_LEVELS; i++) {
        bool used = n && (i == 0 || count > 1);
        if (i > 0 && used)
            count = nblocks(count);
        ok = used ? i < t->nlevels && t->level[i].count == count
                  : i >= t->nlevels && t->level[i].count == 0;
    }
    if (ok) {
        t->pts = snapshot_file_take(r, snapshot_file_mul(nb ? nb : 1, sizeof *t->pts));
        for (int i = 0; i < t->nlevels; i++)
            t->level[i].blk =
                snapshot_file_take(r, nblocks(t->level[i].count) * sizeof(struct nblk));
        ok = !r->bad;
    }
    for (size_t b = 0; ok && b < nb; b++) {
        const struct pblk *p = &t->pts[b];
        ok = p->count == (b + 1 < nb || n % LEAF == 0 ? LEAF : n % LEAF);
        for (int j = 0; ok && j < p->count; j++)
            ok = p->cat[j] < RTREE_MAX_CATEGORIES && known(u, p->id[j], p->cat[j]);
    }
    for (int i = 0; ok && i < t->nlevels; i++)
        ok = level_ok(&t->level[i]);
    if (ok && t->rare_mask) {
        /* at most n / RARE_DIV points: the nesting ends within MAX_LEVELS */
        ok = t->n / RARE_DIV > 0 && !take(r, 0, t->n / RARE_DIV, any_n, NULL, &t->rare);
        if (ok)
            ok = (t->rare_pos = snapshot_file_take(
                      r, snapshot_file_mul(t->rare->n ? t->rare->n : 1, sizeof *t->rare_pos))) &&
                 !r->bad && rare_ok(t);
    }
    if (!ok) {
        rtree_free(t);
        return GEOD_ECORRUPT;
    }
    *out = t;
    return GEOD_OK;
}

enum geod_err rtree_file_take(struct snapshot_file_reader *r, size_t n,
                              bool (*known)(void *u, uint32_t id, uint8_t cat), void *u,
                              struct rtree **out)
{
    return take(r, n, 0, known, u, out);
}

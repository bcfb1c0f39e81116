/* store_rtree.c - writes a SQLite R*Tree (a SpatiaLite spatial index, 2-D) in one go, packed by
 * Sort-Tile-Recursive, straight into its three shadow tables. SQLite has no bulk load: inserting
 * through the virtual table costs some 15 us a point (choose-leaf, forced reinsertion, splits),
 * the largest cost of an import; packing a million points and writing the nodes takes about a
 * second. GDAL's GeoPackage driver loads its R*Trees the same way.
 *
 * The format (SQLite's ext/rtree/rtree.c): %_node(nodeno, data) holds each node as a blob of
 * the tree's node size: 2 bytes of tree depth (root only), 2 bytes of cell count, then cells of an
 * 8-byte rowid or child node number and the box as 4 floats (xmin, xmax, ymin, ymax), all
 * big-endian; the root is node 1. %_rowid(rowid, nodeno) says which leaf holds each entry and
 * %_parent(nodeno, parentnode) each non-root node's parent. Coordinates are rounded outward to
 * float exactly as the virtual table rounds them (rtreeValueDown/Up), so the index holds the
 * same boxes as one built row by row. Nodes are packed to FILL_PCT %, leaving room for the rows
 * the write API adds later. */
#include "data/store_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RNDTOWARDS (1.0 - 1.0 / 8388608.0)
#define RNDAWAY (1.0 + 1.0 / 8388608.0)
#define CELL 24 /* rowid + 4 floats */
#define FILL_PCT 70 /* how full a node is packed (SQLite's R*Tree keeps nodes >= 1/3 full) */

float store_rtree_down(double d)
{
    float f = (float)d;
    if (f > d)
        f = (float)(d * (d < 0 ? RNDAWAY : RNDTOWARDS));
    return f;
}

float store_rtree_up(double d)
{
    float f = (float)d;
    if (f < d)
        f = (float)(d * (d < 0 ? RNDTOWARDS : RNDAWAY));
    return f;
}

struct item {
    int64_t id; /* a rowid at the leaves, a node number above */
    float box[4]; /* xmin, xmax, ymin, ymax */
};

static int by_x(const void *a, const void *b)
{
    const struct item *p = a, *q = b;
    float x = p->box[0] + p->box[1], y = q->box[0] + q->box[1];
    if (x != y)
        return x < y ? -1 : 1;
    return (p->id > q->id) - (p->id < q->id);
}

static int by_y(const void *a, const void *b)
{
    const struct item *p = a, *q = b;
    float x = p->box[2] + p->box[3], y = q->box[2] + q->box[3];
    if (x != y)
        return x < y ? -1 : 1;
    return (p->id > q->id) - (p->id < q->id);
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

struct writer {
    struct store *s;
    sqlite3_stmt *node, *rowid, *parent;
    unsigned char *blob;
    int size; /* node size in bytes */
    int64_t next; /* the next node number */
};

/* Writes node `no` holding items[0..n) at `depth` above the leaves (0: a leaf; its items are
 * entries), the root's depth bytes set when it is the root. */
static enum geod_err write_node(struct writer *w, int64_t no, const struct item *it, size_t n,
                                int depth, int tree_depth)
{
    memset(w->blob, 0, (size_t)w->size);
    if (no == 1)
        put_be(w->blob, (uint64_t)tree_depth, 2);
    put_be(w->blob + 2, n, 2);
    for (size_t i = 0; i < n; i++) {
        unsigned char *c = w->blob + 4 + i * CELL;
        put_be(c, (uint64_t)it[i].id, 8);
        for (int k = 0; k < 4; k++) {
            uint32_t bits;
            memcpy(&bits, &it[i].box[k], 4);
            put_be(c + 8 + 4 * k, bits, 4);
        }
        sqlite3_stmt *link = depth == 0 ? w->rowid : w->parent;
        sqlite3_bind_int64(link, 1, it[i].id);
        sqlite3_bind_int64(link, 2, no);
        if (store_step_done(link))
            return GEOD_ESTORE;
    }
    sqlite3_bind_int64(w->node, 1, no);
    sqlite3_bind_blob(w->node, 2, w->blob, w->size, SQLITE_STATIC);
    return store_step_done(w->node);
}

/* One level up: items[0..*n) packed into nodes of at most cap (written), replaced by the nodes'
 * boxes. At the top (*n <= cap), the root. */
static enum geod_err pack(struct writer *w, struct item *it, size_t *n, size_t cap, int depth,
                          int tree_depth)
{
    if (*n <= cap) /* the root */
        return write_node(w, 1, it, *n, depth, tree_depth);
    size_t nodes = (*n + cap - 1) / cap;
    size_t slices = (size_t)ceil(sqrt((double)nodes));
    size_t per_slice = slices * cap;
    qsort(it, *n, sizeof *it, by_x);
    for (size_t s = 0; s < *n; s += per_slice)
        qsort(it + s, *n - s < per_slice ? *n - s : per_slice, sizeof *it, by_y);
    size_t out = 0;
    for (size_t s = 0; s < *n; s += per_slice) {
        size_t end = *n - s < per_slice ? *n : s + per_slice;
        for (size_t i = s; i < end; i += cap) {
            size_t k = end - i < cap ? end - i : cap;
            struct item up = {.id = w->next++,
                              .box = {INFINITY, -INFINITY, INFINITY, -INFINITY}};
            for (size_t j = i; j < i + k; j++) {
                up.box[0] = fminf(up.box[0], it[j].box[0]);
                up.box[1] = fmaxf(up.box[1], it[j].box[1]);
                up.box[2] = fminf(up.box[2], it[j].box[2]);
                up.box[3] = fmaxf(up.box[3], it[j].box[3]);
            }
            enum geod_err rc = write_node(w, up.id, it + i, k, depth, tree_depth);
            if (rc)
                return rc;
            it[out++] = up; /* out <= i: nothing unread is overwritten */
        }
    }
    *n = out;
    return GEOD_OK;
}

enum geod_err store_rtree_load(struct store *s, const char *rtree, const char *select)
{
    char sql[512];
    struct writer w = {.s = s, .next = 2};
    struct item *it = NULL;
    size_t n = 0, cap = 0;
    enum geod_err rc = GEOD_ESTORE;
    sqlite3_stmt *st = NULL;
    int64_t size = 0;
    snprintf(sql, sizeof sql, "SELECT length(data) FROM \"%s_node\" WHERE nodeno = 1", rtree);
    if (store_query_int(s, sql, &size) || size < 4 + 2 * CELL || size > 65536)
        return GEOD_ECORRUPT;
    w.size = (int)size;
    /* nodes filled to FILL_PCT % only: SQLite inserts a later row into a full node by a forced
     * reinsert or a split, which moves a third to a half of its cells, each moving cell
     * rewriting its %_rowid (or %_parent) row on a page of its own (some 50 pages a write at
     * a million facilities, against 9 when the leaf has room) */
    size_t fan = (size_t)(size - 4) / CELL * FILL_PCT / 100;
    /* the entries */
    if (sqlite3_prepare_v2(s->db, select, -1, &st, NULL) != SQLITE_OK)
        goto out;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t c = cap ? 2 * cap : 4096;
            struct item *a = realloc(it, c * sizeof *a);
            if (!a) {
                rc = GEOD_ENOMEM;
                goto out;
            }
            it = a;
            cap = c;
        }
        double x = sqlite3_column_double(st, 1), y = sqlite3_column_double(st, 2);
        it[n++] = (struct item){.id = sqlite3_column_int64(st, 0),
                                .box = {store_rtree_down(x), store_rtree_up(x),
                                        store_rtree_down(y), store_rtree_up(y)}};
    }
    if (r != SQLITE_DONE)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    /* the depth: levels above the leaves */
    int depth = 0;
    for (size_t m = n; m > fan; m = (m + fan - 1) / fan)
        depth++;
    /* the old tree out, the new one in */
    const char *const clear[] = {"DELETE FROM \"%s_node\"", "DELETE FROM \"%s_rowid\"",
                                 "DELETE FROM \"%s_parent\""};
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, clear[i], rtree);
        if (store_exec(s, sql))
            goto out;
    }
    const char *const ins[] = {"INSERT INTO \"%s_node\" (nodeno, data) VALUES (?1, ?2)",
                               "INSERT INTO \"%s_rowid\" (rowid, nodeno) VALUES (?1, ?2)",
                               "INSERT INTO \"%s_parent\" (nodeno, parentnode) VALUES (?1, ?2)"};
    sqlite3_stmt **stmts[] = {&w.node, &w.rowid, &w.parent};
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, ins[i], rtree);
        if (sqlite3_prepare_v2(s->db, sql, -1, stmts[i], NULL) != SQLITE_OK)
            goto out;
    }
    if (!(w.blob = malloc((size_t)w.size))) {
        rc = GEOD_ENOMEM;
        goto out;
    }
    rc = GEOD_OK;
    for (int level = 0; !rc; level++) {
        bool root = n <= fan;
        rc = pack(&w, it, &n, fan, level, depth);
        if (root)
            break;
    }
out:
    sqlite3_finalize(st);
    sqlite3_finalize(w.node);
    sqlite3_finalize(w.rowid);
    sqlite3_finalize(w.parent);
    free(w.blob);
    free(it);
    return rc;
}

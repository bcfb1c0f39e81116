/* fuzz_snapshot_file.c - a snapshot file's sections (index/snapshot_file.h) on hostile bytes:
 * the input is taken as a file whose header is then made to hold (key, length and checksums
 * patched, since no fuzzer forges them), so every section check is reached; reading never
 * crashes, and a snapshot it accepts answers a query and is freed. */
#include "index/rtree.h"
#include "index/snapshot_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* rtree_query.coords: every id a tree read from a file holds is a record's (checked on read). */
static void coords(const void *cdata, uint32_t id, double *lon, double *lat)
{
    const struct facility *f = snapshot_get(cdata, id);
    if (!f)
        __builtin_trap();
    *lon = f->lon;
    *lat = f->lat;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void release(void *ctx)
{
    free(ctx);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const struct snapshot_file_key key = {.build_id = {1}, .stamp = 1, .schema = 1};
    struct snapshot_file_header *h;
    if (size < sizeof *h || size > (64u << 20))
        return 0;
    uint8_t *buf = aligned_alloc(4096, (size + 4095) / 4096 * 4096);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    h = (void *)buf;
    /* the magic, format, byte order and layout as the input has them: a wrong one is refused */
    h->key = key;
    h->bytes = size;
    h->sum = snapshot_file_sum(buf + sizeof *h, size - sizeof *h);
    h->header_sum = 0;
    h->header_sum = snapshot_file_sum(h, sizeof *h);
    if (snapshot_file_check(buf, size, &key, true) != SNAPSHOT_FILE_OK) {
        free(buf);
        return 0;
    }
    struct snapshot_builder *b;
    if (snapshot_builder_new(&b)) {
        free(buf);
        return 0;
    }
    if (snapshot_file_read(b, buf, size, release, buf)) {
        snapshot_builder_free(b);
        free(buf);
        return 0;
    }
    struct snapshot *s;
    if (snapshot_builder_finish(b, 1, &s)) /* frees buf through release */
        return 0;
    struct rtree_scratch *sc;
    struct rtree_hit hits[8];
    size_t n = 0;
    struct rtree_query q = {.lon = 114.3, .lat = 30.6, .k = 8, .max_m = INFINITY,
                            .cat_mask = ~0ull, .coords = coords, .cdata = s};
    if (rtree_scratch_new(&sc) == GEOD_OK) {
        if (rtree_nearest(s->tree, &q, sc, hits, &n) == GEOD_OK)
            for (size_t i = 0; i < n; i++)
                if (!snapshot_get(s, hits[i].id))
                    __builtin_trap();
        rtree_scratch_free(sc);
    }
    snapshot_free(s);
    return 0;
}

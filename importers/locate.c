/* locate.c - a region index over the store's divisions, for assigning division codes on write. */
#include "importers/locate.h"
#include "index/region.h"

#include <stdlib.h>

struct locator {
    struct divisions *div;
    struct region_index *region;
};

enum geod_err locator_new(struct store *s, struct locator **out)
{
    *out = NULL;
    struct locator *l = calloc(1, sizeof *l);
    struct divisions_builder *db = NULL;
    enum geod_err rc = l ? divisions_builder_new(&db) : GEOD_ENOMEM;
    if (!rc && (rc = store_load_divisions(s, db)))
        divisions_builder_free(db);
    else if (!rc)
        rc = divisions_builder_finish(db, &l->div);
    struct region_src *src = NULL;
    if (!rc && !(src = malloc((l->div->n ? l->div->n : 1) * sizeof *src)))
        rc = GEOD_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < l->div->n; i++) {
            const struct division *d = &l->div->d[i];
            src[i] = (struct region_src){d->code, (int)d->level, d->wkb, d->wkb_len};
        }
        rc = region_index_new(src, l->div->n, &l->region);
    }
    free(src);
    if (rc) {
        locator_free(l);
        return rc;
    }
    *out = l;
    return GEOD_OK;
}

void locator_free(struct locator *l)
{
    if (!l)
        return;
    region_index_free(l->region);
    divisions_free(l->div);
    free(l);
}

const char *locator_code(struct locator *l, double lon, double lat)
{
    for (int level = REGION_COMMUNITY; level >= REGION_DISTRICT; level--) {
        const char *code = NULL;
        if (region_locate(l->region, lon, lat, level, &code) == GEOD_OK && code)
            return code;
    }
    return NULL;
}

const struct divisions *locator_divisions(const struct locator *l)
{
    return l->div;
}

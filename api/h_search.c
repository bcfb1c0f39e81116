/* h_search.c - GET /v1/places/search: divisions by Chinese name, full pinyin or initials
 * (index/names.h), ranked exact > prefix > substring, each with its parent chain and centre. */
#include "api/params.h"
#include "api/render.h"

#include <string.h>

#define DEFAULT_LIMIT 20
#define MAX_LIMIT 100

static const char *const class_names[] = {"exact", "prefix", "substring"};
static const char *const how_names[] = {"hanzi", "mixed", "pinyin", "initials"};

struct under {
    const struct divisions *t;
    int32_t ancestor; /* only divisions below it (not itself) */
};

static bool is_under(void *udata, uint32_t id)
{
    const struct under *u = udata;
    for (int32_t p = u->t->d[id].parent; p >= 0; p = u->t->d[p].parent)
        if (p == u->ancestor)
            return true;
    return false;
}

/* level=district,street: the group mask. */
static bool level_mask(struct api_req *r, uint32_t *mask)
{
    const struct query_param *p = query_get(&r->q, "level");
    *mask = NAMES_ALL_GROUPS;
    if (!p)
        return true;
    *mask = 0;
    const char *cur = p->value, *end = p->value + p->value_len, *item;
    size_t len;
    while (query_next_item(&cur, end, &item, &len)) {
        enum div_level l;
        if (div_level_parse(item, len, &l)) {
            api_fail(r, 400, "invalid_parameter",
                     "level must be city, district, street or community (or a list of them)",
                     "level");
            return false;
        }
        *mask |= 1u << l;
    }
    if (!*mask) {
        api_fail(r, 400, "invalid_parameter", "level must name at least one level", "level");
        return false;
    }
    return true;
}

static void write_hit(struct api_req *r, const struct names_hit *h, enum crs_id out)
{
    struct enc *e = r->th->enc;
    const struct divisions *t = r->snap->div;
    const struct division *d = &t->d[h->id];
    char pinyin[512];
    size_t need;
    bool has_pinyin = pinyin_name(r->snap->pinyin, r->snap->overrides, d->name, strlen(d->name),
                                  pinyin, sizeof pinyin, &need) == GEOD_OK;
    enc_map(e, RENDER_DIVISION_PAIRS + 4);
    render_division_pairs(e, t, (int32_t)h->id, d->level, out);
    enc_key(e, "pinyin");
    enc_cstr(e, has_pinyin ? pinyin : NULL);
    enc_key(e, "match");
    enc_cstr(e, class_names[h->cls]);
    enc_key(e, "how");
    enc_cstr(e, how_names[h->how]);
    enc_key(e, "chain"); /* the parents, from the city down */
    int32_t up[DIV_LEVELS];
    uint32_t n = 0;
    for (int32_t p = d->parent; p >= 0 && n < DIV_LEVELS; p = t->d[p].parent)
        up[n++] = p;
    enc_array(e, n);
    for (uint32_t i = n; i-- > 0;)
        render_division(e, t, up[i], t->d[up[i]].level, out);
    enc_end(e);
    enc_end(e);
}

void api_h_search(struct api_req *r)
{
    static const char *const allowed[] = {"q", "level", "parent", "limit", "out_crs", "crs", NULL};
    uint64_t limit;
    uint32_t mask;
    enum crs_id out;
    if (!params_allow(r, allowed) ||
        !params_uint(r, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT, false, &limit) ||
        !level_mask(r, &mask) || !params_out_crs(r, &out))
        return;
    const struct query_param *q = query_get(&r->q, "q");
    if (!q) {
        api_fail(r, 400, "missing_parameter", "q is required", "q");
        return;
    }
    struct under under = {r->snap->div, -1};
    const struct query_param *parent = query_get(&r->q, "parent");
    if (parent &&
        (under.ancestor = divisions_find(r->snap->div, parent->value, parent->value_len)) < 0) {
        api_fail(r, 400, "invalid_parameter", "parent must be the 12-digit code of a division",
                 "parent");
        return;
    }
    if (!r->snap->div_names) {
        api_fail(r, 503, "unavailable", "place search has no name index", NULL);
        return;
    }
    struct names_hit hits[MAX_LIMIT];
    size_t n;
    enum geod_err rc = names_search(r->snap->div_names, q->value, q->value_len, mask,
                                    parent ? is_under : NULL, &under, (size_t)limit, hits, &n);
    if (rc == GEOD_ERANGE) {
        api_fail(r, 400, "out_of_range", "q is longer than 64 characters", "q");
        return;
    }
    if (rc) {
        api_fail(r, 400, "invalid_parameter",
                 "q must be text: Chinese characters, pinyin or initials", "q");
        return;
    }
    if (r->fmt == FMT_GEOJSON)
        r->fmt = FMT_JSON;
    struct enc *e = r->th->enc;
    enc_reset(e, api_enc_format(r));
    enc_map(e, 2);
    enc_key(e, "results");
    enc_array(e, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        write_hit(r, &hits[i], out);
    enc_end(e);
    enc_key(e, "count");
    enc_uint(e, n);
    enc_end(e);
    api_send(r, 200);
}

/* synth.c - synthetic facilities for categories without open data. Placement: an anchor is drawn
 * with weight 1 / (1 + (d / 6 km)^2), d its distance from the city centre, and the facility is
 * put 80-780 m from it (closer more often) at a uniform bearing. Names follow local patterns;
 * addresses say 示例数据 (sample data) and phones stay unknown, so that no generated record can
 * be mistaken for, or dial, a real place. */
#include "data/synth.h"
#include "index/geodesic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CENTRE_LON 114.2986 /* 江汉路 / 江汉关, WGS-84 */
#define CENTRE_LAT 30.5845

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static size_t rng_below(struct rng *r, size_t n)
{
    return (size_t)(rng_unit(r) * (double)n);
}

struct gen {
    const struct synth_anchor *a;
    size_t n;
    double *cum; /* cumulative placement weights of the anchors */
    struct rng rng;
    synth_emit_fn emit;
    void *udata;
    const char *serial_cat; /* the category `serial` counts */
    unsigned serial;        /* per category, for source keys */
    uint64_t *names;        /* open-addressing set of FNV hashes of the names given out */
    size_t names_cap;       /* a power of two, kept under half full */
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h | 1; /* 0 marks an empty slot */
}

/* Claims `name` if no facility has it yet. */
static bool claim(struct gen *g, const char *name)
{
    uint64_t h = fnv(name);
    size_t i = h & (g->names_cap - 1);
    for (; g->names[i]; i = (i + 1) & (g->names_cap - 1))
        if (g->names[i] == h)
            return false;
    g->names[i] = h;
    return true;
}

static const struct synth_anchor *pick_anchor(struct gen *g)
{
    double u = rng_unit(&g->rng) * g->cum[g->n - 1];
    size_t lo = 0, hi = g->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &g->a[lo];
}

/* Emits one facility near anchor a. */
static enum geod_err put(struct gen *g, const struct synth_anchor *a, const char *category,
                         const char *name, const char *hours)
{
    /* a second 一元街道救助服务站 becomes 一元街道救助服务站（二）, so names tell places apart */
    static const char *const ordinal[] = {"二", "三", "四", "五", "六", "七", "八", "九", "十"};
    char unique[320];
    snprintf(unique, sizeof unique, "%s", name);
    for (size_t i = 0; !claim(g, unique); i++) {
        if (i < 9)
            snprintf(unique, sizeof unique, "%s（%s）", name, ordinal[i]);
        else
            snprintf(unique, sizeof unique, "%s（%zu）", name, i + 2);
    }
    name = unique;
    double d = 80.0 + 700.0 * pow(rng_unit(&g->rng), 2.0);
    double b = rng_unit(&g->rng) * 2.0 * M_PI;
    double lat = a->lat + d * cos(b) / 111320.0;
    double lon = a->lon + d * sin(b) / (111320.0 * cos(a->lat * M_PI / 180.0));
    char address[256], key[64];
    snprintf(address, sizeof address, "武汉市%s%s（示例数据）", a->district, a->street);
    if (!g->serial_cat || strcmp(g->serial_cat, category) != 0) {
        g->serial_cat = category;
        g->serial = 0;
    }
    snprintf(key, sizeof key, "%s:%u", category, ++g->serial);
    struct store_facility f = {
        .category = category,
        .name = name,
        .address = address,
        .phone = NULL,
        .hours = hours,
        .lon = round(lon * 1e7) / 1e7,
        .lat = round(lat * 1e7) / 1e7,
        .division_code = a->code,
        .source = SYNTH_SOURCE,
        .source_key = key,
    };
    return g->emit(g->udata, &f);
}

/* The street anchor of each district nearest the mean of the district's anchors. */
static enum geod_err per_district(struct gen *g, const char *category, const char *fmt,
                                  const char *hours)
{
    for (size_t i = 0; i < g->n; i++) {
        const char *district = g->a[i].district;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(g->a[j].district, district) == 0;
        if (seen)
            continue;
        double mlon = 0, mlat = 0;
        size_t m = 0;
        for (size_t j = i; j < g->n; j++) {
            if (strcmp(g->a[j].district, district) == 0) {
                mlon += g->a[j].lon;
                mlat += g->a[j].lat;
                m++;
            }
        }
        mlon /= (double)m;
        mlat /= (double)m;
        const struct synth_anchor *best = NULL;
        double best_d = INFINITY;
        for (size_t j = i; j < g->n; j++) {
            const struct synth_anchor *c = &g->a[j];
            double dd = hypot((c->lon - mlon) * cos(mlat * M_PI / 180.0), c->lat - mlat);
            if (strcmp(c->district, district) == 0 && c->is_street && dd < best_d) {
                best = c;
                best_d = dd;
            }
        }
        if (!best)
            continue;
        char name[256];
        snprintf(name, sizeof name, fmt, district);
        enum geod_err rc = put(g, best, category, name, hours);
        if (rc)
            return rc;
    }
    return GEOD_OK;
}

static const char *const brands[] = {"康乐", "福寿", "夕阳红", "幸福", "颐和", "松鹤",
                                     "安康", "乐龄", "长青", "晚晴", "爱心", "同心"};
#define NBRANDS (sizeof brands / sizeof brands[0])

static enum geod_err scattered(struct gen *g, const char *category, int count)
{
    static const char *const care[] = {"养老院", "敬老院", "老年公寓", "颐养中心", "护理院"};
    static const char *const place[] = {"广场", "公园", "学校操场", "体育场", "绿地"};
    static const char *const trade[] = {"福利印刷厂", "福利制衣厂", "福利包装厂", "福利电子厂",
                                        "福利五金厂", "福利食品厂"};
    for (int i = 0; i < count; i++) {
        const struct synth_anchor *a = pick_anchor(g);
        const char *brand = brands[rng_below(&g->rng, NBRANDS)];
        char name[256];
        const char *hours;
        if (strcmp(category, "shelter") == 0) {
            snprintf(name, sizeof name, "%s%s应急避难场所", a->name, place[rng_below(&g->rng, 5)]);
            hours = "24/7";
        } else if (strcmp(category, "elderly_care") == 0) {
            snprintf(name, sizeof name, "%s%s%s", a->street, brand, care[rng_below(&g->rng, 5)]);
            hours = "24/7";
        } else if (strcmp(category, "elderly_daycare") == 0) {
            snprintf(name, sizeof name, "%s%s日间照料中心", a->name,
                     rng_unit(&g->rng) < 0.5 ? "" : brand);
            hours = "Mo-Sa 08:00-17:30";
        } else if (strcmp(category, "relief_station") == 0) {
            snprintf(name, sizeof name, "%s救助服务站", a->street);
            hours = "24/7";
        } else {
            snprintf(name, sizeof name, "武汉%s%s有限公司", brand, trade[rng_below(&g->rng, 6)]);
            hours = "Mo-Fr 08:30-17:30";
        }
        enum geod_err rc = put(g, a, category, name, hours);
        if (rc)
            return rc;
    }
    return GEOD_OK;
}

enum geod_err synth_generate(const struct synth_anchor *anchors, size_t n, uint64_t seed,
                             synth_emit_fn emit, void *udata)
{
    if (n == 0)
        return GEOD_EINVAL;
    struct gen g = {.a = anchors, .n = n, .rng = {seed}, .emit = emit, .udata = udata};
    g.cum = malloc(n * sizeof *g.cum);
    g.names_cap = 8192; /* twice the ~3,400 names */
    g.names = calloc(g.names_cap, sizeof *g.names);
    if (!g.cum || !g.names) {
        free(g.cum);
        free(g.names);
        return GEOD_ENOMEM;
    }
    struct geo_origin centre;
    geo_origin_init(&centre, CENTRE_LON, CENTRE_LAT);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double p[3];
        geo_ecef(anchors[i].lon, anchors[i].lat, p);
        double dk = geo_distance(&centre, anchors[i].lon, anchors[i].lat, p, NULL) / 6000.0;
        total += 1.0 / (1.0 + dk * dk);
        g.cum[i] = total;
    }
    enum geod_err rc = per_district(&g, "marriage_registry", "%s婚姻登记处",
                                    "Mo-Fr 09:00-12:00,13:30-17:00");
    if (!rc)
        rc = per_district(&g, "relief_station", "%s救助管理站", "24/7");
    if (!rc)
        rc = scattered(&g, "relief_station", 26);
    if (!rc)
        rc = scattered(&g, "shelter", 800);
    if (!rc)
        rc = scattered(&g, "elderly_care", 700);
    if (!rc)
        rc = scattered(&g, "elderly_daycare", 1400);
    if (!rc)
        rc = scattered(&g, "welfare_enterprise", 450);
    free(g.cum);
    free(g.names);
    return rc;
}

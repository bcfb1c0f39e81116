/* test_geojson.c - importers/geojson.c: the real district file, every geometry type, and a table
 * of malformed documents, each refused with a message naming the feature and the problem. */
#include "importers/geojson.h"
#include "tests/t.h"

#include <stdlib.h>

static GEOSContextHandle_t ctx;

struct seen {
    int features, polygons, multipolygons, points, lines, nulls, vertices;
    double area;
    char names[16][32];
};

static enum geod_err count_xy(void *udata, double *x, double *y)
{
    ((struct seen *)udata)->vertices++;
    (void)x, (void)y;
    return GEOD_OK;
}

static enum geod_err on_feature(void *udata, struct geojson_feature *f)
{
    struct seen *s = udata;
    if (s->features < 16) {
        const char *n = json_string_value(json_object_get(f->properties, "name"));
        snprintf(s->names[s->features], sizeof s->names[0], "%s", n ? n : "");
    }
    s->features++;
    if (!f->geom) {
        s->nulls++;
        return GEOD_OK;
    }
    int t = GEOSGeomTypeId_r(ctx, f->geom);
    s->polygons += t == GEOS_POLYGON;
    s->multipolygons += t == GEOS_MULTIPOLYGON;
    s->points += t == GEOS_POINT || t == GEOS_MULTIPOINT;
    s->lines += t == GEOS_LINESTRING || t == GEOS_MULTILINESTRING;
    double a = 0;
    GEOSArea_r(ctx, f->geom, &a);
    s->area += a;
    return GEOD_OK;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static void test_districts_file(void)
{
    size_t len;
    char *buf = slurp("data/wuhan/wuhan_districts_gcj02.geojson", &len);
    T_CHECK(buf != NULL);
    if (!buf)
        return;
    struct seen s = {0};
    struct geojson_error err;
    char crs[64];
    T_CHECKF(geojson_read(buf, len, ctx, count_xy, &s, on_feature, &s, crs, sizeof crs, &err) ==
                 GEOD_OK,
             "%s", err.msg);
    /* 13 districts: 11 Polygons and 2 MultiPolygons (蔡甸, 新洲), 15,459 vertices in all (counted
     * with Python's json module) */
    T_CHECKF(s.features == 13 && s.polygons == 11 && s.multipolygons == 2, "%d %d %d", s.features,
             s.polygons, s.multipolygons);
    T_CHECKF(s.vertices == 15459, "%d vertices", s.vertices);
    T_CHECK(strcmp(s.names[0], "江岸区") == 0 && strcmp(s.names[12], "新洲区") == 0);
    T_CHECK(crs[0] == '\0');
    /* Wuhan covers about 8,570 km2; at 30.6 N a square degree is about 111.3 * 95.8 km2 */
    double km2 = s.area * 111.32 * 111.32 * cos(30.6 * M_PI / 180);
    T_CHECKF(km2 > 8000 && km2 < 9000, "area %.0f km2", km2);
    free(buf);
}

static void test_types(void)
{
    static const char doc[] =
        "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
        "\"urn:ogc:def:crs:EPSG::4547\"}},\"features\":["
        "{\"type\":\"Feature\",\"id\":1,\"properties\":{\"name\":\"a\"},\"geometry\":{\"type\":"
        "\"Point\",\"coordinates\":[1,2]}},"
        "{\"type\":\"Feature\",\"properties\":null,\"geometry\":{\"type\":\"MultiPoint\","
        "\"coordinates\":[[1,2],[3,4,5]]}},"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}"
        "},"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":[[[0,0],"
        "[1,1]]]}},"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,"
        "4]"
        ",[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}},"
        "{\"type\":\"Feature\",\"geometry\":null}]}";
    struct seen s = {0};
    struct geojson_error err;
    char crs[64];
    T_CHECKF(geojson_read(doc, sizeof doc - 1, ctx, count_xy, &s, on_feature, &s, crs, sizeof crs,
                          &err) == GEOD_OK,
             "%s", err.msg);
    T_CHECK(s.features == 6 && s.points == 2 && s.lines == 2 && s.polygons == 1 && s.nulls == 1);
    T_CHECK(s.vertices == 1 + 2 + 2 + 2 + 10);
    T_CHECKF(fabs(s.area - 15.0) < 1e-12, "area %g (16 minus the hole)", s.area);
    T_CHECK(strcmp(crs, "urn:ogc:def:crs:EPSG::4547") == 0);
    /* a bare geometry is one feature */
    static const char bare[] = "{\"type\":\"Point\",\"coordinates\":[114.3,30.6]}";
    struct seen b = {0};
    T_CHECK(geojson_read(bare, sizeof bare - 1, ctx, NULL, NULL, on_feature, &b, NULL, 0, &err) ==
            GEOD_OK);
    T_CHECK(b.features == 1 && b.points == 1);
}

static enum geod_err refuse_far(void *udata, double *x, double *y)
{
    (void)udata, (void)y;
    return *x > 180 ? GEOD_ERANGE : GEOD_OK;
}

static void test_malformed(void)
{
    static const struct {
        const char *doc, *msg;
        enum geod_err rc;
    } cases[] = {
        {"", "not JSON", GEOD_EINVAL},
        {"[1,2]", "not a GeoJSON object", GEOD_EINVAL},
        {"{\"type\":\"Point\",\"coordinates\":[1,2", "not JSON", GEOD_EINVAL},
        {"{\"type\":\"FeatureCollection\"}", "features array", GEOD_EINVAL},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Nope\"}]}",
         "feature 0: not a Feature", GEOD_EINVAL},
        {"{\"type\":\"Feature\",\"properties\":{}}", "geometry member", GEOD_EINVAL},
        {"{\"type\":\"Feature\",\"properties\":[1],\"geometry\":null}", "properties", GEOD_EINVAL},
        {"{\"type\":\"Point\",\"coordinates\":[1]}", "position 0", GEOD_EINVAL},
        {"{\"type\":\"Point\",\"coordinates\":[1,\"2\"]}", "position 0", GEOD_EINVAL},
        {"{\"type\":\"Point\",\"coordinates\":[1,2,3,4]}", "position 0", GEOD_EINVAL},
        {"{\"type\":\"Point\",\"coordinates\":{\"x\":1}}", "not a position", GEOD_EINVAL},
        {"{\"type\":\"LineString\",\"coordinates\":[[1,2]]}", "at least 2", GEOD_EINVAL},
        {"{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}", "not closed",
         GEOD_EINVAL},
        {"{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}", "at least 4", GEOD_EINVAL},
        {"{\"type\":\"Polygon\",\"coordinates\":[]}", "at least one ring", GEOD_EINVAL},
        {"{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0]]]]}",
         "at least 4", GEOD_EINVAL},
        {"{\"type\":\"GeometryCollection\",\"geometries\":[]}", "not supported", GEOD_EINVAL},
        {"{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":1,\"a\":2}}", "duplicate",
         GEOD_EINVAL},
        {"{\"type\":\"Point\",\"coordinates\":[500,2]}", "cannot be converted", GEOD_ERANGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s = {0};
        struct geojson_error err;
        enum geod_err rc = geojson_read(cases[i].doc, strlen(cases[i].doc), ctx, refuse_far, NULL,
                                        on_feature, &s, NULL, 0, &err);
        T_CHECKF(rc == cases[i].rc && strstr(err.msg, cases[i].msg) && s.features == 0,
                 "case %zu: rc %d, message \"%s\" (want \"%s\")", i, rc, err.msg, cases[i].msg);
    }
}

int main(void)
{
    ctx = GEOS_init_r();
    T_RUN(test_districts_file);
    T_RUN(test_types);
    T_RUN(test_malformed);
    GEOS_finish_r(ctx);
    return T_END();
}

/* test_crs_epsg.c - index/crs_epsg.c against PROJ's own command-line tool cs2cs (a second path
 * through the same definitions), the EPSG:3857 vectors, round trips, and bad codes. */
#include "index/crs_epsg.h"
#include "tests/t.h"

#include <stdlib.h>

static unsigned long long seed = 11;

static double urand(void)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(seed >> 11) / 9007199254740992.0;
}

/* EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E) for 300 points over Wuhan, against
 * cs2cs, which takes (lat, lon) and gives (northing, easting) as the EPSG definitions say. */
static void test_4547_vs_cs2cs(void)
{
    enum { N = 300 };
    double lon[N], lat[N];
    char in[] = "/tmp/geod_cs2cs_XXXXXX";
    int fd = mkstemp(in);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < N; i++) {
        lon[i] = 113.6 + urand() * 1.6;
        lat[i] = 29.9 + urand() * 1.6;
        fprintf(f, "%.10f %.10f\n", lat[i], lon[i]);
    }
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cs2cs -f %%.6f EPSG:4326 EPSG:4547 < %s", in);
    FILE *p = popen(cmd, "r");
    T_CHECK(p != NULL);
    struct crs_epsg_cache *c;
    T_CHECK(crs_epsg_cache_new(&c) == GEOD_OK);
    int compared = 0;
    double worst = 0;
    for (int i = 0; p && i < N; i++) {
        double north, east, h;
        if (fscanf(p, "%lf %lf %lf", &north, &east, &h) != 3)
            break;
        double x, y, blon, blat;
        T_CHECK(crs_epsg_from_wgs84(c, 4547, lon[i], lat[i], &x, &y) == GEOD_OK);
        double d = fmax(fabs(x - east), fabs(y - north));
        worst = fmax(worst, d);
        T_CHECKF(d < 1e-5, "point %d: (%.6f, %.6f) vs cs2cs (%.6f, %.6f)", i, x, y, east, north);
        T_CHECK(crs_epsg_to_wgs84(c, 4547, x, y, &blon, &blat) == GEOD_OK);
        T_CHECKF(fabs(blon - lon[i]) < 1e-9 && fabs(blat - lat[i]) < 1e-9, "round trip %d", i);
        /* east of the central meridian 114 E means x above the 500 km false easting */
        T_CHECK((lon[i] > 114) == (x > 500000));
        compared++;
    }
    if (p)
        pclose(p);
    remove(in);
    T_CHECKF(compared == N, "compared %d of %d (is cs2cs from proj-bin installed?)", compared, N);
    printf("  EPSG:4547: %d points, worst difference from cs2cs %.2g m\n", compared, worst);
    crs_epsg_cache_free(c);
}

/* Web Mercator values from tests/data/crs_vectors.csv (gcoord's tests). */
static void test_3857(void)
{
    struct crs_epsg_cache *c;
    T_CHECK(crs_epsg_cache_new(&c) == GEOD_OK);
    double x, y;
    T_CHECK(crs_epsg_from_wgs84(c, 3857, 0, 0, &x, &y) == GEOD_OK && fabs(x) < 1e-6 &&
            fabs(y) < 1e-6);
    T_CHECK(crs_epsg_from_wgs84(c, 3857, 180, 0, &x, &y) == GEOD_OK &&
            fabs(x - 20037508.342789244) < 1e-5);
    T_CHECK(crs_epsg_from_wgs84(c, 3857, 180, 85.05112877980659, &x, &y) == GEOD_OK &&
            fabs(y - 20037508.342789244) < 1e-3);
    T_CHECK(!crs_epsg_is_geographic(c, 3857) && crs_epsg_is_geographic(c, 4490));
    /* CGCS2000 geographic: the same lon/lat within a metre or so (treated as equal) */
    T_CHECK(crs_epsg_from_wgs84(c, 4490, 114.3, 30.6, &x, &y) == GEOD_OK &&
            fabs(x - 114.3) < 1e-5 && fabs(y - 30.6) < 1e-5);
    crs_epsg_cache_free(c);
}

static void test_bad(void)
{
    int code = 0;
    T_CHECK(crs_epsg_parse("EPSG:4547", 9, &code) == GEOD_OK && code == 4547);
    T_CHECK(crs_epsg_parse("epsg:3857", 9, &code) == GEOD_OK && code == 3857);
    static const char *const bad[] = {"EPSG:",     "EPSG:0",       "EPSG:-1",
                                      "EPSG:12a",  "EPSG:1234567", "4547",
                                      "ESPG:4547", "EPSG: 4547",   "EPSG:45 47"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_CHECKF(crs_epsg_parse(bad[i], strlen(bad[i]), &code) == GEOD_ECRS, "%s", bad[i]);
    struct crs_epsg_cache *c;
    T_CHECK(crs_epsg_cache_new(&c) == GEOD_OK);
    double x, y;
    T_CHECK(crs_epsg_from_wgs84(c, 999999, 114, 30, &x, &y) == GEOD_ECRS);
    /* a height (5773), earth-centred X/Y/Z (4978) and a compound system (9518) have no
     * horizontal position to give */
    T_CHECK(crs_epsg_from_wgs84(c, 5773, 114, 30, &x, &y) == GEOD_ECRS);
    T_CHECK(crs_epsg_from_wgs84(c, 4978, 114, 30, &x, &y) == GEOD_ECRS);
    T_CHECK(crs_epsg_to_wgs84(c, 4978, -2248544.5, 5050313.7, &x, &y) == GEOD_ECRS);
    T_CHECK(crs_epsg_from_wgs84(c, 9518, 114, 30, &x, &y) == GEOD_ECRS);
    T_CHECK(crs_epsg_from_wgs84(c, 4547, NAN, 30, &x, &y) == GEOD_EINVAL);
    T_CHECK(crs_epsg_from_wgs84(c, 4547, 114, 95, &x, &y) == GEOD_EINVAL);
    /* PROJ answers far outside a projection's zone with finite numbers; only what has no
     * answer (here an inverse far off the map) is refused */
    T_CHECK(crs_epsg_to_wgs84(c, 4547, 1e12, 1e12, &x, &y) == GEOD_ERANGE);
    T_CHECK(crs_epsg_to_wgs84(c, 4547, INFINITY, 1, &x, &y) == GEOD_EINVAL);
    /* more systems than the cache holds: evictions, each still right */
    static const int codes[] = {4547, 4546, 4548, 3857, 32650, 32649, 2385, 4490, 4326,  2436,
                                4549, 4545, 4544, 4543, 4542,  4541,  4540, 4539, 32651, 32648};
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
            double lon, lat;
            T_CHECKF(crs_epsg_from_wgs84(c, codes[i], 114.3, 30.6, &x, &y) == GEOD_OK &&
                         crs_epsg_to_wgs84(c, codes[i], x, y, &lon, &lat) == GEOD_OK &&
                         fabs(lon - 114.3) < 1e-7 && fabs(lat - 30.6) < 1e-7,
                     "EPSG:%d", codes[i]);
        }
    crs_epsg_cache_free(c);
}

/* ESRI WKT (as Shapefile .prj files hold it, no authority inside) written by PROJ's projinfo
 * for each code, identified back to the same code; GDAL's .prj of the import fixtures; WKT with
 * an AUTHORITY; and WKT that is not a system, or a system EPSG does not have. */
static void test_identify_wkt(void)
{
    static const int codes[] = {4326, 4490, 4547, 4549, 4545, 32650, 3857, 2436, 4214, 2385};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char cmd[128], wkt[4096] = "";
        snprintf(cmd, sizeof cmd, "projinfo -o WKT1_ESRI --single-line -q EPSG:%d", codes[i]);
        FILE *p = popen(cmd, "r");
        size_t n = p ? fread(wkt, 1, sizeof wkt - 1, p) : 0;
        wkt[n] = '\0';
        if (p)
            pclose(p);
        int epsg = 0;
        T_CHECKF(n > 20 && strstr(wkt, "AUTHORITY") == NULL, "projinfo EPSG:%d: %s", codes[i], wkt);
        enum geod_err rc = crs_epsg_identify_wkt(wkt, &epsg);
        T_CHECKF(rc == GEOD_OK && epsg == codes[i], "EPSG:%d identified as %d (rc %d)", codes[i],
                 epsg, rc);
    }
    /* written by GDAL's ogr2ogr -t_srs EPSG:4547 / -a_srs EPSG:4490 (make_fixtures.sh) */
    static const struct {
        const char *path;
        int epsg;
    } prj[] = {{"tests/data/import/facilities_4547.prj", 4547},
               {"tests/data/import/districts_4490.prj", 4490}};
    for (size_t i = 0; i < 2; i++) {
        char wkt[4096] = "";
        FILE *f = fopen(prj[i].path, "r");
        size_t n = f ? fread(wkt, 1, sizeof wkt - 1, f) : 0;
        wkt[n] = '\0';
        if (f)
            fclose(f);
        int epsg = 0;
        T_CHECKF(crs_epsg_identify_wkt(wkt, &epsg) == GEOD_OK && epsg == prj[i].epsg, "%s: %d",
                 prj[i].path, epsg);
    }
    /* the WKT's own authority wins, whatever its name says */
    int epsg = 0;
    T_CHECK(crs_epsg_identify_wkt(
                "GEOGCS[\"anything\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,"
                "298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433],"
                "AUTHORITY[\"EPSG\",\"4326\"]]",
                &epsg) == GEOD_OK &&
            epsg == 4326);
    /* a transverse Mercator on an invented ellipsoid: PROJ parses it, EPSG has nothing like it */
    T_CHECK(crs_epsg_identify_wkt(
                "PROJCS[\"weird\",GEOGCS[\"x\",DATUM[\"D_x\",SPHEROID[\"s\",6378000,300]],"
                "PRIMEM[\"Greenwich\",0],UNIT[\"Degree\",0.0174532925199433]],"
                "PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"False_Easting\",12345],"
                "PARAMETER[\"Central_Meridian\",111.3],PARAMETER[\"Scale_Factor\",1],"
                "PARAMETER[\"Latitude_Of_Origin\",0],UNIT[\"Meter\",1]]",
                &epsg) == GEOD_ECRS);
    T_CHECK(crs_epsg_identify_wkt("not wkt at all", &epsg) == GEOD_EINVAL);
    T_CHECK(crs_epsg_identify_wkt("", &epsg) == GEOD_EINVAL);
    /* a unit is WKT PROJ reads, but not a coordinate system */
    T_CHECK(crs_epsg_identify_wkt("UNIT[\"metre\",1]", &epsg) == GEOD_EINVAL);
}

int main(void)
{
    T_RUN(test_4547_vs_cs2cs);
    T_RUN(test_3857);
    T_RUN(test_bad);
    T_RUN(test_identify_wkt);
    return T_END();
}

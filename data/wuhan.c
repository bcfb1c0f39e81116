/* wuhan.c - embeds the files of data/wuhan/ with the assembler's .incbin (paths are relative to
 * the repository root, where make runs the compiler; the Makefile lists them as dependencies). */
#include "data/wuhan.h"

#define EMBED(sym, file)                                                                           \
    __asm__(".section .rodata\n"                                                                   \
            ".balign 16\n"                                                                         \
            ".global " #sym "_start\n" #sym "_start:\n"                                            \
            ".incbin \"" file "\"\n"                                                               \
            ".global " #sym "_end\n" #sym "_end:\n"                                                \
            ".byte 0\n"                                                                            \
            ".previous\n");                                                                        \
    extern const char sym##_start[], sym##_end[]

EMBED(geod_wuhan_communities, "data/wuhan/pois_communities_wuhan_gcj02.csv");
EMBED(geod_wuhan_hospitals, "data/wuhan/pois_hospitals_wuhan_bd09.csv");
EMBED(geod_wuhan_divisions, "data/wuhan/wuhan_divisions.csv");
EMBED(geod_wuhan_districts, "data/wuhan/wuhan_districts_gcj02.geojson");
EMBED(geod_wuhan_city, "data/wuhan/wuhan_city_boundary_gcj02.geojson");

struct wuhan_blob wuhan_communities(void)
{
    return (struct wuhan_blob){"pois_communities_wuhan_gcj02.csv", geod_wuhan_communities_start,
                               (size_t)(geod_wuhan_communities_end - geod_wuhan_communities_start)};
}

struct wuhan_blob wuhan_hospitals(void)
{
    return (struct wuhan_blob){"pois_hospitals_wuhan_bd09.csv", geod_wuhan_hospitals_start,
                               (size_t)(geod_wuhan_hospitals_end - geod_wuhan_hospitals_start)};
}

struct wuhan_blob wuhan_divisions(void)
{
    return (struct wuhan_blob){"wuhan_divisions.csv", geod_wuhan_divisions_start,
                               (size_t)(geod_wuhan_divisions_end - geod_wuhan_divisions_start)};
}

struct wuhan_blob wuhan_districts(void)
{
    return (struct wuhan_blob){"wuhan_districts_gcj02.geojson", geod_wuhan_districts_start,
                               (size_t)(geod_wuhan_districts_end - geod_wuhan_districts_start)};
}

struct wuhan_blob wuhan_city(void)
{
    return (struct wuhan_blob){"wuhan_city_boundary_gcj02.geojson", geod_wuhan_city_start,
                               (size_t)(geod_wuhan_city_end - geod_wuhan_city_start)};
}

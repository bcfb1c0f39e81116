/* wuhan.h - the built-in Wuhan datasets, compiled into the binary from data/wuhan/ (see
 * data/wuhan/SOURCES.md for provenance and licences), so a fresh store needs no files. */
#ifndef GEOD_WUHAN_H
#define GEOD_WUHAN_H

#include <stddef.h>

struct wuhan_blob {
    const char *name; /* file name under data/wuhan/ */
    const char *data; /* the file's bytes, followed by a NUL */
    size_t len;
};

/* Street and community centre points, GCJ-02 (Vonng/adcode, CC BY 4.0). */
struct wuhan_blob wuhan_communities(void);
/* Hospital records, BD-09 (Peter-powers/yiqing_map, Apache-2.0), suspect rows flagged. */
struct wuhan_blob wuhan_hospitals(void);
/* The NBS 2023 division units of Wuhan: city, 13 districts, 193 street-level, 3,495 community-
 * and village-level (modood/Administrative-divisions-of-China, NBS data). */
struct wuhan_blob wuhan_divisions(void);
/* District and city boundaries, GCJ-02 GeoJSON (Vonng/adcode, CC BY 4.0). */
struct wuhan_blob wuhan_districts(void);
struct wuhan_blob wuhan_city(void);

#endif

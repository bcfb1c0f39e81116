/* static.h - geod's web assets (the map widget and the Leaflet it is built on), embedded in the
 * binary at build time (web/assets.txt, web/gen_assets.sh) and served from memory by
 * api/static.c. */
#ifndef GEOD_STATIC_H
#define GEOD_STATIC_H

#include <stdbool.h>
#include <stddef.h>

struct static_asset {
    const char *path;         /* the URL path, e.g. "/widget.js" */
    const char *content_type; /* with charset for text */
    const char *etag;         /* strong, quoted: "\"<32 hex digits of SHA-256>\"" */
    unsigned max_age;         /* Cache-Control max-age, seconds; >= a year means immutable */
    const char *start, *end;  /* the bytes */
};

extern const struct static_asset static_assets[]; /* build/gen/web_assets.c */
extern const size_t static_assets_n;
extern const char static_leaflet_version[];

/* The asset at this path (len bytes, no query), or NULL. */
const struct static_asset *static_find(const char *path, size_t len);

/* Does an If-None-Match header value (a list of entity tags, or "*") match etag? Weak tags
 * (W/"...") compare by their opaque part, as RFC 9110 asks for If-None-Match. */
bool static_etag_matches(const char *header, size_t len, const char *etag);

#endif

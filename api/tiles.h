/* tiles.h - the optional raster tile layer of the /tag/ form (`geod serve --tile-url`): the URL
 * template, the coordinate system its tiles are drawn in (WGS-84, or GCJ-02 as AMap's and
 * Tencent's are), the subdomains and the attribution; what GET /v1/tiles tells the form, and the
 * origin its Content-Security-Policy must let images come from. Without a template the form draws
 * vector layers only (no tile server needed on the intranet). */
#ifndef GEOD_TILES_H
#define GEOD_TILES_H

#include "index/crs.h"
#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>

#define TILES_URL_MAX 512
#define TILES_ORIGIN_MAX 300
#define TILES_SUBDOMAINS_MAX 16
#define TILES_ATTRIBUTION_MAX 256

struct tile_config {
    bool on;                                   /* a template was given */
    char url[TILES_URL_MAX + 1];               /* Leaflet's {s} {x} {y} {z} placeholders */
    enum crs_id crs;                           /* CRS_WGS84 or CRS_GCJ02 */
    char subdomains[TILES_SUBDOMAINS_MAX + 1]; /* what {s} takes, one character each */
    char attribution[TILES_ATTRIBUTION_MAX + 1];
    int max_zoom; /* 1..22 */
    /* the CSP source images come from: "https://tiles.example.cn"; a wildcard first label
     * ("*.example.cn") when {s} is in the host name */
    char csp_source[TILES_ORIGIN_MAX + 1];
};

/* Defaults: no tiles, WGS-84, subdomains "abc", max zoom 18, no attribution. */
void tile_config_init(struct tile_config *t);

/* The template: http or https, a host (where {s} may stand in for a label or part of one), and
 * {x}, {y} and {z} each exactly once; no other placeholder, no space, quote, backslash or
 * control character. GEOD_EINVAL with why in err otherwise. */
enum geod_err tile_config_url(struct tile_config *t, const char *url, char *err, size_t errlen);

/* "wgs84" or "gcj02" (the projections web tiles are drawn in; BD-09 tiles are not on the
 * Web Mercator grid and are refused). */
enum geod_err tile_config_crs(struct tile_config *t, const char *name, char *err, size_t errlen);

/* One to TILES_SUBDOMAINS_MAX letters or digits. */
enum geod_err tile_config_subdomains(struct tile_config *t, const char *s, char *err,
                                     size_t errlen);

/* Printable UTF-8 of at most TILES_ATTRIBUTION_MAX bytes, no control characters and no '<'. */
enum geod_err tile_config_attribution(struct tile_config *t, const char *s, char *err,
                                      size_t errlen);

/* 1..22. */
enum geod_err tile_config_max_zoom(struct tile_config *t, const char *s, char *err, size_t errlen);

#endif

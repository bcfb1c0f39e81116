/* tiles.c - the tile layer's configuration, checked once at start (see tiles.h). */
#include "api/tiles.h"
#include "index/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tile_config_init(struct tile_config *t)
{
    memset(t, 0, sizeof *t);
    t->crs = CRS_WGS84;
    strcpy(t->subdomains, "abc");
    t->max_zoom = 18;
}

/* The host (and port) of url, from after "://" to the first '/', '?' or '#'. */
static size_t host_end(const char *url, size_t at)
{
    size_t i = at;
    while (url[i] && url[i] != '/' && url[i] != '?' && url[i] != '#')
        i++;
    return i;
}

/* The CSP source for the host url[at, end): each label holding {s} becomes '*' — allowed only
 * as the leftmost label, as CSP's host-source wildcard is. */
static bool csp_source(struct tile_config *t, size_t slen, size_t at, size_t end, char *err,
                       size_t errlen)
{
    const char *u = t->url;
    char host[TILES_ORIGIN_MAX - 8]; /* room for "https://" in csp_source */
    size_t n = 0, label = at;
    bool first = true;
    while (label < end) {
        size_t stop = label;
        while (stop < end && u[stop] != '.' && u[stop] != ':')
            stop++;
        bool wild = false;
        for (size_t i = label; i + 3 <= stop; i++)
            if (memcmp(u + i, "{s}", 3) == 0)
                wild = true;
        if (wild && !first) {
            snprintf(err, errlen, "%s: {s} may only be in the first label of the host", u);
            return false;
        }
        size_t take = wild ? 1 : stop - label;
        if (n + take + 1 >= sizeof host) {
            snprintf(err, errlen, "%s: the host is too long", u);
            return false;
        }
        if (wild)
            host[n++] = '*';
        else
            for (size_t i = label; i < stop; i++)
                host[n++] = (char)tolower((unsigned char)u[i]);
        if (stop < end)
            host[n++] = u[stop];
        label = stop + 1;
        first = false;
        if (stop < end && u[stop] == ':') { /* the port, as it is */
            if (end - label + n + 1 >= sizeof host) {
                snprintf(err, errlen, "%s: the host is too long", u);
                return false;
            }
            memcpy(host + n, u + label, end - label);
            n += end - label;
            break;
        }
    }
    host[n] = '\0';
    if (n == 0 || host[0] == '.' || host[0] == ':') {
        snprintf(err, errlen, "%s has no host name", u);
        return false;
    }
    snprintf(t->csp_source, sizeof t->csp_source, "%.*s://%s", (int)slen, u, host);
    return true;
}

enum geod_err tile_config_url(struct tile_config *t, const char *url, char *err, size_t errlen)
{
    size_t len = strlen(url);
    if (len == 0 || len > TILES_URL_MAX) {
        snprintf(err, errlen, "a tile URL template is 1 to %d bytes", TILES_URL_MAX);
        return GEOD_EINVAL;
    }
    size_t slen = strncmp(url, "https://", 8) == 0 ? 5 : strncmp(url, "http://", 7) == 0 ? 4 : 0;
    if (!slen) {
        snprintf(err, errlen, "%s: the tile URL must start with http:// or https://", url);
        return GEOD_EINVAL;
    }
    int seen[4] = {0}; /* {x} {y} {z} {s} */
    static const char *const names[] = {"{x}", "{y}", "{z}", "{s}"};
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' ||
            c == ';' || c == ',') {
            snprintf(err, errlen,
                     "%s: the tile URL has a character it may not (space, quote, "
                     "backslash, <, >, ; , , or non-ASCII: percent-encode it)",
                     url);
            return GEOD_EINVAL;
        }
        if (c == '}') {
            snprintf(err, errlen, "%s: a '}' outside {x} {y} {z} {s}", url);
            return GEOD_EINVAL;
        }
        if (c != '{')
            continue;
        int k = -1;
        for (int j = 0; j < 4; j++)
            if (strncmp(url + i, names[j], 3) == 0)
                k = j;
        if (k < 0) {
            snprintf(err, errlen, "%s: the tile URL knows only {x} {y} {z} and {s}", url);
            return GEOD_EINVAL;
        }
        seen[k]++;
        i += 2;
    }
    for (int j = 0; j < 3; j++)
        if (seen[j] != 1) {
            snprintf(err, errlen, "%s: the tile URL needs %s exactly once", url, names[j]);
            return GEOD_EINVAL;
        }
    memcpy(t->url, url, len + 1);
    size_t at = slen + 3;
    size_t end = host_end(url, at);
    for (size_t i = at; i < end; i++)
        if (url[i] == '@' || (url[i] == '{' && strncmp(url + i, "{s}", 3) != 0)) {
            snprintf(err, errlen,
                     "%s: the host of a tile URL is a name and a port, with {s} "
                     "for the subdomain at most",
                     url);
            return GEOD_EINVAL;
        }
    if (!csp_source(t, slen, at, end, err, errlen))
        return GEOD_EINVAL;
    t->on = true;
    return GEOD_OK;
}

enum geod_err tile_config_crs(struct tile_config *t, const char *name, char *err, size_t errlen)
{
    enum crs_id id;
    if (crs_parse(name, strlen(name), &id) != GEOD_OK || id == CRS_BD09) {
        snprintf(err, errlen,
                 "%s: tiles are drawn in wgs84 (also cgcs2000, e.g. Tianditu) or "
                 "gcj02 (e.g. AMap, Tencent)",
                 name);
        return GEOD_EINVAL;
    }
    t->crs = id == CRS_CGCS2000 ? CRS_WGS84 : id;
    return GEOD_OK;
}

enum geod_err tile_config_subdomains(struct tile_config *t, const char *s, char *err, size_t errlen)
{
    size_t len = strlen(s);
    bool ok = len >= 1 && len <= TILES_SUBDOMAINS_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)s[i]) != 0;
    if (!ok) {
        snprintf(err, errlen, "%s: subdomains are 1 to %d letters or digits, e.g. abc or 1234", s,
                 TILES_SUBDOMAINS_MAX);
        return GEOD_EINVAL;
    }
    memcpy(t->subdomains, s, len + 1);
    return GEOD_OK;
}

enum geod_err tile_config_attribution(struct tile_config *t, const char *s, char *err,
                                      size_t errlen)
{
    size_t len = strlen(s);
    bool printable = utf8_valid(s, len);
    for (size_t i = 0; printable && i < len; i++)
        printable = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    if (!printable || len > TILES_ATTRIBUTION_MAX || memchr(s, '<', len)) {
        /* the value is quoted only when it cannot break the one-line message */
        snprintf(err, errlen,
                 "%.80s: the attribution is printable UTF-8 text of at most %d "
                 "bytes, without '<'",
                 printable ? s : "(a control character or bad UTF-8)", TILES_ATTRIBUTION_MAX);
        return GEOD_EINVAL;
    }
    memcpy(t->attribution, s, len + 1);
    return GEOD_OK;
}

enum geod_err tile_config_max_zoom(struct tile_config *t, const char *s, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long z = strtol(s, &end, 10);
    if (errno || end == s || *end || z < 1 || z > 22) {
        snprintf(err, errlen, "%s: the tiles' maximum zoom is a whole number from 1 to 22", s);
        return GEOD_EINVAL;
    }
    t->max_zoom = (int)z;
    return GEOD_OK;
}

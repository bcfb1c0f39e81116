/* cors.h - cross-origin reads for the portals that embed the map widget: the origins allowed
 * (`geod serve --cors-origin`), the headers that let their pages read geod's answers and assets,
 * and the answer to a CORS preflight. Only reads are shared: no credentials, GET and HEAD. */
#ifndef GEOD_CORS_H
#define GEOD_CORS_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>

#define CORS_MAX_ORIGINS 64
#define CORS_ORIGIN_MAX 255 /* bytes of one origin */

/* The allowed origins, each "scheme://host[:port]" in lower case, without a trailing slash. */
struct cors_list {
    size_t n;
    char origin[CORS_MAX_ORIGINS][CORS_ORIGIN_MAX + 1];
};

/* Adds an origin as given on the command line ("https://portal.example.cn", a trailing '/' is
 * dropped, letters are lowered): GEOD_EINVAL with why in err for anything else (a path, a
 * query, no scheme, a scheme other than http or https, too many). */
enum geod_err cors_list_add(struct cors_list *l, const char *origin, char *err, size_t errlen);

/* Is the Origin header value (len bytes) one of the list? Exact, ASCII case-insensitive. */
bool cors_allowed(const struct cors_list *l, const char *origin, size_t len);

struct api_req;

/* Adds Access-Control-Allow-Origin for an allowed Origin, and Vary: Origin whenever origins are
 * configured (the answer depends on it), to the response headers of r. */
void api_cors_headers(struct api_req *r);

/* Answers an OPTIONS request: 204, with the CORS preflight headers when its Origin is allowed
 * and it asks for GET or HEAD; without them (the browser then refuses) otherwise. */
void api_cors_preflight(struct api_req *r);

#endif

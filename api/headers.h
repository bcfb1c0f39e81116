/* headers.h - the security headers of every answer geod gives (API answers, errors, redirects,
 * preflights, web pages and assets), decided in one place: api/headers.c. */
#ifndef GEOD_HEADERS_H
#define GEOD_HEADERS_H

struct api_req;

/* Adds the security headers for an answer to r: path is the embedded asset's URL path for the
 * web assets (api/static.c), NULL for everything else (API answers, errors, redirects,
 * preflights). Call once per answer, before h2o_start_response. */
void api_security_headers(struct api_req *r, const char *asset_path);

#endif

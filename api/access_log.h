/* access_log.h - the access log: one JSON line per answered request (time, client network,
 * method, route, path, parameters, status, bytes, microseconds), written so that it never holds a
 * citizen's position at better than about 1 km: lon, lat and bbox values are rounded to 2
 * decimals (1.1 km of latitude, 0.96 km of longitude at Wuhan), cursors (which encode a place in
 * a paged answer) are replaced by "-", the client address is cut to its /24 (IPv4) or /48 (IPv6),
 * and request bodies are never logged. Lines are buffered and written at least every 200 ms and
 * when the log is closed.
 *
 * Retention: the log is PATH; once a day (UTC) it is renamed PATH.YYYY-MM-DD and a new PATH
 * begun, and dated files older than keep_days are removed. GEOD_LOG_DAY_SECONDS (tests only)
 * makes a "day" that many seconds, with dated names PATH.<day number>. */
#ifndef GEOD_ACCESS_LOG_H
#define GEOD_ACCESS_LOG_H

#include "api/query.h"
#include "index/err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct access_log;

/* Opens (appends to) path; keep_days >= 1. GEOD_EIO (err says why). */
enum geod_err access_log_open(const char *path, int keep_days, struct access_log **out, char *err,
                              size_t errlen);
void access_log_close(struct access_log *l); /* flushes; NULL is a no-op */

struct access_entry {
    const struct sockaddr *peer; /* may be NULL */
    const char *method;
    size_t method_len;
    const char *route; /* the route's name, "other" for none */
    const char *path;  /* without the query */
    size_t path_len;
    const struct query *q; /* the decoded parameters, or NULL */
    int status;
    size_t bytes;
    uint64_t ns;
};

/* Appends one line (thread-safe). */
void access_log_write(struct access_log *l, const struct access_entry *e);

/* The line access_log_write would write (without the time), into out (NUL-terminated); for the
 * fuzz target and tests. Returns the length, or 0 when it did not fit. */
size_t access_log_format(const struct access_entry *e, char *out, size_t cap);

#endif

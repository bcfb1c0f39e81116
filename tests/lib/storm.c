/* storm.c - see storm.h. */
#include "tests/lib/storm.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool storm_check_store(sqlite3 *db, const char *prefix, const struct storm_client *cl, int n,
                       int max, int *acked, int *present, char *why, size_t cap)
{
    char sql[128], fmt[64];
    snprintf(sql, sizeof sql,
             "SELECT name, count(*), min(id) FROM facility WHERE name LIKE '%s-%%' GROUP BY name",
             prefix);
    snprintf(fmt, sizeof fmt, "%s-%%d-%%d", prefix);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(why, cap, "%s", sqlite3_errmsg(db));
        return false;
    }
    bool *seen = calloc((size_t)n * (size_t)max, sizeof *seen), ok = seen != NULL;
    *acked = *present = 0;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int t = -1, i = -1;
        sscanf(name, fmt, &t, &i);
        bool known = t >= 0 && t < n && i >= 0 && i < max;
        uint32_t id = (uint32_t)sqlite3_column_int64(st, 2);
        if (sqlite3_column_int(st, 1) != 1) {
            snprintf(why, cap, "%s: %d rows", name, sqlite3_column_int(st, 1));
            ok = false;
        } else if (!known || !((i < cl[t].acked && id == cl[t].id[i]) ||
                               (i == cl[t].sent - 1 && i == cl[t].acked))) {
            snprintf(why, cap, "%s is in the store but got no 201 (client acked %d, sent %d)", name,
                     known ? cl[t].acked : -1, known ? cl[t].sent : -1);
            ok = false;
        } else {
            seen[(size_t)t * (size_t)max + (size_t)i] = true;
            ++*present;
        }
    }
    sqlite3_finalize(st);
    for (int t = 0; ok && t < n; t++)
        for (int i = 0; ok && i < cl[t].acked; i++, ++*acked)
            if (!seen[(size_t)t * (size_t)max + (size_t)i]) {
                snprintf(why, cap, "%s-%d-%d got 201 (id %u) but is not in the store", prefix, t,
                         i, (unsigned)cl[t].id[i]);
                ok = false;
            }
    free(seen);
    return ok;
}

bool storm_check_served(const char *db_path, const char *prefix, int width,
                        const struct storm_client *cl, int n, int step, int start_ms,
                        int request_ms, char *why, size_t cap)
{
    char err[1024];
    struct geodproc g;
    if (!geodproc_start(&g, db_path, start_ms, err, sizeof err)) {
        snprintf(why, cap, "restart: %s", err);
        return false;
    }
    struct http_client *c = http_client_new(g.port, true, request_ms);
    bool ok = c != NULL;
    for (int t = 0; ok && t < n; t++)
        for (int i = 0; ok && i < cl[t].acked; i += step) {
            char target[64], name[64];
            snprintf(target, sizeof target, "/v1/facilities/%u", (unsigned)cl[t].id[i]);
            snprintf(name, sizeof name, "%s-%d-%0*d", prefix, t, width, i);
            struct http_resp r;
            enum http_err e = http_get(c, target, NULL, &r);
            ok = !e && r.status == 200 && strstr(r.body, name);
            if (!ok)
                snprintf(why, cap, "%s after restart: %d", name, e ? -1 : r.status);
            http_resp_free(&r);
        }
    http_client_free(c);
    char stop[256];
    if (!geodproc_stop_clean(&g, stop, sizeof stop) && ok) {
        snprintf(why, cap, "restarted geod: %s", stop);
        ok = false;
    }
    geodproc_cleanup(&g);
    return ok;
}

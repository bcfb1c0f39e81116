/* store_json.c - a facility as the JSON the audit log keeps (before and after a change), and the
 * time stamps the store writes. Made in C from the values being written, not by SQLite from the
 * row (json_object and printf per row were most of the cost of an import): the same keys in the
 * same order, strings escaped as JSON requires (SQLite's json_object escapes alike), positions
 * with 17 significant digits, which read back as the same doubles. */
#include "data/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void store_now(char out[STORE_TIME_LEN])
{
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    snprintf(out, STORE_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(t.tv_nsec / 1000000));
}

static bool grow(struct store_jbuf *s, size_t more)
{
    if (s->len + more <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < s->len + more)
        cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p)
        return false;
    s->p = p;
    s->cap = cap;
    return true;
}

static bool raw(struct store_jbuf *s, const char *v, size_t n)
{
    if (!grow(s, n + 1))
        return false;
    memcpy(s->p + s->len, v, n);
    s->len += n;
    s->p[s->len] = '\0';
    return true;
}

static bool str(struct store_jbuf *s, const char *v)
{
    if (!v)
        return raw(s, "null", 4);
    size_t n = strlen(v);
    if (!grow(s, 6 * n + 3))
        return false;
    char *o = s->p + s->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            static const char special[32] = {['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',
                                             ['\f'] = 'f', ['\r'] = 'r'};
            *o++ = '\\';
            if (special[*p]) {
                *o++ = special[*p];
            } else {
                o += sprintf(o, "u%04x", *p);
            }
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
    s->len = (size_t)(o - s->p);
    return true;
}

static bool num(struct store_jbuf *s, const char *fmt, double v)
{
    char b[40];
    int n = snprintf(b, sizeof b, fmt, v);
    return raw(s, b, (size_t)n);
}

const char *store_facility_json(struct store_jbuf *s, int64_t id, int64_t version, bool deleted,
                                const struct store_facility *f)
{
    s->len = 0;
    char head[40];
    snprintf(head, sizeof head, "{\"id\":%lld,\"category\":", (long long)id);
    bool ok = raw(s, head, strlen(head)) && str(s, f->category) && raw(s, ",\"name\":", 8) &&
              str(s, f->name) && raw(s, ",\"address\":", 11) && str(s, f->address) &&
              raw(s, ",\"phone\":", 9) && str(s, f->phone) && raw(s, ",\"hours\":", 9) &&
              str(s, f->hours) && raw(s, ",\"lon\":", 7) && num(s, "%.17g", f->lon) &&
              raw(s, ",\"lat\":", 7) && num(s, "%.17g", f->lat) &&
              raw(s, ",\"division_code\":", 17) && str(s, f->division_code) &&
              raw(s, ",\"source\":", 10) && str(s, f->source) &&
              raw(s, ",\"source_key\":", 14) && str(s, f->source_key);
    char tail[64];
    snprintf(tail, sizeof tail, ",\"version\":%lld,\"deleted\":%d}", (long long)version,
             deleted ? 1 : 0);
    return ok && raw(s, tail, strlen(tail)) ? s->p : NULL;
}

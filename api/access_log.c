/* access_log.c - see access_log.h. */
#include "api/access_log.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_NS 200000000ull /* buffered lines reach the file within 200 ms */
#define VALUE_MAX 64          /* bytes of a parameter value kept */

struct access_log {
    pthread_mutex_t lock;
    FILE *f;
    char *path;
    int keep_days;
    long day_seconds; /* 86400, or GEOD_LOG_DAY_SECONDS */
    long day;         /* the day PATH holds */
    uint64_t last_flush;
};

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static long today(const struct access_log *l)
{
    return (long)(time(NULL) / l->day_seconds);
}

/* PATH.<day> for a past day. */
static void dated(const struct access_log *l, long day, char *out, size_t cap)
{
    if (l->day_seconds == 86400) {
        time_t t = (time_t)day * 86400;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(out, cap, "%s.%04d-%02d-%02d", l->path, tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday);
    } else {
        snprintf(out, cap, "%s.%ld", l->path, day);
    }
}

/* The day of a dated file's suffix (after "PATH."), or -1 when it is not one of ours. */
static long day_of(const struct access_log *l, const char *suffix)
{
    char *end;
    if (l->day_seconds != 86400) {
        long d = strtol(suffix, &end, 10);
        return end != suffix && !*end ? d : -1;
    }
    struct tm tm = {0};
    end = strptime(suffix, "%Y-%m-%d", &tm);
    return end && !*end ? (long)(timegm(&tm) / 86400) : -1;
}

/* Removes the dated files of days before today - keep_days: PATH and keep_days dated files
 * remain. */
static void prune(struct access_log *l)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", l->path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? l->path + (slash - dir) + 1 : l->path;
    if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t blen = strlen(base);
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] != '.')
            continue;
        long day = day_of(l, e->d_name + blen + 1);
        if (day >= 0 && day < today(l) - l->keep_days) {
            char full[8400];
            snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
            remove(full);
        }
    }
    if (d)
        closedir(d);
}

enum geod_err access_log_open(const char *path, int keep_days, struct access_log **out, char *err,
                              size_t errlen)
{
    struct access_log *l = calloc(1, sizeof *l);
    *out = NULL;
    if (!l || !(l->path = strdup(path)))
        return free(l), GEOD_ENOMEM;
    const char *ds = getenv("GEOD_LOG_DAY_SECONDS");
    l->day_seconds = ds && atol(ds) > 0 ? atol(ds) : 86400;
    l->keep_days = keep_days < 1 ? 1 : keep_days;
    l->day = today(l);
    if (!(l->f = fopen(path, "a"))) {
        snprintf(err, errlen, "cannot open the access log %s", path);
        free(l->path);
        free(l);
        return GEOD_EIO;
    }
    setvbuf(l->f, NULL, _IOFBF, 1 << 16);
    pthread_mutex_init(&l->lock, NULL);
    l->last_flush = mono_ns();
    prune(l);
    *out = l;
    return GEOD_OK;
}

void access_log_close(struct access_log *l)
{
    if (!l)
        return;
    fclose(l->f);
    pthread_mutex_destroy(&l->lock);
    free(l->path);
    free(l);
}

struct buf {
    char *p;
    size_t len, cap;
    bool full;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->full = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* A JSON string of s[0..n): quotes, backslashes and control bytes escaped (the query parser
 * has already made values valid UTF-8). */
static void str(struct buf *b, const char *s, size_t n)
{
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc, 6);
        } else {
            put(b, (const char *)&c, 1);
        }
    }
    put(b, "\"", 1);
}

/* A position-bearing value: every number in it rounded to 2 decimals, anything else dropped. */
static void coarse(struct buf *b, const char *v, size_t n)
{
    char out[256] = "", num[64];
    size_t o = 0, i = 0;
    while (i < n && o + 24 < sizeof out) {
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        size_t len = j - i < sizeof num - 1 ? j - i : sizeof num - 1;
        memcpy(num, v + i, len);
        num[len] = '\0';
        char *end;
        double d = strtod(num, &end);
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", o ? "," : "");
        if (end != num && *end == '\0' && isfinite(d))
            o += (size_t)snprintf(out + o, sizeof out - o, "%.2f", d);
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "?");
        i = j + 1;
    }
    str(b, out, o);
}

static bool is(const struct query_param *p, const char *name)
{
    return p->name_len == strlen(name) && memcmp(p->name, name, p->name_len) == 0;
}

static void peer(struct buf *b, const struct sockaddr *sa)
{
    char s[INET6_ADDRSTRLEN + 8] = "-";
    if (sa && sa->sa_family == AF_INET) {
        struct in_addr a = ((const struct sockaddr_in *)sa)->sin_addr;
        a.s_addr &= htonl(0xFFFFFF00u);
        inet_ntop(AF_INET, &a, s, sizeof s);
        strcat(s, "/24");
    } else if (sa && sa->sa_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
        memset(a.s6_addr + 6, 0, 10);
        inet_ntop(AF_INET6, &a, s, sizeof s);
        strcat(s, "/48");
    }
    puts_(b, s);
}

size_t access_log_format(const struct access_entry *e, char *out, size_t cap)
{
    struct buf b = {.p = out, .cap = cap};
    if (!cap)
        return 0;
    out[0] = '\0';
    puts_(&b, "\"client\":\"");
    peer(&b, e->peer);
    puts_(&b, "\",\"method\":");
    str(&b, e->method, e->method_len);
    puts_(&b, ",\"route\":");
    str(&b, e->route, strlen(e->route));
    puts_(&b, ",\"path\":");
    str(&b, e->path, e->path_len > 200 ? 200 : e->path_len);
    puts_(&b, ",\"params\":{");
    for (size_t i = 0; e->q && i < e->q->n; i++) {
        const struct query_param *p = &e->q->p[i];
        if (i)
            puts_(&b, ",");
        str(&b, p->name, p->name_len > VALUE_MAX ? VALUE_MAX : p->name_len);
        puts_(&b, ":");
        if (is(p, "lon") || is(p, "lat") || is(p, "bbox"))
            coarse(&b, p->value, p->value_len);
        else if (is(p, "cursor"))
            puts_(&b, "\"-\"");
        else
            str(&b, p->value, p->value_len > VALUE_MAX ? VALUE_MAX : p->value_len);
    }
    char tail[96];
    snprintf(tail, sizeof tail, "},\"status\":%d,\"bytes\":%zu,\"us\":%llu", e->status, e->bytes,
             (unsigned long long)(e->ns / 1000));
    puts_(&b, tail);
    return b.full ? 0 : b.len;
}

void access_log_write(struct access_log *l, const struct access_entry *e)
{
    char line[8192];
    size_t n = access_log_format(e, line, sizeof line);
    if (!n)
        n = (size_t)snprintf(line, sizeof line, "\"route\":\"%s\",\"status\":%d,\"truncated\":true",
                             e->route, e->status);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct tm tm;
    gmtime_r(&t.tv_sec, &tm);
    pthread_mutex_lock(&l->lock);
    long day = today(l);
    if (day != l->day) { /* a new day: the old file gets its date */
        char name[4200];
        dated(l, l->day, name, sizeof name);
        fclose(l->f);
        rename(l->path, name);
        l->f = fopen(l->path, "a");
        if (l->f)
            setvbuf(l->f, NULL, _IOFBF, 1 << 16);
        l->day = day;
        prune(l);
    }
    if (l->f) {
        fprintf(l->f, "{\"t\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",%.*s}\n", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                t.tv_nsec / 1000000, (int)n, line);
        uint64_t now = mono_ns();
        if (now - l->last_flush > FLUSH_NS) {
            fflush(l->f);
            l->last_flush = now;
        }
    }
    pthread_mutex_unlock(&l->lock);
}

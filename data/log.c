/* log.c - the diagnostic logger (log.h). Its level and format are the one piece of mutable state
 * outside geod/: set once by `geod serve` before its threads start, read by every thread
 * (relaxed atomics: a line is either written or not, nothing else depends on them). */
#include "data/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048 /* a longer message is cut */

static _Atomic int cur_level = LOGL_INFO;
static _Atomic int cur_format = LOGF_TEXT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_configure(enum log_level level, enum log_format format)
{
    atomic_store_explicit(&cur_level, (int)level, memory_order_relaxed);
    atomic_store_explicit(&cur_format, (int)format, memory_order_relaxed);
}

bool log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOGL_DEBUG; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    return false;
}

bool log_format_parse(const char *s, enum log_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = LOGF_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = LOGF_JSON;
    else
        return false;
    return true;
}

bool log_enabled(enum log_level level)
{
    return (int)level <= atomic_load_explicit(&cur_level, memory_order_relaxed);
}

/* msg JSON-escaped into out (room for cap bytes and a NUL); returns the bytes written. */
static size_t escape(const char *msg, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 7 < cap; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c; /* UTF-8 passes as it is */
        }
    }
    out[n] = '\0';
    return n;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char msg[LINE_MAX_BYTES], line[LINE_MAX_BYTES * 2 + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t ml = strlen(msg);
    while (ml && msg[ml - 1] == '\n')
        msg[--ml] = '\0';
    size_t n;
    if (atomic_load_explicit(&cur_format, memory_order_relaxed) == LOGF_JSON) {
        struct timespec t;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &t);
        gmtime_r(&t.tv_sec, &tm);
        n = (size_t)snprintf(line, sizeof line,
                             "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\","
                             "\"msg\":\"",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                             tm.tm_sec, t.tv_nsec / 1000000, level_names[level]);
        n += escape(msg, line + n, sizeof line - n - 4);
        memcpy(line + n, "\"}\n", 3);
        n += 3;
    } else {
        n = (size_t)snprintf(line, sizeof line, "geod: %s\n", msg);
        if (n >= sizeof line)
            n = sizeof line - 1;
    }
    for (size_t off = 0; off < n;) { /* one write; a short one (a pipe) goes on */
        ssize_t w = write(STDERR_FILENO, line + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

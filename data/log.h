/* log.h - geod's own diagnostic lines (not the access log): one line each on stderr, filtered by
 * level, as text ("geod: message") or as JSON lines ({"time","level","msg"}). Lives in data/, the
 * lowest layer allowed to do I/O, so that data/, api/ and geod/ all write through it. */
#ifndef GEOD_LOG_H
#define GEOD_LOG_H

#include <stdbool.h>

enum log_level { LOGL_ERROR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };
enum log_format { LOGF_TEXT, LOGF_JSON };

/* Sets the level (lines above it are dropped) and the format; defaults LOGL_INFO, LOGF_TEXT. Call
 * before any thread logs. */
void log_configure(enum log_level level, enum log_format format);

/* "error", "warn", "info", "debug" / "text", "json": false for anything else. */
bool log_level_parse(const char *s, enum log_level *out);
bool log_format_parse(const char *s, enum log_format *out);

/* Would a line at this level be written? */
bool log_enabled(enum log_level level);

/* Writes one line at level (printf-style, no trailing newline needed): "geod: " + message as
 * text, or {"time":"…Z","level":"…","msg":"…"} with the message JSON-escaped. A line is written
 * with one write(2), so lines of different threads never interleave. */
__attribute__((format(printf, 2, 3))) void log_write(enum log_level level, const char *fmt, ...);

#define log_error(...) log_write(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOGL_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOGL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOGL_DEBUG, __VA_ARGS__)

#endif

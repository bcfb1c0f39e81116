/* config.h - the configuration file of `geod serve --config FILE`: lines of `key = value`, read
 * into (key, value, line) triples for geod/serve.c's option table. The format only; what a key
 * means is the option table's business.
 *
 *   # a comment: a line whose first non-blank character is '#'
 *   listen = 127.0.0.1:8080       keys: letters, digits and '-' (the long options of serve)
 *   db     = /var/lib/geod/geod.sqlite
 *   cors-origin = https://a.example.cn      a repeatable option: one line per value
 *
 * Blanks around keys and values are dropped; a value runs to the end of its line (no quoting,
 * no inline comments: '#' inside a value is part of it) and is never empty. Lines end in LF or
 * CRLF. NUL bytes and other control characters (tab aside), lines over CONFIG_LINE_MAX bytes, a
 * line without '=', a bad key or an empty value are errors with the line number. */
#ifndef GEOD_CONFIG_H
#define GEOD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_LINE_MAX 4096 /* bytes of one line, without its end */
#define CONFIG_KEY_MAX 64    /* bytes of one key */

/* One setting. key and value are NUL-terminated and point into the text config_parse was given,
 * which it rewrites in place (so they live as long as it does). */
struct config_item {
    const char *key;
    const char *value;
    unsigned line; /* 1-based */
};

/* Called for each setting in file order; returns false to stop (config_parse then returns
 * false with *line at the item's line and err left as the callback wrote it). */
typedef bool (*config_item_fn)(void *ctx, const struct config_item *item, char *err, size_t errlen);

/* Parses text[0..len) (modified in place: len + 1 bytes must be writable, text[len] included),
 * calling fn for every setting. False at the first malformed line (*line set, why in err) or
 * when fn returns false. */
bool config_parse(char *text, size_t len, config_item_fn fn, void *ctx, unsigned *line, char *err,
                  size_t errlen);

/* Reads the file at path into a malloc'ed buffer with room for config_parse (a NUL after the
 * bytes), refusing files over CONFIG_FILE_MAX; false with why (strerror and the like) in err. */
#define CONFIG_FILE_MAX (1024 * 1024)
bool config_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);

#endif

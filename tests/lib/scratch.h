/* scratch.h - a scratch directory for the files a test makes (under /tmp, removed with what is in
 * it), and files read and written whole. Nothing here uses tests/t.h. */
#ifndef GEOD_TEST_SCRATCH_H
#define GEOD_TEST_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

struct scratch {
    char dir[128]; /* "/tmp/PREFIX.XXXXXX" made unique by mkdtemp, "" before */
};

/* Makes the directory; false (errno set) if it cannot. */
bool scratch_new(struct scratch *s, const char *prefix);
/* DIR/name into out[0..cap), which it returns. */
char *scratch_path(const struct scratch *s, char *out, size_t cap, const char *name);
/* Removes the directory and everything in it. */
void scratch_free(struct scratch *s);

/* The whole file, malloc'ed, or NULL when it cannot be read; *len gets its size. */
char *scratch_slurp(const char *path, size_t *len);
/* Writes data[0..len) as the whole file; false on any error. */
bool scratch_spit(const char *path, const void *data, size_t len);
bool scratch_exists(const char *path);

#endif

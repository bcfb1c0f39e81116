/* scratch.c - scratch directories and whole files (see scratch.h). */
#include "tests/lib/scratch.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

bool scratch_new(struct scratch *s, const char *prefix)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/%s.XXXXXX", prefix);
    if (mkdtemp(s->dir))
        return true;
    s->dir[0] = '\0';
    return false;
}

char *scratch_path(const struct scratch *s, char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", s->dir, name);
    return out;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(p);
}

void scratch_free(struct scratch *s)
{
    if (s->dir[0])
        nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = '\0';
}

char *scratch_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0'; /* n < cap always: the loop grows on n == cap */
    *len = n;
    return buf;
}

bool scratch_spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

bool scratch_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* fuzz_config.c - config_parse (the geod serve --config format) on hostile bytes: it never
 * crashes, every item it yields has a non-empty key of key characters and a non-empty value
 * without a line end, and line numbers never go backwards. */
#include "geod/config.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct seen {
    unsigned last_line;
};

static bool item(void *ctx, const struct config_item *it, char *err, size_t errlen)
{
    struct seen *s = ctx;
    size_t kl = strlen(it->key), vl = strlen(it->value);
    if (kl == 0 || kl > CONFIG_KEY_MAX || vl == 0 || vl > CONFIG_LINE_MAX ||
        strpbrk(it->value, "\r\n") || strpbrk(it->key, " \t=#") || it->line < s->last_line ||
        it->value[0] == ' ' || it->value[vl - 1] == ' ')
        __builtin_trap();
    s->last_line = it->line;
    return true;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct seen s = {0};
    unsigned line;
    char err[256];
    config_parse(text, size, item, &s, &line, err, sizeof err);
    free(text);
    return 0;
}

/* radix.c - see radix.h. One counting pass finds the histograms of all eight key bytes; a byte
 * whose histogram has a single bucket is skipped, so keys with few significant bits (cell
 * coordinates at a low zoom, ids below 2^24) take few passes. */
#include "index/radix.h"

#include <stdlib.h>
#include <string.h>

enum geod_err radix_sort(struct radix_pair *a, size_t n)
{
    if (n < 2)
        return GEOD_OK;
    size_t(*count)[256] = calloc(8, sizeof *count);
    struct radix_pair *tmp = malloc(n * sizeof *tmp);
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return GEOD_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            count[b][(a[i].key >> (8 * b)) & 0xff]++;
    struct radix_pair *src = a, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        size_t *c = count[b], sum = 0;
        if (c[(src[0].key >> (8 * b)) & 0xff] == n)
            continue; /* every key has this byte */
        for (int v = 0; v < 256; v++) {
            size_t k = c[v];
            c[v] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i].key >> (8 * b)) & 0xff]++] = src[i];
        struct radix_pair *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    free(count);
    free(tmp);
    return GEOD_OK;
}

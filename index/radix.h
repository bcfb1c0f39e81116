/* radix.h - a stable LSD radix sort of (64-bit key, 64-bit value) pairs, for the index builders:
 * O(n) per significant key byte, where a byte equal in every key costs one counting pass. */
#ifndef GEOD_RADIX_H
#define GEOD_RADIX_H

#include "index/err.h"

#include <stddef.h>
#include <stdint.h>

struct radix_pair {
    uint64_t key; /* sorted ascending */
    uint64_t val; /* carried along */
};

/* Sorts a[0..n) by key, keeping the order of equal keys; GEOD_ENOMEM leaves a unchanged. */
enum geod_err radix_sort(struct radix_pair *a, size_t n);

#endif

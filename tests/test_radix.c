/* test_radix.c - index/radix.c against qsort by (key, original position): random keys with
 * few or many significant bytes, many ties, already sorted and reversed input. */
#include "index/radix.h"
#include "tests/t.h"

#include <stdlib.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* the oracle's order: key, then the position before sorting (val holds it) */
static int by_key_then_val(const void *a, const void *b)
{
    const struct radix_pair *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->val < y->val ? -1 : x->val > y->val;
}

static void check(struct radix_pair *a, size_t n, const char *what)
{
    struct radix_pair *want = malloc((n ? n : 1) * sizeof *want);
    for (size_t i = 0; i < n; i++)
        a[i].val = i;
    for (size_t i = 0; i < n; i++)
        want[i] = a[i];
    qsort(want, n, sizeof *want, by_key_then_val);
    T_CHECK(radix_sort(a, n) == GEOD_OK);
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (a[i].key != want[i].key || a[i].val != want[i].val)
            bad = i;
    T_CHECKF(bad == n, "%s, n = %zu: position %zu differs", what, n, bad);
    free(want);
}

static void test_random(void)
{
    static const uint64_t masks[] = {
        0, 0xff, 0xff00, 0xffffffff, 0xff00ff00ff00ff00ull, 0xf0000000000000ffull, ~0ull};
    for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
        for (size_t n = 0; n < 3000; n = n * 3 + 1) {
            struct radix_pair *a = malloc((n ? n : 1) * sizeof *a);
            for (size_t i = 0; i < n; i++)
                a[i].key = rnd() & masks[m];
            check(a, n, "random");
            check(a, n, "sorted"); /* a is in order now */
            for (size_t i = 0; i < n / 2; i++) {
                struct radix_pair t = a[i];
                a[i] = a[n - 1 - i];
                a[n - 1 - i] = t;
            }
            check(a, n, "reversed");
            for (size_t i = 0; i < n; i++) /* few distinct keys: stability matters */
                a[i].key = (rnd() % 5) << 40;
            check(a, n, "ties");
            free(a);
        }
    }
}

int main(void)
{
    T_RUN(test_random);
    return T_END();
}

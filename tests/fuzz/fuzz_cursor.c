/* fuzz_cursor.c - cursor_decode on hostile bytes: it never crashes, and whatever it accepts
 * re-encodes to exactly the same text. */
#include "api/cursor.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct cursor c;
    if (cursor_decode((const char *)data, size, &c) != GEOD_OK)
        return 0;
    if (!isfinite(c.after_m) || c.after_m < 0)
        __builtin_trap();
    char again[CURSOR_LEN + 1];
    cursor_encode(&c, again);
    if (size != CURSOR_LEN || memcmp(again, data, CURSOR_LEN) != 0)
        __builtin_trap();
    return 0;
}

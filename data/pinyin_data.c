/* pinyin_data.c - embeds the pinyin tables with the assembler's .incbin, like data/wuhan.c (paths
 * relative to the repository root; the Makefile generates build/gen/unihan_pinyin.txt first and
 * lists both files as dependencies of this object).
 *
 * build/gen/unihan_pinyin.txt is derived from Unihan_Readings.txt (Unicode 15.0, Debian package
 * unicode-data), Copyright (c) 1991-2022 Unicode, Inc., distributed under the UNICODE, INC.
 * LICENSE AGREEMENT - DATA FILES AND SOFTWARE (https://www.unicode.org/copyright.html): a
 * permissive licence that allows copying and modifying the data provided the copyright and
 * permission notice accompany it. This software embeds a modified form of that data file (tones
 * removed, five reading fields merged: data/gen_pinyin.sh); data/PINYIN.md has the notice. */
#include "data/pinyin_data.h"

#define EMBED(sym, file)                                                                           \
    __asm__(".section .rodata\n"                                                                   \
            ".balign 16\n"                                                                         \
            ".global " #sym "_start\n" #sym "_start:\n"                                            \
            ".incbin \"" file "\"\n"                                                               \
            ".global " #sym "_end\n" #sym "_end:\n"                                                \
            ".byte 0\n"                                                                            \
            ".previous\n");                                                                        \
    extern const char sym##_start[], sym##_end[]

EMBED(geod_pinyin_unihan, "build/gen/unihan_pinyin.txt");
EMBED(geod_pinyin_overrides, "data/wuhan/pinyin_overrides.csv");

struct pinyin_data_blob pinyin_data_unihan(void)
{
    return (struct pinyin_data_blob){geod_pinyin_unihan_start,
                                     (size_t)(geod_pinyin_unihan_end - geod_pinyin_unihan_start)};
}

struct pinyin_data_blob pinyin_data_overrides(void)
{
    return (struct pinyin_data_blob){
        geod_pinyin_overrides_start,
        (size_t)(geod_pinyin_overrides_end - geod_pinyin_overrides_start)};
}

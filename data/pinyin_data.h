/* pinyin_data.h - the pinyin tables compiled into the binary: the toneless Unihan readings that
 * data/gen_pinyin.sh generates at build time (Unicode data licence) and the place-name overrides of
 * data/wuhan/pinyin_overrides.csv. See data/PINYIN.md. index/pinyin.h parses them. */
#ifndef GEOD_PINYIN_DATA_H
#define GEOD_PINYIN_DATA_H

#include <stddef.h>

struct pinyin_data_blob {
    const char *data; /* the file's bytes, followed by a NUL */
    size_t len;       /* without the NUL */
};

/* build/gen/unihan_pinyin.txt: "HEX<TAB>reading[ reading...]" lines, for pinyin_table_new(). */
struct pinyin_data_blob pinyin_data_unihan(void);
/* data/wuhan/pinyin_overrides.csv, for pinyin_overrides_new(). */
struct pinyin_data_blob pinyin_data_overrides(void);

#endif

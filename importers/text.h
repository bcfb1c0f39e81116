/* text.h - the encodings the data center's files come in (UTF-8, GBK, GB18030) into UTF-8, one
 * field at a time, refusing what is not text: invalid sequences, NUL and other control characters
 * (tab excepted). One converter per reader; not thread-safe. */
#ifndef GEOD_TEXT_H
#define GEOD_TEXT_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>

enum text_encoding { TEXT_UTF8, TEXT_GBK, TEXT_GB18030 };

/* "utf-8"/"utf8", "gbk"/"cp936", "gb18030" (any case); GEOD_EINVAL otherwise. */
enum geod_err text_encoding_parse(const char *name, enum text_encoding *out);
const char *text_encoding_name(enum text_encoding e);

/* What bytes say about themselves: a UTF-8 BOM, or valid UTF-8 with no BOM (nearly never true of
 * Chinese text in GBK). *known is false when neither: the encoding must then be given. */
void text_detect(const char *data, size_t len, enum text_encoding *out, bool *known);

struct text_conv;

enum geod_err text_conv_new(enum text_encoding from, struct text_conv **out);
void text_conv_free(struct text_conv *c);

/* field[0..len) as UTF-8 into the converter's buffer: *out (NUL-terminated, valid until the next
 * call) and *out_len. GEOD_EINVAL with *why ("not valid GBK", "a control character", ...) when
 * the bytes are not text in that encoding; GEOD_ENOMEM. Leading and trailing spaces are kept. */
enum geod_err text_to_utf8(struct text_conv *c, const char *field, size_t len, const char **out,
                           size_t *out_len, const char **why);

#endif

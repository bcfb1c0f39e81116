/* pinyin.h - toneless Mandarin readings of Han characters (from Unihan, see data/PINYIN.md) and a
 * table of local place-name readings that override the customary one. Parses bytes handed in
 * (the embedded tables of data/pinyin_data.c); no I/O. Everything here is immutable once built
 * and safe to share between threads.
 *
 * A reading is a syllable of lower-case ASCII letters with the tone removed and u-umlaut written
 * v ("lv"), at most PINYIN_MAX_SYLLABLE letters; the table numbers its distinct syllables. A code
 * point's readings are listed customary first (Unihan kMandarin), then the others. */
#ifndef GEOD_PINYIN_H
#define GEOD_PINYIN_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PINYIN_MAX_SYLLABLE 6          /* letters in the longest syllable ("zhuang") */
#define PINYIN_MAX_SYLLABLES 1024      /* distinct syllables a table may hold */
#define PINYIN_MAX_READINGS 32         /* readings of one code point */
#define PINYIN_NONE ((uint16_t)0xFFFF) /* "no syllable" */

struct pinyin_table;
struct pinyin_overrides;

/* Parses the generated table (build/gen/unihan_pinyin.txt, format in data/gen_pinyin.sh):
 * lines "HEX<TAB>reading[ reading...]" in strictly increasing code point order. Anything else,
 * a reading that is not [a-z]{1,6}, a repeated reading or too many syllables is GEOD_ECORRUPT. */
enum geod_err pinyin_table_new(const char *blob, size_t len, struct pinyin_table **out);
void pinyin_table_free(struct pinyin_table *t);

size_t pinyin_table_count(const struct pinyin_table *t); /* code points with readings */
size_t pinyin_table_bytes(const struct pinyin_table *t); /* memory held */
size_t pinyin_syllable_count(const struct pinyin_table *t);

/* The readings of cp, customary first: sets *ids (borrowed, valid while t lives) and returns how
 * many (0, and *ids = NULL, for a code point without readings). */
size_t pinyin_readings(const struct pinyin_table *t, uint32_t cp, const uint16_t **ids);

/* The text of syllable id (< pinyin_syllable_count), NUL-terminated; its length into *len if
 * len is not NULL. */
const char *pinyin_syllable(const struct pinyin_table *t, uint16_t id, size_t *len);

/* The id of the syllable spelled s[0..len), or PINYIN_NONE. */
uint16_t pinyin_syllable_find(const struct pinyin_table *t, const char *s, size_t len);

/* Parses the override table (data/wuhan/pinyin_overrides.csv): a header line "text,pinyin", then
 * rows TEXT,SYL[ SYL...] with one syllable per code point of TEXT, each a syllable the table
 * knows; blank lines and CR before LF are allowed, quotes are not. A malformed row is
 * GEOD_EINVAL with its 1-based line number in *err_line (if not NULL; 0 when there is none). */
enum geod_err pinyin_overrides_new(const struct pinyin_table *t, const char *csv, size_t len,
                                   struct pinyin_overrides **out, size_t *err_line);
void pinyin_overrides_free(struct pinyin_overrides *o);
size_t pinyin_overrides_count(const struct pinyin_overrides *o);

/* The preferred reading of each of cps[0..n) into pref[0..n): where an override's text occurs
 * (scanning left to right, the longest override starting at a position wins, occurrences do not
 * overlap) its syllables; elsewhere the customary reading; PINYIN_NONE for code points without
 * one. ov may be NULL. The other readings of a character stay what pinyin_readings() says. */
void pinyin_preferred(const struct pinyin_table *t, const struct pinyin_overrides *ov,
                      const uint32_t *cps, size_t n, uint16_t *pref);

/* The display pinyin of the UTF-8 text name[0..len), e.g. "黄陂区" -> "huang pi qu": one token
 * per Han character (its preferred reading), runs of ASCII letters and digits (full-width ones
 * folded, letters lower-cased, pinyin tone marks removed) kept as one token, tokens separated by
 * one space. Everything else (punctuation, spaces, Han characters without a reading such as 〇)
 * is skipped but ends a run. Writes at most cap bytes including a NUL (when cap > 0), sets *need
 * to the length without the NUL, and returns GEOD_ERANGE when it did not fit, GEOD_EINVAL for
 * invalid UTF-8, GEOD_ENOMEM. */
enum geod_err pinyin_name(const struct pinyin_table *t, const struct pinyin_overrides *ov,
                          const char *name, size_t len, char *buf, size_t cap, size_t *need);

/* 'a'..'z' for a Latin letter as people type pinyin: ASCII in either case, full-width, and the
 * pinyin vowels with tone marks (ā á ǎ à ... ü ǖ ǘ ǚ ǜ -> v, ê ế ề -> e, ń ň ǹ -> n, ḿ -> m);
 * 0 for anything else. */
int pinyin_fold_latin(uint32_t cp);

/* A tone mark written on its own: a combining diacritic (U+0300..U+036F) or a spacing tone
 * mark (ˉ ˊ ˇ ˋ ˙). */
bool pinyin_is_tone_mark(uint32_t cp);

#endif

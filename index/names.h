/* names.h - a search index over names (divisions, enterprises): Chinese text, full pinyin with or
 * without spaces and tones, initials, and any mix ("江han"), ranked exact > prefix > substring.
 * Built once, never modified, safe for concurrent searches (no shared scratch; a search uses about
 * 60 KiB of stack and allocates nothing). No I/O. Layout and search: names_impl.h,
 * names_search.c; see also data/PINYIN.md.
 *
 * Matching. The query (normalized as below) is split into pieces, one per name character, over a
 * run of consecutive characters of the name. A character is matched by a piece that is:
 *   - a Han character or other symbol of the query: the same character;
 *   - letters, for a Han character: one of its readings in full (customary, override, or any
 *     other Unihan reading; query u also matches the reading's v, so lu = lv); or the reading's
 *     initial: its first letter, and zh/ch/sh for readings starting so; or, for the piece that
 *     ends the query only, any prefix of a reading ("jiangh" finds 江汉);
 *   - one letter, for an ASCII letter of the name: the same letter.
 * No piece crosses a separator of the query. Non-Han characters without readings match only
 * themselves. Spaces and apostrophes in names are ignored.
 *
 * Classes: EXACT when the run is the whole name or the name without its suffixes; PREFIX when it
 * starts at the first character; SUBSTRING otherwise. Suffix rule: a name ending in a suffix of
 * the list (names_place_suffixes by default: 区 街道 社区 村委会 ...) has, besides itself, the
 * core that remains without that suffix, as long as the core keeps at least 2 characters; a core
 * that again ends in a suffix has its own core (江汉区 -> 江汉; 长江村村委会 -> 长江村 -> 长江),
 * up to 7 characters removed in all. A query that covers a core exactly is EXACT.
 *
 * Ranking: class, then the match rank below (the best over all ways the name matches), then
 * shorter names (in code points), then smaller id. The rank follows from the query's make-up and
 * the pieces used: 0 HANZI (no letters in the query), 1 MIXED (letters and other characters),
 * and for letters only: 2 PINYIN with preferred readings (an override's, else the customary one,
 * or letters of the name), 3 PINYIN using another reading, 4 PINYIN abbreviated (some character
 * by its initial, not only the last), 5 INITIALS (every piece an initial or a name letter; a
 * piece that spells a whole reading, like "e" for 鹅, is no initial). So "jiangh q" is 4: the h
 * does not end the query.
 *
 * Query normalization: invalid UTF-8 (overlong forms, surrogates, cut-off sequences), NUL and
 * other control characters (C0 but white space, DEL, C1) are GEOD_EINVAL; leading and trailing
 * white space (ASCII, U+00A0, U+3000) is trimmed; at most NAMES_MAX_QUERY code points may remain
 * (else GEOD_ERANGE). Then white space and apostrophes (' ’ ‘ ＇) separate syllables; tone marks
 * standing alone (U+0300..U+036F, ˉˊˇˋ˙) vanish; letters fold as pinyin_fold_latin() says (case,
 * full width, ā -> a, ü -> v); a run of digits right after a letter is tone numbers and only
 * separates (jiang1han4; so "a1" is "a": write "a 1" for the digit); other full-width ASCII
 * folds to ASCII; everything else is itself. A query with nothing left (empty, only spaces, a
 * lone tone mark) is GEOD_EINVAL. Names are folded alike, except that white space, apostrophes
 * and tone marks are dropped and any control character (tabs too) makes names_new refuse it. */
#ifndef GEOD_NAMES_H
#define GEOD_NAMES_H

#include "index/err.h"
#include "index/pinyin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAMES_MAX_QUERY 64         /* code points in a trimmed query */
#define NAMES_MAX_NAME 255         /* code points in a name, spaces and apostrophes not counted */
#define NAMES_MAX_COUNT (1u << 24) /* names in an index */
#define NAMES_MAX_LIMIT 1000       /* hits in one search */
#define NAMES_MAX_GROUPS 32        /* groups are 0..31; filters are 32-bit masks */
#define NAMES_ALL_GROUPS 0xFFFFFFFFu

enum names_class { NAMES_EXACT, NAMES_PREFIX, NAMES_SUBSTRING };
enum names_how { NAMES_HANZI, NAMES_MIXED, NAMES_PINYIN, NAMES_INITIALS };

struct names_entry {
    uint32_t id;      /* the caller's id, returned in hits; orders equal hits */
    const char *name; /* UTF-8, NUL-terminated; copied */
    uint32_t group;   /* < NAMES_MAX_GROUPS, e.g. the division level, for filtering */
};

struct names_hit {
    uint32_t id;    /* the entry's id */
    uint8_t cls;    /* enum names_class */
    uint8_t how;    /* enum names_how */
    uint8_t rank;   /* 0..5, see the top of this file */
    uint8_t len;    /* the name's length in code points */
    uint64_t score; /* cls << 44 | rank << 40 | len << 32 | id: hits come in increasing score */
};

struct names;

/* Place-name suffixes, longest first, NULL-terminated: 社区居民委员会 居民委员会 村民委员会
 * 社区居委会 街道办事处 委员会 居委会 村委会 管委会 办事处 管理处 生产队 街道 社区 居委 区 街
 * 镇 乡 村 县 市. */
extern const char *const names_place_suffixes[];

/* Builds an index over e[0..n). pt (borrowed: it must outlive the index) gives the readings; ov
 * (may be NULL; only used while building) the preferred ones; suffixes (NULL-terminated UTF-8
 * strings, or NULL for names_place_suffixes) the suffix rule. Names that are not valid UTF-8 or
 * hold control characters, and groups >= NAMES_MAX_GROUPS, are GEOD_EINVAL; names longer than
 * NAMES_MAX_NAME or n >= NAMES_MAX_COUNT are GEOD_ERANGE. An empty name never matches. */
enum geod_err names_new(const struct names_entry *e, size_t n, const struct pinyin_table *pt,
                        const struct pinyin_overrides *ov, const char *const *suffixes,
                        struct names **out);
void names_free(struct names *ix);

size_t names_count(const struct names *ix);
size_t names_bytes(const struct names *ix); /* memory held by the index (not by pt) */

/* The best up to `limit` (<= NAMES_MAX_LIMIT, else GEOD_ERANGE) names matching q[0..qlen), in
 * ranking order, into out[0..*n). Only names whose group bit is set in group_mask and, if accept
 * is not NULL, for which accept(udata, id) is true (it may be asked more than once per id) are
 * returned. Errors for the query are those of the normalization above; limit 0 gives no hits. */
enum geod_err names_search(const struct names *ix, const char *q, size_t qlen, uint32_t group_mask,
                           bool (*accept)(void *udata, uint32_t id), void *udata, size_t limit,
                           struct names_hit *out, size_t *n);

#endif

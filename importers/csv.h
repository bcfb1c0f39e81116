/* csv.h - an RFC 4180 CSV reader over bytes, from memory or a FILE. It splits records into fields
 * and undoes quoting; it never decodes text, so callers decode UTF-8 or GBK (and reject NUL bytes,
 * which pass through) field by field. It is not a validator of what the fields mean.
 *
 * The format read:
 *   - fields are separated by opt->delimiter; records end with LF, CRLF or a lone CR;
 *   - a field that starts with '"' is quoted: it may hold the delimiter, CR, LF, and "" for one
 *     quote, and must be followed by the delimiter, a line ending or the end of input;
 *   - a quote anywhere else in a field is an error (we do not guess what a stray quote meant);
 *   - a UTF-8 BOM (EF BB BF) as the very first bytes is skipped (csv_had_bom);
 *   - a last record without a line ending is yielded; an empty input yields no record;
 *   - an empty line yields a record of one empty field, so callers skip records with
 *     nfields == 1 && fields[0].len == 0 when blank lines mean nothing to them.
 * Lines are physical: LF, CRLF and lone CR each end one, inside quotes too, so a record with a
 * quoted line break spans several. Columns count bytes from 1, not counting a skipped BOM. */
#ifndef GEOD_CSV_H
#define GEOD_CSV_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct csv_field {
    const char *p; /* the field's bytes, quoting undone; not NUL-terminated */
    size_t len;    /* number of bytes at p */
};

struct csv_options {
    char delimiter;    /* 0 → ','; '"', CR and LF are refused */
    size_t max_record; /* bytes in one record, quotes included, line ending not; 0 → 16 MiB */
    size_t max_fields; /* fields in one record; 0 → 4096 */
    size_t chunk;      /* csv_open_file: read at most this many bytes at a time; 0 → as many
                        * as the buffer has room for. Small values exist so tests can split
                        * records across reads. */
};

struct csv_reader;

/* A reader over data[0..len), which must outlive it and stay unchanged; data may be NULL when len
 * is 0. opt may be NULL for the defaults. GEOD_EINVAL for a refused delimiter. */
enum geod_err csv_open_mem(const char *data, size_t len, const struct csv_options *opt,
                           struct csv_reader **out);

/* A reader streaming from f, which must outlive it; csv_close does not fclose it. Reads the first
 * bytes to look for a BOM, so it may fail with GEOD_EIO. */
enum geod_err csv_open_file(FILE *f, const struct csv_options *opt, struct csv_reader **out);

void csv_close(struct csv_reader *r); /* csv_close(NULL) is a no-op */

/* The next record: *fields points at *nfields (>= 1) fields, valid until the next csv_next or
 * csv_close. Returns GEOD_ENOTFOUND at the end of input, GEOD_EINVAL for malformed input
 * (csv_error says why and where), GEOD_EIO when reading fails, GEOD_ENOMEM. Every result but
 * GEOD_OK and GEOD_ENOMEM is sticky: later calls return it again. After GEOD_ENOMEM the reader
 * is unchanged and the call may be retried. */
enum geod_err csv_next(struct csv_reader *r, const struct csv_field **fields, size_t *nfields);

/* The first error as a static string ("unterminated quoted field", "quote inside unquoted
 * field", "text after closing quote", "record too large", "too many fields", "read error"),
 * or NULL when there was none. */
const char *csv_error(const struct csv_reader *r);
size_t csv_error_line(const struct csv_reader *r);   /* 1-based line of the problem; 0: none */
size_t csv_error_column(const struct csv_reader *r); /* 1-based byte column of it; 0: none */

/* The 1-based physical line on which the last yielded record started; 0 before the first. */
size_t csv_record_line(const struct csv_reader *r);

bool csv_had_bom(const struct csv_reader *r); /* the input began with a UTF-8 BOM */

/* f holds exactly the bytes of the NUL-terminated s. */
bool csv_field_eq(const struct csv_field *f, const char *s);

#endif

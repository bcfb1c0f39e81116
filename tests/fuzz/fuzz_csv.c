/* fuzz_csv.c - importers/csv.c on arbitrary bytes, with ',' and with tab: reads every record from
 * memory and, in step, from fmemopen() of the same bytes with small reads, and traps unless both
 * yield the same records and the same outcome and every record and error obeys csv.h. */
#include "importers/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORD 4096
#define MAX_FIELDS 64

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* Physical lines in d[0..n): one more than the line breaks (LF, CRLF, lone CR). */
static size_t count_lines(const uint8_t *d, size_t n)
{
    size_t lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += d[i] == '\n' || (d[i] == '\r' && !(i + 1 < n && d[i + 1] == '\n'));
    return lines;
}

/* A record from memory: its fields lie inside the input, in order, or (quoted fields with "")
 * are unescaped copies, which hold a quote; together they fit the limits. */
static void check_record(const uint8_t *data, size_t size, const struct csv_field *f, size_t nf,
                         const char **prev_end)
{
    const char *lo = (const char *)data, *hi = lo + size;
    CHECK(nf >= 1 && nf <= MAX_FIELDS);
    size_t total = nf - 1; /* the delimiters */
    for (size_t i = 0; i < nf; i++) {
        CHECK(f[i].p != NULL);
        total += f[i].len;
        if (f[i].p >= lo && f[i].p <= hi) {
            CHECK(f[i].len <= (size_t)(hi - f[i].p));
            CHECK(f[i].p >= *prev_end);
            *prev_end = f[i].p + f[i].len;
        } else {
            CHECK(memchr(f[i].p, '"', f[i].len) != NULL);
        }
    }
    CHECK(total <= MAX_RECORD);
}

static void run(const uint8_t *data, size_t size, char delim)
{
    struct csv_options opt = {delim, MAX_RECORD, MAX_FIELDS, 1 + size % 13};
    struct csv_reader *m, *fr = NULL;
    CHECK(csv_open_mem((const char *)data, size, &opt, &m) == GEOD_OK);
    /* glibc's fmemopen takes no empty buffer; then only memory is read */
    FILE *f = size ? fmemopen((void *)data, size, "r") : NULL;
    if (f)
        CHECK(csv_open_file(f, &opt, &fr) == GEOD_OK);
    bool bom = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0;
    CHECK(csv_had_bom(m) == bom && (!fr || csv_had_bom(fr) == bom));

    size_t lines = count_lines(data, size), records = 0, last_line = 0;
    const char *prev_end = (const char *)data;
    enum geod_err rc;
    for (;;) {
        const struct csv_field *a, *b;
        size_t na, nb;
        rc = csv_next(m, &a, &na);
        if (fr)
            CHECK(csv_next(fr, &b, &nb) == rc);
        if (rc != GEOD_OK)
            break;
        records++;
        check_record(data, size, a, na, &prev_end);
        size_t line = csv_record_line(m);
        CHECK(line > last_line && line <= lines);
        last_line = line;
        if (!fr)
            continue;
        CHECK(nb == na && csv_record_line(fr) == line);
        for (size_t i = 0; i < na; i++)
            CHECK(a[i].len == b[i].len && memcmp(a[i].p, b[i].p, a[i].len) == 0);
    }
    CHECK(rc == GEOD_ENOTFOUND || rc == GEOD_EINVAL);
    CHECK(records <= lines);
    if (rc == GEOD_EINVAL) {
        const char *why = csv_error(m);
        CHECK(why != NULL);
        CHECK(csv_error_line(m) >= last_line && csv_error_line(m) >= 1);
        CHECK(csv_error_line(m) <= lines && csv_error_column(m) >= 1);
        CHECK(csv_error_column(m) <= size + 1);
        if (fr) {
            CHECK(csv_error(fr) != NULL && strcmp(csv_error(fr), why) == 0);
            CHECK(csv_error_line(fr) == csv_error_line(m));
            CHECK(csv_error_column(fr) == csv_error_column(m));
        }
    } else {
        CHECK(csv_error(m) == NULL && csv_error_line(m) == 0);
    }
    csv_close(m);
    csv_close(fr);
    if (f)
        fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, ',');
    run(data, size, '\t');
    return 0;
}

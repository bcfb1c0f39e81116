/* shapefile_dbf.c - the .dbf (dBase III) table of an ESRI Shapefile: its header, field
 * descriptors and fixed-width records, checked against the bytes that are there. Not a writer,
 * and not a reader of memo (.dbt) files.
 *
 * Format (dBase III+, as Shapefiles use it; all integers little-endian):
 *   0   version byte            4  u32 number of records    8  u16 header length
 *   10  u16 record length       29 language driver id (0x4D, 0x7A: GBK code page 936)
 *   32  field descriptors of 32 bytes: name[11] (NUL-padded), type at 11, length at 16,
 *       decimals at 17; the list ends with 0x0D, inside the header length
 *   the header length: the first record; each record is a deletion flag (' ', or '*' when
 *   deleted) and the fields' bytes one after the other, so the field lengths + 1 must equal the
 *   record length. An 0x1A may end the file. A number field of only '*' is null (shapelib
 *   writes nulls so), as is a blank one.
 * Invariants after dbf_open: every record the header counts lies within the file, and every
 * field lies within a record. */
#include "importers/shapefile_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct dbf_reader {
    struct shp_io io;
    uint32_t nrecords;
    uint32_t header_len;
    uint32_t record_len;
    unsigned ldid;
    struct dbf_field *fields;
    size_t *offs; /* [nfields] each field's offset in a record */
    size_t nfields;
    unsigned char *rec; /* [record_len] the record last read */
    bool have_rec;
    char plain[16]; /* a date made by dbf_value */
};

static enum geod_err fail(char *err, size_t errlen, enum geod_err rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static enum geod_err read_header(struct dbf_reader *r, char *err, size_t errlen)
{
    const char *name = r->io.name;
    unsigned char h[32];
    if (shp_io_read(&r->io, 0, h, sizeof h))
        return fail(err, errlen, GEOD_EINVAL, "%s: not a dBase file (shorter than its header)",
                    name);
    r->nrecords = shp_u32le(h + 4);
    r->header_len = (uint32_t)h[8] | (uint32_t)h[9] << 8;
    r->record_len = (uint32_t)h[10] | (uint32_t)h[11] << 8;
    r->ldid = h[29];
    if (r->header_len < 33 || r->header_len > r->io.size)
        return fail(err, errlen, GEOD_EINVAL,
                    "%s: the header says it is %u bytes long, in a "
                    "file of %llu",
                    name, r->header_len, (unsigned long long)r->io.size);
    size_t max = (r->header_len - 32) / 32;
    unsigned char *d = malloc(r->header_len);
    r->fields = calloc(max ? max : 1, sizeof *r->fields);
    r->offs = calloc(max ? max : 1, sizeof *r->offs);
    if (!d || !r->fields || !r->offs) {
        free(d);
        return GEOD_ENOMEM;
    }
    enum geod_err rc = shp_io_read(&r->io, 0, d, r->header_len);
    if (rc) {
        free(d);
        return fail(err, errlen, GEOD_EIO, "%s: cannot read its header", name);
    }
    size_t at = 32, width = 1;
    while (at < r->header_len && d[at] != 0x0D && r->nfields < max && at + 32 <= r->header_len) {
        struct dbf_field *f = &r->fields[r->nfields];
        memcpy(f->name, d + at, 11);
        f->name[11] = '\0';
        f->type = (char)d[at + 11];
        f->len = d[at + 16];
        f->decimals = d[at + 17];
        if (f->len == 0) {
            free(d);
            return fail(err, errlen, GEOD_EINVAL, "%s: field %zu has length 0", name,
                        r->nfields + 1);
        }
        r->offs[r->nfields++] = width;
        width += f->len;
        at += 32;
    }
    bool ended = at < r->header_len && d[at] == 0x0D;
    free(d);
    if (!ended)
        return fail(err, errlen, GEOD_EINVAL,
                    "%s: the field list does not end (0x0D) within "
                    "the %u-byte header",
                    name, r->header_len);
    if (width != r->record_len)
        return fail(err, errlen, GEOD_EINVAL,
                    "%s: the header says records of %u bytes, its %zu "
                    "fields add up to %zu",
                    name, r->record_len, r->nfields, width);
    uint64_t need = r->header_len + (uint64_t)r->nrecords * r->record_len;
    if (need > r->io.size)
        return fail(err, errlen, GEOD_EINVAL,
                    "%s: the header says %u records of %u bytes after "
                    "byte %u, %llu bytes in all; the file has %llu",
                    name, r->nrecords, r->record_len, r->header_len, (unsigned long long)need,
                    (unsigned long long)r->io.size);
    if (!(r->rec = malloc(r->record_len)))
        return GEOD_ENOMEM;
    return GEOD_OK;
}

enum geod_err dbf_open(const char *path, struct dbf_reader **out, char *err, size_t errlen)
{
    *out = NULL;
    struct dbf_reader *r = calloc(1, sizeof *r);
    if (!r)
        return GEOD_ENOMEM;
    enum geod_err rc = shp_io_open(&r->io, path);
    if (rc)
        fail(err, errlen, rc, "%s: %s", path,
             rc == GEOD_ENOTFOUND ? "no such file" : "cannot read it");
    else
        rc = read_header(r, err, errlen);
    if (rc) {
        dbf_close(r);
        return rc;
    }
    *out = r;
    return GEOD_OK;
}

enum geod_err dbf_open_mem(const void *data, size_t len, struct dbf_reader **out, char *err,
                           size_t errlen)
{
    *out = NULL;
    struct dbf_reader *r = calloc(1, sizeof *r);
    if (!r)
        return GEOD_ENOMEM;
    shp_io_mem(&r->io, data, len, "the .dbf");
    enum geod_err rc = read_header(r, err, errlen);
    if (rc) {
        dbf_close(r);
        return rc;
    }
    *out = r;
    return GEOD_OK;
}

void dbf_close(struct dbf_reader *r)
{
    if (!r)
        return;
    shp_io_close(&r->io);
    free(r->fields);
    free(r->offs);
    free(r->rec);
    free(r);
}

size_t dbf_nrecords(const struct dbf_reader *r)
{
    return r->nrecords;
}

size_t dbf_nfields(const struct dbf_reader *r)
{
    return r->nfields;
}

const struct dbf_field *dbf_field(const struct dbf_reader *r, size_t i)
{
    return i < r->nfields ? &r->fields[i] : NULL;
}

unsigned dbf_language_driver(const struct dbf_reader *r)
{
    return r->ldid;
}

enum geod_err dbf_read(struct dbf_reader *r, size_t i, bool *deleted, char *err, size_t errlen)
{
    r->have_rec = false;
    if (i >= r->nrecords)
        return fail(err, errlen, GEOD_EINVAL, "%s: record %zu: the file has %u records", r->io.name,
                    i + 1, r->nrecords);
    enum geod_err rc =
        shp_io_read(&r->io, r->header_len + (uint64_t)i * r->record_len, r->rec, r->record_len);
    if (rc)
        return fail(err, errlen, rc, "%s: record %zu: %s", r->io.name, i + 1,
                    rc == GEOD_EINVAL ? "past the end of the file" : "cannot read it");
    *deleted = r->rec[0] == '*';
    r->have_rec = true;
    return GEOD_OK;
}

/* A number as dBase writes it: spaces around, a sign, digits with at most one point, an
 * exponent (F fields). */
static bool is_number(const char *p, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
        digits++;
    if (i < n && p[i] == '.')
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            digits++;
    if (digits && i < n && (p[i] == 'e' || p[i] == 'E')) {
        size_t e = 0;
        if (++i < n && (p[i] == '-' || p[i] == '+'))
            i++;
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            e++;
        if (!e)
            return false;
    }
    return digits > 0 && i == n;
}

/* How many of the n bytes at p, from the first, are in set (p need not be NUL-terminated). */
static size_t span(const char *p, size_t n, const char *set)
{
    size_t i = 0;
    while (i < n && p[i] && strchr(set, p[i]))
        i++;
    return i;
}

static unsigned two(const char *p)
{
    return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

enum dbf_value dbf_value(struct dbf_reader *r, size_t j, const char **p, size_t *len)
{
    *p = "";
    *len = 0;
    if (!r->have_rec || j >= r->nfields) {
        *p = "no such field";
        return DBF_BAD;
    }
    const struct dbf_field *f = &r->fields[j];
    const char *s = (const char *)r->rec + r->offs[j];
    size_t n = f->len, b = 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
        n--;
    if (f->type == 'C') {
        *p = s;
        *len = n;
        return n ? DBF_TEXT : DBF_MISSING;
    }
    while (b < n && s[b] == ' ')
        b++;
    s += b;
    n -= b;
    if (n == 0)
        return DBF_MISSING;
    switch (f->type) {
    case 'N':
    case 'F':
        if (span(s, n, "*") == n)
            return DBF_MISSING; /* shapelib's (and so GDAL's) null number */
        if (!is_number(s, n)) {
            *p = "not a number";
            return DBF_BAD;
        }
        *p = s;
        *len = n;
        return DBF_PLAIN;
    case 'D': {
        if (n == 8 && span(s, n, "0") == 8)
            return DBF_MISSING;
        unsigned m = n == 8 ? two(s + 4) : 0, d = n == 8 ? two(s + 6) : 0;
        if (n != 8 || span(s, n, "0123456789") < 8 || m < 1 || m > 12 || d < 1 || d > 31) {
            *p = "not a date (YYYYMMDD)";
            return DBF_BAD;
        }
        memcpy(r->plain, s, 4);
        r->plain[4] = '-';
        memcpy(r->plain + 5, s + 4, 2);
        r->plain[7] = '-';
        memcpy(r->plain + 8, s + 6, 2);
        *p = r->plain;
        *len = 10;
        return DBF_PLAIN;
    }
    case 'L':
        if (n == 1 && strchr("TtYy", s[0])) {
            *p = "true";
            *len = 4;
            return DBF_PLAIN;
        }
        if (n == 1 && strchr("FfNn", s[0])) {
            *p = "false";
            *len = 5;
            return DBF_PLAIN;
        }
        if (n == 1 && s[0] == '?')
            return DBF_MISSING;
        *p = "not a logical (T, F, Y, N or ?)";
        return DBF_BAD;
    default:
        *p = "a dBase field of a type this reader does not read";
        return DBF_BAD;
    }
}

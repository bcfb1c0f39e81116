/* csv.c - the CSV reader of csv.h: splits bytes into records and fields; decodes nothing.
 *
 * The window. The unconsumed input is win[beg..end): the caller's bytes in memory mode, our
 * buffer in file mode. parse() reads one record from the window's start in a single forward pass
 * and either finishes it, names its first malformed byte, or asks for more bytes. In file mode
 * more bytes means: move the partial record to the buffer's start, double the buffer if the
 * record fills it, read, and parse the record again from its start. Each refill reads at least as
 * many bytes as the partial record holds (or fills the buffer, which then doubles), so a record of
 * L bytes costs O(L) to parse however many reads (of at most opt->chunk bytes) it spans.
 *
 * The limit. A record may hold max_record bytes before its line ending. parse() is never shown
 * more than lim = max_record + 2 bytes (room for the limit and a CRLF); when it asks for more with
 * lim bytes in view, or finishes or fails past the limit, the error is "record too large" at the
 * record's byte max_record. Since parse() reads forward and decides each byte from at most the
 * next one, memory and file mode (with any read sizes) yield the same records and the same first
 * error at the same place.
 *
 * Fields. An unquoted field, and a quoted one without "", points into the window; a quoted field
 * with "" is copied once, unescaped, into esc after its record is complete (so growing esc never
 * moves a field of the record being parsed). Nothing moves until the next csv_next. */
#include "importers/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_RECORD ((size_t)16 << 20)
#define DEFAULT_MAX_FIELDS 4096
#define FIRST_BUF ((size_t)64 << 10)
#define FIRST_FIELDS 16

struct csv_reader {
    const char *mem;          /* memory mode: the caller's bytes; NULL in file mode */
    FILE *f;                  /* file mode: the stream; NULL in memory mode */
    char *buf;                /* file mode: the window's storage */
    size_t cap;               /* bytes allocated at buf */
    size_t beg, end;          /* the unconsumed bytes are win[beg..end) */
    bool eof;                 /* no bytes follow win[end - 1] */
    size_t chunk;             /* file mode: largest read */
    size_t max_record;        /* bytes before a record's line ending */
    size_t lim;               /* max_record + 2: the most parse() is shown */
    size_t max_fields;        /* fields per record */
    unsigned char delim;      /* the field separator */
    bool bom;                 /* the input began with EF BB BF */
    enum geod_err rc;         /* sticky result: EINVAL, EIO or ENOTFOUND once reached */
    const char *why;          /* the first error, static; NULL for none */
    size_t eline, ecol;       /* where it is, 1-based */
    size_t line;              /* physical line at win[beg] */
    size_t rec_line;          /* physical line of the last yielded record */
    struct csv_field *fields; /* the current record */
    size_t nfields;           /* fields in it */
    size_t *escs;             /* indices of its fields that hold "" still to undo */
    size_t nesc;              /* entries in escs */
    size_t fcap;              /* capacity of fields and escs */
    char *esc;                /* unescaped copies of the fields in escs */
    size_t esc_cap;           /* bytes allocated at esc */
    unsigned char stop[256];  /* bytes that end an unquoted run: delimiter, quote, CR, LF */
};

/* Bytes that end a run of quoted field content: the quote and the line breaks we count. */
static const unsigned char quoted_stop[256] = {['"'] = 1, ['\r'] = 1, ['\n'] = 1};

enum parse_status { P_OK, P_MORE, P_BAD, P_NOMEM };

struct parse_out {
    size_t cend;     /* content end: offset of the line ending, input end, or bad byte + 1 */
    size_t used;     /* P_OK: bytes consumed, line ending included */
    size_t breaks;   /* P_OK: line breaks inside quoted fields */
    const char *why; /* P_BAD: the reason */
    size_t at;       /* P_BAD: offset of the problem */
};

static const char *win(const struct csv_reader *r)
{
    return r->mem ? r->mem : r->buf;
}

static enum parse_status bad(struct parse_out *o, const char *why, size_t at, size_t cend)
{
    o->why = why;
    o->at = at;
    o->cend = cend;
    return P_BAD;
}

static bool grow_fields(struct csv_reader *r)
{
    size_t cap = r->fcap ? r->fcap * 2 : FIRST_FIELDS;
    if (cap > r->max_fields)
        cap = r->max_fields;
    struct csv_field *f = realloc(r->fields, cap * sizeof *f);
    if (!f)
        return false;
    r->fields = f;
    size_t *e = realloc(r->escs, cap * sizeof *e);
    if (!e)
        return false;
    r->escs = e;
    r->fcap = cap;
    return true;
}

/* One quoted field whose opening quote is b[*i]: on P_OK *i is past the closing quote, *start
 * and *len give the content, *esc says whether it holds "". */
static enum parse_status parse_quoted(const unsigned char *b, size_t n, bool fin, size_t *i,
                                      size_t *start, size_t *len, bool *esc, struct parse_out *o)
{
    size_t q = *i, j = q + 1;
    *start = j;
    for (;;) {
        while (j < n && !quoted_stop[b[j]])
            j++;
        if (j + 1 >= n && !fin) /* a quote or CR is decided by the byte after it */
            return P_MORE;
        if (j >= n)
            return bad(o, "unterminated quoted field", q, n);
        if (b[j] == '"') {
            if (j + 1 < n && b[j + 1] == '"') {
                *esc = true;
                j += 2;
                continue;
            }
            break;
        }
        o->breaks++;
        j += b[j] == '\r' && j + 1 < n && b[j + 1] == '\n' ? 2 : 1;
    }
    *len = j - *start;
    *i = j + 1;
    return P_OK;
}

/* Reads the record at b[0..n) into r->fields; fin says no bytes follow b[n - 1]. */
static enum parse_status parse(struct csv_reader *r, const unsigned char *b, size_t n, bool fin,
                               struct parse_out *o)
{
    const unsigned char *stop = r->stop;
    size_t i = 0, nf = 0;
    o->breaks = 0;
    r->nesc = 0;
    for (;;) {
        size_t start, len;
        bool esc = false;
        if (i < n && b[i] == '"') {
            enum parse_status st = parse_quoted(b, n, fin, &i, &start, &len, &esc, o);
            if (st != P_OK)
                return st;
        } else {
            start = i;
            while (i < n && !stop[b[i]])
                i++;
            if (i < n && b[i] == '"')
                return bad(o, "quote inside unquoted field", i, i + 1);
            len = i - start;
        }
        if (nf == r->fcap && !grow_fields(r))
            return P_NOMEM;
        r->fields[nf] = (struct csv_field){(const char *)b + start, len};
        if (esc)
            r->escs[r->nesc++] = nf;
        nf++;
        if (i >= n) {
            if (!fin)
                return P_MORE;
            o->cend = o->used = n;
            break;
        }
        if (b[i] == r->delim) {
            if (nf == r->max_fields)
                return bad(o, "too many fields", i, i + 1);
            i++;
            continue;
        }
        if (b[i] != '\n' && b[i] != '\r')
            return bad(o, "text after closing quote", i, i + 1);
        o->cend = i;
        if (b[i] == '\r') {
            if (i + 1 >= n && !fin)
                return P_MORE;
            if (i + 1 < n && b[i + 1] == '\n')
                i++;
        }
        o->used = i + 1;
        break;
    }
    r->nfields = nf;
    return P_OK;
}

/* Undoes "" in the fields listed in escs, copying them into esc. */
static enum geod_err unescape(struct csv_reader *r)
{
    size_t need = 0;
    for (size_t k = 0; k < r->nesc; k++)
        need += r->fields[r->escs[k]].len;
    if (need > r->esc_cap) {
        size_t cap = r->esc_cap * 2 > need ? r->esc_cap * 2 : need;
        char *e = realloc(r->esc, cap);
        if (!e)
            return GEOD_ENOMEM;
        r->esc = e;
        r->esc_cap = cap;
    }
    char *w = r->esc;
    for (size_t k = 0; k < r->nesc; k++) {
        struct csv_field *f = &r->fields[r->escs[k]];
        const char *s = f->p, *e = s + f->len;
        char *first = w;
        while (s < e) {
            const char *q = memchr(s, '"', (size_t)(e - s));
            size_t run = q ? (size_t)(q + 1 - s) : (size_t)(e - s); /* up to one quote */
            memcpy(w, s, run);
            w += run;
            s += run + (q != NULL); /* skip the quote's twin */
        }
        f->p = first;
        f->len = (size_t)(w - first);
    }
    return GEOD_OK;
}

/* Records the first error, at offset at of the record b[0..n) that starts on r->line. */
static enum geod_err fail(struct csv_reader *r, const unsigned char *b, size_t n, const char *why,
                          size_t at)
{
    size_t line = r->line, ls = 0;
    for (size_t i = 0; i < at; i++) {
        if (b[i] == '\n' || (b[i] == '\r' && !(i + 1 < n && b[i + 1] == '\n'))) {
            line++;
            ls = i + 1;
        }
    }
    r->why = why;
    r->eline = line;
    r->ecol = at - ls + 1;
    return r->rc = GEOD_EINVAL;
}

/* File mode: moves the unconsumed bytes to the buffer's start, grows the buffer if they fill
 * it, and reads as many bytes again (or until the buffer is full). Only called while the window
 * holds fewer than lim bytes, so cap < lim when the buffer is full and growing to at most lim
 * makes room. */
static enum geod_err fill(struct csv_reader *r)
{
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    if (r->end == r->cap) {
        size_t cap = r->cap * 2 < r->lim ? r->cap * 2 : r->lim;
        char *b = realloc(r->buf, cap);
        if (!b)
            return GEOD_ENOMEM;
        r->buf = b;
        r->cap = cap;
    }
    size_t room = r->cap - r->end, goal = r->end ? r->end : 1, got = 0;
    if (goal > room)
        goal = room;
    while (got < goal) {
        size_t want = room - got < r->chunk ? room - got : r->chunk;
        size_t n = fread(r->buf + r->end, 1, want, r->f);
        r->end += n;
        got += n;
        if (n < want) {
            if (ferror(r->f)) {
                r->why = "read error";
                return r->rc = GEOD_EIO;
            }
            r->eof = true;
            break;
        }
    }
    return GEOD_OK;
}

static enum geod_err open_common(const struct csv_options *opt, struct csv_reader **out)
{
    struct csv_options o = opt ? *opt : (struct csv_options){0};
    *out = NULL;
    if (o.delimiter == '"' || o.delimiter == '\r' || o.delimiter == '\n')
        return GEOD_EINVAL;
    struct csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return GEOD_ENOMEM;
    r->delim = (unsigned char)(o.delimiter ? o.delimiter : ',');
    r->max_record = o.max_record ? o.max_record : DEFAULT_MAX_RECORD;
    if (r->max_record > SIZE_MAX / 4)
        r->max_record = SIZE_MAX / 4;
    r->lim = r->max_record + 2;
    r->max_fields = o.max_fields ? o.max_fields : DEFAULT_MAX_FIELDS;
    r->chunk = o.chunk ? o.chunk : SIZE_MAX;
    r->line = 1;
    r->stop[r->delim] = r->stop['"'] = r->stop['\r'] = r->stop['\n'] = 1;
    *out = r;
    return GEOD_OK;
}

static void skip_bom(struct csv_reader *r)
{
    const char *w = win(r) + r->beg;
    if (r->end - r->beg >= 3 && memcmp(w, "\xEF\xBB\xBF", 3) == 0) {
        r->beg += 3;
        r->bom = true;
    }
}

enum geod_err csv_open_mem(const char *data, size_t len, const struct csv_options *opt,
                           struct csv_reader **out)
{
    enum geod_err rc = open_common(opt, out);
    if (rc)
        return rc;
    struct csv_reader *r = *out;
    r->mem = data ? data : "";
    r->end = data ? len : 0;
    r->eof = true;
    skip_bom(r);
    return GEOD_OK;
}

enum geod_err csv_open_file(FILE *f, const struct csv_options *opt, struct csv_reader **out)
{
    enum geod_err rc = open_common(opt, out);
    if (rc)
        return rc;
    struct csv_reader *r = *out;
    r->f = f;
    r->cap = FIRST_BUF;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        csv_close(r);
        *out = NULL;
        return GEOD_ENOMEM;
    }
    while (r->end < 3 && !r->eof) {
        if ((rc = fill(r))) {
            csv_close(r);
            *out = NULL;
            return rc;
        }
    }
    skip_bom(r);
    return GEOD_OK;
}

void csv_close(struct csv_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->fields);
    free(r->escs);
    free(r->esc);
    free(r);
}

enum geod_err csv_next(struct csv_reader *r, const struct csv_field **fields, size_t *nfields)
{
    *fields = NULL;
    *nfields = 0;
    if (r->rc)
        return r->rc;
    for (;;) {
        size_t n = r->end - r->beg;
        bool fin = r->eof;
        if (n > r->lim) {
            n = r->lim;
            fin = false;
        }
        if (n == 0 && fin)
            return r->rc = GEOD_ENOTFOUND;
        const unsigned char *b = (const unsigned char *)win(r) + r->beg;
        struct parse_out o;
        enum parse_status st = parse(r, b, n, fin, &o);
        if (st == P_NOMEM)
            return GEOD_ENOMEM;
        if (st == P_MORE && n < r->lim) {
            enum geod_err rc = fill(r);
            if (rc)
                return rc;
            continue;
        }
        if (st == P_MORE || o.cend > r->max_record)
            return fail(r, b, n, "record too large", r->max_record);
        if (st == P_BAD)
            return fail(r, b, n, o.why, o.at);
        enum geod_err rc = unescape(r);
        if (rc)
            return rc;
        r->beg += o.used;
        r->rec_line = r->line;
        r->line += o.breaks + (o.used > o.cend);
        *fields = r->fields;
        *nfields = r->nfields;
        return GEOD_OK;
    }
}

const char *csv_error(const struct csv_reader *r)
{
    return r->why;
}

size_t csv_error_line(const struct csv_reader *r)
{
    return r->eline;
}

size_t csv_error_column(const struct csv_reader *r)
{
    return r->ecol;
}

size_t csv_record_line(const struct csv_reader *r)
{
    return r->rec_line;
}

bool csv_had_bom(const struct csv_reader *r)
{
    return r->bom;
}

bool csv_field_eq(const struct csv_field *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && (n == 0 || memcmp(f->p, s, n) == 0);
}

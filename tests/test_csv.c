/* test_csv.c - importers/csv.c: a table of inputs with their records or first error, each read
 * from memory and from files with several read sizes; random tables written by an independent
 * writer and read back; random malformed bytes against a brute-force oracle; 10 MB records
 * through a FILE; and a throughput figure (printed, never asserted). */
#include "importers/csv.h"
#include "tests/t.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* ---- a growable string, for renderings */

struct sb {
    char *p;
    size_t len, cap;
};

static void sb_put(struct sb *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
        if (!s->p)
            abort();
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void sb_str(struct sb *s, const char *p)
{
    sb_put(s, p, strlen(p));
}

static void sb_fmt(struct sb *s, const char *fmt, size_t a, size_t b)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, fmt, a, b);
    sb_put(s, tmp, (size_t)n);
}

/* A field as <bytes>, NUL shown as \0 so renderings stay C strings. */
static void sb_field(struct sb *s, const char *p, size_t n)
{
    sb_str(s, "<");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\0')
            sb_str(s, "\\0");
        else
            sb_put(s, p + i, 1);
    }
    sb_str(s, ">");
}

/* ---- rendering a reader: "BOM " if any, then "LINE:<f1><f2>;" per record, then
 * "!reason@line:col" for an error; nothing more at a clean end. */

static void render(struct csv_reader *r, struct sb *s)
{
    const struct csv_field *f;
    size_t nf;
    enum geod_err rc;
    while ((rc = csv_next(r, &f, &nf)) == GEOD_OK) {
        sb_fmt(s, "%zu:", csv_record_line(r), 0);
        for (size_t i = 0; i < nf; i++)
            sb_field(s, f[i].p, f[i].len);
        sb_str(s, ";");
    }
    if (rc == GEOD_EINVAL) {
        sb_str(s, "!");
        sb_str(s, csv_error(r));
        sb_fmt(s, "@%zu:%zu", csv_error_line(r), csv_error_column(r));
    } else if (rc != GEOD_ENOTFOUND) {
        sb_fmt(s, "!rc=%zu", (size_t)rc, 0);
    }
    if (csv_next(r, &f, &nf) != rc) /* results are sticky */
        sb_str(s, "!not sticky");
}

static FILE *file_of(const char *data, size_t len)
{
    FILE *f = tmpfile();
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    rewind(f);
    return f;
}

/* Renders data read from memory (chunk == 0) or from a temporary file with opt->chunk reads. */
static char *read_all(const char *data, size_t len, struct csv_options opt, bool from_file)
{
    struct sb s = {0};
    struct csv_reader *r;
    FILE *f = from_file ? file_of(data, len) : NULL;
    enum geod_err rc = f ? csv_open_file(f, &opt, &r) : csv_open_mem(data, len, &opt, &r);
    if (rc) {
        sb_fmt(&s, "!open rc=%zu", (size_t)rc, 0);
    } else {
        struct sb body = {0};
        sb_str(&body, "");
        render(r, &body);
        if (csv_had_bom(r))
            sb_str(&s, "BOM ");
        sb_str(&s, body.p);
        free(body.p);
    }
    csv_close(r);
    if (f)
        fclose(f);
    if (!s.p)
        sb_str(&s, "");
    return s.p;
}

/* ---- the table */

struct ccase {
    const char *in;
    size_t len; /* 0: strlen(in) */
    char delim;
    size_t max_record, max_fields;
    const char *want;
};

#define BOM "\xEF\xBB\xBF"

static const struct ccase cases[] = {
    {"a,b,c\n1,2,3\n", 0, 0, 0, 0, "1:<a><b><c>;2:<1><2><3>;"},
    {"a,b\nc,d", 0, 0, 0, 0, "1:<a><b>;2:<c><d>;"},
    {"", 0, 0, 0, 0, ""},
    {"\n", 0, 0, 0, 0, "1:<>;"},
    {"\r\n", 0, 0, 0, 0, "1:<>;"},
    {"\r", 0, 0, 0, 0, "1:<>;"},
    {"\n\n", 0, 0, 0, 0, "1:<>;2:<>;"},
    {"a\n\nb\n", 0, 0, 0, 0, "1:<a>;2:<>;3:<b>;"},
    {"\"a,b\",\"c\"\"d\"\n", 0, 0, 0, 0, "1:<a,b><c\"d>;"},
    {"\"\",\"\"\"\"\n", 0, 0, 0, 0, "1:<><\">;"},
    {"\"\"\"a\"\"\"\"b\"\"\"", 0, 0, 0, 0, "1:<\"a\"\"b\">;"},
    {"\"x\ny\",z\nq\n", 0, 0, 0, 0, "1:<x\ny><z>;3:<q>;"},
    {"\"x\r\ny\",z\r\nq\r\n", 0, 0, 0, 0, "1:<x\r\ny><z>;3:<q>;"},
    {"\"x\ry\"\rq", 0, 0, 0, 0, "1:<x\ry>;3:<q>;"},
    {"\"\n\n\r\r\n\"\n", 0, 0, 0, 0, "1:<\n\n\r\r\n>;"},
    {"a\rb\r\nc\nd", 0, 0, 0, 0, "1:<a>;2:<b>;3:<c>;4:<d>;"},
    {",,\n", 0, 0, 0, 0, "1:<><><>;"},
    {"a,\n", 0, 0, 0, 0, "1:<a><>;"},
    {",a", 0, 0, 0, 0, "1:<><a>;"},
    {"a,\"\"", 0, 0, 0, 0, "1:<a><>;"},
    {" a , b ", 0, 0, 0, 0, "1:< a >< b >;"},
    {"\"a\"", 0, 0, 0, 0, "1:<a>;"},
    {"\"a\"\r", 0, 0, 0, 0, "1:<a>;"},
    {BOM "id,名称\n1,x\n", 0, 0, 0, 0, "BOM 1:<id><名称>;2:<1><x>;"},
    {BOM, 0, 0, 0, 0, "BOM "},
    {BOM "\n", 0, 0, 0, 0, "BOM 1:<>;"},
    {BOM "\"a\"", 0, 0, 0, 0, "BOM 1:<a>;"},
    {"a\n" BOM "b", 0, 0, 0, 0, "1:<a>;2:<" BOM "b>;"},
    {"\xEF\xBB", 0, 0, 0, 0, "1:<\xEF\xBB>;"},
    {BOM BOM "x", 0, 0, 0, 0, "BOM 1:<" BOM "x>;"},
    {"\xB1\xB1\xBE\xA9,1\n", 0, 0, 0, 0, "1:<\xB1\xB1\xBE\xA9><1>;"}, /* GBK 北京 */
    {"1,武汉市第一医院,114.3,30.5\n", 0, 0, 0, 0, "1:<1><武汉市第一医院><114.3><30.5>;"},
    {"a\0b,\"c\0\"\n\0", 10, 0, 0, 0, "1:<a\\0b><c\\0>;2:<\\0>;"},
    {"a\tb,c\t\"d\te\"\n", 0, '\t', 0, 0, "1:<a><b,c><d\te>;"},
    {"a;\"b;c\";d", 0, ';', 0, 0, "1:<a><b;c><d>;"},
    /* errors, each at its line and byte column */
    {"a,b\nc,\"de\nf", 0, 0, 0, 0, "1:<a><b>;!unterminated quoted field@2:3"},
    {"\"", 0, 0, 0, 0, "!unterminated quoted field@1:1"},
    {"\"\"\"", 0, 0, 0, 0, "!unterminated quoted field@1:1"},
    {"ab\"c\n", 0, 0, 0, 0, "!quote inside unquoted field@1:3"},
    {"a,b\"", 0, 0, 0, 0, "!quote inside unquoted field@1:4"},
    {"\"a\nb\"\nxy,z\"\n", 0, 0, 0, 0, "1:<a\nb>;!quote inside unquoted field@3:5"},
    {BOM "ab\"", 0, 0, 0, 0, "BOM !quote inside unquoted field@1:3"},
    {"\"ab\"c,d\n", 0, 0, 0, 0, "!text after closing quote@1:5"},
    {"\"ab\" ,d", 0, 0, 0, 0, "!text after closing quote@1:5"},
    {"a\r\nb\r\n\"x\"y", 0, 0, 0, 0, "1:<a>;2:<b>;!text after closing quote@3:4"},
    {"\"a\r\nb\"c", 0, 0, 0, 0, "!text after closing quote@2:3"},
    {"\"a\rb\"\"\"c", 0, 0, 0, 0, "!text after closing quote@2:5"},
    /* limits */
    {"a,b,c\nd,e,f,g\n", 0, 0, 0, 3, "1:<a><b><c>;!too many fields@2:6"},
    {"a\nb,c", 0, 0, 0, 1, "1:<a>;!too many fields@2:2"},
    {"a,b,", 0, 0, 0, 2, "!too many fields@1:4"},
    {"abcde\nabcdef\n", 0, 0, 5, 0, "1:<abcde>;!record too large@2:6"},
    {"abcde", 0, 0, 5, 0, "1:<abcde>;"},
    {"abcdef", 0, 0, 5, 0, "!record too large@1:6"},
    {"\"abc\"\n\"abcd\"\n", 0, 0, 5, 0, "1:<abc>;!record too large@2:6"},
    {"abcde\r\nx", 0, 0, 5, 0, "1:<abcde>;2:<x>;"},
    {"abcde\rx", 0, 0, 5, 0, "1:<abcde>;2:<x>;"},
    {"\"abcdefgh", 0, 0, 5, 0, "!record too large@1:6"},
    {"\"abc", 0, 0, 5, 0, "!unterminated quoted field@1:1"},
    {"\"abcd", 0, 0, 5, 0, "!unterminated quoted field@1:1"},
    {"abcdef\"", 0, 0, 5, 0, "!record too large@1:6"},
    {"abcde\"", 0, 0, 5, 0, "!record too large@1:6"},
    {"ab\"cdefgh", 0, 0, 5, 0, "!quote inside unquoted field@1:3"},
    {"\"a\nbcdef\"", 0, 0, 5, 0, "!record too large@2:3"},
    {"a,b,c,d", 0, 0, 5, 0, "!record too large@1:6"},
    {"a,b,c,d", 0, 0, 7, 3, "!too many fields@1:6"},
};

static void test_table(void)
{
    const size_t chunks[] = {0, 1, 2, 3, 5, 64};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct ccase *k = &cases[c];
        size_t len = k->len ? k->len : strlen(k->in);
        struct csv_options opt = {k->delim, k->max_record, k->max_fields, 0};
        char *got = read_all(k->in, len, opt, false);
        T_CHECKF(strcmp(got, k->want) == 0, "case %zu memory: got %s, want %s", c, got, k->want);
        free(got);
        for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
            opt.chunk = chunks[i];
            got = read_all(k->in, len, opt, true);
            T_CHECKF(strcmp(got, k->want) == 0, "case %zu file chunk %zu: got %s, want %s", c,
                     chunks[i], got, k->want);
            free(got);
        }
    }
}

static void test_api(void)
{
    struct csv_reader *r;
    const struct csv_field *f;
    size_t nf;
    struct csv_options bad = {'"', 0, 0, 0};
    T_CHECK(csv_open_mem("a", 1, &bad, &r) == GEOD_EINVAL && r == NULL);
    bad.delimiter = '\n';
    T_CHECK(csv_open_mem("a", 1, &bad, &r) == GEOD_EINVAL);
    csv_close(NULL);

    T_CHECK(csv_open_mem(NULL, 0, NULL, &r) == GEOD_OK);
    T_CHECK(csv_record_line(r) == 0 && csv_error(r) == NULL && csv_error_line(r) == 0);
    T_CHECK(csv_next(r, &f, &nf) == GEOD_ENOTFOUND && nf == 0);
    T_CHECK(csv_error(r) == NULL && !csv_had_bom(r));
    csv_close(r);

    T_CHECK(csv_open_mem("id,名称,\"a\"\"b\"\n", 17, NULL, &r) == GEOD_OK);
    T_CHECK(csv_next(r, &f, &nf) == GEOD_OK && nf == 3);
    T_CHECK(csv_field_eq(&f[0], "id") && csv_field_eq(&f[1], "名称"));
    T_CHECK(csv_field_eq(&f[2], "a\"b") && !csv_field_eq(&f[2], "a\"") && !csv_field_eq(&f[0], ""));
    T_CHECK(csv_record_line(r) == 1);
    T_CHECK(csv_next(r, &f, &nf) == GEOD_ENOTFOUND);
    csv_close(r);
}

/* A stream that yields "a,b\n" and then fails. */
static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
    size_t *done = cookie;
    if (*done == 4)
        return -1;
    size_t n = size < 4 - *done ? size : 4 - *done;
    memcpy(buf, &"a,b\n"[*done], n);
    *done += n;
    return (ssize_t)n;
}

static void test_read_error(void)
{
    size_t done = 0;
    FILE *f = fopencookie(&done, "r", (cookie_io_functions_t){.read = failing_read});
    T_CHECK(f != NULL);
    if (!f)
        return;
    struct csv_options opt = {.chunk = 4};
    struct csv_reader *r;
    const struct csv_field *fl;
    size_t nf;
    T_CHECK(csv_open_file(f, &opt, &r) == GEOD_OK);
    T_CHECK(csv_next(r, &fl, &nf) == GEOD_OK && nf == 2 && csv_field_eq(&fl[1], "b"));
    T_CHECK(csv_next(r, &fl, &nf) == GEOD_EIO);
    T_CHECK(csv_error(r) && strcmp(csv_error(r), "read error") == 0);
    T_CHECK(csv_next(r, &fl, &nf) == GEOD_EIO);
    csv_close(r);
    fclose(f);

    /* a stream not open for reading fails at once */
    f = fopen("/dev/null", "w");
    if (f) {
        T_CHECK(csv_open_file(f, NULL, &r) == GEOD_EIO && r == NULL);
        fclose(f);
    }
}

/* ---- random tables through an independent writer */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)((rng_state >> 11) % n);
}

#define MAXF 8
#define MAXR 24

struct table {
    size_t nrec;
    size_t nf[MAXR];
    char val[MAXR][MAXF][16];
    size_t len[MAXR][MAXF];
};

static void random_table(struct table *t)
{
    static const char bytes[] = {'"', ',',    '\t',   '\r',   '\n',   '\0',   'a',   'b',
                                 ' ', '\xE4', '\xB8', '\xAD', '\xEF', '\xBB', '\xBF'};
    t->nrec = rnd(MAXR + 1);
    for (size_t i = 0; i < t->nrec; i++) {
        t->nf[i] = 1 + rnd(MAXF);
        for (size_t j = 0; j < t->nf[i]; j++) {
            t->len[i][j] = rnd(4) == 0 ? 0 : rnd(16);
            for (size_t k = 0; k < t->len[i][j]; k++)
                t->val[i][j][k] = bytes[rnd(sizeof bytes)];
        }
    }
}

/* Writes t as CSV into s, quoting every field that needs it and some that do not; *line gets
 * the physical line each record starts on. */
static void write_table(const struct table *t, char delim, bool bom, bool final_eol, struct sb *s,
                        size_t line[MAXR])
{
    static const char *const eols[] = {"\n", "\r\n", "\r"};
    const char *prev_eol = "\n";
    size_t ln = 1;
    if (bom)
        sb_str(s, BOM);
    for (size_t i = 0; i < t->nrec; i++) {
        line[i] = ln;
        bool last = i + 1 == t->nrec;
        const char *eol = last && !final_eol ? "" : eols[rnd(3)];
        for (size_t j = 0; j < t->nf[i]; j++) {
            const char *v = t->val[i][j];
            size_t n = t->len[i][j];
            bool q = rnd(4) == 0 || memchr(v, delim, n) || memchr(v, '"', n) ||
                     memchr(v, '\r', n) || memchr(v, '\n', n);
            /* a field starting with a BOM at the very start would be taken for one */
            q = q || (i == 0 && j == 0 && !bom && n >= 3 && memcmp(v, BOM, 3) == 0);
            /* a lone empty field written bare is a line ending: after a CR it would merge into
             * CRLF, and at the end of the input it would vanish */
            q = q || (t->nf[i] == 1 && n == 0 && (prev_eol[0] == '\r' || *eol == '\0'));
            if (j)
                sb_put(s, &delim, 1);
            if (!q) {
                sb_put(s, v, n);
                continue;
            }
            sb_str(s, "\"");
            for (size_t k = 0; k < n; k++) {
                sb_put(s, v + k, 1);
                if (v[k] == '"')
                    sb_str(s, "\"");
                if (v[k] == '\n' || (v[k] == '\r' && !(k + 1 < n && v[k + 1] == '\n')))
                    ln++;
            }
            sb_str(s, "\"");
        }
        sb_str(s, eol);
        ln += *eol != '\0';
        prev_eol = eol;
    }
    if (!s->p)
        sb_str(s, "");
}

/* Reads text with r and checks it yields exactly t. */
static bool read_matches(struct csv_reader *r, const struct table *t, const size_t line[MAXR],
                         bool bom)
{
    const struct csv_field *f;
    size_t nf;
    for (size_t i = 0; i < t->nrec; i++) {
        if (csv_next(r, &f, &nf) != GEOD_OK || nf != t->nf[i] || csv_record_line(r) != line[i])
            return false;
        for (size_t j = 0; j < nf; j++)
            if (f[j].len != t->len[i][j] || memcmp(f[j].p, t->val[i][j], f[j].len) != 0)
                return false;
    }
    return csv_next(r, &f, &nf) == GEOD_ENOTFOUND && csv_had_bom(r) == bom;
}

static void test_roundtrip(void)
{
    static struct table t;
    size_t line[MAXR];
    for (int iter = 0; iter < 3000; iter++) {
        random_table(&t);
        char delim = rnd(3) == 0 ? '\t' : ',';
        bool bom = rnd(4) == 0, eol = rnd(2);
        struct sb s = {0};
        write_table(&t, delim, bom, eol, &s, line);
        struct csv_options opt = {delim, 0, 0, 1 + rnd(20)};
        struct csv_reader *r;
        T_CHECK(csv_open_mem(s.p, s.len, &opt, &r) == GEOD_OK);
        T_CHECKF(read_matches(r, &t, line, bom), "iteration %d: memory read differs", iter);
        csv_close(r);
        for (int k = 0; k < 2; k++) {
            FILE *f = file_of(s.p, s.len);
            opt.chunk = k ? 0 : 1 + rnd(20);
            T_CHECK(csv_open_file(f, &opt, &r) == GEOD_OK);
            T_CHECKF(read_matches(r, &t, line, bom), "iteration %d: file read (chunk %zu) differs",
                     iter, opt.chunk);
            csv_close(r);
            fclose(f);
        }
        free(s.p);
    }
}

/* ---- random bytes against a brute-force oracle: the same rules, one byte at a time over the
 * whole input, positions computed from scratch */

static void line_col(const char *in, size_t n, size_t from, size_t at, size_t *line, size_t *col)
{
    *line = 1;
    size_t ls = from;
    for (size_t i = from; i < at; i++) {
        if (in[i] == '\n' || (in[i] == '\r' && (i + 1 >= n || in[i + 1] != '\n'))) {
            ++*line;
            ls = i + 1;
        }
    }
    *col = at - ls + 1;
}

static void oracle_fail(struct sb *s, const char *in, size_t n, size_t from, const char *why,
                        size_t at)
{
    size_t l, c;
    line_col(in, n, from, at, &l, &c);
    sb_str(s, "!");
    sb_str(s, why);
    sb_fmt(s, "@%zu:%zu", l, c);
}

static void oracle(const char *in, size_t n, char delim, size_t max_record, size_t max_fields,
                   struct sb *s)
{
    size_t from = n >= 3 && memcmp(in, BOM, 3) == 0 ? 3 : 0, pos = from;
    if (from)
        sb_str(s, "BOM ");
    while (pos < n) {
        size_t rs = pos, nf = 0, l, c;
        struct sb rec = {0};
        const char *why = NULL;
        size_t at = 0, cend = 0;
        line_col(in, n, from, rs, &l, &c);
        sb_fmt(&rec, "%zu:", l, 0);
        for (;;) {
            struct sb fld = {0};
            sb_str(&fld, "");
            if (pos < n && in[pos] == '"') {
                size_t q = pos++;
                for (;;) {
                    if (pos >= n) {
                        why = "unterminated quoted field", at = q, cend = n;
                        break;
                    }
                    if (in[pos] == '"' && pos + 1 < n && in[pos + 1] == '"') {
                        sb_put(&fld, "\"", 1), pos += 2;
                    } else if (in[pos] == '"') {
                        pos++;
                        break;
                    } else {
                        sb_put(&fld, in + pos++, 1);
                    }
                }
            } else {
                while (pos < n && in[pos] != delim && in[pos] != '"' && in[pos] != '\r' &&
                       in[pos] != '\n')
                    sb_put(&fld, in + pos++, 1);
                if (pos < n && in[pos] == '"')
                    why = "quote inside unquoted field", at = pos, cend = pos + 1;
            }
            nf++;
            if (!why)
                sb_field(&rec, fld.p, fld.len);
            free(fld.p);
            if (why)
                break;
            if (pos >= n || in[pos] == '\r' || in[pos] == '\n') {
                cend = pos;
                break;
            }
            if (in[pos] != delim) {
                why = "text after closing quote", at = pos, cend = pos + 1;
                break;
            }
            if (nf == max_fields) {
                why = "too many fields", at = pos, cend = pos + 1;
                break;
            }
            pos++;
        }
        if (cend - rs > max_record)
            why = "record too large", at = rs + max_record;
        if (why) {
            free(rec.p);
            oracle_fail(s, in, n, from, why, at);
            return;
        }
        sb_str(&rec, ";");
        sb_str(s, rec.p);
        free(rec.p);
        if (pos < n && in[pos] == '\r' && pos + 1 < n && in[pos + 1] == '\n')
            pos += 2; /* CRLF */
        else if (pos < n)
            pos++; /* LF or a lone CR */
    }
}

static void test_oracle(void)
{
    static const char bytes[] = {'a',  'b',  ',',  '\t', '"',    '"',    '"',
                                 '\r', '\n', '\n', '\0', '\xEF', '\xBB', '\xBF'};
    char in[80];
    for (int iter = 0; iter < 10000; iter++) {
        size_t n = rnd(sizeof in + 1);
        for (size_t i = 0; i < n; i++)
            in[i] = bytes[rnd(sizeof bytes)];
        if (n >= 3 && rnd(4) == 0)
            memcpy(in, BOM, 3);
        struct csv_options opt = {rnd(2) ? ',' : '\t', rnd(3) ? 1 + rnd(30) : 0,
                                  rnd(3) ? 1 + rnd(6) : 0, 1 + rnd(9)};
        struct sb want = {0};
        sb_str(&want, "");
        oracle(in, n, opt.delimiter, opt.max_record ? opt.max_record : SIZE_MAX,
               opt.max_fields ? opt.max_fields : SIZE_MAX, &want);
        char *mem = read_all(in, n, opt, false);
        char *file = read_all(in, n, opt, true);
        T_CHECKF(strcmp(mem, want.p) == 0, "iteration %d: memory %s, oracle %s", iter, mem, want.p);
        T_CHECKF(strcmp(mem, file) == 0, "iteration %d: memory %s, file %s", iter, mem, file);
        free(mem);
        free(file);
        free(want.p);
    }
}

/* ---- big records through a FILE */

static void test_big_records(void)
{
    const size_t big = 10u << 20;
    char *blob = malloc(big); /* the field's value: text with quotes and line breaks */
    struct sb s = {0};
    if (!blob)
        abort();
    size_t quotes = 0, breaks = 0;
    for (size_t i = 0; i < big; i++) {
        blob[i] = (char)('a' + i % 26);
        if (i % 1000 == 999)
            blob[i] = '"';
        if (i % 100000 == 99999)
            blob[i] = '\n';
        quotes += blob[i] == '"';
        breaks += blob[i] == '\n';
    }
    char *esc = malloc(big + quotes), *w = esc, *xs = malloc(big);
    if (!esc || !xs)
        abort();
    for (size_t i = 0; i < big; i++) {
        *w++ = blob[i];
        if (blob[i] == '"')
            *w++ = '"';
    }
    memset(xs, 'x', big);
    const char *head = "id,blob,tail\n1,\"";
    sb_str(&s, head);
    sb_put(&s, esc, big + quotes);
    sb_str(&s, "\",end\n");
    sb_put(&s, xs, big);
    sb_str(&s, "\n2,x,y");
    free(esc);
    free(xs);
    /* where a 1 MiB limit stops the second record, by the oracle's line counting */
    size_t eline, ecol;
    line_col(s.p, s.len, 0, strlen("id,blob,tail\n") + (1u << 20), &eline, &ecol);

    for (int from_file = 0; from_file < 2; from_file++) {
        FILE *f = from_file ? file_of(s.p, s.len) : NULL;
        struct csv_reader *r;
        const struct csv_field *fl;
        size_t nf;
        T_CHECK((f ? csv_open_file(f, NULL, &r) : csv_open_mem(s.p, s.len, NULL, &r)) == 0);
        T_CHECK(csv_next(r, &fl, &nf) == GEOD_OK && nf == 3);
        T_CHECK(csv_next(r, &fl, &nf) == GEOD_OK && nf == 3 && csv_record_line(r) == 2);
        T_CHECK(nf == 3 && fl[1].len == big && memcmp(fl[1].p, blob, big) == 0);
        T_CHECK(nf == 3 && csv_field_eq(&fl[2], "end"));
        T_CHECK(csv_next(r, &fl, &nf) == GEOD_OK && nf == 1 && fl[0].len == big);
        T_CHECK(csv_record_line(r) == 3 + breaks);
        T_CHECK(csv_next(r, &fl, &nf) == GEOD_OK && nf == 3 && csv_field_eq(&fl[2], "y"));
        T_CHECK(csv_next(r, &fl, &nf) == GEOD_ENOTFOUND);
        csv_close(r);
        if (f)
            rewind(f);

        /* the same input over a 1 MiB limit fails in the first big record */
        struct csv_options opt = {.max_record = 1u << 20};
        T_CHECK((f ? csv_open_file(f, &opt, &r) : csv_open_mem(s.p, s.len, &opt, &r)) == 0);
        T_CHECK(csv_next(r, &fl, &nf) == GEOD_OK);
        T_CHECK(csv_next(r, &fl, &nf) == GEOD_EINVAL);
        T_CHECKF(csv_error_line(r) == eline && csv_error_column(r) == ecol,
                 "too large at %zu:%zu, want %zu:%zu", csv_error_line(r), csv_error_column(r),
                 eline, ecol);
        T_CHECK(strcmp(csv_error(r), "record too large") == 0);
        csv_close(r);
        if (f)
            fclose(f);
    }
    free(s.p);
    free(blob);
}

/* ---- throughput on plain facility rows in memory; printed, never asserted */

static void test_throughput(void)
{
    struct sb s = {0};
    size_t rows = 0;
    char row[256];
    while (s.len < (50u << 20)) {
        int n = snprintf(row, sizeof row,
                         "%zu,武汉市江岸区社区卫生服务中心%zu,114.%06zu,30.%06zu,"
                         "湖北省武汉市江岸区解放大道%zu号,027-8%07zu,2024-01-%02zu\n",
                         rows, rows % 997, rows * 7919 % 1000000, rows * 104729 % 1000000,
                         rows % 3000, rows, 1 + rows % 28);
        sb_put(&s, row, (size_t)n);
        rows++;
    }
    struct csv_reader *r;
    const struct csv_field *f;
    size_t nf, got = 0, bytes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    T_CHECK(csv_open_mem(s.p, s.len, NULL, &r) == GEOD_OK);
    while (csv_next(r, &f, &nf) == GEOD_OK) {
        got++;
        bytes += f[nf - 1].len;
    }
    csv_close(r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    T_CHECK(got == rows && bytes == rows * 10);
    printf("  throughput: %.1f MB in %.3f s = %.0f MB/s, %.0f rows/s\n", (double)s.len / 1e6, secs,
           (double)s.len / 1e6 / secs, (double)rows / secs);
    free(s.p);
}

int main(void)
{
    T_RUN(test_table);
    T_RUN(test_api);
    T_RUN(test_read_error);
    T_RUN(test_roundtrip);
    T_RUN(test_oracle);
    T_RUN(test_big_records);
    T_RUN(test_throughput);
    return T_END();
}

/* records_shp.c - an ESRI Shapefile as a record source: the shapes of the .shp (shapefile.c)
 * paired one to one with the rows of the .dbf (shapefile_dbf.c), text decoded by text.c in the
 * encoding given, else the one the .cpg or the .dbf's language driver names, and the .prj named
 * as an EPSG code (index/crs_epsg.c). Not a reader of the .sbn/.qix indexes or of memo files. */
#include "importers/records_impl.h"
#include "importers/shapefile.h"
#include "index/crs_epsg.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PRJ_MAX 65536 /* a .prj longer than this is not WKT */

struct shp_src {
    struct shp_reader *shp;
    struct dbf_reader *dbf;
    struct text_conv *conv;
    size_t *cols; /* [nfields] the .dbf column of each field */
    size_t nfields;
    char **names; /* [nfields] borrowed from the rec_source, for bad_field */
    const char **values;
    size_t *offs;
    char *arena;
    size_t alen, acap;
    size_t next; /* .dbf records read */
    char why[128];
};

static void src_close(void *impl)
{
    struct shp_src *s = impl;
    if (!s)
        return;
    shp_close(s->shp);
    dbf_close(s->dbf);
    text_conv_free(s->conv);
    free(s->cols);
    free(s->names);
    free((void *)s->values);
    free(s->offs);
    free(s->arena);
    free(s);
}

static double src_progress(const void *impl)
{
    const struct shp_src *s = impl;
    size_t n = dbf_nrecords(s->dbf);
    return n ? (double)s->next / (double)n : 1;
}

static enum geod_err put(struct shp_src *s, const char *p, size_t n, size_t *off)
{
    if (n + 1 > s->acap - s->alen) {
        size_t cap = s->acap ? s->acap : 1024;
        while (n + 1 > cap - s->alen)
            cap *= 2;
        char *a = realloc(s->arena, cap);
        if (!a)
            return GEOD_ENOMEM;
        s->arena = a;
        s->acap = cap;
    }
    memcpy(s->arena + s->alen, p, n);
    s->arena[s->alen + n] = '\0';
    *off = s->alen;
    s->alen += n + 1;
    return GEOD_OK;
}

/* The fields of the .dbf record last read into r. */
static enum geod_err fill(struct shp_src *s, struct record *r)
{
    s->alen = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const char *p, *why = NULL;
        size_t len;
        s->offs[i] = SIZE_MAX;
        enum dbf_value v = dbf_value(s->dbf, s->cols[i], &p, &len);
        if (v == DBF_BAD) {
            why = p;
        } else if (v == DBF_TEXT) {
            enum geod_err rc = text_to_utf8(s->conv, p, len, &p, &len, &why);
            if (rc == GEOD_ENOMEM)
                return rc;
        }
        if (why) {
            if (!r->bad_field) {
                r->bad_field = s->names[i];
                r->bad_why = why;
            }
            continue;
        }
        if (v != DBF_MISSING && put(s, p, len, &s->offs[i]))
            return GEOD_ENOMEM;
    }
    for (size_t i = 0; i < s->nfields; i++)
        s->values[i] = s->offs[i] == SIZE_MAX ? NULL : s->arena + s->offs[i];
    return GEOD_OK;
}

static enum geod_err src_next(void *impl, struct record *r, char *err, size_t errlen)
{
    struct shp_src *s = impl;
    size_t total = dbf_nrecords(s->dbf);
    struct shp_shape sh;
    enum geod_err rc;
    for (;;) {
        rc = shp_next(s->shp, &sh, err, errlen);
        if (s->next == total) {
            if (rc == GEOD_OK)
                snprintf(err, errlen, "the .shp has more shapes than the %zu records of the .dbf",
                         total);
            return rc == GEOD_OK ? GEOD_EINVAL : rc;
        }
        if (rc == GEOD_ENOTFOUND)
            snprintf(err, errlen, "the .shp has %zu shapes, the .dbf %zu records", s->next, total);
        if (rc)
            return rc == GEOD_ENOTFOUND ? GEOD_EINVAL : rc;
        bool deleted;
        if ((rc = dbf_read(s->dbf, s->next++, &deleted, err, errlen)))
            return rc;
        if (!deleted)
            break;
    }
    memset(r, 0, sizeof *r);
    r->where = sh.number;
    r->nfields = s->nfields;
    r->values = s->values;
    if ((rc = fill(s, r)))
        return rc;
    if (sh.bad) {
        snprintf(s->why, sizeof s->why, "geometry: %s", sh.bad);
        if (!r->bad_why) /* a field's problem, if any, is told first */
            r->bad_why = s->why;
        return GEOD_OK;
    }
    r->has_point = sh.has_point;
    r->x = sh.x;
    r->y = sh.y;
    r->area_wkb = sh.wkb;
    r->area_wkb_len = sh.wkb_len;
    r->other_geometry = sh.other;
    return GEOD_OK;
}

static const struct rec_ops shp_ops = {src_next, src_progress, src_close};

/* A whole small file (a .prj, a .cpg) as a string: NULL when it is not there; *too_big. */
static char *slurp(const char *path, size_t max, bool *too_big)
{
    *too_big = false;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (buf && n > max) {
        *too_big = true;
        n = max;
    }
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* path's sibling with extension ext ("shx"), in the case of the .shp's own extension first. */
static void sibling(char *out, size_t len, const char *base, bool upper, const char *ext)
{
    char e[8];
    size_t i = 0;
    for (; ext[i] && i < sizeof e - 1; i++)
        e[i] = upper ? (char)toupper((unsigned char)ext[i]) : ext[i];
    e[i] = '\0';
    snprintf(out, len, "%s.%s", base, e);
}

static bool exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* The sibling that exists, in either case; out is the preferred name when neither does. */
static bool find_sibling(char *out, size_t len, const char *base, bool upper, const char *ext)
{
    sibling(out, len, base, !upper, ext);
    if (exists(out))
        return true;
    sibling(out, len, base, upper, ext);
    return exists(out);
}

/* The encoding: given, else the .cpg's, else the .dbf's language driver's, else UTF-8. */
static enum geod_err pick_encoding(const char *enc_given, const char *cpg_path, unsigned ldid,
                                   enum text_encoding *enc, char *enc_out, size_t enc_len,
                                   char *err, size_t errlen)
{
    if (enc_given) {
        if (text_encoding_parse(enc_given, enc)) {
            snprintf(err, errlen, "encoding %s: want utf-8, gbk or gb18030", enc_given);
            return GEOD_EINVAL;
        }
        snprintf(enc_out, enc_len, "%s (given)", text_encoding_name(*enc));
        return GEOD_OK;
    }
    bool too_big;
    char *cpg = slurp(cpg_path, 64, &too_big);
    if (cpg && cpg[strspn(cpg, " \t\r\n")] == '\0') { /* an empty .cpg says nothing */
        free(cpg);
        cpg = NULL;
    }
    if (cpg) {
        char *p = cpg + strspn(cpg, " \t\r\n");
        p[strcspn(p, " \t\r\n")] = '\0';
        enum geod_err rc = GEOD_OK;
        if (!strcmp(p, "65001"))
            *enc = TEXT_UTF8;
        else if (!strcmp(p, "936") || !strcasecmp(p, "GB2312"))
            *enc = TEXT_GBK; /* GB2312 is a subset of GBK */
        else if (!strcmp(p, "54936"))
            *enc = TEXT_GB18030;
        else if (text_encoding_parse(p, enc))
            rc = GEOD_EINVAL;
        if (rc)
            snprintf(err, errlen,
                     "%s says the text is in %.32s, which geod does not read (utf-8, "
                     "gbk, gb18030): give the encoding",
                     cpg_path, p);
        free(cpg);
        if (!rc)
            snprintf(enc_out, enc_len, "%s (from the .cpg)", text_encoding_name(*enc));
        return rc;
    }
    if (ldid == 0x4D || ldid == 0x7A) {
        *enc = TEXT_GBK;
        snprintf(enc_out, enc_len, "gbk (from the .dbf's language driver 0x%02X)", ldid);
        return GEOD_OK;
    }
    *enc = TEXT_UTF8;
    snprintf(enc_out, enc_len, "utf-8 (not said: the file must prove it)");
    return GEOD_OK;
}

static enum geod_err read_prj(const char *prj_path, char *crs_out, size_t crs_len, char *err,
                              size_t errlen)
{
    bool too_big;
    char *wkt = slurp(prj_path, PRJ_MAX, &too_big);
    if (!wkt)
        return GEOD_OK; /* no .prj: the coordinate system must be given */
    int epsg = 0;
    enum geod_err rc = too_big ? GEOD_EINVAL : crs_epsg_identify_wkt(wkt, &epsg);
    free(wkt);
    if (rc == GEOD_ENOMEM)
        return rc;
    if (rc) {
        snprintf(err, errlen, "%s: %s: give the coordinate system (EPSG:n)", prj_path,
                 rc == GEOD_ECRS ? "a coordinate system with no EPSG code PROJ can name"
                                 : "not a coordinate system PROJ can read (WKT)");
        return GEOD_EINVAL;
    }
    snprintf(crs_out, crs_len, "EPSG:%d", epsg);
    return GEOD_OK;
}

/* The .dbf's columns as the source's fields (names decoded like the values). */
static enum geod_err add_fields(struct rec_source *rs, struct shp_src *s, const char *dbf_path,
                                char *err, size_t errlen)
{
    size_t n = dbf_nfields(s->dbf);
    s->cols = calloc(n ? n : 1, sizeof *s->cols);
    s->names = calloc(n ? n : 1, sizeof *s->names);
    s->values = calloc(n ? n : 1, sizeof *s->values);
    s->offs = calloc(n ? n : 1, sizeof *s->offs);
    if (!s->cols || !s->names || !s->values || !s->offs)
        return GEOD_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        const struct dbf_field *f = dbf_field(s->dbf, j);
        if (!f->type || !strchr("CNFDL", f->type))
            continue;
        const char *name, *why;
        size_t len;
        enum geod_err rc = text_to_utf8(s->conv, f->name, strlen(f->name), &name, &len, &why);
        if (rc == GEOD_ENOMEM)
            return rc;
        if (!rc && (rc = rec_source_add_field(rs, name)) == GEOD_ENOMEM)
            return rc;
        if (rc) {
            snprintf(err, errlen, "%s: the name of column %zu is %s", dbf_path, j + 1,
                     why ? why : "empty or repeated");
            return GEOD_EINVAL;
        }
        s->cols[s->nfields] = j;
        s->names[s->nfields++] = (char *)rec_field_name(rs, rec_nfields(rs) - 1);
    }
    return GEOD_OK;
}

enum geod_err rec_open_shp(const char *path, const char *enc_given, struct rec_source **out,
                           char *enc_out, size_t enc_len, char *crs_out, size_t crs_len, char *err,
                           size_t errlen)
{
    *out = NULL;
    if (enc_len)
        enc_out[0] = '\0';
    if (crs_len)
        crs_out[0] = '\0';
    size_t plen = strlen(path);
    bool has_ext = plen > 4 && !strcasecmp(path + plen - 4, ".shp");
    bool upper = has_ext && !strcmp(path + plen - 3, "SHP");
    size_t blen = has_ext ? plen - 4 : plen;
    size_t cap = blen + 8;
    char *base = malloc(blen + 1), *shp = malloc(cap), *shx = malloc(cap), *dbf = malloc(cap),
         *prj = malloc(cap), *cpg = malloc(cap);
    struct shp_src *s = calloc(1, sizeof *s);
    struct rec_source *rs = NULL;
    enum geod_err rc = base && shp && shx && dbf && prj && cpg && s ? GEOD_OK : GEOD_ENOMEM;
    if (!rc) {
        memcpy(base, path, blen);
        base[blen] = '\0';
        snprintf(shp, cap, "%s", path);
        if (!has_ext)
            sibling(shp, cap, base, false, "shp");
        bool have_shx = find_sibling(shx, cap, base, upper, "shx");
        find_sibling(dbf, cap, base, upper, "dbf");
        find_sibling(prj, cap, base, upper, "prj");
        find_sibling(cpg, cap, base, upper, "cpg");
        rc = shp_open(shp, have_shx ? shx : NULL, &s->shp, err, errlen);
    }
    if (!rc && (rc = dbf_open(dbf, &s->dbf, err, errlen)) == GEOD_ENOTFOUND) {
        snprintf(err, errlen, "%s: no such file (a shapefile's attributes are in its .dbf)", dbf);
        rc = GEOD_EINVAL;
    }
    if (!rc && shp_count(s->shp) != SIZE_MAX && shp_count(s->shp) != dbf_nrecords(s->dbf)) {
        snprintf(err, errlen, "%s has %zu shapes and %s %zu records: they must pair one to one",
                 shx, shp_count(s->shp), dbf, dbf_nrecords(s->dbf));
        rc = GEOD_EINVAL;
    }
    enum text_encoding enc;
    if (!rc)
        rc = pick_encoding(enc_given, cpg, dbf_language_driver(s->dbf), &enc, enc_out, enc_len, err,
                           errlen);
    if (!rc && crs_len) /* no room for it: the caller knows the system, the .prj is not read */
        rc = read_prj(prj, crs_out, crs_len, err, errlen);
    if (!rc)
        rc = text_conv_new(enc, &s->conv);
    if (!rc && !(rc = rec_source_new(&shp_ops, s, &rs))) {
        struct shp_src *impl = s;
        s = NULL; /* rec_close(rs) frees it now */
        rc = add_fields(rs, impl, dbf, err, errlen);
    }
    free(base);
    free(shp);
    free(shx);
    free(dbf);
    free(prj);
    free(cpg);
    if (rc) {
        rec_close(rs);
        src_close(s);
        return rc;
    }
    *out = rs;
    return GEOD_OK;
}

/* divisions.h - the administrative divisions (区划) of a snapshot: city, districts, streets and
 * communities with their 12-digit NBS codes, names, parents, centres and boundaries (as WKB, for
 * each thread's region index). Immutable once built. */
#ifndef GEOD_DIVISIONS_H
#define GEOD_DIVISIONS_H

#include "index/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum div_level { DIV_CITY, DIV_DISTRICT, DIV_STREET, DIV_COMMUNITY, DIV_LEVELS };

/* What a caller hands the builder; strings and bytes are copied. */
struct division_in {
    const char *code; /* 12 digits */
    const char *name;
    enum div_level level;
    const char *kind;              /* e.g. subdistrict, residents_committee */
    const char *parent;            /* 12 digits or NULL */
    double center_lon, center_lat; /* WGS-84; NAN when unknown */
    bool approximate;              /* the boundary is derived, not surveyed */
    const unsigned char *wkb;      /* boundary, (multi)polygon in WGS-84; NULL when unknown */
    size_t wkb_len;
};

struct division {
    char code[13];
    const char *name;
    const char *kind;
    enum div_level level;
    int32_t parent;    /* index of the parent in the table, -1 for none */
    double center_lon; /* NAN when unknown */
    double center_lat;
    bool approximate;
    const unsigned char *wkb; /* NULL when there is no boundary */
    size_t wkb_len;
};

struct divisions {
    size_t n;
    const struct division *d; /* [n] by ascending code */
    uint64_t hash;            /* of codes, levels and boundaries: equal tables, equal hashes */
    /* private */
    char *arena;
};

struct divisions_builder;

enum geod_err divisions_builder_new(struct divisions_builder **out);
void divisions_builder_free(struct divisions_builder *b);

/* GEOD_EINVAL for a code that is not 12 digits, an empty name, a bad level, or a centre out of
 * range. Duplicates and unknown parents are caught by finish. */
enum geod_err divisions_builder_add(struct divisions_builder *b, const struct division_in *in);

/* Builds the table and frees the builder, whatever the outcome: GEOD_EINVAL for a duplicate
 * code; a parent code that is not in the table becomes -1. */
enum geod_err divisions_builder_finish(struct divisions_builder *b, struct divisions **out);

void divisions_free(struct divisions *t);

/* The index of the division with this code (len bytes), or -1. */
int32_t divisions_find(const struct divisions *t, const char *code, size_t len);

const char *div_level_name(enum div_level level); /* "city", "district", ... */
/* GEOD_EINVAL unless name is one of those. */
enum geod_err div_level_parse(const char *name, size_t len, enum div_level *out);

size_t divisions_bytes(const struct divisions *t);

#endif

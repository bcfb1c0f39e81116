/* synth.h - the deterministic generator of synthetic facilities for the categories that have no
 * open data (relief stations, shelters, elderly care, day care, welfare enterprises, marriage
 * registries). Same anchors and seed, same output, on every machine. */
#ifndef GEOD_SYNTH_H
#define GEOD_SYNTH_H

#include "data/store.h"
#include "index/err.h"

#include <stddef.h>
#include <stdint.h>

#define SYNTH_SOURCE "synthetic"
#define SYNTH_SEED 20231030u

/* A real place the synthetic ones are placed around: a community or street centre. */
struct synth_anchor {
    double lon, lat;      /* WGS-84 */
    const char *district; /* e.g. 江岸区 */
    const char *street;   /* e.g. 一元街道 */
    const char *name;     /* the community's or street's own name */
    const char *code;     /* its 12-digit division code */
    int is_street;        /* a street-level unit (else a community) */
};

/* Called once per generated facility; the record is valid only during the call. A non-zero
 * return stops generation and is returned. */
typedef enum geod_err (*synth_emit_fn)(void *udata, const struct store_facility *f);

/* Generates about 3,400 facilities around the anchors: denser towards the city centre, within
 * a few hundred metres of an anchor, each with source SYNTH_SOURCE and a stable source_key. */
enum geod_err synth_generate(const struct synth_anchor *anchors, size_t n, uint64_t seed,
                             synth_emit_fn emit, void *udata);

#endif

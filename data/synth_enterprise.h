/* synth_enterprise.h - the synthetic welfare enterprise (福利企业) behind each synthetic
 * welfare_enterprise facility (data/synth.h): the same name, address and position, a district,
 * an industry read from the name, a disabled-employee count, a certification date and a
 * well-formed unified social credit code (a GB 11714 organization code with its check character
 * inside, then the GB 32100 check character). Deterministic: a function of the facility's
 * source_key and SYNTH_SEED. No code it makes belongs to a real entity on purpose; it is
 * labelled synthetic like every generated record. */
#ifndef GEOD_SYNTH_ENTERPRISE_H
#define GEOD_SYNTH_ENTERPRISE_H

#include "data/store.h"
#include "data/store_enterprise.h"

#define SYNTH_ENTERPRISE_CATEGORY "welfare_enterprise"

/* Where the strings of a made enterprise live. */
struct synth_enterprise_buf {
    char credit_code[19];
    char district_code[13];
    char certified_on[11];
    char source_key[80];
};

/* Fills *out (strings in buf or borrowed from f) for facility f, which must be of category
 * SYNTH_ENTERPRISE_CATEGORY with a source_key; GEOD_EINVAL otherwise. The district is the first
 * six digits of f->division_code (420100000000, the city, when it has none). */
enum geod_err synth_enterprise(const struct store_facility *f, struct synth_enterprise_buf *buf,
                               struct store_enterprise *out);

#endif

/* locate.h - which division a position lies in, for records being written: the store's divisions
 * (as the current transaction sees them) read back and indexed by their boundaries. */
#ifndef GEOD_LOCATE_H
#define GEOD_LOCATE_H

#include "data/store.h"
#include "index/divisions.h"

struct locator;

enum geod_err locator_new(struct store *s, struct locator **out);
void locator_free(struct locator *l);

/* The code of the smallest division containing (lon, lat): community, else street, else
 * district; NULL outside them all. Valid until locator_free. */
const char *locator_code(struct locator *l, double lon, double lat);

/* The divisions read back (for looking codes up). */
const struct divisions *locator_divisions(const struct locator *l);

#endif

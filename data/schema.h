/* schema.h - the store's numbered migrations (internal to data/). */
#ifndef GEOD_SCHEMA_H
#define GEOD_SCHEMA_H

#include <stddef.h>

/* Migration i (0-based) brings the schema from version i to i + 1. Each is a list of SQL
 * statements run in one transaction; a statement that starts with "SELECT" must return a single
 * integer 1 (SpatiaLite's AddGeometryColumn and CreateSpatialIndex report failure as 0). */
struct migration {
    const char *name;
    const char *const *sql; /* NULL-terminated */
};

extern const struct migration schema_migrations[];
extern const size_t schema_migration_count;

#endif

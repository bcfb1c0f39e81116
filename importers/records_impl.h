/* records_impl.h - how a record source that lives in a file of its own (records_shp.c,
 * records_sqlite.c) plugs into importers/records.c: records.c keeps the field names and hands
 * rec_next, rec_progress and rec_close to the source's operations. Internal to importers/. */
#ifndef GEOD_RECORDS_IMPL_H
#define GEOD_RECORDS_IMPL_H

#include "importers/records.h"

struct rec_ops {
    enum geod_err (*next)(void *impl, struct record *r, char *err, size_t errlen);
    double (*progress)(const void *impl);
    void (*close)(void *impl); /* frees impl */
};

/* A source with no fields yet whose records come from ops on impl; rec_close(*out) then calls
 * ops->close(impl). GEOD_ENOMEM (impl still the caller's). */
enum geod_err rec_source_new(const struct rec_ops *ops, void *impl, struct rec_source **out);

/* Appends a field named name (copied): GEOD_EINVAL when it is empty or already a field's name,
 * GEOD_ENOMEM. */
enum geod_err rec_source_add_field(struct rec_source *s, const char *name);

#endif

/* reload.h - keeps a running server in step with its store: another process (an import) that
 * commits to the store is noticed within RELOAD_PERIOD_MS, a new snapshot is built beside the
 * one being served and published; queries never pause. */
#ifndef GEOD_RELOAD_H
#define GEOD_RELOAD_H

#include "api/server.h"
#include "geod/lifecycle.h"

#include <stdint.h>

#define RELOAD_PERIOD_MS 250

struct geod_reloader;

/* Takes over s (opened on path); `version` is store_data_version(s) and `content`
 * store_content_version(s) as read before the snapshot being served was loaded through s, so
 * that nothing committed since is missed. snap_path (may be NULL): the snapshot file a rebuild
 * writes anew (geod/snapfile.h). */
int geod_reloader_start(struct store *s, const char *path, const char *snap_path, int64_t version,
                        const int64_t content[2], const struct geod_pinyin *py,
                        struct api_server *srv,
                        struct geod_reloader **out);

/* Stops watching and closes the store. */
void geod_reloader_stop(struct geod_reloader *r);

#endif

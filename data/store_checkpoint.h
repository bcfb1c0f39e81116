/* store_checkpoint.h - a background WAL checkpointer for a served store: a thread with its own
 * connection copies committed WAL frames into the store file (PASSIVE checkpoints) when a
 * writer's connection attached to it reports the WAL over a number of frames, so that no
 * write's answer waits for a checkpoint. Durability does not change: a commit is synced to the
 * WAL (synchronous = FULL) before it returns, whoever checkpoints later; the checkpointer's
 * connection syncs the WAL before and the file after each checkpoint, as SQLite's automatic
 * checkpoint does. Imports and CLI commands keep SQLite's automatic checkpoints. */
#ifndef GEOD_STORE_CHECKPOINT_H
#define GEOD_STORE_CHECKPOINT_H

#include "data/store.h"

#include <stdint.h>

#define STORE_CHECKPOINT_FRAMES 1000 /* SQLite's wal_autocheckpoint default */

struct store_checkpointer;

/* Starts the checkpointer of the store at path (opened on its own thread); frames: the WAL
 * size (frames) that wakes it. GEOD_ESTORE (with a message in err) or GEOD_ESYS. */
enum geod_err store_checkpointer_start(const char *path, int frames,
                                       struct store_checkpointer **out, char *err,
                                       size_t errlen);

/* s's commits no longer checkpoint themselves: they wake c once per c's frames added to the
 * WAL, and checkpoint inline (as SQLite would) only past 4 times that, when c's checkpoints do
 * not catch up with the writes. c must outlive s's connection. */
void store_checkpointer_attach(struct store_checkpointer *c, struct store *s);

/* Checkpoints run by c so far. */
uint64_t store_checkpointer_count(const struct store_checkpointer *c);

/* Stops and frees c (NULL: nothing); its last checkpoint, if running, completes first. */
void store_checkpointer_stop(struct store_checkpointer *c);

#endif

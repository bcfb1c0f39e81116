/* importrun.h - `geod import` runs and plain-SQLite reads of the store they wrote, for the
 * import tests. */
#ifndef GEOD_TEST_IMPORTRUN_H
#define GEOD_TEST_IMPORTRUN_H

#include <stddef.h>

/* Runs `geod import ARGS... --db db` (args NULL-terminated); returns the exit status (-1 when it
 * could not run or was killed) and keeps its stderr in *err (free it; err may be NULL). */
int importrun(const char *db, char **err, ...);

/* The first column of the first row of sql on db (read-only), -1 for none or an error. */
long long importrun_q(const char *db, const char *sql);

/* The same, as text (malloc'ed), NULL for none or an error. */
char *importrun_qtext(const char *db, const char *sql);

#endif

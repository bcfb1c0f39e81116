/* importrun.c - see importrun.h. */
#include "tests/lib/importrun.h"
#include "tests/lib/geodproc.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int importrun(const char *db, char **err, ...)
{
    const char *args[40] = {"import"};
    int n = 1;
    va_list ap;
    va_start(ap, err);
    for (const char *a; n < 36 && (a = va_arg(ap, const char *));)
        args[n++] = a;
    va_end(ap);
    args[n++] = "--db";
    args[n++] = db;
    args[n] = NULL;
    int status = -1;
    char *e = NULL;
    if (!geodproc_run(args, 600000, &status, NULL, &e, NULL))
        status = -1;
    if (err)
        *err = e;
    else
        free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static sqlite3_stmt *first_row(const char *db, const char *sql, sqlite3 **h)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db, h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(*h, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

long long importrun_q(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = first_row(db, sql, &h);
    long long v = st ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

char *importrun_qtext(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = first_row(db, sql, &h);
    char *v = st ? strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

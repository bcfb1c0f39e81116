/* user.c - `geod user add|list|disable|enable`: the accounts of community workers and admins
 * (data/store_auth.h). A password is read from stdin (one line; prompted for twice, without
 * echo, when stdin is a terminal), hashed with argon2id (api/auth_crypto.h) and never printed.
 * Disabling a user ends every session of theirs at once. */
#include "api/auth_body.h"
#include "api/auth_crypto.h"
#include "data/store_auth.h"
#include "geod/geod.h"
#include "geod/lifecycle.h"
#include "index/utf8.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const char usage[] =
    "usage: geod user add NAME --role worker|admin [--district CODE] --db PATH\n"
    "           (the password is read from stdin)\n"
    "       geod user list --db PATH\n"
    "       geod user disable NAME --db PATH\n"
    "       geod user enable NAME --db PATH\n";

static const char *opt(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* One line of stdin (without its line end) into buf; false on EOF before any byte or a line
 * that does not fit. Echo is off while a terminal is read. */
static bool read_line(const char *prompt, char *buf, size_t cap, size_t *len)
{
    bool tty = isatty(0);
    struct termios old, quiet;
    if (tty) {
        fputs(prompt, stderr);
        tcgetattr(0, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
    }
    size_t n = 0;
    int c;
    bool fits = true;
    while ((c = getchar()) != EOF && c != '\n') {
        if (n + 1 < cap)
            buf[n++] = (char)c;
        else
            fits = false;
    }
    if (tty) {
        tcsetattr(0, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return fits && (n > 0 || c == '\n');
}

static int open_store(const char *db, bool create, struct store **s)
{
    struct stat st;
    if (stat(db, &st) != 0) {
        if (errno != ENOENT || !create) {
            fprintf(stderr, "geod user: %s: %s\n", db, strerror(errno));
            return 1;
        }
        if (geod_create_store(db))
            return 1;
    }
    char err[512] = "";
    if (store_open(db, false, s, err, sizeof err)) {
        fprintf(stderr, "geod user: %s\n", err);
        return 1;
    }
    return 0;
}

/* A district: 6 digits of a county (not the city's 420100) that the store knows. */
static bool district_ok(struct store *s, const char *d)
{
    if (strlen(d) != 6 || strspn(d, "0123456789") != 6 || strcmp(d + 4, "00") == 0)
        return false;
    char code[13];
    snprintf(code, sizeof code, "%s000000", d);
    return store_division_name(s, code, NULL, 0) == GEOD_OK;
}

static int add(const char *db, const char *name, const char *role, const char *district)
{
    if (!auth_name_valid(name, strlen(name))) {
        fprintf(stderr, "geod user add: a name is 1 to %d bytes of UTF-8 without spaces or "
                        "control characters\n", AUTH_NAME_MAX);
        return 2;
    }
    if (!role || (strcmp(role, "worker") && strcmp(role, "admin"))) {
        fprintf(stderr, "geod user add: --role worker or --role admin\n%s", usage);
        return 2;
    }
    if (district && strcmp(role, "worker")) {
        fprintf(stderr, "geod user add: --district is for workers; an admin edits everything\n");
        return 2;
    }
    if (auth_crypto_init()) {
        fprintf(stderr, "geod user add: libsodium cannot start\n");
        return 1;
    }
    if (auth_crypto_weak())
        fprintf(stderr, "geod user: GEOD_KDF_COST=min: a weak password hash, for tests only\n");
    struct store *s;
    if (open_store(db, true, &s))
        return 1;
    int rc = 1;
    struct store_user u;
    char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2], hash[AUTH_PW_HASH_MAX];
    size_t len = 0, len2 = 0;
    if (district && !district_ok(s, district)) {
        fprintf(stderr, "geod user add: --district %s is not a district of the store (6 digits, "
                        "e.g. 420102)\n", district);
        rc = 2;
        goto done;
    }
    if (store_user_get(s, name, &u) == GEOD_OK) {
        fprintf(stderr, "geod user add: a user named %s exists\n", name);
        goto done;
    }
    if (!read_line("password: ", pw, sizeof pw, &len) || len < AUTH_PASSWORD_MIN ||
        len > AUTH_PASSWORD_MAX || !utf8_valid(pw, len) || memchr(pw, '\0', len)) {
        fprintf(stderr, "geod user add: the password (one line on stdin) must be %d to %d bytes "
                        "of UTF-8\n", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
        goto done;
    }
    if (isatty(0) && (!read_line("again: ", again, sizeof again, &len2) ||
                      !auth_equal(pw, len, again, len2))) {
        fprintf(stderr, "geod user add: the passwords differ\n");
        goto done;
    }
    if (auth_pw_hash(pw, len, hash)) {
        fprintf(stderr, "geod user add: out of memory hashing the password\n");
        goto done;
    }
    if (store_user_add(s, name, role, district, hash)) {
        fprintf(stderr, "geod user add: %s\n", store_errmsg(s));
        goto done;
    }
    printf("geod user: added %s (%s%s%s)\n", name, role, district ? ", district " : "",
           district ? district : "");
    rc = 0;
done:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(again, sizeof again);
    store_close(s);
    return rc;
}

static bool print_user(const struct store_user *u, void *udata)
{
    (void)udata;
    printf("%s\t%s\t%s\t%s\t%s\n", u->name, u->role, u->district[0] ? u->district : "-",
           u->disabled ? "disabled" : "active", u->created_at);
    return true;
}

static int list(const char *db)
{
    struct store *s;
    if (open_store(db, false, &s))
        return 1;
    printf("name\trole\tdistrict\tstatus\tcreated_at\n");
    enum geod_err rc = store_user_list(s, print_user, NULL);
    if (rc)
        fprintf(stderr, "geod user list: %s\n", store_errmsg(s));
    store_close(s);
    return rc ? 1 : 0;
}

static int set_disabled(const char *db, const char *name, bool disabled)
{
    struct store *s;
    if (open_store(db, false, &s))
        return 1;
    enum geod_err rc = store_user_set_disabled(s, name, disabled);
    if (rc == GEOD_ENOTFOUND)
        fprintf(stderr, "geod user: no user named %s\n", name);
    else if (rc)
        fprintf(stderr, "geod user: %s\n", store_errmsg(s));
    else
        printf("geod user: %s %s%s\n", name, disabled ? "disabled" : "enabled",
               disabled ? "; their sessions are ended" : "");
    store_close(s);
    return rc ? 1 : 0;
}

int geod_user(int argc, char **argv)
{
    if (argc < 1) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[0], *db = NULL, *role = NULL, *district = NULL, *name = NULL, *v;
    for (int i = 1; i < argc; i++) {
        if ((v = opt(argc, argv, &i, "--db")))
            db = v;
        else if ((v = opt(argc, argv, &i, "--role")))
            role = v;
        else if ((v = opt(argc, argv, &i, "--district")))
            district = v;
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else {
            fprintf(stderr, "geod user: unexpected %s\n%s", argv[i], usage);
            return 2;
        }
    }
    bool named = strcmp(cmd, "list") != 0;
    if (!db || named != (name != NULL) || (strcmp(cmd, "add") && (role || district))) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(cmd, "add") == 0)
        return add(db, name, role, district);
    if (strcmp(cmd, "list") == 0)
        return list(db);
    if (strcmp(cmd, "disable") == 0 || strcmp(cmd, "enable") == 0)
        return set_disabled(db, name, strcmp(cmd, "disable") == 0);
    fprintf(stderr, "geod user: unknown command %s\n%s", cmd, usage);
    return 2;
}

/* placefix.h - the fixture the place API tests (tests/test_api_places.c, tests/test_api_search.c,
 * tests/test_api_convert.c) share: a real geod (tests/lib/geodproc.h) serving a store, that
 * store's oracles (tests/lib/oracle.h, tests/lib/placecheck.h), one kept-alive client, the random
 * source, the fetches every test makes and how geod must stop. Nothing here uses tests/t.h (whose
 * counters are per file): each test file wraps these in thin functions that T_CHECK what they
 * return, with the first problem in `why`.
 *
 * Creating a store takes seconds under the sanitizers, so a binary whose tests all passed and
 * whose geod stopped cleanly keeps a copy of the store it created next to the geod binary
 * (GEOD_BIN-places.sqlite, renamed into place whole), and the next ones start from a copy of it
 * for as long as it is newer than the binary. Store creation itself is tests/test_api.c's and
 * tests/test_store.c's to check. */
#ifndef GEOD_TEST_PLACEFIX_H
#define GEOD_TEST_PLACEFIX_H

#include "tests/lib/apicheck.h"
#include "tests/lib/geodproc.h"
#include "tests/lib/http.h"
#include "tests/lib/oracle.h"
#include "tests/lib/placecheck.h"

#include <stdbool.h>
#include <stddef.h>

#define PF_START_MS 60000   /* a start may create the store */
#define PF_REQUEST_MS 10000 /* a request that takes longer fails the test */
#define PF_WHY 2048         /* room for a problem's description */

/* The box random points come from; the city does not fill it. */
#define PF_BOX_W 113.6
#define PF_BOX_E 115.2
#define PF_BOX_S 29.9
#define PF_BOX_N 31.5

struct pf_fixture {
    struct geodproc geod;   /* the server every test talks to */
    bool up;                /* it started, the client exists and the oracles loaded */
    bool seeded;            /* its store is a copy of the kept one */
    bool stopped;           /* it exited 0 after SIGTERM with a clean stderr */
    struct oracle orc;      /* its facilities, read with plain SQLite; without oracles only the
                             * WGS-84 geodesic of oracle_distance */
    struct pc_oracle pc;    /* its divisions, read with SpatiaLite; empty without oracles */
    struct http_client *hc; /* one kept-alive connection to it */
    struct ac_rng rng;      /* every random choice */
    size_t mp_checked;      /* answers also fetched as msgpack (pf_msgpack) */
    double t0;              /* when pf_init ran */
};

/* Line-buffered stdout, SIGPIPE ignored, the random source seeded from GEOD_TEST_SEED (else 1),
 * and a line saying which geod and seed. */
void pf_init(struct pf_fixture *f);

/* Starts geod (from the kept store when there is a fresh one), loads the oracles when asked
 * (oracle_load, pc_open; at least 1000 facilities and divisions), opens the client and prints a
 * line on it. False with the first problem in why. */
bool pf_start(struct pf_fixture *f, bool oracles, char why[PF_WHY]);

/* Does target answer the error {code, param} with status 400? A failed exchange, a 5xx or an
 * unparsable body is a problem too. */
bool pf_is_error(struct pf_fixture *f, const char *target, const char *code, const char *param,
                 char why[PF_WHY]);

/* url (with a query string) asked with format=msgpack must answer js's value (*equal, counted in
 * mp_checked) in fewer bytes. False with why unless both hold. */
bool pf_msgpack(struct pf_fixture *f, const char *url, const struct ac_answer *js, bool *equal,
                char why[PF_WHY]);

/* A random longitude, latitude in the box. */
double pf_box_lon(struct pf_fixture *f);
double pf_box_lat(struct pf_fixture *f);

/* How geod stopped. */
struct pf_stop {
    bool exited;          /* with status 0 within 10 s of SIGTERM */
    bool clean;           /* its stderr (geodproc_log_ok) */
    char exit_why[128];   /* else how it ended */
    char log_why[PF_WHY]; /* else what is wrong with the log */
};

/* Frees the client, stops geod with SIGTERM and prints a line on how it went. */
void pf_stop(struct pf_fixture *f, struct pf_stop *s);

/* The end of the binary: keeps the store when nothing failed, geod stopped cleanly and it was a
 * new one; removes geod's directory (unless failed, which keeps it for a look and says so); frees
 * everything and prints the total time. */
void pf_finish(struct pf_fixture *f, bool failed);

#endif

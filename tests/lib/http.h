/* http.h - a tiny blocking HTTP/1.1 client for the API tests: one request at a time to
 * 127.0.0.1:port, on one kept-alive connection or on a fresh connection per request, with every
 * wait bounded by poll() so that a hung server fails the test instead of hanging it, and a raw
 * mode that sends arbitrary bytes. Not a general client: no TLS, no redirects, no chunked bodies;
 * a 2xx or 4xx answer without Content-Length is refused, as the API contract promises one. */
#ifndef GEOD_TEST_HTTP_H
#define GEOD_TEST_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_err {
    HTTP_OK = 0,
    HTTP_ECONNECT, /* connect() failed (refused: nobody listens) */
    HTTP_ECLOSED,  /* the server closed (or reset) the connection before any byte of an answer */
    HTTP_ETIMEOUT, /* no complete answer within the client's timeout */
    HTTP_EPROTO,   /* a malformed, truncated or contract-breaking answer */
    HTTP_ESYS,     /* a local failure (socket, memory) */
};

struct http_header {
    const char *name;  /* as received, NUL-terminated */
    const char *value; /* without surrounding spaces, NUL-terminated */
};

/* One answer. Everything points into storage that http_resp_free releases. */
struct http_resp {
    int status;                  /* 100..999 */
    const char *reason;          /* the reason phrase, possibly "" */
    struct http_header *headers; /* [nheaders] in the order received */
    size_t nheaders;
    const char *body; /* body_len bytes and a NUL after them (not part of the body) */
    size_t body_len;
    bool has_length;  /* a Content-Length header was present */
    size_t length;    /* its value (a HEAD answer's body is empty whatever this says) */
    bool closes;      /* the server announced Connection: close */
    char *mem, *hmem; /* private */
};

/* The value of the first header named `name` (ASCII case-insensitive), or NULL. */
const char *http_header(const struct http_resp *r, const char *name);
/* How many headers are named `name`. */
size_t http_header_count(const struct http_resp *r, const char *name);
/* Frees what r holds and zeroes it; a zeroed or freed r may be freed again. */
void http_resp_free(struct http_resp *r);

struct http_client;

/* A client for 127.0.0.1:port that connects on first use. keep_alive: reuse one connection
 * for every request (reconnecting only when the server announced Connection: close or closed an
 * idle connection); otherwise a fresh connection per request, closed after the answer.
 * timeout_ms bounds each request (connect, send and the whole answer). NULL when out of memory. */
struct http_client *http_client_new(uint16_t port, bool keep_alive, int timeout_ms);
void http_client_free(struct http_client *c); /* NULL is a no-op */

/* Sends `method target HTTP/1.1` with Host, the caller's `headers` (complete "Name: value\r\n"
 * lines, or NULL) and, when body is not NULL, Content-Length and the body; reads the answer
 * into *out (which the caller frees with http_resp_free, also on failure). */
enum http_err http_request(struct http_client *c, const char *method, const char *target,
                           const char *headers, const char *body, size_t body_len,
                           struct http_resp *out);

/* GET target with optional extra header lines. */
enum http_err http_get(struct http_client *c, const char *target, const char *headers,
                       struct http_resp *out);

/* Connections from now on come from this IPv4 address ("127.0.0.2": any of 127/8 works on
 * Linux loopback), as another client would; NULL: the kernel's choice. False for a bad address. */
bool http_client_source(struct http_client *c, const char *ipv4);

/* What went wrong in the last failed call, for test messages ("" if nothing did). */
const char *http_client_error(const struct http_client *c);
/* Connections opened so far (a kept-alive client that never had to reconnect says 1). */
unsigned http_client_connects(const struct http_client *c);
/* Closes the connection, if any; the next request opens a new one. */
void http_client_close(struct http_client *c);

/* Raw mode, on the client's connection (opened if needed): send bytes as they are, then read
 * one answer (head: an answer to HEAD, which has no body). */
enum http_err http_send_raw(struct http_client *c, const void *data, size_t len);
enum http_err http_read_response(struct http_client *c, bool head, struct http_resp *out);

/* Bytes left over after the last answer plus those that arrive on the idle connection within
 * wait_ms: there should be none, as no request is outstanding. They are discarded; 0 also when
 * there is no connection. */
size_t http_client_stray_bytes(struct http_client *c, int wait_ms);

/* Connects, sends data[0..len) (then shuts down writing if shut_write), and reads until the
 * server closes the connection, one complete answer has arrived, or timeout_ms passes, into a
 * malloc'ed NUL-terminated *out (*out_len bytes before the NUL). HTTP_ETIMEOUT if neither came
 * in time; *out holds what arrived anyway. */
enum http_err http_raw_exchange(uint16_t port, const void *data, size_t len, bool shut_write,
                                int timeout_ms, char **out, size_t *out_len);

/* A thread repeating one GET on a kept-alive connection until stopped or refused, counting how
 * each request ended: load for watching a server stop. Read the counts after http_loader_stop. */
struct http_loader {
    uint16_t port;
    const char *target;
    atomic_bool stop;
    pthread_t tid;
    size_t ok;      /* 200 answers */
    size_t closed;  /* connections closed before an answer (HTTP_ECLOSED) */
    size_t refused; /* connect refused: the loader ends at the first */
    size_t bad;     /* anything else: a non-200, a timeout, a malformed answer */
    char first_bad[256];
};

bool http_loader_start(struct http_loader *l, uint16_t port, const char *target);
void http_loader_stop(struct http_loader *l); /* tells it to stop and joins it */

/* A static name for e ("ok", "connect failed", ...). */
const char *http_strerror(enum http_err e);

#endif

/* tlsclient.h - HTTPS for the TLS tests: a self-signed certificate made with the openssl CLI, and
 * one request over a fresh TLS connection to 127.0.0.1:port with OpenSSL (libssl, linked for h2o
 * anyway), the server's certificate verified against that certificate and the address. Nothing
 * here uses tests/t.h: a failure comes back as false with why. */
#ifndef GEOD_TEST_TLSCLIENT_H
#define GEOD_TEST_TLSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `openssl req -x509` into cert (PEM) and key (PEM, unencrypted): a P-256 key, CN and
 * subjectAltName IP 127.0.0.1, valid for a day. */
bool tls_make_cert(const char *cert, const char *key, char *why, size_t whylen);

/* Just a P-256 key (one that belongs to no certificate). */
bool tls_make_key(const char *key, char *why, size_t whylen);

/* One answer over TLS. */
struct tls_resp {
    int status;
    char *head; /* the status line and headers, NUL-terminated, malloc'ed */
    char *body; /* body_len bytes and a NUL, malloc'ed */
    size_t body_len;
    char alpn[32]; /* the protocol the server selected, "" when none */
};

void tls_resp_free(struct tls_resp *r);

/* The value of the first header named name (ASCII case-insensitive) into out, or false. */
bool tls_header(const struct tls_resp *r, const char *name, char *out, size_t cap);

/* Connects to 127.0.0.1:port, verifies the server against ca (a PEM file) for 127.0.0.1,
 * offers ALPN "h2" and "http/1.1", sends `method target HTTP/1.1` with Host, Connection: close,
 * the extra header lines (or NULL) and body (or NULL), and reads the answer until the server
 * closes (at most timeout_ms). */
bool tls_request(uint16_t port, const char *ca, const char *method, const char *target,
                 const char *headers, const char *body, int timeout_ms, struct tls_resp *out,
                 char *why, size_t whylen);

#endif

/* tls.h - the TLS side of the listener (geod serve --tls-cert/--tls-key): an OpenSSL context
 * with the certificate chain and its key, for h2o_accept_ctx_t.ssl_ctx. HTTP/1.1 only (ALPN
 * offers "http/1.1"), TLS 1.2 and newer. */
#ifndef GEOD_TLS_H
#define GEOD_TLS_H

#include "index/err.h"

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;

/* Loads the PEM certificate chain at cert and the PEM private key at key and checks that they
 * belong together. GEOD_EINVAL (or GEOD_ENOMEM) with one line in err naming the file and
 * OpenSSL's reason otherwise. */
enum geod_err api_tls_new(const char *cert, const char *key, SSL_CTX **out, char *err,
                          size_t errlen);

void api_tls_free(SSL_CTX *ctx); /* NULL is a no-op */

#endif

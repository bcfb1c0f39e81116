/* tls.c - the listener's OpenSSL context (tls.h). h2o 2.2.5 does the handshake itself when
 * h2o_accept_ctx_t.ssl_ctx is set; ALPN is registered through h2o so that it selects what it
 * serves: only HTTP/1.1, as geod never speaks HTTP/2 (its drain on stop is HTTP/1's). */
#include "api/tls.h"

#include <h2o.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>

/* OpenSSL's reason for the last failure, or fallback. */
static const char *reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

enum geod_err api_tls_new(const char *cert, const char *key, SSL_CTX **out, char *err,
                          size_t errlen)
{
    static const h2o_iovec_t alpn[] = {{H2O_STRLIT("http/1.1")}, {NULL}};
    *out = NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot set up TLS: %s", reason("out of memory"));
        return GEOD_ENOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, errlen, "TLS certificate %s: not a PEM certificate chain (%s)", cert,
                 reason("cannot be loaded"));
        goto fail;
    }
    /* OpenSSL checks here that the key is the certificate's */
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, errlen, "TLS key %s does not belong to the certificate %s", key, cert);
        else
            snprintf(err, errlen, "TLS key %s: not a PEM private key (%s)", key,
                     reason("cannot be loaded"));
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "TLS key %s does not belong to the certificate %s", key, cert);
        goto fail;
    }
    h2o_ssl_register_alpn_protocols(ctx, alpn);
    ERR_clear_error();
    *out = ctx;
    return GEOD_OK;
fail:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return GEOD_EINVAL;
}

void api_tls_free(SSL_CTX *ctx)
{
    if (ctx)
        SSL_CTX_free(ctx);
}

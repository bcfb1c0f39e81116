/* tlsclient.c - see tlsclient.h. */
#include "tests/lib/tlsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static bool fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return false;
}

/* Runs argv (openssl ...) with its output discarded; true when it exited 0. */
static bool run(char *const argv[], char *why, size_t whylen)
{
    pid_t pid = fork();
    if (pid < 0)
        return fail(why, whylen, "fork: %s", strerror(errno));
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return fail(why, whylen, "%s %s failed (status %d; is the openssl CLI installed?)", argv[0],
                    argv[1], st);
    return true;
}

bool tls_make_cert(const char *cert, const char *key, char *why, size_t whylen)
{
    char *argv[] = {"openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    (char *)key,
                    "-out",
                    (char *)cert,
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    NULL};
    return run(argv, why, whylen);
}

bool tls_make_key(const char *key, char *why, size_t whylen)
{
    char *argv[] = {"openssl", "genpkey",   "-algorithm",
                    "EC",      "-pkeyopt",  "ec_paramgen_curve:prime256v1",
                    "-out",    (char *)key, NULL};
    return run(argv, why, whylen);
}

void tls_resp_free(struct tls_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

bool tls_header(const struct tls_resp *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = r->head ? strstr(r->head, "\r\n") : NULL; p; p = strstr(p + 2, "\r\n")) {
        const char *h = p + 2;
        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            h += n + 1;
            while (*h == ' ')
                h++;
            size_t l = strcspn(h, "\r\n");
            snprintf(out, cap, "%.*s", (int)l, h);
            return true;
        }
    }
    return false;
}

static const char *ssl_reason(void)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown";
}

/* Waits for the socket to be ready for what SSL wants; false on time-out. */
static bool wait_io(int fd, SSL *ssl, int rc, int timeout_ms)
{
    int e = SSL_get_error(ssl, rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return false;
    struct pollfd p = {.fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
    return poll(&p, 1, timeout_ms) == 1;
}

bool tls_request(uint16_t port, const char *ca, const char *method, const char *target,
                 const char *headers, const char *body, int timeout_ms, struct tls_resp *out,
                 char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    bool ok = false;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    int fd = -1;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        fail(why, whylen, "client context or CA %s: %s", ca, ssl_reason());
        goto done;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* a close without close_notify ends the answer too; its Content-Length is checked by the
     * caller */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    static const unsigned char alpn[] = "\x02h2\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fail(why, whylen, "connect: %s", strerror(errno));
        goto done;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ssl = SSL_new(ctx);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
    SSL_set_fd(ssl, fd);
    int rc;
    while ((rc = SSL_connect(ssl)) != 1)
        if (!wait_io(fd, ssl, rc, timeout_ms)) {
            long v = SSL_get_verify_result(ssl);
            fail(why, whylen, "TLS handshake: %s (verify: %s)", ssl_reason(),
                 X509_verify_cert_error_string(v));
            goto done;
        }
    const unsigned char *sel;
    unsigned sel_len;
    SSL_get0_alpn_selected(ssl, &sel, &sel_len);
    snprintf(out->alpn, sizeof out->alpn, "%.*s", (int)sel_len, sel ? (const char *)sel : "");
    size_t blen = body ? strlen(body) : 0;
    size_t rlen = strlen(method) + strlen(target) + (headers ? strlen(headers) : 0) + blen + 128;
    char *req = malloc(rlen);
    int n = snprintf(req, rlen, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n",
                     method, target, (unsigned)port);
    if (headers)
        n += snprintf(req + n, rlen - (size_t)n, "%s", headers);
    if (body)
        n += snprintf(req + n, rlen - (size_t)n, "Content-Length: %zu\r\n", blen);
    n += snprintf(req + n, rlen - (size_t)n, "\r\n%s", body ? body : "");
    rc = SSL_write(ssl, req, n);
    free(req);
    if (rc != n) {
        fail(why, whylen, "TLS write: %s", ssl_reason());
        goto done;
    }
    for (;;) {
        if (cap - len < 16384) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
        }
        rc = SSL_read(ssl, buf + len, (int)(cap - len));
        if (rc > 0) {
            len += (size_t)rc;
            continue;
        }
        int e = SSL_get_error(ssl, rc);
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
            break; /* the server closed (Connection: close) */
        fail(why, whylen, "TLS read after %zu bytes: %s", len, ssl_reason());
        goto done;
    }
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.1 %d", &out->status) != 1) {
        fail(why, whylen, "not an HTTP answer: %.80s", buf);
        goto done;
    }
    size_t hlen = (size_t)(end - buf) + 2;
    out->head = strndup(buf, hlen);
    out->body_len = len - hlen - 2;
    out->body = malloc(out->body_len + 1);
    memcpy(out->body, end + 4, out->body_len);
    out->body[out->body_len] = '\0';
    ok = true;
done:
    free(buf);
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        tls_resp_free(out);
    return ok;
}

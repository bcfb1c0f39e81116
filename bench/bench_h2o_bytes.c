/* bench_h2o_bytes.c - the HTTP ceiling for bench_peers: h2o 2.2.5 (the library geod serves with)
 * answering every request with the same bytes from memory, as geod's server does it (one evloop
 * thread per core given, HTTP/1.1 keep-alive, one final h2o_send), but with no query, no index
 * and no encoding. `bench_h2o_bytes PORT FILE [THREADS]`: FILE's bytes as application/json;
 * prints "listening on PORT" when ready. Runs until killed. */
#include <arpa/inet.h>
#include <h2o.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static h2o_globalconf_t config;
static h2o_iovec_t body;
static int listen_fd;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    static h2o_generator_t gen;
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = body.len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_start_response(req, &gen);
    h2o_iovec_t b = body;
    h2o_send(req, &b, 1, H2O_SEND_STATE_FINAL);
    return 0;
}

struct thread {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
};

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct thread *t = listener->data;
    h2o_socket_t *sock;
    if (!err && (sock = h2o_evloop_socket_accept(listener)))
        h2o_accept(&t->accept, sock);
}

static void *run(void *arg)
{
    struct thread *t = arg;
    h2o_context_init(&t->ctx, h2o_evloop_create(), &config);
    t->accept.ctx = &t->ctx;
    t->accept.hosts = config.hosts;
    h2o_socket_t *l = h2o_evloop_socket_create(t->ctx.loop, dup(listen_fd),
                                               H2O_SOCKET_FLAG_DONT_READ);
    l->data = t;
    h2o_socket_read_start(l, on_accept);
    for (;;)
        h2o_evloop_run(t->ctx.loop, INT32_MAX);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: bench_h2o_bytes PORT FILE [THREADS]\n"), 1;
    FILE *f = fopen(argv[2], "rb");
    if (!f)
        return perror(argv[2]), 1;
    static char buf[1 << 20];
    body = h2o_iovec_init(buf, fread(buf, 1, sizeof buf, f));
    fclose(f);
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    h2o_config_init(&config);
    config.http1.upgrade_to_http2 = 0;
    h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")),
                                                    65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int on = 1;
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) || listen(listen_fd, 1024))
        return perror("listen"), 1;
    pthread_t tid[64];
    for (int i = 0; i < threads && i < 64; i++)
        pthread_create(&tid[i], NULL, run, calloc(1, sizeof(struct thread)));
    printf("listening on %s\n", argv[1]);
    fflush(stdout);
    pthread_join(tid[0], NULL);
    return 0;
}

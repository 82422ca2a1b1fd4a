/*
 * api_baseline.c - the baseline for bench/bench_api.sh: a minimal
 * libmicrohttpd server with the same threading as `revos serve` (internal
 * epoll thread pool, answers queued on the second callback so keep-alive
 * holds), answering every request with a fixed JSON body of a given size.
 * The ratio revos/baseline is what the API costs on top of the HTTP
 * library: routing, the database read and the JSON writing.
 *
 *   api_baseline [--port N] [--threads N] [--body-size BYTES]
 *
 * Prints "api_baseline: listening on port N" on stderr and runs until
 * SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *body;
static size_t body_len;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    static int first_call_marker;
    if (*con_cls == NULL) { /* first call: headers only; answer on the next */
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(body_len, body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* {"id":1,"pad":"xxxx...x"} of exactly n bytes (at least 20) */
static void make_body(size_t n)
{
    const char *head = "{\"id\":1,\"pad\":\"", *tail = "\"}";
    size_t h = strlen(head), t = strlen(tail);
    if (n < h + t)
        n = h + t;
    body = malloc(n + 1);
    memcpy(body, head, h);
    memset(body + h, 'x', n - h - t);
    memcpy(body + n - t, tail, t);
    body[n] = '\0';
    body_len = n;
}

int main(int argc, char **argv)
{
    unsigned port = 0, threads = 2;
    size_t size = 700;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            port = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--body-size"))
            size = (size_t)atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: api_baseline [--port N] [--threads N] [--body-size BYTES]\n");
            return 2;
        }
    }
    make_body(size);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    struct sockaddr_in sa; /* loopback, like `revos serve` by default */
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD, (uint16_t)port, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        threads > 1 ? threads : 0, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "api_baseline: cannot start on port %u\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "api_baseline: listening on port %u\n", info ? info->port : port);
    int sig;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    free(body);
    return 0;
}

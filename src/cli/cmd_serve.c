/*
 * cmd_serve.c - `revos serve`: run the JSON API (src/api) until SIGINT or
 * SIGTERM, then stop cleanly and exit 0.
 *
 * The signals are blocked before the server starts, so the worker threads
 * inherit the mask and never take them; the main thread waits for them in
 * sigwait() and then calls rv_api_stop(), which finishes the requests in
 * flight, joins the workers and closes every database connection.
 *
 * Behind an HTTPS proxy, --secure-cookies (or REVOS_SECURE_COOKIES=1 in
 * the environment) makes the session cookies Secure: a browser then never
 * sends them over plain HTTP.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"

static int int_opt(rv_cli *c, const char *name, long lo, long hi, long *out)
{
    const char *v = rv_cli_opt(c, name);
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (!v[0] || *end || n < lo || n > hi)
        return rv_cli_usage(c, "--%s must be between %ld and %ld, got '%s'", name, lo, hi, v);
    *out = n;
    return 0;
}

int rv_cmd_serve(rv_cli *c)
{
    rv_api_opts o;
    rv_api_opts_init(&o);
    long port = o.port, threads = o.threads, max_body = (long)o.max_body;
    const char *bind = rv_cli_opt(c, "bind");
    const char *env = getenv("REVOS_SECURE_COOKIES");
    o.secure_cookies = rv_cli_flag(c, "secure-cookies") ||
                       (env && (!strcmp(env, "1") || !strcasecmp(env, "true") ||
                                !strcasecmp(env, "yes")));
    int rc;
    if ((rc = int_opt(c, "port", 0, 65535, &port)) ||
        (rc = int_opt(c, "threads", 1, RV_API_MAX_THREADS, &threads)) ||
        (rc = int_opt(c, "max-body", 1, 1L << 30, &max_body)) || (rc = rv_cli_check_opts(c)))
        return rc;
    if (c->npos)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[0]);
    if (!rv_cli_db_is_url(c->db_path) && access(c->db_path, F_OK) != 0) {
        fprintf(stderr, "revos: error: no database at '%s' (run 'revos init' or pass --db)\n",
                c->db_path);
        return 1;
    }
    o.db_path = c->db_path;
    if (bind)
        o.bind = bind;
    o.port = (int)port;
    o.threads = (int)threads;
    o.max_body = (size_t)max_body;

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    rv_api_server *srv;
    rv_err err;
    if (rv_api_start(&o, &srv, &err))
        return rv_cli_fail(c, &err);
    const char *host = rv_api_bind(srv);
    bool v6 = strchr(host, ':') != NULL;
    fprintf(stderr, "revos: serving %s at http://%s%s%s:%d\n", c->db_path, v6 ? "[" : "", host,
            v6 ? "]" : "", rv_api_port(srv));
    fflush(stderr);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "revos: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rv_api_stop(srv);
    return 0;
}

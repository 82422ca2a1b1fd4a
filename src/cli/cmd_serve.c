/*
 * cmd_serve.c - `revos serve`: run the JSON API (src/api) until SIGINT or
 * SIGTERM, then stop cleanly and exit 0.
 *
 * The dashboard: `--web DIR` names the built folder (index.html and
 * assets/, made by `make web` into web/dist).  Without it the first folder
 * found of EXE_DIR/web/dist, EXE_DIR/../../web/dist (the binary in
 * build/MODE/), EXE_DIR/../share/revos/web (installed) and ./web/dist is
 * used; when none has an index.html the API is served alone and `/` shows
 * the plain front page.
 *
 * The signals are blocked before the server starts, so the worker threads
 * inherit the mask and never take them; the main thread waits for them in
 * sigwait() and then calls rv_api_stop(), which finishes the requests in
 * flight, joins the workers and closes every database connection.
 *
 * --retrain-every 6h (or 30m, 90s) retrains the lead scoring model on
 * that period, in the main thread while the workers serve: the same as
 * `revos score retrain` (a new version becomes active only when it
 * validates better; service/score.h), one line on stderr per pass.
 *
 * Behind an HTTPS proxy, --secure-cookies (or REVOS_SECURE_COOKIES=1 in
 * the environment) makes the session cookies Secure: a browser then never
 * sends them over plain HTTP.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <errno.h>
#include <time.h>

#include "api/api.h"
#include "cli/cli.h"
#include "service/leads.h"
#include "service/score.h"

static int int_opt(rv_cli *c, const char *name, long lo, long hi, long *out)
{
    const char *v = rv_cli_opt(c, name);
    if (!v)
        return 0;
    long long n;
    if (!rv_cli_parse_int(v, lo, hi, &n))
        return rv_cli_usage(c, "--%s must be between %ld and %ld, got '%s'", name, lo, hi, v);
    *out = (long)n;
    return 0;
}

/* --retrain-every N[s|m|h] into seconds (0 when absent); 0 or the exit
 * code of a usage error. */
static int period_opt(rv_cli *c, long *secs)
{
    const char *v = rv_cli_opt(c, "retrain-every");
    *secs = 0;
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    long unit = !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : 0;
    if (end == v || n < 1 || !unit || n > 366L * 86400 / unit)
        return rv_cli_usage(c, "--retrain-every must be a whole number of s, m or h up to a year "
                               "(6h, 30m), got '%s'",
                            v);
    *secs = n * unit;
    return 0;
}

/* One retraining pass, reported on stderr. */
static void retrain_pass(rv_cli *c)
{
    rv_score_trained t;
    rv_err err;
    rv_err_clear(&err);
    if (rv_score_retrain(&c->ctx, NULL, &t, &err))
        fprintf(stderr, "revos: retrain: %s\n", err.message);
    else
        fprintf(stderr, "revos: retrain: version %lld: %s\n", (long long)t.version, t.note);
    fflush(stderr);
    rv_arena_reset(&c->arena);
}

/* The default dashboard folder (see the top of this file) into buf, or
 * NULL when there is none. */
static const char *find_web(char *buf, size_t cap)
{
    static const char *const rel[] = {"/web/dist", "/../../web/dist", "/../share/revos/web"};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char idx[PATH_MAX + 64];
            snprintf(buf, cap, "%s%s", exe, rel[i]);
            snprintf(idx, sizeof idx, "%s/index.html", buf);
            if (access(idx, R_OK) == 0)
                return buf;
        }
    }
    snprintf(buf, cap, "web/dist");
    return access("web/dist/index.html", R_OK) == 0 ? buf : NULL;
}

/* One SLA pass (docs/leads.md) on the connection s, reported on stderr. */
static void sla_pass(rv_store *s, rv_arena *a)
{
    rv_ctx ctx;
    rv_sla_report rep;
    rv_err err;
    rv_arena_reset(a);
    rv_ctx_init(&ctx, s, a);
    if (rv_sla_check(&ctx, &rep, &err))
        fprintf(stderr, "revos: SLA check failed: %s\n", err.message);
    else if (rep.breached)
        fprintf(stderr, "revos: SLA check: %d leads breached (%d notified, %d reassigned)\n",
                rep.breached, rep.notified, rep.reassigned);
}

/* The periodic passes until a stop signal, which it returns: the SLA check
 * every sla_every seconds on a connection of its own, and retraining of the
 * scoring model (docs/scoring.md) every retrain_every seconds; 0 turns one
 * off. */
static int periodic_loop(rv_cli *c, const sigset_t *stop, long sla_every, long retrain_every)
{
    rv_store *s = NULL;
    rv_err err;
    rv_arena a;
    rv_arena_init(&a, 1 << 16);
    if (sla_every > 0 && rv_store_open(&s, c->db_path, 0, &err)) {
        fprintf(stderr, "revos: SLA checks off: %s\n", err.message);
        sla_every = 0;
    }
    time_t now = time(NULL);
    time_t next_sla = sla_every > 0 ? now + sla_every : 0;
    time_t next_train = retrain_every > 0 ? now + retrain_every : 0;
    int sig = 0;
    for (;;) {
        time_t next = next_sla && (!next_train || next_sla < next_train) ? next_sla : next_train;
        if (!next) {
            sigwait(stop, &sig);
            break;
        }
        time_t left = next - time(NULL);
        struct timespec ts = {left > 0 ? left : 0, 0};
        int got = sigtimedwait(stop, NULL, &ts);
        if (got > 0) {
            sig = got;
            break;
        }
        now = time(NULL);
        if (next_sla && now >= next_sla) {
            sla_pass(s, &a);
            next_sla = now + sla_every;
        }
        if (next_train && now >= next_train) {
            retrain_pass(c);
            next_train = now + retrain_every;
        }
    }
    rv_store_close(s);
    rv_arena_release(&a);
    return sig;
}

int rv_cmd_serve(rv_cli *c)
{
    rv_api_opts o;
    rv_api_opts_init(&o);
    long port = o.port, threads = o.threads, max_body = (long)o.max_body, sla_every = 60,
         retrain_every = 0;
    const char *bind = rv_cli_opt(c, "bind");
    const char *web = rv_cli_opt(c, "web");
    char webbuf[PATH_MAX + 64];
    const char *env = getenv("REVOS_SECURE_COOKIES");
    o.secure_cookies = rv_cli_flag(c, "secure-cookies") ||
                       (env && (!strcmp(env, "1") || !strcasecmp(env, "true") ||
                                !strcasecmp(env, "yes")));
    int rc;
    if ((rc = int_opt(c, "port", 0, 65535, &port)) ||
        (rc = int_opt(c, "threads", 1, RV_API_MAX_THREADS, &threads)) ||
        (rc = int_opt(c, "max-body", 1, 1L << 30, &max_body)) ||
        (rc = int_opt(c, "sla-every", 0, 86400, &sla_every)) ||
        (rc = period_opt(c, &retrain_every)) || (rc = rv_cli_check_opts(c)))
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
    o.web_dir = web ? web : find_web(webbuf, sizeof webbuf);
    if (retrain_every && (rc = rv_cli_open(c, false)))
        return rc;

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
    fprintf(stderr, "revos: serving %s at http://%s%s%s:%d %s%s\n", c->db_path, v6 ? "[" : "", host,
            v6 ? "]" : "", rv_api_port(srv),
            o.web_dir ? "with the dashboard from " : "(no dashboard built: make web)",
            o.web_dir ? o.web_dir : "");
    fflush(stderr);
    int sig = 0;
    sig = periodic_loop(c, &stop, sla_every, retrain_every);
    fprintf(stderr, "revos: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rv_api_stop(srv);
    return 0;
}

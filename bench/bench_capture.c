/*
 * bench_capture.c - lead capture over HTTP on loopback through the whole
 * pipeline (normalise, match against the contacts and accounts, score,
 * route, first-touch task, commit), against a plain lead create through
 * the same server in the same run.
 *
 *   bench_capture DB [SECONDS] [RATE] [ACCOUNTS] [CONTACTS_PER_ACCOUNT]
 *                    (defaults 5, 1000, 100000, 10: 1M contacts)
 *
 * DB is built on first use and kept (bench_capture.sh caches it): 10 reps
 * in one round-robin pool that routes to account owners, five fit rules,
 * an engagement rule, ACCOUNTS accounts (name, domain, phone, postcode,
 * owner) and CONTACTS_PER_ACCOUNT contacts each (email, phone), written
 * through the service layer in one batch so that their match keys are
 * what any write computes.
 *
 * The server is revos's own (rv_api_start, 2 worker threads) in this
 * process; the load comes from NCONN client threads over loopback with
 * keep-alive connections, sharing the machine's cores with it.
 *
 *   paced    RATE requests per second for SECONDS, open loop: request i
 *            is due at t0 + i / RATE and its latency is counted from that
 *            moment, not from when it was sent, so a slow answer also
 *            delays (and is charged to) the requests queued behind it;
 *   max      NCONN connections sending back to back for SECONDS: the
 *            highest rate the server sustains, requests answered / s.
 *
 * Each is run for the baseline (POST /api/v1/leads with an API token: a
 * plain create, no pipeline) and for POST /api/v1/leads/capture with a
 * source key.  Leads are all new people: 40% with an email at an
 * account's domain, 20% with a contact's email, 20% free-mail with an
 * account's company name, 20% matching nothing; each has a phone.
 * Every answer must be 201; anything else is counted and printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "model/money.h"
#include "service/auth.h"
#include "service/leads.h"
#include "service/service.h"

#define NCONN 8
#define NREPS 10

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const rv_err *e)
{
    fprintf(stderr, "bench_capture: %s: %s\n", what, e ? e->message : strerror(errno));
    exit(1);
}

/* --- data ------------------------------------------------------------------------------ */

static int64_t create(rv_ctx *c, const char *entity, const char *json)
{
    rv_record r;
    rv_err err;
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    rv_record_init(&r, rv_entity_find(entity));
    if (!j || rv_record_from_json(&r, j, false, c->arena, &err) || rv_svc_create(c, &r, &err))
        die(json, &err);
    json_decref(j);
    return r.id;
}

static void build(const char *db, int accounts, int per)
{
    rv_store *s;
    rv_err err;
    rv_arena a;
    rv_ctx c;
    if (rv_store_open(&s, db, RV_STORE_CREATE, &err))
        die("open", &err);
    rv_arena_init(&a, 1 << 20);
    rv_ctx_init(&c, s, &a);
    rv_store_bulk(s, true);
    if (rv_store_begin(s, &err))
        die("begin", &err);
    c.batch = true;
    char b[600];
    int64_t reps[NREPS];
    create(&c, "users", "{\"name\":\"Admin\",\"email\":\"admin@example.com\",\"role\":\"admin\"}");
    create(&c, "routing_pools", "{\"name\":\"Inbound\"}");
    create(&c, "routing_rules", "{\"name\":\"All\",\"field\":\"email\",\"op\":\"any\",\"pool_id\":1}");
    for (int i = 0; i < NREPS; i++) {
        snprintf(b, sizeof b, "{\"name\":\"Rep %d\",\"email\":\"rep%d@example.com\"}", i, i);
        reps[i] = create(&c, "users", b);
        snprintf(b, sizeof b, "{\"pool_id\":1,\"user_id\":%lld,\"weight\":%d,\"work_days\":\"\"}",
                 (long long)reps[i], 1 + i % 3);
        create(&c, "pool_members", b);
    }
    create(&c, "fit_rules", "{\"field\":\"industry\",\"value\":\"Software\",\"points\":20}");
    create(&c, "fit_rules", "{\"field\":\"employees\",\"op\":\"between\",\"value\":\"100,5000\",\"points\":15}");
    create(&c, "fit_rules", "{\"field\":\"title\",\"op\":\"contains\",\"value\":\"VP\",\"points\":10,\"cap\":15}");
    create(&c, "fit_rules", "{\"field\":\"title\",\"op\":\"contains\",\"value\":\"Director\",\"points\":10}");
    create(&c, "fit_rules", "{\"field\":\"country\",\"op\":\"in\",\"value\":\"US,CA,UK\",\"points\":5}");
    create(&c, "engagement_rules", "{\"kind\":\"form\",\"points\":10}");
    double t0 = now_s();
    for (int i = 0; i < accounts; i++) {
        snprintf(b, sizeof b,
                 "{\"name\":\"Company %d Inc\",\"domain\":\"company%d.com\",\"phone\":\"+1 415 %07d\","
                 "\"postcode\":\"%05d\",\"country\":\"US\",\"owner_id\":%lld}",
                 i, i, i, i % 100000, (long long)reps[i % NREPS]);
        int64_t acct = create(&c, "accounts", b);
        for (int j = 0; j < per; j++) {
            snprintf(b, sizeof b,
                     "{\"last_name\":\"Contact%d\",\"email\":\"c%d.a%d@company%d.com\","
                     "\"phone\":\"+1 646 %03d %04d\",\"account_id\":%lld}",
                     j, j, i, i, j, i % 10000, (long long)acct);
            create(&c, "contacts", b);
        }
        rv_arena_reset(&a);
        if (i % 10000 == 9999)
            fprintf(stderr, "bench_capture: %d accounts, %d contacts (%.0f s)\r", i + 1,
                    (i + 1) * per, now_s() - t0);
    }
    if (rv_store_commit(s, &err))
        die("commit", &err);
    fprintf(stderr, "\nbench_capture: built %d accounts and %d contacts in %.1f s\n", accounts,
            accounts * per, now_s() - t0);
    rv_arena_release(&a);
    rv_store_close(s);
}

/* --- load ------------------------------------------------------------------------------- */

typedef struct run {
    int port;
    const char *path, *auth; /* auth: a header line */
    int accounts, per;
    bool plain;   /* the baseline's bodies */
    long base;    /* lead numbers start here (unique people per run) */
    long total;   /* paced: requests; max: 0 */
    double rate, t0, until;
    double *lat;  /* paced latencies, by request */
    long done, errors;
    char first_error[300];
    pthread_mutex_t mu;
} run;

static int conn_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect", NULL);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int lead_body(const run *r, long i, char *b, size_t cap)
{
    long n = r->base + i;
    if (r->plain) /* the baseline: people nobody else uses */
        return snprintf(b, cap, "{\"email\":\"b%ld@baseline.example\",\"last_name\":\"Base%ld\","
                                "\"title\":\"VP Sales\",\"industry\":\"Software\",\"employees\":250,"
                                "\"phone\":\"+4424%08ld\"}", n, n, n % 100000000);
    int a = (int)((unsigned long)(n * 2654435761UL) % (unsigned long)r->accounts);
    switch (n % 10) {
    case 0: case 1: case 2: case 3: /* a new person at an account's domain */
        return snprintf(b, cap, "{\"email\":\"lead%ld@company%d.com\",\"last_name\":\"Lead%ld\","
                                "\"title\":\"VP Sales\",\"industry\":\"Software\",\"employees\":250,"
                                "\"phone\":\"+4420%08ld\"}", n, a, n, n % 100000000);
    case 4: case 5: { /* an existing contact, each once until they run out */
        long k = (n / 10 * 2 + n % 2) % ((long)r->accounts * r->per);
        int ca = (int)(k / r->per);
        return snprintf(b, cap, "{\"email\":\"c%d.a%d@company%d.com\",\"last_name\":\"Contact\","
                                "\"phone\":\"+4421%08ld\"}", (int)(k % r->per), ca, ca, n % 100000000);
    }
    case 6: case 7: /* free-mail with the account's company name */
        return snprintf(b, cap, "{\"email\":\"p%ld@gmail.com\",\"company\":\"Company %d, Inc.\","
                                "\"country\":\"US\",\"phone\":\"+4422%08ld\"}", n, a, n % 100000000);
    default: /* nobody we know */
        return snprintf(b, cap, "{\"email\":\"x%ld@yahoo.com\",\"company\":\"Unknown %ld GmbH\","
                                "\"phone\":\"+4423%08ld\"}", n, n, n % 100000000);
    }
}

/* One request on fd; returns the HTTP status (0 on a broken connection). */
static int request(int fd, const run *r, long i, char *resp, size_t cap)
{
    char body[600], req[1200];
    int bl = lead_body(r, i, body, sizeof body);
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     r->path, r->auth, bl, body);
    if (write(fd, req, (size_t)n) != n)
        return 0;
    size_t got = 0;
    long need = -1;
    for (;;) {
        ssize_t k = read(fd, resp + got, cap - 1 - got);
        if (k <= 0)
            return 0;
        got += (size_t)k;
        resp[got] = '\0';
        char *end = strstr(resp, "\r\n\r\n");
        if (end && need < 0) {
            char *cl = strcasestr(resp, "Content-Length:");
            need = (long)(end + 4 - resp) + (cl ? atol(cl + 15) : 0);
        }
        if (need >= 0 && (long)got >= need)
            break;
        if (got + 1 >= cap)
            return 0;
    }
    return atoi(resp + 9);
}

static void note_error(run *r, int status, const char *resp)
{
    pthread_mutex_lock(&r->mu);
    if (!r->errors++)
        snprintf(r->first_error, sizeof r->first_error, "%d %s", status,
                 strstr(resp, "\r\n\r\n") ? strstr(resp, "\r\n\r\n") + 4 : resp);
    pthread_mutex_unlock(&r->mu);
}

/* Request i on *fd, counting anything but 201; a broken connection is
 * reopened. */
static void request_checked(run *r, int *fd, long i)
{
    char resp[8192];
    int st = request(*fd, r, i, resp, sizeof resp);
    if (st != 201)
        note_error(r, st, resp);
    if (!st) {
        close(*fd);
        *fd = conn_open(r->port);
    }
}

typedef struct worker {
    run *r;
    int k;
} worker;

static void *paced(void *ud)
{
    worker *w = ud;
    run *r = w->r;
    int fd = conn_open(r->port);
    for (long i = w->k; i < r->total; i += NCONN) {
        double due = r->t0 + (double)i / r->rate;
        double wait = due - now_s();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        request_checked(r, &fd, i);
        r->lat[i] = now_s() - due;
    }
    close(fd);
    return NULL;
}

static void *closed(void *ud)
{
    worker *w = ud;
    run *r = w->r;
    int fd = conn_open(r->port);
    long n = 0;
    for (long i = w->k; now_s() < r->until; i += NCONN, n++)
        request_checked(r, &fd, i);
    close(fd);
    pthread_mutex_lock(&r->mu);
    r->done += n;
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct figures {
    double p50, p99, achieved, max_rate;
    long errors;
} figures;

static void measure(run *r, double secs, figures *f)
{
    pthread_t th[NCONN];
    worker w[NCONN];
    /* paced */
    r->total = (long)(secs * r->rate);
    r->lat = calloc((size_t)r->total, sizeof *r->lat);
    r->errors = 0;
    r->t0 = now_s() + 0.05;
    for (int k = 0; k < NCONN; k++) {
        w[k] = (worker){r, k};
        pthread_create(&th[k], NULL, paced, &w[k]);
    }
    for (int k = 0; k < NCONN; k++)
        pthread_join(th[k], NULL);
    double took = now_s() - r->t0;
    qsort(r->lat, (size_t)r->total, sizeof *r->lat, cmp_d);
    f->p50 = r->lat[r->total / 2] * 1e3;
    f->p99 = r->lat[(long)(r->total * 0.99)] * 1e3;
    f->achieved = (double)r->total / took;
    free(r->lat);
    r->base += r->total;
    /* max */
    r->done = 0;
    double t0 = now_s();
    r->until = t0 + secs;
    for (int k = 0; k < NCONN; k++)
        pthread_create(&th[k], NULL, closed, &w[k]);
    for (int k = 0; k < NCONN; k++)
        pthread_join(th[k], NULL);
    f->max_rate = (double)r->done / (now_s() - t0);
    r->base += r->done + NCONN;
    f->errors = r->errors;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_capture DB [SECONDS] [RATE] [ACCOUNTS] [CONTACTS_PER_ACCOUNT]\n");
        return 2;
    }
    const char *db = argv[1];
    if (getenv("CAPTURE_DIRECT")) { /* profiling aid: captures in-process, one thread, no HTTP */
        rv_store *s;
        rv_err err;
        rv_arena a;
        rv_ctx c;
        if (rv_store_open(&s, db, 0, &err))
            die("open", &err);
        rv_arena_init(&a, 1 << 16);
        rv_ctx_init(&c, s, &a);
        run r = {.accounts = argc > 4 ? atoi(argv[4]) : 100000, .per = argc > 5 ? atoi(argv[5]) : 10,
                 .base = 900000000L + (long)time(NULL) % 1000 * 100000};
        int n = atoi(getenv("CAPTURE_DIRECT"));
        double t0 = now_s();
        for (int i = 0; i < n; i++) {
            char b[600];
            lead_body(&r, i, b, sizeof b);
            json_t *j = json_loads(b, 0, NULL);
            rv_capture_req req = {NULL, NULL, j};
            rv_capture_result res;
            if (rv_leads_capture(&c, &req, &res, &err))
                die("capture", &err);
            json_decref(j);
            rv_arena_reset(&a);
        }
        printf("%d captures in-process: %.1f us each\n", n, (now_s() - t0) / n * 1e6);
        rv_store_close(s);
        rv_arena_release(&a);
        return 0;
    }
    double secs = argc > 2 ? atof(argv[2]) : 5;
    double rate = argc > 3 ? atof(argv[3]) : 1000;
    int accounts = argc > 4 ? atoi(argv[4]) : 100000, per = argc > 5 ? atoi(argv[5]) : 10;
    if (access(db, F_OK) != 0)
        build(db, accounts, per);
    /* credentials of this run: an API token for the baseline, a source key */
    rv_store *s;
    rv_err err;
    rv_arena a;
    rv_ctx c;
    char token[RV_TOKEN_TEXT], key[80];
    int64_t id;
    if (rv_store_open(&s, db, 0, &err))
        die("open", &err);
    rv_arena_init(&a, 1 << 16);
    rv_ctx_init(&c, s, &a);
    char name[64];
    snprintf(name, sizeof name, "bench %ld", (long)time(NULL));
    if (rv_tokens_create(&c, "admin@example.com", name, "admin", token, &id, &err) ||
        rv_lead_source_create(&c, name, "1000000", key, &id, &err))
        die("credentials", &err);
    int64_t leads = 0;
    rv_list_req lr = {.ent = rv_entity_find("leads")};
    rv_svc_count(&c, &lr, &leads, &err);
    rv_store_close(s);
    rv_arena_release(&a);

    rv_api_opts o;
    rv_api_opts_init(&o);
    o.db_path = db;
    rv_api_server *srv;
    if (rv_api_start(&o, &srv, &err))
        die("serve", &err);
    char auth_base[200], auth_cap[200];
    snprintf(auth_base, sizeof auth_base, "Authorization: Bearer %s\r\n", token);
    snprintf(auth_cap, sizeof auth_cap, "X-Source-Key: %s\r\n", key);
    /* people numbers continue after the leads already in the file */
    run base = {.port = rv_api_port(srv), .path = "/api/v1/leads", .auth = auth_base,
                .accounts = accounts, .per = per, .base = leads, .rate = rate, .plain = true};
    run cap = base;
    cap.path = "/api/v1/leads/capture", cap.auth = auth_cap, cap.plain = false;
    pthread_mutex_init(&base.mu, NULL);
    pthread_mutex_init(&cap.mu, NULL);
    printf("data: %d accounts, %d contacts, %lld leads before the run; %d connections, %.0f s per "
           "phase\n", accounts, accounts * per, (long long)leads, NCONN, secs);
    figures fb, fc;
    measure(&base, secs, &fb);
    measure(&cap, secs, &fc);
    rv_api_stop(srv);
    printf("%-34s %9s %9s %12s %14s %7s\n", "", "p50 ms", "p99 ms", "paced req/s", "max req/s",
           "errors");
    printf("%-34s %9.3f %9.3f %12.0f %14.0f %7ld\n", "baseline POST /api/v1/leads", fb.p50, fb.p99,
           fb.achieved, fb.max_rate, fb.errors);
    printf("%-34s %9.3f %9.3f %12.0f %14.0f %7ld\n", "capture POST /api/v1/leads/capture", fc.p50,
           fc.p99, fc.achieved, fc.max_rate, fc.errors);
    printf("capture / baseline: p50 %.2fx, p99 %.2fx, max rate %.2fx\n", fc.p50 / fb.p50,
           fc.p99 / fb.p99, fc.max_rate / fb.max_rate);
    printf("goal p99 < 2 ms at %.0f leads/s: %s\n", rate, fc.p99 < 2.0 ? "met" : "not met");
    if (fb.errors)
        printf("baseline first error: %s\n", base.first_error);
    if (fc.errors)
        printf("capture first error: %s\n", cap.first_error);
    return fb.errors || fc.errors ? 1 : 0;
}

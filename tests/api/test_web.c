/*
 * test_web.c - the dashboard's files as `revos serve` serves them, over
 * real HTTP on loopback (src/api/static.c).
 *
 * Each test builds its own small dashboard folder (index.html, assets/
 * with a script, a stylesheet, a hidden file, a subfolder and a symlink,
 * and a secret file beside the folder), starts the server on it and
 * checks: exact bodies and Content-Types, the cache headers, HEAD, 404 for
 * unknown names, 405 for other methods, that no path of the network
 * reaches a file outside the loaded names (dot-dot segments, encoded
 * slashes and dots, NUL bytes, hidden files, subfolders, symlinks), that
 * `/` is the dashboard for a signed-in user and the sign-in page's
 * redirect for others, and that a missing folder is refused at start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "http_client.h"
#include "testutil.h"

#define INDEX_HTML "<!doctype html><title>revos</title><div id=app></div>\n"
#define APP_JS "console.log('dashboard');\n"
#define APP_CSS "body{margin:0}\n"
#define SECRET "the secret beside the folder\n"

typedef struct web_env {
    tu_env *t;
    rv_api_server *srv;
    int port;
    char dir[600];
    char auth[300]; /* "Authorization: Bearer ...\r\n" */
} web_env;

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* root/secret.txt, root/dist/{index.html, assets/...} */
static void make_folder(const char *root, char *dist, size_t cap)
{
    char p[800];
    mkdir(root, 0700);
    snprintf(p, sizeof p, "%s/secret.txt", root);
    put_file(p, SECRET);
    snprintf(dist, cap, "%s/dist", root);
    mkdir(dist, 0700);
    snprintf(p, sizeof p, "%s/index.html", dist);
    put_file(p, INDEX_HTML);
    snprintf(p, sizeof p, "%s/secret.txt", dist); /* beside index.html: not an asset */
    put_file(p, SECRET);
    snprintf(p, sizeof p, "%s/assets", dist);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/assets/index-Ab12_x.js", dist);
    put_file(p, APP_JS);
    snprintf(p, sizeof p, "%s/assets/index-Cd34.css", dist);
    put_file(p, APP_CSS);
    snprintf(p, sizeof p, "%s/assets/.hidden.js", dist);
    put_file(p, SECRET);
    snprintf(p, sizeof p, "%s/assets/sub", dist);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/assets/sub/x.js", dist);
    put_file(p, SECRET);
}

static rv_status start(web_env *w, const char *dir, rv_err *err)
{
    rv_api_opts o;
    rv_api_opts_init(&o);
    o.db_path = w->t->path;
    o.port = 0;
    o.threads = 2;
    o.web_dir = dir;
    rv_status st = rv_api_start(&o, &w->srv, err);
    if (!st)
        w->port = rv_api_port(w->srv);
    return st;
}

static int setup(void **state)
{
    web_env *w = calloc(1, sizeof *w);
    w->t = tu_env_new("web");
    snprintf(w->auth, sizeof w->auth, "Authorization: Bearer %s\r\n", tu_admin_token(w->t));
    tu_http_set_default_headers(NULL); /* each request says whether it is signed in */
    char *root = tu_db_path("webroot");
    make_folder(root, w->dir, sizeof w->dir);
    free(root);
    rv_err err;
    if (start(w, w->dir, &err))
        fail_msg("rv_api_start: %s", err.message);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    web_env *w = *state;
    rv_api_stop(w->srv);
    tu_env_free(w->t);
    free(w);
    return 0;
}

/* One request on a fresh connection; extra headers may be NULL. */
static void get(web_env *w, const char *method, const char *path, const char *extra,
                tu_http_resp *r)
{
    tu_http c;
    if (!tu_http_connect(&c, w->port))
        fail_msg("connect failed");
    if (!tu_http_send(&c, method, path, NULL, NULL, 0, extra, false) ||
        !tu_http_recv(&c, r, !strcmp(method, "HEAD")))
        fail_msg("%s %s: no response", method, path);
    tu_http_close(&c);
}

static void expect_header(const tu_http_resp *r, const char *name, const char *want)
{
    char v[300];
    if (!tu_http_header(r, name, v, sizeof v))
        fail_msg("no %s header in:\n%s", name, r->headers);
    assert_string_equal(v, want);
}

static void assets_served(void **state)
{
    web_env *w = *state;
    tu_http_resp r;
    get(w, "GET", "/assets/index-Ab12_x.js", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, APP_JS);
    expect_header(&r, "Content-Type", "text/javascript; charset=utf-8");
    expect_header(&r, "Cache-Control", "public, max-age=31536000, immutable");
    expect_header(&r, "X-Content-Type-Options", "nosniff");
    tu_http_resp_release(&r);
    get(w, "GET", "/assets/index-Cd34.css", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, APP_CSS);
    expect_header(&r, "Content-Type", "text/css; charset=utf-8");
    tu_http_resp_release(&r);
    get(w, "HEAD", "/assets/index-Cd34.css", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    char n[32];
    snprintf(n, sizeof n, "%zu", strlen(APP_CSS));
    expect_header(&r, "Content-Length", n);
    tu_http_resp_release(&r);

    /* several assets on one keep-alive connection, as a browser loads them */
    tu_http c;
    assert_true(tu_http_connect(&c, w->port));
    for (int i = 0; i < 3; i++) {
        assert_true(tu_http_request(&c, "GET",
                                    i % 2 ? "/assets/index-Cd34.css" : "/assets/index-Ab12_x.js",
                                    NULL, NULL, &r));
        assert_int_equal(r.status, 200);
        assert_false(r.closed);
        tu_http_resp_release(&r);
    }
    /* the API answers on the same connection */
    assert_true(tu_http_request(&c, "GET", "/healthz", NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    tu_http_resp_release(&r);
    tu_http_close(&c);
}

static void unknown_and_methods(void **state)
{
    web_env *w = *state;
    tu_http_resp r;
    get(w, "GET", "/assets/nope.js", NULL, &r);
    assert_int_equal(r.status, 404);
    expect_header(&r, "Content-Type", "application/json; charset=utf-8");
    assert_string_equal(r.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such file of "
                                "the dashboard (it may be from an older build: reload the "
                                "page)\",\"field\":null}}");
    tu_http_resp_release(&r);
    get(w, "POST", "/assets/index-Ab12_x.js", w->auth, &r);
    assert_int_equal(r.status, 405);
    expect_header(&r, "Allow", "GET, HEAD");
    tu_http_resp_release(&r);
    get(w, "DELETE", "/assets/index-Ab12_x.js", w->auth, &r);
    assert_int_equal(r.status, 405);
    tu_http_resp_release(&r);
}

/* No path reaches a file that was not loaded as an asset by its exact name. */
static void no_traversal(void **state)
{
    web_env *w = *state;
    static const char *const paths[] = {
        "/assets/../secret.txt",
        "/assets/../../secret.txt",
        "/assets/..%2fsecret.txt",
        "/assets/..%2F..%2Fsecret.txt",
        "/assets/%2e%2e/secret.txt",
        "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/assets/./index-Ab12_x.js",
        "/assets//index-Ab12_x.js",
        "/assets/sub/x.js",
        "/assets/sub%2fx.js",
        "/assets/.hidden.js",
        "/assets/",
        "/assets/index-Ab12_x.js/",
        "/assets/INDEX-AB12_X.JS",
        "/assets/%2fetc%2fpasswd",
        "/assets/..%5csecret.txt",
        "/assets/....//secret.txt",
        "/../../etc/passwd",
        "/secret.txt",
        "/index.html",
        "/dist/secret.txt",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        tu_http_resp r;
        get(w, "GET", paths[i], w->auth, &r);
        if (r.status != 404)
            fail_msg("GET %s answered %d:\n%s", paths[i], r.status, r.body);
        if (strstr(r.body, "the secret beside") || strstr(r.body, "console.log") ||
            strstr(r.body, "root:"))
            fail_msg("GET %s leaked: %s", paths[i], r.body);
        tu_http_resp_release(&r);
    }
    /* MHD ends the decoded path at a NUL: the same file, as itself */
    tu_http_resp r;
    get(w, "GET", "/assets/index-Ab12_x.js%00.txt", w->auth, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, APP_JS);
    expect_header(&r, "Content-Type", "text/javascript; charset=utf-8");
    tu_http_resp_release(&r);
}

/* A symlink in assets/ is not followed, so the folder refuses to load. */
static void symlink_refused(void **state)
{
    web_env *w = *state;
    char root[700], dist[700], p[800], target[800];
    snprintf(root, sizeof root, "%s-link", w->dir);
    make_folder(root, dist, sizeof dist);
    snprintf(p, sizeof p, "%s/assets/link.js", dist);
    snprintf(target, sizeof target, "%s/secret.txt", root);
    assert_int_equal(symlink(target, p), 0);
    rv_api_server *keep = w->srv;
    rv_err err;
    assert_int_equal(start(w, dist, &err), RV_EIO);
    assert_non_null(strstr(err.message, "/assets/link.js"));
    w->srv = keep;
}

static void home_page(void **state)
{
    web_env *w = *state;
    tu_http_resp r;
    get(w, "GET", "/", NULL, &r);
    assert_int_equal(r.status, 303); /* not signed in: the sign-in page */
    expect_header(&r, "Location", "/login");
    tu_http_resp_release(&r);
    get(w, "GET", "/", w->auth, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, INDEX_HTML);
    expect_header(&r, "Content-Type", "text/html; charset=utf-8");
    expect_header(&r, "Cache-Control", "no-store");
    tu_http_resp_release(&r);
}

static void start_without_folder(void **state)
{
    web_env *w = *state;
    rv_api_server *keep = w->srv;
    rv_err err;
    char p[700];
    snprintf(p, sizeof p, "%s/none", w->dir);
    assert_int_equal(start(w, p, &err), RV_EIO);
    char want[900];
    snprintf(want, sizeof want,
             "no dashboard folder at '%s': No such file or directory (build it with 'make web')",
             p);
    assert_string_equal(err.message, want);
    assert_string_equal(err.field, "web");
    /* a folder without index.html */
    snprintf(p, sizeof p, "%s/assets", w->dir);
    assert_int_equal(start(w, p, &err), RV_EIO);
    assert_non_null(strstr(err.message, "index.html"));
    w->srv = keep;
}

/* Without a dashboard, /assets/... is an unknown path and / the plain page. */
static void no_dashboard(void **state)
{
    web_env *w = *state;
    rv_api_stop(w->srv);
    rv_err err;
    if (start(w, NULL, &err))
        fail_msg("rv_api_start: %s", err.message);
    tu_http_resp r;
    get(w, "GET", "/assets/index-Ab12_x.js", w->auth, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "no such path '/assets/index-Ab12_x.js'"));
    tu_http_resp_release(&r);
    get(w, "GET", "/", w->auth, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<h1>revos</h1>"));
    tu_http_resp_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(assets_served, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_and_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(no_traversal, setup, teardown),
        cmocka_unit_test_setup_teardown(symlink_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(home_page, setup, teardown),
        cmocka_unit_test_setup_teardown(start_without_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(no_dashboard, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * http_client.h - a small blocking HTTP/1.1 client for the API tests.
 *
 * Plain sockets over loopback (no libcurl), so a test sees exactly what
 * the server sends: status, headers, body, and whether the connection was
 * kept open.  One tu_http connection may carry many requests (keep-alive);
 * tu_http_send/tu_http_recv split a request from its response so that
 * tests can pipeline.  Every read has a timeout (10 s) so that a server
 * that stops answering fails the test instead of hanging it.
 *
 * Responses are read by Content-Length, chunked encoding, or until the
 * server closes.  Bodies are NUL-terminated for convenience.
 *
 * Ownership: tu_http_resp owns its body and headers; release with
 * tu_http_resp_release().  Not thread-safe per connection; use one
 * connection per thread.
 */
#ifndef RV_TEST_HTTP_CLIENT_H
#define RV_TEST_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tu_http {
    int fd;
    char *buf; /* bytes received but not yet consumed (NUL-terminated) */
    size_t len, cap;
} tu_http;

typedef struct tu_http_resp {
    int status;
    char *headers; /* raw header block, "Name: value\r\n" lines */
    char *body;    /* NUL-terminated */
    size_t body_len;
    bool closed; /* the server closed the connection after this response */
} tu_http_resp;

/* Connect to 127.0.0.1:port.  Returns false (and fd -1) on failure. */
bool tu_http_connect(tu_http *c, int port);
void tu_http_close(tu_http *c);

/* Send one request.  content_type NULL: no Content-Type header; body may
 * be NULL (no body, no Content-Length unless body_len > 0).  extra_headers
 * ("Name: value\r\n"...) may be NULL.  chunked sends the body in chunked
 * transfer encoding instead of with a Content-Length. */
bool tu_http_send(tu_http *c, const char *method, const char *path, const char *content_type,
                  const char *body, size_t body_len, const char *extra_headers, bool chunked);
/* Header lines ("Name: value\r\n"...) sent with every request from now on
 * (the API tests' credentials); NULL or "" for none. */
void tu_http_set_default_headers(const char *headers);

/* Read one response (HEAD requests: pass head=true, no body follows). */
bool tu_http_recv(tu_http *c, tu_http_resp *r, bool head);

/* Send + receive on an open connection. */
bool tu_http_request(tu_http *c, const char *method, const char *path, const char *content_type,
                     const char *body, tu_http_resp *r);
/* Connect, request, close: one-shot convenience. */
bool tu_http_do(int port, const char *method, const char *path, const char *content_type,
                const char *body, tu_http_resp *r);

/* Value of a response header (case-insensitive name) copied into buf;
 * NULL when absent. */
const char *tu_http_header(const tu_http_resp *r, const char *name, char *buf, size_t cap);
void tu_http_resp_release(tu_http_resp *r);

/* Percent-encode s for a query string (spaces, '&', '=', '+', '#', ...);
 * returns buf. */
char *tu_http_urlencode(const char *s, char *buf, size_t cap);

#endif

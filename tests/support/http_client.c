/*
 * http_client.c - a small blocking HTTP/1.1 client (see http_client.h).
 */
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

bool tu_http_connect(tu_http *c, int port)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return false;
    struct timeval tv = {10, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

void tu_http_close(tu_http *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static char default_headers[1024];

void tu_http_set_default_headers(const char *headers)
{
    snprintf(default_headers, sizeof default_headers, "%s", headers ? headers : "");
}

bool tu_http_send(tu_http *c, const char *method, const char *path, const char *content_type,
                  const char *body, size_t body_len, const char *extra_headers, bool chunked)
{
    char head[4096];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, path);
    if (content_type)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\n", content_type);
    if (chunked)
        n += snprintf(head + n, sizeof head - (size_t)n, "Transfer-Encoding: chunked\r\n");
    else if (body || body_len)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", body_len);
    if (extra_headers)
        n += snprintf(head + n, sizeof head - (size_t)n, "%s", extra_headers);
    n += snprintf(head + n, sizeof head - (size_t)n, "%s\r\n", default_headers);
    if (n >= (int)sizeof head || !send_all(c->fd, head, (size_t)n))
        return false;
    if (!chunked)
        return body_len == 0 || send_all(c->fd, body, body_len);
    /* chunks of at most 64 KiB, then the last chunk */
    for (size_t off = 0; off < body_len;) {
        size_t k = body_len - off < 65536 ? body_len - off : 65536;
        char sz[32];
        int m = snprintf(sz, sizeof sz, "%zx\r\n", k);
        if (!send_all(c->fd, sz, (size_t)m) || !send_all(c->fd, body + off, k) ||
            !send_all(c->fd, "\r\n", 2))
            return false;
        off += k;
    }
    return send_all(c->fd, "0\r\n\r\n", 5);
}

/* Make sure at least want bytes are buffered; false on EOF/error/timeout. */
static bool fill(tu_http *c, size_t want, bool *eof)
{
    while (c->len < want) {
        if (c->cap - c->len < 65536) {
            c->cap = c->cap * 2 + 65536;
            c->buf = realloc(c->buf, c->cap + 1);
        }
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (eof)
                *eof = r == 0;
            return false;
        }
        c->len += (size_t)r;
        c->buf[c->len] = '\0'; /* the buffer is always a C string (sscanf) */
    }
    return true;
}

/* Index just past "\r\n" at or after from; 0 if not buffered yet. */
static size_t line_end(tu_http *c, size_t from)
{
    for (size_t i = from; i + 1 < c->len; i++)
        if (c->buf[i] == '\r' && c->buf[i + 1] == '\n')
            return i + 2;
    return 0;
}

static void consume(tu_http *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    c->buf[c->len] = '\0';
}

const char *tu_http_header(const tu_http_resp *r, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *e = strstr(p, "\r\n");
        if (!e)
            break;
        if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(buf, cap, "%.*s", (int)(e - v), v);
            return buf;
        }
        p = e + 2;
    }
    return NULL;
}

bool tu_http_recv(tu_http *c, tu_http_resp *r, bool head)
{
    memset(r, 0, sizeof *r);
    /* header block */
    size_t hend = 0;
    for (;;) {
        const char *p = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (p) {
            hend = (size_t)(p - c->buf) + 4;
            break;
        }
        if (!fill(c, c->len + 1, NULL))
            return false;
    }
    if (sscanf(c->buf, "HTTP/1.%*d %d", &r->status) != 1)
        return false;
    size_t sl = line_end(c, 0);
    r->headers = strndup(c->buf + sl, hend - 2 - sl);
    consume(c, hend);
    char v[128];
    bool close_hdr = tu_http_header(r, "Connection", v, sizeof v) && strcasecmp(v, "close") == 0;
    bool chunked =
        tu_http_header(r, "Transfer-Encoding", v, sizeof v) && strcasecmp(v, "chunked") == 0;
    const char *cl = tu_http_header(r, "Content-Length", v, sizeof v);
    size_t body_cap = 0;
    if (head || r->status == 204 || r->status == 304) {
        r->body = calloc(1, 1);
    } else if (chunked) {
        for (;;) {
            size_t le;
            while (!(le = line_end(c, 0)))
                if (!fill(c, c->len + 1, NULL))
                    return false;
            size_t k = strtoul(c->buf, NULL, 16);
            consume(c, le);
            if (!fill(c, k + 2, NULL))
                return false;
            if (r->body_len + k + 1 > body_cap) {
                body_cap = (r->body_len + k + 1) * 2;
                r->body = realloc(r->body, body_cap);
            }
            memcpy(r->body + r->body_len, c->buf, k);
            r->body_len += k;
            r->body[r->body_len] = '\0';
            consume(c, k + 2);
            if (k == 0)
                break;
        }
        if (!r->body)
            r->body = calloc(1, 1);
    } else if (cl) {
        size_t k = strtoul(cl, NULL, 10);
        if (!fill(c, k, NULL))
            return false;
        r->body = malloc(k + 1);
        memcpy(r->body, c->buf, k);
        r->body[k] = '\0';
        r->body_len = k;
        consume(c, k);
    } else {
        bool eof = false;
        while (fill(c, c->len + 1, &eof))
            ;
        r->body = malloc(c->len + 1);
        memcpy(r->body, c->buf, c->len);
        r->body[c->len] = '\0';
        r->body_len = c->len;
        consume(c, c->len);
        close_hdr = true;
    }
    r->closed = close_hdr;
    return true;
}

bool tu_http_request(tu_http *c, const char *method, const char *path, const char *content_type,
                     const char *body, tu_http_resp *r)
{
    return tu_http_send(c, method, path, content_type, body, body ? strlen(body) : 0, NULL,
                        false) &&
           tu_http_recv(c, r, strcmp(method, "HEAD") == 0);
}

bool tu_http_do(int port, const char *method, const char *path, const char *content_type,
                const char *body, tu_http_resp *r)
{
    tu_http c;
    if (!tu_http_connect(&c, port))
        return false;
    bool ok = tu_http_request(&c, method, path, content_type, body, r);
    tu_http_close(&c);
    return ok;
}

void tu_http_resp_release(tu_http_resp *r)
{
    free(r->headers);
    free(r->body);
    r->headers = r->body = NULL;
}

char *tu_http_urlencode(const char *s, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            buf[o++] = (char)*p;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}

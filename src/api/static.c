/*
 * static.c - the dashboard's built files (web/dist), served by `revos serve`.
 *
 * The dashboard is a small single-page application built by vite into one
 * folder: index.html and assets/NAME-HASH.{js,css,...}.  The server reads
 * that folder once, when it starts, into memory (a few hundred KiB), and
 * answers from memory:
 *
 *   GET /               index.html, for a signed-in user (routes.c, h_home;
 *                       people who are not signed in go to /login)
 *   GET /assets/NAME    the file of that exact name, to anyone: the files
 *                       hold code and styles, never data
 *
 * Why memory and a name table, not the file system at request time: a path
 * from the network is never joined to a directory, so no "..", encoded
 * slash, symlink or NUL byte can reach a file outside the folder; a lookup
 * is a compare over a few names; and a rebuild of the folder while the
 * server runs cannot serve half a file.  Restart the server to pick up a
 * new build.
 *
 * Only regular files directly in assets/ are loaded: subfolders and names
 * starting with '.' are passed over, and a symlink or other special file
 * refuses the whole folder (it would point outside it); at most WEB_MAX_FILES of them and
 * WEB_MAX_BYTES in all.  Their names carry a content hash (vite's default), so they are sent with
 * "Cache-Control: public, max-age=31536000, immutable"; index.html names them and is sent with
 * "no-store" like every API answer, so a new build is seen on the next page load.
 *
 * MHD decodes the path before revos sees it and stops at a decoded NUL, so
 * "/assets/NAME%00.txt" is read as "/assets/NAME": the same public file
 * with its own Content-Type, never another one.
 *
 * Threading: loaded before the worker threads start, read-only after,
 * freed after they are joined (rv_api_stop).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_internal.h"

#define WEB_MAX_FILES 256
#define WEB_MAX_BYTES ((size_t)64 << 20)
#define ASSET_PREFIX "/assets/"

typedef struct web_file {
    char *name; /* "index-Bx1.js": the part after /assets/ */
    const char *type;
    char *data;
    size_t len;
} web_file;

struct rv__web {
    char *dir;
    web_file index; /* index.html */
    web_file *files;
    int nfiles;
    size_t total;
};

/* Content-Type by file extension. */
static const struct {
    const char *ext, *type;
} types[] = {
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".html", "text/html; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

/* Read the regular file dirfd/name (not following a symlink) into f. */
static rv_status read_file(int dirfd, const char *name, const char *shown, web_file *f, size_t room,
                           rv_err *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return rv_err_set(err, RV_EIO, "web", "cannot read '%s': %s", shown, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size > room) {
        close(fd);
        return rv_err_set(err, RV_EINVAL, "web", "'%s' is %s", shown,
                          S_ISREG(st.st_mode) ? "too large for the dashboard folder"
                                              : "not a regular file");
    }
    f->len = (size_t)st.st_size;
    f->data = rv_xmalloc(f->len ? f->len : 1);
    size_t got = 0;
    while (got < f->len) {
        ssize_t n = read(fd, f->data + got, f->len - got);
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            return rv_err_set(err, RV_EIO, "web", "cannot read '%s': %s", shown, strerror(e));
        }
        got += (size_t)n;
    }
    close(fd);
    f->name = rv_xstrdup(name);
    f->type = type_of(name);
    return RV_OK;
}

rv_status rv__web_load(const char *dir, rv__web **out, rv_err *err)
{
    *out = NULL;
    rv__web *w = rv_xcalloc(1, sizeof *w);
    w->dir = rv_xstrdup(dir);
    char shown[4200];
    rv_status st = RV_OK;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        st = rv_err_set(err, RV_EIO, "web",
                        "no dashboard folder at '%s': %s (build it with "
                        "'make web')",
                        dir, strerror(errno));
        goto done;
    }
    snprintf(shown, sizeof shown, "%s/index.html", dir);
    if ((st = read_file(dfd, "index.html", shown, &w->index, WEB_MAX_BYTES, err)))
        goto done;
    w->total = w->index.len;
    int afd = openat(dfd, "assets", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = afd >= 0 ? fdopendir(afd) : NULL;
    if (!d) {
        if (afd >= 0)
            close(afd);
        goto done; /* an index.html alone is a dashboard too */
    }
    struct dirent *de;
    while (!st && (de = readdir(d))) {
        struct stat ds;
        if (de->d_name[0] == '.' ||
            (fstatat(afd, de->d_name, &ds, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(ds.st_mode)))
            continue; /* hidden files and subfolders are not part of a build */
        if (w->nfiles == WEB_MAX_FILES) {
            st = rv_err_set(err, RV_EINVAL, "web", "'%s/assets' has more than %d files", dir,
                            WEB_MAX_FILES);
            break;
        }
        if (w->nfiles == 0)
            w->files = rv_xcalloc(WEB_MAX_FILES, sizeof *w->files);
        snprintf(shown, sizeof shown, "%s/assets/%s", dir, de->d_name);
        web_file *f = &w->files[w->nfiles];
        if ((st = read_file(afd, de->d_name, shown, f, WEB_MAX_BYTES - w->total, err))) {
            free(f->data);
            break;
        }
        w->nfiles++;
        w->total += f->len;
    }
    closedir(d);
done:
    if (dfd >= 0)
        close(dfd);
    if (st) {
        rv__web_free(w);
        return st;
    }
    *out = w;
    return RV_OK;
}

void rv__web_free(rv__web *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->nfiles; i++) {
        free(w->files[i].name);
        free(w->files[i].data);
    }
    free(w->files);
    free(w->index.name);
    free(w->index.data);
    free(w->dir);
    free(w);
}

int rv__web_count(const rv__web *w)
{
    return w ? w->nfiles + 1 : 0;
}

rv_status rv__web_index(const rv__web *w, rv_buf *out)
{
    return rv_buf_append(out, w->index.data, w->index.len);
}

bool rv__web_claims(const char *path)
{
    return !strncmp(path, ASSET_PREFIX, sizeof ASSET_PREFIX - 1);
}

/* A small JSON error answered by MHD from a copy of text. */
static enum MHD_Result answer_error(struct MHD_Connection *conn, unsigned status, const char *text,
                                    const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result rv__web_answer(const rv__web *w, struct MHD_Connection *conn, const char *method,
                               const char *path)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer_error(conn, 405,
                            "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"the "
                            "dashboard's files are read with GET\",\"field\":null}}",
                            "GET, HEAD");
    const char *name = path + sizeof ASSET_PREFIX - 1;
    const web_file *f = NULL;
    for (int i = 0; i < w->nfiles && !f; i++)
        if (!strcmp(w->files[i].name, name))
            f = &w->files[i];
    if (!f) {
        /* the name is not echoed: it came from the network and may be anything */
        return answer_error(conn, 404,
                            "{\"error\":{\"code\":\"not_found\",\"message\":\"no such file of "
                            "the dashboard (it may be from an older build: reload the page)\","
                            "\"field\":null}}",
                            NULL);
    }
    /* the data lives until rv_api_stop, after MHD has stopped */
    struct MHD_Response *r =
        MHD_create_response_from_buffer(f->len, f->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
    MHD_add_response_header(r, "Cache-Control", "public, max-age=31536000, immutable");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/*
 * output.c - replacing an output file atomically: the data goes to a
 * temporary file beside it, is flushed to disk, and is renamed over the old
 * file, so a reader sees the old file or the new one, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* The temporary file being written, for relmap_remove_pending_output(),
 * which a signal handler may call: a fixed buffer and a flag, no malloc. */
static char pending[4096];
static volatile sig_atomic_t pending_set;

void relmap_remove_pending_output(void)
{
    if (pending_set) {
        unlink(pending);
        pending_set = 0;
    }
}

static void track(const char *tmp)
{
    size_t n = strlen(tmp);
    if (n < sizeof pending) {
        memcpy(pending, tmp, n + 1);
        pending_set = 1;
    }
}

/* mkdir -p of the folder that holds `path` */
static int make_parents(const char *path, relmap_error *err)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                rc = seterr(err, RELMAP_EIO, dir, 0, 0, "cannot create folder: %s", strerror(errno));
                break;
            }
            *p = '/';
        }
        if (!rc && mkdir(dir, 0777) != 0 && errno != EEXIST)
            rc = seterr(err, RELMAP_EIO, dir, 0, 0, "cannot create folder: %s", strerror(errno));
    }
    free(dir);
    return rc;
}

struct atomic_file {
    char *path, *tmp;
    int fd;
    int error; /* the first errno of a write, or 0 */
};

atomic_file *atomic_open(const char *path, relmap_error *err)
{
    if (make_parents(path, err) < 0)
        return NULL;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        seterr(err, RELMAP_EIO, path, 0, 0, "is a folder, not a file");
        return NULL;
    }
    strbuf tmp = {0};
    const char *slash = strrchr(path, '/');
    if (slash)
        sb_addf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
    else
        sb_addf(&tmp, ".%s.XXXXXX", path);
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        int saved = errno;
        sb_free(&tmp);
        seterr(err, RELMAP_EIO, path, 0, 0, "cannot write: %s", strerror(saved));
        return NULL;
    }
    track(tmp.data);
    atomic_file *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    f->tmp = sb_detach(&tmp);
    f->fd = fd;
    return f;
}

void atomic_write(atomic_file *f, const void *data, size_t length)
{
    const char *p = data;
    while (length > 0 && !f->error) {
        ssize_t n = write(f->fd, p, length);
        if (n < 0) {
            if (errno != EINTR)
                f->error = errno;
            continue;
        }
        p += n;
        length -= (size_t)n;
    }
}

static void atomic_free(atomic_file *f)
{
    free(f->path);
    free(f->tmp);
    free(f);
}

void atomic_abort(atomic_file *f)
{
    if (!f)
        return;
    close(f->fd);
    unlink(f->tmp);
    pending_set = 0;
    atomic_free(f);
}

int atomic_commit(atomic_file *f, relmap_error *err)
{
    int saved = f->error;
    if (!saved && fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS)
        saved = errno;
    if (close(f->fd) != 0 && !saved)
        saved = errno;
    /* the file is readable like any other the user creates */
    mode_t mask = umask(0);
    umask(mask);
    if (!saved && chmod(f->tmp, 0666 & ~mask) != 0)
        saved = errno;
    if (!saved && rename(f->tmp, f->path) != 0)
        saved = errno;
    pending_set = 0;
    int rc = 0;
    if (saved) {
        unlink(f->tmp);
        rc = seterr(err, RELMAP_EIO, f->path, 0, 0, "cannot write: %s", strerror(saved));
    }
    atomic_free(f);
    return rc;
}

int relmap_write_file_atomic(const char *path, const char *data, size_t length,
                             relmap_error *err)
{
    atomic_file *f = atomic_open(path, err);
    if (!f)
        return RELMAP_EIO;
    atomic_write(f, data, length);
    return atomic_commit(f, err);
}

/*
 * corpus.c - the documents of a corpus, one at a time.
 *
 * Paths are visited in the order given; a folder is walked recursively with
 * its entries in byte order of their names, so that the same tree always
 * gives the same stream. Only one document is held in memory at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

typedef struct pending {
    char *path;
    int named; /* named on the command line: read whatever its name */
} pending;

typedef struct visited {
    dev_t dev;
    ino_t ino;
} visited;

struct relmap_corpus {
    pending *stack; /* popped from the end */
    size_t depth, cap;
    char *glob;
    visited *dirs;
    size_t ndirs, dirs_cap;
    char *text;
    char *name;
};

static void push(relmap_corpus *c, const char *path, int named)
{
    XGROW(c->stack, c->cap, c->depth + 1);
    c->stack[c->depth++] = (pending){xstrdup(path), named};
}

int relmap_corpus_open(relmap_corpus **out, const char *const *paths, size_t npaths,
                       const char *glob, relmap_error *err)
{
    relmap_corpus *c = xcalloc(1, sizeof *c);
    c->glob = xstrdup(glob ? glob : "*.txt");
    for (size_t i = npaths; i-- > 0;)
        push(c, paths[i], 1);
    relmap_error_clear(err);
    *out = c;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Push a folder's entries so that they pop in byte order of their names. */
static int expand_dir(relmap_corpus *c, const char *path, const struct stat *st,
                      relmap_error *err)
{
    for (size_t i = 0; i < c->ndirs; i++)
        if (c->dirs[i].dev == st->st_dev && c->dirs[i].ino == st->st_ino)
            return 0; /* seen already: a link loop or a folder named twice */
    XGROW(c->dirs, c->dirs_cap, c->ndirs + 1);
    c->dirs[c->ndirs++] = (visited){st->st_dev, st->st_ino};
    DIR *d = opendir(path);
    if (!d)
        return seterr(err, RELMAP_EIO, path, 0, 0, "cannot open folder: %s", strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue; /* ".", "..", hidden files and our own temporaries */
        XGROW(names, cap, n + 1);
        names[n++] = xstrdup(ent->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, name_cmp);
    size_t plen = strlen(path);
    int slash = plen > 0 && path[plen - 1] == '/';
    for (size_t i = n; i-- > 0;) {
        strbuf sb = {0};
        sb_addf(&sb, "%s%s%s", path, slash ? "" : "/", names[i]);
        push(c, sb.data, 0);
        sb_free(&sb);
        free(names[i]);
    }
    free(names);
    return 0;
}

static int read_stream(FILE *f, char **out, size_t *length)
{
    strbuf sb = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_add(&sb, chunk, n);
    if (ferror(f)) {
        sb_free(&sb);
        return -1;
    }
    *length = sb.length;
    *out = sb_detach(&sb);
    return 0;
}

int relmap_corpus_next(relmap_corpus *c, relmap_document *doc, relmap_error *err)
{
    free(c->text);
    free(c->name);
    c->text = c->name = NULL;
    while (c->depth > 0) {
        pending p = c->stack[--c->depth];
        size_t length = 0;
        if (p.named && strcmp(p.path, "-") == 0) {
            if (read_stream(stdin, &c->text, &length) != 0) {
                free(p.path);
                return seterr(err, RELMAP_EIO, "-", 0, 0, "cannot read standard input");
            }
        } else {
            struct stat st;
            if (stat(p.path, &st) != 0) {
                int rc = seterr(err, RELMAP_EIO, p.path, 0, 0, "%s", strerror(errno));
                free(p.path);
                return rc;
            }
            if (S_ISDIR(st.st_mode)) {
                int rc = expand_dir(c, p.path, &st, err);
                free(p.path);
                if (rc < 0)
                    return rc;
                continue;
            }
            if (!p.named) {
                const char *base = strrchr(p.path, '/');
                base = base ? base + 1 : p.path;
                if (!S_ISREG(st.st_mode) || fnmatch(c->glob, base, 0) != 0) {
                    free(p.path);
                    continue;
                }
            }
            int rc = read_file(p.path, &c->text, &length, err);
            if (rc < 0) {
                free(p.path);
                return rc;
            }
        }
        if (memchr(c->text, '\0', length)) {
            int rc = seterr(err, RELMAP_EINPUT, p.path, 0, 0,
                            "skipped: a binary file (it holds NUL bytes)");
            free(p.path);
            free(c->text);
            c->text = NULL;
            return rc;
        }
        c->name = p.path;
        doc->name = c->name;
        doc->text = c->text;
        doc->length = length;
        return 1;
    }
    return 0;
}

void relmap_corpus_free(relmap_corpus *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->depth; i++)
        free(c->stack[i].path);
    free(c->stack);
    free(c->glob);
    free(c->dirs);
    free(c->text);
    free(c->name);
    free(c);
}

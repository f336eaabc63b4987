/*
 * corpus.c - the documents of a corpus, one at a time.
 *
 * Paths are visited in the order given; a folder is walked recursively with
 * its entries in byte order of their names, so that the same tree always
 * gives the same stream. Only one document is held in memory at a time.
 */
#define _DEFAULT_SOURCE /* glibc: d_type and DT_REG in struct dirent */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "corpus.h"

typedef struct pending {
    char *path;
    int named;   /* named on the command line: read whatever its name */
    int file;    /* its folder listed it as a regular file that the glob takes */
    size_t base; /* listed by a folder: where its name begins in path */
} pending;

typedef struct visited {
    dev_t dev;
    ino_t ino;
} visited;

struct relmap_corpus {
    pending *stack; /* popped from the end */
    size_t depth, cap;
    char *glob;
    /* a glob that is '*' and a plain suffix ("*.txt"): the suffix, which a
     * name is then compared with as fnmatch would, without its cost */
    const char *glob_suffix;
    size_t glob_suffix_length;
    visited *dirs;
    size_t ndirs, dirs_cap;
    char *text;      /* the current document, in a buffer kept for the next */
    size_t text_cap; /* its size */
    corpus_folder folder; /* the folder of the last file read */
    char *name;
};

/* Push a path the corpus now owns (base: as pending.base). */
static void push_owned(relmap_corpus *c, char *path, int named, int file, size_t base)
{
    XGROW(c->stack, c->cap, c->depth + 1);
    c->stack[c->depth++] = (pending){path, named, file, base};
}

static void push(relmap_corpus *c, const char *path, int named, int file)
{
    push_owned(c, xstrdup(path), named, file, 0);
}

/* Does the glob take a file of this name? */
static int glob_takes(const relmap_corpus *c, const char *name)
{
    if (c->glob_suffix) {
        size_t n = strlen(name);
        return n >= c->glob_suffix_length
               && !memcmp(name + n - c->glob_suffix_length, c->glob_suffix,
                          c->glob_suffix_length);
    }
    return fnmatch(c->glob, name, 0) == 0;
}

int relmap_corpus_open(relmap_corpus **out, const char *const *paths, size_t npaths,
                       const char *glob, relmap_error *err)
{
    relmap_corpus *c = xcalloc(1, sizeof *c);
    c->folder = CORPUS_FOLDER_NONE;
    c->glob = xstrdup(glob ? glob : "*.txt");
    if (c->glob[0] == '*' && !strpbrk(c->glob + 1, "*?[\\")) {
        c->glob_suffix = c->glob + 1;
        c->glob_suffix_length = strlen(c->glob_suffix);
    }
    for (size_t i = npaths; i-- > 0;)
        push(c, paths[i], 1, 0);
    relmap_error_clear(err);
    *out = c;
    return 0;
}

/* An entry of a folder: its name (in the listing's `names`, at `at`; `name`
 * once the listing is complete), and whether it is a regular file that the
 * glob takes, as the folder's listing says (then no stat is needed). */
typedef struct entry {
    size_t at, length;
    const char *name;
    int file;
} entry;

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
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
    /* the names in one buffer: a corpus of one small document a file has
     * thousands a folder */
    entry *entries = NULL;
    strbuf names = {0};
    size_t n = 0, cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue; /* ".", "..", hidden files and our own temporaries */
        /* a regular file the glob does not take is no document; one it
         * takes is read without a stat of its own (a corpus of one small
         * document a file pays a system call or two a file) */
#ifdef DT_REG
        int file = ent->d_type == DT_REG;
#else
        int file = 0;
#endif
        if (file && !glob_takes(c, ent->d_name))
            continue;
        XGROW(entries, cap, n + 1);
        size_t length = strlen(ent->d_name);
        entries[n++] = (entry){names.length, length, NULL, file};
        sb_add(&names, ent->d_name, length + 1); /* with its NUL */
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) /* the buffer moves no more */
        entries[i].name = names.data + entries[i].at;
    if (n)
        qsort(entries, n, sizeof *entries, entry_cmp);
    size_t plen = strlen(path);
    int slash = plen > 0 && path[plen - 1] == '/';
    for (size_t i = n; i-- > 0;) {
        /* path, '/' unless it ends so, name, NUL */
        char *full = xmalloc(plen + 1 + entries[i].length + 1), *end = full + plen;
        memcpy(full, path, plen);
        if (!slash)
            *end++ = '/';
        memcpy(end, entries[i].name, entries[i].length + 1);
        push_owned(c, full, 0, entries[i].file, (size_t)(end - full));
    }
    free(entries);
    sb_free(&names);
    return 0;
}

/* Length of the valid UTF-8 sequence at p, or 0 when the byte starts none
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_valid(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n || n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90)
        || (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

/* The first NUL byte or byte that begins no valid UTF-8 sequence: what the
 * reader must turn away or repair, in most texts nothing. Sixteen ASCII
 * bytes other than NUL at a time (SSE2, every x86-64), or eight: most text
 * is ASCII. */
#ifdef __SSE2__
/* The 16 bytes at p, bit 7 set in each that is NUL or beyond ASCII. */
static inline __m128i suspect16(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    return _mm_or_si128(v, _mm_cmpeq_epi8(v, _mm_setzero_si128()));
}
#endif

/* The walk from i, where a character begins, on while it is before `to`
 * (p holds n bytes: a sequence that begins before `to` is read whole): the
 * first suspect byte, *found set; or where the walk stopped, at `to` or a
 * few bytes past it, where it may go on when more bytes are there. */
static size_t walk_suspects(const unsigned char *p, size_t n, size_t i, size_t to, int *found)
{
    while (i < to) {
#ifdef __SSE2__
        if (n - i >= 64) { /* four blocks, one test */
            __m128i any = _mm_or_si128(_mm_or_si128(suspect16(p + i), suspect16(p + i + 16)),
                                       _mm_or_si128(suspect16(p + i + 32), suspect16(p + i + 48)));
            if (!_mm_movemask_epi8(any)) {
                i += 64;
                continue;
            }
        }
        if (n - i >= 16 && !_mm_movemask_epi8(suspect16(p + i))) {
            i += 16;
            continue;
        }
#endif
        uint64_t word;
        /* no byte >= 0x80, and none zero (bit 7 of (x - 0x01..) & ~x) */
        if (n - i >= 8 && (memcpy(&word, p + i, 8),
                           !((word | ((word - 0x0101010101010101ULL) & ~word))
                             & 0x8080808080808080ULL))) {
            i += 8;
            continue;
        }
        size_t k = p[i] ? utf8_valid(p + i, n - i) : 0;
        if (!k) {
            *found = 1;
            return i;
        }
        i += k;
    }
    return i;
}

/* The first suspect byte of p's n, or n. */
static size_t first_suspect(const unsigned char *p, size_t n)
{
    int found = 0;
    size_t i = walk_suspects(p, n, 0, n, &found);
    return found ? i : n;
}

/* The same walk over a file as it is read, a chunk at a time while the
 * bytes just read are in the nearest caches (read_file_chunked): a pass of
 * its own over a document of megabytes would read them all back from
 * memory. */
typedef struct suspect_walk {
    size_t at; /* where the walk goes on, or the suspect byte when found */
    int found;
} suspect_walk;

static void walk_chunk(const char *data, size_t now, int at_end, void *context)
{
    suspect_walk *w = context;
    /* a sequence begun in the last three bytes may end in the next read */
    size_t to = at_end ? now : now > 3 ? now - 3 : 0;
    if (!w->found && w->at < to)
        w->at = walk_suspects((const unsigned char *)data, now, w->at, to, &w->found);
}

/* Replace each invalid byte by U+FFFD, the first at `i` (first_suspect);
 * returns how many, and where the first was. */
static size_t repair_utf8(char **text, size_t *length, size_t *first, size_t i)
{
    const unsigned char *p = (const unsigned char *)*text;
    size_t n = *length, bad = 0;
    if (i == n)
        return 0;
    *first = i;
    strbuf sb = {0};
    sb_add(&sb, *text, i);
    while (i < n) {
        size_t k = utf8_valid(p + i, n - i);
        if (k) {
            sb_add(&sb, (const char *)p + i, k);
            i += k;
        } else {
            sb_add(&sb, "\xEF\xBF\xBD", 3);
            bad++;
            i++;
        }
    }
    free(*text);
    *length = sb.length;
    *text = sb_detach(&sb);
    return bad;
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

int corpus_next_entry(relmap_corpus *c, corpus_entry *found, relmap_error *err)
{
    while (c->depth > 0) {
        pending p = c->stack[--c->depth];
        if (p.named && strcmp(p.path, "-") == 0) {
            *found = (corpus_entry){p.path, 1, 0, 0};
            return 1;
        }
        int regular = p.file;
        if (!p.file) {
            struct stat st;
            if (stat(p.path, &st) != 0) {
                int saved = errno;
                struct stat link;
                /* inside a folder, a link that leads nowhere is skipped with a warning */
                int bad_link = !p.named && lstat(p.path, &link) == 0 && S_ISLNK(link.st_mode);
                int rc = bad_link ? seterr(err, RELMAP_EINPUT, p.path, 0, 0,
                                           "skipped: a symbolic link %s",
                                           saved == ELOOP ? "loop" : "that leads nowhere")
                                  : seterr(err, RELMAP_EIO, p.path, 0, 0, "%s", strerror(saved));
                free(p.path);
                return rc;
            }
            /* (a pseudo-file of /proc, whose size is 0, is read to a read
             * of nothing, like a pipe) */
            regular = S_ISREG(st.st_mode) && st.st_size > 0;
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
                if (!S_ISREG(st.st_mode) || !glob_takes(c, base)) {
                    free(p.path);
                    continue;
                }
            }
        }
        *found = (corpus_entry){p.path, 0, regular, p.base};
        return 1;
    }
    return 0;
}

void corpus_folder_close(corpus_folder *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    *f = CORPUS_FOLDER_NONE;
}

/* The descriptor of the folder of e (opened now unless it was the last
 * one's), or AT_FDCWD when e was no folder's or the folder cannot be opened:
 * then *name is the whole path, else the name in the folder. */
static int folder_of(const corpus_entry *e, corpus_folder *f, const char **name)
{
    *name = e->path;
    if (!e->base)
        return AT_FDCWD;
    if (f->fd < 0 || f->length != e->base || memcmp(f->path, e->path, e->base) != 0) {
        corpus_folder_close(f);
        f->path = xstrndup(e->path, e->base);
        f->length = e->base;
        f->fd = open(f->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f->fd < 0)
            return AT_FDCWD;
    }
    *name = e->path + e->base;
    return f->fd;
}

int corpus_read_entry(const corpus_entry *e, corpus_folder *folder, char **buffer,
                      size_t *capacity, relmap_document *doc, relmap_error *err)
{
    size_t length = 0, suspect;
    if (e->is_stdin) {
        free(*buffer);
        *buffer = NULL;
        *capacity = 0;
        if (read_stream(stdin, buffer, &length) != 0)
            return seterr(err, RELMAP_EIO, "-", 0, 0, "cannot read standard input");
        *capacity = length + 1; /* at least */
        suspect = first_suspect((const unsigned char *)*buffer, length);
    } else {
        suspect_walk walk = {0, 0};
        const char *name;
        int at = folder_of(e, folder, &name);
        int rc = read_file_chunked(e->path, at, name, e->regular, buffer, capacity, &length,
                                   walk_chunk, &walk, err);
        if (rc < 0)
            return rc;
        suspect = walk.found ? walk.at : length;
    }
    if (suspect < length && memchr(*buffer + suspect, '\0', length - suspect))
        return seterr(err, RELMAP_EINPUT, e->path, 0, 0,
                      "skipped: a binary file (it holds NUL bytes)");
    doc->invalid_bytes =
        suspect < length ? repair_utf8(buffer, &length, &doc->first_invalid, suspect) : 0;
    if (doc->invalid_bytes) /* repaired into a new buffer of at least this size */
        *capacity = length + 1;
    else
        doc->first_invalid = 0;
    /* a byte-order mark is no text */
    size_t bom = length >= 3 && !memcmp(*buffer, "\xEF\xBB\xBF", 3) ? 3 : 0;
    doc->name = e->path;
    doc->text = *buffer + bom;
    doc->length = length - bom;
    return 1;
}

void corpus_entry_free(corpus_entry *e)
{
    free(e->path);
    e->path = NULL;
}

int relmap_corpus_next(relmap_corpus *c, relmap_document *doc, relmap_error *err)
{
    free(c->name);
    c->name = NULL;
    corpus_entry e;
    int rc = corpus_next_entry(c, &e, err);
    if (rc <= 0)
        return rc;
    rc = corpus_read_entry(&e, &c->folder, &c->text, &c->text_cap, doc, err);
    if (rc < 0) {
        corpus_entry_free(&e);
        return rc;
    }
    c->name = e.path; /* doc->name, until the next call */
    return 1;
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
    corpus_folder_close(&c->folder);
    free(c->name);
    free(c);
}

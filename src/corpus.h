/*
 * corpus.h - a corpus in two steps, for readers on other threads: finding
 * the next document (walking folders, in order, on one thread) and reading
 * it (on any thread, into the reader's own buffer).
 */
#ifndef RELMAP_CORPUS_H
#define RELMAP_CORPUS_H

#include "util.h"

/* A document found and not yet read. */
typedef struct corpus_entry {
    char *path;    /* owned by the entry: corpus_entry_free */
    int is_stdin; /* "-": standard input */
    int regular;  /* a regular file, as its folder's listing or a stat said
                     (with a size): a read that returns less than it asked
                     for is its end */
    size_t base;  /* listed by a folder: the length of path's folder part
                     (with its '/'), where the name begins; else 0 */
} corpus_entry;

/* The folder a reader opened last, whose files it opens relative to it
 * (openat), so that the kernel does not walk the path's first components
 * again for each file: one a thread (workers keep descriptor tables of
 * their own, parallel.c). */
typedef struct corpus_folder {
    char *path;    /* as the entries' paths begin, with its '/' */
    size_t length;
    int fd;        /* -1: none open */
} corpus_folder;
#define CORPUS_FOLDER_NONE ((corpus_folder){NULL, 0, -1})
void corpus_folder_close(corpus_folder *folder);

/* The next document of the corpus: 1 and *entry, 0 at the end, or a
 * negative code for one path that cannot be a document (err says why; the
 * stream goes on), as relmap_corpus_next. */
int corpus_next_entry(relmap_corpus *c, corpus_entry *found, relmap_error *err);

/* Read an entry into *buffer (of *capacity bytes, grown or replaced as
 * needed, kept by the caller for the next entry) and describe it in *doc,
 * whose name is the entry's path: 1, or a negative code (a binary file,
 * RELMAP_EINPUT, is skipped with a warning; others are errors). Touches no
 * corpus, so that threads may read at once. */
int corpus_read_entry(const corpus_entry *e, corpus_folder *folder, char **buffer,
                      size_t *capacity, relmap_document *doc, relmap_error *err);

void corpus_entry_free(corpus_entry *e);

#endif

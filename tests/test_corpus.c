/* The corpus reader: the order of documents, and each document's text exact
 * while one buffer serves them all (long, then short, then repaired). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relmap.h"
#include "check_main.h"
#include "util.h" /* READ_CHUNK, xrealloc_large */

static char folder[] = "/tmp/relmap-corpus-XXXXXX";

static void write_file(const char *name, const char *text, size_t length)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, length, f), length);
    fclose(f);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

/* The folder and all it holds (files, FIFOs, folders). */
static void remove_folder(void)
{
    nftw(folder, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    /* the template again, for the next test in the same process (CK_FORK=no) */
    memcpy(folder + sizeof folder - 7, "XXXXXX", 6);
}

/* The next document, which must be `name` (the base name) with `text`. */
static void expect_document(relmap_corpus *c, const char *name, const char *text, size_t length,
                            size_t invalid)
{
    relmap_document doc;
    relmap_error err;
    ck_assert_int_eq(relmap_corpus_next(c, &doc, &err), 1);
    const char *base = strrchr(doc.name, '/');
    ck_assert_str_eq(base ? base + 1 : doc.name, name);
    ck_assert_uint_eq(doc.length, length);
    ck_assert(memcmp(doc.text, text, length) == 0);
    ck_assert_int_eq(doc.text[length], '\0');
    ck_assert_uint_eq(doc.invalid_bytes, invalid);
}

/* No document after the last one expected: the corpus freed, the folder
 * removed. */
static void expect_end(relmap_corpus *c)
{
    relmap_document doc;
    relmap_error err;
    ck_assert_int_eq(relmap_corpus_next(c, &doc, &err), 0);
    relmap_corpus_free(c);
    remove_folder();
}

/* The folder as a corpus. */
static relmap_corpus *corpus_of_folder(void)
{
    relmap_corpus *c;
    relmap_error err;
    const char *paths[] = {folder};
    ck_assert_int_eq(relmap_corpus_open(&c, paths, 1, NULL, &err), 0);
    return c;
}

/* The folder holding only `name` (written with `text`), opened. */
static relmap_corpus *corpus_of_one(const char *name, const char *text, size_t length)
{
    write_file(name, text, length);
    return corpus_of_folder();
}

START_TEST(documents_in_name_order_each_exact_in_a_reused_buffer)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    /* a long document, then shorter ones: nothing of an earlier one shows */
    size_t long_length = 300000;
    char *long_text = malloc(long_length);
    for (size_t i = 0; i < long_length; i++)
        long_text[i] = "China accused the U.S. of hacking. "[i % 35];
    write_file("a.txt", long_text, long_length);
    write_file("b.txt", "Short.", 6);
    write_file("c.txt", "Bad \xff byte.", 11);
    write_file("d.txt", "has\0nul", 7);
    write_file("e.txt", "\xEF\xBB\xBFLast one.", 12);
    write_file("skip.md", "not text", 8);

    relmap_corpus *c;
    relmap_error err;
    const char *paths[] = {folder};
    ck_assert_int_eq(relmap_corpus_open(&c, paths, 1, NULL, &err), 0);
    expect_document(c, "a.txt", long_text, long_length, 0);
    expect_document(c, "b.txt", "Short.", 6, 0);
    expect_document(c, "c.txt", "Bad \xEF\xBF\xBD byte.", 13, 1);
    /* a file with a NUL byte is an error of its own; the stream goes on */
    relmap_document doc;
    ck_assert_int_eq(relmap_corpus_next(c, &doc, &err), RELMAP_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "NUL"));
    expect_document(c, "e.txt", "Last one.", 9, 0);
    ck_assert_int_eq(relmap_corpus_next(c, &doc, &err), 0);
    relmap_corpus_free(c);
    free(long_text);
    remove_folder();
}
END_TEST

START_TEST(a_path_that_cannot_be_read_is_an_error_and_the_stream_goes_on)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    write_file("a.txt", "One.", 4);
    char missing[600], present[600];
    snprintf(missing, sizeof missing, "%s/none.txt", folder);
    snprintf(present, sizeof present, "%s/a.txt", folder);
    const char *paths[] = {missing, present};
    relmap_corpus *c;
    relmap_error err;
    ck_assert_int_eq(relmap_corpus_open(&c, paths, 2, NULL, &err), 0);
    relmap_document doc;
    ck_assert_int_eq(relmap_corpus_next(c, &doc, &err), RELMAP_EIO);
    ck_assert_str_eq(err.file, missing);
    expect_document(c, "a.txt", "One.", 4, 0);
    ck_assert_int_eq(relmap_corpus_next(c, &doc, &err), 0);
    relmap_corpus_free(c);
    remove_folder();
}
END_TEST

/* Files are opened relative to their folder, the last one a reader opened
 * kept for the next file: folders of the same length and files of the same
 * name in each, nested and side by side, give each file's own text. */
START_TEST(files_of_one_name_in_several_folders_are_each_their_own)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    const char *dirs[] = {"a", "b", "a/c"};
    char path[600];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", folder, dirs[i]);
        ck_assert_int_eq(mkdir(path, 0700), 0);
    }
    write_file("a/x.txt", "In a.", 5);
    write_file("b/x.txt", "In b.", 5);
    write_file("a/c/x.txt", "In a/c.", 7);
    write_file("a/y.txt", "Also in a.", 10);
    relmap_corpus *c = corpus_of_folder();
    /* in byte order of the names at each level: a/c/x, a/x, a/y, b/x */
    expect_document(c, "x.txt", "In a/c.", 7, 0);
    expect_document(c, "x.txt", "In a.", 5, 0);
    expect_document(c, "y.txt", "Also in a.", 10, 0);
    expect_document(c, "x.txt", "In b.", 5, 0);
    expect_end(c);
}
END_TEST

/* A file read to the end of a read that returns less than it asked for:
 * the end of a regular file, but not of a pipe, whose writer may not have
 * written the rest yet. A FIFO named on the command line, written in two
 * parts with a pause between, is read whole; so is the same text in a
 * regular file inside a folder. */
START_TEST(a_pipe_is_read_to_its_end_past_a_short_read)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    write_file("a.txt", "China accused the U.S. of hacking.\n", 35);
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/b.txt", folder);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pid_t writer = fork();
    ck_assert_int_ge(writer, 0);
    if (writer == 0) {
        int fd = open(fifo, O_WRONLY);
        if (fd < 0 || write(fd, "China accused ", 14) != 14)
            _exit(1);
        struct timespec pause = {0, 100000000}; /* the reader's first read is back by then */
        nanosleep(&pause, NULL);
        if (write(fd, "the U.S. of hacking.\n", 21) != 21)
            _exit(1);
        close(fd);
        _exit(0);
    }
    const char *paths[] = {fifo, folder};
    relmap_corpus *c;
    relmap_error err;
    ck_assert_int_eq(relmap_corpus_open(&c, paths, 2, NULL, &err), 0);
    expect_document(c, "b.txt", "China accused the U.S. of hacking.\n", 35, 0);
    int status;
    ck_assert_int_eq(waitpid(writer, &status, 0), writer);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the folder: its regular file whole, and the FIFO in it no document */
    expect_document(c, "a.txt", "China accused the U.S. of hacking.\n", 35, 0);
    expect_end(c);
}
END_TEST

/* The reader's one look for NUL bytes and invalid UTF-8 goes sixty-four,
 * sixteen or eight bytes at a time: at every place around those blocks,
 * after ASCII or after a valid sequence, a NUL turns the file away (even
 * after an invalid byte) and an invalid byte is repaired where it stands. */
START_TEST(a_nul_or_an_invalid_byte_is_found_wherever_it_stands)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    char text[192], want[208];
    for (size_t at = 0; at < 160; at++) {
        for (int lead = 0; lead < 2; lead++) {
            /* ASCII, or a curly quote (3 bytes) first, up to `at` */
            memset(text, 'a', sizeof text);
            if (lead && at >= 3)
                memcpy(text, "\xE2\x80\x9C", 3);
            for (int kind = 0; kind < 3; kind++) {
                /* 0: NUL at `at`; 1: an invalid byte there; 2: both, the
                 * invalid byte first and a NUL later */
                char t[sizeof text];
                memcpy(t, text, sizeof t);
                size_t n = at + 20;
                t[at] = kind == 1 || kind == 2 ? '\xFF' : '\0';
                if (kind == 2)
                    t[at + 17] = '\0';
                relmap_corpus *c = corpus_of_one("a.txt", t, n);
                relmap_error err;
                relmap_document doc;
                if (kind != 1) {
                    ck_assert_msg(relmap_corpus_next(c, &doc, &err) == RELMAP_EINPUT,
                                  "at %zu lead %d kind %d: no NUL found", at, lead, kind);
                    ck_assert_ptr_nonnull(strstr(err.message, "NUL"));
                } else {
                    memcpy(want, t, at);
                    memcpy(want + at, "\xEF\xBF\xBD", 3);
                    memcpy(want + at + 3, t + at + 1, n - at - 1);
                    expect_document(c, "a.txt", want, n + 2, 1);
                }
                relmap_corpus_free(c);
            }
        }
    }
    remove_folder();
}
END_TEST

/* A file is read READ_CHUNK bytes at a time, and the look for NUL bytes and
 * invalid UTF-8 goes on chunk by chunk: a sequence cut by a chunk's end is
 * read whole in the next; a NUL or an invalid byte on either side of the
 * cut, or a sequence that the cut leaves unfinished for good, is found
 * where it stands, as a whole-file look finds it. */
START_TEST(the_look_for_bad_bytes_goes_on_across_the_reads)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    const size_t n = 2 * (size_t)READ_CHUNK + 100;
    char *t = malloc(n), *want = malloc(n + 8);
    static const char *const valid[] = {"\xC3\xA9", "\xE2\x80\x9C", "\xF0\x9F\x98\x80"};
    /* around the ends of the first two reads, and at the end of the file */
    const size_t cuts[] = {READ_CHUNK, 2 * (size_t)READ_CHUNK, n};
    for (size_t ci = 0; ci < 3; ci++) {
        size_t cut = cuts[ci];
        for (size_t at = cut - 5; at <= cut + 1 && at < n; at++) {
            /* 0-2: a valid sequence of 2, 3 or 4 bytes at `at`; 3: a NUL
             * there; 4: an invalid byte; 5: the first two bytes of a
             * sequence of three, then ASCII (or the file's end) */
            for (int kind = 0; kind < 6; kind++) {
                memset(t, 'a', n);
                size_t len = kind < 3 ? strlen(valid[kind]) : kind == 5 ? 2 : 1;
                if (at + len > n)
                    continue;
                if (kind < 3)
                    memcpy(t + at, valid[kind], len);
                else if (kind == 3)
                    t[at] = '\0';
                else if (kind == 4)
                    t[at] = '\xFF';
                else
                    memcpy(t + at, "\xE2\x80", 2);
                relmap_corpus *c = corpus_of_one("a.txt", t, n);
                relmap_error err;
                relmap_document doc;
                if (kind < 3) {
                    expect_document(c, "a.txt", t, n, 0);
                } else if (kind == 3) {
                    ck_assert_msg(relmap_corpus_next(c, &doc, &err) == RELMAP_EINPUT,
                                  "cut %zu at %zu: no NUL found", cut, at);
                } else {
                    /* each invalid byte becomes U+FFFD where it stands */
                    size_t bad = len, k = at;
                    memcpy(want, t, at);
                    for (size_t b = 0; b < bad; b++, k += 3)
                        memcpy(want + k, "\xEF\xBF\xBD", 3);
                    memcpy(want + k, t + at + bad, n - at - bad);
                    expect_document(c, "a.txt", want, n + 2 * bad, bad);
                }
                relmap_corpus_free(c);
            }
        }
    }
    free(t);
    free(want);
    remove_folder();
}
END_TEST

/* Buffers of megabytes are whole huge pages (xrealloc_large); a document
 * longer than the one before grows the reused buffer in the middle of its
 * reading, and what was read before the growth must be kept. */
START_TEST(documents_of_megabytes_are_exact_as_the_buffer_grows)
{
    size_t size = (3u << 20) + 1;
    char *b = xrealloc_large(NULL, 0, &size);
    ck_assert_uint_eq(size, 4u << 20);
    ck_assert_uint_eq((uintptr_t)b % (2u << 20), 0);
    memset(b, 'x', size);
    size_t more = size + 1;
    b = xrealloc_large(b, 1000, &more);
    ck_assert_uint_eq(more, 6u << 20);
    for (size_t i = 0; i < 1000; i++)
        ck_assert_int_eq(b[i], 'x');
    free(b);

    ck_assert_ptr_nonnull(mkdtemp(folder));
    const size_t lengths[] = {(5u << 19) + 3, (5u << 20) + 1, 3u << 20};
    char *texts[3];
    for (size_t d = 0; d < 3; d++) {
        texts[d] = malloc(lengths[d]);
        for (size_t i = 0; i < lengths[d]; i++)
            texts[d][i] = "China summoned the US ambassador. "[(i + 7 * d) % 34];
    }
    texts[2][lengths[2] - 10] = '\xff'; /* repaired: the buffer is copied */
    write_file("a.txt", texts[0], lengths[0]);
    write_file("b.txt", texts[1], lengths[1]);
    write_file("c.txt", texts[2], lengths[2]);
    relmap_corpus *c = corpus_of_folder();
    expect_document(c, "a.txt", texts[0], lengths[0], 0);
    expect_document(c, "b.txt", texts[1], lengths[1], 0);
    char *want = malloc(lengths[2] + 2);
    memcpy(want, texts[2], lengths[2] - 10);
    memcpy(want + lengths[2] - 10, "\xEF\xBF\xBD", 3);
    memcpy(want + lengths[2] - 7, texts[2] + lengths[2] - 9, 9);
    expect_document(c, "c.txt", want, lengths[2] + 2, 1);
    expect_end(c);
    for (size_t d = 0; d < 3; d++)
        free(texts[d]);
    free(want);
}
END_TEST

/* The base names of the documents the glob takes, in order, joined by ' '. */
static char *taken(const char *glob)
{
    relmap_corpus *c;
    relmap_error err;
    const char *paths[] = {folder};
    ck_assert_int_eq(relmap_corpus_open(&c, paths, 1, glob, &err), 0);
    char *list = calloc(1, 512);
    relmap_document doc;
    while (relmap_corpus_next(c, &doc, &err) == 1) {
        const char *base = strrchr(doc.name, '/');
        if (*list)
            strcat(list, " ");
        strcat(list, base ? base + 1 : doc.name);
    }
    relmap_corpus_free(c);
    return list;
}

#define TAKES(glob, expected)                                                                \
    do {                                                                                     \
        char *got_ = taken(glob);                                                            \
        ck_assert_msg(!strcmp(got_, expected), "%s: got \"%s\"", glob ? glob : "(none)", got_); \
        free(got_);                                                                          \
    } while (0)

/* A glob of a '*' and a plain suffix is compared as a suffix; any other
 * goes to fnmatch; both take what fnmatch takes. */
START_TEST(a_glob_takes_the_files_fnmatch_would)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    const char *names[] = {"a.txt", "b.md", "c.txt.bak", "d.TXT", "e.txt", "txt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        write_file(names[i], "One.", 4);
    TAKES(NULL, "a.txt e.txt");
    TAKES("*.txt", "a.txt e.txt");
    TAKES("*txt", "a.txt e.txt txt");
    TAKES("*.TXT", "d.TXT");
    TAKES("*.md", "b.md");
    TAKES("*", "a.txt b.md c.txt.bak d.TXT e.txt txt");
    TAKES("*.t?t", "a.txt e.txt");
    TAKES("[a-c]*", "a.txt b.md c.txt.bak");
    TAKES("*\\.txt", "a.txt e.txt");
    TAKES("a.txt", "a.txt");
    remove_folder();
}
END_TEST

int main(void)
{
    RUN_TESTS("corpus", documents_in_name_order_each_exact_in_a_reused_buffer,
              a_path_that_cannot_be_read_is_an_error_and_the_stream_goes_on,
              a_pipe_is_read_to_its_end_past_a_short_read,
              files_of_one_name_in_several_folders_are_each_their_own,
              a_nul_or_an_invalid_byte_is_found_wherever_it_stands,
              the_look_for_bad_bytes_goes_on_across_the_reads,
              documents_of_megabytes_are_exact_as_the_buffer_grows,
              a_glob_takes_the_files_fnmatch_would);
}

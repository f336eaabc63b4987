/* Extraction on several threads gives what one thread gives: the same
 * matches in the same order, through each of the three entry points, and,
 * over a corpus the workers read themselves, each path's problems reported
 * in document order. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relmap.h"
#include "check_main.h"
#include "util.h"

static const char rules_text[] =
    "relation accuses\n"
    "entity country \"China\" alias \"Beijing\"\n"
    "entity country \"United States\" alias \"U.S.\" \"Washington\"\n"
    "entity country \"Russia\" alias \"Moscow\"\n"
    "rule accuses: {SRC} accused (?:the )?{TGT}\n";

static relmap_rules *load(void)
{
    return load_rules_text(rules_text);
}

#define NDOCS 40

/* Document k: a few sentences whose edges depend on k, so that an order
 * mixed up between documents shows in the output; two of them long, with
 * a megabyte of rows each, which the workers' buffers take in huge pages
 * (sb_grow past a quarter of a megabyte). */
static void document(strbuf *sb, int k)
{
    static const char *const names[] = {"China", "the U.S.", "Russia", "Beijing", "Moscow"};
    sb_clear(sb);
    int sentences = k == 3 || k == 29 ? 7000 : k % 7 + 1;
    for (int s = 0; s < sentences; s++)
        sb_addf(sb, "%s accused %s on day %d. Nothing happened then.\n", names[(k + s) % 5],
                names[(k + 2 * s + 1) % 5], s);
}

/* The rows of one match, appended to a strbuf: what the tests compare. */
static void keep(const relmap_match *m, void *context)
{
    sb_addf(context, "%s|%s|%s|%s|%u|%s\n", m->source, m->relation, m->target, m->document,
            m->line, m->evidence);
}

typedef struct docs {
    strbuf text;
    char name[32];
    int next;
} docs;

static int next_doc(relmap_document *doc, void *context)
{
    docs *d = context;
    if (d->next == NDOCS)
        return 0;
    document(&d->text, d->next);
    snprintf(d->name, sizeof d->name, "doc%02d.txt", d->next);
    d->next++;
    *doc = (relmap_document){d->name, d->text.data, d->text.length, 0, 0};
    return 1;
}

static void write_tsv(const relmap_match *m, void *context)
{
    relmap_tsv_write_match(context, m);
}

/* What one thread gives, match by match and as TSV. */
static void one_thread(const relmap_rules *rules, strbuf *matches, strbuf *tsv)
{
    relmap_extractor *x = relmap_extractor_new(rules);
    docs d = {{0}, "", 0};
    relmap_document doc;
    char *text = NULL;
    size_t length = 0;
    FILE *f = open_memstream(&text, &length);
    while (next_doc(&doc, &d) > 0) {
        relmap_error err;
        ck_assert_int_eq(relmap_extract_document(x, doc.name, doc.text, doc.length, keep,
                                                 matches, &err),
                         0);
        /* the TSV rows of the same document, by the one-match writer */
        relmap_extract_document(x, doc.name, doc.text, doc.length, write_tsv, f, &err);
    }
    fclose(f);
    sb_add(tsv, text, length);
    free(text);
    sb_free(&d.text);
    relmap_extractor_free(x);
}

START_TEST(matches_on_any_number_of_threads_are_one_threads)
{
    relmap_rules *rules = load();
    strbuf want = {0}, want_tsv = {0};
    one_thread(rules, &want, &want_tsv);
    ck_assert_uint_gt(want.length, 0);
    for (unsigned jobs = 1; jobs <= 4; jobs++) {
        /* rules loaded afresh: the threads compile the patterns' JIT code
         * as they first need it, some while others run */
        relmap_rules *fresh = load();
        strbuf got = {0};
        docs d = {{0}, "", 0};
        ck_assert_int_eq(relmap_extract_parallel(fresh, jobs, next_doc, &d, keep, &got, NULL,
                                                 NULL),
                         0);
        relmap_rules_free(fresh);
        ck_assert_msg(got.length == want.length && !memcmp(got.data, want.data, got.length),
                      "-j %u: matches differ", jobs);
        sb_free(&got);
        sb_free(&d.text);

        char *text = NULL;
        size_t length = 0;
        FILE *f = open_memstream(&text, &length);
        docs e = {{0}, "", 0};
        ck_assert_int_eq(relmap_extract_parallel_tsv(rules, jobs, next_doc, &e, f, NULL, NULL),
                         0);
        fclose(f);
        ck_assert_msg(length == want_tsv.length && !memcmp(text, want_tsv.data, length),
                      "-j %u: TSV differs", jobs);
        free(text);
        sb_free(&e.text);
    }
    /* nowhere for the matches, or no documents: a usage error, no thread */
    docs d = {{0}, "", 0};
    ck_assert_int_eq(relmap_extract_parallel(rules, 2, next_doc, &d, NULL, NULL, NULL, NULL),
                     RELMAP_EUSAGE);
    ck_assert_int_eq(relmap_extract_parallel(rules, 2, NULL, NULL, keep, &want, NULL, NULL),
                     RELMAP_EUSAGE);
    ck_assert_int_eq(relmap_extract_parallel_tsv(rules, 2, next_doc, &d, NULL, NULL, NULL),
                     RELMAP_EUSAGE);
    ck_assert_int_eq(d.next, 0); /* not a document was asked for */
    sb_free(&want);
    sb_free(&want_tsv);
    relmap_rules_free(rules);
}
END_TEST

static char folder[] = "/tmp/relmap-parallel-XXXXXX";

/* What the workers report of each path, in the order it reaches the caller. */
static void on_read(int rc, const relmap_document *doc, const relmap_error *err, void *context)
{
    strbuf *sb = context;
    const char *name = rc > 0 ? doc->name : err->file;
    const char *base = strrchr(name, '/');
    sb_addf(sb, "%d %s", rc > 0 ? 1 : rc, base ? base + 1 : name);
    if (rc > 0 && doc->invalid_bytes)
        sb_addf(sb, " repaired %zu at %zu", doc->invalid_bytes, doc->first_invalid);
    if (rc > 0 && doc->text)
        sb_adds(sb, " (text given)"); /* the text is the worker's, gone by now */
    sb_addc(sb, '\n');
}

START_TEST(a_corpus_read_by_the_workers_reports_in_document_order)
{
    ck_assert_ptr_nonnull(mkdtemp(folder));
    strbuf path = {0}, text = {0}, want = {0};
    for (int k = 0; k < NDOCS; k++) {
        sb_clear(&path);
        sb_addf(&path, "%s/doc%02d.txt", folder, k);
        FILE *f = fopen(path.data, "wb");
        ck_assert_ptr_nonnull(f);
        if (k == 7) {
            fwrite("China accused\0 Russia.", 1, 22, f); /* a NUL: a binary file */
        } else if (k == 11) {
            fputs("China accused \xff the U.S.\n", f); /* repaired */
        } else {
            document(&text, k);
            fputs(text.data, f);
        }
        fclose(f);
        if (k == 7)
            sb_addf(&want, "%d doc07.txt\n", RELMAP_EINPUT);
        else if (k == 11)
            sb_adds(&want, "1 doc11.txt repaired 1 at 14\n");
        else
            sb_addf(&want, "1 doc%02d.txt\n", k);
    }
    sb_clear(&path);
    sb_addf(&path, "%s/doc40-link.txt", folder);
    ck_assert_int_eq(symlink("nowhere.txt", path.data), 0); /* skipped, with a warning */
    sb_addf(&want, "%d doc40-link.txt\n", RELMAP_EINPUT);

    relmap_rules *rules = load();
    /* one thread: relmap_corpus_next in a loop */
    strbuf one = {0}, one_reads = {0};
    relmap_extractor *x = relmap_extractor_new(rules);
    relmap_corpus *c;
    relmap_error err;
    const char *paths[] = {folder};
    ck_assert_int_eq(relmap_corpus_open(&c, paths, 1, NULL, &err), 0);
    relmap_document doc;
    int rc;
    while ((rc = relmap_corpus_next(c, &doc, &err)) != 0) {
        relmap_document shown = doc;
        shown.text = NULL;
        on_read(rc, rc > 0 ? &shown : NULL, &err, &one_reads);
        if (rc > 0)
            relmap_extract_document(x, doc.name, doc.text, doc.length, keep, &one, &err);
    }
    relmap_corpus_free(c);
    relmap_extractor_free(x);
    ck_assert_str_eq(one_reads.data, want.data);

    for (unsigned jobs = 1; jobs <= 4; jobs++) {
        strbuf got = {0}, reads = {0};
        ck_assert_int_eq(relmap_corpus_open(&c, paths, 1, NULL, &err), 0);
        relmap_pool_report report = {on_read, NULL, &reads};
        ck_assert_int_eq(relmap_extract_corpus_parallel(rules, jobs, c, keep, &got, NULL,
                                                        &report),
                         0);
        relmap_corpus_free(c);
        ck_assert_msg(!strcmp(reads.data, want.data), "-j %u reports:\n%s", jobs, reads.data);
        ck_assert_msg(got.length == one.length && !memcmp(got.data, one.data, got.length),
                      "-j %u: matches differ", jobs);
        sb_free(&got);
        sb_free(&reads);
    }
    /* no report: the matches alone; nowhere for the matches: a usage error */
    {
        strbuf got = {0};
        ck_assert_int_eq(relmap_corpus_open(&c, paths, 1, NULL, &err), 0);
        ck_assert_int_eq(relmap_extract_corpus_parallel(rules, 2, c, keep, &got, NULL, NULL), 0);
        relmap_corpus_free(c);
        ck_assert(got.length == one.length && !memcmp(got.data, one.data, got.length));
        sb_free(&got);
        ck_assert_int_eq(relmap_corpus_open(&c, paths, 1, NULL, &err), 0);
        ck_assert_int_eq(relmap_extract_corpus_parallel(rules, 2, c, NULL, NULL, NULL, NULL),
                         RELMAP_EUSAGE);
        relmap_corpus_free(c);
    }
    relmap_rules_free(rules);
    unlink(path.data);
    for (int k = 0; k < NDOCS; k++) {
        sb_clear(&path);
        sb_addf(&path, "%s/doc%02d.txt", folder, k);
        unlink(path.data);
    }
    rmdir(folder);
    sb_free(&path);
    sb_free(&text);
    sb_free(&want);
    sb_free(&one);
    sb_free(&one_reads);
}
END_TEST

int main(void)
{
    RUN_TESTS("parallel", matches_on_any_number_of_threads_are_one_threads,
              a_corpus_read_by_the_workers_reports_in_document_order);
}

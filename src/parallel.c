/*
 * parallel.c - extraction on several threads, with the output of one.
 *
 * The calling thread takes documents in order into a window of slots: read
 * by the caller's `next`, or, over a corpus, only found (the thread that
 * takes a document reads it, so reading is shared out too). N - 1 worker
 * threads and the calling thread, one extractor each, take them in order,
 * each document into its own buffer of matches; the calling thread hands
 * the buffers, with each document's read warnings and errors, to the
 * caller in document order as they are done, and takes more in their
 * place; while the next one to hand over is not done, it extracts the
 * documents no worker has taken. So the matches, their order and any
 * messages are exactly those of a single thread; no thread waits for a
 * whole batch; N threads keep N cores busy, none of them woken only to
 * deliver; and memory is bounded by the window (in documents, and in bytes
 * of the text it holds).
 */
#ifdef __linux__
#define _GNU_SOURCE /* unshare, CLONE_FILES */
#include <sched.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "tsv.h"
#include "util.h"

/* the window: at most 256 documents a thread, and about 8 MiB of text a
 * thread (one document always, however long): room for a document beyond
 * the one each thread is on, so that a thread that finishes before the
 * document ahead of it does not wait */
#define WINDOW_DOCS_PER_JOB 256
#define WINDOW_BYTES_PER_JOB (8u << 20)
/* and about 4 MiB of matches done a thread (those of a document always) */
#define WINDOW_MATCH_BYTES_PER_JOB (4u << 20)
/* the most documents a worker takes at once; over a corpus, whose sizes
 * are known only as they are read, also about this much text */
#define BATCH_DOCS 64
#define BATCH_BYTES (256u << 10)

typedef struct job {
    /* the document's name in entry.path (owned: a copy of the caller's,
     * or, over a corpus, the entry corpus_next_entry gave, to be read) */
    corpus_entry entry;
    int read_rc;      /* over a corpus: 1 when read, or the code of why not */
    relmap_error read_err;
    size_t invalid_bytes, first_invalid; /* what the read repaired */
    char *text;       /* a buffer of the pool's spares */
    size_t capacity;  /* its size */
    size_t length;
    strbuf matches;   /* fields NUL-separated, 11 per match; or the TSV rows */
    size_t count;
    relmap_error err;
    int rc;
    int done;
} job;

/* Buffers of delivered documents kept for the next ones, so that no new
 * pages are faulted in for every document: at most as many as the window
 * held at once. The texts' the calling thread alone takes and returns; the
 * matches' the workers take as they start a document and the calling
 * thread returns, both under the pool's lock. */
typedef struct spares {
    strbuf *items;
    size_t count, cap;
} spares;

/* A kept buffer, or an empty one. */
static strbuf spares_take(spares *s)
{
    return s->count ? s->items[--s->count] : (strbuf){0};
}

static void spares_keep(spares *s, strbuf b)
{
    XGROW(s->items, s->cap, s->count + 1);
    s->items[s->count++] = b;
}

static void spares_free(spares *s)
{
    for (size_t k = 0; k < s->count; k++)
        sb_free(&s->items[k]);
    free(s->items);
}

typedef struct pool {
    const relmap_rules *rules;
    job *slots;
    size_t nslots;
    size_t head;  /* the next document to deliver */
    size_t take;  /* the next to extract */
    size_t tail;  /* the next to read; slots [head, tail) are in use */
    int eof;      /* no document is left to read */
    int reading;  /* the workers read the documents (a corpus) */
    int as_tsv;   /* jobs keep the rows relmap_tsv_write_match writes, not matches */
    size_t read_docs, read_bytes; /* how much they read so far */
    /* the matches of documents done and not yet delivered, and their bound:
     * when the caller is slow to take them (a graph spilling to disk, a pipe
     * read slowly), the workers wait rather than fill the whole window */
    size_t held, max_held;
    unsigned jobs;
    unsigned idle;    /* workers waiting for work */
    int waiting;      /* the calling thread waits for a document to be done */
    pthread_mutex_t lock;
    pthread_cond_t work; /* a document to extract, or the end */
    pthread_cond_t done; /* a document extracted */
    spares texts;   /* the documents' text buffers */
    spares matches; /* the matches buffers of documents delivered */
    size_t large;   /* how many of them are SPARE_MATCHES_MAX or larger */
} pool;

/* Matches buffers this large or larger are kept, once delivered, only as
 * many as the threads and one more, and only up to SPARE_LARGE_MAX: the
 * window holds hundreds of small documents, but long ones (megabytes of
 * rows each) would otherwise have their buffers mapped, faulted in and
 * unmapped again for every document. */
#define SPARE_MATCHES_MAX (64u << 10)
#define SPARE_LARGE_MAX (16u << 20)

static void keep_match(const relmap_match *m, void *context)
{
    job *j = context;
    const char *fields[] = {m->source, m->relation, m->target, m->document, m->rule,
                            m->evidence, m->source_type, m->source_country, m->target_type,
                            m->target_country};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        sb_add(&j->matches, fields[i] ? fields[i] : "", strlen(fields[i] ? fields[i] : "") + 1);
    sb_add(&j->matches, (const char *)&m->line, sizeof m->line);
    j->count++;
}

static void keep_row(const relmap_match *m, void *context)
{
    job *j = context;
    tsv_add_match(&j->matches, m);
    j->count++;
}

static relmap_match_fn job_fn(const pool *p)
{
    return p->as_tsv ? keep_row : keep_match;
}

/* Extract one document, reading it first when the workers read (into
 * *buffer, this thread's, from a file of *folder, this thread's too);
 * returns the bytes read. */
static size_t run_job(const pool *p, job *j, relmap_extractor *x, corpus_folder *folder,
                      char **buffer, size_t *capacity)
{
    const char *text = j->text;
    size_t length = j->length;
    if (p->reading) {
        if (j->read_rc < 0)
            return 0; /* a path that is no document: its error is all */
        relmap_document doc;
        j->read_rc = corpus_read_entry(&j->entry, folder, buffer, capacity, &doc, &j->read_err);
        if (j->read_rc < 0)
            return 0;
        j->invalid_bytes = doc.invalid_bytes;
        j->first_invalid = doc.first_invalid;
        text = doc.text;
        length = doc.length;
    }
    j->rc = relmap_extract_document(x, j->entry.path, text, length, job_fn(p), j, &j->err);
    return p->reading ? length : 0;
}

/* How many of the waiting documents a worker takes: its share, few enough
 * to keep the threads even, and, when the workers read them, about
 * BATCH_BYTES of text by the sizes read so far (one at first). */
static size_t batch_size(const pool *p)
{
    size_t count = (p->tail - p->take) / p->jobs;
    if (p->reading) {
        size_t fit = 1; /* until a size is known */
        if (p->read_docs && p->read_bytes)
            fit = BATCH_BYTES / (p->read_bytes / p->read_docs + 1);
        if (count > fit)
            count = fit;
    }
    return count < 1 ? 1 : count > BATCH_DOCS ? BATCH_DOCS : count;
}

/* A kept matches buffer, empty, for job j's (under the pool's lock, as
 * give_back_matches). */
static void take_matches(pool *p, job *j)
{
    j->matches = spares_take(&p->matches);
    if (j->matches.capacity >= SPARE_MATCHES_MAX)
        p->large--;
}

/* Keep job j's matches buffer, once delivered, for another job; or free it
 * when large. */
static void give_back_matches(pool *p, job *j)
{
    int large = j->matches.capacity >= SPARE_MATCHES_MAX;
    if (j->matches.capacity
        && (!large || (p->large <= p->jobs && j->matches.capacity <= SPARE_LARGE_MAX))) {
        p->large += large;
        sb_clear(&j->matches);
        spares_keep(&p->matches, j->matches);
        memset(&j->matches, 0, sizeof j->matches);
    } else {
        sb_free(&j->matches);
    }
}

/* Under the pool's lock: a run of the waiting documents for one thread,
 * its share (at least one is waiting), with buffers for their matches,
 * kept from documents delivered: taken now rather than when the window was
 * filled, which, over a few long documents, is before any was delivered.
 * Returns the count; the first in *first. */
static size_t take_run(pool *p, size_t *first)
{
    size_t count = batch_size(p);
    *first = p->take;
    p->take += count;
    for (size_t k = *first; k < *first + count; k++)
        take_matches(p, &p->slots[k % p->nslots]);
    return count;
}

/* Extract the run (not under the lock), then mark it done. */
static void extract_run(pool *p, size_t first, size_t count, relmap_extractor *x,
                        corpus_folder *folder, char **buffer, size_t *capacity)
{
    size_t bytes = 0;
    for (size_t k = first; k < first + count; k++)
        bytes += run_job(p, &p->slots[k % p->nslots], x, folder, buffer, capacity);
    pthread_mutex_lock(&p->lock);
    for (size_t k = first; k < first + count; k++) {
        p->slots[k % p->nslots].done = 1;
        p->held += p->slots[k % p->nslots].matches.length;
    }
    p->read_docs += count;
    p->read_bytes += bytes;
    /* the calling thread waits for the document it delivers next: wake it
     * for that one, not for every run of documents done */
    if (p->waiting && p->slots[p->head % p->nslots].done)
        pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg)
{
    pool *p = arg;
#ifdef __linux__
    /* A table of file descriptors of this thread's own: the workers open
     * and close a file a document, and in one table shared by all threads
     * each open and close takes the table's lock, whose line then moves
     * from core to core. No descriptor this thread opens outlives its
     * document; if the call fails, the shared table serves as before. */
    (void)unshare(CLONE_FILES);
#endif
    relmap_extractor *x = relmap_extractor_new(p->rules);
    char *buffer = NULL; /* the documents this thread reads */
    size_t capacity = 0;
    corpus_folder folder = CORPUS_FOLDER_NONE; /* in this thread's descriptor table */
    for (;;) {
        pthread_mutex_lock(&p->lock);
        /* a document waits and there is room for its matches, or the end */
        while (p->take == p->tail ? !p->eof : p->held >= p->max_held) {
            p->idle++;
            pthread_cond_wait(&p->work, &p->lock);
            p->idle--;
        }
        if (p->take == p->tail) { /* and the end */
            pthread_mutex_unlock(&p->lock);
            break;
        }
        /* a run of documents, this thread's share of those waiting: small
         * documents (one a file) would otherwise cost more in taking the
         * lock and waking threads than in extraction */
        size_t first, count = take_run(p, &first);
        pthread_mutex_unlock(&p->lock);
        extract_run(p, first, count, x, &folder, &buffer, &capacity);
    }
    corpus_folder_close(&folder);
    free(buffer);
    relmap_extractor_free(x);
    return NULL;
}

static void deliver(const pool *p, job *j, relmap_match_fn fn, void *context, FILE *stream,
                    const relmap_pool_report *report)
{
    void (*on_error)(const relmap_error *, void *) = report->on_error;
    void *error_context = report->context;
    if (p->reading) {
        relmap_document doc = {j->entry.path, NULL, 0, j->invalid_bytes, j->first_invalid};
        if (report->on_read)
            report->on_read(j->read_rc, j->read_rc > 0 ? &doc : NULL, &j->read_err,
                            error_context);
        if (j->read_rc < 0)
            return;
    }
    if (p->as_tsv) {
        if (j->matches.length)
            fwrite(j->matches.data, 1, j->matches.length, stream);
        if (j->rc < 0 && on_error)
            on_error(&j->err, error_context);
        return;
    }
    const char *at = j->matches.data;
    for (size_t i = 0; i < j->count; i++) {
        const char *f[10];
        for (int k = 0; k < 10; k++) {
            f[k] = at;
            at += strlen(at) + 1;
        }
        unsigned line;
        memcpy(&line, at, sizeof line);
        at += sizeof line;
        relmap_match m = {f[0], f[1], f[2], f[3], line, f[4], f[5], f[6], f[7], f[8], f[9]};
        fn(&m, context);
    }
    if (j->rc < 0 && on_error)
        on_error(&j->err, error_context);
}

/* The text of `doc` into job j, in a spare buffer when there is one. */
static void take_text(pool *p, job *j, const relmap_document *doc)
{
    strbuf kept = spares_take(&p->texts);
    j->text = kept.data;
    j->capacity = kept.capacity;
    if (j->capacity < doc->length + 1) {
        j->capacity = doc->length + 1;
        j->text = xrealloc(j->text, j->capacity);
    }
    memcpy(j->text, doc->text, doc->length);
    j->text[doc->length] = '\0';
}

static void give_back_text(pool *p, job *j)
{
    spares_keep(&p->texts, (strbuf){j->text, 0, j->capacity});
    j->text = NULL;
    j->capacity = 0;
}

/* The next document into the window's slot j: read by `next`, or over a
 * corpus found (a path that is no document gives a job that holds its
 * error); 0 at the end. */
static int fill(pool *p, job *j, relmap_corpus *corpus,
                int (*next)(relmap_document *doc, void *context), void *next_context)
{
    memset(j, 0, sizeof *j);
    if (corpus) {
        int rc = corpus_next_entry(corpus, &j->entry, &j->read_err);
        if (rc == 0)
            return 0;
        j->read_rc = rc;
        return 1;
    }
    relmap_document doc;
    if (next(&doc, next_context) <= 0)
        return 0;
    j->entry.path = xstrdup(doc.name);
    take_text(p, j, &doc);
    j->length = doc.length;
    return 1;
}

/* The documents the calling thread hands the workers at once: a few, or
 * about a megabyte of text when it reads them itself. */
#define HAND_OVER_DOCS 16
#define HAND_OVER_BYTES (1u << 20)

/* `count` slots past the tail are filled: the workers (and the calling
 * thread, between deliveries) may take them; with `ended`, no more will
 * come. */
static void hand_over(pool *p, size_t count, int ended)
{
    pthread_mutex_lock(&p->lock);
    p->tail += count;
    if (ended) {
        p->eof = 1;
        pthread_cond_broadcast(&p->work);
    } else if (p->idle) {
        pthread_cond_signal(&p->work);
    }
    pthread_mutex_unlock(&p->lock);
}

/* The matches to `fn`, or with `stream` the TSV rows to it, written by the
 * workers; the documents from `corpus` (read by the workers), or else from
 * `next`. */
static int run_pool(const relmap_rules *rules, unsigned jobs, relmap_corpus *corpus,
                    int (*next)(relmap_document *doc, void *context), void *next_context,
                    relmap_match_fn fn, void *context, FILE *stream,
                    const relmap_pool_report *report)
{
    if ((!corpus && !next) || (!fn && !stream))
        return RELMAP_EUSAGE; /* no documents, or nowhere for the matches to go */
    relmap_pool_report none = {NULL, NULL, NULL};
    if (!report)
        report = &none;
    if (jobs < 1)
        jobs = 1;
    pool p = {.rules = rules,
              .nslots = (size_t)jobs * WINDOW_DOCS_PER_JOB,
              .reading = corpus != NULL,
              .as_tsv = stream != NULL,
              .jobs = jobs,
              .max_held = (size_t)jobs * WINDOW_MATCH_BYTES_PER_JOB,
              .lock = PTHREAD_MUTEX_INITIALIZER,
              .work = PTHREAD_COND_INITIALIZER,
              .done = PTHREAD_COND_INITIALIZER};
    p.slots = xcalloc(p.nslots, sizeof *p.slots);
    /* the calling thread is one of the `jobs`: between filling the window
     * and delivering, it extracts documents that no worker has taken, and
     * waits only when there are none. One thread a core, not one more that
     * wakes for the deliveries (and takes the core of a worker) */
    pthread_t *threads = xcalloc(jobs - 1, sizeof *threads); /* the workers */
    unsigned started = 0;
    for (unsigned t = 0; t + 1 < jobs; t++)
        if (pthread_create(&threads[started], NULL, worker, &p) == 0)
            started++;
    /* the text held in the window (when this thread reads: workers that
     * read hold one document each) */
    size_t max_bytes = (size_t)jobs * WINDOW_BYTES_PER_JOB, bytes = 0;
    int status = 0;
    relmap_extractor *here = NULL; /* when no thread could start */
    char *buffer = NULL;
    size_t capacity = 0;
    corpus_folder folder = CORPUS_FOLDER_NONE;
    for (;;) {
        /* fill the window; only this thread moves tail, and a slot past it
         * is no worker's: the slots are filled without the lock and handed
         * to the workers a few at a time (over small files, one lock a
         * document would be most of this thread's work) */
        size_t filled = 0, filled_bytes = 0;
        int ended = 0;
        while (!p.eof && !ended && p.tail + filled - p.head < p.nslots
               && (bytes < max_bytes || p.tail + filled == p.head)) {
            job *j = &p.slots[(p.tail + filled) % p.nslots];
            if (!fill(&p, j, corpus, next, next_context)) {
                ended = 1;
                break;
            }
            bytes += j->length;
            filled_bytes += j->length;
            filled++;
            if (filled >= HAND_OVER_DOCS || filled_bytes >= HAND_OVER_BYTES) {
                hand_over(&p, filled, 0);
                filled = filled_bytes = 0;
            }
        }
        if (filled || ended)
            hand_over(&p, filled, ended);
        if (p.head == p.tail)
            break; /* all read, all delivered */
        job *j = &p.slots[p.head % p.nslots];
        /* the head's document not done yet: a run of those no worker has
         * taken, extracted here (all of them when no worker could start),
         * then the window filled again */
        pthread_mutex_lock(&p.lock);
        size_t first = 0, count = 0;
        if (!j->done && p.take < p.tail && (p.held < p.max_held || p.take == p.head))
            count = take_run(&p, &first);
        pthread_mutex_unlock(&p.lock);
        if (count) {
            if (!here)
                here = relmap_extractor_new(rules);
            extract_run(&p, first, count, here, &folder, &buffer, &capacity);
            continue;
        }
        /* the head's document, and those done after it: delivered under
         * one lock taken before and one after, not two a document */
        pthread_mutex_lock(&p.lock);
        while (!j->done) {
            p.waiting = 1;
            pthread_cond_wait(&p.done, &p.lock);
            p.waiting = 0;
        }
        size_t run = 1;
        while (p.head + run < p.take && p.slots[(p.head + run) % p.nslots].done)
            run++;
        pthread_mutex_unlock(&p.lock);
        for (size_t k = 0; k < run; k++)
            deliver(&p, &p.slots[(p.head + k) % p.nslots], fn, context, stream, report);
        pthread_mutex_lock(&p.lock);
        int was_full = p.held >= p.max_held;
        for (size_t k = 0; k < run; k++) {
            job *d = &p.slots[(p.head + k) % p.nslots];
            p.held -= d->matches.length;
            give_back_matches(&p, d);
        }
        if (was_full && p.held < p.max_held && p.idle) /* workers wait for room */
            pthread_cond_broadcast(&p.work);
        size_t delivered = p.head;
        p.head += run; /* under the lock: the workers read it to tell whom to wake */
        pthread_mutex_unlock(&p.lock);
        for (size_t k = 0; k < run; k++) {
            job *d = &p.slots[(delivered + k) % p.nslots];
            if (d->rc < 0)
                status = d->rc;
            bytes -= d->length;
            corpus_entry_free(&d->entry);
            if (d->text)
                give_back_text(&p, d);
        }
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    relmap_extractor_free(here);
    corpus_folder_close(&folder);
    free(buffer);
    free(threads);
    free(p.slots);
    spares_free(&p.texts);
    spares_free(&p.matches);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.work);
    pthread_cond_destroy(&p.done);
    return status;
}

int relmap_extract_parallel(const relmap_rules *rules, unsigned jobs,
                            int (*next)(relmap_document *doc, void *context), void *next_context,
                            relmap_match_fn fn, void *context,
                            void (*on_error)(const relmap_error *err, void *context),
                            void *error_context)
{
    relmap_pool_report report = {NULL, on_error, error_context};
    return run_pool(rules, jobs, NULL, next, next_context, fn, context, NULL, &report);
}

int relmap_extract_parallel_tsv(const relmap_rules *rules, unsigned jobs,
                                int (*next)(relmap_document *doc, void *context),
                                void *next_context, FILE *stream,
                                void (*on_error)(const relmap_error *err, void *context),
                                void *error_context)
{
    relmap_pool_report report = {NULL, on_error, error_context};
    return run_pool(rules, jobs, NULL, next, next_context, NULL, NULL, stream, &report);
}

int relmap_extract_corpus_parallel(const relmap_rules *rules, unsigned jobs,
                                   relmap_corpus *corpus, relmap_match_fn fn, void *context,
                                   FILE *stream, const relmap_pool_report *report)
{
    return run_pool(rules, jobs, corpus, NULL, NULL, stream ? NULL : fn, context, stream,
                    report);
}

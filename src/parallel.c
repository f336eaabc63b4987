/*
 * parallel.c - extraction on several threads, with the output of one.
 *
 * The calling thread reads documents in order into a window of slots; the
 * worker threads, one extractor each, take them in order, each document into
 * its own buffer of matches; the calling thread hands the buffers to the
 * caller in document order as they are done, and reads more in their place.
 * So the matches, their order and any errors are exactly those of a single
 * thread; no thread waits for a whole batch; and memory is bounded by the
 * window (in documents and in bytes).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsv.h"
#include "util.h"

/* the window: at most 256 documents a thread, and about 8 MiB of text a
 * thread (one document always, however long): room for a document beyond
 * the one each thread is on, so that a thread that finishes before the
 * document ahead of it does not wait */
#define WINDOW_DOCS_PER_JOB 256
#define WINDOW_BYTES_PER_JOB (8u << 20)
/* the most documents a worker takes at once */
#define BATCH_DOCS 64

typedef struct job {
    char *name;
    char *text;       /* a buffer of the pool's spares */
    size_t capacity;  /* its size */
    size_t length;
    strbuf matches;   /* fields NUL-separated, 11 per match; or the TSV rows */
    size_t count;
    int as_tsv;       /* matches holds the rows relmap_tsv_write_match writes */
    relmap_error err;
    int rc;
    int done;
} job;

/* A text buffer with its size, kept for the next document. */
typedef struct spare {
    char *text;
    size_t capacity;
} spare;

typedef struct pool {
    const relmap_rules *rules;
    job *slots;
    size_t nslots;
    size_t head;  /* the next document to deliver */
    size_t take;  /* the next to extract */
    size_t tail;  /* the next to read; slots [head, tail) are in use */
    int eof;      /* no document is left to read */
    unsigned jobs;
    unsigned idle;    /* workers waiting for work */
    int waiting;      /* the calling thread waits for a document to be done */
    pthread_mutex_t lock;
    pthread_cond_t work; /* a document to extract, or the end */
    pthread_cond_t done; /* a document extracted */
    /* text buffers of delivered documents, for the next ones: this thread
     * alone takes and returns them, and no new pages are faulted in for
     * every document; at most as many as the window held at once */
    spare *spares;
    size_t nspares, spares_cap;
} pool;

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

static relmap_match_fn job_fn(const job *j)
{
    return j->as_tsv ? keep_row : keep_match;
}

static void *worker(void *arg)
{
    pool *p = arg;
    relmap_extractor *x = relmap_extractor_new(p->rules);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->take == p->tail && !p->eof) {
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
        size_t first = p->take, count = (p->tail - p->take) / p->jobs;
        count = count < 1 ? 1 : count > BATCH_DOCS ? BATCH_DOCS : count;
        p->take += count;
        pthread_mutex_unlock(&p->lock);
        for (size_t k = first; k < first + count; k++) {
            job *j = &p->slots[k % p->nslots];
            j->rc = relmap_extract_document(x, j->name, j->text, j->length, job_fn(j), j,
                                            &j->err);
        }
        pthread_mutex_lock(&p->lock);
        for (size_t k = first; k < first + count; k++)
            p->slots[k % p->nslots].done = 1;
        if (p->waiting)
            pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->lock);
    }
    relmap_extractor_free(x);
    return NULL;
}

static void deliver(job *j, relmap_match_fn fn, void *context, FILE *stream,
                    void (*on_error)(const relmap_error *, void *), void *error_context)
{
    if (j->as_tsv) {
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
    if (p->nspares) {
        spare sp = p->spares[--p->nspares];
        j->text = sp.text;
        j->capacity = sp.capacity;
    }
    if (j->capacity < doc->length + 1) {
        j->capacity = doc->length + 1;
        j->text = xrealloc(j->text, j->capacity);
    }
    memcpy(j->text, doc->text, doc->length);
    j->text[doc->length] = '\0';
}

static void give_back_text(pool *p, job *j)
{
    XGROW(p->spares, p->spares_cap, p->nspares + 1);
    p->spares[p->nspares++] = (spare){j->text, j->capacity};
    j->text = NULL;
    j->capacity = 0;
}

/* The matches to `fn`, or with `stream` the TSV rows to it, written by the
 * workers. */
static int run_pool(const relmap_rules *rules, unsigned jobs,
                    int (*next)(relmap_document *doc, void *context), void *next_context,
                    relmap_match_fn fn, void *context, FILE *stream,
                    void (*on_error)(const relmap_error *err, void *context),
                    void *error_context)
{
    if (jobs < 1)
        jobs = 1;
    pool p = {.rules = rules,
              .nslots = (size_t)jobs * WINDOW_DOCS_PER_JOB,
              .jobs = jobs,
              .lock = PTHREAD_MUTEX_INITIALIZER,
              .work = PTHREAD_COND_INITIALIZER,
              .done = PTHREAD_COND_INITIALIZER};
    p.slots = xcalloc(p.nslots, sizeof *p.slots);
    pthread_t *threads = xcalloc(jobs, sizeof *threads);
    unsigned started = 0;
    for (unsigned t = 0; t < jobs; t++)
        if (pthread_create(&threads[started], NULL, worker, &p) == 0)
            started++;
    size_t max_bytes = (size_t)jobs * WINDOW_BYTES_PER_JOB, bytes = 0;
    int status = 0;
    for (;;) {
        /* fill the window; only this thread moves tail, and a slot past it
         * is no worker's */
        while (!p.eof && p.tail - p.head < p.nslots && (bytes < max_bytes || p.tail == p.head)) {
            relmap_document doc;
            if (next(&doc, next_context) <= 0) {
                pthread_mutex_lock(&p.lock);
                p.eof = 1;
                pthread_cond_broadcast(&p.work);
                pthread_mutex_unlock(&p.lock);
                break;
            }
            job *j = &p.slots[p.tail % p.nslots];
            memset(j, 0, sizeof *j);
            j->name = xstrdup(doc.name);
            take_text(&p, j, &doc);
            j->length = doc.length;
            j->as_tsv = stream != NULL;
            bytes += doc.length;
            pthread_mutex_lock(&p.lock);
            p.tail++;
            if (p.idle)
                pthread_cond_signal(&p.work);
            pthread_mutex_unlock(&p.lock);
        }
        if (p.head == p.tail)
            break; /* all read, all delivered */
        job *j = &p.slots[p.head % p.nslots];
        if (!started) { /* no thread could start: extract here */
            relmap_extractor *x = relmap_extractor_new(rules);
            j->rc = relmap_extract_document(x, j->name, j->text, j->length, job_fn(j), j,
                                            &j->err);
            relmap_extractor_free(x);
            p.take++;
            j->done = 1;
        }
        pthread_mutex_lock(&p.lock);
        while (!j->done) {
            p.waiting = 1;
            pthread_cond_wait(&p.done, &p.lock);
            p.waiting = 0;
        }
        pthread_mutex_unlock(&p.lock);
        deliver(j, fn, context, stream, on_error, error_context);
        if (j->rc < 0)
            status = j->rc;
        bytes -= j->length;
        free(j->name);
        give_back_text(&p, j);
        sb_free(&j->matches);
        p.head++;
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    free(p.slots);
    for (size_t k = 0; k < p.nspares; k++)
        free(p.spares[k].text);
    free(p.spares);
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
    return run_pool(rules, jobs, next, next_context, fn, context, NULL, on_error, error_context);
}

int relmap_extract_parallel_tsv(const relmap_rules *rules, unsigned jobs,
                                int (*next)(relmap_document *doc, void *context),
                                void *next_context, FILE *stream,
                                void (*on_error)(const relmap_error *err, void *context),
                                void *error_context)
{
    return run_pool(rules, jobs, next, next_context, NULL, NULL, stream, on_error,
                    error_context);
}

/*
 * parallel.c - extraction on several threads, with the output of one.
 *
 * Documents are read in order by the calling thread, in batches bounded in
 * count and bytes; each batch is extracted by `jobs` threads, one extractor
 * each, every document into its own buffer; then the buffers are handed to
 * the caller in document order. So the matches, their order and any errors
 * are exactly those of a single thread, and memory is bounded by the batch.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* a batch holds about one 4 MiB document a thread: two batches (one being
 * read, one being extracted) keep memory near 8 MiB a thread */
#define BATCH_BYTES_PER_JOB (4u << 20)

typedef struct job {
    char *name;
    char *text;
    size_t length;
    strbuf matches; /* fields NUL-separated, 11 per match */
    size_t count;
    relmap_error err;
    int rc;
} job;

typedef struct pool {
    const relmap_rules *rules;
    job *jobs;
    size_t njobs;
    size_t next; /* the next job to take */
    pthread_mutex_t lock;
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

static void *worker(void *arg)
{
    pool *p = arg;
    relmap_extractor *x = relmap_extractor_new(p->rules);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t k = p->next < p->njobs ? p->next++ : p->njobs;
        pthread_mutex_unlock(&p->lock);
        if (k >= p->njobs)
            break;
        job *j = &p->jobs[k];
        j->rc = relmap_extract_document(x, j->name, j->text, j->length, keep_match, j, &j->err);
    }
    relmap_extractor_free(x);
    return NULL;
}

static void deliver(job *j, relmap_match_fn fn, void *context,
                    void (*on_error)(const relmap_error *, void *), void *error_context)
{
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

/* Read up to `cap` documents (and about max_bytes) into `b`; 0 when none are left. */
static size_t read_batch(pool *b, size_t cap, size_t max_bytes,
                         int (*next)(relmap_document *, void *), void *context)
{
    size_t bytes = 0;
    b->njobs = 0;
    b->next = 0;
    relmap_document doc;
    while (b->njobs < cap && bytes < max_bytes && next(&doc, context) > 0) {
        job *j = &b->jobs[b->njobs++];
        memset(j, 0, sizeof *j);
        j->name = xstrdup(doc.name);
        j->text = xstrndup(doc.text, doc.length);
        j->length = doc.length;
        bytes += doc.length;
    }
    return b->njobs;
}

int relmap_extract_parallel(const relmap_rules *rules, unsigned jobs,
                            int (*next)(relmap_document *doc, void *context), void *next_context,
                            relmap_match_fn fn, void *context,
                            void (*on_error)(const relmap_error *err, void *context),
                            void *error_context)
{
    if (jobs < 1)
        jobs = 1;
    size_t cap = (size_t)jobs * 64;
    /* two batches: the threads extract one while this thread reads the next */
    pool batches[2];
    for (int b = 0; b < 2; b++) {
        batches[b] = (pool){rules, xcalloc(cap, sizeof(job)), 0, 0, PTHREAD_MUTEX_INITIALIZER};
    }
    pthread_t *threads = xcalloc(jobs, sizeof *threads);
    int status = 0, cur = 0;
    size_t max_bytes = (size_t)jobs * BATCH_BYTES_PER_JOB;
    read_batch(&batches[cur], cap, max_bytes, next, next_context);
    while (batches[cur].njobs) {
        pool *p = &batches[cur];
        unsigned started = 0;
        for (unsigned t = 0; t < jobs && t < p->njobs; t++)
            if (pthread_create(&threads[t], NULL, worker, p) == 0)
                started++;
        read_batch(&batches[1 - cur], cap, max_bytes, next, next_context);
        if (!started)
            worker(p); /* no thread could start: do it here */
        for (unsigned t = 0; t < started; t++)
            pthread_join(threads[t], NULL);
        for (size_t k = 0; k < p->njobs; k++) {
            job *j = &p->jobs[k];
            deliver(j, fn, context, on_error, error_context);
            if (j->rc < 0)
                status = j->rc;
            free(j->name);
            free(j->text);
            sb_free(&j->matches);
        }
        p->njobs = 0;
        cur = 1 - cur;
    }
    free(threads);
    for (int b = 0; b < 2; b++) {
        free(batches[b].jobs);
        pthread_mutex_destroy(&batches[b].lock);
    }
    return status;
}

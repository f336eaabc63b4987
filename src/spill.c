/*
 * spill.c - the edges of a graph over its memory limit, on disk.
 *
 * When the graph's edges outgrow their limit they are sorted by (source,
 * relation, target) and written to a temporary file, a run, and freed. The
 * writers read the runs merged as they go, edges of equal triple combined as
 * graph_merge_edge combines them; after 64 runs, those are merged into one
 * on disk. Merging is associative, so the graph is the same whatever the limit
 * and wherever the runs were cut. The files have no name (O_TMPFILE, or
 * unlinked at once): nothing is left behind, even when relmap is killed.
 *
 * A run is a sequence of records: a 4-byte length, then source, relation and
 * target (NUL-terminated), the count, the documents and the evidence. Host
 * byte order: a run never leaves the process that wrote it.
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spill.h"

/* runs merged into one when there are this many: a bound on open files
 * (and, at 64 KiB of buffer each, on their memory) */
#define RUNS_MAX 64
#define RUN_BUFFER (64u << 10)

typedef struct run {
    FILE *file;
    char *buffer; /* the file's: glibc ignores a size given without one */
} run;

struct graph_runs {
    run runs[RUNS_MAX];
    size_t nruns;
    int counted;      /* `edges` is how many distinct edges the runs hold */
    size_t edges;
    int failed;       /* an errno (or -1 for a short read); no more spills */
    char where[4096]; /* the folder the runs go to, for errors */
};

/* One run read record by record. */
typedef struct cursor {
    FILE *file;
    char *body;
    size_t cap;
    uint32_t length; /* of the record in body */
    char **documents;
    size_t documents_cap;
    gedge edge;
    int error; /* errno, or -1: the run ends inside a record */
} cursor;

static void fail(graph_runs *runs, int error)
{
    if (!runs->failed)
        runs->failed = error ? error : -1;
}

/* A new empty file in $TMPDIR (or /tmp) with no name: Linux's O_TMPFILE,
 * or where the file system lacks it, a file unlinked as soon as made. */
static run new_run(graph_runs *runs)
{
    run r = {NULL, NULL};
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(runs->where, sizeof runs->where, "%s", dir);
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR) {
        fail(runs, errno);
        return r;
    }
#endif
    if (fd < 0) {
        size_t n = strlen(dir);
        char *path = xmalloc(n + 32);
        memcpy(path, dir, n);
        strcpy(path + n, "/relmap-graph-XXXXXX");
        fd = mkstemp(path);
        if (fd >= 0)
            unlink(path);
        free(path);
        if (fd < 0) {
            fail(runs, errno);
            return r;
        }
    }
    r.file = fdopen(fd, "w+b");
    if (!r.file) {
        fail(runs, errno);
        close(fd);
        return r;
    }
    r.buffer = xmalloc(RUN_BUFFER);
    setvbuf(r.file, r.buffer, _IOFBF, RUN_BUFFER);
    return r;
}

static void close_run(run *r)
{
    fclose(r->file);
    free(r->buffer);
    r->file = NULL;
    r->buffer = NULL;
}

static void put_u32(strbuf *sb, uint32_t v)
{
    sb_add(sb, (const char *)&v, sizeof v);
}

static void put_str(strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s) + 1);
}

/* One record: its length, then the edge. 0, or EFBIG for an edge whose
 * record would pass 4 GiB (documents' names by the hundred million). */
static int write_edge(FILE *f, strbuf *sb, const gedge *e)
{
    sb_clear(sb);
    put_u32(sb, 0);
    put_str(sb, e->source);
    put_str(sb, e->relation);
    put_str(sb, e->target);
    put_u32(sb, e->count);
    put_u32(sb, (uint32_t)e->ndocuments);
    for (size_t i = 0; i < e->ndocuments; i++)
        put_str(sb, e->documents[i]);
    put_u32(sb, (uint32_t)e->nevidence);
    for (size_t i = 0; i < e->nevidence; i++) {
        put_str(sb, e->evidence[i].document);
        put_u32(sb, e->evidence[i].line);
        put_str(sb, e->evidence[i].sentence);
    }
    if (sb->length - sizeof(uint32_t) > UINT32_MAX)
        return EFBIG;
    uint32_t length = (uint32_t)(sb->length - sizeof length);
    memcpy(sb->data, &length, sizeof length);
    fwrite(sb->data, 1, sb->length, f);
    return 0;
}

/* Flushed and rewound, ready to be read; 0, or the errno of a failure. */
static int finish_file(FILE *f)
{
    if (fflush(f) != 0 || ferror(f))
        return errno ? errno : EIO;
    if (fseek(f, 0, SEEK_SET) != 0)
        return errno;
    return 0;
}

/* ------------------------------------------------------------ reading */

static cursor *cursor_new(FILE *f)
{
    cursor *r = xcalloc(1, sizeof *r);
    r->file = f;
    return r;
}

static void cursor_free(cursor *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->documents);
    free(r);
}

/* The string at *p within [*p, end); NULL when the record ends first. */
static char *take_str(char **p, char *end)
{
    char *s = *p, *nul = memchr(s, '\0', (size_t)(end - s));
    if (!nul)
        return NULL;
    *p = nul + 1;
    return s;
}

static int take_u32(char **p, char *end, uint32_t *v)
{
    if ((size_t)(end - *p) < sizeof *v)
        return -1;
    memcpy(v, *p, sizeof *v);
    *p += sizeof *v;
    return 0;
}

/* The next record of the run: 1, or 0 at its end or on an error. */
static int cursor_step(cursor *r)
{
    uint32_t length;
    size_t got = fread(&length, 1, sizeof length, r->file);
    if (got == 0 && feof(r->file))
        return 0;
    if (got != sizeof length || length == 0) {
        r->error = ferror(r->file) ? (errno ? errno : EIO) : -1;
        return 0;
    }
    XGROW(r->body, r->cap, length);
    r->length = length;
    if (fread(r->body, 1, length, r->file) != length) {
        r->error = ferror(r->file) ? (errno ? errno : EIO) : -1;
        return 0;
    }
    char *p = r->body, *end = r->body + length;
    gedge *e = &r->edge;
    uint32_t count, ndocuments, nevidence;
    if (!(e->source = take_str(&p, end)) || !(e->relation = take_str(&p, end))
        || !(e->target = take_str(&p, end)) || take_u32(&p, end, &count) < 0
        || take_u32(&p, end, &ndocuments) < 0)
        goto corrupt;
    e->count = count;
    if (ndocuments > (size_t)(end - p)) /* a name takes a byte at least */
        goto corrupt;
    XGROW(r->documents, r->documents_cap, (size_t)ndocuments + 1);
    for (uint32_t i = 0; i < ndocuments; i++)
        if (!(r->documents[i] = take_str(&p, end)))
            goto corrupt;
    e->documents = r->documents;
    e->ndocuments = ndocuments;
    if (take_u32(&p, end, &nevidence) < 0 || nevidence > EVIDENCE_MAX)
        goto corrupt;
    for (uint32_t i = 0; i < nevidence; i++) {
        gevidence *v = &e->evidence[i];
        uint32_t line;
        if (!(v->document = take_str(&p, end)) || take_u32(&p, end, &line) < 0
            || !(v->sentence = take_str(&p, end)))
            goto corrupt;
        v->line = line;
    }
    e->nevidence = nevidence;
    if (p != end)
        goto corrupt;
    return 1;
corrupt:
    r->error = -1;
    return 0;
}

/* ------------------------------------------------------------ merging */

/* Runs read together, in order of (source, relation, target): the records
 * of one triple combined as graph_merge_edge combines them. */
struct run_reader {
    size_t n;
    cursor *in[RUNS_MAX];
    int live[RUNS_MAX];
    size_t pending;    /* the cursor whose record was handed out as it is, to step */
    cursor *raw;       /* that cursor, or NULL when the edge was combined */
    relmap_graph *one; /* the combined edge */
    int count_only;    /* only step past each triple's records: the edge is not made */
    graph_runs *of;    /* the graph's runs, told their count when read to the end */
    size_t edges;      /* edges handed out so far */
};

static run_reader *merge_open(run *runs, size_t n)
{
    run_reader *m = xcalloc(1, sizeof *m);
    m->n = m->pending = n;
    for (size_t i = 0; i < n; i++) {
        m->in[i] = cursor_new(runs[i].file); /* from its start: it may have been read */
        if (fseek(m->in[i]->file, 0, SEEK_SET) != 0)
            m->in[i]->error = errno ? errno : EIO;
        m->live[i] = !m->in[i]->error && cursor_step(m->in[i]);
    }
    return m;
}

static const gedge *merge_next(run_reader *m)
{
    if (m->pending < m->n) {
        m->live[m->pending] = cursor_step(m->in[m->pending]);
        m->pending = m->n;
    }
    relmap_graph_free(m->one);
    m->one = NULL;
    m->raw = NULL;
    const gedge *least = NULL;
    size_t first = 0, equal = 0; /* the run that has it, and how many others */
    for (size_t i = 0; i < m->n; i++) {
        if (!m->live[i])
            continue;
        const gedge *e = &m->in[i]->edge;
        int c = least ? triple_cmp(e->source, e->relation, e->target, least->source,
                                   least->relation, least->target)
                      : -1;
        if (c < 0) {
            least = e;
            first = i;
            equal = 0;
        } else if (c == 0) {
            equal++;
        }
    }
    if (!least || !equal) { /* the end, or in one run only: its record as it is */
        m->raw = least ? m->in[first] : NULL;
        m->pending = least ? first : m->n;
        return least;
    }
    /* the triple's records, combined in a graph of one edge (or, to count,
     * only passed) */
    if (!m->count_only)
        m->one = relmap_graph_new();
    char *s = xstrdup(least->source), *r = xstrdup(least->relation), *t = xstrdup(least->target);
    for (size_t i = first; i < m->n; i++)
        while (m->live[i] && !triple_cmp(m->in[i]->edge.source, m->in[i]->edge.relation,
                                         m->in[i]->edge.target, s, r, t)) {
            if (m->one)
                graph_merge_edge(m->one, s, r, t, &m->in[i]->edge);
            m->live[i] = cursor_step(m->in[i]);
        }
    free(s);
    free(r);
    free(t);
    if (!m->one)
        return &m->in[first]->edge; /* not to be read: it has moved on */
    size_t count;
    gedge **combined = graph_sorted_edges(m->one, &count);
    const gedge *e = combined[0];
    free(combined);
    return e;
}

/* 0, or the first error of a run (an errno, or -1 for a short one). */
static int merge_close(run_reader *m)
{
    int error = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->in[i]->error && !error)
            error = m->in[i]->error;
        cursor_free(m->in[i]);
    }
    relmap_graph_free(m->one);
    free(m);
    return error;
}

/* Merge runs [0, n) into one new run, which replaces them. 0, or an errno. */
static int merge_runs(graph_runs *runs, size_t n)
{
    run merged = new_run(runs);
    FILE *out = merged.file;
    if (!out)
        return runs->failed;
    run_reader *m = merge_open(runs->runs, n);
    strbuf sb = {0};
    int too_big = 0;
    for (const gedge *e; (e = merge_next(m));) {
        if (m->raw) {
            fwrite(&m->raw->length, 1, sizeof m->raw->length, out);
            fwrite(m->raw->body, 1, m->raw->length, out);
        } else if (!too_big) {
            too_big = write_edge(out, &sb, e);
        }
    }
    sb_free(&sb);
    int error = merge_close(m);
    if (!error)
        error = too_big;
    for (size_t i = 0; i < n; i++)
        close_run(&runs->runs[i]);
    int written = finish_file(out);
    if (!error)
        error = written;
    runs->runs[0] = merged;
    memmove(runs->runs + 1, runs->runs + n, (runs->nruns - n) * sizeof *runs->runs);
    runs->nruns -= n - 1;
    return error;
}

/* ------------------------------------------------------------ the graph's */

void runs_spill(relmap_graph *g)
{
    if (!g->runs)
        g->runs = xcalloc(1, sizeof *g->runs);
    graph_runs *runs = g->runs;
    if (runs->failed)
        return;
    run r = new_run(runs);
    FILE *f = r.file;
    if (!f)
        return;
    size_t n;
    gedge **edges = graph_sorted_edges(g, &n);
    strbuf sb = {0};
    int error = 0;
    for (size_t i = 0; i < n && !error; i++)
        error = write_edge(f, &sb, edges[i]);
    sb_free(&sb);
    free(edges);
    if (!error)
        error = finish_file(f);
    if (error) {
        close_run(&r);
        fail(runs, error);
        return; /* the edges stay in memory */
    }
    runs->runs[runs->nruns++] = r;
    runs->counted = 0;
    graph_clear_edges(g);
    if (runs->nruns == RUNS_MAX) {
        error = merge_runs(runs, runs->nruns);
        if (error)
            fail(runs, error);
    }
}

static int runs_error(const graph_runs *runs, relmap_error *err)
{
    if (runs->failed < 0)
        return seterr(err, RELMAP_EIO, runs->where, 0, 0,
                      "the graph's edges written to a temporary file here came back short");
    return seterr(err, RELMAP_EIO, runs->where, 0, 0,
                  "cannot write the graph's edges to a temporary file here (the graph is over "
                  "its memory limit; set TMPDIR to another folder): %s",
                  strerror(runs->failed));
}

int runs_finish(relmap_graph *g, relmap_error *err)
{
    graph_runs *runs = g->runs;
    if (!runs->failed && g->edges.count)
        runs_spill(g);
    return runs->failed ? runs_error(runs, err) : 0;
}

void runs_set_failed(relmap_graph *g)
{
    if (!g->runs)
        g->runs = xcalloc(1, sizeof *g->runs);
    fail(g->runs, -1);
}

void runs_free(graph_runs *runs)
{
    if (!runs)
        return;
    for (size_t i = 0; i < runs->nruns; i++)
        close_run(&runs->runs[i]);
    free(runs);
}

run_reader *run_reader_open(graph_runs *runs)
{
    run_reader *r = merge_open(runs->runs, runs->nruns);
    r->of = runs;
    return r;
}

const gedge *run_reader_next(run_reader *r)
{
    const gedge *e = merge_next(r);
    if (e) {
        r->edges++;
    } else if (r->of && !r->of->counted) {
        /* read to the end: the count, with no pass of its own (unless a
         * run came back short, when no count is right) */
        int whole = 1;
        for (size_t i = 0; i < r->n; i++)
            whole &= !r->in[i]->error;
        if (whole) {
            r->of->edges = r->edges;
            r->of->counted = 1;
        }
    }
    return e;
}

int run_reader_close(run_reader *r, relmap_error *err)
{
    int error = merge_close(r);
    if (!error)
        return 0;
    return seterr(err, RELMAP_EIO, NULL, 0, 0,
                  "the graph's edges written to a temporary file could not be read back: %s",
                  error < 0 ? "the file is short" : strerror(error));
}

size_t runs_edge_count(graph_runs *runs)
{
    if (!runs->counted) { /* a pass over the runs; an error shows when they are rendered */
        run_reader *m = run_reader_open(runs);
        m->count_only = 1;
        while (run_reader_next(m))
            ;
        runs->edges = m->edges;
        runs->counted = 1;
        merge_close(m);
    }
    return runs->edges;
}

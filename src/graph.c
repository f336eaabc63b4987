/*
 * graph.c - merging sentence-level matches into one graph.
 *
 * Merging is associative and commutative: counts add, document sets unite,
 * and the evidence kept is the first few by (document, line, sentence), so
 * shards merged in any order give the same graph as one build. It is also
 * why a graph may keep its edges under a memory limit: past it they go to
 * disk as sorted runs (spill.c), merged again as they are read back.
 */
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "spill.h"

/* What the graph's memory is reckoned in: an allocation of n bytes, with
 * malloc's overhead, and a map's entry, with the free slots beside it. */
#define ALLOC_COST(n) ((n) + 16)
#define SLOT_COST (2 * sizeof(strmap_entry))

relmap_graph *relmap_graph_new(void)
{
    return xcalloc(1, sizeof(relmap_graph));
}

static void free_node(void *p)
{
    gnode *n = p;
    free(n->name);
    free(n->type);
    free(n->country);
    free(n);
}

static void free_edge(void *p)
{
    gedge *e = p;
    /* names and document names are the graph's, interned */
    free(e->documents);
    for (size_t i = 0; i < e->nevidence; i++) {

        free(e->evidence[i].sentence);
    }
    free(e);
}

void relmap_graph_free(relmap_graph *g)
{
    if (!g)
        return;
    graph_clear_edges(g);
    strmap_free(&g->nodes, free_node);
    runs_free(g->runs);
    free(g);
}

void graph_clear_edges(relmap_graph *g)
{
    strmap_free(&g->edges, free_edge);
    strmap_free(&g->strings, NULL);
    memset(&g->edges, 0, sizeof g->edges);
    memset(&g->strings, 0, sizeof g->strings);
    g->last_document = NULL;
    g->memory_used = 0;
}

void relmap_graph_set_memory_limit(relmap_graph *g, size_t bytes)
{
    g->memory_limit = bytes;
}

int relmap_graph_finish(relmap_graph *g, relmap_error *err)
{
    return g->runs ? runs_finish(g, err) : 0;
}

/* Past the limit, the edges go to disk. */
static void check_memory(relmap_graph *g)
{
    if (g->memory_limit && g->memory_used > g->memory_limit)
        runs_spill(g);
}

/* Conflicting descriptions of one node resolve the same whatever the order:
 * a non-empty value beats an empty one, then the smaller string wins. */
static void prefer(char **slot, const char *value)
{
    if (!value || !value[0])
        return;
    if (!(*slot)[0] || strcmp(value, *slot) < 0) {
        free(*slot);
        *slot = xstrdup(value);
    }
}

void graph_add_node(relmap_graph *g, const char *name, const char *type, const char *country)
{
    gnode *n = strmap_get(&g->nodes, name);
    if (!n) {
        n = xcalloc(1, sizeof *n);
        n->name = xstrdup(name);
        n->type = xstrdup("");
        n->country = xstrdup("");
        strmap_put(&g->nodes, name, n);
    }
    prefer(&n->type, type);
    if (country && strcmp(country, name) != 0)
        prefer(&n->country, country);
}

/* One copy of each name and document name for the whole graph: edges point
 * to it, so memory grows with the entities and documents, not with the
 * edges or (edge, document) pairs. */
static const char *intern(relmap_graph *g, const char *s)
{
    size_t before = g->strings.count;
    const char *copy = strmap_intern(&g->strings, s);
    if (g->strings.count != before)
        g->memory_used += ALLOC_COST(strlen(copy) + 1) + SLOT_COST;
    return copy;
}

/* The key "source\x1frelation\x1ftarget" of *n bytes: in `local` when it
 * fits (cap bytes), else new, to be freed when it is not `local`. */
static char *edge_key(char *local, size_t cap, const char *s, const char *r, const char *t,
                      size_t *n)
{
    size_t ns = strlen(s), nr = strlen(r), nt = strlen(t);
    *n = ns + nr + nt + 2;
    char *key = *n < cap ? local : xmalloc(*n + 1);
    memcpy(key, s, ns);
    key[ns] = '\x1f';
    memcpy(key + ns + 1, r, nr);
    key[ns + 1 + nr] = '\x1f';
    memcpy(key + ns + nr + 2, t, nt);
    key[*n] = '\0';
    return key;
}

static gedge *get_edge(relmap_graph *g, const char *s, const char *r, const char *t)
{
    char local[256];
    size_t n;
    char *key = edge_key(local, sizeof local, s, r, t, &n);
    gedge *e = strmap_getn(&g->edges, key, n);
    if (!e) {
        e = xcalloc(1, sizeof *e);
        e->source = (char *)intern(g, s);
        e->relation = (char *)intern(g, r);
        e->target = (char *)intern(g, t);
        strmap_putn(&g->edges, key, n, e);
        g->memory_used += ALLOC_COST(sizeof *e) + ALLOC_COST(n + 1) + SLOT_COST;
    }
    if (key != local)
        free(key);
    return e;
}

static void add_document(relmap_graph *g, gedge *e, const char *doc)
{
    size_t lo = 0, hi = e->ndocuments;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(e->documents[mid], doc);
        if (c == 0)
            return;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    XGROW(e->documents, e->documents_cap, e->ndocuments + 1);
    memmove(e->documents + lo + 1, e->documents + lo, (e->ndocuments - lo) * sizeof *e->documents);
    e->documents[lo] = (char *)doc;
    e->ndocuments++;
    g->memory_used += 2 * sizeof *e->documents; /* the array doubles as it grows */
}

static int evidence_cmp(const char *d1, unsigned l1, const char *s1, const char *d2, unsigned l2,
                        const char *s2)
{
    int c = strcmp(d1, d2);
    if (c)
        return c;
    if (l1 != l2)
        return l1 < l2 ? -1 : 1;
    return strcmp(s1, s2);
}

static void add_evidence(relmap_graph *g, gedge *e, const char *doc, unsigned line,
                         const char *sentence)
{
    size_t at = e->nevidence;
    while (at > 0) {
        const gevidence *v = &e->evidence[at - 1];
        int c = evidence_cmp(doc, line, sentence, v->document, v->line, v->sentence);
        if (c == 0)
            return;
        if (c > 0)
            break;
        at--;
    }
    if (at >= EVIDENCE_MAX)
        return;
    if (e->nevidence == EVIDENCE_MAX) {
        char *dropped = e->evidence[EVIDENCE_MAX - 1].sentence;
        g->memory_used -= ALLOC_COST(strlen(dropped) + 1);
        free(dropped);
        e->nevidence--;
    }
    memmove(e->evidence + at + 1, e->evidence + at, (e->nevidence - at) * sizeof *e->evidence);
    size_t n = strlen(sentence);
    e->evidence[at] = (gevidence){(char *)doc, line, xstrndup(sentence, n)};
    e->nevidence++;
    g->memory_used += ALLOC_COST(n + 1);
}

void relmap_graph_add(relmap_graph *g, const relmap_match *m)
{
    graph_add_node(g, m->source, m->source_type, m->source_country);
    graph_add_node(g, m->target, m->target_type, m->target_country);
    gedge *e = get_edge(g, m->source, m->relation, m->target);
    e->count++;
    /* a document's matches come together: its name is interned once */
    if (!g->last_document || strcmp(g->last_document, m->document) != 0)
        g->last_document = intern(g, m->document);
    const char *doc = g->last_document;
    add_document(g, e, doc);
    add_evidence(g, e, doc, m->line, m->evidence ? m->evidence : "");
    check_memory(g);
}

void graph_merge_edge(relmap_graph *g, const char *source, const char *relation,
                      const char *target, const gedge *from)
{
    gedge *r = get_edge(g, source, relation, target);
    r->count += from->count;
    for (size_t k = 0; k < from->ndocuments; k++)
        add_document(g, r, intern(g, from->documents[k]));
    for (size_t k = 0; k < from->nevidence; k++)
        add_evidence(g, r, intern(g, from->evidence[k].document), from->evidence[k].line,
                     from->evidence[k].sentence);
    check_memory(g);
}

static int node_cmp(const void *a, const void *b)
{
    return strcmp((*(gnode *const *)a)->name, (*(gnode *const *)b)->name);
}

int triple_cmp(const char *s1, const char *r1, const char *t1, const char *s2, const char *r2,
               const char *t2)
{
    int c = strcmp(s1, s2);
    if (!c)
        c = strcmp(r1, r2);
    if (!c)
        c = strcmp(t1, t2);
    return c;
}

static int edge_cmp(const void *a, const void *b)
{
    const gedge *x = *(gedge *const *)a, *y = *(gedge *const *)b;
    return triple_cmp(x->source, x->relation, x->target, y->source, y->relation, y->target);
}

static void **collect(const strmap *m, size_t *count)
{
    void **items = xmalloc((m->count + 1) * sizeof *items);
    size_t k = 0;
    for (size_t i = 0; i < m->capacity; i++)
        if (m->slots[i].key)
            items[k++] = m->slots[i].value;
    *count = k;
    return items;
}

gnode **graph_sorted_nodes(const relmap_graph *g, size_t *count)
{
    gnode **nodes = (gnode **)collect(&g->nodes, count);
    qsort(nodes, *count, sizeof *nodes, node_cmp);
    return nodes;
}

gedge **graph_sorted_edges(const relmap_graph *g, size_t *count)
{
    gedge **edges = (gedge **)collect(&g->edges, count);
    qsort(edges, *count, sizeof *edges, edge_cmp);
    return edges;
}

static const char *top_of(const relmap_graph *g, const char *name)
{
    const gnode *n = strmap_get(&g->nodes, name);
    return n && n->country[0] ? n->country : name;
}

int graph_edges_open(graph_edges *it, const relmap_graph *g, relmap_error *err)
{
    memset(it, 0, sizeof *it);
    if (g->runs) {
        /* finishing changes how the edges are kept, not the graph */
        int rc = relmap_graph_finish((relmap_graph *)g, err);
        if (rc < 0)
            return rc;
        it->reader = run_reader_open(g->runs);
        return 0;
    }
    it->sorted = graph_sorted_edges(g, &it->count);
    return 0;
}

const gedge *graph_edges_next(graph_edges *it)
{
    if (it->reader)
        return run_reader_next(it->reader);
    return it->next < it->count ? it->sorted[it->next++] : NULL;
}

int graph_edges_close(graph_edges *it, relmap_error *err)
{
    int rc = it->reader ? run_reader_close(it->reader, err) : 0;
    free(it->sorted);
    memset(it, 0, sizeof *it);
    return rc;
}

relmap_graph *relmap_graph_rollup(const relmap_graph *g)
{
    relmap_graph *out = relmap_graph_new();
    graph_edges it;
    if (graph_edges_open(&it, g, NULL) < 0) {
        runs_set_failed(out);
        return out;
    }
    for (const gedge *e; (e = graph_edges_next(&it));) {
        const char *s = top_of(g, e->source), *t = top_of(g, e->target);
        if (!strcmp(s, t))
            continue;
        const gnode *sn = strmap_get(&g->nodes, s), *tn = strmap_get(&g->nodes, t);
        graph_add_node(out, s, sn ? sn->type : "country", "");
        graph_add_node(out, t, tn ? tn->type : "country", "");
        graph_merge_edge(out, s, e->relation, t, e);
    }
    if (graph_edges_close(&it, NULL) < 0)
        runs_set_failed(out); /* rendering it says so */
    return out;
}

size_t relmap_graph_node_count(const relmap_graph *g) { return g->nodes.count; }

size_t relmap_graph_edge_count(const relmap_graph *g)
{
    if (!g->runs)
        return g->edges.count;
    relmap_graph_finish((relmap_graph *)g, NULL);
    return runs_edge_count(g->runs);
}

unsigned relmap_graph_edge_weight(const relmap_graph *g, const char *s, const char *r,
                                  const char *t)
{
    if (g->runs) { /* read through the edges on disk */
        graph_edges it;
        unsigned count = 0;
        if (graph_edges_open(&it, g, NULL) == 0)
            for (const gedge *e; (e = graph_edges_next(&it));)
                if (!triple_cmp(e->source, e->relation, e->target, s, r, t)) {
                    count = e->count;
                    break;
                }
        graph_edges_close(&it, NULL);
        return count;
    }
    char local[256];
    size_t n;
    char *key = edge_key(local, sizeof local, s, r, t, &n);
    const gedge *e = strmap_getn(&g->edges, key, n);
    if (key != local)
        free(key);
    return e ? e->count : 0;
}

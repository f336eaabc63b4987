/*
 * graph.h - the merged graph's layout, for the renderer and the TSV reader.
 */
#ifndef RELMAP_GRAPH_H
#define RELMAP_GRAPH_H

#include "util.h"

#define EVIDENCE_MAX 5

typedef struct gnode {
    char *name;
    char *type;
    char *country; /* "" when it is a top */
} gnode;

typedef struct gevidence {
    char *document;
    unsigned line;
    char *sentence;
} gevidence;

typedef struct gedge {
    char *source, *relation, *target; /* the graph's interned strings */
    unsigned count;
    char **documents; /* sorted, unique; the graph's interned names */
    size_t ndocuments, documents_cap;
    gevidence evidence[EVIDENCE_MAX]; /* the first by (document, line) */
    size_t nevidence;
} gedge;

typedef struct graph_runs graph_runs; /* spill.c */

struct relmap_graph {
    strmap nodes; /* name -> gnode* */
    strmap edges; /* "source\x1frelation\x1ftarget" -> gedge* */
    strmap strings; /* interned names and document names (key and value alike) */
    const char *last_document; /* the interned name of the last match's document */
    size_t memory_limit; /* bytes the edges may take before they go to disk; 0: no limit */
    size_t memory_used;  /* what `edges` and `strings` take, about */
    graph_runs *runs;    /* the edges on disk (spill.c), or NULL */
};

/* Free the edges held in memory (spill.c, once they are on disk). */
void graph_clear_edges(relmap_graph *g);

/* The edges in order of (source, relation, target), from memory or from
 * disk; each is valid until the next is asked for. */
typedef struct graph_edges {
    gedge **sorted;
    size_t count, next;
    struct run_reader *reader;
} graph_edges;

/* 0, or RELMAP_EIO when the edges on disk cannot be merged. */
int graph_edges_open(graph_edges *it, const relmap_graph *g, relmap_error *err);
const gedge *graph_edges_next(graph_edges *it);
/* 0, or RELMAP_EIO when the edges on disk could not all be read back. */
int graph_edges_close(graph_edges *it, relmap_error *err);

/* Nodes and edges sorted by name and by (source, relation, target); the
 * arrays are new, the items are the graph's. The edges are those in memory:
 * graph_edges reads them all. */
gnode **graph_sorted_nodes(const relmap_graph *g, size_t *count);
gedge **graph_sorted_edges(const relmap_graph *g, size_t *count);

/* The order of edges: by source, relation, target. */
int triple_cmp(const char *s1, const char *r1, const char *t1, const char *s2, const char *r2,
               const char *t2);

/* Add a node, or complete what is known of it. */
void graph_add_node(relmap_graph *g, const char *name, const char *type, const char *country);

/* Merge into (source, relation, target) the count, documents and evidence
 * of `from` (an edge of another graph, or one being read). */
void graph_merge_edge(relmap_graph *g, const char *source, const char *relation,
                      const char *target, const gedge *from);

/* Read relmap's DOT from memory (`text` NUL-terminated at `length`);
 * `path` names it in errors. */
int graph_read_dot_text(relmap_graph *graph, const char *path, const char *text, size_t length,
                        relmap_error *err);

#endif

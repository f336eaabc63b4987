/*
 * diff.h - the changes between two graphs, as diff.c finds them and
 * render.c draws them.
 */
#ifndef RELMAP_DIFF_H
#define RELMAP_DIFF_H

#include "graph.h"

enum change_kind { CHANGE_SAME, CHANGE_ADDED, CHANGE_REMOVED, CHANGE_CHANGED };

typedef struct edge_change {
    const char *source, *relation, *target;
    unsigned old_count, new_count;
    int kind;
} edge_change;

typedef struct node_change {
    const char *name, *type, *country;
    int kind;
} node_change;

typedef struct diff_result {
    edge_change *edges; /* sorted by (source, relation, target) */
    size_t nedges;
    node_change *nodes; /* sorted by name */
    size_t nnodes;
    size_t counts[4];      /* edges per change_kind */
    size_t node_counts[4]; /* nodes per change_kind */
} diff_result;

/* The union graph, coloured by change, as DOT or SVG (render.c). */
int render_diff(char **out, size_t *length, const diff_result *d, const relmap_rules *rules,
                int svg, int changed_only, relmap_error *err);

#endif

/*
 * diff.c - what changed between two graphs.
 *
 * Nodes are matched by canonical name and edges by (source, relation,
 * target), through the graphs' hash maps: one pass over each side, so the
 * time grows with the number of edges, not with its square. The changes come
 * out sorted, so the same two inputs always give the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"

static const char *const change_mark[] = {"=", "+", "-", "~"};
static const char *const change_name[] = {"unchanged", "added", "removed", "changed"};

static int wanted(const relmap_diff_options *o, const char *relation)
{
    if (!o || !o->nrelations)
        return 1;
    for (size_t i = 0; i < o->nrelations; i++)
        if (!strcmp(o->relations[i], relation))
            return 1;
    return 0;
}

static int edge_change_cmp(const void *a, const void *b)
{
    const edge_change *x = a, *y = b;
    return triple_cmp(x->source, x->relation, x->target, y->source, y->relation, y->target);
}

static int node_change_cmp(const void *a, const void *b)
{
    return strcmp(((const node_change *)a)->name, ((const node_change *)b)->name);
}

/* Mark the nodes an edge of `side` touches (1 old, 2 new) in `seen`. */
static void touch(strmap *seen, const char *name, intptr_t side)
{
    intptr_t was = (intptr_t)strmap_get(seen, name);
    strmap_put(seen, name, (void *)(was | side));
}

static void compare(diff_result *d, const relmap_graph *old_graph, const relmap_graph *new_graph,
                    const relmap_diff_options *o)
{
    size_t cap = 0;
    strmap seen = {0}; /* node name -> 1 old, 2 new, 3 both */
    const relmap_graph *sides[2] = {old_graph, new_graph};
    for (int side = 0; side < 2; side++) {
        const relmap_graph *g = sides[side], *other = sides[1 - side];
        for (size_t i = 0; i < g->edges.capacity; i++) {
            const gedge *e = g->edges.slots[i].value;
            if (!g->edges.slots[i].key || !wanted(o, e->relation))
                continue;
            touch(&seen, e->source, side + 1);
            touch(&seen, e->target, side + 1);
            const gedge *twin = strmap_get(&other->edges, g->edges.slots[i].key);
            if (side == 1 && twin)
                continue; /* met from the old side already */
            XGROW(d->edges, cap, d->nedges + 1);
            edge_change *c = &d->edges[d->nedges++];
            memset(c, 0, sizeof *c);
            c->source = e->source;
            c->relation = e->relation;
            c->target = e->target;
            if (side == 0) {
                c->old_count = e->count;
                c->new_count = twin ? twin->count : 0;
                c->kind = !twin ? CHANGE_REMOVED
                          : twin->count != e->count ? CHANGE_CHANGED
                                                    : CHANGE_SAME;
            } else {
                c->new_count = e->count;
                c->kind = CHANGE_ADDED;
            }
            d->counts[c->kind]++;
        }
    }
    size_t ncap = 0;
    for (size_t i = 0; i < seen.capacity; i++) {
        if (!seen.slots[i].key)
            continue;
        intptr_t where = (intptr_t)seen.slots[i].value;
        const char *name = seen.slots[i].key;
        const gnode *n = strmap_get(&(where & 2 ? new_graph : old_graph)->nodes, name);
        XGROW(d->nodes, ncap, d->nnodes + 1);
        node_change *c = &d->nodes[d->nnodes++];
        c->name = n->name;
        c->type = n->type;
        c->country = n->country;
        c->kind = where == 3 ? CHANGE_SAME : where == 2 ? CHANGE_ADDED : CHANGE_REMOVED;
        d->node_counts[c->kind]++;
    }
    strmap_free(&seen, NULL);
    if (d->nedges)
        qsort(d->edges, d->nedges, sizeof *d->edges, edge_change_cmp);
    if (d->nnodes)
        qsort(d->nodes, d->nnodes, sizeof *d->nodes, node_change_cmp);
}

static void add_json_string(strbuf *sb, const char *s)
{
    sb_addc(sb, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_addf(sb, "\\%c", c);
        else if (c < 0x20)
            sb_addf(sb, "\\u%04x", c);
        else
            sb_addc(sb, (char)c);
    }
    sb_addc(sb, '"');
}

static void summary(strbuf *sb, const diff_result *d)
{
    size_t changes = d->counts[1] + d->counts[2] + d->counts[3] + d->node_counts[1]
                     + d->node_counts[2];
    if (!changes) {
        sb_addf(sb, "no differences (%zu edges, %zu nodes)\n", d->counts[0], d->nnodes);
        return;
    }
    sb_addf(sb,
            "%zu edge%s added, %zu removed, %zu changed, %zu unchanged; %zu node%s added, %zu "
            "removed\n",
            d->counts[1], d->counts[1] == 1 ? "" : "s", d->counts[2], d->counts[3], d->counts[0],
            d->node_counts[1], d->node_counts[1] == 1 ? "" : "s", d->node_counts[2]);
}

static void render_text(strbuf *sb, const diff_result *d)
{
    for (size_t i = 0; i < d->nedges; i++) {
        const edge_change *c = &d->edges[i];
        if (c->kind == CHANGE_SAME)
            continue;
        sb_addf(sb, "%s %s -%s-> %s ", change_mark[c->kind], c->source, c->relation, c->target);
        if (c->kind == CHANGE_CHANGED)
            sb_addf(sb, "%u -> %u\n", c->old_count, c->new_count);
        else
            sb_addf(sb, "(%u)\n", c->kind == CHANGE_ADDED ? c->new_count : c->old_count);
    }
    for (size_t i = 0; i < d->nnodes; i++) {
        const node_change *c = &d->nodes[i];
        if (c->kind != CHANGE_SAME)
            sb_addf(sb, "%s node %s (%s)\n", change_mark[c->kind], c->name,
                    c->type[0] ? c->type : "entity");
    }
    summary(sb, d);
}

static void render_tsv(strbuf *sb, const diff_result *d)
{
    sb_adds(sb, "change\tkind\tsource\trelation\ttarget\told_count\tnew_count\n");
    for (size_t i = 0; i < d->nedges; i++) {
        const edge_change *c = &d->edges[i];
        if (c->kind == CHANGE_SAME)
            continue;
        sb_addf(sb, "%s\tedge\t", change_name[c->kind]);
        sb_add_tsv(sb, c->source);
        sb_addc(sb, '\t');
        sb_add_tsv(sb, c->relation);
        sb_addc(sb, '\t');
        sb_add_tsv(sb, c->target);
        sb_addf(sb, "\t%u\t%u\n", c->old_count, c->new_count);
    }
    for (size_t i = 0; i < d->nnodes; i++) {
        const node_change *c = &d->nodes[i];
        if (c->kind == CHANGE_SAME)
            continue;
        sb_addf(sb, "%s\tnode\t", change_name[c->kind]);
        sb_add_tsv(sb, c->name);
        sb_adds(sb, "\t\t\t\t\n");
    }
}

static void render_json(strbuf *sb, const diff_result *d)
{
    sb_adds(sb, "{\n  \"edges\": [");
    int first = 1;
    for (size_t i = 0; i < d->nedges; i++) {
        const edge_change *c = &d->edges[i];
        if (c->kind == CHANGE_SAME)
            continue;
        sb_addf(sb, "%s\n    {\"change\": \"%s\", \"source\": ", first ? "" : ",",
                change_name[c->kind]);
        add_json_string(sb, c->source);
        sb_adds(sb, ", \"relation\": ");
        add_json_string(sb, c->relation);
        sb_adds(sb, ", \"target\": ");
        add_json_string(sb, c->target);
        sb_addf(sb, ", \"old\": %u, \"new\": %u}", c->old_count, c->new_count);
        first = 0;
    }
    sb_adds(sb, first ? "],\n  \"nodes\": [" : "\n  ],\n  \"nodes\": [");
    first = 1;
    for (size_t i = 0; i < d->nnodes; i++) {
        const node_change *c = &d->nodes[i];
        if (c->kind == CHANGE_SAME)
            continue;
        sb_addf(sb, "%s\n    {\"change\": \"%s\", \"name\": ", first ? "" : ",",
                change_name[c->kind]);
        add_json_string(sb, c->name);
        sb_adds(sb, ", \"type\": ");
        add_json_string(sb, c->type);
        sb_adds(sb, "}");
        first = 0;
    }
    sb_addf(sb,
            "%s,\n  \"summary\": {\"edges_added\": %zu, \"edges_removed\": %zu, \"edges_changed\": "
            "%zu, \"edges_unchanged\": %zu, \"nodes_added\": %zu, \"nodes_removed\": %zu}\n}\n",
            first ? "]" : "\n  ]", d->counts[1], d->counts[2], d->counts[3], d->counts[0],
            d->node_counts[1], d->node_counts[2]);
}

int relmap_diff(char **out, size_t *length, size_t *changes, const relmap_graph *old_graph,
                const relmap_graph *new_graph, const relmap_rules *rules,
                relmap_diff_format format, const relmap_diff_options *options, relmap_error *err)
{
    *out = NULL;
    *length = 0;
    if (old_graph->runs || new_graph->runs)
        return seterr(err, RELMAP_EUSAGE, NULL, 0, 0,
                      "cannot diff a graph whose edges went to disk (give it no memory limit)");
    relmap_graph *old_up = NULL, *new_up = NULL;
    if (options && options->country_level) {
        old_graph = old_up = relmap_graph_rollup(old_graph);
        new_graph = new_up = relmap_graph_rollup(new_graph);
    }
    diff_result d = {0};
    compare(&d, old_graph, new_graph, options);
    *changes = d.counts[1] + d.counts[2] + d.counts[3] + d.node_counts[1] + d.node_counts[2];
    int rc = 0;
    strbuf sb = {0};
    switch (format) {
    case RELMAP_DIFF_TEXT:
        render_text(&sb, &d);
        break;
    case RELMAP_DIFF_TSV:
        render_tsv(&sb, &d);
        break;
    case RELMAP_DIFF_JSON:
        render_json(&sb, &d);
        break;
    case RELMAP_DIFF_DOT:
    case RELMAP_DIFF_SVG:
        rc = render_diff(out, length, &d, rules, format == RELMAP_DIFF_SVG,
                         options && options->changed_only, err);
        break;
    }
    if (format != RELMAP_DIFF_DOT && format != RELMAP_DIFF_SVG) {
        *length = sb.length;
        *out = sb_detach(&sb);
    }
    free(d.edges);
    free(d.nodes);
    relmap_graph_free(old_up);
    relmap_graph_free(new_up);
    return rc;
}

/*
 * render.c - the graph as DOT, SVG (Graphviz dot layout), JSON and TSV.
 *
 * Every Graphviz call of relmap lives here, with the casts Graphviz 2.42's
 * char * API needs. Node and edge ids are generated (n0, e0 ...); names and
 * evidence go into labels and tooltips, escaped, so no corpus text can break
 * the DOT or the SVG. The layout and render plugins are loaded by path.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "diff.h"
#include "graph.h"
#include "rules.h"

/* The plugins, loaded when a graph is first made: a command that draws
 * nothing does not map them (the neato plugin brings GTS, GLib and
 * libstdc++; CMakeLists.txt gives the paths). */
static const struct {
    const char *path, *symbol;
} plugins[] = {
    {RELMAP_GV_PLUGIN_DOT, "gvplugin_dot_layout_LTX_library"},
    {RELMAP_GV_PLUGIN_CORE, "gvplugin_core_LTX_library"},
    {RELMAP_GV_PLUGIN_NEATO, "gvplugin_neato_layout_LTX_library"},
};
#define NPLUGINS (sizeof plugins / sizeof *plugins)

/* One context per process: gvc leaks a little on free, so it lives until
 * exit, as do the plugins. NULL, with err set, when a plugin cannot be
 * loaded. */
static GVC_t *context(relmap_error *err)
{
    static GVC_t *gvc;
    static lt_symlist_t preloaded[NPLUGINS + 1];
    if (gvc)
        return gvc;
    for (size_t i = 0; i < NPLUGINS; i++) {
        void *lib = dlopen(plugins[i].path, RTLD_NOW | RTLD_LOCAL);
        void *symbol = lib ? dlsym(lib, plugins[i].symbol) : NULL;
        if (!symbol) {
            const char *why = dlerror();
            seterr(err, RELMAP_ERENDER, NULL, 0, 0, "cannot load Graphviz's plugin: %s",
                   why ? why : plugins[i].path);
            if (lib)
                dlclose(lib);
            return NULL;
        }
        preloaded[i] = (lt_symlist_t){plugins[i].symbol, symbol};
    }
    gvc = gvContextPlugins(preloaded, 0);
    if (!gvc)
        seterr(err, RELMAP_ERENDER, NULL, 0, 0, "cannot start Graphviz");
    return gvc;
}

int relmap_format_from_path(relmap_format *out, const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return RELMAP_EUSAGE;
    if (!strcmp(dot, ".dot") || !strcmp(dot, ".gv"))
        *out = RELMAP_FORMAT_DOT;
    else if (!strcmp(dot, ".svg"))
        *out = RELMAP_FORMAT_SVG;
    else if (!strcmp(dot, ".json"))
        *out = RELMAP_FORMAT_JSON;
    else if (!strcmp(dot, ".tsv"))
        *out = RELMAP_FORMAT_TSV;
    else
        return RELMAP_EUSAGE;
    return 0;
}

/* ------------------------------------------------------------- escaping */

/* For label and tooltip, which read backslash escapes (\N, \G, \n ...).
 * DOT cannot end a quoted string with a backslash, so one more space
 * follows a trailing one. */
static const char *backslash_doubled(unsigned char c)
{
    (void)c; /* the only special byte */
    return "\\\\";
}

static void add_esc(strbuf *sb, const char *s)
{
    sb_add_escaped(sb, s, "\\", backslash_doubled);
    if (sb->length && sb->data[sb->length - 1] == '\\')
        sb_addc(sb, ' ');
}

/* The bytes add_xml and add_json change: control bytes and their own. */
#define CONTROL_BYTES                                                                       \
    "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17" \
    "\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"

static const char *xml_escape(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    case '\n': return "&#10;";
    default: return " "; /* another control byte */
    }
}

static void add_xml(strbuf *sb, const char *s)
{
    sb_add_escaped(sb, s, "&<>\"'" CONTROL_BYTES, xml_escape);
}

static const char *json_escape(unsigned char c)
{
    static const char *const controls[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\u0008", "\\t",     "\\n",     "\\u000b", "\\u000c", "\\u000d", "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
    return c == '"' ? "\\\"" : c == '\\' ? "\\\\" : controls[c];
}

static void add_json(strbuf *sb, const char *s)
{
    sb_addc(sb, '"');
    sb_add_escaped(sb, s, "\"\\" CONTROL_BYTES, json_escape);
    sb_addc(sb, '"');
}

/* ------------------------------------------------------------ the look */

typedef struct look {
    const char *color, *style, *label;
} look;

static look relation_look(const relmap_rules *rules, const char *name)
{
    if (rules) {
        int r = rules_find_relation(rules, name);
        if (r >= 0)
            return (look){rules->relations[r].color, rules->relations[r].style,
                          rules->relations[r].label};
    }
    return (look){"#555555", "solid", name};
}

static const char *shape_of(const char *type)
{
    if (!strcmp(type, "country"))
        return "box3d";
    if (!strcmp(type, "person"))
        return "ellipse";
    if (!strcmp(type, "group"))
        return "hexagon";
    if (!strcmp(type, "media"))
        return "note";
    return "box";
}

static const char *fill_of(const char *type)
{
    if (!strcmp(type, "country"))
        return "#fff2cc";
    if (!strcmp(type, "person"))
        return "#dae8fc";
    if (!strcmp(type, "group"))
        return "#f8cecc";
    return "#eeeeee";
}

/* "A accuses B: 3 sentences in 2 documents", the evidence, "(and N more)"
 * and the documents, a line each (without printf: a graph has an edge
 * tooltip for every edge, and a document list can be long). */
static void edge_tooltip(strbuf *sb, const gedge *e)
{
    sb_adds(sb, e->source);
    sb_addc(sb, ' ');
    sb_adds(sb, e->relation);
    sb_addc(sb, ' ');
    sb_adds(sb, e->target);
    sb_add(sb, ": ", 2);
    sb_add_uint(sb, e->count);
    sb_adds(sb, e->count == 1 ? " sentence in " : " sentences in ");
    sb_add_uint(sb, e->ndocuments);
    sb_adds(sb, e->ndocuments == 1 ? " document" : " documents");
    for (size_t i = 0; i < e->nevidence; i++) {
        sb_addc(sb, '\n');
        sb_adds(sb, e->evidence[i].document);
        sb_addc(sb, ':');
        sb_add_uint(sb, e->evidence[i].line);
        sb_add(sb, ": ", 2);
        sb_adds(sb, e->evidence[i].sentence);
    }
    if (e->count > e->nevidence) {
        sb_adds(sb, "\n(and ");
        sb_add_uint(sb, e->count - (unsigned)e->nevidence);
        sb_adds(sb, " more)");
    }
    sb_adds(sb, "\ndocuments:");
    for (size_t i = 0; i < e->ndocuments; i++) {
        sb_adds(sb, i ? ", " : " ");
        sb_adds(sb, e->documents[i]);
    }
}

/* An element's id: the prefix ('n' node, 'e' edge) and the number, as
 * "%c%zu" prints them (room for 22 bytes). A graph names every node and
 * edge so. */
static void element_id(char *out, char prefix, size_t number)
{
    out[0] = prefix;
    format_uint(out + 1, number);
}

/* ------------------------------------------------------------ cgraph */

/* cgraph's default ID discipline makes a named object's ID the address of
 * its name, and keeps subgraphs in ID order, so clusters came out in a
 * different order from run to run. This discipline hands out IDs in
 * creation order and keeps the names itself, for agnameof to ask it
 * (id_print). Left to cgraph's internal map, a node's name came back from
 * agnameof as "%<id>" in one static buffer, which Graphviz 2.42's SVG edge
 * title ("\E", tail->head) reads for both ends: sized by the tail's name and
 * written with the head's, a heap overrun whenever the head's number had
 * more digits. */
typedef struct id_names {
    /* per kind (graph, node, edge): name -> 1 + index; the map's copy of
     * each name is the one `names` points at */
    strmap by_name[3];
    const char **names; /* by index, (id - 1) / 2: the name, or NULL */
    size_t count, cap;
} id_names;

static void *id_open(Agraph_t *g, Agdisc_t *disc)
{
    (void)g;
    (void)disc;
    return xcalloc(1, sizeof(id_names));
}

static long id_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
    id_names *s = state;
    strmap *by_name = &s->by_name[objtype == AGINEDGE ? AGOUTEDGE : objtype];
    if (str) {
        void *known = strmap_get(by_name, str);
        if (known) {
            *id = 2 * ((IDTYPE)(uintptr_t)known - 1) + 1;
            return 1;
        }
    }
    if (!createflag)
        return 0;
    size_t k = s->count++;
    XGROW(s->names, s->cap, s->count);
    s->names[k] = str ? strmap_putn_key(by_name, str, strlen(str), (void *)(uintptr_t)(k + 1))
                      : NULL;
    *id = 2 * (IDTYPE)k + 1;
    return 1;
}

static long id_alloc(void *state, int objtype, IDTYPE id)
{
    (void)state;
    (void)objtype;
    (void)id;
    return 0;
}

static void id_free(void *state, int objtype, IDTYPE id)
{
    (void)state;
    (void)objtype;
    (void)id;
}

static char *id_print(void *state, int objtype, IDTYPE id)
{
    (void)objtype;
    const id_names *s = state;
    size_t k = (size_t)((id - 1) / 2);
    /* cgraph's API has no const here; it only reads the name */
    return id % 2 && k < s->count ? (char *)s->names[k] : NULL;
}

static void id_close(void *state)
{
    id_names *s = state;
    free(s->names);
    for (size_t kind = 0; kind < 3; kind++)
        strmap_free(&s->by_name[kind], NULL);
    free(s);
}

static void id_register(void *state, int objtype, void *obj)
{
    (void)state;
    (void)objtype;
    (void)obj;
}

static Agiddisc_t sequential_ids = {id_open, id_map, id_alloc, id_free, id_print, id_close,
                                    id_register};
static Agdisc_t discipline = {&AgMemDisc, &sequential_ids, &AgIoDisc};

/* Where rendered text goes: a buffer, which, when `file` is set, is written
 * out whenever it holds a megabyte, so that a big graph's DOT, JSON or TSV is
 * never whole in memory. */
typedef struct outbuf {
    strbuf sb;
    atomic_file *file;
} outbuf;

static void spill(outbuf *o)
{
    if (o->file && o->sb.length >= (1u << 20)) {
        atomic_write(o->file, o->sb.data, o->sb.length);
        sb_clear(&o->sb);
    }
}

/* The graph as build_graph and render_diff make it: cgraph's objects, which
 * Graphviz lays out, or, for a .dot file, DOT text written as it goes, which
 * spares a copy of every string in cgraph (on big graphs, most of the time
 * and memory of writing DOT). Both take the same calls: a subgraph, a node
 * or an edge, then its attributes. */
typedef struct built {
    Agraph_t *g;          /* cgraph's graph, or NULL when writing text */
    relmap_layout layout; /* DOT or SFDP */
    int svg;              /* drawn here, not written as DOT */
    strmap titles;        /* svg element id -> title text (SVG only) */
    /* The text. Nodes come before edges, but the nodes of a cluster must be
     * written together: clusters and nodes outside them wait in their own
     * buffers until the first edge, then go to `out`, where the edges (most
     * of the text) are written directly. */
    const char *name;
    outbuf *out;
    strbuf head, loose;
    strbuf *clusters;
    size_t nclusters, clusters_cap;
    size_t written;     /* clusters [0, written) have gone to `out` */
    int started;        /* `out` has the header */
    strbuf *open;       /* the statement whose attribute list is open */
    void *open_obj;     /* its handle */
    int attrs;          /* attributes written in it */
    const char *indent; /* before its second and later attributes */
    strmap node_ids;    /* a text node's handle is its interned id */
} built;

/* Handles of a text graph: its root, the current edge, then the clusters */
#define TEXT_ROOT ((void *)1)
#define TEXT_EDGE ((void *)2)
#define TEXT_CLUSTER(k) ((void *)(intptr_t)(3 + (k)))
#define CLUSTER_INDEX(h) ((size_t)((intptr_t)(h) - 3))

static void *root_of(built *b)
{
    return b->g ? (void *)b->g : TEXT_ROOT;
}

static void text_close(built *b)
{
    if (b->open)
        sb_adds(b->open, "];\n");
    b->open = NULL;
}

static void text_open(built *b, strbuf *where, void *obj, const char *statement)
{
    text_close(b);
    b->indent = statement[1] == '\t' ? ",\n\t\t\t" : ",\n\t\t";
    sb_adds(where, statement);
    sb_adds(where, " [");
    b->open = where;
    b->open_obj = obj;
    b->attrs = 0;
}

/* Move what waits (the header, clusters, loose nodes) to `out`. */
static void text_flush(built *b)
{
    text_close(b);
    if (!b->started) {
        sb_addf(&b->out->sb, "digraph %s {\n", b->name);
        if (b->head.length)
            sb_add(&b->out->sb, b->head.data, b->head.length);
        /* the relmap_* attributes declared even when no node or edge has
         * them: an empty graph reads back as one */
        sb_adds(&b->out->sb, "\tnode [fontname=\"Helvetica\",\n\t\tstyle=\"filled\",\n"
                             "\t\trelmap_name=\"\",\n\t\trelmap_type=\"\",\n"
                             "\t\trelmap_country=\"\"];\n"
                             "\tedge [fontname=\"Helvetica\",\n\t\tfontsize=\"10\",\n"
                             "\t\trelmap_relation=\"\",\n\t\trelmap_count=\"\",\n"
                             "\t\trelmap_documents=\"\"];\n");
        sb_free(&b->head);
        b->started = 1;
    }
    for (size_t i = b->written; i < b->nclusters; i++) {
        sb_add(&b->out->sb, b->clusters[i].data, b->clusters[i].length);
        sb_adds(&b->out->sb, "\t}\n");
        sb_free(&b->clusters[i]);
    }
    b->written = b->nclusters;
    if (b->loose.length)
        sb_add(&b->out->sb, b->loose.data, b->loose.length);
    sb_free(&b->loose);
}

static void *new_subgraph(built *b, const char *name)
{
    if (b->g)
        return agsubg(b->g, (char *)name, 1);
    text_close(b); /* it may be in the array that grows */
    XGROW(b->clusters, b->clusters_cap, b->nclusters + 1);
    strbuf *sb = &b->clusters[b->nclusters++];
    *sb = (strbuf){0};
    sb_addf(sb, "\tsubgraph %s {\n", name);
    void *handle = TEXT_CLUSTER(b->nclusters - 1);
    text_open(b, sb, handle, "\t\tgraph");
    return handle;
}

static void *new_node(built *b, void *parent, const char *id)
{
    if (b->g)
        return agnode(parent, (char *)id, 1);
    if (parent != TEXT_ROOT && CLUSTER_INDEX(parent) < b->written) {
        /* a cluster already written out: its nodes had to come first */
        fprintf(stderr, "relmap: internal error: node %s after its cluster was written\n", id);
        abort();
    }
    strbuf *where = parent == TEXT_ROOT ? &b->loose : &b->clusters[CLUSTER_INDEX(parent)];
    char statement[64]; /* one or two tabs, and the id */
    size_t tabs = where == &b->loose ? 1 : 2;
    memcpy(statement, "\t\t", tabs);
    snprintf(statement + tabs, sizeof statement - tabs, "%s", id);
    void *handle = (void *)strmap_intern(&b->node_ids, id);
    text_open(b, where, handle, statement);
    return handle;
}

static void *new_edge(built *b, void *tail, void *head, const char *id)
{
    if (b->g)
        return agedge(b->g, tail, head, (char *)id, 1);
    if (b->written < b->nclusters || b->loose.length || !b->started)
        text_flush(b);
    text_close(b);
    spill(b->out);
    char statement[160]; /* "\t<tail> -> <head>" */
    size_t nt = strlen(tail), nh = strlen(head);
    if (nt + nh + 6 <= sizeof statement) {
        statement[0] = '\t';
        memcpy(statement + 1, tail, nt);
        memcpy(statement + 1 + nt, " -> ", 4);
        memcpy(statement + 5 + nt, head, nh + 1);
    } else {
        snprintf(statement, sizeof statement, "\t%s -> %s", (const char *)tail, (const char *)head);
    }
    text_open(b, &b->out->sb, TEXT_EDGE, statement);
    return TEXT_EDGE;
}

/* name=value on obj (in text, on the open statement); html: an HTML-like label */
static const char *quote_escaped(unsigned char c)
{
    (void)c; /* the only special byte */
    return "\\\"";
}

static void put(built *b, void *obj, const char *name, const char *value, int html)
{
    if (b->g) {
        if (html) {
            char *label = agstrdup_html(b->g, (char *)value);
            agsafeset(obj, (char *)name, label, "");
            agstrfree(b->g, label);
        } else {
            agsafeset(obj, (char *)name, (char *)value, "");
        }
        return;
    }
    if (obj != b->open_obj) { /* a text graph takes attributes in order */
        fprintf(stderr, "relmap: internal error: attribute %s set out of order\n", name);
        abort();
    }
    strbuf *sb = b->open;
    sb_adds(sb, b->attrs++ ? b->indent : "");
    sb_adds(sb, name);
    sb_adds(sb, html ? "=<" : "=\"");
    if (html) {
        sb_adds(sb, value);
    } else {
        sb_add_escaped(sb, value, "\"", quote_escaped);
    }
    sb_addc(sb, html ? '>' : '"');
}

static void set(built *b, void *obj, const char *name, const char *value)
{
    put(b, obj, name, value, 0);
}

static void set_escaped(built *b, void *obj, const char *name, const char *value)
{
    strbuf sb = {0};
    add_esc(&sb, value);
    set(b, obj, name, sb.data ? sb.data : "");
    sb_free(&sb);
}

/* For the relmap_* attributes that diff reads back: '%' and '\\' are
 * percent-encoded, so that the value survives DOT's quoting whatever it
 * holds (see docs/rules.md, "DOT output"). */
static const char *percent_encoded(unsigned char c)
{
    return c == '%' ? "%25" : "%5C";
}

static void set_raw(built *b, void *obj, const char *name, const char *value)
{
    strbuf sb = {0};
    sb_add_escaped(&sb, value, "%\\", percent_encoded);
    set(b, obj, name, sb.data ? sb.data : "");
    sb_free(&sb);
}

/* Start the graph: cgraph's, or text. */
static void begin_graph(built *b, const char *name, int text)
{
    b->name = name;
    if (!text) {
        b->g = agopen((char *)name, Agdirected, &discipline);
        agattr(b->g, AGNODE, "fontname", "Helvetica");
        agattr(b->g, AGNODE, "style", "filled");
        agattr(b->g, AGEDGE, "fontname", "Helvetica");
        agattr(b->g, AGEDGE, "fontsize", "10");
    } else {
        text_open(b, &b->head, TEXT_ROOT, "\tgraph");
    }
}

/* Keep sb's text as the SVG title of element `id`; sb is left empty. */
static void keep_title(built *b, const char *id, strbuf *sb)
{
    if (b->svg)
        strmap_put(&b->titles, id, sb_detach(sb));
    else
        sb_free(sb);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The legend: a cluster titled `title` holding one plaintext node whose
 * label is the HTML table `html`, with `tooltip` as its SVG title. */
static void add_legend(built *b, const char *title, const char *tooltip, const char *html)
{
    void *legend = new_subgraph(b, "cluster_legend");
    set(b, legend, "label", title);
    set(b, legend, "style", "rounded");
    set(b, legend, "color", "#bbbbbb");
    void *node = new_node(b, legend, "legend");
    put(b, node, "label", html, 1);
    set(b, node, "shape", "plaintext");
    set(b, node, "style", "");
    set(b, node, "id", "legend");
    set(b, node, "tooltip", tooltip);
    if (b->svg)
        strmap_put(&b->titles, "legend", xstrdup(tooltip));
}

/* The cluster of `country`, made on first use. */
static void *cluster_of(built *b, strmap *clusters, const char *country, int *count)
{
    void *sub = strmap_get(clusters, country);
    if (!sub) {
        char name[32];
        snprintf(name, sizeof name, "cluster_%d", (*count)++);
        sub = new_subgraph(b, name);
        set_escaped(b, sub, "label", country);
        set(b, sub, "style", "rounded,dashed");
        set(b, sub, "color", "#999999");
        strmap_put(clusters, country, sub);
    }
    return sub;
}

static int build_graph(built *b, const relmap_graph *graph, const relmap_rules *rules,
                       relmap_error *err)
{
    begin_graph(b, "relations", !b->svg);
    void *g = root_of(b);
    set(b, g, "rankdir", "LR");
    set(b, g, "fontname", "Helvetica");
    set(b, g, "nodesep", "0.3");
    set(b, g, "ranksep", "0.9");
    set(b, g, "labelloc", "t");
    if (b->layout == RELMAP_LAYOUT_SFDP) {
        /* force-directed, nodes kept apart, straight edges drawn under the nodes */
        set(b, g, "overlap", "prism");
        set(b, g, "splines", "false");
        set(b, g, "outputorder", "edgesfirst");
        set(b, g, "quadtree", "fast"); /* a quarter faster than the default, no worse to see */
    }

    graph_edges edges;
    if (graph_edges_open(&edges, graph, err) < 0)
        return RELMAP_EIO;
    size_t nn;
    gnode **nodes = graph_sorted_nodes(graph, &nn);
    strmap ids = {0}; /* node name -> Agnode_t* */

    /* clusters: one per country that has members */
    strmap clusters = {0};
    int ncluster = 0;
    for (size_t i = 0; i < nn && b->layout == RELMAP_LAYOUT_DOT; i++) /* sfdp ignores clusters */
        if (nodes[i]->country[0])
            cluster_of(b, &clusters, nodes[i]->country, &ncluster);
    for (size_t i = 0; i < nn; i++) {
        const gnode *n = nodes[i];
        char id[24];
        element_id(id, 'n', i);
        void *home = n->country[0] ? strmap_get(&clusters, n->country) : NULL;
        if (!home)
            home = strmap_get(&clusters, n->name); /* a country sits in its own cluster */
        void *node = new_node(b, home ? home : g, id);
        set_escaped(b, node, "label", n->name);
        set(b, node, "shape", shape_of(n->type));
        set(b, node, "fillcolor", fill_of(n->type));
        set_escaped(b, node, "tooltip", n->name);
        set(b, node, "id", id);
        set_raw(b, node, "relmap_name", n->name);
        set(b, node, "relmap_type", n->type[0] ? n->type : "entity");
        set_raw(b, node, "relmap_country", n->country);
        strmap_put(&ids, n->name, node);
        strbuf title = {0};
        sb_addf(&title, "%s (%s%s%s)", n->name, n->type[0] ? n->type : "entity",
                n->country[0] ? ", " : "", n->country);
        keep_title(b, id, &title);
    }
    /* relations shown, for the legend, in order of first appearance by name */
    strmap shown = {0}; /* its keys: the relations' names */
    const char **relations = NULL;
    size_t nrel = 0, relations_cap = 0;
    size_t i = 0;
    for (const gedge *e; (e = graph_edges_next(&edges)); i++) {
        char id[24];
        element_id(id, 'e', i);
        void *edge = new_edge(b, strmap_get(&ids, e->source), strmap_get(&ids, e->target), id);
        look lk = relation_look(rules, e->relation);
        strbuf sb = {0};
        /* labels placed beside edges are what makes dot slow on big graphs and
         * what sfdp cannot place: there the count is the pen width and the title */
        if (b->layout == RELMAP_LAYOUT_DOT) {
            sb_adds(&sb, lk.label);
            sb_add(&sb, " (", 2);
            sb_add_uint(&sb, e->count);
            sb_addc(&sb, ')');
            set_escaped(b, edge, "xlabel", sb.data);
            sb_clear(&sb);
        }
        edge_tooltip(&sb, e);
        set_escaped(b, edge, "tooltip", sb.data);
        if (b->layout == RELMAP_LAYOUT_DOT && b->svg) /* DOT has it once, as tooltip */
            set_escaped(b, edge, "labeltooltip", sb.data);
        keep_title(b, id, &sb);
        set(b, edge, "color", lk.color);
        set(b, edge, "fontcolor", lk.color);
        set(b, edge, "style", lk.style);
        char width[32];
        snprintf(width, sizeof width, "%.2f", 1.0 + 1.5 * log2((double)e->count));
        set(b, edge, "penwidth", width);
        set(b, edge, "id", id);
        set_raw(b, edge, "relmap_relation", e->relation);
        format_uint(width, e->count);
        set(b, edge, "relmap_count", width);
        for (size_t k = 0; k < e->ndocuments; k++) {
            if (k)
                sb_addc(&sb, '\n');
            sb_adds(&sb, e->documents[k]);
        }
        set_raw(b, edge, "relmap_documents", sb.data ? sb.data : "");
        sb_free(&sb);
        const char *name = strmap_intern(&shown, e->relation);
        if (shown.count > nrel) {
            XGROW(relations, relations_cap, nrel + 1);
            relations[nrel++] = name;
        }
    }
    int rc = graph_edges_close(&edges, err);
    if (nrel) {
        /* the legend: one row per relation shown, in its colour and style */
        qsort(relations, nrel, sizeof *relations, name_cmp);
        strbuf html = {0};
        sb_adds(&html, "<table border=\"0\" cellborder=\"0\" cellspacing=\"2\">");
        for (size_t k = 0; k < nrel; k++) {
            look lk = relation_look(rules, relations[k]);
            const char *line = !strcmp(lk.style, "dashed") ? "- - - -"
                               : !strcmp(lk.style, "dotted") ? ". . . . ."
                                                             : "&#9472;&#9472;&#9472;&#9472;";
            sb_adds(&html, "<tr><td><font color=\"");
            add_xml(&html, lk.color);
            sb_addf(&html, "\">%s</font></td><td align=\"left\">", line);
            add_xml(&html, lk.label);
            sb_adds(&html, "</td></tr>");
        }
        sb_adds(&html, "</table>");
        add_legend(b, "Relations", "Relations shown", html.data);
        sb_free(&html);
    }
    free(relations);
    strmap_free(&shown, NULL);
    strmap_free(&clusters, NULL);
    strmap_free(&ids, NULL);
    free(nodes);
    return rc;
}

static void free_built(built *b)
{
    if (b->g)
        agclose(b->g);
    strmap_free(&b->titles, free);
    sb_free(&b->head);
    sb_free(&b->loose);
    for (size_t i = 0; i < b->nclusters; i++)
        sb_free(&b->clusters[i]);
    free(b->clusters);
    strmap_free(&b->node_ids, NULL);
}

/* Graphviz titles an element by its node names ("n0->n1"); put the names
 * and the evidence there instead, where every SVG viewer shows them. */
static void retitle_svg(strbuf *out, const char *svg, size_t length, const strmap *titles)
{
    const char *p = svg, *end = svg + length;
    for (;;) {
        const char *g = strstr(p, "<g id=\"");
        if (!g || g >= end)
            break;
        const char *id = g + 7;
        const char *q = strchr(id, '"');
        const char *t = q ? strstr(q, "<title>") : NULL;
        const char *close = t ? strstr(t, "</title>") : NULL;
        const char *next_g = q ? strstr(q, "<g id=\"") : NULL;
        char *text = q ? strmap_getn(titles, id, (size_t)(q - id)) : NULL;
        if (!text || !close || (next_g && next_g < t)) {
            sb_add(out, p, (size_t)((q ? q : g + 7) - p));
            p = q ? q : g + 7;
            continue;
        }
        sb_add(out, p, (size_t)(t + 7 - p));
        add_xml(out, text);
        p = close;
    }
    sb_add(out, p, (size_t)(end - p));
}

static void render_dot(built *b)
{
    text_flush(b);
    sb_adds(&b->out->sb, "}\n");
}

static int render_svg(built *b, relmap_error *err)
{
    GVC_t *gvc = context(err);
    if (!gvc)
        return RELMAP_ERENDER;
    const char *engine = b->layout == RELMAP_LAYOUT_SFDP ? "sfdp" : "dot";
    if (gvLayout(gvc, b->g, engine) != 0)
        return seterr(err, RELMAP_ERENDER, NULL, 0, 0, "Graphviz %s layout failed", engine);
    char *data = NULL;
    unsigned int size = 0;
    int rc = gvRenderData(gvc, b->g, "svg", &data, &size);
    if (rc != 0 || !data) {
        gvFreeLayout(gvc, b->g);
        return seterr(err, RELMAP_ERENDER, NULL, 0, 0, "Graphviz could not render SVG");
    }
    retitle_svg(&b->out->sb, data, size, &b->titles);
    gvFreeRenderData(data);
    gvFreeLayout(gvc, b->g);
    return 0;
}

static int render_json(outbuf *o, const relmap_graph *graph, relmap_error *err)
{
    strbuf *sb = &o->sb;
    graph_edges edges;
    if (graph_edges_open(&edges, graph, err) < 0)
        return RELMAP_EIO;
    size_t nn;
    gnode **nodes = graph_sorted_nodes(graph, &nn);
    sb_adds(sb, "{\n  \"nodes\": [");
    for (size_t i = 0; i < nn; i++) {
        sb_adds(sb, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
        add_json(sb, nodes[i]->name);
        sb_adds(sb, ", \"type\": ");
        add_json(sb, nodes[i]->type);
        sb_adds(sb, ", \"country\": ");
        add_json(sb, nodes[i]->country);
        sb_adds(sb, "}");
    }
    sb_adds(sb, nn ? "\n  ],\n  \"edges\": [" : "],\n  \"edges\": [");
    size_t i = 0;
    for (const gedge *e; (e = graph_edges_next(&edges)); i++) {
        sb_adds(sb, i ? ",\n    {\"source\": " : "\n    {\"source\": ");
        add_json(sb, e->source);
        sb_adds(sb, ", \"relation\": ");
        add_json(sb, e->relation);
        sb_adds(sb, ", \"target\": ");
        add_json(sb, e->target);
        sb_addf(sb, ", \"count\": %u, \"documents\": [", e->count);
        for (size_t k = 0; k < e->ndocuments; k++) {
            if (k)
                sb_adds(sb, ", ");
            add_json(sb, e->documents[k]);
        }
        sb_adds(sb, "], \"evidence\": [");
        for (size_t k = 0; k < e->nevidence; k++) {
            sb_adds(sb, k ? ", {\"document\": " : "{\"document\": ");
            add_json(sb, e->evidence[k].document);
            sb_addf(sb, ", \"line\": %u, \"sentence\": ", e->evidence[k].line);
            add_json(sb, e->evidence[k].sentence);
            sb_adds(sb, "}");
        }
        sb_adds(sb, "]}");
        spill(o);
    }
    sb_adds(sb, i ? "\n  ]\n}\n" : "]\n}\n");
    free(nodes);
    return graph_edges_close(&edges, err);
}

static int render_tsv(outbuf *o, const relmap_graph *graph, relmap_error *err)
{
    strbuf *sb = &o->sb;
    graph_edges edges;
    if (graph_edges_open(&edges, graph, err) < 0)
        return RELMAP_EIO;
    sb_adds(sb, "source\trelation\ttarget\tcount\tdocuments\tsource_type\tsource_country\t"
                "target_type\ttarget_country\tevidence\n");
    for (const gedge *e; (e = graph_edges_next(&edges));) {
        const gnode *s = strmap_get(&graph->nodes, e->source);
        const gnode *t = strmap_get(&graph->nodes, e->target);
        sb_add_tsv(sb, e->source);
        sb_addc(sb, '\t');
        sb_add_tsv(sb, e->relation);
        sb_addc(sb, '\t');
        sb_add_tsv(sb, e->target);
        sb_addf(sb, "\t%u\t", e->count);
        for (size_t k = 0; k < e->ndocuments; k++) {
            if (k)
                sb_addc(sb, ' ');
            sb_add_tsv(sb, e->documents[k]);
        }
        const char *rest[] = {s->type, s->country, t->type, t->country,
                              e->nevidence ? e->evidence[0].sentence : ""};
        for (int k = 0; k < 5; k++) {
            sb_addc(sb, '\t');
            sb_add_tsv(sb, rest[k]);
        }
        sb_addc(sb, '\n');
        spill(o);
    }
    return graph_edges_close(&edges, err);
}

int relmap_layout_from_name(relmap_layout *out, const char *name)
{
    static const char *const names[] = {"auto", "dot", "sfdp"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i])) {
            *out = (relmap_layout)i;
            return 0;
        }
    return RELMAP_EUSAGE;
}

relmap_layout relmap_layout_for(relmap_layout layout, const relmap_graph *graph)
{
    if (layout != RELMAP_LAYOUT_AUTO)
        return layout;
    return relmap_graph_edge_count(graph) > RELMAP_LAYOUT_AUTO_EDGES ? RELMAP_LAYOUT_SFDP
                                                                    : RELMAP_LAYOUT_DOT;
}

int relmap_render(char **out, size_t *length, const relmap_graph *graph,
                  const relmap_rules *rules, relmap_format format, relmap_error *err)
{
    return relmap_render_layout(out, length, graph, rules, format, RELMAP_LAYOUT_AUTO, err);
}

/* Render into o: DOT, JSON and TSV as they are made, SVG after layout. */
static int render_to(outbuf *o, const relmap_graph *graph, const relmap_rules *rules,
                     relmap_format format, relmap_layout layout, relmap_error *err)
{
    if (format == RELMAP_FORMAT_JSON)
        return render_json(o, graph, err);
    if (format == RELMAP_FORMAT_TSV)
        return render_tsv(o, graph, err);
    built b = {.out = o};
    /* DOT describes the graph for any layout: it keeps the labels */
    b.layout = format == RELMAP_FORMAT_SVG ? relmap_layout_for(layout, graph) : RELMAP_LAYOUT_DOT;
    b.svg = format == RELMAP_FORMAT_SVG;
    /* the plugins must be registered before cgraph makes a graph; DOT is
     * written as text, with no call to Graphviz */
    if (b.svg && !context(err))
        return RELMAP_ERENDER;
    int rc = build_graph(&b, graph, rules, err);
    if (rc == 0 && format == RELMAP_FORMAT_DOT)
        render_dot(&b);
    else if (rc == 0)
        rc = render_svg(&b, err);
    free_built(&b);
    return rc;
}

int relmap_render_layout(char **out, size_t *length, const relmap_graph *graph,
                         const relmap_rules *rules, relmap_format format,
                         relmap_layout layout, relmap_error *err)
{
    outbuf o = {0};
    int rc = render_to(&o, graph, rules, format, layout, err);
    if (rc < 0) {
        sb_free(&o.sb);
        *out = NULL;
        *length = 0;
        return rc;
    }
    if (!o.sb.data)
        sb_adds(&o.sb, "");
    *length = o.sb.length;
    *out = sb_detach(&o.sb);
    return 0;
}

int relmap_render_file(const char *path, const relmap_graph *graph, const relmap_rules *rules,
                       relmap_format format, relmap_layout layout, relmap_error *err)
{
    outbuf o = {{0}, atomic_open(path, err)};
    if (!o.file)
        return RELMAP_EIO;
    int rc = render_to(&o, graph, rules, format, layout, err);
    if (rc < 0) {
        atomic_abort(o.file);
    } else {
        atomic_write(o.file, o.sb.data ? o.sb.data : "", o.sb.length);
        rc = atomic_commit(o.file, err);
    }
    sb_free(&o.sb);
    return rc;
}

/* ------------------------------------------------------------ diff graph */

static const char *const change_colour[] = {"#999999", "#2ca02c", "#d62728", "#ff7f0e"};
static const char *const change_fill[] = {"#eeeeee", "#c7f0c0", "#f8c8c8", "#ffe0b3"};
static const char *const change_word[] = {"unchanged", "added", "removed", "changed"};

int render_diff(char **out, size_t *length, const diff_result *d, const relmap_rules *rules,
                int svg, int changed_only, relmap_error *err)
{
    if (svg && !context(err)) /* as render_to */
        return RELMAP_ERENDER;
    outbuf o = {0};
    built b = {.layout = RELMAP_LAYOUT_DOT, .svg = svg, .out = &o};
    begin_graph(&b, "diff", !svg);
    void *g = root_of(&b);
    set(&b, g, "rankdir", "LR");
    set(&b, g, "fontname", "Helvetica");
    set(&b, g, "ranksep", "0.9");
    /* the nodes shown: all, or those changed or touched by a changed edge */
    strmap shown = {0};
    for (size_t i = 0; i < d->nedges; i++) {
        if (changed_only && d->edges[i].kind == CHANGE_SAME)
            continue;
        strmap_put(&shown, d->edges[i].source, (void *)1);
        strmap_put(&shown, d->edges[i].target, (void *)1);
    }
    strmap clusters = {0}, ids = {0};
    int ncluster = 0;
    for (size_t i = 0; i < d->nnodes; i++) {
        const node_change *n = &d->nodes[i];
        if (changed_only && n->kind == CHANGE_SAME && !strmap_get(&shown, n->name))
            continue;
        if (n->country[0])
            cluster_of(&b, &clusters, n->country, &ncluster);
    }
    for (size_t i = 0; i < d->nnodes; i++) {
        const node_change *n = &d->nodes[i];
        if (changed_only && n->kind == CHANGE_SAME && !strmap_get(&shown, n->name))
            continue;
        char id[24];
        element_id(id, 'n', i);
        void *home = n->country[0] ? strmap_get(&clusters, n->country) : NULL;
        if (!home)
            home = strmap_get(&clusters, n->name);
        void *node = new_node(&b, home ? home : g, id);
        set_escaped(&b, node, "label", n->name);
        set(&b, node, "shape", shape_of(n->type));
        set(&b, node, "fillcolor", change_fill[n->kind]);
        set(&b, node, "color", change_colour[n->kind]);
        set(&b, node, "style", n->kind == CHANGE_REMOVED ? "filled,dashed" : "filled");
        set(&b, node, "id", id);
        set_raw(&b, node, "relmap_name", n->name);
        set_raw(&b, node, "relmap_change", change_word[n->kind]);
        strbuf title = {0};
        sb_addf(&title, "%s (%s): %s", n->name, n->type[0] ? n->type : "entity",
                change_word[n->kind]);
        set_escaped(&b, node, "tooltip", title.data);
        keep_title(&b, id, &title);
        strmap_put(&ids, n->name, node);
    }
    for (size_t i = 0; i < d->nedges; i++) {
        const edge_change *c = &d->edges[i];
        if (changed_only && c->kind == CHANGE_SAME)
            continue;
        char id[24];
        element_id(id, 'e', i);
        void *edge = new_edge(&b, strmap_get(&ids, c->source), strmap_get(&ids, c->target), id);
        look lk = relation_look(rules, c->relation);
        strbuf sb = {0};
        if (c->kind == CHANGE_CHANGED)
            sb_addf(&sb, "%s %u -> %u", lk.label, c->old_count, c->new_count);
        else
            sb_addf(&sb, "%s (%u)", lk.label, c->kind == CHANGE_REMOVED ? c->old_count : c->new_count);
        set_escaped(&b, edge, "xlabel", sb.data);
        sb_clear(&sb);
        sb_addf(&sb, "%s %s %s: %s (%u -> %u)", c->source, c->relation, c->target,
                change_word[c->kind], c->old_count, c->new_count);
        set_escaped(&b, edge, "tooltip", sb.data);
        keep_title(&b, id, &sb);
        set(&b, edge, "color", change_colour[c->kind]);
        set(&b, edge, "fontcolor", change_colour[c->kind]);
        set(&b, edge, "style", c->kind == CHANGE_REMOVED ? "dashed" : "solid");
        set(&b, edge, "penwidth", c->kind == CHANGE_SAME ? "1" : "2");
        set(&b, edge, "id", id);
        set_raw(&b, edge, "relmap_relation", c->relation);
        set_raw(&b, edge, "relmap_change", change_word[c->kind]);
    }
    /* the legend says which colour is which */
    strbuf html = {0};
    sb_adds(&html, "<table border=\"0\" cellborder=\"0\" cellspacing=\"2\">");
    for (int k = 1; k <= 4; k++) {
        int kind = k % 4; /* added, removed, changed, unchanged */
        if (changed_only && kind == CHANGE_SAME)
            continue;
        sb_addf(&html, "<tr><td><font color=\"%s\">%s</font></td><td align=\"left\">%s</td></tr>",
                change_colour[kind], kind == CHANGE_REMOVED ? "- - - -" : "&#9472;&#9472;&#9472;&#9472;",
                change_word[kind]);
    }
    sb_adds(&html, "</table>");
    add_legend(&b, "Changes", "Changes", html.data);
    sb_free(&html);
    strmap_free(&shown, NULL);
    strmap_free(&clusters, NULL);
    strmap_free(&ids, NULL);
    int rc = 0;
    if (svg)
        rc = render_svg(&b, err);
    else
        render_dot(&b);
    free_built(&b);
    if (rc == 0) {
        *length = o.sb.length;
        *out = sb_detach(&o.sb);
    } else {
        sb_free(&o.sb);
    }
    return rc;
}

/* ------------------------------------------------------------ reading DOT */

/* Undo set_raw(): %25 and %5C back to '%' and '\'. */
static char *unraw(const char *s)
{
    strbuf sb = {0};
    for (; *s; s++) {
        if (s[0] == '%' && s[1] == '2' && s[2] == '5') {
            sb_addc(&sb, '%');
            s += 2;
        } else if (s[0] == '%' && s[1] == '5' && (s[2] == 'C' || s[2] == 'c')) {
            sb_addc(&sb, '\\');
            s += 2;
        } else {
            sb_addc(&sb, *s);
        }
    }
    return sb_detach(&sb);
}

static char *attr(void *obj, Agsym_t *sym)
{
    return sym ? unraw(agxget(obj, sym)) : xstrdup("");
}

int relmap_graph_read_dot(relmap_graph *graph, const char *path, relmap_error *err)
{
    char *text;
    size_t length;
    int rc = read_file(path, &text, &length, err);
    if (rc < 0)
        return rc;
    rc = graph_read_dot_text(graph, path, text, length, err);
    free(text);
    return rc;
}

int graph_read_dot_text(relmap_graph *graph, const char *path, const char *text, size_t length,
                        relmap_error *err)
{
    int rc = 0;
    if (memchr(text, '\0', length))
        return seterr(err, RELMAP_EINPUT, path, 0, 0, "not a DOT file: it holds NUL bytes");
    if (!context(err)) /* register the plugins before cgraph is used */
        return RELMAP_ERENDER;
    agseterr(AGMAX); /* keep cgraph's messages for us instead of stderr */
    Agraph_t *g = agmemread(text);
    if (!g) {
        char *why = aglasterr();
        size_t n = why ? strlen(why) : 0;
        while (n && (why[n - 1] == '\n' || why[n - 1] == ' '))
            why[--n] = '\0';
        rc = seterr(err, RELMAP_ESYNTAX, path, 0, 0, "cannot read DOT: %s",
                    n ? why : "not a graph");
        free(why);
        return rc;
    }
    Agsym_t *name = agattr(g, AGNODE, "relmap_name", NULL);
    Agsym_t *type = agattr(g, AGNODE, "relmap_type", NULL);
    Agsym_t *country = agattr(g, AGNODE, "relmap_country", NULL);
    Agsym_t *rel_sym = agattr(g, AGEDGE, "relmap_relation", NULL);
    Agsym_t *count = agattr(g, AGEDGE, "relmap_count", NULL);
    Agsym_t *documents = agattr(g, AGEDGE, "relmap_documents", NULL);
    if (!name || !rel_sym || !count) {
        rc = seterr(err, RELMAP_EINPUT, path, 0, 0,
                    "not a DOT file written by relmap build: %s%s%s%s%s (relmap build writes "
                    "them on every node and edge)",
                    !name ? "its nodes have no relmap_name" : "",
                    !name && (!rel_sym || !count) ? "; " : "",
                    !rel_sym ? "its edges have no relmap_relation" : "",
                    !rel_sym && !count ? " and " : "", !count ? "no relmap_count" : "");
        agclose(g);
        return rc;
    }
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
        char *nm = attr(n, name), *ty = attr(n, type), *co = attr(n, country);
        if (nm[0]) /* the legend has no name */
            graph_add_node(graph, nm, ty, co);
        free(nm);
        free(ty);
        free(co);
    }
    for (Agnode_t *n = agfstnode(g); n && rc == 0; n = agnxtnode(g, n)) {
        for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
            char *s = attr(agtail(e), name), *t = attr(aghead(e), name);
            char *r = attr(e, rel_sym), *c = attr(e, count), *docs = attr(e, documents);
            char *end;
            unsigned long k = strtoul(c, &end, 10);
            if (!s[0] || !t[0] || !r[0] || !c[0] || *end || k == 0 || k > 0xFFFFFFFFul) {
                rc = seterr(err, RELMAP_EINPUT, path, 0, 0,
                            "edge %s -> %s: relmap_relation, relmap_count (a positive number) and "
                            "the relmap_name of both ends are needed, found '%s' and '%s'",
                            agnameof(agtail(e)), agnameof(aghead(e)), r, c);
            } else {
                gedge from = {0};
                from.count = (unsigned)k;
                char *list[4096];
                size_t nd = 0;
                char *save = NULL;
                for (char *d = strtok_r(docs, "\n", &save); d && nd < 4096;
                     d = strtok_r(NULL, "\n", &save))
                    list[nd++] = d;
                from.documents = list;
                from.ndocuments = nd;
                graph_merge_edge(graph, s, r, t, &from);
            }
            free(s);
            free(t);
            free(r);
            free(c);
            free(docs);
            if (rc < 0)
                break;
        }
    }
    agclose(g);
    return rc;
}

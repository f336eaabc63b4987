/* Rendering: DOT that cgraph reads back, SVG with evidence in edge titles,
 * escaping, determinism, atomic writes. */
#include <check.h>
#include <errno.h>
#include <graphviz/cgraph.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relmap.h"
#include "check_main.h"

static relmap_graph *sample(void)
{
    relmap_graph *g = relmap_graph_new();
    relmap_match rows[] = {
        {"Qin Gang", "accuses", "United States", "a.txt", 3, "t:1", "Qin said the U.S. hacked.",
         "person", "China", "country", ""},
        {"China", "summons", "Max Baucus", "a.txt", 4, "t:2", "China summoned Baucus.", "country",
         "", "person", "United States"},
        {"Evil \"Name\" <script>alert(1)</script> \\", "hacks", "China", "b.txt", 1, "t:3",
         "Tags <b>&</b> \"quotes\" and a back\\slash\\", "group", "", "country", ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        relmap_graph_add(g, &rows[i]);
    return g;
}

static char *render(const relmap_graph *g, relmap_format f)
{
    char *out;
    size_t len;
    relmap_error err;
    int rc = relmap_render(&out, &len, g, NULL, f, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    return out;
}

/* Is a library whose path holds `name` mapped into this process? */
static int mapped(const char *name)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(maps);
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps))
        found = strstr(line, name) != NULL;
    fclose(maps);
    return found;
}

/* The first test, so that nothing has drawn before it even when the tests
 * share one process (CK_FORK=no). */
START_TEST(plugins_are_loaded_when_a_graph_is_first_drawn)
{
    const char *const names[] = {"libgvplugin_core", "libgvplugin_dot_layout",
                                 "libgvplugin_neato_layout"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(!mapped(names[i]), "%s mapped before any graph was drawn", names[i]);
    relmap_graph *g = sample();
    free(render(g, RELMAP_FORMAT_JSON)); /* no Graphviz */
    free(render(g, RELMAP_FORMAT_DOT));  /* written as text */
    ck_assert(!mapped("libgvplugin_core"));
    char *svg = render(g, RELMAP_FORMAT_SVG);
    ck_assert_ptr_nonnull(strstr(svg, "<svg"));
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(mapped(names[i]), "%s not mapped after drawing", names[i]);
    free(svg);
    relmap_graph_free(g);
}
END_TEST

START_TEST(dot_reads_back_with_names_counts_and_documents)
{
    relmap_graph *g = sample();
    char *dot = render(g, RELMAP_FORMAT_DOT);
    Agraph_t *back = agmemread(dot);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(agnnodes(back), 6); /* five entities and the legend */
    int found = 0;
    for (Agnode_t *n = agfstnode(back); n; n = agnxtnode(back, n)) {
        for (Agedge_t *e = agfstout(back, n); e; e = agnxtout(back, e)) {
            char *rel = agget(e, "relmap_relation");
            if (rel && !strcmp(rel, "hacks")) {
                ck_assert_str_eq(agget(agtail(e), "relmap_name"),
                                 "Evil \"Name\" <script>alert(1)</script> %5C");
                ck_assert_str_eq(agget(e, "relmap_count"), "1");
                ck_assert_str_eq(agget(e, "relmap_documents"), "b.txt");
                found = 1;
            }
        }
    }
    ck_assert(found);
    agclose(back);
    free(dot);
    relmap_graph_free(g);
}
END_TEST

START_TEST(svg_titles_quote_the_evidence_and_nothing_injects)
{
    relmap_graph *g = sample();
    char *svg = render(g, RELMAP_FORMAT_SVG);
    ck_assert_ptr_nonnull(strstr(svg, "<svg"));
    ck_assert_ptr_nonnull(strstr(svg, "<title>Qin Gang accuses United States: 1 sentence in 1 "
                                      "document&#10;a.txt:3: Qin said the U.S. hacked."));
    ck_assert_ptr_null(strstr(svg, "<script>"));
    ck_assert_ptr_null(strstr(svg, "<b>"));
    ck_assert_ptr_nonnull(strstr(svg, "&lt;script&gt;"));
    /* the legend names the relations shown */
    ck_assert_ptr_nonnull(strstr(svg, ">summons</text>"));
    free(svg);
    relmap_graph_free(g);
}
END_TEST

START_TEST(rendering_is_deterministic)
{
    relmap_graph *g = sample();
    for (relmap_format f = RELMAP_FORMAT_DOT; f <= RELMAP_FORMAT_TSV; f++) {
        char *a = render(g, f), *b = render(g, f);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
    }
    relmap_graph_free(g);
}
END_TEST

START_TEST(format_follows_the_extension)
{
    relmap_format f;
    ck_assert_int_eq(relmap_format_from_path(&f, "out/x.svg"), 0);
    ck_assert_int_eq(f, RELMAP_FORMAT_SVG);
    ck_assert_int_eq(relmap_format_from_path(&f, "x.gv"), 0);
    ck_assert_int_eq(f, RELMAP_FORMAT_DOT);
    ck_assert_int_eq(relmap_format_from_path(&f, "a.b/x.json"), 0);
    ck_assert_int_eq(f, RELMAP_FORMAT_JSON);
    ck_assert_int_eq(relmap_format_from_path(&f, "a.b/x"), RELMAP_EUSAGE);
    ck_assert_int_eq(relmap_format_from_path(&f, "x.png"), RELMAP_EUSAGE);
}
END_TEST

START_TEST(atomic_write_replaces_or_leaves_alone)
{
    char dir[] = "/tmp/relmap-out-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/sub/deeper/g.dot", dir);
    relmap_error err;
    ck_assert_int_eq(relmap_write_file_atomic(path, "one", 3, &err), 0);
    ck_assert_int_eq(relmap_write_file_atomic(path, "two!", 4, &err), 0);
    FILE *f = fopen(path, "r");
    char buf[16] = {0};
    ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 4);
    fclose(f);
    ck_assert_str_eq(buf, "two!");
    /* a folder in the way: an error, nothing written */
    snprintf(path, sizeof path, "%s/sub", dir);
    ck_assert_int_eq(relmap_write_file_atomic(path, "x", 1, &err), RELMAP_EIO);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    /* the file and its folders, each empty but for it: no temporary file
     * was left behind, by the writes or the failed one */
    const char *made[] = {"sub/deeper/g.dot", "sub/deeper", "sub", ""};
    for (size_t k = 0; k < sizeof made / sizeof *made; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, made[k]);
        ck_assert_msg((k == 0 ? unlink(path) : rmdir(path)) == 0, "%s: %s", path,
                      strerror(errno));
    }
}
END_TEST

START_TEST(layout_by_name_and_by_size)
{
    relmap_layout l;
    ck_assert_int_eq(relmap_layout_from_name(&l, "sfdp"), 0);
    ck_assert_int_eq(l, RELMAP_LAYOUT_SFDP);
    ck_assert_int_eq(relmap_layout_from_name(&l, "auto"), 0);
    ck_assert_int_eq(l, RELMAP_LAYOUT_AUTO);
    ck_assert_int_eq(relmap_layout_from_name(&l, "neato"), RELMAP_EUSAGE);
    /* auto: dot up to the limit, sfdp one edge beyond; a chosen layout stays */
    relmap_graph *g = relmap_graph_new();
    char source[32], target[32];
    for (int i = 0; i <= RELMAP_LAYOUT_AUTO_EDGES; i++) {
        ck_assert_int_eq(relmap_layout_for(RELMAP_LAYOUT_AUTO, g), RELMAP_LAYOUT_DOT);
        snprintf(source, sizeof source, "S%d", i % 50);
        snprintf(target, sizeof target, "T%d", i / 50);
        relmap_match m = {source, "accuses", target, "d.txt", 1, "t:1", "S accused T.",
                          "country", "", "country", ""};
        relmap_graph_add(g, &m);
    }
    ck_assert_uint_eq(relmap_graph_edge_count(g), RELMAP_LAYOUT_AUTO_EDGES + 1);
    ck_assert_int_eq(relmap_layout_for(RELMAP_LAYOUT_AUTO, g), RELMAP_LAYOUT_SFDP);
    ck_assert_int_eq(relmap_layout_for(RELMAP_LAYOUT_DOT, g), RELMAP_LAYOUT_DOT);
    relmap_graph_free(g);
}
END_TEST

/* The number of times `needle` occurs in `s`. */
static int occurrences(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(sfdp_svg_keeps_every_edge_and_title_but_no_labels)
{
    relmap_graph *g = sample();
    char *out, *dot;
    size_t len;
    relmap_error err;
    ck_assert_int_eq(relmap_render_layout(&out, &len, g, NULL, RELMAP_FORMAT_SVG,
                                          RELMAP_LAYOUT_SFDP, &err), 0);
    ck_assert_uint_eq(strlen(out), len);
    ck_assert_int_eq(occurrences(out, "class=\"edge\""), 3);
    ck_assert_ptr_nonnull(strstr(out, "<title>Qin Gang accuses United States: 1 sentence in 1 "
                                      "document&#10;a.txt:3: Qin said the U.S. hacked."));
    ck_assert_ptr_null(strstr(out, ">accuses (1)</text>")); /* no count labels */
    ck_assert_int_eq(occurrences(out, "class=\"cluster\""), 0); /* sfdp draws no boxes */
    ck_assert_ptr_nonnull(strstr(out, ">summons</text>"));     /* but the legend's table */
    char *again;
    ck_assert_int_eq(relmap_render_layout(&again, &len, g, NULL, RELMAP_FORMAT_SVG,
                                          RELMAP_LAYOUT_SFDP, &err), 0);
    ck_assert_str_eq(out, again);
    /* dot's drawing has the labels and a box for each country with members */
    char *ranked = render(g, RELMAP_FORMAT_SVG);
    ck_assert_ptr_nonnull(strstr(ranked, ">accuses (1)</text>"));
    ck_assert_int_eq(occurrences(ranked, "class=\"cluster\""), 3);
    /* DOT describes the graph whatever the layout: labels kept */
    ck_assert_int_eq(relmap_render_layout(&dot, &len, g, NULL, RELMAP_FORMAT_DOT,
                                          RELMAP_LAYOUT_SFDP, &err), 0);
    ck_assert_ptr_nonnull(strstr(dot, "xlabel=\"accuses (1)\""));
    free(out);
    free(again);
    free(ranked);
    free(dot);
    relmap_graph_free(g);
}
END_TEST

START_TEST(dot_of_many_clusters_reads_back_whole)
{
    /* 60 countries with a person each: the clusters' texts outgrow their first array */
    relmap_graph *g = relmap_graph_new();
    char person[32], country[32];
    for (int i = 0; i < 60; i++) {
        snprintf(person, sizeof person, "Envoy \"%d\\", i);
        snprintf(country, sizeof country, "Country %d", i);
        relmap_match m = {person, "accuses", country, "d.txt", (unsigned)i + 1, "t:1",
                          "An envoy accused a country.", "person", country, "country", ""};
        relmap_graph_add(g, &m);
    }
    char *dot = render(g, RELMAP_FORMAT_DOT);
    Agraph_t *back = agmemread(dot);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(agnnodes(back), 121); /* 60 envoys, 60 countries, the legend */
    ck_assert_int_eq(agnedges(back), 60);
    int clusters = 0;
    for (Agraph_t *sub = agfstsubg(back); sub; sub = agnxtsubg(sub))
        clusters++;
    ck_assert_int_eq(clusters, 61);
    int quoted = 0; /* names keep their quote and backslash (the latter %5C-encoded) */
    for (Agnode_t *n = agfstnode(back); n; n = agnxtnode(back, n))
        quoted += !strncmp(agget(n, "relmap_name"), "Envoy \"", 7)
                  && strstr(agget(n, "relmap_name"), "%5C") != NULL;
    ck_assert_int_eq(quoted, 60);
    agclose(back);
    free(dot);
    relmap_graph_free(g);
}
END_TEST

/* The whole of a file, NUL-terminated. */
static char *slurp(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *length = (size_t)n;
    return data;
}

START_TEST(a_file_rendered_in_pieces_equals_the_buffer)
{
    /* 4,000 edges with long evidence: megabytes of DOT, JSON and TSV, written
     * out a megabyte at a time */
    relmap_graph *g = relmap_graph_new();
    char source[32], target[32], sentence[400];
    for (int i = 0; i < 4000; i++) {
        snprintf(source, sizeof source, "Source %d", i % 70);
        snprintf(target, sizeof target, "Target %d", i / 70);
        snprintf(sentence, sizeof sentence, "%s accused %s of things at some length, %0300d.",
                 source, target, i);
        relmap_match m = {source, "accuses", target, "d.txt", (unsigned)i + 1, "t:1", sentence,
                          "person", "Ruritania", "country", ""};
        relmap_graph_add(g, &m);
    }
    char dir[] = "/tmp/relmap-render-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const relmap_format formats[] = {RELMAP_FORMAT_DOT, RELMAP_FORMAT_JSON, RELMAP_FORMAT_TSV};
    for (size_t k = 0; k < 3; k++) {
        char path[256], *buffer, *file;
        size_t blen, flen;
        relmap_error err;
        snprintf(path, sizeof path, "%s/g%zu", dir, k);
        ck_assert_int_eq(relmap_render_file(path, g, NULL, formats[k], RELMAP_LAYOUT_AUTO, &err), 0);
        ck_assert_int_eq(relmap_render(&buffer, &blen, g, NULL, formats[k], &err), 0);
        file = slurp(path, &flen);
        ck_assert_uint_gt(blen, 3u << 19); /* more than one piece */
        ck_assert_uint_eq(flen, blen);
        ck_assert(memcmp(file, buffer, blen) == 0);
        free(file);
        free(buffer);
        unlink(path);
    }
    /* a folder in the way: an error, and no temporary file left beside it */
    char path[256];
    snprintf(path, sizeof path, "%s/sub", dir);
    ck_assert_int_eq(mkdir(path, 0777), 0);
    relmap_error err;
    ck_assert_int_eq(relmap_render_file(path, g, NULL, RELMAP_FORMAT_DOT, RELMAP_LAYOUT_AUTO, &err),
                     RELMAP_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "folder"));
    ck_assert_int_eq(rmdir(path), 0);
    ck_assert_int_eq(rmdir(dir), 0); /* empty: nothing was left behind */
    relmap_graph_free(g);
}
END_TEST

int main(void)
{
    RUN_TESTS("render",
              plugins_are_loaded_when_a_graph_is_first_drawn,
              dot_reads_back_with_names_counts_and_documents,
              svg_titles_quote_the_evidence_and_nothing_injects,
              rendering_is_deterministic,
              format_follows_the_extension,
              atomic_write_replaces_or_leaves_alone,
              layout_by_name_and_by_size,
              sfdp_svg_keeps_every_edge_and_title_but_no_labels,
              dot_of_many_clusters_reads_back_whole,
              a_file_rendered_in_pieces_equals_the_buffer);
}

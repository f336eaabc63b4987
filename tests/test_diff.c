/* diff: added, removed and changed edges and nodes, in every format. */
#include <check.h>
#include <graphviz/cgraph.h>
#include <stdlib.h>
#include <string.h>

#include "relmap.h"

#include "check_main.h"

static void add(relmap_graph *g, const char *s, const char *r, const char *t, int times)
{
    for (int i = 0; i < times; i++) {
        relmap_match m = {s, r, t, "d.txt", (unsigned)i + 1, "t:1", "e", "country", "",
                          "country", ""};
        if (!strcmp(s, "FBI"))
            m.source_type = "agency", m.source_country = "United States";
        relmap_graph_add(g, &m);
    }
}

/* old: China accuses US x2, FBI indicts China, US urges China
 * new: China accuses US x5, US urges China, Japan accuses China */
static void sides(relmap_graph **old_graph, relmap_graph **new_graph)
{
    *old_graph = relmap_graph_new();
    *new_graph = relmap_graph_new();
    add(*old_graph, "China", "accuses", "United States", 2);
    add(*old_graph, "FBI", "indicts", "China", 1);
    add(*old_graph, "United States", "urges", "China", 1);
    add(*new_graph, "China", "accuses", "United States", 5);
    add(*new_graph, "United States", "urges", "China", 1);
    add(*new_graph, "Japan", "accuses", "China", 1);
}

static char *run(relmap_diff_format f, const relmap_diff_options *o, size_t *changes)
{
    relmap_graph *a, *b;
    sides(&a, &b);
    char *out;
    size_t len;
    relmap_error err;
    ck_assert_int_eq(relmap_diff(&out, &len, changes, a, b, NULL, f, o, &err), 0);
    ck_assert_uint_eq(strlen(out), len);
    relmap_graph_free(a);
    relmap_graph_free(b);
    return out;
}

START_TEST(text_lists_each_change_then_a_summary)
{
    size_t changes;
    char *out = run(RELMAP_DIFF_TEXT, NULL, &changes);
    ck_assert_str_eq(out, "~ China -accuses-> United States 2 -> 5\n"
                          "- FBI -indicts-> China (1)\n"
                          "+ Japan -accuses-> China (1)\n"
                          "- node FBI (agency)\n"
                          "+ node Japan (country)\n"
                          "1 edge added, 1 removed, 1 changed, 1 unchanged; 1 node added, 1 "
                          "removed\n");
    ck_assert_uint_eq(changes, 5);
    free(out);
}
END_TEST

START_TEST(no_differences)
{
    relmap_graph *a, *b;
    sides(&a, &b);
    char *out;
    size_t len, changes;
    relmap_error err;
    ck_assert_int_eq(relmap_diff(&out, &len, &changes, b, b, NULL, RELMAP_DIFF_TEXT, NULL, &err), 0);
    ck_assert_str_eq(out, "no differences (3 edges, 3 nodes)\n");
    ck_assert_uint_eq(changes, 0);
    free(out);
    relmap_graph_free(a);
    relmap_graph_free(b);
}
END_TEST

START_TEST(relation_filter_and_country_level)
{
    const char *only[] = {"accuses"};
    relmap_diff_options o = {only, 1, 0, 0};
    size_t changes;
    char *out = run(RELMAP_DIFF_TEXT, &o, &changes);
    ck_assert_str_eq(out, "~ China -accuses-> United States 2 -> 5\n"
                          "+ Japan -accuses-> China (1)\n"
                          "+ node Japan (country)\n"
                          "1 edge added, 0 removed, 1 changed, 0 unchanged; 1 node added, 0 "
                          "removed\n");
    free(out);
    /* at country level the FBI is the United States */
    relmap_diff_options c = {NULL, 0, 1, 0};
    out = run(RELMAP_DIFF_TEXT, &c, &changes);
    ck_assert_ptr_nonnull(strstr(out, "- United States -indicts-> China (1)\n"));
    ck_assert_ptr_null(strstr(out, "FBI"));
    free(out);
}
END_TEST

START_TEST(tsv_and_json)
{
    size_t changes;
    char *out = run(RELMAP_DIFF_TSV, NULL, &changes);
    ck_assert_str_eq(out, "change\tkind\tsource\trelation\ttarget\told_count\tnew_count\n"
                          "changed\tedge\tChina\taccuses\tUnited States\t2\t5\n"
                          "removed\tedge\tFBI\tindicts\tChina\t1\t0\n"
                          "added\tedge\tJapan\taccuses\tChina\t0\t1\n"
                          "removed\tnode\tFBI\t\t\t\t\n"
                          "added\tnode\tJapan\t\t\t\t\n");
    free(out);
    out = run(RELMAP_DIFF_JSON, NULL, &changes);
    ck_assert_ptr_nonnull(strstr(out, "{\"change\": \"changed\", \"source\": \"China\", "
                                      "\"relation\": \"accuses\", \"target\": \"United States\", "
                                      "\"old\": 2, \"new\": 5}"));
    ck_assert_ptr_nonnull(strstr(out, "\"edges_added\": 1, \"edges_removed\": 1, "
                                      "\"edges_changed\": 1, \"edges_unchanged\": 1"));
    free(out);
}
END_TEST

START_TEST(dot_colours_the_union_graph)
{
    size_t changes;
    char *out = run(RELMAP_DIFF_DOT, NULL, &changes);
    Agraph_t *g = agmemread(out);
    ck_assert_ptr_nonnull(g);
    int seen[4] = {0};
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
        for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
            const char *c = agget(e, "relmap_change");
            seen[0] += !strcmp(c, "unchanged") && !strcmp(agget(e, "color"), "#999999");
            seen[1] += !strcmp(c, "added") && !strcmp(agget(e, "color"), "#2ca02c");
            seen[2] += !strcmp(c, "removed") && !strcmp(agget(e, "style"), "dashed");
            seen[3] += !strcmp(c, "changed") && strstr(agget(e, "xlabel"), "2 -> 5") != NULL;
        }
    }
    ck_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1);
    agclose(g);
    free(out);
    relmap_diff_options o = {NULL, 0, 0, 1};
    out = run(RELMAP_DIFF_DOT, &o, &changes);
    ck_assert_ptr_null(strstr(out, "relmap_relation=\"urges\"")); /* the unchanged edge */
    ck_assert_ptr_nonnull(strstr(out, "relmap_relation=\"indicts\""));
    free(out);
    out = run(RELMAP_DIFF_SVG, NULL, &changes);
    ck_assert_ptr_nonnull(strstr(out, ">Changes</text>"));
    ck_assert_ptr_nonnull(strstr(out, "<title>China accuses United States: changed (2 -&gt; 5)</title>"));
    free(out);
}
END_TEST

START_TEST(large_graphs_are_joined_not_scanned)
{
    /* 100,000 edges a side: a quadratic diff would not finish in the test's time */
    relmap_graph *a = relmap_graph_new(), *b = relmap_graph_new();
    char s[32], t[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(s, sizeof s, "S%d", i % 1000);
        snprintf(t, sizeof t, "T%d", i / 1000);
        add(a, s, "accuses", t, 1);
        add(b, s, "accuses", t, i % 10 == 0 ? 2 : 1);
    }
    char *out;
    size_t len, changes;
    relmap_error err;
    ck_assert_int_eq(relmap_diff(&out, &len, &changes, a, b, NULL, RELMAP_DIFF_TEXT, NULL, &err), 0);
    ck_assert_uint_eq(changes, 10000);
    ck_assert_ptr_nonnull(strstr(out, "0 edges added, 0 removed, 10000 changed, 90000 unchanged"));
    free(out);
    relmap_graph_free(a);
    relmap_graph_free(b);
}
END_TEST

int main(void)
{
    RUN_TESTS("diff",
              text_lists_each_change_then_a_summary,
              no_differences,
              relation_filter_and_country_level,
              tsv_and_json,
              dot_colours_the_union_graph,
              large_graphs_are_joined_not_scanned);
}

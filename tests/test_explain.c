/* explain and coverage: what a rule author is shown. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "relmap.h"

#include "check_main.h"

static const char rules_text[] =
    "relation accuses\n"
    "relation denies\n"
    "entity country \"China\" alias \"Beijing\"\n"
    "entity country \"United States\" alias \"U.S.\" \"Washington\"\n"
    "entity agency \"FBI\" of \"United States\"\n"
    "rule accuses: {SRC} accused {TGT}\n"
    "rule accuses: {TGT} was accused by {SRC}\n"
    "rule denies target=actor: {SRC} denied the claims\n"
    "rule denies: {SRC} never denies {TGT}\n"
    "rule accuses source=actor: the charges accuse {TGT}\n";

static relmap_rules *load(void)
{
    return load_rules_text(rules_text);
}

static char *explain(const relmap_rules *rules, const char *text, unsigned line, unsigned flags)
{
    char *out;
    relmap_error err;
    ck_assert_int_eq(relmap_explain(&out, rules, "doc", text, strlen(text), line, flags, &err), 0);
    return out;
}

START_TEST(explain_shows_split_entities_rules_slots_and_edges)
{
    relmap_rules *rules = load();
    char *out = explain(rules, "The FBI accused Beijing. Beijing denied the claims.", 0, 0);
    ck_assert_str_eq(out, "sentence 1, line 1, column 1:\n"
                          "  The FBI accused Beijing.\n"
                          "  entities:\n"
                          "    5-7 \"FBI\" -> FBI (agency, of United States)\n"
                          "    17-23 \"Beijing\" -> China (country)\n"
                          "  rule t.rules:6 (accuses) fired: SRC=\"FBI\" TGT=\"Beijing\"\n"
                          "  edge: FBI -accuses-> China (t.rules:6)\n"
                          "sentence 2, line 1, column 26:\n"
                          "  Beijing denied the claims.\n"
                          "  entities:\n"
                          "    1-7 \"Beijing\" -> China (country)\n"
                          "  rule t.rules:8 (denies) fired: SRC=\"Beijing\" target from context: FBI\n"
                          "  edge: China -denies-> FBI (t.rules:8)\n");
    free(out);
    relmap_rules_free(rules);
}
END_TEST

START_TEST(explain_shows_a_source_from_context)
{
    relmap_rules *rules = load();
    char *out = explain(rules, "The FBI accused Beijing.\nThe charges accuse Beijing.", 2, 0);
    ck_assert_str_eq(out, "sentence 2, line 2, column 1:\n"
                          "  The charges accuse Beijing.\n"
                          "  entities:\n"
                          "    20-26 \"Beijing\" -> China (country)\n"
                          "  rule t.rules:10 (accuses) fired: source from context: FBI; "
                          "TGT=\"Beijing\"\n"
                          "  edge: FBI -accuses-> China (t.rules:10)\n");
    free(out);
    out = explain(rules, "The charges accuse Beijing.", 0, 0);
    ck_assert_ptr_nonnull(
        strstr(out, "  rule t.rules:10 (accuses) fired: no source in context; TGT=\"Beijing\"\n"
                    "  edges: none\n"));
    free(out);
    relmap_rules_free(rules);
}
END_TEST

START_TEST(explain_shows_the_edges_of_a_list_of_names)
{
    relmap_rules *rules = load();
    char *out = explain(rules, "The FBI and Washington accused Beijing.", 0, 0);
    ck_assert_str_eq(out, "sentence 1, line 1, column 1:\n"
                          "  The FBI and Washington accused Beijing.\n"
                          "  entities:\n"
                          "    5-7 \"FBI\" -> FBI (agency, of United States)\n"
                          "    13-22 \"Washington\" -> United States (country)\n"
                          "    32-38 \"Beijing\" -> China (country)\n"
                          "  rule t.rules:6 (accuses) fired: SRC=\"FBI\" TGT=\"Beijing\"\n"
                          "    also, from a list of names: SRC=\"Washington\" TGT=\"Beijing\"\n"
                          "  edge: FBI -accuses-> China (t.rules:6)\n"
                          "  edge: United States -accuses-> China (t.rules:6)\n");
    free(out);
    relmap_rules_free(rules);
}
END_TEST

START_TEST(explain_all_lists_rules_whose_triggers_occur)
{
    relmap_rules *rules = load();
    char *out = explain(rules, "China was accused by nobody, Washington said.", 0, RELMAP_EXPLAIN_ALL);
    ck_assert_ptr_nonnull(strstr(out, "  trigger words, no match: t.rules:6 (accuses)\n"));
    ck_assert_ptr_nonnull(strstr(out, "  trigger words, no match: t.rules:7 (accuses)\n"));
    ck_assert_ptr_nonnull(strstr(out, "  edges: none\n"));
    /* a rule whose words do not occur is not listed: nor one whose words
     * are there apart ("was accused" and "by", not "was accused by") */
    ck_assert_ptr_null(strstr(out, "t.rules:9"));
    free(out);
    out = explain(rules, "China was accused of nothing by Washington.", 0, RELMAP_EXPLAIN_ALL);
    ck_assert_ptr_null(strstr(out, "t.rules:7"));
    free(out);
    /* trigger words, but no entity after "accused": the rule is not tried */
    out = explain(rules, "Beijing told Washington it accused nobody.", 0, RELMAP_EXPLAIN_ALL);
    ck_assert_ptr_nonnull(strstr(out, "  trigger words, not tried (too few entities on the sides "
                                      "its slots need): t.rules:6 (accuses)\n"));
    free(out);
    out = explain(rules, "China was accused by nobody, Washington said.", 0, 0);
    ck_assert_ptr_null(strstr(out, "trigger words"));
    ck_assert_ptr_null(strstr(out, "\033["));
    free(out);
    relmap_rules_free(rules);
}
END_TEST

START_TEST(explain_line_picks_sentences)
{
    relmap_rules *rules = load();
    char *out = explain(rules, "China accused the FBI.\n\nWashington accused Beijing.\n", 3, 0);
    ck_assert_ptr_nonnull(strstr(out, "sentence 2, line 3, column 1:\n  Washington accused Beijing."));
    ck_assert_ptr_null(strstr(out, "sentence 1"));
    free(out);
    out = explain(rules, "China accused the FBI.\n", 7, 0);
    ck_assert_str_eq(out, "no sentence starts on line 7\n");
    free(out);
    relmap_rules_free(rules);
}
END_TEST

START_TEST(coverage_lists_misses_and_idle_rules)
{
    relmap_rules *rules = load();
    relmap_coverage *c = relmap_coverage_new(rules);
    /* a rule counts as fired when it gave an edge: its source from context
     * too; rule 7 is searched in the last sentence (its words, and an entity
     * on each side of "by") for no match; rule 6 is not in the one before
     * (no entity after "accused"), which is no search */
    const char *a = "China met the FBI. Washington accused Beijing. China praised China. "
                    "The charges accuse Beijing. Beijing told Washington it accused nobody. "
                    "Washington accused Beijing, and it was accused by nobody, the FBI said.";
    relmap_coverage_add(c, "a.txt", a, strlen(a));
    char *report = relmap_coverage_report(c);
    ck_assert_str_eq(report, "Sentences that name two entities or more but gave no edge (2 of 6 "
                             "sentences):\n"
                             "a.txt:1: China met the FBI.\n"
                             "    entities: China, FBI\n"
                             "a.txt:1: Beijing told Washington it accused nobody.\n"
                             "    entities: China, United States\n"
                             "\n"
                             "Rules that never fired (3 of 5):\n"
                             "  t.rules:7 (accuses)\n"
                             "  t.rules:8 (denies)\n"
                             "  t.rules:9 (denies)\n"
                             "\n"
                             "Times each rule fired:\n"
                             "       2  t.rules:6 (accuses)\n"
                             "       1  t.rules:10 (accuses)\n"
                             "\n"
                             "Rules searched most often for no match (sentences searched; of "
                             "them, matched):\n"
                             "       1       0  t.rules:7 (accuses)\n");
    free(report);
    relmap_coverage_free(c);
    relmap_rules_free(rules);
}
END_TEST

int main(void)
{
    RUN_TESTS("explain",
              explain_shows_split_entities_rules_slots_and_edges,
              explain_shows_a_source_from_context,
              explain_shows_the_edges_of_a_list_of_names,
              explain_all_lists_rules_whose_triggers_occur,
              explain_line_picks_sentences,
              coverage_lists_misses_and_idle_rules);
}

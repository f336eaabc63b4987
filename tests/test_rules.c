/* Rule files: what loads, and each error at its exact FILE:LINE:COL. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relmap.h"
#include "check_main.h"

static relmap_error err;

/* Load `text`; expect failure at line:col with `message` inside. */
static void expect_error(const char *text, unsigned line, unsigned col, const char *message)
{
    relmap_rules *rules = (relmap_rules *)1;
    int rc = relmap_rules_load_string(&rules, "t.rules", text, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_null(rules);
    ck_assert_str_eq(err.file, "t.rules");
    ck_assert_msg(err.line == line && err.column == col, "expected %u:%u, got %u:%u (%s)", line,
                  col, err.line, err.column, err.message);
    ck_assert_msg(strstr(err.message, message) != NULL, "message '%s' lacks '%s'", err.message,
                  message);
}

START_TEST(a_small_rule_file_loads)
{
    relmap_rules *rules;
    int rc = relmap_rules_load_string(&rules, "t.rules",
                                      "# a comment\n"
                                      "relation accuses color=\"#ff0000\" style=dashed label=\"blames\"\n"
                                      "entity country \"China\" alias \"Beijing\"\n"
                                      "entity agency \"FBI\" of \"United States\"\n"
                                      "entity country \"United States\"\n"
                                      "    alias \"U.S.\" \"US\"\n"
                                      "    demonym \"American\"\n"
                                      "macro ACCUSE accus(?:e|es|ed)\n"
                                      "rule accuses: {SRC} {ACCUSE} {TGT}\n",
                                      &err);
    ck_assert_msg(rc == 0, "%s:%u:%u: %s", err.file, err.line, err.column, err.message);
    ck_assert_uint_eq(relmap_rules_relation_count(rules), 1);
    ck_assert_uint_eq(relmap_rules_entity_count(rules), 3);
    ck_assert_uint_eq(relmap_rules_pattern_count(rules), 1);
    relmap_rules_free(rules);
}
END_TEST

START_TEST(unknown_directive)
{
    expect_error("entity country \"China\"\n  alias \"PRC\"\nfrobnicate x\n", 3, 1,
                 "unknown directive 'frobnicate'");
}
END_TEST

START_TEST(unterminated_quote)
{
    expect_error("entity country \"China\n", 1, 16, "unterminated quoted string");
}
END_TEST

START_TEST(pcre2_error_points_into_the_pattern)
{
    /* PCRE2's offset, after the slot's expansion, maps back to the ')' */
    expect_error("relation accuses\nrule accuses: {SRC} a) {TGT}\n", 2, 22,
                 "unmatched closing parenthesis");
}
END_TEST

START_TEST(pcre2_error_inside_a_macro_names_the_macro)
{
    expect_error("relation accuses\nmacro BAD x{3,1}\n\nrule accuses: {SRC} {BAD} {TGT}\n", 2, 16,
                 "in macro BAD: numbers out of order in {} quantifier");
}
END_TEST

START_TEST(pattern_without_source_slot)
{
    expect_error("relation accuses\nrule accuses:   blamed {TGT}\n", 2, 17, "no {SRC} slot");
}
END_TEST

START_TEST(pattern_without_target_slot)
{
    expect_error("relation accuses\nrule accuses: {SRC} blamed\n", 2, 15, "no {TGT} slot");
}
END_TEST

START_TEST(relation_used_but_not_declared)
{
    expect_error("relation accuses\nrule blames: {SRC} blamed {TGT}\n", 2, 6,
                 "relation 'blames' is not declared");
}
END_TEST

START_TEST(alias_claimed_by_two_entities)
{
    expect_error("entity country \"A\" alias \"X\"\nentity country \"B\" alias \"Y\" \"X\"\n", 2,
                 30, "alias \"X\" already belongs to entity \"A\"");
}
END_TEST

START_TEST(macro_used_but_not_defined)
{
    expect_error("relation accuses\nrule accuses: {SRC} {NOPE} {TGT}\n", 2, 21,
                 "undefined macro NOPE");
}
END_TEST

START_TEST(macro_defined_twice)
{
    expect_error("macro A x\nmacro B y\nmacro A z\n", 3, 7, "macro A is already defined at t.rules:1:7");
}
END_TEST

START_TEST(entity_of_undeclared_entity)
{
    expect_error("entity agency \"FBI\" of \"United States\"\n", 1, 24,
                 "belongs to \"United States\", which is not declared");
}
END_TEST

START_TEST(unknown_rule_option)
{
    expect_error("relation r\nrule r sometimes: {SRC} x {TGT}\n", 2, 8, "unknown rule option 'sometimes'");
}
END_TEST

START_TEST(indented_line_continues_nothing)
{
    expect_error("   alias \"X\"\n", 1, 4, "continues nothing");
}
END_TEST

START_TEST(reciprocal_rule_takes_no_slots)
{
    expect_error("relation r\nrule r reciprocal: {SRC} x\n", 2, 20, "reciprocal");
}
END_TEST

/* "target=actor(accuses,indicts)": the relations of the edges the end from
 * context may come from, each declared (anywhere), none twice, written
 * without spaces; not with a reciprocal rule, which has no end from context */
START_TEST(context_relations_in_brackets)
{
    static const struct {
        const char *rule; /* the third line, after two relations r and s */
        unsigned column;
        const char *message;
    } cases[] = {
        {"rule r target=actor(r,q): {SRC} x", 23, "relation 'q' is not declared (add: relation q)"},
        {"rule r target=actor(s,r,s): {SRC} x", 25, "relation 's' is in the brackets twice"},
        {"rule r target=actor(r: {SRC} x", 20, "write the relations in brackets, with commas"},
        {"rule r target=actor(r, s): {SRC} x", 20, "write the relations in brackets, with commas"},
        {"rule r target=actor(): {SRC} x", 21, "name a relation between each two commas"},
        {"rule r target=actor(r,,s): {SRC} x", 21, "name a relation between each two commas"},
        {"rule r reciprocal(r): x y", 8, "relations in brackets go with target=actor"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[256];
        snprintf(text, sizeof text, "relation r\nrelation s\n%s\n", cases[i].rule);
        expect_error(text, 3, cases[i].column, cases[i].message);
    }
    /* declared after the rule is declared all the same (test_match has what
     * the brackets do) */
    relmap_rules_free(load_rules_text("relation s\nrule s source=actor(r,s): x {TGT}\n"
                                      "relation r\n"));
}
END_TEST

START_TEST(source_actor_rule_takes_a_target_slot_only)
{
    expect_error("relation r\nrule r source=actor: {SRC} x {TGT}\n", 2, 22,
                 "a source=actor rule takes its source from context: remove {SRC}");
    expect_error("relation r\nrule r source=actor: charges x\n", 2, 22,
                 "pattern has no {TGT} slot (a source=actor rule needs one)");
    expect_error("relation r\nrule r source=sometimes: x {TGT}\n", 2, 8,
                 "expected target=actor, target=counterpart, source=actor or reciprocal");
}
END_TEST

/* Every diagnostic of a check, one "LINE:COL: error|warning: message" each. */
static void collect(const relmap_error *d, int is_error, void *context)
{
    char line[1200];
    snprintf(line, sizeof line, "%u:%u: %s: %s\n", d->line, d->column, is_error ? "error" : "warning",
             d->message);
    strcat((char *)context, line);
}

static char *check_string(const char *text, int *rc)
{
    static char out[16384];
    out[0] = '\0';
    relmap_rules *rules;
    *rc = relmap_rules_check_string(&rules, "t.rules", text, collect, out);
    relmap_rules_free(rules);
    return out;
}

START_TEST(check_reports_every_error_in_order)
{
    int rc;
    char *out = check_string("relation accuses\n"
                             "frobnicate\n"
                             "rule accuses: {SRC} (x {TGT}\n"
                             "entity country \"A\" alias \"X\"\n"
                             "entity country \"B\" alias \"X\"\n"
                             "rule blames: {SRC} x {TGT}\n",
                             &rc);
    ck_assert_int_eq(rc, RELMAP_ESYNTAX);
    ck_assert_str_eq(out, "2:1: error: unknown directive 'frobnicate'; expected include, relation, "
                          "entity, alias, macro, rule, example, title, government-noun, group-noun "
                          "or role\n"
                          "3:29: error: missing closing parenthesis\n"
                          "5:26: error: alias \"X\" already belongs to entity \"A\" (declared at "
                          "t.rules:4)\n"
                          "6:6: error: relation 'blames' is not declared (add: relation blames)\n");
}
END_TEST

START_TEST(check_warns_of_unused_macros_idle_relations_and_empty_patterns)
{
    int rc;
    char *out = check_string("relation accuses\n"
                             "relation praises\n"
                             "macro UNUSED x\n"
                             "rule accuses:   {SRC} accused {TGT}\n"
                             "rule accuses reciprocal: (?:each other)?\n",
                             &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "2:10: warning: relation 'praises' has no pattern\n"
                          "3:7: warning: macro UNUSED is never used\n"
                          "5:26: warning: pattern can match the empty string\n");
}
END_TEST

/* A pattern without a word that every match holds runs on every sentence:
 * check says so; an atomic group's words count. */
START_TEST(check_warns_of_patterns_without_trigger_words)
{
    int rc;
    char *out = check_string("relation accuses\n"
                             "rule accuses: {SRC} (?:\\w+ ){1,3}{TGT}\n"
                             "rule accuses: {SRC} (?>\\w+ )?\\baccused {TGT}\n",
                             &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "2:15: warning: pattern has no trigger word (a word of 3 letters or more "
                          "that every match holds), so it runs on every sentence that names "
                          "enough entities\n");
}
END_TEST

/* A line's white space at its end is dropped; at a macro body's, where it
 * would matter, check says so (and where), even on a continued line. */
START_TEST(check_warns_of_white_space_that_ends_a_macro)
{
    int rc;
    char *out = check_string("relation accuses\n"
                             "macro AND1 (?:\\w+ )+and \n"
                             "macro OK (?:\\w+ )+and(?: )\n"
                             "macro TWO (?:x|\n"
                             "    y)\t\n"
                             "rule accuses: {SRC} {AND1}{OK}{TWO}\\baccused {TGT}\n",
                             &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "2:24: warning: the white space that ends macro AND1 is dropped; to end "
                          "it with a space, write (?: )\n"
                          "5:7: warning: the white space that ends macro TWO is dropped; to end "
                          "it with a space, write (?: )\n");
}
END_TEST

/* A trigger word that may begin inside a word keeps every rule's from the
 * scan by words: check says which, and where; "\b" or a space before it, or
 * a word that begins with punctuation, says nothing. */
START_TEST(check_warns_of_trigger_words_that_may_begin_inside_a_word)
{
    int rc;
    char *out = check_string("relation accuses\n"
                             "rule accuses: {SRC} \\w*accused {TGT}\n"
                             "rule accuses: accusations by {SRC} against {TGT}\n"
                             "rule accuses: \\baccusations by {SRC} against {TGT}\n"
                             "rule accuses: {SRC} lashed out, blaming {TGT}\n"
                             "rule accuses: {SRC} \\w*blamed\\b {TGT}\n",
                             &rc);
    ck_assert_int_eq(rc, 0);
    /* (a word that ends at \b is named without the mark it carries) */
    ck_assert_str_eq(out, "2:15: warning: trigger word \"accused \" may begin inside a word, so "
                          "every sentence is scanned byte by byte for all rules' words; if it "
                          "begins a word, write \\b before it\n"
                          "3:15: warning: trigger word \"accusations by \" may begin inside a word, "
                          "so every sentence is scanned byte by byte for all rules' words; if it "
                          "begins a word, write \\b before it\n"
                          "6:15: warning: trigger word \"blamed\" may begin inside a word, so "
                          "every sentence is scanned byte by byte for all rules' words; if it "
                          "begins a word, write \\b before it\n");
    /* the trigger words printed for the benchmark's grep: without the mark */
    relmap_rules *r = NULL;
    ck_assert_int_eq(relmap_rules_check_string(&r, "t.rules",
                                               "relation accuses\n"
                                               "rule accuses: {SRC} \\bblamed\\b {TGT}\n",
                                               NULL, NULL),
                     0);
    char *words = relmap_rules_trigger_words(r);
    ck_assert_str_eq(words, "blamed\n");
    free(words);
    relmap_rules_free(r);
}
END_TEST

START_TEST(examples_report_expected_and_actual_edges)
{
    int rc;
    char *out = check_string("relation accuses\n"
                             "entity country \"China\" alias \"Beijing\"\n"
                             "entity country \"Japan\" alias \"Tokyo\"\n"
                             "rule accuses: {SRC} accused {TGT}\n"
                             "example \"Beijing accused Tokyo.\" => China accuses Japan\n"
                             "example \"Tokyo accused Beijing.\" => China accuses Japan\n"
                             "example   \"Tokyo praised Beijing.\"\n"
                             "    => none\n",
                             &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "");
    relmap_rules *rules;
    ck_assert_int_eq(relmap_rules_check_string(&rules, "t.rules",
                                               "relation accuses\n"
                                               "entity country \"China\" alias \"Beijing\"\n"
                                               "entity country \"Japan\" alias \"Tokyo\"\n"
                                               "rule accuses: {SRC} accused {TGT}\n"
                                               "example \"Beijing accused Tokyo.\" => China accuses Japan\n"
                                               "example \"Tokyo accused Beijing.\" => China accuses Japan\n"
                                               "example   \"Tokyo praised Beijing.\"\n"
                                               "    => none\n",
                                               NULL, NULL),
                     0);
    size_t run, failed;
    out[0] = '\0';
    ck_assert_int_eq(relmap_rules_run_examples(rules, collect, out, &run, &failed), RELMAP_ESYNTAX);
    ck_assert_uint_eq(run, 3);
    ck_assert_uint_eq(failed, 1);
    ck_assert_str_eq(out, "6:9: error: example fails: expected China -accuses-> Japan; got Japan "
                          "-accuses-> China\n");
    relmap_rules_free(rules);
}
END_TEST

START_TEST(malformed_examples)
{
    int rc;
    char *out = check_string("example \"No arrow.\"\n"
                             "example \"Short.\" => China accuses\n"
                             "example \"Mixed.\" => none => A r B\n",
                             &rc);
    ck_assert_int_eq(rc, RELMAP_ESYNTAX);
    ck_assert_str_eq(out, "1:20: error: example needs '=> Source relation Target' or '=> none'\n"
                          "2:34: error: an edge is Source relation Target: quote names with spaces\n"
                          "3:26: error: '=> none' cannot go with other edges\n");
}
END_TEST

static char dir[] = "/tmp/relmap-rules-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A folder of its own for a test's files; the name's template is restored
 * first, so that tests run in one process (CK_FORK=no) each get one. */
static void make_dir(void)
{
    memcpy(dir + sizeof dir - 7, "XXXXXX", 6);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* The folder and the files write_file put there. */
static void remove_dir(const char *const *names, size_t n)
{
    char path[256];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        ck_assert_int_eq(unlink(path), 0);
    }
    ck_assert_int_eq(rmdir(dir), 0);
}

START_TEST(include_cycle_is_reported_at_the_include)
{
    make_dir();
    write_file("a.rules", "relation r\ninclude \"b.rules\"\n");
    write_file("b.rules", "\n\ninclude   \"a.rules\"\n");
    char path[256];
    snprintf(path, sizeof path, "%s/a.rules", dir);
    const char *paths[] = {path};
    relmap_rules *rules;
    ck_assert_int_lt(relmap_rules_load(&rules, paths, 1, &err), 0);
    ck_assert_msg(strstr(err.file, "b.rules") != NULL, "%s", err.file);
    ck_assert_uint_eq(err.line, 3);
    ck_assert_uint_eq(err.column, 11);
    ck_assert_msg(strstr(err.message, "include cycle") != NULL, "%s", err.message);
    ck_assert_str_eq(err.source_line, "include   \"a.rules\"");
    const char *names[] = {"a.rules", "b.rules"};
    remove_dir(names, 2);
}
END_TEST

START_TEST(missing_include_is_reported_at_the_include)
{
    make_dir();
    write_file("a.rules", "relation r\n  \ninclude \"nowhere.rules\"\n");
    char path[256];
    snprintf(path, sizeof path, "%s/a.rules", dir);
    const char *paths[] = {path};
    relmap_rules *rules;
    ck_assert_int_lt(relmap_rules_load(&rules, paths, 1, &err), 0);
    ck_assert_uint_eq(err.line, 3);
    ck_assert_uint_eq(err.column, 9);
    ck_assert_msg(strstr(err.message, "cannot include \"") != NULL, "%s", err.message);
    const char *names[] = {"a.rules"};
    remove_dir(names, 1);
}
END_TEST

START_TEST(bundled_rules_load)
{
    const char *dir_env = getenv("RELMAP_RULES");
    ck_assert_ptr_nonnull(dir_env);
    char *path = relmap_rules_default_path(NULL);
    ck_assert_ptr_nonnull(path);
    const char *paths[] = {path};
    relmap_rules *rules;
    int rc = relmap_rules_load(&rules, paths, 1, &err);
    ck_assert_msg(rc == 0, "%s:%u:%u: %s", err.file, err.line, err.column, err.message);
    ck_assert_uint_ge(relmap_rules_relation_count(rules), 10);
    /* every UN member state plus Taiwan, the EU, NATO and the UN */
    ck_assert_uint_ge(relmap_rules_entity_count(rules), 193 + 4);
    relmap_rules_free(rules);
    free(path);
}
END_TEST

int main(void)
{
    RUN_TESTS("rules",
              a_small_rule_file_loads,
              unknown_directive,
              unterminated_quote,
              pcre2_error_points_into_the_pattern,
              pcre2_error_inside_a_macro_names_the_macro,
              pattern_without_source_slot,
              pattern_without_target_slot,
              relation_used_but_not_declared,
              alias_claimed_by_two_entities,
              macro_used_but_not_defined,
              macro_defined_twice,
              entity_of_undeclared_entity,
              unknown_rule_option,
              indented_line_continues_nothing,
              reciprocal_rule_takes_no_slots,
              source_actor_rule_takes_a_target_slot_only,
              context_relations_in_brackets,
              include_cycle_is_reported_at_the_include,
              missing_include_is_reported_at_the_include,
              bundled_rules_load,
              check_reports_every_error_in_order,
              check_warns_of_unused_macros_idle_relations_and_empty_patterns,
              check_warns_of_white_space_that_ends_a_macro,
              check_warns_of_patterns_without_trigger_words,
              check_warns_of_trigger_words_that_may_begin_inside_a_word,
              examples_report_expected_and_actual_edges,
              malformed_examples);
}

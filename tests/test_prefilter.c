/* The trigger words derived from a pattern: never one too many (a rule
 * skipped that could match), and selective where the pattern allows. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "check_main.h"

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The derived set, sorted and joined by '|', or "(always)". */
static char *derive(const char *pattern)
{
    literals *l = prefilter_derive(pattern, strlen(pattern));
    if (!l)
        return strdup("(always)");
    qsort(l->items, l->count, sizeof *l->items, by_text);
    size_t n = 1;
    for (size_t i = 0; i < l->count; i++)
        n += strlen(l->items[i]) + 1;
    char *out = calloc(1, n);
    for (size_t i = 0; i < l->count; i++) {
        if (i)
            strcat(out, "|");
        strcat(out, l->items[i]);
    }
    prefilter_free(l);
    return out;
}

#define DERIVES(pattern, expected)                                               \
    do {                                                                         \
        char *got_ = derive(pattern);                                            \
        ck_assert_msg(!strcmp(got_, expected), "%s: expected %s, got %s", pattern, \
                      expected, got_);                                           \
        free(got_);                                                              \
    } while (0)

START_TEST(literal_runs_and_alternations)
{
    DERIVES("\\s+(?:Accus(?:e|es|ed))\\s+", "accus");
    DERIVES("(?:accus\\w+|blam\\w+)", "accus|blam");
    DERIVES("(?:foo)?barbaz", "barbaz");
    DERIVES("(?<src>x)\\s+summon(?:s|ed)?\\s+(?<tgt>y)", "summon");
}
END_TEST

START_TEST(optional_and_repeated_parts_are_not_required)
{
    DERIVES("(?:abcdef)?", "(always)");
    DERIVES("abcd?", "abc");
    /* "xyzba+cdef" holds "xyzba" and "acdef", never "xyzbacdef" */
    DERIVES("xyzba+cdef", "xyzba");
    DERIVES("(?:long|)word", "word");
    DERIVES("(?:abc|d)", "(always)");
}
END_TEST

START_TEST(what_it_does_not_understand_makes_it_give_up)
{
    DERIVES("\\Qabc\\E", "(always)");
    DERIVES("(?i)abcdef", "(always)");
    DERIVES("(*UTF)abcdef", "(always)");
    DERIVES("(?(1)abc|def)", "(always)");
    DERIVES("caf\xc3\xa9s", "caf");
}
END_TEST

START_TEST(classes_escapes_and_lookarounds)
{
    DERIVES("[abc]def\\.ghi", "def.ghi");
    DERIVES("(?=zzz)abcd(?<!q)", "abcd");
    DERIVES("\\x{E000}abcd\\p{L}", "abcd");
    DERIVES("ab[)]cd", "(always)");
}
END_TEST

START_TEST(one_pass_tells_each_rule_whether_its_words_occur)
{
    literals *a = prefilter_derive("(?:accus\\w+|blam\\w+)", 21);
    literals *b = prefilter_derive("summon(?:s|ed)", 14);
    const literals *rules[] = {a, NULL, b};
    trigger_set *set = prefilter_build(rules, 3);
    ck_assert_uint_eq(prefilter_literal_count(set), 3);
    unsigned seen[3] = {0};
    const char *text = "china blamed the u.s.";
    prefilter_scan(set, text, strlen(text), seen, 1);
    ck_assert(prefilter_rule_admits(set, 0, seen, 1));
    ck_assert(prefilter_rule_admits(set, 1, seen, 1)); /* no literals: always */
    ck_assert(!prefilter_rule_admits(set, 2, seen, 1));
    /* overlapping literals: "resummoned" holds "summon" */
    text = "it was resummoned";
    prefilter_scan(set, text, strlen(text), seen, 2);
    ck_assert(!prefilter_rule_admits(set, 0, seen, 2));
    ck_assert(prefilter_rule_admits(set, 2, seen, 2));
    prefilter_free_set(set);
    prefilter_free(a);
    prefilter_free(b);
}
END_TEST

int main(void)
{
    RUN_TESTS("prefilter",
              literal_runs_and_alternations,
              optional_and_repeated_parts_are_not_required,
              what_it_does_not_understand_makes_it_give_up,
              classes_escapes_and_lookarounds,
              one_pass_tells_each_rule_whether_its_words_occur);
}

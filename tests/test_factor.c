/* Alternations factored for PCRE2: the rewritten pattern, and the proof
 * that matters, the same matches as the pattern as written. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "factor.h"
#include "check_main.h"

/* The pattern rewritten, or "(as written)". */
static char *factored(const char *pattern)
{
    strbuf out = {0};
    if (!pattern_factor(pattern, strlen(pattern), &out)) {
        sb_free(&out);
        return strdup("(as written)");
    }
    return out.data;
}

#define FACTORS(pattern, expected)                                                           \
    do {                                                                                     \
        char *got_ = factored(pattern);                                                      \
        ck_assert_msg(strcmp(got_, expected) == 0, "%s: got %s, want %s", pattern, got_,     \
                      expected);                                                             \
        free(got_);                                                                          \
    } while (0)

START_TEST(branches_of_one_first_letter_share_it)
{
    FACTORS("(?:has|have|had|will|would)", "(?:ha(?:s|ve|d)|w(?:ill|ould))");
    /* in the order of their first, each keeping its own order */
    FACTORS("x(?:was|is|were|it)y", "x(?:w(?:as|ere)|i(?:s|t))y");
    /* the whole of the shorter one in common: an empty rest, tried first
     * as before */
    FACTORS("(?:be|been|being) ", "(?:be(?:|en|ing)) ");
    /* caseless: either case; the first branch's letters are written */
    FACTORS("(?:Monday|mid|Tuesday)", "(?:M(?:onday|id)|Tuesday)");
    /* the top level, and groups inside groups (captures named or not keep
     * their places: no branch moves here) */
    FACTORS("ab|ac", "a(?:b|c)");
    FACTORS("(?<src>x) (?:on (?:its|their) part|once)", "(?<src>x) (?:on(?: (?:its|their) part|ce))");
    /* a quantifier after the rests' group keeps its place */
    FACTORS("(?:ab|ac)+d", "(?:a(?:b|c))+d");
}
END_TEST

START_TEST(what_begins_otherwise_stays_in_its_place)
{
    /* nothing moves across \w+ly: the two a-branches are not put together */
    FACTORS("(?:ab|\\w+ly|ac)", "(as written)");
    FACTORS("(?:ab|\\w+ly|ac|ad)", "(?:ab|\\w+ly|a(?:c|d))");
    /* a first letter with a quantifier, a class, an escape, a group, an
     * empty branch, a character beyond ASCII, punctuation */
    FACTORS("(?:a?b|ac|ab)", "(?:a?b|a(?:c|b))");
    FACTORS("(?:[ab]c|ac|ad)", "(?:[ab]c|a(?:c|d))");
    FACTORS("(?:\\d|1a|1b)", "(?:\\d|1(?:a|b))");
    FACTORS("(?:(?:x)y|xz|xw)", "(?:(?:x)y|x(?:z|w))");
    FACTORS("(?:|ab|ac)", "(?:|a(?:b|c))");
    FACTORS("(?:\xc3\xa9t\xc3\xa9|\xc3\xa9t\xc3\xa9s)", "(as written)");
    FACTORS("(?: a| b)", "(as written)");
    /* a branch with a capturing group: its number is its place */
    FACTORS("(?:a(x)|b|a(y))", "(as written)");
    FACTORS("(?:a(?<n>x)|ab|ac)", "(?:a(?<n>x)|a(?:b|c))");
    /* the common beginning stops at anything but a plain letter or digit */
    FACTORS("(?:ab+c|abd)", "(?:a(?:b+c|bd))");
}
END_TEST

START_TEST(case_matters_where_the_pattern_says_so)
{
    FACTORS("(?-i:Ab|ab|Ac)", "(?-i:A(?:b|c)|ab)");
    FACTORS("(?-i:x(?i:Ab|ab|Ac))", "(?-i:x(?i:A(?:b|b|c)))");
    FACTORS("(?s-i:Ab|ab)", "(as written)");
}
END_TEST

START_TEST(syntax_it_does_not_take_apart_leaves_the_pattern_as_written)
{
    const char *patterns[] = {
        "(?i)ab|ac",        /* an inline setting reaches later branches */
        "(?:a(?-i)b|ac)",
        "(?x:ab|ac)",       /* extended: spaces are no characters */
        "\\Qab|ac\\E",
        "(*UTF)ab|ac",
        "(?|(ab)|(ac))",    /* branch reset */
        "(?>ab|ac)",        /* atomic */
        "(?(1)ab|ac)",
        "(?#note)ab|ac",
        "(?:ab|ac",         /* PCRE2's own errors: it reports them */
        "ab|ac)",
        "[ab|ac",
        "ab\\",
        "nothing|to|gain",
    };
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
        FACTORS(patterns[i], "(as written)");
    /* an escaped NUL is two bytes, as PCRE2 reads it: the '{' after it is
     * a character, not the start of \x{...} (found by fuzzing) */
    {
        static const char with_nul[] = "\\\0{|ab|ac";
        strbuf out = {0};
        ck_assert(pattern_factor(with_nul, sizeof with_nul - 1, &out));
        ck_assert_uint_eq(out.length, 12);
        ck_assert(!memcmp(out.data, "\\\0{|a(?:b|c)", 12));
        sb_free(&out);
    }
    /* groups in groups past PCRE2's own limit (250): as written, and no
     * recursion that deep (found by fuzzing: the stack ran out) */
    {
        size_t depth = 20000;
        char *deep = malloc(2 * depth + 8);
        memset(deep, '(', depth);
        memcpy(deep + depth, "ab|ac", 5);
        memset(deep + depth + 5, ')', depth);
        strbuf out = {0};
        ck_assert(!pattern_factor(deep, 2 * depth + 5, &out));
        sb_free(&out);
        /* 250 deep is still taken apart */
        memset(deep, '(', 250);
        memcpy(deep + 250, "ab|ac", 5);
        memset(deep + 255, ')', 250);
        ck_assert(pattern_factor(deep, 505, &out));
        ck_assert(!memcmp(out.data + 250, "a(?:b|c))", 9));
        sb_free(&out);
        free(deep);
    }
    /* lookarounds as written (a lookbehind's branches keep their lengths) */
    FACTORS("(?<=ab|ac)x", "(as written)");
    FACTORS("(?<=ab|ac)(?:xy|xz)", "(?<=ab|ac)(?:x(?:y|z))");
    FACTORS("(?=ab|ac)(?!ab|ac)(?<!ab|ac)", "(as written)");
}
END_TEST

static pcre2_code *compile(const char *pattern, size_t length)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, length,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_DUPNAMES
                                       | PCRE2_MATCH_INVALID_UTF,
                                   &code, &offset, NULL);
    ck_assert_msg(re != NULL, "%.*s does not compile (%d at %zu)", (int)length, pattern, code,
                  (size_t)offset);
    return re;
}

/* Every match from every place, its groups included, of both patterns. */
static void same_matches(const char *pattern, const char *subject)
{
    strbuf out = {0};
    ck_assert_msg(pattern_factor(pattern, strlen(pattern), &out), "%s: not rewritten", pattern);
    pcre2_code *a = compile(pattern, strlen(pattern)), *b = compile(out.data, out.length);
    pcre2_match_data *ma = pcre2_match_data_create_from_pattern(a, NULL);
    pcre2_match_data *mb = pcre2_match_data_create_from_pattern(b, NULL);
    size_t n = strlen(subject);
    for (size_t start = 0; start <= n; start++) {
        int ra = pcre2_match(a, (PCRE2_SPTR)subject, n, start, 0, ma, NULL);
        int rb = pcre2_match(b, (PCRE2_SPTR)subject, n, start, 0, mb, NULL);
        ck_assert_msg(ra == rb, "%s / %s on \"%s\" from %zu: %d, %d", pattern, out.data, subject,
                      start, ra, rb);
        PCRE2_SIZE *oa = pcre2_get_ovector_pointer(ma), *ob = pcre2_get_ovector_pointer(mb);
        for (int k = 0; k < 2 * ra; k++)
            ck_assert_msg(oa[k] == ob[k], "%s / %s on \"%s\" from %zu: group %d differs",
                          pattern, out.data, subject, start, k / 2);
    }
    pcre2_match_data_free(ma);
    pcre2_match_data_free(mb);
    pcre2_code_free(a);
    pcre2_code_free(b);
    sb_free(&out);
}

/* Patterns in the shape of the rule macros, where the order of the tries
 * decides which match is found (a shorter branch before a longer one, lazy
 * and greedy repeats after them), on every text of a small alphabet up to
 * five letters and on words: what PCRE2 finds, and where its groups are, is
 * the same for the pattern rewritten. */
START_TEST(the_rewritten_pattern_finds_the_same_matches)
{
    const char *patterns[] = {
        "(?:a|ab|abc|b|ba)(c?)",
        "(?<x>(?:ab|a|b)+?)(?:c|ca|cab)",
        "(ab|a)(?:ba|b|bab)c?",
        "(?:aa|a){2,3}(?:b|bb|a)",
        "(?:(?:has|have|had|be|been|being|\\w+ly) +){0,4}(?:accus(?:e|ed|es)|blam(?:e|ed))",
        "(?-i:(?:Ab|ab|A)(B|b))",
        "(?:a(b)|ab|ac|(c)a|ca)",
        "(?:ac|a[bc]|ab)\\b",
        /* where moving past a branch that begins otherwise, or past a
         * capturing group, would show: not done, and so the same */
        "(?:ab|\\w+|ac|ad)(c*)",
        "(?:c(a)|b(b)|c(c)|bb|ba)",
    };
    const char alphabet[] = "abcAB";
    char subject[8];
    for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++) {
        for (size_t length = 0; length <= 5; length++) {
            size_t total = 1;
            for (size_t k = 0; k < length; k++)
                total *= sizeof alphabet - 1;
            for (size_t v = 0; v < total; v++) {
                size_t rest = v;
                for (size_t k = 0; k < length; k++) {
                    subject[k] = alphabet[rest % (sizeof alphabet - 1)];
                    rest /= sizeof alphabet - 1;
                }
                subject[length] = '\0';
                same_matches(patterns[p], subject);
            }
        }
    }
    const char *sentences[] = {
        "China has been accused", "it had long blamed them", "Beijing has accused",
        "they have repeatedly blamed and accused", "Being accuses", "has has has has blamed",
        "HAD BEEN ACCUSED", "wholly accused", "be blame",
    };
    for (size_t s = 0; s < sizeof sentences / sizeof *sentences; s++)
        same_matches(patterns[4], sentences[s]);
}
END_TEST

int main(void)
{
    RUN_TESTS("factor",
              branches_of_one_first_letter_share_it,
              what_begins_otherwise_stays_in_its_place,
              case_matters_where_the_pattern_says_so,
              syntax_it_does_not_take_apart_leaves_the_pattern_as_written,
              the_rewritten_pattern_finds_the_same_matches);
}

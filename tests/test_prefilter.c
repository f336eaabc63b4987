/* The trigger words derived from a pattern: never one too many (a rule
 * skipped that could match), and selective where the pattern allows. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "check_main.h"

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The slot atom, as rules.c writes {SRC}, {TGT} and {ENT} (without the
 * group around it, which changes nothing). */
#define SLOT "(?-i:[\\x{E000}-\\x{F8FF}])"

/* The derived clauses, each sorted and joined by '|', joined by " & " in
 * their order (the most selective first), or "(always)"; with a slot's
 * text, each clause followed by the slots needed before and after it, as
 * "<1,1>". */
static char *describe(const char *pattern, const char *slot)
{
    literals *l = prefilter_derive(pattern, strlen(pattern), slot);
    if (!l)
        return strdup("(always)");
    size_t n = 1 + l->nclauses * 32;
    for (size_t i = 0; i < l->count; i++)
        n += strlen(l->items[i]) + 3;
    char *out = calloc(1, n);
    for (size_t k = 0, from = 0; k < l->nclauses; from = l->clause_end[k++]) {
        qsort(l->items + from, l->clause_end[k] - from, sizeof *l->items, by_text);
        for (size_t i = from; i < l->clause_end[k]; i++) {
            if (i)
                strcat(out, i == from ? " & " : "|");
            strcat(out, l->items[i]);
        }
        if (slot) {
            char sides[32];
            snprintf(sides, sizeof sides, "<%u,%u>", l->slots_before[k], l->slots_after[k]);
            strcat(out, sides);
        }
    }
    prefilter_free(l);
    return out;
}

#define DERIVES_WITH(slot, pattern, expected)                                     \
    do {                                                                          \
        char *got_ = describe(pattern, slot);                                     \
        ck_assert_msg(!strcmp(got_, expected), "%s: expected %s, got %s", pattern, \
                      expected, got_);                                            \
        free(got_);                                                               \
    } while (0)
#define DERIVES(pattern, expected) DERIVES_WITH(NULL, pattern, expected)
#define DERIVES_SLOTS(pattern, expected) DERIVES_WITH(SLOT, pattern, expected)

/* Free a scan's set and hits, and the n rules' literals it was built of. */
static void free_scan(trigger_set *set, trigger_hits *hits, literals **lits, size_t n)
{
    prefilter_hits_free(hits);
    prefilter_free_set(set);
    for (size_t r = 0; r < n; r++)
        prefilter_free(lits[r]);
}

START_TEST(literal_runs_and_alternations)
{
    DERIVES("\\s+(?:Accus(?:e|es|ed))\\s+", "accus");
    DERIVES("(?:accus\\w+|blam\\w+)", "accus|blam");
    DERIVES("(?:foo)?barbaz", "barbaz");
    DERIVES("(?<src>x)\\s+summon(?:s|ed)?\\s+(?<tgt>y)", "summon");
    /* an atomic group or a branch reset gives up no way of matching that
     * its words would need */
    DERIVES("(?>(?:\\w+ ){1,3}?and )??accused", "accused");
    DERIVES("(?>summon(?:s|ed)?|recall)", "recall|summon");
    DERIVES("(?|(a)bcdef|(x)yzzy)", "bcdef|yzzy");
}
END_TEST

/* A common word filters less than a longer one would say: "the two" is
 * "two", though "the " has more bytes; on its own a clause still counts. */
START_TEST(a_common_word_is_a_poor_filter)
{
    DERIVES("(?:the\\s+two|both)\\s+sides", "sides & both|two");
    DERIVES("into\\s+the\\s+network", "network & into & the");
    DERIVES("by\\s+the\\s+bay", "bay & by & the");
    DERIVES("the\\s+(?:one|other)", "one|other & the");
    /* each common word of three letters or more, found by the binary search,
     * comes after a rare word of three (which it would precede by length
     * or, at three, in byte order) */
    static const char *const common[] = {
        "and", "are", "been", "but", "for", "from", "had", "has", "have", "its", "not",
        "she", "that", "the", "their", "they", "this", "was", "were", "will", "with", "would"};
    for (size_t i = 0; i < sizeof common / sizeof *common; i++) {
        char pattern[64], expected[64];
        snprintf(pattern, sizeof pattern, "%s\\s+zzz", common[i]);
        snprintf(expected, sizeof expected, "zzz & %s", common[i]);
        DERIVES(pattern, expected);
    }
    /* and of two letters, after a rare word of two */
    static const char *const common2[] = {"an", "as", "at", "be", "by", "he", "in",
                                          "is", "it", "of", "on", "or", "to", "we"};
    for (size_t i = 0; i < sizeof common2 / sizeof *common2; i++) {
        char pattern[64], expected[64];
        snprintf(pattern, sizeof pattern, "zzz\\s+%s\\s+zz", common2[i]);
        snprintf(expected, sizeof expected, "zzz & zz & %s", common2[i]);
        DERIVES(pattern, expected);
    }
    /* a rarer word is no common one, though it begins as one does */
    DERIVES("these\\s+zzz", "these & zzz");
}
END_TEST

START_TEST(optional_and_repeated_parts_are_not_required)
{
    DERIVES("(?:abcdef)?", "(always)");
    DERIVES("abcd?", "abc");
    /* "xyzba+cdef" holds "xyzba" and "acdef", never "xyzbacdef" */
    DERIVES("xyzba+cdef", "xyzba & cdef");
    DERIVES("(?:long|)word", "word");
    DERIVES("(?:abc|d)", "(always)");
}
END_TEST

START_TEST(every_required_part_is_a_clause)
{
    /* a sentence must hold one literal of each clause; the best comes first */
    DERIVES("\\x{E000}\\s+should\\s+(?:accuse|blame)\\s+\\x{E001}", "should & accuse|blame");
    DERIVES("(?:told|said|asked)\\s+(?:that\\s+)?(?:must|should)", "must|should & asked|said|told");
    /* down through groups of one branch, not into optional ones */
    DERIVES("(?:(?:summon)ed\\s+the\\s+ambassador)", "ambassador & summon & ed & the");
    DERIVES("(?:(?:summon)ed\\s+the\\s+ambassador)?", "(always)");
    DERIVES("warn(?:ed\\s+(?:of\\s+)?retaliation)?", "warn");
    /* a literal that another of its set begins adds no place: "say" finds
     * "says" (not when "say" is sought where words begin only, and "says"
     * may stand inside a word) */
    DERIVES("\\b(?:say|says|said|saying)", "said|say");
    DERIVES("(?:\\bsay|says)", "say|says");
    /* a group of many branches is one clause: the union of their best sets */
    DERIVES("\\b(?:denied|rejected\\s+the\\s+claims)", "denied|rejected");
    /* a clause met twice counts once; two letters make a clause beside a
     * longer one, one letter none, and two letters alone no filter */
    DERIVES("abc.*abc.*de", "abc & de");
    DERIVES("abc.*d", "abc");
    DERIVES("\\x{E000}\\s+by\\s+\\x{E001}", "(always)");
    DERIVES("urged\\s+by\\s+\\x{E001}\\s+to", "urged & by & to");
    /* at most four clauses, the most selective */
    DERIVES("aaaaaa\\sbbbbb\\scccc\\sddd\\seeeeeee", "eeeeeee & aaaaaa & bbbbb & cccc");
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
    /* the bytes of an escape are no literal, braces or not: \x41 is "A",
     * \101 too, \cA a control byte, \pL a letter, \g1 \k<n> a group's
     * text (none of them "41", "01", "a", "l", "1", "<n>") */
    DERIVES("\\x41bcdefg", "bcdefg");
    DERIVES("\\x4bcdefg", "cdefg");
    DERIVES("\\101bcdefg", "bcdefg");
    DERIVES("\\cAbcdefg", "bcdefg");
    DERIVES("\\pLbcdefg", "bcdefg");
    DERIVES("\\g1bcdefg", "bcdefg");
    DERIVES("\\g-1bcdefg", "bcdefg");
    DERIVES("\\k<n>bcdefg", "bcdefg");
    DERIVES("\\k'n'bcdefg", "bcdefg");
    DERIVES("\\g<n>bcdefg", "bcdefg");
    DERIVES("\\k<nbcdefg", "(always)");
    /* a group with options is a group: its literals are needed (the scan
     * reads either case, so a case-sensitive one lets through more) */
    DERIVES("(?-i:[\\x{E000}-\\x{F8FF}])\\s+(?-i:Summoned)\\s+(?i:the)", "summoned & the");
    DERIVES("(?-i:abc|xyz)defg", "defg & abc|xyz");
    DERIVES("(?i-m:abcd)?efg", "efg");
    /* options for the rest of the pattern, or that change its syntax, are
     * not understood ("(?x: abc )" matches "abc") */
    DERIVES("(?-i)abcdef", "(always)");
    DERIVES("(?x: abc )def", "(always)");
    DERIVES("(?ix: abc )def", "(always)");
}
END_TEST

/* Every place in a sentence, in either case: a literal is found wherever it
 * stands (at either end, across the middle where the scan cuts a sentence
 * in two, sharing its first bytes with another), and one byte short of it
 * is not. */
START_TEST(a_literal_is_found_at_every_place_and_a_near_miss_nowhere)
{
    literals *lits[] = {prefilter_derive("pulled out of", 13, NULL),
                        prefilter_derive("accused", 7, NULL), prefilter_derive("acc", 3, NULL),
                        prefilter_derive("accusing", 8, NULL), prefilter_derive("sanctions", 9, NULL)};
    const char *words[] = {"pulled out of", "accused", "acc", "accusing", "sanctions"};
    const literals *rules[5];
    for (int r = 0; r < 5; r++) {
        ck_assert_ptr_nonnull(lits[r]);
        rules[r] = lits[r];
    }
    trigger_set *set = prefilter_build(rules, 5);
    trigger_hits *hits = prefilter_hits_new(set);
    const char filler[] = "the two sides held talks in geneva on monday and tuesday. ";
    for (int r = 0; r < 5; r++) {
        size_t wl = strlen(words[r]);
        for (size_t total = 20; total <= 90; total += 7) {
            for (size_t at = 0; at + wl <= total; at++) {
                for (int upper = 0; upper < 2; upper++) {
                    char text[128];
                    for (size_t k = 0; k < total; k++)
                        text[k] = filler[k % (sizeof filler - 1)];
                    memcpy(text + at, words[r], wl);
                    if (upper)
                        for (size_t k = at; k < at + wl; k++)
                            text[k] = (char)(text[k] >= 'a' && text[k] <= 'z' ? text[k] - 32
                                                                              : text[k]);
                    prefilter_scan(set, text, total, hits);
                    ck_assert_msg(prefilter_rule_admits(set, (size_t)r, hits),
                                  "\"%s\" at %zu of %zu not found", words[r], at, total);
                    /* the last byte changed: no longer that literal (but "acc"
                     * stays inside "accused" and "accusing") */
                    text[at + wl - 1] = '#';
                    prefilter_scan(set, text, total, hits);
                    if (r != 2)
                        ck_assert_msg(!prefilter_rule_admits(set, (size_t)r, hits),
                                      "\"%s\" at %zu of %zu found though cut", words[r], at,
                                      total);
                }
            }
        }
    }
    free_scan(set, hits, lits, 5);
}
END_TEST

/* A long literal is compared whole, past the bytes its list or prefix
 * proves and past a shorter literal it begins with: a difference at its
 * 28th byte turns it away, in the scan by words and in the automaton's (a
 * literal inside a word sends the set there). */
START_TEST(a_long_literal_is_compared_past_its_first_bytes)
{
    for (int automaton = 0; automaton < 2; automaton++) {
        literals *lits[] = {prefilter_derive("counterintelligence operations", 30, NULL),
                            prefilter_derive("counterintelligence", 19, NULL),
                            prefilter_derive(automaton ? "\\w+telligen" : "spies", automaton ? 12 : 5,
                                             NULL)};
        for (int r = 0; r < 3; r++)
            ck_assert_ptr_nonnull(lits[r]);
        trigger_set *set = prefilter_build((const literals *const *)lits, 3);
        trigger_hits *hits = prefilter_hits_new(set);
        const char *whole = "the counterintelligence operations of the agency";
        prefilter_scan(set, whole, strlen(whole), hits);
        ck_assert(prefilter_rule_admits(set, 0, hits));
        ck_assert(prefilter_rule_admits(set, 1, hits));
        const char *cut = "the counterintelligence operatives of the agency";
        prefilter_scan(set, cut, strlen(cut), hits);
        ck_assert_msg(!prefilter_rule_admits(set, 0, hits), "automaton %d: found though cut",
                      automaton);
        ck_assert(prefilter_rule_admits(set, 1, hits));
        free_scan(set, hits, lits, 3);
    }
}
END_TEST

typedef struct text_case {
    const char *text;
    int admits;
} text_case;

/* Does the rule of `pattern` admit each text as its case says, in the scan
 * by words and in the automaton's (which a rule whose literal begins with
 * \w+ puts the set in)? Each text stands in a buffer of its own length, so
 * that a read past it is told. */
static void scans_admit(const char *pattern, const text_case *cases, size_t ncases)
{
    for (int automaton = 0; automaton < 2; automaton++) {
        literals *lits[] = {prefilter_derive(pattern, strlen(pattern), NULL),
                            prefilter_derive(automaton ? "\\w+telligen" : "spies",
                                             automaton ? 12 : 5, NULL)};
        ck_assert_ptr_nonnull(lits[0]);
        ck_assert_ptr_nonnull(lits[1]);
        trigger_set *set = prefilter_build((const literals *const *)lits, 2);
        trigger_hits *hits = prefilter_hits_new(set);
        for (size_t i = 0; i < ncases; i++) {
            size_t n = strlen(cases[i].text);
            char *text = malloc(n);
            ck_assert_ptr_nonnull(text);
            memcpy(text, cases[i].text, n);
            prefilter_scan(set, text, n, hits);
            ck_assert_msg(prefilter_rule_admits(set, 0, hits) == cases[i].admits,
                          "%s, automaton %d: \"%s\" %s", pattern, automaton, cases[i].text,
                          cases[i].admits ? "not found" : "found");
            free(text);
        }
        free_scan(set, hits, lits, 2);
    }
}

/* The rules' " +" between words goes on in a literal, as one space that
 * stands for one or more in the text: "accused of" is sought whole, in the
 * scan by words and in the automaton's. */
START_TEST(a_space_of_a_literal_is_one_or_more_in_the_text)
{
    DERIVES("accused +of", "accused of");
    DERIVES("accused +of +(?:hacking|spying)", "accused of  & hacking|spying");
    DERIVES("u\\.s\\. +officials", "u.s. officials");
    /* a space that is not repeated is a literal's too, and the same */
    DERIVES("accused of", "accused of");
    static const text_case cases[] = {
        {"china accused of hacking", 1},
        {"china accused   of hacking", 1},
        {"China ACCUSED  Of hacking", 1},
        {"china accused of", 1},
        {"china accused  of", 1},
        {"china accused the us of hacking", 0},
        {"china accused ", 0},
        {"china accused  o", 0},
        {"china accused  xof", 0},
    };
    scans_admit("accused +of", cases, sizeof cases / sizeof *cases);
}
END_TEST

/* The scans read the first four bytes of a literal's word byte for byte.
 * After a word of three bytes, the space is the last of them: "hit out at"
 * is sought whole, not "hit ", which "hit with sanctions" holds too; where
 * the space is two or more in the text, what either scan has found of the
 * literal ("hit ") ends in the first of them. After a common word the space
 * ends the literal, which would stop the scan at each of the word's places:
 * "was accused" is two clauses. Earlier, a space ends it always ("of the"). */
START_TEST(a_space_after_a_word_of_three_bytes_goes_on_unless_the_word_is_common)
{
    DERIVES("hit +out +at", "hit out at");
    DERIVES("lash(?:es|ed)? +out +at", "out at & lash");
    DERIVES("was +accused", "accused & was ");
    DERIVES("the +culprit", "culprit & the ");
    DERIVES("of +the +hack", "hack & of  & the ");
    static const text_case cases[] = {
        {"china hit out at the us", 1},
        {"china hit  out at the us", 1},
        {"China HIT   OUT  AT the us", 1},
        {"hit out at", 1},
        {"china hit with sanctions", 0},
        {"china hit  outat", 0},
        {"china hit  out", 0},
        {"china hit ", 0},
        {"china hit  ", 0},
    };
    scans_admit("hit +out +at", cases, sizeof cases / sizeof *cases);
}
END_TEST

START_TEST(one_pass_tells_each_rule_whether_its_words_occur)
{
    literals *a = prefilter_derive("(?:accus\\w+|blam\\w+)", 21, NULL);
    literals *b = prefilter_derive("summon(?:s|ed)", 14, NULL);
    const literals *rules[] = {a, NULL, b};
    trigger_set *set = prefilter_build(rules, 3);
    ck_assert_uint_eq(prefilter_literal_count(set), 3);
    trigger_hits *hits = prefilter_hits_new(set);
    const char *text = "china blamed the u.s.";
    prefilter_scan(set, text, strlen(text), hits);
    ck_assert(prefilter_rule_admits(set, 0, hits));
    ck_assert(prefilter_rule_admits(set, 1, hits)); /* no literals: always */
    ck_assert(!prefilter_rule_admits(set, 2, hits));
    /* overlapping literals: "resummoned" holds "summon" */
    text = "it was resummoned";
    prefilter_scan(set, text, strlen(text), hits);
    ck_assert(!prefilter_rule_admits(set, 0, hits));
    ck_assert(prefilter_rule_admits(set, 2, hits));
    prefilter_hits_free(hits);
    prefilter_free_set(set);
    prefilter_free(a);
    prefilter_free(b);
}
END_TEST

/* A set of few rules is first checked for the prefixes of their first
 * clauses, 16 places at a time: at every place, in either case, with bytes
 * that are no letters, and not when the prefix is cut. Sets of some of the
 * rules check 1, 2, 3, 4 and 6 pairs of bytes (each count its own loop). */
START_TEST(few_rules_are_checked_for_their_first_words_at_every_place)
{
    /* "xy\\s+(?:the|and)": its first clause is "xy" (two letters are worth
     * more than a common word), a prefix of two bytes */
    const char *patterns[] = {"foo_bar", "(?:accused|traded)\\s+blame", "x@yz", "[a]bcd",
                              "xy\\s+(?:the|and)"};
    const char *words[] = {"foo_bar", "TRADED blame", "x@yz", "xbcd", "xY and"};
    /* pairs of bytes: one ("o_" of "foo_bar": the second and fourth bytes
     * while every anchor has four); two ("cu", "rd"); three; four (with "@z"
     * of "x@yz"); then, "xy" having two bytes, the first two of each anchor:
     * six ("ac" and "tr" apart) */
    static const unsigned subsets[] = {0x01, 0x02, 0x03, 0x07, 0x1F};
    for (size_t s = 0; s < sizeof subsets / sizeof *subsets; s++) {
        literals *lits[5];
        int rule_of[5]; /* a pattern's rule in this set, or -1 */
        size_t nrules = 0;
        for (int p = 0; p < 5; p++) {
            rule_of[p] = -1;
            if (subsets[s] >> p & 1) {
                rule_of[p] = (int)nrules;
                lits[nrules++] = prefilter_derive(patterns[p], strlen(patterns[p]), NULL);
            }
        }
        if (subsets[s] & 0x10)
            ck_assert_str_eq(lits[rule_of[4]]->items[0], "xy");
        trigger_set *set = prefilter_build((const literals *const *)lits, nrules);
        trigger_hits *hits = prefilter_hits_new(set);
        for (int p = 0; p < 5; p++) {
            if (rule_of[p] < 0)
                continue;
            size_t r = (size_t)rule_of[p], wl = strlen(words[p]);
            for (size_t total = wl; total <= 70; total++) {
                for (size_t at = 0; at + wl <= total; at++) {
                    char text[128];
                    memset(text, ' ', total);
                    memcpy(text + at, words[p], wl);
                    ck_assert_int_eq(prefilter_scan(set, text, total, hits), 1);
                    ck_assert_msg(prefilter_rule_admits(set, r, hits),
                                  "\"%s\" at %zu of %zu not found (set %zu)", words[p], at,
                                  total, s);
                    text[at + 1] = '#'; /* inside the prefix: no anchor at all */
                    ck_assert_int_eq(prefilter_scan(set, text, total, hits), 0);
                    ck_assert_msg(!prefilter_rule_admits(set, r, hits),
                                  "\"%s\" at %zu of %zu found though cut (set %zu)", words[p],
                                  at, total, s);
                }
            }
        }
        free_scan(set, hits, lits, nrules);
    }
}
END_TEST

START_TEST(a_rule_of_two_clauses_needs_both)
{
    const char *p = "(?:should|must)\\s+(?:accuse|blame)";
    literals *l = prefilter_derive(p, strlen(p), NULL);
    ck_assert_uint_eq(l->nclauses, 2);
    const literals *rules[] = {l};
    trigger_set *set = prefilter_build(rules, 1);
    trigger_hits *hits = prefilter_hits_new(set);
    const struct {
        const char *text;
        int admits;
    } cases[] = {
        {"they should blame nobody", 1}, {"they must accuse", 1},  {"they should go", 0},
        {"blame it on the rain", 0},     {"mustblame", 1},         {"", 0},
        {"They SHOULD Blame", 1},        {"Should we?", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        prefilter_scan(set, cases[i].text, strlen(cases[i].text), hits);
        ck_assert_msg(prefilter_rule_admits(set, 0, hits) == cases[i].admits, "%s",
                      cases[i].text);
    }
    prefilter_hits_free(hits);
    prefilter_free_set(set);
    prefilter_free(l);
}
END_TEST

/* Many rules of three clauses each: the clauses of rule 21 are the 64th to
 * 66th of the set, across the first and second words of its bits. Each rule
 * is admitted by its own three words, and by no two of them. */
START_TEST(clauses_are_counted_across_words_of_bits)
{
    enum { RULES = 40 };
    literals *lits[RULES];
    for (int r = 0; r < RULES; r++) {
        char pattern[64];
        snprintf(pattern, sizeof pattern, "xq%02da\\s+\\w+\\s+xq%02db\\s+\\w+\\s+xq%02dc", r, r, r);
        lits[r] = prefilter_derive(pattern, strlen(pattern), NULL);
        ck_assert_ptr_nonnull(lits[r]);
        ck_assert_uint_eq(lits[r]->nclauses, 3);
    }
    trigger_set *set = prefilter_build((const literals *const *)lits, RULES);
    trigger_hits *hits = prefilter_hits_new(set);
    for (int r = 0; r < RULES; r++) {
        for (int drop = -1; drop < 3; drop++) { /* drop: the word left out, or none */
            char text[128] = "";
            for (int k = 0; k < 3; k++) {
                char word[16];
                snprintf(word, sizeof word, k == drop ? "yq%02d%c and " : "xq%02d%c and ", r,
                         'a' + k);
                strcat(text, word);
            }
            prefilter_scan(set, text, strlen(text), hits);
            for (int q = 0; q < RULES; q++)
                ck_assert_msg(prefilter_rule_admits(set, (size_t)q, hits) == (q == r && drop < 0),
                              "rule %d on \"%s\"", q, text);
        }
    }
    free_scan(set, hits, lits, RULES);
}
END_TEST

/* A bit a rule, in as few words as hold them: the last rule of a word and
 * the first of the next are each told, whatever the count of rules. */
START_TEST(rules_at_the_edges_of_words_of_bits_are_each_told)
{
    static const int counts[] = {1, 63, 64, 65, 128, 129};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        int nrules = counts[c];
        literals **lits = calloc((size_t)nrules, sizeof *lits);
        for (int r = 0; r < nrules; r++) {
            char pattern[32];
            snprintf(pattern, sizeof pattern, "\\bzq%03dw", r);
            lits[r] = prefilter_derive(pattern, strlen(pattern), NULL);
            ck_assert_ptr_nonnull(lits[r]);
        }
        trigger_set *set = prefilter_build((const literals *const *)lits, (size_t)nrules);
        trigger_hits *hits = prefilter_hits_new(set);
        const int probes[] = {0, 62, 63, 64, 127, 128};
        for (size_t p = 0; p < sizeof probes / sizeof *probes; p++) {
            if (probes[p] >= nrules)
                continue;
            char text[32];
            snprintf(text, sizeof text, "the zq%03dw said", probes[p]);
            ck_assert_int_eq(prefilter_scan(set, text, strlen(text), hits), 1);
            for (int q = 0; q < nrules; q++)
                ck_assert_msg(prefilter_rule_admits(set, (size_t)q, hits) == (q == probes[p]),
                              "%d rules: rule %d on \"%s\"", nrules, q, text);
        }
        ck_assert_int_eq(prefilter_scan(set, "none here", 9, hits), 0);
        free_scan(set, hits, lits, (size_t)nrules);
        free(lits);
    }
}
END_TEST

/* The scan by words turns a word away on the classes of its first three
 * bytes, then of its fourth: "accept" begins no "accus", "this" no "thief",
 * "hash" no "has " (a space for a fourth byte); a literal of three bytes
 * ("to ") takes any fourth. */
START_TEST(a_word_is_turned_away_on_its_fourth_byte)
{
    /* each proved to begin a word (\b): the scan by words */
    const char *patterns[] = {"\\baccus", "\\bthief", "\\bto ", "\\bhas "};
    literals *lits[4];
    for (int r = 0; r < 4; r++) {
        lits[r] = prefilter_derive(patterns[r], strlen(patterns[r]), NULL);
        ck_assert_ptr_nonnull(lits[r]);
    }
    trigger_set *set = prefilter_build((const literals *const *)lits, 4);
    trigger_hits *hits = prefilter_hits_new(set);
    const struct {
        const char *text;
        int rule; /* the one it admits, or -1 */
    } cases[] = {
        {"they accept it", -1}, {"they accuse him", 0}, {"THEY ACCUSED HIM", 0},
        {"this and that", -1},  {"a thief", 1},         {"THIEF!", 1},
        {"go to it", 2},        {"toad", -1},           {"to", -1},
        {"a hash", -1},         {"he has been", 3},     {"he has", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* it tells whether it admits any rule */
        ck_assert_int_eq(prefilter_scan(set, cases[i].text, strlen(cases[i].text), hits),
                         cases[i].rule >= 0);
        for (int r = 0; r < 4; r++)
            ck_assert_msg(prefilter_rule_admits(set, (size_t)r, hits) == (r == cases[i].rule),
                          "rule %d on \"%s\"", r, cases[i].text);
    }
    free_scan(set, hits, lits, 4);
}
END_TEST

START_TEST(rules_sharing_a_word_are_each_told)
{
    literals *a = prefilter_derive("should\\s+blame", 14, NULL);
    literals *b = prefilter_derive("blame", 5, NULL);
    literals *c = prefilter_derive("blame\\s+should", 14, NULL);
    const literals *rules[] = {a, b, c};
    trigger_set *set = prefilter_build(rules, 3);
    ck_assert_uint_eq(prefilter_literal_count(set), 2);
    trigger_hits *hits = prefilter_hits_new(set);
    prefilter_scan(set, "Blame", 5, hits);
    ck_assert(!prefilter_rule_admits(set, 0, hits));
    ck_assert(prefilter_rule_admits(set, 1, hits));
    ck_assert(!prefilter_rule_admits(set, 2, hits));
    prefilter_scan(set, "should we blame", 15, hits);
    for (size_t r = 0; r < 3; r++)
        ck_assert(prefilter_rule_admits(set, r, hits));
    prefilter_scan(set, "should", 6, hits); /* nothing of the scan before stays */
    for (size_t r = 0; r < 3; r++)
        ck_assert(!prefilter_rule_admits(set, r, hits));
    prefilter_hits_free(hits);
    prefilter_free_set(set);
    prefilter_free(a);
    prefilter_free(b);
    prefilter_free(c);
}
END_TEST

START_TEST(each_clause_counts_the_slots_on_either_side)
{
    DERIVES_SLOTS("(?<src>" SLOT ") +said +(?<tgt>" SLOT ") +should", "should<2,0> & said <1,1>");
    DERIVES_SLOTS(SLOT " +accused +" SLOT, "accused <1,1>");
    /* optional slots are not needed; nor are those a lookaround reads */
    DERIVES_SLOTS(SLOT "? +accused(?=" SLOT ")", "accused<0,0>");
    DERIVES_SLOTS("(?:" SLOT ", )?accused " SLOT "{0,2}", "accused <0,0>");
    /* a group's slots: those before a literal inside it count, the later
     * ones only past the group's end */
    DERIVES_SLOTS("(?:" SLOT " and " SLOT ") +accused +" SLOT, "accused <2,1> &  and <1,1>");
    /* a repeated group: its literal may be in the last repetition */
    DERIVES_SLOTS("(?:" SLOT " said ){2}" SLOT, " said <1,1>");
    DERIVES_SLOTS(SLOT "{2} +blamed", "blamed<2,0>");
    /* branches: the fewest slots of any; their union has no side */
    DERIVES_SLOTS("(?:" SLOT " blamed|accused " SLOT ") +" SLOT, " blamed|accused <0,1>");
    DERIVES_SLOTS(SLOT " +(?:blamed|" SLOT " accused)", " accused|blamed<1,0>");
    DERIVES_SLOTS(SLOT " blamed|accused " SLOT, " blamed|accused <0,0>");
    /* and the slots of a whole match */
    const struct {
        const char *pattern;
        unsigned slots;
    } totals[] = {
        {"(?<src>" SLOT ") +said +(?<tgt>" SLOT ") +should", 2},
        {SLOT "? +accused(?=" SLOT ")", 0},
        {"(?:" SLOT " said ){2}" SLOT, 3},
        {"(?:" SLOT " blamed|accused " SLOT SLOT ") +" SLOT, 2},
    };
    for (size_t i = 0; i < sizeof totals / sizeof *totals; i++) {
        literals *t = prefilter_derive(totals[i].pattern, strlen(totals[i].pattern), SLOT);
        ck_assert_msg(t && t->slots == totals[i].slots, "%s: %u slots", totals[i].pattern,
                      t ? t->slots : 0);
        prefilter_free(t);
    }
    /* without a slot's text, nothing is a slot */
    literals *l = prefilter_derive(SLOT " +accused", strlen(SLOT " +accused"), NULL);
    ck_assert_uint_eq(l->slots_before[0], 0);
    prefilter_free(l);
}
END_TEST

/* Mentions are the bytes 'M' here, one byte wide. *latest: see
 * prefilter_slots_admit. */
static int admits_with_mentions(const trigger_set *set, trigger_hits *hits, const char *text,
                                uint32_t *latest)
{
    uint32_t at[16];
    size_t n = 0;
    for (size_t i = 0; text[i]; i++)
        if (text[i] == 'M')
            at[n++] = (uint32_t)i;
    prefilter_scan(set, text, strlen(text), hits);
    return prefilter_rule_admits(set, 0, hits)
           && prefilter_slots_admit(set, 0, hits, at, n, 1, latest);
}

/* Both scans: by the automaton ("accused" may begin inside a word, which
 * sends every literal there) and by words ("\baccused"). */
START_TEST(a_rule_runs_only_when_mentions_stand_where_its_slots_need)
{
    /* 'M' stands for the slot atom in the text, where the pattern reads a
     * mention's code point */
    const char *p = "(?<src>" SLOT ") +said +(?<tgt>" SLOT ") +should";
    const struct {
        const char *text;
        int admits;
    } cases[] = {
        {"M said M should", 1},
        {"M said should M", 0}, /* "should" needs two before it */
        {"said M M should", 0}, /* "said" one before it */
        {"M M should said", 0},
        {"M said M", 0},       /* no "should": the scan's own answer */
        /* some place of each word fits, though none the pattern: a superset */
        {"M said should M should", 1},
        /* long enough for the automaton's two walks, with a word in each half */
        {"should, they said, M said nothing at all while M and then M should go", 1},
        {"should, they said, M said nothing at all; and should M go now, said M?", 0},
        {"M should say that M said M nothing at all, not a word, before should", 1},
        {"M should say that M should not, while the crowd said it all at once", 0},
        {"should M said M, and M should", 1},
        {"M should say that M said M", 0},
    };
    const char *plains[] = {"accused", "\\baccused"};
    for (int v = 0; v < 2; v++) {
        literals *l = prefilter_derive(p, strlen(p), SLOT);
        literals *plain = prefilter_derive(plains[v], strlen(plains[v]), SLOT);
        const literals *rules[] = {l, plain};
        trigger_set *set = prefilter_build(rules, 2);
        trigger_hits *hits = prefilter_hits_new(set);
        uint32_t latest;
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
            ck_assert_msg(admits_with_mentions(set, hits, cases[i].text, &latest)
                              == cases[i].admits,
                          "%s (beside %s): expected %d", cases[i].text, plains[v],
                          cases[i].admits);
        /* no match begins after the last "said" or after the last "should",
         * whichever comes first */
        const struct {
            const char *text;
            uint32_t latest;
        } lasts[] = {
            {"M said M should", 2},
            {"M said M should; M said M should", 19},
            {"M said M should, M said M said M", 9},
            {"M should; M said M said M should", 19},
        };
        for (size_t i = 0; i < sizeof lasts / sizeof *lasts; i++) {
            admits_with_mentions(set, hits, lasts[i].text, &latest);
            ck_assert_msg(latest == lasts[i].latest, "%s: latest %u", lasts[i].text, latest);
        }
        /* a rule whose literals need no mention around them passes as it is */
        prefilter_scan(set, "accused", 7, hits);
        ck_assert(prefilter_rule_admits(set, 1, hits));
        ck_assert(prefilter_slots_admit(set, 1, hits, NULL, 0, 1, &latest));
        prefilter_hits_free(hits);
        prefilter_free_set(set);
        prefilter_free(l);
        prefilter_free(plain);
    }
}
END_TEST

/* The literals of a pattern in order, each after '~' when the parser
 * cannot prove that it begins apart from a word, joined by ' '. */
static char *starts(const char *pattern)
{
    literals *l = prefilter_derive(pattern, strlen(pattern), SLOT);
    if (!l)
        return strdup("(always)");
    size_t n = 1;
    for (size_t i = 0; i < l->count; i++)
        n += strlen(l->items[i]) + 2;
    char *out = calloc(1, n);
    for (size_t i = 0; i < l->count; i++) {
        if (i)
            strcat(out, " ");
        if (!l->at_start[i])
            strcat(out, "~");
        strcat(out, l->items[i]);
    }
    prefilter_free(l);
    return out;
}

#define STARTS(pattern, expected)                                                 \
    do {                                                                          \
        char *got_ = starts(pattern);                                             \
        ck_assert_msg(!strcmp(got_, expected), "%s: expected [%s], got [%s]", pattern, \
                      expected, got_);                                            \
        free(got_);                                                               \
    } while (0)

/* A literal begins apart from a word when what stands before it in every
 * match is no word byte: white space, punctuation, \b, a slot, or a group
 * or optional part all of whose ways end so. */
START_TEST(the_parser_proves_where_a_literal_begins)
{
    /* a match may begin inside a word: "reaccused" */
    STARTS("accused", "~accused");
    STARTS("\\baccused", "accused");
    STARTS("^accused", "accused");
    STARTS(SLOT " +accused", "accused");
    STARTS(SLOT "accused", "accused"); /* a mention's code ends beyond ASCII */
    STARTS("\\s(?:summoned|called)", "summoned called");
    STARTS("\\W(?:summoned|called)", "summoned called");
    STARTS("-accused", "~-accused"); /* a literal of its own, from a byte that is no word's */
    STARTS("\\w+ly\\s+said", "said ~ly");
    STARTS("\\w+ly said", "~ly said");
    /* after an optional part: only when both ways end apart */
    STARTS("\\s(?:has\\s+)?said", "said");
    STARTS("\\s(?:\\w+)?said", "~said");
    STARTS("\\s(?:ab|cd\\s)?said", "~said");
    /* a quantifier after an escape is one: \s{0,3} may be no space */
    STARTS("x\\s{0,3}accused", "~accused");
    STARTS("x\\s{1,3}accused", "accused");
    STARTS("\\bcyber-?attacks", "~attacks cyber");
    STARTS("\\bcyber-attacks", "cyber-attacks");
    /* a class or any character may be a letter */
    STARTS("[ ]accused", "~accused");
    STARTS(".accused", "~accused");
    /* a repeated group begins its later repeats where the one before ends */
    STARTS("\\s(?:abcd|efgh\\w)+", "~abcd ~efgh");
    STARTS("\\s(?:abcd |efgh\\s)+", "abcd  efgh");
    /* a literal found twice begins apart only if both places do */
    STARTS("(?:\\bsummoned|\\wsummoned)", "~summoned");
    /* of two sets, one found where words begin is better: "launch", not
     * the longer "attacks" inside "cyberattacks" */
    DERIVES("\\s(?:hack|launch(?:es)?\\s+cyber-?attacks)", "hack|launch");
}
END_TEST

/* \b right after a literal that ends in a word byte marks it (WORD_END):
 * the scan then finds it only where no word byte of ASCII follows. The mark
 * is no byte of the text: it counts in no length. */
START_TEST(a_word_bound_after_a_literal_marks_its_end)
{
    DERIVES("said\\b", "said\x01");
    DERIVES("\\bvowed\\s+to\\b", "vowed & to\x01");
    DERIVES("vowed to\\b\\b", "vowed to\x01");
    DERIVES("accused\\b by", "accused\x01 &  by");
    /* not after a space, nor when the \b is optional, nor inside a group */
    DERIVES("said \\b", "said ");
    DERIVES("said(?:\\b)?", "said");
    DERIVES("(?:said)\\b", "said");
    /* too short with the mark as without it */
    DERIVES("\\bto\\b", "(always)");
    /* a control character is no literal (the mark is one) */
    DERIVES("said\x01x", "said");
}
END_TEST

static void scan_all(const trigger_set *set, trigger_hits *hits, const char *text, int *got,
                     size_t nrules)
{
    prefilter_scan(set, text, strlen(text), hits);
    for (size_t r = 0; r < nrules; r++)
        got[r] = prefilter_rule_admits(set, r, hits);
}

/* Scan text: each of the set's `nrules` rules is admitted as `admits` says. */
static void expect_admits(const trigger_set *set, trigger_hits *hits, const char *text,
                          const int *admits, size_t nrules)
{
    int got[16];
    ck_assert_uint_le(nrules, sizeof got / sizeof *got);
    scan_all(set, hits, text, got, nrules);
    for (size_t r = 0; r < nrules; r++)
        ck_assert_msg(got[r] == admits[r], "\"%s\": rule %zu: expected %d", text, r, admits[r]);
}

/* When every literal begins apart from a word, the scan looks for them
 * where words begin only: at the text's start, after white space,
 * punctuation or any byte beyond ASCII, in either case; not inside a word,
 * which the automaton (for literals that may stand there) still finds. */
START_TEST(literals_that_begin_apart_are_found_where_words_begin)
{
    const char *patterns[] = {"\\baccused", "\\bvowed\\s+to\\b", SLOT "'s +(?:decision|move)",
                              "\\bpulled\\s+out\\s+of", "\\x{E000}, +blaming"};
    enum { N = sizeof patterns / sizeof *patterns };
    literals *lits[N];
    for (int r = 0; r < N; r++)
        lits[r] = prefilter_derive(patterns[r], strlen(patterns[r]), SLOT);
    trigger_set *set = prefilter_build((const literals *const *)lits, N);
    trigger_hits *hits = prefilter_hits_new(set);
    const struct {
        const char *text;
        int admits[N];
    } cases[] = {
        {"accused", {1, 0, 0, 0, 0}},
        {"China ACCUSED", {1, 0, 0, 0, 0}},
        {"(accused) \"Accused\"", {1, 0, 0, 0, 0}},
        {"caf\xc3\xa9" "accused", {1, 0, 0, 0, 0}}, /* after a byte beyond ASCII */
        {"reaccused", {0, 0, 0, 0, 0}},
        {"_accused 9accused", {0, 0, 0, 0, 0}},
        {"accuse", {0, 0, 0, 0, 0}},
        {"vowed to", {0, 1, 0, 0, 0}},
        /* \b after "to": no letter, digit or _ of ASCII after it */
        {"vowed to, at once", {0, 1, 0, 0, 0}},
        {"vowed to-day", {0, 1, 0, 0, 0}},
        {"vowed to\xc3\xa9", {0, 1, 0, 0, 0}}, /* beyond ASCII may be no letter: a superset */
        {"vowed tomorrow", {0, 0, 0, 0, 0}},
        {"vowed to_ to9", {0, 0, 0, 0, 0}},
        {"vowed into", {0, 0, 0, 0, 0}},
        {"vowed", {0, 0, 0, 0, 0}},
        {"X's decision", {0, 0, 1, 0, 0}},
        {"X's move", {0, 0, 1, 0, 0}},
        {"Xs decision", {0, 0, 0, 0, 0}}, /* "s " is needed too */
        {"the move's", {0, 0, 0, 0, 0}},
        {"they pulled out of it", {0, 0, 0, 1, 0}},
        {"they pulled out", {0, 0, 0, 0, 0}},
        {"X, blaming", {0, 0, 0, 0, 1}},
        {"X,blaming", {0, 0, 0, 0, 0}},
        {"", {0, 0, 0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_admits(set, hits, cases[i].text, cases[i].admits, N);
    /* every place a word may begin, in texts of every length */
    const char filler[] = "the two sides held talks in geneva on monday and tuesday, ";
    for (size_t total = 7; total <= 90; total += 5) {
        for (size_t at = 0; at + 7 <= total; at++) {
            char text[128];
            for (size_t k = 0; k < total; k++)
                text[k] = filler[k % (sizeof filler - 1)];
            memcpy(text + at, at % 2 ? "ACCUSED" : "accused", 7);
            text[total] = '\0';
            int got[N];
            scan_all(set, hits, text, got, N);
            int apart = at == 0 || text[at - 1] == ' ' || text[at - 1] == ',';
            ck_assert_msg(got[0] == apart, "\"%s\": accused at %zu", text, at);
        }
    }
    prefilter_hits_free(hits);
    prefilter_free_set(set);
    /* one literal that may begin inside a word: all go to the automaton */
    prefilter_free(lits[N - 1]);
    lits[N - 1] = prefilter_derive("accused", 7, SLOT);
    set = prefilter_build((const literals *const *)lits, N);
    hits = prefilter_hits_new(set);
    int got[N];
    scan_all(set, hits, "reaccused", got, N);
    ck_assert(got[0] && got[N - 1]);
    scan_all(set, hits, "vowed into", got, N);
    ck_assert(got[1]);
    scan_all(set, hits, "vowed tomorrow", got, N); /* its "to" ends no word */
    ck_assert(!got[1]);
    free_scan(set, hits, lits, N);
}
END_TEST

/* The scan of marked literals, by words and by the automaton: one of two
 * bytes and a longer one. */
START_TEST(a_marked_literal_is_found_where_a_word_ends_after_it)
{
    for (int automaton = 0; automaton < 2; automaton++) {
        /* "accused" may begin inside a word: with it, no scan by words */
        const char *patterns[] = {"\\bsaid\\b", "\\bvowed\\s+to\\b", "accused"};
        enum { N = sizeof patterns / sizeof *patterns };
        literals *lits[N];
        for (int r = 0; r < N; r++)
            lits[r] = r < 2 || automaton ? prefilter_derive(patterns[r], strlen(patterns[r]), SLOT)
                                         : NULL;
        trigger_set *set = prefilter_build((const literals *const *)lits, N);
        trigger_hits *hits = prefilter_hits_new(set);
        const struct {
            const char *text;
            int said, vowed;
        } cases[] = {
            {"he said", 1, 0},      {"he said, then", 1, 0}, {"SAID.", 1, 0},
            {"he saidx", 0, 0},     {"he said_", 0, 0},      {"said9", 0, 0},
            {"vowed to act", 0, 1}, {"vowed to", 0, 1},      {"vowed tomorrow", 0, 0},
            {"vowed tox said", 1, 0},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            int got[N];
            scan_all(set, hits, cases[i].text, got, N);
            ck_assert_msg(got[0] == cases[i].said && got[1] == cases[i].vowed,
                          "\"%s\" (automaton %d): said %d, vowed %d", cases[i].text, automaton,
                          got[0], got[1]);
        }
        free_scan(set, hits, lits, N);
    }
}
END_TEST

/* The scan by words finds a literal's list by the classes of its first
 * bytes, and compares only the bytes those classes do not prove: a letter's
 * class is that letter in either case and '_' its own, but a digit's is
 * every digit's. A literal of digits, or with one among its first three
 * bytes, is told apart from one that differs there alone. */
START_TEST(the_bytes_a_class_does_not_prove_are_compared)
{
    const char *patterns[] = {"\\b1984 files", "\\bab1 plan", "\\b_x_ mark", "\\bsaid"};
    enum { N = sizeof patterns / sizeof *patterns };
    /* and a rule without literals, which every text runs: no check of the
     * first words before the walk, which would hide the walk's compares */
    literals *lits[N + 1];
    for (int r = 0; r < N; r++) {
        lits[r] = prefilter_derive(patterns[r], strlen(patterns[r]), SLOT);
        ck_assert_ptr_nonnull(lits[r]);
    }
    lits[N] = NULL;
    trigger_set *set = prefilter_build((const literals *const *)lits, N + 1);
    trigger_hits *hits = prefilter_hits_new(set);
    const struct {
        const char *text;
        int admits[N + 1]; /* the last, the rule without literals, always */
    } cases[] = {
        {"the 1984 files", {1, 0, 0, 0, 1}}, {"the 2984 files", {0, 0, 0, 0, 1}},
        {"the 1884 files", {0, 0, 0, 0, 1}}, {"the 1974 files", {0, 0, 0, 0, 1}},
        {"an ab1 plan", {0, 1, 0, 0, 1}},    {"an AB1 plan", {0, 1, 0, 0, 1}},
        {"an ab2 plan", {0, 0, 0, 0, 1}},    {"an ac1 plan", {0, 0, 0, 0, 1}},
        {"a _x_ mark", {0, 0, 1, 0, 1}},     {"a _X_ mark", {0, 0, 1, 0, 1}},
        {"a _y_ mark", {0, 0, 0, 0, 1}},     {"he SAID", {0, 0, 0, 1, 1}},
        {"he sail", {0, 0, 0, 0, 1}},        {"he paid", {0, 0, 0, 0, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_admits(set, hits, cases[i].text, cases[i].admits, N + 1);
    free_scan(set, hits, lits, N);
}
END_TEST

int main(void)
{
    RUN_TESTS("prefilter",
              literal_runs_and_alternations,
              a_space_of_a_literal_is_one_or_more_in_the_text,
              a_space_after_a_word_of_three_bytes_goes_on_unless_the_word_is_common,
              every_required_part_is_a_clause,
              optional_and_repeated_parts_are_not_required,
              what_it_does_not_understand_makes_it_give_up,
              classes_escapes_and_lookarounds,
              one_pass_tells_each_rule_whether_its_words_occur,
              a_literal_is_found_at_every_place_and_a_near_miss_nowhere,
              a_long_literal_is_compared_past_its_first_bytes,
              a_rule_of_two_clauses_needs_both,
              clauses_are_counted_across_words_of_bits,
              rules_at_the_edges_of_words_of_bits_are_each_told,
              a_word_is_turned_away_on_its_fourth_byte,
              rules_sharing_a_word_are_each_told,
              a_common_word_is_a_poor_filter,
              few_rules_are_checked_for_their_first_words_at_every_place,
              each_clause_counts_the_slots_on_either_side,
              a_rule_runs_only_when_mentions_stand_where_its_slots_need,
              the_parser_proves_where_a_literal_begins,
              a_word_bound_after_a_literal_marks_its_end,
              a_marked_literal_is_found_where_a_word_ends_after_it,
              literals_that_begin_apart_are_found_where_words_begin,
              the_bytes_a_class_does_not_prove_are_compared);
}

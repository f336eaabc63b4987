/* Sentence splitting of news text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relmap.h"
#include "rules.h"
#include "check_main.h"

typedef struct collected {
    char *text[32];
    unsigned line[32], column[32];
    int plain[32];
    size_t count;
} collected;

static int collect(const relmap_sentence *s, void *context)
{
    collected *c = context;
    if (c->count < 32) {
        c->text[c->count] = strndup(s->text, s->length);
        c->line[c->count] = s->line;
        c->column[c->count] = s->column;
        c->plain[c->count] = s->plain;
        c->count++;
    }
    return 0;
}

static collected split(const char *text)
{
    collected c = {0};
    relmap_split(text, strlen(text), collect, &c);
    return c;
}

static void release(collected *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->text[i]);
}

START_TEST(abbreviations_do_not_end_sentences)
{
    collected c = split("Mr. Holder said the U.S. indicted Gen. Wang on Jan. 5 at 10 a.m. in "
                        "court. No. 2 was next.");
    ck_assert_uint_eq(c.count, 2);
    ck_assert_str_eq(c.text[0], "Mr. Holder said the U.S. indicted Gen. Wang on Jan. 5 at 10 a.m. "
                                "in court.");
    ck_assert_str_eq(c.text[1], "No. 2 was next.");
    release(&c);
}
END_TEST

/* How many sentences "They met WORD. Wang there." makes. */
static size_t sentences_after(const char *word)
{
    char text[64];
    snprintf(text, sizeof text, "They met %s. Wang there.", word);
    collected c = split(text);
    size_t count = c.count;
    release(&c);
    return count;
}

/* Every abbreviation of the splitter's list, each found by its binary
 * search: one out of byte order would be missed and end the sentence. */
START_TEST(every_listed_abbreviation_holds_the_sentence_together)
{
    static const char *const abbreviations[] = {
        "Adm", "Amb", "Apr", "Aug", "Capt", "Cmdr", "Col", "Dec", "Dr", "Feb", "Fig", "Ft",
        "Gen", "Gens", "Gov", "Hon", "Jan", "Jul", "Jun", "Lt", "Maj", "Mar", "Mr", "Mrs",
        "Ms", "Mt", "No", "Nos", "Nov", "Oct", "Pres", "Prof", "Rep", "Reps", "Rev", "Sen",
        "Sens", "Sep", "Sept", "Sgt", "St", "Vol", "approx", "cf", "e.g", "i.e", "vs"};
    for (size_t i = 0; i < sizeof abbreviations / sizeof *abbreviations; i++)
        ck_assert_msg(sentences_after(abbreviations[i]) == 1, "%s. split the sentence",
                      abbreviations[i]);
    /* and words that merely look alike end it */
    const char *others[] = {"Mrx", "Nosy", "vsx", "Ad", "approxi", "Zz"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        ck_assert_msg(sentences_after(others[i]) == 2, "%s. did not end the sentence",
                      others[i]);
}
END_TEST

/* After a dotted acronym, each of the splitter's usual openers ends the
 * sentence, each found by its binary search; other capitalised words go on
 * with it ("the U.S. Embassy"). */
START_TEST(every_listed_opener_after_an_acronym_ends_the_sentence)
{
    static const char *const openers[] = {
        "A", "According", "After", "An", "And", "As", "At", "Before", "Both", "But", "Earlier",
        "For", "He", "Her", "His", "However", "I", "If", "In", "It", "Its", "Last", "Later",
        "Many", "Meanwhile", "Now", "Officials", "On", "She", "Since", "So", "Some", "Still",
        "Such", "That", "The", "Their", "Then", "There", "These", "They", "This", "Those", "We",
        "What", "When", "While", "Who", "Why", "Yet"};
    const char *others[] = {"Embassy", "Ab", "Yes", "Th", "Thee", "Zed", "Aa"};
    for (size_t k = 0; k < 2; k++) {
        const char *const *words = k ? others : openers;
        size_t count = k ? sizeof others / sizeof *others : sizeof openers / sizeof *openers;
        for (size_t i = 0; i < count; i++) {
            char text[64];
            snprintf(text, sizeof text, "They met in the U.S. %s went on.", words[i]);
            collected c = split(text);
            ck_assert_msg(c.count == (k ? 1u : 2u), "\"%s\" after U.S.: %zu sentences",
                          words[i], c.count);
            release(&c);
        }
    }
}
END_TEST

/* "Inc." and the like end a sentence before a usual opener, and not
 * before a name. */
START_TEST(a_company_suffix_ends_a_sentence_only_before_an_opener)
{
    const char *suffixes[] = {"Inc", "Corp", "Ltd", "Co", "Jr", "Sr", "etc", "Bros"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        for (int opener = 0; opener < 2; opener++) {
            char text[64];
            snprintf(text, sizeof text, "They met Acme %s. %s went on.", suffixes[i],
                     opener ? "The talks" : "Wang");
            collected c = split(text);
            ck_assert_msg(c.count == (opener ? 2u : 1u), "%s: %zu sentences", text, c.count);
            release(&c);
        }
    }
}
END_TEST

START_TEST(dotted_acronym_before_an_opener_ends_a_sentence)
{
    collected c = split("China blamed the U.S. The ministry said so.");
    ck_assert_uint_eq(c.count, 2);
    ck_assert_str_eq(c.text[0], "China blamed the U.S.");
    ck_assert_str_eq(c.text[1], "The ministry said so.");
    release(&c);
}
END_TEST

START_TEST(decimals_and_initials_stay_whole)
{
    collected c = split("Some 1.18 million computers were hit, John F. Kennedy said. Next.");
    ck_assert_uint_eq(c.count, 2);
    ck_assert_str_eq(c.text[0], "Some 1.18 million computers were hit, John F. Kennedy said.");
    release(&c);
}
END_TEST

START_TEST(closing_quotes_belong_to_the_sentence)
{
    collected c = split("He said: \xE2\x80\x9C" "Enough is enough.\xE2\x80\x9D China replied. "
                        "\"Why?\" she asked.");
    ck_assert_uint_eq(c.count, 3);
    ck_assert_str_eq(c.text[0], "He said: \xE2\x80\x9C" "Enough is enough.\xE2\x80\x9D");
    ck_assert_str_eq(c.text[1], "China replied.");
    ck_assert_str_eq(c.text[2], "\"Why?\" she asked.");
    release(&c);
}
END_TEST

START_TEST(headline_without_stop_is_a_sentence)
{
    collected c = split("China Suspends Talks After U.S. Charges\n\nBEIJING - China suspended "
                        "talks.\nIt also summoned\nthe ambassador.\n");
    ck_assert_uint_eq(c.count, 3);
    ck_assert_str_eq(c.text[0], "China Suspends Talks After U.S. Charges");
    ck_assert_uint_eq(c.line[0], 1);
    ck_assert_str_eq(c.text[1], "BEIJING - China suspended talks.");
    ck_assert_uint_eq(c.line[1], 3);
    /* a line that goes on in lower case is wrapped text, not a headline */
    ck_assert_str_eq(c.text[2], "It also summoned\nthe ambassador.");
    ck_assert_uint_eq(c.line[2], 4);
    release(&c);
}
END_TEST

START_TEST(lines_and_columns_are_counted)
{
    collected c = split("First one.  Second one.\n\n  Third one.");
    ck_assert_uint_eq(c.count, 3);
    ck_assert_uint_eq(c.line[1], 1);
    ck_assert_uint_eq(c.column[1], 13);
    ck_assert_uint_eq(c.line[2], 3);
    ck_assert_uint_eq(c.column[2], 3);
    release(&c);
    /* runs of empty lines between paragraphs, after a headline with no
     * stop, and at the end */
    c = split("Headline Here\n\n\nFirst one.\n\n\n\nSecond one.\n \n\nThird\n\n");
    ck_assert_uint_eq(c.count, 4);
    static const char *const texts[] = {"Headline Here", "First one.", "Second one.", "Third"};
    static const unsigned lines[] = {1, 4, 8, 11};
    for (size_t k = 0; k < 4; k++) {
        ck_assert_str_eq(c.text[k], texts[k]);
        ck_assert_uint_eq(c.line[k], lines[k]);
        ck_assert_uint_eq(c.column[k], 1);
    }
    release(&c);
}
END_TEST

START_TEST(lower_case_after_stop_continues)
{
    collected c = split("The U.S. officials and the U.K. government spoke. done");
    ck_assert_uint_eq(c.count, 1);
    release(&c);
}
END_TEST

START_TEST(empty_and_blank_text_give_nothing)
{
    collected c = split("");
    ck_assert_uint_eq(c.count, 0);
    c = split("  \n\n \t\n");
    ck_assert_uint_eq(c.count, 0);
}
END_TEST

static int stop_after_first(const relmap_sentence *s, void *context)
{
    (void)s;
    ++*(int *)context;
    return 1;
}

START_TEST(callback_can_stop_the_split)
{
    int calls = 0;
    relmap_split("One. Two. Three.", 16, stop_after_first, &calls);
    ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(every_unicode_space_that_folding_takes_separates_sentences)
{
    /* what folding makes ' ' (PCRE2's \s with UCP), the splitter takes for a
     * space after a stop: NBSP, NEL, U+1680, U+2000, U+200A, U+2028, U+2029,
     * U+202F, U+205F, U+3000 */
    static const char *const spaces[] = {"\xC2\xA0", "\xC2\x85", "\xE1\x9A\x80",
                                         "\xE2\x80\x80", "\xE2\x80\x8A", "\xE2\x80\xA8",
                                         "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F",
                                         "\xE3\x80\x80"};
    for (size_t i = 0; i < sizeof spaces / sizeof *spaces; i++) {
        char text[128];
        snprintf(text, sizeof text, "China summoned the envoy.%sThe US denied it.%s", spaces[i],
                 spaces[i]);
        collected c = split(text);
        ck_assert_msg(c.count == 2, "space %zu: %zu sentences", i, c.count);
        ck_assert_str_eq(c.text[0], "China summoned the envoy.");
        ck_assert_str_eq(c.text[1], "The US denied it.");
        release(&c);
        size_t len;
        char *f = fold_text(spaces[i], strlen(spaces[i]), &len);
        ck_assert_msg(len == 1 && f[0] == ' ', "space %zu does not fold to ' '", i);
        free(f);
    }
    /* and what is no space still is not: U+200B */
    collected c = split("China summoned the envoy.\xE2\x80\x8BThe US denied it.");
    ck_assert_uint_eq(c.count, 1);
    release(&c);
}
END_TEST

/* relmap_sentence.plain: 1 only when the slice holds no control character
 * and no byte beyond ASCII (folding leaves it as it is: the extractor then
 * skips folding); 1 for the plain sentences around the others. */
static int holds_special(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x80)
            return 1;
    return 0;
}

typedef struct plain_check {
    size_t sentences, plain;
} plain_check;

static int check_plain(const relmap_sentence *s, void *context)
{
    plain_check *c = context;
    c->sentences++;
    if (s->plain) {
        c->plain++;
        ck_assert_msg(!holds_special(s->text, s->length), "plain, but not: \"%.*s\"",
                      (int)s->length, s->text);
        strbuf out = {0};
        const char *text;
        size_t n;
        ck_assert_int_eq(fold_view(&out, s->text, s->length, &text, &n), 0);
        ck_assert_ptr_eq(text, s->text);
        sb_free(&out);
    }
    return 0;
}

START_TEST(a_sentence_is_plain_only_when_folding_leaves_it_as_it_is)
{
    static const struct {
        const char *text;
        int plain[3];
    } cases[] = {
        {"China summoned the envoy. The US denied it.", {1, 1}},
        {"\xE2\x80\x9CWe will not accept this,\xE2\x80\x9D he said. Then he left.", {0, 1}},
        {"He said \xE2\x80\x9Cno.\xE2\x80\x9D Then he left.", {0, 1}},
        {"He said \"no.\xE2\x80\x9D Then he left. And stayed.", {0, 1, 1}},
        {"A line\nthat wraps here. Next one.", {0, 1}},
        {"Tab\there. Plain again.", {0, 1}},
        {"Caf\xC3\xA9 owners protested. Police came.", {0, 1}},
        {"Headline Without Stop\n\nBody text here. More.", {1, 1, 1}},
        {"Closing (bracket.) Then more.", {1, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        collected c = split(cases[i].text);
        for (size_t k = 0; k < c.count && k < 3; k++)
            ck_assert_msg(c.plain[k] == cases[i].plain[k], "case %zu, sentence %zu (%s): plain %d",
                          i, k, c.text[k], c.plain[k]);
        release(&c);
    }
    /* texts made at random of plain words, stops, line breaks, tabs, curly
     * quotes, no-break spaces and a letter beyond ASCII, and runs longer
     * than a sentence may be (cut for length, with and without spaces) */
    static const char *const pieces[] = {"word ", "Word ", "U.S. ", ". ", "? ", "\n", "\n\n",
                                         "\t", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xC2\xA0",
                                         "\xC3\xA9", "said", ".\xE2\x80\x9D ", "x"};
    unsigned seed = 12345;
    plain_check all = {0};
    for (int round = 0; round < 300; round++) {
        strbuf text = {0};
        size_t want = round % 50 == 0 ? 70000 : 400;
        while (text.length < want) {
            seed = seed * 1103515245u + 12345u;
            size_t k = (seed >> 16) % (sizeof pieces / sizeof *pieces);
            /* long runs of "x" (no space) now and then */
            size_t times = k == sizeof pieces / sizeof *pieces - 1 && round % 50 == 0 ? 5000 : 1;
            for (size_t t = 0; t < times; t++)
                sb_adds(&text, pieces[k]);
        }
        relmap_split(text.data, text.length, check_plain, &all);
        sb_free(&text);
    }
    ck_assert_uint_gt(all.plain, all.sentences / 10);
    ck_assert_uint_lt(all.plain, all.sentences);
}
END_TEST

int main(void)
{
    RUN_TESTS("split",
              abbreviations_do_not_end_sentences,
              every_listed_abbreviation_holds_the_sentence_together,
              dotted_acronym_before_an_opener_ends_a_sentence,
              every_listed_opener_after_an_acronym_ends_the_sentence,
              a_company_suffix_ends_a_sentence_only_before_an_opener,
              decimals_and_initials_stay_whole,
              closing_quotes_belong_to_the_sentence,
              headline_without_stop_is_a_sentence,
              lines_and_columns_are_counted,
              lower_case_after_stop_continues,
              empty_and_blank_text_give_nothing,
              callback_can_stop_the_split,
              every_unicode_space_that_folding_takes_separates_sentences,
              a_sentence_is_plain_only_when_folding_leaves_it_as_it_is);
}

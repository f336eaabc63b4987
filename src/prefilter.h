/*
 * prefilter.h - the literal words a pattern cannot match without, so that a
 * rule is not run on a sentence that lacks all of them.
 */
#ifndef RELMAP_PREFILTER_H
#define RELMAP_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case literals in clauses: any match of the pattern contains one
 * literal of each clause. A literal that ends in PREFILTER_WORD_END (a
 * mark, no byte of the text) ends a word in any match: no ASCII letter,
 * digit or _ follows it (the pattern has \b right after it);
 * prefilter_literal_chars gives its length in the text. Clause k is
 * items[clause_end[k - 1]] up to items[clause_end[k]]; clause 0, the most
 * selective, alone is what a single set of trigger words would be. A match
 * also holds, before the clause's literal, at least slots_before[k] slots
 * (mentions), and after it slots_after[k]. */
typedef struct literals {
    char **items;
    /* per item: it begins where no word byte of ASCII ([A-Za-z0-9_])
     * stands before it, in every match (or at the text's start) */
    unsigned char *at_start;
    size_t count;
    size_t *clause_end;
    unsigned *slots_before, *slots_after;
    size_t nclauses;
    unsigned slots; /* the slots a match holds, at least */
} literals;

/* The literals an expanded pattern (PCRE2 syntax, matched caselessly)
 * requires; NULL when none can be derived, and the rule must always run.
 * `slot` is the text of the atom that matches one mention (NULL: none), so
 * that each clause says how many mentions must stand on either side of it.
 * Conservative: whatever it does not understand makes it give up. */
literals *prefilter_derive(const char *pattern, size_t length, const char *slot);

#define PREFILTER_WORD_END '\x01'
/* The length of a literal in the text: without its PREFILTER_WORD_END. */
size_t prefilter_literal_chars(const char *literal);

void prefilter_free(literals *lits);

/* A literal of `lits` that begins with a word byte and may stand inside a
 * word (at_start 0), or NULL: one such literal keeps a whole trigger set
 * from the scan by words. */
const char *prefilter_inside_word(const literals *lits);

/* PCRE2's syntax as both readers of a pattern take it apart, the prefilter
 * and the rewriting of its alternations (factor.c). */

/* The length of the quantifier at p (0: none), its lazy or possessive mark
 * included; *min its least count (1 when none). "{,m}", which PCRE2 10.42
 * reads as characters, counts as one: more text taken as repeats, never
 * less. */
size_t pattern_quantifier(const char *p, const char *end, unsigned *min);
/* Past the character class that begins at p ('['), or NULL when it does
 * not end, or holds \Q or \E. */
const char *pattern_class_end(const char *p, const char *end);
/* The length of the escape at p ('\\'), whole: \x{..} and the other
 * escapes with braces, \xhh, \cX, \pL, \g1 \g-1 \g<name> \k<name> and
 * their quoted forms, and the digits of an octal code or a back reference
 * after \0 to \9; any other, 2. 0 for \Q, \E, or one cut short or left
 * unclosed. */
size_t pattern_escape_length(const char *p, const char *end);

/* All rules' literals in one Aho-Corasick automaton: one pass over a
 * sentence tells every rule whether its trigger words occur. */
typedef struct trigger_set trigger_set;

/* per_rule[i] may be NULL (that rule always runs). */
trigger_set *prefilter_build(const literals *const *per_rule, size_t nrules);
size_t prefilter_literal_count(const trigger_set *set);
void prefilter_free_set(trigger_set *set);

/* What one scan found, reused from sentence to sentence: marks carry the
 * number of the scan, so nothing is cleared between sentences. Its fields
 * are the scanner's; they are here so that the question asked of every rule
 * of every sentence, prefilter_rule_admits, is answered inline. */
typedef struct trigger_hits {
    unsigned scan;       /* the number of the current scan */
    unsigned *literal;   /* per literal: the last scan that found it */
    /* per literal prefix: the last scan that found it, and where it first
     * and last began in that scan's text */
    unsigned *prefix;
    uint32_t *prefix_first, *prefix_last;
    /* per literal sought by words: where it first and last began */
    uint32_t *literal_first, *literal_last;
    /* the clauses the last scan met, a bit each (as the set's clause_words
     * words) */
    uint64_t *met;
    int *found;          /* the literals of this scan */
    size_t nfound;
    /* set by tests: every rule admitted, whatever the text, so that the
     * edges can be shown to be the same as the scan's */
    int admit_all;
    /* a bit a rule, 64 a word: those the last scan admits, and those
     * without literals, which every scan admits */
    uint64_t *admitted, *always;
    size_t words;
} trigger_hits;
trigger_hits *prefilter_hits_new(const trigger_set *set);
void prefilter_hits_free(trigger_hits *hits);

/* Scan text (ASCII letters in either case) for the literals of every rule,
 * and note which rules have a literal of each of their clauses. Returns
 * whether it admits any rule (most sentences: none). */
int prefilter_scan(const trigger_set *set, const char *text, size_t n, trigger_hits *hits);
/* After a scan that admits `rule`: may its clauses' literals stand where
 * its slots need? `mention_offset` holds the offsets in the scanned text of
 * its n mentions, in order, each `width` bytes long. A rule with mentions
 * needed on neither side of its literals passes at once. *latest is set to
 * a place after which no match of the rule can begin: the least, over the
 * clauses it looked at, of the last place where one of the clause's
 * literals begins (a match holds one of each); UINT32_MAX when it looked
 * at none. */
int prefilter_slots_admit(const trigger_set *set, size_t rule, const trigger_hits *hits,
                          const uint32_t *mention_offset, size_t n, size_t width,
                          uint32_t *latest);

/* After a scan: may `rule` match the text? (Always, for a rule without literals.) */
static inline int prefilter_rule_admits(const trigger_set *set, size_t rule,
                                        const trigger_hits *hits)
{
    (void)set; /* hits knows its set's rules */
    return (hits->admitted[rule / 64] >> (rule % 64)) & 1;
}

#endif

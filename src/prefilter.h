/*
 * prefilter.h - the literal words a pattern cannot match without, so that a
 * rule is not run on a sentence that lacks all of them.
 */
#ifndef RELMAP_PREFILTER_H
#define RELMAP_PREFILTER_H

#include <stddef.h>

/* A set of lower-case literals: any match of the pattern contains one. */
typedef struct literals {
    char **items;
    size_t count;
} literals;

/* The literals an expanded pattern (PCRE2 syntax, matched caselessly)
 * requires; NULL when none can be derived, and the rule must always run.
 * Conservative: whatever it does not understand makes it give up. */
literals *prefilter_derive(const char *pattern, size_t length);

/* Does `text` (already lower-cased in ASCII) contain one of the literals? */
int prefilter_admits(const literals *lits, const char *text);

void prefilter_free(literals *lits);

#endif

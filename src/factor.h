/*
 * factor.h - a pattern's alternations rewritten so that PCRE2 tries fewer
 * branches, with the same matches.
 *
 * PCRE2 tries the branches of an alternation one after another, each from
 * its first character: at a word, "(?:has|have|had|will|would|...)" costs a
 * try for every branch. The rule macros are long alternations of words, so
 * the same text in the form "(?:ha(?:s|ve|d)|w(?:ill|ould)|...)" fails in a
 * few tries where it took forty.
 */
#ifndef RELMAP_FACTOR_H
#define RELMAP_FACTOR_H

#include <stddef.h>

#include "util.h"

/* Rewrite `pattern` (PCRE2 syntax, compiled caselessly) into *out: branches
 * of an alternation that begin with a plain letter or digit are put
 * together by it (in caseless parts, either case) and share their common
 * beginning. Exact: at any place of the text only the branches that begin
 * with its character can match, and those keep their order, so every match,
 * every capture and the order of the tries that lead to them are those of
 * the pattern as written. Branches that begin otherwise (a class, an escape,
 * a group, nothing) keep their places, and nothing moves across them.
 *
 * Returns 1 when *out holds the rewritten pattern (cleared first); 0 when
 * the pattern is to be used as written: nothing to gain, or syntax it does
 * not take apart (inline option settings, extended mode, \Q, verbs,
 * conditionals and the like), or a pattern PCRE2 would reject. Lookarounds
 * are kept as written (a lookbehind's branches must keep their lengths). */
int pattern_factor(const char *pattern, size_t length, strbuf *out);

#endif

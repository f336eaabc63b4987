/*
 * coord.h - coordinated mentions: "China and Russia accused ...", "accused
 * Britain, France and Germany of ...". A rule's slot matches a list of
 * names as well as one (rules.c writes {SRC} and {TGT} so); each name of
 * the list gives the edge (match.c). This module decides which names of a
 * list a match stands for.
 */
#ifndef RELMAP_COORD_H
#define RELMAP_COORD_H

#include <stddef.h>

/* A slot of a match took the names first..last (indexes of the sentence's
 * mentions), bytes [from, to) of the masked sentence `subject` (`length`
 * bytes); the whole match is [match_from, match_to). Narrows first..last to
 * the names the edge is of.
 *
 * Where the pattern goes on both sides of the list, the list is the slot's.
 * Where the list ends the match, the words after it must end the clause
 * (the sentence's end, punctuation, a preposition: "accused A and B of
 * hacking"), or the names after the first are another clause's subject ("X
 * accused A and B denied it"): the first alone stays. Where the list begins
 * the match, it must begin the clause (the sentence's start, punctuation,
 * "that", "by", "in", a verb of saying ...), or the names before the last
 * are another clause's object ("X indicted A and B accused Y"): the last
 * alone stays. */
void coord_narrow(const char *subject, size_t length, size_t match_from, size_t match_to,
                  size_t from, size_t to, int *first, int *last);

#endif

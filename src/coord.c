/*
 * coord.c - coordinated mentions (coord.h): which names of a list a
 * rule's slot stands for.
 */
#include "coord.h"
#include "util.h"

/* s[at, at + strlen(word)) is `word` (lower case), in either case; the
 * caller knows those bytes are there */
static int is_word_at(const char *s, size_t at, const char *word)
{
    for (size_t i = 0; word[i]; i++)
        if (lower_byte((unsigned char)s[at + i]) != (unsigned char)word[i])
            return 0;
    return 1;
}

/* Is `w` (n bytes, any case) one of the NULL-ended lower-case `words`? */
static int in_words(const char *const *words, const char *w, size_t n)
{
    char lower[16]; /* longer than any of the words */
    if (n > sizeof lower)
        return 0;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)lower_byte((unsigned char)w[i]);
    return word_in_list(words, lower, n);
}

/* Words that may follow a list that is an object: "accused A and B of",
 * "urged A and B to", "threatened A and B with". */
static const char *const after_list[] = {
    "of", "for", "over", "in", "on", "with", "to", "at", "by", "as", "after", "from",
    "about", "against", "since", "during", "amid", "into", "under", "without", "before",
    "following", "because", "that", "and", "but", "who", "which", "while", "last", "this",
    "earlier", "yesterday", "today", NULL};

/* Words that may stand before a list that is a subject: "said A and B had",
 * "that A and B", "by A and B", "officials in A and B". */
static const char *const before_list[] = {
    "that", "said", "says", "say", "told", "added", "stated", "claimed", "alleged",
    "reported", "argued", "insisted", "as", "while", "when", "after", "but", "because",
    "since", "although", "though", "if", "where", "by", "from", "in", "of", NULL};

static int is_list_punct(char c)
{
    return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')'
           || c == '"';
}

static int is_letter(char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* May a list end at `at`, where its last name ends? */
static int may_end_list(const char *s, size_t length, size_t at)
{
    if (at == length || is_list_punct(s[at]))
        return 1;
    size_t w = at;
    while (w < length && s[w] == ' ')
        w++;
    size_t e = w;
    while (e < length && is_letter(s[e]))
        e++;
    return w > at && e > w && in_words(after_list, s + w, e - w);
}

/* May a list begin at `at`, where its first name begins? */
static int may_begin_list(const char *s, size_t at)
{
    /* "the", "both", "both the" */
    if (at >= 4 && is_word_at(s, at - 4, "the ") && (at == 4 || s[at - 5] == ' '))
        at -= 4;
    if (at >= 5 && is_word_at(s, at - 5, "both ") && (at == 5 || s[at - 6] == ' '))
        at -= 5;
    size_t e = at;
    while (e > 0 && s[e - 1] == ' ')
        e--;
    if (e == 0)
        return 1;
    char c = s[e - 1];
    if (c == ',' || c == ';' || c == ':' || c == '(' || c == '"')
        return 1;
    size_t w = e;
    while (w > 0 && is_letter(s[w - 1]))
        w--;
    return e < at && w < e && in_words(before_list, s + w, e - w);
}

void coord_narrow(const char *subject, size_t length, size_t match_from, size_t match_to,
                  size_t from, size_t to, int *first, int *last)
{
    if (*first == *last)
        return;
    if (to == match_to && !may_end_list(subject, length, to))
        *last = *first;
    else if (from == match_from && !may_begin_list(subject, from))
        *first = *last;
}

/*
 * split.c - sentence splitting for news text.
 *
 * A sentence ends at . ! or ? (with any closing quotes or brackets after it)
 * followed by white space and a word that does not start in lower case, unless
 * the word before the stop is an abbreviation. A line with no final stop ends
 * its sentence too (headlines, datelines, bylines), unless the next line goes
 * on in lower case (hard-wrapped text).
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "relmap.h"
#include "util.h"

/* Abbreviations after which a stop never ends a sentence: titles, months,
 * "No." before a number. In byte order (as strcmp sorts; a test checks
 * each): a stop comes about once a sentence, and a binary search asks five
 * or six of them, not all. */
static const char *const never_end[] = {
    "Adm", "Amb", "Apr", "Aug", "Capt", "Cmdr", "Col", "Dec", "Dr", "Feb", "Fig", "Ft", "Gen",
    "Gens", "Gov", "Hon", "Jan", "Jul", "Jun", "Lt", "Maj", "Mar", "Mr", "Mrs", "Ms", "Mt",
    "No", "Nos", "Nov", "Oct", "Pres", "Prof", "Rep", "Reps", "Rev", "Sen", "Sens",
    "Sep", "Sept", "Sgt", "St", "Vol", "approx", "cf", "e.g", "i.e", "vs",
};

/* Abbreviations that may end a sentence, when the next word is a usual
 * sentence opener: U.S., U.K., a.m., Inc., Corp., Ltd., Jr., etc. */
static const char *const may_end[] = {"Inc", "Corp", "Ltd", "Co", "Jr", "Sr", "etc", "Bros", NULL};

/* Usual sentence openers, in byte order (a binary search; a test checks
 * each). */
static const char *const openers[] = {
    "A", "According", "After", "An", "And", "As", "At", "Before", "Both", "But", "Earlier",
    "For", "He", "Her", "His", "However", "I", "If", "In", "It", "Its", "Last", "Later",
    "Many", "Meanwhile", "Now", "Officials", "On", "She", "Since", "So", "Some", "Still",
    "Such", "That", "The", "Their", "Then", "There", "These", "They", "This", "Those", "We",
    "What", "When", "While", "Who", "Why", "Yet",
};

static int in_list(const char *const *list, const char *word, size_t n)
{
    return word_in_list(list, word, n);
}

/* Per byte, the lengths of the abbreviations (never_end and may_end) that
 * begin with it, a bit each (bit n: n bytes; none is longer than 7): a word
 * before a stop that no abbreviation of its length begins as it does, as
 * most do ("said", "comment", "China"), is none of them, and the lists need
 * not be searched. Made from the lists themselves as the program starts,
 * before any thread (a constructor: no call pays for a check that it is
 * made, and no thread writes what another reads). */
static unsigned char abbreviation_lengths[256];

static __attribute__((constructor)) void note_abbreviation_lengths(void)
{
    for (size_t i = 0; i < sizeof never_end / sizeof *never_end; i++)
        abbreviation_lengths[(unsigned char)never_end[i][0]] |=
            (unsigned char)(1u << strlen(never_end[i]));
    for (size_t i = 0; may_end[i]; i++)
        abbreviation_lengths[(unsigned char)may_end[i][0]] |=
            (unsigned char)(1u << strlen(may_end[i]));
}

/* May the n bytes at w be an abbreviation of either list? */
static int may_be_abbreviation(const char *w, size_t n)
{
    return n < 8 && (abbreviation_lengths[(unsigned char)w[0]] >> n & 1);
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* White space other than a newline: ASCII's, and Unicode's as folding
 * takes it (utf8_wide_space_len). */
static inline size_t utf8_space_len(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    if (is_space(u[0]))
        return 1;
    return u[0] < 0x80 ? 0 : utf8_wide_space_len(u, (size_t)(end - p));
}

/* Closing quotes and brackets that may follow a stop: " ' ) ] ” ’ » */
static size_t closer_len(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    if (*p == '"' || *p == '\'' || *p == ')' || *p == ']')
        return 1;
    if (end - p >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x9D || u[2] == 0x99))
        return 3;
    if (end - p >= 2 && u[0] == 0xC2 && u[1] == 0xBB)
        return 2;
    return 0;
}

typedef struct splitter {
    relmap_sentence_fn fn;
    void *context;
    size_t count;
    int stopped;
    const char *line_start; /* start of the line holding `start` */
    unsigned line;          /* line number of `start` */
    /* whether the sentence from `start` may hold a byte beyond ASCII or a
     * control character (relmap_sentence.plain): set where the scan meets
     * one, cleared where a sentence begins */
    int special;
} splitter;

#define MAX_SENTENCE 16384

/* The next sentence begins at `at`, on line `line` (which begins at
 * line_start); `special` tells whether its bytes so far are (see
 * splitter.special). */
static inline void begin_sentence(splitter *s, const char **start, const char *at,
                                  unsigned line, const char *line_start, int special)
{
    *start = at;
    s->line = line;
    s->line_start = line_start;
    s->special = special;
}

static void emit(splitter *s, const char *from, const char *to, unsigned line,
                 const char *line_start)
{
    while (from < to) {
        size_t w = utf8_space_len(from, to);
        if (!w && *from != '\n')
            break;
        from += w ? w : 1;
    }
    while (to > from && (is_space((unsigned char)to[-1]) || to[-1] == '\n'))
        to--;
    if (to <= from || s->stopped)
        return;
    relmap_sentence sentence = {from, (size_t)(to - from), line,
                                (unsigned)(from - line_start) + 1, !s->special};
    s->count++;
    if (s->fn && s->fn(&sentence, s->context))
        s->stopped = 1;
}

/* The word ending just before the stop at `dot`: from the last white space;
 * *dotted tells whether a '.' is in it (U.S., a.m.). */
static void word_before(const char *start, const char *dot, const char **w, size_t *n,
                        int *dotted)
{
    const char *p = dot;
    int d = 0;
    while (p > start && !is_space((unsigned char)p[-1]) && p[-1] != '\n' && p[-1] != '('
           && p[-1] != '"') {
        d |= p[-1] == '.';
        p--;
    }
    *w = p;
    *n = (size_t)(dot - p);
    *dotted = d;
}

/* ASCII's letters (the C locale's, without a call) */
static int is_upper_ascii(char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower_ascii(char c) { return c >= 'a' && c <= 'z'; }

/* Decide whether the stop at `dot` (a '.') ends the sentence, given the
 * next word. */
static int period_ends(const char *start, const char *dot, const char *next, const char *end)
{
    const char *w;
    size_t n;
    int dotted;
    word_before(start, dot, &w, &n, &dotted);
    if (n == 0)
        return 1;
    int maybe = may_be_abbreviation(w, n);
    if (maybe && word_in_sorted(never_end, sizeof never_end / sizeof *never_end, w, n))
        return 0;
    /* a single initial ("F." in "John F. Kennedy"), a dotted acronym (U.S.
     * U.K. a.m. p.m.) or an abbreviation that may end a sentence does so
     * when the next word is a usual sentence opener; any other word ends
     * the sentence */
    if (!(n == 1 && is_upper_ascii(w[0])) && !dotted
        && !(maybe && in_list(may_end, w, n)))
        return 1;
    const char *q = next;
    while (q < end && (is_upper_ascii(*q) || is_lower_ascii(*q) || *q == '\''))
        q++;
    return word_in_sorted(openers, sizeof openers / sizeof *openers, next, (size_t)(q - next));
}

/* Does the line [p, eol) end with terminal punctuation (before closers)? */
static int line_has_final_stop(const char *p, const char *eol)
{
    const char *q = eol;
    while (q > p) {
        if (is_space((unsigned char)q[-1])) {
            q--;
            continue;
        }
        if (q - p >= 2 && (unsigned char)q[-2] == 0xC2 && (unsigned char)q[-1] == 0xA0) {
            q -= 2;
            continue;
        }
        /* skip closers backwards */
        if (q[-1] == '"' || q[-1] == '\'' || q[-1] == ')' || q[-1] == ']') {
            q--;
            continue;
        }
        if (q - p >= 3 && (unsigned char)q[-3] == 0xE2 && (unsigned char)q[-2] == 0x80
            && ((unsigned char)q[-1] == 0x9D || (unsigned char)q[-1] == 0x99)) {
            q -= 3;
            continue;
        }
        break;
    }
    if (q == p)
        return 1; /* a blank line: nothing to end */
    char c = q[-1];
    return c == '.' || c == '!' || c == '?' || c == ':' || c == ';' || c == ',' || c == '-';
}

/* Control characters and bytes beyond ASCII: what folding may change. */
static int is_special(unsigned char c)
{
    return c < 0x20 || c >= 0x80;
}

/* Does [p, end) hold a special byte? */
static int holds_special(const char *p, const char *end)
{
    for (; p < end; p++)
        if (is_special((unsigned char)*p))
            return 1;
    return 0;
}

/* The first byte in [p, stop) that ends something (a line end, a stop) or is
 * special, or stop. Sixteen bytes at a time where SSE2 is there (every
 * x86-64): most text is none of them. (A compare of signed bytes with ' '
 * finds the control characters, '\n' among them, and those beyond ASCII.) */
static const char *next_end(const char *p, const char *stop)
{
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(' '), dot = _mm_set1_epi8('.');
    const __m128i bang = _mm_set1_epi8('!'), ask = _mm_set1_epi8('?');
    while (stop - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, dot)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, bang), _mm_cmpeq_epi8(v, ask)));
        unsigned bits = (unsigned)_mm_movemask_epi8(hit);
        if (bits)
            return p + __builtin_ctz(bits);
        p += 16;
    }
#endif
    while (p < stop && *p != '.' && *p != '!' && *p != '?' && !is_special((unsigned char)*p))
        p++;
    return p;
}

size_t relmap_split(const char *text, size_t length, relmap_sentence_fn fn, void *context)
{
    splitter s = {fn, context, 0, 0, text, 1, 0};
    const char *start = text;          /* start of the current sentence */
    const char *line_start = text;     /* start of the current line */
    unsigned line = 1;
    const char *p = text;
    const char *end = text + length;

    /* Every byte before p has been seen, by next_end or here: s.special
     * tells whether one from `start` on is special. */
    while (p < end && !s.stopped) {
        /* most bytes end nothing: skip them while the sentence is short
         * enough that no cut for length applies */
        if (p - start < MAX_SENTENCE) {
            const char *stop = end - start > MAX_SENTENCE ? start + MAX_SENTENCE : end;
            p = next_end(p, stop);
            if (p >= end)
                break;
        }
        char c = *p;
        if (c == '\n') {
            const char *next_line = p + 1;
            /* the next line's first byte after its white space */
            const char *first = next_line;
            for (size_t k; first < end && (k = utf8_space_len(first, end)) > 0;)
                first += k;
            /* a blank next line or the end of the text always closes the
             * paragraph; so does a line with no final stop that the next
             * line does not continue in lower case */
            int ends = first >= end || *first == '\n'
                       || (!line_has_final_stop(line_start, p)
                           && !is_lower_ascii(*first));
            if (ends) {
                emit(&s, start, p, s.line, s.line_start);
                begin_sentence(&s, &start, next_line, line + 1, next_line, 0);
            } else {
                s.special = 1; /* the line break is inside the sentence */
            }
            line++;
            line_start = next_line;
            p = next_line;
            /* a sentence that has not begun yet starts on this line (what
             * it passes over is white space, the special bytes there too) */
            if (start < p) {
                const char *q = start;
                for (size_t k; q < p && ((k = utf8_space_len(q, p)) > 0 || *q == '\n');)
                    q += k ? k : 1;
                if (q == p)
                    begin_sentence(&s, &start, p, line, line_start, 0);
            }
            /* empty lines after a line that ended its sentence (between
             * paragraphs, a line in three): each would end nothing and
             * begin the sentence on the line after it, as the steps above
             * find, taken here without them (start == p: a sentence has
             * just begun, with nothing special in it) */
            while (start == p && p < end && *p == '\n') {
                line++;
                p++;
                line_start = p;
                begin_sentence(&s, &start, p, line, line_start, 0);
            }
            continue;
        }
        if (c == '.' || c == '!' || c == '?') {
            const char *q = p + 1;
            while (q < end && (*q == '.' || *q == '!' || *q == '?'))
                q++;
            size_t k;
            while (q < end && (k = closer_len(q, end)) > 0)
                q += k;
            const char *after = q;
            size_t sp = q < end ? (*q == '\n' ? 1 : utf8_space_len(q, end)) : 0;
            if (q < end && !sp) { /* "1.18", "U.S.-China", "example.com" */
                p++;
                continue;
            }
            while (q < end && (k = utf8_space_len(q, end)) > 0)
                q += k;
            int ends;
            if (q >= end || *q == '\n')
                ends = 1;
            else if (is_lower_ascii(*q))
                ends = 0;
            else if (c == '.')
                ends = period_ends(start, p, q, end);
            else
                ends = 1;
            /* the stops and closers up to `after` ("”") are this sentence's */
            if (holds_special(p + 1, after))
                s.special = 1;
            if (ends) {
                emit(&s, start, after, s.line, s.line_start);
                /* the next sentence starts on this same line */
                begin_sentence(&s, &start, after, line, line_start, 0);
            }
            p = after;
            continue;
        }
        if (is_special((unsigned char)c))
            s.special = 1;
        if (p - start >= 4 * MAX_SENTENCE && ((unsigned char)c & 0xC0) != 0x80) {
            /* no stop and no space in a very long run (a file of one line,
             * base64): cut anyway, at a character boundary */
            emit(&s, start, p, s.line, s.line_start);
            begin_sentence(&s, &start, p, line, line_start, is_special((unsigned char)c));
        }
        if (p - start >= MAX_SENTENCE && is_space((unsigned char)c)) {
            /* no stop in a very long run: cut at white space to bound the work */
            emit(&s, start, p, s.line, s.line_start);
            begin_sentence(&s, &start, p, line, line_start, is_special((unsigned char)c));
        }
        p++;
    }
    if (!s.stopped)
        emit(&s, start, end, s.line, s.line_start);
    return s.count;
}

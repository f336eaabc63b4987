/*
 * prefilter.c - required literals of a pattern, as in RE2's prefilter.
 *
 * For each part of the pattern we compute a set of strings such that every
 * match of the part contains one of them, or "unknown". A sequence takes the
 * most selective set among its parts (a run of literal characters is one
 * such set); an alternation takes the union of its branches, unknown if any
 * branch is; an optional part is unknown. Anything unusual (\Q, verbs,
 * conditionals, non-ASCII letters) makes the whole pattern unknown.
 *
 * A run of literal characters goes on over a run of spaces (" +", as the
 * rules write the space between words), so that "accused +of" needs
 * "accused of": a literal's space stands for one or more in the text.
 *
 * A sequence also needs every one of its parts, so besides the best set the
 * parser gathers the sets of all required parts (clauses: one of each must
 * occur), down through groups of one branch: "{SRC} should (?:accuse|blame)"
 * needs "should" and one of "accuse", "blame".
 *
 * The parser also counts the slots a sequence requires (the atom that
 * matches one mention), and for each clause those required before it and
 * after it: in "{SRC} said {TGT} should", "said" needs a mention on either
 * side, "should" two before it. The scan records where the literals occur,
 * so a rule whose clauses are met but whose mentions stand on the wrong
 * side is not run (prefilter_slots_admit).
 */
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "prefilter.h"
#include "util.h"

#define MIN_LITERAL 3 /* shorter literals filter too little to be worth it alone */
/* The automaton's literals are its prefixes this long: long enough that few
 * places begin a prefix, short enough to cut a sentence for two walks with
 * little overlap. */
#define PREFIX_MAX 4
#define MIN_CLAUSE_LITERAL 2 /* beside a longer one: "{TGT} was urged by {SRC}" needs "by" */
/* The last byte of a literal that the pattern ends a word with (`to\b`):
 * no letter, digit or _ of ASCII stands after it in any match. A mark, not
 * a byte of the text: no literal holds a control character otherwise (see
 * parse_sequence). */
#define WORD_END PREFILTER_WORD_END

/* A literal of a set. at_start: it begins, in any match, where no word
 * byte of ASCII ([A-Za-z0-9_]) stands before it, or at the subject's start
 * (see "Where a literal begins" below). */
typedef struct entry {
    char *text; /* NUL-terminated, from the heap */
    size_t length;
    size_t worth; /* worth(text) */
    unsigned char at_start;
} entry;

typedef struct set {
    int known;
    entry *items;
    size_t count, cap;
    /* the least worth and length of an item (see worth() and
     * prefilter_literal_chars; 0 for none), kept as items are added: the
     * parser weighs a sequence's sets against each other at every atom */
    size_t least_worth, least_chars;
} set;

typedef struct parser {
    const char *p, *end;
    int failed;
    const char *slot; /* the text of a slot atom, or NULL */
    size_t slot_length;
} parser;

/* A required set, with the slots the sequence requires before the atom that
 * holds it and up to that atom's end (the slots after it are the
 * sequence's total less `end`). */
typedef struct clause {
    set s;
    unsigned before, end;
} clause;

/* The sets a sequence requires, all of them. */
typedef struct clauses {
    clause *items;
    size_t count, cap;
} clauses;

/* Counts of slots stop here: more than any sentence's mentions. */
#define SLOTS_MAX 0xFFFFu

#define MAX_CLAUSES 4 /* the most selective; more cost a check and add little */
/* a rule's clauses are read as one window of 64 bits (count_clauses) */
_Static_assert(MAX_CLAUSES < 64, "a rule's clauses fit one word of bits");

static void set_free(set *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i].text);
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* An empty set that is known (holds literals, once some are added). */
static set set_known(void)
{
    return (set){.known = 1};
}

static size_t worth(const char *lit);

/* The place of the n bytes at str in s, or s->count. */
static size_t set_find(const set *s, const char *str, size_t n)
{
    size_t i = 0;
    while (i < s->count && !(s->items[i].length == n && !memcmp(s->items[i].text, str, n)))
        i++;
    return i;
}

/* Append e, a literal s does not hold, to s, which takes its text. */
static void set_append(set *s, entry e)
{
    XGROW(s->items, s->cap, s->count + 1);
    size_t chars = prefilter_literal_chars(e.text);
    if (!s->count || e.worth < s->least_worth)
        s->least_worth = e.worth;
    if (!s->count || chars < s->least_chars)
        s->least_chars = chars;
    s->items[s->count++] = e;
}

/* Add e to s, which takes its text. A literal found again keeps at_start
 * only if both places have it. */
static void set_take(set *s, entry e)
{
    size_t i = set_find(s, e.text, e.length);
    if (i < s->count) {
        s->items[i].at_start &= e.at_start;
        free(e.text);
    } else {
        set_append(s, e);
    }
}

/* set_take of a copy of the n bytes at str. */
static void set_add(set *s, const char *str, size_t n, int at_start)
{
    size_t i = set_find(s, str, n);
    if (i < s->count) {
        s->items[i].at_start &= (unsigned char)at_start;
        return;
    }
    char *text = xstrndup(str, n);
    set_append(s, (entry){text, n, worth(text), (unsigned char)(at_start != 0)});
}

static void set_forget_starts(set *s)
{
    for (size_t i = 0; i < s->count; i++)
        s->items[i].at_start = 0;
}

/* The commonest words of English, in byte order (a binary search; a test
 * checks each), and what stands beside them in a literal (spaces,
 * punctuation): a literal that is one of them occurs in most sentences, so
 * it filters little and costs the scan a stop at each place. */
static const char *const common_words[] = {
    "", "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had",
    "has", "have", "he", "in", "is", "it", "its", "not", "of", "on", "or", "s", "she", "that",
    "the", "their", "they", "this", "to", "was", "we", "were", "will", "with", "would",
};

static int common_word(const char *lit)
{
    size_t n = strlen(lit), from = 0;
    while (from < n && !(lit[from] >= 'a' && lit[from] <= 'z'))
        from++;
    while (n > from && !(lit[n - 1] >= 'a' && lit[n - 1] <= 'z'))
        n--;
    for (size_t k = from; k < n; k++)
        if (!(lit[k] >= 'a' && lit[k] <= 'z'))
            return 0; /* more than one word */
    return word_in_sorted(common_words, sizeof common_words / sizeof *common_words, lit + from,
                          n - from);
}

static int is_word_ascii(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

size_t prefilter_literal_chars(const char *lit)
{
    size_t n = strlen(lit);
    return n && lit[n - 1] == WORD_END ? n - 1 : n;
}

/* How well a literal filters: its length, or 1 for a common word. */
static size_t worth(const char *lit)
{
    return common_word(lit) ? 1 : prefilter_literal_chars(lit);
}

/* How well a set filters: the worth of its worst literal (0 for none). */
static size_t set_worth(const set *s)
{
    return s->least_worth;
}

/* The length in the text of its shortest literal (0 for none). */
static size_t shortest(const set *s)
{
    return s->least_chars;
}

/* Can the scan by words find this literal (see "Where a literal begins")?
 * One that begins with no word byte it seeks at every place that byte
 * stands; one that begins a word, when proved to, by its first two bytes. */
static int sought_by_words(const char *lit, int at_start)
{
    return !is_word_ascii(lit[0]) || (at_start && lit[1]);
}

static int set_at_starts(const set *s)
{
    for (size_t i = 0; i < s->count; i++)
        if (!sought_by_words(s->items[i].text, s->items[i].at_start))
            return 0;
    return 1;
}

/* Keep in *best whichever of *best and *candidate filters more; of a set
 * the scan finds where words begin and one it does not, the first. */
static void keep_better(set *best, set *candidate)
{
    if (!candidate->known || shortest(candidate) < MIN_LITERAL) {
        set_free(candidate);
        return;
    }
    size_t a = best->known ? set_worth(best) : 0, b = set_worth(candidate);
    int starts_a = best->known && set_at_starts(best), starts_b = set_at_starts(candidate);
    if (!best->known || starts_b > starts_a
        || (starts_b == starts_a && (b > a || (b == a && candidate->count < best->count)))) {
        set_free(best);
        *best = *candidate;
        memset(candidate, 0, sizeof *candidate);
    } else {
        set_free(candidate);
    }
}

static set parse_alternation(parser *ps, clauses *out, unsigned *slots, int apart,
                             int *apart_after);

static void set_copy(set *to, const set *from)
{
    *to = *from;
    to->cap = from->count;
    to->items = xmalloc((from->count + 1) * sizeof *to->items);
    for (size_t i = 0; i < from->count; i++) {
        to->items[i] = from->items[i];
        to->items[i].text = xstrndup(from->items[i].text, from->items[i].length);
    }
}

static void clauses_free(clauses *c)
{
    for (size_t i = 0; i < c->count; i++)
        set_free(&c->items[i].s);
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* Is `s` a clause to add to `out`: selective enough and not there yet (a
 * set required twice keeps the slots around its first place: either place
 * alone is a condition, both together are not)? */
static int clauses_want(const clauses *out, const set *s)
{
    if (!out || !s->known || !s->count || shortest(s) < MIN_CLAUSE_LITERAL)
        return 0;
    for (size_t i = 0; i < out->count; i++) {
        const set *t = &out->items[i].s;
        if (t->count != s->count || t->least_chars != s->least_chars)
            continue;
        size_t a = 0;
        while (a < s->count && set_find(t, s->items[a].text, s->items[a].length) < t->count)
            a++;
        if (a == s->count)
            return 0;
    }
    return 1;
}

static clause *clauses_new(clauses *out, unsigned before, unsigned end)
{
    XGROW(out->items, out->cap, out->count + 1);
    clause *c = &out->items[out->count++];
    c->before = before;
    c->end = end;
    return c;
}

/* Add a copy of `s` to `out`, if it wants it. */
static void clauses_add(clauses *out, const set *s, unsigned before, unsigned end)
{
    if (clauses_want(out, s))
        set_copy(&clauses_new(out, before, end)->s, s);
}

/* clauses_add, taking *s (which is left empty) instead of a copy. */
static void clauses_take(clauses *out, set *s, unsigned before, unsigned end)
{
    if (clauses_want(out, s)) {
        clauses_new(out, before, end)->s = *s;
        memset(s, 0, sizeof *s);
    } else {
        set_free(s);
    }
}

static unsigned slots_add(unsigned a, unsigned b)
{
    return a + b < SLOTS_MAX ? a + b : SLOTS_MAX;
}

/* Move every clause of `from` to `to`, from a sequence that begins after
 * `before` slots of the one `to` belongs to. A group's clauses end where
 * the group ends, `end`: its later slots may be of another repetition. */
static void clauses_splice(clauses *to, clauses *from, unsigned before, unsigned end)
{
    for (size_t i = 0; to && i < from->count; i++) {
        clause *c = &from->items[i];
        unsigned e = slots_add(before, c->end);
        clauses_take(to, &c->s, slots_add(before, c->before), e > end ? e : end);
    }
    clauses_free(from);
}

/* ------------------------------------------- PCRE2's syntax, shared */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

size_t pattern_quantifier(const char *p, const char *end, unsigned *min)
{
    size_t n = 0;
    *min = 1;
    if (p < end && (*p == '?' || *p == '*' || *p == '+')) {
        n = 1;
        *min = *p == '+';
    } else if (p < end && *p == '{') {
        const char *q = p + 1;
        size_t digits = 0;
        unsigned least = 0;
        for (; q < end && is_digit(*q); q++, digits++)
            if (least <= 65535) /* PCRE2's most; a larger count it refuses */
                least = least * 10 + (unsigned)(*q - '0');
        if (q < end && *q == ',')
            for (q++; q < end && is_digit(*q); q++)
                digits++;
        if (q < end && *q == '}' && digits) {
            n = (size_t)(q + 1 - p);
            *min = least;
        }
    }
    if (n && p + n < end && (p[n] == '?' || p[n] == '+'))
        n++; /* lazy or possessive */
    return n;
}

const char *pattern_class_end(const char *p, const char *end)
{
    p++; /* '[' */
    if (p < end && *p == '^')
        p++;
    if (p < end && *p == ']')
        p++;
    while (p < end && *p != ']') {
        if (*p == '\\') {
            if (p + 1 >= end || p[1] == 'Q' || p[1] == 'E')
                return NULL;
            p += 2;
            continue;
        }
        if (*p == '[' && p + 1 < end && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *close = p + 2;
            while (close + 1 < end && !(close[0] == p[1] && close[1] == ']'))
                close++;
            if (close + 1 >= end)
                return NULL;
            p = close + 2;
            continue;
        }
        p++;
    }
    return p < end ? p + 1 : NULL;
}

size_t pattern_escape_length(const char *p, const char *end)
{
    if (p + 1 >= end || p[1] == 'Q' || p[1] == 'E')
        return 0;
    char e = p[1];
    const char *q = p + 2;
    if (q < end && *q == '{' && e && strchr("xopPgkN", e)) {
        const char *close = memchr(q, '}', (size_t)(end - q));
        return close ? (size_t)(close + 1 - p) : 0;
    }
    if ((e == 'k' || e == 'g') && q < end && (*q == '<' || *q == '\'')) {
        const char *close = memchr(q + 1, *q == '<' ? '>' : '\'', (size_t)(end - q - 1));
        return close ? (size_t)(close + 1 - p) : 0;
    }
    if (e == 'c' || e == 'p' || e == 'P')
        return q < end ? 3 : 0;
    if (e == 'x') {
        for (int k = 0; k < 2 && q < end && *q && strchr("0123456789abcdefABCDEF", *q); k++)
            q++;
    } else if (e == 'g' || is_digit(e)) {
        q += e == 'g' && q < end && (*q == '-' || *q == '+');
        while (q < end && is_digit(*q))
            q++;
    }
    return (size_t)(q - p);
}

/* Skip a quantifier at ps->p; returns its minimum count (1 when none). */
static unsigned quantifier(parser *ps)
{
    unsigned min;
    ps->p += pattern_quantifier(ps->p, ps->end, &min);
    return min;
}

static void skip_class(parser *ps)
{
    const char *after = pattern_class_end(ps->p, ps->end);
    if (after)
        ps->p = after;
    else
        ps->failed = 1;
}

/* Where a literal begins. The scan looks for most literals only where a
 * word begins: at the text's start, or after a byte that is no word byte of
 * ASCII ([A-Za-z0-9_]; any byte of a character beyond ASCII ends no such
 * word). That a literal begins so in every match the parser proves from
 * what stands before it: white space, punctuation, \b, a slot (a mention's
 * code ends in a byte beyond ASCII), or a group or optional atom all of
 * whose ways end so. `apart` is whether the place before the next atom is
 * proved so; the pattern's own start is not (a match may begin inside a
 * word). */

/* The bytes of a run from its first word byte of ASCII on (a literal that
 * begins with others is sought from its word: build_word_starts). */
static size_t run_word_part(const strbuf *run)
{
    size_t lead = 0;
    while (lead < run->length && !is_word_ascii(run->data[lead]))
        lead++;
    return run->length - lead;
}

/* May a run go on over the space just added to it? Not within the first
 * PREFIX_MAX bytes of its word part, which the scans read byte for byte (a
 * word's classes, the automaton's prefixes), as a space that is several in
 * the text would put the bytes after it elsewhere. As the last of them, after
 * a word of three bytes ("hit out at"), it may: the text has a space there
 * too, and literal_stands_at reads the rest. Not after a common word ("was
 * accused"): a literal that begins with one would stop the scan at each of
 * its places, most sentences' ("the culprit" at every "the"). */
static int space_goes_on(const strbuf *run)
{
    size_t word = run_word_part(run);
    if (word != PREFIX_MAX)
        return word > PREFIX_MAX;
    char before[PREFIX_MAX]; /* the word of three bytes, without the space */
    memcpy(before, run->data + run->length - PREFIX_MAX, PREFIX_MAX - 1);
    before[PREFIX_MAX - 1] = '\0';
    return !common_word(before);
}

/* A sequence of atoms up to '|' or ')': returns the best set; adds every
 * required set to *out (when out is not NULL); *slots_out is the number of
 * slots the sequence requires. It begins where `apart` tells (above);
 * *apart_after tells the same of where it ends. */
static set parse_sequence(parser *ps, clauses *out, unsigned *slots_out, int apart,
                          int *apart_after)
{
    set best = {0};
    strbuf run = {0};
    int run_apart = 0;  /* `apart` where the run began */
    unsigned slots = 0; /* required so far */
    while (ps->p < ps->end && !ps->failed && *ps->p != '|' && *ps->p != ')') {
        char c = *ps->p;
        int literal = -1; /* the literal byte, or -1 for another atom */
        set inner = {0};
        clauses inner_clauses = {0};
        unsigned inner_slots = 0; /* one of the atom */
        int is_group = 0;
        int word_bound = 0; /* the atom is \b */
        /* where the atom, taken once, leaves `apart`: -1 keeps it as it
         * was (an atom of no width, such as $) */
        int ends_apart = 0;
        if (ps->slot && (size_t)(ps->end - ps->p) >= ps->slot_length
            && !memcmp(ps->p, ps->slot, ps->slot_length)) {
            ps->p += ps->slot_length;
            inner_slots = 1;
            ends_apart = 1;
        } else if (c == '(') {
            ps->p++;
            if (ps->p < ps->end && *ps->p == '?') {
                const char *q = ps->p + 1;
                if (q < ps->end && (*q == '=' || *q == '!' || (*q == '<' && q + 1 < ps->end && (q[1] == '=' || q[1] == '!')))) {
                    /* a lookaround: skip it, it adds no requirement */
                    ps->p = q + (*q == '<' ? 2 : 1);
                    unsigned ignored_slots;
                    int ignored_apart;
                    set ignored = parse_alternation(ps, NULL, &ignored_slots, 0, &ignored_apart);
                    set_free(&ignored);
                    if (ps->p >= ps->end || *ps->p != ')') {
                        ps->failed = 1;
                        break;
                    }
                    ps->p++;
                    quantifier(ps);
                    continue;
                }
                /* (?-i: and the like: a group with options that leave its
                 * syntax as it is (not x, whose spaces are no literals) */
                const char *flags = q;
                while (flags < ps->end && strchr("imns-", *flags) && *flags)
                    flags++;
                if (q < ps->end && (*q == ':' || *q == '>' || *q == '|')) {
                    /* non-capturing, atomic (which only gives up fewer
                     * ways to match), branch reset */
                    ps->p = q + 1;
                } else if (flags > q && flags < ps->end && *flags == ':') {
                    /* its literals, caseless or not, are still needed: the scan
                     * compares in either case, which lets more through, never less */
                    ps->p = flags + 1;
                } else if (q < ps->end && (*q == '<' || *q == 'P' || *q == '\'')) {
                    /* a named group */
                    const char *close = q;
                    while (close < ps->end && *close != '>' && *close != '\'')
                        close++;
                    if (close >= ps->end) {
                        ps->failed = 1;
                        break;
                    }
                    ps->p = close + 1;
                } else {
                    ps->failed = 1; /* options, conditionals, comments ... */
                    break;
                }
            } else if (ps->p < ps->end && *ps->p == '*') {
                ps->failed = 1; /* verbs such as (*UTF) */
                break;
            }
            inner = parse_alternation(ps, &inner_clauses, &inner_slots, apart, &ends_apart);
            if (ps->p >= ps->end || *ps->p != ')') {
                set_free(&inner);
                clauses_free(&inner_clauses);
                ps->failed = 1;
                break;
            }
            ps->p++;
            is_group = 1;
        } else if (c == '[') {
            skip_class(ps);
        } else if (c == '\\') {
            size_t length = pattern_escape_length(ps->p, ps->end);
            char e = length ? ps->p[1] : 0;
            if (!length || e == 'K' || e == 'G' || e == 'R' || e == 'X') {
                ps->failed = 1;
                break;
            }
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                /* \w \s \b \d \x{..} \p{..} \g{..} ...: no literal. White
                 * space, \W and control characters end apart from a word;
                 * \b and \A stand where a word may begin (a literal after
                 * \b that begins with no word byte is sought at every
                 * place); \z \Z \G take no room */
                ends_apart = strchr("sWhvntrfe", e) ? 1 : strchr("bA", e) ? 1
                             : strchr("zZ", e) ? -1 : 0;
                word_bound = e == 'b';
            } else if ((unsigned char)e < 0x80) {
                literal = e;
                ends_apart = !is_word_ascii(e);
            }
            ps->p += length;
        } else if (c == '.' || c == '^' || c == '$') {
            ends_apart = c == '^' ? 1 : c == '$' ? -1 : 0;
            ps->p++;
        } else if ((unsigned char)c >= 0x80) {
            ps->p++; /* caseless non-ASCII: no literal */
        } else if ((unsigned char)c < 0x20) {
            ps->p++; /* a control character: no literal (WORD_END is one) */
        } else {
            literal = c;
            ends_apart = !is_word_ascii(c);
            ps->p++;
        }
        const char *before = ps->p;
        unsigned min = quantifier(ps);
        int repeated = ps->p != before;
        int apart_before = apart;
        if (ends_apart >= 0) /* once, at least once, or maybe not at all */
            apart = min >= 1 ? ends_apart : apart && ends_apart;
        if (literal >= 0 && min >= 1) {
            if (!run.length)
                run_apart = apart_before;
            sb_addc(&run, (char)lower_byte((unsigned char)literal));
            if (!repeated)
                continue;
            /* a run of spaces (the rules' " +" between words) may go on in
             * the run: a literal's space is one or more in the text (see
             * literal_stands_at), which lets "accused of" be sought whole */
            if (literal == ' ' && space_goes_on(&run))
                continue;
            /* "ba+c" holds "ba" and "ac", not "bac": the run ends here */
            literal = -1;
        }
        /* the run ends here; at \b after a word byte, it ends a word */
        if (run.length) {
            if (word_bound && min >= 1 && !repeated && is_word_ascii(run.data[run.length - 1]))
                sb_addc(&run, WORD_END);
            set r = set_known();
            set_add(&r, run.data, run.length, run_apart);
            clauses_add(out, &r, slots, slots);
            keep_better(&best, &r);
            sb_clear(&run);
        }
        /* the atom's slots, each repetition's at least once for its minimum */
        unsigned end = slots;
        for (unsigned k = 0; k < min && end < SLOTS_MAX && inner_slots; k++)
            end = slots_add(end, inner_slots);
        if (is_group) {
            /* a repeat begins where the one before ended: its literals'
             * places were proved for the first only */
            if (repeated && apart_before && !ends_apart) {
                set_forget_starts(&inner);
                for (size_t k = 0; k < inner_clauses.count; k++)
                    set_forget_starts(&inner_clauses.items[k].s);
            }
            if (min >= 1) {
                /* the group's clauses first: where they repeat its best set,
                 * theirs is the closer count */
                clauses_splice(out, &inner_clauses, slots, end);
                clauses_add(out, &inner, slots, end);
                keep_better(&best, &inner);
            } else {
                set_free(&inner);
                clauses_free(&inner_clauses);
            }
        }
        slots = end;
    }
    if (run.length) {
        set r = set_known();
        set_add(&r, run.data, run.length, run_apart);
        clauses_add(out, &r, slots, slots);
        keep_better(&best, &r);
    }
    sb_free(&run);
    *slots_out = slots;
    *apart_after = apart;
    return best;
}

/* Returns the union of the branches' best sets; with one branch, that
 * branch's clauses go to *out. *slots is the fewest slots of a branch.
 * Each branch begins where `apart` tells; *apart_after holds when every
 * branch ends apart from a word. */
static set parse_alternation(parser *ps, clauses *out, unsigned *slots, int apart,
                             int *apart_after)
{
    set all = set_known();
    clauses first = {0};
    int branches = 0;
    *slots = SLOTS_MAX;
    for (;;) {
        unsigned branch_slots;
        int branch_apart;
        set branch =
            parse_sequence(ps, branches++ ? NULL : &first, &branch_slots, apart, &branch_apart);
        *apart_after = branches == 1 ? branch_apart : *apart_after && branch_apart;
        if (branch_slots < *slots)
            *slots = branch_slots;
        if (!branch.known || ps->failed) {
            set_free(&branch);
            all.known = 0;
        } else if (all.known) {
            for (size_t i = 0; i < branch.count; i++)
                set_take(&all, branch.items[i]);
            branch.count = 0; /* its literals are all's now, or freed */
            set_free(&branch);
        } else {
            set_free(&branch);
        }
        if (ps->p < ps->end && *ps->p == '|') {
            ps->p++;
            continue;
        }
        break;
    }
    if (!all.known)
        set_free(&all);
    if (branches == 1 && !ps->failed)
        clauses_splice(out, &first, 0, 0);
    else
        clauses_free(&first);
    return all;
}

/* Drop from a set each literal that another begins ("says" after "say"):
 * wherever it stands, so does the shorter one, which the scan finds as well
 * (if the shorter may be found anywhere, or the longer only where a word
 * begins). Fewer literals, the same places. (Its least worth and length are
 * left as they were: nothing weighs the set after this.) */
static void set_drop_longer(set *s)
{
    unsigned char *drop = xcalloc(s->count + 1, 1);
    for (size_t i = 0; i < s->count; i++) {
        const entry *e = &s->items[i];
        for (size_t j = 0; j < s->count && !drop[i]; j++) {
            const entry *f = &s->items[j];
            drop[i] = j != i && f->length < e->length && !memcmp(f->text, e->text, f->length)
                      && f->at_start <= e->at_start;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < s->count; i++) {
        if (drop[i])
            free(s->items[i].text);
        else
            s->items[kept++] = s->items[i];
    }
    s->count = kept;
    free(drop);
}

/* Fewer literals of the same shortest length first: the better filter. */
static int better_first(const void *a, const void *b)
{
    const set *x = &((const clause *)a)->s, *y = &((const clause *)b)->s;
    size_t sx = set_worth(x), sy = set_worth(y);
    if (sx != sy)
        return sx > sy ? -1 : 1;
    if (x->count != y->count)
        return x->count < y->count ? -1 : 1;
    return strcmp(x->items[0].text, y->items[0].text); /* the same order on every platform */
}

literals *prefilter_derive(const char *pattern, size_t length, const char *slot)
{
    parser ps = {pattern, pattern + length, 0, slot, slot ? strlen(slot) : 0};
    clauses all = {0};
    unsigned total;
    int apart_after;
    set s = parse_alternation(&ps, &all, &total, 0, &apart_after);
    if (ps.failed || ps.p != ps.end || !s.known || !s.count || shortest(&s) < MIN_LITERAL) {
        set_free(&s);
        clauses_free(&all);
        return NULL;
    }
    clauses_add(&all, &s, 0, total); /* the whole pattern's set: one clause when it has branches */
    set_free(&s);
    /* the best first, so that the first clause is what one set alone would give */
    qsort(all.items, all.count, sizeof *all.items, better_first);
    literals *lits = xcalloc(1, sizeof *lits);
    lits->nclauses = all.count < MAX_CLAUSES ? all.count : MAX_CLAUSES;
    lits->slots = total;
    lits->clause_end = xmalloc(lits->nclauses * sizeof *lits->clause_end);
    lits->slots_before = xmalloc(lits->nclauses * sizeof *lits->slots_before);
    lits->slots_after = xmalloc(lits->nclauses * sizeof *lits->slots_after);
    for (size_t k = 0; k < lits->nclauses; k++) {
        lits->slots_before[k] = all.items[k].before;
        lits->slots_after[k] = total == SLOTS_MAX ? 0 : total - all.items[k].end;
        set *c = &all.items[k].s;
        set_drop_longer(c);
        lits->items = xrealloc(lits->items, (lits->count + c->count) * sizeof *lits->items);
        lits->at_start =
            xrealloc(lits->at_start, (lits->count + c->count) * sizeof *lits->at_start);
        for (size_t i = 0; i < c->count; i++) {
            lits->items[lits->count + i] = c->items[i].text;
            lits->at_start[lits->count + i] = c->items[i].at_start;
        }
        lits->count += c->count;
        lits->clause_end[k] = lits->count;
        c->count = 0; /* its literals are lits' now */
    }
    clauses_free(&all);
    return lits;
}

const char *prefilter_inside_word(const literals *lits)
{
    for (size_t i = 0; lits && i < lits->count; i++)
        if (!sought_by_words(lits->items[i], lits->at_start[i]))
            return lits->items[i];
    return NULL;
}

void prefilter_free(literals *lits)
{
    if (!lits)
        return;
    for (size_t i = 0; i < lits->count; i++)
        free(lits->items[i]);
    free(lits->items);
    free(lits->at_start);
    free(lits->clause_end);
    free(lits->slots_before);
    free(lits->slots_after);
    free(lits);
}

/* ------------------------------------------------- one pass for all rules */

/* A set of rules whose first clauses have at most this many prefixes is
 * checked for them before the walk (the reciprocal rules, which are all a
 * sentence that names nobody may fire). */
#define ANCHORS_MAX 8
#define ANCHOR_BYTES 16 /* of a longer literal, its first ANCHOR_BYTES */
#define WORD_CLASSES 29 /* no word byte, a-z, a digit, _ */

struct trigger_set {
    int (*next)[256];   /* the automaton's transitions while it is built */
    unsigned char class_of[256]; /* byte -> class: each byte of a literal has its
                                    own, A-Z that of a-z, all others class 0 */
    size_t nclasses;
    /* The complete automaton (a DFA) for the scan: at row + class, the next
     * state's row (its number times nclasses). States are numbered so that
     * those where literals end come last, from row out_from on. 16 bits an
     * entry when the rows fit, which keeps the table in the nearer caches. */
    uint16_t *delta16;
    uint32_t *delta32;
    size_t out_from;
    int **out_by_row;   /* per state in scan order: the prefixes ending there */
    int **out;          /* per state: prefix ids ending here, -1 terminated */
    /* The automaton holds the first PREFIX_MAX bytes of each literal only:
     * where a prefix ends, the literals that begin with it are compared on.
     * Few places in a text begin a prefix, and a prefix's end is near
     * enough that a sentence can be cut for two walks (prefilter_scan). */
    int **prefix_literals; /* per prefix: literal ids, -1 terminated */
    unsigned char *prefix_length;
    size_t nprefixes;
    int *literal_prefix;   /* per literal: its prefix, -1 when sought by words */
    char **literal_text;   /* per literal, lower case (without a WORD_END mark) */
    size_t *literal_length;
    unsigned char *literal_word_end; /* per literal: it had the mark (a word ends there) */
    /* per literal sought by words: its first bytes that finding its list
     * proves (the byte of a byte's list; of a word's, the first two or
     * three while they are letters or '_', whose classes are their own) */
    unsigned char *literal_known;
    unsigned char *literal_at_start; /* per literal: literals.at_start, of all rules */
    /* When every literal begins where a word does, or with no word byte,
     * the scan walks the text's words instead of the automaton (see "Where
     * a literal begins"): at each word, the literals whose first two bytes
     * are the word's, by classes of bytes (word_class: 0 for no word byte,
     * a-z and A-Z the same, all digits one); at each other byte, those that
     * begin with it.
     * Heads are 1 + where a list begins in start_lists, 0 for none; the
     * lists end in -1. A literal that begins with bytes that are no word
     * bytes, then a word, is sought from its word on (literal_text and
     * literal_length are then of that part). */
    int by_words;
    unsigned char word_class[256];
    /* per pair of classes: those of the third bytes of its literals, a bit
     * each (all of them for a literal of two bytes), and where its row of
     * heads begins in third_head: the head of the list of a pair and a third
     * class is third_head[row + class]. Rows only for the pairs that begin
     * a literal: the few kilobytes that a scan reads stay in the nearest
     * cache, as a table of every pair and class (107 KB) did not. */
    struct pair_entry {
        uint32_t third, row;
    } pair[WORD_CLASSES * WORD_CLASSES];
    uint32_t *third_head;
    /* per list of a pair and a third class, at its head: the classes of its
     * literals' fourth bytes, a bit each (all of them for a literal of three
     * bytes or fewer); a word whose fourth byte's class is none of them
     * begins no literal of the list */
    uint32_t *fourth;
    uint32_t byte_head[256];
    int *start_lists;
    size_t nstates;
    size_t nliterals;
    /* Per literal, the clauses holding it, a bit each (clause_words words a
     * literal); and each rule's first clause, a bit each: a scan ORs the
     * found literals' bits, and a rule whose first clause is met is admitted
     * when all of its are (a rule's clauses are numbered one after another,
     * MAX_CLAUSES at most: they stand in one or two words of bits). */
    size_t clause_words;
    uint64_t *literal_clause_bits, *first_clause_bits;
    size_t *clause_rule;   /* per clause: its rule */
    unsigned *clause_before, *clause_after; /* per clause: slots needed around it */
    size_t nclauses;
    int **rule_slot_clauses; /* per rule: its clauses with slots around them, or NULL */
    size_t *rule_nclauses; /* per rule; 0: the rule always runs */
    size_t nrules;
    /* When the rules are few: their first clauses' literals (their first
     * ANCHOR_BYTES), one of which any text a rule may match holds. A text
     * without them is told so before the automaton's walk. nanchors 0: no
     * such check (too many, or a rule that always runs). Bytes with bit 5
     * set, as the check reads the text's (see anchors_occur). */
    unsigned char anchor[ANCHORS_MAX][ANCHOR_BYTES];
    unsigned char anchor_length[ANCHORS_MAX];
    size_t nanchors;
    /* The vector check's pairs: places whose bytes at offsets pair_at[0]
     * and pair_at[1] (the same for all anchors, both < PREFIX_MAX) are those
     * of some anchor, each byte 16 times; a place it finds is then compared
     * with the anchors whole. */
    unsigned char pair_at[2];
    unsigned char pair_wide[ANCHORS_MAX][2][16];
    size_t npairs;
    size_t anchor_shortest;
};


static int new_state(trigger_set *t, size_t *cap)
{
    if (t->nstates == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        t->next = xrealloc(t->next, *cap * sizeof *t->next);
        t->out = xrealloc(t->out, *cap * sizeof *t->out);
    }
    for (int c = 0; c < 256; c++)
        t->next[t->nstates][c] = -1;
    t->out[t->nstates] = NULL;
    return (int)t->nstates++;
}

static void add_out(int **list, int id)
{
    size_t n = 0;
    while (*list && (*list)[n] >= 0) {
        if ((*list)[n] == id)
            return;
        n++;
    }
    *list = xrealloc(*list, (n + 2) * sizeof **list);
    (*list)[n] = id;
    (*list)[n + 1] = -1;
}

/* Note a first clause's literal, its bytes with bit 5 set as the check
 * reads the text's (see anchors_occur); past ANCHORS_MAX there are too many
 * to check (nanchors is then ANCHORS_MAX + 1). */
static void add_anchor(trigger_set *t, const char *literal)
{
    /* up to its first space, which may be several in the text */
    size_t len = strcspn(literal, " ");
    unsigned char bytes[ANCHOR_BYTES];
    if (len > ANCHOR_BYTES)
        len = ANCHOR_BYTES;
    for (size_t k = 0; k < len; k++)
        bytes[k] = (unsigned char)literal[k] | 0x20;
    for (size_t a = 0; a < t->nanchors && a < ANCHORS_MAX; a++)
        if (t->anchor_length[a] == len && !memcmp(t->anchor[a], bytes, len))
            return;
    if (t->nanchors < ANCHORS_MAX) {
        memcpy(t->anchor[t->nanchors], bytes, len);
        t->anchor_length[t->nanchors] = (unsigned char)len;
    }
    if (t->nanchors <= ANCHORS_MAX)
        t->nanchors++;
}

/* The vector check's pairs. The offsets: the second and fourth bytes when
 * every anchor has four (of the pairs of bytes of "accu", "trad" and "exch",
 * those that the fewest places of English text hold: about one sentence in
 * ten), else the first and the last of the shortest anchor's; anchors with
 * the same pair share it. */
static void make_anchor_pairs(trigger_set *t)
{
    t->npairs = 0;
    t->anchor_shortest = ANCHOR_BYTES;
    for (size_t a = 0; a < t->nanchors; a++)
        if (t->anchor_length[a] < t->anchor_shortest)
            t->anchor_shortest = t->anchor_length[a];
    size_t shortest = t->anchor_shortest;
    if (shortest == 0) { /* no clause holds an empty literal; were one to, no check */
        t->nanchors = 0;
        return;
    }
    t->pair_at[0] = shortest >= PREFIX_MAX ? 1 : 0;
    t->pair_at[1] = (unsigned char)(shortest >= PREFIX_MAX ? PREFIX_MAX - 1 : shortest - 1);
    for (size_t a = 0; a < t->nanchors; a++) {
        unsigned char b0 = t->anchor[a][t->pair_at[0]], b1 = t->anchor[a][t->pair_at[1]];
        size_t k = 0;
        while (k < t->npairs && !(t->pair_wide[k][0][0] == b0 && t->pair_wide[k][1][0] == b1))
            k++;
        if (k == t->npairs) {
            memset(t->pair_wide[k][0], b0, 16);
            memset(t->pair_wide[k][1], b1, 16);
            t->npairs++;
        }
    }
}

/* A literal sought by words, under the key of its list. */
typedef struct keyed {
    size_t key, id;
} keyed;

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The byte lists' keys follow the words' (pair, third class). */
#define BYTE_KEY(b) ((size_t)WORD_CLASSES * WORD_CLASSES * 32 + (b))

/* The lists of the scan by words (see struct trigger_set). */
static void build_word_starts(trigger_set *t)
{
    int next = 1;
    for (int c = 'a'; c <= 'z'; c++)
        t->word_class[c] = t->word_class[c - 'a' + 'A'] = (unsigned char)next++;
    for (int c = '0'; c <= '9'; c++)
        t->word_class[c] = (unsigned char)next;
    t->word_class['_'] = (unsigned char)(next + 1);
    keyed *all = NULL;
    size_t nall = 0, cap = 0;
    t->literal_known = xcalloc(t->nliterals + 1, sizeof *t->literal_known);
    for (size_t id = 0; id < t->nliterals; id++) {
        char *text = t->literal_text[id];
        size_t len = t->literal_length[id], skip = 0;
        while (skip < len && !is_word_ascii(text[skip]))
            skip++;
        if (skip > 0 && skip + 2 <= len) { /* from its word on */
            memmove(text, text + skip, len - skip + 1);
            len -= skip;
            t->literal_length[id] = len;
        }
        unsigned c0 = t->word_class[(unsigned char)text[0]];
        if (!c0) {
            XGROW(all, cap, nall + 1);
            all[nall++] = (keyed){BYTE_KEY((unsigned char)text[0]), id};
            t->literal_known[id] = 1;
            continue;
        }
        /* the classes of its first two bytes key its list, and of the
         * third (of a longer one) the list's part; a digit's class is every
         * digit's */
        size_t known = 0;
        while (known < len && known < 3 && t->word_class[(unsigned char)text[known]]
               && !is_digit(text[known]))
            known++;
        t->literal_known[id] = (unsigned char)known;
        /* a word of two bytes stands before any third, unless it ends a
         * word: then before no word byte (class 0) */
        size_t pair = c0 * WORD_CLASSES + t->word_class[(unsigned char)text[1]];
        unsigned from = len > 2 ? t->word_class[(unsigned char)text[2]] : 0;
        unsigned to = len > 2 || t->literal_word_end[id] ? from : WORD_CLASSES - 1;
        for (unsigned c = from; c <= to; c++) {
            XGROW(all, cap, nall + 1);
            all[nall++] = (keyed){pair * 32 + c, id};
            t->pair[pair].third |= (uint32_t)1 << c;
        }
    }
    if (nall) /* (qsort is given no null array, even of nothing) */
        qsort(all, nall, sizeof *all, by_key);
    size_t rows = 0;
    for (size_t pair = 0; pair < WORD_CLASSES * WORD_CLASSES; pair++)
        if (t->pair[pair].third)
            t->pair[pair].row = (uint32_t)(rows++ * WORD_CLASSES);
    t->third_head = xcalloc(rows * WORD_CLASSES + 1, sizeof *t->third_head);
    t->start_lists = xmalloc((2 * nall + 1) * sizeof *t->start_lists);
    t->fourth = xcalloc(2 * nall + 2, sizeof *t->fourth);
    size_t at = 0;
    for (size_t i = 0; i < nall;) {
        size_t key = all[i].key;
        uint32_t head = (uint32_t)(at + 1);
        for (; i < nall && all[i].key == key; i++) {
            const char *text = t->literal_text[all[i].id];
            t->fourth[head] |= t->literal_length[all[i].id] > 3
                                   ? (uint32_t)1 << t->word_class[(unsigned char)text[3]]
                                   : ~(uint32_t)0;
            t->start_lists[at++] = (int)all[i].id;
        }
        t->start_lists[at++] = -1;
        if (key >= BYTE_KEY(0)) {
            t->byte_head[key - BYTE_KEY(0)] = head;
        } else {
            t->third_head[t->pair[key / 32].row + key % 32] = head;
        }
    }
    free(all);
}

trigger_set *prefilter_build(const literals *const *per_rule, size_t nrules)
{
    trigger_set *t = xcalloc(1, sizeof *t);
    size_t cap = 0;
    new_state(t, &cap);
    strmap ids = {0}, prefix_ids = {0};
    size_t prefix_cap = 0;
    t->nrules = nrules;
    t->rule_nclauses = xcalloc(nrules + 1, sizeof *t->rule_nclauses);
    t->rule_slot_clauses = xcalloc(nrules + 1, sizeof *t->rule_slot_clauses);
    size_t lit_cap = 0, clause_cap = 0;
    int **literal_clauses = NULL; /* per literal, -1 terminated: made into bits below */
    for (size_t r = 0; r < nrules; r++) {
        const literals *l = per_rule[r];
        if (!l)
            continue;
        t->rule_nclauses[r] = l->nclauses;
        for (size_t k = 0; k < l->clause_end[0]; k++) {
            /* (without a WORD_END mark: more places, never fewer) */
            char *text = xstrndup(l->items[k], prefilter_literal_chars(l->items[k]));
            add_anchor(t, text);
            free(text);
        }
        size_t nth = 0; /* clauses of this rule so far */
        for (size_t k = 0; k < l->count; k++) {
            if (k == 0 || k == l->clause_end[nth - 1]) { /* a clause starts */
                size_t c = t->nclauses;
                if (c == clause_cap) {
                    XGROW(t->clause_rule, clause_cap, c + 1);
                    t->clause_before = xrealloc(t->clause_before, clause_cap * sizeof *t->clause_before);
                    t->clause_after = xrealloc(t->clause_after, clause_cap * sizeof *t->clause_after);
                }
                t->clause_rule[c] = r;
                t->clause_before[c] = l->slots_before[nth];
                t->clause_after[c] = l->slots_after[nth];
                if (t->clause_before[c] || t->clause_after[c])
                    add_out(&t->rule_slot_clauses[r], (int)c);
                t->nclauses++;
                nth++;
            }
            void *v = strmap_get(&ids, l->items[k]);
            int id;
            if (v) {
                id = (int)(intptr_t)v - 1;
                t->literal_at_start[id] &= l->at_start[k];
            } else {
                id = (int)t->nliterals++;
                strmap_put(&ids, l->items[k], (void *)(intptr_t)(id + 1));
                size_t old_cap = lit_cap;
                XGROW(literal_clauses, lit_cap, t->nliterals);
                if (lit_cap != old_cap) {
                    t->literal_text = xrealloc(t->literal_text, lit_cap * sizeof *t->literal_text);
                    t->literal_length =
                        xrealloc(t->literal_length, lit_cap * sizeof *t->literal_length);
                    t->literal_prefix =
                        xrealloc(t->literal_prefix, lit_cap * sizeof *t->literal_prefix);
                    t->literal_at_start =
                        xrealloc(t->literal_at_start, lit_cap * sizeof *t->literal_at_start);
                    t->literal_word_end =
                        xrealloc(t->literal_word_end, lit_cap * sizeof *t->literal_word_end);
                }
                size_t chars = prefilter_literal_chars(l->items[k]);
                literal_clauses[id] = NULL;
                t->literal_text[id] = xstrndup(l->items[k], chars);
                t->literal_length[id] = chars;
                t->literal_word_end[id] = l->items[k][chars] == WORD_END;
                t->literal_prefix[id] = -1;
                t->literal_at_start[id] = l->at_start[k];
            }
            add_out(&literal_clauses[id], (int)t->nclauses - 1);
        }
    }
    strmap_free(&ids, NULL);
    size_t words = t->clause_words = t->nclauses / 64 + 1;
    t->literal_clause_bits = xcalloc(t->nliterals * words + 1, sizeof *t->literal_clause_bits);
    for (size_t id = 0; id < t->nliterals; id++) {
        for (const int *c = literal_clauses[id]; *c >= 0; c++)
            bit_set(t->literal_clause_bits + id * words, (unsigned)*c);
        free(literal_clauses[id]);
    }
    free(literal_clauses);
    t->first_clause_bits = xcalloc(words, sizeof *t->first_clause_bits);
    for (size_t c = 0; c < t->nclauses; c++) { /* a rule's clauses come together */
        size_t r = t->clause_rule[c];
        if (c == 0 || t->clause_rule[c - 1] != r)
            bit_set(t->first_clause_bits, (unsigned)c);
    }
    t->by_words = 1;
    for (size_t id = 0; id < t->nliterals && t->by_words; id++)
        t->by_words = sought_by_words(t->literal_text[id], t->literal_at_start[id]);
    if (t->by_words)
        build_word_starts(t);
    /* else all literals go to the automaton, their first PREFIX_MAX bytes */
    for (size_t id = 0; id < t->nliterals && !t->by_words; id++) {
        const char *text = t->literal_text[id];
        size_t plen = t->literal_length[id] < PREFIX_MAX ? t->literal_length[id] : PREFIX_MAX;
        void *pv = strmap_getn(&prefix_ids, text, plen);
        int pid;
        if (pv) {
            pid = (int)(intptr_t)pv - 1;
        } else {
            pid = (int)t->nprefixes++;
            strmap_putn(&prefix_ids, text, plen, (void *)(intptr_t)(pid + 1));
            if (t->nprefixes > prefix_cap) {
                XGROW(t->prefix_literals, prefix_cap, t->nprefixes);
                t->prefix_length =
                    xrealloc(t->prefix_length, prefix_cap * sizeof *t->prefix_length);
            }
            t->prefix_literals[pid] = NULL;
            t->prefix_length[pid] = (unsigned char)plen;
            int st = 0;
            for (size_t c = 0; c < plen; c++) {
                unsigned char b = (unsigned char)text[c];
                if (t->next[st][b] < 0) {
                    int ns = new_state(t, &cap);
                    t->next[st][b] = ns;
                }
                st = t->next[st][b];
            }
            add_out(&t->out[st], pid);
        }
        add_out(&t->prefix_literals[pid], (int)id);
        t->literal_prefix[id] = pid;
    }
    strmap_free(&prefix_ids, NULL);
    for (size_t r = 0; r < nrules; r++)
        if (!per_rule[r])
            t->nanchors = ANCHORS_MAX + 1; /* a rule that always runs */
    if (t->nanchors > ANCHORS_MAX)
        t->nanchors = 0;
    make_anchor_pairs(t);
    /* breadth first: failure links, folded into complete transitions */
    int *fail = xcalloc(t->nstates, sizeof *fail);
    int *queue = xmalloc(t->nstates * sizeof *queue);
    size_t head = 0, tail = 0;
    for (int c = 0; c < 256; c++) {
        int s = t->next[0][c];
        if (s < 0) {
            t->next[0][c] = 0;
        } else {
            fail[s] = 0;
            queue[tail++] = s;
        }
    }
    while (head < tail) {
        int s = queue[head++];
        for (int k = 0; t->out[fail[s]] && t->out[fail[s]][k] >= 0; k++)
            add_out(&t->out[s], t->out[fail[s]][k]);
        for (int c = 0; c < 256; c++) {
            int u = t->next[s][c];
            if (u < 0) {
                t->next[s][c] = t->next[fail[s]][c];
            } else {
                fail[u] = t->next[fail[s]][c];
                queue[tail++] = u;
            }
        }
    }
    free(fail);
    free(queue);
    /* the scan's table: one column per class of bytes, not 256, so that it
     * stays in cache; upper case reads as lower */
    memset(t->class_of, 0, sizeof t->class_of);
    t->nclasses = 1;
    for (int c = 0; c < 256; c++) {
        /* a byte matters when some state moves on it other than to where
         * an unused byte leads; NUL never occurs in a literal */
        int matters = 0;
        for (size_t s = 0; s < t->nstates && !matters; s++)
            matters = t->next[s][c] != t->next[s][0];
        if (matters && !(c >= 'A' && c <= 'Z'))
            t->class_of[c] = (unsigned char)t->nclasses++;
    }
    for (int c = 'A'; c <= 'Z'; c++)
        t->class_of[c] = t->class_of[c - 'A' + 'a'];
    /* scan order: the root first, the states where literals end last */
    size_t *order = xmalloc(t->nstates * sizeof *order);
    size_t nplain = 0;
    for (size_t s = 0; s < t->nstates; s++)
        nplain += !t->out[s];
    size_t plain = 0, ending = nplain;
    for (size_t s = 0; s < t->nstates; s++)
        order[s] = t->out[s] ? ending++ : plain++;
    size_t cells = t->nstates * t->nclasses;
    t->out_from = nplain * t->nclasses;
    t->out_by_row = xcalloc(t->nstates, sizeof *t->out_by_row);
    for (size_t s = 0; s < t->nstates; s++)
        t->out_by_row[order[s]] = t->out[s];
    if (cells <= 65536)
        t->delta16 = xmalloc(cells * sizeof *t->delta16);
    else
        t->delta32 = xmalloc(cells * sizeof *t->delta32);
    for (size_t s = 0; s < t->nstates; s++) {
        for (int c = 0; c < 256; c++) {
            size_t at = order[s] * t->nclasses + t->class_of[c];
            size_t row = order[t->next[s][c]] * t->nclasses;
            if (t->delta16)
                t->delta16[at] = (uint16_t)row;
            else
                t->delta32[at] = (uint32_t)row;
        }
    }
    free(order);
    free(t->next);
    t->next = NULL;
    return t;
}

size_t prefilter_literal_count(const trigger_set *t)
{
    return t ? t->nliterals : 0;
}

trigger_hits *prefilter_hits_new(const trigger_set *t)
{
    trigger_hits *h = xcalloc(1, sizeof *h);
    h->literal = xcalloc(t->nliterals + 1, sizeof *h->literal);
    h->prefix = xcalloc(t->nprefixes + 1, sizeof *h->prefix);
    h->prefix_first = xcalloc(t->nprefixes + 1, sizeof *h->prefix_first);
    h->prefix_last = xcalloc(t->nprefixes + 1, sizeof *h->prefix_last);
    h->literal_first = xcalloc(t->nliterals + 1, sizeof *h->literal_first);
    h->literal_last = xcalloc(t->nliterals + 1, sizeof *h->literal_last);
    h->found = xcalloc(t->nliterals + 1, sizeof *h->found);
    h->met = xcalloc(t->clause_words + 1, sizeof *h->met); /* one more: count_clauses */
    /* a bit a rule: 64 rules are one word (nrules / 64 + 1 made them two,
     * and every sentence paid for the second in each of its loops) */
    h->words = t->nrules ? (t->nrules + 63) / 64 : 1;
    h->admitted = xcalloc(h->words, sizeof *h->admitted);
    h->always = xcalloc(h->words, sizeof *h->always);
    for (size_t r = 0; r < t->nrules; r++)
        if (t->rule_nclauses[r] == 0)
            bit_set(h->always, (unsigned)r);
    memcpy(h->admitted, h->always, h->words * sizeof *h->admitted);
    return h;
}

void prefilter_hits_free(trigger_hits *h)
{
    if (!h)
        return;
    free(h->literal);
    free(h->prefix);
    free(h->prefix_first);
    free(h->prefix_last);
    free(h->literal_first);
    free(h->literal_last);
    free(h->found);
    free(h->met);
    free(h->admitted);
    free(h->always);
    free(h);
}

/* literal_stands_at of a literal that holds a space: one or more in the
 * text. Apart, so that the usual literal's compare stays inline. */
static __attribute__((noinline)) int spaced_stands_at(const trigger_set *t, int id,
                                                      const unsigned char *text, size_t n,
                                                      size_t p, size_t known)
{
    const char *lit = t->literal_text[id];
    size_t at = p + known; /* in the text, where lit[j] is compared */
    if (known && lit[known - 1] == ' ') /* what was found ends in a space: its others */
        while (at < n && text[at] == ' ')
            at++;
    for (size_t j = known; j < t->literal_length[id]; j++) {
        if (at >= n || lower_byte(text[at]) != (unsigned char)lit[j])
            return 0;
        at++;
        if (lit[j] == ' ')
            while (at < n && text[at] == ' ')
                at++;
    }
    return !(t->literal_word_end[id] && at < n && is_word_ascii((char)text[at]));
}

/* Does literal `id` stand whole at text[p] (n bytes in all), its first
 * `known` bytes found there already? Its other bytes are read with A-Z as
 * a-z; a space of the literal is one or more in the text (the rules write
 * " +" between words); one that ends a word (WORD_END) has no word byte of
 * ASCII after it. Both scans ask it. */
static int literal_stands_at(const trigger_set *t, int id, const unsigned char *text, size_t n,
                             size_t p, size_t known)
{
    size_t len = t->literal_length[id];
    if (len > n - p)
        return 0;
    const char *lit = t->literal_text[id];
    for (size_t j = known; j < len; j++)
        if (lower_byte(text[p + j]) != (unsigned char)lit[j])
            /* where the literal's space is two or more in the text, on
             * more slowly; else no */
            return j > 0 && lit[j - 1] == ' ' && text[p + j] == ' '
                       ? spaced_stands_at(t, id, text, n, p, known)
                       : 0;
    return !(t->literal_word_end[id] && p + len < n && is_word_ascii((char)text[p + len]));
}

/* Prefixes end at text[i], the automaton being at `row`: note where they
 * begin, mark the literals that begin with them and go on in the text (A-Z
 * read as a-z, as the automaton reads them). */
static void literals_at(const trigger_set *t, trigger_hits *h, size_t row, const char *text,
                        size_t n, size_t i)
{
    unsigned scan = h->scan;
    for (const int *p = t->out_by_row[row / t->nclasses]; *p >= 0; p++) {
        uint32_t start = (uint32_t)(i + 1 - t->prefix_length[*p]);
        if (h->prefix[*p] != scan) {
            h->prefix[*p] = scan;
            h->prefix_first[*p] = h->prefix_last[*p] = start;
        } else if (start < h->prefix_first[*p]) { /* the two walks meet out of order */
            h->prefix_first[*p] = start;
        } else if (start > h->prefix_last[*p]) {
            h->prefix_last[*p] = start;
        }
        for (const int *o = t->prefix_literals[*p]; *o >= 0; o++) {
            if (h->literal[*o] == scan
                || !literal_stands_at(t, *o, (const unsigned char *)text, n, start,
                                      t->prefix_length[*p]))
                continue;
            h->literal[*o] = scan;
            h->found[h->nfound++] = *o;
        }
    }
}

/* The literals of the list at `head` that stand at text[p] (n bytes in
 * all) are found there. */
static void starts_at(const trigger_set *t, trigger_hits *h, uint32_t head,
                      const unsigned char *text, size_t n, size_t p)
{
    unsigned scan = h->scan;
    for (const int *o = t->start_lists + head - 1; *o >= 0; o++) {
        if (!literal_stands_at(t, *o, text, n, p, t->literal_known[*o]))
            continue;
        if (h->literal[*o] != scan) {
            h->literal[*o] = scan;
            h->literal_first[*o] = (uint32_t)p;
            h->found[h->nfound++] = *o;
        }
        h->literal_last[*o] = (uint32_t)p;
    }
}

/* The scan by words: each word's first bytes, and each other byte. With
 * `stops`, the text's last byte is of no word class (most sentences end in
 * a stop), so a word ends before the text does without a test of where it
 * is at each byte. */
static inline __attribute__((always_inline)) void scan_words_of(const trigger_set *t,
                                                                trigger_hits *h,
                                                                const unsigned char *u,
                                                                size_t n, int stops)
{
    const unsigned char *word_class = t->word_class;
    for (size_t p = 0; p < n;) {
        unsigned c0 = word_class[u[p]];
        if (!c0) {
            if (t->byte_head[u[p]])
                starts_at(t, h, t->byte_head[u[p]], u, n, p);
            p++;
            continue;
        }
        /* most words begin no literal: the classes of their first three
         * bytes tell */
        unsigned c1 = stops || p + 1 < n ? word_class[u[p + 1]] : 0;
        unsigned c2 = p + 2 < n ? word_class[u[p + 2]] : 0;
        struct pair_entry pe = t->pair[c0 * WORD_CLASSES + c1];
        if ((pe.third >> c2) & 1) {
            uint32_t head = t->third_head[pe.row + c2];
            unsigned c3 = p + 3 < n ? word_class[u[p + 3]] : 0;
            if ((t->fourth[head] >> c3) & 1)
                starts_at(t, h, head, u, n, p);
        }
        if (stops)
            for (p++; word_class[u[p]]; p++)
                ;
        else
            for (p++; p < n && word_class[u[p]]; p++)
                ;
        /* the byte after the word is of no word class: its own literals */
        if (p < n) {
            if (t->byte_head[u[p]])
                starts_at(t, h, t->byte_head[u[p]], u, n, p);
            p++;
        }
    }
}

static void scan_words(const trigger_set *t, trigger_hits *h, const char *text, size_t n)
{
    const unsigned char *u = (const unsigned char *)text;
    if (n > 0 && !t->word_class[u[n - 1]])
        scan_words_of(t, h, u, n, 1);
    else
        scan_words_of(t, h, u, n, 0);
}

/* Does one of the anchors begin at text[i] (n bytes in all)? Both sides
 * are read with bit 5 set: a letter is then its lower case, and another byte
 * may pass for one other ('_' for DEL, a space for NUL): more places, never
 * fewer. */
static int anchor_at(const trigger_set *t, const char *text, size_t n, size_t i)
{
    for (size_t a = 0; a < t->nanchors; a++) {
        size_t len = t->anchor_length[a], k = 0;
        if (len > n - i)
            continue;
        while (k < len && (unsigned char)(text[i + k] | 0x20) == t->anchor[a][k])
            k++;
        if (k == len)
            return 1;
    }
    return 0;
}

#ifdef __SSE2__
/* The vector check of anchors_occur over the places [0, last + 16) of the
 * text, 16 at a time (the last block overlapping the one before it), with
 * `npairs` pairs: the places that hold a pair's two bytes are then compared
 * with the anchors whole. Inline with npairs a constant, the pairs stay in
 * registers and the loop over them is unrolled. */
static inline __attribute__((always_inline)) int anchor_blocks(const trigger_set *t,
                                                               const char *text, size_t n,
                                                               size_t last, size_t npairs)
{
    const __m128i case_bit = _mm_set1_epi8(0x20);
    __m128i w0[ANCHORS_MAX], w1[ANCHORS_MAX];
    for (size_t k = 0; k < npairs; k++) {
        w0[k] = _mm_loadu_si128((const __m128i *)t->pair_wide[k][0]);
        w1[k] = _mm_loadu_si128((const __m128i *)t->pair_wide[k][1]);
    }
    for (size_t i = 0;; i += 16) {
        if (i > last)
            i = last;
        __m128i at0 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(text + i + t->pair_at[0])),
                                   case_bit);
        __m128i at1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(text + i + t->pair_at[1])),
                                   case_bit);
        __m128i any = _mm_setzero_si128();
        for (size_t k = 0; k < npairs; k++)
            any = _mm_or_si128(any, _mm_and_si128(_mm_cmpeq_epi8(at0, w0[k]),
                                                  _mm_cmpeq_epi8(at1, w1[k])));
        for (unsigned bits = (unsigned)_mm_movemask_epi8(any); bits; bits &= bits - 1)
            if (anchor_at(t, text, n, i + (size_t)__builtin_ctz(bits)))
                return 1;
        if (i == last)
            return 0;
    }
}
#endif

/* Does the text hold one of the anchors (as anchor_at reads them)? */
static int anchors_occur(const trigger_set *t, const char *text, size_t n)
{
    size_t from = 0; /* the places checked one by one */
#ifdef __SSE2__
    /* 16 places at a time up to where the reads would pass the end: first
     * for the pairs of bytes, then, at the few places that hold one, for the
     * anchors whole. The places left are checked one by one. A text too
     * short for a block is copied first, after it bytes that no anchor
     * holds (0x80 is 0xA0 as read, and anchors are ASCII): two blocks then
     * cover all its places. */
    char pad[2 * 16 + PREFIX_MAX - 1];
    size_t last;
    if (n >= 16 + PREFIX_MAX - 1) {
        last = n - (16 + PREFIX_MAX - 1);
        from = last + 16;
    } else {
        memset(pad, 0x80, sizeof pad);
        memcpy(pad, text, n);
        text = pad;
        last = n > 16 ? 16 : 0;
        from = n; /* none left */
    }
    int found;
    switch (t->npairs) { /* the usual few, each its own loop */
    case 1: found = anchor_blocks(t, text, n, last, 1); break;
    case 2: found = anchor_blocks(t, text, n, last, 2); break;
    case 3: found = anchor_blocks(t, text, n, last, 3); break;
    case 4: found = anchor_blocks(t, text, n, last, 4); break;
    default: found = anchor_blocks(t, text, n, last, t->npairs); break;
    }
    if (found)
        return 1;
#endif
    /* where the shortest anchor still fits, for a pair first */
    unsigned p0 = t->pair_at[0], p1 = t->pair_at[1];
    for (size_t i = from; i + t->anchor_shortest <= n; i++) {
        unsigned char c0 = (unsigned char)(text[i + p0] | 0x20);
        unsigned char c1 = (unsigned char)(text[i + p1] | 0x20);
        for (size_t k = 0; k < t->npairs; k++)
            if (c0 == t->pair_wide[k][0][0] && c1 == t->pair_wide[k][1][0]
                && anchor_at(t, text, n, i))
                return 1;
    }
    return 0;
}

/* The scan by the automaton: every place of the text. */
static void scan_automaton(const trigger_set *t, trigger_hits *h, const char *text, size_t n)
{
    size_t out_from = t->out_from;
    const unsigned char *class_of = t->class_of;
    const uint16_t *d16 = t->delta16;
    const uint32_t *d32 = t->delta32;
    /* Each byte's step waits on the one before (a load from the table), so
     * one walk over a sentence is bound by that latency: two walks, over
     * each half, go on side by side. The first runs PREFIX_MAX - 1 bytes
     * into the second half, so that every prefix lies whole in one walk; a
     * literal found by both is marked once. (Four walks did worse.) */
    size_t mid = n >= 32 && d16 ? (n - (PREFIX_MAX - 1)) / 2 : 0;
    size_t end_a = mid ? mid + PREFIX_MAX - 1 : 0, i = 0;
    if (mid) {
        size_t a = 0, b = 0, both = end_a < n - mid ? end_a : n - mid;
        for (; i < both; i++) {
            a = d16[a + class_of[(unsigned char)text[i]]];
            b = d16[b + class_of[(unsigned char)text[mid + i]]];
            if (a >= out_from)
                literals_at(t, h, a, text, n, i);
            if (b >= out_from)
                literals_at(t, h, b, text, n, mid + i);
        }
        for (; i < end_a; i++) {
            a = d16[a + class_of[(unsigned char)text[i]]];
            if (a >= out_from)
                literals_at(t, h, a, text, n, i);
        }
        for (; mid + i < n; i++) {
            b = d16[b + class_of[(unsigned char)text[mid + i]]];
            if (b >= out_from)
                literals_at(t, h, b, text, n, mid + i);
        }
    } else {
        size_t row = 0;
        for (; i < n; i++) {
            size_t at = row + class_of[(unsigned char)text[i]];
            row = d16 ? d16[at] : d32[at];
            if (row >= out_from)
                literals_at(t, h, row, text, n, i);
        }
    }
}

/* Where a literal found begins at the latest, and where it ends at the
 * earliest (its prefix's places: a literal begins where its prefix does,
 * though not wherever it does). */
static void literal_bounds(const trigger_set *t, const trigger_hits *h, int lit,
                           uint32_t *last, uint32_t *first_end)
{
    int p = t->literal_prefix[lit];
    *last = p < 0 ? h->literal_last[lit] : h->prefix_last[p];
    *first_end = (p < 0 ? h->literal_first[lit] : h->prefix_first[p])
                 + (uint32_t)t->literal_length[lit];
}

/* The clauses that the literals found meet, and the rules all of whose
 * clauses are met. */
static void count_clauses(const trigger_set *t, trigger_hits *h)
{
    size_t words = t->clause_words;
    uint64_t *met = h->met; /* emptied by prefilter_scan */
    for (size_t k = 0; k < h->nfound; k++) {
        const uint64_t *bits = t->literal_clause_bits + (size_t)h->found[k] * words;
        for (size_t w = 0; w < words; w++)
            met[w] |= bits[w];
    }
    for (size_t w = 0; w < words; w++) {
        for (uint64_t firsts = met[w] & t->first_clause_bits[w]; firsts; firsts &= firsts - 1) {
            unsigned b = (unsigned)__builtin_ctzll(firsts);
            size_t r = t->clause_rule[w * 64 + b];
            /* its clauses' bits from b on, into the next word (met has one
             * word more, 0) */
            uint64_t window = met[w] >> b | (b ? met[w + 1] << (64 - b) : 0);
            uint64_t all = ((uint64_t)1 << t->rule_nclauses[r]) - 1;
            if ((window & all) == all)
                bit_set(h->admitted, (unsigned)r);
        }
    }
}

int prefilter_scan(const trigger_set *t, const char *text, size_t n, trigger_hits *h)
{
    if (++h->scan == 0) { /* wrapped: forget every old mark */
        memset(h->literal, 0, t->nliterals * sizeof *h->literal);
        memset(h->prefix, 0, t->nprefixes * sizeof *h->prefix);
        h->scan = 1;
    }
    h->nfound = 0;
    /* emptied here, where GCC keeps the loop inline (in count_clauses it
     * became a call to memset) */
    for (size_t w = 0; w < t->clause_words; w++)
        h->met[w] = 0;
    for (size_t w = 0; w < h->words; w++) /* a word or a few: no call to memcpy */
        h->admitted[w] = h->always[w];
    if (h->admit_all) {
        for (size_t r = 0; r < t->nrules; r++)
            bit_set(h->admitted, (unsigned)r);
        return 1;
    }
    /* no rule's first clause: nothing admitted (a set with anchors has no
     * rule that always runs) */
    if (t->nanchors && !anchors_occur(t, text, n))
        return 0;
    if (t->by_words)
        scan_words(t, h, text, n);
    else
        scan_automaton(t, h, text, n);
    count_clauses(t, h);
    uint64_t any = 0;
    for (size_t w = 0; w < h->words; w++)
        any |= h->admitted[w];
    return any != 0;
}

int prefilter_slots_admit(const trigger_set *t, size_t rule, const trigger_hits *h,
                          const uint32_t *mention_offset, size_t n, size_t width,
                          uint32_t *latest)
{
    const int *c = t->rule_slot_clauses[rule];
    *latest = UINT32_MAX;
    if (!c || h->admit_all)
        return 1;
    for (; *c >= 0; c++) {
        if (!bit_test(h->met, (unsigned)*c))
            continue; /* not met: the scan did not admit the rule */
        /* where the clause's literals begin at the latest, and end at the
         * earliest */
        uint32_t last = 0, first_end = UINT32_MAX;
        for (size_t k = 0; k < h->nfound; k++) {
            int lit = h->found[k];
            if (!bit_test(t->literal_clause_bits + (size_t)lit * t->clause_words, (unsigned)*c))
                continue;
            uint32_t l, e;
            literal_bounds(t, h, lit, &l, &e);
            if (l > last)
                last = l;
            if (e < first_end)
                first_end = e;
        }
        if (last < *latest)
            *latest = last;
        size_t before = 0, after = 0;
        for (size_t m = 0; m < n; m++) {
            before += mention_offset[m] + width <= last;
            after += mention_offset[m] >= first_end;
        }
        if (before < t->clause_before[*c] || after < t->clause_after[*c])
            return 0;
    }
    return 1;
}

void prefilter_free_set(trigger_set *t)
{
    if (!t)
        return;
    for (size_t s = 0; s < t->nstates; s++)
        free(t->out[s]);
    free(t->out);
    for (size_t k = 0; k < t->nprefixes; k++)
        free(t->prefix_literals[k]);
    free(t->prefix_literals);
    free(t->prefix_length);
    free(t->literal_prefix);
    free(t->literal_at_start);
    free(t->literal_word_end);
    free(t->literal_known);
    free(t->start_lists);
    free(t->third_head);
    free(t->fourth);
    free(t->clause_before);
    free(t->clause_after);
    for (size_t r = 0; r < t->nrules; r++)
        free(t->rule_slot_clauses[r]);
    free(t->rule_slot_clauses);
    for (size_t k = 0; k < t->nliterals; k++)
        free(t->literal_text[k]);
    free(t->literal_text);
    free(t->literal_length);
    free(t->next);
    free(t->delta16);
    free(t->delta32);
    free(t->out_by_row);
    free(t->literal_clause_bits);
    free(t->first_clause_bits);
    free(t->clause_rule);
    free(t->rule_nclauses);
    free(t);
}

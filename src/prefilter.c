/*
 * prefilter.c - required literals of a pattern, as in RE2's prefilter.
 *
 * For each part of the pattern we compute a set of strings such that every
 * match of the part contains one of them, or "unknown". A sequence takes the
 * most selective set among its parts (a run of literal characters is one
 * such set); an alternation takes the union of its branches, unknown if any
 * branch is; an optional part is unknown. Anything unusual (\Q, verbs,
 * conditionals, non-ASCII letters) makes the whole pattern unknown.
 */
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "util.h"

#define MIN_LITERAL 3 /* shorter literals filter too little to be worth it */

typedef struct set {
    int known;
    char **items;
    size_t count, cap;
} set;

typedef struct parser {
    const char *p, *end;
    int failed;
} parser;

static void set_free(set *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}

static void set_add(set *s, const char *str, size_t n)
{
    for (size_t i = 0; i < s->count; i++)
        if (strlen(s->items[i]) == n && !memcmp(s->items[i], str, n))
            return;
    XGROW(s->items, s->cap, s->count + 1);
    s->items[s->count++] = xstrndup(str, n);
}

static size_t shortest(const set *s)
{
    size_t m = (size_t)-1;
    for (size_t i = 0; i < s->count; i++)
        if (strlen(s->items[i]) < m)
            m = strlen(s->items[i]);
    return s->count ? m : 0;
}

/* Keep in *best whichever of *best and *candidate filters more. */
static void keep_better(set *best, set *candidate)
{
    if (!candidate->known || shortest(candidate) < MIN_LITERAL) {
        set_free(candidate);
        return;
    }
    size_t a = best->known ? shortest(best) : 0, b = shortest(candidate);
    if (!best->known || b > a || (b == a && candidate->count < best->count)) {
        set_free(best);
        *best = *candidate;
        memset(candidate, 0, sizeof *candidate);
    } else {
        set_free(candidate);
    }
}

static set parse_alternation(parser *ps);

/* Skip a quantifier at ps->p; returns its minimum count (1 when none). */
static int quantifier(parser *ps)
{
    int min = 1;
    if (ps->p >= ps->end)
        return 1;
    char c = *ps->p;
    if (c == '?' || c == '*') {
        min = 0;
        ps->p++;
    } else if (c == '+') {
        ps->p++;
    } else if (c == '{') {
        const char *q = ps->p + 1;
        int n = 0, digits = 0;
        while (q < ps->end && *q >= '0' && *q <= '9') {
            n = n * 10 + (*q - '0');
            q++;
            digits++;
        }
        if (!digits && q < ps->end && *q == ',')
            n = 0, digits = 1; /* {,m} */
        const char *close = memchr(q, '}', (size_t)(ps->end - q));
        if (!digits || !close)
            return 1; /* a literal '{' */
        min = n;
        ps->p = close + 1;
    } else {
        return 1;
    }
    if (ps->p < ps->end && (*ps->p == '?' || *ps->p == '+'))
        ps->p++; /* lazy or possessive */
    return min;
}

static void skip_class(parser *ps)
{
    ps->p++; /* '[' */
    if (ps->p < ps->end && *ps->p == '^')
        ps->p++;
    if (ps->p < ps->end && *ps->p == ']')
        ps->p++;
    while (ps->p < ps->end && *ps->p != ']') {
        if (*ps->p == '\\' && ps->p + 1 < ps->end)
            ps->p++;
        else if (*ps->p == '[' && ps->p + 1 < ps->end && ps->p[1] == ':') {
            const char *close = strstr(ps->p + 2, ":]");
            if (close && close < ps->end)
                ps->p = close + 1;
        }
        ps->p++;
    }
    if (ps->p >= ps->end)
        ps->failed = 1;
    else
        ps->p++;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* A sequence of atoms up to '|' or ')'. */
static set parse_sequence(parser *ps)
{
    set best = {0};
    strbuf run = {0};
    while (ps->p < ps->end && !ps->failed && *ps->p != '|' && *ps->p != ')') {
        char c = *ps->p;
        int literal = -1; /* the literal byte, or -1 for another atom */
        set inner = {0};
        int is_group = 0;
        if (c == '(') {
            ps->p++;
            if (ps->p < ps->end && *ps->p == '?') {
                const char *q = ps->p + 1;
                if (q < ps->end && (*q == '=' || *q == '!' || (*q == '<' && q + 1 < ps->end && (q[1] == '=' || q[1] == '!')))) {
                    /* a lookaround: skip it, it adds no requirement */
                    ps->p = q + (*q == '<' ? 2 : 1);
                    set ignored = parse_alternation(ps);
                    set_free(&ignored);
                    if (ps->p >= ps->end || *ps->p != ')') {
                        ps->failed = 1;
                        break;
                    }
                    ps->p++;
                    quantifier(ps);
                    continue;
                }
                if (q < ps->end && *q == ':') {
                    ps->p = q + 1;
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
            inner = parse_alternation(ps);
            if (ps->p >= ps->end || *ps->p != ')') {
                set_free(&inner);
                ps->failed = 1;
                break;
            }
            ps->p++;
            is_group = 1;
        } else if (c == '[') {
            skip_class(ps);
        } else if (c == '\\') {
            if (ps->p + 1 >= ps->end) {
                ps->failed = 1;
                break;
            }
            char e = ps->p[1];
            if (e == 'Q' || e == 'E' || e == 'K' || e == 'G' || e == 'R' || e == 'X') {
                ps->failed = 1;
                break;
            }
            ps->p += 2;
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                /* \w \s \b \d \x{..} \p{..} \g{..} ...: no literal */
                if (ps->p < ps->end && *ps->p == '{') {
                    const char *close = memchr(ps->p, '}', (size_t)(ps->end - ps->p));
                    if (!close) {
                        ps->failed = 1;
                        break;
                    }
                    ps->p = close + 1;
                }
            } else if ((unsigned char)e < 0x80) {
                literal = e;
            }
        } else if (c == '.' || c == '^' || c == '$') {
            ps->p++;
        } else if ((unsigned char)c >= 0x80) {
            ps->p++; /* caseless non-ASCII: no literal */
        } else {
            literal = c;
            ps->p++;
        }
        const char *before = ps->p;
        int min = quantifier(ps);
        int repeated = ps->p != before;
        if (literal >= 0 && min >= 1) {
            sb_addc(&run, lower((char)literal));
            if (!repeated)
                continue;
            /* "ba+c" holds "ba" and "ac", not "bac": the run ends here */
            literal = -1;
        }
        /* the run ends here */
        if (run.length) {
            set r = {1, NULL, 0, 0};
            set_add(&r, run.data, run.length);
            keep_better(&best, &r);
            sb_clear(&run);
        }
        if (is_group) {
            if (min >= 1)
                keep_better(&best, &inner);
            else
                set_free(&inner);
        }
    }
    if (run.length) {
        set r = {1, NULL, 0, 0};
        set_add(&r, run.data, run.length);
        keep_better(&best, &r);
    }
    sb_free(&run);
    return best;
}

static set parse_alternation(parser *ps)
{
    set all = {1, NULL, 0, 0};
    for (;;) {
        set branch = parse_sequence(ps);
        if (!branch.known || ps->failed) {
            set_free(&branch);
            all.known = 0;
        } else if (all.known) {
            for (size_t i = 0; i < branch.count; i++)
                set_add(&all, branch.items[i], strlen(branch.items[i]));
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
    return all;
}

literals *prefilter_derive(const char *pattern, size_t length)
{
    parser ps = {pattern, pattern + length, 0};
    set s = parse_alternation(&ps);
    if (ps.failed || ps.p != ps.end || !s.known || !s.count || shortest(&s) < MIN_LITERAL) {
        set_free(&s);
        return NULL;
    }
    literals *lits = xcalloc(1, sizeof *lits);
    lits->items = s.items;
    lits->count = s.count;
    return lits;
}

int prefilter_admits(const literals *lits, const char *text)
{
    if (!lits)
        return 1;
    for (size_t i = 0; i < lits->count; i++)
        if (strstr(text, lits->items[i]))
            return 1;
    return 0;
}

void prefilter_free(literals *lits)
{
    if (!lits)
        return;
    for (size_t i = 0; i < lits->count; i++)
        free(lits->items[i]);
    free(lits->items);
    free(lits);
}

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

void prefilter_free(literals *lits)
{
    if (!lits)
        return;
    for (size_t i = 0; i < lits->count; i++)
        free(lits->items[i]);
    free(lits->items);
    free(lits);
}

/* ------------------------------------------------- one pass for all rules */

struct trigger_set {
    int (*next)[256];   /* the automaton's transitions, complete (a DFA) */
    int **out;          /* per state: literal ids ending here, -1 terminated */
    size_t nstates;
    size_t nliterals;
    int **rule_ids;     /* per rule: its literal ids, -1 terminated; NULL: always */
    size_t nrules;
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

trigger_set *prefilter_build(const literals *const *per_rule, size_t nrules)
{
    trigger_set *t = xcalloc(1, sizeof *t);
    size_t cap = 0;
    new_state(t, &cap);
    strmap ids = {0};
    t->nrules = nrules;
    t->rule_ids = xcalloc(nrules + 1, sizeof *t->rule_ids);
    for (size_t r = 0; r < nrules; r++) {
        const literals *l = per_rule[r];
        if (!l)
            continue;
        t->rule_ids[r] = xmalloc((l->count + 1) * sizeof **t->rule_ids);
        for (size_t k = 0; k < l->count; k++) {
            void *v = strmap_get(&ids, l->items[k]);
            int id;
            if (v) {
                id = (int)(intptr_t)v - 1;
            } else {
                id = (int)t->nliterals++;
                strmap_put(&ids, l->items[k], (void *)(intptr_t)(id + 1));
                int s = 0;
                for (const unsigned char *c = (const unsigned char *)l->items[k]; *c; c++) {
                    if (t->next[s][*c] < 0) {
                        int ns = new_state(t, &cap);
                        t->next[s][*c] = ns;
                    }
                    s = t->next[s][*c];
                }
                add_out(&t->out[s], id);
            }
            t->rule_ids[r][k] = id;
        }
        t->rule_ids[r][l->count] = -1;
    }
    strmap_free(&ids, NULL);
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
    return t;
}

size_t prefilter_literal_count(const trigger_set *t)
{
    return t ? t->nliterals : 0;
}

void prefilter_scan(const trigger_set *t, const char *text, size_t n, unsigned *seen,
                    unsigned stamp)
{
    int s = 0;
    for (size_t i = 0; i < n; i++) {
        s = t->next[s][(unsigned char)text[i]];
        for (const int *o = t->out[s]; o && *o >= 0; o++)
            seen[*o] = stamp;
    }
}

int prefilter_rule_admits(const trigger_set *t, size_t rule, const unsigned *seen, unsigned stamp)
{
    const int *ids = t->rule_ids[rule];
    if (!ids)
        return 1;
    for (; *ids >= 0; ids++)
        if (seen[*ids] == stamp)
            return 1;
    return 0;
}

void prefilter_free_set(trigger_set *t)
{
    if (!t)
        return;
    for (size_t s = 0; s < t->nstates; s++)
        free(t->out[s]);
    free(t->out);
    free(t->next);
    for (size_t r = 0; r < t->nrules; r++)
        free(t->rule_ids[r]);
    free(t->rule_ids);
    free(t);
}

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
 * A sequence also needs every one of its parts, so besides the best set the
 * parser gathers the sets of all required parts (clauses: one of each must
 * occur), down through groups of one branch: "{SRC} should (?:accuse|blame)"
 * needs "should" and one of "accuse", "blame".
 */
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "util.h"

#define MIN_LITERAL 3 /* shorter literals filter too little to be worth it alone */
#define MIN_CLAUSE_LITERAL 2 /* beside a longer one: "{TGT} was urged by {SRC}" needs "by" */

typedef struct set {
    int known;
    char **items;
    size_t count, cap;
} set;

typedef struct parser {
    const char *p, *end;
    int failed;
} parser;

/* The sets a sequence requires, all of them. */
typedef struct clauses {
    set *items;
    size_t count, cap;
} clauses;

#define MAX_CLAUSES 4 /* the most selective; more cost a check and add little */

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

static set parse_alternation(parser *ps, clauses *out);

static void set_copy(set *to, const set *from)
{
    *to = (set){from->known, NULL, 0, 0};
    for (size_t i = 0; i < from->count; i++)
        set_add(to, from->items[i], strlen(from->items[i]));
}

static void clauses_free(clauses *c)
{
    for (size_t i = 0; i < c->count; i++)
        set_free(&c->items[i]);
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* Add a copy of `s` to `out` when it is selective enough and not there yet. */
static void clauses_add(clauses *out, const set *s)
{
    if (!out || !s->known || !s->count || shortest(s) < MIN_CLAUSE_LITERAL)
        return;
    for (size_t i = 0; i < out->count; i++) {
        const set *t = &out->items[i];
        size_t same = 0;
        for (size_t a = 0; a < s->count && t->count == s->count; a++)
            for (size_t b = 0; b < t->count; b++)
                if (!strcmp(s->items[a], t->items[b])) {
                    same++;
                    break;
                }
        if (t->count == s->count && same == s->count)
            return;
    }
    XGROW(out->items, out->cap, out->count + 1);
    set_copy(&out->items[out->count++], s);
}

/* Move every clause of `from` to `to`. */
static void clauses_splice(clauses *to, clauses *from)
{
    for (size_t i = 0; to && i < from->count; i++)
        clauses_add(to, &from->items[i]);
    clauses_free(from);
}

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

/* A sequence of atoms up to '|' or ')': returns the best set; adds every
 * required set to *out (when out is not NULL). */
static set parse_sequence(parser *ps, clauses *out)
{
    set best = {0};
    strbuf run = {0};
    while (ps->p < ps->end && !ps->failed && *ps->p != '|' && *ps->p != ')') {
        char c = *ps->p;
        int literal = -1; /* the literal byte, or -1 for another atom */
        set inner = {0};
        clauses inner_clauses = {0};
        int is_group = 0;
        if (c == '(') {
            ps->p++;
            if (ps->p < ps->end && *ps->p == '?') {
                const char *q = ps->p + 1;
                if (q < ps->end && (*q == '=' || *q == '!' || (*q == '<' && q + 1 < ps->end && (q[1] == '=' || q[1] == '!')))) {
                    /* a lookaround: skip it, it adds no requirement */
                    ps->p = q + (*q == '<' ? 2 : 1);
                    set ignored = parse_alternation(ps, NULL);
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
                if (q < ps->end && *q == ':') {
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
            inner = parse_alternation(ps, &inner_clauses);
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
            clauses_add(out, &r);
            keep_better(&best, &r);
            sb_clear(&run);
        }
        if (is_group) {
            if (min >= 1) {
                clauses_add(out, &inner);
                clauses_splice(out, &inner_clauses);
                keep_better(&best, &inner);
            } else {
                set_free(&inner);
                clauses_free(&inner_clauses);
            }
        }
    }
    if (run.length) {
        set r = {1, NULL, 0, 0};
        set_add(&r, run.data, run.length);
        clauses_add(out, &r);
        keep_better(&best, &r);
    }
    sb_free(&run);
    return best;
}

/* Returns the union of the branches' best sets; with one branch, that
 * branch's clauses go to *out. */
static set parse_alternation(parser *ps, clauses *out)
{
    set all = {1, NULL, 0, 0};
    clauses first = {0};
    int branches = 0;
    for (;;) {
        set branch = parse_sequence(ps, branches++ ? NULL : &first);
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
    if (branches == 1 && !ps->failed)
        clauses_splice(out, &first);
    else
        clauses_free(&first);
    return all;
}

/* Fewer literals of the same shortest length first: the better filter. */
static int better_first(const void *a, const void *b)
{
    const set *x = a, *y = b;
    size_t sx = shortest(x), sy = shortest(y);
    if (sx != sy)
        return sx > sy ? -1 : 1;
    if (x->count != y->count)
        return x->count < y->count ? -1 : 1;
    return strcmp(x->items[0], y->items[0]); /* the same order on every platform */
}

literals *prefilter_derive(const char *pattern, size_t length)
{
    parser ps = {pattern, pattern + length, 0};
    clauses all = {0};
    set s = parse_alternation(&ps, &all);
    if (ps.failed || ps.p != ps.end || !s.known || !s.count || shortest(&s) < MIN_LITERAL) {
        set_free(&s);
        clauses_free(&all);
        return NULL;
    }
    clauses_add(&all, &s); /* the whole pattern's set: one clause when it has branches */
    set_free(&s);
    /* the best first, so that the first clause is what one set alone would give */
    qsort(all.items, all.count, sizeof *all.items, better_first);
    literals *lits = xcalloc(1, sizeof *lits);
    lits->nclauses = all.count < MAX_CLAUSES ? all.count : MAX_CLAUSES;
    lits->clause_end = xmalloc(lits->nclauses * sizeof *lits->clause_end);
    for (size_t k = 0; k < lits->nclauses; k++) {
        set *c = &all.items[k];
        lits->items = xrealloc(lits->items, (lits->count + c->count) * sizeof *lits->items);
        memcpy(lits->items + lits->count, c->items, c->count * sizeof *c->items);
        lits->count += c->count;
        lits->clause_end[k] = lits->count;
        free(c->items);
        c->items = NULL;
        c->count = 0;
    }
    clauses_free(&all);
    return lits;
}

void prefilter_free(literals *lits)
{
    if (!lits)
        return;
    for (size_t i = 0; i < lits->count; i++)
        free(lits->items[i]);
    free(lits->items);
    free(lits->clause_end);
    free(lits);
}

/* ------------------------------------------------- one pass for all rules */

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
    size_t nprefixes;
    char **literal_text;   /* per literal, lower case */
    size_t *literal_length;
    size_t nstates;
    size_t nliterals;
    int **literal_clauses; /* per literal: the clauses holding it, -1 terminated */
    size_t *clause_rule;   /* per clause: its rule */
    size_t nclauses;
    size_t *rule_nclauses; /* per rule; 0: the rule always runs */
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

/* Long enough that few places begin a prefix, short enough to cut a
 * sentence for two walks with little overlap. */
#define PREFIX_MAX 4

trigger_set *prefilter_build(const literals *const *per_rule, size_t nrules)
{
    trigger_set *t = xcalloc(1, sizeof *t);
    size_t cap = 0;
    new_state(t, &cap);
    strmap ids = {0}, prefix_ids = {0};
    size_t prefix_cap = 0;
    t->nrules = nrules;
    t->rule_nclauses = xcalloc(nrules + 1, sizeof *t->rule_nclauses);
    size_t lit_cap = 0, clause_cap = 0;
    for (size_t r = 0; r < nrules; r++) {
        const literals *l = per_rule[r];
        if (!l)
            continue;
        t->rule_nclauses[r] = l->nclauses;
        size_t clause = 0;
        for (size_t k = 0; k < l->count; k++) {
            if (k == 0 || k == l->clause_end[clause - 1]) { /* a clause starts */
                XGROW(t->clause_rule, clause_cap, t->nclauses + 1);
                t->clause_rule[t->nclauses++] = r;
                clause++;
            }
            void *v = strmap_get(&ids, l->items[k]);
            int id;
            if (v) {
                id = (int)(intptr_t)v - 1;
            } else {
                id = (int)t->nliterals++;
                strmap_put(&ids, l->items[k], (void *)(intptr_t)(id + 1));
                XGROW(t->literal_clauses, lit_cap, t->nliterals);
                t->literal_text = xrealloc(t->literal_text, lit_cap * sizeof *t->literal_text);
                t->literal_length =
                    xrealloc(t->literal_length, lit_cap * sizeof *t->literal_length);
                t->literal_clauses[id] = NULL;
                t->literal_text[id] = xstrdup(l->items[k]);
                t->literal_length[id] = strlen(l->items[k]);
                size_t plen = t->literal_length[id] < PREFIX_MAX ? t->literal_length[id]
                                                                 : PREFIX_MAX;
                void *pv = strmap_getn(&prefix_ids, l->items[k], plen);
                int pid;
                if (pv) {
                    pid = (int)(intptr_t)pv - 1;
                } else {
                    pid = (int)t->nprefixes++;
                    strmap_putn(&prefix_ids, l->items[k], plen, (void *)(intptr_t)(pid + 1));
                    XGROW(t->prefix_literals, prefix_cap, t->nprefixes);
                    t->prefix_literals[pid] = NULL;
                    int s = 0;
                    for (size_t c = 0; c < plen; c++) {
                        unsigned char b = (unsigned char)l->items[k][c];
                        if (t->next[s][b] < 0) {
                            int ns = new_state(t, &cap);
                            t->next[s][b] = ns;
                        }
                        s = t->next[s][b];
                    }
                    add_out(&t->out[s], pid);
                }
                add_out(&t->prefix_literals[pid], id);
            }
            add_out(&t->literal_clauses[id], (int)t->nclauses - 1);
        }
    }
    strmap_free(&ids, NULL);
    strmap_free(&prefix_ids, NULL);
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
    h->found = xcalloc(t->nliterals + 1, sizeof *h->found);
    h->clause = xcalloc(t->nclauses + 1, sizeof *h->clause);
    h->rule = xcalloc(t->nrules + 1, sizeof *h->rule);
    h->met = xcalloc(t->nrules + 1, sizeof *h->met);
    h->words = t->nrules / 64 + 1;
    h->admitted = xcalloc(h->words, sizeof *h->admitted);
    h->always = xcalloc(h->words, sizeof *h->always);
    for (size_t r = 0; r < t->nrules; r++)
        if (t->rule_nclauses[r] == 0)
            h->always[r / 64] |= 1ULL << (r % 64);
    memcpy(h->admitted, h->always, h->words * sizeof *h->admitted);
    return h;
}

void prefilter_hits_free(trigger_hits *h)
{
    if (!h)
        return;
    free(h->literal);
    free(h->found);
    free(h->clause);
    free(h->rule);
    free(h->met);
    free(h->admitted);
    free(h->always);
    free(h);
}

/* Prefixes end at text[i], the automaton being at `row`: mark the literals
 * that begin with them and go on in the text (A-Z read as a-z, as the
 * automaton reads them). */
static void literals_at(const trigger_set *t, trigger_hits *h, size_t row, const char *text,
                        size_t n, size_t i)
{
    unsigned scan = h->scan;
    for (const int *p = t->out_by_row[row / t->nclasses]; *p >= 0; p++) {
        for (const int *o = t->prefix_literals[*p]; *o >= 0; o++) {
            if (h->literal[*o] == scan)
                continue;
            size_t len = t->literal_length[*o];
            if (len > PREFIX_MAX) {
                size_t rest = len - PREFIX_MAX;
                if (n - i - 1 < rest)
                    continue;
                const char *lit = t->literal_text[*o] + PREFIX_MAX;
                const char *from = text + i + 1;
                size_t j = 0;
                while (j < rest && lower(from[j]) == lit[j])
                    j++;
                if (j < rest)
                    continue;
            }
            h->literal[*o] = scan;
            h->found[h->nfound++] = *o;
        }
    }
}

void prefilter_scan(const trigger_set *t, const char *text, size_t n, trigger_hits *h)
{
    if (++h->scan == 0) { /* wrapped: forget every old mark */
        memset(h->literal, 0, t->nliterals * sizeof *h->literal);
        memset(h->clause, 0, t->nclauses * sizeof *h->clause);
        memset(h->rule, 0, t->nrules * sizeof *h->rule);
        h->scan = 1;
    }
    unsigned scan = h->scan;
    h->nfound = 0;
    memcpy(h->admitted, h->always, h->words * sizeof *h->admitted);
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
        size_t a = 0, b = 0;
        for (; i < end_a && mid + i < n; i++) {
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
    /* count, per rule, the clauses that a literal found meets */
    for (size_t k = 0; k < h->nfound; k++) {
        for (const int *c = t->literal_clauses[h->found[k]]; *c >= 0; c++) {
            if (h->clause[*c] == scan)
                continue;
            h->clause[*c] = scan;
            size_t r = t->clause_rule[*c];
            if (h->rule[r] != scan) {
                h->rule[r] = scan;
                h->met[r] = 0;
            }
            if (++h->met[r] == t->rule_nclauses[r])
                h->admitted[r / 64] |= 1ULL << (r % 64);
        }
    }
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
    for (size_t k = 0; k < t->nliterals; k++)
        free(t->literal_text[k]);
    free(t->literal_text);
    free(t->literal_length);
    free(t->next);
    free(t->delta16);
    free(t->delta32);
    free(t->out_by_row);
    for (size_t k = 0; k < t->nliterals; k++)
        free(t->literal_clauses[k]);
    free(t->literal_clauses);
    free(t->clause_rule);
    free(t->rule_nclauses);
    free(t);
}

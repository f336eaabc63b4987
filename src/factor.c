/*
 * factor.c - a pattern's alternations rewritten so that PCRE2 tries fewer
 * branches (see factor.h).
 *
 * The pattern is read into atoms (a character, a class, an escape, a group
 * with its quantifier), branch by branch, group by group; each group's
 * alternation is written out again with the branches that begin with the
 * same plain character put together, in the order of their first, and
 * their common beginning written once: "has|have|had" is "ha(?:s|ve|d)".
 *
 * Why it is exact: at a given place, a branch that begins with a plain
 * character can only match when the text holds that character there, so
 * the branches of other first characters fail at once wherever one of
 * them is tried; moving them past each other changes no try that matters.
 * A branch that begins with anything else, or holds a capturing group (its
 * number is its place), moves past nothing and nothing moves past it.
 */
#include <stdlib.h>
#include <string.h>

#include "factor.h"
#include "prefilter.h" /* PCRE2's syntax: classes, quantifiers, escapes */

/* One atom of a branch: its text, in the pattern, or for a group (already
 * rewritten) in the parser's `texts`; and, when it is one ASCII letter or
 * digit with no quantifier, that character. */
typedef struct atom {
    size_t at, length;
    int rewritten; /* its text is in `texts`, not the pattern */
    int literal;   /* the character, or -1 */
    int captures;  /* a capturing group, or one inside it */
} atom;

/* Alternations of up to this many branches need no scratch from the heap. */
#define SMALL 64

/* A branch: atoms[first .. first + count). */
typedef struct span {
    size_t first, count;
} span;

/* Groups inside groups deeper than this: the pattern as written (PCRE2
 * itself refuses more than 250 by default), and the parser's recursion
 * bounded. */
#define DEPTH_MAX 250

typedef struct fparser {
    const char *pattern, *p, *end;
    int failed;
    int depth;    /* of the group being read */
    int changed;  /* some alternation was rewritten */
    strbuf texts;
    atom *atoms;  /* those of the groups being read, innermost last */
    size_t natoms, atoms_cap;
} fparser;

static int is_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The length of the quantifier at p (0: none). A '{' that could begin one
 * counts as one: more atoms with quantifiers only means fewer atoms that
 * take part. */
static size_t quantifier_length(const char *p, const char *end)
{
    unsigned min;
    return pattern_quantifier(p, end, &min);
}

/* Past the group that begins at p ('('), as written: a lookaround. */
static const char *skip_group(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        if (*p == '\\') {
            size_t n = pattern_escape_length(p, end);
            if (!n)
                return NULL;
            p += n;
            continue;
        }
        if (*p == '[') {
            p = pattern_class_end(p, end);
            if (!p)
                return NULL;
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

/* An atom of the pattern's text from ps->p on. */
static void add_atom(fparser *ps, size_t n, int literal)
{
    XGROW(ps->atoms, ps->atoms_cap, ps->natoms + 1);
    ps->atoms[ps->natoms++] = (atom){(size_t)(ps->p - ps->pattern), n, 0, literal, 0};
    ps->p += n;
}

static size_t parse_body(fparser *ps, int caseless, const char *opener, size_t opener_length,
                         strbuf *out, int *captures);

/* A group at ps->p, its alternation rewritten, as one atom. */
static void parse_group(fparser *ps, int caseless)
{
    const char *open = ps->p, *end = ps->end, *q = open + 1;
    int inner = caseless, capturing = 1;
    if (q < end && *q == '*') {
        ps->failed = 1; /* a verb */
        return;
    }
    if (q < end && *q == '?') {
        q++;
        capturing = 0;
        if (q < end && (*q == '=' || *q == '!' || (*q == '<' && q + 1 < end && (q[1] == '=' || q[1] == '!')))) {
            /* a lookaround: as written (a lookbehind's branches must keep
             * their lengths) */
            const char *after = skip_group(open, end);
            if (!after) {
                ps->failed = 1;
                return;
            }
            add_atom(ps, (size_t)(after - open) + quantifier_length(after, end), -1);
            return;
        }
        if (q < end && *q == ':') {
            q++;
        } else if (q < end && (*q == '<' || *q == '\'' || (*q == 'P' && q + 1 < end && q[1] == '<'))) {
            char close = *q == '\'' ? '\'' : '>';
            q += *q == 'P' ? 2 : 1;
            while (q < end && *q != close)
                q++;
            if (q >= end) {
                ps->failed = 1;
                return;
            }
            q++;
            capturing = 1; /* a named group */
        } else {
            /* options for the group: i on or off; any other syntax (inline
             * settings, extended mode, conditionals, atomic groups, branch
             * reset, recursion) is left alone, the whole pattern with it */
            int on = 1;
            for (; q < end && *q && strchr("imns-", *q); q++) {
                if (*q == '-')
                    on = 0;
                else if (*q == 'i')
                    inner = on;
            }
            if (q >= end || *q != ':') {
                ps->failed = 1;
                return;
            }
            q++;
        }
    }
    if (++ps->depth > DEPTH_MAX) {
        ps->failed = 1;
        return;
    }
    ps->p = q;
    /* the group's text is written at the end of `texts`, after those of the
     * atoms it is made of */
    int captures = 0;
    size_t at = parse_body(ps, inner, open, (size_t)(q - open), &ps->texts, &captures);
    ps->depth--;
    if (!ps->failed && (ps->p >= end || *ps->p != ')'))
        ps->failed = 1;
    if (ps->failed)
        return;
    ps->p++;
    size_t qn = quantifier_length(ps->p, end);
    sb_addc(&ps->texts, ')');
    sb_add(&ps->texts, ps->p, qn);
    ps->p += qn;
    XGROW(ps->atoms, ps->atoms_cap, ps->natoms + 1);
    ps->atoms[ps->natoms++] = (atom){at, ps->texts.length - at, 1, -1, captures || capturing};
}

static void parse_atom(fparser *ps, int caseless)
{
    const char *p = ps->p, *end = ps->end;
    unsigned char c = (unsigned char)*p;
    if (c == '(') {
        parse_group(ps, caseless);
        return;
    }
    size_t n = 1;
    int literal = -1;
    if (c == '[') {
        const char *after = pattern_class_end(p, end);
        if (!after) {
            ps->failed = 1;
            return;
        }
        n = (size_t)(after - p);
    } else if (c == '\\') {
        n = pattern_escape_length(p, end);
        if (!n) {
            ps->failed = 1;
            return;
        }
    } else if (c >= 0xC0) { /* a character beyond ASCII, whole */
        while (p + n < end && ((unsigned char)p[n] & 0xC0) == 0x80)
            n++;
    } else if (is_ascii_alnum(c)) {
        literal = c;
    }
    size_t q = quantifier_length(p + n, end);
    if (q)
        literal = -1;
    add_atom(ps, n + q, literal);
}

static int key_of(int literal, int caseless)
{
    return caseless && literal >= 'A' && literal <= 'Z' ? literal - 'A' + 'a' : literal;
}

/* The key a branch may be put together by: its first character, or -1 when
 * it stays in its place. */
static int branch_key(const fparser *ps, span b, int caseless)
{
    if (!b.count || ps->atoms[b.first].literal < 0)
        return -1;
    for (size_t k = 0; k < b.count; k++)
        if (ps->atoms[b.first + k].captures)
            return -1;
    return key_of(ps->atoms[b.first].literal, caseless);
}

/* Atoms' texts to out; a run of atoms as written, one copy. out may be the
 * parser's own `texts`: room is made before the text is found in it. */
static void add_atoms(fparser *ps, size_t first, size_t count, strbuf *out)
{
    for (size_t k = 0; k < count;) {
        const atom *a = &ps->atoms[first + k];
        size_t length = a->length;
        for (k++; !a->rewritten && k < count; k++) {
            const atom *next = &ps->atoms[first + k];
            if (next->rewritten || next->at != a->at + length)
                break;
            length += next->length;
        }
        sb_reserve(out, length);
        const char *text = (a->rewritten ? ps->texts.data : ps->pattern) + a->at;
        memcpy(out->data + out->length, text, length);
        out->length += length;
        out->data[out->length] = '\0';
    }
}

/* The alternation of n branches to out, factored. */
static void emit_branches(fparser *ps, const span *b, size_t n, int caseless, strbuf *out)
{
    /* most alternations have a few dozen branches at most: their scratch on
     * the stack */
    char done_small[SMALL];
    size_t group_small[SMALL];
    int keys_small[SMALL];
    int small = n <= SMALL;
    char *done = small ? done_small : xmalloc(n);
    size_t *group = small ? group_small : xmalloc(n * sizeof *group);
    int *keys = small ? keys_small : xmalloc(n * sizeof *keys);
    memset(done, 0, n);
    for (size_t i = 0; i < n; i++)
        keys[i] = branch_key(ps, b[i], caseless);
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        if (i > 0)
            sb_addc(out, '|');
        int key = keys[i];
        /* with it, the later branches of its first character, up to one
         * that stays in its place */
        size_t ng = 0;
        for (size_t j = i; key >= 0 && j < n; j++) {
            int kj = keys[j];
            if (kj < 0)
                break;
            if (kj == key && !done[j]) {
                group[ng++] = j;
                done[j] = 1;
            }
        }
        if (ng < 2) {
            add_atoms(ps, b[i].first, b[i].count, out);
            continue;
        }
        /* their common beginning: plain characters alike in all */
        size_t common = 1;
        for (;; common++) {
            int alike = 1;
            for (size_t g = 0; g < ng && alike; g++) {
                span s = b[group[g]];
                alike = s.count > common && ps->atoms[s.first + common].literal >= 0
                        && key_of(ps->atoms[s.first + common].literal, caseless)
                               == key_of(ps->atoms[b[i].first + common].literal, caseless);
            }
            if (!alike)
                break;
        }
        add_atoms(ps, b[i].first, common, out);
        /* the rest of each as written, not put together again: the first
         * character is what spares PCRE2 its tries, and "w(?:i(?:ll)|o(?:uld))"
         * for "w(?:ill|ould)" only costs it more code */
        sb_adds(out, "(?:");
        for (size_t g = 0; g < ng; g++) {
            if (g)
                sb_addc(out, '|');
            add_atoms(ps, b[group[g]].first + common, b[group[g]].count - common, out);
        }
        sb_addc(out, ')');
        ps->changed = 1;
    }
    if (!small) {
        free(done);
        free(group);
        free(keys);
    }
}

/* The branches at ps->p up to ')' or the end, factored, to out after the
 * group's opener; *captures set when one holds a capturing group. Returns
 * where in out the opener begins: after the texts of the groups inside,
 * when out is the parser's `texts`. */
static size_t parse_body(fparser *ps, int caseless, const char *opener, size_t opener_length,
                         strbuf *out, int *captures)
{
    size_t base = ps->natoms, start = base, nbranches = 0, cap = SMALL;
    span branches_small[SMALL], *branches = branches_small;
    while (!ps->failed) {
        if (ps->p < ps->end && *ps->p != ')' && *ps->p != '|') {
            parse_atom(ps, caseless);
            continue;
        }
        if (nbranches == cap) { /* many: on the heap */
            span *more = xmalloc(2 * cap * sizeof *more);
            memcpy(more, branches, nbranches * sizeof *more);
            if (branches != branches_small)
                free(branches);
            branches = more;
            cap *= 2;
        }
        branches[nbranches++] = (span){start, ps->natoms - start};
        if (ps->p >= ps->end || *ps->p == ')')
            break;
        ps->p++; /* '|' */
        start = ps->natoms;
    }
    size_t at = out->length;
    if (!ps->failed) {
        for (size_t k = base; k < ps->natoms; k++)
            *captures |= ps->atoms[k].captures;
        sb_add(out, opener, opener_length);
        emit_branches(ps, branches, nbranches, caseless, out);
    }
    if (branches != branches_small)
        free(branches);
    ps->natoms = base;
    return at;
}

int pattern_factor(const char *pattern, size_t length, strbuf *out)
{
    fparser ps = {pattern, pattern, pattern + length, 0, 0, 0, {0}, NULL, 0, 0};
    strbuf body = {0};
    int captures = 0;
    parse_body(&ps, 1, "", 0, &body, &captures);
    int rewritten = !ps.failed && ps.p == ps.end && ps.changed;
    if (rewritten) {
        sb_clear(out);
        sb_add(out, body.data ? body.data : "", body.length);
    }
    sb_free(&body);
    sb_free(&ps.texts);
    free(ps.atoms);
    return rewritten;
}

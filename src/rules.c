/*
 * rules.c - reading rule files and compiling them into a relmap_rules.
 *
 * The format is line-oriented (docs/rules.md): a directive and its words;
 * an indented line continues the one before. Patterns and macro bodies are
 * PCRE2 with three additions: {SRC} and {TGT} are the slots, which match an
 * entity mention or a list of them (rules.h SLOT_LIST); {NAME} expands the
 * macro NAME; a space matches one or more white-space characters. Every
 * compiled byte remembers the file, line and column it came from, so
 * PCRE2's errors point into the file.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "factor.h"
#include "rules.h"

/* How a rule's pattern is compiled for any subject; loading compiles it for
 * ASCII subjects (rules.h, SUBJECT_ASCII): most sentences are such, and
 * either way the same patterns compile. An ASCII subject is ASCII and the
 * mentions' codes, valid UTF-8 by construction: its code needs no PCRE2_UCP,
 * nor PCRE2_MATCH_INVALID_UTF (whose JIT code checks each character it
 * reads), and match_rule tells PCRE2 not to check it (PCRE2_NO_UTF_CHECK). */
#define PATTERN_OPTIONS                                                            \
    (PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_DUPNAMES | PCRE2_MATCH_INVALID_UTF)
#define ASCII_PATTERN_OPTIONS \
    (PATTERN_OPTIONS & ~(uint32_t)(PCRE2_UCP | PCRE2_MATCH_INVALID_UTF))

/* ----------------------------------------------------------- small helpers */

size_t alias_key(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && is_word_byte((unsigned char)s[i]); i++) {
        if (k + 1 < cap) {
            char c = s[i];
            buf[k++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
    }
    buf[k] = '\0';
    return k;
}

/* Bytes that fold_text may change: the lead bytes of the sequences it folds,
 * and the ASCII white space other than ' '. */
static int may_fold(unsigned char c)
{
    return c == 0xE2 || c == 0xC2 || c == 0xE1 || c == 0xE3 || (c >= '\t' && c <= '\r');
}

char *fold_text(const char *s, size_t n, size_t *out_length)
{
    strbuf sb = {0};
    fold_into(&sb, s, n);
    if (out_length)
        *out_length = sb.length;
    return sb_detach(&sb);
}

static int fold_from(strbuf *out, const char *s, size_t n, size_t from, unsigned high);

int fold_view(strbuf *out, const char *s, size_t n, const char **text, size_t *length)
{
    /* up to the first byte that folding may change: sixteen bytes at a time
     * (SSE2, every x86-64) while none is below ' ' or beyond ASCII */
    unsigned high = 0;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(' ');
    while (n - i >= 16
           && !_mm_movemask_epi8(_mm_cmplt_epi8(_mm_loadu_si128((const __m128i *)(s + i)), space)))
        i += 16;
#endif
    for (; i < n && !may_fold((unsigned char)s[i]); i++)
        high |= (unsigned char)s[i];
    if (i < n) { /* folded from there, the bytes before it as they are */
        int beyond_ascii = fold_from(out, s, n, i, high);
        *text = out->data;
        *length = out->length;
        return beyond_ascii;
    }
    *text = s;
    *length = n;
    return (high & 0x80) != 0;
}

int fold_into(strbuf *out, const char *s, size_t n)
{
    return fold_from(out, s, n, 0, 0);
}

/* fold_into, given that the `from` bytes at s need no folding and that
 * `high` holds their top bits. */
static int fold_from(strbuf *out, const char *s, size_t n, size_t from, unsigned high)
{
    strbuf sb = *out;
    sb_clear(&sb);
    sb_reserve(&sb, n);
    sb_add(&sb, s, from);
    /* high: the top bits of the bytes kept one by one */
    for (size_t i = from; i < n;) {
        size_t run = i;
        for (;;) {
            if (n - run >= 8 && plain_ascii8(s + run))
                run += 8;
            else if (run < n && !may_fold((unsigned char)s[run]))
                high |= (unsigned char)s[run++];
            else
                break;
        }
        if (run > i) { /* most of the text: copied as it is */
            sb_add(&sb, s + i, run - i);
            i = run;
            continue;
        }
        const unsigned char *u = (const unsigned char *)s + i;
        size_t left = n - i;
        if (left >= 3 && u[0] == 0xE2 && u[1] == 0x80) {
            unsigned char c = u[2];
            if (c == 0x98 || c == 0x99 || c == 0x9B || c == 0xB2) { /* ‘ ’ ‛ ′ */
                sb_addc(&sb, '\'');
                i += 3;
                continue;
            }
            if (c == 0x9C || c == 0x9D || c == 0x9E || c == 0x9F) { /* “ ” „ ‟ */
                sb_addc(&sb, '"');
                i += 3;
                continue;
            }
        }
        /* the white space of Unicode (what PCRE2's \s is with UCP): so that a
         * space in a pattern is a run of ' ' */
        size_t wide = utf8_wide_space_len(u, left);
        if (wide) {
            sb_addc(&sb, ' ');
            i += wide;
            continue;
        }
        if (u[0] >= '\t' && u[0] <= '\r') { /* \t \n \v \f \r */
            sb_addc(&sb, ' ');
            i++;
            continue;
        }
        high |= u[0];
        sb_addc(&sb, (char)u[0]);
        i++;
    }
    if (!sb.data)
        sb_add(&sb, "", 0);
    *out = sb;
    return (high & 0x80) != 0;
}

static void wordlist_add(wordlist *list, const char *word)
{
    XGROW(list->items, list->cap, list->count + 1);
    list->items[list->count++] = xstrdup(word);
}

/* Each item of `list` into `set` of the word sets: its hash_lower whole, or
 * that of its leading letters and digits (`heads`, a title's first word). */
static void word_sets_add_list(word_sets *w, word_gate *gate, const wordlist *list,
                               unsigned set, int heads)
{
    for (size_t i = 0; i < list->count; i++) {
        const char *item = list->items[i];
        size_t n = list->lengths[i];
        if (heads) {
            size_t lead = 0;
            while (lead < n && is_word_byte((unsigned char)item[lead]))
                lead++;
            n = lead;
        }
        word_sets_add(w, hash_lower(item, n), set);
        if (n)
            word_gate_add(gate, word_gate_key(item, n));
    }
}

static void wordlist_free(wordlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    free(list->lengths);
    strmap_free(&list->lower, NULL);
    strmap_free(&list->heads, free);
}

static void wordlist_index(wordlist *list)
{
    list->lengths = xmalloc((list->count + 1) * sizeof *list->lengths);
    for (size_t i = 0; i < list->count; i++) {
        const char *w = list->items[i];
        size_t n = strlen(w);
        list->lengths[i] = n;
        char *low = xstrdup(w);
        for (char *c = low; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        strmap_put(&list->lower, low, (void *)1);
        bloom_add(&list->items_bloom, hash_lower(low, n));
        list->first[(unsigned char)low[0]] = 1;
        /* the first word, for multi-word items such as "Foreign Minister" */
        char *space = strchr(low, ' ');
        if (space)
            *space = '\0';
        int *group = strmap_get(&list->heads, low);
        int count = group ? group[0] : 0;
        group = xrealloc(group, (size_t)(count + 2) * sizeof *group);
        group[0] = count + 1;
        group[count + 1] = (int)i;
        strmap_put(&list->heads, low, group);
        free(low);
    }
}

int wordlist_has(const wordlist *list, const char *word, size_t n)
{
    for (size_t i = 0; i < list->count; i++)
        if (strlen(list->items[i]) == n && strncmp(list->items[i], word, n) == 0)
            return 1;
    return 0;
}

int rules_find_entity(const relmap_rules *rules, const char *name)
{
    void *v = strmap_get(&rules->entity_index, name);
    return v ? (int)((intptr_t)v - 1) : -1;
}

int rules_find_relation(const relmap_rules *rules, const char *name)
{
    return rules_find_relation_n(rules, name, strlen(name));
}

int rules_find_relation_n(const relmap_rules *rules, const char *name, size_t n)
{
    void *v = strmap_getn(&rules->relation_index, name, n);
    return v ? (int)((intptr_t)v - 1) : -1;
}

/* 0-9 A-Z a-z and 0x80..0xFF, each with A-Z lower-cased; 0 for the other bytes */
const unsigned char word_lower_table[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F,
    0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
    0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF,
    0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF,
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
    0xE0, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF,
    0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF,
};

const int *rules_alias_candidates(const relmap_rules *rules, const char *word, size_t n,
                                  size_t *count)
{
    size_t lead = 0;
    while (lead < n && lead + 1 < ALIAS_KEY_MAX && is_word_byte((unsigned char)word[lead]))
        lead++;
    uint64_t hash = hash_lower(word, lead);
    if (!(word_sets_of(&rules->words, hash) & WORD_ALIAS_HEAD)) { /* most words */
        *count = 0;
        return NULL;
    }
    return rules_alias_candidates_word(rules, lead, hash, NULL, 0, count);
}

const int *rules_alias_candidates_word(const relmap_rules *rules, size_t length, uint64_t hash,
                                       const char *text, size_t left, size_t *count)
{
    *count = 0;
    const int *list = rules_alias_list(rules, length, hash);
    if (!list)
        return NULL;
    return text ? rules_alias_narrow(list, text, left, count) : rules_alias_follow(list, -1, count);
}

/* ------------------------------------------------------------ logical lines */

/* A directive with its continuation lines, joined by single spaces; each
 * byte keeps the line and column it came from. */
typedef struct logical_line {
    strbuf text;
    unsigned *lines, *cols;
    size_t cap;
    const char *file;
    const char *display; /* the name shown in a rule's origin */
    const char *first_line; /* the physical line, for error carets */
    size_t first_line_len;
} logical_line;

static void ll_add(logical_line *ll, const char *s, size_t n, unsigned line, unsigned col)
{
    XGROW(ll->lines, ll->cap, ll->text.length + n + 1);
    ll->cols = xrealloc(ll->cols, ll->cap * sizeof *ll->cols);
    for (size_t i = 0; i < n; i++) {
        ll->lines[ll->text.length + i] = line;
        ll->cols[ll->text.length + i] = col + (unsigned)i;
    }
    sb_add(&ll->text, s, n);
}

typedef struct token {
    size_t start, end; /* offsets in the logical line */
    char *value;       /* unquoted and unescaped */
    int quoted;
} token;

/* ---------------------------------------------------------------- drafts */

typedef struct source_text {
    char *text;
    size_t length;
    unsigned *lines, *cols;
    const char *file;
    const char *display;
} source_text;

typedef struct macro {
    char *name;
    source_text body;
    unsigned line, column;
    int used;
} macro;

typedef struct rule_draft {
    char *relation;
    unsigned rel_line, rel_col;
    int target_mode;
    char *context; /* "accuses,indicts" of target=actor(accuses,indicts), or NULL */
    unsigned context_line, context_col;
    source_text pattern;
    unsigned line;
} rule_draft;

typedef struct parser {
    relmap_rules *rules;
    relmap_error *err;
    char **stack; /* the include chain, real paths */
    size_t depth, stack_cap;
    macro *macros;
    size_t nmacros, macros_cap;
    strmap macro_index;
    rule_draft *drafts;
    size_t ndrafts, drafts_cap;
    /* where each alias key was first claimed, for the conflict message */
    strmap alias_owner; /* folded alias text -> entity index + 1 */
    char *top_dir;      /* folder of the top-level file, with its '/' */
    /* every problem found, reported sorted once loading ends */
    relmap_error scratch;
    struct diagnostic *diags;
    size_t ndiags, diags_cap;
    unsigned errors;
    /* the text of each file read, to show the offending line */
    char **texts;
    const char **text_names;
    size_t ntexts, texts_cap;
} parser;

typedef struct diagnostic {
    relmap_error where;
    int is_error;
    size_t order; /* the file's position in reading order */
    size_t seq;
} diagnostic;

static void source_line_of(relmap_error *err, const char *text, size_t length, unsigned line);

/* Record the problem in p->err (an error, or a warning) and clear it. */
static void report(parser *p, int is_error)
{
    relmap_error *e = p->err;
    if (!e->source_line[0] && e->line) {
        for (size_t i = 0; i < p->ntexts; i++) {
            if (!strcmp(p->text_names[i], e->file)) {
                source_line_of(e, p->texts[i], strlen(p->texts[i]), e->line);
                break;
            }
        }
    }
    size_t order = p->ntexts;
    for (size_t i = 0; i < p->ntexts; i++)
        if (!strcmp(p->text_names[i], e->file))
            order = i;
    XGROW(p->diags, p->diags_cap, p->ndiags + 1);
    p->diags[p->ndiags] = (diagnostic){*e, is_error, order, p->ndiags};
    p->ndiags++;
    if (is_error)
        p->errors++;
    relmap_error_clear(e);
}

static void remember_text(parser *p, const char *name, const char *text)
{
    XGROW(p->texts, p->texts_cap, p->ntexts + 1);
    p->text_names = xrealloc(p->text_names, p->texts_cap * sizeof *p->text_names);
    p->texts[p->ntexts] = xstrdup(text);
    p->text_names[p->ntexts] = name;
    p->ntexts++;
}

static int error_at(parser *p, const logical_line *ll, size_t offset, int code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int error_at(parser *p, const logical_line *ll, size_t offset, int code,
                    const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    size_t n = ll->text.length;
    unsigned line = n ? ll->lines[offset < n ? offset : n - 1] : 0;
    unsigned col = n ? ll->cols[offset < n ? offset : n - 1] + (offset >= n ? 1 : 0) : 1;
    seterr(p->err, code, ll->file, line, col, "%s", message);
    return code;
}

static void source_line_of(relmap_error *err, const char *text, size_t length, unsigned line)
{
    const char *s = text, *end = text + length;
    for (unsigned l = 1; l < line && s < end; l++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            return;
        s = nl + 1;
    }
    seterr_source(err, s, (size_t)(end - s));
}

/* Read the next token from offset *pos; returns 0 at the end of the line,
 * 1 with a token, or a negative code (unterminated quote). */
static int next_token(parser *p, const logical_line *ll, size_t *pos, token *tok)
{
    const char *s = ll->text.data;
    size_t n = ll->text.length, i = *pos;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i >= n) {
        *pos = i;
        return 0;
    }
    strbuf value = {0};
    tok->start = i;
    tok->quoted = 0;
    while (i < n && s[i] != ' ' && s[i] != '\t') {
        if (s[i] == '"') {
            size_t open = i++;
            tok->quoted = 1;
            for (;;) {
                if (i >= n) {
                    sb_free(&value);
                    return error_at(p, ll, open, RELMAP_ESYNTAX, "unterminated quoted string");
                }
                if (s[i] == '\\' && i + 1 < n) {
                    sb_addc(&value, s[i + 1]);
                    i += 2;
                    continue;
                }
                if (s[i] == '"') {
                    i++;
                    break;
                }
                sb_addc(&value, s[i++]);
            }
            continue;
        }
        sb_addc(&value, s[i++]);
    }
    tok->end = i;
    tok->value = sb_detach(&value);
    *pos = i;
    return 1;
}

/* --------------------------------------------------------------- entities */

static void add_alias(parser *p, int entity_index, const char *text, int kind)
{
    relmap_rules *r = p->rules;
    size_t n;
    char *folded = fold_text(text, strlen(text), &n);
    XGROW(r->aliases, r->aliases_cap, r->naliases + 1);
    size_t head = 0;
    while (head < n && is_word_byte((unsigned char)folded[head]))
        head++;
    int country = kind == ALIAS_DEMONYM || !strcmp(r->entities[entity_index].type, "country");
    unsigned char last = n ? (unsigned char)lower_byte((unsigned char)folded[n - 1]) : 0;
    r->aliases[r->naliases++] = (alias){folded,       (uint32_t)n,           (uint32_t)head,
                                        entity_index, (unsigned char)kind, (unsigned char)country,
                                        last};
}

static int check_alias_owner(parser *p, const logical_line *ll, const token *t, int entity_index)
{
    size_t n;
    char *folded = fold_text(t->value, strlen(t->value), &n);
    void *owner = strmap_get(&p->alias_owner, folded);
    int rc = 0;
    if (owner && (int)((intptr_t)owner - 1) != entity_index) {
        const entity *e = &p->rules->entities[(intptr_t)owner - 1];
        rc = error_at(p, ll, t->start, RELMAP_ESYNTAX,
                      "alias \"%s\" already belongs to entity \"%s\" (declared at %s:%u)",
                      t->value, e->name, e->file, e->line);
    } else if (!owner) {
        strmap_put(&p->alias_owner, folded, (void *)(intptr_t)(entity_index + 1));
    }
    free(folded);
    return rc;
}

/* alias/demonym lists after an entity's name, or after `alias ENTITY` */
static int parse_alias_words(parser *p, const logical_line *ll, size_t *pos, int entity_index,
                             int kind)
{
    token t;
    int rc;
    while ((rc = next_token(p, ll, pos, &t)) > 0) {
        if (!t.quoted && strcmp(t.value, "alias") == 0) {
            kind = ALIAS_NAME;
        } else if (!t.quoted && strcmp(t.value, "demonym") == 0) {
            kind = ALIAS_DEMONYM;
        } else if (kind < 0) {
            rc = error_at(p, ll, t.start, RELMAP_ESYNTAX,
                          "unexpected '%s'; expected 'of', 'alias' or 'demonym'", t.value);
            free(t.value);
            return rc;
        } else if (!t.value[0]) {
            rc = error_at(p, ll, t.start, RELMAP_ESYNTAX, "empty alias");
            free(t.value);
            return rc;
        } else {
            if ((rc = check_alias_owner(p, ll, &t, entity_index)) < 0) {
                free(t.value);
                return rc;
            }
            add_alias(p, entity_index, t.value, kind);
        }
        free(t.value);
    }
    return rc;
}

static int parse_entity(parser *p, const logical_line *ll, size_t pos)
{
    relmap_rules *r = p->rules;
    token type, name;
    int rc = next_token(p, ll, &pos, &type);
    if (rc <= 0)
        return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX,
                                      "entity needs a type and a name: entity TYPE \"Name\"");
    rc = next_token(p, ll, &pos, &name);
    if (rc <= 0) {
        free(type.value);
        return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX,
                                      "entity needs a name after its type");
    }
    if (rules_find_entity(r, name.value) >= 0) {
        const entity *e = &r->entities[rules_find_entity(r, name.value)];
        rc = error_at(p, ll, name.start, RELMAP_ESYNTAX,
                      "entity \"%s\" is already declared at %s:%u", name.value, e->file, e->line);
        free(type.value);
        free(name.value);
        return rc;
    }
    int index = (int)r->nentities;
    XGROW(r->entities, r->entities_cap, r->nentities + 1);
    entity *e = &r->entities[r->nentities++];
    *e = (entity){name.value, type.value, NULL, -1, index, !strcmp(type.value, "person"),
                  !strcmp(type.value, "group"), ll->file, ll->lines[name.start],
                  ll->cols[name.start]};
    strmap_put(&r->entity_index, name.value, (void *)(intptr_t)(index + 1));
    if ((rc = check_alias_owner(p, ll, &name, index)) < 0)
        return rc;
    add_alias(p, index, name.value, ALIAS_NAME);

    /* optional: of "Parent" */
    size_t save = pos;
    token t;
    rc = next_token(p, ll, &pos, &t);
    if (rc < 0)
        return rc;
    if (rc > 0 && !t.quoted && strcmp(t.value, "of") == 0) {
        free(t.value);
        token parent;
        rc = next_token(p, ll, &pos, &parent);
        if (rc <= 0)
            return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX,
                                          "'of' needs the name of the entity this one belongs to");
        e->parent = parent.value;
        /* remember where, to report an undeclared parent later */
        e->line = ll->lines[parent.start];
        e->column = ll->cols[parent.start];
    } else {
        if (rc > 0)
            free(t.value);
        pos = save;
    }
    return parse_alias_words(p, ll, &pos, index, -1);
}

/* ------------------------------------------------------------- relations */

static const char *const palette[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

static int parse_relation(parser *p, const logical_line *ll, size_t pos)
{
    relmap_rules *r = p->rules;
    token name;
    int rc = next_token(p, ll, &pos, &name);
    if (rc <= 0)
        return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX, "relation needs a name");
    if (rules_find_relation(r, name.value) >= 0) {
        const relation *old = &r->relations[rules_find_relation(r, name.value)];
        rc = error_at(p, ll, name.start, RELMAP_ESYNTAX,
                      "relation '%s' is already declared at %s:%u", name.value, old->file,
                      old->line);
        free(name.value);
        return rc;
    }
    for (const char *c = name.value; *c; c++) {
        if (!is_word_byte((unsigned char)*c) && *c != '-' && *c != '_') {
            rc = error_at(p, ll, name.start, RELMAP_ESYNTAX,
                          "relation name '%s' may hold only letters, digits, '-' and '_'",
                          name.value);
            free(name.value);
            return rc;
        }
    }
    relation rel = {name.value, NULL, NULL, NULL, ll->file, ll->lines[name.start],
                    ll->cols[name.start], 0};
    token t;
    while ((rc = next_token(p, ll, &pos, &t)) > 0) {
        char *eq = strchr(t.value, '=');
        char **slot = NULL;
        if (eq) {
            size_t k = (size_t)(eq - t.value);
            if (k == 5 && strncmp(t.value, "color", 5) == 0)
                slot = &rel.color;
            else if (k == 6 && strncmp(t.value, "colour", 6) == 0)
                slot = &rel.color;
            else if (k == 5 && strncmp(t.value, "style", 5) == 0)
                slot = &rel.style;
            else if (k == 5 && strncmp(t.value, "label", 5) == 0)
                slot = &rel.label;
        }
        if (!slot) {
            rc = error_at(p, ll, t.start, RELMAP_ESYNTAX,
                          "unknown relation attribute '%s'; expected color=, style= or label=",
                          t.value);
            free(t.value);
            break;
        }
        if (*slot)
            free(*slot);
        *slot = xstrdup(eq + 1);
        if (slot == &rel.style && strcmp(*slot, "solid") && strcmp(*slot, "dashed")
            && strcmp(*slot, "dotted") && strcmp(*slot, "bold")) {
            rc = error_at(p, ll, t.start, RELMAP_ESYNTAX,
                          "unknown style '%s'; expected solid, dashed, dotted or bold", *slot);
            free(t.value);
            break;
        }
        free(t.value);
    }
    if (!rel.color)
        rel.color = xstrdup(palette[r->nrelations % (sizeof palette / sizeof *palette)]);
    if (!rel.style)
        rel.style = xstrdup("solid");
    if (!rel.label)
        rel.label = xstrdup(rel.name);
    XGROW(r->relations, r->relations_cap, r->nrelations + 1);
    r->relations[r->nrelations] = rel;
    strmap_put(&r->relation_index, rel.name, (void *)(intptr_t)(r->nrelations + 1));
    r->nrelations++;
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------- macros and rules */

static void take_source(source_text *st, const logical_line *ll, size_t from)
{
    size_t n = ll->text.length - from;
    while (n && (ll->text.data[from + n - 1] == ' ' || ll->text.data[from + n - 1] == '\t'))
        n--;
    st->text = xstrndup(ll->text.data + from, n);
    st->length = n;
    st->lines = xmalloc((n + 1) * sizeof *st->lines);
    st->cols = xmalloc((n + 1) * sizeof *st->cols);
    for (size_t i = 0; i < n; i++) {
        st->lines[i] = ll->lines[from + i];
        st->cols[i] = ll->cols[from + i];
    }
    /* one past the end: just after the last byte */
    st->lines[n] = n ? st->lines[n - 1] : ll->lines[ll->text.length ? ll->text.length - 1 : 0];
    st->cols[n] = n ? st->cols[n - 1] + 1 : ll->cols[ll->text.length ? ll->text.length - 1 : 0] + 1;
    st->file = ll->file;
    st->display = ll->display;
}

static void source_free(source_text *st)
{
    free(st->text);
    free(st->lines);
    free(st->cols);
}

/* Move *pos to where the raw text (a pattern, a macro body) starts; an
 * error when nothing is left on the line. */
static int raw_rest(parser *p, const logical_line *ll, size_t *pos, const char *empty)
{
    while (*pos < ll->text.length && ll->text.data[*pos] == ' ')
        (*pos)++;
    if (*pos >= ll->text.length)
        return error_at(p, ll, *pos, RELMAP_ESYNTAX, "%s", empty);
    return 0;
}

static int is_macro_name(const char *s, size_t n)
{
    if (!n || !(s[0] >= 'A' && s[0] <= 'Z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int is_builtin(const char *s, size_t n)
{
    return (n == 3 && (!strncmp(s, "SRC", 3) || !strncmp(s, "TGT", 3) || !strncmp(s, "ENT", 3)))
           || (n == 6 && !strncmp(s, "NOTENT", 6));
}

static macro *find_macro(parser *p, const char *name, size_t n)
{
    void *v = strmap_getn(&p->macro_index, name, n);
    return v ? &p->macros[(intptr_t)v - 1] : NULL;
}

static void warn(parser *p, const char *file, unsigned line, unsigned column, const char *fmt,
                 const char *name);

static int parse_macro(parser *p, const logical_line *ll, size_t pos)
{
    token name;
    int rc = next_token(p, ll, &pos, &name);
    if (rc <= 0)
        return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX,
                                      "macro needs a name and a body: macro NAME pattern");
    if (!is_macro_name(name.value, strlen(name.value)) || is_builtin(name.value, strlen(name.value))) {
        rc = error_at(p, ll, name.start, RELMAP_ESYNTAX,
                      is_builtin(name.value, strlen(name.value))
                          ? "'%s' is a built-in slot and cannot be a macro name"
                          : "macro name '%s' must be upper case: letters, digits and '_'",
                      name.value);
        free(name.value);
        return rc;
    }
    const macro *old = find_macro(p, name.value, strlen(name.value));
    if (old) {
        rc = error_at(p, ll, name.start, RELMAP_ESYNTAX,
                      "macro %s is already defined at %s:%u:%u", name.value, old->body.file,
                      old->line, old->column);
        free(name.value);
        return rc;
    }
    if ((rc = raw_rest(p, ll, &pos, "macro has no body")) < 0) {
        free(name.value);
        return rc;
    }
    XGROW(p->macros, p->macros_cap, p->nmacros + 1);
    macro *m = &p->macros[p->nmacros++];
    memset(m, 0, sizeof *m);
    m->name = name.value;
    m->line = ll->lines[name.start];
    m->column = ll->cols[name.start];
    take_source(&m->body, ll, pos);
    /* "macro AND ... and ": the body is spliced into patterns, where a
     * space at its end would matter; take_source dropped it, as at every
     * line's end */
    size_t end = pos + m->body.length;
    if (end < ll->text.length)
        warn(p, ll->file, ll->lines[end], ll->cols[end],
             "the white space that ends macro %s is dropped; to end it with a space, write (?: )",
             m->name);
    /* the index points into p->macros, which may move: store the index */
    strmap_put(&p->macro_index, name.value, (void *)(intptr_t)p->nmacros);
    return 0;
}

/* One option between a rule's relation and its ':' (the ':' already cut
 * off the token): the target mode, and the relations in brackets
 * ("target=actor(accuses,indicts)") into *context, which it replaces. */
static int parse_rule_option(parser *p, const logical_line *ll, token *t, int *target_mode,
                             char **context, size_t *context_at)
{
    char *open = t->quoted ? NULL : strchr(t->value, '(');
    if (open) {
        size_t at = t->start + (size_t)(open - t->value), blen = strlen(open);
        if (blen < 2 || open[blen - 1] != ')' || strchr(open + 1, '(')
            || memchr(open + 1, ')', blen - 2))
            return error_at(p, ll, at, RELMAP_ESYNTAX,
                            "write the relations in brackets, with commas and no spaces: "
                            "target=actor(accuses,indicts)");
        if (blen == 2 || open[1] == ',' || open[blen - 2] == ',' || strstr(open, ",,"))
            return error_at(p, ll, at + 1, RELMAP_ESYNTAX,
                            "name a relation between each two commas in the brackets");
        open[blen - 1] = '\0';
        free(*context);
        *context = xstrdup(open + 1);
        *context_at = at + 1;
        *open = '\0';
    }
    if (!t->value[0] && !open) {
        /* a lone ':' */
    } else if (!strcmp(t->value, "target=actor")) {
        *target_mode = TARGET_ACTOR;
    } else if (!strcmp(t->value, "target=counterpart")) {
        *target_mode = TARGET_COUNTERPART;
    } else if (!strcmp(t->value, "source=actor")) {
        *target_mode = SOURCE_ACTOR;
    } else if (!strcmp(t->value, "reciprocal") && !open) {
        *target_mode = TARGET_RECIPROCAL;
    } else if (open) {
        return error_at(p, ll, t->start, RELMAP_ESYNTAX,
                        "relations in brackets go with target=actor, target=counterpart "
                        "or source=actor");
    } else {
        return error_at(p, ll, t->start, RELMAP_ESYNTAX,
                        "unknown rule option '%s'; expected target=actor, target=counterpart, "
                        "source=actor or reciprocal, then ':' and the pattern",
                        t->value);
    }
    return 0;
}

static int parse_rule(parser *p, const logical_line *ll, size_t pos)
{
    token rel;
    int rc = next_token(p, ll, &pos, &rel);
    if (rc <= 0)
        return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX,
                                      "rule needs a relation and a pattern: rule RELATION: PATTERN");
    int target_mode = TARGET_SLOT;
    char *context = NULL;
    size_t context_at = 0;
    size_t colon = 0;
    /* "rule accuses: ..." or "rule accuses target=actor : ..." */
    char *c = strchr(rel.value, ':');
    if (c && !rel.quoted) {
        colon = rel.start + (size_t)(c - rel.value);
        *c = '\0';
        if (c[1]) {
            rc = error_at(p, ll, colon + 1, RELMAP_ESYNTAX, "put a space after ':'");
            goto fail;
        }
    } else {
        token t;
        while ((rc = next_token(p, ll, &pos, &t)) > 0) {
            size_t len = strlen(t.value);
            int last = len > 0 && t.value[len - 1] == ':'; /* "" is a token too */
            if (last)
                t.value[len - 1] = '\0';
            rc = parse_rule_option(p, ll, &t, &target_mode, &context, &context_at);
            free(t.value);
            if (rc < 0)
                goto fail;
            if (last) {
                colon = t.end - 1;
                break;
            }
        }
        if (rc < 0)
            goto fail;
        if (!colon) {
            rc = error_at(p, ll, pos, RELMAP_ESYNTAX,
                          "missing ':' between the relation and the pattern");
            goto fail;
        }
    }
    size_t from = colon + 1;
    if ((rc = raw_rest(p, ll, &from, "rule has an empty pattern")) < 0)
        goto fail;
    XGROW(p->drafts, p->drafts_cap, p->ndrafts + 1);
    rule_draft *d = &p->drafts[p->ndrafts++];
    memset(d, 0, sizeof *d);
    d->relation = rel.value;
    d->rel_line = ll->lines[rel.start];
    d->rel_col = ll->cols[rel.start];
    d->target_mode = target_mode;
    d->context = context;
    if (context) {
        d->context_line = ll->lines[context_at];
        d->context_col = ll->cols[context_at];
    }
    d->line = ll->lines[0];
    take_source(&d->pattern, ll, from);
    return 0;
fail:
    free(rel.value);
    free(context);
    return rc;
}

static int parse_words(parser *p, const logical_line *ll, size_t pos, wordlist *list,
                       const char *directive)
{
    token t;
    int rc, any = 0;
    while ((rc = next_token(p, ll, &pos, &t)) > 0) {
        wordlist_add(list, t.value);
        free(t.value);
        any = 1;
    }
    if (rc < 0)
        return rc;
    return any ? 0 : error_at(p, ll, pos, RELMAP_ESYNTAX, "%s needs at least one word", directive);
}

static int parse_file(parser *p, const char *path, const logical_line *from, size_t from_offset);

/* example "Sentence." => Source relation Target [=> ...]   or   => none */
static int parse_example(parser *p, const logical_line *ll, size_t pos)
{
    relmap_rules *r = p->rules;
    token text;
    int rc = next_token(p, ll, &pos, &text);
    if (rc <= 0)
        return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX,
                                      "example needs a quoted sentence: example \"...\" => A relation B");
    example ex = {text.value, ll->file, ll->lines[text.start], ll->cols[text.start], NULL, 0};
    size_t cap = 0;
    int none = 0, arrows = 0;
    token t;
    while ((rc = next_token(p, ll, &pos, &t)) > 0) {
        if (t.quoted || strcmp(t.value, "=>") != 0) {
            rc = error_at(p, ll, t.start, RELMAP_ESYNTAX,
                          "expected '=>' and an edge (Source relation Target) or 'none', not '%s'",
                          t.value);
            free(t.value);
            break;
        }
        if (none) {
            rc = error_at(p, ll, t.start, RELMAP_ESYNTAX, "'=> none' cannot go with other edges");
            free(t.value);
            break;
        }
        free(t.value);
        arrows++;
        token parts[3];
        int k = 0;
        for (; k < 3; k++) {
            rc = next_token(p, ll, &pos, &parts[k]);
            if (rc <= 0)
                break; /* parts[k] holds nothing */
            if (k == 0 && !parts[0].quoted && !strcmp(parts[0].value, "none")) {
                none = 1;
                free(parts[0].value);
                if (ex.nedges)
                    rc = error_at(p, ll, parts[0].start, RELMAP_ESYNTAX,
                                  "'=> none' cannot go with other edges");
                break;
            }
        }
        if (rc < 0) {
            for (int j = 0; j < k; j++)
                free(parts[j].value);
            break;
        }
        if (none)
            continue;
        if (k < 3) {
            for (int j = 0; j < k; j++)
                free(parts[j].value);
            rc = error_at(p, ll, pos, RELMAP_ESYNTAX,
                          "an edge is Source relation Target: quote names with spaces");
            break;
        }
        XGROW(ex.edges, cap, ex.nedges + 1);
        ex.edges[ex.nedges++] = (example_edge){parts[0].value, parts[1].value, parts[2].value};
    }
    if (rc == 0 && !arrows)
        rc = error_at(p, ll, pos, RELMAP_ESYNTAX,
                      "example needs '=> Source relation Target' or '=> none'");
    if (rc < 0) {
        for (size_t i = 0; i < ex.nedges; i++) {
            free(ex.edges[i].source);
            free(ex.edges[i].relation);
            free(ex.edges[i].target);
        }
        free(ex.edges);
        free(ex.text);
        return rc;
    }
    XGROW(r->examples, r->examples_cap, r->nexamples + 1);
    r->examples[r->nexamples++] = ex;
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
}

static int parse_include(parser *p, const logical_line *ll, size_t pos)
{
    token t;
    int rc = next_token(p, ll, &pos, &t);
    if (rc <= 0)
        return rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX, "include needs a file name");
    char *path;
    if (t.value[0] == '/') {
        path = xstrdup(t.value);
    } else {
        char *dir = dir_of(ll->file);
        strbuf sb = {0};
        sb_addf(&sb, "%s/%s", dir, t.value);
        free(dir);
        path = sb_detach(&sb);
    }
    rc = parse_file(p, path, ll, t.start);
    free(path);
    free(t.value);
    return rc;
}

static int parse_directive(parser *p, const logical_line *ll)
{
    size_t pos = 0;
    token d;
    int rc = next_token(p, ll, &pos, &d);
    if (rc <= 0)
        return rc;
    const char *w = d.value;
    if (!strcmp(w, "include"))
        rc = parse_include(p, ll, pos);
    else if (!strcmp(w, "relation"))
        rc = parse_relation(p, ll, pos);
    else if (!strcmp(w, "entity"))
        rc = parse_entity(p, ll, pos);
    else if (!strcmp(w, "alias")) {
        token name;
        rc = next_token(p, ll, &pos, &name);
        if (rc <= 0) {
            rc = rc < 0 ? rc : error_at(p, ll, pos, RELMAP_ESYNTAX,
                                        "alias needs an entity name and its aliases");
        } else {
            int e = rules_find_entity(p->rules, name.value);
            if (e < 0)
                rc = error_at(p, ll, name.start, RELMAP_ESYNTAX,
                              "alias for an undeclared entity \"%s\"", name.value);
            else
                rc = parse_alias_words(p, ll, &pos, e, ALIAS_NAME);
            free(name.value);
        }
    } else if (!strcmp(w, "macro"))
        rc = parse_macro(p, ll, pos);
    else if (!strcmp(w, "rule"))
        rc = parse_rule(p, ll, pos);
    else if (!strcmp(w, "title"))
        rc = parse_words(p, ll, pos, &p->rules->titles, w);
    else if (!strcmp(w, "government-noun"))
        rc = parse_words(p, ll, pos, &p->rules->government_nouns, w);
    else if (!strcmp(w, "group-noun"))
        rc = parse_words(p, ll, pos, &p->rules->group_nouns, w);
    else if (!strcmp(w, "role"))
        rc = parse_words(p, ll, pos, &p->rules->roles, w);
    else if (!strcmp(w, "example"))
        rc = parse_example(p, ll, pos);
    else
        rc = error_at(p, ll, d.start, RELMAP_ESYNTAX,
                      "unknown directive '%s'; expected include, relation, entity, alias, macro, "
                      "rule, example, title, government-noun, group-noun or role", w);
    free(d.value);
    return rc;
}

static int parse_text(parser *p, const char *file, const char *display, const char *text,
                      size_t length)
{
    const char *s = text, *end = text + length;
    unsigned line = 0;
    logical_line ll = {0};
    ll.file = file;
    ll.display = display;
    int rc = 0, open = 0;
    while (s < end || open) {
        const char *nl = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
        const char *eol = nl ? nl : end;
        int at_end = s >= end;
        line++;
        size_t n = (size_t)(eol - s);
        if (n && s[n - 1] == '\r')
            n--;
        size_t indent = 0;
        while (indent < n && (s[indent] == ' ' || s[indent] == '\t'))
            indent++;
        int blank = indent == n;
        int comment = !blank && s[indent] == '#';
        int continuation = !at_end && !blank && !comment && indent > 0;
        if (open && (at_end || !continuation) && !(comment && indent > 0)) {
            if (parse_directive(p, &ll) < 0)
                report(p, 1); /* and go on with the next directive */
            open = 0;
        }
        if (at_end)
            break;
        if (!blank && !comment) {
            if (continuation && !open) {
                seterr(p->err, RELMAP_ESYNTAX, file, line, (unsigned)indent + 1,
                       "indented line continues nothing: a directive starts at column 1");
                seterr_source(p->err, s, n);
                report(p, 1);
                s = nl ? nl + 1 : end;
                continue;
            }
            if (!continuation) {
                sb_clear(&ll.text);
                ll.first_line = s;
                ll.first_line_len = n;
                open = 1;
            } else {
                ll_add(&ll, " ", 1, line, (unsigned)indent);
            }
            ll_add(&ll, s + indent, n - indent, line, (unsigned)indent + 1);
        }
        s = nl ? nl + 1 : end;
    }
    sb_free(&ll.text);
    free(ll.lines);
    free(ll.cols);
    return rc;
}

static int parse_file(parser *p, const char *path, const logical_line *from, size_t from_offset)
{
    char *real = realpath(path, NULL);
    if (!real) {
        int saved = errno;
        if (from) {
            int rc = error_at(p, from, from_offset, RELMAP_EIO, "cannot include \"%s\": %s", path,
                              strerror(saved));
            return rc;
        }
        return seterr(p->err, RELMAP_EIO, path, 0, 0, "cannot read rules: %s", strerror(saved));
    }
    for (size_t i = 0; i < p->depth; i++) {
        if (!strcmp(p->stack[i], real)) {
            int rc = error_at(p, from, from_offset, RELMAP_ESYNTAX,
                              "include cycle: \"%s\" is already being read", path);
            free(real);
            return rc;
        }
    }
    char *text = NULL;
    size_t length = 0; /* (GCC's link-time analysis cannot see read_file set it) */
    relmap_error io;
    if (read_file(path, &text, &length, &io) < 0) {
        free(real);
        if (from)
            return error_at(p, from, from_offset, RELMAP_EIO, "cannot include \"%s\": %s", path,
                            io.message);
        if (p->err)
            *p->err = io;
        return RELMAP_EIO;
    }
    XGROW(p->stack, p->stack_cap, p->depth + 1);
    p->stack[p->depth++] = real;
    if (!from) {
        free(p->top_dir);
        char *dir = dir_of(path);
        strbuf sb = {0};
        sb_addf(&sb, "%s/", dir);
        free(dir);
        p->top_dir = sb_detach(&sb);
    }
    /* origins are shown relative to the top-level file's folder, so that
     * extract's output does not depend on where the rules are installed */
    size_t top = strlen(p->top_dir);
    const char *display = !strncmp(path, p->top_dir, top) ? path + top : path;
    wordlist_add(&p->rules->files, path);
    const char *file = p->rules->files.items[p->rules->files.count - 1];
    wordlist_add(&p->rules->files, display);
    display = p->rules->files.items[p->rules->files.count - 1];
    remember_text(p, file, text);
    int rc = parse_text(p, file, display, text, length);
    p->depth--;
    free(real);
    free(text);
    return rc;
}

/* -------------------------------------------------------------- compiling */

typedef struct origin {
    const char *file;
    unsigned line, column;
    const char *macro; /* the macro whose body this byte came from, or NULL */
} origin;

/* Where the expansion's bytes from `at` on (up to the next segment's) came
 * from: byte for byte the source's from `from` on when `verbatim`; else
 * each of them from the source's byte `from` (an escape or a class whole,
 * a space's " +", a macro's brackets, a slot's group). */
typedef struct segment {
    size_t at;
    const source_text *st;
    size_t from;
    const char *macro; /* the macro whose body st is, or NULL */
    int verbatim;
} segment;

typedef struct expansion {
    strbuf out;
    segment *segments;
    size_t nsegments, cap;
    int has_src, has_tgt;
} expansion;

static void add_segment(expansion *x, const source_text *st, size_t from, const char *macro_name,
                        int verbatim)
{
    XGROW(x->segments, x->cap, x->nsegments + 1);
    x->segments[x->nsegments++] = (segment){x->out.length, st, from, macro_name, verbatim};
}

/* n bytes s, for the source's byte `from`. */
static void emit_bytes(expansion *x, const char *s, size_t n, const source_text *st,
                       size_t from, const char *macro_name)
{
    add_segment(x, st, from, macro_name, 0);
    sb_add(&x->out, s, n);
}

/* The source's n bytes from `from`, as they are: one segment goes on
 * while they follow each other. */
static void emit_verbatim(expansion *x, const source_text *st, size_t from, size_t n,
                          const char *macro_name)
{
    const segment *last = x->nsegments ? &x->segments[x->nsegments - 1] : NULL;
    if (!last || !last->verbatim || last->st != st
        || last->from + (x->out.length - last->at) != from)
        add_segment(x, st, from, macro_name, 1);
    sb_add(&x->out, st->text + from, n);
}

static origin origin_of(const source_text *st, size_t i, const char *macro_name)
{
    return (origin){st->file, st->lines[i], st->cols[i], macro_name};
}

/* The origin of the expansion's byte at `offset` (< its length). */
static origin origin_at(const expansion *x, size_t offset)
{
    size_t lo = 0, hi = x->nsegments; /* the last segment at or before offset */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->segments[mid].at <= offset)
            lo = mid;
        else
            hi = mid;
    }
    const segment *g = &x->segments[lo];
    return origin_of(g->st, g->verbatim ? g->from + (offset - g->at) : g->from, g->macro);
}

static int expand(parser *p, const source_text *st, const char *macro_name, expansion *x,
                  int depth, const char **chain)
{
    const char *s = st->text;
    size_t n = st->length;
    for (size_t i = 0; i < n;) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            size_t j = i + 2;
            if (strchr("pPxoNgk", s[i + 1]) && j < n && s[j] == '{') {
                while (j < n && s[j] != '}')
                    j++;
                if (j < n)
                    j++;
            }
            emit_bytes(x, s + i, j - i, st, i, macro_name);
            i = j;
            continue;
        }
        if (c == '[') { /* a character class goes through untouched */
            size_t j = i + 1;
            if (j < n && s[j] == '^')
                j++;
            if (j < n && s[j] == ']')
                j++;
            while (j < n && s[j] != ']') {
                if (s[j] == '\\' && j + 1 < n)
                    j++;
                else if (s[j] == '[' && j + 1 < n && s[j + 1] == ':') {
                    const char *close = strstr(s + j + 2, ":]");
                    if (close && (size_t)(close - s) < n)
                        j = (size_t)(close - s) + 1;
                }
                j++;
            }
            if (j < n)
                j++;
            emit_bytes(x, s + i, j - i, st, i, macro_name);
            i = j;
            continue;
        }
        if (c == ' ' || c == '\t') {
            size_t j = i;
            while (j < n && (s[j] == ' ' || s[j] == '\t'))
                j++;
            /* the text is folded: all its white space is ' ' */
            emit_bytes(x, " +", 2, st, i, macro_name);
            i = j;
            continue;
        }
        if (c == '{') {
            size_t j = i + 1;
            while (j < n && s[j] != '}' && j - i < 64)
                j++;
            if (j < n && s[j] == '}' && is_macro_name(s + i + 1, j - i - 1)) {
                const char *name = s + i + 1;
                size_t k = j - i - 1;
                if (k == 3 && !strncmp(name, "SRC", 3)) {
                    emit_bytes(x, "(?<src>" SLOT_LIST ")", strlen("(?<src>" SLOT_LIST ")"), st, i,
                               macro_name);
                    x->has_src = 1;
                } else if (k == 3 && !strncmp(name, "TGT", 3)) {
                    emit_bytes(x, "(?<tgt>" SLOT_LIST ")", strlen("(?<tgt>" SLOT_LIST ")"), st, i,
                               macro_name);
                    x->has_tgt = 1;
                } else if (k == 3 && !strncmp(name, "ENT", 3)) {
                    emit_bytes(x, MENTION_CLASS, strlen(MENTION_CLASS), st, i, macro_name);
                } else if (k == 6 && !strncmp(name, "NOTENT", 6)) {
                    emit_bytes(x, NOT_MENTION_CLASS, strlen(NOT_MENTION_CLASS), st, i,
                               macro_name);
                } else {
                    macro *m = find_macro(p, name, k);
                    if (!m) {
                        return seterr(p->err, RELMAP_ESYNTAX, st->file, st->lines[i],
                                      st->cols[i], "undefined macro %.*s", (int)k, name);
                    }
                    for (int d = 0; d < depth; d++) {
                        if (!strcmp(chain[d], m->name))
                            return seterr(p->err, RELMAP_ESYNTAX, st->file, st->lines[i],
                                          st->cols[i], "macro %s refers to itself", m->name);
                    }
                    if (depth >= 32)
                        return seterr(p->err, RELMAP_ESYNTAX, st->file, st->lines[i],
                                      st->cols[i], "macros nest more than 32 deep");
                    m->used = 1;
                    chain[depth] = m->name;
                    emit_bytes(x, "(?:", 3, st, i, macro_name);
                    int rc = expand(p, &m->body, m->name, x, depth + 1, chain);
                    if (rc < 0)
                        return rc;
                    emit_bytes(x, ")", 1, st, i, macro_name);
                }
                i = j + 1;
                continue;
            }
        }
        /* this byte and the plain ones after it, as they are */
        size_t j = i + 1;
        while (j < n && !strchr("\\[ \t{", s[j]))
            j++;
        emit_verbatim(x, st, i, j - i, macro_name);
        i = j;
    }
    return 0;
}

static void collect_groups(pcre2_code *code, const char *name, int *groups, int *count)
{
    PCRE2_SPTR first, last;
    int size = pcre2_substring_nametable_scan(code, (PCRE2_SPTR)name, &first, &last);
    *count = 0;
    if (size <= 0)
        return;
    for (PCRE2_SPTR e = first; e <= last && *count < 8; e += size)
        groups[(*count)++] = (e[0] << 8) | e[1];
}

static int compile_draft(parser *p, rule_draft *d)
{
    relmap_rules *r = p->rules;
    int rel = rules_find_relation(r, d->relation);
    if (rel < 0)
        return seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->rel_line, d->rel_col,
                      "relation '%s' is not declared (add: relation %s)", d->relation, d->relation);
    /* the relations in brackets: each declared, none twice */
    int *context = NULL;
    size_t ncontext = 0, context_cap = 0;
    for (const char *c = d->context; c && *c;) {
        int len = (int)strcspn(c, ",");
        int k = rules_find_relation_n(r, c, (size_t)len);
        unsigned col = d->context_col + (unsigned)(c - d->context);
        int twice = 0;
        for (size_t i = 0; k >= 0 && i < ncontext; i++)
            twice |= context[i] == k;
        if (k < 0 || twice) {
            free(context);
            if (twice)
                return seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->context_line, col,
                              "relation '%.*s' is in the brackets twice", len, c);
            return seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->context_line, col,
                          "relation '%.*s' is not declared (add: relation %.*s)", len, c, len, c);
        }
        XGROW(context, context_cap, ncontext + 1);
        context[ncontext++] = k;
        c += len + (c[len] == ',');
    }
    expansion x = {0};
    const char *chain[33];
    int rc = expand(p, &d->pattern, NULL, &x, 0, chain);
    if (rc < 0)
        goto done;
    if (d->target_mode == TARGET_RECIPROCAL) {
        if (x.has_src || x.has_tgt) {
            rc = seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->pattern.lines[0],
                        d->pattern.cols[0],
                        "a reciprocal rule joins the last two parties named: remove {SRC} and {TGT}");
            goto done;
        }
    } else if (d->target_mode == SOURCE_ACTOR) {
        if (x.has_src || !x.has_tgt) {
            rc = seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->pattern.lines[0],
                        d->pattern.cols[0],
                        x.has_src ? "a source=actor rule takes its source from context: remove {SRC}"
                                  : "pattern has no {TGT} slot (a source=actor rule needs one)");
            goto done;
        }
    } else if (!x.has_src) {
        rc = seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->pattern.lines[0],
                    d->pattern.cols[0], "pattern has no {SRC} slot");
        goto done;
    } else if (!x.has_tgt && d->target_mode == TARGET_SLOT) {
        rc = seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->pattern.lines[0],
                    d->pattern.cols[0],
                    "pattern has no {TGT} slot (or mark the rule target=actor)");
        goto done;
    } else if (x.has_tgt && d->target_mode != TARGET_SLOT) {
        rc = seterr(p->err, RELMAP_ESYNTAX, d->pattern.file, d->pattern.lines[0],
                    d->pattern.cols[0], "a %s rule takes its target from context: remove {TGT}",
                    d->target_mode == TARGET_ACTOR ? "target=actor" : "target=counterpart");
        goto done;
    }
    int code;
    PCRE2_SIZE offset;
    /* the pattern with its alternations factored, which PCRE2 runs in fewer
     * tries (factor.h); its errors are told of the pattern as written */
    strbuf source = {0};
    pcre2_code *re = NULL;
    if (pattern_factor(x.out.data, x.out.length, &source))
        re = pcre2_compile((PCRE2_SPTR)source.data, source.length, ASCII_PATTERN_OPTIONS,
                           &code, &offset, NULL);
    if (!re) {
        sb_clear(&source);
        sb_add(&source, x.out.data, x.out.length);
        re = pcre2_compile((PCRE2_SPTR)source.data, source.length, ASCII_PATTERN_OPTIONS,
                           &code, &offset, NULL);
    }
    if (!re) {
        sb_free(&source);
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(code, message, sizeof message);
        /* an error at the end of the pattern (a missing ')') points just
         * past the pattern's last character, as a compiler would */
        size_t end = d->pattern.length;
        origin o =
            offset < x.out.length ? origin_at(&x, offset) : origin_of(&d->pattern, end, NULL);
        if (o.macro)
            rc = seterr(p->err, RELMAP_EPATTERN, o.file, o.line, o.column,
                        "in macro %s: %s", o.macro, (const char *)message);
        else
            rc = seterr(p->err, RELMAP_EPATTERN, o.file, o.line, o.column, "%s",
                        (const char *)message);
        goto done;
    }
    XGROW(r->rules, r->rules_cap, r->nrules + 1);
    rule *ru = &r->rules[r->nrules++];
    memset(ru, 0, sizeof *ru);
    ru->relation = rel;
    ru->code = re;
    ru->source_length = source.length;
    ru->source = sb_detach(&source);
    ru->file = d->pattern.file;
    ru->line = d->line;
    ru->column = d->pattern.cols[0];
    strbuf origin_name = {0};
    sb_addf(&origin_name, "%s:%u", d->pattern.display, d->line);
    ru->origin = sb_detach(&origin_name);
    ru->target_mode = d->target_mode;
    ru->context_relations = context;
    ru->ncontext_relations = ncontext;
    context = NULL;
    ru->triggers = prefilter_derive(x.out.data, x.out.length, MENTION_CLASS);
    collect_groups(re, "src", ru->src_groups, &ru->nsrc);
    collect_groups(re, "tgt", ru->tgt_groups, &ru->ntgt);
    r->relations[rel].patterns++;
done:
    free(context);
    sb_free(&x.out);
    free(x.segments);
    return rc;
}

static const alias *sort_base;

static int by_length_desc(const void *a, const void *b)
{
    const alias *x = &sort_base[*(const int *)a], *y = &sort_base[*(const int *)b];
    if (x->length != y->length)
        return x->length < y->length ? 1 : -1;
    return *(const int *)a - *(const int *)b;
}

/* An alias's byte at `at` (from its start; A-Z as a-z), which alias_matches
 * compares; -1 when the alias is no longer than that: it matches whatever
 * the text holds there ("China", "Gen." beyond their first words). */
static int alias_byte_at(const alias *a, size_t at)
{
    return at < a->length ? lower_byte((unsigned char)a->text[at]) : -1;
}

/* The place that narrows a list of aliases that share their first word
 * best: of those after the first word and its next byte, the one where the
 * aliases are left fewest on average (those too short to reach it, plus
 * those of its byte, the bytes weighed as often as the aliases hold them).
 * The byte after the one after the first word (the second word's first)
 * unless a later one does better: "U.S. Treasury", "U.S. Senate" and "U.S.
 * agents" share it, not the byte after "U.S. ". */
static size_t narrowing_place(const relmap_rules *r, const int *items, size_t n)
{
    size_t head = r->aliases[items[0]].head, longest = 0;
    for (size_t k = 0; k < n; k++)
        if (r->aliases[items[k]].length > longest)
            longest = r->aliases[items[k]].length;
    size_t best = head + 1;
    double best_cost = (double)n + 1;
    for (size_t at = head + 1; at < longest; at++) {
        size_t any = 0, squares = 0, per_byte[256] = {0};
        for (size_t k = 0; k < n; k++) {
            int b = alias_byte_at(&r->aliases[items[k]], at);
            if (b < 0)
                any++;
            else /* (c + 1)^2 - c^2 */
                squares += 2 * per_byte[b]++ + 1;
        }
        double cost = (double)any + (n > any ? (double)squares / (double)(n - any) : 0);
        if (cost < best_cost) {
            best_cost = cost;
            best = at;
        }
    }
    return best;
}

/* The candidates of one first word: [count, the aliases longest first,
 * the narrowing place or 0] and, when there are enough of them that most
 * would fail further on ("the": "the Pentagon", "the White House", ...),
 * the same list per byte of the text at that place (ALIAS_FOLLOW_NONE + 1
 * buckets, the last for a text that ends before it): offsets, then the
 * buckets, each in the list's order and holding the aliases of that byte
 * and those too short to reach it. Written into alias_lists from `from`;
 * returns its length. */
#define ALIAS_BUCKETED_FROM 4
static size_t pack_candidates(relmap_rules *r, const int *items, size_t n, size_t from)
{
    size_t nbuckets = ALIAS_FOLLOW_NONE + 1, total = 0;
    size_t at = n >= ALIAS_BUCKETED_FROM ? narrowing_place(r, items, n) : 0;
    if (at)
        for (size_t b = 0; b < nbuckets; b++)
            for (size_t k = 0; k < n; k++) {
                int f = alias_byte_at(&r->aliases[items[k]], at);
                total += f < 0 || (size_t)f == b;
            }
    size_t size = 2 + n + (at ? nbuckets + 1 + total : 0);
    XGROW(r->alias_lists, r->alias_lists_cap, from + size);
    int *packed = r->alias_lists + from;
    packed[0] = (int)n;
    memcpy(packed + 1, items, n * sizeof *packed);
    packed[n + 1] = (int)at;
    if (at) {
        int *offsets = packed + n + 2, *bucket = offsets + nbuckets + 1;
        int filled = 0;
        for (size_t b = 0; b < nbuckets; b++) {
            offsets[b] = filled;
            for (size_t k = 0; k < n; k++) {
                int f = alias_byte_at(&r->aliases[items[k]], at);
                if (f < 0 || (size_t)f == b)
                    bucket[filled++] = items[k];
            }
        }
        offsets[nbuckets] = filled;
    }
    return size;
}

/* The aliases' texts moved into one block, in order: the few kilobytes the
 * finder compares with the text, where their own allocations would scatter
 * them among the loader's. */
static void pack_alias_texts(relmap_rules *r)
{
    size_t total = 0;
    for (size_t i = 0; i < r->naliases; i++)
        total += r->aliases[i].length + 1;
    char *block = xmalloc(total ? total : 1), *at = block;
    for (size_t i = 0; i < r->naliases; i++) {
        alias *a = &r->aliases[i];
        memcpy(at, a->text, a->length + 1);
        free(a->text);
        a->text = at;
        at += a->length + 1;
    }
    r->alias_text = block;
}

static void build_alias_index(relmap_rules *r)
{
    /* group alias indices by their first word */
    strmap groups = {0};
    typedef struct ilist { int *items; size_t n, cap; } ilist;
    for (size_t i = 0; i < r->naliases; i++) {
        char key[128];
        if (!alias_key(r->aliases[i].text, r->aliases[i].length, key, sizeof key))
            continue;
        ilist *l = strmap_get(&groups, key);
        if (!l) {
            l = xcalloc(1, sizeof *l);
            strmap_put(&groups, key, l);
        }
        XGROW(l->items, l->cap, l->n + 1);
        l->items[l->n++] = (int)i;
    }
    sort_base = r->aliases;
    /* the slots: twice the keys or more, a power of two; the lists one
     * after another */
    size_t capacity = 16, total = 0;
    while (capacity < 2 * groups.count)
        capacity *= 2;
    r->alias_slots = xcalloc(capacity, sizeof *r->alias_slots);
    r->alias_slots_mask = capacity - 1;
    for (size_t i = 0; i < groups.capacity; i++) {
        strmap_entry *e = &groups.slots[i];
        if (!e->key)
            continue;
        ilist *l = e->value;
        qsort(l->items, l->n, sizeof *l->items, by_length_desc);
        size_t size = pack_candidates(r, l->items, l->n, total);
        free(l->items);
        free(l);
        size_t length = strlen(e->key);
        uint64_t h = hash_lower(e->key, length);
        size_t k = h & r->alias_slots_mask;
        while (r->alias_slots[k].length)
            k = (k + 1) & r->alias_slots_mask;
        r->alias_slots[k] = (alias_slot){h, (uint32_t)length, (uint32_t)total};
        total += size;
        strmap_put(&r->alias_index, e->key, (void *)1);
        word_sets_add(&r->words, h, WORD_ALIAS_HEAD);
        if (length)
            word_gate_add(&r->gate, word_gate_key(e->key, length));
    }
    strmap_free(&groups, NULL);
}

static int resolve_parents(parser *p)
{
    relmap_rules *r = p->rules;
    for (size_t i = 0; i < r->nentities; i++) {
        entity *e = &r->entities[i];
        if (!e->parent)
            continue;
        e->parent_index = rules_find_entity(r, e->parent);
        if (e->parent_index < 0) {
            seterr(p->err, RELMAP_ESYNTAX, e->file, e->line, e->column,
                   "entity \"%s\" belongs to \"%s\", which is not declared", e->name, e->parent);
            report(p, 1);
        }
    }
    for (size_t i = 0; i < r->nentities; i++) {
        int at = (int)i;
        size_t steps = 0;
        while (r->entities[at].parent_index >= 0 && steps++ <= r->nentities)
            at = r->entities[at].parent_index;
        if (steps > r->nentities) {
            seterr(p->err, RELMAP_ESYNTAX, r->entities[i].file, r->entities[i].line,
                   r->entities[i].column, "entity \"%s\" belongs to itself through \"%s\"",
                   r->entities[i].name, r->entities[i].parent);
            report(p, 1);
            r->entities[i].parent_index = -1;
            at = (int)i;
        }
        r->entities[i].root = at;
    }
    return 0;
}

static void parser_free(parser *p)
{
    for (size_t i = 0; i < p->nmacros; i++) {
        free(p->macros[i].name);
        source_free(&p->macros[i].body);
    }
    free(p->macros);
    strmap_free(&p->macro_index, NULL);
    for (size_t i = 0; i < p->ndrafts; i++) {
        free(p->drafts[i].relation);
        free(p->drafts[i].context);
        source_free(&p->drafts[i].pattern);
    }
    free(p->drafts);
    for (size_t i = 0; i < p->depth; i++)
        free(p->stack[i]);
    free(p->stack);
    strmap_free(&p->alias_owner, NULL);
    free(p->top_dir);
    free(p->diags);
    for (size_t i = 0; i < p->ntexts; i++)
        free(p->texts[i]);
    free(p->texts);
    free(p->text_names);
}

static void warn(parser *p, const char *file, unsigned line, unsigned column, const char *fmt,
                 const char *name)
{
    seterr(p->err, 0, file, line, column, fmt, name);
    report(p, 0);
}

static int diagnostic_cmp(const void *a, const void *b)
{
    const diagnostic *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->where.line != y->where.line)
        return x->where.line < y->where.line ? -1 : 1;
    if (x->where.column != y->where.column)
        return x->where.column < y->where.column ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void finish(parser *p)
{
    relmap_rules *r = p->rules;
    resolve_parents(p);
    for (size_t i = 0; i < p->ndrafts; i++)
        if (compile_draft(p, &p->drafts[i]) < 0)
            report(p, 1);
    if (!p->errors) {
        for (size_t i = 0; i < p->nmacros; i++)
            if (!p->macros[i].used)
                warn(p, p->macros[i].body.file, p->macros[i].line, p->macros[i].column,
                     "macro %s is never used", p->macros[i].name);
        for (size_t i = 0; i < r->nrelations; i++)
            if (!r->relations[i].patterns)
                warn(p, r->relations[i].file, r->relations[i].line, r->relations[i].column,
                     "relation '%s' has no pattern", r->relations[i].name);
        for (size_t i = 0; i < r->nrules; i++) {
            uint32_t min = 1;
            pcre2_pattern_info(r->rules[i].code, PCRE2_INFO_MINLENGTH, &min);
            if (min == 0)
                warn(p, r->rules[i].file, r->rules[i].line, r->rules[i].column,
                     "pattern can match the empty string%s", "");
            else if (!r->rules[i].triggers)
                warn(p, r->rules[i].file, r->rules[i].line, r->rules[i].column,
                     "pattern has no trigger word (a word of 3 letters or more that every "
                     "match holds), so it runs on every sentence that names enough "
                     "entities%s",
                     "");
            /* one such word sends every rule's to the scan of every byte
             * (prefilter.c, "Where a literal begins") */
            const char *inside = prefilter_inside_word(r->rules[i].triggers);
            if (inside) {
                char *word = xstrndup(inside, prefilter_literal_chars(inside)); /* unmarked */
                warn(p, r->rules[i].file, r->rules[i].line, r->rules[i].column,
                     "trigger word \"%s\" may begin inside a word, so every sentence is "
                     "scanned byte by byte for all rules' words; if it begins a word, "
                     "write \\b before it",
                     word);
                free(word);
            }
        }
    }
    pack_alias_texts(r);
    build_alias_index(r);
    wordlist_index(&r->titles);
    wordlist_index(&r->government_nouns);
    wordlist_index(&r->group_nouns);
    wordlist_index(&r->roles);
    word_sets_add_list(&r->words, &r->gate, &r->titles, WORD_TITLE_HEAD, 1);
    word_sets_add_list(&r->words, &r->gate, &r->roles, WORD_ROLE, 0);
    word_gate_add(&r->gate, word_gate_key("the", 3));
    const wordlist *nouns[] = {&r->group_nouns, &r->government_nouns};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < nouns[k]->count; i++)
            if (nouns[k]->lengths[i])
                word_gate_add(&r->nouns_gate,
                              word_gate_key(nouns[k]->items[i], nouns[k]->lengths[i]));
    r->the_hash = hash_lower("the", 3);
    r->the_sets = word_sets_of(&r->words, r->the_hash);
    r->the_aliases = rules_alias_list(r, 3, r->the_hash);
    const literals **per_rule = xmalloc((r->nrules + 1) * sizeof *per_rule);
    for (size_t i = 0; i < r->nrules; i++)
        per_rule[i] = r->rules[i].triggers;
    r->triggers = prefilter_build(per_rule, r->nrules);
    size_t nreciprocal = 0;
    for (size_t i = 0; i < r->nrules; i++)
        if (r->rules[i].target_mode == TARGET_RECIPROCAL)
            per_rule[nreciprocal++] = r->rules[i].triggers;
    r->reciprocal_triggers = prefilter_build(per_rule, nreciprocal);
    r->lazy_code = xcalloc(SUBJECT_KINDS * r->nrules + 1, sizeof *r->lazy_code);
    for (size_t i = 0; i < r->nrules; i++) /* for ASCII subjects: the code loading compiled */
        r->lazy_code[SUBJECT_KINDS * i + SUBJECT_ASCII] = r->rules[i].code;
    r->jit_state = xcalloc(SUBJECT_KINDS * r->nrules + 1, sizeof *r->jit_state); /* UNTRIED */
    free(per_rule);
    if (p->ndiags > 1)
        qsort(p->diags, p->ndiags, sizeof *p->diags, diagnostic_cmp);
}

/* Load from files (paths) or from one string (name, text); report every
 * diagnostic; keep the rules only when there was no error. */
static int load(relmap_rules **out, const char *const *paths, size_t npaths, const char *name,
                const char *text, relmap_diagnostic_fn fn, void *context)
{
    *out = NULL;
    relmap_rules *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->jit_lock, NULL);
    pthread_cond_init(&r->jit_done, NULL);
    parser p = {0};
    p.rules = r;
    p.err = &p.scratch;
    if (text) {
        wordlist_add(&r->files, name);
        p.top_dir = xstrdup("./");
        remember_text(&p, r->files.items[0], text);
        parse_text(&p, r->files.items[0], r->files.items[0], text, strlen(text));
    }
    for (size_t i = 0; i < npaths; i++)
        if (parse_file(&p, paths[i], NULL, 0) < 0)
            report(&p, 1);
    finish(&p);
    for (size_t i = 0; fn && i < p.ndiags; i++)
        fn(&p.diags[i].where, p.diags[i].is_error, context);
    int rc = p.errors ? RELMAP_ESYNTAX : 0;
    parser_free(&p);
    if (rc < 0)
        relmap_rules_free(r);
    else
        *out = r;
    return rc;
}

rule_code rules_code(const relmap_rules *r, const rule *ru, int kind)
{
    /* the rules are const to their users; what the lock guards is not */
    relmap_rules *w = (relmap_rules *)r;
    size_t at = SUBJECT_KINDS * (size_t)(ru - r->rules);
    pcre2_code **code = &w->lazy_code[at];
    unsigned char *state = &w->jit_state[at];
    pthread_mutex_lock(&w->jit_lock);
    if (kind == SUBJECT_ANY && !code[kind]) {
        int error;
        PCRE2_SIZE offset;
        code[kind] = pcre2_compile((PCRE2_SPTR)ru->source, ru->source_length, PATTERN_OPTIONS,
                                   &error, &offset, NULL);
        if (!code[kind]) /* it does not compile so (it did without UCP): without UCP */
            code[kind] = pcre2_compile((PCRE2_SPTR)ru->source, ru->source_length,
                                       PATTERN_OPTIONS & ~(uint32_t)PCRE2_UCP, &error, &offset,
                                       NULL);
        if (!code[kind]) { /* nor so: a copy of the code loading compiled, interpreted, which
                              checks the subject's UTF-8 (pcre2_jit_match would not); a
                              copy, as the original may be given JIT code while it runs */
            code[kind] = pcre2_code_copy(code[SUBJECT_ASCII]);
            if (!code[kind]) {
                fprintf(stderr, "relmap: out of memory (PCRE2 code)\n");
                abort();
            }
            state[kind] = JIT_NONE;
        }
    }
    /* JIT code is compiled outside the lock (JIT is an optimisation: the
     * interpreter works without), so that on N threads one compiles a
     * pattern while the others run theirs; a thread waits only for the
     * pattern it needs itself, should another be compiling it. */
    while (state[kind] == JIT_COMPILING)
        pthread_cond_wait(&w->jit_done, &w->jit_lock);
    if (state[kind] == JIT_UNTRIED) {
        state[kind] = JIT_COMPILING;
        pthread_mutex_unlock(&w->jit_lock);
        int jit = pcre2_jit_compile(code[kind], PCRE2_JIT_COMPLETE) == 0 ? JIT_READY : JIT_NONE;
        pthread_mutex_lock(&w->jit_lock);
        state[kind] = (unsigned char)jit;
        pthread_cond_broadcast(&w->jit_done);
    }
    rule_code rc = {code[kind], state[kind]};
    pthread_mutex_unlock(&w->jit_lock);
    return rc;
}

int relmap_rules_check(relmap_rules **out, const char *const *paths, size_t npaths,
                       relmap_diagnostic_fn fn, void *context)
{
    return load(out, paths, npaths, NULL, NULL, fn, context);
}

int relmap_rules_check_string(relmap_rules **out, const char *name, const char *text,
                              relmap_diagnostic_fn fn, void *context)
{
    return load(out, NULL, 0, name, text, fn, context);
}

/* Keep the first error: the one load() and load_string() return. */
static void first_error(const relmap_error *problem, int is_error, void *context)
{
    relmap_error *err = context;
    if (is_error && err && !err->code)
        *err = *problem;
}

int relmap_rules_load(relmap_rules **out, const char *const *paths, size_t npaths,
                      relmap_error *err)
{
    relmap_error_clear(err);
    int rc = load(out, paths, npaths, NULL, NULL, first_error, err);
    return rc < 0 && err && err->code ? err->code : rc;
}

int relmap_rules_load_string(relmap_rules **out, const char *name, const char *text,
                             relmap_error *err)
{
    relmap_error_clear(err);
    int rc = load(out, NULL, 0, name, text, first_error, err);
    return rc < 0 && err && err->code ? err->code : rc;
}

void relmap_rules_free(relmap_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nentities; i++) {
        free(r->entities[i].name);
        free(r->entities[i].type);
        free(r->entities[i].parent);
    }
    free(r->entities);
    strmap_free(&r->entity_index, NULL);
    if (r->alias_text)
        free(r->alias_text);
    else /* loading stopped before pack_alias_texts */
        for (size_t i = 0; i < r->naliases; i++)
            free(r->aliases[i].text);
    free(r->aliases);
    strmap_free(&r->alias_index, NULL);
    free(r->alias_slots);
    free(r->alias_lists);
    for (size_t i = 0; i < r->nrelations; i++) {
        free(r->relations[i].name);
        free(r->relations[i].color);
        free(r->relations[i].style);
        free(r->relations[i].label);
    }
    free(r->relations);
    strmap_free(&r->relation_index, NULL);
    for (size_t i = 0; r->lazy_code && i < r->nrules; i++) {
        pcre2_code *any = r->lazy_code[SUBJECT_KINDS * i + SUBJECT_ANY];
        if (any != r->rules[i].code)
            pcre2_code_free(any);
    }
    free(r->lazy_code);
    free(r->jit_state);
    pthread_mutex_destroy(&r->jit_lock);
    pthread_cond_destroy(&r->jit_done);
    for (size_t i = 0; i < r->nrules; i++) {
        pcre2_code_free(r->rules[i].code);
        free(r->rules[i].source);
        prefilter_free(r->rules[i].triggers);
        free(r->rules[i].origin);
        free(r->rules[i].context_relations);
    }
    free(r->rules);
    wordlist_free(&r->titles);
    wordlist_free(&r->government_nouns);
    wordlist_free(&r->group_nouns);
    wordlist_free(&r->roles);
    prefilter_free_set(r->triggers);
    prefilter_free_set(r->reciprocal_triggers);
    for (size_t i = 0; i < r->nexamples; i++) {
        example *ex = &r->examples[i];
        for (size_t k = 0; k < ex->nedges; k++) {
            free(ex->edges[k].source);
            free(ex->edges[k].relation);
            free(ex->edges[k].target);
        }
        free(ex->edges);
        free(ex->text);
    }
    free(r->examples);
    wordlist_free(&r->files);
    free(r);
}

static int text_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *relmap_rules_trigger_words(const relmap_rules *r)
{
    strmap seen = {0};
    for (size_t i = 0; i < r->nrules; i++)
        for (size_t k = 0; r->rules[i].triggers && k < r->rules[i].triggers->clause_end[0]; k++) {
            const char *word = r->rules[i].triggers->items[k]; /* without a word end's mark */
            strmap_putn(&seen, word, prefilter_literal_chars(word), (void *)1);
        }
    char **words = xmalloc((seen.count + 1) * sizeof *words);
    size_t n = 0;
    for (size_t i = 0; i < seen.capacity; i++)
        if (seen.slots[i].key)
            words[n++] = seen.slots[i].key;
    if (n)
        qsort(words, n, sizeof *words, text_cmp);
    strbuf sb = {0};
    for (size_t i = 0; i < n; i++)
        sb_addf(&sb, "%s\n", words[i]);
    free(words);
    strmap_free(&seen, NULL);
    return sb_detach(&sb);
}

size_t relmap_rules_relation_count(const relmap_rules *r) { return r ? r->nrelations : 0; }
size_t relmap_rules_entity_count(const relmap_rules *r) { return r ? r->nentities : 0; }
size_t relmap_rules_pattern_count(const relmap_rules *r) { return r ? r->nrules : 0; }

/*
 * match.c - running the rules over each sentence of a document.
 *
 * Each sentence is folded (curly quotes to ASCII, odd spaces to ' '), its
 * entity mentions are found, and each mention is replaced by one private-use
 * code point, so that a pattern's {SRC} and {TGT} match any entity in one
 * character. Rules with a {TGT} slot run first; then target=actor rules,
 * whose target is whoever last acted on the source in the document (so "China
 * dismissed the claims" answers the last accusation against China); then
 * source=actor rules, whose source is whoever last acted on the target ("the
 * indictment accuses five officers" is the indicting party's); then
 * reciprocal rules ("each side accused the other"), which join the last two
 * parties named.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "coord.h"
#include "extract.h"

#define MATCH_LIMIT 2000000u
#define MAX_SENTENCE_EDGES 64

relmap_extractor *relmap_extractor_new(const relmap_rules *rules)
{
    relmap_extractor *x = xcalloc(1, sizeof *x);
    x->rules = rules;
    x->gate = rules->gate;
    x->match_data = pcre2_match_data_create(32, NULL);
    x->match_context = pcre2_match_context_create(NULL);
    if (!x->match_data || !x->match_context) {
        fprintf(stderr, "relmap: out of memory (PCRE2 match data)\n");
        abort();
    }
    pcre2_set_match_limit(x->match_context, MATCH_LIMIT);
    x->ovector = pcre2_get_ovector_pointer(x->match_data);
    x->ovector_pairs = pcre2_get_ovector_count(x->match_data);
    x->learned = xcalloc(rules->nentities + 1, sizeof *x->learned);
    x->root_decl = xcalloc(rules->nentities * (1 + 2 * rules->nrelations) + 1,
                           sizeof *x->root_decl);
    x->codes = xcalloc(SUBJECT_KINDS * rules->nrules + 1, sizeof *x->codes);
    x->document_number = 1;
    x->hits = prefilter_hits_new(rules->triggers);
    x->reciprocal_hits = prefilter_hits_new(rules->reciprocal_triggers);
    pcre2_set_depth_limit(x->match_context, 100000);
    x->parties[0] = x->parties[1] = NO_ENTITY;
    x->dyn_index.pool = x->short_forms.pool = x->numbered.pool = x->role_refs.pool = &x->names;
    x->batch_rule_first = xmalloc((rules->nrules + 1) * sizeof *x->batch_rule_first);
    for (size_t i = 0; i <= rules->nrules; i++)
        x->batch_rule_first[i] = -1;
    for (int mode = TARGET_SLOT; mode <= TARGET_RECIPROCAL; mode++) {
        x->by_mode[mode] = xmalloc((rules->nrules + 1) * sizeof *x->by_mode[mode]);
        x->mode_bits[mode] = xcalloc(x->hits->words, sizeof *x->mode_bits[mode]);
        for (size_t i = 0; i < rules->nrules; i++) {
            if (rules->rules[i].target_mode == mode) {
                x->by_mode[mode][x->nby_mode[mode]++] = i;
                bit_set(x->mode_bits[mode], (unsigned)i);
            }
        }
    }
    return x;
}

void relmap_extractor_free(relmap_extractor *x)
{
    if (!x)
        return;
    reset_document(x);
    strmap_free(&x->dyn_index, NULL); /* the tables reset_document keeps */
    strmap_free(&x->short_forms, NULL);
    strmap_free(&x->numbered, NULL);
    strmap_free(&x->role_refs, NULL);
    strpool_free(&x->names);
    free(x->dyn);
    free(x->history);
    free(x->root_decl);
    free(x->root_dyn);
    free(x->mentions);
    free(x->learned);
    free(x->mention_offset);
    free(x->role_words);
    free(x->codes);
    free(x->batch);
    sb_free(&x->batch_subjects);
    free(x->batch_mentions);
    free(x->batch_rules);
    free(x->batch_rule_first);
    free(x->batch_matches);
    sb_free(&x->folded);
    sb_free(&x->masked);
    sb_free(&x->evidence);
    prefilter_hits_free(x->hits);
    prefilter_hits_free(x->reciprocal_hits);
    for (int mode = TARGET_SLOT; mode <= TARGET_RECIPROCAL; mode++) {
        free(x->by_mode[mode]);
        free(x->mode_bits[mode]);
    }
    pcre2_match_data_free(x->match_data);
    pcre2_match_context_free(x->match_context);
    free(x);
}

/* Mention k's code point, U+E000 + k, to the masked text; its offset to
 * x->mention_offset. */
static void add_mention_code(relmap_extractor *x, size_t k)
{
    unsigned cp = MENTION_BASE + (unsigned)k;
    char u[MENTION_WIDTH] = {(char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)),
                             (char)(0x80 | (cp & 0x3F))};
    x->mention_offset[k] = (uint32_t)x->masked.length;
    sb_add(&x->masked, u, MENTION_WIDTH);
}

/* The masked text of a sentence with no private-use code point: the text
 * between the mentions, which come in order, copied as it is. 0 (and the
 * masked text left empty) when they do not come in order. */
static int mask_between_mentions(relmap_extractor *x, const char *t, size_t n)
{
    size_t i = 0;
    for (size_t k = 0; k < x->nmentions; k++) {
        if (x->mentions[k].start < i) {
            sb_clear(&x->masked);
            return 0;
        }
        sb_add(&x->masked, t + i, x->mentions[k].start - i);
        add_mention_code(x, k);
        i = x->mentions[k].end;
    }
    sb_add(&x->masked, t + i, n - i);
    return 1;
}

/* The masked text byte by byte: private-use code points become '?'. */
static void mask_bytes(relmap_extractor *x, const char *t, size_t n)
{
    strbuf *sb = &x->masked;
    size_t next = 0;
    for (size_t i = 0; i < n;) {
        /* copy the run up to the next mention or private-use byte at once */
        size_t stop = next < x->nmentions ? x->mentions[next].start : n;
        size_t run = i;
        for (;;) {
            if (run + 8 <= stop && plain_ascii8(t + run)) /* no 0xEE or 0xEF in them */
                run += 8;
            else if (run < stop && (unsigned char)t[run] != 0xEE && (unsigned char)t[run] != 0xEF)
                run++;
            else
                break;
        }
        if (run > i) {
            sb_add(sb, t + i, run - i);
            i = run;
            continue;
        }
        if (next < x->nmentions && x->mentions[next].start == i) {
            add_mention_code(x, next);
            i = x->mentions[next].end;
            next++;
            continue;
        }
        unsigned char c = (unsigned char)t[i];
        if (i + 2 < n && (c == 0xEE || (c == 0xEF && (unsigned char)t[i + 1] <= 0xA3))) {
            sb_addc(sb, '?');
            i += 3;
            continue;
        }
        sb_addc(sb, (char)c);
        i++;
    }
}

/* The text the patterns see, into x->subject: mentions replaced by U+E000
 * + index, whose offsets go to x->mention_offset; private use code points
 * already in the text become '?' so they cannot pose as mentions (sought
 * only when the text holds a byte beyond ASCII, as folding tells). With
 * neither, as in most sentences that name nobody, the folded text itself. */
static void mask(relmap_extractor *x, const char *t, size_t n, int beyond_ascii)
{
    int private_use = beyond_ascii && (memchr(t, 0xEE, n) || memchr(t, 0xEF, n));
    x->subject = t;
    x->subject_length = n;
    if (!private_use && !x->nmentions)
        return;
    sb_clear(&x->masked);
    XGROW(x->mention_offset, x->mention_offset_cap, x->nmentions + 1);
    if (private_use || !mask_between_mentions(x, t, n))
        mask_bytes(x, t, n);
    x->subject = x->masked.data;
    x->subject_length = x->masked.length;
}

/* The sentence as a pending one's rules see it. */
typedef struct view {
    const char *subject;
    size_t length;
    int kind; /* SUBJECT_ASCII or SUBJECT_ANY */
    const pending_mention *mentions;
    size_t nmentions;
} view;

static view view_of(const relmap_extractor *x, const pending_sentence *p)
{
    return (view){x->batch_subjects.data + p->subject_at, p->subject_length, p->kind,
                  x->batch_mentions + p->mentions_at, p->nmentions};
}

static int mention_at(const view *v, PCRE2_SIZE offset)
{
    const unsigned char *u = (const unsigned char *)v->subject + offset;
    unsigned cp = ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
    return (int)(cp - MENTION_BASE);
}

/* The mentions a slot took: the first set group among `groups`, a name or
 * a list of names (rules.h SLOT_LIST), narrowed to those its edge is of
 * (coord.h). 0 when none is set. When the narrowing cut off the match's
 * last names, *resume is where the next search may begin (those names may
 * begin a match of their own), else unchanged. */
static inline int slot(const relmap_extractor *x, const view *v, const int *groups, int count,
                       int *first, int *last, PCRE2_SIZE *resume)
{
    const PCRE2_SIZE *ov = x->ovector;
    uint32_t pairs = x->ovector_pairs;
    for (int k = 0; k < count; k++) {
        uint32_t g = (uint32_t)groups[k];
        if (g >= pairs || ov[2 * g] == PCRE2_UNSET)
            continue;
        PCRE2_SIZE from = ov[2 * g], to = ov[2 * g + 1];
        *first = *last = mention_at(v, from);
        if (to - from > MENTION_WIDTH) { /* a list */
            *last = mention_at(v, to - MENTION_WIDTH);
            coord_narrow(v->subject, v->length, ov[0], ov[1], from, to, first, last);
            if (to == ov[1] && *last == *first)
                *resume = v->mentions[*first].offset + MENTION_WIDTH;
        }
        return 1;
    }
    return 0;
}

typedef struct sentence_edge {
    int source, relation, target;
    const rule *rule;
} sentence_edge;

typedef struct sentence_edges {
    sentence_edge items[MAX_SENTENCE_EDGES];
    size_t count;
} sentence_edges;

static int same_entity(const relmap_extractor *x, int a, int b)
{
    return a == b || strcmp(ent_name(x, a), ent_name(x, b)) == 0;
}

static void add_edge(const relmap_extractor *x, sentence_edges *edges, int source, int rel,
                     int target, const rule *ru)
{
    if (source == NO_ENTITY || target == NO_ENTITY || same_entity(x, source, target))
        return;
    for (size_t i = 0; i < edges->count; i++) {
        const sentence_edge *e = &edges->items[i];
        if (e->relation == rel && same_entity(x, e->source, source)
            && same_entity(x, e->target, target))
            return;
    }
    if (edges->count < MAX_SENTENCE_EDGES)
        edges->items[edges->count++] = (sentence_edge){source, rel, target, ru};
}

/* Has the sentence an edge of relation `rel` from `source` (the other end
 * NO_ENTITY), or to `target` (the other NO_ENTITY)? */
static int has_edge(const sentence_edges *edges, int source, int rel, int target)
{
    for (size_t i = 0; i < edges->count; i++) {
        const sentence_edge *e = &edges->items[i];
        if (e->relation == rel && (e->source == source || e->target == target))
            return 1;
    }
    return 0;
}

/* The other end of an edge that involves `root`: its source when root is
 * the target's country; with `either`, also its target when root is the
 * source's. NO_ENTITY when the edge does not involve root. */
static int other_end(const relmap_extractor *x, int source, int target, int root, int either)
{
    if (ent_root(x, target) == root)
        return source;
    if (either && ent_root(x, source) == root)
        return target;
    return NO_ENTITY;
}

/* May an edge of relation `rel` give rule ru its end from context? */
static int context_relation(const rule *ru, int rel)
{
    if (!ru->ncontext_relations)
        return 1;
    for (size_t i = 0; i < ru->ncontext_relations; i++)
        if (ru->context_relations[i] == rel)
            return 1;
    return 0;
}

/* The record of the history's edges at a root: the number of the document
 * it is of (another's reads as empty); then for each relation, 1 + the
 * index of the latest edge whose target has that root ("on" it); then the
 * same for its source ("by" it); 0 for none. NULL when it is empty and not
 * to be filled. */
static uint32_t *root_record(relmap_extractor *x, int root, int fill)
{
    size_t stride = 1 + 2 * x->rules->nrelations;
    uint32_t *rec;
    if (root >= 0) {
        rec = x->root_decl + (size_t)root * stride;
    } else {
        size_t k = (size_t)(-(root + 1));
        if (k >= x->root_dyn_records) {
            if (!fill)
                return NULL;
            size_t n = x->root_dyn_records * 2 > k + 16 ? x->root_dyn_records * 2 : k + 16;
            x->root_dyn = xrealloc(x->root_dyn, n * stride * sizeof *x->root_dyn);
            memset(x->root_dyn + x->root_dyn_records * stride, 0,
                   (n - x->root_dyn_records) * stride * sizeof *x->root_dyn);
            x->root_dyn_records = n;
        }
        rec = x->root_dyn + k * stride;
    }
    if (rec[0] != x->document_number) {
        if (!fill)
            return NULL;
        memset(rec, 0, stride * sizeof *rec);
        rec[0] = x->document_number;
    }
    return rec;
}

void history_reroot(relmap_extractor *x, int ref)
{
    int root = ent_root(x, ref);
    if (root == ref)
        return;
    uint32_t *to = root_record(x, root, 1); /* first: it may move the others */
    const uint32_t *from = root_record(x, ref, 0);
    for (size_t k = 1; from && k < 1 + 2 * x->rules->nrelations; k++)
        if (from[k] > to[k])
            to[k] = from[k];
}

/* Whoever last acted on `source` (or on anything of its country); with
 * `either`, whoever it last dealt with in either direction; by an edge of
 * one of rule ru's context relations. In this sentence first, then before
 * it: the latest such edge, as a walk back through the history would find
 * it, from the root's record. */
static int last_actor(relmap_extractor *x, const sentence_edges *now, int source, int either,
                      const rule *ru)
{
    int root = ent_root(x, source), who;
    for (size_t i = now->count; i-- > 0;) {
        const sentence_edge *e = &now->items[i];
        if (context_relation(ru, e->relation)
            && (who = other_end(x, e->source, e->target, root, either)) != NO_ENTITY)
            return who;
    }
    const uint32_t *rec = root_record(x, root, 0);
    if (!rec)
        return NO_ENTITY;
    size_t nrel = x->rules->nrelations;
    uint32_t on = 0, by = 0;
    for (size_t k = 0; k < (ru->ncontext_relations ? ru->ncontext_relations : nrel); k++) {
        size_t rel = ru->ncontext_relations ? (size_t)ru->context_relations[k] : k;
        if (rec[1 + rel] > on)
            on = rec[1 + rel];
        if (either && rec[1 + nrel + rel] > by)
            by = rec[1 + nrel + rel];
    }
    /* an edge both on and by the root is the one other_end reads as on it */
    if (on && on >= by)
        return x->history[on - 1].source;
    return by ? x->history[by - 1].target : NO_ENTITY;
}

/* The last rule of a batch that gave up on its sentence, in the order the
 * sentences ran their rules one by one: the error the caller is told. */
typedef struct gave_up {
    int set, code;
    uint32_t sentence, rule;
    int mode;
} gave_up;

static void note_gave_up(gave_up *g, uint32_t sentence, int mode, uint32_t k, int code)
{
    if (g->set && (sentence < g->sentence || (sentence == g->sentence && mode < g->mode)
                   || (sentence == g->sentence && mode == g->mode && k < g->rule)))
        return;
    *g = (gave_up){1, code, sentence, k, mode};
}

/* A rule's pattern, as compiled for the kind of subject, against the
 * subject from `start`: by the JIT's fast path when the pattern has JIT
 * code (it skips pcre2_match's checks of the arguments;
 * PCRE2_MATCH_INVALID_UTF keeps invalid UTF-8 safe there). */
static int match_rule(relmap_extractor *x, const view *v, const rule *ru, PCRE2_SIZE start)
{
    PCRE2_SPTR s = (PCRE2_SPTR)v->subject;
    rule_code *c = &x->codes[SUBJECT_KINDS * (size_t)(ru - x->rules->rules) + (size_t)v->kind];
    if (!c->code)
        *c = rules_code(x->rules, ru, v->kind);
    if (c->jit == JIT_READY)
        return pcre2_jit_match(c->code, s, v->length, start, 0, x->match_data,
                               x->match_context);
    /* an ASCII subject is valid UTF-8 (rules.c, ASCII_PATTERN_OPTIONS) */
    uint32_t options = v->kind == SUBJECT_ASCII ? PCRE2_NO_UTF_CHECK : 0;
    return pcre2_match(c->code, s, v->length, start, options, x->match_data, x->match_context);
}

/* One edge of a match: from mention src to mention tgt, or in the fallback
 * modes, from or to whom the context gives (src or tgt is then -1). A {TGT}
 * rule's edge goes to the batch's slot matches, another's to `edges`. */
static void take_edge(relmap_extractor *x, uint32_t s, const rule *ru, int mode, int src,
                      int tgt, const view *v, sentence_edges *edges, int coordinated)
{
    int source = src >= 0 ? v->mentions[src].ref : NO_ENTITY;
    int target = tgt >= 0 ? v->mentions[tgt].ref : NO_ENTITY;
    if (mode == SOURCE_ACTOR) {
        /* a fallback: only when no rule named who did this to the target */
        if (!has_edge(edges, NO_ENTITY, ru->relation, target))
            source = last_actor(x, edges, target, 0, ru);
    } else if (mode != TARGET_SLOT && !has_edge(edges, source, ru->relation, NO_ENTITY)) {
        /* a fallback: only when no rule named this verb's target */
        target = last_actor(x, edges, source, mode == TARGET_COUNTERPART, ru);
        /* talks are suspended with a country, not with its envoy or agency */
        if (mode == TARGET_COUNTERPART && target != NO_ENTITY)
            target = ent_root(x, target);
    }
    if (x->trace && !coordinated)
        x->trace->rule(x->trace_context, x, ru, 1, src, tgt, source, target);
    else if (x->trace && x->trace->coordinated)
        x->trace->coordinated(x->trace_context, x, ru, src, tgt, source, target);
    if (mode == TARGET_SLOT) {
        XGROW(x->batch_matches, x->batch_matches_cap, x->nbatch_matches + 1);
        x->batch_matches[x->nbatch_matches++] = (slot_match){source, target, ru, s, -1};
    } else {
        add_edge(x, edges, source, ru->relation, target, ru);
    }
}

/* A match whose slots took mentions src_first..src_last and
 * tgt_first..tgt_last (-1: no target slot): an edge from each of the one
 * to each of the other, the slots' first names' first. */
static void take_match(relmap_extractor *x, const view *v, uint32_t s, const rule *ru,
                       int mode, int src_first, int src_last, int tgt_first, int tgt_last,
                       sentence_edges *edges)
{
    for (int a = src_first; a <= src_last; a++)
        for (int b = tgt_first; b <= tgt_last; b++)
            take_edge(x, s, ru, mode, a, b, v, edges, a != src_first || b != tgt_first);
}

/* Run one rule over pending sentence `s`. A match of a {TGT} rule goes to
 * the batch's slot matches, for the sentence to take in its turn; another
 * rule's edge, whose target may be an earlier edge's, to `edges` at once. */
static void run_rule(relmap_extractor *x, uint32_t s, const rule *ru, int mode,
                     uint32_t latest, sentence_edges *edges, gave_up *g)
{
    view v = view_of(x, &x->batch[s]);
    PCRE2_SIZE start = 0;
    int matched = 0;
    /* the mentions a match holds; those before `m` are behind the search */
    size_t need = ru->triggers ? ru->triggers->slots : 0, m = 0;
    while (start <= v.length) {
        int rc = match_rule(x, &v, ru, start);
        if (rc == PCRE2_ERROR_NOMATCH) {
            if (!matched && x->trace)
                x->trace->rule(x->trace_context, x, ru, 0, -1, -1, NO_ENTITY, NO_ENTITY);
            return;
        }
        if (rc < 0) {
            note_gave_up(g, s, mode, (uint32_t)(ru - x->rules->rules), rc);
            return;
        }
        matched = 1;
        const PCRE2_SIZE *ov = x->ovector;
        PCRE2_SIZE next = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        int src_first = -1, src_last = -1, tgt_first = -1, tgt_last = -1;
        /* a source=actor rule's one slot is its target's */
        if (mode == SOURCE_ACTOR
                ? slot(x, &v, ru->tgt_groups, ru->ntgt, &tgt_first, &tgt_last, &next)
                : slot(x, &v, ru->src_groups, ru->nsrc, &src_first, &src_last, &next)) {
            if (mode == TARGET_SLOT)
                slot(x, &v, ru->tgt_groups, ru->ntgt, &tgt_first, &tgt_last, &next);
            take_match(x, &v, s, ru, mode, src_first, src_last, tgt_first, tgt_last, edges);
        }
        /* keep to code point boundaries */
        while (next < v.length && ((unsigned char)v.subject[next] & 0xC0) == 0x80)
            next++;
        start = next;
        if (start > latest)
            return; /* a clause's literals all begin before it */
        while (m < v.nmentions && v.mentions[m].offset < start)
            m++;
        if (v.nmentions - m < need)
            return; /* too few mentions left for another match */
    }
}

static void run_reciprocal(relmap_extractor *x, uint32_t s, const rule *ru,
                           sentence_edges *edges)
{
    const pending_sentence *p = &x->batch[s];
    view v = view_of(x, p);
    int rc = match_rule(x, &v, ru, 0);
    if (x->trace)
        x->trace->rule(x->trace_context, x, ru, rc >= 0, -1, -1, NO_ENTITY, NO_ENTITY);
    if (rc < 0)
        return;
    /* the parties: those named in this sentence first, then before it */
    int a = p->parties[0], b = p->parties[1];
    for (size_t i = 0; i < v.nmentions; i++) {
        int root = ent_root(x, v.mentions[i].ref);
        if (root != a) {
            b = a;
            a = root;
        }
    }
    if (a != NO_ENTITY && b != NO_ENTITY) {
        add_edge(x, edges, b, ru->relation, a, ru);
        add_edge(x, edges, a, ru->relation, b, ru);
    }
}

static int evidence_space(unsigned char c)
{
    return c <= 0x20 || c == 0x7F; /* white space and control bytes */
}

/* The sentence on one line: each run of white space or control bytes one
 * space, none at either end. */
static void fold_evidence(strbuf *sb, const char *s, size_t n)
{
    sb_clear(sb);
    sb_reserve(sb, n);
    /* most sentences are on one line already: single spaces between words,
     * none at either end, no control byte */
    size_t k = 0;
#ifdef __SSE2__
    /* 16 bytes at a time, with the byte after each: no control byte, no
     * space before a space (and none at either end, checked below) */
    if (n > 0 && s[0] != ' ') {
        const __m128i space = _mm_set1_epi8(' '), del = _mm_set1_epi8(0x7F);
        const __m128i minus_one = _mm_set1_epi8(-1);
        for (; k + 17 <= n; k += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
            __m128i after = _mm_loadu_si128((const __m128i *)(const void *)(s + k + 1));
            /* 0x00 to 0x1F: >= 0 and < ' ' as signed bytes */
            __m128i control = _mm_and_si128(_mm_cmpgt_epi8(v, minus_one),
                                            _mm_cmplt_epi8(v, space));
            control = _mm_or_si128(control, _mm_cmpeq_epi8(v, del));
            __m128i double_space =
                _mm_and_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(after, space));
            if (_mm_movemask_epi8(_mm_or_si128(control, double_space)))
                break; /* the bytes one by one find which */
        }
    }
#endif
    while (k < n) {
        unsigned char c = (unsigned char)s[k];
        if (evidence_space(c)
            && (c != ' ' || k == 0 || k + 1 == n || (unsigned char)s[k + 1] == ' '))
            break;
        k++;
    }
    if (k == n) {
        sb_add(sb, s, n);
        if (!sb->data)
            sb_adds(sb, "");
        return;
    }
    for (size_t i = 0; i < n;) {
        while (i < n && evidence_space((unsigned char)s[i]))
            i++;
        size_t run = i;
        while (run < n && !evidence_space((unsigned char)s[run]))
            run++;
        if (run == i)
            break;
        if (sb->length)
            sb_addc(sb, ' ');
        sb_add(sb, s + i, run - i);
        i = run;
    }
    if (!sb->data)
        sb_adds(sb, "");
}

/* The country (the top of the chain) an entity belongs to; "" for a top. */
static const char *country_name(const relmap_extractor *x, int ref)
{
    int root = ent_root(x, ref);
    return root == ref ? "" : ent_name(x, root);
}

typedef struct doc_run {
    relmap_extractor *x;
    const char *document;
    relmap_match_fn fn;
    void *context;
    relmap_error *err;
    int rc;
} doc_run;

/* The sentence's edges: the evidence, the rows, the document's history. */
static void give_edges(relmap_extractor *x, doc_run *d, const pending_sentence *p,
                       const sentence_edges *edges)
{
    const relmap_rules *r = x->rules;
    if (x->trace)
        x->trace->edges(x->trace_context, x, edges->count);
    if (!edges->count)
        return;
    fold_evidence(&x->evidence, p->text, p->length);
    for (size_t i = 0; i < edges->count; i++) {
        const sentence_edge *e = &edges->items[i];
        relmap_match m = {ent_name(x, e->source), r->relations[e->relation].name,
                          ent_name(x, e->target), d->document, p->line,
                          e->rule->origin, x->evidence.data, ent_type(x, e->source),
                          country_name(x, e->source), ent_type(x, e->target),
                          country_name(x, e->target)};
        d->fn(&m, d->context);
        XGROW(x->history, x->history_cap, x->nhistory + 1);
        x->history[x->nhistory++] = (past_edge){e->source, e->target};
        size_t nrel = r->nrelations;
        root_record(x, ent_root(x, e->target), 1)[1 + e->relation] = (uint32_t)x->nhistory;
        root_record(x, ent_root(x, e->source), 1)[1 + nrel + e->relation] = (uint32_t)x->nhistory;
    }
}

/* The batch's rules. A pattern's JIT code (some 20 KB a pattern) met once a
 * sentence is met cold, out of the nearest caches, its branches unknown to
 * the predictor: so the rules with a {TGT} slot, which only their sentence
 * tells, run rule by rule over every sentence of the batch. Then sentence by
 * sentence, in order, as one at a time would: each takes its slot matches
 * in rule order, then runs its other rules (whose targets are earlier edges:
 * its own, then the document's history), and gives its edges. */
void run_batch(relmap_extractor *x)
{
    if (!x->nbatch)
        return;
    const relmap_rules *r = x->rules;
    gave_up g = {0};
    /* each rule's list, in sentence order: built backwards */
    for (size_t i = x->nbatch_rules; i-- > 0;) {
        pending_rule *pr = &x->batch_rules[i];
        if (pr->mode != TARGET_SLOT)
            continue;
        pr->next = x->batch_rule_first[pr->rule];
        x->batch_rule_first[pr->rule] = (int32_t)i;
    }
    x->nbatch_matches = 0;
    for (size_t k = 0; k < r->nrules; k++) {
        for (int32_t i = x->batch_rule_first[k]; i >= 0; i = x->batch_rules[i].next) {
            const pending_rule *pr = &x->batch_rules[i];
            if (!pr->admitted) { /* not tried: as it would be, no match */
                x->trace->rule(x->trace_context, x, &r->rules[k], -1, -1, -1, NO_ENTITY,
                               NO_ENTITY);
                continue;
            }
            run_rule(x, pr->sentence, &r->rules[k], TARGET_SLOT, pr->latest, NULL, &g);
        }
        x->batch_rule_first[k] = -1;
    }
    /* each sentence's slot matches, in rule order: built backwards */
    for (size_t i = x->nbatch_matches; i-- > 0;) {
        slot_match *sm = &x->batch_matches[i];
        sm->next = x->batch[sm->sentence].slot_matches;
        x->batch[sm->sentence].slot_matches = (int32_t)i;
    }
    for (uint32_t s = 0; s < x->nbatch; s++) {
        const pending_sentence *p = &x->batch[s];
        sentence_edges edges;
        edges.count = 0; /* the items are written before they are read */
        for (int32_t i = p->slot_matches; i >= 0; i = x->batch_matches[i].next) {
            const slot_match *sm = &x->batch_matches[i];
            add_edge(x, &edges, sm->source, sm->rule->relation, sm->target, sm->rule);
        }
        for (size_t i = p->rules_at; i < p->rules_at + p->nrules; i++) {
            const pending_rule *pr = &x->batch_rules[i];
            const rule *ru = &r->rules[pr->rule];
            if (pr->mode == TARGET_SLOT)
                continue;
            if (!pr->admitted)
                x->trace->rule(x->trace_context, x, ru, -1, -1, -1, NO_ENTITY, NO_ENTITY);
            else if (pr->mode == TARGET_RECIPROCAL)
                run_reciprocal(x, s, ru, &edges);
            else
                run_rule(x, s, ru, pr->mode, pr->latest, &edges, &g);
        }
        give_edges(x, x->run, p, &edges);
    }
    if (g.set) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(g.code, message, sizeof message);
        seterr(x->run->err, RELMAP_ELIMIT, x->run->document, x->batch[g.sentence].line, 0,
               "rule %s gave up on this sentence: %s", r->rules[g.rule].origin,
               (const char *)message);
        x->run->rc = RELMAP_ELIMIT;
    }
    x->nbatch = x->nbatch_rules = x->nbatch_mentions = x->nbatch_matches = 0;
    sb_clear(&x->batch_subjects);
}

/* The sentences a batch holds at most before its rules run. */
#define BATCH_SENTENCES 256
/* ... and the bytes of their texts, so that long sentences (up to 64 KiB
 * each, with a mention code every 3 bytes) do not make a batch large */
#define BATCH_BYTES (256 * 1024)

/* The sentence to the batch, with the rules batch_rules holds from
 * rules_at, and its subject and mentions when it was masked (else it runs
 * no rule: it waits only for the trace). */
static void add_to_batch(relmap_extractor *x, const relmap_sentence *sentence,
                         size_t rules_at, int masked, int kind)
{
    XGROW(x->batch, x->batch_cap, x->nbatch + 1);
    pending_sentence *p = &x->batch[x->nbatch++];
    p->text = sentence->text;
    p->length = sentence->length;
    p->line = sentence->line;
    p->subject_at = x->batch_subjects.length;
    p->subject_length = masked ? x->subject_length : 0;
    sb_add(&x->batch_subjects, x->subject, p->subject_length);
    p->mentions_at = x->nbatch_mentions;
    p->nmentions = masked ? x->nmentions : 0;
    XGROW(x->batch_mentions, x->batch_mentions_cap, x->nbatch_mentions + p->nmentions + 1);
    for (size_t i = 0; i < p->nmentions; i++)
        x->batch_mentions[x->nbatch_mentions + i] =
            (pending_mention){x->mentions[i].ref, x->mention_offset[i]};
    x->nbatch_mentions += p->nmentions;
    p->rules_at = rules_at;
    p->nrules = x->nbatch_rules - rules_at;
    p->parties[0] = x->parties[0];
    p->parties[1] = x->parties[1];
    p->slot_matches = -1;
    p->kind = kind;
}

static int on_sentence(const relmap_sentence *sentence, void *context)
{
    doc_run *d = context;
    relmap_extractor *x = d->x;
    const relmap_rules *r = x->rules;
    /* a plain sentence (most) folds to itself, as fold_view would find */
    size_t n = sentence->length;
    const char *folded = sentence->text;
    int beyond_ascii =
        sentence->plain ? 0 : fold_view(&x->folded, sentence->text, sentence->length, &folded, &n);
    find_mentions(x, folded, n);
    if (x->trace)
        x->trace->sentence(x->trace_context, x, sentence, folded, n);
    /* A rule with a {TGT} needs two mentions, a target=actor rule one, and a
     * reciprocal rule two parties named so far; and any rule needs one of
     * its trigger words. A sentence that gives no rule a chance costs little
     * more than finding its mentions. */
    int parties = x->parties[1] != NO_ENTITY || x->nmentions >= 2;
    size_t rules_at = x->nbatch_rules;
    int masked = x->nmentions < MENTION_MAX && (x->nmentions > 0 || parties);
    if (masked) {
        mask(x, folded, n, beyond_ascii);
        /* with no mention only the reciprocal rules may fire: their own
         * automaton, a fraction of the size, tells which */
        int reciprocal_only = x->nmentions == 0;
        const trigger_set *set = reciprocal_only ? r->reciprocal_triggers : r->triggers;
        trigger_hits *hits = reciprocal_only ? x->reciprocal_hits : x->hits;
        int some = prefilter_scan(set, x->subject, x->subject_length, hits);
        /* the admitted rules of each mode, in rule order: bits of the scan's
         * (for the reciprocal set, the k-th reciprocal rule is bit k) */
        for (int mode = TARGET_SLOT; some && mode <= TARGET_RECIPROCAL; mode++) {
            if ((mode == TARGET_SLOT && x->nmentions < 2)
                || ((mode == TARGET_ACTOR || mode == TARGET_COUNTERPART || mode == SOURCE_ACTOR)
                    && x->nmentions < 1)
                || (mode == TARGET_RECIPROCAL && !parties))
                continue;
            for (size_t w = 0; w < hits->words; w++) {
                uint64_t bits = hits->admitted[w];
                if (!reciprocal_only)
                    bits &= x->mode_bits[mode][w];
                for (; bits; bits &= bits - 1) {
                    size_t k = w * 64 + (size_t)__builtin_ctzll(bits);
                    /* its trigger words are here: are the mentions on the
                     * sides its slots need? */
                    uint32_t latest;
                    int admitted = prefilter_slots_admit(set, k, hits, x->mention_offset,
                                                         x->nmentions, MENTION_WIDTH, &latest);
                    if (!admitted && !x->trace)
                        continue;
                    XGROW(x->batch_rules, x->batch_rules_cap, x->nbatch_rules + 1);
                    x->batch_rules[x->nbatch_rules++] = (pending_rule){
                        (uint32_t)(reciprocal_only ? x->by_mode[mode][k] : k),
                        (uint32_t)x->nbatch, (unsigned char)mode, (unsigned char)admitted, -1,
                        latest};
                }
            }
        }
    }
    /* a sentence that runs no rule gives no edge: it waits only to be
     * traced in its turn */
    if (x->nbatch_rules > rules_at || x->trace)
        add_to_batch(x, sentence, rules_at, masked, beyond_ascii ? SUBJECT_ANY : SUBJECT_ASCII);
    if (x->trace || x->nbatch >= BATCH_SENTENCES || x->batch_subjects.length >= BATCH_BYTES)
        run_batch(x);
    learn_from_sentence(x, folded, n);
    return 0;
}

int relmap_extract_document(relmap_extractor *x, const char *document_name, const char *text,
                            size_t length, relmap_match_fn fn, void *context, relmap_error *err)
{
    reset_document(x);
    doc_run d = {x, document_name, fn, context, err, 0};
    x->run = &d;
    relmap_split(text, length, on_sentence, &d);
    run_batch(x);
    x->run = NULL;
    reset_document(x);
    return d.rc;
}

/*
 * explain.c - showing a rule author how relmap reads text.
 *
 * `relmap explain` traces extraction: for each sentence, where the splitter
 * put it, the entities found (the text as folded, the entity, its place),
 * each rule that fired with what its slots took, and the edges. Coverage
 * (`--misses`) runs a corpus and lists the sentences that name two entities
 * or more but gave no edge, and the rules that never fired.
 */
#include <stdlib.h>
#include <string.h>

#include "extract.h"

typedef struct explainer {
    strbuf out;
    unsigned flags;
    unsigned line;  /* 0: every sentence; else only those on this line */
    int shown;      /* the current sentence is shown */
    unsigned number;
    const char *folded;
} explainer;

static const char *paint(const explainer *e, const char *code)
{
    return e->flags & RELMAP_EXPLAIN_COLOUR ? code : "";
}

#define BOLD "\033[1m"
#define GREEN "\033[32m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static void describe_entity(strbuf *sb, const relmap_extractor *x, int ref)
{
    int root = ent_root(x, ref);
    sb_addf(sb, "%s (%s%s%s)", ent_name(x, ref), ent_type(x, ref), root != ref ? ", of " : "",
            root != ref ? ent_name(x, root) : "");
}

static void on_sentence(void *context, const relmap_extractor *x, const relmap_sentence *s,
                        const char *folded, size_t n)
{
    explainer *e = context;
    e->number++;
    e->shown = !e->line || s->line == e->line;
    e->folded = folded;
    if (!e->shown)
        return;
    sb_addf(&e->out, "%ssentence %u%s, line %u, column %u:\n  %.*s\n", paint(e, BOLD), e->number,
            paint(e, RESET), s->line, s->column, (int)n, folded);
    if (!x->nmentions) {
        sb_adds(&e->out, "  entities: none\n");
        return;
    }
    sb_adds(&e->out, "  entities:\n");
    for (size_t i = 0; i < x->nmentions; i++) {
        const mention *m = &x->mentions[i];
        sb_addf(&e->out, "    %zu-%zu \"%.*s\" -> ", m->start + 1, m->end,
                (int)(m->end - m->start), folded + m->start);
        describe_entity(&e->out, x, m->ref);
        sb_addc(&e->out, '\n');
    }
}

static void slot_text(strbuf *sb, const explainer *e, const relmap_extractor *x, int index)
{
    const mention *m = &x->mentions[index];
    sb_addf(sb, "\"%.*s\"", (int)(m->end - m->start), e->folded + m->start);
}

/* "SRC=... TGT=...", or the end the context gave, or that none did */
static void edge_ends(strbuf *sb, const explainer *e, const relmap_extractor *x,
                      int source_mention, int target_mention, int source, int target)
{
    if (source_mention < 0) { /* a source=actor rule's */
        if (source != NO_ENTITY)
            sb_addf(sb, "source from context: %s;", ent_name(x, source));
        else
            sb_adds(sb, "no source in context;");
        sb_adds(sb, " TGT=");
        slot_text(sb, e, x, target_mention);
        return;
    }
    sb_adds(sb, "SRC=");
    slot_text(sb, e, x, source_mention);
    if (target_mention >= 0) {
        sb_adds(sb, " TGT=");
        slot_text(sb, e, x, target_mention);
    } else if (target != NO_ENTITY) {
        sb_addf(sb, " target from context: %s", ent_name(x, target));
    } else {
        sb_adds(sb, ", no target in context");
    }
}

static void on_rule(void *context, const relmap_extractor *x, const rule *ru, int matched,
                    int source_mention, int target_mention, int source, int target)
{
    explainer *e = context;
    if (!e->shown || (matched <= 0 && !(e->flags & RELMAP_EXPLAIN_ALL)))
        return;
    const char *name = x->rules->relations[ru->relation].name;
    if (matched <= 0) {
        sb_addf(&e->out, "  %strigger words, %s: %s (%s)%s\n", paint(e, DIM),
                matched < 0 ? "not tried (too few entities on the sides its slots need)"
                            : "no match",
                ru->origin, name, paint(e, RESET));
        return;
    }
    sb_addf(&e->out, "  rule %s (%s) fired", ru->origin, name);
    if (source_mention >= 0 || target_mention >= 0) {
        sb_adds(&e->out, ": ");
        edge_ends(&e->out, e, x, source_mention, target_mention, source, target);
    } else if (ru->target_mode == TARGET_RECIPROCAL) {
        sb_adds(&e->out, ": the last two parties named, both ways");
    }
    sb_addc(&e->out, '\n');
}

static void on_coordinated(void *context, const relmap_extractor *x, const rule *ru,
                           int source_mention, int target_mention, int source, int target)
{
    explainer *e = context;
    if (!e->shown)
        return;
    sb_adds(&e->out, "    also, from a list of names: ");
    edge_ends(&e->out, e, x, source_mention, target_mention, source, target);
    (void)ru;
    sb_addc(&e->out, '\n');
}

static void on_edges(void *context, const relmap_extractor *x, size_t count)
{
    explainer *e = context;
    (void)x;
    if (e->shown && !count)
        sb_adds(&e->out, "  edges: none\n");
}

static void on_match(const relmap_match *m, void *context)
{
    explainer *e = context;
    if (!e->shown)
        return;
    sb_addf(&e->out, "  %sedge: %s -%s-> %s%s (%s)\n", paint(e, GREEN), m->source, m->relation,
            m->target, paint(e, RESET), m->rule);
}

static const trace_hooks explain_hooks = {on_sentence, on_rule, on_edges, on_coordinated};

int relmap_explain(char **out, const relmap_rules *rules, const char *document, const char *text,
                   size_t length, unsigned line, unsigned flags, relmap_error *err)
{
    explainer e = {0};
    e.flags = flags;
    e.line = line;
    relmap_extractor *x = relmap_extractor_new(rules);
    x->trace = &explain_hooks;
    x->trace_context = &e;
    int rc = relmap_extract_document(x, document, text, length, on_match, &e, err);
    relmap_extractor_free(x);
    if (!e.out.length && line)
        sb_addf(&e.out, "no sentence starts on line %u\n", line);
    *out = sb_detach(&e.out);
    return rc;
}

/* ------------------------------------------------------------- coverage */

struct relmap_coverage {
    const relmap_rules *rules;
    relmap_extractor *x;
    struct rule_tally {
        size_t fired; /* its edges */
        /* the sentences it was searched in (its trigger words there, and
         * entities where its slots need them), those of them it matched
         * in, and the number (1 + index) of the last sentence counted in
         * each */
        size_t tried, matched, tried_in, matched_in;
    } *tally; /* per rule */
    strbuf misses;
    size_t nmisses, sentences;
    const char *document;
    /* the current sentence */
    const relmap_sentence *sentence;
    size_t entities, edges;
    strbuf names;
};

static void cov_sentence(void *context, const relmap_extractor *x, const relmap_sentence *s,
                         const char *folded, size_t n)
{
    relmap_coverage *c = context;
    (void)folded;
    (void)n;
    c->sentence = s;
    c->sentences++;
    /* distinct entities, by name */
    sb_clear(&c->names);
    c->entities = 0;
    for (size_t i = 0; i < x->nmentions; i++) {
        const char *name = ent_name(x, x->mentions[i].ref);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(ent_name(x, x->mentions[j].ref), name);
        if (seen)
            continue;
        if (c->entities++)
            sb_adds(&c->names, ", ");
        sb_adds(&c->names, name);
    }
}

static void cov_rule(void *context, const relmap_extractor *x, const rule *ru, int matched,
                     int source_mention, int target_mention, int source, int target)
{
    relmap_coverage *c = context;
    size_t k = (size_t)(ru - x->rules->rules);
    (void)source_mention;
    (void)target_mention;
    struct rule_tally *t = &c->tally[k];
    if (matched >= 0 && t->tried_in != c->sentences) {
        t->tried_in = c->sentences;
        t->tried++;
    }
    if (matched > 0 && t->matched_in != c->sentences) {
        t->matched_in = c->sentences;
        t->matched++;
    }
    if (matched > 0
        && ((source != NO_ENTITY && target != NO_ENTITY) || ru->target_mode == TARGET_RECIPROCAL))
        t->fired++;
}

static void cov_edges(void *context, const relmap_extractor *x, size_t count)
{
    relmap_coverage *c = context;
    (void)x;
    if (count || c->entities < 2)
        return;
    c->nmisses++;
    strbuf text = {0};
    for (size_t i = 0; i < c->sentence->length; i++) {
        char ch = c->sentence->text[i];
        sb_addc(&text, ch == '\n' || ch == '\t' || ch == '\r' ? ' ' : ch);
    }
    sb_addf(&c->misses, "%s:%u: %s\n    entities: %s\n", c->document, c->sentence->line, text.data,
            c->names.data);
    sb_free(&text);
}

static const trace_hooks coverage_hooks = {cov_sentence, cov_rule, cov_edges, NULL};

static void ignore_match(const relmap_match *m, void *context)
{
    (void)m;
    (void)context;
}

relmap_coverage *relmap_coverage_new(const relmap_rules *rules)
{
    relmap_coverage *c = xcalloc(1, sizeof *c);
    c->rules = rules;
    c->tally = xcalloc(rules->nrules + 1, sizeof *c->tally);
    c->x = relmap_extractor_new(rules);
    c->x->trace = &coverage_hooks;
    c->x->trace_context = c;
    return c;
}

void relmap_coverage_add(relmap_coverage *c, const char *document, const char *text, size_t length)
{
    relmap_error err;
    c->document = document;
    relmap_extract_document(c->x, document, text, length, ignore_match, NULL, &err);
}

/* The rules most often searched for no match: a search is the cost of a
 * run (the rule's trigger words are in the sentence, and entities where
 * its slots need them); many without a match point at trigger words that
 * are too common, or at sentences the pattern misreads. */
#define IDLE_SEARCHES_SHOWN 10
static void coverage_idle_searches(strbuf *sb, const relmap_coverage *c)
{
    size_t shown[IDLE_SEARCHES_SHOWN], nshown = 0;
    for (size_t i = 0; i < c->rules->nrules; i++) {
        size_t idle = c->tally[i].tried - c->tally[i].matched;
        if (!idle)
            continue;
        /* into the list, most idle first, rule order among equals */
        size_t at = nshown;
        while (at > 0 && c->tally[shown[at - 1]].tried - c->tally[shown[at - 1]].matched < idle)
            at--;
        if (at >= IDLE_SEARCHES_SHOWN)
            continue;
        if (nshown < IDLE_SEARCHES_SHOWN)
            nshown++;
        memmove(shown + at + 1, shown + at, (nshown - 1 - at) * sizeof *shown);
        shown[at] = i;
    }
    if (!nshown)
        return;
    sb_adds(sb, "\nRules searched most often for no match (sentences searched; of them, "
                "matched):\n");
    for (size_t k = 0; k < nshown; k++) {
        size_t i = shown[k];
        sb_addf(sb, "  %6zu  %6zu  %s (%s)\n", c->tally[i].tried, c->tally[i].matched,
                c->rules->rules[i].origin, c->rules->relations[c->rules->rules[i].relation].name);
    }
}

char *relmap_coverage_report(const relmap_coverage *c)
{
    strbuf sb = {0};
    sb_addf(&sb, "Sentences that name two entities or more but gave no edge (%zu of %zu "
                 "sentences):\n", c->nmisses, c->sentences);
    if (c->misses.length)
        sb_add(&sb, c->misses.data, c->misses.length);
    size_t never = 0;
    for (size_t i = 0; i < c->rules->nrules; i++)
        never += c->tally[i].fired == 0;
    sb_addf(&sb, "\nRules that never fired (%zu of %zu):\n", never, c->rules->nrules);
    for (size_t i = 0; i < c->rules->nrules; i++)
        if (!c->tally[i].fired)
            sb_addf(&sb, "  %s (%s)\n", c->rules->rules[i].origin,
                    c->rules->relations[c->rules->rules[i].relation].name);
    sb_adds(&sb, "\nTimes each rule fired:\n");
    for (size_t i = 0; i < c->rules->nrules; i++)
        if (c->tally[i].fired)
            sb_addf(&sb, "  %6zu  %s (%s)\n", c->tally[i].fired, c->rules->rules[i].origin,
                    c->rules->relations[c->rules->rules[i].relation].name);
    coverage_idle_searches(&sb, c);
    return sb_detach(&sb);
}

void relmap_coverage_free(relmap_coverage *c)
{
    if (!c)
        return;
    relmap_extractor_free(c->x);
    free(c->tally);
    sb_free(&c->misses);
    sb_free(&c->names);
    free(c);
}

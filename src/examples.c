/*
 * examples.c - running the example sentences of a rule set.
 *
 * Each example is extracted as a document of its own with the rules it
 * belongs to; the set of (source, relation, target) it gives must equal the
 * set the example states. A failure is reported at the example's line with
 * the edges expected and the edges found.
 */
#include <stdlib.h>
#include <string.h>

#include "rules.h"

typedef struct found {
    strbuf edges; /* "S -r-> T" joined by ", " */
    strmap seen;
    size_t count;
} found;

static void on_match(const relmap_match *m, void *context)
{
    found *f = context;
    strbuf key = {0};
    sb_addf(&key, "%s -%s-> %s", m->source, m->relation, m->target);
    if (!strmap_get(&f->seen, key.data)) {
        strmap_put(&f->seen, key.data, (void *)1);
        if (f->count++)
            sb_adds(&f->edges, ", ");
        sb_adds(&f->edges, key.data);
    }
    sb_free(&key);
}

static int same_edges(const example *ex, const found *f)
{
    if (ex->nedges != f->count)
        return 0;
    for (size_t i = 0; i < ex->nedges; i++) {
        strbuf key = {0};
        sb_addf(&key, "%s -%s-> %s", ex->edges[i].source, ex->edges[i].relation,
                ex->edges[i].target);
        int hit = strmap_get(&f->seen, key.data) != NULL;
        sb_free(&key);
        if (!hit)
            return 0;
    }
    return 1;
}

int relmap_rules_run_examples(const relmap_rules *rules, relmap_diagnostic_fn fn, void *context,
                              size_t *run, size_t *failed)
{
    relmap_extractor *x = relmap_extractor_new(rules);
    *run = *failed = 0;
    for (size_t i = 0; i < rules->nexamples; i++) {
        const example *ex = &rules->examples[i];
        found f = {0};
        relmap_error err;
        relmap_extract_document(x, "example", ex->text, strlen(ex->text), on_match, &f, &err);
        (*run)++;
        if (!same_edges(ex, &f)) {
            (*failed)++;
            strbuf expected = {0};
            for (size_t k = 0; k < ex->nedges; k++)
                sb_addf(&expected, "%s%s -%s-> %s", k ? ", " : "", ex->edges[k].source,
                        ex->edges[k].relation, ex->edges[k].target);
            relmap_error diag;
            seterr(&diag, RELMAP_ESYNTAX, ex->file, ex->line, ex->column,
                   "example fails: expected %s; got %s", expected.data ? expected.data : "none",
                   f.count ? f.edges.data : "none");
            seterr_source_from_file(&diag);
            if (fn)
                fn(&diag, 1, context);
            sb_free(&expected);
        }
        sb_free(&f.edges);
        strmap_free(&f.seen, NULL);
    }
    relmap_extractor_free(x);
    return *failed ? RELMAP_ESYNTAX : 0;
}

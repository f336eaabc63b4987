/*
 * extract.h - the extractor's state, shared by the mention finder
 * (mentions.c) and the matcher (match.c).
 *
 * Entities are referred to by an int: >= 0 is a declared entity of the rule
 * set; < 0 is -(k + 1) for the k-th entity met in the current document (a
 * titled name, a group such as "Chinese military hackers").
 */
#ifndef RELMAP_EXTRACT_H
#define RELMAP_EXTRACT_H

#include "rules.h"

typedef struct dyn_entity {
    const char *name; /* dyn_index's key, in `names` */
    const char *type;  /* static string */
    int parent;        /* an entity ref, or INT32_MIN for none */
    uint32_t learned;  /* see relmap_extractor.learned */
    int person;        /* of type person */
    int group;         /* of type group */
} dyn_entity;

typedef struct mention {
    size_t start, end; /* bytes in the folded sentence */
    int ref;
    int weak; /* a demonym alone: only used to give a title its country */
} mention;

typedef struct past_edge {
    int source, target;
} past_edge;

#define NO_ENTITY INT32_MIN

/* A sentence whose rules wait in the extractor's batch (match.c): what the
 * rules see of it, kept until they run. */
typedef struct pending_sentence {
    const char *text;          /* as read, for the evidence */
    size_t length;
    unsigned line;
    size_t subject_at, subject_length; /* in relmap_extractor.batch_subjects */
    size_t mentions_at, nmentions;     /* in batch_mentions */
    size_t rules_at, nrules;           /* in batch_rules */
    int parties[2];            /* relmap_extractor.parties as the sentence found them */
    int kind;                  /* of its subject: SUBJECT_ASCII or SUBJECT_ANY */
    int32_t slot_matches;      /* its first in batch_matches, or -1 */
} pending_sentence;

/* A mention of a pending sentence: the entity, and where its code stands
 * in the sentence's masked text. */
typedef struct pending_mention {
    int ref;
    uint32_t offset;
} pending_mention;

/* A rule a pending sentence runs, in the order the sentence runs them. */
typedef struct pending_rule {
    uint32_t rule;     /* in relmap_rules.rules */
    uint32_t sentence; /* in the batch */
    unsigned char mode;
    unsigned char admitted; /* 0: its slots turned it away (kept for the trace) */
    int32_t next;      /* the next of the same rule, in sentence order, or -1 */
    uint32_t latest;   /* no match begins after it (prefilter_slots_admit) */
} pending_rule;

/* A match of a rule with a {TGT} slot, before the sentence's edges take it. */
typedef struct slot_match {
    int source, target;
    const struct rule *rule;
    uint32_t sentence;
    int32_t next; /* the sentence's next match, in rule order, or -1 */
} slot_match;

/* Hooks through which `relmap explain` watches extraction (explain.c). */
typedef struct trace_hooks {
    /* after the sentence's mentions are found */
    void (*sentence)(void *context, const relmap_extractor *x, const relmap_sentence *sentence,
                     const char *folded, size_t length);
    /* a rule that passed its trigger words: whether it matched (1), did not
     * (0), or was not tried, its slots' sides short of entities (-1); the
     * mentions its slots took (-1 when none) and the edge's ends (NO_ENTITY:
     * the context gave none) */
    void (*rule)(void *context, const relmap_extractor *x, const struct rule *rule, int matched,
                 int source_mention, int target_mention, int source, int target);
    /* the edges the sentence gave */
    void (*edges)(void *context, const relmap_extractor *x, size_t count);
    /* after a match, each further edge of the names listed with its slots'
     * (coord.h); may be NULL */
    void (*coordinated)(void *context, const relmap_extractor *x, const struct rule *rule,
                        int source_mention, int target_mention, int source, int target);
} trace_hooks;

struct relmap_extractor {
    const relmap_rules *rules;
    const trace_hooks *trace;
    void *trace_context;
    pcre2_match_data *match_data;
    /* match_data's ovector and its pairs, which stay where they are */
    PCRE2_SIZE *ovector;
    uint32_t ovector_pairs;
    pcre2_match_context *match_context;
    /* per rule and kind of subject (as relmap_rules.lazy_code): code NULL
     * until this extractor first runs it so, then what rules_code gave */
    rule_code *codes;

    /* per document */
    dyn_entity *dyn;
    size_t ndyn, dyn_cap;
    /* the document's names and the keys of its maps below (reset_document
     * gives them all back) */
    strpool names;
    strmap dyn_index;   /* name -> k + 1 */
    /* "Qin" -> ref + offset, see REF_TO_PTR; the keys hashed by hash_lower
     * (strmap_putnh, strmap_getnh), as the finder hashes every word */
    strmap short_forms;
    word_bloom short_forms_bloom; /* hash_lower of its keys; cleared with it */
    /* The finder's gate: the rules' (relmap_rules.gate), and the keys of
     * the document's short forms, so that a word takes one test; the
     * rules' again once a document with short forms is done. */
    word_gate gate;
    /* the keys the document's short forms set in it, so that only their
     * words are put back (all of the gate when there were more) */
#define GATE_ADDED_MAX 64
    unsigned gate_added[GATE_ADDED_MAX];
    size_t ngate_added;
    /* A person's short forms are learned again only when the map may have
     * changed for them: when one of them went to another person since,
     * which clears the mark. Per declared entity (dyn_entity.learned for the
     * document's own): the number of the document they were learned in; 0
     * never matches, as documents count from 1. */
    uint32_t *learned;
    uint32_t document_number;
    strmap numbered;    /* "five" -> ref */
    strmap role_refs;   /* "spokesperson", and a group's noun ("officers") -> ref */
    word_bloom refs_bloom; /* hash_lower of the keys of both; cleared with them */
    uint32_t refs_first;   /* their first letters, a bit each (a-z; 26: others) */
    past_edge *history;
    size_t nhistory, history_cap;
    /* The history by the roots at its edges' ends, so that the last actor
     * on an entity is found without a walk back through it (match.c,
     * root_record): declared roots by index, the document's own by
     * -ref - 1 (root_dyn_records of them). */
    uint32_t *root_decl, *root_dyn;
    size_t root_dyn_records;
    int parties[2];     /* the last two distinct roots named, most recent first */
    /* The sentences whose rules wait to run, rule by rule over all of them
     * (match.c, run_batch); the run of the document they belong to. */
    pending_sentence *batch;
    size_t nbatch, batch_cap;
    strbuf batch_subjects;
    pending_mention *batch_mentions;
    size_t nbatch_mentions, batch_mentions_cap;
    pending_rule *batch_rules;
    size_t nbatch_rules, batch_rules_cap;
    int32_t *batch_rule_first; /* per rule: its first in batch_rules, or -1 */
    slot_match *batch_matches;
    size_t nbatch_matches, batch_matches_cap;
    struct doc_run *run;
    /* the document's entities before the current sentence: those the
     * batch's sentences may name */
    size_t ndyn_before;

    /* per sentence, reused */
    mention *mentions;
    size_t nmentions, mentions_cap;
    /* where the words begin that may be role words ("spokesman"), in
     * order, as find_mentions meets them: learn_from_sentence looks there */
    uint32_t *role_words;
    size_t nrole_words, role_words_cap;
    strbuf folded, masked, evidence;
    uint32_t *mention_offset; /* per mention: its offset in `masked` */
    size_t mention_offset_cap;
    const char *subject;  /* the sentence as the patterns see it: masked, */
    size_t subject_length; /* or folded when there is nothing to mask */
    trigger_hits *hits; /* which rules' trigger words the sentence holds */
    trigger_hits *reciprocal_hits; /* the same of the reciprocal rules alone */
    /* the rules of each target mode, in rule order, and as bits of rule
     * numbers (64 a word), to be met with the trigger scan's */
    size_t *by_mode[TARGET_RECIPROCAL + 1], nby_mode[TARGET_RECIPROCAL + 1];
    uint64_t *mode_bits[TARGET_RECIPROCAL + 1];
};

#define REF_TO_PTR(ref) ((void *)(intptr_t)((int64_t)(ref) + 0x80000001LL))
#define PTR_TO_REF(ptr) ((int)((int64_t)(intptr_t)(ptr) - 0x80000001LL))

/* Of an entity (inline: the finder, the rules and the rows ask often). */
static inline const char *ent_name(const relmap_extractor *x, int ref)
{
    return ref >= 0 ? x->rules->entities[ref].name : x->dyn[-ref - 1].name;
}

static inline const char *ent_type(const relmap_extractor *x, int ref)
{
    return ref >= 0 ? x->rules->entities[ref].type : x->dyn[-ref - 1].type;
}

/* The ref an entity belongs to directly, or NO_ENTITY. */
static inline int ent_parent(const relmap_extractor *x, int ref)
{
    if (ref >= 0) {
        int p = x->rules->entities[ref].parent_index;
        return p >= 0 ? p : NO_ENTITY;
    }
    return x->dyn[-ref - 1].parent;
}

/* The top of its chain (a country, usually); itself when it has no parent.
 * A document's own entities only ever belong to declared ones, so one step
 * reaches the declared chain, whose root is precomputed. */
static inline int ent_root(const relmap_extractor *x, int ref)
{
    if (ref < 0) {
        int parent = x->dyn[-ref - 1].parent;
        if (parent == NO_ENTITY || parent < 0)
            return ref;
        ref = parent;
    }
    return x->rules->entities[ref].root;
}

/* Person `ref`, named without a country so far, has one now: the document's
 * edges of it are its country's too (match.c). */
void history_reroot(relmap_extractor *x, int ref);

/* Find the entity mentions of a folded sentence into x->mentions, and learn
 * what later sentences of the document may refer back to. */
void find_mentions(relmap_extractor *x, const char *text, size_t n);
/* After the sentence's edges are known: remember short forms, roles,
 * numbered groups and the parties named. */
void learn_from_sentence(relmap_extractor *x, const char *text, size_t n);
void reset_document(relmap_extractor *x);
/* Run the rules of the batch's sentences and give their edges: before the
 * document ends, and before a sentence changes what the batch's sentences
 * name (a person given a country). */
void run_batch(relmap_extractor *x);

#endif

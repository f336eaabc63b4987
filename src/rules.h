/*
 * rules.h - the compiled rule set, shared by the parser (rules.c), the
 * mention finder (mentions.c), the matcher (match.c) and the renderer.
 */
#ifndef RELMAP_RULES_H
#define RELMAP_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include "prefilter.h"
#include "util.h"

/* Entity mentions are replaced, in the text the patterns see, by one private
 * use code point each: U+E000 + the mention's index in its sentence. */
#define MENTION_BASE 0xE000u
#define MENTION_MAX 6400u
#define MENTION_WIDTH 3 /* bytes of a mention's code point (U+E000 up) in UTF-8 */
#define MENTION_CLASS "(?-i:[\\x{E000}-\\x{F8FF}])"
/* What {SRC} and {TGT} match: a name, or a list of names ("China and
 * Russia", "Britain, France, and the U.S."), each of which gives the edge
 * (coord.h) */
#define SLOT_LIST                                                                  \
    MENTION_CLASS "(?:(?:, +|,? +(?:and|or) +)(?:the +)?" MENTION_CLASS ")*"
#define NOT_MENTION_CLASS "(?-i:[^\\x{E000}-\\x{F8FF}])"

typedef struct entity {
    char *name;
    char *type;   /* country, person, agency, organisation, group ... */
    char *parent; /* the declared name it belongs to, or NULL */
    int parent_index; /* resolved after loading, -1 when none */
    int root;         /* the top of the parent chain (itself when none) */
    int person;       /* of type person */
    int group;        /* of type group */
    const char *file;
    unsigned line, column;
} entity;

enum alias_kind { ALIAS_NAME, ALIAS_DEMONYM };

/* 32 bytes, two a cache line: the finder reads the length and last byte of
 * many candidates for each one that matches */
typedef struct alias {
    char *text;   /* as written, curly quotes folded to ASCII (once loading
                     ends, in relmap_rules.alias_text) */
    uint32_t length;
    uint32_t head; /* the length of its first word, the alias index's key */
    int entity;
    unsigned char kind;
    unsigned char country; /* a demonym, or the name of an entity of type country */
    unsigned char last;    /* its last byte, A-Z as a-z: most candidates fail there */
} alias;

typedef struct relation {
    char *name;
    char *color;
    char *style;
    char *label;
    const char *file;
    unsigned line, column;
    unsigned patterns;
} relation;

enum target_mode {
    TARGET_SLOT,     /* the {TGT} slot */
    TARGET_ACTOR,    /* whoever last acted on the source in this document */
    TARGET_COUNTERPART, /* whoever the source last dealt with, either way */
    SOURCE_ACTOR,    /* the source from context: whoever last acted on the target */
    TARGET_RECIPROCAL /* the last two parties named, both ways */
};

typedef struct rule {
    int relation;
    pcre2_code *code; /* for ASCII subjects; its JIT code comes on first use: rules_code */
    char *source;     /* the text `code` was compiled from (its alternations factored) */
    size_t source_length;
    const char *file;
    unsigned line, column; /* where the pattern starts */
    char *origin; /* "file:line" */
    int target_mode;
    /* target=actor(accuses,indicts): the relations of the edges its end
     * from context may come from; none listed: any */
    int *context_relations;
    size_t ncontext_relations;
    int src_groups[8], tgt_groups[8]; /* group numbers of the slots */
    int nsrc, ntgt;
    literals *triggers; /* words it cannot match without; NULL: always run */
} rule;

typedef struct example_edge {
    char *source, *relation, *target;
} example_edge;

/* An example sentence of a rule file and the edges it must give (none when
 * nedges is 0). */
typedef struct example {
    char *text;
    const char *file;
    unsigned line, column;
    example_edge *edges;
    size_t nedges;
} example;

typedef struct wordlist {
    char **items;
    size_t count, cap;
    /* built once loading ends: the lengths, the lower-cased items, and
     * which lower-cased first bytes occur */
    size_t *lengths;
    strmap lower;
    unsigned char first[256];
    strmap heads; /* lower-cased first word -> int array: count, then indices */
    word_bloom items_bloom; /* hash_lower of each item */
} wordlist;

struct relmap_rules {
    entity *entities;
    size_t nentities, entities_cap;
    strmap entity_index; /* name -> index + 1 */

    alias *aliases;
    size_t naliases, aliases_cap;
    /* the aliases' texts, one after another, once loading ends: the finder
     * compares a word's candidates without a miss for each */
    char *alias_text;
    /* the lower-cased first words of the aliases (a set: their lists are
     * alias_slots') */
    strmap alias_index;
    /* lower-cased first word of an alias -> int array (count, then indices),
     * longest alias first: a table of 16-byte slots (the key's hash, length
     * and list's offset in alias_lists), the lists one after another; a
     * quarter of strmap's slots, and no pointer to follow */
    struct alias_slot *alias_slots;
    size_t alias_slots_mask;
    int *alias_lists;
    size_t alias_lists_cap;
    /* the mention finder's question about every word, in one pair of loads:
     * may it begin an alias (a key of alias_index), begin a title (the
     * leading letters and digits of one), be a role word (hash_lower) */
    word_sets words;
    /* in front of them: the keys of the words that may be in a set
     * (word_gate_key), and "the", which may refer back */
    word_gate gate;
    /* "the", a third of the words the gate lets through: its hash_lower,
     * its word sets and its aliases (rules_alias_list's list, or NULL), known
     * once */
    uint64_t the_hash;
    unsigned the_sets;
    const int *the_aliases;
    /* the keys (word_gate_key) of the group and government nouns: most
     * words after a country's name are neither */
    word_gate nouns_gate;

    relation *relations;
    size_t nrelations, relations_cap;
    strmap relation_index; /* name -> index + 1 */

    rule *rules;
    size_t nrules, rules_cap;

    wordlist titles;          /* words that introduce a person's name */
    wordlist government_nouns; /* "government", "officials": the country itself */
    wordlist group_nouns;      /* "hackers", "officers": a group of the country */
    wordlist roles;            /* "spokesman": "the spokesman" refers back */

    example *examples;
    size_t nexamples, examples_cap;

    trigger_set *triggers; /* every rule's trigger words, one automaton */
    /* The reciprocal rules' alone, the k-th of them in rule order as rule
     * k: all that a sentence naming nobody can fire, in an automaton small
     * enough to stay in the nearest cache. */
    trigger_set *reciprocal_triggers;

    wordlist files; /* names of every file read, owned here */

    /* Per rule and kind of subject (rule k's at SUBJECT_KINDS * k + kind):
     * the code rules_code gives (for ASCII subjects, the rule's own code), and
     * whether it has JIT code. The rest come when a sentence first needs
     * them, since a corpus runs some rules only (30 of the default 50 on the
     * benchmark corpus), and so that the threads of -j N compile while the
     * other works, where loading did it alone. */
    pcre2_code **lazy_code; /* NULL until compiled */
    unsigned char *jit_state;
    pthread_mutex_t jit_lock; /* over lazy_code and jit_state */
    pthread_cond_t jit_done;  /* a JIT compilation ended */
};

/* The kinds of subject a rule's pattern is compiled for. A subject of
 * ASCII and mention codes (U+E000 up, no letter, digit, space or mark of
 * any kind) is what most sentences give; over it \w, \b, \d, \s and the
 * POSIX classes mean the same with PCRE2_UCP as without, and the pattern
 * compiled without runs in fewer steps (its classes are ASCII tables, not
 * Unicode property lookups). */
enum { SUBJECT_ANY, SUBJECT_ASCII, SUBJECT_KINDS };

enum { JIT_UNTRIED, JIT_READY, JIT_NONE, JIT_COMPILING };
/* The code to run rule `ru` with over a subject of `kind`, and whether it
 * has JIT code (JIT_READY, for pcre2_jit_match) or not (JIT_NONE, for
 * pcre2_match): compiled at the first question, once, whichever thread asks
 * first (JIT_COMPILING meanwhile, which no caller is given). A thread keeps
 * the answer (the extractor's codes), so that it asks once a rule. Loading
 * compiled the code for ASCII subjects (rule.code); should the pattern not
 * compile for any subject, theirs is a copy of that one. */
typedef struct rule_code {
    const pcre2_code *code;
    int jit;
} rule_code;
rule_code rules_code(const relmap_rules *rules, const rule *ru, int kind);

/* Index of an entity by name, or -1. */
int rules_find_entity(const relmap_rules *rules, const char *name);
int rules_find_relation(const relmap_rules *rules, const char *name);
/* The same of the n bytes at `name`. */
int rules_find_relation_n(const relmap_rules *rules, const char *name, size_t n);
/* Candidate aliases whose first word is the `n` bytes at `word`
 * (case-folded); *count is set; NULL when none. Longest first. Candidates
 * only: the word is found by its hash, and the caller compares each alias
 * with its text. */
const int *rules_alias_candidates(const relmap_rules *rules, const char *word, size_t n,
                                  size_t *count);
/* The same for a whole word of `length` bytes (all word bytes, fewer than
 * ALIAS_KEY_MAX) whose hash_lower is `hash` and whose word sets have
 * WORD_ALIAS_HEAD: the mention finder hashes each word once and asks the
 * word sets itself. */
#define ALIAS_KEY_MAX 128
enum { WORD_ALIAS_HEAD = 1, WORD_TITLE_HEAD = 2, WORD_ROLE = 4 };
/* `text` (the word's start, `left` bytes from it; NULL: the whole list)
 * narrows the list to the aliases that can match there (rules_alias_narrow).
 * The order stays. */
#define ALIAS_FOLLOW_NONE 256
const int *rules_alias_candidates_word(const relmap_rules *rules, size_t length, uint64_t hash,
                                       const char *text, size_t left, size_t *count);
/* A word's list in alias_slots (its key the word's lower case, hashed as
 * hash_lower hashes it), or NULL. Its key is not compared: see above. */
typedef struct alias_slot {
    uint64_t hash;
    uint32_t length; /* 0: an empty slot */
    uint32_t list;   /* the list's offset in alias_lists */
} alias_slot;
static inline const int *rules_alias_list(const relmap_rules *rules, size_t length, uint64_t hash)
{
    if (length == 0 || length >= ALIAS_KEY_MAX || !rules->alias_slots)
        return NULL;
    for (size_t i = hash & rules->alias_slots_mask;; i = (i + 1) & rules->alias_slots_mask) {
        const alias_slot *s = &rules->alias_slots[i];
        if (!s->length)
            return NULL;
        if (s->hash == hash && s->length == length)
            return rules->alias_lists + s->list;
    }
}
/* Where the byte that narrows a list stands, from its first word's start
 * (past the first word); 0 for a list too short to narrow. */
static inline size_t rules_alias_follow_at(const int *list)
{
    return (size_t)list[list[0] + 1];
}
/* That byte of a text (`left` bytes from the first word's start), A-Z as
 * a-z; ALIAS_FOLLOW_NONE when the text ends before it; -1 when the list is
 * not narrowed. */
static inline int rules_alias_follow_byte(const int *list, const char *text, size_t left)
{
    size_t at = rules_alias_follow_at(list);
    if (!at)
        return -1;
    return at < left ? lower_byte((unsigned char)text[at]) : ALIAS_FOLLOW_NONE;
}
/* The list narrowed to the aliases that may match before `follow` (as
 * rules_alias_follow_byte gives it; -1: the whole list). */
static inline const int *rules_alias_follow(const int *list, int follow, size_t *count)
{
    size_t n = (size_t)list[0];
    if (follow < 0 || follow > ALIAS_FOLLOW_NONE || !list[n + 1]) {
        *count = n;
        return list + 1;
    }
    /* the bucket of the byte: see build_alias_index */
    const int *offsets = list + n + 2, *items = offsets + ALIAS_FOLLOW_NONE + 2;
    *count = (size_t)(offsets[follow + 1] - offsets[follow]);
    return items + offsets[follow];
}
/* The list narrowed for a text (the first word's start, `left` bytes from
 * it): rules_alias_follow of its byte at the list's place. The finder asks
 * it for every "the". */
static inline const int *rules_alias_narrow(const int *list, const char *text, size_t left,
                                            size_t *count)
{
    return rules_alias_follow(list, rules_alias_follow_byte(list, text, left), count);
}
int wordlist_has(const wordlist *list, const char *word, size_t n);
/* Folds curly quotes and apostrophes to ASCII, no-break and other spaces to
 * ' ': the form that aliases and sentences are compared in. */
char *fold_text(const char *s, size_t n, size_t *out_length);
/* The same into a reused buffer (cleared first). Returns whether the
 * result holds a byte beyond ASCII. */
int fold_into(strbuf *out, const char *s, size_t n);
/* The same, as *text and *length: `s` itself when folding changes nothing
 * (most sentences), else out's copy. The text then stands in a longer one:
 * its readers keep within *length. */
int fold_view(strbuf *out, const char *s, size_t n, const char **text, size_t *length);
/* The first word of `s` for the alias index: ASCII letters and digits,
 * and any byte >= 0x80, lower-cased into `buf`. Returns its length. */
size_t alias_key(const char *s, size_t n, char *buf, size_t cap);
/* A word byte with A-Z lower-cased; 0 for a byte that is no word byte.
 * Word bytes are ASCII letters and digits, and every byte of a UTF-8
 * sequence. */
extern const unsigned char word_lower_table[256];
static inline int is_word_byte(unsigned char c)
{
    return word_lower_table[c] != 0;
}

#endif

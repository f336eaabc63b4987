/*
 * mentions.c - finding the entities a sentence names.
 *
 * Declared aliases match longest first, with the first letter of each word
 * free in case ("the Chinese government") or the whole alias in capitals
 * (datelines). Beyond the gazetteer: a demonym or country followed by a group
 * noun is a group ("Chinese military hackers"), by a government noun the
 * country itself ("U.S. officials"); a title introduces a person ("U.S.
 * Ambassador Max Baucus", who belongs to the United States); and within a
 * document, a person's short name ("Qin"), "the spokesman" and "the five
 * hackers" refer back to what was named before.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

static int is_person(const relmap_extractor *x, int ref)
{
    return ref >= 0 ? x->rules->entities[ref].person : x->dyn[-ref - 1].person;
}

static int is_group(const relmap_extractor *x, int ref)
{
    return ref >= 0 ? x->rules->entities[ref].group : x->dyn[-ref - 1].group;
}

static int dyn_entity_ref(relmap_extractor *x, const char *name, size_t n, const char *type,
                          int parent)
{
    void *v = strmap_getn(&x->dyn_index, name, n);
    if (v)
        return -(int)(intptr_t)v;
    /* the index's copy of the name, in the document's pool, is the entity's */
    const char *key = strmap_putn_key(&x->dyn_index, name, n, (void *)(intptr_t)(x->ndyn + 1));
    XGROW(x->dyn, x->dyn_cap, x->ndyn + 1);
    x->dyn[x->ndyn] =
        (dyn_entity){key, type, parent, 0, !strcmp(type, "person"), !strcmp(type, "group")};
    x->ndyn++;
    return -(int)x->ndyn;
}

void reset_document(relmap_extractor *x)
{
    x->ndyn = 0;
    strmap_clear(&x->dyn_index);
    x->document_number++;
    if (x->short_forms.count) {
        memset(&x->short_forms_bloom, 0, sizeof x->short_forms_bloom);
        /* the gate as the rules have it: the words the short forms set */
        if (x->ngate_added > GATE_ADDED_MAX) {
            x->gate = x->rules->gate;
        } else {
            for (size_t i = 0; i < x->ngate_added; i++) {
                unsigned w = x->gate_added[i] >> 6;
                x->gate.bits[w] = x->rules->gate.bits[w];
            }
        }
    }
    x->ngate_added = 0;
    strmap_clear(&x->short_forms);
    if (x->numbered.count || x->role_refs.count)
        memset(&x->refs_bloom, 0, sizeof x->refs_bloom);
    x->refs_first = 0;
    strmap_clear(&x->numbered);
    strmap_clear(&x->role_refs);
    x->nhistory = 0;
    x->parties[0] = x->parties[1] = NO_ENTITY;
    strpool_reset(&x->names); /* after the maps whose keys it holds */
}

/* ------------------------------------------------------------ text helpers */

static int lower_ascii(int c) { return (unsigned)(c - 'A') < 26 ? c - 'A' + 'a' : c; }
static int upper_ascii(int c) { return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c; }

static int at_word_start(const char *t, size_t i)
{
    return is_word_byte((unsigned char)t[i]) && (i == 0 || !is_word_byte((unsigned char)t[i - 1]));
}

/* End of the plain word (letters, digits, UTF-8) starting at i. */
static size_t word_end(const char *t, size_t n, size_t i)
{
    while (i < n && is_word_byte((unsigned char)t[i]))
        i++;
    return i;
}

/* word_end, and the word's hash_lower in the same pass. */
static size_t word_end_hash(const char *t, size_t n, size_t i, uint64_t *hash)
{
    uint64_t h = 1469598103934665603ULL;
    unsigned char c;
    while (i < n && (c = word_lower_table[(unsigned char)t[i]]) != 0) {
        h ^= c;
        h *= 1099511628211ULL;
        i++;
    }
    *hash = h;
    return i;
}

/* End of a name word: letters with inner hyphens or apostrophes
 * ("Jean-Marc", "O'Brien"), but not a possessive "'s". */
static size_t name_word_end(const char *t, size_t n, size_t i)
{
    size_t e = word_end(t, n, i);
    while (e + 1 < n && (t[e] == '-' || t[e] == '\'') && is_word_byte((unsigned char)t[e + 1])) {
        size_t f = word_end(t, n, e + 1);
        if (t[e] == '\'' && f - e - 1 == 1 && lower_ascii(t[e + 1]) == 's')
            break;
        e = f;
    }
    return e;
}

/* Does the text (n bytes) hold `s` at i? It may stand in a longer text
 * (fold_view): nothing past n is read. */
static int has_at(const char *t, size_t n, size_t i, const char *s)
{
    size_t len = strlen(s);
    return i <= n && len <= n - i && !memcmp(t + i, s, len);
}

static size_t skip_spaces(const char *t, size_t n, size_t i)
{
    while (i < n && t[i] == ' ')
        i++;
    return i;
}

static int starts_upper(const char *t, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    unsigned char c = (unsigned char)t[i];
    if (c >= 'A' && c <= 'Z')
        return 1;
    /* Latin-1 Supplement and Latin Extended-A capitals: À..Þ, and the even
     * code points of U+0100..U+017F */
    if (c == 0xC3 && i + 1 < n)
        return (unsigned char)t[i + 1] >= 0x80 && (unsigned char)t[i + 1] <= 0x9E;
    if ((c == 0xC4 || c == 0xC5) && i + 1 < n)
        return ((unsigned char)t[i + 1] & 1) == 0;
    return 0;
}

static int starts_lower(const char *t, size_t n, size_t i)
{
    return i < n && t[i] >= 'a' && t[i] <= 'z';
}

/* Does `a` match the text at t (n bytes left), with its word boundary? */
static int alias_matches(const char *t, size_t n, const alias *a)
{
    size_t len = a->length;
    if (len == 0 || len > n)
        return 0;
    /* The last byte first, in either case (any match below has it so): a
     * word's candidates come longest first, and most fail there ("U.S.
     * Treasury", "U.S. Senate" and ten others before "U.S."). */
    if (lower_byte((unsigned char)t[len - 1]) != a->last)
        return 0;
    /* The candidates of a word share its first word ("the Pentagon", "the
     * White House"): what follows it tells most apart at once. The byte
     * after the head is no word byte, so it matches exactly in either case
     * rule below; the one after that begins a word, so matches in any case. */
    size_t h = a->head;
    if (h < len && (t[h] != a->text[h]
                    || (h + 1 < len && lower_ascii(t[h + 1]) != lower_ascii(a->text[h + 1]))))
        return 0;
    int ok = 1;
    for (size_t j = 0; j < len && ok; j++) {
        char ac = a->text[j], tc = t[j];
        if (ac == tc)
            continue;
        int initial = j == 0 || !is_word_byte((unsigned char)a->text[j - 1]);
        ok = initial && lower_ascii(ac) == lower_ascii(tc);
    }
    if (!ok) { /* ALL CAPS, as in datelines */
        ok = 1;
        for (size_t j = 0; j < len && ok; j++)
            ok = upper_ascii(a->text[j]) == t[j];
    }
    if (!ok)
        return 0;
    if (is_word_byte((unsigned char)a->text[len - 1]) && len < n
        && is_word_byte((unsigned char)t[len]))
        return 0;
    return 1;
}

static int word_in(const wordlist *list, const char *t, size_t n)
{
    if (n == 0 || !list->first[(unsigned char)lower_ascii(t[0])])
        return 0;
    /* the map's keys are lower case, hashed as hash_lower hashes the word */
    uint64_t h = hash_lower(t, n);
    return bloom_maybe(&list->items_bloom, h)
           && strmap_getnh_lower(&list->lower, t, n, h) != NULL;
}

/* The filters in front of the title and role lookups: the word's first
 * letter, and the word sets of the rules (for the word's hash_lower). A word
 * they turn away is no title's first word, or no role word. */
static int may_begin_title(const relmap_rules *r, unsigned sets, char first)
{
    return (sets & WORD_TITLE_HEAD) && r->titles.first[(unsigned char)lower_ascii(first)];
}

static int may_be_role(const relmap_rules *r, unsigned sets, char first)
{
    return (sets & WORD_ROLE) && r->roles.first[(unsigned char)lower_ascii(first)];
}

static size_t title_at_word(const relmap_rules *r, const char *t, size_t n, size_t i, size_t we,
                            uint64_t hash);
static size_t title_of_word(const relmap_rules *r, const char *t, size_t n, size_t i, size_t we,
                            uint64_t hash);

/* The longest title at t[i..]: returns its end, or 0. Titles may span words
 * ("Secretary of State"); the first letter is free in case. */
static size_t title_at(const relmap_rules *r, const char *t, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    uint64_t hash;
    size_t lead = word_end_hash(t, n, i, &hash);
    return title_of_word(r, t, n, i, lead, hash);
}

/* title_at, given the word at i: its end `we` and its hash_lower `hash`. */
static size_t title_of_word(const relmap_rules *r, const char *t, size_t n, size_t i, size_t we,
                            uint64_t hash)
{
    unsigned sets = word_sets_of(&r->words, hash);
    return may_begin_title(r, sets, t[i]) ? title_at_word(r, t, n, i, we, hash) : 0;
}

/* title_at for a word (i < n) that passed may_begin_title: the word is
 * t[i, we), its hash_lower `hash`. */
static size_t title_at_word(const relmap_rules *r, const char *t, size_t n, size_t i, size_t we,
                            uint64_t hash)
{
    size_t best = 0;
    /* the titles whose first word is this word ("Gen." included): the
     * whole token up to a space, then cut before each other byte that is
     * no word byte ("Minister," -> "Minister"); a head cut inside a word
     * leaves a word byte after it, which no title may have. The token
     * begins with the word, whose hash goes on over the bytes after it. */
    enum { TOKEN_MAX = 32 };
    uint64_t hashes[TOKEN_MAX + 1]; /* of the token's first `cut` bytes, the word's on */
    size_t word = we - i, cut = word;
    if (word > TOKEN_MAX)
        return 0; /* no head is so long; one cut inside the word is no title's */
    hashes[cut] = hash;
    while (i + cut < n && cut < TOKEN_MAX && t[i + cut] != ' ') {
        hashes[cut + 1] = hash_lower_more(hashes[cut], t + i + cut, 1);
        cut++;
    }
    const int *group = NULL;
    for (;;) {
        if (cut > 0)
            group = strmap_getnh_unchecked(&r->titles.heads, cut, hashes[cut]);
        if (group || cut <= word)
            break;
        cut--;
        while (cut > word && is_word_byte((unsigned char)t[i + cut]))
            cut--;
    }
    if (!group)
        return 0;
    for (int g = 1; g <= group[0]; g++) {
        size_t k = (size_t)group[g];
        const char *w = r->titles.items[k];
        size_t len = r->titles.lengths[k];
        if (i + len > n || len <= best)
            continue;
        if (lower_ascii(w[0]) != lower_ascii(t[i]) || memcmp(w + 1, t + i + 1, len - 1) != 0)
            continue;
        if (i + len < n && is_word_byte((unsigned char)t[i + len]))
            continue;
        best = len;
    }
    return best ? i + best : 0;
}

/* Do the capitalised words from `at` (at most four) reach a title? */
static int leads_to_title(const relmap_rules *r, const char *t, size_t n, size_t at)
{
    for (int k = 0; k < 4 && at < n && starts_upper(t, n, at); k++) {
        if (title_at(r, t, n, at))
            return 1;
        size_t e = name_word_end(t, n, at);
        if (e >= n || t[e] != ' ')
            return 0;
        at = e + 1;
    }
    return at < n && title_at(r, t, n, at);
}

/* The number words, by length: the word before nearly every mention is
 * tried, and most are no number ("the", "said", "accused"). */
static const char *const number_words[][4] = {
    [3] = {"two", "six", "ten", NULL},
    [4] = {"four", "five", "nine", NULL},
    [5] = {"three", "seven", "eight", "dozen"},
    [6] = {"eleven", "twelve", NULL, NULL},
};

static int is_number_word(const char *t, size_t n)
{
    int digits = n > 0;
    for (size_t i = 0; i < n && digits; i++)
        digits = t[i] >= '0' && t[i] <= '9';
    if (digits)
        return 1;
    if (n < 3 || n > 6)
        return 0;
    for (size_t k = 0; k < 4 && number_words[n][k]; k++) {
        const char *w = number_words[n][k];
        size_t j = 0;
        while (j < n && w[j] == lower_ascii(t[j]))
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

/* Words that start sentences or quotes and are not names. */
static const char *const not_names[] = {"The", "A", "An", "He", "She", "It", "They", "We",
                                        "Said", "Says", "In", "On", "At", "And", "But", NULL};

static int is_not_name(const char *t, size_t n)
{
    return word_in_list(not_names, t, n);
}

/* --------------------------------------------------------------- mentions */

static void push_mention(relmap_extractor *x, size_t start, size_t end, int ref, int weak)
{
    XGROW(x->mentions, x->mentions_cap, x->nmentions + 1);
    x->mentions[x->nmentions++] = (mention){start, end, ref, weak};
}

/* A headline: no final stop, and most words capitalised. */
static int is_headline(const char *t, size_t n)
{
    if (n == 0 || t[n - 1] == '.' || t[n - 1] == '"')
        return 0;
    size_t words = 0, capitals = 0;
    for (size_t i = 0; i < n; i++) {
        if (at_word_start(t, i)) {
            words++;
            capitals += starts_upper(t, n, i);
        }
    }
    return words >= 3 && capitals * 3 >= words * 2;
}

static const char *const function_words[] = {
    "a", "also", "an", "and", "are", "as", "at", "be", "been", "by", "for", "from", "had",
    "has", "have", "her", "his", "in", "is", "its", "not", "of", "on", "or", "that", "the",
    "their", "these", "this", "those", "to", "was", "were", "which", "who", "will", "with",
    "would",
};
#define FUNCTION_WORD_LONGEST 5 /* "their", "these", "those", "which", "would" */

/* The function words as numbers (a word's bytes, the first the lowest), in
 * a table whose slot a multiply picks: a word after every country named
 * takes a compare or two, not the five or six guesses of a binary search.
 * Made from the list as the program starts, before any thread (as split.c's
 * abbreviations). */
#define FUNCTION_SLOTS 64
static uint64_t function_slots[FUNCTION_SLOTS];

static uint64_t short_word_key(const char *t, size_t n)
{
    uint64_t key = 0;
    for (size_t k = 0; k < n; k++)
        key |= (uint64_t)(unsigned char)t[k] << (8 * k);
    return key;
}

static size_t function_slot(uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 58); /* 0 .. FUNCTION_SLOTS - 1 */
}

static __attribute__((constructor)) void make_function_slots(void)
{
    for (size_t i = 0; i < sizeof function_words / sizeof *function_words; i++) {
        uint64_t key = short_word_key(function_words[i], strlen(function_words[i]));
        size_t s = function_slot(key);
        while (function_slots[s])
            s = (s + 1) % FUNCTION_SLOTS;
        function_slots[s] = key;
    }
}

static int is_function_word(const char *t, size_t n)
{
    if (n == 0 || n > FUNCTION_WORD_LONGEST)
        return 0;
    uint64_t key = short_word_key(t, n); /* no NUL in a text: no two words the same key */
    for (size_t s = function_slot(key); function_slots[s]; s = (s + 1) % FUNCTION_SLOTS)
        if (function_slots[s] == key)
            return 1;
    return 0;
}

/* After a demonym or a country ending at `end`: a group noun, after up to
 * three modifiers for a demonym ("Chinese government-backed hackers") or one
 * for a country name ("U.S. military hackers"), makes a group of that
 * country; a government noun right after it is the country itself. So
 * after a country's "'s" ("Germany's government"). Verbs and function words
 * end the search: "China accused the five hackers" is no group. (Inline: as
 * a call of its own, the change of inlining it set off around it cost 0.7 %
 * of a run's instructions.) */
static inline __attribute__((always_inline)) void
extend_country(relmap_extractor *x, const char *t, size_t n, size_t start, size_t *end, int *ref,
               int *weak)
{
    const relmap_rules *r = x->rules;
    size_t at = *end, group_end = 0, gov_end = 0;
    int max_words = *weak ? 4 : 2;
    /* a country's: "Germany's government", "Russia's military hackers"; in
     * lower case only ("China's Foreign Ministry" is an alias, if any, and
     * telling a headline takes a look at the whole sentence) */
    int possessive = 0;
    if (!*weak && at + 2 < n && t[at] == '\'' && t[at + 1] == 's' && t[at + 2] == ' ') {
        at += 2;
        possessive = 1;
    }
    int headline = -1; /* not known yet: it takes a look at the whole sentence */
    for (int k = 0; k < max_words; k++) {
        if (at >= n || t[at] != ' ')
            break;
        size_t w = at + 1;
        /* lower case, or a headline's capitals ("Two British Diplomats") */
        if (!starts_lower(t, n, w)) {
            if (possessive || !starts_upper(t, n, w))
                break;
            if (headline < 0)
                headline = is_headline(t, n);
            if (!headline)
                break;
        }
        size_t e = name_word_end(t, n, w);
        /* most words are no such noun: the gate tells without a hash */
        int noun = word_gate_open(&r->nouns_gate, word_gate_key(t + w, e - w));
        int group = noun && word_in(&r->group_nouns, t + w, e - w);
        int gov = noun && word_in(&r->government_nouns, t + w, e - w);
        if (group || (k > 0 && gov))
            group_end = e;
        else if (k == 0 && gov)
            gov_end = e;
        else if (is_function_word(t + w, e - w)
                 || (!*weak && e - w > 2 && (t[e - 1] == 's' || has_at(t, n, e - 2, "ed"))))
            break;
        at = e;
    }
    if (group_end) {
        int country = ent_root(x, *ref);
        *ref = dyn_entity_ref(x, t + start, group_end - start, "group", country);
        *end = group_end;
        *weak = 0;
    } else if (gov_end) {
        *end = gov_end;
        *weak = 0;
    }
}

/* A person mention at [start, ...) right after a title that began at
 * title_start: the mention takes in the title and the entity named just
 * before it ("U.S." in "U.S. Ambassador Max Baucus"), which gives a new
 * name its country. */
static void absorb_title(relmap_extractor *x, const char *t, size_t title_start, size_t *start,
                         int ref)
{
    /* the title is part of the mention: "accused Foreign Minister Boris
     * Dimitrov" names Dimitrov right after the verb */
    *start = title_start;
    if (!x->nmentions)
        return;
    mention *prev = &x->mentions[x->nmentions - 1];
    size_t gap = prev->end;
    if (gap + 2 < title_start && t[gap] == '\'' && t[gap + 1] == 's')
        gap += 2;
    while (gap < title_start && t[gap] == ' ')
        gap++;
    /* a person before the title is someone else: "envoy David Quinn
     * accuses Foreign Minister Boris Dimitrov" */
    if (gap != title_start || is_person(x, prev->ref))
        return;
    int country = ent_root(x, prev->ref);
    if (ref < 0 && x->dyn[-ref - 1].parent == NO_ENTITY && country >= 0) {
        /* sentences before this one, whose rules wait, named the person
         * without a country: their edges go out as they were */
        if ((size_t)(-ref - 1) < x->ndyn_before && x->nbatch)
            run_batch(x);
        x->dyn[-ref - 1].parent = country;
        history_reroot(x, ref);
    }
    *start = prev->start;
    x->nmentions--;
}

/* A word's first byte as a bit of relmap_extractor.refs_first. */
static uint32_t first_letter_bit(char c)
{
    int l = lower_ascii((unsigned char)c);
    return 1u << (l >= 'a' && l <= 'z' ? l - 'a' : 26);
}

/* Remember that "the WORD" (len bytes at `word`, any case) refers to `ref`,
 * in the document's numbered groups or roles, and in the filters in front
 * of both. The maps' keys are lower case; a word of 64 bytes or more is
 * none (refer_back seeks none). */
static void remember_reference(relmap_extractor *x, strmap *refs, const char *word, size_t len,
                               int ref)
{
    char key[64];
    if (len == 0 || len >= sizeof key)
        return;
    for (size_t k = 0; k < len; k++)
        key[k] = (char)lower_ascii(word[k]);
    key[len] = '\0';
    strmap_put(refs, key, REF_TO_PTR(ref));
    bloom_add(&x->refs_bloom, hash_lower(key, len));
    x->refs_first |= first_letter_bit(key[0]);
}

/* "the spokesman", "the officers", "the five hackers": what the document
 * named before.
 * t[i, e) is a word "the", its first letter in either case. */
static size_t refer_back(relmap_extractor *x, const char *t, size_t n, size_t e, int *ref)
{
    size_t w = skip_spaces(t, n, e);
    if (w == e || w >= n || !(x->refs_first & first_letter_bit(t[w])))
        return 0; /* most "the X": no role or number the document named begins so */
    uint64_t h;
    size_t we = word_end_hash(t, n, w, &h);
    /* (no key is 64 bytes long or more: learn_from_sentence keeps none) */
    if (we - w >= 64 || we == w || !bloom_maybe(&x->refs_bloom, h))
        return 0; /* most "the X": no role or number the document named */
    /* the maps' keys are lower case, hashed as hash_lower hashed the word */
    void *v = strmap_getnh_lower(&x->role_refs, t + w, we - w, h);
    if (v) {
        /* not "the spokesman for X" nor "the spokesman Qin Gang" */
        size_t after = skip_spaces(t, n, we);
        if (after < n && (starts_upper(t, n, after) || has_at(t, n, after, "for ")
                          || has_at(t, n, after, "of ")))
            return 0;
        *ref = PTR_TO_REF(v);
        return we;
    }
    v = strmap_getnh_lower(&x->numbered, t + w, we - w, h);
    if (v) {
        /* "the five hackers"; "the five" alone before a function word, a
         * past tense or an adverb, or a stop ("the five were charged", "the
         * five allegedly hacked", "accused the five of hacking") */
        size_t p = skip_spaces(t, n, we);
        size_t pe = p > we && starts_lower(t, n, p) ? word_end(t, n, p) : p;
        int alone = pe > p ? is_function_word(t + p, pe - p) || has_at(t, pe, pe - 2, "ed")
                                 || has_at(t, pe, pe - 2, "ly")
                           : we == n || strchr(",;:.", t[we]) != NULL;
        if (!alone && (pe == p || t[pe - 1] != 's'))
            return 0;
        *ref = PTR_TO_REF(v);
        return alone ? we : pe;
    }
    return 0;
}

/* The word at i may be a role word: learn_from_sentence is to look at it
 * (once: the finder may meet a word twice, as an open word and in a span). */
static void note_role_word(relmap_extractor *x, size_t i)
{
    if (x->nrole_words && x->role_words[x->nrole_words - 1] >= i)
        return;
    XGROW(x->role_words, x->role_words_cap, x->nrole_words + 1);
    x->role_words[x->nrole_words++] = (uint32_t)i;
}

/* The words in t[from, to) that may be role words, which the finder passed
 * over (a title, a demonym that is no mention). */
static void note_role_words_in(relmap_extractor *x, const char *t, size_t n, size_t from,
                               size_t to)
{
    for (size_t i = from; i < to;) {
        if (!is_word_byte((unsigned char)t[i])) {
            i++;
            continue;
        }
        uint64_t h;
        size_t e = word_end_hash(t, n, i, &h); /* the whole word, as learning sees it */
        if (may_be_role(x->rules, word_sets_of(&x->rules->words, h), t[i]))
            note_role_word(x, i);
        i = e;
    }
}

/* The first word at or after i that the gate lets through (i is where a
 * word may begin: see find_mentions), and its end in *we; or n. Most words
 * begin no alias or title, are no role word, short form or "the": the gate
 * turns them away before any hash. A loop of its own, apart from the
 * finder's work on the words it lets through, so that the compiler keeps
 * its few values in registers. With `stops`, the text's last byte is no
 * word byte (most sentences end in a stop), so a word ends before the end
 * of the text without a test of where it is at each byte. */
static inline __attribute__((always_inline)) size_t open_word_walk(const word_gate *gate,
                                                                  const char *t, size_t n,
                                                                  size_t i, size_t *we, int stops)
{
    for (;;) {
        while (i < n && !is_word_byte((unsigned char)t[i]))
            i++;
        if (i >= n)
            return n;
        size_t e = i + 1; /* t[i] is a word byte */
        if (stops)
            while (is_word_byte((unsigned char)t[e]))
                e++;
        else
            e = word_end(t, n, e);
        if (e - i >= ALIAS_KEY_MAX || word_gate_open(gate, word_gate_key(t + i, e - i))) {
            *we = e;
            return i;
        }
        i = e + 1; /* t[e] is no word byte, or e is n */
    }
}

static __attribute__((noinline)) size_t next_open_word(const word_gate *gate, const char *t,
                                                       size_t n, size_t i, size_t *we)
{
    return open_word_walk(gate, t, n, i, we, 0);
}

static __attribute__((noinline)) size_t next_open_word_stops(const word_gate *gate,
                                                             const char *t, size_t n, size_t i,
                                                             size_t *we)
{
    return open_word_walk(gate, t, n, i, we, 1);
}

void find_mentions(relmap_extractor *x, const char *t, size_t n)
{
    const relmap_rules *r = x->rules;
    x->nmentions = 0;
    x->nrole_words = 0;
    x->ndyn_before = x->ndyn;
    size_t title_start = 0, title_next = (size_t)-1;
    int stops = n > 0 && !is_word_byte((unsigned char)t[n - 1]);
    /* i is at the text's start, a word's end, or after a byte that is no
     * word byte: the next word byte starts a word */
    for (size_t i = 0;;) {
        size_t we;
        i = stops ? next_open_word_stops(&x->gate, t, n, i, &we)
                  : next_open_word(&x->gate, t, n, i, &we);
        if (i >= n)
            break;
        size_t best_end = 0;
        int best_ref = 0, weak = 0, from_country = 0;
        /* the word, hashed once for the alias and title indexes; "the", a
         * third of the words the gate lets through, known already */
        int the = we - i == 3 && lower_ascii(t[i]) == 't' && lower_ascii(t[i + 1]) == 'h'
                  && lower_ascii(t[i + 2]) == 'e';
        uint64_t word_hash = the ? r->the_hash : hash_lower(t + i, we - i);
        unsigned sets = the ? r->the_sets : word_sets_of(&r->words, word_hash);
        if (may_be_role(r, sets, t[i])) /* for learn_from_sentence */
            note_role_word(x, i);
        size_t count = 0;
        const int *cands = NULL;
        if (we - i >= ALIAS_KEY_MAX)
            cands = rules_alias_candidates(r, t + i, n - i, &count);
        else if (the)
            cands = r->the_aliases ? rules_alias_narrow(r->the_aliases, t + i, n - i, &count)
                                   : NULL;
        else if (sets & WORD_ALIAS_HEAD) /* most words are no alias's */
            cands = rules_alias_candidates_word(r, we - i, word_hash, t + i, n - i, &count);
        for (size_t k = 0; k < count; k++) {
            const alias *a = &r->aliases[cands[k]];
            if (alias_matches(t + i, n - i, a)) {
                best_end = i + a->length;
                best_ref = a->entity;
                weak = a->kind == ALIAS_DEMONYM;
                from_country = a->country;
                break;
            }
        }
        /* short forms are capitalised names */
        void *sf = x->short_forms.count && bloom_maybe(&x->short_forms_bloom, word_hash)
                           && starts_upper(t, n, i)
                       ? strmap_getnh(&x->short_forms, t + i, we - i, word_hash)
                       : NULL;
        if (sf && we > best_end) {
            best_end = we;
            best_ref = PTR_TO_REF(sf);
            weak = from_country = 0;
        }
        /* "the", or "The", may refer back (not "THE", nor "tHe") */
        int back_ref;
        size_t back_end = the && t[i + 1] == 'h' && t[i + 2] == 'e'
                              ? refer_back(x, t, n, we, &back_ref)
                              : 0;
        if (back_end > best_end) {
            best_end = back_end;
            best_ref = back_ref;
            weak = from_country = 0;
        }
        if (best_end) {
            if (from_country)
                extend_country(x, t, n, i, &best_end, &best_ref, &weak);
            size_t start = i;
            if (i == title_next && is_person(x, best_ref))
                absorb_title(x, t, title_start, &start, best_ref);
            push_mention(x, start, best_end, best_ref, weak);
            if (weak) /* no mention after all (see below): its words are passed over unseen */
                note_role_words_in(x, t, n, start, best_end);
            i = best_end;
            continue;
        }
        size_t te = may_begin_title(r, sets, t[i]) ? title_at_word(r, t, n, i, we, word_hash) : 0;
        if (te) {
            /* the title phrase starts at the capitalised words before it
             * ("Assistant Foreign Minister") */
            size_t ts = i;
            size_t floor = x->nmentions ? x->mentions[x->nmentions - 1].end : 0;
            while (ts > floor + 1 && t[ts - 1] == ' ') {
                size_t ws = ts - 1;
                while (ws > floor && is_word_byte((unsigned char)t[ws - 1]))
                    ws--;
                if (ws == ts - 1 || !starts_upper(t, n, ws))
                    break;
                ts = ws;
            }
            size_t q = skip_spaces(t, n, te);
            title_start = ts;
            title_next = q;
            /* a new name: capitalised words not already known */
            size_t name_end = q, words = 0;
            while (name_end < n && starts_upper(t, n, name_end) && words < 3) {
                size_t e = name_word_end(t, n, name_end);
                if (is_not_name(t + name_end, e - name_end))
                    break;
                /* the word, hashed once for the title and short form lookups */
                uint64_t name_hash;
                size_t name_word = word_end_hash(t, n, name_end, &name_hash);
                if (title_of_word(r, t, n, name_end, name_word, name_hash))
                    break;
                size_t c2 = 0;
                const int *cc =
                    words == 0 ? rules_alias_candidates(r, t + name_end, n - name_end, &c2) : NULL;
                if (c2) {
                    /* it may be a known alias: let the scan find it */
                    int known = 0;
                    for (size_t k = 0; k < c2 && !known; k++)
                        known = alias_matches(t + name_end, n - name_end, &r->aliases[cc[k]]);
                    if (known)
                        break;
                }
                if (words == 0 && x->short_forms.count
                    && strmap_getnh(&x->short_forms, t + name_end, name_word - name_end, name_hash))
                    break;
                words++;
                /* capitalised words that lead to another title are that
                 * title's phrase: "Quinn Accuses Foreign Minister ..." */
                size_t after = e < n && t[e] == ' ' ? e + 1 : n;
                if (words >= 2 && leads_to_title(r, t, n, after)) {
                    name_end = e;
                    break;
                }
                if (e < n && t[e] == ' ' && starts_upper(t, n, e + 1)) {
                    name_end = e + 1;
                    continue;
                }
                name_end = e;
                break;
            }
            if (words > 0) {
                while (name_end > q && t[name_end - 1] == ' ')
                    name_end--;
                int ref = dyn_entity_ref(x, t + q, name_end - q, "person", NO_ENTITY);
                size_t start = q;
                absorb_title(x, t, ts, &start, ref);
                push_mention(x, start, name_end, ref, 0);
                i = name_end;
                continue;
            }
            note_role_words_in(x, t, n, i, te); /* words passed over unseen */
            i = te;
            continue;
        }
        i = we > i ? we : i + 1;
    }
    /* demonyms that introduced nothing are not mentions; a country right
     * before one of its own bodies is part of its name ("US NSA",
     * "China's Foreign Ministry") */
    size_t k = 0;
    for (size_t j = 0; j < x->nmentions; j++) {
        mention m = x->mentions[j];
        if (m.weak)
            continue;
        if (k > 0) {
            mention *prev = &x->mentions[k - 1];
            size_t gap = prev->end;
            if (gap + 2 <= m.start && t[gap] == '\'' && t[gap + 1] == 's')
                gap += 2;
            if (skip_spaces(t, n, gap) == m.start && gap < m.start && m.ref != prev->ref
                && ent_root(x, m.ref) == prev->ref) {
                prev->end = m.end;
                prev->ref = m.ref;
                continue;
            }
        }
        x->mentions[k++] = m;
    }
    x->nmentions = k;
}

/* Where the document keeps whether entity `ref`'s short forms are learned. */
static uint32_t *learned_mark(relmap_extractor *x, int ref)
{
    return ref >= 0 ? &x->learned[ref] : &x->dyn[-ref - 1].learned;
}

static void learn_short_forms(relmap_extractor *x, int ref)
{
    /* as learned last time in this document, unless one went to another
     * person since (who then cleared the mark) */
    uint32_t *learned = learned_mark(x, ref);
    if (*learned == x->document_number)
        return;
    const char *name = ent_name(x, ref);
    const char *last_space = strrchr(name, ' ');
    if (!last_space)
        return;
    const char *first_end = strchr(name, ' ');
    const char *words[2][2] = {{name, first_end}, {last_space + 1, name + strlen(name)}};
    for (int k = 0; k < 2; k++) {
        size_t len = (size_t)(words[k][1] - words[k][0]);
        if (len < 2 || !starts_upper(words[k][0], len, 0))
            continue;
        uint64_t h = hash_lower(words[k][0], len);
        void *owner = strmap_getnh(&x->short_forms, words[k][0], len, h);
        if (owner == REF_TO_PTR(ref))
            continue; /* known already: the common case, a person named again */
        /* a title cut at the word's end: "Gen." stays a title */
        if (!title_at(x->rules, words[k][0], len, 0)) {
            if (owner) /* from another person, who takes it back when named again */
                *learned_mark(x, PTR_TO_REF(owner)) = 0;
            strmap_putnh(&x->short_forms, words[k][0], len, h, REF_TO_PTR(ref));
            bloom_add(&x->short_forms_bloom, h);
            unsigned key = word_gate_key(words[k][0], len);
            word_gate_add(&x->gate, key);
            if (x->ngate_added < GATE_ADDED_MAX)
                x->gate_added[x->ngate_added] = key;
            x->ngate_added++; /* past the most: the whole gate is copied back */
        }
    }
    *learned = x->document_number;
}

/* A group's mention that ends in a group noun: "the NOUN" refers to it. */
static void remember_group_noun(relmap_extractor *x, const char *t, const mention *m)
{
    size_t ws = m->end;
    while (ws > m->start && is_word_byte((unsigned char)t[ws - 1]))
        ws--;
    size_t len = m->end - ws;
    if (ws > m->start && len > 0 && word_in(&x->rules->group_nouns, t + ws, len))
        remember_reference(x, &x->role_refs, t + ws, len, m->ref);
}

void learn_from_sentence(relmap_extractor *x, const char *t, size_t n)
{
    const relmap_rules *r = x->rules;
    for (size_t j = 0; j < x->nmentions; j++) {
        const mention *m = &x->mentions[j];
        if (is_person(x, m->ref))
            learn_short_forms(x, m->ref);
        /* "five Chinese military officers": later "the five hackers" */
        if (m->start >= 2 && t[m->start - 1] == ' ') {
            size_t ws = m->start - 1;
            while (ws > 0 && is_word_byte((unsigned char)t[ws - 1]))
                ws--;
            size_t len = m->start - 1 - ws;
            if (len > 0 && len < 32 && is_number_word(t + ws, len))
                remember_reference(x, &x->numbered, t + ws, len, m->ref);
        }
        /* "Chinese military officers": later "the officers" */
        if (is_group(x, m->ref))
            remember_group_noun(x, t, m);
        int root = ent_root(x, m->ref);
        if (root != x->parties[0]) {
            x->parties[1] = x->parties[0];
            x->parties[0] = root;
        }
    }
    /* "a spokesperson for China's State Internet Information Office",
     * "the Foreign Ministry spokesman said": later "the spokesperson" */
    size_t mi = 0;
    for (size_t c = 0; c < x->nrole_words; c++) {
        size_t i = x->role_words[c], e = word_end(t, n, i);
        while (mi < x->nmentions && x->mentions[mi].end <= i)
            mi++;
        if (mi < x->nmentions && x->mentions[mi].start <= i)
            continue; /* inside a mention: part of a title */
        if (!word_in(&r->roles, t + i, e - i))
            continue;
        int ref = NO_ENTITY;
        size_t after = skip_spaces(t, n, e);
        if (has_at(t, n, after, "for ") || has_at(t, n, after, "of ")) {
            size_t at = skip_spaces(t, n, after + 3 + (t[after] == 'f'));
            if (has_at(t, n, at, "the "))
                at = skip_spaces(t, n, at + 4);
            for (size_t j = mi; j < x->nmentions; j++) {
                if (x->mentions[j].start != at)
                    continue;
                ref = x->mentions[j].ref;
                /* X's Y: Y */
                if (j + 1 < x->nmentions && has_at(t, n, x->mentions[j].end, "'s ")
                    && x->mentions[j + 1].start == x->mentions[j].end + 3)
                    ref = x->mentions[j + 1].ref;
                break;
            }
        } else if (mi > 0 && skip_spaces(t, n, x->mentions[mi - 1].end) == i) {
            ref = x->mentions[mi - 1].ref;
        }
        if (ref != NO_ENTITY) {
            remember_reference(x, &x->role_refs, t + i, e - i, ref);
        }
    }
}

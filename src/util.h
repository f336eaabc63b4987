/*
 * util.h - allocation that aborts on out-of-memory, a growable byte buffer,
 * a string-keyed hash map, and the helpers that fill relmap_error.
 */
#ifndef RELMAP_UTIL_H
#define RELMAP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "relmap.h"

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xrealloc to *size bytes for a buffer that may be large, whose first
 * `used` bytes are kept. From 2 MiB up it is a whole number of 2 MiB
 * (*size is set to that), aligned to 2 MiB and offered to the kernel's
 * transparent huge pages (madvise), so that filling it takes a page fault
 * every 2 MiB, not every 4 KiB. Freed with free(). */
void *xrealloc_large(void *ptr, size_t used, size_t *size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow an array `ptr` of `count` items to hold at least `need`. */
#define XGROW(ptr, cap, need)                                               \
    do {                                                                    \
        if ((need) > (cap)) {                                               \
            size_t relmap_cap_ = (cap) ? (cap) * 2 : 8;                      \
            while (relmap_cap_ < (need))                                    \
                relmap_cap_ *= 2;                                           \
            (ptr) = xrealloc((ptr), relmap_cap_ * sizeof(*(ptr)));          \
            (cap) = relmap_cap_;                                            \
        }                                                                   \
    } while (0)

/* A growable byte buffer, always NUL-terminated once anything is added. */
typedef struct strbuf {
    char *data;
    size_t length;
    size_t capacity;
} strbuf;

/* Make room for the current length + need + 1 bytes (out of line: rare). */
void sb_grow(strbuf *sb, size_t need);

/* Room for `extra` more bytes and the NUL. Inline: the extractor adds to
 * its buffers a few bytes at a time, millions of times a second. */
static inline void sb_reserve(strbuf *sb, size_t extra)
{
    size_t need = sb->length + extra + 1;
    if (need > sb->capacity)
        sb_grow(sb, need);
}

static inline __attribute__((always_inline)) void sb_add(strbuf *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    if (n)
        memcpy(sb->data + sb->length, s, n);
    sb->length += n;
    sb->data[sb->length] = '\0';
}

static inline void sb_addc(strbuf *sb, char c)
{
    sb_reserve(sb, 1);
    sb->data[sb->length++] = c;
    sb->data[sb->length] = '\0';
}

void sb_adds(strbuf *sb, const char *s);
/* The decimal digits of n, as "%llu" prints them, at out (room for 21
 * bytes, the NUL included); returns their count. */
size_t format_uint(char *out, unsigned long long n);
/* The same added to sb. */
void sb_add_uint(strbuf *sb, unsigned long long n);
/* s with each byte of `special` replaced by escape(byte) and the runs
 * between copied whole: the shape of every escaper of relmap's formats. */
void sb_add_escaped(strbuf *sb, const char *s, const char *special,
                    const char *(*escape)(unsigned char c));
void sb_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empty, keeping the memory (every sentence clears a few). */
static inline void sb_clear(strbuf *sb)
{
    sb->length = 0;
    if (sb->data)
        sb->data[0] = '\0';
}
void sb_free(strbuf *sb);
/* Hand the buffer over (never NULL); the strbuf is left empty. */
char *sb_detach(strbuf *sb);

/* Strings copied into blocks that are given back all at once: a
 * document's names and keys, which live as long as the document, without
 * a malloc and a free each (a document of one small file has a dozen). A
 * copy never moves. */
typedef struct strpool_block strpool_block;
typedef struct strpool {
    strpool_block *blocks; /* the one being filled first */
    size_t used;           /* bytes of the first block taken */
} strpool;

/* A NUL-terminated copy of the n bytes at s, valid until the next reset. */
char *strpool_copy(strpool *pool, const char *s, size_t n);
/* Give every copy back; the largest block is kept for the next ones. */
void strpool_reset(strpool *pool);
void strpool_free(strpool *pool);

/* A map from NUL-terminated strings to pointers. Keys are copied: into
 * `pool` when the map has one (freed by its reset, not by the map), or
 * each by malloc. */
typedef struct strmap_entry {
    char *key;
    void *value;
    uint64_t hash;
    size_t length; /* of key */
} strmap_entry;

typedef struct strmap {
    strmap_entry *slots;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
    strpool *pool;   /* or NULL */
} strmap;

uint64_t hash_bytes(const void *data, size_t n);

/* An ASCII letter in lower case; any other byte as it is. */
static inline unsigned char lower_byte(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* hash_lower of a text, given h = hash_lower of the bytes before s: the
 * hash goes on a byte at a time. */
static inline uint64_t hash_lower_more(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= lower_byte((unsigned char)s[i]);
        h *= 1099511628211ULL;
    }
    return h;
}

/* The hash of n bytes with ASCII letters lower-cased. */
static inline uint64_t hash_lower(const char *s, size_t n)
{
    return hash_lower_more(1469598103934665603ULL, s, n);
}

/* The length of the white space beyond ASCII at u (left bytes, left >= 1):
 * U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F
 * and U+3000, the rest of what PCRE2's \s takes with UCP; 0 for anything
 * else. Folding makes each one ' ', and the splitter takes each for a
 * space, so the two agree on what separates words. */
static inline size_t utf8_wide_space_len(const unsigned char *u, size_t left)
{
    if (u[0] == 0xC2)
        return left >= 2 && (u[1] == 0xA0 || u[1] == 0x85) ? 2 : 0;
    if (left < 3 || (u[0] != 0xE1 && u[0] != 0xE2 && u[0] != 0xE3))
        return 0;
    if (u[0] == 0xE2 && u[1] == 0x80)
        return u[2] <= 0x8A || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF ? 3 : 0;
    if ((u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0x9F) || (u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80)
        || (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80))
        return 3;
    return 0;
}

/* Are the 8 bytes at p all printable ASCII (0x20..0x7F)? Lets byte loops
 * that only stop at control bytes or UTF-8 pass plain text a word at a time. */
static inline int plain_ascii8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    /* a byte below 0x20 sets its top bit in v - 0x20..., one of 0x80 or
     * more has it set in v; a borrow can only flag more, never fewer */
    return !(((v - 0x2020202020202020ULL) | v) & 0x8080808080808080ULL);
}

/* Bit k of a table of 64-bit words. */
static inline void bit_set(uint64_t *bits, unsigned k)
{
    bits[k >> 6] |= 1ULL << (k & 63);
}

static inline int bit_test(const uint64_t *bits, unsigned k)
{
    return (bits[k >> 6] >> (k & 63)) & 1;
}

/* A Bloom filter of word hashes (32K bits, two probes): a word whose hash
 * it lacks is surely not in the set, so the hash lookup is skipped. */
typedef struct word_bloom {
    uint64_t bits[512];
} word_bloom;

static inline void bloom_add(word_bloom *b, uint64_t h)
{
    bit_set(b->bits, (unsigned)(h & 0x7FFF));
    bit_set(b->bits, (unsigned)((h >> 32) & 0x7FFF));
}

static inline int bloom_maybe(const word_bloom *b, uint64_t h)
{
    return bit_test(b->bits, (unsigned)(h & 0x7FFF))
           & bit_test(b->bits, (unsigned)((h >> 32) & 0x7FFF));
}
/* A few Bloom filters in one table of bytes, a bit a set: a word may be in
 * set s when both its probes have bit s. One pair of loads tells every set
 * of the table about a word. */
#define WORD_SETS_BITS 14
typedef struct word_sets {
    unsigned char slots[1u << WORD_SETS_BITS];
} word_sets;

static inline void word_sets_add(word_sets *w, uint64_t h, unsigned set)
{
    const uint64_t mask = (1u << WORD_SETS_BITS) - 1;
    w->slots[h & mask] |= (unsigned char)set;
    w->slots[(h >> 32) & mask] |= (unsigned char)set;
}

static inline unsigned word_sets_of(const word_sets *w, uint64_t h)
{
    const uint64_t mask = (1u << WORD_SETS_BITS) - 1;
    return w->slots[h & mask] & w->slots[(h >> 32) & mask];
}

/* A gate in front of the word sets: one bit for each key of a whole word
 * made of its first two bytes, its last byte and its length, with bit 5 of
 * each byte set (a letter read in either case, and another byte may pass
 * for one other: more words let through, never fewer). Computed without a
 * pass over the word's bytes, it turns away most words before they are
 * hashed. */
#define WORD_GATE_BITS 16
typedef struct word_gate {
    uint64_t bits[(1u << WORD_GATE_BITS) / 64];
} word_gate;

/* The key of the n (>= 1) bytes at w. */
static inline unsigned word_gate_key(const char *w, size_t n)
{
    const unsigned char *u = (const unsigned char *)w;
    uint32_t v = ((uint32_t)u[0] | (uint32_t)u[n > 1] << 8 | (uint32_t)u[n - 1] << 16 | 0x202020u)
                 ^ (uint32_t)(n < 255 ? n : 255) << 24;
    return (v * 0x9E3779B1u) >> (32 - WORD_GATE_BITS);
}

static inline void word_gate_add(word_gate *g, unsigned key)
{
    bit_set(g->bits, key);
}

static inline int word_gate_open(const word_gate *g, unsigned key)
{
    return bit_test(g->bits, key);
}

void *strmap_get(const strmap *map, const char *key);
void *strmap_getn(const strmap *map, const char *key, size_t n);
/* The same, given h = hash_bytes(key, n): a caller that hashed the word
 * already (hash_lower of a word is hash_bytes of its lower-cased copy).
 * Also the lookup of a map filled by strmap_putnh with another hash of the
 * keys, the same for every key: the keys are compared exactly. */
void *strmap_getnh(const strmap *map, const char *key, size_t n, uint64_t h);
/* The value of a key of n bytes with hash h, or NULL: with `lower`, of the
 * key that is the n bytes at `lower` read in lower case (ASCII letters);
 * without, of the first key of that length and hash, its bytes not
 * compared. The two lookups below. */
static inline void *strmap_probe(const strmap *map, const char *lower, size_t n, uint64_t h)
{
    if (!map->capacity)
        return NULL;
    size_t mask = map->capacity - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const strmap_entry *e = &map->slots[i];
        if (!e->key)
            return NULL;
        if (e->hash != h || e->length != n)
            continue;
        if (!lower)
            return e->value;
        size_t k = 0;
        while (k < n && lower_byte((unsigned char)lower[k]) == (unsigned char)e->key[k])
            k++;
        if (k == n)
            return e->value;
    }
}

/* strmap_getnh in a map whose keys are lower case, for the n bytes at key
 * read in lower case (ASCII letters), given h = hash_lower(key, n): no
 * lower-case copy of a word is made to look it up. Inline: the mention
 * finder asks it for the words after "the" and for role words. */
static inline void *strmap_getnh_lower(const strmap *map, const char *key, size_t n,
                                       uint64_t h)
{
    return strmap_probe(map, key, n, h);
}

/* The value of a key of n bytes whose hash is h, its bytes not compared:
 * for a caller that checks what the value stands for against its text
 * anyway (an alias or a title, each compared whole), so that a word is
 * read once, not twice. Another key of the same length and hash, which a
 * 64-bit hash makes all but impossible, gives that check a list that fails
 * it. */
static inline void *strmap_getnh_unchecked(const strmap *map, size_t n, uint64_t h)
{
    return strmap_probe(map, NULL, n, h);
}
/* Insert or replace; returns the previous value or NULL. */
void *strmap_put(strmap *map, const char *key, void *value);


/* Is the n bytes at `word` one of the NULL-terminated `list`, exactly?
 * (`word` may hold NUL bytes: it is compared, never read as a string.) */
static inline int word_in_list(const char *const *list, const char *word, size_t n)
{
    if (n == 0)
        return 0;
    for (; *list; list++) {
        const char *w = *list;
        size_t k = 0;
        while (k < n && w[k] && w[k] == word[k])
            k++;
        if (k == n && w[n] == '\0') /* w[n] exists: w[0..n) held no NUL */
            return 1;
    }
    return 0;
}
/* Is the n bytes at `word` one of the `count` entries of `list`, which are
 * in byte order (as strcmp sorts)? A binary search. */
static inline int word_in_sorted(const char *const *list, size_t count, const char *word,
                                 size_t n)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *entry = list[mid];
        size_t k = 0;
        while (k < n && entry[k] && entry[k] == word[k])
            k++;
        int c = k == n ? (entry[k] ? 1 : 0)
                : !entry[k] ? -1
                : (unsigned char)entry[k] < (unsigned char)word[k] ? -1 : 1;
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
/* The same with the key's first n bytes. */
void *strmap_putn(strmap *map, const char *key, size_t n, void *value);
/* The same, given h, the key's hash: hash_bytes, or another hash that the
 * map's every put and lookup (strmap_getnh) uses, such as hash_lower. */
void *strmap_putnh(strmap *map, const char *key, size_t n, uint64_t h, void *value);
/* strmap_putn, returning the map's copy of the key: for a caller that
 * keeps the key too, one copy rather than two. */
const char *strmap_putn_key(strmap *map, const char *key, size_t n, void *value);
/* The map's own copy of `key`, added when missing: one copy of a string
 * for everything that refers to it (valid until the map is freed). */
const char *strmap_intern(strmap *map, const char *key);
/* Free the keys; values are the caller's (see `free_value`, may be NULL). */
void strmap_free(strmap *map, void (*free_value)(void *));
/* Empty, its keys freed, its table kept when it has no more than
 * STRMAP_KEEP slots (values are the caller's, as with strmap_free). */
#define STRMAP_KEEP 1024
void strmap_clear(strmap *map);

/* Fill `err` (which may be NULL); returns `code` for `return seterr(...)`. */
int seterr(relmap_error *err, int code, const char *file, unsigned line, unsigned column,
           const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Set err->source_line from a slice (up to its first newline). */
void seterr_source(relmap_error *err, const char *line, size_t n);

/* Set err->source_line from line err->line of the file err->file. */
void seterr_source_from_file(relmap_error *err);

/* Read a whole file; returns 0 and a NUL-terminated buffer, or RELMAP_EIO. */
int read_file(const char *path, char **out, size_t *length, relmap_error *err);
/* The same into a buffer that is reused from file to file (*buffer of
 * *capacity bytes, both updated when it must grow; NULL and 0 at first):
 * a corpus of many documents reads them with no new pages each time. */
int read_file_into(const char *path, char **buffer, size_t *capacity, size_t *length,
                   relmap_error *err);
/* read_file_into, READ_CHUNK bytes a read at most, each read followed by
 * chunk(data, now, 0, context): the buffer `data` holds the file's first
 * `now` bytes (data may move from call to call); then, at the end of the
 * file, chunk(data, n, 1, context). A caller that must look at every byte
 * does so while the bytes just read are still in the nearest caches, not in
 * a pass of its own afterwards. The file is `name` opened relative to the
 * folder `at` (openat; AT_FDCWD and the path itself for none), `path` what
 * errors call it. `regular`: the caller knows it for a regular file, whose
 * end a short read shows (else it reads to a read of nothing, as a pipe
 * needs). */
#define READ_CHUNK (256u << 10)
typedef void (*read_chunk_fn)(const char *data, size_t now, int at_end, void *context);
int read_file_chunked(const char *path, int at, const char *name, int regular, char **buffer,
                      size_t *capacity, size_t *length, read_chunk_fn chunk, void *context,
                      relmap_error *err);

/* Escape for TSV: \t \n \r \\ become backslash escapes. TSV_SPECIAL are
 * those bytes, tsv_escape the two bytes that stand for each. */
#define TSV_SPECIAL "\t\n\r\\"
const char *tsv_escape(unsigned char c);
void sb_add_tsv(strbuf *sb, const char *s);

/* An output file written in pieces and replaced atomically (output.c):
 * atomic_open makes a temporary file beside `path`; atomic_commit flushes
 * it and renames it over `path`, or, after a failed write, removes it and
 * reports; atomic_abort removes it. */
typedef struct atomic_file atomic_file;
atomic_file *atomic_open(const char *path, relmap_error *err);
void atomic_write(atomic_file *f, const void *data, size_t length);
int atomic_commit(atomic_file *f, relmap_error *err);
void atomic_abort(atomic_file *f);

#endif

/* util.c - allocation, buffers, the string map and error filling. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "relmap: out of memory (allocating %zu bytes)\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

/* A huge page's size on x86-64 and arm64 with 4 KiB pages. */
#define HUGE_PAGE ((size_t)2 << 20)

void *xrealloc_large(void *ptr, size_t used, size_t *size)
{
    if (*size < HUGE_PAGE)
        return xrealloc(ptr, *size);
    size_t whole = (*size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    *size = whole;
    void *p = aligned_alloc(HUGE_PAGE, whole);
    if (!p)
        out_of_memory(whole);
#ifdef MADV_HUGEPAGE
    madvise(p, whole, MADV_HUGEPAGE); /* a hint: where refused, 4 KiB pages */
#endif
    if (used)
        memcpy(p, ptr, used);
    free(ptr);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

struct strpool_block {
    strpool_block *next;
    size_t size;
    char data[];
};

#define STRPOOL_FIRST 4096
#define STRPOOL_MOST (1u << 20)

char *strpool_copy(strpool *pool, const char *s, size_t n)
{
    strpool_block *b = pool->blocks;
    if (!b || b->size - pool->used < n + 1) {
        /* each block twice the one before, up to STRPOOL_MOST; a string
         * longer than that has a block of its own size */
        size_t size = b ? b->size * 2 : STRPOOL_FIRST;
        if (size > STRPOOL_MOST)
            size = STRPOOL_MOST;
        if (size < n + 1)
            size = n + 1;
        b = xmalloc(sizeof *b + size);
        b->size = size;
        b->next = pool->blocks;
        pool->blocks = b;
        pool->used = 0;
    }
    char *p = b->data + pool->used;
    memcpy(p, s, n);
    p[n] = '\0';
    pool->used += n + 1;
    return p;
}

void strpool_reset(strpool *pool)
{
    strpool_block *keep = NULL;
    for (strpool_block *b = pool->blocks, *next; b; b = next) {
        next = b->next;
        if (!keep || b->size > keep->size) {
            free(keep);
            keep = b;
        } else {
            free(b);
        }
    }
    if (keep)
        keep->next = NULL;
    pool->blocks = keep;
    pool->used = 0;
}

void strpool_free(strpool *pool)
{
    strpool_reset(pool);
    free(pool->blocks);
    pool->blocks = NULL;
}

void sb_grow(strbuf *sb, size_t need)
{
    size_t cap = sb->capacity ? sb->capacity : 64;
    while (cap < need)
        cap *= 2;
    /* past a quarter of a megabyte a buffer is on its way to megabytes
     * (a long document's rows): whole huge pages at once, not the pages
     * of each doubling faulted in one by one */
    if (cap > (256u << 10) && cap < HUGE_PAGE)
        cap = HUGE_PAGE;
    sb->data = xrealloc_large(sb->data, sb->capacity, &cap);
    /* defined bytes past the end: PCRE2's JIT may read a little beyond
     * the subject, which valgrind would otherwise report */
    memset(sb->data + sb->capacity, 0, cap - sb->capacity);
    sb->capacity = cap;
}

void sb_adds(strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

size_t format_uint(char *out, unsigned long long n)
{
    char digits[20];
    size_t k = sizeof digits;
    do {
        digits[--k] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    memcpy(out, digits + k, sizeof digits - k);
    out[sizeof digits - k] = '\0';
    return sizeof digits - k;
}

void sb_add_uint(strbuf *sb, unsigned long long n)
{
    char digits[21];
    sb_add(sb, digits, format_uint(digits, n));
}

void sb_add_escaped(strbuf *sb, const char *s, const char *special,
                    const char *(*escape)(unsigned char c))
{
    for (;;) {
        size_t run = strcspn(s, special);
        sb_add(sb, s, run);
        s += run;
        if (!*s)
            return;
        sb_adds(sb, escape((unsigned char)*s));
        s++;
    }
}

void sb_addf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        sb_add(sb, small, (size_t)n);
        return;
    }
    sb_reserve(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->length, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->length += (size_t)n;
}

void sb_free(strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->length = sb->capacity = 0;
}

char *sb_detach(strbuf *sb)
{
    char *p = sb->data ? sb->data : xstrdup("");
    sb->data = NULL;
    sb->length = sb->capacity = 0;
    return p;
}

const char *tsv_escape(unsigned char c)
{
    return c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\\\";
}

void sb_add_tsv(strbuf *sb, const char *s)
{
    sb_add_escaped(sb, s, TSV_SPECIAL, tsv_escape);
}

/* FNV-1a: small, good enough for names and short keys. */
uint64_t hash_bytes(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static strmap_entry *strmap_find(const strmap *map, const char *key, size_t n, uint64_t h)
{
    if (!map->capacity)
        return NULL;
    size_t mask = map->capacity - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        strmap_entry *e = &map->slots[i];
        if (!e->key)
            return e;
        if (e->hash == h && e->length == n && memcmp(e->key, key, n) == 0)
            return e;
    }
}

void *strmap_getn(const strmap *map, const char *key, size_t n)
{
    return strmap_getnh(map, key, n, hash_bytes(key, n));
}

void *strmap_getnh(const strmap *map, const char *key, size_t n, uint64_t h)
{
    strmap_entry *e = strmap_find(map, key, n, h);
    return e && e->key ? e->value : NULL;
}

void *strmap_get(const strmap *map, const char *key)
{
    return strmap_getn(map, key, strlen(key));
}

static void strmap_grow(strmap *map)
{
    size_t cap = map->capacity ? map->capacity * 2 : 16;
    strmap_entry *old = map->slots;
    size_t old_cap = map->capacity;
    map->slots = xcalloc(cap, sizeof *map->slots);
    map->capacity = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].key)
            continue;
        size_t j = old[i].hash & (cap - 1);
        while (map->slots[j].key)
            j = (j + 1) & (cap - 1);
        map->slots[j] = old[i];
    }
    free(old);
}

/* The map's copy of a new key: in its pool, or its own allocation. */
static char *copy_key(const strmap *map, const char *key, size_t n)
{
    return map->pool ? strpool_copy(map->pool, key, n) : xstrndup(key, n);
}

void *strmap_put(strmap *map, const char *key, void *value)
{
    return strmap_putn(map, key, strlen(key), value);
}

void *strmap_putn(strmap *map, const char *key, size_t n, void *value)
{
    return strmap_putnh(map, key, n, hash_bytes(key, n), value);
}

void *strmap_putnh(strmap *map, const char *key, size_t n, uint64_t h, void *value)
{
    if ((map->count + 1) * 4 >= map->capacity * 3)
        strmap_grow(map);
    strmap_entry *e = strmap_find(map, key, n, h);
    if (e->key) {
        void *prev = e->value;
        e->value = value;
        return prev;
    }
    e->key = copy_key(map, key, n);
    e->hash = h;
    e->length = n;
    e->value = value;
    map->count++;
    return NULL;
}

/* The entry of a key, added with no value when missing. */
static strmap_entry *strmap_add(strmap *map, const char *key, size_t n)
{
    if ((map->count + 1) * 4 >= map->capacity * 3)
        strmap_grow(map);
    uint64_t h = hash_bytes(key, n);
    strmap_entry *e = strmap_find(map, key, n, h);
    if (!e->key) {
        e->key = copy_key(map, key, n);
        e->hash = h;
        e->length = n;
        e->value = NULL;
        map->count++;
    }
    return e;
}

const char *strmap_intern(strmap *map, const char *key)
{
    return strmap_add(map, key, strlen(key))->key;
}

const char *strmap_putn_key(strmap *map, const char *key, size_t n, void *value)
{
    strmap_entry *e = strmap_add(map, key, n);
    e->value = value;
    return e->key;
}

void strmap_free(strmap *map, void (*free_value)(void *))
{
    for (size_t i = 0; i < map->capacity; i++) {
        if (map->slots[i].key) {
            if (!map->pool)
                free(map->slots[i].key);
            if (free_value)
                free_value(map->slots[i].value);
        }
    }
    free(map->slots);
    map->slots = NULL;
    map->capacity = map->count = 0;
}

void strmap_clear(strmap *map)
{
    /* a small table is kept for the next use; a large one is given back,
     * so that a big document's maps do not cost every small one after it */
    if (map->capacity > STRMAP_KEEP) {
        strmap_free(map, NULL);
        return;
    }
    for (size_t i = 0; i < map->capacity && map->count; i++) {
        if (map->slots[i].key) {
            if (!map->pool)
                free(map->slots[i].key);
            map->slots[i] = (strmap_entry){0};
            map->count--;
        }
    }
}

void relmap_error_clear(relmap_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int seterr(relmap_error *err, int code, const char *file, unsigned line, unsigned column,
           const char *fmt, ...)
{
    if (!err)
        return code;
    memset(err, 0, sizeof *err);
    err->code = code;
    if (file)
        snprintf(err->file, sizeof err->file, "%s", file);
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void seterr_source(relmap_error *err, const char *line, size_t n)
{
    if (!err || !line)
        return;
    const char *nl = memchr(line, '\n', n);
    if (nl)
        n = (size_t)(nl - line);
    if (n && line[n - 1] == '\r')
        n--;
    if (n >= sizeof err->source_line)
        n = sizeof err->source_line - 1;
    memcpy(err->source_line, line, n);
    err->source_line[n] = '\0';
}

void seterr_source_from_file(relmap_error *err)
{
    if (!err || !err->file[0] || !err->line)
        return;
    char *text;
    size_t length;
    if (read_file(err->file, &text, &length, NULL) < 0)
        return;
    const char *s = text, *end = text + length;
    for (unsigned l = 1; l < err->line && s < end; l++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        s = nl ? nl + 1 : end;
    }
    if (s < end)
        seterr_source(err, s, (size_t)(end - s));
    free(text);
}

int read_file(const char *path, char **out, size_t *length, relmap_error *err)
{
    *out = NULL;
    size_t cap = 0;
    return read_file_into(path, out, &cap, length, err);
}

int read_file_into(const char *path, char **buffer, size_t *capacity, size_t *length,
                   relmap_error *err)
{
    return read_file_chunked(path, AT_FDCWD, path, 0, buffer, capacity, length, NULL, NULL, err);
}

int read_file_chunked(const char *path, int at, const char *name, int regular, char **buffer,
                      size_t *capacity, size_t *length, read_chunk_fn chunk, void *context,
                      relmap_error *err)
{
    int fd = openat(at, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seterr(err, RELMAP_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    /* a buffer that must grow (a new one, or one kept from file to file
     * that this file does not fit) is made the size of a regular file at
     * once, so that one read fills it (room for a byte more shows the end
     * at the next read): no chain of doublings, each a copy while the old
     * block and the new are both held */
    size_t expect = 0, n = 0;
    int asked = 0;
    for (;;) {
        if (n + 2 > *capacity) {
            struct stat st;
            if (!asked && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
                expect = (size_t)st.st_size;
            asked = 1;
            size_t cap = *capacity ? *capacity * 2 : 65536;
            if (cap < expect + 2)
                cap = expect + 2;
            if (cap < n + 2)
                cap = n + 2;
            *buffer = xrealloc_large(*buffer, n, &cap);
            *capacity = cap;
        }
        size_t room = *capacity - n - 1;
        size_t ask = chunk && room > READ_CHUNK ? READ_CHUNK : room;
        ssize_t got = read(fd, *buffer + n, ask);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            close(fd);
            return seterr(err, RELMAP_EIO, path, 0, 0, "cannot read: %s", strerror(saved));
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (chunk)
            chunk(*buffer, n, 0, context);
        /* Linux fills a read of a regular file up to its end: one that
         * returns less has reached it, and a second read only to be told
         * so costs a system call a file (a twentieth of the time over a
         * folder of one small document a file). Pseudo-files (/proc's)
         * may return less before their end; they are no corpus, and one
         * named on the command line, of size 0, is not taken as regular. */
        if (regular && (size_t)got < ask)
            break;
    }
    close(fd);
    (*buffer)[n] = '\0';
    *length = n;
    if (chunk)
        chunk(*buffer, n, 1, context);
    return 0;
}

const char *relmap_version(void)
{
    return RELMAP_VERSION;
}

/*
 * tsv.c - extract's TSV: writing one row per match, reading rows back.
 *
 * Columns: source, relation, target, document, line, rule, source_type,
 * source_country, target_type, target_country, evidence. Tabs, newlines and
 * backslashes inside a field are written as \t, \n and \\.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "tsv.h"

#define TSV_COLUMNS 11

static const char header[] = "source\trelation\ttarget\tdocument\tline\trule\tsource_type\t"
                             "source_country\ttarget_type\ttarget_country\tevidence\n";

const char *relmap_tsv_header(void)
{
    return header;
}

/* Room a row begins with, on the stack or at the end of a strbuf: most
 * rows fit. */
#define ROW_ROOM 2048

/* A row put together where it is to stay: at the end of a strbuf of rows,
 * or on the stack and written with one fwrite. Extract writes a row for
 * every edge of every sentence. */
typedef struct row_writer {
    FILE *stream;   /* or NULL: into `rows` */
    strbuf *rows;
    char *buffer;   /* rows' free tail, or `own` */
    size_t length;  /* bytes of the row (or of its last piece) in buffer */
    size_t room;    /* buffer's size */
    char own[ROW_ROOM];
} row_writer;

/* The buffer at the end of `rows`, with room for `need` bytes at least. */
static void row_take_tail(row_writer *w, size_t need)
{
    sb_reserve(w->rows, need);
    w->buffer = w->rows->data + w->rows->length;
    w->room = w->rows->capacity - w->rows->length - 1; /* the NUL's */
    w->length = 0;
}

static void row_begin(row_writer *w, FILE *stream, strbuf *rows)
{
    w->stream = stream;
    w->rows = rows;
    if (rows) {
        row_take_tail(w, ROW_ROOM);
    } else {
        w->buffer = w->own;
        w->room = sizeof w->own;
        w->length = 0;
    }
}

/* What the buffer holds is the rows' (their length moves on over it) or
 * goes to the stream. The end of a row, and the first half of a spill. */
static void row_end(row_writer *w)
{
    if (w->rows) {
        w->rows->length += w->length;
        w->rows->data[w->rows->length] = '\0';
    } else {
        fwrite(w->buffer, 1, w->length, w->stream);
    }
    w->length = 0;
}

/* What the buffer holds goes out (or stays, at the end of the rows), and
 * there is room for `need` more bytes: at the end of the rows, room for the
 * whole of them; on the stack, the buffer empty again. */
static void row_spill(row_writer *w, size_t need)
{
    row_end(w);
    if (w->rows)
        row_take_tail(w, need > ROW_ROOM ? need : ROW_ROOM);
}

static void row_add(row_writer *w, const char *s, size_t n)
{
    if (n > w->room - w->length) {
        row_spill(w, n);
        if (n > w->room) { /* longer than the stack's buffer: as it is */
            fwrite(s, 1, n, w->stream);
            return;
        }
    }
    memcpy(w->buffer + w->length, s, n);
    w->length += n;
}

/* A few bytes (n <= 32: a number, an escape) after a spill if they do not fit. */
static void row_add_short(row_writer *w, const char *s, size_t n)
{
    if (n > w->room - w->length)
        row_spill(w, n);
    memcpy(w->buffer + w->length, s, n);
    w->length += n;
}

/* The bytes that end a run of a field's bytes copied as they are: its NUL
 * and TSV_SPECIAL, made from that list as the program starts (before any
 * thread), so that the two cannot differ. */
static unsigned char ends_run[256];

static __attribute__((constructor)) void note_ends_run(void)
{
    ends_run[0] = 1;
    for (const char *c = TSV_SPECIAL; *c; c++)
        ends_run[(unsigned char)*c] = 1;
}

/* Whether one of the 8 bytes of v may need an escape: a byte below 0x0E
 * ('\t', '\n' and '\r' are there; the other control bytes only send the
 * field to the exact copy below) or a backslash. Word-wide tests of "a byte
 * less than" and "a zero byte": a borrow may mark a byte above a marked
 * one, never a field with none. */
static inline uint64_t may_escape8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101u, high = ones << 7;
    uint64_t back = v ^ (ones * '\\');
    return (((v - ones * 0x0E) & ~v) | ((back - ones) & ~back)) & high;
}

/* The longest field row_add_plain copies. */
#define PLAIN_FIELD 64

/* A short field (a name, a type) that needs no escape, then `end`: copied
 * by words, 8 bytes or two overlapping 4 at a time (strlen has told where it
 * ends: no byte past it is read). Returns 0, having added nothing, for a
 * field longer than PLAIN_FIELD, one that needs an escape (or may), or too
 * little room: the exact copy's. */
static inline int row_add_plain(row_writer *w, const char *s, char end)
{
    size_t n = strlen(s);
    if (n > PLAIN_FIELD || w->room - w->length < PLAIN_FIELD + 1)
        return 0;
    char *d = w->buffer + w->length;
    uint64_t any = 0, v;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&v, s + i, 8);
            any |= may_escape8(v);
            memcpy(d + i, &v, 8);
        }
        memcpy(&v, s + n - 8, 8);
        any |= may_escape8(v);
        memcpy(d + n - 8, &v, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        any = may_escape8(a | (uint64_t)b << 32);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++) {
            any |= ends_run[(unsigned char)s[i]];
            d[i] = s[i];
        }
    }
    if (any)
        return 0; /* the bytes past w->length are written over */
    d[n] = end;
    w->length += n + 1;
    return 1;
}

/* A field escaped as sb_add_tsv escapes it, then `end`. A long one
 * (`long_field`: the document's name, the evidence) by runs that strcspn
 * finds, a short one (names, a relation, a type) a byte at a time into
 * the buffer: shorter than a call. */
static __attribute__((noinline)) void row_add_field(row_writer *w, const char *s, char end,
                                                     int long_field)
{
    const unsigned char *u = (const unsigned char *)s;
    for (;;) {
        size_t run;
        if (long_field) {
            run = strcspn((const char *)u, TSV_SPECIAL);
            row_add(w, (const char *)u, run);
        } else {
            /* room for the run, then an escape or the end */
            if (w->room - w->length < 3 + 16)
                row_spill(w, 3 + 16);
            size_t room = w->room - w->length - 3;
            char *d = w->buffer + w->length;
            for (run = 0; run < room && !ends_run[u[run]]; run++)
                d[run] = (char)u[run];
            w->length += run;
            if (run == room) { /* more than the buffer holds: on after a spill */
                u += run;
                row_spill(w, 3 + 16);
                continue;
            }
        }
        u += run;
        if (!*u)
            break;
        row_add_short(w, tsv_escape(*u), 2);
        u++;
    }
    if (w->length == w->room)
        row_spill(w, 1);
    w->buffer[w->length++] = end;
}

/* A short field and its tab: by words when it can be, else exactly. */
static inline void row_add_short_field(row_writer *w, const char *s)
{
    if (!s)
        s = "";
    if (!row_add_plain(w, s, '\t'))
        row_add_field(w, s, '\t', 0);
}

static void row_add_match(row_writer *w, const relmap_match *m)
{
    row_add_short_field(w, m->source);
    row_add_short_field(w, m->relation);
    row_add_short_field(w, m->target);
    row_add_field(w, m->document ? m->document : "", '\t', 1);
    char number[24];
    size_t digits = format_uint(number, m->line);
    number[digits] = '\t';
    row_add_short(w, number, digits + 1);
    row_add_short_field(w, m->rule);
    row_add_short_field(w, m->source_type);
    row_add_short_field(w, m->source_country);
    row_add_short_field(w, m->target_type);
    row_add_short_field(w, m->target_country);
    row_add_field(w, m->evidence ? m->evidence : "", '\n', 1);
}

/* The row of `m` to `stream`, or added to `rows` when stream is NULL. */
static void write_row(FILE *stream, strbuf *rows, const relmap_match *m)
{
    row_writer w;
    row_begin(&w, stream, rows);
    row_add_match(&w, m);
    row_end(&w);
}

void relmap_tsv_write_match(FILE *stream, const relmap_match *m)
{
    write_row(stream, NULL, m);
}

void tsv_add_match(strbuf *rows, const relmap_match *m)
{
    write_row(NULL, rows, m);
}

/* Rows gathered by the writer before they go to its stream: few and large
 * fwrite calls, where a call a row cost more than the row's bytes. */
#define WRITER_BLOCK (64u << 10)

struct relmap_tsv_writer {
    FILE *stream;
    strbuf rows;
    int failed;
};

relmap_tsv_writer *relmap_tsv_writer_new(FILE *stream)
{
    relmap_tsv_writer *w = xcalloc(1, sizeof *w);
    w->stream = stream;
    sb_reserve(&w->rows, WRITER_BLOCK + ROW_ROOM);
    return w;
}

int relmap_tsv_writer_flush(relmap_tsv_writer *w)
{
    if (w->rows.length && fwrite(w->rows.data, 1, w->rows.length, w->stream) != w->rows.length)
        w->failed = 1;
    sb_clear(&w->rows);
    return w->failed ? -1 : 0;
}

void relmap_tsv_writer_add(relmap_tsv_writer *w, const relmap_match *m)
{
    tsv_add_match(&w->rows, m);
    if (w->rows.length >= WRITER_BLOCK)
        relmap_tsv_writer_flush(w);
}

int relmap_tsv_writer_free(relmap_tsv_writer *w)
{
    if (!w)
        return 0;
    int rc = relmap_tsv_writer_flush(w);
    sb_free(&w->rows);
    free(w);
    return rc;
}

/* Split a row in place at tabs and undo the escapes; returns the count.
 * The runs between tabs and backslashes are found by strcspn and moved
 * whole (only once an escape has made the text shorter). */
static size_t split_row(char *row, char **fields, size_t max)
{
    size_t n = 0;
    char *w = row, *start = row;
    for (char *r = row;;) {
        size_t run = strcspn(r, "\t\\");
        if (w != r)
            memmove(w, r, run);
        w += run;
        r += run;
        if (*r == '\\' && r[1]) {
            r++;
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
            r++;
            continue;
        }
        if (*r == '\\') { /* a backslash that ends the row stays */
            *w++ = *r++;
            continue;
        }
        int end = *r == '\0';
        *w = '\0';
        if (n < max)
            fields[n] = start;
        n++;
        if (end)
            break;
        w = start = ++r;
    }
    return n;
}

int relmap_graph_read_tsv(relmap_graph *g, const char *path, relmap_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return seterr(err, RELMAP_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    char *row = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    int rc = 0;
    while ((len = getline(&row, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (row[len - 1] == '\n' || row[len - 1] == '\r'))
            row[--len] = '\0';
        if (len == 0 || row[0] == '#')
            continue;
        /* the row as read, for an error's source line (split_row cuts it) */
        char raw[1024];
        size_t keep = (size_t)len < sizeof raw - 1 ? (size_t)len : sizeof raw - 1;
        memcpy(raw, row, keep);
        raw[keep] = '\0';
        char *fields[TSV_COLUMNS];
        size_t n = split_row(row, fields, TSV_COLUMNS);
        if (n >= 1 && strcmp(fields[0], "source") == 0)
            continue;
        if (n != TSV_COLUMNS) {
            rc = seterr(err, RELMAP_ESYNTAX, path, lineno, 1,
                        "expected %d tab-separated columns as relmap extract writes them, found %zu",
                        TSV_COLUMNS, n);
            seterr_source(err, raw, strlen(raw));
            break;
        }
        char *end;
        errno = 0;
        unsigned long line = strtoul(fields[4], &end, 10);
        if (*fields[4] == '\0' || *end != '\0' || errno || line > 0xFFFFFFFFul) {
            rc = seterr(err, RELMAP_ESYNTAX, path, lineno, 1,
                        "column 5 (line) must be a number, not '%s'", fields[4]);
            seterr_source(err, raw, strlen(raw));
            break;
        }
        if (!fields[0][0] || !fields[1][0] || !fields[2][0]) {
            rc = seterr(err, RELMAP_ESYNTAX, path, lineno, 1,
                        "source, relation and target must not be empty");
            seterr_source(err, raw, strlen(raw));
            break;
        }
        relmap_match m = {fields[0], fields[1], fields[2], fields[3], (unsigned)line, fields[5],
                          fields[10], fields[6], fields[7], fields[8], fields[9]};
        relmap_graph_add(g, &m);
    }
    if (rc == 0 && ferror(f))
        rc = seterr(err, RELMAP_EIO, path, 0, 0, "cannot read: %s", strerror(errno));
    free(row);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* Merging: counts, documents, evidence, roll-up, and the TSV round trip. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph.h"
#include "tsv.h"
#include "relmap.h"
#include "util.h"
#include "check_main.h"

static relmap_match row(const char *s, const char *r, const char *t, const char *doc,
                        unsigned line, const char *evidence)
{
    relmap_match m = {s, r, t, doc, line, "t.rules:1", evidence, "person", "China", "country", ""};
    return m;
}

START_TEST(same_edge_merges_with_count_and_documents)
{
    relmap_graph *g = relmap_graph_new();
    relmap_match a = row("Qin Gang", "accuses", "United States", "b.txt", 3, "one");
    relmap_match b = row("Qin Gang", "accuses", "United States", "a.txt", 9, "two");
    relmap_match c = row("Qin Gang", "denies", "United States", "a.txt", 10, "three");
    relmap_graph_add(g, &a);
    relmap_graph_add(g, &b);
    relmap_graph_add(g, &b);
    relmap_graph_add(g, &c);
    ck_assert_uint_eq(relmap_graph_node_count(g), 2);
    ck_assert_uint_eq(relmap_graph_edge_count(g), 2);
    ck_assert_uint_eq(relmap_graph_edge_weight(g, "Qin Gang", "accuses", "United States"), 3);
    ck_assert_uint_eq(relmap_graph_edge_weight(g, "Qin Gang", "denies", "United States"), 1);
    ck_assert_uint_eq(relmap_graph_edge_weight(g, "United States", "accuses", "Qin Gang"), 0);
    relmap_graph_free(g);
}
END_TEST

START_TEST(long_names_make_edges_like_short_ones)
{
    /* keys past the stack buffer, and names that only a separator tells apart */
    char longer[600];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    relmap_graph *g = relmap_graph_new();
    relmap_match a = row(longer, "accuses", "United States", "a.txt", 1, "one");
    relmap_match b = row("A B", "accuses", "C", "a.txt", 2, "two");
    relmap_match c = row("A", "B accuses", "C", "a.txt", 3, "three");
    relmap_graph_add(g, &a);
    relmap_graph_add(g, &a);
    relmap_graph_add(g, &b);
    relmap_graph_add(g, &c);
    ck_assert_uint_eq(relmap_graph_edge_count(g), 3);
    ck_assert_uint_eq(relmap_graph_edge_weight(g, longer, "accuses", "United States"), 2);
    ck_assert_uint_eq(relmap_graph_edge_weight(g, "A B", "accuses", "C"), 1);
    ck_assert_uint_eq(relmap_graph_edge_weight(g, "A", "B accuses", "C"), 1);
    ck_assert_uint_eq(relmap_graph_edge_weight(g, "A", "accuses", "C"), 0);
    relmap_graph_free(g);
}
END_TEST

START_TEST(roll_up_goes_to_countries_and_drops_self_loops)
{
    relmap_graph *g = relmap_graph_new();
    relmap_match a = row("Qin Gang", "accuses", "United States", "a.txt", 1, "x");
    relmap_match b = row("Qin Gang", "accuses", "China", "a.txt", 2, "y");
    relmap_match c = row("China", "accuses", "United States", "a.txt", 3, "z");
    c.source_type = "country";
    c.source_country = "";
    relmap_graph_add(g, &a);
    relmap_graph_add(g, &b);
    relmap_graph_add(g, &c);
    relmap_graph *up = relmap_graph_rollup(g);
    ck_assert_uint_eq(relmap_graph_edge_count(up), 1);
    ck_assert_uint_eq(relmap_graph_edge_weight(up, "China", "accuses", "United States"), 2);
    ck_assert_uint_eq(relmap_graph_node_count(up), 2);
    relmap_graph_free(up);
    relmap_graph_free(g);
}
END_TEST

static char *render(const relmap_graph *g, relmap_format f)
{
    char *out;
    size_t len;
    relmap_error err;
    ck_assert_int_eq(relmap_render(&out, &len, g, NULL, f, &err), 0);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

START_TEST(merge_order_does_not_change_the_graph)
{
    relmap_match rows[] = {
        row("A", "accuses", "B", "d2.txt", 5, "late"),
        row("A", "accuses", "B", "d1.txt", 7, "early"),
        row("B", "denies", "A", "d1.txt", 8, "no"),
        row("A", "accuses", "B", "d1.txt", 2, "earliest"),
    };
    relmap_graph *g1 = relmap_graph_new(), *g2 = relmap_graph_new();
    for (int i = 0; i < 4; i++)
        relmap_graph_add(g1, &rows[i]);
    for (int i = 3; i >= 0; i--)
        relmap_graph_add(g2, &rows[i]);
    char *j1 = render(g1, RELMAP_FORMAT_JSON), *j2 = render(g2, RELMAP_FORMAT_JSON);
    ck_assert_str_eq(j1, j2);
    /* evidence sorted by document and line */
    const char *e1 = strstr(j1, "earliest"), *e2 = strstr(j1, "\"early\""), *e3 = strstr(j1, "late");
    ck_assert(e1 && e2 && e3 && e1 < e2 && e2 < e3);
    ck_assert_ptr_nonnull(strstr(j1, "\"documents\": [\"d1.txt\", \"d2.txt\"]"));
    free(j1);
    free(j2);
    relmap_graph_free(g1);
    relmap_graph_free(g2);
}
END_TEST

START_TEST(tsv_round_trip_keeps_awkward_text)
{
    char path[] = "/tmp/relmap-tsv-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(relmap_tsv_header(), f);
    relmap_match a = row("A \"quoted\"", "accuses", "B\\back", "dir/d 1.txt", 4,
                         "tab\there, newline\nthere, back\\slash <b>&amp;</b>");
    relmap_tsv_write_match(f, &a);
    fclose(f);
    relmap_graph *direct = relmap_graph_new(), *read = relmap_graph_new();
    relmap_graph_add(direct, &a);
    relmap_error err;
    ck_assert_int_eq(relmap_graph_read_tsv(read, path, &err), 0);
    char *j1 = render(direct, RELMAP_FORMAT_JSON), *j2 = render(read, RELMAP_FORMAT_JSON);
    ck_assert_str_eq(j1, j2);
    ck_assert_ptr_nonnull(strstr(j1, "tab\\there, newline\\nthere, back\\\\slash"));
    free(j1);
    free(j2);
    relmap_graph_free(direct);
    relmap_graph_free(read);
    unlink(path);
}
END_TEST

/* What relmap_tsv_write_match writes of `m` to a stream: its bytes and
 * their count. */
static char *written_row(const relmap_match *m, size_t *length)
{
    char *text = NULL;
    *length = 0;
    FILE *f = open_memstream(&text, length);
    ck_assert_ptr_nonnull(f);
    relmap_tsv_write_match(f, m);
    fclose(f);
    return text;
}

/* A row longer than the writer's buffer comes out whole and in order,
 * to a stream and to a strbuf (as -j N's workers keep rows), whichever
 * field is long: a long evidence sentence (copied by runs) or a long name
 * (copied a byte at a time), escapes on both sides of every cut. */
START_TEST(tsv_row_longer_than_a_buffer_is_written_whole)
{
    strbuf evidence = {0}, runs = {0}, escapes = {0};
    for (int i = 0; i < 900; i++)
        sb_adds(&evidence, i % 7 ? "word " : "a\tb\\ ");
    for (int i = 0; i < 1200; i++) { /* runs longer than the buffer, and short ones */
        sb_adds(&runs, i % 600 ? "Qin " : "G\tg\\");
        sb_adds(&escapes, i % 5 ? "Qin " : "G\tg\\");
    }
    const char *sources[] = {"Qin Gang", runs.data, escapes.data};
    const char *texts[] = {evidence.data, "short", "short"};
    for (int k = 0; k < 3; k++) {
        relmap_match a = row(sources[k], "accuses", "United States", "d.txt", 12, texts[k]);
        strbuf expected = {0}, rows = {0};
        sb_add_tsv(&expected, sources[k]);
        sb_adds(&expected, "\taccuses\tUnited States\td.txt\t12\tt.rules:1\tperson\t"
                           "China\tcountry\t\t");
        sb_add_tsv(&expected, texts[k]);
        sb_addc(&expected, '\n');
        size_t length;
        char *text = written_row(&a, &length);
        ck_assert_uint_gt(length, 2 * 2048);
        ck_assert_uint_eq(length, expected.length);
        ck_assert(memcmp(text, expected.data, length) == 0);
        sb_adds(&rows, "before\n");
        tsv_add_match(&rows, &a);
        ck_assert_uint_eq(rows.length, 7 + expected.length);
        ck_assert(memcmp(rows.data + 7, expected.data, expected.length) == 0);
        free(text);
        sb_free(&expected);
        sb_free(&rows);
    }
    sb_free(&evidence);
    sb_free(&runs);
    sb_free(&escapes);
}
END_TEST

/* Each short field (the names, the rule, the types) of every length up to
 * past the longest copied by words, with a byte at every place that needs an
 * escape (a tab, a newline, a carriage return, a backslash), that only looks
 * as if it might (another control byte, the next above them, bytes beyond
 * ASCII) or none: written as sb_add_tsv writes it, to a stream and to rows
 * kept in a strbuf. */
START_TEST(tsv_short_fields_are_escaped_at_every_length_and_place)
{
    static const char odd[] = {'\t', '\n', '\r', '\\', '\x01', '\x0b', '\x0c', '\x0e',
                               '\x1f', '[', ']', '\x80', '\xc3', '\xff', 'x'};
    char field[80];
    for (size_t n = 0; n <= 70; n++) {
        for (size_t at = 0; at <= n; at++) {
            for (size_t k = 0; k < sizeof odd; k++) {
                if (at == n && k) /* no odd byte: once */
                    break;
                for (size_t i = 0; i < n; i++)
                    field[i] = (char)('a' + i % 26);
                if (at < n)
                    field[at] = odd[k];
                field[n] = '\0';
                relmap_match a = {field, "accuses", field, "d.txt", 7, field,
                                  "A accused B.", field, "", field, field};
                strbuf expected = {0}, rows = {0};
                sb_add_tsv(&expected, field);
                sb_adds(&expected, "\taccuses\t");
                sb_add_tsv(&expected, field);
                sb_adds(&expected, "\td.txt\t7\t");
                for (int f = 0; f < 4; f++) { /* the rule, source type and country, target type */
                    sb_add_tsv(&expected, f == 2 ? "" : field);
                    sb_addc(&expected, '\t');
                }
                sb_add_tsv(&expected, field);
                sb_adds(&expected, "\tA accused B.\n");
                size_t length;
                char *text = written_row(&a, &length);
                ck_assert_msg(length == expected.length && !memcmp(text, expected.data, length),
                              "length %zu, byte %zu of %zu", n, at, k);
                tsv_add_match(&rows, &a);
                ck_assert_uint_eq(rows.length, expected.length);
                ck_assert(memcmp(rows.data, expected.data, expected.length) == 0);
                free(text);
                sb_free(&expected);
                sb_free(&rows);
            }
        }
    }
}
END_TEST

/* The writer's blocks hold the bytes relmap_tsv_write_match writes, row
 * after row in order, over many blocks and rows longer than a block's
 * room; a stream that fails is told by the flush and by the free. */
START_TEST(tsv_writer_writes_the_rows_a_row_at_a_time_would)
{
    strbuf evidence = {0};
    for (int i = 0; i < 3000; i++)
        sb_adds(&evidence, i % 7 ? "word " : "a\tb\\ ");
    char *one = NULL, *blocks = NULL;
    size_t one_length = 0, blocks_length = 0;
    FILE *f1 = open_memstream(&one, &one_length), *f2 = open_memstream(&blocks, &blocks_length);
    relmap_tsv_writer *w = relmap_tsv_writer_new(f2);
    for (unsigned i = 1; i <= 3000; i++) {
        char name[32];
        snprintf(name, sizeof name, "Person %u\t%s", i, i % 3 ? "" : "\\");
        relmap_match a = row(name, "accuses", "United States", "d.txt", i,
                             i % 500 ? "A accused B, tab\there." : evidence.data);
        relmap_tsv_write_match(f1, &a);
        relmap_tsv_writer_add(w, &a);
        if (i == 1500) /* a flush in the middle changes nothing */
            ck_assert_int_eq(relmap_tsv_writer_flush(w), 0);
    }
    ck_assert_int_eq(relmap_tsv_writer_free(w), 0);
    fclose(f1);
    fclose(f2);
    ck_assert_uint_gt(one_length, 4 * 65536);
    ck_assert_uint_eq(blocks_length, one_length);
    ck_assert(memcmp(blocks, one, one_length) == 0);
    free(one);
    free(blocks);
    sb_free(&evidence);
    ck_assert_int_eq(relmap_tsv_writer_free(NULL), 0);

    FILE *closed = fopen("/dev/null", "r"); /* no write succeeds */
    ck_assert_ptr_nonnull(closed);
    w = relmap_tsv_writer_new(closed);
    relmap_match a = row("A", "accuses", "B", "d.txt", 1, "A accused B.");
    relmap_tsv_writer_add(w, &a);
    ck_assert_int_eq(relmap_tsv_writer_flush(w), -1);
    ck_assert_int_eq(relmap_tsv_writer_free(w), -1);
    fclose(closed);
}
END_TEST

/* The line column: every number of digits, up to the largest. */
START_TEST(tsv_line_numbers_are_written_in_full)
{
    static const unsigned lines[] = {1, 9, 10, 99, 100, 4096, 65536, 1000000, 4294967295u};
    for (size_t k = 0; k < sizeof lines / sizeof *lines; k++) {
        relmap_match a = row("A", "accuses", "B", "d.txt", lines[k], "A accused B.");
        char *text = NULL;
        size_t length = 0;
        FILE *f = open_memstream(&text, &length);
        relmap_tsv_write_match(f, &a);
        fclose(f);
        char expected[128];
        snprintf(expected, sizeof expected, "A\taccuses\tB\td.txt\t%u\tt.rules:1\t", lines[k]);
        ck_assert_msg(strncmp(text, expected, strlen(expected)) == 0, "line %u: %s", lines[k],
                      text);
        free(text);
    }
}
END_TEST

START_TEST(numbers_are_written_as_printf_writes_them)
{
    static const unsigned long long numbers[] = {0, 1, 9, 10, 99, 100, 65535, 4294967295ull,
                                                 18446744073709551615ull};
    for (size_t k = 0; k < sizeof numbers / sizeof *numbers; k++) {
        strbuf sb = {0};
        char expected[32];
        sb_adds(&sb, "n=");
        sb_add_uint(&sb, numbers[k]);
        snprintf(expected, sizeof expected, "n=%llu", numbers[k]);
        ck_assert_str_eq(sb.data, expected);
        sb_free(&sb);
    }
}
END_TEST

START_TEST(malformed_tsv_is_an_error_at_its_line)
{
    char path[] = "/tmp/relmap-tsv-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(relmap_tsv_header(), f);
    fputs("# a comment\nA\taccuses\tB\n", f);
    fclose(f);
    relmap_graph *g = relmap_graph_new();
    relmap_error err;
    ck_assert_int_eq(relmap_graph_read_tsv(g, path, &err), RELMAP_ESYNTAX);
    ck_assert_uint_eq(err.line, 3);
    ck_assert_ptr_nonnull(strstr(err.message, "expected 11 tab-separated columns"));
    ck_assert_str_eq(err.source_line, "A\taccuses\tB"); /* the row as it was read */
    relmap_graph_free(g);
    unlink(path);
    ck_assert_int_eq(relmap_graph_read_tsv(g = relmap_graph_new(), "/nonexistent/x.tsv", &err),
                     RELMAP_EIO);
    relmap_graph_free(g);
}
END_TEST

/* Matches for the memory-limit tests: 60 entities, 4 relations, spread over
 * 40 documents, so that edges recur in many runs and keep more than
 * EVIDENCE_MAX sentences; names and evidence with the bytes every format
 * escapes. */
static void add_many(relmap_graph *g, int from, int to)
{
    static const char *const relations[] = {"accuses", "denies", "summons", "urges"};
    for (int i = from; i < to; i++) {
        char s[64], t[64], doc[64], ev[128];
        snprintf(s, sizeof s, "Entity \"%d\" <&>", (i * 7) % 60);
        snprintf(t, sizeof t, "Target\\%d\t%%", (i * 13) % 17);
        snprintf(doc, sizeof doc, "corpus/%02d 'x'.txt", (i * 11) % 40);
        snprintf(ev, sizeof ev, "Sentence %d says so, \"quoted\"\\ and\ttabbed.", i % 97);
        relmap_match m = {s, relations[i % 4], t, doc, (unsigned)(i % 50) + 1, "t.rules:1", ev,
                          i % 3 ? "person" : "organization", i % 5 ? "China" : "",
                          "country", ""};
        relmap_graph_add(g, &m);
    }
}

static void assert_same_renderings(const relmap_graph *a, const relmap_graph *b)
{
    const relmap_format formats[] = {RELMAP_FORMAT_DOT, RELMAP_FORMAT_JSON, RELMAP_FORMAT_TSV};
    for (int f = 0; f < 3; f++) {
        char *x = render(a, formats[f]), *y = render(b, formats[f]);
        /* not ck_assert_str_eq: its message would hold both graphs */
        ck_assert_msg(!strcmp(x, y), "format %d differs: %zu and %zu bytes", f, strlen(x),
                      strlen(y));
        free(x);
        free(y);
    }
    ck_assert_uint_eq(relmap_graph_node_count(a), relmap_graph_node_count(b));
    ck_assert_uint_eq(relmap_graph_edge_count(a), relmap_graph_edge_count(b));
}

START_TEST(a_graph_over_its_memory_limit_renders_as_one_in_memory)
{
    relmap_graph *whole = relmap_graph_new();
    add_many(whole, 0, 3000);
    ck_assert_ptr_null(whole->runs);
    /* 1 byte: a run for every match, merged 64 at a time; 20 KiB: a few runs */
    const size_t limits[] = {1, 20 << 10};
    for (int k = 0; k < 2; k++) {
        relmap_graph *g = relmap_graph_new();
        relmap_graph_set_memory_limit(g, limits[k]);
        add_many(g, 0, 3000);
        ck_assert_ptr_nonnull(g->runs); /* it did go to disk */
        relmap_error err;
        ck_assert_int_eq(relmap_graph_finish(g, &err), 0);
        /* counted before anything reads the runs: a pass of its own */
        ck_assert_uint_eq(relmap_graph_edge_count(g), relmap_graph_edge_count(whole));
        assert_same_renderings(whole, g);
        ck_assert_uint_eq(relmap_graph_edge_weight(g, "Entity \"7\" <&>", "denies", "Target\\13\t%"),
                          relmap_graph_edge_weight(whole, "Entity \"7\" <&>", "denies",
                                                   "Target\\13\t%"));
        ck_assert_uint_gt(relmap_graph_edge_weight(g, "Entity \"7\" <&>", "denies", "Target\\13\t%"), 0);
        ck_assert_uint_eq(relmap_graph_edge_weight(g, "Entity \"7\" <&>", "denies", "nobody"), 0);
        relmap_graph *up1 = relmap_graph_rollup(whole), *up2 = relmap_graph_rollup(g);
        assert_same_renderings(up1, up2);
        relmap_graph_free(up1);
        relmap_graph_free(up2);
        relmap_graph_free(g);
    }
    relmap_graph_free(whole);
}
END_TEST

START_TEST(matches_added_after_finishing_are_kept)
{
    relmap_graph *whole = relmap_graph_new(), *g = relmap_graph_new();
    add_many(whole, 0, 500);
    relmap_graph_set_memory_limit(g, 4096);
    add_many(g, 0, 300);
    relmap_error err;
    ck_assert_int_eq(relmap_graph_finish(g, &err), 0);
    char *early = render(g, RELMAP_FORMAT_TSV); /* a finished graph can be rendered twice */
    char *again = render(g, RELMAP_FORMAT_TSV);
    ck_assert_msg(!strcmp(early, again), "the second rendering differs");
    add_many(g, 300, 500);
    assert_same_renderings(whole, g);
    free(early);
    free(again);
    relmap_graph_free(g);
    relmap_graph_free(whole);
}
END_TEST

START_TEST(a_graph_that_cannot_go_to_disk_is_an_error)
{
    const char *old = getenv("TMPDIR");
    char *saved = old ? xstrdup(old) : NULL;
    setenv("TMPDIR", "/nonexistent/relmap-spill", 1);
    relmap_graph *g = relmap_graph_new();
    relmap_graph_set_memory_limit(g, 1024);
    add_many(g, 0, 200);
    relmap_error err;
    ck_assert_int_eq(relmap_graph_finish(g, &err), RELMAP_EIO);
    ck_assert_str_eq(err.file, "/nonexistent/relmap-spill");
    ck_assert_ptr_nonnull(strstr(err.message, "cannot write the graph's edges"));
    ck_assert_ptr_nonnull(strstr(err.message, "No such file or directory"));
    char *out;
    size_t len;
    ck_assert_int_eq(relmap_render(&out, &len, g, NULL, RELMAP_FORMAT_DOT, &err), RELMAP_EIO);
    ck_assert_ptr_null(out);
    relmap_graph_free(g);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
}
END_TEST

START_TEST(a_graph_on_disk_is_not_diffed)
{
    relmap_graph *g = relmap_graph_new(), *h = relmap_graph_new();
    relmap_graph_set_memory_limit(g, 1);
    add_many(g, 0, 10);
    add_many(h, 0, 10);
    char *out;
    size_t len, changes;
    relmap_error err;
    ck_assert_int_eq(relmap_diff(&out, &len, &changes, h, g, NULL, RELMAP_DIFF_TEXT, NULL, &err),
                     RELMAP_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "went to disk"));
    relmap_graph_free(g);
    relmap_graph_free(h);
}
END_TEST

int main(void)
{
    RUN_TESTS("graph",
              same_edge_merges_with_count_and_documents,
              long_names_make_edges_like_short_ones,
              roll_up_goes_to_countries_and_drops_self_loops,
              merge_order_does_not_change_the_graph,
              tsv_round_trip_keeps_awkward_text,
              tsv_row_longer_than_a_buffer_is_written_whole,
              tsv_short_fields_are_escaped_at_every_length_and_place,
              tsv_writer_writes_the_rows_a_row_at_a_time_would,
              tsv_line_numbers_are_written_in_full,
              numbers_are_written_as_printf_writes_them,
              malformed_tsv_is_an_error_at_its_line,
              a_graph_over_its_memory_limit_renders_as_one_in_memory,
              matches_added_after_finishing_are_kept,
              a_graph_that_cannot_go_to_disk_is_an_error,
              a_graph_on_disk_is_not_diffed);
}

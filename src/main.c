/*
 * main.c - the relmap command: parses arguments, calls the library, writes
 * the outputs and turns what happened into an exit status.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE, sbrk */
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "relmap.h"

enum exit_status { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

#define MAX_ARGS 4096

/* build's and merge's graph: over this many MiB its edges go to disk, so
 * memory stays the same at any corpus size */
#define DEFAULT_GRAPH_MEMORY ((size_t)16 << 20)

typedef struct options {
    const char *rules[64];
    size_t nrules;
    const char *outputs[16];
    size_t noutputs;
    const char *glob;
    int country_level;
    relmap_layout layout;
    int all, misses;
    unsigned line;
    const char *format;
    const char *relations[64];
    size_t nrelations;
    int changed_only;
    int triggers;
    unsigned jobs;
    size_t memory; /* the graph's memory limit in bytes; 0: none */
    const char *inputs[MAX_ARGS];
    size_t ninputs;
    const char *argv0;
} options;

static const char usage_main[] =
    "usage: relmap COMMAND [OPTIONS] ...\n"
    "\n"
    "Turn news text into a graph of who did what to whom.\n"
    "\n"
    "commands:\n"
    "  build   [-r RULES]... [-o FILE]... CORPUS...   render the merged graph (SVG, DOT, JSON, TSV)\n"
    "  extract [-r RULES]... CORPUS...               print one TSV row per sentence-level edge\n"
    "  merge   [-r RULES]... [-o FILE]... EDGES.tsv...  build the graph from extract outputs\n"
    "  diff    [-r RULES]... [--format F] OLD NEW    what changed between two graphs or corpora\n"
    "  check   [RULES...]                            check rule files and run their examples\n"
    "  explain [-r RULES]... [--all] [SENTENCE|FILE|-]  show how a sentence is read\n"
    "  explain [-r RULES]... --misses CORPUS...      sentences no rule covers, rules never fired\n"
    "\n"
    "CORPUS is files, folders (walked recursively for *.txt; --glob to change) or - for stdin.\n"
    "Without -r, the bundled rules are used ($RELMAP_RULES overrides).\n"
    "\n"
    "  -h, --help     show help (relmap COMMAND --help for a command)\n"
    "      --version  show the version\n"
    "\n"
    "exit status: 0 success, 1 input errors were reported, 2 bad usage\n";

/* The help of options that several commands take. */
#define HELP_JOBS \
    "  -j, --jobs N         extract on N threads, the same output as one (default: as\n" \
    "                       many as there are processors, up to 8)\n"
#define HELP_MEMORY \
    "      --memory SIZE    hold at most about SIZE of the graph's edges in memory; the\n" \
    "                       rest wait, sorted, in temporary files in $TMPDIR. MiB, or\n" \
    "                       a number ending in K, M or G; 0: no limit; default 16.\n" \
    "                       The output is the same bytes whatever the size.\n"

static const char usage_build[] =
    "usage: relmap build [-r RULES]... [-o FILE]... [--glob PATTERN] [--level entity|country]\n"
    "                    [--layout LAYOUT] [-j N] [--memory SIZE] CORPUS...\n"
    "\n"
    "Extract the edges of every document and render the merged graph. The format of\n"
    "each -o FILE follows its extension: .svg, .dot (or .gv), .json, .tsv. Without -o,\n"
    "writes out/relations.svg and out/relations.dot. Outputs are replaced atomically.\n"
    "\n"
    "  -r, --rules FILE     a rule file (repeatable); default: the bundled rules\n"
    "  -o, --output FILE    an output file (repeatable)\n"
    "      --glob PATTERN   which files of a folder to read (default *.txt)\n"
    "      --level LEVEL    entity (default) or country: roll entities up to their country\n"
    "      --layout LAYOUT  how an SVG is laid out: dot (ranked, countries boxed, edges\n"
    "                       labelled with counts), sfdp (force-directed, for big graphs:\n"
    "                       counts as line width and in each edge's tooltip), or auto\n"
    "                       (default): dot up to 2000 edges, sfdp beyond\n"
    HELP_JOBS
    HELP_MEMORY;

static const char usage_extract[] =
    "usage: relmap extract [-r RULES]... [--glob PATTERN] CORPUS...\n"
    "\n"
    "Print one TSV row per (sentence, edge), after a header row. Columns: source,\n"
    "relation, target, document, line, rule, source_type, source_country, target_type,\n"
    "target_country, evidence.\n"
    "\n"
    "  -r, --rules FILE     a rule file (repeatable); default: the bundled rules\n"
    "      --glob PATTERN   which files of a folder to read (default *.txt)\n"
    HELP_JOBS;

static const char usage_merge[] =
    "usage: relmap merge [-r RULES]... [-o FILE]... [--level entity|country] [--layout LAYOUT]\n"
    "                    [--memory SIZE] EDGES.tsv...\n"
    "\n"
    "Read TSV files written by relmap extract (- for stdin) and render the merged graph,\n"
    "the same graph relmap build makes from the same corpus. Rules give the relations'\n"
    "colours. Without -o, writes out/relations.svg and out/relations.dot.\n"
    "\n"
    "  -r, --rules FILE     a rule file (repeatable); default: the bundled rules\n"
    "  -o, --output FILE    an output file (repeatable)\n"
    "      --level LEVEL    entity (default) or country: roll entities up to their country\n"
    "      --layout LAYOUT  how an SVG is laid out: dot (ranked, countries boxed, edges\n"
    "                       labelled with counts), sfdp (force-directed, for big graphs:\n"
    "                       counts as line width and in each edge's tooltip), or auto\n"
    "                       (default): dot up to 2000 edges, sfdp beyond\n"
    HELP_MEMORY;

/* Colour only on a terminal, and never when NO_COLOR is set. */
static int use_colour(void)
{
    static int answer = -1;
    if (answer < 0) {
        const char *no = getenv("NO_COLOR");
        answer = isatty(STDERR_FILENO) && !(no && *no);
    }
    return answer;
}

/* As gcc prints: FILE:LINE:COL: error: message, the line, a caret. */
static const char usage_check[] =
    "usage: relmap check [--triggers] [RULES...]\n"
    "\n"
    "Check rule files (default: the bundled rules) and run their example sentences.\n"
    "Each problem is printed as FILE:LINE:COL: error|warning: message, with the line\n"
    "and a caret under the column. Exit status 0 when there is no error (warnings\n"
    "allowed) and every example gives the edges it states, 1 otherwise.\n"
    "\n"
    "  --triggers   print instead the trigger words of the rules, one a line (the\n"
    "               literals a sentence must hold for some rule to run; for benchmarks)\n";

static void print_error(const relmap_error *err, const char *severity)
{
    int c = use_colour();
    const char *bold = c ? "\033[1m" : "", *reset = c ? "\033[0m" : "";
    const char *tint = !c ? "" : !strcmp(severity, "error") ? "\033[1;31m" : "\033[1;35m";
    if (err->file[0] && err->line)
        fprintf(stderr, "%s%s:%u:%u:%s %s%s:%s %s\n", bold, err->file, err->line,
                err->column ? err->column : 1, reset, tint, severity, reset, err->message);
    else if (err->file[0])
        fprintf(stderr, "%s%s:%s %s%s:%s %s\n", bold, err->file, reset, tint, severity, reset,
                err->message);
    else
        fprintf(stderr, "relmap: %s%s:%s %s\n", tint, severity, reset, err->message);
    if (err->source_line[0] && err->line) {
        fprintf(stderr, " %s\n ", err->source_line);
        for (unsigned i = 1; i < err->column && err->source_line[i - 1]; i++)
            fputc(err->source_line[i - 1] == '\t' ? '\t' : ' ', stderr);
        fprintf(stderr, "%s^%s\n", c ? "\033[1;32m" : "", reset);
    }
}

static void print_diagnostic(const relmap_error *diagnostic, int is_error, void *context)
{
    unsigned *counts = context;
    counts[is_error ? 0 : 1]++;
    print_error(diagnostic, is_error ? "error" : "warning");
}

static int usage_error(const char *command, const char *fmt, const char *arg)
{
    fprintf(stderr, "relmap%s%s: ", command ? " " : "", command ? command : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'relmap %s--help'.\n", command ? "COMMAND " : "");
    return EXIT_USAGE;
}

/* Returns -1 when parsing went well, else the exit status. */
static int parse_options(options *o, const char *command, const char *help, int argc,
                         char **argv, int takes_outputs, int needs_inputs)
{
    int explain = !strcmp(command, "explain"), diff = !strcmp(command, "diff");
    int only_inputs = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        if (only_inputs || a[0] != '-' || !strcmp(a, "-")) {
            if (o->ninputs >= MAX_ARGS)
                return usage_error(command, "too many inputs (more than %s)", "4096");
            o->inputs[o->ninputs++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_inputs = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(help, stdout);
            return EXIT_OK;
        }
        if (diff && !strcmp(a, "--changed-only")) {
            o->changed_only = 1;
            continue;
        }
        if (diff && (!strncmp(a, "--format", 8) || !strncmp(a, "--relation", 10))) {
            int is_format = a[2] == 'f';
            size_t len = is_format ? 8 : 10;
            if (a[len] == '=') {
                value = a + len + 1;
            } else if (a[len] == '\0' && i + 1 < argc) {
                value = argv[++i];
            } else {
                return usage_error(command, "option '%s' needs a value", a);
            }
            if (is_format) {
                o->format = value;
            } else if (o->nrelations < 64) {
                o->relations[o->nrelations++] = value;
            }
            continue;
        }
        if (!strcmp(command, "check") && !strcmp(a, "--triggers")) {
            o->triggers = 1;
            continue;
        }
        if (explain && (!strcmp(a, "--all") || !strcmp(a, "--misses"))) {
            *(a[2] == 'a' ? &o->all : &o->misses) = 1;
            continue;
        }
        const char *names[][2] = {{"-r", "--rules"}, {"-o", "--output"}, {NULL, "--glob"},
                                  {NULL, "--level"}, {"-j", "--jobs"}, {NULL, "--line"},
                                  {NULL, "--layout"}, {NULL, "--memory"}};
        int lays_out = takes_outputs && !diff;
        int which = -1;
        for (int k = 0; k < 8 && which < 0; k++) {
            if ((k == 5 && !explain) || (k >= 6 && !lays_out))
                continue;
            size_t len = strlen(names[k][1]);
            if ((names[k][0] && !strcmp(a, names[k][0])) || !strcmp(a, names[k][1])) {
                if (i + 1 >= argc)
                    return usage_error(command, "option '%s' needs a value", a);
                value = argv[++i];
                which = k;
            } else if (!strncmp(a, names[k][1], len) && a[len] == '=') {
                value = a + len + 1;
                which = k;
            } else if (names[k][0] && !strncmp(a, names[k][0], 2) && a[2]) {
                value = a + 2;
                which = k;
            }
        }
        switch (which) {
        case 0:
            if (o->nrules >= 64)
                return usage_error(command, "too many rule files (at most %s)", "64");
            o->rules[o->nrules++] = value;
            break;
        case 1:
            if (!takes_outputs)
                return usage_error(command, "'%s' takes no -o: it writes to standard output", "extract");
            if (o->noutputs >= 16)
                return usage_error(command, "too many outputs (at most %s)", "16");
            o->outputs[o->noutputs++] = value;
            break;
        case 2:
            o->glob = value;
            break;
        case 3:
            if (!strcmp(value, "country"))
                o->country_level = 1;
            else if (strcmp(value, "entity"))
                return usage_error(command, "--level takes entity or country, not '%s'", value);
            break;
        case 4:
        case 5: {
            char *end;
            unsigned long n = strtoul(value, &end, 10);
            if (!*value || *end || n == 0 || n > (which == 4 ? 256ul : 0xFFFFFFFFul))
                return usage_error(command,
                                   which == 4 ? "-j takes a number of threads from 1 to 256, not '%s'"
                                              : "--line takes a line number, not '%s'",
                                   value);
            if (which == 4)
                o->jobs = (unsigned)n;
            else
                o->line = (unsigned)n;
            break;
        }
        case 6:
            if (relmap_layout_from_name(&o->layout, value) < 0)
                return usage_error(command, "--layout takes auto, dot or sfdp, not '%s'", value);
            break;
        case 7: {
            char *end;
            unsigned long long n = strtoull(value, &end, 10);
            int shift = 20; /* MiB, with no unit */
            switch (*end) {
            case 'K': case 'k': shift = 10; end++; break;
            case 'M': case 'm': end++; break;
            case 'G': case 'g': shift = 30; end++; break;
            }
            if (!*value || *end || *value < '0' || *value > '9' || n > (1ull << (50 - shift)))
                return usage_error(command,
                                   "--memory takes a size: MiB, or a number ending in K, M or G "
                                   "(0: no limit), not '%s'",
                                   value);
            o->memory = (size_t)(n << shift);
            break;
        }
        default:
            return usage_error(command, "unknown option '%s'", a);
        }
    }
    if (o->ninputs == 0 && needs_inputs)
        return usage_error(command, "%s", "no input given");
    for (size_t i = 0; !diff && i < o->noutputs; i++) {
        relmap_format f;
        if (relmap_format_from_path(&f, o->outputs[i]) < 0)
            return usage_error(command, "cannot tell the format of '%s': use .svg, .dot, .json or .tsv",
                               o->outputs[i]);
    }
    return -1;
}

static relmap_rules *load_rules(const options *o)
{
    relmap_error err;
    relmap_rules *rules = NULL;
    char *fallback = NULL;
    const char *const *paths = o->rules;
    size_t n = o->nrules;
    if (n == 0) {
        fallback = relmap_rules_default_path(o->argv0);
        if (!fallback) {
            fprintf(stderr, "relmap: error: cannot find the bundled rules (relmap.rules); "
                            "give -r RULES or set RELMAP_RULES\n");
            return NULL;
        }
        paths = (const char *const *)&fallback;
        n = 1;
    }
    if (relmap_rules_load(&rules, paths, n, &err) < 0)
        print_error(&err, "error");
    free(fallback);
    return rules;
}

typedef struct sink {
    relmap_extractor *extractor;
    relmap_graph *graph;       /* build: merge here */
    FILE *stream;              /* extract: print here */
    relmap_tsv_writer *rows;   /* extract: or through this, onto `stream` */
    relmap_coverage *coverage; /* explain --misses: count here */
} sink;

static void on_match(const relmap_match *m, void *context)
{
    sink *s = context;
    if (s->graph)
        relmap_graph_add(s->graph, m);
    else if (s->rows)
        relmap_tsv_writer_add(s->rows, m);
    else
        relmap_tsv_write_match(s->stream, m);
}

/* Returns EXIT_INPUT when a rule gave up on a sentence (its match limit). */
static int on_document(const relmap_document *doc, sink *s)
{
    relmap_error err;
    if (s->coverage) {
        relmap_coverage_add(s->coverage, doc->name, doc->text, doc->length);
    } else if (relmap_extract_document(s->extractor, doc->name, doc->text, doc->length, on_match,
                                       s, &err) < 0) {
        print_error(&err, "error");
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

/* The corpus, read in order: errors and warnings about paths are printed
 * here, as they come. */
typedef struct reader {
    relmap_corpus *corpus;
    int status;
    size_t documents;
} reader;

/* One step of the corpus: a path that could not be read, or a document. */
static void report_read(int rc, const relmap_document *doc, const relmap_error *err,
                        reader *r)
{
    if (rc < 0) {
        print_error(err, rc == RELMAP_EINPUT ? "warning" : "error");
        if (rc != RELMAP_EINPUT)
            r->status = EXIT_INPUT;
        return;
    }
    r->documents++;
    if (doc->invalid_bytes)
        fprintf(stderr,
                "%s: warning: invalid UTF-8 at byte %zu (%zu bad byte%s in the file), "
                "replaced by U+FFFD\n",
                doc->name, doc->first_invalid, doc->invalid_bytes,
                doc->invalid_bytes == 1 ? "" : "s");
}

static int next_document(relmap_document *doc, void *context)
{
    reader *r = context;
    relmap_error err;
    int rc;
    while ((rc = relmap_corpus_next(r->corpus, doc, &err)) < 0)
        report_read(rc, NULL, &err, r);
    if (rc > 0)
        report_read(rc, doc, NULL, r);
    return rc;
}

/* The worker threads' reports, in document order. */
static void on_read(int rc, const relmap_document *doc, const relmap_error *err, void *context)
{
    report_read(rc, doc, err, context);
}

static void on_document_error(const relmap_error *err, void *context)
{
    print_error(err, "error");
    ((reader *)context)->status = EXIT_INPUT;
}

/* Threads when -j is not given: one a processor, at most 8 (each holds a
 * document and its matches; more than that seldom pays). */
#define DEFAULT_JOBS_MAX 8
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > DEFAULT_JOBS_MAX ? DEFAULT_JOBS_MAX : (unsigned)n;
}

/* Hand every document of the corpus to the sink, on o->jobs threads when
 * extracting; returns EXIT_OK or EXIT_INPUT and sets *documents. */
static int run_corpus(const options *o, const relmap_rules *rules, sink *s, size_t *documents)
{
    relmap_error err;
    reader rd = {NULL, EXIT_OK, 0};
    relmap_corpus_open(&rd.corpus, o->inputs, o->ninputs, o->glob, &err);
    int status = EXIT_OK;
    relmap_document doc;
    unsigned jobs = o->jobs ? o->jobs : default_jobs();
    if (jobs > 1 && !s->coverage) {
        relmap_pool_report report = {on_read, on_document_error, &rd};
        relmap_extract_corpus_parallel(rules, jobs, rd.corpus, on_match, s,
                                       s->graph ? NULL : s->stream, &report);
    } else {
        s->extractor = relmap_extractor_new(rules);
        while (next_document(&doc, &rd) > 0)
            if (on_document(&doc, s) != EXIT_OK)
                status = EXIT_INPUT;
        relmap_extractor_free(s->extractor);
    }
    relmap_corpus_free(rd.corpus);
    if (rd.status != EXIT_OK)
        status = rd.status;
    *documents = rd.documents;
    if (*documents == 0 && status == EXIT_OK) {
        fprintf(stderr, "relmap: error: no documents found in the corpus given (files matching '%s')\n",
                o->glob ? o->glob : "*.txt");
        status = EXIT_INPUT;
    }
    return status;
}

static relmap_graph *new_graph(const options *o)
{
    relmap_graph *graph = relmap_graph_new();
    relmap_graph_set_memory_limit(graph, o->memory);
    return graph;
}

static int write_outputs(const options *o, relmap_graph *graph, const relmap_rules *rules)
{
    relmap_error err;
    if (relmap_graph_finish(graph, &err) < 0) {
        print_error(&err, "error");
        return EXIT_INPUT;
    }
    static const char *const defaults[] = {"out/relations.svg", "out/relations.dot"};
    const char *const *outputs = o->noutputs ? o->outputs : defaults;
    size_t n = o->noutputs ? o->noutputs : 2;
    relmap_graph *rolled = o->country_level ? relmap_graph_rollup(graph) : NULL;
    const relmap_graph *g = rolled ? rolled : graph;
    int status = EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        relmap_format format;
        relmap_format_from_path(&format, outputs[i]);
        if (format == RELMAP_FORMAT_SVG && relmap_graph_edge_count(g) > 5000
            && relmap_layout_for(o->layout, g) == RELMAP_LAYOUT_DOT)
            fprintf(stderr,
                    "relmap: laying out %zu edges with dot for %s may take minutes; "
                    "--layout sfdp or --level country are quicker\n",
                    relmap_graph_edge_count(g), outputs[i]);
        if (relmap_render_file(outputs[i], g, rules, format, o->layout, &err) < 0) {
            print_error(&err, "error");
            status = EXIT_INPUT;
        } else {
            fprintf(stderr, "relmap: wrote %s (%zu entities, %zu edges)\n", outputs[i],
                    relmap_graph_node_count(g), relmap_graph_edge_count(g));
        }
    }
    relmap_graph_free(rolled);
    return status;
}

static int cmd_build(options *o)
{
    relmap_rules *rules = load_rules(o);
    if (!rules)
        return EXIT_INPUT;
    relmap_graph *graph = new_graph(o);
    sink s = {.graph = graph};
    size_t documents;
    int status = run_corpus(o, rules, &s, &documents);
    /* with no document read there is no graph: the old outputs stay */
    int written = documents ? write_outputs(o, graph, rules) : EXIT_INPUT;
    relmap_graph_free(graph);
    relmap_rules_free(rules);
    return status != EXIT_OK ? status : written;
}

static int cmd_extract(options *o)
{
    relmap_rules *rules = load_rules(o);
    if (!rules)
        return EXIT_INPUT;
    /* rows in blocks of 64 KiB, not stdio's 4 KiB: fewer write calls; and
     * on one thread gathered by the library's writer, not a stdio call a
     * row. Not larger: a megabyte cost 1 to 2 % of extract's time, in the
     * faults of its pages and the caches it took. A terminal still sees
     * each line as it comes. */
    static char out_buffer[64 << 10];
    int terminal = isatty(STDOUT_FILENO);
    if (!terminal)
        setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
    fputs(relmap_tsv_header(), stdout);
    sink s = {.stream = stdout, .rows = terminal ? NULL : relmap_tsv_writer_new(stdout)};
    size_t documents;
    int status = run_corpus(o, rules, &s, &documents);
    relmap_rules_free(rules);
    if (relmap_tsv_writer_free(s.rows) != 0 || fflush(stdout) != 0 || ferror(stdout)) {
        perror("relmap: error: writing standard output");
        return EXIT_INPUT;
    }
    return status;
}

static int cmd_merge(options *o)
{
    /* the rules only give the relations their look: without any, merge
     * still works with default colours */
    relmap_rules *rules = NULL;
    char *bundled = o->nrules ? NULL : relmap_rules_default_path(o->argv0);
    if (o->nrules || bundled) {
        rules = load_rules(o);
        if (!rules) {
            free(bundled);
            return EXIT_INPUT;
        }
    }
    free(bundled);
    relmap_graph *graph = new_graph(o);
    int status = EXIT_OK;
    for (size_t i = 0; i < o->ninputs; i++) {
        relmap_error err;
        if (relmap_graph_read_tsv(graph, o->inputs[i], &err) < 0) {
            print_error(&err, "error");
            status = EXIT_INPUT;
        }
    }
    if (status == EXIT_OK)
        status = write_outputs(o, graph, rules);
    relmap_graph_free(graph);
    relmap_rules_free(rules);
    return status;
}

static const char usage_explain[] =
    "usage: relmap explain [-r RULES]... [--all] [--line N] [SENTENCE | FILE | -]\n"
    "       relmap explain [-r RULES]... --misses CORPUS...\n"
    "\n"
    "Show how relmap reads text: for each sentence, where it was split, the entities\n"
    "found (alias -> entity, with position in the sentence as folded), each rule that\n"
    "fired (file:line) with what its slots took, and the edges. The argument is a\n"
    "sentence, a file (its sentences; --line N picks those starting on line N) or -.\n"
    "\n"
    "  --all      also list the rules whose trigger words occur but that do not match\n"
    "  --misses   over a corpus: sentences naming two entities or more that gave no\n"
    "             edge, the rules that never fired, how often each one fired, and the\n"
    "             rules searched most often for no match\n";

static int cmd_explain(options *o)
{
    relmap_rules *rules = load_rules(o);
    if (!rules)
        return EXIT_INPUT;
    int status = EXIT_OK;
    if (o->misses) {
        sink s = {.coverage = relmap_coverage_new(rules)};
        size_t documents;
        status = run_corpus(o, rules, &s, &documents);
        char *report = relmap_coverage_report(s.coverage);
        fputs(report, stdout);
        free(report);
        relmap_coverage_free(s.coverage);
        relmap_rules_free(rules);
        return status;
    }
    if (o->ninputs > 1) {
        relmap_rules_free(rules);
        return usage_error("explain", "%s", "give one sentence, file or -; quote a sentence");
    }
    /* a file (or -) when it names one, else the argument is the sentence */
    const char *arg = o->ninputs ? o->inputs[0] : "-";
    char *text = NULL;
    const char *name = arg;
    size_t length = 0;
    relmap_corpus *corpus = NULL;
    relmap_document doc;
    relmap_error err;
    if (!strcmp(arg, "-") || access(arg, F_OK) == 0) {
        relmap_corpus_open(&corpus, &arg, 1, "*", &err);
        int rc = relmap_corpus_next(corpus, &doc, &err);
        if (rc <= 0) {
            if (rc < 0)
                print_error(&err, "error");
            relmap_corpus_free(corpus);
            relmap_rules_free(rules);
            return EXIT_INPUT;
        }
        text = (char *)doc.text;
        length = doc.length;
    } else {
        text = (char *)arg;
        length = strlen(arg);
        name = "sentence";
    }
    char *out;
    unsigned flags = (o->all ? RELMAP_EXPLAIN_ALL : 0)
                     | (isatty(STDOUT_FILENO) && !(getenv("NO_COLOR") && *getenv("NO_COLOR"))
                            ? RELMAP_EXPLAIN_COLOUR
                            : 0);
    if (relmap_explain(&out, rules, name, text, length, o->line, flags, &err) < 0)
        print_error(&err, "warning");
    fputs(out, stdout);
    free(out);
    relmap_corpus_free(corpus);
    relmap_rules_free(rules);
    return status;
}

static const char usage_diff[] =
    "usage: relmap diff [-r RULES]... [--format FORMAT] [-o FILE] [--level entity|country]\n"
    "                   [--relation R]... [--changed-only] OLD NEW\n"
    "\n"
    "Show how the graph moved between two versions of a corpus. Each side is a DOT\n"
    "file written by relmap build (.dot, .gv), a TSV written by relmap extract (.tsv),\n"
    "or a corpus (a file or a folder) built with the rules. Nodes are matched by\n"
    "name, edges by (source, relation, target).\n"
    "\n"
    "  --format FORMAT  text (default: + added, - removed, ~ changed, then a summary),\n"
    "                   tsv, json, dot or svg (the union graph: added green, removed\n"
    "                   red and dashed, changed orange, unchanged grey)\n"
    "  -o FILE          write there (atomically) instead of standard output; the\n"
    "                   format follows the extension unless --format says\n"
    "  --relation R     compare only relation R (repeatable)\n"
    "  --changed-only   dot/svg: leave out what did not change\n"
    "  --level country  compare after rolling entities up to their country\n"
    "\n"
    "exit status as diff(1): 0 no differences, 1 differences, 2 trouble\n";

/* One side of a diff: a DOT or TSV file by its extension, else a corpus. */
static relmap_graph *load_side(options *o, const char *path, relmap_rules **rules)
{
    relmap_graph *g = relmap_graph_new();
    relmap_error err;
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && slash && dot < slash)
        dot = NULL;
    int rc = 0;
    if (dot && (!strcmp(dot, ".dot") || !strcmp(dot, ".gv"))) {
        rc = relmap_graph_read_dot(g, path, &err);
    } else if (dot && !strcmp(dot, ".tsv")) {
        rc = relmap_graph_read_tsv(g, path, &err);
    } else {
        if (!*rules && !(*rules = load_rules(o))) {
            relmap_graph_free(g);
            return NULL;
        }
        options side = *o;
        side.inputs[0] = path;
        side.ninputs = 1;
        sink s = {.graph = g};
        size_t documents;
        if (run_corpus(&side, *rules, &s, &documents) != EXIT_OK) {
            relmap_graph_free(g);
            return NULL;
        }
        return g;
    }
    if (rc < 0) {
        print_error(&err, "error");
        relmap_graph_free(g);
        return NULL;
    }
    return g;
}

static int cmd_diff(options *o)
{
    enum { EXIT_DIFFERENT = 1, EXIT_TROUBLE = 2 };
    if (o->ninputs != 2)
        return usage_error("diff", "%s", "give two sides: OLD NEW");
    static const char *const names[] = {"text", "tsv", "json", "dot", "svg"};
    const char *format = o->format;
    if (!format && o->noutputs) {
        const char *ext = strrchr(o->outputs[0], '.');
        format = !ext ? "text" : !strcmp(ext, ".gv") ? "dot" : ext + 1;
        if (!strcmp(format, "txt"))
            format = "text";
    }
    int f = -1;
    for (int k = 0; k < 5; k++)
        if (!strcmp(format ? format : "text", names[k]))
            f = k;
    if (f < 0)
        return usage_error("diff", "--format takes text, tsv, json, dot or svg, not '%s'", format);
    if (o->noutputs > 1)
        return usage_error("diff", "%s", "give one -o FILE");
    relmap_rules *rules = NULL;
    relmap_graph *old_graph = load_side(o, o->inputs[0], &rules);
    relmap_graph *new_graph = old_graph ? load_side(o, o->inputs[1], &rules) : NULL;
    if (!rules && (o->nrules || f >= RELMAP_DIFF_DOT)) {
        /* the relations' labels, when the sides did not need the rules */
        char *bundled = o->nrules ? NULL : relmap_rules_default_path(o->argv0);
        if (o->nrules || bundled)
            rules = load_rules(o);
        free(bundled);
    }
    int status = EXIT_TROUBLE;
    if (old_graph && new_graph) {
        relmap_diff_options opts = {o->relations, o->nrelations, o->country_level,
                                    o->changed_only};
        char *out;
        size_t length, changes;
        relmap_error err;
        if (relmap_diff(&out, &length, &changes, old_graph, new_graph, rules,
                        (relmap_diff_format)f, &opts, &err) < 0) {
            print_error(&err, "error");
        } else if (o->noutputs && relmap_write_file_atomic(o->outputs[0], out, length, &err) < 0) {
            print_error(&err, "error");
        } else {
            if (!o->noutputs)
                fwrite(out, 1, length, stdout);
            status = changes ? EXIT_DIFFERENT : EXIT_OK;
        }
        free(out);
    }
    relmap_graph_free(old_graph);
    relmap_graph_free(new_graph);
    relmap_rules_free(rules);
    if (fflush(stdout) != 0)
        status = EXIT_TROUBLE;
    return status;
}

static int cmd_check(options *o)
{
    /* the files to check: -r files and plain arguments alike */
    const char *files[64 + MAX_ARGS];
    size_t n = 0;
    for (size_t i = 0; i < o->nrules; i++)
        files[n++] = o->rules[i];
    for (size_t i = 0; i < o->ninputs; i++)
        files[n++] = o->inputs[i];
    char *bundled = NULL;
    if (n == 0) {
        bundled = relmap_rules_default_path(o->argv0);
        if (!bundled) {
            fprintf(stderr, "relmap: error: cannot find the bundled rules (relmap.rules); "
                            "name the rule files to check\n");
            return EXIT_INPUT;
        }
        files[n++] = bundled;
    }
    unsigned counts[2] = {0, 0}; /* errors, warnings */
    relmap_rules *rules = NULL;
    size_t run = 0, failed = 0;
    if (relmap_rules_check(&rules, files, n, print_diagnostic, counts) == 0) {
        if (o->triggers) {
            /* for benchmarks: the words any rule needs, one a line */
            char *words = relmap_rules_trigger_words(rules);
            fputs(words, stdout);
            free(words);
            relmap_rules_free(rules);
            free(bundled);
            return EXIT_OK;
        }
        relmap_rules_run_examples(rules, print_diagnostic, counts, &run, &failed);
    }
    fprintf(stderr, "relmap check: %u error%s, %u warning%s; %zu example%s run, %zu failed\n",
            counts[0], counts[0] == 1 ? "" : "s", counts[1], counts[1] == 1 ? "" : "s", run,
            run == 1 ? "" : "s", failed);
    relmap_rules_free(rules);
    free(bundled);
    return counts[0] ? EXIT_INPUT : EXIT_OK;
}

/* Interrupted or terminated: no temporary file stays behind; then die of
 * the same signal, so the caller sees what happened. */
static void on_fatal_signal(int sig)
{
    relmap_remove_pending_output();
    signal(sig, SIG_DFL);
    raise(sig);
}

#define HEAP_PAD ((size_t)8 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

/* The main heap in huge pages where the kernel gives them (transparent
 * huge pages on `madvise`): loading the rules and compiling their JIT code
 * touch a few megabytes of it, and on a virtual machine each first touch
 * of a 4 KiB page costs some 12 us. The heap grows 8 MiB at a time and is
 * not given back until exit, so the hint covers what is touched. */
static void heap_in_huge_pages(void)
{
    mallopt(M_TOP_PAD, (int)HEAP_PAD);
    mallopt(M_TRIM_THRESHOLD, (int)(4 * HEAP_PAD));
    void *first = malloc(1); /* the heap's first growth, by the pad */
    uintptr_t end = (uintptr_t)sbrk(0);
    uintptr_t lo = ((uintptr_t)first + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t hi = end & ~(uintptr_t)(HUGE_PAGE - 1);
#ifdef MADV_HUGEPAGE
    /* only where `first` is in the heap that just grew (not where a
     * sanitizer's or valgrind's allocator serves malloc from elsewhere) */
    if (first && (uintptr_t)first < end && end - (uintptr_t)first <= 2 * HEAP_PAD && hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* a hint: where refused, 4 KiB pages */
#endif
    free(first);
}

int main(int argc, char **argv)
{
    /* Documents of megabytes come and go: keep such blocks in their own
     * mappings, returned when freed, rather than let glibc raise the
     * threshold and carve them from heaps that then stay large. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    heap_in_huge_pages();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[1];
    if (!strcmp(command, "-h") || !strcmp(command, "--help") || !strcmp(command, "help")) {
        fputs(usage_main, stdout);
        return EXIT_OK;
    }
    if (!strcmp(command, "--version") || !strcmp(command, "-V")) {
        printf("relmap %s\n", relmap_version());
        return EXIT_OK;
    }
    static options o;
    o.argv0 = argv[0];
    o.memory = DEFAULT_GRAPH_MEMORY;
    int rc;
    if (!strcmp(command, "build")) {
        if ((rc = parse_options(&o, command, usage_build, argc - 2, argv + 2, 1, 1)) >= 0)
            return rc;
        return cmd_build(&o);
    }
    if (!strcmp(command, "extract")) {
        if ((rc = parse_options(&o, command, usage_extract, argc - 2, argv + 2, 0, 1)) >= 0)
            return rc;
        return cmd_extract(&o);
    }
    if (!strcmp(command, "merge")) {
        if ((rc = parse_options(&o, command, usage_merge, argc - 2, argv + 2, 1, 1)) >= 0)
            return rc;
        return cmd_merge(&o);
    }
    if (!strcmp(command, "explain")) {
        if ((rc = parse_options(&o, command, usage_explain, argc - 2, argv + 2, 0, 0)) >= 0)
            return rc;
        if (o.misses && !o.ninputs)
            return usage_error(command, "%s", "--misses needs a corpus");
        return cmd_explain(&o);
    }
    if (!strcmp(command, "diff")) {
        if ((rc = parse_options(&o, command, usage_diff, argc - 2, argv + 2, 1, 1)) >= 0)
            return rc;
        return cmd_diff(&o);
    }
    if (!strcmp(command, "check")) {
        if ((rc = parse_options(&o, command, usage_check, argc - 2, argv + 2, 0, 0)) >= 0)
            return rc;
        return cmd_check(&o);
    }
    return usage_error(NULL, "unknown command '%s'", command);
}

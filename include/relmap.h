/*
 * relmap.h - the whole public API of relmap.
 *
 * relmap turns news text into a graph of who did what to whom. Data flows one
 * way: a corpus yields documents; the splitter cuts a document into sentences;
 * an extractor, built on a rule set, finds entity mentions in each sentence and
 * matches the rules, giving one relmap_match per (sentence, edge); a graph
 * merges matches (or rows read back from extract's TSV); the renderer writes
 * the graph as DOT, SVG, JSON or TSV; output files are replaced atomically.
 *
 * Conventions: a function that can fail returns 0 or a negative RELMAP_E...
 * code and fills the relmap_error the caller passes (which may be NULL).
 * Outputs come first as T **out, set to NULL on entry and filled on success.
 * Every _free function accepts NULL. Out-of-memory aborts the process.
 */
#ifndef RELMAP_H
#define RELMAP_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes: every failing function returns one of these (negative). */
enum relmap_code {
    RELMAP_OK = 0,
    RELMAP_EIO = -1,      /**< a file could not be read or written */
    RELMAP_ESYNTAX = -2,  /**< a rule file or TSV input is malformed */
    RELMAP_EPATTERN = -3, /**< a rule pattern does not compile */
    RELMAP_EINPUT = -4,   /**< input data is unusable (binary file, bad column) */
    RELMAP_ERENDER = -5,  /**< Graphviz failed to lay out or render */
    RELMAP_EUSAGE = -6,   /**< the caller asked for something impossible */
    RELMAP_ELIMIT = -7    /**< a match or size limit was hit */
};

/**
 * What went wrong and where. file/line/column are 0/empty when there is no
 * position; columns count bytes from 1. source_line holds the offending line
 * (without its newline) so that a caller can print a caret under the column.
 */
typedef struct relmap_error {
    int code;
    char file[1024];
    unsigned line;
    unsigned column;
    char message[1024];
    char source_line[1024];
} relmap_error;

/** Clear an error object (code 0, empty strings). Accepts NULL. */
void relmap_error_clear(relmap_error *err);

/** The version string, such as "0.1.0". Static storage. */
const char *relmap_version(void);

/* ------------------------------------------------------------------ rules */

/** A compiled rule set: entities, relations, macros and patterns. Immutable
 *  after loading, so one rule set may serve several extractor threads. */
typedef struct relmap_rules relmap_rules;

/**
 * Load and compile rule files (each may include others). On failure *out
 * stays NULL and err names the first problem with its FILE:LINE:COL.
 * The caller frees *out with relmap_rules_free().
 */
int relmap_rules_load(relmap_rules **out, const char *const *paths, size_t npaths,
                      relmap_error *err);

/** Load rules from a string, reported under the name `name` (for tests and
 *  for `relmap explain`). Includes are resolved relative to the current
 *  directory. */
int relmap_rules_load_string(relmap_rules **out, const char *name, const char *text,
                             relmap_error *err);

/** Called for each problem found in rule files: an error (is_error 1) or a
 *  warning. The diagnostic's code is 0 for a warning. */
typedef void (*relmap_diagnostic_fn)(const relmap_error *diagnostic, int is_error, void *context);

/**
 * Load rule files as relmap_rules_load() does, but report every problem,
 * errors and warnings (unused macros, relations with no pattern, patterns
 * that can match the empty string), through `fn`, sorted by file and
 * position, going on after an error where it can. Returns 0 and sets *out
 * when there was no error (warnings allowed); else RELMAP_ESYNTAX.
 */
int relmap_rules_check(relmap_rules **out, const char *const *paths, size_t npaths,
                       relmap_diagnostic_fn fn, void *context);

/** relmap_rules_check() on a string, reported under the name `name`. */
int relmap_rules_check_string(relmap_rules **out, const char *name, const char *text,
                              relmap_diagnostic_fn fn, void *context);

void relmap_rules_free(relmap_rules *rules);

/** The trigger words of every rule, sorted, one per line (a new string the
 *  caller frees): what a sentence must hold for some rule to run. */
char *relmap_rules_trigger_words(const relmap_rules *rules);

/** Number of declared relations, entities and compiled rule patterns. */
size_t relmap_rules_relation_count(const relmap_rules *rules);
size_t relmap_rules_entity_count(const relmap_rules *rules);
size_t relmap_rules_pattern_count(const relmap_rules *rules);

/**
 * The file of the bundled rules: $RELMAP_RULES when set (a file, or a folder
 * holding relmap.rules), else rules/relmap.rules beside the executable (a
 * build tree), else ../share/relmap/rules/relmap.rules beside it, else the
 * install prefix. `argv0` helps find the executable when /proc is missing.
 * Returns a new string the caller frees, or NULL when none exists.
 */
char *relmap_rules_default_path(const char *argv0);

/* ---------------------------------------------------------------- corpus */

/** A stream of documents from files, folders (walked recursively in byte
 *  order of names) and "-" for standard input. */
typedef struct relmap_corpus relmap_corpus;

/** One document. The text is owned by the corpus and valid until the next
 *  call of relmap_corpus_next(). */
typedef struct relmap_document {
    const char *name; /**< the path as given or found; "-" for stdin */
    const char *text; /**< NUL-terminated UTF-8, a leading byte-order mark removed */
    size_t length;
    size_t invalid_bytes; /**< bytes that were not UTF-8, each replaced by U+FFFD */
    size_t first_invalid; /**< the byte offset in the file of the first of them */
} relmap_document;

/**
 * Open a corpus over `paths`; folders yield the files whose base name
 * matches `glob` (fnmatch; NULL means "*.txt"). Named files are always read.
 */
int relmap_corpus_open(relmap_corpus **out, const char *const *paths, size_t npaths,
                       const char *glob, relmap_error *err);

/**
 * The next document: returns 1 and fills *doc, 0 at the end, or a negative
 * code for one path that could not be read (err says which; the stream goes
 * on: call again for the next document).
 */
int relmap_corpus_next(relmap_corpus *corpus, relmap_document *doc, relmap_error *err);

void relmap_corpus_free(relmap_corpus *corpus);

/* -------------------------------------------------------------- splitter */

/** One sentence: a slice of the document text with its 1-based position.
 * `plain` is 1 when the slice holds no byte beyond ASCII and no control
 * character (a line break inside it included): nothing that folding quotes
 * and white space could change. 0 says only that it may hold one. */
typedef struct relmap_sentence {
    const char *text;
    size_t length;
    unsigned line;
    unsigned column;
    int plain;
} relmap_sentence;

/** Called once per sentence; return non-zero to stop the split early. */
typedef int (*relmap_sentence_fn)(const relmap_sentence *sentence, void *context);

/**
 * Split news text into sentences: knows abbreviations (U.S., Mr., Gen.,
 * Jan., a.m., No.), initials, decimals, closing quotes, and that a line
 * with no final stop (a headline, a dateline) is a sentence of its own.
 * Returns the number of sentences reported.
 */
size_t relmap_split(const char *text, size_t length, relmap_sentence_fn fn, void *context);

/* ------------------------------------------------------------- extractor */

/** One sentence-level edge, as extract prints it. Strings are valid only
 *  during the callback. */
typedef struct relmap_match {
    const char *source;
    const char *relation;
    const char *target;
    const char *document;
    unsigned line;
    const char *rule;        /**< "rules-file:line" of the pattern that fired */
    const char *evidence;    /**< the sentence, white space folded */
    const char *source_type; /**< entity type: country, person, agency ... */
    const char *source_country; /**< the top entity it belongs to, or "" */
    const char *target_type;
    const char *target_country;
} relmap_match;

typedef void (*relmap_match_fn)(const relmap_match *match, void *context);

/** Per-thread matching state over a shared rule set. */
typedef struct relmap_extractor relmap_extractor;

/** Make an extractor; `rules` must outlive it. Free with relmap_extractor_free(). */
relmap_extractor *relmap_extractor_new(const relmap_rules *rules);
void relmap_extractor_free(relmap_extractor *extractor);

/**
 * Extract the edges of one document, calling `fn` for each, in sentence
 * order. A rule that hits PCRE2's match limit is reported through `err`
 * and the document goes on (the return value is then RELMAP_ELIMIT).
 */
int relmap_extract_document(relmap_extractor *extractor, const char *document_name,
                            const char *text, size_t length, relmap_match_fn fn,
                            void *context, relmap_error *err);

/**
 * Run the example sentences of a rule set (the `example` lines): each must
 * give exactly the edges it states. Each failure is reported through `fn`
 * as an error at the example's position. Sets *run and *failed; returns 0
 * when every example passed, else RELMAP_ESYNTAX.
 */
int relmap_rules_run_examples(const relmap_rules *rules, relmap_diagnostic_fn fn, void *context,
                              size_t *run, size_t *failed);

/**
 * Extract documents on `jobs` threads with the result of one: `next`
 * (called on this thread, in order) gives each document (1), or says there
 * is none left (0 or negative); `fn` gets every match, and `on_error` each
 * document's error (a rule's match limit), in document order, on this
 * thread. This thread is one of the `jobs`: it extracts documents too,
 * between deliveries. Memory is bounded by a window of documents: about
 * 8 MiB of text, or 256 documents, a thread (and always the one document
 * each is on).
 * Returns 0, the last document error's code, or RELMAP_EUSAGE without
 * `next` or `fn`.
 */
int relmap_extract_parallel(const relmap_rules *rules, unsigned jobs,
                            int (*next)(relmap_document *doc, void *context), void *next_context,
                            relmap_match_fn fn, void *context,
                            void (*on_error)(const relmap_error *err, void *context),
                            void *error_context);

/**
 * relmap_extract_parallel for extract's output: the threads write each
 * document's rows as relmap_tsv_write_match() does, and this thread
 * writes them to `stream` in document order, so that formatting the rows
 * is shared out too. The same bytes as one thread. RELMAP_EUSAGE without
 * `next` or `stream`.
 */
int relmap_extract_parallel_tsv(const relmap_rules *rules, unsigned jobs,
                                int (*next)(relmap_document *doc, void *context),
                                void *next_context, FILE *stream,
                                void (*on_error)(const relmap_error *err, void *context),
                                void *error_context);

/** What relmap_extract_corpus_parallel() reports besides the matches: on
 *  the calling thread, in document order. */
typedef struct relmap_pool_report {
    /** Each path of the corpus as relmap_corpus_next() would give it: rc 1
     *  and doc (its name and the UTF-8 repairs; text NULL, length 0), or a
     *  negative rc and err (a path that could not be read). May be NULL. */
    void (*on_read)(int rc, const relmap_document *doc, const relmap_error *err,
                    void *context);
    /** A document's extraction error (a rule's match limit). May be NULL. */
    void (*on_error)(const relmap_error *err, void *context);
    void *context;
} relmap_pool_report;

/**
 * relmap_extract_parallel over a corpus whose files the threads that extract
 * them read, so that reading is shared out too (a folder of small files
 * costs as much in opening and reading as in extraction). With `stream`,
 * the rows of relmap_extract_parallel_tsv go to it; else each match to
 * `fn`. Everything reaches this thread in document order, as from one
 * thread. `report` may be NULL. Returns 0, the last document error's code,
 * or RELMAP_EUSAGE when there is no corpus or neither `fn` nor `stream`.
 */
int relmap_extract_corpus_parallel(const relmap_rules *rules, unsigned jobs,
                                   relmap_corpus *corpus, relmap_match_fn fn, void *context,
                                   FILE *stream, const relmap_pool_report *report);

/* --------------------------------------------------------------- explain */

/** Flags of relmap_explain(). */
enum relmap_explain_flag {
    RELMAP_EXPLAIN_ALL = 1,   /**< also rules whose trigger words occur but that do not match */
    RELMAP_EXPLAIN_COLOUR = 2 /**< ANSI colours, for a terminal */
};

/**
 * Explain how a document is read: for each sentence, where it was split,
 * the entities found (folded text, entity, position), each rule that fired
 * (file:line) with what its slots took, and the edges. `line` 0 shows every
 * sentence, else those that start on that line. *out is a new string.
 */
int relmap_explain(char **out, const relmap_rules *rules, const char *document, const char *text,
                   size_t length, unsigned line, unsigned flags, relmap_error *err);

/** Coverage over a corpus: sentences that name two entities or more but
 *  give no edge, and the rules that never fired. */
typedef struct relmap_coverage relmap_coverage;

relmap_coverage *relmap_coverage_new(const relmap_rules *rules);
void relmap_coverage_add(relmap_coverage *coverage, const char *document, const char *text,
                         size_t length);
/** The report, as a new string. */
char *relmap_coverage_report(const relmap_coverage *coverage);
void relmap_coverage_free(relmap_coverage *coverage);

/* ------------------------------------------------------------------ graph */

/** The merged graph: one node per entity, one edge per (source, relation,
 *  target) with its count, documents and first evidence sentences. */
typedef struct relmap_graph relmap_graph;

relmap_graph *relmap_graph_new(void);
void relmap_graph_free(relmap_graph *graph);

/** Keep the graph's edges under about `bytes` of memory (0, the default: no
 *  limit). Past it they are sorted and written to temporary files in
 *  $TMPDIR (or /tmp), which have no name, and merged again as they are read
 *  back; the graph and its renderings are the same bytes as without a
 *  limit. Nodes stay in memory. A graph with edges on disk cannot be
 *  diffed (RELMAP_EUSAGE), and relmap_graph_edge_weight reads it through. */
void relmap_graph_set_memory_limit(relmap_graph *graph, size_t bytes);

/** Once every match is in, put what is left in memory beside what went to
 *  disk: 0, or RELMAP_EIO when a temporary file could not be written (the
 *  graph is then not to be rendered). Rendering finishes a graph itself;
 *  call this first to tell a spill's error from a rendering's. Matches may
 *  still be added after it. */
int relmap_graph_finish(relmap_graph *graph, relmap_error *err);

/** Add one sentence-level match. */
void relmap_graph_add(relmap_graph *graph, const relmap_match *match);

/** Read a TSV written by `relmap extract` and add its rows. */
int relmap_graph_read_tsv(relmap_graph *graph, const char *path, relmap_error *err);

/** Read a DOT file written by `relmap build` (its relmap_* attributes) and
 *  add its nodes and edges, with counts and documents. A DOT file from
 *  elsewhere is RELMAP_EINPUT, with a message naming what is missing. */
int relmap_graph_read_dot(relmap_graph *graph, const char *path, relmap_error *err);

/** Roll every entity up to the country it belongs to; self-loops that the
 *  roll-up creates are dropped. Returns a new graph. */
relmap_graph *relmap_graph_rollup(const relmap_graph *graph);

size_t relmap_graph_node_count(const relmap_graph *graph);
size_t relmap_graph_edge_count(const relmap_graph *graph);

/** The count of sentences supporting (source, relation, target); 0 if absent. */
unsigned relmap_graph_edge_weight(const relmap_graph *graph, const char *source,
                                  const char *relation, const char *target);

/* ------------------------------------------------------------------ diff */

typedef enum relmap_diff_format {
    RELMAP_DIFF_TEXT, /**< one line per change, then a summary */
    RELMAP_DIFF_TSV,
    RELMAP_DIFF_JSON,
    RELMAP_DIFF_DOT,  /**< the union graph coloured by change */
    RELMAP_DIFF_SVG
} relmap_diff_format;

typedef struct relmap_diff_options {
    const char *const *relations; /**< compare only these relations; none: all */
    size_t nrelations;
    int country_level;            /**< roll both sides up to countries first */
    int changed_only;             /**< DOT/SVG: leave out what did not change */
} relmap_diff_options;

/**
 * Compare two graphs: nodes by name, edges by (source, relation, target).
 * Sets *changes to the number of edges added, removed or changed plus nodes
 * added or removed; *out is a new buffer of *length bytes. Time is linear in
 * the number of edges. `rules` (may be NULL) gives the relations' labels.
 */
int relmap_diff(char **out, size_t *length, size_t *changes, const relmap_graph *old_graph,
                const relmap_graph *new_graph, const relmap_rules *rules,
                relmap_diff_format format, const relmap_diff_options *options, relmap_error *err);

/* ---------------------------------------------------------------- output */

/** The TSV header row of extract's output (with its newline). */
const char *relmap_tsv_header(void);

/** Write one match as a TSV row (tabs, newlines and backslashes escaped). */
void relmap_tsv_write_match(FILE *stream, const relmap_match *match);

/** Rows for a stream gathered in the writer's buffer and written in blocks
 * of some 64 KiB: the bytes relmap_tsv_write_match() writes, without a
 * stdio call a row. Nothing reaches the stream between two blocks: for
 * rows a person is to see as they come (a terminal), write each. */
typedef struct relmap_tsv_writer relmap_tsv_writer;

/** A writer to `stream`, which must outlive it. Free with relmap_tsv_writer_free(). */
relmap_tsv_writer *relmap_tsv_writer_new(FILE *stream);

/** Add the row of `match`. */
void relmap_tsv_writer_add(relmap_tsv_writer *writer, const relmap_match *match);

/** Write the rows held to the stream (not flushing the stream itself).
 * Returns 0, or -1 when a write to the stream failed (then or before). */
int relmap_tsv_writer_flush(relmap_tsv_writer *writer);

/** Flush (as relmap_tsv_writer_flush(), whose result it returns) and free;
 * NULL is fine (0). */
int relmap_tsv_writer_free(relmap_tsv_writer *writer);

typedef enum relmap_format {
    RELMAP_FORMAT_DOT,
    RELMAP_FORMAT_SVG,
    RELMAP_FORMAT_JSON,
    RELMAP_FORMAT_TSV
} relmap_format;

/** The format named by a file's extension (.dot .gv .svg .json .tsv);
 *  returns 0 and sets *out, or RELMAP_EUSAGE for an unknown extension. */
int relmap_format_from_path(relmap_format *out, const char *path);

/**
 * Render a graph. `rules` gives relation colours, styles and labels (may be
 * NULL: defaults are used). *out is a new NUL-terminated buffer of *length
 * bytes that the caller frees with free(). Output is deterministic.
 */
int relmap_render(char **out, size_t *length, const relmap_graph *graph,
                  const relmap_rules *rules, relmap_format format, relmap_error *err);

/** How an SVG is laid out. */
typedef enum relmap_layout {
    RELMAP_LAYOUT_AUTO, /**< dot up to RELMAP_LAYOUT_AUTO_EDGES edges, sfdp beyond */
    RELMAP_LAYOUT_DOT,  /**< ranked left to right, countries as clusters, count labels */
    RELMAP_LAYOUT_SFDP  /**< force-directed (sfdp, overlap=prism, straight edges) without
                             edge labels: counts show as pen width and in each edge's title */
} relmap_layout;

/** Above this many edges, RELMAP_LAYOUT_AUTO chooses sfdp. */
#define RELMAP_LAYOUT_AUTO_EDGES 2000

/** The layout named `name` ("auto", "dot", "sfdp"): 0 and *out, or RELMAP_EUSAGE. */
int relmap_layout_from_name(relmap_layout *out, const char *name);

/** The layout `layout` resolves to for `graph` (AUTO becomes DOT or SFDP). */
relmap_layout relmap_layout_for(relmap_layout layout, const relmap_graph *graph);

/** relmap_render with a layout for SVG (the other formats ignore it). */
int relmap_render_layout(char **out, size_t *length, const relmap_graph *graph,
                         const relmap_rules *rules, relmap_format format,
                         relmap_layout layout, relmap_error *err);

/**
 * Render straight into the file at `path`, replaced atomically as by
 * relmap_write_file_atomic: DOT, JSON and TSV are written out as they are
 * made, so a big graph's text is never whole in memory. On failure the old
 * file is untouched.
 */
int relmap_render_file(const char *path, const relmap_graph *graph, const relmap_rules *rules,
                       relmap_format format, relmap_layout layout, relmap_error *err);

/**
 * Replace `path` atomically with `data`: written to a temporary file in the
 * same folder, flushed, then renamed. On failure the old file is untouched
 * and no temporary file is left. Missing parent folders are created.
 */
int relmap_write_file_atomic(const char *path, const char *data, size_t length,
                             relmap_error *err);

/**
 * Remove the temporary file of a write in progress, if any. Safe to call
 * from a signal handler: a program that is interrupted calls it so that no
 * temporary file is left behind (the old output stays as it was).
 */
void relmap_remove_pending_output(void);

#ifdef __cplusplus
}
#endif
#endif

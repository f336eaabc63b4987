/*
 * spill.h - a graph bigger than its memory limit: its edges on disk, as
 * sorted runs, merged again as they are read.
 */
#ifndef RELMAP_SPILL_H
#define RELMAP_SPILL_H

#include <stdio.h>

#include "graph.h"

/* Write the graph's edges, sorted, as a new run in $TMPDIR (or /tmp) and
 * free them; after 64 runs, merge those into one. On failure the edges stay
 * in memory, the graph stops spilling, and runs_finish reports why. */
void runs_spill(relmap_graph *g);

/* Write what is still in memory as a last run, so that graph_edges reads
 * every edge from the runs, merged as they are read. 0, or RELMAP_EIO with
 * the first error. */
int runs_finish(relmap_graph *g, relmap_error *err);

void runs_free(graph_runs *runs);

/* Mark a graph as one whose edges could not all be read back. */
void runs_set_failed(relmap_graph *g);

/* The runs, merged as they are read from their start: one edge at a time,
 * valid until the next call. */
typedef struct run_reader run_reader;
run_reader *run_reader_open(graph_runs *runs);
const gedge *run_reader_next(run_reader *r);
/* 0, or RELMAP_EIO when the run could not be read back whole. */
int run_reader_close(run_reader *r, relmap_error *err);

/* The number of edges in the runs (a pass over them, once). */
size_t runs_edge_count(graph_runs *runs);

#endif

/*
 * spill.h - a graph bigger than its memory limit: its edges on disk, as
 * sorted runs merged into one when the graph is finished.
 */
#ifndef RELMAP_SPILL_H
#define RELMAP_SPILL_H

#include <stdio.h>

#include "graph.h"

/* Write the graph's edges, sorted, as a new run in $TMPDIR (or /tmp) and
 * free them; after 64 runs, merge those into one. On failure the edges stay
 * in memory, the graph stops spilling, and runs_finish reports why. */
void runs_spill(relmap_graph *g);

/* Merge the runs and what is still in memory into one run, which
 * graph_edges then reads. 0, or RELMAP_EIO with the first error. */
int runs_finish(relmap_graph *g, relmap_error *err);

void runs_free(graph_runs *runs);

/* Mark a graph as one whose edges could not all be read back. */
void runs_set_failed(relmap_graph *g);

/* The merged run, read from its start: one edge at a time, valid until the
 * next call. */
typedef struct run_reader run_reader;
run_reader *run_reader_open(graph_runs *runs);
const gedge *run_reader_next(run_reader *r);
/* 0, or RELMAP_EIO when the run could not be read back whole. */
int run_reader_close(run_reader *r, relmap_error *err);

/* The number of edges in the merged run. */
size_t runs_edge_count(const graph_runs *runs);

#endif

/*
 * tsv.h - extract's rows for the other modules (the public API has the rest).
 */
#ifndef RELMAP_TSV_H
#define RELMAP_TSV_H

#include "util.h"

/* Add the row relmap_tsv_write_match writes for `m` to `rows`: the worker
 * threads of extract -j N put their documents' rows together this way. */
void tsv_add_match(strbuf *rows, const relmap_match *m);

#endif

/* libFuzzer target: reading relmap's DOT back, as diff does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    relmap_graph *g = relmap_graph_new();
    relmap_error err;
    graph_read_dot_text(g, "fuzz.dot", text, size, &err);
    relmap_graph_free(g);
    free(text);
    return 0;
}

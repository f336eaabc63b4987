/* libFuzzer target: the splitter, the mention finder and the matcher, with
 * the bundled rules, on any bytes as a document. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relmap.h"

static relmap_rules *rules;
static relmap_extractor *extractor;

static void count(const relmap_match *m, void *context)
{
    (void)m;
    ++*(size_t *)context;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rules) {
        const char *paths[] = {RELMAP_FUZZ_RULES};
        relmap_error err;
        if (relmap_rules_load(&rules, paths, 1, &err) < 0) {
            fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.message);
            abort();
        }
        extractor = relmap_extractor_new(rules);
    }
    /* documents reach the extractor as valid UTF-8, NUL-terminated */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t edges = 0;
    relmap_error err;
    relmap_extract_document(extractor, "fuzz", text, size, count, &edges, &err);
    relmap_split(text, size, NULL, NULL);
    free(text);
    return 0;
}

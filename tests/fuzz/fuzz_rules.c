/* libFuzzer target: the rule-file parser and compiler, on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relmap.h"

static void ignore(const relmap_error *diagnostic, int is_error, void *context)
{
    (void)diagnostic;
    (void)is_error;
    (void)context;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    relmap_rules *rules;
    if (relmap_rules_check_string(&rules, "fuzz.rules", text, ignore, NULL) == 0) {
        size_t run, failed;
        relmap_rules_run_examples(rules, ignore, NULL, &run, &failed);
        relmap_rules_free(rules);
    }
    free(text);
    return 0;
}

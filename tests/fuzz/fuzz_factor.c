/* libFuzzer target: a pattern's alternations factored (factor.c), checked
 * against the pattern as written. The input is a pattern, a newline, and a
 * text; when the pattern is rewritten and compiles, the rewriting must
 * compile too and find, from every place of the text, the same match with
 * the same groups. A difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "factor.h"
#include "rules.h" /* PCRE2, 8-bit */

static pcre2_code *compile(const char *pattern, size_t length)
{
    int code;
    PCRE2_SIZE offset;
    return pcre2_compile((PCRE2_SPTR)pattern, length,
                         PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_DUPNAMES
                             | PCRE2_MATCH_INVALID_UTF,
                         &code, &offset, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *newline = memchr(data, '\n', size);
    if (!newline)
        return 0;
    const char *pattern = (const char *)data, *text = (const char *)newline + 1;
    size_t plen = (size_t)(newline - data), tlen = size - plen - 1;
    strbuf out = {0};
    if (!pattern_factor(pattern, plen, &out)) {
        sb_free(&out);
        return 0;
    }
    pcre2_code *a = compile(pattern, plen), *b = compile(out.data, out.length);
    if (a && !b) {
        fprintf(stderr, "the rewriting does not compile: %s\n", out.data);
        abort();
    }
    if (a) {
        pcre2_match_context *limits = pcre2_match_context_create(NULL);
        pcre2_set_match_limit(limits, 100000);
        pcre2_match_data *ma = pcre2_match_data_create_from_pattern(a, NULL);
        pcre2_match_data *mb = pcre2_match_data_create_from_pattern(b, NULL);
        for (size_t start = 0; start <= tlen; start++) {
            int ra = pcre2_match(a, (PCRE2_SPTR)text, tlen, start, 0, ma, limits);
            int rb = pcre2_match(b, (PCRE2_SPTR)text, tlen, start, 0, mb, limits);
            if (ra == PCRE2_ERROR_MATCHLIMIT || rb == PCRE2_ERROR_MATCHLIMIT)
                break; /* the rewriting takes fewer steps: a limit may fall apart */
            const PCRE2_SIZE *oa = pcre2_get_ovector_pointer(ma);
            const PCRE2_SIZE *ob = pcre2_get_ovector_pointer(mb);
            int same = ra == rb;
            for (int k = 0; same && k < 2 * ra; k++)
                same = oa[k] == ob[k];
            if (!same) {
                fprintf(stderr, "different matches from %zu: %d and %d, rewritten as %s\n",
                        start, ra, rb, out.data);
                abort();
            }
        }
        pcre2_match_data_free(ma);
        pcre2_match_data_free(mb);
        pcre2_match_context_free(limits);
        pcre2_code_free(a);
    }
    pcre2_code_free(b);
    sb_free(&out);
    return 0;
}

/* check_main.h - the runner every Check suite of relmap ends with. */
#ifndef RELMAP_CHECK_MAIN_H
#define RELMAP_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#include "relmap.h"

/* Run one test case of the given tests as suite `name`; the exit status. */
static inline int run_tests(const char *name, const TTest *const *tests, size_t count)
{
    Suite *s = suite_create(name);
    TCase *t = tcase_create(name);
    tcase_set_timeout(t, 60);
    for (size_t i = 0; i < count; i++)
        tcase_add_test(t, tests[i]);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Rules from `text` (named t.rules in errors), which must load. */
static inline relmap_rules *load_rules_text(const char *text)
{
    relmap_rules *rules;
    relmap_error err;
    int rc = relmap_rules_load_string(&rules, "t.rules", text, &err);
    ck_assert_msg(rc == 0, "%s:%u:%u: %s", err.file, err.line, err.column, err.message);
    return rules;
}

#define RUN_TESTS(name, ...)                                                      \
    do {                                                                          \
        const TTest *const tests_[] = {__VA_ARGS__};                              \
        return run_tests(name, tests_, sizeof tests_ / sizeof *tests_);           \
    } while (0)

#endif

/* A Graphviz plugin that cannot be loaded: this suite is built with
 * render.c compiled again, its neato plugin's path one that does not exist
 * (tests/CMakeLists.txt). Drawing fails with the loader's message and
 * leaves nothing half made; DOT, which needs no plugin, is still written. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "relmap.h"
#include "check_main.h"

static relmap_graph *sample(void)
{
    relmap_graph *g = relmap_graph_new();
    relmap_match row = {"China", "summons", "Max Baucus", "a.txt", 4, "t:2",
                        "China summoned Baucus.", "country", "", "person", "United States"};
    relmap_graph_add(g, &row);
    return g;
}

START_TEST(svg_fails_with_the_loaders_message)
{
    relmap_graph *g = sample();
    char *out = (char *)1;
    size_t len = 1;
    relmap_error err;
    int rc = relmap_render(&out, &len, g, NULL, RELMAP_FORMAT_SVG, &err);
    ck_assert_int_eq(rc, RELMAP_ERENDER);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(len, 0);
    ck_assert_msg(strstr(err.message, "cannot load Graphviz's plugin: ") == err.message, "%s",
                  err.message);
    ck_assert_msg(strstr(err.message, "/nonexistent/libgvplugin_neato_layout.so.6"), "%s",
                  err.message);
    /* asked again, the same answer, not a half-made context */
    rc = relmap_render(&out, &len, g, NULL, RELMAP_FORMAT_SVG, &err);
    ck_assert_int_eq(rc, RELMAP_ERENDER);
    relmap_graph_free(g);
}
END_TEST

START_TEST(dot_needs_no_plugin)
{
    relmap_graph *g = sample();
    char *out;
    size_t len;
    relmap_error err;
    int rc = relmap_render(&out, &len, g, NULL, RELMAP_FORMAT_DOT, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    ck_assert_ptr_nonnull(strstr(out, "digraph"));
    free(out);
    relmap_graph_free(g);
}
END_TEST

int main(void)
{
    RUN_TESTS("render_plugin", svg_fails_with_the_loaders_message, dot_needs_no_plugin);
}

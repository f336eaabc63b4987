/*
 * locate.c - finding the bundled rules: $RELMAP_RULES, then beside the
 * executable (a build tree), then under the install prefix.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define RULES_FILE "relmap.rules"

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *try_path(const char *dir, const char *rest)
{
    strbuf sb = {0};
    sb_addf(&sb, "%s/%s", dir, rest);
    if (is_file(sb.data))
        return sb_detach(&sb);
    sb_free(&sb);
    return NULL;
}

static char *executable_dir(const char *argv0)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    char *path = NULL;
    if (n > 0) {
        buf[n] = '\0';
        path = xstrdup(buf);
    } else if (argv0 && strchr(argv0, '/')) {
        path = realpath(argv0, NULL);
    }
    if (!path)
        return NULL;
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    return path;
}

char *relmap_rules_default_path(const char *argv0)
{
    const char *env = getenv("RELMAP_RULES");
    if (env && *env) {
        if (is_dir(env))
            return try_path(env, RULES_FILE);
        return xstrdup(env); /* a missing file is reported when loading */
    }
    char *dir = executable_dir(argv0);
    char *found = NULL;
    if (dir) {
        found = try_path(dir, "rules/" RULES_FILE);
        if (!found)
            found = try_path(dir, "../share/relmap/rules/" RULES_FILE);
        free(dir);
    }
    if (!found)
        found = try_path(RELMAP_DATADIR, "rules/" RULES_FILE);
    return found;
}

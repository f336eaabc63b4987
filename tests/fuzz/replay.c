/* Runs a fuzz target's LLVMFuzzerTestOneInput on files, without libFuzzer:
 * the seed corpora and every kept crasher become ordinary tests. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *data = malloc(cap);
    size_t k;
    while ((k = fread(data + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap)
            data = realloc(data, cap *= 2);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                failed |= run_file(path);
                files++;
            }
            if (d)
                closedir(d);
        } else {
            failed |= run_file(argv[i]);
            files++;
        }
    }
    printf("replay: %d files, %s\n", files, failed ? "some unreadable" : "no crash");
    return failed;
}

/* replay.c - runs a libFuzzer target over its seed corpus and every crash ever found, without
 * libFuzzer, so `make test` replays them under ASan/UBSan with gcc. The binary is named
 * test_replay_fuzz_NAME; it reads tests/fuzz/corpus/fuzz_NAME/ and tests/fuzz/regressions/fuzz_NAME/
 * (either may be missing, but not both empty). Each file that returns counts as one pass; a
 * sanitizer report aborts the run, which tests/run counts as a failure. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir, int *passed)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    char path[4096];
    int failed = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) {
            printf("FAIL cannot open %s\n", path);
            failed++;
            continue;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        /* an exact-size heap copy, so ASan sees reads past the end */
        uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
        size_t got = fread(buf, 1, (size_t)n, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, got);
        free(buf);
        (*passed)++;
    }
    closedir(d);
    return failed;
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    const char *name = strstr(base, "fuzz_");
    if (!name || argc > 1) {
        fprintf(stderr, "usage: test_replay_fuzz_NAME (run from the repository root)\n");
        return 2;
    }
    char dir[1024];
    int passed = 0, failed = 0;
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
    failed += replay_dir(dir, &passed);
    snprintf(dir, sizeof dir, "tests/fuzz/regressions/%s", name);
    failed += replay_dir(dir, &passed);
    if (passed == 0) {
        printf("FAIL %s: no corpus files found\n", name);
        failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

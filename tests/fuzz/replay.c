/* Plain driver for the fuzz targets: links with one tests/fuzz/fuzz_<target>.c (instead of
   libFuzzer) and runs LLVMFuzzerTestOneInput once on every file named on the command line
   (directories: every file in them, sorted). Built with ASan + UBSan, it replays the regression
   inputs and the seed corpora without libFuzzer:
       build-fuzz/replay_json tests/fuzz/regressions/json tests/fuzz/corpus/json
   Prints one line per directory and "N inputs replayed"; a crash aborts with the sanitizer's
   report naming the input just announced on stderr (HERO_REPLAY_VERBOSE=1 names every one). */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64 /* 32-bit targets: readdir fails (EOVERFLOW) on 64-bit inode numbers without it */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int g_verbose, g_tty, g_count;

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f) { fprintf(stderr, "replay: cannot open %s\n", path); return 1; }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return 1; }
    /* an exact-size heap copy, so that ASan sees a read one byte past the input */
    buf = (unsigned char *)malloc(n ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(buf); fprintf(stderr, "replay: cannot read %s\n", path); return 1; }
    fclose(f);
    if (g_verbose) fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    g_count++;
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_path(const char *path) {
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    int n = 0, cap = 0, i, bad = 0, before = g_count;
    if (stat(path, &st) != 0) { fprintf(stderr, "replay: %s: no such file or directory\n", path); return 1; }
    if (!S_ISDIR(st.st_mode)) return run_file(path);
    if (!(d = opendir(path))) { fprintf(stderr, "replay: cannot list %s\n", path); return 1; }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = (char **)realloc(names, (size_t)cap * sizeof *names);
            if (!names) abort();
        }
        names[n] = (char *)malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!names[n]) abort();
        sprintf(names[n], "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp);
    for (i = 0; i < n; i++) {
        struct stat s2;
        if (stat(names[i], &s2) == 0 && S_ISREG(s2.st_mode)) {
            if (!g_verbose && g_tty) fprintf(stderr, "\rreplay: %-70.70s", names[i]);
            bad |= run_file(names[i]);
        }
        free(names[i]);
    }
    free(names);
    if (!g_verbose && g_tty) fprintf(stderr, "\r%80s\r", "");
    printf("%s: %d inputs\n", path, g_count - before);
    return bad;
}

int main(int argc, char **argv) {
    int i, bad = 0;
    const char *v = getenv("HERO_REPLAY_VERBOSE");
    g_verbose = v && v[0] == '1';
    g_tty = isatty(2);
    for (i = 1; i < argc; i++) bad |= run_path(argv[i]);
    printf("%d inputs replayed\n", g_count);
    return bad;
}

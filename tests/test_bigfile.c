/* Files over 2 GiB and 4 GiB (issue 17 item 9): the whole-file reader takes a file's size in 64
   bits on every platform (long is 32-bit on Windows and 32-bit ARM, where ftell fails or wraps).
   Makes sparse files (no disk space, nothing written but the last byte) of 2.5 GiB and 4 GiB + 17
   bytes and opens them through every public reader that reads whole files. The allocator of this
   program refuses any request over 64 MiB and records it, so nothing here allocates gigabytes:
     64-bit size_t: the reader asks for exactly size + 1 bytes (seen by the allocator), then fails
                    with HERO_ENOMEM and a message naming the size;
     32-bit size_t: the reader refuses with HERO_ELIMIT and a message naming the exact size,
                    without asking the allocator for anything big.
   A reader that took the size from a 32-bit long fails here (ftell error, or 4 GiB + 17 read
   as 17 bytes). Ends "N passed, N failed". Usage: test_bigfile [DIR] (default: the temp dir). */
#define _POSIX_C_SOURCE 200809L /* fseeko */
#include <stddef.h>
/* hero.h comes before every libc header: it turns on 64-bit file offsets (32-bit glibc) */
static void *big_malloc(size_t n);
static void *big_realloc(void *p, size_t n);
#define HERO_MALLOC(n) big_malloc(n)
#define HERO_REALLOC(p, n) big_realloc(p, n)
#define HERO_FREE(p) free(p)
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include <stdlib.h>
static size_t g_limit = (size_t)64 << 20, g_last_big;
static void *big_malloc(size_t n) {
    if (n > g_limit) { g_last_big = n; return NULL; }
    return malloc(n);
}
static void *big_realloc(void *p, size_t n) {
    if (n > g_limit) { g_last_big = n; return NULL; }
    return realloc(p, n);
}
#include <string.h>
#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

static int g_pass, g_fail;
static void check(int ok, const char *name, const char *detail) {
    if (ok) g_pass++;
    else g_fail++;
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, detail && *detail ? ": " : "", detail ? detail : "");
}

/* a sparse file of `size` bytes: seek past the end and write the last byte */
static int make_sparse(const char *path, unsigned long long size) {
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f) return 0;
#if defined(_WIN32)
    ok = _fseeki64(f, (long long)size - 1, SEEK_SET) == 0;
#else
    ok = fseeko(f, (off_t)(size - 1), SEEK_SET) == 0;
#endif
    ok = ok && fputc(0, f) != EOF;
    ok = (fclose(f) == 0) && ok;
    return ok;
}

/* the reader's answer for a big file: exact size in the message, the right code, no wrap */
static void expect_refused(const char *what, int rc, const hero_error *e, unsigned long long size) {
    char num[32], detail[700];
    int named, ok;
    snprintf(num, sizeof num, "%llu", size);
    named = strstr(e->msg, num) != NULL;
    if (sizeof(size_t) >= 8) /* the allocator saw the exact request and refused it */
        ok = rc == HERO_ENOMEM && g_last_big == (size_t)size + 1 && named;
    else
        ok = rc == HERO_ELIMIT && g_last_big == 0 && named && strstr(e->msg, "32-bit build") != NULL;
    snprintf(detail, sizeof detail, "rc %d (%s), largest refused request %llu, message \"%s\"", rc, hero_strerror(rc),
             (unsigned long long)g_last_big, e->msg);
    check(ok, what, detail);
}

/* a 64-bit POSIX build memory-maps tensor files (hero__map_file): hero_tensorfile_open allocates
   nothing for the data, and the zeros of the sparse file fail as a malformed header that names the
   file. 32-bit builds do not map files of 2 GiB or more (they read them: refused as above). */
#if (defined(__unix__) || defined(__APPLE__)) && !defined(HERO_NO_MMAP)
#define BIG_MAPS (sizeof(size_t) >= 8)
#else
#define BIG_MAPS 0
#endif
static void expect_mapped(const char *what, int rc, const hero_error *e, const char *path) {
    char detail[700];
    int ok = rc == HERO_EFORMAT && g_last_big == 0 && strstr(e->msg, path) != NULL;
    snprintf(detail, sizeof detail, "mapped: rc %d (%s), largest refused request %llu, message \"%s\"", rc, hero_strerror(rc),
             (unsigned long long)g_last_big, e->msg);
    check(ok, what, detail);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : NULL;
    static const unsigned long long sizes[2] = {(5ull << 29) + 1, (4ull << 30) + 17}; /* 2.5 GiB + 1, 4 GiB + 17 */
    char path[1024];
    int i;
    if (!dir) dir = getenv("TMPDIR");
    if (!dir) dir = getenv("TEMP");
    if (!dir) dir = ".";
    printf("# size_t is %d-bit\n", (int)(sizeof(size_t) * 8));
    for (i = 0; i < 2; i++) {
        unsigned long long size = sizes[i];
        hero_error e;
        hero_tensorfile tf;
        hero_json js;
        hero_tokenizer *tok = NULL;
        hero_subtitles subs;
        char name[80];
        int rc;
        snprintf(path, sizeof path, "%s/hero_bigfile_%d.safetensors", dir, i);
        if (!make_sparse(path, size)) {
            snprintf(name, sizeof name, "make a sparse file of %llu bytes in %s", size, dir);
            check(0, name, "cannot create it (disk full? no sparse files?)");
            remove(path);
            continue;
        }
        memset(&e, 0, sizeof e);
        g_last_big = 0;
        rc = hero_tensorfile_open(&tf, path, &e);
        snprintf(name, sizeof name, "hero_tensorfile_open, %llu bytes%s", size, BIG_MAPS ? " (memory-mapped)" : "");
        if (BIG_MAPS) expect_mapped(name, rc, &e, path);
        else expect_refused(name, rc, &e, size);
        if (rc == 0) hero_tensorfile_close(&tf);

        memset(&e, 0, sizeof e);
        g_last_big = 0;
        rc = hero_json_read_file(path, &js, &e);
        snprintf(name, sizeof name, "hero_json_read_file, %llu bytes", size);
        expect_refused(name, rc, &e, size);
        if (rc == 0) hero_json_free(&js);

        /* the tokenizer and subtitle readers have a 1 GiB limit of their own: ELIMIT with the size */
        memset(&e, 0, sizeof e);
        g_last_big = 0;
        rc = hero_tokenizer_load(&tok, path, path, &e);
        snprintf(name, sizeof name, "hero_tokenizer_load, %llu bytes", size);
        {
            char num[32], detail[700];
            snprintf(num, sizeof num, "%llu bytes", size);
            snprintf(detail, sizeof detail, "rc %d, message \"%s\"", rc, e.msg);
            check(rc == HERO_ELIMIT && g_last_big == 0 && strstr(e.msg, num) != NULL, name, detail);
        }
        if (rc == 0) hero_tokenizer_free(tok);

        memset(&e, 0, sizeof e);
        g_last_big = 0;
        rc = hero_subs_read_srt(&subs, path, &e);
        snprintf(name, sizeof name, "hero_subs_read_srt, %llu bytes", size);
        {
            char num[32], detail[700];
            snprintf(num, sizeof num, "%llu bytes", size);
            snprintf(detail, sizeof detail, "rc %d, message \"%s\"", rc, e.msg);
            check(rc == HERO_ELIMIT && g_last_big == 0 && strstr(e.msg, num) != NULL, name, detail);
        }
        if (rc == 0) hero_subtitles_free(&subs);
        remove(path);
    }
    /* a small file still reads through the same path */
    {
        hero_tensorfile tf;
        hero_error e;
        int rc = hero_tensorfile_open(&tf, "tests/data/a.npy", &e);
        check(rc == 0 && tf.n_tensors == 1, "a small file (tests/data/a.npy) still opens", rc ? e.msg : "");
        if (rc == 0) hero_tensorfile_close(&tf);
    }
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}

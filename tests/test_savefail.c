/* I/O failure injection on checkpoint saves (issue 17 item 4). hero_trainer_save (through
   hero_safetensors_write) writes path.tmp, flushes, fsyncs, closes and renames it over path; this
   program replaces those calls (HERO_FWRITE, HERO_FFLUSH, HERO_FSYNC, HERO_FCLOSE, HERO_RENAME)
   with versions that make the k-th call fail (ENOSPC or EIO, a failing write after writing half),
   for every k a save makes. Each time: the save returns HERO_EIO with a message naming the call
   and the errno text, the previous checkpoint is byte for byte what it was and loads (its step),
   and no .tmp file is left. Then a save without failures replaces it. Ends "N passed, N failed".
   Usage: test_savefail [DIR]   (default build/) */
#define _POSIX_C_SOURCE 200809L
#include "../hero.h" /* the API first: the replacements below take a FILE * */
#include <errno.h>
#include <string.h>
#include <unistd.h>

static long g_io, g_fail_at;
static int g_errno;
static const char *g_failed;
static int io_fails(const char *what) {
    if (++g_io != g_fail_at) return 0;
    g_failed = what;
    return 1;
}
static size_t t_fwrite(const void *p, size_t size, size_t n, FILE *f) {
    if (io_fails("write")) { /* a short write: half of it reaches the file */
        size_t half = n / 2;
        if (half) half = fwrite(p, size, half, f);
        errno = g_errno;
        return half;
    }
    return fwrite(p, size, n, f);
}
static int t_fflush(FILE *f) {
    if (io_fails("write")) { errno = g_errno; return EOF; } /* the buffered rest cannot be written */
    return fflush(f);
}
static int t_fsync(FILE *f) {
    if (io_fails("fsync")) { errno = g_errno; return -1; }
    return fsync(fileno(f));
}
static int t_fclose(FILE *f) {
    int r = fclose(f); /* the stream is closed either way, as fclose does */
    if (io_fails("close")) { errno = g_errno; return EOF; }
    return r;
}
static int t_rename(const char *from, const char *to) {
    if (io_fails("rename")) { errno = g_errno; return -1; }
    return rename(from, to);
}
#define HERO_FWRITE(p, size, n, f) t_fwrite(p, size, n, f)
#define HERO_FFLUSH(f) t_fflush(f)
#define HERO_FSYNC(f) t_fsync(f)
#define HERO_FCLOSE(f) t_fclose(f)
#define HERO_RENAME(from, to) t_rename(from, to)
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include <stdlib.h>

static int g_pass, g_fail;
static void check(int ok, const char *name, const char *detail) {
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, detail && *detail ? ": " : "", detail ? detail : "");
    if (ok) g_pass++;
    else g_fail++;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    size_t cap = 0, got;
    *n = 0;
    if (!f) return NULL;
    for (;;) {
        if (*n == cap) {
            unsigned char *q = (unsigned char *)realloc(b, cap ? 2 * cap : 65536);
            if (!q) { free(b); fclose(f); return NULL; }
            b = q;
            cap = cap ? 2 * cap : 65536;
        }
        got = fread(b + *n, 1, cap - *n, f);
        *n += got;
        if (got == 0) break;
    }
    fclose(f);
    return b;
}

/* the golden corpus (3 videos) */
/* the golden corpus (raw.* of tests/golden/tiny/repr.safetensors), read by the library's own loader */
static hero_corpus g_corpus;
static void corpus_load(int F) {
    hero_tensorfile tf;
    hero_error err;
    if (hero_tensorfile_open(&tf, "tests/golden/tiny/repr.safetensors", &err) || hero_corpus_read(&g_corpus, &tf, &err)) {
        printf("FAIL corpus: %s\n", err.msg);
        exit(1);
    }
    hero_tensorfile_close(&tf);
    if (g_corpus.F != F) { printf("FAIL corpus: F %d, model %d\n", g_corpus.F, F); exit(1); }
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build";
    char path[600], tmp[620], detail[900];
    hero_model m, m2;
    hero_trainer t, t2;
    hero_train_config c;
    hero_error e;
    hero_load_report rep;
    unsigned char *before, *after;
    size_t nb, na;
    long N, k, n_write = 0, n_fsync = 0, n_close = 0, n_rename = 0, ok_cases = 0;
    snprintf(path, sizeof path, "%s/test_savefail.safetensors", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (hero_model_load(&m, "tests/golden/tiny/config.json", "tests/golden/tiny/model.pt", &rep, &e) ||
        hero_model_load(&m2, "tests/golden/tiny/config.json", "tests/golden/tiny/model.pt", &rep, &e)) {
        printf("FAIL load: %s\n0 passed, 1 failed\n", e.msg);
        return 1;
    }
    corpus_load(m.cfg.F);
    c = hero_train_config_default(m.cfg.V);
    c.videos_per_batch = 3;
    c.accum_steps = 1;
    c.adamw.lr = 5e-4f;
    c.adamw.warmup_steps = 2;
    c.adamw.total_steps = 10;
    c.seed = 7;
    if (hero_trainer_init(&t, &m, &c, g_corpus.videos, g_corpus.n_videos, &e) || hero_trainer_init(&t2, &m2, &c, g_corpus.videos, g_corpus.n_videos, &e)) {
        printf("FAIL trainer: %s\n0 passed, 1 failed\n", e.msg);
        return 1;
    }
    /* the previous checkpoint: step 1 */
    remove(path);
    if (hero_trainer_update(&t, &e)) { printf("FAIL update: %s\n", e.msg); return 1; }
    g_io = 0;
    g_fail_at = 0;
    check(hero_trainer_save(&t, path, &e) == 0, "a save without failures", e.msg);
    N = g_io;
    before = slurp(path, &nb);
    if (!before) { printf("FAIL cannot read %s\n", path); return 1; }
    /* the state to save: step 2 */
    if (hero_trainer_update(&t, &e)) { printf("FAIL update: %s\n", e.msg); return 1; }
    printf("# a save makes %ld I/O calls (writes, flush, fsync, close, rename)\n", N);
    for (k = 1; k <= N; k++) {
        int rc, ok;
        g_io = 0;
        g_fail_at = k;
        g_errno = (k % 2) ? ENOSPC : EIO;
        g_failed = NULL;
        memset(&e, 0, sizeof e);
        rc = hero_trainer_save(&t, path, &e);
        g_fail_at = 0;
        after = slurp(path, &na);
        ok = rc == HERO_EIO && g_failed && strstr(e.msg, g_failed) && strstr(e.msg, strerror(g_errno)) && after && na == nb &&
             memcmp(before, after, nb) == 0 && access(tmp, F_OK) != 0;
        free(after);
        /* the previous checkpoint still loads, and is the previous state */
        if (ok) {
            ok = hero_trainer_load(&t2, path, &e) == 0 && t2.opt.step == 1;
            if (!ok) snprintf(detail, sizeof detail, "k=%ld (%s): previous checkpoint does not load: %s", k, g_failed, e.msg);
        } else
            snprintf(detail, sizeof detail, "k=%ld (%s, %s): rc %d, message \"%s\", file %s, %s left", k, g_failed ? g_failed : "none",
                     strerror(g_errno), rc, e.msg, "compared above", access(tmp, F_OK) == 0 ? ".tmp" : "no .tmp");
        if (!ok) check(0, "save failure", detail);
        else {
            ok_cases++;
            if (strcmp(g_failed, "write") == 0) n_write++;
            else if (strcmp(g_failed, "fsync") == 0) n_fsync++;
            else if (strcmp(g_failed, "close") == 0) n_close++;
            else n_rename++;
            if (k == 1 || k == N) printf("# k=%ld: %s\n", k, e.msg);
        }
    }
    snprintf(detail, sizeof detail, "%ld of %ld: %ld writes (incl. the flush), %ld fsync, %ld close, %ld rename", ok_cases, N, n_write,
             n_fsync, n_close, n_rename);
    check(ok_cases == N && n_fsync == 1 && n_close == 1 && n_rename == 1 && n_write == N - 3,
          "every failing write / fsync / close / rename: HERO_EIO with the errno text, previous checkpoint intact and loadable, no .tmp",
          detail);
    /* the same save without failures replaces it */
    g_io = 0;
    {
        int ok = hero_trainer_save(&t, path, &e) == 0 && hero_trainer_load(&t2, path, &e) == 0 && t2.opt.step == 2;
        check(ok, "then a save without failures replaces it (step 2 loads)", ok ? "" : e.msg);
    }
    remove(path);
    free(before);
    hero_trainer_free(&t);
    hero_trainer_free(&t2);
    hero_model_free(&m);
    hero_model_free(&m2);
    hero_corpus_free(&g_corpus);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}

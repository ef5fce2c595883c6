/* test_threads: hero.h's worker pool and the portable GEMM on it.
     - hero__parallel runs every task exactly once, at every thread count, also when loops are
       started from several threads at once and from inside a task (those run on their caller);
     - hero_set_threads / hero_get_threads;
     - the portable GEMM (every micro-kernel this CPU runs: AVX-512, AVX2, NEON, plain C) against
       a double-precision product, over edge tiles, transposes, strides, beta 0 / 1 / other,
       K = 0 and blocks larger than one cache block; and bit for bit the same at 1, 2, 3, 4 and
       7 threads (each element's sum runs in one fixed order whatever the split).
   Ends with "N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;
static void check(const char *name, int ok, const char *fmt, double v) {
    if (ok) n_pass++;
    else n_fail++;
    printf("%s %s ", ok ? "PASS" : "FAIL", name);
    printf(fmt, v);
    printf("\n");
}

/* ---------------- the pool ---------------- */
typedef struct { int *hits; int n; int nested; } count_ctx;
static void count_task(void *c, int t) {
    count_ctx *k = (count_ctx *)c;
    k->hits[t]++;
    if (k->nested) { /* a loop inside a task: runs on this thread */
        int inner[5] = {0, 0, 0, 0, 0}, i, ok = 1;
        count_ctx in;
        in.hits = inner; in.n = 5; in.nested = 0;
        hero__parallel(count_task, &in, 5);
        for (i = 0; i < 5; i++) ok &= inner[i] == 1;
        if (!ok) k->hits[t] += 100;
    }
}
static int count_ok(const int *hits, int n) {
    int i;
    for (i = 0; i < n; i++) if (hits[i] != 1) return 0;
    return 1;
}

#if HERO__THREADS == 1
/* several caller threads at once, each running many loops */
static void *caller_thread(void *arg) {
    int rep, *bad = (int *)arg;
    for (rep = 0; rep < 200; rep++) {
        int hits[37];
        count_ctx k;
        memset(hits, 0, sizeof(hits));
        k.hits = hits; k.n = 37; k.nested = rep % 3 == 0;
        hero__parallel(count_task, &k, 37);
        if (!count_ok(hits, 37)) (*bad)++;
    }
    return NULL;
}
#endif

static void test_pool(void) {
    int th, n, bad;
    static const int counts[] = {1, 2, 3, 4, 7};
    char name[96];
    check("hero_get_threads() >= 1 by default", hero_get_threads() >= 1, "(%g)", (double)hero_get_threads());
    for (th = 0; th < 5; th++) {
        int got = hero_set_threads(counts[th]);
#if HERO__THREADS
        snprintf(name, sizeof(name), "hero_set_threads(%d)", counts[th]);
        check(name, got == counts[th] && hero_get_threads() == counts[th], "answers %g", (double)got);
#else
        check("HERO_NO_THREADS: hero_set_threads answers 1", got == 1, "(%g)", (double)got);
#endif
        bad = 0;
        for (n = 0; n <= 50; n++) {
            int hits[50];
            count_ctx k;
            memset(hits, 0, sizeof(hits));
            k.hits = hits; k.n = n; k.nested = n % 2;
            hero__parallel(count_task, &k, n);
            if (!count_ok(hits, n)) bad++;
        }
        snprintf(name, sizeof(name), "%d threads: every task of 0..50-task loops runs once (nested loops too)", counts[th]);
        check(name, bad == 0, "(%g loops wrong)", (double)bad);
    }
    hero_set_threads(0); /* n < 1: unchanged */
    check("hero_set_threads(0) keeps the count", hero_get_threads() == 7 || !HERO__THREADS, "(%g)", (double)hero_get_threads());
#if HERO__THREADS == 1
    {
        pthread_t t[3];
        int b[3] = {0, 0, 0}, i;
        hero_set_threads(2);
        for (i = 0; i < 3; i++) pthread_create(&t[i], NULL, caller_thread, &b[i]);
        for (i = 0; i < 3; i++) pthread_join(t[i], NULL);
        check("3 caller threads x 200 loops at once: every task once", b[0] + b[1] + b[2] == 0, "(%g loops wrong)",
              (double)(b[0] + b[1] + b[2]));
    }
#endif
}

/* ---------------- the portable GEMM ---------------- */
static float *rnd(size_t n, unsigned seed) {
    float *x = (float *)malloc(n * sizeof(float) + 1);
    size_t i;
    unsigned s = seed * 2654435761u + 1;
    for (i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; x[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f; }
    return x;
}

/* C = alpha op(A) op(B) + beta C0 in double; returns max |ref - got| / max(1, max |ref|) */
static double gemm_err(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                       float beta, const float *C0, const float *C, int ldc) {
    double md = 0, mref = 1;
    int i, j, k;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            double s = 0, r;
            for (k = 0; k < K; k++)
                s += (double)(ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) * (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
            r = alpha * s + (beta == 0.0f ? 0.0 : beta * (double)C0[(size_t)i * ldc + j]);
            if (fabs(r) > mref) mref = fabs(r);
            if (!(fabs(r - C[(size_t)i * ldc + j]) <= md)) md = fabs(r - C[(size_t)i * ldc + j]);
        }
    return md / mref;
}

static void test_gemm_shape(int M, int N, int K, int ta, int tb, float beta, const char *kname) {
    static const int counts[] = {1, 2, 3, 4, 7};
    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2, th, same = 1;
    float *A = rnd((size_t)(ta ? K : M) * lda, 1), *B = rnd((size_t)(tb ? N : K) * ldb, 2);
    float *C0 = rnd((size_t)M * ldc, 3), *C = (float *)malloc((size_t)M * ldc * sizeof(float) + 1);
    float *C1 = (float *)malloc((size_t)M * ldc * sizeof(float) + 1);
    double err;
    char name[160];
    size_t i;
    if (beta == 0.0f) for (i = 0; i < (size_t)M * ldc; i++) if (i % 7 == 0) C0[i] = NAN; /* beta 0 overwrites */
    for (th = 0; th < 5; th++) {
        hero_set_threads(counts[th]);
        memcpy(C, C0, (size_t)M * ldc * sizeof(float));
        hero__gemm_portable(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, C, ldc);
        if (th == 0) {
            memcpy(C1, C, (size_t)M * ldc * sizeof(float));
            err = gemm_err(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, C0, C, ldc);
            snprintf(name, sizeof(name), "gemm %s %s%s %dx%dx%d beta %g vs double", kname, ta ? "T" : "N", tb ? "T" : "N", M, N, K,
                     (double)beta);
            check(name, err <= 1e-5 * (K > 1 ? sqrt((double)K) : 1.0), "err %.2e", err);
        } else if (memcmp(C, C1, (size_t)M * ldc * sizeof(float)) != 0) {
            same = 0;
        }
    }
    snprintf(name, sizeof(name), "gemm %s %s%s %dx%dx%d: bit for bit the same at 1, 2, 3, 4, 7 threads", kname, ta ? "T" : "N",
             tb ? "T" : "N", M, N, K);
    check(name, same, "(%g)", (double)same);
    free(A); free(B); free(C0); free(C); free(C1);
}

static void test_gemm(void) {
    static const int shapes[][3] = {{1, 1, 1}, {37, 29, 70}, {12, 32, 256}, {13, 33, 257}, {400, 300, 300},
                                    {150, 2100, 40}, {5, 3000, 600}, {700, 7, 90}, {25, 25, 64}, {96, 96, 0}};
    int f, s, ta, tb, done[3] = {0, 0, 0};
    for (f = 0; f < 3; f++) {
        int mr, nr, g, seen = 0;
        const char *kname;
        hero__gemm_force = f;
        hero__gemm_pick(&mr, &nr);
        done[f] = mr * 100 + nr;
        for (g = 0; g < f; g++) seen |= done[g] == done[f]; /* only kernels this CPU runs, each once */
        if (seen) continue;
        kname = mr == 12 ? "avx512" : mr == 6 ? "avx2" : nr == 12 ? "neon" : "c";
        for (s = 0; s < (int)(sizeof(shapes) / sizeof(shapes[0])); s++)
            for (ta = 0; ta < 2; ta++)
                for (tb = 0; tb < 2; tb++)
                    test_gemm_shape(shapes[s][0], shapes[s][1], shapes[s][2], ta, tb, (s % 3) == 0 ? 0.0f : (s % 3) == 1 ? 1.0f : 0.5f,
                                    kname);
    }
    hero__gemm_force = 0;
}

int main(void) {
    test_pool();
    test_gemm();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail != 0;
}

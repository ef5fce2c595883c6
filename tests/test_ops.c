/* Gradient checks by central finite differences for every op of hero.h, then for every
   task of the whole model (spot checks of each parameter tensor that receives a gradient).

   Each op is run as loss = sum(out * R) with a fixed random R; the analytic gradient from
   the op's backward is compared with (loss(x + h) - loss(x - h)) / 2h, computed in double
   around float ops. err = max|analytic - numeric| / max(max|numeric|, 1e-2); pass <= 2e-2
   (float32 central differences with h = 1e-2 are good to ~1e-3 on these smooth inputs;
   kinks of relu / hinge / max are kept away from the probe points). */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ds_batch.h"

static int g_pass, g_fail;
static float g_plant; /* TEST_OPS_PLANT: scale every analytic gradient of the whole-model checks (a planted bug) */
static int g_stride = 1; /* TEST_OPS_STRIDE=N: the whole-model checks probe every N-th tensor only (make asan: the
                            sanitizers look for memory errors, which every forward / backward pass exercises;
                            the numbers are checked in full by the plain build) */

static void result(const char *name, double err, double tol) {
    int ok = err <= tol;
    printf("%s %s (err %.2e, tol %.0e)\n", ok ? "PASS" : "FAIL", name, err, tol);
    if (ok) g_pass++;
    else g_fail++;
}

static uint64_t g_seed = 88172645463325252ull;
static float frand(void) { /* uniform [-1, 1) */
    g_seed ^= g_seed << 13; g_seed ^= g_seed >> 7; g_seed ^= g_seed << 17;
    return (float)((g_seed >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}
static float *rnd(int n, float scale) {
    float *x = (float *)malloc((size_t)n * sizeof(float));
    int i;
    for (i = 0; i < n; i++) x[i] = frand() * scale;
    return x;
}
static float *zeros(int n) { return (float *)calloc((size_t)n, sizeof(float)); }

/* ---- a generic checker: f(ctx) writes out[nout]; loss = sum out*R ---- */
typedef void (*fwd_fn)(void *ctx, float *out);
static double loss_of(fwd_fn f, void *ctx, float *out, const float *R, int nout) {
    double s = 0;
    int i;
    f(ctx, out);
    for (i = 0; i < nout; i++) s += (double)out[i] * R[i];
    return s;
}
static double fd_err(fwd_fn f, void *ctx, float *x, int n, const float *analytic, const float *R, int nout, float h) {
    float *out = (float *)malloc((size_t)nout * sizeof(float));
    double md = 0, mn = 0;
    int i;
    for (i = 0; i < n; i++) {
        float x0 = x[i];
        double lp, lm, num;
        x[i] = x0 + h; lp = loss_of(f, ctx, out, R, nout);
        x[i] = x0 - h; lm = loss_of(f, ctx, out, R, nout);
        x[i] = x0;
        num = (lp - lm) / (2.0 * h);
        if (fabs(num - analytic[i]) > md) md = fabs(num - analytic[i]);
        if (fabs(num) > mn) mn = fabs(num);
    }
    free(out);
    return md / (mn > 1e-2 ? mn : 1e-2);
}

/* ---------------- linear ---------------- */
typedef struct { float *x, *W, *b; int N, In, O; } lin_ctx;
static void lin_f(void *c, float *out) { lin_ctx *k = (lin_ctx *)c; hero__linear_fwd(out, k->x, k->W, k->b, k->N, k->In, k->O); }
static void test_linear(void) {
    lin_ctx k = {0, 0, 0, 3, 5, 4};
    float *R = rnd(12, 1), *dx = zeros(15), *dW = zeros(20), *db = zeros(4);
    k.x = rnd(15, 1); k.W = rnd(20, 1); k.b = rnd(4, 1);
    hero__linear_bwd(dx, dW, db, R, k.x, k.W, 3, 5, 4);
    result("linear dx", fd_err(lin_f, &k, k.x, 15, dx, R, 12, 1e-2f), 2e-2);
    result("linear dW", fd_err(lin_f, &k, k.W, 20, dW, R, 12, 1e-2f), 2e-2);
    result("linear db", fd_err(lin_f, &k, k.b, 4, db, R, 12, 1e-2f), 2e-2);
    free(R); free(dx); free(dW); free(db); free(k.x); free(k.W); free(k.b);
}

/* ---------------- gemm variants against a naive product ---------------- */
static void test_gemm(void) {
    int M = 37, N = 29, K = 70, ta, tb, i, j, k;
    float *A = rnd(M * K, 1), *B = rnd(K * N, 1), *C = rnd(M * N, 1), *C0 = (float *)malloc(M * N * sizeof(float));
    for (ta = 0; ta < 2; ta++)
        for (tb = 0; tb < 2; tb++) {
            double md = 0;
            char name[64];
            memcpy(C0, C, M * N * sizeof(float));
            hero__gemm(ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 0.25f, C0, N);
            for (i = 0; i < M; i++)
                for (j = 0; j < N; j++) {
                    double s = 0;
                    for (k = 0; k < K; k++) s += (double)(ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
                    s = 0.5 * s + 0.25 * C[i * N + j];
                    if (fabs(s - C0[i * N + j]) > md) md = fabs(s - C0[i * N + j]);
                }
            snprintf(name, sizeof(name), "gemm ta=%d tb=%d", ta, tb);
            result(name, md, 1e-4);
        }
    free(A); free(B); free(C); free(C0);
}

/* ---------------- layernorm ---------------- */
typedef struct { float *x, *w, *b; int N, C; } ln_ctx;
static void ln_f(void *c, float *out) {
    ln_ctx *k = (ln_ctx *)c;
    float mean[8], rstd[8];
    hero__layernorm_fwd(out, mean, rstd, k->x, k->w, k->b, k->N, k->C, 1e-5f);
}
static void test_layernorm(void) {
    ln_ctx k = {0, 0, 0, 3, 6};
    float mean[3], rstd[3], *out = zeros(18), *R = rnd(18, 1), *dx = zeros(18), *dw = zeros(6), *db = zeros(6);
    k.x = rnd(18, 2); k.w = rnd(6, 1); k.b = rnd(6, 1);
    hero__layernorm_fwd(out, mean, rstd, k.x, k.w, k.b, 3, 6, 1e-5f);
    hero__layernorm_bwd(dx, dw, db, R, k.x, mean, rstd, k.w, 3, 6);
    result("layernorm dx", fd_err(ln_f, &k, k.x, 18, dx, R, 18, 1e-2f), 2e-2);
    result("layernorm dw", fd_err(ln_f, &k, k.w, 6, dw, R, 18, 1e-2f), 2e-2);
    result("layernorm db", fd_err(ln_f, &k, k.b, 6, db, R, 18, 1e-2f), 2e-2);
    free(out); free(R); free(dx); free(dw); free(db); free(k.x); free(k.w); free(k.b);
}

/* ---------------- elementwise: gelu, relu (tanh is forward only: the pooler) ---------------- */
typedef struct { float *x; int n, which; } ew_ctx;
static void ew_f(void *c, float *out) {
    ew_ctx *k = (ew_ctx *)c;
    if (k->which == 0) hero__gelu_fwd(out, k->x, (size_t)k->n);
    else { memcpy(out, k->x, (size_t)k->n * sizeof(float)); hero__relu_fwd(out, (size_t)k->n); }
}
static void test_elementwise(void) {
    static const char *names[] = {"gelu dx", "relu dx"};
    int w, i;
    for (w = 0; w < 2; w++) {
        ew_ctx k;
        float *R = rnd(16, 1), *dx = zeros(16), *out = zeros(16);
        k.x = rnd(16, 3); k.n = 16; k.which = w;
        for (i = 0; i < 16; i++) if (fabsf(k.x[i]) < 0.1f) k.x[i] += 0.3f; /* away from the relu kink */
        ew_f(&k, out);
        if (w == 0) hero__gelu_bwd(dx, R, k.x, 16);
        else hero__relu_bwd(dx, R, out, 16);
        result(names[w], fd_err(ew_f, &k, k.x, 16, dx, R, 16, 1e-2f), 2e-2);
        free(R); free(dx); free(out); free(k.x);
    }
}

/* the cross-entropy's value against a double-precision reference */
static void test_xent_value(void) {
    double ex = 0;
    int i, t;
    float x[1000];
    for (i = 0; i < 1000; i++) x[i] = 20.0f * frand();
    for (t = 0; t < 1000; t += 111) {
        double mx = x[0], s = 0, ref;
        for (i = 1; i < 1000; i++) if (x[i] > mx) mx = x[i];
        for (i = 0; i < 1000; i++) s += exp((double)x[i] - mx);
        ref = log(s) + mx - x[t];
        if (fabs(hero__xent_fwd(NULL, x, 1000, t) - ref) / (fabs(ref) + 1) > ex)
            ex = fabs(hero__xent_fwd(NULL, x, 1000, t) - ref) / (fabs(ref) + 1);
    }
    result("cross-entropy value vs double (1000 classes)", ex, 1e-6);
}

/* ---------------- softmax row, cross-entropy, mask_logits ---------------- */
typedef struct { float *x; int n, t; } sm_ctx;
static void sm_f(void *c, float *out) { sm_ctx *k = (sm_ctx *)c; memcpy(out, k->x, (size_t)k->n * sizeof(float)); hero__softmax_row(out, k->n); }
static void xe_f(void *c, float *out) { sm_ctx *k = (sm_ctx *)c; out[0] = hero__xent_fwd(NULL, k->x, k->n, k->t); }
static void test_softmax_xent(void) {
    sm_ctx k;
    float *R = rnd(7, 1), *dx = zeros(7), p[7], one = 1.0f;
    k.x = rnd(7, 2); k.n = 7; k.t = 3;
    memcpy(p, k.x, sizeof(p));
    hero__softmax_row(p, 7);
    hero__softmax_row_bwd(dx, R, p, 7);
    result("softmax dx", fd_err(sm_f, &k, k.x, 7, dx, R, 7, 1e-2f), 2e-2);
    memset(dx, 0, 7 * sizeof(float));
    hero__xent_fwd(p, k.x, 7, 3);
    hero__xent_bwd(dx, p, 7, 3, 1.0f);
    result("cross-entropy dx", fd_err(xe_f, &k, k.x, 7, dx, &one, 1, 1e-2f), 2e-2);
    free(R); free(dx); free(k.x);
}

/* ---------------- TVC: attention of T queries over Tk keys (cross, causal), label smoothing ---------------- */
typedef struct { float *q, *k, *v; const int32_t *mask; int N, T, Tk, H, A; } ax_ctx;
static void ax_f(void *c, float *out) {
    ax_ctx *a = (ax_ctx *)c;
    float *att = (float *)malloc((size_t)a->N * a->A * a->T * a->Tk * sizeof(float));
    hero__attn_x_fwd(att, out, a->q, a->k, a->v, a->mask, a->N, a->T, a->Tk, a->H, a->A);
    free(att);
}
/* forward-only fused attention (hero__attn_fused_fwd: query-row tiles, no att) against the
   stored-att forward: self (T not a tile multiple, key padding), cross (Tk != T, a tile of 8
   rows), causal (mask NULL), rows whose every key is masked; 1..4 threads, every loop split.
   err = max|fused - stored| / max|stored| (the same products on the same tiles: 0); the scratch
   is tile * Tk floats a part (+ the arena's alignment), never att. */
static void test_attn_fused(void) {
    static const int shapes[][6] = { /* N, T, Tk, H, A, mask: 0 none (causal), 1 padding, 2 a fully masked item */
        {2, 70, 70, 16, 2, 1}, {3, 19, 3000, 16, 4, 1}, {2, 150, 150, 24, 3, 0}, {1, 5, 5, 8, 2, 0},
        {3, 37, 45, 16, 2, 2}, {2, 130, 65, 32, 4, 2}};
    int si, th, th0 = hero_get_threads();
    for (si = 0; si < (int)(sizeof(shapes) / sizeof(shapes[0])); si++) {
        int N = shapes[si][0], T = shapes[si][1], Tk = shapes[si][2], H = shapes[si][3], A = shapes[si][4];
        int nq = N * T * H, nk = N * Tk * H, i, j;
        float *q = rnd(nq, 2), *k = rnd(nk, 2), *v = rnd(nk, 1), *ref = zeros(nq), *ctx = zeros(nq);
        float *att = (float *)malloc((size_t)N * A * T * Tk * sizeof(float));
        int32_t *mask = NULL;
        double mx = 0;
        if (shapes[si][5]) {
            mask = (int32_t *)malloc((size_t)N * Tk * sizeof(int32_t));
            for (i = 0; i < N; i++)
                for (j = 0; j < Tk; j++) mask[i * Tk + j] = shapes[si][5] == 2 && i == 1 ? 0 : j < Tk - 1 - (i * 7) % Tk;
        }
        hero_set_threads(1);
        hero__attn_x_fwd(att, ref, q, k, v, mask, N, T, Tk, H, A);
        for (i = 0; i < nq; i++) mx = fabs(ref[i]) > mx ? fabs(ref[i]) : mx;
        for (th = 1; th <= 4; th++) {
            hero_arena ar;
            double err = 0, tile = 16384 / Tk < 8 ? 8 : 16384 / Tk > 64 ? 64 : 16384 / Tk;
            char name[128];
            int rc;
            memset(&ar, 0, sizeof(ar));
            hero_set_threads(th);
            hero__split_all = th > 1;
            for (i = 0; i < nq; i++) ctx[i] = NAN; /* every element written */
            rc = hero__attn_fused_fwd(&ar, ctx, q, k, v, mask, N, T, Tk, H, A);
            for (i = 0; i < nq; i++) {
                double e = fabs((double)ctx[i] - ref[i]);
                if (!(e <= err)) err = e; /* NaN: err NaN, a failure */
            }
            snprintf(name, sizeof(name), "fused attention = stored (N %d, T %d, Tk %d, H %d, A %d, %s), %d thread%s", N, T, Tk,
                     H, A, shapes[si][5] == 0 ? "causal" : shapes[si][5] == 1 ? "key padding" : "an item fully masked", th,
                     th > 1 ? "s" : "");
            result(name, rc ? 1.0 : err / (mx > 0 ? mx : 1), 1e-5);
            if (tile > T) tile = T;
            snprintf(name, sizeof(name), "fused attention scratch: %zu bytes <= %d parts x %.0f rows x %d keys (att: %zu)",
                     ar.peak, th, tile, Tk, (size_t)N * A * T * Tk * sizeof(float));
            result(name, (double)ar.peak > th * tile * Tk * sizeof(float) + 128 ? 1.0 : 0.0, 0); /* + alignment */
            hero__split_all = 0;
            hero__arena_free(&ar);
        }
        free(q); free(k); free(v); free(ref); free(ctx); free(att); free(mask);
    }
    hero_set_threads(th0);
}
typedef struct { float *x; const int32_t *tg; int n, cols; float lsr; } ls_ctx;
static void ls_f(void *c, float *out) {
    ls_ctx *k = (ls_ctx *)c;
    hero_arena ar;
    float lv[8];
    memset(&ar, 0, sizeof(ar));
    hero__lsr_rows(&ar, k->x, k->n, k->cols, k->tg, k->lsr, lv, NULL, out);
    hero__arena_free(&ar);
}
static void test_tvc_ops(void) {
    int32_t mask[2 * 5] = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
    int causal;
    for (causal = 0; causal < 2; causal++) {
        ax_ctx a;
        hero_arena ar;
        int nq, nk;
        float *R, *dq, *dk, *dv, *att;
        char name[96];
        a.N = 2; a.H = 8; a.A = 2; a.T = causal ? 4 : 3; a.Tk = causal ? 4 : 5; a.mask = causal ? NULL : mask;
        nq = a.N * a.T * a.H; nk = a.N * a.Tk * a.H;
        a.q = rnd(nq, 1); a.k = rnd(nk, 1); a.v = rnd(nk, 1);
        R = rnd(nq, 1); dq = zeros(nq); dk = zeros(nk); dv = zeros(nk);
        att = (float *)malloc((size_t)a.N * a.A * a.T * a.Tk * sizeof(float));
        memset(&ar, 0, sizeof(ar));
        hero__attn_x_fwd(att, dq, a.q, a.k, a.v, a.mask, a.N, a.T, a.Tk, a.H, a.A); /* dq: scratch for ctx */
        memset(dq, 0, (size_t)nq * sizeof(float));
        hero__attn_x_bwd(&ar, dq, dk, dv, R, a.q, a.k, a.v, att, a.N, a.T, a.Tk, a.H, a.A);
        snprintf(name, sizeof(name), "attention %s dq", causal ? "causal (4x4)" : "cross (3 queries x 5 keys, masked)");
        result(name, fd_err(ax_f, &a, a.q, nq, dq, R, nq, 1e-2f), 2e-2);
        snprintf(name, sizeof(name), "attention %s dk", causal ? "causal (4x4)" : "cross (3 queries x 5 keys, masked)");
        result(name, fd_err(ax_f, &a, a.k, nk, dk, R, nq, 1e-2f), 2e-2);
        snprintf(name, sizeof(name), "attention %s dv", causal ? "causal (4x4)" : "cross (3 queries x 5 keys, masked)");
        result(name, fd_err(ax_f, &a, a.v, nk, dv, R, nq, 1e-2f), 2e-2);
        if (causal) { /* no query sees a later key: probabilities above the diagonal vanish */
            double up = 0;
            int n, h, i, j;
            for (n = 0; n < a.N; n++)
                for (h = 0; h < a.A; h++)
                    for (i = 0; i < a.T; i++)
                        for (j = i + 1; j < a.Tk; j++) up += att[(((size_t)n * a.A + h) * a.T + i) * a.Tk + j];
            result("attention causal: no weight on later keys", up, 1e-30);
        }
        hero__arena_free(&ar);
        free(a.q); free(a.k); free(a.v); free(R); free(dq); free(dk); free(dv); free(att);
    }
    { /* label-smoothed KL: gradient, and the value against a double-precision reference */
        int32_t tg[3] = {2, -1, 5};
        ls_ctx k;
        hero_arena ar;
        float dx[3 * 7], lv[3], loss, one = 1.0f;
        double ref = 0, sv = 0.1 / 6, e;
        int r, j;
        k.x = rnd(3 * 7, 2); k.tg = tg; k.n = 3; k.cols = 7; k.lsr = 0.1f;
        memset(&ar, 0, sizeof(ar));
        hero__lsr_rows(&ar, k.x, 3, 7, tg, 0.1f, lv, dx, &loss);
        result("label smoothing dx", fd_err(ls_f, &k, k.x, 21, dx, &one, 1, 1e-2f), 2e-2);
        for (r = 0; r < 3; r++) {
            double mx = -1e30, s = 0;
            if (tg[r] < 0) continue;
            for (j = 0; j < 7; j++) if (k.x[r * 7 + j] > mx) mx = k.x[r * 7 + j];
            for (j = 0; j < 7; j++) s += exp(k.x[r * 7 + j] - mx);
            for (j = 0; j < 7; j++) {
                double q = j == tg[r] ? 0.9 : sv;
                ref += q * (log(q) - (k.x[r * 7 + j] - mx - log(s)));
            }
        }
        e = fabs(loss - ref / 2) + fabs(lv[1]);
        result("label smoothing value vs double (row 1 ignored: 0)", e, 1e-6);
        hero__arena_free(&ar);
        free(k.x);
    }
}

/* ---------------- l2 normalise ---------------- */
typedef struct { float *x; int N, C; } l2_ctx;
static void l2_f(void *c, float *out) { l2_ctx *k = (l2_ctx *)c; float nr[4]; hero__l2norm_fwd(out, nr, k->x, k->N, k->C, 1e-5f); }
static void test_l2norm(void) {
    l2_ctx k = {0, 3, 5};
    float nr[3], *y = zeros(15), *R = rnd(15, 1), *dx = zeros(15);
    k.x = rnd(15, 1);
    hero__l2norm_fwd(y, nr, k.x, 3, 5, 1e-5f);
    hero__l2norm_bwd(dx, R, y, nr, 3, 5, 1e-5f);
    result("l2-normalise dx", fd_err(l2_f, &k, k.x, 15, dx, R, 15, 1e-3f), 2e-2);
    free(y); free(R); free(dx); free(k.x);
}

/* ---------------- mask_logits (its backward is mul_mask: dy/dx = m) ---------------- */
typedef struct { float *x; const int32_t *m; int R, C; } ml_ctx;
static void ml_f(void *c, float *out) {
    ml_ctx *k = (ml_ctx *)c;
    memcpy(out, k->x, (size_t)k->R * k->C * sizeof(float));
    hero__mask_logits_rows(out, k->m, k->R, k->C);
}
static void test_mask_logits(void) {
    static const int32_t m[6] = {1, 0, 1, 1, 0, 1};
    ml_ctx k = {0, m, 3, 6};
    float *R = rnd(18, 1), *dx = zeros(18), y[6];
    int i, ok = 1;
    k.x = rnd(18, 2);
    memcpy(dx, R, 18 * sizeof(float));
    hero__mul_mask_rows(dx, R, m, 3, 6);
    result("mask_logits dx (rows, one mask)", fd_err(ml_f, &k, k.x, 18, dx, R, 18, 1e-2f), 2e-2);
    memcpy(y, k.x, sizeof(y)); /* one row through the flat form: masked entries are exactly -1e4 */
    hero__mask_logits(y, m, 6);
    for (i = 0; i < 6; i++) ok &= m[i] ? y[i] == k.x[i] : y[i] == -1e4f;
    result("mask_logits values (x where m, -1e4 elsewhere)", ok ? 0 : 1, 0);
    free(R); free(dx); free(k.x);
}

/* ---------------- rowmax of masked cosines (VSM video scores) ---------------- */
typedef struct { float *x; const int32_t *mask; int Nq, B, L; } rm_ctx;
static void rm_f(void *c, float *out) {
    rm_ctx *k = (rm_ctx *)c;
    int n = k->Nq * k->B * k->L, arg[16];
    float *cs = zeros(n);
    hero__mul_mask_rows(cs, k->x, k->mask, k->Nq, k->B * k->L);
    hero__rowmax(out, arg, cs, k->Nq * k->B, k->L);
    free(cs);
}
static void test_rowmax(void) {
    /* 2 queries x 3 videos x 4 frames; the last frame of video 1 and two of video 2 padded */
    static const int32_t mask[12] = {1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0};
    rm_ctx k = {0, mask, 2, 3, 4};
    float *R = rnd(6, 1), *dcs = zeros(24), *cs = zeros(24), mx[6], *dx = zeros(24);
    int arg[6], r, l;
    k.x = rnd(24, 1);
    for (r = 0; r < 6; r++) { /* positive cosines with a clear maximum per row: away from the kink */
        float *row = k.x + r * 4;
        int best = 0;
        for (l = 0; l < 4; l++) row[l] = 0.2f + 0.3f * (row[l] + 1.0f);
        for (l = 1; l < 4; l++) if (row[l] > row[best] && mask[(r % 3) * 4 + l]) best = l;
        row[best] += 0.1f;
    }
    for (l = 0; l < 2; l++) k.x[5 * 4 + l] = -0.2f - 0.1f * (float)l; /* query 1, video 2: every real frame
                                                                     negative, so the max is a padded 0 (no gradient) */
    hero__mul_mask_rows(cs, k.x, mask, 2, 12);
    hero__rowmax(mx, arg, cs, 6, 4);
    hero__rowmax_bwd(dcs, R, arg, mask, 2, 3, 4);
    memcpy(dx, dcs, 24 * sizeof(float)); /* rowmax_bwd's mask factor is d(cs)/d(x): nothing more */
    result("rowmax dx (masked cosines -> max per video)", fd_err(rm_f, &k, k.x, 24, dx, R, 6, 1e-3f), 2e-2);
    free(R); free(dcs); free(cs); free(dx); free(k.x);
}

/* ---------------- modular attention pooling (VSM query) ---------------- */
typedef struct { float *s, *x; int N, T, H; } mp_ctx;
static void mp_f(void *c, float *out) {
    mp_ctx *k = (mp_ctx *)c;
    float al[16];
    memcpy(al, k->s, (size_t)k->N * k->T * sizeof(float));
    hero__modpool_fwd(al, out, k->x, k->N, k->T, k->H);
}
static void test_modpool(void) {
    mp_ctx k = {0, 0, 2, 5, 3};
    float *R = rnd(6, 1), *dx = zeros(30), *ds = zeros(10), dal[10], al[10], mq[6];
    k.s = rnd(10, 2); k.x = rnd(30, 1);
    memcpy(al, k.s, sizeof(al));
    hero__modpool_fwd(al, mq, k.x, 2, 5, 3);
    hero__modpool_bwd(dx, dal, ds, R, k.x, al, 2, 5, 3);
    result("modpool dx", fd_err(mp_f, &k, k.x, 30, dx, R, 6, 1e-2f), 2e-2);
    result("modpool d(logits)", fd_err(mp_f, &k, k.s, 10, ds, R, 6, 1e-2f), 2e-2);
    free(R); free(dx); free(ds); free(k.s); free(k.x);
}

/* ---------------- the gather merge of a cross-modal row ---------------- */
typedef struct { float *v, *t; const int32_t *g; int N, Lv, Lt, Lg, H; } mg_ctx;
static void mg_f(void *c, float *out) { mg_ctx *k = (mg_ctx *)c; hero__merge_fwd(out, k->v, k->t, k->g, k->N, k->Lv, k->Lt, k->Lg, k->H); }
static void test_merge(void) {
    /* 2 rows, 3 frames + 4 tokens gathered into 6 slots; row 1 repeats a slot (padding gathers the
       same index more than once): its gradient must sum */
    static const int32_t g[12] = {0, 1, 3, 4, 5, 2, 0, 3, 4, 4, 6, 1};
    mg_ctx k = {0, 0, g, 2, 3, 4, 6, 2};
    float *R = rnd(24, 1), *dv = zeros(12), *dt = zeros(16);
    k.v = rnd(12, 1); k.t = rnd(16, 1);
    hero__merge_bwd(dv, dt, R, g, 2, 3, 4, 6, 2);
    result("merge d(frame rows)", fd_err(mg_f, &k, k.v, 12, dv, R, 24, 1e-2f), 2e-2);
    result("merge d(text rows)", fd_err(mg_f, &k, k.t, 16, dt, R, 24, 1e-2f), 2e-2);
    free(R); free(dv); free(dt); free(k.v); free(k.t);
}

/* ---------------- text embeddings (word + position + type; the padding id 1 gets no gradient) ---------------- */
typedef struct { float *word, *ptab, *type; const int32_t *ids, *pos; int N, T, H; } em_ctx;
static void em_f(void *c, float *out) { em_ctx *k = (em_ctx *)c; hero__embed_fwd(out, k->ids, k->pos, k->word, k->ptab, k->type, k->N, k->T, k->H); }
static void test_embeddings(void) {
    /* 2 rows x 4 tokens, vocabulary 6 (id 1 = padding, id 4 repeated), 5 positions, H 3 */
    static const int32_t ids[8] = {0, 4, 2, 1, 4, 5, 1, 1}, pos[4] = {2, 3, 4, 1};
    em_ctx k = {0, 0, 0, ids, pos, 2, 4, 3};
    float *R = rnd(24, 1), *gw = zeros(18), *gp = zeros(15), *gt = zeros(3);
    int i, pad_zero = 1;
    k.word = rnd(18, 1); k.ptab = rnd(15, 1); k.type = rnd(3, 1);
    hero__embed_bwd(gw, gp, gt, R, ids, pos, 2, 4, 3);
    for (i = 3; i < 6; i++) pad_zero &= gw[i] == 0.0f;
    result("embeddings: no gradient for the padding id 1 (nn.Embedding padding_idx)", pad_zero ? 0 : 1, 0);
    result("embeddings d(word rows 0)", fd_err(em_f, &k, k.word, 3, gw, R, 24, 1e-2f), 2e-2);
    result("embeddings d(word rows 2-5)", fd_err(em_f, &k, k.word + 6, 12, gw + 6, R, 24, 1e-2f), 2e-2);
    result("embeddings d(position table)", fd_err(em_f, &k, k.ptab, 15, gp, R, 24, 1e-2f), 2e-2);
    result("embeddings d(type row)", fd_err(em_f, &k, k.type, 3, gt, R, 24, 1e-2f), 2e-2);
    free(R); free(gw); free(gp); free(gt); free(k.word); free(k.ptab); free(k.type);
}

/* ---------------- conv1d ---------------- */
typedef struct { float *x, *w; int N, L, K; } cv_ctx;
static void cv_f(void *c, float *out) { cv_ctx *k = (cv_ctx *)c; hero__conv1d_fwd(out, k->x, k->w, k->N, k->L, k->K); }
static void test_conv1d(void) {
    cv_ctx k = {0, 0, 2, 9, 5};
    float *R = rnd(18, 1), *dx = zeros(18), *dw = zeros(5);
    k.x = rnd(18, 1); k.w = rnd(5, 1);
    hero__conv1d_bwd(dx, dw, R, k.x, k.w, 2, 9, 5);
    result("conv1d dx", fd_err(cv_f, &k, k.x, 18, dx, R, 18, 1e-2f), 2e-2);
    result("conv1d dw", fd_err(cv_f, &k, k.w, 5, dw, R, 18, 1e-2f), 2e-2);
    free(R); free(dx); free(dw); free(k.x); free(k.w);
}

/* ---------------- a small model with random weights for block-level checks ---------------- */
static void small_config(hero_config *c) {
    memset(c, 0, sizeof(*c));
    hero_config_default_losses(c);
    c->H = 8; c->f_heads = 2; c->f_inter = 12; c->f_layers = 2; c->f_max_pos = 16; c->V = 21; c->Vp = 24;
    c->c_heads = 2; c->c_inter = 12; c->c_layers = 1; c->c_max_pos = 16; c->q_heads = 2; c->q_max_pos = 16;
    c->F = 6; c->max_frm_seq_len = 8; c->fom_classes = 8; c->layer_norm_eps = 1e-12f;
}
static void randomize(hero_model *m, float scale) {
    size_t i;
    for (i = 0; i < m->n_floats; i++) m->params[i] = frand() * scale;
    for (i = 0; i < (size_t)m->n_params; i++)
        if (strstr(m->table[i].name, "LayerNorm.weight") || strstr(m->table[i].name, "net.2.weight") ||
            strstr(m->table[i].name, "img_LayerNorm.weight")) {
            size_t j;
            for (j = 0; j < m->table[i].numel; j++) m->table[i].data[j] = 1.0f + 0.2f * frand();
        }
}

/* attention block and BERT layer, checked through the model's own parameters */
typedef struct { hero_model *m; float *x; int32_t *mask; int N, T, layer; } blk_ctx;
static void blk_f(void *c, float *out) {
    blk_ctx *k = (blk_ctx *)c;
    hero_model *m = k->m;
    hero__arena_reset(&m->arena);
    if (k->layer) {
        hero__layer_act a;
        hero__layer_fwd(&m->arena, &a, &m->p.f_layer[0], k->x, k->mask, k->N, k->T, m->cfg.H, m->cfg.f_heads, m->cfg.f_inter, 1e-12f);
        memcpy(out, a.ffn.out, (size_t)k->N * k->T * m->cfg.H * sizeof(float));
    } else {
        hero__attn_act a;
        hero__attn_fwd(&m->arena, &a, &m->p.q_attn, k->x, k->mask, k->N, k->T, m->cfg.H, m->cfg.q_heads, 1e-12f);
        memcpy(out, a.out, (size_t)k->N * k->T * m->cfg.H * sizeof(float));
    }
}
static void test_blocks(void) {
    hero_config c;
    hero_model m;
    hero_error err;
    int32_t mask[8] = {1, 1, 1, 0, 1, 1, 1, 1};
    int layer;
    small_config(&c);
    if (hero_model_init(&m, &c, &err)) { result("block model init", 1, 0); return; }
    randomize(&m, 0.5f);
    for (layer = 0; layer < 2; layer++) {
        blk_ctx k;
        int n = 2 * 4 * 8;
        float *R = rnd(n, 1), *dx = zeros(n), *wg;
        hero__layer_act la;
        hero__attn_act aa;
        const char *nm = layer ? "bert layer" : "attention block";
        char name[64];
        k.m = &m; k.x = rnd(n, 1); k.mask = mask; k.N = 2; k.T = 4; k.layer = layer;
        hero_zero_grad(&m);
        hero__arena_reset(&m.arena);
        if (layer) {
            hero__layer_fwd(&m.arena, &la, &m.p.f_layer[0], k.x, mask, 2, 4, 8, 2, 12, 1e-12f);
            hero__layer_bwd(&m.arena, &la, &m.p.f_layer[0], &m.g.f_layer[0], dx, R, 8, 12);
        } else {
            hero__attn_fwd(&m.arena, &aa, &m.p.q_attn, k.x, mask, 2, 4, 8, 2, 1e-12f);
            hero__attn_bwd(&m.arena, &aa, &m.p.q_attn, &m.g.q_attn, dx, R, 8);
        }
        wg = (float *)malloc(64 * sizeof(float));
        snprintf(name, sizeof(name), "%s dx", nm);
        result(name, fd_err(blk_f, &k, k.x, n, dx, R, n, 1e-2f), 2e-2);
        memcpy(wg, layer ? m.g.f_layer[0].attn.q_w : m.g.q_attn.q_w, 64 * sizeof(float));
        snprintf(name, sizeof(name), "%s d(query.weight)", nm);
        result(name, fd_err(blk_f, &k, layer ? m.p.f_layer[0].attn.q_w : m.p.q_attn.q_w, 64, wg, R, n, 1e-2f), 2e-2);
        memcpy(wg, layer ? m.g.f_layer[0].attn.v_w : m.g.q_attn.v_w, 64 * sizeof(float));
        snprintf(name, sizeof(name), "%s d(value.weight)", nm);
        result(name, fd_err(blk_f, &k, layer ? m.p.f_layer[0].attn.v_w : m.p.q_attn.v_w, 64, wg, R, n, 1e-2f), 2e-2);
        if (layer) {
            float *gi = (float *)malloc(96 * sizeof(float));
            memcpy(gi, m.g.f_layer[0].i_w, 96 * sizeof(float));
            result("bert layer d(intermediate.weight)", fd_err(blk_f, &k, m.p.f_layer[0].i_w, 96, gi, R, n, 1e-2f), 2e-2);
            memcpy(gi, m.g.f_layer[0].fln_w, 8 * sizeof(float));
            result("bert layer d(output.LayerNorm.weight)", fd_err(blk_f, &k, m.p.f_layer[0].fln_w, 8, gi, R, n, 1e-2f), 2e-2);
            free(gi);
        }
        free(R); free(dx); free(wg); free(k.x);
    }
    hero_model_free(&m);
}

/* ---------------- whole model: every task, spot checks of every parameter with a gradient ---------------- */
typedef struct { hero_model *m; const hero_batch *b; float *probe; } task_ctx;
static double task_f(task_ctx *k) {
    hero_result r;
    hero_error err;
    hero_forward_backward(k->m, k->b, 0, k->probe, &r, &err);
    if (k->probe) { /* repr: sum(c_seq * probe) in double, the float loss is too coarse for differences */
        double s = 0;
        size_t i, n = (size_t)k->b->B * k->b->L * k->m->cfg.H;
        for (i = 0; i < n; i++) s += (double)r.c_seq[i] * k->probe[i];
        return s;
    }
    return r.loss;
}

static void check_task(hero_model *m, const hero_batch *b, float *probe, const char *task) {
    int coarse = strstr(task, "hard negatives") != NULL, n_zero = 0;
    task_ctx k;
    hero_result r;
    hero_error err;
    float one = 1.0f, *an, gmax = 0, thr = 0;
    double worst = 0, floor_t = 5e-2;
    char worst_name[256] = "";
    int i, j, checked = 0, kinked = 0, tensors = 0, tensors_bad = 0;
    k.m = m; k.b = b; k.probe = probe;
    hero_zero_grad(m);
    for (i = 0; i < m->n_params; i++) m->table[i].has_grad = 0;
    if (hero_forward_backward(m, b, 1, probe, &r, &err)) {
        printf("FAIL %s forward: %s\n", task, err.msg);
        g_fail++;
        return;
    }
    an = (float *)malloc(m->n_floats * sizeof(float));
    memcpy(an, m->grads, m->n_floats * sizeof(float));
    for (i = 0; i < m->n_params; i++) {
        hero_param *p = &m->table[i];
        float idx_an[4];
        float *pick[4];
        size_t skip_lo = 0, skip_hi = 0; /* padding_idx rows: no gradient by design, though they act */
        if (!p->has_grad) continue;
        if (g_stride > 1 && i % g_stride) continue; /* TEST_OPS_STRIDE (make asan): every g_stride-th tensor */
        if (strstr(p->name, "mask_embedding")) { skip_lo = 0; skip_hi = (size_t)p->shape[1]; }
        if (strstr(p->name, "word_embeddings")) { skip_lo = (size_t)p->shape[1]; skip_hi = 2 * (size_t)p->shape[1]; }
        /* 4 entries per tensor: the largest gradient and 3 spread over the entries whose gradient is
           at least 1e-2 of it (outside padding rows): a probe on a zero gradient checks nothing */
        {
            size_t best = skip_hi == p->numel ? 0 : skip_hi, e, n_c = 0, c_seen = 0;
            for (e = 0; e < p->numel; e++)
                if ((e < skip_lo || e >= skip_hi) && fabsf(an[p->offset + e]) > fabsf(an[p->offset + best])) best = e;
            gmax = fabsf(an[p->offset + best]);
            thr = coarse ? 0.0f : 1e-2f * gmax;
            for (e = 0; e < p->numel; e++)
                if ((e < skip_lo || e >= skip_hi) && fabsf(an[p->offset + e]) >= thr) n_c++;
            pick[0] = p->data + best; idx_an[0] = an[p->offset + best];
            for (j = 1; j < 4; j++) { pick[j] = pick[0]; idx_an[j] = idx_an[0]; }
            for (e = 0, j = 1; e < p->numel && j < 4; e++)
                if ((e < skip_lo || e >= skip_hi) && fabsf(an[p->offset + e]) >= thr) {
                    if (c_seen == (n_c * (size_t)j) / 4) { pick[j] = p->data + e; idx_an[j] = an[p->offset + e]; j++; }
                    c_seen++;
                }
        }
        /* the floor under the relative error scales with the tensor's gradient: a fixed 5e-2 let
           any small tensor pass whatever its gradient */
        if (strstr(p->name, "attention.self.key.bias")) { /* mathematically zero (softmax is shift-invariant) */
            if (gmax > 1e-5f) { tensors++; tensors_bad++; worst = 1; snprintf(worst_name, sizeof(worst_name), "%s: |g| %.2g, expected 0", p->name, gmax); }
            n_zero++;
            continue;
        }
        floor_t = 1e-2 * gmax > 2e-3 ? 1e-2 * gmax : 2e-3;
        if (coarse) floor_t = 5e-2; /* hard negatives: a discrete selection inside the loss (every probe
                                       position, the old floor; hero_golden's vcmr_hard checks these
                                       gradients against the official ones) */
        if (g_plant) for (j = 0; j < 4; j++) idx_an[j] *= g_plant;
        double errs[4], second = 0, first = 0;
        for (j = 0; j < 4; j++) {
            /* central differences at five steps: large ones cross relu / hinge / max kinks, small
               ones drown in float rounding; a wrong gradient disagrees with all five */
            static const float hs[5] = {1e-2f, 3e-3f, 1e-3f, 3e-4f, 1e-4f};
            float x0 = *pick[j];
            double num = 0, e = 1e30;
            int hi;
            for (hi = 0; hi < 5; hi++) {
                float h = hs[hi] * (fabsf(x0) > 1.0f ? fabsf(x0) : 1.0f);
                double lp, lm, nm, ee;
                *pick[j] = x0 + h; lp = task_f(&k);
                *pick[j] = x0 - h; lm = task_f(&k);
                *pick[j] = x0;
                nm = (lp - lm) / ((double)(x0 + h) - (double)(x0 - h)) * one;
                ee = fabs(nm - idx_an[j]) / (fabs(nm) > floor_t ? fabs(nm) : floor_t);
                if (ee < e) { e = ee; num = nm; }
            }
            errs[j] = e;
            if (e > 5e-2) kinked++;
            if (e > first) { second = first; first = e; }
            else if (e > second) second = e;
            (void)num;
            checked++;
        }
        /* one probe of four may sit on a kink (relu, max over frames); a wrong gradient for the
           tensor shows on several: judge each tensor by its second-worst probe */
        tensors++;
        tensors_bad += second > 5e-2;
        if (second > worst) {
            worst = second;
            snprintf(worst_name, sizeof(worst_name), "%s: %.2g %.2g %.2g %.2g", p->name, errs[0], errs[1], errs[2], errs[3]);
        }
    }
    free(an);
    {
        char name[400];
        snprintf(name, sizeof(name), "model %s: %d spot checks in %d tensors (+%d zero by design), %d on kinks (worst tensor %s)", task,
                 checked, tensors, n_zero, kinked, worst_name);
        if (g_plant) { /* TEST_OPS_PLANT=s: every analytic gradient times s; each tensor's verdict must fail */
            printf("PLANT x%g %s: %d of %d tensor verdicts still pass\n", g_plant, task, tensors - tensors_bad, tensors);
            return;
        }
        result(name, worst, 5e-2);
    }
}

static void test_model(const char *dir) {
    static const char *files[] = {"repr", "mlm", "mfm-nce", "mffr", "fom", "vsm"};
    static const hero_task ids[] = {HERO_TASK_REPR, HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_MFFR, HERO_TASK_FOM, HERO_TASK_VSM};
    char cfg[512], ckpt[512], path[512];
    hero_model m;
    hero_error err;
    int t;
    snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
    snprintf(ckpt, sizeof(ckpt), "%s/model.pt", dir);
    if (hero_model_load(&m, cfg, ckpt, NULL, &err)) { printf("FAIL model load: %s\n", err.msg); g_fail++; return; }
    for (t = 0; t < 6; t++) {
        hero_tensorfile tf;
        hero_batch b;
        float *probe = NULL;
        snprintf(path, sizeof(path), "%s/%s.safetensors", dir, files[t]);
        if (hero_tensorfile_open(&tf, path, &err)) { printf("FAIL open %s: %s\n", path, err.msg); g_fail++; continue; }
        memset(&b, 0, sizeof(b));
        if (golden_batch_from_in(&b, ids[t], &tf, &err)) { printf("FAIL batch %s: %s\n", path, err.msg); g_fail++; hero_tensorfile_close(&tf); continue; }
        if (ids[t] == HERO_TASK_REPR) {
            const hero_tensor_info *pt = hero_tensorfile_find(&tf, "in.probe");
            probe = (float *)malloc((size_t)hero_tensor_numel(pt) * sizeof(float));
            hero_tensor_read_f32(pt, probe, hero_tensor_numel(pt), &err);
        }
        if (ids[t] == HERO_TASK_VSM) {
            /* hinge ranking terms are kinked: check the VSM gradient with the smooth "lse" variant
               (hinge is checked against the official numbers by hero_golden), with and without
               hard-negative weighting */
            m.cfg.ranking_lse = 1;
            check_task(&m, &b, probe, "vsm (lse)");
            m.cfg.use_hard_negative = 1; m.cfg.hard_pool_size = 3;
            check_task(&m, &b, probe, "vsm (lse, hard negatives)");
            m.cfg.ranking_lse = 0; m.cfg.use_hard_negative = 0;
        } else {
            check_task(&m, &b, probe, files[t]);
        }
        free(probe);
        hero_batch_free(&b);
        hero_tensorfile_close(&tf);
    }
    hero_model_free(&m);
}

/* has_grad comes from the computation (the backward primitives mark what they write): after one
   backward pass of each task on a fresh model, exactly the parameters of the groups the task
   declares (hero_task_trains) have it; VSM without the span loss leaves the span predictors
   out; a pass without backward marks nothing. */
static void test_has_grad(const char *dir) {
    static const char *files[] = {"repr", "mlm", "mfm-nce", "mffr", "fom", "vsm", "vsm"};
    static const hero_task ids[] = {HERO_TASK_REPR, HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_MFFR, HERO_TASK_FOM, HERO_TASK_VSM, HERO_TASK_VSM};
    char cfg[512], ckpt[512], path[512], name[96];
    int t, pass;
    snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
    snprintf(ckpt, sizeof(ckpt), "%s/model.pt", dir);
    for (t = 0; t < 7; t++)
        for (pass = 0; pass < 2; pass++) {
            hero_model m;
            hero_error err;
            hero_tensorfile tf;
            hero_batch b;
            hero_result r;
            float *probe = NULL;
            int i, bad = 0, n = 0, backward = pass == 0, no_span = t == 6;
            snprintf(path, sizeof(path), "%s/%s.safetensors", dir, files[t]);
            if (hero_model_load(&m, cfg, ckpt, NULL, &err) || hero_tensorfile_open(&tf, path, &err)) {
                printf("FAIL has_grad %s: %s\n", files[t], err.msg); g_fail++; return;
            }
            memset(&b, 0, sizeof(b));
            if (golden_batch_from_in(&b, ids[t], &tf, &err)) { printf("FAIL has_grad batch %s: %s\n", path, err.msg); g_fail++; return; }
            if (no_span) m.cfg.lw_st_ed = 0.0f;
            if (ids[t] == HERO_TASK_REPR) probe = zeros(b.B * b.L * m.cfg.H);
            if (hero_forward_backward(&m, &b, backward, probe, &r, &err)) { printf("FAIL has_grad %s: %s\n", files[t], err.msg); g_fail++; }
            for (i = 0; i < m.n_params; i++) {
                const char *pn = m.table[i].name;
                int want = backward && hero_task_trains(ids[t], pn);
                if (no_span && (strncmp(pn, "video_st_predictor.", 19) == 0 || strncmp(pn, "video_ed_predictor.", 19) == 0 ||
                                strncmp(pn, "video_query_linear.", 19) == 0))
                    want = 0; /* the span branch alone uses them */
                n += m.table[i].has_grad != 0;
                if ((m.table[i].has_grad != 0) != want) {
                    if (!bad) printf("   %s: %s has_grad %d, expected %d\n", files[t], pn, m.table[i].has_grad, want);
                    bad++;
                }
            }
            snprintf(name, sizeof(name), "has_grad after %s %s%s (%d parameters)", backward ? "backward" : "forward only", files[t],
                     no_span ? " without the span loss" : "", n);
            result(name, (double)bad, 0.0);
            free(probe);
            hero_batch_free(&b);
            hero_tensorfile_close(&tf);
            hero_model_free(&m);
        }
}

/* the fine-tuning models (tests/golden/tiny-downstream): video QA, VIOLIN, and VCMR's one-query-per-item
   batch (span pairs on the diagonal), each on its fine-tuned checkpoint and its golden batch */
static void test_downstream(const char *dir) {
    static const char *tasks[] = {"videoqa", "violin", "vcmr", "tvc"};
    int t;
    { /* a video QA model started from another model class's checkpoint (as fine-tuning from pre-training) */
        char cfg[512], ckpt[512];
        hero_model m, ref;
        hero_load_report rep;
        hero_error err;
        snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
        snprintf(ckpt, sizeof(ckpt), "%s/vcmr.pt", dir);
        if (hero_model_load_heads(&m, cfg, ckpt, HERO_HEADS_VIDEOQA, 7, &rep, &err) || hero_model_load(&ref, cfg, ckpt, NULL, &err)) {
            printf("FAIL load_heads: %s\n", err.msg);
            g_fail++;
        } else {
            hero_param *qa = hero_model_param(&m, "qa_pool.weight"), *se = hero_model_param(&m, "st_ed_pool.weight");
            hero_param *w = hero_model_param(&m, "v_encoder.c_encoder.encoder.layer.0.output.dense.weight");
            hero_param *wr = hero_model_param(&ref, "v_encoder.c_encoder.encoder.layer.0.output.dense.weight");
            double bad = 0;
            size_t i;
            if (rep.n_missing != 14 || rep.n_unexpected != 22 || !qa || !se || !w || !wr || m.cfg.heads != HERO_HEADS_VIDEOQA) bad = 1;
            else {
                for (i = 0; i < qa->numel; i++) bad += fabs((double)qa->data[i] - se->data[i]) + (qa->data[i] == 0);
                for (i = 0; i < w->numel; i++) bad += fabs((double)w->data[i] - wr->data[i]);
            }
            if (bad) printf("  load_heads: %d missing (%s), %d unexpected\n", rep.n_missing, rep.missing, rep.n_unexpected);
            result("load_heads: video QA heads fresh (st_ed_pool = qa_pool), encoder from vcmr.pt, the VSM heads unexpected", bad, 0);
            hero_model_free(&ref);
        }
        hero_model_free(&m);
    }
    { /* a TVC model started from the VCMR checkpoint: the decoder of d_config fresh (PyTorch module defaults) */
        char cfg[512], ckpt[512];
        hero_model m;
        hero_load_report rep;
        hero_error err;
        snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
        snprintf(ckpt, sizeof(ckpt), "%s/vcmr.pt", dir);
        if (hero_model_load_heads(&m, cfg, ckpt, HERO_HEADS_TVC, 7, &rep, &err)) {
            printf("FAIL load_heads tvc: %s\n", err.msg);
            g_fail++;
        } else {
            hero_param *pe = hero_model_param(&m, "position_embeddings.weight");
            hero_param *qw = hero_model_param(&m, "decoder.layer.1.dec_enc_attention.query.weight");
            hero_param *ln = hero_model_param(&m, "decoder.layer.0.add_norm_3.LayerNorm.weight");
            double bad = 0, ss = 0, bound = 1.0 / sqrt((double)m.cfg.H);
            size_t i;
            if (rep.n_missing != 3 + 2 * 26 || rep.n_unexpected != 22 || !pe || !qw || !ln || m.cfg.d_layers != 2) bad = 1;
            else {
                for (i = 0; i < pe->numel; i++) ss += (double)pe->data[i] * pe->data[i];
                if (fabs(sqrt(ss / pe->numel) - 1.0) > 0.1) bad = 1; /* N(0, 1) */
                for (i = 0; i < qw->numel; i++) if (fabs(qw->data[i]) > bound) bad = 1;
                for (i = 0; i < ln->numel; i++) if (ln->data[i] != 1.0f) bad = 1;
            }
            if (bad) printf("  load_heads tvc: %d missing (%s), %d unexpected, %d layers\n", rep.n_missing, rep.missing, rep.n_unexpected, m.cfg.d_layers);
            result("load_heads: TVC decoder fresh (2 layers of d_config, module defaults), encoder from vcmr.pt", bad, 0);
        }
        hero_model_free(&m);
    }
    for (t = 0; t < 4; t++) {
        char cfg[512], ckpt[512], path[512];
        hero_model m;
        hero_tensorfile tf;
        hero_batch b;
        hero_error err;
        int rc;
        snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
        snprintf(ckpt, sizeof(ckpt), "%s/%s.pt", dir, tasks[t]);
        snprintf(path, sizeof(path), "%s/%s.safetensors", dir, tasks[t]);
        if (hero_model_load(&m, cfg, ckpt, NULL, &err)) { printf("FAIL load %s: %s\n", ckpt, err.msg); g_fail++; continue; }
        if (hero_tensorfile_open(&tf, path, &err)) { printf("FAIL open %s: %s\n", path, err.msg); g_fail++; hero_model_free(&m); continue; }
        memset(&b, 0, sizeof(b));
        rc = t < 2 ? ds_ft_batch(&b, &tf, t == 0, &err) : t == 3 ? ds_tvc_batch(&b, &tf, 1, &err)
                                                                 : golden_batch_from_in(&b, HERO_TASK_VSM, &tf, &err);
        if (rc) {
            printf("FAIL batch %s: %s\n", path, err.msg);
            g_fail++;
        } else if (t == 0) {
            m.cfg.lw_st_ed = 0.4f;
            check_task(&m, &b, NULL, "videoqa");
        } else if (t == 1) {
            check_task(&m, &b, NULL, "violin");
        } else if (t == 3) {
            int bad = 0;
            check_task(&m, &b, NULL, "tvc (decoder, label smoothing, clip frames of the temporal output)");
            for (rc = 0; rc < m.n_params; rc++) /* the task's parameter groups = what its backward reached */
                if (m.table[rc].has_grad != hero_task_trains(HERO_TASK_TVC, m.table[rc].name)) {
                    printf("  tvc: %s has_grad %d, hero_task_trains %d\n", m.table[rc].name, m.table[rc].has_grad,
                           hero_task_trains(HERO_TASK_TVC, m.table[rc].name));
                    bad++;
                }
            result("tvc: hero_task_trains names exactly the parameters the backward reaches", bad, 0);
            { /* hostile / edge inputs: an empty clip runs (keys all masked), bad ranges and steps are refused */
                hero_result r;
                int32_t st = b.clip_ranges[0], ed = b.clip_ranges[1], ids[8 * 3], len[8];
                int ok = 1;
                b.clip_ranges[0] = b.clip_ranges[1] = b.L;
                ok &= hero_forward_backward(&m, &b, 1, NULL, &r, &err) == 0 && r.loss == r.loss;
                b.clip_ranges[1] = b.L + 1;
                ok &= hero_forward_backward(&m, &b, 0, NULL, &r, &err) == HERO_EINVAL && strstr(err.msg, "clip 0") != NULL;
                b.clip_ranges[0] = st; b.clip_ranges[1] = ed;
                b.cap_tgt[0] = m.cfg.Vp;
                ok &= hero_forward_backward(&m, &b, 0, NULL, &r, &err) == HERO_EINVAL;
                b.cap_tgt[0] = -1;
                ok &= hero_tvc_generate(&m, &b, 0, 0, 2, ids, len, NULL, NULL, NULL, &err) == HERO_EINVAL;
                ok &= hero_tvc_generate(&m, &b, m.cfg.d_max_pos + 1, 0, 2, ids, len, NULL, NULL, NULL, &err) == HERO_EINVAL;
                ok &= b.n_caps <= 8 && hero_tvc_generate(&m, &b, 3, 0, 2, ids, len, NULL, NULL, NULL, &err) == 0;
                result("tvc: an empty clip trains (finite loss); bad clip range / target / steps refused; generation without the optional outputs", !ok, 0);
            }
        } else {
            m.cfg.ranking_lse = 1; /* smooth ranking terms, as for vsm above */
            check_task(&m, &b, NULL, "vcmr (lse, one query per item)");
        }
        hero_batch_free(&b);
        hero_tensorfile_close(&tf);
        hero_model_free(&m);
    }
}

int main(int argc, char **argv) {
    g_plant = getenv("TEST_OPS_PLANT") ? (float)atof(getenv("TEST_OPS_PLANT")) : 0.0f;
    g_stride = getenv("TEST_OPS_STRIDE") && atoi(getenv("TEST_OPS_STRIDE")) > 1 ? atoi(getenv("TEST_OPS_STRIDE")) : 1;
    test_gemm();
    test_linear();
    test_layernorm();
    test_elementwise();
    test_xent_value();
    test_softmax_xent();
    test_l2norm();
    test_conv1d();
    test_mask_logits();
    test_rowmax();
    test_modpool();
    test_merge();
    test_embeddings();
    test_tvc_ops();
    test_attn_fused();
    test_blocks();
    test_model(argc > 1 ? argv[1] : "tests/golden/tiny");
    test_has_grad(argc > 1 ? argv[1] : "tests/golden/tiny");
    test_downstream(argc > 2 ? argv[2] : "tests/golden/tiny-downstream");
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

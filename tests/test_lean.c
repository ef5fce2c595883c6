/* Lean inference: the weight-format kernels on every instruction set this CPU has, the
   formats' layouts, inference-only models (outputs equal to a training model's, backward /
   optimizer / trainer refused), and models loaded in every format.

   usage: test_lean DIR   (DIR: tests/golden/tiny)

   Kernel checks: out = x W^T + b with W in bf16 / f16 / q8_0, for shapes whose K is and is not
   a multiple of the vector widths and of the q8_0 block, N = 1..9 (partial row groups), each
   instruction-set level 0..4 (levels the CPU lacks fall back and are still run). The
   reference is computed in double from exactly what the kernel multiplies: the format's
   weights, and the f32 inputs (bf16 / f16), the bf16-rounded inputs (vdpbf16ps) or the
   q8_0-quantised inputs (q8_0). err = max|out - ref| / max|x| |W| sums, pass <= 1e-5
   (float accumulation in a different order; a wrong lane, block or tail gives >= 1e-2).
   Threads: the same products on 1, 2 and 3 threads, equal bit for bit. */
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include "golden_io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int g_pass, g_fail;

static void result(const char *name, double err, double tol) {
    int ok = err <= tol; /* NaN fails */
    printf("%s %s (err %.2e, tol %.0e)\n", ok ? "PASS" : "FAIL", name, err, tol);
    if (ok) g_pass++;
    else g_fail++;
}
static void check(const char *name, int ok, const char *msg) {
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, msg && *msg ? ": " : "", msg ? msg : "");
    if (ok) g_pass++;
    else g_fail++;
}

static uint64_t g_seed = 88172645463325252ull;
static float frand(void) { /* uniform [-1, 1) */
    g_seed ^= g_seed << 13; g_seed ^= g_seed >> 7; g_seed ^= g_seed << 17;
    return (float)((g_seed >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* one product through hero__wlinear at feature set feat vs the double reference */
static double kernel_err(hero_wtype t, int N, int O, int K, int feat) {
    hero_arena ar;
    hero_wmat w;
    float *W = (float *)malloc((size_t)O * K * sizeof(float)), *x = (float *)malloc((size_t)N * (K + 3) * sizeof(float));
    float *b = (float *)malloc((size_t)O * sizeof(float)), *out = (float *)malloc((size_t)N * O * sizeof(float));
    float *row = (float *)malloc((size_t)K * sizeof(float)), *xr = (float *)malloc((size_t)K * sizeof(float));
    void *mem = malloc(hero__wmat_bytes(t, O, K) + 64);
    int8_t q[HERO_Q8_BLOCK];
    size_t ldx = (size_t)K + 3; /* rows apart by more than K: the pooler's case */
    double worst = 0;
    int n, o, k, i;
    memset(&ar, 0, sizeof(ar));
    for (i = 0; i < O * K; i++) W[i] = frand() * (i % 7 == 0 ? 3.0f : 0.5f);
    for (i = 0; i < N * (K + 3); i++) x[i] = frand() * (i % 5 == 0 ? 4.0f : 1.0f);
    for (i = 0; i < O; i++) b[i] = frand();
    hero__wmat_place(&w, t, O, K, (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63));
    hero__wmat_quantize_rows(&w, W, 0, w.O);
    hero__wlinear(&ar, out, x, ldx, &w, b, N, feat);
    for (n = 0; n < N; n++) {
        const float *xn = x + (size_t)n * ldx;
        /* what the kernel multiplies the weights with */
        if (t == HERO_W_Q8_0) {
            for (k = 0; k < K; k += HERO_Q8_BLOCK) {
                int kn = K - k < HERO_Q8_BLOCK ? K - k : HERO_Q8_BLOCK;
                float d = hero__q8_block(xn + k, kn, q, 0);
                for (i = 0; i < kn; i++) xr[k + i] = d * (float)q[i];
            }
        } else if (t == HERO_W_BF16 && (feat & HERO__WQ_BF16)) {
            for (k = 0; k < K; k++) xr[k] = hero_bf16_to_f32(hero_f32_to_bf16(xn[k]));
        } else {
            memcpy(xr, xn, (size_t)K * sizeof(float));
        }
        for (o = 0; o < O; o++) {
            double s = 0, mag = 0;
            hero__wmat_row(&w, o, row);
            for (k = 0; k < K; k++) { s += (double)xr[k] * row[k]; mag += fabs((double)xr[k] * row[k]); }
            s += b[o];
            mag += fabs(b[o]);
            if (fabs(out[(size_t)n * O + o] - s) / (mag > 1e-6 ? mag : 1e-6) > worst || out[(size_t)n * O + o] != out[(size_t)n * O + o])
                worst = out[(size_t)n * O + o] != out[(size_t)n * O + o] ? NAN : fabs(out[(size_t)n * O + o] - s) / (mag > 1e-6 ? mag : 1e-6);
        }
    }
    hero__arena_free(&ar);
    free(W); free(x); free(b); free(out); free(row); free(xr); free(mem);
    return worst;
}

static void test_kernels(void) {
    static const int shapes[][2] = {{1, 1}, {5, 7}, {17, 16}, {33, 31}, {16, 32}, {19, 33}, {40, 48}, {21, 64}, {18, 100}, {35, 257}, {9, 4352}};
    static const char *isa_names[] = {"portable", "avx2", "avx512", "avx512-bf16-vnni", "avx-vnni"};
    int t, s, isa, n, all = hero__wq_features(-1);
    printf("# CPU features for the format kernels: %s%s%s%s%s\n", all & HERO__WQ_AVX2 ? "avx2 " : "", all & HERO__WQ_AVX512 ? "avx512 " : "",
           all & HERO__WQ_BF16 ? "avx512-bf16 " : "", all & HERO__WQ_VNNI512 ? "avx512-vnni " : "", all & HERO__WQ_AVXVNNI ? "avx-vnni" : "");
    for (t = HERO_W_BF16; t < HERO_W_COUNT; t++)
        for (isa = 0; isa <= 4; isa++) {
            double worst = 0;
            char name[128];
            for (s = 0; s < (int)(sizeof(shapes) / sizeof(shapes[0])); s++)
                for (n = 1; n <= 9; n += (shapes[s][1] > 1000 ? 4 : 1)) {
                    double e = kernel_err((hero_wtype)t, n, shapes[s][0], shapes[s][1], hero__wq_features(isa));
                    if (!(e <= worst)) worst = e;
                }
            snprintf(name, sizeof(name), "kernel %s x f32 rows, isa %d (%s%s)", hero_wtype_name((hero_wtype)t), isa, isa_names[isa],
                     hero__wq_features(isa) == hero__wq_features(isa < 4 ? isa - 1 : 1) && isa ? ": not on this CPU, fallback" : "");
            result(name, worst, 1e-5);
        }
}

/* the threaded products: hero__wlinear on 1, 2 and 3 threads (every loop split: hero__split_all)
   gives the same bits, for every format and instruction-set level (tasks split the rows of W,
   never a sum) */
static void test_threads(void) {
    static const int shapes[][3] = {{9, 50, 100}, {13, 70, 264}, {6, 37, 4352}}; /* N, O, K */
    int t, s, isa, th, i, saved = hero_get_threads();
    hero__split_all = 1;
    for (t = HERO_W_BF16; t < HERO_W_COUNT; t++)
        for (isa = 0; isa <= 4; isa++) {
            int ok = 1;
            char name[160];
            for (s = 0; s < (int)(sizeof(shapes) / sizeof(shapes[0])); s++) {
                int N = shapes[s][0], O = shapes[s][1], K = shapes[s][2];
                hero_arena ar;
                hero_wmat w;
                float *W = (float *)malloc((size_t)O * K * sizeof(float)), *x = (float *)malloc((size_t)N * K * sizeof(float));
                float *b = (float *)malloc((size_t)O * sizeof(float)), *out[3];
                void *mem = malloc(hero__wmat_bytes((hero_wtype)t, O, K) + 64);
                memset(&ar, 0, sizeof(ar));
                for (i = 0; i < O * K; i++) W[i] = frand();
                for (i = 0; i < N * K; i++) x[i] = frand() * (i % 11 == 0 ? 5.0f : 1.0f);
                for (i = 0; i < O; i++) b[i] = frand();
                hero__wmat_place(&w, (hero_wtype)t, O, K, (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63));
                hero__wmat_quantize_rows(&w, W, 0, w.O);
                for (th = 0; th < 3; th++) {
                    out[th] = (float *)malloc((size_t)N * O * sizeof(float));
                    hero_set_threads(th + 1);
                    hero__wlinear(&ar, out[th], x, (size_t)K, &w, b, N, hero__wq_features(isa));
                }
                ok = ok && memcmp(out[0], out[1], (size_t)N * O * sizeof(float)) == 0 && memcmp(out[0], out[2], (size_t)N * O * sizeof(float)) == 0;
                for (th = 0; th < 3; th++) free(out[th]);
                hero__arena_free(&ar);
                free(W); free(x); free(b); free(mem);
            }
            snprintf(name, sizeof(name), "kernel %s, isa %d: 1, 2 and 3 threads give the same bits", hero_wtype_name((hero_wtype)t), isa);
            check(name, ok, "");
        }
    hero__split_all = 0;
    hero_set_threads(saved);
}

/* non-finite inputs: a NaN or an inf in an input row makes that row's outputs non-finite (the
   scalar q8_0 rules: the block's scale becomes NaN / inf) on every ISA level, and leaves the
   other rows as they were */
static void test_nonfinite(void) {
    int t, isa, i, n, o, N = 5, O = 20, K = 96;
    float W[20 * 96], x[5 * 96], b[20], out[5 * 20], ref[5 * 20];
    for (i = 0; i < O * K; i++) W[i] = frand();
    for (i = 0; i < N * K; i++) x[i] = frand();
    for (i = 0; i < O; i++) b[i] = frand();
    for (t = HERO_W_BF16; t < HERO_W_COUNT; t++)
        for (isa = 0; isa <= 4; isa++) {
            hero_arena ar;
            hero_wmat w;
            void *mem = malloc(hero__wmat_bytes((hero_wtype)t, O, K) + 64);
            int ok = 1;
            char name[160];
            memset(&ar, 0, sizeof(ar));
            hero__wmat_place(&w, (hero_wtype)t, O, K, (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63));
            hero__wmat_quantize_rows(&w, W, 0, w.O);
            float keep1 = x[1 * K + 40], keep3 = x[3 * K + 70];
            hero__wlinear(&ar, ref, x, (size_t)K, &w, b, N, hero__wq_features(isa));
            x[1 * K + 40] = NAN;
            x[3 * K + 70] = INFINITY;
            hero__wlinear(&ar, out, x, (size_t)K, &w, b, N, hero__wq_features(isa));
            x[1 * K + 40] = keep1;
            x[3 * K + 70] = keep3;
            for (n = 0; n < N; n++)
                for (o = 0; o < O; o++) {
                    float v = out[n * O + o];
                    if (n == 1 || n == 3) ok = ok && !(v - v == 0); /* NaN or inf */
                    else ok = ok && memcmp(&v, &ref[n * O + o], sizeof v) == 0;
                }
            snprintf(name, sizeof(name), "kernel %s, isa %d: a NaN / inf input row gives non-finite outputs, the other rows unchanged",
                     hero_wtype_name((hero_wtype)t), isa);
            check(name, ok, "");
            hero__arena_free(&ar);
            free(mem);
        }
}

/* the layouts as documented: bf16 / f16 = the rounded values; q8_0: scale = f16(max|block| / 127),
   q = round(w / scale), zero padding past K */
static void test_layouts(void) {
    float W[2 * 40], row[40];
    unsigned char mem[4096];
    hero_wmat w;
    int i, ok = 1;
    double e = 0;
    for (i = 0; i < 80; i++) W[i] = (float)(i - 37) * 0.013f;
    W[5] = 2.5f; /* block 0 of row 0: max 2.5 */
    hero__wmat_place(&w, HERO_W_Q8_0, 2, 40, (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63));
    hero__wmat_quantize_rows(&w, W, 0, w.O);
    ok = w.nb == 2 && w.scale == (const uint16_t *)((const unsigned char *)w.data + 2 * 64);
    ok = ok && w.scale[0] == hero_f32_to_f16(2.5f / 127.0f) && ((const int8_t *)w.data)[5] == 127;
    for (i = 40; i < 64; i++) ok = ok && ((const int8_t *)w.data)[i] == 0 && ((const int8_t *)w.data)[64 + i] == 0;
    check("q8_0 layout: int8 [O, nb*32] zero padded, then f16 scales [O, nb]; max maps to 127", ok, "");
    for (i = 0; i < 2; i++) {
        int k;
        hero__wmat_row(&w, i, row);
        for (k = 0; k < 40; k++) {
            double d = fabs(row[k] - W[i * 40 + k]), bound = 0.5 * hero_f16_to_f32(w.scale[i * 2 + k / 32]) + 1e-7;
            if (d / bound > e) e = d / bound;
        }
    }
    result("q8_0 round trip: |w - d q| <= d / 2 (err = worst ratio)", e, 1.0);
    hero__wmat_place(&w, HERO_W_BF16, 2, 40, (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63));
    hero__wmat_quantize_rows(&w, W, 0, w.O);
    ok = 1;
    for (i = 0; i < 80; i++) ok = ok && ((const uint16_t *)w.data)[i] == hero_f32_to_bf16(W[i]);
    check("bf16 layout: uint16 [O, K], round to nearest even", ok, "");
    hero__wmat_place(&w, HERO_W_F16, 2, 40, (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63));
    hero__wmat_quantize_rows(&w, W, 0, w.O);
    ok = 1;
    for (i = 0; i < 80; i++) ok = ok && ((const uint16_t *)w.data)[i] == hero_f32_to_f16(W[i]);
    check("f16 layout: uint16 [O, K], round to nearest even", ok, "");
}

static double max_rel(const float *a, const float *b, size_t n) {
    double md = 0, mr = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= md)) md = d;
        if (fabs(b[i]) > mr) mr = fabs(b[i]);
    }
    return md / (mr > 1e-6 ? mr : 1e-6);
}

/* REPR and query outputs of models held in each format vs the f32 training model */
static void test_models(const char *dir) {
    char cfg[1024], ckpt[1024], path[1024];
    hero_model ref, m;
    hero_error err;
    hero_tensorfile tf;
    hero_batch b;
    hero_result r;
    int t, rc;
    float *c_ref = NULL, *mq_ref = NULL, *mq = NULL;
    size_t nc = 0;
    int32_t ids[2 * 6] = {0, 5, 9, 13, 2, 1, 0, 7, 8, 2, 1, 1}, mask[2 * 6] = {1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0};
    snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
    snprintf(ckpt, sizeof(ckpt), "%s/model.pt", dir);
    snprintf(path, sizeof(path), "%s/repr.safetensors", dir);
    memset(&b, 0, sizeof(b));
    if (hero_model_load(&ref, cfg, ckpt, NULL, &err) || hero_tensorfile_open(&tf, path, &err)) {
        check("load the tiny model and repr.safetensors", 0, err.msg);
        return;
    }
    rc = golden_batch_from_in(&b, HERO_TASK_REPR, &tf, &err);
    hero_tensorfile_close(&tf);
    if (rc || hero_forward_backward(&ref, &b, 0, NULL, &r, &err)) { check("f32 REPR forward", 0, err.msg); hero_model_free(&ref); return; }
    nc = (size_t)b.B * b.L * ref.cfg.H;
    c_ref = (float *)malloc(nc * sizeof(float));
    mq_ref = (float *)malloc(2 * (size_t)ref.cfg.H * sizeof(float));
    mq = (float *)malloc(2 * (size_t)ref.cfg.H * sizeof(float));
    memcpy(c_ref, r.c_seq, nc * sizeof(float));
    if (hero_encode_queries(&ref, ids, mask, 2, 6, mq_ref, &err)) check("f32 queries", 0, err.msg);
    for (t = 0; t < HERO_W_COUNT; t++) {
        hero_model_options o = hero_model_options_default();
        hero_optimizer opt;
        hero_adamw_config ac = hero_adamw_default();
        char name[160];
        o.wtype = (hero_wtype)t;
        o.inference_only = 1;
        if (hero_model_load_opt(&m, cfg, ckpt, &o, NULL, &err)) { check("load an inference-only model", 0, err.msg); continue; }
        snprintf(name, sizeof(name), "%s inference-only: no gradient block, weights %zu bytes (f32 training model %zu)",
                 hero_wtype_name(o.wtype), hero_model_weight_bytes(&m), hero_model_weight_bytes(&ref));
        check(name, m.grads == NULL && m.inference_only &&
                        (t == HERO_W_F32 ? hero_model_weight_bytes(&m) == hero_model_weight_bytes(&ref)
                                         : hero_model_weight_bytes(&m) < hero_model_weight_bytes(&ref) * (t == HERO_W_Q8_0 ? 0.45 : 0.6)), "");
        hero_zero_grad(&m); /* nothing to zero: must not crash */
        rc = hero_forward_backward(&m, &b, 1, NULL, &r, &err);
        snprintf(name, sizeof(name), "%s inference-only: backward refused with HERO_EINVAL", hero_wtype_name(o.wtype));
        check(name, rc == HERO_EINVAL && strstr(err.msg, "inference-only") != NULL, rc ? err.msg : "it ran");
        rc = hero_optimizer_init(&opt, &m, &ac, &err);
        snprintf(name, sizeof(name), "%s inference-only: optimizer refused", hero_wtype_name(o.wtype));
        check(name, rc == HERO_EINVAL, rc ? err.msg : "it was made");
        if (!rc) hero_optimizer_free(&opt);
        if (hero_forward_backward(&m, &b, 0, NULL, &r, &err)) { check("REPR forward", 0, err.msg); hero_model_free(&m); continue; }
        snprintf(name, sizeof(name), "%s REPR c_seq vs the f32 training model", hero_wtype_name(o.wtype));
        result(name, max_rel(r.c_seq, c_ref, nc), t == HERO_W_F32 ? 0.0 : t == HERO_W_Q8_0 ? 4e-2 : 3e-2);
        if (hero_encode_queries(&m, ids, mask, 2, 6, mq, &err)) check("queries", 0, err.msg);
        else {
            snprintf(name, sizeof(name), "%s query vectors vs the f32 training model", hero_wtype_name(o.wtype));
            result(name, max_rel(mq, mq_ref, 2 * (size_t)ref.cfg.H), t == HERO_W_F32 ? 0.0 : t == HERO_W_Q8_0 ? 4e-2 : 3e-2);
        }
        if (t != HERO_W_F32) {
            hero_param *p = hero_model_param(&m, "v_encoder.f_encoder.embeddings.word_embeddings.weight");
            hero_param *pr = hero_model_param(&ref, "v_encoder.f_encoder.embeddings.word_embeddings.weight");
            float row[4096];
            double e = 1;
            if (p && pr && p->wtype == o.wtype && p->data == NULL && ref.cfg.H <= 4096 && !hero_param_row(p, 9, row, &err))
                e = max_rel(row, pr->data + 9 * ref.cfg.H, (size_t)ref.cfg.H);
            snprintf(name, sizeof(name), "%s word table held in the format, row 9 read back (hero_param_row)", hero_wtype_name(o.wtype));
            result(name, e, t == HERO_W_Q8_0 ? 1e-2 : 4e-3);
            p = hero_model_param(&m, "v_encoder.f_encoder.embeddings.LayerNorm.weight");
            snprintf(name, sizeof(name), "%s LayerNorm weights, position tables, modular vector stay f32", hero_wtype_name(o.wtype));
            check(name, p && p->wtype == HERO_W_F32 && p->data &&
                            hero_model_param(&m, "v_encoder.f_encoder.embeddings.position_embeddings.weight")->wtype == HERO_W_F32 &&
                            hero_model_param(&m, "q_feat_attn.modular_vector_mapping.weight")->wtype == HERO_W_F32, "");
            snprintf(name, sizeof(name), "%s model: hero_model_init_random refused", hero_wtype_name(o.wtype));
            check(name, hero_model_init_random(&m, 1) == HERO_EINVAL, "");
        }
        hero_model_free(&m);
    }
    {
        hero_model_options o = hero_model_options_default();
        o.wtype = HERO_W_COUNT;
        rc = hero_model_init_opt(&m, &ref.cfg, &o, &err);
        check("an unknown weight format is refused", rc == HERO_EINVAL, rc ? err.msg : "accepted");
        if (!rc) hero_model_free(&m);
        rc = hero_wtype_parse("q4_0", &o.wtype, &err);
        check("hero_wtype_parse names the choices", rc == HERO_EINVAL && strstr(err.msg, "q8_0") != NULL, err.msg);
    }
    hero_batch_free(&b);
    hero_model_free(&ref);
    free(c_ref); free(mq_ref); free(mq);
}

/* files written by tests/test_lean.sh (hero_convert): a model whose format equals the file's
   uses the mapped matrices in place and computes exactly what a model converted from model.pt
   in memory computes */
static void test_mapped(const char *dir, const char *files) {
    static const char *names[] = {"m_bf16.safetensors", "m_f16.safetensors", "m_q8_0.safetensors"};
    static const hero_wtype types[] = {HERO_W_BF16, HERO_W_F16, HERO_W_Q8_0};
    char cfg[1024], ckpt[1024], path[1024], file[1024], name[256];
    hero_tensorfile tf;
    hero_batch b;
    hero_error err;
    int i;
    snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
    snprintf(ckpt, sizeof(ckpt), "%s/model.pt", dir);
    snprintf(path, sizeof(path), "%s/repr.safetensors", dir);
    memset(&b, 0, sizeof(b));
    if (hero_tensorfile_open(&tf, path, &err) || golden_batch_from_in(&b, HERO_TASK_REPR, &tf, &err)) {
        check("repr batch", 0, err.msg);
        return;
    }
    hero_tensorfile_close(&tf);
    for (i = 0; i < 3; i++) {
        hero_model a, m;
        hero_model_options o = hero_model_options_default();
        hero_result r;
        float *ca = NULL;
        size_t n;
        o.wtype = types[i];
        snprintf(file, sizeof(file), "%s/%s", files, names[i]);
        if (hero_model_load_opt(&a, cfg, ckpt, &o, NULL, &err)) { check("load model.pt", 0, err.msg); continue; }
        if (hero_model_load_opt(&m, cfg, file, &o, NULL, &err)) { check("load the converted file", 0, err.msg); hero_model_free(&a); continue; }
        n = (size_t)b.B * b.L * a.cfg.H;
        if (!hero_forward_backward(&a, &b, 0, NULL, &r, &err) && (ca = (float *)malloc(n * sizeof(float))) != NULL) {
            memcpy(ca, r.c_seq, n * sizeof(float));
            if (!hero_forward_backward(&m, &b, 0, NULL, &r, &err)) {
                const hero__lean *L = (const hero__lean *)m.wq;
                snprintf(name, sizeof(name), "%s file -> %s model: %d matrices used in place from the map (%s), REPR equal bit for bit to model.pt converted in memory",
                         hero_wtype_name(o.wtype), hero_wtype_name(o.wtype), L ? L->n_mapped : 0,
#if (defined(__unix__) || defined(__APPLE__)) && !defined(HERO_NO_MMAP)
                         "mmap"
#else
                         "no mmap here: read"
#endif
                );
                check(name, L && memcmp(ca, r.c_seq, n * sizeof(float)) == 0 &&
#if (defined(__unix__) || defined(__APPLE__)) && !defined(HERO_NO_MMAP)
                                L->n_mapped > 0 && L->keep != NULL,
#else
                                1,
#endif
                      "");
            } else check("forward", 0, err.msg);
        } else check("forward", 0, err.msg);
        free(ca);
        hero_model_free(&a);
        hero_model_free(&m);
    }
    hero_batch_free(&b);
}

int main(int argc, char **argv) {
    if (argc > 3 && !strcmp(argv[2], "--files")) { /* tests/test_lean.sh */
        test_mapped(argv[1], argv[3]);
        printf("%d passed, %d failed\n", g_pass, g_fail);
        return g_fail ? 1 : 0;
    }
    test_kernels();
    test_threads();
    test_nonfinite();
    test_layouts();
    if (argc > 1) test_models(argv[1]);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

/* hero_bench: timings of hero.h at the HERO shapes (make bench runs it through bench/run.sh,
   next to the PyTorch reference bench/hero_torch.py on exactly the same batches).

     hero_bench --info                          BLAS kernels (OpenBLAS corename), the
                                                hero_blas_check advice, threads, environment
     hero_bench --peak                          this machine's sgemm peak: one 2048^3
                                                cblas_sgemm (portable GEMM without CBLAS), GFLOP/s
     hero_bench --gemm-portable [--iters N]     hero.h's portable GEMM vs cblas_sgemm, alternately,
                                                at 2048^3 and the full config's GEMM shapes:
                                                RESULT gemm-portable-<shape> hero= openblas= speedup=
     --threads N                                hero_set_threads(N) first (hero.h's pool and OpenBLAS)
     hero_bench --config C --dump FILE          write config C's corpus + random choices
                                                (golden raw.* / choice.* layout, model dims in
                                                the metadata) for `hero_torch.py bench --data`
     hero_bench --config C --case K [--iters N] [--warmup W] [--seed S] [--precision P]
                                                time one case, print one `CASE ...` line

   GPU: built with HERO_CUDA (`make build-cuda/hero_bench`, nvcc) every case runs on the GPU;
   --precision fp32 | tf32 | bf16 (hero_model_set_precision) and the CASE line gains device=,
   prec= and gpu_mb= (device memory in use after the runs: model, gradients, moments, arena).
   Times include the batch upload and end when the GPU is done (the loss read-back; for
   `update`, hero_model_sync).

   configs   tiny   the golden tiny dims (H 48, 4 heads, I 96, 2+1 layers, V 107 / 112, F 20),
                    3 videos of 6, 10, 8 frames with 4, 7, 5 subtitles
             small  H 256, 4 heads, I 1024, 2+1 layers, released vocab, F 512,
                    4 videos of 16, 24, 32, 40 frames, consecutive subtitles
             full   released shapes (H 768, 12 heads, I 3072, 6+3 layers, V 50265 / 50272,
                    F 4352, 100 frame positions, 100 FOM classes), 2 videos of 12 and 20
                    frames with 6 + 10 = 16 subtitles
             b32    released shapes, the release recipe's 32 videos per batch, but of 16 frames
                    (at 100 frames a step does not fit 24 GiB / takes minutes on 2 cores),
                    consecutive subtitles (case names start with full-b32-); --videos N and
                    --frames T override (every video T frames, consecutive subtitles)
   cases     repr-fwd                      forward only (HERO_TASK_REPR, backward 0)
             mlm-step mfm-nce-step fom-step vsm-step
                                           forward + backward of the task (gradients zeroed
                                           before, untimed)
             update                        hero_optimizer_step (grad norm, clipping, AdamW,
                                           zero_grad) with every parameter holding a gradient

   Synthetic corpus: frames N(0,1); each subtitle covers 2-5 consecutive frames and has 6-20
   word ids uniform in [4, V-1) (like hero_torch.py's synthetic_corpus). "Consecutive":
   subtitles tile the video one after the other; a fixed count n: subtitle i starts at frame
   i*T/n (subtitles may overlap). Choices (masking etc.) drawn by hero_draw_choices with a
   fixed seed, in the order mlm, mfm-nce, fom, vsm, whatever the case: every process and
   the --dump file see the same batches.

   FLOPs: counted, not estimated. With HERO_USE_CBLAS every matrix product of hero.h goes
   through cblas_sgemm; this file renames that call to a wrapper that adds 2*M*N*K and the
   time spent inside (gemm_s); --gemm-stats also prints the time per GEMM shape. Without CBLAS
   nothing is counted (gflop=0).
   Peak memory: getrusage ru_maxrss of this process (one case per process), which includes
   the model, its gradients (and AdamW moments for `update`); arena_mb = hero's activation
   arena peak.
   Profiling the timed runs only: mkfifo /tmp/ctl; HERO_BENCH_PERF_CTL=/tmp/ctl
   perf record --control fifo:/tmp/ctl -D -1 -g build/hero_bench --config full --case mlm-step */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <sys/resource.h>

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#ifdef HERO_USE_CBLAS
#include <cblas.h>
/* the GEMM counter (see the top comment) */
static double bench_gemm_flops, bench_gemm_sec;
static long bench_gemm_calls;
/* --gemm-stats: time per GEMM shape (transposes, M, N, K) over the timed runs */
typedef struct bench_shape {
    int ta, tb, M, N, K;
    long calls;
    double sec;
} bench_shape;
enum { BENCH_MAX_SHAPES = 8192 };
static bench_shape *bench_shapes;
static int bench_n_shapes, bench_stats_on;
static void bench_shape_add(int ta, int tb, int M, int N, int K, double sec) {
    int i;
    for (i = bench_n_shapes - 1; i >= 0; i--) {
        bench_shape *q = &bench_shapes[i];
        if (q->M == M && q->N == N && q->K == K && q->ta == ta && q->tb == tb) break;
    }
    if (i < 0) {
        if (bench_n_shapes == BENCH_MAX_SHAPES) return;
        i = bench_n_shapes++;
        memset(&bench_shapes[i], 0, sizeof(bench_shapes[i]));
        bench_shapes[i].ta = ta; bench_shapes[i].tb = tb;
        bench_shapes[i].M = M; bench_shapes[i].N = N; bench_shapes[i].K = K;
    }
    bench_shapes[i].calls++;
    bench_shapes[i].sec += sec;
}
static void bench_counted_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                                const enum CBLAS_TRANSPOSE tb, const int M, const int N, const int K,
                                const float alpha, const float *A, const int lda, const float *B, const int ldb,
                                const float beta, float *C, const int ldc) {
    double t0 = bench_now(), dt;
    cblas_sgemm(order, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    dt = bench_now() - t0;
    bench_gemm_sec += dt;
    bench_gemm_flops += 2.0 * (double)M * (double)N * (double)K;
    bench_gemm_calls++;
    if (bench_stats_on) bench_shape_add(ta == CblasTrans, tb == CblasTrans, M, N, K, dt);
}
#define cblas_sgemm bench_counted_sgemm
#else
static double bench_gemm_flops, bench_gemm_sec;
static long bench_gemm_calls;
#endif

#define HERO_IMPLEMENTATION
#include "../hero.h"

#ifdef HERO_USE_CBLAS
#undef cblas_sgemm
#if defined(__GNUC__) && defined(__ELF__)
char *openblas_get_config(void) __attribute__((weak));
#endif
#endif

/* ---------------------------------------------------------------------------------------
   configurations
   --------------------------------------------------------------------------------------- */
typedef struct bench_cfg {
    const char *name, *prefix;
    int H, heads, inter, f_layers, c_layers, V, Vp, F, max_frm, fom, max_pos;
    int n_videos;
    int T[32], n_subs[32]; /* n_subs 0: consecutive subtitles */
    int iters, warmup;
} bench_cfg;

static const bench_cfg bench_cfgs[] = {
    {"tiny", "tiny", 48, 4, 96, 2, 1, 107, 112, 20, 16, 10, 64, 3, {6, 10, 8}, {4, 7, 5}, 20, 3},
    {"small", "small", 256, 4, 1024, 2, 1, 50265, 50272, 512, 100, 100, 514, 4, {16, 24, 32, 40}, {0}, 10, 2},
    {"full", "full", 768, 12, 3072, 6, 3, 50265, 50272, 4352, 100, 100, 514, 2, {12, 20}, {6, 10}, 5, 1},
    /* the release recipe's 32 videos, at 16 frames each (not up to 100: at 100 frames one VSM
       step needs ~25 GiB of activations and minutes on 2 cores; --frames T to change) */
    {"b32", "full-b32", 768, 12, 3072, 6, 3, 50265, 50272, 4352, 100, 100, 514, 32,
     {16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
      16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16}, {0}, 2, 1},
};

static void bench_hero_config(const bench_cfg *b, hero_config *c) {
    memset(c, 0, sizeof(*c));
    c->H = b->H;
    c->f_heads = c->c_heads = c->q_heads = b->heads;
    c->f_inter = c->c_inter = b->inter;
    c->f_layers = b->f_layers;
    c->c_layers = b->c_layers;
    c->f_max_pos = c->c_max_pos = c->q_max_pos = b->max_pos;
    c->V = b->V;
    c->Vp = b->Vp;
    c->layer_norm_eps = 1e-12f;
    c->F = b->F;
    c->max_frm_seq_len = b->max_frm;
    c->fom_classes = b->fom;
    hero_config_default_losses(c);
}

/* the official model-config JSON of these dims (for hero_torch.py) */
static void bench_model_json(const bench_cfg *b, char *out, size_t n) {
    char f[512], c[512], q[512];
    snprintf(f, sizeof(f),
             "{\"hidden_size\": %d, \"num_attention_heads\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": %d, "
             "\"max_position_embeddings\": %d, \"type_vocab_size\": 1, \"vocab_size\": %d, \"hidden_act\": \"gelu\"}",
             b->H, b->heads, b->inter, b->f_layers, b->max_pos, b->V);
    snprintf(c, sizeof(c),
             "{\"hidden_size\": %d, \"num_attention_heads\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": %d, "
             "\"max_position_embeddings\": %d, \"type_vocab_size\": 2, \"hidden_act\": \"gelu\"}",
             b->H, b->heads, b->inter, b->c_layers, b->max_pos);
    snprintf(q, sizeof(q),
             "{\"hidden_size\": %d, \"num_attention_heads\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": 0, "
             "\"max_position_embeddings\": %d, \"type_vocab_size\": 1, \"vocab_size\": %d, \"hidden_act\": \"gelu\"}",
             b->H, b->heads, b->inter, b->max_pos, b->V);
    snprintf(out, n, "{\"f_config\": %s, \"c_config\": %s, \"q_config\": %s}", f, c, q);
}

/* ---------------------------------------------------------------------------------------
   random numbers, init, corpus
   --------------------------------------------------------------------------------------- */
static float bench_normal(hero_rng *r) {
    float u1 = 1.0f - hero_rng_uniform(r), u2 = hero_rng_uniform(r); /* u1 in (0, 1] */
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647f * u2);
}

static int bench_ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* random init: hero_model_init_random when hero.h has it, else the official init_weights
   rules (Linear / Embedding N(0, 0.02), biases 0, LayerNorm 1 / 0, conv N(0, 0.2)) */
static int bench_init_model(hero_model *m, uint64_t seed, hero_error *err) {
#ifdef HERO_INITIALIZER_RANGE
    (void)bench_ends_with;
    (void)err;
    return hero_model_init_random(m, seed);
#else
    hero_rng r;
    int i;
    (void)err;
    hero_rng_seed(&r, seed);
    for (i = 0; i < m->n_params; i++) {
        hero_param *p = &m->table[i];
        size_t j;
        if (bench_ends_with(p->name, "bias") || strcmp(p->name, "v_encoder.f_encoder.lm_head.bias") == 0) {
            for (j = 0; j < p->numel; j++) p->data[j] = 0.0f;
        } else if (bench_ends_with(p->name, "LayerNorm.weight") || strcmp(p->name, "v_encoder.feat_regress.net.2.weight") == 0) {
            for (j = 0; j < p->numel; j++) p->data[j] = 1.0f;
        } else if (strstr(p->name, "_predictor.weight")) {
            for (j = 0; j < p->numel; j++) p->data[j] = 0.2f * bench_normal(&r);
        } else {
            for (j = 0; j < p->numel; j++) p->data[j] = 0.02f * bench_normal(&r);
        }
        if (strcmp(p->name, "v_encoder.mask_embedding.weight") == 0)
            for (j = 0; j < (size_t)p->shape[1]; j++) p->data[j] = 0.0f;
    }
    return 0;
#endif
}

/* the corpus as flat arrays in the golden raw.* layout + hero_video views */
typedef struct bench_corpus {
    int n_videos, F;
    int32_t *nframes, *num_subs, *sub_len, *sub_tokens, *s2f_sub_idx, *s2f_nframes, *s2f_frames;
    float *feats;
    int n_subs_total, n_tokens, n_sframes, n_frames_total;
    hero_video *videos;
} bench_corpus;

static void *bench_xalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "hero_bench: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static void bench_corpus_make(bench_corpus *c, const bench_cfg *b, hero_rng *r) {
    int v, cap_subs = 0, cap_frames = 0, o_sub = 0, o_tok = 0, o_fr = 0;
    size_t o_feat = 0;
    memset(c, 0, sizeof(*c));
    c->n_videos = b->n_videos;
    c->F = b->F;
    for (v = 0; v < b->n_videos; v++) {
        cap_frames += b->T[v];
        cap_subs += b->n_subs[v] > 0 ? b->n_subs[v] : b->T[v];
    }
    c->nframes = (int32_t *)bench_xalloc(sizeof(int32_t) * (size_t)b->n_videos);
    c->num_subs = (int32_t *)bench_xalloc(sizeof(int32_t) * (size_t)b->n_videos);
    c->sub_len = (int32_t *)bench_xalloc(sizeof(int32_t) * (size_t)cap_subs);
    c->s2f_sub_idx = (int32_t *)bench_xalloc(sizeof(int32_t) * (size_t)cap_subs);
    c->s2f_nframes = (int32_t *)bench_xalloc(sizeof(int32_t) * (size_t)cap_subs);
    c->sub_tokens = (int32_t *)bench_xalloc(sizeof(int32_t) * (size_t)cap_subs * 20);
    c->s2f_frames = (int32_t *)bench_xalloc(sizeof(int32_t) * (size_t)cap_subs * 5);
    c->feats = (float *)bench_xalloc(sizeof(float) * (size_t)cap_frames * (size_t)b->F);
    c->videos = (hero_video *)bench_xalloc(sizeof(hero_video) * (size_t)b->n_videos);
    for (v = 0; v < b->n_videos; v++) {
        int T = b->T[v], n = 0, f = 0, s, k;
        size_t j;
        hero_video *hv = &c->videos[v];
        for (j = 0; j < (size_t)T * (size_t)b->F; j++) c->feats[o_feat + j] = bench_normal(r);
        hv->T = T;
        hv->F = b->F;
        hv->feats = c->feats + o_feat;
        hv->sub_len = c->sub_len + o_sub;
        hv->sub_tokens = c->sub_tokens + o_tok;
        hv->sub_nframes = c->s2f_nframes + o_sub;
        hv->sub_frames = c->s2f_frames + o_fr;
        for (s = 0;; s++) {
            int start, len, nw;
            if (b->n_subs[v] > 0) {
                if (s >= b->n_subs[v]) break;
                start = (int)((long)s * T / b->n_subs[v]);
            } else {
                if (f >= T) break;
                start = f;
            }
            len = 2 + (int)hero_rng_below(r, 4);
            if (start + len > T) len = T - start;
            f = start + len;
            nw = 6 + (int)hero_rng_below(r, 15);
            c->sub_len[o_sub + s] = nw;
            c->s2f_sub_idx[o_sub + s] = s;
            c->s2f_nframes[o_sub + s] = len;
            for (k = 0; k < nw; k++) c->sub_tokens[o_tok++] = 4 + (int32_t)hero_rng_below(r, (uint64_t)(b->V - 5));
            for (k = 0; k < len; k++) c->s2f_frames[o_fr++] = start + k;
            n++;
        }
        hv->n_subs = n;
        c->nframes[v] = T;
        c->num_subs[v] = n;
        o_sub += n;
        o_feat += (size_t)T * (size_t)b->F;
    }
    c->n_subs_total = o_sub;
    c->n_tokens = o_tok;
    c->n_sframes = o_fr;
    c->n_frames_total = (int)(o_feat / (size_t)b->F);
}

static void bench_corpus_free(bench_corpus *c) {
    free(c->nframes); free(c->num_subs); free(c->sub_len); free(c->sub_tokens); free(c->s2f_sub_idx);
    free(c->s2f_nframes); free(c->s2f_frames); free(c->feats); free(c->videos);
    memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------------------------------
   --dump: corpus + choices for hero_torch.py (golden raw.* / choice.* names)
   --------------------------------------------------------------------------------------- */
typedef struct bench_items {
    hero_st_item it[32];
    int64_t shape[32][2];
    void *owned[32];
    int n;
} bench_items;

static void bench_add_i64(bench_items *s, const char *name, const int32_t *x, int64_t n) {
    int64_t *d = (int64_t *)bench_xalloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    int64_t i;
    for (i = 0; i < n; i++) d[i] = x[i];
    s->owned[s->n] = d;
    s->shape[s->n][0] = n;
    s->it[s->n].name = name;
    s->it[s->n].dtype = HERO_I64;
    s->it[s->n].ndim = 1;
    s->it[s->n].shape = s->shape[s->n];
    s->it[s->n].data = d;
    s->n++;
}

static int bench_dump(const char *path, const bench_cfg *b, const bench_corpus *c, const hero_choices *ch,
                      const hero_batch_options *opt) {
    bench_items s;
    hero_error err;
    char model_json[2048], dims[256], ds[512];
    const char *meta[16];
    int i, rc;
    const hero_choices *mlm = &ch[HERO_TASK_MLM], *mfm = &ch[HERO_TASK_MFM_NCE], *fom = &ch[HERO_TASK_FOM],
                       *vsm = &ch[HERO_TASK_VSM];
    int64_t n_mlm_tok = 0, n_q = 0;
    memset(&s, 0, sizeof(s));
    for (i = 0; i < mlm->n_rows; i++) n_mlm_tok += mlm->mlm_len[i];
    for (i = 0; i < vsm->n_videos; i++) n_q += vsm->vsm_n_sampled[i];
    bench_add_i64(&s, "raw.nframes", c->nframes, c->n_videos);
    s.shape[s.n][0] = c->n_frames_total;
    s.shape[s.n][1] = c->F;
    s.it[s.n].name = "raw.v_feats";
    s.it[s.n].dtype = HERO_F32;
    s.it[s.n].ndim = 2;
    s.it[s.n].shape = s.shape[s.n];
    s.it[s.n].data = c->feats;
    s.n++;
    bench_add_i64(&s, "raw.num_subs", c->num_subs, c->n_videos);
    bench_add_i64(&s, "raw.sub_len", c->sub_len, c->n_subs_total);
    bench_add_i64(&s, "raw.sub_tokens", c->sub_tokens, c->n_tokens);
    bench_add_i64(&s, "raw.s2f_sub_idx", c->s2f_sub_idx, c->n_subs_total);
    bench_add_i64(&s, "raw.s2f_nframes", c->s2f_nframes, c->n_subs_total);
    bench_add_i64(&s, "raw.s2f_frames", c->s2f_frames, c->n_sframes);
    bench_add_i64(&s, "choice.mlm_len", mlm->mlm_len, mlm->n_rows);
    bench_add_i64(&s, "choice.mlm_input_ids", mlm->mlm_input_ids, n_mlm_tok);
    bench_add_i64(&s, "choice.mlm_labels", mlm->mlm_labels, n_mlm_tok);
    s.shape[s.n][0] = mfm->n_frames;
    s.it[s.n].name = "choice.frame_mask";
    s.it[s.n].dtype = HERO_U8;
    s.it[s.n].ndim = 1;
    s.it[s.n].shape = s.shape[s.n];
    s.it[s.n].data = mfm->frame_mask;
    s.n++;
    bench_add_i64(&s, "choice.fom_orders", fom->fom_orders, fom->n_frames);
    bench_add_i64(&s, "choice.fom_targets", fom->fom_targets, fom->n_frames);
    bench_add_i64(&s, "choice.vsm_n_sampled", vsm->vsm_n_sampled, vsm->n_videos);
    bench_add_i64(&s, "choice.vsm_sampled_sub_idx", vsm->vsm_sampled_sub_idx, n_q);
    bench_model_json(b, model_json, sizeof(model_json));
    snprintf(dims, sizeof(dims),
             "{\"name\": \"%s\", \"prefix\": \"%s\", \"vfeat_dim\": %d, \"max_frm_seq_len\": %d, \"vocab_rows\": %d, "
             "\"fom_classes\": %d, \"iters\": %d, \"warmup\": %d}",
             b->name, b->prefix, b->F, b->max_frm, b->Vp, b->fom, b->iters, b->warmup);
    snprintf(ds, sizeof(ds),
             "{\"mask_prob\": %g, \"query_per_video\": %d, \"max_txt_len\": %d, \"sub_ctx_len\": %d, \"cls\": %d, "
             "\"pad\": %d, \"sep\": %d, \"mask\": %d, \"v_range\": [%d, %d], \"max_frames\": %d}",
             (double)opt->mask_prob, opt->query_per_video, opt->max_txt_len, opt->sub_ctx_len, opt->cls_id,
             opt->pad_id, opt->sep_id, opt->mask_id, opt->v_lo, opt->v_hi, opt->max_frames);
    meta[0] = "model_config"; meta[1] = model_json;
    meta[2] = "bench_dims"; meta[3] = dims;
    meta[4] = "data_settings"; meta[5] = ds;
    meta[6] = NULL;
    rc = hero_safetensors_write(path, s.it, s.n, meta, &err);
    if (rc) fprintf(stderr, "hero_bench: %s\n", err.msg);
    for (i = 0; i < s.n; i++) free(s.owned[i]);
    return rc;
}

/* ---------------------------------------------------------------------------------------
   --info, --peak
   --------------------------------------------------------------------------------------- */
static void bench_info(void) {
    const char *e;
#ifdef HERO_USE_CBLAS
    char buf[256];
    const char *advice = hero_blas_check(buf, sizeof(buf));
    const char *core = "?", *conf = "?";
#if defined(__GNUC__) && defined(__ELF__)
    if (openblas_get_corename) core = openblas_get_corename();
    if (openblas_get_config) conf = openblas_get_config();
#endif
    printf("BLAS cblas (OpenBLAS corename %s; %s)\n", core, conf);
    printf("BLAS_CORENAME %s\n", core);
    printf("BLAS_ADVICE %s\n", advice ? advice : "none");
#else
    printf("BLAS portable GEMM (built without HERO_USE_CBLAS)\n");
    printf("BLAS_CORENAME portable\n");
    printf("BLAS_ADVICE none\n");
#endif
    e = getenv("OPENBLAS_NUM_THREADS");
    printf("OPENBLAS_NUM_THREADS=%s\n", e ? e : "(unset)");
    e = getenv("OPENBLAS_CORETYPE");
    printf("OPENBLAS_CORETYPE=%s\n", e ? e : "(unset)");
    e = getenv("OMP_NUM_THREADS");
    printf("OMP_NUM_THREADS=%s\n", e ? e : "(unset)");
}

static int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double bench_median(double *x, int n) {
    qsort(x, (size_t)n, sizeof(double), bench_cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

static int bench_peak(int n, int iters) {
    float *A = (float *)bench_xalloc(sizeof(float) * (size_t)n * n), *B = (float *)bench_xalloc(sizeof(float) * (size_t)n * n),
          *C = (float *)bench_xalloc(sizeof(float) * (size_t)n * n);
    double t[32], med;
    hero_rng r;
    size_t i;
    int it;
    hero_rng_seed(&r, 7);
    for (i = 0; i < (size_t)n * n; i++) { A[i] = hero_rng_uniform(&r) - 0.5f; B[i] = hero_rng_uniform(&r) - 0.5f; }
    if (iters > 32) iters = 32;
    for (it = -1; it < iters; it++) {
        double t0 = bench_now();
#ifdef HERO_USE_CBLAS
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
#else
        hero__gemm(0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
#endif
        if (it >= 0) t[it] = bench_now() - t0;
    }
    med = bench_median(t, iters);
    printf("PEAK %s n=%d time=%.4f gflops=%.1f (median of %d)\n",
#ifdef HERO_USE_CBLAS
           "cblas_sgemm",
#else
           "portable-gemm",
#endif
           n, med, 2.0 * n * (double)n * n / med * 1e-9, iters);
    free(A); free(B); free(C);
    return 0;
}

/* --gemm-portable: hero.h's portable GEMM (hero__gemm_portable, on hero.h's thread pool) against
   cblas_sgemm (OpenBLAS), run alternately on the same operands, at 2048^3 and at the GEMM shapes of
   the full config's training step; one RESULT line per shape, speedup = openblas / hero */
static void bench_gemm_portable(int iters) {
    static const struct { const char *name; int ta, tb, M, N, K; } sh[] = {
        {"2048", 0, 0, 2048, 2048, 2048},      {"400x768x768-NT", 0, 1, 400, 768, 768},
        {"400x3072x768-NT", 0, 1, 400, 3072, 768}, {"400x768x3072-NT", 0, 1, 400, 768, 3072},
        {"400x768x768-NN", 0, 0, 400, 768, 768}, {"768x768x400-TN", 1, 0, 768, 768, 400},
        {"3072x768x400-TN", 1, 0, 3072, 768, 400}, {"37x50272x768-NT", 0, 1, 37, 50272, 768}};
    int s, it;
    if (iters > 32) iters = 32;
    if (iters < 1) iters = 1;
    for (s = 0; s < (int)(sizeof(sh) / sizeof(sh[0])); s++) {
        int M = sh[s].M, N = sh[s].N, K = sh[s].K, ta = sh[s].ta, tb = sh[s].tb;
        int lda = ta ? M : K, ldb = tb ? K : N;
        float *A = (float *)bench_xalloc(sizeof(float) * (size_t)M * K), *B = (float *)bench_xalloc(sizeof(float) * (size_t)K * N),
              *C = (float *)bench_xalloc(sizeof(float) * (size_t)M * N);
        double th[32], tb_[32], mh, mb = 0, fl = 2.0 * M * (double)N * K;
        hero_rng r;
        size_t i;
        hero_rng_seed(&r, 7);
        for (i = 0; i < (size_t)M * K; i++) A[i] = hero_rng_uniform(&r) - 0.5f;
        for (i = 0; i < (size_t)K * N; i++) B[i] = hero_rng_uniform(&r) - 0.5f;
        for (it = -1; it < iters; it++) {
            double t0 = bench_now();
            hero__gemm_portable(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);
            if (it >= 0) th[it] = bench_now() - t0;
#if defined(HERO_USE_CBLAS)
            t0 = bench_now();
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                        0.0f, C, N);
            if (it >= 0) tb_[it] = bench_now() - t0;
#else
            (void)tb_;
#endif
        }
        mh = bench_median(th, iters);
#if defined(HERO_USE_CBLAS)
        mb = bench_median(tb_, iters);
        printf("RESULT gemm-portable-%s hero=%.6f openblas=%.6f speedup=%.2f   (GFLOP/s: hero %.1f, openblas %.1f; %d threads)\n",
               sh[s].name, mh, mb, mb / mh, fl / mh * 1e-9, fl / mb * 1e-9, hero_get_threads());
#else
        (void)mb;
        printf("RESULT gemm-portable-%s hero=%.6f openblas=- speedup=-   (GFLOP/s: hero %.1f; %d threads; no CBLAS in this build)\n",
               sh[s].name, mh, fl / mh * 1e-9, hero_get_threads());
#endif
        fflush(stdout);
        free(A); free(B); free(C);
    }
}

/* ---------------------------------------------------------------------------------------
   one case
   --------------------------------------------------------------------------------------- */
static const char *const bench_cases[] = {"repr-fwd", "mlm-step", "mfm-nce-step", "fom-step", "vsm-step", "update", NULL};
static const hero_task bench_case_task[] = {HERO_TASK_REPR, HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_FOM,
                                            HERO_TASK_VSM, HERO_TASK_REPR};

static double bench_maxrss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
}

static void bench_die(const char *what, const hero_error *err) {
    fprintf(stderr, "hero_bench: %s: %s\n", what, err->msg);
    exit(1);
}

/* the GEMM shapes that took the most time, grouped by (ta, tb, M, N, K) */
static int bench_cmp_shape(const void *a, const void *b) {
#ifdef HERO_USE_CBLAS
    double x = ((const bench_shape *)a)->sec, y = ((const bench_shape *)b)->sec;
    return x > y ? -1 : x < y;
#else
    (void)a; (void)b;
    return 0;
#endif
}

static void bench_print_shapes(int iters, double total) {
#ifdef HERO_USE_CBLAS
    int i;
    double all = 0;
    qsort(bench_shapes, (size_t)bench_n_shapes, sizeof(bench_shape), bench_cmp_shape);
    for (i = 0; i < bench_n_shapes; i++) all += bench_shapes[i].sec;
    printf("GEMM shapes (%d distinct), per run: %.3f s in GEMM of %.3f s\n", bench_n_shapes, all / iters, total);
    printf("  %%time  s/run    calls/run  GF/s   op  M x N x K\n");
    for (i = 0; i < bench_n_shapes && i < 20; i++) {
        const bench_shape *q = &bench_shapes[i];
        printf("  %5.1f  %7.4f  %9.1f  %6.1f  %c%c  %d x %d x %d\n", 100.0 * q->sec / iters / total, q->sec / iters,
               (double)q->calls / iters, 2.0 * q->M * (double)q->N * q->K * (double)q->calls / q->sec * 1e-9,
               q->ta ? 'T' : 'N', q->tb ? 'T' : 'N', q->M, q->N, q->K);
    }
#else
    (void)iters; (void)total; (void)bench_cmp_shape;
    printf("GEMM shapes: only with HERO_USE_CBLAS\n");
#endif
}

/* profiling only the timed runs: perf record --control fifo:CTL -D -1 ... with
   HERO_BENCH_PERF_CTL=CTL in the environment (see bench/RESULTS.md) */
static void bench_perf_ctl(const char *cmd) {
    const char *path = getenv("HERO_BENCH_PERF_CTL");
    FILE *f;
    if (!path || !*path) return;
    f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "%s\n", cmd);
    fclose(f);
}

static void usage(void) {
    fprintf(stderr,
            "usage: hero_bench [--threads N] --info | --peak [--n N] | --gemm-portable [--iters N] | --config tiny|small|full|b32 (--dump FILE | --case CASE)\n"
            "                  [--iters N] [--warmup W] [--seed S] [--videos N] [--frames T] [--gemm-stats]\n"
            "                  [--precision fp32|tf32|bf16]   (bf16 / tf32: GPU build)\n"
            "cases: repr-fwd mlm-step mfm-nce-step fom-step vsm-step update\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *cfg_name = NULL, *case_name = NULL, *dump = NULL;
    int iters = -1, warmup = -1, do_info = 0, do_peak = 0, peak_n = 2048, i, ci = -1, it, n_videos = 0, n_frames = 0;
    int want_stats = 0, do_gemmp = 0;
    hero_precision prec = HERO_PREC_FP32;
    const char *prec_name = "fp32";
    double gpu_mb = 0;
    bench_cfg custom;
    uint64_t seed = 0;
    const bench_cfg *bc = NULL;
    hero_config hc;
    hero_rng rng;
    bench_corpus corpus;
    hero_choices ch[HERO_TASK_COUNT];
    hero_batch_options opt;
    hero_model m;
    hero_optimizer o;
    hero_batch batch;
    hero_result res;
    hero_error err;
    double *times, *gemm_s, med, t_min, flops = 0, t0;
    long calls = 0;
    char shape[160];

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--info")) do_info = 1;
        else if (!strcmp(argv[i], "--peak")) do_peak = 1;
        else if (!strcmp(argv[i], "--gemm-portable")) do_gemmp = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) hero_set_threads(atoi(argv[++i]));
        else if (!strcmp(argv[i], "--n") && i + 1 < argc) peak_n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--config") && i + 1 < argc) cfg_name = argv[++i];
        else if (!strcmp(argv[i], "--case") && i + 1 < argc) case_name = argv[++i];
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) dump = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = (uint64_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--gemm-stats")) want_stats = 1;
        else if (!strcmp(argv[i], "--videos") && i + 1 < argc) n_videos = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc) n_frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc) {
            prec_name = argv[++i];
            if (!strcmp(prec_name, "fp32")) prec = HERO_PREC_FP32;
            else if (!strcmp(prec_name, "tf32")) prec = HERO_PREC_TF32;
            else if (!strcmp(prec_name, "bf16")) prec = HERO_PREC_BF16;
            else usage();
        } else usage();
    }
    if (do_info) bench_info();
    if (do_peak) bench_peak(peak_n > 0 ? peak_n : 2048, iters > 0 ? iters : 5);
    if (do_gemmp) bench_gemm_portable(iters > 0 ? iters : 5);
    if (do_info || do_peak || do_gemmp) return 0;
    if (!cfg_name || (!case_name && !dump)) usage();
    for (i = 0; i < (int)(sizeof(bench_cfgs) / sizeof(bench_cfgs[0])); i++)
        if (!strcmp(cfg_name, bench_cfgs[i].name) || !strcmp(cfg_name, bench_cfgs[i].prefix)) bc = &bench_cfgs[i];
    if (!bc) usage();
    if (n_videos > 0 || n_frames > 0) { /* --videos / --frames: every video T frames, consecutive subtitles */
        if (n_videos > 32 || n_frames > bc->fom || n_frames < 0) {
            fprintf(stderr, "hero_bench: --videos must be <= 32 and --frames <= %d\n", bc->fom);
            return 2;
        }
        custom = *bc;
        if (n_videos > 0) custom.n_videos = n_videos;
        for (i = 0; i < custom.n_videos; i++) {
            if (n_frames > 0) custom.T[i] = n_frames;
            else if (custom.T[i] == 0) custom.T[i] = custom.T[0];
            custom.n_subs[i] = 0;
        }
        bc = &custom;
    }
    if (case_name) {
        for (i = 0; bench_cases[i]; i++)
            if (!strcmp(case_name, bench_cases[i])) ci = i;
        if (ci < 0) usage();
    }
    if (iters <= 0) iters = bc->iters;
    if (warmup < 0) warmup = bc->warmup;

    /* corpus and choices: fixed seed, fixed order, whatever the case */
    hero_rng_seed(&rng, 1234);
    bench_corpus_make(&corpus, bc, &rng);
    opt = hero_batch_options_default(bc->V);
    memset(ch, 0, sizeof(ch));
    {
        static const hero_task order[] = {HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_FOM, HERO_TASK_VSM};
        for (i = 0; i < 4; i++)
            if (hero_draw_choices(&ch[order[i]], order[i], corpus.videos, corpus.n_videos, &opt, &rng, &err))
                bench_die("hero_draw_choices", &err);
    }
    if (dump) {
        if (bench_dump(dump, bc, &corpus, ch, &opt)) return 1;
        printf("wrote %s (%d videos, %d frames, %d subtitles)\n", dump, corpus.n_videos, corpus.n_frames_total,
               corpus.n_subs_total);
        if (!case_name) {
            for (i = 0; i < HERO_TASK_COUNT; i++) hero_choices_free(&ch[i]);
            bench_corpus_free(&corpus);
            return 0;
        }
    }

    /* model */
    bench_hero_config(bc, &hc);
    if (hero_model_init(&m, &hc, &err)) bench_die("hero_model_init", &err);
    if (bench_init_model(&m, seed, &err)) bench_die("init", &err);
    if (hero_model_set_precision(&m, prec, &err)) bench_die("precision", &err);
    memset(&batch, 0, sizeof(batch));
    memset(&o, 0, sizeof(o));
    if (!strcmp(case_name, "update")) {
        hero_adamw_config ac = hero_adamw_default();
        hero_rng gr;
        hero_rng_seed(&gr, 99);
        if (hero_optimizer_init(&o, &m, &ac, &err)) bench_die("hero_optimizer_init", &err);
        for (i = 0; i < m.n_params; i++) {
            size_t j;
            m.table[i].has_grad = 1;
            for (j = 0; j < m.table[i].numel; j++) m.table[i].grad[j] = 1e-3f * bench_normal(&gr);
        }
        if (hero_model_upload(&m, &err)) bench_die("upload", &err); /* a GPU model: the gradients to the GPU */
        {
            size_t np = 0;
            for (i = 0; i < m.n_params; i++) np += m.table[i].numel;
            snprintf(shape, sizeof(shape), "params=%zu", np);
        }
    } else {
        hero_task task = bench_case_task[ci];
        if (hero_build_batch(&batch, task, corpus.videos, corpus.n_videos, &opt, task == HERO_TASK_REPR ? NULL : &ch[task],
                             NULL, &err))
            bench_die("hero_build_batch", &err);
        snprintf(shape, sizeof(shape), "S%d,Lt%d,Lv%d,Lg%d,B%d,L%d,mlm%d,msk%d,q%d", batch.S, batch.Lt, batch.Lv, batch.Lg,
                 batch.B, batch.L, batch.n_mlm, batch.n_masked, batch.Nq);
    }

    times = (double *)bench_xalloc(sizeof(double) * (size_t)iters);
    gemm_s = (double *)bench_xalloc(sizeof(double) * (size_t)iters);
    memset(&res, 0, sizeof(res));
    for (it = -warmup; it < iters; it++) {
        int rc;
        if (it == 0) {
            bench_perf_ctl("enable");
#ifdef HERO_USE_CBLAS
            if (want_stats) {
                bench_shapes = (bench_shape *)bench_xalloc(sizeof(bench_shape) * BENCH_MAX_SHAPES);
                bench_stats_on = 1;
            }
#endif
        }
        if (ci != 5 && ci != 0) hero_zero_grad(&m);
        bench_gemm_flops = bench_gemm_sec = 0;
        bench_gemm_calls = 0;
        t0 = bench_now();
        if (ci == 5) rc = hero_optimizer_step(&o, &m, NULL, NULL, &err);
        else rc = hero_forward_backward(&m, &batch, ci != 0, NULL, &res, &err);
        if (!rc) rc = hero_model_sync(&m, &err); /* a GPU model: its queued work done */
        if (rc) bench_die(case_name, &err);
        if (it >= 0) {
            times[it] = bench_now() - t0;
            gemm_s[it] = bench_gemm_sec;
            flops = bench_gemm_flops;
            calls = bench_gemm_calls;
        }
    }
    bench_perf_ctl("disable");
#ifdef HERO_USE_CBLAS
    bench_stats_on = 0;
#endif
    t_min = times[0];
    for (i = 1; i < iters; i++) if (times[i] < t_min) t_min = times[i];
    med = bench_median(times, iters);
#if defined(HERO_CUDA) && !defined(HERO_CUDA_EMU)
    {
        size_t fr = 0, tot = 0;
        if (cudaMemGetInfo(&fr, &tot) == cudaSuccess) gpu_mb = (double)(tot - fr) / 1048576.0;
    }
#endif
    printf("CASE name=%s-%s side=hero time=%.6f min=%.6f iters=%d warmup=%d gflop=%.3f gflops=%.2f gemm_s=%.6f "
           "gemm_calls=%ld maxrss_mb=%.1f arena_mb=%.1f gpu_mb=%.1f loss=%.6g device=%s prec=%s shape=%s\n",
           bc->prefix, case_name, med, t_min, iters, warmup, flops * 1e-9, flops > 0 ? flops * 1e-9 / med : 0.0,
           bench_median(gemm_s, iters), calls, bench_maxrss_mb(), (double)m.arena.peak / 1048576.0, gpu_mb,
           ci == 5 ? 0.0 : (double)res.loss, strncmp(hero_model_device(&m), "cuda", 4) ? "cpu" : "cuda", prec_name, shape);
    if (want_stats) bench_print_shapes(iters, med);
    free(times);
    free(gemm_s);
#ifdef HERO_USE_CBLAS
    free(bench_shapes);
#endif
    hero_batch_free(&batch);
    hero_optimizer_free(&o);
    hero_model_free(&m);
    for (i = 0; i < HERO_TASK_COUNT; i++) hero_choices_free(&ch[i]);
    bench_corpus_free(&corpus);
    return 0;
}

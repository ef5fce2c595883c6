/* hero.h v0.1.0 - HERO video+language encoder (Li et al., EMNLP 2020) in one C header - MIT license (see end of file)

   HERO: a hierarchical encoder. A cross-modal transformer reads each subtitle together
   with its video frames; a temporal transformer then reads the whole video's frame
   sequence, each frame carrying what the cross-modal pass learnt about it. Four
   pre-training objectives teach it: masked language modelling (MLM), masked frame
   modelling (MFM, NCE or regression), frame order modelling (FOM) and video-subtitle
   matching (VSM). This file computes all of it, forward and backward, number for number
   like the official PyTorch release (linjieli222/HERO), on the CPU.

   USAGE
     In ONE C or C++ file:
         #define HERO_IMPLEMENTATION
         #include "hero.h"
     Everywhere else just #include "hero.h".

     Minimal program (loads a released checkpoint, runs one task):

         hero_model m; hero_error err; hero_result res; hero_batch b;
         if (hero_model_load(&m, "config.json", "hero-tv-ht100.pt", NULL, &err)) {
             fprintf(stderr, "%s\n", err.msg); return 1;
         }
         ... fill b (hero_build_batch, or by hand: see hero_batch) ...
         hero_zero_grad(&m);
         hero_forward_backward(&m, &b, 1, NULL, &res, &err);  // loss in res.loss, grads in m
         hero_model_free(&m);

   OPTIONS (define before including, in the implementation file)
     HERO_STATIC            all functions static (private copy in this translation unit)
     HERO_MALLOC/HERO_REALLOC/HERO_FREE   custom allocator (define all three or none)
     HERO_ASSERT(x)         internal invariant checks (default: assert.h); never used for input checks
     HERO_USE_CBLAS         use an external cblas_sgemm (OpenBLAS); otherwise a portable GEMM
     HERO_NO_STDIO          (not yet) -- file loading needs stdio today

   ERRORS
     Every function that can fail returns 0 on success or a negative HERO_E* code and fills
     the hero_error* it was given (may be NULL) with a message that names the file, the
     tensor, and what was expected vs found. Nothing in the library calls exit or abort.
     There is no global state: a model carries everything it needs.

   CONTENTS (in data-flow order)
     1. basics: errors, dtypes, allocation            8. heads: MLM, MFM (NCE, regression), FOM
     2. tensors in files: JSON, safetensors, torch.save 9. VSM: query encoder, span + ranking losses
     3. GEMM (portable or CBLAS) and elementwise ops   10. model: load, forward+backward per task
     4. embeddings (text, frames, gather merge)        11. retrieval inference (VCMR scores)
     5. BERT post-LN layer                              12. batches from videos, PRNG
     6. cross-modal transformer                         13. AdamW, schedule, checkpoints
     7. frame fusion + temporal transformer             14. tokenizer (byte-level BPE)

   The official model's quirks are kept on purpose (see HERO-SPEC.md): token type 1 for text
   and frames, text positions from 0, LayerNorm eps 1e-12 inside transformer layers and 1e-5
   elsewhere, -10000 attention masks but -1e4 mask_logits, 100 FOM classes, MFM negatives
   taken from padding positions, the VSM conv reading padding frames.
*/
#ifndef HERO_H
#define HERO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef HERODEF
#ifdef HERO_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define HERODEF static __attribute__((unused))
#else
#define HERODEF static
#endif
#else
#define HERODEF extern
#endif
#endif

#define HERO_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================
   1. Basics
   ====================================================================================== */

/* Error codes (negative). 0 = success. */
enum {
    HERO_OK = 0,
    HERO_EIO = -1,      /* cannot open / read / write a file */
    HERO_EFORMAT = -2,  /* malformed or unsupported file content */
    HERO_ESHAPE = -3,   /* shape / dtype mismatch */
    HERO_ENOMEM = -4,   /* allocation failed */
    HERO_EINVAL = -5,   /* bad argument */
    HERO_ELIMIT = -6,   /* input exceeds a safety limit */
    HERO_EMISSING = -7, /* a required key / tensor is missing */
    HERO_ENUMERIC = -8  /* NaN / Inf */
};

/* The failure reason: filled by every function that takes a hero_error* (may be NULL). */
typedef struct hero_error {
    int code;      /* HERO_E* or 0 */
    char msg[512]; /* which file, which tensor, expected vs found */
} hero_error;

/* Short text for an error code. */
HERODEF const char *hero_strerror(int code);

/* Element types of tensors in files. */
typedef enum hero_dtype {
    HERO_F32 = 0, HERO_F16, HERO_BF16, HERO_F64,
    HERO_I64, HERO_I32, HERO_I16, HERO_I8, HERO_U8, HERO_BOOL,
    HERO_DTYPE_COUNT
} hero_dtype;

/* "f32","f16","bf16","f64","i64","i32","i16","i8","u8","bool" */
HERODEF const char *hero_dtype_name(hero_dtype t);
/* Bytes per element. */
HERODEF int hero_dtype_size(hero_dtype t);

#include "wip/formats_api.h"

/* ======================================================================================
   Model configuration: the official model-config JSON (f_config, c_config, q_config)
   ====================================================================================== */

#define HERO_MAX_LAYERS 24

typedef struct hero_config {
    /* cross-modal transformer (f_config) */
    int H;             /* hidden size (shared by f, c, q: the official model needs them equal) */
    int f_heads, f_inter, f_layers, f_max_pos;
    int V, Vp;         /* vocabulary, padded to a multiple of 8 */
    /* temporal transformer (c_config) */
    int c_heads, c_inter, c_layers, c_max_pos;
    /* query encoder (q_config; no layers: one attention block) */
    int q_heads, q_max_pos;
    float layer_norm_eps; /* inside transformer layers: 1e-12 unless the JSON says otherwise */
    /* from the checkpoint's tensor shapes */
    int F;             /* frame feature size (4352 in the release) */
    int max_frm_seq_len; /* cross-modal frame position table */
    int fom_classes;   /* FOM head classes (100 in the release whatever max_clip_len says) */
    /* pre-training settings (defaults = the release recipe) */
    float nce_temp, margin, lw_st_ed, lw_neg_ctx, lw_neg_q, hard_neg_weight;
    int ranking_lse;   /* 0 hinge, 1 lse */
    int use_hard_negative, hard_pool_size;
    int conv_k;        /* VSM span predictor kernel (5) */
} hero_config;

/* Reads dims from an official model-config JSON file; F / max_frm_seq_len / fom_classes are
   left 0 (they come from the checkpoint) unless a "hero" object gives them. Loss settings
   take the release defaults, then the "hero" object's values when present. */
HERODEF int hero_config_from_json(hero_config *c, const char *path, hero_error *err);
/* Release defaults for the loss settings (margin 0.1, hinge, lw 0.01/8/8, conv 5, ...). */
HERODEF void hero_config_default_losses(hero_config *c);

/* ======================================================================================
   Parameters: ONE table (X-macro) drives allocation, names, loading, saving, optimizer.
   X(field, "official state-dict name", ndim, d0, d1, d2) with shapes in terms of hero_config *c
   ====================================================================================== */

#define HERO_PARAMS_GLOBAL(X) \
    X(f_word,     "v_encoder.f_encoder.embeddings.word_embeddings.weight",        2, c->Vp, c->H, 0) \
    X(f_pos,      "v_encoder.f_encoder.embeddings.position_embeddings.weight",    2, c->f_max_pos, c->H, 0) \
    X(f_type,     "v_encoder.f_encoder.embeddings.token_type_embeddings.weight",  2, 2, c->H, 0) \
    X(f_ln_w,     "v_encoder.f_encoder.embeddings.LayerNorm.weight",              1, c->H, 0, 0) \
    X(f_ln_b,     "v_encoder.f_encoder.embeddings.LayerNorm.bias",                1, c->H, 0, 0) \
    X(img_ln_w,   "v_encoder.f_encoder.img_embeddings.img_LayerNorm.weight",      1, c->F, 0, 0) \
    X(img_ln_b,   "v_encoder.f_encoder.img_embeddings.img_LayerNorm.bias",        1, c->F, 0, 0) \
    X(img_w,      "v_encoder.f_encoder.img_embeddings.img_linear.weight",         2, c->H, c->F, 0) \
    X(img_b,      "v_encoder.f_encoder.img_embeddings.img_linear.bias",           1, c->H, 0, 0) \
    X(img_pos,    "v_encoder.f_encoder.img_embeddings.position_embeddings.weight", 2, c->max_frm_seq_len, c->H, 0) \
    X(img_mask,   "v_encoder.f_encoder.img_embeddings.mask_embedding.weight",     2, 2, c->F, 0) \
    X(img_eln_w,  "v_encoder.f_encoder.img_embeddings.LayerNorm.weight",          1, c->H, 0, 0) \
    X(img_eln_b,  "v_encoder.f_encoder.img_embeddings.LayerNorm.bias",            1, c->H, 0, 0) \
    X(f_pool_w,   "v_encoder.f_encoder.pooler.dense.weight",                      2, c->H, c->H, 0) \
    X(f_pool_b,   "v_encoder.f_encoder.pooler.dense.bias",                        1, c->H, 0, 0) \
    X(lm_w,       "v_encoder.f_encoder.lm_head.dense.weight",                     2, c->H, c->H, 0) \
    X(lm_b,       "v_encoder.f_encoder.lm_head.dense.bias",                       1, c->H, 0, 0) \
    X(lm_ln_w,    "v_encoder.f_encoder.lm_head.LayerNorm.weight",                 1, c->H, 0, 0) \
    X(lm_ln_b,    "v_encoder.f_encoder.lm_head.LayerNorm.bias",                   1, c->H, 0, 0) \
    X(lm_bias,    "v_encoder.f_encoder.lm_head.bias",                             1, c->Vp, 0, 0) \
    X(ft_ln_w,    "v_encoder.frame_transform.LayerNorm.weight",                   1, c->F, 0, 0) \
    X(ft_ln_b,    "v_encoder.frame_transform.LayerNorm.bias",                     1, c->F, 0, 0) \
    X(ft_w,       "v_encoder.frame_transform.net.1.weight",                       2, c->H, c->F, 0) \
    X(ft_b,       "v_encoder.frame_transform.net.1.bias",                         1, c->H, 0, 0) \
    X(c_pos,      "v_encoder.c_encoder.embeddings.position_embeddings.weight",    2, c->c_max_pos, c->H, 0) \
    X(c_ln_w,     "v_encoder.c_encoder.embeddings.LayerNorm.weight",              1, c->H, 0, 0) \
    X(c_ln_b,     "v_encoder.c_encoder.embeddings.LayerNorm.bias",                1, c->H, 0, 0) \
    X(c_pool_w,   "v_encoder.c_encoder.pooler.dense.weight",                      2, c->H, c->H, 0) \
    X(c_pool_b,   "v_encoder.c_encoder.pooler.dense.bias",                        1, c->H, 0, 0) \
    X(fr0_w,      "v_encoder.feat_regress.net.0.weight",                          2, c->H, c->H, 0) \
    X(fr0_b,      "v_encoder.feat_regress.net.0.bias",                            1, c->H, 0, 0) \
    X(fr_ln_w,    "v_encoder.feat_regress.net.2.weight",                          1, c->H, 0, 0) \
    X(fr_ln_b,    "v_encoder.feat_regress.net.2.bias",                            1, c->H, 0, 0) \
    X(fr3_w,      "v_encoder.feat_regress.net.3.weight",                          2, c->F, c->H, 0) \
    X(fr3_b,      "v_encoder.feat_regress.net.3.bias",                            1, c->F, 0, 0) \
    X(v_mask,     "v_encoder.mask_embedding.weight",                              2, 2, c->F, 0) \
    X(fom1_w,     "v_encoder.fom_output.linear_1.weight",                         2, 2 * c->H, c->H, 0) \
    X(fom1_b,     "v_encoder.fom_output.linear_1.bias",                           1, 2 * c->H, 0, 0) \
    X(fom_ln_w,   "v_encoder.fom_output.LayerNorm.weight",                        1, 2 * c->H, 0, 0) \
    X(fom_ln_b,   "v_encoder.fom_output.LayerNorm.bias",                          1, 2 * c->H, 0, 0) \
    X(fom2_w,     "v_encoder.fom_output.linear_2.weight",                         2, c->fom_classes, 2 * c->H, 0) \
    X(fom2_b,     "v_encoder.fom_output.linear_2.bias",                           1, c->fom_classes, 0, 0) \
    X(qin_ln_w,   "q_feat_attn.query_input_proj.LayerNorm.weight",                1, c->H, 0, 0) \
    X(qin_ln_b,   "q_feat_attn.query_input_proj.LayerNorm.bias",                  1, c->H, 0, 0) \
    X(qin_w,      "q_feat_attn.query_input_proj.net.1.weight",                    2, c->H, c->H, 0) \
    X(qin_b,      "q_feat_attn.query_input_proj.net.1.bias",                      1, c->H, 0, 0) \
    X(q_pos,      "q_feat_attn.query_pos_embed.position_embeddings.weight",       2, c->q_max_pos, c->H, 0) \
    X(q_pos_ln_w, "q_feat_attn.query_pos_embed.LayerNorm.weight",                 1, c->H, 0, 0) \
    X(q_pos_ln_b, "q_feat_attn.query_pos_embed.LayerNorm.bias",                   1, c->H, 0, 0) \
    X(q_mod,      "q_feat_attn.modular_vector_mapping.weight",                    2, 1, c->H, 0) \
    X(vq_w,       "video_query_linear.weight",                                    2, c->H, c->H, 0) \
    X(vq_b,       "video_query_linear.bias",                                      1, c->H, 0, 0) \
    X(st_w,       "video_st_predictor.weight",                                    3, 1, 1, c->conv_k) \
    X(ed_w,       "video_ed_predictor.weight",                                    3, 1, 1, c->conv_k)

/* one attention block (BertAttention): names relative to "...attention." / "query_self_attention." */
#define HERO_PARAMS_ATTN(X) \
    X(q_w,  "self.query.weight",        2, c->H, c->H, 0) \
    X(q_b,  "self.query.bias",          1, c->H, 0, 0) \
    X(k_w,  "self.key.weight",          2, c->H, c->H, 0) \
    X(k_b,  "self.key.bias",            1, c->H, 0, 0) \
    X(v_w,  "self.value.weight",        2, c->H, c->H, 0) \
    X(v_b,  "self.value.bias",          1, c->H, 0, 0) \
    X(o_w,  "output.dense.weight",      2, c->H, c->H, 0) \
    X(o_b,  "output.dense.bias",        1, c->H, 0, 0) \
    X(ln_w, "output.LayerNorm.weight",  1, c->H, 0, 0) \
    X(ln_b, "output.LayerNorm.bias",    1, c->H, 0, 0)

/* the feed-forward half of a BertLayer: names relative to "...layer.{i}."; Dff = intermediate size */
#define HERO_PARAMS_FFN(X) \
    X(i_w,   "intermediate.dense.weight", 2, Dff, c->H, 0) \
    X(i_b,   "intermediate.dense.bias",   1, Dff, 0, 0) \
    X(f_w,   "output.dense.weight",       2, c->H, Dff, 0) \
    X(f_b,   "output.dense.bias",         1, c->H, 0, 0) \
    X(fln_w, "output.LayerNorm.weight",   1, c->H, 0, 0) \
    X(fln_b, "output.LayerNorm.bias",     1, c->H, 0, 0)

#define HERO__FIELD(field, name, nd, d0, d1, d2) float *field;
typedef struct hero_attn_params { HERO_PARAMS_ATTN(HERO__FIELD) } hero_attn_params;
typedef struct hero_layer_params {
    hero_attn_params attn;
    HERO_PARAMS_FFN(HERO__FIELD)
} hero_layer_params;
typedef struct hero_params {
    HERO_PARAMS_GLOBAL(HERO__FIELD)
    hero_attn_params q_attn;                      /* q_feat_attn.query_self_attention.* */
    hero_layer_params f_layer[HERO_MAX_LAYERS];   /* v_encoder.f_encoder.encoder.layer.{i}.* */
    hero_layer_params c_layer[HERO_MAX_LAYERS];   /* v_encoder.c_encoder.encoder.layer.{i}.* */
} hero_params;
#undef HERO__FIELD

/* One entry of the parameter table, built from the X-macros above. */
typedef struct hero_param {
    char name[96];     /* official state-dict name */
    int ndim;
    int shape[3];
    size_t numel;
    size_t offset;     /* in floats, into the parameter / gradient / moment blocks */
    float *data, *grad;
    int decay;         /* 1 unless the name contains "bias" or "LayerNorm.weight" */
    int has_grad;      /* set once a backward pass has written its gradient (official p.grad != None) */
} hero_param;

#include "wip/batch_api.h"
#include "wip/data_api.h"

/* What a forward (and backward) pass produced. Pointers stay valid until the next call on the model. */
typedef struct hero_result {
    float loss;
    /* cross-modal encoder (REPR, MFM, FOM, VSM context; MLM rows) */
    const float *f_seq;      /* [S, Lg, H] */
    const float *f_pooled;   /* [S, H] (REPR only) */
    /* temporal */
    const float *transformed; /* [B, L, H] fused frame features (before the temporal transformer) */
    const float *c_seq;      /* [B, L, H] the video representation */
    /* heads */
    const float *loss_vec; int n_loss_vec, loss_vec_cols; /* MLM/NCE [n]; MFFR [n, F] */
    const float *scores; int n_rows, n_cols;   /* MLM prediction_scores [n, V]; FOM logits [B*L, classes] */
    const float *pred_feat; int n_pred;        /* MFM [n_masked, F] */
    const float *neg_pred_feat; int n_neg;     /* MFM-NCE [n_neg, F] */
    /* VSM */
    float loss_st_ed, loss_neg_ctx, loss_neg_q;  /* already weighted */
    const float *mod_query;   /* [Nq, H] */
    const float *st_prob, *ed_prob; /* [Nq, B, L] masked logits */
    const float *q2video;     /* [Nq, B] */
    const float *neg_ctx_mat; int neg_ctx_cols; /* [Nq, B-1] */
    const float *neg_q_mat; int neg_q_cols;     /* [Nq, Nq-qpv] */
} hero_result;

/* A growing scratch arena for activations (reset at every forward). */
typedef struct hero_arena {
    unsigned char **chunks;
    size_t *caps;
    int n_chunks, cap_chunks;
    size_t used;      /* in the last chunk */
    size_t total;     /* sum of caps */
    size_t peak;      /* most bytes used in one pass */
} hero_arena;

typedef struct hero_model {
    hero_config cfg;
    hero_params p, g;         /* pointers into params / grads */
    hero_param *table; int n_params;
    float *params, *grads;    /* one block each */
    size_t n_floats;
    hero_arena arena;
    int vocab_padded;         /* the checkpoint's vocab_padded entry (or 1 if Vp > V) */
} hero_model;

/* Allocates a model for the given dims with zeroed parameters. */
HERODEF int hero_model_init(hero_model *m, const hero_config *c, hero_error *err);
/* Loads a model: dims from the config JSON, F / frame table / FOM classes from the checkpoint
   (.pt zip or legacy, .bin, .safetensors). report (may be NULL) receives the missing/unexpected keys. */
typedef struct hero_load_report {
    char missing[4096];     /* keys the model has and the file lacks, comma separated (truncated) */
    char unexpected[4096];  /* keys the file has and the model lacks */
    int n_missing, n_unexpected, n_loaded;
} hero_load_report;
HERODEF int hero_model_load(hero_model *m, const char *config_json, const char *checkpoint,
                            hero_load_report *report, hero_error *err);
/* Copies the tensors of an open tensor file into a model (names as the official state dict). */
HERODEF int hero_model_load_state(hero_model *m, const hero_tensorfile *tf, hero_load_report *report,
                                  hero_error *err);
HERODEF void hero_model_free(hero_model *m);
/* The parameter table entry with this official name, or NULL. */
HERODEF hero_param *hero_model_param(hero_model *m, const char *name);
/* Zero all gradients (keeps has_grad flags, as the official zero_grad keeps the tensors). */
HERODEF void hero_zero_grad(hero_model *m);

/* Runs the batch's task. backward != 0 adds d(loss)/d(param) into the model's gradients.
   For HERO_TASK_REPR the loss is sum(c_seq * repr_grad) when repr_grad [B*L*H] is given, else 0. */
HERODEF int hero_forward_backward(hero_model *m, const hero_batch *b, int backward,
                                  const float *repr_grad, hero_result *res, hero_error *err);

/* Retrieval inference (as the official VCMR evaluation): every query against every video.
   frames = c_seq of the videos [B, L, H] with mask [B, L]; mq = modularized queries [Nq, H].
   q2video [Nq, B] (max over frames of cosine similarity, masked with -1e4);
   st / ed [Nq, B, L] start / end logits after mask_logits. Any output may be NULL. */
HERODEF int hero_vcmr_scores(hero_model *m, const float *mq, int Nq, const float *frames,
                             const int32_t *mask, int B, int L, float *q2video, float *st, float *ed,
                             hero_error *err);
/* Encodes queries: ids / mask [Nq, Lq] (CLS + words, padded with 1 / 0) -> mq [Nq, H]. */
HERODEF int hero_encode_queries(hero_model *m, const int32_t *ids, const int32_t *mask, int Nq, int Lq,
                                float *mq, hero_error *err);

/* ======================================================================================
   AdamW exactly as the official optim/adamw.py: bias correction, eps outside the sqrt,
   decoupled weight decay after the Adam update (not for names with "bias" or
   "LayerNorm.weight"), per-parameter step counts; a parameter that never received a
   gradient is not touched. lr = lr * warmup_linear(step); global grad-norm clipping.
   ====================================================================================== */
typedef struct hero_adamw_config {
    float lr, beta1, beta2, eps, weight_decay;
    int64_t warmup_steps, total_steps;
    float grad_clip;       /* <= 0: no clipping */
} hero_adamw_config;

typedef struct hero_optimizer {
    hero_adamw_config cfg;
    float *m, *v;          /* first / second moments, laid out like the parameters */
    int64_t *steps;        /* per-parameter update counts */
    int n_params;
    int64_t step;          /* optimizer updates done (the schedule's step) */
} hero_optimizer;

/* Release recipe: lr 3e-5, betas 0.9/0.98, eps 1e-6, wd 0.01, warmup 10k of 100k, clip 1.0. */
HERODEF hero_adamw_config hero_adamw_default(void);
HERODEF int hero_optimizer_init(hero_optimizer *o, const hero_model *m, const hero_adamw_config *c, hero_error *err);
HERODEF void hero_optimizer_free(hero_optimizer *o);
/* The BERT schedule factor for 1-based update `step`. */
HERODEF float hero_warmup_linear(int64_t step, int64_t warmup, int64_t total);
/* L2 norm of all gradients (parameters that have one). */
HERODEF float hero_grad_norm(const hero_model *m);
/* One update: schedule, clipping, AdamW, then zero the gradients. A NaN/Inf gradient is
   reported (which parameter) and the update is not applied. grad_norm / lr may be NULL. */
HERODEF int hero_optimizer_step(hero_optimizer *o, hero_model *m, float *grad_norm, float *lr, hero_error *err);

#include "wip/train_api.h"
#include "wip/media_api.h"
#include "wip/init_api.h"

#ifdef __cplusplus
}
#endif
#endif /* HERO_H */

/* ######################################################################################
   IMPLEMENTATION
   ###################################################################################### */
#ifdef HERO_IMPLEMENTATION
#ifndef HERO_IMPLEMENTATION_DONE
#define HERO_IMPLEMENTATION_DONE

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#if defined(HERO_MALLOC) && defined(HERO_FREE) && defined(HERO_REALLOC)
#elif !defined(HERO_MALLOC) && !defined(HERO_FREE) && !defined(HERO_REALLOC)
#define HERO_MALLOC(sz) malloc(sz)
#define HERO_REALLOC(p, sz) realloc(p, sz)
#define HERO_FREE(p) free(p)
#else
#error "hero.h: define all or none of HERO_MALLOC, HERO_REALLOC, HERO_FREE"
#endif

#ifndef HERO_ASSERT
#include <assert.h>
#define HERO_ASSERT(x) assert(x)
#endif

#ifdef HERO_USE_CBLAS
#include <cblas.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HERO__MAYBE_UNUSED __attribute__((unused))
#else
#define HERO__MAYBE_UNUSED
#endif

/* ======================================================================================
   1. Basics
   ====================================================================================== */

static int hero__fail(hero_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int hero__fail(hero_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

HERODEF const char *hero_strerror(int code) {
    switch (code) {
    case HERO_OK: return "ok";
    case HERO_EIO: return "i/o error";
    case HERO_EFORMAT: return "malformed or unsupported file";
    case HERO_ESHAPE: return "shape or dtype mismatch";
    case HERO_ENOMEM: return "out of memory";
    case HERO_EINVAL: return "invalid argument";
    case HERO_ELIMIT: return "input exceeds a safety limit";
    case HERO_EMISSING: return "missing key or tensor";
    case HERO_ENUMERIC: return "non-finite value";
    default: return "unknown error";
    }
}

HERODEF const char *hero_dtype_name(hero_dtype t) {
    static const char *names[] = {"f32", "f16", "bf16", "f64", "i64", "i32", "i16", "i8", "u8", "bool"};
    return ((int)t >= 0 && t < HERO_DTYPE_COUNT) ? names[t] : "?";
}

HERODEF int hero_dtype_size(hero_dtype t) {
    static const int sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};
    return ((int)t >= 0 && t < HERO_DTYPE_COUNT) ? sizes[t] : 0;
}

#include "wip/formats_impl.h"

/* ======================================================================================
   3. Scratch arena, GEMM, elementwise ops. Each op's forward and backward side by side.
      Backward functions ADD into their input-gradient buffers (which start zeroed).
   ====================================================================================== */

static void hero__arena_free(hero_arena *a) {
    int i;
    for (i = 0; i < a->n_chunks; i++) HERO_FREE(a->chunks[i]);
    HERO_FREE(a->chunks);
    HERO_FREE(a->caps);
    memset(a, 0, sizeof(*a));
}

/* Forget everything allocated; keeps one chunk as large as the last pass needed. */
static void hero__arena_reset(hero_arena *a) {
    size_t need = 0;
    int i;
    for (i = 0; i < a->n_chunks - 1; i++) need += a->caps[i];
    if (a->n_chunks > 1) {
        need += a->used;
        for (i = 0; i < a->n_chunks; i++) HERO_FREE(a->chunks[i]);
        a->n_chunks = 0;
        a->total = 0;
        a->chunks[0] = (unsigned char *)HERO_MALLOC(need);
        if (a->chunks[0]) { a->caps[0] = need; a->n_chunks = 1; a->total = need; }
    }
    a->used = 0;
}

/* Zeroed, 64-byte aligned scratch memory; NULL when out of memory. */
static void *hero__alloc(hero_arena *a, size_t bytes) {
    unsigned char *p;
    size_t off, used_total;
    int i;
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    off = a->n_chunks ? ((a->used + 63) & ~(size_t)63) : 0;
    if (!a->n_chunks || off + bytes > a->caps[a->n_chunks - 1]) {
        size_t cap = bytes + 64 > ((size_t)1 << 24) ? bytes + 64 : ((size_t)1 << 24);
        if (a->total > cap) cap = a->total;
        if (a->n_chunks == a->cap_chunks) {
            int nc = a->cap_chunks ? 2 * a->cap_chunks : 8;
            unsigned char **ch = (unsigned char **)HERO_REALLOC(a->chunks, (size_t)nc * sizeof(*ch));
            size_t *caps;
            if (!ch) return NULL;
            a->chunks = ch;
            caps = (size_t *)HERO_REALLOC(a->caps, (size_t)nc * sizeof(*caps));
            if (!caps) return NULL;
            a->caps = caps;
            a->cap_chunks = nc;
        }
        a->chunks[a->n_chunks] = (unsigned char *)HERO_MALLOC(cap);
        if (!a->chunks[a->n_chunks]) return NULL;
        a->caps[a->n_chunks++] = cap;
        a->total += cap;
        a->used = 0;
        off = ((size_t)(uintptr_t)a->chunks[a->n_chunks - 1]) & 63 ? 64 - (((size_t)(uintptr_t)a->chunks[a->n_chunks - 1]) & 63) : 0;
    }
    p = a->chunks[a->n_chunks - 1] + off;
    a->used = off + bytes;
    used_total = a->used;
    for (i = 0; i < a->n_chunks - 1; i++) used_total += a->caps[i];
    if (used_total > a->peak) a->peak = used_total;
    memset(p, 0, bytes);
    return p;
}

/* C[M,N] = alpha * op(A)[M,K] op(B)[K,N] + beta * C, row-major; ta/tb: 1 = transposed operand. */
static void hero__gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc) {
#ifdef HERO_USE_CBLAS
    if (M > 0 && N > 0) {
        if (K <= 0) {
            int i, j;
            for (i = 0; i < M; i++) for (j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
            return;
        }
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
#else
    int i, j, k, i0, k0, j0;
    enum { BI = 64, BK = 256, BJ = 512 };
    for (i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (beta == 0.0f) for (j = 0; j < N; j++) c[j] = 0.0f;
        else if (beta != 1.0f) for (j = 0; j < N; j++) c[j] *= beta;
    }
    if (!tb) {
        /* C += A B with B rows contiguous: i-k-j loops, cache blocked */
        for (i0 = 0; i0 < M; i0 += BI)
            for (k0 = 0; k0 < K; k0 += BK)
                for (j0 = 0; j0 < N; j0 += BJ) {
                    int i1 = i0 + BI < M ? i0 + BI : M, k1 = k0 + BK < K ? k0 + BK : K;
                    int j1 = j0 + BJ < N ? j0 + BJ : N;
                    for (i = i0; i < i1; i++) {
                        float *c = C + (size_t)i * ldc;
                        for (k = k0; k < k1; k++) {
                            float a = alpha * (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
                            const float *b = B + (size_t)k * ldb;
                            if (a == 0.0f) continue;
                            for (j = j0; j < j1; j++) c[j] += a * b[j];
                        }
                    }
                }
    } else {
        /* C += A B^T: dot products of rows, 4 columns at a time */
        for (i = 0; i < M; i++) {
            float *c = C + (size_t)i * ldc;
            const float *a = ta ? NULL : A + (size_t)i * lda;
            for (j = 0; j < N; j++) {
                const float *b = B + (size_t)j * ldb;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                if (a) {
                    for (k = 0; k + 4 <= K; k += 4) {
                        s0 += a[k] * b[k]; s1 += a[k + 1] * b[k + 1];
                        s2 += a[k + 2] * b[k + 2]; s3 += a[k + 3] * b[k + 3];
                    }
                    for (; k < K; k++) s0 += a[k] * b[k];
                } else {
                    for (k = 0; k < K; k++) s0 += A[(size_t)k * lda + i] * b[k];
                }
                c[j] += alpha * ((s0 + s1) + (s2 + s3));
            }
        }
    }
#endif
}

/* linear: out[N,O] = in[N,K] W[O,K]^T + b[O] (b may be NULL) */
static void hero__linear_fwd(float *out, const float *in, const float *W, const float *b, int N, int K, int O) {
    int n, o;
    hero__gemm(0, 1, N, O, K, 1.0f, in, K, W, K, 0.0f, out, O);
    if (b) for (n = 0; n < N; n++) for (o = 0; o < O; o++) out[(size_t)n * O + o] += b[o];
}
/* linear backward: din[N,K] += dout W; dW[O,K] += dout^T in; db[O] += sum_n dout (any may be NULL) */
static void hero__linear_bwd(float *din, float *dW, float *db, const float *dout, const float *in, const float *W,
                             int N, int K, int O) {
    int n, o;
    if (N <= 0) return;
    if (din) hero__gemm(0, 0, N, K, O, 1.0f, dout, O, W, K, 1.0f, din, K);
    if (dW) hero__gemm(1, 0, O, K, N, 1.0f, dout, O, in, K, 1.0f, dW, K);
    if (db) for (n = 0; n < N; n++) for (o = 0; o < O; o++) db[o] += dout[(size_t)n * O + o];
}

/* layernorm over the last dim: out[N,C] = (x - mean) * rstd * w + b; saves mean, rstd [N] */
static void hero__layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                                const float *b, int N, int C, float eps) {
    int n, i;
    for (n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C;
        float *o = out + (size_t)n * C;
        double m = 0, v = 0;
        float mf, rs;
        for (i = 0; i < C; i++) m += xr[i];
        m /= C;
        for (i = 0; i < C; i++) { double d = xr[i] - m; v += d * d; }
        v /= C;
        mf = (float)m;
        rs = (float)(1.0 / sqrt(v + eps));
        for (i = 0; i < C; i++) o[i] = (xr[i] - mf) * rs * w[i] + b[i];
        if (mean) mean[n] = mf;
        if (rstd) rstd[n] = rs;
    }
}
/* layernorm backward: dx[N,C] += ..., dw[C] += sum dout*xhat, db[C] += sum dout */
static void hero__layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                                const float *mean, const float *rstd, const float *w, int N, int C) {
    int n, i;
    for (n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C, *dr = dout + (size_t)n * C;
        float m = mean[n], rs = rstd[n];
        double s1 = 0, s2 = 0;
        for (i = 0; i < C; i++) {
            float xh = (xr[i] - m) * rs, dxh = dr[i] * w[i];
            s1 += dxh;
            s2 += dxh * xh;
            if (dw) dw[i] += dr[i] * xh;
            if (db) db[i] += dr[i];
        }
        if (dx) {
            float a = (float)(s1 / C), bb = (float)(s2 / C);
            float *d = dx + (size_t)n * C;
            for (i = 0; i < C; i++) {
                float xh = (xr[i] - m) * rs;
                d[i] += (dr[i] * w[i] - a - xh * bb) * rs;
            }
        }
    }
}

/* gelu (erf form): out[n] = x * 0.5 * (1 + erf(x / sqrt 2)) */
static void hero__gelu_fwd(float *out, const float *x, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) out[i] = x[i] * 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
}
/* gelu backward: dx[n] += dout * (Phi(x) + x phi(x)) */
static void hero__gelu_bwd(float *dx, const float *dout, const float *x, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
        float pdf = expf(-0.5f * x[i] * x[i]) * 0.39894228040143268f;
        dx[i] += dout[i] * (cdf + x[i] * pdf);
    }
}

/* relu in place: x[n] = max(x, 0) */
static void hero__relu_fwd(float *x, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) if (!(x[i] > 0.0f)) x[i] = 0.0f;
}
/* relu backward (from the output): dx[n] += dout where out > 0 */
static void hero__relu_bwd(float *dx, const float *dout, const float *out, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) if (out[i] > 0.0f) dx[i] += dout[i];
}

/* tanh in place: x[n] = tanh(x) */
static void hero__tanh_fwd(float *x, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) x[i] = tanhf(x[i]);
}
/* tanh backward (from the output): dx[n] += dout * (1 - out^2) */
HERO__MAYBE_UNUSED static void hero__tanh_bwd(float *dx, const float *dout, const float *out, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) dx[i] += dout[i] * (1.0f - out[i] * out[i]);
}

/* softmax over a row of n in place; returns nothing (max-subtracted) */
static void hero__softmax_row(float *x, int n) {
    int i;
    float mx = x[0], s = 0;
    for (i = 1; i < n; i++) if (x[i] > mx) mx = x[i];
    for (i = 0; i < n; i++) { x[i] = expf(x[i] - mx); s += x[i]; }
    for (i = 0; i < n; i++) x[i] /= s;
}
/* softmax backward for one row: dx[n] += p * (dp - sum(dp * p)) */
static void hero__softmax_row_bwd(float *dx, const float *dp, const float *p, int n) {
    int i;
    float s = 0;
    for (i = 0; i < n; i++) s += dp[i] * p[i];
    for (i = 0; i < n; i++) dx[i] += p[i] * (dp[i] - s);
}

/* cross-entropy of one row of logits [n] against target t: returns -log softmax[t]; saves probs */
static float hero__xent_fwd(float *prob, const float *logits, int n, int t) {
    int i;
    double mx = logits[0], s = 0;
    for (i = 1; i < n; i++) if (logits[i] > mx) mx = logits[i];
    for (i = 0; i < n; i++) s += exp((double)logits[i] - mx);
    if (prob) for (i = 0; i < n; i++) prob[i] = (float)(exp((double)logits[i] - mx) / s);
    return (float)(log(s) + mx - logits[t]);
}
/* cross-entropy backward: dlogits[n] += scale * (prob - onehot(t)) */
static void hero__xent_bwd(float *dlogits, const float *prob, int n, int t, float scale) {
    int i;
    for (i = 0; i < n; i++) dlogits[i] += scale * (prob[i] - (i == t ? 1.0f : 0.0f));
}

/* mask_logits: y = x * m + (1 - m) * -1e4 (in place over n) */
static void hero__mask_logits(float *x, const int32_t *m, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) x[i] = x[i] * (float)m[i] + (1.0f - (float)m[i]) * -1e4f;
}

/* L2 normalise rows: y[N,C] = x / max(|x|, eps); saves the norms [N] */
static void hero__l2norm_fwd(float *y, float *norm, const float *x, int N, int C, float eps) {
    int n, i;
    for (n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C;
        double s = 0;
        float nr, d;
        for (i = 0; i < C; i++) s += (double)xr[i] * xr[i];
        nr = (float)sqrt(s);
        norm[n] = nr;
        d = nr > eps ? nr : eps;
        for (i = 0; i < C; i++) y[(size_t)n * C + i] = xr[i] / d;
    }
}
/* L2 normalise backward: dx += (dy - y (y.dy)) / |x|  (or dy / eps when |x| <= eps) */
static void hero__l2norm_bwd(float *dx, const float *dy, const float *y, const float *norm, int N, int C, float eps) {
    int n, i;
    for (n = 0; n < N; n++) {
        const float *yr = y + (size_t)n * C, *dr = dy + (size_t)n * C;
        float *d = dx + (size_t)n * C;
        if (norm[n] > eps) {
            double s = 0;
            float sf;
            for (i = 0; i < C; i++) s += (double)yr[i] * dr[i];
            sf = (float)s;
            for (i = 0; i < C; i++) d[i] += (dr[i] - yr[i] * sf) / norm[n];
        } else {
            for (i = 0; i < C; i++) d[i] += dr[i] / eps;
        }
    }
}

/* conv1d, 1 channel, kernel K, padding K/2, no bias: y[N,L] = sum_j w[j] x[l + j - K/2] */
static void hero__conv1d_fwd(float *y, const float *x, const float *w, int N, int L, int K) {
    int n, l, j, p = K / 2;
    for (n = 0; n < N; n++)
        for (l = 0; l < L; l++) {
            float s = 0;
            for (j = 0; j < K; j++) {
                int t = l + j - p;
                if (t >= 0 && t < L) s += w[j] * x[(size_t)n * L + t];
            }
            y[(size_t)n * L + l] = s;
        }
}
/* conv1d backward: dx[N,L] += ..., dw[K] += ... */
static void hero__conv1d_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w, int N, int L, int K) {
    int n, l, j, p = K / 2;
    for (n = 0; n < N; n++)
        for (l = 0; l < L; l++) {
            float g = dy[(size_t)n * L + l];
            if (g == 0.0f) continue;
            for (j = 0; j < K; j++) {
                int t = l + j - p;
                if (t < 0 || t >= L) continue;
                if (dx) dx[(size_t)n * L + t] += w[j] * g;
                if (dw) dw[j] += g * x[(size_t)n * L + t];
            }
        }
}

#include "wip/model_impl.h"
#include "wip/data_impl.h"
#include "wip/train_impl.h"
#include "wip/media_impl.h"
#include "wip/init_impl.h"

#endif /* HERO_IMPLEMENTATION_DONE */
#endif /* HERO_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the hero.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/

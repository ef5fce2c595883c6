/* hero.h v0.1.0 - HERO video+language encoder (Li et al., EMNLP 2020) in one C header - MIT license (see end of file)

   HERO: a hierarchical encoder. A cross-modal transformer reads each subtitle together
   with its video frames; a temporal transformer then reads the whole video's frame
   sequence, each frame carrying what the cross-modal pass learnt about it. Four
   pre-training objectives teach it: masked language modelling (MLM), masked frame
   modelling (MFM, NCE or regression), frame order modelling (FOM) and video-subtitle
   matching (VSM). This file computes all of it, forward and backward, number for number
   like the official PyTorch release (linjieli222/HERO), on the CPU or (HERO_CUDA) on an
   NVIDIA GPU.

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
     HERO_NO_THREADS        no worker pool: every loop runs on the calling thread (section 2,
                            "Threads"; otherwise pthreads, or Win32 threads under _WIN32)
     HERO_NO_CLONES         portable GEMM: no AVX2/AVX-512 clones of its kernel (gcc/clang on
                            x86-64 ELF pick one at run time; define this for plain -O2 code);
                            also leaves out the weight formats' AVX2 / AVX-512 / BF16 / VNNI
                            kernels (their portable C paths remain)
     HERO_MPI               data-parallel pre-training over MPI (section 20; includes <mpi.h>; define
                            it wherever hero.h is included, build with mpicc). Without it nothing
                            MPI-related is compiled. With HERO_CUDA as well, GPU memory is reduced
                            and gathered by NCCL (<nccl.h>, link -lnccl).
     HERO_CUDA              run every model on the GPU (the implementation file compiled by nvcc
                            as CUDA C++, linked with -lcublas; `make cuda`): see "Where a model
                            runs" below and section 19. No GPU: hero_model_init fails with
                            HERO_EDEVICE and the reason.
     HERO_NO_TOKENIZER      compile out the tokenizer (section 16; also hero_video_prepare)
     HERO_NO_MEDIA          compile out subtitles, features, alignment, VCMR ranking and the
                            retrieval metrics (section 17)
     HERO_NO_TORCH          compile out the torch.save readers (pickle, legacy, torch zip; a .pt
                            file is then refused); safetensors, .npy / .npz stay
     HERO_CUDA_MAX_GRID     most blocks of a grid-stride kernel launch (default 1 << 20)
     HERO_CUDA_EMU          tests only: with tests/cuda_emu.h, the CUDA section runs on the CPU
     HERO_ARENA_POISON      tests only: activations that are not zeroed start as NaN (0xff bytes)

   ERRORS
     Every function that can fail returns 0 on success or a negative HERO_E* code and fills
     the hero_error* it was given (may be NULL) with a message that names the file, the
     tensor, and what was expected vs found. Nothing in the library calls exit or abort.
     There is no global state: a model carries everything it needs.

   CONTENTS: the API first (inside the include guard), then the implementation in
   data-flow order:
      1. basics: errors, dtypes, allocation         10. retrieval inference (VCMR scores)
      2. backend interface, GEMM, elementwise ops     11. loading configs and checkpoints
      3. the parameter table (one X-macro)            12. AdamW, warmup-linear, clipping
      4. BERT post-LN layer                           13. data: PRNG, batches from videos
      5. cross-modal transformer + embeddings         14. pre-training loop, resumable state
      6. frame fusion + temporal transformer          15. tensor files: JSON, safetensors,
      7. heads: MLM, MFM, FOM                             torch.save (zip, legacy), npy/npz
      8. VSM: query encoder, span + ranking losses    16. tokenizer (byte-level BPE)
      9. the model: forward+backward per task         17. subtitles, features, VCMR ranking
                                                      18. initialisation (fresh, RoBERTa)
      Section 2 opens with the backend interface      19. backends: CUDA (kernels, cuBLAS,
      (one table of functions per backend), has the       device memory, AdamW on the GPU)
      weight formats (bf16 / f16 / q8_0 products:     20. many machines: MPI (HERO_MPI),
      lean inference) and ends with the CPU backend       NCCL with HERO_CUDA
      and the hero__k_* primitives sections 4-10
      call. Section 13 ends with the task table
      (hero__tasks; what a task is: "---- [tasks]").

   The official model's quirks are kept on purpose (docs/REFERENCE.md §3): token type 1 for text
   and frames, text positions from 0, LayerNorm eps 1e-12 inside transformer layers and 1e-5
   elsewhere, -10000 attention masks but -1e4 mask_logits, 100 FOM classes, MFM negatives
   taken from padding positions, the VSM conv reading padding frames.
*/
#ifndef HERO_H
#define HERO_H

/* Before the first system header: 64-bit file offsets on 32-bit glibc (fopen and fstat of files
   over 2 GiB; off_t becomes 64-bit in the implementation's translation unit), and mingw-w64's C99
   printf (%zu, %lld). Both only take effect when hero.h comes before <stdio.h>; without the first,
   a file over 2 GiB is refused with a message saying so. */
#if defined(HERO_IMPLEMENTATION) && !defined(_FILE_OFFSET_BITS)
#define _FILE_OFFSET_BITS 64
#endif
#if defined(__MINGW32__) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#ifdef HERO_MPI
#ifdef __cplusplus
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1 /* the C API only: no MPI-2 C++ bindings */
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#endif
#include <mpi.h>
#endif

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
    HERO_ENUMERIC = -8, /* NaN / Inf */
    HERO_EDEVICE = -9,  /* HERO_CUDA: no usable GPU, or a CUDA / cuBLAS call failed */
    HERO_EDIST = -10    /* HERO_MPI: an MPI call failed, or another rank failed (section 20) */
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

/* ---- GEMM backend check (declared only with HERO_USE_CBLAS) ---- */
#ifdef HERO_USE_CBLAS
/* Is the BLAS running kernels that suit this CPU? Returns NULL when fine, or when it cannot
   tell (the BLAS is not OpenBLAS, not an x86 CPU, not gcc/clang on ELF); otherwise writes a
   one-line advice into buf[n] and returns buf, e.g.
     "OpenBLAS runs its 'Prescott' kernels on a CPU with AVX-512: export OPENBLAS_CORETYPE=SKYLAKEX (2.5-6x faster sgemm)"
   (Debian 12's OpenBLAS 0.3.21 takes recent Xeons for a Prescott). Cheap: call it once at startup. */
HERODEF const char *hero_blas_check(char *buf, size_t n);
#endif
/* Threads: hero.h's worker pool (section 2, "Threads") runs the portable GEMM and the model's
   loops (LayerNorm, GELU, attention, embeddings, cross-entropy, AdamW, ...) on n threads, the
   calling thread included; OpenBLAS gets n threads too (openblas_set_num_threads). n < 1 keeps
   the current count. Returns the count in effect for hero.h's loops (default: the online cores;
   1 with HERO_NO_THREADS or where no thread API is known). The pool is process-wide (the one
   state hero.h keeps outside a model); results are deterministic for a given thread count, and
   every loop splits its work so that most results do not depend on the count at all. Safe to
   call from several threads; a loop started while the pool is busy runs on its caller. */
HERODEF int hero_set_threads(int n);
/* The thread count hero.h's loops use now (hero_set_threads' answer without changing it). */
HERODEF int hero_get_threads(void);

/* ---- File formats: JSON, tensor files (safetensors, torch.save zip + legacy, .npy/.npz) ----

   All readers treat their input as hostile: every offset, length, count and shape product is
   checked against the bytes present, recursion is bounded, and a huge size claimed by a small
   file is an error, never an allocation. Errors fill hero_error with the file, the key/tensor
   and expected vs found. */
/* ---------------- JSON (RFC 8259, DOM) ---------------- */
#define HERO_JSON_MAX_DEPTH 64 /* deepest array/object nesting accepted */

typedef enum hero_json_type {
    HERO_JSON_NULL, HERO_JSON_BOOL, HERO_JSON_NUMBER, HERO_JSON_STRING, HERO_JSON_ARRAY, HERO_JSON_OBJECT
} hero_json_type;

typedef struct hero_json {
    hero_json_type type;
    double number;            /* HERO_JSON_NUMBER */
    int boolean;              /* HERO_JSON_BOOL: 0 or 1 */
    char *string;             /* HERO_JSON_STRING: UTF-8, NUL-terminated, escapes decoded */
    size_t len;               /* HERO_JSON_STRING: bytes in string (may contain \u0000) */
    int n;                    /* HERO_JSON_ARRAY / OBJECT: number of items */
    struct hero_json *items;  /* [n] */
    char **keys;              /* OBJECT only: keys[i] names items[i] (duplicates kept, in order) */
} hero_json;

/* Parse len bytes of JSON text into *out (freed with hero_json_free). Errors give line/column. */
HERODEF int hero_json_parse(const char *text, size_t len, hero_json *out, hero_error *err);
/* Free everything owned by *j and reset it to a JSON null. */
HERODEF void hero_json_free(hero_json *j);
/* Member `key` of an object (the first one if duplicated); NULL if absent or obj is not an object. */
HERODEF const hero_json *hero_json_get(const hero_json *obj, const char *key);
/* Read and parse a whole JSON file; errors name the path, line and column. */
HERODEF int hero_json_read_file(const char *path, hero_json *out, hero_error *err);

/* ---------------- half-precision conversions ---------------- */
/* IEEE binary16 -> float (exact; subnormals, inf and NaN kept). */
HERODEF float hero_f16_to_f32(uint16_t h);
/* bfloat16 -> float (exact). */
HERODEF float hero_bf16_to_f32(uint16_t h);
/* float -> binary16, round to nearest even; overflow gives +-inf, NaN stays NaN. */
HERODEF uint16_t hero_f32_to_f16(float f);
/* float -> bfloat16, round to nearest even; NaN stays NaN. */
HERODEF uint16_t hero_f32_to_bf16(float f);
/* Convert n floats to binary16; returns how many finite inputs overflowed to +-inf. */
HERODEF int64_t hero_f32_to_f16_buf(const float *src, uint16_t *dst, int64_t n);
/* Convert n floats to bfloat16; returns how many finite inputs overflowed to +-inf. */
HERODEF int64_t hero_f32_to_bf16_buf(const float *src, uint16_t *dst, int64_t n);

/* ---------------- tensor files ---------------- */
#define HERO_MAX_DIMS 8

typedef struct hero_tensor_info {
    char *name;
    hero_dtype dtype;
    int ndim;
    int64_t shape[HERO_MAX_DIMS];
    int64_t stride[HERO_MAX_DIMS];     /* in elements */
    int64_t offset;                    /* elements into storage */
    const unsigned char *storage;      /* little-endian element bytes, NOT necessarily aligned */
    int64_t storage_nbytes;
    int storage_id;                    /* equal for tensors sharing one storage (tied weights) */
} hero_tensor_info;

typedef struct hero_entry_info {
    char *name;
    char *kind;   /* "int","float","str","bytes","bool","none","dict","list","tuple","storage","object" */
    char *value;  /* printable: "3", "0.5", "True", "None", the string itself, "{}" for an empty dict */
} hero_entry_info;

typedef enum hero_file_format {
    HERO_FMT_SAFETENSORS = 1, HERO_FMT_TORCH_ZIP, HERO_FMT_TORCH_LEGACY, HERO_FMT_NPY, HERO_FMT_NPZ
} hero_file_format;

/* An opened tensor file. The whole file is held in `buf`; tensors point into it (or into
   inflated members). Torch checkpoints are flattened: nested dicts / lists give names joined
   with "." ({"model": {"w": t}} -> "model.w"; list items by index), a bare tensor is named "-";
   non-tensor leaves (ints, bools, strings, None, empty containers) become `entries`. */
typedef struct hero_tensorfile {
    hero_file_format format;
    char *path;
    unsigned char *buf;
    size_t size;
    hero_tensor_info *tensors;
    int n_tensors;
    hero_entry_info *entries;
    int n_entries;
    hero_json meta;            /* safetensors __metadata__ object (type HERO_JSON_NULL if none) */
    unsigned char **blobs;     /* internal: decompressed zip members */
    int n_blobs;
    size_t map_len;            /* buf is a read-only-file memory map of this many bytes (POSIX), 0: HERO_MALLOC'd */
    /* torch files: what the pickle's root object is ("dict", "list", "tuple", "tensor", "int",
       "str", "none", ... as hero_entry_info.kind) and how many items it holds (a dict: its keys;
       0 for a leaf). NULL for the other formats (their root is always a name -> tensor map). */
    const char *root_kind;
    int64_t root_items;
} hero_tensorfile;

/* Open a tensor file, detecting the format from its content: zip (torch >= 1.6 if it has a
   data.pkl member, else .npz), legacy torch.save pickle, .npy, else safetensors. On POSIX
   systems the file is memory-mapped (private, copy-on-write; define HERO_NO_MMAP to read it
   instead), elsewhere read: tensors point into the map, so a model whose matrices have the
   file's format can use them in place (hero_model_load_opt). */
HERODEF int hero_tensorfile_open(hero_tensorfile *tf, const char *path, hero_error *err);
/* Same as hero_tensorfile_open on an in-memory copy of a file; `name` is used in messages. */
HERODEF int hero_tensorfile_open_memory(hero_tensorfile *tf, const void *data, size_t size,
                                        const char *name, hero_error *err);
/* Open a .npy or .npz file (format HERO_FMT_NPY: one tensor named "-"; HERO_FMT_NPZ: member
   names without ".npy"). C order only. */
HERODEF int hero_npz_open(hero_tensorfile *tf, const char *path, hero_error *err);
/* Free everything and zero *tf (safe on a zeroed or already closed struct). */
HERODEF void hero_tensorfile_close(hero_tensorfile *tf);
/* Tensor by exact name, or NULL. */
HERODEF const hero_tensor_info *hero_tensorfile_find(const hero_tensorfile *tf, const char *name);
/* Non-tensor entry by exact name, or NULL. */
HERODEF const hero_entry_info *hero_tensorfile_entry(const hero_tensorfile *tf, const char *name);
/* safetensors __metadata__ string value for key, or NULL. */
HERODEF const char *hero_tensorfile_meta(const hero_tensorfile *tf, const char *key);
/* Number of elements (1 for a 0-d tensor); -1 if the shape is invalid or overflows. */
HERODEF int64_t hero_tensor_numel(const hero_tensor_info *t);
/* Copy a tensor of any float/int/bool dtype into contiguous f32 (C order, honouring stride and
   offset); n must equal its numel. */
HERODEF int hero_tensor_read_f32(const hero_tensor_info *t, float *dst, int64_t n, hero_error *err);
/* Copy an int/bool tensor into contiguous int64; n must equal its numel. */
HERODEF int hero_tensor_read_i64(const hero_tensor_info *t, int64_t *dst, int64_t n, hero_error *err);

/* ---------------- safetensors writing ---------------- */
typedef struct hero_st_item {
    const char *name;
    hero_dtype dtype;
    int ndim;
    const int64_t *shape;   /* [ndim] */
    const void *data;       /* numel * hero_dtype_size(dtype) bytes, host byte order
                               (f16/bf16: uint16_t bits, see hero_f32_to_f16_buf) */
} hero_st_item;

/* Write a safetensors file atomically (path + ".tmp", fsync, rename over path).
   meta_kv: "key","value",...,NULL (may be NULL) -> __metadata__. */
HERODEF int hero_safetensors_write(const char *path, const hero_st_item *items, int n,
                                   const char *const *meta_kv, hero_error *err);

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
    int heads;         /* which task heads the model has (HERO_HEADS_*; 0 = VSM, the pre-training model) */
} hero_config;

/* The task heads on top of the shared encoder (v_encoder.*), one set per official model class:
   HERO_HEADS_VSM      q_feat_attn, video_query_linear, video_st/ed_predictor: HeroForPretraining,
                       HeroForVcmr, HeroForVr (the pre-training checkpoints and VCMR / VR fine-tuning)
   HERO_HEADS_VIDEOQA  qa_pool, qa_pred_head, st_ed_pool, st_ed_pred_head: HeroForVideoQA (TVQA, How2QA)
   HERO_HEADS_VIOLIN   violin_pool, violin_pred_head: HeroForViolin
   hero_model_load picks them from the checkpoint's keys; hero_model_load_heads starts a fine-tuning
   model of the given heads from any checkpoint (e.g. a pre-trained one). */
enum { HERO_HEADS_VSM = 0, HERO_HEADS_VIDEOQA = 1, HERO_HEADS_VIOLIN = 2, HERO_HEADS_COUNT };

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
    X(fom2_b,     "v_encoder.fom_output.linear_2.bias",                           1, c->fom_classes, 0, 0)

/* the VSM heads (pre-training, VCMR, VR models: c->heads == HERO_HEADS_VSM) */
#define HERO_PARAMS_VSM(X) \
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

/* the video QA heads (HeroForVideoQA: c->heads == HERO_HEADS_VIDEOQA); MLPLayer = linear_1 [2H,H],
   gelu, LayerNorm(2H, 1e-5), linear_2 */
#define HERO_PARAMS_VIDEOQA(X) \
    X(qa_pool_w,  "qa_pool.weight",                                               2, 1, c->H, 0) \
    X(qa1_w,      "qa_pred_head.linear_1.weight",                                 2, 2 * c->H, c->H, 0) \
    X(qa1_b,      "qa_pred_head.linear_1.bias",                                   1, 2 * c->H, 0, 0) \
    X(qa_ln_w,    "qa_pred_head.LayerNorm.weight",                                1, 2 * c->H, 0, 0) \
    X(qa_ln_b,    "qa_pred_head.LayerNorm.bias",                                  1, 2 * c->H, 0, 0) \
    X(qa2_w,      "qa_pred_head.linear_2.weight",                                 2, 1, 2 * c->H, 0) \
    X(qa2_b,      "qa_pred_head.linear_2.bias",                                   1, 1, 0, 0) \
    X(se_pool_w,  "st_ed_pool.weight",                                            2, 1, c->H, 0) \
    X(se1_w,      "st_ed_pred_head.linear_1.weight",                              2, 2 * c->H, c->H, 0) \
    X(se1_b,      "st_ed_pred_head.linear_1.bias",                                1, 2 * c->H, 0, 0) \
    X(se_ln_w,    "st_ed_pred_head.LayerNorm.weight",                             1, 2 * c->H, 0, 0) \
    X(se_ln_b,    "st_ed_pred_head.LayerNorm.bias",                               1, 2 * c->H, 0, 0) \
    X(se2_w,      "st_ed_pred_head.linear_2.weight",                              2, 2, 2 * c->H, 0) \
    X(se2_b,      "st_ed_pred_head.linear_2.bias",                                1, 2, 0, 0)

/* the VIOLIN heads (HeroForViolin: c->heads == HERO_HEADS_VIOLIN) */
#define HERO_PARAMS_VIOLIN(X) \
    X(vl_pool_w,  "violin_pool.weight",                                           2, 1, c->H, 0) \
    X(vl1_w,      "violin_pred_head.linear_1.weight",                             2, 2 * c->H, c->H, 0) \
    X(vl1_b,      "violin_pred_head.linear_1.bias",                               1, 2 * c->H, 0, 0) \
    X(vl_ln_w,    "violin_pred_head.LayerNorm.weight",                            1, 2 * c->H, 0, 0) \
    X(vl_ln_b,    "violin_pred_head.LayerNorm.bias",                              1, 2 * c->H, 0, 0) \
    X(vl2_w,      "violin_pred_head.linear_2.weight",                             2, 1, 2 * c->H, 0) \
    X(vl2_b,      "violin_pred_head.linear_2.bias",                               1, 1, 0, 0)

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
    HERO_PARAMS_VSM(HERO__FIELD)
    HERO_PARAMS_VIDEOQA(HERO__FIELD)
    HERO_PARAMS_VIOLIN(HERO__FIELD)
    hero_attn_params q_attn;                      /* q_feat_attn.query_self_attention.* (HERO_HEADS_VSM) */
    hero_layer_params f_layer[HERO_MAX_LAYERS];   /* v_encoder.f_encoder.encoder.layer.{i}.* */
    hero_layer_params c_layer[HERO_MAX_LAYERS];   /* v_encoder.c_encoder.encoder.layer.{i}.* */
} hero_params;
#undef HERO__FIELD

/* Formats a model can hold its matrices in (hero_model_options.wtype; see "Lean inference"
   below for which tensors, and the q8_0 layout). */
typedef enum hero_wtype { HERO_W_F32 = 0, HERO_W_BF16, HERO_W_F16, HERO_W_Q8_0, HERO_W_COUNT } hero_wtype;
#define HERO_Q8_BLOCK 32 /* q8_0: int8 weights per f16 scale, along the reduction dimension */

/* One matrix W[O, K] held in a reduced format (out = x W^T reads it directly). */
typedef struct hero_wmat {
    const void *data;        /* bf16 / f16: uint16_t [O, K]; q8_0: int8_t [O, nb * 32] (zero padded) */
    const uint16_t *scale;   /* q8_0: f16 [O, nb] (W[o, 32 j + i] = scale[o, j] * data[o, 32 j + i]) */
    int O, K, nb;            /* nb = ceil(K / 32) (q8_0) */
    hero_wtype wtype;
} hero_wmat;

/* One entry of the parameter table, built from the X-macros above. */
typedef struct hero_param {
    char name[96];     /* official state-dict name */
    int ndim;
    int shape[3];
    size_t numel;
    size_t offset;     /* in floats, into the parameter / gradient / moment blocks (a reduced-format matrix: bytes into its block) */
    float *data, *grad;
    int decay;         /* 1 unless the name contains "bias" or "LayerNorm.weight" */
    int has_grad;      /* set once a backward pass has written its gradient (official p.grad != None) */
    hero_wtype wtype;  /* HERO_W_F32, or the reduced format of this matrix: then data / grad are NULL and */
    hero_wmat wmat;    /* wmat holds it */
} hero_param;

/* The collated batch: the model's input, field for field the official HERO collate output
   (docs/REFERENCE.md, the golden `in.*` tensors). Owned arrays (HERO_MALLOC'd);
   hero_batch_free() frees every non-NULL array. Integer arrays are int32. */
typedef enum hero_task {
    HERO_TASK_REPR = 0, HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_MFFR, HERO_TASK_FOM, HERO_TASK_VSM,
    HERO_TASK_COUNT, /* the pre-training tasks end here (the trainer's mixture) */
    /* fine-tuning tasks (section 9, "Fine-tuning heads"; VCMR and VR are HERO_TASK_VSM batches) */
    HERO_TASK_VIDEOQA = 64, /* HeroForVideoQA: a model with HERO_HEADS_VIDEOQA */
    HERO_TASK_VIOLIN        /* HeroForViolin: a model with HERO_HEADS_VIOLIN */
} hero_task;

typedef struct hero_batch {
    hero_task task;
    int F;                  /* frame feature size */
    /* cross-modal encoder input: S rows (one per subtitle; MLM: the in.input_ids rows) */
    int S;                  /* rows */
    int Lt;                 /* padded text length        (in.f_sub_input_ids / in.input_ids: [S, Lt]) */
    int Lv;                 /* padded frames per row     (in.f_v_feats / in.v_feat: [S, Lv, F]) */
    int Lg;                 /* gathered sequence length  (in.f_gather_index: [S, Lg]) */
    int32_t *txt_ids;       /* [S*Lt]  f_sub_input_ids (MLM: input_ids) */
    int32_t *txt_pos;       /* [Lt]    f_sub_pos_ids   (MLM: position_ids) */
    float *f_v_feats;       /* [S*Lv*F] */
    int32_t *f_v_pos;       /* [Lv]    f_v_pos_ids (MLM has none in the batch: 0..Lv-1) */
    uint8_t *f_v_masks;     /* [S*Lv]  MFM only, else NULL */
    int32_t *f_attn_mask;   /* [S*Lg]  f_attn_masks (MLM: attn_masks) */
    int32_t *f_gather;      /* [S*Lg]  f_gather_index (MLM: gather_index): index into [Lv frames | Lt tokens] */
    /* temporal transformer input: B videos, L = max frames (not used by MLM) */
    int B, L;
    int32_t *num_subs;      /* [B] */
    float *c_v_feats;       /* [B*L*F] */
    int32_t *c_attn_mask;   /* [B*L] */
    uint8_t *c_v_masks;     /* [B*L]   MFM only, else NULL */
    int n_s2f;              /* == S: one entry per subtitle row, videos in order */
    int32_t *s2f_sub_idx;   /* [n_s2f] subtitle index local to its video */
    int32_t *s2f_nframes;   /* [n_s2f] */
    int32_t *s2f_frames;    /* [sum nframes] video-local frame indices */
    /* MLM */
    uint8_t *txt_mask_tgt;  /* [S*Lg] */
    int n_mlm;
    int32_t *txt_labels;    /* [n_mlm] */
    /* MFM-NCE / MFFR */
    int n_masked;
    float *feat_targets;    /* [n_masked*F] */
    /* FOM */
    int32_t *shuffled_orders; /* [B*L] */
    int32_t *fom_targets;     /* [B*L], -1 = ignored */
    /* VSM */
    int Nq, Lq;
    int32_t *q_ids;         /* [Nq*Lq] query_input_ids */
    int32_t *q_pos;         /* [Lq]    query_pos_ids */
    int32_t *q_mask;        /* [Nq*Lq] query_attn_masks */
    int32_t *q_vidx;        /* [Nq] */
    int32_t *vsm_targets;   /* [Nq*2]  st, ed (-1 = ignored) */
    /* fine-tuning: VIDEOQA (rows = questions x n_cand candidates) and VIOLIN (rows = statements).
       The cross-modal / temporal inputs are as above with B rows (each video repeated per row), the
       text appended to the temporal encoder is q_ids / q_pos / q_mask with Nq = B rows of Lq
       (in.qa_input_ids / in.q_input_ids: [SEP] question [SEP] answer, or [SEP] statement),
       VIDEOQA's span targets are vsm_targets [questions*2] (in.ts_targets) */
    int n_cand;             /* VIDEOQA: answer candidates per question (5) */
    int32_t *labels;        /* VIDEOQA [B / n_cand] answer (-1 = none, in.targets); VIOLIN [B] 0 / 1 */
} hero_batch;

HERODEF void hero_batch_free(hero_batch *b);
/* ---------------------------------------------------------------------------------------
   Data: seeded PRNG, videos, random choices, batch building (the official HERO collate).
   --------------------------------------------------------------------------------------- */

/* xoshiro256** PRNG. The whole state is s[4]: copy / save / restore it freely. */
typedef struct hero_rng {
    uint64_t s[4];
} hero_rng;

HERODEF void hero_rng_seed(hero_rng *r, uint64_t seed);    /* splitmix64 expansion of seed */
HERODEF uint64_t hero_rng_u64(hero_rng *r);
HERODEF float hero_rng_uniform(hero_rng *r);               /* [0,1), 24 random bits */
HERODEF uint64_t hero_rng_below(hero_rng *r, uint64_t n);  /* uniform in [0,n), unbiased; 0 if n==0 */

/* One video, as views into the caller's memory (nothing is owned or freed here).
   Subtitle i has sub_len[i] word ids (no special tokens) at the next position of
   sub_tokens, and sub_nframes[i] matched frames (video-local, strictly ascending, each
   < T; possibly none) at the next position of sub_frames: the official sub2frames map,
   one entry per subtitle, subtitles in time order. */
typedef struct hero_video {
    int T;                      /* frames */
    int F;                      /* floats per frame (same for every video of a batch) */
    const float *feats;         /* [T*F] */
    int n_subs;                 /* subtitles (may be 0) */
    const int32_t *sub_len;     /* [n_subs] */
    const int32_t *sub_tokens;  /* [sum sub_len] */
    const int32_t *sub_nframes; /* [n_subs] */
    const int32_t *sub_frames;  /* [sum sub_nframes] */
} hero_video;

/* Fill n_videos views from one flat corpus laid out like the golden `raw.*` tensors:
   nframes[B], feats[sum T * F], num_subs[B], sub_len[S], sub_tokens[sum len],
   s2f_nframes[S], s2f_frames[sum]. s2f_sub_idx (may be NULL) is checked to be 0..n-1
   within each video. Counts are checked against the given array lengths. */
HERODEF int hero_videos_from_flat(hero_video *out, int n_videos, int F,
                                  const int32_t *nframes, const float *feats, size_t n_feats,
                                  const int32_t *num_subs, const int32_t *sub_len, size_t n_sub_len,
                                  const int32_t *sub_tokens, size_t n_sub_tokens,
                                  const int32_t *s2f_sub_idx, const int32_t *s2f_nframes,
                                  const int32_t *s2f_frames, size_t n_s2f_frames,
                                  hero_error *err);

typedef struct hero_batch_options {
    int max_txt_len;        /* 60: MLM and VSM cut each subtitle to this many words (official:
                               the plain collate of repr / MFM / FOM does not cut); <= 0: no cut */
    int max_frames;         /* 100: frames past it are cut, and sub2frames with them (official
                               rule: subtitles after the first one reaching past the cut are
                               dropped); <= 0: no cut */
    float mask_prob;        /* 0.15: MLM word, MFM frame and FOM position probability */
    int query_per_video;    /* 5 (VSM) */
    int sub_ctx_len;        /* 0: previous subtitles prepended to each row's text */
    int cls_id, pad_id, sep_id, mask_id; /* 0, 1, 2, vocab_size-1 */
    int v_lo, v_hi;         /* MLM random replacement ids: [v_lo, v_hi). Official: ['.'] ..
                               ['<|endoftext|>']+1 of the vocabulary; default [4, vocab_size-1) */
} hero_batch_options;

HERODEF hero_batch_options hero_batch_options_default(int vocab_size);

/* The random choices of one batch, in the golden `choice.*` layout. Filled (and owned:
   free with hero_choices_free) by hero_draw_choices, or filled by the caller with
   HERO_MALLOC'd arrays. Counts are after the max_frames cut, videos in order. */
typedef struct hero_choices {
    hero_task task;
    /* MLM: one entry per subtitle row */
    int n_rows;
    int32_t *mlm_len;            /* [n_rows] words of the row (before the leading CLS) */
    int32_t *mlm_input_ids;      /* [sum mlm_len] after masking */
    int32_t *mlm_labels;         /* [sum mlm_len] -1 = not picked, else the original id */
    /* MFM-NCE / MFFR / FOM: one entry per frame */
    int n_frames;
    uint8_t *frame_mask;         /* [n_frames] MFM: 1 = masked */
    int32_t *fom_orders;         /* [n_frames] FOM: frame at local position i moves to orders[i] */
    int32_t *fom_targets;        /* [n_frames] FOM: original local position at each position, -1 */
    /* VSM */
    int n_videos;
    int32_t *vsm_n_sampled;      /* [n_videos] min(matched subtitles, query_per_video) */
    int32_t *vsm_sampled_sub_idx;/* [sum n_sampled] query subtitles (local index, any order) */
} hero_choices;

/* Draw the choices of `task` from rng with the official rules (data/mlm.py, mfm.py, fom.py,
   vsm.py), videos in order; videos / opt as for hero_build_batch; out is overwritten (not
   freed first). p = opt->mask_prob.
   - MLM: each word of a row (its subtitles cut to max_txt_len) is picked with p; a picked
     word becomes MASK (80%), a uniform id in [v_lo, v_hi) (10%) or stays (10%); its label is
     the original id. A row with no pick gets its FIRST word picked and set to MASK.
   - MFM-NCE / MFFR: each frame masked with p; a video with none gets one uniform frame.
   - FOM: each position picked with p (no minimum); the picked positions are shuffled among
     themselves: orders[sel[j]] = shuf[j], targets[shuf[j]] = sel[j], else i / -1.
   - VSM: min(#subtitles with frames, query_per_video) of those subtitles, uniformly without
     replacement (error if a video has none). REPR: nothing to draw. */
HERODEF int hero_draw_choices(hero_choices *out, hero_task task, const hero_video *videos,
                              int n_videos, const hero_batch_options *opt, hero_rng *rng,
                              hero_error *err);
HERODEF void hero_choices_free(hero_choices *c);

/* Build the batch of `task` exactly like the official collate. choices == NULL: drawn
   from rng (then rng must not be NULL; HERO_TASK_REPR needs neither). out is overwritten
   (not freed first); on error it is left zeroed. Every video needs T >= 1 and the batch
   at least one subtitle row; VSM needs, per video, at least one subtitle with frames. */
HERODEF int hero_build_batch(hero_batch *out, hero_task task, const hero_video *videos,
                             int n_videos, const hero_batch_options *opt,
                             const hero_choices *choices, hero_rng *rng, hero_error *err);

HERODEF const char *hero_task_name(hero_task t); /* "repr","mlm","mfm-nce","mffr","fom","vsm","videoqa","violin" */
/* 1 if a backward pass of task t gives the parameter of this official name a gradient (the
   parameter groups the task declares; the frame mask embeddings need masked frames, the span
   predictors and video_query_linear lw_st_ed != 0), else 0. */
HERODEF int hero_task_trains(hero_task t, const char *param);

/* ---- fine-tuning batches: the official collates of data/vcmr.py, vr.py, videoQA.py, violin.py ----
   One item = one annotated query (VCMR / VR), question (video QA) or statement (VIOLIN) on one video
   of the corpus; several items may share a video. */
typedef struct hero_ft_item {
    int video;                  /* index into the videos */
    int len;                    /* the query / question / statement: word ids (no special tokens) */
    const int32_t *tokens;
    int n_cand;                 /* video QA: answer candidates (5 in TVQA / How2QA) */
    const int32_t *cand_len;    /* [n_cand] */
    const int32_t *cand_tokens; /* [sum cand_len] their word ids, one after the other */
    int label;                  /* video QA: the answer (-1 = none); VIOLIN: 0 / 1 (true statement) */
    int has_ts;                 /* VCMR / video QA: the ground-truth moment ts (seconds) is given */
    double ts[2];
} hero_ft_item;

/* The fine-tuning batch of n_items items, as the official collate builds it:
   - HERO_TASK_VSM (VCMR, VR; sampled_by_q): one temporal row per item (its video, repeated when
     items share one), the subtitle rows of VideoFeatSubTokDataset ([SEP] + the subtitle and its
     opt->sub_ctx_len predecessors; no word cut), queries [CLS] + words padded with pad_id,
     q_vidx = the LAST item with the same video (vcmr_collate's dict), targets (st, ed) =
     (min(floor(ts0 / iv), n-1), min(max(ceil(ts1 / iv) - 1, st + 1), n-1)) with n the video's
     frames after the max_frames cut, (-1, -1) without ts (VR);
   - HERO_TASK_VIDEOQA: n_cand temporal rows per item, every subtitle row of candidate a followed
     by [SEP] question [SEP] answer_a; the same text as q_ids (padded with pad_id, positions from 0);
     labels = the answers, vsm_targets = the span targets as above;
   - HERO_TASK_VIOLIN: one row per item with [SEP] statement appended; labels 0 / 1.
   opt: max_frames = the task's max_clip_len (the SubTokLmdb cut), sub_ctx_len, cls / sep / pad;
   max_txt_len is not used (the fine-tuning datasets cut nothing; their DBs drop long queries).
   iv = frame_interval (vfeat_interval: 1.5 s for TV, 2 for MSR-VTT). out is overwritten (not freed
   first); on error it is left zeroed. */
HERODEF int hero_build_ft_batch(hero_batch *out, hero_task task, const hero_video *videos, int n_videos,
                                const hero_ft_item *items, int n_items, double frame_interval,
                                const hero_batch_options *opt, hero_error *err);

/* Fill b from a golden file's `in.*` tensors (ints -> int32, bool -> uint8). MLM, like
   the official mlm_collate, has no frame position ids (0..Lv-1 are filled in), no temporal
   input and no per-video fields (B = 0, num_subs / s2f_* NULL). */
HERODEF int hero_batch_from_golden(hero_batch *b, hero_task task, const hero_tensorfile *tf,
                                   hero_error *err);

/* ---- rebuilding a golden file's batch from its corpus (raw.*) and choices (choice.*) ---- */

/* A corpus read from a golden file's `raw.*` tensors (raw.nframes [B], raw.v_feats
   [sum T, F], raw.num_subs [B], raw.sub_len [S], raw.sub_tokens [sum len], raw.s2f_sub_idx
   [S], raw.s2f_nframes [S], raw.s2f_frames [sum]): owned flat arrays (HERO_MALLOC'd) and
   the n_videos hero_video views into them. Free with hero_golden_videos_free. */
typedef struct hero_golden_videos {
    int n_videos, F;
    hero_video *videos;     /* [n_videos], views into the arrays below */
    float *feats;
    int32_t *nframes, *num_subs, *sub_len, *sub_tokens, *s2f_sub_idx, *s2f_nframes, *s2f_frames;
} hero_golden_videos;

/* Read raw.* into out (overwritten, not freed first; zeroed on error). Every count must
   agree exactly with the tensors' lengths. */
HERODEF int hero_videos_from_golden(hero_golden_videos *out, const hero_tensorfile *tf, hero_error *err);
HERODEF void hero_golden_videos_free(hero_golden_videos *g);

/* Read the random choices the official code made for `task` from `choice.*` (MLM:
   mlm_len, mlm_input_ids, mlm_labels; MFM-NCE / MFFR: frame_mask; FOM: fom_orders,
   fom_targets; VSM: vsm_n_sampled, vsm_sampled_sub_idx; REPR: none). c is overwritten
   (owned arrays: free with hero_choices_free; zeroed on error). Lengths must agree
   (sum mlm_len words, sum vsm_n_sampled queries); hero_build_batch checks the rest
   against the videos. */
HERODEF int hero_choices_from_golden(hero_choices *c, hero_task task, const hero_tensorfile *tf, hero_error *err);

/* hero_batch_options_default(vocab_size), then the file's settings: the metadata
   `data_settings` JSON (max_txt_len, mask_prob, query_per_video, sub_ctx_len, cls, pad,
   sep, mask, v_range [lo, hi], max_clip_len / max_frames when present) and the scalar
   `opt.max_txt_len`, `opt.max_frames`, `opt.sub_ctx_len`, `opt.query_per_video` tensors
   when present. vocab_size <= 0: taken as data_settings mask + 1 (error if absent). */
HERODEF int hero_batch_options_from_golden(hero_batch_options *o, const hero_tensorfile *tf, int vocab_size,
                                           hero_error *err);

/* The whole rebuild: options (as above), raw.* videos and choice.* choices of a golden
   file, then hero_build_batch. The batch owns its arrays (hero_batch_free); out is zeroed
   on error. Compare it with the file's in.* tensors with hero_batch_fields and
   hero_batch_field_golden_err. */
HERODEF int hero_batch_from_golden_raw(hero_batch *out, hero_task task, const hero_tensorfile *tf, int vocab_size,
                                       hero_error *err);

/* One field of a batch under its official `in.<key>` name (key without "in."), as the
   model consumes it: dtype HERO_I32 (int32_t), HERO_U8 (uint8_t) or HERO_F32 (float),
   shape as the official collate makes it (the file's shape must equal it). */
typedef struct hero_batch_field {
    const char *key;
    hero_dtype dtype;
    const void *data;      /* a view into the batch */
    int ndim;
    int64_t shape[3];
} hero_batch_field;

#define HERO_BATCH_MAX_FIELDS 20

/* Fill out[HERO_BATCH_MAX_FIELDS] with the fields of b's task that the official batch has
   and the model uses (not: f_sub_input_attn_masks, c_pos_ids, reordered_frame_idx,
   binary_targets, vids); returns their count. MLM: input_ids, position_ids, v_feat,
   attn_masks, gather_index, txt_mask_tgt, txt_labels. Others: f_sub_input_ids,
   f_sub_pos_ids, f_v_feats, f_v_pos_ids, f_attn_masks, f_gather_index, c_v_feats,
   c_attn_masks, num_subs, s2f_sub_idx, s2f_nframes, s2f_frames, then MFM: f_v_masks,
   c_v_masks, feat_targets; FOM: shuffled_orders, targets; VSM: query_input_ids,
   query_pos_ids, query_attn_masks, q_vidx, targets. */
HERODEF int hero_batch_fields(const hero_batch *b, hero_batch_field *out);

/* Compare field f with the file's tensor in.<f->key>: *rel_err = max|x - ref| /
   max(max|ref|, 1e-6) (integers and bools compared as their values: 0 when equal; NaN
   when a difference is NaN). Returns HERO_EMISSING if the tensor is absent, HERO_ESHAPE
   if its shape differs (the message gives both), other errors as hero_tensor_read_*. */
HERODEF int hero_batch_field_golden_err(const hero_batch_field *f, const hero_tensorfile *tf, double *rel_err,
                                        hero_error *err);

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
    float loss_st, loss_ed;   /* VSM / VCMR / VIDEOQA: the span cross-entropies before any weight (0 when not run) */
    /* fine-tuning (VIDEOQA, VIOLIN); logits in scores / n_rows / n_cols ([Q, n_cand]; [B, 1]) */
    const float *fused; int fused_len; /* the temporal encoder over [frames ; text]: [B, L + Lq, H] */
    const float *pooled;      /* VIDEOQA qa_pooled_video [Q, n_cand, H]; VIOLIN pooled_video [B, H] */
    const float *span_pooled; /* VIDEOQA st_ed_pooled_video [Q, L, H] (softmax across the candidates) */
    float loss_task;          /* VIDEOQA loss_qa (cross-entropy over the candidates); VIOLIN the BCE */
} hero_result;

/* A growing scratch arena for activations (reset at every forward). */
typedef struct hero_arena {
    unsigned char **chunks;
    size_t *caps;
    int n_chunks, cap_chunks;
    size_t used;      /* in the last chunk */
    size_t total;     /* sum of caps */
    size_t peak;      /* most bytes used in one pass */
    void *dev;        /* HERO_CUDA: the CUDA context of a device arena (chunks in GPU memory); NULL: host */
    const struct hero__backend *be; /* the backend whose memory this is (private; NULL: the CPU's) */
    struct hero_model *owner;       /* the model whose gradients its backward writes (private: has_grad) */
    int fwd_only;     /* this pass has no backward: encoders keep only each layer's output */
    const void *wfmt; /* the model's matrices in reduced formats (lean inference), NULL: all f32 */
} hero_arena;

typedef struct hero_model {
    hero_config cfg;
    hero_params p, g;         /* pointers into params / grads */
    hero_param *table; int n_params;
    float *params, *grads;    /* one block each */
    size_t n_floats;
    hero_arena arena;
    int vocab_padded;         /* the checkpoint's vocab_padded entry (or 1 if Vp > V) */
    void *dev;                /* HERO_CUDA: the model's GPU state (NULL: the model runs on the CPU) */
    int inference_only;       /* no gradients: backward and optimizer refuse (hero_model_options) */
    hero_wtype wtype;         /* the format of the model's matrices (HERO_W_F32: all f32) */
    void *wq;                 /* lean inference: the formats' dispatch table and the matrices' memory */
    const struct hero__backend *be; /* the backend that runs it (private; NULL: the CPU) */
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
/* A model with the task heads `heads` (HERO_HEADS_*) started as the official fine-tuning scripts
   do (Hero*.from_pretrained(config, checkpoint)): every parameter initialised as the official
   constructor does (hero_model_init_random(m, seed): the heads get PyTorch's defaults, st_ed_pool
   starts as a copy of qa_pool), then every tensor of the checkpoint with a parameter of the same
   name loaded (the others are listed in report->unexpected, the parameters it lacks in
   report->missing). */
HERODEF int hero_model_load_heads(hero_model *m, const char *config_json, const char *checkpoint, int heads,
                                  uint64_t seed, hero_load_report *report, hero_error *err);
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
/* Evaluation of video QA / VIOLIN logits [n, cols] (host memory) as validate_videoQA / validate_violin:
   cols > 1 (QA): pred = argmax (first on ties), loss = sum of cross-entropies / n, acc = fraction of
   pred == label; cols == 1 (VIOLIN): pred = sigmoid(logit) > 0.5, loss = sum of binary cross-entropies
   (logs clamped at -100 as torch) / n. pred [n] may be NULL; labels NULL or any label < 0 (no ground
   truth): *loss and *acc are NaN. */
HERODEF int hero_qa_eval(const float *logits, int n, int cols, const int32_t *labels, int64_t *pred, double *loss,
                         double *acc);
/* Encodes queries: ids / mask [Nq, Lq] (CLS + words, padded with 1 / 0) -> mq [Nq, H]. */
HERODEF int hero_encode_queries(hero_model *m, const int32_t *ids, const int32_t *mask, int Nq, int Lq,
                                float *mq, hero_error *err);

/* ---- Lean inference: inference-only models, matrices held as f32, bf16, f16 or q8_0 ----

   An inference-only model has no gradient block, no optimizer state and a forward-only
   arena: every forward path works (REPR, queries, VCMR scores, each task's outputs and
   losses with backward 0); hero_forward_backward with backward != 0, hero_optimizer_init and
   hero_trainer_init refuse it with HERO_EINVAL, hero_zero_grad does nothing.

   wtype other than HERO_W_F32 (implies inference-only) holds every matrix of a linear layer
   in that format and the matrix products read it directly, with no f32 copy of the model:
   the word table (its rows gathered from the format, and the tied MLM decoder), img_linear,
   frame_transform, each layer's query / key / value / output / intermediate / output
   matrices, the poolers, lm_head.dense, feat_regress, fom_output, the query input
   projection and video_query_linear. These stay f32: LayerNorm weights, biases, position,
   token-type and mask-embedding tables, the modular vector [1, H], the span conv1d kernels.
     bf16 / f16: uint16_t [O, K]. AVX512-BF16 (vdpbf16ps: the input rows rounded to bf16 once),
               else AVX-512 / AVX2 conversion + FMA on the f32 input, else portable C.
     q8_0:     per row of W, blocks of 32 along K: int8 q[O, nb*32] (K padded with zeros to
               nb = ceil(K/32) blocks) and one f16 scale per block d[O, nb], W = d * q,
               d = max|block| / 127 (ggml's q8_0 numbers, with the scales apart from the
               quants so that both lie aligned, in memory as in the file). The input rows
               are quantised the same way (an f32 scale per block) and multiplied with int8
               dot products: AVX512-VNNI (vpdpbusd), AVX-VNNI, AVX2 (vpmaddubsw), portable C.
   The instruction set is chosen at run time (isa_max caps it, for tests). The products run
   on the library's threads (hero_set_threads), split by rows of W, never inside a sum: the
   same results on any thread count. A GPU model (HERO_CUDA) holds f32 only: other formats
   are refused with HERO_EDEVICE. */
typedef struct hero_model_options {
    int inference_only;  /* 1: no gradients / optimizer (see above); 0: a training model */
    hero_wtype wtype;    /* HERO_W_F32 (default) or a reduced format (inference only) */
    int isa_max;         /* -1 (default): the best the CPU has; 0 portable C, 1 AVX2, 2 AVX-512,
                            3 AVX-512 + BF16 / VNNI, 4 AVX-VNNI (256-bit; no AVX-512) */
} hero_model_options;

HERODEF hero_model_options hero_model_options_default(void); /* training model, f32, best ISA */
/* "f32", "bf16", "f16", "q8_0"; hero_wtype_parse: 0 or HERO_EINVAL (names the choices) */
HERODEF const char *hero_wtype_name(hero_wtype t);
HERODEF int hero_wtype_parse(const char *s, hero_wtype *out, hero_error *err);
/* hero_model_init / hero_model_load with options (NULL: the defaults). Loading a non-f32
   model reads and converts one tensor at a time: peak memory is the model's own size plus
   the largest tensor in f32. */
HERODEF int hero_model_init_opt(hero_model *m, const hero_config *c, const hero_model_options *o, hero_error *err);
HERODEF int hero_model_load_opt(hero_model *m, const char *config_json, const char *checkpoint,
                                const hero_model_options *o, hero_load_report *report, hero_error *err);
/* Files. hero_model_load_opt reads any checkpoint into any format (f32 / f16 / bf16 tensors
   are converted, a block of rows at a time). q8_0 in files (hero_convert --dtype q8_0): a
   matrix NAME [O, K] is stored as NAME.q8_0 (i8 [O, K]) and NAME.q8_0_scale (f16
   [O, ceil(K/32)]): W[o, k] = scale[o, k / 32] * q[o, k]; NAME itself is absent. The other
   tensors of such a file are f32. */
#define HERO_Q8_SUFFIX ".q8_0"
#define HERO_Q8_SCALE_SUFFIX ".q8_0_scale"
/* W [O, K] f32 -> q8_0 exactly as models and files hold it: q [O, K], scale [O, ceil(K/32)]. */
HERODEF void hero_q8_0_quantize(const float *W, int O, int K, int8_t *q, uint16_t *scale);
/* 1 when a reduced-format model holds the parameter NAME of this shape in its format (the
   matrices listed above), 0 when it stays f32. */
HERODEF int hero_param_is_matrix(const char *name, int ndim, const int64_t *shape);
/* Bytes the model's weights take in memory (f32 tensors + matrices in their format). */
HERODEF size_t hero_model_weight_bytes(const hero_model *m);
/* Row r of a parameter as f32 (any format): dst[cols]. 0, or HERO_EINVAL for a bad row. */
HERODEF int hero_param_row(const hero_param *p, int r, float *dst, hero_error *err);

/* ======================================================================================
   Where a model runs. A CPU build runs on the CPU. Built with HERO_CUDA (the implementation
   file compiled by nvcc, see `make cuda`), hero_model_init puts every model on the current
   CUDA device (cudaSetDevice before it to choose; HERO_EDEVICE with the reason when there is
   no usable GPU): parameters, gradients, AdamW moments and activations live in GPU memory and
   every op, loss, the clipping and AdamW run there. The API is the same, with these rules for
   a GPU model:
   - arrays the caller passes or gets filled (batches, repr_grad, hero_encode_queries,
     hero_vcmr_scores, checkpoints) are host memory, as on the CPU;
   - the array pointers of a hero_result (f_seq, c_seq, scores, ...) point into GPU memory
     (read them with hero_copy_to_host); its losses are host numbers;
   - m->p / m->g point into GPU memory; the table's data / grad and m->params / m->grads are
     host copies: hero_model_download refreshes them (weights and gradients), hero_model_upload
     sends them (after host edits) to the GPU. Loading, the initialisers, hero_trainer_save and
     hero_trainer_load do this themselves; hero_optimizer's m / v likewise
     (hero_optimizer_download; saved / loaded by the trainer).
   On a CPU model these are plain copies or do nothing.
   ====================================================================================== */
typedef enum hero_precision {
    HERO_PREC_FP32 = 0, /* fp32 everywhere (the default; the only one on the CPU) */
    HERO_PREC_TF32,     /* GPU: matrix products on TF32 tensor cores (fp32 in and out, fp32 accumulation) */
    HERO_PREC_BF16      /* GPU: bf16 mixed precision: every matrix product on bf16 tensor cores (cuBLAS
                           rounds both fp32 operands to bf16 as it loads them), fp32 accumulation and
                           output; fp32 master weights, gradients, AdamW, activations (in memory),
                           LayerNorm, softmax and losses */
} hero_precision;

/* "cpu", or the GPU the model lives on ("cuda:0 NVIDIA H200, sm_90") */
HERODEF const char *hero_model_device(const hero_model *m);
/* Precision of a GPU model's matrix products; a CPU model accepts only HERO_PREC_FP32. */
HERODEF int hero_model_set_precision(hero_model *m, hero_precision p, hero_error *err);
/* GPU model: weights and gradients -> the host copies (table data / grad, m->params / m->grads). */
HERODEF int hero_model_download(hero_model *m, hero_error *err);
/* GPU model: the host copies of the weights and gradients -> the GPU (after editing them). */
HERODEF int hero_model_upload(hero_model *m, hero_error *err);
/* Copies bytes of the model's memory (a hero_result array) to host memory dst. */
HERODEF int hero_copy_to_host(hero_model *m, void *dst, const void *src, size_t bytes, hero_error *err);
/* Waits until the GPU has done everything queued for the model (timing; an update's kernels run
   asynchronously); reports a failed CUDA call. Nothing to do on the CPU. */
HERODEF int hero_model_sync(hero_model *m, hero_error *err);

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
    void *dev;             /* HERO_CUDA: the moments in GPU memory (m / v are then host copies, see
                              hero_model_download); NULL on the CPU */
    const struct hero__backend *be; /* its model's backend (private; NULL: the CPU) */
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
/* GPU model: the AdamW moments -> their host copies o->m / o->v (nothing to do on the CPU). */
HERODEF int hero_optimizer_download(hero_optimizer *o, const hero_model *m, hero_error *err);

/* ======================================================================================
   Pre-training: the task mixture, gradient accumulation, hard negatives, resumable state
   ====================================================================================== */
typedef struct hero_train_config {
    float task_ratio[HERO_TASK_COUNT]; /* mixture weights per task (release: mlm 2, mfm-nce 2, fom 1, vsm 2) */
    int accum_steps;                   /* micro-batches per update, gradients add (release: 2) */
    int videos_per_batch;              /* videos in each micro-batch (release: 32) */
    int64_t hard_negative_start;       /* update from which VSM uses hard negatives; -1 = never (release: 20000) */
    int hard_pool_size;                /* 20 */
    float hard_neg_weight;             /* 10 */
    hero_batch_options batch;          /* masking rates, special ids, limits */
    hero_adamw_config adamw;           /* lr, betas, schedule, clipping */
    uint64_t seed;                     /* the trainer's PRNG: task draws, video order, masking */
} hero_train_config;

typedef struct hero_trainer {
    hero_train_config cfg;
    hero_model *model;
    hero_optimizer opt;
    hero_rng rng;
    const hero_video *videos;          /* the corpus (not owned) */
    int n_videos;
    int32_t *order;                    /* shuffled video order; next batch starts at order[pos] */
    int pos;
    /* what the last update did */
    hero_task last_task;
    float last_loss;                   /* mean of its micro-batch losses */
    float last_grad_norm, last_lr;
    hero_result last_result;           /* of the last micro-batch (pointers into the model's arena) */
    const struct hero_dist *dist;      /* HERO_MPI: set by hero_trainer_set_dist (not owned); NULL = one process */
} hero_trainer;

/* The release recipe (docs/REFERENCE.md §4) for a vocabulary of vocab_size ids. */
HERODEF hero_train_config hero_train_config_default(int vocab_size);
/* Prepares training of m on the corpus (kept by reference). */
HERODEF int hero_trainer_init(hero_trainer *t, hero_model *m, const hero_train_config *c, const hero_video *videos,
                              int n_videos, hero_error *err);
HERODEF void hero_trainer_free(hero_trainer *t);
/* One optimizer update: draws a task from the mixture, runs accum_steps micro-batches of it
   (forward + backward, gradients adding up), then clipping + AdamW. A non-finite loss or
   gradient is reported (task, update, first parameter affected) and nothing is applied. */
HERODEF int hero_trainer_update(hero_trainer *t, hero_error *err);
/* Saves everything needed to continue bit for bit (weights under the official names, AdamW
   moments and step counts, schedule step, PRNG, video order) as one safetensors file,
   atomically: a crash mid-save leaves the previous file intact. */
HERODEF int hero_trainer_save(const hero_trainer *t, const char *path, hero_error *err);
/* Restores a hero_trainer_save file into an initialised trainer of the same model shape. */
HERODEF int hero_trainer_load(hero_trainer *t, const char *path, hero_error *err);
#ifndef HERO_NO_TOKENIZER
/* ---- Tokenizer: RoBERTa / GPT-2 byte-level BPE ------------------------------------------
   Loads `vocab.json` (token string -> id) and `merges.txt` ("a b" per line, optional
   "#version" first line). hero_tokenize() reproduces the npm package gpt-3-encoder@1.1.4
   encode() exactly by default (same pre-tokenisation regex, same Unicode tables as Node,
   same merge-rank lookup), and HuggingFace's RoBERTa tokenizer with the flags below.

   Flags for hero_tokenize()'s `flags` argument (0 = gpt-3-encoder exactly):
   HERO_TOKENIZE_SPECIAL: split the text on the special tokens <s> </s> <pad> <unk> <mask>
       first (those present in the vocab) and emit their ids, as HF RoBERTa does; <mask>
       absorbs the Unicode White_Space before it (HF's lstrip=True). Without this flag,
       "<mask>" is ordinary text ("<", "mask", ">").
   HERO_TOKENIZE_HF: HF tokenizers' semantics where they differ from gpt-3-encoder's:
       (1) the regex's \s is Oniguruma's = Unicode White_Space (has U+0085, lacks U+FEFF)
       instead of JS's \s (has U+FEFF, lacks U+0085); (2) merges are looked up by the
       (left, right) token pair, not like gpt-3-encoder by the string `left + "," + right`
       (with which e.g. the pair ("\",", "\"") also gets the rank of the merge ("\"", ",\""):
       the real GPT-2/RoBERTa merges have 11 such aliases, all among punctuation).
   HERO_TOKENIZE_ROBERTA = both: what HF's (fast) RoBERTa tokenizer produces (checked
       against HF tokenizers 0.22.2), without the <s> ... </s> wrapping, which the caller
       adds. \p{L} / \p{N} are Node v20.20.2's (Unicode 17.0) in both modes; HF's Oniguruma
       has older tables, so code points assigned in recent Unicode versions may differ.

   Text is UTF-8; invalid bytes are replaced by U+FFFD (each maximal invalid subpart,
   exactly like Node's / WHATWG's UTF-8 decoder), as Node does when it decodes the input,
   so the replacement character's tokens are emitted for them. */
typedef struct hero_tokenizer hero_tokenizer; /* opaque */

#define HERO_TOKENIZE_SPECIAL 1
#define HERO_TOKENIZE_HF 2
#define HERO_TOKENIZE_ROBERTA 3

/* Load from files. On success *tok is set (free with hero_tokenizer_free) and 0 returned;
   on failure *tok is NULL and a negative HERO_E* code is returned (err filled). */
HERODEF int hero_tokenizer_load(hero_tokenizer **tok, const char *vocab_json_path,
                                const char *merges_path, hero_error *err);
/* Same from memory buffers (only read during the call; need not be NUL-terminated). */
HERODEF int hero_tokenizer_load_memory(hero_tokenizer **tok, const char *vocab_json, size_t vocab_len,
                                       const char *merges_txt, size_t merges_len, hero_error *err);
HERODEF void hero_tokenizer_free(hero_tokenizer *tok);

/* Encode `len` bytes of UTF-8 `text`. Writes at most max_ids ids to `ids` (may be NULL when
   max_ids is 0) and returns the total number of ids, which may be > max_ids: then call again
   with a bigger buffer. Negative HERO_E* on error. `flags`: HERO_TOKENIZE_* (0 = plain). */
HERODEF int hero_tokenize(const hero_tokenizer *tok, const char *text, size_t len, int flags,
                          int32_t *ids, int max_ids, hero_error *err);

/* Decode ids to UTF-8 text (invalid byte sequences become U+FFFD, like Node's TextDecoder
   and HF's errors="replace"; a leading U+FEFF is kept, which gpt-3-encoder's decode() drops).
   A token that is not made of the 256 byte characters only is copied as is (HF's ByteLevel
   decoder; gpt-3-encoder would write a 0 byte per UTF-16 unit of such characters). Like snprintf: writes at most out_size-1 bytes plus a NUL
   (out may be NULL when out_size is 0) and returns the full length in bytes, excluding the
   NUL; if that is >= out_size, call again with a bigger buffer. An id that is not in the
   vocab is an error (HERO_EINVAL). */
HERODEF int hero_detokenize(const hero_tokenizer *tok, const int32_t *ids, int n, char *out,
                            size_t out_size, hero_error *err);

/* Id of a vocab token given as its vocab.json string (UTF-8, byte-level form such as
   "\xC4\xA0the" for " the"), or -1 if absent. */
HERODEF int hero_token_id(const hero_tokenizer *tok, const char *token);
/* The vocab.json string of an id (NUL-terminated, owned by tok), or NULL if absent. */
HERODEF const char *hero_token_str(const hero_tokenizer *tok, int32_t id);
/* Number of tokens in the vocab. */
HERODEF int hero_tokenizer_vocab_size(const hero_tokenizer *tok);
#endif /* HERO_NO_TOKENIZER */
#ifndef HERO_NO_MEDIA
/* ---- Media: subtitles (SRT, the official JSONL), text normalisation, subtitle -> frame
   alignment, video features (ResNet + SlowFast .npz) -> hero_video ---------------------------

   What the official preprocessing does (scripts/prepro_sub.py, data/data.py, docs/REFERENCE.md §6),
   step by step, and the function that does it here:
     1. subtitles (text, start s, end s) per video        hero_subs_parse_srt / _jsonl
     2. text: HTML entities unescaped, a text that is
        entirely upper case lower-cased                    hero_text_normalize
     3. RoBERTa byte-level BPE, no special tokens          hero_tokenize(HERO_TOKENIZE_ROBERTA)
     4. each frame to the subtitle with the highest
        temporal IoU, the 100-frame cut                    hero_subs_align
     5. features: ResNet ++ SlowFast per frame             hero_feats_read_pair / hero_feats_read
     6. all of it as one hero_video                        hero_video_prepare
   The query side (prepro_query.py) only lower-cases an all-upper-case text (no unescaping):
   hero_text_normalize(..., 0, ...) then [CLS] + hero_tokenize ids. */
/* ---------------- subtitles ---------------- */

typedef struct hero_sub {
    double start, end;  /* seconds, as read (the alignment rounds them to float32 like numpy) */
    char *text;         /* UTF-8, NUL-terminated, raw (not normalised) */
} hero_sub;

/* The subtitles of one video, sorted by start time (stable; the official code requires
   sorted input and asserts it: a file out of order is sorted here, by the float32 start the
   official assert compares). */
typedef struct hero_subtitles {
    char *name;         /* video name: JSONL "vid_name", SRT: the name given */
    int n;
    hero_sub *subs;     /* [n] */
} hero_subtitles;

#define HERO_SUBS_MAX_FILE ((size_t)1 << 30) /* largest subtitle file read (1 GiB) */
#define HERO_SUBS_MAX_CUES 1000000           /* most subtitles per video */
#define HERO_SUBS_MAX_TIME 1.0e7             /* latest time accepted, seconds (~115 days) */

/* SRT: cues "N" / "HH:MM:SS,mmm --> HH:MM:SS,mmm" / text lines / blank line. Accepted: a
   UTF-8 BOM, CRLF / CR / LF line ends, missing blank lines and missing cue numbers, '.' or
   ',' before the fraction (any number of digits), hours of any width or absent (MM:SS,mmm),
   trailing cue settings after the end time ("X1:..", "align:start"). A cue's text lines are
   trimmed and joined with one space; formatting tags <i> <b> <u> <s> <font ...> (and their
   closing tags, any case) and ASS overrides "{\...}" are removed; any other '<' stays text.
   A text line after a blank line that is neither a cue number nor a timing line continues
   the previous cue. A cue with end < start is kept (the official code does not check it).
   Errors name the file (`name`), the line and what was found: a first line that is neither
   a cue number nor a timing line, a cue number without a timing line, a time past
   HERO_SUBS_MAX_TIME. */
HERODEF int hero_subs_parse_srt(hero_subtitles *out, const char *data, size_t len, const char *name,
                                hero_error *err);
/* Reads an SRT file; the video name is the file name without directory and extension. */
HERODEF int hero_subs_read_srt(hero_subtitles *out, const char *path, hero_error *err);

/* The official subtitle JSONL: one video per line, {"vid_name": str, "sub": [{"text": str,
   "start": number, "end": number}, ...]} (other keys ignored; blank lines skipped). Fills
   *out with *n_videos HERO_MALLOC'd entries, in file order (a name given twice: both are
   kept; hero_subs_find returns the last one, as the official dict does). Errors name the
   file, line, key, and what was expected. */
HERODEF int hero_subs_parse_jsonl(hero_subtitles **out, int *n_videos, const char *data, size_t len,
                                  const char *name, hero_error *err);
HERODEF int hero_subs_read_jsonl(hero_subtitles **out, int *n_videos, const char *path, hero_error *err);
/* The entry named `name` (the last one if repeated), or NULL. */
HERODEF const hero_subtitles *hero_subs_find(const hero_subtitles *list, int n, const char *name);
HERODEF void hero_subtitles_free(hero_subtitles *s);               /* one (not the struct itself) */
HERODEF void hero_subs_list_free(hero_subtitles *list, int n);     /* the entries and the array */

/* ---------------- text normalisation ---------------- */

/* Python's html.unescape on UTF-8 text: numeric references &#NN; / &#xHH; (the ';' is
   optional; Windows-1252 remapping of 0x80..0x9F, 0 -> U+FFFD, surrogates and > U+10FFFF ->
   U+FFFD, noncharacters and C0/C1 controls -> nothing, exactly as Python) and named
   references from this table: the 252 HTML 4 entities + &apos; (+ AMP COPY GT LT QUOT REG),
   with ';', and the 106 legacy names that HTML5 also accepts without ';' including the
   longest-prefix rule ("&ampx" -> "&x", "&notit;" -> "\u00ACit;"). A named reference outside
   that table (one of HTML5's other ~1900 names, e.g. "&NotEqualTilde;") stays as written
   (Python would replace it). *out is HERO_MALLOC'd and NUL-terminated. */
HERODEF int hero_html_unescape(const char *in, size_t len, char **out, size_t *out_len, hero_error *err);

/* Python's str.isupper() on UTF-8 text: 1 when it has at least one upper-case character and
   no lower-case or title-case one (Unicode 14 Lowercase / Uppercase / Lt, as Python 3.11;
   every code point). Invalid UTF-8 bytes count as uncased. */
HERODEF int hero_text_isupper(const char *s, size_t len);

/* Python's str.lower() on UTF-8 text (Unicode 14, every code point, U+0130 -> "i\u0307",
   capital sigma -> final sigma at the end of a word; the word-boundary test treats
   combining marks U+0300..U+036F, apostrophes, '.', ':' and U+00B7 as case-ignorable,
   a subset of Unicode's Case_Ignorable). Invalid bytes are copied. */
HERODEF int hero_text_lower(const char *in, size_t len, char **out, size_t *out_len, hero_error *err);

/* The official text rule: unescape (when `unescape`: subtitles yes, queries no), then, if
   the whole text isupper(), lower(). */
HERODEF int hero_text_normalize(const char *in, size_t len, int unescape, char **out, size_t *out_len,
                                hero_error *err);

/* ---------------- subtitle -> frame alignment ---------------- */

/* Which frames each subtitle row gets (the official unique_sub2frames after the
   max_clip_len cut of SubTokLmdb.compute_sub2frames). */
typedef struct hero_sub_frames {
    int n_rows;          /* subtitle rows kept (rows 0..n_rows-1 = subtitles 0..n_rows-1) */
    int pseudo;          /* 1: the video has no subtitles: rows are empty pseudo-subtitles
                            over consecutive 5-frame windows */
    int T;               /* frames after the cut: min(n_frames, max_frames) */
    int32_t *nframes;    /* [n_rows] */
    int32_t *frames;     /* [sum nframes], per row strictly ascending, each < T */
} hero_sub_frames;

/* The official alignment (prepro_sub.py process_single_vid_sub with float32 times, as numpy
   computes them): frame r covers [r, r+1) in units of frame_len; subtitle i's candidate
   frames are floor(start/fl) .. ceil(end/fl)-1; a subtitle starting at or after
   n_frames*fl gets none; the LAST subtitle, when min(end, n_frames*fl) - start > 16 s, keeps
   only its first 11 candidates. Each frame goes to the candidate subtitle with the highest
   temporal IoU (first on ties; all IoUs 0: subtitle 0). Then the cut: max_frames > 0 and
   n_frames > max_frames: rows are kept in order until the first one with a frame >= the cut
   (that row keeps its frames below it; a row with frames, all cut, is dropped), frames >= cut
   removed. No subtitles (subs NULL or n 0): pseudo-rows over 5-frame windows, same cut.
   n_frames: the video's frames before any cut (>= 1); frame_len in [1e-6, 1e6) s; every
   start / end finite within +-HERO_SUBS_MAX_TIME (else HERO_EINVAL naming the subtitle). Work
   is bounded: more than 2e9 frame x subtitle checks is HERO_ELIMIT. */
HERODEF int hero_subs_align(const hero_subtitles *subs, int n_frames, double frame_len, int max_frames,
                            hero_sub_frames *out, hero_error *err);
HERODEF void hero_sub_frames_free(hero_sub_frames *a);

/* ---------------- video features ---------------- */

#define HERO_FEAT_RESNET 2048    /* default feature widths of the released model */
#define HERO_FEAT_SLOWFAST 2304

typedef struct hero_feats {
    int T;          /* frames kept: min(T_full, max_frames) */
    int T_full;     /* frames the files have (the shorter one of a pair), before the cut */
    int F;          /* floats per frame */
    float *data;    /* [T*F], HERO_MALLOC'd */
} hero_feats;

/* ResNet then SlowFast features of one video, joined per frame (resnet ++ slowfast), cut to
   the shorter of the two and to max_frames (> 0). Each file: .npz with a member "features"
   (or .npy), 2-D [T, dim], f16 / f32 / f64 / bf16; every value must be finite. dim_resnet /
   dim_slowfast: the widths required (2048 / 2304 for the release); errors name the file and
   what was expected. */
HERODEF int hero_feats_read_pair(hero_feats *out, const char *resnet_path, const char *slowfast_path,
                                 int dim_resnet, int dim_slowfast, int max_frames, hero_error *err);
/* Pre-joined features: .npy, or .npz with "features" (or exactly one member), [T, F]. */
HERODEF int hero_feats_read(hero_feats *out, const char *path, int F, int max_frames, hero_error *err);
HERODEF void hero_feats_free(hero_feats *f);

/* ---------------- one video, ready for hero_build_batch ---------------- */

typedef struct hero_media_options {
    double frame_len;      /* 1.5 s (vfeat_interval of the TV / HowTo100M features) */
    int max_frames;        /* 100 (max_clip_len) */
    int max_sub_tokens;    /* 60 (max_txt_len); <= 0: no cut. NOTE: the official inference
                              (eval_vcmr.py: VideoFeatSubTokDataset + video_collate) does not
                              cut subtitles; training does (MLM, VSM). Use 0 for inference
                              parity when a subtitle has more than 60 tokens. */
} hero_media_options;

HERODEF hero_media_options hero_media_options_default(void);

/* A hero_video with its own arrays. */
typedef struct hero_video_data {
    hero_video video;      /* views into the arrays below */
    float *feats;          /* [T*F] */
    int32_t *sub_len, *sub_tokens, *sub_nframes, *sub_frames;
    int pseudo;            /* the video had no subtitles */
    int n_tokens_cut;      /* how many subtitles were cut to max_sub_tokens */
} hero_video_data;

/* Aligns subs (may be NULL: no subtitles) to feats->T_full frames, cuts at o->max_frames,
   normalises (unescape + upper-case rule) and tokenizes each kept subtitle (tok, no special
   tokens, HF RoBERTa semantics), cuts to o->max_sub_tokens. feats->T must equal
   min(T_full, max_frames) (as hero_feats_read* leave it); its data is copied. */
#ifndef HERO_NO_TOKENIZER
HERODEF int hero_video_prepare(hero_video_data *out, const hero_feats *feats, const hero_subtitles *subs,
                               const hero_tokenizer *tok, const hero_media_options *o, hero_error *err);
#endif
HERODEF void hero_video_data_free(hero_video_data *v);

/* ---------------- VCMR ranking (eval_vcmr.py validate_full_vcmr) ---------------- */

typedef struct hero_vcmr_options {
    float q2c_alpha;       /* 20: video score = exp(q2c_alpha * q2video) */
    int max_vcmr_video;    /* 100: moments only from the best this many videos */
    int min_pred_l;        /* 2: a span (st, ed) needs min_pred_l <= ed - st < max_pred_l */
    int max_pred_l;        /* 16 */
} hero_vcmr_options;       /* defaults: config/train-{tvr,how2r,didemo_video_sub}-*.json */

HERODEF hero_vcmr_options hero_vcmr_options_default(void);

typedef struct hero_moment {
    int video;             /* index into the B videos */
    int st, ed;            /* frames; the moment is [st*fl, (ed+1)*fl) seconds */
    float score;           /* softmax(st)[st] * exp(alpha * q2video) * softmax(ed)[ed] */
    float video_score;     /* q2video (max cosine over frames) */
} hero_moment;

/* Ranks moments for ONE query from hero_vcmr_scores' outputs: q2video [B], st / ed [B, L]
   logits (after mask_logits). As the official code: softmax of st and ed over all L
   positions; the max_vcmr_video videos with the highest exp(alpha * q2video) (ties: lower
   index first); every (st, ed) with min_pred_l <= ed - st < max_pred_l scored by the product
   above; sorted descending (ties: video rank, then st, then ed). Writes at most max_out
   moments and returns how many (or a negative HERO_E*). best_per_video != 0: only each
   video's best moment (the official list with repeats of a video removed). A moment with
   score 0 (a video too short for any span) is never returned. */
HERODEF int hero_vcmr_rank(const float *q2video, const float *st, const float *ed, int B, int L,
                           const hero_vcmr_options *o, int best_per_video, hero_moment *out, int max_out,
                           hero_error *err);

/* ---------------- the official retrieval metrics: TVR / How2R / DiDeMo (VCMR, SVMR, VR), MSR-VTT (VR) ----

   utils/tvr_eval_utils.py + utils/tvr_standalone_eval.py (linjieli222/HERO), called in the order
   of eval_vcmr.py validate_full_vcmr (eval_vr.py validate_full_vr: steps 1-3, VR only):
     1. the submission rows:   hero_tvr_sub_init, then per query hero_tvr_sub_add (one row) or
                               hero_tvr_sub_add_flat (VCMR: the flat sorted (video, st, ed) indices)
     2. the cut, IN PLACE:     hero_tvr_sub_cut(sub, max_after_nms) (get_submission_top_n; VR in
                               eval_vr: max_vr_video); the NMS of step 4 only ever sees these rows
     3. the recall:            hero_tvr_eval on the cut submission
     4. NMS, recall again:     hero_tvr_nms(VCMR or SVMR, nms_thd, max_before_nms, max_after_nms),
                               then hero_tvr_eval on its output
   Every number is the official one: a row's seconds are computed in the official precision
   (VCMR: float32, SVMR: float64; st = s * interval, ed = (e + 1) * interval); the recall's IoU
   is float32 (predictions and ground truth cast to float32, union = max(ends) - min(starts),
   IoU 0 when that is 0) compared with >= to the float32 threshold; a query's rows are its
   first 100; each recall is numpy's round(100 * fraction, 2); NMS uses float64 IoU and drops
   a row only when IoU > nms_thd. Video ids are the global ids of the official video2idx.

   A hero_tvr_sub owns its arrays (hero_tvr_sub_free). Rows past n[q] read (-1, 0, 0, 0). */

typedef enum hero_tvr_task { HERO_TVR_VCMR = 0, HERO_TVR_SVMR = 1, HERO_TVR_VR = 2 } hero_tvr_task;

#define HERO_TVR_N_IOU 2   /* IoU thresholds 0.5, 0.7 (utils/const.py VCMR_IOU_THDS) */
#define HERO_TVR_N_K 4     /* recall at 1, 5, 10, 100 */
#define HERO_TVR_MAX_ROWS 100000 /* most rows per query a submission may hold */

typedef struct hero_tvr_sub {
    int n_queries;         /* Q */
    int k;                 /* row capacity per query */
    double *pred;          /* [Q, k, 4]: global video id, st seconds, ed seconds, score */
    int32_t *n;            /* [Q] rows in use, score-sorted as the official lists are */
    int32_t *qidx;         /* [Q] the ground-truth query each answers (index into hero_tvr_gt) */
} hero_tvr_sub;

/* Q queries of k empty rows; qidx[q] = q. */
HERODEF int hero_tvr_sub_init(hero_tvr_sub *s, int n_queries, int k, hero_error *err);
HERODEF void hero_tvr_sub_free(hero_tvr_sub *s);
/* Appends one row to query q (HERO_ELIMIT when its k rows are full), as eval_vcmr.py writes it:
     VCMR: (video_id, float32(st * interval), float32(ed * interval + interval), score)  [float32 math]
     SVMR: (video_id, st * interval, (ed + 1) * interval, score)                         [float64 math]
     VR:   (video_id, 0, 0, score)    (st, ed, interval unused)
   st / ed: frame indices, ed inclusive (0 <= st, ed < 2^24); score: the official float32 value
   (VCMR: st_prob * exp(alpha * q2video) * ed_prob, SVMR: st_prob * ed_prob, VR: eval_vcmr's
   exp(alpha * q2video) or eval_vr's raw q2video). */
HERODEF int hero_tvr_sub_add(hero_tvr_sub *s, hero_tvr_task task, int q, int64_t video_id, int st, int ed,
                             float score, double interval, hero_error *err);
/* eval_vcmr.py's VCMR rows of query q from its flat sorted indices: flat_idx[j] (j < n) indexes
   the (max_vcmr_video, max_clip_len, max_clip_len) score cube and is decoded with THOSE config
   dimensions, as the official code does (only right when the longest evaluated video fills
   max_clip_len); rank = video's rank among the query's top videos, top_videos[rank] its index
   into video_ids (the global ids). A rank >= n_top or an index outside video_ids is
   HERO_EINVAL (the official code would fail there too). */
HERODEF int hero_tvr_sub_add_flat(hero_tvr_sub *s, int q, const int64_t *flat_idx, const float *scores, int n,
                                  const int32_t *top_videos, int n_top, int max_vcmr_video, int max_clip_len,
                                  const int64_t *video_ids, int n_videos, double interval, hero_error *err);
/* get_submission_top_n: keeps each query's first max_rows rows (>= 1), IN PLACE (k shrinks). */
HERODEF int hero_tvr_sub_cut(hero_tvr_sub *s, int max_rows, hero_error *err);

/* The official NMS into a new submission *out (in is unchanged):
     VCMR (post_processing_vcmr_nms): per query, its first max_before_nms rows grouped by video
       (groups in order of first appearance), temporal NMS within each group (at most 100 rows
       kept per group), the groups joined and stably re-sorted by score across videos, cut to
       max_after_nms;
     SVMR (post_processing_svmr_nms): per query, temporal NMS over its first max_before_nms rows
       (all of the GT video), cut to max_after_nms, the first row's video id on every row.
   Temporal NMS (temporal_non_maximum_suppression): a list of one row is kept as is; otherwise
   stably sorted by score (descending), then repeatedly the best row is kept and every later
   row with IoU > nms_thd against it dropped, up to 100 rows. A NaN score is HERO_EINVAL (the
   official sort has no defined order then). out->k = the longest result. */
HERODEF int hero_tvr_nms(hero_tvr_sub *out, const hero_tvr_sub *in, hero_tvr_task task, double nms_thd,
                         int max_before_nms, int max_after_nms, hero_error *err);

/* The ground truth of a query set (the official annotation JSONL: vid_name -> video2idx, ts, type). */
typedef struct hero_tvr_gt {
    int n;                 /* queries */
    const int64_t *video;  /* [n] global video id of the query's video */
    const double *ts;      /* [n, max_ts, 2] seconds ("ts"); NULL: none (VR only, e.g. MSR-VTT) */
    int max_ts;            /* windows per query in ts: 1 (TVR, How2R) or >= 4 (DiDeMo) */
    const int32_t *n_ts;   /* [n] windows of each query (1, or >= 4 and <= max_ts); NULL: max_ts each.
                              One window: a hit needs IoU >= thd with it; four or more (DiDeMo):
                              IoU >= thd with at least 2 of them */
    const int32_t *type;   /* [n] 0 "v", 1 "t", 2 "vt" (TVR's "type"); NULL: no query types */
} hero_tvr_gt;

/* The recall dict of eval_retrieval for one task (VCMR / SVMR: "0.5-r1" .. "0.7-r100" =
   r[iou][k]; VR: "r1" .. "r100" = r[0][k]) and, with query types, "<TASK>_by_type"
   ("v-0.5-r1" ... = by_type[type][iou][k]; VR "v-r1" ... = by_type[type][0][k]); a type with
   no query gives NaN, as numpy's 0/0. type_ratio: desc_type_ratio's three percentages. */
typedef struct hero_tvr_metrics {
    hero_tvr_task task;
    int has_types;
    double r[HERO_TVR_N_IOU][HERO_TVR_N_K];
    double by_type[3][HERO_TVR_N_IOU][HERO_TVR_N_K];
    double type_ratio[3];
} hero_tvr_metrics;

/* eval_by_task_type for one task: recall at 1/5/10/100 of sub's queries against gt (match_number:
   sub's qidx must be a permutation of gt's n queries), query types when gt->type is set. VCMR: a
   query counts when one of its first K rows is on the GT video with IoU >= thd; SVMR: the same
   over its rows ON the GT video only (the first K of those); VR: one of its first K rows is the
   GT video. A query without rows counts as a miss (the official code fails on it). NaN / Inf
   times make no hit (numpy's NaN IoU). */
HERODEF int hero_tvr_eval(hero_tvr_metrics *out, hero_tvr_task task, const hero_tvr_sub *sub, const hero_tvr_gt *gt,
                          hero_error *err);
/* The official key of one recall: type -1 (none) or 0..2, iou 0..1 (ignored for VR), k 0..3:
   "0.5-r1", "vt-0.7-r100", "r5", "t-r10". Returns buf. */
HERODEF const char *hero_tvr_metric_key(char *buf, size_t cap, hero_tvr_task task, int type, int iou, int k);

/* ---------------- annotation files of the downstream datasets (JSONL: one JSON object a line) ----

   The files users download with the official release (scripts/download_*.sh, the txt_db
   folders' query_data.jsonl, TVRetrieval / TVCaption releases). Fields used, per kind (other
   keys are ignored; a missing optional field leaves its default):
     HERO_ANN_TVR     TVR / How2R / DiDeMo / VIOLIN / MSR-VTT queries:
                        id    "desc_id" (MSR-VTT: "sen_id", else "retrieval_key")   required
                        text  "desc" (MSR-VTT: "caption")                          required
                        video "vid_name" (MSR-VTT: "clip_name", else "video_id")   optional (test splits)
                        ts    "ts": [st, ed] (TVR, How2R) or [[st, ed] x 4+] (DiDeMo) seconds
                        duration "duration", type "type" ("v" / "t" / "vt"), label "label" (VIOLIN: 0 / 1,
                        true / false)
     HERO_ANN_TVQA    TVQA / How2QA questions: id "qid", text "q", candidates "a0", "a1", ... (up
                        to 5, consecutive), answer "answer_idx", video "vid_name", ts "ts" as the
                        string "st-ed" (kept in ts_text; parsed into ts[0] when both halves are finite
                        numbers, as data/videoQA.py's float() split; "NaN-NaN" gives none) or [st, ed]
     HERO_ANN_TVC     TVC clips: id "clip_id", video "vid_name", ts "ts" [st, ed], duration
                        "duration", captions "descs": [{"desc", "desc_id", "type"}] (test files
                        have none)
   Ids are kept as text: a JSON string as is, a JSON integer in decimal ("90200"). Text is kept
   as written (UTF-8, escapes decoded): the official preprocessing then lower-cases an all-upper
   text (hero_text_normalize with unescape 0 for queries, 1 for subtitles) and tokenizes it
   (hero_tokenize). Every reader treats its input as hostile: wrong types, a ts that is not
   numbers, more than HERO_ANN_MAX_TS windows, are errors naming the file, line and key. */

typedef enum hero_ann_kind { HERO_ANN_TVR = 0, HERO_ANN_TVQA = 1, HERO_ANN_TVC = 2 } hero_ann_kind;

#define HERO_ANN_MAX_TS 64          /* most windows in one "ts" */
#define HERO_ANN_MAX_FILE ((size_t)1 << 31) /* largest annotation file read (2 GiB) */

typedef struct hero_ann_caption {
    char *id;               /* "desc_id" */
    char *text;             /* "desc" */
    int type;               /* "type": 0 v, 1 t, 2 vt; -1 absent */
} hero_ann_caption;

typedef struct hero_ann {
    char *id;               /* see above; never NULL */
    char *text;             /* the query / question / statement; NULL for TVC */
    char *video;            /* NULL when absent */
    int n_ts;               /* windows in ts: 0 none, 1, or DiDeMo's 4+ */
    double (*ts)[2];        /* [n_ts] (st, ed) seconds */
    char *ts_text;          /* TVQA's "st-ed" string as written; NULL otherwise */
    double duration;        /* seconds; -1 absent */
    int type;               /* TVR "type": 0 v, 1 t, 2 vt; -1 absent */
    int label;              /* VIOLIN "label" 0 / 1, TVQA "answer_idx"; -1 absent */
    int n_cand;             /* TVQA: candidate answers a0.. */
    char *cand[5];
    int n_caps;             /* TVC: the clip's captions */
    hero_ann_caption *caps;
} hero_ann;

typedef struct hero_ann_list {
    hero_ann_kind kind;
    int n;
    hero_ann *items;        /* [n], in file order */
} hero_ann_list;

/* Parses len bytes of JSONL (a UTF-8 BOM, CRLF and blank lines accepted); name is used in messages. */
HERODEF int hero_ann_parse(hero_ann_list *out, hero_ann_kind kind, const char *data, size_t len, const char *name,
                           hero_error *err);
HERODEF int hero_ann_read(hero_ann_list *out, hero_ann_kind kind, const char *path, hero_error *err);
HERODEF void hero_ann_list_free(hero_ann_list *l);
/* The ground truth for hero_tvr_eval from TVR-kind annotations: video ids by looking each
   query's video up in names[n_names] -> ids[n_names] (the official video2idx); ts / n_ts
   from the windows; type when every query has one. The arrays are HERO_MALLOC'd into *gt
   (free with hero_tvr_gt_free). A query whose video is not in the list is HERO_EMISSING. */
HERODEF int hero_ann_tvr_gt(hero_tvr_gt *gt, const hero_ann_list *a, const char *const *names, const int64_t *ids,
                            int n_names, hero_error *err);
HERODEF void hero_tvr_gt_free(hero_tvr_gt *gt);
#endif /* HERO_NO_MEDIA */
/* ======================================================================================
   Initialisation: a fresh model, or the official pre-training init from RoBERTa
   ====================================================================================== */

/* Fresh parameters, as the official code builds a model for pre-training from scratch:
   HeroForPretraining(config) followed by load_partial_pretrained({}) (RoBERTa init with an
   empty checkpoint). m must come from hero_model_init (dims set); every parameter is
   overwritten. Deterministic: same seed and dims give the same numbers (each tensor draws
   from its own stream, seeded by seed and the tensor's name), on every platform up to
   libm rounding. What each tensor gets (r = initializer_range = HERO_INITIALIZER_RANGE):
   - v_encoder.* (the official init_weights): Linear and Embedding weights N(0, r) (every
     row, padding_idx rows included, as the official normal_ overwrites them), Linear biases
     0, LayerNorm (and feat_regress.net.2) weight 1 bias 0;
     then as pad_vocab / init_type_embedding: word_embeddings rows V..Vp-1 = 0,
     token_type_embeddings row 1 = row 0, v_encoder.mask_embedding row 0 = 0.
   - v_encoder.f_encoder.lm_head: dense.weight and dense.bias U(-1/sqrt(H), 1/sqrt(H))
     (PyTorch's default nn.Linear init: the official CrossModalTrm creates lm_head after its
     init_weights pass), LayerNorm 1 / 0, lm_head.bias 0.
   - q_feat_attn.*, video_query_linear.*: PyTorch's defaults, because the official
     HeroForPretraining creates these modules after the init_weights pass and never
     re-initialises them: Linear weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
     query_pos_embed.position_embeddings N(0, 1) (nn.Embedding default), LayerNorm 1 / 0.
   - video_st_predictor / video_ed_predictor (Conv1d 1->1, kernel k, no bias): PyTorch's
     default kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(k), 1/sqrt(k)).
   Gradients and has_grad flags are left as they are. */
#ifndef HERO_INITIALIZER_RANGE
#define HERO_INITIALIZER_RANGE 0.02f /* f_config.initializer_range of every released config */
#endif
HERODEF int hero_model_init_random(hero_model *m, uint64_t seed);

/* The official pre-training init (HeroForPretraining.load_partial_pretrained with
   skip_layers=True) from a HuggingFace-layout RoBERTa state dict (`roberta.*`,
   `lm_head.*`, LayerNorm params possibly named gamma/beta), read from `path_or_NULL`, or
   from the already open `tf` when path_or_NULL is NULL.
   Call hero_model_init_random(m, seed) first: the official code builds the whole model
   fresh and overwrites only what the file provides (a model still all zeros from
   hero_model_init is refused with HERO_EINVAL). Exactly as the official loader:
   1. layer skipping: gap = int(12 / f_layers); keys containing "roberta.encoder.layer." whose
      4th dot-component is gap-1, 2*gap-1, ... become layers 0, 1, ...; other layer keys are
      dropped (f_layers must be 1..12);
   2. keys containing "gamma" / "beta" are renamed (every occurrence) to "weight" / "bias";
   3. when any key starts with "roberta." that prefix is required (keys without it, such
      as HuggingFace's lm_head.*, are ignored: the official lm_head stays freshly
      initialised), else keys are taken as they are;
   4. each v_encoder.f_encoder.<name> parameter is loaded from <prefix><name> when present;
      roberta.lm_head.decoder.weight (tied) would overwrite the word table;
   5. the word table [V,H] and lm_head.bias [V] are padded to Vp rows with zeros, the
      token-type table becomes 2 rows, both the file's row 0 (any row count is accepted),
      and v_encoder.mask_embedding row 0 is zeroed.
   The report lists, like the official log, the keys not found (<prefix><name>, including
   the `pad` buffer and the tied lm_head.decoder.weight) and the keys under the prefix that
   match no parameter (e.g. roberta.embeddings.position_ids). Shapes are all checked before
   anything is written: on error the model is unchanged. A file from which nothing loads is
   an error (HERO_EMISSING). */
HERODEF int hero_model_init_roberta(hero_model *m, const char *path_or_NULL, const hero_tensorfile *tf,
                                    hero_load_report *rep, hero_error *err);

/* ======================================================================================
   Many machines: data-parallel pre-training over MPI (only with HERO_MPI; section 20)

   W processes (ranks) train one model together, as the official pretrain.py does with Horovod:
   - Data: every rank holds the whole model and its own shard of the corpus (the official
     split: rank r takes videos r, r+W, r+2W, ...: hero_dist_shard) and builds its own batches
     of videos_per_batch videos from it with its own PRNG: rank 0's is seeded exactly like a
     single process, rank r's with seed + r * 0x9E3779B97F4A7C15 (its video order then drawn as
     hero_trainer_init draws it).
   - Task: every update rank 0 draws the task from the mixture and broadcasts it; all ranks
     run accum_steps micro-batches of that task.
   - Averaged: the gradients. The has_grad flags are OR-ed (one small MPI_Allreduce, so every
     rank updates the same parameters), then the flat gradient block (the parameter table is
     one array) is summed in ONE MPI_Allreduce and divided by W: Horovod's average. Each
     rank's loss is the mean over its own batch, so for MLM / MFM / FOM an update follows the
     average of the per-rank gradients (the official semantics), which is not the gradient of
     one mean over the union batch (masked-token counts differ between ranks).
   - Gathered: VSM's video-level ranking losses (neg_ctx, neg_q) are taken over the queries
     and videos of EVERY rank. Each rank all-gathers the normalised modularised queries, the
     normalised frame representations and the frame masks (MPI_Allgather, each rank's block
     padded to the largest rank's), computes the global score matrix and the losses, and its
     backward keeps only the gradient of its own queries and frames (the official
     VsmAllgather), so negatives come from the whole global batch. The span (st/ed) loss stays per rank. After averaging, a VSM micro-batch adds
     (1/W) (sum_r grad st_ed_r + grad ranking_global).
   - Then clipping (of the averaged gradient), the NaN/Inf guard and AdamW run on identical
     gradients on every rank: the weights stay identical without further communication.
   - Checkpoints: hero_trainer_save is collective; rank 0 gathers every rank's data state
     (PRNG, video order, position) and alone writes the file (the path given on the other
     ranks is ignored). hero_trainer_load is collective: every rank reads the same file (a
     shared file system); a rank takes its own data state when the file was written by as
     many ranks with the same shard sizes, otherwise it restarts its data stream from the
     seed, its rank and the saved step; then the ranks check that they hold bit-identical
     weights and optimizer state.
   - On GPUs (HERO_CUDA as well; link -lnccl): the same rules, with the collectives of GPU
     memory done by NCCL on the model's stream: the gradient block is summed in ONE
     ncclAllReduce and divided by W on the device, rank 0's weights go out with ncclBroadcast,
     and VSM all-gathers the normalised queries, frames and masks with ncclAllGather (each
     rank's block padded to the largest rank's) and ranks them on the device. Only the small
     host numbers (status, has_grad flags, batch sizes, the task, data states) go over MPI.
   - Failures never leave the others waiting: a rank that fails (a bad batch, a NaN loss, out
     of memory) still takes part in the update's collectives with an error status; every rank
     then returns an error (HERO_EDIST where it failed elsewhere) and nothing is applied.

   Every rank runs the same program:
       MPI_Init(&argc, &argv);
       hero_dist d;  hero_dist_init(&d, MPI_COMM_WORLD, &err);
       n = hero_dist_shard(&d, all, n_all, mine);             // mine: (n_all + W - 1) / W videos
       hero_trainer_init(&t, &m, &cfg, mine, n, &err);        // the same m dims and cfg everywhere
       hero_trainer_set_dist(&t, &d, &err);                   // weights from rank 0
       if (resume) hero_trainer_load(&t, "state.safetensors", &err);
       while (t.opt.step < N) hero_trainer_update(&t, &err);
       hero_trainer_save(&t, "state.safetensors", &err);
       hero_trainer_free(&t); hero_dist_free(&d); MPI_Finalize();
   Functions marked collective must be called by every rank of the communicator, in the same
   order; they return the same success or failure on every rank. */
#ifdef HERO_MPI
typedef struct hero_dist {
    MPI_Comm comm;   /* hero.h's own duplicate of the caller's communicator (errors return, never abort) */
    int rank, world; /* this process's rank in comm; number of ranks W */
    void *nccl;      /* HERO_CUDA: the NCCL communicator (ncclComm_t) over the same ranks; else NULL */
    int device;      /* HERO_CUDA: the CUDA device NCCL runs on (current at hero_dist_init); else -1 */
} hero_dist;

/* Collective over comm; MPI must be initialised. Duplicates comm (MPI_Comm_dup), so hero.h's
   messages never mix with the caller's, and sets MPI_ERRORS_RETURN on the duplicate.
   With HERO_CUDA it also creates a NCCL communicator over the same ranks on the current CUDA
   device (rank 0's ncclUniqueId sent with MPI_Bcast): choose the device first (one per rank,
   e.g. cudaSetDevice(local rank)), then hero_dist_init, then hero_model_init. */
HERODEF int hero_dist_init(hero_dist *d, MPI_Comm comm, hero_error *err);
/* Collective: frees the duplicate (call it before MPI_Finalize). Safe on a zeroed struct. */
HERODEF void hero_dist_free(hero_dist *d);
/* This rank's shard of a corpus: views of videos rank, rank + W, rank + 2W, ... into out
   (room for (n_all + W - 1) / W); returns how many. */
HERODEF int hero_dist_shard(const hero_dist *d, const hero_video *all, int n_all, hero_video *out);
/* Collective: every rank's weights become rank root's (one MPI_Bcast of the flat block; one
   ncclBroadcast of a GPU model's, whose host copy is then refreshed). */
HERODEF int hero_dist_broadcast_params(const hero_dist *d, hero_model *m, int root, hero_error *err);
/* Collective: has_grad flags OR-ed over the ranks, gradients summed over the ranks (one
   MPI_Allreduce, in place, over the flat gradient block; one ncclAllReduce of a GPU model's)
   and divided by W. */
HERODEF int hero_dist_average_grads(const hero_dist *d, hero_model *m, hero_error *err);
/* hero_forward_backward (no repr_grad) with VSM's ranking losses over every rank's queries
   and videos (see above): for a VSM batch it is collective (each rank passes its own batch;
   every video needs the same number of queries, as the official loss assumes); res->loss,
   loss_neg_ctx, loss_neg_q and neg_ctx_mat [Nq_all, B_all - 1] / neg_q_mat [Nq_all,
   Nq_all - qpv] are then global, q2video [Nq, B] stays this rank's. Other tasks run locally. */
HERODEF int hero_forward_backward_dist(const hero_dist *d, hero_model *m, const hero_batch *b, int backward,
                                       hero_result *res, hero_error *err);
/* Collective: t (just initialised, each rank with its shard) trains data-parallel over d from
   now on (d == NULL: back to one process). Checks that every rank has the same model size
   and accum_steps, re-seeds the data PRNG of ranks r > 0 (see above) and copies rank 0's
   weights to every rank. d is kept by reference and must outlive the trainer's use of it.
   hero_trainer_update, hero_trainer_save and hero_trainer_load are then collective; after an
   update last_task, last_grad_norm (of the averaged gradient) and last_lr are the same on every
   rank, last_loss is this rank's (for VSM its span loss + the global ranking losses). */
HERODEF int hero_trainer_set_dist(hero_trainer *t, const hero_dist *d, hero_error *err);
#endif /* HERO_MPI */

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

/* LEGEND
   Dimension letters (shape comments are row-major, e.g. [B, L, H]):
     H   hidden size               A   attention heads (d = H / A)     Dff / I  FFN inner size
     F   frame feature size        V   vocabulary   Vp  V padded to a multiple of 8
     S   subtitle rows of a batch (cross-modal encoder input; N when a function takes any rows)
     Lt  padded text tokens per row   Lv  padded frames per row   Lg  gathered row length (frames, then text)
     B   videos   L  padded frames per video (temporal encoder)   T  a video's frames / a sequence length
     Nq  VSM queries   Lq  query tokens   Nv  videos scored against   K  classes (FOM) or conv kernel
     nm  masked frames (MFM)   n_mlm  masked tokens (MLM)   R, C  rows, columns of a generic op
   Private prefixes (everything private is hero__*, static; macros HERO__*):
     k_       the primitives the model code calls (section 2, [primitives]): dispatch to the backend
     cpu_     the CPU backend's table entries        cu_ / kn_  CUDA backend: host side / kernels (19)
     host_    host arena memory                      dev_  model-level backend hooks
     grad_    has_grad from the computation (hero__grad_mark)
     fenc_ / cenc_ / video_ / query_ / vsm_ / head_ / attn_ / layer_   model blocks (sections 4-8)
     task_ / check_ / prep_ / losses_   a task's model functions; draw_ / choices_ / collate_  its data
     dat_ / dprep_   batch building (13)     trainer_  training (14)    dist_ / mpi_ / nccl_  MPI (20)
     json_  JSON    tf_  tensor files    st_  safetensors    zip_ / inf_ / huff_  zip + inflate
     pk_  pickle (no code runs)   legacy_  legacy torch.save   npy_ / lit_  .npy header literals
     bits_  half floats   sb_  string builder   tok_  tokenizer (16)   utf8_  UTF-8
     mbuf_ / msrt_ / mcase_ / mn_ / mfeat_   media (17): buffer, SRT, case tables, IoU numbers, features
     rb_ / rdict_ / init_   initialisation from RoBERTa (18)
   Sections are grep-able: "   N. Title" in a banner; subsections as "---- [name]". */

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
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wc99-extensions" /* OpenBLAS's cblas.h uses _Complex, also in C++ */
#endif
#include <cblas.h>
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
#endif
/* ---- 2. GEMM backend check (OpenBLAS kernels vs the CPU) ----
   OpenBLAS with DYNAMIC_ARCH picks its kernels from the CPUID; an OpenBLAS older than the CPU
   falls back to its oldest x86-64 kernels ("Prescott": SSE3, no AVX): sgemm about 6x slower
   than the AVX-512 ones on recent Xeons, 2.6x on an AMD EPYC Zen 4 (2 threads, 77 vs 200
   GFLOP/s). We compare the kernel set it reports with what the CPU supports. */
#if defined(HERO_USE_CBLAS) && !defined(HERO__BLAS_CHECK_DONE)
#define HERO__BLAS_CHECK_DONE

#if (defined(__GNUC__) || defined(__clang__)) && defined(__ELF__) && (defined(__x86_64__) || defined(__i386__))
#define HERO__BLAS_CAN_CHECK 1
/* OpenBLAS's own function, declared here (other cblas.h lack it); weak, so that another CBLAS
   (no such symbol) still links and the check just answers NULL. */
#ifdef __cplusplus
extern "C" {
#endif
char *openblas_get_corename(void) __attribute__((weak));
#ifdef __cplusplus
}
#endif
#else
#define HERO__BLAS_CAN_CHECK 0
#endif
#if (defined(__GNUC__) || defined(__clang__)) && defined(__ELF__)
#define HERO__BLAS_CAN_THREAD 1
#ifdef __cplusplus
extern "C" {
#endif
void openblas_set_num_threads(int n) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
#ifdef __cplusplus
}
#endif
#endif

#if HERO__BLAS_CAN_CHECK
/* 1 if name (any case) is one of the NULL-terminated list */
static int hero__name_in(const char *name, const char *const *list) {
    for (; *list; list++) {
        const char *a = name, *b = *list;
        while (*a && *b) {
            char ca = *a, cb = *b;
            if (ca >= 'A' && ca <= 'Z') ca = (char)(ca - 'A' + 'a');
            if (ca != cb) break;
            a++, b++;
        }
        if (!*a && !*b) return 1;
    }
    return 0;
}
#endif

HERODEF const char *hero_blas_check(char *buf, size_t n) {
#if HERO__BLAS_CAN_CHECK
    /* OpenBLAS core names whose sgemm kernels use AVX2+FMA (or better) */
    static const char *const avx2_cores[] = {"haswell", "zen", "excavator", "skylakex", "cooperlake",
                                             "sapphirerapids", NULL};
    const char *core, *want;
    int has512, has2;
    if (!buf || n == 0 || !openblas_get_corename) return NULL;
    core = openblas_get_corename();
    if (!core || !*core || hero__name_in(core, avx2_cores)) return NULL;
    __builtin_cpu_init();
    has512 = __builtin_cpu_supports("avx512f") != 0;
    has2 = __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
    if (!has512 && !has2) return NULL; /* an old CPU: whatever OpenBLAS chose suits it */
    want = has512 ? "SKYLAKEX" : "HASWELL";
    snprintf(buf, n, "OpenBLAS runs its '%s' kernels on a CPU with %s: export OPENBLAS_CORETYPE=%s (%s faster sgemm)",
             core, has512 ? "AVX-512" : "AVX2", want, has512 ? "2.5-6x" : "2-3x");
    return buf;
#else
    (void)buf;
    (void)n;
    return NULL;
#endif
}
#endif /* HERO_USE_CBLAS && !HERO__BLAS_CHECK_DONE */

#if defined(__GNUC__) || defined(__clang__)
#define HERO__MAYBE_UNUSED __attribute__((unused))
#else
#define HERO__MAYBE_UNUSED
#endif

/* ---- 2. Threads: one process-wide worker pool for the library's parallel loops ----
   hero__parallel(fn, ctx, ntasks) runs fn(ctx, 0..ntasks-1), each task once, on up to
   hero_get_threads() threads (the caller is one of them) and returns when all are done. Tasks
   write disjoint outputs, and what a task computes depends only on its index, never on which
   thread runs it or when: so a loop's result depends at most on how its caller split the work
   (callers that reduce split by fixed sizes, so most results do not even depend on the thread
   count). Contiguous ranges of tasks go to each thread (part p: tasks [p*n/P, (p+1)*n/P)).
   Workers sleep on a condition variable between loops. A loop started while the pool runs
   another (a second caller thread, or a task that starts a loop) runs on its caller alone. */
typedef void (*hero__task_fn)(void *ctx, int task);

#if !defined(HERO_NO_THREADS) && defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#define HERO__THREADS 2
typedef SRWLOCK hero__mutex;
typedef CONDITION_VARIABLE hero__cond;
typedef HANDLE hero__thread;
#define HERO__MUTEX_INIT SRWLOCK_INIT
#define HERO__COND_INIT CONDITION_VARIABLE_INIT
#define hero__lock(m) AcquireSRWLockExclusive(m)
#define hero__unlock(m) ReleaseSRWLockExclusive(m)
#define hero__wait(c, m) SleepConditionVariableSRW(c, m, INFINITE, 0)
#define hero__signal(c) WakeConditionVariable(c)
#define hero__broadcast(c) WakeAllConditionVariable(c)
#elif !defined(HERO_NO_THREADS) && (defined(__unix__) || defined(__APPLE__) || defined(_POSIX_VERSION))
#include <pthread.h>
#include <unistd.h>
#define HERO__THREADS 1
typedef pthread_mutex_t hero__mutex;
typedef pthread_cond_t hero__cond;
typedef pthread_t hero__thread;
#define HERO__MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define HERO__COND_INIT PTHREAD_COND_INITIALIZER
#define hero__lock(m) pthread_mutex_lock(m)
#define hero__unlock(m) pthread_mutex_unlock(m)
#define hero__wait(c, m) pthread_cond_wait(c, m)
#define hero__signal(c) pthread_cond_signal(c)
#define hero__broadcast(c) pthread_cond_broadcast(c)
#else
#define HERO__THREADS 0
#endif

enum { HERO__MAX_THREADS = 64 };

#if HERO__THREADS
static struct hero__pool_s {
    hero__mutex mu;
    hero__cond work, done;     /* a new loop for the workers; the last part of a loop finished */
    int want;                  /* threads for loops, caller included (0: not chosen yet) */
    int started;               /* workers running (worker w runs part w + 1) */
    int busy, quit;            /* a loop is running; the workers are told to end */
    unsigned gen;              /* loop counter: a worker waits for it to change */
    int pending;               /* parts of this loop not finished yet */
    hero__task_fn fn;          /* this loop */
    void *ctx;
    int ntasks, nparts;
    hero__thread th[HERO__MAX_THREADS];
    unsigned born[HERO__MAX_THREADS]; /* gen when worker w was started: it runs the loops after it */
} hero__pool = {HERO__MUTEX_INIT, HERO__COND_INIT, HERO__COND_INIT, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, {0}, {0}};

static void hero__run_part(hero__task_fn fn, void *ctx, int ntasks, int nparts, int part) {
    int t = (int)((int64_t)part * ntasks / nparts), e = (int)((int64_t)(part + 1) * ntasks / nparts);
    for (; t < e; t++) fn(ctx, t);
}

#if HERO__THREADS == 2
static DWORD WINAPI hero__worker(LPVOID arg)
#else
static void *hero__worker(void *arg)
#endif
{
    int part = (int)(intptr_t)arg + 1;
    unsigned seen;
    hero__lock(&hero__pool.mu);
    seen = hero__pool.born[part - 1];
    for (;;) {
        while (hero__pool.gen == seen && !hero__pool.quit) hero__wait(&hero__pool.work, &hero__pool.mu);
        if (hero__pool.quit) break;
        seen = hero__pool.gen;
        if (part < hero__pool.nparts) {
            hero__task_fn fn = hero__pool.fn;
            void *ctx = hero__pool.ctx;
            int ntasks = hero__pool.ntasks, nparts = hero__pool.nparts;
            hero__unlock(&hero__pool.mu);
            hero__run_part(fn, ctx, ntasks, nparts, part);
            hero__lock(&hero__pool.mu);
            if (--hero__pool.pending == 0) hero__signal(&hero__pool.done);
        }
    }
    hero__unlock(&hero__pool.mu);
    return 0;
}

/* the online cores (at least 1, at most HERO__MAX_THREADS) */
static int hero__online_cores(void) {
    long n = 1;
#if HERO__THREADS == 2
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    n = (long)si.dwNumberOfProcessors;
#elif defined(_SC_NPROCESSORS_ONLN)
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n < 1 ? 1 : n > HERO__MAX_THREADS ? HERO__MAX_THREADS : (int)n;
}

/* the workers end with the program (or when a shared library holding hero.h is unloaded):
   nothing is left running or allocated for leak checkers */
#if (defined(__GNUC__) || defined(__clang__)) && HERO__THREADS == 1
__attribute__((destructor))
#elif defined(__GNUC__) || defined(__clang__)
__attribute__((unused))
#endif
static void hero__pool_stop(void) {
    int i, n;
    hero__lock(&hero__pool.mu);
    while (hero__pool.busy) hero__wait(&hero__pool.done, &hero__pool.mu);
    hero__pool.quit = 1;
    n = hero__pool.started;
    hero__broadcast(&hero__pool.work);
    hero__unlock(&hero__pool.mu);
    for (i = 0; i < n; i++) {
#if HERO__THREADS == 2
        WaitForSingleObject(hero__pool.th[i], INFINITE);
        CloseHandle(hero__pool.th[i]);
#else
        pthread_join(hero__pool.th[i], NULL);
#endif
    }
    hero__lock(&hero__pool.mu);
    hero__pool.started = 0;
    hero__pool.quit = 0;
    hero__unlock(&hero__pool.mu);
}
#endif /* HERO__THREADS */

HERODEF int hero_get_threads(void) {
#if HERO__THREADS
    int n;
    hero__lock(&hero__pool.mu);
    if (!hero__pool.want) hero__pool.want = hero__online_cores();
    n = hero__pool.want;
    hero__unlock(&hero__pool.mu);
    return n;
#else
    return 1;
#endif
}

HERODEF int hero_set_threads(int n) {
#if defined(HERO_USE_CBLAS) && defined(HERO__BLAS_CAN_THREAD)
    if (n >= 1 && openblas_set_num_threads) openblas_set_num_threads(n);
#endif
#if HERO__THREADS
    if (n >= 1) {
        hero__lock(&hero__pool.mu);
        hero__pool.want = n > HERO__MAX_THREADS ? HERO__MAX_THREADS : n; /* workers start when a loop needs them */
        hero__unlock(&hero__pool.mu);
    }
#endif
    (void)n;
    return hero_get_threads();
}

/* runs fn(ctx, t) for t < ntasks on the pool (see above) */
static void hero__parallel(hero__task_fn fn, void *ctx, int ntasks) {
    int t;
#if HERO__THREADS
    int nparts;
    if (ntasks > 1) {
        hero__lock(&hero__pool.mu);
        if (!hero__pool.want) hero__pool.want = hero__online_cores();
        nparts = ntasks < hero__pool.want ? ntasks : hero__pool.want;
        if (nparts > 1 && !hero__pool.busy && !hero__pool.quit) {
            while (hero__pool.started < nparts - 1) { /* start the workers this loop needs */
                int w = hero__pool.started, ok;
                hero__pool.born[w] = hero__pool.gen;
#if HERO__THREADS == 2
                hero__pool.th[w] = CreateThread(NULL, 0, hero__worker, (LPVOID)(intptr_t)w, 0, NULL);
                ok = hero__pool.th[w] != NULL;
#else
                ok = pthread_create(&hero__pool.th[w], NULL, hero__worker, (void *)(intptr_t)w) == 0;
#endif
                if (!ok) break;
                hero__pool.started++;
            }
            if (nparts > hero__pool.started + 1) nparts = hero__pool.started + 1; /* no more threads: fewer parts */
        }
        if (nparts > 1 && !hero__pool.busy && !hero__pool.quit) {
            hero__pool.busy = 1;
            hero__pool.fn = fn;
            hero__pool.ctx = ctx;
            hero__pool.ntasks = ntasks;
            hero__pool.nparts = nparts;
            hero__pool.pending = nparts - 1;
            hero__pool.gen++;
            hero__broadcast(&hero__pool.work);
            hero__unlock(&hero__pool.mu);
            hero__run_part(fn, ctx, ntasks, nparts, 0);
            hero__lock(&hero__pool.mu);
            while (hero__pool.pending > 0) hero__wait(&hero__pool.done, &hero__pool.mu);
            hero__pool.busy = 0;
            hero__pool.nparts = 0;
            hero__broadcast(&hero__pool.done); /* hero__pool_stop may wait for the pool to be idle */
            hero__unlock(&hero__pool.mu);
            return;
        }
        hero__unlock(&hero__pool.mu);
    }
#endif
    for (t = 0; t < ntasks; t++) fn(ctx, t);
}

/* how many parts to split `work` units (e.g. floats touched) into: 1 below `grain` units per part,
   else up to the thread count. Only for splits whose result does not depend on the count. */
HERO__MAYBE_UNUSED static int hero__split_all = 0; /* tests only: every loop split, however small */
static int hero__parts(size_t work, size_t grain) {
    size_t n = grain ? work / grain : work;
    int t = hero_get_threads();
    if (hero__split_all) return t;
    if (n < 1) n = 1;
    return n < (size_t)t ? (int)n : t;
}

/* the usual loop: items [0, n) (rows, elements, heads, ...) cut into `parts` contiguous ranges
   (parts = hero__for_parts(n, grain): `grain` items are the least worth a thread);
   fn(ctx, part, i0, i1) does items [i0, i1), part < parts (an index for per-part scratch). */
typedef void (*hero__range_fn)(void *ctx, int part, size_t i0, size_t i1);
typedef struct hero__range_job {
    hero__range_fn fn;
    void *ctx;
    size_t n;
    int parts;
} hero__range_job;
static void hero__range_task(void *c, int t) {
    const hero__range_job *j = (const hero__range_job *)c;
    size_t i0 = (size_t)((uint64_t)j->n * (uint64_t)t / (uint64_t)j->parts);
    size_t i1 = (size_t)((uint64_t)j->n * (uint64_t)(t + 1) / (uint64_t)j->parts);
    if (i0 < i1) j->fn(j->ctx, t, i0, i1);
}
static int hero__for_parts(size_t n, size_t grain) { return hero__parts(n, grain ? grain : 1); }
static void hero__for(hero__range_fn fn, void *ctx, size_t n, int parts) {
    hero__range_job j;
    if (n == 0) return;
    if (parts <= 1) { fn(ctx, 0, 0, n); return; }
    j.fn = fn; j.ctx = ctx; j.n = n; j.parts = parts;
    hero__parallel(hero__range_task, &j, parts);
}

/* memset to 0 of n floats, in parallel */
static void hero__zero_range(void *c, int part, size_t j0, size_t j1) {
    (void)part;
    memset((float *)c + j0, 0, (j1 - j0) * sizeof(float));
}
static void hero__zero_floats(float *x, size_t n) { hero__for(hero__zero_range, x, n, hero__for_parts(n, 1 << 18)); }


/* ======================================================================================
   1. Basics
   ====================================================================================== */

static int hero__fail_msg(hero_error *err, int code, const char *fmt, ...)
#if defined(__MINGW32__) && defined(__MINGW_PRINTF_FORMAT)
    __attribute__((format(__MINGW_PRINTF_FORMAT, 3, 4))) /* the C99 printf chosen above */
#elif defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int hero__fail_msg(hero_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}
static int hero__fail_code(int msg_written, int code) { (void)msg_written; return code; }
/* hero__fail(err, code, fmt, ...): the message into err (may be NULL), and `code` as the value.
   A macro over two calls so that the returned code is visible where it is returned (static
   analysis does not follow the variadic function: it would take any int, 0 included). */
#define hero__fail(err, code, ...) hero__fail_code(hero__fail_msg((err), (code), __VA_ARGS__), (code))

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
    case HERO_EDEVICE: return "GPU / CUDA error";
    case HERO_EDIST: return "distributed training: MPI error or another rank failed";
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


/* ---- file sizes in 64 bits: a checkpoint may exceed 2 GiB, and `long` (ftell) is 32-bit on
   Windows and on 32-bit ARM. fstat's off_t is 64-bit there with _FILE_OFFSET_BITS=64 (set at the
   top of hero.h); Windows: _fstat64. ---- */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#if !defined(_WIN32) && (defined(__unix__) || defined(__APPLE__)) && !defined(__cplusplus) && !defined(fileno)
extern int fileno(FILE *);
#endif

/* The size of an open regular file; nonzero for anything else (a directory, a pipe). */
static int hero__file_size(FILE *f, uint64_t *size) {
#if defined(_WIN32)
    struct _stat64 st;
    if (_fstat64(_fileno(f), &st) != 0 || (st.st_mode & _S_IFMT) != _S_IFREG || st.st_size < 0) return -1;
    *size = (uint64_t)st.st_size;
#elif defined(__unix__) || defined(__APPLE__)
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) return -1;
    *size = (uint64_t)st.st_size;
#else
    long end; /* plain C: ftell's long */
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) return -1;
    *size = (uint64_t)end;
#endif
    return 0;
}

/* A whole file into a HERO_MALLOC'd, NUL-terminated buffer of *size + 1 bytes; a file of more
   than `limit` bytes (0: no limit but address space) is an error, not an allocation. */
static int hero__read_file(const char *path, size_t limit, unsigned char **out, size_t *size, hero_error *err) {
    FILE *f;
    uint64_t fsz = 0;
    unsigned char *buf;
    size_t n, end;
    int explicit_limit = limit != 0 && limit <= SIZE_MAX / 2;
    *out = NULL;
    *size = 0;
    if (!path) return hero__fail(err, HERO_EINVAL, "read: NULL path");
    if (!explicit_limit) limit = SIZE_MAX / 2;
    f = fopen(path, "rb");
    if (!f) {
#ifdef EOVERFLOW
        if (errno == EOVERFLOW) /* 32-bit offsets: the file is over 2 GiB */
            return hero__fail(err, HERO_ELIMIT, "%s: over 2 GiB, and this build opens files with 32-bit offsets "
                                                "(compile with -D_FILE_OFFSET_BITS=64 or include hero.h before <stdio.h>)", path);
#endif
        return hero__fail(err, HERO_EIO, "%s: cannot open for reading", path);
    }
    if (hero__file_size(f, &fsz) != 0) {
        fclose(f);
        return hero__fail(err, HERO_EIO, "%s: cannot determine the file size (not a regular file: a directory?)", path);
    }
    if (fsz > (uint64_t)limit) {
        fclose(f);
        if (explicit_limit) return hero__fail(err, HERO_ELIMIT, "%s: %llu bytes, limit %zu", path, (unsigned long long)fsz, limit);
        return hero__fail(err, HERO_ELIMIT, "%s: %llu bytes, more than this %d-bit build can hold in memory (at most %zu)", path,
                          (unsigned long long)fsz, (int)(sizeof(size_t) * CHAR_BIT), limit);
    }
    end = (size_t)fsz;
    buf = (unsigned char *)HERO_MALLOC(end + 1);
    if (!buf) {
        fclose(f);
        return hero__fail(err, HERO_ENOMEM, "%s: %zu bytes: out of memory for reading it whole", path, end);
    }
    n = fread(buf, 1, end, f);
    if (n != end || ferror(f)) {
        fclose(f);
        HERO_FREE(buf);
        return hero__fail(err, HERO_EIO, "%s: read %zu of %zu bytes (a directory?)", path, n, end);
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    *size = n;
    return 0;
}

/* Maps a whole regular file (private, copy-on-write) into *out; 0, or -1 (then read it):
   not POSIX, HERO_NO_MMAP, not a regular file, empty, or a size that is a multiple of the page
   size (the readers may look at the byte after the data: the map's zero-filled page tail). */
#if (defined(__unix__) || defined(__APPLE__)) && !defined(HERO_NO_MMAP)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
static int hero__map_file(const char *path, unsigned char **out, size_t *size) {
    struct stat st;
    long page = sysconf(_SC_PAGESIZE);
    void *p;
    int fd;
    if (!path || page <= 0 || (fd = open(path, O_RDONLY)) < 0) return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size >= (uint64_t)(SIZE_MAX / 2) ||
        (uint64_t)st.st_size % (uint64_t)page == 0) {
        close(fd);
        return -1;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return -1;
    *out = (unsigned char *)p;
    *size = (size_t)st.st_size;
    return 0;
}
static void hero__unmap_file(void *p, size_t n) { munmap(p, n); }
#else
static int hero__map_file(const char *path, unsigned char **out, size_t *size) {
    (void)path; (void)out; (void)size;
    return -1;
}
static void hero__unmap_file(void *p, size_t n) { (void)p; (void)n; }
#endif

/* ======================================================================================
   2. Scratch arena, GEMM, elementwise ops. Each op's forward and backward side by side.
      Backward functions ADD into their input-gradient buffers (which start zeroed).
   ====================================================================================== */

/* ---- [backend interface] ---------------------------------------------------------------
   Where the numbers are computed: ONE table of functions per backend. The model code
   (sections 4-10) calls only the hero__k_* primitives (end of this section), which call the
   table of the arena they compute in; the model-level hooks (device memory, copies between
   host and device, AdamW, the gradient norm) are called through the model's table. The CPU
   backend is the reference (the ops of this section, "[backend: cpu]" at its end); section 19
   fills the same table for CUDA. A zeroed arena / model / optimizer (be == NULL) is on the CPU.
   Adding a backend: its own section that defines every entry and hands out its table from its
   model_init (as hero__cu_model_init does), plus one line in hero__backend_default. Nothing in
   the model, optimizer or training code changes. */
struct hero__rowmap;
struct hero__prep;
typedef struct hero__backend {
    const char *name;   /* "cpu", "cuda" */
    const char *memory; /* where its arena lives: "host", "device" (error messages) */
    /* activation memory of an arena of this backend: bytes (zeroed when zero != 0), reset, free */
    void *(*alloc)(hero_arena *a, size_t bytes, int zero);
    void (*arena_reset)(hero_arena *a);
    void (*arena_free)(hero_arena *a);
    /* the primitives: one entry per hero__k_* function (same arguments, same order of mention) */
    void (*gemm)(hero_arena *ar, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                int ldb, float beta, float *C, int ldc);
    void (*linear_fwd)(hero_arena *ar, float *out, const float *in, const float *W, const float *b, int N, int K, int O);
    void (*linear_bwd)(hero_arena *ar, float *din, float *dW, float *db, const float *dout, const float *in, const float *W,
                      int N, int K, int O);
    void (*layernorm_fwd)(hero_arena *ar, float *out, float *mean, float *rstd, const float *x, const float *w, const float *b,
                         int N, int C, float eps);
    void (*layernorm_bwd)(hero_arena *ar, float *dx, float *dw, float *db, const float *dout, const float *x, const float *mean,
                         const float *rstd, const float *w, int N, int C);
    void (*gelu_fwd)(hero_arena *ar, float *out, const float *x, size_t n);
    void (*gelu_bwd)(hero_arena *ar, float *dx, const float *dout, const float *x, size_t n);
    void (*relu_fwd)(hero_arena *ar, float *x, size_t n);
    void (*relu_bwd)(hero_arena *ar, float *dx, const float *dout, const float *out, size_t n);
    void (*mask_logits)(hero_arena *ar, float *x, const int32_t *m, size_t n);
    void (*mask_logits_rows)(hero_arena *ar, float *x, const int32_t *mask, int R, int C);
    void (*l2norm_fwd)(hero_arena *ar, float *y, float *norm, const float *x, int N, int C, float eps);
    void (*l2norm_bwd)(hero_arena *ar, float *dx, const float *dy, const float *y, const float *norm, int N, int C, float eps);
    void (*conv1d_fwd)(hero_arena *ar, float *y, const float *x, const float *w, int N, int L, int K);
    void (*conv1d_bwd)(hero_arena *ar, float *dx, float *dw, const float *dy, const float *x, const float *w, int N, int L,
                      int K);
    void (*add)(hero_arena *ar, float *y, const float *x, size_t n);
    void (*copy)(hero_arena *ar, float *y, const float *x, size_t n);
    void (*div)(hero_arena *ar, float *x, size_t n, float d);
    void (*mul_mask)(hero_arena *ar, float *x, const int32_t *mask, size_t n);
    void (*mul_mask_rows)(hero_arena *ar, float *dst, const float *src, const int32_t *mask, int R, int C);
    void (*embed_fwd)(hero_arena *ar, float *out, const int32_t *ids, const int32_t *pos, const float *word, const float *ptab,
                     const float *type_row, int N, int T, int H);
    void (*embed_bwd)(hero_arena *ar, float *gword, float *gpos, float *gtype, const float *d, const int32_t *ids,
                     const int32_t *pos, int N, int T, int H, const struct hero__rowmap *wmap);
    void (*add_pos_type)(hero_arena *ar, float *x, const int32_t *pos, const float *ptab, const float *type_row, int N, int T,
                        int H);
    void (*add_pos)(hero_arena *ar, float *out, const float *in, const float *ptab, int B, int T, int H);
    void (*add_pos_bwd)(hero_arena *ar, float *gpos, float *dx, const float *d, int B, int T, int H);
    void (*add_rowsel)(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C);
    void (*mfm_mask)(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C);
    void (*rowsum_masked)(hero_arena *ar, float *dst, const float *src, const uint8_t *sel, size_t R, int C);
    void (*merge_fwd)(hero_arena *ar, float *emb, const float *v_emb, const float *t_emb, const int32_t *gather, int N, int Lv,
                     int Lt, int Lg, int H);
    void (*merge_bwd)(hero_arena *ar, float *dv, float *dt, const float *demb, const int32_t *gather, int N, int Lv, int Lt,
                     int Lg, int H);
    void (*rows_copy)(hero_arena *ar, float *dst, int ldd, const int32_t *dst_idx, const float *src, int lds,
                     const int32_t *src_idx, int n, int C);
    void (*rows_add)(hero_arena *ar, float *dst, const float *src, const struct hero__rowmap *mp, int H);
    void (*attn_core_fwd)(hero_arena *ar, float *att, float *ctx, const float *q, const float *k, const float *v,
                         const int32_t *mask, int N, int T, int H, int A);
    int (*attn_core_bwd)(hero_arena *ar, float *dq, float *dk, float *dv, const float *dctx, const float *q, const float *k,
                        const float *v, const float *att, int N, int T, int H, int A);
    void (*modpool_fwd)(hero_arena *ar, float *alpha, float *mq, const float *x, int N, int T, int H);
    void (*modpool_bwd)(hero_arena *ar, float *dx, float *dal, float *ds, const float *dmq, const float *x, const float *alpha,
                       int N, int T, int H);
    void (*rowmax)(hero_arena *ar, float *mx, int *arg, const float *x, int R, int C);
    void (*rowmax_bwd)(hero_arena *ar, float *dcs, const float *dmx, const int *arg, const int32_t *mask, int Nq, int B, int L);
    void (*pooler_fwd)(hero_arena *ar, float *pooled, const float *x, size_t ldx, const float *W, const float *b, int S, int H);
    void (*dot)(hero_arena *ar, float *out, const float *a, const float *b, size_t n);
    int (*xent_rows)(hero_arena *ar, const float *logits, int n, int cols, int stride, const int32_t *targets, float *loss_vec,
                    float *dlogits, float scale, float *loss);
    void (*mffr_loss)(hero_arena *ar, float *lv, float *dout, float *loss, const float *pred, const float *tgt, int nm, int F);
    int (*rank_loss)(hero_arena *ar, hero_model *m, const float *q2v, int Nq, int Nv, float *mat_ctx, float *mat_q,
                    float *loss_ctx, float *loss_q, float *dq2v);
    /* a pass's inputs: src where the kernels read it (queued), then every queued copy at once */
    void *(*prep_put)(hero_arena *ar, struct hero__prep *P, const void *src, size_t bytes);
    int (*prep_flush)(hero_arena *ar, struct hero__prep *P);
    /* results: bytes of arena memory to the host (waits); the message behind a HERO_EDEVICE */
    int (*to_host)(hero_arena *ar, void *dst, const void *src, size_t bytes);
    const char *(*errmsg)(hero_arena *ar);
    /* the model: state on the device (sets m->be), the activation arena, the parameter /
       gradient block the model code computes with, copies to (to_host 1) and from the host
       copies m->params / m->grads, zeroing the gradients, the product precision, a name, a wait */
    int (*model_init)(hero_model *m, hero_error *err);
    void (*model_free)(hero_model *m);
    hero_arena *(*act)(hero_model *m);
    float *(*pbase)(const hero_model *m, int grads);
    int (*model_copy)(hero_model *m, int to_host, int grads, hero_error *err);
    void (*zero_grad)(hero_model *m);
    int (*set_precision)(hero_model *m, int precision, hero_error *err);
    const char *(*device_name)(const hero_model *m);
    int (*model_sync)(hero_model *m, hero_error *err);
    /* the optimizer (section 12): moments on the device (sets o->be), their copies, the sum of
       squared gradients of the parameters that have one, one AdamW update that zeroes the gradients */
    int (*opt_init)(hero_optimizer *o, const hero_model *m, hero_error *err);
    void (*opt_free)(hero_optimizer *o);
    int (*opt_copy)(const hero_optimizer *o, const hero_model *m, int to_host, hero_error *err);
    int (*grad_sumsq)(const hero_model *m, double *sumsq);
    int (*adamw)(hero_optimizer *o, hero_model *m, float lr, float clip, hero_error *err);
} hero__backend;

static const hero__backend *hero__cpu_backend(void); /* [backend: cpu], end of this section */
/* the backend of an arena, a model, an optimizer */
static const hero__backend *hero__be(const hero_arena *a) { return a->be ? a->be : hero__cpu_backend(); }
static const hero__backend *hero__mbe(const hero_model *m) { return m->be ? m->be : hero__cpu_backend(); }
static const hero__backend *hero__obe(const hero_optimizer *o) { return o->be ? o->be : hero__cpu_backend(); }

/* a host arena's memory: the CPU backend's arena (hero__arena_free / _reset / hero__alloc call
   the arena's backend) */
static void hero__host_arena_free(hero_arena *a) {
    int i;
    for (i = 0; i < a->n_chunks; i++) HERO_FREE(a->chunks[i]);
    HERO_FREE(a->chunks);
    HERO_FREE(a->caps);
    memset(a, 0, sizeof(*a));
}

/* Forget everything allocated; keeps one chunk as large as the last pass needed. */
static void hero__host_arena_reset(hero_arena *a) {
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

/* Room in the chunk table for one more chunk (host and device arenas); 0 or HERO_ENOMEM. */
static int hero__arena_room(hero_arena *a) {
    int nc;
    unsigned char **ch;
    size_t *caps;
    if (a->n_chunks < a->cap_chunks) return 0;
    nc = a->cap_chunks ? 2 * a->cap_chunks : 8;
    ch = (unsigned char **)HERO_REALLOC(a->chunks, (size_t)nc * sizeof(*ch));
    if (!ch) return HERO_ENOMEM;
    a->chunks = ch;
    caps = (size_t *)HERO_REALLOC(a->caps, (size_t)nc * sizeof(*caps));
    if (!caps) return HERO_ENOMEM;
    a->caps = caps;
    a->cap_chunks = nc;
    return 0;
}

/* Zeroed, 64-byte aligned scratch memory; NULL when out of memory. */
/* bytes of a host arena, 64-byte aligned, NOT zeroed (hero__alloc zeroes) */
static void *hero__arena_take(hero_arena *a, size_t bytes) {
    unsigned char *p;
    size_t off, used_total;
    int i;
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    off = a->n_chunks ? ((a->used + 63) & ~(size_t)63) : 0;
    if (!a->n_chunks || off + bytes > a->caps[a->n_chunks - 1]) {
        size_t cap = bytes + 64 > ((size_t)1 << 24) ? bytes + 64 : ((size_t)1 << 24);
        if (a->total > cap) cap = a->total;
        if (hero__arena_room(a) != 0) return NULL;
        a->chunks[a->n_chunks] = (unsigned char *)HERO_MALLOC(cap);
        if (!a->chunks[a->n_chunks]) return NULL;
        memset(a->chunks[a->n_chunks], 0, cap); /* once per chunk (reused by every later pass): no byte is ever undefined */
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
    return p;
}
/* bytes of a host arena, zeroed (zero != 0) or not (an activation its producing op writes
   completely; tests: HERO_ARENA_POISON fills it with 0xff bytes, NaN as floats, -1 as ints, so
   that a read before the write shows) */
static void *hero__host_alloc(hero_arena *a, size_t bytes, int zero) {
    void *p = hero__arena_take(a, bytes);
    if (p && zero) memset(p, 0, bytes);
#ifdef HERO_ARENA_POISON
    if (p && !zero) memset(p, 0xff, bytes);
#endif
    return p;
}

/* any arena (its backend's memory): free, forget everything allocated, zeroed bytes */
static void hero__arena_free(hero_arena *a) { hero__be(a)->arena_free(a); }
static void hero__arena_reset(hero_arena *a) { hero__be(a)->arena_reset(a); }
static void *hero__alloc(hero_arena *a, size_t bytes) { return hero__be(a)->alloc(a, bytes, 1); }

/* Portable GEMM (no BLAS; compiled with HERO_USE_CBLAS too, for the bench's comparison):
   GotoBLAS / BLIS-style blocking. Panels of op(B) [KC x NR] and op(A) [MR x KC] are packed
   contiguous (zero padded), then an MR x NR micro-kernel keeps the C tile in registers:
   AVX-512 (12 x 32: 24 zmm accumulators), AVX2+FMA (6 x 16: 12 ymm) on x86-64 with gcc/clang,
   chosen at run time; NEON (8 x 12: 24 q registers) on aarch64; otherwise an 8 x 32 tile in
   fixed-length loops that the compiler vectorises (and, with gcc/clang on x86-64 ELF, clones
   for AVX2 and AVX-512). The product is cut into blocks of C, one per thread (see
   hero__gemm_portable); each element's sum runs over k in one fixed order, so the result
   does not depend on the thread count. */
enum { HERO__GEMM_MR = 8, HERO__GEMM_NR = 32, HERO__GEMM_KC = 256, HERO__GEMM_MC = 96, HERO__GEMM_NC = 2048 };
/* C[mr,nr] += alpha * Ap[kc,MR]^T Bp[kc,NR] (only the first mr rows / nr columns stored) */
typedef void (*hero__gemm_kernel_fn)(int kc, const float *Ap, const float *Bp, float alpha, float *C, int ldc, int mr, int nr);

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__ELF__) && !defined(HERO_NO_CLONES)
#define HERO__GEMM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HERO__GEMM_CLONES
#endif

HERO__GEMM_CLONES
static void hero__gemm_kernel(int kc, const float *Ap, const float *Bp, float alpha, float *C, int ldc, int mr, int nr) {
    float acc[HERO__GEMM_MR][HERO__GEMM_NR];
    int i, j, k;
    for (i = 0; i < HERO__GEMM_MR; i++)
        for (j = 0; j < HERO__GEMM_NR; j++) acc[i][j] = 0.0f;
    for (k = 0; k < kc; k++) {
        const float *a = Ap + (size_t)k * HERO__GEMM_MR, *b = Bp + (size_t)k * HERO__GEMM_NR;
        for (i = 0; i < HERO__GEMM_MR; i++)
            for (j = 0; j < HERO__GEMM_NR; j++) acc[i][j] += a[i] * b[j];
    }
    for (i = 0; i < mr; i++) {
        float *c = C + (size_t)i * ldc;
        for (j = 0; j < nr; j++) c[j] += alpha * acc[i][j];
    }
}

/* the tile of a SIMD kernel, stored: full tiles straight from the registers' copy, edge tiles
   element by element */
HERO__MAYBE_UNUSED static void hero__gemm_store(const float *acc, int NR, float alpha, float *C, int ldc, int mr, int nr) {
    int i, j;
    for (i = 0; i < mr; i++)
        for (j = 0; j < nr; j++) C[(size_t)i * ldc + j] += alpha * acc[i * NR + j];
}

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(__CUDACC__) && !defined(HERO_NO_SIMD)
#include <immintrin.h>
#define HERO__GEMM_X86 1
/* AVX-512: 12 rows x 32 columns, A broadcast from memory, two B vectors per k */
#define HERO__K512_DECL(i) __m512 c##i##a = _mm512_setzero_ps(), c##i##b = _mm512_setzero_ps();
#define HERO__K512_FMA(i) { __m512 ai = _mm512_set1_ps(a[i]); c##i##a = _mm512_fmadd_ps(ai, b0, c##i##a); c##i##b = _mm512_fmadd_ps(ai, b1, c##i##b); }
#define HERO__K512_OUT(i) \
    if (full) { float *c = C + (size_t)(i) * ldc; \
                _mm512_storeu_ps(c, _mm512_fmadd_ps(c##i##a, va, _mm512_loadu_ps(c))); \
                _mm512_storeu_ps(c + 16, _mm512_fmadd_ps(c##i##b, va, _mm512_loadu_ps(c + 16))); } \
    else { _mm512_storeu_ps(t + (i) * 32, c##i##a); _mm512_storeu_ps(t + (i) * 32 + 16, c##i##b); }
__attribute__((target("avx512f")))
static void hero__gemm_k_avx512(int kc, const float *Ap, const float *Bp, float alpha, float *C, int ldc, int mr, int nr) {
    HERO__K512_DECL(0) HERO__K512_DECL(1) HERO__K512_DECL(2) HERO__K512_DECL(3) HERO__K512_DECL(4) HERO__K512_DECL(5)
    HERO__K512_DECL(6) HERO__K512_DECL(7) HERO__K512_DECL(8) HERO__K512_DECL(9) HERO__K512_DECL(10) HERO__K512_DECL(11)
    float t[12 * 32];
    __m512 va = _mm512_set1_ps(alpha);
    int k, full = mr == 12 && nr == 32;
    for (k = 0; k < kc; k++) {
        const float *a = Ap + (size_t)k * 12;
        __m512 b0 = _mm512_loadu_ps(Bp + (size_t)k * 32), b1 = _mm512_loadu_ps(Bp + (size_t)k * 32 + 16);
        HERO__K512_FMA(0) HERO__K512_FMA(1) HERO__K512_FMA(2) HERO__K512_FMA(3) HERO__K512_FMA(4) HERO__K512_FMA(5)
        HERO__K512_FMA(6) HERO__K512_FMA(7) HERO__K512_FMA(8) HERO__K512_FMA(9) HERO__K512_FMA(10) HERO__K512_FMA(11)
    }
    HERO__K512_OUT(0) HERO__K512_OUT(1) HERO__K512_OUT(2) HERO__K512_OUT(3) HERO__K512_OUT(4) HERO__K512_OUT(5)
    HERO__K512_OUT(6) HERO__K512_OUT(7) HERO__K512_OUT(8) HERO__K512_OUT(9) HERO__K512_OUT(10) HERO__K512_OUT(11)
    if (!full) hero__gemm_store(t, 32, alpha, C, ldc, mr, nr);
}
/* AVX2 + FMA: 6 rows x 16 columns */
#define HERO__K256_DECL(i) __m256 c##i##a = _mm256_setzero_ps(), c##i##b = _mm256_setzero_ps();
#define HERO__K256_FMA(i) { __m256 ai = _mm256_broadcast_ss(a + (i)); c##i##a = _mm256_fmadd_ps(ai, b0, c##i##a); c##i##b = _mm256_fmadd_ps(ai, b1, c##i##b); }
#define HERO__K256_OUT(i) \
    if (full) { float *c = C + (size_t)(i) * ldc; \
                _mm256_storeu_ps(c, _mm256_fmadd_ps(c##i##a, va, _mm256_loadu_ps(c))); \
                _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(c##i##b, va, _mm256_loadu_ps(c + 8))); } \
    else { _mm256_storeu_ps(t + (i) * 16, c##i##a); _mm256_storeu_ps(t + (i) * 16 + 8, c##i##b); }
__attribute__((target("avx2,fma")))
static void hero__gemm_k_avx2(int kc, const float *Ap, const float *Bp, float alpha, float *C, int ldc, int mr, int nr) {
    HERO__K256_DECL(0) HERO__K256_DECL(1) HERO__K256_DECL(2) HERO__K256_DECL(3) HERO__K256_DECL(4) HERO__K256_DECL(5)
    float t[6 * 16];
    __m256 va = _mm256_set1_ps(alpha);
    int k, full = mr == 6 && nr == 16;
    for (k = 0; k < kc; k++) {
        const float *a = Ap + (size_t)k * 6;
        __m256 b0 = _mm256_loadu_ps(Bp + (size_t)k * 16), b1 = _mm256_loadu_ps(Bp + (size_t)k * 16 + 8);
        HERO__K256_FMA(0) HERO__K256_FMA(1) HERO__K256_FMA(2) HERO__K256_FMA(3) HERO__K256_FMA(4) HERO__K256_FMA(5)
    }
    HERO__K256_OUT(0) HERO__K256_OUT(1) HERO__K256_OUT(2) HERO__K256_OUT(3) HERO__K256_OUT(4) HERO__K256_OUT(5)
    if (!full) hero__gemm_store(t, 16, alpha, C, ldc, mr, nr);
}
#endif

#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(__CUDACC__) && !defined(HERO_NO_SIMD)
#include <arm_neon.h>
#define HERO__GEMM_NEON 1
/* NEON: 8 rows x 12 columns, 24 accumulators; A as two vectors, multiplied by lane */
#define HERO__KN_DECL(i) float32x4_t c##i##a = vdupq_n_f32(0.0f), c##i##b = vdupq_n_f32(0.0f), c##i##c = vdupq_n_f32(0.0f);
#define HERO__KN_FMA(i, av, l) c##i##a = vfmaq_laneq_f32(c##i##a, b0, av, l); c##i##b = vfmaq_laneq_f32(c##i##b, b1, av, l); \
    c##i##c = vfmaq_laneq_f32(c##i##c, b2, av, l);
#define HERO__KN_OUT(i) \
    if (full) { float *c = C + (size_t)(i) * ldc; \
                vst1q_f32(c, vfmaq_f32(vld1q_f32(c), c##i##a, va)); vst1q_f32(c + 4, vfmaq_f32(vld1q_f32(c + 4), c##i##b, va)); \
                vst1q_f32(c + 8, vfmaq_f32(vld1q_f32(c + 8), c##i##c, va)); } \
    else { vst1q_f32(t + (i) * 12, c##i##a); vst1q_f32(t + (i) * 12 + 4, c##i##b); vst1q_f32(t + (i) * 12 + 8, c##i##c); }
static void hero__gemm_k_neon(int kc, const float *Ap, const float *Bp, float alpha, float *C, int ldc, int mr, int nr) {
    HERO__KN_DECL(0) HERO__KN_DECL(1) HERO__KN_DECL(2) HERO__KN_DECL(3) HERO__KN_DECL(4) HERO__KN_DECL(5) HERO__KN_DECL(6)
    HERO__KN_DECL(7)
    float t[8 * 12];
    float32x4_t va = vdupq_n_f32(alpha);
    int k, full = mr == 8 && nr == 12;
    for (k = 0; k < kc; k++) {
        const float *a = Ap + (size_t)k * 8, *b = Bp + (size_t)k * 12;
        float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4), b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
        HERO__KN_FMA(0, a0, 0) HERO__KN_FMA(1, a0, 1) HERO__KN_FMA(2, a0, 2) HERO__KN_FMA(3, a0, 3)
        HERO__KN_FMA(4, a1, 0) HERO__KN_FMA(5, a1, 1) HERO__KN_FMA(6, a1, 2) HERO__KN_FMA(7, a1, 3)
    }
    HERO__KN_OUT(0) HERO__KN_OUT(1) HERO__KN_OUT(2) HERO__KN_OUT(3) HERO__KN_OUT(4) HERO__KN_OUT(5) HERO__KN_OUT(6)
    HERO__KN_OUT(7)
    if (!full) hero__gemm_store(t, 12, alpha, C, ldc, mr, nr);
}
#endif

/* tests only: 1 = the portable C kernel, 2 = no AVX-512 (x86); 0 = the best this CPU runs */
HERO__MAYBE_UNUSED static int hero__gemm_force = 0;
/* the micro-kernel for this CPU and its tile (*mr x *nr) */
static hero__gemm_kernel_fn hero__gemm_pick(int *mr, int *nr) {
#ifdef HERO__GEMM_X86
    __builtin_cpu_init();
    if (hero__gemm_force == 0 && __builtin_cpu_supports("avx512f")) { *mr = 12; *nr = 32; return hero__gemm_k_avx512; }
    if (hero__gemm_force != 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        *mr = 6; *nr = 16;
        return hero__gemm_k_avx2;
    }
#endif
#ifdef HERO__GEMM_NEON
    if (hero__gemm_force != 1) { *mr = 8; *nr = 12; return hero__gemm_k_neon; }
#endif
    *mr = HERO__GEMM_MR; *nr = HERO__GEMM_NR;
    return hero__gemm_kernel;
}

/* packs a block of kc rows x n (<= R) columns into panels [kc][R], zero-padded to R columns:
   element (k, j) is src[k * sk + j * sj] (one helper for op(A) and op(B), either layout) */
HERO__MAYBE_UNUSED static void hero__gemm_pack(float *dst, const float *src, size_t sk, size_t sj, int kc, int n, int R) {
    int k, j;
    for (k = 0; k < kc; k++, dst += R, src += sk) {
        if (sj == 1) for (j = 0; j < n; j++) dst[j] = src[j];
        else for (j = 0; j < n; j++) dst[j] = src[(size_t)j * sj];
        for (j = n; j < R; j++) dst[j] = 0.0f;
    }
}

/* one block of C: rows [m0, m1), columns [n0, n1) of C = alpha op(A) op(B) + beta C, packed and
   multiplied on this thread (its own panels). Every element's sum runs over k in the same order
   whatever the block, so the result does not depend on how C is split. */
typedef struct hero__gemm_job {
    int ta, tb, M, N, K, lda, ldb, ldc, pm, pn;
    int mr, nr;                 /* the micro-kernel's tile */
    hero__gemm_kernel_fn kern;
    float alpha, beta;
    const float *A, *B;
    float *C;
} hero__gemm_job;

static void hero__gemm_block(const hero__gemm_job *g, int m0, int m1, int n0, int n1) {
    enum { KC = HERO__GEMM_KC, MC = HERO__GEMM_MC };
    const int MR = g->mr, NR = g->nr, NC = HERO__GEMM_NC - HERO__GEMM_NC % g->nr; /* MC: a multiple of 12, 8 and 6 */
    const float *A = g->A, *B = g->B;
    float *C = g->C, *Ap, *Bp, alpha = g->alpha, beta = g->beta;
    int ta = g->ta, tb = g->tb, K = g->K, lda = g->lda, ldb = g->ldb, ldc = g->ldc;
    int M = m1 - m0, N = n1 - n0, i, j, k, jc, pc, ic, jr, ir;
    A += ta ? (size_t)m0 : (size_t)m0 * lda;
    B += tb ? (size_t)n0 * ldb : (size_t)n0;
    C += (size_t)m0 * ldc + n0;
    for (i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (beta == 0.0f) for (j = 0; j < N; j++) c[j] = 0.0f;
        else if (beta != 1.0f) for (j = 0; j < N; j++) c[j] *= beta;
    }
    if (M <= 0 || N <= 0 || K <= 0 || alpha == 0.0f) return;
    Ap = (float *)HERO_MALLOC(sizeof(float) * (size_t)MC * KC);
    Bp = (float *)HERO_MALLOC(sizeof(float) * (size_t)KC * ((N < NC ? N : NC) + NR));
    if (!Ap || !Bp) { /* out of memory: the plain triple loop, no scratch */
        HERO_FREE(Ap); HERO_FREE(Bp);
        for (i = 0; i < M; i++)
            for (j = 0; j < N; j++) {
                float s = 0.0f;
                for (k = 0; k < K; k++)
                    s += (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) * (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
                C[(size_t)i * ldc + j] += alpha * s;
            }
        return;
    }
    for (jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            /* pack op(B)[pc:pc+kc, jc:jc+nc] as panels [kc][NR] */
            for (jr = 0; jr < nc; jr += NR) {
                int nr = nc - jr < NR ? nc - jr : NR;
                if (!tb) hero__gemm_pack(Bp + (size_t)jr * kc, B + (size_t)pc * ldb + jc + jr, (size_t)ldb, 1, kc, nr, NR);
                else hero__gemm_pack(Bp + (size_t)jr * kc, B + (size_t)(jc + jr) * ldb + pc, 1, (size_t)ldb, kc, nr, NR);
            }
            for (ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                /* pack op(A)[ic:ic+mc, pc:pc+kc] as panels [kc][MR] */
                for (ir = 0; ir < mc; ir += MR) {
                    int mr = mc - ir < MR ? mc - ir : MR;
                    if (!ta) hero__gemm_pack(Ap + (size_t)ir * kc, A + (size_t)(ic + ir) * lda + pc, 1, (size_t)lda, kc, mr, MR);
                    else hero__gemm_pack(Ap + (size_t)ir * kc, A + (size_t)pc * lda + ic + ir, (size_t)lda, 1, kc, mr, MR);
                }
                for (jr = 0; jr < nc; jr += NR)
                    for (ir = 0; ir < mc; ir += MR)
                        g->kern(kc, Ap + (size_t)ir * kc, Bp + (size_t)jr * kc, alpha,
                                          C + (size_t)(ic + ir) * ldc + jc + jr, ldc,
                                          mc - ir < MR ? mc - ir : MR, nc - jr < NR ? nc - jr : NR);
            }
        }
    }
    HERO_FREE(Ap);
    HERO_FREE(Bp);
}

/* task t of a split of C into pm x pn blocks (whole MR x NR tiles, as even as they come) */
static void hero__gemm_task(void *ctx, int t) {
    const hero__gemm_job *g = (const hero__gemm_job *)ctx;
    int tm = (g->M + g->mr - 1) / g->mr, tn = (g->N + g->nr - 1) / g->nr;
    int bi = t / g->pn, bj = t % g->pn;
    int m0 = (int)((int64_t)tm * bi / g->pm) * g->mr, m1 = (int)((int64_t)tm * (bi + 1) / g->pm) * g->mr;
    int n0 = (int)((int64_t)tn * bj / g->pn) * g->nr, n1 = (int)((int64_t)tn * (bj + 1) / g->pn) * g->nr;
    if (m1 > g->M) m1 = g->M;
    if (n1 > g->N) n1 = g->N;
    if (m0 < m1 && n0 < n1) hero__gemm_block(g, m0, m1, n0, n1);
}

/* C[M,N] = alpha op(A) op(B) + beta C on the thread pool: C is cut into P = pm x pn blocks (P the
   thread count, 1 for products under ~4 MFLOP), the cut that gives the smallest block */
HERO__MAYBE_UNUSED static void hero__gemm_portable(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                                                   const float *B, int ldb, float beta, float *C, int ldc) {
    hero__gemm_job g;
    int P = 1, tm, tn, pm, best = -1;
    if (M <= 0 || N <= 0) return;
    g.ta = ta; g.tb = tb; g.M = M; g.N = N; g.K = K; g.lda = lda; g.ldb = ldb; g.ldc = ldc;
    g.alpha = alpha; g.beta = beta; g.A = A; g.B = B; g.C = C; g.pm = g.pn = 1;
    g.kern = hero__gemm_pick(&g.mr, &g.nr);
    tm = (M + g.mr - 1) / g.mr;
    tn = (N + g.nr - 1) / g.nr;
    if (2.0 * M * N * (K > 0 ? K : 1) >= 4e6 || hero__split_all) P = hero_get_threads();
    for (pm = 1; pm <= P; pm++) { /* blocks as square as the tiles allow: the least tiles in the largest block */
        int pn = P / pm, cost;
        if (pm * pn != P || pm > tm || pn > tn) continue;
        cost = ((tm + pm - 1) / pm) * g.mr * ((tn + pn - 1) / pn) * g.nr;
        cost += ((tm + pm - 1) / pm) * g.mr + ((tn + pn - 1) / pn) * g.nr; /* packing */
        if (best < 0 || cost < best) { best = cost; g.pm = pm; g.pn = pn; }
    }
    hero__parallel(hero__gemm_task, &g, g.pm * g.pn);
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
    hero__gemm_portable(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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

/* layernorm over the last dim: out[N,C] = (x - mean) * rstd * w + b; saves mean, rstd [N].
   Threads: rows split across the pool (each row's numbers whatever the split). */
typedef struct hero__ln_ctx {
    float *out, *mean, *rstd, *dx, *dw, *db;
    const float *x, *w, *b, *dout, *cmean, *crstd;
    int N, C;
    float eps;
} hero__ln_ctx;
static void hero__layernorm_fwd_rows(void *ctx, int part, size_t n0, size_t n1) {
    const hero__ln_ctx *k = (const hero__ln_ctx *)ctx;
    const float *w = k->w, *b = k->b;
    size_t n;
    int i, C = k->C;
    (void)part;
    for (n = n0; n < n1; n++) {
        const float *xr = k->x + n * C;
        float *o = k->out + n * C;
        double m = 0, v = 0;
        float mf, rs;
        for (i = 0; i < C; i++) m += xr[i];
        m /= C;
        for (i = 0; i < C; i++) { double d = xr[i] - m; v += d * d; }
        v /= C;
        mf = (float)m;
        rs = (float)(1.0 / sqrt(v + k->eps));
        for (i = 0; i < C; i++) o[i] = (xr[i] - mf) * rs * w[i] + b[i];
        if (k->mean) k->mean[n] = mf;
        if (k->rstd) k->rstd[n] = rs;
    }
}
static void hero__layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                                const float *b, int N, int C, float eps) {
    hero__ln_ctx k;
    memset(&k, 0, sizeof(k));
    k.out = out; k.mean = mean; k.rstd = rstd; k.x = x; k.w = w; k.b = b; k.C = C; k.eps = eps;
    hero__for(hero__layernorm_fwd_rows, &k, (size_t)(N > 0 ? N : 0), hero__for_parts((size_t)(N > 0 ? N : 0), 8192 / (size_t)(C > 0 ? C : 1) + 1));
}
/* layernorm backward: dx[N,C] += ..., dw[C] += sum dout*xhat, db[C] += sum dout.
   Threads: dx by rows; dw / db by columns, each summed over the rows in row order (the same
   numbers as one thread). */
static void hero__layernorm_bwd_rows(void *ctx, int part, size_t n0, size_t n1) {
    const hero__ln_ctx *k = (const hero__ln_ctx *)ctx;
    const float *w = k->w;
    size_t n;
    int i, C = k->C;
    (void)part;
    for (n = n0; n < n1; n++) {
        const float *xr = k->x + n * C, *dr = k->dout + n * C;
        float m = k->cmean[n], rs = k->crstd[n], a, bb;
        double s1 = 0, s2 = 0;
        float *d = k->dx + n * C;
        for (i = 0; i < C; i++) {
            float xh = (xr[i] - m) * rs, dxh = dr[i] * w[i];
            s1 += dxh;
            s2 += dxh * xh;
        }
        a = (float)(s1 / C); bb = (float)(s2 / C);
        for (i = 0; i < C; i++) {
            float xh = (xr[i] - m) * rs;
            d[i] += (dr[i] * w[i] - a - xh * bb) * rs;
        }
    }
}
static void hero__layernorm_bwd_cols(void *ctx, int part, size_t i0, size_t i1) {
    const hero__ln_ctx *k = (const hero__ln_ctx *)ctx;
    size_t n, i, N = (size_t)k->N;
    int C = k->C;
    (void)part;
    for (n = 0; n < N; n++) {
        const float *xr = k->x + n * C, *dr = k->dout + n * C;
        float m = k->cmean[n], rs = k->crstd[n];
        if (k->dw) for (i = i0; i < i1; i++) k->dw[i] += dr[i] * ((xr[i] - m) * rs);
        if (k->db) for (i = i0; i < i1; i++) k->db[i] += dr[i];
    }
}
static void hero__layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                                const float *mean, const float *rstd, const float *w, int N, int C) {
    hero__ln_ctx k;
    if (N <= 0 || C <= 0) return;
    memset(&k, 0, sizeof(k));
    k.dx = dx; k.dw = dw; k.db = db; k.dout = dout; k.x = x; k.cmean = mean; k.crstd = rstd; k.w = w; k.C = C;
    if (dx) hero__for(hero__layernorm_bwd_rows, &k, (size_t)N, hero__for_parts((size_t)N, 8192 / (size_t)C + 1));
    if (dw || db) {
        k.N = N;
        hero__for(hero__layernorm_bwd_cols, &k, (size_t)C, hero__for_parts((size_t)N * C, 16384));
    }
}

/* gelu (erf form): out[n] = x * 0.5 * (1 + erf(x / sqrt 2)). Threads: element ranges. */
typedef struct hero__ew_ctx { float *y; const float *x, *d; } hero__ew_ctx;
static void hero__gelu_fwd_range(void *ctx, int part, size_t i0, size_t i1) {
    const hero__ew_ctx *k = (const hero__ew_ctx *)ctx;
    size_t i;
    (void)part;
    for (i = i0; i < i1; i++) k->y[i] = k->x[i] * 0.5f * (1.0f + erff(k->x[i] * 0.70710678118654752f));
}
static void hero__gelu_fwd(float *out, const float *x, size_t n) {
    hero__ew_ctx k;
    k.y = out; k.x = x; k.d = NULL;
    hero__for(hero__gelu_fwd_range, &k, n, hero__for_parts(n, 8192));
}
/* gelu backward: dx[n] += dout * (Phi(x) + x phi(x)) */
static void hero__gelu_bwd_range(void *ctx, int part, size_t i0, size_t i1) {
    const hero__ew_ctx *k = (const hero__ew_ctx *)ctx;
    const float *x = k->x;
    size_t i;
    (void)part;
    for (i = i0; i < i1; i++) {
        float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
        float pdf = expf(-0.5f * x[i] * x[i]) * 0.39894228040143268f;
        k->y[i] += k->d[i] * (cdf + x[i] * pdf);
    }
}
static void hero__gelu_bwd(float *dx, const float *dout, const float *x, size_t n) {
    hero__ew_ctx k;
    k.y = dx; k.x = x; k.d = dout;
    hero__for(hero__gelu_bwd_range, &k, n, hero__for_parts(n, 8192));
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

/* cross-entropy of one row of logits [n] against target t: returns -log softmax[t]; saves probs.
   One expf pass after the max (float exp of x - max <= 0 is exact to an ulp), the sum in double. */
static float hero__xent_fwd(float *prob, const float *logits, int n, int t) {
    int i;
    float mx = logits[0];
    double s = 0;
    for (i = 1; i < n; i++) if (logits[i] > mx) mx = logits[i];
    if (prob) {
        float inv;
        for (i = 0; i < n; i++) { prob[i] = expf(logits[i] - mx); s += prob[i]; }
        inv = (float)(1.0 / s);
        for (i = 0; i < n; i++) prob[i] *= inv;
    } else {
        for (i = 0; i < n; i++) s += expf(logits[i] - mx);
    }
    return (float)(log(s) + (double)mx - (double)logits[t]);
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

/* ---- model primitives: every loop of sections 4-10 over activations, parameters or gradients
   is one of these (the CUDA backend has a kernel for each; see "backend dispatch" below).
   Index arrays are int32 (uint8 masks) and live where the data lives. ---- */

/* y[n] += x[n] */
static void hero__add(float *y, const float *x, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) y[i] += x[i];
}
/* x[n] /= d */
static void hero__div(float *x, size_t n, float d) {
    size_t i;
    for (i = 0; i < n; i++) x[i] /= d;
}
/* x[n] *= mask[n] */
static void hero__mul_mask(float *x, const int32_t *mask, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) x[i] *= (float)mask[i];
}
/* dst[r,c] = src[r,c] * mask[c], r < R, c < C (one mask for every row) */
static void hero__mul_mask_rows(float *dst, const float *src, const int32_t *mask, int R, int C) {
    size_t i, n = (size_t)R * C;
    for (i = 0; i < n; i++) dst[i] = src[i] * (float)mask[i % (size_t)C];
}
/* mask_logits of every row of x[R,C] with one mask[C] */
static void hero__mask_logits_rows(float *x, const int32_t *mask, int R, int C) {
    int r;
    for (r = 0; r < R; r++) hero__mask_logits(x + (size_t)r * C, mask, (size_t)C);
}

/* text embeddings before their LayerNorm: out[n,t] = word[ids[n,t]] + ptab[pos[t]] + type_row.
   Threads: rows split across the pool. */
typedef struct hero__emb_ctx {
    float *out, *gword, *gpos, *gtype;
    const float *word, *ptab, *type_row, *d;
    const int32_t *ids, *pos;
    int N, T, H;
} hero__emb_ctx;
static void hero__embed_fwd_rows(void *c, int part, size_t r0, size_t r1) {
    const hero__emb_ctx *e = (const hero__emb_ctx *)c;
    size_t r;
    int i, H = e->H;
    (void)part;
    for (r = r0; r < r1; r++) {
        const float *w = e->word + (size_t)e->ids[r] * H;
        const float *pe = e->ptab + (size_t)e->pos[r % (size_t)e->T] * H, *ty = e->type_row;
        float *o = e->out + r * H;
        for (i = 0; i < H; i++) o[i] = w[i] + pe[i] + ty[i];
    }
}
static void hero__embed_fwd(float *out, const int32_t *ids, const int32_t *pos, const float *word, const float *ptab,
                            const float *type_row, int N, int T, int H) {
    hero__emb_ctx e;
    size_t rows = (size_t)(N > 0 ? N : 0) * (size_t)(T > 0 ? T : 0);
    memset(&e, 0, sizeof(e));
    e.out = out; e.ids = ids; e.pos = pos; e.word = word; e.ptab = ptab; e.type_row = type_row; e.N = N; e.T = T; e.H = H;
    hero__for(hero__embed_fwd_rows, &e, rows, hero__for_parts(rows * (size_t)H, 16384));
}
/* embedding backward: gword[ids[n,t]] += d (not for the padding id 1; gword/ids may be NULL),
   gpos[pos[t]] += d, gtype_row += d. Threads: columns split across the pool (a word may repeat:
   every row's sums keep the row order, the same numbers as one thread). */
static void hero__embed_bwd_cols(void *c, int part, size_t i0, size_t i1) {
    const hero__emb_ctx *e = (const hero__emb_ctx *)c;
    int n, t, H = e->H;
    size_t i;
    (void)part;
    for (n = 0; n < e->N; n++)
        for (t = 0; t < e->T; t++) {
            int id = e->gword ? e->ids[(size_t)n * e->T + t] : 1;
            const float *dr = e->d + ((size_t)n * e->T + t) * H;
            float *gp = e->gpos + (size_t)e->pos[t] * H, *gt = e->gtype;
            if (id != 1) {
                float *gw = e->gword + (size_t)id * H;
                for (i = i0; i < i1; i++) { gw[i] += dr[i]; gp[i] += dr[i]; gt[i] += dr[i]; }
            } else {
                for (i = i0; i < i1; i++) { gp[i] += dr[i]; gt[i] += dr[i]; }
            }
        }
}
static void hero__embed_bwd(float *gword, float *gpos, float *gtype, const float *d, const int32_t *ids,
                            const int32_t *pos, int N, int T, int H) {
    hero__emb_ctx e;
    size_t rows = (size_t)(N > 0 ? N : 0) * (size_t)(T > 0 ? T : 0);
    if (rows == 0 || H <= 0) return;
    memset(&e, 0, sizeof(e));
    e.gword = gword; e.gpos = gpos; e.gtype = gtype; e.d = d; e.ids = ids; e.pos = pos; e.N = N; e.T = T; e.H = H;
    hero__for(hero__embed_bwd_cols, &e, (size_t)H, hero__for_parts(rows * (size_t)H, 32768));
}
/* x[n,t] += ptab[pos[t]] + type_row (frame embeddings) */
static void hero__add_pos_type(float *x, const int32_t *pos, const float *ptab, const float *type_row, int N, int T, int H) {
    int n, t, i;
    for (n = 0; n < N; n++)
        for (t = 0; t < T; t++) {
            float *r = x + ((size_t)n * T + t) * H;
            const float *pe = ptab + (size_t)pos[t] * H, *ty = type_row;
            for (i = 0; i < H; i++) r[i] += pe[i] + ty[i];
        }
}
/* out[b,t] = in[b,t] + ptab[t] (positions 0..T-1), rows of H */
static void hero__add_pos(float *out, const float *in, const float *ptab, int B, int T, int H) {
    int v, l, i;
    for (v = 0; v < B; v++)
        for (l = 0; l < T; l++)
            for (i = 0; i < H; i++) {
                size_t o = ((size_t)v * T + l) * H + i;
                out[o] = in[o] + ptab[(size_t)l * H + i];
            }
}
/* its backward: gpos[t] += d[b,t]; dx[b,t] += d[b,t] (dx may be NULL) */
static void hero__add_pos_bwd(float *gpos, float *dx, const float *d, int B, int T, int H) {
    int v, l, i;
    for (v = 0; v < B; v++)
        for (l = 0; l < T; l++)
            for (i = 0; i < H; i++) {
                size_t o = ((size_t)v * T + l) * H + i;
                gpos[(size_t)l * H + i] += d[o];
                if (dx) dx[o] += d[o];
            }
}
/* x[r] += table[sel[r] ? 1 : 0], rows of C (the mask embedding of the frame input) */
static void hero__add_rowsel(float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    size_t v;
    int i;
    for (v = 0; v < R; v++) {
        const float *me = table + (size_t)(sel[v] ? 1 : 0) * C;
        for (i = 0; i < C; i++) x[v * C + i] += me[i];
    }
}
/* MFM input: x[r] = (sel[r] ? 0 : x[r]) + table[sel[r] ? 1 : 0] */
static void hero__mfm_mask(float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    size_t v;
    int i;
    for (v = 0; v < R; v++) {
        int mk = sel[v] ? 1 : 0;
        for (i = 0; i < C; i++) x[v * C + i] = (mk ? 0.0f : x[v * C + i]) + table[(size_t)mk * C + i];
    }
}
/* dst[C] += sum of the rows r of src[R,C] with sel[r] != 0 (in row order) */
static void hero__rowsum_masked(float *dst, const float *src, const uint8_t *sel, size_t R, int C) {
    size_t v;
    int i;
    for (v = 0; v < R; v++)
        if (sel[v])
            for (i = 0; i < C; i++) dst[i] += src[v * C + i];
}

/* the gather merge of one cross-modal row: emb[n,g] = gather[n,g] < Lv ? v_emb[n, idx] : t_emb[n, idx - Lv] */
static void hero__merge_fwd(float *emb, const float *v_emb, const float *t_emb, const int32_t *gather, int N, int Lv, int Lt,
                            int Lg, int H) {
    int n, g;
    for (n = 0; n < N; n++)
        for (g = 0; g < Lg; g++) {
            int idx = gather[(size_t)n * Lg + g];
            const float *src = idx < Lv ? v_emb + ((size_t)n * Lv + idx) * H : t_emb + ((size_t)n * Lt + (idx - Lv)) * H;
            memcpy(emb + ((size_t)n * Lg + g) * H, src, (size_t)H * sizeof(float));
        }
}
/* its backward: dv / dt rows += demb rows */
static void hero__merge_bwd(float *dv, float *dt, const float *demb, const int32_t *gather, int N, int Lv, int Lt, int Lg,
                            int H) {
    int n, g, i;
    for (n = 0; n < N; n++)
        for (g = 0; g < Lg; g++) {
            int idx = gather[(size_t)n * Lg + g];
            float *dst = idx < Lv ? dv + ((size_t)n * Lv + idx) * H : dt + ((size_t)n * Lt + (idx - Lv)) * H;
            const float *src = demb + ((size_t)n * Lg + g) * H;
            for (i = 0; i < H; i++) dst[i] += src[i];
        }
}

/* row copies: dst row (dst_idx ? dst_idx[k] : k) = src row (src_idx ? src_idx[k] : k), k < n, C floats
   each; ldd / lds: row strides */
static void hero__rows_copy(float *dst, int ldd, const int32_t *dst_idx, const float *src, int lds, const int32_t *src_idx,
                            int n, int C) {
    int k;
    for (k = 0; k < n; k++)
        memcpy(dst + (size_t)(dst_idx ? dst_idx[k] : k) * ldd, src + (size_t)(src_idx ? src_idx[k] : k) * lds,
               (size_t)C * sizeof(float));
}

/* row sums by a map built on the host: dst row row[u] += src rows src[k], k in [ptr[u], ptr[u+1]),
   in that order (a dst row appears once: no two writers) */
typedef struct hero__rowmap {
    int n;                            /* destination rows */
    const int32_t *row, *ptr, *src;   /* [n], [n+1], [ptr[n]] */
} hero__rowmap;

static void hero__rows_add(float *dst, const float *src, const hero__rowmap *mp, int H) {
    int u, k, i;
    for (u = 0; u < mp->n; u++) {
        float *d = dst + (size_t)mp->row[u] * H;
        for (k = mp->ptr[u]; k < mp->ptr[u + 1]; k++) {
            const float *s = src + (size_t)mp->src[k] * H;
            for (i = 0; i < H; i++) d[i] += s[i];
        }
    }
}

/* the attention core of every head: att[n,h] = softmax(Q K^T / sqrt(d) + (1 - mask) * -10000),
   ctx[n,:,h] = att V. q/k/v/ctx [N,T,H] (head h = columns h*d..), att [N,A,T,T].
   Threads: the (n, h) pairs split across the pool (each pair's numbers whatever the split). */
typedef struct hero__attn_ctx {
    float *att, *ctx, *dq, *dk, *dv, *scratch;
    const float *q, *k, *v, *dctx, *catt;
    const int32_t *mask;
    int T, H, A;
} hero__attn_ctx;
static void hero__attn_core_fwd_pairs(void *c, int part, size_t p0, size_t p1) {
    const hero__attn_ctx *a = (const hero__attn_ctx *)c;
    int T = a->T, H = a->H, A = a->A, d = H / A, i, j;
    float sq = sqrtf((float)d);
    size_t p;
    (void)part;
    for (p = p0; p < p1; p++) {
        int n = (int)(p / (size_t)A), h = (int)(p % (size_t)A);
        const float *Q = a->q + (size_t)n * T * H + h * d, *K = a->k + (size_t)n * T * H + h * d;
        const float *Vv = a->v + (size_t)n * T * H + h * d;
        float *S = a->att + ((size_t)n * A + h) * T * T;
        hero__gemm(0, 1, T, T, d, 1.0f, Q, H, K, H, 0.0f, S, T);
        for (i = 0; i < T; i++) {
            float *row = S + (size_t)i * T;
            for (j = 0; j < T; j++) row[j] = row[j] / sq + (1.0f - (float)a->mask[(size_t)n * T + j]) * -10000.0f;
            hero__softmax_row(row, T);
        }
        hero__gemm(0, 0, T, d, T, 1.0f, S, T, Vv, H, 0.0f, a->ctx + (size_t)n * T * H + h * d, H);
    }
}
static void hero__attn_core_fwd(float *att, float *ctx, const float *q, const float *k, const float *v, const int32_t *mask,
                                int N, int T, int H, int A) {
    hero__attn_ctx a;
    size_t np = (size_t)(N > 0 ? N : 0) * (size_t)(A > 0 ? A : 0);
    memset(&a, 0, sizeof(a));
    a.att = att; a.ctx = ctx; a.q = q; a.k = k; a.v = v; a.mask = mask; a.T = T; a.H = H; a.A = A;
    hero__for(hero__attn_core_fwd_pairs, &a, np, hero__for_parts(np * (size_t)T * T * (H / (A > 0 ? A : 1)), 32768));
}
/* its backward: dq, dk, dv [N,T,H] += from dctx */
static void hero__attn_core_bwd_pairs(void *c, int part, size_t p0, size_t p1) {
    const hero__attn_ctx *a = (const hero__attn_ctx *)c;
    int T = a->T, H = a->H, A = a->A, d = H / A, i;
    float sq = sqrtf((float)d);
    float *dP = a->scratch + (size_t)part * 2 * T * T, *dS = dP + (size_t)T * T;
    size_t p;
    for (p = p0; p < p1; p++) {
        int n = (int)(p / (size_t)A), h = (int)(p % (size_t)A);
        size_t base = (size_t)n * T * H + h * d;
        const float *P = a->catt + ((size_t)n * A + h) * T * T;
        hero__gemm(0, 1, T, T, d, 1.0f, a->dctx + base, H, a->v + base, H, 0.0f, dP, T);  /* dP = dctx V^T */
        hero__gemm(1, 0, T, d, T, 1.0f, P, T, a->dctx + base, H, 1.0f, a->dv + base, H);  /* dV += P^T dctx */
        memset(dS, 0, (size_t)T * T * sizeof(float));
        for (i = 0; i < T; i++) hero__softmax_row_bwd(dS + (size_t)i * T, dP + (size_t)i * T, P + (size_t)i * T, T);
        for (i = 0; i < T * T; i++) dS[i] /= sq;
        hero__gemm(0, 0, T, d, T, 1.0f, dS, T, a->k + base, H, 1.0f, a->dq + base, H);    /* dQ += dS K */
        hero__gemm(1, 0, T, d, T, 1.0f, dS, T, a->q + base, H, 1.0f, a->dk + base, H);    /* dK += dS^T Q */
    }
}
static int hero__attn_core_bwd(hero_arena *ar, float *dq, float *dk, float *dv, const float *dctx, const float *q,
                               const float *k, const float *v, const float *att, int N, int T, int H, int A) {
    hero__attn_ctx a;
    size_t np = (size_t)(N > 0 ? N : 0) * (size_t)(A > 0 ? A : 0);
    int parts = hero__for_parts(np * (size_t)T * T * (H / (A > 0 ? A : 1)), 32768);
    if (np == 0) return 0;
    memset(&a, 0, sizeof(a));
    a.scratch = (float *)hero__alloc(ar, (size_t)parts * 2 * T * T * sizeof(float)); /* dP, dS of each part */
    if (!a.scratch) return HERO_ENOMEM;
    a.dq = dq; a.dk = dk; a.dv = dv; a.dctx = dctx; a.q = q; a.k = k; a.v = v; a.catt = att; a.T = T; a.H = H; a.A = A;
    hero__for(hero__attn_core_bwd_pairs, &a, np, parts);
    return 0;
}

/* modular attention pooling (VSM query): alpha[n] = softmax(alpha[n]) in place (masked logits in),
   mq[n] = alpha[n] x[n]; x [N,T,H] */
static void hero__modpool_fwd(float *alpha, float *mq, const float *x, int N, int T, int H) {
    int n;
    for (n = 0; n < N; n++) {
        hero__softmax_row(alpha + (size_t)n * T, T);
        hero__gemm(0, 0, 1, H, T, 1.0f, alpha + (size_t)n * T, T, x + (size_t)n * T * H, H, 0.0f, mq + (size_t)n * H, H);
    }
}
/* its backward: dx[n,t] += alpha dmq[n]; dal[n,t] = x[n,t] . dmq[n]; ds[n] += softmax backward of dal */
static void hero__modpool_bwd(float *dx, float *dal, float *ds, const float *dmq, const float *x, const float *alpha, int N,
                              int T, int H) {
    int n, t, i;
    for (n = 0; n < N; n++) {
        const float *d = dmq + (size_t)n * H;
        for (t = 0; t < T; t++) {
            const float *xr = x + ((size_t)n * T + t) * H;
            float *dxr = dx + ((size_t)n * T + t) * H, a = alpha[(size_t)n * T + t], sum = 0;
            for (i = 0; i < H; i++) { sum += d[i] * xr[i]; dxr[i] += a * d[i]; }
            dal[(size_t)n * T + t] = sum;
        }
        hero__softmax_row_bwd(ds + (size_t)n * T, dal + (size_t)n * T, alpha + (size_t)n * T, T);
    }
}

/* max over each row of x[R,C]: mx[r], arg[r] = its first index */
static void hero__rowmax(float *mx, int *arg, const float *x, int R, int C) {
    int r, l;
    for (r = 0; r < R; r++) {
        const float *row = x + (size_t)r * C;
        int best = 0;
        for (l = 1; l < C; l++) if (row[l] > row[best]) best = l;
        mx[r] = row[best];
        arg[r] = best;
    }
}
/* its backward into the (zeroed) masked cosines: dcs[q, v*L + arg[q,v]] = dmx[q,v] * mask[v*L + arg] */
static void hero__rowmax_bwd(float *dcs, const float *dmx, const int *arg, const int32_t *mask, int Nq, int B, int L) {
    int q, v;
    for (q = 0; q < Nq; q++)
        for (v = 0; v < B; v++) {
            int l = arg[(size_t)q * B + v];
            dcs[(size_t)q * B * L + (size_t)v * L + l] = dmx[(size_t)q * B + v] * (float)mask[v * L + l];
        }
}

/* the pooler (output only): pooled[S,H] = tanh(W x[n, 0] + b), x rows of ldx floats */
static void hero__pooler_fwd(float *pooled, const float *x, size_t ldx, const float *W, const float *b, int S, int H) {
    int n;
    for (n = 0; n < S; n++) hero__linear_fwd(pooled + (size_t)n * H, x + (size_t)n * ldx, W, b, 1, H, H);
    hero__tanh_fwd(pooled, (size_t)S * H);
}

/* *out = sum a[i] b[i] (double accumulation) */
static void hero__dot(float *out, const float *a, const float *b, size_t n) {
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += (double)a[i] * b[i];
    *out = (float)s;
}

/* cross-entropy over rows of logits [n, stride] using the first `cols` columns; ignore target -1.
   loss_vec[n] (0 for ignored rows; may be NULL), *loss = mean over valid rows (NaN if none);
   dlogits (may be NULL) += d(mean)/dlogits * scale. Threads: rows split across the pool (each
   with its own probability row); the mean sums the rows' losses in row order afterwards. */
typedef struct hero__xent_ctx {
    const float *logits;
    const int32_t *targets;
    float *lossr, *dlogits, *prob, scale;
    int cols, stride, valid;
} hero__xent_ctx;
static void hero__xent_rows_part(void *c, int part, size_t r0, size_t r1) {
    const hero__xent_ctx *x = (const hero__xent_ctx *)c;
    float *prob = x->prob + (size_t)part * (x->cols > 0 ? x->cols : 1);
    size_t r;
    for (r = r0; r < r1; r++) {
        if (x->targets[r] < 0) { x->lossr[r] = 0; continue; }
        x->lossr[r] = hero__xent_fwd(prob, x->logits + r * x->stride, x->cols, x->targets[r]);
        if (x->dlogits) hero__xent_bwd(x->dlogits + r * x->stride, prob, x->cols, x->targets[r], x->scale / (float)x->valid);
    }
}
static int hero__xent_rows(hero_arena *ar, const float *logits, int n, int cols, int stride, const int32_t *targets,
                           float *loss_vec, float *dlogits, float scale, float *loss) {
    int r, valid = 0, parts = hero__for_parts((size_t)(n > 0 ? n : 0) * (size_t)(cols > 0 ? cols : 0), 65536);
    double sum = 0;
    hero__xent_ctx x;
    x.prob = (float *)hero__alloc(ar, (size_t)parts * (size_t)(cols > 0 ? cols : 1) * sizeof(float));
    x.lossr = loss_vec ? loss_vec : (float *)hero__alloc(ar, (size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!x.prob || !x.lossr) return HERO_ENOMEM;
    for (r = 0; r < n; r++) if (targets[r] >= 0) valid++;
    x.logits = logits; x.targets = targets; x.dlogits = dlogits; x.scale = scale;
    x.cols = cols; x.stride = stride; x.valid = valid;
    hero__for(hero__xent_rows_part, &x, (size_t)(n > 0 ? n : 0), parts);
    for (r = 0; r < n; r++) if (targets[r] >= 0) sum += x.lossr[r];
    *loss = valid ? (float)(sum / valid) : NAN;
    return 0;
}

/* MFFR: lv[nm,F] squared errors, *loss = mean_i sqrt(sum_j lv); dout (may be NULL) = d loss / d pred */
static void hero__mffr_loss(float *lv, float *dout, float *loss, const float *pred, const float *tgt, int nm, int F) {
    double sum = 0;
    int i, j;
    for (i = 0; i < nm; i++) {
        double s = 0;
        float r;
        for (j = 0; j < F; j++) {
            float d = pred[(size_t)i * F + j] - tgt[(size_t)i * F + j];
            lv[(size_t)i * F + j] = d * d;
            s += (double)d * d;
        }
        r = (float)sqrt(s);
        sum += r;
        if (dout && r > 0)
            for (j = 0; j < F; j++) dout[(size_t)i * F + j] = (pred[(size_t)i * F + j] - tgt[(size_t)i * F + j]) / (r * (float)nm);
    }
    *loss = (float)(sum / nm);
}

/* ======================================================================================
   Weight formats (lean inference): out[N,O] = x[N,K] W[O,K]^T + b with W held in bf16, f16
   or q8_0 and read directly (layouts: "Lean inference" in the API); the word-table gather
   from the same formats. Every format has a portable C path; on x86-64 with gcc / clang the
   AVX2, AVX-512, AVX512-BF16, AVX512-VNNI and AVX-VNNI kernels are compiled with target
   attributes and chosen at run time (the CPU's features, capped by isa_max).
   ====================================================================================== */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(HERO_NO_CLONES) && !defined(HERO_CUDA)
#define HERO__WQ_X86 1
#if defined(__GNUC__) && !defined(__clang__)
/* g++ 12 -O2 reports its own AVX-512 headers' deliberately undefined vectors (_mm512_undefined_*)
   as uninitialised where they are inlined into the kernels below */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cpuid.h>
#include <immintrin.h>
#define HERO__TARGET(s) __attribute__((target(s)))
#else
#define HERO__WQ_X86 0
#endif

enum { HERO__WQ_AVX2 = 1, HERO__WQ_AVX512 = 2, HERO__WQ_BF16 = 4, HERO__WQ_VNNI512 = 8, HERO__WQ_AVXVNNI = 16 };
enum { HERO__WQ_ROWS = 4, HERO__WQ_COLS = 4, HERO__WQ_TILE = 16 }; /* input rows / W rows per micro-kernel call; W rows per task */

/* the reduced-format matrices of a model (sorted by data pointer) and the features in use */
typedef struct hero__wfmt {
    hero_wmat *mats;
    int n, feat;
} hero__wfmt;

/* what a lean model owns: the dispatch table and the matrices' memory (allocated or mapped) */
typedef struct hero__lean {
    hero__wfmt f;
    unsigned char *raw, *block; /* HERO_MALLOC'd, and 64-byte aligned inside it */
    size_t bytes;               /* of block */
    const void *map_src;        /* while loading: the mapped file whose matrices may be used in place */
    void *keep;                 /* hero_tensorfile kept open (mapped) for matrices used in place, or NULL */
    int n_mapped;               /* matrices used in place */
} hero__lean;

/* the CPU's features for the format kernels, capped by isa_max (see hero_model_options) */
static int hero__wq_features(int isa_max) {
    int f = 0;
#if HERO__WQ_X86
    unsigned a = 0, b = 0, c = 0, d = 0;
    int f16c = 0, avxvnni = 0;
    __builtin_cpu_init();
    if (__get_cpuid(1, &a, &b, &c, &d)) f16c = (c >> 29) & 1;
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) avxvnni = (a >> 4) & 1;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c) {
        f |= HERO__WQ_AVX2;
        if (avxvnni) f |= HERO__WQ_AVXVNNI;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
            f |= HERO__WQ_AVX512;
            if (__builtin_cpu_supports("avx512bf16")) f |= HERO__WQ_BF16;
            if (__builtin_cpu_supports("avx512vnni")) f |= HERO__WQ_VNNI512;
        }
    }
#endif
    switch (isa_max) {
    case 0: return 0;
    case 1: return f & HERO__WQ_AVX2;
    case 2: return f & (HERO__WQ_AVX2 | HERO__WQ_AVX512);
    case 3: return f & (HERO__WQ_AVX2 | HERO__WQ_AVX512 | HERO__WQ_BF16 | HERO__WQ_VNNI512);
    case 4: return f & (HERO__WQ_AVX2 | HERO__WQ_AVXVNNI);
    default: return f;
    }
}

static size_t hero__wmat_bytes(hero_wtype t, int O, int K) {
    size_t nb = ((size_t)K + HERO_Q8_BLOCK - 1) / HERO_Q8_BLOCK;
    if (t == HERO_W_Q8_0) return (size_t)O * nb * HERO_Q8_BLOCK + (((size_t)O * nb * 2 + 63) & ~(size_t)63);
    return (size_t)O * K * 2;
}
/* points w at its memory p (hero__wmat_bytes of it, 64-byte aligned) */
static void hero__wmat_place(hero_wmat *w, hero_wtype t, int O, int K, void *p) {
    w->wtype = t; w->O = O; w->K = K;
    w->nb = (K + HERO_Q8_BLOCK - 1) / HERO_Q8_BLOCK;
    w->data = p;
    w->scale = t == HERO_W_Q8_0 ? (const uint16_t *)((unsigned char *)p + (size_t)O * w->nb * HERO_Q8_BLOCK) : NULL;
}

/* q8_0 of one block of n <= 32 floats: q[32] (zero padded), returns the scale d = max|x| / 127
   (f32; the weights store it as f16 and quantise with the rounded one: round_f16 != 0) */
static float hero__q8_block(const float *x, int n, int8_t *q, int round_f16) {
    float amax = 0, d, id;
    int i;
    for (i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (!(a <= amax)) amax = a;
        if (amax != amax) break; /* NaN wins (a later element must not replace it) */
    }
    d = amax / 127.0f;
    if (round_f16) d = hero_f16_to_f32(hero_f32_to_f16(d > 65504.0f ? 65504.0f : d));
    if (!(d == d) || d > 3.0e38f) { memset(q, 0, HERO_Q8_BLOCK); return amax != amax ? amax : d; } /* NaN / inf: propagates */
    id = d > 0 ? 1.0f / d : 0.0f;
    for (i = 0; i < n; i++) {
        float v = x[i] * id;
        int r = (int)(v >= 0 ? v + 0.5f : v - 0.5f);
        q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    for (; i < HERO_Q8_BLOCK; i++) q[i] = 0;
    return d;
}

/* nr rows of f32 src [nr, K] -> rows r0.. of w's memory (w placed by hero__wmat_place) */
static void hero__wmat_quantize_rows(hero_wmat *w, const float *src, int r0, int nr) {
    size_t o, i, K = (size_t)w->K;
    if (w->wtype == HERO_W_Q8_0) {
        int8_t *q = (int8_t *)(uintptr_t)w->data;
        uint16_t *sc = (uint16_t *)(uintptr_t)w->scale;
        int j;
        for (o = (size_t)r0; o < (size_t)r0 + (size_t)nr; o++)
            for (j = 0; j < w->nb; j++) {
                int n = (int)(K - (size_t)j * HERO_Q8_BLOCK < HERO_Q8_BLOCK ? K - (size_t)j * HERO_Q8_BLOCK : HERO_Q8_BLOCK);
                float d = hero__q8_block(src + (o - (size_t)r0) * K + (size_t)j * HERO_Q8_BLOCK, n, q + (o * w->nb + j) * HERO_Q8_BLOCK, 1);
                sc[o * w->nb + j] = hero_f32_to_f16(d > 65504.0f ? 65504.0f : d);
            }
        return;
    }
    for (i = 0; i < (size_t)nr * K; i++)
        ((uint16_t *)(uintptr_t)w->data)[(size_t)r0 * K + i] = w->wtype == HERO_W_BF16 ? hero_f32_to_bf16(src[i]) : hero_f32_to_f16(src[i]);
}

HERODEF void hero_q8_0_quantize(const float *W, int O, int K, int8_t *q, uint16_t *scale) {
    int o, j, nb = (K + HERO_Q8_BLOCK - 1) / HERO_Q8_BLOCK;
    int8_t blk[HERO_Q8_BLOCK];
    for (o = 0; o < O; o++)
        for (j = 0; j < nb; j++) {
            int n = K - j * HERO_Q8_BLOCK < HERO_Q8_BLOCK ? K - j * HERO_Q8_BLOCK : HERO_Q8_BLOCK;
            float d = hero__q8_block(W + (size_t)o * K + (size_t)j * HERO_Q8_BLOCK, n, blk, 1);
            scale[(size_t)o * nb + j] = hero_f32_to_f16(d > 65504.0f ? 65504.0f : d);
            memcpy(q + (size_t)o * K + (size_t)j * HERO_Q8_BLOCK, blk, (size_t)n);
        }
}

/* row r of w as f32: dst[K] */
static void hero__wmat_row(const hero_wmat *w, int r, float *dst) {
    int k;
    if (w->wtype == HERO_W_Q8_0) {
        const int8_t *q = (const int8_t *)w->data + (size_t)r * w->nb * HERO_Q8_BLOCK;
        const uint16_t *sc = w->scale + (size_t)r * w->nb;
        for (k = 0; k < w->K; k++) dst[k] = hero_f16_to_f32(sc[k / HERO_Q8_BLOCK]) * (float)q[k];
    } else {
        const uint16_t *h = (const uint16_t *)w->data + (size_t)r * w->K;
        for (k = 0; k < w->K; k++) dst[k] = w->wtype == HERO_W_BF16 ? hero_bf16_to_f32(h[k]) : hero_f16_to_f32(h[k]);
    }
}

/* one product's inputs: x as f32 rows (ldx apart), or as bf16 rows [N, kp] (vdpbf16ps), or as
   q8_0 rows: int8 [N, nb*32] with f32 scales [N, nb] */
typedef struct hero__wjob {
    const hero_wmat *w;
    const float *x;
    size_t ldx;
    uint16_t *xh;
    int kp;
    int8_t *xq;
    float *xd;
    unsigned char *xg; /* q8_0 on AVX512-VNNI: the inputs in groups of 8 blocks (hero__q8g_row), unsigned */
    float *xgs;        /* and their scale vectors [N, ng, 16] */
    unsigned char *scratch; /* hero__wjob_part: per part, hero__q8g_row_bytes * HERO__WQ_TILE bytes */
    size_t scratch_bytes;
    const float *b;
    float *out;
    int N, feat;
} hero__wjob;

/* acc[r] = x[n[r]] . W[o] for the HERO__WQ_ROWS rows n[] (repeats allowed) */
typedef void (*hero__wdot_fn)(const hero__wjob *j, const int *n, int o, float *acc);
/* acc[r * HERO__WQ_COLS + c] = x[n[r]] . W[o[c]]: HERO__WQ_ROWS rows by HERO__WQ_COLS matrix rows
   (repeats allowed; each sum is computed the same way whichever slot it is in) */
typedef void (*hero__wtile_fn)(const hero__wjob *j, const int *n, const int *o, float *acc);

/* ---- portable C ---- */
static void hero__wdot_h_c(const hero__wjob *j, const int *n, int o, float *acc) {
    float wb[256];
    const uint16_t *w = (const uint16_t *)j->w->data + (size_t)o * j->w->K;
    int K = j->w->K, r, k, k0, bf = j->w->wtype == HERO_W_BF16;
    for (r = 0; r < HERO__WQ_ROWS; r++) acc[r] = 0;
    for (k0 = 0; k0 < K; k0 += 256) {
        int kn = K - k0 < 256 ? K - k0 : 256;
        for (k = 0; k < kn; k++) wb[k] = bf ? hero_bf16_to_f32(w[k0 + k]) : hero_f16_to_f32(w[k0 + k]);
        for (r = 0; r < HERO__WQ_ROWS; r++) {
            const float *x = j->x + (size_t)n[r] * j->ldx + k0;
            float s = 0;
            for (k = 0; k < kn; k++) s += x[k] * wb[k];
            acc[r] += s;
        }
    }
}
static void hero__wdot_q8_c(const hero__wjob *j, const int *n, int o, float *acc) {
    int nb = j->w->nb, r, b, i;
    const int8_t *wq = (const int8_t *)j->w->data + (size_t)o * nb * HERO_Q8_BLOCK;
    const uint16_t *wd = j->w->scale + (size_t)o * nb;
    for (r = 0; r < HERO__WQ_ROWS; r++) acc[r] = 0;
    for (b = 0; b < nb; b++) {
        float d = hero_f16_to_f32(wd[b]);
        for (r = 0; r < HERO__WQ_ROWS; r++) {
            const int8_t *xq = j->xq + ((size_t)n[r] * nb + b) * HERO_Q8_BLOCK, *wb = wq + (size_t)b * HERO_Q8_BLOCK;
            int32_t s = 0;
            for (i = 0; i < HERO_Q8_BLOCK; i++) s += (int32_t)xq[i] * wb[i];
            acc[r] += (float)s * (d * j->xd[(size_t)n[r] * nb + b]);
        }
    }
}
/* q8_0 weights times f32 inputs (only when the quantised inputs could not be allocated) */
static void hero__wdot_q8f_c(const hero__wjob *j, const int *n, int o, float *acc) {
    int nb = j->w->nb, K = j->w->K, r, k;
    const int8_t *wq = (const int8_t *)j->w->data + (size_t)o * nb * HERO_Q8_BLOCK;
    const uint16_t *wd = j->w->scale + (size_t)o * nb;
    for (r = 0; r < HERO__WQ_ROWS; r++) {
        const float *x = j->x + (size_t)n[r] * j->ldx;
        float s = 0;
        for (k = 0; k < K; k++) s += x[k] * (hero_f16_to_f32(wd[k / HERO_Q8_BLOCK]) * (float)wq[k]);
        acc[r] = s;
    }
}

#if HERO__WQ_X86
/* ---- AVX2 (+FMA, F16C) ---- */
HERO__TARGET("avx2,fma,f16c") static float hero__hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
HERO__TARGET("avx2,fma,f16c") static void hero__wdot_h_avx2(const hero__wjob *j, const int *n, int o, float *acc) {
    const uint16_t *w = (const uint16_t *)j->w->data + (size_t)o * j->w->K;
    const float *x0 = j->x + (size_t)n[0] * j->ldx, *x1 = j->x + (size_t)n[1] * j->ldx;
    const float *x2 = j->x + (size_t)n[2] * j->ldx, *x3 = j->x + (size_t)n[3] * j->ldx;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int K = j->w->K, k = 0, bf = j->w->wtype == HERO_W_BF16;
    for (; k + 8 <= K; k += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(w + k));
        __m256 wf = bf ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)) : _mm256_cvtph_ps(h);
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + k), wf, s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + k), wf, s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + k), wf, s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + k), wf, s3);
    }
    acc[0] = hero__hsum256(s0); acc[1] = hero__hsum256(s1); acc[2] = hero__hsum256(s2); acc[3] = hero__hsum256(s3);
    for (; k < K; k++) {
        float wf = bf ? hero_bf16_to_f32(w[k]) : hero_f16_to_f32(w[k]);
        acc[0] += x0[k] * wf; acc[1] += x1[k] * wf; acc[2] += x2[k] * wf; acc[3] += x3[k] * wf;
    }
}
/* q8_0 block dot products: |w| (unsigned) times x with w's sign (signed) */
HERO__TARGET("avx2,fma,f16c") static void hero__wdot_q8_avx2(const hero__wjob *j, const int *n, int o, float *acc) {
    int nb = j->w->nb, b;
    const int8_t *wq = (const int8_t *)j->w->data + (size_t)o * nb * HERO_Q8_BLOCK;
    const uint16_t *wd = j->w->scale + (size_t)o * nb;
    const int8_t *x0 = j->xq + (size_t)n[0] * nb * HERO_Q8_BLOCK, *x1 = j->xq + (size_t)n[1] * nb * HERO_Q8_BLOCK;
    const int8_t *x2 = j->xq + (size_t)n[2] * nb * HERO_Q8_BLOCK, *x3 = j->xq + (size_t)n[3] * nb * HERO_Q8_BLOCK;
    const float *d0 = j->xd + (size_t)n[0] * nb, *d1 = j->xd + (size_t)n[1] * nb;
    const float *d2 = j->xd + (size_t)n[2] * nb, *d3 = j->xd + (size_t)n[3] * nb;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (b = 0; b < nb; b++) {
        size_t q = (size_t)b * HERO_Q8_BLOCK;
        __m256i w = _mm256_loadu_si256((const __m256i *)(wq + q)), aw = _mm256_sign_epi8(w, w);
        float d = _cvtsh_ss(wd[b]);
#define HERO__Q8_AVX2_ROW(s, x, dx)                                                                                     \
    s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(                                                           \
                            _mm256_maddubs_epi16(aw, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(x + q)), w)), \
                            ones)),                                                                                     \
                        _mm256_set1_ps(d * dx[b]), s);
        HERO__Q8_AVX2_ROW(s0, x0, d0) HERO__Q8_AVX2_ROW(s1, x1, d1) HERO__Q8_AVX2_ROW(s2, x2, d2) HERO__Q8_AVX2_ROW(s3, x3, d3)
#undef HERO__Q8_AVX2_ROW
    }
    acc[0] = hero__hsum256(s0); acc[1] = hero__hsum256(s1); acc[2] = hero__hsum256(s2); acc[3] = hero__hsum256(s3);
}
/* ---- AVX-VNNI (256-bit vpdpbusd without AVX-512) ---- */
HERO__TARGET("avx2,fma,f16c,avxvnni") static void hero__wdot_q8_avxvnni(const hero__wjob *j, const int *n, int o, float *acc) {
    int nb = j->w->nb, b;
    const int8_t *wq = (const int8_t *)j->w->data + (size_t)o * nb * HERO_Q8_BLOCK;
    const uint16_t *wd = j->w->scale + (size_t)o * nb;
    const int8_t *x0 = j->xq + (size_t)n[0] * nb * HERO_Q8_BLOCK, *x1 = j->xq + (size_t)n[1] * nb * HERO_Q8_BLOCK;
    const int8_t *x2 = j->xq + (size_t)n[2] * nb * HERO_Q8_BLOCK, *x3 = j->xq + (size_t)n[3] * nb * HERO_Q8_BLOCK;
    const float *d0 = j->xd + (size_t)n[0] * nb, *d1 = j->xd + (size_t)n[1] * nb;
    const float *d2 = j->xd + (size_t)n[2] * nb, *d3 = j->xd + (size_t)n[3] * nb;
    const __m256i z = _mm256_setzero_si256();
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (b = 0; b < nb; b++) {
        size_t q = (size_t)b * HERO_Q8_BLOCK;
        __m256i w = _mm256_loadu_si256((const __m256i *)(wq + q)), aw = _mm256_sign_epi8(w, w);
        float d = _cvtsh_ss(wd[b]);
#define HERO__Q8_VNNI_ROW(s, x, dx)                                                                                 \
    s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(                                                 \
                            z, aw, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(x + q)), w))),             \
                        _mm256_set1_ps(d * dx[b]), s);
        HERO__Q8_VNNI_ROW(s0, x0, d0) HERO__Q8_VNNI_ROW(s1, x1, d1) HERO__Q8_VNNI_ROW(s2, x2, d2) HERO__Q8_VNNI_ROW(s3, x3, d3)
#undef HERO__Q8_VNNI_ROW
    }
    acc[0] = hero__hsum256(s0); acc[1] = hero__hsum256(s1); acc[2] = hero__hsum256(s2); acc[3] = hero__hsum256(s3);
}
/* ---- AVX-512 (F, BW, VL): conversion + FMA, 16 at a time, masked tails ---- */
HERO__TARGET("avx512f,avx512bw,avx512vl,fma,f16c") static void hero__wdot_h_avx512(const hero__wjob *j, const int *n, int o,
                                                                                 float *acc) {
    const uint16_t *w = (const uint16_t *)j->w->data + (size_t)o * j->w->K;
    const float *x0 = j->x + (size_t)n[0] * j->ldx, *x1 = j->x + (size_t)n[1] * j->ldx;
    const float *x2 = j->x + (size_t)n[2] * j->ldx, *x3 = j->x + (size_t)n[3] * j->ldx;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int K = j->w->K, k, bf = j->w->wtype == HERO_W_BF16;
    for (k = 0; k < K; k += 16) {
        __mmask16 m = K - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (K - k)) - 1);
        __m256i h = _mm256_maskz_loadu_epi16(m, w + k);
        __m512 wf = bf ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_maskz_cvtepu16_epi32((__mmask16)0xffff, h), 16)) : _mm512_maskz_cvtph_ps((__mmask16)0xffff, h);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x0 + k), wf, s0);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x1 + k), wf, s1);
        s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x2 + k), wf, s2);
        s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x3 + k), wf, s3);
    }
    acc[0] = _mm512_reduce_add_ps(s0); acc[1] = _mm512_reduce_add_ps(s1);
    acc[2] = _mm512_reduce_add_ps(s2); acc[3] = _mm512_reduce_add_ps(s3);
}
/* ---- AVX512-BF16: vdpbf16ps on bf16 inputs (rows padded with zeros to kp, a multiple of 32) ---- */
HERO__TARGET("avx512f,avx512bw,avx512vl,avx512bf16") static void hero__wdot_bf16_dp(const hero__wjob *j, const int *n, int o,
                                                                                  float *acc) {
    const uint16_t *w = (const uint16_t *)j->w->data + (size_t)o * j->w->K;
    const uint16_t *x0 = j->xh + (size_t)n[0] * j->kp, *x1 = j->xh + (size_t)n[1] * j->kp;
    const uint16_t *x2 = j->xh + (size_t)n[2] * j->kp, *x3 = j->xh + (size_t)n[3] * j->kp;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int K = j->w->K, k;
    for (k = 0; k < K; k += 32) {
        __mmask32 m = K - k >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (K - k)) - 1);
        __m512bh wb = (__m512bh)_mm512_maskz_loadu_epi16(m, w + k);
        s0 = _mm512_dpbf16_ps(s0, (__m512bh)_mm512_loadu_si512((const void *)(x0 + k)), wb);
        s1 = _mm512_dpbf16_ps(s1, (__m512bh)_mm512_loadu_si512((const void *)(x1 + k)), wb);
        s2 = _mm512_dpbf16_ps(s2, (__m512bh)_mm512_loadu_si512((const void *)(x2 + k)), wb);
        s3 = _mm512_dpbf16_ps(s3, (__m512bh)_mm512_loadu_si512((const void *)(x3 + k)), wb);
    }
    acc[0] = _mm512_reduce_add_ps(s0); acc[1] = _mm512_reduce_add_ps(s1);
    acc[2] = _mm512_reduce_add_ps(s2); acc[3] = _mm512_reduce_add_ps(s3);
}
/* ---- AVX512-VNNI: two q8_0 blocks per vpdpbusd ---- */
HERO__TARGET("avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c") static void hero__wdot_q8_vnni512(const hero__wjob *j, const int *n,
                                                                                              int o, float *acc) {
    int nb = j->w->nb, b, r;
    const int8_t *wq = (const int8_t *)j->w->data + (size_t)o * nb * HERO_Q8_BLOCK;
    const uint16_t *wd = j->w->scale + (size_t)o * nb;
    const int8_t *x[HERO__WQ_ROWS];
    const float *dx[HERO__WQ_ROWS];
    const __m512i z = _mm512_setzero_si512();
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    __m256 t0 = _mm256_setzero_ps(), t1 = t0, t2 = t0, t3 = t0;
    for (r = 0; r < HERO__WQ_ROWS; r++) { x[r] = j->xq + (size_t)n[r] * nb * HERO_Q8_BLOCK; dx[r] = j->xd + (size_t)n[r] * nb; }
    for (b = 0; b + 1 < nb; b += 2) {
        size_t q = (size_t)b * HERO_Q8_BLOCK;
        __m512i w = _mm512_loadu_si512((const void *)(wq + q)), aw = _mm512_abs_epi8(w);
        __mmask64 neg = _mm512_movepi8_mask(w);
        float da = _cvtsh_ss(wd[b]), db = _cvtsh_ss(wd[b + 1]);
#define HERO__Q8_512_ROW(s, r)                                                                                       \
    {                                                                                                                \
        __m512i xv = _mm512_loadu_si512((const void *)(x[r] + q));                                                   \
        __m512i p = _mm512_dpbusd_epi32(z, aw, _mm512_mask_sub_epi8(xv, neg, z, xv));                                \
        __m512 sc = _mm512_mask_blend_ps((__mmask16)0xff00, _mm512_set1_ps(da * dx[r][b]), _mm512_set1_ps(db * dx[r][b + 1])); \
        s = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), sc, s);                                                           \
    }
        HERO__Q8_512_ROW(s0, 0) HERO__Q8_512_ROW(s1, 1) HERO__Q8_512_ROW(s2, 2) HERO__Q8_512_ROW(s3, 3)
#undef HERO__Q8_512_ROW
    }
    if (b < nb) { /* an odd last block: 256-bit */
        size_t q = (size_t)b * HERO_Q8_BLOCK;
        __m256i w = _mm256_loadu_si256((const __m256i *)(wq + q)), aw = _mm256_abs_epi8(w), zz = _mm256_setzero_si256();
        __mmask32 neg = _mm256_movepi8_mask(w);
        float d = _cvtsh_ss(wd[b]);
#define HERO__Q8_256_ROW(t, r)                                                                                       \
    {                                                                                                                \
        __m256i xv = _mm256_loadu_si256((const __m256i *)(x[r] + q));                                                \
        __m256i p = _mm256_dpbusd_epi32(zz, aw, _mm256_mask_sub_epi8(xv, neg, zz, xv));                             \
        t = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d * dx[r][b]), t);                                 \
    }
        HERO__Q8_256_ROW(t0, 0) HERO__Q8_256_ROW(t1, 1) HERO__Q8_256_ROW(t2, 2) HERO__Q8_256_ROW(t3, 3)
#undef HERO__Q8_256_ROW
    }
    acc[0] = _mm512_reduce_add_ps(s0) + hero__hsum256(t0); acc[1] = _mm512_reduce_add_ps(s1) + hero__hsum256(t1);
    acc[2] = _mm512_reduce_add_ps(s2) + hero__hsum256(t2); acc[3] = _mm512_reduce_add_ps(s3) + hero__hsum256(t3);
}
/* ---- 4 x 4 tiles (AVX-512, AVX512-BF16, AVX512-VNNI): 16 sums per call, each matrix row and
   input row loaded once per step for four products ---- */
/* the sums of a, b, c, d (each over its 16 lanes, in a fixed order) */
HERO__TARGET("avx512f,avx512bw,avx512vl") static __m128 hero__hsum4_512(__m512 a, __m512 b, __m512 c, __m512 d) {
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    __m512 t = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD)); /* 128-bit lanes: a b c d */
    t = _mm512_add_ps(t, _mm512_permute_ps(t, 0x4E));
    t = _mm512_add_ps(t, _mm512_permute_ps(t, 0xB1));
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12), t));
}
HERO__TARGET("avx512f,avx512bw,avx512vl,avx512bf16") static void hero__wtile_bf16_dp(const hero__wjob *j, const int *n, const int *o,
                                                                                   float *acc) {
    const uint16_t *W = (const uint16_t *)j->w->data;
    int K = j->w->K, k;
    size_t kw = (size_t)K, kp = (size_t)j->kp;
    const uint16_t *w0 = W + (size_t)o[0] * kw, *w1 = W + (size_t)o[1] * kw, *w2 = W + (size_t)o[2] * kw, *w3 = W + (size_t)o[3] * kw;
    const uint16_t *x0 = j->xh + (size_t)n[0] * kp, *x1 = j->xh + (size_t)n[1] * kp;
    const uint16_t *x2 = j->xh + (size_t)n[2] * kp, *x3 = j->xh + (size_t)n[3] * kp;
    __m512 s00 = _mm512_setzero_ps(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    __m512 s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
    for (k = 0; k < K; k += 32) {
        __mmask32 m = K - k >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (K - k)) - 1);
        __m512bh b0 = (__m512bh)_mm512_maskz_loadu_epi16(m, w0 + k), b1 = (__m512bh)_mm512_maskz_loadu_epi16(m, w1 + k);
        __m512bh b2 = (__m512bh)_mm512_maskz_loadu_epi16(m, w2 + k), b3 = (__m512bh)_mm512_maskz_loadu_epi16(m, w3 + k);
        __m512bh a;
#define HERO__BF16_TILE_ROW(x, r)                                                                                     \
    a = (__m512bh)_mm512_loadu_si512((const void *)(x + k));                                                           \
    s##r##0 = _mm512_dpbf16_ps(s##r##0, a, b0); s##r##1 = _mm512_dpbf16_ps(s##r##1, a, b1);                          \
    s##r##2 = _mm512_dpbf16_ps(s##r##2, a, b2); s##r##3 = _mm512_dpbf16_ps(s##r##3, a, b3);
        HERO__BF16_TILE_ROW(x0, 0) HERO__BF16_TILE_ROW(x1, 1) HERO__BF16_TILE_ROW(x2, 2) HERO__BF16_TILE_ROW(x3, 3)
#undef HERO__BF16_TILE_ROW
    }
    _mm_storeu_ps(acc + 0, hero__hsum4_512(s00, s01, s02, s03));
    _mm_storeu_ps(acc + 4, hero__hsum4_512(s10, s11, s12, s13));
    _mm_storeu_ps(acc + 8, hero__hsum4_512(s20, s21, s22, s23));
    _mm_storeu_ps(acc + 12, hero__hsum4_512(s30, s31, s32, s33));
}
/* f16 / bf16 weights on AVX-512 (F, BW, VL): 16 weights converted once per step for 4 input rows */
HERO__TARGET("avx512f,avx512bw,avx512vl,fma,f16c") static void hero__wtile_h_avx512(const hero__wjob *j, const int *n, const int *o,
                                                                                  float *acc) {
    const uint16_t *W = (const uint16_t *)j->w->data;
    int K = j->w->K, k, bf = j->w->wtype == HERO_W_BF16;
    size_t kw = (size_t)K;
    const uint16_t *w0 = W + (size_t)o[0] * kw, *w1 = W + (size_t)o[1] * kw, *w2 = W + (size_t)o[2] * kw, *w3 = W + (size_t)o[3] * kw;
    const float *x0 = j->x + (size_t)n[0] * j->ldx, *x1 = j->x + (size_t)n[1] * j->ldx;
    const float *x2 = j->x + (size_t)n[2] * j->ldx, *x3 = j->x + (size_t)n[3] * j->ldx;
    __m512 s00 = _mm512_setzero_ps(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    __m512 s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
    for (k = 0; k < K; k += 16) {
        __mmask16 m = K - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (K - k)) - 1);
        __m512 b0, b1, b2, b3, a;
#define HERO__H_CVT(c)                                                                                                 \
    {                                                                                                                  \
        __m256i h = _mm256_maskz_loadu_epi16(m, w##c + k);                                                             \
        b##c = bf ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)) : _mm512_cvtph_ps(h);         \
    }
        HERO__H_CVT(0) HERO__H_CVT(1) HERO__H_CVT(2) HERO__H_CVT(3)
#undef HERO__H_CVT
#define HERO__H_ROW(x, r)                                                                                              \
    a = _mm512_maskz_loadu_ps(m, x + k);                                                                               \
    s##r##0 = _mm512_fmadd_ps(a, b0, s##r##0); s##r##1 = _mm512_fmadd_ps(a, b1, s##r##1);                              \
    s##r##2 = _mm512_fmadd_ps(a, b2, s##r##2); s##r##3 = _mm512_fmadd_ps(a, b3, s##r##3);
        HERO__H_ROW(x0, 0) HERO__H_ROW(x1, 1) HERO__H_ROW(x2, 2) HERO__H_ROW(x3, 3)
#undef HERO__H_ROW
    }
    _mm_storeu_ps(acc + 0, hero__hsum4_512(s00, s01, s02, s03));
    _mm_storeu_ps(acc + 4, hero__hsum4_512(s10, s11, s12, s13));
    _mm_storeu_ps(acc + 8, hero__hsum4_512(s20, s21, s22, s23));
    _mm_storeu_ps(acc + 12, hero__hsum4_512(s30, s31, s32, s33));
}
/* q8_0 x q8_0 on AVX512-VNNI in groups of 8 blocks: a row's blocks 8g..8g+7 (256 bytes) are
   laid out as 4 vectors, vector v lane L (4 bytes) = block 8g + (L & 7), bytes 4 (2v + (L >> 3))
   .. +3, so that 4 vpdpbusd leave in lanes L and L + 8 the two halves of block L's exact int32
   dot product, which one scale vector (block L's scale in both lanes) then weighs: one
   conversion and one FMA per 8 blocks instead of per 2. The inputs are made unsigned (q + 128,
   vpdpbusd's unsigned side) and each sum starts at -128 sum(w) of its bytes. The matrix rows
   of a task are laid out this way once (per-thread scratch), the input rows once per product. */
enum { HERO__Q8G = 8, HERO__Q8G_BYTES = HERO__Q8G * HERO_Q8_BLOCK };
/* one row of nb q8_0 blocks -> ng = ceil(nb / 8) groups of 256 bytes (blocks past nb: zeros),
   each byte xor `flip` (0x80: the unsigned inputs) */
HERO__TARGET("avx512f,avx512bw,avx512vl,avx512vnni") static void hero__q8g_row(const int8_t *q, int nb, unsigned char *out, int flip) {
    const __m512i i0 = _mm512_setr_epi32(0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27), i1 = _mm512_add_epi32(i0, _mm512_set1_epi32(4));
    const __m512i k0 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23), k1 = _mm512_add_epi32(k0, _mm512_set1_epi32(8));
    const __m512i f = _mm512_set1_epi8((char)flip);
    int g, i, ng = (nb + HERO__Q8G - 1) / HERO__Q8G;
    for (g = 0; g < ng; g++) {
        __m512i a[4], p0, p1, q0, q1;
        for (i = 0; i < 4; i++) {
            int left = nb - (g * HERO__Q8G + 2 * i);
            __mmask64 m = left >= 2 ? (__mmask64)~(uint64_t)0 : left == 1 ? (__mmask64)0xffffffffu : (__mmask64)0;
            a[i] = _mm512_maskz_loadu_epi8(m, q + ((size_t)g * HERO__Q8G + 2 * (size_t)i) * HERO_Q8_BLOCK);
        }
        p0 = _mm512_permutex2var_epi32(a[0], i0, a[1]); p1 = _mm512_permutex2var_epi32(a[0], i1, a[1]);
        q0 = _mm512_permutex2var_epi32(a[2], i0, a[3]); q1 = _mm512_permutex2var_epi32(a[2], i1, a[3]);
        _mm512_storeu_si512((void *)(out + (size_t)g * HERO__Q8G_BYTES), _mm512_xor_si512(_mm512_permutex2var_epi32(p0, k0, q0), f));
        _mm512_storeu_si512((void *)(out + (size_t)g * HERO__Q8G_BYTES + 64), _mm512_xor_si512(_mm512_permutex2var_epi32(p0, k1, q0), f));
        _mm512_storeu_si512((void *)(out + (size_t)g * HERO__Q8G_BYTES + 128), _mm512_xor_si512(_mm512_permutex2var_epi32(p1, k0, q1), f));
        _mm512_storeu_si512((void *)(out + (size_t)g * HERO__Q8G_BYTES + 192), _mm512_xor_si512(_mm512_permutex2var_epi32(p1, k1, q1), f));
    }
}
/* scratch bytes per matrix row: the groups, then per group the -128 sums and the scale vector */
static size_t hero__q8g_row_bytes(int nb) { return (size_t)((nb + HERO__Q8G - 1) / HERO__Q8G) * (HERO__Q8G_BYTES + 128); }
/* matrix rows o0..o1 of w into the scratch s (hero__q8g_row_bytes each) */
HERO__TARGET("avx512f,avx512bw,avx512vl,avx512vnni,f16c") static void hero__q8g_wrows(const hero_wmat *w, int o0, int o1, unsigned char *s) {
    int nb = w->nb, ng = (nb + HERO__Q8G - 1) / HERO__Q8G, o, g, v;
    size_t rs = hero__q8g_row_bytes(nb);
    const __m512i c80 = _mm512_set1_epi8((char)0x80), z = _mm512_setzero_si512();
    for (o = o0; o < o1; o++) {
        unsigned char *r = s + (size_t)(o - o0) * rs, *cs = r + (size_t)ng * HERO__Q8G_BYTES;
        const uint16_t *sc = w->scale + (size_t)o * nb;
        hero__q8g_row((const int8_t *)w->data + (size_t)o * nb * HERO_Q8_BLOCK, nb, r, 0);
        for (g = 0; g < ng; g++) {
            __m512i cz = z;
            int left = nb - g * HERO__Q8G;
            __m256 d;
            for (v = 0; v < 4; v++) cz = _mm512_dpbusd_epi32(cz, c80, _mm512_loadu_si512((const void *)(r + (size_t)g * HERO__Q8G_BYTES + 64 * v)));
            _mm512_storeu_si512((void *)(cs + (size_t)g * 128), _mm512_sub_epi32(z, cz));
            d = _mm256_cvtph_ps(_mm_maskz_loadu_epi16(left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1), sc + (size_t)g * HERO__Q8G));
            _mm512_storeu_ps((float *)(void *)(cs + (size_t)g * 128 + 64), _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(d)), _mm256_castps_pd(d), 1)));
        }
    }
}
/* input row n: its q8_0 blocks (xq, xd) -> groups (xg: unsigned) and scale vectors (xgs) */
HERO__TARGET("avx512f,avx512bw,avx512vl,avx512vnni") static void hero__q8g_xrow(const hero__wjob *j, size_t n) {
    int nb = j->w->nb, ng = (nb + HERO__Q8G - 1) / HERO__Q8G, g;
    const float *d = j->xd + n * (size_t)nb;
    hero__q8g_row(j->xq + n * (size_t)nb * HERO_Q8_BLOCK, nb, j->xg + n * (size_t)ng * HERO__Q8G_BYTES, 0x80);
    for (g = 0; g < ng; g++) {
        int left = nb - g * HERO__Q8G;
        __m256 v = _mm256_maskz_loadu_ps(left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1), d + (size_t)g * HERO__Q8G);
        _mm512_storeu_ps(j->xgs + (n * (size_t)ng + (size_t)g) * 16, _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(v)), _mm256_castps_pd(v), 1)));
    }
}
/* acc[r * 4 + c] = x[n[r]] . W[o[c]], o[] = rows of the scratch s (hero__q8g_wrows): the 16
   int32 sums of a group in registers (16 independent vpdpbusd chains, the 4 steps of a group
   written out), the scaled float sums in a small array (one FMA per pair and group) */
HERO__TARGET("avx512f,avx512bw,avx512vl,avx512vnni,fma") static void hero__q8g_tile(const hero__wjob *j, const unsigned char *s, const int *n,
                                                                                   const int *o, float *acc) {
    int nb = j->w->nb, ng = (nb + HERO__Q8G - 1) / HERO__Q8G, g, r;
    size_t rs = hero__q8g_row_bytes(nb), xs = (size_t)ng * HERO__Q8G_BYTES, cso = (size_t)ng * HERO__Q8G_BYTES;
    const unsigned char *x0 = j->xg + (size_t)n[0] * xs, *x1 = j->xg + (size_t)n[1] * xs, *x2 = j->xg + (size_t)n[2] * xs, *x3 = j->xg + (size_t)n[3] * xs;
    const float *e0 = j->xgs + (size_t)n[0] * ng * 16, *e1 = j->xgs + (size_t)n[1] * ng * 16;
    const float *e2 = j->xgs + (size_t)n[2] * ng * 16, *e3 = j->xgs + (size_t)n[3] * ng * 16;
    const unsigned char *w0 = s + (size_t)o[0] * rs, *w1 = s + (size_t)o[1] * rs, *w2 = s + (size_t)o[2] * rs, *w3 = s + (size_t)o[3] * rs;
    __m512 f[16];
    for (r = 0; r < 16; r++) f[r] = _mm512_setzero_ps();
    for (g = 0; g < ng; g++) {
        size_t go = (size_t)g * HERO__Q8G_BYTES, ko = cso + (size_t)g * 128;
        __m512i k0 = _mm512_loadu_si512((const void *)(w0 + ko)), k1 = _mm512_loadu_si512((const void *)(w1 + ko));
        __m512i k2 = _mm512_loadu_si512((const void *)(w2 + ko)), k3 = _mm512_loadu_si512((const void *)(w3 + ko));
        __m512i p00 = k0, p01 = k1, p02 = k2, p03 = k3, p10 = k0, p11 = k1, p12 = k2, p13 = k3;
        __m512i p20 = k0, p21 = k1, p22 = k2, p23 = k3, p30 = k0, p31 = k1, p32 = k2, p33 = k3;
        __m512i v0, v1, v2, v3, xv;
        __m512 fw0, fw1, fw2, fw3, fx;
#define HERO__Q8G_X(r)                                                                                                     \
    xv = _mm512_loadu_si512((const void *)(x##r + vo));                                                                    \
    p##r##0 = _mm512_dpbusd_epi32(p##r##0, xv, v0); p##r##1 = _mm512_dpbusd_epi32(p##r##1, xv, v1);                        \
    p##r##2 = _mm512_dpbusd_epi32(p##r##2, xv, v2); p##r##3 = _mm512_dpbusd_epi32(p##r##3, xv, v3);
#define HERO__Q8G_V(v)                                                                                                     \
    {                                                                                                                      \
        size_t vo = go + 64 * (v);                                                                                         \
        v0 = _mm512_loadu_si512((const void *)(w0 + vo)); v1 = _mm512_loadu_si512((const void *)(w1 + vo));              \
        v2 = _mm512_loadu_si512((const void *)(w2 + vo)); v3 = _mm512_loadu_si512((const void *)(w3 + vo));              \
        HERO__Q8G_X(0) HERO__Q8G_X(1) HERO__Q8G_X(2) HERO__Q8G_X(3)                                                        \
    }
        HERO__Q8G_V(0) HERO__Q8G_V(1) HERO__Q8G_V(2) HERO__Q8G_V(3)
#undef HERO__Q8G_V
#undef HERO__Q8G_X
        fw0 = _mm512_loadu_ps((const float *)(const void *)(w0 + ko + 64)); fw1 = _mm512_loadu_ps((const float *)(const void *)(w1 + ko + 64));
        fw2 = _mm512_loadu_ps((const float *)(const void *)(w2 + ko + 64)); fw3 = _mm512_loadu_ps((const float *)(const void *)(w3 + ko + 64));
#define HERO__Q8G_S(r)                                                                                                     \
    fx = _mm512_loadu_ps(e##r + (size_t)g * 16);                                                                           \
    f[4 * r + 0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p##r##0), _mm512_mul_ps(fw0, fx), f[4 * r + 0]);                     \
    f[4 * r + 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p##r##1), _mm512_mul_ps(fw1, fx), f[4 * r + 1]);                     \
    f[4 * r + 2] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p##r##2), _mm512_mul_ps(fw2, fx), f[4 * r + 2]);                     \
    f[4 * r + 3] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p##r##3), _mm512_mul_ps(fw3, fx), f[4 * r + 3]);
        HERO__Q8G_S(0) HERO__Q8G_S(1) HERO__Q8G_S(2) HERO__Q8G_S(3)
#undef HERO__Q8G_S
    }
    for (r = 0; r < 4; r++) _mm_storeu_ps(acc + 4 * r, hero__hsum4_512(f[4 * r], f[4 * r + 1], f[4 * r + 2], f[4 * r + 3]));
}
/* the inputs' conversions, AVX-512: rows of q8_0 blocks (exactly hero__q8_block's numbers) and
   of bf16 (exactly hero_f32_to_bf16's) */
HERO__TARGET("avx512f,avx512bw,avx512vl") static void hero__q8_half_avx512(__m512 v, float id, int8_t *q) {
    /* v * id rounded to float (a separate product: never fused with the +-0.5), +-0.5, truncated */
    __m512 t = _mm512_maskz_mul_ps((__mmask16)0xffff, v, _mm512_set1_ps(id));
    __mmask16 ge = _mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_GE_OQ);
    __m512i iv = _mm512_cvttps_epi32(_mm512_mask_blend_ps(ge, _mm512_sub_ps(t, _mm512_set1_ps(0.5f)), _mm512_add_ps(t, _mm512_set1_ps(0.5f))));
    iv = _mm512_max_epi32(_mm512_min_epi32(iv, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
    _mm_storeu_si128((__m128i *)(void *)q, _mm512_cvtepi32_epi8(iv));
}
HERO__TARGET("avx512f,avx512bw,avx512vl") static void hero__q8_row_avx512(const float *x, int K, int8_t *q, float *d) {
    int k0, bi = 0;
    for (k0 = 0; k0 < K; k0 += HERO_Q8_BLOCK, bi++) {
        __m512 a, b;
        float amax, dd;
        if (K - k0 < HERO_Q8_BLOCK) { d[bi] = hero__q8_block(x + k0, K - k0, q + k0, 0); continue; }
        a = _mm512_loadu_ps(x + k0);
        b = _mm512_loadu_ps(x + k0 + 16);
        amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
        dd = amax / 127.0f;
        if (_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q) || _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q) || !(dd <= 3.0e38f)) {
            d[bi] = hero__q8_block(x + k0, HERO_Q8_BLOCK, q + k0, 0); /* NaN / inf: the scalar rules */
            continue;
        }
        hero__q8_half_avx512(a, dd > 0 ? 1.0f / dd : 0.0f, q + k0);
        hero__q8_half_avx512(b, dd > 0 ? 1.0f / dd : 0.0f, q + k0 + 16);
        d[bi] = dd;
    }
}
HERO__TARGET("avx512f,avx512bw,avx512vl") static void hero__bf16_row_avx512(const float *x, int K, int kp, uint16_t *h) {
    int k;
    const __m512i abs = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000), one = _mm512_set1_epi32(1);
    for (k = 0; k < kp; k += 16) {
        __mmask16 m = K - k >= 16 ? (__mmask16)0xffff : K - k > 0 ? (__mmask16)((1u << (K - k)) - 1) : (__mmask16)0;
        __m512i u = _mm512_castps_si512(_mm512_maskz_loadu_ps(m, x + k));
        __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs), inf);
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(_mm512_srli_epi32(u, 16), one))), 16);
        r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
        _mm256_storeu_si256((__m256i *)(void *)(h + k), _mm512_cvtepi32_epi16(r));
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif /* HERO__WQ_X86 */

/* the micro-kernel for j's format and features */
static hero__wdot_fn hero__wdot_pick(const hero__wjob *j) {
#if HERO__WQ_X86
    int f = j->feat;
    if (j->w->wtype == HERO_W_Q8_0 && j->xq) {
        if (f & HERO__WQ_VNNI512) return hero__wdot_q8_vnni512;
        if (f & HERO__WQ_AVXVNNI) return hero__wdot_q8_avxvnni;
        if (f & HERO__WQ_AVX2) return hero__wdot_q8_avx2;
    }
    if (j->w->wtype == HERO_W_BF16 && j->xh) return hero__wdot_bf16_dp;
    if (j->w->wtype != HERO_W_Q8_0) {
        if (f & HERO__WQ_AVX512) return hero__wdot_h_avx512;
        if (f & HERO__WQ_AVX2) return hero__wdot_h_avx2;
    }
#endif
    if (j->w->wtype == HERO_W_Q8_0) return j->xq ? hero__wdot_q8_c : hero__wdot_q8f_c;
    return hero__wdot_h_c;
}

/* the 4 x 4 tile kernel for j's format and features, or NULL (then hero__wdot_pick's) */
static hero__wtile_fn hero__wtile_pick(const hero__wjob *j) {
#if HERO__WQ_X86
    if (j->w->wtype == HERO_W_BF16 && j->xh) return hero__wtile_bf16_dp;
    if (j->w->wtype != HERO_W_Q8_0 && (j->feat & HERO__WQ_AVX512)) return hero__wtile_h_avx512;
#else
    (void)j;
#endif
    return NULL;
}

/* task t: rows [t * TILE, ...) of W against every input row (scratch: this thread's, for the
   q8_0 groups). What a task writes depends only on t (fixed row groups of the inputs and of W):
   the same bits on any thread count. */
static void hero__wjob_task(const hero__wjob *j, int t, unsigned char *scratch) {
    hero__wtile_fn tile = hero__wtile_pick(j);
    hero__wdot_fn dot = tile || j->xg ? NULL : hero__wdot_pick(j);
    int O = j->w->O, o0 = t * HERO__WQ_TILE, o1 = o0 + HERO__WQ_TILE < O ? o0 + HERO__WQ_TILE : O, n0, o, r, c;
#if HERO__WQ_X86
    if (j->xg) hero__q8g_wrows(j->w, o0, o1, scratch);
#else
    (void)scratch;
#endif
    for (n0 = 0; n0 < j->N; n0 += HERO__WQ_ROWS) {
        int rows[HERO__WQ_ROWS], nr = j->N - n0 < HERO__WQ_ROWS ? j->N - n0 : HERO__WQ_ROWS;
        float acc[HERO__WQ_ROWS * HERO__WQ_COLS];
        for (r = 0; r < HERO__WQ_ROWS; r++) rows[r] = n0 + (r < nr ? r : nr - 1);
        if (tile || j->xg) {
            for (o = o0; o < o1; o += HERO__WQ_COLS) {
                int cols[HERO__WQ_COLS], nc = o1 - o < HERO__WQ_COLS ? o1 - o : HERO__WQ_COLS;
                for (c = 0; c < HERO__WQ_COLS; c++) cols[c] = o + (c < nc ? c : nc - 1);
#if HERO__WQ_X86
                if (j->xg) {
                    for (c = 0; c < HERO__WQ_COLS; c++) cols[c] -= o0; /* rows of the scratch */
                    hero__q8g_tile(j, scratch, rows, cols, acc);
                } else
#endif
                    tile(j, rows, cols, acc);
                for (r = 0; r < nr; r++)
                    for (c = 0; c < nc; c++) j->out[(size_t)(n0 + r) * O + o + c] = acc[r * HERO__WQ_COLS + c] + (j->b ? j->b[o + c] : 0.0f);
            }
            continue;
        }
        for (o = o0; o < o1; o++) {
            dot(j, rows, o, acc);
            for (r = 0; r < nr; r++) j->out[(size_t)(n0 + r) * O + o] = acc[r] + (j->b ? j->b[o] : 0.0f);
        }
    }
}
/* tasks [t0, t1) on part `part` (its scratch) */
static void hero__wjob_part(void *ctx, int part, size_t t0, size_t t1) {
    const hero__wjob *j = (const hero__wjob *)ctx;
    size_t t;
    for (t = t0; t < t1; t++) hero__wjob_task(j, (int)t, j->scratch ? j->scratch + (size_t)part * j->scratch_bytes : NULL);
}

/* input rows [n0, n1) converted for the kernels: q8_0 blocks (xq, xd) or bf16 rows (xh) */
static void hero__wprep_rows(void *ctx, int part, size_t n0, size_t n1) {
    const hero__wjob *j = (const hero__wjob *)ctx;
    size_t n, k, nb = (size_t)j->w->nb, K = (size_t)j->w->K, kp = (size_t)j->kp;
    (void)part;
    for (n = n0; n < n1; n++) {
        const float *x = j->x + n * j->ldx;
        if (j->xq) {
#if HERO__WQ_X86
            if (j->feat & HERO__WQ_AVX512) {
                hero__q8_row_avx512(x, (int)K, j->xq + n * nb * HERO_Q8_BLOCK, j->xd + n * nb);
                if (j->xg) hero__q8g_xrow(j, n);
                continue;
            }
#endif
            for (k = 0; k < nb; k++) {
                size_t k0 = k * HERO_Q8_BLOCK, kn = K - k0 < HERO_Q8_BLOCK ? K - k0 : HERO_Q8_BLOCK;
                j->xd[n * nb + k] = hero__q8_block(x + k0, (int)kn, j->xq + (n * nb + k) * HERO_Q8_BLOCK, 0);
            }
        } else {
#if HERO__WQ_X86
            if (j->feat & HERO__WQ_AVX512) { hero__bf16_row_avx512(x, (int)K, (int)kp, j->xh + n * kp); continue; }
#endif
            for (k = 0; k < K; k++) j->xh[n * kp + k] = hero_f32_to_bf16(x[k]);
            for (; k < kp; k++) j->xh[n * kp + k] = 0;
        }
    }
}

/* out[N, O] = x[N, K] (rows ldx apart) W^T + b, W in a reduced format, on the thread pool: the
   inputs converted a row at a time, then tasks of HERO__WQ_TILE rows of W (never a split of
   the sums: the same bits on any thread count). The quantised / bf16 inputs live in the arena
   only for this call. */
static void hero__wlinear(hero_arena *ar, float *out, const float *x, size_t ldx, const hero_wmat *w, const float *b, int N,
                          int feat) {
    hero__wjob j;
    int n_chunks = ar->n_chunks, nt, parts;
    size_t used = ar->used, work;
    if (N <= 0 || w->O <= 0) return;
    memset(&j, 0, sizeof(j));
    j.w = w; j.x = x; j.ldx = ldx; j.b = b; j.out = out; j.N = N; j.feat = feat;
    if (w->wtype == HERO_W_Q8_0) {
        int8_t *xq = (int8_t *)hero__arena_take(ar, (size_t)N * w->nb * HERO_Q8_BLOCK);
        float *xd = (float *)hero__arena_take(ar, (size_t)N * w->nb * sizeof(float));
        if (xq && xd) { j.xq = xq; j.xd = xd; }
    } else if (w->wtype == HERO_W_BF16 && (feat & HERO__WQ_BF16)) {
        int kp = (w->K + 31) & ~31;
        uint16_t *xh = (uint16_t *)hero__arena_take(ar, (size_t)N * kp * sizeof(uint16_t));
        if (xh) { j.xh = xh; j.kp = kp; }
    }
    nt = (w->O + HERO__WQ_TILE - 1) / HERO__WQ_TILE;
    work = (size_t)N * (size_t)w->K * (size_t)w->O;
    parts = work >= ((size_t)1 << 18) || hero__split_all ? hero__for_parts((size_t)nt, 1) : 1;
#if HERO__WQ_X86
    if (j.xq && (feat & HERO__WQ_VNNI512) && (feat & HERO__WQ_AVX512)) { /* the grouped layout (hero__q8g_tile) */
        int ng = (w->nb + HERO__Q8G - 1) / HERO__Q8G;
        j.scratch_bytes = hero__q8g_row_bytes(w->nb) * HERO__WQ_TILE;
        j.xg = (unsigned char *)hero__arena_take(ar, (size_t)N * ng * HERO__Q8G_BYTES);
        j.xgs = (float *)hero__arena_take(ar, (size_t)N * ng * 16 * sizeof(float));
        j.scratch = (unsigned char *)hero__arena_take(ar, (size_t)parts * j.scratch_bytes);
        if (!j.xg || !j.xgs || !j.scratch) j.xg = NULL, j.xgs = NULL, j.scratch = NULL;
    }
#endif
    if (j.xq || j.xh) hero__for(hero__wprep_rows, &j, (size_t)N, hero__for_parts((size_t)N * w->K, 16384));
    hero__for(hero__wjob_part, &j, (size_t)nt, parts);
    if (ar->n_chunks == n_chunks) ar->used = used; /* give the scratch back */
}

/* the reduced-format matrix the model code passes as W, or NULL (an f32 tensor) */
static const hero_wmat *hero__wfind(const hero_arena *ar, const float *W) {
    const hero__wfmt *f = (const hero__wfmt *)ar->wfmt;
    int lo = 0, hi;
    if (!f) return NULL;
    hi = f->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        uintptr_t a = (uintptr_t)f->mats[mid].data, wp = (uintptr_t)W;
        if (a == wp) return &f->mats[mid];
        if (a < wp) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

/* the primitives' lean-inference side: 1 when W is a reduced-format matrix (then done) */
static int hero__wq_linear(hero_arena *ar, float *out, const float *in, size_t ldx, const float *W, const float *b, int N) {
    const hero_wmat *w = hero__wfind(ar, W);
    if (!w) return 0;
    hero__wlinear(ar, out, in, ldx, w, b, N, ((const hero__wfmt *)ar->wfmt)->feat);
    return 1;
}
/* word rows gathered from a reduced-format table (same sums as hero__embed_fwd) */
static int hero__wq_embed(hero_arena *ar, float *out, const int32_t *ids, const int32_t *pos, const float *word,
                          const float *ptab, const float *type_row, int N, int T, int H) {
    const hero_wmat *w = hero__wfind(ar, word);
    int n, t, i;
    if (!w) return 0;
    for (n = 0; n < N; n++)
        for (t = 0; t < T; t++) {
            const float *pe = ptab + (size_t)pos[t] * H;
            float *r = out + ((size_t)n * T + t) * H;
            hero__wmat_row(w, ids[(size_t)n * T + t], r);
            for (i = 0; i < H; i++) r[i] = r[i] + pe[i] + type_row[i];
        }
    return 1;
}

/* ---- [backend: cpu] the reference backend: the ops of this section behind the interface ---- */
static int hero__rank_loss(hero_model *m, const float *q2v, int Nq, int Nv, float *mat_ctx, float *mat_q, float *loss_ctx,
                           float *loss_q, float *dq2v); /* section 8 */
static void hero__cpu_gemm(hero_arena *ar, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                           const float *B, int ldb, float beta, float *C, int ldc) {
    (void)ar;
    hero__gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
static void hero__cpu_linear_fwd(hero_arena *ar, float *out, const float *in, const float *W, const float *b, int N, int K,
                                 int O) {
    (void)ar;
    if (ar->wfmt && hero__wq_linear(ar, out, in, (size_t)K, W, b, N)) return;
    hero__linear_fwd(out, in, W, b, N, K, O);
}
static void hero__cpu_linear_bwd(hero_arena *ar, float *din, float *dW, float *db, const float *dout, const float *in,
                                 const float *W, int N, int K, int O) {
    (void)ar;
    hero__linear_bwd(din, dW, db, dout, in, W, N, K, O);
}
static void hero__cpu_layernorm_fwd(hero_arena *ar, float *out, float *mean, float *rstd, const float *x, const float *w,
                                    const float *b, int N, int C, float eps) {
    (void)ar;
    hero__layernorm_fwd(out, mean, rstd, x, w, b, N, C, eps);
}
static void hero__cpu_layernorm_bwd(hero_arena *ar, float *dx, float *dw, float *db, const float *dout, const float *x,
                                    const float *mean, const float *rstd, const float *w, int N, int C) {
    (void)ar;
    hero__layernorm_bwd(dx, dw, db, dout, x, mean, rstd, w, N, C);
}
static void hero__cpu_gelu_fwd(hero_arena *ar, float *out, const float *x, size_t n) {
    (void)ar;
    hero__gelu_fwd(out, x, n);
}
static void hero__cpu_gelu_bwd(hero_arena *ar, float *dx, const float *dout, const float *x, size_t n) {
    (void)ar;
    hero__gelu_bwd(dx, dout, x, n);
}
static void hero__cpu_relu_fwd(hero_arena *ar, float *x, size_t n) {
    (void)ar;
    hero__relu_fwd(x, n);
}
static void hero__cpu_relu_bwd(hero_arena *ar, float *dx, const float *dout, const float *out, size_t n) {
    (void)ar;
    hero__relu_bwd(dx, dout, out, n);
}
static void hero__cpu_mask_logits(hero_arena *ar, float *x, const int32_t *m, size_t n) {
    (void)ar;
    hero__mask_logits(x, m, n);
}
static void hero__cpu_mask_logits_rows(hero_arena *ar, float *x, const int32_t *mask, int R, int C) {
    (void)ar;
    hero__mask_logits_rows(x, mask, R, C);
}
static void hero__cpu_l2norm_fwd(hero_arena *ar, float *y, float *norm, const float *x, int N, int C, float eps) {
    (void)ar;
    hero__l2norm_fwd(y, norm, x, N, C, eps);
}
static void hero__cpu_l2norm_bwd(hero_arena *ar, float *dx, const float *dy, const float *y, const float *norm, int N, int C,
                                 float eps) {
    (void)ar;
    hero__l2norm_bwd(dx, dy, y, norm, N, C, eps);
}
static void hero__cpu_conv1d_fwd(hero_arena *ar, float *y, const float *x, const float *w, int N, int L, int K) {
    (void)ar;
    hero__conv1d_fwd(y, x, w, N, L, K);
}
static void hero__cpu_conv1d_bwd(hero_arena *ar, float *dx, float *dw, const float *dy, const float *x, const float *w, int N,
                                 int L, int K) {
    (void)ar;
    hero__conv1d_bwd(dx, dw, dy, x, w, N, L, K);
}
static void hero__cpu_add(hero_arena *ar, float *y, const float *x, size_t n) {
    (void)ar;
    hero__add(y, x, n);
}
static void hero__cpu_copy(hero_arena *ar, float *y, const float *x, size_t n) {
    (void)ar;
    if (n) memcpy(y, x, n * sizeof(float));
}
static void hero__cpu_div(hero_arena *ar, float *x, size_t n, float d) {
    (void)ar;
    hero__div(x, n, d);
}
static void hero__cpu_mul_mask(hero_arena *ar, float *x, const int32_t *mask, size_t n) {
    (void)ar;
    hero__mul_mask(x, mask, n);
}
static void hero__cpu_mul_mask_rows(hero_arena *ar, float *dst, const float *src, const int32_t *mask, int R, int C) {
    (void)ar;
    hero__mul_mask_rows(dst, src, mask, R, C);
}
static void hero__cpu_embed_fwd(hero_arena *ar, float *out, const int32_t *ids, const int32_t *pos, const float *word,
                                const float *ptab, const float *type_row, int N, int T, int H) {
    (void)ar;
    if (ar->wfmt && hero__wq_embed(ar, out, ids, pos, word, ptab, type_row, N, T, H)) return;
    hero__embed_fwd(out, ids, pos, word, ptab, type_row, N, T, H);
}
static void hero__cpu_embed_bwd(hero_arena *ar, float *gword, float *gpos, float *gtype, const float *d, const int32_t *ids,
                                const int32_t *pos, int N, int T, int H, const hero__rowmap *wmap) {
    (void)ar;
    (void)wmap;
    hero__embed_bwd(gword, gpos, gtype, d, ids, pos, N, T, H);
}
static void hero__cpu_add_pos_type(hero_arena *ar, float *x, const int32_t *pos, const float *ptab, const float *type_row, int N,
                                   int T, int H) {
    (void)ar;
    hero__add_pos_type(x, pos, ptab, type_row, N, T, H);
}
static void hero__cpu_add_pos(hero_arena *ar, float *out, const float *in, const float *ptab, int B, int T, int H) {
    (void)ar;
    hero__add_pos(out, in, ptab, B, T, H);
}
static void hero__cpu_add_pos_bwd(hero_arena *ar, float *gpos, float *dx, const float *d, int B, int T, int H) {
    (void)ar;
    hero__add_pos_bwd(gpos, dx, d, B, T, H);
}
static void hero__cpu_add_rowsel(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    (void)ar;
    hero__add_rowsel(x, sel, table, R, C);
}
static void hero__cpu_mfm_mask(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    (void)ar;
    hero__mfm_mask(x, sel, table, R, C);
}
static void hero__cpu_rowsum_masked(hero_arena *ar, float *dst, const float *src, const uint8_t *sel, size_t R, int C) {
    (void)ar;
    hero__rowsum_masked(dst, src, sel, R, C);
}
static void hero__cpu_merge_fwd(hero_arena *ar, float *emb, const float *v_emb, const float *t_emb, const int32_t *gather, int N,
                                int Lv, int Lt, int Lg, int H) {
    (void)ar;
    hero__merge_fwd(emb, v_emb, t_emb, gather, N, Lv, Lt, Lg, H);
}
static void hero__cpu_merge_bwd(hero_arena *ar, float *dv, float *dt, const float *demb, const int32_t *gather, int N, int Lv,
                                int Lt, int Lg, int H) {
    (void)ar;
    hero__merge_bwd(dv, dt, demb, gather, N, Lv, Lt, Lg, H);
}
static void hero__cpu_rows_copy(hero_arena *ar, float *dst, int ldd, const int32_t *dst_idx, const float *src, int lds,
                                const int32_t *src_idx, int n, int C) {
    (void)ar;
    hero__rows_copy(dst, ldd, dst_idx, src, lds, src_idx, n, C);
}
static void hero__cpu_rows_add(hero_arena *ar, float *dst, const float *src, const hero__rowmap *mp, int H) {
    (void)ar;
    hero__rows_add(dst, src, mp, H);
}
static void hero__cpu_attn_core_fwd(hero_arena *ar, float *att, float *ctx, const float *q, const float *k, const float *v,
                                    const int32_t *mask, int N, int T, int H, int A) {
    (void)ar;
    hero__attn_core_fwd(att, ctx, q, k, v, mask, N, T, H, A);
}
static int hero__cpu_attn_core_bwd(hero_arena *ar, float *dq, float *dk, float *dv, const float *dctx, const float *q,
                                   const float *k, const float *v, const float *att, int N, int T, int H, int A) {
    return hero__attn_core_bwd(ar, dq, dk, dv, dctx, q, k, v, att, N, T, H, A);
}
static void hero__cpu_modpool_fwd(hero_arena *ar, float *alpha, float *mq, const float *x, int N, int T, int H) {
    (void)ar;
    hero__modpool_fwd(alpha, mq, x, N, T, H);
}
static void hero__cpu_modpool_bwd(hero_arena *ar, float *dx, float *dal, float *ds, const float *dmq, const float *x,
                                  const float *alpha, int N, int T, int H) {
    (void)ar;
    hero__modpool_bwd(dx, dal, ds, dmq, x, alpha, N, T, H);
}
static void hero__cpu_rowmax(hero_arena *ar, float *mx, int *arg, const float *x, int R, int C) {
    (void)ar;
    hero__rowmax(mx, arg, x, R, C);
}
static void hero__cpu_rowmax_bwd(hero_arena *ar, float *dcs, const float *dmx, const int *arg, const int32_t *mask, int Nq,
                                 int B, int L) {
    (void)ar;
    hero__rowmax_bwd(dcs, dmx, arg, mask, Nq, B, L);
}
static void hero__cpu_pooler_fwd(hero_arena *ar, float *pooled, const float *x, size_t ldx, const float *W, const float *b,
                                 int S, int H) {
    (void)ar;
    if (ar->wfmt && hero__wq_linear(ar, pooled, x, ldx, W, b, S)) {
        hero__tanh_fwd(pooled, (size_t)S * H);
        return;
    }
    hero__pooler_fwd(pooled, x, ldx, W, b, S, H);
}
static void hero__cpu_dot(hero_arena *ar, float *out, const float *a, const float *b, size_t n) {
    (void)ar;
    hero__dot(out, a, b, n);
}
static int hero__cpu_xent_rows(hero_arena *ar, const float *logits, int n, int cols, int stride, const int32_t *targets,
                               float *loss_vec, float *dlogits, float scale, float *loss) {
    return hero__xent_rows(ar, logits, n, cols, stride, targets, loss_vec, dlogits, scale, loss);
}
static void hero__cpu_mffr_loss(hero_arena *ar, float *lv, float *dout, float *loss, const float *pred, const float *tgt, int nm,
                                int F) {
    (void)ar;
    hero__mffr_loss(lv, dout, loss, pred, tgt, nm, F);
}
static int hero__cpu_rank_loss(hero_arena *ar, hero_model *m, const float *q2v, int Nq, int Nv, float *mat_ctx, float *mat_q,
                               float *loss_ctx, float *loss_q, float *dq2v) {
    (void)ar;
    return hero__rank_loss(m, q2v, Nq, Nv, mat_ctx, mat_q, loss_ctx, loss_q, dq2v);
}
/* a pass's inputs stay where they are; results are host memory already */
static void *hero__cpu_prep_put(hero_arena *ar, struct hero__prep *P, const void *src, size_t bytes) {
    (void)ar; (void)P; (void)bytes;
    return (void *)(uintptr_t)src;
}
static int hero__cpu_prep_flush(hero_arena *ar, struct hero__prep *P) {
    (void)ar; (void)P;
    return 0;
}
static int hero__cpu_to_host(hero_arena *ar, void *dst, const void *src, size_t bytes) {
    (void)ar;
    if (bytes) memcpy(dst, src, bytes);
    return 0;
}
static const char *hero__cpu_errmsg(hero_arena *ar) {
    (void)ar;
    return "no device";
}
/* the model: m->params / m->grads are the blocks the model code computes with */
static int hero__cpu_model_init(hero_model *m, hero_error *err) {
    (void)err;
    m->be = NULL;
    return 0;
}
static void hero__cpu_model_free(hero_model *m) { (void)m; }
static hero_arena *hero__cpu_act(hero_model *m) { return &m->arena; }
static float *hero__cpu_pbase(const hero_model *m, int grads) { return grads ? m->grads : m->params; }
static int hero__cpu_model_copy(hero_model *m, int to_host, int grads, hero_error *err) {
    (void)m; (void)to_host; (void)grads; (void)err;
    return 0;
}
static void hero__cpu_zero_grad(hero_model *m) {
    if (m->grads) hero__zero_floats(m->grads, m->n_floats); /* an inference-only model has none */
}
static int hero__cpu_set_precision(hero_model *m, int precision, hero_error *err) {
    (void)m;
    if (precision != HERO_PREC_FP32)
        return hero__fail(err, HERO_EINVAL, "set_precision: %s needs a GPU model (hero.h built with HERO_CUDA)",
                          precision == HERO_PREC_TF32 ? "tf32" : "bf16");
    return 0;
}
static const char *hero__cpu_device_name(const hero_model *m) {
    (void)m;
    return "cpu";
}
static int hero__cpu_model_sync(hero_model *m, hero_error *err) {
    (void)m; (void)err;
    return 0;
}
/* the optimizer: the moments o->m / o->v are what AdamW updates */
static int hero__cpu_opt_init(hero_optimizer *o, const hero_model *m, hero_error *err) {
    (void)m; (void)err;
    o->be = NULL;
    return 0;
}
static void hero__cpu_opt_free(hero_optimizer *o) { (void)o; }
static int hero__cpu_opt_copy(const hero_optimizer *o, const hero_model *m, int to_host, hero_error *err) {
    (void)o; (void)m; (void)to_host; (void)err;
    return 0;
}
static int hero__cpu_grad_sumsq(const hero_model *m, double *sumsq);                               /* section 12 */
static int hero__cpu_adamw(hero_optimizer *o, hero_model *m, float lr, float clip, hero_error *err); /* section 12 */

static const hero__backend hero__cpu_table = {
    "cpu", "host",
    hero__host_alloc, hero__host_arena_reset, hero__host_arena_free,
    hero__cpu_gemm, hero__cpu_linear_fwd, hero__cpu_linear_bwd, hero__cpu_layernorm_fwd,
    hero__cpu_layernorm_bwd, hero__cpu_gelu_fwd, hero__cpu_gelu_bwd, hero__cpu_relu_fwd, hero__cpu_relu_bwd,
    hero__cpu_mask_logits, hero__cpu_mask_logits_rows, hero__cpu_l2norm_fwd, hero__cpu_l2norm_bwd,
    hero__cpu_conv1d_fwd, hero__cpu_conv1d_bwd, hero__cpu_add, hero__cpu_copy, hero__cpu_div,
    hero__cpu_mul_mask, hero__cpu_mul_mask_rows, hero__cpu_embed_fwd, hero__cpu_embed_bwd,
    hero__cpu_add_pos_type, hero__cpu_add_pos, hero__cpu_add_pos_bwd, hero__cpu_add_rowsel,
    hero__cpu_mfm_mask, hero__cpu_rowsum_masked, hero__cpu_merge_fwd, hero__cpu_merge_bwd,
    hero__cpu_rows_copy, hero__cpu_rows_add, hero__cpu_attn_core_fwd, hero__cpu_attn_core_bwd,
    hero__cpu_modpool_fwd, hero__cpu_modpool_bwd, hero__cpu_rowmax, hero__cpu_rowmax_bwd,
    hero__cpu_pooler_fwd, hero__cpu_dot, hero__cpu_xent_rows, hero__cpu_mffr_loss, hero__cpu_rank_loss,
    hero__cpu_prep_put, hero__cpu_prep_flush, hero__cpu_to_host, hero__cpu_errmsg,
    hero__cpu_model_init, hero__cpu_model_free, hero__cpu_act, hero__cpu_pbase, hero__cpu_model_copy,
    hero__cpu_zero_grad, hero__cpu_set_precision, hero__cpu_device_name, hero__cpu_model_sync,
    hero__cpu_opt_init, hero__cpu_opt_free, hero__cpu_opt_copy, hero__cpu_grad_sumsq, hero__cpu_adamw};
static const hero__backend *hero__cpu_backend(void) { return &hero__cpu_table; }

/* ---- [backend: default] the backend a new model gets: the build's (HERO_CUDA: the GPU) ---- */
#ifdef HERO_CUDA
static const hero__backend *hero__cu_backend(void); /* section 19 */
#endif
static const hero__backend *hero__backend_default(void) {
#ifdef HERO_CUDA
    return hero__cu_backend();
#else
    return hero__cpu_backend();
#endif
}

/* ---- where a model's numbers live ---- */
/* the activation arena: the model's own arena on the CPU, the device arena of a GPU model */
static hero_arena *hero__act(hero_model *m) { return hero__mbe(m)->act(m); }
/* the parameter (grads 0) or gradient (grads 1) block the model code computes with (m->p / m->g point
   into it): m->params / m->grads on the CPU, the device blocks of a GPU model (m->params / m->grads are
   then the host copies that loading, saving and hero_model_download use) */
static float *hero__pbase(const hero_model *m, int grads) { return hero__mbe(m)->pbase(m, grads); }

/* has_grad comes from the computation: a backward primitive that writes a parameter gradient
   (the arguments dW / dw / db / gword / gpos / gtype of linear_bwd, layernorm_bwd, conv1d_bwd,
   embed_bwd, add_pos_bwd, and rowsum_masked's dst) marks the parameter its output lies in, in
   the gradient block of the model the arena computes for (ar->owner, set by hero__begin_pass).
   Any other pointer (an activation, NULL) marks nothing. As autograd: p.grad is not None once a
   backward reached p, whatever the values. */
static void hero__grad_mark(hero_arena *ar, const float *g) {
    hero_model *m = ar->owner;
    uintptr_t base, u = (uintptr_t)g;
    int lo, hi;
    if (!m || !g) return;
    base = (uintptr_t)hero__pbase(m, 1);
    if (u < base || u >= base + m->n_floats * sizeof(float)) return;
    lo = 0; hi = m->n_params - 1;
    while (lo <= hi) { /* the table is in offset order */
        int mid = (lo + hi) / 2;
        hero_param *t = &m->table[mid];
        size_t off = (size_t)(u - base) / sizeof(float);
        if (off < t->offset) hi = mid - 1;
        else if (off >= t->offset + t->numel) lo = mid + 1;
        else { t->has_grad = 1; return; }
    }
}

/* ---- [primitives] what the model code (sections 4-10) calls: the table of the arena it computes in ---- */
static void hero__k_gemm(hero_arena *ar, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *B, int ldb, float beta, float *C, int ldc) {
    hero__be(ar)->gemm(ar, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
static void hero__k_linear_fwd(hero_arena *ar, float *out, const float *in, const float *W, const float *b, int N, int K, int O) {
    hero__be(ar)->linear_fwd(ar, out, in, W, b, N, K, O);
}
static void hero__k_linear_bwd(hero_arena *ar, float *din, float *dW, float *db, const float *dout, const float *in,
                               const float *W, int N, int K, int O) {
    hero__be(ar)->linear_bwd(ar, din, dW, db, dout, in, W, N, K, O);
    hero__grad_mark(ar, dW);
    hero__grad_mark(ar, db);
}
static void hero__k_layernorm_fwd(hero_arena *ar, float *out, float *mean, float *rstd, const float *x, const float *w,
                                  const float *b, int N, int C, float eps) {
    hero__be(ar)->layernorm_fwd(ar, out, mean, rstd, x, w, b, N, C, eps);
}
static void hero__k_layernorm_bwd(hero_arena *ar, float *dx, float *dw, float *db, const float *dout, const float *x,
                                  const float *mean, const float *rstd, const float *w, int N, int C) {
    hero__be(ar)->layernorm_bwd(ar, dx, dw, db, dout, x, mean, rstd, w, N, C);
    hero__grad_mark(ar, dw);
    hero__grad_mark(ar, db);
}
static void hero__k_gelu_fwd(hero_arena *ar, float *out, const float *x, size_t n) {
    hero__be(ar)->gelu_fwd(ar, out, x, n);
}
static void hero__k_gelu_bwd(hero_arena *ar, float *dx, const float *dout, const float *x, size_t n) {
    hero__be(ar)->gelu_bwd(ar, dx, dout, x, n);
}
static void hero__k_relu_fwd(hero_arena *ar, float *x, size_t n) {
    hero__be(ar)->relu_fwd(ar, x, n);
}
static void hero__k_relu_bwd(hero_arena *ar, float *dx, const float *dout, const float *out, size_t n) {
    hero__be(ar)->relu_bwd(ar, dx, dout, out, n);
}
static void hero__k_mask_logits(hero_arena *ar, float *x, const int32_t *m, size_t n) {
    hero__be(ar)->mask_logits(ar, x, m, n);
}
static void hero__k_mask_logits_rows(hero_arena *ar, float *x, const int32_t *mask, int R, int C) {
    hero__be(ar)->mask_logits_rows(ar, x, mask, R, C);
}
static void hero__k_l2norm_fwd(hero_arena *ar, float *y, float *norm, const float *x, int N, int C, float eps) {
    hero__be(ar)->l2norm_fwd(ar, y, norm, x, N, C, eps);
}
static void hero__k_l2norm_bwd(hero_arena *ar, float *dx, const float *dy, const float *y, const float *norm, int N, int C,
                               float eps) {
    hero__be(ar)->l2norm_bwd(ar, dx, dy, y, norm, N, C, eps);
}
static void hero__k_conv1d_fwd(hero_arena *ar, float *y, const float *x, const float *w, int N, int L, int K) {
    hero__be(ar)->conv1d_fwd(ar, y, x, w, N, L, K);
}
static void hero__k_conv1d_bwd(hero_arena *ar, float *dx, float *dw, const float *dy, const float *x, const float *w, int N,
                               int L, int K) {
    hero__be(ar)->conv1d_bwd(ar, dx, dw, dy, x, w, N, L, K);
    hero__grad_mark(ar, dw);
}
static void hero__k_add(hero_arena *ar, float *y, const float *x, size_t n) {
    hero__be(ar)->add(ar, y, x, n);
}
static void hero__k_copy(hero_arena *ar, float *y, const float *x, size_t n) {
    hero__be(ar)->copy(ar, y, x, n);
}
static void hero__k_div(hero_arena *ar, float *x, size_t n, float d) {
    hero__be(ar)->div(ar, x, n, d);
}
static void hero__k_mul_mask(hero_arena *ar, float *x, const int32_t *mask, size_t n) {
    hero__be(ar)->mul_mask(ar, x, mask, n);
}
static void hero__k_mul_mask_rows(hero_arena *ar, float *dst, const float *src, const int32_t *mask, int R, int C) {
    hero__be(ar)->mul_mask_rows(ar, dst, src, mask, R, C);
}
static void hero__k_embed_fwd(hero_arena *ar, float *out, const int32_t *ids, const int32_t *pos, const float *word,
                              const float *ptab, const float *type_row, int N, int T, int H) {
    hero__be(ar)->embed_fwd(ar, out, ids, pos, word, ptab, type_row, N, T, H);
}
static void hero__k_embed_bwd(hero_arena *ar, float *gword, float *gpos, float *gtype, const float *d, const int32_t *ids,
                              const int32_t *pos, int N, int T, int H, const hero__rowmap *wmap) {
    hero__be(ar)->embed_bwd(ar, gword, gpos, gtype, d, ids, pos, N, T, H, wmap);
    hero__grad_mark(ar, gword);
    hero__grad_mark(ar, gpos);
    hero__grad_mark(ar, gtype);
}
static void hero__k_add_pos_type(hero_arena *ar, float *x, const int32_t *pos, const float *ptab, const float *type_row, int N,
                                 int T, int H) {
    hero__be(ar)->add_pos_type(ar, x, pos, ptab, type_row, N, T, H);
}
static void hero__k_add_pos(hero_arena *ar, float *out, const float *in, const float *ptab, int B, int T, int H) {
    hero__be(ar)->add_pos(ar, out, in, ptab, B, T, H);
}
static void hero__k_add_pos_bwd(hero_arena *ar, float *gpos, float *dx, const float *d, int B, int T, int H) {
    hero__be(ar)->add_pos_bwd(ar, gpos, dx, d, B, T, H);
    hero__grad_mark(ar, gpos);
}
static void hero__k_add_rowsel(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    hero__be(ar)->add_rowsel(ar, x, sel, table, R, C);
}
static void hero__k_mfm_mask(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    hero__be(ar)->mfm_mask(ar, x, sel, table, R, C);
}
static void hero__k_rowsum_masked(hero_arena *ar, float *dst, const float *src, const uint8_t *sel, size_t R, int C) {
    hero__be(ar)->rowsum_masked(ar, dst, src, sel, R, C);
    hero__grad_mark(ar, dst);
}
static void hero__k_merge_fwd(hero_arena *ar, float *emb, const float *v_emb, const float *t_emb, const int32_t *gather, int N,
                              int Lv, int Lt, int Lg, int H) {
    hero__be(ar)->merge_fwd(ar, emb, v_emb, t_emb, gather, N, Lv, Lt, Lg, H);
}
static void hero__k_merge_bwd(hero_arena *ar, float *dv, float *dt, const float *demb, const int32_t *gather, int N, int Lv,
                              int Lt, int Lg, int H) {
    hero__be(ar)->merge_bwd(ar, dv, dt, demb, gather, N, Lv, Lt, Lg, H);
}
static void hero__k_rows_copy(hero_arena *ar, float *dst, int ldd, const int32_t *dst_idx, const float *src, int lds,
                              const int32_t *src_idx, int n, int C) {
    hero__be(ar)->rows_copy(ar, dst, ldd, dst_idx, src, lds, src_idx, n, C);
}
static void hero__k_rows_add(hero_arena *ar, float *dst, const float *src, const hero__rowmap *mp, int H) {
    hero__be(ar)->rows_add(ar, dst, src, mp, H);
}
static void hero__k_attn_core_fwd(hero_arena *ar, float *att, float *ctx, const float *q, const float *k, const float *v,
                                  const int32_t *mask, int N, int T, int H, int A) {
    hero__be(ar)->attn_core_fwd(ar, att, ctx, q, k, v, mask, N, T, H, A);
}
static int hero__k_attn_core_bwd(hero_arena *ar, float *dq, float *dk, float *dv, const float *dctx, const float *q,
                                 const float *k, const float *v, const float *att, int N, int T, int H, int A) {
    return hero__be(ar)->attn_core_bwd(ar, dq, dk, dv, dctx, q, k, v, att, N, T, H, A);
}
static void hero__k_modpool_fwd(hero_arena *ar, float *alpha, float *mq, const float *x, int N, int T, int H) {
    hero__be(ar)->modpool_fwd(ar, alpha, mq, x, N, T, H);
}
static void hero__k_modpool_bwd(hero_arena *ar, float *dx, float *dal, float *ds, const float *dmq, const float *x,
                                const float *alpha, int N, int T, int H) {
    hero__be(ar)->modpool_bwd(ar, dx, dal, ds, dmq, x, alpha, N, T, H);
}
static void hero__k_rowmax(hero_arena *ar, float *mx, int *arg, const float *x, int R, int C) {
    hero__be(ar)->rowmax(ar, mx, arg, x, R, C);
}
static void hero__k_rowmax_bwd(hero_arena *ar, float *dcs, const float *dmx, const int *arg, const int32_t *mask, int Nq, int B,
                               int L) {
    hero__be(ar)->rowmax_bwd(ar, dcs, dmx, arg, mask, Nq, B, L);
}
static void hero__k_pooler_fwd(hero_arena *ar, float *pooled, const float *x, size_t ldx, const float *W, const float *b, int S,
                               int H) {
    hero__be(ar)->pooler_fwd(ar, pooled, x, ldx, W, b, S, H);
}
static void hero__k_dot(hero_arena *ar, float *out, const float *a, const float *b, size_t n) {
    hero__be(ar)->dot(ar, out, a, b, n);
}
static int hero__k_xent_rows(hero_arena *ar, const float *logits, int n, int cols, int stride, const int32_t *targets,
                             float *loss_vec, float *dlogits, float scale, float *loss) {
    return hero__be(ar)->xent_rows(ar, logits, n, cols, stride, targets, loss_vec, dlogits, scale, loss);
}
static void hero__k_mffr_loss(hero_arena *ar, float *lv, float *dout, float *loss, const float *pred, const float *tgt, int nm,
                              int F) {
    hero__be(ar)->mffr_loss(ar, lv, dout, loss, pred, tgt, nm, F);
}
static int hero__k_rank_loss(hero_model *m, hero_arena *ar, const float *q2v, int Nq, int Nv, float *mat_ctx, float *mat_q,
                             float *loss_ctx, float *loss_q, float *dq2v) {
    return hero__be(ar)->rank_loss(ar, m, q2v, Nq, Nv, mat_ctx, mat_q, loss_ctx, loss_q, dq2v);
}

/* ---- results and errors ---- */
/* copies bytes of model memory (activations, results) to the host */
static int hero__k_to_host(hero_arena *ar, void *dst, const void *src, size_t bytes) {
    return hero__be(ar)->to_host(ar, dst, src, bytes);
}
/* the device error behind a HERO_EDEVICE */
static const char *hero__k_errmsg(hero_arena *ar) { return hero__be(ar)->errmsg(ar); }

/* A forward's inputs where its kernels read them: the batch's arrays and the index maps built
   from it on the host (hero__prepare). On the CPU they stay where they are; on a device each
   one is given space in the device arena as it is added and all go up in one copy
   (hero__prep_flush) before the first kernel. */
typedef struct hero__prep {
    hero_batch d;                     /* the batch, array pointers where the kernels read them (host-only ones NULL) */
    const float *probe;               /* REPR: d loss / d c_seq */
    const int32_t *sel;               /* MLM: masked text rows; MFM: masked frame rows, then (NCE) the others */
    int n_sel, n_sel1;                /* rows in sel; of them the masked ones */
    hero__rowmap fuse, fuse_bwd;      /* fusion: video rows <- subtitle-row outputs, and back */
    hero__rowmap sel_add;             /* MFM backward: temporal rows <- head input rows */
    const int32_t *nce_tg;            /* MFM-NCE targets 0..nm-1 */
    const int32_t *fom_dst;           /* FOM: row v*L+l moves to v*L+order[l] */
    const int32_t *vsm_row, *vsm_tg;  /* VSM: query q's st/ed row (q*B + its video); targets st [Nq] then ed [Nq] */
    const int32_t *ft_mask;           /* VIDEOQA / VIOLIN: [B, L + Lq] the frame mask then the text mask */
    const int32_t *ft_tr;             /* VIDEOQA: [Q*L*k] row (q, a, l) of [Q, k, L] for row (q, l, a) */
    const int32_t *ft_qmask;          /* VIDEOQA: [Q*L] the first candidate's frame mask of each question */
    hero__rowmap wmap, qmap;          /* GPU: word-table rows of the text / the VSM queries (hero__k_embed_bwd) */
    int n_up, failed;                 /* HERO_CUDA: the pending copies (and whether space ran out) */
    struct { void *dst; const void *src; size_t bytes; } up[48];
} hero__prep;

/* src (bytes) where the kernels of arena ar read it; NULL stays NULL */
static void *hero__prep_put(hero__prep *P, hero_arena *ar, const void *src, size_t bytes) {
    if (!src) return NULL;
    return hero__be(ar)->prep_put(ar, P, src, bytes);
}
static int hero__prep_flush(hero__prep *P, hero_arena *ar) { return hero__be(ar)->prep_flush(ar, P); }

/* ---- model-level hooks: the model's backend (GPU state, copies between host and GPU) ---- */
/* a new model's state on the build's backend */
static int hero__dev_model_init(hero_model *m, hero_error *err) { return hero__backend_default()->model_init(m, err); }
static void hero__dev_model_free(hero_model *m) { hero__mbe(m)->model_free(m); }
/* host copy -> device (to_host 0) or device -> host copy (to_host 1): weights, or gradients (grads 1) */
static int hero__dev_model_copy(hero_model *m, int to_host, int grads, hero_error *err) {
    return hero__mbe(m)->model_copy(m, to_host, grads, err);
}
static int hero__dev_opt_init(hero_optimizer *o, const hero_model *m, hero_error *err) { return hero__mbe(m)->opt_init(o, m, err); }
static void hero__dev_opt_free(hero_optimizer *o) { hero__obe(o)->opt_free(o); }
/* the AdamW moments: device -> host copies (to_host 1) or back */
static int hero__dev_opt_copy(const hero_optimizer *o, const hero_model *m, int to_host, hero_error *err) {
    return hero__obe(o)->opt_copy(o, m, to_host, err);
}
/* host address of a parameter pointer of m->p (the initialisers write the host copy) */
static float *hero__hostp(hero_model *m, const float *p) { return m->params + (p - hero__pbase(m, 0)); }

/* ======================================================================================
   3. The parameter table
   ====================================================================================== */

static int hero__str_has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* the format a parameter is held in: the model's for the matrices of linear layers (and the
   word table), f32 for everything else (see "Lean inference" in the API) */
HERODEF int hero_param_is_matrix(const char *name, int ndim, const int64_t *shape) {
    size_t l = strlen(name);
    return ndim == 2 && shape[0] >= 2 && shape[1] >= 1 && l > 7 && strcmp(name + l - 7, ".weight") == 0 &&
           !hero__str_has(name, "position_embeddings") &&
           !hero__str_has(name, "token_type") && !hero__str_has(name, "mask_embedding");
}
static hero_wtype hero__param_wtype(const hero_model *m, const char *name, int nd, int d0, int d1) {
    int64_t sh[2];
    sh[0] = d0; sh[1] = d1;
    return m->wtype != HERO_W_F32 && hero_param_is_matrix(name, nd, sh) ? m->wtype : HERO_W_F32;
}

/* One table entry: when table is NULL only counts; when assign, points p/g slots at the blocks. */
static void hero__reg(hero_model *m, int *i, size_t *off, int assign, const char *prefix, const char *name,
                      int nd, int d0, int d1, int d2, float **pslot, float **gslot) {
    if (assign) {
        hero_param *t = &m->table[*i];
        if (t->wtype != HERO_W_F32) { /* a reduced-format matrix: no f32 data, no gradient */
            if (!t->wmat.data) /* (a matrix used in place from a mapped file keeps its pointers) */
                hero__wmat_place(&t->wmat, t->wtype, t->shape[0], t->shape[1], ((hero__lean *)m->wq)->block + t->offset);
            t->data = t->grad = NULL;
            *pslot = (float *)(uintptr_t)t->wmat.data;
            *gslot = NULL;
        } else {
            t->data = m->params + t->offset;
            t->grad = m->grads ? m->grads + t->offset : NULL;
            *pslot = hero__pbase(m, 0) + t->offset; /* where the model code reads them (the GPU for a GPU model) */
            *gslot = hero__pbase(m, 1) ? hero__pbase(m, 1) + t->offset : NULL;
        }
    } else if (m->table) {
        hero_param *t = &m->table[*i];
        memset(t, 0, sizeof(*t));
        snprintf(t->name, sizeof(t->name), "%s%s", prefix, name);
        t->ndim = nd;
        t->shape[0] = d0; t->shape[1] = nd > 1 ? d1 : 1; t->shape[2] = nd > 2 ? d2 : 1;
        t->numel = (size_t)d0 * (size_t)(nd > 1 ? d1 : 1) * (size_t)(nd > 2 ? d2 : 1);
        t->offset = *off;
        t->decay = !(hero__str_has(t->name, "bias") || hero__str_has(t->name, "LayerNorm.weight"));
        t->wtype = hero__param_wtype(m, t->name, nd, d0, d1);
        if (t->wtype != HERO_W_F32) { /* offset: bytes into the lean block */
            hero__lean *L = (hero__lean *)m->wq;
            t->offset = L->bytes;
            L->bytes += (hero__wmat_bytes(t->wtype, d0, d1) + 63) & ~(size_t)63;
        } else {
            *off += (t->numel + 15) & ~(size_t)15; /* 64-byte aligned tensors */
        }
    }
    (*i)++;
}

/* Walks the X-macro tables in one fixed order: globals, query attention, f layers, c layers. */
static int hero__walk_params(hero_model *m, int assign) {
    const hero_config *c = &m->cfg;
    int i = 0, l, Dff;
    size_t off = 0;
    char prefix[96];
    hero_params *P = &m->p, *G = &m->g;
#define HERO__REG(field, nm, nd, d0, d1, d2) hero__reg(m, &i, &off, assign, prefix, nm, nd, d0, d1, d2, &PP->field, &GG->field);
    {
        hero_params *PP = P, *GG = G;
        prefix[0] = 0;
        HERO_PARAMS_GLOBAL(HERO__REG)
        if (c->heads == HERO_HEADS_VSM) { HERO_PARAMS_VSM(HERO__REG) }
    }
    if (c->heads == HERO_HEADS_VSM) {
        hero_attn_params *PP = &P->q_attn, *GG = &G->q_attn;
        snprintf(prefix, sizeof(prefix), "q_feat_attn.query_self_attention.");
        HERO_PARAMS_ATTN(HERO__REG)
    }
    for (l = 0; l < c->f_layers + c->c_layers; l++) {
        int is_f = l < c->f_layers, li = is_f ? l : l - c->f_layers;
        hero_layer_params *PL = is_f ? &P->f_layer[li] : &P->c_layer[li];
        hero_layer_params *GL = is_f ? &G->f_layer[li] : &G->c_layer[li];
        const char *enc = is_f ? "v_encoder.f_encoder" : "v_encoder.c_encoder";
        Dff = is_f ? c->f_inter : c->c_inter;
        {
            hero_attn_params *PP = &PL->attn, *GG = &GL->attn;
            snprintf(prefix, sizeof(prefix), "%s.encoder.layer.%d.attention.", enc, li);
            HERO_PARAMS_ATTN(HERO__REG)
        }
        {
            hero_layer_params *PP = PL, *GG = GL;
            snprintf(prefix, sizeof(prefix), "%s.encoder.layer.%d.", enc, li);
            HERO_PARAMS_FFN(HERO__REG)
        }
    }
    { /* the fine-tuning heads of the other model classes */
        hero_params *PP = P, *GG = G;
        prefix[0] = 0;
        if (c->heads == HERO_HEADS_VIDEOQA) { HERO_PARAMS_VIDEOQA(HERO__REG) }
        if (c->heads == HERO_HEADS_VIOLIN) { HERO_PARAMS_VIOLIN(HERO__REG) }
    }
#undef HERO__REG
    if (!assign && m->table) m->n_floats = off;
    return i;
}

static int hero__check_config(const hero_config *c, hero_error *err) {
    if (c->H <= 0 || c->f_heads <= 0 || c->c_heads <= 0 || c->q_heads <= 0 || c->H % c->f_heads ||
        c->H % c->c_heads || c->H % c->q_heads)
        return hero__fail(err, HERO_EINVAL, "config: hidden size %d must be a positive multiple of the head counts (%d, %d, %d)",
                          c->H, c->f_heads, c->c_heads, c->q_heads);
    if (c->f_layers < 0 || c->f_layers > HERO_MAX_LAYERS || c->c_layers < 0 || c->c_layers > HERO_MAX_LAYERS)
        return hero__fail(err, HERO_EINVAL, "config: layer counts %d / %d out of range [0, %d]", c->f_layers, c->c_layers,
                          HERO_MAX_LAYERS);
    if (c->heads < 0 || c->heads >= HERO_HEADS_COUNT) return hero__fail(err, HERO_EINVAL, "config: unknown task heads %d", c->heads);
    if (c->f_inter <= 0 || c->c_inter <= 0 || c->V <= 0 || c->Vp < c->V || c->f_max_pos <= 0 || c->c_max_pos <= 0 ||
        c->q_max_pos <= 0 || c->F <= 0 || c->max_frm_seq_len <= 0 || c->fom_classes <= 0 || c->conv_k <= 0 ||
        !(c->conv_k & 1))
        return hero__fail(err, HERO_EINVAL,
                          "config: bad dims (inter %d/%d, V %d, Vp %d, positions %d/%d/%d, F %d, frames %d, classes %d, conv %d)",
                          c->f_inter, c->c_inter, c->V, c->Vp, c->f_max_pos, c->c_max_pos, c->q_max_pos, c->F,
                          c->max_frm_seq_len, c->fom_classes, c->conv_k);
    return 0;
}

HERODEF void hero_config_default_losses(hero_config *c) {
    c->nce_temp = 1.0f;
    c->margin = 0.1f;
    c->lw_st_ed = 0.01f;
    c->lw_neg_ctx = 8.0f;
    c->lw_neg_q = 8.0f;
    c->hard_neg_weight = 10.0f;
    c->ranking_lse = 0;
    c->use_hard_negative = 0;
    c->hard_pool_size = 20;
    c->conv_k = 5;
    if (c->layer_norm_eps <= 0) c->layer_norm_eps = 1e-12f;
}

HERODEF hero_model_options hero_model_options_default(void) {
    hero_model_options o;
    memset(&o, 0, sizeof(o));
    o.wtype = HERO_W_F32;
    o.isa_max = -1;
    return o;
}

static const char *const hero__wtype_names[HERO_W_COUNT] = {"f32", "bf16", "f16", "q8_0"};
HERODEF const char *hero_wtype_name(hero_wtype t) {
    return (int)t >= 0 && (int)t < HERO_W_COUNT ? hero__wtype_names[t] : "?";
}
HERODEF int hero_wtype_parse(const char *s, hero_wtype *out, hero_error *err) {
    int i;
    for (i = 0; s && i < HERO_W_COUNT; i++)
        if (strcmp(s, hero__wtype_names[i]) == 0) { *out = (hero_wtype)i; return 0; }
    return hero__fail(err, HERO_EINVAL, "weight format \"%s\": expected f32, bf16, f16 or q8_0", s ? s : "(null)");
}

HERODEF size_t hero_model_weight_bytes(const hero_model *m) {
    return m->n_floats * sizeof(float) + (m->wq ? ((const hero__lean *)m->wq)->bytes : 0);
}

HERODEF int hero_param_row(const hero_param *p, int r, float *dst, hero_error *err) {
    size_t cols = p->ndim > 1 ? p->numel / (size_t)p->shape[0] : 1;
    if (r < 0 || r >= p->shape[0]) return hero__fail(err, HERO_EINVAL, "param_row: %s has %d rows, asked for row %d", p->name, p->shape[0], r);
    if (p->wtype != HERO_W_F32) hero__wmat_row(&p->wmat, r, dst);
    else memcpy(dst, p->data + (size_t)r * cols, cols * sizeof(float));
    return 0;
}

HERODEF int hero_model_init(hero_model *m, const hero_config *c, hero_error *err) { return hero_model_init_opt(m, c, NULL, err); }

/* the dispatch table of a lean model: its reduced-format matrices sorted by address */
static int hero__wmat_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const hero_wmat *)a)->data, y = (uintptr_t)((const hero_wmat *)b)->data;
    return x < y ? -1 : x > y;
}
static void hero__lean_table(hero_model *m) {
    hero__lean *L = (hero__lean *)m->wq;
    int i, k;
    if (!L) return;
    for (i = 0, k = 0; i < m->n_params; i++)
        if (m->table[i].wtype != HERO_W_F32) L->f.mats[k++] = m->table[i].wmat;
    qsort(L->f.mats, (size_t)k, sizeof(hero_wmat), hero__wmat_cmp);
}

static int hero__model_init(hero_model *m, const hero_config *c, const hero_model_options *opt, int zero, hero_error *err);
HERODEF int hero_model_init_opt(hero_model *m, const hero_config *c, const hero_model_options *opt, hero_error *err) {
    return hero__model_init(m, c, opt, 1, err);
}
/* zero 0 (a load follows): the matrices' block is left untouched, so that pages of matrices
   used in place from a mapped file are never touched (not resident) */
static int hero__model_init(hero_model *m, const hero_config *c, const hero_model_options *opt, int zero, hero_error *err) {
    int n, rc, i;
    hero_model_options o = opt ? *opt : hero_model_options_default();
    hero__lean *L = NULL;
    memset(m, 0, sizeof(*m));
    if ((int)o.wtype < 0 || (int)o.wtype >= HERO_W_COUNT)
        return hero__fail(err, HERO_EINVAL, "model options: unknown weight format %d", (int)o.wtype);
#ifdef HERO_CUDA
    if (o.wtype != HERO_W_F32)
        return hero__fail(err, HERO_EDEVICE, "model options: a GPU model (HERO_CUDA) holds f32 weights only, not %s",
                          hero_wtype_name(o.wtype));
#endif
    m->cfg = *c;
    m->wtype = o.wtype;
    m->inference_only = o.inference_only || o.wtype != HERO_W_F32;
    if ((rc = hero__check_config(c, err)) != 0) return rc;
    if (m->wtype != HERO_W_F32) {
        if (!(L = (hero__lean *)HERO_MALLOC(sizeof(hero__lean)))) return hero__fail(err, HERO_ENOMEM, "model: out of memory");
        memset(L, 0, sizeof(*L));
        L->f.feat = hero__wq_features(o.isa_max);
        m->wq = L;
    }
    n = hero__walk_params(m, 0);
    m->table = (hero_param *)HERO_MALLOC((size_t)n * sizeof(hero_param));
    if (!m->table) {
        hero_model_free(m);
        return hero__fail(err, HERO_ENOMEM, "model: out of memory for the parameter table");
    }
    m->n_params = n;
    hero__walk_params(m, 0);
    m->params = (float *)HERO_MALLOC((m->n_floats ? m->n_floats : 1) * sizeof(float));
#ifndef HERO_CUDA
    if (!m->inference_only) /* a GPU model keeps its host gradient copy: only the checks differ */
#endif
        m->grads = (float *)HERO_MALLOC((m->n_floats ? m->n_floats : 1) * sizeof(float));
    if (L) {
        L->raw = (unsigned char *)HERO_MALLOC(L->bytes + 64);
        if (L->raw) {
            L->block = L->raw + (64 - ((uintptr_t)L->raw & 63)) % 64;
            if (zero) memset(L->block, 0, L->bytes);
        }
        for (i = 0; i < m->n_params; i++) L->f.n += m->table[i].wtype != HERO_W_F32;
        L->f.mats = (hero_wmat *)HERO_MALLOC((size_t)(L->f.n ? L->f.n : 1) * sizeof(hero_wmat));
    }
    if (!m->params || (!m->inference_only && !m->grads) || (L && (!L->raw || !L->f.mats))) {
        hero_model_free(m);
        return hero__fail(err, HERO_ENOMEM, "model: out of memory for %zu parameters", m->n_floats);
    }
    memset(m->params, 0, m->n_floats * sizeof(float));
    if (m->grads) memset(m->grads, 0, m->n_floats * sizeof(float));
    if ((rc = hero__dev_model_init(m, err)) != 0) {
        hero_model_free(m);
        return rc;
    }
    hero__walk_params(m, 1);
    hero__lean_table(m);
    m->vocab_padded = c->Vp > c->V;
    return 0;
}

HERODEF void hero_model_free(hero_model *m) {
    hero__dev_model_free(m);
    HERO_FREE(m->table);
    HERO_FREE(m->params);
    HERO_FREE(m->grads);
    if (m->wq) {
        hero__lean *L = (hero__lean *)m->wq;
        if (L->keep) { hero_tensorfile_close((hero_tensorfile *)L->keep); HERO_FREE(L->keep); }
        HERO_FREE(L->raw);
        HERO_FREE(L->f.mats);
        HERO_FREE(L);
    }
    hero__arena_free(&m->arena);
    memset(m, 0, sizeof(*m));
}

HERODEF hero_param *hero_model_param(hero_model *m, const char *name) {
    int i;
    for (i = 0; i < m->n_params; i++)
        if (strcmp(m->table[i].name, name) == 0) return &m->table[i];
    return NULL;
}

HERODEF void hero_zero_grad(hero_model *m) { hero__mbe(m)->zero_grad(m); }

HERODEF const char *hero_model_device(const hero_model *m) { return hero__mbe(m)->device_name(m); }

HERODEF int hero_model_set_precision(hero_model *m, hero_precision p, hero_error *err) {
    if ((int)p < HERO_PREC_FP32 || p > HERO_PREC_BF16) return hero__fail(err, HERO_EINVAL, "set_precision: unknown precision %d", (int)p);
    return hero__mbe(m)->set_precision(m, (int)p, err);
}

HERODEF int hero_model_download(hero_model *m, hero_error *err) {
    int rc = hero__dev_model_copy(m, 1, 0, err);
    return rc ? rc : hero__dev_model_copy(m, 1, 1, err);
}

HERODEF int hero_model_upload(hero_model *m, hero_error *err) {
    int rc = hero__dev_model_copy(m, 0, 0, err);
    return rc ? rc : hero__dev_model_copy(m, 0, 1, err);
}

HERODEF int hero_model_sync(hero_model *m, hero_error *err) { return hero__mbe(m)->model_sync(m, err); }

HERODEF int hero_copy_to_host(hero_model *m, void *dst, const void *src, size_t bytes, hero_error *err) {
    hero_arena *ar = hero__act(m);
    int rc;
    if (!bytes) return 0;
    if (!dst || !src) return hero__fail(err, HERO_EINVAL, "copy_to_host: NULL pointer");
    if ((rc = hero__k_to_host(ar, dst, src, bytes)) != 0) return hero__fail(err, rc, "copy_to_host: %s", hero__k_errmsg(ar));
    return 0;
}

#define HERO__NEW(ar, type, n) ((type *)hero__alloc((ar), (size_t)(n) * sizeof(type)))
/* an activation its producing op writes completely: not zeroed (tests: HERO_ARENA_POISON fills
   it with 0xff bytes, NaN as floats, -1 as ints, so that a read before the write shows) */
static void *hero__alloc_w(hero_arena *a, size_t bytes) { return hero__be(a)->alloc(a, bytes, 0); }
#define HERO__NEWW(ar, type, n) ((type *)hero__alloc_w((ar), (size_t)(n) * sizeof(type)))

/* ======================================================================================
   4. BERT post-LN layer: a = LN(x + Wo Attn(x)); out = LN(a + W2 gelu(W1 a))
   ====================================================================================== */

typedef struct hero__attn_act {
    int N, T, A;
    const float *x;                  /* [N,T,H] input (borrowed) */
    const int32_t *mask;             /* [N,T] key mask (borrowed) */
    float *q, *k, *v, *att, *ctx;    /* [N,T,H] x3, [N,A,T,T], [N,T,H] */
    float *res, *mean, *rstd, *out;  /* LN input [N,T,H], stats [N*T], output [N,T,H] */
} hero__attn_act;

typedef struct hero__layer_act {
    hero__attn_act at;
    float *h, *g;                    /* [N,T,Dff] pre-gelu, gelu */
    float *res, *mean, *rstd, *out;  /* LN input, stats, output [N,T,H] */
} hero__layer_act;

/* attention block: out[N,T,H] = LN(x + Wo softmax(QK^T/sqrt(d) + (1-mask)*-10000) V) */
static int hero__attn_fwd(hero_arena *ar, hero__attn_act *s, const hero_attn_params *p, const float *x,
                          const int32_t *mask, int N, int T, int H, int A, float eps) {
    size_t NTH = (size_t)N * T * H;
    s->N = N; s->T = T; s->A = A; s->x = x; s->mask = mask;
    s->q = HERO__NEWW(ar, float, NTH); s->k = HERO__NEWW(ar, float, NTH); s->v = HERO__NEWW(ar, float, NTH);
    s->att = HERO__NEWW(ar, float, (size_t)N * A * T * T); s->ctx = HERO__NEWW(ar, float, NTH);
    s->res = HERO__NEWW(ar, float, NTH); s->out = HERO__NEWW(ar, float, NTH);
    s->mean = HERO__NEWW(ar, float, (size_t)N * T); s->rstd = HERO__NEWW(ar, float, (size_t)N * T);
    if (!s->q || !s->k || !s->v || !s->att || !s->ctx || !s->res || !s->out || !s->mean || !s->rstd) return HERO_ENOMEM;
    hero__k_linear_fwd(ar, s->q, x, p->q_w, p->q_b, N * T, H, H);
    hero__k_linear_fwd(ar, s->k, x, p->k_w, p->k_b, N * T, H, H);
    hero__k_linear_fwd(ar, s->v, x, p->v_w, p->v_b, N * T, H, H);
    hero__k_attn_core_fwd(ar, s->att, s->ctx, s->q, s->k, s->v, mask, N, T, H, A);
    hero__k_linear_fwd(ar, s->res, s->ctx, p->o_w, p->o_b, N * T, H, H);
    hero__k_add(ar, s->res, x, NTH);
    hero__k_layernorm_fwd(ar, s->out, s->mean, s->rstd, s->res, p->ln_w, p->ln_b, N * T, H, eps);
    return 0;
}
/* attention block backward: dx[N,T,H] += ..., parameter grads into g */
static int hero__attn_bwd(hero_arena *ar, hero__attn_act *s, const hero_attn_params *p, hero_attn_params *g,
                          float *dx, const float *dout, int H) {
    int N = s->N, T = s->T, A = s->A, rc;
    size_t NTH = (size_t)N * T * H;
    float *dres = HERO__NEW(ar, float, NTH), *dctx = HERO__NEW(ar, float, NTH);
    float *dq = HERO__NEW(ar, float, NTH), *dk = HERO__NEW(ar, float, NTH), *dv = HERO__NEW(ar, float, NTH);
    if (!dres || !dctx || !dq || !dk || !dv) return HERO_ENOMEM;
    hero__k_layernorm_bwd(ar, dres, g->ln_w, g->ln_b, dout, s->res, s->mean, s->rstd, p->ln_w, N * T, H);
    hero__k_add(ar, dx, dres, NTH);
    hero__k_linear_bwd(ar, dctx, g->o_w, g->o_b, dres, s->ctx, p->o_w, N * T, H, H);
    if ((rc = hero__k_attn_core_bwd(ar, dq, dk, dv, dctx, s->q, s->k, s->v, s->att, N, T, H, A)) != 0) return rc;
    hero__k_linear_bwd(ar, dx, g->q_w, g->q_b, dq, s->x, p->q_w, N * T, H, H);
    hero__k_linear_bwd(ar, dx, g->k_w, g->k_b, dk, s->x, p->k_w, N * T, H, H);
    hero__k_linear_bwd(ar, dx, g->v_w, g->v_b, dv, s->x, p->v_w, N * T, H, H);
    return 0;
}

/* BERT layer: out[N,T,H] = LN(a + W2 gelu(W1 a + b1) + b2), a = attention block(x) */
static int hero__layer_fwd(hero_arena *ar, hero__layer_act *s, const hero_layer_params *p, const float *x,
                           const int32_t *mask, int N, int T, int H, int A, int Dff, float eps) {
    size_t NT = (size_t)N * T;
    int rc = hero__attn_fwd(ar, &s->at, &p->attn, x, mask, N, T, H, A, eps);
    if (rc) return rc;
    s->h = HERO__NEWW(ar, float, NT * Dff); s->g = HERO__NEWW(ar, float, NT * Dff);
    s->res = HERO__NEWW(ar, float, NT * H); s->out = HERO__NEWW(ar, float, NT * H);
    s->mean = HERO__NEWW(ar, float, NT); s->rstd = HERO__NEWW(ar, float, NT);
    if (!s->h || !s->g || !s->res || !s->out || !s->mean || !s->rstd) return HERO_ENOMEM;
    hero__k_linear_fwd(ar, s->h, s->at.out, p->i_w, p->i_b, (int)NT, H, Dff);
    hero__k_gelu_fwd(ar, s->g, s->h, NT * Dff);
    hero__k_linear_fwd(ar, s->res, s->g, p->f_w, p->f_b, (int)NT, Dff, H);
    hero__k_add(ar, s->res, s->at.out, NT * H);
    hero__k_layernorm_fwd(ar, s->out, s->mean, s->rstd, s->res, p->fln_w, p->fln_b, (int)NT, H, eps);
    return 0;
}
/* BERT layer backward: dx[N,T,H] += ... */
static int hero__layer_bwd(hero_arena *ar, hero__layer_act *s, const hero_layer_params *p, hero_layer_params *g,
                           float *dx, const float *dout, int H, int Dff) {
    size_t NT = (size_t)s->at.N * s->at.T;
    float *dres = HERO__NEW(ar, float, NT * H), *dg = HERO__NEW(ar, float, NT * Dff);
    float *dh = HERO__NEW(ar, float, NT * Dff), *da = HERO__NEW(ar, float, NT * H);
    if (!dres || !dg || !dh || !da) return HERO_ENOMEM;
    hero__k_layernorm_bwd(ar, dres, g->fln_w, g->fln_b, dout, s->res, s->mean, s->rstd, p->fln_w, (int)NT, H);
    hero__k_copy(ar, da, dres, NT * H);
    hero__k_linear_bwd(ar, dg, g->f_w, g->f_b, dres, s->g, p->f_w, (int)NT, Dff, H);
    hero__k_gelu_bwd(ar, dh, dg, s->h, NT * Dff);
    hero__k_linear_bwd(ar, da, g->i_w, g->i_b, dh, s->at.out, p->i_w, (int)NT, H, Dff);
    return hero__attn_bwd(ar, &s->at, &p->attn, &g->attn, dx, da, H);
}

/* a stack of layers over x[N,T,H]; act[l] for each layer; returns the last output */
static int hero__encoder_fwd(hero_arena *ar, hero__layer_act *act, const hero_layer_params *layers, int n_layers,
                             const float *x, const int32_t *mask, int N, int T, int H, int A, int Dff, float eps,
                             const float **out) {
    int l, rc;
    const float *cur = x;
    float *pp[2] = {NULL, NULL};
    size_t NTH = (size_t)N * T * H;
    if (ar->fwd_only && n_layers > 1) { /* forward only: each layer's output into one of two buffers, */
        pp[0] = HERO__NEW(ar, float, NTH);  /* and the arena rewound over the layer's activations */
        pp[1] = HERO__NEW(ar, float, NTH);
        if (!pp[0] || !pp[1]) return HERO_ENOMEM;
    }
    for (l = 0; l < n_layers; l++) {
        int nc = ar->n_chunks;
        size_t used = ar->used;
        if ((rc = hero__layer_fwd(ar, &act[l], &layers[l], cur, mask, N, T, H, A, Dff, eps)) != 0) return rc;
        cur = act[l].out;
        if (pp[0]) {
            hero__k_copy(ar, pp[l & 1], cur, NTH);
            cur = pp[l & 1];
            memset(&act[l], 0, sizeof(act[l])); /* its buffers are reused by the next layer */
            if (ar->n_chunks == nc) ar->used = used;
        }
    }
    *out = cur;
    return 0;
}
/* encoder backward: dx[N,T,H] += ... from dout */
static int hero__encoder_bwd(hero_model *m, hero__layer_act *act, const hero_layer_params *layers, hero_layer_params *g,
                             int n_layers, float *dx, const float *dout, int N, int T, int H, int Dff) {
    hero_arena *ar = hero__act(m);
    int l, rc;
    const float *cur = dout;
    for (l = n_layers - 1; l >= 0; l--) {
        float *d = l == 0 ? dx : HERO__NEW(ar, float, (size_t)N * T * H);
        if (!d) return HERO_ENOMEM;
        if ((rc = hero__layer_bwd(ar, &act[l], &layers[l], &g[l], d, cur, H, Dff)) != 0) return rc;
        cur = d;
    }
    if (n_layers == 0) hero__k_add(ar, dx, dout, (size_t)N * T * H);
    return 0;
}

/* ======================================================================================
   5. Cross-modal transformer: per subtitle row, its frames then its tokens (gather merge)
   ====================================================================================== */

typedef struct hero__fenc_act {
    int N, Lt, Lv, Lg;               /* rows, text length, frame length, merged length (Lg = Lt if text only) */
    const int32_t *ids, *pos, *vpos, *gather, *mask;
    const float *vfeat;              /* [N,Lv,F] or NULL (text only) */
    const hero__rowmap *wmap;        /* GPU: ids as a word-row map (deterministic word-table gradient) */
    const uint8_t *vmask;            /* [N,Lv] or NULL */
    float *t_res, *t_mean, *t_rstd, *t_emb;              /* text: [N,Lt,H] */
    float *v_in, *v_lmean, *v_lrstd, *v_ln;              /* frames: [N,Lv,F] after mask emb, img_LayerNorm */
    float *v_res, *v_mean, *v_rstd, *v_emb;              /* [N,Lv,H] */
    float *emb;                                          /* [N,Lg,H] */
    hero__layer_act layer[HERO_MAX_LAYERS];
    const float *out;                                    /* [N,Lg,H] */
} hero__fenc_act;

/* text embedding: t_emb[N,Lt,H] = LN(word[id] + pos[p] + type[1]) (eps 1e-5) */
static int hero__text_emb_fwd(hero_model *m, hero__fenc_act *s) {
    const hero_config *c = &m->cfg;
    int H = c->H;
    size_t NT = (size_t)s->N * s->Lt;
    hero_arena *ar = hero__act(m);
    s->t_res = HERO__NEWW(ar, float, NT * H); s->t_emb = HERO__NEWW(ar, float, NT * H);
    s->t_mean = HERO__NEWW(ar, float, NT); s->t_rstd = HERO__NEWW(ar, float, NT);
    if (!s->t_res || !s->t_emb || !s->t_mean || !s->t_rstd) return HERO_ENOMEM;
    hero__k_embed_fwd(ar, s->t_res, s->ids, s->pos, m->p.f_word, m->p.f_pos, m->p.f_type + H, s->N, s->Lt, H);
    hero__k_layernorm_fwd(ar, s->t_emb, s->t_mean, s->t_rstd, s->t_res, m->p.f_ln_w, m->p.f_ln_b, (int)NT, H, 1e-5f);
    return 0;
}
/* text embedding backward: word rows (not padding row 1), positions, type row 1, LayerNorm */
static int hero__text_emb_bwd(hero_model *m, hero__fenc_act *s, const float *demb) {
    const hero_config *c = &m->cfg;
    int H = c->H;
    size_t NT = (size_t)s->N * s->Lt;
    hero_arena *ar = hero__act(m);
    float *dres = HERO__NEW(ar, float, NT * H);
    if (!dres) return HERO_ENOMEM;
    hero__k_layernorm_bwd(ar, dres, m->g.f_ln_w, m->g.f_ln_b, demb, s->t_res, s->t_mean, s->t_rstd, m->p.f_ln_w, (int)NT, H);
    hero__k_embed_bwd(ar, m->g.f_word, m->g.f_pos, m->g.f_type + H, dres, s->ids, s->pos, s->N, s->Lt, H, s->wmap);
    return 0;
}

/* frame embedding: v_emb[N,Lv,H] = LN(img_linear(img_LN(f + mask_emb[m])) + imgpos[p] + type[1]) */
static int hero__frame_emb_fwd(hero_model *m, hero__fenc_act *s) {
    const hero_config *c = &m->cfg;
    int H = c->H, F = c->F;
    size_t NV = (size_t)s->N * s->Lv;
    hero_arena *ar = hero__act(m);
    s->v_in = HERO__NEWW(ar, float, NV * F); s->v_ln = HERO__NEWW(ar, float, NV * F);
    s->v_lmean = HERO__NEWW(ar, float, NV); s->v_lrstd = HERO__NEWW(ar, float, NV);
    s->v_res = HERO__NEWW(ar, float, NV * H); s->v_emb = HERO__NEWW(ar, float, NV * H);
    s->v_mean = HERO__NEWW(ar, float, NV); s->v_rstd = HERO__NEWW(ar, float, NV);
    if (!s->v_in || !s->v_ln || !s->v_lmean || !s->v_lrstd || !s->v_res || !s->v_emb || !s->v_mean || !s->v_rstd)
        return HERO_ENOMEM;
    hero__k_copy(ar, s->v_in, s->vfeat, NV * F);
    if (s->vmask) hero__k_add_rowsel(ar, s->v_in, s->vmask, m->p.img_mask, NV, F);
    hero__k_layernorm_fwd(ar, s->v_ln, s->v_lmean, s->v_lrstd, s->v_in, m->p.img_ln_w, m->p.img_ln_b, (int)NV, F, 1e-5f);
    hero__k_linear_fwd(ar, s->v_res, s->v_ln, m->p.img_w, m->p.img_b, (int)NV, F, H);
    hero__k_add_pos_type(ar, s->v_res, s->vpos, m->p.img_pos, m->p.f_type + H, s->N, s->Lv, H);
    hero__k_layernorm_fwd(ar, s->v_emb, s->v_mean, s->v_rstd, s->v_res, m->p.img_eln_w, m->p.img_eln_b, (int)NV, H, 1e-5f);
    return 0;
}
/* frame embedding backward: LayerNorms, img_linear, positions, type row 1, mask_emb row 1 */
static int hero__frame_emb_bwd(hero_model *m, hero__fenc_act *s, const float *demb) {
    const hero_config *c = &m->cfg;
    int H = c->H, F = c->F;
    size_t NV = (size_t)s->N * s->Lv;
    hero_arena *ar = hero__act(m);
    float *dres = HERO__NEW(ar, float, NV * H), *dln = HERO__NEW(ar, float, NV * F);
    if (!dres || !dln) return HERO_ENOMEM;
    hero__k_layernorm_bwd(ar, dres, m->g.img_eln_w, m->g.img_eln_b, demb, s->v_res, s->v_mean, s->v_rstd, m->p.img_eln_w, (int)NV, H);
    hero__k_embed_bwd(ar, NULL, m->g.img_pos, m->g.f_type + H, dres, NULL, s->vpos, s->N, s->Lv, H, NULL);
    hero__k_linear_bwd(ar, dln, m->g.img_w, m->g.img_b, dres, s->v_ln, m->p.img_w, (int)NV, F, H);
    if (s->vmask) {
        float *din = HERO__NEW(ar, float, NV * F);
        if (!din) return HERO_ENOMEM;
        hero__k_layernorm_bwd(ar, din, m->g.img_ln_w, m->g.img_ln_b, dln, s->v_in, s->v_lmean, s->v_lrstd, m->p.img_ln_w, (int)NV, F);
        hero__k_rowsum_masked(ar, m->g.img_mask + F, din, s->vmask, NV, F); /* row 0 is padding_idx: no gradient */
    } else {
        hero__k_layernorm_bwd(ar, NULL, m->g.img_ln_w, m->g.img_ln_b, dln, s->v_in, s->v_lmean, s->v_lrstd, m->p.img_ln_w, (int)NV, F);
    }
    return 0;
}

/* cross-modal encoder: embeddings (+ gather merge) then the f layers. out [N,Lg,H] */
static int hero__fenc_fwd(hero_model *m, hero__fenc_act *s) {
    const hero_config *c = &m->cfg;
    int H = c->H, rc;
    hero_arena *ar = hero__act(m);
    if ((rc = hero__text_emb_fwd(m, s)) != 0) return rc;
    if (s->vfeat) {
        if ((rc = hero__frame_emb_fwd(m, s)) != 0) return rc;
        s->emb = HERO__NEWW(ar, float, (size_t)s->N * s->Lg * H);
        if (!s->emb) return HERO_ENOMEM;
        hero__k_merge_fwd(ar, s->emb, s->v_emb, s->t_emb, s->gather, s->N, s->Lv, s->Lt, s->Lg, H);
    } else {
        s->emb = s->t_emb;
    }
    return hero__encoder_fwd(ar, s->layer, m->p.f_layer, c->f_layers, s->emb, s->mask, s->N, s->Lg, H, c->f_heads,
                             c->f_inter, c->layer_norm_eps, &s->out);
}
/* cross-modal encoder backward from dout [N,Lg,H] */
static int hero__fenc_bwd(hero_model *m, hero__fenc_act *s, const float *dout) {
    const hero_config *c = &m->cfg;
    int H = c->H, rc;
    hero_arena *ar = hero__act(m);
    float *demb = HERO__NEW(ar, float, (size_t)s->N * s->Lg * H);
    if (!demb) return HERO_ENOMEM;
    if ((rc = hero__encoder_bwd(m, s->layer, m->p.f_layer, m->g.f_layer, c->f_layers, demb, dout, s->N, s->Lg, H,
                                c->f_inter)) != 0)
        return rc;
    if (s->vfeat) {
        float *dt = HERO__NEW(ar, float, (size_t)s->N * s->Lt * H), *dv = HERO__NEW(ar, float, (size_t)s->N * s->Lv * H);
        if (!dt || !dv) return HERO_ENOMEM;
        hero__k_merge_bwd(ar, dv, dt, demb, s->gather, s->N, s->Lv, s->Lt, s->Lg, H);
        if ((rc = hero__frame_emb_bwd(m, s, dv)) != 0) return rc;
        return hero__text_emb_bwd(m, s, dt);
    }
    return hero__text_emb_bwd(m, s, demb);
}

/* ======================================================================================
   6. Frame fusion + temporal transformer
   ====================================================================================== */

typedef struct hero__video_act {
    int B, L;
    float *cv, *ft_ln, *ft_mean, *ft_rstd, *ft_out;   /* [B,L,F] masked feats, LN, stats, relu(Linear) [B,L,H] */
    float *transformed;                                /* [B,L,H] frame_transform + fused */
    float *c_in;                                       /* [B,L,H] temporal input (FOM: shuffled) */
    float *c_res, *c_mean, *c_rstd, *c_emb;            /* LN(x + pos) */
    hero__layer_act layer[HERO_MAX_LAYERS];
    const float *out;                                  /* [B,L,H] */
} hero__video_act;

/* fusion: transformed[B,L,H] = relu(W LN(cv) + b) + scatter-add of subtitle rows' frame outputs */
static int hero__fuse_fwd(hero_model *m, hero__video_act *s, const hero__prep *P, const float *f_out) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    int H = c->H, F = c->F;
    size_t BL = (size_t)b->B * b->L;
    hero_arena *ar = hero__act(m);
    s->B = b->B; s->L = b->L;
    s->cv = HERO__NEWW(ar, float, BL * F); s->ft_ln = HERO__NEWW(ar, float, BL * F);
    s->ft_mean = HERO__NEWW(ar, float, BL); s->ft_rstd = HERO__NEWW(ar, float, BL);
    s->ft_out = HERO__NEWW(ar, float, BL * H); s->transformed = HERO__NEWW(ar, float, BL * H);
    if (!s->cv || !s->ft_ln || !s->ft_mean || !s->ft_rstd || !s->ft_out || !s->transformed) return HERO_ENOMEM;
    hero__k_copy(ar, s->cv, b->c_v_feats, BL * F);
    if (b->c_v_masks) /* MFM: masked frames zeroed, mask_embedding row m added to every frame */
        hero__k_mfm_mask(ar, s->cv, b->c_v_masks, m->p.v_mask, BL, F);
    hero__k_layernorm_fwd(ar, s->ft_ln, s->ft_mean, s->ft_rstd, s->cv, m->p.ft_ln_w, m->p.ft_ln_b, (int)BL, F, 1e-5f);
    hero__k_linear_fwd(ar, s->ft_out, s->ft_ln, m->p.ft_w, m->p.ft_b, (int)BL, F, H);
    hero__k_relu_fwd(ar, s->ft_out, BL * H);
    hero__k_copy(ar, s->transformed, s->ft_out, BL * H);
    /* subtitle row j-th frame output added onto its frame (P->fuse: built from num_subs / s2f_*) */
    hero__k_rows_add(ar, s->transformed, f_out, &P->fuse, H);
    return 0;
}
/* fusion backward: dtransformed[B,L,H] -> df_out[S,Lg,H] (+=) and frame_transform / mask grads */
static int hero__fuse_bwd(hero_model *m, hero__video_act *s, const hero__prep *P, const float *dtr, float *df_out) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    int H = c->H, F = c->F;
    size_t BL = (size_t)b->B * b->L;
    hero_arena *ar = hero__act(m);
    float *dft = HERO__NEW(ar, float, BL * H), *dln = HERO__NEW(ar, float, BL * F);
    if (!dft || !dln) return HERO_ENOMEM;
    hero__k_rows_add(ar, df_out, dtr, &P->fuse_bwd, H);
    hero__k_relu_bwd(ar, dft, dtr, s->ft_out, BL * H);
    hero__k_linear_bwd(ar, dln, m->g.ft_w, m->g.ft_b, dft, s->ft_ln, m->p.ft_w, (int)BL, F, H);
    if (b->c_v_masks) {
        float *dcv = HERO__NEW(ar, float, BL * F);
        if (!dcv) return HERO_ENOMEM;
        hero__k_layernorm_bwd(ar, dcv, m->g.ft_ln_w, m->g.ft_ln_b, dln, s->cv, s->ft_mean, s->ft_rstd, m->p.ft_ln_w, (int)BL, F);
        hero__k_rowsum_masked(ar, m->g.v_mask + F, dcv, b->c_v_masks, BL, F); /* row 0 is padding_idx */
    } else {
        hero__k_layernorm_bwd(ar, NULL, m->g.ft_ln_w, m->g.ft_ln_b, dln, s->cv, s->ft_mean, s->ft_rstd, m->p.ft_ln_w, (int)BL, F);
    }
    return 0;
}

/* temporal transformer: out[B,L,H] = layers(LN(c_in + pos[0..L-1])) with the clip mask */
static int hero__cenc_fwd(hero_model *m, hero__video_act *s, const int32_t *mask) {
    const hero_config *c = &m->cfg;
    int H = c->H;
    size_t BL = (size_t)s->B * s->L;
    hero_arena *ar = hero__act(m);
    s->c_res = HERO__NEWW(ar, float, BL * H); s->c_emb = HERO__NEWW(ar, float, BL * H);
    s->c_mean = HERO__NEWW(ar, float, BL); s->c_rstd = HERO__NEWW(ar, float, BL);
    if (!s->c_res || !s->c_emb || !s->c_mean || !s->c_rstd) return HERO_ENOMEM;
    hero__k_add_pos(ar, s->c_res, s->c_in, m->p.c_pos, s->B, s->L, H);
    hero__k_layernorm_fwd(ar, s->c_emb, s->c_mean, s->c_rstd, s->c_res, m->p.c_ln_w, m->p.c_ln_b, (int)BL, H, 1e-5f);
    return hero__encoder_fwd(ar, s->layer, m->p.c_layer, c->c_layers, s->c_emb, mask, s->B, s->L, H, c->c_heads,
                             c->c_inter, c->layer_norm_eps, &s->out);
}
/* temporal transformer backward: dc_in[B,L,H] += ... */
static int hero__cenc_bwd(hero_model *m, hero__video_act *s, const float *dout, float *dc_in) {
    const hero_config *c = &m->cfg;
    int H = c->H, rc;
    size_t BL = (size_t)s->B * s->L;
    hero_arena *ar = hero__act(m);
    float *demb = HERO__NEW(ar, float, BL * H), *dres = HERO__NEW(ar, float, BL * H);
    if (!demb || !dres) return HERO_ENOMEM;
    if ((rc = hero__encoder_bwd(m, s->layer, m->p.c_layer, m->g.c_layer, c->c_layers, demb, dout, s->B, s->L, H,
                                c->c_inter)) != 0)
        return rc;
    hero__k_layernorm_bwd(ar, dres, m->g.c_ln_w, m->g.c_ln_b, demb, s->c_res, s->c_mean, s->c_rstd, m->p.c_ln_w, (int)BL, H);
    hero__k_add_pos_bwd(ar, m->g.c_pos, dc_in, dres, s->B, s->L, H);
    return 0;
}

/* ======================================================================================
   7. Heads: MLM (tied decoder), feat_regress (MFM), fom_output (FOM)
      head = Linear -> gelu -> LN(1e-5) -> Linear, on rows x[N,Hin]
   ====================================================================================== */

typedef struct hero__head_act {
    int N, Hin, Hmid, O;
    const float *x;
    float *h, *g, *mean, *rstd, *n, *out;   /* [N,Hmid] x4 (stats [N]), [N,O] */
} hero__head_act;

/* head: out[N,O] = W2 LN(gelu(W1 x + b1)) + b2 (b2 may be NULL) */
static int hero__head_fwd(hero_arena *ar, hero__head_act *s, const float *x, int N, int Hin, int Hmid, int O,
                          const float *w1, const float *b1, const float *lw, const float *lb, const float *w2,
                          const float *b2) {
    s->N = N; s->Hin = Hin; s->Hmid = Hmid; s->O = O; s->x = x;
    s->h = HERO__NEWW(ar, float, (size_t)N * Hmid); s->g = HERO__NEWW(ar, float, (size_t)N * Hmid);
    s->n = HERO__NEWW(ar, float, (size_t)N * Hmid); s->out = HERO__NEWW(ar, float, (size_t)N * O);
    s->mean = HERO__NEWW(ar, float, N); s->rstd = HERO__NEWW(ar, float, N);
    if (!s->h || !s->g || !s->n || !s->out || !s->mean || !s->rstd) return HERO_ENOMEM;
    hero__k_linear_fwd(ar, s->h, x, w1, b1, N, Hin, Hmid);
    hero__k_gelu_fwd(ar, s->g, s->h, (size_t)N * Hmid);
    hero__k_layernorm_fwd(ar, s->n, s->mean, s->rstd, s->g, lw, lb, N, Hmid, 1e-5f);
    hero__k_linear_fwd(ar, s->out, s->n, w2, b2, N, Hmid, O);
    return 0;
}
/* head backward: dx[N,Hin] += ..., grads of W1 b1 LN W2 b2 */
static int hero__head_bwd(hero_arena *ar, hero__head_act *s, float *dx, const float *dout, const float *w1,
                          const float *lw, const float *w2, float *gw1, float *gb1, float *glw, float *glb, float *gw2,
                          float *gb2) {
    int N = s->N;
    float *dn = HERO__NEW(ar, float, (size_t)N * s->Hmid), *dg = HERO__NEW(ar, float, (size_t)N * s->Hmid);
    float *dh = HERO__NEW(ar, float, (size_t)N * s->Hmid);
    if (!dn || !dg || !dh) return HERO_ENOMEM;
    hero__k_linear_bwd(ar, dn, gw2, gb2, dout, s->n, w2, N, s->Hmid, s->O);
    hero__k_layernorm_bwd(ar, dg, glw, glb, dn, s->g, s->mean, s->rstd, lw, N, s->Hmid);
    hero__k_gelu_bwd(ar, dh, dg, s->h, (size_t)N * s->Hmid);
    hero__k_linear_bwd(ar, dx, gw1, gb1, dh, s->x, w1, N, s->Hin, s->Hmid);
    return 0;
}

/* ======================================================================================
   8. VSM: query encoder, span (st/ed) scores, video-level cosine scores, ranking losses
   ====================================================================================== */

typedef struct hero__query_act {
    int N, T;
    const int32_t *mask;
    hero__fenc_act f;                                 /* text-only cross-modal pass */
    float *in_ln, *in_mean, *in_rstd, *in_out;        /* query_input_proj: LN, relu(Linear) */
    float *p_res, *p_mean, *p_rstd, *p_out;           /* query_pos_embed: LN(x + pos) */
    hero__attn_act at;                                /* query_self_attention */
    float *alpha;                                     /* [N,T] modular attention weights */
    float *mq;                                        /* [N,H] */
} hero__query_act;

/* query encoder: ids/mask [N,T] -> modularized query mq[N,H] */
static int hero__query_fwd(hero_model *m, hero__query_act *s, const int32_t *ids, const int32_t *pos, const int32_t *mask,
                           int N, int T) {
    const hero_config *c = &m->cfg;
    int H = c->H, rc;
    size_t NT = (size_t)N * T;
    hero_arena *ar = hero__act(m);
    memset(&s->f, 0, sizeof(s->f));
    s->N = N; s->T = T; s->mask = mask;
    s->f.N = N; s->f.Lt = T; s->f.Lg = T; s->f.ids = ids; s->f.pos = pos; s->f.mask = mask;
    if ((rc = hero__fenc_fwd(m, &s->f)) != 0) return rc;
    s->in_ln = HERO__NEWW(ar, float, NT * H); s->in_out = HERO__NEWW(ar, float, NT * H);
    s->in_mean = HERO__NEWW(ar, float, NT); s->in_rstd = HERO__NEWW(ar, float, NT);
    s->p_res = HERO__NEWW(ar, float, NT * H); s->p_out = HERO__NEWW(ar, float, NT * H);
    s->p_mean = HERO__NEWW(ar, float, NT); s->p_rstd = HERO__NEWW(ar, float, NT);
    s->alpha = HERO__NEWW(ar, float, NT); s->mq = HERO__NEWW(ar, float, (size_t)N * H);
    if (!s->in_ln || !s->in_out || !s->in_mean || !s->in_rstd || !s->p_res || !s->p_out || !s->p_mean || !s->p_rstd ||
        !s->alpha || !s->mq)
        return HERO_ENOMEM;
    hero__k_layernorm_fwd(ar, s->in_ln, s->in_mean, s->in_rstd, s->f.out, m->p.qin_ln_w, m->p.qin_ln_b, (int)NT, H, 1e-5f);
    hero__k_linear_fwd(ar, s->in_out, s->in_ln, m->p.qin_w, m->p.qin_b, (int)NT, H, H);
    hero__k_relu_fwd(ar, s->in_out, NT * H);
    hero__k_add_pos(ar, s->p_res, s->in_out, m->p.q_pos, N, T, H);
    hero__k_layernorm_fwd(ar, s->p_out, s->p_mean, s->p_rstd, s->p_res, m->p.q_pos_ln_w, m->p.q_pos_ln_b, (int)NT, H, 1e-5f);
    if ((rc = hero__attn_fwd(ar, &s->at, &m->p.q_attn, s->p_out, mask, N, T, H, c->q_heads, c->layer_norm_eps)) != 0)
        return rc;
    /* modular attention: alpha = softmax_t(mask_logits(x . w)); mq = sum_t alpha x */
    hero__k_linear_fwd(ar, s->alpha, s->at.out, m->p.q_mod, NULL, (int)NT, H, 1);
    hero__k_mask_logits(ar, s->alpha, mask, NT);
    hero__k_modpool_fwd(ar, s->alpha, s->mq, s->at.out, N, T, H);
    return 0;
}
/* query encoder backward from dmq[N,H] */
static int hero__query_bwd(hero_model *m, hero__query_act *s, const float *dmq) {
    const hero_config *c = &m->cfg;
    int H = c->H, N = s->N, T = s->T, rc;
    size_t NT = (size_t)N * T;
    hero_arena *ar = hero__act(m);
    float *dat = HERO__NEW(ar, float, NT * H), *dal = HERO__NEW(ar, float, NT), *ds = HERO__NEW(ar, float, NT);
    float *dp = HERO__NEW(ar, float, NT * H), *dres = HERO__NEW(ar, float, NT * H), *dln = HERO__NEW(ar, float, NT * H);
    float *dfo = HERO__NEW(ar, float, NT * H), *din = HERO__NEW(ar, float, NT * H);
    if (!dat || !dal || !ds || !dp || !dres || !dln || !dfo || !din) return HERO_ENOMEM;
    hero__k_modpool_bwd(ar, dat, dal, ds, dmq, s->at.out, s->alpha, N, T, H);
    hero__k_mul_mask(ar, ds, s->mask, NT);
    hero__k_linear_bwd(ar, dat, m->g.q_mod, NULL, ds, s->at.out, m->p.q_mod, (int)NT, H, 1);
    if ((rc = hero__attn_bwd(ar, &s->at, &m->p.q_attn, &m->g.q_attn, dp, dat, H)) != 0) return rc;
    hero__k_layernorm_bwd(ar, dres, m->g.q_pos_ln_w, m->g.q_pos_ln_b, dp, s->p_res, s->p_mean, s->p_rstd, m->p.q_pos_ln_w, (int)NT, H);
    hero__k_add_pos_bwd(ar, m->g.q_pos, NULL, dres, N, T, H);
    hero__k_relu_bwd(ar, din, dres, s->in_out, NT * H);
    hero__k_linear_bwd(ar, dln, m->g.qin_w, m->g.qin_b, din, s->in_ln, m->p.qin_w, (int)NT, H, H);
    hero__k_layernorm_bwd(ar, dfo, m->g.qin_ln_w, m->g.qin_ln_b, dln, s->f.out, s->in_mean, s->in_rstd, m->p.qin_ln_w, (int)NT, H);
    return hero__fenc_bwd(m, &s->f, dfo);
}

typedef struct hero__vsm_act {
    int Nq, B, L;
    const float *mq, *frames;
    const int32_t *mask;
    float *query;                    /* [Nq,H] video_query_linear(mq) */
    float *sim;                      /* [Nq,B*L] */
    float *st, *ed;                  /* [Nq,B,L] conv + mask_logits */
    float *mqn, *mq_norm, *frn, *fr_norm; /* normalised [Nq,H], [Nq]; [B*L,H], [B*L] */
    float *q2v;                      /* [Nq,B] */
    int *argmax;                     /* [Nq,B] frame index of the max */
} hero__vsm_act;

/* VSM scores: st/ed[Nq,B,L] span logits and q2v[Nq,B] video-level cosine scores */
static int hero__vsm_fwd(hero_model *m, hero__vsm_act *s, const float *mq, int Nq, const float *frames,
                         const int32_t *mask, int B, int L) {
    const hero_config *c = &m->cfg;
    int H = c->H, BL = B * L;
    hero_arena *ar = hero__act(m);
    float *cs;
    s->Nq = Nq; s->B = B; s->L = L; s->mq = mq; s->frames = frames; s->mask = mask;
    s->query = HERO__NEWW(ar, float, (size_t)Nq * H); s->sim = HERO__NEWW(ar, float, (size_t)Nq * BL);
    s->st = HERO__NEWW(ar, float, (size_t)Nq * BL); s->ed = HERO__NEWW(ar, float, (size_t)Nq * BL);
    s->mqn = HERO__NEWW(ar, float, (size_t)Nq * H); s->mq_norm = HERO__NEWW(ar, float, Nq);
    s->frn = HERO__NEWW(ar, float, (size_t)BL * H); s->fr_norm = HERO__NEWW(ar, float, BL);
    s->q2v = HERO__NEWW(ar, float, (size_t)Nq * B); s->argmax = HERO__NEWW(ar, int, (size_t)Nq * B);
    cs = HERO__NEWW(ar, float, (size_t)Nq * BL);
    if (!s->query || !s->sim || !s->st || !s->ed || !s->mqn || !s->mq_norm || !s->frn || !s->fr_norm || !s->q2v ||
        !s->argmax || !cs)
        return HERO_ENOMEM;
    /* span logits: conv1d over each (query, video) similarity row, then mask_logits */
    hero__k_linear_fwd(ar, s->query, mq, m->p.vq_w, m->p.vq_b, Nq, H, H);
    hero__k_gemm(ar, 0, 1, Nq, BL, H, 1.0f, s->query, H, frames, H, 0.0f, s->sim, BL);
    hero__k_conv1d_fwd(ar, s->st, s->sim, m->p.st_w, Nq * B, L, c->conv_k);
    hero__k_conv1d_fwd(ar, s->ed, s->sim, m->p.ed_w, Nq * B, L, c->conv_k);
    hero__k_mask_logits_rows(ar, s->st, mask, Nq, BL);
    hero__k_mask_logits_rows(ar, s->ed, mask, Nq, BL);
    /* video-level: cosine, mask_logits, max over frames */
    hero__k_l2norm_fwd(ar, s->mqn, s->mq_norm, mq, Nq, H, 1e-5f);
    hero__k_l2norm_fwd(ar, s->frn, s->fr_norm, frames, BL, H, 1e-5f);
    hero__k_gemm(ar, 0, 1, Nq, BL, H, 1.0f, s->mqn, H, s->frn, H, 0.0f, cs, BL);
    hero__k_mask_logits_rows(ar, cs, mask, Nq, BL);
    hero__k_rowmax(ar, s->q2v, s->argmax, cs, Nq * B, L);
    return 0;
}
/* VSM scores backward: dst/ded [Nq,B,L], dq2v [Nq,B] (any NULL) -> dmq[Nq,H] +=, dframes[B*L,H] += */
static int hero__vsm_bwd(hero_model *m, hero__vsm_act *s, const float *dst, const float *ded, const float *dq2v, float *dmq,
                         float *dframes) {
    const hero_config *c = &m->cfg;
    int H = c->H, Nq = s->Nq, B = s->B, L = s->L, BL = B * L;
    hero_arena *ar = hero__act(m);
    if (dst || ded) {
        float *dm = HERO__NEW(ar, float, (size_t)Nq * BL), *dsim = HERO__NEW(ar, float, (size_t)Nq * BL);
        float *dquery = HERO__NEW(ar, float, (size_t)Nq * H);
        if (!dm || !dsim || !dquery) return HERO_ENOMEM;
        if (dst) {
            hero__k_mul_mask_rows(ar, dm, dst, s->mask, Nq, BL);
            hero__k_conv1d_bwd(ar, dsim, m->g.st_w, dm, s->sim, m->p.st_w, Nq * B, L, c->conv_k);
        }
        if (ded) {
            hero__k_mul_mask_rows(ar, dm, ded, s->mask, Nq, BL);
            hero__k_conv1d_bwd(ar, dsim, m->g.ed_w, dm, s->sim, m->p.ed_w, Nq * B, L, c->conv_k);
        }
        hero__k_gemm(ar, 0, 0, Nq, H, BL, 1.0f, dsim, BL, s->frames, H, 1.0f, dquery, H);
        hero__k_gemm(ar, 1, 0, BL, H, Nq, 1.0f, dsim, BL, s->query, H, 1.0f, dframes, H);
        hero__k_linear_bwd(ar, dmq, m->g.vq_w, m->g.vq_b, dquery, s->mq, m->p.vq_w, Nq, H, H);
    }
    if (dq2v) {
        float *dcs = HERO__NEW(ar, float, (size_t)Nq * BL), *dmqn = HERO__NEW(ar, float, (size_t)Nq * H);
        float *dfrn = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dcs || !dmqn || !dfrn) return HERO_ENOMEM;
        hero__k_rowmax_bwd(ar, dcs, dq2v, s->argmax, s->mask, Nq, B, L);
        hero__k_gemm(ar, 0, 0, Nq, H, BL, 1.0f, dcs, BL, s->frn, H, 0.0f, dmqn, H);
        hero__k_gemm(ar, 1, 0, BL, H, Nq, 1.0f, dcs, BL, s->mqn, H, 0.0f, dfrn, H);
        hero__k_l2norm_bwd(ar, dmq, dmqn, s->mqn, s->mq_norm, Nq, H, 1e-5f);
        hero__k_l2norm_bwd(ar, dframes, dfrn, s->frn, s->fr_norm, BL, H, 1e-5f);
    }
    return 0;
}

typedef struct hero__rank_item { float v; int i; } hero__rank_item;

/* descending by value, ties by index (a stable order) */
static int hero__rank_cmp(const void *a, const void *b) {
    const hero__rank_item *x = (const hero__rank_item *)a, *y = (const hero__rank_item *)b;
    if (x->v > y->v) return -1;
    if (x->v < y->v) return 1;
    return x->i - y->i;
}

/* one ranking term: loss of (neg - pos) and its derivative */
static float hero__rank_term(const hero_config *c, float pos, float neg, float *dterm) {
    float x = neg - pos;
    if (c->ranking_lse) {
        *dterm = 1.0f / (1.0f + expf(-x));
        return log1pf(expf(x));
    }
    x += c->margin;
    *dterm = x >= 0.0f ? 1.0f : 0.0f;
    return x > 0.0f ? x : 0.0f;
}

/* video-level ranking losses over q2v[Nq,Nv] (qpv queries per video, in video order):
   every negative video per query and every negative query per video, hardest first.
   Writes the (hard-weighted, lambda-free) matrices, returns the weighted losses, and
   when dq2v != NULL adds d(loss_neg_ctx + loss_neg_q)/d q2v. */
static int hero__rank_loss(hero_model *m, const float *q2v, int Nq, int Nv, float *mat_ctx, float *mat_q,
                           float *loss_ctx, float *loss_q, float *dq2v) {
    const hero_config *c = &m->cfg;
    int qpv, r, k, v, a, n = Nq > Nv ? Nq : Nv;
    hero__rank_item *it = HERO__NEW(&m->arena, hero__rank_item, n);
    float *masked = HERO__NEW(&m->arena, float, (size_t)Nq * Nv);
    double sc = 0, sq = 0;
    *loss_ctx = *loss_q = 0;
    if (Nv <= 1) return 0;
    if (!it || !masked) return HERO_ENOMEM;
    qpv = Nq / Nv;
    memcpy(masked, q2v, (size_t)Nq * Nv * sizeof(float));
    for (v = 0; v < Nv; v++)
        for (a = 0; a < qpv; a++) masked[(size_t)(v * qpv + a) * Nv + v] = 999.0f;
    /* negative videos per query: drop the first (the positive) */
    for (r = 0; r < Nq; r++) {
        int pv = r / qpv;
        float pos = q2v[(size_t)r * Nv + pv];
        for (k = 0; k < Nv; k++) { it[k].v = masked[(size_t)r * Nv + k]; it[k].i = k; }
        qsort(it, (size_t)Nv, sizeof(*it), hero__rank_cmp);
        for (k = 0; k < Nv - 1; k++) {
            float d, w = c->use_hard_negative ? (k < c->hard_pool_size ? c->hard_neg_weight : 0.1f) : 1.0f;
            float l = w * hero__rank_term(c, pos, it[k + 1].v, &d);
            mat_ctx[(size_t)r * (Nv - 1) + k] = l;
            sc += l;
            if (dq2v) {
                float g = c->lw_neg_ctx / ((float)Nq * (float)(Nv - 1)) * w * d;
                dq2v[(size_t)r * Nv + it[k + 1].i] += g;
                dq2v[(size_t)r * Nv + pv] -= g;
            }
        }
    }
    /* negative queries per video: drop the first qpv (its own queries) */
    for (v = 0; v < Nv; v++) {
        for (k = 0; k < Nq; k++) { it[k].v = masked[(size_t)k * Nv + v]; it[k].i = k; }
        qsort(it, (size_t)Nq, sizeof(*it), hero__rank_cmp);
        for (a = 0; a < qpv; a++) {
            int r = v * qpv + a;
            float pos = q2v[(size_t)r * Nv + v];
            for (k = 0; k < Nq - qpv; k++) {
                float d, w = c->use_hard_negative ? (k < c->hard_pool_size ? c->hard_neg_weight : 0.1f) : 1.0f;
                float l = w * hero__rank_term(c, pos, it[k + qpv].v, &d);
                mat_q[(size_t)r * (Nq - qpv) + k] = l;
                sq += l;
                if (dq2v) {
                    float g = c->lw_neg_q / ((float)Nq * (float)(Nq - qpv)) * w * d;
                    dq2v[(size_t)it[k + qpv].i * Nv + v] += g;
                    dq2v[(size_t)r * Nv + v] -= g;
                }
            }
        }
    }
    *loss_ctx = c->lw_neg_ctx * (float)(sc / ((double)Nq * (Nv - 1)));
    *loss_q = Nq > qpv ? c->lw_neg_q * (float)(sq / ((double)Nq * (Nq - qpv))) : 0.0f;
    return 0;
}

/* ======================================================================================
   9. The model and its losses: one task per call, forward then (optionally) backward
   ====================================================================================== */

/* ---- [tasks] a task is one entry of the task table (hero__tasks, end of section 13) ----
   ADDING A TASK (a pre-training objective or a downstream head) touches:
     1. hero_task (its id, before HERO_TASK_COUNT), and its fields in hero_batch / hero_result /
        hero_choices when it has inputs or outputs of its own (its head's parameters: the
        parameter table, section 3, with their init in section 18);
     2. its own functions: check (its batch fields), prepare (its index maps), run (forward,
        loss, backward), losses (the result's loss fields), and for the data: draw (its random
        choices), check_choices, collate (the official collate of its data file);
     3. ONE entry of hero__tasks (end of section 13) naming them.
   Nothing else dispatches on the task: checking, preparing, running, the result, drawing,
   collating and the names go through the table; has_grad comes from the backward primitives
   (hero__grad_mark), so no parameter list is kept by hand. */
struct hero__dprep;
struct hero__run;
typedef struct hero__task_desc {
    hero_task id;
    const char *name;  /* hero_task_name: the trainer's mixture and hero_golden use it */
    int video;         /* 1: the batch has the temporal input (B, L, clips, sub2frames); 0: text rows only */
    unsigned groups;   /* the parameter groups its backward trains (HERO__GROUP_*; tests check it) */
    /* the model (this section) */
    int (*check)(const hero_model *m, const hero_batch *b, hero_error *err); /* its own batch fields; NULL: none */
    int (*prepare)(hero_model *m, struct hero__prep *P, const hero_batch *b); /* its index maps; NULL: none */
    int (*run)(hero_model *m, struct hero__run *R, const struct hero__prep *P, int backward, hero_result *res);
    void (*losses)(const hero_model *m, const float *scal, hero_result *res); /* loss fields from the read-back scal[4] */
    /* the data (section 13); draw NULL: nothing random (and no choices to check) */
    int (*draw)(hero_choices *out, const struct hero__dprep *p, const hero_video *videos, const hero_batch_options *o,
                hero_rng *rng, hero_error *err);
    int (*check_choices)(const hero_choices *c, const struct hero__dprep *p, const hero_video *videos,
                         const hero_batch_options *o, hero_error *err);
    int (*collate)(hero_batch *b, const hero_video *videos, const struct hero__dprep *p, const hero_batch_options *o,
                   const hero_choices *c, hero_error *err);
} hero__task_desc;
/* parameter groups: the official module that owns a parameter (hero__param_group) */
enum {
    HERO__GROUP_TEXT_EMB = 1u << 0,    /* v_encoder.f_encoder.embeddings */
    HERO__GROUP_FRAME_EMB = 1u << 1,   /* v_encoder.f_encoder.img_embeddings, but its mask_embedding */
    HERO__GROUP_FRAME_MASK = 1u << 2,  /* v_encoder.f_encoder.img_embeddings.mask_embedding */
    HERO__GROUP_CROSS = 1u << 3,       /* v_encoder.f_encoder.encoder: the cross-modal layers */
    HERO__GROUP_MLM_HEAD = 1u << 4,    /* v_encoder.f_encoder.lm_head */
    HERO__GROUP_FUSION = 1u << 5,      /* v_encoder.frame_transform */
    HERO__GROUP_FUSION_MASK = 1u << 6, /* v_encoder.mask_embedding */
    HERO__GROUP_TEMPORAL = 1u << 7,    /* v_encoder.c_encoder */
    HERO__GROUP_MFM_HEAD = 1u << 8,    /* v_encoder.feat_regress */
    HERO__GROUP_FOM_HEAD = 1u << 9,    /* v_encoder.fom_output */
    HERO__GROUP_QUERY = 1u << 10,      /* q_feat_attn */
    HERO__GROUP_SPAN = 1u << 11,       /* video_st_predictor, video_ed_predictor */
    HERO__GROUP_VSM = 1u << 12,        /* video_query_linear */
    HERO__GROUP_HEAD_VIDEOQA = 1u << 13, /* qa_pool, qa_pred_head, st_ed_pool, st_ed_pred_head */
    HERO__GROUP_HEAD_VIOLIN = 1u << 14,  /* violin_pool, violin_pred_head */
    HERO__GROUP_OTHER = 1u << 30       /* anything else (the pooler) */
};
static unsigned hero__param_group(const char *name) {
    static const struct { const char *prefix; unsigned group; } g[] = {
        {"v_encoder.f_encoder.pooler.", HERO__GROUP_OTHER}, /* no pre-training loss reaches the poolers */
        {"v_encoder.c_encoder.pooler.", HERO__GROUP_OTHER},
        {"v_encoder.f_encoder.embeddings.", HERO__GROUP_TEXT_EMB},
        {"v_encoder.f_encoder.img_embeddings.mask_embedding.", HERO__GROUP_FRAME_MASK},
        {"v_encoder.f_encoder.img_embeddings.", HERO__GROUP_FRAME_EMB},
        {"v_encoder.f_encoder.encoder.", HERO__GROUP_CROSS},
        {"v_encoder.f_encoder.lm_head.", HERO__GROUP_MLM_HEAD},
        {"v_encoder.frame_transform.", HERO__GROUP_FUSION},
        {"v_encoder.mask_embedding.", HERO__GROUP_FUSION_MASK},
        {"v_encoder.c_encoder.", HERO__GROUP_TEMPORAL},
        {"v_encoder.feat_regress.", HERO__GROUP_MFM_HEAD},
        {"v_encoder.fom_output.", HERO__GROUP_FOM_HEAD},
        {"q_feat_attn.", HERO__GROUP_QUERY},
        {"video_st_predictor.", HERO__GROUP_SPAN},
        {"video_ed_predictor.", HERO__GROUP_SPAN},
        {"video_query_linear.", HERO__GROUP_VSM},
        {"qa_pool.", HERO__GROUP_HEAD_VIDEOQA},
        {"qa_pred_head.", HERO__GROUP_HEAD_VIDEOQA},
        {"st_ed_pool.", HERO__GROUP_HEAD_VIDEOQA},
        {"st_ed_pred_head.", HERO__GROUP_HEAD_VIDEOQA},
        {"violin_pool.", HERO__GROUP_HEAD_VIOLIN},
        {"violin_pred_head.", HERO__GROUP_HEAD_VIOLIN}};
    size_t i;
    for (i = 0; i < sizeof(g) / sizeof(g[0]); i++)
        if (strncmp(name, g[i].prefix, strlen(g[i].prefix)) == 0) return g[i].group;
    return HERO__GROUP_OTHER;
}
static const hero__task_desc *hero__task_of(hero_task t); /* the entry of task t; NULL: unknown */

/* every task's input: the cross-modal rows, then (tasks with video) the temporal input */
static int hero__check_batch(const hero_model *m, const hero_batch *b, const hero__task_desc *T, hero_error *err) {
    const hero_config *c = &m->cfg;
    int i;
    if (b->F != c->F) return hero__fail(err, HERO_ESHAPE, "batch: frame feature size %d, model expects %d", b->F, c->F);
    if (b->S <= 0 || b->Lt <= 0 || b->Lv <= 0 || b->Lg <= 0)
        return hero__fail(err, HERO_ESHAPE, "batch: empty cross-modal input (S %d, Lt %d, Lv %d, Lg %d)", b->S, b->Lt, b->Lv, b->Lg);
    if (b->Lt > c->f_max_pos || b->Lv > c->max_frm_seq_len)
        return hero__fail(err, HERO_ESHAPE, "batch: text length %d / frames per row %d exceed the position tables (%d / %d)",
                          b->Lt, b->Lv, c->f_max_pos, c->max_frm_seq_len);
    for (i = 0; i < b->S * b->Lt; i++)
        if (b->txt_ids[i] < 0 || b->txt_ids[i] >= c->Vp)
            return hero__fail(err, HERO_EINVAL, "batch: token id %d at %d outside the vocabulary [0, %d)", b->txt_ids[i], i, c->Vp);
    for (i = 0; i < b->Lt; i++)
        if (b->txt_pos[i] < 0 || b->txt_pos[i] >= c->f_max_pos) return hero__fail(err, HERO_EINVAL, "batch: text position %d out of range", b->txt_pos[i]);
    for (i = 0; i < b->Lv; i++)
        if (b->f_v_pos[i] < 0 || b->f_v_pos[i] >= c->max_frm_seq_len) return hero__fail(err, HERO_EINVAL, "batch: frame position %d out of range", b->f_v_pos[i]);
    for (i = 0; i < b->S * b->Lg; i++)
        if (b->f_gather[i] < 0 || b->f_gather[i] >= b->Lv + b->Lt)
            return hero__fail(err, HERO_EINVAL, "batch: gather index %d outside [0, %d)", b->f_gather[i], b->Lv + b->Lt);
    if (T->video) {
        int row = 0, fr = 0, v, r, j;
        if (b->B <= 0 || b->L <= 0 || b->L > c->c_max_pos)
            return hero__fail(err, HERO_ESHAPE, "batch: %d videos of %d frames (temporal position table %d)", b->B, b->L, c->c_max_pos);
        for (v = 0; v < b->B; v++) {
            if (b->num_subs[v] < 0 || row + b->num_subs[v] > b->S) return hero__fail(err, HERO_ESHAPE, "batch: num_subs does not add up to %d rows", b->S);
            for (r = 0; r < b->num_subs[v]; r++, row++) {
                int nf = b->s2f_nframes[row], sid = b->s2f_sub_idx[row];
                if (sid < 0 || sid >= b->num_subs[v] || nf < 0 || nf > b->Lg)
                    return hero__fail(err, HERO_EINVAL, "batch: subtitle map entry %d (sub %d, %d frames) invalid", row, sid, nf);
                for (j = 0; j < nf; j++, fr++)
                    if (b->s2f_frames[fr] < 0 || b->s2f_frames[fr] >= b->L) return hero__fail(err, HERO_EINVAL, "batch: frame index %d outside [0, %d)", b->s2f_frames[fr], b->L);
            }
        }
        if (row != b->S) return hero__fail(err, HERO_ESHAPE, "batch: num_subs add up to %d, batch has %d rows", row, b->S);
    }
    return T->check ? T->check(m, b, err) : 0;
}
/* MLM: the masked positions and their labels */
static int hero__check_mlm(const hero_model *m, const hero_batch *b, hero_error *err) {
    const hero_config *c = &m->cfg;
    int i, n = 0;
    for (i = 0; i < b->S * b->Lg; i++) n += b->txt_mask_tgt[i] != 0;
    if (n != b->n_mlm) return hero__fail(err, HERO_ESHAPE, "batch: %d masked positions but %d labels", n, b->n_mlm);
    for (i = 0; i < b->n_mlm; i++)
        if (b->txt_labels[i] < 0 || b->txt_labels[i] >= c->V) return hero__fail(err, HERO_EINVAL, "batch: MLM label %d out of range", b->txt_labels[i]);
    return 0;
}
/* MFM-NCE / MFFR: the frame masks, as many masked frames as targets */
static int hero__check_mfm(const hero_model *m, const hero_batch *b, hero_error *err) {
    int i, n = 0;
    (void)m;
    if (!b->c_v_masks || !b->f_v_masks)
        return hero__fail(err, HERO_EINVAL, "batch: %s has no frame masks (c_v_masks / f_v_masks NULL)", hero_task_name(b->task));
    for (i = 0; i < b->B * b->L; i++) n += b->c_v_masks[i] != 0;
    if (n != b->n_masked)
        return hero__fail(err, HERO_ESHAPE, "batch: %d masked frames in c_v_masks but n_masked %d (feat_targets rows)", n, b->n_masked);
    return 0;
}
/* FOM: the shuffled orders and their targets */
static int hero__check_fom(const hero_model *m, const hero_batch *b, hero_error *err) {
    const hero_config *c = &m->cfg;
    int i;
    for (i = 0; i < b->B * b->L; i++) {
        if (b->shuffled_orders[i] < 0 || b->shuffled_orders[i] >= b->L) return hero__fail(err, HERO_EINVAL, "batch: FOM order %d out of range", b->shuffled_orders[i]);
        if (b->fom_targets[i] < -1 || b->fom_targets[i] >= c->fom_classes) return hero__fail(err, HERO_EINVAL, "batch: FOM target %d out of range", b->fom_targets[i]);
    }
    return 0;
}
/* video QA / VIOLIN: a model with the task's heads, the text rows next to the frames, the labels */
static int hero__check_ft(const hero_model *m, const hero_batch *b, hero_error *err) {
    const hero_config *c = &m->cfg;
    int i;
    if (c->heads != (b->task == HERO_TASK_VIDEOQA ? HERO_HEADS_VIDEOQA : HERO_HEADS_VIOLIN))
        return hero__fail(err, HERO_EINVAL, "batch: task %s needs a model with its heads (the model has heads %d)",
                          hero_task_name(b->task), c->heads);
    int nq = b->B, k = b->task == HERO_TASK_VIDEOQA ? b->n_cand : 1;
    if (k <= 0 || b->B % k || b->Nq != b->B || b->Lq <= 0 || b->Lq > c->f_max_pos ||
        !b->q_ids || !b->q_pos || !b->q_mask || !b->labels || (b->task == HERO_TASK_VIDEOQA && !b->vsm_targets))
        return hero__fail(err, HERO_ESHAPE, "batch: %s needs %d text rows (has %d of length %d) and labels (%d candidates)",
                          hero_task_name(b->task), b->B, b->Nq, b->Lq, k);
    nq = b->B / k;
    for (i = 0; i < b->Nq * b->Lq; i++)
        if (b->q_ids[i] < 0 || b->q_ids[i] >= c->Vp) return hero__fail(err, HERO_EINVAL, "batch: text token id %d out of range", b->q_ids[i]);
    for (i = 0; i < b->Lq; i++)
        if (b->q_pos[i] < 0 || b->q_pos[i] >= c->f_max_pos) return hero__fail(err, HERO_EINVAL, "batch: text position %d out of range", b->q_pos[i]);
    for (i = 0; i < nq; i++) {
        int lo = b->task == HERO_TASK_VIDEOQA ? -1 : 0, hi = b->task == HERO_TASK_VIDEOQA ? k : 2;
        if (b->labels[i] < lo || b->labels[i] >= hi) return hero__fail(err, HERO_EINVAL, "batch: label %d of row %d outside [%d, %d)", b->labels[i], i, lo, hi);
        if (b->task == HERO_TASK_VIDEOQA &&
            (b->vsm_targets[2 * i] < -1 || b->vsm_targets[2 * i] >= b->L || b->vsm_targets[2 * i + 1] < -1 || b->vsm_targets[2 * i + 1] >= b->L))
            return hero__fail(err, HERO_EINVAL, "batch: span target (%d, %d) outside [0, %d)", b->vsm_targets[2 * i], b->vsm_targets[2 * i + 1], b->L);
    }
    return 0;
}
/* VSM: the queries, their videos and span targets */
static int hero__check_vsm(const hero_model *m, const hero_batch *b, hero_error *err) {
    const hero_config *c = &m->cfg;
    int i;
    if (b->Nq <= 0 || b->Lq <= 0 || b->Lq > c->f_max_pos || b->Lq > c->q_max_pos)
        return hero__fail(err, HERO_ESHAPE, "batch: %d queries of length %d", b->Nq, b->Lq);
    for (i = 0; i < b->Nq * b->Lq; i++)
        if (b->q_ids[i] < 0 || b->q_ids[i] >= c->Vp) return hero__fail(err, HERO_EINVAL, "batch: query token id %d out of range", b->q_ids[i]);
    for (i = 0; i < b->Lq; i++)
        if (b->q_pos[i] < 0 || b->q_pos[i] >= c->f_max_pos) return hero__fail(err, HERO_EINVAL, "batch: query position %d out of range", b->q_pos[i]);
    for (i = 0; i < b->Nq; i++) {
        if (b->q_vidx[i] < 0 || b->q_vidx[i] >= b->B) return hero__fail(err, HERO_EINVAL, "batch: query video index %d out of range", b->q_vidx[i]);
        if (b->vsm_targets[2 * i] < -1 || b->vsm_targets[2 * i] >= b->L || b->vsm_targets[2 * i + 1] < -1 || b->vsm_targets[2 * i + 1] >= b->L)
            return hero__fail(err, HERO_EINVAL, "batch: VSM target (%d, %d) outside [0, %d)", b->vsm_targets[2 * i], b->vsm_targets[2 * i + 1], b->L);
    }
    if (b->Nq % b->B) return hero__fail(err, HERO_ESHAPE, "batch: %d queries is not a multiple of %d videos", b->Nq, b->B);
    return 0;
}

struct hero__dist_call; /* section 20 (HERO_MPI) */
typedef struct hero__run {
    hero__fenc_act f;
    hero__video_act vid;
    hero__head_act head;
    hero__query_act q;
    hero__vsm_act vsm;
    float *scal;      /* [4] the task's losses where the kernels write them (read back once, hero__finish) */
    hero_error *err;  /* an inner failure's reason (hero__forward_backward prepends the task and stage) */
    const char *stage; /* "prepare", "forward", "backward", "losses": where the pass is */
#ifdef HERO_MPI
    struct hero__dist_call *dc;  /* section 20: VSM ranking over every rank; NULL = this process only */
#endif
} hero__run;
#ifdef HERO_MPI
/* section 20 */
static int hero__dist_vsm_fwd(hero_model *m, hero__run *R, int backward, hero_result *res);
static int hero__dist_vsm_bwd(hero_model *m, hero__run *R, float *dmq, float *dframes);
static int hero__dist_update(hero_trainer *t, hero_error *err);
static int hero__dist_save(const hero_trainer *t, const char *path, hero_error *err);
static int hero__dist_load(hero_trainer *t, const char *path, hero_error *err);
static hero_error *hero__dist_call_err(struct hero__dist_call *dc, hero_error *err); /* sets dc's, returns the old */
#endif

/* a map from (dst row, src row) pairs: grouped by dst row, each group in pair order */
static int hero__rowmap_make(hero_model *m, hero__prep *P, hero__rowmap *mp, const int32_t *dst, const int32_t *src, int n,
                             int n_rows) {
    hero_arena *host = &m->arena;
    int32_t *cnt = HERO__NEW(host, int32_t, (size_t)n_rows + 1), *row, *ptr, *srt;
    int i, u = 0, nu = 0, acc = 0;
    if (!cnt) return HERO_ENOMEM;
    for (i = 0; i < n; i++) cnt[dst[i]]++;
    for (i = 0; i < n_rows; i++) nu += cnt[i] != 0;
    row = HERO__NEW(host, int32_t, nu); ptr = HERO__NEW(host, int32_t, (size_t)nu + 1); srt = HERO__NEW(host, int32_t, n);
    if (!row || !ptr || !srt) return HERO_ENOMEM;
    for (i = 0; i < n_rows; i++)
        if (cnt[i]) {
            int k = cnt[i];
            row[u] = i; ptr[u++] = acc; cnt[i] = acc; acc += k;
        }
    ptr[nu] = acc;
    for (i = 0; i < n; i++) srt[cnt[dst[i]]++] = src[i];
    mp->n = nu;
    mp->row = (const int32_t *)hero__prep_put(P, hero__act(m), row, (size_t)nu * sizeof(int32_t));
    mp->ptr = (const int32_t *)hero__prep_put(P, hero__act(m), ptr, ((size_t)nu + 1) * sizeof(int32_t));
    mp->src = (const int32_t *)hero__prep_put(P, hero__act(m), srt, (size_t)n * sizeof(int32_t));
    return 0;
}

/* the forward's inputs where the kernels read them (see hero__prep): the batch's arrays, and the
   index maps built here from the host copies of num_subs / s2f_* / masks / orders / targets */
static int hero__prepare(hero_model *m, hero__prep *P, const hero_batch *b, const float *probe, const hero__task_desc *T) {
    const hero_config *c = &m->cfg;
    hero_arena *host = &m->arena, *ar = hero__act(m);
    hero_batch *d = &P->d;
    size_t S = (size_t)b->S, BL = (size_t)b->B * b->L, F = (size_t)c->F;
    int i, rc;
    *d = *b;
#define HERO__PUT(field, n, type) d->field = (type *)hero__prep_put(P, ar, b->field, (size_t)(n) * sizeof(type))
    HERO__PUT(txt_ids, S * b->Lt, int32_t);
    HERO__PUT(txt_pos, b->Lt, int32_t);
    HERO__PUT(f_v_feats, S * b->Lv * F, float);
    HERO__PUT(f_v_pos, b->Lv, int32_t);
    HERO__PUT(f_v_masks, S * b->Lv, uint8_t);
    HERO__PUT(f_attn_mask, S * b->Lg, int32_t);
    HERO__PUT(f_gather, S * b->Lg, int32_t);
    HERO__PUT(c_v_feats, BL * F, float);
    HERO__PUT(c_attn_mask, BL, int32_t);
    HERO__PUT(c_v_masks, BL, uint8_t);
    HERO__PUT(txt_labels, b->n_mlm, int32_t);
    HERO__PUT(feat_targets, (size_t)b->n_masked * F, float);
    HERO__PUT(fom_targets, BL, int32_t);
    HERO__PUT(q_ids, (size_t)b->Nq * b->Lq, int32_t);
    HERO__PUT(q_pos, b->Lq, int32_t);
    HERO__PUT(q_mask, (size_t)b->Nq * b->Lq, int32_t);
    if (b->task == HERO_TASK_VIDEOQA || b->task == HERO_TASK_VIOLIN)
        HERO__PUT(labels, b->task == HERO_TASK_VIDEOQA ? b->B / b->n_cand : b->B, int32_t);
#undef HERO__PUT
    if (ar != host) { /* read on the host only (below), never by a kernel */
        d->num_subs = d->s2f_sub_idx = d->s2f_nframes = d->s2f_frames = NULL;
        d->txt_mask_tgt = NULL; d->shuffled_orders = d->q_vidx = d->vsm_targets = NULL;
    }
    P->probe = (const float *)hero__prep_put(P, ar, probe, BL * c->H * sizeof(float));
    if (ar != host) { /* word-table gradients without atomics: ids as row maps (padding id 1 gets none) */
        int pass;
        for (pass = 0; pass < 2; pass++) {
            const int32_t *ids = pass ? b->q_ids : b->txt_ids;
            int n = pass ? b->Nq * b->Lq : b->S * b->Lt, k = 0;
            int32_t *dst, *src;
            if (!ids || n <= 0) continue;
            dst = HERO__NEW(host, int32_t, n); src = HERO__NEW(host, int32_t, n);
            if (!dst || !src) return HERO_ENOMEM;
            for (i = 0; i < n; i++)
                if (ids[i] != 1) { dst[k] = ids[i]; src[k++] = i; }
            if ((rc = hero__rowmap_make(m, P, pass ? &P->qmap : &P->wmap, dst, src, k, c->Vp)) != 0) return rc;
        }
    }
    if (T->video) { /* fusion: the j-th frame output of a subtitle row onto its frame of the video timeline */
        int v, r, j, row = 0, fr = 0, n = 0;
        int32_t *fd, *fs;
        for (i = 0; i < b->S; i++) n += b->s2f_nframes[i];
        fd = HERO__NEW(host, int32_t, (size_t)n); fs = HERO__NEW(host, int32_t, (size_t)n);
        if (!fd || !fs) return HERO_ENOMEM;
        n = 0;
        for (v = 0; v < b->B; v++)
            for (r = 0; r < b->num_subs[v]; r++, row++) {
                int nf = b->s2f_nframes[row], sid = b->s2f_sub_idx[row];
                for (j = 0; j < nf; j++, n++) {
                    fd[n] = v * b->L + b->s2f_frames[fr + j];
                    fs[n] = (row - r + sid) * b->Lg + j;
                }
                fr += nf;
            }
        if ((rc = hero__rowmap_make(m, P, &P->fuse, fd, fs, n, (int)BL)) != 0) return rc;
        if ((rc = hero__rowmap_make(m, P, &P->fuse_bwd, fs, fd, n, b->S * b->Lg)) != 0) return rc;
    }
    return T->prepare ? T->prepare(m, P, b) : 0;
}
/* MLM: the masked text rows */
static int hero__prep_mlm(hero_model *m, hero__prep *P, const hero_batch *b) {
    hero_arena *host = &m->arena, *ar = hero__act(m);
    int32_t *sel = HERO__NEW(host, int32_t, (size_t)b->n_mlm);
    int i, n = 0;
    if (!sel) return HERO_ENOMEM;
    for (i = 0; i < b->S * b->Lg; i++)
        if (b->txt_mask_tgt[i] && n < b->n_mlm) sel[n++] = i;
    P->n_sel = P->n_sel1 = n;
    P->sel = (const int32_t *)hero__prep_put(P, ar, sel, (size_t)n * sizeof(int32_t));
    return 0;
}
/* MFM-NCE / MFFR: the masked frames (then, NCE, the others) as head rows, their targets, the way back */
static int hero__prep_mfm(hero_model *m, hero__prep *P, const hero_batch *b) {
    hero_arena *host = &m->arena, *ar = hero__act(m);
    size_t BL = (size_t)b->B * b->L;
    int i, rc, nm = 0, nt, k = 0;
    int32_t *sel, *src, *tg;
    if (!b->c_v_masks) return 0;
    for (i = 0; i < (int)BL; i++) nm += b->c_v_masks[i] != 0;
    nt = b->task == HERO_TASK_MFM_NCE ? (int)BL : nm;
    sel = HERO__NEW(host, int32_t, (size_t)nt); src = HERO__NEW(host, int32_t, (size_t)nt);
    tg = HERO__NEW(host, int32_t, (size_t)nm);
    if (!sel || !src || !tg) return HERO_ENOMEM;
    for (i = 0; i < (int)BL; i++) if (b->c_v_masks[i]) sel[k++] = i;   /* masked frames ... */
    if (nt > nm)
        for (i = 0; i < (int)BL; i++) if (!b->c_v_masks[i]) sel[k++] = i; /* ... then (NCE) the others */
    for (i = 0; i < nt; i++) src[i] = i;
    for (i = 0; i < nm; i++) tg[i] = i;
    P->n_sel = nt; P->n_sel1 = nm;
    P->sel = (const int32_t *)hero__prep_put(P, ar, sel, (size_t)nt * sizeof(int32_t));
    P->nce_tg = (const int32_t *)hero__prep_put(P, ar, tg, (size_t)nm * sizeof(int32_t));
    if ((rc = hero__rowmap_make(m, P, &P->sel_add, sel, src, nt, (int)BL)) != 0) return rc;
    return 0;
}
/* FOM: the frame at position l moves to position order[l] */
static int hero__prep_fom(hero_model *m, hero__prep *P, const hero_batch *b) {
    hero_arena *host = &m->arena, *ar = hero__act(m);
    size_t BL = (size_t)b->B * b->L;
    int32_t *dst = HERO__NEW(host, int32_t, BL);
    int i;
    if (!dst) return HERO_ENOMEM;
    for (i = 0; i < (int)BL; i++) dst[i] = (i / b->L) * b->L + b->shuffled_orders[i];
    P->fom_dst = (const int32_t *)hero__prep_put(P, ar, dst, BL * sizeof(int32_t));
    return 0;
}
/* VSM: each query's st/ed row (its own video) and targets */
static int hero__prep_vsm(hero_model *m, hero__prep *P, const hero_batch *b) {
    hero_arena *host = &m->arena, *ar = hero__act(m);
    int32_t *rows = HERO__NEW(host, int32_t, (size_t)b->Nq), *tg = HERO__NEW(host, int32_t, 2 * (size_t)b->Nq);
    int i;
    if (!rows || !tg) return HERO_ENOMEM;
    for (i = 0; i < b->Nq; i++) {
        /* official get_pred_from_mod_query: as many queries as videos pairs query i with video i
           (VCMR fine-tuning: one query per item, a video repeated per query), else q_vidx */
        rows[i] = i * b->B + (b->Nq == b->B ? i : b->q_vidx[i]);
        tg[i] = b->vsm_targets[2 * i];
        tg[b->Nq + i] = b->vsm_targets[2 * i + 1];
    }
    P->vsm_row = (const int32_t *)hero__prep_put(P, ar, rows, (size_t)b->Nq * sizeof(int32_t));
    P->vsm_tg = (const int32_t *)hero__prep_put(P, ar, tg, 2 * (size_t)b->Nq * sizeof(int32_t));
    return 0;
}
/* video QA / VIOLIN: the temporal mask over [frames ; text]; video QA also the candidates' frame
   rows side by side (the span pooling's softmax runs across them), the first candidate's frame
   mask, the span targets */
static int hero__prep_ft(hero_model *m, hero__prep *P, const hero_batch *b) {
    hero_arena *host = &m->arena, *ar = hero__act(m);
    int T = b->L + b->Lq, B = b->B, L = b->L, l, r;
    int32_t *mk = HERO__NEW(host, int32_t, (size_t)B * T);
    if (!mk) return HERO_ENOMEM;
    for (r = 0; r < B; r++) {
        memcpy(mk + (size_t)r * T, b->c_attn_mask + (size_t)r * L, (size_t)L * sizeof(int32_t));
        memcpy(mk + (size_t)r * T + L, b->q_mask + (size_t)r * b->Lq, (size_t)b->Lq * sizeof(int32_t));
    }
    P->ft_mask = (const int32_t *)hero__prep_put(P, ar, mk, (size_t)B * T * sizeof(int32_t));
    if (b->task == HERO_TASK_VIDEOQA) {
        int k = b->n_cand, Q = B / k, q, a;
        int32_t *tr = HERO__NEW(host, int32_t, (size_t)B * L), *qm = HERO__NEW(host, int32_t, (size_t)Q * L);
        int32_t *tg = HERO__NEW(host, int32_t, 2 * (size_t)Q);
        if (!tr || !qm || !tg) return HERO_ENOMEM;
        for (q = 0; q < Q; q++) {
            for (l = 0; l < L; l++) {
                for (a = 0; a < k; a++) tr[((size_t)q * L + l) * k + a] = (q * k + a) * L + l;
                qm[(size_t)q * L + l] = b->c_attn_mask[(size_t)q * k * L + l];
            }
            tg[q] = b->vsm_targets[2 * q];
            tg[Q + q] = b->vsm_targets[2 * q + 1];
        }
        P->ft_tr = (const int32_t *)hero__prep_put(P, ar, tr, (size_t)B * L * sizeof(int32_t));
        P->ft_qmask = (const int32_t *)hero__prep_put(P, ar, qm, (size_t)Q * L * sizeof(int32_t));
        P->vsm_tg = (const int32_t *)hero__prep_put(P, ar, tg, 2 * (size_t)Q * sizeof(int32_t));
    }
    return 0;
}

static int hero__f_from_batch(hero_model *m, hero__fenc_act *f, const hero_batch *b) {
    memset(f, 0, sizeof(*f));
    f->N = b->S; f->Lt = b->Lt; f->Lv = b->Lv; f->Lg = b->Lg;
    f->ids = b->txt_ids; f->pos = b->txt_pos; f->vpos = b->f_v_pos; f->gather = b->f_gather; f->mask = b->f_attn_mask;
    f->vfeat = b->f_v_feats; f->vmask = b->f_v_masks;
    return hero__fenc_fwd(m, f);
}
static int hero__f_from_prep(hero_model *m, hero__fenc_act *f, const hero__prep *P) {
    int rc = hero__f_from_batch(m, f, &P->d);
    f->wmap = &P->wmap;
    return rc;
}

/* MLM: cross-entropy at the masked text positions; head on masked rows only */
static int hero__task_mlm(hero_model *m, hero__run *R, const hero__prep *P, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, n = P->n_sel, rc;
    float *x, *dscores = NULL, *lv, *cut;
    if ((rc = hero__f_from_prep(m, &R->f, P)) != 0) return rc;
    res->f_seq = R->f.out;
    x = HERO__NEW(ar, float, (size_t)n * H); lv = HERO__NEW(ar, float, n);
    cut = HERO__NEW(ar, float, (size_t)n * c->V);
    if (!x || !lv || !cut) return HERO_ENOMEM;
    hero__k_rows_copy(ar, x, H, NULL, R->f.out, H, P->sel, n, H);
    if ((rc = hero__head_fwd(ar, &R->head, x, n, H, H, c->Vp, m->p.lm_w, m->p.lm_b, m->p.lm_ln_w, m->p.lm_ln_b, m->p.f_word,
                             m->p.lm_bias)) != 0)
        return rc;
    if (backward && !(dscores = HERO__NEW(ar, float, (size_t)n * c->Vp))) return HERO_ENOMEM;
    if ((rc = hero__k_xent_rows(ar, R->head.out, n, c->V, c->Vp, b->txt_labels, lv, dscores, 1.0f, &R->scal[0])) != 0) return rc;
    hero__k_rows_copy(ar, cut, c->V, NULL, R->head.out, c->Vp, NULL, n, c->V);
    res->loss_vec = lv; res->n_loss_vec = n; res->loss_vec_cols = 1;
    res->scores = cut; res->n_rows = n; res->n_cols = c->V;
    if (backward) {
        R->stage = "backward";
        float *dx = HERO__NEW(ar, float, (size_t)n * H), *df = HERO__NEW(ar, float, (size_t)b->S * b->Lg * H);
        if (!dx || !df) return HERO_ENOMEM;
        /* tied decoder: the word table gets the decoder gradient (first V rows; padding row included) */
        if ((rc = hero__head_bwd(ar, &R->head, dx, dscores, m->p.lm_w, m->p.lm_ln_w, m->p.f_word, m->g.lm_w, m->g.lm_b,
                                 m->g.lm_ln_w, m->g.lm_ln_b, m->g.f_word, m->g.lm_bias)) != 0)
            return rc;
        hero__k_rows_copy(ar, df, H, P->sel, dx, H, NULL, n, H);
        return hero__fenc_bwd(m, &R->f, df);
    }
    return 0;
}

/* the hierarchy up to the temporal input: cross-modal pass + fusion */
static int hero__video_fwd(hero_model *m, hero__run *R, const hero__prep *P, hero_result *res) {
    int rc;
    if ((rc = hero__f_from_prep(m, &R->f, P)) != 0) return rc;
    res->f_seq = R->f.out;
    if ((rc = hero__fuse_fwd(m, &R->vid, P, R->f.out)) != 0) return rc;
    res->transformed = R->vid.transformed;
    return 0;
}
/* backward of the hierarchy from dtransformed [B,L,H] */
static int hero__video_bwd(hero_model *m, hero__run *R, const hero__prep *P, const float *dtr) {
    float *df = HERO__NEW(hero__act(m), float, (size_t)P->d.S * P->d.Lg * m->cfg.H);
    int rc;
    if (!df) return HERO_ENOMEM;
    if ((rc = hero__fuse_bwd(m, &R->vid, P, dtr, df)) != 0) return rc;
    return hero__fenc_bwd(m, &R->f, df);
}

/* full video representation c_seq [B,L,H] */
static int hero__repr_fwd(hero_model *m, hero__run *R, const hero__prep *P, hero_result *res) {
    int rc;
    if ((rc = hero__video_fwd(m, R, P, res)) != 0) return rc;
    R->vid.c_in = R->vid.transformed;
    if ((rc = hero__cenc_fwd(m, &R->vid, P->d.c_attn_mask)) != 0) return rc;
    res->c_seq = R->vid.out;
    return 0;
}
static int hero__repr_bwd(hero_model *m, hero__run *R, const hero__prep *P, const float *dc_seq) {
    float *dtr = HERO__NEW(hero__act(m), float, (size_t)P->d.B * P->d.L * m->cfg.H);
    int rc;
    if (!dtr) return HERO_ENOMEM;
    if ((rc = hero__cenc_bwd(m, &R->vid, dc_seq, dtr)) != 0) return rc;
    return hero__video_bwd(m, R, P, dtr);
}

static int hero__task_repr(hero_model *m, hero__run *R, const hero__prep *P, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, rc;
    size_t BLH = (size_t)b->B * b->L * H;
    float *pooled;
    if ((rc = hero__repr_fwd(m, R, P, res)) != 0) return rc;
    /* pooler (output only: pre-training losses never use it) */
    pooled = HERO__NEW(ar, float, (size_t)b->S * H);
    if (!pooled) return HERO_ENOMEM;
    hero__k_pooler_fwd(ar, pooled, R->f.out, (size_t)b->Lg * H, m->p.f_pool_w, m->p.f_pool_b, b->S, H);
    res->f_pooled = pooled;
    if (P->probe) { /* loss = sum(c_seq * probe) (0 without a probe) */
        hero__k_dot(ar, &R->scal[0], res->c_seq, P->probe, BLH);
        if (backward) {
            R->stage = "backward";
            return hero__repr_bwd(m, R, P, P->probe);
        }
    }
    return 0;
}

/* MFM: masked frames regressed (MFFR) or contrasted (NCE) from the temporal outputs */
static int hero__task_mfm(hero_model *m, hero__run *R, const hero__prep *P, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, F = c->F, BL = b->B * b->L, nm, nn, nt, rc, nce = b->task == HERO_TASK_MFM_NCE;
    float *x, *dout = NULL, *lv;
    if (!b->c_v_masks || !b->f_v_masks) return hero__fail(R->err, HERO_EINVAL, "no frame masks (c_v_masks / f_v_masks NULL)");
    if ((rc = hero__repr_fwd(m, R, P, res)) != 0) return rc;
    nm = P->n_sel1;
    if (nm != b->n_masked) return hero__fail(R->err, HERO_ESHAPE, "%d masked frames but n_masked %d", nm, b->n_masked);
    nn = nce ? BL - nm : 0;
    nt = nm + nn;
    x = HERO__NEW(ar, float, (size_t)nt * H);
    if (!x) return HERO_ENOMEM;
    hero__k_rows_copy(ar, x, H, NULL, R->vid.out, H, P->sel, nt, H);
    if ((rc = hero__head_fwd(ar, &R->head, x, nt, H, H, F, m->p.fr0_w, m->p.fr0_b, m->p.fr_ln_w, m->p.fr_ln_b, m->p.fr3_w,
                             m->p.fr3_b)) != 0)
        return rc;
    res->pred_feat = R->head.out; res->n_pred = nm;
    res->neg_pred_feat = R->head.out + (size_t)nm * F; res->n_neg = nn;
    if (backward && !(dout = HERO__NEW(ar, float, (size_t)nt * F))) return HERO_ENOMEM;
    if (nce) {
        /* logits [nm, nm + nn] = [pred . target^T, pred . neg^T] / temp; right class = diagonal */
        int nc = nm + nn;
        float *logits = HERO__NEW(ar, float, (size_t)nm * nc), *dl = NULL;
        lv = HERO__NEW(ar, float, nm);
        if (!logits || !lv) return HERO_ENOMEM;
        hero__k_gemm(ar, 0, 1, nm, nm, F, 1.0f, R->head.out, F, b->feat_targets, F, 0.0f, logits, nc);
        if (nn) hero__k_gemm(ar, 0, 1, nm, nn, F, 1.0f, R->head.out, F, R->head.out + (size_t)nm * F, F, 0.0f, logits + nm, nc);
        hero__k_div(ar, logits, (size_t)nm * nc, c->nce_temp);
        if (backward && !(dl = HERO__NEW(ar, float, (size_t)nm * nc))) return HERO_ENOMEM;
        if ((rc = hero__k_xent_rows(ar, logits, nm, nc, nc, P->nce_tg, lv, dl, 1.0f, &R->scal[0])) != 0) return rc;
        res->loss_vec_cols = 1;
        if (backward) {
            hero__k_div(ar, dl, (size_t)nm * nc, c->nce_temp);
            hero__k_gemm(ar, 0, 0, nm, F, nm, 1.0f, dl, nc, b->feat_targets, F, 1.0f, dout, F);
            if (nn) {
                hero__k_gemm(ar, 0, 0, nm, F, nn, 1.0f, dl + nm, nc, R->head.out + (size_t)nm * F, F, 1.0f, dout, F);
                hero__k_gemm(ar, 1, 0, nn, F, nm, 1.0f, dl + nm, nc, R->head.out, F, 1.0f, dout + (size_t)nm * F, F);
            }
        }
    } else {
        /* loss_vec [nm, F] squared errors; loss = mean_i sqrt(sum_j) */
        lv = HERO__NEW(ar, float, (size_t)nm * F);
        if (!lv) return HERO_ENOMEM;
        hero__k_mffr_loss(ar, lv, dout, &R->scal[0], R->head.out, b->feat_targets, nm, F);
        res->loss_vec_cols = F;
    }
    res->loss_vec = lv; res->n_loss_vec = nm;
    if (backward) {
        R->stage = "backward";
        float *dx = HERO__NEW(ar, float, (size_t)nt * H), *dc = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dx || !dc) return HERO_ENOMEM;
        if ((rc = hero__head_bwd(ar, &R->head, dx, dout, m->p.fr0_w, m->p.fr_ln_w, m->p.fr3_w, m->g.fr0_w, m->g.fr0_b,
                                 m->g.fr_ln_w, m->g.fr_ln_b, m->g.fr3_w, m->g.fr3_b)) != 0)
            return rc;
        hero__k_rows_add(ar, dc, dx, &P->sel_add, H);
        return hero__repr_bwd(m, R, P, dc);
    }
    return 0;
}

/* FOM: shuffled fused frames through the temporal transformer; classify original positions */
static int hero__task_fom(hero_model *m, hero__run *R, const hero__prep *P, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, BL = b->B * b->L, K = c->fom_classes, rc;
    float *dl = NULL;
    if ((rc = hero__video_fwd(m, R, P, res)) != 0) return rc;
    R->vid.c_in = HERO__NEW(ar, float, (size_t)BL * H);
    if (!R->vid.c_in) return HERO_ENOMEM;
    /* frame at position l moves to position order[l] */
    hero__k_rows_copy(ar, R->vid.c_in, H, P->fom_dst, R->vid.transformed, H, NULL, BL, H);
    if ((rc = hero__cenc_fwd(m, &R->vid, b->c_attn_mask)) != 0) return rc;
    res->c_seq = R->vid.out;
    if ((rc = hero__head_fwd(ar, &R->head, R->vid.out, BL, H, 2 * H, K, m->p.fom1_w, m->p.fom1_b, m->p.fom_ln_w,
                             m->p.fom_ln_b, m->p.fom2_w, m->p.fom2_b)) != 0)
        return rc;
    if (backward && !(dl = HERO__NEW(ar, float, (size_t)BL * K))) return HERO_ENOMEM;
    if ((rc = hero__k_xent_rows(ar, R->head.out, BL, K, K, b->fom_targets, NULL, dl, 1.0f, &R->scal[0])) != 0) return rc;
    res->scores = R->head.out; res->n_rows = BL; res->n_cols = K;
    if (backward) {
        R->stage = "backward";
        float *dc = HERO__NEW(ar, float, (size_t)BL * H), *dcin = HERO__NEW(ar, float, (size_t)BL * H);
        float *dtr = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dc || !dcin || !dtr) return HERO_ENOMEM;
        if ((rc = hero__head_bwd(ar, &R->head, dc, dl, m->p.fom1_w, m->p.fom_ln_w, m->p.fom2_w, m->g.fom1_w, m->g.fom1_b,
                                 m->g.fom_ln_w, m->g.fom_ln_b, m->g.fom2_w, m->g.fom2_b)) != 0)
            return rc;
        if ((rc = hero__cenc_bwd(m, &R->vid, dc, dcin)) != 0) return rc;
        hero__k_rows_copy(ar, dtr, H, NULL, dcin, H, P->fom_dst, BL, H);
        return hero__video_bwd(m, R, P, dtr);
    }
    return 0;
}

/* VSM: span cross-entropy on each query's own video + video-level ranking losses */
static int hero__task_vsm(hero_model *m, hero__run *R, const hero__prep *P, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, Nq = b->Nq, B = b->B, L = b->L, BL = B * L, rc;
    float *dst = NULL, *ded = NULL, *dq2v = NULL, *mat_ctx, *mat_q;
    float *sel_st, *sel_ed, *dsel_st = NULL, *dsel_ed = NULL;
    if ((rc = hero__repr_fwd(m, R, P, res)) != 0) return rc;
    if ((rc = hero__query_fwd(m, &R->q, b->q_ids, b->q_pos, b->q_mask, Nq, b->Lq)) != 0) return rc;
    R->q.f.wmap = &P->qmap;
    res->mod_query = R->q.mq;
    if ((rc = hero__vsm_fwd(m, &R->vsm, R->q.mq, Nq, R->vid.out, b->c_attn_mask, B, L)) != 0) return rc;
    res->st_prob = R->vsm.st; res->ed_prob = R->vsm.ed; res->q2video = R->vsm.q2v;
    sel_st = HERO__NEW(ar, float, (size_t)Nq * L); sel_ed = HERO__NEW(ar, float, (size_t)Nq * L);
    mat_ctx = HERO__NEW(ar, float, (size_t)Nq * (B > 1 ? B - 1 : 1));
    mat_q = HERO__NEW(ar, float, (size_t)Nq * (Nq > 1 ? Nq : 1));
    if (!sel_st || !sel_ed || !mat_ctx || !mat_q) return HERO_ENOMEM;
    if (backward) {
        dsel_st = HERO__NEW(ar, float, (size_t)Nq * L); dsel_ed = HERO__NEW(ar, float, (size_t)Nq * L);
        dst = HERO__NEW(ar, float, (size_t)Nq * BL); ded = HERO__NEW(ar, float, (size_t)Nq * BL);
        dq2v = HERO__NEW(ar, float, (size_t)Nq * B);
        if (!dsel_st || !dsel_ed || !dst || !ded || !dq2v) return HERO_ENOMEM;
    }
    /* each query's row of its own video */
    hero__k_rows_copy(ar, sel_st, L, NULL, R->vsm.st, L, P->vsm_row, Nq, L);
    hero__k_rows_copy(ar, sel_ed, L, NULL, R->vsm.ed, L, P->vsm_row, Nq, L);
    if (c->lw_st_ed != 0.0f) {
        if ((rc = hero__k_xent_rows(ar, sel_st, Nq, L, L, P->vsm_tg, NULL, dsel_st, c->lw_st_ed, &R->scal[0])) != 0) return rc;
        if ((rc = hero__k_xent_rows(ar, sel_ed, Nq, L, L, P->vsm_tg + Nq, NULL, dsel_ed, c->lw_st_ed, &R->scal[1])) != 0) return rc;
    }
    if ((rc = hero__k_rank_loss(m, ar, R->vsm.q2v, Nq, B, mat_ctx, mat_q, &R->scal[2], &R->scal[3], dq2v)) != 0) return rc;
    res->neg_ctx_mat = mat_ctx; res->neg_ctx_cols = B - 1;
    res->neg_q_mat = mat_q; res->neg_q_cols = Nq - Nq / B;
#ifdef HERO_MPI
    /* section 20: the ranking losses over every rank's queries and videos replace the local
       ones; their gradient (this rank's slice) is added in the backward below */
    if (R->dc) {
        if ((rc = hero__dist_vsm_fwd(m, R, backward, res)) != 0) return rc;
        dq2v = NULL;
    }
#endif
    if (backward) {
        R->stage = "backward";
        float *dmq = HERO__NEW(ar, float, (size_t)Nq * H), *dfr = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dmq || !dfr) return HERO_ENOMEM;
        hero__k_rows_copy(ar, dst, L, P->vsm_row, dsel_st, L, NULL, Nq, L);
        hero__k_rows_copy(ar, ded, L, P->vsm_row, dsel_ed, L, NULL, Nq, L);
        if ((rc = hero__vsm_bwd(m, &R->vsm, c->lw_st_ed != 0.0f ? dst : NULL, c->lw_st_ed != 0.0f ? ded : NULL,
                                B > 1 ? dq2v : NULL, dmq, dfr)) != 0)
            return rc;
#ifdef HERO_MPI
        if (R->dc && (rc = hero__dist_vsm_bwd(m, R, dmq, dfr)) != 0) return rc;
#endif
        if ((rc = hero__query_bwd(m, &R->q, dmq)) != 0) return rc;
        return hero__repr_bwd(m, R, P, dfr);
    }
    return 0;
}

/* the result's loss fields from the read-back losses scal[4] (hero__finish) */
static void hero__losses_one(const hero_model *m, const float *s, hero_result *res) {
    (void)m;
    res->loss = s[0];
}
static void hero__losses_vsm(const hero_model *m, const float *s, hero_result *res) {
    res->loss_st = s[0];
    res->loss_ed = s[1];
    res->loss_st_ed = m->cfg.lw_st_ed * (s[0] + s[1]);
    res->loss_neg_ctx = s[2];
    res->loss_neg_q = s[3];
    res->loss = res->loss_st_ed + res->loss_neg_ctx + res->loss_neg_q;
}
static void hero__losses_videoqa(const hero_model *m, const float *s, hero_result *res) {
    res->loss_task = s[0];
    res->loss_st = s[1];
    res->loss_ed = s[2];
    res->loss_st_ed = 0.5f * (s[1] + s[2]);
    res->loss = s[0] + m->cfg.lw_st_ed * res->loss_st_ed;
}
static void hero__losses_violin(const hero_model *m, const float *s, hero_result *res) {
    (void)m;
    res->loss = res->loss_task = s[0];
}
/* ---- Fine-tuning heads: video QA (HeroForVideoQA) and VIOLIN (HeroForViolin) ----
   Both run the hierarchy up to the fused frames (hero__video_fwd), then the temporal encoder's
   embeddings on the frames, the cross-modal text embeddings (token type 1, positions from 0) on
   the appended text, and the temporal encoder layers over [frames ; text] with both masks. */

typedef struct hero__ft_act {
    int B, L, Lq, T;                             /* rows, frames, text length, T = L + Lq */
    float *c_res, *c_mean, *c_rstd, *c_emb;      /* frames: LN(transformed + pos) [B,L,H] */
    hero__fenc_act txt;                          /* text embeddings (t_emb [B,Lq,H]) */
    float *cat;                                  /* [B,T,H] */
    hero__layer_act layer[HERO_MAX_LAYERS];
    const float *out;                            /* [B,T,H] fused_sequence_output */
    float *video;                                /* [B,L,H] its frame part */
} hero__ft_act;

/* fused [B, L+Lq, H] = c layers([LN(transformed + c_pos) ; text embeddings]); s->video = its first L rows */
static int hero__ft_fwd(hero_model *m, hero__ft_act *s, const hero__prep *P, const float *transformed) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, B = b->B, L = b->L, Lq = b->Lq, T = L + Lq, rc;
    size_t BL = (size_t)B * L;
    s->B = B; s->L = L; s->Lq = Lq; s->T = T;
    s->c_res = HERO__NEWW(ar, float, BL * H); s->c_emb = HERO__NEWW(ar, float, BL * H);
    s->c_mean = HERO__NEWW(ar, float, BL); s->c_rstd = HERO__NEWW(ar, float, BL);
    s->cat = HERO__NEWW(ar, float, (size_t)B * T * H); s->video = HERO__NEWW(ar, float, BL * H);
    if (!s->c_res || !s->c_emb || !s->c_mean || !s->c_rstd || !s->cat || !s->video) return HERO_ENOMEM;
    hero__k_add_pos(ar, s->c_res, transformed, m->p.c_pos, B, L, H);
    hero__k_layernorm_fwd(ar, s->c_emb, s->c_mean, s->c_rstd, s->c_res, m->p.c_ln_w, m->p.c_ln_b, (int)BL, H, 1e-5f);
    memset(&s->txt, 0, sizeof(s->txt));
    s->txt.N = B; s->txt.Lt = Lq; s->txt.Lg = Lq; s->txt.ids = b->q_ids; s->txt.pos = b->q_pos; s->txt.mask = b->q_mask;
    s->txt.wmap = &P->qmap;
    if ((rc = hero__text_emb_fwd(m, &s->txt)) != 0) return rc;
    hero__k_rows_copy(ar, s->cat, T * H, NULL, s->c_emb, L * H, NULL, B, L * H);
    hero__k_rows_copy(ar, s->cat + (size_t)L * H, T * H, NULL, s->txt.t_emb, Lq * H, NULL, B, Lq * H);
    if ((rc = hero__encoder_fwd(ar, s->layer, m->p.c_layer, c->c_layers, s->cat, P->ft_mask, B, T, H, c->c_heads, c->c_inter,
                                c->layer_norm_eps, &s->out)) != 0)
        return rc;
    hero__k_rows_copy(ar, s->video, L * H, NULL, s->out, T * H, NULL, B, L * H);
    return 0;
}
/* its backward from dvideo [B,L,H] (the text outputs get no gradient) -> dtransformed [B,L,H] (+=) */
static int hero__ft_bwd(hero_model *m, hero__ft_act *s, const float *dvideo, float *dtr) {
    const hero_config *c = &m->cfg;
    hero_arena *ar = hero__act(m);
    int H = c->H, B = s->B, L = s->L, Lq = s->Lq, T = s->T, rc;
    size_t BL = (size_t)B * L;
    float *dout = HERO__NEW(ar, float, (size_t)B * T * H), *dcat = HERO__NEW(ar, float, (size_t)B * T * H);
    float *demb = HERO__NEW(ar, float, BL * H), *dres = HERO__NEW(ar, float, BL * H);
    float *dt = HERO__NEW(ar, float, (size_t)B * Lq * H);
    if (!dout || !dcat || !demb || !dres || !dt) return HERO_ENOMEM;
    hero__k_rows_copy(ar, dout, T * H, NULL, dvideo, L * H, NULL, B, L * H);
    if ((rc = hero__encoder_bwd(m, s->layer, m->p.c_layer, m->g.c_layer, c->c_layers, dcat, dout, B, T, H, c->c_inter)) != 0)
        return rc;
    hero__k_rows_copy(ar, demb, L * H, NULL, dcat, T * H, NULL, B, L * H);
    hero__k_rows_copy(ar, dt, Lq * H, NULL, dcat + (size_t)L * H, T * H, NULL, B, Lq * H);
    if ((rc = hero__text_emb_bwd(m, &s->txt, dt)) != 0) return rc;
    hero__k_layernorm_bwd(ar, dres, m->g.c_ln_w, m->g.c_ln_b, demb, s->c_res, s->c_mean, s->c_rstd, m->p.c_ln_w, (int)BL, H);
    hero__k_add_pos_bwd(ar, m->g.c_pos, dtr, dres, B, L, H);
    return 0;
}

/* VIDEOQA: Q questions x k candidates = B rows.
   qa:    alpha = softmax over frames of mask_logits(qa_pool(video)), qa_pooled [Q,k,H] = alpha video,
          logits [Q,k] = qa_pred_head(qa_pooled)
   st/ed: beta = softmax ACROSS THE k CANDIDATES of mask_logits(st_ed_pool(video)) per frame,
          st_ed_pooled [Q,L,H] = sum_a beta video, [st | ed] = st_ed_pred_head(st_ed_pooled) [Q,L,2],
          each masked with the first candidate's frame mask
   loss = CE(logits, answer) + lw_st_ed * (CE(st, st_idx) + CE(ed, ed_idx)) / 2 (-1 ignored) */
static int hero__task_videoqa(hero_model *m, hero__run *R, const hero__prep *P, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, B = b->B, L = b->L, k = b->n_cand, Q = B / k, rc;
    size_t BL = (size_t)B * L, QL = (size_t)Q * L;
    hero__ft_act *s = HERO__NEW(&m->arena, hero__ft_act, 1);
    hero__head_act *hq = &R->head, *hs = HERO__NEW(&m->arena, hero__head_act, 1);
    float *qs, *qa_pooled, *ss, *ssT, *videoT, *se_pooled, *st, *ed;
    if (!s || !hs) return HERO_ENOMEM;
    if ((rc = hero__video_fwd(m, R, P, res)) != 0) return rc;
    if ((rc = hero__ft_fwd(m, s, P, R->vid.transformed)) != 0) return rc;
    res->fused = s->out; res->fused_len = s->T;
    qs = HERO__NEWW(ar, float, BL); qa_pooled = HERO__NEWW(ar, float, (size_t)B * H);
    ss = HERO__NEWW(ar, float, BL); ssT = HERO__NEWW(ar, float, BL); videoT = HERO__NEWW(ar, float, BL * H);
    se_pooled = HERO__NEWW(ar, float, QL * H); st = HERO__NEWW(ar, float, QL); ed = HERO__NEWW(ar, float, QL);
    if (!qs || !qa_pooled || !ss || !ssT || !videoT || !se_pooled || !st || !ed) return HERO_ENOMEM;
    /* qa pooling over frames */
    hero__k_linear_fwd(ar, qs, s->video, m->p.qa_pool_w, NULL, (int)BL, H, 1);
    hero__k_mask_logits(ar, qs, b->c_attn_mask, BL);
    hero__k_modpool_fwd(ar, qs, qa_pooled, s->video, B, L, H);
    /* st/ed pooling across candidates: [Q,k,L] -> [Q,L,k] */
    hero__k_linear_fwd(ar, ss, s->video, m->p.se_pool_w, NULL, (int)BL, H, 1);
    hero__k_mask_logits(ar, ss, b->c_attn_mask, BL);
    hero__k_rows_copy(ar, ssT, 1, NULL, ss, 1, P->ft_tr, (int)BL, 1);
    hero__k_rows_copy(ar, videoT, H, NULL, s->video, H, P->ft_tr, (int)BL, H);
    hero__k_modpool_fwd(ar, ssT, se_pooled, videoT, (int)QL, k, H);
    res->pooled = qa_pooled; res->span_pooled = se_pooled;
    /* heads */
    if ((rc = hero__head_fwd(ar, hq, qa_pooled, B, H, 2 * H, 1, m->p.qa1_w, m->p.qa1_b, m->p.qa_ln_w, m->p.qa_ln_b, m->p.qa2_w,
                             m->p.qa2_b)) != 0)
        return rc;
    if ((rc = hero__head_fwd(ar, hs, se_pooled, (int)QL, H, 2 * H, 2, m->p.se1_w, m->p.se1_b, m->p.se_ln_w, m->p.se_ln_b,
                             m->p.se2_w, m->p.se2_b)) != 0)
        return rc;
    hero__k_rows_copy(ar, st, 1, NULL, hs->out, 2, NULL, (int)QL, 1);
    hero__k_rows_copy(ar, ed, 1, NULL, hs->out + 1, 2, NULL, (int)QL, 1);
    hero__k_mask_logits(ar, st, P->ft_qmask, QL);
    hero__k_mask_logits(ar, ed, P->ft_qmask, QL);
    res->scores = hq->out; res->n_rows = Q; res->n_cols = k;
    res->st_prob = st; res->ed_prob = ed;
    {
        float *dlog = NULL, *dst = NULL, *ded = NULL;
        if (backward) {
            dlog = HERO__NEW(ar, float, B); dst = HERO__NEW(ar, float, QL); ded = HERO__NEW(ar, float, QL);
            if (!dlog || !dst || !ded) return HERO_ENOMEM;
        }
        if ((rc = hero__k_xent_rows(ar, hq->out, Q, k, k, b->labels, NULL, dlog, 1.0f, &R->scal[0])) != 0) return rc;
        if ((rc = hero__k_xent_rows(ar, st, Q, L, L, P->vsm_tg, NULL, dst, c->lw_st_ed * 0.5f, &R->scal[1])) != 0) return rc;
        if ((rc = hero__k_xent_rows(ar, ed, Q, L, L, P->vsm_tg + Q, NULL, ded, c->lw_st_ed * 0.5f, &R->scal[2])) != 0) return rc;
        if (backward) {
            float *dqa = HERO__NEW(ar, float, (size_t)B * H), *dpred = HERO__NEW(ar, float, QL * 2);
            float *dse = HERO__NEW(ar, float, QL * H), *dvT = HERO__NEW(ar, float, BL * H), *dal = HERO__NEW(ar, float, BL);
            float *dssT = HERO__NEW(ar, float, BL), *dss = HERO__NEW(ar, float, BL), *dqs = HERO__NEW(ar, float, BL);
            float *dvideo = HERO__NEW(ar, float, BL * H), *dtr = HERO__NEW(ar, float, BL * H);
            if (!dqa || !dpred || !dse || !dvT || !dal || !dssT || !dss || !dqs || !dvideo || !dtr) return HERO_ENOMEM;
            if ((rc = hero__head_bwd(ar, hq, dqa, dlog, m->p.qa1_w, m->p.qa_ln_w, m->p.qa2_w, m->g.qa1_w, m->g.qa1_b, m->g.qa_ln_w,
                                     m->g.qa_ln_b, m->g.qa2_w, m->g.qa2_b)) != 0)
                return rc;
            hero__k_mul_mask(ar, dst, P->ft_qmask, QL);
            hero__k_mul_mask(ar, ded, P->ft_qmask, QL);
            hero__k_rows_copy(ar, dpred, 2, NULL, dst, 1, NULL, (int)QL, 1);
            hero__k_rows_copy(ar, dpred + 1, 2, NULL, ded, 1, NULL, (int)QL, 1);
            if ((rc = hero__head_bwd(ar, hs, dse, dpred, m->p.se1_w, m->p.se_ln_w, m->p.se2_w, m->g.se1_w, m->g.se1_b, m->g.se_ln_w,
                                     m->g.se_ln_b, m->g.se2_w, m->g.se2_b)) != 0)
                return rc;
            /* st/ed pooling backward, then back to [Q,k,L] order */
            hero__k_modpool_bwd(ar, dvT, dal, dssT, dse, videoT, ssT, (int)QL, k, H);
            hero__k_rows_copy(ar, dvideo, H, P->ft_tr, dvT, H, NULL, (int)BL, H);
            hero__k_rows_copy(ar, dss, 1, P->ft_tr, dssT, 1, NULL, (int)BL, 1);
            hero__k_mul_mask(ar, dss, b->c_attn_mask, BL);
            hero__k_linear_bwd(ar, dvideo, m->g.se_pool_w, NULL, dss, s->video, m->p.se_pool_w, (int)BL, H, 1);
            /* qa pooling backward */
            hero__k_modpool_bwd(ar, dvideo, dal, dqs, dqa, s->video, qs, B, L, H);
            hero__k_mul_mask(ar, dqs, b->c_attn_mask, BL);
            hero__k_linear_bwd(ar, dvideo, m->g.qa_pool_w, NULL, dqs, s->video, m->p.qa_pool_w, (int)BL, H, 1);
            if ((rc = hero__ft_bwd(m, s, dvideo, dtr)) != 0) return rc;
            return hero__video_bwd(m, R, P, dtr);
        }
    }
    return 0;
}

/* VIOLIN: alpha = softmax over frames of mask_logits(violin_pool(video)), pooled [B,H] = alpha video,
   logits [B,1] = violin_pred_head(pooled); loss = mean binary cross-entropy of sigmoid(logits), as
   the two-class cross-entropy of [0, logit] (the same value; torch's BCE also clamps its logs at
   -100, which only differs for |logit| > ~17) */
static int hero__task_violin(hero_model *m, hero__run *R, const hero__prep *P, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    const hero_batch *b = &P->d;
    hero_arena *ar = hero__act(m);
    int H = c->H, B = b->B, L = b->L, rc;
    size_t BL = (size_t)B * L;
    hero__ft_act *s = HERO__NEW(&m->arena, hero__ft_act, 1);
    float *vs, *pooled, *two, *dtwo = NULL;
    if (!s) return HERO_ENOMEM;
    if ((rc = hero__video_fwd(m, R, P, res)) != 0) return rc;
    if ((rc = hero__ft_fwd(m, s, P, R->vid.transformed)) != 0) return rc;
    res->fused = s->out; res->fused_len = s->T;
    vs = HERO__NEWW(ar, float, BL); pooled = HERO__NEWW(ar, float, (size_t)B * H); two = HERO__NEW(ar, float, 2 * (size_t)B);
    if (!vs || !pooled || !two) return HERO_ENOMEM;
    hero__k_linear_fwd(ar, vs, s->video, m->p.vl_pool_w, NULL, (int)BL, H, 1);
    hero__k_mask_logits(ar, vs, b->c_attn_mask, BL);
    hero__k_modpool_fwd(ar, vs, pooled, s->video, B, L, H);
    res->pooled = pooled;
    if ((rc = hero__head_fwd(ar, &R->head, pooled, B, H, 2 * H, 1, m->p.vl1_w, m->p.vl1_b, m->p.vl_ln_w, m->p.vl_ln_b, m->p.vl2_w,
                             m->p.vl2_b)) != 0)
        return rc;
    res->scores = R->head.out; res->n_rows = B; res->n_cols = 1;
    hero__k_rows_copy(ar, two + 1, 2, NULL, R->head.out, 1, NULL, B, 1);
    if (backward && !(dtwo = HERO__NEW(ar, float, 2 * (size_t)B))) return HERO_ENOMEM;
    if ((rc = hero__k_xent_rows(ar, two, B, 2, 2, b->labels, NULL, dtwo, 1.0f, &R->scal[0])) != 0) return rc;
    if (backward) {
        float *dlog = HERO__NEW(ar, float, B), *dp = HERO__NEW(ar, float, (size_t)B * H), *dal = HERO__NEW(ar, float, BL);
        float *dvs = HERO__NEW(ar, float, BL), *dvideo = HERO__NEW(ar, float, BL * H), *dtr = HERO__NEW(ar, float, BL * H);
        if (!dlog || !dp || !dal || !dvs || !dvideo || !dtr) return HERO_ENOMEM;
        hero__k_rows_copy(ar, dlog, 1, NULL, dtwo + 1, 2, NULL, B, 1);
        if ((rc = hero__head_bwd(ar, &R->head, dp, dlog, m->p.vl1_w, m->p.vl_ln_w, m->p.vl2_w, m->g.vl1_w, m->g.vl1_b, m->g.vl_ln_w,
                                 m->g.vl_ln_b, m->g.vl2_w, m->g.vl2_b)) != 0)
            return rc;
        hero__k_modpool_bwd(ar, dvideo, dal, dvs, dp, s->video, vs, B, L, H);
        hero__k_mul_mask(ar, dvs, b->c_attn_mask, BL);
        hero__k_linear_bwd(ar, dvideo, m->g.vl_pool_w, NULL, dvs, s->video, m->p.vl_pool_w, (int)BL, H, 1);
        if ((rc = hero__ft_bwd(m, s, dvideo, dtr)) != 0) return rc;
        return hero__video_bwd(m, R, P, dtr);
    }
    return 0;
}

HERODEF int hero_qa_eval(const float *logits, int n, int cols, const int32_t *labels, int64_t *pred, double *loss,
                         double *acc) {
    int i, j, gt = labels != NULL, correct = 0;
    double sum = 0;
    if (!logits || n < 0 || cols < 1 || !loss || !acc) return HERO_EINVAL;
    for (i = 0; i < n && gt; i++) if (labels[i] < 0 || labels[i] >= (cols > 1 ? cols : 2)) gt = 0;
    for (i = 0; i < n; i++) {
        const float *x = logits + (size_t)i * cols;
        int p = 0;
        if (cols > 1) {
            float mx = x[0], se = 0;
            for (j = 1; j < cols; j++) if (x[j] > x[p]) p = j;
            for (j = 1; j < cols; j++) if (x[j] > mx) mx = x[j];
            for (j = 0; j < cols; j++) se += expf(x[j] - mx);
            if (gt) sum += (double)(logf(se) + mx - x[labels[i]]);
        } else {
            float sg = 1.0f / (1.0f + expf(-x[0]));
            p = sg > 0.5f;
            if (gt) {
                float l1 = logf(sg), l0 = logf(1.0f - sg);
                if (l1 < -100.0f) l1 = -100.0f;
                if (l0 < -100.0f) l0 = -100.0f;
                sum -= (double)(labels[i] ? l1 : l0);
            }
        }
        if (pred) pred[i] = p;
        if (gt && p == labels[i]) correct++;
    }
    *loss = gt && n ? sum / n : NAN;
    *acc = gt && n ? (double)correct / n : NAN;
    return 0;
}

/* the losses, read back once after the whole pass (the only copy to the host) */
static int hero__finish(hero_model *m, hero__run *R, const hero__task_desc *T, hero_result *res) {
    float s[4];
    int rc = hero__k_to_host(hero__act(m), s, R->scal, sizeof(s));
    if (rc) return rc;
    T->losses(m, s, res);
    return 0;
}

/* resets both arenas (one on the CPU) */
static hero_arena *hero__begin_pass(hero_model *m) {
    hero_arena *ar = hero__act(m);
    hero__arena_reset(&m->arena);
    if (ar != &m->arena) hero__arena_reset(ar);
    m->arena.owner = ar->owner = m;
    m->arena.fwd_only = ar->fwd_only = 0;
    m->arena.wfmt = ar->wfmt = m->wq ? &((hero__lean *)m->wq)->f : NULL; /* lean inference: reduced-format matrices */
    return ar;
}

/* dc: section 20's VSM context (HERO_MPI), else NULL */
static int hero__forward_backward(hero_model *m, const hero_batch *b, int backward, const float *repr_grad,
                                  hero_result *res, struct hero__dist_call *dc, hero_error *err) {
    const hero__task_desc *T = hero__task_of(b->task);
    hero__run *R;
    hero__prep *P;
    hero_arena *ar;
    hero_error inner; /* the reason an inner step gives: the caller gets it with the task and stage */
#ifdef HERO_MPI
    hero_error *outer = err;
#endif
    int rc;
    if (!T) return hero__fail(err, HERO_EINVAL, "batch: unknown task %d", (int)b->task);
    if ((rc = hero__check_batch(m, b, T, err)) != 0) return rc;
    if (backward && m->inference_only)
        return hero__fail(err, HERO_EINVAL, "forward_backward: the model is inference-only (%s weights, no gradients): no backward",
                          hero_wtype_name(m->wtype));
    ar = hero__begin_pass(m);
    m->arena.fwd_only = ar->fwd_only = !backward; /* no backward: no layer activations kept */
    memset(res, 0, sizeof(*res));
    R = HERO__NEW(&m->arena, hero__run, 1);
    P = HERO__NEW(&m->arena, hero__prep, 1);
    if (!R || !P) return hero__fail(err, HERO_ENOMEM, "forward/backward (task %s): out of host memory", T->name);
    memset(&inner, 0, sizeof(inner));
    R->err = &inner;
    R->stage = "prepare";
#ifdef HERO_MPI
    R->dc = dc;
    if (dc) outer = hero__dist_call_err(dc, &inner); /* its failures: inner, with the task and stage below */
#else
    (void)dc;
#endif
    if ((rc = hero__prepare(m, P, b, repr_grad, T)) == 0 && (rc = hero__prep_flush(P, ar)) == 0 &&
        !(R->scal = HERO__NEW(ar, float, 4)))
        rc = HERO_ENOMEM;
    if (!rc) {
        R->stage = "forward";
        rc = T->run(m, R, P, backward, res);
    }
    if (!rc) {
        R->stage = "losses";
        rc = hero__finish(m, R, T, res);
    }
#ifdef HERO_MPI
    if (dc) hero__dist_call_err(dc, outer);
#endif
    if (!rc) return 0;
    if (inner.msg[0]) return hero__fail(err, rc, "forward/backward (task %s, %s): %s", T->name, R->stage, inner.msg);
    if (rc == HERO_ENOMEM)
        return hero__fail(err, rc, "forward/backward (task %s, %s): out of %s memory (arena %zu bytes)", T->name, R->stage,
                          hero__be(ar)->memory, ar->total);
    if (rc == HERO_EDEVICE) return hero__fail(err, rc, "forward/backward (task %s, %s): %s", T->name, R->stage, hero__k_errmsg(ar));
    return hero__fail(err, rc, "forward/backward (task %s, %s): %s", T->name, R->stage, hero_strerror(rc));
}
HERODEF int hero_forward_backward(hero_model *m, const hero_batch *b, int backward, const float *repr_grad,
                                  hero_result *res, hero_error *err) {
    return hero__forward_backward(m, b, backward, repr_grad, res, NULL, err);
}

/* ======================================================================================
   10. Retrieval inference (the official VCMR evaluation's scores)
   ====================================================================================== */

HERODEF int hero_encode_queries(hero_model *m, const int32_t *ids, const int32_t *mask, int Nq, int Lq, float *mq,
                                hero_error *err) {
    hero__query_act *q;
    hero__prep *P;
    hero_arena *ar;
    int32_t *pos;
    const int32_t *dids, *dmask, *dpos;
    int i, rc;
    if (Nq <= 0 || Lq <= 0 || Lq > m->cfg.f_max_pos || Lq > m->cfg.q_max_pos)
        return hero__fail(err, HERO_EINVAL, "encode_queries: %d queries of length %d (max %d)", Nq, Lq, m->cfg.q_max_pos);
    for (i = 0; i < Nq * Lq; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.Vp) return hero__fail(err, HERO_EINVAL, "encode_queries: token id %d out of range", ids[i]);
    ar = hero__begin_pass(m);
    q = HERO__NEW(&m->arena, hero__query_act, 1);
    P = HERO__NEW(&m->arena, hero__prep, 1);
    pos = HERO__NEW(&m->arena, int32_t, Lq);
    if (!q || !P || !pos) return hero__fail(err, HERO_ENOMEM, "encode_queries: out of memory");
    for (i = 0; i < Lq; i++) pos[i] = i;
    dids = (const int32_t *)hero__prep_put(P, ar, ids, (size_t)Nq * Lq * sizeof(int32_t));
    dmask = (const int32_t *)hero__prep_put(P, ar, mask, (size_t)Nq * Lq * sizeof(int32_t));
    dpos = (const int32_t *)hero__prep_put(P, ar, pos, (size_t)Lq * sizeof(int32_t));
    if ((rc = hero__prep_flush(P, ar)) != 0 || (rc = hero__query_fwd(m, q, dids, dpos, dmask, Nq, Lq)) != 0 ||
        (rc = hero__k_to_host(ar, mq, q->mq, (size_t)Nq * m->cfg.H * sizeof(float))) != 0)
        return hero__fail(err, rc, "encode_queries: %s", rc == HERO_EDEVICE ? hero__k_errmsg(ar) : "out of memory");
    return 0;
}

HERODEF int hero_vcmr_scores(hero_model *m, const float *mq, int Nq, const float *frames, const int32_t *mask, int B, int L,
                             float *q2video, float *st, float *ed, hero_error *err) {
    hero__vsm_act *s;
    hero__prep *P;
    hero_arena *ar;
    const float *dmq, *dfr;
    const int32_t *dmask;
    int rc;
    if (Nq <= 0 || B <= 0 || L <= 0) return hero__fail(err, HERO_EINVAL, "vcmr_scores: %d queries, %d videos of %d frames", Nq, B, L);
    ar = hero__begin_pass(m);
    s = HERO__NEW(&m->arena, hero__vsm_act, 1);
    P = HERO__NEW(&m->arena, hero__prep, 1);
    if (!s || !P) return hero__fail(err, HERO_ENOMEM, "vcmr_scores: out of memory");
    dmq = (const float *)hero__prep_put(P, ar, mq, (size_t)Nq * m->cfg.H * sizeof(float));
    dfr = (const float *)hero__prep_put(P, ar, frames, (size_t)B * L * m->cfg.H * sizeof(float));
    dmask = (const int32_t *)hero__prep_put(P, ar, mask, (size_t)B * L * sizeof(int32_t));
    if ((rc = hero__prep_flush(P, ar)) != 0 || (rc = hero__vsm_fwd(m, s, dmq, Nq, dfr, dmask, B, L)) != 0 ||
        (q2video && (rc = hero__k_to_host(ar, q2video, s->q2v, (size_t)Nq * B * sizeof(float))) != 0) ||
        (st && (rc = hero__k_to_host(ar, st, s->st, (size_t)Nq * B * L * sizeof(float))) != 0) ||
        (ed && (rc = hero__k_to_host(ar, ed, s->ed, (size_t)Nq * B * L * sizeof(float))) != 0))
        return hero__fail(err, rc, "vcmr_scores: %s", rc == HERO_EDEVICE ? hero__k_errmsg(ar) : "out of memory");
    return 0;
}

/* ======================================================================================
   11. Loading: the official model-config JSON, then a checkpoint's tensors by official name
   ====================================================================================== */

static int hero__json_int(const hero_json *o, const char *key, int *out, int required, const char *path,
                          const char *block, hero_error *err) {
    const hero_json *v = hero_json_get(o, key);
    if (!v) {
        if (required) return hero__fail(err, HERO_EMISSING, "%s: \"%s\" has no \"%s\"", path, block, key);
        return 0;
    }
    if (v->type != HERO_JSON_NUMBER || v->number != floor(v->number) || v->number < 0 || v->number > 1e9)
        return hero__fail(err, HERO_EFORMAT, "%s: \"%s.%s\" must be a non-negative integer", path, block, key);
    *out = (int)v->number;
    return 0;
}

static int hero__json_float(const hero_json *o, const char *key, float *out, const char *path, hero_error *err) {
    const hero_json *v = hero_json_get(o, key);
    if (!v) return 0;
    if (v->type == HERO_JSON_BOOL) { *out = (float)v->boolean; return 0; }
    if (v->type != HERO_JSON_NUMBER) return hero__fail(err, HERO_EFORMAT, "%s: \"hero.%s\" must be a number", path, key);
    *out = (float)v->number;
    return 0;
}

HERODEF int hero_config_from_json(hero_config *c, const char *path, hero_error *err) {
    hero_json root;
    const hero_json *f, *cc, *q, *h;
    int rc, H2 = 0, H3 = 0;
    memset(c, 0, sizeof(*c));
    if ((rc = hero_json_read_file(path, &root, err)) != 0) return rc;
    f = hero_json_get(&root, "f_config");
    cc = hero_json_get(&root, "c_config");
    q = hero_json_get(&root, "q_config");
    if (!f || !cc || !q || f->type != HERO_JSON_OBJECT || cc->type != HERO_JSON_OBJECT || q->type != HERO_JSON_OBJECT) {
        hero_json_free(&root);
        return hero__fail(err, HERO_EFORMAT, "%s: not a HERO model config (needs objects f_config, c_config, q_config)", path);
    }
    hero_config_default_losses(c);
    c->F = 4352; c->max_frm_seq_len = 100; c->fom_classes = 100;
    if ((rc = hero__json_int(f, "hidden_size", &c->H, 1, path, "f_config", err)) ||
        (rc = hero__json_int(f, "num_attention_heads", &c->f_heads, 1, path, "f_config", err)) ||
        (rc = hero__json_int(f, "intermediate_size", &c->f_inter, 1, path, "f_config", err)) ||
        (rc = hero__json_int(f, "num_hidden_layers", &c->f_layers, 1, path, "f_config", err)) ||
        (rc = hero__json_int(f, "max_position_embeddings", &c->f_max_pos, 1, path, "f_config", err)) ||
        (rc = hero__json_int(f, "vocab_size", &c->V, 1, path, "f_config", err)) ||
        (rc = hero__json_int(cc, "hidden_size", &H2, 1, path, "c_config", err)) ||
        (rc = hero__json_int(cc, "num_attention_heads", &c->c_heads, 1, path, "c_config", err)) ||
        (rc = hero__json_int(cc, "intermediate_size", &c->c_inter, 1, path, "c_config", err)) ||
        (rc = hero__json_int(cc, "num_hidden_layers", &c->c_layers, 1, path, "c_config", err)) ||
        (rc = hero__json_int(cc, "max_position_embeddings", &c->c_max_pos, 1, path, "c_config", err)) ||
        (rc = hero__json_int(q, "hidden_size", &H3, 1, path, "q_config", err)) ||
        (rc = hero__json_int(q, "num_attention_heads", &c->q_heads, 1, path, "q_config", err)) ||
        (rc = hero__json_int(q, "max_position_embeddings", &c->q_max_pos, 1, path, "q_config", err))) {
        hero_json_free(&root);
        return rc;
    }
    if ((h = hero_json_get(f, "layer_norm_eps")) != NULL) { /* present: a number, else an error like the other keys */
        if (h->type != HERO_JSON_NUMBER) {
            hero_json_free(&root);
            return hero__fail(err, HERO_EFORMAT, "%s: \"f_config.layer_norm_eps\" must be a number", path);
        }
        if (h->number > 0) c->layer_norm_eps = (float)h->number;
    }
    if (H2 != c->H || H3 != c->H) {
        hero_json_free(&root);
        return hero__fail(err, HERO_EINVAL, "%s: hidden sizes differ (f %d, c %d, q %d); HERO needs them equal", path, c->H, H2, H3);
    }
    c->Vp = (c->V + 7) / 8 * 8;
    h = hero_json_get(&root, "hero");
    if (h && h->type == HERO_JSON_OBJECT) {
        const hero_json *r = hero_json_get(h, "ranking_loss_type");
        float t = 0;
        if ((rc = hero__json_int(h, "vfeat_dim", &c->F, 0, path, "hero", err)) ||
            (rc = hero__json_int(h, "max_frm_seq_len", &c->max_frm_seq_len, 0, path, "hero", err)) ||
            (rc = hero__json_int(h, "max_clip_len", &c->fom_classes, 0, path, "hero", err)) ||
            (rc = hero__json_int(h, "hard_pool_size", &c->hard_pool_size, 0, path, "hero", err)) ||
            (rc = hero__json_int(h, "conv_kernel_size", &c->conv_k, 0, path, "hero", err)) ||
            (rc = hero__json_float(h, "nce_temp", &c->nce_temp, path, err)) ||
            (rc = hero__json_float(h, "margin", &c->margin, path, err)) ||
            (rc = hero__json_float(h, "lw_st_ed", &c->lw_st_ed, path, err)) ||
            (rc = hero__json_float(h, "lw_neg_ctx", &c->lw_neg_ctx, path, err)) ||
            (rc = hero__json_float(h, "lw_neg_q", &c->lw_neg_q, path, err)) ||
            (rc = hero__json_float(h, "hard_neg_weight", &c->hard_neg_weight, path, err))) {
            hero_json_free(&root);
            return rc;
        }
        t = (float)c->use_hard_negative;
        if ((rc = hero__json_float(h, "use_hard_negative", &t, path, err)) != 0) { hero_json_free(&root); return rc; }
        c->use_hard_negative = t != 0.0f;
        if (r && r->type == HERO_JSON_STRING) {
            if (strcmp(r->string, "lse") == 0) c->ranking_lse = 1;
            else if (strcmp(r->string, "hinge") == 0) c->ranking_lse = 0;
            else {
                rc = hero__fail(err, HERO_EINVAL, "%s: ranking_loss_type \"%s\" (hinge or lse)", path, r->string);
                hero_json_free(&root); /* after the message: r->string lives in root */
                return rc;
            }
        }
    }
    hero_json_free(&root);
    return hero__check_config(c, err);
}

/* the extra keys of the official state dict that are not parameters of their own */
static const char *hero__tied_key = "v_encoder.f_encoder.lm_head.decoder.weight";
static int hero__is_buffer_key(const char *k) {
    return strcmp(k, "v_encoder.pad") == 0 || strcmp(k, "v_encoder.f_encoder.pad") == 0;
}

static void hero__report_add(char *list, size_t cap, int *count, const char *key) {
    size_t len = strlen(list);
    if (len + strlen(key) + 3 < cap) {
        if (len) strcat(list, ", ");
        strcat(list, key);
    }
    (*count)++;
}

/* copies one file tensor into a parameter after checking its shape */
static int hero__load_param(hero_param *p, const hero_tensor_info *t, const char *path, hero_error *err) {
    int d, ok = t->ndim == p->ndim;
    for (d = 0; ok && d < p->ndim; d++) ok = t->shape[d] == p->shape[d];
    if (!ok) {
        char want[64], got[160];
        int o = 0;
        snprintf(want, sizeof(want), "[%d%s%.0d%s%.0d]", p->shape[0], p->ndim > 1 ? "," : "", p->ndim > 1 ? p->shape[1] : 0,
                 p->ndim > 2 ? "," : "", p->ndim > 2 ? p->shape[2] : 0);
        o += snprintf(got, sizeof(got), "[");
        for (d = 0; d < t->ndim && o < (int)sizeof(got) - 24; d++) o += snprintf(got + o, sizeof(got) - o, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        snprintf(got + o, sizeof(got) - o, "]");
        return hero__fail(err, HERO_ESHAPE, "%s: tensor %s has shape %s, the model expects %s", path, p->name, got, want);
    }
    if (p->wtype != HERO_W_F32) { /* a reduced-format matrix: converted through f32, 256 rows at a time */
        int r0, nr, rc = 0, K = p->shape[1];
        float *tmp = (float *)HERO_MALLOC((size_t)256 * (size_t)K * sizeof(float));
        if (!tmp) return hero__fail(err, HERO_ENOMEM, "%s: out of memory converting %s to %s", path, p->name, hero_wtype_name(p->wtype));
        for (r0 = 0; r0 < p->shape[0] && !rc; r0 += nr) {
            hero_tensor_info v = *t; /* a view of rows [r0, r0 + nr) */
            nr = p->shape[0] - r0 < 256 ? p->shape[0] - r0 : 256;
            v.shape[0] = nr;
            v.offset = t->offset + (int64_t)r0 * t->stride[0];
            if ((rc = hero_tensor_read_f32(&v, tmp, (int64_t)nr * K, err)) == 0) hero__wmat_quantize_rows(&p->wmat, tmp, r0, nr);
        }
        HERO_FREE(tmp);
        return rc;
    }
    return hero_tensor_read_f32(t, p->data, (int64_t)p->numel, err);
}

/* a q8_0 pair of a file (NAME.q8_0 i8 [O, K], NAME.q8_0_scale f16 [O, nb], both contiguous) into
   a parameter of any format */
static int hero__load_param_q8(hero_param *p, const hero_tensor_info *tq, const hero_tensor_info *ts, const char *path,
                               hero_error *err) {
    int O = p->shape[0], K = p->ndim == 2 ? p->shape[1] : 0, nb = (K + HERO_Q8_BLOCK - 1) / HERO_Q8_BLOCK, o, k;
    const int8_t *q;
    const unsigned char *sc;
    float *row;
    if (p->ndim != 2 || tq->dtype != HERO_I8 || tq->ndim != 2 || tq->shape[0] != O || tq->shape[1] != K || tq->stride[1] != 1 ||
        tq->stride[0] != K || ts->dtype != HERO_F16 || ts->ndim != 2 || ts->shape[0] != O || ts->shape[1] != nb ||
        ts->stride[1] != 1 || ts->stride[0] != nb)
        return hero__fail(err, HERO_ESHAPE,
                          "%s: %s as q8_0 needs %s" HERO_Q8_SUFFIX " i8 [%d,%d] and %s" HERO_Q8_SCALE_SUFFIX
                          " f16 [%d,%d], contiguous; found %s [%lld,%lld] and %s [%lld,%lld]",
                          path, p->name, p->name, O, K, p->name, O, nb, hero_dtype_name(tq->dtype), (long long)tq->shape[0],
                          (long long)(tq->ndim > 1 ? tq->shape[1] : 0), hero_dtype_name(ts->dtype), (long long)ts->shape[0],
                          (long long)(ts->ndim > 1 ? ts->shape[1] : 0));
    q = (const int8_t *)(const void *)(tq->storage + tq->offset);
    sc = ts->storage + 2 * ts->offset;
    if (p->wtype == HERO_W_Q8_0) { /* the same numbers: copied (rows padded to whole blocks) */
        int8_t *dq = (int8_t *)(uintptr_t)p->wmat.data;
        uint16_t *ds = (uint16_t *)(uintptr_t)p->wmat.scale;
        for (o = 0; o < O; o++) {
            memcpy(dq + (size_t)o * nb * HERO_Q8_BLOCK, q + (size_t)o * K, (size_t)K);
            memset(dq + (size_t)o * nb * HERO_Q8_BLOCK + K, 0, (size_t)(nb * HERO_Q8_BLOCK - K));
        }
        for (k = 0; k < O * nb; k++) ds[k] = (uint16_t)(sc[2 * (size_t)k] | (sc[2 * (size_t)k + 1] << 8));
        return 0;
    }
    if (!(row = (float *)HERO_MALLOC((size_t)K * sizeof(float))))
        return hero__fail(err, HERO_ENOMEM, "%s: out of memory converting %s", path, p->name);
    for (o = 0; o < O; o++) {
        float *dst = p->wtype == HERO_W_F32 ? p->data + (size_t)o * K : row;
        for (k = 0; k < K; k++)
        {
            const unsigned char *d = sc + 2 * ((size_t)o * nb + k / HERO_Q8_BLOCK);
            dst[k] = hero_f16_to_f32((uint16_t)(d[0] | (d[1] << 8))) * (float)q[(size_t)o * K + k];
        }
        if (p->wtype != HERO_W_F32) hero__wmat_quantize_rows(&p->wmat, row, o, 1);
    }
    HERO_FREE(row);
    return 0;
}

/* A reduced-format matrix used in place from a mapped file (no copy): the file holds it in
   the model's format, contiguous and aligned (bf16 / f16: NAME; q8_0: NAME.q8_0 with K a
   multiple of 32, so that its rows are the model's, and NAME.q8_0_scale). 1 when done. */
static int hero__map_param(hero_param *p, const hero_tensorfile *tf, const hero_tensor_info *t) {
    int O = p->shape[0], K = p->ndim == 2 ? p->shape[1] : 0;
    if (p->wtype == HERO_W_F32 || !tf->map_len || p->ndim != 2) return 0;
    if (p->wtype == HERO_W_Q8_0) {
        char qn[160], sn[160];
        const hero_tensor_info *tq, *ts;
        const unsigned char *q, *sc;
        int nb = K / HERO_Q8_BLOCK;
        if (t || K % HERO_Q8_BLOCK) return 0;
        snprintf(qn, sizeof(qn), "%s" HERO_Q8_SUFFIX, p->name);
        snprintf(sn, sizeof(sn), "%s" HERO_Q8_SCALE_SUFFIX, p->name);
        tq = hero_tensorfile_find(tf, qn);
        ts = hero_tensorfile_find(tf, sn);
        if (!tq || !ts || tq->dtype != HERO_I8 || tq->ndim != 2 || tq->shape[0] != O || tq->shape[1] != K || tq->stride[0] != K ||
            tq->stride[1] != 1 || ts->dtype != HERO_F16 || ts->ndim != 2 || ts->shape[0] != O || ts->shape[1] != nb ||
            ts->stride[0] != nb || ts->stride[1] != 1)
            return 0;
        q = tq->storage + tq->offset;
        sc = ts->storage + 2 * ts->offset;
        if ((uintptr_t)sc & 1) return 0;
        p->wmat.data = q;
        p->wmat.scale = (const uint16_t *)(const void *)sc;
        return 1;
    }
    if (!t || t->dtype != (p->wtype == HERO_W_BF16 ? HERO_BF16 : HERO_F16) || t->ndim != 2 || t->shape[0] != O ||
        t->shape[1] != K || t->stride[0] != K || t->stride[1] != 1 || ((uintptr_t)(t->storage + 2 * t->offset) & 1))
        return 0;
    p->wmat.data = t->storage + 2 * t->offset;
    return 1;
}

/* NAME, or the q8_0 data NAME.q8_0 (same shape) */
static const hero_tensor_info *hero__find_w(const hero_tensorfile *tf, const char *name) {
    char qn[160];
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    if (t) return t;
    snprintf(qn, sizeof(qn), "%s" HERO_Q8_SUFFIX, name);
    return hero_tensorfile_find(tf, qn);
}
/* 1 when k is NAME.q8_0 / NAME.q8_0_scale of a parameter NAME of m */
static int hero__is_q8_key(hero_model *m, const char *k) {
    char base[160];
    size_t l = strlen(k), a = strlen(HERO_Q8_SUFFIX), b = strlen(HERO_Q8_SCALE_SUFFIX), n = 0;
    if (l > a && strcmp(k + l - a, HERO_Q8_SUFFIX) == 0) n = l - a;
    else if (l > b && strcmp(k + l - b, HERO_Q8_SCALE_SUFFIX) == 0) n = l - b;
    if (!n || n >= sizeof(base)) return 0;
    memcpy(base, k, n);
    base[n] = 0;
    return hero_model_param(m, base) != NULL || strcmp(base, hero__tied_key) == 0;
}

/* a file that is not a state dict, or shares no name with the model: an error, not a model
   left at its initial values with every key reported missing. Checked before anything is copied. */
static int hero__check_state_dict(const hero_model *m, const hero_tensorfile *tf, hero_error *err) {
    int i;
    if (tf->root_kind && strcmp(tf->root_kind, "dict") != 0) {
        char items[40] = "";
        if (tf->root_items) snprintf(items, sizeof items, " of %lld items", (long long)tf->root_items);
        return hero__fail(err, HERO_EFORMAT, "%s: not a state dict: the pickled root object is %s %s%s, not a dict of tensors",
                          tf->path, strchr("aeiou", tf->root_kind[0]) ? "an" : "a", tf->root_kind, items);
    }
    if (hero_tensorfile_find(tf, hero__tied_key)) return 0;
    for (i = 0; i < m->n_params; i++)
        if (hero__find_w(tf, m->table[i].name)) return 0; /* NAME, or a q8_0 file's NAME.q8_0 */
    if (!tf->n_tensors)
        return hero__fail(err, HERO_EFORMAT, "%s: not a state dict: no tensors (%d other entries), none of the model's %d parameters",
                          tf->path, tf->n_entries, m->n_params);
    return hero__fail(err, HERO_EFORMAT, "%s: none of the model's %d parameters (e.g. %s) is in the file; it holds %d tensors "
                      "named like '%.200s'", tf->path, m->n_params, m->n_params ? m->table[0].name : "-", tf->n_tensors,
                      tf->tensors[0].name);
}

HERODEF int hero_model_load_state(hero_model *m, const hero_tensorfile *tf, hero_load_report *report, hero_error *err) {
    hero_load_report local;
    int i, rc;
    const hero_tensor_info *tied;
    if (!report) report = &local;
    memset(report, 0, sizeof(*report));
    if (!m || !m->table || !tf) return hero__fail(err, HERO_EINVAL, "hero_model_load_state: NULL or uninitialised model, or NULL file");
    if ((rc = hero__check_state_dict(m, tf, err)) != 0) return rc;
    for (i = 0; i < m->n_params; i++) {
        const hero_tensor_info *t = hero_tensorfile_find(tf, m->table[i].name);
        hero__lean *L = (hero__lean *)m->wq;
        if (L && L->map_src == (const void *)tf && hero__map_param(&m->table[i], tf, t)) { /* used in place */
            L->n_mapped++;
            report->n_loaded++;
            continue;
        }
        if (!t) {
            char qn[160], sn[160];
            const hero_tensor_info *tq, *ts;
            snprintf(qn, sizeof(qn), "%s" HERO_Q8_SUFFIX, m->table[i].name);
            snprintf(sn, sizeof(sn), "%s" HERO_Q8_SCALE_SUFFIX, m->table[i].name);
            if ((tq = hero_tensorfile_find(tf, qn)) != NULL && (ts = hero_tensorfile_find(tf, sn)) != NULL) {
                if ((rc = hero__load_param_q8(&m->table[i], tq, ts, tf->path, err)) != 0) return rc;
                report->n_loaded++;
                continue;
            }
            if (m->table[i].wtype != HERO_W_F32) /* stays zero, as hero_model_init makes it */
                memset((void *)(uintptr_t)m->table[i].wmat.data, 0, hero__wmat_bytes(m->table[i].wtype, m->table[i].shape[0], m->table[i].shape[1]));
            hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, m->table[i].name);
            continue;
        }
        if ((rc = hero__load_param(&m->table[i], t, tf->path, err)) != 0) return rc;
        report->n_loaded++;
    }
    tied = hero_tensorfile_find(tf, hero__tied_key);
    if (tied) { /* the decoder is the word table: loaded after it, as the official module order does */
        hero_param *w = hero_model_param(m, "v_encoder.f_encoder.embeddings.word_embeddings.weight");
        if ((rc = hero__load_param(w, tied, tf->path, err)) != 0) return rc;
    } else {
        /* a safetensors file may declare the tie instead of storing the table twice (hero_convert) */
        const char *tie = hero_tensorfile_meta(tf, "tied");
        if (!tie || !strstr(tie, hero__tied_key) || !hero__find_w(tf, "v_encoder.f_encoder.embeddings.word_embeddings.weight"))
            hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, hero__tied_key);
    }
    if (!hero_tensorfile_find(tf, "v_encoder.pad")) hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, "v_encoder.pad");
    if (!hero_tensorfile_find(tf, "v_encoder.f_encoder.pad")) hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, "v_encoder.f_encoder.pad");
    for (i = 0; i < tf->n_tensors; i++) {
        const char *k = tf->tensors[i].name;
        if (!hero_model_param(m, k) && strcmp(k, hero__tied_key) != 0 && !hero__is_buffer_key(k) && !hero__is_q8_key(m, k))
            hero__report_add(report->unexpected, sizeof(report->unexpected), &report->n_unexpected, k);
    }
    for (i = 0; i < tf->n_entries; i++)
        if (strcmp(tf->entries[i].name, "vocab_padded") == 0)
            m->vocab_padded = strcmp(tf->entries[i].value, "True") == 0 || strcmp(tf->entries[i].value, "true") == 0 ||
                              atoi(tf->entries[i].value) != 0;
    return hero__dev_model_copy(m, 0, 0, err); /* a GPU model: the loaded weights to the GPU */
}

/* the dims a checkpoint's tensor shapes decide: vocabulary padding, F, frame table, FOM classes, conv kernel */
static void hero__dims_from_file(hero_config *c, const hero_tensorfile *tf) {
    const hero_tensor_info *t;
    if ((t = hero__find_w(tf, "v_encoder.f_encoder.embeddings.word_embeddings.weight")) && t->ndim == 2 && t->shape[0] < (1 << 24)) c->Vp = (int)t->shape[0];
    if ((t = hero__find_w(tf, "v_encoder.f_encoder.img_embeddings.img_linear.weight")) && t->ndim == 2 && t->shape[1] < (1 << 24)) c->F = (int)t->shape[1];
    if ((t = hero_tensorfile_find(tf, "v_encoder.f_encoder.img_embeddings.position_embeddings.weight")) && t->ndim == 2 && t->shape[0] < (1 << 24)) c->max_frm_seq_len = (int)t->shape[0];
    if ((t = hero__find_w(tf, "v_encoder.fom_output.linear_2.weight")) && t->ndim == 2 && t->shape[0] < (1 << 24)) c->fom_classes = (int)t->shape[0];
    if ((t = hero_tensorfile_find(tf, "video_st_predictor.weight")) && t->ndim == 3 && t->shape[2] < 1024) c->conv_k = (int)t->shape[2];
    if (hero_tensorfile_find(tf, "qa_pool.weight")) { c->heads = HERO_HEADS_VIDEOQA; c->lw_st_ed = 0.4f; /* train-tvqa */ }
    else if (hero_tensorfile_find(tf, "violin_pool.weight")) c->heads = HERO_HEADS_VIOLIN;
}

HERODEF int hero_model_load(hero_model *m, const char *config_json, const char *checkpoint, hero_load_report *report,
                            hero_error *err) {
    return hero_model_load_opt(m, config_json, checkpoint, NULL, report, err);
}
HERODEF int hero_model_load_opt(hero_model *m, const char *config_json, const char *checkpoint, const hero_model_options *o,
                                hero_load_report *report, hero_error *err) {
    hero_config c;
    hero_tensorfile tf;
    int rc;
    memset(m, 0, sizeof(*m));
    if ((rc = hero_config_from_json(&c, config_json, err)) != 0) return rc;
    if ((rc = hero_tensorfile_open(&tf, checkpoint, err)) != 0) return rc;
    hero__dims_from_file(&c, &tf);
    if ((rc = hero__model_init(m, &c, o, 0, err)) != 0) { hero_tensorfile_close(&tf); return rc; }
    if (m->wq && tf.map_len) ((hero__lean *)m->wq)->map_src = &tf;
    rc = hero_model_load_state(m, &tf, report, err);
    if (m->wq) {
        hero__lean *L = (hero__lean *)m->wq;
        L->map_src = NULL;
        if (!rc && L->n_mapped) { /* matrices used in place: the model keeps the map */
            if (!(L->keep = HERO_MALLOC(sizeof(hero_tensorfile)))) rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", checkpoint);
            else {
                memcpy(L->keep, &tf, sizeof(tf));
                memset(&tf, 0, sizeof(tf));
                hero__walk_params(m, 1); /* the slots of the model code: the mapped matrices */
                hero__lean_table(m);
            }
        }
    }
    hero_tensorfile_close(&tf);
    if (rc) hero_model_free(m);
    return rc;
}

HERODEF int hero_model_load_heads(hero_model *m, const char *config_json, const char *checkpoint, int heads,
                                  uint64_t seed, hero_load_report *report, hero_error *err) {
    hero_config c;
    hero_tensorfile tf;
    int rc;
    memset(m, 0, sizeof(*m));
    if (heads < 0 || heads >= HERO_HEADS_COUNT) return hero__fail(err, HERO_EINVAL, "load_heads: unknown task heads %d", heads);
    if ((rc = hero_config_from_json(&c, config_json, err)) != 0) return rc;
    if ((rc = hero_tensorfile_open(&tf, checkpoint, err)) != 0) return rc;
    hero__dims_from_file(&c, &tf);
    c.heads = heads;
    if (heads == HERO_HEADS_VIDEOQA) c.lw_st_ed = 0.4f; /* config/train-tvqa-8gpu.json */
    if ((rc = hero_model_init(m, &c, err)) != 0) { hero_tensorfile_close(&tf); return rc; }
    if ((rc = hero_model_init_random(m, seed)) == 0) rc = hero_model_load_state(m, &tf, report, err);
    else hero__fail(err, rc, "load_heads: initialisation failed");
    hero_tensorfile_close(&tf);
    if (rc) hero_model_free(m);
    return rc;
}

/* ======================================================================================
   12. AdamW (the official optim/adamw.py), warmup-linear schedule, gradient clipping
   ====================================================================================== */

HERODEF hero_adamw_config hero_adamw_default(void) {
    hero_adamw_config c;
    c.lr = 3e-5f; c.beta1 = 0.9f; c.beta2 = 0.98f; c.eps = 1e-6f; c.weight_decay = 0.01f;
    c.warmup_steps = 10000; c.total_steps = 100000; c.grad_clip = 1.0f;
    return c;
}

HERODEF int hero_optimizer_init(hero_optimizer *o, const hero_model *m, const hero_adamw_config *c, hero_error *err) {
    int rc;
    memset(o, 0, sizeof(*o));
    if (m->inference_only)
        return hero__fail(err, HERO_EINVAL, "optimizer: the model is inference-only (%s weights, no gradients): nothing to train",
                          hero_wtype_name(m->wtype));
    o->cfg = *c;
    o->m = (float *)HERO_MALLOC(m->n_floats * sizeof(float));
    o->v = (float *)HERO_MALLOC(m->n_floats * sizeof(float));
    o->steps = (int64_t *)HERO_MALLOC((size_t)m->n_params * sizeof(int64_t));
    if (!o->m || !o->v || !o->steps) {
        hero_optimizer_free(o);
        return hero__fail(err, HERO_ENOMEM, "optimizer: out of memory for %zu moments", m->n_floats);
    }
    memset(o->m, 0, m->n_floats * sizeof(float));
    memset(o->v, 0, m->n_floats * sizeof(float));
    memset(o->steps, 0, (size_t)m->n_params * sizeof(int64_t));
    o->n_params = m->n_params;
    if ((rc = hero__dev_opt_init(o, m, err)) != 0) {
        hero_optimizer_free(o);
        return rc;
    }
    return 0;
}

HERODEF int hero_optimizer_download(hero_optimizer *o, const hero_model *m, hero_error *err) {
    return hero__dev_opt_copy(o, m, 1, err);
}

HERODEF void hero_optimizer_free(hero_optimizer *o) {
    hero__dev_opt_free(o);
    HERO_FREE(o->m);
    HERO_FREE(o->v);
    HERO_FREE(o->steps);
    memset(o, 0, sizeof(*o));
}

/* BERT schedule: step/warmup while warming up, then linear decay to 0 at total */
HERODEF float hero_warmup_linear(int64_t step, int64_t warmup, int64_t total) {
    if (step < warmup) return (float)((double)step / (double)warmup);
    if (total <= warmup) return 0.0f;
    return (float)((double)(total - step) / (double)(total - warmup) > 0 ? (double)(total - step) / (double)(total - warmup) : 0.0);
}

/* ---- threaded loops of the optimizer ----
   sum of squares in double: blocks of HERO__SUMSQ_BLOCK floats summed in parallel, then the block
   sums in order (the same number at any thread count) */
enum { HERO__SUMSQ_BLOCK = 16384 };
typedef struct hero__sumsq_ctx { const float *x; size_t n; double *part; } hero__sumsq_ctx;
static void hero__sumsq_blocks(void *c, int part, size_t b0, size_t b1) {
    const hero__sumsq_ctx *k = (const hero__sumsq_ctx *)c;
    size_t b, j;
    (void)part;
    for (b = b0; b < b1; b++) {
        size_t e = (b + 1) * HERO__SUMSQ_BLOCK < k->n ? (b + 1) * HERO__SUMSQ_BLOCK : k->n;
        double t = 0;
        for (j = b * HERO__SUMSQ_BLOCK; j < e; j++) t += (double)k->x[j] * k->x[j];
        k->part[b] = t;
    }
}
static double hero__sumsq(const float *x, size_t n) {
    enum { STACK = 256 };
    double st[STACK], *part = st, s = 0;
    size_t nb = (n + HERO__SUMSQ_BLOCK - 1) / HERO__SUMSQ_BLOCK, b;
    hero__sumsq_ctx k;
    k.x = x; k.n = n;
    if (nb > STACK && !(part = (double *)HERO_MALLOC(nb * sizeof(double)))) { /* out of memory: one thread */
        for (b = 0; b < nb; b++) {
            size_t j, e = (b + 1) * HERO__SUMSQ_BLOCK < n ? (b + 1) * HERO__SUMSQ_BLOCK : n;
            double t = 0;
            for (j = b * HERO__SUMSQ_BLOCK; j < e; j++) t += (double)x[j] * x[j];
            s += t;
        }
        return s;
    }
    k.part = part;
    hero__for(hero__sumsq_blocks, &k, nb, hero__for_parts(n, 65536));
    for (b = 0; b < nb; b++) s += part[b];
    if (part != st) HERO_FREE(part);
    return s;
}
/* one parameter's AdamW update (the official optim/adamw.py), element ranges in parallel */
typedef struct hero__adamw_ctx {
    float *data, *m, *v;
    const float *g;
    float clip, beta1, beta2, eps, step_size, decay;
} hero__adamw_ctx;
static void hero__adamw_range(void *c, int part, size_t j0, size_t j1) {
    const hero__adamw_ctx *k = (const hero__adamw_ctx *)c;
    size_t j;
    (void)part;
    for (j = j0; j < j1; j++) {
        float g = k->g[j] * k->clip;
        k->m[j] = k->m[j] * k->beta1 + (1.0f - k->beta1) * g;
        k->v[j] = k->v[j] * k->beta2 + (1.0f - k->beta2) * g * g;
        k->data[j] += -k->step_size * (k->m[j] / (sqrtf(k->v[j]) + k->eps));
    }
    if (k->decay != 0.0f)
        for (j = j0; j < j1; j++) k->data[j] += k->decay * k->data[j];
}

/* AdamW's step size for a parameter's steps-th update: lr sqrt(1 - beta2^t) / (1 - beta1^t)
   (bias correction folded in, as optim/adamw.py) */
static float hero__adamw_step_size(const hero_adamw_config *c, int64_t steps, float lr) {
    double bc1 = 1.0 - pow((double)c->beta1, (double)steps);
    double bc2 = 1.0 - pow((double)c->beta2, (double)steps);
    return (float)((double)lr * sqrt(bc2) / bc1);
}

/* [backend: cpu] the sum of squared gradients of every parameter that has one */
static int hero__cpu_grad_sumsq(const hero_model *m, double *sumsq) {
    double s = 0;
    int i;
    for (i = 0; i < m->n_params; i++) {
        const hero_param *p = &m->table[i];
        if (!p->has_grad) continue;
        s += hero__sumsq(p->grad, p->numel);
    }
    *sumsq = s;
    return 0;
}
/* [backend: cpu] one AdamW update of every parameter that has a gradient (clip: the clipping
   factor of the gradients), then the gradients zeroed */
static int hero__cpu_adamw(hero_optimizer *o, hero_model *m, float lr, float clip, hero_error *err) {
    const hero_adamw_config *c = &o->cfg;
    int i;
    (void)err;
    for (i = 0; i < m->n_params; i++) {
        hero_param *p = &m->table[i];
        float *mm = o->m + p->offset, *vv = o->v + p->offset, step_size;
        hero__adamw_ctx ak;
        if (!p->has_grad) continue; /* never had a gradient: untouched, as p.grad is None */
        o->steps[i]++;
        step_size = hero__adamw_step_size(c, o->steps[i], lr);
        ak.data = p->data; ak.m = mm; ak.v = vv; ak.g = p->grad;
        ak.clip = clip; ak.beta1 = c->beta1; ak.beta2 = c->beta2; ak.eps = c->eps; ak.step_size = step_size;
        ak.decay = p->decay && c->weight_decay > 0 ? -(lr * c->weight_decay) : 0.0f;
        hero__for(hero__adamw_range, &ak, p->numel, hero__for_parts(p->numel, 32768));
    }
    hero_zero_grad(m);
    return 0;
}

/* global L2 norm of the gradients of every parameter that has one */
HERODEF float hero_grad_norm(const hero_model *m) {
    double s = 0;
    if (hero__mbe(m)->grad_sumsq(m, &s)) return NAN;
    return (float)sqrt(s);
}

HERODEF int hero_optimizer_step(hero_optimizer *o, hero_model *m, float *grad_norm, float *lr_out, hero_error *err) {
    const hero_adamw_config *c = &o->cfg;
    float norm, lr, clip = 1.0f;
    int i, rc;
    if (o->n_params != m->n_params || m->inference_only) return hero__fail(err, HERO_EINVAL, "optimizer: made for another model");
    norm = hero_grad_norm(m);
    if (!(norm == norm) || norm == (float)INFINITY) {
        rc = hero__dev_model_copy(m, 1, 1, err); /* a GPU model: find the parameter in the host copy */
        if (rc) return rc;
        for (i = 0; i < m->n_params; i++) {
            size_t j;
            const hero_param *p = &m->table[i];
            if (!p->has_grad) continue;
            for (j = 0; j < p->numel; j++)
                if (!(p->grad[j] == p->grad[j]) || p->grad[j] == (float)INFINITY || p->grad[j] == -(float)INFINITY)
                    return hero__fail(err, HERO_ENUMERIC, "optimizer step %lld: non-finite gradient in %s[%zu]; update not applied",
                                      (long long)o->step + 1, p->name, j);
        }
        return hero__fail(err, HERO_ENUMERIC, "optimizer step %lld: gradient norm overflows; update not applied", (long long)o->step + 1);
    }
    o->step++;
    lr = c->lr * hero_warmup_linear(o->step, c->warmup_steps, c->total_steps);
    if (c->grad_clip > 0) {
        float coef = c->grad_clip / (norm + 1e-6f);
        if (coef < 1.0f) clip = coef;
    }
    if ((rc = hero__mbe(m)->adamw(o, m, lr, clip, err)) != 0) return rc;
    if (grad_norm) *grad_norm = norm;
    if (lr_out) *lr_out = lr;
    return 0;
}
/* ======================================================================================
   13. Data: PRNG, random choices, batch building (the official HERO data code)
   ====================================================================================== */
#include <math.h>

#define HERO__DAT_MAXDIM 0x3fffffff /* largest count / length accepted anywhere here */

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded with splitmix64 ---- */

static uint64_t hero__dat_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

HERODEF void hero_rng_seed(hero_rng *r, uint64_t seed) {
    int i;
    for (i = 0; i < 4; i++) {
        uint64_t z;
        seed += 0x9e3779b97f4a7c15ULL;
        z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 1; /* never all zero */
}

HERODEF uint64_t hero_rng_u64(hero_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = hero__dat_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = hero__dat_rotl(s[3], 45);
    return result;
}

HERODEF float hero_rng_uniform(hero_rng *r) {
    return (float)(hero_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

HERODEF uint64_t hero_rng_below(hero_rng *r, uint64_t n) {
    uint64_t x, lim;
    if (n == 0) return 0;
    lim = (uint64_t)0 - ((uint64_t)0 - n) % n; /* 2^64 - (2^64 mod n), 0 means 2^64 */
    do {
        x = hero_rng_u64(r);
    } while (lim != 0 && x >= lim);
    return x % n;
}

/* ---- small helpers ---- */

HERODEF const char *hero_task_name(hero_task t) {
    const hero__task_desc *T = hero__task_of(t);
    return T ? T->name : "?";
}

/* n elements of size sz, at least 1 byte; NULL on overflow or failure */
static void *hero__dat_alloc(size_t n, size_t sz) {
    if (sz != 0 && n > ((size_t)-1) / sz) return NULL;
    return HERO_MALLOC((n * sz) != 0 ? (n * sz) : 1);
}

static void *hero__dat_zalloc(size_t n, size_t sz) {
    void *p = hero__dat_alloc(n, sz);
    if (p) memset(p, 0, n * sz);
    return p;
}

/* a*b*c as size_t, 0 on overflow (callers treat products of positive numbers) */
static int hero__dat_mul3(size_t a, size_t b, size_t c, size_t *out) {
    if (a != 0 && b > ((size_t)-1) / a) return 0;
    a *= b;
    if (a != 0 && c > ((size_t)-1) / a) return 0;
    *out = a * c;
    return 1;
}

HERODEF void hero_batch_free(hero_batch *b) {
    if (!b) return;
    HERO_FREE(b->txt_ids); HERO_FREE(b->txt_pos); HERO_FREE(b->f_v_feats); HERO_FREE(b->f_v_pos);
    HERO_FREE(b->f_v_masks); HERO_FREE(b->f_attn_mask); HERO_FREE(b->f_gather);
    HERO_FREE(b->num_subs); HERO_FREE(b->c_v_feats); HERO_FREE(b->c_attn_mask);
    HERO_FREE(b->c_v_masks); HERO_FREE(b->s2f_sub_idx); HERO_FREE(b->s2f_nframes);
    HERO_FREE(b->s2f_frames); HERO_FREE(b->txt_mask_tgt); HERO_FREE(b->txt_labels);
    HERO_FREE(b->feat_targets); HERO_FREE(b->shuffled_orders); HERO_FREE(b->fom_targets);
    HERO_FREE(b->q_ids); HERO_FREE(b->q_pos); HERO_FREE(b->q_mask); HERO_FREE(b->q_vidx);
    HERO_FREE(b->vsm_targets); HERO_FREE(b->labels);
    memset(b, 0, sizeof(*b));
}

HERODEF void hero_choices_free(hero_choices *c) {
    if (!c) return;
    HERO_FREE(c->mlm_len); HERO_FREE(c->mlm_input_ids); HERO_FREE(c->mlm_labels);
    HERO_FREE(c->frame_mask); HERO_FREE(c->fom_orders); HERO_FREE(c->fom_targets);
    HERO_FREE(c->vsm_n_sampled); HERO_FREE(c->vsm_sampled_sub_idx);
    memset(c, 0, sizeof(*c));
}

HERODEF hero_batch_options hero_batch_options_default(int vocab_size) {
    hero_batch_options o;
    memset(&o, 0, sizeof(o));
    o.max_txt_len = 60;
    o.max_frames = 100;
    o.mask_prob = 0.15f;
    o.query_per_video = 5;
    o.sub_ctx_len = 0;
    o.cls_id = 0;
    o.pad_id = 1;
    o.sep_id = 2;
    o.mask_id = vocab_size - 1;
    o.v_lo = 4;
    o.v_hi = vocab_size - 1;
    return o;
}

HERODEF int hero_videos_from_flat(hero_video *out, int n_videos, int F,
                                  const int32_t *nframes, const float *feats, size_t n_feats,
                                  const int32_t *num_subs, const int32_t *sub_len, size_t n_sub_len,
                                  const int32_t *sub_tokens, size_t n_sub_tokens,
                                  const int32_t *s2f_sub_idx, const int32_t *s2f_nframes,
                                  const int32_t *s2f_frames, size_t n_s2f_frames,
                                  hero_error *err) {
    size_t fo = 0, so = 0, to = 0, ro = 0;
    int v, i;
    if (!out || n_videos < 1 || F < 1 || !nframes || !feats || !num_subs)
        return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: need out, n_videos >= 1 (got %d), F >= 1 (got %d), nframes, feats, num_subs", n_videos, F);
    for (v = 0; v < n_videos; v++) {
        hero_video *hv = &out[v];
        size_t nt = 0, nr = 0, need;
        if (nframes[v] < 1 || num_subs[v] < 0)
            return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d: nframes %d (need >= 1), num_subs %d (need >= 0)", v, (int)nframes[v], (int)num_subs[v]);
        if (!hero__dat_mul3((size_t)nframes[v], (size_t)F, 1, &need) || fo > n_feats || need > n_feats - fo)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: %d frames x F %d go past the %zu feature floats", v, (int)nframes[v], F, n_feats);
        if ((size_t)num_subs[v] > n_sub_len - so)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: %d subtitles go past the %zu sub_len entries", v, (int)num_subs[v], n_sub_len);
        if (num_subs[v] > 0 && (!sub_len || !s2f_nframes))
            return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d has subtitles but sub_len / s2f_nframes is NULL", v);
        for (i = 0; i < num_subs[v]; i++) {
            int32_t l = sub_len[so + (size_t)i], nf = s2f_nframes[so + (size_t)i];
            if (l < 0 || nf < 0)
                return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d subtitle %d: sub_len %d / s2f_nframes %d negative", v, i, (int)l, (int)nf);
            if (s2f_sub_idx && s2f_sub_idx[so + (size_t)i] != i)
                return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d: s2f_sub_idx[%d] is %d, expected %d (one entry per subtitle, in order)", v, i, (int)s2f_sub_idx[so + (size_t)i], i);
            nt += (size_t)l;
            nr += (size_t)nf;
        }
        if (to > n_sub_tokens || nt > n_sub_tokens - to)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: its words go past the %zu sub_tokens", v, n_sub_tokens);
        if (ro > n_s2f_frames || nr > n_s2f_frames - ro)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: its frame lists go past the %zu s2f_frames", v, n_s2f_frames);
        if ((nt && !sub_tokens) || (nr && !s2f_frames))
            return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d: sub_tokens / s2f_frames is NULL", v);
        hv->T = nframes[v];
        hv->F = F;
        hv->feats = feats + fo;
        hv->n_subs = num_subs[v];
        hv->sub_len = sub_len ? sub_len + so : NULL;
        hv->sub_tokens = sub_tokens ? sub_tokens + to : NULL;
        hv->sub_nframes = s2f_nframes ? s2f_nframes + so : NULL;
        hv->sub_frames = s2f_frames ? s2f_frames + ro : NULL;
        fo += need;
        so += (size_t)num_subs[v];
        to += nt;
        ro += nr;
    }
    return HERO_OK;
}

/* ---- validated view of the videos after the max_frames cut ---- */

typedef struct hero__dprep {
    int n, F;
    int *T;          /* [n] frames after the cut */
    int *k;          /* [n] subtitles kept (always the first k) */
    size_t *base;    /* [n] video v's first slot in nf / tok_off / frm_off */
    size_t *tok_off; /* [sum n_subs] offset of subtitle i in sub_tokens */
    size_t *frm_off; /* [sum n_subs] offset of subtitle i in sub_frames */
    int32_t *nf;     /* [sum n_subs] frames kept per subtitle */
    int S;           /* rows = kept subtitles */
    int L;           /* max T */
    size_t nframes;  /* sum T */
} hero__dprep;

static void hero__dprep_free(hero__dprep *p) {
    HERO_FREE(p->T); HERO_FREE(p->k); HERO_FREE(p->base); HERO_FREE(p->tok_off);
    HERO_FREE(p->frm_off); HERO_FREE(p->nf);
    memset(p, 0, sizeof(*p));
}

static int hero__dat_check_opt(const hero_batch_options *o, hero_error *err) {
    if (!o) return hero__fail(err, HERO_EINVAL, "batch options: NULL (use hero_batch_options_default)");
    if (!(o->mask_prob >= 0.0f && o->mask_prob <= 1.0f))
        return hero__fail(err, HERO_EINVAL, "batch options: mask_prob %g, expected 0..1", (double)o->mask_prob);
    if (o->query_per_video < 1 || o->query_per_video > 4096)
        return hero__fail(err, HERO_EINVAL, "batch options: query_per_video %d, expected 1..4096", o->query_per_video);
    if (o->sub_ctx_len < 0 || o->sub_ctx_len > 4096)
        return hero__fail(err, HERO_EINVAL, "batch options: sub_ctx_len %d, expected 0..4096", o->sub_ctx_len);
    if (o->cls_id < 0 || o->pad_id < 0 || o->sep_id < 0 || o->mask_id < 0)
        return hero__fail(err, HERO_EINVAL, "batch options: special ids cls %d pad %d sep %d mask %d, expected >= 0", o->cls_id, o->pad_id, o->sep_id, o->mask_id);
    if (o->v_lo < 0 || o->v_hi <= o->v_lo)
        return hero__fail(err, HERO_EINVAL, "batch options: v_range [%d, %d) is empty or negative", o->v_lo, o->v_hi);
    return HERO_OK;
}

static int hero__dprep_init(hero__dprep *p, const hero_video *videos, int n, const hero_batch_options *o, hero_error *err) {
    size_t nsubs = 0, slot = 0, S = 0;
    int v, i, j;
    int rc;
    memset(p, 0, sizeof(*p));
    rc = hero__dat_check_opt(o, err);
    if (rc) return rc;
    if (!videos || n < 1 || n > HERO__DAT_MAXDIM)
        return hero__fail(err, HERO_EINVAL, "videos: need a non-NULL array and n_videos >= 1 (got %d)", n);
    for (v = 0; v < n; v++) {
        const hero_video *hv = &videos[v];
        size_t bytes;
        if (hv->T < 1 || hv->F < 1 || !hv->feats || !hero__dat_mul3((size_t)hv->T, (size_t)hv->F, sizeof(float), &bytes))
            return hero__fail(err, HERO_EINVAL, "video %d: T %d, F %d, feats %s: need T >= 1, F >= 1 and feature data", v, hv->T, hv->F, hv->feats ? "set" : "NULL");
        if (hv->F != videos[0].F)
            return hero__fail(err, HERO_ESHAPE, "video %d: F %d, expected %d like video 0", v, hv->F, videos[0].F);
        if (hv->n_subs < 0 || hv->n_subs > HERO__DAT_MAXDIM)
            return hero__fail(err, HERO_EINVAL, "video %d: n_subs %d out of range", v, hv->n_subs);
        if (hv->n_subs > 0 && (!hv->sub_len || !hv->sub_nframes))
            return hero__fail(err, HERO_EINVAL, "video %d: %d subtitles but sub_len / sub_nframes is NULL", v, hv->n_subs);
        nsubs += (size_t)hv->n_subs;
    }
    p->n = n;
    p->F = videos[0].F;
    p->T = (int *)hero__dat_alloc((size_t)n, sizeof(int));
    p->k = (int *)hero__dat_alloc((size_t)n, sizeof(int));
    p->base = (size_t *)hero__dat_alloc((size_t)n, sizeof(size_t));
    p->tok_off = (size_t *)hero__dat_alloc(nsubs, sizeof(size_t));
    p->frm_off = (size_t *)hero__dat_alloc(nsubs, sizeof(size_t));
    p->nf = (int32_t *)hero__dat_alloc(nsubs, sizeof(int32_t));
    if (!p->T || !p->k || !p->base || !p->tok_off || !p->frm_off || !p->nf) {
        hero__dprep_free(p);
        return hero__fail(err, HERO_ENOMEM, "batch: out of memory indexing %zu subtitles", nsubs);
    }
    for (v = 0; v < n; v++) {
        const hero_video *hv = &videos[v];
        size_t to = 0, fo = 0;
        int Tc = (o->max_frames > 0 && hv->T > o->max_frames) ? o->max_frames : hv->T;
        int k = 0, cut = 0;
        p->base[v] = slot;
        p->T[v] = Tc;
        for (i = 0; i < hv->n_subs; i++) {
            int32_t l = hv->sub_len[i], nfr = hv->sub_nframes[i];
            if (l < 0 || l > HERO__DAT_MAXDIM || nfr < 0 || nfr > hv->T) {
                hero__dprep_free(p);
                return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: sub_len %d, sub_nframes %d (need 0..%d frames)", v, i, (int)l, (int)nfr, hv->T);
            }
            if ((l > 0 && !hv->sub_tokens) || (nfr > 0 && !hv->sub_frames)) {
                hero__dprep_free(p);
                return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: sub_tokens / sub_frames is NULL", v, i);
            }
            for (j = 0; j < l; j++) {
                if (hv->sub_tokens[to + (size_t)j] < 0) {
                    hero__dprep_free(p);
                    return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: word id %d at position %d is negative", v, i, (int)hv->sub_tokens[to + (size_t)j], j);
                }
            }
            for (j = 0; j < nfr; j++) {
                int32_t f = hv->sub_frames[fo + (size_t)j];
                if (f < 0 || f >= hv->T || (j > 0 && f <= hv->sub_frames[fo + (size_t)j - 1])) {
                    hero__dprep_free(p);
                    return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: frame %d at position %d: need strictly ascending indices in 0..%d", v, i, (int)f, j, hv->T - 1);
                }
            }
            p->tok_off[slot + (size_t)i] = to;
            p->frm_off[slot + (size_t)i] = fo;
            if (!cut) { /* official SubTokLmdb.compute_sub2frames */
                int cnt = 0;
                while (cnt < nfr && hv->sub_frames[fo + (size_t)cnt] < Tc) cnt++;
                p->nf[slot + (size_t)i] = cnt;
                if (cnt > 0 || nfr == 0) k = i + 1;
                if (cnt < nfr) cut = 1;
            } else {
                p->nf[slot + (size_t)i] = 0;
            }
            to += (size_t)l;
            fo += (size_t)nfr;
        }
        if (to > HERO__DAT_MAXDIM || fo > HERO__DAT_MAXDIM) {
            hero__dprep_free(p);
            return hero__fail(err, HERO_ELIMIT, "video %d: %zu words / %zu subtitle frames in all, limit %d", v, to, fo, HERO__DAT_MAXDIM);
        }
        p->k[v] = k;
        slot += (size_t)hv->n_subs;
        S += (size_t)k;
        if (Tc > p->L) p->L = Tc;
        p->nframes += (size_t)Tc;
    }
    if (S < 1 || S > HERO__DAT_MAXDIM || p->nframes > HERO__DAT_MAXDIM) {
        hero__dprep_free(p);
        return hero__fail(err, S < 1 ? HERO_EINVAL : HERO_ELIMIT, "batch: %zu subtitle rows and %zu frames (need 1..%d rows)", S, p->nframes, HERO__DAT_MAXDIM);
    }
    p->S = (int)S;
    return HERO_OK;
}

/* Words of the row of subtitle i of video v: subtitles i-ctx..i among the kept ones, each
   cut to trunc words (trunc <= 0: no cut), skipping those with excl[] set (excl indexed by
   local subtitle, may be NULL). Writes to dst when not NULL. Returns the count. */
static size_t hero__dat_row_words(const hero__dprep *p, const hero_video *videos, int v, int i,
                                  int ctx, int trunc, const uint8_t *excl, int32_t *dst) {
    const hero_video *hv = &videos[v];
    size_t n = 0;
    int j;
    for (j = i - ctx; j <= i; j++) {
        size_t l;
        if (j < 0 || j >= p->k[v] || (excl && excl[j])) continue;
        l = (size_t)hv->sub_len[j];
        if (trunc > 0 && l > (size_t)trunc) l = (size_t)trunc;
        if (dst && l) memcpy(dst + n, hv->sub_tokens + p->tok_off[p->base[v] + (size_t)j], l * sizeof(int32_t));
        n += l;
    }
    return n;
}

/* ---- drawing the random choices (official rules) ---- */

/* data/mlm.py random_word: each word picked with mask_prob; of the picked 80% -> MASK,
   10% -> uniform id in v_range, 10% kept; label = original id of picked words, else -1.
   When none is picked, the FIRST word is picked and set to MASK. (An empty row, where the
   official code would fail, picks nothing.) */
static void hero__dat_random_word(int32_t *ids, int32_t *labels, size_t n, const hero_batch_options *o, hero_rng *rng) {
    size_t i;
    int any = 0;
    for (i = 0; i < n; i++) {
        float prob = hero_rng_uniform(rng);
        if (prob < o->mask_prob) {
            int32_t orig = ids[i];
            prob /= o->mask_prob;
            if (prob < 0.8f) ids[i] = o->mask_id;
            else if (prob < 0.9f) ids[i] = (int32_t)(o->v_lo + (int)hero_rng_below(rng, (uint64_t)(o->v_hi - o->v_lo)));
            labels[i] = orig;
            any = 1;
        } else {
            labels[i] = -1;
        }
    }
    if (!any && n > 0) {
        labels[0] = ids[0];
        ids[0] = o->mask_id;
    }
}

/* ---- [tasks: draw] each task's random choices (data/mlm.py, mfm.py, fom.py, vsm.py), videos in
   order; out is zeroed and owned by the caller (freed on failure) ---- */

/* data/mlm.py: each word of a row picked with mask_prob (hero__dat_random_word) */
static int hero__draw_mlm(hero_choices *out, const hero__dprep *p, const hero_video *videos, const hero_batch_options *opt,
                          hero_rng *rng, hero_error *err) {
    size_t total = 0, o2 = 0;
    int r = 0, v, i;
    out->n_rows = p->S;
    out->mlm_len = (int32_t *)hero__dat_alloc((size_t)p->S, sizeof(int32_t));
    if (!out->mlm_len) return hero__fail(err, HERO_ENOMEM, "hero_draw_choices: out of memory (task mlm)");
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++) {
            size_t l = hero__dat_row_words(p, videos, v, i, opt->sub_ctx_len, opt->max_txt_len, NULL, NULL);
            if (l > HERO__DAT_MAXDIM) return hero__fail(err, HERO_ELIMIT, "video %d subtitle %d: row of %zu words is too long", v, i, l);
            out->mlm_len[r++] = (int32_t)l;
            total += l;
        }
    out->mlm_input_ids = (int32_t *)hero__dat_alloc(total, sizeof(int32_t));
    out->mlm_labels = (int32_t *)hero__dat_alloc(total, sizeof(int32_t));
    if (!out->mlm_input_ids || !out->mlm_labels) return hero__fail(err, HERO_ENOMEM, "hero_draw_choices: out of memory (task mlm)");
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++) {
            size_t l = hero__dat_row_words(p, videos, v, i, opt->sub_ctx_len, opt->max_txt_len, NULL, out->mlm_input_ids + o2);
            hero__dat_random_word(out->mlm_input_ids + o2, out->mlm_labels + o2, l, opt, rng);
            o2 += l;
        }
    return 0;
}

/* data/mfm.py _get_img_mask: each frame with mask_prob, at least one (uniform) per video */
static int hero__draw_mfm(hero_choices *out, const hero__dprep *p, const hero_video *videos, const hero_batch_options *opt,
                          hero_rng *rng, hero_error *err) {
    size_t o2 = 0;
    int v, t;
    (void)videos;
    out->n_frames = (int)p->nframes;
    out->frame_mask = (uint8_t *)hero__dat_zalloc(p->nframes, 1);
    if (!out->frame_mask) return hero__fail(err, HERO_ENOMEM, "hero_draw_choices: out of memory (task %s)", hero_task_name(out->task));
    for (v = 0; v < p->n; v++) {
        int T = p->T[v], any = 0;
        uint8_t *m = out->frame_mask + o2;
        for (t = 0; t < T; t++) {
            m[t] = (uint8_t)(hero_rng_uniform(rng) < opt->mask_prob);
            any |= m[t];
        }
        if (!any) m[hero_rng_below(rng, (uint64_t)T)] = 1;
        o2 += (size_t)T;
    }
    return 0;
}

/* data/fom.py random_reorder: positions picked with mask_prob (no minimum), a copy shuffled
   (Fisher-Yates as random.shuffle); for the j-th picked position sel[j]: orders[sel[j]] =
   shuf[j], targets[shuf[j]] = sel[j]; the others keep orders[i] = i, targets[i] = -1. */
static int hero__draw_fom(hero_choices *out, const hero__dprep *p, const hero_video *videos, const hero_batch_options *opt,
                          hero_rng *rng, hero_error *err) {
    size_t o2 = 0;
    int v, t;
    int32_t *scratch;
    (void)videos;
    out->n_frames = (int)p->nframes;
    out->fom_orders = (int32_t *)hero__dat_alloc(p->nframes, sizeof(int32_t));
    out->fom_targets = (int32_t *)hero__dat_alloc(p->nframes, sizeof(int32_t));
    scratch = (int32_t *)hero__dat_alloc((size_t)p->L * 2, sizeof(int32_t)); /* sel | shuf */
    if (!out->fom_orders || !out->fom_targets || !scratch) {
        HERO_FREE(scratch);
        return hero__fail(err, HERO_ENOMEM, "hero_draw_choices: out of memory (task fom)");
    }
    for (v = 0; v < p->n; v++) {
        int T = p->T[v], ns = 0;
        int32_t *ord = out->fom_orders + o2, *tgt = out->fom_targets + o2;
        for (t = 0; t < T; t++) {
            ord[t] = t;
            tgt[t] = -1;
            if (hero_rng_uniform(rng) < opt->mask_prob) scratch[ns++] = t;
        }
        for (t = 0; t < ns; t++) scratch[p->L + t] = scratch[t];
        for (t = ns - 1; t > 0; t--) {
            int j = (int)hero_rng_below(rng, (uint64_t)t + 1);
            int32_t tmp = scratch[p->L + t];
            scratch[p->L + t] = scratch[p->L + j];
            scratch[p->L + j] = tmp;
        }
        for (t = 0; t < ns; t++) {
            ord[scratch[t]] = scratch[p->L + t];
            tgt[scratch[p->L + t]] = scratch[t];
        }
        o2 += (size_t)T;
    }
    HERO_FREE(scratch);
    return 0;
}

/* data/vsm.py: random.sample(subtitles with frames, min(count, query_per_video)) */
static int hero__draw_vsm(hero_choices *out, const hero__dprep *p, const hero_video *videos, const hero_batch_options *opt,
                          hero_rng *rng, hero_error *err) {
    size_t total = 0;
    int v, i;
    (void)videos;
    out->n_videos = p->n;
    out->vsm_n_sampled = (int32_t *)hero__dat_alloc((size_t)p->n, sizeof(int32_t));
    out->vsm_sampled_sub_idx = (int32_t *)hero__dat_alloc((size_t)p->n * (size_t)opt->query_per_video, sizeof(int32_t));
    if (!out->vsm_n_sampled || !out->vsm_sampled_sub_idx) return hero__fail(err, HERO_ENOMEM, "hero_draw_choices: out of memory (task vsm)");
    for (v = 0; v < p->n; v++) {
        int nm = 0, ns, j;
        int32_t *pool = out->vsm_sampled_sub_idx + total, *all;
        for (i = 0; i < p->k[v]; i++)
            if (p->nf[p->base[v] + (size_t)i] > 0) nm++;
        if (nm == 0)
            return hero__fail(err, HERO_EINVAL, "VSM: video %d has no subtitle with matched frames (after the %d-frame cut); the official VSM data cannot use it", v, opt->max_frames);
        ns = nm < opt->query_per_video ? nm : opt->query_per_video;
        /* partial Fisher-Yates over the matched subtitles, kept in a scratch of size nm */
        all = (int32_t *)hero__dat_alloc((size_t)nm, sizeof(int32_t));
        if (!all) return hero__fail(err, HERO_ENOMEM, "hero_draw_choices: out of memory (task vsm)");
        nm = 0;
        for (i = 0; i < p->k[v]; i++)
            if (p->nf[p->base[v] + (size_t)i] > 0) all[nm++] = i;
        for (j = 0; j < ns; j++) {
            int q = j + (int)hero_rng_below(rng, (uint64_t)(nm - j));
            int32_t tmp = all[j]; all[j] = all[q]; all[q] = tmp;
            pool[j] = all[j];
        }
        HERO_FREE(all);
        out->vsm_n_sampled[v] = ns;
        total += (size_t)ns;
    }
    return 0;
}

HERODEF int hero_draw_choices(hero_choices *out, hero_task task, const hero_video *videos,
                              int n_videos, const hero_batch_options *opt, hero_rng *rng,
                              hero_error *err) {
    const hero__task_desc *T = hero__task_of(task);
    hero__dprep p;
    int rc;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_draw_choices: out is NULL");
    memset(out, 0, sizeof(*out));
    if (!T) return hero__fail(err, HERO_EINVAL, "hero_draw_choices: task %d unknown", (int)task);
    if (!rng) return hero__fail(err, HERO_EINVAL, "hero_draw_choices: rng is NULL");
    rc = hero__dprep_init(&p, videos, n_videos, opt, err);
    if (rc) return rc;
    out->task = task;
    rc = T->draw ? T->draw(out, &p, videos, opt, rng, err) : 0;
    hero__dprep_free(&p);
    if (rc) hero_choices_free(out);
    return rc;
}

/* ---- batch building ---- */

/* ---- [tasks: check_choices] caller-given choices checked against the videos ---- */
static int hero__choices_mlm(const hero_choices *c, const hero__dprep *p, const hero_video *videos,
                             const hero_batch_options *o, hero_error *err) {
    int v, i, t, r = 0;
    size_t off = 0;
    if (c->n_rows != p->S || !c->mlm_len || !c->mlm_input_ids || !c->mlm_labels)
        return hero__fail(err, HERO_ESHAPE, "MLM choices: n_rows %d, expected %d subtitle rows, with mlm_len / mlm_input_ids / mlm_labels set", c->n_rows, p->S);
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++, r++) {
            size_t l = hero__dat_row_words(p, videos, v, i, o->sub_ctx_len, o->max_txt_len, NULL, NULL);
            if ((size_t)c->mlm_len[r] != l || c->mlm_len[r] < 0)
                return hero__fail(err, HERO_ESHAPE, "MLM choices: mlm_len[%d] (video %d subtitle %d) is %d, expected %zu words", r, v, i, (int)c->mlm_len[r], l);
            for (t = 0; t < c->mlm_len[r]; t++) {
                if (c->mlm_input_ids[off + (size_t)t] < 0 || c->mlm_labels[off + (size_t)t] < -1)
                    return hero__fail(err, HERO_EINVAL, "MLM choices: row %d position %d: input id %d / label %d out of range", r, t, (int)c->mlm_input_ids[off + (size_t)t], (int)c->mlm_labels[off + (size_t)t]);
            }
            off += l;
        }
    return HERO_OK;
}
static int hero__choices_mfm(const hero_choices *c, const hero__dprep *p, const hero_video *videos,
                             const hero_batch_options *o, hero_error *err) {
    (void)videos; (void)o;
    if ((size_t)c->n_frames != p->nframes || !c->frame_mask)
        return hero__fail(err, HERO_ESHAPE, "MFM choices: n_frames %d, expected %zu frames (after the cut), with frame_mask set", c->n_frames, p->nframes);
    return HERO_OK;
}
static int hero__choices_fom(const hero_choices *c, const hero__dprep *p, const hero_video *videos,
                             const hero_batch_options *o, hero_error *err) {
    int v, t;
    size_t off = 0;
    (void)videos; (void)o;
    if ((size_t)c->n_frames != p->nframes || !c->fom_orders || !c->fom_targets)
        return hero__fail(err, HERO_ESHAPE, "FOM choices: n_frames %d, expected %zu frames (after the cut), with fom_orders / fom_targets set", c->n_frames, p->nframes);
    for (v = 0; v < p->n; v++) {
        const int32_t *ord = c->fom_orders + off, *tgt = c->fom_targets + off;
        int T = p->T[v];
        for (t = 0; t < T; t++) {
            int32_t d = ord[t];
            if (d < 0 || d >= T || tgt[t] < -1 || tgt[t] >= T || (tgt[d] != t && !(d == t && tgt[d] == -1)))
                return hero__fail(err, HERO_EINVAL, "FOM choices: video %d position %d: order %d / target %d do not form the official permutation (orders[i]=j needs targets[j]=i, or i=j and -1)", v, t, (int)d, (int)(d >= 0 && d < T ? tgt[d] : tgt[t]));
        }
        for (t = 0; t < T; t++)
            if (tgt[t] >= 0 && ord[tgt[t]] != t)
                return hero__fail(err, HERO_EINVAL, "FOM choices: video %d: targets[%d] = %d but orders[%d] = %d", v, t, (int)tgt[t], (int)tgt[t], (int)ord[tgt[t]]);
        off += (size_t)T;
    }
    return HERO_OK;
}
static int hero__choices_vsm(const hero_choices *c, const hero__dprep *p, const hero_video *videos,
                             const hero_batch_options *o, hero_error *err) {
    int v, i;
    size_t off = 0;
    (void)videos;
    if (c->n_videos != p->n || !c->vsm_n_sampled || !c->vsm_sampled_sub_idx)
        return hero__fail(err, HERO_ESHAPE, "VSM choices: n_videos %d, expected %d, with vsm_n_sampled / vsm_sampled_sub_idx set", c->n_videos, p->n);
    for (v = 0; v < p->n; v++) {
        int nm = 0, j, q;
        for (i = 0; i < p->k[v]; i++)
            if (p->nf[p->base[v] + (size_t)i] > 0) nm++;
        if (nm == 0)
            return hero__fail(err, HERO_EINVAL, "VSM: video %d has no subtitle with matched frames (after the %d-frame cut); the official VSM data cannot use it", v, o->max_frames);
        if (c->vsm_n_sampled[v] != (nm < o->query_per_video ? nm : o->query_per_video))
            return hero__fail(err, HERO_EINVAL, "VSM choices: vsm_n_sampled[%d] is %d, expected min(%d matched subtitles, %d)", v, (int)c->vsm_n_sampled[v], nm, o->query_per_video);
        for (j = 0; j < c->vsm_n_sampled[v]; j++) {
            int32_t s = c->vsm_sampled_sub_idx[off + (size_t)j];
            if (s < 0 || s >= p->k[v] || p->nf[p->base[v] + (size_t)s] == 0)
                return hero__fail(err, HERO_EINVAL, "VSM choices: video %d query %d: subtitle %d is not a kept subtitle with frames", v, j, (int)s);
            for (q = 0; q < j; q++)
                if (c->vsm_sampled_sub_idx[off + (size_t)q] == s)
                    return hero__fail(err, HERO_EINVAL, "VSM choices: video %d: subtitle %d sampled twice", v, (int)s);
        }
        off += (size_t)c->vsm_n_sampled[v];
    }
    return HERO_OK;
}

/* The per-subtitle collate shared by every task (data.py video_collate / mlm_collate):
   rows of [frames | text]; text already built in txt (row r at txt_off[r], txt_len[r]). */
static int hero__dat_collate_rows(hero_batch *b, const hero__dprep *p, const hero_video *videos,
                                  const int32_t *txt, const size_t *txt_off, const int32_t *txt_len,
                                  int pad_id, int clamp_pos, int with_videos, hero_error *err) {
    int v, i, r = 0, j;
    int Lv = 1, Lt = 0, Lg = 0, F = p->F;
    size_t n_sv, n_sg, n_st, n_svf;
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++, r++) {
            int nf = p->nf[p->base[v] + (size_t)i], vl = nf > 0 ? nf : 1;
            if (vl > Lv) Lv = vl;
            if (txt_len[r] > Lt) Lt = txt_len[r];
            if (vl + txt_len[r] > Lg) Lg = vl + txt_len[r];
        }
    if (!hero__dat_mul3((size_t)p->S, (size_t)Lv, 1, &n_sv) || !hero__dat_mul3((size_t)p->S, (size_t)Lg, 1, &n_sg) ||
        !hero__dat_mul3((size_t)p->S, (size_t)Lt, 1, &n_st) || !hero__dat_mul3(n_sv, (size_t)F, 1, &n_svf) ||
        n_svf > ((size_t)-1) / 8)
        return hero__fail(err, HERO_ELIMIT, "batch: %d rows x (%d frames, %d words) x F %d overflows", p->S, Lv, Lt, F);
    b->F = F;
    b->S = p->S;
    b->Lt = Lt;
    b->Lv = Lv;
    b->Lg = Lg;
    b->txt_ids = (int32_t *)hero__dat_alloc(n_st, sizeof(int32_t));
    b->txt_pos = (int32_t *)hero__dat_alloc((size_t)Lt, sizeof(int32_t));
    b->f_v_feats = (float *)hero__dat_zalloc(n_svf, sizeof(float));
    b->f_v_pos = (int32_t *)hero__dat_alloc((size_t)Lv, sizeof(int32_t));
    b->f_attn_mask = (int32_t *)hero__dat_zalloc(n_sg, sizeof(int32_t));
    b->f_gather = (int32_t *)hero__dat_alloc(n_sg, sizeof(int32_t));
    if (with_videos) {
        size_t tot = 0;
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++) tot += (size_t)p->nf[p->base[v] + (size_t)i];
        b->B = p->n;
        b->n_s2f = p->S;
        b->s2f_sub_idx = (int32_t *)hero__dat_alloc((size_t)p->S, sizeof(int32_t));
        b->s2f_nframes = (int32_t *)hero__dat_alloc((size_t)p->S, sizeof(int32_t));
        b->num_subs = (int32_t *)hero__dat_alloc((size_t)p->n, sizeof(int32_t));
        b->s2f_frames = (int32_t *)hero__dat_alloc(tot, sizeof(int32_t));
        if (!b->s2f_sub_idx || !b->s2f_nframes || !b->num_subs || !b->s2f_frames)
            return hero__fail(err, HERO_ENOMEM, "batch: out of memory for the subtitle -> frame map");
    }
    if (!b->txt_ids || !b->txt_pos || !b->f_v_feats || !b->f_v_pos || !b->f_attn_mask || !b->f_gather)
        return hero__fail(err, HERO_ENOMEM, "batch: out of memory for %d rows x %d positions", p->S, Lg);
    for (j = 0; j < Lt; j++) b->txt_pos[j] = (clamp_pos && j > 511) ? 511 : j; /* official hack */
    for (j = 0; j < Lv; j++) b->f_v_pos[j] = j;
    r = 0;
    {
        size_t fo = 0;
        for (v = 0; v < p->n; v++) {
            const hero_video *hv = &videos[v];
            if (with_videos) b->num_subs[v] = p->k[v];
            for (i = 0; i < p->k[v]; i++, r++) {
                size_t slot = p->base[v] + (size_t)i;
                int nf = p->nf[slot], vl = nf > 0 ? nf : 1, tl = txt_len[r];
                const int32_t *fr = hv->sub_frames ? hv->sub_frames + p->frm_off[slot] : NULL;
                int32_t *ids = b->txt_ids + (size_t)r * (size_t)Lt;
                int32_t *am = b->f_attn_mask + (size_t)r * (size_t)Lg;
                int32_t *gi = b->f_gather + (size_t)r * (size_t)Lg;
                for (j = 0; j < Lt; j++) ids[j] = j < tl ? txt[txt_off[r] + (size_t)j] : pad_id;
                for (j = 0; j < nf; j++)
                    memcpy(b->f_v_feats + ((size_t)r * (size_t)Lv + (size_t)j) * (size_t)F,
                           hv->feats + (size_t)fr[j] * (size_t)F, (size_t)F * sizeof(float));
                for (j = 0; j < vl + tl; j++) am[j] = (nf == 0 && j == 0) ? 0 : 1;
                for (j = 0; j < Lg; j++) gi[j] = (j >= vl && j < vl + tl) ? Lv + (j - vl) : j;
                if (with_videos) {
                    b->s2f_sub_idx[r] = i;
                    b->s2f_nframes[r] = nf;
                    for (j = 0; j < nf; j++) b->s2f_frames[fo++] = fr[j];
                }
            }
        }
    }
    return HERO_OK;
}

/* Clip-level (temporal transformer) input: c_v_feats, c_attn_mask. */
static int hero__dat_collate_clips(hero_batch *b, const hero__dprep *p, const hero_video *videos, hero_error *err) {
    int v, t, F = p->F;
    size_t n_bl, n_blf;
    if (!hero__dat_mul3((size_t)p->n, (size_t)p->L, 1, &n_bl) || !hero__dat_mul3(n_bl, (size_t)F, sizeof(float), &n_blf))
        return hero__fail(err, HERO_ELIMIT, "batch: %d videos x %d frames x F %d overflows", p->n, p->L, F);
    b->L = p->L;
    b->c_v_feats = (float *)hero__dat_zalloc(n_bl * (size_t)F, sizeof(float));
    b->c_attn_mask = (int32_t *)hero__dat_zalloc(n_bl, sizeof(int32_t));
    if (!b->c_v_feats || !b->c_attn_mask)
        return hero__fail(err, HERO_ENOMEM, "batch: out of memory for %d videos x %d frames", p->n, p->L);
    for (v = 0; v < p->n; v++) {
        memcpy(b->c_v_feats + (size_t)v * (size_t)p->L * (size_t)F, videos[v].feats, (size_t)p->T[v] * (size_t)F * sizeof(float));
        for (t = 0; t < p->T[v]; t++) b->c_attn_mask[(size_t)v * (size_t)p->L + (size_t)t] = 1;
    }
    return HERO_OK;
}

/* the rows' text (lead token + words, cut to trunc, without the excl subtitles; mlm: the
   choices' masked words), then the per-subtitle collate of every task and, unless mlm, the
   temporal input (data.py video_collate, data/mlm.py mlm_collate) */
static int hero__dat_rows(hero_batch *b, const hero_video *videos, const hero__dprep *p, const hero_batch_options *o, int lead,
                          int trunc, const uint8_t *excl, const hero_choices *mlm, hero_error *err) {
    int v, i, r, rc;
    size_t total = 0, *off = NULL;
    int32_t *len = NULL, *txt = NULL;
    off = (size_t *)hero__dat_alloc((size_t)p->S, sizeof(size_t));
    len = (int32_t *)hero__dat_zalloc((size_t)p->S, sizeof(int32_t)); /* zeroed: gcc -O2 cannot see the loop fill it */
    if (!off || !len) { rc = hero__fail(err, HERO_ENOMEM, "batch: out of memory"); goto done; }
    r = 0;
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++, r++) {
            size_t l = mlm ? (size_t)mlm->mlm_len[r]
                           : hero__dat_row_words(p, videos, v, i, o->sub_ctx_len, trunc, excl ? excl + p->base[v] : NULL, NULL);
            if (l + 1 > HERO__DAT_MAXDIM || total > ((size_t)-1) / 2 - l) { rc = hero__fail(err, HERO_ELIMIT, "video %d subtitle %d: row of %zu words is too long (or the batch text overflows)", v, i, l); goto done; }
            off[r] = total;
            len[r] = (int32_t)(l + 1);
            total += l + 1;
        }
    txt = (int32_t *)hero__dat_zalloc(total, sizeof(int32_t));
    if (!txt) { rc = hero__fail(err, HERO_ENOMEM, "batch: out of memory for %zu words", total); goto done; }
    r = 0;
    {
        size_t mo = 0;
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++, r++) {
                txt[off[r]] = lead;
                if (mlm) {
                    memcpy(txt + off[r] + 1, mlm->mlm_input_ids + mo, (size_t)mlm->mlm_len[r] * sizeof(int32_t));
                    mo += (size_t)mlm->mlm_len[r];
                } else {
                    hero__dat_row_words(p, videos, v, i, o->sub_ctx_len, trunc, excl ? excl + p->base[v] : NULL, txt + off[r] + 1);
                }
            }
    }
    rc = hero__dat_collate_rows(b, p, videos, txt, off, len, o->pad_id, !mlm, !mlm, err);
    if (!rc && !mlm) rc = hero__dat_collate_clips(b, p, videos, err);
done:
    HERO_FREE(off);
    HERO_FREE(len);
    HERO_FREE(txt);
    return rc;
}

/* ---- [tasks: collate] each task's batch, as its official data file collates it ---- */

/* data.py video_collate: [SEP] + words per row, the whole clips */
static int hero__collate_repr(hero_batch *b, const hero_video *videos, const hero__dprep *p, const hero_batch_options *o,
                              const hero_choices *c, hero_error *err) {
    (void)c;
    return hero__dat_rows(b, videos, p, o, o->sep_id, 0, NULL, NULL, err);
}

/* data/mlm.py mlm_collate: [CLS] + the masked words per row, no temporal input */
static int hero__collate_mlm(hero_batch *b, const hero_video *videos, const hero__dprep *p, const hero_batch_options *o,
                             const hero_choices *c, hero_error *err) {
    int v, i, j, r;
    size_t mo = 0, nl = 0;
    int rc = hero__dat_rows(b, videos, p, o, o->cls_id, 0, NULL, c, err);
    if (rc) return rc;
    /* txt_mask_tgt: [zeros(frames) | 0 (CLS) | label != -1], txt_labels: picked labels */
    for (r = 0; r < p->S; r++)
        for (j = 0; j < c->mlm_len[r]; j++) nl += c->mlm_labels[mo++] != -1;
    b->txt_mask_tgt = (uint8_t *)hero__dat_zalloc((size_t)b->S * (size_t)b->Lg, 1);
    b->txt_labels = (int32_t *)hero__dat_alloc(nl, sizeof(int32_t));
    if (!b->txt_mask_tgt || !b->txt_labels) return hero__fail(err, HERO_ENOMEM, "MLM batch: out of memory");
    b->n_mlm = (int)nl;
    mo = 0;
    nl = 0;
    r = 0;
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++, r++) {
            int nf = p->nf[p->base[v] + (size_t)i], vl = nf > 0 ? nf : 1;
            for (j = 0; j < c->mlm_len[r]; j++, mo++)
                if (c->mlm_labels[mo] != -1) {
                    b->txt_mask_tgt[(size_t)r * (size_t)b->Lg + (size_t)(vl + 1 + j)] = 1;
                    b->txt_labels[nl++] = c->mlm_labels[mo];
                }
        }
    return HERO_OK;
}

/* data/mfm.py mfm_collate */
static int hero__collate_mfm(hero_batch *b, const hero_video *videos, const hero__dprep *p, const hero_batch_options *o,
                             const hero_choices *c, hero_error *err) {
    int v, i, t, j, r, F = p->F;
    size_t fo = 0, nm = 0, to = 0;
    int rc = hero__dat_rows(b, videos, p, o, o->sep_id, 0, NULL, NULL, err);
    if (rc) return rc;
    /* masks per row and per clip, masked frames zeroed, feat_targets = original clip features
       of masked frames (row-major) */
    b->f_v_masks = (uint8_t *)hero__dat_zalloc((size_t)b->S * (size_t)b->Lv, 1);
    b->c_v_masks = (uint8_t *)hero__dat_zalloc((size_t)b->B * (size_t)b->L, 1);
    for (t = 0; t < c->n_frames; t++) nm += c->frame_mask[t] != 0;
    b->feat_targets = (float *)hero__dat_alloc(nm * (size_t)F, sizeof(float));
    if (!b->f_v_masks || !b->c_v_masks || !b->feat_targets) return hero__fail(err, HERO_ENOMEM, "MFM batch: out of memory");
    b->n_masked = (int)nm;
    r = 0;
    for (v = 0; v < p->n; v++) {
        const uint8_t *m = c->frame_mask + fo;
        for (i = 0; i < p->k[v]; i++, r++) {
            size_t slot = p->base[v] + (size_t)i;
            const int32_t *fr = videos[v].sub_frames + p->frm_off[slot];
            for (j = 0; j < p->nf[slot]; j++)
                if (m[fr[j]]) {
                    b->f_v_masks[(size_t)r * (size_t)b->Lv + (size_t)j] = 1;
                    memset(b->f_v_feats + ((size_t)r * (size_t)b->Lv + (size_t)j) * (size_t)F, 0, (size_t)F * sizeof(float));
                }
        }
        for (t = 0; t < p->T[v]; t++)
            if (m[t]) {
                float *cf = b->c_v_feats + ((size_t)v * (size_t)b->L + (size_t)t) * (size_t)F;
                b->c_v_masks[(size_t)v * (size_t)b->L + (size_t)t] = 1;
                memcpy(b->feat_targets + to * (size_t)F, cf, (size_t)F * sizeof(float));
                memset(cf, 0, (size_t)F * sizeof(float));
                to++;
            }
        fo += (size_t)p->T[v];
    }
    return HERO_OK;
}

/* data/fom.py fom_collate */
static int hero__collate_fom(hero_batch *b, const hero_video *videos, const hero__dprep *p, const hero_batch_options *o,
                             const hero_choices *c, hero_error *err) {
    int v, t;
    size_t fo = 0;
    int rc = hero__dat_rows(b, videos, p, o, o->sep_id, 0, NULL, NULL, err);
    if (rc) return rc;
    /* orders padded with arange, targets with -1 */
    b->shuffled_orders = (int32_t *)hero__dat_alloc((size_t)b->B * (size_t)b->L, sizeof(int32_t));
    b->fom_targets = (int32_t *)hero__dat_alloc((size_t)b->B * (size_t)b->L, sizeof(int32_t));
    if (!b->shuffled_orders || !b->fom_targets) return hero__fail(err, HERO_ENOMEM, "FOM batch: out of memory");
    for (v = 0; v < p->n; v++) {
        for (t = 0; t < b->L; t++) {
            size_t q = (size_t)v * (size_t)b->L + (size_t)t;
            b->shuffled_orders[q] = t < p->T[v] ? c->fom_orders[fo + (size_t)t] : t;
            b->fom_targets[q] = t < p->T[v] ? c->fom_targets[fo + (size_t)t] : -1;
        }
        fo += (size_t)p->T[v];
    }
    return HERO_OK;
}

/* data/vsm.py vsm_collate: the query subtitles leave the context text */
static int hero__collate_vsm(hero_batch *b, const hero_video *videos, const hero__dprep *p, const hero_batch_options *o,
                             const hero_choices *c, hero_error *err) {
    int v, i, j, rc, trunc = o->max_txt_len;
    size_t nsubs = 0, so = 0;
    uint8_t *excl;
    for (v = 0; v < p->n; v++) nsubs += (size_t)videos[v].n_subs;
    excl = (uint8_t *)hero__dat_zalloc(nsubs, 1);
    if (!excl) return hero__fail(err, HERO_ENOMEM, "batch: out of memory");
    for (v = 0; v < p->n; v++) {
        for (j = 0; j < c->vsm_n_sampled[v]; j++) excl[p->base[v] + (size_t)c->vsm_sampled_sub_idx[so + (size_t)j]] = 1;
        so += (size_t)c->vsm_n_sampled[v];
    }
    rc = hero__dat_rows(b, videos, p, o, o->sep_id, trunc, excl, NULL, err);
    if (rc) goto done;
    {
        /* data/vsm.py: queries in subtitle order, the last repeated up to query_per_video;
           [CLS] + words (cut to max_txt_len); st = first frame,
           ed = min(max(st + 1, last frame), T - 1) */
        int qpv = o->query_per_video, Lq = 0, q = 0;
        size_t nq = (size_t)p->n * (size_t)qpv;
        int32_t *qsub;
        if (nq > HERO__DAT_MAXDIM) { rc = hero__fail(err, HERO_ELIMIT, "VSM batch: %d videos x %d queries is too many", p->n, qpv); goto done; }
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++)
                if (excl[p->base[v] + (size_t)i]) {
                    int l = videos[v].sub_len[i];
                    if (trunc > 0 && l > trunc) l = trunc;
                    if (l + 1 > Lq) Lq = l + 1;
                }
        b->Nq = (int)nq;
        b->Lq = Lq;
        b->q_ids = (int32_t *)hero__dat_alloc(nq * (size_t)Lq, sizeof(int32_t));
        b->q_pos = (int32_t *)hero__dat_alloc((size_t)Lq, sizeof(int32_t));
        b->q_mask = (int32_t *)hero__dat_zalloc(nq * (size_t)Lq, sizeof(int32_t));
        b->q_vidx = (int32_t *)hero__dat_alloc(nq, sizeof(int32_t));
        b->vsm_targets = (int32_t *)hero__dat_alloc(nq * 2, sizeof(int32_t));
        qsub = (int32_t *)hero__dat_alloc(nq, sizeof(int32_t));
        if (!b->q_ids || !b->q_pos || !b->q_mask || !b->q_vidx || !b->vsm_targets || !qsub) {
            HERO_FREE(qsub);
            rc = hero__fail(err, HERO_ENOMEM, "VSM batch: out of memory");
            goto done;
        }
        for (j = 0; j < Lq; j++) b->q_pos[j] = j;
        for (v = 0; v < p->n; v++) {
            int n0 = q;
            for (i = 0; i < p->k[v]; i++)
                if (excl[p->base[v] + (size_t)i]) qsub[q++] = i;
            while (q - n0 < qpv) { qsub[q] = qsub[q - 1]; q++; }
        }
        for (q = 0; q < (int)nq; q++) {
            int vv = q / qpv, s = qsub[q], l = videos[vv].sub_len[s];
            size_t slot = p->base[vv] + (size_t)s;
            const int32_t *fr = videos[vv].sub_frames + p->frm_off[slot];
            int32_t *qi = b->q_ids + (size_t)q * (size_t)Lq, *qm = b->q_mask + (size_t)q * (size_t)Lq;
            int st = fr[0], last = fr[p->nf[slot] - 1], ed;
            if (trunc > 0 && l > trunc) l = trunc;
            qi[0] = o->cls_id;
            for (j = 0; j < l; j++) qi[1 + j] = videos[vv].sub_tokens[p->tok_off[slot] + (size_t)j];
            for (j = l + 1; j < Lq; j++) qi[j] = o->pad_id;
            for (j = 0; j <= l; j++) qm[j] = 1;
            b->q_vidx[q] = vv;
            ed = st + 1 > last ? st + 1 : last;
            if (ed > p->T[vv] - 1) ed = p->T[vv] - 1;
            b->vsm_targets[2 * q] = st;
            b->vsm_targets[2 * q + 1] = ed;
        }
        HERO_FREE(qsub);
    }
    rc = HERO_OK;
done:
    HERO_FREE(excl);
    return rc;
}

HERODEF int hero_build_batch(hero_batch *out, hero_task task, const hero_video *videos,
                             int n_videos, const hero_batch_options *opt,
                             const hero_choices *choices, hero_rng *rng, hero_error *err) {
    const hero__task_desc *T = hero__task_of(task);
    hero__dprep p;
    hero_choices drawn;
    const hero_choices *c = choices;
    int rc;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_build_batch: out is NULL");
    memset(out, 0, sizeof(*out));
    memset(&drawn, 0, sizeof(drawn));
    if (!T) return hero__fail(err, HERO_EINVAL, "hero_build_batch: task %d unknown", (int)task);
    rc = hero__dprep_init(&p, videos, n_videos, opt, err);
    if (rc) return rc;
    if (T->draw) { /* a task with random choices: the caller's (checked), or drawn now */
        if (!c) {
            if (!rng) {
                hero__dprep_free(&p);
                return hero__fail(err, HERO_EINVAL, "hero_build_batch: task %s needs choices or an rng (both NULL)", T->name);
            }
            rc = hero_draw_choices(&drawn, task, videos, n_videos, opt, rng, err);
            c = &drawn;
        } else {
            rc = T->check_choices(c, &p, videos, opt, err);
        }
        if (rc) { hero__dprep_free(&p); return rc; }
    }
    out->task = task;
    rc = T->collate(out, videos, &p, opt, c, err);
    hero__dprep_free(&p);
    hero_choices_free(&drawn);
    if (rc) hero_batch_free(out);
    return rc;
}

/* ---- fine-tuning batches: the collates of data/vcmr.py, vr.py, videoQA.py, violin.py ----
   Each item's video becomes its own temporal row (video QA: one per candidate); its subtitle rows
   are VideoFeatSubTokDataset's ([SEP] + the subtitle and its sub_ctx_len predecessors, no cut) with
   the item's text appended for video QA / VIOLIN, collated as video_collate. */

/* get_st_ed_label: st = min(floor(ts0 / iv), n-1), ed = min(max(ceil(ts1 / iv) - 1, st + 1), n-1) */
static void hero__ft_span(const hero_ft_item *it, double iv, int n, int32_t *st, int32_t *ed) {
    double a, e;
    if (!it->has_ts || !(iv > 0) || !(it->ts[0] == it->ts[0]) || !(it->ts[1] == it->ts[1])) { *st = *ed = -1; return; }
    a = floor(it->ts[0] / iv);
    e = ceil(it->ts[1] / iv) - 1;
    if (a > n - 1) a = n - 1;
    if (e < a + 1) e = a + 1;
    if (e > n - 1) e = n - 1;
    *st = a < -1 ? -1 : (int32_t)a;
    *ed = e < -1 ? -1 : (int32_t)e;
}

/* the appended text of row r (a temporal row): video QA [SEP] q [SEP] a, VIOLIN [SEP] statement; none for VSM */
static size_t hero__ft_text(hero_task task, const hero_ft_item *it, int cand, const hero_batch_options *o, int32_t *dst) {
    size_t n = 0, co = 0;
    int a;
    if (task == HERO_TASK_VSM) return 0;
    if (dst) dst[n] = o->sep_id;
    n++;
    if (dst && it->len) memcpy(dst + n, it->tokens, (size_t)it->len * sizeof(int32_t));
    n += (size_t)it->len;
    if (task == HERO_TASK_VIDEOQA) {
        for (a = 0; a < cand; a++) co += (size_t)it->cand_len[a];
        if (dst) dst[n] = o->sep_id;
        n++;
        if (dst && it->cand_len[cand]) memcpy(dst + n, it->cand_tokens + co, (size_t)it->cand_len[cand] * sizeof(int32_t));
        n += (size_t)it->cand_len[cand];
    }
    return n;
}

HERODEF int hero_build_ft_batch(hero_batch *out, hero_task task, const hero_video *videos, int n_videos,
                                const hero_ft_item *items, int n_items, double frame_interval, const hero_batch_options *opt,
                                hero_error *err) {
    hero__dprep p;
    hero_video *rows = NULL;
    const hero_ft_item **row_item = NULL;
    int *row_cand = NULL;
    size_t *off = NULL, total = 0;
    int32_t *len = NULL, *txt = NULL;
    int k = 1, n_rows, i, a, v, s, r, rc, Lq = 0;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_build_ft_batch: out is NULL");
    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    if (task != HERO_TASK_VSM && task != HERO_TASK_VIDEOQA && task != HERO_TASK_VIOLIN)
        return hero__fail(err, HERO_EINVAL, "hero_build_ft_batch: task %d is not VSM (VCMR / VR), VIDEOQA or VIOLIN", (int)task);
    if (!videos || !items || n_videos < 1 || n_items < 1 || n_items > HERO__DAT_MAXDIM / 64)
        return hero__fail(err, HERO_EINVAL, "hero_build_ft_batch: need videos and 1..%d items (got %d videos, %d items)",
                          HERO__DAT_MAXDIM / 64, n_videos, n_items);
    if (task == HERO_TASK_VIDEOQA) k = items[0].n_cand;
    for (i = 0; i < n_items; i++) {
        const hero_ft_item *it = &items[i];
        if (it->video < 0 || it->video >= n_videos || it->len < 0 || it->len > HERO__DAT_MAXDIM / 4 || (it->len && !it->tokens))
            return hero__fail(err, HERO_EINVAL, "item %d: video %d (of %d) or text (%d words) invalid", i, it->video, n_videos, it->len);
        if (task == HERO_TASK_VIDEOQA) {
            if (it->n_cand != k || k < 1 || k > 64 || !it->cand_len || it->label < -1 || it->label >= k)
                return hero__fail(err, HERO_EINVAL, "item %d: %d candidates (the batch has %d, 1..64), answer %d", i, it->n_cand, k, it->label);
            for (a = 0; a < k; a++)
                if (it->cand_len[a] < 0 || it->cand_len[a] > HERO__DAT_MAXDIM / 4 || (it->cand_len[a] && !it->cand_tokens))
                    return hero__fail(err, HERO_EINVAL, "item %d: candidate %d has %d words", i, a, it->cand_len[a]);
        }
        if (task == HERO_TASK_VIOLIN && (it->label < 0 || it->label > 1))
            return hero__fail(err, HERO_EINVAL, "item %d: VIOLIN label %d (need 0 or 1)", i, it->label);
    }
    n_rows = n_items * k;
    rows = (hero_video *)hero__dat_alloc((size_t)n_rows, sizeof(hero_video));
    row_item = (const hero_ft_item **)hero__dat_alloc((size_t)n_rows, sizeof(*row_item));
    row_cand = (int *)hero__dat_alloc((size_t)n_rows, sizeof(int));
    if (!rows || !row_item || !row_cand) { rc = hero__fail(err, HERO_ENOMEM, "hero_build_ft_batch: out of memory"); goto done; }
    for (i = 0, r = 0; i < n_items; i++)
        for (a = 0; a < k; a++, r++) { rows[r] = videos[items[i].video]; row_item[r] = &items[i]; row_cand[r] = a; }
    if ((rc = hero__dprep_init(&p, rows, n_rows, opt, err)) != 0) goto done;
    /* subtitle rows: [SEP] words (+ the item's text) */
    off = (size_t *)hero__dat_alloc((size_t)p.S, sizeof(size_t));
    len = (int32_t *)hero__dat_zalloc((size_t)p.S, sizeof(int32_t));
    if (!off || !len) { rc = hero__fail(err, HERO_ENOMEM, "hero_build_ft_batch: out of memory"); goto done; }
    for (v = 0, r = 0; v < n_rows; v++)
        for (s = 0; s < p.k[v]; s++, r++) {
            size_t l = 1 + hero__dat_row_words(&p, rows, v, s, opt->sub_ctx_len, 0, NULL, NULL) +
                       hero__ft_text(task, row_item[v], row_cand[v], opt, NULL);
            if (l > HERO__DAT_MAXDIM || total > (size_t)HERO__DAT_MAXDIM) { rc = hero__fail(err, HERO_ELIMIT, "row %d: %zu words", r, l); goto done; }
            off[r] = total; len[r] = (int32_t)l; total += l;
        }
    if (!(txt = (int32_t *)hero__dat_zalloc(total, sizeof(int32_t)))) { rc = hero__fail(err, HERO_ENOMEM, "hero_build_ft_batch: out of memory"); goto done; }
    for (v = 0, r = 0; v < n_rows; v++)
        for (s = 0; s < p.k[v]; s++, r++) {
            size_t w;
            txt[off[r]] = opt->sep_id;
            w = hero__dat_row_words(&p, rows, v, s, opt->sub_ctx_len, 0, NULL, txt + off[r] + 1);
            hero__ft_text(task, row_item[v], row_cand[v], opt, txt + off[r] + 1 + w);
        }
    if ((rc = hero__dat_collate_rows(out, &p, rows, txt, off, len, opt->pad_id, 1, 1, err)) != 0 ||
        (rc = hero__dat_collate_clips(out, &p, rows, err)) != 0)
        goto done;
    /* the text next to the frames (video QA / VIOLIN) or the queries (VSM: [CLS] query), padded with pad_id */
    for (r = 0; r < n_rows; r++) {
        int l = task == HERO_TASK_VSM ? 1 + row_item[r]->len : (int)hero__ft_text(task, row_item[r], row_cand[r], opt, NULL);
        if (l > Lq) Lq = l;
    }
    out->Nq = n_rows; out->Lq = Lq;
    out->q_ids = (int32_t *)hero__dat_alloc((size_t)n_rows * Lq, sizeof(int32_t));
    out->q_mask = (int32_t *)hero__dat_zalloc((size_t)n_rows * Lq, sizeof(int32_t));
    out->q_pos = (int32_t *)hero__dat_alloc((size_t)Lq, sizeof(int32_t));
    out->labels = task == HERO_TASK_VSM ? NULL : (int32_t *)hero__dat_alloc((size_t)n_items, sizeof(int32_t));
    out->vsm_targets = task == HERO_TASK_VIOLIN ? NULL : (int32_t *)hero__dat_alloc(2 * (size_t)n_items, sizeof(int32_t));
    out->q_vidx = task == HERO_TASK_VSM ? (int32_t *)hero__dat_alloc((size_t)n_items, sizeof(int32_t)) : NULL;
    if (!out->q_ids || !out->q_mask || !out->q_pos || (task != HERO_TASK_VSM && !out->labels) ||
        (task != HERO_TASK_VIOLIN && !out->vsm_targets) || (task == HERO_TASK_VSM && !out->q_vidx)) {
        rc = hero__fail(err, HERO_ENOMEM, "hero_build_ft_batch: out of memory");
        goto done;
    }
    for (i = 0; i < Lq; i++) out->q_pos[i] = i > 511 ? 511 : i; /* txt_input_collate's hack (query_collate: none; Lq <= 512 there) */
    for (r = 0; r < n_rows; r++) {
        int32_t *d = out->q_ids + (size_t)r * Lq;
        int l;
        if (task == HERO_TASK_VSM) {
            d[0] = opt->cls_id;
            if (row_item[r]->len) memcpy(d + 1, row_item[r]->tokens, (size_t)row_item[r]->len * sizeof(int32_t));
            l = 1 + row_item[r]->len;
        } else {
            l = (int)hero__ft_text(task, row_item[r], row_cand[r], opt, d);
        }
        for (i = 0; i < Lq; i++) {
            if (i >= l) d[i] = opt->pad_id;
            out->q_mask[(size_t)r * Lq + i] = i < l;
        }
    }
    for (i = 0; i < n_items; i++) {
        int rr = i * k;
        if (out->labels) out->labels[i] = items[i].label;
        if (out->vsm_targets) hero__ft_span(&items[i], frame_interval, p.T[rr], &out->vsm_targets[2 * i], &out->vsm_targets[2 * i + 1]);
        if (out->q_vidx) { /* vcmr_collate: vid2idx keeps the LAST item of each video */
            int j, last = i;
            for (j = 0; j < n_items; j++) if (items[j].video == items[i].video) last = j;
            out->q_vidx[i] = last;
        }
    }
    out->task = task;
    out->n_cand = task == HERO_TASK_VIDEOQA ? k : task == HERO_TASK_VIOLIN ? 1 : 0;
    rc = 0;
done:
    hero__dprep_free(&p);
    HERO_FREE(rows); HERO_FREE(row_item); HERO_FREE(row_cand); HERO_FREE(off); HERO_FREE(len); HERO_FREE(txt);
    if (rc) hero_batch_free(out);
    return rc;
}

/* ---- a batch straight from a golden file's in.* tensors ---- */

static const char *hero__dat_path(const hero_tensorfile *tf) { return tf && tf->path ? tf->path : "golden file"; }

/* Look up `name`, check it has ndim dims (each 0..HERO__DAT_MAXDIM; want[d] >= 0 must
   match), store them in dims. Returns the tensor or NULL with err filled. */
/* the file tensor `name` with ndim dims (each equal to want[d] when >= 0) into *out, its dims and
   element count; returns the error code (HERO_EMISSING / ESHAPE / ELIMIT) with a message */
static int hero__dat_gold_find(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                               size_t *count, const hero_tensor_info **out, hero_error *err) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    size_t n = 1;
    int d;
    *out = NULL;
    if (!t)
        return hero__fail(err, HERO_EMISSING, "%s: tensor %s missing", hero__dat_path(tf), name);
    if (t->ndim != ndim)
        return hero__fail(err, HERO_ESHAPE, "%s: tensor %s has %d dims, expected %d", hero__dat_path(tf), name, (int)t->ndim, ndim);
    for (d = 0; d < ndim; d++) {
        int64_t s = (int64_t)t->shape[d];
        if (s < 0 || s > HERO__DAT_MAXDIM || (want && want[d] >= 0 && s != want[d])) {
            if (s >= 0 && s <= HERO__DAT_MAXDIM)
                return hero__fail(err, HERO_ESHAPE, "%s: tensor %s dim %d is %lld, expected %d", hero__dat_path(tf), name, d, (long long)s, want[d]);
            else
                return hero__fail(err, HERO_ELIMIT, "%s: tensor %s dim %d is %lld, outside 0..%d", hero__dat_path(tf), name, d, (long long)s, HERO__DAT_MAXDIM);
        }
        dims[d] = (int)s;
        if (s != 0 && n > ((size_t)-1) / 8 / (size_t)s)
            return hero__fail(err, HERO_ELIMIT, "%s: tensor %s: element count overflows", hero__dat_path(tf), name);
        n *= (size_t)s;
    }
    *count = n;
    *out = t;
    return HERO_OK;
}

/* int tensor -> int32 array in [lo, hi] (HERO_MALLOC'd into *dst) */
static int hero__dat_gold_i32(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                              int64_t lo, int64_t hi, int32_t **dst, hero_error *err) {
    size_t n, i;
    int64_t *tmp;
    int rc;
    const hero_tensor_info *t;
    int rc0 = hero__dat_gold_find(tf, name, ndim, want, dims, &n, &t, err);
    if (rc0) return rc0;
    tmp = (int64_t *)hero__dat_alloc(n, sizeof(int64_t));
    *dst = (int32_t *)hero__dat_alloc(n, sizeof(int32_t));
    if (!tmp || !*dst) {
        HERO_FREE(tmp);
        return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s (%zu elements)", hero__dat_path(tf), name, n);
    }
    rc = hero_tensor_read_i64(t, tmp, (int64_t)n, err);
    if (rc) { HERO_FREE(tmp); return rc; }
    for (i = 0; i < n; i++) {
        if (tmp[i] < lo || tmp[i] > hi) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: tensor %s element %zu is %lld, expected %lld..%lld", hero__dat_path(tf), name, i, (long long)tmp[i], (long long)lo, (long long)hi);
            HERO_FREE(tmp);
            return rc;
        }
        (*dst)[i] = (int32_t)tmp[i];
    }
    HERO_FREE(tmp);
    return HERO_OK;
}

static int hero__dat_gold_u8(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                             uint8_t **dst, hero_error *err) {
    int32_t *tmp = NULL;
    size_t n = 1, i;
    int d, rc = hero__dat_gold_i32(tf, name, ndim, want, dims, 0, 1, &tmp, err);
    if (rc) { HERO_FREE(tmp); return rc; }
    for (d = 0; d < ndim; d++) n *= (size_t)dims[d];
    *dst = (uint8_t *)hero__dat_alloc(n, 1);
    if (!*dst) { HERO_FREE(tmp); return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", hero__dat_path(tf), name); }
    for (i = 0; i < n; i++) (*dst)[i] = (uint8_t)tmp[i];
    HERO_FREE(tmp);
    return HERO_OK;
}

static int hero__dat_gold_f32(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                              float **dst, hero_error *err) {
    size_t n;
    const hero_tensor_info *t;
    int rc0 = hero__dat_gold_find(tf, name, ndim, want, dims, &n, &t, err);
    if (rc0) return rc0;
    *dst = (float *)hero__dat_alloc(n, sizeof(float));
    if (!*dst) return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s (%zu elements)", hero__dat_path(tf), name, n);
    return hero_tensor_read_f32(t, *dst, (int64_t)n, err);
}

HERODEF int hero_batch_from_golden(hero_batch *b, hero_task task, const hero_tensorfile *tf, hero_error *err) {
    int d[3], w[3], rc, i;
    const int BIG = HERO__DAT_MAXDIM;
    int mlm = task == HERO_TASK_MLM;
    if (!b) return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden: b is NULL");
    memset(b, 0, sizeof(*b));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden: tf NULL or task %d unknown", (int)task);
    b->task = task;
#define HERO__G(call) do { rc = (call); if (rc) goto fail; } while (0)
#define HERO__W(a, b_, c) (w[0] = (a), w[1] = (b_), w[2] = (c), w)
    /* cross-modal rows */
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.input_ids" : "in.f_sub_input_ids", 2, NULL, d, 0, INT32_MAX, &b->txt_ids, err));
    b->S = d[0];
    b->Lt = d[1];
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.position_ids" : "in.f_sub_pos_ids", 2, HERO__W(1, b->Lt, 0), d, 0, BIG, &b->txt_pos, err));
    HERO__G(hero__dat_gold_f32(tf, mlm ? "in.v_feat" : "in.f_v_feats", 3, HERO__W(b->S, -1, -1), d, &b->f_v_feats, err));
    b->Lv = d[1];
    b->F = d[2];
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.attn_masks" : "in.f_attn_masks", 2, HERO__W(b->S, -1, 0), d, 0, 1, &b->f_attn_mask, err));
    b->Lg = d[1];
    if ((int64_t)b->Lg > (int64_t)b->Lv + b->Lt) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: attention length %d exceeds frames %d + words %d", hero__dat_path(tf), b->Lg, b->Lv, b->Lt);
        goto fail;
    }
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.gather_index" : "in.f_gather_index", 2, HERO__W(b->S, b->Lg, 0), d, 0,
                               (int64_t)b->Lv + b->Lt - 1, &b->f_gather, err));
    if (mlm) {
        b->f_v_pos = (int32_t *)hero__dat_alloc((size_t)b->Lv, sizeof(int32_t));
        if (!b->f_v_pos) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", hero__dat_path(tf)); goto fail; }
        for (i = 0; i < b->Lv; i++) b->f_v_pos[i] = i;
    } else {
        HERO__G(hero__dat_gold_i32(tf, "in.f_v_pos_ids", 2, HERO__W(1, b->Lv, 0), d, 0, BIG, &b->f_v_pos, err));
    }
    /* per-video bookkeeping and temporal input (the official MLM batch has none) */
    if (!mlm) {
        int64_t sum = 0;
        HERO__G(hero__dat_gold_i32(tf, "in.num_subs", 1, NULL, d, 0, BIG, &b->num_subs, err));
        b->B = d[0];
        for (i = 0; i < b->B; i++) sum += b->num_subs[i];
        if (sum != b->S) { rc = hero__fail(err, HERO_ESHAPE, "%s: in.num_subs sum to %lld, expected %d rows", hero__dat_path(tf), (long long)sum, b->S); goto fail; }
        b->n_s2f = b->S;
        HERO__G(hero__dat_gold_i32(tf, "in.s2f_sub_idx", 1, HERO__W(b->S, 0, 0), d, 0, BIG, &b->s2f_sub_idx, err));
        HERO__G(hero__dat_gold_i32(tf, "in.s2f_nframes", 1, HERO__W(b->S, 0, 0), d, 0, BIG, &b->s2f_nframes, err));
        sum = 0;
        for (i = 0; i < b->S; i++) sum += b->s2f_nframes[i];
        if (sum > BIG) { rc = hero__fail(err, HERO_ELIMIT, "%s: %lld s2f frames", hero__dat_path(tf), (long long)sum); goto fail; }
        HERO__G(hero__dat_gold_i32(tf, "in.s2f_frames", 1, HERO__W((int)sum, 0, 0), d, 0, BIG, &b->s2f_frames, err));
    }
    if (!mlm) {
        HERO__G(hero__dat_gold_f32(tf, "in.c_v_feats", 3, HERO__W(b->B, -1, b->F), d, &b->c_v_feats, err));
        b->L = d[1];
        HERO__G(hero__dat_gold_i32(tf, "in.c_attn_masks", 2, HERO__W(b->B, b->L, 0), d, 0, 1, &b->c_attn_mask, err));
        {
            int64_t k, nfr = 0;
            for (k = 0; k < b->S; k++) nfr += b->s2f_nframes[k];
            for (k = 0; k < nfr; k++)
                if (b->s2f_frames[k] >= b->L) {
                    rc = hero__fail(err, HERO_EFORMAT, "%s: in.s2f_frames[%lld] is %d, expected < %d frames", hero__dat_path(tf), (long long)k, (int)b->s2f_frames[k], b->L);
                    goto fail;
                }
        }
    }
    switch (task) {
    case HERO_TASK_MLM:
        HERO__G(hero__dat_gold_u8(tf, "in.txt_mask_tgt", 2, HERO__W(b->S, b->Lg, 0), d, &b->txt_mask_tgt, err));
        HERO__G(hero__dat_gold_i32(tf, "in.txt_labels", 1, NULL, d, 0, INT32_MAX, &b->txt_labels, err));
        b->n_mlm = d[0];
        break;
    case HERO_TASK_MFM_NCE:
    case HERO_TASK_MFFR:
        HERO__G(hero__dat_gold_u8(tf, "in.f_v_masks", 2, HERO__W(b->S, b->Lv, 0), d, &b->f_v_masks, err));
        HERO__G(hero__dat_gold_u8(tf, "in.c_v_masks", 2, HERO__W(b->B, b->L, 0), d, &b->c_v_masks, err));
        HERO__G(hero__dat_gold_f32(tf, "in.feat_targets", 2, HERO__W(-1, b->F, 0), d, &b->feat_targets, err));
        b->n_masked = d[0];
        break;
    case HERO_TASK_FOM:
        HERO__G(hero__dat_gold_i32(tf, "in.shuffled_orders", 2, HERO__W(b->B, b->L, 0), d, 0, (int64_t)b->L - 1, &b->shuffled_orders, err));
        HERO__G(hero__dat_gold_i32(tf, "in.targets", 2, HERO__W(b->B, b->L, 0), d, -1, (int64_t)b->L - 1, &b->fom_targets, err));
        break;
    case HERO_TASK_VSM:
        HERO__G(hero__dat_gold_i32(tf, "in.query_input_ids", 2, NULL, d, 0, INT32_MAX, &b->q_ids, err));
        b->Nq = d[0];
        b->Lq = d[1];
        HERO__G(hero__dat_gold_i32(tf, "in.query_pos_ids", 2, HERO__W(1, b->Lq, 0), d, 0, BIG, &b->q_pos, err));
        HERO__G(hero__dat_gold_i32(tf, "in.query_attn_masks", 2, HERO__W(b->Nq, b->Lq, 0), d, 0, 1, &b->q_mask, err));
        HERO__G(hero__dat_gold_i32(tf, "in.q_vidx", 1, HERO__W(b->Nq, 0, 0), d, 0, (int64_t)b->B - 1, &b->q_vidx, err));
        HERO__G(hero__dat_gold_i32(tf, "in.targets", 2, HERO__W(b->Nq, 2, 0), d, -1, (int64_t)b->L - 1, &b->vsm_targets, err));
        break;
    default:
        break;
    }
#undef HERO__G
#undef HERO__W
    return HERO_OK;
fail:
    hero_batch_free(b);
    return rc;
}

/* ---- rebuilding a golden file's batch from raw.* (corpus) + choice.* (random choices) ---- */

static int64_t hero__dat_sum(const int32_t *a, int n) {
    int64_t s = 0;
    int i;
    for (i = 0; i < n; i++) s += a[i];
    return s;
}

HERODEF void hero_golden_videos_free(hero_golden_videos *g) {
    if (!g) return;
    HERO_FREE(g->videos); HERO_FREE(g->feats); HERO_FREE(g->nframes); HERO_FREE(g->num_subs);
    HERO_FREE(g->sub_len); HERO_FREE(g->sub_tokens); HERO_FREE(g->s2f_sub_idx); HERO_FREE(g->s2f_nframes);
    HERO_FREE(g->s2f_frames);
    memset(g, 0, sizeof(*g));
}

#define HERO__G(call) do { rc = (call); if (rc) goto fail; } while (0)

HERODEF int hero_videos_from_golden(hero_golden_videos *out, const hero_tensorfile *tf, hero_error *err) {
    const int BIG = HERO__DAT_MAXDIM;
    int d[2], w[2], B, S, rc;
    int64_t ntok, nfr, nt;
    size_t nfeat = 0;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_videos_from_golden: out is NULL");
    memset(out, 0, sizeof(*out));
    if (!tf) return hero__fail(err, HERO_EINVAL, "hero_videos_from_golden: tf is NULL");
    HERO__G(hero__dat_gold_i32(tf, "raw.nframes", 1, NULL, d, 1, BIG, &out->nframes, err));
    B = d[0];
    if (B < 1) { rc = hero__fail(err, HERO_ESHAPE, "%s: tensor raw.nframes is empty, expected >= 1 video", hero__dat_path(tf)); goto fail; }
    w[0] = B;
    HERO__G(hero__dat_gold_i32(tf, "raw.num_subs", 1, w, d, 0, BIG, &out->num_subs, err));
    HERO__G(hero__dat_gold_i32(tf, "raw.sub_len", 1, NULL, d, 0, BIG, &out->sub_len, err));
    S = d[0];
    if (hero__dat_sum(out->num_subs, B) != S) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: raw.num_subs sum to %lld, expected the %d subtitles of raw.sub_len", hero__dat_path(tf),
                        (long long)hero__dat_sum(out->num_subs, B), S);
        goto fail;
    }
    w[0] = S;
    HERO__G(hero__dat_gold_i32(tf, "raw.s2f_sub_idx", 1, w, d, 0, BIG, &out->s2f_sub_idx, err));
    HERO__G(hero__dat_gold_i32(tf, "raw.s2f_nframes", 1, w, d, 0, BIG, &out->s2f_nframes, err));
    ntok = hero__dat_sum(out->sub_len, S);
    nfr = hero__dat_sum(out->s2f_nframes, S);
    nt = hero__dat_sum(out->nframes, B);
    if (ntok > BIG || nfr > BIG || nt > BIG) {
        rc = hero__fail(err, HERO_ELIMIT, "%s: raw.sub_len / raw.s2f_nframes / raw.nframes sum to %lld / %lld / %lld, limit %d",
                        hero__dat_path(tf), (long long)ntok, (long long)nfr, (long long)nt, BIG);
        goto fail;
    }
    w[0] = (int)ntok; /* each count must be exactly the sum of its lengths */
    HERO__G(hero__dat_gold_i32(tf, "raw.sub_tokens", 1, w, d, 0, INT32_MAX, &out->sub_tokens, err));
    w[0] = (int)nfr;
    HERO__G(hero__dat_gold_i32(tf, "raw.s2f_frames", 1, w, d, 0, BIG, &out->s2f_frames, err));
    w[0] = (int)nt;
    w[1] = -1;
    HERO__G(hero__dat_gold_f32(tf, "raw.v_feats", 2, w, d, &out->feats, err));
    out->F = d[1];
    if (out->F < 1 || !hero__dat_mul3((size_t)nt, (size_t)out->F, 1, &nfeat)) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: tensor raw.v_feats has %d floats per frame, expected >= 1", hero__dat_path(tf), out->F);
        goto fail;
    }
    out->videos = (hero_video *)hero__dat_zalloc((size_t)B, sizeof(hero_video));
    if (!out->videos) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory for %d videos", hero__dat_path(tf), B); goto fail; }
    HERO__G(hero_videos_from_flat(out->videos, B, out->F, out->nframes, out->feats, nfeat, out->num_subs, out->sub_len,
                                  (size_t)S, out->sub_tokens, (size_t)ntok, out->s2f_sub_idx, out->s2f_nframes,
                                  out->s2f_frames, (size_t)nfr, err));
    out->n_videos = B;
    return HERO_OK;
fail:
    hero_golden_videos_free(out);
    return rc;
}

HERODEF int hero_choices_from_golden(hero_choices *c, hero_task task, const hero_tensorfile *tf, hero_error *err) {
    const int BIG = HERO__DAT_MAXDIM;
    int d[1], w[1], rc;
    int64_t sum;
    if (!c) return hero__fail(err, HERO_EINVAL, "hero_choices_from_golden: c is NULL");
    memset(c, 0, sizeof(*c));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_choices_from_golden: tf NULL or task %d unknown", (int)task);
    c->task = task;
    switch (task) {
    case HERO_TASK_MLM:
        HERO__G(hero__dat_gold_i32(tf, "choice.mlm_len", 1, NULL, d, 0, BIG, &c->mlm_len, err));
        c->n_rows = d[0];
        sum = hero__dat_sum(c->mlm_len, c->n_rows);
        if (sum > BIG) { rc = hero__fail(err, HERO_ELIMIT, "%s: choice.mlm_len sum to %lld words, limit %d", hero__dat_path(tf), (long long)sum, BIG); goto fail; }
        w[0] = (int)sum; /* one entry per word of every row */
        HERO__G(hero__dat_gold_i32(tf, "choice.mlm_input_ids", 1, w, d, 0, INT32_MAX, &c->mlm_input_ids, err));
        HERO__G(hero__dat_gold_i32(tf, "choice.mlm_labels", 1, w, d, -1, INT32_MAX, &c->mlm_labels, err));
        break;
    case HERO_TASK_MFM_NCE:
    case HERO_TASK_MFFR:
        HERO__G(hero__dat_gold_u8(tf, "choice.frame_mask", 1, NULL, d, &c->frame_mask, err));
        c->n_frames = d[0];
        break;
    case HERO_TASK_FOM:
        HERO__G(hero__dat_gold_i32(tf, "choice.fom_orders", 1, NULL, d, 0, BIG, &c->fom_orders, err));
        c->n_frames = d[0];
        w[0] = d[0];
        HERO__G(hero__dat_gold_i32(tf, "choice.fom_targets", 1, w, d, -1, BIG, &c->fom_targets, err));
        break;
    case HERO_TASK_VSM:
        HERO__G(hero__dat_gold_i32(tf, "choice.vsm_n_sampled", 1, NULL, d, 0, BIG, &c->vsm_n_sampled, err));
        c->n_videos = d[0];
        sum = hero__dat_sum(c->vsm_n_sampled, c->n_videos);
        if (sum > BIG) { rc = hero__fail(err, HERO_ELIMIT, "%s: choice.vsm_n_sampled sum to %lld, limit %d", hero__dat_path(tf), (long long)sum, BIG); goto fail; }
        w[0] = (int)sum; /* the queries of every video, videos in order */
        HERO__G(hero__dat_gold_i32(tf, "choice.vsm_sampled_sub_idx", 1, w, d, 0, BIG, &c->vsm_sampled_sub_idx, err));
        break;
    default: /* REPR: nothing random */
        break;
    }
    return HERO_OK;
fail:
    hero_choices_free(c);
    return rc;
}

/* a JSON integer in [lo, hi] -> *dst; 0, or -1 if v is not one */
static int hero__dat_json_int(const hero_json *v, int lo, int hi, int *dst) {
    if (!v || v->type != HERO_JSON_NUMBER || !(v->number >= (double)lo && v->number <= (double)hi) ||
        (double)(int)v->number != v->number)
        return -1;
    *dst = (int)v->number;
    return 0;
}

/* data_settings member `key` (absent: *dst unchanged) as an integer in [lo, hi] */
static int hero__dat_meta_int(const hero_json *o, const char *key, int lo, int hi, int *dst, const char *path,
                              hero_error *err) {
    const hero_json *v = hero_json_get(o, key);
    if (v && hero__dat_json_int(v, lo, hi, dst))
        return hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings.%s: expected an integer in %d..%d", path, key, lo, hi);
    return HERO_OK;
}

/* scalar int tensor `name` (absent: *dst unchanged) */
static int hero__dat_gold_scalar(const hero_tensorfile *tf, const char *name, int *dst, hero_error *err) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t x = 0;
    int rc;
    if (!t) return HERO_OK;
    if (hero_tensor_numel(t) != 1)
        return hero__fail(err, HERO_ESHAPE, "%s: tensor %s has %lld elements, expected 1", hero__dat_path(tf), name, (long long)hero_tensor_numel(t));
    rc = hero_tensor_read_i64(t, &x, 1, err);
    if (rc) return rc;
    if (x < -HERO__DAT_MAXDIM || x > HERO__DAT_MAXDIM)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor %s is %lld, expected -%d..%d", hero__dat_path(tf), name, (long long)x, HERO__DAT_MAXDIM, HERO__DAT_MAXDIM);
    *dst = (int)x;
    return HERO_OK;
}

HERODEF int hero_batch_options_from_golden(hero_batch_options *o, const hero_tensorfile *tf, int vocab_size,
                                           hero_error *err) {
    const int BIG = HERO__DAT_MAXDIM;
    const char *text, *path;
    hero_json js;
    hero_error e2;
    int rc = HERO_OK, mask = -1;
    if (!o || !tf) return hero__fail(err, HERO_EINVAL, "hero_batch_options_from_golden: o or tf is NULL");
    path = hero__dat_path(tf);
    memset(&js, 0, sizeof(js));
    text = hero_tensorfile_meta(tf, "data_settings");
    if (text) {
        memset(&e2, 0, sizeof(e2));
        if (hero_json_parse(text, strlen(text), &js, &e2))
            return hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings is not JSON: %s", path, e2.msg);
        if (js.type != HERO_JSON_OBJECT) { rc = hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings is not a JSON object", path); goto done; }
        if ((rc = hero__dat_meta_int(&js, "mask", 0, BIG, &mask, path, err))) goto done;
    }
    if (vocab_size <= 0) {
        if (mask < 0) { rc = hero__fail(err, HERO_EINVAL, "%s: no vocabulary size given and no data_settings.mask in the metadata", path); goto done; }
        vocab_size = mask + 1;
    }
    *o = hero_batch_options_default(vocab_size);
    if (text) {
        const hero_json *p = hero_json_get(&js, "mask_prob"), *vr = hero_json_get(&js, "v_range");
        if ((rc = hero__dat_meta_int(&js, "max_txt_len", -BIG, BIG, &o->max_txt_len, path, err)) ||
            (rc = hero__dat_meta_int(&js, "max_clip_len", -BIG, BIG, &o->max_frames, path, err)) ||
            (rc = hero__dat_meta_int(&js, "max_frames", -BIG, BIG, &o->max_frames, path, err)) ||
            (rc = hero__dat_meta_int(&js, "query_per_video", -BIG, BIG, &o->query_per_video, path, err)) ||
            (rc = hero__dat_meta_int(&js, "sub_ctx_len", -BIG, BIG, &o->sub_ctx_len, path, err)) ||
            (rc = hero__dat_meta_int(&js, "cls", 0, BIG, &o->cls_id, path, err)) ||
            (rc = hero__dat_meta_int(&js, "pad", 0, BIG, &o->pad_id, path, err)) ||
            (rc = hero__dat_meta_int(&js, "sep", 0, BIG, &o->sep_id, path, err)) ||
            (rc = hero__dat_meta_int(&js, "mask", 0, BIG, &o->mask_id, path, err)))
            goto done;
        if (p) {
            if (p->type != HERO_JSON_NUMBER || !(p->number >= 0.0 && p->number <= 1.0)) {
                rc = hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings.mask_prob: expected a number in 0..1", path);
                goto done;
            }
            o->mask_prob = (float)p->number;
        }
        if (vr && (vr->type != HERO_JSON_ARRAY || vr->n != 2 || hero__dat_json_int(&vr->items[0], 0, BIG, &o->v_lo) ||
                   hero__dat_json_int(&vr->items[1], 0, BIG, &o->v_hi))) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings.v_range: expected [lo, hi], integers in 0..%d", path, BIG);
            goto done;
        }
    }
    /* the explicit per-file options (tests/golden/batch_fuzz) */
    if ((rc = hero__dat_gold_scalar(tf, "opt.max_txt_len", &o->max_txt_len, err)) ||
        (rc = hero__dat_gold_scalar(tf, "opt.max_frames", &o->max_frames, err)) ||
        (rc = hero__dat_gold_scalar(tf, "opt.sub_ctx_len", &o->sub_ctx_len, err)) ||
        (rc = hero__dat_gold_scalar(tf, "opt.query_per_video", &o->query_per_video, err)))
        goto done;
    if ((rc = hero__dat_check_opt(o, &e2))) rc = hero__fail(err, rc, "%s: %s", path, e2.msg);
done:
    hero_json_free(&js);
    return rc;
}

HERODEF int hero_batch_from_golden_raw(hero_batch *out, hero_task task, const hero_tensorfile *tf, int vocab_size,
                                       hero_error *err) {
    hero_batch_options o;
    hero_golden_videos gv;
    hero_choices c;
    hero_error e2;
    int rc;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden_raw: out is NULL");
    memset(out, 0, sizeof(*out));
    memset(&gv, 0, sizeof(gv));
    memset(&c, 0, sizeof(c));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden_raw: tf NULL or task %d unknown", (int)task);
    rc = hero_batch_options_from_golden(&o, tf, vocab_size, err);
    if (!rc) rc = hero_videos_from_golden(&gv, tf, err);
    if (!rc) rc = hero_choices_from_golden(&c, task, tf, err);
    if (!rc) {
        memset(&e2, 0, sizeof(e2));
        rc = hero_build_batch(out, task, gv.videos, gv.n_videos, &o, task == HERO_TASK_REPR ? NULL : &c, NULL, &e2);
        if (rc) hero__fail(err, rc, "%s: %s batch from raw.* + choice.*: %s", hero__dat_path(tf), hero_task_name(task), e2.msg);
    }
    hero_choices_free(&c);
    hero_golden_videos_free(&gv);
    return rc;
}

#undef HERO__G

/* ---- a batch's fields under the official in.* names, compared with a golden file ---- */

static void hero__dat_field(hero_batch_field *out, int *n, const char *key, hero_dtype dt, const void *data, int ndim,
                            int64_t d0, int64_t d1, int64_t d2) {
    hero_batch_field *f = &out[(*n)++];
    f->key = key;
    f->dtype = dt;
    f->data = data;
    f->ndim = ndim;
    f->shape[0] = d0;
    f->shape[1] = d1;
    f->shape[2] = d2;
}

HERODEF int hero_batch_fields(const hero_batch *b, hero_batch_field *out) {
    int n = 0, mlm, i;
    int64_t nf = 0;
    if (!b || !out) return 0;
    mlm = b->task == HERO_TASK_MLM;
    hero__dat_field(out, &n, mlm ? "input_ids" : "f_sub_input_ids", HERO_I32, b->txt_ids, 2, b->S, b->Lt, 0);
    hero__dat_field(out, &n, mlm ? "position_ids" : "f_sub_pos_ids", HERO_I32, b->txt_pos, 2, 1, b->Lt, 0);
    hero__dat_field(out, &n, mlm ? "v_feat" : "f_v_feats", HERO_F32, b->f_v_feats, 3, b->S, b->Lv, b->F);
    if (!mlm) hero__dat_field(out, &n, "f_v_pos_ids", HERO_I32, b->f_v_pos, 2, 1, b->Lv, 0);
    hero__dat_field(out, &n, mlm ? "attn_masks" : "f_attn_masks", HERO_I32, b->f_attn_mask, 2, b->S, b->Lg, 0);
    hero__dat_field(out, &n, mlm ? "gather_index" : "f_gather_index", HERO_I32, b->f_gather, 2, b->S, b->Lg, 0);
    if (mlm) {
        hero__dat_field(out, &n, "txt_mask_tgt", HERO_U8, b->txt_mask_tgt, 2, b->S, b->Lg, 0);
        hero__dat_field(out, &n, "txt_labels", HERO_I32, b->txt_labels, 1, b->n_mlm, 0, 0);
        return n;
    }
    for (i = 0; b->s2f_nframes && i < b->n_s2f; i++) nf += b->s2f_nframes[i];
    hero__dat_field(out, &n, "c_v_feats", HERO_F32, b->c_v_feats, 3, b->B, b->L, b->F);
    hero__dat_field(out, &n, "c_attn_masks", HERO_I32, b->c_attn_mask, 2, b->B, b->L, 0);
    hero__dat_field(out, &n, "num_subs", HERO_I32, b->num_subs, 1, b->B, 0, 0);
    hero__dat_field(out, &n, "s2f_sub_idx", HERO_I32, b->s2f_sub_idx, 1, b->n_s2f, 0, 0);
    hero__dat_field(out, &n, "s2f_nframes", HERO_I32, b->s2f_nframes, 1, b->n_s2f, 0, 0);
    hero__dat_field(out, &n, "s2f_frames", HERO_I32, b->s2f_frames, 1, nf, 0, 0);
    if (b->task == HERO_TASK_MFM_NCE || b->task == HERO_TASK_MFFR) {
        hero__dat_field(out, &n, "f_v_masks", HERO_U8, b->f_v_masks, 2, b->S, b->Lv, 0);
        hero__dat_field(out, &n, "c_v_masks", HERO_U8, b->c_v_masks, 2, b->B, b->L, 0);
        hero__dat_field(out, &n, "feat_targets", HERO_F32, b->feat_targets, 2, b->n_masked, b->F, 0);
    } else if (b->task == HERO_TASK_FOM) {
        hero__dat_field(out, &n, "shuffled_orders", HERO_I32, b->shuffled_orders, 2, b->B, b->L, 0);
        hero__dat_field(out, &n, "targets", HERO_I32, b->fom_targets, 2, b->B, b->L, 0);
    } else if (b->task == HERO_TASK_VSM) {
        hero__dat_field(out, &n, "query_input_ids", HERO_I32, b->q_ids, 2, b->Nq, b->Lq, 0);
        hero__dat_field(out, &n, "query_pos_ids", HERO_I32, b->q_pos, 2, 1, b->Lq, 0);
        hero__dat_field(out, &n, "query_attn_masks", HERO_I32, b->q_mask, 2, b->Nq, b->Lq, 0);
        hero__dat_field(out, &n, "q_vidx", HERO_I32, b->q_vidx, 1, b->Nq, 0, 0);
        hero__dat_field(out, &n, "targets", HERO_I32, b->vsm_targets, 2, b->Nq, 2, 0);
    }
    return n;
}

/* "[a,b,c]" into buf */
static void hero__dat_shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t l = 0;
    int d;
    buf[0] = '\0';
    l += (size_t)snprintf(buf, cap, "[");
    for (d = 0; d < ndim && l < cap; d++) l += (size_t)snprintf(buf + l, cap - l, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (l < cap) snprintf(buf + l, cap - l, "]");
}

HERODEF int hero_batch_field_golden_err(const hero_batch_field *f, const hero_tensorfile *tf, double *rel_err,
                                        hero_error *err) {
    const hero_tensor_info *t;
    char name[96];
    size_t n = 1, i;
    int d, same, rc, nan = 0;
    double md = 0, mr = 0;
    if (rel_err) *rel_err = 0;
    if (!f || !tf || !rel_err || !f->key || f->ndim < 0 || f->ndim > 3 || strlen(f->key) > sizeof(name) - 4)
        return hero__fail(err, HERO_EINVAL, "hero_batch_field_golden_err: NULL argument or bad field");
    snprintf(name, sizeof(name), "in.%s", f->key);
    t = hero_tensorfile_find(tf, name);
    if (!t) return hero__fail(err, HERO_EMISSING, "%s: tensor %s missing", hero__dat_path(tf), name);
    same = t->ndim == f->ndim;
    for (d = 0; same && d < f->ndim; d++) same = t->shape[d] == f->shape[d];
    if (!same) {
        char a[128], b[128];
        hero__dat_shape_str(a, sizeof(a), t->ndim < HERO_MAX_DIMS ? t->ndim : HERO_MAX_DIMS, t->shape);
        hero__dat_shape_str(b, sizeof(b), f->ndim, f->shape);
        return hero__fail(err, HERO_ESHAPE, "%s: tensor %s has shape %s, the built batch %s", hero__dat_path(tf), name, a, b);
    }
    for (d = 0; d < f->ndim; d++) {
        if (f->shape[d] < 0 || (f->shape[d] != 0 && n > ((size_t)-1) / 8 / (size_t)f->shape[d]))
            return hero__fail(err, HERO_ELIMIT, "%s: tensor %s: element count overflows", hero__dat_path(tf), name);
        n *= (size_t)f->shape[d];
    }
    if (n && !f->data) return hero__fail(err, HERO_EINVAL, "%s: tensor %s: the built batch has no %s", hero__dat_path(tf), name, f->key);
    if (f->dtype == HERO_F32) {
        const float *x = (const float *)f->data;
        float *ref = (float *)hero__dat_alloc(n, sizeof(float));
        if (!ref) return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", hero__dat_path(tf), name);
        rc = hero_tensor_read_f32(t, ref, (int64_t)n, err);
        for (i = 0; !rc && i < n; i++) {
            double dd = fabs((double)x[i] - (double)ref[i]), r = fabs((double)ref[i]);
            if (dd != dd) nan = 1;
            else if (dd > md) md = dd;
            if (r > mr) mr = r;
        }
        HERO_FREE(ref);
    } else if (f->dtype == HERO_I32 || f->dtype == HERO_U8) {
        int64_t *ref = (int64_t *)hero__dat_alloc(n, sizeof(int64_t));
        if (!ref) return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", hero__dat_path(tf), name);
        rc = hero_tensor_read_i64(t, ref, (int64_t)n, err);
        for (i = 0; !rc && i < n; i++) {
            double g = f->dtype == HERO_U8 ? (double)((const uint8_t *)f->data)[i] : (double)((const int32_t *)f->data)[i];
            double dd = fabs((double)ref[i] - g), r = fabs((double)ref[i]);
            if (dd > md) md = dd;
            if (r > mr) mr = r;
        }
        HERO_FREE(ref);
    } else {
        return hero__fail(err, HERO_EINVAL, "%s: tensor %s: field dtype %s unsupported", hero__dat_path(tf), name, hero_dtype_name(f->dtype));
    }
    if (rc) return rc;
    *rel_err = nan ? (double)NAN : md / (mr > 1e-6 ? mr : 1e-6);
    return HERO_OK;
}

/* ---- [tasks] THE TASK TABLE: one entry per hero_task, in its order (section 9 says what an
   entry holds and what adding a task touches) ---- */
enum {
    HERO__GROUPS_VIDEO = HERO__GROUP_TEXT_EMB | HERO__GROUP_FRAME_EMB | HERO__GROUP_CROSS | HERO__GROUP_FUSION |
                         HERO__GROUP_TEMPORAL, /* the whole hierarchy, as c_seq's backward reaches it */
    HERO__GROUPS_MFM = HERO__GROUPS_VIDEO | HERO__GROUP_FRAME_MASK | HERO__GROUP_FUSION_MASK | HERO__GROUP_MFM_HEAD
};
static const hero__task_desc hero__tasks[] = {
    /* id, name, video, groups,
       check, prepare, run, losses,
       draw, check_choices, collate */
    {HERO_TASK_REPR, "repr", 1, HERO__GROUPS_VIDEO,
     NULL, NULL, hero__task_repr, hero__losses_one,
     NULL, NULL, hero__collate_repr},
    {HERO_TASK_MLM, "mlm", 0, HERO__GROUP_TEXT_EMB | HERO__GROUP_FRAME_EMB | HERO__GROUP_CROSS | HERO__GROUP_MLM_HEAD,
     hero__check_mlm, hero__prep_mlm, hero__task_mlm, hero__losses_one,
     hero__draw_mlm, hero__choices_mlm, hero__collate_mlm},
    {HERO_TASK_MFM_NCE, "mfm-nce", 1, HERO__GROUPS_MFM,
     hero__check_mfm, hero__prep_mfm, hero__task_mfm, hero__losses_one,
     hero__draw_mfm, hero__choices_mfm, hero__collate_mfm},
    {HERO_TASK_MFFR, "mffr", 1, HERO__GROUPS_MFM,
     hero__check_mfm, hero__prep_mfm, hero__task_mfm, hero__losses_one,
     hero__draw_mfm, hero__choices_mfm, hero__collate_mfm},
    {HERO_TASK_FOM, "fom", 1, HERO__GROUPS_VIDEO | HERO__GROUP_FOM_HEAD,
     hero__check_fom, hero__prep_fom, hero__task_fom, hero__losses_one,
     hero__draw_fom, hero__choices_fom, hero__collate_fom},
    {HERO_TASK_VSM, "vsm", 1, HERO__GROUPS_VIDEO | HERO__GROUP_QUERY | HERO__GROUP_SPAN | HERO__GROUP_VSM,
     hero__check_vsm, hero__prep_vsm, hero__task_vsm, hero__losses_vsm,
     hero__draw_vsm, hero__choices_vsm, hero__collate_vsm},
    /* fine-tuning (after HERO_TASK_COUNT: not in the pre-training mixture; batches from
       hero_build_ft_batch, so no draw / collate) */
    {HERO_TASK_VIDEOQA, "videoqa", 1, HERO__GROUPS_VIDEO | HERO__GROUP_HEAD_VIDEOQA,
     hero__check_ft, hero__prep_ft, hero__task_videoqa, hero__losses_videoqa,
     NULL, NULL, NULL},
    {HERO_TASK_VIOLIN, "violin", 1, HERO__GROUPS_VIDEO | HERO__GROUP_HEAD_VIOLIN,
     hero__check_ft, hero__prep_ft, hero__task_violin, hero__losses_violin,
     NULL, NULL, NULL}};

static const hero__task_desc *hero__task_of(hero_task t) {
    size_t i;
    if ((int)t >= 0 && t < HERO_TASK_COUNT) {
        HERO_ASSERT(hero__tasks[t].id == t);
        return &hero__tasks[t];
    }
    for (i = HERO_TASK_COUNT; i < sizeof(hero__tasks) / sizeof(hero__tasks[0]); i++)
        if (hero__tasks[i].id == t) return &hero__tasks[i];
    return NULL;
}

HERODEF int hero_task_trains(hero_task t, const char *param) {
    const hero__task_desc *T = hero__task_of(t);
    return T && param && (T->groups & hero__param_group(param)) != 0;
}

/* ======================================================================================
   14. Pre-training loop: task mixture, accumulation, hard negatives, resumable state
   ====================================================================================== */

HERODEF hero_train_config hero_train_config_default(int vocab_size) {
    hero_train_config c;
    int i;
    memset(&c, 0, sizeof(c));
    for (i = 0; i < HERO_TASK_COUNT; i++) c.task_ratio[i] = 0;
    c.task_ratio[HERO_TASK_MLM] = 2;
    c.task_ratio[HERO_TASK_MFM_NCE] = 2;
    c.task_ratio[HERO_TASK_FOM] = 1;
    c.task_ratio[HERO_TASK_VSM] = 2;
    c.accum_steps = 2;
    c.videos_per_batch = 32;
    c.hard_negative_start = 20000;
    c.hard_pool_size = 20;
    c.hard_neg_weight = 10;
    c.batch = hero_batch_options_default(vocab_size);
    c.adamw = hero_adamw_default();
    c.seed = 42;
    return c;
}

static void hero__trainer_shuffle(hero_trainer *t) {
    int i;
    for (i = t->n_videos - 1; i > 0; i--) {
        int j = (int)hero_rng_below(&t->rng, (uint64_t)i + 1);
        int32_t tmp = t->order[i];
        t->order[i] = t->order[j];
        t->order[j] = tmp;
    }
    t->pos = 0;
}

/* hard negatives from a given update on (the official loop checks completed updates) */
static void hero__trainer_hard_negatives(hero_trainer *t) {
    if (t->cfg.hard_negative_start >= 0 && t->opt.step >= t->cfg.hard_negative_start) {
        t->model->cfg.use_hard_negative = 1;
        t->model->cfg.hard_pool_size = t->cfg.hard_pool_size;
        t->model->cfg.hard_neg_weight = t->cfg.hard_neg_weight;
    }
}

/* the next micro-batch's videos_per_batch videos into sel; a batch never straddles two epochs,
   so no video appears twice in it */
static void hero__trainer_next_videos(hero_trainer *t, hero_video *sel) {
    int i, B = t->cfg.videos_per_batch;
    if (t->pos + B > t->n_videos) hero__trainer_shuffle(t);
    for (i = 0; i < B; i++) sel[i] = t->videos[t->order[t->pos++]];
}

/* the end of an update: the losses recorded, then the optimizer step (gradients dropped if it fails) */
static int hero__trainer_step(hero_trainer *t, hero_task task, double loss_sum, hero_error *err) {
    int rc;
    t->last_task = task;
    t->last_loss = (float)(loss_sum / t->cfg.accum_steps);
    if ((rc = hero_optimizer_step(&t->opt, t->model, &t->last_grad_norm, &t->last_lr, err)) != 0) hero_zero_grad(t->model);
    return rc;
}

HERODEF int hero_trainer_init(hero_trainer *t, hero_model *m, const hero_train_config *c, const hero_video *videos,
                              int n_videos, hero_error *err) {
    int i, rc;
    double sum = 0;
    memset(t, 0, sizeof(*t));
    if (m->inference_only)
        return hero__fail(err, HERO_EINVAL, "trainer: the model is inference-only (%s weights, no gradients): nothing to train",
                          hero_wtype_name(m->wtype));
    for (i = 0; i < HERO_TASK_COUNT; i++) {
        if (c->task_ratio[i] < 0 || c->task_ratio[i] != c->task_ratio[i]) return hero__fail(err, HERO_EINVAL, "trainer: negative task ratio");
        if (i != HERO_TASK_REPR) sum += c->task_ratio[i];
    }
    if (sum <= 0) return hero__fail(err, HERO_EINVAL, "trainer: every task ratio is 0");
    if (n_videos < 1 || c->videos_per_batch < 1 || c->accum_steps < 1)
        return hero__fail(err, HERO_EINVAL, "trainer: %d videos, %d per batch, %d accumulation steps", n_videos,
                          c->videos_per_batch, c->accum_steps);
    t->cfg = *c;
    if (t->cfg.videos_per_batch > n_videos) t->cfg.videos_per_batch = n_videos;
    t->model = m;
    t->videos = videos;
    t->n_videos = n_videos;
    t->order = (int32_t *)HERO_MALLOC((size_t)n_videos * sizeof(int32_t));
    if (!t->order) return hero__fail(err, HERO_ENOMEM, "trainer: out of memory");
    for (i = 0; i < n_videos; i++) t->order[i] = i;
    if ((rc = hero_optimizer_init(&t->opt, m, &c->adamw, err)) != 0) { hero_trainer_free(t); return rc; }
    hero_rng_seed(&t->rng, c->seed);
    hero__trainer_shuffle(t);
    return 0;
}

HERODEF void hero_trainer_free(hero_trainer *t) {
    HERO_FREE(t->order);
    hero_optimizer_free(&t->opt);
    memset(t, 0, sizeof(*t));
}

static hero_task hero__draw_task(hero_trainer *t) {
    double sum = 0, x;
    int i;
    for (i = 1; i < HERO_TASK_COUNT; i++) sum += t->cfg.task_ratio[i];
    x = hero_rng_uniform(&t->rng) * sum;
    for (i = 1; i < HERO_TASK_COUNT; i++) {
        if (x < t->cfg.task_ratio[i]) return (hero_task)i;
        x -= t->cfg.task_ratio[i];
    }
    for (i = HERO_TASK_COUNT - 1; i > 0; i--) if (t->cfg.task_ratio[i] > 0) return (hero_task)i;
    return HERO_TASK_MLM;
}

HERODEF int hero_trainer_update(hero_trainer *t, hero_error *err) {
    hero_model *m = t ? t->model : NULL;
    hero_task task;
    int k, rc, B;
    double loss_sum = 0;
    hero_video *sel;
    if (!m || t->cfg.videos_per_batch < 1)
        return hero__fail(err, HERO_EINVAL, "hero_trainer_update: trainer NULL or not initialised (hero_trainer_init)");
    B = t->cfg.videos_per_batch;
#ifdef HERO_MPI
    if (t->dist) return hero__dist_update(t, err); /* section 20 */
#endif
    task = hero__draw_task(t);
    sel = (hero_video *)HERO_MALLOC((size_t)B * sizeof(hero_video));
    if (!sel) return hero__fail(err, HERO_ENOMEM, "trainer: out of memory");
    hero__trainer_hard_negatives(t);
    for (k = 0; k < t->cfg.accum_steps; k++) {
        hero_batch b;
        hero__trainer_next_videos(t, sel);
        /* on failure drop the gradients of the micro-batches already run: nothing is applied */
        if ((rc = hero_build_batch(&b, task, sel, B, &t->cfg.batch, NULL, &t->rng, err)) != 0) { HERO_FREE(sel); hero_zero_grad(m); return rc; }
        rc = hero_forward_backward(m, &b, 1, NULL, &t->last_result, err);
        hero_batch_free(&b);
        if (rc) { HERO_FREE(sel); hero_zero_grad(m); return rc; }
        if (!(t->last_result.loss == t->last_result.loss) || fabsf(t->last_result.loss) == (float)INFINITY) {
            HERO_FREE(sel);
            hero_zero_grad(m);
            return hero__fail(err, HERO_ENUMERIC, "trainer: task %s, update %lld, micro-batch %d: loss is %g; update not applied",
                              hero_task_name(task), (long long)t->opt.step + 1, k, (double)t->last_result.loss);
        }
        loss_sum += t->last_result.loss;
    }
    HERO_FREE(sel);
    return hero__trainer_step(t, task, loss_sum, err);
}

/* ---- training state <-> safetensors ---- */

/* hero_trainer_save with n_extra more tensors (section 20's per-rank data state) */
static int hero__trainer_save_items(const hero_trainer *t, const char *path, const hero_st_item *extra, int n_extra,
                                    hero_error *err) {
    const hero_model *m = t->model;
    int n = m->n_params, i, rc, k = 0;
    hero_st_item *items = (hero_st_item *)HERO_MALLOC((size_t)(3 * n + 4 + n_extra) * sizeof(hero_st_item));
    int64_t *shapes = (int64_t *)HERO_MALLOC((size_t)(3 * n + 4) * 3 * sizeof(int64_t));
    char *names = (char *)HERO_MALLOC((size_t)(2 * n) * 128);
    uint8_t *flags = (uint8_t *)HERO_MALLOC((size_t)n + 1);
    char step[32], rng[96], pos[32];
    const char *meta[] = {"format", "hero.h training state v1", "step", step, "rng", rng, "order_pos", pos, NULL};
    if (!items || !shapes || !names || !flags) {
        rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory while saving", path);
        goto done;
    }
    /* a GPU model: weights and moments to their host copies first */
    if ((rc = hero__dev_model_copy(t->model, 1, 0, err)) != 0 || (rc = hero__dev_opt_copy(&t->opt, m, 1, err)) != 0) goto done;
    for (i = 0; i < n; i++) {
        const hero_param *p = &m->table[i];
        int d, s;
        for (s = 0; s < 3; s++) {
            hero_st_item *it = &items[k];
            int64_t *sh = shapes + (size_t)k * 3;
            for (d = 0; d < p->ndim; d++) sh[d] = p->shape[d];
            it->dtype = HERO_F32; it->ndim = p->ndim; it->shape = sh;
            if (s == 0) { it->name = p->name; it->data = p->data; }
            else {
                char *nm = names + ((size_t)(s - 1) * n + i) * 128;
                snprintf(nm, 128, "optimizer.%s.%s", s == 1 ? "exp_avg" : "exp_avg_sq", p->name);
                it->name = nm;
                it->data = (s == 1 ? t->opt.m : t->opt.v) + p->offset;
            }
            k++;
        }
        flags[i] = (uint8_t)(p->has_grad != 0);
    }
    shapes[(size_t)k * 3] = n;
    items[k].name = "optimizer.step"; items[k].dtype = HERO_I64; items[k].ndim = 1; items[k].shape = shapes + (size_t)k * 3; items[k].data = t->opt.steps; k++;
    shapes[(size_t)k * 3] = n;
    items[k].name = "trainer.has_grad"; items[k].dtype = HERO_U8; items[k].ndim = 1; items[k].shape = shapes + (size_t)k * 3; items[k].data = flags; k++;
    shapes[(size_t)k * 3] = t->n_videos;
    items[k].name = "trainer.order"; items[k].dtype = HERO_I32; items[k].ndim = 1; items[k].shape = shapes + (size_t)k * 3; items[k].data = t->order; k++;
    snprintf(step, sizeof(step), "%lld", (long long)t->opt.step);
    snprintf(rng, sizeof(rng), "%016llx%016llx%016llx%016llx", (unsigned long long)t->rng.s[0], (unsigned long long)t->rng.s[1],
             (unsigned long long)t->rng.s[2], (unsigned long long)t->rng.s[3]);
    snprintf(pos, sizeof(pos), "%d", t->pos);
    for (i = 0; i < n_extra; i++) items[k++] = extra[i];
    rc = hero_safetensors_write(path, items, k, meta, err);
done:
    HERO_FREE(items); HERO_FREE(shapes); HERO_FREE(names); HERO_FREE(flags);
    return rc;
}
HERODEF int hero_trainer_save(const hero_trainer *t, const char *path, hero_error *err) {
#ifdef HERO_MPI
    if (t->dist) return hero__dist_save(t, path, err); /* section 20: rank 0 writes every rank's state */
#endif
    return hero__trainer_save_items(t, path, NULL, 0, err);
}

static int hero__hex64(const char *s, uint64_t *out) {
    uint64_t v = 0;
    int i;
    for (i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* hero_trainer_load; with_data 0: not the video order, its position and the PRNG (section 20
   restores those per rank); keep != NULL: the open file is handed over on success */
static int hero__trainer_load_ext(hero_trainer *t, const char *path, int with_data, hero_tensorfile *keep, hero_error *err) {
    hero_model *m = t->model;
    hero_tensorfile tf;
    const char *step, *rng, *pos;
    const hero_tensor_info *ti;
    int64_t *tmp = NULL;
    int i, s, rc;
    hero_load_report rep;
    if ((rc = hero_tensorfile_open(&tf, path, err)) != 0) return rc;
    step = hero_tensorfile_meta(&tf, "step");
    rng = hero_tensorfile_meta(&tf, "rng");
    pos = hero_tensorfile_meta(&tf, "order_pos");
    if (!step || !rng || !pos || strlen(rng) != 64) {
        rc = hero__fail(err, HERO_EFORMAT, "%s: not a hero.h training state (metadata step / rng / order_pos missing)", path);
        goto done;
    }
    if ((rc = hero_model_load_state(m, &tf, &rep, err)) != 0) goto done;
    if (rep.n_loaded != m->n_params) {
        rc = hero__fail(err, HERO_EMISSING, "%s: %d model tensors missing (%s)", path, m->n_params - rep.n_loaded, rep.missing);
        goto done;
    }
    for (i = 0; i < m->n_params; i++)
        for (s = 1; s <= 2; s++) {
            char nm[160];
            hero_param *p = &m->table[i];
            snprintf(nm, sizeof(nm), "optimizer.%s.%s", s == 1 ? "exp_avg" : "exp_avg_sq", p->name);
            ti = hero_tensorfile_find(&tf, nm);
            if (!ti || hero_tensor_numel(ti) != (int64_t)p->numel) {
                rc = hero__fail(err, HERO_EMISSING, "%s: tensor %s missing or of the wrong size", path, nm);
                goto done;
            }
            if ((rc = hero_tensor_read_f32(ti, (s == 1 ? t->opt.m : t->opt.v) + p->offset, (int64_t)p->numel, err)) != 0) goto done;
        }
    tmp = (int64_t *)HERO_MALLOC((size_t)(m->n_params > t->n_videos ? m->n_params : t->n_videos) * sizeof(int64_t));
    if (!tmp) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", path); goto done; }
    ti = hero_tensorfile_find(&tf, "optimizer.step");
    if (!ti || hero_tensor_numel(ti) != m->n_params || (rc = hero_tensor_read_i64(ti, t->opt.steps, m->n_params, err)) != 0) {
        rc = rc ? rc : hero__fail(err, HERO_ESHAPE, "%s: optimizer.step missing or not [%d]", path, m->n_params);
        goto done;
    }
    ti = hero_tensorfile_find(&tf, "trainer.has_grad");
    if (!ti || hero_tensor_numel(ti) != m->n_params || (rc = hero_tensor_read_i64(ti, tmp, m->n_params, err)) != 0) {
        rc = rc ? rc : hero__fail(err, HERO_ESHAPE, "%s: trainer.has_grad missing or not [%d]", path, m->n_params);
        goto done;
    }
    for (i = 0; i < m->n_params; i++) m->table[i].has_grad = tmp[i] != 0;
    if ((rc = hero__dev_opt_copy(&t->opt, m, 0, err)) != 0) goto done; /* a GPU model: the moments to the GPU */
    if (!with_data) {
        t->opt.step = atoll(step);
        if (t->opt.step < 0) { rc = hero__fail(err, HERO_EFORMAT, "%s: bad step", path); goto done; }
        goto data_done;
    }
    ti = hero_tensorfile_find(&tf, "trainer.order");
    if (!ti || hero_tensor_numel(ti) != t->n_videos || (rc = hero_tensor_read_i64(ti, tmp, t->n_videos, err)) != 0) {
        rc = rc ? rc : hero__fail(err, HERO_ESHAPE, "%s: trainer.order does not match a corpus of %d videos", path, t->n_videos);
        goto done;
    }
    for (i = 0; i < t->n_videos; i++) {
        if (tmp[i] < 0 || tmp[i] >= t->n_videos) { rc = hero__fail(err, HERO_EFORMAT, "%s: trainer.order entry %lld out of range", path, (long long)tmp[i]); goto done; }
        t->order[i] = (int32_t)tmp[i];
    }
    t->opt.step = atoll(step);
    t->pos = atoi(pos);
    if (t->pos < 0 || t->pos > t->n_videos || t->opt.step < 0) { rc = hero__fail(err, HERO_EFORMAT, "%s: bad step / order_pos", path); goto done; }
    for (i = 0; i < 4; i++)
        if (hero__hex64(rng + 16 * i, &t->rng.s[i])) { rc = hero__fail(err, HERO_EFORMAT, "%s: bad rng state", path); goto done; }
data_done:
    hero_zero_grad(m);
    rc = 0;
done:
    HERO_FREE(tmp);
    if (keep && rc == 0) *keep = tf;
    else hero_tensorfile_close(&tf);
    return rc;
}
HERODEF int hero_trainer_load(hero_trainer *t, const char *path, hero_error *err) {
#ifdef HERO_MPI
    if (t->dist) return hero__dist_load(t, path, err); /* section 20: every rank, its own data state */
#endif
    return hero__trainer_load_ext(t, path, 1, NULL, err);
}
/* ==== File formats: JSON, half floats, tensor files (safetensors, torch.save, npy/npz) ==== */
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

/* fsync for atomic writes: POSIX fsync, Windows _commit, elsewhere nothing. */
#if defined(_WIN32)
#include <io.h>
#define hero__fsync_file(f) _commit(_fileno(f))
#elif defined(__unix__) || defined(__APPLE__)
#if defined(__cplusplus)
#include <unistd.h>
#else
#ifndef fileno
extern int fileno(FILE *);
#endif
extern int fsync(int);
#endif
#define hero__fsync_file(f) fsync(fileno(f))
#else
#define hero__fsync_file(f) 0
#endif

/* Renaming the finished temporary file over the checkpoint: POSIX rename replaces atomically;
   Windows' rename refuses an existing target, so MoveFileEx with REPLACE_EXISTING (the old file
   stays until the new one takes its place). */
#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#define hero__rename_over(from, to) (MoveFileExA((from), (to), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) ? 0 : -1)
#else
#define hero__rename_over(from, to) rename((from), (to))
#endif

/* The calls of a checkpoint save (hero_safetensors_write, hence hero_trainer_save), replaceable by
   a test that makes each one fail in turn (tests/test_savefail.c): define any of them before the
   implementation. Each must behave as its libc counterpart (HERO_FCLOSE closes the stream even
   when it reports an error, as fclose does). */
#ifndef HERO_FWRITE
#define HERO_FWRITE(p, size, n, f) fwrite((p), (size), (n), (f))
#endif
#ifndef HERO_FFLUSH
#define HERO_FFLUSH(f) fflush(f)
#endif
#ifndef HERO_FSYNC
#define HERO_FSYNC(f) hero__fsync_file(f)
#endif
#ifndef HERO_FCLOSE
#define HERO_FCLOSE(f) fclose(f)
#endif
#ifndef HERO_RENAME
#define HERO_RENAME(from, to) hero__rename_over((from), (to))
#endif

/* ======================================================================================
   15. Checkpoints and tensor files: JSON, safetensors, zip, pickle (no code runs), npy/npz
   ====================================================================================== */

/* ---------------- small helpers ---------------- */
static uint16_t hero__u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t hero__u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t hero__u64(const unsigned char *p) { return (uint64_t)hero__u32(p) | ((uint64_t)hero__u32(p + 4) << 32); }

static char *hero__strndup(const char *s, size_t n) {
    char *r = (char *)HERO_MALLOC(n + 1);
    if (!r) return NULL;
    if (n) memcpy(r, s, n);
    r[n] = 0;
    return r;
}

/* Appending to an array of n items: returns a block with room for item n (reallocated when
   n is 0 or a power of two), or NULL when out of memory (p is then still valid). */
static void *hero__grow(void *p, int n, size_t elsize) {
    size_t cap;
    if (n > 0 && (n & (n - 1)) != 0) return p;
    if (n >= INT_MAX / 2) return NULL;
    cap = n ? (size_t)n * 2 : 1;
    if (cap > SIZE_MAX / elsize) return NULL;
    return HERO_REALLOC(p, cap * elsize);
}

/* *r = a * b for a, b >= 0; returns 0 on overflow. */
static int hero__mul64(int64_t a, int64_t b, int64_t *r) {
    if (a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a)) return 0;
    *r = a * b;
    return 1;
}

static int hero__host_le(void) {
    uint16_t x = 1;
    unsigned char c;
    memcpy(&c, &x, 1);
    return c == 1;
}

/* growable NUL-terminated string */
typedef struct hero__sb { char *s; size_t n, cap; int oom; } hero__sb;

static void hero__sb_put(hero__sb *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        char *q;
        while (c < b->n + n + 1) c *= 2;
        q = (char *)HERO_REALLOC(b->s, c);
        if (!q) { b->oom = 1; return; }
        b->s = q;
        b->cap = c;
    }
    if (n) memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void hero__sb_str(hero__sb *b, const char *s) { hero__sb_put(b, s, strlen(s)); }
static void hero__sb_i64(hero__sb *b, int64_t v) {
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)v);
    hero__sb_str(b, t);
}
#ifndef HERO_NO_TORCH /* only the torch.save readers use it */
static void hero__sb_cut(hero__sb *b, size_t n) { if (b->s && n <= b->n) { b->n = n; b->s[n] = 0; } }
#endif


/* One UTF-8 sequence at s[0..n) (n >= 1): returns its length (1-4) and sets *cp, or 0 when
   the bytes are not valid UTF-8 (the WHATWG decoder's rule: no overlongs, no surrogates,
   nothing above U+10FFFF, not truncated); then *sub gets the length of the maximal invalid
   subpart (>= 1), which a decoder replaces by one U+FFFD. cp and sub may be NULL. The one
   UTF-8 decoder of the file: JSON, tokenizer and subtitles all use it. */
static size_t hero__utf8_dec(const unsigned char *s, size_t n, uint32_t *cp, size_t *sub) {
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t need, k;
    uint32_t v;
    if (sub) *sub = 1;
    if (c < 0x80) { if (cp) *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; v = c & 0x0F; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; v = c & 0x07; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    for (k = 1; k <= need; k++) {
        unsigned d;
        if (k >= n) { if (sub) *sub = k; return 0; }
        d = s[k];
        if (d < lo || d > hi) { if (sub) *sub = k; return 0; }
        v = (v << 6) | (d & 0x3F);
        lo = 0x80; hi = 0xBF;
    }
    if (cp) *cp = v;
    return need + 1;
}

/* Encodes a code point (< 0x110000) as UTF-8 into o[4]; returns its length. */
static size_t hero__utf8_put(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hero__utf8_valid(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        int k = (int)hero__utf8_dec((const unsigned char *)s + i, n - i, NULL, NULL);
        if (!k) return 0;
        i += (size_t)k;
    }
    return 1;
}

/* Prefix err->msg with "prefix: " (after a failure in a nested parser). */
static int hero__reprefix(hero_error *err, int code, const char *prefix) {
    char tmp[sizeof(err->msg)];
    if (!err) return code;
    memcpy(tmp, err->msg, sizeof tmp);
    tmp[sizeof tmp - 1] = 0;
    return hero__fail(err, code, "%s: %s", prefix, tmp);
}

/* ================= JSON ================= */
typedef struct hero__jp { const char *s; size_t n, i; int depth; hero_error *err; } hero__jp;

static int hero__jfail(hero__jp *p, int code, const char *what) {
    size_t k, line = 1, col = 1;
    char found[24];
    for (k = 0; k < p->i && k < p->n; k++) {
        if (p->s[k] == '\n') { line++; col = 1; } else col++;
    }
    if (p->i >= p->n) snprintf(found, sizeof found, "end of input");
    else {
        unsigned c = (unsigned char)p->s[p->i];
        if (c >= 0x20 && c < 0x7f) snprintf(found, sizeof found, "'%c'", (char)c);
        else snprintf(found, sizeof found, "byte 0x%02x", c);
    }
    return hero__fail(p->err, code, "json: line %zu, column %zu: %s (found %s)", line, col, what, found);
}

static void hero__jws(hero__jp *p) {
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static int hero__hex4(const char *s, unsigned *v) {
    int k;
    *v = 0;
    for (k = 0; k < 4; k++) {
        char c = s[k];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return 0;
        *v = *v * 16 + d;
    }
    return 1;
}

/* \uXXXX (and a following low surrogate) at p->s[p->i]; appends UTF-8 to o. */
static int hero__jescape_u(hero__jp *p, size_t end, char *o, size_t *k) {
    unsigned cp, lo;
    if (end - p->i < 6 || !hero__hex4(p->s + p->i + 2, &cp)) return hero__jfail(p, HERO_EFORMAT, "bad \\u escape");
    if (cp >= 0xDC00 && cp <= 0xDFFF) return hero__jfail(p, HERO_EFORMAT, "unpaired low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - p->i < 12 || p->s[p->i + 6] != '\\' || p->s[p->i + 7] != 'u' || !hero__hex4(p->s + p->i + 8, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
            return hero__jfail(p, HERO_EFORMAT, "high surrogate not followed by a low surrogate escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p->i += 6;
    }
    p->i += 6;
    *k += hero__utf8_put(o + *k, cp);
    return 0;
}

static int hero__jstring(hero__jp *p, char **out, size_t *outlen) {
    size_t j = p->i + 1, k = 0;
    char *o;
    while (j < p->n && p->s[j] != '"') j += (p->s[j] == '\\') ? 2 : 1;
    if (j >= p->n) return hero__jfail(p, HERO_EFORMAT, "unterminated string");
    o = (char *)HERO_MALLOC(j - p->i);
    if (!o) return hero__fail(p->err, HERO_ENOMEM, "json: out of memory");
    p->i++;
    while (p->i < j) {
        unsigned char c = (unsigned char)p->s[p->i];
        int rc = 0;
        if (c < 0x20) rc = hero__jfail(p, HERO_EFORMAT, "unescaped control character in string");
        else if (c == '\\') {
            char e = p->s[p->i + 1], r = 0;
            switch (e) {
            case '"': case '\\': case '/': r = e; break;
            case 'b': r = '\b'; break;
            case 'f': r = '\f'; break;
            case 'n': r = '\n'; break;
            case 'r': r = '\r'; break;
            case 't': r = '\t'; break;
            case 'u': rc = hero__jescape_u(p, j, o, &k); break;
            default: rc = hero__jfail(p, HERO_EFORMAT, "invalid escape in string");
            }
            if (r) { o[k++] = r; p->i += 2; }
        } else {
            int m = (int)hero__utf8_dec((const unsigned char *)p->s + p->i, j - p->i, NULL, NULL);
            if (!m) rc = hero__jfail(p, HERO_EFORMAT, "invalid UTF-8 in string");
            else { memcpy(o + k, p->s + p->i, (size_t)m); k += (size_t)m; p->i += (size_t)m; }
        }
        if (rc) { HERO_FREE(o); return rc; }
    }
    p->i = j + 1;
    o[k] = 0;
    *out = o;
    *outlen = k;
    return 0;
}

static int hero__jdigits(hero__jp *p) {
    size_t b = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    return p->i > b;
}

static int hero__jnumber(hero__jp *p, double *out) {
    size_t b = p->i, len, k;
    char tmp[512], *end;
    const char *dp = localeconv()->decimal_point;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i < p->n && p->s[p->i] == '0') p->i++;
    else if (!hero__jdigits(p)) return hero__jfail(p, HERO_EFORMAT, "invalid number");
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!hero__jdigits(p)) return hero__jfail(p, HERO_EFORMAT, "digit expected after '.'");
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (!hero__jdigits(p)) return hero__jfail(p, HERO_EFORMAT, "digit expected in exponent");
    }
    len = p->i - b;
    if (len >= sizeof tmp) { p->i = b; return hero__jfail(p, HERO_ELIMIT, "number longer than 511 characters"); }
    memcpy(tmp, p->s + b, len);
    tmp[len] = 0;
    for (k = 0; k < len && dp && dp[0] && dp[0] != '.' && !dp[1]; k++)
        if (tmp[k] == '.') tmp[k] = dp[0]; /* strtod follows the C locale's decimal point */
    *out = strtod(tmp, &end);
    if (end != tmp + len) { p->i = b; return hero__jfail(p, HERO_EFORMAT, "invalid number"); }
    if (*out > DBL_MAX || *out < -DBL_MAX) { p->i = b; return hero__jfail(p, HERO_ELIMIT, "number out of double range"); }
    return 0;
}

static int hero__jvalue(hero__jp *p, hero_json *v);

/* Append item (and key for objects) to container v; on failure frees item and key. */
static int hero__jappend(hero__jp *p, hero_json *v, hero_json *item, char *key) {
    void *q = hero__grow(v->items, v->n, sizeof(hero_json));
    if (q) v->items = (hero_json *)q;
    if (q && key) {
        q = hero__grow(v->keys, v->n, sizeof(char *));
        if (q) v->keys = (char **)q;
    }
    if (!q) {
        hero_json_free(item);
        HERO_FREE(key);
        return hero__fail(p->err, HERO_ENOMEM, "json: out of memory");
    }
    v->items[v->n] = *item;
    if (key) v->keys[v->n] = key;
    v->n++;
    return 0;
}

static int hero__jcontainer(hero__jp *p, hero_json *v, int is_obj) {
    char close = is_obj ? '}' : ']';
    v->type = is_obj ? HERO_JSON_OBJECT : HERO_JSON_ARRAY;
    p->i++;
    hero__jws(p);
    if (p->i < p->n && p->s[p->i] == close) { p->i++; return 0; }
    for (;;) {
        hero_json item;
        char *key = NULL;
        size_t klen;
        int rc;
        memset(&item, 0, sizeof item);
        hero__jws(p);
        if (is_obj) {
            if (p->i >= p->n || p->s[p->i] != '"') return hero__jfail(p, HERO_EFORMAT, "expected a string key");
            if ((rc = hero__jstring(p, &key, &klen)) != 0) return rc;
            hero__jws(p);
            if (p->i >= p->n || p->s[p->i] != ':') { HERO_FREE(key); return hero__jfail(p, HERO_EFORMAT, "expected ':'"); }
            p->i++;
            hero__jws(p);
        }
        if ((rc = hero__jvalue(p, &item)) != 0) { hero_json_free(&item); HERO_FREE(key); return rc; }
        if ((rc = hero__jappend(p, v, &item, key)) != 0) return rc;
        hero__jws(p);
        if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
        if (p->i < p->n && p->s[p->i] == close) { p->i++; return 0; }
        return hero__jfail(p, HERO_EFORMAT, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int hero__jlit(hero__jp *p, const char *lit) {
    size_t l = strlen(lit);
    if (p->n - p->i < l || memcmp(p->s + p->i, lit, l) != 0) return hero__jfail(p, HERO_EFORMAT, "invalid literal");
    p->i += l;
    return 0;
}

static int hero__jvalue(hero__jp *p, hero_json *v) {
    char c;
    int rc;
    if (p->i >= p->n) return hero__jfail(p, HERO_EFORMAT, "expected a value");
    c = p->s[p->i];
    switch (c) {
    case '{': case '[':
        if (++p->depth > HERO_JSON_MAX_DEPTH) return hero__jfail(p, HERO_ELIMIT, "nesting deeper than HERO_JSON_MAX_DEPTH");
        rc = hero__jcontainer(p, v, c == '{');
        p->depth--;
        return rc;
    case '"': v->type = HERO_JSON_STRING; return hero__jstring(p, &v->string, &v->len);
    case 't': v->type = HERO_JSON_BOOL; v->boolean = 1; return hero__jlit(p, "true");
    case 'f': v->type = HERO_JSON_BOOL; return hero__jlit(p, "false");
    case 'n': return hero__jlit(p, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) { v->type = HERO_JSON_NUMBER; return hero__jnumber(p, &v->number); }
        return hero__jfail(p, HERO_EFORMAT, "unexpected character");
    }
}

/* Free a parsed JSON tree and reset it to null. */
HERODEF void hero_json_free(hero_json *j) {
    int i;
    if (!j) return;
    for (i = 0; i < j->n; i++) {
        if (j->items) hero_json_free(&j->items[i]);
        if (j->keys) HERO_FREE(j->keys[i]);
    }
    HERO_FREE(j->items);
    HERO_FREE(j->keys);
    HERO_FREE(j->string);
    memset(j, 0, sizeof *j);
}

/* Parse JSON text (RFC 8259, depth <= HERO_JSON_MAX_DEPTH) into a DOM. */
HERODEF int hero_json_parse(const char *text, size_t len, hero_json *out, hero_error *err) {
    hero__jp p;
    int rc;
    if (!out) return hero__fail(err, HERO_EINVAL, "json: NULL output");
    memset(out, 0, sizeof *out);
    if (!text && len) return hero__fail(err, HERO_EINVAL, "json: NULL text");
    memset(&p, 0, sizeof p);
    p.s = text;
    p.n = len;
    p.err = err;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p.i = 3; /* tolerate a UTF-8 BOM */
    hero__jws(&p);
    rc = hero__jvalue(&p, out);
    if (!rc) {
        hero__jws(&p);
        if (p.i != p.n) rc = hero__jfail(&p, HERO_EFORMAT, "unexpected data after the JSON value");
    }
    if (rc) hero_json_free(out);
    return rc;
}

/* First member named key of an object, or NULL. */
HERODEF const hero_json *hero_json_get(const hero_json *obj, const char *key) {
    int i;
    if (!obj || obj->type != HERO_JSON_OBJECT || !key) return NULL;
    for (i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

/* Read a file and parse it as JSON. */
HERODEF int hero_json_read_file(const char *path, hero_json *out, hero_error *err) {
    unsigned char *buf;
    size_t size;
    int rc;
    if (out) memset(out, 0, sizeof *out);
    if (!out) return hero__fail(err, HERO_EINVAL, "json: NULL output");
    if ((rc = hero__read_file(path, 0, &buf, &size, err)) != 0) return rc;
    rc = hero_json_parse((const char *)buf, size, out, err);
    HERO_FREE(buf);
    return rc ? hero__reprefix(err, rc, path) : 0;
}

/* ================= half-precision floats ================= */
static float hero__bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t hero__f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double hero__f64(const unsigned char *p) { uint64_t u = hero__u64(p); double v; memcpy(&v, &u, 8); return v; }

/* binary16 bits -> float (exact). */
HERODEF float hero_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0x1f) return hero__bits_f32(sign | 0x7f800000u | (m << 13));
    if (e == 0) {
        if (m == 0) return hero__bits_f32(sign);
        e = 113; /* subnormal: normalise */
        while (!(m & 0x400)) { m <<= 1; e--; }
        return hero__bits_f32(sign | (e << 23) | ((m & 0x3ff) << 13));
    }
    return hero__bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

/* bfloat16 bits -> float (exact). */
HERODEF float hero_bf16_to_f32(uint16_t h) { return hero__bits_f32((uint32_t)h << 16); }

/* float -> binary16 bits, round to nearest even. */
HERODEF uint16_t hero_f32_to_f16(float f) {
    uint32_t x = hero__f32_bits(f), sign = (x >> 16) & 0x8000, a = x & 0x7fffffffu, m, r, rem, half;
    int shift;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00 | ((a >> 13) & 0x3ff)); /* NaN stays NaN */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);                    /* >= 65520: inf */
    if (a >= 0x38800000u) {                                                     /* normal half */
        r = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ff);
        rem = a & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
        return (uint16_t)(sign | r);
    }
    if (a < 0x33000000u) return (uint16_t)sign; /* below half the smallest subnormal */
    m = (a & 0x7fffff) | 0x800000;
    shift = 126 - (int)(a >> 23);
    r = m >> shift;
    rem = m & ((1u << shift) - 1);
    half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
}

/* float -> bfloat16 bits, round to nearest even. */
HERODEF uint16_t hero_f32_to_bf16(float f) {
    uint32_t x = hero__f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fffu + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* Array float -> binary16; returns the number of finite values that overflowed. */
HERODEF int64_t hero_f32_to_f16_buf(const float *src, uint16_t *dst, int64_t n) {
    int64_t i, over = 0;
    for (i = 0; i < n; i++) {
        dst[i] = hero_f32_to_f16(src[i]);
        over += (dst[i] & 0x7fff) == 0x7c00 && (hero__f32_bits(src[i]) & 0x7fffffffu) < 0x7f800000u;
    }
    return over;
}

/* Array float -> bfloat16; returns the number of finite values that overflowed. */
HERODEF int64_t hero_f32_to_bf16_buf(const float *src, uint16_t *dst, int64_t n) {
    int64_t i, over = 0;
    for (i = 0; i < n; i++) {
        dst[i] = hero_f32_to_bf16(src[i]);
        over += (dst[i] & 0x7fff) == 0x7f80 && (hero__f32_bits(src[i]) & 0x7fffffffu) < 0x7f800000u;
    }
    return over;
}

/* ================= tensor info: validation and reading ================= */

/* Element count of a tensor, -1 if its shape is invalid. */
HERODEF int64_t hero_tensor_numel(const hero_tensor_info *t) {
    int64_t n = 1;
    int i;
    if (!t || t->ndim < 0 || t->ndim > HERO_MAX_DIMS) return -1;
    for (i = 0; i < t->ndim; i++)
        if (!hero__mul64(n, t->shape[i], &n)) return -1;
    return n;
}

/* Check dtype, shape, strides and that every element lies inside the storage. */
static int hero__tensor_check(const hero_tensor_info *t, const char *file, hero_error *err) {
    const char *nm = t->name ? t->name : "?", *f = file ? file : "tensor";
    int64_t es = hero_dtype_size(t->dtype), n = hero_tensor_numel(t), last = t->offset, x, have;
    int i;
    if (es <= 0) return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': invalid dtype %d", f, nm, (int)t->dtype);
    if (t->ndim < 0 || t->ndim > HERO_MAX_DIMS)
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': %d dimensions, at most %d supported", f, nm, t->ndim, HERO_MAX_DIMS);
    if (n < 0 || !hero__mul64(n, es, &x))
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': shape is negative or its size overflows", f, nm);
    if (t->offset < 0 || t->storage_nbytes < 0)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': negative offset or storage size", f, nm);
    if (n == 0) return 0;
    for (i = 0; i < t->ndim; i++) {
        if (t->stride[i] < 0 || !hero__mul64(t->shape[i] - 1, t->stride[i], &x) || x > INT64_MAX - last)
            return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': invalid stride %lld in dimension %d", f, nm,
                              (long long)t->stride[i], i);
        last += x;
    }
    have = t->storage_nbytes / es;
    if (last >= have || !t->storage)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s' (%s): needs storage element %lld but the storage holds %lld",
                          f, nm, hero_dtype_name(t->dtype), (long long)last, (long long)have);
    return 0;
}

/* n elements at s, step bytes apart, of dtype dt -> d[0..n) (switch outside the loops) */
#define HERO__RUN(expr) for (i = 0; i < n; i++) { const unsigned char *p = s + i * step; d[i] = (expr); } break
static void hero__run_f32(float *d, const unsigned char *s, int64_t n, int64_t step, hero_dtype dt) {
    int64_t i;
    switch (dt) {
    case HERO_F32: HERO__RUN(hero__bits_f32(hero__u32(p)));
    case HERO_F16: HERO__RUN(hero_f16_to_f32(hero__u16(p)));
    case HERO_BF16: HERO__RUN(hero_bf16_to_f32(hero__u16(p)));
    case HERO_F64: HERO__RUN((float)hero__f64(p));
    case HERO_I64: HERO__RUN((float)(int64_t)hero__u64(p));
    case HERO_I32: HERO__RUN((float)(int32_t)hero__u32(p));
    case HERO_I16: HERO__RUN((float)(int16_t)hero__u16(p));
    case HERO_I8: HERO__RUN((float)(signed char)p[0]);
    case HERO_U8: HERO__RUN((float)p[0]);
    default: HERO__RUN(p[0] ? 1.0f : 0.0f);
    }
}

static void hero__run_i64(int64_t *d, const unsigned char *s, int64_t n, int64_t step, hero_dtype dt) {
    int64_t i;
    switch (dt) {
    case HERO_I64: HERO__RUN((int64_t)hero__u64(p));
    case HERO_I32: HERO__RUN((int32_t)hero__u32(p));
    case HERO_I16: HERO__RUN((int16_t)hero__u16(p));
    case HERO_I8: HERO__RUN((signed char)p[0]);
    case HERO_U8: HERO__RUN(p[0]);
    default: HERO__RUN(p[0] != 0);
    }
}
#undef HERO__RUN

static int hero__is_contig(const hero_tensor_info *t) {
    int64_t expect = 1;
    int i;
    for (i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != expect) return 0;
        expect *= t->shape[i];
    }
    return 1;
}

static int hero__tensor_read(const hero_tensor_info *t, void *dst, int64_t n, int as_i64, hero_error *err) {
    int64_t numel, es, idx[HERO_MAX_DIMS], outer, o, off, run, step;
    int k, inner, rc;
    if (!t) return hero__fail(err, HERO_EINVAL, "tensor read: NULL tensor");
    if ((rc = hero__tensor_check(t, NULL, err)) != 0) return rc;
    numel = hero_tensor_numel(t);
    if (n != numel)
        return hero__fail(err, HERO_ESHAPE, "tensor '%s': destination holds %lld elements, tensor has %lld",
                          t->name ? t->name : "?", (long long)n, (long long)numel);
    if (as_i64 && (t->dtype == HERO_F32 || t->dtype == HERO_F16 || t->dtype == HERO_BF16 || t->dtype == HERO_F64))
        return hero__fail(err, HERO_ESHAPE, "tensor '%s': dtype %s is not an integer type", t->name ? t->name : "?",
                          hero_dtype_name(t->dtype));
    if (numel == 0) return 0;
    if (!dst) return hero__fail(err, HERO_EINVAL, "tensor '%s': NULL destination", t->name ? t->name : "?");
    es = hero_dtype_size(t->dtype);
    if (hero__is_contig(t)) {
        if (as_i64) hero__run_i64((int64_t *)dst, t->storage + t->offset * es, numel, es, t->dtype);
        else hero__run_f32((float *)dst, t->storage + t->offset * es, numel, es, t->dtype);
        return 0;
    }
    inner = t->ndim - 1;
    run = t->shape[inner];
    step = run > 1 ? t->stride[inner] * es : 0;
    for (outer = 1, k = 0; k < inner; k++) outer *= t->shape[k]; /* numel / run, without a division */
    memset(idx, 0, sizeof idx);
    for (o = 0; o < outer; o++) {
        off = t->offset;
        for (k = 0; k < inner; k++) off += idx[k] * t->stride[k];
        if (as_i64) hero__run_i64((int64_t *)dst + o * run, t->storage + off * es, run, step, t->dtype);
        else hero__run_f32((float *)dst + o * run, t->storage + off * es, run, step, t->dtype);
        for (k = inner - 1; k >= 0; k--) {
            if (++idx[k] < t->shape[k]) break;
            idx[k] = 0;
        }
    }
    return 0;
}

/* Tensor (any dtype, any strides) -> contiguous float. */
HERODEF int hero_tensor_read_f32(const hero_tensor_info *t, float *dst, int64_t n, hero_error *err) {
    return hero__tensor_read(t, dst, n, 0, err);
}

/* Integer/bool tensor (any strides) -> contiguous int64. */
HERODEF int hero_tensor_read_i64(const hero_tensor_info *t, int64_t *dst, int64_t n, hero_error *err) {
    return hero__tensor_read(t, dst, n, 1, err);
}

/* ================= tensor files: common ================= */
static int hero__tf_add_tensor(hero_tensorfile *tf, const char *name, size_t nlen, hero_tensor_info **out, hero_error *err) {
    void *q = hero__grow(tf->tensors, tf->n_tensors, sizeof(hero_tensor_info));
    hero_tensor_info *t;
    if (!q) return hero__fail(err, HERO_ENOMEM, "%s: out of memory for the tensor list", tf->path);
    tf->tensors = (hero_tensor_info *)q;
    t = &tf->tensors[tf->n_tensors];
    memset(t, 0, sizeof *t);
    if (!(t->name = hero__strndup(name, nlen))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    tf->n_tensors++;
    *out = t;
    return 0;
}

#ifndef HERO_NO_TORCH /* only the torch.save readers use it */
static int hero__tf_add_entry(hero_tensorfile *tf, const char *name, const char *kind, const char *val, size_t vlen,
                              hero_error *err) {
    void *q = hero__grow(tf->entries, tf->n_entries, sizeof(hero_entry_info));
    hero_entry_info *e;
    if (!q) return hero__fail(err, HERO_ENOMEM, "%s: out of memory for the entry list", tf->path);
    tf->entries = (hero_entry_info *)q;
    e = &tf->entries[tf->n_entries++];
    e->name = hero__strndup(name, strlen(name));
    e->kind = hero__strndup(kind, strlen(kind));
    e->value = hero__strndup(val, vlen);
    if (!e->name || !e->kind || !e->value) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    return 0;
}
#endif

/* Keep a decompressed buffer alive until close (takes ownership; frees it on failure). */
static int hero__tf_add_blob(hero_tensorfile *tf, unsigned char *blob, hero_error *err) {
    void *q = hero__grow(tf->blobs, tf->n_blobs, sizeof(unsigned char *));
    if (!q) { HERO_FREE(blob); return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path); }
    tf->blobs = (unsigned char **)q;
    tf->blobs[tf->n_blobs++] = blob;
    return 0;
}

static int hero__cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Validate every tensor against its storage and reject duplicate names. */
static int hero__tf_check_all(hero_tensorfile *tf, hero_error *err) {
    char **names;
    int i, rc = 0, n = tf->n_tensors;
    for (i = 0; i < n; i++)
        if ((rc = hero__tensor_check(&tf->tensors[i], tf->path, err)) != 0) return rc;
    if (n < 2) return 0;
    names = (char **)HERO_MALLOC((size_t)n * sizeof(char *));
    if (!names) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    for (i = 0; i < n; i++) names[i] = tf->tensors[i].name;
    qsort(names, (size_t)n, sizeof(char *), hero__cmp_strp);
    for (i = 1; i < n && !rc; i++)
        if (strcmp(names[i - 1], names[i]) == 0) rc = hero__fail(err, HERO_EFORMAT, "%s: duplicate tensor name '%s'", tf->path, names[i]);
    HERO_FREE(names);
    return rc;
}

/* Release an opened tensor file. */
HERODEF void hero_tensorfile_close(hero_tensorfile *tf) {
    int i;
    if (!tf) return;
    for (i = 0; i < tf->n_tensors; i++) HERO_FREE(tf->tensors[i].name);
    for (i = 0; i < tf->n_entries; i++) {
        HERO_FREE(tf->entries[i].name);
        HERO_FREE(tf->entries[i].kind);
        HERO_FREE(tf->entries[i].value);
    }
    for (i = 0; i < tf->n_blobs; i++) HERO_FREE(tf->blobs[i]);
    HERO_FREE(tf->tensors);
    HERO_FREE(tf->entries);
    HERO_FREE(tf->blobs);
    if (tf->map_len) hero__unmap_file(tf->buf, tf->map_len);
    else HERO_FREE(tf->buf);
    HERO_FREE(tf->path);
    hero_json_free(&tf->meta);
    memset(tf, 0, sizeof *tf);
}

/* Tensor by name, or NULL. */
HERODEF const hero_tensor_info *hero_tensorfile_find(const hero_tensorfile *tf, const char *name) {
    int i;
    if (!tf || !name) return NULL;
    for (i = 0; i < tf->n_tensors; i++)
        if (strcmp(tf->tensors[i].name, name) == 0) return &tf->tensors[i];
    return NULL;
}

/* Non-tensor entry by name, or NULL. */
HERODEF const hero_entry_info *hero_tensorfile_entry(const hero_tensorfile *tf, const char *name) {
    int i;
    if (!tf || !name) return NULL;
    for (i = 0; i < tf->n_entries; i++)
        if (strcmp(tf->entries[i].name, name) == 0) return &tf->entries[i];
    return NULL;
}

/* safetensors __metadata__ string, or NULL. */
HERODEF const char *hero_tensorfile_meta(const hero_tensorfile *tf, const char *key) {
    const hero_json *v = tf ? hero_json_get(&tf->meta, key) : NULL;
    return (v && v->type == HERO_JSON_STRING) ? v->string : NULL;
}

/* ================= safetensors ================= */
static const char *const hero__st_names[HERO_DTYPE_COUNT] = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"};

/* Exact non-negative integer (<= 2^53) from a JSON number. */
static int hero__json_i64(const hero_json *j, int64_t *v) {
    if (!j || j->type != HERO_JSON_NUMBER || !(j->number >= 0 && j->number <= 9007199254740992.0)) return 0;
    *v = (int64_t)j->number;
    return (double)*v == j->number;
}

static int hero__st_meta(hero_tensorfile *tf, hero_json *v, hero_error *err) {
    int i;
    if (tf->meta.type != HERO_JSON_NULL) return hero__fail(err, HERO_EFORMAT, "%s: duplicate __metadata__", tf->path);
    if (v->type != HERO_JSON_OBJECT) return hero__fail(err, HERO_EFORMAT, "%s: __metadata__ is not a JSON object", tf->path);
    for (i = 0; i < v->n; i++)
        if (v->items[i].type != HERO_JSON_STRING)
            return hero__fail(err, HERO_EFORMAT, "%s: __metadata__ value '%s' is not a string", tf->path, v->keys[i]);
    tf->meta = *v;
    memset(v, 0, sizeof *v);
    return 0;
}

static int hero__st_tensor(hero_tensorfile *tf, const char *key, const hero_json *v, const unsigned char *data,
                           int64_t dsize, int id, hero_error *err) {
    const hero_json *dt = hero_json_get(v, "dtype"), *sh = hero_json_get(v, "shape"), *off = hero_json_get(v, "data_offsets");
    hero_tensor_info *t;
    int64_t b, e, nbytes, numel = 1;
    int i, rc, d = -1;
    if (v->type != HERO_JSON_OBJECT || !dt || dt->type != HERO_JSON_STRING || !sh || sh->type != HERO_JSON_ARRAY || !off ||
        off->type != HERO_JSON_ARRAY)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': header entry needs \"dtype\", \"shape\" and \"data_offsets\"", tf->path, key);
    for (i = 0; i < HERO_DTYPE_COUNT; i++)
        if (strcmp(dt->string, hero__st_names[i]) == 0) d = i;
    if (d < 0) return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': unsupported dtype '%s'", tf->path, key, dt->string);
    if (sh->n > HERO_MAX_DIMS)
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': %d dimensions, at most %d supported", tf->path, key, sh->n, HERO_MAX_DIMS);
    if (off->n != 2 || !hero__json_i64(&off->items[0], &b) || !hero__json_i64(&off->items[1], &e) || b > e || e > dsize)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': data_offsets must be [begin, end] with begin <= end <= %lld",
                          tf->path, key, (long long)dsize);
    if ((rc = hero__tf_add_tensor(tf, key, strlen(key), &t, err)) != 0) return rc;
    t->dtype = (hero_dtype)d;
    t->ndim = sh->n;
    for (i = sh->n - 1; i >= 0; i--) {
        if (!hero__json_i64(&sh->items[i], &t->shape[i]))
            return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': shape[%d] is not a non-negative integer", tf->path, key, i);
        t->stride[i] = numel;
        if (!hero__mul64(numel, t->shape[i], &numel))
            return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': element count overflows", tf->path, key);
    }
    if (!hero__mul64(numel, hero_dtype_size(t->dtype), &nbytes))
        return hero__fail(err, HERO_ELIMIT, "%s: tensor '%s': byte size overflows", tf->path, key);
    if (nbytes != e - b)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] hold %lld bytes, shape and dtype %s need %lld",
                          tf->path, key, (long long)b, (long long)e, (long long)(e - b), dt->string, (long long)nbytes);
    t->storage = data + b;
    t->storage_nbytes = nbytes;
    t->storage_id = id;
    return 0;
}

typedef struct hero__range { int64_t b, e; int i; } hero__range;
static int hero__cmp_range(const void *x, const void *y) {
    const hero__range *a = (const hero__range *)x, *b = (const hero__range *)y;
    return a->b < b->b ? -1 : a->b > b->b ? 1 : (a->e > b->e) - (a->e < b->e);
}

/* Tensor data regions must not overlap. */
static int hero__st_overlap(hero_tensorfile *tf, const unsigned char *data, hero_error *err) {
    hero__range *r;
    int i, rc = 0;
    if (tf->n_tensors < 2) return 0;
    r = (hero__range *)HERO_MALLOC((size_t)tf->n_tensors * sizeof *r);
    if (!r) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    for (i = 0; i < tf->n_tensors; i++) {
        r[i].b = tf->tensors[i].storage - data;
        r[i].e = r[i].b + tf->tensors[i].storage_nbytes;
        r[i].i = i;
    }
    qsort(r, (size_t)tf->n_tensors, sizeof *r, hero__cmp_range);
    for (i = 1; i < tf->n_tensors && !rc; i++)
        if (r[i].b < r[i - 1].e)
            rc = hero__fail(err, HERO_EFORMAT, "%s: data of tensors '%s' [%lld, %lld) and '%s' [%lld, %lld) overlap", tf->path,
                            tf->tensors[r[i - 1].i].name, (long long)r[i - 1].b, (long long)r[i - 1].e, tf->tensors[r[i].i].name,
                            (long long)r[i].b, (long long)r[i].e);
    HERO_FREE(r);
    return rc;
}

#define HERO__ST_MAX_HEADER (100u << 20)

static int hero__st_open(hero_tensorfile *tf, hero_error *err) {
    hero_json root;
    uint64_t hlen;
    const unsigned char *data;
    int i, rc = 0;
    if (tf->size < 8)
        return hero__fail(err, HERO_EFORMAT, "%s: not a tensor file (%zu bytes; a safetensors file has at least 8)", tf->path, tf->size);
    hlen = hero__u64(tf->buf);
    if (hlen > tf->size - 8)
        return hero__fail(err, HERO_EFORMAT, "%s: not a recognised tensor file (as safetensors: header length %llu exceeds the %zu bytes that follow)",
                          tf->path, (unsigned long long)hlen, tf->size - 8);
    if (hlen > HERO__ST_MAX_HEADER)
        return hero__fail(err, HERO_ELIMIT, "%s: safetensors header of %llu bytes exceeds the %u byte limit", tf->path,
                          (unsigned long long)hlen, HERO__ST_MAX_HEADER);
    tf->format = HERO_FMT_SAFETENSORS;
    if ((rc = hero_json_parse((const char *)tf->buf + 8, (size_t)hlen, &root, err)) != 0) {
        char pre[300];
        snprintf(pre, sizeof pre, "%.200s: safetensors header", tf->path);
        return hero__reprefix(err, rc, pre);
    }
    data = tf->buf + 8 + hlen;
    if (root.type != HERO_JSON_OBJECT) rc = hero__fail(err, HERO_EFORMAT, "%s: safetensors header is not a JSON object", tf->path);
    for (i = 0; i < root.n && !rc; i++) {
        if (strcmp(root.keys[i], "__metadata__") == 0) rc = hero__st_meta(tf, &root.items[i], err);
        else rc = hero__st_tensor(tf, root.keys[i], &root.items[i], data, (int64_t)(tf->size - 8 - hlen), i, err);
    }
    if (!rc) rc = hero__st_overlap(tf, data, err);
    if (!rc) rc = hero__tf_check_all(tf, err);
    hero_json_free(&root);
    return rc;
}

/* JSON string literal with escapes */
static void hero__sb_jstr(hero__sb *b, const char *s) {
    hero__sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { hero__sb_put(b, "\\", 1); hero__sb_put(b, s, 1); }
        else if (c < 0x20) { char t[8]; snprintf(t, sizeof t, "\\u%04x", c); hero__sb_str(b, t); }
        else hero__sb_put(b, s, 1);
    }
    hero__sb_put(b, "\"", 1);
}

/* Write bytes as little-endian elements of es bytes. */
static int hero__write_le(FILE *f, const unsigned char *p, int64_t nbytes, int es) {
    unsigned char tmp[4096];
    int64_t done = 0;
    if (nbytes == 0) return 1;
    if (es == 1 || hero__host_le()) return HERO_FWRITE(p, 1, (size_t)nbytes, f) == (size_t)nbytes;
    while (done < nbytes) {
        size_t n = (size_t)(nbytes - done < (int64_t)sizeof tmp ? nbytes - done : (int64_t)sizeof tmp), i;
        for (i = 0; i < n; i++) { /* byte j of element e goes to byte es-1-j */
            size_t j = i % (size_t)es;
            tmp[i] = p[done + (int64_t)(i - j + (size_t)es - 1 - j)];
        }
        if (HERO_FWRITE(tmp, 1, n, f) != n) return 0;
        done += (int64_t)n;
    }
    return 1;
}

static int hero__st_check_items(const char *path, const hero_st_item *items, int n, int64_t *total, hero_error *err) {
    const char **names;
    int i, k, rc = 0;
    *total = 0;
    for (i = 0; i < n; i++) {
        const hero_st_item *it = &items[i];
        int64_t numel = 1, nb;
        if (!it->name || !it->name[0] || !hero__utf8_valid(it->name, strlen(it->name)) || strcmp(it->name, "__metadata__") == 0)
            return hero__fail(err, HERO_EINVAL, "%s: item %d: name must be a non-empty UTF-8 string other than __metadata__", path, i);
        if ((int)it->dtype < 0 || it->dtype >= HERO_DTYPE_COUNT || it->ndim < 0 || it->ndim > HERO_MAX_DIMS || (it->ndim && !it->shape))
            return hero__fail(err, HERO_EINVAL, "%s: tensor '%s': bad dtype or ndim %d", path, it->name, it->ndim);
        for (k = 0; k < it->ndim; k++)
            if (!hero__mul64(numel, it->shape[k], &numel))
                return hero__fail(err, HERO_EINVAL, "%s: tensor '%s': shape[%d] = %lld is negative or overflows", path, it->name, k,
                                  (long long)it->shape[k]);
        if (!hero__mul64(numel, hero_dtype_size(it->dtype), &nb) || nb > INT64_MAX - *total || (nb && !it->data))
            return hero__fail(err, HERO_EINVAL, "%s: tensor '%s': size overflows or data is NULL", path, it->name);
        *total += nb;
    }
    if (n < 2) return 0;
    if (!(names = (const char **)HERO_MALLOC((size_t)n * sizeof(char *)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
    for (i = 0; i < n; i++) names[i] = items[i].name;
    qsort(names, (size_t)n, sizeof(char *), hero__cmp_strp);
    for (i = 1; i < n && !rc; i++)
        if (strcmp(names[i - 1], names[i]) == 0) rc = hero__fail(err, HERO_EINVAL, "%s: duplicate tensor name '%s'", path, names[i]);
    HERO_FREE(names);
    return rc;
}

static void hero__st_header(hero__sb *h, const hero_st_item *items, int n, const char *const *kv) {
    int64_t pos = 0;
    int i, k, first = 1;
    hero__sb_put(h, "{", 1);
    if (kv && kv[0]) {
        hero__sb_str(h, "\"__metadata__\":{");
        for (i = 0; kv[i]; i += 2) {
            if (i) hero__sb_put(h, ",", 1);
            hero__sb_jstr(h, kv[i]);
            hero__sb_put(h, ":", 1);
            hero__sb_jstr(h, kv[i + 1]);
        }
        hero__sb_put(h, "}", 1);
        first = 0;
    }
    for (i = 0; i < n; i++) {
        int64_t numel = 1;
        if (!first) hero__sb_put(h, ",", 1);
        first = 0;
        hero__sb_jstr(h, items[i].name);
        hero__sb_str(h, ":{\"dtype\":\"");
        hero__sb_str(h, hero__st_names[items[i].dtype]);
        hero__sb_str(h, "\",\"shape\":[");
        for (k = 0; k < items[i].ndim; k++) {
            if (k) hero__sb_put(h, ",", 1);
            hero__sb_i64(h, items[i].shape[k]);
            numel *= items[i].shape[k];
        }
        hero__sb_str(h, "],\"data_offsets\":[");
        hero__sb_i64(h, pos);
        hero__sb_put(h, ",", 1);
        pos += numel * hero_dtype_size(items[i].dtype);
        hero__sb_i64(h, pos);
        hero__sb_str(h, "]}");
    }
    hero__sb_put(h, "}", 1);
    while ((h->n + 8) % 8) hero__sb_put(h, " ", 1);
}

/* Write tensors + metadata as safetensors, atomically (tmp file, fsync, rename). */
HERODEF int hero_safetensors_write(const char *path, const hero_st_item *items, int n, const char *const *meta_kv,
                                   hero_error *err) {
    hero__sb h, tmp;
    unsigned char len8[8];
    int64_t total;
    FILE *f = NULL;
    int i, j, rc = 0;
    if (!path || n < 0 || (n && !items)) return hero__fail(err, HERO_EINVAL, "safetensors write: bad arguments");
    for (i = 0; meta_kv && meta_kv[i]; i += 2) {
        if (!meta_kv[i + 1]) return hero__fail(err, HERO_EINVAL, "%s: metadata key '%s' has no value", path, meta_kv[i]);
        if (!hero__utf8_valid(meta_kv[i], strlen(meta_kv[i])) || !hero__utf8_valid(meta_kv[i + 1], strlen(meta_kv[i + 1])))
            return hero__fail(err, HERO_EINVAL, "%s: metadata '%s' is not valid UTF-8", path, meta_kv[i]);
        for (j = 0; j < i; j += 2)
            if (strcmp(meta_kv[j], meta_kv[i]) == 0) return hero__fail(err, HERO_EINVAL, "%s: duplicate metadata key '%s'", path, meta_kv[i]);
    }
    if ((rc = hero__st_check_items(path, items, n, &total, err)) != 0) return rc;
    memset(&h, 0, sizeof h);
    memset(&tmp, 0, sizeof tmp);
    hero__st_header(&h, items, n, meta_kv);
    hero__sb_str(&tmp, path);
    hero__sb_str(&tmp, ".tmp");
    if (h.oom || tmp.oom) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", path); goto done; }
    for (i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    if (!(f = fopen(tmp.s, "wb"))) {
        rc = hero__fail(err, HERO_EIO, "%s: cannot open for writing (%s)", tmp.s, strerror(errno));
        goto done;
    }
    /* what failed first, with its errno; the previous file at path is untouched until the rename */
    {
        const char *what = NULL;
        int e = 0;
        if (HERO_FWRITE(len8, 1, 8, f) != 8 || HERO_FWRITE(h.s, 1, h.n, f) != h.n) what = "write", e = errno;
        for (i = 0; i < n && !what; i++) {
            int es = hero_dtype_size(items[i].dtype);
            int64_t nb = es, k;
            for (k = 0; k < items[i].ndim; k++) nb *= items[i].shape[k];
            if (!hero__write_le(f, (const unsigned char *)items[i].data, nb, es)) what = "write", e = errno;
        }
        if (!what && HERO_FFLUSH(f) != 0) what = "write", e = errno;
        if (!what && HERO_FSYNC(f) != 0) what = "fsync", e = errno;
        if (HERO_FCLOSE(f) != 0 && !what) what = "close", e = errno;
        if (what) {
            remove(tmp.s);
            rc = hero__fail(err, HERO_EIO, "%s: %s failed (%s); %s is unchanged", tmp.s, what, e ? strerror(e) : "unknown error", path);
            goto done;
        }
    }
    if (HERO_RENAME(tmp.s, path) != 0) {
        int e = errno;
        remove(tmp.s);
        rc = hero__fail(err, HERO_EIO, "%s: cannot rename %s over it (%s); the file is unchanged", path, tmp.s, strerror(e));
    }
done:
    HERO_FREE(h.s);
    HERO_FREE(tmp.s);
    return rc;
}

/* ================= inflate (RFC 1951) ================= */
typedef struct hero__inf {
    const unsigned char *in;
    size_t inlen, inpos;
    unsigned char *out;
    size_t outlen, outpos;
    uint32_t bitbuf;
    int bitcnt, bad;
} hero__inf;

typedef struct hero__huff { short count[16]; short symbol[288]; } hero__huff;

static int hero__ibits(hero__inf *s, int need) {
    uint32_t v = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->inpos >= s->inlen) { s->bad = 1; return 0; }
        v |= (uint32_t)s->in[s->inpos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = v >> need;
    s->bitcnt -= need;
    return (int)(v & ((1u << need) - 1));
}

/* Canonical Huffman table from code lengths: 0 complete, < 0 over-subscribed, > 0 incomplete. */
static int hero__huff_build(hero__huff *h, const short *len, int n) {
    short offs[16];
    int sym, l, left = 1;
    memset(h->count, 0, sizeof h->count);
    for (sym = 0; sym < n; sym++) h->count[len[sym]]++;
    if (h->count[0] == n) return 0;
    for (l = 1; l < 16; l++) {
        left = left * 2 - h->count[l];
        if (left < 0) return left;
    }
    offs[1] = 0;
    for (l = 1; l < 15; l++) offs[l + 1] = (short)(offs[l] + h->count[l]);
    for (sym = 0; sym < n; sym++)
        if (len[sym]) h->symbol[offs[len[sym]]++] = (short)sym;
    return left;
}

static int hero__huff_decode(hero__inf *s, const hero__huff *h) {
    int code = 0, first = 0, index = 0, len, count;
    for (len = 1; len < 16; len++) {
        code |= hero__ibits(s, 1);
        if (s->bad) return -1;
        count = h->count[len];
        if (code - count < first) return h->symbol[index + (code - first)];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

static const char *hero__inf_codes(hero__inf *s, const hero__huff *lc, const hero__huff *dc) {
    static const short lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const short dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                    4097, 6145, 8193, 12289, 16385, 24577};
    static const short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
        int sym = hero__huff_decode(s, lc), len;
        size_t dist;
        if (sym < 0) return s->bad ? "truncated deflate data" : "invalid literal/length code";
        if (sym < 256) {
            if (s->outpos >= s->outlen) return "inflated data larger than declared";
            s->out[s->outpos++] = (unsigned char)sym;
            continue;
        }
        if (sym == 256) return NULL;
        if ((sym -= 257) >= 29) return "invalid length symbol";
        len = lbase[sym] + hero__ibits(s, lext[sym]);
        sym = hero__huff_decode(s, dc);
        if (sym < 0 || sym >= 30) return s->bad ? "truncated deflate data" : "invalid distance code";
        dist = (size_t)(dbase[sym] + hero__ibits(s, dext[sym]));
        if (s->bad) return "truncated deflate data";
        if (dist > s->outpos) return "distance too far back";
        if ((size_t)len > s->outlen - s->outpos) return "inflated data larger than declared";
        for (; len > 0; len--, s->outpos++) s->out[s->outpos] = s->out[s->outpos - dist];
    }
}

static const char *hero__inf_stored(hero__inf *s) {
    size_t len;
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->inlen - s->inpos < 4) return "truncated stored block";
    len = hero__u16(s->in + s->inpos);
    if (hero__u16(s->in + s->inpos + 2) != (~len & 0xffff)) return "stored block length check failed";
    s->inpos += 4;
    if (s->inlen - s->inpos < len) return "truncated stored block";
    if (s->outlen - s->outpos < len) return "inflated data larger than declared";
    memcpy(s->out + s->outpos, s->in + s->inpos, len);
    s->inpos += len;
    s->outpos += len;
    return NULL;
}

static const char *hero__inf_fixed(hero__inf *s) {
    hero__huff lc, dc;
    short len[288];
    int i;
    for (i = 0; i < 288; i++) len[i] = (short)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
    hero__huff_build(&lc, len, 288);
    for (i = 0; i < 30; i++) len[i] = 5;
    hero__huff_build(&dc, len, 30);
    return hero__inf_codes(s, &lc, &dc);
}

static const char *hero__inf_dynamic(hero__inf *s) {
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    short len[320];
    hero__huff lc, dc;
    int nlen = hero__ibits(s, 5) + 257, ndist = hero__ibits(s, 5) + 1, ncode = hero__ibits(s, 4) + 4, idx, sym, rep, l, e;
    if (nlen > 286 || ndist > 30) return "bad dynamic block counts";
    for (idx = 0; idx < 19; idx++) len[order[idx]] = (short)(idx < ncode ? hero__ibits(s, 3) : 0);
    if (s->bad) return "truncated deflate data";
    if (hero__huff_build(&lc, len, 19) != 0) return "incomplete code-length code";
    for (idx = 0; idx < nlen + ndist;) {
        sym = hero__huff_decode(s, &lc);
        if (sym < 0) return s->bad ? "truncated deflate data" : "invalid code-length code";
        if (sym < 16) { len[idx++] = (short)sym; continue; }
        l = 0;
        if (sym == 16) {
            if (idx == 0) return "length repeat with no previous length";
            l = len[idx - 1];
            rep = 3 + hero__ibits(s, 2);
        } else rep = sym == 17 ? 3 + hero__ibits(s, 3) : 11 + hero__ibits(s, 7);
        if (s->bad) return "truncated deflate data";
        if (idx + rep > nlen + ndist) return "too many code lengths";
        while (rep--) len[idx++] = (short)l;
    }
    if (len[256] == 0) return "no end-of-block code";
    e = hero__huff_build(&lc, len, nlen);
    if (e && (e < 0 || nlen != lc.count[0] + lc.count[1])) return "bad literal/length code lengths";
    e = hero__huff_build(&dc, len + nlen, ndist);
    if (e && (e < 0 || ndist != dc.count[0] + dc.count[1])) return "bad distance code lengths";
    return hero__inf_codes(s, &lc, &dc);
}

/* Inflate raw deflate data into exactly outlen bytes; returns NULL or a reason. */
static const char *hero__inflate(const unsigned char *in, size_t inlen, unsigned char *out, size_t outlen) {
    hero__inf s;
    const char *e = NULL;
    int last, type;
    memset(&s, 0, sizeof s);
    s.in = in;
    s.inlen = inlen;
    s.out = out;
    s.outlen = outlen;
    do {
        last = hero__ibits(&s, 1);
        type = hero__ibits(&s, 2);
        if (s.bad) return "truncated deflate data";
        e = type == 0 ? hero__inf_stored(&s) : type == 1 ? hero__inf_fixed(&s) : type == 2 ? hero__inf_dynamic(&s) : "invalid block type";
    } while (!e && !last);
    if (!e && s.outpos != outlen) e = "inflated data smaller than declared";
    return e;
}

static uint32_t hero__crc32(const unsigned char *p, size_t n) {
    uint32_t t[256], c;
    size_t i;
    int k;
    for (i = 0; i < 256; i++) {
        c = (uint32_t)i;
        for (k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    c = 0xffffffffu;
    for (i = 0; i < n; i++) c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ================= zip ================= */
typedef struct hero__zent {
    const char *name;
    size_t nlen;
    unsigned method, flags;
    uint32_t crc;
    uint64_t csize, usize, lho;
} hero__zent;

static int hero__zname_ends(const hero__zent *z, const char *s) {
    size_t l = strlen(s);
    return z->nlen >= l && memcmp(z->name + z->nlen - l, s, l) == 0;
}

/* zip64 extended information extra field: replaces saturated 32-bit values. */
static int hero__zip64_extra(const unsigned char *x, size_t xl, hero__zent *z) {
    size_t q = 0;
    while (q + 4 <= xl) {
        size_t id = hero__u16(x + q), sz = hero__u16(x + q + 2), r = q + 4;
        if (sz > xl - q - 4) return 0;
        if (id == 1) {
            uint64_t *f[3];
            int k, nf = 0;
            if (z->usize == 0xffffffffu) f[nf++] = &z->usize;
            if (z->csize == 0xffffffffu) f[nf++] = &z->csize;
            if (z->lho == 0xffffffffu) f[nf++] = &z->lho;
            for (k = 0; k < nf; k++, r += 8) {
                if (r + 8 > q + 4 + sz) return 0;
                *f[k] = hero__u64(x + r);
            }
            return 1;
        }
        q += 4 + sz;
    }
    return 0;
}

/* Parse the central directory (zip64 aware) into *out (names point into b). */
static int hero__zip_dir(const unsigned char *b, size_t size, const char *P, hero__zent **out, int *nout, hero_error *err) {
    size_t e, lo;
    uint64_t cnt, cdsize, cdoff, p, end, i;
    hero__zent *z;
    *out = NULL;
    *nout = 0;
    if (size < 22) return hero__fail(err, HERO_EFORMAT, "%s: zip: file too small for an end-of-central-directory record", P);
    lo = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (e = size - 22;; e--) {
        if (hero__u32(b + e) == 0x06054b50u && e + 22 + hero__u16(b + e + 20) <= size) break;
        if (e == lo) return hero__fail(err, HERO_EFORMAT, "%s: zip end-of-central-directory record not found (truncated file?)", P);
    }
    if (hero__u16(b + e + 4) != 0 || hero__u16(b + e + 6) != 0) return hero__fail(err, HERO_EFORMAT, "%s: multi-disk zip not supported", P);
    cnt = hero__u16(b + e + 10);
    cdsize = hero__u32(b + e + 12);
    cdoff = hero__u32(b + e + 16);
    if (e >= 20 && hero__u32(b + e - 20) == 0x07064b50u) { /* zip64 locator */
        uint64_t r = hero__u64(b + e - 20 + 8);
        if (r > size || size - r < 56 || hero__u32(b + r) != 0x06064b50u)
            return hero__fail(err, HERO_EFORMAT, "%s: bad zip64 end-of-central-directory record at %llu", P, (unsigned long long)r);
        cnt = hero__u64(b + r + 32);
        cdsize = hero__u64(b + r + 40);
        cdoff = hero__u64(b + r + 48);
    }
    if (cdoff > size || cdsize > size - cdoff)
        return hero__fail(err, HERO_EFORMAT, "%s: zip central directory [%llu, +%llu] lies outside the file (%zu bytes)", P,
                          (unsigned long long)cdoff, (unsigned long long)cdsize, size);
    if (cnt > cdsize / 46 || cnt > (uint64_t)(INT_MAX / 2))
        return hero__fail(err, HERO_EFORMAT, "%s: zip claims %llu entries but its directory has room for %llu", P,
                          (unsigned long long)cnt, (unsigned long long)(cdsize / 46));
    z = (hero__zent *)HERO_MALLOC((size_t)(cnt ? cnt : 1) * sizeof *z);
    if (!z) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", P);
    memset(z, 0, (size_t)(cnt ? cnt : 1) * sizeof *z); /* every entry defined, whatever index a record names */
    for (p = cdoff, end = cdoff + cdsize, i = 0; i < cnt; i++) {
        const unsigned char *c = b + p;
        size_t nl, xl, cl;
        if (end - p < 46 || hero__u32(c) != 0x02014b50u) break;
        z[i].flags = hero__u16(c + 8);
        z[i].method = hero__u16(c + 10);
        z[i].crc = hero__u32(c + 16);
        z[i].csize = hero__u32(c + 20);
        z[i].usize = hero__u32(c + 24);
        nl = hero__u16(c + 28);
        xl = hero__u16(c + 30);
        cl = hero__u16(c + 32);
        z[i].lho = hero__u32(c + 42);
        if (end - p - 46 < nl + xl + cl) break;
        z[i].name = (const char *)c + 46;
        z[i].nlen = nl;
        if ((z[i].usize == 0xffffffffu || z[i].csize == 0xffffffffu || z[i].lho == 0xffffffffu) && !hero__zip64_extra(c + 46 + nl, xl, &z[i]))
            break;
        p += 46 + nl + xl + cl;
    }
    if (i < cnt) {
        HERO_FREE(z);
        return hero__fail(err, HERO_EFORMAT, "%s: zip central directory entry %llu is corrupt", P, (unsigned long long)i);
    }
    if (cnt > 1) { /* members must not overlap: many entries sharing one deflate stream would be a
                      zip bomb (each inflated on its own: N x 1032 x its size from one small file) */
        hero__range *r = (hero__range *)HERO_MALLOC((size_t)cnt * sizeof *r);
        int nr = 0, k, bad = -1;
        if (!r) { HERO_FREE(z); return hero__fail(err, HERO_ENOMEM, "%s: out of memory", P); }
        for (i = 0; i < cnt; i++) { /* extent [local header, end of data); bad local headers fail when read */
            uint64_t o = z[i].lho, d;
            if (o > size || size - o < 30 || hero__u32(b + o) != 0x04034b50u) continue;
            d = o + 30 + hero__u16(b + o + 26) + hero__u16(b + o + 28);
            if (d > size || z[i].csize > size - d) continue;
            r[nr].b = (int64_t)o;
            r[nr].e = (int64_t)(d + z[i].csize);
            r[nr++].i = (int)i;
        }
        qsort(r, (size_t)nr, sizeof *r, hero__cmp_range);
        for (k = 1; k < nr && bad < 0; k++)
            if (r[k].b < r[k - 1].e) bad = k;
        if (bad >= 0) {
            int a = r[bad - 1].i, c = r[bad].i;
            int rc = hero__fail(err, HERO_EFORMAT, "%s: zip members '%.*s' and '%.*s' overlap (bytes %lld and %lld); expected separate members",
                                P, (int)(z[a].nlen > 100 ? 100 : z[a].nlen), z[a].name, (int)(z[c].nlen > 100 ? 100 : z[c].nlen),
                                z[c].name, (long long)r[bad - 1].b, (long long)r[bad].b);
            HERO_FREE(r);
            HERO_FREE(z);
            return rc;
        }
        HERO_FREE(r);
    }
    *out = z;
    *nout = (int)cnt;
    return 0;
}

/* Bytes of member z: stored members point into the file; deflated ones are inflated into a
   blob owned by tf (after checking the claimed size against the maximum deflate ratio). */
static int hero__zip_get(hero_tensorfile *tf, const hero__zent *z, const unsigned char **out, uint64_t *outlen, hero_error *err) {
    const unsigned char *b = tf->buf;
    uint64_t o = z->lho, d;
    int nl = (int)z->nlen;
    *out = NULL;
    *outlen = 0;
    if (z->flags & 1) return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s' is encrypted", tf->path, nl, z->name);
    if (o > tf->size || tf->size - o < 30 || hero__u32(b + o) != 0x04034b50u)
        return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': bad local header at offset %llu", tf->path, nl, z->name, (unsigned long long)o);
    d = o + 30 + hero__u16(b + o + 26) + hero__u16(b + o + 28); /* the local extra length may differ from the central one */
    if (d > tf->size || z->csize > tf->size - d)
        return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': data [%llu, +%llu] lies outside the file (%zu bytes)", tf->path, nl,
                          z->name, (unsigned long long)d, (unsigned long long)z->csize, tf->size);
    if (z->method == 0) {
        if (z->csize != z->usize)
            return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': stored sizes differ (%llu vs %llu)", tf->path, nl, z->name,
                              (unsigned long long)z->csize, (unsigned long long)z->usize);
        *out = b + d;
        *outlen = z->csize;
        return 0;
    }
    if (z->method == 8) {
        unsigned char *blob;
        const char *why;
        if (z->usize / 1032 > z->csize + 1 || z->usize >= (uint64_t)(SIZE_MAX / 2))
            return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s' claims %llu bytes from %llu compressed (impossible for deflate)",
                              tf->path, nl, z->name, (unsigned long long)z->usize, (unsigned long long)z->csize);
        if (!(blob = (unsigned char *)HERO_MALLOC((size_t)z->usize + 1)))
            return hero__fail(err, HERO_ENOMEM, "%s: out of memory inflating '%.*s'", tf->path, nl, z->name);
        why = hero__inflate(b + d, (size_t)z->csize, blob, (size_t)z->usize);
        if (!why && hero__crc32(blob, (size_t)z->usize) != z->crc) why = "CRC-32 mismatch";
        if (why) {
            HERO_FREE(blob);
            return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': %s", tf->path, nl, z->name, why);
        }
        if (hero__tf_add_blob(tf, blob, err) != 0) return HERO_ENOMEM;
        *out = blob;
        *outlen = z->usize;
        return 0;
    }
    return hero__fail(err, HERO_EFORMAT, "%s: zip member '%.*s': compression method %u not supported (only stored and deflate)", tf->path,
                      nl, z->name, z->method);
}


#ifndef HERO_NO_TORCH /* only the torch.save readers use it */
static int hero__cmp_zent(const void *x, const void *y) {
    const hero__zent *a = (const hero__zent *)x, *b = (const hero__zent *)y;
    int c = memcmp(a->name, b->name, a->nlen < b->nlen ? a->nlen : b->nlen);
    return c ? c : (a->nlen > b->nlen) - (a->nlen < b->nlen);
}
/* Member by exact name in a directory sorted with hero__cmp_zent. */
static const hero__zent *hero__zip_find(const hero__zent *z, int n, const char *name, size_t nlen) {
    hero__zent key;
    memset(&key, 0, sizeof key);
    key.name = name;
    key.nlen = nlen;
    return (const hero__zent *)bsearch(&key, z, (size_t)n, sizeof *z, hero__cmp_zent);
}
#endif

#ifndef HERO_NO_TORCH
/* ================= pickle (no code execution: a whitelisted subset) ================= */
enum {
    HERO__PK_NONE, HERO__PK_BOOL, HERO__PK_INT, HERO__PK_FLOAT, HERO__PK_STR, HERO__PK_BYTES,
    HERO__PK_TUPLE, HERO__PK_LIST, HERO__PK_DICT, HERO__PK_GLOBAL, HERO__PK_STORAGE, HERO__PK_TENSOR
};
enum { HERO__G_ODICT = 1, HERO__G_REBUILD, HERO__G_PARAM, HERO__G_STORAGE };

#define HERO__PK_MAX_STACK (1 << 20)
#define HERO__PK_MAX_MARKS (1 << 16)
#define HERO__PK_MAX_MEMO (1 << 22)
#define HERO__PK_MAX_OBJS (1 << 23)
#define HERO__PK_MAX_DEPTH 32
#define HERO__PK_MAX_LEAVES (1 << 22)

/* the only globals a checkpoint may reference */
static const struct { const char *mod, *name; int id; hero_dtype dt; } hero__pk_globals[] = {
    {"collections", "OrderedDict", HERO__G_ODICT, HERO_F32},
    {"torch._utils", "_rebuild_tensor", HERO__G_REBUILD, HERO_F32},
    {"torch._utils", "_rebuild_tensor_v2", HERO__G_REBUILD, HERO_F32},
    {"torch._utils", "_rebuild_parameter", HERO__G_PARAM, HERO_F32},
    {"torch._utils", "_rebuild_parameter_with_state", HERO__G_PARAM, HERO_F32},
    {"torch", "FloatStorage", HERO__G_STORAGE, HERO_F32},
    {"torch", "HalfStorage", HERO__G_STORAGE, HERO_F16},
    {"torch", "BFloat16Storage", HERO__G_STORAGE, HERO_BF16},
    {"torch", "DoubleStorage", HERO__G_STORAGE, HERO_F64},
    {"torch", "LongStorage", HERO__G_STORAGE, HERO_I64},
    {"torch", "IntStorage", HERO__G_STORAGE, HERO_I32},
    {"torch", "ShortStorage", HERO__G_STORAGE, HERO_I16},
    {"torch", "CharStorage", HERO__G_STORAGE, HERO_I8},
    {"torch", "ByteStorage", HERO__G_STORAGE, HERO_U8},
    {"torch", "BoolStorage", HERO__G_STORAGE, HERO_BOOL},
};

typedef struct hero__pobj {
    int kind, n;        /* n: container items (dict: key, value, key, value, ...) */
    int *items;
    int64_t i;          /* int / bool value; global, storage or tensor index */
    double f;
    const char *s;      /* str / bytes: points into the pickle */
    size_t slen;
} hero__pobj;

typedef struct hero__pstor {
    const char *key;
    size_t klen;
    hero_dtype dtype;
    int64_t numel;
    int id;
    const unsigned char *data;
} hero__pstor;

typedef struct hero__pten { int stor, ndim; int64_t offset, shape[HERO_MAX_DIMS], stride[HERO_MAX_DIMS]; } hero__pten;

typedef struct hero__pvm {
    const char *path;
    hero_error *err;
    int rc;
    const unsigned char *p;
    size_t n, pos;
    hero__pobj *obj;
    int nobj;
    int *stack, sp, stack_cap;
    int *marks, nmarks, marks_cap;
    int *memo;
    size_t memo_cap, memo_len;
    hero__pstor *stor;
    int nstor;
    hero__pten *ten;
    int nten;
} hero__pvm;

static int hero__pk_err(hero__pvm *vm, int code, const char *what) {
    if (!vm->rc) vm->rc = hero__fail(vm->err, code, "%s: pickle byte %zu: %s", vm->path, vm->pos, what);
    return -1;
}

static void hero__pk_free(hero__pvm *vm) {
    int i;
    for (i = 0; i < vm->nobj; i++) HERO_FREE(vm->obj[i].items);
    HERO_FREE(vm->obj);
    HERO_FREE(vm->stack);
    HERO_FREE(vm->marks);
    HERO_FREE(vm->memo);
    HERO_FREE(vm->stor);
    HERO_FREE(vm->ten);
}

/* Make sure an int array has room for `need` items (bounded by lim). */
static int hero__pk_room(hero__pvm *vm, int **a, int *cap, int need, int lim, const char *what) {
    int c;
    int *q;
    if (need <= *cap) return 0;
    if (need > lim) return hero__pk_err(vm, HERO_ELIMIT, what);
    c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    if (!(q = (int *)HERO_REALLOC(*a, (size_t)c * sizeof(int)))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    *a = q;
    *cap = c;
    return 0;
}

static int hero__pk_new(hero__pvm *vm, int kind) {
    void *q;
    if (vm->nobj >= HERO__PK_MAX_OBJS) return hero__pk_err(vm, HERO_ELIMIT, "too many objects");
    if (!(q = hero__grow(vm->obj, vm->nobj, sizeof(hero__pobj)))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->obj = (hero__pobj *)q;
    memset(&vm->obj[vm->nobj], 0, sizeof(hero__pobj));
    vm->obj[vm->nobj].kind = kind;
    return vm->nobj++;
}

static int hero__pk_push(hero__pvm *vm, int o) {
    if (o < 0 || hero__pk_room(vm, &vm->stack, &vm->stack_cap, vm->sp + 1, HERO__PK_MAX_STACK, "stack too deep")) return -1;
    vm->stack[vm->sp++] = o;
    return 0;
}

static int hero__pk_floor(const hero__pvm *vm) { return vm->nmarks ? vm->marks[vm->nmarks - 1] : 0; }

static int hero__pk_pop(hero__pvm *vm) {
    if (vm->sp <= hero__pk_floor(vm)) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    return vm->stack[--vm->sp];
}

static int hero__pk_top(hero__pvm *vm) {
    if (vm->sp <= hero__pk_floor(vm)) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    return vm->stack[vm->sp - 1];
}

/* Pop the topmost MARK; returns the stack index where it was. */
static int hero__pk_popmark(hero__pvm *vm) {
    if (!vm->nmarks) return hero__pk_err(vm, HERO_EFORMAT, "no MARK on the stack");
    return vm->marks[--vm->nmarks];
}

static int hero__pk_add(hero__pvm *vm, int c, int item) {
    void *q = hero__grow(vm->obj[c].items, vm->obj[c].n, sizeof(int));
    if (!q) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->obj[c].items = (int *)q;
    vm->obj[c].items[vm->obj[c].n++] = item;
    return 0;
}

/* New container of `kind` holding stack[from..sp); pops them and pushes the container. */
static int hero__pk_collect(hero__pvm *vm, int kind, int from) {
    int o = hero__pk_new(vm, kind), k;
    if (o < 0) return -1;
    if (kind == HERO__PK_DICT && (vm->sp - from) % 2) return hero__pk_err(vm, HERO_EFORMAT, "odd number of items for a dict");
    for (k = from; k < vm->sp; k++)
        if (hero__pk_add(vm, o, vm->stack[k])) return -1;
    vm->sp = from;
    return hero__pk_push(vm, o);
}

/* Append stack[from..sp) to the list or dict just below `from`. */
static int hero__pk_extend(hero__pvm *vm, int from, int kind) {
    int c, k;
    if (from <= hero__pk_floor(vm)) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    c = vm->stack[from - 1];
    if (vm->obj[c].kind != kind) return hero__pk_err(vm, HERO_EFORMAT, kind == HERO__PK_DICT ? "SETITEM(S) on a non-dict" : "APPEND(S) on a non-list");
    if (kind == HERO__PK_DICT && (vm->sp - from) % 2) return hero__pk_err(vm, HERO_EFORMAT, "odd number of items for SETITEMS");
    for (k = from; k < vm->sp; k++)
        if (hero__pk_add(vm, c, vm->stack[k])) return -1;
    vm->sp = from;
    return 0;
}

static const unsigned char *hero__pk_take(hero__pvm *vm, uint64_t k) {
    const unsigned char *r;
    if (k > vm->n - vm->pos) { hero__pk_err(vm, HERO_EFORMAT, "truncated (an opcode needs more bytes than remain)"); return NULL; }
    r = vm->p + vm->pos;
    vm->pos += (size_t)k;
    return r;
}

static int hero__pk_scalar(hero__pvm *vm, int kind, int64_t i, double f, const unsigned char *s, size_t slen) {
    int o = hero__pk_new(vm, kind);
    if (o < 0) return -1;
    vm->obj[o].i = i;
    vm->obj[o].f = f;
    vm->obj[o].s = (const char *)s;
    vm->obj[o].slen = slen;
    return hero__pk_push(vm, o);
}

/* str / bytes whose length is stored in nb little-endian bytes */
static int hero__pk_sized(hero__pvm *vm, int kind, int nb) {
    const unsigned char *a = hero__pk_take(vm, (uint64_t)nb), *s;
    uint64_t len;
    if (!a) return -1;
    len = nb == 1 ? a[0] : nb == 4 ? hero__u32(a) : hero__u64(a);
    if (!(s = hero__pk_take(vm, len))) return -1;
    return hero__pk_scalar(vm, kind, 0, 0, s, (size_t)len);
}

static int hero__pk_long(hero__pvm *vm, int nb) {
    const unsigned char *a = hero__pk_take(vm, (uint64_t)nb), *d;
    uint64_t len, u = 0;
    int k;
    if (!a) return -1;
    len = nb == 1 ? a[0] : hero__u32(a);
    if (len > 8) return hero__pk_err(vm, HERO_EFORMAT, "integer wider than 64 bits");
    if (!(d = hero__pk_take(vm, len))) return -1;
    for (k = 0; k < (int)len; k++) u |= (uint64_t)d[k] << (8 * k);
    if (len > 0 && len < 8 && (d[len - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * len);
    return hero__pk_scalar(vm, HERO__PK_INT, (int64_t)u, 0, NULL, 0);
}

static int hero__pk_memo_put(hero__pvm *vm, uint64_t key) {
    int top = hero__pk_top(vm);
    if (top < 0) return -1;
    if (key >= HERO__PK_MAX_MEMO) return hero__pk_err(vm, HERO_ELIMIT, "memo key too large");
    if (key >= vm->memo_cap) {
        size_t c = vm->memo_cap ? vm->memo_cap : 64, k;
        int *q;
        while (c <= key) c *= 2;
        if (!(q = (int *)HERO_REALLOC(vm->memo, c * sizeof(int)))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
        for (k = vm->memo_cap; k < c; k++) q[k] = -1;
        vm->memo = q;
        vm->memo_cap = c;
    }
    if (vm->memo[key] < 0) vm->memo_len++;
    vm->memo[key] = top;
    return 0;
}

static int hero__pk_memo_get(hero__pvm *vm, uint64_t key) {
    if (key >= vm->memo_cap || vm->memo[key] < 0) return hero__pk_err(vm, HERO_EFORMAT, "memo key not defined");
    return hero__pk_push(vm, vm->memo[key]);
}

static int hero__pk_global(hero__pvm *vm, const char *m, size_t ml, const char *nm, size_t nl) {
    int k, o;
    for (k = 0; k < (int)(sizeof hero__pk_globals / sizeof hero__pk_globals[0]); k++)
        if (strlen(hero__pk_globals[k].mod) == ml && memcmp(hero__pk_globals[k].mod, m, ml) == 0 &&
            strlen(hero__pk_globals[k].name) == nl && memcmp(hero__pk_globals[k].name, nm, nl) == 0) {
            if ((o = hero__pk_new(vm, HERO__PK_GLOBAL)) < 0) return -1;
            vm->obj[o].i = k;
            return hero__pk_push(vm, o);
        }
    if (!vm->rc)
        vm->rc = hero__fail(vm->err, HERO_EFORMAT,
                            "%s: pickle global '%.*s.%.*s' is not allowed (only tensors, storages, OrderedDict and plain values can be loaded)",
                            vm->path, (int)(ml > 100 ? 100 : ml), m, (int)(nl > 100 ? 100 : nl), nm);
    return -1;
}

static int hero__pk_op_global(hero__pvm *vm) {
    const char *s = (const char *)vm->p + vm->pos, *e1, *e2;
    size_t left = vm->n - vm->pos;
    if (!(e1 = (const char *)memchr(s, '\n', left)) || !(e2 = (const char *)memchr(e1 + 1, '\n', left - (size_t)(e1 + 1 - s))))
        return hero__pk_err(vm, HERO_EFORMAT, "truncated GLOBAL");
    vm->pos += (size_t)(e2 + 1 - s);
    return hero__pk_global(vm, s, (size_t)(e1 - s), e1 + 1, (size_t)(e2 - e1 - 1));
}

static int hero__pk_op_stack_global(hero__pvm *vm) {
    int nm = hero__pk_pop(vm), m = nm < 0 ? -1 : hero__pk_pop(vm);
    if (m < 0) return -1;
    if (vm->obj[m].kind != HERO__PK_STR || vm->obj[nm].kind != HERO__PK_STR)
        return hero__pk_err(vm, HERO_EFORMAT, "STACK_GLOBAL needs two strings");
    return hero__pk_global(vm, vm->obj[m].s, vm->obj[m].slen, vm->obj[nm].s, vm->obj[nm].slen);
}

static int hero__pk_is(const hero__pvm *vm, int o, int kind) { return vm->obj[o].kind == kind; }

/* _rebuild_tensor[_v2](storage, storage_offset, size, stride, ...) */
static int hero__pk_tensor(hero__pvm *vm, int args) {
    const hero__pobj *a = &vm->obj[args];
    hero__pten t;
    void *q;
    int k, o;
    if (a->n < 4 || !hero__pk_is(vm, a->items[0], HERO__PK_STORAGE) || !hero__pk_is(vm, a->items[1], HERO__PK_INT) ||
        !hero__pk_is(vm, a->items[2], HERO__PK_TUPLE) || !hero__pk_is(vm, a->items[3], HERO__PK_TUPLE))
        return hero__pk_err(vm, HERO_EFORMAT, "_rebuild_tensor expects (storage, offset, size tuple, stride tuple, ...)");
    memset(&t, 0, sizeof t);
    t.stor = (int)vm->obj[a->items[0]].i;
    t.offset = vm->obj[a->items[1]].i;
    t.ndim = vm->obj[a->items[2]].n;
    if (t.ndim > HERO_MAX_DIMS || vm->obj[a->items[3]].n != t.ndim)
        return hero__pk_err(vm, HERO_EFORMAT, "tensor size/stride tuples are too long or differ in length");
    for (k = 0; k < t.ndim; k++) {
        int sz = vm->obj[a->items[2]].items[k], st = vm->obj[a->items[3]].items[k];
        if (!hero__pk_is(vm, sz, HERO__PK_INT) || !hero__pk_is(vm, st, HERO__PK_INT))
            return hero__pk_err(vm, HERO_EFORMAT, "tensor size/stride entries must be integers");
        t.shape[k] = vm->obj[sz].i;
        t.stride[k] = vm->obj[st].i;
    }
    if (!(q = hero__grow(vm->ten, vm->nten, sizeof t))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->ten = (hero__pten *)q;
    vm->ten[vm->nten] = t;
    if ((o = hero__pk_new(vm, HERO__PK_TENSOR)) < 0) return -1;
    vm->obj[o].i = vm->nten++;
    return hero__pk_push(vm, o);
}

static int hero__pk_op_reduce(hero__pvm *vm) {
    int args = hero__pk_pop(vm), fn = args < 0 ? -1 : hero__pk_pop(vm), id;
    if (fn < 0) return -1;
    if (!hero__pk_is(vm, fn, HERO__PK_GLOBAL) || !hero__pk_is(vm, args, HERO__PK_TUPLE))
        return hero__pk_err(vm, HERO_EFORMAT, "REDUCE needs a global and an argument tuple");
    id = hero__pk_globals[vm->obj[fn].i].id;
    if (id == HERO__G_ODICT) {
        if (vm->obj[args].n != 0) return hero__pk_err(vm, HERO_EFORMAT, "OrderedDict with constructor arguments not supported");
        return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_DICT));
    }
    if (id == HERO__G_REBUILD) return hero__pk_tensor(vm, args);
    if (id == HERO__G_PARAM) {
        if (vm->obj[args].n < 1 || !hero__pk_is(vm, vm->obj[args].items[0], HERO__PK_TENSOR))
            return hero__pk_err(vm, HERO_EFORMAT, "_rebuild_parameter expects a tensor");
        return hero__pk_push(vm, vm->obj[args].items[0]);
    }
    return hero__pk_err(vm, HERO_EFORMAT, "a storage class cannot be called");
}

/* persistent id ('storage', storage_type, key, location, numel[, view_metadata]) */
static int hero__pk_op_persid(hero__pvm *vm) {
    int pid = hero__pk_pop(vm), o, *it;
    hero__pstor s;
    void *q;
    int64_t nb;
    if (pid < 0) return -1;
    it = vm->obj[pid].items;
    if (!hero__pk_is(vm, pid, HERO__PK_TUPLE) || vm->obj[pid].n < 5 || !hero__pk_is(vm, it[0], HERO__PK_STR) ||
        vm->obj[it[0]].slen != 7 || memcmp(vm->obj[it[0]].s, "storage", 7) != 0 || !hero__pk_is(vm, it[1], HERO__PK_GLOBAL) ||
        hero__pk_globals[vm->obj[it[1]].i].id != HERO__G_STORAGE || !hero__pk_is(vm, it[2], HERO__PK_STR) ||
        !hero__pk_is(vm, it[4], HERO__PK_INT))
        return hero__pk_err(vm, HERO_EFORMAT, "persistent id is not ('storage', <torch storage type>, key, location, numel)");
    if (vm->obj[pid].n > 5 && !hero__pk_is(vm, it[5], HERO__PK_NONE))
        return hero__pk_err(vm, HERO_EFORMAT, "legacy storage views are not supported");
    memset(&s, 0, sizeof s);
    s.dtype = hero__pk_globals[vm->obj[it[1]].i].dt;
    s.key = vm->obj[it[2]].s;
    s.klen = vm->obj[it[2]].slen;
    s.numel = vm->obj[it[4]].i;
    if (!hero__mul64(s.numel, hero_dtype_size(s.dtype), &nb)) return hero__pk_err(vm, HERO_EFORMAT, "storage size is negative or overflows");
    if (!(q = hero__grow(vm->stor, vm->nstor, sizeof s))) return hero__pk_err(vm, HERO_ENOMEM, "out of memory");
    vm->stor = (hero__pstor *)q;
    vm->stor[vm->nstor] = s;
    if ((o = hero__pk_new(vm, HERO__PK_STORAGE)) < 0) return -1;
    vm->obj[o].i = vm->nstor++;
    return hero__pk_push(vm, o);
}

static int hero__pk_op_tuple(hero__pvm *vm, int k) {
    if (vm->sp - hero__pk_floor(vm) < k) return hero__pk_err(vm, HERO_EFORMAT, "stack underflow");
    return hero__pk_collect(vm, HERO__PK_TUPLE, vm->sp - k);
}

static int hero__pk_step(hero__pvm *vm, int op) {
    const unsigned char *a;
    int x, y;
    switch (op) {
    case 0x80: return (a = hero__pk_take(vm, 1)) == NULL ? -1 : a[0] > 5 ? hero__pk_err(vm, HERO_EFORMAT, "pickle protocol > 5") : 0;
    case 0x95: return hero__pk_take(vm, 8) ? 0 : -1; /* FRAME: a size hint only */
    case '(':
        if (hero__pk_room(vm, &vm->marks, &vm->marks_cap, vm->nmarks + 1, HERO__PK_MAX_MARKS, "too many MARKs")) return -1;
        vm->marks[vm->nmarks++] = vm->sp;
        return 0;
    case '}': return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_DICT));
    case ']': return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_LIST));
    case ')': return hero__pk_push(vm, hero__pk_new(vm, HERO__PK_TUPLE));
    case 'N': return hero__pk_scalar(vm, HERO__PK_NONE, 0, 0, NULL, 0);
    case 0x88: return hero__pk_scalar(vm, HERO__PK_BOOL, 1, 0, NULL, 0);
    case 0x89: return hero__pk_scalar(vm, HERO__PK_BOOL, 0, 0, NULL, 0);
    case 'J': return (a = hero__pk_take(vm, 4)) ? hero__pk_scalar(vm, HERO__PK_INT, (int32_t)hero__u32(a), 0, NULL, 0) : -1;
    case 'K': return (a = hero__pk_take(vm, 1)) ? hero__pk_scalar(vm, HERO__PK_INT, a[0], 0, NULL, 0) : -1;
    case 'M': return (a = hero__pk_take(vm, 2)) ? hero__pk_scalar(vm, HERO__PK_INT, hero__u16(a), 0, NULL, 0) : -1;
    case 0x8a: return hero__pk_long(vm, 1);
    case 0x8b: return hero__pk_long(vm, 4);
    case 'G': {
        uint64_t u = 0;
        double d;
        if (!(a = hero__pk_take(vm, 8))) return -1;
        for (x = 0; x < 8; x++) u = (u << 8) | a[x]; /* big-endian */
        memcpy(&d, &u, 8);
        return hero__pk_scalar(vm, HERO__PK_FLOAT, 0, d, NULL, 0);
    }
    case 'X': case 'T': return hero__pk_sized(vm, HERO__PK_STR, 4);
    case 0x8c: case 'U': return hero__pk_sized(vm, HERO__PK_STR, 1);
    case 0x8d: return hero__pk_sized(vm, HERO__PK_STR, 8);
    case 'B': return hero__pk_sized(vm, HERO__PK_BYTES, 4);
    case 'C': return hero__pk_sized(vm, HERO__PK_BYTES, 1);
    case 0x8e: return hero__pk_sized(vm, HERO__PK_BYTES, 8);
    case 'q': return (a = hero__pk_take(vm, 1)) ? hero__pk_memo_put(vm, a[0]) : -1;
    case 'r': return (a = hero__pk_take(vm, 4)) ? hero__pk_memo_put(vm, hero__u32(a)) : -1;
    case 0x94: return hero__pk_memo_put(vm, vm->memo_len);
    case 'h': return (a = hero__pk_take(vm, 1)) ? hero__pk_memo_get(vm, a[0]) : -1;
    case 'j': return (a = hero__pk_take(vm, 4)) ? hero__pk_memo_get(vm, hero__u32(a)) : -1;
    case 't': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_collect(vm, HERO__PK_TUPLE, x);
    case 'l': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_collect(vm, HERO__PK_LIST, x);
    case 'd': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_collect(vm, HERO__PK_DICT, x);
    case 0x85: return hero__pk_op_tuple(vm, 1);
    case 0x86: return hero__pk_op_tuple(vm, 2);
    case 0x87: return hero__pk_op_tuple(vm, 3);
    case 's': return vm->sp - hero__pk_floor(vm) < 3 ? hero__pk_err(vm, HERO_EFORMAT, "stack underflow") : hero__pk_extend(vm, vm->sp - 2, HERO__PK_DICT);
    case 'u': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_extend(vm, x, HERO__PK_DICT);
    case 'a': return vm->sp - hero__pk_floor(vm) < 2 ? hero__pk_err(vm, HERO_EFORMAT, "stack underflow") : hero__pk_extend(vm, vm->sp - 1, HERO__PK_LIST);
    case 'e': return (x = hero__pk_popmark(vm)) < 0 ? -1 : hero__pk_extend(vm, x, HERO__PK_LIST);
    case 'c': return hero__pk_op_global(vm);
    case 0x93: return hero__pk_op_stack_global(vm);
    case 'R': return hero__pk_op_reduce(vm);
    case 'Q': return hero__pk_op_persid(vm);
    case 'b': return (hero__pk_pop(vm) < 0 || hero__pk_top(vm) < 0) ? -1 : 0; /* BUILD: object state (e.g. _metadata) ignored */
    case '0': return hero__pk_pop(vm) < 0 ? -1 : 0;
    case '1': /* POP_MARK */
        if ((x = hero__pk_popmark(vm)) < 0) return -1;
        vm->sp = x;
        return 0;
    case '2': return (y = hero__pk_top(vm)) < 0 ? -1 : hero__pk_push(vm, y);
    default: {
        char what[64];
        snprintf(what, sizeof what, "unsupported pickle opcode 0x%02x", (unsigned)op);
        vm->pos--;
        return hero__pk_err(vm, HERO_EFORMAT, what);
    }
    }
}

/* Run one pickle starting at p (n bytes); *result = the object, vm->pos = bytes consumed. */
static int hero__pk_run(hero__pvm *vm, const unsigned char *p, size_t n, int *result) {
    vm->p = p;
    vm->n = n;
    vm->pos = 0;
    vm->sp = 0;
    vm->nmarks = 0;
    vm->memo_len = 0;
    HERO_FREE(vm->memo);
    vm->memo = NULL;
    vm->memo_cap = 0;
    while (!vm->rc) {
        const unsigned char *a = hero__pk_take(vm, 1);
        if (!a) break;
        if (a[0] == '.') { /* STOP */
            *result = hero__pk_pop(vm);
            break;
        }
        hero__pk_step(vm, a[0]);
    }
    return vm->rc;
}

/* ---- flattening the unpickled object into tensors and entries ---- */
static int hero__pk_keytext(hero__pvm *vm, hero_tensorfile *tf, int o, hero__sb *name, hero_error *err) {
    const hero__pobj *k = &vm->obj[o];
    char t[40];
    switch (k->kind) {
    case HERO__PK_STR:
        if (memchr(k->s, 0, k->slen)) return hero__fail(err, HERO_EFORMAT, "%s: dict key contains a NUL byte", tf->path);
        hero__sb_put(name, k->s, k->slen);
        return 0;
    case HERO__PK_INT: hero__sb_i64(name, k->i); return 0;
    case HERO__PK_BOOL: hero__sb_str(name, k->i ? "True" : "False"); return 0;
    case HERO__PK_NONE: hero__sb_str(name, "None"); return 0;
    case HERO__PK_FLOAT: snprintf(t, sizeof t, "%.17g", k->f); hero__sb_str(name, t); return 0;
    default: return hero__fail(err, HERO_EFORMAT, "%s: unsupported dict key type under '%s'", tf->path, name->s);
    }
}

static int hero__pk_leaf(hero__pvm *vm, hero_tensorfile *tf, int o, const char *name, hero_error *err) {
    const hero__pobj *x = &vm->obj[o];
    char t[48];
    const char *kind = "object", *v = t;
    size_t vl;
    t[0] = 0;
    switch (x->kind) {
    case HERO__PK_NONE: kind = "none"; v = "None"; break;
    case HERO__PK_BOOL: kind = "bool"; v = x->i ? "True" : "False"; break;
    case HERO__PK_INT: kind = "int"; snprintf(t, sizeof t, "%lld", (long long)x->i); break;
    case HERO__PK_FLOAT: kind = "float"; snprintf(t, sizeof t, "%.17g", x->f); break;
    case HERO__PK_STR: return hero__tf_add_entry(tf, name, "str", x->s, x->slen, err);
    case HERO__PK_BYTES: kind = "bytes"; snprintf(t, sizeof t, "<%zu bytes>", x->slen); break;
    case HERO__PK_DICT: kind = "dict"; v = "{}"; break;
    case HERO__PK_LIST: kind = "list"; v = "[]"; break;
    case HERO__PK_TUPLE: kind = "tuple"; v = "()"; break;
    case HERO__PK_STORAGE: return hero__tf_add_entry(tf, name, "storage", vm->stor[x->i].key, vm->stor[x->i].klen, err);
    case HERO__PK_GLOBAL: snprintf(t, sizeof t, "%s.%s", hero__pk_globals[x->i].mod, hero__pk_globals[x->i].name); break;
    default: break;
    }
    vl = strlen(v);
    return hero__tf_add_entry(tf, name, kind, v, vl, err);
}

static int hero__pk_add_tensor(hero__pvm *vm, hero_tensorfile *tf, const hero__pten *pt, const char *name, hero_error *err) {
    const hero__pstor *s = &vm->stor[pt->stor];
    hero_tensor_info *t;
    int rc = hero__tf_add_tensor(tf, name, strlen(name), &t, err);
    if (rc) return rc;
    t->dtype = s->dtype;
    t->ndim = pt->ndim;
    memcpy(t->shape, pt->shape, sizeof t->shape);
    memcpy(t->stride, pt->stride, sizeof t->stride);
    t->offset = pt->offset;
    t->storage = s->data;
    t->storage_nbytes = s->numel * hero_dtype_size(s->dtype);
    t->storage_id = s->id;
    return 0;
}

static int hero__pk_flat(hero__pvm *vm, hero_tensorfile *tf, int o, hero__sb *name, int depth, hero_error *err) {
    const hero__pobj *x = &vm->obj[o];
    size_t keep = name->n;
    int k, rc = 0, step = x->kind == HERO__PK_DICT ? 2 : 1;
    if (name->oom) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    if (tf->n_tensors + tf->n_entries >= HERO__PK_MAX_LEAVES || tf->n_tensors + tf->n_entries > 4 * vm->nobj + 1024)
        return hero__fail(err, HERO_ELIMIT, "%s: too many tensors and entries (shared containers?)", tf->path);
    if (x->kind == HERO__PK_TENSOR) return hero__pk_add_tensor(vm, tf, &vm->ten[x->i], name->n ? name->s : "-", err);
    if ((x->kind != HERO__PK_DICT && x->kind != HERO__PK_LIST && x->kind != HERO__PK_TUPLE) || x->n == 0)
        return hero__pk_leaf(vm, tf, o, name->n ? name->s : "-", err);
    if (depth >= HERO__PK_MAX_DEPTH) return hero__fail(err, HERO_ELIMIT, "%s: '%s': nested deeper than %d", tf->path, name->s, HERO__PK_MAX_DEPTH);
    for (k = 0; k + step <= x->n && !rc; k += step) {
        if (name->n) hero__sb_put(name, ".", 1);
        if (step == 2) rc = hero__pk_keytext(vm, tf, x->items[k], name, err);
        else hero__sb_i64(name, k);
        if (!rc) rc = hero__pk_flat(vm, tf, x->items[k + step - 1], name, depth + 1, err);
        hero__sb_cut(name, keep);
    }
    return rc;
}

/* the name hero_entry_info.kind uses for an unpickled object of this kind */
static const char *hero__pk_kind_name(int kind) {
    switch (kind) {
    case HERO__PK_NONE: return "none";
    case HERO__PK_BOOL: return "bool";
    case HERO__PK_INT: return "int";
    case HERO__PK_FLOAT: return "float";
    case HERO__PK_STR: return "str";
    case HERO__PK_BYTES: return "bytes";
    case HERO__PK_TUPLE: return "tuple";
    case HERO__PK_LIST: return "list";
    case HERO__PK_DICT: return "dict";
    case HERO__PK_STORAGE: return "storage";
    case HERO__PK_TENSOR: return "tensor";
    default: return "object";
    }
}

static int hero__pk_flatten(hero__pvm *vm, hero_tensorfile *tf, int root, hero_error *err) {
    hero__sb name;
    int rc;
    tf->root_kind = hero__pk_kind_name(vm->obj[root].kind);
    tf->root_items = vm->obj[root].kind == HERO__PK_DICT ? vm->obj[root].n / 2
                   : vm->obj[root].kind == HERO__PK_LIST || vm->obj[root].kind == HERO__PK_TUPLE ? vm->obj[root].n : 0;
    memset(&name, 0, sizeof name);
    hero__sb_put(&name, "", 0);
    rc = hero__pk_flat(vm, tf, root, &name, 0, err);
    HERO_FREE(name.s);
    return rc ? rc : hero__tf_check_all(tf, err);
}

static int hero__cmp_pstor(const void *x, const void *y) {
    const hero__pstor *a = *(const hero__pstor *const *)x, *b = *(const hero__pstor *const *)y;
    int c = memcmp(a->key, b->key, a->klen < b->klen ? a->klen : b->klen);
    return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

/* Sort storage records by key and give records with the same key the same id. Returns the
   sorted pointer array (caller frees) and the number of distinct storages. */
static int hero__pk_group(hero__pvm *vm, hero__pstor ***out, int *nuniq, hero_error *err) {
    hero__pstor **ps;
    int i, id = -1;
    *out = NULL;
    *nuniq = 0;
    if (!vm->nstor) return 0;
    if (!(ps = (hero__pstor **)HERO_MALLOC((size_t)vm->nstor * sizeof *ps))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", vm->path);
    for (i = 0; i < vm->nstor; i++) ps[i] = &vm->stor[i];
    qsort(ps, (size_t)vm->nstor, sizeof *ps, hero__cmp_pstor);
    for (i = 0; i < vm->nstor; i++) {
        if (i == 0 || hero__cmp_pstor(&ps[i - 1], &ps[i]) != 0) id++;
        else if (ps[i]->dtype != ps[i - 1]->dtype || ps[i]->numel != ps[i - 1]->numel) {
            int rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' is used with different dtypes or sizes", vm->path,
                                (int)(ps[i]->klen > 100 ? 100 : ps[i]->klen), ps[i]->key);
            HERO_FREE(ps);
            return rc;
        }
        ps[i]->id = id;
    }
    *out = ps;
    *nuniq = id + 1;
    return 0;
}

/* ---- torch.save zip format (torch >= 1.6) ---- */
static int hero__torchzip_open(hero_tensorfile *tf, hero__zent *z, int nz, hero_error *err) {
    hero__pvm vm;
    hero__pstor **ps = NULL;
    hero__sb nm;
    const hero__zent *pk = NULL, *m;
    const unsigned char *pkl, *d;
    uint64_t pklen, dlen;
    size_t plen;
    int i, j, nuniq, root = -1, rc;
    for (i = 0; i < nz && !pk; i++)
        if (hero__zname_ends(&z[i], "data.pkl") && (z[i].nlen == 8 || z[i].name[z[i].nlen - 9] == '/')) pk = &z[i];
    if (!pk) return hero__fail(err, HERO_EFORMAT, "%s: zip has no data.pkl member (not a torch checkpoint)", tf->path);
    tf->format = HERO_FMT_TORCH_ZIP;
    if ((rc = hero__zip_get(tf, pk, &pkl, &pklen, err)) != 0) return rc;
    plen = pk->nlen - 8; /* archive prefix, e.g. "model/" */
    memset(&vm, 0, sizeof vm);
    memset(&nm, 0, sizeof nm);
    hero__sb_put(&nm, pk->name, plen);
    vm.path = tf->path;
    vm.err = err;
    qsort(z, (size_t)nz, sizeof *z, hero__cmp_zent); /* pk is no longer valid */
    hero__sb_str(&nm, "byteorder");
    if ((m = hero__zip_find(z, nz, nm.s ? nm.s : "", nm.n)) != NULL) {
        if ((rc = hero__zip_get(tf, m, &d, &dlen, err)) != 0) goto done;
        if (dlen != 6 || memcmp(d, "little", 6) != 0) { rc = hero__fail(err, HERO_EFORMAT, "%s: big-endian checkpoints are not supported", tf->path); goto done; }
    }
    if ((rc = hero__pk_run(&vm, pkl, (size_t)pklen, &root)) != 0) goto done;
    if ((rc = hero__pk_group(&vm, &ps, &nuniq, err)) != 0) goto done;
    for (i = 0; i < vm.nstor; i = j) {
        int64_t need = ps[i]->numel * hero_dtype_size(ps[i]->dtype);
        hero__sb_cut(&nm, plen);
        hero__sb_str(&nm, "data/");
        hero__sb_put(&nm, ps[i]->key, ps[i]->klen);
        if (nm.oom) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path); goto done; }
        if (!(m = hero__zip_find(z, nz, nm.s, nm.n))) { rc = hero__fail(err, HERO_EFORMAT, "%s: storage member '%s' is missing", tf->path, nm.s); goto done; }
        if ((rc = hero__zip_get(tf, m, &d, &dlen, err)) != 0) goto done;
        if (dlen != (uint64_t)need) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%s' has %llu bytes, expected %lld (%lld x %s)", tf->path, nm.s,
                            (unsigned long long)dlen, (long long)need, (long long)ps[i]->numel, hero_dtype_name(ps[i]->dtype));
            goto done;
        }
        for (j = i; j < vm.nstor && ps[j]->id == ps[i]->id; j++) ps[j]->data = d;
    }
    rc = hero__pk_flatten(&vm, tf, root, err);
done:
    HERO_FREE(ps);
    HERO_FREE(nm.s);
    hero__pk_free(&vm);
    return rc;
}

/* ---- legacy torch.save format (torch < 1.6) ---- */
static const unsigned char hero__legacy_magic[15] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};

/* If b starts with the pickled legacy magic number (any protocol 2..5, optionally framed),
   returns the offset just after it, else 0. */
static size_t hero__legacy_start(const unsigned char *b, size_t n) {
    size_t p = 2;
    if (n < 24 || b[0] != 0x80 || b[1] < 2 || b[1] > 5) return 0;
    if (b[p] == 0x95) p += 9; /* FRAME */
    if (memcmp(b + p, hero__legacy_magic + 2, 12) != 0 || b[p + 12] != '.') return 0;
    return p + 13;
}

/* dict lookup by string key (for sys_info) */
static int hero__pk_dict_get(const hero__pvm *vm, int d, const char *key) {
    const hero__pobj *x = &vm->obj[d];
    int k;
    if (x->kind != HERO__PK_DICT) return -1;
    for (k = 0; k + 1 < x->n; k += 2) {
        const hero__pobj *kk = &vm->obj[x->items[k]];
        if (kk->kind == HERO__PK_STR && kk->slen == strlen(key) && memcmp(kk->s, key, kk->slen) == 0) return x->items[k + 1];
    }
    return -1;
}

static int hero__legacy_open(hero_tensorfile *tf, hero_error *err) {
    hero__pvm vm;
    hero__pstor **ps = NULL;
    size_t pos = hero__legacy_start(tf->buf, tf->size);
    int proto = -1, info = -1, root = -1, keys = -1, i, k, nuniq, rc, le;
    tf->format = HERO_FMT_TORCH_LEGACY;
    memset(&vm, 0, sizeof vm);
    vm.path = tf->path;
    vm.err = err;
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &proto)) != 0) goto done;
    pos += vm.pos;
    if (vm.obj[proto].kind != HERO__PK_INT || vm.obj[proto].i != 1001) {
        rc = hero__fail(err, HERO_EFORMAT, "%s: legacy torch protocol version is not 1001", tf->path);
        goto done;
    }
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &info)) != 0) goto done;
    pos += vm.pos;
    le = hero__pk_dict_get(&vm, info, "little_endian");
    if (le < 0 || vm.obj[le].kind != HERO__PK_BOOL || !vm.obj[le].i) {
        rc = hero__fail(err, HERO_EFORMAT, "%s: legacy checkpoint is not little-endian (or has no sys_info)", tf->path);
        goto done;
    }
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &root)) != 0) goto done;
    pos += vm.pos;
    if ((rc = hero__pk_run(&vm, tf->buf + pos, tf->size - pos, &keys)) != 0) goto done;
    pos += vm.pos;
    if (vm.obj[keys].kind != HERO__PK_LIST) { rc = hero__fail(err, HERO_EFORMAT, "%s: legacy storage key list missing", tf->path); goto done; }
    if ((rc = hero__pk_group(&vm, &ps, &nuniq, err)) != 0) goto done;
    for (k = 0; k < vm.obj[keys].n; k++) {
        const hero__pobj *key = &vm.obj[vm.obj[keys].items[k]];
        hero__pstor probe, *pp = &probe, **hit;
        int64_t cnt, nb;
        int lk = (int)(key->slen > 100 ? 100 : key->slen);
        if (key->kind != HERO__PK_STR) { rc = hero__fail(err, HERO_EFORMAT, "%s: legacy storage key %d is not a string", tf->path, k); goto done; }
        probe.key = key->s;
        probe.klen = key->slen;
        hit = ps ? (hero__pstor **)bsearch(&pp, ps, (size_t)vm.nstor, sizeof *ps, hero__cmp_pstor) : NULL;
        if (!hit) { rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' listed but never referenced", tf->path, lk, key->s); goto done; }
        if ((*hit)->data) { rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' listed twice", tf->path, lk, key->s); goto done; }
        if (tf->size - pos < 8) { rc = hero__fail(err, HERO_EFORMAT, "%s: truncated before storage '%.*s'", tf->path, lk, key->s); goto done; }
        cnt = (int64_t)hero__u64(tf->buf + pos);
        pos += 8;
        if (cnt != (*hit)->numel || !hero__mul64(cnt, hero_dtype_size((*hit)->dtype), &nb) || (uint64_t)nb > tf->size - pos) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s': %lld elements recorded, %lld expected, %zu bytes left", tf->path, lk,
                            key->s, (long long)cnt, (long long)(*hit)->numel, tf->size - pos);
            goto done;
        }
        for (i = (int)(hit - ps); i > 0 && ps[i - 1]->id == (*hit)->id; i--) {}
        for (; i < vm.nstor && ps[i]->id == (*hit)->id; i++) ps[i]->data = tf->buf + pos;
        pos += (size_t)nb;
    }
    for (i = 0; i < vm.nstor && !rc; i++)
        if (!vm.stor[i].data)
            rc = hero__fail(err, HERO_EFORMAT, "%s: storage '%.*s' has no data", tf->path, (int)(vm.stor[i].klen > 100 ? 100 : vm.stor[i].klen), vm.stor[i].key);
    if (!rc) rc = hero__pk_flatten(&vm, tf, root, err);
done:
    HERO_FREE(ps);
    hero__pk_free(&vm);
    return rc;
}

#endif /* HERO_NO_TORCH */

/* ================= .npy / .npz ================= */
typedef struct hero__lit { const char *s; size_t n, i; } hero__lit;

static void hero__lit_ws(hero__lit *L) {
    while (L->i < L->n && (L->s[L->i] == ' ' || L->s[L->i] == '\t' || L->s[L->i] == '\n' || L->s[L->i] == '\r')) L->i++;
}
static int hero__lit_ch(hero__lit *L, char c) {
    hero__lit_ws(L);
    if (L->i < L->n && L->s[L->i] == c) { L->i++; return 1; }
    return 0;
}
static int hero__lit_str(hero__lit *L, const char **v, size_t *vl) {
    char q;
    size_t b;
    hero__lit_ws(L);
    if (L->i >= L->n || (L->s[L->i] != '\'' && L->s[L->i] != '"')) return 0;
    q = L->s[L->i++];
    for (b = L->i; L->i < L->n && L->s[L->i] != q; L->i++)
        if (L->s[L->i] == '\\') return 0;
    if (L->i >= L->n) return 0;
    *v = L->s + b;
    *vl = L->i++ - b;
    return 1;
}
static int hero__lit_word(hero__lit *L, const char *w) {
    size_t l = strlen(w);
    hero__lit_ws(L);
    if (L->n - L->i < l || memcmp(L->s + L->i, w, l) != 0) return 0;
    L->i += l;
    return 1;
}

static int hero__npy_dtype(const char *d, size_t l, hero_dtype *dt) {
    static const char *const codes[] = {"f4", "f2", "", "f8", "i8", "i4", "i2", "i1", "u1", "b1"};
    int k;
    if (l != 3 || (d[0] != '<' && d[0] != '|' && !(d[0] == '=' && hero__host_le()) && !(d[0] == '>' && d[2] == '1'))) return 0;
    for (k = 0; k < HERO_DTYPE_COUNT; k++)
        if (codes[k][0] && memcmp(d + 1, codes[k], 2) == 0) { *dt = (hero_dtype)k; return 1; }
    return 0;
}

/* Parse the python-literal header {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
static int hero__npy_header(hero__lit *L, hero_tensor_info *t, const char *what, hero_error *err) {
    const char *k, *v;
    size_t kl, vl;
    int got = 0;
    if (!hero__lit_ch(L, '{')) return hero__fail(err, HERO_EFORMAT, "%s: npy header is not a dict", what);
    while (!hero__lit_ch(L, '}')) {
        if (!hero__lit_str(L, &k, &kl) || !hero__lit_ch(L, ':')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad key", what);
        if (kl == 5 && memcmp(k, "descr", 5) == 0) {
            if (!hero__lit_str(L, &v, &vl) || !hero__npy_dtype(v, vl, &t->dtype))
                return hero__fail(err, HERO_EFORMAT, "%s: npy dtype not supported (need little-endian f2 f4 f8 i1 i2 i4 i8 u1 b1)", what);
            got |= 1;
        } else if (kl == 13 && memcmp(k, "fortran_order", 13) == 0) {
            if (hero__lit_word(L, "True")) return hero__fail(err, HERO_EFORMAT, "%s: fortran_order arrays are not supported (save in C order)", what);
            if (!hero__lit_word(L, "False")) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad fortran_order", what);
            got |= 2;
        } else if (kl == 5 && memcmp(k, "shape", 5) == 0) {
            if (!hero__lit_ch(L, '(')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: shape is not a tuple", what);
            while (!hero__lit_ch(L, ')')) {
                int64_t x = 0;
                int digits = 0;
                hero__lit_ws(L);
                if (t->ndim >= HERO_MAX_DIMS) return hero__fail(err, HERO_ELIMIT, "%s: more than %d dimensions", what, HERO_MAX_DIMS);
                for (; L->i < L->n && L->s[L->i] >= '0' && L->s[L->i] <= '9'; L->i++, digits++)
                    if (x > (INT64_MAX - 9) / 10) return hero__fail(err, HERO_ELIMIT, "%s: npy shape overflows", what);
                    else x = x * 10 + (L->s[L->i] - '0');
                if (!digits) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad shape", what);
                if (L->i < L->n && L->s[L->i] == 'L') L->i++;
                t->shape[t->ndim++] = x;
                if (!hero__lit_ch(L, ',')) {
                    if (!hero__lit_ch(L, ')')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: bad shape", what);
                    break;
                }
            }
            got |= 4;
        } else return hero__fail(err, HERO_EFORMAT, "%s: npy header: unknown key '%.*s'", what, (int)(kl > 40 ? 40 : kl), k);
        if (!hero__lit_ch(L, ',')) {
            if (!hero__lit_ch(L, '}')) return hero__fail(err, HERO_EFORMAT, "%s: npy header: expected ',' or '}'", what);
            break;
        }
    }
    hero__lit_ws(L);
    if (L->i != L->n || got != 7) return hero__fail(err, HERO_EFORMAT, "%s: npy header needs exactly descr, fortran_order and shape", what);
    return 0;
}

/* One .npy image (p, n bytes) -> tensor `name`. */
static int hero__npy_parse(hero_tensorfile *tf, const unsigned char *p, uint64_t n, const char *name, size_t nlen, int sid,
                           hero_error *err) {
    hero_tensor_info t, *out;
    hero__lit L;
    char what[300];
    uint64_t hl, hs;
    int64_t numel = 1, nb;
    int i, rc;
    snprintf(what, sizeof what, "%.200s%s%.*s", tf->path, tf->format == HERO_FMT_NPZ ? ": " : "",
             tf->format == HERO_FMT_NPZ ? (int)(nlen > 80 ? 80 : nlen) : 0, name);
    if (n < 10 || memcmp(p, "\x93NUMPY", 6) != 0) return hero__fail(err, HERO_EFORMAT, "%s: not a .npy image", what);
    if (p[6] == 1) { hl = hero__u16(p + 8); hs = 10; }
    else if ((p[6] == 2 || p[6] == 3) && n >= 12) { hl = hero__u32(p + 8); hs = 12; }
    else return hero__fail(err, HERO_EFORMAT, "%s: npy version %d not supported", what, p[6]);
    if (hl > n - hs) return hero__fail(err, HERO_EFORMAT, "%s: npy header length %llu exceeds the file", what, (unsigned long long)hl);
    memset(&t, 0, sizeof t);
    L.s = (const char *)p + hs;
    L.n = (size_t)hl;
    L.i = 0;
    if ((rc = hero__npy_header(&L, &t, what, err)) != 0) return rc;
    for (i = t.ndim - 1; i >= 0; i--) {
        t.stride[i] = numel;
        if (!hero__mul64(numel, t.shape[i], &numel)) return hero__fail(err, HERO_ELIMIT, "%s: element count overflows", what);
    }
    if (!hero__mul64(numel, hero_dtype_size(t.dtype), &nb)) return hero__fail(err, HERO_ELIMIT, "%s: byte size overflows", what);
    if ((uint64_t)nb != n - hs - hl)
        return hero__fail(err, HERO_EFORMAT, "%s: npy data has %llu bytes, shape and dtype need %lld", what,
                          (unsigned long long)(n - hs - hl), (long long)nb);
    if ((rc = hero__tf_add_tensor(tf, name, nlen, &out, err)) != 0) return rc;
    t.name = out->name;
    t.storage = p + hs + hl;
    t.storage_nbytes = nb;
    t.storage_id = sid;
    *out = t;
    return 0;
}

static int hero__npz_open(hero_tensorfile *tf, const hero__zent *z, int nz, hero_error *err) {
    int i, rc;
    tf->format = HERO_FMT_NPZ;
    for (i = 0; i < nz; i++) {
        const unsigned char *d;
        uint64_t dl;
        if (!hero__zname_ends(&z[i], ".npy")) continue;
        if ((rc = hero__zip_get(tf, &z[i], &d, &dl, err)) != 0) return rc;
        if ((rc = hero__npy_parse(tf, d, dl, z[i].name, z[i].nlen - 4, i, err)) != 0) return rc;
    }
    if (!tf->n_tensors) return hero__fail(err, HERO_EFORMAT, "%s: zip has no .npy members (not an .npz)", tf->path);
    return hero__tf_check_all(tf, err);
}

/* ================= opening ================= */
static int hero__tf_dispatch(hero_tensorfile *tf, int npz_only, hero_error *err) {
    const unsigned char *b = tf->buf;
    if (tf->size >= 4 && (memcmp(b, "PK\3\4", 4) == 0 || memcmp(b, "PK\5\6", 4) == 0)) {
        hero__zent *z;
        int nz, i, pkl = 0, rc;
        if ((rc = hero__zip_dir(b, tf->size, tf->path, &z, &nz, err)) != 0) return rc;
        for (i = 0; i < nz; i++) pkl |= hero__zname_ends(&z[i], "data.pkl");
#ifndef HERO_NO_TORCH
        rc = pkl && !npz_only ? hero__torchzip_open(tf, z, nz, err) : hero__npz_open(tf, z, nz, err);
#else
        rc = pkl && !npz_only ? hero__fail(err, HERO_EFORMAT, "%s: a torch.save zip file, and hero.h was built with HERO_NO_TORCH", tf->path)
                              : hero__npz_open(tf, z, nz, err);
#endif
        HERO_FREE(z);
        return rc;
    }
    if (tf->size >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) {
        int rc;
        tf->format = HERO_FMT_NPY;
        rc = hero__npy_parse(tf, b, tf->size, "-", 1, 0, err);
        return rc ? rc : hero__tf_check_all(tf, err);
    }
    if (npz_only) return hero__fail(err, HERO_EFORMAT, "%s: not a .npy or .npz file", tf->path);
#ifndef HERO_NO_TORCH
    if (hero__legacy_start(b, tf->size)) return hero__legacy_open(tf, err);
#endif
    return hero__st_open(tf, err);
}

/* Renumber storage ids 0, 1, 2, ... in order of first use (so equal files give equal ids). */
static int hero__tf_renumber(hero_tensorfile *tf, hero_error *err) {
    int i, maxid = -1, next = 0, *map;
    for (i = 0; i < tf->n_tensors; i++)
        if (tf->tensors[i].storage_id > maxid) maxid = tf->tensors[i].storage_id;
    if (maxid < 0) return 0;
    if (!(map = (int *)HERO_MALLOC(((size_t)maxid + 1) * sizeof(int)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", tf->path);
    for (i = 0; i <= maxid; i++) map[i] = -1;
    for (i = 0; i < tf->n_tensors; i++) {
        int *id = &tf->tensors[i].storage_id;
        if (*id < 0) continue;
        if (map[*id] < 0) map[*id] = next++;
        *id = map[*id];
    }
    HERO_FREE(map);
    return 0;
}

static int hero__tf_open(hero_tensorfile *tf, const char *path, const void *data, size_t size, int npz_only, hero_error *err) {
    int rc;
    if (!tf) return hero__fail(err, HERO_EINVAL, "tensor file: NULL handle");
    memset(tf, 0, sizeof *tf);
    if (!path || (!data && size)) return hero__fail(err, HERO_EINVAL, "tensor file: NULL path or data");
    if (!(tf->path = hero__strndup(path, strlen(path)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
    if (data) {
        if (size >= SIZE_MAX / 2 || !(tf->buf = (unsigned char *)HERO_MALLOC(size + 1))) rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
        else { if (size) memcpy(tf->buf, data, size); tf->buf[size] = 0; tf->size = size; rc = 0; }
    } else if (!hero__map_file(path, &tf->buf, &tf->size)) {
        tf->map_len = tf->size;
        rc = 0;
    } else rc = hero__read_file(path, 0, &tf->buf, &tf->size, err);
    if (!rc) rc = hero__tf_dispatch(tf, npz_only, err);
    if (!rc) rc = hero__tf_renumber(tf, err);
    if (rc) hero_tensorfile_close(tf);
    return rc;
}

/* Open a tensor file of any supported format (detected from content). */
HERODEF int hero_tensorfile_open(hero_tensorfile *tf, const char *path, hero_error *err) {
    return hero__tf_open(tf, path, NULL, 0, 0, err);
}

/* Open a tensor file image held in memory (copied). */
HERODEF int hero_tensorfile_open_memory(hero_tensorfile *tf, const void *data, size_t size, const char *name, hero_error *err) {
    static const unsigned char empty[1] = {0};
    if (!data && size) {
        if (tf) memset(tf, 0, sizeof *tf);
        return hero__fail(err, HERO_EINVAL, "tensor file: NULL data");
    }
    return hero__tf_open(tf, name ? name : "<memory>", data ? data : (const void *)empty, size, 0, err);
}

/* Open a .npy or .npz file. */
HERODEF int hero_npz_open(hero_tensorfile *tf, const char *path, hero_error *err) {
    return hero__tf_open(tf, path, NULL, 0, 1, err);
}
/* ======================================================================================
   16. Tokenizer: RoBERTa / GPT-2 byte-level BPE
   ====================================================================================== */
#ifndef HERO_NO_TOKENIZER

/* ---- Tokenizer implementation (RoBERTa / GPT-2 byte-level BPE) ---------------------------
   Pre-tokenisation: the GPT-2 regex
     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
   evaluated by hand (hero__tok_match) on code points, with JS's Unicode classes (tables below,
   generated by tools/gen_unicode.js from Node's own /\p{L}/u, /\p{N}/u, /\s/u; with
   HERO_TOKENIZE_HF, \s is /\p{White_Space}/u as in HF's Oniguruma).
   BPE: a min-heap of (rank, position) pairs with lazy invalidation, processed in rounds that
   are equivalent to the reference loop "take the lowest-ranked pair, merge all its
   occurrences left to right", so long words cost O(n log n), not O(n^2).
   vocab.json: a small special-purpose JSON reader (hero__tok_json_*): one flat object of
   string keys (all escapes, \uXXXX surrogate pairs -> UTF-8; a lone surrogate is kept as its
   3-byte WTF-8 form) and non-negative integer values. Duplicate keys, duplicate ids,
   non-integer / negative / > INT32_MAX values, invalid UTF-8 and trailing garbage are errors.
   merges.txt: lines "a b" (split on spaces / tabs, a trailing \r dropped); lines starting
   with "#version" and blank lines are skipped; any other line must have exactly two fields,
   and a, b and a+b must be vocab tokens (as HF's fast tokenizer requires); the last
   duplicate of a merge wins (as in gpt-3-encoder and HF). Unlike gpt-3-encoder, a last line
   without '\n' is kept and a first line that is not "#version" is a merge (HF fast). */
#include <limits.h>
#include <string.h>

#define HERO__TOK_MAX_FILE ((size_t)1 << 30) /* vocab.json / merges.txt size limit */
#define HERO__TOK_NSPECIAL 5

typedef struct hero__tok_pair {
    int32_t a, b;       /* left / right token ids; a == -1: empty slot */
    int32_t rank_js;    /* rank under gpt-3-encoder's "a,b" string lookup, -1: none */
    int32_t rank_hf;    /* rank under HF's (a, b) tuple lookup, -1: none */
    int32_t merged;     /* id of a+b */
} hero__tok_pair;

struct hero_tokenizer {
    char *pool;              /* every token string, NUL-terminated */
    int n_vocab;
    uint32_t *str_off;       /* [n_vocab] offset of entry i's string in pool */
    uint32_t *str_len;       /* [n_vocab] its length in bytes */
    int32_t *str_id;         /* [n_vocab] its id */
    int32_t *by_id;          /* [n_vocab] entry indices sorted by id */
    int32_t *vhash;          /* [vhash_cap] entry index or -1 (open addressing) */
    uint32_t vhash_cap;
    hero__tok_pair *pairs;   /* [pairs_cap] merge table (open addressing) */
    uint32_t pairs_cap;
    int32_t byte_id[256];    /* id of the one-character token of each byte, -1: none */
    int16_t byte_of_cp[324]; /* bytes_to_unicode inverse: code point -> byte, -1: none */
    int32_t special_id[HERO__TOK_NSPECIAL]; /* ids of <s> </s> <pad> <unk> <mask>, -1: none */
};

static const char *const hero__tok_special_str[HERO__TOK_NSPECIAL] = {"<s>", "</s>", "<pad>", "<unk>", "<mask>"};
#define HERO__TOK_UNK 3
#define HERO__TOK_MASK 4

/* BEGIN GENERATED unicode tables */
/* Generated by tools/gen_unicode.js with node v20.20.2 (Unicode 17.0); do not edit by hand.
   Inclusive code point ranges, sorted. */
static const uint32_t hero__tok_L[684][2] = {
    {0x41,0x5A},{0x61,0x7A},{0xAA,0xAA},{0xB5,0xB5},{0xBA,0xBA},{0xC0,0xD6},{0xD8,0xF6},{0xF8,0x2C1},
    {0x2C6,0x2D1},{0x2E0,0x2E4},{0x2EC,0x2EC},{0x2EE,0x2EE},{0x370,0x374},{0x376,0x377},{0x37A,0x37D},{0x37F,0x37F},
    {0x386,0x386},{0x388,0x38A},{0x38C,0x38C},{0x38E,0x3A1},{0x3A3,0x3F5},{0x3F7,0x481},{0x48A,0x52F},{0x531,0x556},
    {0x559,0x559},{0x560,0x588},{0x5D0,0x5EA},{0x5EF,0x5F2},{0x620,0x64A},{0x66E,0x66F},{0x671,0x6D3},{0x6D5,0x6D5},
    {0x6E5,0x6E6},{0x6EE,0x6EF},{0x6FA,0x6FC},{0x6FF,0x6FF},{0x710,0x710},{0x712,0x72F},{0x74D,0x7A5},{0x7B1,0x7B1},
    {0x7CA,0x7EA},{0x7F4,0x7F5},{0x7FA,0x7FA},{0x800,0x815},{0x81A,0x81A},{0x824,0x824},{0x828,0x828},{0x840,0x858},
    {0x860,0x86A},{0x870,0x887},{0x889,0x88F},{0x8A0,0x8C9},{0x904,0x939},{0x93D,0x93D},{0x950,0x950},{0x958,0x961},
    {0x971,0x980},{0x985,0x98C},{0x98F,0x990},{0x993,0x9A8},{0x9AA,0x9B0},{0x9B2,0x9B2},{0x9B6,0x9B9},{0x9BD,0x9BD},
    {0x9CE,0x9CE},{0x9DC,0x9DD},{0x9DF,0x9E1},{0x9F0,0x9F1},{0x9FC,0x9FC},{0xA05,0xA0A},{0xA0F,0xA10},{0xA13,0xA28},
    {0xA2A,0xA30},{0xA32,0xA33},{0xA35,0xA36},{0xA38,0xA39},{0xA59,0xA5C},{0xA5E,0xA5E},{0xA72,0xA74},{0xA85,0xA8D},
    {0xA8F,0xA91},{0xA93,0xAA8},{0xAAA,0xAB0},{0xAB2,0xAB3},{0xAB5,0xAB9},{0xABD,0xABD},{0xAD0,0xAD0},{0xAE0,0xAE1},
    {0xAF9,0xAF9},{0xB05,0xB0C},{0xB0F,0xB10},{0xB13,0xB28},{0xB2A,0xB30},{0xB32,0xB33},{0xB35,0xB39},{0xB3D,0xB3D},
    {0xB5C,0xB5D},{0xB5F,0xB61},{0xB71,0xB71},{0xB83,0xB83},{0xB85,0xB8A},{0xB8E,0xB90},{0xB92,0xB95},{0xB99,0xB9A},
    {0xB9C,0xB9C},{0xB9E,0xB9F},{0xBA3,0xBA4},{0xBA8,0xBAA},{0xBAE,0xBB9},{0xBD0,0xBD0},{0xC05,0xC0C},{0xC0E,0xC10},
    {0xC12,0xC28},{0xC2A,0xC39},{0xC3D,0xC3D},{0xC58,0xC5A},{0xC5C,0xC5D},{0xC60,0xC61},{0xC80,0xC80},{0xC85,0xC8C},
    {0xC8E,0xC90},{0xC92,0xCA8},{0xCAA,0xCB3},{0xCB5,0xCB9},{0xCBD,0xCBD},{0xCDC,0xCDE},{0xCE0,0xCE1},{0xCF1,0xCF2},
    {0xD04,0xD0C},{0xD0E,0xD10},{0xD12,0xD3A},{0xD3D,0xD3D},{0xD4E,0xD4E},{0xD54,0xD56},{0xD5F,0xD61},{0xD7A,0xD7F},
    {0xD85,0xD96},{0xD9A,0xDB1},{0xDB3,0xDBB},{0xDBD,0xDBD},{0xDC0,0xDC6},{0xE01,0xE30},{0xE32,0xE33},{0xE40,0xE46},
    {0xE81,0xE82},{0xE84,0xE84},{0xE86,0xE8A},{0xE8C,0xEA3},{0xEA5,0xEA5},{0xEA7,0xEB0},{0xEB2,0xEB3},{0xEBD,0xEBD},
    {0xEC0,0xEC4},{0xEC6,0xEC6},{0xEDC,0xEDF},{0xF00,0xF00},{0xF40,0xF47},{0xF49,0xF6C},{0xF88,0xF8C},{0x1000,0x102A},
    {0x103F,0x103F},{0x1050,0x1055},{0x105A,0x105D},{0x1061,0x1061},{0x1065,0x1066},{0x106E,0x1070},{0x1075,0x1081},{0x108E,0x108E},
    {0x10A0,0x10C5},{0x10C7,0x10C7},{0x10CD,0x10CD},{0x10D0,0x10FA},{0x10FC,0x1248},{0x124A,0x124D},{0x1250,0x1256},{0x1258,0x1258},
    {0x125A,0x125D},{0x1260,0x1288},{0x128A,0x128D},{0x1290,0x12B0},{0x12B2,0x12B5},{0x12B8,0x12BE},{0x12C0,0x12C0},{0x12C2,0x12C5},
    {0x12C8,0x12D6},{0x12D8,0x1310},{0x1312,0x1315},{0x1318,0x135A},{0x1380,0x138F},{0x13A0,0x13F5},{0x13F8,0x13FD},{0x1401,0x166C},
    {0x166F,0x167F},{0x1681,0x169A},{0x16A0,0x16EA},{0x16F1,0x16F8},{0x1700,0x1711},{0x171F,0x1731},{0x1740,0x1751},{0x1760,0x176C},
    {0x176E,0x1770},{0x1780,0x17B3},{0x17D7,0x17D7},{0x17DC,0x17DC},{0x1820,0x1878},{0x1880,0x1884},{0x1887,0x18A8},{0x18AA,0x18AA},
    {0x18B0,0x18F5},{0x1900,0x191E},{0x1950,0x196D},{0x1970,0x1974},{0x1980,0x19AB},{0x19B0,0x19C9},{0x1A00,0x1A16},{0x1A20,0x1A54},
    {0x1AA7,0x1AA7},{0x1B05,0x1B33},{0x1B45,0x1B4C},{0x1B83,0x1BA0},{0x1BAE,0x1BAF},{0x1BBA,0x1BE5},{0x1C00,0x1C23},{0x1C4D,0x1C4F},
    {0x1C5A,0x1C7D},{0x1C80,0x1C8A},{0x1C90,0x1CBA},{0x1CBD,0x1CBF},{0x1CE9,0x1CEC},{0x1CEE,0x1CF3},{0x1CF5,0x1CF6},{0x1CFA,0x1CFA},
    {0x1D00,0x1DBF},{0x1E00,0x1F15},{0x1F18,0x1F1D},{0x1F20,0x1F45},{0x1F48,0x1F4D},{0x1F50,0x1F57},{0x1F59,0x1F59},{0x1F5B,0x1F5B},
    {0x1F5D,0x1F5D},{0x1F5F,0x1F7D},{0x1F80,0x1FB4},{0x1FB6,0x1FBC},{0x1FBE,0x1FBE},{0x1FC2,0x1FC4},{0x1FC6,0x1FCC},{0x1FD0,0x1FD3},
    {0x1FD6,0x1FDB},{0x1FE0,0x1FEC},{0x1FF2,0x1FF4},{0x1FF6,0x1FFC},{0x2071,0x2071},{0x207F,0x207F},{0x2090,0x209C},{0x2102,0x2102},
    {0x2107,0x2107},{0x210A,0x2113},{0x2115,0x2115},{0x2119,0x211D},{0x2124,0x2124},{0x2126,0x2126},{0x2128,0x2128},{0x212A,0x212D},
    {0x212F,0x2139},{0x213C,0x213F},{0x2145,0x2149},{0x214E,0x214E},{0x2183,0x2184},{0x2C00,0x2CE4},{0x2CEB,0x2CEE},{0x2CF2,0x2CF3},
    {0x2D00,0x2D25},{0x2D27,0x2D27},{0x2D2D,0x2D2D},{0x2D30,0x2D67},{0x2D6F,0x2D6F},{0x2D80,0x2D96},{0x2DA0,0x2DA6},{0x2DA8,0x2DAE},
    {0x2DB0,0x2DB6},{0x2DB8,0x2DBE},{0x2DC0,0x2DC6},{0x2DC8,0x2DCE},{0x2DD0,0x2DD6},{0x2DD8,0x2DDE},{0x2E2F,0x2E2F},{0x3005,0x3006},
    {0x3031,0x3035},{0x303B,0x303C},{0x3041,0x3096},{0x309D,0x309F},{0x30A1,0x30FA},{0x30FC,0x30FF},{0x3105,0x312F},{0x3131,0x318E},
    {0x31A0,0x31BF},{0x31F0,0x31FF},{0x3400,0x4DBF},{0x4E00,0xA48C},{0xA4D0,0xA4FD},{0xA500,0xA60C},{0xA610,0xA61F},{0xA62A,0xA62B},
    {0xA640,0xA66E},{0xA67F,0xA69D},{0xA6A0,0xA6E5},{0xA717,0xA71F},{0xA722,0xA788},{0xA78B,0xA7DC},{0xA7F1,0xA801},{0xA803,0xA805},
    {0xA807,0xA80A},{0xA80C,0xA822},{0xA840,0xA873},{0xA882,0xA8B3},{0xA8F2,0xA8F7},{0xA8FB,0xA8FB},{0xA8FD,0xA8FE},{0xA90A,0xA925},
    {0xA930,0xA946},{0xA960,0xA97C},{0xA984,0xA9B2},{0xA9CF,0xA9CF},{0xA9E0,0xA9E4},{0xA9E6,0xA9EF},{0xA9FA,0xA9FE},{0xAA00,0xAA28},
    {0xAA40,0xAA42},{0xAA44,0xAA4B},{0xAA60,0xAA76},{0xAA7A,0xAA7A},{0xAA7E,0xAAAF},{0xAAB1,0xAAB1},{0xAAB5,0xAAB6},{0xAAB9,0xAABD},
    {0xAAC0,0xAAC0},{0xAAC2,0xAAC2},{0xAADB,0xAADD},{0xAAE0,0xAAEA},{0xAAF2,0xAAF4},{0xAB01,0xAB06},{0xAB09,0xAB0E},{0xAB11,0xAB16},
    {0xAB20,0xAB26},{0xAB28,0xAB2E},{0xAB30,0xAB5A},{0xAB5C,0xAB69},{0xAB70,0xABE2},{0xAC00,0xD7A3},{0xD7B0,0xD7C6},{0xD7CB,0xD7FB},
    {0xF900,0xFA6D},{0xFA70,0xFAD9},{0xFB00,0xFB06},{0xFB13,0xFB17},{0xFB1D,0xFB1D},{0xFB1F,0xFB28},{0xFB2A,0xFB36},{0xFB38,0xFB3C},
    {0xFB3E,0xFB3E},{0xFB40,0xFB41},{0xFB43,0xFB44},{0xFB46,0xFBB1},{0xFBD3,0xFD3D},{0xFD50,0xFD8F},{0xFD92,0xFDC7},{0xFDF0,0xFDFB},
    {0xFE70,0xFE74},{0xFE76,0xFEFC},{0xFF21,0xFF3A},{0xFF41,0xFF5A},{0xFF66,0xFFBE},{0xFFC2,0xFFC7},{0xFFCA,0xFFCF},{0xFFD2,0xFFD7},
    {0xFFDA,0xFFDC},{0x10000,0x1000B},{0x1000D,0x10026},{0x10028,0x1003A},{0x1003C,0x1003D},{0x1003F,0x1004D},{0x10050,0x1005D},{0x10080,0x100FA},
    {0x10280,0x1029C},{0x102A0,0x102D0},{0x10300,0x1031F},{0x1032D,0x10340},{0x10342,0x10349},{0x10350,0x10375},{0x10380,0x1039D},{0x103A0,0x103C3},
    {0x103C8,0x103CF},{0x10400,0x1049D},{0x104B0,0x104D3},{0x104D8,0x104FB},{0x10500,0x10527},{0x10530,0x10563},{0x10570,0x1057A},{0x1057C,0x1058A},
    {0x1058C,0x10592},{0x10594,0x10595},{0x10597,0x105A1},{0x105A3,0x105B1},{0x105B3,0x105B9},{0x105BB,0x105BC},{0x105C0,0x105F3},{0x10600,0x10736},
    {0x10740,0x10755},{0x10760,0x10767},{0x10780,0x10785},{0x10787,0x107B0},{0x107B2,0x107BA},{0x10800,0x10805},{0x10808,0x10808},{0x1080A,0x10835},
    {0x10837,0x10838},{0x1083C,0x1083C},{0x1083F,0x10855},{0x10860,0x10876},{0x10880,0x1089E},{0x108E0,0x108F2},{0x108F4,0x108F5},{0x10900,0x10915},
    {0x10920,0x10939},{0x10940,0x10959},{0x10980,0x109B7},{0x109BE,0x109BF},{0x10A00,0x10A00},{0x10A10,0x10A13},{0x10A15,0x10A17},{0x10A19,0x10A35},
    {0x10A60,0x10A7C},{0x10A80,0x10A9C},{0x10AC0,0x10AC7},{0x10AC9,0x10AE4},{0x10B00,0x10B35},{0x10B40,0x10B55},{0x10B60,0x10B72},{0x10B80,0x10B91},
    {0x10C00,0x10C48},{0x10C80,0x10CB2},{0x10CC0,0x10CF2},{0x10D00,0x10D23},{0x10D4A,0x10D65},{0x10D6F,0x10D85},{0x10E80,0x10EA9},{0x10EB0,0x10EB1},
    {0x10EC2,0x10EC7},{0x10F00,0x10F1C},{0x10F27,0x10F27},{0x10F30,0x10F45},{0x10F70,0x10F81},{0x10FB0,0x10FC4},{0x10FE0,0x10FF6},{0x11003,0x11037},
    {0x11071,0x11072},{0x11075,0x11075},{0x11083,0x110AF},{0x110D0,0x110E8},{0x11103,0x11126},{0x11144,0x11144},{0x11147,0x11147},{0x11150,0x11172},
    {0x11176,0x11176},{0x11183,0x111B2},{0x111C1,0x111C4},{0x111DA,0x111DA},{0x111DC,0x111DC},{0x11200,0x11211},{0x11213,0x1122B},{0x1123F,0x11240},
    {0x11280,0x11286},{0x11288,0x11288},{0x1128A,0x1128D},{0x1128F,0x1129D},{0x1129F,0x112A8},{0x112B0,0x112DE},{0x11305,0x1130C},{0x1130F,0x11310},
    {0x11313,0x11328},{0x1132A,0x11330},{0x11332,0x11333},{0x11335,0x11339},{0x1133D,0x1133D},{0x11350,0x11350},{0x1135D,0x11361},{0x11380,0x11389},
    {0x1138B,0x1138B},{0x1138E,0x1138E},{0x11390,0x113B5},{0x113B7,0x113B7},{0x113D1,0x113D1},{0x113D3,0x113D3},{0x11400,0x11434},{0x11447,0x1144A},
    {0x1145F,0x11461},{0x11480,0x114AF},{0x114C4,0x114C5},{0x114C7,0x114C7},{0x11580,0x115AE},{0x115D8,0x115DB},{0x11600,0x1162F},{0x11644,0x11644},
    {0x11680,0x116AA},{0x116B8,0x116B8},{0x11700,0x1171A},{0x11740,0x11746},{0x11800,0x1182B},{0x118A0,0x118DF},{0x118FF,0x11906},{0x11909,0x11909},
    {0x1190C,0x11913},{0x11915,0x11916},{0x11918,0x1192F},{0x1193F,0x1193F},{0x11941,0x11941},{0x119A0,0x119A7},{0x119AA,0x119D0},{0x119E1,0x119E1},
    {0x119E3,0x119E3},{0x11A00,0x11A00},{0x11A0B,0x11A32},{0x11A3A,0x11A3A},{0x11A50,0x11A50},{0x11A5C,0x11A89},{0x11A9D,0x11A9D},{0x11AB0,0x11AF8},
    {0x11BC0,0x11BE0},{0x11C00,0x11C08},{0x11C0A,0x11C2E},{0x11C40,0x11C40},{0x11C72,0x11C8F},{0x11D00,0x11D06},{0x11D08,0x11D09},{0x11D0B,0x11D30},
    {0x11D46,0x11D46},{0x11D60,0x11D65},{0x11D67,0x11D68},{0x11D6A,0x11D89},{0x11D98,0x11D98},{0x11DB0,0x11DDB},{0x11EE0,0x11EF2},{0x11F02,0x11F02},
    {0x11F04,0x11F10},{0x11F12,0x11F33},{0x11FB0,0x11FB0},{0x12000,0x12399},{0x12480,0x12543},{0x12F90,0x12FF0},{0x13000,0x1342F},{0x13441,0x13446},
    {0x13460,0x143FA},{0x14400,0x14646},{0x16100,0x1611D},{0x16800,0x16A38},{0x16A40,0x16A5E},{0x16A70,0x16ABE},{0x16AD0,0x16AED},{0x16B00,0x16B2F},
    {0x16B40,0x16B43},{0x16B63,0x16B77},{0x16B7D,0x16B8F},{0x16D40,0x16D6C},{0x16E40,0x16E7F},{0x16EA0,0x16EB8},{0x16EBB,0x16ED3},{0x16F00,0x16F4A},
    {0x16F50,0x16F50},{0x16F93,0x16F9F},{0x16FE0,0x16FE1},{0x16FE3,0x16FE3},{0x16FF2,0x16FF3},{0x17000,0x18CD5},{0x18CFF,0x18D1E},{0x18D80,0x18DF2},
    {0x1AFF0,0x1AFF3},{0x1AFF5,0x1AFFB},{0x1AFFD,0x1AFFE},{0x1B000,0x1B122},{0x1B132,0x1B132},{0x1B150,0x1B152},{0x1B155,0x1B155},{0x1B164,0x1B167},
    {0x1B170,0x1B2FB},{0x1BC00,0x1BC6A},{0x1BC70,0x1BC7C},{0x1BC80,0x1BC88},{0x1BC90,0x1BC99},{0x1D400,0x1D454},{0x1D456,0x1D49C},{0x1D49E,0x1D49F},
    {0x1D4A2,0x1D4A2},{0x1D4A5,0x1D4A6},{0x1D4A9,0x1D4AC},{0x1D4AE,0x1D4B9},{0x1D4BB,0x1D4BB},{0x1D4BD,0x1D4C3},{0x1D4C5,0x1D505},{0x1D507,0x1D50A},
    {0x1D50D,0x1D514},{0x1D516,0x1D51C},{0x1D51E,0x1D539},{0x1D53B,0x1D53E},{0x1D540,0x1D544},{0x1D546,0x1D546},{0x1D54A,0x1D550},{0x1D552,0x1D6A5},
    {0x1D6A8,0x1D6C0},{0x1D6C2,0x1D6DA},{0x1D6DC,0x1D6FA},{0x1D6FC,0x1D714},{0x1D716,0x1D734},{0x1D736,0x1D74E},{0x1D750,0x1D76E},{0x1D770,0x1D788},
    {0x1D78A,0x1D7A8},{0x1D7AA,0x1D7C2},{0x1D7C4,0x1D7CB},{0x1DF00,0x1DF1E},{0x1DF25,0x1DF2A},{0x1E030,0x1E06D},{0x1E100,0x1E12C},{0x1E137,0x1E13D},
    {0x1E14E,0x1E14E},{0x1E290,0x1E2AD},{0x1E2C0,0x1E2EB},{0x1E4D0,0x1E4EB},{0x1E5D0,0x1E5ED},{0x1E5F0,0x1E5F0},{0x1E6C0,0x1E6DE},{0x1E6E0,0x1E6E2},
    {0x1E6E4,0x1E6E5},{0x1E6E7,0x1E6ED},{0x1E6F0,0x1E6F4},{0x1E6FE,0x1E6FF},{0x1E7E0,0x1E7E6},{0x1E7E8,0x1E7EB},{0x1E7ED,0x1E7EE},{0x1E7F0,0x1E7FE},
    {0x1E800,0x1E8C4},{0x1E900,0x1E943},{0x1E94B,0x1E94B},{0x1EE00,0x1EE03},{0x1EE05,0x1EE1F},{0x1EE21,0x1EE22},{0x1EE24,0x1EE24},{0x1EE27,0x1EE27},
    {0x1EE29,0x1EE32},{0x1EE34,0x1EE37},{0x1EE39,0x1EE39},{0x1EE3B,0x1EE3B},{0x1EE42,0x1EE42},{0x1EE47,0x1EE47},{0x1EE49,0x1EE49},{0x1EE4B,0x1EE4B},
    {0x1EE4D,0x1EE4F},{0x1EE51,0x1EE52},{0x1EE54,0x1EE54},{0x1EE57,0x1EE57},{0x1EE59,0x1EE59},{0x1EE5B,0x1EE5B},{0x1EE5D,0x1EE5D},{0x1EE5F,0x1EE5F},
    {0x1EE61,0x1EE62},{0x1EE64,0x1EE64},{0x1EE67,0x1EE6A},{0x1EE6C,0x1EE72},{0x1EE74,0x1EE77},{0x1EE79,0x1EE7C},{0x1EE7E,0x1EE7E},{0x1EE80,0x1EE89},
    {0x1EE8B,0x1EE9B},{0x1EEA1,0x1EEA3},{0x1EEA5,0x1EEA9},{0x1EEAB,0x1EEBB},{0x20000,0x2A6DF},{0x2A700,0x2B81D},{0x2B820,0x2CEAD},{0x2CEB0,0x2EBE0},
    {0x2EBF0,0x2EE5D},{0x2F800,0x2FA1D},{0x30000,0x3134A},{0x31350,0x33479},
};
static const uint32_t hero__tok_N[146][2] = {
    {0x30,0x39},{0xB2,0xB3},{0xB9,0xB9},{0xBC,0xBE},{0x660,0x669},{0x6F0,0x6F9},{0x7C0,0x7C9},{0x966,0x96F},
    {0x9E6,0x9EF},{0x9F4,0x9F9},{0xA66,0xA6F},{0xAE6,0xAEF},{0xB66,0xB6F},{0xB72,0xB77},{0xBE6,0xBF2},{0xC66,0xC6F},
    {0xC78,0xC7E},{0xCE6,0xCEF},{0xD58,0xD5E},{0xD66,0xD78},{0xDE6,0xDEF},{0xE50,0xE59},{0xED0,0xED9},{0xF20,0xF33},
    {0x1040,0x1049},{0x1090,0x1099},{0x1369,0x137C},{0x16EE,0x16F0},{0x17E0,0x17E9},{0x17F0,0x17F9},{0x1810,0x1819},{0x1946,0x194F},
    {0x19D0,0x19DA},{0x1A80,0x1A89},{0x1A90,0x1A99},{0x1B50,0x1B59},{0x1BB0,0x1BB9},{0x1C40,0x1C49},{0x1C50,0x1C59},{0x2070,0x2070},
    {0x2074,0x2079},{0x2080,0x2089},{0x2150,0x2182},{0x2185,0x2189},{0x2460,0x249B},{0x24EA,0x24FF},{0x2776,0x2793},{0x2CFD,0x2CFD},
    {0x3007,0x3007},{0x3021,0x3029},{0x3038,0x303A},{0x3192,0x3195},{0x3220,0x3229},{0x3248,0x324F},{0x3251,0x325F},{0x3280,0x3289},
    {0x32B1,0x32BF},{0xA620,0xA629},{0xA6E6,0xA6EF},{0xA830,0xA835},{0xA8D0,0xA8D9},{0xA900,0xA909},{0xA9D0,0xA9D9},{0xA9F0,0xA9F9},
    {0xAA50,0xAA59},{0xABF0,0xABF9},{0xFF10,0xFF19},{0x10107,0x10133},{0x10140,0x10178},{0x1018A,0x1018B},{0x102E1,0x102FB},{0x10320,0x10323},
    {0x10341,0x10341},{0x1034A,0x1034A},{0x103D1,0x103D5},{0x104A0,0x104A9},{0x10858,0x1085F},{0x10879,0x1087F},{0x108A7,0x108AF},{0x108FB,0x108FF},
    {0x10916,0x1091B},{0x109BC,0x109BD},{0x109C0,0x109CF},{0x109D2,0x109FF},{0x10A40,0x10A48},{0x10A7D,0x10A7E},{0x10A9D,0x10A9F},{0x10AEB,0x10AEF},
    {0x10B58,0x10B5F},{0x10B78,0x10B7F},{0x10BA9,0x10BAF},{0x10CFA,0x10CFF},{0x10D30,0x10D39},{0x10D40,0x10D49},{0x10E60,0x10E7E},{0x10F1D,0x10F26},
    {0x10F51,0x10F54},{0x10FC5,0x10FCB},{0x11052,0x1106F},{0x110F0,0x110F9},{0x11136,0x1113F},{0x111D0,0x111D9},{0x111E1,0x111F4},{0x112F0,0x112F9},
    {0x11450,0x11459},{0x114D0,0x114D9},{0x11650,0x11659},{0x116C0,0x116C9},{0x116D0,0x116E3},{0x11730,0x1173B},{0x118E0,0x118F2},{0x11950,0x11959},
    {0x11BF0,0x11BF9},{0x11C50,0x11C6C},{0x11D50,0x11D59},{0x11DA0,0x11DA9},{0x11DE0,0x11DE9},{0x11F50,0x11F59},{0x11FC0,0x11FD4},{0x12400,0x1246E},
    {0x16130,0x16139},{0x16A60,0x16A69},{0x16AC0,0x16AC9},{0x16B50,0x16B59},{0x16B5B,0x16B61},{0x16D70,0x16D79},{0x16E80,0x16E96},{0x16FF4,0x16FF6},
    {0x1CCF0,0x1CCF9},{0x1D2C0,0x1D2D3},{0x1D2E0,0x1D2F3},{0x1D360,0x1D378},{0x1D7CE,0x1D7FF},{0x1E140,0x1E149},{0x1E2F0,0x1E2F9},{0x1E4F0,0x1E4F9},
    {0x1E5F1,0x1E5FA},{0x1E8C7,0x1E8CF},{0x1E950,0x1E959},{0x1EC71,0x1ECAB},{0x1ECAD,0x1ECAF},{0x1ECB1,0x1ECB4},{0x1ED01,0x1ED2D},{0x1ED2F,0x1ED3D},
    {0x1F100,0x1F10C},{0x1FBF0,0x1FBF9},
};
static const uint32_t hero__tok_S[10][2] = {
    {0x9,0xD},{0x20,0x20},{0xA0,0xA0},{0x1680,0x1680},{0x2000,0x200A},{0x2028,0x2029},{0x202F,0x202F},{0x205F,0x205F},
    {0x3000,0x3000},{0xFEFF,0xFEFF},
};
static const uint32_t hero__tok_W[10][2] = {
    {0x9,0xD},{0x20,0x20},{0x85,0x85},{0xA0,0xA0},{0x1680,0x1680},{0x2000,0x200A},{0x2028,0x2029},{0x202F,0x202F},
    {0x205F,0x205F},{0x3000,0x3000},
};
/* END GENERATED unicode tables */

/* ---- Unicode classes ---- */
enum { HERO__TOK_CL = 0, HERO__TOK_CN = 1, HERO__TOK_CS = 2, HERO__TOK_CO = 3 };

static int hero__tok_in(const uint32_t (*t)[2], int n, uint32_t c) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (c < t[mid][0]) hi = mid - 1;
        else if (c > t[mid][1]) lo = mid + 1;
        else return 1;
    }
    return 0;
}

#define HERO__TOK_NRANGES(t) ((int)(sizeof(t) / sizeof((t)[0])))

/* \p{L} -> L, \p{N} -> N, \s -> S, anything else -> O (the regex's [^\s\p{L}\p{N}]).
   \s is JS's (has U+FEFF, not U+0085) or, with hf, Oniguruma's as used by HF tokenizers
   (Unicode White_Space: has U+0085, not U+FEFF). */
static int hero__tok_class(uint32_t c, int hf) {
    if (c < 128) {
        if ((uint32_t)((c | 32) - 'a') < 26) return HERO__TOK_CL;
        if ((uint32_t)(c - '0') < 10) return HERO__TOK_CN;
        if (c == ' ' || (c >= 9 && c <= 13)) return HERO__TOK_CS;
        return HERO__TOK_CO;
    }
    if (hero__tok_in(hero__tok_L, HERO__TOK_NRANGES(hero__tok_L), c)) return HERO__TOK_CL;
    if (hero__tok_in(hero__tok_N, HERO__TOK_NRANGES(hero__tok_N), c)) return HERO__TOK_CN;
    if (hf ? hero__tok_in(hero__tok_W, HERO__TOK_NRANGES(hero__tok_W), c)
           : hero__tok_in(hero__tok_S, HERO__TOK_NRANGES(hero__tok_S), c))
        return HERO__TOK_CS;
    return HERO__TOK_CO;
}

/* ---- UTF-8 ---- */

/* Decode one code point of VALID UTF-8 at s[i] (i < n); *len gets its byte length. */
static uint32_t hero__tok_cp(const unsigned char *s, size_t n, size_t i, size_t *len) {
    unsigned c = s[i];
    if (c < 0x80 || i + 1 >= n) { *len = 1; return c; }
    if (c < 0xE0) { *len = 2; return ((uint32_t)(c & 0x1F) << 6) | (s[i + 1] & 0x3F); }
    if (c < 0xF0 || i + 3 >= n) {
        if (i + 2 >= n) { *len = 1; return c; }
        *len = 3;
        return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
           ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
}

/* Copy s[0..n) to out (capacity cap; writes only what fits) replacing each maximal invalid
   subpart by U+FFFD (EF BF BD), exactly like Node's / WHATWG's UTF-8 decoder followed by
   re-encoding. Returns the full output length. */
static size_t hero__tok_sanitize(const unsigned char *s, size_t n, unsigned char *out, size_t cap) {
    size_t i = 0, o = 0;
    static const unsigned char fffd[3] = {0xEF, 0xBF, 0xBD};
    while (i < n) {
        size_t sub, k, l = hero__utf8_dec(s + i, n - i, NULL, &sub);
        const unsigned char *src = s + i;
        if (l == 0) { src = fffd; l = 3; i += sub; } else i += l;
        for (k = 0; k < l; k++, o++)
            if (o < cap) out[o] = src[k];
    }
    return o;
}

static int hero__tok_is_valid_utf8(const unsigned char *s, size_t n) {
    size_t i = 0, sub;
    while (i < n) {
        size_t l = hero__utf8_dec(s + i, n - i, NULL, &sub);
        if (l == 0) return 0;
        i += l;
    }
    return 1;
}

/* ---- hashing ---- */
static uint32_t hero__tok_hash_str(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; }
    return h;
}

static uint32_t hero__tok_hash_pair(int32_t a, int32_t b) {
    uint64_t x = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
    return (uint32_t)x;
}

/* entry index of token s[0..n), or -1 */
static int32_t hero__tok_find(const hero_tokenizer *t, const char *s, size_t n) {
    uint32_t m = t->vhash_cap - 1, h = hero__tok_hash_str(s, n) & m;
    for (;;) {
        int32_t e = t->vhash[h];
        if (e < 0) return -1;
        if (t->str_len[e] == n && memcmp(t->pool + t->str_off[e], s, n) == 0) return e;
        h = (h + 1) & m;
    }
}

static int32_t hero__tok_find_id(const hero_tokenizer *t, const char *s, size_t n) {
    int32_t e = hero__tok_find(t, s, n);
    return e < 0 ? -1 : t->str_id[e];
}

static const hero__tok_pair *hero__tok_pair_find(const hero_tokenizer *t, int32_t a, int32_t b) {
    uint32_t m, h;
    if (a < 0 || b < 0 || t->pairs_cap == 0) return NULL;
    m = t->pairs_cap - 1;
    h = hero__tok_hash_pair(a, b) & m;
    for (;;) {
        const hero__tok_pair *p = &t->pairs[h];
        if (p->a < 0) return NULL;
        if (p->a == a && p->b == b) return p;
        h = (h + 1) & m;
    }
}

/* find or insert (the table always has free slots: capacity >= 2 * possible entries) */
static hero__tok_pair *hero__tok_pair_slot(hero_tokenizer *t, int32_t a, int32_t b) {
    uint32_t m = t->pairs_cap - 1, h = hero__tok_hash_pair(a, b) & m;
    for (;;) {
        hero__tok_pair *p = &t->pairs[h];
        if (p->a < 0) { p->a = a; p->b = b; p->rank_js = -1; p->rank_hf = -1; p->merged = -1; return p; }
        if (p->a == a && p->b == b) return p;
        h = (h + 1) & m;
    }
}

static uint32_t hero__tok_pow2(size_t n) { /* smallest power of two >= 2n (n < 2^30) */
    uint32_t c = 16;
    while ((size_t)c < 2 * n) c *= 2;
    return c;
}

/* ---- vocab.json reader ---- */
typedef struct hero__tok_json {
    const unsigned char *s;
    size_t n, i;
    const char *name;
    hero_error *err;
} hero__tok_json;

static void hero__tok_json_ws(hero__tok_json *j) {
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r')) j->i++;
}

static int hero__tok_json_fail(hero__tok_json *j, const char *what) {
    if (j->i >= j->n)
        return hero__fail(j->err, HERO_EFORMAT, "%s: expected %s at offset %lu, found end of file (truncated?)",
                          j->name, what, (unsigned long)j->i);
    return hero__fail(j->err, HERO_EFORMAT, "%s: expected %s at offset %lu, found byte 0x%02X", j->name, what,
                      (unsigned long)j->i, (unsigned)j->s[j->i]);
}

static int hero__tok_json_hex4(hero__tok_json *j, uint32_t *v) {
    size_t k;
    *v = 0;
    for (k = 0; k < 4; k++) {
        unsigned c;
        if (j->i >= j->n) return hero__tok_json_fail(j, "4 hex digits after \\u");
        c = j->s[j->i];
        if (c >= '0' && c <= '9') c -= '0';
        else if ((c | 32) >= 'a' && (c | 32) <= 'f') c = (c | 32) - 'a' + 10;
        else return hero__tok_json_fail(j, "4 hex digits after \\u");
        *v = (*v << 4) | c;
        j->i++;
    }
    return 0;
}

/* Parse a JSON string at j->i (at the opening quote) into out (room for the raw length,
   which the decoded form never exceeds); *len gets the decoded length. */
static int hero__tok_json_string(hero__tok_json *j, unsigned char *out, size_t *len) {
    size_t o = 0;
    if (j->i >= j->n || j->s[j->i] != '"') return hero__tok_json_fail(j, "'\"' (a string key)");
    j->i++;
    for (;;) {
        unsigned c;
        if (j->i >= j->n) return hero__tok_json_fail(j, "closing '\"'");
        c = j->s[j->i];
        if (c == '"') { j->i++; break; }
        if (c < 0x20) return hero__tok_json_fail(j, "a string character (raw control byte)");
        if (c == '\\') {
            uint32_t u;
            int rc;
            j->i++;
            if (j->i >= j->n) return hero__tok_json_fail(j, "an escape character");
            c = j->s[j->i++];
            switch (c) {
            case '"': out[o++] = '"'; break;
            case '\\': out[o++] = '\\'; break;
            case '/': out[o++] = '/'; break;
            case 'b': out[o++] = '\b'; break;
            case 'f': out[o++] = '\f'; break;
            case 'n': out[o++] = '\n'; break;
            case 'r': out[o++] = '\r'; break;
            case 't': out[o++] = '\t'; break;
            case 'u':
                if ((rc = hero__tok_json_hex4(j, &u)) != 0) return rc;
                if (u >= 0xD800 && u <= 0xDBFF && j->i + 1 < j->n && j->s[j->i] == '\\' && j->s[j->i + 1] == 'u') {
                    size_t save = j->i;
                    uint32_t lo;
                    j->i += 2;
                    if ((rc = hero__tok_json_hex4(j, &lo)) != 0) return rc;
                    if (lo >= 0xDC00 && lo <= 0xDFFF) u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    else j->i = save; /* lone high surrogate followed by another escape */
                }
                /* a lone surrogate (legal in JSON) is kept in its 3-byte WTF-8 form */
                o += hero__utf8_put((char *)(out + o), u);
                break;
            default:
                j->i -= 1;
                return hero__tok_json_fail(j, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
        } else {
            size_t sub, l = hero__utf8_dec(j->s + j->i, j->n - j->i, NULL, &sub);
            if (l == 0) return hero__tok_json_fail(j, "valid UTF-8");
            memcpy(out + o, j->s + j->i, l);
            o += l;
            j->i += l;
        }
    }
    *len = o;
    return 0;
}

static int hero__tok_json_int(hero__tok_json *j, int32_t *v) {
    int64_t x = 0;
    size_t start = j->i;
    if (j->i < j->n && j->s[j->i] == '-')
        return hero__fail(j->err, HERO_EFORMAT, "%s: negative token id at offset %lu (expected an id >= 0)", j->name,
                          (unsigned long)j->i);
    if (j->i >= j->n || j->s[j->i] < '0' || j->s[j->i] > '9') return hero__tok_json_fail(j, "an integer token id");
    if (j->s[j->i] == '0' && j->i + 1 < j->n && j->s[j->i + 1] >= '0' && j->s[j->i + 1] <= '9')
        return hero__tok_json_fail(j, "a number without leading zeros");
    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9') {
        x = x * 10 + (j->s[j->i] - '0');
        if (x > INT32_MAX)
            return hero__fail(j->err, HERO_ELIMIT, "%s: token id at offset %lu is too large (expected <= %ld)",
                              j->name, (unsigned long)start, (long)INT32_MAX);
        j->i++;
    }
    if (j->i < j->n && (j->s[j->i] == '.' || j->s[j->i] == 'e' || j->s[j->i] == 'E'))
        return hero__fail(j->err, HERO_EFORMAT, "%s: token id at offset %lu is not an integer", j->name,
                          (unsigned long)start);
    *v = (int32_t)x;
    return 0;
}

static int hero__tok_grow(void **p, size_t *cap, size_t need, size_t elem) {
    size_t c = *cap ? *cap : 64;
    void *q;
    if (need <= *cap) return 0;
    while (c < need) {
        if (c > ((size_t)-1) / 4 / elem) return HERO_ENOMEM;
        c *= 2;
    }
    q = HERO_REALLOC(*p, c * elem);
    if (!q) return HERO_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static int hero__tok_cmp_id(const hero_tokenizer *t, int32_t x, int32_t y) {
    return t->str_id[x] < t->str_id[y] ? -1 : t->str_id[x] > t->str_id[y];
}

/* heap sort of by_id (no qsort: the comparison needs the tokenizer) */
static void hero__tok_sort_by_id(hero_tokenizer *t) {
    int32_t *a = t->by_id;
    int n = t->n_vocab, i, end;
    for (i = n / 2 - 1; i >= 0; i--) {
        int r = i;
        for (;;) {
            int c = 2 * r + 1;
            if (c >= n) break;
            if (c + 1 < n && hero__tok_cmp_id(t, a[c + 1], a[c]) > 0) c++;
            if (hero__tok_cmp_id(t, a[c], a[r]) <= 0) break;
            { int32_t tmp = a[c]; a[c] = a[r]; a[r] = tmp; }
            r = c;
        }
    }
    for (end = n - 1; end > 0; end--) {
        int r = 0;
        { int32_t tmp = a[0]; a[0] = a[end]; a[end] = tmp; }
        for (;;) {
            int c = 2 * r + 1;
            if (c >= end) break;
            if (c + 1 < end && hero__tok_cmp_id(t, a[c + 1], a[c]) > 0) c++;
            if (hero__tok_cmp_id(t, a[c], a[r]) <= 0) break;
            { int32_t tmp = a[c]; a[c] = a[r]; a[r] = tmp; }
            r = c;
        }
    }
}

static int hero__tok_parse_vocab(hero_tokenizer *t, const char *buf, size_t n, const char *name, hero_error *err) {
    hero__tok_json j;
    size_t pool_used = 0, cap = 0, k;
    int rc;
    j.s = (const unsigned char *)buf;
    j.n = n;
    j.i = 0;
    j.name = name;
    j.err = err;
    if (n >= 3 && j.s[0] == 0xEF && j.s[1] == 0xBB && j.s[2] == 0xBF) j.i = 3; /* UTF-8 BOM */
    t->pool = (char *)HERO_MALLOC(n + 1);
    if (!t->pool) return hero__fail(err, HERO_ENOMEM, "%s: out of memory (%lu bytes)", name, (unsigned long)n);
    hero__tok_json_ws(&j);
    if (j.i >= j.n || j.s[j.i] != '{') return hero__tok_json_fail(&j, "'{' (vocab.json must be one object)");
    j.i++;
    hero__tok_json_ws(&j);
    if (j.i < j.n && j.s[j.i] == '}') j.i++;
    else {
        for (;;) {
            size_t len = 0;
            hero__tok_json_ws(&j);
            /* the decoded key never exceeds its encoded form, so pool (n + 1 bytes) has room */
            if ((rc = hero__tok_json_string(&j, (unsigned char *)t->pool + pool_used, &len)) != 0) return rc;
            hero__tok_json_ws(&j);
            if (j.i >= j.n || j.s[j.i] != ':') return hero__tok_json_fail(&j, "':'");
            j.i++;
            hero__tok_json_ws(&j);
            if ((size_t)t->n_vocab + 1 > cap) {
                size_t c1 = cap, c2 = cap, c3 = cap;
                if (hero__tok_grow((void **)&t->str_off, &c1, cap + 1, sizeof(uint32_t)) ||
                    hero__tok_grow((void **)&t->str_len, &c2, cap + 1, sizeof(uint32_t)) ||
                    hero__tok_grow((void **)&t->str_id, &c3, cap + 1, sizeof(int32_t)))
                    return hero__fail(err, HERO_ENOMEM, "%s: out of memory", name);
                cap = c1;
            }
            if ((rc = hero__tok_json_int(&j, &t->str_id[t->n_vocab])) != 0) return rc;
            t->str_off[t->n_vocab] = (uint32_t)pool_used;
            t->str_len[t->n_vocab] = (uint32_t)len;
            t->pool[pool_used + len] = 0;
            pool_used += len + 1;
            t->n_vocab++;
            hero__tok_json_ws(&j);
            if (j.i < j.n && j.s[j.i] == ',') { j.i++; continue; }
            if (j.i < j.n && j.s[j.i] == '}') { j.i++; break; }
            return hero__tok_json_fail(&j, "',' or '}'");
        }
    }
    hero__tok_json_ws(&j);
    if (j.i != j.n) return hero__tok_json_fail(&j, "end of file after the object");
    if (t->n_vocab == 0) return hero__fail(err, HERO_EFORMAT, "%s: expected at least one token, found an empty object", name);

    /* string -> entry hash; duplicate keys are an error */
    t->vhash_cap = hero__tok_pow2((size_t)t->n_vocab);
    t->vhash = (int32_t *)HERO_MALLOC((size_t)t->vhash_cap * sizeof(int32_t));
    t->by_id = (int32_t *)HERO_MALLOC((size_t)t->n_vocab * sizeof(int32_t));
    if (!t->vhash || !t->by_id) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", name);
    for (k = 0; k < t->vhash_cap; k++) t->vhash[k] = -1;
    for (k = 0; k < (size_t)t->n_vocab; k++) {
        const char *s = t->pool + t->str_off[k];
        uint32_t m = t->vhash_cap - 1, h = hero__tok_hash_str(s, t->str_len[k]) & m;
        while (t->vhash[h] >= 0) {
            int32_t e = t->vhash[h];
            if (t->str_len[e] == t->str_len[k] && memcmp(t->pool + t->str_off[e], s, t->str_len[k]) == 0)
                return hero__fail(err, HERO_EFORMAT, "%s: duplicate key \"%.100s\" (ids %ld and %ld); expected unique keys",
                                  name, s, (long)t->str_id[e], (long)t->str_id[k]);
            h = (h + 1) & m;
        }
        t->vhash[h] = (int32_t)k;
        t->by_id[k] = (int32_t)k;
    }
    hero__tok_sort_by_id(t);
    for (k = 1; k < (size_t)t->n_vocab; k++)
        if (t->str_id[t->by_id[k]] == t->str_id[t->by_id[k - 1]])
            return hero__fail(err, HERO_EFORMAT, "%s: id %ld is used by both \"%.100s\" and \"%.100s\"; expected unique ids",
                              name, (long)t->str_id[t->by_id[k]], t->pool + t->str_off[t->by_id[k - 1]],
                              t->pool + t->str_off[t->by_id[k]]);
    return 0;
}

/* entry index of id, or -1 (binary search in by_id) */
static int32_t hero__tok_entry_of_id(const hero_tokenizer *t, int32_t id) {
    int lo = 0, hi = t->n_vocab - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int32_t v = t->str_id[t->by_id[mid]];
        if (id < v) hi = mid - 1;
        else if (id > v) lo = mid + 1;
        else return t->by_id[mid];
    }
    return -1;
}

/* ---- merges.txt ---- */
static int hero__tok_parse_merges(hero_tokenizer *t, const char *buf, size_t n, const char *name, hero_error *err) {
    int32_t *m = NULL; /* triples (a, b, merged) */
    size_t mcap = 0, nm = 0, npairs = 0, i = 0, lineno = 0, k;
    size_t work = 0, budget = 64 * n + ((size_t)1 << 24);
    char *tmp = NULL;
    size_t tcap = 0;
    int rc = 0;
    if (n >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF) i = 3;
    while (i < n) {
        size_t s = i, e, f[3][2], nf = 0, p;
        int32_t id[3];
        while (i < n && buf[i] != '\n') i++;
        e = i;
        if (i < n) i++;
        lineno++;
        if (e > s && buf[e - 1] == '\r') e--;
        if (e - s >= 8 && memcmp(buf + s, "#version", 8) == 0) continue;
        for (p = s; p < e;) {
            while (p < e && (buf[p] == ' ' || buf[p] == '\t')) p++;
            if (p >= e) break;
            if (nf == 3) { nf = 4; break; }
            f[nf][0] = p;
            while (p < e && buf[p] != ' ' && buf[p] != '\t') p++;
            f[nf][1] = p;
            nf++;
        }
        if (nf == 0) continue;
        if (nf != 2) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: line %lu: expected 2 tokens \"a b\", found %s%d", name,
                            (unsigned long)lineno, nf > 3 ? "more than " : "", (int)(nf > 3 ? 3 : nf));
            goto done;
        }
        for (k = 0; k < 2; k++) {
            id[k] = hero__tok_find_id(t, buf + f[k][0], f[k][1] - f[k][0]);
            if (id[k] < 0) {
                rc = hero__fail(err, HERO_EFORMAT, "%s: line %lu: merge token \"%.*s\" is not in the vocab", name,
                                (unsigned long)lineno, (int)(f[k][1] - f[k][0] > 100 ? 100 : f[k][1] - f[k][0]),
                                buf + f[k][0]);
                goto done;
            }
        }
        {
            size_t la = f[0][1] - f[0][0], lb = f[1][1] - f[1][0];
            if (hero__tok_grow((void **)&tmp, &tcap, la + lb + 1, 1)) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", name); goto done; }
            memcpy(tmp, buf + f[0][0], la);
            memcpy(tmp + la, buf + f[1][0], lb);
            id[2] = hero__tok_find_id(t, tmp, la + lb);
            if (id[2] < 0) {
                rc = hero__fail(err, HERO_EFORMAT, "%s: line %lu: merged token \"%.*s\" is not in the vocab", name,
                                (unsigned long)lineno, (int)(la + lb > 100 ? 100 : la + lb), tmp);
                goto done;
            }
            for (k = 0; k < la + lb; k++) npairs += tmp[k] == ','; /* extra "a,b" splits (see below) */
        }
        if (nm >= (size_t)INT32_MAX) { rc = hero__fail(err, HERO_ELIMIT, "%s: more than %ld merges", name, (long)INT32_MAX); goto done; }
        if (hero__tok_grow((void **)&m, &mcap, 3 * (nm + 1), sizeof(int32_t))) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", name); goto done; }
        m[3 * nm] = id[0];
        m[3 * nm + 1] = id[1];
        m[3 * nm + 2] = id[2];
        nm++;
        npairs++;
    }
    t->pairs_cap = hero__tok_pow2(npairs);
    t->pairs = (hero__tok_pair *)HERO_MALLOC((size_t)t->pairs_cap * sizeof(hero__tok_pair));
    if (!t->pairs) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", name); goto done; }
    for (k = 0; k < t->pairs_cap; k++) t->pairs[k].a = -1;
    for (k = 0; k < nm; k++) {
        /* HF: the (a, b) tuple; the last duplicate wins */
        int32_t a = m[3 * k], b = m[3 * k + 1];
        int32_t ea = hero__tok_entry_of_id(t, a), eb = hero__tok_entry_of_id(t, b);
        size_t la = t->str_len[ea], lb = t->str_len[eb], q;
        const char *sa = t->pool + t->str_off[ea], *sb = t->pool + t->str_off[eb];
        hero__tok_pair *p = hero__tok_pair_slot(t, a, b);
        p->rank_hf = (int32_t)k;
        p->merged = m[3 * k + 2];
        /* gpt-3-encoder: bpe_ranks is a JS object keyed by String([a, b]) = a + "," + b, so every
           pair (x, y) with x + "," + y == that key gets this rank (the last such merge wins). */
        if (hero__tok_grow((void **)&tmp, &tcap, la + lb + 2, 1)) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", name); goto done; }
        memcpy(tmp, sa, la);
        tmp[la] = ',';
        memcpy(tmp + la + 1, sb, lb);
        for (q = 0; q < la + 1 + lb; q++) {
            int32_t x, y, xy;
            if (tmp[q] != ',') continue;
            if (q == la) { x = a; y = b; xy = m[3 * k + 2]; }
            else {
                /* each alias costs O(key length): bound the total so that a hostile file of
                   long comma runs is an error, not minutes of work (real files: ~100 bytes) */
                work += la + lb;
                if (work > budget) {
                    rc = hero__fail(err, HERO_ELIMIT, "%s: merge %lu: its comma aliases need more than %lu checks in all; "
                                    "expected short tokens", name, (unsigned long)(k + 1), (unsigned long)budget);
                    goto done;
                }
                x = hero__tok_find_id(t, tmp, q);
                y = hero__tok_find_id(t, tmp + q + 1, la + lb - q);
                if (x < 0 || y < 0) continue;
                memmove(tmp + q, tmp + q + 1, la + lb - q); /* drop the comma: x + y */
                xy = hero__tok_find_id(t, tmp, la + lb);
                memmove(tmp + q + 1, tmp + q, la + lb - q);
                tmp[q] = ',';
                if (xy < 0) continue; /* gpt-3-encoder would emit `undefined` here */
            }
            p = hero__tok_pair_slot(t, x, y);
            p->rank_js = (int32_t)k;
            p->merged = xy;
        }
    }
done:
    HERO_FREE(m);
    HERO_FREE(tmp);
    return rc;
}

/* ---- loading ---- */
static void hero__tok_bytes_to_unicode(hero_tokenizer *t) {
    int b, extra = 0;
    for (b = 0; b < 324; b++) t->byte_of_cp[b] = -1;
    for (b = 0; b < 256; b++) {
        unsigned char u[4];
        uint32_t cp;
        size_t l;
        if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) cp = (uint32_t)b;
        else cp = (uint32_t)(256 + extra++);
        t->byte_of_cp[cp] = (int16_t)b;
        l = hero__utf8_put((char *)u, cp);
        t->byte_id[b] = hero__tok_find_id(t, (const char *)u, l);
    }
}

static int hero__tok_load(hero_tokenizer **out, const char *v, size_t vn, const char *vname, const char *m, size_t mn,
                          const char *mname, hero_error *err) {
    hero_tokenizer *t;
    int rc, k;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_tokenizer_load: expected a hero_tokenizer ** to fill, found NULL");
    *out = NULL;
    if ((!v && vn) || (!m && mn))
        return hero__fail(err, HERO_EINVAL, "hero_tokenizer_load: expected vocab / merges buffers, found NULL");
    if (vn > HERO__TOK_MAX_FILE || mn > HERO__TOK_MAX_FILE)
        return hero__fail(err, HERO_ELIMIT, "%s: %lu bytes, expected at most %lu", vn > HERO__TOK_MAX_FILE ? vname : mname,
                          (unsigned long)(vn > HERO__TOK_MAX_FILE ? vn : mn), (unsigned long)HERO__TOK_MAX_FILE);
    t = (hero_tokenizer *)HERO_MALLOC(sizeof(hero_tokenizer));
    if (!t) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", vname);
    memset(t, 0, sizeof(*t));
    t->pool = NULL; t->str_off = NULL; t->str_len = NULL; t->str_id = NULL; t->by_id = NULL; t->vhash = NULL; t->pairs = NULL;
    if ((rc = hero__tok_parse_vocab(t, v ? v : "", vn, vname, err)) != 0) {
        hero_tokenizer_free(t);
        return rc;
    }
    hero__tok_bytes_to_unicode(t);
    if ((rc = hero__tok_parse_merges(t, m ? m : "", mn, mname, err)) != 0) {
        hero_tokenizer_free(t);
        return rc;
    }
    for (k = 0; k < HERO__TOK_NSPECIAL; k++)
        t->special_id[k] = hero__tok_find_id(t, hero__tok_special_str[k], strlen(hero__tok_special_str[k]));
    *out = t;
    return 0;
}

HERODEF int hero_tokenizer_load_memory(hero_tokenizer **tok, const char *vocab_json, size_t vocab_len,
                                       const char *merges_txt, size_t merges_len, hero_error *err) {
    return hero__tok_load(tok, vocab_json, vocab_len, "vocab.json", merges_txt, merges_len, "merges.txt", err);
}


HERODEF int hero_tokenizer_load(hero_tokenizer **tok, const char *vocab_json_path, const char *merges_path, hero_error *err) {
    char *v = NULL, *m = NULL;
    size_t vn = 0, mn = 0;
    int rc;
    if (tok) *tok = NULL;
    if (!tok) return hero__fail(err, HERO_EINVAL, "hero_tokenizer_load: expected a hero_tokenizer ** to fill, found NULL");
    if ((rc = hero__read_file(vocab_json_path, HERO__TOK_MAX_FILE, (unsigned char **)&v, &vn, err)) != 0) return rc;
    if ((rc = hero__read_file(merges_path, HERO__TOK_MAX_FILE, (unsigned char **)&m, &mn, err)) != 0) { HERO_FREE(v); return rc; }
    rc = hero__tok_load(tok, v, vn, vocab_json_path, m, mn, merges_path, err);
    HERO_FREE(v);
    HERO_FREE(m);
    return rc;
}

HERODEF void hero_tokenizer_free(hero_tokenizer *tok) {
    if (!tok) return;
    HERO_FREE(tok->pool);
    HERO_FREE(tok->str_off);
    HERO_FREE(tok->str_len);
    HERO_FREE(tok->str_id);
    HERO_FREE(tok->by_id);
    HERO_FREE(tok->vhash);
    HERO_FREE(tok->pairs);
    HERO_FREE(tok);
}

HERODEF int hero_token_id(const hero_tokenizer *tok, const char *token) {
    if (!tok || !token) return -1;
    return hero__tok_find_id(tok, token, strlen(token));
}

HERODEF const char *hero_token_str(const hero_tokenizer *tok, int32_t id) {
    int32_t e;
    if (!tok) return NULL;
    e = hero__tok_entry_of_id(tok, id);
    return e < 0 ? NULL : tok->pool + tok->str_off[e];
}

HERODEF int hero_tokenizer_vocab_size(const hero_tokenizer *tok) { return tok ? tok->n_vocab : 0; }

/* ---- encoding ---- */
typedef struct hero__tok_he { /* a candidate merge of adjacent symbols pos and right */
    int32_t rank, pos, right, sa, sb, merged;
} hero__tok_he;

typedef struct hero__tok_work {
    const hero_tokenizer *t;
    int hf;
    int32_t *sym, *next, *prev; /* per byte of the current word; sym == -2: merged away */
    size_t cap;
    hero__tok_he *heap, *round;
    size_t hcap, hn;
    int32_t *ids;
    size_t max_ids, count;
    hero_error *err;
} hero__tok_work;

static int hero__tok_he_less(const hero__tok_he *x, const hero__tok_he *y) {
    return x->rank < y->rank || (x->rank == y->rank && x->pos < y->pos);
}

static void hero__tok_heap_push(hero__tok_work *w, const hero__tok_he *e) {
    size_t i = w->hn++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hero__tok_he_less(e, &w->heap[p])) break;
        w->heap[i] = w->heap[p];
        i = p;
    }
    w->heap[i] = *e;
}

static hero__tok_he hero__tok_heap_pop(hero__tok_work *w) {
    hero__tok_he top = w->heap[0], last = w->heap[--w->hn];
    size_t i = 0, n = w->hn;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && hero__tok_he_less(&w->heap[c + 1], &w->heap[c])) c++;
        if (!hero__tok_he_less(&w->heap[c], &last)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n > 0) w->heap[i] = last;
    return top;
}

static void hero__tok_add_pair(hero__tok_work *w, int32_t l, int32_t r) {
    const hero__tok_pair *p = hero__tok_pair_find(w->t, w->sym[l], w->sym[r]);
    hero__tok_he e;
    if (!p) return;
    e.rank = w->hf ? p->rank_hf : p->rank_js;
    if (e.rank < 0) return;
    e.pos = l;
    e.right = r;
    e.sa = w->sym[l];
    e.sb = w->sym[r];
    e.merged = p->merged;
    hero__tok_heap_push(w, &e);
}

static int hero__tok_valid(const hero__tok_work *w, const hero__tok_he *e) {
    return w->sym[e->pos] == e->sa && w->sym[e->right] == e->sb && w->next[e->pos] == e->right;
}

static void hero__tok_emit(hero__tok_work *w, int32_t id) {
    if (w->count < w->max_ids) w->ids[w->count] = id;
    w->count++;
}

/* BPE of one pre-token (its UTF-8 bytes). Equivalent to gpt-3-encoder's bpe(): each round
   takes the lowest rank r among the current pairs, and of the pairs with rank r the
   rightmost one's (first, second) (JS keeps the last pair written to minPairs[r]), and merges
   every occurrence of (first, second) left to right; new pairs wait for the next round. */
static int hero__tok_bpe(hero__tok_work *w, const unsigned char *s, size_t n) {
    size_t i;
    int32_t l;
    if (n > w->cap) {
        size_t c = n < 64 ? 64 : n;
        HERO_FREE(w->sym); HERO_FREE(w->next); HERO_FREE(w->prev); HERO_FREE(w->heap); HERO_FREE(w->round);
        w->cap = 0;
        w->sym = (int32_t *)HERO_MALLOC(c * sizeof(int32_t));
        w->next = (int32_t *)HERO_MALLOC(c * sizeof(int32_t));
        w->prev = (int32_t *)HERO_MALLOC(c * sizeof(int32_t));
        w->heap = (hero__tok_he *)HERO_MALLOC(3 * c * sizeof(hero__tok_he));
        w->round = (hero__tok_he *)HERO_MALLOC(3 * c * sizeof(hero__tok_he));
        if (!w->sym || !w->next || !w->prev || !w->heap || !w->round)
            return hero__fail(w->err, HERO_ENOMEM, "hero_tokenize: out of memory for a %lu-byte word", (unsigned long)n);
        w->cap = c;
    }
    for (i = 0; i < n; i++) {
        w->sym[i] = w->t->byte_id[s[i]];
        w->next[i] = (int32_t)i + 1;
        w->prev[i] = (int32_t)i - 1;
    }
    w->hn = 0;
    for (i = 0; i + 1 < n; i++) hero__tok_add_pair(w, (int32_t)i, (int32_t)i + 1);
    while (w->hn > 0) {
        hero__tok_he e = hero__tok_heap_pop(w);
        size_t nr = 0, k;
        int32_t fa, fb;
        if (!hero__tok_valid(w, &e)) continue;
        w->round[nr++] = e;
        while (w->hn > 0 && w->heap[0].rank == e.rank) {
            hero__tok_he x = hero__tok_heap_pop(w);
            if (hero__tok_valid(w, &x)) w->round[nr++] = x;
        }
        fa = w->round[nr - 1].sa;
        fb = w->round[nr - 1].sb;
        for (k = 0; k < nr; k++) {
            hero__tok_he *x = &w->round[k];
            if (x->sa != fa || x->sb != fb) { hero__tok_heap_push(w, x); continue; }
            if (!hero__tok_valid(w, x)) continue; /* overlapped by the previous merge */
            w->sym[x->pos] = x->merged;
            w->sym[x->right] = -2;
            w->next[x->pos] = w->next[x->right];
            if (w->next[x->pos] < (int32_t)n) w->prev[w->next[x->pos]] = x->pos;
            if (w->prev[x->pos] >= 0) hero__tok_add_pair(w, w->prev[x->pos], x->pos);
            if (w->next[x->pos] < (int32_t)n) hero__tok_add_pair(w, x->pos, w->next[x->pos]);
        }
    }
    for (l = 0; l < (int32_t)n; l = w->next[l]) {
        int32_t id = w->sym[l];
        if (id < 0) {
            id = w->t->special_id[HERO__TOK_UNK];
            if (id < 0)
                return hero__fail(w->err, HERO_EFORMAT, "hero_tokenize: the vocab has no token for byte 0x%02X and no <unk>",
                                  (unsigned)s[l]);
        }
        hero__tok_emit(w, id);
    }
    return 0;
}

/* End of the GPT-2 regex match that starts at s[i] (valid UTF-8, i < n). */
static size_t hero__tok_match(const unsigned char *s, size_t n, size_t i, int hf) {
    size_t l, j, last;
    uint32_t c = hero__tok_cp(s, n, i, &l);
    int k;
    if (c == '\'' && i + 1 < n) { /* 's|'t|'re|'ve|'m|'ll|'d (case-sensitive) */
        unsigned char d = s[i + 1], e = i + 2 < n ? s[i + 2] : 0;
        if (d == 's' || d == 't' || d == 'm' || d == 'd') return i + 2;
        if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l')) return i + 3;
    }
    k = hero__tok_class(c, hf);
    j = i;
    if (c == ' ' && i + 1 < n) { /* " ?" before \p{L}+, \p{N}+ or [^\s\p{L}\p{N}]+ */
        size_t l2;
        int k2 = hero__tok_class(hero__tok_cp(s, n, i + 1, &l2), hf);
        if (k2 != HERO__TOK_CS) { k = k2; j = i + 1; }
    }
    if (k != HERO__TOK_CS) {
        while (j < n) {
            c = hero__tok_cp(s, n, j, &l);
            if (hero__tok_class(c, hf) != k) break;
            j += l;
        }
        return j;
    }
    /* \s+(?!\S) | \s+ */
    last = i;
    while (j < n) {
        c = hero__tok_cp(s, n, j, &l);
        if (hero__tok_class(c, hf) != HERO__TOK_CS) break;
        last = j;
        j += l;
    }
    if (j == n) return n;         /* run up to the end */
    return last > i ? last : j;   /* all but the last whitespace before \S, or the single one */
}

static int hero__tok_encode_plain(hero__tok_work *w, const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t e = hero__tok_match(s, n, i, w->hf);
        int rc = hero__tok_bpe(w, s + i, e - i);
        if (rc) return rc;
        i = e;
    }
    return 0;
}

static int hero__tok_encode_special(hero__tok_work *w, const unsigned char *s, size_t n) {
    size_t start = 0, i = 0;
    int rc;
    while (i < n) {
        int k, hit = -1;
        size_t hl = 0;
        if (s[i] == '<')
            for (k = 0; k < HERO__TOK_NSPECIAL && hit < 0; k++) {
                size_t L = strlen(hero__tok_special_str[k]);
                if (w->t->special_id[k] >= 0 && n - i >= L && memcmp(s + i, hero__tok_special_str[k], L) == 0) { hit = k; hl = L; }
            }
        if (hit < 0) { i++; continue; }
        {
            size_t end = i;
            if (hit == HERO__TOK_MASK) /* <mask> has lstrip=True in HF RoBERTa: eat White_Space on its left */
                while (end > start) {
                    size_t q = end - 1, l;
                    while (q > start && (s[q] & 0xC0) == 0x80) q--;
                    if (!hero__tok_in(hero__tok_W, HERO__TOK_NRANGES(hero__tok_W), hero__tok_cp(s, end, q, &l))) break;
                    end = q;
                }
            if ((rc = hero__tok_encode_plain(w, s + start, end - start)) != 0) return rc;
            hero__tok_emit(w, w->t->special_id[hit]);
            i += hl;
            start = i;
        }
    }
    return hero__tok_encode_plain(w, s + start, n - start);
}

HERODEF int hero_tokenize(const hero_tokenizer *tok, const char *text, size_t len, int flags, int32_t *ids, int max_ids,
                          hero_error *err) {
    hero__tok_work w;
    unsigned char *clean = NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t n = len;
    int rc;
    if (!tok) return hero__fail(err, HERO_EINVAL, "hero_tokenize: expected a tokenizer, found NULL");
    if (!text && len) return hero__fail(err, HERO_EINVAL, "hero_tokenize: expected text, found NULL with len %lu", (unsigned long)len);
    if (max_ids < 0 || (!ids && max_ids > 0))
        return hero__fail(err, HERO_EINVAL, "hero_tokenize: expected an ids buffer of max_ids >= 0, found %s with max_ids %d",
                          ids ? "a buffer" : "NULL", max_ids);
    if (flags & ~HERO_TOKENIZE_ROBERTA)
        return hero__fail(err, HERO_EINVAL, "hero_tokenize: expected flags HERO_TOKENIZE_SPECIAL|HERO_TOKENIZE_HF, found 0x%x", (unsigned)flags);
    if (len > (size_t)(INT_MAX / 3))
        return hero__fail(err, HERO_ELIMIT, "hero_tokenize: text of %lu bytes, expected at most %d", (unsigned long)len, INT_MAX / 3);
    if (!hero__tok_is_valid_utf8(s, n)) { /* as Node decodes it: each invalid subpart -> U+FFFD */
        n = hero__tok_sanitize(s, len, NULL, 0);
        clean = (unsigned char *)HERO_MALLOC(n);
        if (!clean) return hero__fail(err, HERO_ENOMEM, "hero_tokenize: out of memory (%lu bytes)", (unsigned long)n);
        hero__tok_sanitize((const unsigned char *)text, len, clean, n);
        s = clean;
    }
    memset(&w, 0, sizeof(w));
    w.t = tok;
    w.hf = (flags & HERO_TOKENIZE_HF) != 0;
    w.sym = w.next = w.prev = NULL;
    w.heap = w.round = NULL;
    w.ids = ids;
    w.max_ids = (size_t)max_ids;
    w.err = err;
    rc = (flags & HERO_TOKENIZE_SPECIAL) ? hero__tok_encode_special(&w, s, n) : hero__tok_encode_plain(&w, s, n);
    HERO_FREE(w.sym); HERO_FREE(w.next); HERO_FREE(w.prev); HERO_FREE(w.heap); HERO_FREE(w.round);
    HERO_FREE(clean);
    if (rc) return rc;
    return (int)w.count; /* count <= n <= INT_MAX */
}

/* ---- decoding ---- */
HERODEF int hero_detokenize(const hero_tokenizer *tok, const int32_t *ids, int n, char *out, size_t out_size, hero_error *err) {
    size_t total = 0, o = 0, len;
    unsigned char *raw;
    int k;
    if (!tok) return hero__fail(err, HERO_EINVAL, "hero_detokenize: expected a tokenizer, found NULL");
    if (n < 0 || (!ids && n > 0)) return hero__fail(err, HERO_EINVAL, "hero_detokenize: expected n >= 0 ids, found n = %d", n);
    if (!out && out_size > 0) return hero__fail(err, HERO_EINVAL, "hero_detokenize: expected an output buffer, found NULL");
    for (k = 0; k < n; k++) {
        int32_t e = hero__tok_entry_of_id(tok, ids[k]);
        if (e < 0) return hero__fail(err, HERO_EINVAL, "hero_detokenize: id %ld (position %d) is not in the vocab", (long)ids[k], k);
        total += tok->str_len[e];
        if (total > (size_t)(INT_MAX / 3))
            return hero__fail(err, HERO_ELIMIT, "hero_detokenize: text longer than %d bytes", INT_MAX / 3);
    }
    raw = (unsigned char *)HERO_MALLOC(total ? total : 1);
    if (!raw) return hero__fail(err, HERO_ENOMEM, "hero_detokenize: out of memory (%lu bytes)", (unsigned long)total);
    for (k = 0; k < n; k++) {
        int32_t e = hero__tok_entry_of_id(tok, ids[k]);
        const unsigned char *s = (const unsigned char *)tok->pool + tok->str_off[e];
        size_t i = 0, sl = tok->str_len[e], l, sub, o0 = o;
        while (i < sl) {
            uint32_t cp;
            if (hero__utf8_dec(s + i, sl - i, NULL, &sub) == 0) break;
            cp = hero__tok_cp(s, sl, i, &l);
            if (cp >= 324 || tok->byte_of_cp[cp] < 0) break;
            raw[o++] = (unsigned char)tok->byte_of_cp[cp];
            i += l;
        }
        if (i < sl) { /* not all byte-level characters: the token's bytes as they are (HF ByteLevel decoder) */
            memcpy(raw + o0, s, sl);
            o = o0 + sl;
        }
    }
    len = hero__tok_sanitize(raw, o, (unsigned char *)out, out_size ? out_size - 1 : 0);
    if (out_size) out[len < out_size - 1 ? len : out_size - 1] = 0;
    HERO_FREE(raw);
    if (len > (size_t)INT_MAX) return hero__fail(err, HERO_ELIMIT, "hero_detokenize: text longer than %d bytes", INT_MAX);
    return (int)len;
}
#endif /* HERO_NO_TOKENIZER */
/* ======================================================================================
   17. Real inputs: subtitles, text normalisation, alignment, features, VCMR ranking
   ====================================================================================== */
#ifndef HERO_NO_MEDIA

/* ---- Media implementation: subtitles, text normalisation, alignment, features, VCMR ranking ----
   Needs the formats (hero_json, hero_tensorfile) and tokenizer implementations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================================
   small helpers: a growable byte buffer, whole-file reading, UTF-8
   ====================================================================================== */

typedef struct hero__mbuf {
    char *s;
    size_t n, cap;
    int oom;
} hero__mbuf;

static void hero__mbuf_put(hero__mbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap || !b->s) {
        size_t c = b->cap ? b->cap : 64;
        char *p;
        while (c < b->n + n + 1) {
            if (c > ((size_t)-1) / 2) { b->oom = 1; return; }
            c *= 2;
        }
        p = (char *)HERO_REALLOC(b->s, c);
        if (!p) { b->oom = 1; return; }
        b->s = p;
        b->cap = c;
    }
    if (n) memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

/* Hands the buffer's string over (an empty string when nothing was put); NULL when out of memory. */
static char *hero__mbuf_take(hero__mbuf *b, size_t *len) {
    char *s;
    if (!b->oom && !b->s) hero__mbuf_put(b, "", 0);
    if (b->oom) { HERO_FREE(b->s); memset(b, 0, sizeof *b); return NULL; }
    s = b->s;
    if (len) *len = b->n;
    memset(b, 0, sizeof *b);
    return s;
}

static char *hero__mstrndup(const char *s, size_t n) {
    char *p = (char *)HERO_MALLOC(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}


/* ======================================================================================
   html.unescape (Python 3.4+ semantics, named references from a subset: see the API)
   ====================================================================================== */

typedef struct hero__ment { const char *name, *value; int bare; } hero__ment;

/* name (without ';'), UTF-8 value, bare = also accepted without ';' (HTML5 legacy names).
   Sorted by strcmp. Generated from Python's html.entities.html5. */
static const hero__ment hero__ments[] = {
    {"AElig", "\xC3\x86", 1}, {"AMP", "&", 1}, {"Aacute", "\xC3\x81", 1}, {"Acirc", "\xC3\x82", 1},
    {"Agrave", "\xC3\x80", 1}, {"Alpha", "\xCE\x91", 0}, {"Aring", "\xC3\x85", 1},
    {"Atilde", "\xC3\x83", 1}, {"Auml", "\xC3\x84", 1}, {"Beta", "\xCE\x92", 0},
    {"COPY", "\xC2\xA9", 1}, {"Ccedil", "\xC3\x87", 1}, {"Chi", "\xCE\xA7", 0},
    {"Dagger", "\xE2\x80\xA1", 0}, {"Delta", "\xCE\x94", 0}, {"ETH", "\xC3\x90", 1},
    {"Eacute", "\xC3\x89", 1}, {"Ecirc", "\xC3\x8A", 1}, {"Egrave", "\xC3\x88", 1},
    {"Epsilon", "\xCE\x95", 0}, {"Eta", "\xCE\x97", 0}, {"Euml", "\xC3\x8B", 1}, {"GT", ">", 1},
    {"Gamma", "\xCE\x93", 0}, {"Iacute", "\xC3\x8D", 1}, {"Icirc", "\xC3\x8E", 1},
    {"Igrave", "\xC3\x8C", 1}, {"Iota", "\xCE\x99", 0}, {"Iuml", "\xC3\x8F", 1},
    {"Kappa", "\xCE\x9A", 0}, {"LT", "<", 1}, {"Lambda", "\xCE\x9B", 0}, {"Mu", "\xCE\x9C", 0},
    {"Ntilde", "\xC3\x91", 1}, {"Nu", "\xCE\x9D", 0}, {"OElig", "\xC5\x92", 0},
    {"Oacute", "\xC3\x93", 1}, {"Ocirc", "\xC3\x94", 1}, {"Ograve", "\xC3\x92", 1},
    {"Omega", "\xCE\xA9", 0}, {"Omicron", "\xCE\x9F", 0}, {"Oslash", "\xC3\x98", 1},
    {"Otilde", "\xC3\x95", 1}, {"Ouml", "\xC3\x96", 1}, {"Phi", "\xCE\xA6", 0},
    {"Pi", "\xCE\xA0", 0}, {"Prime", "\xE2\x80\xB3", 0}, {"Psi", "\xCE\xA8", 0},
    {"QUOT", "\x22", 1}, {"REG", "\xC2\xAE", 1}, {"Rho", "\xCE\xA1", 0}, {"Scaron", "\xC5\xA0", 0},
    {"Sigma", "\xCE\xA3", 0}, {"THORN", "\xC3\x9E", 1}, {"Tau", "\xCE\xA4", 0},
    {"Theta", "\xCE\x98", 0}, {"Uacute", "\xC3\x9A", 1}, {"Ucirc", "\xC3\x9B", 1},
    {"Ugrave", "\xC3\x99", 1}, {"Upsilon", "\xCE\xA5", 0}, {"Uuml", "\xC3\x9C", 1},
    {"Xi", "\xCE\x9E", 0}, {"Yacute", "\xC3\x9D", 1}, {"Yuml", "\xC5\xB8", 0},
    {"Zeta", "\xCE\x96", 0}, {"aacute", "\xC3\xA1", 1}, {"acirc", "\xC3\xA2", 1},
    {"acute", "\xC2\xB4", 1}, {"aelig", "\xC3\xA6", 1}, {"agrave", "\xC3\xA0", 1},
    {"alefsym", "\xE2\x84\xB5", 0}, {"alpha", "\xCE\xB1", 0}, {"amp", "&", 1},
    {"and", "\xE2\x88\xA7", 0}, {"ang", "\xE2\x88\xA0", 0}, {"apos", "'", 0},
    {"aring", "\xC3\xA5", 1}, {"asymp", "\xE2\x89\x88", 0}, {"atilde", "\xC3\xA3", 1},
    {"auml", "\xC3\xA4", 1}, {"bdquo", "\xE2\x80\x9E", 0}, {"beta", "\xCE\xB2", 0},
    {"brvbar", "\xC2\xA6", 1}, {"bull", "\xE2\x80\xA2", 0}, {"cap", "\xE2\x88\xA9", 0},
    {"ccedil", "\xC3\xA7", 1}, {"cedil", "\xC2\xB8", 1}, {"cent", "\xC2\xA2", 1},
    {"chi", "\xCF\x87", 0}, {"circ", "\xCB\x86", 0}, {"clubs", "\xE2\x99\xA3", 0},
    {"cong", "\xE2\x89\x85", 0}, {"copy", "\xC2\xA9", 1}, {"crarr", "\xE2\x86\xB5", 0},
    {"cup", "\xE2\x88\xAA", 0}, {"curren", "\xC2\xA4", 1}, {"dArr", "\xE2\x87\x93", 0},
    {"dagger", "\xE2\x80\xA0", 0}, {"darr", "\xE2\x86\x93", 0}, {"deg", "\xC2\xB0", 1},
    {"delta", "\xCE\xB4", 0}, {"diams", "\xE2\x99\xA6", 0}, {"divide", "\xC3\xB7", 1},
    {"eacute", "\xC3\xA9", 1}, {"ecirc", "\xC3\xAA", 1}, {"egrave", "\xC3\xA8", 1},
    {"empty", "\xE2\x88\x85", 0}, {"emsp", "\xE2\x80\x83", 0}, {"ensp", "\xE2\x80\x82", 0},
    {"epsilon", "\xCE\xB5", 0}, {"equiv", "\xE2\x89\xA1", 0}, {"eta", "\xCE\xB7", 0},
    {"eth", "\xC3\xB0", 1}, {"euml", "\xC3\xAB", 1}, {"euro", "\xE2\x82\xAC", 0},
    {"exist", "\xE2\x88\x83", 0}, {"fnof", "\xC6\x92", 0}, {"forall", "\xE2\x88\x80", 0},
    {"frac12", "\xC2\xBD", 1}, {"frac14", "\xC2\xBC", 1}, {"frac34", "\xC2\xBE", 1},
    {"frasl", "\xE2\x81\x84", 0}, {"gamma", "\xCE\xB3", 0}, {"ge", "\xE2\x89\xA5", 0},
    {"gt", ">", 1}, {"hArr", "\xE2\x87\x94", 0}, {"harr", "\xE2\x86\x94", 0},
    {"hearts", "\xE2\x99\xA5", 0}, {"hellip", "\xE2\x80\xA6", 0}, {"iacute", "\xC3\xAD", 1},
    {"icirc", "\xC3\xAE", 1}, {"iexcl", "\xC2\xA1", 1}, {"igrave", "\xC3\xAC", 1},
    {"image", "\xE2\x84\x91", 0}, {"infin", "\xE2\x88\x9E", 0}, {"int", "\xE2\x88\xAB", 0},
    {"iota", "\xCE\xB9", 0}, {"iquest", "\xC2\xBF", 1}, {"isin", "\xE2\x88\x88", 0},
    {"iuml", "\xC3\xAF", 1}, {"kappa", "\xCE\xBA", 0}, {"lArr", "\xE2\x87\x90", 0},
    {"lambda", "\xCE\xBB", 0}, {"lang", "\xE2\x9F\xA8", 0}, {"laquo", "\xC2\xAB", 1},
    {"larr", "\xE2\x86\x90", 0}, {"lceil", "\xE2\x8C\x88", 0}, {"ldquo", "\xE2\x80\x9C", 0},
    {"le", "\xE2\x89\xA4", 0}, {"lfloor", "\xE2\x8C\x8A", 0}, {"lowast", "\xE2\x88\x97", 0},
    {"loz", "\xE2\x97\x8A", 0}, {"lrm", "\xE2\x80\x8E", 0}, {"lsaquo", "\xE2\x80\xB9", 0},
    {"lsquo", "\xE2\x80\x98", 0}, {"lt", "<", 1}, {"macr", "\xC2\xAF", 1},
    {"mdash", "\xE2\x80\x94", 0}, {"micro", "\xC2\xB5", 1}, {"middot", "\xC2\xB7", 1},
    {"minus", "\xE2\x88\x92", 0}, {"mu", "\xCE\xBC", 0}, {"nabla", "\xE2\x88\x87", 0},
    {"nbsp", "\xC2\xA0", 1}, {"ndash", "\xE2\x80\x93", 0}, {"ne", "\xE2\x89\xA0", 0},
    {"ni", "\xE2\x88\x8B", 0}, {"not", "\xC2\xAC", 1}, {"notin", "\xE2\x88\x89", 0},
    {"nsub", "\xE2\x8A\x84", 0}, {"ntilde", "\xC3\xB1", 1}, {"nu", "\xCE\xBD", 0},
    {"oacute", "\xC3\xB3", 1}, {"ocirc", "\xC3\xB4", 1}, {"oelig", "\xC5\x93", 0},
    {"ograve", "\xC3\xB2", 1}, {"oline", "\xE2\x80\xBE", 0}, {"omega", "\xCF\x89", 0},
    {"omicron", "\xCE\xBF", 0}, {"oplus", "\xE2\x8A\x95", 0}, {"or", "\xE2\x88\xA8", 0},
    {"ordf", "\xC2\xAA", 1}, {"ordm", "\xC2\xBA", 1}, {"oslash", "\xC3\xB8", 1},
    {"otilde", "\xC3\xB5", 1}, {"otimes", "\xE2\x8A\x97", 0}, {"ouml", "\xC3\xB6", 1},
    {"para", "\xC2\xB6", 1}, {"part", "\xE2\x88\x82", 0}, {"permil", "\xE2\x80\xB0", 0},
    {"perp", "\xE2\x8A\xA5", 0}, {"phi", "\xCF\x86", 0}, {"pi", "\xCF\x80", 0},
    {"piv", "\xCF\x96", 0}, {"plusmn", "\xC2\xB1", 1}, {"pound", "\xC2\xA3", 1},
    {"prime", "\xE2\x80\xB2", 0}, {"prod", "\xE2\x88\x8F", 0}, {"prop", "\xE2\x88\x9D", 0},
    {"psi", "\xCF\x88", 0}, {"quot", "\x22", 1}, {"rArr", "\xE2\x87\x92", 0},
    {"radic", "\xE2\x88\x9A", 0}, {"rang", "\xE2\x9F\xA9", 0}, {"raquo", "\xC2\xBB", 1},
    {"rarr", "\xE2\x86\x92", 0}, {"rceil", "\xE2\x8C\x89", 0}, {"rdquo", "\xE2\x80\x9D", 0},
    {"real", "\xE2\x84\x9C", 0}, {"reg", "\xC2\xAE", 1}, {"rfloor", "\xE2\x8C\x8B", 0},
    {"rho", "\xCF\x81", 0}, {"rlm", "\xE2\x80\x8F", 0}, {"rsaquo", "\xE2\x80\xBA", 0},
    {"rsquo", "\xE2\x80\x99", 0}, {"sbquo", "\xE2\x80\x9A", 0}, {"scaron", "\xC5\xA1", 0},
    {"sdot", "\xE2\x8B\x85", 0}, {"sect", "\xC2\xA7", 1}, {"shy", "\xC2\xAD", 1},
    {"sigma", "\xCF\x83", 0}, {"sigmaf", "\xCF\x82", 0}, {"sim", "\xE2\x88\xBC", 0},
    {"spades", "\xE2\x99\xA0", 0}, {"sub", "\xE2\x8A\x82", 0}, {"sube", "\xE2\x8A\x86", 0},
    {"sum", "\xE2\x88\x91", 0}, {"sup", "\xE2\x8A\x83", 0}, {"sup1", "\xC2\xB9", 1},
    {"sup2", "\xC2\xB2", 1}, {"sup3", "\xC2\xB3", 1}, {"supe", "\xE2\x8A\x87", 0},
    {"szlig", "\xC3\x9F", 1}, {"tau", "\xCF\x84", 0}, {"there4", "\xE2\x88\xB4", 0},
    {"theta", "\xCE\xB8", 0}, {"thetasym", "\xCF\x91", 0}, {"thinsp", "\xE2\x80\x89", 0},
    {"thorn", "\xC3\xBE", 1}, {"tilde", "\xCB\x9C", 0}, {"times", "\xC3\x97", 1},
    {"trade", "\xE2\x84\xA2", 0}, {"uArr", "\xE2\x87\x91", 0}, {"uacute", "\xC3\xBA", 1},
    {"uarr", "\xE2\x86\x91", 0}, {"ucirc", "\xC3\xBB", 1}, {"ugrave", "\xC3\xB9", 1},
    {"uml", "\xC2\xA8", 1}, {"upsih", "\xCF\x92", 0}, {"upsilon", "\xCF\x85", 0},
    {"uuml", "\xC3\xBC", 1}, {"weierp", "\xE2\x84\x98", 0}, {"xi", "\xCE\xBE", 0},
    {"yacute", "\xC3\xBD", 1}, {"yen", "\xC2\xA5", 1}, {"yuml", "\xC3\xBF", 1},
    {"zeta", "\xCE\xB6", 0}, {"zwj", "\xE2\x80\x8D", 0}, {"zwnj", "\xE2\x80\x8C", 0}
};

static const hero__ment *hero__ment_find(const char *s, size_t n) {
    int lo = 0, hi = (int)(sizeof hero__ments / sizeof hero__ments[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const char *e = hero__ments[mid].name;
        int c = strncmp(e, s, n);
        if (c == 0) c = e[n] ? 1 : 0;
        if (c == 0) return &hero__ments[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

/* Python's html._invalid_charrefs for 0x80..0x9F (Windows-1252); 0 = the code point itself. */
static const uint16_t hero__cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/* The replacement of numeric reference `num` (already capped); writes UTF-8 to o, returns length. */
static int hero__mcharref(uint64_t num, char *o) {
    if (num == 0) return (int)hero__utf8_put(o, 0xFFFD);
    if (num == 0x0D) { o[0] = '\r'; return 1; }
    if (num >= 0x80 && num <= 0x9F) {
        uint32_t r = hero__cp1252[num - 0x80];
        return (int)hero__utf8_put(o, r ? r : (uint32_t)num);
    }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return (int)hero__utf8_put(o, 0xFFFD);
    /* Python's _invalid_codepoints: C0 controls but \t \n \f \r, DEL + C1, noncharacters */
    if ((num >= 0x1 && num <= 0x8) || num == 0xB || (num >= 0xE && num <= 0x1F) || (num >= 0x7F && num <= 0x9F) ||
        (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE)
        return 0;
    return (int)hero__utf8_put(o, (uint32_t)num);
}

HERODEF int hero_html_unescape(const char *in, size_t len, char **out, size_t *out_len, hero_error *err) {
    hero__mbuf b;
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    memset(&b, 0, sizeof b);
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out || (!in && len)) return hero__fail(err, HERO_EINVAL, "html_unescape: NULL argument");
    while (i < len) {
        size_t j, k;
        char rep[8];
        int rl;
        if (s[i] != '&') {
            j = i;
            while (j < len && s[j] != '&') j++;
            hero__mbuf_put(&b, in + i, j - i);
            i = j;
            continue;
        }
        j = i + 1;
        if (j < len && s[j] == '#') {
            /* &#[0-9]+;? or &#[xX][0-9a-fA-F]+;? */
            int hex = j + 1 < len && (s[j + 1] == 'x' || s[j + 1] == 'X');
            uint64_t num = 0;
            k = j + 1 + (size_t)hex;
            j = k;
            while (k < len && ((s[k] >= '0' && s[k] <= '9') || (hex && (s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'f'))) {
                int d = s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10;
                num = num * (hex ? 16u : 10u) + (uint64_t)d;
                if (num > 0x110000) num = 0x110000; /* anything larger reads as > U+10FFFF */
                k++;
            }
            if (k == j) { hero__mbuf_put(&b, "&", 1); i++; continue; } /* no digits: not a reference */
            if (k < len && s[k] == ';') k++;
            rl = hero__mcharref(num, rep);
            hero__mbuf_put(&b, rep, (size_t)rl);
            i = k;
            continue;
        }
        /* named: [^\t\n\f <&#;]{1,32};? (32 characters, not bytes) */
        {
            size_t nchars = 0, x, ends[34];
            const hero__ment *e = NULL;
            int semi = 0;
            k = j;
            while (k < len && nchars < 32) {
                unsigned char c = s[k];
                uint32_t cp;
                int l;
                if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';') break;
                l = (int)hero__utf8_dec(s + k, len - k, &cp, NULL);
                k += l ? (size_t)l : 1;
                ends[++nchars] = k;
            }
            if (nchars == 0) { hero__mbuf_put(&b, "&", 1); i++; continue; }
            if (k < len && s[k] == ';') semi = 1;
            /* the whole name (with its ';' if any) */
            e = hero__ment_find(in + j, k - j);
            if (e && (semi || e->bare)) {
                hero__mbuf_put(&b, e->value, strlen(e->value));
                i = k + (size_t)semi;
                continue;
            }
            /* the longest prefix (2..len-1 characters of the name with its ';') that is a legacy name */
            e = NULL;
            for (x = nchars + (size_t)semi - 1; x >= 2; x--) {
                size_t end = x <= nchars ? ends[x] : k;
                const hero__ment *c = hero__ment_find(in + j, end - j);
                if (c && c->bare) { e = c; k = end; break; }
            }
            if (e) {
                hero__mbuf_put(&b, e->value, strlen(e->value));
                i = k;
                continue;
            }
            hero__mbuf_put(&b, "&", 1);
            i++;
        }
    }
    *out = hero__mbuf_take(&b, out_len);
    if (!*out) return hero__fail(err, HERO_ENOMEM, "html_unescape: out of memory (%zu bytes)", len);
    return 0;
}

/* ======================================================================================
   Python's str.isupper() / str.lower(): Unicode 14 case properties (Python 3.11)
   ====================================================================================== */

/* {lo, hi, step, kind, delta}: the code points lo, lo+step, ... <= hi are upper case (kind 1,
   lower-case mapping cp + delta), lower case (2) or title case (3, mapping cp + delta).
   Generated from Python 3.11's str.isupper / islower / istitle / lower on every code point. */
typedef struct hero__mcase { uint32_t lo, hi; uint8_t step, kind; int32_t delta; } hero__mcase;
static const hero__mcase hero__mcases[] = {
    {0x41, 0x5A, 1, 1, 32}, {0x61, 0x7A, 1, 2, 0}, {0xAA, 0xAA, 1, 2, 0}, {0xB5, 0xB5, 1, 2, 0},
    {0xBA, 0xBA, 1, 2, 0}, {0xC0, 0xD6, 1, 1, 32}, {0xD8, 0xDE, 1, 1, 32}, {0xDF, 0xF6, 1, 2, 0},
    {0xF8, 0xFF, 1, 2, 0}, {0x100, 0x12E, 2, 1, 1}, {0x101, 0x137, 2, 2, 0}, {0x130, 0x130, 1, 1, 0},
    {0x132, 0x136, 2, 1, 1}, {0x138, 0x148, 2, 2, 0}, {0x139, 0x147, 2, 1, 1}, {0x149, 0x177, 2, 2, 0},
    {0x14A, 0x176, 2, 1, 1}, {0x178, 0x178, 1, 1, -121}, {0x179, 0x17D, 2, 1, 1},
    {0x17A, 0x180, 2, 2, 0}, {0x17F, 0x17F, 1, 2, 0}, {0x181, 0x181, 1, 1, 210},
    {0x182, 0x184, 2, 1, 1}, {0x183, 0x185, 2, 2, 0}, {0x186, 0x186, 1, 1, 206},
    {0x187, 0x187, 1, 1, 1}, {0x188, 0x188, 1, 2, 0}, {0x189, 0x18A, 1, 1, 205},
    {0x18B, 0x18B, 1, 1, 1}, {0x18C, 0x18D, 1, 2, 0}, {0x18E, 0x18E, 1, 1, 79},
    {0x18F, 0x18F, 1, 1, 202}, {0x190, 0x190, 1, 1, 203}, {0x191, 0x191, 1, 1, 1},
    {0x192, 0x192, 1, 2, 0}, {0x193, 0x193, 1, 1, 205}, {0x194, 0x194, 1, 1, 207},
    {0x195, 0x195, 1, 2, 0}, {0x196, 0x196, 1, 1, 211}, {0x197, 0x197, 1, 1, 209},
    {0x198, 0x198, 1, 1, 1}, {0x199, 0x19B, 1, 2, 0}, {0x19C, 0x19C, 1, 1, 211},
    {0x19D, 0x19D, 1, 1, 213}, {0x19E, 0x19E, 1, 2, 0}, {0x19F, 0x19F, 1, 1, 214},
    {0x1A0, 0x1A4, 2, 1, 1}, {0x1A1, 0x1A5, 2, 2, 0}, {0x1A6, 0x1A6, 1, 1, 218},
    {0x1A7, 0x1A7, 1, 1, 1}, {0x1A8, 0x1AA, 2, 2, 0}, {0x1A9, 0x1A9, 1, 1, 218},
    {0x1AB, 0x1AD, 2, 2, 0}, {0x1AC, 0x1AC, 1, 1, 1}, {0x1AE, 0x1AE, 1, 1, 218},
    {0x1AF, 0x1AF, 1, 1, 1}, {0x1B0, 0x1B0, 1, 2, 0}, {0x1B1, 0x1B2, 1, 1, 217},
    {0x1B3, 0x1B5, 2, 1, 1}, {0x1B4, 0x1B6, 2, 2, 0}, {0x1B7, 0x1B7, 1, 1, 219},
    {0x1B8, 0x1B8, 1, 1, 1}, {0x1B9, 0x1BA, 1, 2, 0}, {0x1BC, 0x1BC, 1, 1, 1}, {0x1BD, 0x1BF, 1, 2, 0},
    {0x1C4, 0x1C4, 1, 1, 2}, {0x1C5, 0x1C5, 1, 3, 1}, {0x1C6, 0x1C6, 1, 2, 0}, {0x1C7, 0x1C7, 1, 1, 2},
    {0x1C8, 0x1C8, 1, 3, 1}, {0x1C9, 0x1C9, 1, 2, 0}, {0x1CA, 0x1CA, 1, 1, 2}, {0x1CB, 0x1CB, 1, 3, 1},
    {0x1CC, 0x1DC, 2, 2, 0}, {0x1CD, 0x1DB, 2, 1, 1}, {0x1DD, 0x1EF, 2, 2, 0}, {0x1DE, 0x1EE, 2, 1, 1},
    {0x1F0, 0x1F0, 1, 2, 0}, {0x1F1, 0x1F1, 1, 1, 2}, {0x1F2, 0x1F2, 1, 3, 1}, {0x1F3, 0x1F5, 2, 2, 0},
    {0x1F4, 0x1F4, 1, 1, 1}, {0x1F6, 0x1F6, 1, 1, -97}, {0x1F7, 0x1F7, 1, 1, -56},
    {0x1F8, 0x21E, 2, 1, 1}, {0x1F9, 0x239, 2, 2, 0}, {0x220, 0x220, 1, 1, -130},
    {0x222, 0x232, 2, 1, 1}, {0x234, 0x238, 2, 2, 0}, {0x23A, 0x23A, 1, 1, 10795},
    {0x23B, 0x23B, 1, 1, 1}, {0x23C, 0x23C, 1, 2, 0}, {0x23D, 0x23D, 1, 1, -163},
    {0x23E, 0x23E, 1, 1, 10792}, {0x23F, 0x240, 1, 2, 0}, {0x241, 0x241, 1, 1, 1},
    {0x242, 0x242, 1, 2, 0}, {0x243, 0x243, 1, 1, -195}, {0x244, 0x244, 1, 1, 69},
    {0x245, 0x245, 1, 1, 71}, {0x246, 0x24E, 2, 1, 1}, {0x247, 0x2B7, 2, 2, 0},
    {0x250, 0x292, 2, 2, 0}, {0x296, 0x2B8, 2, 2, 0}, {0x2C0, 0x2C1, 1, 2, 0}, {0x2E0, 0x2E4, 1, 2, 0},
    {0x345, 0x345, 1, 2, 0}, {0x370, 0x372, 2, 1, 1}, {0x371, 0x373, 2, 2, 0}, {0x376, 0x376, 1, 1, 1},
    {0x377, 0x377, 1, 2, 0}, {0x37A, 0x37D, 1, 2, 0}, {0x37F, 0x37F, 1, 1, 116},
    {0x386, 0x386, 1, 1, 38}, {0x388, 0x38A, 1, 1, 37}, {0x38C, 0x38C, 1, 1, 64},
    {0x38E, 0x38F, 1, 1, 63}, {0x390, 0x390, 1, 2, 0}, {0x391, 0x3A1, 1, 1, 32},
    {0x3A3, 0x3AB, 1, 1, 32}, {0x3AC, 0x3CE, 1, 2, 0}, {0x3CF, 0x3CF, 1, 1, 8},
    {0x3D0, 0x3D1, 1, 2, 0}, {0x3D2, 0x3D4, 1, 1, 0}, {0x3D5, 0x3F5, 2, 2, 0}, {0x3D6, 0x3D6, 1, 2, 0},
    {0x3D8, 0x3EE, 2, 1, 1}, {0x3F0, 0x3F2, 2, 2, 0}, {0x3F4, 0x3F4, 1, 1, -60},
    {0x3F7, 0x3F7, 1, 1, 1}, {0x3F8, 0x3F8, 1, 2, 0}, {0x3F9, 0x3F9, 1, 1, -7},
    {0x3FA, 0x3FA, 1, 1, 1}, {0x3FB, 0x3FC, 1, 2, 0}, {0x3FD, 0x3FF, 1, 1, -130},
    {0x400, 0x40F, 1, 1, 80}, {0x410, 0x42F, 1, 1, 32}, {0x430, 0x45F, 1, 2, 0},
    {0x460, 0x480, 2, 1, 1}, {0x461, 0x481, 2, 2, 0}, {0x48A, 0x4BE, 2, 1, 1}, {0x48B, 0x4BF, 2, 2, 0},
    {0x4C0, 0x4C0, 1, 1, 15}, {0x4C1, 0x4CD, 2, 1, 1}, {0x4C2, 0x4CE, 2, 2, 0},
    {0x4CF, 0x52F, 2, 2, 0}, {0x4D0, 0x52E, 2, 1, 1}, {0x531, 0x556, 1, 1, 48},
    {0x560, 0x588, 1, 2, 0}, {0x10A0, 0x10C5, 1, 1, 7264}, {0x10C7, 0x10C7, 1, 1, 7264},
    {0x10CD, 0x10CD, 1, 1, 7264}, {0x10D0, 0x10FA, 1, 2, 0}, {0x10FD, 0x10FF, 1, 2, 0},
    {0x13A0, 0x13EF, 1, 1, 38864}, {0x13F0, 0x13F5, 1, 1, 8}, {0x13F8, 0x13FD, 1, 2, 0},
    {0x1C80, 0x1C88, 1, 2, 0}, {0x1C90, 0x1CBA, 1, 1, -3008}, {0x1CBD, 0x1CBF, 1, 1, -3008},
    {0x1D00, 0x1DBF, 1, 2, 0}, {0x1E00, 0x1E94, 2, 1, 1}, {0x1E01, 0x1F07, 2, 2, 0},
    {0x1E96, 0x1E9C, 2, 2, 0}, {0x1E9E, 0x1E9E, 1, 1, -7615}, {0x1EA0, 0x1EFE, 2, 1, 1},
    {0x1F00, 0x1F06, 2, 2, 0}, {0x1F08, 0x1F0F, 1, 1, -8}, {0x1F10, 0x1F15, 1, 2, 0},
    {0x1F18, 0x1F1D, 1, 1, -8}, {0x1F20, 0x1F27, 1, 2, 0}, {0x1F28, 0x1F2F, 1, 1, -8},
    {0x1F30, 0x1F37, 1, 2, 0}, {0x1F38, 0x1F3F, 1, 1, -8}, {0x1F40, 0x1F45, 1, 2, 0},
    {0x1F48, 0x1F4D, 1, 1, -8}, {0x1F50, 0x1F57, 1, 2, 0}, {0x1F59, 0x1F5F, 2, 1, -8},
    {0x1F60, 0x1F67, 1, 2, 0}, {0x1F68, 0x1F6F, 1, 1, -8}, {0x1F70, 0x1F7D, 1, 2, 0},
    {0x1F80, 0x1F87, 1, 2, 0}, {0x1F88, 0x1F8F, 1, 3, -8}, {0x1F90, 0x1F97, 1, 2, 0},
    {0x1F98, 0x1F9F, 1, 3, -8}, {0x1FA0, 0x1FA7, 1, 2, 0}, {0x1FA8, 0x1FAF, 1, 3, -8},
    {0x1FB0, 0x1FB4, 1, 2, 0}, {0x1FB6, 0x1FB7, 1, 2, 0}, {0x1FB8, 0x1FB9, 1, 1, -8},
    {0x1FBA, 0x1FBB, 1, 1, -74}, {0x1FBC, 0x1FBC, 1, 3, -9}, {0x1FBE, 0x1FBE, 1, 2, 0},
    {0x1FC2, 0x1FC4, 1, 2, 0}, {0x1FC6, 0x1FC7, 1, 2, 0}, {0x1FC8, 0x1FCB, 1, 1, -86},
    {0x1FCC, 0x1FCC, 1, 3, -9}, {0x1FD0, 0x1FD3, 1, 2, 0}, {0x1FD6, 0x1FD7, 1, 2, 0},
    {0x1FD8, 0x1FD9, 1, 1, -8}, {0x1FDA, 0x1FDB, 1, 1, -100}, {0x1FE0, 0x1FE7, 1, 2, 0},
    {0x1FE8, 0x1FE9, 1, 1, -8}, {0x1FEA, 0x1FEB, 1, 1, -112}, {0x1FEC, 0x1FEC, 1, 1, -7},
    {0x1FF2, 0x1FF4, 1, 2, 0}, {0x1FF6, 0x1FF7, 1, 2, 0}, {0x1FF8, 0x1FF9, 1, 1, -128},
    {0x1FFA, 0x1FFB, 1, 1, -126}, {0x1FFC, 0x1FFC, 1, 3, -9}, {0x2071, 0x2071, 1, 2, 0},
    {0x207F, 0x207F, 1, 2, 0}, {0x2090, 0x209C, 1, 2, 0}, {0x2102, 0x2102, 1, 1, 0},
    {0x2107, 0x2107, 1, 1, 0}, {0x210A, 0x210A, 1, 2, 0}, {0x210B, 0x210D, 1, 1, 0},
    {0x210E, 0x210F, 1, 2, 0}, {0x2110, 0x2112, 1, 1, 0}, {0x2113, 0x2113, 1, 2, 0},
    {0x2115, 0x2115, 1, 1, 0}, {0x2119, 0x211D, 1, 1, 0}, {0x2124, 0x2124, 1, 1, 0},
    {0x2126, 0x2126, 1, 1, -7517}, {0x2128, 0x2128, 1, 1, 0}, {0x212A, 0x212A, 1, 1, -8383},
    {0x212B, 0x212B, 1, 1, -8262}, {0x212C, 0x212D, 1, 1, 0}, {0x212F, 0x212F, 1, 2, 0},
    {0x2130, 0x2131, 1, 1, 0}, {0x2132, 0x2132, 1, 1, 28}, {0x2133, 0x2133, 1, 1, 0},
    {0x2134, 0x2134, 1, 2, 0}, {0x2139, 0x2139, 1, 2, 0}, {0x213C, 0x213D, 1, 2, 0},
    {0x213E, 0x213F, 1, 1, 0}, {0x2145, 0x2145, 1, 1, 0}, {0x2146, 0x2149, 1, 2, 0},
    {0x214E, 0x214E, 1, 2, 0}, {0x2160, 0x216F, 1, 1, 16}, {0x2170, 0x217F, 1, 2, 0},
    {0x2183, 0x2183, 1, 1, 1}, {0x2184, 0x2184, 1, 2, 0}, {0x24B6, 0x24CF, 1, 1, 26},
    {0x24D0, 0x24E9, 1, 2, 0}, {0x2C00, 0x2C2F, 1, 1, 48}, {0x2C30, 0x2C5F, 1, 2, 0},
    {0x2C60, 0x2C60, 1, 1, 1}, {0x2C61, 0x2C61, 1, 2, 0}, {0x2C62, 0x2C62, 1, 1, -10743},
    {0x2C63, 0x2C63, 1, 1, -3814}, {0x2C64, 0x2C64, 1, 1, -10727}, {0x2C65, 0x2C66, 1, 2, 0},
    {0x2C67, 0x2C6B, 2, 1, 1}, {0x2C68, 0x2C6C, 2, 2, 0}, {0x2C6D, 0x2C6D, 1, 1, -10780},
    {0x2C6E, 0x2C6E, 1, 1, -10749}, {0x2C6F, 0x2C6F, 1, 1, -10783}, {0x2C70, 0x2C70, 1, 1, -10782},
    {0x2C71, 0x2C73, 2, 2, 0}, {0x2C72, 0x2C72, 1, 1, 1}, {0x2C74, 0x2C7C, 2, 2, 0},
    {0x2C75, 0x2C75, 1, 1, 1}, {0x2C77, 0x2C7D, 2, 2, 0}, {0x2C7E, 0x2C7F, 1, 1, -10815},
    {0x2C80, 0x2CE2, 2, 1, 1}, {0x2C81, 0x2CE3, 2, 2, 0}, {0x2CE4, 0x2CE4, 1, 2, 0},
    {0x2CEB, 0x2CED, 2, 1, 1}, {0x2CEC, 0x2CEE, 2, 2, 0}, {0x2CF2, 0x2CF2, 1, 1, 1},
    {0x2CF3, 0x2CF3, 1, 2, 0}, {0x2D00, 0x2D25, 1, 2, 0}, {0x2D27, 0x2D27, 1, 2, 0},
    {0x2D2D, 0x2D2D, 1, 2, 0}, {0xA640, 0xA66C, 2, 1, 1}, {0xA641, 0xA66D, 2, 2, 0},
    {0xA680, 0xA69A, 2, 1, 1}, {0xA681, 0xA69D, 2, 2, 0}, {0xA69C, 0xA69C, 1, 2, 0},
    {0xA722, 0xA72E, 2, 1, 1}, {0xA723, 0xA777, 2, 2, 0}, {0xA730, 0xA730, 1, 2, 0},
    {0xA732, 0xA76E, 2, 1, 1}, {0xA770, 0xA77C, 2, 2, 0}, {0xA779, 0xA77B, 2, 1, 1},
    {0xA77D, 0xA77D, 1, 1, -35332}, {0xA77E, 0xA786, 2, 1, 1}, {0xA77F, 0xA787, 2, 2, 0},
    {0xA78B, 0xA78B, 1, 1, 1}, {0xA78C, 0xA78E, 2, 2, 0}, {0xA78D, 0xA78D, 1, 1, -42280},
    {0xA790, 0xA792, 2, 1, 1}, {0xA791, 0xA7A9, 2, 2, 0}, {0xA794, 0xA794, 1, 2, 0},
    {0xA796, 0xA7A8, 2, 1, 1}, {0xA7AA, 0xA7AA, 1, 1, -42308}, {0xA7AB, 0xA7AB, 1, 1, -42319},
    {0xA7AC, 0xA7AC, 1, 1, -42315}, {0xA7AD, 0xA7AD, 1, 1, -42305}, {0xA7AE, 0xA7AE, 1, 1, -42308},
    {0xA7AF, 0xA7AF, 1, 2, 0}, {0xA7B0, 0xA7B0, 1, 1, -42258}, {0xA7B1, 0xA7B1, 1, 1, -42282},
    {0xA7B2, 0xA7B2, 1, 1, -42261}, {0xA7B3, 0xA7B3, 1, 1, 928}, {0xA7B4, 0xA7C2, 2, 1, 1},
    {0xA7B5, 0xA7C3, 2, 2, 0}, {0xA7C4, 0xA7C4, 1, 1, -48}, {0xA7C5, 0xA7C5, 1, 1, -42307},
    {0xA7C6, 0xA7C6, 1, 1, -35384}, {0xA7C7, 0xA7C9, 2, 1, 1}, {0xA7C8, 0xA7CA, 2, 2, 0},
    {0xA7D0, 0xA7D0, 1, 1, 1}, {0xA7D1, 0xA7D9, 2, 2, 0}, {0xA7D6, 0xA7D8, 2, 1, 1},
    {0xA7F5, 0xA7F5, 1, 1, 1}, {0xA7F6, 0xA7FA, 2, 2, 0}, {0xA7F9, 0xA7F9, 1, 2, 0},
    {0xAB30, 0xAB5A, 1, 2, 0}, {0xAB5C, 0xAB68, 1, 2, 0}, {0xAB70, 0xABBF, 1, 2, 0},
    {0xFB00, 0xFB06, 1, 2, 0}, {0xFB13, 0xFB17, 1, 2, 0}, {0xFF21, 0xFF3A, 1, 1, 32},
    {0xFF41, 0xFF5A, 1, 2, 0}, {0x10400, 0x10427, 1, 1, 40}, {0x10428, 0x1044F, 1, 2, 0},
    {0x104B0, 0x104D3, 1, 1, 40}, {0x104D8, 0x104FB, 1, 2, 0}, {0x10570, 0x10594, 2, 1, 39},
    {0x10571, 0x10579, 2, 1, 39}, {0x1057D, 0x10589, 2, 1, 39}, {0x1058D, 0x10591, 2, 1, 39},
    {0x10595, 0x10595, 1, 1, 39}, {0x10597, 0x105BB, 2, 2, 0}, {0x10598, 0x105A0, 2, 2, 0},
    {0x105A4, 0x105B0, 2, 2, 0}, {0x105B4, 0x105B8, 2, 2, 0}, {0x105BC, 0x105BC, 1, 2, 0},
    {0x10780, 0x10780, 1, 2, 0}, {0x10783, 0x107AF, 2, 2, 0}, {0x10784, 0x10784, 1, 2, 0},
    {0x10788, 0x107BA, 2, 2, 0}, {0x107B3, 0x107B9, 2, 2, 0}, {0x10C80, 0x10CB2, 1, 1, 64},
    {0x10CC0, 0x10CF2, 1, 2, 0}, {0x118A0, 0x118BF, 1, 1, 32}, {0x118C0, 0x118DF, 1, 2, 0},
    {0x16E40, 0x16E5F, 1, 1, 32}, {0x16E60, 0x16E7F, 1, 2, 0}, {0x1D400, 0x1D419, 1, 1, 0},
    {0x1D41A, 0x1D433, 1, 2, 0}, {0x1D434, 0x1D44D, 1, 1, 0}, {0x1D44E, 0x1D466, 2, 2, 0},
    {0x1D44F, 0x1D453, 2, 2, 0}, {0x1D457, 0x1D467, 2, 2, 0}, {0x1D468, 0x1D481, 1, 1, 0},
    {0x1D482, 0x1D49B, 1, 2, 0}, {0x1D49C, 0x1D49E, 2, 1, 0}, {0x1D49F, 0x1D49F, 1, 1, 0},
    {0x1D4A2, 0x1D4A2, 1, 1, 0}, {0x1D4A5, 0x1D4A6, 1, 1, 0}, {0x1D4A9, 0x1D4AC, 1, 1, 0},
    {0x1D4AE, 0x1D4B5, 1, 1, 0}, {0x1D4B6, 0x1D4B9, 1, 2, 0}, {0x1D4BB, 0x1D4CF, 2, 2, 0},
    {0x1D4BE, 0x1D4C2, 2, 2, 0}, {0x1D4C6, 0x1D4CE, 2, 2, 0}, {0x1D4D0, 0x1D4E9, 1, 1, 0},
    {0x1D4EA, 0x1D503, 1, 2, 0}, {0x1D504, 0x1D505, 1, 1, 0}, {0x1D507, 0x1D50A, 1, 1, 0},
    {0x1D50D, 0x1D514, 1, 1, 0}, {0x1D516, 0x1D51C, 1, 1, 0}, {0x1D51E, 0x1D537, 1, 2, 0},
    {0x1D538, 0x1D539, 1, 1, 0}, {0x1D53B, 0x1D53E, 1, 1, 0}, {0x1D540, 0x1D544, 1, 1, 0},
    {0x1D546, 0x1D546, 1, 1, 0}, {0x1D54A, 0x1D550, 1, 1, 0}, {0x1D552, 0x1D56B, 1, 2, 0},
    {0x1D56C, 0x1D585, 1, 1, 0}, {0x1D586, 0x1D59F, 1, 2, 0}, {0x1D5A0, 0x1D5B9, 1, 1, 0},
    {0x1D5BA, 0x1D5D3, 1, 2, 0}, {0x1D5D4, 0x1D5ED, 1, 1, 0}, {0x1D5EE, 0x1D607, 1, 2, 0},
    {0x1D608, 0x1D621, 1, 1, 0}, {0x1D622, 0x1D63B, 1, 2, 0}, {0x1D63C, 0x1D655, 1, 1, 0},
    {0x1D656, 0x1D66F, 1, 2, 0}, {0x1D670, 0x1D689, 1, 1, 0}, {0x1D68A, 0x1D6A5, 1, 2, 0},
    {0x1D6A8, 0x1D6C0, 1, 1, 0}, {0x1D6C2, 0x1D6DA, 1, 2, 0}, {0x1D6DC, 0x1D6E1, 1, 2, 0},
    {0x1D6E2, 0x1D6FA, 1, 1, 0}, {0x1D6FC, 0x1D714, 1, 2, 0}, {0x1D716, 0x1D71B, 1, 2, 0},
    {0x1D71C, 0x1D734, 1, 1, 0}, {0x1D736, 0x1D74E, 1, 2, 0}, {0x1D750, 0x1D755, 1, 2, 0},
    {0x1D756, 0x1D76E, 1, 1, 0}, {0x1D770, 0x1D788, 1, 2, 0}, {0x1D78A, 0x1D78F, 1, 2, 0},
    {0x1D790, 0x1D7A8, 1, 1, 0}, {0x1D7AA, 0x1D7C2, 1, 2, 0}, {0x1D7C4, 0x1D7C9, 1, 2, 0},
    {0x1D7CA, 0x1D7CA, 1, 1, 0}, {0x1D7CB, 0x1D7CB, 1, 2, 0}, {0x1DF00, 0x1DF09, 1, 2, 0},
    {0x1DF0B, 0x1DF1E, 1, 2, 0}, {0x1E900, 0x1E921, 1, 1, 34}, {0x1E922, 0x1E943, 1, 2, 0},
    {0x1F130, 0x1F149, 1, 1, 0}, {0x1F150, 0x1F169, 1, 1, 0}, {0x1F170, 0x1F189, 1, 1, 0}
};

/* Case kind of a code point (0 uncased) and its simple lower-case mapping. */
static int hero__mcase_of(uint32_t c, uint32_t *lower) {
    size_t i, n = sizeof hero__mcases / sizeof hero__mcases[0];
    *lower = c;
    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z') { *lower = c + 32; return 1; }
        return (c >= 'a' && c <= 'z') ? 2 : 0;
    }
    for (i = 0; i < n && hero__mcases[i].lo <= c; i++) {
        const hero__mcase *m = &hero__mcases[i];
        if (c <= m->hi && (c - m->lo) % m->step == 0) {
            if (m->kind != 2) *lower = (uint32_t)((int32_t)c + m->delta);
            return m->kind;
        }
    }
    return 0;
}

HERODEF int hero_text_isupper(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int cased = 0;
    while (s && i < len) {
        uint32_t c, lo;
        int l = (int)hero__utf8_dec(p + i, len - i, &c, NULL), k;
        if (!l) { i++; continue; }
        i += (size_t)l;
        k = hero__mcase_of(c, &lo);
        if (k == 2 || k == 3) return 0;
        if (k == 1) cased = 1;
    }
    return cased;
}

/* Python's final-sigma context: Case_Ignorable (subset, see the API) */
static int hero__mcase_ignorable(uint32_t c) {
    return c == 0x27 || c == 0x2E || c == 0x3A || c == 0xB7 || c == 0x2018 || c == 0x2019 || c == 0x2024 ||
           c == 0x2027 || c == 0xAD || (c >= 0x300 && c <= 0x36F);
}

/* Is the capital sigma at byte i (length l) final: a cased letter before it and none after
   (case-ignorable characters skipped)? */
static int hero__mfinal_sigma(const unsigned char *p, size_t len, size_t i, size_t l) {
    size_t j = i;
    int before = 0, after = 0;
    uint32_t c, lo;
    while (j > 0) { /* walk back one code point at a time */
        size_t st = j - 1;
        int q;
        while (st > 0 && (p[st] & 0xC0) == 0x80 && j - st < 4) st--;
        q = (int)hero__utf8_dec(p + st, len - st, &c, NULL);
        if (!q || st + (size_t)q != j) break;
        if (hero__mcase_ignorable(c)) { j = st; continue; }
        before = hero__mcase_of(c, &lo) != 0;
        break;
    }
    if (!before) return 0;
    j = i + l;
    while (j < len) {
        int q = (int)hero__utf8_dec(p + j, len - j, &c, NULL);
        if (!q) break;
        if (hero__mcase_ignorable(c)) { j += (size_t)q; continue; }
        after = hero__mcase_of(c, &lo) != 0;
        break;
    }
    return !after;
}

HERODEF int hero_text_lower(const char *in, size_t len, char **out, size_t *out_len, hero_error *err) {
    hero__mbuf b;
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;
    memset(&b, 0, sizeof b);
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out || (!in && len)) return hero__fail(err, HERO_EINVAL, "text_lower: NULL argument");
    while (i < len) {
        uint32_t c, lo;
        char o[8];
        int l = (int)hero__utf8_dec(p + i, len - i, &c, NULL), ol;
        if (!l) { hero__mbuf_put(&b, in + i, 1); i++; continue; }
        if (c < 0x80) {
            o[0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            hero__mbuf_put(&b, o, 1);
            i++;
            continue;
        }
        if (c == 0x130) { /* LATIN CAPITAL LETTER I WITH DOT ABOVE -> i + COMBINING DOT ABOVE */
            hero__mbuf_put(&b, "i\xCC\x87", 3);
        } else if (c == 0x3A3) {
            lo = hero__mfinal_sigma(p, len, i, (size_t)l) ? 0x3C2 : 0x3C3;
            ol = (int)hero__utf8_put(o, lo);
            hero__mbuf_put(&b, o, (size_t)ol);
        } else {
            hero__mcase_of(c, &lo);
            ol = (int)hero__utf8_put(o, lo);
            hero__mbuf_put(&b, o, (size_t)ol);
        }
        i += (size_t)l;
    }
    *out = hero__mbuf_take(&b, out_len);
    if (!*out) return hero__fail(err, HERO_ENOMEM, "text_lower: out of memory (%zu bytes)", len);
    return 0;
}

HERODEF int hero_text_normalize(const char *in, size_t len, int unescape, char **out, size_t *out_len,
                                hero_error *err) {
    char *u = NULL;
    size_t ul = 0;
    int rc;
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out || (!in && len)) return hero__fail(err, HERO_EINVAL, "text_normalize: NULL argument");
    if (unescape) {
        if ((rc = hero_html_unescape(in, len, &u, &ul, err)) != 0) return rc;
    } else {
        if (!(u = hero__mstrndup(in ? in : "", len))) return hero__fail(err, HERO_ENOMEM, "text_normalize: out of memory");
        ul = len;
    }
    if (hero_text_isupper(u, ul)) {
        rc = hero_text_lower(u, ul, out, out_len, err);
        HERO_FREE(u);
        return rc;
    }
    *out = u;
    if (out_len) *out_len = ul;
    return 0;
}

/* ======================================================================================
   Subtitles: SRT and the official JSONL
   ====================================================================================== */

HERODEF void hero_subtitles_free(hero_subtitles *s) {
    int i;
    if (!s) return;
    for (i = 0; i < s->n && s->subs; i++) HERO_FREE(s->subs[i].text);
    HERO_FREE(s->subs);
    HERO_FREE(s->name);
    memset(s, 0, sizeof *s);
}

HERODEF void hero_subs_list_free(hero_subtitles *list, int n) {
    int i;
    if (!list) return;
    for (i = 0; i < n; i++) hero_subtitles_free(&list[i]);
    HERO_FREE(list);
}

HERODEF const hero_subtitles *hero_subs_find(const hero_subtitles *list, int n, const char *name) {
    int i;
    if (!list || !name) return NULL;
    for (i = n - 1; i >= 0; i--)
        if (list[i].name && strcmp(list[i].name, name) == 0) return &list[i];
    return NULL;
}

/* Appends a cue (text owned by the list afterwards; freed on failure). */
static int hero__msubs_push(hero_subtitles *s, int *cap, double st, double ed, char *text) {
    if (s->n == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        hero_sub *p;
        if (nc > HERO_SUBS_MAX_CUES) nc = HERO_SUBS_MAX_CUES;
        if (s->n >= nc) { HERO_FREE(text); return HERO_ELIMIT; }
        p = (hero_sub *)HERO_REALLOC(s->subs, (size_t)nc * sizeof(hero_sub));
        if (!p) { HERO_FREE(text); return HERO_ENOMEM; }
        s->subs = p;
        *cap = nc;
    }
    s->subs[s->n].start = st;
    s->subs[s->n].end = ed;
    s->subs[s->n].text = text;
    s->n++;
    return 0;
}

/* Stable sort by the float32 start (what the official assert compares): merge sort. */
static int hero__msubs_sort(hero_subtitles *s) {
    hero_sub *tmp;
    int w, i, sorted = 1;
    for (i = 1; i < s->n; i++)
        if ((float)s->subs[i].start < (float)s->subs[i - 1].start) { sorted = 0; break; }
    if (sorted) return 0;
    tmp = (hero_sub *)HERO_MALLOC((size_t)s->n * sizeof(hero_sub));
    if (!tmp) return HERO_ENOMEM;
    for (w = 1; w < s->n; w *= 2) {
        for (i = 0; i < s->n; i += 2 * w) {
            int a = i, am = i + w < s->n ? i + w : s->n, b = am, bm = i + 2 * w < s->n ? i + 2 * w : s->n, k = i;
            while (a < am && b < bm)
                tmp[k++] = (float)s->subs[b].start < (float)s->subs[a].start ? s->subs[b++] : s->subs[a++];
            while (a < am) tmp[k++] = s->subs[a++];
            while (b < bm) tmp[k++] = s->subs[b++];
        }
        memcpy(s->subs, tmp, (size_t)s->n * sizeof(hero_sub));
        if (w > s->n / 2) break;
    }
    HERO_FREE(tmp);
    return 0;
}

/* One line of the text: [*pos, end of line), advancing *pos past the line end (\n, \r\n, \r). */
static void hero__mline(const char *d, size_t len, size_t *pos, size_t *ls, size_t *le) {
    size_t i = *pos;
    *ls = i;
    while (i < len && d[i] != '\n' && d[i] != '\r') i++;
    *le = i;
    if (i < len && d[i] == '\r') i++;
    if (i < len && d[i] == '\n' && (i == *le || d[i - 1] == '\r')) i++;
    *pos = i;
}

static int hero__mspace(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

/* Parses an SRT time "[H+:]MM:SS[,.]f*" at d[*i..e); returns 0 and the seconds, or -1. */
static int hero__msrt_time(const char *d, size_t *i, size_t e, double *t) {
    uint64_t f[3] = {0, 0, 0}, frac = 0, scale = 1;
    int nf = 0, digits;
    size_t k = *i;
    for (;;) {
        digits = 0;
        while (k < e && d[k] >= '0' && d[k] <= '9') {
            if (f[nf] > 100000000u) return -1;
            f[nf] = f[nf] * 10 + (uint64_t)(d[k] - '0');
            k++;
            digits++;
        }
        if (!digits) return -1;
        if (k < e && d[k] == ':' && nf < 2) { nf++; k++; continue; }
        break;
    }
    if (nf == 0) return -1; /* needs at least MM:SS */
    if (k < e && (d[k] == ',' || d[k] == '.')) {
        k++;
        digits = 0;
        while (k < e && d[k] >= '0' && d[k] <= '9') {
            if (scale < 1000000000000000ull) { frac = frac * 10 + (uint64_t)(d[k] - '0'); scale *= 10; }
            k++;
            digits++;
        }
        if (!digits) return -1;
    }
    {
        /* exact integer arithmetic, one rounding: like Python's float("S.fff") */
        uint64_t secs = nf == 2 ? f[0] * 3600 + f[1] * 60 + f[2] : f[0] * 60 + f[1];
        const uint64_t exact = (uint64_t)1 << 53;
        if (secs > (uint64_t)HERO_SUBS_MAX_TIME) return -1;
        if (secs <= (exact - frac) / scale) *t = (double)(secs * scale + frac) / (double)scale;
        else *t = (double)secs + (double)frac / (double)scale;
    }
    *i = k;
    return 0;
}

/* A timing line "T1 --> T2 [settings]"? */
static int hero__msrt_timing(const char *d, size_t s, size_t e, double *t0, double *t1) {
    size_t i = s;
    while (i < e && hero__mspace(d[i])) i++;
    if (hero__msrt_time(d, &i, e, t0)) return 0;
    while (i < e && hero__mspace(d[i])) i++;
    if (i + 3 > e || d[i] != '-' || d[i + 1] != '-' || d[i + 2] != '>') return 0;
    i += 3;
    while (i < e && hero__mspace(d[i])) i++;
    if (hero__msrt_time(d, &i, e, t1)) return 0;
    return i == e || hero__mspace(d[i]);
}

static int hero__mblank(const char *d, size_t s, size_t e) {
    while (s < e && hero__mspace(d[s])) s++;
    return s == e;
}

static int hero__mdigits(const char *d, size_t s, size_t e) {
    while (s < e && hero__mspace(d[s])) s++;
    while (e > s && hero__mspace(d[e - 1])) e--;
    if (s == e) return 0;
    for (; s < e; s++)
        if (d[s] < '0' || d[s] > '9') return 0;
    return 1;
}

/* Is there a formatting tag at d[i..e)? Returns its length, 0 if none. */
static size_t hero__msrt_tag(const char *d, size_t i, size_t e) {
    static const char *const names[] = {"i", "b", "u", "s", "font"};
    size_t k = i + 1, n, t;
    if (d[i] == '{') {
        if (k < e && d[k] == '\\') {
            while (k < e && d[k] != '}') k++;
            if (k < e) return k + 1 - i;
        }
        return 0;
    }
    if (d[i] != '<') return 0;
    if (k < e && d[k] == '/') k++;
    for (t = 0; t < sizeof names / sizeof names[0]; t++) {
        n = strlen(names[t]);
        if (k + n <= e) {
            size_t m;
            for (m = 0; m < n; m++)
                if ((d[k + m] | 0x20) != names[t][m]) break;
            if (m == n) {
                size_t q = k + n;
                if (q < e && d[q] == '>') return q + 1 - i;
                if (t == 4 && q < e && hero__mspace(d[q])) { /* <font attributes> */
                    while (q < e && d[q] != '>') q++;
                    if (q < e) return q + 1 - i;
                }
            }
        }
    }
    return 0;
}

/* Appends one text line (trimmed, tags removed) to the cue text. */
static void hero__msrt_text(hero__mbuf *b, const char *d, size_t s, size_t e) {
    hero__mbuf line;
    size_t i, a, z;
    memset(&line, 0, sizeof line);
    for (i = s; i < e;) {
        size_t t = hero__msrt_tag(d, i, e);
        if (t) { i += t; continue; }
        hero__mbuf_put(&line, d + i, 1);
        i++;
    }
    if (line.oom) { b->oom = 1; HERO_FREE(line.s); return; }
    a = 0;
    z = line.n;
    while (a < z && hero__mspace(line.s[a])) a++;
    while (z > a && hero__mspace(line.s[z - 1])) z--;
    if (z > a) {
        if (b->n) hero__mbuf_put(b, " ", 1);
        hero__mbuf_put(b, line.s + a, z - a);
    }
    HERO_FREE(line.s);
}

/* Hands the text collected for the last cue over to it; 0 or HERO_ENOMEM. */
static int hero__msrt_close(hero_subtitles *out, hero__mbuf *cur) {
    char *t;
    if (out->n == 0 || out->subs[out->n - 1].text) return 0;
    if (!(t = hero__mbuf_take(cur, NULL))) return HERO_ENOMEM;
    out->subs[out->n - 1].text = t;
    return 0;
}

static int hero__msrt_bad(hero_subtitles *out, hero__mbuf *cur, hero_error *err, const char *nm, int line, int num_line,
                          const char *d, size_t ls, size_t le) {
    char shown[48];
    size_t n = le - ls < sizeof shown - 1 ? le - ls : sizeof shown - 1;
    memcpy(shown, d + ls, n);
    shown[n] = 0;
    HERO_FREE(cur->s);
    hero_subtitles_free(out);
    if (num_line)
        return hero__fail(err, HERO_EFORMAT, "%s:%d: expected a timing line \"HH:MM:SS,mmm --> HH:MM:SS,mmm\" after the cue number on line %d, found \"%s\"",
                          nm, line, num_line, shown);
    return hero__fail(err, HERO_EFORMAT, "%s:%d: expected a cue number or a timing line \"HH:MM:SS,mmm --> HH:MM:SS,mmm\", found \"%s\"", nm,
                      line, shown);
}

HERODEF int hero_subs_parse_srt(hero_subtitles *out, const char *data, size_t len, const char *name,
                                hero_error *err) {
    size_t pos = 0, ls, le;
    int cap = 0, line = 0, rc;
    hero__mbuf cur; /* the text of the last cue, still growing */
    const char *nm = name ? name : "<srt>";
    if (!out) return hero__fail(err, HERO_EINVAL, "%s: NULL output", nm);
    memset(out, 0, sizeof *out);
    memset(&cur, 0, sizeof cur);
    if (!data && len) return hero__fail(err, HERO_EINVAL, "%s: NULL data", nm);
    if (len > HERO_SUBS_MAX_FILE) return hero__fail(err, HERO_ELIMIT, "%s: %zu bytes, limit %zu", nm, len, HERO_SUBS_MAX_FILE);
    if (!(out->name = hero__mstrndup(nm, strlen(nm)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", nm);
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF) pos = 3;
    while (pos < len) {
        double t0, t1;
        hero__mline(data, len, &pos, &ls, &le);
        line++;
        if (hero__mblank(data, ls, le)) continue;
        if (hero__mdigits(data, ls, le)) { /* cue number: the timing line must follow (blank lines skipped) */
            int num_line = line;
            do {
                if (pos >= len) { ls = le = pos; break; }
                hero__mline(data, len, &pos, &ls, &le);
                line++;
            } while (hero__mblank(data, ls, le));
            if (ls == le && pos >= len) break; /* a trailing number alone: nothing to read */
            if (!hero__msrt_timing(data, ls, le, &t0, &t1)) return hero__msrt_bad(out, &cur, err, nm, line, num_line, data, ls, le);
        } else if (!hero__msrt_timing(data, ls, le, &t0, &t1)) {
            if (out->n == 0) return hero__msrt_bad(out, &cur, err, nm, line, 0, data, ls, le);
            /* text after a blank line inside a cue: it continues the last cue */
            hero__msrt_text(&cur, data, ls, le);
            if (cur.oom) break;
            continue;
        }
        /* a new cue: close the last one, then its text lines until a blank line, a timing
           line, or a number followed by a timing line */
        if (hero__msrt_close(out, &cur) || (rc = hero__msubs_push(out, &cap, t0, t1, NULL)) == HERO_ENOMEM) { cur.oom = 1; break; }
        if (rc) {
            HERO_FREE(cur.s);
            hero_subtitles_free(out);
            return hero__fail(err, rc, "%s:%d: more than %d subtitles", nm, line, HERO_SUBS_MAX_CUES);
        }
        while (pos < len) {
            size_t save = pos, s2, e2, p2;
            double a, z;
            hero__mline(data, len, &pos, &ls, &le);
            if (hero__mblank(data, ls, le)) { line++; break; }
            if (hero__msrt_timing(data, ls, le, &a, &z)) { pos = save; break; }
            if (hero__mdigits(data, ls, le) && pos < len) {
                p2 = pos;
                hero__mline(data, len, &p2, &s2, &e2);
                if (hero__msrt_timing(data, s2, e2, &a, &z)) { pos = save; break; }
            }
            line++;
            hero__msrt_text(&cur, data, ls, le);
        }
        if (cur.oom) break;
    }
    if (cur.oom || hero__msrt_close(out, &cur) || hero__msubs_sort(out)) {
        int n = out->n;
        HERO_FREE(cur.s);
        hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory (%d subtitles)", nm, line, n);
        hero_subtitles_free(out);
        return HERO_ENOMEM; /* non-zero on this path: the caller must not touch *out again */
    }
    return 0;
}

/* The file name without directory and extension. */
static char *hero__mstem(const char *path) {
    const char *b = path, *p, *dot = NULL;
    for (p = path; *p; p++)
        if (*p == '/' || *p == '\\') b = p + 1;
    for (p = b; *p; p++)
        if (*p == '.') dot = p;
    return hero__mstrndup(b, dot && dot > b ? (size_t)(dot - b) : strlen(b));
}

HERODEF int hero_subs_read_srt(hero_subtitles *out, const char *path, hero_error *err) {
    char *buf, *stem;
    size_t n;
    int rc;
    if (out) memset(out, 0, sizeof *out);
    if (!out) return hero__fail(err, HERO_EINVAL, "read_srt: NULL output");
    if ((rc = hero__read_file(path, HERO_SUBS_MAX_FILE, (unsigned char **)&buf, &n, err)) != 0) return rc;
    rc = hero_subs_parse_srt(out, buf, n, path, err);
    HERO_FREE(buf);
    if (rc) return rc;
    if (!(stem = hero__mstem(path))) {
        hero_subtitles_free(out);
        return hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
    }
    HERO_FREE(out->name);
    out->name = stem;
    return 0;
}

/* One JSONL line -> one video. */
static int hero__mjsonl_video(hero_subtitles *v, const hero_json *j, const char *nm, int line, hero_error *err) {
    const hero_json *name, *sub;
    int i, cap = 0;
    memset(v, 0, sizeof *v);
    if (j->type != HERO_JSON_OBJECT)
        return hero__fail(err, HERO_EFORMAT, "%s:%d: expected an object {\"vid_name\": ..., \"sub\": [...]}", nm, line);
    name = hero_json_get(j, "vid_name");
    sub = hero_json_get(j, "sub");
    if (!name || name->type != HERO_JSON_STRING || strlen(name->string) != name->len)
        return hero__fail(err, name ? HERO_EFORMAT : HERO_EMISSING, "%s:%d: key \"vid_name\": expected a string (without NUL), found %s", nm,
                          line, name ? "another type" : "nothing");
    if (!sub || sub->type != HERO_JSON_ARRAY)
        return hero__fail(err, sub ? HERO_EFORMAT : HERO_EMISSING, "%s:%d: video \"%s\": key \"sub\": expected an array, found %s", nm, line,
                          name->string, sub ? "another type" : "nothing");
    if (sub->n > HERO_SUBS_MAX_CUES)
        return hero__fail(err, HERO_ELIMIT, "%s:%d: video \"%s\": %d subtitles, limit %d", nm, line, name->string, sub->n, HERO_SUBS_MAX_CUES);
    if (!(v->name = hero__mstrndup(name->string, name->len))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
    for (i = 0; i < sub->n; i++) {
        const hero_json *e = &sub->items[i], *t, *s0, *s1;
        char *txt;
        if (e->type != HERO_JSON_OBJECT) {
            hero_subtitles_free(v);
            return hero__fail(err, HERO_EFORMAT, "%s:%d: video \"%s\": sub[%d]: expected an object {\"text\", \"start\", \"end\"}", nm, line,
                              name->string, i);
        }
        t = hero_json_get(e, "text");
        s0 = hero_json_get(e, "start");
        s1 = hero_json_get(e, "end");
        if (!t || t->type != HERO_JSON_STRING) {
            hero_subtitles_free(v);
            return hero__fail(err, t ? HERO_EFORMAT : HERO_EMISSING, "%s:%d: video \"%s\": sub[%d].text: expected a string, found %s", nm, line,
                              name->string, i, t ? "another type" : "nothing");
        }
        if (!s0 || s0->type != HERO_JSON_NUMBER || !(fabs(s0->number) <= HERO_SUBS_MAX_TIME) || !s1 ||
            s1->type != HERO_JSON_NUMBER || !(fabs(s1->number) <= HERO_SUBS_MAX_TIME)) {
            hero_subtitles_free(v);
            return hero__fail(err, (s0 && s1) ? HERO_EFORMAT : HERO_EMISSING,
                              "%s:%d: video \"%s\": sub[%d].start / .end: expected numbers of seconds within +-%g, found %s", nm, line,
                              name->string, i, HERO_SUBS_MAX_TIME, (s0 && s1) ? "another value" : "a missing key");
        }
        if (!(txt = hero__mstrndup(t->string, t->len)) || hero__msubs_push(v, &cap, s0->number, s1->number, txt) != 0) {
            hero_subtitles_free(v);
            return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
        }
    }
    if (hero__msubs_sort(v)) {
        hero_subtitles_free(v);
        return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
    }
    return 0;
}

HERODEF int hero_subs_parse_jsonl(hero_subtitles **out, int *n_videos, const char *data, size_t len,
                                  const char *name, hero_error *err) {
    hero_subtitles *list = NULL;
    int n = 0, cap = 0, line = 0, rc;
    size_t pos = 0, ls, le;
    const char *nm = name ? name : "<jsonl>";
    if (out) *out = NULL;
    if (n_videos) *n_videos = 0;
    if (!out || !n_videos || (!data && len)) return hero__fail(err, HERO_EINVAL, "%s: NULL argument", nm);
    if (len > HERO_SUBS_MAX_FILE) return hero__fail(err, HERO_ELIMIT, "%s: %zu bytes, limit %zu", nm, len, HERO_SUBS_MAX_FILE);
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF) pos = 3;
    while (pos < len) {
        hero_json j;
        hero_error je;
        size_t e;
        /* lines end at '\n' only (JSON strings cannot hold a raw newline) */
        ls = pos;
        e = pos;
        while (e < len && data[e] != '\n') e++;
        le = e;
        pos = e < len ? e + 1 : e;
        line++;
        {
            size_t a = ls;
            while (a < le && (hero__mspace(data[a]) || data[a] == '\r')) a++;
            if (a == le) continue;
        }
        if (n == cap) {
            int nc = cap ? 2 * cap : 16;
            hero_subtitles *p;
            if (nc > (1 << 24) || !(p = (hero_subtitles *)HERO_REALLOC(list, (size_t)nc * sizeof(hero_subtitles)))) {
                hero_subs_list_free(list, n);
                return hero__fail(err, nc > (1 << 24) ? HERO_ELIMIT : HERO_ENOMEM, "%s:%d: too many videos (%d)", nm, line, n);
            }
            list = p;
            cap = nc;
        }
        memset(&je, 0, sizeof je);
        if ((rc = hero_json_parse(data + ls, le - ls, &j, &je)) != 0) {
            hero_subs_list_free(list, n);
            return hero__fail(err, rc, "%s:%d: not a JSON line: %s", nm, line, je.msg);
        }
        rc = hero__mjsonl_video(&list[n], &j, nm, line, err);
        hero_json_free(&j);
        if (rc) {
            hero_subs_list_free(list, n);
            return rc;
        }
        n++;
    }
    *out = list;
    *n_videos = n;
    return 0;
}

HERODEF int hero_subs_read_jsonl(hero_subtitles **out, int *n_videos, const char *path, hero_error *err) {
    char *buf;
    size_t n;
    int rc;
    if (out) *out = NULL;
    if (n_videos) *n_videos = 0;
    if ((rc = hero__read_file(path, HERO_SUBS_MAX_FILE, (unsigned char **)&buf, &n, err)) != 0) return rc;
    rc = hero_subs_parse_jsonl(out, n_videos, buf, n, path, err);
    HERO_FREE(buf);
    return rc;
}

/* ======================================================================================
   Alignment (prepro_sub.py process_single_vid_sub + data.py compute_sub2frames)
   ====================================================================================== */

/* numpy / Python scalar arithmetic of temporal_iou: a value and its type, because the
   official code mixes Python ints with np.float32 (numpy 1.x: float32 op float32 stays
   float32, anything with a Python number becomes float64). */
typedef struct hero__mnum { double v; int t; } hero__mnum; /* t: 0 Python int, 1 np.float32, 2 float64 */

static hero__mnum hero__mn(double v, int t) { hero__mnum r; r.v = v; r.t = t; return r; }
static hero__mnum hero__mn_min(hero__mnum a, hero__mnum b) { return b.v < a.v ? b : a; } /* Python min(a, b) */
static hero__mnum hero__mn_max(hero__mnum a, hero__mnum b) { return b.v > a.v ? b : a; }
static hero__mnum hero__mn_sub(hero__mnum a, hero__mnum b) {
    if (a.t == 1 && b.t == 1) { float x = (float)a.v, y = (float)b.v, z = x - y; return hero__mn((double)z, 1); }
    return hero__mn(a.v - b.v, a.t == 0 && b.t == 0 ? 0 : 2);
}
static double hero__mn_div(hero__mnum a, hero__mnum b) {
    if (a.t == 1 && b.t == 1) { float x = (float)a.v, y = (float)b.v, z = x / y; return (double)z; }
    return a.v / b.v;
}

/* temporal_iou([f, f+1], [ts, te]) with ts, te float32 */
static double hero__miou(int f, float ts, float te) {
    hero__mnum s1 = hero__mn((double)f, 0), e1 = hero__mn((double)f + 1, 0);
    hero__mnum s2 = hero__mn((double)ts, 1), e2 = hero__mn((double)te, 1);
    hero__mnum min_st = hero__mn_min(s1, s2), max_st = hero__mn_max(s1, s2);
    hero__mnum min_ed = hero__mn_min(e1, e2), max_ed = hero__mn_max(e1, e2);
    if (min_ed.v <= max_st.v) return 0.0;
    return hero__mn_div(hero__mn_sub(min_ed, max_st), hero__mn_sub(max_ed, min_st));
}

HERODEF void hero_sub_frames_free(hero_sub_frames *a) {
    if (!a) return;
    HERO_FREE(a->nframes);
    HERO_FREE(a->frames);
    memset(a, 0, sizeof *a);
}

#define HERO__MALIGN_MAX_WORK 2000000000.0 /* frame x subtitle checks allowed for one video */

HERODEF int hero_subs_align(const hero_subtitles *subs, int n_frames, double frame_len, int max_frames,
                            hero_sub_frames *out, hero_error *err) {
    int S = subs ? subs->n : 0, T = n_frames, Tc, i, f, rows, cut = 0, total = 0;
    int32_t *owner = NULL, *cnt = NULL, *a = NULL, *b = NULL;
    double *best = NULL, work = 0;
    const char *nm = subs && subs->name ? subs->name : "video";
    if (!out) return hero__fail(err, HERO_EINVAL, "subs_align: NULL output");
    memset(out, 0, sizeof *out);
    if (n_frames < 1 || n_frames > 0x3fffffff || !(frame_len >= 1e-6) || !(frame_len < 1e6) || (subs && (S < 0 || (S > 0 && !subs->subs))))
        return hero__fail(err, HERO_EINVAL, "%s: align: n_frames %d (need >= 1), frame_len %g (need 1e-6..1e6 s), %d subtitles", nm, n_frames,
                          frame_len, S);
    Tc = max_frames > 0 && T > max_frames ? max_frames : T;
    out->T = Tc;
    owner = (int32_t *)HERO_MALLOC((size_t)T * sizeof(int32_t));
    best = (double *)HERO_MALLOC((size_t)T * sizeof(double));
    cnt = (int32_t *)HERO_MALLOC(((size_t)(S > 0 ? S : (T + 4) / 5) + 1) * sizeof(int32_t));
    a = (int32_t *)HERO_MALLOC(((size_t)S + 1) * sizeof(int32_t));
    b = (int32_t *)HERO_MALLOC(((size_t)S + 1) * sizeof(int32_t));
    if (!owner || !best || !cnt || !a || !b) goto oom;
    for (f = 0; f < T; f++) owner[f] = -1, best[f] = 0;
    if (S == 0) {
        /* pseudo-subtitles: empty text over [0,5), [5,10), ... */
        out->pseudo = 1;
        for (f = 0; f < T; f++) owner[f] = f / 5;
        S = (T + 4) / 5;
    } else {
        float flf = (float)frame_len;
        double vid_end = frame_len * (double)T;
        /* candidate frames [a, b) of each subtitle (float32 times, numpy's floor / ceil),
           clamped to [-1, T] once the 11-frame rule is applied (only frames 0..T-1 matter) */
        for (i = 0; i < S; i++) {
            double st = subs->subs[i].start, ed = subs->subs[i].end;
            float st32, ed32, ts, te;
            double lo, hi;
            if (!(fabs(st) <= HERO_SUBS_MAX_TIME) || !(fabs(ed) <= HERO_SUBS_MAX_TIME)) {
                HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
                return hero__fail(err, HERO_EINVAL, "%s: subtitle %d: start %g, end %g: expected seconds within +-%g", nm, i, st, ed,
                                  HERO_SUBS_MAX_TIME);
            }
            st32 = (float)st;
            ed32 = (float)ed;
            ts = st32 / flf;
            te = ed32 / flf;
            lo = floor((double)ts);
            hi = ceil((double)te);
            if ((double)st32 >= vid_end) hi = lo; /* starts at or after the video end: dropped */
            else if (i == S - 1) {
                /* duration = min(end, fl*T) - start: float32 - float32, or float64 - float32 */
                double dur;
                if (vid_end < (double)ed32) dur = vid_end - (double)st32;
                else { float d32 = ed32 - st32; dur = (double)d32; }
                if (dur > 16 && hi - lo > 11) hi = lo + 11;
            }
            if (lo < -1) lo = -1;
            if (lo > T) lo = T;
            if (hi < -1) hi = -1;
            if (hi > T) hi = T;
            a[i] = (int32_t)lo;
            b[i] = (int32_t)hi;
            if (b[i] > a[i]) work += b[i] - (a[i] > 0 ? a[i] : 0);
        }
        if (work > HERO__MALIGN_MAX_WORK) {
            HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
            return hero__fail(err, HERO_ELIMIT, "%s: aligning %d subtitles to %d frames needs %.0f checks, limit %.0f", nm, S, T, work,
                              HERO__MALIGN_MAX_WORK);
        }
        /* each frame: the candidate subtitle with the highest IoU, first on ties; all 0 -> subtitle 0 */
        for (i = 0; i < S; i++) {
            float ts = (float)subs->subs[i].start / (float)frame_len, te = (float)subs->subs[i].end / (float)frame_len;
            int lo2 = a[i] > 0 ? a[i] : 0, hi2 = b[i] < T ? b[i] : T;
            for (f = lo2; f < hi2; f++) {
                double iou = hero__miou(f, ts, te);
                if (owner[f] < 0) owner[f] = 0;
                if (iou > best[f]) { best[f] = iou; owner[f] = i; }
            }
        }
    }
    /* rows: frames per subtitle (all of them in b, those below the cut in cnt), then the cut:
       rows until the first one reaching past Tc (kept if it has frames below it) */
    if (out->pseudo) {
        HERO_FREE(b);
        if (!(b = (int32_t *)HERO_MALLOC(((size_t)S + 1) * sizeof(int32_t)))) goto oom;
    }
    for (i = 0; i < S; i++) cnt[i] = 0, b[i] = 0;
    for (f = 0; f < T; f++)
        if (owner[f] >= 0) {
            b[owner[f]]++;
            if (f < Tc) cnt[owner[f]]++;
        }
    rows = 0;
    for (i = 0; i < S && !cut; i++) {
        if (cnt[i] < b[i]) cut = 1;
        if (cnt[i] > 0 || b[i] == 0) { rows = i + 1; total += cnt[i]; }
        else break;
    }
    out->n_rows = rows;
    out->nframes = (int32_t *)HERO_MALLOC(((size_t)rows + 1) * sizeof(int32_t));
    out->frames = (int32_t *)HERO_MALLOC(((size_t)total + 1) * sizeof(int32_t));
    if (!out->nframes || !out->frames) goto oom;
    {
        /* offsets per row, then frames in ascending order */
        int32_t *off = a; /* reuse: S + 1 >= rows + 1 entries when S > 0 */
        int32_t *tmp = NULL;
        if (out->pseudo) {
            tmp = (int32_t *)HERO_MALLOC(((size_t)rows + 1) * sizeof(int32_t));
            if (!tmp) goto oom;
            off = tmp;
        }
        off[0] = 0;
        for (i = 0; i < rows; i++) { out->nframes[i] = cnt[i]; off[i + 1] = off[i] + cnt[i]; }
        for (f = 0; f < Tc; f++) {
            int o = owner[f];
            if (o >= 0 && o < rows) out->frames[off[o]++] = f;
        }
        HERO_FREE(tmp);
    }
    HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
    return 0;
oom:
    HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
    hero_sub_frames_free(out);
    return hero__fail(err, HERO_ENOMEM, "%s: align: out of memory (%d subtitles, %d frames)", nm, S, T);
}

/* ======================================================================================
   Video features
   ====================================================================================== */

HERODEF void hero_feats_free(hero_feats *f) {
    if (!f) return;
    HERO_FREE(f->data);
    memset(f, 0, sizeof *f);
}

/* Opens a feature file and reads its [T, D] float array (D == want unless want <= 0). */
static int hero__mfeat_load(const char *path, int want, int prejoined, float **data, int *T, int *D, hero_error *err) {
    hero_tensorfile tf;
    const hero_tensor_info *t = NULL;
    int64_t n;
    int rc;
    *data = NULL;
    *T = *D = 0;
    if ((rc = hero_npz_open(&tf, path, err)) != 0) return rc;
    if (tf.format == HERO_FMT_NPY) t = tf.n_tensors == 1 ? &tf.tensors[0] : NULL;
    else {
        t = hero_tensorfile_find(&tf, "features");
        if (!t && prejoined && tf.n_tensors == 1) t = &tf.tensors[0];
    }
    if (!t) {
        const char *first = tf.n_tensors > 0 && tf.tensors ? tf.tensors[0].name : NULL;
        rc = hero__fail(err, HERO_EMISSING, "%s: no array \"features\" (expected an .npz member features.npy of shape [T, %d]; found %d arrays%s%s)",
                        path, want, tf.n_tensors, first ? ", the first named " : "", first ? first : "");
        goto done;
    }
    if (t->dtype != HERO_F32 && t->dtype != HERO_F16 && t->dtype != HERO_F64 && t->dtype != HERO_BF16) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: \"features\" has dtype %s, expected f16 or f32", path, hero_dtype_name(t->dtype));
        goto done;
    }
    if (t->ndim != 2 || t->shape[0] < 1 || t->shape[1] < 1 || t->shape[0] > 0x3fffffff || t->shape[1] > 0x3fffffff ||
        (want > 0 && t->shape[1] != want)) {
        char shp[96];
        int k, o = 0;
        shp[0] = 0;
        for (k = 0; k < t->ndim && k < 4; k++)
            o += snprintf(shp + o, sizeof shp - (size_t)o, "%s%lld", k ? ", " : "", (long long)t->shape[k]);
        if (want > 0)
            rc = hero__fail(err, HERO_ESHAPE, "%s: \"features\" has shape [%s], expected [T >= 1, %d]", path, shp, want);
        else
            rc = hero__fail(err, HERO_ESHAPE, "%s: \"features\" has shape [%s], expected [T >= 1, F >= 1]", path, shp);
        goto done;
    }
    n = hero_tensor_numel(t);
    if (n <= 0 || (uint64_t)n > (uint64_t)(SIZE_MAX / sizeof(float))) {
        rc = hero__fail(err, HERO_ELIMIT, "%s: \"features\" is too large", path);
        goto done;
    }
    *data = (float *)HERO_MALLOC((size_t)n * sizeof(float));
    if (!*data) { rc = hero__fail(err, HERO_ENOMEM, "%s: cannot allocate %lld floats", path, (long long)n); goto done; }
    if ((rc = hero_tensor_read_f32(t, *data, n, err)) != 0) { HERO_FREE(*data); *data = NULL; goto done; }
    *T = (int)t->shape[0];
    *D = (int)t->shape[1];
done:
    hero_tensorfile_close(&tf);
    return rc;
}

/* First non-finite value among the first T rows, or -1. */
static int64_t hero__mfeat_nonfinite(const float *x, int T, int D) {
    int64_t i, n = (int64_t)T * D;
    for (i = 0; i < n; i++)
        if (!(x[i] - x[i] == 0.0f)) return i;
    return -1;
}

static int hero__mfeat_bad(const char *path, const float *x, int64_t at, int D, hero_error *err) {
    return hero__fail(err, HERO_ENUMERIC, "%s: features[%lld][%lld] is %s, expected finite values", path, (long long)(at / D),
                      (long long)(at % D), x[at] != x[at] ? "NaN" : "Inf");
}

HERODEF int hero_feats_read_pair(hero_feats *out, const char *resnet_path, const char *slowfast_path,
                                 int dim_resnet, int dim_slowfast, int max_frames, hero_error *err) {
    float *r = NULL, *s = NULL;
    int Tr, Ts, Dr, Ds, T, t, rc;
    int64_t bad;
    if (!out) return hero__fail(err, HERO_EINVAL, "feats_read_pair: NULL output");
    memset(out, 0, sizeof *out);
    if (!resnet_path || !slowfast_path || dim_resnet < 1 || dim_slowfast < 1 || dim_resnet > 0x3fffffff - dim_slowfast)
        return hero__fail(err, HERO_EINVAL, "feats_read_pair: need two paths and widths >= 1 (got %d, %d)", dim_resnet, dim_slowfast);
    if ((rc = hero__mfeat_load(resnet_path, dim_resnet, 0, &r, &Tr, &Dr, err)) != 0) return rc;
    if ((rc = hero__mfeat_load(slowfast_path, dim_slowfast, 0, &s, &Ts, &Ds, err)) != 0) { HERO_FREE(r); return rc; }
    out->T_full = Tr < Ts ? Tr : Ts;
    T = max_frames > 0 && out->T_full > max_frames ? max_frames : out->T_full;
    if ((bad = hero__mfeat_nonfinite(r, T, Dr)) >= 0) rc = hero__mfeat_bad(resnet_path, r, bad, Dr, err);
    else if ((bad = hero__mfeat_nonfinite(s, T, Ds)) >= 0) rc = hero__mfeat_bad(slowfast_path, s, bad, Ds, err);
    else if ((uint64_t)T * (uint64_t)(Dr + Ds) > (uint64_t)(SIZE_MAX / sizeof(float)) ||
             !(out->data = (float *)HERO_MALLOC((size_t)T * (size_t)(Dr + Ds) * sizeof(float))))
        rc = hero__fail(err, HERO_ENOMEM, "%s: cannot allocate %d x %d floats", resnet_path, T, Dr + Ds);
    if (rc) { HERO_FREE(r); HERO_FREE(s); memset(out, 0, sizeof *out); return rc; }
    for (t = 0; t < T; t++) {
        memcpy(out->data + (size_t)t * (size_t)(Dr + Ds), r + (size_t)t * (size_t)Dr, (size_t)Dr * sizeof(float));
        memcpy(out->data + (size_t)t * (size_t)(Dr + Ds) + Dr, s + (size_t)t * (size_t)Ds, (size_t)Ds * sizeof(float));
    }
    out->T = T;
    out->F = Dr + Ds;
    HERO_FREE(r);
    HERO_FREE(s);
    return 0;
}

HERODEF int hero_feats_read(hero_feats *out, const char *path, int F, int max_frames, hero_error *err) {
    float *x = NULL;
    int T, D, rc;
    int64_t bad;
    if (!out) return hero__fail(err, HERO_EINVAL, "feats_read: NULL output");
    memset(out, 0, sizeof *out);
    if ((rc = hero__mfeat_load(path, F, 1, &x, &T, &D, err)) != 0) return rc;
    out->T_full = T;
    if (max_frames > 0 && T > max_frames) T = max_frames;
    if ((bad = hero__mfeat_nonfinite(x, T, D)) >= 0) {
        rc = hero__mfeat_bad(path, x, bad, D, err);
        HERO_FREE(x);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->T = T;
    out->F = D;
    out->data = x; /* rows past T stay allocated but unused */
    return 0;
}

/* ======================================================================================
   One video: features + aligned, tokenized subtitles
   ====================================================================================== */

HERODEF hero_media_options hero_media_options_default(void) {
    hero_media_options o;
    o.frame_len = 1.5;
    o.max_frames = 100;
    o.max_sub_tokens = 60;
    return o;
}

HERODEF void hero_video_data_free(hero_video_data *v) {
    if (!v) return;
    HERO_FREE(v->feats);
    HERO_FREE(v->sub_len);
    HERO_FREE(v->sub_tokens);
    HERO_FREE(v->sub_nframes);
    HERO_FREE(v->sub_frames);
    memset(v, 0, sizeof *v);
}

#ifndef HERO_NO_TOKENIZER /* the subtitles are tokenized */
HERODEF int hero_video_prepare(hero_video_data *out, const hero_feats *feats, const hero_subtitles *subs,
                               const hero_tokenizer *tok, const hero_media_options *o, hero_error *err) {
    hero_sub_frames al;
    hero__mbuf toks;
    int i, rc, nfr = 0;
    size_t nbytes;
    const char *nm = subs && subs->name ? subs->name : "video";
    if (!out) return hero__fail(err, HERO_EINVAL, "video_prepare: NULL output");
    memset(out, 0, sizeof *out);
    if (!feats || !feats->data || !o || feats->T < 1 || feats->F < 1 || feats->T_full < feats->T ||
        feats->T != (o->max_frames > 0 && feats->T_full > o->max_frames ? o->max_frames : feats->T_full))
        return hero__fail(err, HERO_EINVAL, "%s: video_prepare: features T %d of %d (max_frames %d) do not fit", nm, feats ? feats->T : 0,
                          feats ? feats->T_full : 0, o ? o->max_frames : 0);
    if (subs && subs->n > 0 && !tok) return hero__fail(err, HERO_EINVAL, "%s: video_prepare: subtitles need a tokenizer", nm);
    if ((rc = hero_subs_align(subs, feats->T_full, o->frame_len, o->max_frames, &al, err)) != 0) return rc;
    memset(&toks, 0, sizeof toks);
    out->pseudo = al.pseudo;
    nbytes = (size_t)feats->T * (size_t)feats->F * sizeof(float);
    out->feats = (float *)HERO_MALLOC(nbytes);
    out->sub_len = (int32_t *)HERO_MALLOC(((size_t)al.n_rows + 1) * sizeof(int32_t));
    out->sub_nframes = (int32_t *)HERO_MALLOC(((size_t)al.n_rows + 1) * sizeof(int32_t));
    for (i = 0; i < al.n_rows; i++) nfr += al.nframes[i];
    out->sub_frames = (int32_t *)HERO_MALLOC(((size_t)nfr + 1) * sizeof(int32_t));
    if (!out->feats || !out->sub_len || !out->sub_nframes || !out->sub_frames) goto oom;
    memcpy(out->feats, feats->data, nbytes);
    memcpy(out->sub_nframes, al.nframes, (size_t)al.n_rows * sizeof(int32_t));
    memcpy(out->sub_frames, al.frames, (size_t)nfr * sizeof(int32_t));
    for (i = 0; i < al.n_rows; i++) {
        char *norm = NULL;
        size_t nl = 0;
        int32_t stackbuf[64], *ids = stackbuf;
        int n;
        out->sub_len[i] = 0;
        if (al.pseudo || !subs) continue; /* no subtitles (subs NULL or empty): pseudo-subtitles, no text */
        if ((rc = hero_text_normalize(subs->subs[i].text, strlen(subs->subs[i].text), 1, &norm, &nl, err)) != 0) goto fail;
        n = hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, ids, 64, err);
        if (n > 64) {
            ids = (int32_t *)HERO_MALLOC((size_t)n * sizeof(int32_t));
            if (!ids) { HERO_FREE(norm); goto oom; }
            n = hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, ids, n, err);
        }
        HERO_FREE(norm);
        if (n < 0) {
            if (ids != stackbuf) HERO_FREE(ids);
            rc = n;
            goto fail;
        }
        if (o->max_sub_tokens > 0 && n > o->max_sub_tokens) { n = o->max_sub_tokens; out->n_tokens_cut++; }
        hero__mbuf_put(&toks, (const char *)ids, (size_t)n * sizeof(int32_t));
        if (ids != stackbuf) HERO_FREE(ids);
        out->sub_len[i] = n;
        if (toks.oom) goto oom;
    }
    out->sub_tokens = (int32_t *)hero__mbuf_take(&toks, NULL); /* bytes of int32 ids (malloc'd: aligned) */
    if (!out->sub_tokens) goto oom;
    out->video.T = feats->T;
    out->video.F = feats->F;
    out->video.feats = out->feats;
    out->video.n_subs = al.n_rows;
    out->video.sub_len = out->sub_len;
    out->video.sub_tokens = out->sub_tokens;
    out->video.sub_nframes = out->sub_nframes;
    out->video.sub_frames = out->sub_frames;
    hero_sub_frames_free(&al);
    return 0;
oom:
    rc = hero__fail(err, HERO_ENOMEM, "%s: video_prepare: out of memory", nm);
fail:
    HERO_FREE(toks.s);
    hero_sub_frames_free(&al);
    hero_video_data_free(out);
    return rc;
}
#endif

/* ======================================================================================
   VCMR ranking (eval_vcmr.py validate_full_vcmr)
   ====================================================================================== */

HERODEF hero_vcmr_options hero_vcmr_options_default(void) {
    hero_vcmr_options o;
    o.q2c_alpha = 20.0f;
    o.max_vcmr_video = 100;
    o.min_pred_l = 2;
    o.max_pred_l = 16;
    return o;
}

/* softmax over n in place (torch order: max-subtracted exp, sum, divide) */
static void hero__msoftmax(float *x, int n) {
    int i;
    float mx = x[0], s = 0;
    for (i = 1; i < n; i++) if (x[i] > mx) mx = x[i];
    for (i = 0; i < n; i++) { x[i] = expf(x[i] - mx); s += x[i]; }
    for (i = 0; i < n; i++) x[i] /= s;
}

typedef struct hero__mcand { float score; int rank, st, ed; } hero__mcand;

static int hero__mcand_cmp(const void *pa, const void *pb) {
    const hero__mcand *a = (const hero__mcand *)pa, *b = (const hero__mcand *)pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->st != b->st) return a->st < b->st ? -1 : 1;
    return a->ed < b->ed ? -1 : (a->ed > b->ed);
}

HERODEF int hero_vcmr_rank(const float *q2video, const float *st, const float *ed, int B, int L,
                           const hero_vcmr_options *o, int best_per_video, hero_moment *out, int max_out,
                           hero_error *err) {
    int *order = NULL, nv, i, j, m, n, rc = 0, count = 0;
    float *vs = NULL, *ps = NULL, *pe = NULL;
    hero__mcand *cand = NULL;
    size_t nc = 0, capc = 0;
    if (!q2video || !st || !ed || !o || B < 1 || L < 1 || B > 0x3fffffff / L || max_out < 0 || (max_out > 0 && !out) ||
        o->min_pred_l < 0 || o->max_pred_l <= o->min_pred_l)
        return hero__fail(err, HERO_EINVAL, "vcmr_rank: bad arguments (B %d, L %d, max_out %d, min_pred_l %d, max_pred_l %d)", B, L, max_out,
                          o ? o->min_pred_l : 0, o ? o->max_pred_l : 0);
    nv = o->max_vcmr_video > 0 && o->max_vcmr_video < B ? o->max_vcmr_video : B;
    order = (int *)HERO_MALLOC((size_t)B * sizeof(int));
    vs = (float *)HERO_MALLOC((size_t)B * sizeof(float));
    ps = (float *)HERO_MALLOC((size_t)L * sizeof(float));
    pe = (float *)HERO_MALLOC((size_t)L * sizeof(float));
    if (!order || !vs || !ps || !pe) { rc = hero__fail(err, HERO_ENOMEM, "vcmr_rank: out of memory"); goto done; }
    for (i = 0; i < B; i++) { vs[i] = expf(o->q2c_alpha * q2video[i]); order[i] = i; }
    /* top videos by exp(alpha * score), ties: lower index (insertion sort on the first nv) */
    for (i = 0; i < nv; i++) {
        int bi = i;
        for (j = i + 1; j < B; j++)
            if (vs[order[j]] > vs[order[bi]] || (vs[order[j]] == vs[order[bi]] && order[j] < order[bi])) bi = j;
        if (bi != i) { int t = order[i]; order[i] = order[bi]; order[bi] = t; }
    }
    for (i = 0; i < nv; i++) {
        int v = order[i];
        hero__mcand bestc;
        bestc.score = 0;
        bestc.rank = i;
        bestc.st = bestc.ed = -1;
        memcpy(ps, st + (size_t)v * (size_t)L, (size_t)L * sizeof(float));
        memcpy(pe, ed + (size_t)v * (size_t)L, (size_t)L * sizeof(float));
        hero__msoftmax(ps, L);
        hero__msoftmax(pe, L);
        for (m = 0; m < L; m++) {
            float a = ps[m] * vs[v];
            int n1 = m + o->max_pred_l - 1 < L - 1 ? m + o->max_pred_l - 1 : L - 1;
            for (n = m + o->min_pred_l; n <= n1; n++) {
                float s = a * pe[n];
                if (!(s > 0)) continue;
                if (best_per_video) {
                    if (s > bestc.score) { bestc.score = s; bestc.st = m; bestc.ed = n; }
                    continue;
                }
                if (nc == capc) {
                    size_t c2 = capc ? 2 * capc : 1024;
                    hero__mcand *p = (hero__mcand *)HERO_REALLOC(cand, c2 * sizeof(hero__mcand));
                    if (!p) { rc = hero__fail(err, HERO_ENOMEM, "vcmr_rank: out of memory (%zu moments)", nc); goto done; }
                    cand = p;
                    capc = c2;
                }
                cand[nc].score = s; cand[nc].rank = i; cand[nc].st = m; cand[nc].ed = n;
                nc++;
            }
        }
        if (best_per_video && bestc.st >= 0) {
            if (nc == capc) {
                size_t c2 = capc ? 2 * capc : 64;
                hero__mcand *p = (hero__mcand *)HERO_REALLOC(cand, c2 * sizeof(hero__mcand));
                if (!p) { rc = hero__fail(err, HERO_ENOMEM, "vcmr_rank: out of memory"); goto done; }
                cand = p;
                capc = c2;
            }
            cand[nc++] = bestc;
        }
    }
    if (nc) qsort(cand, nc, sizeof(hero__mcand), hero__mcand_cmp);
    for (i = 0; (size_t)i < nc && count < max_out; i++) {
        hero_moment *mo = &out[count++];
        mo->video = order[cand[i].rank];
        mo->st = cand[i].st;
        mo->ed = cand[i].ed;
        mo->score = cand[i].score;
        mo->video_score = q2video[mo->video];
    }
    rc = count;
done:
    HERO_FREE(order);
    HERO_FREE(vs);
    HERO_FREE(ps);
    HERO_FREE(pe);
    HERO_FREE(cand);
    return rc;
}

/* ======================================================================================
   The official retrieval metrics (utils/tvr_eval_utils.py, utils/tvr_standalone_eval.py)
   ====================================================================================== */

HERODEF void hero_tvr_sub_free(hero_tvr_sub *s) {
    if (!s) return;
    HERO_FREE(s->pred);
    HERO_FREE(s->n);
    HERO_FREE(s->qidx);
    memset(s, 0, sizeof(*s));
}

HERODEF int hero_tvr_sub_init(hero_tvr_sub *s, int n_queries, int k, hero_error *err) {
    size_t i, rows;
    if (!s) return hero__fail(err, HERO_EINVAL, "tvr_sub_init: NULL submission");
    memset(s, 0, sizeof(*s));
    if (n_queries < 0 || k < 0 || k > HERO_TVR_MAX_ROWS)
        return hero__fail(err, HERO_EINVAL, "tvr_sub_init: %d queries of %d rows (expected >= 0 queries, 0..%d rows)",
                          n_queries, k, HERO_TVR_MAX_ROWS);
    rows = (size_t)n_queries * (size_t)k;
    if (rows > ((size_t)1 << 28)) return hero__fail(err, HERO_ELIMIT, "tvr_sub_init: %d queries x %d rows is too many", n_queries, k);
    s->pred = (double *)HERO_MALLOC((rows ? rows : 1) * 4 * sizeof(double));
    s->n = (int32_t *)HERO_MALLOC((size_t)(n_queries ? n_queries : 1) * sizeof(int32_t));
    s->qidx = (int32_t *)HERO_MALLOC((size_t)(n_queries ? n_queries : 1) * sizeof(int32_t));
    if (!s->pred || !s->n || !s->qidx) {
        hero_tvr_sub_free(s);
        return hero__fail(err, HERO_ENOMEM, "tvr_sub_init: out of memory (%d queries x %d rows)", n_queries, k);
    }
    s->n_queries = n_queries;
    s->k = k;
    for (i = 0; i < rows; i++) { s->pred[4 * i] = -1; s->pred[4 * i + 1] = s->pred[4 * i + 2] = s->pred[4 * i + 3] = 0; }
    for (i = 0; i < (size_t)n_queries; i++) { s->n[i] = 0; s->qidx[i] = (int32_t)i; }
    return 0;
}

/* the structure of a submission: counts within capacity, arrays present */
static int hero__tvr_sub_check(const hero_tvr_sub *s, const char *fn, hero_error *err) {
    int q;
    if (!s || s->n_queries < 0 || s->k < 0 || s->k > HERO_TVR_MAX_ROWS || (s->n_queries && (!s->n || !s->qidx || !s->pred)))
        return hero__fail(err, HERO_EINVAL, "%s: not a submission (hero_tvr_sub_init makes one)", fn);
    for (q = 0; q < s->n_queries; q++)
        if (s->n[q] < 0 || s->n[q] > s->k)
            return hero__fail(err, HERO_EINVAL, "%s: query %d has %d rows (capacity %d)", fn, q, (int)s->n[q], s->k);
    return 0;
}

HERODEF int hero_tvr_sub_add(hero_tvr_sub *s, hero_tvr_task task, int q, int64_t video_id, int st, int ed,
                             float score, double interval, hero_error *err) {
    double *r;
    int rc = hero__tvr_sub_check(s, "tvr_sub_add", err);
    if (rc) return rc;
    if (q < 0 || q >= s->n_queries) return hero__fail(err, HERO_EINVAL, "tvr_sub_add: query %d of %d", q, s->n_queries);
    if ((int)task < HERO_TVR_VCMR || (int)task > HERO_TVR_VR) return hero__fail(err, HERO_EINVAL, "tvr_sub_add: task %d", (int)task);
    if (s->n[q] >= s->k) return hero__fail(err, HERO_ELIMIT, "tvr_sub_add: query %d already has its %d rows", q, s->k);
    if (task != HERO_TVR_VR && (st < 0 || ed < 0 || st >= (1 << 24) || ed >= (1 << 24) || !(interval > 0 && interval < 1e6)))
        return hero__fail(err, HERO_EINVAL, "tvr_sub_add: frames %d..%d, interval %g (expected 0 <= frame < 2^24, 0 < interval < 1e6)",
                          st, ed, interval);
    r = s->pred + ((size_t)q * (size_t)s->k + (size_t)s->n[q]) * 4;
    r[0] = (double)video_id;
    if (task == HERO_TVR_VCMR) {
        /* numpy: float32 indices times a Python float stay float32 */
        float fi = (float)interval, a = (float)st * fi, b = (float)ed * fi;
        b = b + fi;
        r[1] = (double)a;
        r[2] = (double)b;
    } else if (task == HERO_TVR_SVMR) {
        r[1] = (double)st * interval; /* the float64 triples of top_n_array_2d */
        r[2] = (double)(ed + 1) * interval;
    } else {
        r[1] = r[2] = 0;
    }
    r[3] = (double)score;
    s->n[q]++;
    return 0;
}

HERODEF int hero_tvr_sub_add_flat(hero_tvr_sub *s, int q, const int64_t *flat_idx, const float *scores, int n,
                                  const int32_t *top_videos, int n_top, int max_vcmr_video, int max_clip_len,
                                  const int64_t *video_ids, int n_videos, double interval, hero_error *err) {
    int j, rc;
    int64_t cube, plane;
    if (n < 0 || (n > 0 && (!flat_idx || !scores || !top_videos || !video_ids)) || n_top < 0 || n_videos < 0 ||
        max_vcmr_video < 1 || max_clip_len < 1 || max_clip_len > (1 << 20) || max_vcmr_video > (1 << 20))
        return hero__fail(err, HERO_EINVAL, "tvr_sub_add_flat: bad arguments (%d rows, %d top videos, %d videos, cube %d x %d x %d)",
                          n, n_top, n_videos, max_vcmr_video, max_clip_len, max_clip_len);
    plane = (int64_t)max_clip_len * max_clip_len;
    cube = plane * max_vcmr_video;
    for (j = 0; j < n; j++) {
        int64_t f = flat_idx[j], rank, v;
        int st, ed;
        if (f < 0 || f >= cube)
            return hero__fail(err, HERO_EINVAL, "tvr_sub_add_flat: query %d row %d: flat index %lld outside the %d x %d x %d cube", q, j,
                              (long long)f, max_vcmr_video, max_clip_len, max_clip_len);
        rank = f / plane;
        st = (int)((f % plane) / max_clip_len);
        ed = (int)(f % max_clip_len);
        if (rank >= n_top)
            return hero__fail(err, HERO_EINVAL, "tvr_sub_add_flat: query %d row %d: video rank %lld but %d top videos", q, j,
                              (long long)rank, n_top);
        v = top_videos[rank];
        if (v < 0 || v >= n_videos)
            return hero__fail(err, HERO_EINVAL, "tvr_sub_add_flat: query %d row %d: video %lld of %d", q, j, (long long)v, n_videos);
        if ((rc = hero_tvr_sub_add(s, HERO_TVR_VCMR, q, video_ids[v], st, ed, scores[j], interval, err))) return rc;
    }
    return 0;
}

HERODEF int hero_tvr_sub_cut(hero_tvr_sub *s, int max_rows, hero_error *err) {
    int q, k2, rc = hero__tvr_sub_check(s, "tvr_sub_cut", err);
    size_t j;
    if (rc) return rc;
    if (max_rows < 1) return hero__fail(err, HERO_EINVAL, "tvr_sub_cut: keep %d rows (expected >= 1)", max_rows);
    if (max_rows >= s->k) return 0;
    k2 = max_rows;
    for (q = 0; q < s->n_queries; q++) {
        /* rows move to the narrower layout in order: row (q, j) lands at or before where it was */
        memmove(s->pred + (size_t)q * (size_t)k2 * 4, s->pred + (size_t)q * (size_t)s->k * 4, (size_t)k2 * 4 * sizeof(double));
        if (s->n[q] > k2) s->n[q] = k2;
    }
    s->k = k2;
    for (j = 0; j < (size_t)s->n_queries * (size_t)k2; j++)
        if ((int)(j % (size_t)k2) >= s->n[j / (size_t)k2]) {
            double *r = s->pred + 4 * j;
            r[0] = -1; r[1] = r[2] = r[3] = 0;
        }
    return 0;
}

/* compute_temporal_iou (float64, Python's max / min: the first argument unless the second is
   strictly larger / smaller) */
static double hero__tvr_iou64(double ps, double pe, double gs, double ge) {
    double lo = gs > ps ? gs : ps, hi = ge < pe ? ge : pe, inter = hi - lo, uhi = ge > pe ? ge : pe, ulo = gs < ps ? gs : ps;
    double uni = uhi - ulo;
    if (!(inter > 0)) inter = 0; /* max(0, x): 0 unless x > 0 */
    if (uni == 0) return 0;
    return inter / uni;
}

/* temporal_non_maximum_suppression on rows r[i*stride + 0..2] = (st, ed, score) (n rows); writes
   the kept rows' indices into keep (at most 100) and returns their count. idx: n ints scratch */
static int hero__tvr_temporal_nms(const double *r, int stride, int n, double thd, int *idx, int *keep) {
    int i, j, m, nk = 0;
    if (n == 1) { keep[0] = 0; return 1; }
    for (i = 0; i < n; i++) idx[i] = i;
    /* stable sort by score, descending (insertion sort: n <= max_before_nms rows) */
    for (i = 1; i < n; i++) {
        int v = idx[i];
        double sv = r[(size_t)v * stride + 2];
        for (j = i; j > 0 && r[(size_t)idx[j - 1] * stride + 2] < sv; j--) idx[j] = idx[j - 1];
        idx[j] = v;
    }
    m = n;
    while (m > 1 && nk < 100) {
        const double *a = r + (size_t)idx[0] * stride;
        int w = 1;
        for (i = 1; i < m; i++) {
            const double *b = r + (size_t)idx[i] * stride;
            if (!(hero__tvr_iou64(a[0], a[1], b[0], b[1]) > thd)) idx[w++] = idx[i];
        }
        keep[nk++] = idx[0];
        m = w - 1;
        memmove(idx, idx + 1, (size_t)m * sizeof(int));
    }
    if (nk < 100 && m >= 1) keep[nk++] = idx[0];
    return nk;
}

HERODEF int hero_tvr_nms(hero_tvr_sub *out, const hero_tvr_sub *in, hero_tvr_task task, double nms_thd,
                         int max_before_nms, int max_after_nms, hero_error *err) {
    int q, i, rc, kin, kout = 0;
    int *idx = NULL, *keep = NULL, *grp = NULL, *cnt = NULL, *res = NULL;
    double *rows = NULL;
    if (!out) return hero__fail(err, HERO_EINVAL, "tvr_nms: NULL output");
    memset(out, 0, sizeof(*out));
    if ((rc = hero__tvr_sub_check(in, "tvr_nms", err))) return rc;
    if (task != HERO_TVR_VCMR && task != HERO_TVR_SVMR)
        return hero__fail(err, HERO_EINVAL, "tvr_nms: task %d (the official NMS is for VCMR and SVMR)", (int)task);
    if (max_before_nms < 1 || max_after_nms < 1 || nms_thd != nms_thd)
        return hero__fail(err, HERO_EINVAL, "tvr_nms: max_before_nms %d, max_after_nms %d (expected >= 1), nms_thd %g", max_before_nms,
                          max_after_nms, nms_thd);
    kin = in->k < max_before_nms ? in->k : max_before_nms;
    for (q = 0; q < in->n_queries; q++)
        for (i = 0; i < in->n[q] && i < kin; i++)
            if (in->pred[((size_t)q * in->k + i) * 4 + 3] != in->pred[((size_t)q * in->k + i) * 4 + 3])
                return hero__fail(err, HERO_EINVAL, "tvr_nms: query %d row %d has a NaN score", q, i);
    /* per query at most min(kin, 100 * groups) rows survive: bounded by kin */
    if ((rc = hero_tvr_sub_init(out, in->n_queries, kin < max_after_nms ? kin : max_after_nms, err))) return rc;
    idx = (int *)HERO_MALLOC((size_t)(kin + 1) * sizeof(int));
    keep = (int *)HERO_MALLOC((size_t)(kin + 1) * sizeof(int));
    grp = (int *)HERO_MALLOC((size_t)(kin + 1) * sizeof(int));
    cnt = (int *)HERO_MALLOC((size_t)(kin + 1) * sizeof(int));
    res = (int *)HERO_MALLOC((size_t)(kin + 1) * sizeof(int));
    rows = (double *)HERO_MALLOC((size_t)(kin + 1) * 4 * sizeof(double));
    if (!idx || !keep || !grp || !cnt || !res || !rows) { rc = hero__fail(err, HERO_ENOMEM, "tvr_nms: out of memory"); goto fail; }
    for (q = 0; q < in->n_queries; q++) {
        const double *p = in->pred + (size_t)q * in->k * 4;
        int n = in->n[q] < kin ? in->n[q] : kin, nres = 0;
        out->qidx[q] = in->qidx[q];
        if (task == HERO_TVR_SVMR) {
            int nk = n ? hero__tvr_temporal_nms(p + 1, 4, n, nms_thd, idx, keep) : 0;
            for (i = 0; i < nk && i < max_after_nms; i++) {
                double *o = out->pred + ((size_t)q * out->k + i) * 4;
                o[0] = p[0]; /* the video of the query's first row */
                memcpy(o + 1, p + (size_t)keep[i] * 4 + 1, 3 * sizeof(double));
            }
            out->n[q] = i;
        } else {
            /* group by video in order of first appearance (dict insertion order) */
            int ng = 0, g, pos = 0;
            for (i = 0; i < n; i++) {
                for (g = 0; g < ng; g++) if (p[(size_t)grp[g] * 4] == p[(size_t)i * 4]) break;
                if (g == ng) grp[ng++] = i;
            }
            for (g = 0; g < ng; g++) {
                int m = 0, nk, t;
                double vid = p[(size_t)grp[g] * 4];
                for (i = 0; i < n; i++)
                    if (p[(size_t)i * 4] == vid) { memcpy(rows + (size_t)m * 4, p + (size_t)i * 4, 4 * sizeof(double)); cnt[m++] = i; }
                nk = hero__tvr_temporal_nms(rows + 1, 4, m, nms_thd, idx, keep);
                for (t = 0; t < nk; t++) res[pos++] = cnt[keep[t]];
            }
            nres = pos;
            /* stable sort across videos by score, descending */
            for (i = 1; i < nres; i++) {
                int v = res[i], j;
                double sv = p[(size_t)v * 4 + 3];
                for (j = i; j > 0 && p[(size_t)res[j - 1] * 4 + 3] < sv; j--) res[j] = res[j - 1];
                res[j] = v;
            }
            for (i = 0; i < nres && i < max_after_nms; i++)
                memcpy(out->pred + ((size_t)q * out->k + i) * 4, p + (size_t)res[i] * 4, 4 * sizeof(double));
            out->n[q] = i;
        }
        if (out->n[q] > kout) kout = out->n[q];
    }
    rc = 0;
    if (kout < out->k && (rc = hero_tvr_sub_cut(out, kout > 0 ? kout : 1, err))) goto fail;
    goto done;
fail:
    hero_tvr_sub_free(out);
done:
    HERO_FREE(idx); HERO_FREE(keep); HERO_FREE(grp); HERO_FREE(cnt); HERO_FREE(res); HERO_FREE(rows);
    return rc;
}

/* numpy's minimum / maximum (NaN wins) */
static float hero__np_minf(float a, float b) { return a != a ? a : b != b ? b : (b < a ? b : a); }
static float hero__np_maxf(float a, float b) { return a != a ? a : b != b ? b : (b > a ? b : a); }

/* compute_temporal_iou_batch for one prediction, float32 as numpy computes it */
static float hero__tvr_iou32(float ps, float pe, float gs, float ge) {
    float inter = hero__np_minf(pe, ge) - hero__np_maxf(ps, gs), uni;
    inter = hero__np_maxf(0.0f, inter);
    uni = hero__np_maxf(pe, ge) - hero__np_minf(ps, gs);
    if (uni != uni) return uni; /* NaN: np.divide where union != 0 */
    return uni != 0 ? inter / uni : 0.0f;
}

/* get_rounded_percentage: numpy's round(x * 100, 2) = rint(x * 100 * 100) / 100 */
static double hero__tvr_pct(double fraction) {
    double y = fraction * 100;
    return nearbyint(y * 100.0) / 100.0;
}

HERODEF const char *hero_tvr_metric_key(char *buf, size_t cap, hero_tvr_task task, int type, int iou, int k) {
    static const char *const types[3] = {"v", "t", "vt"};
    static const char *const thds[HERO_TVR_N_IOU] = {"0.5", "0.7"};
    static const int ks[HERO_TVR_N_K] = {1, 5, 10, 100};
    char head[8] = "";
    if (!buf || !cap) return buf;
    if (type < -1 || type > 2 || iou < 0 || iou >= HERO_TVR_N_IOU || k < 0 || k >= HERO_TVR_N_K) { buf[0] = 0; return buf; }
    if (type >= 0) snprintf(head, sizeof(head), "%s-", types[type]);
    if (task == HERO_TVR_VR) snprintf(buf, cap, "%sr%d", head, ks[k]);
    else snprintf(buf, cap, "%s%s-r%d", head, thds[iou], ks[k]);
    return buf;
}

HERODEF int hero_tvr_eval(hero_tvr_metrics *out, hero_tvr_task task, const hero_tvr_sub *sub, const hero_tvr_gt *gt,
                          hero_error *err) {
    static const int ks[HERO_TVR_N_K] = {1, 5, 10, 100};
    const float thd[HERO_TVR_N_IOU] = {0.5f, 0.7f};
    int q, i, t, k, rc, n;
    int *seen = NULL;
    /* per query: the first row position (1-based rank among the counted rows) that hits, per IoU */
    long hits[HERO_TVR_N_IOU][HERO_TVR_N_K], thits[3][HERO_TVR_N_IOU][HERO_TVR_N_K], tcount[3];
    if (!out) return hero__fail(err, HERO_EINVAL, "tvr_eval: NULL output");
    memset(out, 0, sizeof(*out));
    if ((rc = hero__tvr_sub_check(sub, "tvr_eval", err))) return rc;
    if ((int)task < HERO_TVR_VCMR || (int)task > HERO_TVR_VR) return hero__fail(err, HERO_EINVAL, "tvr_eval: task %d", (int)task);
    if (!gt || gt->n < 1 || !gt->video) return hero__fail(err, HERO_EINVAL, "tvr_eval: no ground truth");
    n = gt->n;
    if (sub->n_queries != n)
        return hero__fail(err, HERO_EINVAL, "tvr_eval: %d queries predicted, %d in the ground truth (the official match_number)",
                          sub->n_queries, n);
    if (task != HERO_TVR_VR) {
        if (!gt->ts || gt->max_ts < 1) return hero__fail(err, HERO_EINVAL, "tvr_eval: VCMR / SVMR need the ground truth's \"ts\"");
        if (gt->max_ts > 2 && gt->max_ts < 4)
            return hero__fail(err, HERO_EINVAL, "tvr_eval: %d windows per query (expected 1, or >= 4 as DiDeMo)", gt->max_ts);
        if (gt->n_ts)
            for (q = 0; q < n; q++)
                if (!(gt->n_ts[q] == 1 || (gt->n_ts[q] >= 4 && gt->n_ts[q] <= gt->max_ts)))
                    return hero__fail(err, HERO_EINVAL, "tvr_eval: ground-truth query %d has %d windows (expected 1, or 4..%d)", q,
                                      (int)gt->n_ts[q], gt->max_ts);
        if (!gt->n_ts && gt->max_ts == 2)
            return hero__fail(err, HERO_EINVAL, "tvr_eval: 2 windows per query (expected 1, or >= 4 as DiDeMo)");
    }
    if (gt->type)
        for (q = 0; q < n; q++)
            if (gt->type[q] < 0 || gt->type[q] > 2)
                return hero__fail(err, HERO_EINVAL, "tvr_eval: ground-truth query %d has type %d (expected 0 v, 1 t, 2 vt)", q,
                                  (int)gt->type[q]);
    if (!(seen = (int *)HERO_MALLOC((size_t)n * sizeof(int)))) return hero__fail(err, HERO_ENOMEM, "tvr_eval: out of memory");
    memset(seen, 0, (size_t)n * sizeof(int));
    for (q = 0; q < n; q++) {
        int g = sub->qidx[q];
        if (g < 0 || g >= n || seen[g]) {
            HERO_FREE(seen);
            return hero__fail(err, HERO_EINVAL, "tvr_eval: submission query %d answers ground-truth query %d (%s)", q, g,
                              g < 0 || g >= n ? "out of range" : "answered twice");
        }
        seen[g] = 1;
    }
    HERO_FREE(seen);
    memset(hits, 0, sizeof(hits));
    memset(thits, 0, sizeof(thits));
    memset(tcount, 0, sizeof(tcount));
    for (q = 0; q < n; q++) {
        int g = sub->qidx[q], nr = sub->n[q] < 100 ? sub->n[q] : 100, nw = 0, counted = 0;
        int first[HERO_TVR_N_IOU]; /* 1-based position of the first hit among the counted rows; 0 none */
        double gv = (double)gt->video[g];
        const double *p = sub->pred + (size_t)q * sub->k * 4;
        if (task != HERO_TVR_VR) nw = gt->n_ts ? gt->n_ts[g] : gt->max_ts;
        first[0] = first[1] = 0;
        for (i = 0; i < nr; i++) {
            const double *r = p + (size_t)i * 4;
            int matched = (double)(float)r[0] == gv, ti;
            if (task == HERO_TVR_SVMR && !matched) continue; /* SVMR: rows on the GT video only */
            counted++;
            if (task == HERO_TVR_VR) {
                if (matched && !first[0]) first[0] = counted;
                continue;
            }
            for (ti = 0; ti < HERO_TVR_N_IOU; ti++) {
                int w, nhit = 0;
                if (first[ti]) continue;
                for (w = 0; w < nw; w++) {
                    const double *gw = gt->ts + ((size_t)g * gt->max_ts + w) * 2;
                    float iou = hero__tvr_iou32((float)r[1], (float)r[2], (float)gw[0], (float)gw[1]);
                    iou = iou * (matched ? 1.0f : 0.0f);
                    if (iou >= thd[ti]) nhit++;
                }
                if (nw == 1 ? nhit >= 1 : nhit >= 2) first[ti] = counted;
            }
        }
        if (gt->type) tcount[gt->type[g]]++;
        for (t = 0; t < HERO_TVR_N_IOU; t++)
            for (k = 0; k < HERO_TVR_N_K; k++)
                if (first[t] && first[t] <= ks[k]) {
                    hits[t][k]++;
                    if (gt->type) thits[gt->type[g]][t][k]++;
                }
    }
    out->task = task;
    out->has_types = gt->type != NULL;
    for (t = 0; t < HERO_TVR_N_IOU; t++)
        for (k = 0; k < HERO_TVR_N_K; k++) {
            out->r[t][k] = hero__tvr_pct((double)hits[t][k] / (double)n);
            for (i = 0; i < 3; i++)
                out->by_type[i][t][k] = out->has_types ? hero__tvr_pct((double)thits[i][t][k] / (double)tcount[i]) : 0;
        }
    if (task == HERO_TVR_VR) /* one recall per K */
        for (k = 0; k < HERO_TVR_N_K; k++) {
            out->r[1][k] = 0;
            for (i = 0; i < 3; i++) out->by_type[i][1][k] = 0;
        }
    for (i = 0; i < 3; i++) out->type_ratio[i] = out->has_types ? hero__tvr_pct((double)tcount[i] / (double)n) : 0;
    return 0;
}
/* ======================================================================================
   Annotation files of the downstream datasets (TVR / How2R / DiDeMo / VIOLIN / MSR-VTT,
   TVQA / How2QA, TVC)
   ====================================================================================== */

static void hero__ann_free(hero_ann *a) {
    int i;
    if (!a) return;
    HERO_FREE(a->id);
    HERO_FREE(a->text);
    HERO_FREE(a->video);
    HERO_FREE(a->ts);
    HERO_FREE(a->ts_text);
    for (i = 0; i < 5; i++) HERO_FREE(a->cand[i]);
    for (i = 0; i < a->n_caps; i++) {
        HERO_FREE(a->caps[i].id);
        HERO_FREE(a->caps[i].text);
    }
    HERO_FREE(a->caps);
    memset(a, 0, sizeof(*a));
}

HERODEF void hero_ann_list_free(hero_ann_list *l) {
    int i;
    if (!l) return;
    for (i = 0; i < l->n; i++) hero__ann_free(&l->items[i]);
    HERO_FREE(l->items);
    memset(l, 0, sizeof(*l));
}

/* the first of up to three keys present */
static const hero_json *hero__ann_get(const hero_json *o, const char *k1, const char *k2, const char *k3, const char **used) {
    const hero_json *v = NULL;
    if (k1 && (v = hero_json_get(o, k1))) { *used = k1; return v; }
    if (k2 && (v = hero_json_get(o, k2))) { *used = k2; return v; }
    if (k3 && (v = hero_json_get(o, k3))) { *used = k3; return v; }
    *used = k1;
    return NULL;
}

/* an id: a string as is, an integer in decimal */
static int hero__ann_id(char **out, const hero_json *v, const char *nm, int line, const char *key, hero_error *err) {
    char buf[40];
    if (v->type == HERO_JSON_STRING) {
        if (!(*out = hero__mstrndup(v->string, v->len))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
        return 0;
    }
    if (v->type != HERO_JSON_NUMBER || v->number != floor(v->number) || !(fabs(v->number) < 9007199254740992.0))
        return hero__fail(err, HERO_EFORMAT, "%s:%d: \"%s\": expected a string or an integer id", nm, line, key);
    snprintf(buf, sizeof(buf), "%.0f", v->number);
    if (!(*out = hero__mstrndup(buf, strlen(buf)))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
    return 0;
}

static int hero__ann_str(char **out, const hero_json *v, const char *nm, int line, const char *key, hero_error *err) {
    if (v->type != HERO_JSON_STRING) return hero__fail(err, HERO_EFORMAT, "%s:%d: \"%s\": expected a string", nm, line, key);
    if (!(*out = hero__mstrndup(v->string, v->len))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
    return 0;
}

static int hero__ann_num(double *out, const hero_json *v, const char *nm, int line, const char *key, hero_error *err) {
    if (v->type != HERO_JSON_NUMBER || !(fabs(v->number) <= HERO_SUBS_MAX_TIME))
        return hero__fail(err, HERO_EFORMAT, "%s:%d: \"%s\": expected a number of seconds within +-%g", nm, line, key, HERO_SUBS_MAX_TIME);
    *out = v->number;
    return 0;
}

/* "v" / "t" / "vt" */
static int hero__ann_type(int *out, const hero_json *v, const char *nm, int line, const char *key, hero_error *err) {
    if (v->type == HERO_JSON_STRING && !strcmp(v->string, "v")) *out = 0;
    else if (v->type == HERO_JSON_STRING && !strcmp(v->string, "t")) *out = 1;
    else if (v->type == HERO_JSON_STRING && !strcmp(v->string, "vt")) *out = 2;
    else return hero__fail(err, HERO_EFORMAT, "%s:%d: \"%s\": expected \"v\", \"t\" or \"vt\"", nm, line, key);
    return 0;
}

/* [st, ed] or [[st, ed], ...] */
static int hero__ann_ts(hero_ann *a, const hero_json *v, const char *nm, int line, hero_error *err) {
    int i, n;
    const hero_json *w;
    if (v->type != HERO_JSON_ARRAY || v->n < 1)
        return hero__fail(err, HERO_EFORMAT, "%s:%d: \"ts\": expected [st, ed] or a list of [st, ed]", nm, line);
    n = v->items[0].type == HERO_JSON_ARRAY ? v->n : 1;
    if (n > HERO_ANN_MAX_TS) return hero__fail(err, HERO_ELIMIT, "%s:%d: \"ts\": %d windows (limit %d)", nm, line, n, HERO_ANN_MAX_TS);
    if (!(a->ts = (double(*)[2])HERO_MALLOC((size_t)n * sizeof(a->ts[0])))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
    a->n_ts = n;
    for (i = 0; i < n; i++) {
        w = n == 1 && v->items[0].type != HERO_JSON_ARRAY ? v : &v->items[i];
        if (w->type != HERO_JSON_ARRAY || w->n != 2 || w->items[0].type != HERO_JSON_NUMBER || w->items[1].type != HERO_JSON_NUMBER ||
            !(fabs(w->items[0].number) <= HERO_SUBS_MAX_TIME) || !(fabs(w->items[1].number) <= HERO_SUBS_MAX_TIME))
            return hero__fail(err, HERO_EFORMAT, "%s:%d: \"ts\"[%d]: expected [st, ed] numbers of seconds within +-%g", nm, line, i,
                              HERO_SUBS_MAX_TIME);
        a->ts[i][0] = w->items[0].number;
        a->ts[i][1] = w->items[1].number;
    }
    return 0;
}

/* one half of TVQA's "st-ed" as Python's float() reads it (surrounding whitespace, no hex);
   1 with a finite value, else 0 */
static int hero__ann_pyfloat(const char *s, size_t n, double *out) {
    char buf[64], *end;
    size_t a = 0, b = n, i;
    while (a < b && (hero__mspace(s[a]) || s[a] == '\n' || s[a] == '\r')) a++;
    while (b > a && (hero__mspace(s[b - 1]) || s[b - 1] == '\n' || s[b - 1] == '\r')) b--;
    if (a == b || b - a >= sizeof(buf)) return 0;
    for (i = a; i < b; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+')) return 0;
    memcpy(buf, s + a, b - a);
    buf[b - a] = 0;
    *out = strtod(buf, &end);
    return *end == 0 && *out == *out && fabs(*out) <= HERO_SUBS_MAX_TIME;
}

static int hero__ann_record(hero_ann *a, hero_ann_kind kind, const hero_json *o, const char *nm, int line, hero_error *err) {
    const hero_json *v;
    const char *k;
    int rc, i;
    a->duration = -1;
    a->type = -1;
    a->label = -1;
    if (o->type != HERO_JSON_OBJECT) return hero__fail(err, HERO_EFORMAT, "%s:%d: expected a JSON object", nm, line);
    /* id */
    v = kind == HERO_ANN_TVR ? hero__ann_get(o, "desc_id", "sen_id", "retrieval_key", &k)
        : kind == HERO_ANN_TVQA ? hero__ann_get(o, "qid", NULL, NULL, &k) : hero__ann_get(o, "clip_id", NULL, NULL, &k);
    if (!v) return hero__fail(err, HERO_EMISSING, "%s:%d: no \"%s\"", nm, line, k);
    if ((rc = hero__ann_id(&a->id, v, nm, line, k, err))) return rc;
    /* text */
    if (kind != HERO_ANN_TVC) {
        v = kind == HERO_ANN_TVR ? hero__ann_get(o, "desc", "caption", NULL, &k) : hero__ann_get(o, "q", NULL, NULL, &k);
        if (!v) return hero__fail(err, HERO_EMISSING, "%s:%d: no \"%s\"", nm, line, k);
        if ((rc = hero__ann_str(&a->text, v, nm, line, k, err))) return rc;
    }
    /* video */
    if ((v = hero__ann_get(o, "vid_name", kind == HERO_ANN_TVR ? "clip_name" : NULL, kind == HERO_ANN_TVR ? "video_id" : NULL, &k)) &&
        (rc = hero__ann_str(&a->video, v, nm, line, k, err)))
        return rc;
    if (kind == HERO_ANN_TVC && !a->video) return hero__fail(err, HERO_EMISSING, "%s:%d: no \"vid_name\"", nm, line);
    /* ts */
    if ((v = hero_json_get(o, "ts")) && v->type != HERO_JSON_NULL) {
        if (kind == HERO_ANN_TVQA && v->type == HERO_JSON_STRING) {
            const char *dash = (const char *)memchr(v->string, '-', v->len);
            double st, ed;
            size_t rest;
            if (!(a->ts_text = hero__mstrndup(v->string, v->len))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
            if (dash) {
                const char *p2 = dash + 1, *dash2;
                rest = v->len - (size_t)(p2 - v->string);
                dash2 = (const char *)memchr(p2, '-', rest); /* split("-"): the second field ends at the next '-' */
                if (hero__ann_pyfloat(v->string, (size_t)(dash - v->string), &st) &&
                    hero__ann_pyfloat(p2, dash2 ? (size_t)(dash2 - p2) : rest, &ed)) {
                    if (!(a->ts = (double(*)[2])HERO_MALLOC(sizeof(a->ts[0])))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
                    a->ts[0][0] = st;
                    a->ts[0][1] = ed;
                    a->n_ts = 1;
                }
            }
        } else if ((rc = hero__ann_ts(a, v, nm, line, err))) {
            return rc;
        }
        if (kind != HERO_ANN_TVR && a->n_ts > 1) return hero__fail(err, HERO_EFORMAT, "%s:%d: \"ts\": expected one [st, ed]", nm, line);
    }
    if ((v = hero_json_get(o, "duration")) && v->type != HERO_JSON_NULL && (rc = hero__ann_num(&a->duration, v, nm, line, "duration", err)))
        return rc;
    if (kind == HERO_ANN_TVR && (v = hero_json_get(o, "type")) && (rc = hero__ann_type(&a->type, v, nm, line, "type", err))) return rc;
    /* label / answer */
    v = kind == HERO_ANN_TVR ? hero_json_get(o, "label") : kind == HERO_ANN_TVQA ? hero_json_get(o, "answer_idx") : NULL;
    if (v && v->type != HERO_JSON_NULL) {
        k = kind == HERO_ANN_TVR ? "label" : "answer_idx";
        if (v->type == HERO_JSON_BOOL) a->label = v->boolean;
        else if (v->type == HERO_JSON_NUMBER && v->number == floor(v->number) && v->number >= 0 && v->number <= (kind == HERO_ANN_TVR ? 1 : 4))
            a->label = (int)v->number;
        else return hero__fail(err, HERO_EFORMAT, "%s:%d: \"%s\": expected an integer %s", nm, line, k, kind == HERO_ANN_TVR ? "0 or 1" : "0..4");
    }
    /* TVQA candidates a0, a1, ... */
    if (kind == HERO_ANN_TVQA) {
        for (i = 0; i < 5; i++) {
            char key[4] = {'a', (char)('0' + i), 0, 0};
            if (!(v = hero_json_get(o, key))) break;
            if ((rc = hero__ann_str(&a->cand[i], v, nm, line, key, err))) return rc;
            a->n_cand = i + 1;
        }
        if (a->label >= a->n_cand && a->label >= 0)
            return hero__fail(err, HERO_EFORMAT, "%s:%d: \"answer_idx\" %d but %d candidates", nm, line, a->label, a->n_cand);
    }
    /* TVC captions */
    if (kind == HERO_ANN_TVC && (v = hero_json_get(o, "descs")) && v->type != HERO_JSON_NULL) {
        if (v->type != HERO_JSON_ARRAY) return hero__fail(err, HERO_EFORMAT, "%s:%d: \"descs\": expected a list", nm, line);
        if (v->n && !(a->caps = (hero_ann_caption *)HERO_MALLOC((size_t)v->n * sizeof(hero_ann_caption))))
            return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
        for (i = 0; i < v->n; i++) {
            const hero_json *c = &v->items[i], *f;
            hero_ann_caption *cp = &a->caps[i];
            memset(cp, 0, sizeof(*cp));
            cp->type = -1;
            a->n_caps = i + 1;
            if (c->type != HERO_JSON_OBJECT) return hero__fail(err, HERO_EFORMAT, "%s:%d: \"descs\"[%d]: expected an object", nm, line, i);
            if (!(f = hero_json_get(c, "desc"))) return hero__fail(err, HERO_EMISSING, "%s:%d: \"descs\"[%d]: no \"desc\"", nm, line, i);
            if ((rc = hero__ann_str(&cp->text, f, nm, line, "desc", err))) return rc;
            if (!(f = hero_json_get(c, "desc_id"))) return hero__fail(err, HERO_EMISSING, "%s:%d: \"descs\"[%d]: no \"desc_id\"", nm, line, i);
            if ((rc = hero__ann_id(&cp->id, f, nm, line, "desc_id", err))) return rc;
            if ((f = hero_json_get(c, "type")) && (rc = hero__ann_type(&cp->type, f, nm, line, "type", err))) return rc;
        }
    }
    return 0;
}

HERODEF int hero_ann_parse(hero_ann_list *out, hero_ann_kind kind, const char *data, size_t len, const char *name,
                           hero_error *err) {
    int cap = 0, line = 0, rc;
    size_t pos = 0;
    const char *nm = name ? name : "<jsonl>";
    if (!out) return hero__fail(err, HERO_EINVAL, "%s: NULL output", nm);
    memset(out, 0, sizeof(*out));
    if ((!data && len) || (int)kind < HERO_ANN_TVR || (int)kind > HERO_ANN_TVC)
        return hero__fail(err, HERO_EINVAL, "%s: bad arguments (kind %d)", nm, (int)kind);
    if (len > HERO_ANN_MAX_FILE) return hero__fail(err, HERO_ELIMIT, "%s: %zu bytes, limit %zu", nm, len, HERO_ANN_MAX_FILE);
    out->kind = kind;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF) pos = 3;
    while (pos < len) {
        hero_json j;
        hero_error je;
        size_t ls = pos, e = pos, a;
        while (e < len && data[e] != '\n') e++;
        pos = e < len ? e + 1 : e;
        line++;
        for (a = ls; a < e && (hero__mspace(data[a]) || data[a] == '\r'); a++) {}
        if (a == e) continue;
        if (out->n == cap) {
            int nc = cap ? 2 * cap : 64;
            hero_ann *p;
            if (nc > (1 << 26) || !(p = (hero_ann *)HERO_REALLOC(out->items, (size_t)nc * sizeof(hero_ann)))) {
                hero_ann_list_free(out);
                return hero__fail(err, nc > (1 << 26) ? HERO_ELIMIT : HERO_ENOMEM, "%s:%d: too many records", nm, line);
            }
            out->items = p;
            cap = nc;
        }
        memset(&je, 0, sizeof je);
        if ((rc = hero_json_parse(data + ls, e - ls, &j, &je)) != 0) {
            hero_ann_list_free(out);
            return hero__fail(err, rc, "%s:%d: not a JSON line: %s", nm, line, je.msg);
        }
        memset(&out->items[out->n], 0, sizeof(hero_ann));
        rc = hero__ann_record(&out->items[out->n], kind, &j, nm, line, err);
        out->n++; /* freed with the list on failure */
        hero_json_free(&j);
        if (rc) {
            hero_ann_list_free(out);
            return rc;
        }
    }
    out->kind = kind;
    return 0;
}

HERODEF int hero_ann_read(hero_ann_list *out, hero_ann_kind kind, const char *path, hero_error *err) {
    char *buf;
    size_t n;
    int rc;
    if (out) memset(out, 0, sizeof(*out));
    if ((rc = hero__read_file(path, HERO_ANN_MAX_FILE, (unsigned char **)&buf, &n, err)) != 0) return rc;
    rc = hero_ann_parse(out, kind, buf, n, path, err);
    HERO_FREE(buf);
    return rc;
}

HERODEF void hero_tvr_gt_free(hero_tvr_gt *gt) {
    if (!gt) return;
    HERO_FREE((void *)gt->video);
    HERO_FREE((void *)gt->ts);
    HERO_FREE((void *)gt->n_ts);
    HERO_FREE((void *)gt->type);
    memset(gt, 0, sizeof(*gt));
}

typedef struct hero__ann_name { const char *name; int idx; } hero__ann_name;
static int hero__ann_name_cmp(const void *pa, const void *pb) {
    const hero__ann_name *a = (const hero__ann_name *)pa, *b = (const hero__ann_name *)pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

HERODEF int hero_ann_tvr_gt(hero_tvr_gt *gt, const hero_ann_list *a, const char *const *names, const int64_t *ids,
                            int n_names, hero_error *err) {
    int64_t *vid = NULL;
    double *ts = NULL;
    int32_t *nts = NULL, *type = NULL;
    hero__ann_name *byname = NULL;
    int i, j, m = 0, max_ts = 0, all_typed = 1;
    if (!gt) return hero__fail(err, HERO_EINVAL, "ann_tvr_gt: NULL output");
    memset(gt, 0, sizeof(*gt));
    if (!a || a->kind != HERO_ANN_TVR || a->n < 1 || !a->items || n_names < 0 || (n_names && (!names || !ids)))
        return hero__fail(err, HERO_EINVAL, "ann_tvr_gt: expected TVR-kind annotations and a video list");
    for (i = 0; i < a->n; i++) {
        if (a->items[i].n_ts > max_ts) max_ts = a->items[i].n_ts;
        if (a->items[i].type < 0) all_typed = 0;
    }
    vid = (int64_t *)HERO_MALLOC((size_t)a->n * sizeof(int64_t));
    nts = (int32_t *)HERO_MALLOC((size_t)a->n * sizeof(int32_t));
    ts = (double *)HERO_MALLOC((size_t)a->n * (size_t)(max_ts ? max_ts : 1) * 2 * sizeof(double));
    type = all_typed ? (int32_t *)HERO_MALLOC((size_t)a->n * sizeof(int32_t)) : NULL;
    byname = (hero__ann_name *)HERO_MALLOC((size_t)(n_names ? n_names : 1) * sizeof(hero__ann_name));
    if (!vid || !nts || !ts || (all_typed && !type) || !byname) {
        HERO_FREE(vid); HERO_FREE(nts); HERO_FREE(ts); HERO_FREE(type); HERO_FREE(byname);
        return hero__fail(err, HERO_ENOMEM, "ann_tvr_gt: out of memory (%d queries)", a->n);
    }
    for (i = 0; i < n_names; i++)
        if (names[i]) { byname[m].name = names[i]; byname[m].idx = i; m++; }
    qsort(byname, (size_t)m, sizeof(hero__ann_name), hero__ann_name_cmp);
    n_names = m;
    for (i = 0; i < a->n; i++) {
        const hero_ann *q = &a->items[i];
        int found = -1, lo = 0, hi = n_names - 1;
        while (q->video && lo <= hi) { /* the last entry of that name (a dict keeps the last) */
            int mid = lo + (hi - lo) / 2, c = strcmp(byname[mid].name, q->video);
            if (c <= 0) { if (!c) found = byname[mid].idx; lo = mid + 1; } else hi = mid - 1;
        }
        if (found < 0) {
            hero__fail(err, HERO_EMISSING, "ann_tvr_gt: query %s: video \"%s\" is not in the video list", q->id, q->video ? q->video : "(none)");
            HERO_FREE(vid); HERO_FREE(nts); HERO_FREE(ts); HERO_FREE(type); HERO_FREE(byname);
            return HERO_EMISSING;
        }
        vid[i] = ids[found];
        nts[i] = q->n_ts;
        for (j = 0; j < max_ts; j++) {
            ts[((size_t)i * max_ts + j) * 2] = j < q->n_ts ? q->ts[j][0] : 0;
            ts[((size_t)i * max_ts + j) * 2 + 1] = j < q->n_ts ? q->ts[j][1] : 0;
        }
        if (type) type[i] = q->type;
    }
    HERO_FREE(byname);
    gt->n = a->n;
    gt->video = vid;
    gt->ts = max_ts ? ts : NULL;
    if (!max_ts) HERO_FREE(ts);
    gt->max_ts = max_ts;
    gt->n_ts = nts;
    gt->type = type;
    return 0;
}
#endif /* HERO_NO_MEDIA */
/* ======================================================================================
   18. Initialisation: fresh parameters (the official init), RoBERTa pre-training init
   ====================================================================================== */

/* ---- a private PRNG: xoshiro256** seeded by splitmix64, Box-Muller normals ---- */
typedef struct hero__irng {
    uint64_t s[4];
    double spare;
    int has_spare;
} hero__irng;

static uint64_t hero__init_splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t hero__init_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t hero__init_next(hero__irng *r) {
    uint64_t *s = r->s, out = hero__init_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = hero__init_rotl(s[3], 45);
    return out;
}

/* one stream per tensor: seed and the tensor's name (FNV-1a) through splitmix64 */
static void hero__init_seed(hero__irng *r, uint64_t seed, const char *name) {
    uint64_t h = 0xCBF29CE484222325ull, x;
    int i;
    while (*name) h = (h ^ (unsigned char)*name++) * 0x100000001B3ull;
    x = seed ^ hero__init_splitmix(&h);
    for (i = 0; i < 4; i++) r->s[i] = hero__init_splitmix(&x);
    r->has_spare = 0;
    r->spare = 0;
}

/* uniform in [0, 1), 53 bits */
static double hero__init_uniform(hero__irng *r) { return (double)(hero__init_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* standard normal (Box-Muller, both values used) */
static double hero__init_normal(hero__irng *r) {
    double u1, u2, rad;
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    u1 = 1.0 - hero__init_uniform(r); /* (0, 1] */
    u2 = hero__init_uniform(r);
    rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(6.283185307179586 * u2);
    r->has_spare = 1;
    return rad * cos(6.283185307179586 * u2);
}

static int hero__init_ends(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}
static int hero__init_starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

enum { HERO__INIT_ZERO, HERO__INIT_ONE, HERO__INIT_NORMAL, HERO__INIT_UNIFORM };

/* fan_in of a PyTorch weight [out, in, k...]: product of all dims but the first */
static int hero__init_fan_in(const hero_param *w) {
    int fan = 1, d;
    for (d = 1; d < w->ndim; d++) fan *= w->shape[d];
    return fan > 0 ? fan : 1;
}

/* how the official code initialises parameter p: kind, and the std (normal) or bound (uniform) */
static int hero__init_kind(hero_model *m, const hero_param *p, double *scale) {
    const char *n = p->name;
    *scale = 0;
    if (hero__init_ends(n, "LayerNorm.weight") || strcmp(n, "v_encoder.feat_regress.net.2.weight") == 0) return HERO__INIT_ONE;
    if (hero__init_ends(n, "LayerNorm.bias") || strcmp(n, "v_encoder.feat_regress.net.2.bias") == 0) return HERO__INIT_ZERO;
    if (strcmp(n, "v_encoder.f_encoder.lm_head.bias") == 0) return HERO__INIT_ZERO; /* nn.Parameter(torch.zeros) */
    if (hero__init_starts(n, "q_feat_attn.") || hero__init_starts(n, "video_query_linear.") ||
        hero__init_starts(n, "video_st_predictor.") || hero__init_starts(n, "video_ed_predictor.") ||
        hero__init_starts(n, "v_encoder.f_encoder.lm_head.dense.") || hero__init_starts(n, "qa_p") ||
        hero__init_starts(n, "st_ed_p") || hero__init_starts(n, "violin_p")) { /* + the fine-tuning heads */
        /* PyTorch module defaults: modules created after the official init_weights pass */
        if (strcmp(n, "q_feat_attn.query_pos_embed.position_embeddings.weight") == 0) { *scale = 1.0; return HERO__INIT_NORMAL; }
        if (hero__init_ends(n, ".bias")) {
            char wname[sizeof(p->name) + 8];
            const hero_param *w;
            size_t len = strlen(n) - 4;
            memcpy(wname, n, len);
            memcpy(wname + len, "weight", 7);
            w = hero_model_param(m, wname);
            *scale = 1.0 / sqrt((double)(w ? hero__init_fan_in(w) : m->cfg.H));
            return HERO__INIT_UNIFORM;
        }
        *scale = 1.0 / sqrt((double)hero__init_fan_in(p)); /* kaiming_uniform(a=sqrt(5)) */
        return HERO__INIT_UNIFORM;
    }
    if (hero__init_ends(n, ".bias")) return HERO__INIT_ZERO;
    *scale = HERO_INITIALIZER_RANGE;
    return HERO__INIT_NORMAL;
}

HERODEF int hero_model_init_random(hero_model *m, uint64_t seed) {
    const hero_config *c;
    int i;
    size_t k;
    if (!m || !m->table || !m->params || m->n_params <= 0 || m->wtype != HERO_W_F32) return HERO_EINVAL;
    c = &m->cfg;
    for (i = 0; i < m->n_params; i++) {
        hero_param *p = &m->table[i];
        hero__irng r;
        double sc;
        int kind = hero__init_kind(m, p, &sc);
        /* HeroForVideoQA: st_ed_pool = copy.deepcopy(qa_pool) */
        hero__init_seed(&r, seed, strcmp(p->name, "st_ed_pool.weight") ? p->name : "qa_pool.weight");
        for (k = 0; k < p->numel; k++) {
            switch (kind) {
            case HERO__INIT_ZERO: p->data[k] = 0.0f; break;
            case HERO__INIT_ONE: p->data[k] = 1.0f; break;
            case HERO__INIT_NORMAL: p->data[k] = (float)(sc * hero__init_normal(&r)); break;
            default: p->data[k] = (float)(sc * (2.0 * hero__init_uniform(&r) - 1.0)); break;
            }
        }
    }
    /* pad_vocab: zero rows V..Vp-1 (the bias is zero already) */
    if (c->Vp > c->V) memset(hero__hostp(m, m->p.f_word) + (size_t)c->V * c->H, 0, (size_t)(c->Vp - c->V) * c->H * sizeof(float));
    /* init_type_embedding: both token-type rows = row 0; clip-level mask_embedding row 0 = 0 */
    memcpy(hero__hostp(m, m->p.f_type) + c->H, hero__hostp(m, m->p.f_type), (size_t)c->H * sizeof(float));
    memset(hero__hostp(m, m->p.v_mask), 0, (size_t)c->F * sizeof(float));
    return hero__dev_model_copy(m, 0, 0, NULL); /* a GPU model: the weights to the GPU */
}

/* ---------------- RoBERTa init ---------------- */

/* The official checkpoint dict while it is being transformed: names (owned) -> file tensors. */
typedef struct hero__rdict {
    char **name;
    const hero_tensor_info **t;
    int n, cap;
} hero__rdict;

static void hero__rdict_free(hero__rdict *d) {
    int i;
    for (i = 0; i < d->n; i++) HERO_FREE(d->name[i]);
    HERO_FREE(d->name);
    HERO_FREE((void *)d->t);
    memset(d, 0, sizeof(*d));
}

static int hero__rdict_find(const hero__rdict *d, const char *name) {
    int i;
    for (i = 0; i < d->n; i++)
        if (strcmp(d->name[i], name) == 0) return i;
    return -1;
}

/* python d[name] = t (takes ownership of name; an existing key keeps its place) */
static int hero__rdict_set(hero__rdict *d, char *name, const hero_tensor_info *t) {
    int i = hero__rdict_find(d, name);
    if (i >= 0) { HERO_FREE(name); d->t[i] = t; return 0; }
    if (d->n == d->cap) {
        int nc = d->cap ? 2 * d->cap : 64;
        char **nn = (char **)HERO_REALLOC(d->name, (size_t)nc * sizeof(char *));
        const hero_tensor_info **nt;
        if (!nn) { HERO_FREE(name); return HERO_ENOMEM; }
        d->name = nn;
        nt = (const hero_tensor_info **)HERO_REALLOC((void *)d->t, (size_t)nc * sizeof(*nt));
        if (!nt) { HERO_FREE(name); return HERO_ENOMEM; }
        d->t = nt;
        d->cap = nc;
    }
    d->name[d->n] = name;
    d->t[d->n++] = t;
    return 0;
}

/* python d.pop(name) (the key must exist) */
static const hero_tensor_info *hero__rdict_pop(hero__rdict *d, int i) {
    const hero_tensor_info *t = d->t[i];
    HERO_FREE(d->name[i]);
    memmove(d->name + i, d->name + i + 1, (size_t)(d->n - i - 1) * sizeof(char *));
    memmove((void *)(d->t + i), (const void *)(d->t + i + 1), (size_t)(d->n - i - 1) * sizeof(*d->t));
    d->n--;
    return t;
}

static char *hero__init_strdup(const char *s) {
    size_t n = strlen(s);
    char *r = (char *)HERO_MALLOC(n + 1);
    if (r) memcpy(r, s, n + 1);
    return r;
}

/* python s.replace(from, to) (every occurrence, left to right, not overlapping) */
static char *hero__init_replace(const char *s, const char *from, const char *to) {
    size_t lf = strlen(from), lt = strlen(to), cnt = 0, o = 0;
    const char *p;
    char *r;
    for (p = strstr(s, from); p; p = strstr(p + lf, from)) cnt++;
    r = (char *)HERO_MALLOC(strlen(s) + cnt * lt + 1);
    if (!r) return NULL;
    for (p = s; *p;) {
        if (strncmp(p, from, lf) == 0) { memcpy(r + o, to, lt); o += lt; p += lf; }
        else r[o++] = *p++;
    }
    r[o] = 0;
    return r;
}

/* load_partial_checkpoint(skip_layers=True): layer keys renumbered or dropped, in file order */
static int hero__rb_skip_layers(hero__rdict *d, const hero_tensorfile *tf, int n_layers) {
    int gap = 12 / n_layers, i;
    for (i = 0; i < tf->n_tensors; i++) {
        const char *k = tf->tensors[i].name;
        char *nk;
        if (!k) continue;
        if (strstr(k, "roberta.encoder.layer.")) {
            /* component 3 (0-based) of k.split(".") */
            const char *c3 = k, *e3;
            long num;
            int j, target = -1;
            for (j = 0; j < 3; j++) c3 = strchr(c3, '.') + 1; /* >= 3 dots: the substring has them */
            e3 = strchr(c3, '.');
            if (!e3) e3 = c3 + strlen(c3);
            /* str(l) for l in range(gap-1, 12, gap): canonical decimals 0..11 */
            if (e3 - c3 >= 1 && e3 - c3 <= 2 && (e3 - c3 == 1 || c3[0] != '0')) {
                num = 0;
                for (j = 0; j < (int)(e3 - c3); j++) {
                    if (c3[j] < '0' || c3[j] > '9') { num = -1; break; }
                    num = num * 10 + (c3[j] - '0');
                }
                if (num >= gap - 1 && num < 12 && (num - (gap - 1)) % gap == 0) target = (int)((num - (gap - 1)) / gap);
            }
            if (target < 0) continue; /* a layer the official code drops */
            nk = (char *)HERO_MALLOC(strlen(k) + 8);
            if (!nk) return HERO_ENOMEM;
            snprintf(nk, strlen(k) + 8, "%.*s%d%s", (int)(c3 - k), k, target, e3);
        } else if (!(nk = hero__init_strdup(k))) {
            return HERO_ENOMEM;
        }
        if (hero__rdict_set(d, nk, &tf->tensors[i]) != 0) return HERO_ENOMEM;
    }
    return 0;
}

/* load_pretrained_weight's gamma -> weight, beta -> bias renaming (the beta rule wins when both apply) */
static int hero__rb_rename(hero__rdict *d) {
    int n = d->n, i, j, cnt = 0;
    char **olds, **news;
    int rc = 0;
    for (i = 0; i < n; i++) cnt += strstr(d->name[i], "gamma") || strstr(d->name[i], "beta");
    if (!cnt) return 0;
    olds = (char **)HERO_MALLOC((size_t)cnt * sizeof(char *));
    news = (char **)HERO_MALLOC((size_t)cnt * sizeof(char *));
    if (!olds || !news) { HERO_FREE(olds); HERO_FREE(news); return HERO_ENOMEM; }
    for (i = 0, j = 0; i < n; i++) {
        const char *k = d->name[i];
        if (!strstr(k, "gamma") && !strstr(k, "beta")) continue;
        olds[j] = hero__init_strdup(k);
        news[j] = strstr(k, "beta") ? hero__init_replace(k, "beta", "bias") : hero__init_replace(k, "gamma", "weight");
        if (!olds[j] || !news[j]) { rc = HERO_ENOMEM; HERO_FREE(olds[j]); HERO_FREE(news[j]); break; }
        j++;
    }
    cnt = j;
    for (i = 0; i < cnt; i++) {
        int at;
        const hero_tensor_info *t;
        if (rc) { HERO_FREE(news[i]); continue; }
        at = hero__rdict_find(d, olds[i]);
        if (at < 0) { HERO_FREE(news[i]); continue; } /* cannot happen: every old key is popped once */
        t = hero__rdict_pop(d, at);
        rc = hero__rdict_set(d, news[i], t); /* takes news[i] */
    }
    for (i = 0; i < cnt; i++) HERO_FREE(olds[i]);
    HERO_FREE(olds);
    HERO_FREE(news);
    return rc;
}

/* The official CrossModalTrm's state (module pre-order: each module's own params, then its
   children), names relative to v_encoder.f_encoder. */
static const char *const hero__rb_layer_names[] = {
    "attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight", "attention.self.key.bias",
    "attention.self.value.weight", "attention.self.value.bias", "attention.output.dense.weight", "attention.output.dense.bias",
    "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias", "intermediate.dense.weight",
    "intermediate.dense.bias", "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"};
static const char *const hero__rb_tail_names[] = {
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
    "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias", "img_embeddings.img_linear.weight",
    "img_embeddings.img_linear.bias", "img_embeddings.img_LayerNorm.weight", "img_embeddings.img_LayerNorm.bias",
    "img_embeddings.position_embeddings.weight", "img_embeddings.mask_embedding.weight", "img_embeddings.LayerNorm.weight",
    "img_embeddings.LayerNorm.bias", "pooler.dense.weight", "pooler.dense.bias", "lm_head.bias", "lm_head.dense.weight",
    "lm_head.dense.bias", "lm_head.LayerNorm.weight", "lm_head.LayerNorm.bias", "lm_head.decoder.weight"};
/* modules without parameters (they still count as children when keys are matched) */
static const char *const hero__rb_empty_modules[] = {"embeddings.dropout", "img_embeddings.dropout", "pooler.activation"};
static const char *const hero__rb_empty_layer_modules[] = {"attention.self.dropout", "attention.output.dropout", "output.dropout"};

#define HERO__RB_MAXN 96
#define HERO__RB_MAX_KEYS 16384 /* the key table is searched linearly */

/* relative name of state entry i (0 = the pad buffer, then the layers, then the rest) */
static void hero__rb_state_name(char *out, int i, int n_layers) {
    int nl = (int)(sizeof(hero__rb_layer_names) / sizeof(hero__rb_layer_names[0]));
    if (i == 0) snprintf(out, HERO__RB_MAXN, "pad");
    else if (i - 1 < n_layers * nl) snprintf(out, HERO__RB_MAXN, "encoder.layer.%d.%s", (i - 1) / nl, hero__rb_layer_names[(i - 1) % nl]);
    else snprintf(out, HERO__RB_MAXN, "%s", hero__rb_tail_names[i - 1 - n_layers * nl]);
}

static int hero__rb_state_count(int n_layers) {
    return 1 + n_layers * (int)(sizeof(hero__rb_layer_names) / sizeof(hero__rb_layer_names[0])) +
           (int)(sizeof(hero__rb_tail_names) / sizeof(hero__rb_tail_names[0]));
}

/* is `path` (relative, "" = root) a module of the official CrossModalTrm? */
static int hero__rb_is_module(const char *path, int n_layers) {
    char nm[HERO__RB_MAXN];
    size_t lp = strlen(path);
    int i, l, n = hero__rb_state_count(n_layers);
    if (!lp) return 1;
    for (i = 0; i < n; i++) {
        hero__rb_state_name(nm, i, n_layers);
        if (strncmp(nm, path, lp) == 0 && nm[lp] == '.') return 1;
    }
    for (i = 0; i < (int)(sizeof(hero__rb_empty_modules) / sizeof(hero__rb_empty_modules[0])); i++)
        if (strcmp(path, hero__rb_empty_modules[i]) == 0) return 1;
    for (l = 0; l < n_layers; l++)
        for (i = 0; i < (int)(sizeof(hero__rb_empty_layer_modules) / sizeof(hero__rb_empty_layer_modules[0])); i++) {
            snprintf(nm, sizeof(nm), "encoder.layer.%d.%s", l, hero__rb_empty_layer_modules[i]);
            if (strcmp(path, nm) == 0) return 1;
        }
    return 0;
}

static int hero__rb_is_state(const char *name, int n_layers) {
    char nm[HERO__RB_MAXN];
    int i, n = hero__rb_state_count(n_layers);
    for (i = 0; i < n; i++) {
        hero__rb_state_name(nm, i, n_layers);
        if (strcmp(nm, name) == 0) return 1;
    }
    return 0;
}

/* torch's strict _load_from_state_dict walk: is key `rel` (prefix removed) unexpected? At each
   module the key's next component must name a parameter/buffer or a child module. */
static int hero__rb_unexpected(const char *rel, int n_layers) {
    char path[4 * HERO__RB_MAXN];
    size_t at = 0; /* rel[0..at) is the current module's path plus its '.' */
    if (strlen(rel) >= sizeof(path)) return 1; /* longer than any parameter name */
    for (;;) {
        const char *comp = rel + at, *dot = strchr(comp, '.');
        size_t lc = dot ? (size_t)(dot - comp) : strlen(comp);
        memcpy(path, rel, at + lc);
        path[at + lc] = 0;
        if (hero__rb_is_state(path, n_layers)) return 0; /* loaded, or a longer name torch skips */
        if (!hero__rb_is_module(path, n_layers) || lc == 0) return 1;
        if (!dot) return 0; /* names a module exactly: no module sees it */
        at += lc + 1;
    }
}

static void hero__rb_report_add(char *list, size_t cap, int *count, const char *key) {
    size_t len = strlen(list), lk = strlen(key);
    if (len + lk + 3 < cap) {
        if (len) { memcpy(list + len, ", ", 2); len += 2; }
        memcpy(list + len, key, lk + 1);
    }
    (*count)++;
}

/* the model parameter behind official state entry `rel`, with the row count the official
   (unpadded) model has; NULL for the pad buffer */
static hero_param *hero__rb_param(hero_model *m, const char *rel, int64_t *rows) {
    char full[HERO__RB_MAXN + 32];
    hero_param *p;
    if (strcmp(rel, "pad") == 0) return NULL;
    if (strcmp(rel, "lm_head.decoder.weight") == 0) rel = "embeddings.word_embeddings.weight";
    snprintf(full, sizeof(full), "v_encoder.f_encoder.%s", rel);
    p = hero_model_param(m, full);
    if (p) *rows = p->shape[0];
    if (p && (p == hero_model_param(m, "v_encoder.f_encoder.embeddings.word_embeddings.weight") ||
              p == hero_model_param(m, "v_encoder.f_encoder.lm_head.bias")))
        *rows = m->cfg.V;
    return p;
}

static void hero__rb_shape_str(char *out, size_t cap, const int64_t *shape, int nd) {
    size_t o = 0;
    int d;
    o += (size_t)snprintf(out, cap, "[");
    for (d = 0; d < nd && o + 24 < cap; d++) o += (size_t)snprintf(out + o, cap - o, "%s%lld", d ? "," : "", (long long)shape[d]);
    snprintf(out + o, cap - o, "]");
}

/* does file tensor t fit official state entry rel (param p, `rows` rows)? */
static int hero__rb_check(const hero_model *m, const char *rel, const hero_param *p, int64_t rows, const hero_tensor_info *t,
                          const char *key, const char *file, hero_error *err) {
    int64_t want[3];
    int nd, d, ok;
    char ws[64], fs[200];
    if (!p) { nd = 2; want[0] = 8; want[1] = m->cfg.H; } /* pad */
    else { nd = p->ndim; for (d = 0; d < nd; d++) want[d] = p->shape[d]; want[0] = rows; }
    ok = t->ndim == nd;
    for (d = 0; ok && d < nd; d++) ok = t->shape[d] == want[d];
    if (!ok && strcmp(rel, "embeddings.token_type_embeddings.weight") == 0)
        ok = t->ndim == 2 && t->shape[0] >= 1 && t->shape[1] == m->cfg.H; /* any type_vocab_size */
    if (!ok) {
        hero__rb_shape_str(ws, sizeof(ws), want, nd);
        hero__rb_shape_str(fs, sizeof(fs), t->shape, t->ndim < 0 ? 0 : (t->ndim > HERO_MAX_DIMS ? HERO_MAX_DIMS : t->ndim));
        if (strcmp(rel, "embeddings.token_type_embeddings.weight") == 0) snprintf(ws, sizeof(ws), "[n>=1,%d]", m->cfg.H);
        if (t->name && strcmp(t->name, key) != 0)
            return hero__fail(err, HERO_ESHAPE, "%s: tensor %s (read as %s) has shape %s, the model expects %s (for v_encoder.f_encoder.%s)",
                              file, t->name, key, fs, ws, rel);
        return hero__fail(err, HERO_ESHAPE, "%s: tensor %s has shape %s, the model expects %s (for v_encoder.f_encoder.%s)",
                          file, key, fs, ws, rel);
    }
    return hero__tensor_check(t, file, err);
}

HERODEF int hero_model_init_roberta(hero_model *m, const char *path_or_NULL, const hero_tensorfile *tf,
                                    hero_load_report *rep, hero_error *err) {
    hero_tensorfile own;
    hero__rdict d;
    hero_load_report local;
    const char *file, *prefix = "";
    char rel[HERO__RB_MAXN], key[HERO__RB_MAXN + 16];
    int rc = 0, i, n_state, nl;
    memset(&d, 0, sizeof(d));
    memset(&own, 0, sizeof(own));
    if (!rep) rep = &local;
    memset(rep, 0, sizeof(*rep));
    if (!m || !m->table || !m->params) return hero__fail(err, HERO_EINVAL, "hero_model_init_roberta: model not initialised (call hero_model_init)");
    if (m->wtype != HERO_W_F32)
        return hero__fail(err, HERO_EINVAL, "hero_model_init_roberta: the model holds %s weights (f32 only)", hero_wtype_name(m->wtype));
    nl = m->cfg.f_layers;
    if (nl < 1 || nl > 12)
        return hero__fail(err, HERO_EINVAL,
                          "hero_model_init_roberta: layer skipping maps 12 RoBERTa layers onto 1..12 cross-modal layers; the model has %d", nl);
    {
        /* a model straight from hero_model_init is all zeros: LayerNorm weights 0 would stay */
        int h, any = 0;
        for (h = 0; h < m->cfg.H && !any; h++) any = hero__hostp(m, m->p.c_ln_w)[h] != 0.0f;
        if (!any)
            return hero__fail(err, HERO_EINVAL, "hero_model_init_roberta: the model has no fresh parameters "
                                                "(v_encoder.c_encoder.embeddings.LayerNorm.weight is 0): call hero_model_init_random first");
    }
    if (path_or_NULL) {
        if ((rc = hero_tensorfile_open(&own, path_or_NULL, err)) != 0) return rc;
        tf = &own;
    } else if (!tf) {
        return hero__fail(err, HERO_EINVAL, "hero_model_init_roberta: no file (path and tensor file are both NULL)");
    }
    file = tf->path ? tf->path : "<tensors>";
    if (tf->n_tensors > HERO__RB_MAX_KEYS) {
        rc = hero__fail(err, HERO_ELIMIT, "%s: %d tensors; a RoBERTa state dict has a few hundred (limit %d)", file,
                        tf->n_tensors, HERO__RB_MAX_KEYS);
        goto done;
    }
    /* 1-2: the official key transformations */
    if (hero__rb_skip_layers(&d, tf, nl) != 0 || hero__rb_rename(&d) != 0) {
        rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory for the key table", file);
        goto done;
    }
    /* 3: start_prefix */
    for (i = 0; i < d.n; i++)
        if (hero__init_starts(d.name[i], "roberta.")) { prefix = "roberta."; break; }
    /* 4a: check every shape first, count and list what is missing */
    n_state = hero__rb_state_count(nl);
    for (i = 0; i < n_state; i++) {
        int at;
        int64_t rows = 0;
        hero_param *p;
        hero__rb_state_name(rel, i, nl);
        snprintf(key, sizeof(key), "%s%s", prefix, rel);
        p = hero__rb_param(m, rel, &rows);
        at = hero__rdict_find(&d, key);
        if (at < 0) { hero__rb_report_add(rep->missing, sizeof(rep->missing), &rep->n_missing, key); continue; }
        if ((rc = hero__rb_check(m, rel, p, rows, d.t[at], key, file, err)) != 0) goto done;
        rep->n_loaded++;
    }
    for (i = 0; i < d.n; i++)
        if (hero__init_starts(d.name[i], prefix) && hero__rb_unexpected(d.name[i] + strlen(prefix), nl))
            hero__rb_report_add(rep->unexpected, sizeof(rep->unexpected), &rep->n_unexpected, d.name[i]);
    if (rep->n_loaded == 0) {
        rc = hero__fail(err, HERO_EMISSING,
                        "%s: no RoBERTa weights found (expected keys like roberta.embeddings.word_embeddings.weight [%d,%d]; "
                        "the file has %d tensors%s%s)", file, m->cfg.V, m->cfg.H, tf->n_tensors,
                        tf->n_tensors ? ", the first is " : "", tf->n_tensors && tf->tensors[0].name ? tf->tensors[0].name : "");
        goto done;
    }
    /* 4b: copy, in the official module order (the tied decoder after the word table) */
    for (i = 0; i < n_state; i++) {
        int at;
        int64_t rows = 0;
        hero_param *p;
        const hero_tensor_info *t;
        hero__rb_state_name(rel, i, nl);
        snprintf(key, sizeof(key), "%s%s", prefix, rel);
        p = hero__rb_param(m, rel, &rows);
        if ((at = hero__rdict_find(&d, key)) < 0 || !p) continue;
        t = d.t[at];
        if (strcmp(rel, "embeddings.token_type_embeddings.weight") == 0) {
            /* init_type_embedding: every row = the file's row 0 (read through a one-row view) */
            hero_tensor_info row = *t;
            row.shape[0] = 1;
            if ((rc = hero_tensor_read_f32(&row, p->data, m->cfg.H, err)) == 0)
                memcpy(p->data + m->cfg.H, p->data, (size_t)m->cfg.H * sizeof(float));
        } else {
            rc = hero_tensor_read_f32(t, p->data, (int64_t)(p->numel / (size_t)p->shape[0]) * rows, err);
        }
        if (rc) goto done;
    }
    /* 5: pad_vocab, init_type_embedding (fresh table case), clip-level mask row 0 */
    if (m->cfg.Vp > m->cfg.V) {
        memset(hero__hostp(m, m->p.f_word) + (size_t)m->cfg.V * m->cfg.H, 0, (size_t)(m->cfg.Vp - m->cfg.V) * m->cfg.H * sizeof(float));
        memset(hero__hostp(m, m->p.lm_bias) + m->cfg.V, 0, (size_t)(m->cfg.Vp - m->cfg.V) * sizeof(float));
    }
    memcpy(hero__hostp(m, m->p.f_type) + m->cfg.H, hero__hostp(m, m->p.f_type), (size_t)m->cfg.H * sizeof(float));
    memset(hero__hostp(m, m->p.v_mask), 0, (size_t)m->cfg.F * sizeof(float));
    rc = hero__dev_model_copy(m, 0, 0, err); /* a GPU model: the weights to the GPU */
done:
    hero__rdict_free(&d);
    if (path_or_NULL) hero_tensorfile_close(&own);
    return rc;
}

/* ======================================================================================
   19. Backends: CUDA (HERO_CUDA). The implementation file is compiled by nvcc as CUDA C++
       (`make cuda`). One context per model: a stream, a cuBLAS handle, the parameter and
       gradient blocks, the activation arena (device chunks), reusable scratch, a pinned
       staging buffer. Every primitive of the dispatch section has its kernel(s) here,
       forward next to backward; matrix products go through cuBLAS (row-major as swapped
       column-major operands). Everything is queued on the model's stream; the host waits
       only when it reads numbers back (the losses at the end of a pass, hero_copy_to_host,
       the gradient norm of an update) and a CUDA / cuBLAS failure is kept (the first one)
       and reported there as HERO_EDEVICE.
       Precision (hero_model_set_precision) is the compute type of every cuBLAS product, whose
       operands and outputs stay fp32 in memory: FP32 = CUBLAS_COMPUTE_32F; TF32 =
       CUBLAS_COMPUTE_32F_FAST_TF32; BF16 = CUBLAS_COMPUTE_32F_FAST_16BF (cuBLAS rounds both
       operands to bf16 as it loads them, bf16 tensor cores, fp32 accumulation and output).
       Everything else (activations, LayerNorm / softmax / loss reductions, gradients, AdamW)
       is fp32 in every precision. No atomics: a pass gives the same bits every run (cuBLAS
       is deterministic for a given GPU model and configuration).
   ====================================================================================== */
#ifdef HERO_CUDA
#if defined(HERO_CUDA_EMU)
/* tests only (tests/cuda_emu.h, included before hero.h): the CUDA runtime and cuBLAS emulated on the CPU */
#elif !defined(__CUDACC__)
#error "hero.h: HERO_CUDA needs the implementation file compiled by nvcc as CUDA C++ (nvcc -x cu)"
#else
#include <cuda_runtime.h>
#include <cublas_v2.h>
#endif

#define HERO__CU_SLOTS 4 /* scratch: 2 reduction partials; 3 op temporaries (0, 1 spare) */

typedef struct hero__cuda {
    int device;
    char name[320];
    cudaStream_t stream;
    cublasHandle_t blas;
    int precision;                          /* hero_precision */
    size_t n_floats;
    float *params, *grads;                  /* [n_floats] each: what m->p / m->g point into */
    int n_params;
    int64_t *poff, *pnum;                   /* [n_params] offset, numel of each parameter (device) */
    size_t max_numel;
    float *pdesc;                           /* [3 * n_params] per-update: step size, decay factor, active (device) */
    double *sumsq;                          /* [n_params] gradient norm partials (device) */
    hero_arena arena;                       /* activations; arena.dev = this context */
    void *scr[HERO__CU_SLOTS];
    size_t scap[HERO__CU_SLOTS];
    unsigned char *pinned;                  /* host staging (uploads of a pass, per-update descriptors) */
    size_t pinned_cap;
    int err;                                /* a CUDA / cuBLAS call failed since the last pass began */
    char msg[256];
} hero__cuda;

typedef struct hero__cuda_opt {
    float *m, *v;                           /* AdamW moments [n_floats] (device) */
} hero__cuda_opt;

static hero__cuda *hero__cu_x(hero_arena *ar) { return (hero__cuda *)ar->dev; }
/* defined further down, used before */
static void *hero__cu_alloc(hero_arena *a, size_t bytes, int zero);
static void hero__cu_rows_add(hero_arena *ar, float *dst, const float *src, const hero__rowmap *mp, int H);

/* keeps the first failure; returns 0 or HERO_EDEVICE */
static int hero__cu_ok(hero__cuda *x, cudaError_t e, const char *what) {
    if (e == cudaSuccess) return 0;
    if (!x->err) {
        x->err = 1;
        snprintf(x->msg, sizeof(x->msg), "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    }
    return HERO_EDEVICE;
}
static int hero__cu_blas_ok(hero__cuda *x, cublasStatus_t s, const char *what) {
    if (s == CUBLAS_STATUS_SUCCESS) return 0;
    if (!x->err) {
        x->err = 1;
        snprintf(x->msg, sizeof(x->msg), "%s: cuBLAS status %d", what, (int)s);
    }
    return HERO_EDEVICE;
}
/* waits for the stream; HERO_EDEVICE if anything failed */
static int hero__cu_sync(hero__cuda *x) {
    hero__cu_ok(x, cudaStreamSynchronize(x->stream), "cudaStreamSynchronize");
    hero__cu_ok(x, cudaGetLastError(), "a kernel");
    return x->err ? HERO_EDEVICE : 0;
}

#ifndef HERO__CU_T
#define HERO__CU_T 256 /* threads per block (a multiple of 32) */
#endif
/* kern<<<grid, block, shmem bytes, the model's stream>>>(...), failure kept */
#ifdef HERO_CUDA_EMU
#define HERO__CU_LAUNCH_SH(x, kern, grid, block, shmem, ...)                                         \
    do {                                                                                             \
        hero_emu_launch(#kern, (grid), (block), (shmem), [&]() { kern(__VA_ARGS__); }, __VA_ARGS__); \
        hero__cu_ok((x), cudaGetLastError(), #kern);                                                 \
    } while (0)
#define HERO__CU_DSHARED(type, name) type *name = (type *)hero_emu_dyn_shared()
#else
#define HERO__CU_LAUNCH_SH(x, kern, grid, block, shmem, ...)                     \
    do {                                                                         \
        kern<<<(grid), (block), (shmem), (x)->stream>>>(__VA_ARGS__);            \
        hero__cu_ok((x), cudaGetLastError(), #kern);                             \
    } while (0)
#define HERO__CU_DSHARED(type, name) extern __shared__ type name[]
#endif
#define HERO__CU_LAUNCH(x, kern, grid, block, ...) HERO__CU_LAUNCH_SH(x, kern, grid, block, 0, __VA_ARGS__)
/* grid-stride loops over n items / rows */
#define HERO__CU_FOR(i, n) for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (size_t)(n); i += (size_t)gridDim.x * blockDim.x)
#define HERO__CU_ROWS(r, n) for (size_t r = blockIdx.x; r < (size_t)(n); r += gridDim.x)

/* blocks of a grid-stride launch over n items (HERO__CU_T threads each) / over rows (one block each) */
#ifndef HERO_CUDA_MAX_GRID
#define HERO_CUDA_MAX_GRID (1u << 20)
#endif
static unsigned hero__cu_grid(size_t n) {
    size_t b = (n + HERO__CU_T - 1) / HERO__CU_T;
    return (unsigned)(b < 1 ? 1 : b > HERO_CUDA_MAX_GRID ? HERO_CUDA_MAX_GRID : b);
}
static unsigned hero__cu_rgrid(size_t rows) {
    return (unsigned)(rows < 1 ? 1 : rows > HERO_CUDA_MAX_GRID ? HERO_CUDA_MAX_GRID : rows);
}

/* scratch slot of at least bytes (grows: waits for the stream first); NULL (error kept) if out of memory */
static void *hero__cu_scratch(hero__cuda *x, int slot, size_t bytes) {
    size_t cap;
    if (bytes <= x->scap[slot] && x->scr[slot]) return x->scr[slot];
    cap = bytes > 2 * x->scap[slot] ? bytes : 2 * x->scap[slot];
    cap = (cap + 255) & ~(size_t)255;
    hero__cu_ok(x, cudaStreamSynchronize(x->stream), "scratch");
    if (x->scr[slot]) cudaFree(x->scr[slot]);
    x->scr[slot] = NULL;
    x->scap[slot] = 0;
    if (hero__cu_ok(x, cudaMalloc(&x->scr[slot], cap), "cudaMalloc (scratch)")) { x->scr[slot] = NULL; return NULL; }
    x->scap[slot] = cap;
    return x->scr[slot];
}
/* pinned host staging of at least bytes (grows: waits for the stream first) */
static unsigned char *hero__cu_pinned(hero__cuda *x, size_t bytes) {
    void *p = NULL;
    if (bytes <= x->pinned_cap && x->pinned) return x->pinned;
    hero__cu_ok(x, cudaStreamSynchronize(x->stream), "staging");
    if (x->pinned) cudaFreeHost(x->pinned);
    x->pinned = NULL;
    x->pinned_cap = 0;
    bytes = bytes < ((size_t)1 << 20) ? ((size_t)1 << 20) : bytes + bytes / 2;
    if (hero__cu_ok(x, cudaHostAlloc(&p, bytes, cudaHostAllocDefault), "cudaHostAlloc (staging)")) return NULL;
    x->pinned = (unsigned char *)p;
    x->pinned_cap = bytes;
    return x->pinned;
}

/* ---------------- block reductions (blockDim a multiple of 32, sh >= 33 entries) ---------------- */
template <typename T> __device__ __forceinline__ T hero__cu_wsum(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float hero__cu_wmax(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
template <typename T> __device__ T hero__cu_bsum(T v, T *sh) {
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = hero__cu_wsum(v);
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? sh[lane] : (T)0;
        v = hero__cu_wsum(v);
        if (lane == 0) sh[32] = v;
    }
    __syncthreads();
    return sh[32];
}
__device__ float hero__cu_bmax(float v, float *sh) {
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = hero__cu_wmax(v);
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? sh[lane] : -INFINITY;
        v = hero__cu_wmax(v);
        if (lane == 0) sh[32] = v;
    }
    __syncthreads();
    return sh[32];
}

/* ---------------- elementwise ---------------- */
static __global__ void hero__kn_add(float *y, const float *x, size_t n) { HERO__CU_FOR(i, n) y[i] += x[i]; }
static __global__ void hero__kn_div(float *x, size_t n, float d) { HERO__CU_FOR(i, n) x[i] /= d; }
static __global__ void hero__kn_scale2d(float *c, int M, int N, int ldc, float beta) {
    HERO__CU_FOR(i, (size_t)M * N) {
        float *p = c + (i / N) * ldc + i % N;
        *p = beta == 0.0f ? 0.0f : *p * beta;
    }
}
static __global__ void hero__kn_mul_mask(float *x, const int32_t *m, size_t n) { HERO__CU_FOR(i, n) x[i] *= (float)m[i]; }
static __global__ void hero__kn_mul_mask_rows(float *dst, const float *src, const int32_t *m, size_t n, int C) {
    HERO__CU_FOR(i, n) dst[i] = src[i] * (float)m[i % C];
}
static __global__ void hero__kn_mask_logits(float *x, const int32_t *m, size_t n, int C) {
    HERO__CU_FOR(i, n) {
        float mk = (float)m[i % C];
        x[i] = x[i] * mk + (1.0f - mk) * -1e4f;
    }
}
static __global__ void hero__kn_gelu_fwd(float *out, const float *x, size_t n) {
    HERO__CU_FOR(i, n) out[i] = x[i] * 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
}
static __global__ void hero__kn_gelu_bwd(float *dx, const float *dout, const float *x, size_t n) {
    HERO__CU_FOR(i, n) {
        float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
        float pdf = expf(-0.5f * x[i] * x[i]) * 0.39894228040143268f;
        dx[i] += dout[i] * (cdf + x[i] * pdf);
    }
}
static __global__ void hero__kn_relu_fwd(float *x, size_t n) { HERO__CU_FOR(i, n) if (!(x[i] > 0.0f)) x[i] = 0.0f; }
static __global__ void hero__kn_relu_bwd(float *dx, const float *dout, const float *out, size_t n) {
    HERO__CU_FOR(i, n) if (out[i] > 0.0f) dx[i] += dout[i];
}
static __global__ void hero__kn_tanh(float *x, size_t n) { HERO__CU_FOR(i, n) x[i] = tanhf(x[i]); }
/* out[n, o] += b[o] */
static __global__ void hero__kn_bias(float *out, const float *b, size_t n, int O) { HERO__CU_FOR(i, n) out[i] += b[i % O]; }

static void hero__cu_add(hero_arena *ar, float *y, const float *x, size_t n) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_add, hero__cu_grid(n), HERO__CU_T, y, x, n);
}
static void hero__cu_copy(hero_arena *ar, float *y, const float *x, size_t n) {
    hero__cuda *c = hero__cu_x(ar);
    if (n) hero__cu_ok(c, cudaMemcpyAsync(y, x, n * sizeof(float), cudaMemcpyDeviceToDevice, c->stream), "copy");
}
static void hero__cu_div(hero_arena *ar, float *x, size_t n, float d) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_div, hero__cu_grid(n), HERO__CU_T, x, n, d);
}
static void hero__cu_mul_mask(hero_arena *ar, float *x, const int32_t *mask, size_t n) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_mul_mask, hero__cu_grid(n), HERO__CU_T, x, mask, n);
}
static void hero__cu_mul_mask_rows(hero_arena *ar, float *dst, const float *src, const int32_t *mask, int R, int C) {
    size_t n = (size_t)R * C;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_mul_mask_rows, hero__cu_grid(n), HERO__CU_T, dst, src, mask, n, C);
}
static void hero__cu_mask_logits(hero_arena *ar, float *x, const int32_t *m, size_t n) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_mask_logits, hero__cu_grid(n), HERO__CU_T, x, m, n, (int)(n > 0x7fffffff ? 0x7fffffff : n));
}
static void hero__cu_mask_logits_rows(hero_arena *ar, float *x, const int32_t *mask, int R, int C) {
    size_t n = (size_t)R * C;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_mask_logits, hero__cu_grid(n), HERO__CU_T, x, mask, n, C);
}
static void hero__cu_gelu_fwd(hero_arena *ar, float *out, const float *x, size_t n) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_gelu_fwd, hero__cu_grid(n), HERO__CU_T, out, x, n);
}
static void hero__cu_gelu_bwd(hero_arena *ar, float *dx, const float *dout, const float *x, size_t n) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_gelu_bwd, hero__cu_grid(n), HERO__CU_T, dx, dout, x, n);
}
static void hero__cu_relu_fwd(hero_arena *ar, float *x, size_t n) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_relu_fwd, hero__cu_grid(n), HERO__CU_T, x, n);
}
static void hero__cu_relu_bwd(hero_arena *ar, float *dx, const float *dout, const float *out, size_t n) {
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_relu_bwd, hero__cu_grid(n), HERO__CU_T, dx, dout, out, n);
}

/* ---------------- column sums: dst[c] += sum of rows r (sel[r] != 0 when sel) of src[R, C] (row stride ld);
   deterministic: fixed row chunks, partials in scratch slot 2, then summed in chunk order ---------------- */
static __global__ void hero__kn_colsum1(float *part, const float *src, const uint8_t *sel, int R, int C, size_t ld, int per) {
    __shared__ float sh[8][33];
    int c = blockIdx.x * 32 + threadIdx.x, r0 = blockIdx.y * per, r1 = r0 + per < R ? r0 + per : R, r, k;
    float s = 0.0f;
    if (c < C)
        for (r = r0 + threadIdx.y; r < r1; r += 8)
            if (!sel || sel[r]) s += src[(size_t)r * ld + c];
    sh[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        float t = 0.0f;
        for (k = 0; k < 8; k++) t += sh[k][threadIdx.x];
        part[(size_t)blockIdx.y * C + c] = t;
    }
}
/* dst[C] += the sum of chunks partial rows part [chunks, C] (in chunk order) */
static __global__ void hero__kn_colsum2(float *dst, const float *part, int chunks, int C) {
    HERO__CU_FOR(c, C) {
        float t = 0.0f;
        for (int k = 0; k < chunks; k++) t += part[(size_t)k * C + c];
        dst[c] += t;
    }
}
static void hero__cu_colsum(hero__cuda *x, float *dst, const float *src, const uint8_t *sel, int R, int C, size_t ld) {
    int chunks, per;
    float *part;
    if (R <= 0 || C <= 0) return;
    chunks = (R + 31) / 32;
    if (chunks > 256) chunks = 256;
    per = (R + chunks - 1) / chunks;
    chunks = (R + per - 1) / per;
    if (!(part = (float *)hero__cu_scratch(x, 2, (size_t)chunks * C * sizeof(float)))) return;
    HERO__CU_LAUNCH(x, hero__kn_colsum1, dim3((unsigned)((C + 31) / 32), (unsigned)chunks), dim3(32, 8), part, src, sel, R, C, ld, per);
    HERO__CU_LAUNCH(x, hero__kn_colsum2, hero__cu_grid((size_t)C), HERO__CU_T, dst, part, chunks, C);
}
static void hero__cu_rowsum_masked(hero_arena *ar, float *dst, const float *src, const uint8_t *sel, size_t R, int C) {
    hero__cu_colsum(hero__cu_x(ar), dst, src, sel, (int)R, C, (size_t)C);
}

/* ---------------- matrix products (cuBLAS) ---------------- */
/* C[M,N] (+)= alpha op(A) op(B), row-major, `batch` products at element strides sA, sB, sC, all fp32
   in memory; the compute type from the precision */
static void hero__cu_gemm_sb(hero__cuda *x, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                             long long sA, const float *B, int ldb, long long sB, float beta, float *C, int ldc, long long sC,
                             int batch) {
    cublasComputeType_t ct = x->precision == HERO_PREC_TF32   ? CUBLAS_COMPUTE_32F_FAST_TF32
                             : x->precision == HERO_PREC_BF16 ? CUBLAS_COMPUTE_32F_FAST_16BF
                                                              : CUBLAS_COMPUTE_32F;
    if (M <= 0 || N <= 0 || batch <= 0) return;
    if (K <= 0) {
        for (int b = 0; b < batch; b++)
            HERO__CU_LAUNCH(x, hero__kn_scale2d, hero__cu_grid((size_t)M * N), HERO__CU_T, C + b * sC, M, N, ldc, beta);
        return;
    }
    /* row-major C = op(A) op(B)  <=>  column-major C^T = op(B)^T op(A)^T */
    hero__cu_blas_ok(x, cublasGemmStridedBatchedEx(x->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K,
                                                   &alpha, B, CUDA_R_32F, ldb, sB, A, CUDA_R_32F, lda, sA, &beta, C, CUDA_R_32F,
                                                   ldc, sC, batch, ct, CUBLAS_GEMM_DEFAULT),
                     "cublasGemmStridedBatchedEx");
}
static void hero__cu_gemm(hero_arena *ar, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                          const float *B, int ldb, float beta, float *C, int ldc) {
    hero__cu_gemm_sb(hero__cu_x(ar), ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
static void hero__cu_linear_fwd(hero_arena *ar, float *out, const float *in, const float *W, const float *b, int N, int K, int O) {
    if (N <= 0 || O <= 0) return;
    hero__cu_gemm(ar, 0, 1, N, O, K, 1.0f, in, K, W, K, 0.0f, out, O);
    if (b) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_bias, hero__cu_grid((size_t)N * O), HERO__CU_T, out, b, (size_t)N * O, O);
}
static void hero__cu_linear_bwd(hero_arena *ar, float *din, float *dW, float *db, const float *dout, const float *in,
                                const float *W, int N, int K, int O) {
    if (N <= 0) return;
    if (din) hero__cu_gemm(ar, 0, 0, N, K, O, 1.0f, dout, O, W, K, 1.0f, din, K);
    if (dW) hero__cu_gemm(ar, 1, 0, O, K, N, 1.0f, dout, O, in, K, 1.0f, dW, K);
    if (db) hero__cu_colsum(hero__cu_x(ar), db, dout, NULL, N, O, (size_t)O);
}
static void hero__cu_pooler_fwd(hero_arena *ar, float *pooled, const float *x, size_t ldx, const float *W, const float *b, int S,
                                int H) {
    if (S <= 0) return;
    hero__cu_gemm(ar, 0, 1, S, H, H, 1.0f, x, (int)ldx, W, H, 0.0f, pooled, H);
    HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_bias, hero__cu_grid((size_t)S * H), HERO__CU_T, pooled, b, (size_t)S * H, H);
    HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_tanh, hero__cu_grid((size_t)S * H), HERO__CU_T, pooled, (size_t)S * H);
}

/* ---------------- LayerNorm (one block per row; fp32 statistics) ---------------- */
static __global__ void hero__kn_ln_fwd(float *out, float *mean, float *rstd, const float *x, const float *w, const float *b, int N,
                                       int C, float eps) {
    __shared__ float sh[33];
    HERO__CU_ROWS(n, N) {
        const float *xr = x + n * C;
        float *o = out + n * C, s = 0.0f, v = 0.0f, mu, rs;
        int i;
        for (i = threadIdx.x; i < C; i += blockDim.x) s += xr[i];
        mu = hero__cu_bsum(s, sh) / (float)C;
        for (i = threadIdx.x; i < C; i += blockDim.x) {
            float d = xr[i] - mu;
            v += d * d;
        }
        rs = 1.0f / sqrtf(hero__cu_bsum(v, sh) / (float)C + eps);
        for (i = threadIdx.x; i < C; i += blockDim.x) o[i] = (xr[i] - mu) * rs * w[i] + b[i];
        if (threadIdx.x == 0) {
            if (mean) mean[n] = mu;
            if (rstd) rstd[n] = rs;
        }
    }
}
/* dx += (dout w - mean(dout w) - xhat mean(dout w xhat)) rstd; tmp (may be NULL) = dout xhat (for dw) */
static __global__ void hero__kn_ln_bwd(float *dx, float *tmp, const float *dout, const float *x, const float *mean,
                                       const float *rstd, const float *w, int N, int C) {
    __shared__ float sh[33];
    HERO__CU_ROWS(n, N) {
        const float *xr = x + n * C, *dr = dout + n * C;
        float m = mean[n], rs = rstd[n], s1 = 0.0f, s2 = 0.0f, a, bb;
        int i;
        for (i = threadIdx.x; i < C; i += blockDim.x) {
            float xh = (xr[i] - m) * rs, dxh = dr[i] * w[i];
            s1 += dxh;
            s2 += dxh * xh;
            if (tmp) tmp[n * C + i] = dr[i] * xh;
        }
        a = hero__cu_bsum(s1, sh) / (float)C;
        bb = hero__cu_bsum(s2, sh) / (float)C;
        if (dx)
            for (i = threadIdx.x; i < C; i += blockDim.x) {
                float xh = (xr[i] - m) * rs;
                dx[n * C + i] += (dr[i] * w[i] - a - xh * bb) * rs;
            }
    }
}
static void hero__cu_layernorm_fwd(hero_arena *ar, float *out, float *mean, float *rstd, const float *x, const float *w,
                                   const float *b, int N, int C, float eps) {
    if (N > 0) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_ln_fwd, hero__cu_rgrid((size_t)N), HERO__CU_T, out, mean, rstd, x, w, b, N, C, eps);
}
static void hero__cu_layernorm_bwd(hero_arena *ar, float *dx, float *dw, float *db, const float *dout, const float *x,
                                   const float *mean, const float *rstd, const float *w, int N, int C) {
    hero__cuda *c = hero__cu_x(ar);
    float *tmp = NULL;
    if (N <= 0) return;
    if (dw && !(tmp = (float *)hero__cu_scratch(c, 3, (size_t)N * C * sizeof(float)))) return;
    HERO__CU_LAUNCH(c, hero__kn_ln_bwd, hero__cu_rgrid((size_t)N), HERO__CU_T, dx, tmp, dout, x, mean, rstd, w, N, C);
    if (dw) hero__cu_colsum(c, dw, tmp, NULL, N, C, (size_t)C);
    if (db) hero__cu_colsum(c, db, dout, NULL, N, C, (size_t)C);
}

/* ---------------- L2 normalisation (rows) ---------------- */
static __global__ void hero__kn_l2n_fwd(float *y, float *norm, const float *x, int N, int C, float eps) {
    __shared__ float sh[33];
    HERO__CU_ROWS(n, N) {
        const float *xr = x + n * C;
        float s = 0.0f, nr, d;
        int i;
        for (i = threadIdx.x; i < C; i += blockDim.x) s += xr[i] * xr[i];
        nr = sqrtf(hero__cu_bsum(s, sh));
        d = nr > eps ? nr : eps;
        for (i = threadIdx.x; i < C; i += blockDim.x) y[n * C + i] = xr[i] / d;
        if (threadIdx.x == 0) norm[n] = nr;
    }
}
static __global__ void hero__kn_l2n_bwd(float *dx, const float *dy, const float *y, const float *norm, int N, int C, float eps) {
    __shared__ float sh[33];
    HERO__CU_ROWS(n, N) {
        const float *yr = y + n * C, *dr = dy + n * C;
        float nr = norm[n], s = 0.0f;
        int i;
        for (i = threadIdx.x; i < C; i += blockDim.x) s += yr[i] * dr[i];
        s = hero__cu_bsum(s, sh);
        for (i = threadIdx.x; i < C; i += blockDim.x) dx[n * C + i] += nr > eps ? (dr[i] - yr[i] * s) / nr : dr[i] / eps;
    }
}
static void hero__cu_l2norm_fwd(hero_arena *ar, float *y, float *norm, const float *x, int N, int C, float eps) {
    if (N > 0) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_l2n_fwd, hero__cu_rgrid((size_t)N), HERO__CU_T, y, norm, x, N, C, eps);
}
static void hero__cu_l2norm_bwd(hero_arena *ar, float *dx, const float *dy, const float *y, const float *norm, int N, int C,
                                float eps) {
    if (N > 0) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_l2n_bwd, hero__cu_rgrid((size_t)N), HERO__CU_T, dx, dy, y, norm, N, C, eps);
}

/* ---------------- conv1d (1 channel, kernel K, padding K/2) ---------------- */
static __global__ void hero__kn_conv_fwd(float *y, const float *x, const float *w, int N, int L, int K) {
    HERO__CU_FOR(i, (size_t)N * L) {
        int l = (int)(i % L), p = K / 2, j;
        const float *xr = x + (i - l);
        float s = 0.0f;
        for (j = 0; j < K; j++) {
            int t = l + j - p;
            if (t >= 0 && t < L) s += w[j] * xr[t];
        }
        y[i] = s;
    }
}
/* dx[n, t] += sum_j w[j] dy[n, t - j + p] */
static __global__ void hero__kn_conv_bwd_x(float *dx, const float *dy, const float *w, int N, int L, int K) {
    HERO__CU_FOR(i, (size_t)N * L) {
        int t = (int)(i % L), p = K / 2, j;
        const float *dr = dy + (i - t);
        float s = 0.0f;
        for (j = 0; j < K; j++) {
            int l = t - j + p;
            if (l >= 0 && l < L) s += w[j] * dr[l];
        }
        dx[i] += s;
    }
}
/* part[block, j] = this block's share of sum_{n,l} dy[n,l] x[n, l + j - p] */
static __global__ void hero__kn_conv_bwd_w(float *part, const float *dy, const float *x, int N, int L, int K) {
    __shared__ float sh[33];
    int j;
    for (j = 0; j < K; j++) {
        float s = 0.0f;
        HERO__CU_FOR(i, (size_t)N * L) {
            int l = (int)(i % L), t = l + j - K / 2;
            if (t >= 0 && t < L) s += dy[i] * x[i - l + t];
        }
        s = hero__cu_bsum(s, sh);
        if (threadIdx.x == 0) part[(size_t)blockIdx.x * K + j] = s;
    }
}
static void hero__cu_conv1d_fwd(hero_arena *ar, float *y, const float *x, const float *w, int N, int L, int K) {
    size_t n = (size_t)N * L;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_conv_fwd, hero__cu_grid(n), HERO__CU_T, y, x, w, N, L, K);
}
static void hero__cu_conv1d_bwd(hero_arena *ar, float *dx, float *dw, const float *dy, const float *x, const float *w, int N,
                                int L, int K) {
    hero__cuda *c = hero__cu_x(ar);
    size_t n = (size_t)N * L;
    if (!n) return;
    if (dx) HERO__CU_LAUNCH(c, hero__kn_conv_bwd_x, hero__cu_grid(n), HERO__CU_T, dx, dy, w, N, L, K);
    if (dw) {
        unsigned nb = hero__cu_grid(n) > 128 ? 128 : hero__cu_grid(n);
        float *part = (float *)hero__cu_scratch(c, 2, (size_t)nb * K * sizeof(float));
        if (!part) return;
        HERO__CU_LAUNCH(c, hero__kn_conv_bwd_w, nb, HERO__CU_T, part, dy, x, N, L, K);
        HERO__CU_LAUNCH(c, hero__kn_colsum2, 1, HERO__CU_T, dw, part, (int)nb, K);
    }
}

/* ---------------- embeddings, positions, masks ---------------- */
static __global__ void hero__kn_embed_fwd(float *out, const int32_t *ids, const int32_t *pos, const float *word, const float *ptab,
                                          const float *type_row, int T, size_t n, int H) {
    HERO__CU_FOR(i, n) {
        size_t row = i / H;
        int h = (int)(i % H), t = (int)(row % T);
        out[i] = word[(size_t)ids[row] * H + h] + ptab[(size_t)pos[t] * H + h] + type_row[h];
    }
}
/* position rows, deterministic: tmp[t, h] = sum_n d[n, t, h]; then per column h, in t order,
   gpos[pos[t], h] += tmp[t, h] (pos NULL: position t) */
static __global__ void hero__kn_pos_bwd1(float *tmp, const float *d, int N, int T, int H) {
    HERO__CU_FOR(i, (size_t)T * H) {
        int t = (int)(i / H), h = (int)(i % H), n;
        float s = 0.0f;
        for (n = 0; n < N; n++) s += d[((size_t)n * T + t) * H + h];
        tmp[i] = s;
    }
}
static __global__ void hero__kn_pos_bwd2(float *gpos, const float *tmp, const int32_t *pos, int T, int H) {
    HERO__CU_FOR(h, H)
        for (int t = 0; t < T; t++) gpos[(size_t)(pos ? pos[t] : t) * H + h] += tmp[(size_t)t * H + h];
}
static void hero__cu_pos_bwd(hero__cuda *c, float *gpos, const float *d, const int32_t *pos, int N, int T, int H) {
    float *tmp = (float *)hero__cu_scratch(c, 3, (size_t)T * H * sizeof(float));
    if (!tmp || T <= 0 || H <= 0) return;
    HERO__CU_LAUNCH(c, hero__kn_pos_bwd1, hero__cu_grid((size_t)T * H), HERO__CU_T, tmp, d, N, T, H);
    HERO__CU_LAUNCH(c, hero__kn_pos_bwd2, hero__cu_grid((size_t)H), HERO__CU_T, gpos, tmp, pos, T, H);
}
static __global__ void hero__kn_add_pos_type(float *x, const int32_t *pos, const float *ptab, const float *type_row, int T,
                                             size_t n, int H) {
    HERO__CU_FOR(i, n) {
        int h = (int)(i % H), t = (int)((i / H) % T);
        x[i] += ptab[(size_t)pos[t] * H + h] + type_row[h];
    }
}
static __global__ void hero__kn_add_pos(float *out, const float *in, const float *ptab, int T, size_t n, int H) {
    HERO__CU_FOR(i, n) out[i] = in[i] + ptab[((i / H) % T) * H + i % H];
}
static __global__ void hero__kn_add_rowsel(float *x, const uint8_t *sel, const float *table, size_t n, int C) {
    HERO__CU_FOR(i, n) x[i] += table[(size_t)(sel[i / C] ? 1 : 0) * C + i % C];
}
static __global__ void hero__kn_mfm_mask(float *x, const uint8_t *sel, const float *table, size_t n, int C) {
    HERO__CU_FOR(i, n) {
        int mk = sel[i / C] ? 1 : 0;
        x[i] = (mk ? 0.0f : x[i]) + table[(size_t)mk * C + i % C];
    }
}
static void hero__cu_embed_fwd(hero_arena *ar, float *out, const int32_t *ids, const int32_t *pos, const float *word,
                               const float *ptab, const float *type_row, int N, int T, int H) {
    size_t n = (size_t)N * T * H;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_embed_fwd, hero__cu_grid(n), HERO__CU_T, out, ids, pos, word, ptab, type_row, T, n, H);
}
static void hero__cu_embed_bwd(hero_arena *ar, float *gword, float *gpos, float *gtype, const float *d, const int32_t *ids,
                               const int32_t *pos, int N, int T, int H, const hero__rowmap *wmap) {
    hero__cuda *c = hero__cu_x(ar);
    size_t n = (size_t)N * T * H;
    if (!n) return;
    (void)ids;
    if (gword && wmap) hero__cu_rows_add(ar, gword, d, wmap, H); /* in row order: deterministic */
    else if (gword && !c->err) {
        c->err = 1;
        snprintf(c->msg, sizeof(c->msg), "internal: a word-table gradient without its row map");
    }
    hero__cu_pos_bwd(c, gpos, d, pos, N, T, H);
    hero__cu_colsum(c, gtype, d, NULL, N * T, H, (size_t)H);
}
static void hero__cu_add_pos_type(hero_arena *ar, float *x, const int32_t *pos, const float *ptab, const float *type_row, int N,
                                  int T, int H) {
    size_t n = (size_t)N * T * H;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_add_pos_type, hero__cu_grid(n), HERO__CU_T, x, pos, ptab, type_row, T, n, H);
}
static void hero__cu_add_pos(hero_arena *ar, float *out, const float *in, const float *ptab, int B, int T, int H) {
    size_t n = (size_t)B * T * H;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_add_pos, hero__cu_grid(n), HERO__CU_T, out, in, ptab, T, n, H);
}
static void hero__cu_add_pos_bwd(hero_arena *ar, float *gpos, float *dx, const float *d, int B, int T, int H) {
    hero__cuda *c = hero__cu_x(ar);
    size_t n = (size_t)B * T * H;
    if (!n) return;
    hero__cu_pos_bwd(c, gpos, d, NULL, B, T, H);
    if (dx) HERO__CU_LAUNCH(c, hero__kn_add, hero__cu_grid(n), HERO__CU_T, dx, d, n);
}
static void hero__cu_add_rowsel(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    size_t n = R * C;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_add_rowsel, hero__cu_grid(n), HERO__CU_T, x, sel, table, n, C);
}
static void hero__cu_mfm_mask(hero_arena *ar, float *x, const uint8_t *sel, const float *table, size_t R, int C) {
    size_t n = R * C;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_mfm_mask, hero__cu_grid(n), HERO__CU_T, x, sel, table, n, C);
}

/* ---------------- gathers and scatters of rows ---------------- */
static __global__ void hero__kn_merge_fwd(float *emb, const float *v_emb, const float *t_emb, const int32_t *gather, int Lv, int Lt,
                                          int Lg, size_t n, int H) {
    HERO__CU_FOR(i, n) {
        size_t row = i / H, nn = row / Lg;
        int h = (int)(i % H), idx = gather[row];
        emb[i] = idx < Lv ? v_emb[(nn * Lv + idx) * H + h] : t_emb[(nn * Lt + (idx - Lv)) * H + h];
    }
}
/* one thread per (row n, column h) walks the gathered positions in order: no two writers */
static __global__ void hero__kn_merge_bwd(float *dv, float *dt, const float *demb, const int32_t *gather, int N, int Lv, int Lt,
                                          int Lg, int H) {
    HERO__CU_FOR(i, (size_t)N * H) {
        size_t nn = i / H;
        int h = (int)(i % H), g;
        for (g = 0; g < Lg; g++) {
            int idx = gather[nn * Lg + g];
            float *dst = idx < Lv ? dv + (nn * Lv + idx) * H : dt + (nn * Lt + (idx - Lv)) * H;
            dst[h] += demb[(nn * Lg + g) * H + h];
        }
    }
}
static __global__ void hero__kn_rows_copy(float *dst, int ldd, const int32_t *di, const float *src, int lds, const int32_t *si, int n,
                                          int C) {
    HERO__CU_FOR(i, (size_t)n * C) {
        int k = (int)(i / C), c = (int)(i % C);
        dst[(size_t)(di ? di[k] : k) * ldd + c] = src[(size_t)(si ? si[k] : k) * lds + c];
    }
}
/* dst row row[u] += src rows src[ptr[u] .. ptr[u+1]) in order: one thread per (u, h) */
static __global__ void hero__kn_rows_add(float *dst, const float *src, const int32_t *row, const int32_t *ptr, const int32_t *sidx,
                                         int nu, int H) {
    HERO__CU_FOR(i, (size_t)nu * H) {
        int u = (int)(i / H), h = (int)(i % H), k;
        float *d = dst + (size_t)row[u] * H + h, acc = *d;
        for (k = ptr[u]; k < ptr[u + 1]; k++) acc += src[(size_t)sidx[k] * H + h];
        *d = acc;
    }
}
static void hero__cu_merge_fwd(hero_arena *ar, float *emb, const float *v_emb, const float *t_emb, const int32_t *gather, int N,
                               int Lv, int Lt, int Lg, int H) {
    size_t n = (size_t)N * Lg * H;
    if (n) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_merge_fwd, hero__cu_grid(n), HERO__CU_T, emb, v_emb, t_emb, gather, Lv, Lt, Lg, n, H);
}
static void hero__cu_merge_bwd(hero_arena *ar, float *dv, float *dt, const float *demb, const int32_t *gather, int N, int Lv,
                               int Lt, int Lg, int H) {
    if (N > 0) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_merge_bwd, hero__cu_grid((size_t)N * H), HERO__CU_T, dv, dt, demb, gather, N, Lv, Lt, Lg, H);
}
static void hero__cu_rows_copy(hero_arena *ar, float *dst, int ldd, const int32_t *dst_idx, const float *src, int lds,
                               const int32_t *src_idx, int n, int C) {
    if (n > 0 && C > 0)
        HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_rows_copy, hero__cu_grid((size_t)n * C), HERO__CU_T, dst, ldd, dst_idx, src, lds, src_idx, n, C);
}
static void hero__cu_rows_add(hero_arena *ar, float *dst, const float *src, const hero__rowmap *mp, int H) {
    if (mp->n > 0)
        HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_rows_add, hero__cu_grid((size_t)mp->n * H), HERO__CU_T, dst, src, mp->row, mp->ptr, mp->src, mp->n, H);
}

/* ---------------- attention: per head, strided-batched products over the N sequences ---------------- */
/* row r of att [N, A, T, T]: x / sqrt(d) + (1 - mask) * -10000, then softmax */
static __global__ void hero__kn_attn_softmax(float *att, const int32_t *mask, int A, int T, size_t rows, float sq) {
    __shared__ float sh[33];
    HERO__CU_ROWS(r, rows) {
        float *row = att + r * T, mx = -INFINITY, s = 0.0f;
        const int32_t *mk = mask + (r / ((size_t)A * T)) * T;
        int j;
        for (j = threadIdx.x; j < T; j += blockDim.x) {
            float v = row[j] / sq + (1.0f - (float)mk[j]) * -10000.0f;
            row[j] = v;
            mx = fmaxf(mx, v);
        }
        mx = hero__cu_bmax(mx, sh);
        for (j = threadIdx.x; j < T; j += blockDim.x) {
            float e = expf(row[j] - mx);
            row[j] = e;
            s += e;
        }
        s = hero__cu_bsum(s, sh);
        for (j = threadIdx.x; j < T; j += blockDim.x) row[j] /= s;
    }
}
/* in place: dP -> dS = P (dP - sum(dP P)) / sqrt(d) */
static __global__ void hero__kn_attn_softmax_bwd(float *dp, const float *p, int T, size_t rows, float sq) {
    __shared__ float sh[33];
    HERO__CU_ROWS(r, rows) {
        float *d = dp + r * T, s = 0.0f;
        const float *pr = p + r * T;
        int j;
        for (j = threadIdx.x; j < T; j += blockDim.x) s += d[j] * pr[j];
        s = hero__cu_bsum(s, sh);
        for (j = threadIdx.x; j < T; j += blockDim.x) d[j] = pr[j] * (d[j] - s) / sq;
    }
}
static void hero__cu_attn_core_fwd(hero_arena *ar, float *att, float *ctx, const float *q, const float *k, const float *v,
                                   const int32_t *mask, int N, int T, int H, int A) {
    hero__cuda *x = hero__cu_x(ar);
    int d = H / A, h;
    size_t TT = (size_t)T * T;
    long long sq_ = (long long)T * H, sa = (long long)A * TT;
    if (N <= 0 || T <= 0) return;
    for (h = 0; h < A; h++) /* S_h = Q_h K_h^T */
        hero__cu_gemm_sb(x, 0, 1, T, T, d, 1.0f, q + (size_t)h * d, H, sq_, k + (size_t)h * d, H, sq_, 0.0f, att + h * TT, T, sa, N);
    HERO__CU_LAUNCH(x, hero__kn_attn_softmax, hero__cu_rgrid((size_t)N * A * T), 128, att, mask, A, T, (size_t)N * A * T, sqrtf((float)d));
    for (h = 0; h < A; h++) /* ctx_h = P_h V_h */
        hero__cu_gemm_sb(x, 0, 0, T, d, T, 1.0f, att + h * TT, T, sa, v + (size_t)h * d, H, sq_, 0.0f, ctx + (size_t)h * d, H, sq_, N);
}
static int hero__cu_attn_core_bwd(hero_arena *ar, float *dq, float *dk, float *dv, const float *dctx, const float *q,
                                  const float *k, const float *v, const float *att, int N, int T, int H, int A) {
    hero__cuda *x = hero__cu_x(ar);
    int d = H / A, h;
    size_t TT = (size_t)T * T, NATT = (size_t)N * A * TT;
    long long sq_ = (long long)T * H, sa = (long long)A * TT;
    float *dP;
    if (N <= 0 || T <= 0) return 0;
    if (!(dP = (float *)hero__cu_scratch(x, 3, NATT * sizeof(float)))) return 0; /* error kept */
    for (h = 0; h < A; h++) { /* dP_h = dctx_h V_h^T; dV_h += P_h^T dctx_h */
        hero__cu_gemm_sb(x, 0, 1, T, T, d, 1.0f, dctx + (size_t)h * d, H, sq_, v + (size_t)h * d, H, sq_, 0.0f, dP + h * TT, T, sa, N);
        hero__cu_gemm_sb(x, 1, 0, T, d, T, 1.0f, att + h * TT, T, sa, dctx + (size_t)h * d, H, sq_, 1.0f, dv + (size_t)h * d, H, sq_, N);
    }
    HERO__CU_LAUNCH(x, hero__kn_attn_softmax_bwd, hero__cu_rgrid((size_t)N * A * T), 128, dP, att, T, (size_t)N * A * T, sqrtf((float)d));
    for (h = 0; h < A; h++) { /* dQ_h += dS_h K_h; dK_h += dS_h^T Q_h */
        hero__cu_gemm_sb(x, 0, 0, T, d, T, 1.0f, dP + h * TT, T, sa, k + (size_t)h * d, H, sq_, 1.0f, dq + (size_t)h * d, H, sq_, N);
        hero__cu_gemm_sb(x, 1, 0, T, d, T, 1.0f, dP + h * TT, T, sa, q + (size_t)h * d, H, sq_, 1.0f, dk + (size_t)h * d, H, sq_, N);
    }
    return 0;
}

/* ---------------- VSM query pooling, per-video max, scalars ---------------- */
static __global__ void hero__kn_modpool_fwd(float *alpha, float *mq, const float *x, int N, int T, int H) {
    __shared__ float sh[33];
    HERO__CU_ROWS(n, N) {
        float *a = alpha + n * T, mx = -INFINITY, s = 0.0f;
        int t, h;
        for (t = threadIdx.x; t < T; t += blockDim.x) mx = fmaxf(mx, a[t]);
        mx = hero__cu_bmax(mx, sh);
        for (t = threadIdx.x; t < T; t += blockDim.x) {
            float e = expf(a[t] - mx);
            a[t] = e;
            s += e;
        }
        s = hero__cu_bsum(s, sh);
        for (t = threadIdx.x; t < T; t += blockDim.x) a[t] /= s;
        __syncthreads();
        for (h = threadIdx.x; h < H; h += blockDim.x) {
            float acc = 0.0f;
            for (t = 0; t < T; t++) acc += a[t] * x[(n * T + t) * H + h];
            mq[n * H + h] = acc;
        }
        __syncthreads();
    }
}
/* row r = (n, t): dal[r] = x[r] . dmq[n]; dx[r] += alpha[r] dmq[n] */
static __global__ void hero__kn_modpool_bwd1(float *dx, float *dal, const float *dmq, const float *x, const float *alpha, int T,
                                             size_t rows, int H) {
    __shared__ float sh[33];
    HERO__CU_ROWS(r, rows) {
        const float *d = dmq + (r / T) * H, *xr = x + r * H;
        float a = alpha[r], s = 0.0f;
        int h;
        for (h = threadIdx.x; h < H; h += blockDim.x) {
            s += d[h] * xr[h];
            dx[r * H + h] += a * d[h];
        }
        s = hero__cu_bsum(s, sh);
        if (threadIdx.x == 0) dal[r] = s;
    }
}
/* ds[n] += alpha (dal - sum(dal alpha)) */
static __global__ void hero__kn_softmax_rows_bwd(float *ds, const float *dal, const float *alpha, int N, int T) {
    __shared__ float sh[33];
    HERO__CU_ROWS(n, N) {
        float s = 0.0f;
        int t;
        for (t = threadIdx.x; t < T; t += blockDim.x) s += dal[n * T + t] * alpha[n * T + t];
        s = hero__cu_bsum(s, sh);
        for (t = threadIdx.x; t < T; t += blockDim.x) ds[n * T + t] += alpha[n * T + t] * (dal[n * T + t] - s);
    }
}
static void hero__cu_modpool_fwd(hero_arena *ar, float *alpha, float *mq, const float *x, int N, int T, int H) {
    if (N > 0) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_modpool_fwd, hero__cu_rgrid((size_t)N), HERO__CU_T, alpha, mq, x, N, T, H);
}
static void hero__cu_modpool_bwd(hero_arena *ar, float *dx, float *dal, float *ds, const float *dmq, const float *x,
                                 const float *alpha, int N, int T, int H) {
    hero__cuda *c = hero__cu_x(ar);
    if (N <= 0 || T <= 0) return;
    HERO__CU_LAUNCH(c, hero__kn_modpool_bwd1, hero__cu_rgrid((size_t)N * T), HERO__CU_T, dx, dal, dmq, x, alpha, T, (size_t)N * T, H);
    HERO__CU_LAUNCH(c, hero__kn_softmax_rows_bwd, hero__cu_rgrid((size_t)N), 128, ds, dal, alpha, N, T);
}
static __global__ void hero__kn_rowmax(float *mx, int *arg, const float *x, int R, int C) {
    HERO__CU_FOR(r, R) {
        const float *row = x + r * C;
        int best = 0, l;
        for (l = 1; l < C; l++) if (row[l] > row[best]) best = l;
        mx[r] = row[best];
        arg[r] = best;
    }
}
static __global__ void hero__kn_rowmax_bwd(float *dcs, const float *dmx, const int *arg, const int32_t *mask, int Nq, int B, int L) {
    HERO__CU_FOR(i, (size_t)Nq * B) {
        int q = (int)(i / B), v = (int)(i % B), l = arg[i];
        dcs[(size_t)q * B * L + (size_t)v * L + l] = dmx[i] * (float)mask[v * L + l];
    }
}
static void hero__cu_rowmax(hero_arena *ar, float *mx, int *arg, const float *x, int R, int C) {
    if (R > 0 && C > 0) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_rowmax, hero__cu_grid((size_t)R), HERO__CU_T, mx, arg, x, R, C);
}
static void hero__cu_rowmax_bwd(hero_arena *ar, float *dcs, const float *dmx, const int *arg, const int32_t *mask, int Nq, int B,
                                int L) {
    if (Nq > 0 && B > 0) HERO__CU_LAUNCH(hero__cu_x(ar), hero__kn_rowmax_bwd, hero__cu_grid((size_t)Nq * B), HERO__CU_T, dcs, dmx, arg, mask, Nq, B, L);
}

/* sums of n doubles / of a product, finished by one block in a fixed order */
static __global__ void hero__kn_dot1(double *part, const float *a, const float *b, size_t n) {
    __shared__ double sh[33];
    double s = 0.0;
    HERO__CU_FOR(i, n) s += (double)a[i] * b[i];
    s = hero__cu_bsum(s, sh);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}
/* *out = (float)(sum part[0..nb) / div) (div 0: NaN) */
static __global__ void hero__kn_finish(float *out, const double *part, int nb, double div) {
    __shared__ double sh[33];
    double s = 0.0;
    for (int i = threadIdx.x; i < nb; i += blockDim.x) s += part[i];
    s = hero__cu_bsum(s, sh);
    if (threadIdx.x == 0) *out = div != 0.0 ? (float)(s / div) : (float)NAN;
}
static void hero__cu_dot(hero_arena *ar, float *out, const float *a, const float *b, size_t n) {
    hero__cuda *c = hero__cu_x(ar);
    unsigned nb = hero__cu_grid(n) > 256 ? 256 : hero__cu_grid(n);
    double *part = (double *)hero__cu_scratch(c, 2, nb * sizeof(double));
    if (!part) return;
    HERO__CU_LAUNCH(c, hero__kn_dot1, nb, HERO__CU_T, part, a, b, n);
    HERO__CU_LAUNCH(c, hero__kn_finish, 1, HERO__CU_T, out, part, (int)nb, 1.0);
}

/* ---------------- losses ---------------- */
static __global__ void hero__kn_count_valid(int *valid, double *vd, const int32_t *tg, int n) {
    __shared__ double sh[33];
    double s = 0.0;
    for (int r = threadIdx.x; r < n; r += blockDim.x) s += tg[r] >= 0 ? 1.0 : 0.0;
    s = hero__cu_bsum(s, sh);
    if (threadIdx.x == 0) { *valid = (int)s; *vd = s; }
}
/* one block per row: loss_vec / rowloss (0 for ignored rows), dlogits += scale / valid (softmax - onehot) */
static __global__ void hero__kn_xent(const float *logits, int n, int cols, int stride, const int32_t *tg, float *loss_vec,
                                     double *rowloss, float *dlogits, float scale, const int *valid) {
    __shared__ float sh[33];
    HERO__CU_ROWS(r, n) {
        const float *l = logits + r * stride;
        int t = tg[r], j;
        float mx = -INFINITY, s = 0.0f, lo;
        if (t < 0) { /* uniform per block: no reduction skipped by part of it */
            if (threadIdx.x == 0) {
                if (loss_vec) loss_vec[r] = 0.0f;
                rowloss[r] = 0.0;
            }
            continue;
        }
        for (j = threadIdx.x; j < cols; j += blockDim.x) mx = fmaxf(mx, l[j]);
        mx = hero__cu_bmax(mx, sh);
        for (j = threadIdx.x; j < cols; j += blockDim.x) s += expf(l[j] - mx);
        s = hero__cu_bsum(s, sh);
        lo = logf(s) + mx - l[t];
        if (threadIdx.x == 0) {
            if (loss_vec) loss_vec[r] = lo;
            rowloss[r] = (double)lo;
        }
        if (dlogits) {
            float g = scale / (float)*valid;
            float *dl = dlogits + r * stride;
            for (j = threadIdx.x; j < cols; j += blockDim.x) dl[j] += g * (expf(l[j] - mx) / s - (j == t ? 1.0f : 0.0f));
        }
    }
}
/* *out = valid ? sum / valid : NaN */
static __global__ void hero__kn_finish_valid(float *out, const double *part, int nb, const double *vd) {
    __shared__ double sh[33];
    double s = 0.0;
    for (int i = threadIdx.x; i < nb; i += blockDim.x) s += part[i];
    s = hero__cu_bsum(s, sh);
    if (threadIdx.x == 0) *out = *vd != 0.0 ? (float)(s / *vd) : (float)NAN;
}
static int hero__cu_xent_rows(hero_arena *ar, const float *logits, int n, int cols, int stride, const int32_t *targets,
                              float *loss_vec, float *dlogits, float scale, float *loss) {
    hero__cuda *c = hero__cu_x(ar);
    /* [n] row losses, then the valid count (int + double) */
    double *rl = (double *)hero__cu_alloc(ar, ((size_t)(n > 0 ? n : 1) + 2) * sizeof(double), 0);
    if (!rl) return HERO_ENOMEM;
    if (n <= 0) {
        HERO__CU_LAUNCH(c, hero__kn_finish, 1, 32, loss, rl, 0, 0.0); /* no rows: NaN */
        return 0;
    }
    HERO__CU_LAUNCH(c, hero__kn_count_valid, 1, HERO__CU_T, (int *)(rl + n + 1), rl + n, targets, n);
    HERO__CU_LAUNCH(c, hero__kn_xent, hero__cu_rgrid((size_t)n), HERO__CU_T, logits, n, cols, stride, targets, loss_vec, rl, dlogits,
                    scale, (const int *)(rl + n + 1));
    HERO__CU_LAUNCH(c, hero__kn_finish_valid, 1, HERO__CU_T, loss, rl, n, rl + n);
    return 0;
}
/* one block per masked frame: lv = d^2, rowr = |d|, dout = d / (|d| nm) */
static __global__ void hero__kn_mffr(float *lv, float *dout, double *rowr, const float *pred, const float *tgt, int nm, int F) {
    __shared__ float sh[33];
    HERO__CU_ROWS(i, nm) {
        float s = 0.0f, r;
        int j;
        for (j = threadIdx.x; j < F; j += blockDim.x) {
            float d = pred[i * F + j] - tgt[i * F + j];
            lv[i * F + j] = d * d;
            s += d * d;
        }
        r = sqrtf(hero__cu_bsum(s, sh));
        if (threadIdx.x == 0) rowr[i] = (double)r;
        if (dout && r > 0)
            for (j = threadIdx.x; j < F; j += blockDim.x) dout[i * F + j] = (pred[i * F + j] - tgt[i * F + j]) / (r * (float)nm);
    }
}
static void hero__cu_mffr_loss(hero_arena *ar, float *lv, float *dout, float *loss, const float *pred, const float *tgt, int nm,
                               int F) {
    hero__cuda *c = hero__cu_x(ar);
    double *rr = (double *)hero__cu_scratch(c, 2, (size_t)(nm > 0 ? nm : 1) * sizeof(double));
    if (!rr) return;
    if (nm > 0) HERO__CU_LAUNCH(c, hero__kn_mffr, hero__cu_rgrid((size_t)nm), HERO__CU_T, lv, dout, rr, pred, tgt, nm, F);
    HERO__CU_LAUNCH(c, hero__kn_finish, 1, HERO__CU_T, loss, rr, nm, (double)nm);
}

/* VSM ranking (hero__rank_loss on the GPU). Orders are ranks: element k of a list goes to position
   #{j : v_j > v_k or (v_j == v_k and j < k)} (descending, ties by index, as the CPU's qsort). One block
   per query (negative videos) then one per video (negative queries); the sums in the order of the CPU
   loop, by one thread. */
typedef struct hero__cu_rank_cfg {
    float margin, hard_w, lw_ctx, lw_q;
    int lse, use_hard, pool;
} hero__cu_rank_cfg;
__device__ float hero__cu_rank_term(const hero__cu_rank_cfg c, float pos, float neg, float *dterm) {
    float x = neg - pos;
    if (c.lse) {
        *dterm = 1.0f / (1.0f + expf(-x));
        return log1pf(expf(x));
    }
    x += c.margin;
    *dterm = x >= 0.0f ? 1.0f : 0.0f;
    return x > 0.0f ? x : 0.0f;
}
/* the masked score: own-video entries 999 */
__device__ __forceinline__ float hero__cu_rank_val(const float *q2v, int r, int k, int Nv, int qpv) {
    return r / qpv == k ? 999.0f : q2v[(size_t)r * Nv + k];
}
/* order[n]: the n scores of row `fixed` (by_col 0: q2v[fixed, k]) or of column `fixed`
   (by_col 1: q2v[k, fixed]) sorted descending, ties by index (a stable sort), computed by
   counting; the whole block takes part (barriers inside) */
static __device__ void hero__cu_rank_order(int *order, const float *q2v, int fixed, int n, int by_col, int Nv, int qpv) {
    int k, j;
    for (k = threadIdx.x; k < n; k += blockDim.x) order[k] = 0;
    __syncthreads();
    for (k = threadIdx.x; k < n; k += blockDim.x) {
        float vk = by_col ? hero__cu_rank_val(q2v, k, fixed, Nv, qpv) : hero__cu_rank_val(q2v, fixed, k, Nv, qpv);
        int rank = 0;
        for (j = 0; j < n; j++) {
            float vj = by_col ? hero__cu_rank_val(q2v, j, fixed, Nv, qpv) : hero__cu_rank_val(q2v, fixed, j, Nv, qpv);
            rank += vj > vk || (vj == vk && j < k);
        }
        order[rank] = k;
    }
    __syncthreads();
}
static __global__ void hero__kn_rank_ctx(const float *q2v, int Nq, int Nv, int qpv, hero__cu_rank_cfg c, float *mat, double *part,
                                         float *dq2v) {
    HERO__CU_DSHARED(int, order); /* [Nv] */
    HERO__CU_ROWS(r_, Nq) {
        int r = (int)r_, k;
        hero__cu_rank_order(order, q2v, r, Nv, 0, Nv, qpv);
        if (threadIdx.x == 0) {
            int pv = r / qpv;
            float pos = q2v[(size_t)r * Nv + pv];
            double s = 0.0;
            for (k = 0; k < Nv - 1; k++) {
                float d, w = c.use_hard ? (k < c.pool ? c.hard_w : 0.1f) : 1.0f;
                int ik = order[k + 1];
                float l = w * hero__cu_rank_term(c, pos, hero__cu_rank_val(q2v, r, ik, Nv, qpv), &d);
                mat[(size_t)r * (Nv - 1) + k] = l;
                s += l;
                if (dq2v) {
                    float g = c.lw_ctx / ((float)Nq * (float)(Nv - 1)) * w * d;
                    dq2v[(size_t)r * Nv + ik] += g;
                    dq2v[(size_t)r * Nv + pv] -= g;
                }
            }
            part[r] = s;
        }
        __syncthreads();
    }
}
static __global__ void hero__kn_rank_q(const float *q2v, int Nq, int Nv, int qpv, hero__cu_rank_cfg c, float *mat, double *part,
                                       float *dq2v) {
    HERO__CU_DSHARED(int, order); /* [Nq] */
    HERO__CU_ROWS(v_, Nv) {
        int v = (int)v_, k, a;
        hero__cu_rank_order(order, q2v, v, Nq, 1, Nv, qpv);
        if (threadIdx.x == 0) {
            double s = 0.0;
            for (a = 0; a < qpv; a++) {
                int r = v * qpv + a;
                float pos = q2v[(size_t)r * Nv + v];
                for (k = 0; k < Nq - qpv; k++) {
                    float d, w = c.use_hard ? (k < c.pool ? c.hard_w : 0.1f) : 1.0f;
                    int ik = order[k + qpv];
                    float l = w * hero__cu_rank_term(c, pos, hero__cu_rank_val(q2v, ik, v, Nv, qpv), &d);
                    mat[(size_t)r * (Nq - qpv) + k] = l;
                    s += l;
                    if (dq2v) {
                        float g = c.lw_q / ((float)Nq * (float)(Nq - qpv)) * w * d;
                        dq2v[(size_t)ik * Nv + v] += g;
                        dq2v[(size_t)r * Nv + v] -= g;
                    }
                }
            }
            part[v] = s;
        }
        __syncthreads();
    }
}
/* the two weighted losses from the per-row sums (one thread, in row order) */
static __global__ void hero__kn_rank_finish(float *loss_ctx, float *loss_q, const double *pc, const double *pq, int Nq, int Nv,
                                            int qpv, float lw_ctx, float lw_q) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        double sc = 0.0, sq = 0.0;
        int i;
        for (i = 0; i < Nq; i++) sc += pc[i];
        for (i = 0; i < Nv; i++) sq += pq[i];
        *loss_ctx = lw_ctx * (float)(sc / ((double)Nq * (Nv - 1)));
        *loss_q = Nq > qpv ? lw_q * (float)(sq / ((double)Nq * (Nq - qpv))) : 0.0f;
    }
}
static int hero__cu_rank_loss(hero_arena *ar, hero_model *m, const float *q2v, int Nq, int Nv, float *mat_ctx,
                              float *mat_q, float *loss_ctx, float *loss_q, float *dq2v) {
    const hero_config *cf = &m->cfg;
    hero__cuda *x = hero__cu_x(ar);
    hero__cu_rank_cfg c;
    int qpv, n = Nq > Nv ? Nq : Nv;
    double *part;
    if (Nv <= 1) { /* no negatives: both losses 0 */
        hero__cu_ok(x, cudaMemsetAsync(loss_ctx, 0, sizeof(float), x->stream), "rank loss");
        hero__cu_ok(x, cudaMemsetAsync(loss_q, 0, sizeof(float), x->stream), "rank loss");
        return 0;
    }
    if ((size_t)n * sizeof(int) > 48 * 1024) {
        if (!x->err) {
            x->err = 1;
            snprintf(x->msg, sizeof(x->msg), "VSM ranking: %d queries / %d videos exceed the GPU kernel's limit (12288)", Nq, Nv);
        }
        return HERO_EDEVICE;
    }
    if (!(part = (double *)hero__cu_alloc(ar, ((size_t)Nq + Nv) * sizeof(double), 1))) return HERO_ENOMEM;
    qpv = Nq / Nv;
    c.margin = cf->margin; c.hard_w = cf->hard_neg_weight; c.lw_ctx = cf->lw_neg_ctx; c.lw_q = cf->lw_neg_q;
    c.lse = cf->ranking_lse; c.use_hard = cf->use_hard_negative; c.pool = cf->hard_pool_size;
    HERO__CU_LAUNCH_SH(x, hero__kn_rank_ctx, hero__cu_rgrid((size_t)Nq), 128, (size_t)Nv * sizeof(int), q2v, Nq, Nv, qpv, c, mat_ctx,
                       part, dq2v);
    HERO__CU_LAUNCH_SH(x, hero__kn_rank_q, hero__cu_rgrid((size_t)Nv), 128, (size_t)Nq * sizeof(int), q2v, Nq, Nv, qpv, c, mat_q,
                       part + Nq, dq2v);
    HERO__CU_LAUNCH(x, hero__kn_rank_finish, 1, 32, loss_ctx, loss_q, part, part + Nq, Nq, Nv, qpv, c.lw_ctx, c.lw_q);
    return 0;
}

/* ---------------- the device arena (chunks of GPU memory; same growth rule as the host arena) ---------------- */
static void *hero__cu_alloc(hero_arena *a, size_t bytes, int zero) {
    hero__cuda *x = hero__cu_x(a);
    unsigned char *p;
    size_t off, used_total;
    int i;
    bytes = (bytes + 255) & ~(size_t)255;
    if (bytes == 0) bytes = 256;
    off = a->n_chunks ? ((a->used + 255) & ~(size_t)255) : 0;
    if (!a->n_chunks || off + bytes > a->caps[a->n_chunks - 1]) {
        size_t cap = bytes > ((size_t)1 << 26) ? bytes : ((size_t)1 << 26);
        void *d = NULL;
        if (a->total > cap) cap = a->total;
        if (hero__arena_room(a) != 0) return NULL;
        if (cudaMalloc(&d, cap) != cudaSuccess) {
            cudaGetLastError(); /* out of device memory is HERO_ENOMEM, not a sticky failure */
            return NULL;
        }
        a->chunks[a->n_chunks] = (unsigned char *)d;
        a->caps[a->n_chunks++] = cap;
        a->total += cap;
        a->used = 0;
        off = 0;
    }
    p = a->chunks[a->n_chunks - 1] + off;
    a->used = off + bytes;
    used_total = a->used;
    for (i = 0; i < a->n_chunks - 1; i++) used_total += a->caps[i];
    if (used_total > a->peak) a->peak = used_total;
    if (zero) hero__cu_ok(x, cudaMemsetAsync(p, 0, bytes, x->stream), "cudaMemsetAsync (arena)");
#ifdef HERO_CUDA_EMU
    else hero__cu_ok(x, cudaMemsetAsync(p, 0xff, bytes, x->stream), "poison"); /* tests: NaN where nothing wrote yet */
#endif
    return p;
}
/* a new pass: forget the failures of the last one; one chunk as large as the last pass needed */
static void hero__cu_arena_reset(hero_arena *a) {
    hero__cuda *x = hero__cu_x(a);
    size_t need = 0;
    int i;
    cudaStreamSynchronize(x->stream);
    cudaGetLastError();
    x->err = 0;
    x->msg[0] = 0;
    if (a->n_chunks > 1) {
        void *d = NULL;
        for (i = 0; i < a->n_chunks - 1; i++) need += a->caps[i];
        need += a->used;
        for (i = 0; i < a->n_chunks; i++) cudaFree(a->chunks[i]);
        a->n_chunks = 0;
        a->total = 0;
        if (cudaMalloc(&d, need) == cudaSuccess) {
            a->chunks[0] = (unsigned char *)d;
            a->caps[0] = need;
            a->n_chunks = 1;
            a->total = need;
        } else {
            cudaGetLastError();
        }
    }
    a->used = 0;
}
static void hero__cu_arena_free(hero_arena *a) {
    hero__cuda *x = hero__cu_x(a);
    int i;
    cudaStreamSynchronize(x->stream);
    for (i = 0; i < a->n_chunks; i++) cudaFree(a->chunks[i]);
    HERO_FREE(a->chunks);
    HERO_FREE(a->caps);
    memset(a, 0, sizeof(*a));
    a->dev = x;
}

/* ---------------- inputs up, numbers down ---------------- */
static void *hero__cu_prep_put(hero_arena *ar, hero__prep *P, const void *src, size_t bytes) {
    void *d = hero__cu_alloc(ar, bytes, 0);
    if (!d) { P->failed = 1; return NULL; }
    if (bytes) {
        if (P->n_up == (int)(sizeof(P->up) / sizeof(P->up[0]))) { /* full (never with hero.h's own inputs): copy now */
            hero__cuda *x = hero__cu_x(ar);
            hero__cu_ok(x, cudaMemcpyAsync(d, src, bytes, cudaMemcpyHostToDevice, x->stream), "upload");
            hero__cu_ok(x, cudaStreamSynchronize(x->stream), "upload");
        } else {
            P->up[P->n_up].dst = d;
            P->up[P->n_up].src = src;
            P->up[P->n_up].bytes = bytes;
            P->n_up++;
        }
    }
    return d;
}
/* every pending input through the pinned staging buffer, asynchronously */
static int hero__cu_prep_flush(hero_arena *ar, hero__prep *P) {
    hero__cuda *x = hero__cu_x(ar);
    size_t total = 0, off = 0;
    unsigned char *st;
    int i;
    if (P->failed) return HERO_ENOMEM;
    for (i = 0; i < P->n_up; i++) total += (P->up[i].bytes + 255) & ~(size_t)255;
    if (!total) return 0;
    hero__cu_ok(x, cudaStreamSynchronize(x->stream), "upload"); /* the staging buffer is free again */
    if (!(st = hero__cu_pinned(x, total))) return HERO_EDEVICE;
    for (i = 0; i < P->n_up; i++) {
        memcpy(st + off, P->up[i].src, P->up[i].bytes);
        hero__cu_ok(x, cudaMemcpyAsync(P->up[i].dst, st + off, P->up[i].bytes, cudaMemcpyHostToDevice, x->stream), "upload");
        off += (P->up[i].bytes + 255) & ~(size_t)255;
    }
    P->n_up = 0;
    return x->err ? HERO_EDEVICE : 0;
}
static int hero__cu_to_host(hero_arena *ar, void *dst, const void *src, size_t bytes) {
    hero__cuda *x = hero__cu_x(ar);
    if (bytes) hero__cu_ok(x, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, x->stream), "copy to host");
    return hero__cu_sync(x);
}
static const char *hero__cu_errmsg(hero_arena *ar) {
    hero__cuda *x = hero__cu_x(ar);
    return x->msg[0] ? x->msg : "CUDA error";
}
static hero_arena *hero__cu_act(hero_model *m) { return &((hero__cuda *)m->dev)->arena; }
static float *hero__cu_pbase(const hero_model *m, int grads) {
    hero__cuda *x = (hero__cuda *)m->dev;
    return grads ? x->grads : x->params;
}

/* ---------------- the model's GPU state ---------------- */
static __global__ void hero__kn_probe(int *p) {
    if (p) *p = 1;
}

static void hero__cu_model_free(hero_model *m) {
    hero__cuda *x = (hero__cuda *)m->dev;
    int i;
    if (!x) return;
    if (x->stream) cudaStreamSynchronize(x->stream);
    hero__cu_arena_free(&x->arena);
    for (i = 0; i < HERO__CU_SLOTS; i++) if (x->scr[i]) cudaFree(x->scr[i]);
    if (x->pinned) cudaFreeHost(x->pinned);
    cudaFree(x->params); cudaFree(x->grads);
    cudaFree(x->poff); cudaFree(x->pnum); cudaFree(x->pdesc); cudaFree(x->sumsq);
    if (x->blas) cublasDestroy(x->blas);
    if (x->stream) cudaStreamDestroy(x->stream);
    HERO_FREE(x);
    m->dev = NULL;
    m->be = NULL;
}

static int hero__cu_model_init(hero_model *m, hero_error *err) {
    hero__cuda *x;
    struct cudaDeviceProp pr;
    struct cudaFuncAttributes fa;
    int count = 0, dev = 0, i;
    int64_t *tmp;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count <= 0)
        return hero__fail(err, HERO_EDEVICE, "hero.h was built with HERO_CUDA but there is no usable GPU: %s",
                          e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device found");
    if ((e = cudaGetDevice(&dev)) != cudaSuccess || (e = cudaGetDeviceProperties(&pr, dev)) != cudaSuccess)
        return hero__fail(err, HERO_EDEVICE, "CUDA device query failed: %s", cudaGetErrorString(e));
    /* this binary's kernels must run on the device (built for sm_90 + compute_90 PTX) */
    if ((e = cudaFuncGetAttributes(&fa, hero__kn_probe)) != cudaSuccess) {
        cudaGetLastError();
        return hero__fail(err, HERO_EDEVICE, "GPU %d (%s, compute capability %d.%d) cannot run this build's kernels: %s", dev, pr.name,
                          pr.major, pr.minor, cudaGetErrorString(e));
    }
    x = (hero__cuda *)HERO_MALLOC(sizeof(hero__cuda));
    if (!x) return hero__fail(err, HERO_ENOMEM, "model: out of memory");
    memset(x, 0, sizeof(*x));
    x->device = dev;
    x->arena.dev = x;
    x->arena.be = hero__cu_backend();
    x->n_floats = m->n_floats;
    x->n_params = m->n_params;
    snprintf(x->name, sizeof(x->name), "cuda:%d %s, sm_%d%d", dev, pr.name, pr.major, pr.minor);
    m->dev = x;
    m->be = hero__cu_backend();
#define HERO__CU_INIT(call, what)                                                                        \
    if ((e = (call)) != cudaSuccess) {                                                                   \
        hero__cu_model_free(m);                                                                          \
        return hero__fail(err, e == cudaErrorMemoryAllocation ? HERO_ENOMEM : HERO_EDEVICE, "model on %s: %s: %s", \
                          pr.name, what, cudaGetErrorString(e));                                          \
    }
    HERO__CU_INIT(cudaStreamCreateWithFlags(&x->stream, cudaStreamNonBlocking), "cudaStreamCreate")
    HERO__CU_INIT(cudaMalloc((void **)&x->params, (m->n_floats ? m->n_floats : 1) * sizeof(float)), "parameters")
    HERO__CU_INIT(cudaMalloc((void **)&x->grads, (m->n_floats ? m->n_floats : 1) * sizeof(float)), "gradients")
    HERO__CU_INIT(cudaMalloc((void **)&x->poff, (size_t)(m->n_params + 1) * sizeof(int64_t)), "parameter table")
    HERO__CU_INIT(cudaMalloc((void **)&x->pnum, (size_t)(m->n_params + 1) * sizeof(int64_t)), "parameter table")
    HERO__CU_INIT(cudaMalloc((void **)&x->pdesc, (size_t)(m->n_params + 1) * 3 * sizeof(float)), "parameter table")
    HERO__CU_INIT(cudaMalloc((void **)&x->sumsq, (size_t)(m->n_params + 1) * sizeof(double)), "parameter table")
    HERO__CU_INIT(cudaMemsetAsync(x->params, 0, m->n_floats * sizeof(float), x->stream), "cudaMemset")
    HERO__CU_INIT(cudaMemsetAsync(x->grads, 0, m->n_floats * sizeof(float), x->stream), "cudaMemset")
    tmp = (int64_t *)HERO_MALLOC((size_t)(m->n_params + 1) * 2 * sizeof(int64_t));
    if (!tmp) { hero__cu_model_free(m); return hero__fail(err, HERO_ENOMEM, "model: out of memory"); }
    for (i = 0; i < m->n_params; i++) {
        tmp[i] = (int64_t)m->table[i].offset;
        tmp[m->n_params + 1 + i] = (int64_t)m->table[i].numel;
        if (m->table[i].numel > x->max_numel) x->max_numel = m->table[i].numel;
    }
    e = cudaMemcpy(x->poff, tmp, (size_t)m->n_params * sizeof(int64_t), cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMemcpy(x->pnum, tmp + m->n_params + 1, (size_t)m->n_params * sizeof(int64_t), cudaMemcpyHostToDevice);
    HERO_FREE(tmp);
    HERO__CU_INIT(e, "parameter table")
    HERO__CU_INIT(cudaStreamSynchronize(x->stream), "cudaStreamSynchronize")
#undef HERO__CU_INIT
    if (cublasCreate(&x->blas) != CUBLAS_STATUS_SUCCESS) {
        hero__cu_model_free(m);
        return hero__fail(err, HERO_EDEVICE, "model on %s: cublasCreate failed", pr.name);
    }
    if (cublasSetStream(x->blas, x->stream) != CUBLAS_STATUS_SUCCESS) {
        hero__cu_model_free(m);
        return hero__fail(err, HERO_EDEVICE, "model on %s: cublasSetStream failed", pr.name);
    }
    return 0;
}

static const char *hero__cu_device_name(const hero_model *m) { return ((const hero__cuda *)m->dev)->name; }

static int hero__cu_set_precision(hero_model *m, int p, hero_error *err) {
    hero__cuda *x = (hero__cuda *)m->dev;
    if (hero__cu_sync(x)) return hero__fail(err, HERO_EDEVICE, "set_precision: %s", x->msg);
    x->precision = p; /* the compute type of the products queued from now on */
    return 0;
}

static int hero__cu_model_copy(hero_model *m, int to_host, int grads, hero_error *err) {
    hero__cuda *x = (hero__cuda *)m->dev;
    float *h = grads ? m->grads : m->params, *d = grads ? x->grads : x->params;
    size_t bytes = m->n_floats * sizeof(float);
    hero__cu_ok(x, cudaMemcpyAsync(to_host ? (void *)h : (void *)d, to_host ? (const void *)d : (const void *)h, bytes,
                                   to_host ? cudaMemcpyDeviceToHost : cudaMemcpyHostToDevice, x->stream),
                to_host ? "download" : "upload");
    if (hero__cu_sync(x)) return hero__fail(err, HERO_EDEVICE, "%s of the model %s: %s", to_host ? "download" : "upload",
                                            grads ? "gradients" : "weights", x->msg);
    return 0;
}

static void hero__cu_zero_grad(hero_model *m) {
    hero__cuda *x = (hero__cuda *)m->dev;
    hero__cu_ok(x, cudaMemsetAsync(x->grads, 0, m->n_floats * sizeof(float), x->stream), "zero_grad");
}

static int hero__cu_model_sync(hero_model *m, hero_error *err) {
    hero__cuda *x = (hero__cuda *)m->dev;
    if (hero__cu_sync(x)) return hero__fail(err, HERO_EDEVICE, "GPU: %s", x->msg);
    return 0;
}

/* ---------------- AdamW and the gradient norm, one launch over every parameter ---------------- */
static unsigned hero__cu_pgrid(const hero__cuda *x) {
    size_t b = (x->max_numel + HERO__CU_T * 8 - 1) / (HERO__CU_T * 8);
    b = b > 1024 ? 1024 : b;
    return (unsigned)(b < 1 ? 1 : b > HERO_CUDA_MAX_GRID ? HERO_CUDA_MAX_GRID : b);
}
/* part[p * gridDim.x + block] = this block's sum of the squared gradient of parameter p = blockIdx.y */
static __global__ void hero__kn_sumsq(double *part, const float *g, const int64_t *poff, const int64_t *pnum) {
    __shared__ double sh[33];
    const float *gp = g + poff[blockIdx.y];
    double s = 0.0;
    HERO__CU_FOR(i, pnum[blockIdx.y]) s += (double)gp[i] * gp[i];
    s = hero__cu_bsum(s, sh);
    if (threadIdx.x == 0) part[(size_t)blockIdx.y * gridDim.x + blockIdx.x] = s;
}
/* sumsq[p] = sum of its parts in block order */
static __global__ void hero__kn_sumsq2(double *sumsq, const double *part, int np, int nb) {
    HERO__CU_FOR(p, np) {
        double s = 0.0;
        for (int b = 0; b < nb; b++) s += part[p * nb + b];
        sumsq[p] = s;
    }
}
static int hero__cu_grad_sumsq(const hero_model *m, double *out) {
    hero__cuda *x = (hero__cuda *)m->dev;
    double *h;
    int i;
    *out = 0.0;
    if (m->n_params <= 0) return 0;
    {
        unsigned nb = hero__cu_pgrid(x);
        double *part = (double *)hero__cu_scratch(x, 2, (size_t)nb * m->n_params * sizeof(double));
        if (!part) return HERO_EDEVICE;
        HERO__CU_LAUNCH(x, hero__kn_sumsq, dim3(nb, (unsigned)m->n_params), HERO__CU_T, part, x->grads, x->poff, x->pnum);
        HERO__CU_LAUNCH(x, hero__kn_sumsq2, hero__cu_grid((size_t)m->n_params), HERO__CU_T, x->sumsq, part, m->n_params, (int)nb);
    }
    if (!(h = (double *)hero__cu_pinned(x, (size_t)m->n_params * sizeof(double)))) return HERO_EDEVICE;
    hero__cu_ok(x, cudaMemcpyAsync(h, x->sumsq, (size_t)m->n_params * sizeof(double), cudaMemcpyDeviceToHost, x->stream), "grad norm");
    if (hero__cu_sync(x)) return HERO_EDEVICE;
    for (i = 0; i < m->n_params; i++)
        if (m->table[i].has_grad) *out += h[i];
    return 0;
}
/* AdamW for parameter p = blockIdx.y (desc: step size, decay factor lr * wd or 0, active) */
static __global__ void hero__kn_adamw(float *param, float *grad, float *mm, float *vv, const int64_t *poff,
                                      const int64_t *pnum, const float *desc, int n_params, float b1, float b2, float eps, float clip) {
    const float *d = desc + 3 * (size_t)blockIdx.y;
    size_t o = (size_t)poff[blockIdx.y];
    float ss = d[0], wd = d[1];
    (void)n_params;
    if (d[2] == 0.0f) return; /* never had a gradient: untouched */
    HERO__CU_FOR(i, pnum[blockIdx.y]) {
        size_t j = o + i;
        float g = grad[j] * clip, p;
        mm[j] = mm[j] * b1 + (1.0f - b1) * g;
        vv[j] = vv[j] * b2 + (1.0f - b2) * g * g;
        p = param[j] + -ss * (mm[j] / (sqrtf(vv[j]) + eps));
        if (wd != 0.0f) p += -wd * p;
        param[j] = p;
    }
}

static void hero__cu_opt_free(hero_optimizer *o) {
    hero__cuda_opt *d = (hero__cuda_opt *)o->dev;
    if (!d) return;
    cudaDeviceSynchronize();
    cudaFree(d->m);
    cudaFree(d->v);
    HERO_FREE(d);
    o->dev = NULL;
    o->be = NULL;
}
static int hero__cu_opt_init(hero_optimizer *o, const hero_model *m, hero_error *err) {
    hero__cuda *x = (hero__cuda *)m->dev;
    hero__cuda_opt *d = (hero__cuda_opt *)HERO_MALLOC(sizeof(hero__cuda_opt));
    size_t bytes = (m->n_floats ? m->n_floats : 1) * sizeof(float);
    if (!d) return hero__fail(err, HERO_ENOMEM, "optimizer: out of memory");
    memset(d, 0, sizeof(*d));
    o->dev = d;
    o->be = hero__cu_backend();
    if (cudaMalloc((void **)&d->m, bytes) != cudaSuccess || cudaMalloc((void **)&d->v, bytes) != cudaSuccess) {
        cudaGetLastError();
        hero__cu_opt_free(o);
        return hero__fail(err, HERO_ENOMEM, "optimizer: no GPU memory for %zu moments", m->n_floats);
    }
    hero__cu_ok(x, cudaMemsetAsync(d->m, 0, bytes, x->stream), "optimizer");
    hero__cu_ok(x, cudaMemsetAsync(d->v, 0, bytes, x->stream), "optimizer");
    if (hero__cu_sync(x)) {
        hero__cu_opt_free(o);
        return hero__fail(err, HERO_EDEVICE, "optimizer: %s", x->msg);
    }
    return 0;
}
static int hero__cu_opt_copy(const hero_optimizer *o, const hero_model *m, int to_host, hero_error *err) {
    hero__cuda *x = (hero__cuda *)m->dev;
    hero__cuda_opt *d = (hero__cuda_opt *)o->dev;
    size_t bytes = m->n_floats * sizeof(float);
    if (!x) return hero__fail(err, HERO_EINVAL, "optimizer: its model is not on the GPU");
    if (to_host) {
        hero__cu_ok(x, cudaMemcpyAsync(o->m, d->m, bytes, cudaMemcpyDeviceToHost, x->stream), "optimizer download");
        hero__cu_ok(x, cudaMemcpyAsync(o->v, d->v, bytes, cudaMemcpyDeviceToHost, x->stream), "optimizer download");
    } else {
        hero__cu_ok(x, cudaMemcpyAsync(d->m, o->m, bytes, cudaMemcpyHostToDevice, x->stream), "optimizer upload");
        hero__cu_ok(x, cudaMemcpyAsync(d->v, o->v, bytes, cudaMemcpyHostToDevice, x->stream), "optimizer upload");
    }
    if (hero__cu_sync(x)) return hero__fail(err, HERO_EDEVICE, "optimizer moments: %s", x->msg);
    return 0;
}
/* the same update as hero__cpu_adamw: the step sizes from here, one kernel over every parameter */
static int hero__cu_adamw(hero_optimizer *o, hero_model *m, float lr, float clip, hero_error *err) {
    hero__cuda *x = (hero__cuda *)m->dev;
    hero__cuda_opt *d = (hero__cuda_opt *)o->dev;
    const hero_adamw_config *c = &o->cfg;
    float *desc;
    int i;
    if (!d) return hero__fail(err, HERO_EINVAL, "optimizer: made before its model was on the GPU");
    if (m->n_params <= 0) return 0;
    hero__cu_ok(x, cudaStreamSynchronize(x->stream), "optimizer"); /* the staging buffer is free again */
    if (!(desc = (float *)hero__cu_pinned(x, (size_t)m->n_params * 3 * sizeof(float))))
        return hero__fail(err, HERO_EDEVICE, "optimizer: %s", x->msg);
    for (i = 0; i < m->n_params; i++) {
        desc[3 * i] = 0.0f;
        if (m->table[i].has_grad) desc[3 * i] = hero__adamw_step_size(c, ++o->steps[i], lr);
        desc[3 * i + 1] = m->table[i].decay && c->weight_decay > 0 ? lr * c->weight_decay : 0.0f;
        desc[3 * i + 2] = m->table[i].has_grad ? 1.0f : 0.0f;
    }
    hero__cu_ok(x, cudaMemcpyAsync(x->pdesc, desc, (size_t)m->n_params * 3 * sizeof(float), cudaMemcpyHostToDevice, x->stream),
                "optimizer");
    HERO__CU_LAUNCH(x, hero__kn_adamw, dim3(hero__cu_pgrid(x), (unsigned)m->n_params), HERO__CU_T, x->params, x->grads, d->m, d->v,
                    x->poff, x->pnum, x->pdesc, m->n_params, c->beta1, c->beta2, c->eps, clip);
    hero__cu_zero_grad(m);
    if (x->err) return hero__fail(err, HERO_EDEVICE, "optimizer step: %s", x->msg);
    return 0;
}

/* ---------------- [backend: cuda] the table (section 2's interface) ---------------- */
static const hero__backend hero__cu_table = {
    "cuda", "device",
    hero__cu_alloc, hero__cu_arena_reset, hero__cu_arena_free,
    hero__cu_gemm, hero__cu_linear_fwd, hero__cu_linear_bwd, hero__cu_layernorm_fwd, hero__cu_layernorm_bwd,
    hero__cu_gelu_fwd, hero__cu_gelu_bwd, hero__cu_relu_fwd, hero__cu_relu_bwd, hero__cu_mask_logits,
    hero__cu_mask_logits_rows, hero__cu_l2norm_fwd, hero__cu_l2norm_bwd, hero__cu_conv1d_fwd,
    hero__cu_conv1d_bwd, hero__cu_add, hero__cu_copy, hero__cu_div, hero__cu_mul_mask,
    hero__cu_mul_mask_rows, hero__cu_embed_fwd, hero__cu_embed_bwd, hero__cu_add_pos_type, hero__cu_add_pos,
    hero__cu_add_pos_bwd, hero__cu_add_rowsel, hero__cu_mfm_mask, hero__cu_rowsum_masked, hero__cu_merge_fwd,
    hero__cu_merge_bwd, hero__cu_rows_copy, hero__cu_rows_add, hero__cu_attn_core_fwd,
    hero__cu_attn_core_bwd, hero__cu_modpool_fwd, hero__cu_modpool_bwd, hero__cu_rowmax, hero__cu_rowmax_bwd,
    hero__cu_pooler_fwd, hero__cu_dot, hero__cu_xent_rows, hero__cu_mffr_loss, hero__cu_rank_loss,
    hero__cu_prep_put, hero__cu_prep_flush, hero__cu_to_host, hero__cu_errmsg,
    hero__cu_model_init, hero__cu_model_free, hero__cu_act, hero__cu_pbase, hero__cu_model_copy,
    hero__cu_zero_grad, hero__cu_set_precision, hero__cu_device_name, hero__cu_model_sync,
    hero__cu_opt_init, hero__cu_opt_free, hero__cu_opt_copy, hero__cu_grad_sumsq, hero__cu_adamw};
static const hero__backend *hero__cu_backend(void) { return &hero__cu_table; }
#endif /* HERO_CUDA */

/* ======================================================================================
   20. Many machines: data-parallel pre-training over MPI (HERO_MPI), with NCCL for the GPU
       memory of a HERO_CUDA build. What is averaged, what is gathered and who writes
       checkpoints: see the API part ("Many machines").
   ====================================================================================== */
#ifdef HERO_MPI
#if defined(HERO_CUDA) && !defined(HERO_CUDA_EMU)
#include <nccl.h>
#endif

#define HERO__MPI_CHUNK ((size_t)1 << 30)                   /* elements per collective call */
#define HERO__DIST_MAXP (sizeof(hero_params) / sizeof(float *)) /* >= any model's n_params */

/* an MPI return code -> HERO_EDIST with MPI's own words */
static int hero__mpi_fail(hero_error *err, int mrc, const char *what) {
    char msg[MPI_MAX_ERROR_STRING + 1];
    int len = 0;
    msg[0] = 0;
    if (MPI_Error_string(mrc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof(msg), "error code %d", mrc);
    msg[len >= 0 && len <= MPI_MAX_ERROR_STRING ? len : 0] = 0;
    return hero__fail(err, HERO_EDIST, "MPI: %s failed: %s", what, msg);
}

/* rank r's data PRNG seed (rank 0: the single-process seed) */
static uint64_t hero__dist_seed(uint64_t seed, int rank) { return seed + (uint64_t)rank * 0x9E3779B97F4A7C15ULL; }

/* Every rank says whether it failed (status: 0 or its HERO_E*); returns status when it is not
   0 (err untouched), HERO_EDIST when another rank failed, else 0. One MPI_Allreduce of an int:
   the point where a failed rank keeps the others from waiting for it. */
static int hero__dist_status(const hero_dist *d, int status, const char *what, hero_error *err) {
    int f = status < 0 ? -status : status > 0 ? 1 : 0, mrc;
    mrc = MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_INT, MPI_MAX, d->comm);
    if (status) return status;
    if (mrc != MPI_SUCCESS) return hero__mpi_fail(err, mrc, "MPI_Allreduce (status)");
    if (f) return hero__fail(err, HERO_EDIST, "%s: another rank failed (%s); nothing applied", what, hero_strerror(-f));
    return 0;
}

enum { HERO__COLL_GATHER, HERO__COLL_SUM, HERO__COLL_BCAST };

/* ---- [backend: nccl] the collectives of GPU model memory (HERO_CUDA): NCCL on the model's stream.
   The only part of this section that knows about the GPU: the communicator (hero_dist_init /
   _free), a collective over device memory, the device a model is on (-1: the CPU). ---- */
#ifdef HERO_CUDA
/* a NCCL return code -> HERO_EDIST with NCCL's words */
static int hero__nccl_fail(hero_error *err, ncclResult_t r, const char *what) {
    return hero__fail(err, HERO_EDIST, "NCCL: %s failed: %s", what, ncclGetErrorString(r));
}
/* hero__dist_coll (below) for a GPU model */
static int hero__dist_dev_coll(const hero_dist *d, hero_model *m, int kind, const void *send, void *recv, size_t count,
                               int is_int, int root, const char *what, hero_error *err) {
    cudaStream_t st = hero__cu_x(hero__act(m))->stream;
    ncclComm_t c = (ncclComm_t)d->nccl;
    ncclDataType_t t = is_int ? ncclInt32 : ncclFloat;
    ncclResult_t r;
    if (!c) return hero__fail(err, HERO_EDIST, "NCCL: the hero_dist has no NCCL communicator (hero_dist_init)");
    r = kind == HERO__COLL_GATHER ? ncclAllGather(send, recv, count, t, c, st)
        : kind == HERO__COLL_SUM  ? ncclAllReduce(send, recv, count, t, ncclSum, c, st)
                                  : ncclBroadcast(send, recv, count, t, root, c, st);
    return r == ncclSuccess ? 0 : hero__nccl_fail(err, r, what);
}
/* hero_dist_init's NCCL communicator over d's ranks on the current CUDA device (collective) */
static int hero__dist_dev_init(hero_dist *d, hero_error *err) {
    ncclUniqueId id;
    ncclComm_t c = NULL;
    ncclResult_t r = ncclSuccess;
    cudaError_t e;
    int st = 0, rc, mrc, dev = -1, n = 0;
    memset(&id, 0, sizeof(id));
    e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n <= 0 || (e = cudaGetDevice(&dev)) != cudaSuccess)
        st = hero__fail(err, HERO_EDEVICE, "hero_dist_init: rank %d has no usable GPU for NCCL: %s", d->rank,
                        e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device found");
    if (!st && d->rank == 0 && (r = ncclGetUniqueId(&id)) != ncclSuccess) st = hero__nccl_fail(err, r, "ncclGetUniqueId");
    if ((rc = hero__dist_status(d, st, "hero_dist_init (NCCL)", err)) != 0) return rc;
    if ((mrc = MPI_Bcast(&id, (int)sizeof(id), MPI_BYTE, 0, d->comm)) != MPI_SUCCESS) return hero__mpi_fail(err, mrc, "MPI_Bcast (NCCL id)");
    r = ncclCommInitRank(&c, d->world, id, d->rank);
    st = r == ncclSuccess ? 0 : hero__nccl_fail(err, r, "ncclCommInitRank");
    if ((rc = hero__dist_status(d, st, "hero_dist_init (NCCL)", err)) != 0) {
        if (r == ncclSuccess) ncclCommDestroy(c);
        return rc;
    }
    d->nccl = (void *)c;
    d->device = dev;
    return 0;
}
static void hero__dist_dev_free(hero_dist *d) {
    if (d->nccl) ncclCommDestroy((ncclComm_t)d->nccl);
}
static int hero__dist_model_device(hero_model *m) { return m->dev ? hero__cu_x(hero__act(m))->device : -1; }
#else
static int hero__dist_dev_coll(const hero_dist *d, hero_model *m, int kind, const void *send, void *recv, size_t count,
                               int is_int, int root, const char *what, hero_error *err) {
    (void)d; (void)m; (void)kind; (void)send; (void)recv; (void)count; (void)is_int; (void)root;
    return hero__fail(err, HERO_EDIST, "%s: a device model in a build without a device collective", what);
}
static int hero__dist_dev_init(hero_dist *d, hero_error *err) {
    (void)d; (void)err;
    return 0;
}
static void hero__dist_dev_free(hero_dist *d) { (void)d; }
static int hero__dist_model_device(hero_model *m) {
    (void)m;
    return -1;
}
#endif

/* ---- the collectives of model memory: NCCL in GPU memory (a GPU model), MPI in host memory ---- */
/* Collective over model memory, count elements (float; int32 when is_int):
   GATHER: every rank's send into recv [W * count], in rank order;
   SUM:    recv (== send, float) summed over the ranks, in place;
   BCAST:  recv (== send, float) becomes rank root's.
   On the model's stream with NCCL for a GPU model, with MPI (in chunks) otherwise. */
static int hero__dist_coll(const hero_dist *d, hero_model *m, int kind, const void *send, void *recv, size_t count, int is_int,
                           int root, hero_error *err) {
    static const char *const what[3] = {"all-gather", "all-reduce (gradients)", "broadcast (weights)"};
    size_t o;
    if (m->dev) return hero__dist_dev_coll(d, m, kind, send, recv, count, is_int, root, what[kind], err);
    if (kind == HERO__COLL_GATHER) { /* one call: the receive layout is per rank */
        MPI_Datatype t = is_int ? MPI_INT32_T : MPI_FLOAT;
        int mrc;
        if (count > (size_t)INT32_MAX) return hero__fail(err, HERO_ELIMIT, "MPI: an all-gather of %zu elements per rank", count);
        mrc = MPI_Allgather(send, (int)count, t, recv, (int)count, t, d->comm);
        return mrc == MPI_SUCCESS ? 0 : hero__mpi_fail(err, mrc, what[kind]);
    }
    for (o = 0; o < count; o += HERO__MPI_CHUNK) { /* in place, elementwise: chunks of < 2^31 */
        float *p = (float *)recv + o;
        int n = (int)(count - o < HERO__MPI_CHUNK ? count - o : HERO__MPI_CHUNK);
        int mrc = kind == HERO__COLL_SUM ? MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, d->comm) : MPI_Bcast(p, n, MPI_FLOAT, root, d->comm);
        if (mrc != MPI_SUCCESS) return hero__mpi_fail(err, mrc, what[kind]);
    }
    return 0;
}

HERODEF int hero_dist_init(hero_dist *d, MPI_Comm comm, hero_error *err) {
    int flag = 0, mrc;
    if (!d) return hero__fail(err, HERO_EINVAL, "hero_dist_init: d is NULL");
    d->comm = MPI_COMM_NULL;
    d->rank = 0;
    d->world = 0;
    d->nccl = NULL;
    d->device = -1;
    if (MPI_Initialized(&flag) != MPI_SUCCESS || !flag)
        return hero__fail(err, HERO_EINVAL, "hero_dist_init: MPI is not initialised (call MPI_Init first)");
    if (MPI_Finalized(&flag) != MPI_SUCCESS || flag) return hero__fail(err, HERO_EINVAL, "hero_dist_init: MPI is already finalised");
    if (comm == MPI_COMM_NULL) return hero__fail(err, HERO_EINVAL, "hero_dist_init: MPI_COMM_NULL");
    if ((mrc = MPI_Comm_dup(comm, &d->comm)) != MPI_SUCCESS) {
        d->comm = MPI_COMM_NULL;
        return hero__mpi_fail(err, mrc, "MPI_Comm_dup");
    }
    if ((mrc = MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN)) != MPI_SUCCESS ||
        (mrc = MPI_Comm_rank(d->comm, &d->rank)) != MPI_SUCCESS || (mrc = MPI_Comm_size(d->comm, &d->world)) != MPI_SUCCESS) {
        MPI_Comm_free(&d->comm);
        d->comm = MPI_COMM_NULL;
        d->rank = d->world = 0;
        return hero__mpi_fail(err, mrc, "hero_dist_init (errhandler / rank / size)");
    }
    {
        int rc = hero__dist_dev_init(d, err);
        if (rc) {
            MPI_Comm_free(&d->comm);
            d->comm = MPI_COMM_NULL;
            d->rank = d->world = 0;
            return rc;
        }
    }
    return 0;
}

HERODEF void hero_dist_free(hero_dist *d) {
    int fin = 1;
    if (!d) return;
    hero__dist_dev_free(d);
    if (d->world > 0 && MPI_Finalized(&fin) == MPI_SUCCESS && !fin) MPI_Comm_free(&d->comm);
    d->comm = MPI_COMM_NULL;
    d->nccl = NULL;
    d->device = -1;
    d->rank = d->world = 0;
}

HERODEF int hero_dist_shard(const hero_dist *d, const hero_video *all, int n_all, hero_video *out) {
    int i, n = 0;
    if (!d || d->world < 1 || !all || !out) return 0;
    for (i = d->rank; i < n_all; i += d->world) out[n++] = all[i];
    return n;
}

HERODEF int hero_dist_broadcast_params(const hero_dist *d, hero_model *m, int root, hero_error *err) {
    int rc;
    if (!d || d->world < 1 || root < 0 || root >= d->world)
        return hero__fail(err, HERO_EINVAL, "hero_dist_broadcast_params: root %d of %d ranks", root, d ? d->world : 0);
    if ((rc = hero__dist_coll(d, m, HERO__COLL_BCAST, hero__pbase(m, 0), hero__pbase(m, 0), m->n_floats, 0, root, err)) != 0) return rc;
    return hero__dev_model_copy(m, 1, 0, err); /* a GPU model: the host copy of the weights too */
}

/* The end of an update: every rank's status (0 or its HERO_E*) and has_grad flags combined
   (one MPI_Allreduce, MAX), then the flat gradient block summed (one MPI_Allreduce, or one
   ncclAllReduce on a GPU) and divided by W. Nothing is reduced when a rank failed: returns
   status, or HERO_EDIST. */
static int hero__dist_average(const hero_dist *d, hero_model *m, int status, hero_error *err) {
    int f[HERO__DIST_MAXP + 1], n = m->n_params, i, mrc, rc;
    float *g = hero__pbase(m, 1);
    if (n > (int)HERO__DIST_MAXP) return hero__fail(err, HERO_ELIMIT, "MPI: %d parameters", n); /* cannot happen */
    f[0] = status < 0 ? -status : status > 0 ? 1 : 0;
    for (i = 0; i < n; i++) f[i + 1] = m->table[i].has_grad != 0;
    mrc = MPI_Allreduce(MPI_IN_PLACE, f, n + 1, MPI_INT, MPI_MAX, d->comm);
    if (status) return status;
    if (mrc != MPI_SUCCESS) return hero__mpi_fail(err, mrc, "MPI_Allreduce (status and has_grad flags)");
    if (f[0]) return hero__fail(err, HERO_EDIST, "update: another rank failed (%s); nothing applied", hero_strerror(-f[0]));
    for (i = 0; i < n; i++) m->table[i].has_grad = f[i + 1];
    if ((rc = hero__dist_coll(d, m, HERO__COLL_SUM, g, g, m->n_floats, 0, 0, err)) != 0) return rc;
    if (d->world > 1) hero__k_div(hero__act(m), g, m->n_floats, (float)d->world);
    return 0;
}

HERODEF int hero_dist_average_grads(const hero_dist *d, hero_model *m, hero_error *err) {
    if (!d || d->world < 1) return hero__fail(err, HERO_EINVAL, "hero_dist_average_grads: no hero_dist");
    return hero__dist_average(d, m, 0, err);
}

/* ---- VSM over every rank: the official VsmAllgather ---- */

struct hero__dist_call {
    const hero_dist *d;
    hero_error *err;
    int synced;          /* this rank took part in the VSM exchange */
    float *dmqn, *dfrn;  /* d(ranking)/d(this rank's normalised queries [Nq,H] / frames [B*L,H]) */
};
static hero_error *hero__dist_call_err(struct hero__dist_call *dc, hero_error *err) {
    hero_error *old = dc->err;
    dc->err = err;
    return old;
}

/* After the local VSM forward (R->vsm holds this rank's normalised queries and frames, in
   model memory): gather every rank's (each rank's block padded to the largest rank's: queries
   [maxNq, H], frames [maxBL, H], masks [maxBL]; padding rows are zero), score every query
   against every video (cosine, masked, max over frames), the ranking losses over that global
   matrix; with backward, this rank's slice of their gradient: d(normalised queries) [Nq, H]
   and d(normalised frames) [B*L, H] for hero__dist_vsm_bwd. Every op is a model primitive
   (hero__k_*), so this runs where the model runs. */
static int hero__dist_vsm_fwd(hero_model *m, hero__run *R, int backward, hero_result *res) {
    struct hero__dist_call *dc = R->dc;
    const hero_dist *d = dc->d;
    const hero__vsm_act *s = &R->vsm;
    hero_arena *host = &m->arena, *ar = hero__act(m);
    hero_error *err = dc->err;
    int H = m->cfg.H, W = d->world, me = d->rank, Nq = s->Nq, B = s->B, L = s->L, BL = B * L, r, r2, mrc, rc, st;
    int mine[3], *sz, *qoff, *voff, *foff, Nqa, Ba, Fa, Nqp, maxNq = 0, maxB = 0, maxBL = 0;
    int64_t tq = 0, tb = 0, tf = 0;
    float *sq, *sf, *qa, *fa, *cs, *mx, *q2v, *mat_ctx, *mat_q, *dq2v = NULL, *dmxq = NULL, *dcsq = NULL, *dmxf = NULL, *dcsf = NULL;
    int32_t *sm, *ma;
    int *am;
    dc->synced = 1;
    sz = HERO__NEW(host, int, 3 * W);
    qoff = HERO__NEW(host, int, W + 1); voff = HERO__NEW(host, int, W + 1); foff = HERO__NEW(host, int, W + 1);
    st = sz && qoff && voff && foff ? 0 : HERO_ENOMEM;
    if (st) hero__fail(err, st, "VSM over %d ranks: out of memory", W);
    if ((rc = hero__dist_status(d, st, "VSM", err)) != 0) return rc;
    mine[0] = Nq; mine[1] = B; mine[2] = L;
    if ((mrc = MPI_Allgather(mine, 3, MPI_INT, sz, 3, MPI_INT, d->comm)) != MPI_SUCCESS)
        return hero__mpi_fail(err, mrc, "MPI_Allgather (VSM sizes)");
    for (r = 0; r < W; r++) { /* the same on every rank: so is the verdict on the sizes */
        int nb = sz[3 * r + 1] * sz[3 * r + 2];
        qoff[r] = (int)tq; voff[r] = (int)tb; foff[r] = (int)tf;
        tq += sz[3 * r]; tb += sz[3 * r + 1]; tf += nb;
        if (sz[3 * r] > maxNq) maxNq = sz[3 * r];
        if (sz[3 * r + 1] > maxB) maxB = sz[3 * r + 1];
        if (nb > maxBL) maxBL = nb;
    }
    if ((int64_t)W * maxNq * H > INT32_MAX || (int64_t)W * maxBL * H > INT32_MAX || tq * tb > INT32_MAX ||
        (int64_t)W * maxNq * maxBL > INT32_MAX || (int64_t)W * W * maxNq * maxB > INT32_MAX || tq * tf > INT32_MAX)
        return hero__fail(err, HERO_ELIMIT, "VSM over %d ranks: the global batch is too large", W);
    Nqa = (int)tq; Ba = (int)tb; Fa = (int)tf; Nqp = W * maxNq;
    qoff[W] = Nqa; voff[W] = Ba; foff[W] = Fa;
    /* everything the gathered batch needs, before the data moves (a failure is agreed on first) */
    sq = HERO__NEW(ar, float, (size_t)maxNq * H); sf = HERO__NEW(ar, float, (size_t)maxBL * H); sm = HERO__NEW(ar, int32_t, maxBL);
    qa = HERO__NEWW(ar, float, (size_t)Nqp * H); fa = HERO__NEWW(ar, float, (size_t)W * maxBL * H);
    ma = HERO__NEWW(ar, int32_t, (size_t)W * maxBL);
    cs = HERO__NEWW(ar, float, (size_t)Nqp * maxBL); mx = HERO__NEWW(ar, float, (size_t)Nqp * maxB);
    am = HERO__NEWW(ar, int, (size_t)W * Nqp * maxB);
    q2v = HERO__NEW(ar, float, (size_t)Nqa * Ba);
    mat_ctx = HERO__NEW(ar, float, (size_t)Nqa * (Ba > 1 ? Ba - 1 : 1));
    mat_q = HERO__NEW(ar, float, (size_t)Nqa * (Nqa > 1 ? Nqa : 1));
    if (backward) {
        dq2v = HERO__NEW(ar, float, (size_t)Nqa * Ba);
        dmxq = HERO__NEW(ar, float, (size_t)Nq * Ba); dcsq = HERO__NEW(ar, float, (size_t)Nq * Fa);
        dmxf = HERO__NEW(ar, float, (size_t)Nqp * B); dcsf = HERO__NEW(ar, float, (size_t)Nqp * BL);
        dc->dmqn = HERO__NEW(ar, float, (size_t)Nq * H);
        dc->dfrn = HERO__NEW(ar, float, (size_t)BL * H);
    }
    st = sq && sf && sm && qa && fa && ma && cs && mx && am && q2v && mat_ctx && mat_q &&
                 (!backward || (dq2v && dmxq && dcsq && dmxf && dcsf && dc->dmqn && dc->dfrn))
             ? 0 : HERO_ENOMEM;
    if (st) hero__fail(err, st, "VSM over %d ranks: out of memory for %d queries x %d videos", W, Nqa, Ba);
    if ((rc = hero__dist_status(d, st, "VSM", err)) != 0) return rc;
    hero__k_copy(ar, sq, s->mqn, (size_t)Nq * H);
    hero__k_copy(ar, sf, s->frn, (size_t)BL * H);
    hero__k_copy(ar, (float *)sm, (const float *)s->mask, (size_t)BL); /* a copy of the bits (int32 as float) */
    if ((rc = hero__dist_coll(d, m, HERO__COLL_GATHER, sq, qa, (size_t)maxNq * H, 0, 0, err)) != 0 ||
        (rc = hero__dist_coll(d, m, HERO__COLL_GATHER, sf, fa, (size_t)maxBL * H, 0, 0, err)) != 0 ||
        (rc = hero__dist_coll(d, m, HERO__COLL_GATHER, sm, ma, (size_t)maxBL, 1, 0, err)) != 0)
        return rc;
    /* q2v [Nqa, Ba]: every (padded) query against rank r's videos (a block shares its padded
       length; the official code pads to the longest, masked frames never win the max), then the
       real queries' rows to their place; am: the arg max, per frame block r [Nqp, B_r] */
    for (r = 0; r < W; r++) {
        int Br = sz[3 * r + 1], Lr = sz[3 * r + 2], nb = Br * Lr;
        if (nb == 0) continue;
        hero__k_gemm(ar, 0, 1, Nqp, nb, H, 1.0f, qa, H, fa + (size_t)r * maxBL * H, H, 0.0f, cs, nb);
        hero__k_mask_logits_rows(ar, cs, ma + (size_t)r * maxBL, Nqp, nb);
        hero__k_rowmax(ar, mx, am + (size_t)r * Nqp * maxB, cs, Nqp * Br, Lr);
        for (r2 = 0; r2 < W; r2++)
            hero__k_rows_copy(ar, q2v + (size_t)qoff[r2] * Ba + voff[r], Ba, NULL, mx + (size_t)r2 * maxNq * Br, Br, NULL, sz[3 * r2], Br);
    }
    if ((rc = hero__k_rank_loss(m, ar, q2v, Nqa, Ba, mat_ctx, mat_q, &R->scal[2], &R->scal[3], dq2v)) != 0) return rc;
    res->neg_ctx_mat = mat_ctx; res->neg_ctx_cols = Ba > 1 ? Ba - 1 : 0;
    res->neg_q_mat = mat_q; res->neg_q_cols = Ba > 1 ? Nqa - Nqa / Ba : 0;
    if (!backward || Ba <= 1) return 0;
    /* this rank's slice of the gradient (the official backward narrows to it):
       its queries against every rank's frames ... */
    for (r = 0; r < W && Nq > 0; r++) {
        int Br = sz[3 * r + 1], Lr = sz[3 * r + 2], nb = Br * Lr;
        float *dmx = dmxq + (size_t)Nq * voff[r], *dcs = dcsq + (size_t)Nq * foff[r];
        if (nb == 0) continue;
        hero__k_rows_copy(ar, dmx, Br, NULL, dq2v + (size_t)qoff[me] * Ba + voff[r], Ba, NULL, Nq, Br);
        hero__k_rowmax_bwd(ar, dcs, dmx, am + (size_t)r * Nqp * maxB + (size_t)me * maxNq * Br, ma + (size_t)r * maxBL, Nq, Br, Lr);
        hero__k_gemm(ar, 0, 0, Nq, H, nb, 1.0f, dcs, nb, fa + (size_t)r * maxBL * H, H, 1.0f, dc->dmqn, H);
    }
    /* ... and every rank's queries (padding rows: zero gradient) against its frames */
    if (BL > 0) {
        for (r2 = 0; r2 < W; r2++)
            hero__k_rows_copy(ar, dmxf + (size_t)r2 * maxNq * B, B, NULL, dq2v + (size_t)qoff[r2] * Ba + voff[me], Ba, NULL, sz[3 * r2], B);
        hero__k_rowmax_bwd(ar, dcsf, dmxf, am + (size_t)me * Nqp * maxB, s->mask, Nqp, B, L);
        hero__k_gemm(ar, 1, 0, BL, H, Nqp, 1.0f, dcsf, BL, qa, H, 0.0f, dc->dfrn, H);
    }
    return 0;
}

/* the normalisations' backward for this rank's slice: dmq [Nq,H] +=, dframes [B*L,H] += */
static int hero__dist_vsm_bwd(hero_model *m, hero__run *R, float *dmq, float *dframes) {
    const hero__vsm_act *s = &R->vsm;
    hero_arena *ar = hero__act(m);
    int H = m->cfg.H;
    if (!R->dc->dmqn || !R->dc->dfrn) return 0; /* one video in the whole batch: no ranking loss */
    hero__k_l2norm_bwd(ar, dmq, R->dc->dmqn, s->mqn, s->mq_norm, s->Nq, H, 1e-5f);
    hero__k_l2norm_bwd(ar, dframes, R->dc->dfrn, s->frn, s->fr_norm, s->B * s->L, H, 1e-5f);
    return 0;
}

HERODEF int hero_forward_backward_dist(const hero_dist *d, hero_model *m, const hero_batch *b, int backward,
                                       hero_result *res, hero_error *err) {
    struct hero__dist_call dc;
    int rc;
    if (!d || d->world < 1) return hero__fail(err, HERO_EINVAL, "hero_forward_backward_dist: no hero_dist (hero_dist_init)");
    if (!b) return hero__fail(err, HERO_EINVAL, "hero_forward_backward_dist: batch is NULL");
    if (b->task != HERO_TASK_VSM) return hero_forward_backward(m, b, backward, NULL, res, err);
    memset(&dc, 0, sizeof(dc));
    dc.d = d;
    dc.err = err;
    rc = hero__forward_backward(m, b, backward, NULL, res, &dc, err);
    if (rc && !dc.synced) hero__dist_status(d, rc, "VSM", err); /* the others wait for this rank: it failed */
    return rc;
}

/* ---- the trainer over MPI ---- */

HERODEF int hero_trainer_set_dist(hero_trainer *t, const hero_dist *d, hero_error *err) {
    long long v[9];
    int mrc, rc, dev;
    if (!d) { t->dist = NULL; return 0; }
    if (d->world < 1 || d->rank < 0 || d->rank >= d->world)
        return hero__fail(err, HERO_EINVAL, "hero_trainer_set_dist: hero_dist not initialised (hero_dist_init)");
    dev = hero__dist_model_device(t->model);
    /* every rank must agree on the model size and the number of collectives per update; a GPU
       model must be on the device of the NCCL communicator */
    v[0] = (long long)t->model->n_floats; v[1] = t->model->n_params; v[2] = t->cfg.accum_steps; v[3] = t->n_videos > 0;
    v[4] = -v[0]; v[5] = -v[1]; v[6] = -v[2]; v[7] = -v[3]; v[8] = dev != d->device;
    if ((mrc = MPI_Allreduce(MPI_IN_PLACE, v, 9, MPI_LONG_LONG, MPI_MAX, d->comm)) != MPI_SUCCESS)
        return hero__mpi_fail(err, mrc, "MPI_Allreduce (trainer check)");
    if (dev != d->device) {
        char a[32], b[32];
        snprintf(a, sizeof(a), dev < 0 ? "the CPU" : "CUDA device %d", dev);
        snprintf(b, sizeof(b), d->device < 0 ? "the CPU" : "CUDA device %d", d->device);
        return hero__fail(err, HERO_EINVAL, "hero_trainer_set_dist: the model is on %s, the hero_dist's communicator on %s "
                          "(choose the device, then hero_dist_init, then hero_model_init)", a, b);
    }
    if (v[8]) return hero__fail(err, HERO_EDIST, "hero_trainer_set_dist: on another rank the model is not on the communicator's device");
    if (v[0] != -v[4] || v[1] != -v[5] || v[2] != -v[6] || -v[7] != 1)
        return hero__fail(err, HERO_EINVAL, "hero_trainer_set_dist: the ranks differ: model floats %lld..%lld, accum_steps %lld..%lld%s",
                          -v[4], v[0], -v[6], v[2], -v[7] != 1 ? ", a rank has no videos" : "");
    if (t->model->n_params > (int)HERO__DIST_MAXP) return hero__fail(err, HERO_ELIMIT, "hero_trainer_set_dist: too many parameters");
    if (d->rank > 0) { /* as hero_trainer_init with rank r's seed */
        int i;
        hero_rng_seed(&t->rng, hero__dist_seed(t->cfg.seed, d->rank));
        for (i = 0; i < t->n_videos; i++) t->order[i] = i;
        hero__trainer_shuffle(t);
    }
    if ((rc = hero_dist_broadcast_params(d, t->model, 0, err)) != 0) return rc;
    t->dist = d;
    return 0;
}

/* hero_trainer_update over MPI: the task from rank 0, local micro-batches (VSM gathers), the
   averaged gradient, then the usual step on every rank. A failing rank keeps answering the
   collectives until the end of the update, so that every rank returns an error. */
static int hero__dist_update(hero_trainer *t, hero_error *err) {
    const hero_dist *d = t->dist;
    hero_model *m = t->model;
    int task_i = 0, k, rc = 0, mrc, B = t->cfg.videos_per_batch;
    double loss_sum = 0;
    hero_task task;
    hero_video *sel;
    if (d->rank == 0) task_i = (int)hero__draw_task(t);
    if ((mrc = MPI_Bcast(&task_i, 1, MPI_INT, 0, d->comm)) != MPI_SUCCESS) return hero__mpi_fail(err, mrc, "MPI_Bcast (task)");
    task = (hero_task)task_i;
    sel = (hero_video *)HERO_MALLOC((size_t)B * sizeof(hero_video));
    if (!sel) rc = hero__fail(err, HERO_ENOMEM, "trainer: out of memory");
    hero__trainer_hard_negatives(t);
    for (k = 0; k < t->cfg.accum_steps; k++) {
        hero_batch b;
        if (rc == 0) {
            hero__trainer_next_videos(t, sel);
            if ((rc = hero_build_batch(&b, task, sel, B, &t->cfg.batch, NULL, &t->rng, err)) == 0) {
                rc = hero_forward_backward_dist(d, m, &b, 1, &t->last_result, err);
                hero_batch_free(&b);
                if (rc == 0 && (!(t->last_result.loss == t->last_result.loss) || fabsf(t->last_result.loss) == (float)INFINITY))
                    rc = hero__fail(err, HERO_ENUMERIC, "trainer: task %s, update %lld, micro-batch %d, rank %d: loss is %g; update not applied",
                                    hero_task_name(task), (long long)t->opt.step + 1, k, d->rank, (double)t->last_result.loss);
                if (rc == 0) loss_sum += t->last_result.loss;
                continue;
            }
        }
        if (task == HERO_TASK_VSM) hero__dist_status(d, rc, "VSM", err); /* the others' VSM gather waits for us */
    }
    HERO_FREE(sel);
    if ((rc = hero__dist_average(d, m, rc, err)) != 0) {
        hero_zero_grad(m);
        return rc;
    }
    return hero__trainer_step(t, task, loss_sum, err);
}

/* hero_trainer_save over MPI: rank 0 gathers every rank's PRNG, position, corpus size and
   video order (tensors dist.state [W,6]: 4 PRNG words as int64 bits, pos, n_videos; and
   dist.order: the orders one after the other) and writes them with its own state. */
static int hero__dist_save(const hero_trainer *t, const char *path, hero_error *err) {
    const hero_dist *d = t->dist;
    int W = d->world, root = d->rank == 0, r, rc = 0, mrc;
    int64_t mine[6], *state = NULL, shp[3], total = 0;
    int *cnt = NULL, *dsp = NULL;
    int32_t *orders = NULL;
    hero_st_item ex[2];
    for (r = 0; r < 4; r++) memcpy(&mine[r], &t->rng.s[r], sizeof(int64_t));
    mine[4] = t->pos;
    mine[5] = t->n_videos;
    if (root) {
        state = (int64_t *)HERO_MALLOC((size_t)W * 6 * sizeof(int64_t));
        cnt = (int *)HERO_MALLOC((size_t)W * sizeof(int));
        dsp = (int *)HERO_MALLOC((size_t)W * sizeof(int));
        if (!state || !cnt || !dsp) rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory while saving", path);
    }
    if ((rc = hero__dist_status(d, rc, "hero_trainer_save", err)) != 0) goto done;
    if ((mrc = MPI_Gather(mine, 6, MPI_INT64_T, state, 6, MPI_INT64_T, 0, d->comm)) != MPI_SUCCESS) {
        rc = hero__mpi_fail(err, mrc, "MPI_Gather (data state)");
        goto done;
    }
    if (root) {
        for (r = 0; r < W; r++) {
            cnt[r] = (int)state[6 * r + 5];
            dsp[r] = (int)total;
            total += state[6 * r + 5];
        }
        if (total > INT32_MAX) rc = hero__fail(err, HERO_ELIMIT, "%s: %lld videos over the ranks", path, (long long)total);
        else if (!(orders = (int32_t *)HERO_MALLOC((size_t)(total > 0 ? total : 1) * sizeof(int32_t))))
            rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory while saving", path);
    }
    if ((rc = hero__dist_status(d, rc, "hero_trainer_save", err)) != 0) goto done;
    if ((mrc = MPI_Gatherv(t->order, t->n_videos, MPI_INT32_T, orders, cnt, dsp, MPI_INT32_T, 0, d->comm)) != MPI_SUCCESS) {
        rc = hero__mpi_fail(err, mrc, "MPI_Gatherv (video orders)");
        goto done;
    }
    if (root) {
        shp[0] = W; shp[1] = 6; shp[2] = total;
        ex[0].name = "dist.state"; ex[0].dtype = HERO_I64; ex[0].ndim = 2; ex[0].shape = shp; ex[0].data = state;
        ex[1].name = "dist.order"; ex[1].dtype = HERO_I32; ex[1].ndim = 1; ex[1].shape = shp + 2; ex[1].data = orders;
        rc = hero__trainer_save_items(t, path, ex, 2, err);
    }
    /* every rank learns whether the file is there (and complete: it is written atomically) */
    if ((mrc = MPI_Bcast(&rc, 1, MPI_INT, 0, d->comm)) != MPI_SUCCESS) {
        if (!root || rc == 0) rc = hero__mpi_fail(err, mrc, "MPI_Bcast (save status)");
    } else if (rc && !root)
        rc = hero__fail(err, HERO_EDIST, "rank 0 could not write the training state (%s)", hero_strerror(rc));
done:
    HERO_FREE(state); HERO_FREE(cnt); HERO_FREE(dsp); HERO_FREE(orders);
    return rc;
}

/* a 64-bit digest of the weights, AdamW state and step (to compare the ranks) */
static uint64_t hero__dist_digest(const hero_trainer *t) {
    const hero_model *m = t->model;
    uint64_t h = 0xcbf29ce484222325ULL;
    const float *blocks[3];
    size_t j;
    int b, i;
    blocks[0] = m->params; blocks[1] = t->opt.m; blocks[2] = t->opt.v;
    for (b = 0; b < 3; b++)
        for (j = 0; j < m->n_floats; j++) {
            uint32_t w;
            memcpy(&w, blocks[b] + j, sizeof(w));
            h = (h ^ w) * 0x100000001b3ULL;
        }
    for (i = 0; i < m->n_params; i++) h = (h ^ (uint64_t)t->opt.steps[i] ^ ((uint64_t)(m->table[i].has_grad != 0) << 63)) * 0x100000001b3ULL;
    return (h ^ (uint64_t)t->opt.step) * 0x100000001b3ULL;
}

/* hero_trainer_load over MPI: every rank reads the file; its own data state from dist.* when
   the file has as many ranks with the same shard sizes; else rank 0 continues the file's
   main state when it fits, and the others restart theirs from seed, rank and step. Then the
   ranks compare digests of their weights and AdamW state. */
static int hero__dist_load(hero_trainer *t, const char *path, hero_error *err) {
    const hero_dist *d = t->dist;
    hero_tensorfile tf;
    int W = d->world, me = d->rank, rc, r, i, exact = 0, mrc;
    int64_t *state = NULL, *ord = NULL, off = 0, total = 0;
    uint64_t h[2];
    memset(&tf, 0, sizeof(tf));
    rc = hero__trainer_load_ext(t, path, 0, &tf, err);
    if (rc == 0) {
        const hero_tensor_info *ts = hero_tensorfile_find(&tf, "dist.state"), *to = hero_tensorfile_find(&tf, "dist.order");
        if (ts && to && ts->ndim == 2 && ts->shape[0] == W && ts->shape[1] == 6) {
            state = (int64_t *)HERO_MALLOC((size_t)W * 6 * sizeof(int64_t));
            if (!state) rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
            else rc = hero_tensor_read_i64(ts, state, (int64_t)W * 6, err);
            for (r = 0; rc == 0 && r < W; r++) {
                if (state[6 * r + 5] < 1 || state[6 * r + 4] < 0 || state[6 * r + 4] > state[6 * r + 5])
                    rc = hero__fail(err, HERO_EFORMAT, "%s: dist.state row %d is not a data state", path, r);
                if (r < me) off += state[6 * r + 5];
                total += state[6 * r + 5];
            }
            if (rc == 0 && hero_tensor_numel(to) != total) rc = hero__fail(err, HERO_EFORMAT, "%s: dist.order is not [%lld]", path, (long long)total);
            if (rc == 0 && state[6 * me + 5] == t->n_videos) {
                if (!(ord = (int64_t *)HERO_MALLOC((size_t)total * sizeof(int64_t)))) rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
                else rc = hero_tensor_read_i64(to, ord, total, err);
                for (i = 0; rc == 0 && i < t->n_videos; i++)
                    if (ord[off + i] < 0 || ord[off + i] >= t->n_videos) rc = hero__fail(err, HERO_EFORMAT, "%s: dist.order entry out of range", path);
                if (rc == 0) {
                    for (i = 0; i < t->n_videos; i++) t->order[i] = (int32_t)ord[off + i];
                    for (i = 0; i < 4; i++) t->rng.s[i] = (uint64_t)state[6 * me + i];
                    t->pos = (int)state[6 * me + 4];
                    exact = 1;
                }
            }
        }
    }
    hero_tensorfile_close(&tf);
    if (rc == 0 && !exact) {
        if (me == 0 && (rc = hero__trainer_load_ext(t, path, 1, NULL, err)) == 0) exact = 1; /* the file's main state is rank 0's */
        else if (me != 0 || rc == HERO_ESHAPE) {
            rc = 0;
            hero_rng_seed(&t->rng, hero__dist_seed(t->cfg.seed, me) ^ ((uint64_t)t->opt.step * 0xD1B54A32D192ED03ULL));
            for (i = 0; i < t->n_videos; i++) t->order[i] = i;
            hero__trainer_shuffle(t);
        }
    }
    HERO_FREE(state); HERO_FREE(ord);
    if ((rc = hero__dist_status(d, rc, "hero_trainer_load", err)) != 0) return rc;
    h[0] = hero__dist_digest(t);
    h[1] = ~h[0];
    if ((mrc = MPI_Allreduce(MPI_IN_PLACE, h, 2, MPI_UINT64_T, MPI_MAX, d->comm)) != MPI_SUCCESS)
        return hero__mpi_fail(err, mrc, "MPI_Allreduce (state digests)");
    if (h[0] != ~h[1])
        return hero__fail(err, HERO_EDIST, "%s: the ranks loaded different weights or optimizer states (not the same file everywhere?)", path);
    return 0;
}

#endif /* HERO_MPI */

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

/* ---------------------------------------------------------------------------------------
   Data: seeded PRNG, videos, random choices, batch building (the official HERO collate).
   Needs batch_api.h (hero_batch, hero_task) and formats_api.h (hero_tensorfile) first.
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

HERODEF const char *hero_task_name(hero_task t); /* "repr","mlm","mfm-nce","mffr","fom","vsm" */

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

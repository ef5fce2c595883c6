/* The collated batch: the model's input, field for field the official HERO collate output
   (see ../shared/golden/README.md, the `in.*` tensors). Owned arrays (HERO_MALLOC'd);
   hero_batch_free() frees every non-NULL array. Integer arrays are int32. */
typedef enum hero_task {
    HERO_TASK_REPR = 0, HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_MFFR, HERO_TASK_FOM, HERO_TASK_VSM,
    HERO_TASK_COUNT
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
} hero_batch;

HERODEF void hero_batch_free(hero_batch *b);

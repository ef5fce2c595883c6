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

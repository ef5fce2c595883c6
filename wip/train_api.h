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
} hero_trainer;

/* The release recipe (HERO-SPEC section 4) for a vocabulary of vocab_size ids. */
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

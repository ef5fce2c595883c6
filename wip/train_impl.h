/* ======================================================================================
   Pre-training loop
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

HERODEF int hero_trainer_init(hero_trainer *t, hero_model *m, const hero_train_config *c, const hero_video *videos,
                              int n_videos, hero_error *err) {
    int i, rc;
    double sum = 0;
    memset(t, 0, sizeof(*t));
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
    hero_model *m = t->model;
    hero_task task = hero__draw_task(t);
    int k, i, rc, B = t->cfg.videos_per_batch;
    double loss_sum = 0;
    hero_video *sel = (hero_video *)HERO_MALLOC((size_t)B * sizeof(hero_video));
    if (!sel) return hero__fail(err, HERO_ENOMEM, "trainer: out of memory");
    /* hard negatives from a given update on (the official loop checks completed updates) */
    if (t->cfg.hard_negative_start >= 0 && t->opt.step >= t->cfg.hard_negative_start) {
        m->cfg.use_hard_negative = 1;
        m->cfg.hard_pool_size = t->cfg.hard_pool_size;
        m->cfg.hard_neg_weight = t->cfg.hard_neg_weight;
    }
    for (k = 0; k < t->cfg.accum_steps; k++) {
        hero_batch b;
        for (i = 0; i < B; i++) {
            if (t->pos >= t->n_videos) hero__trainer_shuffle(t);
            sel[i] = t->videos[t->order[t->pos++]];
        }
        if ((rc = hero_build_batch(&b, task, sel, B, &t->cfg.batch, NULL, &t->rng, err)) != 0) { HERO_FREE(sel); return rc; }
        rc = hero_forward_backward(m, &b, 1, NULL, &t->last_result, err);
        hero_batch_free(&b);
        if (rc) { HERO_FREE(sel); return rc; }
        if (!(t->last_result.loss == t->last_result.loss) || fabsf(t->last_result.loss) == (float)INFINITY) {
            HERO_FREE(sel);
            hero_zero_grad(m);
            return hero__fail(err, HERO_ENUMERIC, "trainer: task %s, update %lld, micro-batch %d: loss is %g; update not applied",
                              hero_task_name(task), (long long)t->opt.step + 1, k, (double)t->last_result.loss);
        }
        loss_sum += t->last_result.loss;
    }
    HERO_FREE(sel);
    t->last_task = task;
    t->last_loss = (float)(loss_sum / t->cfg.accum_steps);
    if ((rc = hero_optimizer_step(&t->opt, m, &t->last_grad_norm, &t->last_lr, err)) != 0) {
        hero_zero_grad(m);
        return rc;
    }
    return 0;
}

/* ---- training state <-> safetensors ---- */

HERODEF int hero_trainer_save(const hero_trainer *t, const char *path, hero_error *err) {
    const hero_model *m = t->model;
    int n = m->n_params, i, rc, k = 0;
    hero_st_item *items = (hero_st_item *)HERO_MALLOC((size_t)(3 * n + 4) * sizeof(hero_st_item));
    int64_t *shapes = (int64_t *)HERO_MALLOC((size_t)(3 * n + 4) * 3 * sizeof(int64_t));
    char *names = (char *)HERO_MALLOC((size_t)(2 * n) * 128);
    uint8_t *flags = (uint8_t *)HERO_MALLOC((size_t)n + 1);
    char step[32], rng[96], pos[32];
    const char *meta[] = {"format", "hero.h training state v1", "step", step, "rng", rng, "order_pos", pos, NULL};
    if (!items || !shapes || !names || !flags) {
        rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory while saving", path);
        goto done;
    }
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
    rc = hero_safetensors_write(path, items, k, meta, err);
done:
    HERO_FREE(items); HERO_FREE(shapes); HERO_FREE(names); HERO_FREE(flags);
    return rc;
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

HERODEF int hero_trainer_load(hero_trainer *t, const char *path, hero_error *err) {
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
    hero_zero_grad(m);
    rc = 0;
done:
    HERO_FREE(tmp);
    hero_tensorfile_close(&tf);
    return rc;
}

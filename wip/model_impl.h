/* ======================================================================================
   4. The parameter table
   ====================================================================================== */

static int hero__str_has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* One table entry: when table is NULL only counts; when assign, points p/g slots at the blocks. */
static void hero__reg(hero_model *m, int *i, size_t *off, int assign, const char *prefix, const char *name,
                      int nd, int d0, int d1, int d2, float **pslot, float **gslot) {
    if (assign) {
        hero_param *t = &m->table[*i];
        *pslot = t->data = m->params + t->offset;
        *gslot = t->grad = m->grads + t->offset;
    } else if (m->table) {
        hero_param *t = &m->table[*i];
        memset(t, 0, sizeof(*t));
        snprintf(t->name, sizeof(t->name), "%s%s", prefix, name);
        t->ndim = nd;
        t->shape[0] = d0; t->shape[1] = nd > 1 ? d1 : 1; t->shape[2] = nd > 2 ? d2 : 1;
        t->numel = (size_t)d0 * (size_t)(nd > 1 ? d1 : 1) * (size_t)(nd > 2 ? d2 : 1);
        t->offset = *off;
        t->decay = !(hero__str_has(t->name, "bias") || hero__str_has(t->name, "LayerNorm.weight"));
        *off += (t->numel + 15) & ~(size_t)15; /* 64-byte aligned tensors */
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
    }
    {
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

HERODEF int hero_model_init(hero_model *m, const hero_config *c, hero_error *err) {
    int n, rc;
    memset(m, 0, sizeof(*m));
    m->cfg = *c;
    if ((rc = hero__check_config(c, err)) != 0) return rc;
    n = hero__walk_params(m, 0);
    m->table = (hero_param *)HERO_MALLOC((size_t)n * sizeof(hero_param));
    if (!m->table) return hero__fail(err, HERO_ENOMEM, "model: out of memory for the parameter table");
    m->n_params = n;
    hero__walk_params(m, 0);
    m->params = (float *)HERO_MALLOC(m->n_floats * sizeof(float));
    m->grads = (float *)HERO_MALLOC(m->n_floats * sizeof(float));
    if (!m->params || !m->grads) {
        hero_model_free(m);
        return hero__fail(err, HERO_ENOMEM, "model: out of memory for %zu parameters", m->n_floats);
    }
    memset(m->params, 0, m->n_floats * sizeof(float));
    memset(m->grads, 0, m->n_floats * sizeof(float));
    hero__walk_params(m, 1);
    m->vocab_padded = c->Vp > c->V;
    return 0;
}

HERODEF void hero_model_free(hero_model *m) {
    HERO_FREE(m->table);
    HERO_FREE(m->params);
    HERO_FREE(m->grads);
    hero__arena_free(&m->arena);
    memset(m, 0, sizeof(*m));
}

HERODEF hero_param *hero_model_param(hero_model *m, const char *name) {
    int i;
    for (i = 0; i < m->n_params; i++)
        if (strcmp(m->table[i].name, name) == 0) return &m->table[i];
    return NULL;
}

HERODEF void hero_zero_grad(hero_model *m) { memset(m->grads, 0, m->n_floats * sizeof(float)); }

/* Marks the parameter owning gradient pointer g as having received a gradient. */
static void hero__touch(hero_model *m, const float *g) {
    size_t off = (size_t)(g - m->grads);
    int lo = 0, hi = m->n_params - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        hero_param *t = &m->table[mid];
        if (off < t->offset) hi = mid - 1;
        else if (off >= t->offset + t->numel) lo = mid + 1;
        else { t->has_grad = 1; return; }
    }
}

static void hero__touch_attn(hero_model *m, hero_attn_params *g) {
#define HERO__T(field, nm, nd, d0, d1, d2) hero__touch(m, g->field);
    HERO_PARAMS_ATTN(HERO__T)
#undef HERO__T
}
static void hero__touch_layer(hero_model *m, hero_layer_params *g) {
    hero__touch_attn(m, &g->attn);
#define HERO__T(field, nm, nd, d0, d1, d2) hero__touch(m, g->field);
    HERO_PARAMS_FFN(HERO__T)
#undef HERO__T
}

#define HERO__NEW(ar, type, n) ((type *)hero__alloc((ar), (size_t)(n) * sizeof(type)))

/* ======================================================================================
   5. BERT post-LN layer: a = LN(x + Wo Attn(x)); out = LN(a + W2 gelu(W1 a))
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
    int n, h, i, j, d = H / A;
    size_t NTH = (size_t)N * T * H;
    float sq = sqrtf((float)d);
    s->N = N; s->T = T; s->A = A; s->x = x; s->mask = mask;
    s->q = HERO__NEW(ar, float, NTH); s->k = HERO__NEW(ar, float, NTH); s->v = HERO__NEW(ar, float, NTH);
    s->att = HERO__NEW(ar, float, (size_t)N * A * T * T); s->ctx = HERO__NEW(ar, float, NTH);
    s->res = HERO__NEW(ar, float, NTH); s->out = HERO__NEW(ar, float, NTH);
    s->mean = HERO__NEW(ar, float, (size_t)N * T); s->rstd = HERO__NEW(ar, float, (size_t)N * T);
    if (!s->q || !s->k || !s->v || !s->att || !s->ctx || !s->res || !s->out || !s->mean || !s->rstd) return HERO_ENOMEM;
    hero__linear_fwd(s->q, x, p->q_w, p->q_b, N * T, H, H);
    hero__linear_fwd(s->k, x, p->k_w, p->k_b, N * T, H, H);
    hero__linear_fwd(s->v, x, p->v_w, p->v_b, N * T, H, H);
    for (n = 0; n < N; n++)
        for (h = 0; h < A; h++) {
            const float *Q = s->q + (size_t)n * T * H + h * d, *K = s->k + (size_t)n * T * H + h * d;
            const float *Vv = s->v + (size_t)n * T * H + h * d;
            float *S = s->att + ((size_t)n * A + h) * T * T;
            hero__gemm(0, 1, T, T, d, 1.0f, Q, H, K, H, 0.0f, S, T);
            for (i = 0; i < T; i++) {
                float *row = S + (size_t)i * T;
                for (j = 0; j < T; j++) row[j] = row[j] / sq + (1.0f - (float)mask[(size_t)n * T + j]) * -10000.0f;
                hero__softmax_row(row, T);
            }
            hero__gemm(0, 0, T, d, T, 1.0f, S, T, Vv, H, 0.0f, s->ctx + (size_t)n * T * H + h * d, H);
        }
    hero__linear_fwd(s->res, s->ctx, p->o_w, p->o_b, N * T, H, H);
    for (i = 0; i < (int)NTH; i++) s->res[i] += x[i];
    hero__layernorm_fwd(s->out, s->mean, s->rstd, s->res, p->ln_w, p->ln_b, N * T, H, eps);
    return 0;
}
/* attention block backward: dx[N,T,H] += ..., parameter grads into g */
static int hero__attn_bwd(hero_arena *ar, hero__attn_act *s, const hero_attn_params *p, hero_attn_params *g,
                          float *dx, const float *dout, int H) {
    int N = s->N, T = s->T, A = s->A, n, h, i, d = H / A;
    size_t NTH = (size_t)N * T * H;
    float sq = sqrtf((float)d);
    float *dres = HERO__NEW(ar, float, NTH), *dctx = HERO__NEW(ar, float, NTH);
    float *dq = HERO__NEW(ar, float, NTH), *dk = HERO__NEW(ar, float, NTH), *dv = HERO__NEW(ar, float, NTH);
    float *dP = HERO__NEW(ar, float, (size_t)T * T), *dS = HERO__NEW(ar, float, (size_t)T * T);
    if (!dres || !dctx || !dq || !dk || !dv || !dP || !dS) return HERO_ENOMEM;
    hero__layernorm_bwd(dres, g->ln_w, g->ln_b, dout, s->res, s->mean, s->rstd, p->ln_w, N * T, H);
    for (i = 0; i < (int)NTH; i++) dx[i] += dres[i];
    hero__linear_bwd(dctx, g->o_w, g->o_b, dres, s->ctx, p->o_w, N * T, H, H);
    for (n = 0; n < N; n++)
        for (h = 0; h < A; h++) {
            size_t base = (size_t)n * T * H + h * d;
            const float *P = s->att + ((size_t)n * A + h) * T * T;
            hero__gemm(0, 1, T, T, d, 1.0f, dctx + base, H, s->v + base, H, 0.0f, dP, T);  /* dP = dctx V^T */
            hero__gemm(1, 0, T, d, T, 1.0f, P, T, dctx + base, H, 1.0f, dv + base, H);    /* dV += P^T dctx */
            memset(dS, 0, (size_t)T * T * sizeof(float));
            for (i = 0; i < T; i++) hero__softmax_row_bwd(dS + (size_t)i * T, dP + (size_t)i * T, P + (size_t)i * T, T);
            for (i = 0; i < T * T; i++) dS[i] /= sq;
            hero__gemm(0, 0, T, d, T, 1.0f, dS, T, s->k + base, H, 1.0f, dq + base, H);   /* dQ += dS K */
            hero__gemm(1, 0, T, d, T, 1.0f, dS, T, s->q + base, H, 1.0f, dk + base, H);   /* dK += dS^T Q */
        }
    hero__linear_bwd(dx, g->q_w, g->q_b, dq, s->x, p->q_w, N * T, H, H);
    hero__linear_bwd(dx, g->k_w, g->k_b, dk, s->x, p->k_w, N * T, H, H);
    hero__linear_bwd(dx, g->v_w, g->v_b, dv, s->x, p->v_w, N * T, H, H);
    return 0;
}

/* BERT layer: out[N,T,H] = LN(a + W2 gelu(W1 a + b1) + b2), a = attention block(x) */
static int hero__layer_fwd(hero_arena *ar, hero__layer_act *s, const hero_layer_params *p, const float *x,
                           const int32_t *mask, int N, int T, int H, int A, int Dff, float eps) {
    size_t NT = (size_t)N * T, i;
    int rc = hero__attn_fwd(ar, &s->at, &p->attn, x, mask, N, T, H, A, eps);
    if (rc) return rc;
    s->h = HERO__NEW(ar, float, NT * Dff); s->g = HERO__NEW(ar, float, NT * Dff);
    s->res = HERO__NEW(ar, float, NT * H); s->out = HERO__NEW(ar, float, NT * H);
    s->mean = HERO__NEW(ar, float, NT); s->rstd = HERO__NEW(ar, float, NT);
    if (!s->h || !s->g || !s->res || !s->out || !s->mean || !s->rstd) return HERO_ENOMEM;
    hero__linear_fwd(s->h, s->at.out, p->i_w, p->i_b, (int)NT, H, Dff);
    hero__gelu_fwd(s->g, s->h, NT * Dff);
    hero__linear_fwd(s->res, s->g, p->f_w, p->f_b, (int)NT, Dff, H);
    for (i = 0; i < NT * H; i++) s->res[i] += s->at.out[i];
    hero__layernorm_fwd(s->out, s->mean, s->rstd, s->res, p->fln_w, p->fln_b, (int)NT, H, eps);
    return 0;
}
/* BERT layer backward: dx[N,T,H] += ... */
static int hero__layer_bwd(hero_arena *ar, hero__layer_act *s, const hero_layer_params *p, hero_layer_params *g,
                           float *dx, const float *dout, int H, int Dff) {
    size_t NT = (size_t)s->at.N * s->at.T, i;
    float *dres = HERO__NEW(ar, float, NT * H), *dg = HERO__NEW(ar, float, NT * Dff);
    float *dh = HERO__NEW(ar, float, NT * Dff), *da = HERO__NEW(ar, float, NT * H);
    if (!dres || !dg || !dh || !da) return HERO_ENOMEM;
    hero__layernorm_bwd(dres, g->fln_w, g->fln_b, dout, s->res, s->mean, s->rstd, p->fln_w, (int)NT, H);
    for (i = 0; i < NT * H; i++) da[i] = dres[i];
    hero__linear_bwd(dg, g->f_w, g->f_b, dres, s->g, p->f_w, (int)NT, Dff, H);
    hero__gelu_bwd(dh, dg, s->h, NT * Dff);
    hero__linear_bwd(da, g->i_w, g->i_b, dh, s->at.out, p->i_w, (int)NT, H, Dff);
    return hero__attn_bwd(ar, &s->at, &p->attn, &g->attn, dx, da, H);
}

/* a stack of layers over x[N,T,H]; act[l] for each layer; returns the last output */
static int hero__encoder_fwd(hero_arena *ar, hero__layer_act *act, const hero_layer_params *layers, int n_layers,
                             const float *x, const int32_t *mask, int N, int T, int H, int A, int Dff, float eps,
                             const float **out) {
    int l, rc;
    const float *cur = x;
    for (l = 0; l < n_layers; l++) {
        if ((rc = hero__layer_fwd(ar, &act[l], &layers[l], cur, mask, N, T, H, A, Dff, eps)) != 0) return rc;
        cur = act[l].out;
    }
    *out = cur;
    return 0;
}
/* encoder backward: dx[N,T,H] += ... from dout */
static int hero__encoder_bwd(hero_model *m, hero__layer_act *act, const hero_layer_params *layers, hero_layer_params *g,
                             int n_layers, float *dx, const float *dout, int N, int T, int H, int Dff) {
    hero_arena *ar = &m->arena;
    int l, rc;
    const float *cur = dout;
    for (l = n_layers - 1; l >= 0; l--) {
        float *d = l == 0 ? dx : HERO__NEW(ar, float, (size_t)N * T * H);
        if (!d) return HERO_ENOMEM;
        if ((rc = hero__layer_bwd(ar, &act[l], &layers[l], &g[l], d, cur, H, Dff)) != 0) return rc;
        hero__touch_layer(m, &g[l]);
        cur = d;
    }
    if (n_layers == 0) {
        size_t i;
        for (i = 0; i < (size_t)N * T * H; i++) dx[i] += dout[i];
    }
    return 0;
}

/* ======================================================================================
   6. Cross-modal transformer: per subtitle row, its frames then its tokens (gather merge)
   ====================================================================================== */

typedef struct hero__fenc_act {
    int N, Lt, Lv, Lg;               /* rows, text length, frame length, merged length (Lg = Lt if text only) */
    const int32_t *ids, *pos, *vpos, *gather, *mask;
    const float *vfeat;              /* [N,Lv,F] or NULL (text only) */
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
    int H = c->H, n, t, i;
    size_t NT = (size_t)s->N * s->Lt;
    hero_arena *ar = &m->arena;
    s->t_res = HERO__NEW(ar, float, NT * H); s->t_emb = HERO__NEW(ar, float, NT * H);
    s->t_mean = HERO__NEW(ar, float, NT); s->t_rstd = HERO__NEW(ar, float, NT);
    if (!s->t_res || !s->t_emb || !s->t_mean || !s->t_rstd) return HERO_ENOMEM;
    for (n = 0; n < s->N; n++)
        for (t = 0; t < s->Lt; t++) {
            const float *w = m->p.f_word + (size_t)s->ids[(size_t)n * s->Lt + t] * H;
            const float *pe = m->p.f_pos + (size_t)s->pos[t] * H, *ty = m->p.f_type + H;
            float *r = s->t_res + ((size_t)n * s->Lt + t) * H;
            for (i = 0; i < H; i++) r[i] = w[i] + pe[i] + ty[i];
        }
    hero__layernorm_fwd(s->t_emb, s->t_mean, s->t_rstd, s->t_res, m->p.f_ln_w, m->p.f_ln_b, (int)NT, H, 1e-5f);
    return 0;
}
/* text embedding backward: word rows (not padding row 1), positions, type row 1, LayerNorm */
static int hero__text_emb_bwd(hero_model *m, hero__fenc_act *s, const float *demb) {
    const hero_config *c = &m->cfg;
    int H = c->H, n, t, i;
    size_t NT = (size_t)s->N * s->Lt;
    float *dres = HERO__NEW(&m->arena, float, NT * H);
    if (!dres) return HERO_ENOMEM;
    hero__layernorm_bwd(dres, m->g.f_ln_w, m->g.f_ln_b, demb, s->t_res, s->t_mean, s->t_rstd, m->p.f_ln_w, (int)NT, H);
    for (n = 0; n < s->N; n++)
        for (t = 0; t < s->Lt; t++) {
            int id = s->ids[(size_t)n * s->Lt + t];
            const float *d = dres + ((size_t)n * s->Lt + t) * H;
            float *gw = m->g.f_word + (size_t)id * H, *gp = m->g.f_pos + (size_t)s->pos[t] * H, *gt = m->g.f_type + H;
            for (i = 0; i < H; i++) {
                if (id != 1) gw[i] += d[i];
                gp[i] += d[i];
                gt[i] += d[i];
            }
        }
    hero__touch(m, m->g.f_word); hero__touch(m, m->g.f_pos); hero__touch(m, m->g.f_type);
    hero__touch(m, m->g.f_ln_w); hero__touch(m, m->g.f_ln_b);
    return 0;
}

/* frame embedding: v_emb[N,Lv,H] = LN(img_linear(img_LN(f + mask_emb[m])) + imgpos[p] + type[1]) */
static int hero__frame_emb_fwd(hero_model *m, hero__fenc_act *s) {
    const hero_config *c = &m->cfg;
    int H = c->H, F = c->F, n, v, i;
    size_t NV = (size_t)s->N * s->Lv;
    hero_arena *ar = &m->arena;
    s->v_in = HERO__NEW(ar, float, NV * F); s->v_ln = HERO__NEW(ar, float, NV * F);
    s->v_lmean = HERO__NEW(ar, float, NV); s->v_lrstd = HERO__NEW(ar, float, NV);
    s->v_res = HERO__NEW(ar, float, NV * H); s->v_emb = HERO__NEW(ar, float, NV * H);
    s->v_mean = HERO__NEW(ar, float, NV); s->v_rstd = HERO__NEW(ar, float, NV);
    if (!s->v_in || !s->v_ln || !s->v_lmean || !s->v_lrstd || !s->v_res || !s->v_emb || !s->v_mean || !s->v_rstd)
        return HERO_ENOMEM;
    memcpy(s->v_in, s->vfeat, NV * F * sizeof(float));
    if (s->vmask)
        for (v = 0; v < (int)NV; v++) {
            const float *me = m->p.img_mask + (size_t)(s->vmask[v] ? 1 : 0) * F;
            for (i = 0; i < F; i++) s->v_in[(size_t)v * F + i] += me[i];
        }
    hero__layernorm_fwd(s->v_ln, s->v_lmean, s->v_lrstd, s->v_in, m->p.img_ln_w, m->p.img_ln_b, (int)NV, F, 1e-5f);
    hero__linear_fwd(s->v_res, s->v_ln, m->p.img_w, m->p.img_b, (int)NV, F, H);
    for (n = 0; n < s->N; n++)
        for (v = 0; v < s->Lv; v++) {
            float *r = s->v_res + ((size_t)n * s->Lv + v) * H;
            const float *pe = m->p.img_pos + (size_t)s->vpos[v] * H, *ty = m->p.f_type + H;
            for (i = 0; i < H; i++) r[i] += pe[i] + ty[i];
        }
    hero__layernorm_fwd(s->v_emb, s->v_mean, s->v_rstd, s->v_res, m->p.img_eln_w, m->p.img_eln_b, (int)NV, H, 1e-5f);
    return 0;
}
/* frame embedding backward: LayerNorms, img_linear, positions, type row 1, mask_emb row 1 */
static int hero__frame_emb_bwd(hero_model *m, hero__fenc_act *s, const float *demb) {
    const hero_config *c = &m->cfg;
    int H = c->H, F = c->F, n, v, i;
    size_t NV = (size_t)s->N * s->Lv;
    hero_arena *ar = &m->arena;
    float *dres = HERO__NEW(ar, float, NV * H), *dln = HERO__NEW(ar, float, NV * F);
    if (!dres || !dln) return HERO_ENOMEM;
    hero__layernorm_bwd(dres, m->g.img_eln_w, m->g.img_eln_b, demb, s->v_res, s->v_mean, s->v_rstd, m->p.img_eln_w, (int)NV, H);
    for (n = 0; n < s->N; n++)
        for (v = 0; v < s->Lv; v++) {
            const float *d = dres + ((size_t)n * s->Lv + v) * H;
            float *gp = m->g.img_pos + (size_t)s->vpos[v] * H, *gt = m->g.f_type + H;
            for (i = 0; i < H; i++) { gp[i] += d[i]; gt[i] += d[i]; }
        }
    hero__linear_bwd(dln, m->g.img_w, m->g.img_b, dres, s->v_ln, m->p.img_w, (int)NV, F, H);
    if (s->vmask) {
        float *din = HERO__NEW(ar, float, NV * F);
        if (!din) return HERO_ENOMEM;
        hero__layernorm_bwd(din, m->g.img_ln_w, m->g.img_ln_b, dln, s->v_in, s->v_lmean, s->v_lrstd, m->p.img_ln_w, (int)NV, F);
        for (v = 0; v < (int)NV; v++)
            if (s->vmask[v]) /* row 0 is padding_idx: no gradient */
                for (i = 0; i < F; i++) m->g.img_mask[F + i] += din[(size_t)v * F + i];
        hero__touch(m, m->g.img_mask);
    } else {
        hero__layernorm_bwd(NULL, m->g.img_ln_w, m->g.img_ln_b, dln, s->v_in, s->v_lmean, s->v_lrstd, m->p.img_ln_w, (int)NV, F);
    }
    hero__touch(m, m->g.img_eln_w); hero__touch(m, m->g.img_eln_b); hero__touch(m, m->g.img_pos);
    hero__touch(m, m->g.f_type); hero__touch(m, m->g.img_w); hero__touch(m, m->g.img_b);
    hero__touch(m, m->g.img_ln_w); hero__touch(m, m->g.img_ln_b);
    return 0;
}

/* cross-modal encoder: embeddings (+ gather merge) then the f layers. out [N,Lg,H] */
static int hero__fenc_fwd(hero_model *m, hero__fenc_act *s) {
    const hero_config *c = &m->cfg;
    int H = c->H, n, g, rc;
    hero_arena *ar = &m->arena;
    if ((rc = hero__text_emb_fwd(m, s)) != 0) return rc;
    if (s->vfeat) {
        if ((rc = hero__frame_emb_fwd(m, s)) != 0) return rc;
        s->emb = HERO__NEW(ar, float, (size_t)s->N * s->Lg * H);
        if (!s->emb) return HERO_ENOMEM;
        for (n = 0; n < s->N; n++)
            for (g = 0; g < s->Lg; g++) {
                int idx = s->gather[(size_t)n * s->Lg + g];
                const float *src = idx < s->Lv ? s->v_emb + ((size_t)n * s->Lv + idx) * H
                                               : s->t_emb + ((size_t)n * s->Lt + (idx - s->Lv)) * H;
                memcpy(s->emb + ((size_t)n * s->Lg + g) * H, src, (size_t)H * sizeof(float));
            }
    } else {
        s->emb = s->t_emb;
    }
    return hero__encoder_fwd(ar, s->layer, m->p.f_layer, c->f_layers, s->emb, s->mask, s->N, s->Lg, H, c->f_heads,
                             c->f_inter, c->layer_norm_eps, &s->out);
}
/* cross-modal encoder backward from dout [N,Lg,H] */
static int hero__fenc_bwd(hero_model *m, hero__fenc_act *s, const float *dout) {
    const hero_config *c = &m->cfg;
    int H = c->H, n, g, i, rc;
    hero_arena *ar = &m->arena;
    float *demb = HERO__NEW(ar, float, (size_t)s->N * s->Lg * H);
    if (!demb) return HERO_ENOMEM;
    if ((rc = hero__encoder_bwd(m, s->layer, m->p.f_layer, m->g.f_layer, c->f_layers, demb, dout, s->N, s->Lg, H,
                                c->f_inter)) != 0)
        return rc;
    if (s->vfeat) {
        float *dt = HERO__NEW(ar, float, (size_t)s->N * s->Lt * H), *dv = HERO__NEW(ar, float, (size_t)s->N * s->Lv * H);
        if (!dt || !dv) return HERO_ENOMEM;
        for (n = 0; n < s->N; n++)
            for (g = 0; g < s->Lg; g++) {
                int idx = s->gather[(size_t)n * s->Lg + g];
                float *dst = idx < s->Lv ? dv + ((size_t)n * s->Lv + idx) * H : dt + ((size_t)n * s->Lt + (idx - s->Lv)) * H;
                const float *src = demb + ((size_t)n * s->Lg + g) * H;
                for (i = 0; i < H; i++) dst[i] += src[i];
            }
        if ((rc = hero__frame_emb_bwd(m, s, dv)) != 0) return rc;
        return hero__text_emb_bwd(m, s, dt);
    }
    return hero__text_emb_bwd(m, s, demb);
}

/* ======================================================================================
   7. Frame fusion + temporal transformer
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
static int hero__fuse_fwd(hero_model *m, hero__video_act *s, const hero_batch *b, const float *f_out, int Lg) {
    const hero_config *c = &m->cfg;
    int H = c->H, F = c->F, v, r, j, i, row = 0, fr = 0;
    size_t BL = (size_t)b->B * b->L;
    hero_arena *ar = &m->arena;
    s->B = b->B; s->L = b->L;
    s->cv = HERO__NEW(ar, float, BL * F); s->ft_ln = HERO__NEW(ar, float, BL * F);
    s->ft_mean = HERO__NEW(ar, float, BL); s->ft_rstd = HERO__NEW(ar, float, BL);
    s->ft_out = HERO__NEW(ar, float, BL * H); s->transformed = HERO__NEW(ar, float, BL * H);
    if (!s->cv || !s->ft_ln || !s->ft_mean || !s->ft_rstd || !s->ft_out || !s->transformed) return HERO_ENOMEM;
    memcpy(s->cv, b->c_v_feats, BL * F * sizeof(float));
    if (b->c_v_masks) /* MFM: masked frames zeroed, mask_embedding row m added to every frame */
        for (v = 0; v < (int)BL; v++) {
            int mk = b->c_v_masks[v] ? 1 : 0;
            for (i = 0; i < F; i++)
                s->cv[(size_t)v * F + i] = (mk ? 0.0f : s->cv[(size_t)v * F + i]) + m->p.v_mask[(size_t)mk * F + i];
        }
    hero__layernorm_fwd(s->ft_ln, s->ft_mean, s->ft_rstd, s->cv, m->p.ft_ln_w, m->p.ft_ln_b, (int)BL, F, 1e-5f);
    hero__linear_fwd(s->ft_out, s->ft_ln, m->p.ft_w, m->p.ft_b, (int)BL, F, H);
    hero__relu_fwd(s->ft_out, BL * H);
    memcpy(s->transformed, s->ft_out, BL * H * sizeof(float));
    for (v = 0; v < b->B; v++)
        for (r = 0; r < b->num_subs[v]; r++, row++) {
            int nf = b->s2f_nframes[row], sid = b->s2f_sub_idx[row];
            const float *src = f_out + ((size_t)(row - r + sid) * Lg) * H;
            for (j = 0; j < nf; j++) {
                float *dst = s->transformed + ((size_t)v * b->L + b->s2f_frames[fr + j]) * H;
                for (i = 0; i < H; i++) dst[i] += src[(size_t)j * H + i];
            }
            fr += nf;
        }
    return 0;
}
/* fusion backward: dtransformed[B,L,H] -> df_out[S,Lg,H] (+=) and frame_transform / mask grads */
static int hero__fuse_bwd(hero_model *m, hero__video_act *s, const hero_batch *b, const float *dtr, float *df_out, int Lg) {
    const hero_config *c = &m->cfg;
    int H = c->H, F = c->F, v, r, j, i, row = 0, fr = 0;
    size_t BL = (size_t)b->B * b->L;
    hero_arena *ar = &m->arena;
    float *dft = HERO__NEW(ar, float, BL * H), *dln = HERO__NEW(ar, float, BL * F);
    if (!dft || !dln) return HERO_ENOMEM;
    for (v = 0; v < b->B; v++)
        for (r = 0; r < b->num_subs[v]; r++, row++) {
            int nf = b->s2f_nframes[row], sid = b->s2f_sub_idx[row];
            float *dst = df_out + ((size_t)(row - r + sid) * Lg) * H;
            for (j = 0; j < nf; j++) {
                const float *src = dtr + ((size_t)v * b->L + b->s2f_frames[fr + j]) * H;
                for (i = 0; i < H; i++) dst[(size_t)j * H + i] += src[i];
            }
            fr += nf;
        }
    hero__relu_bwd(dft, dtr, s->ft_out, BL * H);
    hero__linear_bwd(dln, m->g.ft_w, m->g.ft_b, dft, s->ft_ln, m->p.ft_w, (int)BL, F, H);
    if (b->c_v_masks) {
        float *dcv = HERO__NEW(ar, float, BL * F);
        if (!dcv) return HERO_ENOMEM;
        hero__layernorm_bwd(dcv, m->g.ft_ln_w, m->g.ft_ln_b, dln, s->cv, s->ft_mean, s->ft_rstd, m->p.ft_ln_w, (int)BL, F);
        for (v = 0; v < (int)BL; v++)
            if (b->c_v_masks[v]) /* row 0 is padding_idx */
                for (i = 0; i < F; i++) m->g.v_mask[F + i] += dcv[(size_t)v * F + i];
        hero__touch(m, m->g.v_mask);
    } else {
        hero__layernorm_bwd(NULL, m->g.ft_ln_w, m->g.ft_ln_b, dln, s->cv, s->ft_mean, s->ft_rstd, m->p.ft_ln_w, (int)BL, F);
    }
    hero__touch(m, m->g.ft_w); hero__touch(m, m->g.ft_b); hero__touch(m, m->g.ft_ln_w); hero__touch(m, m->g.ft_ln_b);
    return 0;
}

/* temporal transformer: out[B,L,H] = layers(LN(c_in + pos[0..L-1])) with the clip mask */
static int hero__cenc_fwd(hero_model *m, hero__video_act *s, const int32_t *mask) {
    const hero_config *c = &m->cfg;
    int H = c->H, v, l, i;
    size_t BL = (size_t)s->B * s->L;
    hero_arena *ar = &m->arena;
    s->c_res = HERO__NEW(ar, float, BL * H); s->c_emb = HERO__NEW(ar, float, BL * H);
    s->c_mean = HERO__NEW(ar, float, BL); s->c_rstd = HERO__NEW(ar, float, BL);
    if (!s->c_res || !s->c_emb || !s->c_mean || !s->c_rstd) return HERO_ENOMEM;
    for (v = 0; v < s->B; v++)
        for (l = 0; l < s->L; l++)
            for (i = 0; i < H; i++) {
                size_t o = ((size_t)v * s->L + l) * H + i;
                s->c_res[o] = s->c_in[o] + m->p.c_pos[(size_t)l * H + i];
            }
    hero__layernorm_fwd(s->c_emb, s->c_mean, s->c_rstd, s->c_res, m->p.c_ln_w, m->p.c_ln_b, (int)BL, H, 1e-5f);
    return hero__encoder_fwd(ar, s->layer, m->p.c_layer, c->c_layers, s->c_emb, mask, s->B, s->L, H, c->c_heads,
                             c->c_inter, c->layer_norm_eps, &s->out);
}
/* temporal transformer backward: dc_in[B,L,H] += ... */
static int hero__cenc_bwd(hero_model *m, hero__video_act *s, const float *dout, float *dc_in) {
    const hero_config *c = &m->cfg;
    int H = c->H, v, l, i, rc;
    size_t BL = (size_t)s->B * s->L;
    float *demb = HERO__NEW(&m->arena, float, BL * H), *dres = HERO__NEW(&m->arena, float, BL * H);
    if (!demb || !dres) return HERO_ENOMEM;
    if ((rc = hero__encoder_bwd(m, s->layer, m->p.c_layer, m->g.c_layer, c->c_layers, demb, dout, s->B, s->L, H,
                                c->c_inter)) != 0)
        return rc;
    hero__layernorm_bwd(dres, m->g.c_ln_w, m->g.c_ln_b, demb, s->c_res, s->c_mean, s->c_rstd, m->p.c_ln_w, (int)BL, H);
    for (v = 0; v < s->B; v++)
        for (l = 0; l < s->L; l++)
            for (i = 0; i < H; i++) {
                size_t o = ((size_t)v * s->L + l) * H + i;
                m->g.c_pos[(size_t)l * H + i] += dres[o];
                dc_in[o] += dres[o];
            }
    hero__touch(m, m->g.c_pos); hero__touch(m, m->g.c_ln_w); hero__touch(m, m->g.c_ln_b);
    return 0;
}

/* ======================================================================================
   8. Heads: MLM (tied decoder), feat_regress (MFM), fom_output (FOM)
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
    s->h = HERO__NEW(ar, float, (size_t)N * Hmid); s->g = HERO__NEW(ar, float, (size_t)N * Hmid);
    s->n = HERO__NEW(ar, float, (size_t)N * Hmid); s->out = HERO__NEW(ar, float, (size_t)N * O);
    s->mean = HERO__NEW(ar, float, N); s->rstd = HERO__NEW(ar, float, N);
    if (!s->h || !s->g || !s->n || !s->out || !s->mean || !s->rstd) return HERO_ENOMEM;
    hero__linear_fwd(s->h, x, w1, b1, N, Hin, Hmid);
    hero__gelu_fwd(s->g, s->h, (size_t)N * Hmid);
    hero__layernorm_fwd(s->n, s->mean, s->rstd, s->g, lw, lb, N, Hmid, 1e-5f);
    hero__linear_fwd(s->out, s->n, w2, b2, N, Hmid, O);
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
    hero__linear_bwd(dn, gw2, gb2, dout, s->n, w2, N, s->Hmid, s->O);
    hero__layernorm_bwd(dg, glw, glb, dn, s->g, s->mean, s->rstd, lw, N, s->Hmid);
    hero__gelu_bwd(dh, dg, s->h, (size_t)N * s->Hmid);
    hero__linear_bwd(dx, gw1, gb1, dh, s->x, w1, N, s->Hin, s->Hmid);
    return 0;
}

/* rows of x[R,H] where sel[r] == want, gathered into out[n,H]; idx[n] = source rows */
static int hero__select_rows(const float *x, const uint8_t *sel, int R, int H, int want, float *out, int *idx) {
    int r, n = 0;
    for (r = 0; r < R; r++)
        if ((sel[r] != 0) == (want != 0)) {
            if (out) memcpy(out + (size_t)n * H, x + (size_t)r * H, (size_t)H * sizeof(float));
            if (idx) idx[n] = r;
            n++;
        }
    return n;
}

/* ======================================================================================
   9. VSM: query encoder, span (st/ed) scores, video-level cosine scores, ranking losses
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
    int H = c->H, n, t, i, rc;
    size_t NT = (size_t)N * T;
    hero_arena *ar = &m->arena;
    memset(&s->f, 0, sizeof(s->f));
    s->N = N; s->T = T; s->mask = mask;
    s->f.N = N; s->f.Lt = T; s->f.Lg = T; s->f.ids = ids; s->f.pos = pos; s->f.mask = mask;
    if ((rc = hero__fenc_fwd(m, &s->f)) != 0) return rc;
    s->in_ln = HERO__NEW(ar, float, NT * H); s->in_out = HERO__NEW(ar, float, NT * H);
    s->in_mean = HERO__NEW(ar, float, NT); s->in_rstd = HERO__NEW(ar, float, NT);
    s->p_res = HERO__NEW(ar, float, NT * H); s->p_out = HERO__NEW(ar, float, NT * H);
    s->p_mean = HERO__NEW(ar, float, NT); s->p_rstd = HERO__NEW(ar, float, NT);
    s->alpha = HERO__NEW(ar, float, NT); s->mq = HERO__NEW(ar, float, (size_t)N * H);
    if (!s->in_ln || !s->in_out || !s->in_mean || !s->in_rstd || !s->p_res || !s->p_out || !s->p_mean || !s->p_rstd ||
        !s->alpha || !s->mq)
        return HERO_ENOMEM;
    hero__layernorm_fwd(s->in_ln, s->in_mean, s->in_rstd, s->f.out, m->p.qin_ln_w, m->p.qin_ln_b, (int)NT, H, 1e-5f);
    hero__linear_fwd(s->in_out, s->in_ln, m->p.qin_w, m->p.qin_b, (int)NT, H, H);
    hero__relu_fwd(s->in_out, NT * H);
    for (n = 0; n < N; n++)
        for (t = 0; t < T; t++)
            for (i = 0; i < H; i++) {
                size_t o = ((size_t)n * T + t) * H + i;
                s->p_res[o] = s->in_out[o] + m->p.q_pos[(size_t)t * H + i];
            }
    hero__layernorm_fwd(s->p_out, s->p_mean, s->p_rstd, s->p_res, m->p.q_pos_ln_w, m->p.q_pos_ln_b, (int)NT, H, 1e-5f);
    if ((rc = hero__attn_fwd(ar, &s->at, &m->p.q_attn, s->p_out, mask, N, T, H, c->q_heads, c->layer_norm_eps)) != 0)
        return rc;
    /* modular attention: alpha = softmax_t(mask_logits(x . w)); mq = sum_t alpha x */
    hero__linear_fwd(s->alpha, s->at.out, m->p.q_mod, NULL, (int)NT, H, 1);
    hero__mask_logits(s->alpha, mask, NT);
    for (n = 0; n < N; n++) {
        hero__softmax_row(s->alpha + (size_t)n * T, T);
        hero__gemm(0, 0, 1, H, T, 1.0f, s->alpha + (size_t)n * T, T, s->at.out + (size_t)n * T * H, H, 0.0f,
                   s->mq + (size_t)n * H, H);
    }
    return 0;
}
/* query encoder backward from dmq[N,H] */
static int hero__query_bwd(hero_model *m, hero__query_act *s, const float *dmq) {
    const hero_config *c = &m->cfg;
    int H = c->H, N = s->N, T = s->T, n, t, i, rc;
    size_t NT = (size_t)N * T;
    hero_arena *ar = &m->arena;
    float *dat = HERO__NEW(ar, float, NT * H), *dal = HERO__NEW(ar, float, NT), *ds = HERO__NEW(ar, float, NT);
    float *dp = HERO__NEW(ar, float, NT * H), *dres = HERO__NEW(ar, float, NT * H), *dln = HERO__NEW(ar, float, NT * H);
    float *dfo = HERO__NEW(ar, float, NT * H), *din = HERO__NEW(ar, float, NT * H);
    if (!dat || !dal || !ds || !dp || !dres || !dln || !dfo || !din) return HERO_ENOMEM;
    for (n = 0; n < N; n++) {
        const float *d = dmq + (size_t)n * H;
        for (t = 0; t < T; t++) {
            const float *x = s->at.out + ((size_t)n * T + t) * H;
            float *dx = dat + ((size_t)n * T + t) * H, a = s->alpha[(size_t)n * T + t], sum = 0;
            for (i = 0; i < H; i++) { sum += d[i] * x[i]; dx[i] += a * d[i]; }
            dal[(size_t)n * T + t] = sum;
        }
        hero__softmax_row_bwd(ds + (size_t)n * T, dal + (size_t)n * T, s->alpha + (size_t)n * T, T);
    }
    for (i = 0; i < (int)NT; i++) ds[i] *= (float)s->mask[i];
    hero__linear_bwd(dat, m->g.q_mod, NULL, ds, s->at.out, m->p.q_mod, (int)NT, H, 1);
    if ((rc = hero__attn_bwd(ar, &s->at, &m->p.q_attn, &m->g.q_attn, dp, dat, H)) != 0) return rc;
    hero__layernorm_bwd(dres, m->g.q_pos_ln_w, m->g.q_pos_ln_b, dp, s->p_res, s->p_mean, s->p_rstd, m->p.q_pos_ln_w, (int)NT, H);
    for (n = 0; n < N; n++)
        for (t = 0; t < T; t++)
            for (i = 0; i < H; i++) m->g.q_pos[(size_t)t * H + i] += dres[((size_t)n * T + t) * H + i];
    hero__relu_bwd(din, dres, s->in_out, NT * H);
    hero__linear_bwd(dln, m->g.qin_w, m->g.qin_b, din, s->in_ln, m->p.qin_w, (int)NT, H, H);
    hero__layernorm_bwd(dfo, m->g.qin_ln_w, m->g.qin_ln_b, dln, s->f.out, s->in_mean, s->in_rstd, m->p.qin_ln_w, (int)NT, H);
    hero__touch(m, m->g.q_mod); hero__touch_attn(m, &m->g.q_attn); hero__touch(m, m->g.q_pos);
    hero__touch(m, m->g.q_pos_ln_w); hero__touch(m, m->g.q_pos_ln_b); hero__touch(m, m->g.qin_w);
    hero__touch(m, m->g.qin_b); hero__touch(m, m->g.qin_ln_w); hero__touch(m, m->g.qin_ln_b);
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
    int H = c->H, q, v, l, BL = B * L;
    hero_arena *ar = &m->arena;
    float *cs;
    s->Nq = Nq; s->B = B; s->L = L; s->mq = mq; s->frames = frames; s->mask = mask;
    s->query = HERO__NEW(ar, float, (size_t)Nq * H); s->sim = HERO__NEW(ar, float, (size_t)Nq * BL);
    s->st = HERO__NEW(ar, float, (size_t)Nq * BL); s->ed = HERO__NEW(ar, float, (size_t)Nq * BL);
    s->mqn = HERO__NEW(ar, float, (size_t)Nq * H); s->mq_norm = HERO__NEW(ar, float, Nq);
    s->frn = HERO__NEW(ar, float, (size_t)BL * H); s->fr_norm = HERO__NEW(ar, float, BL);
    s->q2v = HERO__NEW(ar, float, (size_t)Nq * B); s->argmax = HERO__NEW(ar, int, (size_t)Nq * B);
    cs = HERO__NEW(ar, float, (size_t)Nq * BL);
    if (!s->query || !s->sim || !s->st || !s->ed || !s->mqn || !s->mq_norm || !s->frn || !s->fr_norm || !s->q2v ||
        !s->argmax || !cs)
        return HERO_ENOMEM;
    /* span logits: conv1d over each (query, video) similarity row, then mask_logits */
    hero__linear_fwd(s->query, mq, m->p.vq_w, m->p.vq_b, Nq, H, H);
    hero__gemm(0, 1, Nq, BL, H, 1.0f, s->query, H, frames, H, 0.0f, s->sim, BL);
    hero__conv1d_fwd(s->st, s->sim, m->p.st_w, Nq * B, L, c->conv_k);
    hero__conv1d_fwd(s->ed, s->sim, m->p.ed_w, Nq * B, L, c->conv_k);
    for (q = 0; q < Nq; q++) {
        hero__mask_logits(s->st + (size_t)q * BL, mask, (size_t)BL);
        hero__mask_logits(s->ed + (size_t)q * BL, mask, (size_t)BL);
    }
    /* video-level: cosine, mask_logits, max over frames */
    hero__l2norm_fwd(s->mqn, s->mq_norm, mq, Nq, H, 1e-5f);
    hero__l2norm_fwd(s->frn, s->fr_norm, frames, BL, H, 1e-5f);
    hero__gemm(0, 1, Nq, BL, H, 1.0f, s->mqn, H, s->frn, H, 0.0f, cs, BL);
    for (q = 0; q < Nq; q++) {
        hero__mask_logits(cs + (size_t)q * BL, mask, (size_t)BL);
        for (v = 0; v < B; v++) {
            const float *row = cs + (size_t)q * BL + (size_t)v * L;
            int best = 0;
            for (l = 1; l < L; l++) if (row[l] > row[best]) best = l;
            s->q2v[(size_t)q * B + v] = row[best];
            s->argmax[(size_t)q * B + v] = best;
        }
    }
    return 0;
}
/* VSM scores backward: dst/ded [Nq,B,L], dq2v [Nq,B] (any NULL) -> dmq[Nq,H] +=, dframes[B*L,H] += */
static int hero__vsm_bwd(hero_model *m, hero__vsm_act *s, const float *dst, const float *ded, const float *dq2v, float *dmq,
                         float *dframes) {
    const hero_config *c = &m->cfg;
    int H = c->H, Nq = s->Nq, B = s->B, L = s->L, BL = B * L, q, v, i;
    hero_arena *ar = &m->arena;
    if (dst || ded) {
        float *dm = HERO__NEW(ar, float, (size_t)Nq * BL), *dsim = HERO__NEW(ar, float, (size_t)Nq * BL);
        float *dquery = HERO__NEW(ar, float, (size_t)Nq * H);
        if (!dm || !dsim || !dquery) return HERO_ENOMEM;
        if (dst) {
            for (i = 0; i < Nq * BL; i++) dm[i] = dst[i] * (float)s->mask[i % BL];
            hero__conv1d_bwd(dsim, m->g.st_w, dm, s->sim, m->p.st_w, Nq * B, L, c->conv_k);
            hero__touch(m, m->g.st_w);
        }
        if (ded) {
            for (i = 0; i < Nq * BL; i++) dm[i] = ded[i] * (float)s->mask[i % BL];
            hero__conv1d_bwd(dsim, m->g.ed_w, dm, s->sim, m->p.ed_w, Nq * B, L, c->conv_k);
            hero__touch(m, m->g.ed_w);
        }
        hero__gemm(0, 0, Nq, H, BL, 1.0f, dsim, BL, s->frames, H, 1.0f, dquery, H);
        hero__gemm(1, 0, BL, H, Nq, 1.0f, dsim, BL, s->query, H, 1.0f, dframes, H);
        hero__linear_bwd(dmq, m->g.vq_w, m->g.vq_b, dquery, s->mq, m->p.vq_w, Nq, H, H);
        hero__touch(m, m->g.vq_w); hero__touch(m, m->g.vq_b);
    }
    if (dq2v) {
        float *dcs = HERO__NEW(ar, float, (size_t)Nq * BL), *dmqn = HERO__NEW(ar, float, (size_t)Nq * H);
        float *dfrn = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dcs || !dmqn || !dfrn) return HERO_ENOMEM;
        for (q = 0; q < Nq; q++)
            for (v = 0; v < B; v++) {
                int l = s->argmax[(size_t)q * B + v];
                dcs[(size_t)q * BL + (size_t)v * L + l] = dq2v[(size_t)q * B + v] * (float)s->mask[v * L + l];
            }
        hero__gemm(0, 0, Nq, H, BL, 1.0f, dcs, BL, s->frn, H, 0.0f, dmqn, H);
        hero__gemm(1, 0, BL, H, Nq, 1.0f, dcs, BL, s->mqn, H, 0.0f, dfrn, H);
        hero__l2norm_bwd(dmq, dmqn, s->mqn, s->mq_norm, Nq, H, 1e-5f);
        hero__l2norm_bwd(dframes, dfrn, s->frn, s->fr_norm, BL, H, 1e-5f);
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
   10. The model: one task per call, forward then (optionally) backward
   ====================================================================================== */

static int hero__check_batch(const hero_model *m, const hero_batch *b, hero_error *err) {
    const hero_config *c = &m->cfg;
    int i;
    if ((int)b->task < 0 || b->task >= HERO_TASK_COUNT) return hero__fail(err, HERO_EINVAL, "batch: unknown task %d", (int)b->task);
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
    if (b->task == HERO_TASK_MLM) {
        int n = 0;
        for (i = 0; i < b->S * b->Lg; i++) n += b->txt_mask_tgt[i] != 0;
        if (n != b->n_mlm) return hero__fail(err, HERO_ESHAPE, "batch: %d masked positions but %d labels", n, b->n_mlm);
        for (i = 0; i < b->n_mlm; i++)
            if (b->txt_labels[i] < 0 || b->txt_labels[i] >= c->V) return hero__fail(err, HERO_EINVAL, "batch: MLM label %d out of range", b->txt_labels[i]);
        return 0;
    }
    if (b->B <= 0 || b->L <= 0 || b->L > c->c_max_pos)
        return hero__fail(err, HERO_ESHAPE, "batch: %d videos of %d frames (temporal position table %d)", b->B, b->L, c->c_max_pos);
    {
        int row = 0, fr = 0, v, r, j;
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
    if (b->task == HERO_TASK_FOM)
        for (i = 0; i < b->B * b->L; i++) {
            if (b->shuffled_orders[i] < 0 || b->shuffled_orders[i] >= b->L) return hero__fail(err, HERO_EINVAL, "batch: FOM order %d out of range", b->shuffled_orders[i]);
            if (b->fom_targets[i] < -1 || b->fom_targets[i] >= c->fom_classes) return hero__fail(err, HERO_EINVAL, "batch: FOM target %d out of range", b->fom_targets[i]);
        }
    if (b->task == HERO_TASK_VSM) {
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
    }
    return 0;
}

/* cross-entropy over rows of logits [n, stride] using the first `cols` columns; ignore target -1.
   loss_vec[n] (0 for ignored rows), mean over valid rows returned; dlogits += d(mean)/dlogits * scale */
static float hero__xent_rows(hero_arena *ar, const float *logits, int n, int cols, int stride, const int32_t *targets,
                             float *loss_vec, float *dlogits, float scale) {
    int r, valid = 0;
    double sum = 0;
    float *prob = HERO__NEW(ar, float, cols);
    if (!prob) return NAN;
    for (r = 0; r < n; r++) if (targets[r] >= 0) valid++;
    for (r = 0; r < n; r++) {
        float l;
        if (targets[r] < 0) { if (loss_vec) loss_vec[r] = 0; continue; }
        l = hero__xent_fwd(prob, logits + (size_t)r * stride, cols, targets[r]);
        if (loss_vec) loss_vec[r] = l;
        sum += l;
        if (dlogits) hero__xent_bwd(dlogits + (size_t)r * stride, prob, cols, targets[r], scale / (float)valid);
    }
    return valid ? (float)(sum / valid) : NAN;
}

typedef struct hero__run {
    hero__fenc_act f;
    hero__video_act vid;
    hero__head_act head;
    hero__query_act q;
    hero__vsm_act vsm;
} hero__run;

static int hero__f_from_batch(hero_model *m, hero__fenc_act *f, const hero_batch *b) {
    memset(f, 0, sizeof(*f));
    f->N = b->S; f->Lt = b->Lt; f->Lv = b->Lv; f->Lg = b->Lg;
    f->ids = b->txt_ids; f->pos = b->txt_pos; f->vpos = b->f_v_pos; f->gather = b->f_gather; f->mask = b->f_attn_mask;
    f->vfeat = b->f_v_feats; f->vmask = b->f_v_masks;
    return hero__fenc_fwd(m, f);
}

/* MLM: cross-entropy at the masked text positions; head on masked rows only */
static int hero__task_mlm(hero_model *m, hero__run *R, const hero_batch *b, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    hero_arena *ar = &m->arena;
    int H = c->H, n = b->n_mlm, rc, *idx, i, j;
    float *x, *dscores = NULL, *lv, *cut;
    if ((rc = hero__f_from_batch(m, &R->f, b)) != 0) return rc;
    res->f_seq = R->f.out;
    x = HERO__NEW(ar, float, (size_t)n * H); idx = HERO__NEW(ar, int, n); lv = HERO__NEW(ar, float, n);
    cut = HERO__NEW(ar, float, (size_t)n * c->V);
    if (!x || !idx || !lv || !cut) return HERO_ENOMEM;
    hero__select_rows(R->f.out, b->txt_mask_tgt, b->S * b->Lg, H, 1, x, idx);
    if ((rc = hero__head_fwd(ar, &R->head, x, n, H, H, c->Vp, m->p.lm_w, m->p.lm_b, m->p.lm_ln_w, m->p.lm_ln_b, m->p.f_word,
                             m->p.lm_bias)) != 0)
        return rc;
    if (backward && !(dscores = HERO__NEW(ar, float, (size_t)n * c->Vp))) return HERO_ENOMEM;
    res->loss = hero__xent_rows(ar, R->head.out, n, c->V, c->Vp, b->txt_labels, lv, dscores, 1.0f);
    for (i = 0; i < n; i++) for (j = 0; j < c->V; j++) cut[(size_t)i * c->V + j] = R->head.out[(size_t)i * c->Vp + j];
    res->loss_vec = lv; res->n_loss_vec = n; res->loss_vec_cols = 1;
    res->scores = cut; res->n_rows = n; res->n_cols = c->V;
    if (backward) {
        float *dx = HERO__NEW(ar, float, (size_t)n * H), *df = HERO__NEW(ar, float, (size_t)b->S * b->Lg * H);
        if (!dx || !df) return HERO_ENOMEM;
        /* tied decoder: the word table gets the decoder gradient (first V rows; padding row included) */
        if ((rc = hero__head_bwd(ar, &R->head, dx, dscores, m->p.lm_w, m->p.lm_ln_w, m->p.f_word, m->g.lm_w, m->g.lm_b,
                                 m->g.lm_ln_w, m->g.lm_ln_b, m->g.f_word, m->g.lm_bias)) != 0)
            return rc;
        hero__touch(m, m->g.lm_w); hero__touch(m, m->g.lm_b); hero__touch(m, m->g.lm_ln_w); hero__touch(m, m->g.lm_ln_b);
        hero__touch(m, m->g.lm_bias); hero__touch(m, m->g.f_word);
        for (i = 0; i < n; i++) memcpy(df + (size_t)idx[i] * H, dx + (size_t)i * H, (size_t)H * sizeof(float));
        return hero__fenc_bwd(m, &R->f, df);
    }
    return 0;
}

/* the hierarchy up to the temporal input: cross-modal pass + fusion */
static int hero__video_fwd(hero_model *m, hero__run *R, const hero_batch *b, hero_result *res) {
    int rc;
    if ((rc = hero__f_from_batch(m, &R->f, b)) != 0) return rc;
    res->f_seq = R->f.out;
    if ((rc = hero__fuse_fwd(m, &R->vid, b, R->f.out, b->Lg)) != 0) return rc;
    res->transformed = R->vid.transformed;
    return 0;
}
/* backward of the hierarchy from dtransformed [B,L,H] */
static int hero__video_bwd(hero_model *m, hero__run *R, const hero_batch *b, const float *dtr) {
    float *df = HERO__NEW(&m->arena, float, (size_t)b->S * b->Lg * m->cfg.H);
    int rc;
    if (!df) return HERO_ENOMEM;
    if ((rc = hero__fuse_bwd(m, &R->vid, b, dtr, df, b->Lg)) != 0) return rc;
    return hero__fenc_bwd(m, &R->f, df);
}

/* full video representation c_seq [B,L,H] */
static int hero__repr_fwd(hero_model *m, hero__run *R, const hero_batch *b, hero_result *res) {
    int rc;
    if ((rc = hero__video_fwd(m, R, b, res)) != 0) return rc;
    R->vid.c_in = R->vid.transformed;
    if ((rc = hero__cenc_fwd(m, &R->vid, b->c_attn_mask)) != 0) return rc;
    res->c_seq = R->vid.out;
    return 0;
}
static int hero__repr_bwd(hero_model *m, hero__run *R, const hero_batch *b, const float *dc_seq) {
    float *dtr = HERO__NEW(&m->arena, float, (size_t)b->B * b->L * m->cfg.H);
    int rc;
    if (!dtr) return HERO_ENOMEM;
    if ((rc = hero__cenc_bwd(m, &R->vid, dc_seq, dtr)) != 0) return rc;
    return hero__video_bwd(m, R, b, dtr);
}

static int hero__task_repr(hero_model *m, hero__run *R, const hero_batch *b, int backward, const float *probe,
                           hero_result *res) {
    const hero_config *c = &m->cfg;
    int H = c->H, rc, n;
    size_t i, BLH = (size_t)b->B * b->L * H;
    float *pooled;
    if ((rc = hero__repr_fwd(m, R, b, res)) != 0) return rc;
    /* pooler (output only: pre-training losses never use it) */
    pooled = HERO__NEW(&m->arena, float, (size_t)b->S * H);
    if (!pooled) return HERO_ENOMEM;
    for (n = 0; n < b->S; n++)
        hero__linear_fwd(pooled + (size_t)n * H, R->f.out + (size_t)n * b->Lg * H, m->p.f_pool_w, m->p.f_pool_b, 1, H, H);
    hero__tanh_fwd(pooled, (size_t)b->S * H);
    res->f_pooled = pooled;
    res->loss = 0;
    if (probe) {
        double s = 0;
        for (i = 0; i < BLH; i++) s += (double)res->c_seq[i] * probe[i];
        res->loss = (float)s;
        if (backward) return hero__repr_bwd(m, R, b, probe);
    }
    return 0;
}

/* MFM: masked frames regressed (MFFR) or contrasted (NCE) from the temporal outputs */
static int hero__task_mfm(hero_model *m, hero__run *R, const hero_batch *b, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    hero_arena *ar = &m->arena;
    int H = c->H, F = c->F, BL = b->B * b->L, nm, nn, nt, rc, i, j, nce = b->task == HERO_TASK_MFM_NCE;
    int *idx;
    float *x, *dout = NULL, *lv;
    if (!b->c_v_masks || !b->f_v_masks) return HERO_EINVAL;
    if ((rc = hero__repr_fwd(m, R, b, res)) != 0) return rc;
    nm = hero__select_rows(R->vid.out, b->c_v_masks, BL, H, 1, NULL, NULL);
    if (nm != b->n_masked) return HERO_ESHAPE;
    nn = nce ? BL - nm : 0;
    nt = nm + nn;
    x = HERO__NEW(ar, float, (size_t)nt * H); idx = HERO__NEW(ar, int, nt);
    if (!x || !idx) return HERO_ENOMEM;
    hero__select_rows(R->vid.out, b->c_v_masks, BL, H, 1, x, idx);
    if (nce) hero__select_rows(R->vid.out, b->c_v_masks, BL, H, 0, x + (size_t)nm * H, idx + nm);
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
        int32_t *tg = HERO__NEW(ar, int32_t, nm);
        lv = HERO__NEW(ar, float, nm);
        if (!logits || !tg || !lv) return HERO_ENOMEM;
        hero__gemm(0, 1, nm, nm, F, 1.0f, R->head.out, F, b->feat_targets, F, 0.0f, logits, nc);
        if (nn) hero__gemm(0, 1, nm, nn, F, 1.0f, R->head.out, F, R->head.out + (size_t)nm * F, F, 0.0f, logits + nm, nc);
        for (i = 0; i < nm * nc; i++) logits[i] /= c->nce_temp;
        for (i = 0; i < nm; i++) tg[i] = i;
        if (backward && !(dl = HERO__NEW(ar, float, (size_t)nm * nc))) return HERO_ENOMEM;
        res->loss = hero__xent_rows(ar, logits, nm, nc, nc, tg, lv, dl, 1.0f);
        res->loss_vec_cols = 1;
        if (backward) {
            for (i = 0; i < nm * nc; i++) dl[i] /= c->nce_temp;
            hero__gemm(0, 0, nm, F, nm, 1.0f, dl, nc, b->feat_targets, F, 1.0f, dout, F);
            if (nn) {
                hero__gemm(0, 0, nm, F, nn, 1.0f, dl + nm, nc, R->head.out + (size_t)nm * F, F, 1.0f, dout, F);
                hero__gemm(1, 0, nn, F, nm, 1.0f, dl + nm, nc, R->head.out, F, 1.0f, dout + (size_t)nm * F, F);
            }
        }
    } else {
        /* loss_vec [nm, F] squared errors; loss = mean_i sqrt(sum_j) */
        double sum = 0;
        lv = HERO__NEW(ar, float, (size_t)nm * F);
        if (!lv) return HERO_ENOMEM;
        for (i = 0; i < nm; i++) {
            double s = 0;
            float r;
            for (j = 0; j < F; j++) {
                float d = R->head.out[(size_t)i * F + j] - b->feat_targets[(size_t)i * F + j];
                lv[(size_t)i * F + j] = d * d;
                s += (double)d * d;
            }
            r = (float)sqrt(s);
            sum += r;
            if (backward && r > 0)
                for (j = 0; j < F; j++)
                    dout[(size_t)i * F + j] = (R->head.out[(size_t)i * F + j] - b->feat_targets[(size_t)i * F + j]) / (r * (float)nm);
        }
        res->loss = (float)(sum / nm);
        res->loss_vec_cols = F;
    }
    res->loss_vec = lv; res->n_loss_vec = nm;
    if (backward) {
        float *dx = HERO__NEW(ar, float, (size_t)nt * H), *dc = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dx || !dc) return HERO_ENOMEM;
        if ((rc = hero__head_bwd(ar, &R->head, dx, dout, m->p.fr0_w, m->p.fr_ln_w, m->p.fr3_w, m->g.fr0_w, m->g.fr0_b,
                                 m->g.fr_ln_w, m->g.fr_ln_b, m->g.fr3_w, m->g.fr3_b)) != 0)
            return rc;
        hero__touch(m, m->g.fr0_w); hero__touch(m, m->g.fr0_b); hero__touch(m, m->g.fr_ln_w);
        hero__touch(m, m->g.fr_ln_b); hero__touch(m, m->g.fr3_w); hero__touch(m, m->g.fr3_b);
        for (i = 0; i < nt; i++) {
            float *d = dc + (size_t)idx[i] * H;
            for (j = 0; j < H; j++) d[j] += dx[(size_t)i * H + j];
        }
        return hero__repr_bwd(m, R, b, dc);
    }
    return 0;
}

/* FOM: shuffled fused frames through the temporal transformer; classify original positions */
static int hero__task_fom(hero_model *m, hero__run *R, const hero_batch *b, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    hero_arena *ar = &m->arena;
    int H = c->H, BL = b->B * b->L, K = c->fom_classes, rc, v, l;
    float *dl = NULL;
    if ((rc = hero__video_fwd(m, R, b, res)) != 0) return rc;
    R->vid.c_in = HERO__NEW(ar, float, (size_t)BL * H);
    if (!R->vid.c_in) return HERO_ENOMEM;
    for (v = 0; v < b->B; v++)
        for (l = 0; l < b->L; l++) /* frame at position l moves to position order[l] */
            memcpy(R->vid.c_in + ((size_t)v * b->L + b->shuffled_orders[v * b->L + l]) * H,
                   R->vid.transformed + ((size_t)v * b->L + l) * H, (size_t)H * sizeof(float));
    if ((rc = hero__cenc_fwd(m, &R->vid, b->c_attn_mask)) != 0) return rc;
    res->c_seq = R->vid.out;
    if ((rc = hero__head_fwd(ar, &R->head, R->vid.out, BL, H, 2 * H, K, m->p.fom1_w, m->p.fom1_b, m->p.fom_ln_w,
                             m->p.fom_ln_b, m->p.fom2_w, m->p.fom2_b)) != 0)
        return rc;
    if (backward && !(dl = HERO__NEW(ar, float, (size_t)BL * K))) return HERO_ENOMEM;
    res->loss = hero__xent_rows(ar, R->head.out, BL, K, K, b->fom_targets, NULL, dl, 1.0f);
    res->scores = R->head.out; res->n_rows = BL; res->n_cols = K;
    if (backward) {
        float *dc = HERO__NEW(ar, float, (size_t)BL * H), *dcin = HERO__NEW(ar, float, (size_t)BL * H);
        float *dtr = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dc || !dcin || !dtr) return HERO_ENOMEM;
        if ((rc = hero__head_bwd(ar, &R->head, dc, dl, m->p.fom1_w, m->p.fom_ln_w, m->p.fom2_w, m->g.fom1_w, m->g.fom1_b,
                                 m->g.fom_ln_w, m->g.fom_ln_b, m->g.fom2_w, m->g.fom2_b)) != 0)
            return rc;
        hero__touch(m, m->g.fom1_w); hero__touch(m, m->g.fom1_b); hero__touch(m, m->g.fom_ln_w);
        hero__touch(m, m->g.fom_ln_b); hero__touch(m, m->g.fom2_w); hero__touch(m, m->g.fom2_b);
        if ((rc = hero__cenc_bwd(m, &R->vid, dc, dcin)) != 0) return rc;
        for (v = 0; v < b->B; v++)
            for (l = 0; l < b->L; l++)
                memcpy(dtr + ((size_t)v * b->L + l) * H, dcin + ((size_t)v * b->L + b->shuffled_orders[v * b->L + l]) * H,
                       (size_t)H * sizeof(float));
        return hero__video_bwd(m, R, b, dtr);
    }
    return 0;
}

/* VSM: span cross-entropy on each query's own video + video-level ranking losses */
static int hero__task_vsm(hero_model *m, hero__run *R, const hero_batch *b, int backward, hero_result *res) {
    const hero_config *c = &m->cfg;
    hero_arena *ar = &m->arena;
    int H = c->H, Nq = b->Nq, B = b->B, L = b->L, BL = B * L, rc, q;
    float *dst = NULL, *ded = NULL, *dq2v = NULL, *mat_ctx, *mat_q, lst = 0, led = 0;
    float *sel_st, *sel_ed, *dsel_st = NULL, *dsel_ed = NULL;
    int32_t *tst, *ted;
    if ((rc = hero__repr_fwd(m, R, b, res)) != 0) return rc;
    if ((rc = hero__query_fwd(m, &R->q, b->q_ids, b->q_pos, b->q_mask, Nq, b->Lq)) != 0) return rc;
    res->mod_query = R->q.mq;
    if ((rc = hero__vsm_fwd(m, &R->vsm, R->q.mq, Nq, R->vid.out, b->c_attn_mask, B, L)) != 0) return rc;
    res->st_prob = R->vsm.st; res->ed_prob = R->vsm.ed; res->q2video = R->vsm.q2v;
    sel_st = HERO__NEW(ar, float, (size_t)Nq * L); sel_ed = HERO__NEW(ar, float, (size_t)Nq * L);
    tst = HERO__NEW(ar, int32_t, Nq); ted = HERO__NEW(ar, int32_t, Nq);
    mat_ctx = HERO__NEW(ar, float, (size_t)Nq * (B > 1 ? B - 1 : 1));
    mat_q = HERO__NEW(ar, float, (size_t)Nq * (Nq > 1 ? Nq : 1));
    if (!sel_st || !sel_ed || !tst || !ted || !mat_ctx || !mat_q) return HERO_ENOMEM;
    if (backward) {
        dsel_st = HERO__NEW(ar, float, (size_t)Nq * L); dsel_ed = HERO__NEW(ar, float, (size_t)Nq * L);
        dst = HERO__NEW(ar, float, (size_t)Nq * BL); ded = HERO__NEW(ar, float, (size_t)Nq * BL);
        dq2v = HERO__NEW(ar, float, (size_t)Nq * B);
        if (!dsel_st || !dsel_ed || !dst || !ded || !dq2v) return HERO_ENOMEM;
    }
    for (q = 0; q < Nq; q++) {
        int v = b->q_vidx[q];
        memcpy(sel_st + (size_t)q * L, R->vsm.st + (size_t)q * BL + (size_t)v * L, (size_t)L * sizeof(float));
        memcpy(sel_ed + (size_t)q * L, R->vsm.ed + (size_t)q * BL + (size_t)v * L, (size_t)L * sizeof(float));
        tst[q] = b->vsm_targets[2 * q];
        ted[q] = b->vsm_targets[2 * q + 1];
    }
    if (c->lw_st_ed != 0.0f) {
        lst = hero__xent_rows(ar, sel_st, Nq, L, L, tst, NULL, dsel_st, c->lw_st_ed);
        led = hero__xent_rows(ar, sel_ed, Nq, L, L, ted, NULL, dsel_ed, c->lw_st_ed);
    }
    res->loss_st_ed = c->lw_st_ed * (lst + led);
    if ((rc = hero__rank_loss(m, R->vsm.q2v, Nq, B, mat_ctx, mat_q, &res->loss_neg_ctx, &res->loss_neg_q, dq2v)) != 0) return rc;
    res->neg_ctx_mat = mat_ctx; res->neg_ctx_cols = B - 1;
    res->neg_q_mat = mat_q; res->neg_q_cols = Nq - Nq / B;
    res->loss = res->loss_st_ed + res->loss_neg_ctx + res->loss_neg_q;
    if (backward) {
        float *dmq = HERO__NEW(ar, float, (size_t)Nq * H), *dfr = HERO__NEW(ar, float, (size_t)BL * H);
        if (!dmq || !dfr) return HERO_ENOMEM;
        for (q = 0; q < Nq; q++) {
            int v = b->q_vidx[q];
            memcpy(dst + (size_t)q * BL + (size_t)v * L, dsel_st + (size_t)q * L, (size_t)L * sizeof(float));
            memcpy(ded + (size_t)q * BL + (size_t)v * L, dsel_ed + (size_t)q * L, (size_t)L * sizeof(float));
        }
        if ((rc = hero__vsm_bwd(m, &R->vsm, c->lw_st_ed != 0.0f ? dst : NULL, c->lw_st_ed != 0.0f ? ded : NULL,
                                B > 1 ? dq2v : NULL, dmq, dfr)) != 0)
            return rc;
        if ((rc = hero__query_bwd(m, &R->q, dmq)) != 0) return rc;
        return hero__repr_bwd(m, R, b, dfr);
    }
    return 0;
}

HERODEF int hero_forward_backward(hero_model *m, const hero_batch *b, int backward, const float *repr_grad,
                                  hero_result *res, hero_error *err) {
    hero__run *R;
    int rc;
    if ((rc = hero__check_batch(m, b, err)) != 0) return rc;
    hero__arena_reset(&m->arena);
    memset(res, 0, sizeof(*res));
    R = HERO__NEW(&m->arena, hero__run, 1);
    if (!R) return hero__fail(err, HERO_ENOMEM, "forward: out of memory");
    switch (b->task) {
    case HERO_TASK_REPR: rc = hero__task_repr(m, R, b, backward, repr_grad, res); break;
    case HERO_TASK_MLM: rc = hero__task_mlm(m, R, b, backward, res); break;
    case HERO_TASK_MFM_NCE:
    case HERO_TASK_MFFR: rc = hero__task_mfm(m, R, b, backward, res); break;
    case HERO_TASK_FOM: rc = hero__task_fom(m, R, b, backward, res); break;
    case HERO_TASK_VSM: rc = hero__task_vsm(m, R, b, backward, res); break;
    default: rc = HERO_EINVAL;
    }
    if (rc == HERO_ENOMEM) return hero__fail(err, rc, "forward/backward: out of memory (arena %zu bytes)", m->arena.total);
    if (rc == HERO_ESHAPE || rc == HERO_EINVAL)
        return hero__fail(err, rc, "forward/backward: batch inconsistent with task %d (masks / targets)", (int)b->task);
    return rc;
}

/* ======================================================================================
   11. Retrieval inference (the official VCMR evaluation's scores)
   ====================================================================================== */

HERODEF int hero_encode_queries(hero_model *m, const int32_t *ids, const int32_t *mask, int Nq, int Lq, float *mq,
                                hero_error *err) {
    hero__query_act *q;
    int32_t *pos;
    int i, rc;
    if (Nq <= 0 || Lq <= 0 || Lq > m->cfg.f_max_pos || Lq > m->cfg.q_max_pos)
        return hero__fail(err, HERO_EINVAL, "encode_queries: %d queries of length %d (max %d)", Nq, Lq, m->cfg.q_max_pos);
    for (i = 0; i < Nq * Lq; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.Vp) return hero__fail(err, HERO_EINVAL, "encode_queries: token id %d out of range", ids[i]);
    hero__arena_reset(&m->arena);
    q = HERO__NEW(&m->arena, hero__query_act, 1);
    pos = HERO__NEW(&m->arena, int32_t, Lq);
    if (!q || !pos) return hero__fail(err, HERO_ENOMEM, "encode_queries: out of memory");
    for (i = 0; i < Lq; i++) pos[i] = i;
    if ((rc = hero__query_fwd(m, q, ids, pos, mask, Nq, Lq)) != 0) return hero__fail(err, rc, "encode_queries: out of memory");
    memcpy(mq, q->mq, (size_t)Nq * m->cfg.H * sizeof(float));
    return 0;
}

HERODEF int hero_vcmr_scores(hero_model *m, const float *mq, int Nq, const float *frames, const int32_t *mask, int B, int L,
                             float *q2video, float *st, float *ed, hero_error *err) {
    hero__vsm_act *s;
    int rc;
    if (Nq <= 0 || B <= 0 || L <= 0) return hero__fail(err, HERO_EINVAL, "vcmr_scores: %d queries, %d videos of %d frames", Nq, B, L);
    hero__arena_reset(&m->arena);
    s = HERO__NEW(&m->arena, hero__vsm_act, 1);
    if (!s) return hero__fail(err, HERO_ENOMEM, "vcmr_scores: out of memory");
    if ((rc = hero__vsm_fwd(m, s, mq, Nq, frames, mask, B, L)) != 0) return hero__fail(err, rc, "vcmr_scores: out of memory");
    if (q2video) memcpy(q2video, s->q2v, (size_t)Nq * B * sizeof(float));
    if (st) memcpy(st, s->st, (size_t)Nq * B * L * sizeof(float));
    if (ed) memcpy(ed, s->ed, (size_t)Nq * B * L * sizeof(float));
    return 0;
}

/* ======================================================================================
   Loading: the official model-config JSON, then a checkpoint's tensors by official name
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
    float eps = 0;
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
    if (hero_json_get(f, "layer_norm_eps") && (rc = hero__json_float(f, "layer_norm_eps", &eps, path, err)) == 0 && eps > 0)
        c->layer_norm_eps = eps;
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
            else { hero_json_free(&root); return hero__fail(err, HERO_EINVAL, "%s: ranking_loss_type \"%s\" (hinge or lse)", path, r->string); }
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
    return hero_tensor_read_f32(t, p->data, (int64_t)p->numel, err);
}

HERODEF int hero_model_load_state(hero_model *m, const hero_tensorfile *tf, hero_load_report *report, hero_error *err) {
    hero_load_report local;
    int i, rc;
    const hero_tensor_info *tied;
    if (!report) report = &local;
    memset(report, 0, sizeof(*report));
    for (i = 0; i < m->n_params; i++) {
        const hero_tensor_info *t = hero_tensorfile_find(tf, m->table[i].name);
        if (!t) { hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, m->table[i].name); continue; }
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
        if (!tie || !strstr(tie, hero__tied_key) || !hero_tensorfile_find(tf, "v_encoder.f_encoder.embeddings.word_embeddings.weight"))
            hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, hero__tied_key);
    }
    if (!hero_tensorfile_find(tf, "v_encoder.pad")) hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, "v_encoder.pad");
    if (!hero_tensorfile_find(tf, "v_encoder.f_encoder.pad")) hero__report_add(report->missing, sizeof(report->missing), &report->n_missing, "v_encoder.f_encoder.pad");
    for (i = 0; i < tf->n_tensors; i++) {
        const char *k = tf->tensors[i].name;
        if (!hero_model_param(m, k) && strcmp(k, hero__tied_key) != 0 && !hero__is_buffer_key(k))
            hero__report_add(report->unexpected, sizeof(report->unexpected), &report->n_unexpected, k);
    }
    for (i = 0; i < tf->n_entries; i++)
        if (strcmp(tf->entries[i].name, "vocab_padded") == 0)
            m->vocab_padded = strcmp(tf->entries[i].value, "True") == 0 || strcmp(tf->entries[i].value, "true") == 0 ||
                              atoi(tf->entries[i].value) != 0;
    return 0;
}

/* the dims a checkpoint's tensor shapes decide: vocabulary padding, F, frame table, FOM classes, conv kernel */
static void hero__dims_from_file(hero_config *c, const hero_tensorfile *tf) {
    const hero_tensor_info *t;
    if ((t = hero_tensorfile_find(tf, "v_encoder.f_encoder.embeddings.word_embeddings.weight")) && t->ndim == 2 && t->shape[0] < (1 << 24)) c->Vp = (int)t->shape[0];
    if ((t = hero_tensorfile_find(tf, "v_encoder.f_encoder.img_embeddings.img_linear.weight")) && t->ndim == 2 && t->shape[1] < (1 << 24)) c->F = (int)t->shape[1];
    if ((t = hero_tensorfile_find(tf, "v_encoder.f_encoder.img_embeddings.position_embeddings.weight")) && t->ndim == 2 && t->shape[0] < (1 << 24)) c->max_frm_seq_len = (int)t->shape[0];
    if ((t = hero_tensorfile_find(tf, "v_encoder.fom_output.linear_2.weight")) && t->ndim == 2 && t->shape[0] < (1 << 24)) c->fom_classes = (int)t->shape[0];
    if ((t = hero_tensorfile_find(tf, "video_st_predictor.weight")) && t->ndim == 3 && t->shape[2] < 1024) c->conv_k = (int)t->shape[2];
}

HERODEF int hero_model_load(hero_model *m, const char *config_json, const char *checkpoint, hero_load_report *report,
                            hero_error *err) {
    hero_config c;
    hero_tensorfile tf;
    int rc;
    memset(m, 0, sizeof(*m));
    if ((rc = hero_config_from_json(&c, config_json, err)) != 0) return rc;
    if ((rc = hero_tensorfile_open(&tf, checkpoint, err)) != 0) return rc;
    hero__dims_from_file(&c, &tf);
    if ((rc = hero_model_init(m, &c, err)) != 0) { hero_tensorfile_close(&tf); return rc; }
    rc = hero_model_load_state(m, &tf, report, err);
    hero_tensorfile_close(&tf);
    if (rc) hero_model_free(m);
    return rc;
}

/* ======================================================================================
   13. AdamW (the official optim/adamw.py), warmup-linear schedule, gradient clipping
   ====================================================================================== */

HERODEF hero_adamw_config hero_adamw_default(void) {
    hero_adamw_config c;
    c.lr = 3e-5f; c.beta1 = 0.9f; c.beta2 = 0.98f; c.eps = 1e-6f; c.weight_decay = 0.01f;
    c.warmup_steps = 10000; c.total_steps = 100000; c.grad_clip = 1.0f;
    return c;
}

HERODEF int hero_optimizer_init(hero_optimizer *o, const hero_model *m, const hero_adamw_config *c, hero_error *err) {
    memset(o, 0, sizeof(*o));
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
    return 0;
}

HERODEF void hero_optimizer_free(hero_optimizer *o) {
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

/* global L2 norm of the gradients of every parameter that has one */
HERODEF float hero_grad_norm(const hero_model *m) {
    double s = 0;
    int i;
    for (i = 0; i < m->n_params; i++) {
        const hero_param *p = &m->table[i];
        double t = 0;
        size_t j;
        if (!p->has_grad) continue;
        for (j = 0; j < p->numel; j++) t += (double)p->grad[j] * p->grad[j];
        s += t;
    }
    return (float)sqrt(s);
}

HERODEF int hero_optimizer_step(hero_optimizer *o, hero_model *m, float *grad_norm, float *lr_out, hero_error *err) {
    const hero_adamw_config *c = &o->cfg;
    float norm, lr, clip = 1.0f;
    int i;
    if (o->n_params != m->n_params) return hero__fail(err, HERO_EINVAL, "optimizer: made for another model");
    norm = hero_grad_norm(m);
    if (!(norm == norm) || norm == (float)INFINITY) {
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
    for (i = 0; i < m->n_params; i++) {
        hero_param *p = &m->table[i];
        float *mm = o->m + p->offset, *vv = o->v + p->offset, step_size;
        double bc1, bc2;
        size_t j;
        if (!p->has_grad) continue; /* never had a gradient: untouched, as p.grad is None */
        o->steps[i]++;
        bc1 = 1.0 - pow((double)c->beta1, (double)o->steps[i]);
        bc2 = 1.0 - pow((double)c->beta2, (double)o->steps[i]);
        step_size = (float)((double)lr * sqrt(bc2) / bc1);
        for (j = 0; j < p->numel; j++) {
            float g = p->grad[j] * clip;
            mm[j] = mm[j] * c->beta1 + (1.0f - c->beta1) * g;
            vv[j] = vv[j] * c->beta2 + (1.0f - c->beta2) * g * g;
            p->data[j] += -step_size * (mm[j] / (sqrtf(vv[j]) + c->eps));
        }
        if (p->decay && c->weight_decay > 0)
            for (j = 0; j < p->numel; j++) p->data[j] += -(lr * c->weight_decay) * p->data[j];
    }
    hero_zero_grad(m);
    if (grad_norm) *grad_norm = norm;
    if (lr_out) *lr_out = lr;
    return 0;
}

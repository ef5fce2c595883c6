/* ======================================================================================
   Initialisation: fresh parameters (the official init), RoBERTa pre-training init
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
        hero__init_starts(n, "v_encoder.f_encoder.lm_head.dense.")) {
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
    if (!m || !m->table || !m->params || m->n_params <= 0) return HERO_EINVAL;
    c = &m->cfg;
    for (i = 0; i < m->n_params; i++) {
        hero_param *p = &m->table[i];
        hero__irng r;
        double sc;
        int kind = hero__init_kind(m, p, &sc);
        hero__init_seed(&r, seed, p->name);
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
    if (c->Vp > c->V) memset(m->p.f_word + (size_t)c->V * c->H, 0, (size_t)(c->Vp - c->V) * c->H * sizeof(float));
    /* init_type_embedding: both token-type rows = row 0; clip-level mask_embedding row 0 = 0 */
    memcpy(m->p.f_type + c->H, m->p.f_type, (size_t)c->H * sizeof(float));
    memset(m->p.v_mask, 0, (size_t)c->F * sizeof(float));
    return 0;
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
    nl = m->cfg.f_layers;
    if (nl < 1 || nl > 12)
        return hero__fail(err, HERO_EINVAL,
                          "hero_model_init_roberta: layer skipping maps 12 RoBERTa layers onto 1..12 cross-modal layers; the model has %d", nl);
    {
        /* a model straight from hero_model_init is all zeros: LayerNorm weights 0 would stay */
        int h, any = 0;
        for (h = 0; h < m->cfg.H && !any; h++) any = m->p.c_ln_w[h] != 0.0f;
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
    if ((rc = hero__rb_skip_layers(&d, tf, nl)) != 0 || (rc = hero__rb_rename(&d)) != 0) {
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
        memset(m->p.f_word + (size_t)m->cfg.V * m->cfg.H, 0, (size_t)(m->cfg.Vp - m->cfg.V) * m->cfg.H * sizeof(float));
        memset(m->p.lm_bias + m->cfg.V, 0, (size_t)(m->cfg.Vp - m->cfg.V) * sizeof(float));
    }
    memcpy(m->p.f_type + m->cfg.H, m->p.f_type, (size_t)m->cfg.H * sizeof(float));
    memset(m->p.v_mask, 0, (size_t)m->cfg.F * sizeof(float));
done:
    hero__rdict_free(&d);
    if (path_or_NULL) hero_tensorfile_close(&own);
    return rc;
}

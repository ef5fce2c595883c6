/* Initialisation tests.
   hero_model_init_random: the official init's distributions (N(0, 0.02) for v_encoder weights,
   PyTorch defaults for q_feat_attn / video_query_linear / lm_head.dense / conv predictors,
   LayerNorm 1 / 0, zero biases), padding rows, determinism.
   hero_model_init_roberta: against the official result (DIR/roberta_init), and on synthetic
   RoBERTa files: layer skipping for 1..12 layers, gamma/beta names, no "roberta." prefix,
   unexpected keys, the tied decoder, shape errors leaving the model unchanged, wrong files.
   usage: test_init [DIR]   (DIR defaults to tests/golden/tiny)
   Last line: N passed, M failed. */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int g_pass, g_fail;
static void check(int ok, const char *name, const char *fmt, ...) {
    printf("%s %s", ok ? "PASS" : "FAIL", name);
    if (!ok && fmt) {
        va_list ap;
        va_start(ap, fmt);
        printf(": ");
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
    if (ok) g_pass++;
    else g_fail++;
}

static int ends(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}
static int starts(const char *s, const char *pre) { return !strncmp(s, pre, strlen(pre)); }

static hero_config small_config(int H, int f_layers, int V) {
    hero_config c;
    memset(&c, 0, sizeof(c));
    hero_config_default_losses(&c);
    c.H = H; c.f_heads = c.c_heads = c.q_heads = 2;
    c.f_inter = c.c_inter = 2 * H;
    c.f_layers = f_layers; c.c_layers = 1;
    c.f_max_pos = 10; c.c_max_pos = 12; c.q_max_pos = 9;
    c.V = V; c.Vp = (V + 7) / 8 * 8;
    c.F = 12; c.max_frm_seq_len = 7; c.fom_classes = 100;
    c.layer_norm_eps = 1e-12f;
    return c;
}

/* ---------------- hero_model_init_random ---------------- */

typedef struct stats { double n, s, s2, within1, maxabs; } stats;
static void stats_add(stats *st, const float *x, size_t n, double sigma) {
    size_t i;
    for (i = 0; i < n; i++) {
        st->n += 1; st->s += x[i]; st->s2 += (double)x[i] * x[i];
        if (fabs(x[i]) <= sigma) st->within1 += 1;
        if (fabs(x[i]) > st->maxabs) st->maxabs = fabs(x[i]);
    }
}
static double stats_std(const stats *st) { double m = st->s / st->n; return sqrt(st->s2 / st->n - m * m); }

static int all_equal(const float *x, size_t n, float v) {
    size_t i;
    for (i = 0; i < n; i++) if (x[i] != v) return 0;
    return 1;
}
static int any_zero(const float *x, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) if (x[i] == 0.0f) return 1;
    return 0;
}

static void test_random(void) {
    hero_config c = small_config(128, 2, 1001);
    hero_model m, m2;
    hero_error err;
    stats normal, uni, qpos;
    int i, bad_ln = 0, bad_bias = 0, bad_uniform = 0, bad_tensor_std = 0, n_uniform_tensors = 0;
    char first_bad[256] = "";
    const int H = c.H;
    memset(&normal, 0, sizeof(normal)); memset(&uni, 0, sizeof(uni)); memset(&qpos, 0, sizeof(qpos));
    c.F = 96; c.max_frm_seq_len = 16; c.f_max_pos = 64; c.c_max_pos = 64; c.q_max_pos = 256;
    if (hero_model_init(&m, &c, &err)) { check(0, "init_random: model", "%s", err.msg); return; }
    check(hero_model_init_random(&m, 42) == 0, "init_random: returns 0", NULL);
    for (i = 0; i < m.n_params; i++) {
        hero_param *p = &m.table[i];
        const char *n = p->name;
        int is_ln_w = ends(n, "LayerNorm.weight") || !strcmp(n, "v_encoder.feat_regress.net.2.weight");
        int is_ln_b = ends(n, "LayerNorm.bias") || !strcmp(n, "v_encoder.feat_regress.net.2.bias");
        int torch_default = starts(n, "q_feat_attn.") || starts(n, "video_") || starts(n, "v_encoder.f_encoder.lm_head.dense.");
        if (is_ln_w || is_ln_b) {
            if (!all_equal(p->data, p->numel, is_ln_w ? 1.0f : 0.0f)) { bad_ln++; if (!*first_bad) snprintf(first_bad, sizeof first_bad, "%s", n); }
        } else if (!strcmp(n, "q_feat_attn.query_pos_embed.position_embeddings.weight")) {
            stats_add(&qpos, p->data, p->numel, 1.0);
        } else if (torch_default) {
            /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = H for every Linear here, k for the conv */
            double b = starts(n, "video_st") || starts(n, "video_ed") ? 1.0 / sqrt((double)c.conv_k) : 1.0 / sqrt((double)H);
            size_t k;
            for (k = 0; k < p->numel; k++) if (fabs(p->data[k]) > b) bad_uniform++;
            if (any_zero(p->data, p->numel)) bad_uniform++;
            if (b == 1.0 / sqrt((double)H)) {
                size_t kk;
                for (kk = 0; kk < p->numel; kk++) { float v = (float)(p->data[kk] / b); stats_add(&uni, &v, 1, 0.5); }
                n_uniform_tensors++;
            }
        } else if (ends(n, ".bias")) {
            if (!all_equal(p->data, p->numel, 0.0f)) { bad_bias++; if (!*first_bad) snprintf(first_bad, sizeof first_bad, "%s", n); }
        } else {
            size_t rows = p->numel;
            stats st;
            memset(&st, 0, sizeof(st));
            if (!strcmp(n, "v_encoder.f_encoder.embeddings.word_embeddings.weight")) rows = (size_t)c.V * H;
            else if (!strcmp(n, "v_encoder.mask_embedding.weight")) { stats_add(&normal, p->data + c.F, (size_t)c.F, 0.02); continue; }
            else if (!strcmp(n, "v_encoder.f_encoder.embeddings.token_type_embeddings.weight")) rows = (size_t)H;
            stats_add(&st, p->data, rows, 0.02);
            stats_add(&normal, p->data, rows, 0.02);
            if (rows >= 4000 && fabs(stats_std(&st) / 0.02 - 1) > 0.1) {
                bad_tensor_std++;
                if (!*first_bad) snprintf(first_bad, sizeof first_bad, "%s std %g", n, stats_std(&st));
            }
        }
    }
    check(bad_ln == 0, "init_random: LayerNorm weights 1, biases 0", "%d tensors differ (%s)", bad_ln, first_bad);
    check(bad_bias == 0, "init_random: v_encoder Linear biases 0", "%d tensors differ (%s)", bad_bias, first_bad);
    check(normal.n > 500000 && fabs(stats_std(&normal) / 0.02 - 1) < 0.01 && fabs(normal.s / normal.n) < 1e-4,
          "init_random: v_encoder weights N(0, 0.02) (pooled std within 1%)", "n %.0f std %g mean %g", normal.n,
          stats_std(&normal), normal.s / normal.n);
    check(fabs(normal.within1 / normal.n - 0.682689) < 0.005 && normal.maxabs < 0.02 * 6.5,
          "init_random: v_encoder weights look normal (68.3% within 1 sigma, none past 6.5 sigma)", "%.4f within, max %g",
          normal.within1 / normal.n, normal.maxabs);
    check(bad_tensor_std == 0, "init_random: every large v_encoder weight has std 0.02 +- 10%", "%d tensors (%s)",
          bad_tensor_std, first_bad);
    check(bad_uniform == 0 && n_uniform_tensors >= 13, "init_random: PyTorch-default tensors inside +-1/sqrt(fan_in), nonzero",
          "%d bad values, %d tensors", bad_uniform, n_uniform_tensors);
    /* U(-1,1) after scaling: std 1/sqrt(3), half within +-0.5 */
    check(fabs(stats_std(&uni) * sqrt(3.0) - 1) < 0.02 && fabs(uni.within1 / uni.n - 0.5) < 0.01,
          "init_random: q_feat_attn / video_query_linear / lm_head.dense uniform (std bound/sqrt 3)", "std*sqrt3 %g, |x|<b/2 %.4f",
          stats_std(&uni) * sqrt(3.0), uni.within1 / uni.n);
    check(fabs(stats_std(&qpos) - 1) < 0.03, "init_random: query_pos_embed N(0, 1) (nn.Embedding default)", "std %g",
          stats_std(&qpos));
    check(all_equal(m.p.f_word + (size_t)c.V * H, (size_t)(c.Vp - c.V) * H, 0.0f), "init_random: padded vocab rows V..Vp-1 zero", NULL);
    check(all_equal(m.p.lm_bias, (size_t)c.Vp, 0.0f), "init_random: lm_head.bias zero", NULL);
    check(!all_equal(m.p.f_word + H, (size_t)H, 0.0f), "init_random: word row 1 (padding_idx) random as official", NULL);
    check(!memcmp(m.p.f_type, m.p.f_type + H, (size_t)H * sizeof(float)) && !all_equal(m.p.f_type, (size_t)H, 0.0f),
          "init_random: token_type rows 0 and 1 equal (init_type_embedding)", NULL);
    check(all_equal(m.p.v_mask, (size_t)c.F, 0.0f) && !any_zero(m.p.v_mask + c.F, (size_t)c.F),
          "init_random: v_encoder.mask_embedding row 0 zero, row 1 random", NULL);
    check(!any_zero(m.p.img_mask, (size_t)2 * c.F), "init_random: img_embeddings.mask_embedding both rows random", NULL);
    check(memcmp(m.p.f_layer[0].attn.q_w, m.p.f_layer[0].attn.k_w, (size_t)H * H * sizeof(float)) != 0 &&
          memcmp(m.p.f_layer[0].attn.q_w, m.p.f_layer[1].attn.q_w, (size_t)H * H * sizeof(float)) != 0,
          "init_random: tensors draw from different streams", NULL);
    /* determinism */
    if (hero_model_init(&m2, &c, &err)) { check(0, "init_random: second model", "%s", err.msg); hero_model_free(&m); return; }
    hero_model_init_random(&m2, 42);
    check(!memcmp(m.params, m2.params, m.n_floats * sizeof(float)), "init_random: same seed, same parameters", NULL);
    hero_model_init_random(&m2, 43);
    check(memcmp(m.p.f_word, m2.p.f_word, (size_t)H * sizeof(float)) != 0 &&
          memcmp(m.p.st_w, m2.p.st_w, (size_t)c.conv_k * sizeof(float)) != 0,
          "init_random: another seed, other parameters", NULL);
    hero_model_free(&m2);
    hero_model_free(&m);
    check(hero_model_init_random(&m, 1) == HERO_EINVAL, "init_random: freed model -> HERO_EINVAL", NULL);
}

/* ---------------- hero_model_init_roberta against the official result ---------------- */

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double d = 0;
    size_t i;
    for (i = 0; i < n; i++) if (fabs((double)a[i] - b[i]) > d) d = fabs((double)a[i] - b[i]);
    return d;
}

static void test_golden(const char *dir) {
    char cfg[1024], bin[1024], exp_[1024];
    hero_config c;
    hero_model m, fresh;
    hero_error err;
    hero_load_report rep;
    hero_tensorfile tf, rb;
    int i, n_from = 0, bad = 0, bad_fresh = 0;
    double worst = 0;
    const char *log;
    char firstbad[200] = "";
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(bin, sizeof bin, "%s/roberta_init/pytorch_model.bin", dir);
    snprintf(exp_, sizeof exp_, "%s/roberta_init/expected_after_load.safetensors", dir);
    if (hero_config_from_json(&c, cfg, &err) || hero_model_init(&m, &c, &err) || hero_model_init(&fresh, &c, &err)) {
        check(0, "roberta golden: model", "%s", err.msg);
        return;
    }
    hero_model_init_random(&m, 7);
    hero_model_init_random(&fresh, 7);
    if (hero_model_init_roberta(&m, bin, NULL, &rep, &err)) { check(0, "roberta golden: load", "%s", err.msg); goto out; }
    check(rep.n_loaded == 39 && rep.n_unexpected == 0 && rep.n_missing == 15, "roberta golden: 39 loaded, 15 missing, 0 unexpected",
          "%d loaded, %d missing, %d unexpected", rep.n_loaded, rep.n_missing, rep.n_unexpected);
    if (hero_tensorfile_open(&tf, exp_, &err)) { check(0, "roberta golden: expected file", "%s", err.msg); goto out; }
    log = hero_tensorfile_meta(&tf, "load_log");
    {
        /* the log prints a python list: ['a', 'b', ...] */
        char quoted[8192];
        size_t o = 0;
        const char *q;
        quoted[o++] = '[';
        quoted[o++] = '\'';
        for (q = rep.missing; *q && o + 8 < sizeof quoted; q++) {
            if (q[0] == ',' && q[1] == ' ') { memcpy(quoted + o, "', '", 4); o += 4; q++; }
            else quoted[o++] = *q;
        }
        quoted[o++] = '\'';
        quoted[o++] = ']';
        quoted[o] = 0;
        check(log && strstr(log, quoted) != NULL && starts(rep.missing, "roberta.pad, roberta.img_embeddings.img_linear.weight"),
              "roberta golden: missing keys = the official log, same order", "%s", rep.missing);
    }
    for (i = 0; i < tf.n_tensors; i++) {
        const hero_tensor_info *t = &tf.tensors[i];
        const char *from = hero_tensorfile_meta(&tf, "from_checkpoint"), *der = hero_tensorfile_meta(&tf, "derived_from_checkpoint");
        char quoted[200];
        hero_param *p = hero_model_param(&m, t->name), *pf = hero_model_param(&fresh, t->name);
        float *ref;
        int64_t n = hero_tensor_numel(t);
        snprintf(quoted, sizeof quoted, "\"%s\"", t->name);
        if (!strcmp(t->name, "v_encoder.f_encoder.lm_head.decoder.weight")) {
            p = hero_model_param(&m, "v_encoder.f_encoder.embeddings.word_embeddings.weight");
            pf = NULL;
        }
        if (!p) continue; /* pad */
        if (!(from && strstr(from, quoted)) && !(der && strstr(der, quoted))) {
            /* fresh: must be what hero_model_init_random gave (the official fresh CrossModalTrm) */
            if (!pf || memcmp(p->data, pf->data, p->numel * sizeof(float))) { bad_fresh++; snprintf(firstbad, sizeof firstbad, "%s", t->name); }
            continue;
        }
        n_from++;
        ref = (float *)malloc((size_t)n * sizeof(float));
        if (!ref || (int64_t)p->numel != n || hero_tensor_read_f32(t, ref, n, &err)) { bad++; free(ref); continue; }
        {
            double d = max_abs_diff(p->data, ref, (size_t)n);
            if (d > worst) worst = d;
            if (d != 0) { bad++; snprintf(firstbad, sizeof firstbad, "%s", t->name); }
        }
        free(ref);
    }
    check(n_from == 40 && bad == 0, "roberta golden: 40 tensors from the file equal the official ones exactly",
          "%d tensors, %d differ (max %g, %s)", n_from, bad, worst, firstbad);
    check(bad_fresh == 0, "roberta golden: the rest of f_encoder keeps its fresh values", "%d differ (%s)", bad_fresh, firstbad);
    /* outside f_encoder nothing changes but v_encoder.mask_embedding row 0 (zero in both) */
    bad = 0;
    for (i = 0; i < m.n_params; i++)
        if (!starts(m.table[i].name, "v_encoder.f_encoder.") && memcmp(m.table[i].data, fresh.table[i].data, m.table[i].numel * sizeof(float)))
            bad++;
    check(bad == 0, "roberta golden: parameters outside the cross-modal encoder untouched", "%d differ", bad);
    hero_tensorfile_close(&tf);
    /* the same from an open tensor file (path NULL) */
    if (!hero_tensorfile_open(&rb, bin, &err)) {
        hero_model m3;
        hero_model_init(&m3, &c, &err);
        hero_model_init_random(&m3, 7);
        check(hero_model_init_roberta(&m3, NULL, &rb, NULL, &err) == 0 && !memcmp(m3.params, m.params, m.n_floats * sizeof(float)),
              "roberta golden: from an open hero_tensorfile, identical", "%s", err.msg);
        hero_model_free(&m3);
        hero_tensorfile_close(&rb);
    }
out:
    hero_model_free(&fresh);
    hero_model_free(&m);
}

/* ---------------- synthetic RoBERTa files ---------------- */

typedef struct sdict {
    hero_st_item it[512];
    char *names[512];
    void *data[512];
    int64_t shapes[512][2];
    int n;
} sdict;

/* a tensor of `rows` x `cols` (cols 0: 1-d) whose every value is v + 0.001 * index */
static void sd_add(sdict *d, const char *name, int rows, int cols, float v) {
    int64_t n = (int64_t)rows * (cols ? cols : 1), i;
    float *x = (float *)malloc((size_t)n * sizeof(float));
    for (i = 0; i < n; i++) x[i] = v + 0.001f * (float)i;
    d->names[d->n] = (char *)malloc(strlen(name) + 1);
    strcpy(d->names[d->n], name);
    d->data[d->n] = x;
    d->shapes[d->n][0] = rows;
    d->shapes[d->n][1] = cols;
    d->it[d->n].name = d->names[d->n];
    d->it[d->n].dtype = HERO_F32;
    d->it[d->n].ndim = cols ? 2 : 1;
    d->it[d->n].shape = d->shapes[d->n];
    d->it[d->n].data = x;
    d->n++;
}

static void sd_free(sdict *d) {
    int i;
    for (i = 0; i < d->n; i++) { free(d->names[i]); free(d->data[i]); }
    d->n = 0;
}

/* a 12-layer RoBERTa at the dims of c; layer l's tensors hold 100*(l+1) + k; `pre` is the prefix */
static void make_roberta(sdict *d, const hero_config *c, const char *pre, int gamma_beta) {
    static const char *ln[] = {"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
                               "attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias",
                               "attention.output.dense.weight", "attention.output.dense.bias", "attention.output.LayerNorm.weight",
                               "attention.output.LayerNorm.bias", "intermediate.dense.weight", "intermediate.dense.bias",
                               "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"};
    char name[256];
    int l, k, H = c->H, Dff = c->f_inter;
    d->n = 0;
    snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", pre); sd_add(d, name, c->V, H, 1.0f);
    snprintf(name, sizeof name, "%sembeddings.position_embeddings.weight", pre); sd_add(d, name, c->f_max_pos, H, 2.0f);
    snprintf(name, sizeof name, "%sembeddings.token_type_embeddings.weight", pre); sd_add(d, name, 1, H, 3.0f);
    snprintf(name, sizeof name, "%sembeddings.LayerNorm.%s", pre, gamma_beta ? "gamma" : "weight"); sd_add(d, name, H, 0, 4.0f);
    snprintf(name, sizeof name, "%sembeddings.LayerNorm.%s", pre, gamma_beta ? "beta" : "bias"); sd_add(d, name, H, 0, 5.0f);
    for (l = 0; l < 12; l++)
        for (k = 0; k < 16; k++) {
            const char *nm = ln[k];
            int rows = H, cols = 0;
            char tmp[128];
            if (ends(nm, "weight") && !strstr(nm, "LayerNorm")) cols = H;
            if (!strcmp(nm, "intermediate.dense.weight") || !strcmp(nm, "intermediate.dense.bias")) rows = Dff;
            if (!strcmp(nm, "output.dense.weight")) cols = Dff;
            snprintf(tmp, sizeof tmp, "%s", nm);
            if (gamma_beta && strstr(nm, "LayerNorm")) snprintf(tmp, sizeof tmp, "%.*s%s", (int)(strlen(nm) - (ends(nm, "weight") ? 6 : 4)), nm,
                                                              ends(nm, "weight") ? "gamma" : "beta");
            snprintf(name, sizeof name, "%sencoder.layer.%d.%s", pre, l, tmp);
            sd_add(d, name, rows, cols, (float)(100 * (l + 1) + k));
        }
    snprintf(name, sizeof name, "%spooler.dense.weight", pre); sd_add(d, name, H, H, 6.0f);
    snprintf(name, sizeof name, "%spooler.dense.bias", pre); sd_add(d, name, H, 0, 7.0f);
    /* HuggingFace's head: no prefix, lowercase layer_norm */
    sd_add(d, "lm_head.dense.weight", H, H, 8.0f);
    sd_add(d, "lm_head.dense.bias", H, 0, 9.0f);
    sd_add(d, "lm_head.layer_norm.weight", H, 0, 10.0f);
    sd_add(d, "lm_head.layer_norm.bias", H, 0, 11.0f);
    sd_add(d, "lm_head.bias", c->V, 0, 12.0f);
    sd_add(d, "lm_head.decoder.weight", c->V, H, 1.0f);
}

static const char *tmp_path(void) {
    static char p[512];
    const char *t = getenv("TMPDIR");
    snprintf(p, sizeof p, "%s/hero_test_init.safetensors", t && *t ? t : "/tmp");
    return p;
}

static int write_sd(const sdict *d, const char *path) {
    hero_error err;
    if (hero_safetensors_write(path, d->it, d->n, NULL, &err)) { printf("  (write %s: %s)\n", path, err.msg); return -1; }
    return 0;
}

/* layer i of model m came from RoBERTa layer src (value 100*(src+1) + k in its first element) */
static int layers_from(const hero_model *m, const int *src) {
    int i;
    for (i = 0; i < m->cfg.f_layers; i++) {
        const hero_layer_params *L = &m->p.f_layer[i];
        float base = (float)(100 * (src[i] + 1));
        if (L->attn.q_w[0] != base + 0 || L->attn.k_b[0] != base + 3 || L->attn.ln_w[0] != base + 8 ||
            L->attn.ln_b[1] != base + 9 + 0.001f || L->i_w[0] != base + 10 || L->fln_w[0] != base + 14 || L->fln_b[0] != base + 15)
            return 0;
    }
    return 1;
}

static void test_synthetic(void) {
    const char *path = tmp_path();
    sdict *d = (sdict *)calloc(1, sizeof(sdict));
    hero_error err;
    hero_load_report rep;
    int nl, rc;
    char name[128];
    if (!d) return;
    /* layer skipping for every layer count 1..12 (gamma/beta names on half of them) */
    for (nl = 1; nl <= 12; nl++) {
        hero_config c = small_config(8, nl, 13);
        hero_model m, fresh;
        int src[12], gap = 12 / nl, i, ok;
        make_roberta(d, &c, "roberta.", nl % 2);
        write_sd(d, path);
        hero_model_init(&m, &c, &err);
        hero_model_init(&fresh, &c, &err);
        hero_model_init_random(&m, 3);
        hero_model_init_random(&fresh, 3);
        rc = hero_model_init_roberta(&m, path, NULL, &rep, &err);
        for (i = 0; i < nl; i++) src[i] = gap - 1 + i * gap;
        ok = rc == 0 && layers_from(&m, src);
        /* range(gap-1, 12, gap) has more entries than layers for 5, 7..11: the extra become unexpected */
        {
            int n_src = 0, l;
            for (l = gap - 1; l < 12; l += gap) n_src++;
            ok = ok && rep.n_unexpected == 16 * (n_src - nl) && rep.n_missing == 15;
            if (n_src > nl) {
                snprintf(name, sizeof name, "roberta.encoder.layer.%d.attention.self.query.weight", nl);
                ok = ok && strstr(rep.unexpected, name) != NULL;
            }
        }
        {
            int o = snprintf(name, sizeof name, "init_roberta: %2d layers <- RoBERTa layers", nl);
            for (i = 0; i < nl && o < (int)sizeof name - 40; i++) o += snprintf(name + o, sizeof name - o, " %d", src[i]);
            snprintf(name + o, sizeof name - o, "%s", nl % 2 ? " (gamma/beta names)" : "");
        }
        check(ok, name, "rc %d (%s), %d unexpected: %.200s, %d missing", rc, rc ? err.msg : "", rep.n_unexpected, rep.unexpected,
              rep.n_missing);
        if (nl == 6) {
            check(m.p.f_ln_w[0] == 4.0f && m.p.f_ln_b[0] == 5.0f && m.p.f_pos[0] == 2.0f && m.p.f_pool_w[0] == 6.0f &&
                  m.p.f_pool_b[0] == 7.0f,
                  "init_roberta: embeddings / LayerNorm (gamma, beta) / pooler loaded", NULL);
            check(m.p.f_word[0] == 1.0f && m.p.f_word[(size_t)13 * 8 - 1] == 1.0f + 0.001f * (13 * 8 - 1) &&
                  all_equal(m.p.f_word + 13 * 8, 3 * 8, 0.0f),
                  "init_roberta: word table V rows + zero padding to Vp", NULL);
            check(!memcmp(m.p.f_type, m.p.f_type + 8, 8 * sizeof(float)) && m.p.f_type[0] == 3.0f,
                  "init_roberta: token type widened to 2 rows = file row 0", NULL);
            check(!memcmp(m.p.lm_w, fresh.p.lm_w, 64 * sizeof(float)) && !memcmp(m.p.lm_b, fresh.p.lm_b, 8 * sizeof(float)) &&
                  all_equal(m.p.lm_bias, 16, 0.0f) && all_equal(m.p.lm_ln_w, 8, 1.0f),
                  "init_roberta: HF lm_head.* (no roberta. prefix) ignored like the official loader", NULL);
            check(!memcmp(m.p.img_w, fresh.p.img_w, (size_t)8 * 12 * sizeof(float)) && !memcmp(m.p.c_pos, fresh.p.c_pos, 12 * 8 * sizeof(float)),
                  "init_roberta: everything else keeps the fresh init", NULL);
            check(strstr(rep.missing, "roberta.lm_head.dense.weight") && strstr(rep.missing, "roberta.pad") &&
                  !strstr(rep.unexpected, "lm_head"),
                  "init_roberta: report: lm_head missing, HF lm_head.* not listed (official)", "%s", rep.missing);
        }
        hero_model_free(&m);
        hero_model_free(&fresh);
        sd_free(d);
    }
    {
        hero_config c = small_config(8, 2, 13);
        hero_model m, snap;
        int i;
        hero_model_init(&m, &c, &err);
        hero_model_init(&snap, &c, &err);
        /* no "roberta." prefix: keys taken as they are, lm_head.dense loads, layer_norm is unexpected */
        make_roberta(d, &c, "", 0);
        /* make_roberta's layer keys lack "roberta.encoder.layer.": no skipping happens (official) */
        write_sd(d, path);
        hero_model_init_random(&m, 5);
        rc = hero_model_init_roberta(&m, path, NULL, &rep, &err);
        check(rc == 0 && m.p.lm_w[0] == 8.0f && m.p.lm_b[0] == 9.0f && m.p.lm_bias[0] == 12.0f && all_equal(m.p.lm_bias + 13, 3, 0.0f) &&
              m.p.f_layer[1].attn.q_w[0] == 200.0f && rep.n_unexpected == 10 * 16 + 2 &&
              starts(rep.unexpected, "encoder.layer.2.attention.self.query.weight") && !strstr(rep.missing, "lm_head.decoder"),
              "init_roberta: no prefix: lm_head loads, layers unskipped, extras unexpected",
              "rc %d %s; unexpected %.300s", rc, rc ? err.msg : "", rep.unexpected);
        sd_free(d);
        /* the tied decoder under the prefix overrides the word table; position_ids is unexpected */
        make_roberta(d, &c, "roberta.", 0);
        sd_add(d, "roberta.lm_head.decoder.weight", 13, 8, 50.0f);
        sd_add(d, "roberta.embeddings.position_ids", 1, 10, 0.0f);
        sd_add(d, "roberta.embeddings.word_embeddings.weight.extra", 1, 0, 0.0f);
        sd_add(d, "roberta.encoder", 1, 0, 0.0f);
        write_sd(d, path);
        hero_model_init_random(&m, 5);
        rc = hero_model_init_roberta(&m, path, NULL, &rep, &err);
        check(rc == 0 && m.p.f_word[0] == 50.0f && rep.n_unexpected == 1 && !strcmp(rep.unexpected, "roberta.embeddings.position_ids") &&
              !strstr(rep.missing, "decoder"),
              "init_roberta: roberta.lm_head.decoder.weight (tied) wins; only position_ids unexpected", "rc %d, unexpected: %s", rc,
              rep.unexpected);
        sd_free(d);
        /* shape mismatch: error names file, key and both shapes; the model is unchanged */
        make_roberta(d, &c, "roberta.", 0);
        for (i = 0; i < d->n; i++)
            if (!strcmp(d->names[i], "roberta.encoder.layer.11.output.dense.weight")) {
                d->shapes[i][1] = 15;
                free(d->data[i]);
                d->data[i] = calloc((size_t)8 * 15, sizeof(float));
                d->it[i].data = d->data[i];
            }
        write_sd(d, path);
        hero_model_init_random(&m, 5);
        memcpy(snap.params, m.params, m.n_floats * sizeof(float));
        rc = hero_model_init_roberta(&m, path, NULL, &rep, &err);
        check(rc == HERO_ESHAPE && strstr(err.msg, "roberta.encoder.layer.11.output.dense.weight") && strstr(err.msg, "[8,15]") &&
              strstr(err.msg, "[8,16]") && strstr(err.msg, path) && !memcmp(snap.params, m.params, m.n_floats * sizeof(float)),
              "init_roberta: shape mismatch -> HERO_ESHAPE naming file, key, shapes; model unchanged", "rc %d: %s", rc, err.msg);
        sd_free(d);
        /* a 2-row token-type table (BERT style): both rows = row 0 */
        make_roberta(d, &c, "roberta.", 0);
        d->shapes[2][0] = 2;
        free(d->data[2]);
        d->data[2] = calloc(16, sizeof(float));
        ((float *)d->data[2])[0] = 0.5f;
        ((float *)d->data[2])[8] = 9.5f;
        d->it[2].data = d->data[2];
        write_sd(d, path);
        hero_model_init_random(&m, 5);
        rc = hero_model_init_roberta(&m, path, NULL, &rep, &err);
        check(rc == 0 && m.p.f_type[0] == 0.5f && m.p.f_type[8] == 0.5f, "init_roberta: 2-row token types -> both rows = row 0",
              "rc %d %s", rc, err.msg);
        sd_free(d);
        /* wrong files */
        rc = hero_model_init_roberta(&m, "tests/golden/tiny/model.pt", NULL, &rep, &err);
        check(rc == HERO_EMISSING && rep.n_unexpected > 0, "init_roberta: a HERO checkpoint -> HERO_EMISSING", "rc %d: %s", rc, err.msg);
        rc = hero_model_init_roberta(&m, "/nonexistent/roberta.bin", NULL, &rep, &err);
        check(rc == HERO_EIO && strstr(err.msg, "/nonexistent/roberta.bin"), "init_roberta: missing file -> HERO_EIO naming it",
              "rc %d: %s", rc, err.msg);
        rc = hero_model_init_roberta(&m, NULL, NULL, &rep, &err);
        check(rc == HERO_EINVAL, "init_roberta: no file -> HERO_EINVAL", "rc %d", rc);
        memset(m.params, 0, m.n_floats * sizeof(float));
        rc = hero_model_init_roberta(&m, "tests/golden/tiny/roberta_init/pytorch_model.bin", NULL, &rep, &err);
        check(rc == HERO_EINVAL && strstr(err.msg, "hero_model_init_random"),
              "init_roberta: a model never initialised -> HERO_EINVAL (call hero_model_init_random first)", "rc %d: %s", rc, err.msg);
        hero_model_free(&m);
        hero_model_free(&snap);
        c = small_config(8, 13, 13);
        hero_model_init(&m, &c, &err);
        hero_model_init_random(&m, 5);
        make_roberta(d, &c, "roberta.", 0);
        write_sd(d, path);
        rc = hero_model_init_roberta(&m, path, NULL, &rep, &err);
        check(rc == HERO_EINVAL && strstr(err.msg, "13"), "init_roberta: 13 cross-modal layers -> HERO_EINVAL (official: gap 0)",
              "rc %d: %s", rc, err.msg);
        hero_model_free(&m);
        sd_free(d);
    }
    remove(path);
    free(d);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/golden/tiny";
    test_random();
    test_golden(dir);
    test_synthetic();
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

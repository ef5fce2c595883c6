/* hero_golden: compares hero.h against numbers produced by the official HERO implementation.

   usage: hero_golden [--model FILE] [--threads N] [--split-all] [--device cpu|cuda] [--precision fp32|tf32|bf16]
                      [--expect N] [--expect-skip N] DIR...
   (--split-all: every threaded loop is split across the threads, however small: the tiny
   model's shapes then run the threaded code paths too)

   For each DIR (see shared/golden/README.md): loads DIR/config.json and DIR/model.pt
   (--model overrides; DIR/model_legacy.pt, when present, must load to identical weights),
   runs every DIR/<task>.safetensors present and compares every out.* and grad.* tensor.
   One line per quantity:  <task> <tensor-name> <err> OK|FAIL
   with err = max|x - ref| / max(max|ref|, 1e-6), OK when err <= 1e-4. A task file with the
   corpus (raw.*) and the official random choices (choice.*) also has its batch rebuilt by
   hero.h and compared with every in.* tensor the model uses: one line per key, OK only when
   equal (err 0).
   Last line: N passed, N failed. Exit status 0 iff nothing failed.
   An absent task file, train.safetensors or roberta_init/ gives a "# ... absent" line;
   --expect N / --expect-skip N (for the DIRs after it): DIR must give exactly N checked lines
   (OK or FAIL) / N SKIP lines, else a "DIR line-count - FAIL" / "DIR skip-count - FAIL" line.
   A task file without grad.* tensors gives "<task> grad-set - SKIP" (gradients not compared).

   --device: where the models run: cpu (a CPU build) or cuda (a build with HERO_CUDA, `make cuda`:
   every model on the GPU); asking for the other one is an error. --precision (cuda): fp32 keeps
   the rule above (err <= 1e-4). tf32 and bf16 (reduced-precision matrix products) are checked
   with: outputs, losses, trajectories and parameters err <= 3e-2; every gradient tensor by its
   cosine similarity with the reference, printed as 1 - cos, OK when cos >= 0.99 and the norm
   ratio |x| / |ref| is within 1 +- 1e-2 (tf32) / 2e-2 (bf16) (measured worst on tests/golden/tiny:
   0.0021 / 0.0042; the run's worst is printed at the end) (the key-bias gradients, pure noise in
   the reference, keep their floor rule with 3e-2).
   One exception, printed as SKIP lines and counted neither way: VSM's gradients pass through a
   max over frames and hinge terms; where the reference itself is (nearly) tied (top-2 cosines
   within 1e-2, a hinge term within 1e-2 of its kink) and the reduced-precision run took the
   other side, its VSM gradients legitimately differ, and the line says which choice. What the
   tie does not touch is still compared: the span terms' gradients (lw_neg_ctx = lw_neg_q = 0, this
   precision against fp32 on the same model), one "vsm span.grad.<name>" line per parameter. */
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include "golden_io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-4

typedef struct golden_ctx {
    int passed, failed, skipped;
} golden_ctx;

/* the acceptance rule: fp32 (tol 1e-4), or reduced precision (tf32 / bf16) */
static double g_tol = TOL;
static int g_cosine = 0;            /* gradients by cosine similarity */
static double g_ratio_bound = 0;    /* ... and by their norm ratio |x| / |ref|: within 1 +- this (per precision) */
static double g_worst_ratio = 0;    /* the worst |ratio - 1| seen (printed at the end) */
static char g_worst_ratio_name[200];
static hero_precision g_prec = HERO_PREC_FP32;
static int g_device_shown = 0;
/* --dtype: the model's matrices in a reduced format (an inference-only model: outputs and losses
   only, by the rule of that format; no gradients, no training replay, no RoBERTa init) */
static hero_wtype g_wtype = HERO_W_F32;
static int g_isa = -1;
#define TOL_HALF 3e-2 /* bf16 / f16 weights: the GPU's bf16 rule */
#define TOL_Q8 4e-2   /* q8_0 weights and inputs: measured worst 2.2e-2 (vsm out.loss_neg_ctx_mat) on tests/golden/tiny */
static hero_model_options golden_opts(void) {
    hero_model_options o = hero_model_options_default();
    o.wtype = g_wtype;
    o.inference_only = g_wtype != HERO_W_F32;
    o.isa_max = g_isa;
    return o;
}

/* a freshly loaded / initialised model: the precision asked for; says once where it runs */
static int setup_model(hero_model *m, hero_error *err) {
    if (!g_device_shown) {
        fprintf(stderr, "# device: %s, precision %s\n", hero_model_device(m),
               g_prec == HERO_PREC_BF16 ? "bf16" : g_prec == HERO_PREC_TF32 ? "tf32" : "fp32");
        g_device_shown = 1;
    }
    return hero_model_set_precision(m, g_prec, err);
}

/* n floats of model memory (a hero_result array: GPU memory on a GPU model) in a malloc'd host copy */
static float *fetch(hero_model *m, const float *x, int64_t n) {
    float *h;
    hero_error err;
    if (!x || n < 0) return NULL;
    if (!(h = (float *)malloc((size_t)(n ? n : 1) * sizeof(float)))) return NULL;
    if (hero_copy_to_host(m, h, x, (size_t)n * sizeof(float), &err)) {
        fprintf(stderr, "hero_golden: %s\n", err.msg);
        free(h);
        return NULL;
    }
    return h;
}

static void report_tol(golden_ctx *g, const char *task, const char *name, double err, double tol) {
    int ok = err <= tol; /* NaN fails */
    printf("%s %s %.3g %s\n", task, name, err, ok ? "OK" : "FAIL");
    if (ok) g->passed++;
    else g->failed++;
}

static void report(golden_ctx *g, const char *task, const char *name, double err) { report_tol(g, task, name, err, g_tol); }

static void report_msg(golden_ctx *g, const char *task, const char *name, const char *msg) {
    printf("%s %s - FAIL (%s)\n", task, name, msg);
    g->failed++;
}

/* err = max|x - ref| / max(max|ref|, 1e-6) */
static double rel_err(const float *x, const float *ref, int64_t n) {
    double md = 0, mr = 0;
    int64_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)x[i] - (double)ref[i]);
        if (d != d) return NAN;
        if (d > md) md = d;
        if (fabs((double)ref[i]) > mr) mr = fabs((double)ref[i]);
    }
    return md / (mr > 1e-6 ? mr : 1e-6);
}

/* max|t| of a file tensor (0 if absent) */
static double ref_scale(const hero_tensorfile *tf, const char *name) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t n = t ? hero_tensor_numel(t) : 0, i;
    double mx = 0;
    float *v;
    hero_error err;
    if (n <= 0 || !(v = (float *)malloc((size_t)n * sizeof(float)))) return 0;
    if (!hero_tensor_read_f32(t, v, n, &err))
        for (i = 0; i < n; i++) if (fabs((double)v[i]) > mx) mx = fabs((double)v[i]);
    free(v);
    return mx;
}

/* compares x [n] with the file's tensor `name`; floor (>= 1e-6) is the err denominator's floor */
static void check_floor(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *name, const float *x,
                        int64_t n, double floor_);

static void check(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *name, const float *x, int64_t n) {
    check_floor(g, task, tf, name, x, n, 1e-6);
}

/* reduced precision: a gradient x by its cosine similarity with ref [n] (1 - cos reported; two zero
   tensors agree) and its size (|x| / |ref| within the precision's bound) */
static void cosine_verdict(golden_ctx *g, const char *task, const char *name, const float *x, const float *ref, int64_t n) {
    double xy = 0, xx = 0, yy = 0, c, r;
    int64_t i;
    for (i = 0; i < n; i++) {
        xy += (double)x[i] * ref[i];
        xx += (double)x[i] * x[i];
        yy += (double)ref[i] * ref[i];
    }
    if (xx == 0 && yy == 0) c = 1;
    else if (xx == 0 || yy == 0) c = 0;
    else c = xy / sqrt(xx * yy);
    r = yy > 0 ? sqrt(xx / yy) : (xx > 0 ? INFINITY : 1.0);
    if (fabs(r - 1.0) > g_worst_ratio || r != r) {
        g_worst_ratio = r != r ? INFINITY : fabs(r - 1.0);
        snprintf(g_worst_ratio_name, sizeof(g_worst_ratio_name), "%s %s", task, name);
    }
    if (!(fabs(r - 1.0) <= g_ratio_bound) && 1.0 - c <= 0.01) {
        char msg[160];
        snprintf(msg, sizeof(msg), "1 - cos %.3g, but |x| / |ref| = %.4f: outside 1 +- %.2g", 1.0 - c, r, g_ratio_bound);
        report_msg(g, task, name, msg);
    } else {
        report_tol(g, task, name, 1.0 - c, 0.01); /* NaN fails */
    }
}

/* the same against the file's tensor `name` */
static void check_cosine(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *name, const float *x, int64_t n) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    float *ref;
    hero_error err;
    if (!t) { report_msg(g, task, name, "missing in the golden file"); return; }
    if (!x) { report_msg(g, task, name, "not produced"); return; }
    if (hero_tensor_numel(t) != n) { report_msg(g, task, name, "element count differs"); return; }
    ref = (float *)malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!ref || hero_tensor_read_f32(t, ref, n, &err)) { report_msg(g, task, name, "unreadable"); free(ref); return; }
    cosine_verdict(g, task, name, x, ref, n);
    free(ref);
}

static void check_floor(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *name, const float *x,
                        int64_t n, double floor_) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    float *ref;
    hero_error err;
    if (!t) { report_msg(g, task, name, "missing in the golden file"); return; }
    if (!x) { report_msg(g, task, name, "not produced"); return; }
    if (hero_tensor_numel(t) != n) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%lld elements, expected %lld", (long long)n, (long long)hero_tensor_numel(t));
        report_msg(g, task, name, msg);
        return;
    }
    ref = (float *)malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!ref || hero_tensor_read_f32(t, ref, n, &err)) { report_msg(g, task, name, "unreadable"); free(ref); return; }
    {
        double e = rel_err(x, ref, n), mr = 0;
        int64_t i;
        for (i = 0; i < n; i++) if (fabs((double)ref[i]) > mr) mr = fabs((double)ref[i]);
        if (floor_ > 1e-6 && mr < floor_ && e == e) e = e * (mr > 1e-6 ? mr : 1e-6) / floor_;
        report(g, task, name, e);
    }
    free(ref);
}

/* ---- roberta_init: the official pre-training init from a RoBERTa state dict ----
   Paste into tests/hero_golden.c after check() / report() (before run_dir) and call
   check_roberta_init(g, dir) from run_dir (in place of the "roberta_init load - SKIP" line).
   DIR/roberta_init/pytorch_model.bin is loaded with hero_model_init_roberta into a model
   built from DIR/config.json (fresh parameters first: hero_model_init_random) and compared
   with DIR/roberta_init/expected_after_load.safetensors (the official f_encoder state):
     roberta_init <key> <err> OK|FAIL   keys the metadata (from_checkpoint,
                                        derived_from_checkpoint) says come from the file
     roberta_init <key> <err> OK|FAIL   the freshly initialised rest (check_fresh_init): constants
                                        exactly, random tensors by their law (std, mean)
     roberta_init load_report.missing / load_report.unexpected <0|1>: the keys the official
                                        loader logged (metadata load_log) */

/* ", "-joined list of the '...' names inside the [...] that follows `head` in the load log */
static int rb_log_list(const hero_json *log, const char *head, char *out, size_t cap) {
    int i;
    out[0] = 0;
    if (!log || log->type != HERO_JSON_ARRAY) return 0;
    for (i = 0; i < log->n; i++) {
        const char *s = log->items[i].type == HERO_JSON_STRING ? log->items[i].string : NULL, *p;
        size_t o = 0;
        if (!s || !(p = strstr(s, head)) || !(p = strchr(p, '['))) continue;
        for (;;) {
            const char *a = strchr(p, '\''), *b = a ? strchr(a + 1, '\'') : NULL;
            if (!b) break;
            if (o + (size_t)(b - a) + 3 >= cap) break;
            if (o) { memcpy(out + o, ", ", 2); o += 2; }
            memcpy(out + o, a + 1, (size_t)(b - a - 1));
            o += (size_t)(b - a - 1);
            out[o] = 0;
            p = b + 1;
        }
        return 1;
    }
    return 0;
}

/* a parameter the official init sets afresh (not from the RoBERTa file): a constant tensor
   (LayerNorm 1 / 0, zero biases) must hold the same constant (tolerance 0); a random one
   (normal(0, 0.02)) another draw of the same law: its std and mean against the reference's,
   in units of 4 standard errors of n samples (std ratio 4 / sqrt(n), means 4 std sqrt(2 / n)):
   err = the larger of the two, OK when <= 1 */
static void check_fresh_init(golden_ctx *g, const hero_tensor_info *t, const hero_param *p) {
    int64_t n = hero_tensor_numel(t), i;
    float *ref = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    hero_error err;
    int constant = 1;
    double sr = 0, sr2 = 0, sx = 0, sx2 = 0, e;
    if (!ref || n != (int64_t)p->numel || hero_tensor_read_f32(t, ref, n, &err)) {
        report_msg(g, "roberta_init", t->name, "unreadable");
        free(ref);
        return;
    }
    for (i = 0; i < n; i++) {
        constant &= ref[i] == ref[0];
        sr += ref[i]; sr2 += (double)ref[i] * ref[i];
        sx += p->data[i]; sx2 += (double)p->data[i] * p->data[i];
    }
    if (constant) {
        report_tol(g, "roberta_init", t->name, rel_err(p->data, ref, n), 0.0);
    } else {
        double mr = sr / n, mx = sx / n, vr = sr2 / n - mr * mr, vx = sx2 / n - mx * mx;
        double dr = vr > 0 ? sqrt(vr) : 0, dx = vx > 0 ? sqrt(vx) : 0, em;
        e = dr > 0 ? fabs(dx / dr - 1) / (4.0 / sqrt((double)n)) : 2;
        em = dr > 0 ? fabs(mx - mr) / (4.0 * dr * sqrt(2.0 / (double)n)) : 2;
        report_tol(g, "roberta_init", t->name, e > em ? e : em, 1.0);
    }
    free(ref);
}

static void check_roberta_init(golden_ctx *g, const char *dir) {
    char cfgp[1024], bin[1024], expp[1024];
    static char want[8192];
    hero_config c;
    hero_model m;
    hero_error err;
    hero_load_report rep;
    hero_tensorfile tf;
    hero_json from, derived, log;
    const char *s;
    int i;
    FILE *f;
    snprintf(cfgp, sizeof(cfgp), "%s/config.json", dir);
    snprintf(bin, sizeof(bin), "%s/roberta_init/pytorch_model.bin", dir);
    snprintf(expp, sizeof(expp), "%s/roberta_init/expected_after_load.safetensors", dir);
    if (!(f = fopen(bin, "rb"))) return; /* no roberta_init golden in this directory */
    fclose(f);
    if (hero_config_from_json(&c, cfgp, &err) || hero_model_init(&m, &c, &err)) {
        report_msg(g, "roberta_init", "model", err.msg);
        return;
    }
    if (setup_model(&m, &err) || hero_model_init_random(&m, 20200517u) || hero_model_init_roberta(&m, bin, NULL, &rep, &err)) {
        report_msg(g, "roberta_init", "load", err.msg);
        hero_model_free(&m);
        return;
    }
    if (hero_tensorfile_open(&tf, expp, &err)) {
        report_msg(g, "roberta_init", "expected_after_load", err.msg);
        hero_model_free(&m);
        return;
    }
    memset(&from, 0, sizeof(from));
    memset(&derived, 0, sizeof(derived));
    memset(&log, 0, sizeof(log));
    if (!(s = hero_tensorfile_meta(&tf, "from_checkpoint")) || hero_json_parse(s, strlen(s), &from, &err) ||
        !(s = hero_tensorfile_meta(&tf, "derived_from_checkpoint")) || hero_json_parse(s, strlen(s), &derived, &err) ||
        !(s = hero_tensorfile_meta(&tf, "load_log")) || hero_json_parse(s, strlen(s), &log, &err)) {
        report_msg(g, "roberta_init", "metadata", "from_checkpoint / derived_from_checkpoint / load_log missing or bad");
    } else {
        for (i = 0; i < tf.n_tensors; i++) {
            const hero_tensor_info *t = &tf.tensors[i];
            const char *name = t->name;
            hero_param *p = hero_model_param(&m, name);
            int d, ok;
            if (!strcmp(name, "v_encoder.f_encoder.lm_head.decoder.weight"))
                p = hero_model_param(&m, "v_encoder.f_encoder.embeddings.word_embeddings.weight"); /* tied */
            if (hero_json_get(&from, name) || hero_json_get(&derived, name)) {
                if (!p) { report_msg(g, "roberta_init", name, "no such parameter"); continue; }
                ok = t->ndim == p->ndim;
                for (d = 0; ok && d < p->ndim; d++) ok = t->shape[d] == p->shape[d];
                if (!ok) { report_msg(g, "roberta_init", name, "shape differs"); continue; }
                check(g, "roberta_init", &tf, name, p->data, (int64_t)p->numel);
            } else if (!strcmp(name, "v_encoder.f_encoder.pad")) { /* zero buffer, not a parameter */
                report(g, "roberta_init", name, t->ndim == 2 && t->shape[0] == 8 && t->shape[1] == c.H ? 0.0 : 1.0);
            } else {
                ok = p && t->ndim == p->ndim;
                for (d = 0; ok && d < p->ndim; d++) ok = t->shape[d] == p->shape[d];
                if (!ok) report(g, "roberta_init", name, 1.0);
                else check_fresh_init(g, t, p);
            }
        }
        /* the official loader's log: keys not initialised from the file, keys not used */
        if (rb_log_list(&log, "not initialized from pretrained model", want, sizeof(want)))
            report(g, "roberta_init", "load_report.missing", strcmp(want, rep.missing) == 0 ? 0.0 : 1.0);
        else
            report(g, "roberta_init", "load_report.missing", rep.n_missing == 0 ? 0.0 : 1.0);
        if (rb_log_list(&log, "not used in", want, sizeof(want)))
            report(g, "roberta_init", "load_report.unexpected", strcmp(want, rep.unexpected) == 0 ? 0.0 : 1.0);
        else
            report(g, "roberta_init", "load_report.unexpected", rep.n_unexpected == 0 ? 0.0 : 1.0);
    }
    hero_json_free(&from);
    hero_json_free(&derived);
    hero_json_free(&log);
    hero_tensorfile_close(&tf);
    hero_model_free(&m);
}

static const char *TASKS[] = {"repr", "mlm", "mfm-nce", "mffr", "fom", "vsm"};
static const hero_task TASK_IDS[] = {HERO_TASK_REPR, HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_MFFR, HERO_TASK_FOM,
                                     HERO_TASK_VSM};

/* every out.* tensor of the file against what hero.h produced */
static void check_outputs(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf, const hero_batch *b,
                          const hero_result *r) {
    int H = m->cfg.H, i;
    int64_t S = b->S, Lg = b->Lg, BL = (int64_t)b->B * b->L, Nq = b->Nq;
    for (i = 0; i < tf->n_tensors; i++) {
        const char *name = tf->tensors[i].name;
        const char *k = name + 4;
        const float *x = NULL;
        float scalar = 0;
        int64_t n = -1;
        if (strncmp(name, "out.", 4) != 0) continue;
        if (!strcmp(k, "loss")) { scalar = r->loss; x = &scalar; n = 1; }
        else if (!strcmp(k, "f_sequence_output")) { x = r->f_seq; n = S * Lg * H; }
        else if (!strcmp(k, "f_pooled_output")) { x = r->f_pooled; n = S * H; }
        else if (!strcmp(k, "transformed_c_v_feats")) { x = r->transformed; n = BL * H; }
        else if (!strcmp(k, "c_sequence_output")) { x = r->c_seq; n = BL * H; }
        else if (!strcmp(k, "loss_vec")) { x = r->loss_vec; n = (int64_t)r->n_loss_vec * r->loss_vec_cols; }
        else if (!strcmp(k, "prediction_scores") || !strcmp(k, "logits")) { x = r->scores; n = (int64_t)r->n_rows * r->n_cols; }
        else if (!strcmp(k, "prediction_feat")) { x = r->pred_feat; n = (int64_t)r->n_pred * m->cfg.F; }
        else if (!strcmp(k, "neg_pred_feat")) { x = r->neg_pred_feat; n = (int64_t)r->n_neg * m->cfg.F; }
        else if (!strcmp(k, "loss_st_ed")) { scalar = r->loss_st_ed; x = &scalar; n = 1; }
        else if (!strcmp(k, "loss_neg_ctx")) { scalar = r->loss_neg_ctx; x = &scalar; n = 1; }
        else if (!strcmp(k, "loss_neg_q")) { scalar = r->loss_neg_q; x = &scalar; n = 1; }
        else if (!strcmp(k, "st_prob")) { x = r->st_prob; n = Nq * BL; }
        else if (!strcmp(k, "ed_prob")) { x = r->ed_prob; n = Nq * BL; }
        else if (!strcmp(k, "q2video_scores")) { x = r->q2video; n = Nq * b->B; }
        else if (!strcmp(k, "loss_neg_ctx_mat")) { x = r->neg_ctx_mat; n = Nq * r->neg_ctx_cols; }
        else if (!strcmp(k, "loss_neg_q_mat")) { x = r->neg_q_mat; n = Nq * r->neg_q_cols; }
        else if (!strcmp(k, "modularized_query")) { x = r->mod_query; n = Nq * H; }
        else if (!strncmp(k, "infer_", 6)) continue; /* checked by check_inference */
        else { report_msg(g, task, name, "unknown output"); continue; }
        if (x == &scalar) {
            check(g, task, tf, name, x, n);
        } else { /* model memory (the GPU's on a GPU model) */
            float *h = fetch(m, x, n);
            check(g, task, tf, name, h, n);
            free(h);
        }
    }
}

/* the retrieval-inference outputs: every query against every video, as the official VCMR eval */
static void check_inference(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf, const hero_batch *b,
                            const hero_result *r) {
    int H = m->cfg.H, Nq = b->Nq, B = b->B, L = b->L;
    size_t BLH = (size_t)B * L * H;
    float *frames, *mq, *q2v, *st, *ed;
    hero_error err;
    if (!hero_tensorfile_find(tf, "out.infer_q2video_scores")) return;
    frames = (float *)malloc(BLH * sizeof(float));
    mq = (float *)malloc((size_t)Nq * H * sizeof(float));
    q2v = (float *)malloc((size_t)Nq * B * sizeof(float));
    st = (float *)malloc((size_t)Nq * B * L * sizeof(float));
    ed = (float *)malloc((size_t)Nq * B * L * sizeof(float));
    if (!frames || !mq || !q2v || !st || !ed) { report_msg(g, task, "infer", "out of memory"); goto done; }
    /* the next calls reuse the model's arena */
    if (hero_copy_to_host(m, frames, r->c_seq, BLH * sizeof(float), &err) ||
        hero_encode_queries(m, b->q_ids, b->q_mask, Nq, b->Lq, mq, &err) ||
        hero_vcmr_scores(m, mq, Nq, frames, b->c_attn_mask, B, L, q2v, st, ed, &err)) {
        report_msg(g, task, "infer", err.msg);
        goto done;
    }
    check(g, task, tf, "out.infer_frame_embeddings", frames, (int64_t)BLH);
    check(g, task, tf, "out.infer_q2video_scores", q2v, (int64_t)Nq * B);
    check(g, task, tf, "out.infer_st_prob", st, (int64_t)Nq * B * L);
    check(g, task, tf, "out.infer_ed_prob", ed, (int64_t)Nq * B * L);
done:
    free(frames); free(mq); free(q2v); free(st); free(ed);
}

/* reduced precision, VSM: did this run take another side of a (nearly) tied discrete choice of the
   reference (the max over frames, a hinge kink)? Writes the reason into why. */
static int vsm_tie(hero_model *m, const hero_tensorfile *tf, const hero_batch *b, const hero_result *r, char *why, size_t n) {
    int H = m->cfg.H, B = b->B, L = b->L, Nq = b->Nq, q, v, l, k, found = 0;
    const hero_tensor_info *tfr = hero_tensorfile_find(tf, "out.infer_frame_embeddings");
    const hero_tensor_info *tmq = hero_tensorfile_find(tf, "out.modularized_query");
    float *rf = NULL, *rq = NULL, *of = NULL, *oq = NULL;
    hero_error err;
    if (!tfr || !tmq || hero_tensor_numel(tfr) != (int64_t)B * L * H || hero_tensor_numel(tmq) != (int64_t)Nq * H) return 0;
    rf = (float *)calloc((size_t)B * L * H, sizeof(float));
    rq = (float *)calloc((size_t)Nq * H, sizeof(float));
    of = fetch(m, r->c_seq, (int64_t)B * L * H);
    oq = fetch(m, r->mod_query, (int64_t)Nq * H);
    if (!rf || !rq || !of || !oq || hero_tensor_read_f32(tfr, rf, (int64_t)B * L * H, &err) ||
        hero_tensor_read_f32(tmq, rq, (int64_t)Nq * H, &err))
        goto done;
    for (q = 0; q < Nq && !found; q++)
        for (v = 0; v < B && !found; v++) {
            double best[2] = {-1e30, -1e30}, at_other = 0;
            int arg[2] = {0, 0}, s;
            for (s = 0; s < 2; s++) { /* 0: the reference, 1: this run */
                const float *fr = s ? of : rf, *mq = s ? oq : rq;
                for (l = 0; l < L; l++) {
                    double d = 0, n1 = 0, n2 = 0, c;
                    int h;
                    for (h = 0; h < H; h++) {
                        d += (double)mq[q * H + h] * fr[((size_t)v * L + l) * H + h];
                        n1 += (double)mq[q * H + h] * mq[q * H + h];
                        n2 += (double)fr[((size_t)v * L + l) * H + h] * fr[((size_t)v * L + l) * H + h];
                    }
                    c = b->c_attn_mask[v * L + l] ? d / (sqrt(n1 * n2) + 1e-30) : -1e4;
                    if (c > best[s]) { best[s] = c; arg[s] = l; }
                }
            }
            if (arg[0] != arg[1]) { /* the reference's cosine at this run's choice */
                const float *fr = rf, *mq = rq;
                double d = 0, n1 = 0, n2 = 0;
                int h;
                for (h = 0; h < H; h++) {
                    d += (double)mq[q * H + h] * fr[((size_t)v * L + arg[1]) * H + h];
                    n1 += (double)mq[q * H + h] * mq[q * H + h];
                    n2 += (double)fr[((size_t)v * L + arg[1]) * H + h] * fr[((size_t)v * L + arg[1]) * H + h];
                }
                at_other = d / (sqrt(n1 * n2) + 1e-30);
                if (best[0] - at_other < 1e-2) {
                    snprintf(why, n, "the max over frames of query %d / video %d is tied in the reference (frames %d and %d, "
                             "cosines %.6f and %.6f) and this run took frame %d", q, v, arg[0], arg[1], best[0], at_other, arg[1]);
                    found = 1;
                }
            }
        }
    for (k = 0; k < 2 && !found; k++) { /* hinge terms on the other side of their kink */
        const char *key = k ? "out.loss_neg_q_mat" : "out.loss_neg_ctx_mat";
        const hero_tensor_info *t = hero_tensorfile_find(tf, key);
        int64_t cnt = (int64_t)Nq * (k ? r->neg_q_cols : r->neg_ctx_cols), i;
        float *ref, *ours;
        if (!t || hero_tensor_numel(t) != cnt || cnt <= 0) continue;
        ref = (float *)malloc((size_t)cnt * sizeof(float));
        ours = fetch(m, k ? r->neg_q_mat : r->neg_ctx_mat, cnt);
        if (ref && ours && !hero_tensor_read_f32(t, ref, cnt, &err))
            for (i = 0; i < cnt && !found; i++)
                if ((ref[i] > 0) != (ours[i] > 0) && fabs((double)ref[i] - ours[i]) < 1e-2) {
                    snprintf(why, n, "hinge term %lld of %s is at its kink in the reference (%.3g) and this run has %.3g",
                             (long long)i, key + 4, (double)ref[i], (double)ours[i]);
                    found = 1;
                }
        free(ref);
        free(ours);
    }
done:
    free(rf); free(rq); free(of); free(oq);
    return found;
}

/* reduced precision across a VSM tie: the ranking terms' gradients took the other side of the tie
   (their grad.* lines are SKIP), but the span terms (st / ed over the frames of each query's own
   video: no max over frames, no hinge) must still agree. The same batch with lw_neg_ctx = lw_neg_q
   = 0, this precision against fp32 on the same model: one line "<task> span.grad.<name> <1 - cos>
   OK|FAIL" per parameter with a gradient (the key biases, zero up to rounding noise, by the floor
   rule against their key weight's gradient, 3e-2). */
static void check_vsm_span(golden_ctx *g, hero_model *m, const char *task, const hero_batch *b) {
    float lc = m->cfg.lw_neg_ctx, lq = m->cfg.lw_neg_q;
    float **ref = (float **)calloc((size_t)m->n_params, sizeof(float *));
    hero_result r;
    hero_error err;
    int i, k;
    char name[200];
    if (!ref) { report_msg(g, task, "span.grad", "out of memory"); return; }
    m->cfg.lw_neg_ctx = 0;
    m->cfg.lw_neg_q = 0;
    for (k = 0; k < 2; k++) { /* 0: fp32 (the reference), 1: the precision under test */
        if (hero_model_set_precision(m, k ? g_prec : HERO_PREC_FP32, &err)) { report_msg(g, task, "span.grad", err.msg); break; }
        hero_zero_grad(m);
        for (i = 0; i < m->n_params; i++) m->table[i].has_grad = 0;
        if (hero_forward_backward(m, b, 1, NULL, &r, &err) || hero_model_download(m, &err)) {
            report_msg(g, task, "span.grad", err.msg);
            break;
        }
        for (i = 0; i < m->n_params; i++) {
            hero_param *p = &m->table[i];
            if (!k) {
                if (p->has_grad && (ref[i] = (float *)malloc(p->numel * sizeof(float))) != NULL)
                    memcpy(ref[i], p->grad, p->numel * sizeof(float));
                continue;
            }
            snprintf(name, sizeof(name), "span.grad.%s", p->name);
            if (!p->has_grad != !ref[i]) { report_msg(g, task, name, "a gradient in one precision only"); continue; }
            if (!p->has_grad) continue;
            if (strstr(p->name, "self.key.bias")) {
                char wname[160];
                size_t l = strlen(p->name);
                hero_param *w;
                double scale = 0, e = 0;
                size_t j;
                snprintf(wname, sizeof(wname), "%.*sweight", (int)(l - 4), p->name);
                w = hero_model_param(m, wname);
                if (w && ref[w - m->table])
                    for (j = 0; j < w->numel; j++) if (fabs((double)ref[w - m->table][j]) > scale) scale = fabs((double)ref[w - m->table][j]);
                for (j = 0; j < p->numel; j++) {
                    double d = fabs((double)p->grad[j] - ref[i][j]);
                    if (!(d <= e)) e = d; /* NaN stays */
                }
                report_tol(g, task, name, e / (scale > 1e-6 ? scale : 1e-6), 3e-2);
            } else {
                cosine_verdict(g, task, name, p->grad, ref[i], (int64_t)p->numel);
            }
        }
    }
    m->cfg.lw_neg_ctx = lc;
    m->cfg.lw_neg_q = lq;
    if (hero_model_set_precision(m, g_prec, &err)) report_msg(g, task, "span.grad", err.msg);
    for (i = 0; i < m->n_params; i++) free(ref[i]);
    free(ref);
}

/* grad.<key> for every key in the file; and no gradient where the official model has none */
static void check_grads(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf, const char *tie) {
    int i, wrong = 0;
    char msg[256] = "";
    hero_error err;
    if (hero_model_download(m, &err)) { report_msg(g, task, "grad", err.msg); return; } /* GPU -> table grads */
    for (i = 0; i < tf->n_tensors && strncmp(tf->tensors[i].name, "grad.", 5) != 0; i++) {}
    if (i == tf->n_tensors) { /* outputs only (e.g. a released-shape check): nothing to compare the gradients with */
        printf("%s grad-set - SKIP (the task file holds no grad.* tensors: gradients not compared)\n", task);
        g->skipped++;
        return;
    }
    if (tie) printf("# %s gradients not compared: %s\n", task, tie);
    for (i = 0; i < tf->n_tensors; i++) {
        const char *name = tf->tensors[i].name;
        hero_param *p;
        if (strncmp(name, "grad.", 5) != 0) continue;
        p = hero_model_param(m, name + 5);
        if (!p) { report_msg(g, task, name, "no such parameter"); continue; }
        if (tie) {
            printf("%s %s - SKIP (reduced precision across a tie of the reference, see above)\n", task, name);
            g->skipped++;
        } else if (strstr(name, "self.key.bias")) {
            /* d loss / d key bias is identically 0 (softmax is shift invariant): the reference holds
               rounding noise of the sums that produce it, so its scale is the key weight gradient's */
            char wname[160];
            size_t l = strlen(name);
            snprintf(wname, sizeof(wname), "%.*sweight", (int)(l - 4), name);
            check_floor(g, task, tf, name, p->grad, (int64_t)p->numel, ref_scale(tf, wname));
        } else if (g_cosine) {
            check_cosine(g, task, tf, name, p->grad, (int64_t)p->numel);
        } else {
            check(g, task, tf, name, p->grad, (int64_t)p->numel);
        }
        if (!p->has_grad) { wrong++; snprintf(msg, sizeof(msg), "%s got no gradient", p->name); }
    }
    for (i = 0; i < m->n_params; i++) {
        char key[128];
        snprintf(key, sizeof(key), "grad.%s", m->table[i].name);
        if (m->table[i].has_grad && !hero_tensorfile_find(tf, key)) {
            wrong++;
            snprintf(msg, sizeof(msg), "%s got a gradient, the official model has none", m->table[i].name);
        }
    }
    if (wrong) report_msg(g, task, "grad-set", msg);
    else report(g, task, "grad-set", 0.0);
}

/* the batch rebuilt from raw.* + choice.* by hero.h's own builder against every in.* key */
static void check_batch_from_raw(golden_ctx *g, const hero_model *m, const char *task, hero_task id,
                                 const hero_tensorfile *tf) {
    hero_batch b;
    hero_batch_field f[HERO_BATCH_MAX_FIELDS];
    hero_error err;
    int i, n;
    if (golden_batch_from_raw(&b, id, tf, m->cfg.V, &err)) { report_msg(g, task, "batch-from-raw", err.msg); return; }
    n = hero_batch_fields(&b, f);
    for (i = 0; i < n; i++) {
        char name[96];
        double e;
        snprintf(name, sizeof(name), "in.%s", f[i].key);
        if (golden_field_err(&f[i], tf, &e, &err)) report_msg(g, task, name, err.msg);
        else report_tol(g, task, name, e, 0.0);
    }
    if (b.B > 0 && hero_tensorfile_find(tf, "in.vids")) {
        /* the batch's videos as raw video indices: golden_batch_from_raw gives the builder the
           raw.* corpus in order, so video i of the batch is raw video i */
        hero_batch_field v;
        int32_t *ids = (int32_t *)calloc((size_t)b.B, sizeof(int32_t));
        double e;
        if (!ids) { report_msg(g, task, "in.vids", "out of memory"); hero_batch_free(&b); return; }
        for (i = 0; i < b.B; i++) ids[i] = i;
        memset(&v, 0, sizeof(v));
        v.key = "vids"; v.dtype = HERO_I32; v.data = ids; v.ndim = 1; v.shape[0] = b.B;
        if (golden_field_err(&v, tf, &e, &err)) report_msg(g, task, "in.vids", err.msg);
        else report_tol(g, task, "in.vids", e, 0.0);
        free(ids);
    }
    hero_batch_free(&b);
}

static void run_task(golden_ctx *g, hero_model *m, const char *dir, int ti) {
    char path[1024];
    const char *task = TASKS[ti];
    hero_tensorfile tf;
    hero_batch b;
    hero_result r;
    hero_error err;
    float *probe = NULL;
    int i;
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s.safetensors", dir, task);
    if (!(f = fopen(path, "rb"))) { printf("# %s: %s absent, not compared\n", task, path); return; }
    fclose(f);
    if (hero_tensorfile_open(&tf, path, &err)) { report_msg(g, task, "file", err.msg); return; }
    memset(&b, 0, sizeof(b));
    if (golden_batch_from_in(&b, TASK_IDS[ti], &tf, &err)) {
        report_msg(g, task, "batch", err.msg);
        hero_tensorfile_close(&tf);
        return;
    }
    if (TASK_IDS[ti] == HERO_TASK_REPR) {
        const hero_tensor_info *t = hero_tensorfile_find(&tf, "in.probe");
        if (t) {
            int64_t n = hero_tensor_numel(t);
            probe = (float *)malloc((size_t)n * sizeof(float));
            if (!probe || hero_tensor_read_f32(t, probe, n, &err)) { free(probe); probe = NULL; }
        }
    }
    hero_zero_grad(m);
    for (i = 0; i < m->n_params; i++) m->table[i].has_grad = 0;
    if (m->inference_only) { /* --dtype: a backward must be refused with a message; outputs only */
        int rc = hero_forward_backward(m, &b, 1, probe, &r, &err);
        if (rc == HERO_EINVAL && strstr(err.msg, "inference-only")) report_tol(g, task, "backward-refused", 0.0, 0.0);
        else report_msg(g, task, "backward-refused", rc ? err.msg : "a backward ran on an inference-only model");
        if (hero_forward_backward(m, &b, 0, probe, &r, &err)) report_msg(g, task, "forward", err.msg);
        else {
            check_outputs(g, m, task, &tf, &b, &r);
            if (TASK_IDS[ti] == HERO_TASK_VSM) check_inference(g, m, task, &tf, &b, &r);
        }
    } else if (hero_forward_backward(m, &b, 1, probe, &r, &err)) {
        report_msg(g, task, "forward", err.msg);
    } else {
        char why[512];
        int tie = g_cosine && TASK_IDS[ti] == HERO_TASK_VSM && vsm_tie(m, &tf, &b, &r, why, sizeof(why));
        check_outputs(g, m, task, &tf, &b, &r);
        check_grads(g, m, task, &tf, tie ? why : NULL);
        if (TASK_IDS[ti] == HERO_TASK_VSM) check_inference(g, m, task, &tf, &b, &r);
        if (tie) check_vsm_span(g, m, task, &b);
    }
    if (hero_tensorfile_find(&tf, "raw.nframes")) check_batch_from_raw(g, m, task, TASK_IDS[ti], &tf);
    free(probe);
    hero_batch_free(&b);
    hero_tensorfile_close(&tf);
}

static int file_exists(const char *p) {
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static int task_index(const char *name) {
    int i;
    for (i = 0; i < (int)(sizeof(TASKS) / sizeof(TASKS[0])); i++)
        if (!strcmp(TASKS[i], name)) return i;
    return -1;
}

/* a number from the optimizer metadata JSON (or the schedule text inside it) */
static double meta_num(const hero_json *o, const char *key, double dflt) {
    const hero_json *v = hero_json_get(o, key);
    return v && v->type == HERO_JSON_NUMBER ? v->number : dflt;
}
static double sched_num(const char *text, const char *key, double dflt) {
    const char *p = text ? strstr(text, key) : NULL;
    return p ? atof(p + strlen(key)) : dflt;
}

/* compares every <prefix><key> tensor of tf with the model's parameters */
static void check_params(golden_ctx *g, hero_model *m, const hero_tensorfile *tf, const char *prefix) {
    int i;
    size_t pl = strlen(prefix);
    hero_error err;
    if (hero_model_download(m, &err)) { report_msg(g, "train", prefix, err.msg); return; } /* GPU -> table data */
    for (i = 0; i < tf->n_tensors; i++) {
        const char *name = tf->tensors[i].name;
        hero_param *p;
        if (strncmp(name, prefix, pl) != 0) continue;
        p = hero_model_param(m, name + pl);
        if (!p) { report_msg(g, "train", name, "no such parameter"); continue; }
        check(g, "train", tf, name, p->data, (int64_t)p->numel);
    }
}

/* replays DIR/train.safetensors: the official update rule over the stored task batches */
static void run_train(golden_ctx *g, const char *dir, const char *cfg, const char *ckpt) {
    char path[1024];
    hero_tensorfile tf, tasks[6];
    hero_batch batches[6];
    hero_json sched, opt;
    hero_model m;
    hero_optimizer o;
    hero_adamw_config ac;
    hero_error err;
    float micro[64], norms[32], lrs[32];
    int have[6] = {0, 0, 0, 0, 0, 0}, u, k, n_upd, accum, ok = 1, i;
    snprintf(path, sizeof(path), "%s/train.safetensors", dir);
    if (hero_tensorfile_open(&tf, path, &err)) { report_msg(g, "train", "file", err.msg); return; }
    memset(&sched, 0, sizeof(sched)); memset(&opt, 0, sizeof(opt));
    if (!hero_tensorfile_meta(&tf, "schedule") || !hero_tensorfile_meta(&tf, "optimizer") ||
        hero_json_parse(hero_tensorfile_meta(&tf, "schedule"), strlen(hero_tensorfile_meta(&tf, "schedule")), &sched, &err) ||
        hero_json_parse(hero_tensorfile_meta(&tf, "optimizer"), strlen(hero_tensorfile_meta(&tf, "optimizer")), &opt, &err) ||
        sched.type != HERO_JSON_ARRAY || sched.n > 32) {
        report_msg(g, "train", "metadata", "schedule / optimizer metadata unreadable");
        hero_json_free(&sched); hero_json_free(&opt); hero_tensorfile_close(&tf);
        return;
    }
    ac = hero_adamw_default();
    ac.lr = (float)meta_num(&opt, "learning_rate", ac.lr);
    if (hero_json_get(&opt, "betas") && hero_json_get(&opt, "betas")->n == 2) {
        ac.beta1 = (float)hero_json_get(&opt, "betas")->items[0].number;
        ac.beta2 = (float)hero_json_get(&opt, "betas")->items[1].number;
    }
    ac.eps = (float)meta_num(&opt, "eps", ac.eps);
    ac.weight_decay = (float)meta_num(&opt, "weight_decay", ac.weight_decay);
    ac.grad_clip = (float)meta_num(&opt, "grad_norm_clip", ac.grad_clip);
    accum = (int)meta_num(&opt, "gradient_accumulation_steps", 1);
    if (hero_json_get(&opt, "schedule") && hero_json_get(&opt, "schedule")->type == HERO_JSON_STRING) {
        ac.warmup_steps = (int64_t)sched_num(hero_json_get(&opt, "schedule")->string, "warmup_steps=", 0);
        ac.total_steps = (int64_t)sched_num(hero_json_get(&opt, "schedule")->string, "num_train_steps=", 1);
    }
    n_upd = sched.n;
    if (accum < 1 || n_upd * accum > 64) { report_msg(g, "train", "metadata", "accumulation out of range"); ok = 0; }
    if (ok && hero_model_load(&m, cfg, ckpt, NULL, &err)) { report_msg(g, "train", "load", err.msg); ok = 0; }
    else if (ok && setup_model(&m, &err)) { report_msg(g, "train", "precision", err.msg); hero_model_free(&m); ok = 0; }
    if (!ok) { hero_json_free(&sched); hero_json_free(&opt); hero_tensorfile_close(&tf); return; }
    if (hero_optimizer_init(&o, &m, &ac, &err)) { report_msg(g, "train", "optimizer", err.msg); ok = 0; }
    for (u = 0; ok && u < n_upd; u++) {
        int ti = sched.items[u].type == HERO_JSON_STRING ? task_index(sched.items[u].string) : -1;
        if (ti < 0) { report_msg(g, "train", "schedule", "unknown task"); ok = 0; break; }
        if (!have[ti]) {
            snprintf(path, sizeof(path), "%s/%s.safetensors", dir, TASKS[ti]);
            memset(&batches[ti], 0, sizeof(batches[ti]));
            if (hero_tensorfile_open(&tasks[ti], path, &err) || golden_batch_from_in(&batches[ti], TASK_IDS[ti], &tasks[ti], &err)) {
                report_msg(g, "train", path, err.msg); ok = 0; break;
            }
            have[ti] = 1;
        }
        for (k = 0; k < accum; k++) {
            hero_result r;
            if (hero_forward_backward(&m, &batches[ti], 1, NULL, &r, &err)) { report_msg(g, "train", "forward", err.msg); ok = 0; break; }
            micro[u * accum + k] = r.loss;
        }
        if (!ok) break;
        if (hero_optimizer_step(&o, &m, &norms[u], &lrs[u], &err)) { report_msg(g, "train", "step", err.msg); ok = 0; break; }
        if (u == 0) check_params(g, &m, &tf, "param1.");
    }
    if (ok) {
        char *wd = NULL;
        const char *list = hero_tensorfile_meta(&tf, "weight_decay_params");
        int wrong = 0;
        check(g, "train", &tf, "traj.micro_loss", micro, (int64_t)n_upd * accum);
        check(g, "train", &tf, "traj.grad_norm", norms, n_upd);
        check(g, "train", &tf, "traj.lr", lrs, n_upd);
        check_params(g, &m, &tf, "param.");
        if (list) { /* the decay groups: same set of names as the official rule */
            for (i = 0; i < m.n_params; i++) {
                char q[128];
                snprintf(q, sizeof(q), "\"%s\"", m.table[i].name);
                if ((strstr(list, q) != NULL) != (m.table[i].decay != 0)) { wrong++; wd = m.table[i].name; }
            }
            if (wrong) report_msg(g, "train", "weight-decay-set", wd);
            else report(g, "train", "weight-decay-set", 0.0);
        }
    }
    for (i = 0; i < 6; i++) if (have[i]) { hero_batch_free(&batches[i]); hero_tensorfile_close(&tasks[i]); }
    hero_optimizer_free(&o);
    hero_model_free(&m);
    hero_json_free(&sched); hero_json_free(&opt);
    hero_tensorfile_close(&tf);
}

/* ---- tvr_eval: the official metric code alone (DIR/tvr_eval.safetensors; no model) ----
   The submissions in.{VCMR,SVMR,VR} are cut to max_after_nms in place (out.sub.*), scored
   (out.metrics.*), NMS'd (out.nms.*) and scored again (out.metrics_nms.*); out.didemo_metrics.*
   scores the cut submissions against four windows per query. Every value is compared exactly
   (err = max |x - ref|, OK only at 0; NaN equals NaN), and every out.* tensor of the file must
   be one of these (otherwise a FAIL line says it was not computed). */

/* a whole F64 / I64 tensor of tf as doubles (malloc'd), with its element count; NULL if absent or unreadable */
static double *tvr_read(const hero_tensorfile *tf, const char *name, int64_t *n_out, const hero_tensor_info **info) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t n = t ? hero_tensor_numel(t) : -1, i, expect = 1;
    double *v;
    int d;
    if (info) *info = t;
    if (!t || n < 0 || n > ((int64_t)1 << 26)) return NULL;
    for (d = t->ndim - 1; d >= 0; d--) { /* contiguous, as safetensors stores them */
        if (t->stride[d] != expect) return NULL;
        expect *= t->shape[d];
    }
    if (!(v = (double *)malloc((size_t)(n ? n : 1) * sizeof(double)))) return NULL;
    if (t->dtype == HERO_F64) {
        if (t->offset < 0 || (t->offset + n) * 8 > t->storage_nbytes) { free(v); return NULL; }
        for (i = 0; i < n; i++) {
            const unsigned char *b = t->storage + (t->offset + i) * 8;
            uint64_t u = 0;
            int j;
            for (j = 7; j >= 0; j--) u = (u << 8) | b[j];
            memcpy(&v[i], &u, sizeof(double));
        }
    } else {
        int64_t *w = (int64_t *)calloc((size_t)(n ? n : 1), sizeof(int64_t));
        hero_error err;
        if (!w || hero_tensor_read_i64(t, w, n, &err)) { free(w); free(v); return NULL; }
        for (i = 0; i < n; i++) v[i] = (double)w[i];
        free(w);
    }
    if (n_out) *n_out = n;
    return v;
}

/* in.<task>.{pred,n,qidx} as a submission */
static int tvr_read_sub(const hero_tensorfile *tf, const char *prefix, hero_tvr_sub *s, char *why, size_t cap) {
    char name[128];
    const hero_tensor_info *tp;
    double *p, *n = NULL, *q = NULL;
    int64_t np_, nn, nq, i;
    hero_error err;
    snprintf(name, sizeof(name), "%s.pred", prefix);
    p = tvr_read(tf, name, &np_, &tp);
    snprintf(name, sizeof(name), "%s.n", prefix);
    n = tvr_read(tf, name, &nn, NULL);
    snprintf(name, sizeof(name), "%s.qidx", prefix);
    q = tvr_read(tf, name, &nq, NULL);
    if (!p || !n || !q || tp->ndim != 3 || tp->shape[2] != 4 || tp->shape[0] != nn || nn != nq || tp->shape[1] > HERO_TVR_MAX_ROWS) {
        snprintf(why, cap, "%s: missing or malformed pred / n / qidx", prefix);
        free(p); free(n); free(q);
        return -1;
    }
    if (hero_tvr_sub_init(s, (int)nn, (int)tp->shape[1], &err)) {
        snprintf(why, cap, "%s", err.msg);
        free(p); free(n); free(q);
        return -1;
    }
    memcpy(s->pred, p, (size_t)np_ * sizeof(double));
    for (i = 0; i < nn; i++) { s->n[i] = (int32_t)n[i]; s->qidx[i] = (int32_t)q[i]; }
    free(p); free(n); free(q);
    return 0;
}

/* the computed values, by output name */
typedef struct tvr_val { char name[96]; const hero_tvr_sub *sub; double v; } tvr_val;
typedef struct tvr_vals { tvr_val *a; int n, cap; } tvr_vals;

static void tvr_put(tvr_vals *t, const char *name, const hero_tvr_sub *sub, double v) {
    if (t->n == t->cap) {
        int c = t->cap ? 2 * t->cap : 256;
        tvr_val *a = (tvr_val *)realloc(t->a, (size_t)c * sizeof(tvr_val));
        if (!a) return;
        t->a = a;
        t->cap = c;
    }
    snprintf(t->a[t->n].name, sizeof(t->a[t->n].name), "%s", name);
    t->a[t->n].sub = sub;
    t->a[t->n].v = v;
    t->n++;
}

static void tvr_put_metrics(tvr_vals *t, const char *group, const char *task, const hero_tvr_metrics *m) {
    char key[32], name[96];
    int ty, i, k, ni = m->task == HERO_TVR_VR ? 1 : HERO_TVR_N_IOU;
    for (i = 0; i < ni; i++)
        for (k = 0; k < HERO_TVR_N_K; k++) {
            snprintf(name, sizeof(name), "out.%s.%s.%s", group, task, hero_tvr_metric_key(key, sizeof(key), m->task, -1, i, k));
            tvr_put(t, name, NULL, m->r[i][k]);
            for (ty = 0; m->has_types && ty < 3; ty++) {
                snprintf(name, sizeof(name), "out.%s.%s_by_type.%s", group, task, hero_tvr_metric_key(key, sizeof(key), m->task, ty, i, k));
                tvr_put(t, name, NULL, m->by_type[ty][i][k]);
            }
        }
}

static void tvr_put_sub(tvr_vals *t, const char *group, const char *task, const hero_tvr_sub *s) {
    char name[96];
    snprintf(name, sizeof(name), "out.%s.%s.pred", group, task);
    tvr_put(t, name, s, 0);
    snprintf(name, sizeof(name), "out.%s.%s.n", group, task);
    tvr_put(t, name, s, 0);
    snprintf(name, sizeof(name), "out.%s.%s.qidx", group, task);
    tvr_put(t, name, s, 0);
}

/* max |ours - ref| of one output (NaN when the shapes disagree) */
static double tvr_compare(const tvr_val *v, const double *ref, const hero_tensor_info *t, int64_t n) {
    double md = 0;
    int64_t q, j, c;
    const size_t len = strlen(v->name);
    if (!v->sub) {
        if (n != 1) return NAN;
        if (ref[0] != ref[0] || v->v != v->v) return (ref[0] != ref[0]) == (v->v != v->v) ? 0 : NAN;
        return fabs(ref[0] - v->v);
    }
    if (len > 5 && !strcmp(v->name + len - 5, ".pred")) {
        int64_t Q = t->ndim == 3 ? t->shape[0] : -1, K = t->ndim == 3 ? t->shape[1] : 0;
        int64_t Kmax = K > v->sub->k ? K : v->sub->k;
        if (Q != v->sub->n_queries || t->shape[2] != 4) return NAN;
        for (q = 0; q < Q; q++)
            for (j = 0; j < Kmax; j++)
                for (c = 0; c < 4; c++) {
                    double pad = c ? 0 : -1;
                    double a = j < v->sub->k ? v->sub->pred[(q * v->sub->k + j) * 4 + c] : pad;
                    double b = j < K ? ref[(q * K + j) * 4 + c] : pad;
                    double d = fabs(a - b);
                    if (d != d) return NAN;
                    if (d > md) md = d;
                }
        return md;
    }
    if (n != v->sub->n_queries) return NAN;
    for (q = 0; q < n; q++) {
        double a = !strcmp(v->name + len - 2, ".n") ? v->sub->n[q] : v->sub->qidx[q];
        double d = fabs(a - ref[q]);
        if (d > md) md = d;
    }
    return md;
}

/* returns 1 when DIR has a tvr_eval.safetensors (checked), else 0 */
static int run_tvr_eval(golden_ctx *g, const char *dir) {
    static const char *const tasks[3] = {"VCMR", "SVMR", "VR"};
    char path[1024], why[512];
    hero_tensorfile tf;
    hero_error err;
    hero_tvr_sub sub[3], nms[2];
    hero_tvr_metrics m;
    hero_tvr_gt gt, dgt;
    tvr_vals vals = {NULL, 0, 0};
    double *gvid = NULL, *gts = NULL, *gtype = NULL, *dts = NULL;
    int64_t *vid64 = NULL, nq = 0, n2 = 0, n3 = 0, n4 = 0, i;
    int32_t *type32 = NULL;
    int t, max_after = 0, max_before = 0, ok = 1;
    double nms_thd = -1;
    hero_json es;
    const char *meta;
    snprintf(path, sizeof(path), "%s/tvr_eval.safetensors", dir);
    if (!file_exists(path)) return 0;
    memset(sub, 0, sizeof(sub));
    memset(nms, 0, sizeof(nms));
    if (hero_tensorfile_open(&tf, path, &err)) { report_msg(g, "tvr_eval", "file", err.msg); return 1; }
    /* the settings (metadata eval_settings) */
    if (!(meta = hero_tensorfile_meta(&tf, "eval_settings")) || hero_json_parse(meta, strlen(meta), &es, &err)) {
        report_msg(g, "tvr_eval", "eval_settings", "metadata missing or not JSON");
        hero_tensorfile_close(&tf);
        return 1;
    }
    max_after = (int)meta_num(&es, "max_after_nms", 0);
    max_before = (int)meta_num(&es, "max_before_nms", 0);
    nms_thd = meta_num(&es, "nms_thd", -1);
    hero_json_free(&es);
    /* the ground truth */
    gvid = tvr_read(&tf, "in.gt_vidx", &nq, NULL);
    gts = tvr_read(&tf, "in.gt_ts", &n2, NULL);
    gtype = tvr_read(&tf, "in.desc_type", &n3, NULL);
    dts = tvr_read(&tf, "in.didemo_gt_ts", &n4, NULL);
    vid64 = (int64_t *)malloc((size_t)(nq > 0 ? nq : 1) * sizeof(int64_t));
    type32 = (int32_t *)malloc((size_t)(nq > 0 ? nq : 1) * sizeof(int32_t));
    if (!gvid || !gts || !gtype || !dts || !vid64 || !type32 || nq < 1 || n2 != 2 * nq || n3 != nq || n4 != 8 * nq || max_after < 1 ||
        max_before < 1 || nms_thd < 0) {
        report_msg(g, "tvr_eval", "in", "ground truth (in.gt_vidx, in.gt_ts, in.desc_type, in.didemo_gt_ts) or settings missing");
        goto done;
    }
    for (i = 0; i < nq; i++) { vid64[i] = (int64_t)gvid[i]; type32[i] = (int32_t)gtype[i]; }
    memset(&gt, 0, sizeof(gt));
    gt.n = (int)nq; gt.video = vid64; gt.ts = gts; gt.max_ts = 1; gt.type = type32;
    dgt = gt;
    dgt.ts = dts; dgt.max_ts = 4; dgt.type = NULL;
    for (t = 0; t < 3; t++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "in.%s", tasks[t]);
        if (tvr_read_sub(&tf, prefix, &sub[t], why, sizeof(why))) { report_msg(g, "tvr_eval", prefix, why); ok = 0; continue; }
        /* eval_vcmr: get_submission_top_n(max_after_nms), in place */
        if (hero_tvr_sub_cut(&sub[t], max_after, &err)) { report_msg(g, "tvr_eval", prefix, err.msg); ok = 0; continue; }
        tvr_put_sub(&vals, "sub", tasks[t], &sub[t]);
        if (hero_tvr_eval(&m, (hero_tvr_task)t, &sub[t], &gt, &err)) report_msg(g, "tvr_eval", prefix, err.msg);
        else tvr_put_metrics(&vals, "metrics", tasks[t], &m);
        if (hero_tvr_eval(&m, (hero_tvr_task)t, &sub[t], &dgt, &err)) report_msg(g, "tvr_eval", prefix, err.msg);
        else tvr_put_metrics(&vals, "didemo_metrics", tasks[t], &m);
    }
    for (t = 0; ok && t < 2; t++) {
        if (hero_tvr_nms(&nms[t], &sub[t], (hero_tvr_task)t, nms_thd, max_before, max_after, &err)) {
            report_msg(g, "tvr_eval", tasks[t], err.msg);
            continue;
        }
        tvr_put_sub(&vals, "nms", tasks[t], &nms[t]);
        if (hero_tvr_eval(&m, (hero_tvr_task)t, &nms[t], &gt, &err)) report_msg(g, "tvr_eval", tasks[t], err.msg);
        else tvr_put_metrics(&vals, "metrics_nms", tasks[t], &m);
    }
    /* every out.* of the file, in file order */
    for (i = 0; i < tf.n_tensors; i++) {
        const hero_tensor_info *ti = &tf.tensors[i];
        const tvr_val *v = NULL;
        double *ref;
        int64_t n = 0;
        int j;
        if (strncmp(ti->name, "out.", 4) != 0) continue;
        for (j = 0; j < vals.n; j++) if (!strcmp(vals.a[j].name, ti->name)) { v = &vals.a[j]; break; }
        if (!v) { report_msg(g, "tvr_eval", ti->name, "not computed"); continue; }
        if (!(ref = tvr_read(&tf, ti->name, &n, NULL))) { report_msg(g, "tvr_eval", ti->name, "unreadable"); continue; }
        report_tol(g, "tvr_eval", ti->name, tvr_compare(v, ref, ti, n), 0);
        free(ref);
    }
done:
    for (t = 0; t < 3; t++) hero_tvr_sub_free(&sub[t]);
    for (t = 0; t < 2; t++) hero_tvr_sub_free(&nms[t]);
    free(vals.a);
    free(gvid); free(gts); free(gtype); free(dts); free(vid64); free(type32);
    hero_tensorfile_close(&tf);
    return 1;
}

#include "golden_downstream.c" /* the fine-tuning tasks (tests/golden/tiny-downstream) */

static void run_dir(golden_ctx *g, const char *dir, const char *model_override) {
    char cfg[1024], ckpt[1024], legacy[1024];
    hero_model m;
    hero_error err;
    hero_load_report rep;
    int ti;
    snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
    snprintf(ckpt, sizeof(ckpt), "%s/model.pt", dir);
    if (model_override) snprintf(ckpt, sizeof(ckpt), "%s", model_override);
    /* DIR/tvr_eval.safetensors: the official metric code alone (no model); a folder without a
       pre-training model.pt (tiny-downstream) goes on to its fine-tuning models, if any */
    if (run_tvr_eval(g, dir) && !model_override && !file_exists(ckpt) && !ds_is_downstream(dir)) return;
    if (!model_override && !file_exists(ckpt) && ds_is_downstream(dir)) { ds_run_dir(g, dir); return; }
    {
        hero_model_options o = golden_opts();
        if (hero_model_load_opt(&m, cfg, ckpt, &o, &rep, &err)) { report_msg(g, "load", ckpt, err.msg); return; }
    }
    if (setup_model(&m, &err)) { report_msg(g, "load", "precision", err.msg); hero_model_free(&m); return; }
    if (g_wtype != HERO_W_F32) { /* --dtype: forward outputs and losses only */
        hero_tensorfile tf;
        double keep = g_tol;
        if (!hero_tensorfile_open(&tf, ckpt, &err)) { /* a reduced-precision file: the coarser format's rule */
            const char *fd = hero_tensorfile_meta(&tf, "dtype");
            if (fd && !strcmp(fd, "q8_0") && g_tol < TOL_Q8) g_tol = TOL_Q8;
            if (fd && (!strcmp(fd, "bf16") || !strcmp(fd, "f16")) && g_tol < TOL_HALF) g_tol = TOL_HALF;
            hero_tensorfile_close(&tf);
        }
        fprintf(stderr, "# weights: %s in memory (%zu bytes), rule err <= %g\n", hero_wtype_name(g_wtype),
                hero_model_weight_bytes(&m), g_tol);
        for (ti = 0; ti < (int)(sizeof(TASKS) / sizeof(TASKS[0])); ti++) run_task(g, &m, dir, ti);
        hero_model_free(&m);
        g_tol = keep;
        return;
    }
    if (rep.n_unexpected) report_msg(g, "load", "unexpected-keys", rep.unexpected);
    if (rep.n_missing) report_msg(g, "load", "missing-keys", rep.missing);
    snprintf(legacy, sizeof(legacy), "%s/model_legacy.pt", dir);
    if (!model_override && file_exists(legacy)) {
        hero_model m2;
        if (hero_model_load(&m2, cfg, legacy, NULL, &err)) {
            report_msg(g, "load", "model_legacy.pt", err.msg);
        } else {
            /* the same tensors in another container: identical weights (tolerance 0) */
            report_tol(g, "load", "model_legacy.pt", m2.n_floats == m.n_floats ? rel_err(m2.params, m.params, (int64_t)m.n_floats) : NAN,
                       0.0);
            hero_model_free(&m2);
        }
    }
    for (ti = 0; ti < (int)(sizeof(TASKS) / sizeof(TASKS[0])); ti++) run_task(g, &m, dir, ti);
    snprintf(legacy, sizeof(legacy), "%s/train.safetensors", dir);
    if (file_exists(legacy)) run_train(g, dir, cfg, ckpt);
    else printf("# train: %s absent, not compared\n", legacy);
    snprintf(legacy, sizeof(legacy), "%s/roberta_init/pytorch_model.bin", dir);
    if (!file_exists(legacy)) printf("# roberta_init: %s absent, not compared\n", legacy);
    check_roberta_init(g, dir);
    hero_model_free(&m);
}

/* --expect / --expect-skip: the number of checked (OK / FAIL) and SKIP lines DIR must give; a
   missing task file, train.safetensors or roberta_init/ shows as a FAIL line here */
static void expect_count(golden_ctx *g, const char *dir, int lines, int skipped, long expect, long expect_skip) {
    char msg[256];
    if (expect >= 0 && lines != expect) {
        snprintf(msg, sizeof(msg), "%d lines checked, expected %ld: a task file, train.safetensors or roberta_init/ missing?",
                 lines, expect);
        report_msg(g, dir, "line-count", msg);
    }
    if (expect_skip >= 0 && skipped != expect_skip) {
        snprintf(msg, sizeof(msg), "%d SKIP lines, expected %ld", skipped, expect_skip);
        report_msg(g, dir, "skip-count", msg);
    }
    if ((expect < 0 || lines == expect) && (expect_skip < 0 || skipped == expect_skip) && (expect >= 0 || expect_skip >= 0))
        printf("# %s: %d lines checked, %d skipped, as expected\n", dir, lines, skipped);
}

#ifdef HERO_CUDA
#define GOLDEN_DEVICE "cuda"
#else
#define GOLDEN_DEVICE "cpu"
#endif
#define GOLDEN_USAGE "usage: %s [--model FILE] [--threads N] [--split-all] [--device cpu|cuda] [--precision fp32|tf32|bf16] [--dtype f32|bf16|f16|q8_0] [--isa N] [--expect N] [--expect-skip N] DIR...\n"

int main(int argc, char **argv) {
    golden_ctx g = {0, 0, 0};
    long expect = -1, expect_skip = -1;
    const char *model = NULL;
    int i, ndirs = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            int want = atoi(argv[++i]), got;
            if (want < 1) { fprintf(stderr, "hero_golden: --threads wants a count >= 1\n"); return 2; }
            got = hero_set_threads(want); /* stderr: stdout keeps one line per quantity */
            fprintf(stderr, "hero_golden: %d thread(s) requested, %d in effect%s\n", want, got,
                    got == want ? "" : " (built with HERO_NO_THREADS)");
        }
        else if (!strcmp(argv[i], "--split-all")) hero__split_all = 1; /* every threaded loop split, however small */
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            if (strcmp(argv[++i], GOLDEN_DEVICE) != 0) {
                fprintf(stderr, "hero_golden: --device %s: this binary runs on the %s (%s)\n", argv[i], GOLDEN_DEVICE,
                        strcmp(GOLDEN_DEVICE, "cpu") == 0 ? "build it with `make cuda` for the GPU" : "a HERO_CUDA build");
                return 2;
            }
        } else if (!strcmp(argv[i], "--precision") && i + 1 < argc) {
            const char *p = argv[++i];
            if (!strcmp(p, "fp32")) g_prec = HERO_PREC_FP32;
            else if (!strcmp(p, "tf32")) g_prec = HERO_PREC_TF32;
            else if (!strcmp(p, "bf16")) g_prec = HERO_PREC_BF16;
            else { fprintf(stderr, "hero_golden: --precision %s: expected fp32, tf32 or bf16\n", p); return 2; }
            if (g_prec != HERO_PREC_FP32) { g_tol = 3e-2; g_cosine = 1; g_ratio_bound = g_prec == HERO_PREC_TF32 ? 1e-2 : 2e-2; }
        } else if (!strcmp(argv[i], "--dtype") && i + 1 < argc) {
            hero_error err;
            if (hero_wtype_parse(argv[++i], &g_wtype, &err)) { fprintf(stderr, "hero_golden: --dtype: %s\n", err.msg); return 2; }
            if (g_wtype != HERO_W_F32) g_tol = g_wtype == HERO_W_Q8_0 ? TOL_Q8 : TOL_HALF;
        } else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            g_isa = atoi(argv[++i]);
        } else if ((!strcmp(argv[i], "--expect") || !strcmp(argv[i], "--expect-skip")) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0) { fprintf(stderr, "hero_golden: %s %s: expected a count >= 0\n", argv[i - 1], argv[i]); return 2; }
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf(GOLDEN_USAGE, argv[0]);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "hero_golden: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    for (i = 1; i < argc; i++) {
        int before, skipped;
        if (!strcmp(argv[i], "--expect")) { expect = strtol(argv[++i], NULL, 10); continue; }
        if (!strcmp(argv[i], "--expect-skip")) { expect_skip = strtol(argv[++i], NULL, 10); continue; }
        if (!strcmp(argv[i], "--model") || !strcmp(argv[i], "--threads") || !strcmp(argv[i], "--device") ||
            !strcmp(argv[i], "--precision") || !strcmp(argv[i], "--dtype") || !strcmp(argv[i], "--isa")) { i++; continue; }
        if (!strcmp(argv[i], "--split-all")) continue;
        before = g.passed + g.failed;
        skipped = g.skipped;
        run_dir(&g, argv[i], model);
        ndirs++;
        expect_count(&g, argv[i], g.passed + g.failed - before, g.skipped - skipped, expect, expect_skip);
    }
    if (!ndirs) {
        fprintf(stderr, GOLDEN_USAGE, argv[0]);
        return 2;
    }
    if (g_cosine)
        printf("# gradients: worst |norm ratio - 1| %.3g (%s), bound %.2g\n", g_worst_ratio, g_worst_ratio_name, g_ratio_bound);
    printf("%d passed, %d failed\n", g.passed, g.failed);
    return g.failed ? 1 : 0;
}

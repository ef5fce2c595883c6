/* Fine-tuning trainer tests (hero_ft_*), on the tiny-downstream checkpoints and corpora:
   - per task (VCMR, VR, video QA, VIOLIN, TVC): a few updates lower the loss of a fixed batch;
   - lr_mul: the first AdamW step moves the heads lr_mul times as far as the encoder;
   - save at update k + resume = the uninterrupted run, bit for bit (weights, moments, PRNG, order),
     across epoch boundaries and the switch to hard negatives (VCMR);
   - bad inputs refused with a message.
   Usage: test_finetune [tests/golden/tiny-downstream] */
#define _POSIX_C_SOURCE 200809L
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include "golden_io.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_pass, g_fail;
static void check(int ok, const char *name, const char *why) {
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : why);
    if (ok) g_pass++;
    else g_fail++;
}

static const char *g_dir = "tests/golden/tiny-downstream";

/* one task's data: the corpus and every item of its raw.* (as the official datasets read them) */
typedef struct task_data {
    const char *file, *recipe;
    hero_task task;
    hero_tensorfile tf;
    hero_corpus corpus;
    hero_batch_options opt;
    double iv;
    hero_ft_item *items;
    int n_items;
    int32_t *tok, *alen, *atok;
} task_data;

static int64_t *ints64(const hero_tensorfile *tf, const char *name, int64_t *n) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t k = t ? hero_tensor_numel(t) : 0;
    int64_t *out = (int64_t *)calloc((size_t)k + 1, sizeof(int64_t));
    hero_error err;
    if (t && out) hero_tensor_read_i64(t, out, k, &err);
    if (n) *n = k;
    return out;
}
static double *f64s(const hero_tensorfile *tf, const char *name) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t k = t ? hero_tensor_numel(t) : 0, i;
    float *tmp = (float *)calloc((size_t)k + 1, sizeof(float));
    double *out = (double *)calloc((size_t)k + 1, sizeof(double));
    hero_error err;
    if (t && tmp) hero_tensor_read_f32(t, tmp, k, &err);
    for (i = 0; i < k; i++) out[i] = tmp[i];
    free(tmp);
    return out;
}
static int32_t *to32(const int64_t *x, int64_t n) {
    int32_t *o = (int32_t *)calloc((size_t)n + 1, sizeof(int32_t));
    int64_t i;
    for (i = 0; i < n; i++) o[i] = (int32_t)x[i];
    return o;
}

static int load_task(task_data *d, const char *file, const char *recipe, hero_task task, int vocab) {
    char path[1024];
    hero_error err;
    int64_t nq = 0, ntok = 0, i, off = 0, aoff = 0;
    int qa = task == HERO_TASK_VIDEOQA, tvc = task == HERO_TASK_TVC;
    int64_t *vid, *len, *tok, *lab = NULL, *hts = NULL, *al = NULL, *at = NULL;
    double *ts = NULL;
    memset(d, 0, sizeof(*d));
    d->file = file; d->recipe = recipe; d->task = task;
    snprintf(path, sizeof(path), "%s/%s.safetensors", g_dir, file);
    if (hero_tensorfile_open(&d->tf, path, &err) || golden_batch_options(&d->opt, &d->tf, vocab, &err) ||
        hero_corpus_read(&d->corpus, &d->tf, &err)) {
        printf("cannot read %s: %s\n", path, err.msg);
        return 1;
    }
    d->iv = task == HERO_TASK_VSM && !strcmp(file, "vr") ? 2.0 : 1.5;
    vid = ints64(&d->tf, tvc ? "raw.cap_vid" : "raw.q_vid", &nq);
    len = ints64(&d->tf, tvc ? "raw.cap_len" : "raw.q_len", NULL);
    tok = ints64(&d->tf, tvc ? "raw.cap_tokens" : "raw.q_tokens", &ntok);
    if (qa) { lab = ints64(&d->tf, "raw.answer", NULL); hts = ints64(&d->tf, "raw.has_ts", NULL); ts = f64s(&d->tf, "raw.ts"); }
    if (task == HERO_TASK_VIOLIN) lab = ints64(&d->tf, "raw.target", NULL);
    if (tvc) ts = f64s(&d->tf, "raw.cap_ts");
    if (task == HERO_TASK_VSM && hero_tensorfile_find(&d->tf, "raw.q_ts")) ts = f64s(&d->tf, "raw.q_ts");
    if (qa) {
        int64_t na = 0, nat = 0;
        al = ints64(&d->tf, "raw.a_len", &na);
        at = ints64(&d->tf, "raw.a_tokens", &nat);
        d->alen = to32(al, na);
        d->atok = to32(at, nat);
    }
    d->tok = to32(tok, ntok);
    d->items = (hero_ft_item *)calloc((size_t)nq + 1, sizeof(hero_ft_item));
    for (i = 0; i < nq; i++) {
        hero_ft_item *it = &d->items[d->n_items];
        int keep = 1;
        it->video = (int)vid[i];
        it->len = (int)len[i];
        it->tokens = d->tok + off;
        off += len[i];
        it->label = lab ? (int)lab[i] : -1;
        if (qa) {
            it->n_cand = 5; it->cand_len = d->alen + 5 * i; it->cand_tokens = d->atok + aoff;
            aoff += al[5 * i] + al[5 * i + 1] + al[5 * i + 2] + al[5 * i + 3] + al[5 * i + 4];
            it->has_ts = (int)hts[i];
        }
        if (ts) {
            it->ts[0] = ts[2 * i]; it->ts[1] = ts[2 * i + 1];
            if (!qa) it->has_ts = it->ts[0] == it->ts[0];
        }
        if (task == HERO_TASK_VSM && ts && !it->has_ts) keep = 0; /* VCMR trains on queries with a moment */
        d->n_items += keep;
    }
    free(vid); free(len); free(tok); free(lab); free(hts); free(al); free(at); free(ts);
    return d->n_items > 0 ? 0 : 1;
}
static void free_task(task_data *d) {
    hero_corpus_free(&d->corpus);
    hero_tensorfile_close(&d->tf);
    free(d->items); free(d->tok); free(d->alen); free(d->atok);
    memset(d, 0, sizeof(*d));
}

static int load_model(hero_model *m, const char *file) {
    char cfg[1024], ckpt[1024];
    hero_error err;
    hero_load_report rep;
    snprintf(cfg, sizeof(cfg), "%s/config.json", g_dir);
    snprintf(ckpt, sizeof(ckpt), "%s/%s.pt", g_dir, !strcmp(file, "vr") ? "vr" : file);
    if (hero_model_load(m, cfg, ckpt, &rep, &err)) { printf("load %s: %s\n", ckpt, err.msg); return 1; }
    return 0;
}

/* the official recipe of the task, scaled to the tiny data */
static hero_ft_config tiny_config(const task_data *d, int vocab) {
    hero_ft_config c;
    hero_error err;
    if (hero_ft_config_default(d->recipe, vocab, &c, &err)) printf("config %s: %s\n", d->recipe, err.msg);
    c.batch = d->opt;
    c.frame_interval = d->iv;
    c.items_per_batch = d->task == HERO_TASK_VSM ? 3 : 2;
    c.accum_steps = 2;
    c.adamw.lr = d->task == HERO_TASK_VIOLIN ? 1e-4f : 2e-3f; /* VIOLIN: lr_mul 8 on its head */
    c.adamw.warmup_steps = 1;
    c.adamw.total_steps = 100;
    c.hard_negative_start = -1;
    c.drop_svmr_prob = 0; /* the loss-decrease test: the same loss every update */
    c.hard_pool_size = 2;
    c.seed = 5;
    return c;
}

/* the loss of the fixed batch (every item) under the trainer's settings */
static float fixed_loss(hero_model *m, const task_data *d, const hero_ft_config *c) {
    hero_batch b;
    hero_result r;
    hero_error err;
    int n = d->n_items; /* the whole (tiny) training set as one batch */
    if (hero_build_ft_batch(&b, d->task, d->corpus.videos, d->corpus.n_videos, d->items, n, c->frame_interval, &c->batch, &err)) {
        printf("batch: %s\n", err.msg);
        return NAN;
    }
    if (hero_forward_backward(m, &b, 0, NULL, &r, &err)) { printf("forward: %s\n", err.msg); r.loss = NAN; }
    hero_batch_free(&b);
    return r.loss;
}

static void test_loss_falls(task_data *d) {
    hero_model m;
    hero_ft_trainer t;
    hero_ft_config c;
    hero_error err;
    char name[128], why[700];
    float before, after;
    int u, rc = 0;
    if (load_model(&m, d->file)) { check(0, d->file, "model"); return; }
    c = tiny_config(d, m.cfg.V);
    snprintf(name, sizeof(name), "%s: 6 updates lower the loss of a fixed batch", d->file);
    if (hero_ft_trainer_init(&t, &m, &c, d->corpus.videos, d->corpus.n_videos, d->items, d->n_items, &err)) {
        check(0, name, err.msg);
        hero_model_free(&m);
        return;
    }
    before = fixed_loss(&m, d, &c);
    for (u = 0; u < 6 && !rc; u++) rc = hero_ft_trainer_update(&t, &err);
    after = fixed_loss(&m, d, &c);
    snprintf(why, sizeof(why), "%s; loss %g -> %g", rc ? err.msg : "ok", (double)before, (double)after);
    check(!rc && after == after && before == before && after < before, name, why);
    printf("   %s: fixed-batch loss %.4f -> %.4f, last update loss %.4f, lr %.2e, grad norm %.3f\n", d->file, (double)before,
           (double)after, (double)t.base.last_loss, (double)t.base.last_lr, (double)t.base.last_grad_norm);
    hero_ft_trainer_free(&t);
    hero_model_free(&m);
}

/* lr_mul: Adam's first step moves each weight by about lr (|g| >> eps): the heads by lr * lr_mul */
static void test_lr_mul(task_data *d, const char *head, const char *enc, float mul) {
    hero_model m;
    hero_ft_trainer t;
    hero_ft_config c;
    hero_error err;
    float *h0 = NULL, *e0 = NULL, dh = 0, de = 0;
    hero_param *ph, *pe;
    size_t j;
    char name[160], why[700];
    if (load_model(&m, d->file)) { check(0, d->file, "model"); return; }
    c = tiny_config(d, m.cfg.V);
    c.adamw.lr_mul = mul;
    c.adamw.weight_decay = 0;
    snprintf(name, sizeof(name), "%s: lr_mul %g moves %s %gx as far as %s", d->file, (double)mul, head, (double)mul, enc);
    ph = hero_model_param(&m, head);
    pe = hero_model_param(&m, enc);
    if (!ph || !pe || hero_ft_trainer_init(&t, &m, &c, d->corpus.videos, d->corpus.n_videos, d->items, d->n_items, &err)) {
        check(0, name, ph && pe ? err.msg : "parameter not found");
        hero_model_free(&m);
        return;
    }
    h0 = (float *)malloc(ph->numel * sizeof(float));
    e0 = (float *)malloc(pe->numel * sizeof(float));
    memcpy(h0, ph->data, ph->numel * sizeof(float));
    memcpy(e0, pe->data, pe->numel * sizeof(float));
    if (hero_ft_trainer_update(&t, &err) || hero_model_download(&m, &err)) check(0, name, err.msg); /* a GPU model: host copies */
    else {
        for (j = 0; j < ph->numel; j++) if (fabsf(ph->data[j] - h0[j]) > dh) dh = fabsf(ph->data[j] - h0[j]);
        for (j = 0; j < pe->numel; j++) if (fabsf(pe->data[j] - e0[j]) > de) de = fabsf(pe->data[j] - e0[j]);
        snprintf(why, sizeof(why), "largest steps %g (head) %g (encoder), lr %g", (double)dh, (double)de, (double)t.base.last_lr);
        check(de > 0 && fabsf(dh - mul * t.base.last_lr) < 0.02f * mul * t.base.last_lr && fabsf(de - t.base.last_lr) < 0.02f * t.base.last_lr,
              name, why);
    }
    free(h0); free(e0);
    hero_ft_trainer_free(&t);
    hero_model_free(&m);
}

/* save at update k, resume in a fresh trainer: equal to the uninterrupted run bit for bit */
static void test_resume(task_data *d, int vcmr_extras) {
    hero_model a, b;
    hero_ft_trainer ta, tb;
    hero_ft_config c;
    hero_error err;
    char path[256], name[160], why[700];
    int u, rc = 0, same;
    const int K = 2, N = 5;
    float la = 0, lb = 0;
    snprintf(path, sizeof(path), "/tmp/hero_test_finetune_%d_%s.safetensors", (int)getpid(), d->file);
    snprintf(name, sizeof(name), "%s: save at update %d + resume = %d uninterrupted updates, bit for bit%s", d->file, K, N,
             vcmr_extras ? " (span drops, hard negatives from update 3)" : "");
    if (load_model(&a, d->file) || load_model(&b, d->file)) { check(0, name, "model"); return; }
    c = tiny_config(d, a.cfg.V);
    c.adamw.lr_mul = 4;
    if (vcmr_extras) { c.drop_svmr_prob = 0.5f; c.hard_negative_start = 3; }
    if (hero_ft_trainer_init(&ta, &a, &c, d->corpus.videos, d->corpus.n_videos, d->items, d->n_items, &err) ||
        hero_ft_trainer_init(&tb, &b, &c, d->corpus.videos, d->corpus.n_videos, d->items, d->n_items, &err)) {
        check(0, name, err.msg);
        hero_model_free(&a); hero_model_free(&b);
        return;
    }
    for (u = 0; u < N && !rc; u++) {
        rc = hero_ft_trainer_update(&ta, &err);
        if (!rc && u + 1 == K) rc = hero_ft_trainer_save(&ta, path, &err);
    }
    la = ta.base.last_loss;
    if (!rc) rc = hero_ft_trainer_load(&tb, path, &err);
    for (u = K; u < N && !rc; u++) rc = hero_ft_trainer_update(&tb, &err);
    lb = tb.base.last_loss;
    if (!rc) /* a GPU model: weights and moments to their host copies */
        rc = hero_model_download(&a, &err) || hero_model_download(&b, &err) || hero_optimizer_download(&ta.base.opt, &a, &err) ||
             hero_optimizer_download(&tb.base.opt, &b, &err);
    same = !rc && a.n_floats == b.n_floats && !memcmp(a.params, b.params, a.n_floats * sizeof(float)) &&
           !memcmp(ta.base.opt.m, tb.base.opt.m, a.n_floats * sizeof(float)) &&
           !memcmp(ta.base.opt.v, tb.base.opt.v, a.n_floats * sizeof(float)) &&
           !memcmp(ta.base.opt.steps, tb.base.opt.steps, (size_t)a.n_params * sizeof(int64_t)) &&
           !memcmp(&ta.base.rng, &tb.base.rng, sizeof(hero_rng)) && ta.base.pos == tb.base.pos &&
           !memcmp(ta.base.order, tb.base.order, (size_t)d->n_items * sizeof(int32_t)) && ta.base.opt.step == tb.base.opt.step &&
           !memcmp(&la, &lb, sizeof(float)) && a.cfg.use_hard_negative == b.cfg.use_hard_negative;
    snprintf(why, sizeof(why), "%s; last losses %.9g vs %.9g", rc ? err.msg : "state differs", (double)la, (double)lb);
    check(same, name, why);
    if (vcmr_extras) {
        check(a.cfg.use_hard_negative == 1 && b.cfg.use_hard_negative == 1 && a.cfg.hard_pool_size == 2,
              "vcmr: hard negatives on after update 3 (resumed too)", "use_hard_negative not set");
    }
    /* the resumed trainer refuses another task's state; a pre-training state; a missing file */
    unlink(path);
    hero_ft_trainer_free(&ta); hero_ft_trainer_free(&tb);
    hero_model_free(&a); hero_model_free(&b);
}

static void expect_fail(int rc, const hero_error *err, const char *name, const char *needle) {
    char why[600];
    snprintf(why, sizeof(why), "rc %d, message \"%s\" (expected it to mention \"%s\")", rc, rc ? err->msg : "", needle);
    check(rc != 0 && strstr(err->msg, needle) != NULL, name, why);
}

static void test_bad_inputs(task_data *qa, task_data *violin) {
    hero_model m, mi;
    hero_ft_trainer t, tv;
    hero_ft_config c, cv;
    hero_error err;
    hero_ft_item *bad;
    hero_model_options mo = hero_model_options_default();
    char path[256], cfgp[1024], ckpt[1024];
    int rc;
    memset(&err, 0, sizeof(err));
    if (load_model(&m, qa->file)) { check(0, "bad inputs", "model"); return; }
    c = tiny_config(qa, m.cfg.V);
    rc = hero_ft_config_default("tvqa2", m.cfg.V, &cv, &err);
    expect_fail(rc, &err, "unknown recipe name refused", "unknown task");
    cv = c; cv.task = HERO_TASK_VIOLIN;
    rc = hero_ft_trainer_init(&t, &m, &cv, qa->corpus.videos, qa->corpus.n_videos, violin->items, violin->n_items, &err);
    expect_fail(rc, &err, "VIOLIN trainer on a video QA model refused", "heads");
    cv = c; cv.task = HERO_TASK_MLM;
    rc = hero_ft_trainer_init(&t, &m, &cv, qa->corpus.videos, qa->corpus.n_videos, qa->items, qa->n_items, &err);
    expect_fail(rc, &err, "a pre-training task refused", "not a fine-tuning task");
    cv = c; cv.items_per_batch = 0;
    rc = hero_ft_trainer_init(&t, &m, &cv, qa->corpus.videos, qa->corpus.n_videos, qa->items, qa->n_items, &err);
    expect_fail(rc, &err, "0 items per batch refused", "items per batch");
    cv = c; cv.drop_svmr_prob = 1.5f;
    rc = hero_ft_trainer_init(&t, &m, &cv, qa->corpus.videos, qa->corpus.n_videos, qa->items, qa->n_items, &err);
    expect_fail(rc, &err, "drop_svmr_prob 1.5 refused", "drop_svmr_prob");
    rc = hero_ft_trainer_init(&t, &m, &c, qa->corpus.videos, qa->corpus.n_videos, qa->items, 0, &err);
    expect_fail(rc, &err, "no items refused", "0 items");
    bad = (hero_ft_item *)malloc((size_t)qa->n_items * sizeof(hero_ft_item));
    memcpy(bad, qa->items, (size_t)qa->n_items * sizeof(hero_ft_item));
    bad[1].video = qa->corpus.n_videos;
    rc = hero_ft_trainer_init(&t, &m, &c, qa->corpus.videos, qa->corpus.n_videos, bad, qa->n_items, &err);
    expect_fail(rc, &err, "an item's video out of range refused (named)", "item 1");
    memcpy(bad, qa->items, (size_t)qa->n_items * sizeof(hero_ft_item));
    bad[2].label = 5;
    rc = hero_ft_trainer_init(&t, &m, &c, qa->corpus.videos, qa->corpus.n_videos, bad, qa->n_items, &err);
    expect_fail(rc, &err, "a video QA answer past the candidates refused", "item 2");
    memcpy(bad, qa->items, (size_t)qa->n_items * sizeof(hero_ft_item));
    bad[0].n_cand = 4;
    rc = hero_ft_trainer_init(&t, &m, &c, qa->corpus.videos, qa->corpus.n_videos, bad, qa->n_items, &err);
    expect_fail(rc, &err, "video QA items with different candidate counts refused", "candidates");
    free(bad);
    rc = hero_ft_trainer_update(NULL, &err);
    expect_fail(rc, &err, "update of a NULL trainer refused", "not initialised");
    /* inference-only model */
    mo.inference_only = 1;
    snprintf(cfgp, sizeof(cfgp), "%s/config.json", g_dir);
    snprintf(ckpt, sizeof(ckpt), "%s/videoqa.pt", g_dir);
    if (hero_model_load_opt(&mi, cfgp, ckpt, &mo, NULL, &err) == 0) {
        rc = hero_ft_trainer_init(&t, &mi, &c, qa->corpus.videos, qa->corpus.n_videos, qa->items, qa->n_items, &err);
        expect_fail(rc, &err, "an inference-only model refused", "inference-only");
        hero_model_free(&mi);
    }
    /* states: another task's, a pre-training state, a missing file */
    snprintf(path, sizeof(path), "/tmp/hero_test_finetune_%d_bad.safetensors", (int)getpid());
    if (hero_ft_trainer_init(&t, &m, &c, qa->corpus.videos, qa->corpus.n_videos, qa->items, qa->n_items, &err)) {
        check(0, "trainer for the state tests", err.msg);
    } else {
        hero_model mv;
        rc = hero_ft_trainer_save(&t, path, &err);
        check(rc == 0, "video QA state saved", err.msg);
        if (load_model(&mv, violin->file) == 0) {
            cv = tiny_config(violin, mv.cfg.V);
            if (hero_ft_trainer_init(&tv, &mv, &cv, violin->corpus.videos, violin->corpus.n_videos, violin->items, violin->n_items, &err) == 0) {
                rc = hero_ft_trainer_load(&tv, path, &err);
                expect_fail(rc, &err, "a video QA state refused by a VIOLIN trainer", "task videoqa");
                hero_ft_trainer_free(&tv);
            }
            hero_model_free(&mv);
        }
        { /* a pre-training state (hero_trainer_save) */
            hero_trainer pt;
            hero_train_config tc = hero_train_config_default(m.cfg.V);
            hero_model mp;
            snprintf(ckpt, sizeof(ckpt), "%s/vcmr.pt", g_dir);
            if (hero_model_load(&mp, cfgp, ckpt, NULL, &err) == 0) {
                tc.videos_per_batch = 2;
                if (hero_trainer_init(&pt, &mp, &tc, qa->corpus.videos, qa->corpus.n_videos, &err) == 0) {
                    if (hero_trainer_save(&pt, path, &err) == 0) {
                        rc = hero_ft_trainer_load(&t, path, &err);
                        expect_fail(rc, &err, "a pre-training state refused", "not a fine-tuning state");
                    }
                    hero_trainer_free(&pt);
                }
                hero_model_free(&mp);
            }
        }
        rc = hero_ft_trainer_load(&t, "/nonexistent/state.safetensors", &err);
        expect_fail(rc, &err, "a missing state file refused", "nonexistent");
        hero_ft_trainer_free(&t);
        unlink(path);
    }
    hero_model_free(&m);
}

static void test_defaults(void) {
    hero_ft_config c;
    hero_error err;
    int ok = 1;
    ok &= hero_ft_config_default("tvr", 50265, &c, &err) == 0 && c.task == HERO_TASK_VSM && c.items_per_batch == 32 &&
          c.accum_steps == 2 && c.adamw.lr == 1e-4f && c.adamw.warmup_steps == 500 && c.adamw.total_steps == 5000 &&
          c.lw_st_ed == 0.01f && c.lw_neg_ctx == 8 && c.drop_svmr_prob == 0.8f && c.hard_negative_start == 2000 &&
          c.hard_pool_size == 20 && c.batch.max_frames == 100 && c.frame_interval == 1.5 && c.adamw.lr_mul == 1;
    ok &= hero_ft_config_default("msrvtt", 50265, &c, &err) == 0 && c.items_per_batch == 96 && c.frame_interval == 2 &&
          c.batch.sub_ctx_len == 1 && c.hard_pool_size == 80 && c.lw_st_ed == 0 && c.lw_neg_q == 10;
    ok &= hero_ft_config_default("tvqa", 50265, &c, &err) == 0 && c.task == HERO_TASK_VIDEOQA && c.adamw.lr_mul == 10 &&
          c.adamw.lr == 5e-5f && c.lw_st_ed == 0.4f && c.adamw.total_steps == 10000;
    ok &= hero_ft_config_default("violin", 50265, &c, &err) == 0 && c.adamw.lr_mul == 8 && c.batch.sub_ctx_len == 2;
    ok &= hero_ft_config_default("tvc", 50265, &c, &err) == 0 && c.task == HERO_TASK_TVC && c.accum_steps == 1 &&
          c.batch.max_txt_len == 60 && c.lsr == 0.1f && c.seed == 77;
    check(ok, "hero_ft_config_default: the released configs' values", err.msg);
}

int main(int argc, char **argv) {
    task_data vcmr, vr, qa, violin, tvc;
    hero_model m0;
    int V;
    if (argc > 1) g_dir = argv[1];
    hero_set_threads(1);
    test_defaults();
    if (load_model(&m0, "vcmr")) {
        check(0, "tiny-downstream model", g_dir);
        printf("%d passed, %d failed\n", g_pass, g_fail);
        return 1;
    }
    V = m0.cfg.V;
    hero_model_free(&m0);
    if (load_task(&vcmr, "vcmr", "tvr", HERO_TASK_VSM, V) || load_task(&vr, "vr", "msrvtt", HERO_TASK_VSM, V) ||
        load_task(&qa, "videoqa", "tvqa", HERO_TASK_VIDEOQA, V) || load_task(&violin, "violin", "violin", HERO_TASK_VIOLIN, V) ||
        load_task(&tvc, "tvc", "tvc", HERO_TASK_TVC, V)) {
        check(0, "tiny-downstream data", g_dir);
        printf("%d passed, %d failed\n", g_pass, g_fail);
        return 1;
    }
    test_loss_falls(&vcmr);
    test_loss_falls(&vr);
    test_loss_falls(&qa);
    test_loss_falls(&violin);
    test_loss_falls(&tvc);
    test_lr_mul(&qa, "qa_pool.weight", "v_encoder.f_encoder.img_embeddings.img_linear.weight", 10);
    test_resume(&vcmr, 1);
    test_resume(&vr, 0);
    test_resume(&qa, 0);
    test_resume(&violin, 0);
    test_resume(&tvc, 0);
    test_bad_inputs(&qa, &violin);
    free_task(&vcmr); free_task(&vr); free_task(&qa); free_task(&violin); free_task(&tvc);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}

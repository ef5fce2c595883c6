/* Fine-tuning trainer tests (hero_ft_*), on the tiny-downstream checkpoints and corpora:
   - per task (VCMR, VR, video QA, VIOLIN, TVC): a few updates lower the loss of a fixed batch;
   - lr_mul: the first AdamW step moves the heads lr_mul times as far as the encoder;
   - save at update k + resume = the uninterrupted run, bit for bit (weights, moments, PRNG, order),
     across epoch boundaries and the switch to hard negatives (VCMR);
   - bad inputs refused with a message;
   - hero_ft_items_read: the golden files' raw.q_* and a file in the importer's layout, hostile
     variants and every truncation refused;
   - VR's no-cut rule (VrSubTokLmdb) on a video longer than max_clip_len, field by field.
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

static int eq32(const int32_t *a, const int32_t *b, int n) {
    int i;
    for (i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}

/* VR (data/vr.py) on a video LONGER than max_clip_len. max_clip_len 4, sub_ctx_len 1, interval 2,
   ids CLS 0 PAD 1 SEP 2; F 2, frame t of video 0 = (10t+1, 10t+2) (7 frames), of video 1 =
   (100+10t+1, 100+10t+2) (2 frames). Video 0's subtitles (DB order, unique_sub2frames):
     s0 words 10 11 frames 0 1 | s1 12 frames 3 4 5 | s2 13 14 frames 5 6 | s3 15 no frames | s4 16 frame 2
   video 1: s0 words 30 frames 0 1. Queries: item 0 = 20 21 on video 0, item 1 = 22 on video 1 (no ts).
   Derivation from the official code:
   - VrSubTokLmdb.__init__ calls SubTokLmdb.__init__(max_clip_len=-1), so compute_sub2frames takes the
     `else` branch: sen2frame = every (sub_idx, matched_frames) unchanged (no sort, no break);
     num_subs = 5 for video 0.
   - VideoFeatLmdb.__getitem__ returns features[:min(nframes, max_clip_len)] = frames 0..3.
   - VideoFeatSubTokDataset.__getitem__, per subtitle: input_ids = [SEP] + subtitles
     sub_idx-1..sub_idx (those in 0..num_subs-1); matched frames filtered to range(4); none left:
     one zero frame with attn [0] + [1]*len(input_ids), else attn [1]*(len + #frames):
       r0: [2 10 11]      frames 0 1   attn 5 ones
       r1: [2 10 11 12]   frame 3      attn 5 ones
       r2: [2 12 13 14]   zero frame   attn 0 1 1 1 1   (frames 5 6 are past the cut)
       r3: [2 13 14 15]   zero frame   attn 0 1 1 1 1   (no frames)
       r4: [2 15 16]      frame 2      attn 4 ones
       r5: [2 30]         frames 0 1   attn 4 ones     (video 1)
   - video_collate: f_sub_input_ids padded with 1 to 4; f_v_feats padded with 0 to 2 frames;
     f_attn_masks padded with 0 to 5; get_gather_index(txt_lens, v_lens, 6, max_vl 2, 5):
     arange(5) with [v_len : v_len+txt_len] = 2 .. 2+txt_len-1; c_v_feats padded to 4 frames,
     c_attn_masks 1 1 1 1 / 1 1 0 0; num_subs [5, 1].
   - vcmr_collate: query_input_ids [CLS] + query padded with 1 ([0 20 21], [0 22 1]); q_vidx [0, 1];
     targets (-1, -1) (VrDataset).
   The official sub_idx2frame_idx keeps the lists uncut ((1, [3 4 5]), (2, [5 6])), which
   collect_frame_outputs would index past the 4 frames (IndexError); hero.h's s2f holds the frames
   kept: nframes 2 1 0 0 1 | 2, frames 0 1 3 2 | 0 1.
   With keep_all_subs = 0 (SubTokLmdb, VCMR): s1 reaches past the cut, so video 0 keeps s0 and s1
   ([3]) only: num_subs [2, 1]. */
static void test_vr_no_cut(void) {
    float f0[7 * 2], f1[2 * 2], ef[6 * 2 * 2], ec[2 * 4 * 2];
    const int32_t l0[5] = {2, 1, 2, 1, 1}, t0[7] = {10, 11, 12, 13, 14, 15, 16};
    const int32_t n0[5] = {2, 3, 2, 0, 1}, fr0[8] = {0, 1, 3, 4, 5, 5, 6, 2};
    const int32_t l1[1] = {1}, t1[1] = {30}, n1[1] = {2}, fr1[2] = {0, 1};
    const int32_t q0[2] = {20, 21}, q1[1] = {22};
    const int32_t etxt[24] = {2, 10, 11, 1, 2, 10, 11, 12, 2, 12, 13, 14, 2, 13, 14, 15, 2, 15, 16, 1, 2, 30, 1, 1};
    const int32_t eam[30] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0};
    const int32_t egi[30] = {0, 1, 2, 3, 4, 0, 2, 3, 4, 5, 0, 2, 3, 4, 5, 0, 2, 3, 4, 5, 0, 2, 3, 4, 4, 0, 1, 2, 3, 4};
    const int32_t ens[2] = {5, 1}, esi[6] = {0, 1, 2, 3, 4, 0}, enf[6] = {2, 1, 0, 0, 1, 2}, efr[6] = {0, 1, 3, 2, 0, 1};
    const int32_t ecm[8] = {1, 1, 1, 1, 1, 1, 0, 0}, eq[6] = {0, 20, 21, 0, 22, 1}, eqm[6] = {1, 1, 1, 1, 1, 0};
    const int32_t eqv[2] = {0, 1}, etg[4] = {-1, -1, -1, -1};
    hero_video v[2];
    hero_ft_item it[2];
    hero_batch_options o = hero_batch_options_default(112);
    hero_batch b;
    hero_error err;
    int t, c, ok, rc;
    char why[600];
    for (t = 0; t < 7; t++) for (c = 0; c < 2; c++) f0[t * 2 + c] = (float)(10 * t + c + 1);
    for (t = 0; t < 2; t++) for (c = 0; c < 2; c++) f1[t * 2 + c] = (float)(100 + 10 * t + c + 1);
    memset(v, 0, sizeof(v));
    v[0].T = 7; v[0].F = 2; v[0].feats = f0; v[0].n_subs = 5; v[0].sub_len = l0; v[0].sub_tokens = t0;
    v[0].sub_nframes = n0; v[0].sub_frames = fr0;
    v[1].T = 2; v[1].F = 2; v[1].feats = f1; v[1].n_subs = 1; v[1].sub_len = l1; v[1].sub_tokens = t1;
    v[1].sub_nframes = n1; v[1].sub_frames = fr1;
    memset(it, 0, sizeof(it));
    it[0].video = 0; it[0].len = 2; it[0].tokens = q0; it[0].label = -1;
    it[1].video = 1; it[1].len = 1; it[1].tokens = q1; it[1].label = -1;
    o.max_frames = 4; o.sub_ctx_len = 1; o.keep_all_subs = 1;
    memset(ef, 0, sizeof(ef));
    /* f_v_feats [6, 2, 2]: r0 frames 0 1, r1 frame 3, r2 / r3 zero, r4 frame 2, r5 video 1 frames 0 1 */
    ef[0] = 1; ef[1] = 2; ef[2] = 11; ef[3] = 12; ef[4] = 31; ef[5] = 32;
    ef[16] = 21; ef[17] = 22; ef[20] = 101; ef[21] = 102; ef[22] = 111; ef[23] = 112;
    memset(ec, 0, sizeof(ec));
    for (t = 0; t < 8; t++) ec[t] = f0[t];
    for (t = 0; t < 4; t++) ec[8 + t] = f1[t];
    memset(&err, 0, sizeof(err));
    rc = hero_build_ft_batch(&b, HERO_TASK_VSM, v, 2, it, 2, 2.0, &o, &err);
    ok = rc == 0;
    snprintf(why, sizeof(why), "%s", rc ? err.msg : "");
    if (ok) {
        ok = b.S == 6 && b.Lt == 4 && b.Lv == 2 && b.Lg == 5 && b.B == 2 && b.L == 4 && b.F == 2 && b.n_s2f == 6 &&
             b.Nq == 2 && b.Lq == 3;
        if (!ok) snprintf(why, sizeof(why), "shape S %d Lt %d Lv %d Lg %d B %d L %d Nq %d Lq %d", b.S, b.Lt, b.Lv, b.Lg, b.B, b.L, b.Nq, b.Lq);
    }
#define VR_FIELD(cond, what) if (ok && !(cond)) { ok = 0; snprintf(why, sizeof(why), "field %s differs from the official batch", what); }
    VR_FIELD(eq32(b.txt_ids, etxt, 24), "f_sub_input_ids");
    VR_FIELD(memcmp(b.f_v_feats, ef, sizeof(ef)) == 0, "f_v_feats");
    VR_FIELD(eq32(b.f_attn_mask, eam, 30), "f_attn_masks");
    VR_FIELD(eq32(b.f_gather, egi, 30), "f_gather_index");
    VR_FIELD(b.txt_pos[0] == 0 && b.txt_pos[3] == 3 && b.f_v_pos[0] == 0 && b.f_v_pos[1] == 1, "f_sub_pos_ids / f_v_pos_ids");
    VR_FIELD(eq32(b.num_subs, ens, 2), "num_subs");
    VR_FIELD(eq32(b.s2f_sub_idx, esi, 6) && eq32(b.s2f_nframes, enf, 6) && eq32(b.s2f_frames, efr, 6), "sub_idx2frame_idx (frames kept)");
    VR_FIELD(memcmp(b.c_v_feats, ec, sizeof(ec)) == 0, "c_v_feats");
    VR_FIELD(eq32(b.c_attn_mask, ecm, 8), "c_attn_masks");
    VR_FIELD(eq32(b.q_ids, eq, 6) && eq32(b.q_mask, eqm, 6) && b.q_pos[2] == 2, "query_input_ids / attn / pos");
    VR_FIELD(eq32(b.q_vidx, eqv, 2), "q_vidx");
    VR_FIELD(eq32(b.vsm_targets, etg, 4), "targets");
#undef VR_FIELD
    if (rc == 0) hero_batch_free(&b);
    check(ok, "VR (keep_all_subs): a video longer than max_clip_len keeps every subtitle, field by field as data/vr.py", why);
    /* the SubTokLmdb cut for contrast (VCMR) */
    o.keep_all_subs = 0;
    rc = hero_build_ft_batch(&b, HERO_TASK_VSM, v, 2, it, 2, 2.0, &o, &err);
    ok = rc == 0 && b.S == 3 && b.num_subs[0] == 2 && b.num_subs[1] == 1 && b.s2f_nframes[1] == 1 && b.s2f_frames[2] == 3 &&
         b.txt_ids[b.Lt] == 2 && b.txt_ids[b.Lt + 3] == 12;
    snprintf(why, sizeof(why), "%s", rc ? err.msg : "the cut rows differ");
    if (rc == 0) hero_batch_free(&b);
    check(ok, "VCMR (SubTokLmdb): the same video keeps the subtitles up to the first one reaching past the cut", why);
}

/* hero_ft_items_read: the golden files' raw.q_* (q_ts [Q, 2], NaN = none) give load_task's items */
static void test_items_golden(const task_data *d) {
    hero_ft_items x;
    hero_error err;
    int rc = hero_ft_items_read(&x, &d->tf, d->task, d->corpus.n_videos, &err), ok = rc == 0, i, j = 0, k;
    char name[160], why[600];
    snprintf(why, sizeof(why), "%s", rc ? err.msg : "items differ");
    for (i = 0; ok && i < x.n; i++) {
        const hero_ft_item *a = &x.items[i], *b;
        if (d->task == HERO_TASK_VSM && !strcmp(d->file, "vcmr") && !a->has_ts) continue; /* load_task: VCMR trains on queries with a moment */
        if (j >= d->n_items) { ok = 0; snprintf(why, sizeof(why), "more items than the test's %d", d->n_items); break; }
        b = &d->items[j++];
        ok = a->video == b->video && a->len == b->len && a->label == b->label && a->has_ts == b->has_ts &&
             (!a->has_ts || ((float)a->ts[0] == (float)b->ts[0] && (float)a->ts[1] == (float)b->ts[1])); /* f64s goes through f32 */
        for (k = 0; ok && k < a->len; k++) ok = a->tokens[k] == b->tokens[k];
        if (!ok) snprintf(why, sizeof(why), "item %d: video %d / %d, len %d / %d, label %d / %d, ts %g %g / %g %g", i, a->video, b->video,
                          a->len, b->len, a->label, b->label, a->ts[0], a->ts[1], b->ts[0], b->ts[1]);
    }
    ok = ok && j == d->n_items && x.n_skipped == 0;
    snprintf(name, sizeof(name), "hero_ft_items_read: %s's raw.q_* give the test's items", d->file);
    check(ok, name, why);
    if (rc == 0) hero_ft_items_free(&x);
}

/* A query file in the importer's layout, written from the test; each case breaks one thing. */
typedef struct qfile {
    int64_t q_len[3], q_tokens[5], q_vid[3], target[3], a_len[15], a_tokens[16], q_n_ts[3], q_type[3];
    double q_ts[3 * 2 * 2];
    int n_tokens, with_a, ts_i64, drop; /* drop: 1 raw.q_vid, 2 raw.q_ts */
} qfile;

static void qfile_base(qfile *q) {
    static const int64_t ql[3] = {2, 1, 2}, qt[5] = {11, 12, 13, 14, 15}, qv[3] = {0, -1, 1}, tg[3] = {1, 0, -1}, nts[3] = {1, 0, 2},
                         ty[3] = {0, 1, 2};
    static const double ts[12] = {1.5, 3, 0, 0, 0, 4.5, 0, 0, 6, 7.5, 9, 10.5};
    int i;
    memset(q, 0, sizeof(*q));
    memcpy(q->q_len, ql, sizeof(ql)); memcpy(q->q_tokens, qt, sizeof(qt)); memcpy(q->q_vid, qv, sizeof(qv));
    memcpy(q->target, tg, sizeof(tg)); memcpy(q->q_n_ts, nts, sizeof(nts)); memcpy(q->q_type, ty, sizeof(ty));
    memcpy(q->q_ts, ts, sizeof(ts));
    for (i = 0; i < 15; i++) q->a_len[i] = 1;
    for (i = 0; i < 15; i++) q->a_tokens[i] = 20 + i;
    q->n_tokens = 5;
    q->with_a = 1;
}

static int qfile_write(const qfile *q, const char *path, hero_error *err) {
    hero_st_item it[10];
    int64_t s3[1] = {3}, st[1], sa[2] = {3, 5}, sat[1] = {15}, sts[3] = {3, 2, 2};
    int n = 0;
    st[0] = q->n_tokens;
#define QI(nm, dt, nd, sh, p) do { it[n].name = nm; it[n].dtype = dt; it[n].ndim = nd; it[n].shape = sh; it[n].data = p; n++; } while (0)
    QI("raw.q_len", HERO_I64, 1, s3, q->q_len);
    QI("raw.q_tokens", HERO_I64, 1, st, q->q_tokens);
    if (q->drop != 1) QI("raw.q_vid", HERO_I64, 1, s3, q->q_vid);
    QI("raw.target", HERO_I64, 1, s3, q->target);
    if (q->with_a) { QI("raw.a_len", HERO_I64, 2, sa, q->a_len); QI("raw.a_tokens", HERO_I64, 1, sat, q->a_tokens); }
    QI("raw.q_n_ts", HERO_I64, 1, s3, q->q_n_ts);
    if (q->drop != 2) QI("raw.q_ts", q->ts_i64 ? HERO_I64 : HERO_F64, 3, sts, q->q_ts);
    QI("raw.q_type", HERO_I64, 1, s3, q->q_type);
#undef QI
    return hero_safetensors_write(path, it, n, NULL, err);
}

static int qfile_read(const qfile *q, hero_task task, hero_ft_items *x, hero_error *err) {
    char path[256];
    hero_tensorfile tf;
    int rc;
    snprintf(path, sizeof(path), "/tmp/hero_test_items_%d.safetensors", (int)getpid());
    if ((rc = qfile_write(q, path, err)) != 0) return rc;
    rc = hero_tensorfile_open(&tf, path, err);
    if (rc == 0) { rc = hero_ft_items_read(x, &tf, task, 2, err); hero_tensorfile_close(&tf); }
    unlink(path);
    return rc;
}

static void test_items_layout(void) {
    qfile q;
    hero_ft_items x;
    hero_error err;
    int rc, ok;
    char why[600];
    /* the base file: record 1 has no video (skipped); record 2 has two windows */
    qfile_base(&q);
    rc = qfile_read(&q, HERO_TASK_VIDEOQA, &x, &err);
    ok = rc == 0 && x.n == 2 && x.n_records == 3 && x.n_skipped == 1 && x.record[0] == 0 && x.record[1] == 2 && x.max_ts == 2 &&
         x.items[0].video == 0 && x.items[0].len == 2 && x.items[0].tokens[1] == 12 && x.items[0].label == 1 &&
         x.items[0].n_cand == 5 && x.items[0].cand_tokens[0] == 20 && x.items[1].cand_tokens[0] == 30 && x.items[1].tokens[0] == 14 &&
         x.items[0].has_ts && x.items[0].ts[0] == 1.5 && x.items[0].ts[1] == 3 && x.n_ts[1] == 2 && x.items[1].ts[0] == 6 &&
         x.ts[6] == 9 && x.ts[7] == 10.5 && x.type[1] == 2 && x.items[1].label == -1;
    snprintf(why, sizeof(why), "%s", rc ? err.msg : "fields differ");
    check(ok, "hero_ft_items_read: the importer's layout (skips, candidates, windows, types)", why);
    if (rc == 0) hero_ft_items_free(&x);
    /* hostile / inconsistent files */
    qfile_base(&q); q.n_tokens = 4;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: q_tokens shorter than q_len's sum refused", "raw.q_tokens");
    qfile_base(&q); q.q_len[1] = -1;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: a negative q_len refused", "raw.q_len");
    qfile_base(&q); q.q_vid[2] = 2;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: a video past the corpus refused", "raw.q_vid");
    qfile_base(&q); q.drop = 1;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: a file without raw.q_vid refused", "raw.q_vid");
    qfile_base(&q); q.q_vid[0] = q.q_vid[2] = -1;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: no record with a video refused", "none of the 3 records");
    qfile_base(&q); q.q_n_ts[0] = 3;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: q_n_ts past the windows refused", "raw.q_n_ts");
    qfile_base(&q); q.q_ts[1] = 1.0 / 0.0;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: an infinite second refused (named record)", "raw.q_ts record 0");
    qfile_base(&q); q.q_ts[10] = 0.0 / 0.0;
    expect_fail(qfile_read(&q, HERO_TASK_TVC, &x, &err), &err, "items: one NaN end refused", "record 2 window 1");
    qfile_base(&q); q.ts_i64 = 1;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: integer q_ts refused", "expected F64");
    qfile_base(&q); q.with_a = 0;
    expect_fail(qfile_read(&q, HERO_TASK_VIDEOQA, &x, &err), &err, "items: video QA without candidates refused", "raw.a_len");
    qfile_base(&q); q.a_len[14] = 2;
    expect_fail(qfile_read(&q, HERO_TASK_VIDEOQA, &x, &err), &err, "items: a_tokens shorter than a_len's sum refused", "raw.a_tokens");
    qfile_base(&q); q.target[0] = 5;
    expect_fail(qfile_read(&q, HERO_TASK_VIDEOQA, &x, &err), &err, "items: an answer past the candidates refused", "raw.target");
    qfile_base(&q); q.target[2] = 2;
    expect_fail(qfile_read(&q, HERO_TASK_VIOLIN, &x, &err), &err, "items: a VIOLIN label 2 refused", "raw.target");
    qfile_base(&q); q.q_n_ts[2] = 0;
    expect_fail(qfile_read(&q, HERO_TASK_TVC, &x, &err), &err, "items: a TVC record without a window refused", "record 2");
    qfile_base(&q); q.q_type[0] = 3;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: a query type 3 refused", "raw.q_type");
    qfile_base(&q); q.drop = 2;
    expect_fail(qfile_read(&q, HERO_TASK_VSM, &x, &err), &err, "items: q_n_ts without q_ts refused", "raw.q_ts is missing");
    /* video QA: a NaN-NaN or any non-finite window is no ts (hero_ann_read's "st-ed" rule) */
    qfile_base(&q); q.q_ts[0] = 1.0 / 0.0;
    rc = qfile_read(&q, HERO_TASK_VIDEOQA, &x, &err);
    ok = rc == 0 && !x.items[0].has_ts && x.n_ts[0] == 0;
    check(ok, "items: video QA takes a non-finite window as no ts", rc ? err.msg : "has_ts set");
    if (rc == 0) hero_ft_items_free(&x);
    /* every truncation of a valid file: refused at open or read, never a crash */
    {
        char path[256];
        FILE *f;
        long sz, cut;
        unsigned char *buf = NULL;
        int bad = 0;
        hero_tensorfile tf;
        qfile_base(&q);
        snprintf(path, sizeof(path), "/tmp/hero_test_items_t_%d.safetensors", (int)getpid());
        rc = qfile_write(&q, path, &err);
        f = rc ? NULL : fopen(path, "rb");
        sz = 0;
        if (f && fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = (unsigned char *)malloc((size_t)sz)) &&
            fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
            for (cut = 0; cut < sz; cut++) {
                if (hero_tensorfile_open_memory(&tf, buf, (size_t)cut, "cut.safetensors", &err)) continue;
                if (hero_ft_items_read(&x, &tf, HERO_TASK_VIDEOQA, 2, &err) == 0) { bad++; hero_ft_items_free(&x); }
                hero_tensorfile_close(&tf);
            }
        } else {
            bad = -1;
        }
        if (f) fclose(f);
        free(buf);
        unlink(path);
        snprintf(why, sizeof(why), "%d of %ld truncations read", bad, sz);
        check(bad == 0, "items: every truncation of a query file refused", why);
    }
}

static void test_defaults(void) {
    hero_ft_config c;
    hero_error err;
    int ok = 1;
    ok &= hero_ft_config_default("tvr", 50265, &c, &err) == 0 && c.task == HERO_TASK_VSM && c.items_per_batch == 32 &&
          c.accum_steps == 2 && c.adamw.lr == 1e-4f && c.adamw.warmup_steps == 500 && c.adamw.total_steps == 5000 &&
          c.lw_st_ed == 0.01f && c.lw_neg_ctx == 8 && c.drop_svmr_prob == 0.8f && c.hard_negative_start == 2000 &&
          c.hard_pool_size == 20 && c.batch.max_frames == 100 && c.frame_interval == 1.5 && c.adamw.lr_mul == 1 &&
          c.batch.keep_all_subs == 0;
    ok &= hero_ft_config_default("msrvtt", 50265, &c, &err) == 0 && c.items_per_batch == 96 && c.frame_interval == 2 &&
          c.batch.sub_ctx_len == 1 && c.hard_pool_size == 80 && c.lw_st_ed == 0 && c.lw_neg_q == 10 &&
          c.batch.keep_all_subs == 1;
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
    test_vr_no_cut();
    test_items_layout();
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
    test_items_golden(&vcmr);
    test_items_golden(&vr);
    test_items_golden(&violin);
    free_task(&vcmr); free_task(&vr); free_task(&qa); free_task(&violin); free_task(&tvc);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}

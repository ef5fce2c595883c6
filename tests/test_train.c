/* Training tests: N updates in one run equal N/2 updates + save + resume + N/2 updates, bit for
   bit; a non-finite gradient is reported and not applied; a failed save keeps the old file. */
#define _POSIX_C_SOURCE 200809L
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_pass, g_fail;
static void check(int ok, const char *name, const char *why) {
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : why);
    if (ok) g_pass++;
    else g_fail++;
}

/* the golden corpus (3 videos) as hero_video views */
typedef struct corpus {
    hero_tensorfile tf;
    int32_t *nf, *ns, *sl, *st, *si, *sn, *sf;
    float *feats;
    hero_video v[8];
    int n;
} corpus;

static int32_t *ints(const hero_tensorfile *tf, const char *name, size_t *n) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t k = t ? hero_tensor_numel(t) : 0, i;
    int64_t *tmp = (int64_t *)malloc((size_t)(k ? k : 1) * sizeof(int64_t));
    int32_t *out = (int32_t *)malloc((size_t)(k ? k : 1) * sizeof(int32_t));
    hero_error err;
    if (t) hero_tensor_read_i64(t, tmp, k, &err);
    for (i = 0; i < k; i++) out[i] = (int32_t)tmp[i];
    free(tmp);
    *n = (size_t)k;
    return out;
}

static int corpus_load(corpus *c, const char *path, int F) {
    hero_error err;
    size_t nnf, nns, nsl, nst, nsi, nsn, nsf;
    const hero_tensor_info *t;
    memset(c, 0, sizeof(*c));
    if (hero_tensorfile_open(&c->tf, path, &err)) { printf("FAIL open %s: %s\n", path, err.msg); return -1; }
    c->nf = ints(&c->tf, "raw.nframes", &nnf); c->ns = ints(&c->tf, "raw.num_subs", &nns);
    c->sl = ints(&c->tf, "raw.sub_len", &nsl); c->st = ints(&c->tf, "raw.sub_tokens", &nst);
    c->si = ints(&c->tf, "raw.s2f_sub_idx", &nsi); c->sn = ints(&c->tf, "raw.s2f_nframes", &nsn);
    c->sf = ints(&c->tf, "raw.s2f_frames", &nsf);
    t = hero_tensorfile_find(&c->tf, "raw.v_feats");
    c->feats = (float *)malloc((size_t)hero_tensor_numel(t) * sizeof(float));
    hero_tensor_read_f32(t, c->feats, hero_tensor_numel(t), &err);
    c->n = (int)nnf;
    if (hero_videos_from_flat(c->v, c->n, F, c->nf, c->feats, (size_t)hero_tensor_numel(t), c->ns, c->sl, nsl, c->st, nst, c->si,
                              c->sn, c->sf, nsf, &err)) {
        printf("FAIL corpus: %s\n", err.msg);
        return -1;
    }
    return 0;
}
static void corpus_free(corpus *c) {
    free(c->nf); free(c->ns); free(c->sl); free(c->st); free(c->si); free(c->sn); free(c->sf); free(c->feats);
    hero_tensorfile_close(&c->tf);
}

static hero_train_config small_cfg(const hero_model *m) {
    hero_train_config c = hero_train_config_default(m->cfg.V);
    c.videos_per_batch = 3;
    c.accum_steps = 2;
    c.hard_negative_start = 3; /* exercise the switch */
    c.hard_pool_size = 2;
    c.adamw.lr = 5e-4f;
    c.adamw.warmup_steps = 2;
    c.adamw.total_steps = 10;
    c.seed = 1234;
    return c;
}

static const char *DIR_ = "tests/golden/tiny";

static int load_model(hero_model *m) {
    char cfg[512], ck[512];
    hero_error err;
    snprintf(cfg, sizeof(cfg), "%s/config.json", DIR_);
    snprintf(ck, sizeof(ck), "%s/model.pt", DIR_);
    if (hero_model_load(m, cfg, ck, NULL, &err)) { printf("FAIL load: %s\n", err.msg); return -1; }
    return 0;
}

static void test_resume(corpus *c) {
    hero_model a, b;
    hero_trainer ta, tb;
    hero_train_config cfg;
    hero_error err;
    const char *path = "build/test_train_state.safetensors";
    int i, ok = 1, N = 8, tasks_seen = 0;
    char why[700] = "";
    if (load_model(&a) || load_model(&b)) { g_fail++; return; }
    cfg = small_cfg(&a);
    if (hero_trainer_init(&ta, &a, &cfg, c->v, c->n, &err) || hero_trainer_init(&tb, &b, &cfg, c->v, c->n, &err)) {
        check(0, "trainer init", err.msg);
        return;
    }
    for (i = 0; i < N && ok; i++) {
        if (hero_trainer_update(&ta, &err)) { ok = 0; snprintf(why, sizeof(why), "run A update %d: %s", i, err.msg); }
        tasks_seen |= 1 << ta.last_task;
    }
    for (i = 0; i < N / 2 && ok; i++)
        if (hero_trainer_update(&tb, &err)) { ok = 0; snprintf(why, sizeof(why), "run B update %d: %s", i, err.msg); }
    if (ok && hero_trainer_save(&tb, path, &err)) { ok = 0; snprintf(why, sizeof(why), "save: %s", err.msg); }
    hero_trainer_free(&tb);
    hero_model_free(&b);
    /* a fresh process would do exactly this: model from the original checkpoint, then the state */
    if (ok && (load_model(&b) || hero_trainer_init(&tb, &b, &cfg, c->v, c->n, &err) || hero_trainer_load(&tb, path, &err))) {
        ok = 0; snprintf(why, sizeof(why), "resume: %s", err.msg);
    }
    for (i = N / 2; i < N && ok; i++)
        if (hero_trainer_update(&tb, &err)) { ok = 0; snprintf(why, sizeof(why), "run B update %d: %s", i, err.msg); }
    check(ok, "8 updates run, saved after 4 and resumed", why);
    if (ok && (hero_model_download(&a, &err) || hero_model_download(&b, &err) || hero_optimizer_download(&ta.opt, &a, &err) ||
               hero_optimizer_download(&tb.opt, &b, &err))) { /* GPU models: their host copies */
        ok = 0;
        check(0, "download", err.msg);
    }
    if (ok) {
        check(memcmp(a.params, b.params, a.n_floats * sizeof(float)) == 0, "resume: parameters bit for bit", "differ");
        check(memcmp(ta.opt.m, tb.opt.m, a.n_floats * sizeof(float)) == 0 &&
                  memcmp(ta.opt.v, tb.opt.v, a.n_floats * sizeof(float)) == 0 && ta.opt.step == tb.opt.step,
              "resume: AdamW moments and step bit for bit", "differ");
        check(memcmp(&ta.rng, &tb.rng, sizeof(ta.rng)) == 0, "resume: PRNG state", "differs");
        {
            int want = 0, t;
            char got[160] = "drew:";
            for (t = 0; t < HERO_TASK_COUNT; t++) {
                if (cfg.task_ratio[t] > 0) want |= 1 << t;
                if (tasks_seen & (1 << t)) snprintf(got + strlen(got), sizeof(got) - strlen(got), " %s", hero_task_name((hero_task)t));
            }
            check(want != 0 && (tasks_seen & want) == want && (tasks_seen & ~want) == 0,
                  "the 8 updates drew every task kind of the mixture (and no other)", got);
        }
    }
    /* the saved weights load as a plain checkpoint under the official names */
    {
        hero_model m2;
        char cfgp[512];
        hero_load_report rep;
        snprintf(cfgp, sizeof(cfgp), "%s/config.json", DIR_);
        if (hero_model_load(&m2, cfgp, path, &rep, &err)) check(0, "training state loads as a checkpoint", err.msg);
        else {
            check(rep.n_loaded == m2.n_params, "training state loads as a checkpoint", "tensors missing");
            hero_model_free(&m2);
        }
    }
    hero_trainer_free(&ta); hero_trainer_free(&tb);
    hero_model_free(&a); hero_model_free(&b);
}

static void test_nonfinite(corpus *c) {
    hero_model m;
    hero_trainer t;
    hero_train_config cfg;
    hero_error err;
    float *before;
    hero_param *vw;
    int rc;
    if (load_model(&m)) { g_fail++; return; }
    cfg = small_cfg(&m);
    hero_trainer_init(&t, &m, &cfg, c->v, c->n, &err);
    /* poison one weight (through the table's host copy, then to the model: also a GPU model) */
    vw = hero_model_param(&m, "v_encoder.f_encoder.encoder.layer.0.attention.self.value.weight");
    vw->data[3] = NAN; /* every task's loss becomes NaN */
    hero_model_upload(&m, &err);
    before = (float *)malloc(m.n_floats * sizeof(float));
    memcpy(before, m.params, m.n_floats * sizeof(float));
    rc = hero_trainer_update(&t, &err);
    check(rc == HERO_ENUMERIC, "NaN loss is reported", err.msg);
    check(rc != 0 && strstr(err.msg, "update 1") != NULL && strstr(err.msg, "task") != NULL, "report names task and update", err.msg);
    hero_model_download(&m, &err);
    check(memcmp(before, m.params, m.n_floats * sizeof(float)) == 0 && t.opt.step == 0, "NaN update not applied", "parameters changed");
    /* a non-finite gradient alone (finite loss) names the first parameter affected */
    vw->data[3] = 0.0f;
    memset(m.grads, 0, m.n_floats * sizeof(float));
    m.table[5].has_grad = 1;
    m.table[5].grad[0] = INFINITY;
    hero_model_upload(&m, &err);
    rc = hero_optimizer_step(&t.opt, &m, NULL, NULL, &err);
    check(rc == HERO_ENUMERIC && strstr(err.msg, m.table[5].name) != NULL, "Inf gradient names the parameter", err.msg);
    free(before);
    hero_trainer_free(&t);
    hero_model_free(&m);
}

static void test_failed_save_keeps_old(corpus *c) {
    hero_model m;
    hero_trainer t;
    hero_train_config cfg;
    hero_error err;
    const char *path = "build/test_train_keep.safetensors";
    char tmp[512];
    struct stat s1, s2;
    unsigned char *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    int rc;
    if (load_model(&m)) { g_fail++; return; }
    cfg = small_cfg(&m);
    hero_trainer_init(&t, &m, &cfg, c->v, c->n, &err);
    remove(path);
    rc = hero_trainer_save(&t, path, &err);
    check(rc == 0 && stat(path, &s1) == 0 && hero__read_file(path, 0, &b1, &n1, &err) == 0, "save writes the file", err.msg);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    remove(tmp);
    mkdir(tmp, 0700); /* the temporary file cannot be created: the save must fail cleanly */
    hero_trainer_update(&t, &err);
    rc = hero_trainer_save(&t, path, &err);
    check(rc != 0, "save into an unwritable temporary fails with an error", "it succeeded");
    check(stat(path, &s2) == 0 && s2.st_size == s1.st_size && hero__read_file(path, 0, &b2, &n2, &err) == 0 && b1 && n1 == n2 &&
              memcmp(b1, b2, n1) == 0 && hero_trainer_load(&t, path, &err) == 0,
          "the previous checkpoint is intact (byte for byte) and loads", err.msg);
    HERO_FREE(b1);
    HERO_FREE(b2);
    rmdir(tmp);
    remove(path);
    hero_trainer_free(&t);
    hero_model_free(&m);
}

int main(int argc, char **argv) {
    corpus c;
    hero_model m;
    if (argc > 1) DIR_ = argv[1];
    if (load_model(&m)) return 1;
    if (corpus_load(&c, "tests/golden/tiny/repr.safetensors", m.cfg.F)) return 1;
    hero_model_free(&m);
    test_resume(&c);
    test_nonfinite(&c);
    test_failed_save_keeps_old(&c);
    remove("build/test_train_state.safetensors");
    corpus_free(&c);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

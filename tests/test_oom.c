/* make test-oom: allocation-failure injection (issue 17 item 3). Every HERO_MALLOC / HERO_REALLOC
   of hero.h goes through this program's allocator, which makes the k-th call of a scenario fail.
   For each scenario: one clean run counts its allocations N and the distinct allocation sites
   (lines of hero.h) it reaches; then, for every k in 1..N, the scenario runs again (in this
   process: hero.h has no global state) with the k-th allocation failing and must
     - return an error carrying a message (or succeed, where the library has a fallback: counted
       and printed as "absorbed"),
     - free everything it allocated (this allocator's count of live blocks after every run, and
       LeakSanitizer at exit for what libc allocates, e.g. an unclosed FILE, when built with
       -fsanitize=address),
     - not crash (a signal, a sanitizer report).
   Scenarios: each checkpoint format (torch zip, legacy torch, safetensors; npy / npz), tokenizer
   load + tokenize, subtitles + features + alignment, one update of every task, save + resume,
   retrieval over a small folder (the fixture of tests/test_retrieve.sh), the retrieval index (one
   video added from files, searched, saved).
   Usage: test_oom FIXTURE_DIR [SCENARIO...]   (FIXTURE_DIR: where `test_media --fixture` wrote
   videos/ and tok/; this program writes its checkpoints there too). OOM_STRIDE=S tests every
   S-th k only (plus the first and last call of every site). Ends "N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
static void *oom_malloc(size_t n, int line);
static void *oom_realloc(void *p, size_t n, int line);
static void oom_free(void *p);
#define HERO_MALLOC(n) oom_malloc(n, __LINE__)
#define HERO_REALLOC(p, n) oom_realloc(p, n, __LINE__)
#define HERO_FREE(p) oom_free(p)
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <stdlib.h>
#include <string.h>

/* ---- the allocator: counts calls, fails the k-th, records sites, counts live blocks ---- */
#define OOM_MAX_CALLS (1 << 20)
static long g_calls, g_fail_at, g_live, g_failed_line;
static int g_record, *g_site; /* g_site[i]: hero.h line of call i + 1 (clean run) */

static int oom_should_fail(int line) {
    g_calls++;
    if (g_record && g_calls <= OOM_MAX_CALLS) g_site[g_calls - 1] = line;
    if (g_calls == g_fail_at) { g_failed_line = line; return 1; }
    return 0;
}
static void *oom_malloc(size_t n, int line) {
    void *p;
    if (oom_should_fail(line)) return NULL;
    p = malloc(n ? n : 1);
    if (p) g_live++;
    return p;
}
static void *oom_realloc(void *p, size_t n, int line) {
    void *q;
    if (oom_should_fail(line)) return NULL;
    q = realloc(p, n ? n : 1);
    if (q && !p) g_live++;
    return q;
}
static void oom_free(void *p) {
    if (p) g_live--;
    free(p);
}

/* ---- scenarios: each does its whole job from nothing and frees everything, on every path ---- */
static const char *GOLD = "tests/golden/tiny";
static char g_fix[512];   /* FIXTURE_DIR */
static char g_state[600]; /* a training state written by the setup (also a safetensors checkpoint) */

static int load_model(hero_model *m, const char *ckpt, hero_error *e) {
    char cfg[600];
    hero_load_report rep;
    snprintf(cfg, sizeof cfg, "%s/config.json", GOLD);
    return hero_model_load(m, cfg, ckpt, &rep, e);
}
static int sc_load_zip(hero_error *e) {
    hero_model m;
    int rc = load_model(&m, "tests/golden/tiny/model.pt", e);
    if (!rc) hero_model_free(&m);
    return rc;
}
static int sc_load_legacy(hero_error *e) {
    hero_model m;
    int rc = load_model(&m, "tests/golden/tiny/model_legacy.pt", e);
    if (!rc) hero_model_free(&m);
    return rc;
}
static int sc_load_safetensors(hero_error *e) {
    hero_model m;
    int rc = load_model(&m, g_state, e);
    if (!rc) hero_model_free(&m);
    return rc;
}
/* npy / npz (stored and deflated members, zip64) and a safetensors of every dtype: open, read every tensor */
static int sc_tensorfiles(hero_error *e) {
    static const char *files[] = {"tests/data/a.npy", "tests/data/c.npz", "tests/data/s.npz", "tests/data/z64.npz",
                                  "tests/data/dtypes.safetensors"};
    int f, i, rc = 0;
    for (f = 0; f < 5 && !rc; f++) {
        hero_tensorfile tf;
        if ((rc = hero_tensorfile_open(&tf, files[f], e)) != 0) break;
        for (i = 0; i < tf.n_tensors && !rc; i++) {
            int64_t n = hero_tensor_numel(&tf.tensors[i]);
            float *x = (float *)HERO_MALLOC((size_t)(n ? n : 1) * sizeof(float));
            if (!x) rc = hero__fail(e, HERO_ENOMEM, "test: out of memory");
            else rc = hero_tensor_read_f32(&tf.tensors[i], x, n, e);
            HERO_FREE(x);
        }
        hero_tensorfile_close(&tf);
    }
    return rc;
}
static int sc_tokenizer(hero_error *e) {
    static const char *texts[] = {"the man in the hall", "WHAT A DOOR! the door &amp; the hall", "he will wait, wow"};
    char v[600], mg[600], out[512];
    hero_tokenizer *tok = NULL;
    int32_t ids[256];
    int i, n, rc;
    snprintf(v, sizeof v, "%s/tok/vocab.json", g_fix);
    snprintf(mg, sizeof mg, "%s/tok/merges.txt", g_fix);
    if ((rc = hero_tokenizer_load(&tok, v, mg, e)) != 0) return rc;
    for (i = 0; i < 3 && !rc; i++) {
        n = hero_tokenize(tok, texts[i], strlen(texts[i]), HERO_TOKENIZE_ROBERTA, ids, 256, e);
        if (n < 0) rc = n;
        else if ((rc = hero_detokenize(tok, ids, n, out, sizeof out, e)) > 0) rc = 0;
    }
    hero_tokenizer_free(tok);
    return rc < 0 ? rc : 0;
}
/* subtitles (JSONL + SRT) + features (npz pairs, npy) + alignment and tokenization (hero_video_prepare) */
static int sc_media(hero_error *e) {
    char p[600], q[600], v[600], mg[600];
    hero_tokenizer *tok = NULL;
    hero_subtitles *list = NULL, srt;
    int nv = 0, rc, i;
    hero_media_options mo = hero_media_options_default();
    static const char *pairs[] = {"vid_a", "vid_c", "vid_d"};
    snprintf(v, sizeof v, "%s/tok/vocab.json", g_fix);
    snprintf(mg, sizeof mg, "%s/tok/merges.txt", g_fix);
    if ((rc = hero_tokenizer_load(&tok, v, mg, e)) != 0) return rc;
    snprintf(p, sizeof p, "%s/videos/subs.jsonl", g_fix);
    if ((rc = hero_subs_read_jsonl(&list, &nv, p, e)) != 0) { hero_tokenizer_free(tok); return rc; }
    snprintf(p, sizeof p, "%s/videos/vid_b.srt", g_fix);
    if ((rc = hero_subs_read_srt(&srt, p, e)) != 0) { hero_subs_list_free(list, nv); hero_tokenizer_free(tok); return rc; }
    for (i = 0; i < 4 && !rc; i++) {
        hero_feats f;
        hero_video_data vd;
        const hero_subtitles *s;
        if (i < 3) {
            snprintf(p, sizeof p, "%s/videos/resnet_features/%s.npz", g_fix, pairs[i]);
            snprintf(q, sizeof q, "%s/videos/slowfast_features/%s.npz", g_fix, pairs[i]);
            rc = hero_feats_read_pair(&f, p, q, 8, 12, mo.max_frames, e);
            s = hero_subs_find(list, nv, pairs[i]);
        } else {
            snprintf(p, sizeof p, "%s/videos/vid_b.npy", g_fix);
            rc = hero_feats_read(&f, p, 20, mo.max_frames, e);
            s = &srt;
        }
        if (rc) break;
        rc = hero_video_prepare(&vd, &f, s, tok, &mo, e);
        if (!rc) hero_video_data_free(&vd);
        hero_feats_free(&f);
    }
    hero_subtitles_free(&srt);
    hero_subs_list_free(list, nv);
    hero_tokenizer_free(tok);
    return rc;
}

/* the golden corpus (3 videos), read once by the parent before any failure is armed (the scenarios
   compare live blocks before and after, so its arrays are simply a constant offset) */
static hero_corpus g_corpus;
static hero_video *g_videos;
static int g_nvid;

static void corpus_load(int F) {
    hero_tensorfile tf;
    hero_error err;
    if (hero_tensorfile_open(&tf, "tests/golden/tiny/repr.safetensors", &err) || hero_corpus_read(&g_corpus, &tf, &err)) {
        printf("FAIL corpus: %s\n", err.msg);
        exit(1);
    }
    hero_tensorfile_close(&tf);
    if (g_corpus.F != F) { printf("FAIL corpus: %d features per frame, the model has %d\n", g_corpus.F, F); exit(1); }
    g_videos = g_corpus.videos;
    g_nvid = g_corpus.n_videos;
}

static hero_train_config train_cfg(const hero_model *m, int task) {
    hero_train_config c = hero_train_config_default(m->cfg.V);
    int i;
    c.videos_per_batch = 3;
    c.accum_steps = 2;
    c.hard_negative_start = 0; /* VSM with hard negatives from the first update */
    c.hard_pool_size = 2;
    c.adamw.lr = 5e-4f;
    c.adamw.warmup_steps = 2;
    c.adamw.total_steps = 10;
    c.seed = 1234;
    if (task >= 0)
        for (i = 0; i < HERO_TASK_COUNT; i++) c.task_ratio[i] = i == task ? 1.0f : 0.0f;
    return c;
}
/* one update of each training task (its own trainer), on one model */
static int sc_train(hero_error *e) {
    static const int tasks[] = {HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_MFFR, HERO_TASK_FOM, HERO_TASK_VSM};
    hero_model m;
    int i, rc = load_model(&m, "tests/golden/tiny/model.pt", e);
    if (rc) return rc;
    for (i = 0; i < 5 && !rc; i++) {
        hero_trainer t;
        hero_train_config c = train_cfg(&m, tasks[i]);
        if ((rc = hero_trainer_init(&t, &m, &c, g_videos, g_nvid, e)) != 0) break;
        rc = hero_trainer_update(&t, e);
        if (!rc && t.last_task != (hero_task)tasks[i]) rc = hero__fail(e, HERO_EINVAL, "test: task %d ran, not %d", (int)t.last_task, tasks[i]);
        hero_trainer_free(&t);
    }
    hero_model_free(&m);
    return rc;
}
/* an update, a save, then a fresh model + trainer resumed from the file */
static int sc_save_resume(hero_error *e) {
    char path[600];
    hero_model m;
    hero_trainer t;
    hero_train_config c;
    int rc = load_model(&m, "tests/golden/tiny/model.pt", e);
    snprintf(path, sizeof path, "%s/oom_state.safetensors", g_fix);
    if (rc) return rc;
    c = train_cfg(&m, -1);
    if ((rc = hero_trainer_init(&t, &m, &c, g_videos, g_nvid, e)) != 0) { hero_model_free(&m); return rc; }
    rc = hero_trainer_update(&t, e);
    if (!rc) rc = hero_trainer_save(&t, path, e);
    hero_trainer_free(&t);
    hero_model_free(&m);
    if (rc) return rc;
    if ((rc = load_model(&m, "tests/golden/tiny/model.pt", e)) != 0) return rc;
    if ((rc = hero_trainer_init(&t, &m, &c, g_videos, g_nvid, e)) == 0) {
        rc = hero_trainer_load(&t, path, e);
        hero_trainer_free(&t);
    }
    hero_model_free(&m);
    return rc;
}
/* retrieval over the fixture folder: videos prepared and encoded (REPR), queries tokenized and
   encoded, every query against every video, moments ranked */
static int sc_retrieval(hero_error *e) {
    static const char *qs[] = {"the door", "a man in the hall"};
    static const char *pairs[] = {"vid_a", "vid_c", "vid_d"};
    char p[600], q[600], v[600], mg[600];
    hero_model m;
    hero_tokenizer *tok = NULL;
    hero_subtitles *list = NULL;
    hero_video_data vd[3];
    hero_video views[3];
    hero_batch b;
    hero_result res;
    hero_media_options mo = hero_media_options_default();
    hero_batch_options bo;
    hero_vcmr_options vo = hero_vcmr_options_default();
    hero_moment mom[8];
    int32_t qids[2 * 32], qmask[2 * 32];
    float *frames = NULL, *mq = NULL, *q2v = NULL, *st = NULL, *ed = NULL;
    int nv = 0, nprep = 0, i, rc, H, L = 0, Lq = 0, lens[2], built = 0;
    if ((rc = load_model(&m, "tests/golden/tiny/model.pt", e)) != 0) return rc;
    H = m.cfg.H;
    bo = hero_batch_options_default(m.cfg.V);
    snprintf(v, sizeof v, "%s/tok/vocab.json", g_fix);
    snprintf(mg, sizeof mg, "%s/tok/merges.txt", g_fix);
    if ((rc = hero_tokenizer_load(&tok, v, mg, e)) != 0) goto done;
    snprintf(p, sizeof p, "%s/videos/subs.jsonl", g_fix);
    if ((rc = hero_subs_read_jsonl(&list, &nv, p, e)) != 0) goto done;
    for (i = 0; i < 3; i++) {
        hero_feats f;
        snprintf(p, sizeof p, "%s/videos/resnet_features/%s.npz", g_fix, pairs[i]);
        snprintf(q, sizeof q, "%s/videos/slowfast_features/%s.npz", g_fix, pairs[i]);
        if ((rc = hero_feats_read_pair(&f, p, q, 8, 12, mo.max_frames, e)) != 0) goto done;
        rc = hero_video_prepare(&vd[i], &f, hero_subs_find(list, nv, pairs[i]), tok, &mo, e);
        hero_feats_free(&f);
        if (rc) goto done;
        views[i] = vd[i].video;
        nprep++;
    }
    if ((rc = hero_build_batch(&b, HERO_TASK_REPR, views, 3, &bo, NULL, NULL, e)) != 0) goto done;
    built = 1;
    if ((rc = hero_forward_backward(&m, &b, 0, NULL, &res, e)) != 0) goto done;
    L = b.L;
    frames = (float *)HERO_MALLOC((size_t)3 * L * H * sizeof(float));
    if (!frames) { rc = hero__fail(e, HERO_ENOMEM, "test: out of memory"); goto done; }
    memcpy(frames, res.c_seq, (size_t)3 * L * H * sizeof(float));
    for (i = 0; i < 2; i++) {
        int n = hero_tokenize(tok, qs[i], strlen(qs[i]), HERO_TOKENIZE_ROBERTA, qids + i * 32 + 1, 30, e);
        if (n < 0) { rc = n; goto done; }
        qids[i * 32] = 0;
        lens[i] = n + 1;
        if (lens[i] > Lq) Lq = lens[i];
    }
    {   /* [Nq, Lq] padded with 1 / mask 0 (in place: rows of 32 -> rows of Lq) */
        int32_t ids2[2 * 32];
        int t;
        for (i = 0; i < 2; i++)
            for (t = 0; t < Lq; t++) {
                ids2[i * Lq + t] = t < lens[i] ? qids[i * 32 + t] : 1;
                qmask[i * Lq + t] = t < lens[i];
            }
        memcpy(qids, ids2, sizeof ids2);
    }
    mq = (float *)HERO_MALLOC((size_t)2 * H * sizeof(float));
    q2v = (float *)HERO_MALLOC((size_t)2 * 3 * sizeof(float));
    st = (float *)HERO_MALLOC((size_t)2 * 3 * L * sizeof(float));
    ed = (float *)HERO_MALLOC((size_t)2 * 3 * L * sizeof(float));
    if (!mq || !q2v || !st || !ed) { rc = hero__fail(e, HERO_ENOMEM, "test: out of memory"); goto done; }
    if ((rc = hero_encode_queries(&m, qids, qmask, 2, Lq, mq, e)) != 0) goto done;
    if ((rc = hero_vcmr_scores(&m, mq, 2, frames, b.c_attn_mask, 3, L, q2v, st, ed, e)) != 0) goto done;
    for (i = 0; i < 2; i++) {
        int n = hero_vcmr_rank(q2v + i * 3, st + (size_t)i * 3 * L, ed + (size_t)i * 3 * L, 3, L, &vo, 1, mom, 8, e);
        if (n < 0) { rc = n; goto done; }
    }
done:
    HERO_FREE(frames); HERO_FREE(mq); HERO_FREE(q2v); HERO_FREE(st); HERO_FREE(ed);
    if (built) hero_batch_free(&b);
    for (i = 0; i < nprep; i++) hero_video_data_free(&vd[i]);
    if (list) hero_subs_list_free(list, nv);
    hero_tokenizer_free(tok);
    hero_model_free(&m);
    return rc;
}

/* the retrieval index: one video added from files, one query searched, the index saved (the search's
   query buffers and the save's group names were freed unset when a later allocation failed) */
static int sc_index(hero_error *e) {
    static const char *qs[] = {"the door"};
    char p[600], q[600], v[600], mg[600], out[600];
    hero_model m;
    hero_tokenizer *tok = NULL;
    hero_index *ix = NULL;
    hero_index_options io = hero_index_options_default();
    hero_index_hit hits[2];
    int n_hits[1], rc;
    if ((rc = load_model(&m, "tests/golden/tiny/model.pt", e)) != 0) return rc;
    snprintf(v, sizeof v, "%s/tok/vocab.json", g_fix);
    snprintf(mg, sizeof mg, "%s/tok/merges.txt", g_fix);
    if ((rc = hero_tokenizer_load(&tok, v, mg, e)) != 0) goto done;
    io.dim_resnet = 8;
    io.dim_slowfast = 12;
    if ((rc = hero_index_create(&ix, &m, tok, &io, e)) != 0) goto done;
    snprintf(p, sizeof p, "%s/videos/resnet_features/vid_a.npz", g_fix);
    snprintf(q, sizeof q, "%s/videos/slowfast_features/vid_a.npz", g_fix);
    snprintf(v, sizeof v, "%s/videos/subs.jsonl", g_fix);
    if ((rc = hero_index_add_files(ix, "vid_a", p, q, v, e)) < 0) goto done;
    if ((rc = hero_index_search(ix, qs, 1, NULL, 1, 2, hits, n_hits, e)) != 0) goto done;
    snprintf(out, sizeof out, "%s/oom_index.safetensors", g_fix);
    rc = hero_index_save(ix, out, "oom", e);
done:
    hero_index_free(ix);
    hero_tokenizer_free(tok);
    hero_model_free(&m);
    return rc;
}

typedef struct scenario {
    const char *name;
    int (*run)(hero_error *e);
} scenario;
static const scenario g_scen[] = {
    {"load-torch-zip", sc_load_zip},       {"load-torch-legacy", sc_load_legacy}, {"load-safetensors", sc_load_safetensors},
    {"tensorfiles-npy-npz", sc_tensorfiles}, {"tokenizer", sc_tokenizer},       {"media", sc_media},
    {"train-every-task", sc_train},        {"save-resume", sc_save_resume},     {"retrieval", sc_retrieval},
    {"index", sc_index},
};
#define N_SCEN ((int)(sizeof g_scen / sizeof g_scen[0]))

static int g_pass, g_fail;

/* the scenario with allocation k failing, in this process (hero.h has no global state): 0 = an
   error with a message and nothing left allocated; 10 = absorbed (succeeded without it); 2 = an
   error without a message; 3 = blocks left allocated. A crash ends the program (the sanitizer
   names the place; OOM_VERBOSE=1 names each k on stderr before it runs). */
static int g_verbose;

static int one_run(const scenario *s, long k) {
    hero_error e;
    long live0 = g_live;
    int rc;
    memset(&e, 0, sizeof e);
    g_calls = 0;
    g_fail_at = k;
    g_failed_line = 0;
    rc = s->run(&e);
    g_fail_at = 0;
    if (g_live != live0) {
        printf("   k=%ld (hero.h:%ld failed): %ld block(s) not freed (rc %d: %s)\n", k, g_failed_line, g_live - live0, rc, e.msg);
        return 3;
    }
    if (rc == 0) return 10; /* absorbed: the library went on without that allocation */
    if (!e.msg[0]) {
        printf("   k=%ld (hero.h:%ld failed): error %d without a message\n", k, g_failed_line, rc);
        return 2;
    }
    return 0;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void run_scenario(const scenario *s, long stride) {
    hero_error e;
    long N, k, tested = 0, errors = 0, absorbed = 0, bad = 0;
    int rc, n_sites = 0, *sorted;
    char *test_k;
    long i;
    /* the clean run: N, the sites */
    memset(&e, 0, sizeof e);
    g_calls = 0;
    g_fail_at = 0;
    g_record = 1;
    {
        long live0 = g_live;
        rc = s->run(&e);
        g_record = 0;
        if (rc || g_live != live0) {
            printf("FAIL %s: the clean run failed (rc %d: %s; %ld blocks left)\n", s->name, rc, e.msg, g_live - live0);
            g_fail++;
            return;
        }
    }
    N = g_calls < OOM_MAX_CALLS ? g_calls : OOM_MAX_CALLS;
    sorted = (int *)malloc((size_t)(N ? N : 1) * sizeof(int));
    test_k = (char *)calloc((size_t)N + 2, 1);
    if (!sorted || !test_k) { printf("FAIL %s: out of memory in the harness\n", s->name); exit(1); }
    memcpy(sorted, g_site, (size_t)N * sizeof(int));
    qsort(sorted, (size_t)N, sizeof(int), cmp_int);
    for (i = 0; i < N; i++)
        if (i == 0 || sorted[i] != sorted[i - 1]) n_sites++;
    /* which k: all (stride 1), or every stride-th plus the first and last call of every site */
    for (k = 1; k <= N; k++) {
        int site = g_site[k - 1];
        long j;
        int first = 1, last = 1;
        if (stride <= 1 || k % stride == 0) { test_k[k] = 1; continue; }
        for (j = 0; j < k - 1 && first; j++) if (g_site[j] == site) first = 0;
        for (j = k; j < N && last; j++) if (g_site[j] == site) last = 0;
        if (first || last) test_k[k] = 1;
    }
    for (k = 1; k <= N; k++) {
        int r;
        if (!test_k[k]) continue;
        tested++;
        if (g_verbose) { fprintf(stderr, "%s k=%ld (hero.h:%d)\n", s->name, k, g_site[k - 1]); fflush(stderr); }
        r = one_run(s, k);
        if (r == 0) errors++;
        else if (r == 10) absorbed++;
        else bad++;
    }
    printf("%s %s: %ld allocations, %d sites; %ld runs with one failing: %ld errors with a message, %ld absorbed, %ld bad\n",
           bad ? "FAIL" : "PASS", s->name, N, n_sites, tested, errors, absorbed, bad);
    if (bad) g_fail++;
    else g_pass++;
    free(sorted);
    free(test_k);
}

int main(int argc, char **argv) {
    hero_model m;
    hero_trainer t;
    hero_train_config c;
    hero_error e;
    long stride = getenv("OOM_STRIDE") ? atol(getenv("OOM_STRIDE")) : 1;
    g_verbose = getenv("OOM_VERBOSE") != NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int i, j;
    if (argc < 2) { fprintf(stderr, "usage: test_oom FIXTURE_DIR [SCENARIO...]\n"); return 2; }
    snprintf(g_fix, sizeof g_fix, "%s", argv[1]);
    /* one thread: the counting allocator is not thread-safe, and "the k-th allocation" must name the
       same call in every run (the portable GEMM allocates its packing buffers in the pool's workers) */
    hero_set_threads(1);
    g_site = (int *)malloc((size_t)OOM_MAX_CALLS * sizeof(int));
    if (!g_site) return 1;
    /* setup (nothing fails): the corpus, and a training state that is also a safetensors checkpoint */
    if (load_model(&m, "tests/golden/tiny/model.pt", &e)) { printf("FAIL setup: %s\n", e.msg); return 1; }
    corpus_load(m.cfg.F);
    snprintf(g_state, sizeof g_state, "%s/oom_checkpoint.safetensors", g_fix);
    c = train_cfg(&m, -1);
    if (hero_trainer_init(&t, &m, &c, g_videos, g_nvid, &e) || hero_trainer_save(&t, g_state, &e)) {
        printf("FAIL setup: %s\n", e.msg);
        return 1;
    }
    hero_trainer_free(&t);
    hero_model_free(&m);
    for (i = 0; i < N_SCEN; i++) {
        int want = argc <= 2;
        for (j = 2; j < argc; j++) want |= strcmp(argv[j], g_scen[i].name) == 0;
        if (want) run_scenario(&g_scen[i], stride);
    }
    hero_corpus_free(&g_corpus);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}

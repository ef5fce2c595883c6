/* finetune_toy: fine-tunes HERO for VCMR (video corpus moment retrieval) and for video QA on a
   built-in synthetic corpus with the fine-tuning trainer (hero_ft_trainer_*), in seconds.

   usage: finetune_toy [--steps N] [--seed S] [--hidden H]     (`make demo-finetune`)
                   (N video QA updates, 2N VCMR updates; default 500)

   THE TOY WORLD. A video is 3 SEGMENTS of 4..6 frames; each segment shows a TOPIC (8 of them, no
   repeat within a video) in a STYLE (5 of them). A frame is topic prototype + 0.6 style prototype
   + noise; each segment has one subtitle over its frames made of 2 of the topic's 3 words, 1 of
   the style's 2 words and a function word. Frames are 1.5 s apart.
     VCMR      a query = 2 topic words + 1 style word of one segment; its moment = the segment.
               Evaluated on held-out videos as the official VCMR evaluation: video scores from
               hero_encode_queries + the REPR forward + hero_vcmr_scores, moments ranked by
               softmax(st)[s] * softmax(ed)[e] * exp(20 q2video) over every video (2 <= length
               frames <= 8 here), and the official metrics (hero_tvr_eval): VR R@1, VCMR R@1 / R@5
               at temporal IoU 0.5 / 0.7.
     video QA  a question = 2 topic words of one segment; the 5 candidate answers are one word
               of each style; the answer = the segment's style; the moment = the segment.
               Accuracy on held-out videos as validate_videoQA (hero_qa_eval).
   Both models start from random weights (hero_model_init_random: as the official code starts a
   model before loading a checkpoint); with a pre-trained checkpoint use hero_model_load_heads.
   TRAINING: the official recipes (hero_ft_config_default "tvr" and "tvqa": AdamW betas 0.9 / 0.98,
   wd 0.01, clipping 1.0, warmup-linear, lr_mul 10 for the QA heads, lw_st_ed, drop_svmr_prob 0.8)
   scaled to the toy: lr 1e-3 (QA: 5e-4), 10% warmup, 16 items per update, no accumulation,
   no hard negatives. */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N_TOPIC = 8, N_STYLE = 5, N_FUNC = 4, TOPIC_W = 3, STYLE_W = 2, N_SEG = 3, F_DIM = 32, N_TRAIN = 160, N_HELD = 16 };
#define W_TOPIC 4
#define W_STYLE (W_TOPIC + N_TOPIC * TOPIC_W)
#define W_FUNC (W_STYLE + N_STYLE * STYLE_W)
#define VOCAB (W_FUNC + N_FUNC + 1) /* + [MASK] last */
#define IV 1.5

typedef struct toy_set {
    int n;
    hero_video v[N_TRAIN];
    float feats[N_TRAIN][N_SEG * 6 * F_DIM];
    int32_t sub_len[N_TRAIN][N_SEG], sub_tok[N_TRAIN][N_SEG * 4], sub_nf[N_TRAIN][N_SEG], sub_fr[N_TRAIN][N_SEG * 6];
    int topic[N_TRAIN][N_SEG], style[N_TRAIN][N_SEG], st[N_TRAIN][N_SEG], len[N_TRAIN][N_SEG];
    /* one VCMR query and one question per segment */
    hero_ft_item q[N_TRAIN * N_SEG], qa[N_TRAIN * N_SEG];
    int32_t q_tok[N_TRAIN * N_SEG][3], qa_tok[N_TRAIN * N_SEG][2];
} toy_set;

static float g_topic[N_TOPIC][F_DIM], g_style[N_STYLE][F_DIM];
static int32_t g_cand_len[N_STYLE] = {1, 1, 1, 1, 1}, g_cand_tok[N_STYLE];

static float gauss(hero_rng *r) {
    float u = hero_rng_uniform(r) + 1e-7f, v = hero_rng_uniform(r);
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

static void make_set(toy_set *s, int n, hero_rng *r) {
    int v, g, t, i;
    memset(s, 0, sizeof(*s));
    s->n = n;
    for (v = 0; v < n; v++) {
        int T = 0, used = 0, nt = 0, nf = 0;
        for (g = 0; g < N_SEG; g++) {
            int topic, L = 4 + (int)hero_rng_below(r, 3), qi = v * N_SEG + g;
            do topic = (int)hero_rng_below(r, N_TOPIC); while (used & (1 << topic));
            used |= 1 << topic;
            s->topic[v][g] = topic;
            s->style[v][g] = (int)hero_rng_below(r, N_STYLE);
            s->st[v][g] = T; s->len[v][g] = L;
            for (t = 0; t < L; t++, T++)
                for (i = 0; i < F_DIM; i++)
                    s->feats[v][T * F_DIM + i] = g_topic[topic][i] + 0.6f * g_style[s->style[v][g]][i] + 0.5f * gauss(r);
            { /* the subtitle: 2 topic words, 1 style word, 1 function word, shuffled */
                int32_t w[4];
                int a = (int)hero_rng_below(r, TOPIC_W), b = (a + 1 + (int)hero_rng_below(r, TOPIC_W - 1)) % TOPIC_W;
                w[0] = W_TOPIC + topic * TOPIC_W + a; w[1] = W_TOPIC + topic * TOPIC_W + b;
                w[2] = W_STYLE + s->style[v][g] * STYLE_W + (int)hero_rng_below(r, STYLE_W);
                w[3] = W_FUNC + (int)hero_rng_below(r, N_FUNC);
                for (i = 3; i > 0; i--) { int j = (int)hero_rng_below(r, (uint64_t)i + 1); int32_t x = w[i]; w[i] = w[j]; w[j] = x; }
                for (i = 0; i < 4; i++) s->sub_tok[v][nt++] = w[i];
                s->sub_len[v][g] = 4;
                s->sub_nf[v][g] = L;
                for (t = 0; t < L; t++) s->sub_fr[v][nf++] = s->st[v][g] + t;
                /* the VCMR query: 2 topic words (a fresh draw) + a style word */
                a = (int)hero_rng_below(r, TOPIC_W); b = (a + 1 + (int)hero_rng_below(r, TOPIC_W - 1)) % TOPIC_W;
                s->q_tok[qi][0] = W_TOPIC + topic * TOPIC_W + a;
                s->q_tok[qi][1] = W_TOPIC + topic * TOPIC_W + b;
                s->q_tok[qi][2] = W_STYLE + s->style[v][g] * STYLE_W + (int)hero_rng_below(r, STYLE_W);
                s->qa_tok[qi][0] = s->q_tok[qi][0];
                s->qa_tok[qi][1] = s->q_tok[qi][1];
            }
        }
        s->v[v].T = T; s->v[v].F = F_DIM; s->v[v].feats = s->feats[v];
        s->v[v].n_subs = N_SEG; s->v[v].sub_len = s->sub_len[v]; s->v[v].sub_tokens = s->sub_tok[v];
        s->v[v].sub_nframes = s->sub_nf[v]; s->v[v].sub_frames = s->sub_fr[v];
        for (g = 0; g < N_SEG; g++) {
            int qi = v * N_SEG + g;
            hero_ft_item *q = &s->q[qi], *a = &s->qa[qi];
            q->video = v; q->len = 3; q->tokens = s->q_tok[qi]; q->label = -1; q->has_ts = 1;
            q->ts[0] = s->st[v][g] * IV; q->ts[1] = (s->st[v][g] + s->len[v][g]) * IV;
            *a = *q;
            a->len = 2; a->tokens = s->qa_tok[qi];
            a->n_cand = N_STYLE; a->cand_len = g_cand_len; a->cand_tokens = g_cand_tok; a->label = s->style[v][g];
        }
    }
}

/* VCMR / VR on the held-out set with the official metric code */
static int eval_vcmr(hero_model *m, const toy_set *s, const hero_batch_options *o, double *vr1, double *r1_5, double *r1_7,
                     double *r5_5, hero_error *err) {
    hero_batch b;
    hero_result res;
    int H = m->cfg.H, Nq = s->n * N_SEG, Lq = 4, B, L, q, v, i, rc, K = 10;
    int32_t *ids = (int32_t *)calloc((size_t)Nq * Lq, sizeof(int32_t)), *mask = (int32_t *)calloc((size_t)Nq * Lq, sizeof(int32_t));
    float *frames = NULL, *mq = (float *)calloc((size_t)Nq * H, sizeof(float)), *q2v = NULL, *st = NULL, *ed = NULL;
    int64_t *gv = (int64_t *)calloc((size_t)Nq, sizeof(int64_t));
    double *gts = (double *)calloc((size_t)Nq * 2, sizeof(double));
    hero_tvr_sub vc, vrs;
    hero_tvr_gt gt;
    hero_tvr_metrics mt;
    memset(&vc, 0, sizeof(vc)); memset(&vrs, 0, sizeof(vrs));
    if ((rc = hero_build_batch(&b, HERO_TASK_REPR, s->v, s->n, o, NULL, NULL, err)) != 0) goto out0;
    B = b.B; L = b.L;
    frames = (float *)calloc((size_t)B * L * H, sizeof(float));
    q2v = (float *)calloc((size_t)Nq * B, sizeof(float));
    st = (float *)calloc((size_t)Nq * B * L, sizeof(float));
    ed = (float *)calloc((size_t)Nq * B * L, sizeof(float));
    if ((rc = hero_forward_backward(m, &b, 0, NULL, &res, err)) != 0) goto out;
    if ((rc = hero_copy_to_host(m, frames, res.c_seq, (size_t)B * L * H * sizeof(float), err)) != 0) goto out;
    for (q = 0; q < Nq; q++) {
        ids[q * Lq] = o->cls_id; mask[q * Lq] = 1;
        for (i = 0; i < 3; i++) { ids[q * Lq + 1 + i] = s->q[q].tokens[i]; mask[q * Lq + 1 + i] = 1; }
        gv[q] = s->q[q].video; gts[2 * q] = s->q[q].ts[0]; gts[2 * q + 1] = s->q[q].ts[1];
    }
    if ((rc = hero_encode_queries(m, ids, mask, Nq, Lq, mq, err)) != 0) goto out;
    if ((rc = hero_vcmr_scores(m, mq, Nq, frames, b.c_attn_mask, B, L, q2v, st, ed, err)) != 0) goto out;
    if ((rc = hero_tvr_sub_init(&vc, Nq, K, err)) != 0 || (rc = hero_tvr_sub_init(&vrs, Nq, K, err)) != 0) goto out;
    for (q = 0; q < Nq; q++) {
        /* every (video, s, e) with 2 <= e - s < 8 (min_pred_l / max_pred_l), the K best kept sorted */
        double best[16];
        int bv[16], bs[16], be[16], n = 0, vo[N_TRAIN];
        for (v = 0; v < B; v++) {
            const float *sr = st + ((size_t)q * B + v) * L, *er = ed + ((size_t)q * B + v) * L;
            double ps[64], pe[64], zs = 0, ze = 0, vs = exp(20.0 * q2v[(size_t)q * B + v]);
            int T = s->v[v].T, a, e, j;
            for (a = 0; a < T; a++) { ps[a] = exp((double)sr[a]); pe[a] = exp((double)er[a]); zs += ps[a]; ze += pe[a]; }
            for (a = 0; a < T; a++)
                for (e = a + 2; e < T && e - a < 8; e++) {
                    double sc = ps[a] / zs * pe[e] / ze * vs;
                    if (n == K && sc <= best[K - 1]) continue;
                    j = n < K ? n++ : K - 1;
                    while (j > 0 && best[j - 1] < sc) { best[j] = best[j - 1]; bv[j] = bv[j - 1]; bs[j] = bs[j - 1]; be[j] = be[j - 1]; j--; }
                    best[j] = sc; bv[j] = v; bs[j] = a; be[j] = e;
                }
        }
        for (i = 0; i < n; i++)
            if ((rc = hero_tvr_sub_add(&vc, HERO_TVR_VCMR, q, bv[i], bs[i], be[i], (float)best[i], IV, err)) != 0) goto out;
        for (v = 0; v < B; v++) vo[v] = v; /* videos by q2video, descending (stable) */
        for (v = 1; v < B; v++) {
            int x = vo[v], j = v;
            while (j > 0 && q2v[(size_t)q * B + vo[j - 1]] < q2v[(size_t)q * B + x]) { vo[j] = vo[j - 1]; j--; }
            vo[j] = x;
        }
        for (v = 0; v < B && v < K; v++)
            if ((rc = hero_tvr_sub_add(&vrs, HERO_TVR_VR, q, vo[v], 0, 0, q2v[(size_t)q * B + vo[v]], IV, err)) != 0) goto out;
    }
    memset(&gt, 0, sizeof(gt));
    gt.n = Nq; gt.video = gv; gt.ts = gts; gt.max_ts = 1;
    if ((rc = hero_tvr_eval(&mt, HERO_TVR_VR, &vrs, &gt, err)) != 0) goto out;
    *vr1 = mt.r[0][0];
    if ((rc = hero_tvr_eval(&mt, HERO_TVR_VCMR, &vc, &gt, err)) != 0) goto out;
    *r1_5 = mt.r[0][0]; *r1_7 = mt.r[1][0]; *r5_5 = mt.r[0][1];
out:
    hero_batch_free(&b);
out0:
    hero_tvr_sub_free(&vc); hero_tvr_sub_free(&vrs);
    free(ids); free(mask); free(frames); free(mq); free(q2v); free(st); free(ed); free(gv); free(gts);
    return rc;
}

/* video QA accuracy on the held-out questions (validate_videoQA: argmax of the 5 logits) */
static int eval_qa(hero_model *m, const toy_set *s, const hero_batch_options *o, double *acc, hero_error *err) {
    hero_batch b;
    hero_result res;
    int rc, Nq = s->n * N_SEG;
    double loss;
    float *logits = (float *)calloc((size_t)Nq * N_STYLE, sizeof(float));
    if ((rc = hero_build_ft_batch(&b, HERO_TASK_VIDEOQA, s->v, s->n, s->qa, Nq, IV, o, err)) != 0) { free(logits); return rc; }
    if ((rc = hero_forward_backward(m, &b, 0, NULL, &res, err)) == 0 &&
        (rc = hero_copy_to_host(m, logits, res.scores, (size_t)Nq * N_STYLE * sizeof(float), err)) == 0)
        rc = hero_qa_eval(logits, Nq, N_STYLE, b.labels, NULL, &loss, acc);
    hero_batch_free(&b);
    free(logits);
    return rc;
}

static hero_config toy_config(int H, int heads) {
    hero_config c;
    memset(&c, 0, sizeof(c));
    c.H = H; c.f_heads = c.c_heads = c.q_heads = 4; c.f_inter = c.c_inter = 4 * H;
    c.f_layers = 1; c.c_layers = 1;
    c.V = VOCAB; c.Vp = (VOCAB + 7) / 8 * 8;
    c.f_max_pos = 64; c.c_max_pos = 64; c.q_max_pos = 64;
    c.layer_norm_eps = 1e-12f;
    c.F = F_DIM; c.max_frm_seq_len = 64; c.fom_classes = 64;
    hero_config_default_losses(&c);
    c.heads = heads;
    return c;
}

static double now_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

/* fine-tunes one task, printing progress and the metrics before / after */
static int run_task(const char *recipe, int heads, const toy_set *train, const toy_set *held, int steps, int H, uint64_t seed) {
    hero_model m;
    hero_ft_trainer t;
    hero_ft_config c;
    hero_error err;
    hero_config mc = toy_config(H, heads);
    int qa = heads == HERO_HEADS_VIDEOQA, u, rc;
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, t0 = now_s();
    if (hero_model_init(&m, &mc, &err)) { fprintf(stderr, "finetune_toy: %s\n", err.msg); return 1; }
    hero_model_init_random(&m, seed);
    if (hero_ft_config_default(recipe, VOCAB, &c, &err)) { fprintf(stderr, "finetune_toy: %s\n", err.msg); hero_model_free(&m); return 1; }
    c.batch.cls_id = 0; c.batch.pad_id = 1; c.batch.sep_id = 2; c.batch.mask_id = VOCAB - 1;
    c.items_per_batch = 16;
    c.accum_steps = 1;
    c.adamw.lr = qa ? 5e-4f : 1e-3f;
    c.adamw.warmup_steps = steps / 10;
    c.adamw.total_steps = steps;
    c.hard_negative_start = -1;
    c.seed = seed;
    if (hero_ft_trainer_init(&t, &m, &c, train->v, train->n, qa ? train->qa : train->q, train->n * N_SEG, &err)) {
        fprintf(stderr, "finetune_toy: %s\n", err.msg);
        hero_model_free(&m);
        return 1;
    }
    printf("\n== %s: %s fine-tuning (%s recipe scaled: %d items per update, lr %.0e%s, %d updates)\n", qa ? "video QA" : "VCMR",
           hero_task_name(c.task), recipe, c.items_per_batch, (double)c.adamw.lr, qa ? ", heads x10 (lr_mul)" : ", drop_svmr_prob 0.8",
           steps);
    rc = qa ? eval_qa(&m, held, &c.batch, &a0, &err) : eval_vcmr(&m, held, &c.batch, &a0, &a1, &a2, &a3, &err);
    if (rc) goto fail;
    if (qa) printf("before: held-out QA accuracy %.1f%% (chance 20%%)\n", 100 * a0);
    else printf("before: held-out VR R@1 %.1f, VCMR R@1 IoU0.5 %.1f, IoU0.7 %.1f, R@5 IoU0.5 %.1f (official metrics, %%)\n", a0, a1, a2, a3);
    for (u = 1; u <= steps; u++) {
        if (hero_ft_trainer_update(&t, &err) != 0) goto fail;
        if (u % (steps / 5) == 0 || u == 1)
            printf("update %4d  loss %.4f  grad norm %.3f  lr %.2e\n", u, (double)t.base.last_loss, (double)t.base.last_grad_norm,
                   (double)t.base.last_lr);
    }
    rc = qa ? eval_qa(&m, held, &c.batch, &a0, &err) : eval_vcmr(&m, held, &c.batch, &a0, &a1, &a2, &a3, &err);
    if (rc) goto fail;
    if (qa) printf("after:  held-out QA accuracy %.1f%%\n", 100 * a0);
    else printf("after:  held-out VR R@1 %.1f, VCMR R@1 IoU0.5 %.1f, IoU0.7 %.1f, R@5 IoU0.5 %.1f\n", a0, a1, a2, a3);
    printf("(%.1f s CPU)\n", now_s() - t0);
    hero_ft_trainer_free(&t);
    hero_model_free(&m);
    return 0;
fail:
    fprintf(stderr, "finetune_toy: %s\n", err.msg);
    hero_ft_trainer_free(&t);
    hero_model_free(&m);
    return 1;
}

int main(int argc, char **argv) {
    static toy_set train, held;
    hero_rng r;
    int steps = 500, H = 32, i, f;
    uint64_t seed = 1;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = (uint64_t)atoll(argv[++i]);
        else if (!strcmp(argv[i], "--hidden") && i + 1 < argc) H = atoi(argv[++i]);
        else { printf("usage: finetune_toy [--steps N (QA updates; VCMR 2N) (500)] [--seed S (1)] [--hidden H (32)]\n"); return !strcmp(argv[i], "--help") ? 0 : 2; }
    }
    if (steps < 5 || H < 8 || H % 4) { fprintf(stderr, "finetune_toy: --steps >= 5, --hidden >= 8 and a multiple of 4\n"); return 2; }
    hero_rng_seed(&r, seed);
    for (i = 0; i < N_TOPIC; i++) for (f = 0; f < F_DIM; f++) g_topic[i][f] = gauss(&r);
    for (i = 0; i < N_STYLE; i++) for (f = 0; f < F_DIM; f++) g_style[i][f] = gauss(&r);
    for (i = 0; i < N_STYLE; i++) g_cand_tok[i] = W_STYLE + i * STYLE_W; /* answer a = the first word of style a */
    make_set(&train, N_TRAIN, &r);
    make_set(&held, N_HELD, &r);
    printf("toy corpus: %d training + %d held-out videos of %d segments (%d topics x %d styles), %d-dim frames, vocabulary %d\n",
           N_TRAIN, N_HELD, N_SEG, N_TOPIC, N_STYLE, F_DIM, VOCAB);
    if (run_task("tvr", HERO_HEADS_VSM, &train, &held, 2 * steps, H, seed)) return 1; /* VCMR updates are 5x cheaper */
    if (run_task("tvqa", HERO_HEADS_VIDEOQA, &train, &held, steps, H, seed)) return 1;
    return 0;
}

/* train_toy: pre-trains a small HERO on a built-in synthetic corpus, in a minute or two on a laptop.

   usage: train_toy [options]        (`make demo` runs it with the defaults; --help lists the options)

   THE TOY WORLD. There are latent TOPICS (what is on screen) and STYLES (how it is shown).
   Every topic has a feature prototype and a few words of its own, every style too; a few
   function words are shared by all. A video is a sequence of 3..5 SEGMENTS, each one a
   (topic, style) pair lasting 3..7 frames; topics do not repeat inside a video. A frame is
       topic prototype + style prototype + clock(t) + noise
   where clock(t) is a fixed mix of sinusoids of the frame index t, so the order of frames
   can be read off their content. Each segment carries one subtitle that covers exactly its
   frames and is written with words of its topic and style plus function words. So:
     MLM      a masked word is predictable from the topic / style of the other words and frames,
     MFM-NCE  a masked frame is predictable from its neighbours, its subtitle and its position,
     FOM      shuffled frames can be put back in order from clock(t),
     VSM      a subtitle (topic + style words) points at the frames of its own segment.
   Some videos are held out: before and after training, every held-out subtitle is used as a
   query against the held-out videos (as the official VCMR evaluation: hero_encode_queries,
   the REPR forward for the videos, hero_vcmr_scores) and we report
     video R@1   the query's own video has the highest q2video score of all held-out videos;
     moment acc  on its own video, the span [s, e] (s <= e) maximising st[s] + ed[e] (the log of
                 the official st/ed probability product) overlaps the subtitle's frames with
                 temporal IoU >= 0.5 (frames counted inclusively).

   TRAINING is hero_trainer with the release recipe (task mixture mlm:mfm-nce:fom:vsm = 2:2:1:2,
   AdamW betas 0.9/0.98, weight decay 0.01, clipping 1.0, warmup-linear schedule) scaled down:
   lr 1e-3, 10% warmup, 16 videos per update, 3 VSM queries per video, no hard negatives.
   The default run (H 64, 1200 updates) takes about 40 s on one core with OpenBLAS (about
   3x longer with the portable GEMM) and goes from chance (R@1 5%, moment acc 7%) to R@1 64%
   (a perfect model: 70%) and moment acc 58% (55..65% / 58..97% over seeds 1..4).

   OUTPUT (default directory out/): losses.csv (step,task,loss,grad_norm,lr, one row per
   update) and losses.svg (one panel per task: raw losses as dots, a moving average as a line).

   The weights start as the official code starts pre-training from scratch
   (hero_model_init_random: normal(0, 0.02) for linear / embedding weights, LayerNorm 1 / 0,
   PyTorch defaults for the modules the official init_weights pass does not reach).

   MANY PROCESSES. Built with -DHERO_MPI (`make build/train_toy_mpi`) and started with
   `mpirun -np W build/train_toy_mpi [options]`, it trains data-parallel (hero.h section 20):
   every rank makes the same corpus and trains on its shard (videos r, r+W, ...), --batch
   videos per rank and micro-batch, so an update sees W x --batch x --accum videos. Rank 0
   alone prints, evaluates and writes out/; --save / --resume work on every rank. With
   HERO_CUDA as well (`make cuda-mpi`: build-cuda/train_toy_mpi), each rank takes the GPU of
   its rank within the node and the collectives of GPU memory run through NCCL. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* isatty, mkdir, clock_gettime */
#endif
#define HERO_IMPLEMENTATION
#include "../hero.h"
#ifdef HERO_MPI
#define TOY_ROOT (dist.rank == 0)
#else
#define TOY_ROOT 1
#endif

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <direct.h>
#include <io.h>
#define toy_isatty(f) _isatty(_fileno(f))
#define toy_mkdir(p) _mkdir(p)
#else
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#define toy_isatty(f) isatty(fileno(f))
#define toy_mkdir(p) mkdir(p, 0777)
#endif

/* ======================================================================================
   Small helpers: wall clock, normal samples
   ====================================================================================== */

static double toy_now(void) {
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

/* standard normal sample (Box-Muller) */
static float toy_normal(hero_rng *r) {
    double u1 = 1.0 - (double)hero_rng_uniform(r), u2 = hero_rng_uniform(r); /* u1 in (0, 1] */
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static void *toy_alloc(size_t n) {
    void *p = calloc(n ? n : 1, 1);
    if (!p) {
        fprintf(stderr, "train_toy: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

/* ======================================================================================
   The toy world and its corpus
   ====================================================================================== */

enum {
    TOY_CLS = 0, TOY_PAD = 1, TOY_SEP = 2, TOY_UNK = 3, /* the official special ids */
    TOY_FUNC0 = 4,                                      /* first function word */
    TOY_N_FUNC = 16,
    TOY_WORDS_PER_TOPIC = 8,
    TOY_WORDS_PER_STYLE = 4,
    TOY_N_CLOCK = 4,   /* sinusoids in clock(t) */
    TOY_MIN_SEG = 3, TOY_MAX_SEG = 5,  /* segments per video */
    TOY_MIN_LEN = 3, TOY_MAX_LEN = 7,  /* frames per segment */
    TOY_MAX_T = TOY_MAX_SEG * TOY_MAX_LEN,
    TOY_MIN_WORDS = 5, TOY_MAX_WORDS = 10 /* words per subtitle */
};

typedef struct toy_world {
    int F, n_topic, n_style;
    int V;              /* vocabulary size, the MASK id (V - 1) included */
    float *topic_proto; /* [n_topic, F] */
    float *style_proto; /* [n_style, F] */
    float *clock_dir;   /* [2 * TOY_N_CLOCK, F] */
} toy_world;

static int toy_topic_word(int k, int j) { return TOY_FUNC0 + TOY_N_FUNC + k * TOY_WORDS_PER_TOPIC + j; }
static int toy_style_word(const toy_world *w, int a, int j) {
    return TOY_FUNC0 + TOY_N_FUNC + w->n_topic * TOY_WORDS_PER_TOPIC + a * TOY_WORDS_PER_STYLE + j;
}

static void toy_world_init(toy_world *w, int F, int n_topic, int n_style, hero_rng *r) {
    int i;
    w->F = F; w->n_topic = n_topic; w->n_style = n_style;
    w->V = TOY_FUNC0 + TOY_N_FUNC + n_topic * TOY_WORDS_PER_TOPIC + n_style * TOY_WORDS_PER_STYLE + 1;
    w->topic_proto = (float *)toy_alloc((size_t)n_topic * F * sizeof(float));
    w->style_proto = (float *)toy_alloc((size_t)n_style * F * sizeof(float));
    w->clock_dir = (float *)toy_alloc((size_t)2 * TOY_N_CLOCK * F * sizeof(float));
    for (i = 0; i < n_topic * F; i++) w->topic_proto[i] = toy_normal(r);
    for (i = 0; i < n_style * F; i++) w->style_proto[i] = 0.6f * toy_normal(r);
    for (i = 0; i < 2 * TOY_N_CLOCK * F; i++) w->clock_dir[i] = 0.4f * toy_normal(r);
}

static void toy_world_free(toy_world *w) {
    free(w->topic_proto); free(w->style_proto); free(w->clock_dir);
    memset(w, 0, sizeof(*w));
}

/* Zipf-like pick in [0, n): weight 1 / (j + 1) */
static int toy_zipf(hero_rng *r, int n) {
    double tot = 0, x;
    int j;
    for (j = 0; j < n; j++) tot += 1.0 / (j + 1);
    x = hero_rng_uniform(r) * tot;
    for (j = 0; j < n - 1; j++) {
        x -= 1.0 / (j + 1);
        if (x < 0) return j;
    }
    return n - 1;
}

/* A corpus: the hero_video views and the memory they point into. */
typedef struct toy_corpus {
    int n;
    hero_video *videos;
    float *feats;
    int32_t *sub_len, *sub_tokens, *sub_nframes, *sub_frames;
    int32_t *sub_topic, *sub_style; /* the latent truth of each subtitle (for the eval's ceiling) */
} toy_corpus;

static void toy_corpus_make(toy_corpus *c, const toy_world *w, int n, hero_rng *r) {
    int F = w->F, v;
    size_t fo = 0, so = 0, to = 0, ffo = 0;
    c->n = n;
    c->videos = (hero_video *)toy_alloc((size_t)n * sizeof(hero_video));
    c->feats = (float *)toy_alloc((size_t)n * TOY_MAX_T * F * sizeof(float));
    c->sub_len = (int32_t *)toy_alloc((size_t)n * TOY_MAX_SEG * sizeof(int32_t));
    c->sub_nframes = (int32_t *)toy_alloc((size_t)n * TOY_MAX_SEG * sizeof(int32_t));
    c->sub_tokens = (int32_t *)toy_alloc((size_t)n * TOY_MAX_SEG * TOY_MAX_WORDS * sizeof(int32_t));
    c->sub_frames = (int32_t *)toy_alloc((size_t)n * TOY_MAX_T * sizeof(int32_t));
    c->sub_topic = (int32_t *)toy_alloc((size_t)n * TOY_MAX_SEG * sizeof(int32_t));
    c->sub_style = (int32_t *)toy_alloc((size_t)n * TOY_MAX_SEG * sizeof(int32_t));
    for (v = 0; v < n; v++) {
        hero_video *hv = &c->videos[v];
        int nseg = TOY_MIN_SEG + (int)hero_rng_below(r, TOY_MAX_SEG - TOY_MIN_SEG + 1);
        int topics[TOY_MAX_SEG], s, t = 0, i, j;
        hv->F = F;
        hv->feats = c->feats + fo;
        hv->n_subs = nseg;
        hv->sub_len = c->sub_len + so;
        hv->sub_nframes = c->sub_nframes + so;
        hv->sub_tokens = c->sub_tokens + to;
        hv->sub_frames = c->sub_frames + ffo;
        for (s = 0; s < nseg; s++) { /* distinct topics */
            int k, dup;
            do {
                k = (int)hero_rng_below(r, (uint64_t)w->n_topic);
                for (dup = 0, i = 0; i < s; i++) dup |= topics[i] == k;
            } while (dup);
            topics[s] = k;
        }
        for (s = 0; s < nseg; s++) {
            int k = topics[s], a = (int)hero_rng_below(r, (uint64_t)w->n_style);
            int len = TOY_MIN_LEN + (int)hero_rng_below(r, TOY_MAX_LEN - TOY_MIN_LEN + 1);
            int nw = TOY_MIN_WORDS + (int)hero_rng_below(r, TOY_MAX_WORDS - TOY_MIN_WORDS + 1);
            int32_t *words = c->sub_tokens + to;
            int pt, ps;
            /* frames */
            for (i = 0; i < len; i++, t++) {
                float *x = c->feats + fo + (size_t)t * F;
                for (j = 0; j < F; j++) {
                    float clock = 0;
                    int q;
                    for (q = 0; q < TOY_N_CLOCK; q++) {
                        double ph = 6.283185307179586 * t / (80.0 / (1 << q));
                        clock += (float)sin(ph) * w->clock_dir[(2 * q) * F + j] + (float)cos(ph) * w->clock_dir[(2 * q + 1) * F + j];
                    }
                    x[j] = w->topic_proto[(size_t)k * F + j] + w->style_proto[(size_t)a * F + j] + clock + 0.3f * toy_normal(r);
                }
                c->sub_frames[ffo++] = t;
            }
            /* subtitle: one topic word and one style word at random places, the other words
               50% topic, 20% style, 30% function words */
            pt = (int)hero_rng_below(r, (uint64_t)nw);
            ps = (pt + 1 + (int)hero_rng_below(r, (uint64_t)nw - 1)) % nw;
            for (i = 0; i < nw; i++) {
                float u = i == pt ? 0.0f : i == ps ? 0.6f : hero_rng_uniform(r);
                if (u < 0.5f) words[i] = toy_topic_word(k, toy_zipf(r, TOY_WORDS_PER_TOPIC));
                else if (u < 0.7f) words[i] = toy_style_word(w, a, toy_zipf(r, TOY_WORDS_PER_STYLE));
                else words[i] = TOY_FUNC0 + toy_zipf(r, TOY_N_FUNC);
            }
            c->sub_topic[so] = k;
            c->sub_style[so] = a;
            c->sub_len[so] = nw;
            c->sub_nframes[so] = len;
            so++;
            to += (size_t)nw;
        }
        hv->T = t;
        fo += (size_t)t * F;
    }
}

static void toy_corpus_free(toy_corpus *c) {
    free(c->videos); free(c->feats); free(c->sub_len); free(c->sub_tokens); free(c->sub_nframes); free(c->sub_frames);
    free(c->sub_topic); free(c->sub_style);
    memset(c, 0, sizeof(*c));
}

/* ======================================================================================
   Held-out retrieval (the official VCMR scoring)
   ====================================================================================== */

typedef struct toy_eval {
    int nq, nv;
    double r1, macc;            /* fractions */
    double r1_chance, macc_chance; /* of a uniformly random video / span (s <= e) */
    double r1_ceiling;          /* knowing each subtitle's topic and style: 1 / (videos with that pair) */
} toy_eval;

static int toy_evaluate(hero_model *m, const toy_corpus *ev, const hero_batch_options *opt, toy_eval *out, hero_error *err) {
    hero_batch b;
    hero_result res;
    int H = m->cfg.H, B, L, Nq = 0, Lq = 0, v, s, q, rc, i;
    int32_t *ids = NULL, *qmask = NULL, *qv = NULL, *qst = NULL, *qed = NULL;
    float *frames = NULL, *mq = NULL, *q2v = NULL, *st = NULL, *ed = NULL;
    memset(out, 0, sizeof(*out));
    if ((rc = hero_build_batch(&b, HERO_TASK_REPR, ev->videos, ev->n, opt, NULL, NULL, err)) != 0) return rc;
    if ((rc = hero_forward_backward(m, &b, 0, NULL, &res, err)) != 0) goto done;
    B = b.B; L = b.L;
    frames = (float *)toy_alloc((size_t)B * L * H * sizeof(float));
    /* the next call reuses the arena (hero_copy_to_host: res.c_seq is GPU memory on a GPU model) */
    if ((rc = hero_copy_to_host(m, frames, res.c_seq, (size_t)B * L * H * sizeof(float), err)) != 0) goto done;
    for (v = 0; v < ev->n; v++)
        for (s = 0; s < ev->videos[v].n_subs; s++) {
            int l = ev->videos[v].sub_len[s];
            if (opt->max_txt_len > 0 && l > opt->max_txt_len) l = opt->max_txt_len;
            if (ev->videos[v].sub_nframes[s] > 0) Nq++;
            if (l + 1 > Lq) Lq = l + 1;
        }
    ids = (int32_t *)toy_alloc((size_t)Nq * Lq * sizeof(int32_t));
    qmask = (int32_t *)toy_alloc((size_t)Nq * Lq * sizeof(int32_t));
    qv = (int32_t *)toy_alloc((size_t)Nq * sizeof(int32_t));
    qst = (int32_t *)toy_alloc((size_t)Nq * sizeof(int32_t));
    qed = (int32_t *)toy_alloc((size_t)Nq * sizeof(int32_t));
    q = 0;
    for (v = 0; v < ev->n; v++) {
        const hero_video *hv = &ev->videos[v];
        const int32_t *tok = hv->sub_tokens, *fr = hv->sub_frames;
        for (s = 0; s < hv->n_subs; tok += hv->sub_len[s], fr += hv->sub_nframes[s], s++) {
            int l = hv->sub_len[s];
            if (hv->sub_nframes[s] == 0) continue;
            if (opt->max_txt_len > 0 && l > opt->max_txt_len) l = opt->max_txt_len;
            ids[(size_t)q * Lq] = opt->cls_id; /* [CLS] + words, padded with PAD / mask 0 */
            qmask[(size_t)q * Lq] = 1;
            for (i = 1; i < Lq; i++) {
                ids[(size_t)q * Lq + i] = i <= l ? tok[i - 1] : opt->pad_id;
                qmask[(size_t)q * Lq + i] = i <= l;
            }
            qv[q] = v;
            { /* the ceiling: videos that show the same (topic, style) pair are indistinguishable */
                int u, r, same = 0;
                size_t so = (size_t)(hv->sub_len - ev->sub_len) + (size_t)s;
                for (u = 0; u < ev->n; u++) {
                    size_t uo = (size_t)(ev->videos[u].sub_len - ev->sub_len);
                    for (r = 0; r < ev->videos[u].n_subs; r++)
                        if (ev->sub_topic[uo + r] == ev->sub_topic[so] && ev->sub_style[uo + r] == ev->sub_style[so]) { same++; break; }
                }
                out->r1_ceiling += 1.0 / same;
            }
            qst[q] = fr[0];
            qed[q] = fr[hv->sub_nframes[s] - 1];
            q++;
        }
    }
    mq = (float *)toy_alloc((size_t)Nq * H * sizeof(float));
    q2v = (float *)toy_alloc((size_t)Nq * B * sizeof(float));
    st = (float *)toy_alloc((size_t)Nq * B * L * sizeof(float));
    ed = (float *)toy_alloc((size_t)Nq * B * L * sizeof(float));
    if ((rc = hero_encode_queries(m, ids, qmask, Nq, Lq, mq, err)) != 0) goto done;
    if ((rc = hero_vcmr_scores(m, mq, Nq, frames, b.c_attn_mask, B, L, q2v, st, ed, err)) != 0) goto done;
    for (q = 0; q < Nq; q++) {
        int best = 0, T = ev->videos[qv[q]].T, bs = 0, be = 0, e, inter, uni;
        const float *sr = st + ((size_t)q * B + qv[q]) * L, *er = ed + ((size_t)q * B + qv[q]) * L;
        float bsc = -INFINITY;
        for (v = 1; v < B; v++)
            if (q2v[(size_t)q * B + v] > q2v[(size_t)q * B + best]) best = v;
        out->r1 += best == qv[q];
        for (s = 0; s < T; s++)
            for (e = s; e < T; e++)
                if (sr[s] + er[e] > bsc) { bsc = sr[s] + er[e]; bs = s; be = e; }
        inter = (be < qed[q] ? be : qed[q]) - (bs > qst[q] ? bs : qst[q]) + 1;
        uni = (be > qed[q] ? be : qed[q]) - (bs < qst[q] ? bs : qst[q]) + 1;
        out->macc += inter > 0 && 2 * inter >= uni;
        for (s = 0, inter = 0, uni = 0; s < T; s++) /* chance: the share of spans that would count */
            for (e = s; e < T; e++) {
                int in = (e < qed[q] ? e : qed[q]) - (s > qst[q] ? s : qst[q]) + 1;
                int un = (e > qed[q] ? e : qed[q]) - (s < qst[q] ? s : qst[q]) + 1;
                inter += in > 0 && 2 * in >= un;
                uni++;
            }
        out->macc_chance += (double)inter / uni;
    }
    out->nq = Nq;
    out->nv = B;
    out->r1 /= Nq > 0 ? Nq : 1;
    out->macc /= Nq > 0 ? Nq : 1;
    out->macc_chance /= Nq > 0 ? Nq : 1;
    out->r1_chance = 1.0 / B;
    out->r1_ceiling /= Nq > 0 ? Nq : 1;
done:
    hero_batch_free(&b);
    free(ids); free(qmask); free(qv); free(qst); free(qed); free(frames); free(mq); free(q2v); free(st); free(ed);
    return rc;
}

/* ======================================================================================
   The loss log: CSV and the SVG picture
   ====================================================================================== */

typedef struct toy_log_row {
    int64_t step;
    int task;
    float loss, grad_norm, lr;
} toy_log_row;

typedef struct toy_log {
    toy_log_row *rows;
    int n, cap;
} toy_log;

static void toy_log_add(toy_log *g, int64_t step, int task, float loss, float gn, float lr) {
    if (g->n == g->cap) {
        int nc = g->cap ? 2 * g->cap : 1024;
        toy_log_row *r = (toy_log_row *)realloc(g->rows, (size_t)nc * sizeof(*r));
        if (!r) { fprintf(stderr, "train_toy: out of memory\n"); exit(1); }
        g->rows = r;
        g->cap = nc;
    }
    g->rows[g->n].step = step; g->rows[g->n].task = task;
    g->rows[g->n].loss = loss; g->rows[g->n].grad_norm = gn; g->rows[g->n].lr = lr;
    g->n++;
}

static int toy_task_from_name(const char *s) {
    int t;
    for (t = 0; t < HERO_TASK_COUNT; t++)
        if (strcmp(s, hero_task_name((hero_task)t)) == 0) return t;
    return -1;
}

/* Reads back the rows of an earlier run's CSV up to (and including) update `upto`. */
static void toy_log_read_csv(toy_log *g, const char *path, int64_t upto) {
    FILE *f = fopen(path, "r");
    char line[256], task[32];
    long long step;
    float loss, gn, lr;
    if (!f) return;
    while (fgets(line, sizeof(line), f)) {
        int t;
        char *c = strchr(line, ',');
        if (!c) continue;
        *c = ' ';
        if ((c = strchr(c, ',')) != NULL) *c = ' ';
        if (sscanf(line, "%lld %31s %g,%g,%g", &step, task, &loss, &gn, &lr) != 5) continue;
        t = toy_task_from_name(task);
        if (t >= 0 && step <= upto) toy_log_add(g, step, t, loss, gn, lr);
    }
    fclose(f);
}

/* a "nice" tick spacing (1, 2 or 5 times a power of ten) for about n ticks over range */
static double toy_nice_step(double range, int n) {
    double raw = range / n, p = pow(10.0, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void toy_svg_panel(FILE *f, const toy_log *g, int task, const char *color, double px, double py, double pw,
                          double ph, int64_t xmax) {
    double x0 = px + 64, x1 = px + pw - 16, y0 = py + 34, y1 = py + ph - 44, lo = INFINITY, hi = -INFINITY, tk, ts;
    int i, n = 0, k, win;
    float *vals, *sm;
    int64_t *steps;
    for (i = 0; i < g->n; i++)
        if (g->rows[i].task == task) {
            n++;
            if (g->rows[i].loss < lo) lo = g->rows[i].loss;
            if (g->rows[i].loss > hi) hi = g->rows[i].loss;
        }
    fprintf(f, "<g>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
            (x0 + x1) / 2, py + 20, hero_task_name((hero_task)task));
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n", x0, y0, x1 - x0,
            y1 - y0);
    if (n == 0) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\">no updates</text>\n</g>\n", (x0 + x1) / 2,
                (y0 + y1) / 2);
        return;
    }
    if (hi - lo < 1e-6) { hi += 0.5; lo -= 0.5; }
    ts = toy_nice_step(hi - lo, 5);
    lo = floor(lo / ts) * ts;
    hi = ceil(hi / ts) * ts;
    if (xmax < 1) xmax = 1;
#define TOY_X(s) (x0 + (x1 - x0) * (double)(s) / (double)xmax)
#define TOY_Y(v) (y1 - (y1 - y0) * ((double)(v) - lo) / (hi - lo))
    /* y ticks + grid */
    for (tk = lo; tk <= hi + ts * 0.5; tk += ts) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", x0, TOY_Y(tk), x1, TOY_Y(tk));
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", x0 - 4, TOY_Y(tk), x0, TOY_Y(tk));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", x0 - 7, TOY_Y(tk) + 4, fabs(tk) < ts * 1e-6 ? 0.0 : tk);
    }
    /* x ticks */
    ts = toy_nice_step((double)xmax, 6);
    for (tk = 0; tk <= (double)xmax + ts * 1e-6; tk += ts) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", TOY_X(tk), y1, TOY_X(tk), y1 + 4);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", TOY_X(tk), y1 + 17, tk);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">update</text>\n", (x0 + x1) / 2, y1 + 34);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">loss</text>\n", px + 16,
            (y0 + y1) / 2, px + 16, (y0 + y1) / 2);
    /* raw points */
    vals = (float *)toy_alloc((size_t)n * sizeof(float));
    sm = (float *)toy_alloc((size_t)n * sizeof(float));
    steps = (int64_t *)toy_alloc((size_t)n * sizeof(int64_t));
    for (i = 0, k = 0; i < g->n; i++)
        if (g->rows[i].task == task) { vals[k] = g->rows[i].loss; steps[k] = g->rows[i].step; k++; }
    fprintf(f, "<g fill=\"%s\" fill-opacity=\"0.35\">\n", color);
    for (k = 0; k < n; k++) fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\"/>\n", TOY_X(steps[k]), TOY_Y(vals[k]));
    fprintf(f, "</g>\n");
    /* smoothed: centred moving average over a window of about n/12 points */
    win = n / 24;
    if (win < 2) win = 2;
    for (k = 0; k < n; k++) {
        int a = k - win < 0 ? 0 : k - win, b = k + win >= n ? n - 1 : k + win, j;
        double s = 0;
        for (j = a; j <= b; j++) s += vals[j];
        sm[k] = (float)(s / (b - a + 1));
    }
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" points=\"", color);
    for (k = 0; k < n; k++) fprintf(f, "%.1f,%.1f ", TOY_X(steps[k]), TOY_Y(sm[k]));
    fprintf(f, "\"/>\n");
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">%d updates, smoothed %.3g &#8594; %.3g</text>\n</g>\n",
            x1 - 6, y0 + 16, n, (double)sm[0], (double)sm[n - 1]);
#undef TOY_X
#undef TOY_Y
    free(vals); free(sm); free(steps);
}

static int toy_write_svg(const char *path, const toy_log *g, int64_t xmax, const char *subtitle) {
    static const int tasks[4] = {HERO_TASK_MLM, HERO_TASK_MFM_NCE, HERO_TASK_FOM, HERO_TASK_VSM};
    static const char *colors[4] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
    const double W = 1000, Hh = 720, top = 50;
    int i;
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
               "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n", W, Hh, W, Hh);
    fprintf(f, "<rect width=\"%g\" height=\"%g\" fill=\"white\"/>\n", W, Hh);
    fprintf(f, "<text x=\"%g\" y=\"24\" text-anchor=\"middle\" font-size=\"17\">HERO pre-training on the toy corpus: loss per task</text>\n", W / 2);
    fprintf(f, "<text x=\"%g\" y=\"42\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", W / 2, subtitle);
    for (i = 0; i < 4; i++)
        toy_svg_panel(f, g, tasks[i], colors[i], (i % 2) * W / 2, top + (i / 2) * (Hh - top) / 2, W / 2, (Hh - top) / 2, xmax);
    fprintf(f, "</svg>\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ======================================================================================
   Progress line
   ====================================================================================== */

enum { TOY_WIN = 20 }; /* running mean over the last TOY_WIN updates of each task */

typedef struct toy_meter {
    float last[HERO_TASK_COUNT][TOY_WIN];
    int n[HERO_TASK_COUNT];
} toy_meter;

static void toy_meter_add(toy_meter *mt, int task, float loss) { mt->last[task][mt->n[task]++ % TOY_WIN] = loss; }

static void toy_meter_str(const toy_meter *mt, int task, char *buf, size_t cap) {
    int k = mt->n[task] < TOY_WIN ? mt->n[task] : TOY_WIN, i;
    double s = 0;
    if (k == 0) { snprintf(buf, cap, "  -  "); return; }
    for (i = 0; i < k; i++) s += mt->last[task][i];
    snprintf(buf, cap, "%5.3f", s / k);
}

static void toy_fmt_time(double s, char *buf, size_t cap) {
    long t = (long)(s + 0.5);
    if (s < 0 || s > 1e7) { snprintf(buf, cap, "--:--"); return; }
    if (t >= 3600) snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void toy_progress(const toy_meter *mt, int64_t done, int64_t total, int64_t first, double elapsed, int tty, int final) {
    char a[16], b[16], c[16], d[16], eta[24], el[24];
    double rate = elapsed > 0 ? (double)(done - first) / elapsed : 0;
    toy_meter_str(mt, HERO_TASK_MLM, a, sizeof(a));
    toy_meter_str(mt, HERO_TASK_MFM_NCE, b, sizeof(b));
    toy_meter_str(mt, HERO_TASK_FOM, c, sizeof(c));
    toy_meter_str(mt, HERO_TASK_VSM, d, sizeof(d));
    toy_fmt_time(rate > 0 ? (double)(total - done) / rate : -1, eta, sizeof(eta));
    toy_fmt_time(elapsed, el, sizeof(el));
    printf("%supdate %*lld/%lld | mlm %s mfm-nce %s fom %s vsm %s | %4.1f upd/s | %s ETA %s%s", tty ? "\r" : "",
           (int)(total >= 10000 ? 5 : total >= 1000 ? 4 : 3), (long long)done, (long long)total, a, b, c, d, rate, el,
           final ? "0:00" : eta, tty && !final ? "" : "\n");
    fflush(stdout);
}

/* ======================================================================================
   main
   ====================================================================================== */

typedef struct toy_args {
    int steps, until, save_every, videos, eval_videos, hidden, heads, layers, accum, batch, threads, topics, styles, F;
    float lr;
    uint64_t seed;
    const char *out, *save, *resume;
} toy_args;

static void toy_usage(FILE *f, const char *argv0) {
    fprintf(f,
            "usage: %s [options]\n"
            "Pre-trains a small HERO (MLM, MFM-NCE, FOM, VSM = 2:2:1:2) on a built-in synthetic corpus and\n"
            "reports a held-out retrieval result before and after training.\n"
            "  --steps N      optimizer updates: the length of the lr schedule (default 1200)\n"
            "  --until K      stop after update K (default: --steps), e.g. to --save and --resume later\n"
            "  --videos N     training videos (default 600); --eval N held-out videos (default 32, at most 256)\n"
            "  --hidden H     hidden size (default 64; a multiple of --heads)\n"
            "  --heads N      attention heads (default 4)\n"
            "  --layers L     cross-modal layers (default 2; the temporal transformer has 1)\n"
            "  --batch B      videos per micro-batch (default 16)\n"
            "  --accum K      micro-batches per update (default 1)\n"
            "  --lr X         peak learning rate (default 1e-3; warmup 10%% of the updates, then linear decay)\n"
            "  --seed S       seed of the corpus, the initial weights and the training draws (default 1)\n"
            "  --topics N     latent topics (default 24); --styles N styles (default 8); --feat F frame size (default 32)\n"
            "  --out DIR      where losses.csv and losses.svg go (default out)\n"
            "  --threads N    OpenBLAS threads (default 1: the toy's matrices are too small for threads to pay;\n"
            "                 0: OpenBLAS's own choice; no effect with the portable GEMM)\n"
            "  --save FILE    save the training state when training stops (atomic: hero_trainer_save)\n"
            "  --save-every N ... and every N updates (with --save)\n"
            "  --resume FILE  continue a saved run (same --seed, sizes, --steps and --out as the run that saved it;\n"
            "                 out/losses.csv is read back up to the saved update)\n"
            "  --help         this text\n",
            argv0);
}

static int toy_parse_args(toy_args *a, int argc, char **argv) {
    int i;
    a->steps = 1200; a->until = 0; a->save_every = 0; a->videos = 600; a->eval_videos = 32; a->hidden = 64; a->heads = 4; a->layers = 2;
    a->accum = 1; a->batch = 16; a->threads = 1; a->topics = 24; a->styles = 8; a->F = 32;
    a->lr = 1e-3f; a->seed = 1; a->out = "out"; a->save = NULL; a->resume = NULL;
    for (i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *ip = NULL;
        char word[64];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { toy_usage(stdout, argv[0]); exit(0); }
        snprintf(word, sizeof(word), " %s ", o);
        if (strlen(o) > 40 || !strstr(" --steps --until --save-every --videos --eval --hidden --heads --layers --accum --batch"
                                      " --threads --topics --styles --feat --lr --seed --out --save --resume ", word)) {
            fprintf(stderr, "train_toy: unknown option %s (see --help)\n", o);
            return -1;
        }
        if (!v) { fprintf(stderr, "train_toy: %s needs a value (see --help)\n", o); return -1; }
        if (!strcmp(o, "--steps")) ip = &a->steps;
        else if (!strcmp(o, "--until")) ip = &a->until;
        else if (!strcmp(o, "--save-every")) ip = &a->save_every;
        else if (!strcmp(o, "--videos")) ip = &a->videos;
        else if (!strcmp(o, "--eval")) ip = &a->eval_videos;
        else if (!strcmp(o, "--hidden")) ip = &a->hidden;
        else if (!strcmp(o, "--heads")) ip = &a->heads;
        else if (!strcmp(o, "--layers")) ip = &a->layers;
        else if (!strcmp(o, "--accum")) ip = &a->accum;
        else if (!strcmp(o, "--batch")) ip = &a->batch;
        else if (!strcmp(o, "--threads")) ip = &a->threads;
        else if (!strcmp(o, "--topics")) ip = &a->topics;
        else if (!strcmp(o, "--styles")) ip = &a->styles;
        else if (!strcmp(o, "--feat")) ip = &a->F;
        else if (!strcmp(o, "--lr")) { char *e; a->lr = strtof(v, &e); if (*e || !(a->lr > 0)) goto bad; }
        else if (!strcmp(o, "--seed")) { char *e; a->seed = strtoull(v, &e, 10); if (*e) goto bad; }
        else if (!strcmp(o, "--out")) a->out = v;
        else if (!strcmp(o, "--save")) a->save = v;
        else if (!strcmp(o, "--resume")) a->resume = v;
        else { fprintf(stderr, "train_toy: unknown option %s (see --help)\n", o); return -1; }
        if (ip) { char *e; long x = strtol(v, &e, 10); if (*e || x < 0 || x > 1000000000L) goto bad; *ip = (int)x; }
        i++;
        continue;
    bad:
        fprintf(stderr, "train_toy: bad value '%s' for %s\n", v, o);
        return -1;
    }
    if (a->until <= 0 || a->until > a->steps) a->until = a->steps;
    if (a->steps < 1 || a->videos < 2 || a->eval_videos < 2 || a->eval_videos > 256 || a->hidden < 8 || a->heads < 1 || a->hidden % a->heads ||
        a->layers < 1 || a->layers > HERO_MAX_LAYERS || a->accum < 1 || a->batch < 2 || a->topics < TOY_MAX_SEG ||
        a->styles < 1 || a->F < 4) {
        fprintf(stderr, "train_toy: need steps >= 1, videos/eval/batch >= 2 (eval <= 256), hidden a multiple of heads, 1..%d layers, "
                        "topics >= %d, styles >= 1, feat >= 4\n", HERO_MAX_LAYERS, TOY_MAX_SEG);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    toy_args a;
    toy_world world;
    toy_corpus train, held;
    hero_config cfg;
    hero_model model;
    hero_trainer tr;
    hero_train_config tc;
    hero_error err;
    hero_rng rng;
    toy_eval before, after;
    toy_log log;
    toy_meter meter;
    char csv_path[1024], svg_path[1024], sub[256];
    FILE *csv;
    double t_start = toy_now(), t_train, t_train_end, t_drawn = 0, now;
    int64_t first_step, total_params = 0;
    int i, tty = toy_isatty(stdout), every, rc = 1, n_ranks = 1, n_train;
    hero_video *shard = NULL;
#ifdef HERO_MPI
    hero_dist dist;
#endif

    if (toy_parse_args(&a, argc, argv)) return 2;
#ifdef HERO_MPI
    MPI_Init(&argc, &argv);
#ifdef HERO_CUDA
    { /* one GPU per rank: the rank within its node picks it (before hero_dist_init: NCCL runs there) */
        MPI_Comm node;
        int local = 0, n_gpus = 0;
        if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
            MPI_Comm_rank(node, &local);
            MPI_Comm_free(&node);
        }
        if (cudaGetDeviceCount(&n_gpus) == cudaSuccess && n_gpus > 0) cudaSetDevice(local % n_gpus);
    }
#endif
    if (hero_dist_init(&dist, MPI_COMM_WORLD, &err)) {
        fprintf(stderr, "train_toy: %s\n", err.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    n_ranks = dist.world;
    if (!TOY_ROOT) { /* rank 0 alone reports */
        tty = 0;
        if (!freopen("/dev/null", "w", stdout)) fprintf(stderr, "train_toy: rank %d: cannot silence stdout\n", dist.rank);
    }
#endif
#if defined(HERO_USE_CBLAS) && defined(OPENBLAS_VERSION)
    if (a.threads > 0) openblas_set_num_threads(a.threads);
#endif
    memset(&log, 0, sizeof(log));
    memset(&meter, 0, sizeof(meter));
    memset(&model, 0, sizeof(model));
    memset(&tr, 0, sizeof(tr));

    /* ---- the toy world, a training corpus and a held-out one ---- */
    hero_rng_seed(&rng, a.seed);
    toy_world_init(&world, a.F, a.topics, a.styles, &rng);
    toy_corpus_make(&train, &world, a.videos, &rng);
    toy_corpus_make(&held, &world, a.eval_videos, &rng);
    shard = train.videos; /* this rank's videos: all of them, or with MPI its shard */
    n_train = train.n;
#ifdef HERO_MPI
    shard = (hero_video *)toy_alloc((size_t)train.n * sizeof(hero_video));
    n_train = hero_dist_shard(&dist, train.videos, train.n, shard);
#endif

    /* ---- a small HERO ---- */
    memset(&cfg, 0, sizeof(cfg));
    cfg.H = a.hidden;
    cfg.f_heads = cfg.c_heads = cfg.q_heads = a.heads;
    cfg.f_inter = cfg.c_inter = 4 * a.hidden;
    cfg.f_layers = a.layers;
    cfg.c_layers = 1;
    cfg.V = world.V;
    cfg.Vp = (world.V + 7) / 8 * 8;
    cfg.f_max_pos = 64;
    cfg.c_max_pos = TOY_MAX_T;
    cfg.q_max_pos = 64;
    cfg.layer_norm_eps = 1e-12f;
    cfg.F = a.F;
    cfg.max_frm_seq_len = TOY_MAX_T;
    cfg.fom_classes = TOY_MAX_T;
    hero_config_default_losses(&cfg);
    if (hero_model_init(&model, &cfg, &err)) { fprintf(stderr, "train_toy: %s\n", err.msg); goto out; }
    hero_model_init_random(&model, a.seed); /* the official init (hero_model_init_random) */
    for (i = 0; i < model.n_params; i++) total_params += (int64_t)model.table[i].numel;

    /* ---- the trainer: release task mixture, AdamW with warmup-linear ---- */
    tc = hero_train_config_default(world.V);
    tc.accum_steps = a.accum;
    tc.videos_per_batch = a.batch;
    tc.hard_negative_start = -1;       /* the toy batches are smaller than the hard pool (20) */
    tc.batch.query_per_video = 3;      /* toy videos have only 3..5 subtitles (release: 5 queries) */
    tc.adamw.lr = a.lr;
    tc.adamw.total_steps = a.steps;
    tc.adamw.warmup_steps = a.steps / 10 > 0 ? a.steps / 10 : 1;
    tc.seed = a.seed + 1000;
    if (hero_trainer_init(&tr, &model, &tc, shard, n_train, &err)) { fprintf(stderr, "train_toy: %s\n", err.msg); goto out; }
#ifdef HERO_MPI
    if (hero_trainer_set_dist(&tr, &dist, &err)) { fprintf(stderr, "train_toy: %s\n", err.msg); goto out; }
#endif
    if (toy_mkdir(a.out) != 0 && errno != EEXIST) {
        fprintf(stderr, "train_toy: cannot create %s: %s\n", a.out, strerror(errno));
        goto out;
    }
    snprintf(csv_path, sizeof(csv_path), "%s/losses.csv", a.out);
    if (!TOY_ROOT) snprintf(csv_path, sizeof(csv_path), "/dev/null"); /* rank 0 alone writes out/ */
    snprintf(svg_path, sizeof(svg_path), "%s/losses.svg", a.out);
    if (a.resume) {
        if (hero_trainer_load(&tr, a.resume, &err)) { fprintf(stderr, "train_toy: %s\n", err.msg); goto out; }
        toy_log_read_csv(&log, csv_path, tr.opt.step); /* the curve so far */
    }
    first_step = tr.opt.step;

    printf("hero.h %s toy pre-training (%s)\n", HERO_VERSION,
#ifdef HERO_USE_CBLAS
           "OpenBLAS GEMM"
#else
           "portable GEMM"
#endif
    );
    printf("corpus: %d training + %d held-out videos; %d topics x %d styles; vocabulary %d (padded %d); frames of %d floats\n",
           train.n, held.n, world.n_topic, world.n_style, cfg.V, cfg.Vp, cfg.F);
    printf("model:  H %d, %d heads, %d cross-modal + %d temporal layers, %lld parameters\n", cfg.H, cfg.f_heads, cfg.f_layers,
           cfg.c_layers, (long long)total_params);
    printf("train:  updates %lld..%d of %d, %d videos x %d micro-batch%s per update, AdamW lr %g, warmup %lld, "
           "tasks mlm:mfm-nce:fom:vsm = 2:2:1:2%s\n",
           (long long)first_step + 1, a.until, a.steps, tc.videos_per_batch, tc.accum_steps, tc.accum_steps > 1 ? "es" : "",
           (double)tc.adamw.lr, (long long)tc.adamw.warmup_steps, a.resume ? " (resumed)" : "");
    if (n_ranks > 1)
        printf("        data-parallel over %d MPI ranks (%d videos per update, each rank %d training videos)\n", n_ranks,
               n_ranks * tc.videos_per_batch * tc.accum_steps, n_train);

    /* ---- held-out retrieval before training ---- */
    memset(&before, 0, sizeof(before));
    memset(&after, 0, sizeof(after));
    if (TOY_ROOT && toy_evaluate(&model, &held, &tc.batch, &before, &err)) { fprintf(stderr, "train_toy: eval: %s\n", err.msg); goto out; }
    printf("held-out retrieval: %d subtitle queries against %d videos (chance: R@1 %.1f%%, moment acc %.1f%%;\n"
           "  best possible R@1 %.1f%%: a subtitle only names a topic and a style, and some videos share the pair)\n",
           before.nq, before.nv, 100 * before.r1_chance, 100 * before.macc_chance, 100 * before.r1_ceiling);
    printf("before: R@1 %.1f%%, moment acc %.1f%%\n", 100 * before.r1, 100 * before.macc);
    fflush(stdout);

    /* ---- training ---- */
    csv = fopen(csv_path, "w");
    if (!csv) { fprintf(stderr, "train_toy: cannot write %s: %s\n", csv_path, strerror(errno)); goto out; }
    fprintf(csv, "step,task,loss,grad_norm,lr\n");
    for (i = 0; i < log.n; i++)
        fprintf(csv, "%lld,%s,%.6g,%.6g,%.6g\n", (long long)log.rows[i].step, hero_task_name((hero_task)log.rows[i].task),
                (double)log.rows[i].loss, (double)log.rows[i].grad_norm, (double)log.rows[i].lr);
    every = a.steps / 20 > 0 ? a.steps / 20 : 1;
    t_train = toy_now();
    while (tr.opt.step < a.until) {
        if (hero_trainer_update(&tr, &err)) {
            if (tty) printf("\n");
            fprintf(stderr, "train_toy: update %lld: %s\n", (long long)tr.opt.step + 1, err.msg);
            fclose(csv);
            goto out;
        }
        toy_log_add(&log, tr.opt.step, tr.last_task, tr.last_loss, tr.last_grad_norm, tr.last_lr);
        toy_meter_add(&meter, tr.last_task, tr.last_loss);
        fprintf(csv, "%lld,%s,%.6g,%.6g,%.6g\n", (long long)tr.opt.step, hero_task_name(tr.last_task), (double)tr.last_loss,
                (double)tr.last_grad_norm, (double)tr.last_lr);
        now = toy_now();
        if ((tty && now - t_drawn >= 0.1) || (!tty && tr.opt.step % every == 0) || tr.opt.step == a.until) {
            toy_progress(&meter, tr.opt.step, a.until, first_step, now - t_train, tty, tr.opt.step == a.until);
            t_drawn = now;
        }
        if (a.save && a.save_every > 0 && tr.opt.step % a.save_every == 0 && tr.opt.step < a.until) {
            fflush(csv);
            if (hero_trainer_save(&tr, a.save, &err)) fprintf(stderr, "\ntrain_toy: %s\n", err.msg);
        }
    }
    t_train_end = toy_now();
    if (fclose(csv) != 0) fprintf(stderr, "train_toy: error writing %s\n", csv_path);
    if (tr.opt.step == first_step) printf("(nothing to do: the state is already at update %lld)\n", (long long)first_step);
    printf("trained %lld updates in %.1f s\n", (long long)(tr.opt.step - first_step), t_train_end - t_train);
    if (tr.opt.step > first_step && t_train_end > t_train)
        printf("throughput: %.1f videos/s (%d process%s x %d videos x %d micro-batch%s per update)\n",
               (double)(tr.opt.step - first_step) * n_ranks * tc.videos_per_batch * tc.accum_steps / (t_train_end - t_train), n_ranks,
               n_ranks > 1 ? "es" : "", tc.videos_per_batch, tc.accum_steps, tc.accum_steps > 1 ? "es" : "");
    if (a.save) {
        if (hero_trainer_save(&tr, a.save, &err)) fprintf(stderr, "train_toy: %s\n", err.msg);
        else printf("saved the training state to %s\n", a.save);
    }

    /* ---- held-out retrieval after training ---- */
    if (TOY_ROOT && toy_evaluate(&model, &held, &tc.batch, &after, &err)) { fprintf(stderr, "train_toy: eval: %s\n", err.msg); goto out; }
    printf("before: R@1 %.1f%%, moment acc %.1f%%\n", 100 * before.r1, 100 * before.macc);
    printf("after:  R@1 %.1f%%, moment acc %.1f%%\n", 100 * after.r1, 100 * after.macc);

    snprintf(sub, sizeof(sub), "H %d, %d cross-modal + %d temporal layers, %d training videos, %d videos x %d micro-batch per update, lr %g, seed %llu",
             cfg.H, cfg.f_layers, cfg.c_layers, train.n, tc.videos_per_batch, tc.accum_steps, (double)tc.adamw.lr,
             (unsigned long long)a.seed);
    if (TOY_ROOT && toy_write_svg(svg_path, &log, a.until > tr.opt.step ? a.until : tr.opt.step, sub)) fprintf(stderr, "train_toy: cannot write %s\n", svg_path);
    else printf("wrote %s and %s\n", csv_path, svg_path);
    printf("total time %.1f s\n", toy_now() - t_start);
    rc = 0;
out:
    hero_trainer_free(&tr);
    hero_model_free(&model);
    toy_corpus_free(&train);
    toy_corpus_free(&held);
    toy_world_free(&world);
    free(log.rows);
#ifdef HERO_MPI
    free(shard);
    if (rc) MPI_Abort(MPI_COMM_WORLD, rc); /* the other ranks may be waiting in a collective */
    hero_dist_free(&dist);
    MPI_Finalize();
#endif
    return rc;
}

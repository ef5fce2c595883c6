/* lean_bench: inference at the released shapes per weight format (bench/lean.sh runs it).

     lean_bench --make DIR            DIR/config.json (the released dims: H 768, 12 heads, I 3072,
                                      6 + 3 layers, V 50265 / 50272, F 4352) and DIR/model.safetensors:
                                      hero_model_init_random weights (the official init; random
                                      weights at the released shapes, NOT the released checkpoint)
     lean_bench --config C --model M --dtype T --case K [--iters N]
                                      one case in this process, then one line
                                      CASE K dtype=T load_s=.. s=<median> min=.. rss_mb=<peak> weights_mb=.. arena_mb=<activations>
     lean_bench --config C --model M --dtype T --top5 FILE
                                      the retrieval corpus below, 60 queries: each query's top-5
                                      videos (by the VCMR video score, q2video) written to FILE;
                                      with --against F32FILE: share of queries whose ordered
                                      top-5 equals that file's (one line TOP5 ...)
     lean_bench --config C --model M --dtype T --quality FILE [--against F32FILE]
                                      outputs at the released shapes written to FILE: the REPR
                                      forward of the 2 videos of case repr (c_seq, f_pooled), 10
                                      query vectors (case query) and their VCMR scores against
                                      the 2 videos (q2video, st / ed probabilities); with
                                      --against: per output err = max|x - ref| / max|ref| against
                                      that file's, masked entries (-1e4: padding frames) left
                                      out (one line QUALITY ...)
   --threads N   hero_set_threads(N) (the library's pool and OpenBLAS); default: the cores

   cases   repr      REPR forward of 2 videos (12 and 20 frames, 6 + 10 subtitles), hero_bench's "full"
           query     hero_encode_queries of 10 queries of 16 tokens
           retrieve  20 videos x 60 frames (REPR forward in batches of --video-batch videos, default
                     20: one batch, as the official evaluation's video batch of 50), 10 queries
                     encoded, hero_vcmr_scores against all videos, hero_vcmr_rank per query
   Model loaded inference-only (hero_model_load_opt) in the asked format. Peak RSS: getrusage
   ru_maxrss of the process (load included). Synthetic corpus: frames N(0,1), subtitles of
   6-20 word ids in [4, V-1) over 6 consecutive frames each. */
#define _POSIX_C_SOURCE 200809L
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static double peak_mb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0;
}
static void die(const char *msg) {
    fprintf(stderr, "lean_bench: %s\n", msg);
    exit(1);
}

static uint64_t g_s = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    g_s ^= g_s << 13; g_s ^= g_s >> 7; g_s ^= g_s << 17;
    return g_s;
}
static float gauss(void) {
    double u = ((rnd() >> 11) + 1) * (1.0 / 9007199254740993.0), v = (rnd() >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

/* a corpus of n videos of T frames, subtitles of 6 frames each */
typedef struct corpus {
    int n;
    hero_video *v;
    float *feats;
    int32_t *len, *tok, *nf, *fr;
} corpus;
static void make_corpus(corpus *c, int n, const int *T, int F, int V) {
    int i, s, k, total_T = 0, total_s = 0, ti = 0, si = 0, fi = 0;
    for (i = 0; i < n; i++) { total_T += T[i]; total_s += (T[i] + 5) / 6; }
    c->n = n;
    c->v = (hero_video *)calloc((size_t)n, sizeof(hero_video));
    c->feats = (float *)malloc((size_t)total_T * F * sizeof(float));
    c->len = (int32_t *)malloc((size_t)total_s * sizeof(int32_t));
    c->tok = (int32_t *)malloc((size_t)total_s * 20 * sizeof(int32_t));
    c->nf = (int32_t *)malloc((size_t)total_s * sizeof(int32_t));
    c->fr = (int32_t *)malloc((size_t)total_T * sizeof(int32_t));
    for (k = 0; k < total_T * F; k++) c->feats[k] = gauss();
    for (i = 0, k = 0; i < n; i++) {
        int ns = (T[i] + 5) / 6, t0 = ti, s0 = si, f0 = fi;
        for (s = 0; s < ns; s++) {
            int L = 6 + (int)(rnd() % 15), j, a = s * 6, b = a + 6 < T[i] ? a + 6 : T[i];
            c->len[si] = L;
            for (j = 0; j < L; j++) c->tok[ti++] = 4 + (int)(rnd() % (uint64_t)(V - 5));
            c->nf[si] = b - a;
            for (j = a; j < b; j++) c->fr[fi++] = j;
            si++;
        }
        c->v[i].T = T[i];
        c->v[i].F = F;
        c->v[i].feats = c->feats + (size_t)k * F;
        c->v[i].n_subs = ns;
        c->v[i].sub_len = c->len + s0;
        c->v[i].sub_tokens = c->tok + t0;
        c->v[i].sub_nframes = c->nf + s0;
        c->v[i].sub_frames = c->fr + f0;
        k += T[i];
    }
}

static void make_model(const char *dir) {
    static const char *cfg =
        "{\"f_config\": {\"hidden_size\": 768, \"num_attention_heads\": 12, \"intermediate_size\": 3072, \"num_hidden_layers\": 6,"
        " \"max_position_embeddings\": 514, \"vocab_size\": 50265, \"type_vocab_size\": 1},\n"
        " \"c_config\": {\"hidden_size\": 768, \"num_attention_heads\": 12, \"intermediate_size\": 3072, \"num_hidden_layers\": 3,"
        " \"max_position_embeddings\": 514, \"type_vocab_size\": 2},\n"
        " \"q_config\": {\"hidden_size\": 768, \"num_attention_heads\": 12, \"intermediate_size\": 3072, \"num_hidden_layers\": 0,"
        " \"max_position_embeddings\": 514, \"vocab_size\": 50265},\n"
        " \"hero\": {\"vfeat_dim\": 4352, \"max_frm_seq_len\": 100, \"max_clip_len\": 100}}\n";
    char path[1024];
    FILE *f;
    hero_config c;
    hero_model m;
    hero_error err;
    hero_st_item *items;
    int64_t *shapes;
    int i;
    const char *meta[] = {"format", "pt", "source", "lean_bench --make: hero_model_init_random at the released shapes", "vocab_padded",
                          "True", NULL};
    snprintf(path, sizeof(path), "%s/config.json", dir);
    if (!(f = fopen(path, "w")) || fputs(cfg, f) < 0 || fclose(f)) die("cannot write config.json");
    if (hero_config_from_json(&c, path, &err)) die(err.msg);
    c.Vp = 50272;
    if (hero_model_init(&m, &c, &err) || hero_model_init_random(&m, 42)) die("model init");
    items = (hero_st_item *)calloc((size_t)m.n_params, sizeof(*items));
    shapes = (int64_t *)calloc((size_t)m.n_params * 3, sizeof(int64_t));
    for (i = 0; i < m.n_params; i++) {
        int d;
        for (d = 0; d < m.table[i].ndim; d++) shapes[3 * i + d] = m.table[i].shape[d];
        items[i].name = m.table[i].name;
        items[i].dtype = HERO_F32;
        items[i].ndim = m.table[i].ndim;
        items[i].shape = shapes + 3 * i;
        items[i].data = m.table[i].data;
    }
    snprintf(path, sizeof(path), "%s/model.safetensors", dir);
    if (hero_safetensors_write(path, items, m.n_params, meta, &err)) die(err.msg);
    printf("wrote %s/config.json and %s (%d tensors, %zu floats)\n", dir, path, m.n_params, m.n_floats);
    free(items);
    free(shapes);
    hero_model_free(&m);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* queries: CLS + 15 word ids of a subtitle of the corpus (so that they relate to a video) */
static void make_queries(const corpus *c, int nq, int Lq, int32_t *ids, int32_t *mask) {
    int q, j;
    for (q = 0; q < nq; q++) {
        const hero_video *v = &c->v[q % c->n];
        int s = (int)(rnd() % (uint64_t)v->n_subs), off = 0, k;
        for (k = 0; k < s; k++) off += v->sub_len[k];
        ids[q * Lq] = 0;
        mask[q * Lq] = 1;
        for (j = 1; j < Lq; j++) {
            int have = j - 1 < v->sub_len[s];
            ids[q * Lq + j] = have ? v->sub_tokens[off + j - 1] : 1;
            mask[q * Lq + j] = have;
        }
    }
}

/* --quality: named float arrays in a file (name, count, floats) and their comparison */
typedef struct qout {
    const char *name;
    const float *x;
    size_t n;
} qout;
static void quality(const char *file, const char *against, const char *dtype, const qout *o, int n_out) {
    int i;
    if (!against) {
        FILE *f = fopen(file, "wb");
        if (!f) die("cannot write --quality file");
        for (i = 0; i < n_out; i++) {
            uint64_t n = o[i].n;
            if (fwrite(&n, sizeof n, 1, f) != 1 || fwrite(o[i].x, sizeof(float), o[i].n, f) != o[i].n) die("write failed");
        }
        fclose(f);
        printf("QUALITY dtype=%s written %s\n", dtype, file);
    } else {
        FILE *f = fopen(against, "rb");
        double worst = 0;
        if (!f) die("cannot read --against file");
        printf("QUALITY dtype=%s", dtype);
        for (i = 0; i < n_out; i++) {
            uint64_t n = 0;
            float *r;
            double md = 0, mr = 0, e;
            size_t k;
            if (fread(&n, sizeof n, 1, f) != 1 || n != o[i].n) die("--against: not the same outputs");
            r = (float *)malloc((size_t)n * sizeof(float));
            if (!r || fread(r, sizeof(float), (size_t)n, f) != (size_t)n) die("--against: short file");
            for (k = 0; k < (size_t)n; k++) {
                double d = fabs((double)o[i].x[k] - r[k]);
                if (r[k] == -1e4f) continue; /* a masked (padding) frame: mask_logits wrote -1e4 */
                if (!(d <= md)) md = d;
                if (fabs(r[k]) > mr) mr = fabs(r[k]);
            }
            e = md / (mr > 1e-30 ? mr : 1e-30);
            printf(" %s=%.2e", o[i].name, e);
            if (!(e <= worst)) worst = e;
            free(r);
        }
        fclose(f);
        printf(" worst=%.2e\n", worst);
    }
}

int main(int argc, char **argv) {
    const char *config = NULL, *model = NULL, *cas = NULL, *top5 = NULL, *against = NULL, *qfile = NULL;
    hero_wtype wt = HERO_W_F32;
    hero_model m;
    hero_model_options o = hero_model_options_default();
    hero_error err;
    int i, iters = 3, it, vb = 20;
    double t0, load_s, times[64];
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--make") && i + 1 < argc) { make_model(argv[++i]); return 0; }
        else if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--case") && i + 1 < argc) cas = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--video-batch") && i + 1 < argc) vb = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--top5") && i + 1 < argc) top5 = argv[++i];
        else if (!strcmp(argv[i], "--against") && i + 1 < argc) against = argv[++i];
        else if (!strcmp(argv[i], "--quality") && i + 1 < argc) qfile = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) hero_set_threads(atoi(argv[++i]));
        else if (!strcmp(argv[i], "--dtype") && i + 1 < argc) { if (hero_wtype_parse(argv[++i], &wt, &err)) die(err.msg); }
        else die("usage: lean_bench --make DIR | --config C --model M --dtype T [--threads N] (--case repr|query|retrieve [--iters N] | --top5 FILE [--against F] | --quality FILE [--against F])");
    }
    if (!config || !model || (!cas && !top5 && !qfile)) die("--config, --model and --case, --top5 or --quality are required");
    if (iters < 1 || iters > 64) iters = 3;
    o.inference_only = 1;
    o.wtype = wt;
    t0 = now();
    if (hero_model_load_opt(&m, config, model, &o, NULL, &err)) die(err.msg);
    load_s = now() - t0;
    if (qfile) { /* the outputs of cases repr and query, and the queries' VCMR scores against the 2 videos */
        int T[2] = {12, 20}, nq = 10, Lq = 16, B, L, H = m.cfg.H, k;
        corpus c;
        hero_batch b;
        hero_result r;
        hero_batch_options bo = hero_batch_options_default(m.cfg.V);
        int32_t ids[160], mask[160], *cmask;
        float *cseq, *pooled, *mq, *q2v, *st, *ed;
        size_t nc, np;
        qout o[6];
        make_corpus(&c, 2, T, m.cfg.F, m.cfg.V);
        make_queries(&c, nq, Lq, ids, mask);
        if (hero_build_batch(&b, HERO_TASK_REPR, c.v, 2, &bo, NULL, NULL, &err) || hero_forward_backward(&m, &b, 0, NULL, &r, &err)) die(err.msg);
        B = b.B; L = b.L;
        nc = (size_t)B * L * H;
        np = (size_t)b.S * H;
        cseq = (float *)malloc(nc * sizeof(float));
        pooled = (float *)malloc(np * sizeof(float));
        memcpy(cseq, r.c_seq, nc * sizeof(float));
        memcpy(pooled, r.f_pooled, np * sizeof(float));
        cmask = (int32_t *)malloc((size_t)B * L * sizeof(int32_t));
        for (k = 0; k < B * L; k++) cmask[k] = b.c_attn_mask ? b.c_attn_mask[k] : 1;
        mq = (float *)malloc((size_t)nq * H * sizeof(float));
        q2v = (float *)malloc((size_t)nq * B * sizeof(float));
        st = (float *)malloc((size_t)nq * B * L * sizeof(float));
        ed = (float *)malloc((size_t)nq * B * L * sizeof(float));
        if (hero_encode_queries(&m, ids, mask, nq, Lq, mq, &err) || hero_vcmr_scores(&m, mq, nq, cseq, cmask, B, L, q2v, st, ed, &err)) die(err.msg);
        o[0].name = "c_seq"; o[0].x = cseq; o[0].n = nc;
        o[1].name = "f_pooled"; o[1].x = pooled; o[1].n = np;
        o[2].name = "query"; o[2].x = mq; o[2].n = (size_t)nq * H;
        o[3].name = "q2video"; o[3].x = q2v; o[3].n = (size_t)nq * B;
        o[4].name = "st_prob"; o[4].x = st; o[4].n = (size_t)nq * B * L;
        o[5].name = "ed_prob"; o[5].x = ed; o[5].n = (size_t)nq * B * L;
        quality(qfile, against, hero_wtype_name(wt), o, 6);
        hero_batch_free(&b);
        free(cseq); free(pooled); free(cmask); free(mq); free(q2v); free(st); free(ed);
        hero_model_free(&m);
        return 0;
    }
    if (top5 || !strcmp(cas, "retrieve")) {
        /* 20 videos x 60 frames, one REPR batch, 10 (or 60) queries, scores, ranking */
        int T[20], nq = top5 ? 60 : 10, Lq = 16, q, B = 20, L, H = m.cfg.H;
        int32_t *cmask;
        corpus c;
        hero_batch b;
        hero_result r;
        hero_batch_options bo = hero_batch_options_default(m.cfg.V);
        int32_t *ids = (int32_t *)malloc((size_t)nq * Lq * sizeof(int32_t)), *mask = (int32_t *)malloc((size_t)nq * Lq * sizeof(int32_t));
        float *mq = (float *)malloc((size_t)nq * H * sizeof(float)), *frames, *q2v, *st, *ed;
        hero_vcmr_options vo = hero_vcmr_options_default();
        hero_moment mom[5];
        for (i = 0; i < B; i++) T[i] = 60;
        make_corpus(&c, B, T, m.cfg.F, m.cfg.V);
        make_queries(&c, nq, Lq, ids, mask);
        for (it = 0; it < (top5 ? 1 : iters); it++) {
            int v0;
            t0 = now();
            L = 60; /* every video 60 frames: the REPR batches of --video-batch videos have no padding frames */
            frames = (float *)malloc((size_t)B * L * H * sizeof(float));
            for (v0 = 0; v0 < B; v0 += vb) {
                int nv = B - v0 < vb ? B - v0 : vb;
                if (hero_build_batch(&b, HERO_TASK_REPR, c.v + v0, nv, &bo, NULL, NULL, &err) || hero_forward_backward(&m, &b, 0, NULL, &r, &err))
                    die(err.msg);
                if (b.L != L) die("unexpected padding");
                memcpy(frames + (size_t)v0 * L * H, r.c_seq, (size_t)nv * L * H * sizeof(float));
                hero_batch_free(&b);
            }
            {
                int k; /* the frame mask of 20 unpadded videos: all ones */
                cmask = (int32_t *)malloc((size_t)B * L * sizeof(int32_t));
                for (k = 0; k < B * L; k++) cmask[k] = 1;
            }
            q2v = (float *)malloc((size_t)nq * B * sizeof(float));
            st = (float *)malloc((size_t)nq * B * L * sizeof(float));
            ed = (float *)malloc((size_t)nq * B * L * sizeof(float));
            if (hero_encode_queries(&m, ids, mask, nq, Lq, mq, &err) ||
                hero_vcmr_scores(&m, mq, nq, frames, cmask, B, L, q2v, st, ed, &err))
                die(err.msg);
            for (q = 0; q < nq; q++)
                if (hero_vcmr_rank(q2v + (size_t)q * B, st + (size_t)q * B * L, ed + (size_t)q * B * L, B, L, &vo, 1, mom, 5, &err) < 0)
                    die(err.msg);
            times[it] = now() - t0;
            if (top5) { /* each query's top-5 videos by q2video */
                FILE *f = fopen(top5, "w");
                if (!f) die("cannot write --top5 file");
                for (q = 0; q < nq; q++) {
                    int best[5], k, j;
                    for (k = 0; k < 5; k++) {
                        best[k] = -1;
                        for (j = 0; j < B; j++) {
                            int used = 0, u;
                            for (u = 0; u < k; u++) used |= best[u] == j;
                            if (!used && (best[k] < 0 || q2v[(size_t)q * B + j] > q2v[(size_t)q * B + best[k]])) best[k] = j;
                        }
                        fprintf(f, "%d%c", best[k], k == 4 ? '\n' : ' ');
                    }
                }
                fclose(f);
                if (against) {
                    FILE *a = fopen(against, "r"), *bq = fopen(top5, "r");
                    char la[256], lb[256];
                    int same = 0, n = 0, same_set = 0;
                    if (!a || !bq) die("cannot read --against / --top5 file");
                    while (fgets(la, sizeof la, a) && fgets(lb, sizeof lb, bq)) {
                        int x[5], y[5], k, j, in = 0;
                        n++;
                        same += strcmp(la, lb) == 0;
                        if (sscanf(la, "%d %d %d %d %d", &x[0], &x[1], &x[2], &x[3], &x[4]) == 5 &&
                            sscanf(lb, "%d %d %d %d %d", &y[0], &y[1], &y[2], &y[3], &y[4]) == 5) {
                            for (k = 0; k < 5; k++) for (j = 0; j < 5; j++) in += x[k] == y[j];
                            same_set += in == 5;
                        }
                    }
                    fclose(a);
                    fclose(bq);
                    printf("TOP5 dtype=%s queries=%d same_ordered=%d (%.1f%%) same_set=%d (%.1f%%)\n", hero_wtype_name(wt), n, same,
                           100.0 * same / (n ? n : 1), same_set, 100.0 * same_set / (n ? n : 1));
                }
            }
            free(frames); free(q2v); free(st); free(ed);
            free(cmask);
        }
        if (top5) { hero_model_free(&m); return 0; }
    } else if (!strcmp(cas, "repr")) {
        int T[2] = {12, 20};
        corpus c;
        hero_batch b;
        hero_result r;
        hero_batch_options bo = hero_batch_options_default(m.cfg.V);
        make_corpus(&c, 2, T, m.cfg.F, m.cfg.V);
        if (hero_build_batch(&b, HERO_TASK_REPR, c.v, 2, &bo, NULL, NULL, &err)) die(err.msg);
        if (hero_forward_backward(&m, &b, 0, NULL, &r, &err)) die(err.msg); /* warm-up */
        for (it = 0; it < iters; it++) {
            t0 = now();
            if (hero_forward_backward(&m, &b, 0, NULL, &r, &err)) die(err.msg);
            times[it] = now() - t0;
        }
        hero_batch_free(&b);
    } else if (!strcmp(cas, "query")) {
        int nq = 10, Lq = 16, T[2] = {12, 20};
        corpus c;
        int32_t ids[160], mask[160];
        float *mq = (float *)malloc((size_t)nq * m.cfg.H * sizeof(float));
        make_corpus(&c, 2, T, m.cfg.F, m.cfg.V);
        make_queries(&c, nq, Lq, ids, mask);
        if (hero_encode_queries(&m, ids, mask, nq, Lq, mq, &err)) die(err.msg);
        for (it = 0; it < iters; it++) {
            t0 = now();
            if (hero_encode_queries(&m, ids, mask, nq, Lq, mq, &err)) die(err.msg);
            times[it] = now() - t0;
        }
        free(mq);
    } else die("--case: repr, query or retrieve");
    {
        double med, mn;
        qsort(times, (size_t)iters, sizeof(double), cmp_double);
        med = times[iters / 2];
        mn = times[0];
        printf("CASE %s dtype=%s load_s=%.3f s=%.4f min=%.4f rss_mb=%.1f weights_mb=%.1f arena_mb=%.1f\n", cas, hero_wtype_name(wt), load_s,
               med, mn, peak_mb(), (double)hero_model_weight_bytes(&m) / 1048576.0, (double)m.arena.peak / 1048576.0);
    }
    hero_model_free(&m);
    return 0;
}

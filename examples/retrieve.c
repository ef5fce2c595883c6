/* retrieve: video corpus moment retrieval (VCMR) with a HERO checkpoint, as the official
   eval_vcmr.py scores it, from a folder of video features and subtitles.

   usage: retrieve --config CONFIG.json --model CKPT --videos DIR --vocab vocab.json
                   --merges merges.txt [options] QUERY...

   DIR holds, per video <vid>:
     features   resnet_features/<vid>.npz + slowfast_features/<vid>.npz ("features" [T, 2048]
                and [T, 2304], f16 or f32; joined ResNet first, cut to the shorter one), or
                one pre-joined <vid>.npz / <vid>.npy [T, F]
     subtitles  subs.jsonl (the official format: {"vid_name", "sub": [{"text","start","end"}]}
                per line) and / or <vid>.srt (wins over subs.jsonl); none: the official
                pseudo-subtitles (empty text over 5-frame windows)
   Every video is encoded once (the model's REPR pass, videos in name order, in batches of
   --video-batch like the official evaluation, whose padding frames reach the span
   predictor's convolution) and kept in a cache file; a later run reuses every batch whose
   checkpoint, config, tokenizer, options, member names and feature / subtitle file sizes +
   mtimes are unchanged. Each QUERY becomes [CLS] + RoBERTa BPE ids (an all-upper-case query
   lower-cased, as prepro_query.py), is scored against every video (hero_vcmr_scores) and
   ranked as validate_full_vcmr does (hero_vcmr_rank): softmax of the start / end logits,
   video score exp(q2c_alpha * q2video), moments of the best max_vcmr_video videos with
   min_pred_l <= ed - st < max_pred_l, score st_prob * video score * ed_prob. Printed: the
   top K videos, each with its best moment [st * fl, (ed + 1) * fl) seconds.

   options (defaults: config/train-tvr-8gpu.json, also how2r / didemo_video_sub):
     --cache FILE          cache file (default DIR/hero_cache.safetensors); --no-cache: none
     --top K               videos printed per query (5)
     --frame-len S         seconds per feature frame, vfeat_interval (1.5)
     --feat-dims A,B       ResNet, SlowFast widths (2048,2304); A + B must equal the model's F
     --max-frames N        max_clip_len (100)
     --max-sub-tokens N    tokens kept per subtitle (60, the training max_txt_len; 0 = no cut,
                           what the official evaluation does)
     --q2c-alpha X         q2c_alpha (20)
     --max-vcmr-video N    max_vcmr_video (100)
     --min-pred-l N        min_pred_l (2)
     --max-pred-l N        max_pred_l (16)
     --video-batch N       vcmr_eval_video_batch_size (50)
     --dtype T             weights in memory: f32 (default), bf16, f16 or q8_0 (read directly by
                           the matrix products; the model is inference-only in every format)
   Exit status 0 on success, 1 with a message on any error. */
#define _POSIX_C_SOURCE 200809L
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------- small utilities ---------------- */

static void die(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "retrieve: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s);
    char *p = (char *)xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static char *joinpath(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = (char *)xmalloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* a growable string */
typedef struct { char *s; size_t n, cap; } str;
static void str_add(str *b, const char *fmt, ...) {
    va_list ap;
    int k;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0) die("formatting failed");
        if (b->s && (size_t)k < room) { b->n += (size_t)k; return; }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->s = (char *)realloc(b->s, b->cap);
        if (!b->s) die("out of memory");
    }
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "size:mtime" of a file (its identity for the cache); exits when it does not exist */
static void file_id(str *b, const char *tag, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) die("%s: cannot stat (%s)", path, strerror(errno));
    str_add(b, "%s=%lld:%lld", tag, (long long)st.st_size, (long long)st.st_mtime);
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted file names in dir ending with suffix (NULL list when the dir does not exist). */
static char **list_dir(const char *dir, const char *suffix, int *n) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    int cap = 0;
    *n = 0;
    if (!d) return NULL;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, suffix) || strlen(e->d_name) == strlen(suffix)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            v = (char **)realloc(v, (size_t)cap * sizeof(char *));
            if (!v) die("out of memory");
        }
        v[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(v, (size_t)*n, sizeof(char *), cmp_str);
    return v;
}

static char *strip_suffix(const char *s, const char *suf) {
    char *p = xstrdup(s);
    p[strlen(s) - strlen(suf)] = 0;
    return p;
}

static long parse_int(const char *opt, const char *v, long lo, long hi) {
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) die("%s: expected an integer in [%ld, %ld], found \"%s\"", opt, lo, hi, v);
    return x;
}

static double parse_num(const char *opt, const char *v) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x == x) || x > 1e30 || x < -1e30) die("%s: expected a number, found \"%s\"", opt, v);
    return x;
}

/* ---------------- the video folder ---------------- */

typedef struct video {
    char *name;
    char *resnet, *slowfast;   /* pair of feature files, or NULL */
    char *joined;              /* pre-joined features, or NULL */
    char *srt;                 /* <vid>.srt, or NULL */
    const hero_subtitles *subs;/* subtitles (from srt or jsonl), or NULL */
    hero_subtitles srt_subs;
    char *key;                 /* cache identity */
    int T;                     /* frames after the cut */
} video;

typedef struct corpus {
    video *v;
    int n;
    hero_subtitles *jsonl;
    int n_jsonl;
    char *jsonl_path;
} corpus;

static int cmp_video(const void *a, const void *b) { return strcmp(((const video *)a)->name, ((const video *)b)->name); }

static void scan_videos(corpus *c, const char *dir) {
    char *rdir = joinpath(dir, "resnet_features"), *sdir = joinpath(dir, "slowfast_features");
    char **rn, **sn, **jn, **jy, **srt;
    int nr = 0, ns = 0, nj = 0, ny = 0, nsrt = 0, i, cap;
    hero_error err;
    if (!is_dir(dir)) die("%s: not a directory (--videos DIR)", dir);
    rn = list_dir(rdir, ".npz", &nr);
    sn = list_dir(sdir, ".npz", &ns);
    jn = list_dir(dir, ".npz", &nj);
    jy = list_dir(dir, ".npy", &ny);
    srt = list_dir(dir, ".srt", &nsrt);
    cap = nr + nj + ny + 1;
    c->v = (video *)xmalloc((size_t)cap * sizeof(video));
    memset(c->v, 0, (size_t)cap * sizeof(video));
    c->n = 0;
    for (i = 0; i < nr; i++) {
        video *v = &c->v[c->n++];
        v->name = strip_suffix(rn[i], ".npz");
        v->resnet = joinpath(rdir, rn[i]);
        v->slowfast = joinpath(sdir, rn[i]);
        if (!bsearch(&rn[i], sn, (size_t)ns, sizeof(char *), cmp_str))
            die("%s: missing (video \"%s\" has ResNet features %s but no SlowFast features)", v->slowfast, v->name, v->resnet);
    }
    for (i = 0; i < ns; i++)
        if (!bsearch(&sn[i], rn, (size_t)nr, sizeof(char *), cmp_str))
            die("%s/%s: missing (video \"%.*s\" has SlowFast features but no ResNet features)", rdir, sn[i], (int)(strlen(sn[i]) - 4), sn[i]);
    for (i = 0; i < nj + ny; i++) {
        const char *f = i < nj ? jn[i] : jy[i - nj];
        char *name = strip_suffix(f, i < nj ? ".npz" : ".npy");
        int k;
        for (k = 0; k < c->n; k++)
            if (strcmp(c->v[k].name, name) == 0)
                die("video \"%s\": features given twice (%s/%s and %s)", name, dir, f, c->v[k].joined ? c->v[k].joined : c->v[k].resnet);
        c->v[c->n].name = name;
        c->v[c->n].joined = joinpath(dir, f);
        c->n++;
    }
    if (c->n == 0) die("%s: no video features (expected resnet_features/<vid>.npz + slowfast_features/<vid>.npz, or <vid>.npz / <vid>.npy)", dir);
    qsort(c->v, (size_t)c->n, sizeof(video), cmp_video); /* the official order: sorted video names */
    /* subtitles */
    c->jsonl_path = joinpath(dir, "subs.jsonl");
    {
        FILE *f = fopen(c->jsonl_path, "rb");
        if (f) {
            fclose(f);
            if (hero_subs_read_jsonl(&c->jsonl, &c->n_jsonl, c->jsonl_path, &err)) die("%s", err.msg);
        } else {
            free(c->jsonl_path);
            c->jsonl_path = NULL;
        }
    }
    for (i = 0; i < c->n; i++) {
        video *v = &c->v[i];
        size_t nl = strlen(v->name) + 5;
        char *fn = (char *)xmalloc(nl);
        snprintf(fn, nl, "%s.srt", v->name);
        if (bsearch(&fn, srt, (size_t)nsrt, sizeof(char *), cmp_str)) v->srt = joinpath(dir, fn);
        free(fn);
        if (!v->srt && c->jsonl) v->subs = hero_subs_find(c->jsonl, c->n_jsonl, v->name);
    }
    for (i = 0; i < nr; i++) free(rn[i]);
    for (i = 0; i < ns; i++) free(sn[i]);
    for (i = 0; i < nj; i++) free(jn[i]);
    for (i = 0; i < ny; i++) free(jy[i]);
    for (i = 0; i < nsrt; i++) free(srt[i]);
    free(rn); free(sn); free(jn); free(jy); free(srt); free(rdir); free(sdir);
}

/* ---------------- options ---------------- */

typedef struct opts {
    const char *config, *model, *dir, *vocab, *merges, *cache;
    int no_cache, top, dim_a, dim_b, video_batch;
    hero_wtype dtype;
    hero_media_options media;
    hero_vcmr_options vcmr;
    char **queries;
    int n_queries;
} opts;

static void usage(void) {
    fprintf(stderr,
            "usage: retrieve --config CONFIG.json --model CKPT --videos DIR --vocab vocab.json --merges merges.txt\n"
            "                [--cache FILE | --no-cache] [--top K] [--frame-len 1.5] [--feat-dims 2048,2304]\n"
            "                [--max-frames 100] [--max-sub-tokens 60] [--q2c-alpha 20] [--max-vcmr-video 100]\n"
            "                [--min-pred-l 2] [--max-pred-l 16] [--video-batch 50] [--dtype f32|bf16|f16|q8_0] QUERY...\n");
}

static void parse_args(opts *o, int argc, char **argv) {
    int i;
    memset(o, 0, sizeof *o);
    o->top = 5;
    o->dim_a = HERO_FEAT_RESNET;
    o->dim_b = HERO_FEAT_SLOWFAST;
    o->video_batch = 50;
    o->media = hero_media_options_default();
    o->vcmr = hero_vcmr_options_default();
    o->queries = (char **)xmalloc((size_t)argc * sizeof(char *));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VAL() (i + 1 < argc ? argv[++i] : (usage(), die("%s needs a value", a), ""))
        if (strcmp(a, "--config") == 0) o->config = VAL();
        else if (strcmp(a, "--model") == 0) o->model = VAL();
        else if (strcmp(a, "--videos") == 0) o->dir = VAL();
        else if (strcmp(a, "--vocab") == 0) o->vocab = VAL();
        else if (strcmp(a, "--merges") == 0) o->merges = VAL();
        else if (strcmp(a, "--cache") == 0) o->cache = VAL();
        else if (strcmp(a, "--no-cache") == 0) o->no_cache = 1;
        else if (strcmp(a, "--top") == 0) o->top = (int)parse_int(a, VAL(), 1, 1000000);
        else if (strcmp(a, "--frame-len") == 0) {
            o->media.frame_len = parse_num(a, VAL());
            if (!(o->media.frame_len > 0) || o->media.frame_len > 1e5) die("--frame-len: expected seconds > 0");
        } else if (strcmp(a, "--feat-dims") == 0) {
            const char *v = VAL();
            char *end, *end2;
            long x = strtol(v, &end, 10), y = *end == ',' ? strtol(end + 1, &end2, 10) : -1;
            if (*end != ',' || *end2 || x < 1 || y < 1 || x > (1 << 24) || y > (1 << 24))
                die("--feat-dims: expected two widths \"RESNET,SLOWFAST\" (e.g. 2048,2304), found \"%s\"", v);
            o->dim_a = (int)x;
            o->dim_b = (int)y;
        } else if (strcmp(a, "--max-frames") == 0) o->media.max_frames = (int)parse_int(a, VAL(), 1, 1 << 20);
        else if (strcmp(a, "--max-sub-tokens") == 0) o->media.max_sub_tokens = (int)parse_int(a, VAL(), 0, 1 << 20);
        else if (strcmp(a, "--q2c-alpha") == 0) o->vcmr.q2c_alpha = (float)parse_num(a, VAL());
        else if (strcmp(a, "--max-vcmr-video") == 0) o->vcmr.max_vcmr_video = (int)parse_int(a, VAL(), 1, 1 << 30);
        else if (strcmp(a, "--min-pred-l") == 0) o->vcmr.min_pred_l = (int)parse_int(a, VAL(), 0, 1 << 20);
        else if (strcmp(a, "--max-pred-l") == 0) o->vcmr.max_pred_l = (int)parse_int(a, VAL(), 1, 1 << 20);
        else if (strcmp(a, "--video-batch") == 0) o->video_batch = (int)parse_int(a, VAL(), 1, 1 << 20);
        else if (strcmp(a, "--dtype") == 0) {
            hero_error e;
            if (hero_wtype_parse(VAL(), &o->dtype, &e)) die("--dtype: %s", e.msg);
        }
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { usage(); exit(0); }
        else if (a[0] == '-' && a[1] == '-' && a[2] == 0) { while (++i < argc) o->queries[o->n_queries++] = argv[i]; }
        else if (a[0] == '-' && a[1] == '-') { usage(); die("unknown option %s", a); }
        else o->queries[o->n_queries++] = argv[i];
#undef VAL
    }
    if (!o->config || !o->model || !o->dir || !o->vocab || !o->merges) {
        usage();
        die("--config, --model, --videos, --vocab and --merges are required");
    }
    if (o->n_queries == 0) { usage(); die("no QUERY given"); }
    if (o->vcmr.max_pred_l <= o->vcmr.min_pred_l) die("--max-pred-l %d must be > --min-pred-l %d", o->vcmr.max_pred_l, o->vcmr.min_pred_l);
}

/* ---------------- encoding videos (REPR), with the cache ---------------- */

typedef struct group {
    int first, n;      /* videos [first, first + n) */
    int L;             /* the batch's padded length */
    char *key;
    float *rows;       /* [n, L, H] c_seq rows, padding rows included (official) */
    int cached;
} group;

static void video_key(const opts *o, const corpus *c, video *v) {
    str k = {NULL, 0, 0};
    str_add(&k, "%s|", v->name);
    if (v->joined) file_id(&k, "feat", v->joined);
    else { file_id(&k, "resnet", v->resnet); str_add(&k, ","); file_id(&k, "slowfast", v->slowfast); }
    str_add(&k, "|");
    if (v->srt) file_id(&k, "srt", v->srt);
    else if (v->subs) file_id(&k, "jsonl", c->jsonl_path);
    else str_add(&k, "nosubs");
    (void)o;
    v->key = k.s;
}

static void load_video(const opts *o, const hero_model *m, const hero_tokenizer *tok, video *v, hero_video_data *out) {
    hero_feats f;
    hero_error err;
    const hero_subtitles *subs = v->subs;
    int rc;
    if (v->joined) rc = hero_feats_read(&f, v->joined, m->cfg.F, o->media.max_frames, &err);
    else rc = hero_feats_read_pair(&f, v->resnet, v->slowfast, o->dim_a, o->dim_b, o->media.max_frames, &err);
    if (rc) die("%s", err.msg);
    if (f.F != m->cfg.F)
        die("video \"%s\": %d floats per frame, the model expects F = %d (--feat-dims %d,%d)", v->name, f.F, m->cfg.F, o->dim_a, o->dim_b);
    if (v->srt) {
        if (hero_subs_read_srt(&v->srt_subs, v->srt, &err)) die("%s", err.msg);
        subs = &v->srt_subs;
    }
    if (hero_video_prepare(out, &f, subs, tok, &o->media, &err)) die("video \"%s\": %s", v->name, err.msg);
    if (out->n_tokens_cut)
        fprintf(stderr, "retrieve: video \"%s\": %d subtitles cut to %d tokens\n", v->name, out->n_tokens_cut, o->media.max_sub_tokens);
    v->T = f.T;
    hero_feats_free(&f);
    if (v->srt) hero_subtitles_free(&v->srt_subs);
}

static void encode_group(const opts *o, hero_model *m, const hero_tokenizer *tok, corpus *c, group *g) {
    hero_video_data *vd = (hero_video_data *)xmalloc((size_t)g->n * sizeof(hero_video_data));
    hero_video *views = (hero_video *)xmalloc((size_t)g->n * sizeof(hero_video));
    hero_batch_options bo = hero_batch_options_default(m->cfg.V);
    hero_batch b;
    hero_result res;
    hero_error err;
    int i, H = m->cfg.H;
    for (i = 0; i < g->n; i++) {
        load_video(o, m, tok, &c->v[g->first + i], &vd[i]);
        views[i] = vd[i].video;
    }
    bo.max_frames = o->media.max_frames;
    if (hero_build_batch(&b, HERO_TASK_REPR, views, g->n, &bo, NULL, NULL, &err))
        die("videos \"%s\"..\"%s\": %s", c->v[g->first].name, c->v[g->first + g->n - 1].name, err.msg);
    if (hero_forward_backward(m, &b, 0, NULL, &res, &err))
        die("videos \"%s\"..\"%s\": %s", c->v[g->first].name, c->v[g->first + g->n - 1].name, err.msg);
    g->L = b.L;
    g->rows = (float *)xmalloc((size_t)g->n * (size_t)b.L * (size_t)H * sizeof(float));
    if (hero_copy_to_host(m, g->rows, res.c_seq, (size_t)g->n * (size_t)b.L * (size_t)H * sizeof(float), &err)) die("%s", err.msg);
    hero_batch_free(&b);
    for (i = 0; i < g->n; i++) hero_video_data_free(&vd[i]);
    free(vd);
    free(views);
}

/* Reuses the cached batch with the same key, if any. */
static int cache_lookup(const hero_tensorfile *tf, const corpus *c, group *g, int H) {
    int k, i;
    char name[64];
    for (k = 0;; k++) {
        const char *key, *tstr;
        snprintf(name, sizeof name, "group.%d", k);
        if (!(key = hero_tensorfile_meta(tf, name))) return 0;
        if (strcmp(key, g->key) != 0) continue;
        snprintf(name, sizeof name, "group.%d.T", k);
        if (!(tstr = hero_tensorfile_meta(tf, name))) return 0;
        for (i = 0; i < g->n; i++) {
            const hero_tensor_info *t;
            hero_error err;
            char *end;
            long T = strtol(tstr, &end, 10);
            if (end == tstr || T < 1 || (*end != ',' && *end != 0)) return 0;
            tstr = *end ? end + 1 : end;
            snprintf(name, sizeof name, "g%d/%d", k, i);
            t = hero_tensorfile_find(tf, name);
            if (!t || t->ndim != 2 || t->shape[1] != H || t->shape[0] < T || t->dtype != HERO_F32) return 0;
            if (i == 0) {
                g->L = (int)t->shape[0];
                g->rows = (float *)xmalloc((size_t)g->n * (size_t)g->L * (size_t)H * sizeof(float));
            } else if (t->shape[0] != g->L) { free(g->rows); g->rows = NULL; return 0; }
            if (hero_tensor_read_f32(t, g->rows + (size_t)i * (size_t)g->L * (size_t)H, (int64_t)g->L * H, &err)) {
                free(g->rows); g->rows = NULL; return 0;
            }
            c->v[g->first + i].T = (int)T;
        }
        return 1;
    }
}

static void cache_write(const char *path, const corpus *c, const group *gs, int ng, int H) {
    hero_st_item *items;
    int64_t *shapes;
    char **names, **meta;
    const char **kv;
    int g, i, n = 0, total = 0, nk = 0;
    hero_error err;
    for (g = 0; g < ng; g++) total += gs[g].n;
    items = (hero_st_item *)xmalloc((size_t)total * sizeof(hero_st_item));
    shapes = (int64_t *)xmalloc((size_t)total * 2 * sizeof(int64_t));
    names = (char **)xmalloc((size_t)total * sizeof(char *));
    meta = (char **)xmalloc((size_t)(4 * ng + 4) * sizeof(char *));
    kv = (const char **)xmalloc((size_t)(4 * ng + 5) * sizeof(char *));
    kv[nk++] = "format";
    kv[nk++] = "hero retrieve cache 1: group.<k> = the batch key, group.<k>.T = frames per video, g<k>/<i> = c_seq rows [L, H]";
    for (g = 0; g < ng; g++) {
        str t = {NULL, 0, 0};
        char nb[64];
        for (i = 0; i < gs[g].n; i++) {
            char tn[64];
            snprintf(tn, sizeof tn, "g%d/%d", g, i);
            names[n] = xstrdup(tn);
            shapes[2 * n] = gs[g].L;
            shapes[2 * n + 1] = H;
            items[n].name = names[n];
            items[n].dtype = HERO_F32;
            items[n].ndim = 2;
            items[n].shape = shapes + 2 * n;
            items[n].data = gs[g].rows + (size_t)i * (size_t)gs[g].L * (size_t)H;
            n++;
            str_add(&t, "%s%d", i ? "," : "", c->v[gs[g].first + i].T);
        }
        snprintf(nb, sizeof nb, "group.%d", g);
        meta[2 * g] = xstrdup(nb);
        snprintf(nb, sizeof nb, "group.%d.T", g);
        meta[2 * g + 1] = xstrdup(nb);
        kv[nk++] = meta[2 * g];
        kv[nk++] = gs[g].key;
        kv[nk++] = meta[2 * g + 1];
        kv[nk++] = t.s;
    }
    kv[nk] = NULL;
    if (hero_safetensors_write(path, items, n, kv, &err)) fprintf(stderr, "retrieve: warning: cache not written: %s\n", err.msg);
    for (i = 0; i < n; i++) free(names[i]);
    for (g = 0; g < ng; g++) { free(meta[2 * g]); free(meta[2 * g + 1]); free((void *)kv[2 + 4 * g + 3]); }
    free(items); free(shapes); free(names); free(meta); free(kv);
}

/* ---------------- main ---------------- */

int main(int argc, char **argv) {
    opts o;
    corpus c;
    hero_model m;
    hero_tokenizer *tok = NULL;
    hero_error err;
    hero_tensorfile cache;
    group *gs;
    int ng, g, i, q, H, Lmax = 0, n_cached = 0, have_cache = 0;
    str gkey = {NULL, 0, 0};
    char *cache_path = NULL;
    float *frames, *q2v, *st, *ed, *mq;
    int32_t *mask, *qids, *qmask;
    int Lq = 0;
    hero_moment *mom;

    parse_args(&o, argc, argv);
    memset(&c, 0, sizeof c);
    {
        hero_model_options mo = hero_model_options_default();
        mo.inference_only = 1; /* no gradients, no optimizer state */
        mo.wtype = o.dtype;
        if (hero_model_load_opt(&m, o.config, o.model, &mo, NULL, &err)) die("%s", err.msg);
    }
    H = m.cfg.H;
    if (hero_tokenizer_load(&tok, o.vocab, o.merges, &err)) die("%s", err.msg);
    scan_videos(&c, o.dir);
    fprintf(stderr, "retrieve: %d videos in %s, model H %d F %d\n", c.n, o.dir, H, m.cfg.F);

    /* what every cached batch depends on besides its videos */
    str_add(&gkey, "v1|");
    file_id(&gkey, "model", o.model); str_add(&gkey, "|");
    file_id(&gkey, "config", o.config); str_add(&gkey, "|");
    file_id(&gkey, "vocab", o.vocab); str_add(&gkey, "|");
    file_id(&gkey, "merges", o.merges);
    str_add(&gkey, "|fl=%.17g|max_frames=%d|max_sub_tokens=%d|dims=%d,%d|batch=%d", o.media.frame_len, o.media.max_frames,
            o.media.max_sub_tokens, o.dim_a, o.dim_b, o.video_batch);
    if (o.dtype != HERO_W_F32) str_add(&gkey, "|dtype=%s", hero_wtype_name(o.dtype));
    for (i = 0; i < c.n; i++) video_key(&o, &c, &c.v[i]);

    if (!o.no_cache) {
        cache_path = o.cache ? xstrdup(o.cache) : joinpath(o.dir, "hero_cache.safetensors");
        if (is_dir(cache_path)) die("%s: --cache is a directory", cache_path);
        {
            FILE *f = fopen(cache_path, "rb");
            if (f) {
                fclose(f);
                if (hero_tensorfile_open(&cache, cache_path, &err) == 0) have_cache = 1;
                else fprintf(stderr, "retrieve: warning: cache %s unreadable, rebuilding it: %s\n", cache_path, err.msg);
            }
        }
    }

    /* batches of video_batch videos in name order, as the official evaluation */
    ng = (c.n + o.video_batch - 1) / o.video_batch;
    gs = (group *)xmalloc((size_t)ng * sizeof(group));
    memset(gs, 0, (size_t)ng * sizeof(group));
    for (g = 0; g < ng; g++) {
        str k = {NULL, 0, 0};
        gs[g].first = g * o.video_batch;
        gs[g].n = c.n - gs[g].first < o.video_batch ? c.n - gs[g].first : o.video_batch;
        str_add(&k, "%s", gkey.s);
        for (i = 0; i < gs[g].n; i++) str_add(&k, "\n%s", c.v[gs[g].first + i].key);
        gs[g].key = k.s;
        if (have_cache && cache_lookup(&cache, &c, &gs[g], H)) {
            gs[g].cached = 1;
            n_cached += gs[g].n;
        }
    }
    if (have_cache) hero_tensorfile_close(&cache);
    for (g = 0; g < ng; g++) {
        if (gs[g].cached) continue;
        fprintf(stderr, "retrieve: encoding videos %d..%d of %d\n", gs[g].first + 1, gs[g].first + gs[g].n, c.n);
        encode_group(&o, &m, tok, &c, &gs[g]);
    }
    if (cache_path) {
        if (n_cached == c.n) fprintf(stderr, "retrieve: cache: all %d videos from %s\n", c.n, cache_path);
        else {
            fprintf(stderr, "retrieve: cache: %d of %d videos from %s, writing it\n", n_cached, c.n, cache_path);
            cache_write(cache_path, &c, gs, ng, H);
        }
    }

    /* all videos as the official total_frame_embeddings: [B, Lmax, H], zeros past each batch's L */
    for (g = 0; g < ng; g++) if (gs[g].L > Lmax) Lmax = gs[g].L;
    frames = (float *)xmalloc((size_t)c.n * (size_t)Lmax * (size_t)H * sizeof(float));
    mask = (int32_t *)xmalloc((size_t)c.n * (size_t)Lmax * sizeof(int32_t));
    memset(frames, 0, (size_t)c.n * (size_t)Lmax * (size_t)H * sizeof(float));
    for (g = 0; g < ng; g++)
        for (i = 0; i < gs[g].n; i++) {
            int v = gs[g].first + i, t;
            memcpy(frames + (size_t)v * (size_t)Lmax * (size_t)H, gs[g].rows + (size_t)i * (size_t)gs[g].L * (size_t)H,
                   (size_t)gs[g].L * (size_t)H * sizeof(float));
            for (t = 0; t < Lmax; t++) mask[(size_t)v * (size_t)Lmax + (size_t)t] = t < c.v[v].T;
        }

    /* queries: [CLS] + BPE ids of the (upper-case rule) text, padded with PAD 1 / mask 0 */
    {
        int32_t **ids = (int32_t **)xmalloc((size_t)o.n_queries * sizeof(int32_t *));
        int *lens = (int *)xmalloc((size_t)o.n_queries * sizeof(int));
        for (q = 0; q < o.n_queries; q++) {
            char *norm;
            size_t nl;
            int n;
            if (hero_text_normalize(o.queries[q], strlen(o.queries[q]), 0, &norm, &nl, &err)) die("query %d: %s", q + 1, err.msg);
            n = hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, NULL, 0, &err);
            if (n < 0) die("query %d: %s", q + 1, err.msg);
            ids[q] = (int32_t *)xmalloc(((size_t)n + 1) * sizeof(int32_t));
            ids[q][0] = 0; /* <s> = CLS */
            if (n > 0 && hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, ids[q] + 1, n, &err) != n) die("query %d: %s", q + 1, err.msg);
            free(norm);
            lens[q] = n + 1;
            if (lens[q] > m.cfg.q_max_pos || lens[q] > m.cfg.f_max_pos)
                die("query %d: %d tokens with CLS, the model takes at most %d", q + 1, lens[q],
                    m.cfg.q_max_pos < m.cfg.f_max_pos ? m.cfg.q_max_pos : m.cfg.f_max_pos);
            if (lens[q] > Lq) Lq = lens[q];
        }
        qids = (int32_t *)xmalloc((size_t)o.n_queries * (size_t)Lq * sizeof(int32_t));
        qmask = (int32_t *)xmalloc((size_t)o.n_queries * (size_t)Lq * sizeof(int32_t));
        for (q = 0; q < o.n_queries; q++) {
            int t;
            for (t = 0; t < Lq; t++) {
                qids[(size_t)q * Lq + t] = t < lens[q] ? ids[q][t] : 1;
                qmask[(size_t)q * Lq + t] = t < lens[q];
            }
            free(ids[q]);
        }
        free(ids);
        free(lens);
    }
    mq = (float *)xmalloc((size_t)o.n_queries * (size_t)H * sizeof(float));
    if (hero_encode_queries(&m, qids, qmask, o.n_queries, Lq, mq, &err)) die("%s", err.msg);
    q2v = (float *)xmalloc((size_t)o.n_queries * (size_t)c.n * sizeof(float));
    st = (float *)xmalloc((size_t)o.n_queries * (size_t)c.n * (size_t)Lmax * sizeof(float));
    ed = (float *)xmalloc((size_t)o.n_queries * (size_t)c.n * (size_t)Lmax * sizeof(float));
    if (hero_vcmr_scores(&m, mq, o.n_queries, frames, mask, c.n, Lmax, q2v, st, ed, &err)) die("%s", err.msg);

    /* rank and print */
    mom = (hero_moment *)xmalloc((size_t)o.top * sizeof(hero_moment));
    for (q = 0; q < o.n_queries; q++) {
        int n = hero_vcmr_rank(q2v + (size_t)q * c.n, st + (size_t)q * c.n * Lmax, ed + (size_t)q * c.n * Lmax, c.n, Lmax, &o.vcmr, 1,
                               mom, o.top, &err);
        if (n < 0) die("%s", err.msg);
        printf("query %d: %s\n", q + 1, o.queries[q]);
        for (i = 0; i < n; i++) {
            float s0 = (float)mom[i].st * (float)o.media.frame_len, s1 = (float)mom[i].ed * (float)o.media.frame_len + (float)o.media.frame_len;
            printf("  %d. %s [%.2f s, %.2f s] score %.6g (video %.4f)\n", i + 1, c.v[mom[i].video].name, s0, s1, mom[i].score,
                   mom[i].video_score);
        }
        if (n == 0)
            printf("  (no moment: every video is shorter than min_pred_l + 1 = %d frames)\n", o.vcmr.min_pred_l + 1);
    }

    free(mom); free(q2v); free(st); free(ed); free(mq); free(qids); free(qmask); free(frames); free(mask);
    for (g = 0; g < ng; g++) { free(gs[g].rows); free(gs[g].key); }
    free(gs);
    for (i = 0; i < c.n; i++) {
        free(c.v[i].name); free(c.v[i].resnet); free(c.v[i].slowfast); free(c.v[i].joined); free(c.v[i].srt); free(c.v[i].key);
    }
    free(c.v);
    hero_subs_list_free(c.jsonl, c.n_jsonl);
    free(c.jsonl_path);
    free(cache_path);
    free(gkey.s);
    free(o.queries);
    hero_tokenizer_free(tok);
    hero_model_free(&m);
    return 0;
}

/* retrieve: video corpus moment retrieval (VCMR) with a HERO checkpoint, as the official
   eval_vcmr.py scores it, from a folder of video features and subtitles.

   usage: retrieve --config CONFIG.json --model CKPT --videos DIR --vocab vocab.json
                   --merges merges.txt [options] QUERY...
          retrieve --model ONEFILE.safetensors --videos DIR [options] QUERY...
   (a one-file model, hero_convert --config --vocab --merges, holds the config and the tokenizer)

   DIR holds, per video <vid>:
     features   resnet_features/<vid>.npz + slowfast_features/<vid>.npz ("features" [T, 2048]
                and [T, 2304], f16 or f32; joined ResNet first, cut to the shorter one), or
                one pre-joined <vid>.npz / <vid>.npy [T, F]
     subtitles  subs.jsonl (the official format: {"vid_name", "sub": [{"text","start","end"}]}
                per line) and / or <vid>.srt (wins over subs.jsonl); none: the official
                pseudo-subtitles (empty text over 5-frame windows)
   This program is a command-line wrapper over hero.h's retrieval index (hero_index_*): the
   videos are added in name order (hero_index_add), the queries searched (hero_index_search).
   Every video is encoded once (the model's REPR pass, in batches of --video-batch like the
   official evaluation, whose padding frames reach the span predictor's convolution) and the
   index is kept in a cache file (hero_index_save); a later run loads it (hero_index_load,
   memory-mapped) and reuses the videos up to the first whose feature / subtitle file sizes +
   mtimes changed (with the same checkpoint, config, tokenizer and options). Each QUERY
   becomes [CLS] + RoBERTa BPE ids (an all-upper-case query lower-cased, as prepro_query.py),
   is scored against every video (hero_vcmr_scores) and
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

#define EXAMPLE_NAME "retrieve"
#include "example_cli.h"

/* ---------------- small utilities ---------------- */

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

/* "size:mtime" of a file (its identity for the cache); exits when it does not exist */
static void file_id(str *b, const char *tag, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) die("%s: cannot stat (%s)", path, strerror(errno));
    str_add(b, "%s=%lld:%lld", tag, (long long)st.st_size, (long long)st.st_mtime);
}

/* ---------------- the video folder ---------------- */

typedef struct video {
    char *name;
    char *resnet, *slowfast;   /* pair of feature files, or NULL */
    char *joined;              /* pre-joined features, or NULL */
    char *srt;                 /* <vid>.srt, or NULL */
    const hero_subtitles *subs;/* subtitles from subs.jsonl, or NULL */
    char *key;                 /* cache identity: the files' sizes + mtimes */
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
            "usage: retrieve [--config CONFIG.json] --model CKPT --videos DIR [--vocab vocab.json --merges merges.txt]\n"
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
    if (!o->model || !o->dir || !o->vocab != !o->merges) {
        usage();
        die("--model and --videos are required, --vocab and --merges go together (without --config / --vocab / --merges: from the model file)");
    }
    if (o->n_queries == 0) { usage(); die("no QUERY given"); }
    if (o->vcmr.max_pred_l <= o->vcmr.min_pred_l) die("--max-pred-l %d must be > --min-pred-l %d", o->vcmr.max_pred_l, o->vcmr.min_pred_l);
}

/* ---------------- the index: videos in, queries out ---------------- */

static void video_key(const corpus *c, video *v) {
    str k = {NULL, 0, 0};
    if (v->joined) file_id(&k, "feat", v->joined);
    else { file_id(&k, "resnet", v->resnet); str_add(&k, ","); file_id(&k, "slowfast", v->slowfast); }
    str_add(&k, "|");
    if (v->srt) file_id(&k, "srt", v->srt);
    else if (v->subs) file_id(&k, "jsonl", c->jsonl_path);
    else str_add(&k, "nosubs");
    v->key = k.s;
}

/* reads one video's features and subtitles and adds it to the index */
static void add_video(const opts *o, hero_index *ix, int F, video *v) {
    hero_feats f;
    hero_subtitles srt;
    hero_error err;
    const hero_subtitles *subs = v->subs;
    int rc;
    if (v->joined) rc = hero_feats_read(&f, v->joined, F, o->media.max_frames, &err);
    else rc = hero_feats_read_pair(&f, v->resnet, v->slowfast, o->dim_a, o->dim_b, o->media.max_frames, &err);
    if (rc) die("%s", err.msg);
    if (v->srt) {
        if (hero_subs_read_srt(&srt, v->srt, &err)) die("%s", err.msg);
        subs = &srt;
    }
    rc = hero_index_add(ix, v->name, &f, subs, v->key, &err);
    if (rc == HERO_ESHAPE) die("%s (--feat-dims %d,%d)", err.msg, o->dim_a, o->dim_b);
    if (rc < 0) die("%s", err.msg);
    if (rc > 0) fprintf(stderr, "retrieve: video \"%s\": %d subtitles cut to %d tokens\n", v->name, rc, o->media.max_sub_tokens);
    hero_feats_free(&f);
    if (v->srt) hero_subtitles_free(&srt);
}

typedef struct progress { int total, encoded; } progress;
static void on_encode(void *user, int first, int n) {
    progress *p = (progress *)user;
    fprintf(stderr, "retrieve: encoding videos %d..%d of %d\n", first + 1, first + n, p->total);
    p->encoded += n;
}

/* ---------------- main ---------------- */

int main(int argc, char **argv) {
    opts o;
    corpus c;
    hero_model m;
    hero_tokenizer *tok = NULL;
    hero_error err;
    hero_index *ix = NULL;
    hero_index_options io = hero_index_options_default();
    hero_index_hit *hits;
    int *n_hits;
    int i, q, kept = 0;
    str tag = {NULL, 0, 0};
    char *cache_path = NULL;
    progress pr = {0, 0};

    parse_args(&o, argc, argv);
    memset(&c, 0, sizeof c);
    {
        hero_model_options mo = hero_model_options_default();
        mo.inference_only = 1; /* no gradients, no optimizer state */
        mo.wtype = o.dtype;
        if (hero_model_load_opt(&m, o.config, o.model, &mo, NULL, &err)) die("%s", err.msg);
    }
    if (o.vocab ? hero_tokenizer_load(&tok, o.vocab, o.merges, &err) : hero_tokenizer_load_model(&tok, o.model, &err)) die("%s", err.msg);
    scan_videos(&c, o.dir);
    fprintf(stderr, "retrieve: %d videos in %s, model H %d F %d\n", c.n, o.dir, m.cfg.H, m.cfg.F);

    /* what every cached video depends on besides its own files: the index's tag */
    str_add(&tag, "retrieve 2|");
    file_id(&tag, "model", o.model);
    if (o.config) { str_add(&tag, "|"); file_id(&tag, "config", o.config); }
    if (o.vocab) { str_add(&tag, "|"); file_id(&tag, "vocab", o.vocab); str_add(&tag, "|"); file_id(&tag, "merges", o.merges); }
    str_add(&tag, "|fl=%.17g|max_frames=%d|max_sub_tokens=%d|dims=%d,%d|batch=%d", o.media.frame_len, o.media.max_frames,
            o.media.max_sub_tokens, o.dim_a, o.dim_b, o.video_batch);
    if (o.dtype != HERO_W_F32) str_add(&tag, "|dtype=%s", hero_wtype_name(o.dtype));
    for (i = 0; i < c.n; i++) video_key(&c, &c.v[i]);

    io.media = o.media;
    io.dim_resnet = o.dim_a;
    io.dim_slowfast = o.dim_b;
    io.video_batch = o.video_batch;
    io.progress = on_encode;
    io.user = &pr;
    pr.total = c.n;
    if (!o.no_cache) {
        FILE *f;
        cache_path = o.cache ? xstrdup(o.cache) : joinpath(o.dir, "hero_cache.safetensors");
        if (is_dir(cache_path)) die("%s: --cache is a directory", cache_path);
        if ((f = fopen(cache_path, "rb")) != NULL) {
            int rc;
            fclose(f);
            rc = hero_index_load(&ix, cache_path, &m, tok, &io, &err);
            if (rc && rc != HERO_EINVAL && rc != HERO_ESHAPE) /* other options or model: rebuilt silently */
                fprintf(stderr, "retrieve: warning: cache %s unreadable, rebuilding it: %s\n", cache_path, err.msg);
            if (ix && (!hero_index_tag(ix) || strcmp(hero_index_tag(ix), tag.s) != 0)) { hero_index_free(ix); ix = NULL; }
        }
    }
    /* the cached videos still valid: the longest prefix (videos in name order, as the official evaluation) */
    if (ix) {
        int n = hero_index_size(ix);
        while (kept < n && kept < c.n && strcmp(hero_index_name(ix, kept), c.v[kept].name) == 0 &&
               strcmp(hero_index_key(ix, kept), c.v[kept].key) == 0)
            kept++;
        kept = hero_index_truncate(ix, kept);
    } else if (hero_index_create(&ix, &m, tok, &io, &err)) die("%s", err.msg);
    for (i = kept; i < c.n; i++) add_video(&o, ix, m.cfg.F, &c.v[i]);
    if (hero_index_encode(ix, &err)) die("%s", err.msg);
    if (cache_path) {
        if (pr.encoded == 0) fprintf(stderr, "retrieve: cache: all %d videos from %s\n", c.n, cache_path);
        else {
            fprintf(stderr, "retrieve: cache: %d of %d videos from %s, writing it\n", c.n - pr.encoded, c.n, cache_path);
            if (hero_index_save(ix, cache_path, tag.s, &err)) fprintf(stderr, "retrieve: warning: cache not written: %s\n", err.msg);
        }
    }

    /* every query against every video, ranked as validate_full_vcmr: each video's best moment */
    hits = (hero_index_hit *)xmalloc((size_t)o.n_queries * (size_t)o.top * sizeof(hero_index_hit));
    n_hits = (int *)xmalloc((size_t)o.n_queries * sizeof(int));
    if (hero_index_search(ix, (const char *const *)o.queries, o.n_queries, &o.vcmr, o.top, 1, hits, n_hits, &err)) die("%s", err.msg);
    for (q = 0; q < o.n_queries; q++) {
        const hero_index_hit *h = hits + (size_t)q * (size_t)o.top;
        printf("query %d: %s\n", q + 1, o.queries[q]);
        for (i = 0; i < n_hits[q]; i++)
            printf("  %d. %s [%.2f s, %.2f s] score %.6g (video %.4f)\n", i + 1, h[i].name, h[i].start, h[i].end, h[i].score, h[i].video_score);
        if (n_hits[q] == 0)
            printf("  (no moment: every video is shorter than min_pred_l + 1 = %d frames)\n", o.vcmr.min_pred_l + 1);
    }

    free(hits); free(n_hits);
    hero_index_free(ix);
    for (i = 0; i < c.n; i++) {
        free(c.v[i].name); free(c.v[i].resnet); free(c.v[i].slowfast); free(c.v[i].joined); free(c.v[i].srt); free(c.v[i].key);
    }
    free(c.v);
    hero_subs_list_free(c.jsonl, c.n_jsonl);
    free(c.jsonl_path);
    free(cache_path);
    free(tag.s);
    free(o.queries);
    hero_tokenizer_free(tok);
    hero_model_free(&m);
    return 0;
}

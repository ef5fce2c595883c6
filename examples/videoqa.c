/* videoqa: answers a multiple-choice question about the videos of a folder with a fine-tuned
   video QA checkpoint (HeroForVideoQA: TVQA / How2QA), as the official validate_videoQA scores it,
   and points at the moment the answer comes from.

   usage: videoqa --config CONFIG.json --model QA.pt --videos DIR --vocab vocab.json --merges merges.txt
                  [options] --question Q --answer A0 --answer A1 [--answer A2 ...]

   DIR: as examples/retrieve.c reads it (per video <vid>: resnet_features/<vid>.npz +
   slowfast_features/<vid>.npz, or one pre-joined <vid>.npz / <vid>.npy; subtitles from <vid>.srt or
   subs.jsonl, none: pseudo-subtitles). The question is asked of every video (--video NAME: of that
   one only). Per video the official batch is built (hero_build_ft_batch, HERO_TASK_VIDEOQA: every
   subtitle row followed by [SEP] question [SEP] answer_a, one temporal row per candidate) and the
   model scores the candidates (logits; the answer = argmax, first on ties, as validate_videoQA) and
   the frames (the st / ed heads): the moment is the span s <= e maximising st[s] + ed[e] (the log of
   the product of the two softmaxes), printed as [s * fl, (e + 1) * fl) seconds. Question and answers
   become RoBERTa BPE ids without special tokens (an all-upper-case text lower-cased, as the queries).

   Output, one line per video:
     <vid>: answer <a> "<text>" (p <softmax of the logits>) moment [<st> s, <ed> s]

   options (defaults: config/train-tvqa-8gpu.json):
     --video NAME          ask about this video only
     --frame-len S         seconds per feature frame, vfeat_interval (1.5)
     --feat-dims A,B       ResNet, SlowFast widths (2048,2304); A + B must equal the model's F
     --max-frames N        max_clip_len (100)
     --sub-ctx-len N       sub_ctx_len (0)
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

#define EXAMPLE_NAME "videoqa"
#include "example_cli.h"

#define MAX_CAND 16

/* the video names of DIR, sorted: resnet_features/<vid>.npz, <vid>.npz, <vid>.npy */
static char **list_videos(const char *dir, int *n) {
    char *rdir = joinpath(dir, "resnet_features");
    const char *dirs[3], *sufs[3] = {".npz", ".npz", ".npy"};
    char **v = NULL;
    int cap = 0, k, i;
    *n = 0;
    dirs[0] = rdir; dirs[1] = dir; dirs[2] = dir;
    for (k = 0; k < 3; k++) {
        DIR *d = opendir(dirs[k]);
        struct dirent *e;
        if (!d) continue;
        while ((e = readdir(d)) != NULL) {
            char *name;
            if (e->d_name[0] == '.' || !ends_with(e->d_name, sufs[k]) || strlen(e->d_name) == 4) continue;
            name = xstrdup(e->d_name);
            name[strlen(name) - 4] = 0;
            for (i = 0; i < *n && strcmp(v[i], name); i++) {}
            if (i < *n) { free(name); continue; }
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                v = (char **)realloc(v, (size_t)cap * sizeof(char *));
                if (!v) die("out of memory");
            }
            v[(*n)++] = name;
        }
        closedir(d);
    }
    free(rdir);
    if (*n) qsort(v, (size_t)*n, sizeof(char *), cmp_str);
    return v;
}

/* RoBERTa BPE ids of a text (no special tokens; an all-upper-case text lower-cased) */
static int32_t *encode(const hero_tokenizer *tok, const char *what, const char *text, int *n) {
    hero_error err;
    char *norm = NULL;
    size_t nl = 0;
    int32_t *ids;
    int k;
    if (hero_text_normalize(text, strlen(text), 0, &norm, &nl, &err)) die("%s: %s", what, err.msg);
    k = hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, NULL, 0, &err);
    if (k < 0) die("%s: %s", what, err.msg);
    if (k == 0) die("%s \"%s\": no tokens", what, text);
    ids = (int32_t *)xmalloc((size_t)k * sizeof(int32_t));
    if (hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, ids, k, &err) != k) die("%s: %s", what, err.msg);
    HERO_FREE(norm);
    *n = k;
    return ids;
}

static void usage(void) {
    printf("usage: videoqa --config CONFIG.json --model QA.pt --videos DIR --vocab vocab.json --merges merges.txt\n"
           "               [--video NAME] [--frame-len S] [--feat-dims A,B] [--max-frames N] [--sub-ctx-len N]\n"
           "               --question Q --answer A0 --answer A1 [--answer A2 ...]\n");
}

int main(int argc, char **argv) {
    const char *config = NULL, *model = NULL, *dir = NULL, *vocab = NULL, *merges = NULL, *question = NULL, *only = NULL;
    const char *answers[MAX_CAND];
    int n_ans = 0, dim_a = HERO_FEAT_RESNET, dim_b = HERO_FEAT_SLOWFAST, sub_ctx = 0, i, v, n_videos = 0, asked = 0;
    hero_media_options media = hero_media_options_default();
    hero_model m;
    hero_load_report rep;
    hero_tokenizer *tok = NULL;
    hero_error err;
    hero_subtitles *jsonl = NULL;
    int n_jsonl = 0;
    char **names, *jsonl_path;
    int32_t *q_ids, *a_ids[MAX_CAND], a_len[MAX_CAND], *cand;
    int q_len, total = 0;
    hero_ft_item item;
    hero_batch_options bo;
    media.max_sub_tokens = 0; /* the official inference does not cut subtitles */
    for (i = 1; i < argc; i += 2) { /* every option takes one value */
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(); return 0; }
        if (!val) die("%s: needs a value (--help for usage)", a);
        if (!strcmp(a, "--config")) config = val;
        else if (!strcmp(a, "--model")) model = val;
        else if (!strcmp(a, "--videos")) dir = val;
        else if (!strcmp(a, "--vocab")) vocab = val;
        else if (!strcmp(a, "--merges")) merges = val;
        else if (!strcmp(a, "--question")) question = val;
        else if (!strcmp(a, "--video")) only = val;
        else if (!strcmp(a, "--answer")) {
            if (n_ans == MAX_CAND) die("--answer: at most %d candidates", MAX_CAND);
            answers[n_ans++] = val;
        } else if (!strcmp(a, "--frame-len")) {
            char *end;
            media.frame_len = strtod(val, &end);
            if (end == val || *end || !(media.frame_len >= 1e-3 && media.frame_len <= 1e3)) die("--frame-len: expected seconds in [0.001, 1000], found \"%s\"", val);
        } else if (!strcmp(a, "--feat-dims")) {
            if (sscanf(val, "%d,%d", &dim_a, &dim_b) != 2 || dim_a < 1 || dim_b < 1) die("--feat-dims: expected A,B (two widths), found \"%s\"", val);
        } else if (!strcmp(a, "--max-frames")) media.max_frames = (int)parse_int(a, val, 1, 100000);
        else if (!strcmp(a, "--sub-ctx-len")) sub_ctx = (int)parse_int(a, val, 0, 100);
        else die("unknown option %s (--help for usage)", a);
    }
    if (!config || !model || !dir || !vocab || !merges) die("--config, --model, --videos, --vocab and --merges are required (--help for usage)");
    if (!question) die("--question is required");
    if (n_ans < 2) die("at least two --answer candidates are required (TVQA has 5)");
    if (!is_dir(dir)) die("%s: not a directory (--videos DIR)", dir);
    if (hero_model_load(&m, config, model, &rep, &err)) die("%s", err.msg);
    if (m.cfg.heads != HERO_HEADS_VIDEOQA)
        die("%s: not a video QA model (no qa_pool / qa_pred_head: heads %d); fine-tune one with hero_ft_trainer", model, m.cfg.heads);
    if (dim_a + dim_b != m.cfg.F) die("--feat-dims %d,%d: the model reads %d floats per frame", dim_a, dim_b, m.cfg.F);
    if (hero_tokenizer_load(&tok, vocab, merges, &err)) die("%s", err.msg);
    q_ids = encode(tok, "--question", question, &q_len);
    for (i = 0; i < n_ans; i++) {
        int k;
        a_ids[i] = encode(tok, "--answer", answers[i], &k);
        a_len[i] = k;
        total += k;
    }
    for (i = 0; i < q_len; i++)
        if (q_ids[i] >= m.cfg.V) die("--question: token id %d outside the model's vocabulary (%d): another tokenizer?", q_ids[i], m.cfg.V);
    cand = (int32_t *)xmalloc((size_t)total * sizeof(int32_t));
    for (i = 0, total = 0; i < n_ans; i++) {
        int k;
        for (k = 0; k < a_len[i]; k++) {
            if (a_ids[i][k] >= m.cfg.V) die("--answer %d: token id %d outside the model's vocabulary (%d)", i, a_ids[i][k], m.cfg.V);
            cand[total++] = a_ids[i][k];
        }
    }
    memset(&item, 0, sizeof(item));
    item.video = 0; item.len = q_len; item.tokens = q_ids;
    item.n_cand = n_ans; item.cand_len = a_len; item.cand_tokens = cand; item.label = -1;
    bo = hero_batch_options_default(m.cfg.V);
    bo.max_frames = media.max_frames;
    bo.sub_ctx_len = sub_ctx;
    names = list_videos(dir, &n_videos);
    if (n_videos == 0) die("%s: no video features (expected resnet_features/<vid>.npz + slowfast_features/<vid>.npz, or <vid>.npz / <vid>.npy)", dir);
    jsonl_path = joinpath(dir, "subs.jsonl");
    if (is_file(jsonl_path) && hero_subs_read_jsonl(&jsonl, &n_jsonl, jsonl_path, &err)) die("%s", err.msg);
    for (v = 0; v < n_videos; v++) {
        const char *name = names[v];
        char *rn, *sn, *jz, *jy, *srt, buf[1024];
        hero_feats f;
        hero_subtitles srt_subs;
        const hero_subtitles *subs = NULL;
        hero_video_data vd;
        hero_batch b;
        hero_result res;
        float logits[MAX_CAND], *st, *ed, best = -INFINITY, mx;
        double z = 0;
        int rc, L, s, e, bs = 0, be = 0, ans = 0, have_srt = 0;
        if (only && strcmp(only, name)) continue;
        asked++;
        snprintf(buf, sizeof(buf), "resnet_features/%s.npz", name); rn = joinpath(dir, buf);
        snprintf(buf, sizeof(buf), "slowfast_features/%s.npz", name); sn = joinpath(dir, buf);
        snprintf(buf, sizeof(buf), "%s.npz", name); jz = joinpath(dir, buf);
        snprintf(buf, sizeof(buf), "%s.npy", name); jy = joinpath(dir, buf);
        snprintf(buf, sizeof(buf), "%s.srt", name); srt = joinpath(dir, buf);
        if (is_file(rn)) {
            if (!is_file(sn)) die("%s: missing (video \"%s\" has ResNet features %s)", sn, name, rn);
            rc = hero_feats_read_pair(&f, rn, sn, dim_a, dim_b, media.max_frames, &err);
        } else {
            rc = hero_feats_read(&f, is_file(jz) ? jz : jy, m.cfg.F, media.max_frames, &err);
        }
        if (rc) die("%s", err.msg);
        if (is_file(srt)) {
            if (hero_subs_read_srt(&srt_subs, srt, &err)) die("%s", err.msg);
            subs = &srt_subs;
            have_srt = 1;
        } else if (jsonl) {
            subs = hero_subs_find(jsonl, n_jsonl, name);
        }
        if (hero_video_prepare(&vd, &f, subs, tok, &media, &err)) die("video \"%s\": %s", name, err.msg);
        if (hero_build_ft_batch(&b, HERO_TASK_VIDEOQA, &vd.video, 1, &item, 1, media.frame_len, &bo, &err)) die("video \"%s\": %s", name, err.msg);
        if (hero_forward_backward(&m, &b, 0, NULL, &res, &err)) die("video \"%s\": %s", name, err.msg);
        L = b.L;
        st = (float *)xmalloc((size_t)L * sizeof(float));
        ed = (float *)xmalloc((size_t)L * sizeof(float));
        if (hero_copy_to_host(&m, logits, res.scores, (size_t)n_ans * sizeof(float), &err) ||
            hero_copy_to_host(&m, st, res.st_prob, (size_t)L * sizeof(float), &err) ||
            hero_copy_to_host(&m, ed, res.ed_prob, (size_t)L * sizeof(float), &err))
            die("%s", err.msg);
        for (i = 1; i < n_ans; i++) if (logits[i] > logits[ans]) ans = i;
        mx = logits[ans];
        for (i = 0; i < n_ans; i++) z += exp((double)(logits[i] - mx));
        for (s = 0; s < vd.video.T && s < L; s++)
            for (e = s; e < vd.video.T && e < L; e++)
                if (st[s] + ed[e] > best) { best = st[s] + ed[e]; bs = s; be = e; }
        printf("%s: answer %d \"%s\" (p %.3f) moment [%.2f s, %.2f s]\n", name, ans, answers[ans], 1.0 / z, bs * media.frame_len,
               (be + 1) * media.frame_len);
        free(st); free(ed);
        hero_batch_free(&b);
        hero_video_data_free(&vd);
        hero_feats_free(&f);
        if (have_srt) hero_subtitles_free(&srt_subs);
        free(rn); free(sn); free(jz); free(jy); free(srt);
    }
    if (only && !asked) die("--video %s: no such video in %s", only, dir);
    for (v = 0; v < n_videos; v++) free(names[v]);
    free(names); free(jsonl_path); free(q_ids); free(cand);
    for (i = 0; i < n_ans; i++) free(a_ids[i]);
    if (jsonl) hero_subs_list_free(jsonl, n_jsonl);
    hero_tokenizer_free(tok);
    hero_model_free(&m);
    return 0;
}

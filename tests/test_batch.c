/* Batch building against the official HERO collate (golden files) + statistics of the
   random choices. Build from the repository root:
     gcc -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror tests/test_batch.c -lm -o /tmp/test_batch
     /tmp/test_batch [golden dir, default tests/golden/tiny] [differential dir, default
                     tests/golden/batch_fuzz: files from tests/gen_batch_fuzz.py]
   -DHERO_TEST_USE_HERO_H: test the merged ../hero.h instead of the wip/ pieces. */
#define HERO_IMPLEMENTATION
#ifdef HERO_TEST_USE_HERO_H
#include "../hero.h"
#else
#include "../wip/prelude.h"
#include "../wip/formats_api.h"
#include "../wip/batch_api.h"
#include "../wip/data_api.h"
#include "../wip/formats_impl.h"
#include "../wip/data_impl.h"
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;
static int quiet;       /* differential cases: print failing keys only, count the case once */
static int case_fails;  /* failing keys of the current case (quiet mode) */

static void check(int ok, const char *name, const char *why) {
    if (quiet) {
        if (!ok) { printf("FAIL %s: %s\n", name, why); case_fails++; }
        return;
    }
    if (ok) { printf("PASS %s\n", name); n_pass++; }
    else { printf("FAIL %s: %s\n", name, why); n_fail++; }
}

/* ---------------- golden ---------------- */

static int64_t *read_i64(const hero_tensorfile *tf, const char *name, size_t *n_out, int64_t *shape, int *ndim) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    size_t n = 1;
    int d;
    int64_t *dst;
    hero_error err;
    if (!t) return NULL;
    for (d = 0; d < (int)t->ndim; d++) { n *= (size_t)t->shape[d]; if (shape) shape[d] = (int64_t)t->shape[d]; }
    if (ndim) *ndim = (int)t->ndim;
    dst = (int64_t *)malloc((n ? n : 1) * sizeof(int64_t));
    if (hero_tensor_read_i64(t, dst, (int64_t)n, &err)) { printf("# read %s: %s\n", name, err.msg); free(dst); return NULL; }
    if (n_out) *n_out = n;
    return dst;
}

static float *read_f32(const hero_tensorfile *tf, const char *name, size_t *n_out, int64_t *shape, int *ndim) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    size_t n = 1;
    int d;
    float *dst;
    hero_error err;
    if (!t) return NULL;
    for (d = 0; d < (int)t->ndim; d++) { n *= (size_t)t->shape[d]; if (shape) shape[d] = (int64_t)t->shape[d]; }
    if (ndim) *ndim = (int)t->ndim;
    dst = (float *)malloc((n ? n : 1) * sizeof(float));
    if (hero_tensor_read_f32(t, dst, (int64_t)n, &err)) { printf("# read %s: %s\n", name, err.msg); free(dst); return NULL; }
    if (n_out) *n_out = n;
    return dst;
}

static int32_t *to_i32(const int64_t *a, size_t n) {
    int32_t *o = (int32_t *)malloc((n ? n : 1) * sizeof(int32_t));
    size_t i;
    for (i = 0; i < n; i++) o[i] = (int32_t)a[i];
    return o;
}

static int32_t *read_i32(const hero_tensorfile *tf, const char *name, size_t *n) {
    int64_t *a = read_i64(tf, name, n, NULL, NULL);
    int32_t *o;
    if (!a) return NULL;
    o = to_i32(a, *n);
    free(a);
    return o;
}

/* HERO_MALLOC'd int32 copy (for hero_choices, freed by hero_choices_free) */
static int32_t *read_i32_hero(const hero_tensorfile *tf, const char *name, size_t *n) {
    int32_t *a = read_i32(tf, name, n), *o;
    if (!a) return NULL;
    o = (int32_t *)HERO_MALLOC((*n ? *n : 1) * sizeof(int32_t));
    memcpy(o, a, *n * sizeof(int32_t));
    free(a);
    return o;
}

/* One in.* tensor vs a batch field. kind: 'i' int32, 'u' uint8, 'f' float. Shape of the
   tensor must equal dims (ndim entries). Prints "<task> in.<key> <err> OK|FAIL". */
static void cmp_key(const char *task, const hero_tensorfile *tf, const char *key, char kind, const void *field,
                    int ndim, int d0, int d1, int d2) {
    int64_t shape[8];
    int tnd = 0, d, ok = 1;
    int want[3];
    size_t n = 0, i;
    double e = 0;
    char name[96];
    snprintf(name, sizeof(name), "in.%s", key);
    want[0] = d0; want[1] = d1; want[2] = d2;
    if (!hero_tensorfile_find(tf, name)) {
        printf("%s %s - FAIL (missing in golden file)\n", task, name);
        if (quiet) case_fails++; else n_fail++;
        return;
    }
    if (kind == 'f') {
        float *ref = read_f32(tf, name, &n, shape, &tnd);
        const float *got = (const float *)field;
        if (!ref) ok = 0;
        for (i = 0; ok && got && i < n; i++) { double x = fabs((double)ref[i] - (double)got[i]); if (x > e) e = x; }
        if (!got) ok = 0;
        free(ref);
    } else {
        int64_t *ref = read_i64(tf, name, &n, shape, &tnd);
        if (!ref || !field) ok = 0;
        for (i = 0; ok && i < n; i++) {
            int64_t g = kind == 'u' ? (int64_t)((const uint8_t *)field)[i] : (int64_t)((const int32_t *)field)[i];
            double x = fabs((double)(ref[i] - g));
            if (x > e) e = x;
        }
        free(ref);
    }
    if (tnd != ndim) ok = 0;
    for (d = 0; ok && d < ndim; d++)
        if (shape[d] != want[d]) ok = 0;
    if (!ok) {
        printf("%s %s - FAIL (shape/field: file [", task, name);
        for (d = 0; d < tnd; d++) printf("%s%lld", d ? "," : "", (long long)shape[d]);
        printf("] batch [");
        for (d = 0; d < ndim; d++) printf("%s%d", d ? "," : "", want[d]);
        printf("])\n");
        if (quiet) case_fails++; else n_fail++;
        return;
    }
    ok = e == 0.0;
    if (quiet) {
        if (!ok) { printf("%s %s %g FAIL\n", task, name, e); case_fails++; }
        return;
    }
    printf("%s %s %g %s\n", task, name, e, ok ? "OK" : "FAIL");
    if (ok) n_pass++; else n_fail++;
}

static void cmp_batch(const char *tn, const hero_tensorfile *tf, const hero_batch *b) {
    int mlm = b->task == HERO_TASK_MLM;
    cmp_key(tn, tf, mlm ? "input_ids" : "f_sub_input_ids", 'i', b->txt_ids, 2, b->S, b->Lt, 0);
    cmp_key(tn, tf, mlm ? "position_ids" : "f_sub_pos_ids", 'i', b->txt_pos, 2, 1, b->Lt, 0);
    cmp_key(tn, tf, mlm ? "v_feat" : "f_v_feats", 'f', b->f_v_feats, 3, b->S, b->Lv, b->F);
    if (!mlm) cmp_key(tn, tf, "f_v_pos_ids", 'i', b->f_v_pos, 2, 1, b->Lv, 0);
    cmp_key(tn, tf, mlm ? "attn_masks" : "f_attn_masks", 'i', b->f_attn_mask, 2, b->S, b->Lg, 0);
    cmp_key(tn, tf, mlm ? "gather_index" : "f_gather_index", 'i', b->f_gather, 2, b->S, b->Lg, 0);
    if (mlm) {
        cmp_key(tn, tf, "txt_mask_tgt", 'u', b->txt_mask_tgt, 2, b->S, b->Lg, 0);
        cmp_key(tn, tf, "txt_labels", 'i', b->txt_labels, 1, b->n_mlm, 0, 0);
        return;
    }
    cmp_key(tn, tf, "c_v_feats", 'f', b->c_v_feats, 3, b->B, b->L, b->F);
    cmp_key(tn, tf, "c_attn_masks", 'i', b->c_attn_mask, 2, b->B, b->L, 0);
    cmp_key(tn, tf, "num_subs", 'i', b->num_subs, 1, b->B, 0, 0);
    cmp_key(tn, tf, "s2f_sub_idx", 'i', b->s2f_sub_idx, 1, b->n_s2f, 0, 0);
    cmp_key(tn, tf, "s2f_nframes", 'i', b->s2f_nframes, 1, b->n_s2f, 0, 0);
    {
        int i, nf = 0;
        for (i = 0; i < b->n_s2f; i++) nf += b->s2f_nframes[i];
        cmp_key(tn, tf, "s2f_frames", 'i', b->s2f_frames, 1, nf, 0, 0);
    }
    if (b->task == HERO_TASK_MFM_NCE || b->task == HERO_TASK_MFFR) {
        cmp_key(tn, tf, "f_v_masks", 'u', b->f_v_masks, 2, b->S, b->Lv, 0);
        cmp_key(tn, tf, "c_v_masks", 'u', b->c_v_masks, 2, b->B, b->L, 0);
        cmp_key(tn, tf, "feat_targets", 'f', b->feat_targets, 2, b->n_masked, b->F, 0);
    } else if (b->task == HERO_TASK_FOM) {
        cmp_key(tn, tf, "shuffled_orders", 'i', b->shuffled_orders, 2, b->B, b->L, 0);
        cmp_key(tn, tf, "targets", 'i', b->fom_targets, 2, b->B, b->L, 0);
    } else if (b->task == HERO_TASK_VSM) {
        cmp_key(tn, tf, "query_input_ids", 'i', b->q_ids, 2, b->Nq, b->Lq, 0);
        cmp_key(tn, tf, "query_pos_ids", 'i', b->q_pos, 2, 1, b->Lq, 0);
        cmp_key(tn, tf, "query_attn_masks", 'i', b->q_mask, 2, b->Nq, b->Lq, 0);
        cmp_key(tn, tf, "q_vidx", 'i', b->q_vidx, 1, b->Nq, 0, 0);
        cmp_key(tn, tf, "targets", 'i', b->vsm_targets, 2, b->Nq, 2, 0);
    }
}

/* field-by-field equality of two batches (for hero_batch_from_golden) */
static int same_i32(const int32_t *a, const int32_t *b, size_t n) { return (!a && !b) || (a && b && memcmp(a, b, n * sizeof(int32_t)) == 0); }
static int same_u8(const uint8_t *a, const uint8_t *b, size_t n) { return (!a && !b) || (a && b && memcmp(a, b, n) == 0); }
static int same_f32(const float *a, const float *b, size_t n) { return (!a && !b) || (a && b && memcmp(a, b, n * sizeof(float)) == 0); }

static const char *batch_diff(const hero_batch *a, const hero_batch *g) {
    size_t S = (size_t)a->S, nf = 0;
    int i;
    if (a->task != g->task || a->F != g->F || a->S != g->S || a->Lt != g->Lt || a->Lv != g->Lv || a->Lg != g->Lg) return "row dims";
    if (!same_i32(a->txt_ids, g->txt_ids, S * (size_t)a->Lt) || !same_i32(a->txt_pos, g->txt_pos, (size_t)a->Lt)) return "text";
    if (!same_f32(a->f_v_feats, g->f_v_feats, S * (size_t)a->Lv * (size_t)a->F) || !same_i32(a->f_v_pos, g->f_v_pos, (size_t)a->Lv)) return "frames";
    if (!same_i32(a->f_attn_mask, g->f_attn_mask, S * (size_t)a->Lg) || !same_i32(a->f_gather, g->f_gather, S * (size_t)a->Lg)) return "attn/gather";
    if (!same_u8(a->f_v_masks, g->f_v_masks, S * (size_t)a->Lv)) return "f_v_masks";
    if (a->B != g->B || a->L != g->L || a->n_s2f != g->n_s2f) return "video dims";
    if (!same_i32(a->num_subs, g->num_subs, (size_t)a->B)) return "num_subs";
    if (!same_f32(a->c_v_feats, g->c_v_feats, (size_t)a->B * (size_t)a->L * (size_t)a->F) ||
        !same_i32(a->c_attn_mask, g->c_attn_mask, (size_t)a->B * (size_t)a->L) ||
        !same_u8(a->c_v_masks, g->c_v_masks, (size_t)a->B * (size_t)a->L)) return "clip";
    for (i = 0; i < a->n_s2f; i++) nf += (size_t)(a->s2f_nframes ? a->s2f_nframes[i] : 0);
    if (!same_i32(a->s2f_sub_idx, g->s2f_sub_idx, (size_t)a->n_s2f) || !same_i32(a->s2f_nframes, g->s2f_nframes, (size_t)a->n_s2f) ||
        !same_i32(a->s2f_frames, g->s2f_frames, nf)) return "s2f";
    if (a->n_mlm != g->n_mlm || !same_u8(a->txt_mask_tgt, g->txt_mask_tgt, S * (size_t)a->Lg) || !same_i32(a->txt_labels, g->txt_labels, (size_t)a->n_mlm)) return "mlm";
    if (a->n_masked != g->n_masked || !same_f32(a->feat_targets, g->feat_targets, (size_t)a->n_masked * (size_t)a->F)) return "feat_targets";
    if (!same_i32(a->shuffled_orders, g->shuffled_orders, (size_t)a->B * (size_t)a->L) || !same_i32(a->fom_targets, g->fom_targets, (size_t)a->B * (size_t)a->L)) return "fom";
    if (a->Nq != g->Nq || a->Lq != g->Lq || !same_i32(a->q_ids, g->q_ids, (size_t)a->Nq * (size_t)a->Lq) || !same_i32(a->q_pos, g->q_pos, (size_t)a->Lq) ||
        !same_i32(a->q_mask, g->q_mask, (size_t)a->Nq * (size_t)a->Lq) || !same_i32(a->q_vidx, g->q_vidx, (size_t)a->Nq) ||
        !same_i32(a->vsm_targets, g->vsm_targets, (size_t)a->Nq * 2)) return "vsm";
    return NULL;
}

/* Rebuild the batch of one golden / differential file from raw.* + choice.* (+ opt.*). */
static void golden_case(const char *path, hero_task task, const char *tn) {
    char name[160];
    hero_tensorfile tf;
    hero_error err;
    hero_batch b, g;
    hero_choices c;
    hero_video *vids = NULL;
    hero_batch_options opt = hero_batch_options_default(107);
    size_t nB, nfe, nns, nsl, nst, nsi, nsn, nsf, nx;
    int64_t fshape[8];
    int fnd = 0, rc;
    int32_t *nframes, *num_subs, *sub_len, *sub_tok, *s2f_idx, *s2f_nf, *s2f_fr;
    float *feats;
    memset(&err, 0, sizeof(err));
    memset(&c, 0, sizeof(c));
    if (hero_tensorfile_open(&tf, path, &err)) {
        snprintf(name, sizeof(name), "golden %s open", tn);
        check(0, name, err.msg);
        return;
    }
    nframes = read_i32(&tf, "raw.nframes", &nB);
    feats = read_f32(&tf, "raw.v_feats", &nfe, fshape, &fnd);
    num_subs = read_i32(&tf, "raw.num_subs", &nns);
    sub_len = read_i32(&tf, "raw.sub_len", &nsl);
    sub_tok = read_i32(&tf, "raw.sub_tokens", &nst);
    s2f_idx = read_i32(&tf, "raw.s2f_sub_idx", &nsi);
    s2f_nf = read_i32(&tf, "raw.s2f_nframes", &nsn);
    s2f_fr = read_i32(&tf, "raw.s2f_frames", &nsf);
    if (!nframes || !feats || !num_subs || !sub_len || !sub_tok || !s2f_idx || !s2f_nf || !s2f_fr || fnd != 2) {
        snprintf(name, sizeof(name), "golden %s raw", tn);
        check(0, name, "raw.* tensors missing");
        goto out;
    }
    vids = (hero_video *)malloc(nB * sizeof(hero_video));
    rc = hero_videos_from_flat(vids, (int)nB, (int)fshape[1], nframes, feats, nfe, num_subs, sub_len, nsl,
                               sub_tok, nst, s2f_idx, s2f_nf, s2f_fr, nsf, &err);
    if (rc) { snprintf(name, sizeof(name), "golden %s videos", tn); check(0, name, err.msg); goto out; }
    { /* options stored by tests/gen_batch_fuzz.py */
        static const char *keys[4] = {"opt.max_txt_len", "opt.max_frames", "opt.sub_ctx_len", "opt.query_per_video"};
        int *dst[4];
        int k;
        dst[0] = &opt.max_txt_len; dst[1] = &opt.max_frames; dst[2] = &opt.sub_ctx_len; dst[3] = &opt.query_per_video;
        for (k = 0; k < 4; k++) {
            int32_t *x = hero_tensorfile_find(&tf, keys[k]) ? read_i32(&tf, keys[k], &nx) : NULL;
            if (x) { *dst[k] = x[0]; free(x); }
        }
    }
    c.task = task;
    if (task == HERO_TASK_MLM) {
        c.mlm_len = read_i32_hero(&tf, "choice.mlm_len", &nx);
        c.n_rows = (int)nx;
        c.mlm_input_ids = read_i32_hero(&tf, "choice.mlm_input_ids", &nx);
        c.mlm_labels = read_i32_hero(&tf, "choice.mlm_labels", &nx);
    } else if (task == HERO_TASK_MFM_NCE || task == HERO_TASK_MFFR) {
        int32_t *m = read_i32(&tf, "choice.frame_mask", &nx);
        size_t i;
        c.n_frames = (int)nx;
        c.frame_mask = (uint8_t *)HERO_MALLOC(nx ? nx : 1);
        for (i = 0; m && i < nx; i++) c.frame_mask[i] = (uint8_t)m[i];
        free(m);
    } else if (task == HERO_TASK_FOM) {
        c.fom_orders = read_i32_hero(&tf, "choice.fom_orders", &nx);
        c.n_frames = (int)nx;
        c.fom_targets = read_i32_hero(&tf, "choice.fom_targets", &nx);
    } else if (task == HERO_TASK_VSM) {
        c.vsm_n_sampled = read_i32_hero(&tf, "choice.vsm_n_sampled", &nx);
        c.n_videos = (int)nx;
        c.vsm_sampled_sub_idx = read_i32_hero(&tf, "choice.vsm_sampled_sub_idx", &nx);
    }
    rc = hero_build_batch(&b, task, vids, (int)nB, &opt, task == HERO_TASK_REPR ? NULL : &c, NULL, &err);
    if (rc) { snprintf(name, sizeof(name), "golden %s build", tn); check(0, name, err.msg); goto out; }
    cmp_batch(tn, &tf, &b);
    if (task == HERO_TASK_VSM && hero_tensorfile_find(&tf, "choice.vsm_query_sub_idx")) { /* the final query order the official code made */
        size_t nq;
        int32_t *qs = read_i32(&tf, "choice.vsm_query_sub_idx", &nq);
        int ok = qs && (int)nq == b.Nq, q, v, i, row;
        size_t off;
        /* query q's start target = first frame of subtitle qs[q] of its video (frames of
           different subtitles are disjoint, so this identifies the subtitle) */
        for (q = 0; ok && q < b.Nq; q++) {
            v = b.q_vidx[q];
            row = qs[q];
            off = 0;
            for (i = 0; i < v; i++) row += b.num_subs[i];
            for (i = 0; i < row; i++) off += (size_t)b.s2f_nframes[i];
            ok = b.s2f_nframes[row] > 0 && b.vsm_targets[2 * q] == b.s2f_frames[off];
        }
        free(qs);
        check(ok, "golden vsm query order = choice.vsm_query_sub_idx", "query start frames disagree");
    }
    rc = hero_batch_from_golden(&g, task, &tf, &err);
    snprintf(name, sizeof(name), "golden %s hero_batch_from_golden == built batch", tn);
    if (rc) check(0, name, err.msg);
    else {
        const char *why = batch_diff(&b, &g);
        check(why == NULL, name, why ? why : "");
        hero_batch_free(&g);
    }
    hero_batch_free(&b);
out:
    hero_choices_free(&c);
    free(vids);
    free(nframes); free(feats); free(num_subs); free(sub_len); free(sub_tok); free(s2f_idx); free(s2f_nf); free(s2f_fr);
    hero_tensorfile_close(&tf);
}

/* ---------------- synthetic corpus for statistics ---------------- */

typedef struct synth {
    int n;
    hero_video v[8];
    float *feats[8];
    int32_t *len[8], *tok[8], *nf[8], *fr[8];
} synth;

/* n videos, T frames each, subs subtitles of words words; subtitle i gets frames
   [i*T/subs, (i+1)*T/subs) except every `hole`-th subtitle (no frames) */
static void synth_make(synth *s, int n, int T, int subs, int words, int hole, hero_rng *r) {
    int v, i, j, F = 4;
    memset(s, 0, sizeof(*s));
    s->n = n;
    for (v = 0; v < n; v++) {
        int nt = 0, nfr = 0;
        s->feats[v] = (float *)malloc((size_t)T * (size_t)F * sizeof(float));
        for (i = 0; i < T * F; i++) s->feats[v][i] = hero_rng_uniform(r) - 0.5f;
        s->len[v] = (int32_t *)malloc((size_t)subs * sizeof(int32_t));
        s->nf[v] = (int32_t *)malloc((size_t)subs * sizeof(int32_t));
        s->tok[v] = (int32_t *)malloc((size_t)subs * (size_t)words * sizeof(int32_t) + 4);
        s->fr[v] = (int32_t *)malloc((size_t)T * sizeof(int32_t) + 4);
        for (i = 0; i < subs; i++) {
            int a = i * T / subs, b = (i + 1) * T / subs;
            s->len[v][i] = words;
            for (j = 0; j < words; j++) s->tok[v][nt++] = 4 + (int32_t)hero_rng_below(r, 102);
            if (hole > 0 && i % hole == hole - 1) b = a;
            s->nf[v][i] = b - a;
            for (j = a; j < b; j++) s->fr[v][nfr++] = j;
        }
        s->v[v].T = T;
        s->v[v].F = F;
        s->v[v].feats = s->feats[v];
        s->v[v].n_subs = subs;
        s->v[v].sub_len = s->len[v];
        s->v[v].sub_tokens = s->tok[v];
        s->v[v].sub_nframes = s->nf[v];
        s->v[v].sub_frames = s->fr[v];
    }
}

static void synth_free(synth *s) {
    int v;
    for (v = 0; v < s->n; v++) { free(s->feats[v]); free(s->len[v]); free(s->tok[v]); free(s->nf[v]); free(s->fr[v]); }
}

static void test_rng(void) {
    hero_rng a, b;
    int i, ok = 1, cnt[10] = {0};
    double mean = 0;
    hero_rng_seed(&a, 42);
    hero_rng_seed(&b, 42);
    for (i = 0; i < 1000; i++) ok &= hero_rng_u64(&a) == hero_rng_u64(&b);
    check(ok, "rng deterministic for a seed", "two generators seeded alike differ");
    b = a; /* state is plain data: copying it resumes the stream */
    ok = hero_rng_u64(&a) == hero_rng_u64(&b);
    check(ok, "rng state copy resumes", "copied state diverged");
    ok = 1;
    for (i = 0; i < 200000; i++) {
        float u = hero_rng_uniform(&a);
        uint64_t k = hero_rng_below(&a, 10);
        if (!(u >= 0.0f && u < 1.0f) || k >= 10) ok = 0;
        mean += u;
        if (k < 10) cnt[k]++;
    }
    mean /= 200000;
    for (i = 0; i < 10; i++) ok &= abs(cnt[i] - 20000) < 800; /* ~5.9 sigma */
    ok &= fabs(mean - 0.5) < 0.005;
    check(ok, "rng uniform in [0,1) and below(10) uniform", "range or frequencies off");
    check(hero_rng_below(&a, 0) == 0 && hero_rng_below(&a, 1) == 0, "rng below(0/1) == 0", "nonzero");
}

static void test_mlm_stats(void) {
    synth s;
    hero_rng r;
    hero_batch_options o = hero_batch_options_default(107);
    long picked = 0, total = 0, nmask = 0, nrand = 0, nkeep = 0, bad = 0;
    int it, ok;
    char why[256];
    hero_rng_seed(&r, 7);
    synth_make(&s, 4, 30, 10, 40, 3, &r);
    for (it = 0; it < 500; it++) {
        hero_choices c;
        size_t off = 0;
        int v, i, j, row = 0;
        if (hero_draw_choices(&c, HERO_TASK_MLM, s.v, s.n, &o, &r, NULL)) { bad++; break; }
        for (v = 0; v < s.n; v++)
            for (i = 0; i < s.v[v].n_subs; i++, row++) {
                const int32_t *orig = s.tok[v] + i * 40;
                if (c.mlm_len[row] != 40) bad++;
                for (j = 0; j < c.mlm_len[row]; j++) {
                    int32_t id = c.mlm_input_ids[off + (size_t)j], lb = c.mlm_labels[off + (size_t)j];
                    total++;
                    if (lb == -1) { if (id != orig[j]) bad++; continue; }
                    if (lb != orig[j]) bad++;
                    picked++;
                    if (id == o.mask_id) nmask++;
                    else if (id == lb) nkeep++;
                    else { nrand++; if (id < o.v_lo || id >= o.v_hi) bad++; }
                }
                off += (size_t)c.mlm_len[row];
            }
        hero_choices_free(&c);
    }
    synth_free(&s);
    {
        double rate = (double)picked / (double)total;
        double fm = (double)nmask / (double)picked, fr = (double)nrand / (double)picked, fk = (double)nkeep / (double)picked;
        /* a random id equals the original with p 1/102 and then counts as kept */
        snprintf(why, sizeof(why), "rate %.4f (want 0.15 +- 0.005)", rate);
        check(bad == 0 && fabs(rate - 0.15) < 0.005, "mlm mask rate 15% (+-0.005, 800k words)", why);
        printf("# mlm: picked %ld of %ld words: rate %.4f; mask %.4f random %.4f kept %.4f\n", picked, total, rate, fm, fr, fk);
        snprintf(why, sizeof(why), "mask %.4f random %.4f kept %.4f (want 0.8 / 0.099 / 0.101 +- 0.01)", fm, fr, fk);
        ok = fabs(fm - 0.8) < 0.01 && fabs(fr - 0.1 * 101.0 / 102.0) < 0.01 && fabs(fk - (0.1 + 0.1 / 102.0)) < 0.01;
        check(bad == 0 && ok, "mlm 80/10/10 split (+-0.01), labels = original ids, random ids in v_range", why);
    }
    /* short subtitles: every row has at least one pick; a forced pick is word 0 -> MASK */
    hero_rng_seed(&r, 8);
    synth_make(&s, 3, 12, 6, 1, 0, &r);
    bad = 0;
    {
        long forced = 0, rows = 0;
        for (it = 0; it < 2000; it++) {
            hero_choices c;
            int row;
            if (hero_draw_choices(&c, HERO_TASK_MLM, s.v, s.n, &o, &r, NULL)) { bad++; break; }
            for (row = 0; row < c.n_rows; row++) {
                rows++;
                if (c.mlm_labels[row] == -1) bad++;         /* 1 word per row: it must be picked */
                if (c.mlm_input_ids[row] == o.mask_id) forced++;
            }
            hero_choices_free(&c);
        }
        /* picked naturally 15% (80% of those MASK), forced 85% (all MASK): MASK share 0.97 */
        snprintf(why, sizeof(why), "%ld rows without a pick, MASK share %.4f (want 0.97 +- 0.01)", bad, (double)forced / (double)rows);
        check(bad == 0 && fabs((double)forced / (double)rows - 0.97) < 0.01, "mlm at least one word per subtitle (forced -> MASK)", why);
    }
    synth_free(&s);
}

static void test_mfm_stats(void) {
    synth s;
    hero_rng r;
    hero_batch_options o = hero_batch_options_default(107);
    long masked = 0, total = 0, none = 0, bad = 0;
    int it;
    char why[256];
    hero_rng_seed(&r, 9);
    synth_make(&s, 4, 100, 10, 3, 0, &r);
    for (it = 0; it < 500; it++) {
        hero_choices c;
        int t;
        if (hero_draw_choices(&c, HERO_TASK_MFM_NCE, s.v, s.n, &o, &r, NULL)) { bad++; break; }
        if (c.n_frames != 400) bad++;
        for (t = 0; t < c.n_frames; t++) { masked += c.frame_mask[t]; total++; }
        hero_choices_free(&c);
    }
    synth_free(&s);
    snprintf(why, sizeof(why), "rate %.4f (want 0.15 +- 0.005)", (double)masked / (double)total);
    check(bad == 0 && fabs((double)masked / (double)total - 0.15) < 0.005, "mfm frame mask rate 15% (+-0.005, 200k frames)", why);
    /* 2-frame videos: at least one masked per video, batch consistent */
    hero_rng_seed(&r, 10);
    synth_make(&s, 5, 2, 2, 2, 0, &r);
    for (it = 0; it < 2000; it++) {
        hero_choices c;
        hero_batch b;
        int v, t, k;
        if (hero_draw_choices(&c, HERO_TASK_MFFR, s.v, s.n, &o, &r, NULL)) { bad++; break; }
        for (v = 0; v < s.n; v++) {
            int any = 0;
            for (t = 0; t < 2; t++) any |= c.frame_mask[v * 2 + t];
            if (!any) none++;
        }
        if (hero_build_batch(&b, HERO_TASK_MFFR, s.v, s.n, &o, &c, NULL, NULL)) { bad++; hero_choices_free(&c); break; }
        for (v = 0, k = 0; v < s.n; v++)
            for (t = 0; t < 2; t++) {
                int m = c.frame_mask[v * 2 + t];
                if (b.c_v_masks[v * b.L + t] != m) bad++;
                if (m) {
                    if (memcmp(b.feat_targets + (size_t)k * 4, s.feats[v] + t * 4, 16) != 0) bad++;
                    if (b.c_v_feats[(v * b.L + t) * 4] != 0.0f) bad++;
                    k++;
                }
            }
        if (k != b.n_masked) bad++;
        hero_batch_free(&b);
        hero_choices_free(&c);
    }
    synth_free(&s);
    snprintf(why, sizeof(why), "%ld videos without a masked frame, %ld inconsistencies", none, bad);
    check(none == 0 && bad == 0, "mfm at least one masked frame per video; masks/targets/zeroing consistent", why);
}

static void test_fom_stats(void) {
    synth s;
    hero_rng r;
    hero_batch_options o = hero_batch_options_default(107);
    long picked = 0, total = 0, moved = 0, bad = 0;
    int it;
    char why[256];
    hero_rng_seed(&r, 11);
    synth_make(&s, 4, 60, 6, 3, 0, &r);
    s.v[1].T = 37; /* shorter video (padding positions): its first 3 subtitles cover frames 0..29 */
    s.v[1].n_subs = 3;
    for (it = 0; it < 500; it++) {
        hero_choices c;
        hero_batch b;
        int v, t, off = 0;
        if (hero_draw_choices(&c, HERO_TASK_FOM, s.v, s.n, &o, &r, NULL)) { bad++; break; }
        for (v = 0; v < s.n; v++) {
            int T = s.v[v].T, seen[60];
            memset(seen, 0, sizeof(seen));
            for (t = 0; t < T; t++) {
                int d = c.fom_orders[off + t], g = c.fom_targets[off + t];
                if (d < 0 || d >= T || seen[d]++) { bad++; continue; }
                if (d != t) { moved++; if (c.fom_targets[off + d] != t) bad++; }
                if (g >= 0) { picked++; if (c.fom_orders[off + g] != t) bad++; }
                total++;
            }
            off += T;
        }
        if (hero_build_batch(&b, HERO_TASK_FOM, s.v, s.n, &o, &c, NULL, NULL)) { bad++; hero_choices_free(&c); break; }
        for (t = 37; t < b.L; t++)
            if (b.shuffled_orders[b.L + t] != t || b.fom_targets[b.L + t] != -1) bad++;
        hero_batch_free(&b);
        hero_choices_free(&c);
    }
    synth_free(&s);
    snprintf(why, sizeof(why), "%ld invalid, pick rate %.4f (want 0.15 +- 0.006), moved %.4f", bad, (double)picked / (double)total, (double)moved / (double)total);
    check(bad == 0 && fabs((double)picked / (double)total - 0.15) < 0.006 && moved > 0,
          "fom orders are permutations, targets[orders[i]] == i for picked, 15% picked, padding identity/-1", why);
}

static void test_vsm_stats(void) {
    synth s;
    hero_rng r;
    hero_batch_options o = hero_batch_options_default(107);
    long bad = 0, hits[8] = {0};
    int it, i;
    char why[256];
    hero_rng_seed(&r, 12);
    /* video 0: 8 subtitles, 6 with frames (every 4th has none) -> 5 of 6 sampled;
       video 1: its first 4 subtitles, 3 with frames -> 3 sampled, the last repeated */
    synth_make(&s, 2, 16, 8, 3, 4, &r);
    s.v[1].n_subs = 4;
    o.max_txt_len = 2; /* queries and context cut to 2 words */
    for (it = 0; it < 3000; it++) {
        hero_choices c;
        hero_batch b;
        int q, v;
        if (hero_draw_choices(&c, HERO_TASK_VSM, s.v, s.n, &o, &r, NULL)) { bad++; break; }
        if (c.vsm_n_sampled[0] != 5 || c.vsm_n_sampled[1] != 3) bad++;
        for (i = 0; i < 5; i++) hits[c.vsm_sampled_sub_idx[i]]++;
        if (hero_build_batch(&b, HERO_TASK_VSM, s.v, s.n, &o, &c, NULL, NULL)) { bad++; hero_choices_free(&c); break; }
        if (b.Nq != 10 || b.Lq != 3) bad++;
        for (q = 0; q < b.Nq && !bad; q++) {
            v = q / 5;
            if (b.q_vidx[q] != v || b.q_ids[q * b.Lq] != o.cls_id) bad++;
            if (q % 5 > 0) { /* sorted by subtitle, repeats only at the end */
                int prev = b.vsm_targets[2 * (q - 1)], cur = b.vsm_targets[2 * q];
                if (cur < prev) bad++;
                if (v == 1 && q % 5 >= 3 && memcmp(b.q_ids + q * b.Lq, b.q_ids + (q - 1) * b.Lq, (size_t)b.Lq * 4) != 0) bad++;
                if (v == 1 && q % 5 >= 3 && (b.vsm_targets[2 * q] != b.vsm_targets[2 * q - 2] || b.vsm_targets[2 * q + 1] != b.vsm_targets[2 * q - 1])) bad++;
            }
        }
        { /* query subtitles' rows have text [SEP] only; others SEP + 2 words */
            int row = 0, k;
            for (v = 0; v < 2; v++)
                for (i = 0; i < s.v[v].n_subs; i++, row++) {
                    int isq = 0, so = v == 0 ? 0 : 5;
                    for (k = 0; k < c.vsm_n_sampled[v]; k++) isq |= c.vsm_sampled_sub_idx[so + k] == i;
                    if (b.txt_ids[row * b.Lt] != o.sep_id) bad++;
                    if (isq && b.Lt > 1 && b.txt_ids[row * b.Lt + 1] != o.pad_id) bad++;
                    if (!isq && b.txt_ids[row * b.Lt + 2] != s.tok[v][i * 3 + 1]) bad++;
                }
        }
        hero_batch_free(&b);
        hero_choices_free(&c);
    }
    synth_free(&s);
    {
        /* each of the 6 matched subtitles (0,1,2,4,5,6) is a query with p 5/6 */
        int ok = hits[3] == 0 && hits[7] == 0;
        for (i = 0; i < 8; i++)
            if (i != 3 && i != 7) ok &= fabs((double)hits[i] / 3000.0 - 5.0 / 6.0) < 0.03;
        snprintf(why, sizeof(why), "%ld inconsistencies; query frequencies %ld %ld %ld %ld %ld %ld %ld %ld / 3000", bad,
                 hits[0], hits[1], hits[2], hits[3], hits[4], hits[5], hits[6], hits[7]);
        check(bad == 0 && ok, "vsm samples min(matched,5) subtitles uniformly, repeats the last, removes queries from context", why);
    }
}


/* ---------------- a tiny safetensors writer: built batches as golden files ---------------- */

typedef struct stw {
    char hdr[16384];
    size_t hl;
    unsigned char *data;
    size_t n;
} stw;

static void stw_add(stw *w, const char *name, const char *dtype, int ndim, const int64_t *shape, const void *bytes, size_t nb) {
    int d;
    w->hl += (size_t)snprintf(w->hdr + w->hl, sizeof(w->hdr) - w->hl, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", w->hl > 1 ? "," : "", name, dtype);
    for (d = 0; d < ndim; d++) w->hl += (size_t)snprintf(w->hdr + w->hl, sizeof(w->hdr) - w->hl, "%s%lld", d ? "," : "", (long long)shape[d]);
    w->hl += (size_t)snprintf(w->hdr + w->hl, sizeof(w->hdr) - w->hl, "],\"data_offsets\":[%zu,%zu]}", w->n, w->n + nb);
    w->data = (unsigned char *)realloc(w->data, w->n + nb + 1);
    if (nb) memcpy(w->data + w->n, bytes, nb);
    w->n += nb;
}

/* int32 field as I64 / uint8 as BOOL / float as F32; shape given as up to 3 dims */
static void stw_i(stw *w, const char *name, const int32_t *a, int ndim, int64_t d0, int64_t d1, int64_t d2) {
    int64_t sh[3];
    size_t n = 1, i;
    int64_t *t;
    int d;
    sh[0] = d0; sh[1] = d1; sh[2] = d2;
    for (d = 0; d < ndim; d++) n *= (size_t)sh[d];
    t = (int64_t *)malloc((n ? n : 1) * 8);
    for (i = 0; i < n; i++) t[i] = a[i];
    stw_add(w, name, "I64", ndim, sh, t, n * 8);
    free(t);
}
static void stw_b(stw *w, const char *name, const uint8_t *a, int64_t d0, int64_t d1) {
    int64_t sh[2];
    sh[0] = d0; sh[1] = d1;
    stw_add(w, name, "BOOL", 2, sh, a, (size_t)(d0 * d1));
}
static void stw_f(stw *w, const char *name, const float *a, int ndim, int64_t d0, int64_t d1, int64_t d2) {
    int64_t sh[3];
    size_t n = 1;
    int d;
    sh[0] = d0; sh[1] = d1; sh[2] = d2;
    for (d = 0; d < ndim; d++) n *= (size_t)sh[d];
    stw_add(w, name, "F32", ndim, sh, a, n * 4);
}

static int stw_write(stw *w, const char *path) {
    FILE *f = fopen(path, "wb");
    unsigned char len[8];
    size_t hl;
    int i;
    if (!f) return -1;
    w->hl += (size_t)snprintf(w->hdr + w->hl, sizeof(w->hdr) - w->hl, "}");
    while (w->hl % 8) w->hdr[w->hl++] = ' ';
    hl = w->hl;
    for (i = 0; i < 8; i++) len[i] = (unsigned char)(hl >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(w->hdr, 1, hl, f);
    if (w->n) fwrite(w->data, 1, w->n, f);
    fclose(f);
    free(w->data);
    return 0;
}

/* Write batch b with the official key names; corrupt: 0 none, 1 gather index out of range,
   2 num_subs sum off, 3 a tensor missing, 4 f_v_feats rows off */
static void batch_to_golden(const hero_batch *b, const char *path, int corrupt) {
    stw w;
    int mlm = b->task == HERO_TASK_MLM;
    int32_t *gi = (int32_t *)malloc((size_t)b->S * (size_t)b->Lg * 4);
    memset(&w, 0, sizeof(w));
    w.hdr[0] = '{';
    w.hl = 1;
    memcpy(gi, b->f_gather, (size_t)b->S * (size_t)b->Lg * 4);
    if (corrupt == 1) gi[b->Lg - 1] = b->Lv + b->Lt;
    stw_i(&w, mlm ? "in.input_ids" : "in.f_sub_input_ids", b->txt_ids, 2, b->S, b->Lt, 0);
    stw_i(&w, mlm ? "in.position_ids" : "in.f_sub_pos_ids", b->txt_pos, 2, 1, b->Lt, 0);
    stw_f(&w, mlm ? "in.v_feat" : "in.f_v_feats", b->f_v_feats, 3, corrupt == 4 ? b->S - 1 : b->S, b->Lv, b->F);
    if (!mlm) stw_i(&w, "in.f_v_pos_ids", b->f_v_pos, 2, 1, b->Lv, 0);
    stw_i(&w, mlm ? "in.attn_masks" : "in.f_attn_masks", b->f_attn_mask, 2, b->S, b->Lg, 0);
    if (corrupt != 3) stw_i(&w, mlm ? "in.gather_index" : "in.f_gather_index", gi, 2, b->S, b->Lg, 0);
    free(gi);
    if (mlm) {
        stw_b(&w, "in.txt_mask_tgt", b->txt_mask_tgt, b->S, b->Lg);
        stw_i(&w, "in.txt_labels", b->txt_labels, 1, b->n_mlm, 0, 0);
    } else {
        int i, nf = 0;
        int32_t ns0 = b->num_subs[0];
        for (i = 0; i < b->n_s2f; i++) nf += b->s2f_nframes[i];
        if (corrupt == 2) b->num_subs[0]++;
        stw_i(&w, "in.num_subs", b->num_subs, 1, b->B, 0, 0);
        b->num_subs[0] = ns0;
        stw_i(&w, "in.s2f_sub_idx", b->s2f_sub_idx, 1, b->n_s2f, 0, 0);
        stw_i(&w, "in.s2f_nframes", b->s2f_nframes, 1, b->n_s2f, 0, 0);
        stw_i(&w, "in.s2f_frames", b->s2f_frames, 1, nf, 0, 0);
        stw_f(&w, "in.c_v_feats", b->c_v_feats, 3, b->B, b->L, b->F);
        stw_i(&w, "in.c_attn_masks", b->c_attn_mask, 2, b->B, b->L, 0);
    }
    if (b->task == HERO_TASK_MFM_NCE || b->task == HERO_TASK_MFFR) {
        stw_b(&w, "in.f_v_masks", b->f_v_masks, b->S, b->Lv);
        stw_b(&w, "in.c_v_masks", b->c_v_masks, b->B, b->L);
        stw_f(&w, "in.feat_targets", b->feat_targets, 2, b->n_masked, b->F, 0);
    } else if (b->task == HERO_TASK_FOM) {
        stw_i(&w, "in.shuffled_orders", b->shuffled_orders, 2, b->B, b->L, 0);
        stw_i(&w, "in.targets", b->fom_targets, 2, b->B, b->L, 0);
    } else if (b->task == HERO_TASK_VSM) {
        stw_i(&w, "in.query_input_ids", b->q_ids, 2, b->Nq, b->Lq, 0);
        stw_i(&w, "in.query_pos_ids", b->q_pos, 2, 1, b->Lq, 0);
        stw_i(&w, "in.query_attn_masks", b->q_mask, 2, b->Nq, b->Lq, 0);
        stw_i(&w, "in.q_vidx", b->q_vidx, 1, b->Nq, 0, 0);
        stw_i(&w, "in.targets", b->vsm_targets, 2, b->Nq, 2, 0);
    }
    stw_write(&w, path);
}

/* hero_batch_from_golden on synthetic batches of every task (round trip) and on broken files */
static void test_from_golden_roundtrip(void) {
    synth s;
    hero_rng r;
    hero_batch_options o = hero_batch_options_default(107);
    const char *path = "/tmp/hero_test_batch_roundtrip.safetensors";
    int t, ok = 1, k;
    char why[600] = "";
    hero_rng_seed(&r, 13);
    synth_make(&s, 3, 9, 4, 5, 3, &r);
    s.v[2].T = 6;
    s.v[2].n_subs = 2;
    for (t = 0; t < HERO_TASK_COUNT; t++) {
        hero_batch b, g;
        hero_tensorfile tf;
        hero_error err;
        const char *d;
        if (hero_build_batch(&b, (hero_task)t, s.v, s.n, &o, NULL, &r, &err)) { ok = 0; snprintf(why, sizeof(why), "build %s: %s", hero_task_name((hero_task)t), err.msg); break; }
        batch_to_golden(&b, path, 0);
        if (hero_tensorfile_open(&tf, path, &err)) { ok = 0; snprintf(why, sizeof(why), "open: %s", err.msg); hero_batch_free(&b); break; }
        if (hero_batch_from_golden(&g, (hero_task)t, &tf, &err)) { ok = 0; snprintf(why, sizeof(why), "%s: %s", hero_task_name((hero_task)t), err.msg); }
        else {
            if ((d = batch_diff(&b, &g)) != NULL) { ok = 0; snprintf(why, sizeof(why), "%s: %s differs", hero_task_name((hero_task)t), d); }
            hero_batch_free(&g);
        }
        hero_tensorfile_close(&tf);
        if (t == HERO_TASK_FOM) { /* broken variants */
            static const int want[5] = {0, HERO_EFORMAT, HERO_ESHAPE, HERO_EMISSING, HERO_ESHAPE};
            static const char *what[5] = {"", "f_gather_index", "num_subs", "f_gather_index", "f_v_feats"};
            for (k = 1; k <= 4; k++) {
                int rc;
                batch_to_golden(&b, path, k);
                memset(&err, 0, sizeof(err));
                if (hero_tensorfile_open(&tf, path, &err)) { ok = 0; snprintf(why, sizeof(why), "open broken %d: %s", k, err.msg); continue; }
                rc = hero_batch_from_golden(&g, (hero_task)t, &tf, &err);
                if (rc != want[k] || !strstr(err.msg, what[k]) || g.txt_ids != NULL) {
                    ok = 0;
                    snprintf(why, sizeof(why), "broken file %d: rc %d (want %d), message '%s'", k, rc, want[k], err.msg);
                } else printf("# broken golden file %d rejected: %s\n", k, err.msg);
                if (!rc) hero_batch_free(&g);
                hero_tensorfile_close(&tf);
            }
        }
        hero_batch_free(&b);
    }
    remove(path);
    synth_free(&s);
    check(ok, "hero_batch_from_golden round trip of built batches (all tasks) and broken files rejected", why);
}

static void test_cut_and_errors(void) {
    /* one video of 12 frames, 4 subtitles: frames {0,1,2}, {}, {3,4,5,9,10}, {11}; cut to 8:
       subtitle 2 keeps 3,4,5 and is the last one (3 is dropped) */
    static const int32_t len[4] = {2, 1, 3, 2}, tok[8] = {10, 11, 12, 13, 14, 15, 16, 17};
    static const int32_t nf[4] = {3, 0, 5, 1}, fr[9] = {0, 1, 2, 3, 4, 5, 9, 10, 11};
    float feats[12 * 2];
    hero_video v;
    hero_batch b;
    hero_batch_options o = hero_batch_options_default(107);
    hero_error err;
    hero_rng r;
    int i, ok, rc;
    for (i = 0; i < 24; i++) feats[i] = (float)i;
    memset(&v, 0, sizeof(v));
    v.T = 12; v.F = 2; v.feats = feats; v.n_subs = 4; v.sub_len = len; v.sub_tokens = tok; v.sub_nframes = nf; v.sub_frames = fr;
    o.max_frames = 8;
    rc = hero_build_batch(&b, HERO_TASK_REPR, &v, 1, &o, NULL, NULL, &err);
    ok = rc == 0 && b.S == 3 && b.L == 8 && b.num_subs[0] == 3 && b.s2f_nframes[2] == 3 && b.Lv == 3 && b.c_attn_mask[7] == 1;
    if (ok) ok = b.txt_ids[2 * b.Lt + 0] == 2 && b.txt_ids[2 * b.Lt + 3] == 15 && b.f_attn_mask[1 * b.Lg + 0] == 0;
    check(ok, "max_frames cut follows compute_sub2frames (later subtitles dropped)", rc ? err.msg : "wrong shapes");
    if (!rc) hero_batch_free(&b);
    /* sub_ctx_len 1: row text = previous subtitle + this one */
    o.max_frames = 100;
    o.sub_ctx_len = 1;
    rc = hero_build_batch(&b, HERO_TASK_REPR, &v, 1, &o, NULL, NULL, &err);
    ok = rc == 0 && b.S == 4 && b.txt_ids[1 * b.Lt + 1] == 10 && b.txt_ids[1 * b.Lt + 3] == 12 && b.txt_ids[3 * b.Lt + 4] == 16;
    check(ok, "sub_ctx_len 1 prepends the previous subtitle", rc ? err.msg : "wrong text");
    if (!rc) hero_batch_free(&b);
    o.sub_ctx_len = 0;
    /* errors */
    {
        static const int32_t badfr[9] = {0, 2, 1, 3, 4, 5, 9, 10, 11};
        hero_video w = v;
        w.sub_frames = badfr;
        rc = hero_build_batch(&b, HERO_TASK_REPR, &w, 1, &o, NULL, NULL, &err);
        check(rc == HERO_EINVAL && strstr(err.msg, "ascending") != NULL && b.txt_ids == NULL, "error: frames not ascending", err.msg);
        w = v;
        w.T = 11;
        rc = hero_build_batch(&b, HERO_TASK_REPR, &w, 1, &o, NULL, NULL, &err);
        check(rc == HERO_EINVAL, "error: frame index past T", err.msg);
    }
    {
        static const int32_t nf0[4] = {0, 0, 0, 0};
        hero_video w = v;
        w.sub_nframes = nf0;
        hero_rng_seed(&r, 1);
        rc = hero_build_batch(&b, HERO_TASK_VSM, &w, 1, &o, NULL, &r, &err);
        check(rc == HERO_EINVAL && strstr(err.msg, "video 0") != NULL, "error: VSM video without matched subtitles", err.msg);
        rc = hero_build_batch(&b, HERO_TASK_MLM, &v, 1, &o, NULL, NULL, &err);
        check(rc == HERO_EINVAL, "error: MLM without choices and rng", err.msg);
    }
    {
        hero_choices c;
        hero_rng_seed(&r, 2);
        rc = hero_draw_choices(&c, HERO_TASK_FOM, &v, 1, &o, &r, &err);
        if (!rc) {
            int32_t t = c.fom_orders[0];
            c.fom_orders[0] = c.fom_orders[1];
            c.fom_orders[1] = t == c.fom_orders[0] ? t + 1 : t;
            if (c.fom_orders[0] == c.fom_orders[1]) c.fom_orders[1] = 5;
            rc = hero_build_batch(&b, HERO_TASK_FOM, &v, 1, &o, &c, NULL, &err);
            check(rc == HERO_EINVAL, "error: FOM choices not a valid permutation", err.msg);
            hero_choices_free(&c);
        } else check(0, "error: FOM choices not a valid permutation", err.msg);
    }
    /* drawn with a seed: same seed -> same batch */
    {
        hero_batch b2;
        hero_rng r2;
        hero_rng_seed(&r, 77);
        hero_rng_seed(&r2, 77);
        rc = hero_build_batch(&b, HERO_TASK_MLM, &v, 1, &o, NULL, &r, &err);
        rc |= hero_build_batch(&b2, HERO_TASK_MLM, &v, 1, &o, NULL, &r2, &err);
        ok = rc == 0 && b.n_mlm == b2.n_mlm && memcmp(b.txt_ids, b2.txt_ids, (size_t)b.S * (size_t)b.Lt * 4) == 0 &&
             memcmp(b.txt_labels, b2.txt_labels, (size_t)b.n_mlm * 4) == 0;
        check(ok, "build with rng: same seed, same batch", err.msg);
        hero_batch_free(&b);
        hero_batch_free(&b2);
    }
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/golden/tiny";
    const char *fuzz = argc > 2 ? argv[2] : "tests/golden/batch_fuzz";
    char path[1024];
    int t;
    for (t = 0; t < HERO_TASK_COUNT; t++) {
        snprintf(path, sizeof(path), "%s/%s.safetensors", dir, hero_task_name((hero_task)t));
        golden_case(path, (hero_task)t, hero_task_name((hero_task)t));
    }
    if (fuzz) { /* differential cases from tests/gen_batch_fuzz.py: <task>-NNN.safetensors */
        for (t = 0; t < HERO_TASK_COUNT; t++) {
            int k, ncase = 0, nbad = 0;
            for (k = 0; k < 1000; k++) {
                FILE *f;
                char label[64];
                snprintf(path, sizeof(path), "%s/%s-%03d.safetensors", fuzz, hero_task_name((hero_task)t), k);
                if (!(f = fopen(path, "rb"))) break;
                fclose(f);
                snprintf(label, sizeof(label), "%s-%03d", hero_task_name((hero_task)t), k);
                quiet = 1;
                case_fails = 0;
                golden_case(path, (hero_task)t, label);
                quiet = 0;
                ncase++;
                if (case_fails) { nbad++; printf("# differential case %s differs\n", label); }
            }
            if (ncase) {
                char name[96], why[96];
                snprintf(name, sizeof(name), "differential %s: %d official cases", hero_task_name((hero_task)t), ncase);
                snprintf(why, sizeof(why), "%d of %d cases differ", nbad, ncase);
                check(nbad == 0, name, why);
            }
        }
    }
    test_rng();
    test_mlm_stats();
    test_mfm_stats();
    test_fom_stats();
    test_vsm_stats();
    test_cut_and_errors();
    test_from_golden_roundtrip();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}

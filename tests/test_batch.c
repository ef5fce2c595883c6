/* Batch building against the official HERO collate (golden files) + statistics of the
   random choices. Build from the repository root:
     gcc -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror tests/test_batch.c -lm -o /tmp/test_batch
     /tmp/test_batch [golden dir, default tests/golden/tiny] [differential dir, default
                     tests/golden/batch_fuzz: the official data code's batches for random corpora, see its README]
 */
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include "golden_io.h"
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

/* int tensor `name` as a malloc'd int32 array (NULL if absent / unreadable) */
static int32_t *read_i32(const hero_tensorfile *tf, const char *name, size_t *n_out) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t n = t ? hero_tensor_numel(t) : -1, i;
    int64_t *a;
    int32_t *o;
    hero_error err;
    if (n < 0) return NULL;
    a = (int64_t *)malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    o = (int32_t *)malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!a || !o || hero_tensor_read_i64(t, a, n, &err)) { free(a); free(o); return NULL; }
    for (i = 0; i < n; i++) o[i] = (int32_t)a[i];
    free(a);
    *n_out = (size_t)n;
    return o;
}

/* Every in.* tensor the model uses vs the batch (the library's field table and error):
   prints "<task> in.<key> <err> OK|FAIL", OK only when equal. */
static void cmp_batch(const char *tn, const hero_tensorfile *tf, const hero_batch *b) {
    hero_batch_field f[HERO_BATCH_MAX_FIELDS];
    int i, n = hero_batch_fields(b, f), ok;
    for (i = 0; i < n; i++) {
        hero_error err;
        double e;
        if (golden_field_err(&f[i], tf, &e, &err)) {
            printf("%s in.%s - FAIL (%s)\n", tn, f[i].key, err.msg);
            if (quiet) case_fails++; else n_fail++;
            continue;
        }
        ok = e == 0.0;
        if (quiet) {
            if (!ok) { printf("%s in.%s %g FAIL\n", tn, f[i].key, e); case_fails++; }
            continue;
        }
        printf("%s in.%s %g %s\n", tn, f[i].key, e, ok ? "OK" : "FAIL");
        if (ok) n_pass++; else n_fail++;
    }
}

/* field-by-field equality of two batches (for golden_batch_from_in) */
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

/* Rebuild the batch of one golden / differential file from raw.* + choice.* (+ opt.*,
   data_settings) with the library and compare it with every in.* tensor. */
static void golden_case(const char *path, hero_task task, const char *tn) {
    char name[160];
    hero_tensorfile tf;
    hero_error err;
    hero_batch b, g;
    int rc;
    memset(&err, 0, sizeof(err));
    if (hero_tensorfile_open(&tf, path, &err)) {
        snprintf(name, sizeof(name), "golden %s open", tn);
        check(0, name, err.msg);
        return;
    }
    rc = golden_batch_from_raw(&b, task, &tf, 107, &err);
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
    rc = golden_batch_from_in(&g, task, &tf, &err);
    snprintf(name, sizeof(name), "golden %s golden_batch_from_in == built batch", tn);
    if (rc) check(0, name, err.msg);
    else {
        const char *why = batch_diff(&b, &g);
        check(why == NULL, name, why ? why : "");
        hero_batch_free(&g);
    }
    hero_batch_free(&b);
out:
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
static void stw_batch(stw *w, const hero_batch *b, int corrupt) {
    int mlm = b->task == HERO_TASK_MLM;
    int32_t *gi = (int32_t *)malloc((size_t)b->S * (size_t)b->Lg * 4);
    memcpy(gi, b->f_gather, (size_t)b->S * (size_t)b->Lg * 4);
    if (corrupt == 1) gi[b->Lg - 1] = b->Lv + b->Lt;
    stw_i(w, mlm ? "in.input_ids" : "in.f_sub_input_ids", b->txt_ids, 2, b->S, b->Lt, 0);
    stw_i(w, mlm ? "in.position_ids" : "in.f_sub_pos_ids", b->txt_pos, 2, 1, b->Lt, 0);
    stw_f(w, mlm ? "in.v_feat" : "in.f_v_feats", b->f_v_feats, 3, corrupt == 4 ? b->S - 1 : b->S, b->Lv, b->F);
    if (!mlm) stw_i(w, "in.f_v_pos_ids", b->f_v_pos, 2, 1, b->Lv, 0);
    stw_i(w, mlm ? "in.attn_masks" : "in.f_attn_masks", b->f_attn_mask, 2, b->S, b->Lg, 0);
    if (corrupt != 3) stw_i(w, mlm ? "in.gather_index" : "in.f_gather_index", gi, 2, b->S, b->Lg, 0);
    free(gi);
    if (mlm) {
        stw_b(w, "in.txt_mask_tgt", b->txt_mask_tgt, b->S, b->Lg);
        stw_i(w, "in.txt_labels", b->txt_labels, 1, b->n_mlm, 0, 0);
    } else {
        int i, nf = 0;
        int32_t ns0 = b->num_subs[0];
        for (i = 0; i < b->n_s2f; i++) nf += b->s2f_nframes[i];
        if (corrupt == 2) b->num_subs[0]++;
        stw_i(w, "in.num_subs", b->num_subs, 1, b->B, 0, 0);
        b->num_subs[0] = ns0;
        stw_i(w, "in.s2f_sub_idx", b->s2f_sub_idx, 1, b->n_s2f, 0, 0);
        stw_i(w, "in.s2f_nframes", b->s2f_nframes, 1, b->n_s2f, 0, 0);
        stw_i(w, "in.s2f_frames", b->s2f_frames, 1, nf, 0, 0);
        stw_f(w, "in.c_v_feats", b->c_v_feats, 3, b->B, b->L, b->F);
        stw_i(w, "in.c_attn_masks", b->c_attn_mask, 2, b->B, b->L, 0);
    }
    if (b->task == HERO_TASK_MFM_NCE || b->task == HERO_TASK_MFFR) {
        stw_b(w, "in.f_v_masks", b->f_v_masks, b->S, b->Lv);
        stw_b(w, "in.c_v_masks", b->c_v_masks, b->B, b->L);
        stw_f(w, "in.feat_targets", b->feat_targets, 2, b->n_masked, b->F, 0);
    } else if (b->task == HERO_TASK_FOM) {
        stw_i(w, "in.shuffled_orders", b->shuffled_orders, 2, b->B, b->L, 0);
        stw_i(w, "in.targets", b->fom_targets, 2, b->B, b->L, 0);
    } else if (b->task == HERO_TASK_VSM) {
        stw_i(w, "in.query_input_ids", b->q_ids, 2, b->Nq, b->Lq, 0);
        stw_i(w, "in.query_pos_ids", b->q_pos, 2, 1, b->Lq, 0);
        stw_i(w, "in.query_attn_masks", b->q_mask, 2, b->Nq, b->Lq, 0);
        stw_i(w, "in.q_vidx", b->q_vidx, 1, b->Nq, 0, 0);
        stw_i(w, "in.targets", b->vsm_targets, 2, b->Nq, 2, 0);
    }
}

static void stw_init(stw *w) {
    memset(w, 0, sizeof(*w));
    w->hdr[0] = '{';
    w->hl = 1;
}

static void batch_to_golden(const hero_batch *b, const char *path, int corrupt) {
    stw w;
    stw_init(&w);
    stw_batch(&w, b, corrupt);
    stw_write(&w, path);
}

/* golden_batch_from_in on synthetic batches of every task (round trip) and on broken files */
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
        if (golden_batch_from_in(&g, (hero_task)t, &tf, &err)) { ok = 0; snprintf(why, sizeof(why), "%s: %s", hero_task_name((hero_task)t), err.msg); }
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
                rc = golden_batch_from_in(&g, (hero_task)t, &tf, &err);
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
    check(ok, "golden_batch_from_in round trip of built batches (all tasks) and broken files rejected", why);
}

/* ---------------- golden files with raw.* + choice.*: the library's rebuild ---------------- */

/* "__metadata__": {key: json text} */
static void stw_meta(stw *w, const char *key, const char *json) {
    const char *p;
    w->hl += (size_t)snprintf(w->hdr + w->hl, sizeof(w->hdr) - w->hl, "%s\"__metadata__\":{\"%s\":\"", w->hl > 1 ? "," : "", key);
    for (p = json; *p && w->hl + 4 < sizeof(w->hdr); p++) {
        if (*p == '"' || *p == '\\') w->hdr[w->hl++] = '\\';
        w->hdr[w->hl++] = *p;
    }
    w->hl += (size_t)snprintf(w->hdr + w->hl, sizeof(w->hdr) - w->hl, "\"}");
}

/* the corpus as raw.* (each video cut to its v.T frames / v.n_subs subtitles);
   corrupt 2: no raw.sub_len, 3: one raw.sub_tokens too many */
static void stw_raw(stw *w, const synth *s, int corrupt) {
    int32_t nframes[8], num_subs[8], *len, *nf, *idx, *tok, *fr;
    float *feats;
    size_t S = 0, nt = 0, nr = 0, T = 0, a = 0, b = 0, c = 0, e = 0;
    int v, i, F = s->v[0].F;
    for (v = 0; v < s->n; v++) {
        T += (size_t)s->v[v].T;
        S += (size_t)s->v[v].n_subs;
        for (i = 0; i < s->v[v].n_subs; i++) { nt += (size_t)s->v[v].sub_len[i]; nr += (size_t)s->v[v].sub_nframes[i]; }
    }
    len = (int32_t *)malloc(S * 4 + 4); nf = (int32_t *)malloc(S * 4 + 4); idx = (int32_t *)malloc(S * 4 + 4);
    tok = (int32_t *)malloc(nt * 4 + 8); fr = (int32_t *)malloc(nr * 4 + 4);
    feats = (float *)malloc(T * (size_t)F * sizeof(float) + 4);
    for (v = 0; v < s->n; v++) {
        const hero_video *hv = &s->v[v];
        nframes[v] = hv->T;
        num_subs[v] = hv->n_subs;
        memcpy(feats + e, hv->feats, (size_t)hv->T * (size_t)F * sizeof(float));
        e += (size_t)hv->T * (size_t)F;
        memcpy(len + a, hv->sub_len, (size_t)hv->n_subs * 4);
        memcpy(nf + a, hv->sub_nframes, (size_t)hv->n_subs * 4);
        for (i = 0; i < hv->n_subs; i++) idx[a + (size_t)i] = i;
        a += (size_t)hv->n_subs;
        {
            size_t wt = 0, wf = 0;
            for (i = 0; i < hv->n_subs; i++) { wt += (size_t)hv->sub_len[i]; wf += (size_t)hv->sub_nframes[i]; }
            memcpy(tok + b, hv->sub_tokens, wt * 4);
            memcpy(fr + c, hv->sub_frames, wf * 4);
            b += wt;
            c += wf;
        }
    }
    tok[nt] = 5;
    stw_i(w, "raw.nframes", nframes, 1, s->n, 0, 0);
    stw_f(w, "raw.v_feats", feats, 2, (int64_t)T, F, 0);
    stw_i(w, "raw.num_subs", num_subs, 1, s->n, 0, 0);
    if (corrupt != 2) stw_i(w, "raw.sub_len", len, 1, (int64_t)S, 0, 0);
    stw_i(w, "raw.sub_tokens", tok, 1, (int64_t)nt + (corrupt == 3), 0, 0);
    stw_i(w, "raw.s2f_sub_idx", idx, 1, (int64_t)S, 0, 0);
    stw_i(w, "raw.s2f_nframes", nf, 1, (int64_t)S, 0, 0);
    stw_i(w, "raw.s2f_frames", fr, 1, (int64_t)nr, 0, 0);
    free(len); free(nf); free(idx); free(tok); free(fr); free(feats);
}

/* the choices as choice.*; corrupt 1: choice.mlm_input_ids one short, 5: frame_mask as
   ints with a 2, 6: mlm_len[0] + 1 and mlm_len[1] - 1 (sums agree, rows do not) */
static void stw_choices(stw *w, const hero_choices *c, int corrupt) {
    size_t n = 0;
    int i;
    if (c->task == HERO_TASK_MLM) {
        for (i = 0; i < c->n_rows; i++) n += (size_t)c->mlm_len[i];
        if (corrupt == 6) { c->mlm_len[0]++; c->mlm_len[1]--; }
        stw_i(w, "choice.mlm_len", c->mlm_len, 1, c->n_rows, 0, 0);
        if (corrupt == 6) { c->mlm_len[0]--; c->mlm_len[1]++; }
        stw_i(w, "choice.mlm_input_ids", c->mlm_input_ids, 1, (int64_t)n - (corrupt == 1), 0, 0);
        stw_i(w, "choice.mlm_labels", c->mlm_labels, 1, (int64_t)n, 0, 0);
    } else if (c->task == HERO_TASK_MFM_NCE || c->task == HERO_TASK_MFFR) {
        int64_t sh = c->n_frames;
        if (corrupt == 5) {
            int32_t *m = (int32_t *)malloc((size_t)c->n_frames * 4 + 4);
            for (i = 0; i < c->n_frames; i++) m[i] = c->frame_mask[i];
            m[0] = 2;
            stw_i(w, "choice.frame_mask", m, 1, c->n_frames, 0, 0);
            free(m);
        } else {
            stw_add(w, "choice.frame_mask", "BOOL", 1, &sh, c->frame_mask, (size_t)c->n_frames);
        }
    } else if (c->task == HERO_TASK_FOM) {
        stw_i(w, "choice.fom_orders", c->fom_orders, 1, c->n_frames, 0, 0);
        stw_i(w, "choice.fom_targets", c->fom_targets, 1, c->n_frames, 0, 0);
    } else if (c->task == HERO_TASK_VSM) {
        for (i = 0; i < c->n_videos; i++) n += (size_t)c->vsm_n_sampled[i];
        stw_i(w, "choice.vsm_n_sampled", c->vsm_n_sampled, 1, c->n_videos, 0, 0);
        stw_i(w, "choice.vsm_sampled_sub_idx", c->vsm_sampled_sub_idx, 1, (int64_t)n, 0, 0);
    }
}

/* b built from s with c: a golden file holding both sides; corrupt as stw_raw / stw_choices,
   4: a bad data_settings.v_range, 7: in.f_v_feats one row short, 8: no in.f_gather_index */
static void raw_to_golden(const char *path, const hero_batch *b, const synth *s, const hero_choices *c, int corrupt) {
    static const char *settings = "{\"mask_prob\": 0.15, \"query_per_video\": 2, \"max_txt_len\": 60, \"sub_ctx_len\": 0, "
                                  "\"cls\": 0, \"pad\": 1, \"sep\": 2, \"unk\": 3, \"mask\": 100, \"v_range\": [10, 50]}";
    stw w;
    int32_t three = 3;
    stw_init(&w);
    stw_meta(&w, "data_settings", corrupt == 4 ? "{\"mask\": 100, \"v_range\": [10]}" : settings);
    stw_batch(&w, b, corrupt == 7 ? 4 : corrupt == 8 ? 3 : 0);
    stw_raw(&w, s, corrupt);
    stw_choices(&w, c, corrupt);
    stw_i(&w, "opt.max_txt_len", &three, 1, 1, 0, 0); /* overrides data_settings' 60 */
    stw_write(&w, path);
}

/* golden_batch_from_raw (options, videos, choices, build) and the field comparison on
   synthetic files of every task, and broken files rejected with the tensor named */
static void test_from_golden_raw(void) {
    static const struct { int corrupt; hero_task task; int rc; const char *what; } bad[8] = {
        {1, HERO_TASK_MLM, HERO_ESHAPE, "choice.mlm_input_ids"}, {2, HERO_TASK_FOM, HERO_EMISSING, "raw.sub_len"},
        {3, HERO_TASK_REPR, HERO_ESHAPE, "raw.sub_tokens"},      {4, HERO_TASK_VSM, HERO_EFORMAT, "v_range"},
        {5, HERO_TASK_MFFR, HERO_EFORMAT, "choice.frame_mask"},  {6, HERO_TASK_MLM, HERO_ESHAPE, "mlm_len[0]"},
        {7, HERO_TASK_FOM, HERO_ESHAPE, "in.f_v_feats"},         {8, HERO_TASK_FOM, HERO_EMISSING, "in.f_gather_index"}};
    synth s;
    hero_rng r;
    hero_batch_options o = hero_batch_options_default(101);
    const char *path = "/tmp/hero_test_batch_raw.safetensors";
    hero_batch b[HERO_TASK_COUNT];
    hero_choices c[HERO_TASK_COUNT];
    int t, k, ok = 1;
    char why[700] = "";
    hero_rng_seed(&r, 14);
    synth_make(&s, 3, 9, 4, 5, 3, &r);
    s.v[2].T = 6;
    s.v[2].n_subs = 2;
    o.max_txt_len = 3; o.query_per_video = 2; o.v_lo = 10; o.v_hi = 50; /* as the file's settings say */
    memset(c, 0, sizeof(c));
    memset(b, 0, sizeof(b));
    for (t = 0; t < HERO_TASK_COUNT; t++) {
        hero_error err;
        hero_tensorfile tf;
        hero_batch g;
        hero_batch_options o2;
        hero_batch_field f[HERO_BATCH_MAX_FIELDS];
        const char *d;
        int i, n;
        memset(&err, 0, sizeof(err));
        if ((t != HERO_TASK_REPR && hero_draw_choices(&c[t], (hero_task)t, s.v, s.n, &o, &r, &err)) ||
            hero_build_batch(&b[t], (hero_task)t, s.v, s.n, &o, t == HERO_TASK_REPR ? NULL : &c[t], NULL, &err)) {
            ok = 0; snprintf(why, sizeof(why), "build %s: %s", hero_task_name((hero_task)t), err.msg); break;
        }
        raw_to_golden(path, &b[t], &s, &c[t], 0);
        if (hero_tensorfile_open(&tf, path, &err)) { ok = 0; snprintf(why, sizeof(why), "open: %s", err.msg); break; }
        if (golden_batch_options(&o2, &tf, 0, &err) || o2.max_txt_len != 3 || o2.query_per_video != 2 ||
            o2.mask_id != 100 || o2.v_lo != 10 || o2.v_hi != 50 || o2.max_frames != 100) {
            ok = 0; snprintf(why, sizeof(why), "options: %s", err.msg);
        }
        if (golden_batch_from_raw(&g, (hero_task)t, &tf, 0, &err)) {
            ok = 0; snprintf(why, sizeof(why), "%s: %s", hero_task_name((hero_task)t), err.msg);
        } else {
            if ((d = batch_diff(&b[t], &g)) != NULL) { ok = 0; snprintf(why, sizeof(why), "%s: %s differs", hero_task_name((hero_task)t), d); }
            n = hero_batch_fields(&g, f);
            for (i = 0; i < n; i++) {
                double e = -1;
                if (golden_field_err(&f[i], &tf, &e, &err) || e != 0.0) {
                    ok = 0; snprintf(why, sizeof(why), "%s in.%s: err %g %s", hero_task_name((hero_task)t), f[i].key, e, err.msg);
                }
            }
            if (n != (t == HERO_TASK_MLM ? 7 : t == HERO_TASK_REPR ? 12 : t == HERO_TASK_FOM ? 14 : t == HERO_TASK_VSM ? 17 : 15)) {
                ok = 0; snprintf(why, sizeof(why), "%s: %d fields", hero_task_name((hero_task)t), n);
            }
            hero_batch_free(&g);
        }
        hero_tensorfile_close(&tf);
    }
    check(ok, "golden_batch_from_raw: raw.* + choice.* + data_settings / opt.* rebuild every task, all in.* fields equal", why);
    for (k = 0; ok && k < 8; k++) {
        hero_error err;
        hero_tensorfile tf;
        hero_batch g;
        int rc;
        t = bad[k].task;
        raw_to_golden(path, &b[t], &s, &c[t], bad[k].corrupt);
        memset(&err, 0, sizeof(err));
        if (hero_tensorfile_open(&tf, path, &err)) { ok = 0; snprintf(why, sizeof(why), "open broken %d: %s", k, err.msg); break; }
        rc = golden_batch_from_raw(&g, (hero_task)t, &tf, 0, &err);
        if (!rc) { /* broken in.* side: the field comparison reports it */
            hero_batch_field f[HERO_BATCH_MAX_FIELDS];
            int i, n = hero_batch_fields(&g, f);
            double e;
            for (i = 0; i < n && !rc; i++) rc = golden_field_err(&f[i], &tf, &e, &err);
            hero_batch_free(&g);
        } else if (g.txt_ids != NULL) {
            ok = 0; snprintf(why, sizeof(why), "broken %d: batch not zeroed on error", bad[k].corrupt);
        }
        if (rc != bad[k].rc || !strstr(err.msg, bad[k].what) || !strstr(err.msg, path)) {
            ok = 0;
            snprintf(why, sizeof(why), "broken file %d: rc %d (want %d), message '%s'", bad[k].corrupt, rc, bad[k].rc, err.msg);
        } else printf("# broken raw golden file %d rejected: %s\n", bad[k].corrupt, err.msg);
        hero_tensorfile_close(&tf);
    }
    check(ok, "golden_batch_from_raw / field comparison reject broken files, naming file and tensor", why);
    for (t = 0; t < HERO_TASK_COUNT; t++) hero_batch_free(&b[t]);
    for (t = 0; t < HERO_TASK_COUNT; t++) hero_choices_free(&c[t]);
    remove(path);
    synth_free(&s);
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
    if (fuzz) { /* differential cases (tests/golden/batch_fuzz/README.md): <task>-NNN.safetensors */
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
    test_from_golden_raw();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}

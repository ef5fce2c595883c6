/* Test helpers shared by hero_golden (golden_downstream.c) and test_ops: reading a downstream
   golden file's collated batch (tests/golden/tiny-downstream; video QA / VIOLIN, TVC). Include after hero.h. */
#ifndef HERO_TESTS_DS_BATCH_H
#define HERO_TESTS_DS_BATCH_H
#include <stdlib.h>
#include <string.h>
#include "golden_io.h"

/* n int64 values of tensor name (malloc'd; NULL if absent or unreadable); *n_out its numel */
static int64_t *ds_ints(const hero_tensorfile *tf, const char *name, int64_t *n_out) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t n = t ? hero_tensor_numel(t) : -1;
    int64_t *v;
    hero_error err;
    if (n_out) *n_out = n;
    if (n < 0 || !(v = (int64_t *)malloc((size_t)(n ? n : 1) * sizeof(int64_t)))) return NULL;
    if (hero_tensor_read_i64(t, v, n, &err)) { free(v); return NULL; }
    return v;
}

/* int64 tensor `name` as a malloc'd int32 copy (NULL if absent); *n its numel */
static int32_t *ds_i32(const hero_tensorfile *tf, const char *name, int64_t *n) {
    int64_t *v = ds_ints(tf, name, n), i;
    int32_t *o;
    if (!v) return NULL;
    o = (int32_t *)malloc((size_t)(*n ? *n : 1) * sizeof(int32_t));
    if (o) for (i = 0; i < *n; i++) o[i] = (int32_t)v[i];
    free(v);
    return o;
}

/* the collated batch of a video QA / VIOLIN file: the video inputs as golden_batch_from_in reads them,
   then the appended text rows, the labels and (video QA) the span targets */
static int ds_ft_batch(hero_batch *b, const hero_tensorfile *tf, int qa, hero_error *err) {
    const char *ids = qa ? "in.qa_input_ids" : "in.q_input_ids";
    const hero_tensor_info *t = hero_tensorfile_find(tf, ids);
    int64_t n, nm, np, nl, nt = 0;
    int rc;
    memset(b, 0, sizeof(*b));
    if ((rc = golden_batch_from_in(b, HERO_TASK_REPR, tf, err)) != 0) return rc;
    if (!t || t->ndim != 2) { if (err) snprintf(err->msg, sizeof(err->msg), "%s missing", ids); return HERO_EMISSING; }
    b->task = qa ? HERO_TASK_VIDEOQA : HERO_TASK_VIOLIN;
    b->n_cand = qa ? 5 : 1;
    b->Nq = (int)t->shape[0]; b->Lq = (int)t->shape[1];
    b->q_ids = ds_i32(tf, ids, &n);
    b->q_mask = ds_i32(tf, qa ? "in.qa_attn_masks" : "in.q_attn_masks", &nm);
    b->q_pos = ds_i32(tf, qa ? "in.qa_pos_ids" : "in.q_pos_ids", &np);
    b->labels = ds_i32(tf, "in.targets", &nl);
    if (qa) b->vsm_targets = ds_i32(tf, "in.ts_targets", &nt);
    if (!b->q_ids || !b->q_mask || !b->q_pos || !b->labels || (qa && !b->vsm_targets) || nm != n || np != b->Lq ||
        nl != b->B / b->n_cand || (qa && nt != 2 * nl)) {
        if (err) snprintf(err->msg, sizeof(err->msg), "text rows / targets unreadable or inconsistent");
        return HERO_EFORMAT;
    }
    return 0;
}

/* the captions / clips of a TVC file (in.* or, through a view, in.gen.*) on top of its video inputs */
static int ds_tvc_batch(hero_batch *b, const hero_tensorfile *tf, int train, hero_error *err) {
    int64_t n, nr, npv, ni = 0, nt = 0, i, k = 0, v;
    int32_t *per;
    int rc;
    const hero_tensor_info *t = hero_tensorfile_find(tf, "in.cap_input_ids");
    memset(b, 0, sizeof(*b));
    if ((rc = golden_batch_from_in(b, HERO_TASK_REPR, tf, err)) != 0) return rc;
    b->task = HERO_TASK_TVC;
    b->clip_ranges = ds_i32(tf, "in.clip_ranges", &nr);
    per = ds_i32(tf, "in.clip_ranges_per_video", &npv);
    if (!b->clip_ranges || !per || npv != b->B) {
        free(per);
        if (err) snprintf(err->msg, sizeof(err->msg), "in.clip_ranges / in.clip_ranges_per_video unreadable or inconsistent");
        return HERO_EFORMAT;
    }
    n = nr / 2;
    b->n_caps = (int)n;
    b->clip_vidx = (int32_t *)malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    for (v = 0; v < npv && b->clip_vidx; v++)
        for (i = 0; i < per[v] && k < n; i++) b->clip_vidx[k++] = (int32_t)v;
    free(per);
    if (!b->clip_vidx || k != n) {
        if (err) snprintf(err->msg, sizeof(err->msg), "in.clip_ranges_per_video does not add up to %lld clips", (long long)n);
        return HERO_EFORMAT;
    }
    if (!train) return 0;
    if (!t || t->ndim != 2 || t->shape[0] != n) {
        if (err) snprintf(err->msg, sizeof(err->msg), "in.cap_input_ids missing or not [%lld, L]", (long long)n);
        return HERO_EMISSING;
    }
    b->cap_len = (int)t->shape[1];
    b->cap_ids = ds_i32(tf, "in.cap_input_ids", &ni);
    b->cap_tgt = ds_i32(tf, "in.cap_tgt_ids", &nt);
    if (!b->cap_ids || !b->cap_tgt || ni != n * b->cap_len || nt != ni) {
        if (err) snprintf(err->msg, sizeof(err->msg), "in.cap_input_ids / in.cap_tgt_ids unreadable or inconsistent");
        return HERO_EFORMAT;
    }
    return 0;
}

#endif

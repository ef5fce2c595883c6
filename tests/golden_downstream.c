/* hero_golden: the downstream (fine-tuning) golden files of tests/golden/tiny-downstream.
   Included by hero_golden.c (one translation unit: it uses its report / check helpers).

   A directory is downstream when it has no model.pt but task files <task>.safetensors with
   checkpoints <task>.pt (vcmr_hard uses vcmr.pt). Per task file, one line per quantity, as
   for pre-training: every out.* the task's model computes (floats by err <= 1e-4 of the
   reference's max, integers exactly), every grad.* (the metadata's
   grads_mathematically_zero keys against the file's largest gradient), grad-set, and the
   batch rebuilt from raw.* + choice.* against every in.* the model uses.
   Tasks: vcmr, vcmr_hard, vr (training step and the full retrieval evaluation up to the
   submission rows). */

/* ---------------- small readers ---------------- */

#include "ds_batch.h"


/* a JSON number of metadata object `key` (dflt when absent) */
static double ds_meta_num(const hero_tensorfile *tf, const char *meta, const char *key, double dflt) {
    const char *txt = hero_tensorfile_meta(tf, meta);
    hero_json j;
    hero_error err;
    double v = dflt;
    const hero_json *x;
    if (!txt || hero_json_parse(txt, strlen(txt), &j, &err)) return dflt;
    x = hero_json_get(&j, key);
    if (x && x->type == HERO_JSON_NUMBER) v = x->number;
    else if (x && x->type == HERO_JSON_BOOL) v = x->boolean ? 1 : 0;
    else if (x && x->type == HERO_JSON_STRING) v = !strcmp(x->string, "lse") ? 1 : 0; /* ranking_loss_type */
    hero_json_free(&j);
    return v;
}

/* a contiguous little-endian F64 tensor as doubles (malloc'd) */
static double *ds_f64(const hero_tensorfile *tf, const char *name, int64_t *n_out) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t n = t ? hero_tensor_numel(t) : -1, i;
    double *v;
    if (n_out) *n_out = n;
    if (n < 0 || t->dtype != HERO_F64 || (t->offset + n) * 8 > t->storage_nbytes) return NULL;
    if (!(v = (double *)malloc((size_t)(n ? n : 1) * sizeof(double)))) return NULL;
    for (i = 0; i < n; i++) {
        uint64_t u = 0;
        int k;
        for (k = 7; k >= 0; k--) u = (u << 8) | t->storage[(t->offset + i) * 8 + k];
        memcpy(&v[i], &u, 8);
    }
    return v;
}

/* integers compared exactly: err 0 when equal, 1 otherwise (shape must match) */
static void ds_check_ints(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *name, const int64_t *x,
                          int64_t n) {
    int64_t m, i;
    int64_t *ref = ds_ints(tf, name, &m);
    if (!ref) { report_msg(g, task, name, "missing from the file"); return; }
    if (m != n) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%lld values, the file has %lld", (long long)n, (long long)m);
        report_msg(g, task, name, msg);
    } else {
        double e = 0;
        for (i = 0; i < n; i++) if (x[i] != ref[i]) e = 1;
        report_tol(g, task, name, e, 0.0);
    }
    free(ref);
}

/* doubles (F64 references) by the float rule */
static void ds_check_f64(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *name, const double *x,
                         int64_t n) {
    int64_t m, i;
    double *ref = ds_f64(tf, name, &m), md = 0, mr = 0;
    if (!ref) { report_msg(g, task, name, "missing from the file"); return; }
    if (m != n) {
        report_msg(g, task, name, "size differs");
    } else {
        for (i = 0; i < n; i++) {
            double d = fabs(x[i] - ref[i]);
            if (d != d) { md = NAN; break; }
            if (d > md) md = d;
            if (fabs(ref[i]) > mr) mr = fabs(ref[i]);
        }
        report(g, task, name, md / (mr > 1e-6 ? mr : 1e-6));
    }
    free(ref);
}

/* a view of tf in which every tensor `prefix`X is named "in."X (for golden_batch_from_in) */
typedef struct ds_view {
    hero_tensorfile tf;
    char **names;
} ds_view;

static int ds_view_open(ds_view *v, const hero_tensorfile *tf, const char *prefix) {
    int i, n = 0;
    size_t pl = strlen(prefix);
    memset(v, 0, sizeof(*v));
    v->tf = *tf;
    v->tf.tensors = (hero_tensor_info *)malloc((size_t)tf->n_tensors * sizeof(hero_tensor_info) + 1);
    v->names = (char **)calloc((size_t)tf->n_tensors + 1, sizeof(char *));
    if (!v->tf.tensors || !v->names) return -1;
    for (i = 0; i < tf->n_tensors; i++) {
        const char *nm = tf->tensors[i].name;
        if (strncmp(nm, prefix, pl) != 0) continue;
        v->tf.tensors[n] = tf->tensors[i];
        if (!(v->names[n] = (char *)malloc(strlen(nm) + 4))) return -1;
        snprintf(v->names[n], strlen(nm) + 4, "in.%s", nm + pl);
        v->tf.tensors[n].name = v->names[n];
        n++;
    }
    v->tf.n_tensors = n;
    return n;
}
static void ds_view_close(ds_view *v) {
    int i;
    if (v->names)
        for (i = 0; v->names[i]; i++) free(v->names[i]);
    free(v->names);
    free(v->tf.tensors);
    memset(v, 0, sizeof(*v));
}

/* ---------------- gradients ---------------- */

/* grad.<key> for every key; grads_mathematically_zero keys against the file's largest gradient */
static void ds_check_grads(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf) {
    const char *zero = hero_tensorfile_meta(tf, "grads_mathematically_zero");
    double gmax = 0;
    int i, wrong = 0;
    char msg[256] = "";
    hero_error err;
    if (hero_model_download(m, &err)) { report_msg(g, task, "grad", err.msg); return; }
    for (i = 0; i < tf->n_tensors; i++)
        if (!strncmp(tf->tensors[i].name, "grad.", 5)) {
            double s = ref_scale(tf, tf->tensors[i].name);
            if (s > gmax) gmax = s;
        }
    for (i = 0; i < tf->n_tensors; i++) {
        const char *name = tf->tensors[i].name;
        hero_param *p;
        char q[160];
        if (strncmp(name, "grad.", 5) != 0) continue;
        p = hero_model_param(m, name + 5);
        if (!p) { report_msg(g, task, name, "no such parameter"); continue; }
        snprintf(q, sizeof(q), "\"%s\"", name + 5);
        if (zero && strstr(zero, q)) check_floor(g, task, tf, name, p->grad, (int64_t)p->numel, gmax);
        else check(g, task, tf, name, p->grad, (int64_t)p->numel);
        if (!p->has_grad) { wrong++; snprintf(msg, sizeof(msg), "%s got no gradient", p->name); }
    }
    for (i = 0; i < m->n_params; i++) {
        char key[160];
        snprintf(key, sizeof(key), "grad.%s", m->table[i].name);
        if (m->table[i].has_grad && !hero_tensorfile_find(tf, key)) {
            wrong++;
            snprintf(msg, sizeof(msg), "%s got a gradient, the official model has none", m->table[i].name);
        }
    }
    if (wrong) report_msg(g, task, "grad-set", msg);
    else report(g, task, "grad-set", 0.0);
}

/* ---------------- VCMR / VR: training step ---------------- */

/* the model's loss settings from the file's metadata loss_settings (absent lw_st_ed: 0, as HeroForVr) */
static void ds_vsm_settings(hero_model *m, const hero_tensorfile *tf) {
    hero_config *c = &m->cfg;
    c->lw_st_ed = (float)ds_meta_num(tf, "loss_settings", "lw_st_ed", 0.0);
    c->lw_neg_ctx = (float)ds_meta_num(tf, "loss_settings", "lw_neg_ctx", 0.0);
    c->lw_neg_q = (float)ds_meta_num(tf, "loss_settings", "lw_neg_q", 0.0);
    c->margin = (float)ds_meta_num(tf, "loss_settings", "margin", 0.1);
    c->ranking_lse = (int)ds_meta_num(tf, "loss_settings", "ranking_loss_type", 0);
    c->use_hard_negative = (int)ds_meta_num(tf, "loss_settings", "use_hard_negative", 0);
    c->hard_pool_size = (int)ds_meta_num(tf, "loss_settings", "hard_pool_size", 20);
    c->hard_neg_weight = (float)ds_meta_num(tf, "loss_settings", "hard_neg_weight", 10);
}

static void ds_vsm_train(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf) {
    hero_batch b;
    hero_result r;
    hero_error err;
    int H = m->cfg.H, i;
    const hero_tensor_info *kept = hero_tensorfile_find(tf, "choice.svmr_kept");
    float lw = m->cfg.lw_st_ed;
    memset(&b, 0, sizeof(b));
    if (golden_batch_from_in(&b, HERO_TASK_VSM, tf, &err)) { report_msg(g, task, "batch", err.msg); return; }
    if (kept) { /* the span loss runs only when the official draw kept it */
        uint8_t k = 0;
        if (kept->storage_nbytes >= 1) k = kept->storage[kept->offset];
        if (!k) m->cfg.lw_st_ed = 0;
    }
    hero_zero_grad(m);
    for (i = 0; i < m->n_params; i++) m->table[i].has_grad = 0;
    if (hero_forward_backward(m, &b, 1, NULL, &r, &err)) {
        report_msg(g, task, "forward", err.msg);
    } else {
        int Nq = b.Nq, B = b.B, L = b.L, q;
        for (i = 0; i < tf->n_tensors; i++) {
            const char *name = tf->tensors[i].name, *k = name + 4;
            float s = 0, *h = NULL;
            int64_t n = 0;
            if (strncmp(name, "out.", 4) != 0 || !strncmp(k, "infer_", 6) || !strncmp(k, "sub.", 4) ||
                !strncmp(k, "nms.", 4) || !strncmp(k, "metrics", 7))
                continue;
            if (!strcmp(k, "loss")) s = r.loss;
            else if (!strcmp(k, "loss_st")) s = r.loss_st;
            else if (!strcmp(k, "loss_ed")) s = r.loss_ed;
            else if (!strcmp(k, "loss_st_ed")) s = r.loss_st_ed;
            else if (!strcmp(k, "loss_neg_ctx")) s = r.loss_neg_ctx;
            else if (!strcmp(k, "loss_neg_q")) s = r.loss_neg_q;
            else if (!strcmp(k, "frame_embeddings")) h = fetch(m, r.c_seq, n = (int64_t)B * L * H);
            else if (!strcmp(k, "modularized_query")) h = fetch(m, r.mod_query, n = (int64_t)Nq * H);
            else if (!strcmp(k, "q2video_scores")) h = fetch(m, r.q2video, n = (int64_t)Nq * B);
            else if (!strcmp(k, "loss_neg_ctx_mat")) h = fetch(m, r.neg_ctx_mat, n = (int64_t)Nq * r.neg_ctx_cols);
            else if (!strcmp(k, "loss_neg_q_mat")) h = fetch(m, r.neg_q_mat, n = (int64_t)Nq * r.neg_q_cols);
            else if (!strcmp(k, "st_prob") || !strcmp(k, "ed_prob")) { /* query i with its own row (Nq == B: video i) */
                float *all = fetch(m, k[0] == 's' ? r.st_prob : r.ed_prob, (int64_t)Nq * B * L);
                n = (int64_t)Nq * L;
                h = (float *)malloc((size_t)n * sizeof(float));
                if (all && h)
                    for (q = 0; q < Nq; q++)
                        memcpy(h + (size_t)q * L, all + ((size_t)q * B + (Nq == B ? q : b.q_vidx[q])) * L, (size_t)L * sizeof(float));
                free(all);
            } else { report_msg(g, task, name, "unknown output"); continue; }
            if (n == 0) check(g, task, tf, name, &s, 1);
            else if (h) check(g, task, tf, name, h, n);
            else report_msg(g, task, name, "out of memory");
            free(h);
        }
        ds_check_grads(g, m, task, tf);
    }
    m->cfg.lw_st_ed = lw;
    hero_batch_free(&b);
}

/* ---------------- VCMR / VR: submission cut, NMS and recall (section 17's hero_tvr_*) ---------------- */

/* one line per row set of a submission: pred (doubles), n, qidx */
static void ds_check_sub(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *prefix, const hero_tvr_sub *s) {
    char name[96];
    int64_t K = 0, q, j, c, nq = s->n_queries;
    const hero_tensor_info *t;
    double *p;
    int64_t *n, *qi;
    snprintf(name, sizeof(name), "%s.pred", prefix);
    t = hero_tensorfile_find(tf, name);
    if (!t || t->ndim != 3 || t->shape[0] != nq) { report_msg(g, task, name, "missing or not [Q, K, 4]"); return; }
    K = t->shape[1];
    p = (double *)malloc((size_t)(nq * K * 4 + 1) * sizeof(double));
    n = (int64_t *)malloc((size_t)(nq + 1) * sizeof(int64_t));
    qi = (int64_t *)malloc((size_t)(nq + 1) * sizeof(int64_t));
    if (!p || !n || !qi) { free(p); free(n); free(qi); report_msg(g, task, name, "out of memory"); return; }
    for (q = 0; q < nq; q++) {
        n[q] = s->n[q]; qi[q] = s->qidx[q];
        for (j = 0; j < K; j++)
            for (c = 0; c < 4; c++) p[(q * K + j) * 4 + c] = j < s->k ? s->pred[(q * s->k + j) * 4 + c] : (c ? 0 : -1);
    }
    ds_check_f64(g, task, tf, name, p, nq * K * 4);
    snprintf(name, sizeof(name), "%s.n", prefix);
    ds_check_ints(g, task, tf, name, n, nq);
    snprintf(name, sizeof(name), "%s.qidx", prefix);
    ds_check_ints(g, task, tf, name, qi, nq);
    free(p); free(n); free(qi);
}

/* every recall value the file has for this task (F64 scalars; NaN equals NaN: a query type with no query) */
static void ds_check_metrics(golden_ctx *g, const char *task, const hero_tensorfile *tf, const char *group, const char *tname,
                             const hero_tvr_metrics *m) {
    char key[32], name[128];
    int i, k, ty, ni = m->task == HERO_TVR_VR ? 1 : HERO_TVR_N_IOU;
    for (i = 0; i < ni; i++)
        for (k = 0; k < HERO_TVR_N_K; k++)
            for (ty = -1; ty < 3; ty++) {
                double ours = ty < 0 ? m->r[i][k] : m->by_type[ty][i][k], *ref;
                if (ty >= 0 && !m->has_types) continue;
                snprintf(name, sizeof(name), "out.%s.%s%s.%s", group, tname, ty < 0 ? "" : "_by_type",
                         hero_tvr_metric_key(key, sizeof(key), m->task, ty, i, k));
                if (!hero_tensorfile_find(tf, name)) continue; /* the file holds the keys the official dict had */
                ref = ds_f64(tf, name, NULL);
                if (!ref) { report_msg(g, task, name, "unreadable"); continue; }
                if (ours != ours && ref[0] != ref[0]) report(g, task, name, 0.0);
                else ds_check_f64(g, task, tf, name, &ours, 1);
                free(ref);
            }
}

/* eval_vcmr.py / eval_vr.py after the ranking: rows, the in-place max_after_nms cut, recall, NMS, recall */
static void ds_vsm_metrics(golden_ctx *g, const char *task, const hero_tensorfile *tf, int vr, int Nq, const int64_t *qidx,
                           const int64_t *gt_vid, const double *gt_ts, const int32_t *gt_type, const int64_t *ids, int Nv,
                           const int64_t *fi, const float *fs, int Bf, const int64_t *vi, const float *vs, int Kk,
                           const double *tri, int before, int after, int Lcfg, double interval) {
    const char *es = "eval_settings";
    double nms_thd = ds_meta_num(tf, es, "nms_thd", 0.5);
    hero_tvr_sub vc, sv, vrs, nv, ns;
    hero_tvr_metrics mt;
    hero_tvr_gt gt;
    hero_error err;
    int32_t *tops = (int32_t *)malloc((size_t)Nq * Kk * sizeof(int32_t) + 4);
    int q, j, ok = 1, cut = vr ? (int)ds_meta_num(tf, es, "max_vr_video", 100) : after;
    memset(&vc, 0, sizeof(vc)); memset(&sv, 0, sizeof(sv)); memset(&vrs, 0, sizeof(vrs));
    memset(&nv, 0, sizeof(nv)); memset(&ns, 0, sizeof(ns));
    if (!tops) { report_msg(g, task, "submission", "out of memory"); return; }
    for (j = 0; j < Nq * Kk; j++) tops[j] = (int32_t)vi[j];
    if (hero_tvr_sub_init(&vrs, Nq, Kk, &err) || (!vr && (hero_tvr_sub_init(&vc, Nq, Bf, &err) || hero_tvr_sub_init(&sv, Nq, before, &err)))) {
        report_msg(g, task, "submission", err.msg);
        goto done;
    }
    for (q = 0; q < Nq && ok; q++) {
        vrs.qidx[q] = (int32_t)qidx[q];
        if (!vr) vc.qidx[q] = sv.qidx[q] = (int32_t)qidx[q];
        for (j = 0; j < Kk && ok; j++)
            ok = !hero_tvr_sub_add(&vrs, HERO_TVR_VR, q, ids[vi[q * Kk + j]], 0, 0, vs[q * Kk + j], interval, &err);
        if (vr || !ok) continue;
        ok = !hero_tvr_sub_add_flat(&vc, q, fi + (size_t)q * Bf, fs + (size_t)q * Bf, Bf, tops + (size_t)q * Kk, Kk, Kk, Lcfg, ids, Nv,
                                    interval, &err);
        for (j = 0; j < before && ok; j++) {
            const double *t = tri + ((size_t)q * before + j) * 3;
            ok = !hero_tvr_sub_add(&sv, HERO_TVR_SVMR, q, gt_vid[q], (int)t[0], (int)t[1], (float)t[2], interval, &err);
        }
    }
    if (!ok || hero_tvr_sub_cut(&vrs, cut, &err) || (!vr && (hero_tvr_sub_cut(&vc, after, &err) || hero_tvr_sub_cut(&sv, after, &err)))) {
        report_msg(g, task, "submission", err.msg);
        goto done;
    }
    memset(&gt, 0, sizeof(gt));
    gt.n = Nq; gt.video = gt_vid; gt.ts = gt_ts; gt.max_ts = 1; gt.type = gt_type;
    /* eval_retrieval matches by desc_id: submission rows in ground-truth order */
    for (q = 0; q < Nq; q++) {
        vrs.qidx[q] = q;
        if (!vr) vc.qidx[q] = sv.qidx[q] = q;
    }
    if (hero_tvr_eval(&mt, HERO_TVR_VR, &vrs, &gt, &err)) { report_msg(g, task, "metrics", err.msg); goto done; }
    ds_check_metrics(g, task, tf, "metrics", "VR", &mt);
    if (vr) goto done;
    if (hero_tvr_eval(&mt, HERO_TVR_VCMR, &vc, &gt, &err)) { report_msg(g, task, "metrics", err.msg); goto done; }
    ds_check_metrics(g, task, tf, "metrics", "VCMR", &mt);
    if (hero_tvr_eval(&mt, HERO_TVR_SVMR, &sv, &gt, &err)) { report_msg(g, task, "metrics", err.msg); goto done; }
    ds_check_metrics(g, task, tf, "metrics", "SVMR", &mt);
    if (hero_tvr_nms(&nv, &vc, HERO_TVR_VCMR, nms_thd, before, after, &err) || hero_tvr_nms(&ns, &sv, HERO_TVR_SVMR, nms_thd, before, after, &err)) {
        report_msg(g, task, "nms", err.msg);
        goto done;
    }
    for (q = 0; q < Nq; q++) nv.qidx[q] = ns.qidx[q] = (int32_t)qidx[q];
    ds_check_sub(g, task, tf, "out.nms.VCMR", &nv);
    ds_check_sub(g, task, tf, "out.nms.SVMR", &ns);
    for (q = 0; q < Nq; q++) nv.qidx[q] = ns.qidx[q] = q;
    if (!hero_tvr_eval(&mt, HERO_TVR_VCMR, &nv, &gt, &err)) ds_check_metrics(g, task, tf, "metrics_nms", "VCMR", &mt);
    else report_msg(g, task, "metrics_nms", err.msg);
    if (!hero_tvr_eval(&mt, HERO_TVR_SVMR, &ns, &gt, &err)) ds_check_metrics(g, task, tf, "metrics_nms", "SVMR", &mt);
    else report_msg(g, task, "metrics_nms", err.msg);
done:
    free(tops);
    hero_tvr_sub_free(&vc); hero_tvr_sub_free(&sv); hero_tvr_sub_free(&vrs); hero_tvr_sub_free(&nv); hero_tvr_sub_free(&ns);
}

/* ---------------- VCMR / VR: the full retrieval evaluation ---------------- */

typedef struct ds_rank { double v; int64_t i; } ds_rank;
static int ds_rank_cmp(const void *a, const void *b) { /* descending, ties by index */
    const ds_rank *x = (const ds_rank *)a, *y = (const ds_rank *)b;
    if (x->v > y->v) return -1;
    if (x->v < y->v) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* softmax over rows of n (in place) */
static void ds_softmax_rows(float *x, int64_t rows, int n) {
    int64_t r;
    int j;
    for (r = 0; r < rows; r++) {
        float *p = x + r * n, mx = p[0], s = 0;
        for (j = 1; j < n; j++) if (p[j] > mx) mx = p[j];
        for (j = 0; j < n; j++) { p[j] = expf(p[j] - mx); s += p[j]; }
        for (j = 0; j < n; j++) p[j] /= s;
    }
}

static void ds_vsm_eval(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf, int vr) {
    const char *es = "eval_settings";
    int H = m->cfg.H, Lcfg = (int)ds_meta_num(tf, es, "max_clip_len", 0);
    int K = vr ? (int)ds_meta_num(tf, es, "max_vr_video", 100) : (int)ds_meta_num(tf, es, "max_vcmr_video", 100);
    int min_l = (int)ds_meta_num(tf, es, "min_pred_l", 2), max_l = (int)ds_meta_num(tf, es, "max_pred_l", 16);
    int before = (int)ds_meta_num(tf, es, "max_before_nms", 200), after = (int)ds_meta_num(tf, es, "max_after_nms", 100);
    float alpha = (float)ds_meta_num(tf, es, "q2c_alpha", 20), interval = (float)ds_meta_num(tf, es, "vfeat_interval", 1.5);
    int64_t Nv = 0, Nq = 0, nq_idx = 0, k, i;
    int64_t *order = ds_ints(tf, "in.eval_video_order", &Nv), *gidx = ds_ints(tf, "in.eval_video_global_idx", NULL);
    int64_t *qidx = ds_ints(tf, "in.eval_qidx", &nq_idx), *qvid = ds_ints(tf, "raw.q_vid", NULL);
    float *frames = NULL, *mq = NULL, *q2v = NULL, *st = NULL, *ed = NULL;
    int32_t *mask = NULL;
    int64_t *imask = NULL;
    int Lmax = 0, done = 0, kk = 0;
    hero_error err;
    char name[128];
    if (!order || !gidx || !qidx || !qvid || Lcfg <= 0 || K <= 0) { report_msg(g, task, "eval", "eval inputs / settings missing"); goto out; }
    frames = (float *)calloc((size_t)Nv * Lcfg * H, sizeof(float));
    mask = (int32_t *)calloc((size_t)Nv * Lcfg, sizeof(int32_t));
    if (!frames || !mask) goto oom;
    /* videos, in chunks as the official loop batches them, pasted into max_clip_len rows */
    for (k = 0;; k++) {
        ds_view v;
        hero_batch b;
        hero_result r;
        char pre[64];
        int n;
        snprintf(pre, sizeof(pre), "in.eval_v%d.", (int)k);
        n = ds_view_open(&v, tf, pre);
        if (n <= 0) { ds_view_close(&v); if (n < 0) goto oom; break; }
        memset(&b, 0, sizeof(b));
        if (golden_batch_from_in(&b, HERO_TASK_REPR, &v.tf, &err) || hero_forward_backward(m, &b, 0, NULL, &r, &err)) {
            snprintf(name, sizeof(name), "infer_chunk%d", (int)k);
            report_msg(g, task, name, err.msg);
            hero_batch_free(&b); ds_view_close(&v);
            goto out;
        } else {
            float *c = fetch(m, r.c_seq, (int64_t)b.B * b.L * H);
            int j, l;
            snprintf(name, sizeof(name), "out.infer_chunk%d_frame_embeddings", (int)k);
            if (!c || done + b.B > Nv || b.L > Lcfg) { free(c); hero_batch_free(&b); ds_view_close(&v); report_msg(g, task, name, "chunk does not fit"); goto out; }
            check(g, task, tf, name, c, (int64_t)b.B * b.L * H);
            for (j = 0; j < b.B; j++)
                for (l = 0; l < b.L; l++) {
                    memcpy(frames + (((size_t)done + j) * Lcfg + l) * H, c + ((size_t)j * b.L + l) * H, (size_t)H * sizeof(float));
                    mask[(done + j) * Lcfg + l] = b.c_attn_mask[j * b.L + l];
                }
            if (b.L > Lmax) Lmax = b.L;
            done += b.B;
            free(c);
        }
        hero_batch_free(&b);
        ds_view_close(&v);
    }
    if (done != Nv) { report_msg(g, task, "eval", "the video chunks do not cover eval_video_order"); goto out; }
    /* cut to the longest */
    for (i = 0; i < Nv; i++) {
        memmove(frames + (size_t)i * Lmax * H, frames + (size_t)i * Lcfg * H, (size_t)Lmax * H * sizeof(float));
        memmove(mask + i * Lmax, mask + i * Lcfg, (size_t)Lmax * sizeof(int32_t));
    }
    check(g, task, tf, "out.infer_frame_embeddings", frames, Nv * Lmax * H);
    if (!(imask = (int64_t *)malloc((size_t)Nv * Lmax * sizeof(int64_t)))) goto oom;
    for (i = 0; i < Nv * Lmax; i++) imask[i] = mask[i];
    ds_check_ints(g, task, tf, "out.infer_c_attn_masks", imask, Nv * Lmax);
    /* queries, batch by batch (each padded to its own longest) */
    if (!(mq = (float *)malloc((size_t)nq_idx * H * sizeof(float)))) goto oom;
    for (k = 0;; k++) {
        int64_t nids, nm;
        int64_t *ids, *msk;
        int32_t *i32, *m32;
        int Lq, n;
        snprintf(name, sizeof(name), "in.eval_q%d.query_input_ids", (int)k);
        if (!(ids = ds_ints(tf, name, &nids))) break;
        snprintf(name, sizeof(name), "in.eval_q%d.query_attn_masks", (int)k);
        msk = ds_ints(tf, name, &nm);
        Lq = (int)hero_tensorfile_find(tf, name)->shape[1];
        n = (int)(nids / Lq);
        i32 = (int32_t *)malloc((size_t)nids * sizeof(int32_t));
        m32 = (int32_t *)malloc((size_t)nids * sizeof(int32_t));
        if (!msk || nm != nids || !i32 || !m32 || Nq + n > nq_idx) { free(ids); free(msk); free(i32); free(m32); report_msg(g, task, "eval", "query batch unreadable"); goto out; }
        for (i = 0; i < nids; i++) { i32[i] = (int32_t)ids[i]; m32[i] = (int32_t)msk[i]; }
        if (hero_encode_queries(m, i32, m32, n, Lq, mq + Nq * H, &err)) { free(ids); free(msk); free(i32); free(m32); report_msg(g, task, "eval", err.msg); goto out; }
        Nq += n;
        free(ids); free(msk); free(i32); free(m32);
    }
    if (Nq != nq_idx) { report_msg(g, task, "eval", "query batches do not cover eval_qidx"); goto out; }
    q2v = (float *)malloc((size_t)Nq * Nv * sizeof(float));
    st = (float *)malloc((size_t)Nq * Nv * Lmax * sizeof(float));
    ed = (float *)malloc((size_t)Nq * Nv * Lmax * sizeof(float));
    if (!q2v || !st || !ed) goto oom;
    if (hero_vcmr_scores(m, mq, (int)Nq, frames, mask, (int)Nv, Lmax, q2v, vr ? NULL : st, vr ? NULL : ed, &err)) {
        report_msg(g, task, "eval", err.msg);
        goto out;
    }
    check(g, task, tf, "out.infer_q2video_scores", q2v, Nq * Nv);
    {
        /* video ranking: exp(alpha * q2video) (VCMR) or the raw scores (VR), top K */
        int Kk = K < Nv ? K : (int)Nv, q, j, s, e;
        ds_rank *rk = (ds_rank *)malloc((size_t)(Nv + (int64_t)Kk * Lmax * Lmax + 1) * sizeof(ds_rank));
        float *vs = (float *)calloc((size_t)Nq * Kk + 1, sizeof(float)); /* calloc: no -Wmaybe-uninitialized */
        int64_t *vi = (int64_t *)calloc((size_t)Nq * Kk + 1, sizeof(int64_t));
        int Bf = before, Af = after;
        float *fs = NULL;
        int64_t *fi = NULL, *svmr_n = NULL, *qx = NULL;
        double *tri = NULL, *sub = NULL, *sub_s = NULL, *sub_v = NULL;
        int64_t *sub_n = NULL;
        if (!rk || !vs || !vi) { free(rk); free(vs); free(vi); goto oom; }
        for (q = 0; q < Nq; q++) {
            for (j = 0; j < Nv; j++) {
                float x = vr ? q2v[q * Nv + j] : expf(alpha * q2v[q * Nv + j]);
                rk[j].v = x; rk[j].i = j;
            }
            qsort(rk, (size_t)Nv, sizeof(*rk), ds_rank_cmp);
            for (j = 0; j < Kk; j++) { vs[q * Kk + j] = (float)rk[j].v; vi[q * Kk + j] = rk[j].i; }
        }
        check(g, task, tf, "out.infer_vr_sorted_scores", vs, Nq * Kk);
        ds_check_ints(g, task, tf, "out.infer_vr_sorted_local_idx", vi, Nq * Kk);
        sub_n = (int64_t *)malloc((size_t)Nq * sizeof(int64_t));
        qx = (int64_t *)malloc((size_t)Nq * sizeof(int64_t));
        sub_v = (double *)malloc((size_t)Nq * Kk * 4 * sizeof(double));
        if (!sub_n || !qx || !sub_v) goto eval_oom;
        for (q = 0; q < Nq; q++) {
            qx[q] = qidx[q];
            sub_n[q] = Kk;
            for (j = 0; j < Kk; j++) {
                double *row = sub_v + ((size_t)q * Kk + j) * 4;
                row[0] = (double)gidx[vi[q * Kk + j]]; row[1] = 0; row[2] = 0; row[3] = vs[q * Kk + j];
            }
        }
        if (!vr) {
            size_t LL = (size_t)Lmax * Lmax;
            Bf = before < (int)(Kk * LL) ? before : (int)(Kk * LL);
            check(g, task, tf, "out.infer_st_logits", st, Nq * Nv * Lmax);
            check(g, task, tf, "out.infer_ed_logits", ed, Nq * Nv * Lmax);
            ds_softmax_rows(st, Nq * Nv, Lmax);
            ds_softmax_rows(ed, Nq * Nv, Lmax);
            check(g, task, tf, "out.infer_st_probs", st, Nq * Nv * Lmax);
            check(g, task, tf, "out.infer_ed_probs", ed, Nq * Nv * Lmax);
            /* VCMR: st_prob[v,s] * vr_score[v] * ed_prob[v,e] over the top videos, valid lengths only,
               flattened as (max_vcmr_video, max_clip_len, max_clip_len) and sorted */
            fs = (float *)malloc((size_t)Nq * Bf * sizeof(float));
            fi = (int64_t *)malloc((size_t)Nq * Bf * sizeof(int64_t));
            tri = (double *)malloc((size_t)Nq * before * 3 * sizeof(double));
            svmr_n = (int64_t *)malloc((size_t)Nq * sizeof(int64_t));
            sub = (double *)malloc((size_t)Nq * Af * 4 * sizeof(double));
            sub_s = (double *)malloc((size_t)Nq * Af * 4 * sizeof(double));
            if (!fs || !fi || !tri || !svmr_n || !sub || !sub_s) goto eval_oom;
            for (q = 0; q < Nq; q++) {
                int n = 0, gt = -1, na;
                for (j = 0; j < Kk; j++) {
                    int64_t v = vi[q * Kk + j];
                    for (s = 0; s < Lmax; s++)
                        for (e = 0; e < Lmax; e++) {
                            float x = st[(q * Nv + v) * Lmax + s] * vs[q * Kk + j] * ed[(q * Nv + v) * Lmax + e];
                            if (!(e - s >= min_l && e - s < max_l)) x = 0;
                            rk[n].v = x; rk[n].i = ((int64_t)j * Lcfg + s) * Lcfg + e; n++;
                        }
                }
                qsort(rk, (size_t)n, sizeof(*rk), ds_rank_cmp);
                for (j = 0; j < Bf; j++) { fs[q * Bf + j] = (float)rk[j].v; fi[q * Bf + j] = rk[j].i; }
                na = Bf < Af ? Bf : Af;
                for (j = 0; j < Af; j++) {
                    double *row = sub + ((size_t)q * Af + j) * 4;
                    if (j < na) {
                        int64_t f = fi[q * Bf + j], vl = f / ((int64_t)Lcfg * Lcfg);
                        int ss = (int)(f / Lcfg % Lcfg), ee = (int)(f % Lcfg);
                        row[0] = (double)gidx[vi[q * Kk + vl]];
                        row[1] = (double)((float)ss * interval);
                        row[2] = (double)((float)ee * interval + interval);
                        row[3] = fs[q * Bf + j];
                    } else { row[0] = -1; row[1] = row[2] = row[3] = 0; }
                }
                sub_n[q] = na;
                /* SVMR: the ground-truth video only, st_prob x ed_prob, valid lengths, top max_before_nms */
                for (j = 0; j < Nv; j++) if (order[j] == qvid[qidx[q]]) gt = j;
                if (gt < 0) { report_msg(g, task, "out.infer_svmr_triples", "ground-truth video not among the eval videos"); goto eval_out; }
                n = 0;
                for (s = 0; s < Lmax; s++)
                    for (e = 0; e < Lmax; e++) {
                        float x = st[(q * Nv + gt) * Lmax + s] * ed[(q * Nv + gt) * Lmax + e];
                        if (!(e - s >= min_l && e - s < max_l)) x = 0;
                        rk[n].v = x; rk[n].i = (int64_t)s * Lmax + e; n++;
                    }
                qsort(rk, (size_t)n, sizeof(*rk), ds_rank_cmp);
                for (j = 0; j < before; j++) {
                    double *row = tri + ((size_t)q * before + j) * 3;
                    if (j < n) { row[0] = (double)(rk[j].i / Lmax); row[1] = (double)(rk[j].i % Lmax); row[2] = (float)rk[j].v; }
                    else row[0] = row[1] = row[2] = 0;
                }
                for (j = 0; j < Af; j++) {
                    double *row = sub_s + ((size_t)q * Af + j) * 4, *t = tri + ((size_t)q * before + j) * 3;
                    if (j < before && j < n) {
                        row[0] = (double)gidx[gt]; row[1] = t[0] * (double)interval; row[2] = (t[1] + 1) * (double)interval; row[3] = t[2];
                    } else { row[0] = -1; row[1] = row[2] = row[3] = 0; }
                }
                svmr_n[q] = before < n ? (before < Af ? before : Af) : (n < Af ? n : Af);
            }
            check(g, task, tf, "out.infer_vcmr_flat_sorted_scores", fs, Nq * Bf);
            ds_check_ints(g, task, tf, "out.infer_vcmr_flat_sorted_idx", fi, Nq * Bf);
            ds_check_f64(g, task, tf, "out.infer_svmr_triples", tri, Nq * before * 3);
            ds_check_f64(g, task, tf, "out.sub.VCMR.pred", sub, Nq * Af * 4);
            ds_check_ints(g, task, tf, "out.sub.VCMR.n", sub_n, Nq);
            ds_check_ints(g, task, tf, "out.sub.VCMR.qidx", qx, Nq);
            ds_check_f64(g, task, tf, "out.sub.SVMR.pred", sub_s, Nq * Af * 4);
            ds_check_ints(g, task, tf, "out.sub.SVMR.n", svmr_n, Nq);
            ds_check_ints(g, task, tf, "out.sub.SVMR.qidx", qx, Nq);
        }
        /* VR rows (id, 0, 0, score) of the top videos (cut to max_after_nms: K <= it here) */
        for (q = 0; q < Nq; q++) sub_n[q] = Kk < after ? Kk : after;
        ds_check_f64(g, task, tf, "out.sub.VR.pred", sub_v, Nq * Kk * 4);
        ds_check_ints(g, task, tf, "out.sub.VR.n", sub_n, Nq);
        ds_check_ints(g, task, tf, "out.sub.VR.qidx", qx, Nq);
        { /* the metric half: the ground truth of the evaluated queries (video's global id, moment, type) */
            int64_t *gv = (int64_t *)malloc((size_t)Nq * sizeof(int64_t)), *ty64 = vr ? NULL : ds_ints(tf, "raw.q_type", NULL);
            double *qts = vr ? NULL : ds_f64(tf, "raw.q_ts", NULL), *gts = (double *)malloc((size_t)Nq * 2 * sizeof(double));
            int32_t *gty = (int32_t *)malloc((size_t)Nq * sizeof(int32_t));
            if (gv && gts && gty && (vr || (ty64 && qts))) {
                for (q = 0; q < Nq; q++) {
                    gv[q] = -1;
                    for (j = 0; j < Nv; j++) if (order[j] == qvid[qidx[q]]) gv[q] = gidx[j];
                    if (!vr) { gts[2 * q] = qts[2 * qidx[q]]; gts[2 * q + 1] = qts[2 * qidx[q] + 1]; gty[q] = (int32_t)ty64[qidx[q]]; }
                }
                ds_vsm_metrics(g, task, tf, vr, (int)Nq, qidx, gv, vr ? NULL : gts, vr ? NULL : gty, gidx, (int)Nv, fi, fs, Bf, vi, vs,
                               Kk, tri, before, after, Lcfg, interval);
            } else {
                report_msg(g, task, "metrics", "ground truth (raw.q_ts / raw.q_type) unreadable");
            }
            free(gv); free(ty64); free(qts); free(gts); free(gty);
        }
        kk = 0;
        goto eval_out;
    eval_oom:
        kk = 1;
    eval_out:
        free(rk); free(vs); free(vi); free(fs); free(fi); free(tri); free(svmr_n); free(sub); free(sub_s); free(sub_v);
        free(sub_n); free(qx);
        if (kk) goto oom;
    }
    goto out;
oom:
    report_msg(g, task, "eval", "out of memory");
out:
    free(order); free(gidx); free(qidx); free(qvid); free(frames); free(mask); free(imask); free(mq); free(q2v); free(st);
    free(ed);
}

/* ---------------- video QA / VIOLIN ---------------- */

static void ds_ft_task(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf, int qa) {
    hero_batch b;
    hero_result r;
    hero_error err;
    int H = m->cfg.H, i;
    if (qa) m->cfg.lw_st_ed = (float)ds_meta_num(tf, "loss_settings", "lw_st_ed", 0.4);
    if (ds_ft_batch(&b, tf, qa, &err)) { report_msg(g, task, "batch", err.msg); hero_batch_free(&b); return; }
    hero_zero_grad(m);
    for (i = 0; i < m->n_params; i++) m->table[i].has_grad = 0;
    if (hero_forward_backward(m, &b, 1, NULL, &r, &err)) {
        report_msg(g, task, "forward", err.msg);
    } else {
        int B = b.B, L = b.L, Q = b.B / b.n_cand, nr = r.n_rows, nc = r.n_cols;
        float *logits = fetch(m, r.scores, (int64_t)nr * nc);
        for (i = 0; i < tf->n_tensors; i++) {
            const char *name = tf->tensors[i].name, *k = name + 4;
            float s = 0, *h = NULL;
            int64_t n = 0;
            if (strncmp(name, "out.", 4) != 0 || !strncmp(k, "eval_", 5)) continue;
            if (!strcmp(k, "loss")) s = r.loss;
            else if (!strcmp(k, "loss_qa")) s = r.loss_task;
            else if (!strcmp(k, "loss_st")) s = r.loss_st;
            else if (!strcmp(k, "loss_ed")) s = r.loss_ed;
            else if (!strcmp(k, "loss_st_ed")) s = r.loss_st_ed;
            else if (!strcmp(k, "f_sequence_output")) h = fetch(m, r.f_seq, n = (int64_t)b.S * b.Lg * H);
            else if (!strcmp(k, "transformed_c_v_feats")) h = fetch(m, r.transformed, n = (int64_t)B * L * H);
            else if (!strcmp(k, "fused_sequence_output")) h = fetch(m, r.fused, n = (int64_t)B * r.fused_len * H);
            else if (!strcmp(k, "qa_pooled_video") || !strcmp(k, "pooled_video")) h = fetch(m, r.pooled, n = (int64_t)B * H);
            else if (!strcmp(k, "st_ed_pooled_video")) h = fetch(m, r.span_pooled, n = (int64_t)Q * L * H);
            else if (!strcmp(k, "st_prob")) h = fetch(m, r.st_prob, n = (int64_t)Q * L);
            else if (!strcmp(k, "ed_prob")) h = fetch(m, r.ed_prob, n = (int64_t)Q * L);
            else if (!strcmp(k, "logits")) h = fetch(m, r.scores, n = (int64_t)nr * nc);
            else if (!strcmp(k, "scores")) { /* VIOLIN: sigmoid(logits) */
                h = fetch(m, r.scores, n = (int64_t)nr * nc);
                if (h) for (int64_t j = 0; j < n; j++) h[j] = 1.0f / (1.0f + expf(-h[j]));
            } else { report_msg(g, task, name, "unknown output"); continue; }
            if (n == 0) check(g, task, tf, name, &s, 1);
            else if (h) check(g, task, tf, name, h, n);
            else report_msg(g, task, name, "out of memory");
            free(h);
        }
        ds_check_grads(g, m, task, tf);
        /* evaluation (validate_videoQA / validate_violin): the same rows in eval mode (no dropout here,
           so the same logits); prediction, summed loss / n, accuracy */
        if (logits && hero_tensorfile_find(tf, "out.eval_logits")) {
            int64_t *pred = (int64_t *)malloc((size_t)nr * sizeof(int64_t));
            double loss = 0, acc;
            if (pred) {
                hero_qa_eval(logits, nr, nc, b.labels, pred, &loss, &acc);
                check(g, task, tf, "out.eval_logits", logits, (int64_t)nr * nc);
                ds_check_ints(g, task, tf, "out.eval_pred", pred, nr);
                ds_check_f64(g, task, tf, "out.eval_loss", &loss, 1);
                ds_check_f64(g, task, tf, "out.eval_acc", &acc, 1);
            }
            free(pred);
        }
        free(logits);
    }
    hero_batch_free(&b);
}

/* ---------------- TVC: training step and greedy decoding ---------------- */

/* HeroForTvc: out.* of the training batch, loss_vec over the targets that are not -1, grad.*; greedy
   decoding of in.gen.* (integers exactly) */
static void ds_tvc_task(golden_ctx *g, hero_model *m, const char *task, const hero_tensorfile *tf) {
    hero_batch b;
    hero_result r;
    hero_error err;
    int H = m->cfg.H, Vp = m->cfg.Vp, i;
    ds_view v;
    m->cfg.lsr = (float)ds_meta_num(tf, "loss_settings", "lsr", 0.1);
    if (ds_tvc_batch(&b, tf, 1, &err)) { report_msg(g, task, "batch", err.msg); hero_batch_free(&b); return; }
    hero_zero_grad(m);
    for (i = 0; i < m->n_params; i++) m->table[i].has_grad = 0;
    if (hero_forward_backward(m, &b, 1, NULL, &r, &err)) {
        report_msg(g, task, "forward", err.msg);
    } else {
        int64_t NT = (int64_t)b.n_caps * b.cap_len;
        for (i = 0; i < tf->n_tensors; i++) {
            const char *name = tf->tensors[i].name, *k = name + 4;
            float s = 0, *h = NULL;
            int64_t n = 0, j, nv = 0;
            if (strncmp(name, "out.", 4) != 0 || !strncmp(k, "gen_", 4)) continue;
            if (!strcmp(k, "loss")) s = r.loss;
            else if (!strcmp(k, "frame_embeddings")) h = fetch(m, r.c_seq, n = (int64_t)b.B * b.L * H);
            else if (!strcmp(k, "decoder_input")) h = fetch(m, r.dec_in, n = NT * H);
            else if (!strcmp(k, "decoder_output")) h = fetch(m, r.dec_out, n = NT * H);
            else if (!strcmp(k, "prediction_scores")) h = fetch(m, r.scores, n = NT * Vp);
            else if (!strcmp(k, "loss_vec")) { /* the rows whose target is not -1, in order */
                h = fetch(m, r.loss_vec, NT);
                for (j = 0; h && j < NT; j++) if (b.cap_tgt[j] >= 0) h[nv++] = h[j];
                n = nv;
            } else { report_msg(g, task, name, "unknown output"); continue; }
            if (n == 0) check(g, task, tf, name, &s, 1);
            else if (h) check(g, task, tf, name, h, n);
            else report_msg(g, task, name, "out of memory");
            free(h);
        }
        ds_check_grads(g, m, task, tf);
    }
    hero_batch_free(&b);
    /* greedy decoding: the eval batch in.gen.*, steps = out.gen_ids' columns, BOS / EOS from data_settings */
    if (ds_view_open(&v, tf, "in.gen.") <= 0) { report_msg(g, task, "in.gen", "no generation batch"); ds_view_close(&v); return; }
    if (ds_tvc_batch(&b, &v.tf, 0, &err)) {
        report_msg(g, task, "gen-batch", err.msg);
    } else {
        const hero_tensor_info *t = hero_tensorfile_find(tf, "out.gen_ids");
        int steps = t && t->ndim == 2 ? (int)t->shape[1] : 0, N = b.n_caps;
        int bos = (int)ds_meta_num(tf, "data_settings", "bos", 0), eos = (int)ds_meta_num(tf, "data_settings", "eos", 2);
        size_t nsc = (size_t)N * (steps > 0 ? steps : 1);
        int32_t *ids = (int32_t *)malloc(nsc * sizeof(int32_t)), *len = (int32_t *)malloc((size_t)N * sizeof(int32_t));
        int32_t *am = (int32_t *)malloc(nsc * sizeof(int32_t));
        float *ss = (float *)malloc(nsc * Vp * sizeof(float)), *fs = (float *)malloc(nsc * Vp * sizeof(float));
        int64_t *w = (int64_t *)malloc(nsc * sizeof(int64_t));
        if (!ids || !len || !am || !ss || !fs || !w || steps <= 0) {
            report_msg(g, task, "gen", "out of memory or no out.gen_ids");
        } else if (hero_tvc_generate(m, &b, steps, bos, eos, ids, len, ss, fs, am, &err)) {
            report_msg(g, task, "gen", err.msg);
        } else {
            size_t j;
            check(g, task, tf, "out.gen_step_scores", ss, (int64_t)nsc * Vp);
            check(g, task, tf, "out.gen_final_scores", fs, (int64_t)nsc * Vp);
            for (j = 0; j < nsc; j++) w[j] = am[j];
            ds_check_ints(g, task, tf, "out.gen_final_argmax", w, (int64_t)nsc);
            for (j = 0; j < nsc; j++) w[j] = ids[j];
            ds_check_ints(g, task, tf, "out.gen_ids", w, (int64_t)nsc);
            for (j = 0; j < (size_t)N; j++) w[j] = len[j];
            ds_check_ints(g, task, tf, "out.gen_len", w, N);
        }
        free(ids); free(len); free(am); free(ss); free(fs); free(w);
    }
    hero_batch_free(&b);
    ds_view_close(&v);
}

/* ---------------- the batch rebuilt from raw.* + choice.* ---------------- */

static void ds_field(hero_batch_field *f, const char *key, const int32_t *data, int64_t d0, int64_t d1) {
    memset(f, 0, sizeof(*f));
    f->key = key; f->dtype = HERO_I32; f->data = data; f->ndim = 2; f->shape[0] = d0; f->shape[1] = d1;
}

/* the items of choice.batch_qidx (raw query / question / statement indices) as hero_build_ft_batch
   builds them, compared with every in.* the model uses */
static void ds_check_rebuild(golden_ctx *g, const hero_model *m, const char *task, const hero_tensorfile *tf, hero_task kind) {
    hero_batch_options o;
    hero_corpus gv;
    hero_batch b;
    hero_batch_field f[HERO_BATCH_MAX_FIELDS + 8];
    hero_error err;
    int64_t nq = 0, nraw = 0, i, j;
    int64_t *qidx = ds_ints(tf, "choice.batch_qidx", &nq), *qvid = ds_ints(tf, "raw.q_vid", &nraw);
    int64_t *qlen = ds_ints(tf, "raw.q_len", NULL), *qtok = ds_ints(tf, "raw.q_tokens", NULL);
    int64_t *alen = NULL, *atok = NULL, *ans = NULL, *hts = NULL;
    double *ts = NULL, iv = ds_meta_num(tf, "data_settings", "vfeat_interval", 1.5);
    int32_t *tok32 = NULL, *alen32 = NULL, *atok32 = NULL;
    int64_t ntok = 0, natok = 0, *qoff = NULL, *aoff = NULL;
    hero_ft_item *items = NULL;
    int n;
    memset(&gv, 0, sizeof(gv));
    memset(&b, 0, sizeof(b));
    if (kind == HERO_TASK_VIDEOQA) {
        alen = ds_ints(tf, "raw.a_len", NULL); atok = ds_ints(tf, "raw.a_tokens", &natok);
        ans = ds_ints(tf, "raw.answer", NULL); hts = ds_ints(tf, "raw.has_ts", NULL); ts = ds_f64(tf, "raw.ts", NULL);
    } else if (kind == HERO_TASK_VIOLIN) {
        ans = ds_ints(tf, "raw.target", NULL);
    } else {
        ts = ds_f64(tf, "raw.q_ts", NULL);
    }
    if (!qidx || !qvid || !qlen || !qtok || (kind == HERO_TASK_VIDEOQA && (!alen || !atok || !ans || !hts || !ts)) ||
        (kind == HERO_TASK_VIOLIN && !ans)) {
        report_msg(g, task, "batch-from-raw", "raw.* / choice.batch_qidx incomplete");
        goto done;
    }
    hero_tensorfile_find(tf, "raw.q_tokens");
    ntok = hero_tensor_numel(hero_tensorfile_find(tf, "raw.q_tokens"));
    qoff = (int64_t *)calloc((size_t)nraw + 1, sizeof(int64_t));
    aoff = (int64_t *)calloc((size_t)nraw * 5 + 1, sizeof(int64_t));
    tok32 = (int32_t *)malloc((size_t)(ntok + 1) * sizeof(int32_t));
    atok32 = (int32_t *)malloc((size_t)(natok + 1) * sizeof(int32_t));
    alen32 = (int32_t *)malloc((size_t)nraw * 5 * sizeof(int32_t) + 4);
    items = (hero_ft_item *)calloc((size_t)nq + 1, sizeof(hero_ft_item));
    if (!qoff || !aoff || !tok32 || !atok32 || !alen32 || !items) { report_msg(g, task, "batch-from-raw", "out of memory"); goto done; }
    for (i = 0; i < ntok; i++) tok32[i] = (int32_t)qtok[i];
    for (i = 0; i < nraw; i++) qoff[i + 1] = qoff[i] + qlen[i];
    if (qoff[nraw] != ntok) { report_msg(g, task, "batch-from-raw", "raw.q_len does not add up to raw.q_tokens"); goto done; }
    if (alen) {
        for (i = 0; i < natok; i++) atok32[i] = (int32_t)atok[i];
        for (i = 0; i < nraw * 5; i++) { aoff[i + 1] = aoff[i] + alen[i]; alen32[i] = (int32_t)alen[i]; }
        if (aoff[nraw * 5] != natok) { report_msg(g, task, "batch-from-raw", "raw.a_len does not add up to raw.a_tokens"); goto done; }
    }
    for (i = 0; i < nq; i++) {
        int64_t q = qidx[i];
        hero_ft_item *it = &items[i];
        if (q < 0 || q >= nraw) { report_msg(g, task, "batch-from-raw", "choice.batch_qidx out of range"); goto done; }
        it->video = (int)qvid[q];
        it->len = (int)qlen[q];
        it->tokens = tok32 + qoff[q];
        it->label = ans ? (int)ans[q] : -1;
        if (kind == HERO_TASK_VIDEOQA) {
            it->n_cand = 5; it->cand_len = alen32 + q * 5; it->cand_tokens = atok32 + aoff[q * 5];
            it->has_ts = (int)hts[q];
        } else if (kind == HERO_TASK_VSM) {
            it->has_ts = ts != NULL && ts[2 * q] == ts[2 * q];
        }
        if (ts) { it->ts[0] = ts[2 * q]; it->ts[1] = ts[2 * q + 1]; }
    }
    if (golden_batch_options(&o, tf, m->cfg.V, &err) || (o.keep_all_subs = !strcmp(task, "vr"), 0) || /* VrSubTokLmdb */
        hero_corpus_read(&gv, tf, &err) ||
        hero_build_ft_batch(&b, kind, gv.videos, gv.n_videos, items, (int)nq, iv, &o, &err)) {
        report_msg(g, task, "batch-from-raw", err.msg);
        goto done;
    }
    n = hero_batch_fields(&b, f);
    if (kind == HERO_TASK_VIDEOQA || kind == HERO_TASK_VIOLIN) {
        int qa = kind == HERO_TASK_VIDEOQA;
        ds_field(&f[n++], qa ? "qa_input_ids" : "q_input_ids", b.q_ids, b.Nq, b.Lq);
        ds_field(&f[n++], qa ? "qa_pos_ids" : "q_pos_ids", b.q_pos, 1, b.Lq);
        ds_field(&f[n++], qa ? "qa_attn_masks" : "q_attn_masks", b.q_mask, b.Nq, b.Lq);
        ds_field(&f[n++], "targets", b.labels, b.B / b.n_cand, 1);
        if (qa) ds_field(&f[n++], "ts_targets", b.vsm_targets, b.B / b.n_cand, 2);
    }
    for (j = 0; j < n; j++) {
        char name[96];
        double e;
        snprintf(name, sizeof(name), "in.%s", f[j].key);
        if (golden_field_err(&f[j], tf, &e, &err)) report_msg(g, task, name, err.msg);
        else report_tol(g, task, name, e, 0.0);
    }
    if (kind == HERO_TASK_VSM) { /* the video order: in.vids (raw indices) */
        int64_t *vids = (int64_t *)malloc((size_t)nq * sizeof(int64_t));
        if (vids) {
            for (i = 0; i < nq; i++) vids[i] = items[i].video;
            ds_check_ints(g, task, tf, "in.vids", vids, nq);
        }
        free(vids);
    }
done:
    hero_batch_free(&b);
    hero_corpus_free(&gv);
    free(qidx); free(qvid); free(qlen); free(qtok); free(alen); free(atok); free(ans); free(hts); free(ts);
    free(tok32); free(alen32); free(atok32); free(qoff); free(aoff); free(items);
}

/* TVC: the training batch rebuilt from raw.cap_* (the captions of choice.batch_vidx's videos, raw
   order = vid2caps) and the generation batch from raw.clip_* (in.gen.clip_order), each compared
   with every in.* / in.gen.* the model uses (clip_ranges_per_video, cap_attn_mask, cap_pos_ids
   derived from the batch) */
static void ds_tvc_rebuild(golden_ctx *g, const hero_model *m, const char *task, const hero_tensorfile *tf, int gen) {
    hero_batch_options o;
    hero_corpus gv;
    hero_batch b;
    hero_batch_field f[HERO_BATCH_MAX_FIELDS + 8];
    hero_error err;
    ds_view v;
    const char *pre = gen ? "gen." : "";
    int64_t nsel = 0, nraw = 0, i, j, n_items = 0, *off = NULL;
    int64_t *sel = ds_ints(tf, gen ? "in.gen.clip_order" : "choice.batch_vidx", &nsel);
    int64_t *vid = ds_ints(tf, gen ? "raw.clip_vid" : "raw.cap_vid", &nraw);
    int64_t *clen = gen ? NULL : ds_ints(tf, "raw.cap_len", NULL), *ctok = gen ? NULL : ds_ints(tf, "raw.cap_tokens", NULL);
    double *ts = ds_f64(tf, gen ? "raw.clip_ts" : "raw.cap_ts", NULL), iv = ds_meta_num(tf, "data_settings", "vfeat_interval", 1.5);
    int32_t *tok32 = NULL;
    hero_ft_item *items = NULL;
    int n, bad;
    char name[96];
    memset(&gv, 0, sizeof(gv));
    memset(&b, 0, sizeof(b));
    memset(&v, 0, sizeof(v));
    if (!sel || !vid || !ts || (!gen && (!clen || !ctok))) { report_msg(g, task, gen ? "gen-batch-from-raw" : "batch-from-raw", "raw.* incomplete"); goto done; }
    off = (int64_t *)calloc((size_t)nraw + 1, sizeof(int64_t));
    items = (hero_ft_item *)calloc((size_t)nraw + 1, sizeof(hero_ft_item));
    tok32 = (int32_t *)malloc(((size_t)(gen ? 0 : hero_tensor_numel(hero_tensorfile_find(tf, "raw.cap_tokens"))) + 1) * sizeof(int32_t));
    if (!off || !items || !tok32) { report_msg(g, task, "batch-from-raw", "out of memory"); goto done; }
    for (i = 0; i < nraw; i++) off[i + 1] = off[i] + (clen ? clen[i] : 0);
    for (i = 0; clen && i < off[nraw]; i++) tok32[i] = (int32_t)ctok[i];
    for (i = 0; i < nsel; i++) { /* training: every caption of video sel[i]; generation: clip sel[i] */
        for (j = 0; j < nraw; j++) {
            hero_ft_item *it;
            if (gen ? j != sel[i] : vid[j] != sel[i]) continue;
            it = &items[n_items++];
            it->video = (int)vid[j];
            it->len = clen ? (int)clen[j] : 0;
            it->tokens = tok32 + off[j];
            it->has_ts = 1; it->ts[0] = ts[2 * j]; it->ts[1] = ts[2 * j + 1];
        }
    }
    if (golden_batch_options(&o, tf, m->cfg.V, &err) || hero_corpus_read(&gv, tf, &err) ||
        hero_build_ft_batch(&b, HERO_TASK_TVC, gv.videos, gv.n_videos, items, (int)n_items, iv, &o, &err)) {
        report_msg(g, task, gen ? "gen-batch-from-raw" : "batch-from-raw", err.msg);
        goto done;
    }
    if (gen && ds_view_open(&v, tf, "in.gen.") <= 0) { report_msg(g, task, "gen-batch-from-raw", "no in.gen.*"); goto done; }
    n = hero_batch_fields(&b, f);
    for (j = 0; j < n; j++) {
        double e;
        if (gen && (!strcmp(f[j].key, "cap_input_ids") || !strcmp(f[j].key, "cap_tgt_ids"))) continue; /* no captions */
        snprintf(name, sizeof(name), "in.%s%s", pre, f[j].key);
        if (golden_field_err(&f[j], gen ? &v.tf : tf, &e, &err)) report_msg(g, task, name, err.msg);
        else report_tol(g, task, name, e, 0.0);
    }
    { /* clip_ranges_per_video from clip_vidx, cap_attn_mask from the ranges, cap_pos_ids = 0.. */
        int64_t npv = b.B, *per = (int64_t *)calloc((size_t)npv + 1, sizeof(int64_t)), L = 1, nm = 0, *mk;
        double e = 0;
        for (i = 0; per && i < b.n_caps; i++) per[b.clip_vidx[i]]++;
        snprintf(name, sizeof(name), "in.%sclip_ranges_per_video", pre);
        if (per) ds_check_ints(g, task, tf, name, per, npv);
        free(per);
        for (i = 0; i < b.n_caps; i++) if (b.clip_ranges[2 * i + 1] - b.clip_ranges[2 * i] > L) L = b.clip_ranges[2 * i + 1] - b.clip_ranges[2 * i];
        snprintf(name, sizeof(name), "in.%scap_attn_mask", pre);
        mk = ds_ints(tf, name, &nm);
        if (!mk || nm != (int64_t)b.n_caps * L) e = 1;
        for (i = 0; !e && i < b.n_caps; i++)
            for (j = 0; j < L; j++) if (mk[i * L + j] != (j < b.clip_ranges[2 * i + 1] - b.clip_ranges[2 * i])) e = 1;
        report_tol(g, task, name, e, 0.0);
        free(mk);
        if (!gen) {
            int64_t np = 0, *pos = ds_ints(tf, "in.cap_pos_ids", &np);
            bad = !pos || np != b.cap_len;
            for (i = 0; !bad && i < np; i++) bad = pos[i] != i;
            report_tol(g, task, "in.cap_pos_ids", bad, 0.0);
            free(pos);
        }
    }
done:
    ds_view_close(&v);
    hero_batch_free(&b);
    hero_corpus_free(&gv);
    free(sel); free(vid); free(clen); free(ctok); free(ts); free(off); free(items); free(tok32);
}

/* ---------------- the directory ---------------- */

static const char *DS_TASKS[] = {"vcmr", "vcmr_hard", "vr", "videoqa", "violin", "tvc"};

static int ds_is_downstream(const char *dir) {
    char p[1024];
    int i;
    for (i = 0; i < (int)(sizeof(DS_TASKS) / sizeof(DS_TASKS[0])); i++) {
        snprintf(p, sizeof(p), "%s/%s.safetensors", dir, DS_TASKS[i]);
        if (file_exists(p)) return 1;
    }
    return 0;
}

static void ds_run_task(golden_ctx *g, const char *dir, const char *task) {
    char path[1024], cfg[1024], ckpt[1024];
    hero_tensorfile tf;
    hero_model m;
    hero_error err;
    hero_load_report rep;
    snprintf(path, sizeof(path), "%s/%s.safetensors", dir, task);
    if (!file_exists(path)) return;
    snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
    snprintf(ckpt, sizeof(ckpt), "%s/%s.pt", dir, !strcmp(task, "vcmr_hard") ? "vcmr" : task);
    if (hero_tensorfile_open(&tf, path, &err)) { report_msg(g, task, "file", err.msg); return; }
    if (hero_model_load(&m, cfg, ckpt, &rep, &err)) { report_msg(g, task, "load", err.msg); hero_tensorfile_close(&tf); return; }
    if (setup_model(&m, &err)) { report_msg(g, task, "precision", err.msg); goto done; }
    if (rep.n_unexpected) report_msg(g, task, "unexpected-keys", rep.unexpected);
    if (rep.n_missing) report_msg(g, task, "missing-keys", rep.missing);
    if (!strcmp(task, "tvc")) {
        ds_tvc_task(g, &m, task, &tf);
        ds_tvc_rebuild(g, &m, task, &tf, 0);
        ds_tvc_rebuild(g, &m, task, &tf, 1);
    } else if (!strcmp(task, "videoqa") || !strcmp(task, "violin")) {
        ds_ft_task(g, &m, task, &tf, !strcmp(task, "videoqa"));
        ds_check_rebuild(g, &m, task, &tf, !strcmp(task, "videoqa") ? HERO_TASK_VIDEOQA : HERO_TASK_VIOLIN);
    } else {
        ds_vsm_settings(&m, &tf);
        ds_vsm_train(g, &m, task, &tf);
        if (hero_tensorfile_find(&tf, "in.eval_video_order")) ds_vsm_eval(g, &m, task, &tf, !strcmp(task, "vr"));
        ds_check_rebuild(g, &m, task, &tf, HERO_TASK_VSM);
    }
done:
    hero_model_free(&m);
    hero_tensorfile_close(&tf);
}

static void ds_run_dir(golden_ctx *g, const char *dir) {
    int i;
    for (i = 0; i < (int)(sizeof(DS_TASKS) / sizeof(DS_TASKS[0])); i++) ds_run_task(g, dir, DS_TASKS[i]);
}

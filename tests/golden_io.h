/* golden_io.h: reading the official implementation's golden files (tests/golden/, ../shared/golden)
   into hero.h's batches, for the tests, hero_golden and the benches. Not part of the library: hero.h
   reads the corpus (raw.*: hero_corpus_read) and checked tensors (hero_tensorfile_get_i32 / _f32);
   this file adds what only a comparison with the official code needs:

     golden_batch_from_in     a batch straight from the file's in.* tensors (what the official collate built)
     golden_choices_read      the random choices the official code made (choice.*)
     golden_batch_options     hero_batch_options from the metadata data_settings + opt.* scalars
     golden_batch_from_raw    options + raw.* corpus + choice.* -> hero_build_batch (the batch rebuilt)
     golden_field_err         one hero_batch_field vs the file's in.<key> tensor (relative error)

   Include after hero.h (any translation unit; only hero.h's public API is used). Functions return
   0 or a HERO_E* code with the message in *err (file, tensor, expected vs found). */
#ifndef HERO_GOLDEN_IO_H
#define HERO_GOLDEN_IO_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define GOLDEN__FN static __attribute__((unused))
#else
#define GOLDEN__FN static
#endif

#define GOLDEN_MAXDIM 0x3fffffff /* largest count / length accepted (as hero.h's readers) */
#define GOLDEN__G(call) do { rc = (call); if (rc) goto fail; } while (0) /* needs `int rc` and a `fail:` label */

GOLDEN__FN int golden__fail(hero_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__) && !defined(__MINGW32__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
GOLDEN__FN int golden__fail(hero_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

GOLDEN__FN const char *golden__path(const hero_tensorfile *tf) { return tf && tf->path ? tf->path : "golden file"; }

/* n elements of size sz, at least 1 byte; NULL on overflow or failure */
GOLDEN__FN void *golden__alloc(size_t n, size_t sz) {
    if (sz != 0 && n > ((size_t)-1) / sz) return NULL;
    return HERO_MALLOC((n * sz) != 0 ? (n * sz) : 1);
}

GOLDEN__FN int64_t golden__sum(const int32_t *a, int n) {
    int64_t s = 0;
    int i;
    for (i = 0; i < n; i++) s += a[i];
    return s;
}

/* a 0/1 tensor -> uint8 array (HERO_MALLOC'd into *dst) */
GOLDEN__FN int golden__get_u8(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                              uint8_t **dst, hero_error *err) {
    int32_t *tmp = NULL;
    size_t n = 1, i;
    int d, rc = hero_tensorfile_get_i32(tf, name, ndim, want, dims, 0, 1, &tmp, err);
    *dst = NULL;
    if (rc) return rc;
    for (d = 0; d < ndim; d++) n *= (size_t)dims[d];
    *dst = (uint8_t *)golden__alloc(n, 1);
    if (!*dst) { HERO_FREE(tmp); return golden__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", golden__path(tf), name); }
    for (i = 0; i < n; i++) (*dst)[i] = (uint8_t)tmp[i];
    HERO_FREE(tmp);
    return HERO_OK;
}
GOLDEN__FN int golden_batch_from_in(hero_batch *b, hero_task task, const hero_tensorfile *tf, hero_error *err) {
    int d[3], w[3], rc, i;
    const int BIG = GOLDEN_MAXDIM;
    int mlm = task == HERO_TASK_MLM;
    if (!b) return golden__fail(err, HERO_EINVAL, "golden_batch_from_in: b is NULL");
    memset(b, 0, sizeof(*b));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return golden__fail(err, HERO_EINVAL, "golden_batch_from_in: tf NULL or task %d unknown", (int)task);
    b->task = task;
#define GOLDEN__W(a, b_, c) (w[0] = (a), w[1] = (b_), w[2] = (c), w)
    /* cross-modal rows */
    GOLDEN__G(hero_tensorfile_get_i32(tf, mlm ? "in.input_ids" : "in.f_sub_input_ids", 2, NULL, d, 0, INT32_MAX, &b->txt_ids, err));
    b->S = d[0];
    b->Lt = d[1];
    GOLDEN__G(hero_tensorfile_get_i32(tf, mlm ? "in.position_ids" : "in.f_sub_pos_ids", 2, GOLDEN__W(1, b->Lt, 0), d, 0, BIG, &b->txt_pos, err));
    GOLDEN__G(hero_tensorfile_get_f32(tf, mlm ? "in.v_feat" : "in.f_v_feats", 3, GOLDEN__W(b->S, -1, -1), d, &b->f_v_feats, err));
    b->Lv = d[1];
    b->F = d[2];
    GOLDEN__G(hero_tensorfile_get_i32(tf, mlm ? "in.attn_masks" : "in.f_attn_masks", 2, GOLDEN__W(b->S, -1, 0), d, 0, 1, &b->f_attn_mask, err));
    b->Lg = d[1];
    if ((int64_t)b->Lg > (int64_t)b->Lv + b->Lt) {
        rc = golden__fail(err, HERO_ESHAPE, "%s: attention length %d exceeds frames %d + words %d", golden__path(tf), b->Lg, b->Lv, b->Lt);
        goto fail;
    }
    GOLDEN__G(hero_tensorfile_get_i32(tf, mlm ? "in.gather_index" : "in.f_gather_index", 2, GOLDEN__W(b->S, b->Lg, 0), d, 0,
                               (int64_t)b->Lv + b->Lt - 1, &b->f_gather, err));
    if (mlm) {
        b->f_v_pos = (int32_t *)golden__alloc((size_t)b->Lv, sizeof(int32_t));
        if (!b->f_v_pos) { rc = golden__fail(err, HERO_ENOMEM, "%s: out of memory", golden__path(tf)); goto fail; }
        for (i = 0; i < b->Lv; i++) b->f_v_pos[i] = i;
    } else {
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.f_v_pos_ids", 2, GOLDEN__W(1, b->Lv, 0), d, 0, BIG, &b->f_v_pos, err));
    }
    /* per-video bookkeeping and temporal input (the official MLM batch has none) */
    if (!mlm) {
        int64_t sum = 0;
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.num_subs", 1, NULL, d, 0, BIG, &b->num_subs, err));
        b->B = d[0];
        for (i = 0; i < b->B; i++) sum += b->num_subs[i];
        if (sum != b->S) { rc = golden__fail(err, HERO_ESHAPE, "%s: in.num_subs sum to %lld, expected %d rows", golden__path(tf), (long long)sum, b->S); goto fail; }
        b->n_s2f = b->S;
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.s2f_sub_idx", 1, GOLDEN__W(b->S, 0, 0), d, 0, BIG, &b->s2f_sub_idx, err));
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.s2f_nframes", 1, GOLDEN__W(b->S, 0, 0), d, 0, BIG, &b->s2f_nframes, err));
        sum = 0;
        for (i = 0; i < b->S; i++) sum += b->s2f_nframes[i];
        if (sum > BIG) { rc = golden__fail(err, HERO_ELIMIT, "%s: %lld s2f frames", golden__path(tf), (long long)sum); goto fail; }
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.s2f_frames", 1, GOLDEN__W((int)sum, 0, 0), d, 0, BIG, &b->s2f_frames, err));
    }
    if (!mlm) {
        GOLDEN__G(hero_tensorfile_get_f32(tf, "in.c_v_feats", 3, GOLDEN__W(b->B, -1, b->F), d, &b->c_v_feats, err));
        b->L = d[1];
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.c_attn_masks", 2, GOLDEN__W(b->B, b->L, 0), d, 0, 1, &b->c_attn_mask, err));
        {
            int64_t k, nfr = 0;
            for (k = 0; k < b->S; k++) nfr += b->s2f_nframes[k];
            for (k = 0; k < nfr; k++)
                if (b->s2f_frames[k] >= b->L) {
                    rc = golden__fail(err, HERO_EFORMAT, "%s: in.s2f_frames[%lld] is %d, expected < %d frames", golden__path(tf), (long long)k, (int)b->s2f_frames[k], b->L);
                    goto fail;
                }
        }
    }
    switch (task) {
    case HERO_TASK_MLM:
        GOLDEN__G(golden__get_u8(tf, "in.txt_mask_tgt", 2, GOLDEN__W(b->S, b->Lg, 0), d, &b->txt_mask_tgt, err));
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.txt_labels", 1, NULL, d, 0, INT32_MAX, &b->txt_labels, err));
        b->n_mlm = d[0];
        break;
    case HERO_TASK_MFM_NCE:
    case HERO_TASK_MFFR:
        GOLDEN__G(golden__get_u8(tf, "in.f_v_masks", 2, GOLDEN__W(b->S, b->Lv, 0), d, &b->f_v_masks, err));
        GOLDEN__G(golden__get_u8(tf, "in.c_v_masks", 2, GOLDEN__W(b->B, b->L, 0), d, &b->c_v_masks, err));
        GOLDEN__G(hero_tensorfile_get_f32(tf, "in.feat_targets", 2, GOLDEN__W(-1, b->F, 0), d, &b->feat_targets, err));
        b->n_masked = d[0];
        break;
    case HERO_TASK_FOM:
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.shuffled_orders", 2, GOLDEN__W(b->B, b->L, 0), d, 0, (int64_t)b->L - 1, &b->shuffled_orders, err));
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.targets", 2, GOLDEN__W(b->B, b->L, 0), d, -1, (int64_t)b->L - 1, &b->fom_targets, err));
        break;
    case HERO_TASK_VSM:
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.query_input_ids", 2, NULL, d, 0, INT32_MAX, &b->q_ids, err));
        b->Nq = d[0];
        b->Lq = d[1];
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.query_pos_ids", 2, GOLDEN__W(1, b->Lq, 0), d, 0, BIG, &b->q_pos, err));
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.query_attn_masks", 2, GOLDEN__W(b->Nq, b->Lq, 0), d, 0, 1, &b->q_mask, err));
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.q_vidx", 1, GOLDEN__W(b->Nq, 0, 0), d, 0, (int64_t)b->B - 1, &b->q_vidx, err));
        GOLDEN__G(hero_tensorfile_get_i32(tf, "in.targets", 2, GOLDEN__W(b->Nq, 2, 0), d, -1, (int64_t)b->L - 1, &b->vsm_targets, err));
        break;
    default:
        break;
    }
#undef GOLDEN__W
    return HERO_OK;
fail:
    hero_batch_free(b);
    return rc;
}

GOLDEN__FN int golden_choices_read(hero_choices *c, hero_task task, const hero_tensorfile *tf, hero_error *err) {
    const int BIG = GOLDEN_MAXDIM;
    int d[1], w[1], rc;
    int64_t sum;
    if (!c) return golden__fail(err, HERO_EINVAL, "golden_choices_read: c is NULL");
    memset(c, 0, sizeof(*c));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return golden__fail(err, HERO_EINVAL, "golden_choices_read: tf NULL or task %d unknown", (int)task);
    c->task = task;
    switch (task) {
    case HERO_TASK_MLM:
        GOLDEN__G(hero_tensorfile_get_i32(tf, "choice.mlm_len", 1, NULL, d, 0, BIG, &c->mlm_len, err));
        c->n_rows = d[0];
        sum = golden__sum(c->mlm_len, c->n_rows);
        if (sum > BIG) { rc = golden__fail(err, HERO_ELIMIT, "%s: choice.mlm_len sum to %lld words, limit %d", golden__path(tf), (long long)sum, BIG); goto fail; }
        w[0] = (int)sum; /* one entry per word of every row */
        GOLDEN__G(hero_tensorfile_get_i32(tf, "choice.mlm_input_ids", 1, w, d, 0, INT32_MAX, &c->mlm_input_ids, err));
        GOLDEN__G(hero_tensorfile_get_i32(tf, "choice.mlm_labels", 1, w, d, -1, INT32_MAX, &c->mlm_labels, err));
        break;
    case HERO_TASK_MFM_NCE:
    case HERO_TASK_MFFR:
        GOLDEN__G(golden__get_u8(tf, "choice.frame_mask", 1, NULL, d, &c->frame_mask, err));
        c->n_frames = d[0];
        break;
    case HERO_TASK_FOM:
        GOLDEN__G(hero_tensorfile_get_i32(tf, "choice.fom_orders", 1, NULL, d, 0, BIG, &c->fom_orders, err));
        c->n_frames = d[0];
        w[0] = d[0];
        GOLDEN__G(hero_tensorfile_get_i32(tf, "choice.fom_targets", 1, w, d, -1, BIG, &c->fom_targets, err));
        break;
    case HERO_TASK_VSM:
        GOLDEN__G(hero_tensorfile_get_i32(tf, "choice.vsm_n_sampled", 1, NULL, d, 0, BIG, &c->vsm_n_sampled, err));
        c->n_videos = d[0];
        sum = golden__sum(c->vsm_n_sampled, c->n_videos);
        if (sum > BIG) { rc = golden__fail(err, HERO_ELIMIT, "%s: choice.vsm_n_sampled sum to %lld, limit %d", golden__path(tf), (long long)sum, BIG); goto fail; }
        w[0] = (int)sum; /* the queries of every video, videos in order */
        GOLDEN__G(hero_tensorfile_get_i32(tf, "choice.vsm_sampled_sub_idx", 1, w, d, 0, BIG, &c->vsm_sampled_sub_idx, err));
        break;
    default: /* REPR: nothing random */
        break;
    }
    return HERO_OK;
fail:
    hero_choices_free(c);
    return rc;
}

/* a JSON integer in [lo, hi] -> *dst; 0, or -1 if v is not one */
GOLDEN__FN int golden__json_int(const hero_json *v, int lo, int hi, int *dst) {
    if (!v || v->type != HERO_JSON_NUMBER || !(v->number >= (double)lo && v->number <= (double)hi) ||
        (double)(int)v->number != v->number)
        return -1;
    *dst = (int)v->number;
    return 0;
}

/* data_settings member `key` (absent: *dst unchanged) as an integer in [lo, hi] */
GOLDEN__FN int golden__meta_int(const hero_json *o, const char *key, int lo, int hi, int *dst, const char *path,
                              hero_error *err) {
    const hero_json *v = hero_json_get(o, key);
    if (v && golden__json_int(v, lo, hi, dst))
        return golden__fail(err, HERO_EFORMAT, "%s: metadata data_settings.%s: expected an integer in %d..%d", path, key, lo, hi);
    return HERO_OK;
}

/* scalar int tensor `name` (absent: *dst unchanged) */
GOLDEN__FN int golden__scalar(const hero_tensorfile *tf, const char *name, int *dst, hero_error *err) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t x = 0;
    int rc;
    if (!t) return HERO_OK;
    if (hero_tensor_numel(t) != 1)
        return golden__fail(err, HERO_ESHAPE, "%s: tensor %s has %lld elements, expected 1", golden__path(tf), name, (long long)hero_tensor_numel(t));
    rc = hero_tensor_read_i64(t, &x, 1, err);
    if (rc) return rc;
    if (x < -GOLDEN_MAXDIM || x > GOLDEN_MAXDIM)
        return golden__fail(err, HERO_EFORMAT, "%s: tensor %s is %lld, expected -%d..%d", golden__path(tf), name, (long long)x, GOLDEN_MAXDIM, GOLDEN_MAXDIM);
    *dst = (int)x;
    return HERO_OK;
}

GOLDEN__FN int golden_batch_options(hero_batch_options *o, const hero_tensorfile *tf, int vocab_size,
                                           hero_error *err) {
    const int BIG = GOLDEN_MAXDIM;
    const char *text, *path;
    hero_json js;
    hero_error e2;
    int rc = HERO_OK, mask = -1;
    if (!o || !tf) return golden__fail(err, HERO_EINVAL, "golden_batch_options: o or tf is NULL");
    path = golden__path(tf);
    memset(&js, 0, sizeof(js));
    text = hero_tensorfile_meta(tf, "data_settings");
    if (text) {
        memset(&e2, 0, sizeof(e2));
        if (hero_json_parse(text, strlen(text), &js, &e2))
            return golden__fail(err, HERO_EFORMAT, "%s: metadata data_settings is not JSON: %s", path, e2.msg);
        if (js.type != HERO_JSON_OBJECT) { rc = golden__fail(err, HERO_EFORMAT, "%s: metadata data_settings is not a JSON object", path); goto done; }
        if ((rc = golden__meta_int(&js, "mask", 0, BIG, &mask, path, err))) goto done;
    }
    if (vocab_size <= 0) {
        if (mask < 0) { rc = golden__fail(err, HERO_EINVAL, "%s: no vocabulary size given and no data_settings.mask in the metadata", path); goto done; }
        vocab_size = mask + 1;
    }
    *o = hero_batch_options_default(vocab_size);
    if (text) {
        const hero_json *p = hero_json_get(&js, "mask_prob"), *vr = hero_json_get(&js, "v_range");
        if ((rc = golden__meta_int(&js, "max_txt_len", -BIG, BIG, &o->max_txt_len, path, err)) ||
            (rc = golden__meta_int(&js, "max_clip_len", -BIG, BIG, &o->max_frames, path, err)) ||
            (rc = golden__meta_int(&js, "max_frames", -BIG, BIG, &o->max_frames, path, err)) ||
            (rc = golden__meta_int(&js, "query_per_video", -BIG, BIG, &o->query_per_video, path, err)) ||
            (rc = golden__meta_int(&js, "sub_ctx_len", -BIG, BIG, &o->sub_ctx_len, path, err)) ||
            (rc = golden__meta_int(&js, "cls", 0, BIG, &o->cls_id, path, err)) ||
            (rc = golden__meta_int(&js, "pad", 0, BIG, &o->pad_id, path, err)) ||
            (rc = golden__meta_int(&js, "sep", 0, BIG, &o->sep_id, path, err)) ||
            (rc = golden__meta_int(&js, "mask", 0, BIG, &o->mask_id, path, err)))
            goto done;
        if (p) {
            if (p->type != HERO_JSON_NUMBER || !(p->number >= 0.0 && p->number <= 1.0)) {
                rc = golden__fail(err, HERO_EFORMAT, "%s: metadata data_settings.mask_prob: expected a number in 0..1", path);
                goto done;
            }
            o->mask_prob = (float)p->number;
        }
        if (vr && (vr->type != HERO_JSON_ARRAY || vr->n != 2 || golden__json_int(&vr->items[0], 0, BIG, &o->v_lo) ||
                   golden__json_int(&vr->items[1], 0, BIG, &o->v_hi))) {
            rc = golden__fail(err, HERO_EFORMAT, "%s: metadata data_settings.v_range: expected [lo, hi], integers in 0..%d", path, BIG);
            goto done;
        }
    }
    /* the explicit per-file options (tests/golden/batch_fuzz) */
    if ((rc = golden__scalar(tf, "opt.max_txt_len", &o->max_txt_len, err)) ||
        (rc = golden__scalar(tf, "opt.max_frames", &o->max_frames, err)) ||
        (rc = golden__scalar(tf, "opt.sub_ctx_len", &o->sub_ctx_len, err)) ||
        (rc = golden__scalar(tf, "opt.query_per_video", &o->query_per_video, err)))
        goto done;
done:
    hero_json_free(&js);
    return rc;
}

GOLDEN__FN int golden_batch_from_raw(hero_batch *out, hero_task task, const hero_tensorfile *tf, int vocab_size,
                                       hero_error *err) {
    hero_batch_options o;
    hero_corpus gv;
    hero_choices c;
    hero_error e2;
    int rc;
    if (!out) return golden__fail(err, HERO_EINVAL, "golden_batch_from_raw: out is NULL");
    memset(out, 0, sizeof(*out));
    memset(&gv, 0, sizeof(gv));
    memset(&c, 0, sizeof(c));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return golden__fail(err, HERO_EINVAL, "golden_batch_from_raw: tf NULL or task %d unknown", (int)task);
    rc = golden_batch_options(&o, tf, vocab_size, err);
    if (!rc) rc = hero_corpus_read(&gv, tf, err);
    if (!rc) rc = golden_choices_read(&c, task, tf, err);
    if (!rc) {
        memset(&e2, 0, sizeof(e2));
        rc = hero_build_batch(out, task, gv.videos, gv.n_videos, &o, task == HERO_TASK_REPR ? NULL : &c, NULL, &e2);
        if (rc) golden__fail(err, rc, "%s: %s batch from raw.* + choice.*: %s", golden__path(tf), hero_task_name(task), e2.msg);
    }
    hero_choices_free(&c);
    hero_corpus_free(&gv);
    return rc;
}

/* "[a,b,c]" into buf */
GOLDEN__FN void golden__shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t l = 0;
    int d;
    buf[0] = '\0';
    l += (size_t)snprintf(buf, cap, "[");
    for (d = 0; d < ndim && l < cap; d++) l += (size_t)snprintf(buf + l, cap - l, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (l < cap) snprintf(buf + l, cap - l, "]");
}

GOLDEN__FN int golden_field_err(const hero_batch_field *f, const hero_tensorfile *tf, double *rel_err,
                                        hero_error *err) {
    const hero_tensor_info *t;
    char name[96];
    size_t n = 1, i;
    int d, same, rc, nan = 0;
    double md = 0, mr = 0;
    if (rel_err) *rel_err = 0;
    if (!f || !tf || !rel_err || !f->key || f->ndim < 0 || f->ndim > 3 || strlen(f->key) > sizeof(name) - 4)
        return golden__fail(err, HERO_EINVAL, "golden_field_err: NULL argument or bad field");
    snprintf(name, sizeof(name), "in.%s", f->key);
    t = hero_tensorfile_find(tf, name);
    if (!t) return golden__fail(err, HERO_EMISSING, "%s: tensor %s missing", golden__path(tf), name);
    same = t->ndim == f->ndim;
    for (d = 0; same && d < f->ndim; d++) same = t->shape[d] == f->shape[d];
    if (!same) {
        char a[128], b[128];
        golden__shape_str(a, sizeof(a), t->ndim < HERO_MAX_DIMS ? t->ndim : HERO_MAX_DIMS, t->shape);
        golden__shape_str(b, sizeof(b), f->ndim, f->shape);
        return golden__fail(err, HERO_ESHAPE, "%s: tensor %s has shape %s, the built batch %s", golden__path(tf), name, a, b);
    }
    for (d = 0; d < f->ndim; d++) {
        if (f->shape[d] < 0 || (f->shape[d] != 0 && n > ((size_t)-1) / 8 / (size_t)f->shape[d]))
            return golden__fail(err, HERO_ELIMIT, "%s: tensor %s: element count overflows", golden__path(tf), name);
        n *= (size_t)f->shape[d];
    }
    if (n && !f->data) return golden__fail(err, HERO_EINVAL, "%s: tensor %s: the built batch has no %s", golden__path(tf), name, f->key);
    if (f->dtype == HERO_F32) {
        const float *x = (const float *)f->data;
        float *ref = (float *)golden__alloc(n, sizeof(float));
        if (!ref) return golden__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", golden__path(tf), name);
        rc = hero_tensor_read_f32(t, ref, (int64_t)n, err);
        for (i = 0; !rc && i < n; i++) {
            double dd = fabs((double)x[i] - (double)ref[i]), r = fabs((double)ref[i]);
            if (dd != dd) nan = 1;
            else if (dd > md) md = dd;
            if (r > mr) mr = r;
        }
        HERO_FREE(ref);
    } else if (f->dtype == HERO_I32 || f->dtype == HERO_U8) {
        int64_t *ref = (int64_t *)golden__alloc(n, sizeof(int64_t));
        if (!ref) return golden__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", golden__path(tf), name);
        rc = hero_tensor_read_i64(t, ref, (int64_t)n, err);
        for (i = 0; !rc && i < n; i++) {
            double g = f->dtype == HERO_U8 ? (double)((const uint8_t *)f->data)[i] : (double)((const int32_t *)f->data)[i];
            double dd = fabs((double)ref[i] - g), r = fabs((double)ref[i]);
            if (dd > md) md = dd;
            if (r > mr) mr = r;
        }
        HERO_FREE(ref);
    } else {
        return golden__fail(err, HERO_EINVAL, "%s: tensor %s: field dtype %s unsupported", golden__path(tf), name, hero_dtype_name(f->dtype));
    }
    if (rc) return rc;
    *rel_err = nan ? (double)NAN : md / (mr > 1e-6 ? mr : 1e-6);
    return HERO_OK;
}

#undef GOLDEN__G

#endif /* HERO_GOLDEN_IO_H */

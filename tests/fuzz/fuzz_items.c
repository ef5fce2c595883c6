/* libFuzzer target: fine-tuning items from the query layout of `hero_lmdb_import queries`
   (hero_ft_items_read). Byte 0 picks the task (mod 4: VSM, video QA, VIOLIN, TVC), byte 1 the
   corpus size (1 + byte % 8 videos), the rest is a tensor file (any format
   hero_tensorfile_open_memory reads; the seeds are safetensors). Every field of accepted items
   is used, and the first (up to 8) items are built into a batch (hero_build_ft_batch) over a
   fixed corpus of that many videos. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

static const hero_task TASKS[4] = {HERO_TASK_VSM, HERO_TASK_VIDEOQA, HERO_TASK_VIOLIN, HERO_TASK_TVC};

static void fuzz_batch(const hero_ft_items *x, hero_task task, int nv) {
    static const float feats[3 * 2] = {1, 2, 3, 4, 5, 6};
    static const int32_t sub_len[1] = {2}, sub_tok[2] = {7, 8}, sub_nf[1] = {2}, sub_fr[2] = {0, 1};
    hero_video v[8];
    hero_ft_item it[8];
    hero_batch b;
    hero_batch_options o = hero_batch_options_default(64);
    hero_error err;
    int i, n = x->n < 8 ? x->n : 8;
    memset(v, 0, sizeof(v));
    for (i = 0; i < nv; i++) {
        v[i].T = 3; v[i].F = 2; v[i].feats = feats; v[i].n_subs = 1; v[i].sub_len = sub_len; v[i].sub_tokens = sub_tok;
        v[i].sub_nframes = sub_nf; v[i].sub_frames = sub_fr;
    }
    for (i = 0; i < n; i++) {
        it[i] = x->items[i];
        if (it[i].len > 64) it[i].len = 64; /* keep the batch small; the words were all touched */
    }
    if (task == HERO_TASK_VIDEOQA)
        for (i = 0; i < n; i++) if (it[i].n_cand != it[0].n_cand) return; /* one file has one K: cannot differ */
    o.max_txt_len = 16;
    err.code = 0;
    if (hero_build_ft_batch(&b, task, v, nv, it, n, 1.5, &o, &err) == 0) {
        hero_batch_field f[64];
        int k, nf = hero_batch_fields(&b, f);
        for (k = 0; k < nf; k++) {
            int64_t ne = f[k].shape[0];
            int d;
            for (d = 1; d < f[k].ndim; d++) ne *= f[k].shape[d];
            if (f[k].data && ne > 0) fuzz_touch(f[k].data, (size_t)ne * (f[k].dtype == HERO_U8 ? 1 : 4));
        }
        hero_batch_free(&b);
    } else if (task != HERO_TASK_VIOLIN || err.code >= 0) {
        /* only a VIOLIN item without a label (-1, allowed by the reader) may be refused */
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hero_tensorfile tf;
    hero_ft_items x;
    hero_error err;
    hero_task task;
    int nv, i;
    if (size < 2) return 0;
    task = TASKS[data[0] % 4];
    nv = 1 + data[1] % 8;
    if (hero_tensorfile_open_memory(&tf, data + 2, size - 2, "fuzz.safetensors", &err) != 0) return 0;
    if (hero_ft_items_read(&x, &tf, task, nv, &err) == 0) {
        if (x.n < 1 || x.n > x.n_records || x.n + x.n_skipped != x.n_records || !x.items) abort();
        for (i = 0; i < x.n; i++) {
            const hero_ft_item *it = &x.items[i];
            int c;
            if (it->video < 0 || it->video >= nv || it->len < 0 || (it->len && !it->tokens)) abort();
            if (x.record[i] < 0 || x.record[i] >= x.n_records || x.n_ts[i] < 0 || x.n_ts[i] > x.max_ts) abort();
            if (x.type[i] < -1 || x.type[i] > 2 || it->has_ts != (x.n_ts[i] > 0)) abort();
            if (it->len) fuzz_touch(it->tokens, (size_t)it->len * sizeof(int32_t));
            if (x.n_ts[i]) fuzz_touch(x.ts + (size_t)i * x.max_ts * 2, (size_t)x.n_ts[i] * 2 * sizeof(double));
            if (it->has_ts && !(it->ts[0] - it->ts[0] == 0 && it->ts[1] - it->ts[1] == 0)) abort();
            for (c = 0; c < it->n_cand; c++)
                if (it->cand_len[c] < 0) abort();
        }
        fuzz_batch(&x, task, nv);
        hero_ft_items_free(&x);
    } else if (err.code >= 0 || !err.msg[0]) {
        abort();
    }
    hero_tensorfile_close(&tf);
    return 0;
}

/* libFuzzer target: the downstream annotation JSONL readers (hero_ann_parse: TVR / How2R /
   DiDeMo / VIOLIN / MSR-VTT queries, TVQA / How2QA questions, TVC clips). Byte 0 picks the
   kind (mod 3), the rest is the file. Every field of an accepted list is used; TVR-kind lists
   are also turned into a metric ground truth (hero_ann_tvr_gt, the list's own video names as
   the video list) and scored against a one-row-per-query submission (hero_tvr_eval, VCMR
   when every query has windows, else VR). */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

static void fuzz_use_gt(const hero_ann_list *l) {
    const char **names;
    int64_t *ids;
    hero_tvr_gt gt;
    hero_tvr_sub s;
    hero_tvr_metrics m;
    hero_error err;
    int i, all_ts = 1;
    if (l->n < 1 || l->n > 4096) return;
    names = (const char **)malloc((size_t)l->n * sizeof(char *));
    ids = (int64_t *)malloc((size_t)l->n * sizeof(int64_t));
    if (!names || !ids) abort();
    for (i = 0; i < l->n; i++) {
        names[i] = l->items[i].video;
        ids[i] = i;
        if (l->items[i].n_ts != 1 && l->items[i].n_ts < 4) all_ts = 0;
    }
    if (hero_ann_tvr_gt(&gt, l, names, ids, l->n, &err) == 0) {
        if (gt.n != l->n) abort();
        if (hero_tvr_sub_init(&s, gt.n, 1, &err) == 0) {
            for (i = 0; i < gt.n; i++) {
                const hero_ann *a = &l->items[i];
                s.pred[4 * i] = (double)gt.video[i];
                s.pred[4 * i + 1] = a->n_ts ? a->ts[0][0] : 0;
                s.pred[4 * i + 2] = a->n_ts ? a->ts[0][1] : 0;
                s.n[i] = 1;
            }
            if (hero_tvr_eval(&m, all_ts ? HERO_TVR_VCMR : HERO_TVR_VR, &s, &gt, &err) == 0) fuzz_touch(&m, sizeof(m));
            else if (err.code >= 0) abort();
            hero_tvr_sub_free(&s);
        }
        hero_tvr_gt_free(&gt);
    } else if (err.code >= 0) abort();
    free(names);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hero_ann_list l;
    hero_error err;
    int i, j;
    if (size < 1) return 0;
    if (hero_ann_parse(&l, (hero_ann_kind)(data[0] % 3), (const char *)data + 1, size - 1, "fuzz.jsonl", &err) == 0) {
        if (l.n < 0 || (l.n > 0 && !l.items)) abort();
        for (i = 0; i < l.n; i++) {
            const hero_ann *a = &l.items[i];
            if (!a->id) abort();
            fuzz_touch_str(a->id);
            fuzz_touch_str(a->text);
            fuzz_touch_str(a->video);
            fuzz_touch_str(a->ts_text);
            if (a->n_ts < 0 || a->n_ts > HERO_ANN_MAX_TS || (a->n_ts && !a->ts)) abort();
            if (a->n_ts) fuzz_touch(a->ts, (size_t)a->n_ts * sizeof(a->ts[0]));
            if (a->n_cand < 0 || a->n_cand > 5) abort();
            for (j = 0; j < a->n_cand; j++) fuzz_touch_str(a->cand[j]);
            for (j = 0; j < a->n_caps; j++) {
                fuzz_touch_str(a->caps[j].id);
                fuzz_touch_str(a->caps[j].text);
            }
        }
        if (l.kind == HERO_ANN_TVR) fuzz_use_gt(&l);
        hero_ann_list_free(&l);
    } else if (err.code >= 0) abort();
    return 0;
}

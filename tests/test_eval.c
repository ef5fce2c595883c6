/* Tests of hero.h's official retrieval metrics (utils/tvr_eval_utils.py + utils/tvr_standalone_eval.py):
   submission rows (the float32 VCMR / float64 SVMR seconds), the flat-index decoding, the
   max_after_nms cut in place, temporal NMS (VCMR per video then re-sorted, SVMR), recall at K
   with float32 IoU, by query type, DiDeMo's 2-of-4 rule, numpy's rounding, and hostile
   arguments. The golden parity of the same functions is hero_golden's tvr_eval lines
   (tests/golden/tiny-downstream/tvr_eval.safetensors).

   Expected values marked "numpy" were computed with the official functions under numpy 1.24.

   Build: gcc -std=c99 -O2 -Wall -Wextra -Wpedantic tests/test_eval.c -o build/test_eval -lm
   Run:   build/test_eval   (prints PASS / FAIL lines, last "N passed, M failed"; exit 1 on failure) */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_pass, g_fail;

static void check(int ok, const char *name, const char *fmt, ...) {
    if (ok) {
        printf("PASS %s\n", name);
        g_pass++;
    } else {
        va_list ap;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        g_fail++;
    }
}

static double hexd(const char *s) { return strtod(s, NULL); }
static const double *row(const hero_tvr_sub *s, int q, int j) { return s->pred + ((size_t)q * s->k + j) * 4; }

/* ---- submission rows ---- */
static void test_rows(void) {
    hero_tvr_sub s;
    hero_error err;
    const double *r;
    int rc;
    hero_tvr_sub_init(&s, 2, 3, &err);
    check(s.n[0] == 0 && s.qidx[1] == 1 && row(&s, 1, 2)[0] == -1 && row(&s, 1, 2)[3] == 0, "sub_init: empty rows (-1, 0, 0, 0)", "");
    /* numpy: float32(7) * 0.1 and float32(9) * 0.1 + 0.1 stay float32; the SVMR triples are float64 */
    hero_tvr_sub_add(&s, HERO_TVR_VCMR, 0, 101, 7, 9, 0.25f, 0.1, &err);
    hero_tvr_sub_add(&s, HERO_TVR_VCMR, 0, 102, 123, 130, 0.125f, 1.0 / 3, &err);
    r = row(&s, 0, 0);
    check(r[0] == 101 && r[1] == hexd("0x1.6666660000000p-1") && r[2] == hexd("0x1.0000000000000p+0") && r[3] == 0.25,
          "VCMR row: float32 seconds (interval 0.1)", "%a %a", r[1], r[2]);
    r = row(&s, 0, 1);
    check(r[1] == hexd("0x1.4800000000000p+5") && r[2] == hexd("0x1.5d55560000000p+5"), "VCMR row: float32 seconds (interval 1/3)",
          "%a %a", r[1], r[2]);
    hero_tvr_sub_add(&s, HERO_TVR_SVMR, 1, 5, 7, 9, 0.5f, 0.1, &err);
    hero_tvr_sub_add(&s, HERO_TVR_SVMR, 1, 5, 123, 130, 0.5f, 1.0 / 3, &err);
    r = row(&s, 1, 0);
    check(r[1] == hexd("0x1.6666666666667p-1") && r[2] == hexd("0x1.0000000000000p+0"), "SVMR row: float64 seconds (interval 0.1)",
          "%a %a", r[1], r[2]);
    r = row(&s, 1, 1);
    check(r[1] == hexd("0x1.4800000000000p+5") && r[2] == hexd("0x1.5d55555555555p+5"), "SVMR row: float64 seconds (interval 1/3)",
          "%a %a", r[1], r[2]);
    hero_tvr_sub_add(&s, HERO_TVR_VR, 1, 9, -5, -5, 0.75f, 0, &err);
    r = row(&s, 1, 2);
    check(r[0] == 9 && r[1] == 0 && r[2] == 0 && r[3] == 0.75 && s.n[1] == 3, "VR row: (video, 0, 0, score)", "");
    rc = hero_tvr_sub_add(&s, HERO_TVR_VR, 1, 9, 0, 0, 0.5f, 0, &err);
    check(rc == HERO_ELIMIT && s.n[1] == 3, "sub_add: a full query is HERO_ELIMIT", "rc %d", rc);
    rc = hero_tvr_sub_add(&s, HERO_TVR_VCMR, 2, 9, 0, 0, 0.5f, 1.5, &err);
    check(rc == HERO_EINVAL, "sub_add: query out of range", "rc %d", rc);
    rc = hero_tvr_sub_add(&s, HERO_TVR_VCMR, 0, 9, -1, 0, 0.5f, 1.5, &err);
    check(rc == HERO_EINVAL, "sub_add: negative frame", "rc %d", rc);
    rc = hero_tvr_sub_add(&s, HERO_TVR_SVMR, 0, 9, 0, 0, 0.5f, NAN, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "interval"), "sub_add: NaN interval", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
    rc = hero_tvr_sub_init(&s, -1, 3, &err);
    check(rc == HERO_EINVAL && s.pred == NULL, "sub_init: negative count", "rc %d", rc);
    rc = hero_tvr_sub_init(&s, 1 << 30, 100, &err);
    check(rc == HERO_ELIMIT, "sub_init: a huge claim is HERO_ELIMIT, not an allocation", "rc %d", rc);
    hero_tvr_sub_free(&s);
}

/* ---- flat indices (eval_vcmr.py: np.unravel_index with the config's cube) ---- */
static void test_flat(void) {
    hero_tvr_sub s;
    hero_error err;
    const int64_t flat[3] = {1 * 16 + 2 * 4 + 3, 0 * 16 + 0 * 4 + 2, 2 * 16 + 1};
    const float sc[3] = {0.5f, 0.25f, 0.125f};
    const int32_t top[3] = {2, 0, 1};
    const int64_t ids[3] = {100, 107, 104};
    int rc;
    hero_tvr_sub_init(&s, 1, 4, &err);
    rc = hero_tvr_sub_add_flat(&s, 0, flat, sc, 3, top, 3, 3, 4, ids, 3, 1.5, &err);
    check(rc == 0 && s.n[0] == 3 && row(&s, 0, 0)[0] == 100 && row(&s, 0, 0)[1] == 3.0 && row(&s, 0, 0)[2] == 6.0 &&
              row(&s, 0, 1)[0] == 104 && row(&s, 0, 1)[1] == 0 && row(&s, 0, 1)[2] == 4.5 && row(&s, 0, 2)[0] == 107 &&
              row(&s, 0, 2)[1] == 0 && row(&s, 0, 2)[2] == 3.0 && row(&s, 0, 2)[3] == 0.125,
          "add_flat: (rank, st, ed) from the (max_vcmr_video, L, L) cube", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
    hero_tvr_sub_init(&s, 1, 4, &err);
    rc = hero_tvr_sub_add_flat(&s, 0, flat, sc, 1, top, 1, 3, 4, ids, 3, 1.5, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "rank"), "add_flat: a rank past the top videos is an error", "rc %d %s", rc, err.msg);
    rc = hero_tvr_sub_add_flat(&s, 0, flat, sc, 1, top, 3, 1, 4, ids, 3, 1.5, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "cube"), "add_flat: an index outside the cube is an error", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
}

/* ---- the cut in place ---- */
static void test_cut(void) {
    hero_tvr_sub s;
    hero_error err;
    int q, j, ok = 1, rc;
    hero_tvr_sub_init(&s, 3, 5, &err);
    for (q = 0; q < 3; q++)
        for (j = 0; j < (q == 1 ? 2 : 5); j++) hero_tvr_sub_add(&s, HERO_TVR_VR, q, 10 * q + j, 0, 0, (float)(5 - j), 0, &err);
    rc = hero_tvr_sub_cut(&s, 3, &err);
    for (q = 0; q < 3; q++)
        for (j = 0; j < 3; j++) {
            const double *r = row(&s, q, j);
            if (j < (q == 1 ? 2 : 3)) ok &= r[0] == 10 * q + j && r[3] == 5 - j;
            else ok &= r[0] == -1 && r[3] == 0;
        }
    check(rc == 0 && ok && s.k == 3 && s.n[0] == 3 && s.n[1] == 2 && s.n[2] == 3, "cut: first rows kept, k shrinks, padding rows", "");
    rc = hero_tvr_sub_cut(&s, 10, &err);
    check(rc == 0 && s.k == 3, "cut: a larger limit changes nothing", "");
    rc = hero_tvr_sub_cut(&s, 0, &err);
    check(rc == HERO_EINVAL, "cut: 0 rows is an error", "rc %d", rc);
    s.n[2] = 4;
    rc = hero_tvr_sub_cut(&s, 2, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "capacity"), "cut: n > k is refused", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
}

/* ---- NMS ---- */
static void add_row(hero_tvr_sub *s, int q, double vid, double st, double ed, double score) {
    double *r = s->pred + ((size_t)q * s->k + s->n[q]) * 4;
    r[0] = vid; r[1] = st; r[2] = ed; r[3] = score;
    s->n[q]++;
}

static void test_nms(void) {
    hero_tvr_sub s, o;
    hero_error err;
    int rc, i, ok;
    /* SVMR: [0,10) 0.9 suppresses [1,10) (IoU 0.9); [0,20) has IoU exactly 0.5 with [0,10): kept
       (only > nms_thd suppresses); equal scores keep their order (stable sort) */
    hero_tvr_sub_init(&s, 1, 8, &err);
    add_row(&s, 0, 7, 30, 40, 0.5);
    add_row(&s, 0, 7, 0, 10, 0.9);
    add_row(&s, 0, 7, 1, 10, 0.8);
    add_row(&s, 0, 7, 0, 20, 0.7);
    add_row(&s, 0, 7, 50, 60, 0.5);
    rc = hero_tvr_nms(&o, &s, HERO_TVR_SVMR, 0.5, 100, 100, &err);
    check(rc == 0 && o.n[0] == 4 && row(&o, 0, 0)[1] == 0 && row(&o, 0, 1)[2] == 20 && row(&o, 0, 2)[1] == 30 && row(&o, 0, 3)[1] == 50 &&
              o.k == 4 && row(&o, 0, 3)[0] == 7,
          "SVMR NMS: IoU > thd suppresses, = thd does not, stable ties", "rc %d n %d", rc, rc ? 0 : o.n[0]);
    hero_tvr_sub_free(&o);
    rc = hero_tvr_nms(&o, &s, HERO_TVR_SVMR, 0.5, 2, 100, &err);
    check(rc == 0 && o.n[0] == 2 && row(&o, 0, 0)[1] == 0 && row(&o, 0, 1)[1] == 30, "SVMR NMS: only the first max_before_nms rows", "");
    hero_tvr_sub_free(&o);
    rc = hero_tvr_nms(&o, &s, HERO_TVR_SVMR, 0.5, 100, 1, &err);
    check(rc == 0 && o.n[0] == 1 && o.k == 1, "SVMR NMS: cut to max_after_nms", "");
    hero_tvr_sub_free(&o);
    hero_tvr_sub_free(&s);
    /* a group of 150 disjoint rows keeps 100 (the NMS's own cap) */
    hero_tvr_sub_init(&s, 1, 150, &err);
    for (i = 0; i < 150; i++) add_row(&s, 0, 3, 10 * i, 10 * i + 5, 1.0 - i * 1e-3);
    rc = hero_tvr_nms(&o, &s, HERO_TVR_SVMR, 0.5, 1000, 1000, &err);
    check(rc == 0 && o.n[0] == 100 && row(&o, 0, 99)[1] == 990, "temporal NMS keeps at most 100 rows", "n %d", rc ? -1 : o.n[0]);
    hero_tvr_sub_free(&o);
    hero_tvr_sub_free(&s);
    /* VCMR: grouped per video (first appearance), NMS within each, re-sorted across videos */
    hero_tvr_sub_init(&s, 2, 6, &err);
    add_row(&s, 0, 2, 0, 10, 0.9);
    add_row(&s, 0, 1, 0, 10, 0.85); /* another video: not suppressed */
    add_row(&s, 0, 2, 1, 10, 0.8);  /* suppressed by video 2's first row */
    add_row(&s, 0, 1, 20, 30, 0.6);
    add_row(&s, 0, 2, 20, 30, 0.6); /* tie with video 1's: group 2 came first, so it stays first */
    add_row(&s, 1, 4, 5, 5, 0.3);   /* a zero-length row: union 0 -> IoU 0 */
    add_row(&s, 1, 4, 5, 5, 0.2);
    s.qidx[0] = 1; s.qidx[1] = 0;
    rc = hero_tvr_nms(&o, &s, HERO_TVR_VCMR, 0.5, 100, 100, &err);
    ok = rc == 0 && o.n[0] == 4 && row(&o, 0, 0)[0] == 2 && row(&o, 0, 1)[0] == 1 && row(&o, 0, 2)[0] == 2 && row(&o, 0, 2)[1] == 20 &&
         row(&o, 0, 3)[0] == 1 && row(&o, 0, 3)[1] == 20 && o.n[1] == 2 && o.qidx[0] == 1 && o.qidx[1] == 0;
    check(ok, "VCMR NMS: per video, re-sorted (stable across groups), zero-length rows kept", "rc %d", rc);
    hero_tvr_sub_free(&o);
    rc = hero_tvr_nms(&o, &s, HERO_TVR_VR, 0.5, 100, 100, &err);
    check(rc == HERO_EINVAL, "NMS: VR is refused", "rc %d", rc);
    s.pred[3] = NAN;
    rc = hero_tvr_nms(&o, &s, HERO_TVR_VCMR, 0.5, 100, 100, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "NaN"), "NMS: a NaN score is refused", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
    hero_tvr_sub_init(&s, 1, 2, &err);
    rc = hero_tvr_nms(&o, &s, HERO_TVR_SVMR, 0.5, 10, 10, &err);
    check(rc == 0 && o.n[0] == 0, "NMS: a query without rows stays empty", "rc %d", rc);
    hero_tvr_sub_free(&o);
    hero_tvr_sub_free(&s);
}

/* ---- recall ---- */
static void test_recall(void) {
    hero_tvr_sub s;
    hero_tvr_gt gt;
    hero_tvr_metrics m;
    hero_error err;
    int64_t vids[4] = {10, 11, 12, 70000};
    double ts[4 * 2] = {0, 0.1, 0, 0.3, 20, 40, 0, 10};
    int32_t types[4] = {0, 0, 2, 0};
    char key[32];
    int rc;
    memset(&gt, 0, sizeof(gt));
    gt.n = 4; gt.video = vids; gt.ts = ts; gt.max_ts = 1; gt.type = types;
    hero_tvr_sub_init(&s, 4, 200, &err);
    /* q0: [0, 0.07] vs [0, 0.1]: float32 IoU 0.7f >= 0.7f (a float64 comparison would miss) */
    add_row(&s, 0, 10, 0, 0.07, 1);
    /* q1: [0, 0.21] vs [0, 0.3]: float32 IoU 0.6999999, a hit at 0.5 but not at 0.7 (float64 IoU 0.7
       would hit); a wrong video at ranks 2-5, then IoU 0.5 exactly at rank 6 */
    add_row(&s, 1, 11, 0, 0.21, 1);
    add_row(&s, 1, 12, 0, 0.3, 1);
    add_row(&s, 1, 12, 0, 0.3, 1);
    add_row(&s, 1, 12, 0, 0.3, 1);
    add_row(&s, 1, 12, 0, 0.3, 1);
    add_row(&s, 1, 11, 0, 0.6, 1);
    /* q2: a hit at row 101 only (rows past 100 do not count); a NaN row first */
    add_row(&s, 2, 12, NAN, 40, 1);
    while (s.n[2] < 100) add_row(&s, 2, 10, 20, 40, 1);
    add_row(&s, 2, 12, 20, 40, 1);
    /* q3: video id 70000 (float32-cast prediction compared in float64, as numpy); rows on other
       videos at ranks 1-10, the hit at 11 */
    while (s.n[3] < 10) add_row(&s, 3, 69999.5, 0, 10, 1);
    add_row(&s, 3, 70000, 0, 10, 1);
    rc = hero_tvr_eval(&m, HERO_TVR_VCMR, &s, &gt, &err);
    check(rc == 0 && m.r[0][0] == 50 && m.r[0][1] == 50 && m.r[0][2] == 50 && m.r[0][3] == 75 && m.r[1][0] == 25 && m.r[1][2] == 25 &&
              m.r[1][3] == 50,
          "VCMR recall: float32 IoU, >= float32 threshold, first 100 rows, K cut", "rc %d %s r0 %g %g %g %g r1 %g %g %g %g", rc, err.msg,
          m.r[0][0], m.r[0][1], m.r[0][2], m.r[0][3], m.r[1][0], m.r[1][1], m.r[1][2], m.r[1][3]);
    /* numpy: round(100 * 2/3, 2) = 66.67; type t has no query: NaN; ratios */
    check(rc == 0 && m.has_types && m.by_type[0][0][0] == 66.67 && m.by_type[0][0][3] == 100 && isnan(m.by_type[1][0][0]) &&
              m.by_type[2][0][3] == 0 && m.type_ratio[0] == 75 && m.type_ratio[1] == 0 && m.type_ratio[2] == 25,
          "VCMR recall by type (empty type NaN, desc_type_ratio)", "%g %g %g", m.by_type[0][0][0], m.by_type[1][0][0], m.type_ratio[0]);
    /* SVMR: only the rows on the GT video count, the first K of those: q3's hit (row 11) is its
       1st matched row (R@1); q2's NaN row is its only matched row within the first 100 */
    rc = hero_tvr_eval(&m, HERO_TVR_SVMR, &s, &gt, &err);
    check(rc == 0 && m.r[0][0] == 75 && m.r[0][3] == 75 && m.r[1][0] == 50 && m.r[1][3] == 50, "SVMR recall: rows on the GT video only",
          "rc %d %g %g %g %g", rc, m.r[0][0], m.r[0][1], m.r[1][0], m.r[1][1]);
    rc = hero_tvr_eval(&m, HERO_TVR_VR, &s, &gt, &err);
    check(rc == 0 && m.r[0][0] == 75 && m.r[0][2] == 75 && m.r[0][3] == 100 && m.r[1][0] == 0,
          "VR recall: the GT video among the first K rows", "rc %d %g %g %g", rc, m.r[0][0], m.r[0][2], m.r[0][3]);
    /* hostile / official preconditions */
    s.qidx[1] = 0;
    rc = hero_tvr_eval(&m, HERO_TVR_VR, &s, &gt, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "twice"), "eval: a GT query answered twice is refused", "rc %d %s", rc, err.msg);
    s.qidx[1] = 9;
    rc = hero_tvr_eval(&m, HERO_TVR_VR, &s, &gt, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "range"), "eval: qidx out of range", "rc %d %s", rc, err.msg);
    s.qidx[1] = 1;
    gt.n = 3;
    rc = hero_tvr_eval(&m, HERO_TVR_VR, &s, &gt, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "match_number"), "eval: query counts differ", "rc %d %s", rc, err.msg);
    gt.n = 4;
    types[2] = 3;
    rc = hero_tvr_eval(&m, HERO_TVR_VR, &s, &gt, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "type"), "eval: unknown query type", "rc %d %s", rc, err.msg);
    types[2] = 2;
    gt.ts = NULL;
    rc = hero_tvr_eval(&m, HERO_TVR_SVMR, &s, &gt, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "ts"), "eval: VCMR / SVMR need timestamps", "rc %d %s", rc, err.msg);
    rc = hero_tvr_eval(&m, HERO_TVR_VR, &s, &gt, &err);
    check(rc == 0, "eval: VR needs no timestamps (MSR-VTT)", "rc %d %s", rc, err.msg);
    gt.ts = ts;
    gt.max_ts = 2;
    rc = hero_tvr_eval(&m, HERO_TVR_VCMR, &s, &gt, &err);
    check(rc == HERO_EINVAL, "eval: 2 windows per query is refused", "rc %d", rc);
    gt.max_ts = 1;
    s.n[0] = 201;
    rc = hero_tvr_eval(&m, HERO_TVR_VCMR, &s, &gt, &err);
    check(rc == HERO_EINVAL, "eval: n > k is refused", "rc %d", rc);
    hero_tvr_sub_free(&s);
    check(!strcmp(hero_tvr_metric_key(key, sizeof(key), HERO_TVR_VCMR, -1, 1, 3), "0.7-r100") &&
              !strcmp(hero_tvr_metric_key(key, sizeof(key), HERO_TVR_SVMR, 2, 0, 0), "vt-0.5-r1") &&
              !strcmp(hero_tvr_metric_key(key, sizeof(key), HERO_TVR_VR, -1, 0, 1), "r5") &&
              !strcmp(hero_tvr_metric_key(key, sizeof(key), HERO_TVR_VR, 1, 0, 2), "t-r10"),
          "metric keys as the official dicts", "");
}

/* numpy's round(x, 2) = rint(x * 100) / 100: 100 * 1/4000 = 0.025 -> 0.02 (Python's round gives 0.03) */
static void test_rounding(void) {
    hero_tvr_sub s;
    hero_tvr_gt gt;
    hero_tvr_metrics m;
    hero_error err;
    int64_t *vids = (int64_t *)malloc(4000 * sizeof(int64_t));
    int q, rc;
    memset(&gt, 0, sizeof(gt));
    hero_tvr_sub_init(&s, 4000, 1, &err);
    for (q = 0; q < 4000; q++) {
        vids[q] = 1;
        add_row(&s, q, q == 0 ? 1 : 2, 0, 0, 1);
    }
    gt.n = 4000; gt.video = vids;
    rc = hero_tvr_eval(&m, HERO_TVR_VR, &s, &gt, &err);
    check(rc == 0 && m.r[0][0] == 0.02, "recall rounding as numpy (0.025 -> 0.02)", "rc %d %.17g", rc, m.r[0][0]);
    hero_tvr_sub_free(&s);
    free(vids);
}

/* DiDeMo: four (or more) windows, a hit needs IoU >= thd with at least two */
static void test_didemo(void) {
    hero_tvr_sub s;
    hero_tvr_gt gt;
    hero_tvr_metrics m;
    hero_error err;
    int64_t vids[2] = {5, 5};
    double ts[2 * 5 * 2] = {0, 10, 0, 10, 50, 60, 50, 60, 0, 0,   /* q0: two windows match [0,10] */
                            0, 10, 50, 60, 50, 60, 50, 60, 0, 10}; /* q1: one of its first four, the 5th is another */
    int32_t nts[2] = {4, 5};
    int rc;
    memset(&gt, 0, sizeof(gt));
    gt.n = 2; gt.video = vids; gt.ts = ts; gt.max_ts = 5; gt.n_ts = nts;
    hero_tvr_sub_init(&s, 2, 1, &err);
    add_row(&s, 0, 5, 0, 10, 1);
    add_row(&s, 1, 5, 0, 10, 1);
    rc = hero_tvr_eval(&m, HERO_TVR_VCMR, &s, &gt, &err);
    check(rc == 0 && m.r[0][0] == 100 && !m.has_types, "DiDeMo: >= 2 of the windows (4 or 5 of them)", "rc %d %g", rc, m.r[0][0]);
    nts[1] = 4;
    rc = hero_tvr_eval(&m, HERO_TVR_VCMR, &s, &gt, &err);
    check(rc == 0 && m.r[0][0] == 50, "DiDeMo: one matching window of four is a miss", "rc %d %g", rc, m.r[0][0]);
    nts[1] = 3;
    rc = hero_tvr_eval(&m, HERO_TVR_VCMR, &s, &gt, &err);
    check(rc == HERO_EINVAL && strstr(err.msg, "windows"), "DiDeMo: 3 windows is refused", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
}

int main(void) {
    test_rows();
    test_flat();
    test_cut();
    test_nms();
    test_recall();
    test_rounding();
    test_didemo();
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

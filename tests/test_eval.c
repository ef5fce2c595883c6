/* Tests of hero.h's official retrieval metrics (utils/tvr_eval_utils.py + utils/tvr_standalone_eval.py):
   submission rows (the float32 VCMR / float64 SVMR seconds), the flat-index decoding, the
   max_after_nms cut in place, temporal NMS (VCMR per video then re-sorted, SVMR), recall at K
   with float32 IoU, by query type, DiDeMo's 2-of-4 rule, numpy's rounding, and hostile
   arguments; the annotation readers (tests/data/ann: TVR, DiDeMo, VIOLIN, MSR-VTT, TVQA /
   How2QA, TVC JSONL) on real-format files and hostile lines. The golden parity of the same functions is hero_golden's tvr_eval lines
   (tests/golden/tiny-downstream/tvr_eval.safetensors).

   The TVC caption metrics (hero_caption_score: BLEU-1..4, ROUGE-L, CIDEr-D) against the
   official repo's pycocoevalcap scorers, and the caption tokenization approximation.

   Expected values marked "numpy" were computed with the official functions under numpy 1.24.

   Build: gcc -std=c99 -O2 -Wall -Wextra -Wpedantic tests/test_eval.c -o build/test_eval -lm
   Run:   build/test_eval   (from the repository root; prints PASS / FAIL lines, last "N passed, M failed"; exit 1 on failure) */
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

/* an empty submission; the test program stops if even that fails */
static void sub_new(hero_tvr_sub *s, int nq, int k) {
    hero_error err;
    if (hero_tvr_sub_init(s, nq, k, &err) || !s->n || !s->pred || !s->qidx) {
        printf("FAIL hero_tvr_sub_init(%d, %d): %s\n%d passed, %d failed\n", nq, k, err.msg, g_pass, g_fail + 1);
        exit(1);
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
    sub_new(&s, 2, 3);
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
    sub_new(&s, 1, 4);
    rc = hero_tvr_sub_add_flat(&s, 0, flat, sc, 3, top, 3, 3, 4, ids, 3, 1.5, &err);
    check(rc == 0 && s.n[0] == 3 && row(&s, 0, 0)[0] == 100 && row(&s, 0, 0)[1] == 3.0 && row(&s, 0, 0)[2] == 6.0 &&
              row(&s, 0, 1)[0] == 104 && row(&s, 0, 1)[1] == 0 && row(&s, 0, 1)[2] == 4.5 && row(&s, 0, 2)[0] == 107 &&
              row(&s, 0, 2)[1] == 0 && row(&s, 0, 2)[2] == 3.0 && row(&s, 0, 2)[3] == 0.125,
          "add_flat: (rank, st, ed) from the (max_vcmr_video, L, L) cube", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
    sub_new(&s, 1, 4);
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
    sub_new(&s, 3, 5);
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
    sub_new(&s, 1, 8);
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
    sub_new(&s, 1, 150);
    for (i = 0; i < 150; i++) add_row(&s, 0, 3, 10 * i, 10 * i + 5, 1.0 - i * 1e-3);
    rc = hero_tvr_nms(&o, &s, HERO_TVR_SVMR, 0.5, 1000, 1000, &err);
    check(rc == 0 && o.n[0] == 100 && row(&o, 0, 99)[1] == 990, "temporal NMS keeps at most 100 rows", "n %d", rc ? -1 : o.n[0]);
    hero_tvr_sub_free(&o);
    hero_tvr_sub_free(&s);
    /* VCMR: grouped per video (first appearance), NMS within each, re-sorted across videos */
    sub_new(&s, 2, 6);
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
    sub_new(&s, 1, 2);
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
    sub_new(&s, 4, 200);
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
    sub_new(&s, 4000, 1);
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
    sub_new(&s, 2, 1);
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

/* ---- annotation files (tests/data/ann) ---- */
static int streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static void test_annotations(void) {
    hero_ann_list l;
    hero_error err;
    int rc;
    rc = hero_ann_read(&l, HERO_ANN_TVR, "tests/data/ann/tvr.jsonl", &err);
    check(rc == 0 && l.n == 3 && streq(l.items[0].id, "90200") && streq(l.items[0].text, "Rachel walks in with a COFFEE.") &&
              streq(l.items[0].video, "friends_s01e01_seg02_clip_00") && l.items[0].n_ts == 1 && l.items[0].ts[0][0] == 16.48 &&
              l.items[0].ts[0][1] == 33.87 && l.items[0].duration == 60.0 && l.items[0].type == 0 && l.items[0].label == -1 &&
              l.items[1].type == 2 && l.items[1].ts[0][1] == 7.5 && streq(l.items[2].id, "108617") && !l.items[2].video &&
              l.items[2].n_ts == 0 && l.items[2].type == -1,
          "TVR annotations (BOM, CRLF, blank line, test-split record)", "rc %d %s", rc, err.msg);
    hero_ann_list_free(&l);
    rc = hero_ann_read(&l, HERO_ANN_TVR, "tests/data/ann/didemo.jsonl", &err);
    check(rc == 0 && l.n == 2 && l.items[0].n_ts == 4 && l.items[0].ts[2][0] == 5 && l.items[0].ts[3][1] == 10 && l.items[1].n_ts == 5 &&
              streq(l.items[1].text, "camera pans \xc3\xa9t\xc3\xa9"),
          "DiDeMo annotations (4 and 5 windows)", "rc %d %s", rc, err.msg);
    hero_ann_list_free(&l);
    rc = hero_ann_read(&l, HERO_ANN_TVR, "tests/data/ann/violin.jsonl", &err);
    check(rc == 0 && l.n == 2 && streq(l.items[0].id, "ZVKfxw2cBfQ_clip_3-0") && l.items[0].label == 1 && l.items[1].label == 0,
          "VIOLIN annotations (label 1 / false)", "rc %d %s", rc, err.msg);
    hero_ann_list_free(&l);
    rc = hero_ann_read(&l, HERO_ANN_TVR, "tests/data/ann/msrvtt.jsonl", &err);
    check(rc == 0 && l.n == 2 && streq(l.items[0].id, "180000") && streq(l.items[0].text, "a cartoon of a fox") &&
              streq(l.items[0].video, "video7010") && streq(l.items[1].id, "r1") && streq(l.items[1].video, "video7011"),
          "MSR-VTT annotations (sen_id / retrieval_key, caption, clip_name / video_id)", "rc %d %s", rc, err.msg);
    hero_ann_list_free(&l);
    rc = hero_ann_read(&l, HERO_ANN_TVQA, "tests/data/ann/tvqa.jsonl", &err);
    check(rc == 0 && l.n == 3 && streq(l.items[0].id, "7") && l.items[0].n_cand == 5 && streq(l.items[0].cand[1], "A coffee") &&
              l.items[0].label == 1 && l.items[0].n_ts == 1 && l.items[0].ts[0][0] == 76.01 && l.items[0].ts[0][1] == 84.2 &&
              streq(l.items[0].ts_text, "76.01-84.2") && l.items[1].n_ts == 0 && streq(l.items[1].ts_text, "NaN-NaN") &&
              l.items[1].label == -1 && l.items[2].n_cand == 4 && l.items[2].label == 3 && l.items[2].n_ts == 1 &&
              l.items[2].ts[0][0] == 1.5 && l.items[2].ts[0][1] == 30,
          "TVQA / How2QA annotations (\"st-ed\" as Python's float() split, NaN-NaN, 4 candidates)", "rc %d %s", rc, err.msg);
    hero_ann_list_free(&l);
    rc = hero_ann_read(&l, HERO_ANN_TVC, "tests/data/ann/tvc.jsonl", &err);
    check(rc == 0 && l.n == 2 && streq(l.items[0].id, "4") && !l.items[0].text && l.items[0].n_caps == 2 &&
              streq(l.items[0].caps[1].id, "5011") && streq(l.items[0].caps[1].text, "Castle tells Beckett it is late.") &&
              l.items[0].caps[1].type == 2 && l.items[0].ts[0][1] == 16.78 && l.items[1].n_caps == 0,
          "TVC annotations (descs, a clip without captions)", "rc %d %s", rc, err.msg);
    hero_ann_list_free(&l);
    rc = hero_ann_read(&l, HERO_ANN_TVR, "tests/data/ann/no_such_file.jsonl", &err);
    check(rc == HERO_EIO && strstr(err.msg, "no_such_file"), "annotations: a missing file names it", "rc %d %s", rc, err.msg);
}

static void test_annotations_hostile(void) {
    static const struct { int kind; const char *text; int code; const char *needle; } cases[] = {
        {HERO_ANN_TVR, "{\"desc\": \"x\"}\n", HERO_EMISSING, "desc_id"},
        {HERO_ANN_TVR, "{\"desc_id\": 1}\n", HERO_EMISSING, "desc"},
        {HERO_ANN_TVR, "{\"desc_id\": 1.5, \"desc\": \"x\"}\n", HERO_EFORMAT, "integer id"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": 7}\n", HERO_EFORMAT, "string"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"ts\": [1]}\n", HERO_EFORMAT, "ts"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"ts\": [\"1\", \"2\"]}\n", HERO_EFORMAT, "ts"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"ts\": [[1, 2], 3]}\n", HERO_EFORMAT, "ts"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"ts\": [1, 1e300]}\n", HERO_EFORMAT, "ts"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"ts\": []}\n", HERO_EFORMAT, "ts"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"type\": \"tv\"}\n", HERO_EFORMAT, "type"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"label\": 2}\n", HERO_EFORMAT, "label"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"duration\": \"60\"}\n", HERO_EFORMAT, "duration"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\", \"vid_name\": null}\n", HERO_EFORMAT, "vid_name"},
        {HERO_ANN_TVR, "[1, 2]\n", HERO_EFORMAT, "object"},
        {HERO_ANN_TVR, "{\"desc_id\": 1, \"desc\": \"x\"}\n{\"desc_id\": 2, \"desc\n", HERO_EFORMAT, ":2:"},
        {HERO_ANN_TVQA, "{\"qid\": 1, \"q\": \"x\", \"a0\": \"a\", \"answer_idx\": 3}\n", HERO_EFORMAT, "answer_idx"},
        {HERO_ANN_TVQA, "{\"qid\": 1, \"q\": \"x\", \"a0\": 5}\n", HERO_EFORMAT, "a0"},
        {HERO_ANN_TVQA, "{\"qid\": 1, \"q\": \"x\", \"ts\": [[1, 2], [3, 4]]}\n", HERO_EFORMAT, "one [st, ed]"},
        {HERO_ANN_TVC, "{\"clip_id\": 1, \"ts\": [1, 2]}\n", HERO_EMISSING, "vid_name"},
        {HERO_ANN_TVC, "{\"clip_id\": 1, \"vid_name\": \"v\", \"descs\": [{\"desc\": \"x\"}]}\n", HERO_EMISSING, "desc_id"},
        {HERO_ANN_TVC, "{\"clip_id\": 1, \"vid_name\": \"v\", \"descs\": {\"desc\": \"x\"}}\n", HERO_EFORMAT, "descs"},
        {HERO_ANN_TVC, "{\"clip_id\": 1, \"vid_name\": \"v\", \"descs\": [{\"desc\": \"x\", \"desc_id\": 2, \"type\": 1}]}\n", HERO_EFORMAT, "type"},
    };
    char big[4096], name[64];
    hero_ann_list l;
    hero_error err;
    size_t i, p;
    int rc;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&err, 0, sizeof(err));
        rc = hero_ann_parse(&l, (hero_ann_kind)cases[i].kind, cases[i].text, strlen(cases[i].text), "case.jsonl", &err);
        snprintf(name, sizeof(name), "hostile annotation case %d", (int)i);
        check(rc == cases[i].code && strstr(err.msg, cases[i].needle) && strstr(err.msg, "case.jsonl") && l.n == 0 && !l.items, name,
              "rc %d (want %d) msg \"%s\" (want \"%s\")", rc, cases[i].code, err.msg, cases[i].needle);
        hero_ann_list_free(&l);
    }
    /* more windows than HERO_ANN_MAX_TS */
    p = (size_t)snprintf(big, sizeof(big), "{\"desc_id\": 1, \"desc\": \"x\", \"ts\": [");
    for (i = 0; i < HERO_ANN_MAX_TS + 1; i++) p += (size_t)snprintf(big + p, sizeof(big) - p, "%s[1, 2]", i ? ", " : "");
    p += (size_t)snprintf(big + p, sizeof(big) - p, "]}\n");
    rc = hero_ann_parse(&l, HERO_ANN_TVR, big, p, "big.jsonl", &err);
    check(rc == HERO_ELIMIT, "annotations: too many windows is HERO_ELIMIT", "rc %d %s", rc, err.msg);
    rc = hero_ann_parse(&l, HERO_ANN_TVR, "", 0, "empty.jsonl", &err);
    check(rc == 0 && l.n == 0, "annotations: an empty file is an empty list", "rc %d", rc);
    hero_ann_list_free(&l);
    rc = hero_ann_parse(&l, (hero_ann_kind)7, "", 0, "x", &err);
    check(rc == HERO_EINVAL, "annotations: unknown kind", "rc %d", rc);
    /* every prefix of a valid file: an error or a shorter list, never a crash (run under valgrind / ASan) */
    {
        FILE *f = fopen("tests/data/ann/tvc.jsonl", "rb");
        size_t n = f ? fread(big, 1, sizeof(big), f) : 0, cut;
        int bad = 0;
        if (f) fclose(f);
        for (cut = 0; cut <= n; cut++) {
            rc = hero_ann_parse(&l, HERO_ANN_TVC, big, cut, "prefix.jsonl", &err);
            if (rc == 0 && l.n > 2) bad = 1;
            hero_ann_list_free(&l);
        }
        check(n > 100 && !bad, "annotations: every prefix of tvc.jsonl parses or fails cleanly", "n %zu", n);
    }
}

/* annotations -> ground truth -> recall */
static void test_annotation_gt(void) {
    hero_ann_list l;
    hero_tvr_gt gt;
    hero_tvr_sub s;
    hero_tvr_metrics m;
    hero_error err;
    const char *names[3] = {"house_s02e03_seg02_clip_11", "friends_s01e01_seg02_clip_00", "x"};
    const int64_t ids[3] = {40, 41, 42};
    int rc;
    hero_ann_read(&l, HERO_ANN_TVR, "tests/data/ann/tvr.jsonl", &err);
    rc = hero_ann_tvr_gt(&gt, &l, names, ids, 3, &err);
    check(rc == HERO_EMISSING && strstr(err.msg, "108617"), "ann_tvr_gt: a query without a known video is named", "rc %d %s", rc, err.msg);
    hero_tvr_gt_free(&gt); /* zeroed on failure: a no-op */
    l.n = 2; /* without the test-split record */
    rc = hero_ann_tvr_gt(&gt, &l, names, ids, 3, &err);
    check(rc == 0 && gt.n == 2 && gt.video[0] == 41 && gt.video[1] == 40 && gt.max_ts == 1 && gt.ts[1] == 33.87 && gt.type &&
              gt.type[1] == 2,
          "ann_tvr_gt: video ids, windows, types", "rc %d %s", rc, err.msg);
    sub_new(&s, 2, 2);
    add_row(&s, 0, 41, 16.5, 33.0, 1); /* IoU 16.5 / 17.39 = 0.949 */
    add_row(&s, 1, 41, 0, 7.5, 1);     /* the wrong video */
    add_row(&s, 1, 40, 0, 3.0, 0.5);   /* IoU 0.4 */
    rc = rc ? rc : hero_tvr_eval(&m, HERO_TVR_VCMR, &s, &gt, &err);
    check(rc == 0 && m.r[0][0] == 50 && m.r[0][1] == 50 && m.r[1][0] == 50 && m.has_types && m.by_type[0][0][0] == 100 &&
              m.by_type[2][0][0] == 0 && isnan(m.by_type[1][0][0]),
          "annotations -> ground truth -> VCMR recall", "rc %d %s", rc, err.msg);
    hero_tvr_sub_free(&s);
    hero_tvr_gt_free(&gt);
    l.n = 3;
    hero_ann_list_free(&l);
}

/* ---- the official submission built from the official ranking outputs (tests/golden/tiny-downstream/
   vcmr.safetensors: out.infer_* -> out.sub.*, out.nms.*, out.metrics*; every value exact) ---- */
static double *gold(const hero_tensorfile *tf, const char *name, int64_t *n) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    double *v;
    int64_t i, m = t ? hero_tensor_numel(t) : -1;
    if (n) *n = m;
    if (!t || m < 0) return NULL;
    v = (double *)malloc((size_t)(m ? m : 1) * sizeof(double));
    if (t->dtype == HERO_F64) {
        for (i = 0; i < m; i++) {
            uint64_t u = 0;
            int b;
            for (b = 7; b >= 0; b--) u = (u << 8) | t->storage[(t->offset + i) * 8 + b];
            memcpy(&v[i], &u, 8);
        }
    } else {
        float *f = (float *)calloc((size_t)(m ? m : 1), sizeof(float));
        hero_error err;
        if (!f || hero_tensor_read_f32(t, f, m, &err)) { free(f); free(v); return NULL; }
        for (i = 0; i < m; i++) v[i] = f[i];
        free(f);
    }
    return v;
}

/* max |ours - ref| over a submission (rows past either side's count must be (-1, 0, 0, 0)); -1 if the shapes differ */
static double sub_diff(const hero_tvr_sub *s, const hero_tensorfile *tf, const char *prefix) {
    char name[96];
    int64_t np_, nn, q, j, c, K;
    double *p, *n, *qi, md = 0;
    snprintf(name, sizeof(name), "%s.pred", prefix);
    p = gold(tf, name, &np_);
    snprintf(name, sizeof(name), "%s.n", prefix);
    n = gold(tf, name, &nn);
    snprintf(name, sizeof(name), "%s.qidx", prefix);
    qi = gold(tf, name, NULL);
    if (!p || !n || !qi || nn != s->n_queries) { free(p); free(n); free(qi); return -1; }
    K = np_ / (4 * nn);
    for (q = 0; q < nn; q++) {
        if (n[q] != s->n[q] || qi[q] != s->qidx[q]) md = 1e300;
        for (j = 0; j < (K > s->k ? K : s->k); j++)
            for (c = 0; c < 4; c++) {
                double pad = c ? 0 : -1, a = j < s->k ? s->pred[(q * s->k + j) * 4 + c] : pad, b = j < K ? p[(q * K + j) * 4 + c] : pad;
                if (fabs(a - b) > md) md = fabs(a - b);
            }
    }
    free(p); free(n); free(qi);
    return md;
}

static int metrics_equal(const hero_tvr_metrics *m, const hero_tensorfile *tf, const char *group, const char *task, int *count) {
    char key[32], name[128];
    int i, k, ty, ok = 1, ni = m->task == HERO_TVR_VR ? 1 : HERO_TVR_N_IOU;
    for (i = 0; i < ni; i++)
        for (k = 0; k < HERO_TVR_N_K; k++)
            for (ty = -1; ty < 3; ty++) {
                double *v;
                double ours = ty < 0 ? m->r[i][k] : m->by_type[ty][i][k];
                if (ty >= 0 && !m->has_types) continue;
                snprintf(name, sizeof(name), "out.%s.%s%s.%s", group, task, ty < 0 ? "" : "_by_type",
                         hero_tvr_metric_key(key, sizeof(key), m->task, ty, i, k));
                if (!(v = gold(tf, name, NULL))) continue; /* the file holds the keys the official dict had */
                (*count)++;
                if (!(v[0] == ours || (v[0] != v[0] && ours != ours))) { printf("   %s: %.17g vs %.17g\n", name, ours, v[0]); ok = 0; }
                free(v);
            }
    return ok;
}

static void test_vcmr_golden(void) {
    hero_tensorfile tf;
    hero_error err;
    hero_tvr_sub vc, sv, vr, nv, ns;
    hero_tvr_metrics m;
    hero_tvr_gt gt;
    int64_t nq, nv_, ntop, q, j, i;
    double *fidx, *fsc, *top, *tsc, *trip, *gidx, *order, *qidx, *qvid, *qts, *qtype;
    int64_t *ids = NULL, *gvid = NULL;
    int32_t *tops = NULL, *types = NULL;
    double *gts = NULL;
    int ok, nmet = 0;
    const int L = 12, NV = 3, K = 20;   /* eval_settings: max_clip_len 12, max_vcmr_video 3, max_before_nms 20 */
    const double interval = 1.5;
    if (hero_tensorfile_open(&tf, "tests/golden/tiny-downstream/vcmr.safetensors", &err)) { check(0, "vcmr golden opens", "%s", err.msg); return; }
    fidx = gold(&tf, "out.infer_vcmr_flat_sorted_idx", NULL);
    fsc = gold(&tf, "out.infer_vcmr_flat_sorted_scores", NULL);
    top = gold(&tf, "out.infer_vr_sorted_local_idx", &ntop);
    tsc = gold(&tf, "out.infer_vr_sorted_scores", NULL);
    trip = gold(&tf, "out.infer_svmr_triples", NULL);
    gidx = gold(&tf, "in.eval_video_global_idx", &nv_);
    order = gold(&tf, "in.eval_video_order", NULL);
    qidx = gold(&tf, "in.eval_qidx", &nq);
    qvid = gold(&tf, "raw.q_vid", NULL);
    qts = gold(&tf, "raw.q_ts", NULL);
    qtype = gold(&tf, "raw.q_type", NULL);
    if (!fidx || !fsc || !top || !tsc || !trip || !gidx || !order || !qidx || !qvid || !qts || !qtype || ntop != nq * NV) {
        check(0, "vcmr golden: the ranking outputs", "missing tensors");
        goto done;
    }
    ids = (int64_t *)malloc((size_t)nv_ * sizeof(int64_t));
    tops = (int32_t *)malloc((size_t)ntop * sizeof(int32_t));
    gvid = (int64_t *)malloc((size_t)nq * sizeof(int64_t));
    gts = (double *)malloc((size_t)nq * 2 * sizeof(double));
    types = (int32_t *)malloc((size_t)nq * sizeof(int32_t));
    for (i = 0; i < nv_; i++) ids[i] = (int64_t)gidx[i];
    for (i = 0; i < ntop; i++) tops[i] = (int32_t)top[i];
    sub_new(&vc, (int)nq, K);
    sub_new(&sv, (int)nq, K);
    sub_new(&vr, (int)nq, NV);
    ok = 1;
    for (q = 0; q < nq; q++) {
        int64_t raw = (int64_t)qidx[q], local = -1;
        float sc[20];
        int64_t fl[20];
        for (i = 0; i < nv_; i++) if ((int64_t)order[i] == (int64_t)qvid[raw]) local = i;
        if (local < 0) { ok = 0; break; }
        gvid[q] = ids[local];
        gts[2 * q] = qts[2 * raw];
        gts[2 * q + 1] = qts[2 * raw + 1];
        types[q] = (int32_t)qtype[raw];
        vc.qidx[q] = sv.qidx[q] = vr.qidx[q] = (int32_t)raw;
        for (j = 0; j < K; j++) { fl[j] = (int64_t)fidx[q * K + j]; sc[j] = (float)fsc[q * K + j]; }
        ok &= hero_tvr_sub_add_flat(&vc, (int)q, fl, sc, K, tops + q * NV, NV, NV, L, ids, (int)nv_, interval, &err) == 0;
        for (j = 0; j < K; j++) {
            const double *t = trip + (q * K + j) * 3;
            ok &= hero_tvr_sub_add(&sv, HERO_TVR_SVMR, (int)q, gvid[q], (int)t[0], (int)t[1], (float)t[2], interval, &err) == 0;
        }
        for (j = 0; j < NV; j++)
            ok &= hero_tvr_sub_add(&vr, HERO_TVR_VR, (int)q, ids[tops[q * NV + j]], 0, 0, (float)tsc[q * NV + j], interval, &err) == 0;
    }
    check(ok, "vcmr golden: rows from the ranking outputs", "%s", err.msg);
    /* max_after_nms 10, in place */
    hero_tvr_sub_cut(&vc, 10, &err);
    hero_tvr_sub_cut(&sv, 10, &err);
    hero_tvr_sub_cut(&vr, 10, &err);
    check(sub_diff(&vc, &tf, "out.sub.VCMR") == 0 && sub_diff(&sv, &tf, "out.sub.SVMR") == 0 && sub_diff(&vr, &tf, "out.sub.VR") == 0,
          "vcmr golden: VCMR / SVMR / VR submissions equal (flat-index decoding, seconds, scores)", "diff %g %g %g",
          sub_diff(&vc, &tf, "out.sub.VCMR"), sub_diff(&sv, &tf, "out.sub.SVMR"), sub_diff(&vr, &tf, "out.sub.VR"));
    memset(&gt, 0, sizeof(gt));
    /* eval_retrieval matches by desc_id: the submission's qidx are raw query indices; ground truth in that order */
    for (q = 0; q < nq; q++) vc.qidx[q] = sv.qidx[q] = vr.qidx[q] = (int32_t)q;
    gt.n = (int)nq; gt.video = gvid; gt.ts = gts; gt.max_ts = 1; gt.type = types;
    ok = hero_tvr_eval(&m, HERO_TVR_VCMR, &vc, &gt, &err) == 0 && metrics_equal(&m, &tf, "metrics", "VCMR", &nmet);
    ok &= hero_tvr_eval(&m, HERO_TVR_SVMR, &sv, &gt, &err) == 0 && metrics_equal(&m, &tf, "metrics", "SVMR", &nmet);
    ok &= hero_tvr_eval(&m, HERO_TVR_VR, &vr, &gt, &err) == 0 && metrics_equal(&m, &tf, "metrics", "VR", &nmet);
    ok &= hero_tvr_nms(&nv, &vc, HERO_TVR_VCMR, 0.5, 20, 10, &err) == 0 && hero_tvr_nms(&ns, &sv, HERO_TVR_SVMR, 0.5, 20, 10, &err) == 0;
    if (ok) {
        for (q = 0; q < nq; q++) nv.qidx[q] = ns.qidx[q] = (int32_t)qidx[q];
        ok &= sub_diff(&nv, &tf, "out.nms.VCMR") == 0 && sub_diff(&ns, &tf, "out.nms.SVMR") == 0;
        for (q = 0; q < nq; q++) nv.qidx[q] = ns.qidx[q] = (int32_t)q;
        ok &= hero_tvr_eval(&m, HERO_TVR_VCMR, &nv, &gt, &err) == 0 && metrics_equal(&m, &tf, "metrics_nms", "VCMR", &nmet);
        ok &= hero_tvr_eval(&m, HERO_TVR_SVMR, &ns, &gt, &err) == 0 && metrics_equal(&m, &tf, "metrics_nms", "SVMR", &nmet);
        hero_tvr_sub_free(&nv);
        hero_tvr_sub_free(&ns);
    }
    check(ok && nmet >= 80, "vcmr golden: NMS rows and every recall value equal", "%d values compared; %s", nmet, err.msg);
    hero_tvr_sub_free(&vc);
    hero_tvr_sub_free(&sv);
    hero_tvr_sub_free(&vr);
done:
    free(fidx); free(fsc); free(top); free(tsc); free(trip); free(gidx); free(order); free(qidx); free(qvid); free(qts); free(qtype);
    free(ids); free(tops); free(gvid); free(gts); free(types);
    hero_tensorfile_close(&tf);
}

/* TVC caption metrics (hero_caption_score) against the scorers eval/tvc.py uses: expected values
   printed (repr) by the official repo's eval/pycocoevalcap bleu / rouge / cider modules run under
   Python 3 + numpy 1.24 on exactly these strings (Bleu(4), Rouge(), Cider() .compute_score with
   gts = {i: refs}, res = {i: [hyp]}). Cases: an empty hypothesis, repeated n-grams (clipping),
   'closest' reference-length ties, a double space (ROUGE-L's split(" ") keeps the empty token),
   a clip with 4 references; then one clip with one reference (CIDEr's log(1) = 0 idf, BLEU over
   a longer hypothesis). */
static int near_rel(double a, double b, double tol) { return fabs(a - b) <= tol * (fabs(b) > 1e-300 ? fabs(b) : 1); }

static void test_caption_metrics(void) {
    static const char *const hyps[8] = {
        "he opens the door", "she sits on the couch next to him", "", "the the the the", "leonard says hi to penny",
        "a man and a woman talk in the kitchen while a man cooks", "sheldon  points at the board", "they leave"};
    static const int n_refs[8] = {3, 2, 1, 2, 4, 2, 2, 2};
    static const char *const refs[18] = {
        "he opens the door and leaves", "a man opens a door", "he walks to the door",
        "she sits down on the couch", "the woman sits next to the man on the couch",
        "someone talks",
        "the cat sat on the mat", "the the",
        "leonard says hello to penny", "leonard greets penny at the door", "penny says hi", "leonard waves",
        "a man and a woman talk", "two people talk in the kitchen",
        "sheldon points at the white board", "sheldon explains the board to leonard",
        "they leave the room together", "they go"};
    static const double want[6] = {0.8292682926627009, 0.7650920556554243, 0.6201338462350259, 0.5109131318806885,
                                   0.6441689459678381, 2.1917429694263566}; /* Bleu_1..4, ROUGE_L, CIDEr (Python) */
    static const double want1[6] = {0.7142857141836736, 0.6900655592355586, 0.6586337558964865, 0.6147881528345279,
                                    0.8591549295774649, 0.0};
    static const char *const h1[1] = {"a b c d e f g"}, *const r1[1] = {"a b c d e"};
    static const int n1[1] = {1};
    hero_caption_metrics m;
    hero_error err;
    const char *bad_refs[2] = {"x", NULL};
    int rc, k, ok;
    char buf[256];
    size_t n;
    rc = hero_caption_score(&m, 8, hyps, n_refs, refs, &err);
    ok = rc == 0;
    for (k = 0; ok && k < 4; k++) ok = near_rel(m.bleu[k], want[k], 1e-12);
    ok = ok && near_rel(m.rouge_l, want[4], 1e-12) && near_rel(m.cider, want[5], 1e-12);
    check(ok, "caption metrics: BLEU-1..4, ROUGE-L, CIDEr-D = pycocoevalcap's (8 clips, 1e-12)",
          "rc %d (%s): bleu %.17g %.17g %.17g %.17g rouge %.17g cider %.17g", rc, rc ? err.msg : "", m.bleu[0], m.bleu[1], m.bleu[2],
          m.bleu[3], m.rouge_l, m.cider);
    rc = hero_caption_score(&m, 1, h1, n1, r1, &err);
    ok = rc == 0;
    for (k = 0; ok && k < 4; k++) ok = near_rel(m.bleu[k], want1[k], 1e-12);
    ok = ok && near_rel(m.rouge_l, want1[4], 1e-12) && m.cider == 0;
    check(ok, "caption metrics: one clip, one reference (CIDEr 0: log(1) idf), hypothesis longer than the reference",
          "rc %d: bleu %.17g %.17g %.17g %.17g rouge %.17g cider %.17g", rc, m.bleu[0], m.bleu[1], m.bleu[2], m.bleu[3], m.rouge_l, m.cider);
    /* hostile arguments */
    rc = hero_caption_score(&m, 0, hyps, n_refs, refs, &err);
    check(rc == HERO_EINVAL, "caption metrics: 0 clips refused", "rc %d", rc);
    {
        int nr0[1] = {0};
        rc = hero_caption_score(&m, 1, hyps, nr0, refs, &err);
        check(rc == HERO_EINVAL && strstr(err.msg, "clip 0"), "caption metrics: a clip without references refused (named)", "rc %d %s", rc, err.msg);
    }
    {
        int nr2[1] = {2};
        rc = hero_caption_score(&m, 1, hyps, nr2, bad_refs, &err);
        check(rc == HERO_EINVAL && strstr(err.msg, "reference 1"), "caption metrics: a NULL reference refused (named)", "rc %d %s", rc, err.msg);
    }
    /* the tokenization approximation */
    {
        static const char *const in[5] = {"He's walking to the door.", "Sheldon doesn't sit, he stands!",
                                          "Leonard (in a red shirt) says \"hi\" to Penny...", "It costs $3.50 at 5:30 in the U.S.",
                                          "  The  CAFÉ can't -- won't open;  "};
        static const char *const exp_[5] = {"he 's walking to the door", "sheldon does n't sit he stands",
                                            "leonard in a red shirt says hi to penny", "it costs $ 3.50 at 5:30 in the u.s.",
                                            "the caf ca n't wo n't open"};
        int i;
        ok = 1;
        for (i = 0; i < 5 && ok; i++) {
            n = hero_caption_tokenize(in[i], buf, sizeof(buf));
            ok = n == strlen(exp_[i]) && !strcmp(buf, exp_[i]);
            if (!ok) printf("   tokenize \"%s\" -> \"%s\", expected \"%s\"\n", in[i], buf, exp_[i]);
        }
        n = hero_caption_tokenize("Sheldon sits", buf, 5);
        ok = ok && n == 12 && !strcmp(buf, "shel");
        check(ok, "caption tokenization (PTB approximation): clitics, punctuation dropped, numbers, abbreviations, truncation", "see above");
    }
}

int main(void) {
    test_rows();
    test_flat();
    test_cut();
    test_nms();
    test_recall();
    test_rounding();
    test_didemo();
    test_annotations();
    test_annotations_hostile();
    test_annotation_gt();
    test_vcmr_golden();
    test_caption_metrics();
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

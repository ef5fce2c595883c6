/* Tests for the file formats of hero.h: JSON, half floats, safetensors, torch.save (zip + legacy),
   npy/npz, inflate, and hostile inputs. Run from the repository root (or tests/).
   Data: tests/golden/tiny/ and tests/data/ (regenerate the latter with
   /usr/bin/python3 tests/data/make_test_data.py). */
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_pass, g_fail;
static const char *g_root = "";

static void check(int ok, const char *name, const char *fmt, ...) {
    if (ok) {
        g_pass++;
        printf("PASS %s\n", name);
    } else {
        va_list ap;
        g_fail++;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
}

static const char *P(const char *rel) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s%s", g_root, rel);
    return buf[k];
}

static unsigned char *slurp(const char *path, size_t *n) {
    unsigned char *b = NULL;
    hero_error e;
    if (hero__read_file(path, 0, &b, n, &e)) { fprintf(stderr, "# cannot read %s: %s\n", path, e.msg); return NULL; }
    return b;
}

static uint32_t g_rng = 12345u;
static uint32_t rnd(void) { g_rng = g_rng * 1664525u + 1013904223u; return g_rng >> 8; }

/* ---------------- JSON ---------------- */
static void test_json(void) {
    const char *doc = "{\"a\": [1, -0.5e2, 0, 1e-3, 123456789012, true, false, null],\n"
                      " \"s\": \"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\", \"u\": \"\\u00e9\\ud83d\\ude00\", \"z\": \"a\\u0000b\","
                      " \"o\": {}, \"e\": [], \"n\": {\"x\": {\"y\": [[]]}}, \"raw\": \"\xc3\xa9\xf0\x9f\x98\x80\"}";
    hero_json j, k;
    hero_error e;
    const hero_json *a, *s, *u, *z;
    int rc = hero_json_parse(doc, strlen(doc), &j, &e), ok;
    check(rc == 0 && j.type == HERO_JSON_OBJECT && j.n == 8, "json_parse_object", "rc %d %s", rc, rc ? e.msg : "");
    a = hero_json_get(&j, "a");
    ok = a && a->type == HERO_JSON_ARRAY && a->n == 8 && a->items[0].number == 1 && a->items[1].number == -50 &&
         a->items[3].number == 1e-3 && a->items[4].number == 123456789012.0 && a->items[5].type == HERO_JSON_BOOL &&
         a->items[5].boolean == 1 && a->items[6].boolean == 0 && a->items[7].type == HERO_JSON_NULL;
    check(ok, "json_numbers_literals", "array content wrong");
    s = hero_json_get(&j, "s");
    u = hero_json_get(&j, "u");
    z = hero_json_get(&j, "z");
    check(s && strcmp(s->string, "q\"b\\s/\b\f\n\r\t") == 0 && s->len == 11, "json_escapes", "got '%s'", s ? s->string : "?");
    check(u && strcmp(u->string, "\xc3\xa9\xf0\x9f\x98\x80") == 0 && u->len == 6, "json_unicode_surrogates", "bad \\u decoding");
    check(z && z->len == 3 && z->string[1] == 0 && z->string[2] == 'b', "json_embedded_nul", "len %d", z ? (int)z->len : -1);
    check(hero_json_get(&j, "raw") && strcmp(hero_json_get(&j, "raw")->string, "\xc3\xa9\xf0\x9f\x98\x80") == 0, "json_raw_utf8", "raw");
    check(hero_json_get(&j, "missing") == NULL && hero_json_get(a, "x") == NULL && hero_json_get(NULL, "x") == NULL,
          "json_get_absent", "expected NULL");
    check(hero_json_get(&j, "o")->type == HERO_JSON_OBJECT && hero_json_get(&j, "o")->n == 0 &&
              hero_json_get(hero_json_get(hero_json_get(&j, "n"), "x"), "y")->items[0].type == HERO_JSON_ARRAY,
          "json_nested_empty", "nested");
    hero_json_free(&j);
    check(hero_json_parse(" 42 ", 4, &k, &e) == 0 && k.type == HERO_JSON_NUMBER && k.number == 42, "json_top_scalar", "42");
    hero_json_free(&k);
    check(hero_json_parse("\xEF\xBB\xBF\"x\"", 6, &k, &e) == 0 && k.type == HERO_JSON_STRING, "json_bom", "bom");
    hero_json_free(&k);
    {
        static const char *bad[] = {"", " ", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "[+1]", "{a:1}",
                                    "{'a':1}", "[1 2]", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
                                    "\"\\ud800\\u0041\"", "\"a\tb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
                                    "\"\xf4\x90\x80\x80\"", "[1]x", "[NaN]", "[Infinity]", "//c\n1", "tru", "nul", "[1e999]",
                                    "{\"a\" 1}", "[", "{", "]", "[\"a\",", "{\"a\":}", "-0x1", "1.5e+", "\"\\", "[true false]"};
        int i, nbad = 0;
        char which[64] = "";
        for (i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
            memset(&e, 0, sizeof e);
            rc = hero_json_parse(bad[i], strlen(bad[i]), &k, &e);
            if (rc == 0 || k.type != HERO_JSON_NULL || k.items || e.msg[0] == 0) {
                nbad++;
                snprintf(which, sizeof which, "#%d '%s'", i, bad[i]);
            }
            hero_json_free(&k);
        }
        check(nbad == 0, "json_rejects_invalid", "%d accepted, last %s", nbad, which);
    }
    {
        char deep[200];
        int d;
        for (d = 0; d < 64; d++) deep[d] = '[';
        for (d = 0; d < 64; d++) deep[64 + d] = ']';
        check(hero_json_parse(deep, 128, &k, &e) == 0, "json_depth_64_ok", "%s", e.msg);
        hero_json_free(&k);
        memmove(deep + 1, deep, 128);
        deep[0] = '[';
        deep[129] = ']';
        rc = hero_json_parse(deep, 130, &k, &e);
        check(rc == HERO_ELIMIT, "json_depth_65_rejected", "rc %d", rc);
    }
    rc = hero_json_parse("{\n  \"a\": [1,\n 2,,]}", 19, &k, &e);
    check(rc == HERO_EFORMAT && strstr(e.msg, "line 3") && strstr(e.msg, "column 4"), "json_error_line_column", "%s", e.msg);
    rc = hero_json_read_file(P("tests/golden/tiny/config.json"), &k, &e);
    check(rc == 0 && k.type == HERO_JSON_OBJECT && k.n > 0, "json_read_file", "%s", rc ? e.msg : "");
    hero_json_free(&k);
    rc = hero_json_read_file(P("tests/no/such.json"), &k, &e);
    check(rc == HERO_EIO && strstr(e.msg, "such.json"), "json_read_file_missing", "rc %d %s", rc, e.msg);
}

/* ---------------- half floats ---------------- */
static double *half_table(int bf) { /* values of positive codes 0 .. inf, inf taken as the next power of two */
    int n = bf ? 0x7f81 : 0x7c01, h;
    double *t = (double *)malloc((size_t)n * sizeof(double));
    for (h = 0; h < n; h++) t[h] = bf ? (double)hero_bf16_to_f32((uint16_t)h) : (double)hero_f16_to_f32((uint16_t)h);
    t[n - 1] = bf ? ldexp(1.0, 128) : 65536.0;
    return t;
}

static uint16_t ref_round(const double *t, int n, float f) { /* nearest, ties to even, by search */
    double a = fabs((double)f);
    int lo = 0, hi = n - 1, r;
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    if (a >= t[n - 1]) return (uint16_t)(sign | (n - 1));
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (t[mid] <= a) lo = mid; else hi = mid;
    }
    if (a - t[lo] < t[hi] - a) r = lo;
    else if (a - t[lo] > t[hi] - a) r = hi;
    else r = (lo & 1) ? hi : lo;
    return (uint16_t)(sign | r);
}

static void test_halves(void) {
    int h, bad = 0, bf;
    uint32_t u;
    for (h = 0; h < 65536; h++) {
        float f = hero_f16_to_f32((uint16_t)h);
        int isnan16 = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (isnan16 ? !(f != f) || (hero_f32_to_f16(f) & 0x7fff) <= 0x7c00 : hero_f32_to_f16(f) != h) bad++;
    }
    check(bad == 0, "f16_roundtrip_all_65536", "%d mismatches", bad);
    check(hero_f16_to_f32(0x3c00) == 1.0f && hero_f16_to_f32(0x7bff) == 65504.0f && hero_f16_to_f32(0x0001) == ldexpf(1, -24) &&
              hero_f16_to_f32(0x03ff) == 1023 * ldexpf(1, -24) && hero_f16_to_f32(0x0400) == ldexpf(1, -14) &&
              isinf(hero_f16_to_f32(0x7c00)) && hero_f16_to_f32(0xfc00) < 0 && signbit(hero_f16_to_f32(0x8000)) &&
              hero_f16_to_f32(0xc000) == -2.0f,
          "f16_known_values", "known values");
    for (bf = 0; bf < 2; bf++) {
        double *t = half_table(bf);
        int n = bf ? 0x7f81 : 0x7c01;
        bad = 0;
        for (u = 0; u < 0xfffff000u; u += 4093) {
            float f;
            uint16_t got, want;
            memcpy(&f, &u, 4);
            got = bf ? hero_f32_to_bf16(f) : hero_f32_to_f16(f);
            if (f != f) { bad += bf ? (got & 0x7fff) <= 0x7f80 : (got & 0x7fff) <= 0x7c00; continue; }
            want = ref_round(t, n, f);
            if (got != want) {
                if (bad < 3) fprintf(stderr, "# %s(%a) = %04x want %04x\n", bf ? "bf16" : "f16", (double)f, got, want);
                bad++;
            }
        }
        /* exact ties and boundaries */
        {
            float ties[] = {65520.0f, 65519.99f, 65504.0f, ldexpf(1, -25), ldexpf(1.5f, -25), ldexpf(1, -24) * 1.5f,
                            ldexpf(1, -24) * 2.5f, 1.0f + ldexpf(1, -11), 1.0f + ldexpf(3, -11), 3.4028235e38f, 1.0f + ldexpf(1, -8)};
            int k;
            for (k = 0; k < (int)(sizeof ties / sizeof ties[0]); k++) {
                uint16_t got = bf ? hero_f32_to_bf16(ties[k]) : hero_f32_to_f16(ties[k]), want = ref_round(t, n, ties[k]);
                uint16_t gotn = bf ? hero_f32_to_bf16(-ties[k]) : hero_f32_to_f16(-ties[k]);
                if (got != want || gotn != (want | 0x8000)) {
                    fprintf(stderr, "# tie %s(%a) = %04x want %04x\n", bf ? "bf16" : "f16", (double)ties[k], got, want);
                    bad++;
                }
            }
        }
        check(bad == 0, bf ? "bf16_round_nearest_even" : "f16_round_nearest_even", "%d mismatches vs reference", bad);
        free(t);
    }
    bad = 0;
    for (h = 0; h < 65536; h++) {
        float f = hero_bf16_to_f32((uint16_t)h);
        if (!(f != f) && hero_f32_to_bf16(f) != h) bad++;
    }
    check(bad == 0, "bf16_roundtrip_all", "%d mismatches", bad);
    {
        float src[6] = {1.0f, 70000.0f, INFINITY, NAN, -1e6f, 3.4028235e38f};
        uint16_t d16[6], db[6];
        int64_t o16 = hero_f32_to_f16_buf(src, d16, 6), ob = hero_f32_to_bf16_buf(src, db, 6);
        check(o16 == 3 && ob == 1 && d16[0] == 0x3c00 && d16[1] == 0x7c00 && (d16[3] & 0x7fff) > 0x7c00 && d16[4] == 0xfc00 &&
                  db[0] == 0x3f80 && (db[3] & 0x7fff) > 0x7f80,
              "half_buffers_overflow_count", "o16 %lld ob %lld", (long long)o16, (long long)ob);
    }
}

/* ---------------- checksums of the golden files (computed with torch) ---------------- */
static double tensor_checksum(const hero_tensor_info *t, int *ok) {
    int64_t n = hero_tensor_numel(t), i;
    double s = 0;
    hero_error e;
    float *f = (float *)malloc((size_t)(n ? n : 1) * sizeof(float));
    int64_t *q = (int64_t *)malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    int isint = !(t->dtype == HERO_F32 || t->dtype == HERO_F16 || t->dtype == HERO_BF16 || t->dtype == HERO_F64);
    if (isint ? hero_tensor_read_i64(t, q, n, &e) : hero_tensor_read_f32(t, f, n, &e)) { *ok = 0; fprintf(stderr, "# %s\n", e.msg); }
    for (i = 0; i < n; i++) s += (isint ? (double)q[i] : (double)f[i]) * (double)(i % 13 + 1);
    free(f);
    free(q);
    return s;
}

static void test_golden(void) {
    static const struct { const char *file; int n; long numel; double sum; } G[] = {
        {"fom.safetensors", 103, 80972, 70215.00748439852},
        {"mffr.safetensors", 104, 78578, 67117.422762981878},
        {"mfm-nce.safetensors", 105, 78983, 66712.08537984245},
        {"mlm.safetensors", 70, 55480, 112582.45710680206},
        {"repr.safetensors", 95, 88972, 64033.428974130002},
        {"train.safetensors", 227, 211656, 11670.500455461577},
        {"vsm.safetensors", 134, 96785, -25482466.719474249},
        {"roberta_init/expected_after_load.safetensors", 54, 59184, 2675.5673969759573},
        {"model.pt", 115, 111960, 5435.6732670068741},
        {"model_legacy.pt", 115, 111960, 5435.6732670068741},
        {"roberta_init/pytorch_model.bin", 205, 245915, 8225.2001238621524},
    };
    int g;
    for (g = 0; g < (int)(sizeof G / sizeof G[0]); g++) {
        char path[256], name[128];
        hero_tensorfile tf;
        hero_error e;
        int rc, i, ok = 1;
        long numel = 0;
        double sum = 0;
        snprintf(path, sizeof path, "tests/golden/tiny/%s", G[g].file);
        snprintf(name, sizeof name, "golden_%s", G[g].file);
        rc = hero_tensorfile_open(&tf, P(path), &e);
        if (rc) { check(0, name, "%s", e.msg); continue; }
        for (i = 0; i < tf.n_tensors; i++) {
            numel += (long)hero_tensor_numel(&tf.tensors[i]);
            sum += tensor_checksum(&tf.tensors[i], &ok);
        }
        check(ok && tf.n_tensors == G[g].n && numel == G[g].numel && fabs(sum - G[g].sum) <= 1e-9 * fabs(G[g].sum) + 1e-6, name,
              "tensors %d/%d numel %ld/%ld sum %.17g/%.17g", tf.n_tensors, G[g].n, numel, G[g].numel, sum, G[g].sum);
        if (strstr(G[g].file, ".safetensors") && !strstr(G[g].file, "roberta")) {
            const char *set = hero_tensorfile_meta(&tf, "set");
            snprintf(name, sizeof name, "golden_meta_%s", G[g].file);
            check(tf.format == HERO_FMT_SAFETENSORS && set && strcmp(set, "tiny") == 0 && !hero_tensorfile_meta(&tf, "nope") &&
                      tf.meta.type == HERO_JSON_OBJECT,
                  name, "meta set = %s", set ? set : "NULL");
        }
        hero_tensorfile_close(&tf);
    }
}

static int same_tensor(const hero_tensor_info *a, const hero_tensor_info *b) {
    int64_t n = hero_tensor_numel(a);
    float *x, *y;
    int ok;
    hero_error e;
    if (strcmp(a->name, b->name) || a->dtype != b->dtype || a->ndim != b->ndim || n != hero_tensor_numel(b)) return 0;
    if (memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim)) return 0;
    x = (float *)malloc((size_t)(n + 1) * 4);
    y = (float *)malloc((size_t)(n + 1) * 4);
    ok = !hero_tensor_read_f32(a, x, n, &e) && !hero_tensor_read_f32(b, y, n, &e) && !memcmp(x, y, (size_t)n * 4);
    free(x);
    free(y);
    return ok;
}

static void test_torch_golden(void) {
    hero_tensorfile z, l;
    hero_error e;
    int i, same = 1;
    const hero_tensor_info *d, *w;
    const hero_entry_info *vp;
    if (hero_tensorfile_open(&z, P("tests/golden/tiny/model.pt"), &e)) { check(0, "torch_zip_open", "%s", e.msg); return; }
    if (hero_tensorfile_open(&l, P("tests/golden/tiny/model_legacy.pt"), &e)) {
        check(0, "torch_legacy_open", "%s", e.msg);
        hero_tensorfile_close(&z);
        return;
    }
    check(z.format == HERO_FMT_TORCH_ZIP && l.format == HERO_FMT_TORCH_LEGACY, "torch_formats_detected", "%d %d", z.format, l.format);
    same = z.n_tensors == l.n_tensors && z.n_tensors == 115;
    for (i = 0; same && i < z.n_tensors; i++)
        same = same_tensor(&z.tensors[i], &l.tensors[i]) && z.tensors[i].storage_id == l.tensors[i].storage_id &&
               z.tensors[i].dtype == HERO_F16;
    check(same, "torch_zip_equals_legacy", "tensor %d differs", i - 1);
    d = hero_tensorfile_find(&z, "v_encoder.f_encoder.lm_head.decoder.weight");
    w = hero_tensorfile_find(&z, "v_encoder.f_encoder.embeddings.word_embeddings.weight");
    check(d && w && d->storage_id == w->storage_id && d->storage == w->storage &&
              hero_tensorfile_find(&z, "v_encoder.pad")->storage_id != w->storage_id,
          "torch_tied_decoder_shares_storage", "storage ids differ");
    d = hero_tensorfile_find(&l, "v_encoder.f_encoder.lm_head.decoder.weight");
    w = hero_tensorfile_find(&l, "v_encoder.f_encoder.embeddings.word_embeddings.weight");
    check(d && w && d->storage_id == w->storage_id, "torch_legacy_tied_decoder", "storage ids differ");
    vp = hero_tensorfile_entry(&z, "vocab_padded");
    check(z.n_entries == 1 && l.n_entries == 1 && vp && !strcmp(vp->kind, "bool") && !strcmp(vp->value, "True") &&
              !strcmp(l.entries[0].value, "True"),
          "torch_entry_vocab_padded", "entries %d", z.n_entries);
    check(hero_tensorfile_find(&z, "nope") == NULL && hero_tensorfile_entry(&z, "nope") == NULL && !hero_tensorfile_meta(&z, "set"),
          "torch_find_absent", "find");
    hero_tensorfile_close(&z);
    hero_tensorfile_close(&l);
    hero_tensorfile_close(&l); /* double close is safe */
}

/* Every "pre<name>" reference tensor must match tensor <name> of tf. */
static int match_ref(const hero_tensorfile *ref, const hero_tensorfile *tf, const char *pre, char *why, size_t wl) {
    int i, count = 0;
    size_t pl = strlen(pre);
    for (i = 0; i < ref->n_tensors; i++) {
        const hero_tensor_info *r = &ref->tensors[i], *t;
        int64_t n = hero_tensor_numel(r), k;
        hero_error e;
        if (strncmp(r->name, pre, pl) != 0) continue;
        count++;
        t = hero_tensorfile_find(tf, r->name + pl);
        if (!t || t->ndim != r->ndim || memcmp(t->shape, r->shape, sizeof(int64_t) * (size_t)r->ndim)) {
            snprintf(why, wl, "%s: missing or shape differs", r->name);
            return -1;
        }
        if (r->dtype == HERO_F32) {
            float *a = (float *)malloc((size_t)(n + 1) * 4), *b = (float *)malloc((size_t)(n + 1) * 4);
            int bad = hero_tensor_read_f32(r, a, n, &e) || hero_tensor_read_f32(t, b, n, &e);
            for (k = 0; k < n && !bad; k++) bad = memcmp(&a[k], &b[k], 4) != 0 && !(a[k] != a[k] && b[k] != b[k]);
            free(a);
            free(b);
            if (bad) { snprintf(why, wl, "%s: values differ", r->name); return -1; }
        } else {
            int64_t *a = (int64_t *)malloc((size_t)(n + 1) * 8), *b = (int64_t *)malloc((size_t)(n + 1) * 8);
            float *c = (float *)malloc((size_t)(n + 1) * 4);
            int bad = hero_tensor_read_i64(r, a, n, &e) || hero_tensor_read_i64(t, b, n, &e) || hero_tensor_read_f32(t, c, n, &e);
            for (k = 0; k < n && !bad; k++) bad = a[k] != b[k] || c[k] != (float)a[k];
            free(a);
            free(b);
            free(c);
            if (bad) { snprintf(why, wl, "%s: values differ", r->name); return -1; }
        }
    }
    return count;
}

static void test_generated(void) {
    static const char *files[] = {"tests/data/ckpt.pt", "tests/data/ckpt_legacy.pt", "tests/data/ckpt_little.pt", "tests/data/ckpt_p4.pt",
                                  "tests/data/ckpt_legacy_p4.pt", "tests/data/dtypes.safetensors"};
    hero_tensorfile ref, tf;
    hero_error e;
    char why[256], name[96];
    int f, n;
    if (hero_tensorfile_open(&ref, P("tests/data/ref.safetensors"), &e)) { check(0, "ref_open", "%s", e.msg); return; }
    for (f = 0; f < 6; f++) {
        snprintf(name, sizeof name, "generated_%s", files[f] + 11);
        if (hero_tensorfile_open(&tf, P(files[f]), &e)) { check(0, name, "%s", e.msg); continue; }
        why[0] = 0;
        n = match_ref(&ref, &tf, "pt/", why, sizeof why);
        check(n == 21 && tf.n_tensors == 21, name, "matched %d of %d: %s", n, tf.n_tensors, why);
        if (f < 5) {
            const hero_tensor_info *b = hero_tensorfile_find(&tf, "model.view_base"), *s = hero_tensorfile_find(&tf, "model.view_slice"),
                                   *t = hero_tensorfile_find(&tf, "model.view_t"), *st = hero_tensorfile_find(&tf, "model.view_step"),
                                   *x = hero_tensorfile_find(&tf, "model.expanded"), *c = hero_tensorfile_find(&tf, "model.f32");
            static const char *ek[][3] = {{"epoch", "int", "3"}, {"lr", "float", "0.5"}, {"name", "str", "tiny"}, {"none", "none", "None"},
                                          {"flag", "bool", "False"}, {"lists.1", "int", "7"}, {"lists.2", "str", "x"},
                                          {"empty_dict", "dict", "{}"}, {"tuple.0", "int", "1"}, {"tuple.1", "float", "2.5"}};
            int k, eok = tf.n_entries == 10;
            snprintf(name, sizeof name, "generated_views_%s", files[f] + 11);
            check(b && s && t && st && x && c && b->storage_id == s->storage_id && b->storage_id == t->storage_id &&
                      b->storage_id == st->storage_id && c->storage_id != b->storage_id && s->offset == 12 && s->stride[0] == 10 &&
                      t->stride[0] == 1 && t->stride[1] == 10 && st->stride[0] == 20 && st->stride[1] == 3 && x->stride[0] == 0 &&
                      hero_tensorfile_find(&tf, "opt.0") && hero_tensorfile_find(&tf, "lists.0") && hero_tensorfile_find(&tf, "model.param"),
                  name, "views/storage sharing wrong");
            for (k = 0; k < 10 && eok; k++) {
                const hero_entry_info *en = hero_tensorfile_entry(&tf, ek[k][0]);
                eok = en && !strcmp(en->kind, ek[k][1]) && !strcmp(en->value, ek[k][2]);
                if (!eok) snprintf(why, sizeof why, "%s", ek[k][0]);
            }
            snprintf(name, sizeof name, "generated_entries_%s", files[f] + 11);
            check(eok, name, "entry %s wrong (n %d)", why, tf.n_entries);
        } else {
            const char *q = hero_tensorfile_meta(&tf, "quote\"key");
            check(q && !strcmp(q, "line\nbreak") && !strcmp(hero_tensorfile_meta(&tf, "source"), "make_test_data.py"),
                  "generated_safetensors_meta_escapes", "meta");
        }
        hero_tensorfile_close(&tf);
    }
    /* npy / npz */
    if (hero_tensorfile_open(&tf, P("tests/data/a.npy"), &e) == 0) {
        why[0] = 0;
        n = match_ref(&ref, &tf, "npy/", why, sizeof why);
        check(n == 1 && tf.format == HERO_FMT_NPY && tf.n_tensors == 1 && !strcmp(tf.tensors[0].name, "-"), "npy_open", "%d %s", n, why);
        hero_tensorfile_close(&tf);
    } else check(0, "npy_open", "%s", e.msg);
    if (hero_npz_open(&tf, P("tests/data/a.npy"), &e) == 0) {
        check(tf.n_tensors == 1, "npz_open_accepts_npy", "n %d", tf.n_tensors);
        hero_tensorfile_close(&tf);
    } else check(0, "npz_open_accepts_npy", "%s", e.msg);
    {
        static const char *nz[][3] = {{"tests/data/s.npz", "s/", "8"}, {"tests/data/c.npz", "c/", "4"}};
        for (f = 0; f < 2; f++) {
            snprintf(name, sizeof name, "npz_%s", nz[f][0] + 11);
            if (hero_npz_open(&tf, P(nz[f][0]), &e)) { check(0, name, "%s", e.msg); continue; }
            why[0] = 0;
            n = match_ref(&ref, &tf, nz[f][1], why, sizeof why);
            check(n == atoi(nz[f][2]) && tf.n_tensors == n && tf.format == HERO_FMT_NPZ, name, "%d %s", n, why);
            hero_tensorfile_close(&tf);
            if (hero_tensorfile_open(&tf, P(nz[f][0]), &e) == 0) {
                snprintf(name, sizeof name, "npz_dispatch_%s", nz[f][0] + 11);
                check(tf.format == HERO_FMT_NPZ && hero_tensorfile_find(&tf, f ? "rep" : "sub/x"), name, "format %d", tf.format);
                hero_tensorfile_close(&tf);
            }
        }
    }
    if (hero_tensorfile_open(&tf, P("tests/data/z64.npz"), &e) == 0) {
        const hero_tensor_info *p = hero_tensorfile_find(&tf, "p"), *q = hero_tensorfile_find(&tf, "q"), *r = hero_tensorfile_find(&ref, "npy/-"),
                               *ri = hero_tensorfile_find(&ref, "s/i");
        hero_tensor_info rp = *r, rq = *ri;
        rp.name = (char *)"p";
        rq.name = (char *)"q";
        check(p && q && same_tensor(p, &rp) && same_tensor(q, &rq) && q->dtype == HERO_I64, "npz_zip64", "values");
        hero_tensorfile_close(&tf);
    } else check(0, "npz_zip64", "%s", e.msg);
    f = hero_tensorfile_open(&tf, P("tests/data/fortran.npy"), &e);
    check(f == HERO_EFORMAT && strstr(e.msg, "fortran") && strstr(e.msg, "fortran.npy"), "npy_fortran_rejected", "%d %s", f, e.msg);
    f = hero_tensorfile_open(&tf, P("tests/data/ckpt_big.pt"), &e);
    check(f == HERO_EFORMAT && strstr(e.msg, "big-endian"), "torch_zip_big_endian_rejected", "%d %s", f, e.msg);
    f = hero_npz_open(&tf, P("tests/data/ckpt.pt"), &e);
    check(f == HERO_EFORMAT && strstr(e.msg, ".npy"), "npz_open_rejects_torch_zip", "%d %s", f, e.msg);
    f = hero_npz_open(&tf, P("tests/data/ref.safetensors"), &e);
    check(f == HERO_EFORMAT, "npz_open_rejects_safetensors", "%d %s", f, e.msg);
    hero_tensorfile_close(&ref);
}

/* ---------------- inflate ---------------- */
static void test_inflate(void) {
    size_t n, pos = 0;
    unsigned char *b = slurp(P("tests/data/deflate.bin"), &n);
    int cases = 0, bad = 0, trunc_ok = 0, fuzz = 0, silent = 0;
    if (!b) { check(0, "inflate_cases", "no deflate.bin"); return; }
    while (pos + 8 <= n) {
        size_t raw = hero__u32(b + pos), cl = hero__u32(b + pos + 4), k;
        const unsigned char *c = b + pos + 8, *r = c + cl;
        unsigned char *out = (unsigned char *)malloc(raw + 1);
        const char *why = hero__inflate(c, cl, out, raw);
        cases++;
        if (why || memcmp(out, r, raw)) { bad++; fprintf(stderr, "# case %d: %s\n", cases, why ? why : "data differs"); }
        for (k = 0; k < cl; k++) trunc_ok += hero__inflate(c, k, out, raw) != NULL;
        trunc_ok -= (int)cl;
        if (raw > 0) bad += hero__inflate(c, cl, out, raw - 1) == NULL;
        {
            unsigned char *big = (unsigned char *)malloc(raw + 2);
            bad += hero__inflate(c, cl, big, raw + 1) == NULL;
            free(big);
        }
        for (k = 0; k < 200; k++) { /* corrupted streams must not crash */
            unsigned char *cc = (unsigned char *)malloc(cl + 1);
            memcpy(cc, c, cl);
            if (cl) cc[rnd() % cl] ^= (unsigned char)(1u << (rnd() % 8));
            {
                const char *why2 = hero__inflate(cc, cl, out, raw);
                fuzz += why2 != NULL;
                silent += why2 != NULL && !why2[0]; /* a rejection must say why */
            }
            free(cc);
        }
        free(out);
        pos += 8 + cl + raw;
    }
    check(cases == 6 && bad == 0, "inflate_stored_fixed_dynamic", "%d cases, %d bad", cases, bad);
    check(trunc_ok == 0, "inflate_truncated_rejected", "%d truncated streams accepted", -trunc_ok);
    check(fuzz > 0 && silent == 0, "inflate_bitflip_fuzz_rejections_explained", "%d of %d rejections without a reason", silent, fuzz);
    fprintf(stderr, "# inflate fuzz: %d of %d corrupted streams rejected\n", fuzz, cases * 200);
    free(b);
}

/* ---------------- safetensors writing ---------------- */
static void test_write(void) {
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[400], tmp[420];
    float f32[6] = {1, -2, 3.5f, 1e-8f, 65504, -0.0f}, h3[3] = {0.1f, 70000.0f, -1e-7f};
    uint16_t f16[3], bf16[3];
    int64_t i64[2] = {-5, (int64_t)1 << 40}, s23[2] = {2, 3}, s3[1] = {3}, s2[1] = {2}, s4[1] = {4}, s05[2] = {0, 5};
    unsigned char bl[4] = {1, 0, 1, 1};
    double d0 = 3.25;
    hero_st_item it[7];
    static const char *meta[] = {"k", "v\n\"q\"", "format", "pt", NULL};
    hero_tensorfile tf;
    hero_error e;
    int rc, ok;
    FILE *fp;
    snprintf(path, sizeof path, "%s/hero_test_formats_w.safetensors", tmpdir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hero_f32_to_f16_buf(h3, f16, 3);
    hero_f32_to_bf16_buf(h3, bf16, 3);
    memset(it, 0, sizeof it);
    it[0].name = "w.f32"; it[0].dtype = HERO_F32; it[0].ndim = 2; it[0].shape = s23; it[0].data = f32;
    it[1].name = "h"; it[1].dtype = HERO_F16; it[1].ndim = 1; it[1].shape = s3; it[1].data = f16;
    it[2].name = "b\"q/\xc3\xa9"; it[2].dtype = HERO_BF16; it[2].ndim = 1; it[2].shape = s3; it[2].data = bf16;
    it[3].name = "i"; it[3].dtype = HERO_I64; it[3].ndim = 1; it[3].shape = s2; it[3].data = i64;
    it[4].name = "mask"; it[4].dtype = HERO_BOOL; it[4].ndim = 1; it[4].shape = s4; it[4].data = bl;
    it[5].name = "scalar"; it[5].dtype = HERO_F64; it[5].ndim = 0; it[5].shape = NULL; it[5].data = &d0;
    it[6].name = "empty"; it[6].dtype = HERO_I32; it[6].ndim = 2; it[6].shape = s05; it[6].data = NULL;
    rc = hero_safetensors_write(path, it, 7, meta, &e);
    check(rc == 0, "st_write", "%s", rc ? e.msg : "");
    fp = fopen(tmp, "rb");
    check(fp == NULL, "st_write_no_tmp_left", "tmp file exists");
    if (fp) fclose(fp);
    rc = hero_tensorfile_open(&tf, path, &e);
    if (rc) { check(0, "st_write_readback", "%s", e.msg); return; }
    {
        float r[6];
        int64_t ri[2], rb[4];
        const hero_tensor_info *t;
        ok = tf.n_tensors == 7 && (8 + hero__u64(tf.buf)) % 8 == 0;
        ok = ok && (t = hero_tensorfile_find(&tf, "w.f32")) && !hero_tensor_read_f32(t, r, 6, &e) && !memcmp(r, f32, sizeof r);
        ok = ok && (t = hero_tensorfile_find(&tf, "h")) && t->dtype == HERO_F16 && !hero_tensor_read_f32(t, r, 3, &e) &&
             r[0] == hero_f16_to_f32(f16[0]) && isinf(r[1]) && r[2] == hero_f16_to_f32(f16[2]) && fabsf(r[0] - 0.1f) < 1e-4f;
        ok = ok && (t = hero_tensorfile_find(&tf, "b\"q/\xc3\xa9")) && t->dtype == HERO_BF16 && !hero_tensor_read_f32(t, r, 3, &e) &&
             r[1] == 70144.0f && fabsf(r[0] - 0.1f) < 1e-3f;
        ok = ok && (t = hero_tensorfile_find(&tf, "i")) && !hero_tensor_read_i64(t, ri, 2, &e) && ri[0] == -5 && ri[1] == ((int64_t)1 << 40);
        ok = ok && (t = hero_tensorfile_find(&tf, "mask")) && !hero_tensor_read_i64(t, rb, 4, &e) && rb[0] == 1 && rb[1] == 0 && rb[3] == 1;
        ok = ok && (t = hero_tensorfile_find(&tf, "scalar")) && t->ndim == 0 && !hero_tensor_read_f32(t, r, 1, &e) && r[0] == 3.25f;
        ok = ok && (t = hero_tensorfile_find(&tf, "empty")) && hero_tensor_numel(t) == 0 && !hero_tensor_read_f32(t, NULL, 0, &e);
        ok = ok && !strcmp(hero_tensorfile_meta(&tf, "k"), "v\n\"q\"") && !strcmp(hero_tensorfile_meta(&tf, "format"), "pt");
        check(ok, "st_write_readback", "values or meta differ");
    }
    hero_tensorfile_close(&tf);
    rc = hero_safetensors_write(path, it, 1, NULL, &e); /* overwrite */
    ok = rc == 0 && hero_tensorfile_open(&tf, path, &e) == 0 && tf.n_tensors == 1 && tf.meta.type == HERO_JSON_NULL;
    hero_tensorfile_close(&tf);
    check(ok, "st_write_overwrite_no_meta", "%s", e.msg);
    it[1].name = "w.f32";
    rc = hero_safetensors_write(path, it, 2, NULL, &e);
    check(rc == HERO_EINVAL && strstr(e.msg, "duplicate"), "st_write_rejects_duplicates", "%d %s", rc, e.msg);
    it[1].name = "__metadata__";
    rc = hero_safetensors_write(path, it, 2, NULL, &e);
    check(rc == HERO_EINVAL, "st_write_rejects_metadata_name", "%d", rc);
    it[1].name = "h";
    {
        static const char *const odd[] = {"k", NULL};
        rc = hero_safetensors_write(path, it, 2, odd, &e);
        check(rc == HERO_EINVAL, "st_write_rejects_odd_meta", "%d %s", rc, e.msg);
    }
    rc = hero_safetensors_write("/nonexistent_dir_hero/x.safetensors", it, 2, NULL, &e);
    check(rc == HERO_EIO && strstr(e.msg, "nonexistent_dir_hero"), "st_write_bad_dir", "%d %s", rc, e.msg);
    remove(path);
}

/* ---------------- hostile inputs ---------------- */
static int open_mem(const void *d, size_t n, hero_error *e) {
    hero_tensorfile tf;
    int rc = hero_tensorfile_open_memory(&tf, d, n, "mem", e), i;
    if (!rc) {
        for (i = 0; i < tf.n_tensors; i++) { /* readable? */
            int64_t k = hero_tensor_numel(&tf.tensors[i]);
            float *f = (float *)malloc((size_t)(k + 1) * 4);
            hero_tensor_read_f32(&tf.tensors[i], f, k, e);
            free(f);
        }
        hero_tensorfile_close(&tf);
    }
    return rc;
}

static int st_mem(const char *header, size_t datalen, hero_error *e) {
    size_t hl = strlen(header);
    unsigned char *b = (unsigned char *)calloc(8 + hl + datalen + 1, 1);
    int k, rc;
    for (k = 0; k < 8; k++) b[k] = (unsigned char)((uint64_t)hl >> (8 * k));
    memcpy(b + 8, header, hl);
    rc = open_mem(b, 8 + hl + datalen, e);
    free(b);
    return rc;
}

static void test_hostile_safetensors(void) {
    static const struct { const char *hdr; size_t data; int code; const char *needle; } C[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0, ""},
        {"{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, HERO_EFORMAT, "F8_E4M3"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8, HERO_ELIMIT, "overflow"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, HERO_EFORMAT, "shape[0]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8, HERO_EFORMAT, "shape[0]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8000000000000]}}", 8, HERO_EFORMAT, "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12, HERO_EFORMAT, "need 8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, HERO_EFORMAT, "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
         HERO_EFORMAT, "overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
         HERO_EFORMAT, "duplicate"},
        {"{\"__metadata__\":{\"x\":1}}", 0, HERO_EFORMAT, "__metadata__"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, HERO_ELIMIT, "dimensions"},
        {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, HERO_EFORMAT, "dtype"},
        {"[1,2]", 0, HERO_EFORMAT, "not a JSON object"},
        {"{\"a\":", 0, HERO_EFORMAT, "safetensors header: json: line 1"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, 0, ""},
    };
    hero_error e;
    unsigned char small[16];
    int k, rc;
    for (k = 0; k < (int)(sizeof C / sizeof C[0]); k++) {
        char name[64];
        memset(&e, 0, sizeof e);
        rc = st_mem(C[k].hdr, C[k].data, &e);
        snprintf(name, sizeof name, "st_hostile_%d", k);
        check(rc == C[k].code && (rc == 0 || (strstr(e.msg, C[k].needle) && strstr(e.msg, "mem"))), name, "rc %d want %d: %s", rc, C[k].code,
              e.msg);
    }
    memset(small, 0xff, sizeof small); /* header length 2^64-1 */
    rc = open_mem(small, sizeof small, &e);
    check(rc == HERO_EFORMAT && strstr(e.msg, "exceeds"), "st_giant_header_length", "%d %s", rc, e.msg);
    rc = open_mem(small, 5, &e);
    check(rc == HERO_EFORMAT, "st_too_small", "%d %s", rc, e.msg);
    rc = open_mem(NULL, 0, &e);
    check(rc == HERO_EFORMAT, "open_empty", "%d %s", rc, e.msg);
    {
        hero_tensorfile tf;
        rc = hero_tensorfile_open(&tf, P("tests/data/does_not_exist.pt"), &e);
        check(rc == HERO_EIO && strstr(e.msg, "does_not_exist.pt") && tf.tensors == NULL, "open_missing_file", "%d %s", rc, e.msg);
    }
}

/* legacy torch file wrapper around one pickle payload (built by hand) */
static int legacy_mem(const unsigned char *payload, size_t pl, hero_error *e) {
    static const unsigned char proto[] = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};
    static const unsigned char info[] = {0x80, 0x02, '}', '(', 'X', 13, 0, 0, 0, 'l', 'i', 't', 't', 'l', 'e', '_', 'e', 'n', 'd', 'i', 'a', 'n', 0x88, 'u', '.'};
    static const unsigned char keys[] = {0x80, 0x02, ']', '.'};
    size_t n = sizeof hero__legacy_magic + sizeof proto + sizeof info + pl + sizeof keys;
    unsigned char *b = (unsigned char *)malloc(n), *p = b;
    int rc;
    memcpy(p, hero__legacy_magic, sizeof hero__legacy_magic); p += sizeof hero__legacy_magic;
    memcpy(p, proto, sizeof proto); p += sizeof proto;
    memcpy(p, info, sizeof info); p += sizeof info;
    memcpy(p, payload, pl); p += pl;
    memcpy(p, keys, sizeof keys);
    rc = open_mem(b, n, e);
    free(b);
    return rc;
}

static void test_hostile_pickle(void) {
    static const struct { const char *name; const char *pk; size_t len; int code; const char *needle; } C[] = {
#define PK(lit) lit, sizeof(lit) - 1
        {"pk_ok_empty_dict", PK("\x80\x02}."), 0, ""},
        {"pk_global_os_system", PK("\x80\x02\x63os\nsystem\n(X\x02\0\0\0lstR."), HERO_EFORMAT, "'os.system' is not allowed"},
        {"pk_stack_global_eval", PK("\x80\x04\x8c\x08\x62uiltins\x8c\x04\x65val\x93."), HERO_EFORMAT, "'builtins.eval'"},
        {"pk_huge_unicode_len", PK("\x80\x02X\xff\xff\xff\xff"), HERO_EFORMAT, "truncated"},
        {"pk_huge_unicode8_len", PK("\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f"), HERO_EFORMAT, "truncated"},
        {"pk_huge_memo_key", PK("\x80\x02}r\xf0\xff\xff\xff."), HERO_ELIMIT, "memo"},
        {"pk_undefined_memo_get", PK("\x80\x02j\x05\0\0\0."), HERO_EFORMAT, "memo key"},
        {"pk_stack_underflow", PK("\x80\x02s."), HERO_EFORMAT, "underflow"},
        {"pk_unsupported_opcode", PK("\x80\x02i__main__\nX\n."), HERO_EFORMAT, "opcode 0x69"},
        {"pk_odict_with_args", PK("\x80\x02\x63\x63ollections\nOrderedDict\n]\x85R."), HERO_EFORMAT, "OrderedDict"},
        {"pk_long_too_wide", PK("\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09."), HERO_EFORMAT, "64 bits"},
        {"pk_setitem_on_list", PK("\x80\x02]K\x01K\x02s."), HERO_EFORMAT, "non-dict"},
        {"pk_truncated_no_stop", PK("\x80\x02}q\x00(X\x01\0\0\0a"), HERO_EFORMAT, "truncated"},
        {"pk_self_cycle", PK("\x80\x02]q\x00h\x00\x61h\x00\x61."), HERO_ELIMIT, "deeper"},
        {"pk_bad_persid", PK("\x80\x02X\x03\0\0\0abcQ."), HERO_EFORMAT, "persistent id"},
        {"pk_storage_call", PK("\x80\x02\x63torch\nFloatStorage\n)R."), HERO_EFORMAT, "storage class"},
        {"pk_storage_not_listed",
         PK("\x80\x02}(X\x01\0\0\0w\x63torch._utils\n_rebuild_tensor_v2\n((X\x07\0\0\0storage\x63torch\nFloatStorage\nX\x01\0\0\0"
         "0X\x03\0\0\0cpuK\x04tQK\0K\x04\x85K\x01\x85\x89\x63\x63ollections\nOrderedDict\n)RtRu."),
         HERO_EFORMAT, "no data"},
    };
    hero_error e;
    int k, rc;
    for (k = 0; k < (int)(sizeof C / sizeof C[0]); k++) {
        memset(&e, 0, sizeof e);
        rc = legacy_mem((const unsigned char *)C[k].pk, C[k].len, &e);
        check(rc == C[k].code && (rc == 0 || strstr(e.msg, C[k].needle)), C[k].name, "rc %d want %d: %s", rc, C[k].code, e.msg);
    }
    { /* 70000 nested MARKs, 1.1M stack items, exponential sharing */
        size_t n = 1100010, i;
        unsigned char *b = (unsigned char *)malloc(n);
        b[0] = 0x80; b[1] = 2;
        memset(b + 2, '(', 70000);
        b[70002] = '.';
        rc = legacy_mem(b, 70003, &e);
        check(rc == HERO_ELIMIT && strstr(e.msg, "MARK"), "pk_too_many_marks", "%d %s", rc, e.msg);
        memset(b + 2, 'N', n - 3);
        b[n - 1] = '.';
        rc = legacy_mem(b, n, &e);
        check(rc == HERO_ELIMIT && strstr(e.msg, "stack"), "pk_stack_limit", "%d %s", rc, e.msg);
        i = 2;
        b[i++] = ']'; b[i++] = 'q'; b[i++] = 0;
        for (k = 1; k < 31; k++) { /* L_k = [L_k-1, L_k-1]: 2^30 leaves */
            b[i++] = ']'; b[i++] = '('; b[i++] = 'h'; b[i++] = (unsigned char)(k - 1); b[i++] = 'h'; b[i++] = (unsigned char)(k - 1);
            b[i++] = 'e'; b[i++] = 'q'; b[i++] = (unsigned char)k; b[i++] = '0';
        }
        b[i++] = 'h'; b[i++] = 30; b[i++] = '.';
        rc = legacy_mem(b, i, &e);
        check(rc == HERO_ELIMIT, "pk_shared_blowup_bounded", "%d %s", rc, e.msg);
        free(b);
    }
}

static unsigned char *patch_copy(const unsigned char *b, size_t n) {
    unsigned char *c = (unsigned char *)malloc(n + 1);
    memcpy(c, b, n);
    return c;
}

static void test_hostile_files(void) {
    static const char *files[] = {"tests/data/ckpt.pt", "tests/data/ckpt_legacy.pt", "tests/data/ckpt_legacy_p4.pt", "tests/data/s.npz", "tests/data/c.npz",
                                  "tests/data/z64.npz", "tests/data/a.npy", "tests/data/dtypes.safetensors", "tests/golden/tiny/model.pt",
                                  "tests/golden/tiny/model_legacy.pt"};
    hero_error e;
    int f, rc;
    for (f = 0; f < (int)(sizeof files / sizeof files[0]); f++) {
        size_t n, cut, step;
        unsigned char *b = slurp(P(files[f]), &n), *c;
        int accepted = 0, it, opened = 0, silent = 0, rejected = 0;
        char name[96];
        if (!b) { check(0, files[f], "missing"); continue; }
        step = n > 4000 ? n / 300 : 1;
        for (cut = 0; cut < n; cut += (cut < 64 || n - cut < 64) ? 1 : step)
            if (open_mem(b, cut, &e) == 0) { accepted++; fprintf(stderr, "# %s accepted truncated at %zu\n", files[f], cut); }
        snprintf(name, sizeof name, "truncated_rejected_%s", files[f] + 6);
        check(accepted == 0, name, "%d truncations accepted", accepted);
        c = patch_copy(b, n);
        for (it = 0; it < (n > 100000 ? 60 : 300); it++) {
            int flips = 1 + (int)(rnd() % 4), k;
            memcpy(c, b, n);
            for (k = 0; k < flips; k++) {
                size_t at = rnd() % n;
                if (rnd() % 3 == 0) at = rnd() % (n < 2048 ? n : 2048); /* favour headers */
                c[at] = (unsigned char)(rnd() % 3 == 0 ? 0xff : c[at] ^ (1u << (rnd() % 8)));
            }
            memset(&e, 0, sizeof e);
            rc = open_mem(c, n, &e);
            opened += rc == 0;
            if (rc) { /* every rejection: an error code and a message naming the file ("mem") */
                rejected++;
                silent += rc > 0 || e.code != rc || !strstr(e.msg, "mem");
            }
        }
        snprintf(name, sizeof name, "bitflip_fuzz_rejections_explained_%s", files[f] + 6);
        check(rejected > 0 && silent == 0, name, "%d of %d rejections without a message naming the file (last: rc %d '%s')", silent,
              rejected, rc, e.msg);
        fprintf(stderr, "# %s: %d corrupted copies still opened\n", files[f], opened);
        free(c);
        free(b);
    }
    { /* deflate member claiming 4 GB */
        size_t n, k;
        unsigned char *b = slurp(P("tests/data/c.npz"), &n), *c;
        if (b) {
            c = patch_copy(b, n);
            for (k = 0; k + 4 < n && memcmp(c + k, "PK\1\2", 4); k++) {}
            c[k + 24] = 0; c[k + 25] = 0; c[k + 26] = 0; c[k + 27] = 0xf0;
            rc = open_mem(c, n, &e);
            check(rc == HERO_EFORMAT && strstr(e.msg, "impossible"), "zip_giant_usize_no_alloc", "%d %s", rc, e.msg);
            memcpy(c, b, n);
            c[k + 10] = 12; /* bzip2 */
            rc = open_mem(c, n, &e);
            check(rc == HERO_EFORMAT && strstr(e.msg, "method 12"), "zip_unknown_method", "%d %s", rc, e.msg);
            memcpy(c, b, n);
            c[k + 8] |= 1;
            rc = open_mem(c, n, &e);
            check(rc == HERO_EFORMAT && strstr(e.msg, "encrypted"), "zip_encrypted", "%d %s", rc, e.msg);
            free(c);
            free(b);
        }
    }
    { /* npy headers */
        static const struct { const char *hdr; int code; const char *needle; } N[] = {
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }", HERO_EFORMAT, "npy data"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }", HERO_ELIMIT, "overflow"},
            {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", HERO_EFORMAT, "dtype"},
            {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", HERO_EFORMAT, "dtype"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", HERO_ELIMIT, "overflow"},
            {"{'descr': '<f4', 'fortran_order': False}", HERO_EFORMAT, "exactly"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", HERO_EFORMAT, "unknown key"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", HERO_ELIMIT, "dimensions"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 0, ""},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 0, ""},
        };
        int k;
        for (k = 0; k < (int)(sizeof N / sizeof N[0]); k++) {
            unsigned char b[256];
            size_t hl = strlen(N[k].hdr);
            char name[48];
            memcpy(b, "\x93NUMPY\x01\x00", 8);
            b[8] = (unsigned char)hl;
            b[9] = 0;
            memcpy(b + 10, N[k].hdr, hl);
            memset(b + 10 + hl, 0, 4);
            rc = open_mem(b, 10 + hl + 4, &e);
            snprintf(name, sizeof name, "npy_hostile_%d", k);
            check(rc == N[k].code && (rc == 0 || strstr(e.msg, N[k].needle)), name, "rc %d want %d: %s", rc, N[k].code, e.msg);
        }
    }
    { /* legacy: giant storage element count (position found by running the four pickles) */
        size_t n, pos = sizeof hero__legacy_magic;
        unsigned char *b = slurp(P("tests/data/ckpt_legacy.pt"), &n), *c;
        if (b) {
            hero__pvm vm;
            int k, res, ok = 1;
            memset(&vm, 0, sizeof vm);
            vm.path = "x";
            vm.err = &e;
            for (k = 0; k < 4 && ok; k++) {
                ok = hero__pk_run(&vm, b + pos, n - pos, &res) == 0;
                pos += vm.pos;
            }
            hero__pk_free(&vm);
            c = patch_copy(b, n);
            memset(c + pos, 0xff, 7);
            c[pos + 7] = 0x0f;
            rc = open_mem(c, n, &e);
            check(ok && rc == HERO_EFORMAT && strstr(e.msg, "elements recorded"), "legacy_giant_storage_count", "%d %s", rc, e.msg);
            free(c);
            free(b);
        }
    }
}

/* ---------------- hero_model_load on files that are not state dicts ---------------- */
/* writes a legacy torch file around one pickle payload (storage keys + data appended as given) */
static int write_legacy(const char *path, const unsigned char *payload, size_t pl, const unsigned char *tail, size_t tl) {
    static const unsigned char proto[] = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};
    static const unsigned char info[] = {0x80, 0x02, '}', '(', 'X', 13, 0, 0, 0, 'l', 'i', 't', 't', 'l', 'e', '_', 'e', 'n', 'd', 'i', 'a', 'n', 0x88, 'u', '.'};
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f) return 0;
    ok = fwrite(hero__legacy_magic, 1, sizeof hero__legacy_magic, f) == sizeof hero__legacy_magic &&
         fwrite(proto, 1, sizeof proto, f) == sizeof proto && fwrite(info, 1, sizeof info, f) == sizeof info &&
         fwrite(payload, 1, pl, f) == pl && fwrite(tail, 1, tl, f) == tl;
    return fclose(f) == 0 && ok;
}

static void test_load_not_state_dict(void) {
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    /* {"w": tensor} / a bare tensor: FloatStorage "0" of 4 floats, shape (4,) */
#define TEN "\x63torch._utils\n_rebuild_tensor_v2\n((X\x07\0\0\0storage\x63torch\nFloatStorage\nX\x01\0\0\0" \
            "0X\x03\0\0\0cpuK\x04tQK\0K\x04\x85K\x01\x85\x89\x63\x63ollections\nOrderedDict\n)Rt\x52"
    static const char one_dict[] = "\x80\x02}(X\x08\0\0\0unrelatd" TEN "u.";
    static const char bare[] = "\x80\x02" TEN ".";
#undef TEN
    static const unsigned char keys_data[] = {0x80, 0x02, ']', 'X', 1, 0, 0, 0, '0', 'a', '.', 4, 0, 0, 0, 0, 0, 0, 0,
                                              0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40};
    static const unsigned char no_keys[] = {0x80, 0x02, ']', '.'};
    const char *cfg = P("tests/golden/tiny/config.json"), *ckpt = P("tests/golden/tiny/model.pt");
    char path[400];
    unsigned char *b;
    size_t n = 0, k;
    hero_model m;
    hero_load_report rep;
    hero_error e;
    hero_tensorfile tf;
    int rc;
    snprintf(path, sizeof path, "%s/hero_test_formats_lists.pt", tmpdir);
    /* a pickle of 100,000 empty lists (100 KB) */
    b = (unsigned char *)malloc(100010);
    b[n++] = 0x80; b[n++] = 2; b[n++] = ']'; b[n++] = '(';
    for (k = 0; k < 100000; k++) b[n++] = ']';
    b[n++] = 'e'; b[n++] = '.';
    memset(&e, 0, sizeof e);
    rc = write_legacy(path, b, n, no_keys, sizeof no_keys) ? hero_model_load(&m, cfg, path, &rep, &e) : -1;
    check(rc == HERO_EFORMAT && strstr(e.msg, path) && strstr(e.msg, "not a state dict") && strstr(e.msg, "list of 100000 items"),
          "load_list_of_100000_empty_lists_fails", "rc %d: %s", rc, e.msg);
    if (rc == 0) hero_model_free(&m);
    rc = hero_tensorfile_open(&tf, path, &e);
    check(rc == 0 && tf.root_kind && !strcmp(tf.root_kind, "list") && tf.root_items == 100000 && tf.n_entries == 100000,
          "tensorfile_root_kind_list", "rc %d %s root %s %lld", rc, rc ? e.msg : "", rc ? "-" : tf.root_kind ? tf.root_kind : "NULL",
          rc ? 0LL : (long long)tf.root_items);
    hero_tensorfile_close(&tf);
    free(b);
    /* a valid legacy torch file holding one unrelated tensor */
    memset(&e, 0, sizeof e);
    rc = write_legacy(path, (const unsigned char *)one_dict, sizeof one_dict - 1, keys_data, sizeof keys_data) ? 0 : -1;
    if (!rc) rc = hero_tensorfile_open(&tf, path, &e);
    {
        float v[4] = {0};
        int ok = rc == 0 && tf.n_tensors == 1 && !strcmp(tf.tensors[0].name, "unrelatd") && tf.root_kind && !strcmp(tf.root_kind, "dict") &&
                 hero_tensor_read_f32(&tf.tensors[0], v, 4, &e) == 0 && v[0] == 1 && v[3] == 4;
        check(ok, "one_unrelated_tensor_file_is_valid", "rc %d: %s", rc, e.msg);
        hero_tensorfile_close(&tf);
    }
    memset(&e, 0, sizeof e);
    rc = hero_model_load(&m, cfg, path, &rep, &e);
    check(rc == HERO_EFORMAT && strstr(e.msg, path) && strstr(e.msg, "none of the model's") && strstr(e.msg, "'unrelatd'"),
          "load_one_unrelated_tensor_fails", "rc %d: %s", rc, e.msg);
    if (rc == 0) hero_model_free(&m);
    /* torch.save(tensor): a bare tensor */
    memset(&e, 0, sizeof e);
    rc = write_legacy(path, (const unsigned char *)bare, sizeof bare - 1, keys_data, sizeof keys_data) ? hero_model_load(&m, cfg, path, &rep, &e) : -1;
    check(rc == HERO_EFORMAT && strstr(e.msg, "root object is a tensor,"), "load_bare_tensor_fails", "rc %d: %s", rc, e.msg);
    if (rc == 0) hero_model_free(&m);
    remove(path);
    /* a safetensors file with one unrelated tensor; then one with a single model parameter (a
       partial checkpoint: loads, the rest reported missing as before) */
    snprintf(path, sizeof path, "%s/hero_test_formats_one.safetensors", tmpdir);
    {
        hero_model g;
        hero_st_item it;
        int64_t shp[2];
        const hero_param *src = NULL;
        memset(&it, 0, sizeof it);
        rc = hero_model_load(&g, cfg, ckpt, NULL, &e);
        check(rc == 0, "golden model loads", "%s", e.msg);
        if (rc) return;
        src = hero_model_param(&g, "v_encoder.f_encoder.img_embeddings.img_linear.weight");
        shp[0] = src->shape[0]; shp[1] = src->shape[1];
        it.name = "img_linear.weight"; it.dtype = HERO_F32; it.ndim = 2; it.shape = shp; it.data = src->data;
        rc = hero_safetensors_write(path, &it, 1, NULL, &e);
        if (!rc) rc = hero_model_load(&m, cfg, path, &rep, &e);
        check(rc == HERO_EFORMAT && strstr(e.msg, "none of the model's") && strstr(e.msg, "'img_linear.weight'"),
              "load_safetensors_unrelated_tensor_fails", "rc %d: %s", rc, e.msg);
        if (rc == 0) hero_model_free(&m);
        it.name = src->name;
        rc = hero_safetensors_write(path, &it, 1, NULL, &e);
        if (!rc) rc = hero_model_load(&m, cfg, path, &rep, &e);
        check(rc == 0 && rep.n_loaded == 1 && rep.n_missing == g.n_params - 1 + 3 && rep.n_unexpected == 0 &&
              !memcmp(hero_model_param(&m, src->name)->data, src->data, src->numel * sizeof(float)),
              "load_partial_checkpoint_reports_missing", "rc %d %s: %d loaded, %d missing, %d unexpected", rc, rc ? e.msg : "",
              rep.n_loaded, rep.n_missing, rep.n_unexpected);
        if (rc == 0) hero_model_free(&m);
        hero_model_free(&g);
        remove(path);
    }
}

static void test_tensor_read_errors(void) {
    unsigned char st[16] = {0};
    float out[4];
    int64_t q[4];
    hero_tensor_info t;
    hero_error e;
    int rc;
    memset(&t, 0, sizeof t);
    t.name = (char *)"t";
    t.dtype = HERO_F32;
    t.ndim = 1;
    t.shape[0] = 4;
    t.stride[0] = 1;
    t.storage = st;
    t.storage_nbytes = 16;
    check(hero_tensor_read_f32(&t, out, 4, &e) == 0, "read_ok", "%s", e.msg);
    rc = hero_tensor_read_f32(&t, out, 3, &e);
    check(rc == HERO_ESHAPE && strstr(e.msg, "'t'"), "read_count_mismatch", "%d %s", rc, e.msg);
    rc = hero_tensor_read_i64(&t, q, 4, &e);
    check(rc == HERO_ESHAPE && strstr(e.msg, "integer"), "read_i64_of_float", "%d %s", rc, e.msg);
    t.offset = 1;
    rc = hero_tensor_read_f32(&t, out, 4, &e);
    check(rc == HERO_EFORMAT && strstr(e.msg, "storage"), "read_out_of_storage", "%d %s", rc, e.msg);
    t.offset = 0;
    t.stride[0] = -1;
    rc = hero_tensor_read_f32(&t, out, 4, &e);
    check(rc == HERO_EFORMAT, "read_negative_stride", "%d %s", rc, e.msg);
    t.stride[0] = INT64_MAX / 2;
    rc = hero_tensor_read_f32(&t, out, 4, &e);
    check(rc == HERO_EFORMAT, "read_stride_overflow", "%d %s", rc, e.msg);
    t.stride[0] = 1;
    t.dtype = (hero_dtype)42;
    rc = hero_tensor_read_f32(&t, out, 4, &e);
    check(rc == HERO_EFORMAT && strstr(e.msg, "dtype"), "read_bad_dtype", "%d %s", rc, e.msg);
    check(hero_tensor_numel(NULL) == -1 && hero_strerror(HERO_EFORMAT) != NULL, "numel_null", "");
}

int main(int argc, char **argv) {
    FILE *f;
    if (argc > 1) g_root = argv[1];
    else if ((f = fopen("tests/data/ref.safetensors", "rb")) != NULL) fclose(f);
    else g_root = "../";
    test_json();
    test_halves();
    test_golden();
    test_torch_golden();
    test_generated();
    test_inflate();
    test_write();
    test_hostile_safetensors();
    test_hostile_pickle();
    test_hostile_files();
    test_tensor_read_errors();
    test_load_not_state_dict();
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail != 0;
}

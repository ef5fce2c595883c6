/* hero_convert: writes any checkpoint hero.h reads as a .safetensors file.

   usage: hero_convert IN OUT.safetensors [--dtype f32|f16|bf16|q8_0] [--lean] [--keep-tied] [--verify] [--check CONFIG.json]
                       [--config CONFIG.json] [--vocab vocab.json --merges merges.txt]

   IN: torch.save (zip or legacy pickle, .pt/.bin), .safetensors, .npy or .npz.
   Floating-point tensors are written in --dtype (default f32; f16 / bf16 round to nearest
   even, values beyond f16's range become +-inf and are counted in a warning); integer and
   bool tensors keep their dtype. Every tensor is written contiguous, little-endian.
   q8_0 (HERO checkpoints only): every matrix a reduced-format model holds in its format
   (hero_param_is_matrix: the linear layers' weights and the word table) is written as
   NAME.q8_0 (i8 [O, K]) + NAME.q8_0_scale (f16 [O, ceil(K/32)]), blocks of 32 along K with
   scale = max|block| / 127 (hero_q8_0_quantize, the same numbers a q8_0 model makes in
   memory); every other floating-point tensor is written as f32. --lean does the same for f16 /
   bf16: the matrices in that dtype, the rest (LayerNorms, biases, position tables) f32, which
   is what a model of that format holds in memory.

   Names. A HERO checkpoint (it has ...v_encoder.f_encoder.embeddings.word_embeddings.weight)
   is written under the official state-dict names: when that key has a prefix (a training
   state {"model": state_dict, ...} flattens to "model.v_encoder...", DataParallel adds
   "module."), only the tensors under the prefix are written, without it. Any other file keeps
   its names (nested torch dicts / lists joined with ".", .npz members without ".npy", a bare
   .npy tensor named "-").

   The tied decoder. The official state dict stores v_encoder.f_encoder.lm_head.decoder.weight
   and ...embeddings.word_embeddings.weight as two names of one storage. safetensors cannot
   share storage, so, as HuggingFace's safetensors conversion does, the tied copy is dropped:
   the table is stored once, under the word_embeddings name, and the metadata key "tied"
   records "lm_head.decoder.weight=word_embeddings.weight" (full names). hero_model_load reads
   the result to identical weights (the decoder is the word table) and, seeing the declared
   tie, does not list the decoder among the missing keys. Should the
   two differ in IN (not tied), the decoder is what a loader ends up with (the official module
   order loads it last), so its values are written under the word_embeddings name, with a
   warning. --keep-tied writes the decoder under its own name too (a full copy) for loaders
   that want every official key.
   Other tensors sharing storage (in a non-HERO file) are each written in full.

   One-file models: --config stores the model config JSON, --vocab / --merges the tokenizer's
   two files, as __metadata__ strings "hero_config", "hero_vocab", "hero_merges" (the texts as
   they are, after checking that they load: hero_config_from_json, hero_tokenizer_load). Then
   hero_model_load* with a NULL config path and hero_tokenizer_load_model need nothing but OUT
   (retrieve --model OUT without --config / --vocab / --merges). IN's own such keys (IN a
   one-file model) are kept unless given again.

   Metadata: format=pt, converted_by, source (IN's file name), dtype, the non-tensor entries
   of IN (such as the official vocab_padded=True) and IN's own safetensors metadata.

   --verify: afterwards reopens OUT and compares every tensor with its source in IN: equal
   bit for bit after the conversion to the output dtype (f32: the values themselves).
   --check CONFIG.json: --verify, then OUT must load with hero_model_load; when IN has no
   prefix, hero_model_load(IN) and hero_model_load(OUT) are compared parameter by parameter:
   bit-identical for f32 output, within the rounding of f16 / bf16; q8_0: each matrix within
   half a quantisation step of its largest value (max|a - b| / max|a| <= 1/254 + f16 scale
   rounding), and a q8_0 model loaded from IN equals one loaded from OUT byte for byte.

   Exit status 0 on success, 1 with a message naming the file and the problem on stderr. */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *WORD = "v_encoder.f_encoder.embeddings.word_embeddings.weight";
static const char *DECODER = "v_encoder.f_encoder.lm_head.decoder.weight";

static int is_float(hero_dtype t) { return t == HERO_F32 || t == HERO_F16 || t == HERO_BF16 || t == HERO_F64; }

static int host_le(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static int is_contig(const hero_tensor_info *t) {
    int64_t expect = 1;
    int d;
    for (d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != expect) return 0;
        expect *= t->shape[d];
    }
    return 1;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* reads t as f32 (NULL on error, err filled) */
static float *read_f32(const hero_tensor_info *t, int64_t n, hero_error *err) {
    float *x = (float *)malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!x) { snprintf(err->msg, sizeof err->msg, "out of memory for %s (%lld values)", t->name, (long long)n); return NULL; }
    if (hero_tensor_read_f32(t, x, n, err)) { free(x); return NULL; }
    return x;
}

/* the bytes of t in dtype `to` (floats) or its own dtype (ints), contiguous, host order.
   *owned = 1 when the result must be freed. `from` overrides the source values (f32). */
static const void *tensor_bytes(const hero_tensor_info *t, hero_dtype to, const float *from, int *owned, int64_t *overflow,
                                hero_error *err) {
    int64_t n = hero_tensor_numel(t), i;
    *owned = 0;
    if (n < 0) { snprintf(err->msg, sizeof err->msg, "tensor %s: invalid shape", t->name); return NULL; }
    if (!from && t->dtype == to && is_contig(t) && host_le()) {
        /* zero copy: the elements [offset, offset + n) must lie inside the storage */
        int64_t es = hero_dtype_size(t->dtype);
        if (n == 0) return "";
        if (t->storage && t->offset >= 0 && es > 0 && n <= t->storage_nbytes / es - t->offset) return t->storage + t->offset * es;
        snprintf(err->msg, sizeof err->msg, "tensor %s: data past the end of its storage", t->name);
        return NULL;
    }
    if (is_float(t->dtype) || from) {
        float *x = from ? (float *)from : read_f32(t, n, err);
        void *out;
        if (!x) return NULL;
        if (to == HERO_F32) {
            if (from) {
                out = malloc((size_t)(n ? n : 1) * sizeof(float));
                if (out) memcpy(out, from, (size_t)n * sizeof(float));
            } else {
                out = x;
            }
        } else {
            out = malloc((size_t)(n ? n : 1) * sizeof(uint16_t));
            if (out) *overflow += to == HERO_F16 ? hero_f32_to_f16_buf(x, (uint16_t *)out, n) : hero_f32_to_bf16_buf(x, (uint16_t *)out, n);
            if (!from) free(x);
        }
        if (!out) { snprintf(err->msg, sizeof err->msg, "out of memory for %s", t->name); return NULL; }
        *owned = 1;
        return out;
    }
    {
        /* integers / bool: through int64, back to the original width */
        int64_t *v = (int64_t *)calloc((size_t)(n ? n : 1), sizeof(int64_t));
        unsigned char *out;
        int es = hero_dtype_size(t->dtype);
        if (!v) { snprintf(err->msg, sizeof err->msg, "out of memory for %s", t->name); return NULL; }
        if (es != 1 && es != 2 && es != 4 && es != 8) {
            free(v);
            snprintf(err->msg, sizeof err->msg, "tensor %s: dtype %s has no integer width", t->name, hero_dtype_name(t->dtype));
            return NULL;
        }
        if (hero_tensor_read_i64(t, v, n, err)) { free(v); return NULL; }
        out = (unsigned char *)malloc((size_t)(n ? n : 1) * (size_t)es);
        if (!out) { free(v); snprintf(err->msg, sizeof err->msg, "out of memory for %s", t->name); return NULL; }
        for (i = 0; i < n; i++) {
            switch (t->dtype) {
            case HERO_I64: { int64_t x = v[i]; memcpy(out + i * 8, &x, 8); } break;
            case HERO_I32: { int32_t x = (int32_t)v[i]; memcpy(out + i * 4, &x, 4); } break;
            case HERO_I16: { int16_t x = (int16_t)v[i]; memcpy(out + i * 2, &x, 2); } break;
            default: out[i] = (unsigned char)v[i]; break;
            }
        }
        free(v);
        *owned = 1;
        return out;
    }
}

/* a whole text file, NUL-terminated; NULL with a message when it cannot be read or holds a NUL byte */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 || !(buf = (char *)malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "hero_convert: %s: cannot read\n", path);
        if (f) fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    if (strlen(buf) != (size_t)n) {
        fprintf(stderr, "hero_convert: %s: holds a NUL byte (a metadata string cannot)\n", path);
        free(buf);
        return NULL;
    }
    return buf;
}

static int usage(const char *argv0) {
    fprintf(stderr, "usage: %s IN OUT.safetensors [--dtype f32|f16|bf16|q8_0] [--lean] [--keep-tied] [--verify] [--check CONFIG.json]\n"
                    "       [--config CONFIG.json] [--vocab vocab.json --merges merges.txt]\n", argv0);
    return 2;
}

/* --verify: reopens OUT; every tensor must equal its source after the dtype conversion */
/* q8_0 (NAME.q8_0 / NAME.q8_0_scale of OUT): equal to hero_q8_0_quantize of the source NAME */
static int verify_q8(const hero_tensorfile *src, const hero_tensor_info *t, const char *full, size_t base_len,
                     const float *decoder_vals) {
    char nm[1024];
    const hero_tensor_info *s;
    hero_error err;
    int scale = strstr(full + base_len, "scale") != NULL, bad = 1;
    float *x = NULL, *f = NULL;
    int8_t *q = NULL;
    uint16_t *sc = NULL;
    snprintf(nm, sizeof nm, "%.*s", (int)base_len, full);
    s = hero_tensorfile_find(src, nm);
    if (s && s->ndim == 2 && t->ndim == 2 && s->shape[0] == t->shape[0]) {
        int O = (int)s->shape[0], K = (int)s->shape[1], nb = (K + HERO_Q8_BLOCK - 1) / HERO_Q8_BLOCK;
        int64_t n = scale ? (int64_t)O * nb : (int64_t)O * K, k;
        x = decoder_vals && strstr(nm, WORD) ? NULL : read_f32(s, (int64_t)O * K, &err);
        q = (int8_t *)malloc((size_t)O * K + 1);
        sc = (uint16_t *)malloc((size_t)O * nb * 2 + 2);
        f = t->shape[1] == (scale ? nb : K) ? read_f32(t, n, &err) : NULL;
        if ((x || decoder_vals) && q && sc && f) {
            hero_q8_0_quantize(x ? x : decoder_vals, O, K, q, sc);
            for (k = 0, bad = 0; k < n && !bad; k++) bad = f[k] != (scale ? hero_f16_to_f32(sc[k]) : (float)q[k]);
        }
    }
    free(x); free(q); free(sc); free(f);
    return bad;
}

static int verify_tensors(const hero_tensorfile *src, const char *out, const char *prefix, const float *decoder_vals,
                          hero_dtype dt, int q8) {
    hero_tensorfile o;
    hero_error err;
    int i, bad = 0;
    if (hero_tensorfile_open(&o, out, &err)) { fprintf(stderr, "hero_convert: --verify: %s\n", err.msg); return 1; }
    for (i = 0; i < o.n_tensors && !bad; i++) {
        const hero_tensor_info *t = &o.tensors[i], *s;
        char full[1024];
        int64_t n = hero_tensor_numel(t), k;
        size_t l;
        snprintf(full, sizeof full, "%s%s", prefix, t->name);
        l = strlen(full);
        if (q8 && ((l > 5 && !strcmp(full + l - 5, HERO_Q8_SUFFIX)) || (l > 11 && !strcmp(full + l - 11, HERO_Q8_SCALE_SUFFIX)))) {
            if ((bad = verify_q8(src, t, full, l - (full[l - 1] == '0' ? 5 : 11), decoder_vals)) != 0)
                fprintf(stderr, "hero_convert: --verify: %s: tensor %s is not the q8_0 of its source\n", out, t->name);
            continue;
        }
        s = hero_tensorfile_find(src, full);
        if (!s || hero_tensor_numel(s) != n || s->ndim != t->ndim || memcmp(s->shape, t->shape, (size_t)t->ndim * sizeof(int64_t))) {
            fprintf(stderr, "hero_convert: --verify: %s: tensor %s has no source of the same shape in the input\n", out, t->name);
            bad = 1;
            break;
        }
        if (is_float(s->dtype)) {
            float *x = read_f32(t, n, &err), *y = decoder_vals && !strcmp(t->name, WORD) ? NULL : read_f32(s, n, &err);
            const float *ref = y ? y : decoder_vals;
            if (!x || !ref) bad = 1;
            for (k = 0; !bad && k < n; k++) {
                float want = ref[k];
                if (t->dtype == HERO_F16) want = hero_f16_to_f32(hero_f32_to_f16(want));
                else if (t->dtype == HERO_BF16) want = hero_bf16_to_f32(hero_f32_to_bf16(want));
                if (memcmp(&want, &x[k], sizeof(float)) != 0 && !(want != want && x[k] != x[k])) bad = 1;
            }
            if (bad) fprintf(stderr, "hero_convert: --verify: %s: tensor %s differs from its source\n", out, t->name);
            free(x);
            free(y);
        } else {
            int64_t *x = (int64_t *)malloc((size_t)(n ? n : 1) * 8), *y = (int64_t *)malloc((size_t)(n ? n : 1) * 8);
            bad = !x || !y || t->dtype != s->dtype || hero_tensor_read_i64(t, x, n, &err) || hero_tensor_read_i64(s, y, n, &err) ||
                  memcmp(x, y, (size_t)n * 8) != 0;
            if (bad) fprintf(stderr, "hero_convert: --verify: %s: tensor %s differs from its source\n", out, t->name);
            free(x);
            free(y);
        }
    }
    if (!bad) printf("verify: every tensor of %s equals its source%s (%d tensors)\n", out,
                     q8 ? " (q8_0 matrices: hero_q8_0_quantize of it)" : dt == HERO_F32 ? "" : " rounded to the output dtype", o.n_tensors);
    hero_tensorfile_close(&o);
    return bad;
}

/* --check: OUT through hero_model_load; with a prefix-free IN, every parameter compared with
   hero_model_load(IN) */
static int check_load(const char *cfg, const char *in, const char *out, hero_dtype dt, int compare, int q8) {
    hero_model a, b;
    hero_error err;
    hero_load_report ra, rb;
    double worst = 0;
    size_t i;
    int rc;
    if (hero_model_load(&b, cfg, out, &rb, &err)) { fprintf(stderr, "hero_convert: --check: %s\n", err.msg); return 1; }
    printf("check: %s loads with hero_model_load (%d tensors)\n", out, rb.n_loaded);
    if (rb.n_missing) printf("check: %s: missing keys (informational): %s\n", out, rb.missing);
    if (rb.n_unexpected) printf("check: %s: unexpected keys (informational): %s\n", out, rb.unexpected);
    if (!compare) { hero_model_free(&b); return 0; }
    if (hero_model_load(&a, cfg, in, &ra, &err)) {
        fprintf(stderr, "hero_convert: --check: %s\n", err.msg);
        hero_model_free(&b);
        return 1;
    }
    if (a.n_floats != b.n_floats) {
        fprintf(stderr, "hero_convert: --check: %s and %s give models of different sizes (%lu vs %lu floats)\n", in, out,
                (unsigned long)a.n_floats, (unsigned long)b.n_floats);
        rc = 1;
    } else if (q8) {
        hero_model qa, qb;
        hero_model_options o = hero_model_options_default();
        int p;
        for (p = 0; p < a.n_params; p++) {
            double md = 0, ma = 0;
            for (i = 0; i < a.table[p].numel; i++) {
                double d = fabs((double)a.table[p].data[i] - b.table[p].data[i]);
                if (d > md || d != d) md = d;
                if (fabs(a.table[p].data[i]) > ma) ma = fabs(a.table[p].data[i]);
            }
            if (md / (ma > 1e-30 ? ma : 1e-30) > worst || md != md) worst = md / (ma > 1e-30 ? ma : 1e-30);
        }
        rc = !(worst <= 1.0 / 254 * 1.001);
        printf("check: %s loads to the weights of %s within %.3g of each matrix's largest value (q8_0: <= 1/254)%s\n", out, in,
               worst, rc ? ": TOO LARGE" : "");
        o.wtype = HERO_W_Q8_0;
        if (!rc && !hero_model_load_opt(&qa, cfg, in, &o, NULL, &err)) {
            if (!hero_model_load_opt(&qb, cfg, out, &o, NULL, &err)) {
                for (p = 0; p < qa.n_params && !rc; p++) {
                    const hero_param *x = &qa.table[p], *y = &qb.table[p];
                    if (x->wtype == HERO_W_Q8_0)
                        rc = y->wtype != HERO_W_Q8_0 ||
                             memcmp(x->wmat.data, y->wmat.data, (size_t)x->shape[0] * x->wmat.nb * HERO_Q8_BLOCK) != 0 ||
                             memcmp(x->wmat.scale, y->wmat.scale, (size_t)x->shape[0] * x->wmat.nb * 2) != 0;
                    else
                        rc = memcmp(x->data, y->data, x->numel * sizeof(float)) != 0;
                    if (rc) fprintf(stderr, "hero_convert: --check: %s: a q8_0 model from %s differs from one from %s\n", x->name, out, in);
                }
                if (!rc) printf("check: a q8_0 model loaded from %s equals one loaded from %s byte for byte\n", out, in);
                hero_model_free(&qb);
            } else rc = 1;
            hero_model_free(&qa);
        } else if (!rc) rc = 1;
        if (rc && err.msg[0] && err.code) fprintf(stderr, "hero_convert: --check: %s\n", err.msg);
    } else if (dt == HERO_F32) {
        rc = memcmp(a.params, b.params, a.n_floats * sizeof(float)) != 0 || rb.n_loaded != ra.n_loaded;
        if (rc) fprintf(stderr, "hero_convert: --check: %s does not load to the weights of %s\n", out, in);
        else printf("check: %s loads to the weights of %s bit for bit (%lu floats)\n", out, in, (unsigned long)a.n_floats);
    } else {
        for (i = 0; i < a.n_floats; i++) {
            double d = fabs((double)a.params[i] - b.params[i]), s = fabs((double)a.params[i]);
            double r = d / (s > 1e-3 ? s : 1e-3);
            if (r > worst || r != r) worst = r;
        }
        rc = !(worst <= (dt == HERO_F16 ? 1e-3 : 8e-3));
        printf("check: %s loads to the weights of %s within %.3g (relative, %s rounding)%s\n", out, in, worst,
               hero_dtype_name(dt), rc ? ": TOO LARGE" : "");
    }
    hero_model_free(&a);
    hero_model_free(&b);
    return rc;
}

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *cfg = NULL, *emb_cfg = NULL, *emb_vocab = NULL, *emb_merges = NULL;
    char *cfg_text = NULL, *vocab_text = NULL, *merges_text = NULL;
    hero_dtype dt = HERO_F32;
    int keep_tied = 0, verify = 0, i, n = 0, rc = 1, hero_mode = 0, drop_decoder = 0, q8 = 0, lean = 0;
    size_t plen = 0;
    hero_tensorfile tf;
    hero_error err;
    hero_st_item *items = NULL;
    const void **owned = NULL;
    int64_t (*shapes)[HERO_MAX_DIMS] = NULL;
    int64_t overflow = 0;
    const char **meta = NULL;
    char **names = NULL;
    float *decoder_vals = NULL;
    int n_meta = 0;
    char prefix[512] = "", tied_note[256];
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dtype") && i + 1 < argc) {
            const char *d = argv[++i];
            if (!strcmp(d, "f32")) dt = HERO_F32;
            else if (!strcmp(d, "f16")) dt = HERO_F16;
            else if (!strcmp(d, "bf16")) dt = HERO_BF16;
            else if (!strcmp(d, "q8_0")) { dt = HERO_F32; q8 = 1; }
            else { fprintf(stderr, "hero_convert: --dtype %s: expected f32, f16, bf16 or q8_0\n", d); return 2; }
        } else if (!strcmp(argv[i], "--lean")) {
            lean = 1;
        } else if (!strcmp(argv[i], "--keep-tied")) {
            keep_tied = 1;
        } else if (!strcmp(argv[i], "--check") && i + 1 < argc) {
            cfg = argv[++i];
            verify = 1;
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            emb_cfg = argv[++i];
        } else if (!strcmp(argv[i], "--vocab") && i + 1 < argc) {
            emb_vocab = argv[++i];
        } else if (!strcmp(argv[i], "--merges") && i + 1 < argc) {
            emb_merges = argv[++i];
        } else if (!strcmp(argv[i], "--verify")) {
            verify = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(argv[0]);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "hero_convert: unknown option %s\n", argv[i]);
            return usage(argv[0]);
        } else if (!in) in = argv[i];
        else if (!out) out = argv[i];
        else return usage(argv[0]);
    }
    if (!in || !out) return usage(argv[0]);
    if (!emb_vocab != !emb_merges) {
        fprintf(stderr, "hero_convert: --vocab and --merges go together\n");
        return usage(argv[0]);
    }
    /* one-file model: the config and tokenizer must load before they are stored */
    if (emb_cfg) {
        hero_config c;
        if (hero_config_from_json(&c, emb_cfg, &err) || !(cfg_text = read_text(emb_cfg))) {
            fprintf(stderr, "hero_convert: --config: %s\n", err.code ? err.msg : emb_cfg);
            goto early;
        }
    }
    if (emb_vocab) {
        hero_tokenizer *tk = NULL;
        if (hero_tokenizer_load(&tk, emb_vocab, emb_merges, &err)) { fprintf(stderr, "hero_convert: --vocab / --merges: %s\n", err.msg); goto early; }
        hero_tokenizer_free(tk);
        if (!(vocab_text = read_text(emb_vocab)) || !(merges_text = read_text(emb_merges))) goto early;
    }
    if (hero_tensorfile_open(&tf, in, &err)) {
        fprintf(stderr, "hero_convert: %s%s%s (%s)\n", strstr(err.msg, in) ? "" : in, strstr(err.msg, in) ? "" : ": ", err.msg,
                hero_strerror(err.code));
        goto early;
    }
    /* a HERO checkpoint, possibly under a prefix */
    for (i = 0; i < tf.n_tensors; i++) {
        const char *nm = tf.tensors[i].name;
        size_t ln = strlen(nm), lw = strlen(WORD);
        if (ln >= lw && !strcmp(nm + ln - lw, WORD) && (ln == lw || nm[ln - lw - 1] == '.') && ln - lw < sizeof prefix) {
            hero_mode = 1;
            plen = ln - lw;
            memcpy(prefix, nm, plen);
            prefix[plen] = 0;
            break;
        }
    }
    if (lean && !q8 && !hero_mode) {
        fprintf(stderr, "hero_convert: --lean: %s is not a HERO checkpoint\n", in);
        hero_tensorfile_close(&tf);
        goto early;
    }
    if (q8 && !hero_mode) {
        fprintf(stderr, "hero_convert: --dtype q8_0: %s is not a HERO checkpoint (q8_0 is for a model's matrices)\n", in);
        hero_tensorfile_close(&tf);
        goto early;
    }
    /* two items per tensor: q8_0 writes data + scales */
    items = (hero_st_item *)calloc(2 * (size_t)tf.n_tensors + 1, sizeof(*items));
    owned = (const void **)calloc(2 * (size_t)tf.n_tensors + 1, sizeof(*owned));
    shapes = (int64_t(*)[HERO_MAX_DIMS])calloc(2 * (size_t)tf.n_tensors + 1, sizeof(*shapes));
    names = (char **)calloc(2 * (size_t)tf.n_tensors + 1, sizeof(char *));
    meta = (const char **)calloc((size_t)(2 * (tf.n_entries + (tf.meta.type == HERO_JSON_OBJECT ? tf.meta.n : 0)) + 32), sizeof(char *));
    if (!items || !owned || !shapes || !names || !meta) { fprintf(stderr, "hero_convert: out of memory\n"); goto done; }
    if (hero_mode) {
        const hero_tensor_info *w = NULL, *dec = NULL;
        char full[1024];
        snprintf(full, sizeof full, "%s%s", prefix, WORD);
        w = hero_tensorfile_find(&tf, full);
        snprintf(full, sizeof full, "%s%s", prefix, DECODER);
        dec = hero_tensorfile_find(&tf, full);
        if (dec && !keep_tied) {
            int same = dec->storage_id >= 0 && dec->storage_id == w->storage_id && dec->offset == w->offset &&
                       dec->ndim == w->ndim && !memcmp(dec->shape, w->shape, sizeof(dec->shape)) &&
                       !memcmp(dec->stride, w->stride, sizeof(dec->stride)) && dec->dtype == w->dtype;
            drop_decoder = 1;
            if (!same) {
                int64_t nd = hero_tensor_numel(dec), nw = hero_tensor_numel(w);
                float *a, *b;
                if (nd != nw) {
                    fprintf(stderr, "hero_convert: %s: %s has %lld elements, %s %lld: not a tied pair (use --keep-tied)\n", in,
                            DECODER, (long long)nd, WORD, (long long)nw);
                    goto done;
                }
                if (!(a = read_f32(dec, nd, &err))) { fprintf(stderr, "hero_convert: %s: %s\n", in, err.msg); goto done; }
                if (!(b = read_f32(w, nw, &err))) { free(a); fprintf(stderr, "hero_convert: %s: %s\n", in, err.msg); goto done; }
                if (memcmp(a, b, (size_t)nd * sizeof(float)) != 0) {
                    fprintf(stderr, "hero_convert: warning: %s: %s differs from %s (not tied); writing the decoder's values "
                                    "under %s, as the official model ends up with them\n", in, DECODER, WORD, WORD);
                    decoder_vals = a;
                } else {
                    free(a);
                }
                free(b);
            }
        }
    }
    for (i = 0; i < tf.n_tensors; i++) {
        const hero_tensor_info *t = &tf.tensors[i];
        const char *nm = t->name;
        const float *from = NULL;
        int own = 0, d;
        hero_dtype to;
        const void *data;
        if (hero_mode) {
            if (strncmp(nm, prefix, plen) != 0) continue;
            nm += plen;
            if (drop_decoder && !strcmp(nm, DECODER)) continue;
            if (decoder_vals && !strcmp(nm, WORD)) from = decoder_vals;
        }
        if (t->ndim > HERO_MAX_DIMS || t->ndim < 0) { fprintf(stderr, "hero_convert: %s: tensor %s: bad rank\n", in, t->name); goto done; }
        to = is_float(t->dtype) ? (lean && !hero_param_is_matrix(nm, t->ndim, t->shape) ? HERO_F32 : dt) : t->dtype;
        if (q8 && is_float(t->dtype) && hero_param_is_matrix(nm, t->ndim, t->shape) && t->shape[0] <= INT32_MAX &&
            t->shape[1] <= INT32_MAX) { /* NAME.q8_0 + NAME.q8_0_scale */
            int O = (int)t->shape[0], K = (int)t->shape[1], nb = (K + HERO_Q8_BLOCK - 1) / HERO_Q8_BLOCK, h;
            float *x = from ? (float *)from : read_f32(t, (int64_t)O * K, &err);
            int8_t *q = (int8_t *)malloc((size_t)O * K + 1);
            uint16_t *sc = (uint16_t *)malloc((size_t)O * nb * 2 + 2);
            if (!x || !q || !sc) {
                fprintf(stderr, "hero_convert: %s: %s\n", in, x ? "out of memory" : err.msg);
                if (x != from) free(x);
                free(q); free(sc);
                goto done;
            }
            hero_q8_0_quantize(x, O, K, q, sc);
            if (x != from) free(x);
            for (h = 0; h < 2; h++) {
                if (!(names[n] = (char *)malloc(strlen(nm) + 16))) { fprintf(stderr, "hero_convert: out of memory\n"); free(h ? NULL : q); free(sc); goto done; }
                sprintf(names[n], "%s%s", nm, h ? HERO_Q8_SCALE_SUFFIX : HERO_Q8_SUFFIX);
                shapes[n][0] = O;
                shapes[n][1] = h ? nb : K;
                items[n].name = names[n];
                items[n].dtype = h ? HERO_F16 : HERO_I8;
                items[n].ndim = 2;
                items[n].shape = shapes[n];
                items[n].data = h ? (const void *)sc : (const void *)q;
                owned[n] = items[n].data;
                n++;
            }
            continue;
        }
        data = tensor_bytes(t, to, from, &own, &overflow, &err);
        if (!data) { fprintf(stderr, "hero_convert: %s: %s\n", in, err.msg); goto done; }
        if (!(names[n] = (char *)malloc(strlen(nm) + 1))) {
            if (own) free((void *)data);
            fprintf(stderr, "hero_convert: out of memory\n");
            goto done;
        }
        strcpy(names[n], nm);
        for (d = 0; d < t->ndim; d++) shapes[n][d] = t->shape[d];
        items[n].name = names[n];
        items[n].dtype = to;
        items[n].ndim = t->ndim;
        items[n].shape = shapes[n];
        items[n].data = data;
        owned[n] = own ? data : NULL;
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "hero_convert: %s: no tensors to write%s\n", in, tf.n_tensors ? "" : " (the file holds none)");
        goto done;
    }
    /* metadata */
    meta[n_meta++] = "format"; meta[n_meta++] = "pt";
    meta[n_meta++] = "converted_by"; meta[n_meta++] = "hero_convert (hero.h " HERO_VERSION ")";
    meta[n_meta++] = "source"; meta[n_meta++] = base_name(in);
    meta[n_meta++] = "dtype"; meta[n_meta++] = q8 ? "q8_0" : hero_dtype_name(dt);
    if (lean && !q8 && dt != HERO_F32) { meta[n_meta++] = "lean"; meta[n_meta++] = "matrices only; the other floats are f32"; }
    if (drop_decoder) {
        snprintf(tied_note, sizeof tied_note, "%s=%s", DECODER, WORD);
        meta[n_meta++] = "tied"; meta[n_meta++] = tied_note;
    }
    if (cfg_text) { meta[n_meta++] = HERO_META_CONFIG; meta[n_meta++] = cfg_text; }
    if (vocab_text) { meta[n_meta++] = HERO_META_VOCAB; meta[n_meta++] = vocab_text; meta[n_meta++] = HERO_META_MERGES; meta[n_meta++] = merges_text; }
    for (i = 0; i < tf.n_entries; i++) {
        const char *k = tf.entries[i].name;
        int j, dup = 0;
        if (hero_mode) {
            if (strncmp(k, prefix, plen) != 0) continue;
            k += plen;
        }
        for (j = 0; j < n_meta; j += 2) dup |= !strcmp(meta[j], k);
        if (!dup && k[0]) { meta[n_meta++] = k; meta[n_meta++] = tf.entries[i].value; }
    }
    if (tf.meta.type == HERO_JSON_OBJECT)
        for (i = 0; i < tf.meta.n; i++) {
            const char *k = tf.meta.keys[i];
            int j, dup = 0;
            if (tf.meta.items[i].type != HERO_JSON_STRING || strlen(tf.meta.items[i].string) != tf.meta.items[i].len) continue;
            for (j = 0; j < n_meta; j += 2) dup |= !strcmp(meta[j], k);
            if (!dup) { meta[n_meta++] = k; meta[n_meta++] = tf.meta.items[i].string; }
        }
    meta[n_meta] = NULL;
    if (hero_safetensors_write(out, items, n, meta, &err)) {
        fprintf(stderr, "hero_convert: %s (%s)\n", err.msg, hero_strerror(err.code));
        goto done;
    }
    if (overflow)
        fprintf(stderr, "hero_convert: warning: %lld finite values exceed the %s range and were written as +-inf\n",
                (long long)overflow, hero_dtype_name(dt));
    printf("wrote %s: %d tensors, %s%s%s%s%s\n", out, n, q8 ? "q8_0 matrices, f32 others" : hero_dtype_name(dt),
           hero_mode ? ", official HERO names" : "", drop_decoder ? ", tied decoder stored once (as word_embeddings)" : "",
           cfg_text ? ", config" : "", vocab_text ? ", tokenizer" : "");
    rc = 0;
    if (verify) rc = verify_tensors(&tf, out, prefix, decoder_vals, dt, q8);
    if (!rc && cfg) rc = hero_mode ? check_load(cfg, in, out, dt, prefix[0] == 0, q8) : 0;
    if (cfg && !hero_mode) printf("check: %s is not a HERO checkpoint; --check compared its tensors only\n", in);
done:
    for (i = 0; i < n; i++) {
        free((void *)owned[i]);
        free(names[i]);
    }
    free(decoder_vals);
    free(items);
    free((void *)owned);
    free(shapes);
    free(names);
    free((void *)meta);
    hero_tensorfile_close(&tf);
early:
    free(cfg_text);
    free(vocab_text);
    free(merges_text);
    return rc;
}

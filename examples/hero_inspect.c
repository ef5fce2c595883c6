/* hero_inspect: lists what a file hero.h reads contains.

   usage: hero_inspect FILE...

   Tensor files (format detected from the content: torch.save zip or legacy pickle (.pt/.bin),
   .safetensors, .npy, .npz): one line per tensor, in file order,
       name dtype [d0,d1,...]
   with dtype one of f32 f16 bf16 f64 i64 i32 i16 i8 u8 bool (an .npz member is named without
   .npy, a bare .npy is named "-", nested torch dicts / lists are joined with "."); then one
   line per non-tensor entry, `name kind value` (pickled ints, bools, strings, None, ...;
   the value is the rest of the line, control bytes escaped;
   safetensors metadata as `__metadata__.key str value`, long values shortened); then
       dtypes f32=N ...         (how many tensors of each dtype)
       config hidden=H ...      (a one-file model: its __metadata__ hero_config, checked)
       tokenizer vocab=N ...    (a one-file model: hero_vocab + hero_merges, loaded)
       summary: format=F tensors=N parameters=P bytes=B file_bytes=S [shared=K]
   (parameters: total elements; bytes: their size in their dtypes; shared: tensors that view
   the storage of an earlier one, like the official checkpoint's tied decoder).
   Names are printed with bytes below 0x21, 0x7f, backslash and invalid UTF-8 written as \xNN.

   A .json file with "f_config" is read as a HERO model config (the dims hero_config_from_json
   reads); vocab.json / merges.txt as a byte-level BPE tokenizer (the other file is taken from
   the same directory when present); other JSON: its top-level shape.

   An unreadable or malformed file, or a torch file whose pickled root object is not a dict
   (a list, a bare tensor, ...: listed, then named): a message naming the file and the problem
   on stderr, exit status 1 (after the other files were listed). Never crashes on hostile input. */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* length of the valid UTF-8 sequence at s (2..4), or 0 */
static int utf8_len(const unsigned char *s) {
    int n, i;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) n = 4;
    else return 0;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

/* prints s with bytes < 0x21 (< 0x20 when space_ok), 0x7f, '\\' and invalid UTF-8 escaped as \xNN;
   at most max bytes (then "...") */
static void put_esc(const char *s, size_t max, int space_ok) {
    size_t i = 0;
    while (s[i]) {
        const unsigned char *u = (const unsigned char *)s + i;
        int n;
        if (i >= max) { fputs("...", stdout); return; }
        if (u[0] >= 0x80 && (n = utf8_len(u)) > 0) {
            fwrite(u, 1, (size_t)n, stdout);
            i += (size_t)n;
            continue;
        }
        if (u[0] < (space_ok ? 0x20 : 0x21) || u[0] >= 0x7f || u[0] == '\\') printf("\\x%02x", u[0]);
        else putchar(u[0]);
        i++;
    }
}
static void put_escaped(const char *s, size_t max) { put_esc(s, max, 0); }
static void put_value(const char *s, size_t max) { put_esc(s, max, 1); }

static const char *format_name(hero_file_format f) {
    switch (f) {
    case HERO_FMT_SAFETENSORS: return "safetensors";
    case HERO_FMT_TORCH_ZIP: return "torch-zip";
    case HERO_FMT_TORCH_LEGACY: return "torch-legacy";
    case HERO_FMT_NPY: return "npy";
    case HERO_FMT_NPZ: return "npz";
    default: return "?";
    }
}

/* every element of t inside its storage? (shape, strides, offset; overflow-safe) */
static const char *tensor_problem(const hero_tensor_info *t) {
    int64_t es = hero_dtype_size(t->dtype), n = hero_tensor_numel(t), last = t->offset, have;
    int d;
    if (es <= 0) return "invalid dtype";
    if (n < 0) return "shape negative or overflowing";
    if (n > INT64_MAX / es) return "size overflows";
    if (n == 0) return NULL;
    if (t->offset < 0 || !t->storage || t->storage_nbytes < 0) return "bad storage offset";
    for (d = 0; d < t->ndim; d++) {
        int64_t ext;
        if (t->stride[d] < 0) return "negative stride";
        if (t->shape[d] > 1 && t->stride[d] > (INT64_MAX - last) / (t->shape[d] - 1)) return "stride overflows";
        ext = (t->shape[d] - 1) * t->stride[d];
        last += ext;
    }
    have = t->storage_nbytes / es;
    if (last >= have) return "data past the end of its storage";
    return NULL;
}

/* "hero_inspect: <message naming the file>" on stderr */
static void fail_msg(const char *path, const hero_error *err) {
    if (strstr(err->msg, path)) fprintf(stderr, "hero_inspect: %s (%s)\n", err->msg, hero_strerror(err->code));
    else fprintf(stderr, "hero_inspect: %s: %s (%s)\n", path, err->msg, hero_strerror(err->code));
}

static int inspect_tensors(const char *path) {
    hero_tensorfile tf;
    hero_error err;
    int i, bad = 0, shared = 0;
    int64_t params = 0, bytes = 0;
    if (hero_tensorfile_open(&tf, path, &err)) {
        fail_msg(path, &err);
        return 1;
    }
    for (i = 0; i < tf.n_tensors; i++) {
        const hero_tensor_info *t = &tf.tensors[i];
        const char *why = tensor_problem(t);
        int d, j;
        int64_t n = hero_tensor_numel(t);
        put_escaped(t->name ? t->name : "?", 4096);
        printf(" %s [", hero_dtype_name(t->dtype));
        for (d = 0; d < t->ndim && d < HERO_MAX_DIMS; d++) printf("%s%lld", d ? "," : "", (long long)t->shape[d]);
        printf("]");
        if (why) {
            printf(" INVALID (%s)", why);
            fprintf(stderr, "hero_inspect: %s: tensor ", path);
            fprintf(stderr, "'%.200s': %s\n", t->name ? t->name : "?", why);
            bad = 1;
        } else {
            if (n > 0 && INT64_MAX - params >= n) params += n;
            if (n > 0 && INT64_MAX / hero_dtype_size(t->dtype) >= n && INT64_MAX - bytes >= n * hero_dtype_size(t->dtype))
                bytes += n * hero_dtype_size(t->dtype);
        }
        printf("\n");
        for (j = 0; j < i; j++)
            if (t->storage_id >= 0 && tf.tensors[j].storage_id == t->storage_id) { shared++; break; }
    }
    for (i = 0; i < tf.n_entries; i++) {
        const hero_entry_info *e = &tf.entries[i];
        put_escaped(e->name ? e->name : "?", 4096);
        printf(" %s ", e->kind ? e->kind : "?");
        put_value(e->value ? e->value : "", 200);
        printf("\n");
    }
    if (tf.meta.type == HERO_JSON_OBJECT)
        for (i = 0; i < tf.meta.n; i++) {
            const hero_json *v = &tf.meta.items[i];
            printf("__metadata__.");
            put_escaped(tf.meta.keys[i] ? tf.meta.keys[i] : "?", 4096);
            if (v->type == HERO_JSON_STRING) {
                printf(" str ");
                put_value(v->string, 120);
                if (v->len > 120) printf(" (%lu bytes)", (unsigned long)v->len);
            } else {
                printf(" %s -", v->type == HERO_JSON_NUMBER ? "number" : v->type == HERO_JSON_OBJECT ? "dict"
                                 : v->type == HERO_JSON_ARRAY ? "list" : v->type == HERO_JSON_BOOL ? "bool" : "none");
            }
            printf("\n");
        }
    /* the dtypes, and what a one-file model holds besides its tensors (hero_convert --config --vocab --merges) */
    if (tf.n_tensors) {
        int k, cnt[HERO_DTYPE_COUNT] = {0};
        for (i = 0; i < tf.n_tensors; i++)
            if ((int)tf.tensors[i].dtype >= 0 && tf.tensors[i].dtype < HERO_DTYPE_COUNT) cnt[tf.tensors[i].dtype]++;
        printf("dtypes");
        for (k = 0; k < HERO_DTYPE_COUNT; k++) if (cnt[k]) printf(" %s=%d", hero_dtype_name((hero_dtype)k), cnt[k]);
        printf("\n");
    }
    if (tf.meta.type == HERO_JSON_OBJECT && hero_json_get(&tf.meta, HERO_META_CONFIG)) {
        const hero_json *v = hero_json_get(&tf.meta, HERO_META_CONFIG);
        hero_config c;
        char nm[1200];
        snprintf(nm, sizeof nm, "%s: __metadata__ \"%s\"", path, HERO_META_CONFIG);
        if (v->type == HERO_JSON_STRING && hero_config_from_json_text(&c, v->string, v->len, nm, &err) == 0)
            printf("config hidden=%d f_layers=%d c_layers=%d heads=%d,%d,%d vocab=%d (one-file model: no --config needed)\n", c.H, c.f_layers,
                   c.c_layers, c.f_heads, c.c_heads, c.q_heads, c.V);
        else {
            printf("config INVALID\n");
            if (v->type != HERO_JSON_STRING) fprintf(stderr, "hero_inspect: %s: __metadata__ %s is not a string\n", path, HERO_META_CONFIG);
            else fail_msg(path, &err);
            bad = 1;
        }
    }
    if (tf.meta.type == HERO_JSON_OBJECT && (hero_json_get(&tf.meta, HERO_META_VOCAB) || hero_json_get(&tf.meta, HERO_META_MERGES))) {
        hero_tokenizer *tok = NULL;
        if (hero_tokenizer_load_model(&tok, path, &err) == 0) {
            printf("tokenizer vocab=%d (one-file model: no --vocab / --merges needed)\n", hero_tokenizer_vocab_size(tok));
            hero_tokenizer_free(tok);
        } else {
            printf("tokenizer INVALID\n");
            fail_msg(path, &err);
            bad = 1;
        }
    }
    printf("summary: format=%s tensors=%d parameters=%lld bytes=%lld file_bytes=%lu", format_name(tf.format), tf.n_tensors,
           (long long)params, (long long)bytes, (unsigned long)tf.size);
    if (shared) printf(" shared=%d", shared);
    printf("\n");
    if (tf.root_kind && strcmp(tf.root_kind, "dict") != 0) { /* torch.save of something else than a state dict */
        fprintf(stderr, "hero_inspect: %s: not a state dict: the pickled root object is %s %s", path,
                strchr("aeiou", tf.root_kind[0]) ? "an" : "a", tf.root_kind);
        if (tf.root_items) fprintf(stderr, " of %lld items", (long long)tf.root_items);
        fprintf(stderr, ", not a dict\n");
        bad = 1;
    }
    hero_tensorfile_close(&tf);
    return bad;
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
#ifdef _WIN32
    const char *b = strrchr(p, '\\');
    if (b && (!s || b > s)) s = b;
#endif
    return s ? s + 1 : p;
}

/* dir of `path` + name */
static void sibling(char *out, size_t cap, const char *path, const char *name) {
    size_t d = (size_t)(base_name(path) - path);
    if (d >= cap) d = 0;
    snprintf(out, cap, "%.*s%s", (int)d, path, name);
}

static int file_exists(const char *p) {
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* merges in a merges.txt as the tokenizer counts them: non-empty lines, minus a #version header */
static int count_merges(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    int c, first = 1, empty = 1, header = 0;
    *n = 0;
    if (!f) return -1;
    while ((c = fgetc(f)) != EOF) {
        if (first && empty && c == '#') header = 1;
        if (c == '\n') {
            if (!empty && !(first && header)) (*n)++;
            if (!empty) first = 0;
            empty = 1;
            header = 0;
            continue;
        }
        if (c != '\r') empty = 0;
    }
    if (!empty && !(first && header)) (*n)++;
    fclose(f);
    return 0;
}

static int inspect_tokenizer(const char *vocab, const char *merges, const char *given) {
    hero_tokenizer *tok = NULL;
    hero_error err;
    long nm = 0;
    if (!vocab || !merges) {
        /* vocab.json alone: count its tokens */
        hero_json j;
        int i, maxid = -1;
        if (!vocab) {
            if (count_merges(merges, &nm)) { fprintf(stderr, "hero_inspect: %s: cannot open\n", merges); return 1; }
            printf("merges %ld (no vocab.json next to it)\nsummary: format=merges merges=%ld\n", nm, nm);
            return 0;
        }
        if (hero_json_read_file(vocab, &j, &err)) { fail_msg(vocab, &err); return 1; }
        for (i = 0; i < j.n; i++)
            if (j.items[i].type == HERO_JSON_NUMBER && j.items[i].number > maxid && j.items[i].number < 2147483647.0)
                maxid = (int)j.items[i].number;
        printf("vocab %d tokens, largest id %d (no merges.txt next to it)\nsummary: format=vocab tokens=%d\n", j.n, maxid, j.n);
        hero_json_free(&j);
        return 0;
    }
    if (hero_tokenizer_load(&tok, vocab, merges, &err)) {
        fail_msg(given, &err);
        return 1;
    }
    count_merges(merges, &nm);
    printf("tokenizer vocab=%s merges=%s\n", vocab, merges);
    printf("vocab %d tokens\nmerges %ld\n", hero_tokenizer_vocab_size(tok), nm);
    {
        static const char *special[] = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
        int i;
        printf("special");
        for (i = 0; i < 5; i++) printf(" %s=%d", special[i], hero_token_id(tok, special[i]));
        printf("\n");
    }
    printf("summary: format=tokenizer vocab=%d merges=%ld\n", hero_tokenizer_vocab_size(tok), nm);
    hero_tokenizer_free(tok);
    return 0;
}

static int is_vocab_object(const hero_json *j) {
    int i;
    if (j->type != HERO_JSON_OBJECT || j->n == 0 || !j->items) return 0;
    for (i = 0; i < j->n && i < 64; i++)
        if (j->items[i].type != HERO_JSON_NUMBER) return 0;
    return 1;
}

static int inspect_json(const char *path) {
    hero_json j;
    hero_error err;
    if (hero_json_read_file(path, &j, &err)) {
        fail_msg(path, &err);
        return 1;
    }
    if (j.type == HERO_JSON_OBJECT && hero_json_get(&j, "f_config")) {
        hero_config c;
        hero_json_free(&j);
        if (hero_config_from_json(&c, path, &err)) {
            fail_msg(path, &err);
            return 1;
        }
        printf("f_config hidden_size=%d num_attention_heads=%d intermediate_size=%d num_hidden_layers=%d "
               "max_position_embeddings=%d vocab_size=%d vocab_padded=%d layer_norm_eps=%g\n",
               c.H, c.f_heads, c.f_inter, c.f_layers, c.f_max_pos, c.V, c.Vp, (double)c.layer_norm_eps);
        printf("c_config hidden_size=%d num_attention_heads=%d intermediate_size=%d num_hidden_layers=%d max_position_embeddings=%d\n",
               c.H, c.c_heads, c.c_inter, c.c_layers, c.c_max_pos);
        printf("q_config hidden_size=%d num_attention_heads=%d max_position_embeddings=%d\n", c.H, c.q_heads, c.q_max_pos);
        printf("hero vfeat_dim=%d max_frm_seq_len=%d fom_classes=%d conv_kernel_size=%d nce_temp=%g margin=%g ranking_loss_type=%s "
               "lw_st_ed=%g lw_neg_ctx=%g lw_neg_q=%g use_hard_negative=%d hard_pool_size=%d hard_neg_weight=%g\n",
               c.F, c.max_frm_seq_len, c.fom_classes, c.conv_k, (double)c.nce_temp, (double)c.margin, c.ranking_lse ? "lse" : "hinge",
               (double)c.lw_st_ed, (double)c.lw_neg_ctx, (double)c.lw_neg_q, c.use_hard_negative, c.hard_pool_size,
               (double)c.hard_neg_weight);
        printf("summary: format=config hidden=%d f_layers=%d c_layers=%d vocab=%d\n", c.H, c.f_layers, c.c_layers, c.V);
        return 0;
    }
    if (is_vocab_object(&j)) {
        char merges[4096];
        hero_json_free(&j);
        sibling(merges, sizeof merges, path, "merges.txt");
        return inspect_tokenizer(path, file_exists(merges) ? merges : NULL, path);
    }
    {
        static const char *names[] = {"null", "bool", "number", "string", "array", "object"};
        int i;
        printf("json %s", names[j.type]);
        if (j.type == HERO_JSON_OBJECT || j.type == HERO_JSON_ARRAY) printf(" with %d items", j.n);
        printf("\n");
        for (i = 0; j.type == HERO_JSON_OBJECT && j.keys && j.items && i < j.n && i < 50; i++) {
            put_escaped(j.keys[i], 200);
            printf(" %s\n", names[j.items[i].type]);
        }
        printf("summary: format=json items=%d\n", j.n);
    }
    hero_json_free(&j);
    return 0;
}

static int inspect(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "hero_inspect: %s: cannot open (%s)\n", path, strerror(errno));
        return 1;
    }
    fclose(f);
    if (ends_with(path, ".json")) return inspect_json(path);
    if (ends_with(path, ".txt")) {
        char vocab[4096];
        sibling(vocab, sizeof vocab, path, "vocab.json");
        return inspect_tokenizer(file_exists(vocab) ? vocab : NULL, path, path);
    }
    return inspect_tensors(path);
}

int main(int argc, char **argv) {
    int i, rc = 0;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: %s FILE...\n"
                "  lists the tensors of .pt/.bin (torch.save zip or legacy), .safetensors, .npy, .npz files,\n"
                "  the dims of a HERO model-config .json, or a tokenizer's vocab.json / merges.txt\n", argv[0]);
        return argc < 2 ? 2 : 0;
    }
    for (i = 1; i < argc; i++) {
        if (argc > 2) printf("== %s\n", argv[i]);
        if (inspect(argv[i])) rc = 1;
    }
    return rc;
}

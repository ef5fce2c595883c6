/* libFuzzer target: retrieval index files (hero_index_load_memory) for a fixed tiny model (H 8,
   F 4, vocabulary = the fixed one of fuzz_tok.h, seeded random weights), then what a program does
   with a loaded index: every name and key, a search (which runs the REPR pass of an open group
   read from the file: its features, token ids and subtitle -> frame map), a truncate and an add.
   Seeds (tests/fuzz/corpus/index/) are written by this file built with -DFUZZ_INDEX_MAKE_SEEDS:
       cc -std=c99 -DFUZZ_INDEX_MAKE_SEEDS tests/fuzz/fuzz_index.c -o /tmp/seeds -lm && /tmp/seeds DIR */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"
#include "fuzz_tok.h"

static hero_model *fuzz_index_model(void) {
    static hero_model m;
    static int done;
    if (!done) {
        hero_config c;
        hero_model_options o = hero_model_options_default();
        hero_error err;
        memset(&c, 0, sizeof c);
        hero_config_default_losses(&c);
        c.H = 8; c.f_heads = c.c_heads = c.q_heads = 2; c.f_inter = c.c_inter = 16; c.f_layers = c.c_layers = 1;
        c.f_max_pos = 16; c.c_max_pos = 16; c.q_max_pos = 8; c.V = hero_tokenizer_vocab_size(fuzz_fixed_tokenizer());
        c.Vp = (c.V + 7) / 8 * 8; c.F = 4; c.max_frm_seq_len = 16; c.fom_classes = 16;
        o.inference_only = 1;
        if (hero_model_init_opt(&m, &c, &o, &err) || hero_model_init_random(&m, 7)) {
            fprintf(stderr, "fuzz_index: model: %s\n", err.msg);
            abort();
        }
        done = 1;
    }
    return &m;
}

static void fuzz_index_use(hero_index *ix) {
    const char *q[2] = {"a b", "ABC c"};
    hero_index_hit hits[2 * 3 * 2];
    int n_hits[2], i, n = hero_index_size(ix);
    hero_error err;
    hero_feats f;
    float d[3 * 4] = {0.5f, -1, 2, 0, 1, 1, 1, 1, -3, 0.25f, 0, 1};
    for (i = 0; i < n; i++) { fuzz_touch_str(hero_index_name(ix, i)); fuzz_touch_str(hero_index_key(ix, i)); }
    fuzz_touch_str(hero_index_tag(ix));
    if (hero_index_search(ix, q, 2, NULL, 3, 2, hits, n_hits, &err) == 0)
        for (i = 0; i < n_hits[0]; i++) fuzz_touch_str(hits[i].name);
    hero_index_truncate(ix, n / 2);
    f.T = f.T_full = 3;
    f.F = 4;
    f.data = d;
    if (hero_index_add(ix, "added", &f, NULL, "k", &err) >= 0) (void)hero_index_search(ix, q, 1, NULL, 3, 1, hits, n_hits, &err);
}

#ifndef FUZZ_INDEX_MAKE_SEEDS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hero_index *ix = NULL;
    hero_error err;
    if (hero_index_load_memory(&ix, data, size, "fuzz.index", fuzz_index_model(), fuzz_fixed_tokenizer(), NULL, &err) == 0) {
        fuzz_index_use(ix);
        hero_index_free(ix);
    }
    return 0;
}
#else
int main(int argc, char **argv) {
    static const int batch[3] = {2, 50, 1}, nvid[3] = {3, 2, 0};
    char p[1024];
    int s, v;
    hero_error err;
    if (argc != 2) { fprintf(stderr, "usage: %s DIR\n", argv[0]); return 2; }
    for (s = 0; s < 3; s++) {
        hero_index_options o = hero_index_options_default();
        hero_index *ix;
        o.video_batch = batch[s];
        o.media.max_frames = 8;
        if (hero_index_create(&ix, fuzz_index_model(), fuzz_fixed_tokenizer(), &o, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
        for (v = 0; v < nvid[s]; v++) {
            float d[6 * 4];
            hero_feats f;
            hero_sub sub[2];
            hero_subtitles subs;
            char t0[] = "a b c", t1[] = "c, a";
            char name[16];
            int k;
            for (k = 0; k < 6 * 4; k++) d[k] = (float)((k * 7 + v * 3) % 11) / 5.0f - 1.0f;
            f.T = f.T_full = 3 + v;
            f.F = 4;
            f.data = d;
            sub[0].start = 0.2; sub[0].end = 2.0; sub[0].text = t0;
            sub[1].start = 2.5; sub[1].end = 4.0; sub[1].text = t1;
            subs.name = name; subs.n = v == 1 ? 0 : 2; subs.subs = sub;
            snprintf(name, sizeof name, "v%d", v);
            if (hero_index_add(ix, name, &f, &subs, v ? "key" : "", &err) < 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
        }
        snprintf(p, sizeof p, "%s/seed%d.index", argv[1], s);
        if (hero_index_save(ix, p, s ? NULL : "tag", &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
        fuzz_index_use(ix);
        hero_index_free(ix);
    }
    return 0;
}
#endif

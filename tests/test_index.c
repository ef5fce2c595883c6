/* test_index: the retrieval index (hero_index_*) on the tiny golden model.

   usage: test_index GOLDEN_DIR FIXTURE_DIR RETRIEVE_OUTPUT
     GOLDEN_DIR       tests/golden/tiny (config.json, model.pt: F = 20)
     FIXTURE_DIR      v/ (videos) and tok/ (vocab.json, merges.txt) as `test_media --fixture` writes them
     RETRIEVE_OUTPUT  what `retrieve --feat-dims 8,12 --no-cache` printed for the queries below

   Checks: search results equal retrieve's output byte for byte; save -> load -> search equal bit
   for bit (memory-mapped, and read from memory); adding videos one at a time, with searches,
   a save and a load in between, equals adding them at once; hero_index_truncate; several
   moments per video; truncated and corrupted index files give an error, never a crash; an
   index built on one model is refused by a model of another shape; bad arguments.
   Prints PASS / FAIL lines, then "N passed, N failed"; exit status 1 on any failure. */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;
static void check(int ok, const char *name, const char *why) {
    if (ok) { printf("PASS %s\n", name); n_pass++; }
    else { printf("FAIL %s: %s\n", name, why ? why : ""); n_fail++; }
}

static const char *Q[4] = {"the door", "A MAN IN THE HALL", "a man in the hall", "wow"};
static char fx[1024];
static hero_model model;
static hero_tokenizer *tok;

static char *path(const char *rel) {
    static char buf[8][1200];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fx, rel);
    return buf[k];
}

static hero_index_options opts(int batch) {
    hero_index_options o = hero_index_options_default();
    o.dim_resnet = 8;
    o.dim_slowfast = 12;
    o.video_batch = batch;
    return o;
}

/* video i of the fixture (the order retrieve uses: sorted names) */
static int add(hero_index *ix, int i, hero_error *err) {
    switch (i) {
    case 0: return hero_index_add_files(ix, "vid_a", path("v/resnet_features/vid_a.npz"), path("v/slowfast_features/vid_a.npz"), path("v/subs.jsonl"), err);
    case 1: return hero_index_add_files(ix, "vid_b", path("v/vid_b.npy"), NULL, path("v/vid_b.srt"), err);
    case 2: return hero_index_add_files(ix, "vid_c", path("v/resnet_features/vid_c.npz"), path("v/slowfast_features/vid_c.npz"), NULL, err);
    case 3: return hero_index_add_files(ix, "vid_d", path("v/resnet_features/vid_d.npz"), path("v/slowfast_features/vid_d.npz"), path("v/subs.jsonl"), err);
    default: return hero_index_add_files(ix, "vid_a", path("v/resnet_features/vid_a.npz"), path("v/slowfast_features/vid_a.npz"), path("v/subs.jsonl"), err);
    }
}

typedef struct result { hero_index_hit hits[4 * 5 * 3]; int n[4]; } result;

static const char *NAMES[8] = {"vid_a", "vid_b", "vid_c", "vid_d", "vid_a", "vid_a", "vid_b", "vid_c"};
static int bad_names;

/* searches the 4 queries; each hit's name (valid until the index changes) checked, then replaced
   by a stable copy so that results can be compared after the index changed */
static int search(hero_index *ix, int top, int mpv, result *r, hero_error *err) {
    int rc, q, i;
    memset(r, 0, sizeof *r);
    rc = hero_index_search(ix, Q, 4, NULL, top, mpv, r->hits, r->n, err);
    for (q = 0; q < 4 && !rc; q++)
        for (i = 0; i < r->n[q]; i++) {
            hero_index_hit *h = &r->hits[q * top * mpv + i];
            if (h->video < 0 || h->video > 7 || strcmp(h->name, NAMES[h->video]) != 0) bad_names++;
            else h->name = NAMES[h->video];
        }
    return rc;
}

/* bit for bit: every field, names by content */
static int same(const result *a, const result *b) {
    int q, i;
    for (q = 0; q < 4; q++) {
        if (a->n[q] != b->n[q]) return 0;
        for (i = 0; i < a->n[q]; i++) {
            const hero_index_hit *x = &a->hits[q * 5 + i], *y = &b->hits[q * 5 + i];
            if (x->video != y->video || strcmp(x->name, y->name) || x->st != y->st || x->ed != y->ed || memcmp(&x->score, &y->score, 4) ||
                memcmp(&x->video_score, &y->video_score, 4) || memcmp(&x->start, &y->start, 4) || memcmp(&x->end, &y->end, 4))
                return 0;
        }
    }
    return 1;
}

static char *read_all(const char *p, size_t *n) {
    FILE *f = fopen(p, "rb");
    char *b;
    long k;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    k = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = (char *)malloc((size_t)k + 1);
    if (fread(b, 1, (size_t)k, f) != (size_t)k) k = 0;
    fclose(f);
    b[k] = 0;
    *n = (size_t)k;
    return b;
}

int main(int argc, char **argv) {
    hero_error err;
    hero_index *ix = NULL, *ix2 = NULL, *ixb = NULL;
    hero_index_options o = opts(50);
    hero_model_options mo = hero_model_options_default();
    result r1, r2, r3;
    char cfg[1024], ckpt[1024], why[1024], ixpath[1200], *retr, *file;
    size_t nretr = 0, nfile = 0;
    int rc, i, q;
    if (argc != 4) { fprintf(stderr, "usage: test_index GOLDEN_DIR FIXTURE_DIR RETRIEVE_OUTPUT\n"); return 2; }
    snprintf(fx, sizeof fx, "%s", argv[2]);
    snprintf(cfg, sizeof cfg, "%s/config.json", argv[1]);
    snprintf(ckpt, sizeof ckpt, "%s/model.pt", argv[1]);
    snprintf(ixpath, sizeof ixpath, "%s/test.index", fx);
    mo.inference_only = 1;
    if (hero_model_load_opt(&model, cfg, ckpt, &mo, NULL, &err) || hero_tokenizer_load(&tok, path("tok/vocab.json"), path("tok/merges.txt"), &err)) {
        printf("FAIL setup: %s\n0 passed, 1 failed\n", err.msg);
        return 1;
    }

    /* ---- search == retrieve, byte for byte ---- */
    rc = hero_index_create(&ix, &model, tok, &o, &err);
    for (i = 0; i < 4 && rc >= 0; i++) rc = add(ix, i, &err);
    if (rc >= 0) rc = search(ix, 5, 1, &r1, &err);
    retr = read_all(argv[3], &nretr);
    {
        char *out = (char *)malloc(65536);
        size_t k = 0;
        for (q = 0; q < 4 && rc >= 0; q++) {
            k += (size_t)snprintf(out + k, 65536 - k, "query %d: %s\n", q + 1, Q[q]);
            for (i = 0; i < r1.n[q]; i++) {
                const hero_index_hit *h = &r1.hits[q * 5 + i];
                k += (size_t)snprintf(out + k, 65536 - k, "  %d. %s [%.2f s, %.2f s] score %.6g (video %.4f)\n", i + 1, h->name, h->start, h->end,
                                      h->score, h->video_score);
            }
        }
        snprintf(why, sizeof why, "rc %d %s; index output:\n%s\nretrieve:\n%s", rc, rc < 0 ? err.msg : "", out, retr ? retr : "(none)");
        check(rc >= 0 && retr && k == nretr && memcmp(out, retr, k) == 0 && r1.n[0] == 4,
              "search of the 4 fixture videos prints exactly retrieve's output (4 queries, best moment per video)", why);
        free(out);
        free(retr);
    }
    check(hero_index_size(ix) == 4 && !strcmp(hero_index_name(ix, 1), "vid_b") && hero_index_pending(ix) == 0 && !hero_index_name(ix, 4),
          "size / name / pending", NULL);

    /* ---- several moments per video ---- */
    rc = search(ix, 5, 3, &r2, &err);
    {
        int okm = rc == 0;
        for (q = 0; q < 4 && okm; q++) {
            int v = 0;
            for (i = 0; i < r2.n[q]; i++) {
                const hero_index_hit *h = &r2.hits[q * 15 + i];
                if (i == 0 || h->video != r2.hits[q * 15 + i - 1].video) { /* a new video: its best moment = the mpv 1 result */
                    const hero_index_hit *b = &r1.hits[q * 5 + v];
                    okm &= v < r1.n[q] && b->video == h->video && b->st == h->st && b->ed == h->ed && b->score == h->score;
                    v++;
                } else okm &= h->score <= r2.hits[q * 15 + i - 1].score;
            }
            okm &= v == r1.n[q] && r2.n[q] == 3 * v;
        }
        check(okm, "3 moments per video: grouped by video, best first, each video's first = the best-moment search", rc ? err.msg : "order");
    }

    /* ---- save -> load (mapped) / load_memory (read) -> equal bit for bit ---- */
    rc = hero_index_save(ix, ixpath, "my tag", &err);
    check(rc == 0, "save", err.msg);
    rc = hero_index_load(&ix2, ixpath, &model, tok, NULL, &err);
    if (!rc) rc = search(ix2, 5, 1, &r2, &err);
    check(rc == 0 && same(&r1, &r2) && hero_index_tag(ix2) && !strcmp(hero_index_tag(ix2), "my tag") && !strcmp(hero_index_key(ix2, 0), ""),
          "save -> load (memory-mapped) -> search: bit for bit, tag kept", rc ? err.msg : "differs");
    hero_index_free(ix2);
    ix2 = NULL;
    file = read_all(ixpath, &nfile);
    rc = hero_index_load_memory(&ix2, file, nfile, "copy", &model, tok, &o, &err);
    if (!rc) rc = search(ix2, 5, 1, &r2, &err);
    check(rc == 0 && same(&r1, &r2), "save -> load_memory (read) -> search: bit for bit", rc ? err.msg : "differs");
    hero_index_free(ix2);
    ix2 = NULL;
    {
        hero_index_options o2 = opts(49);
        rc = hero_index_load(&ix2, ixpath, &model, tok, &o2, &err);
        check(rc == HERO_EINVAL && strstr(err.msg, "video_batch") != NULL, "load with other options (video_batch) -> HERO_EINVAL naming it", err.msg);
    }

    /* ---- incremental == all at once (groups of 3: one full group + an open one) ---- */
    o = opts(3);
    rc = hero_index_create(&ixb, &model, tok, &o, &err);
    for (i = 0; i < 4 && rc >= 0; i++) rc = add(ixb, i, &err);
    if (rc >= 0) rc = search(ixb, 5, 1, &r1, &err);
    check(rc == 0, "batch build, groups of 3", err.msg);
    rc = hero_index_create(&ix2, &model, tok, &o, &err);
    if (rc >= 0) rc = add(ix2, 0, &err);
    if (rc >= 0) rc = add(ix2, 1, &err);
    if (rc >= 0) rc = search(ix2, 5, 1, &r3, &err); /* encodes the open group of 2 */
    if (rc >= 0) rc = hero_index_save(ix2, ixpath, NULL, &err); /* a file with an open group */
    hero_index_free(ix2);
    ix2 = NULL;
    if (rc >= 0) rc = hero_index_load(&ix2, ixpath, &model, tok, &o, &err);
    if (rc >= 0) rc = add(ix2, 2, &err); /* closes the group: encoded again with 3 */
    if (rc >= 0) rc = search(ix2, 5, 1, &r3, &err);
    if (rc >= 0) rc = hero_index_save(ix2, ixpath, NULL, &err);
    hero_index_free(ix2);
    ix2 = NULL;
    if (rc >= 0) rc = hero_index_load(&ix2, ixpath, &model, tok, &o, &err);
    if (rc >= 0) rc = add(ix2, 3, &err);
    if (rc >= 0) rc = search(ix2, 5, 1, &r2, &err);
    check(rc == 0 && same(&r1, &r2), "adds one at a time with searches, saves and loads between = all at once, bit for bit", rc ? err.msg : "differs");
    /* truncate: inside the full group -> the whole group goes; at its end -> kept */
    i = hero_index_truncate(ix2, 2);
    check(i == 0 && hero_index_size(ix2) == 0, "truncate inside a full group drops the group", NULL);
    hero_index_free(ix2);
    ix2 = NULL;
    rc = hero_index_load(&ix2, ixpath, &model, tok, &o, &err);
    i = rc ? -1 : hero_index_truncate(ix2, 3);
    if (i == 3) rc = add(ix2, 3, &err);
    if (rc >= 0 && i == 3) rc = search(ix2, 5, 1, &r2, &err);
    check(i == 3 && rc == 0 && same(&r1, &r2), "truncate to 3 (a group boundary), add the 4th again: same results", rc ? err.msg : "differs");
    hero_index_free(ix2);
    ix2 = NULL;
    i = hero_index_truncate(ixb, 3) == 3 && hero_index_truncate(ixb, 3) == 3;
    rc = add(ixb, 3, &err);
    if (rc >= 0) rc = search(ixb, 5, 1, &r2, &err);
    check(i && rc == 0 && same(&r1, &r2) && hero_index_pending(ixb) == 0, "truncate in memory, add again: same results", rc ? err.msg : "differs");

    /* ---- hostile files: truncated, corrupted ---- */
    free(file);
    rc = hero_index_save(ixb, ixpath, NULL, &err);
    file = read_all(ixpath, &nfile);
    {
        size_t cut, step = nfile / 300 + 1;
        int crashes_none = 1, all_err = 1, n_try = 0, n_corrupt_err = 0;
        for (cut = 0; cut < nfile; cut += step) {
            rc = hero_index_load_memory(&ix2, file, cut, "cut", &model, tok, NULL, &err);
            n_try++;
            if (rc == 0) { all_err = 0; hero_index_free(ix2); }
            ix2 = NULL;
        }
        snprintf(why, sizeof why, "%d of %d truncations loaded", all_err ? 0 : 1, n_try);
        check(all_err && crashes_none, "every truncation of an index file is an error", why);
        /* every byte of the header changed in turn: an error or a valid index, never a crash */
        {
            size_t hl = 8 + (size_t)((unsigned char)file[0] | ((unsigned char)file[1] << 8) | ((unsigned char)file[2] << 16));
            char *c = (char *)malloc(nfile);
            size_t b;
            for (b = 0; b < hl && b < nfile; b++) {
                memcpy(c, file, nfile);
                c[b] = (char)(c[b] ^ (b < 8 ? 0x40 : 0x0b));
                rc = hero_index_load_memory(&ix2, c, nfile, "corrupt", &model, tok, NULL, &err);
                if (rc == 0) {
                    result rr;
                    (void)search(ix2, 5, 1, &rr, &err);
                    hero_index_free(ix2);
                } else n_corrupt_err++;
                ix2 = NULL;
            }
            free(c);
            snprintf(why, sizeof why, "%d of %lu header bytes changed gave an error", n_corrupt_err, (unsigned long)hl);
            check(n_corrupt_err > 0, "each header byte changed in turn: an error or a valid index, never a crash", why);
            printf("   (%s)\n", why);
        }
    }
    /* hand-made hostile contents: a frame count outside [1, max_frames], names that do not match the count */
    {
        int64_t sig[11], s1 = 2, s6 = 6, s11 = 11, sg = 1, sgr[3] = {1, 0, 48};
        double op[6] = {1.5, 100, 60, 50, 8, 12};
        int32_t T2[2] = {5, 1000}, g1[1] = {2};
        float dummy[1] = {0};
        hero_st_item it[7];
        const char *kv[] = {"format", "hero index 1", NULL};
        const hero_config *c = &model.cfg;
        int64_t s3 = 3;
        sig[0] = c->H; sig[1] = c->F; sig[2] = c->Vp; sig[3] = c->f_layers; sig[4] = c->c_layers; sig[5] = c->f_heads;
        sig[6] = c->c_heads; sig[7] = c->q_heads; sig[8] = c->f_inter; sig[9] = c->c_inter; sig[10] = c->conv_k;
        memset(it, 0, sizeof it);
        it[0].name = "index.model"; it[0].dtype = HERO_I64; it[0].ndim = 1; it[0].shape = &s11; it[0].data = sig;
        it[1].name = "index.options"; it[1].dtype = HERO_F64; it[1].ndim = 1; it[1].shape = &s6; it[1].data = op;
        it[2].name = "index.T"; it[2].dtype = HERO_I32; it[2].ndim = 1; it[2].shape = &s1; it[2].data = T2;
        it[3].name = "index.groups"; it[3].dtype = HERO_I32; it[3].ndim = 1; it[3].shape = &sg; it[3].data = g1;
        it[4].name = "index.names"; it[4].dtype = HERO_U8; it[4].ndim = 1; it[4].shape = &s3; it[4].data = "a\0b";
        it[5].name = "index.keys"; it[5].dtype = HERO_U8; it[5].ndim = 1; it[5].shape = &s3; it[5].data = "\0\0\0";
        it[6].name = "group.0"; it[6].dtype = HERO_F32; it[6].ndim = 3; it[6].shape = sgr; it[6].data = dummy;
        hero_safetensors_write(ixpath, it, 7, kv, &err);
        rc = hero_index_load(&ix2, ixpath, &model, tok, NULL, &err);
        check(rc == HERO_EFORMAT && strstr(err.msg, "index.T") && strstr(err.msg, "1000") && strstr(err.msg, ixpath),
              "a frame count of 1000 (max_frames 100) -> HERO_EFORMAT naming the file, the tensor, expected vs found", err.msg);
        T2[1] = 7;
        hero_safetensors_write(ixpath, it, 7, kv, &err);
        rc = hero_index_load(&ix2, ixpath, &model, tok, NULL, &err);
        check(rc == HERO_EFORMAT && strstr(err.msg, "index.names") && strstr(err.msg, "expected 2 NUL-terminated strings"),
              "names not NUL-terminated -> HERO_EFORMAT", err.msg);
        it[4].data = "a\0\0";
        it[5].shape = &s1;
        it[5].data = "\0\0";
        hero_safetensors_write(ixpath, it, 7, kv, &err);
        rc = hero_index_load(&ix2, ixpath, &model, tok, NULL, &err);
        check(rc == HERO_EFORMAT && strstr(err.msg, "group.0") && strstr(err.msg, "f32 [2, >= 7, 48]"),
              "a group tensor of the wrong shape -> HERO_EFORMAT with the shape expected", err.msg);
        kv[1] = "something else";
        hero_safetensors_write(ixpath, it, 7, kv, &err);
        rc = hero_index_load(&ix2, ixpath, &model, tok, NULL, &err);
        check(rc == HERO_EFORMAT && strstr(err.msg, "not a hero index"), "another format -> HERO_EFORMAT", err.msg);
        rc = hero_index_load(&ix2, cfg, &model, tok, NULL, &err);
        check(rc != 0 && ix2 == NULL, "a JSON file -> an error", err.msg);
    }
    /* ---- a model of another shape ---- */
    {
        hero_config c2 = model.cfg;
        hero_model m2;
        hero_model_options mo2 = hero_model_options_default();
        mo2.inference_only = 1;
        c2.c_layers += 1;
        rc = hero_index_save(ixb, ixpath, NULL, &err);
        if (hero_model_init_opt(&m2, &c2, &mo2, &err) == 0) {
            rc = hero_index_load(&ix2, ixpath, &m2, tok, NULL, &err);
            check(rc == HERO_ESHAPE && strstr(err.msg, "c_layers 1, this model has c_layers 2"),
                  "an index built on one model is refused by a model of another shape (HERO_ESHAPE, expected vs found)", err.msg);
            hero_model_free(&m2);
        } else check(0, "model of another shape", err.msg);
    }
    /* ---- a loaded index of 5 videos grows by 3 more (capacity of the loaded arrays) ---- */
    {
        hero_index_options o5 = opts(50);
        rc = hero_index_create(&ix2, &model, tok, &o5, &err);
        for (i = 0; i < 5 && rc >= 0; i++) rc = add(ix2, i < 4 ? i : 4, &err);
        if (rc >= 0) rc = hero_index_save(ix2, ixpath, NULL, &err);
        hero_index_free(ix2);
        ix2 = NULL;
        if (rc >= 0) rc = hero_index_load(&ix2, ixpath, &model, tok, NULL, &err);
        for (i = 0; i < 3 && rc >= 0; i++) rc = add(ix2, i, &err);
        if (rc >= 0) rc = search(ix2, 5, 1, &r2, &err);
        check(rc == 0 && hero_index_size(ix2) == 8 && !strcmp(hero_index_name(ix2, 7), "vid_c") && r2.n[0] == 5,
              "a loaded index of 5 videos takes 3 more (open group of 8), searches", rc ? err.msg : "sizes");
        hero_index_free(ix2);
        ix2 = NULL;
    }
    check(bad_names == 0, "every hit's name is its video's name", "a name differs");
    /* ---- bad arguments and inputs ---- */
    {
        hero_feats f;
        float d[3 * 7];
        memset(d, 0, sizeof d);
        f.T = f.T_full = 3;
        f.F = 7;
        f.data = d;
        rc = hero_index_add(ixb, "bad", &f, NULL, NULL, &err);
        check(rc == HERO_ESHAPE && strstr(err.msg, "F = 20") && hero_index_size(ixb) == 4, "features of the wrong width -> HERO_ESHAPE, index unchanged", err.msg);
        rc = hero_index_add_files(ixb, "none", path("v/no_such.npy"), NULL, NULL, &err);
        check(rc < 0 && strstr(err.msg, "no_such.npy") && hero_index_size(ixb) == 4, "a missing feature file -> an error naming it", err.msg);
        rc = hero_index_search(ixb, Q, 4, NULL, 0, 1, r1.hits, r1.n, &err);
        check(rc == HERO_EINVAL, "search with top_k 0 -> HERO_EINVAL", err.msg);
    }
    {
        hero_index *e = NULL;
        const char *qq = "door";
        hero_index_hit h;
        int n = -1;
        rc = hero_index_create(&e, &model, tok, NULL, &err);
        if (!rc) rc = hero_index_search(e, &qq, 1, NULL, 1, 1, &h, &n, &err);
        if (!rc) rc = hero_index_save(e, ixpath, NULL, &err);
        hero_index_free(e);
        e = NULL;
        if (!rc) rc = hero_index_load(&e, ixpath, &model, tok, NULL, &err);
        check(rc == 0 && n == 0 && hero_index_size(e) == 0, "an empty index: search finds nothing, saves and loads", err.msg);
        hero_index_free(e);
    }
    free(file);
    hero_index_free(ix);
    hero_index_free(ixb);
    hero_tokenizer_free(tok);
    hero_model_free(&model);
    remove(ixpath);
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}

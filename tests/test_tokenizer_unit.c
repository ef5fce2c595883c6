/* Unit tests of the hero.h tokenizer with tiny handmade vocabularies (no external files).
   Build: gcc -std=c99 -Wall -Wextra -Wpedantic -Werror tests/test_tokenizer_unit.c -o build/test_tokenizer_unit
   Run:   build/test_tokenizer_unit [TMPDIR]    (TMPDIR, default /tmp: for the file-loading test)
   Prints PASS name / FAIL name: why lines and a final "N passed, M failed". */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_pass, g_fail;
static void check(int ok, const char *name, const char *why) {
    if (ok) { printf("PASS %s\n", name); g_pass++; }
    else { printf("FAIL %s: %s\n", name, why); g_fail++; }
}

/* ---- a growable string ---- */
typedef struct { char *p; size_t n, cap; } sbuf;
static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n + 1) c *= 2;
        b->p = (char *)realloc(b->p, c);
        if (!b->p) { printf("FAIL oom: realloc\n"); exit(1); }
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* GPT-2 bytes_to_unicode, written independently of the library */
static void byte_char(int b, char out[3]) {
    static int map[256];
    static int init = 0;
    unsigned cp;
    if (!init) {
        int x, n = 0;
        for (x = 0; x < 256; x++) {
            if ((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF)) map[x] = x;
            else map[x] = 256 + n++;
        }
        init = 1;
    }
    cp = (unsigned)map[b];
    if (cp < 0x80) { out[0] = (char)cp; out[1] = 0; }
    else { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); out[2] = 0; }
}

static void json_key(sbuf *b, const char *s) {
    sb_str(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_put(b, "\\", 1);
        sb_put(b, s, 1);
    }
    sb_str(b, "\"");
}

/* vocab.json with the 256 byte characters (ids 0..255) followed by `extra` (ids 256..) */
static void make_vocab(sbuf *v, const char *const *extra, int n_extra) {
    int i;
    char num[32], c[3];
    v->n = 0;
    sb_str(v, "{");
    for (i = 0; i < 256 + n_extra; i++) {
        if (i) sb_str(v, ", ");
        if (i < 256) { byte_char(i, c); json_key(v, c); }
        else json_key(v, extra[i - 256]);
        snprintf(num, sizeof(num), ": %d", i);
        sb_str(v, num);
    }
    sb_str(v, "}\n");
}

static hero_tokenizer *load(const sbuf *v, const char *merges, hero_error *err) {
    hero_tokenizer *t = NULL;
    int rc = hero_tokenizer_load_memory(&t, v->p, v->n, merges, strlen(merges), err);
    if (rc != 0) { printf("  (load failed: %s)\n", err->msg); return NULL; }
    return t;
}

/* tokenize and compare with the expected token strings (NULL-terminated list) */
static int expect_tokens(const hero_tokenizer *t, const char *text, int flags, const char *const *want, char *why) {
    int32_t ids[256];
    hero_error err;
    int n = hero_tokenize(t, text, strlen(text), flags, ids, 256, &err), i, nw = 0;
    while (want[nw]) nw++;
    if (n < 0) { snprintf(why, 256, "error %d: %.200s", n, err.msg); return 0; }
    if (n != nw) { snprintf(why, 256, "\"%.40s\": %d tokens, expected %d", text, n, nw); return 0; }
    for (i = 0; i < n; i++) {
        const char *s = hero_token_str(t, ids[i]);
        if (!s || strcmp(s, want[i]) != 0) {
            snprintf(why, 256, "\"%.40s\": token %d is \"%.40s\", expected \"%.40s\"", text, i, s ? s : "(null)", want[i]);
            return 0;
        }
    }
    return 1;
}

/* ---- naive reference BPE on strings (gpt-3-encoder's loop, verbatim in spirit) ---- */
#define NV_MAXTOK 64
typedef struct { char a[NV_MAXTOK], b[NV_MAXTOK]; } nv_merge;

static void join(char *dst, size_t cap, const char *a, const char *sep, const char *b) {
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    if (la + ls + lb + 1 > cap) { printf("FAIL test_bug: token too long\n"); exit(1); }
    memcpy(dst, a, la);
    memcpy(dst + la, sep, ls);
    memcpy(dst + la + ls, b, lb + 1);
}

static int nv_rank(const nv_merge *m, int nm, const char *x, const char *y, int hf) {
    int i;
    char key[2 * NV_MAXTOK + 2], k2[2 * NV_MAXTOK + 2];
    if (hf) {
        for (i = nm - 1; i >= 0; i--) if (strcmp(m[i].a, x) == 0 && strcmp(m[i].b, y) == 0) return i;
        return -1;
    }
    join(key, sizeof(key), x, ",", y); /* bpe_ranks[[x, y]]: the key is String([x, y]) */
    for (i = nm - 1; i >= 0; i--) {
        join(k2, sizeof(k2), m[i].a, ",", m[i].b);
        if (strcmp(key, k2) == 0) return i;
    }
    return -1;
}

/* returns the number of tokens, writes them to out[][NV_MAXTOK] */
static int nv_bpe(const nv_merge *m, int nm, const char *word, int hf, char (*out)[NV_MAXTOK]) {
    static char w[512][NV_MAXTOK], nw[512][NV_MAXTOK];
    int n = (int)strlen(word), i, k;
    for (i = 0; i < n; i++) { w[i][0] = word[i]; w[i][1] = 0; }
    while (n > 1) {
        int best = -1, br = 0;
        char first[NV_MAXTOK], second[NV_MAXTOK];
        for (i = 0; i + 1 < n; i++) {
            int r = nv_rank(m, nm, w[i], w[i + 1], hf);
            if (r >= 0 && (best < 0 || r <= br)) { best = i; br = r; } /* JS: minPairs[r] keeps the last */
        }
        if (best < 0) break;
        strcpy(first, w[best]);
        strcpy(second, w[best + 1]);
        for (i = 0, k = 0; i < n;) {
            if (i + 1 < n && strcmp(w[i], first) == 0 && strcmp(w[i + 1], second) == 0) {
                join(nw[k++], NV_MAXTOK, first, "", second);
                i += 2;
            } else strcpy(nw[k++], w[i++]);
        }
        memcpy(w, nw, sizeof(w[0]) * (size_t)k);
        n = k;
    }
    for (i = 0; i < n; i++) strcpy(out[i], w[i]);
    return n;
}

static unsigned g_rng = 12345u;
static unsigned rnd(unsigned n) {
    g_rng = g_rng * 1103515245u + 12345u;
    return (g_rng >> 8) % n;
}

/* ---- tests ---- */
static void test_basic(void) {
    static const char *const extra[] = {"he", "ll", "hell", "hello", "\xC4\xA0w", "or", "\xC4\xA0wor", "ld", "\xC4\xA0world",
                                        "aa", "aaaa", "bc", "<s>", "</s>", "<pad>", "<unk>", "<mask>", "\xC4\xA0<", "ab",
                                        "\xC3\xA9\xE2\x82\xAC"};
    const char *merges = "#version: 0.2\nh e\nl l\nhe ll\nhell o\n\xC4\xA0 w\no r\n\xC4\xA0w or\nl d\n\xC4\xA0wor ld\n"
                         "a a\naa aa\nb c\n\xC4\xA0 <\na b\n";
    sbuf v = {0, 0, 0};
    hero_error err;
    hero_tokenizer *t;
    char why[512] = "";
    make_vocab(&v, extra, (int)(sizeof(extra) / sizeof(extra[0])));
    t = load(&v, merges, &err);
    check(t != NULL, "load_memory", err.msg);
    if (!t) { free(v.p); return; }
    check(hero_tokenizer_vocab_size(t) == 256 + 20, "vocab_size", "wrong count");
    check(hero_token_id(t, "hello") == 259 && hero_token_id(t, "nope") == -1 && hero_token_id(t, "!") == '!',
          "token_id", "wrong ids");
    check(hero_token_str(t, 259) && strcmp(hero_token_str(t, 259), "hello") == 0 && hero_token_str(t, 99999) == NULL,
          "token_str", "wrong strings");
    {
        static const char *const w1[] = {"hello", "\xC4\xA0world", NULL};
        check(expect_tokens(t, "hello world", 0, w1, why), "merges_hello_world", why);
    }
    {
        static const char *const w[] = {"aa", "a", NULL}, *const w4[] = {"aaaa", NULL}, *const w5[] = {"aaaa", "a", NULL},
                                 *const w6[] = {"aaaa", "aa", NULL};
        int ok = expect_tokens(t, "aaa", 0, w, why) && expect_tokens(t, "aaaa", 0, w4, why) &&
                 expect_tokens(t, "aaaaa", 0, w5, why) && expect_tokens(t, "aaaaaa", 0, w6, why);
        check(ok, "merges_overlapping_pairs", why);
    }
    {   /* "b c" (rank 11) beats "a b" (rank 13): abc -> a bc */
        static const char *const w[] = {"a", "bc", NULL};
        check(expect_tokens(t, "abc", 0, w, why), "merges_rank_order", why);
    }
    {   /* pre-tokenisation: contractions, letters, digits, punctuation, whitespace */
        static const char *const w[] = {"he", "'", "s", "\xC4\xA0", "1", "2", "!", "?", "\xC4\xA0", "\xC4\xA0", NULL};
        check(expect_tokens(t, "he's 12!?  ", 0, w, why), "pretokenize", why);
    }
    {   /* special tokens: on with HERO_TOKENIZE_SPECIAL only; <mask> eats the whitespace before it */
        static const char *const ws[] = {"<s>", "hello", "<mask>", "</s>", NULL};
        static const char *const wp[] = {"<", "s", ">", "hello", "\xC4\xA0<", "m", "a", "s", "k", ">", NULL};
        static const char *const wm[] = {"hello", "<mask>", "<mask>", "\xC4\xA0world", NULL};
        static const char *const wx[] = {"<", "s", "<s>", ">", "<unk>", "<pad>", NULL};
        int ok = expect_tokens(t, "<s>hello \t <mask></s>", HERO_TOKENIZE_SPECIAL, ws, why) &&
                 expect_tokens(t, "<s>hello <mask>", 0, wp, why) &&
                 expect_tokens(t, "hello<mask> <mask> world", HERO_TOKENIZE_ROBERTA, wm, why) &&
                 expect_tokens(t, "<s<s>><unk><pad>", HERO_TOKENIZE_SPECIAL, wx, why);
        check(ok, "special_tokens", why);
    }
    {   /* ids buffer too small: total count returned, buffer not overrun */
        int32_t ids[3] = {-7, -7, -7};
        int n = hero_tokenize(t, "hello world", 11, 0, ids, 1, &err);
        int n0 = hero_tokenize(t, "hello world", 11, 0, NULL, 0, &err);
        int ne = hero_tokenize(t, "", 0, 0, NULL, 0, &err);
        check(n == 2 && n0 == 2 && ne == 0 && ids[0] == 259 && ids[1] == -7, "ids_buffer_too_small", "wrong count or overrun");
    }
    {   /* invalid UTF-8 -> U+FFFD per maximal subpart (like Node); \xE2\x82 is one subpart */
        int32_t a[64], b[64];
        int na = hero_tokenize(t, "x\xFFy\xE2\x82z\xED\xA0\x80", 9, 0, a, 64, &err);
        const char *same = "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD";
        int nb = hero_tokenize(t, same, strlen(same), 0, b, 64, &err);
        check(na > 0 && na == nb && memcmp(a, b, (size_t)na * sizeof(int32_t)) == 0, "invalid_utf8_as_fffd",
              "differs from the U+FFFD text");
    }
    {   /* decode: round trip, snprintf-like truncation, unknown id, invalid bytes -> U+FFFD */
        const char *txt = "hello world! caf\xC3\xA9 \xF0\x9F\x98\x80 <s>";
        int32_t ids[128];
        char out[128], small[6];
        int n = hero_tokenize(t, txt, strlen(txt), 0, ids, 128, &err);
        int len = hero_detokenize(t, ids, n, out, sizeof(out), &err);
        int ok = n > 0 && len == (int)strlen(txt) && strcmp(out, txt) == 0;
        int lt = hero_detokenize(t, ids, n, small, sizeof(small), &err);
        int32_t bad[2] = {259, 123456};
        int32_t half[2];
        char o2[16];
        check(ok, "decode_round_trip", out);
        check(lt == len && strcmp(small, "hello") == 0, "decode_truncated", small);
        check(hero_detokenize(t, bad, 2, out, sizeof(out), &err) == HERO_EINVAL, "decode_unknown_id", "expected HERO_EINVAL");
        /* ids of the byte characters for 0xC3 then '!': a lone lead byte decodes to U+FFFD */
        half[0] = hero_token_id(t, "\xC3\x83"); /* the byte character of 0xC3 is U+00C3 */
        half[1] = hero_token_id(t, "!");
        check(hero_detokenize(t, half, 2, o2, sizeof(o2), &err) == 4 && strcmp(o2, "\xEF\xBF\xBD!") == 0,
              "decode_invalid_to_fffd", o2);
        check(hero_detokenize(t, NULL, 0, o2, sizeof(o2), &err) == 0 && o2[0] == 0, "decode_empty", "nonzero");
        /* "é€" is not all byte characters (the euro sign is not one): copied as is, not é -> 0xE9 */
        half[0] = hero_token_id(t, "\xC3\xA9\xE2\x82\xAC");
        check(half[0] == 275 && hero_detokenize(t, half, 1, o2, sizeof(o2), &err) == 5 && strcmp(o2, "\xC3\xA9\xE2\x82\xAC") == 0,
              "decode_non_byte_token", o2);
    }
    {   /* bad arguments */
        int32_t ids[4];
        char o[4];
        int ok = hero_tokenize(NULL, "a", 1, 0, ids, 4, &err) == HERO_EINVAL &&
                 hero_tokenize(t, NULL, 1, 0, ids, 4, &err) == HERO_EINVAL &&
                 hero_tokenize(t, "a", 1, 0, NULL, 4, &err) == HERO_EINVAL &&
                 hero_tokenize(t, "a", 1, 0, ids, -1, &err) == HERO_EINVAL &&
                 hero_tokenize(t, "a", 1, 8, ids, 4, &err) == HERO_EINVAL &&
                 hero_detokenize(t, ids, -1, o, 4, &err) == HERO_EINVAL &&
                 hero_detokenize(t, ids, 0, NULL, 4, &err) == HERO_EINVAL &&
                 hero_tokenizer_load_memory(NULL, "{}", 2, "", 0, &err) == HERO_EINVAL &&
                 hero_token_id(NULL, "a") == -1 && hero_token_id(t, NULL) == -1;
        hero_tokenizer_free(NULL);
        check(ok, "bad_arguments", "expected HERO_EINVAL");
    }
    {   /* a 300000-byte word: heap BPE is O(n log n) */
        size_t n = 300000, i;
        char *big = (char *)malloc(n);
        int32_t *ids = (int32_t *)malloc(sizeof(int32_t) * n);
        int k, ok;
        for (i = 0; i < n; i++) big[i] = 'a';
        k = hero_tokenize(t, big, n, 0, ids, (int)n, &err);
        ok = k == (int)(n / 4);
        for (i = 0; ok && i < (size_t)k; i++) ok = ids[i] == hero_token_id(t, "aaaa");
        check(ok, "long_word", "expected n/4 'aaaa' tokens");
        free(big);
        free(ids);
    }
    hero_tokenizer_free(t);
    free(v.p);
}

/* gpt-3-encoder's "a,b" rank keys vs HF's pair keys */
static void test_comma_keys(void) {
    static const char *const extra[] = {",!", ".,!", ".,"};
    sbuf v = {0, 0, 0};
    hero_error err;
    hero_tokenizer *t;
    char why[512] = "";
    static const char *const js[] = {".,!", NULL}, *const hf[] = {".,", "!", NULL};
    make_vocab(&v, extra, 3);
    /* rank 0: "." ",!" (key ".,,!"); rank 1: "." ","; then JS also merges (".,", "!"): same key */
    t = load(&v, ". ,!\n. ,\n", &err);
    if (!t) { check(0, "comma_keys", err.msg); free(v.p); return; }
    check(expect_tokens(t, ".,!", 0, js, why) && expect_tokens(t, ".,!", HERO_TOKENIZE_HF, hf, why), "comma_keys", why);
    hero_tokenizer_free(t);
    free(v.p);
}

/* JS \s vs HF (Oniguruma) \s: U+FEFF and U+0085 */
static void test_whitespace_modes(void) {
    static const char *const extra[] = {"'s", "\xC4\xA0\xC3\x82"}; /* "'s", "Ġ" + byte char of 0xC2 */
    sbuf v = {0, 0, 0};
    hero_error err;
    hero_tokenizer *t;
    int32_t a[16];
    int n1, n2, n3, n4;
    char why[128];
    make_vocab(&v, extra, 2);
    t = load(&v, "' s\n\xC4\xA0 \xC3\x82\n", &err);
    if (!t) { check(0, "whitespace_modes", err.msg); free(v.p); return; }
    /* "!<FEFF>'s": JS: "!" | FEFF (\s) | "'s" -> 5 ids; HF: "!<FEFF>'" (FEFF is not \s) | "s" -> 6 */
    n1 = hero_tokenize(t, "!\xEF\xBB\xBF's", 6, 0, a, 16, &err);
    n2 = hero_tokenize(t, "!\xEF\xBB\xBF's", 6, HERO_TOKENIZE_HF, a, 16, &err);
    /* " <0085>x": JS: " <0085>" (NEL is not \s) | "x" -> "Ġ\xC2" merges: 3 ids; HF: " " | NEL | x -> 4 */
    n3 = hero_tokenize(t, " \xC2\x85x", 4, 0, a, 16, &err);
    n4 = hero_tokenize(t, " \xC2\x85x", 4, HERO_TOKENIZE_HF, a, 16, &err);
    snprintf(why, sizeof(why), "counts %d %d %d %d, expected 5 6 3 4", n1, n2, n3, n4);
    check(n1 == 5 && n2 == 6 && n3 == 3 && n4 == 4, "whitespace_modes", why);
    hero_tokenizer_free(t);
    free(v.p);
}

/* the heap BPE against the naive reference loop, random merges (in random rank order, with
   duplicates and comma aliases) over a punctuation alphabet (one pre-token per string) */
static void test_random_vs_naive(void) {
    static const char alpha[] = ",.!";
    static nv_merge m[80];
    static char toks[400][NV_MAXTOK];
    static char ref[512][NV_MAXTOK];
    int trial, bad = 0, total = 0, n_differ = 0;
    char why[256] = "";
    for (trial = 0; trial < 60 && !bad; trial++) {
        int nt = 0, nm = 0, i, j, s, mode;
        sbuf v = {0, 0, 0}, mg = {0, 0, 0};
        const char *extra[400];
        hero_tokenizer *t;
        hero_error err;
        /* every string over the alphabet of length 2..5 is a token (so comma aliases merge into vocab tokens) */
        for (i = 2; i <= 5; i++) {
            int cnt = 1, k;
            for (k = 0; k < i; k++) cnt *= 3;
            for (k = 0; k < cnt; k++) {
                int x = k, c;
                for (c = 0; c < i; c++) { toks[nt][c] = alpha[x % 3]; x /= 3; }
                toks[nt][i] = 0;
                extra[nt] = toks[nt];
                nt++;
            }
        }
        nm = 20 + (int)rnd(60);
        for (i = 0; i < nm; i++) {
            const char *r = toks[rnd((unsigned)nt)];
            int L = (int)strlen(r), cut = 1 + (int)rnd((unsigned)(L - 1));
            memcpy(m[i].a, r, (size_t)cut);
            m[i].a[cut] = 0;
            strcpy(m[i].b, r + cut);
            if (i > 0 && rnd(8) == 0) m[i] = m[rnd((unsigned)i)]; /* duplicate */
            sb_str(&mg, m[i].a);
            sb_str(&mg, " ");
            sb_str(&mg, m[i].b);
            sb_str(&mg, "\n");
        }
        make_vocab(&v, extra, nt);
        t = load(&v, mg.p, &err);
        if (!t) { bad = 1; strcpy(why, "load failed"); }
        for (s = 0; t && s < 80 && !bad; s++) {
            char word[64];
            int len = 1 + (int)rnd(40), k, n;
            int32_t ids[64];
            for (k = 0; k < len; k++) word[k] = alpha[rnd(3)];
            word[len] = 0;
            int nr0 = nv_bpe(m, nm, word, 1, ref), differs = 0;
            static char ref0[512][NV_MAXTOK];
            memcpy(ref0, ref, sizeof(ref[0]) * (size_t)nr0);
            for (mode = 0; mode < 2 && !bad; mode++) {
                int nr = nv_bpe(m, nm, word, mode, ref);
                if (mode == 0) {
                    differs = nr != nr0;
                    for (j = 0; !differs && j < nr; j++) differs = strcmp(ref[j], ref0[j]) != 0;
                    n_differ += differs;
                }
                n = hero_tokenize(t, word, (size_t)len, mode ? HERO_TOKENIZE_HF : 0, ids, 64, &err);
                total++;
                if (n != nr) { bad = 1; snprintf(why, 256, "trial %d \"%s\" mode %d: %d tokens, expected %d", trial, word, mode, n, nr); }
                for (j = 0; !bad && j < n; j++)
                    if (strcmp(hero_token_str(t, ids[j]), ref[j]) != 0) {
                        bad = 1;
                        snprintf(why, 256, "trial %d \"%s\" mode %d: token %d \"%s\", expected \"%s\"", trial, word, mode, j,
                                hero_token_str(t, ids[j]), ref[j]);
                    }
            }
        }
        hero_tokenizer_free(t);
        free(v.p);
        free(mg.p);
    }
    if (!bad && n_differ == 0) { bad = 1; snprintf(why, 256, "no word where the JS and HF merge keys differ: no coverage"); }
    check(!bad, "bpe_vs_naive_reference", why);
    printf("  (%d words compared, %d where the two merge-key semantics differ)\n", total, n_differ);
}

static int expect_load_error(const char *vocab, size_t vlen, const char *merges, int want_code, const char *name) {
    hero_tokenizer *t = (hero_tokenizer *)&t; /* garbage: must be reset to NULL */
    hero_error err;
    char why[700];
    int rc;
    err.code = 0;
    err.msg[0] = 0;
    rc = hero_tokenizer_load_memory(&t, vocab, vlen, merges, strlen(merges), &err);
    snprintf(why, sizeof(why), "rc %d (want %d), msg \"%.600s\"", rc, want_code, err.msg);
    if (rc == 0) hero_tokenizer_free(t);
    check(rc < 0 && t == NULL && err.code == rc && err.msg[0] && (want_code == 0 || rc == want_code), name, why);
    return rc;
}

static void test_hostile(void) {
    sbuf v = {0, 0, 0};
    size_t k;
    int crashed_ok = 1, nfail = 0;
    hero_error err;
    make_vocab(&v, NULL, 0);
    /* truncated vocab.json: every proper prefix must be rejected */
    for (k = 0; k < v.n - 1; k++) { /* v ends with "}\n": the prefix without "\n" is complete */
        hero_tokenizer *t = NULL;
        if (hero_tokenizer_load_memory(&t, v.p, k, "", 0, &err) == 0) { crashed_ok = 0; hero_tokenizer_free(t); }
        else nfail++;
    }
    check(crashed_ok && nfail == (int)(v.n - 1), "vocab_truncated_every_prefix", "a truncated vocab.json was accepted");
    expect_load_error("{\"a\\x\": 1}", 10, "", HERO_EFORMAT, "vocab_bad_escape");
    expect_load_error("{\"a\\u12G4\": 1}", 14, "", HERO_EFORMAT, "vocab_bad_unicode_escape");
    expect_load_error("{\"a\\u12", 7, "", HERO_EFORMAT, "vocab_truncated_escape");
    expect_load_error("{\"a\": 99999999999999999999999}", 30, "", HERO_ELIMIT, "vocab_huge_number");
    expect_load_error("{\"a\": 2147483648}", 17, "", HERO_ELIMIT, "vocab_id_over_int32");
    expect_load_error("{\"a\": -1}", 9, "", HERO_EFORMAT, "vocab_negative_id");
    expect_load_error("{\"a\": 1.5}", 10, "", HERO_EFORMAT, "vocab_fraction");
    expect_load_error("{\"a\": 1e3}", 10, "", HERO_EFORMAT, "vocab_exponent");
    expect_load_error("{\"a\": 01}", 9, "", HERO_EFORMAT, "vocab_leading_zero");
    expect_load_error("{\"a\": 1, \"a\": 2}", 16, "", HERO_EFORMAT, "vocab_duplicate_key");
    expect_load_error("{\"a\": 1, \"\\u0061\": 2}", 21, "", HERO_EFORMAT, "vocab_duplicate_key_escaped");
    expect_load_error("{\"a\": 1, \"b\": 1}", 16, "", HERO_EFORMAT, "vocab_duplicate_id");
    expect_load_error("{\"a\": 1} x", 10, "", HERO_EFORMAT, "vocab_trailing_garbage");
    expect_load_error("[\"a\", 1]", 8, "", HERO_EFORMAT, "vocab_not_object");
    expect_load_error("{}", 2, "", HERO_EFORMAT, "vocab_empty_object");
    expect_load_error("", 0, "", HERO_EFORMAT, "vocab_empty_file");
    expect_load_error("{\"a\": {\"b\": 1}}", 15, "", HERO_EFORMAT, "vocab_nested_value");
    expect_load_error("{\"a\": \"1\"}", 10, "", HERO_EFORMAT, "vocab_string_value");
    expect_load_error("{\"a\nb\": 1}", 10, "", HERO_EFORMAT, "vocab_raw_control_char");
    expect_load_error("{\"a\xFF\": 1}", 9, "", HERO_EFORMAT, "vocab_invalid_utf8");
    expect_load_error("{\"a\": 1,}", 9, "", HERO_EFORMAT, "vocab_trailing_comma");
    expect_load_error("{\"a\" 1}", 7, "", HERO_EFORMAT, "vocab_missing_colon");
    expect_load_error("{\"a\": 1 \"b\": 2}", 15, "", HERO_EFORMAT, "vocab_missing_comma");
    {
        char deep[2000];
        memset(deep, '{', sizeof(deep));
        expect_load_error(deep, sizeof(deep), "", HERO_EFORMAT, "vocab_deep_nesting");
        memset(deep, '[', sizeof(deep));
        expect_load_error(deep, sizeof(deep), "", HERO_EFORMAT, "vocab_deep_array");
    }
    {   /* NUL bytes, escapes, surrogate pairs and a lone surrogate are fine */
        hero_tokenizer *t = NULL;
        const char js[] = "{\"\\ud83d\\ude00\": 5, \"\\ud800\": 6, \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\": 7, \"\\u00e9\": 8, \"z\\u0000z\": 9}";
        int rc = hero_tokenizer_load_memory(&t, js, sizeof(js) - 1, "", 0, &err);
        int ok = rc == 0 && hero_token_id(t, "\xF0\x9F\x98\x80") == 5 && hero_token_id(t, "\xED\xA0\x80") == 6 &&
                 hero_token_id(t, "q\"\\/\b\f\n\r\t") == 7 && hero_token_id(t, "\xC3\xA9") == 8;
        check(ok, "vocab_escapes", rc ? err.msg : "wrong ids");
        hero_tokenizer_free(t);
    }
    {   /* long comma runs: the "a,b" alias expansion is bounded (an error, not minutes of work) */
        static char c1[3001], c2[6001], mg[6010];
        const char *extra[2];
        sbuf w = {0, 0, 0};
        memset(c1, ',', 3000);
        memset(c2, ',', 6000);
        extra[0] = c1;
        extra[1] = c2;
        make_vocab(&w, extra, 2);
        snprintf(mg, sizeof(mg), "%s %s\n", c1, c1);
        expect_load_error(w.p, w.n, mg, HERO_ELIMIT, "merges_comma_alias_budget");
        free(w.p);
    }
    /* merges.txt */
    {
        static const char *const extra[] = {"ab", "abc"};
        sbuf w = {0, 0, 0};
        hero_tokenizer *t = NULL;
        const char *good = "#version: 0.2\r\na b\r\n\r\n  \nab c";
        size_t gl = strlen(good);
        int rc, ok = 1;
        make_vocab(&w, extra, 2);
        rc = hero_tokenizer_load_memory(&t, w.p, w.n, good, gl, &err);
        if (rc == 0) {
            static const char *const want[] = {"abc", NULL};
            char why[512] = "";
            ok = expect_tokens(t, "abc", 0, want, why);
            hero_tokenizer_free(t);
            t = NULL;
        }
        check(rc == 0 && ok, "merges_crlf_version_blank_noeol", err.msg);
        expect_load_error(w.p, w.n, "a b c\n", HERO_EFORMAT, "merges_three_fields");
        expect_load_error(w.p, w.n, "a\n", HERO_EFORMAT, "merges_one_field");
        expect_load_error(w.p, w.n, "a b\nzz q\n", HERO_EFORMAT, "merges_unknown_token");
        expect_load_error(w.p, w.n, "b c\n", HERO_EFORMAT, "merges_result_not_in_vocab");
        expect_load_error(w.p, w.n, "a\xC4\xA0 b\n", HERO_EFORMAT, "merges_unknown_utf8_token");
        /* every prefix of a merges file: no crash, either loads or fails cleanly */
        for (k = 0; k <= gl; k++) {
            rc = hero_tokenizer_load_memory(&t, w.p, w.n, good, k, &err);
            if (rc == 0) hero_tokenizer_free(t);
            else if (t != NULL || err.msg[0] == 0) ok = 0;
            t = NULL;
        }
        check(ok, "merges_every_prefix", "inconsistent result");
        free(w.p);
    }
    free(v.p);
}

/* random byte mutations of a valid vocab.json / merges.txt: load must fail cleanly or give a
   tokenizer that works (run under valgrind / ASan for the memory side) */
static void test_mutations(void) {
    static const char *const extra[] = {"he", "ll", "hell", "hello", "\xC4\xA0w", "<s>", "<mask>", "\\u00e9"};
    const char *merges0 = "#version: 0.2\nh e\nl l\nhe ll\nhell o\n\xC4\xA0 w\n";
    static const char junk[] = "{}[]\":,\\u0123456789-+.eE \n\t\xC4\xA0\xFF" "abc#";
    sbuf v = {0, 0, 0};
    char *vb, mb[128];
    int iter, ok = 1, loaded = 0;
    size_t ml = strlen(merges0);
    make_vocab(&v, extra, 8);
    vb = (char *)malloc(v.n);
    for (iter = 0; iter < 3000 && ok; iter++) {
        hero_tokenizer *t = NULL;
        hero_error err;
        size_t vl = v.n, k;
        int nmut = 1 + (int)rnd(4), rc, which = (int)rnd(2);
        memcpy(vb, v.p, v.n);
        memcpy(mb, merges0, ml);
        for (k = 0; k < (size_t)nmut; k++) {
            char *b = which ? mb : vb;
            size_t len = which ? ml : vl;
            unsigned op = rnd(3);
            size_t at = rnd((unsigned)len);
            if (op == 0) b[at] = junk[rnd(sizeof(junk) - 1)];
            else if (op == 1) { if (which) ml = at; else vl = at; } /* truncate */
            else b[at] = (char)rnd(256);
            if (which ? ml == 0 : vl == 0) break;
        }
        err.msg[0] = 0;
        rc = hero_tokenizer_load_memory(&t, vb, vl, mb, ml, &err);
        if (rc != 0) { if (t != NULL || err.msg[0] == 0 || err.code != rc) ok = 0; }
        else {
            int32_t ids[64];
            char out[256];
            int n = hero_tokenize(t, "hello world <mask> \xC3\xA9 \xFF", 23, (int)rnd(4), ids, 64, &err);
            if (n < 0 && n != HERO_EFORMAT) ok = 0; /* EFORMAT: a byte character was mutated away */
            if (n > 0 && hero_detokenize(t, ids, n < 64 ? n : 64, out, sizeof(out), &err) < 0) ok = 0;
            loaded++;
            hero_tokenizer_free(t);
        }
        memcpy(mb, merges0, ml = strlen(merges0));
    }
    check(ok && loaded > 0, "mutated_files_no_crash", "a load or tokenize misbehaved");
    free(vb);
    free(v.p);
}

static void test_files(const char *dir) {
    char vp[512], mp[512];
    FILE *f;
    sbuf v = {0, 0, 0};
    hero_tokenizer *t = NULL;
    hero_error err;
    int rc;
    static const char *const extra[] = {"hi"};
    make_vocab(&v, extra, 1);
    snprintf(vp, sizeof(vp), "%.400s/hero_test_tok_vocab.json", dir);
    snprintf(mp, sizeof(mp), "%.400s/hero_test_tok_merges.txt", dir);
    f = fopen(vp, "wb");
    if (!f) { check(0, "load_files", "cannot write the temp vocab"); free(v.p); return; }
    fwrite(v.p, 1, v.n, f);
    fclose(f);
    f = fopen(mp, "wb");
    if (!f) { check(0, "load_files", "cannot write the temp merges"); free(v.p); return; }
    fputs("#version: 0.2\nh i\n", f);
    fclose(f);
    rc = hero_tokenizer_load(&t, vp, mp, &err);
    check(rc == 0 && hero_token_id(t, "hi") == 256, "load_files", err.msg);
    hero_tokenizer_free(t);
    t = NULL;
    rc = hero_tokenizer_load(&t, "/nonexistent/vocab.json", mp, &err);
    check(rc == HERO_EIO && t == NULL && strstr(err.msg, "/nonexistent/vocab.json") != NULL, "load_missing_file", err.msg);
    rc = hero_tokenizer_load(&t, vp, "/nonexistent/merges.txt", &err);
    check(rc == HERO_EIO && t == NULL, "load_missing_merges", err.msg);
    rc = hero_tokenizer_load(&t, dir, mp, &err); /* a directory */
    check(rc < 0 && t == NULL, "load_directory", err.msg);
    remove(vp);
    remove(mp);
    free(v.p);
}

int main(int argc, char **argv) {
    test_basic();
    test_comma_keys();
    test_whitespace_modes();
    test_random_vs_naive();
    test_hostile();
    test_mutations();
    test_files(argc > 1 ? argv[1] : "/tmp");
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

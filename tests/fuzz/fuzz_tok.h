/* A small fixed byte-level BPE vocabulary for the tokenizer / subtitle targets: the 256 byte
   characters (ids 0..255, GPT-2's bytes_to_unicode order), the five RoBERTa specials, and every
   string of 2 and 3 symbols over {a, b, c, ",", "\xC4\xA0" (the space character)}; merges
   build each 2-symbol token from two symbols and each 3-symbol token from a 2-symbol token and
   a symbol, in an order that mixes ranks. Include after hero.h and fuzz_util.h. */
#ifndef HERO_FUZZ_TOK_H
#define HERO_FUZZ_TOK_H
#include <stdio.h>

static FUZZ_UNUSED const char *const fuzz_sym[5] = {"a", "b", "c", ",", "\xC4\xA0"};

static FUZZ_UNUSED void fuzz_json_key(fuzz_buf *b, const char *s) {
    fuzz_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') { fuzz_put(b, "\\", 1); fuzz_put(b, s, 1); }
        else fuzz_put(b, s, 1);
    }
    fuzz_put(b, "\"", 1);
}

/* byte b -> its byte-level character (UTF-8, NUL-terminated) */
static FUZZ_UNUSED void fuzz_byte_char(int b, char *out) {
    int cp, n = 0, k;
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) cp = b;
    else {
        for (k = 0; k < b; k++)
            if (!((k >= 0x21 && k <= 0x7E) || (k >= 0xA1 && k <= 0xAC) || (k >= 0xAE && k <= 0xFF))) n++;
        cp = 256 + n;
    }
    if (cp < 0x80) { out[0] = (char)cp; out[1] = 0; }
    else { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 63)); out[2] = 0; }
}

/* vocab.json (NUL-terminated, in v) and merges.txt (in m) of the fixed vocabulary; all_bytes 0:
   only the byte characters of the five symbols (other bytes become <unk>: a smaller vocab for
   fuzz_merges, which parses it for every input) */
static FUZZ_UNUSED void fuzz_tok_files(fuzz_buf *v, fuzz_buf *m, int all_bytes) {
    static const char *const special[5] = {"<s>", "</s>", "<pad>", "<unk>", "<mask>"};
    char c[4], num[32], tok[32];
    int i, j, k, id = 0;
    fuzz_put(v, "{", 1);
    for (i = 0; i < 256; i++) {
        if (!all_bytes && i != 'a' && i != 'b' && i != 'c' && i != ',' && i != ' ') continue;
        if (id) fuzz_put(v, ", ", 2);
        fuzz_byte_char(i, c);
        fuzz_json_key(v, c);
        snprintf(num, sizeof num, ": %d", id++);
        fuzz_put(v, num, strlen(num));
    }
    for (i = 0; i < 5; i++) {
        fuzz_put(v, ", ", 2);
        fuzz_json_key(v, special[i]);
        snprintf(num, sizeof num, ": %d", id++);
        fuzz_put(v, num, strlen(num));
    }
    fuzz_put(m, "#version: 0.2\n", 14);
    for (i = 0; i < 5; i++)
        for (j = 0; j < 5; j++) {
            snprintf(tok, sizeof tok, "%s%s", fuzz_sym[i], fuzz_sym[j]);
            fuzz_put(v, ", ", 2);
            fuzz_json_key(v, tok);
            snprintf(num, sizeof num, ": %d", id++);
            fuzz_put(v, num, strlen(num));
            fuzz_put(m, fuzz_sym[i], strlen(fuzz_sym[i]));
            fuzz_put(m, " ", 1);
            fuzz_put(m, fuzz_sym[j], strlen(fuzz_sym[j]));
            fuzz_put(m, "\n", 1);
        }
    for (k = 0; k < 5; k++)
        for (i = 0; i < 5; i++)
            for (j = 0; j < 5; j++) {
                snprintf(tok, sizeof tok, "%s%s%s", fuzz_sym[i], fuzz_sym[j], fuzz_sym[k]);
                fuzz_put(v, ", ", 2);
                fuzz_json_key(v, tok);
                snprintf(num, sizeof num, ": %d", id++);
                fuzz_put(v, num, strlen(num));
                snprintf(tok, sizeof tok, "%s%s %s\n", fuzz_sym[i], fuzz_sym[j], fuzz_sym[k]);
                fuzz_put(m, tok, strlen(tok));
            }
    fuzz_put(v, "}\n", 3); /* includes the NUL */
    v->n--;
    fuzz_put(m, "", 1);
    m->n--;
}

/* the fixed tokenizer (built once per process, never freed: LeakSanitizer ignores reachable
   globals) */
static FUZZ_UNUSED hero_tokenizer *fuzz_fixed_tokenizer(void) {
    static hero_tokenizer *tok;
    if (!tok) {
        fuzz_buf v, m;
        hero_error err;
        memset(&v, 0, sizeof v);
        memset(&m, 0, sizeof m);
        fuzz_tok_files(&v, &m, 1);
        if (hero_tokenizer_load_memory(&tok, (const char *)v.p, v.n, (const char *)m.p, m.n, &err) != 0) {
            fprintf(stderr, "fuzz: fixed tokenizer: %s\n", err.msg);
            abort();
        }
        free(v.p);
        free(m.p);
    }
    return tok;
}

/* Tokenize text with `flags` (HERO_TOKENIZE_*), check the ids against a short-buffer call,
   decode them again. */
static FUZZ_UNUSED void fuzz_use_tokenizer(const hero_tokenizer *tok, const char *text, size_t len, int flags) {
    int32_t small[256], *ids = small;
    char buf[1024];
    hero_error err;
    int n = hero_tokenize(tok, text, len, flags, small, 256, &err), i, dl;
    if (n < 0) { if (err.code >= 0) abort(); return; }
    if (n > 256) {
        if (!(ids = (int32_t *)malloc((size_t)n * sizeof(int32_t)))) abort();
        if (hero_tokenize(tok, text, len, flags, ids, n, &err) != n) abort(); /* the count is stable */
        for (i = 0; i < 256; i++)
            if (ids[i] != small[i]) abort(); /* a short buffer gets the same prefix */
    }
    dl = hero_detokenize(tok, ids, n, buf, sizeof buf, &err);
    if (dl < 0) abort(); /* every id it produced is in the vocab */
    if (dl >= (int)sizeof buf) {
        char *big = (char *)malloc((size_t)dl + 1);
        if (!big) abort();
        if (hero_detokenize(tok, ids, n, big, (size_t)dl + 1, &err) != dl || big[dl] != 0) abort();
        free(big);
    } else if (buf[dl] != 0) abort();
    if (ids != small) free(ids);
}
#endif

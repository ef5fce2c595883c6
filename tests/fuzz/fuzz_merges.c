/* libFuzzer target: merges.txt (lines, "#version", CR/LF, the comma aliases of gpt-3-encoder)
   against a fixed vocabulary (fuzz_tok.h, without most byte characters), then the tokenizer is used on a fixed text (the
   flags: the input's length mod 4). */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"
#include "fuzz_tok.h"

static fuzz_buf g_vocab;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char text[] = "abc, cab,,a bb  ca\xC4\xA0 a,b,c aaaa bbbb abcabc ,,,, \xC3\xA9 <mask>x";
    hero_tokenizer *tok = NULL;
    hero_error err;
    if (!g_vocab.p) {
        fuzz_buf m;
        memset(&m, 0, sizeof m);
        fuzz_tok_files(&g_vocab, &m, 0);
        free(m.p);
    }
    if (hero_tokenizer_load_memory(&tok, (const char *)g_vocab.p, g_vocab.n, (const char *)data, size, &err) != 0) {
        if (tok != NULL || err.code >= 0) abort();
        return 0;
    }
    fuzz_use_tokenizer(tok, text, sizeof text - 1, (int)(size & 3));
    hero_tokenizer_free(tok);
    return 0;
}

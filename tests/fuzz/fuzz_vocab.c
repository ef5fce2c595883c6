/* libFuzzer target: vocab.json (hero_tokenizer_load_memory's own JSON object reader: escapes,
   surrogates, ids, duplicate keys / ids), then the loaded tokenizer is used: token lookups,
   tokenizing a fixed text (flags: bits 1-2 of byte 0), decoding the ids. merges.txt is empty, or (byte 0
   of the input odd) "a b" so that a vocab lacking those tokens is rejected properly. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"
#include "fuzz_tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char text[] = "Hello, world! <mask> it's   12 345 \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 a,b ab\xC4\xA0 \xFF\xFE <s></s>";
    hero_tokenizer *tok = NULL;
    hero_error err;
    const char *merges = (size && (data[0] & 1)) ? "#version: 0.2\na b\n" : "";
    int rc, n, i;
    rc = hero_tokenizer_load_memory(&tok, (const char *)data, size, merges, strlen(merges), &err);
    if (rc != 0) {
        if (tok != NULL || err.code >= 0) abort();
        return 0;
    }
    n = hero_tokenizer_vocab_size(tok);
    if (n <= 0) abort();
    for (i = 0; i < n && i < 4096; i++) {
        const char *s = hero_token_str(tok, i);
        fuzz_touch_str(s);
        if (s) (void)hero_token_id(tok, s); /* may be -1: a key with \u0000 is cut at the NUL here */
    }
    (void)hero_token_str(tok, -1);
    (void)hero_token_str(tok, INT32_MAX);
    (void)hero_token_id(tok, "");
    fuzz_use_tokenizer(tok, text, sizeof text - 1, size ? (data[0] >> 1) & 3 : 0);
    hero_tokenizer_free(tok);
    return 0;
}

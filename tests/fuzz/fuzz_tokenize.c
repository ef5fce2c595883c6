/* libFuzzer target: hero_tokenize / hero_detokenize on arbitrary text (invalid UTF-8, the
   pre-tokenisation classes, special tokens, long runs) with a fixed vocabulary (fuzz_tok.h).
   Byte 0 (bits 0-1) chooses the flags (HERO_TOKENIZE_SPECIAL / _HF); the rest is the text. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"
#include "fuzz_tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    fuzz_use_tokenizer(fuzz_fixed_tokenizer(), (const char *)data + 1, size - 1, data[0] & 3);
    return 0;
}

/* libFuzzer target: hero_tokenize / hero_detokenize on arbitrary text (invalid UTF-8, the
   pre-tokenisation classes, special tokens, long runs) with a fixed vocabulary (fuzz_tok.h). */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"
#include "fuzz_tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_use_tokenizer(fuzz_fixed_tokenizer(), (const char *)data, size);
    return 0;
}

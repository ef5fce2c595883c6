/* libFuzzer target: safetensors (8-byte header length, JSON header, data offsets, overlap and
   bounds checks) through hero_tensorfile_open_memory. Inputs that another reader would claim
   (zip, .npy, legacy torch magic) are skipped. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 4 && data[0] == 'P' && data[1] == 'K') return 0;
    if (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0) return 0;
    if (hero__legacy_start(data, size)) return 0;
    fuzz_tensorfile_bytes(data, size);
    return 0;
}

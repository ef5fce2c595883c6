/* libFuzzer target: a bare .npy file (magic, version 1/2/3 header length, the Python-literal
   header dict, shape products against the bytes present). The input is the file after the
   6-byte magic "\x93NUMPY", which the harness prepends, so no mutation is wasted on it. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned char *buf = (unsigned char *)malloc(size + 6);
    if (!buf) return 0;
    memcpy(buf, "\x93NUMPY", 6);
    if (size) memcpy(buf + 6, data, size);
    fuzz_tensorfile_bytes(buf, size + 6);
    free(buf);
    return 0;
}

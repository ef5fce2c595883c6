/* libFuzzer target: the zip container (central directory, zip64 records, local headers,
   stored / deflated members) through hero_tensorfile_open_memory. Inputs that do not start
   like a zip are skipped (the other targets cover the other formats). Seeds: .npz files and
   torch zip checkpoints (tests/fuzz/corpus/zip). */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4 || data[0] != 'P' || data[1] != 'K' || !((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6)))
        return 0;
    fuzz_tensorfile_bytes(data, size);
    return 0;
}

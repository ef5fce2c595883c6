/* libFuzzer target: legacy torch.save (torch < 1.6): four pickles (magic, protocol version,
   sys_info, the object with persistent ids) followed by the storage key list and raw storage
   records. Inputs without the legacy magic are skipped (they would go to another reader). */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!hero__legacy_start(data, size)) return 0;
    fuzz_tensorfile_bytes(data, size);
    return 0;
}

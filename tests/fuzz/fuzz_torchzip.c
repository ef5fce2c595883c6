/* libFuzzer target: the pickle stream of a torch >= 1.6 zip checkpoint (data.pkl) and how its
   storages are matched with the data/<key> members. The harness builds the zip itself, so the
   fuzzer mutates the pickle and the storage bytes, not the container:

     byte 0        : number of storage members k (at most 64 are used)
     byte 1        : bit 0: add an "archive/byteorder" member; bit 1: it says "big", not "little"
     then k times  : u16 little-endian length, then that many bytes  -> archive/data/<i>
     the rest      : archive/data.pkl

   Seeds (tests/fuzz/corpus/torchzip) are real torch.save files converted to this layout. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_zip z;
    size_t pos = 2;
    int k, i;
    if (size < 2) return 0;
    memset(&z, 0, sizeof z);
    k = data[0] > 64 ? 64 : data[0];
    for (i = 0; i < k; i++) {
        char name[64];
        size_t len;
        if (size - pos < 2) break;
        len = (size_t)data[pos] | ((size_t)data[pos + 1] << 8);
        pos += 2;
        if (len > size - pos) len = size - pos;
        snprintf(name, sizeof name, "archive/data/%d", i);
        fuzz_zip_add(&z, name, data + pos, len, len, fuzz_crc32(data + pos, len), 0);
        pos += len;
    }
    if (data[1] & 1) {
        const char *bo = (data[1] & 2) ? "big" : "little";
        fuzz_zip_add(&z, "archive/byteorder", bo, strlen(bo), strlen(bo), fuzz_crc32((const unsigned char *)bo, strlen(bo)), 0);
    }
    fuzz_zip_add(&z, "archive/data.pkl", data + pos, size - pos, size - pos, fuzz_crc32(data + pos, size - pos), 0);
    fuzz_zip_end(&z);
    fuzz_tensorfile_bytes(z.file.p, z.file.n);
    free(z.file.p);
    return 0;
}

/* libFuzzer target: .npz members and the inflate (RFC 1951) decoder behind them.
   Byte 0 even: the rest is an .npz file as is (seeds: np.savez / np.savez_compressed files).
   Byte 0 odd : bytes 1-4 are a little-endian uncompressed size (capped at 1 MiB) and the rest
                is a raw deflate stream; the harness inflates it with the library's inflater
                to learn the CRC-32, then wraps the stream in a zip as member "x.npy" (method 8,
                that size, that CRC when inflation succeeded) and opens it, so that the inflater
                and the .npy reader behind it are reached despite the CRC check. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_zip z;
    const unsigned char *def;
    unsigned char *out;
    size_t usize, dlen;
    uint32_t crc = 0;
    if (size < 1) return 0;
    if (!(data[0] & 1)) {
        fuzz_tensorfile_bytes(data + 1, size - 1);
        return 0;
    }
    if (size < 5) return 0;
    usize = ((size_t)data[1] | ((size_t)data[2] << 8) | ((size_t)data[3] << 16) | ((size_t)data[4] << 24)) & 0xfffff;
    def = data + 5;
    dlen = size - 5;
    out = (unsigned char *)malloc(usize + 1);
    if (!out) return 0;
    if (hero__inflate(def, dlen, out, usize) == NULL) crc = fuzz_crc32(out, usize);
    free(out);
    memset(&z, 0, sizeof z);
    fuzz_zip_add(&z, "x.npy", def, dlen, usize, crc, 8);
    fuzz_zip_end(&z);
    fuzz_tensorfile_bytes(z.file.p, z.file.n);
    free(z.file.p);
    return 0;
}

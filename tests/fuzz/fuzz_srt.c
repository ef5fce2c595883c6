/* libFuzzer target: SRT subtitles (hero_subs_parse_srt: BOM, line ends, timing lines, tags),
   then the cues are used: normalised, aligned to frames, tokenized into a hero_video.
   Byte 0 and 1 choose the frame count / frame length / cut for the alignment. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"
#include "fuzz_tok.h"
#include "fuzz_subs_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hero_subtitles s;
    hero_error err;
    unsigned sel;
    if (size < 2) return 0;
    sel = (unsigned)data[0] | ((unsigned)data[1] << 8);
    if (hero_subs_parse_srt(&s, (const char *)data + 2, size - 2, "fuzz.srt", &err) == 0) {
        fuzz_use_subs(&s, sel);
        hero_subtitles_free(&s);
    } else if (err.code >= 0) abort();
    return 0;
}

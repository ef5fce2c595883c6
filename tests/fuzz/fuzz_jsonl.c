/* libFuzzer target: the official subtitle JSONL (hero_subs_parse_jsonl: one JSON object per
   line, vid_name / sub / text / start / end), then every video's cues are used as in fuzz_srt.
   Bytes 0 and 1 choose the alignment settings. */
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"
#include "fuzz_tok.h"
#include "fuzz_subs_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hero_subtitles *list = NULL;
    hero_error err;
    int n = -1, i;
    unsigned sel;
    if (size < 2) return 0;
    sel = (unsigned)data[0] | ((unsigned)data[1] << 8);
    if (hero_subs_parse_jsonl(&list, &n, (const char *)data + 2, size - 2, "fuzz.jsonl", &err) == 0) {
        if (n < 0 || (n > 0 && !list)) abort();
        for (i = 0; i < n && i < 8; i++) {
            fuzz_use_subs(&list[i], sel);
            if (list[i].name && hero_subs_find(list, n, list[i].name) == NULL) abort();
        }
        hero_subs_list_free(list, n);
    } else if (err.code >= 0) abort();
    return 0;
}

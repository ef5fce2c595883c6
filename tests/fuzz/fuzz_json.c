/* libFuzzer target: the JSON parser (hero_json_parse: numbers, escapes, surrogates, nesting
   depth, duplicate keys) and, for objects that look like a model config (have "f_config"),
   hero_config_from_json on the same bytes written to a per-process temporary file. */
#define _POSIX_C_SOURCE 200809L
#define HERO_IMPLEMENTATION
#include "../../hero.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <unistd.h>

static char g_cfg_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hero_json j;
    hero_error err;
    int rc = hero_json_parse((const char *)data, size, &j, &err);
    if (rc == 0) {
        fuzz_walk_json(&j, 0);
        (void)hero_json_get(&j, "");
        if (hero_json_get(&j, "f_config")) {
            FILE *f;
            hero_config c;
            if (!g_cfg_path[0]) snprintf(g_cfg_path, sizeof g_cfg_path, "/tmp/hero_fuzz_config_%ld.json", (long)getpid());
            f = fopen(g_cfg_path, "wb");
            if (f) {
                fwrite(data, 1, size, f);
                fclose(f);
                if (hero_config_from_json(&c, g_cfg_path, &err) == 0) {
                    /* an accepted config has sane dims */
                    if (c.H <= 0 || c.f_heads <= 0 || c.H % c.f_heads || c.Vp < c.V || c.f_layers > HERO_MAX_LAYERS) abort();
                } else if (err.code >= 0) abort();
                remove(g_cfg_path);
            }
        }
    } else {
        if (err.code >= 0 || rc != err.code) abort();
        if (j.type != HERO_JSON_NULL) abort(); /* a failed parse leaves a null */
    }
    hero_json_free(&j);
    hero_json_free(&j);
    return 0;
}

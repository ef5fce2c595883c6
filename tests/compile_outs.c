/* make test-compile-outs: hero.h with parts compiled out (HERO_NO_TOKENIZER, HERO_NO_MEDIA,
   HERO_NO_TORCH, set by the Makefile) must compile warning-free in C and C++; what is left
   still loads safetensors and runs a model. Prints "N passed, N failed". */
#define HERO_IMPLEMENTATION
#include "../hero.h"
#include <string.h>

int main(void) {
    hero_config c;
    hero_model m;
    hero_error err;
    int pass = 0, fail = 0;
    memset(&c, 0, sizeof(c));
    c.H = 16; c.f_heads = c.c_heads = c.q_heads = 2; c.f_inter = c.c_inter = 32; c.f_layers = c.c_layers = 1;
    c.V = 20; c.Vp = 24; c.f_max_pos = c.c_max_pos = c.q_max_pos = 16; c.layer_norm_eps = 1e-12f;
    c.F = 8; c.max_frm_seq_len = c.fom_classes = 16;
    hero_config_default_losses(&c);
    if (hero_model_init(&m, &c, &err) == 0) {
        pass++;
        printf("PASS model init (%d parameters)\n", m.n_params);
        hero_model_free(&m);
    } else {
        fail++;
        printf("FAIL model init: %s\n", err.msg);
    }
#ifdef HERO_NO_TORCH
    { /* a legacy torch.save image (its magic number first) is not read */
        static const unsigned char pt[32] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
        hero_tensorfile tf;
        int rc = hero_tensorfile_open_memory(&tf, pt, sizeof(pt), "x.pt", &err);
        printf("%s legacy torch.save not read without the torch readers: %s\n", rc ? "PASS" : "FAIL", rc ? err.msg : "opened");
        if (rc) pass++; else { fail++; hero_tensorfile_close(&tf); }
    }
#endif
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}

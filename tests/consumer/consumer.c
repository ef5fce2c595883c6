/* An out-of-tree program using hero.h the way a consumer does (tests/test_install.sh builds it
   with pkg-config after `make install`, and with CMake through add_subdirectory and
   FetchContent): a tiny random model, one forward pass (REPR) on a made-up video. */
#define HERO_IMPLEMENTATION
#include "hero.h"
#include <stdio.h>
#include <string.h>

int main(void) {
    hero_config c;
    hero_model m;
    hero_error err;
    hero_video v;
    hero_batch b;
    hero_result r;
    hero_batch_options o;
    float feats[3 * 8];
    const int32_t len[2] = {2, 1}, toks[3] = {5, 6, 7}, nfr[2] = {2, 1}, frames[3] = {0, 1, 2};
    int i;
    memset(&c, 0, sizeof(c));
    c.H = 16; c.f_heads = c.c_heads = c.q_heads = 2; c.f_inter = c.c_inter = 32; c.f_layers = c.c_layers = 1;
    c.V = 20; c.Vp = 24; c.f_max_pos = c.c_max_pos = c.q_max_pos = 16; c.layer_norm_eps = 1e-12f;
    c.F = 8; c.max_frm_seq_len = c.fom_classes = 16;
    hero_config_default_losses(&c);
    if (hero_model_init(&m, &c, &err)) { printf("init: %s\n", err.msg); return 1; }
    hero_model_init_random(&m, 1);
    for (i = 0; i < 3 * 8; i++) feats[i] = (float)(i % 5) * 0.1f;
    memset(&v, 0, sizeof(v));
    v.T = 3; v.F = 8; v.feats = feats; v.n_subs = 2; v.sub_len = len; v.sub_tokens = toks; v.sub_nframes = nfr; v.sub_frames = frames;
    o = hero_batch_options_default(c.V);
    if (hero_build_batch(&b, HERO_TASK_REPR, &v, 1, &o, NULL, NULL, &err) ||
        hero_forward_backward(&m, &b, 0, NULL, &r, &err)) {
        printf("forward: %s\n", err.msg);
        return 1;
    }
    printf("consumer: %s, c_seq[0] = %.6f, GEMM %s\n", hero_model_device(&m), (double)r.c_seq[0],
#ifdef HERO_USE_CBLAS
           "OpenBLAS"
#else
           "portable"
#endif
    );
    hero_batch_free(&b);
    hero_model_free(&m);
    return 0;
}

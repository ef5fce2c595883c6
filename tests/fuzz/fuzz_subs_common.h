/* Using parsed subtitles the way the preprocessing does: check each cue, normalise its text,
   align to frames, build the hero_video with the fixed tokenizer (fuzz_tok.h). */
#ifndef HERO_FUZZ_SUBS_H
#define HERO_FUZZ_SUBS_H

static FUZZ_UNUSED void fuzz_use_subs(const hero_subtitles *s, unsigned sel) {
    static const double frame_lens[4] = {1.5, 0.5, 2.0, 1e-3};
    hero_error err;
    hero_sub_frames al;
    hero_feats feats;
    hero_video_data vd;
    hero_media_options o = hero_media_options_default();
    int i, n_frames = 1 + (int)(sel % 200), max_frames = (sel >> 8) & 1 ? 100 : 0;
    float fdata[200 * 2];
    if (s->n < 0 || (s->n > 0 && !s->subs)) abort();
    fuzz_touch_str(s->name);
    for (i = 0; i < s->n; i++) {
        char *norm = NULL;
        size_t nl = 0;
        const hero_sub *c = &s->subs[i];
        if (!c->text) abort();
        if (!(fabs(c->start) <= HERO_SUBS_MAX_TIME) || !(fabs(c->end) <= HERO_SUBS_MAX_TIME)) abort();
        if (i > 0 && (float)s->subs[i - 1].start > (float)c->start) abort(); /* sorted by float32 start */
        fuzz_touch_str(c->text);
        if (hero_text_normalize(c->text, strlen(c->text), 1, &norm, &nl, &err) == 0) {
            if (norm[nl] != 0) abort();
            free(norm);
        }
    }
    o.frame_len = frame_lens[(sel >> 9) & 3];
    o.max_frames = max_frames;
    if (hero_subs_align(s, n_frames, o.frame_len, max_frames, &al, &err) == 0) {
        int k, tot = 0;
        for (i = 0; i < al.n_rows; i++) {
            for (k = 0; k < al.nframes[i]; k++) {
                int f = al.frames[tot + k];
                if (f < 0 || f >= al.T || (k > 0 && f <= al.frames[tot + k - 1])) abort();
            }
            tot += al.nframes[i];
        }
        hero_sub_frames_free(&al);
    }
    memset(fdata, 0, sizeof fdata);
    feats.T_full = n_frames;
    feats.T = max_frames > 0 && n_frames > max_frames ? max_frames : n_frames;
    feats.F = 2;
    feats.data = fdata;
    if (hero_video_prepare(&vd, &feats, s, fuzz_fixed_tokenizer(), &o, &err) == 0) {
        int tot = 0;
        for (i = 0; i < vd.video.n_subs; i++) tot += vd.video.sub_len[i];
        fuzz_touch(vd.video.sub_tokens, (size_t)tot * sizeof(int32_t));
        hero_video_data_free(&vd);
    }
}
#endif

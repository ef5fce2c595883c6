/* ---------------------------------------------------------------------------------------
   Data implementation: PRNG, choices, batch building (the official HERO data code).
   --------------------------------------------------------------------------------------- */
#include <math.h>

#define HERO__DAT_MAXDIM 0x3fffffff /* largest count / length accepted anywhere here */

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded with splitmix64 ---- */

static uint64_t hero__dat_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

HERODEF void hero_rng_seed(hero_rng *r, uint64_t seed) {
    int i;
    for (i = 0; i < 4; i++) {
        uint64_t z;
        seed += 0x9e3779b97f4a7c15ULL;
        z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 1; /* never all zero */
}

HERODEF uint64_t hero_rng_u64(hero_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = hero__dat_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = hero__dat_rotl(s[3], 45);
    return result;
}

HERODEF float hero_rng_uniform(hero_rng *r) {
    return (float)(hero_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

HERODEF uint64_t hero_rng_below(hero_rng *r, uint64_t n) {
    uint64_t x, lim;
    if (n == 0) return 0;
    lim = (uint64_t)0 - ((uint64_t)0 - n) % n; /* 2^64 - (2^64 mod n), 0 means 2^64 */
    do {
        x = hero_rng_u64(r);
    } while (lim != 0 && x >= lim);
    return x % n;
}

/* ---- small helpers ---- */

HERODEF const char *hero_task_name(hero_task t) {
    static const char *names[] = {"repr", "mlm", "mfm-nce", "mffr", "fom", "vsm"};
    return ((int)t >= 0 && t < HERO_TASK_COUNT) ? names[t] : "?";
}

/* n elements of size sz, at least 1 byte; NULL on overflow or failure */
static void *hero__dat_alloc(size_t n, size_t sz) {
    if (sz != 0 && n > ((size_t)-1) / sz) return NULL;
    return HERO_MALLOC((n * sz) != 0 ? (n * sz) : 1);
}

static void *hero__dat_zalloc(size_t n, size_t sz) {
    void *p = hero__dat_alloc(n, sz);
    if (p) memset(p, 0, n * sz);
    return p;
}

/* a*b*c as size_t, 0 on overflow (callers treat products of positive numbers) */
static int hero__dat_mul3(size_t a, size_t b, size_t c, size_t *out) {
    if (a != 0 && b > ((size_t)-1) / a) return 0;
    a *= b;
    if (a != 0 && c > ((size_t)-1) / a) return 0;
    *out = a * c;
    return 1;
}

HERODEF void hero_batch_free(hero_batch *b) {
    if (!b) return;
    HERO_FREE(b->txt_ids); HERO_FREE(b->txt_pos); HERO_FREE(b->f_v_feats); HERO_FREE(b->f_v_pos);
    HERO_FREE(b->f_v_masks); HERO_FREE(b->f_attn_mask); HERO_FREE(b->f_gather);
    HERO_FREE(b->num_subs); HERO_FREE(b->c_v_feats); HERO_FREE(b->c_attn_mask);
    HERO_FREE(b->c_v_masks); HERO_FREE(b->s2f_sub_idx); HERO_FREE(b->s2f_nframes);
    HERO_FREE(b->s2f_frames); HERO_FREE(b->txt_mask_tgt); HERO_FREE(b->txt_labels);
    HERO_FREE(b->feat_targets); HERO_FREE(b->shuffled_orders); HERO_FREE(b->fom_targets);
    HERO_FREE(b->q_ids); HERO_FREE(b->q_pos); HERO_FREE(b->q_mask); HERO_FREE(b->q_vidx);
    HERO_FREE(b->vsm_targets);
    memset(b, 0, sizeof(*b));
}

HERODEF void hero_choices_free(hero_choices *c) {
    if (!c) return;
    HERO_FREE(c->mlm_len); HERO_FREE(c->mlm_input_ids); HERO_FREE(c->mlm_labels);
    HERO_FREE(c->frame_mask); HERO_FREE(c->fom_orders); HERO_FREE(c->fom_targets);
    HERO_FREE(c->vsm_n_sampled); HERO_FREE(c->vsm_sampled_sub_idx);
    memset(c, 0, sizeof(*c));
}

HERODEF hero_batch_options hero_batch_options_default(int vocab_size) {
    hero_batch_options o;
    memset(&o, 0, sizeof(o));
    o.max_txt_len = 60;
    o.max_frames = 100;
    o.mask_prob = 0.15f;
    o.query_per_video = 5;
    o.sub_ctx_len = 0;
    o.cls_id = 0;
    o.pad_id = 1;
    o.sep_id = 2;
    o.mask_id = vocab_size - 1;
    o.v_lo = 4;
    o.v_hi = vocab_size - 1;
    return o;
}

HERODEF int hero_videos_from_flat(hero_video *out, int n_videos, int F,
                                  const int32_t *nframes, const float *feats, size_t n_feats,
                                  const int32_t *num_subs, const int32_t *sub_len, size_t n_sub_len,
                                  const int32_t *sub_tokens, size_t n_sub_tokens,
                                  const int32_t *s2f_sub_idx, const int32_t *s2f_nframes,
                                  const int32_t *s2f_frames, size_t n_s2f_frames,
                                  hero_error *err) {
    size_t fo = 0, so = 0, to = 0, ro = 0;
    int v, i;
    if (!out || n_videos < 1 || F < 1 || !nframes || !feats || !num_subs)
        return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: need out, n_videos >= 1 (got %d), F >= 1 (got %d), nframes, feats, num_subs", n_videos, F);
    for (v = 0; v < n_videos; v++) {
        hero_video *hv = &out[v];
        size_t nt = 0, nr = 0, need;
        if (nframes[v] < 1 || num_subs[v] < 0)
            return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d: nframes %d (need >= 1), num_subs %d (need >= 0)", v, (int)nframes[v], (int)num_subs[v]);
        if (!hero__dat_mul3((size_t)nframes[v], (size_t)F, 1, &need) || fo > n_feats || need > n_feats - fo)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: %d frames x F %d go past the %zu feature floats", v, (int)nframes[v], F, n_feats);
        if ((size_t)num_subs[v] > n_sub_len - so)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: %d subtitles go past the %zu sub_len entries", v, (int)num_subs[v], n_sub_len);
        if (num_subs[v] > 0 && (!sub_len || !s2f_nframes))
            return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d has subtitles but sub_len / s2f_nframes is NULL", v);
        for (i = 0; i < num_subs[v]; i++) {
            int32_t l = sub_len[so + (size_t)i], nf = s2f_nframes[so + (size_t)i];
            if (l < 0 || nf < 0)
                return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d subtitle %d: sub_len %d / s2f_nframes %d negative", v, i, (int)l, (int)nf);
            if (s2f_sub_idx && s2f_sub_idx[so + (size_t)i] != i)
                return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d: s2f_sub_idx[%d] is %d, expected %d (one entry per subtitle, in order)", v, i, (int)s2f_sub_idx[so + (size_t)i], i);
            nt += (size_t)l;
            nr += (size_t)nf;
        }
        if (to > n_sub_tokens || nt > n_sub_tokens - to)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: its words go past the %zu sub_tokens", v, n_sub_tokens);
        if (ro > n_s2f_frames || nr > n_s2f_frames - ro)
            return hero__fail(err, HERO_ESHAPE, "hero_videos_from_flat: video %d: its frame lists go past the %zu s2f_frames", v, n_s2f_frames);
        if ((nt && !sub_tokens) || (nr && !s2f_frames))
            return hero__fail(err, HERO_EINVAL, "hero_videos_from_flat: video %d: sub_tokens / s2f_frames is NULL", v);
        hv->T = nframes[v];
        hv->F = F;
        hv->feats = feats + fo;
        hv->n_subs = num_subs[v];
        hv->sub_len = sub_len ? sub_len + so : NULL;
        hv->sub_tokens = sub_tokens ? sub_tokens + to : NULL;
        hv->sub_nframes = s2f_nframes ? s2f_nframes + so : NULL;
        hv->sub_frames = s2f_frames ? s2f_frames + ro : NULL;
        fo += need;
        so += (size_t)num_subs[v];
        to += nt;
        ro += nr;
    }
    return HERO_OK;
}

/* ---- validated view of the videos after the max_frames cut ---- */

typedef struct hero__dprep {
    int n, F;
    int *T;          /* [n] frames after the cut */
    int *k;          /* [n] subtitles kept (always the first k) */
    size_t *base;    /* [n] video v's first slot in nf / tok_off / frm_off */
    size_t *tok_off; /* [sum n_subs] offset of subtitle i in sub_tokens */
    size_t *frm_off; /* [sum n_subs] offset of subtitle i in sub_frames */
    int32_t *nf;     /* [sum n_subs] frames kept per subtitle */
    int S;           /* rows = kept subtitles */
    int L;           /* max T */
    size_t nframes;  /* sum T */
} hero__dprep;

static void hero__dprep_free(hero__dprep *p) {
    HERO_FREE(p->T); HERO_FREE(p->k); HERO_FREE(p->base); HERO_FREE(p->tok_off);
    HERO_FREE(p->frm_off); HERO_FREE(p->nf);
    memset(p, 0, sizeof(*p));
}

static int hero__dat_check_opt(const hero_batch_options *o, hero_error *err) {
    if (!o) return hero__fail(err, HERO_EINVAL, "batch options: NULL (use hero_batch_options_default)");
    if (!(o->mask_prob >= 0.0f && o->mask_prob <= 1.0f))
        return hero__fail(err, HERO_EINVAL, "batch options: mask_prob %g, expected 0..1", (double)o->mask_prob);
    if (o->query_per_video < 1 || o->query_per_video > 4096)
        return hero__fail(err, HERO_EINVAL, "batch options: query_per_video %d, expected 1..4096", o->query_per_video);
    if (o->sub_ctx_len < 0 || o->sub_ctx_len > 4096)
        return hero__fail(err, HERO_EINVAL, "batch options: sub_ctx_len %d, expected 0..4096", o->sub_ctx_len);
    if (o->cls_id < 0 || o->pad_id < 0 || o->sep_id < 0 || o->mask_id < 0)
        return hero__fail(err, HERO_EINVAL, "batch options: special ids cls %d pad %d sep %d mask %d, expected >= 0", o->cls_id, o->pad_id, o->sep_id, o->mask_id);
    if (o->v_lo < 0 || o->v_hi <= o->v_lo)
        return hero__fail(err, HERO_EINVAL, "batch options: v_range [%d, %d) is empty or negative", o->v_lo, o->v_hi);
    return HERO_OK;
}

static int hero__dprep_init(hero__dprep *p, const hero_video *videos, int n, const hero_batch_options *o, hero_error *err) {
    size_t nsubs = 0, slot = 0, S = 0;
    int v, i, j;
    int rc;
    memset(p, 0, sizeof(*p));
    rc = hero__dat_check_opt(o, err);
    if (rc) return rc;
    if (!videos || n < 1 || n > HERO__DAT_MAXDIM)
        return hero__fail(err, HERO_EINVAL, "videos: need a non-NULL array and n_videos >= 1 (got %d)", n);
    for (v = 0; v < n; v++) {
        const hero_video *hv = &videos[v];
        size_t bytes;
        if (hv->T < 1 || hv->F < 1 || !hv->feats || !hero__dat_mul3((size_t)hv->T, (size_t)hv->F, sizeof(float), &bytes))
            return hero__fail(err, HERO_EINVAL, "video %d: T %d, F %d, feats %s: need T >= 1, F >= 1 and feature data", v, hv->T, hv->F, hv->feats ? "set" : "NULL");
        if (hv->F != videos[0].F)
            return hero__fail(err, HERO_ESHAPE, "video %d: F %d, expected %d like video 0", v, hv->F, videos[0].F);
        if (hv->n_subs < 0 || hv->n_subs > HERO__DAT_MAXDIM)
            return hero__fail(err, HERO_EINVAL, "video %d: n_subs %d out of range", v, hv->n_subs);
        if (hv->n_subs > 0 && (!hv->sub_len || !hv->sub_nframes))
            return hero__fail(err, HERO_EINVAL, "video %d: %d subtitles but sub_len / sub_nframes is NULL", v, hv->n_subs);
        nsubs += (size_t)hv->n_subs;
    }
    p->n = n;
    p->F = videos[0].F;
    p->T = (int *)hero__dat_alloc((size_t)n, sizeof(int));
    p->k = (int *)hero__dat_alloc((size_t)n, sizeof(int));
    p->base = (size_t *)hero__dat_alloc((size_t)n, sizeof(size_t));
    p->tok_off = (size_t *)hero__dat_alloc(nsubs, sizeof(size_t));
    p->frm_off = (size_t *)hero__dat_alloc(nsubs, sizeof(size_t));
    p->nf = (int32_t *)hero__dat_alloc(nsubs, sizeof(int32_t));
    if (!p->T || !p->k || !p->base || !p->tok_off || !p->frm_off || !p->nf) {
        hero__dprep_free(p);
        return hero__fail(err, HERO_ENOMEM, "batch: out of memory indexing %zu subtitles", nsubs);
    }
    for (v = 0; v < n; v++) {
        const hero_video *hv = &videos[v];
        size_t to = 0, fo = 0;
        int Tc = (o->max_frames > 0 && hv->T > o->max_frames) ? o->max_frames : hv->T;
        int k = 0, cut = 0;
        p->base[v] = slot;
        p->T[v] = Tc;
        for (i = 0; i < hv->n_subs; i++) {
            int32_t l = hv->sub_len[i], nfr = hv->sub_nframes[i];
            if (l < 0 || l > HERO__DAT_MAXDIM || nfr < 0 || nfr > hv->T) {
                hero__dprep_free(p);
                return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: sub_len %d, sub_nframes %d (need 0..%d frames)", v, i, (int)l, (int)nfr, hv->T);
            }
            if ((l > 0 && !hv->sub_tokens) || (nfr > 0 && !hv->sub_frames)) {
                hero__dprep_free(p);
                return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: sub_tokens / sub_frames is NULL", v, i);
            }
            for (j = 0; j < l; j++) {
                if (hv->sub_tokens[to + (size_t)j] < 0) {
                    hero__dprep_free(p);
                    return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: word id %d at position %d is negative", v, i, (int)hv->sub_tokens[to + (size_t)j], j);
                }
            }
            for (j = 0; j < nfr; j++) {
                int32_t f = hv->sub_frames[fo + (size_t)j];
                if (f < 0 || f >= hv->T || (j > 0 && f <= hv->sub_frames[fo + (size_t)j - 1])) {
                    hero__dprep_free(p);
                    return hero__fail(err, HERO_EINVAL, "video %d subtitle %d: frame %d at position %d: need strictly ascending indices in 0..%d", v, i, (int)f, j, hv->T - 1);
                }
            }
            p->tok_off[slot + (size_t)i] = to;
            p->frm_off[slot + (size_t)i] = fo;
            if (!cut) { /* official SubTokLmdb.compute_sub2frames */
                int cnt = 0;
                while (cnt < nfr && hv->sub_frames[fo + (size_t)cnt] < Tc) cnt++;
                p->nf[slot + (size_t)i] = cnt;
                if (cnt > 0 || nfr == 0) k = i + 1;
                if (cnt < nfr) cut = 1;
            } else {
                p->nf[slot + (size_t)i] = 0;
            }
            to += (size_t)l;
            fo += (size_t)nfr;
        }
        if (to > HERO__DAT_MAXDIM || fo > HERO__DAT_MAXDIM) {
            hero__dprep_free(p);
            return hero__fail(err, HERO_ELIMIT, "video %d: %zu words / %zu subtitle frames in all, limit %d", v, to, fo, HERO__DAT_MAXDIM);
        }
        p->k[v] = k;
        slot += (size_t)hv->n_subs;
        S += (size_t)k;
        if (Tc > p->L) p->L = Tc;
        p->nframes += (size_t)Tc;
    }
    if (S < 1 || S > HERO__DAT_MAXDIM || p->nframes > HERO__DAT_MAXDIM) {
        hero__dprep_free(p);
        return hero__fail(err, S < 1 ? HERO_EINVAL : HERO_ELIMIT, "batch: %zu subtitle rows and %zu frames (need 1..%d rows)", S, p->nframes, HERO__DAT_MAXDIM);
    }
    p->S = (int)S;
    return HERO_OK;
}

/* Words of the row of subtitle i of video v: subtitles i-ctx..i among the kept ones, each
   cut to trunc words (trunc <= 0: no cut), skipping those with excl[] set (excl indexed by
   local subtitle, may be NULL). Writes to dst when not NULL. Returns the count. */
static size_t hero__dat_row_words(const hero__dprep *p, const hero_video *videos, int v, int i,
                                  int ctx, int trunc, const uint8_t *excl, int32_t *dst) {
    const hero_video *hv = &videos[v];
    size_t n = 0;
    int j;
    for (j = i - ctx; j <= i; j++) {
        size_t l;
        if (j < 0 || j >= p->k[v] || (excl && excl[j])) continue;
        l = (size_t)hv->sub_len[j];
        if (trunc > 0 && l > (size_t)trunc) l = (size_t)trunc;
        if (dst && l) memcpy(dst + n, hv->sub_tokens + p->tok_off[p->base[v] + (size_t)j], l * sizeof(int32_t));
        n += l;
    }
    return n;
}

/* ---- drawing the random choices (official rules) ---- */

/* data/mlm.py random_word: each word picked with mask_prob; of the picked 80% -> MASK,
   10% -> uniform id in v_range, 10% kept; label = original id of picked words, else -1.
   When none is picked, the FIRST word is picked and set to MASK. (An empty row, where the
   official code would fail, picks nothing.) */
static void hero__dat_random_word(int32_t *ids, int32_t *labels, size_t n, const hero_batch_options *o, hero_rng *rng) {
    size_t i;
    int any = 0;
    for (i = 0; i < n; i++) {
        float prob = hero_rng_uniform(rng);
        if (prob < o->mask_prob) {
            int32_t orig = ids[i];
            prob /= o->mask_prob;
            if (prob < 0.8f) ids[i] = o->mask_id;
            else if (prob < 0.9f) ids[i] = (int32_t)(o->v_lo + (int)hero_rng_below(rng, (uint64_t)(o->v_hi - o->v_lo)));
            labels[i] = orig;
            any = 1;
        } else {
            labels[i] = -1;
        }
    }
    if (!any && n > 0) {
        labels[0] = ids[0];
        ids[0] = o->mask_id;
    }
}

HERODEF int hero_draw_choices(hero_choices *out, hero_task task, const hero_video *videos,
                              int n_videos, const hero_batch_options *opt, hero_rng *rng,
                              hero_error *err) {
    hero__dprep p;
    int32_t *scratch = NULL;
    int rc, v, i, t;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_draw_choices: out is NULL");
    memset(out, 0, sizeof(*out));
    if ((int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_draw_choices: task %d unknown", (int)task);
    if (!rng) return hero__fail(err, HERO_EINVAL, "hero_draw_choices: rng is NULL");
    rc = hero__dprep_init(&p, videos, n_videos, opt, err);
    if (rc) return rc;
    out->task = task;
    if (task == HERO_TASK_MLM) {
        size_t total = 0, o2 = 0;
        int r = 0;
        out->n_rows = p.S;
        out->mlm_len = (int32_t *)hero__dat_alloc((size_t)p.S, sizeof(int32_t));
        if (!out->mlm_len) goto nomem;
        for (v = 0; v < p.n; v++)
            for (i = 0; i < p.k[v]; i++) {
                size_t l = hero__dat_row_words(&p, videos, v, i, opt->sub_ctx_len, opt->max_txt_len, NULL, NULL);
                if (l > HERO__DAT_MAXDIM) {
                    hero__dprep_free(&p); hero_choices_free(out);
                    return hero__fail(err, HERO_ELIMIT, "video %d subtitle %d: row of %zu words is too long", v, i, l);
                }
                out->mlm_len[r++] = (int32_t)l;
                total += l;
            }
        out->mlm_input_ids = (int32_t *)hero__dat_alloc(total, sizeof(int32_t));
        out->mlm_labels = (int32_t *)hero__dat_alloc(total, sizeof(int32_t));
        if (!out->mlm_input_ids || !out->mlm_labels) goto nomem;
        for (v = 0; v < p.n; v++)
            for (i = 0; i < p.k[v]; i++) {
                size_t l = hero__dat_row_words(&p, videos, v, i, opt->sub_ctx_len, opt->max_txt_len, NULL, out->mlm_input_ids + o2);
                hero__dat_random_word(out->mlm_input_ids + o2, out->mlm_labels + o2, l, opt, rng);
                o2 += l;
            }
    } else if (task == HERO_TASK_MFM_NCE || task == HERO_TASK_MFFR || task == HERO_TASK_FOM) {
        size_t o2 = 0;
        out->n_frames = (int)p.nframes;
        if (task == HERO_TASK_FOM) {
            out->fom_orders = (int32_t *)hero__dat_alloc(p.nframes, sizeof(int32_t));
            out->fom_targets = (int32_t *)hero__dat_alloc(p.nframes, sizeof(int32_t));
            scratch = (int32_t *)hero__dat_alloc((size_t)p.L * 2, sizeof(int32_t)); /* sel | shuf */
            if (!out->fom_orders || !out->fom_targets || !scratch) goto nomem;
        } else {
            out->frame_mask = (uint8_t *)hero__dat_zalloc(p.nframes, 1);
            if (!out->frame_mask) goto nomem;
        }
        for (v = 0; v < p.n; v++) {
            int T = p.T[v];
            if (task != HERO_TASK_FOM) {
                /* data/mfm.py _get_img_mask: each frame with mask_prob, at least one (uniform) */
                uint8_t *m = out->frame_mask + o2;
                int any = 0;
                for (t = 0; t < T; t++) {
                    m[t] = (uint8_t)(hero_rng_uniform(rng) < opt->mask_prob);
                    any |= m[t];
                }
                if (!any) m[hero_rng_below(rng, (uint64_t)T)] = 1;
            } else {
                /* data/fom.py random_reorder: positions picked with mask_prob (no minimum),
                   a copy shuffled (Fisher-Yates as random.shuffle); for the j-th picked
                   position sel[j]: orders[sel[j]] = shuf[j], targets[shuf[j]] = sel[j];
                   the others keep orders[i] = i, targets[i] = -1. */
                int32_t *ord = out->fom_orders + o2, *tgt = out->fom_targets + o2;
                int ns = 0;
                for (t = 0; t < T; t++) {
                    ord[t] = t;
                    tgt[t] = -1;
                    if (hero_rng_uniform(rng) < opt->mask_prob) scratch[ns++] = t;
                }
                for (t = 0; t < ns; t++) scratch[p.L + t] = scratch[t];
                for (t = ns - 1; t > 0; t--) {
                    int j = (int)hero_rng_below(rng, (uint64_t)t + 1);
                    int32_t tmp = scratch[p.L + t];
                    scratch[p.L + t] = scratch[p.L + j];
                    scratch[p.L + j] = tmp;
                }
                for (t = 0; t < ns; t++) {
                    ord[scratch[t]] = scratch[p.L + t];
                    tgt[scratch[p.L + t]] = scratch[t];
                }
            }
            o2 += (size_t)T;
        }
    } else if (task == HERO_TASK_VSM) {
        size_t total = 0;
        int32_t *pool;
        out->n_videos = p.n;
        out->vsm_n_sampled = (int32_t *)hero__dat_alloc((size_t)p.n, sizeof(int32_t));
        out->vsm_sampled_sub_idx = (int32_t *)hero__dat_alloc((size_t)p.n * (size_t)opt->query_per_video, sizeof(int32_t));
        if (!out->vsm_n_sampled || !out->vsm_sampled_sub_idx) goto nomem;
        for (v = 0; v < p.n; v++) {
            /* data/vsm.py: random.sample(subtitles with frames, min(count, query_per_video)) */
            int nm = 0, ns, j;
            pool = out->vsm_sampled_sub_idx + total;
            for (i = 0; i < p.k[v]; i++)
                if (p.nf[p.base[v] + (size_t)i] > 0) nm++;
            if (nm == 0) {
                hero__dprep_free(&p); hero_choices_free(out);
                return hero__fail(err, HERO_EINVAL, "VSM: video %d has no subtitle with matched frames (after the %d-frame cut); the official VSM data cannot use it", v, opt->max_frames);
            }
            ns = nm < opt->query_per_video ? nm : opt->query_per_video;
            /* partial Fisher-Yates over the matched subtitles, kept in a scratch of size nm */
            {
                int32_t *all = (int32_t *)hero__dat_alloc((size_t)nm, sizeof(int32_t));
                if (!all) goto nomem;
                nm = 0;
                for (i = 0; i < p.k[v]; i++)
                    if (p.nf[p.base[v] + (size_t)i] > 0) all[nm++] = i;
                for (j = 0; j < ns; j++) {
                    int q = j + (int)hero_rng_below(rng, (uint64_t)(nm - j));
                    int32_t tmp = all[j]; all[j] = all[q]; all[q] = tmp;
                    pool[j] = all[j];
                }
                HERO_FREE(all);
            }
            out->vsm_n_sampled[v] = ns;
            total += (size_t)ns;
        }
    }
    HERO_FREE(scratch);
    hero__dprep_free(&p);
    return HERO_OK;
nomem:
    HERO_FREE(scratch);
    hero__dprep_free(&p);
    hero_choices_free(out);
    return hero__fail(err, HERO_ENOMEM, "hero_draw_choices: out of memory (task %s)", hero_task_name(task));
}

/* ---- batch building ---- */

/* Check caller-given choices against the videos. */
static int hero__dat_check_choices(const hero_choices *c, hero_task task, const hero__dprep *p,
                                   const hero_video *videos, const hero_batch_options *o, hero_error *err) {
    int v, i, t;
    size_t off = 0;
    if (task == HERO_TASK_MLM) {
        int r = 0;
        if (c->n_rows != p->S || !c->mlm_len || !c->mlm_input_ids || !c->mlm_labels)
            return hero__fail(err, HERO_ESHAPE, "MLM choices: n_rows %d, expected %d subtitle rows, with mlm_len / mlm_input_ids / mlm_labels set", c->n_rows, p->S);
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++, r++) {
                size_t l = hero__dat_row_words(p, videos, v, i, o->sub_ctx_len, o->max_txt_len, NULL, NULL);
                if ((size_t)c->mlm_len[r] != l || c->mlm_len[r] < 0)
                    return hero__fail(err, HERO_ESHAPE, "MLM choices: mlm_len[%d] (video %d subtitle %d) is %d, expected %zu words", r, v, i, (int)c->mlm_len[r], l);
                for (t = 0; t < c->mlm_len[r]; t++) {
                    if (c->mlm_input_ids[off + (size_t)t] < 0 || c->mlm_labels[off + (size_t)t] < -1)
                        return hero__fail(err, HERO_EINVAL, "MLM choices: row %d position %d: input id %d / label %d out of range", r, t, (int)c->mlm_input_ids[off + (size_t)t], (int)c->mlm_labels[off + (size_t)t]);
                }
                off += l;
            }
    } else if (task == HERO_TASK_MFM_NCE || task == HERO_TASK_MFFR) {
        if ((size_t)c->n_frames != p->nframes || !c->frame_mask)
            return hero__fail(err, HERO_ESHAPE, "MFM choices: n_frames %d, expected %zu frames (after the cut), with frame_mask set", c->n_frames, p->nframes);
    } else if (task == HERO_TASK_FOM) {
        if ((size_t)c->n_frames != p->nframes || !c->fom_orders || !c->fom_targets)
            return hero__fail(err, HERO_ESHAPE, "FOM choices: n_frames %d, expected %zu frames (after the cut), with fom_orders / fom_targets set", c->n_frames, p->nframes);
        for (v = 0; v < p->n; v++) {
            const int32_t *ord = c->fom_orders + off, *tgt = c->fom_targets + off;
            int T = p->T[v];
            for (t = 0; t < T; t++) {
                int32_t d = ord[t];
                if (d < 0 || d >= T || tgt[t] < -1 || tgt[t] >= T || (tgt[d] != t && !(d == t && tgt[d] == -1)))
                    return hero__fail(err, HERO_EINVAL, "FOM choices: video %d position %d: order %d / target %d do not form the official permutation (orders[i]=j needs targets[j]=i, or i=j and -1)", v, t, (int)d, (int)(d >= 0 && d < T ? tgt[d] : tgt[t]));
            }
            for (t = 0; t < T; t++)
                if (tgt[t] >= 0 && ord[tgt[t]] != t)
                    return hero__fail(err, HERO_EINVAL, "FOM choices: video %d: targets[%d] = %d but orders[%d] = %d", v, t, (int)tgt[t], (int)tgt[t], (int)ord[tgt[t]]);
            off += (size_t)T;
        }
    } else if (task == HERO_TASK_VSM) {
        if (c->n_videos != p->n || !c->vsm_n_sampled || !c->vsm_sampled_sub_idx)
            return hero__fail(err, HERO_ESHAPE, "VSM choices: n_videos %d, expected %d, with vsm_n_sampled / vsm_sampled_sub_idx set", c->n_videos, p->n);
        for (v = 0; v < p->n; v++) {
            int nm = 0, j, q;
            for (i = 0; i < p->k[v]; i++)
                if (p->nf[p->base[v] + (size_t)i] > 0) nm++;
            if (nm == 0)
                return hero__fail(err, HERO_EINVAL, "VSM: video %d has no subtitle with matched frames (after the %d-frame cut); the official VSM data cannot use it", v, o->max_frames);
            if (c->vsm_n_sampled[v] != (nm < o->query_per_video ? nm : o->query_per_video))
                return hero__fail(err, HERO_EINVAL, "VSM choices: vsm_n_sampled[%d] is %d, expected min(%d matched subtitles, %d)", v, (int)c->vsm_n_sampled[v], nm, o->query_per_video);
            for (j = 0; j < c->vsm_n_sampled[v]; j++) {
                int32_t s = c->vsm_sampled_sub_idx[off + (size_t)j];
                if (s < 0 || s >= p->k[v] || p->nf[p->base[v] + (size_t)s] == 0)
                    return hero__fail(err, HERO_EINVAL, "VSM choices: video %d query %d: subtitle %d is not a kept subtitle with frames", v, j, (int)s);
                for (q = 0; q < j; q++)
                    if (c->vsm_sampled_sub_idx[off + (size_t)q] == s)
                        return hero__fail(err, HERO_EINVAL, "VSM choices: video %d: subtitle %d sampled twice", v, (int)s);
            }
            off += (size_t)c->vsm_n_sampled[v];
        }
    }
    return HERO_OK;
}

/* The per-subtitle collate shared by every task (data.py video_collate / mlm_collate):
   rows of [frames | text]; text already built in txt (row r at txt_off[r], txt_len[r]). */
static int hero__dat_collate_rows(hero_batch *b, const hero__dprep *p, const hero_video *videos,
                                  const int32_t *txt, const size_t *txt_off, const int32_t *txt_len,
                                  int pad_id, int clamp_pos, int with_videos, hero_error *err) {
    int v, i, r = 0, j;
    int Lv = 1, Lt = 0, Lg = 0, F = p->F;
    size_t n_sv, n_sg, n_st, n_svf;
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++, r++) {
            int nf = p->nf[p->base[v] + (size_t)i], vl = nf > 0 ? nf : 1;
            if (vl > Lv) Lv = vl;
            if (txt_len[r] > Lt) Lt = txt_len[r];
            if (vl + txt_len[r] > Lg) Lg = vl + txt_len[r];
        }
    if (!hero__dat_mul3((size_t)p->S, (size_t)Lv, 1, &n_sv) || !hero__dat_mul3((size_t)p->S, (size_t)Lg, 1, &n_sg) ||
        !hero__dat_mul3((size_t)p->S, (size_t)Lt, 1, &n_st) || !hero__dat_mul3(n_sv, (size_t)F, 1, &n_svf) ||
        n_svf > ((size_t)-1) / 8)
        return hero__fail(err, HERO_ELIMIT, "batch: %d rows x (%d frames, %d words) x F %d overflows", p->S, Lv, Lt, F);
    b->F = F;
    b->S = p->S;
    b->Lt = Lt;
    b->Lv = Lv;
    b->Lg = Lg;
    b->txt_ids = (int32_t *)hero__dat_alloc(n_st, sizeof(int32_t));
    b->txt_pos = (int32_t *)hero__dat_alloc((size_t)Lt, sizeof(int32_t));
    b->f_v_feats = (float *)hero__dat_zalloc(n_svf, sizeof(float));
    b->f_v_pos = (int32_t *)hero__dat_alloc((size_t)Lv, sizeof(int32_t));
    b->f_attn_mask = (int32_t *)hero__dat_zalloc(n_sg, sizeof(int32_t));
    b->f_gather = (int32_t *)hero__dat_alloc(n_sg, sizeof(int32_t));
    if (with_videos) {
        size_t tot = 0;
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++) tot += (size_t)p->nf[p->base[v] + (size_t)i];
        b->B = p->n;
        b->n_s2f = p->S;
        b->s2f_sub_idx = (int32_t *)hero__dat_alloc((size_t)p->S, sizeof(int32_t));
        b->s2f_nframes = (int32_t *)hero__dat_alloc((size_t)p->S, sizeof(int32_t));
        b->num_subs = (int32_t *)hero__dat_alloc((size_t)p->n, sizeof(int32_t));
        b->s2f_frames = (int32_t *)hero__dat_alloc(tot, sizeof(int32_t));
        if (!b->s2f_sub_idx || !b->s2f_nframes || !b->num_subs || !b->s2f_frames)
            return hero__fail(err, HERO_ENOMEM, "batch: out of memory for the subtitle -> frame map");
    }
    if (!b->txt_ids || !b->txt_pos || !b->f_v_feats || !b->f_v_pos || !b->f_attn_mask || !b->f_gather)
        return hero__fail(err, HERO_ENOMEM, "batch: out of memory for %d rows x %d positions", p->S, Lg);
    for (j = 0; j < Lt; j++) b->txt_pos[j] = (clamp_pos && j > 511) ? 511 : j; /* official hack */
    for (j = 0; j < Lv; j++) b->f_v_pos[j] = j;
    r = 0;
    {
        size_t fo = 0;
        for (v = 0; v < p->n; v++) {
            const hero_video *hv = &videos[v];
            if (with_videos) b->num_subs[v] = p->k[v];
            for (i = 0; i < p->k[v]; i++, r++) {
                size_t slot = p->base[v] + (size_t)i;
                int nf = p->nf[slot], vl = nf > 0 ? nf : 1, tl = txt_len[r];
                const int32_t *fr = hv->sub_frames ? hv->sub_frames + p->frm_off[slot] : NULL;
                int32_t *ids = b->txt_ids + (size_t)r * (size_t)Lt;
                int32_t *am = b->f_attn_mask + (size_t)r * (size_t)Lg;
                int32_t *gi = b->f_gather + (size_t)r * (size_t)Lg;
                for (j = 0; j < Lt; j++) ids[j] = j < tl ? txt[txt_off[r] + (size_t)j] : pad_id;
                for (j = 0; j < nf; j++)
                    memcpy(b->f_v_feats + ((size_t)r * (size_t)Lv + (size_t)j) * (size_t)F,
                           hv->feats + (size_t)fr[j] * (size_t)F, (size_t)F * sizeof(float));
                for (j = 0; j < vl + tl; j++) am[j] = (nf == 0 && j == 0) ? 0 : 1;
                for (j = 0; j < Lg; j++) gi[j] = (j >= vl && j < vl + tl) ? Lv + (j - vl) : j;
                if (with_videos) {
                    b->s2f_sub_idx[r] = i;
                    b->s2f_nframes[r] = nf;
                    for (j = 0; j < nf; j++) b->s2f_frames[fo++] = fr[j];
                }
            }
        }
    }
    return HERO_OK;
}

/* Clip-level (temporal transformer) input: c_v_feats, c_attn_mask. */
static int hero__dat_collate_clips(hero_batch *b, const hero__dprep *p, const hero_video *videos, hero_error *err) {
    int v, t, F = p->F;
    size_t n_bl, n_blf;
    if (!hero__dat_mul3((size_t)p->n, (size_t)p->L, 1, &n_bl) || !hero__dat_mul3(n_bl, (size_t)F, sizeof(float), &n_blf))
        return hero__fail(err, HERO_ELIMIT, "batch: %d videos x %d frames x F %d overflows", p->n, p->L, F);
    b->L = p->L;
    b->c_v_feats = (float *)hero__dat_zalloc(n_bl * (size_t)F, sizeof(float));
    b->c_attn_mask = (int32_t *)hero__dat_zalloc(n_bl, sizeof(int32_t));
    if (!b->c_v_feats || !b->c_attn_mask)
        return hero__fail(err, HERO_ENOMEM, "batch: out of memory for %d videos x %d frames", p->n, p->L);
    for (v = 0; v < p->n; v++) {
        memcpy(b->c_v_feats + (size_t)v * (size_t)p->L * (size_t)F, videos[v].feats, (size_t)p->T[v] * (size_t)F * sizeof(float));
        for (t = 0; t < p->T[v]; t++) b->c_attn_mask[(size_t)v * (size_t)p->L + (size_t)t] = 1;
    }
    return HERO_OK;
}

static int hero__dat_build(hero_batch *b, hero_task task, const hero_video *videos, const hero__dprep *p,
                           const hero_batch_options *o, const hero_choices *c, hero_error *err) {
    int v, i, t, j, r, rc;
    int F = p->F;
    size_t total = 0, *off = NULL;
    int32_t *len = NULL, *txt = NULL;
    uint8_t *excl = NULL;
    size_t nsubs = 0;
    int lead = task == HERO_TASK_MLM ? o->cls_id : o->sep_id;
    int trunc = (task == HERO_TASK_MLM || task == HERO_TASK_VSM) ? o->max_txt_len : 0;

    for (v = 0; v < p->n; v++) nsubs += (size_t)videos[v].n_subs;
    off = (size_t *)hero__dat_alloc((size_t)p->S, sizeof(size_t));
    len = (int32_t *)hero__dat_alloc((size_t)p->S, sizeof(int32_t));
    if (task == HERO_TASK_VSM) excl = (uint8_t *)hero__dat_zalloc(nsubs, 1);
    if (!off || !len || (task == HERO_TASK_VSM && !excl)) { rc = hero__fail(err, HERO_ENOMEM, "batch: out of memory"); goto done; }
    if (task == HERO_TASK_VSM) { /* the query subtitles, removed from the context text */
        size_t so = 0;
        for (v = 0; v < p->n; v++) {
            for (j = 0; j < c->vsm_n_sampled[v]; j++) excl[p->base[v] + (size_t)c->vsm_sampled_sub_idx[so + (size_t)j]] = 1;
            so += (size_t)c->vsm_n_sampled[v];
        }
    }
    /* row text: lead token + words */
    r = 0;
    for (v = 0; v < p->n; v++)
        for (i = 0; i < p->k[v]; i++, r++) {
            size_t l = task == HERO_TASK_MLM ? (size_t)c->mlm_len[r]
                     : hero__dat_row_words(p, videos, v, i, o->sub_ctx_len, trunc, excl ? excl + p->base[v] : NULL, NULL);
            if (l + 1 > HERO__DAT_MAXDIM || total > ((size_t)-1) / 2 - l) { rc = hero__fail(err, HERO_ELIMIT, "video %d subtitle %d: row of %zu words is too long (or the batch text overflows)", v, i, l); goto done; }
            off[r] = total;
            len[r] = (int32_t)(l + 1);
            total += l + 1;
        }
    txt = (int32_t *)hero__dat_alloc(total, sizeof(int32_t));
    if (!txt) { rc = hero__fail(err, HERO_ENOMEM, "batch: out of memory for %zu words", total); goto done; }
    r = 0;
    {
        size_t mo = 0;
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++, r++) {
                txt[off[r]] = lead;
                if (task == HERO_TASK_MLM) {
                    memcpy(txt + off[r] + 1, c->mlm_input_ids + mo, (size_t)c->mlm_len[r] * sizeof(int32_t));
                    mo += (size_t)c->mlm_len[r];
                } else {
                    hero__dat_row_words(p, videos, v, i, o->sub_ctx_len, trunc, excl ? excl + p->base[v] : NULL, txt + off[r] + 1);
                }
            }
    }
    rc = hero__dat_collate_rows(b, p, videos, txt, off, len, o->pad_id, task != HERO_TASK_MLM, task != HERO_TASK_MLM, err);
    if (rc) goto done;
    if (task != HERO_TASK_MLM) {
        rc = hero__dat_collate_clips(b, p, videos, err);
        if (rc) goto done;
    }

    if (task == HERO_TASK_MLM) {
        /* txt_mask_tgt: [zeros(frames) | 0 (CLS) | label != -1], txt_labels: picked labels */
        size_t mo = 0, nl = 0;
        for (r = 0; r < p->S; r++)
            for (j = 0; j < c->mlm_len[r]; j++) nl += c->mlm_labels[mo++] != -1;
        b->txt_mask_tgt = (uint8_t *)hero__dat_zalloc((size_t)b->S * (size_t)b->Lg, 1);
        b->txt_labels = (int32_t *)hero__dat_alloc(nl, sizeof(int32_t));
        if (!b->txt_mask_tgt || !b->txt_labels) { rc = hero__fail(err, HERO_ENOMEM, "MLM batch: out of memory"); goto done; }
        b->n_mlm = (int)nl;
        mo = 0;
        nl = 0;
        r = 0;
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++, r++) {
                int nf = p->nf[p->base[v] + (size_t)i], vl = nf > 0 ? nf : 1;
                for (j = 0; j < c->mlm_len[r]; j++, mo++)
                    if (c->mlm_labels[mo] != -1) {
                        b->txt_mask_tgt[(size_t)r * (size_t)b->Lg + (size_t)(vl + 1 + j)] = 1;
                        b->txt_labels[nl++] = c->mlm_labels[mo];
                    }
            }
    } else if (task == HERO_TASK_MFM_NCE || task == HERO_TASK_MFFR) {
        /* data/mfm.py mfm_collate: masks per row and per clip, masked frames zeroed,
           feat_targets = original clip features of masked frames (row-major) */
        size_t fo = 0, nm = 0, to = 0;
        b->f_v_masks = (uint8_t *)hero__dat_zalloc((size_t)b->S * (size_t)b->Lv, 1);
        b->c_v_masks = (uint8_t *)hero__dat_zalloc((size_t)b->B * (size_t)b->L, 1);
        for (t = 0; t < c->n_frames; t++) nm += c->frame_mask[t] != 0;
        b->feat_targets = (float *)hero__dat_alloc(nm * (size_t)F, sizeof(float));
        if (!b->f_v_masks || !b->c_v_masks || !b->feat_targets) { rc = hero__fail(err, HERO_ENOMEM, "MFM batch: out of memory"); goto done; }
        b->n_masked = (int)nm;
        r = 0;
        for (v = 0; v < p->n; v++) {
            const uint8_t *m = c->frame_mask + fo;
            for (i = 0; i < p->k[v]; i++, r++) {
                size_t slot = p->base[v] + (size_t)i;
                const int32_t *fr = videos[v].sub_frames + p->frm_off[slot];
                for (j = 0; j < p->nf[slot]; j++)
                    if (m[fr[j]]) {
                        b->f_v_masks[(size_t)r * (size_t)b->Lv + (size_t)j] = 1;
                        memset(b->f_v_feats + ((size_t)r * (size_t)b->Lv + (size_t)j) * (size_t)F, 0, (size_t)F * sizeof(float));
                    }
            }
            for (t = 0; t < p->T[v]; t++)
                if (m[t]) {
                    float *cf = b->c_v_feats + ((size_t)v * (size_t)b->L + (size_t)t) * (size_t)F;
                    b->c_v_masks[(size_t)v * (size_t)b->L + (size_t)t] = 1;
                    memcpy(b->feat_targets + to * (size_t)F, cf, (size_t)F * sizeof(float));
                    memset(cf, 0, (size_t)F * sizeof(float));
                    to++;
                }
            fo += (size_t)p->T[v];
        }
    } else if (task == HERO_TASK_FOM) {
        /* data/fom.py fom_collate: orders padded with arange, targets with -1 */
        size_t fo = 0;
        b->shuffled_orders = (int32_t *)hero__dat_alloc((size_t)b->B * (size_t)b->L, sizeof(int32_t));
        b->fom_targets = (int32_t *)hero__dat_alloc((size_t)b->B * (size_t)b->L, sizeof(int32_t));
        if (!b->shuffled_orders || !b->fom_targets) { rc = hero__fail(err, HERO_ENOMEM, "FOM batch: out of memory"); goto done; }
        for (v = 0; v < p->n; v++) {
            for (t = 0; t < b->L; t++) {
                size_t q = (size_t)v * (size_t)b->L + (size_t)t;
                b->shuffled_orders[q] = t < p->T[v] ? c->fom_orders[fo + (size_t)t] : t;
                b->fom_targets[q] = t < p->T[v] ? c->fom_targets[fo + (size_t)t] : -1;
            }
            fo += (size_t)p->T[v];
        }
    } else if (task == HERO_TASK_VSM) {
        /* data/vsm.py: queries in subtitle order, the last repeated up to query_per_video;
           [CLS] + words (cut to max_txt_len); st = first frame,
           ed = min(max(st + 1, last frame), T - 1) */
        int qpv = o->query_per_video, Lq = 0, q = 0;
        size_t nq = (size_t)p->n * (size_t)qpv;
        int32_t *qsub;
        if (nq > HERO__DAT_MAXDIM) { rc = hero__fail(err, HERO_ELIMIT, "VSM batch: %d videos x %d queries is too many", p->n, qpv); goto done; }
        for (v = 0; v < p->n; v++)
            for (i = 0; i < p->k[v]; i++)
                if (excl[p->base[v] + (size_t)i]) {
                    int l = videos[v].sub_len[i];
                    if (trunc > 0 && l > trunc) l = trunc;
                    if (l + 1 > Lq) Lq = l + 1;
                }
        b->Nq = (int)nq;
        b->Lq = Lq;
        b->q_ids = (int32_t *)hero__dat_alloc(nq * (size_t)Lq, sizeof(int32_t));
        b->q_pos = (int32_t *)hero__dat_alloc((size_t)Lq, sizeof(int32_t));
        b->q_mask = (int32_t *)hero__dat_zalloc(nq * (size_t)Lq, sizeof(int32_t));
        b->q_vidx = (int32_t *)hero__dat_alloc(nq, sizeof(int32_t));
        b->vsm_targets = (int32_t *)hero__dat_alloc(nq * 2, sizeof(int32_t));
        qsub = (int32_t *)hero__dat_alloc(nq, sizeof(int32_t));
        if (!b->q_ids || !b->q_pos || !b->q_mask || !b->q_vidx || !b->vsm_targets || !qsub) {
            HERO_FREE(qsub);
            rc = hero__fail(err, HERO_ENOMEM, "VSM batch: out of memory");
            goto done;
        }
        for (j = 0; j < Lq; j++) b->q_pos[j] = j;
        for (v = 0; v < p->n; v++) {
            int n0 = q;
            for (i = 0; i < p->k[v]; i++)
                if (excl[p->base[v] + (size_t)i]) qsub[q++] = i;
            while (q - n0 < qpv) { qsub[q] = qsub[q - 1]; q++; }
        }
        for (q = 0; q < (int)nq; q++) {
            int vv = q / qpv, s = qsub[q], l = videos[vv].sub_len[s];
            size_t slot = p->base[vv] + (size_t)s;
            const int32_t *fr = videos[vv].sub_frames + p->frm_off[slot];
            int32_t *qi = b->q_ids + (size_t)q * (size_t)Lq, *qm = b->q_mask + (size_t)q * (size_t)Lq;
            int st = fr[0], last = fr[p->nf[slot] - 1], ed;
            if (trunc > 0 && l > trunc) l = trunc;
            qi[0] = o->cls_id;
            for (j = 0; j < l; j++) qi[1 + j] = videos[vv].sub_tokens[p->tok_off[slot] + (size_t)j];
            for (j = l + 1; j < Lq; j++) qi[j] = o->pad_id;
            for (j = 0; j <= l; j++) qm[j] = 1;
            b->q_vidx[q] = vv;
            ed = st + 1 > last ? st + 1 : last;
            if (ed > p->T[vv] - 1) ed = p->T[vv] - 1;
            b->vsm_targets[2 * q] = st;
            b->vsm_targets[2 * q + 1] = ed;
        }
        HERO_FREE(qsub);
    }
    rc = HERO_OK;
done:
    HERO_FREE(off);
    HERO_FREE(len);
    HERO_FREE(txt);
    HERO_FREE(excl);
    return rc;
}

HERODEF int hero_build_batch(hero_batch *out, hero_task task, const hero_video *videos,
                             int n_videos, const hero_batch_options *opt,
                             const hero_choices *choices, hero_rng *rng, hero_error *err) {
    hero__dprep p;
    hero_choices drawn;
    const hero_choices *c = choices;
    int rc;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_build_batch: out is NULL");
    memset(out, 0, sizeof(*out));
    memset(&drawn, 0, sizeof(drawn));
    if ((int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_build_batch: task %d unknown", (int)task);
    rc = hero__dprep_init(&p, videos, n_videos, opt, err);
    if (rc) return rc;
    if (task != HERO_TASK_REPR) {
        if (!c) {
            if (!rng) {
                hero__dprep_free(&p);
                return hero__fail(err, HERO_EINVAL, "hero_build_batch: task %s needs choices or an rng (both NULL)", hero_task_name(task));
            }
            rc = hero_draw_choices(&drawn, task, videos, n_videos, opt, rng, err);
            c = &drawn;
        } else {
            rc = hero__dat_check_choices(c, task, &p, videos, opt, err);
        }
        if (rc) { hero__dprep_free(&p); return rc; }
    }
    out->task = task;
    rc = hero__dat_build(out, task, videos, &p, opt, c, err);
    hero__dprep_free(&p);
    hero_choices_free(&drawn);
    if (rc) hero_batch_free(out);
    return rc;
}

/* ---- a batch straight from a golden file's in.* tensors ---- */

static const char *hero__dat_path(const hero_tensorfile *tf) { return tf && tf->path ? tf->path : "golden file"; }

/* Look up `name`, check it has ndim dims (each 0..HERO__DAT_MAXDIM; want[d] >= 0 must
   match), store them in dims. Returns the tensor or NULL with err filled. */
static const hero_tensor_info *hero__dat_gold_find(const hero_tensorfile *tf, const char *name, int ndim,
                                                   const int *want, int *dims, size_t *count, hero_error *err) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    size_t n = 1;
    int d;
    if (!t) {
        hero__fail(err, HERO_EMISSING, "%s: tensor %s missing", hero__dat_path(tf), name);
        return NULL;
    }
    if (t->ndim != ndim) {
        hero__fail(err, HERO_ESHAPE, "%s: tensor %s has %d dims, expected %d", hero__dat_path(tf), name, (int)t->ndim, ndim);
        return NULL;
    }
    for (d = 0; d < ndim; d++) {
        int64_t s = (int64_t)t->shape[d];
        if (s < 0 || s > HERO__DAT_MAXDIM || (want && want[d] >= 0 && s != want[d])) {
            if (s >= 0 && s <= HERO__DAT_MAXDIM)
                hero__fail(err, HERO_ESHAPE, "%s: tensor %s dim %d is %lld, expected %d", hero__dat_path(tf), name, d, (long long)s, want[d]);
            else
                hero__fail(err, HERO_ELIMIT, "%s: tensor %s dim %d is %lld, outside 0..%d", hero__dat_path(tf), name, d, (long long)s, HERO__DAT_MAXDIM);
            return NULL;
        }
        dims[d] = (int)s;
        if (s != 0 && n > ((size_t)-1) / 8 / (size_t)s) {
            hero__fail(err, HERO_ELIMIT, "%s: tensor %s: element count overflows", hero__dat_path(tf), name);
            return NULL;
        }
        n *= (size_t)s;
    }
    *count = n;
    return t;
}

/* int tensor -> int32 array in [lo, hi] (HERO_MALLOC'd into *dst) */
static int hero__dat_gold_i32(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                              int64_t lo, int64_t hi, int32_t **dst, hero_error *err) {
    size_t n, i;
    int64_t *tmp;
    int rc;
    const hero_tensor_info *t = hero__dat_gold_find(tf, name, ndim, want, dims, &n, err);
    if (!t) return err ? err->code : HERO_EMISSING;
    tmp = (int64_t *)hero__dat_alloc(n, sizeof(int64_t));
    *dst = (int32_t *)hero__dat_alloc(n, sizeof(int32_t));
    if (!tmp || !*dst) {
        HERO_FREE(tmp);
        return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s (%zu elements)", hero__dat_path(tf), name, n);
    }
    rc = hero_tensor_read_i64(t, tmp, (int64_t)n, err);
    if (rc) { HERO_FREE(tmp); return rc; }
    for (i = 0; i < n; i++) {
        if (tmp[i] < lo || tmp[i] > hi) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: tensor %s element %zu is %lld, expected %lld..%lld", hero__dat_path(tf), name, i, (long long)tmp[i], (long long)lo, (long long)hi);
            HERO_FREE(tmp);
            return rc;
        }
        (*dst)[i] = (int32_t)tmp[i];
    }
    HERO_FREE(tmp);
    return HERO_OK;
}

static int hero__dat_gold_u8(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                             uint8_t **dst, hero_error *err) {
    int32_t *tmp = NULL;
    size_t n = 1, i;
    int d, rc = hero__dat_gold_i32(tf, name, ndim, want, dims, 0, 1, &tmp, err);
    if (rc) { HERO_FREE(tmp); return rc; }
    for (d = 0; d < ndim; d++) n *= (size_t)dims[d];
    *dst = (uint8_t *)hero__dat_alloc(n, 1);
    if (!*dst) { HERO_FREE(tmp); return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", hero__dat_path(tf), name); }
    for (i = 0; i < n; i++) (*dst)[i] = (uint8_t)tmp[i];
    HERO_FREE(tmp);
    return HERO_OK;
}

static int hero__dat_gold_f32(const hero_tensorfile *tf, const char *name, int ndim, const int *want, int *dims,
                              float **dst, hero_error *err) {
    size_t n;
    const hero_tensor_info *t = hero__dat_gold_find(tf, name, ndim, want, dims, &n, err);
    if (!t) return err ? err->code : HERO_EMISSING;
    *dst = (float *)hero__dat_alloc(n, sizeof(float));
    if (!*dst) return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s (%zu elements)", hero__dat_path(tf), name, n);
    return hero_tensor_read_f32(t, *dst, (int64_t)n, err);
}

HERODEF int hero_batch_from_golden(hero_batch *b, hero_task task, const hero_tensorfile *tf, hero_error *err) {
    int d[3], w[3], rc, i;
    const int BIG = HERO__DAT_MAXDIM;
    int mlm = task == HERO_TASK_MLM;
    if (!b) return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden: b is NULL");
    memset(b, 0, sizeof(*b));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden: tf NULL or task %d unknown", (int)task);
    b->task = task;
#define HERO__G(call) do { rc = (call); if (rc) goto fail; } while (0)
#define HERO__W(a, b_, c) (w[0] = (a), w[1] = (b_), w[2] = (c), w)
    /* cross-modal rows */
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.input_ids" : "in.f_sub_input_ids", 2, NULL, d, 0, INT32_MAX, &b->txt_ids, err));
    b->S = d[0];
    b->Lt = d[1];
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.position_ids" : "in.f_sub_pos_ids", 2, HERO__W(1, b->Lt, 0), d, 0, BIG, &b->txt_pos, err));
    HERO__G(hero__dat_gold_f32(tf, mlm ? "in.v_feat" : "in.f_v_feats", 3, HERO__W(b->S, -1, -1), d, &b->f_v_feats, err));
    b->Lv = d[1];
    b->F = d[2];
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.attn_masks" : "in.f_attn_masks", 2, HERO__W(b->S, -1, 0), d, 0, 1, &b->f_attn_mask, err));
    b->Lg = d[1];
    if ((int64_t)b->Lg > (int64_t)b->Lv + b->Lt) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: attention length %d exceeds frames %d + words %d", hero__dat_path(tf), b->Lg, b->Lv, b->Lt);
        goto fail;
    }
    HERO__G(hero__dat_gold_i32(tf, mlm ? "in.gather_index" : "in.f_gather_index", 2, HERO__W(b->S, b->Lg, 0), d, 0,
                               (int64_t)b->Lv + b->Lt - 1, &b->f_gather, err));
    if (mlm) {
        b->f_v_pos = (int32_t *)hero__dat_alloc((size_t)b->Lv, sizeof(int32_t));
        if (!b->f_v_pos) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory", hero__dat_path(tf)); goto fail; }
        for (i = 0; i < b->Lv; i++) b->f_v_pos[i] = i;
    } else {
        HERO__G(hero__dat_gold_i32(tf, "in.f_v_pos_ids", 2, HERO__W(1, b->Lv, 0), d, 0, BIG, &b->f_v_pos, err));
    }
    /* per-video bookkeeping and temporal input (the official MLM batch has none) */
    if (!mlm) {
        int64_t sum = 0;
        HERO__G(hero__dat_gold_i32(tf, "in.num_subs", 1, NULL, d, 0, BIG, &b->num_subs, err));
        b->B = d[0];
        for (i = 0; i < b->B; i++) sum += b->num_subs[i];
        if (sum != b->S) { rc = hero__fail(err, HERO_ESHAPE, "%s: in.num_subs sum to %lld, expected %d rows", hero__dat_path(tf), (long long)sum, b->S); goto fail; }
        b->n_s2f = b->S;
        HERO__G(hero__dat_gold_i32(tf, "in.s2f_sub_idx", 1, HERO__W(b->S, 0, 0), d, 0, BIG, &b->s2f_sub_idx, err));
        HERO__G(hero__dat_gold_i32(tf, "in.s2f_nframes", 1, HERO__W(b->S, 0, 0), d, 0, BIG, &b->s2f_nframes, err));
        sum = 0;
        for (i = 0; i < b->S; i++) sum += b->s2f_nframes[i];
        if (sum > BIG) { rc = hero__fail(err, HERO_ELIMIT, "%s: %lld s2f frames", hero__dat_path(tf), (long long)sum); goto fail; }
        HERO__G(hero__dat_gold_i32(tf, "in.s2f_frames", 1, HERO__W((int)sum, 0, 0), d, 0, BIG, &b->s2f_frames, err));
    }
    if (!mlm) {
        HERO__G(hero__dat_gold_f32(tf, "in.c_v_feats", 3, HERO__W(b->B, -1, b->F), d, &b->c_v_feats, err));
        b->L = d[1];
        HERO__G(hero__dat_gold_i32(tf, "in.c_attn_masks", 2, HERO__W(b->B, b->L, 0), d, 0, 1, &b->c_attn_mask, err));
        {
            int64_t k, nfr = 0;
            for (k = 0; k < b->S; k++) nfr += b->s2f_nframes[k];
            for (k = 0; k < nfr; k++)
                if (b->s2f_frames[k] >= b->L) {
                    rc = hero__fail(err, HERO_EFORMAT, "%s: in.s2f_frames[%lld] is %d, expected < %d frames", hero__dat_path(tf), (long long)k, (int)b->s2f_frames[k], b->L);
                    goto fail;
                }
        }
    }
    switch (task) {
    case HERO_TASK_MLM:
        HERO__G(hero__dat_gold_u8(tf, "in.txt_mask_tgt", 2, HERO__W(b->S, b->Lg, 0), d, &b->txt_mask_tgt, err));
        HERO__G(hero__dat_gold_i32(tf, "in.txt_labels", 1, NULL, d, 0, INT32_MAX, &b->txt_labels, err));
        b->n_mlm = d[0];
        break;
    case HERO_TASK_MFM_NCE:
    case HERO_TASK_MFFR:
        HERO__G(hero__dat_gold_u8(tf, "in.f_v_masks", 2, HERO__W(b->S, b->Lv, 0), d, &b->f_v_masks, err));
        HERO__G(hero__dat_gold_u8(tf, "in.c_v_masks", 2, HERO__W(b->B, b->L, 0), d, &b->c_v_masks, err));
        HERO__G(hero__dat_gold_f32(tf, "in.feat_targets", 2, HERO__W(-1, b->F, 0), d, &b->feat_targets, err));
        b->n_masked = d[0];
        break;
    case HERO_TASK_FOM:
        HERO__G(hero__dat_gold_i32(tf, "in.shuffled_orders", 2, HERO__W(b->B, b->L, 0), d, 0, (int64_t)b->L - 1, &b->shuffled_orders, err));
        HERO__G(hero__dat_gold_i32(tf, "in.targets", 2, HERO__W(b->B, b->L, 0), d, -1, (int64_t)b->L - 1, &b->fom_targets, err));
        break;
    case HERO_TASK_VSM:
        HERO__G(hero__dat_gold_i32(tf, "in.query_input_ids", 2, NULL, d, 0, INT32_MAX, &b->q_ids, err));
        b->Nq = d[0];
        b->Lq = d[1];
        HERO__G(hero__dat_gold_i32(tf, "in.query_pos_ids", 2, HERO__W(1, b->Lq, 0), d, 0, BIG, &b->q_pos, err));
        HERO__G(hero__dat_gold_i32(tf, "in.query_attn_masks", 2, HERO__W(b->Nq, b->Lq, 0), d, 0, 1, &b->q_mask, err));
        HERO__G(hero__dat_gold_i32(tf, "in.q_vidx", 1, HERO__W(b->Nq, 0, 0), d, 0, (int64_t)b->B - 1, &b->q_vidx, err));
        HERO__G(hero__dat_gold_i32(tf, "in.targets", 2, HERO__W(b->Nq, 2, 0), d, -1, (int64_t)b->L - 1, &b->vsm_targets, err));
        break;
    default:
        break;
    }
#undef HERO__G
#undef HERO__W
    return HERO_OK;
fail:
    hero_batch_free(b);
    return rc;
}

/* ---- rebuilding a golden file's batch from raw.* (corpus) + choice.* (random choices) ---- */

static int64_t hero__dat_sum(const int32_t *a, int n) {
    int64_t s = 0;
    int i;
    for (i = 0; i < n; i++) s += a[i];
    return s;
}

HERODEF void hero_golden_videos_free(hero_golden_videos *g) {
    if (!g) return;
    HERO_FREE(g->videos); HERO_FREE(g->feats); HERO_FREE(g->nframes); HERO_FREE(g->num_subs);
    HERO_FREE(g->sub_len); HERO_FREE(g->sub_tokens); HERO_FREE(g->s2f_sub_idx); HERO_FREE(g->s2f_nframes);
    HERO_FREE(g->s2f_frames);
    memset(g, 0, sizeof(*g));
}

#define HERO__G(call) do { rc = (call); if (rc) goto fail; } while (0)

HERODEF int hero_videos_from_golden(hero_golden_videos *out, const hero_tensorfile *tf, hero_error *err) {
    const int BIG = HERO__DAT_MAXDIM;
    int d[2], w[2], B, S, rc;
    int64_t ntok, nfr, nt;
    size_t nfeat = 0;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_videos_from_golden: out is NULL");
    memset(out, 0, sizeof(*out));
    if (!tf) return hero__fail(err, HERO_EINVAL, "hero_videos_from_golden: tf is NULL");
    HERO__G(hero__dat_gold_i32(tf, "raw.nframes", 1, NULL, d, 1, BIG, &out->nframes, err));
    B = d[0];
    if (B < 1) { rc = hero__fail(err, HERO_ESHAPE, "%s: tensor raw.nframes is empty, expected >= 1 video", hero__dat_path(tf)); goto fail; }
    w[0] = B;
    HERO__G(hero__dat_gold_i32(tf, "raw.num_subs", 1, w, d, 0, BIG, &out->num_subs, err));
    HERO__G(hero__dat_gold_i32(tf, "raw.sub_len", 1, NULL, d, 0, BIG, &out->sub_len, err));
    S = d[0];
    if (hero__dat_sum(out->num_subs, B) != S) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: raw.num_subs sum to %lld, expected the %d subtitles of raw.sub_len", hero__dat_path(tf),
                        (long long)hero__dat_sum(out->num_subs, B), S);
        goto fail;
    }
    w[0] = S;
    HERO__G(hero__dat_gold_i32(tf, "raw.s2f_sub_idx", 1, w, d, 0, BIG, &out->s2f_sub_idx, err));
    HERO__G(hero__dat_gold_i32(tf, "raw.s2f_nframes", 1, w, d, 0, BIG, &out->s2f_nframes, err));
    ntok = hero__dat_sum(out->sub_len, S);
    nfr = hero__dat_sum(out->s2f_nframes, S);
    nt = hero__dat_sum(out->nframes, B);
    if (ntok > BIG || nfr > BIG || nt > BIG) {
        rc = hero__fail(err, HERO_ELIMIT, "%s: raw.sub_len / raw.s2f_nframes / raw.nframes sum to %lld / %lld / %lld, limit %d",
                        hero__dat_path(tf), (long long)ntok, (long long)nfr, (long long)nt, BIG);
        goto fail;
    }
    w[0] = (int)ntok; /* each count must be exactly the sum of its lengths */
    HERO__G(hero__dat_gold_i32(tf, "raw.sub_tokens", 1, w, d, 0, INT32_MAX, &out->sub_tokens, err));
    w[0] = (int)nfr;
    HERO__G(hero__dat_gold_i32(tf, "raw.s2f_frames", 1, w, d, 0, BIG, &out->s2f_frames, err));
    w[0] = (int)nt;
    w[1] = -1;
    HERO__G(hero__dat_gold_f32(tf, "raw.v_feats", 2, w, d, &out->feats, err));
    out->F = d[1];
    if (out->F < 1 || !hero__dat_mul3((size_t)nt, (size_t)out->F, 1, &nfeat)) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: tensor raw.v_feats has %d floats per frame, expected >= 1", hero__dat_path(tf), out->F);
        goto fail;
    }
    out->videos = (hero_video *)hero__dat_zalloc((size_t)B, sizeof(hero_video));
    if (!out->videos) { rc = hero__fail(err, HERO_ENOMEM, "%s: out of memory for %d videos", hero__dat_path(tf), B); goto fail; }
    HERO__G(hero_videos_from_flat(out->videos, B, out->F, out->nframes, out->feats, nfeat, out->num_subs, out->sub_len,
                                  (size_t)S, out->sub_tokens, (size_t)ntok, out->s2f_sub_idx, out->s2f_nframes,
                                  out->s2f_frames, (size_t)nfr, err));
    out->n_videos = B;
    return HERO_OK;
fail:
    hero_golden_videos_free(out);
    return rc;
}

HERODEF int hero_choices_from_golden(hero_choices *c, hero_task task, const hero_tensorfile *tf, hero_error *err) {
    const int BIG = HERO__DAT_MAXDIM;
    int d[1], w[1], rc;
    int64_t sum;
    if (!c) return hero__fail(err, HERO_EINVAL, "hero_choices_from_golden: c is NULL");
    memset(c, 0, sizeof(*c));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_choices_from_golden: tf NULL or task %d unknown", (int)task);
    c->task = task;
    switch (task) {
    case HERO_TASK_MLM:
        HERO__G(hero__dat_gold_i32(tf, "choice.mlm_len", 1, NULL, d, 0, BIG, &c->mlm_len, err));
        c->n_rows = d[0];
        sum = hero__dat_sum(c->mlm_len, c->n_rows);
        if (sum > BIG) { rc = hero__fail(err, HERO_ELIMIT, "%s: choice.mlm_len sum to %lld words, limit %d", hero__dat_path(tf), (long long)sum, BIG); goto fail; }
        w[0] = (int)sum; /* one entry per word of every row */
        HERO__G(hero__dat_gold_i32(tf, "choice.mlm_input_ids", 1, w, d, 0, INT32_MAX, &c->mlm_input_ids, err));
        HERO__G(hero__dat_gold_i32(tf, "choice.mlm_labels", 1, w, d, -1, INT32_MAX, &c->mlm_labels, err));
        break;
    case HERO_TASK_MFM_NCE:
    case HERO_TASK_MFFR:
        HERO__G(hero__dat_gold_u8(tf, "choice.frame_mask", 1, NULL, d, &c->frame_mask, err));
        c->n_frames = d[0];
        break;
    case HERO_TASK_FOM:
        HERO__G(hero__dat_gold_i32(tf, "choice.fom_orders", 1, NULL, d, 0, BIG, &c->fom_orders, err));
        c->n_frames = d[0];
        w[0] = d[0];
        HERO__G(hero__dat_gold_i32(tf, "choice.fom_targets", 1, w, d, -1, BIG, &c->fom_targets, err));
        break;
    case HERO_TASK_VSM:
        HERO__G(hero__dat_gold_i32(tf, "choice.vsm_n_sampled", 1, NULL, d, 0, BIG, &c->vsm_n_sampled, err));
        c->n_videos = d[0];
        sum = hero__dat_sum(c->vsm_n_sampled, c->n_videos);
        if (sum > BIG) { rc = hero__fail(err, HERO_ELIMIT, "%s: choice.vsm_n_sampled sum to %lld, limit %d", hero__dat_path(tf), (long long)sum, BIG); goto fail; }
        w[0] = (int)sum; /* the queries of every video, videos in order */
        HERO__G(hero__dat_gold_i32(tf, "choice.vsm_sampled_sub_idx", 1, w, d, 0, BIG, &c->vsm_sampled_sub_idx, err));
        break;
    default: /* REPR: nothing random */
        break;
    }
    return HERO_OK;
fail:
    hero_choices_free(c);
    return rc;
}

/* a JSON integer in [lo, hi] -> *dst; 0, or -1 if v is not one */
static int hero__dat_json_int(const hero_json *v, int lo, int hi, int *dst) {
    if (!v || v->type != HERO_JSON_NUMBER || !(v->number >= (double)lo && v->number <= (double)hi) ||
        (double)(int)v->number != v->number)
        return -1;
    *dst = (int)v->number;
    return 0;
}

/* data_settings member `key` (absent: *dst unchanged) as an integer in [lo, hi] */
static int hero__dat_meta_int(const hero_json *o, const char *key, int lo, int hi, int *dst, const char *path,
                              hero_error *err) {
    const hero_json *v = hero_json_get(o, key);
    if (v && hero__dat_json_int(v, lo, hi, dst))
        return hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings.%s: expected an integer in %d..%d", path, key, lo, hi);
    return HERO_OK;
}

/* scalar int tensor `name` (absent: *dst unchanged) */
static int hero__dat_gold_scalar(const hero_tensorfile *tf, const char *name, int *dst, hero_error *err) {
    const hero_tensor_info *t = hero_tensorfile_find(tf, name);
    int64_t x = 0;
    int rc;
    if (!t) return HERO_OK;
    if (hero_tensor_numel(t) != 1)
        return hero__fail(err, HERO_ESHAPE, "%s: tensor %s has %lld elements, expected 1", hero__dat_path(tf), name, (long long)hero_tensor_numel(t));
    rc = hero_tensor_read_i64(t, &x, 1, err);
    if (rc) return rc;
    if (x < -HERO__DAT_MAXDIM || x > HERO__DAT_MAXDIM)
        return hero__fail(err, HERO_EFORMAT, "%s: tensor %s is %lld, expected -%d..%d", hero__dat_path(tf), name, (long long)x, HERO__DAT_MAXDIM, HERO__DAT_MAXDIM);
    *dst = (int)x;
    return HERO_OK;
}

HERODEF int hero_batch_options_from_golden(hero_batch_options *o, const hero_tensorfile *tf, int vocab_size,
                                           hero_error *err) {
    const int BIG = HERO__DAT_MAXDIM;
    const char *text, *path;
    hero_json js;
    hero_error e2;
    int rc = HERO_OK, mask = -1;
    if (!o || !tf) return hero__fail(err, HERO_EINVAL, "hero_batch_options_from_golden: o or tf is NULL");
    path = hero__dat_path(tf);
    memset(&js, 0, sizeof(js));
    text = hero_tensorfile_meta(tf, "data_settings");
    if (text) {
        memset(&e2, 0, sizeof(e2));
        if (hero_json_parse(text, strlen(text), &js, &e2))
            return hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings is not JSON: %s", path, e2.msg);
        if (js.type != HERO_JSON_OBJECT) { rc = hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings is not a JSON object", path); goto done; }
        if ((rc = hero__dat_meta_int(&js, "mask", 0, BIG, &mask, path, err))) goto done;
    }
    if (vocab_size <= 0) {
        if (mask < 0) { rc = hero__fail(err, HERO_EINVAL, "%s: no vocabulary size given and no data_settings.mask in the metadata", path); goto done; }
        vocab_size = mask + 1;
    }
    *o = hero_batch_options_default(vocab_size);
    if (text) {
        const hero_json *p = hero_json_get(&js, "mask_prob"), *vr = hero_json_get(&js, "v_range");
        if ((rc = hero__dat_meta_int(&js, "max_txt_len", -BIG, BIG, &o->max_txt_len, path, err)) ||
            (rc = hero__dat_meta_int(&js, "max_clip_len", -BIG, BIG, &o->max_frames, path, err)) ||
            (rc = hero__dat_meta_int(&js, "max_frames", -BIG, BIG, &o->max_frames, path, err)) ||
            (rc = hero__dat_meta_int(&js, "query_per_video", -BIG, BIG, &o->query_per_video, path, err)) ||
            (rc = hero__dat_meta_int(&js, "sub_ctx_len", -BIG, BIG, &o->sub_ctx_len, path, err)) ||
            (rc = hero__dat_meta_int(&js, "cls", 0, BIG, &o->cls_id, path, err)) ||
            (rc = hero__dat_meta_int(&js, "pad", 0, BIG, &o->pad_id, path, err)) ||
            (rc = hero__dat_meta_int(&js, "sep", 0, BIG, &o->sep_id, path, err)) ||
            (rc = hero__dat_meta_int(&js, "mask", 0, BIG, &o->mask_id, path, err)))
            goto done;
        if (p) {
            if (p->type != HERO_JSON_NUMBER || !(p->number >= 0.0 && p->number <= 1.0)) {
                rc = hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings.mask_prob: expected a number in 0..1", path);
                goto done;
            }
            o->mask_prob = (float)p->number;
        }
        if (vr && (vr->type != HERO_JSON_ARRAY || vr->n != 2 || hero__dat_json_int(&vr->items[0], 0, BIG, &o->v_lo) ||
                   hero__dat_json_int(&vr->items[1], 0, BIG, &o->v_hi))) {
            rc = hero__fail(err, HERO_EFORMAT, "%s: metadata data_settings.v_range: expected [lo, hi], integers in 0..%d", path, BIG);
            goto done;
        }
    }
    /* the explicit per-file options (tests/golden/batch_fuzz) */
    if ((rc = hero__dat_gold_scalar(tf, "opt.max_txt_len", &o->max_txt_len, err)) ||
        (rc = hero__dat_gold_scalar(tf, "opt.max_frames", &o->max_frames, err)) ||
        (rc = hero__dat_gold_scalar(tf, "opt.sub_ctx_len", &o->sub_ctx_len, err)) ||
        (rc = hero__dat_gold_scalar(tf, "opt.query_per_video", &o->query_per_video, err)))
        goto done;
    if ((rc = hero__dat_check_opt(o, &e2))) rc = hero__fail(err, rc, "%s: %s", path, e2.msg);
done:
    hero_json_free(&js);
    return rc;
}

HERODEF int hero_batch_from_golden_raw(hero_batch *out, hero_task task, const hero_tensorfile *tf, int vocab_size,
                                       hero_error *err) {
    hero_batch_options o;
    hero_golden_videos gv;
    hero_choices c;
    hero_error e2;
    int rc;
    if (!out) return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden_raw: out is NULL");
    memset(out, 0, sizeof(*out));
    memset(&gv, 0, sizeof(gv));
    memset(&c, 0, sizeof(c));
    if (!tf || (int)task < 0 || task >= HERO_TASK_COUNT)
        return hero__fail(err, HERO_EINVAL, "hero_batch_from_golden_raw: tf NULL or task %d unknown", (int)task);
    rc = hero_batch_options_from_golden(&o, tf, vocab_size, err);
    if (!rc) rc = hero_videos_from_golden(&gv, tf, err);
    if (!rc) rc = hero_choices_from_golden(&c, task, tf, err);
    if (!rc) {
        memset(&e2, 0, sizeof(e2));
        rc = hero_build_batch(out, task, gv.videos, gv.n_videos, &o, task == HERO_TASK_REPR ? NULL : &c, NULL, &e2);
        if (rc) hero__fail(err, rc, "%s: %s batch from raw.* + choice.*: %s", hero__dat_path(tf), hero_task_name(task), e2.msg);
    }
    hero_choices_free(&c);
    hero_golden_videos_free(&gv);
    return rc;
}

#undef HERO__G

/* ---- a batch's fields under the official in.* names, compared with a golden file ---- */

static void hero__dat_field(hero_batch_field *out, int *n, const char *key, hero_dtype dt, const void *data, int ndim,
                            int64_t d0, int64_t d1, int64_t d2) {
    hero_batch_field *f = &out[(*n)++];
    f->key = key;
    f->dtype = dt;
    f->data = data;
    f->ndim = ndim;
    f->shape[0] = d0;
    f->shape[1] = d1;
    f->shape[2] = d2;
}

HERODEF int hero_batch_fields(const hero_batch *b, hero_batch_field *out) {
    int n = 0, mlm, i;
    int64_t nf = 0;
    if (!b || !out) return 0;
    mlm = b->task == HERO_TASK_MLM;
    hero__dat_field(out, &n, mlm ? "input_ids" : "f_sub_input_ids", HERO_I32, b->txt_ids, 2, b->S, b->Lt, 0);
    hero__dat_field(out, &n, mlm ? "position_ids" : "f_sub_pos_ids", HERO_I32, b->txt_pos, 2, 1, b->Lt, 0);
    hero__dat_field(out, &n, mlm ? "v_feat" : "f_v_feats", HERO_F32, b->f_v_feats, 3, b->S, b->Lv, b->F);
    if (!mlm) hero__dat_field(out, &n, "f_v_pos_ids", HERO_I32, b->f_v_pos, 2, 1, b->Lv, 0);
    hero__dat_field(out, &n, mlm ? "attn_masks" : "f_attn_masks", HERO_I32, b->f_attn_mask, 2, b->S, b->Lg, 0);
    hero__dat_field(out, &n, mlm ? "gather_index" : "f_gather_index", HERO_I32, b->f_gather, 2, b->S, b->Lg, 0);
    if (mlm) {
        hero__dat_field(out, &n, "txt_mask_tgt", HERO_U8, b->txt_mask_tgt, 2, b->S, b->Lg, 0);
        hero__dat_field(out, &n, "txt_labels", HERO_I32, b->txt_labels, 1, b->n_mlm, 0, 0);
        return n;
    }
    for (i = 0; b->s2f_nframes && i < b->n_s2f; i++) nf += b->s2f_nframes[i];
    hero__dat_field(out, &n, "c_v_feats", HERO_F32, b->c_v_feats, 3, b->B, b->L, b->F);
    hero__dat_field(out, &n, "c_attn_masks", HERO_I32, b->c_attn_mask, 2, b->B, b->L, 0);
    hero__dat_field(out, &n, "num_subs", HERO_I32, b->num_subs, 1, b->B, 0, 0);
    hero__dat_field(out, &n, "s2f_sub_idx", HERO_I32, b->s2f_sub_idx, 1, b->n_s2f, 0, 0);
    hero__dat_field(out, &n, "s2f_nframes", HERO_I32, b->s2f_nframes, 1, b->n_s2f, 0, 0);
    hero__dat_field(out, &n, "s2f_frames", HERO_I32, b->s2f_frames, 1, nf, 0, 0);
    if (b->task == HERO_TASK_MFM_NCE || b->task == HERO_TASK_MFFR) {
        hero__dat_field(out, &n, "f_v_masks", HERO_U8, b->f_v_masks, 2, b->S, b->Lv, 0);
        hero__dat_field(out, &n, "c_v_masks", HERO_U8, b->c_v_masks, 2, b->B, b->L, 0);
        hero__dat_field(out, &n, "feat_targets", HERO_F32, b->feat_targets, 2, b->n_masked, b->F, 0);
    } else if (b->task == HERO_TASK_FOM) {
        hero__dat_field(out, &n, "shuffled_orders", HERO_I32, b->shuffled_orders, 2, b->B, b->L, 0);
        hero__dat_field(out, &n, "targets", HERO_I32, b->fom_targets, 2, b->B, b->L, 0);
    } else if (b->task == HERO_TASK_VSM) {
        hero__dat_field(out, &n, "query_input_ids", HERO_I32, b->q_ids, 2, b->Nq, b->Lq, 0);
        hero__dat_field(out, &n, "query_pos_ids", HERO_I32, b->q_pos, 2, 1, b->Lq, 0);
        hero__dat_field(out, &n, "query_attn_masks", HERO_I32, b->q_mask, 2, b->Nq, b->Lq, 0);
        hero__dat_field(out, &n, "q_vidx", HERO_I32, b->q_vidx, 1, b->Nq, 0, 0);
        hero__dat_field(out, &n, "targets", HERO_I32, b->vsm_targets, 2, b->Nq, 2, 0);
    }
    return n;
}

/* "[a,b,c]" into buf */
static void hero__dat_shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t l = 0;
    int d;
    buf[0] = '\0';
    l += (size_t)snprintf(buf, cap, "[");
    for (d = 0; d < ndim && l < cap; d++) l += (size_t)snprintf(buf + l, cap - l, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (l < cap) snprintf(buf + l, cap - l, "]");
}

HERODEF int hero_batch_field_golden_err(const hero_batch_field *f, const hero_tensorfile *tf, double *rel_err,
                                        hero_error *err) {
    const hero_tensor_info *t;
    char name[96];
    size_t n = 1, i;
    int d, same, rc, nan = 0;
    double md = 0, mr = 0;
    if (rel_err) *rel_err = 0;
    if (!f || !tf || !rel_err || !f->key || f->ndim < 0 || f->ndim > 3 || strlen(f->key) > sizeof(name) - 4)
        return hero__fail(err, HERO_EINVAL, "hero_batch_field_golden_err: NULL argument or bad field");
    snprintf(name, sizeof(name), "in.%s", f->key);
    t = hero_tensorfile_find(tf, name);
    if (!t) return hero__fail(err, HERO_EMISSING, "%s: tensor %s missing", hero__dat_path(tf), name);
    same = t->ndim == f->ndim;
    for (d = 0; same && d < f->ndim; d++) same = t->shape[d] == f->shape[d];
    if (!same) {
        char a[128], b[128];
        hero__dat_shape_str(a, sizeof(a), t->ndim < HERO_MAX_DIMS ? t->ndim : HERO_MAX_DIMS, t->shape);
        hero__dat_shape_str(b, sizeof(b), f->ndim, f->shape);
        return hero__fail(err, HERO_ESHAPE, "%s: tensor %s has shape %s, the built batch %s", hero__dat_path(tf), name, a, b);
    }
    for (d = 0; d < f->ndim; d++) {
        if (f->shape[d] < 0 || (f->shape[d] != 0 && n > ((size_t)-1) / 8 / (size_t)f->shape[d]))
            return hero__fail(err, HERO_ELIMIT, "%s: tensor %s: element count overflows", hero__dat_path(tf), name);
        n *= (size_t)f->shape[d];
    }
    if (n && !f->data) return hero__fail(err, HERO_EINVAL, "%s: tensor %s: the built batch has no %s", hero__dat_path(tf), name, f->key);
    if (f->dtype == HERO_F32) {
        const float *x = (const float *)f->data;
        float *ref = (float *)hero__dat_alloc(n, sizeof(float));
        if (!ref) return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", hero__dat_path(tf), name);
        rc = hero_tensor_read_f32(t, ref, (int64_t)n, err);
        for (i = 0; !rc && i < n; i++) {
            double dd = fabs((double)x[i] - (double)ref[i]), r = fabs((double)ref[i]);
            if (dd != dd) nan = 1;
            else if (dd > md) md = dd;
            if (r > mr) mr = r;
        }
        HERO_FREE(ref);
    } else if (f->dtype == HERO_I32 || f->dtype == HERO_U8) {
        int64_t *ref = (int64_t *)hero__dat_alloc(n, sizeof(int64_t));
        if (!ref) return hero__fail(err, HERO_ENOMEM, "%s: out of memory reading %s", hero__dat_path(tf), name);
        rc = hero_tensor_read_i64(t, ref, (int64_t)n, err);
        for (i = 0; !rc && i < n; i++) {
            double g = f->dtype == HERO_U8 ? (double)((const uint8_t *)f->data)[i] : (double)((const int32_t *)f->data)[i];
            double dd = fabs((double)ref[i] - g), r = fabs((double)ref[i]);
            if (dd > md) md = dd;
            if (r > mr) mr = r;
        }
        HERO_FREE(ref);
    } else {
        return hero__fail(err, HERO_EINVAL, "%s: tensor %s: field dtype %s unsupported", hero__dat_path(tf), name, hero_dtype_name(f->dtype));
    }
    if (rc) return rc;
    *rel_err = nan ? (double)NAN : md / (mr > 1e-6 ? mr : 1e-6);
    return HERO_OK;
}

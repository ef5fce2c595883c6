/* ---- Media: subtitles (SRT, the official JSONL), text normalisation, subtitle -> frame
   alignment, video features (ResNet + SlowFast .npz) -> hero_video ---------------------------

   What the official preprocessing does (scripts/prepro_sub.py, data/data.py, HERO-SPEC.md 6),
   step by step, and the function that does it here:
     1. subtitles (text, start s, end s) per video        hero_subs_parse_srt / _jsonl
     2. text: HTML entities unescaped, a text that is
        entirely upper case lower-cased                    hero_text_normalize
     3. RoBERTa byte-level BPE, no special tokens          hero_tokenize(HERO_TOKENIZE_ROBERTA)
     4. each frame to the subtitle with the highest
        temporal IoU, the 100-frame cut                    hero_subs_align
     5. features: ResNet ++ SlowFast per frame             hero_feats_read_pair / hero_feats_read
     6. all of it as one hero_video                        hero_video_prepare
   The query side (prepro_query.py) only lower-cases an all-upper-case text (no unescaping):
   hero_text_normalize(..., 0, ...) then [CLS] + hero_tokenize ids.

   Needs formats_api.h (hero_json, hero_tensorfile), tokenizer_api.h (hero_tokenizer) and
   data_api.h (hero_video) first. */
#ifndef HERO_TOKENIZE_ROBERTA /* tokenizer_api.h not included yet: it defines this macro */
#include "tokenizer_api.h"
#endif
#ifdef __cplusplus
extern "C" {
#endif

/* ---------------- subtitles ---------------- */

typedef struct hero_sub {
    double start, end;  /* seconds, as read (the alignment rounds them to float32 like numpy) */
    char *text;         /* UTF-8, NUL-terminated, raw (not normalised) */
} hero_sub;

/* The subtitles of one video, sorted by start time (stable; the official code requires
   sorted input and asserts it: a file out of order is sorted here, by the float32 start the
   official assert compares). */
typedef struct hero_subtitles {
    char *name;         /* video name: JSONL "vid_name", SRT: the name given */
    int n;
    hero_sub *subs;     /* [n] */
} hero_subtitles;

#define HERO_SUBS_MAX_FILE ((size_t)1 << 30) /* largest subtitle file read (1 GiB) */
#define HERO_SUBS_MAX_CUES 1000000           /* most subtitles per video */
#define HERO_SUBS_MAX_TIME 1.0e7             /* latest time accepted, seconds (~115 days) */

/* SRT: cues "N" / "HH:MM:SS,mmm --> HH:MM:SS,mmm" / text lines / blank line. Accepted: a
   UTF-8 BOM, CRLF / CR / LF line ends, missing blank lines and missing cue numbers, '.' or
   ',' before the fraction (any number of digits), hours of any width or absent (MM:SS,mmm),
   trailing cue settings after the end time ("X1:..", "align:start"). A cue's text lines are
   trimmed and joined with one space; formatting tags <i> <b> <u> <s> <font ...> (and their
   closing tags, any case) and ASS overrides "{\...}" are removed; any other '<' stays text.
   Errors name the file (`name`) and line: a timing line that does not parse, a cue number
   without a timing line, end < start is kept (the official code does not check it). */
HERODEF int hero_subs_parse_srt(hero_subtitles *out, const char *data, size_t len, const char *name,
                                hero_error *err);
/* Reads an SRT file; the video name is the file name without directory and extension. */
HERODEF int hero_subs_read_srt(hero_subtitles *out, const char *path, hero_error *err);

/* The official subtitle JSONL: one video per line, {"vid_name": str, "sub": [{"text": str,
   "start": number, "end": number}, ...]} (other keys ignored; blank lines skipped). Fills
   *out with *n_videos HERO_MALLOC'd entries, in file order (a name given twice: both are
   kept; hero_subs_find returns the last one, as the official dict does). Errors name the
   file, line, key, and what was expected. */
HERODEF int hero_subs_parse_jsonl(hero_subtitles **out, int *n_videos, const char *data, size_t len,
                                  const char *name, hero_error *err);
HERODEF int hero_subs_read_jsonl(hero_subtitles **out, int *n_videos, const char *path, hero_error *err);
/* The entry named `name` (the last one if repeated), or NULL. */
HERODEF const hero_subtitles *hero_subs_find(const hero_subtitles *list, int n, const char *name);
HERODEF void hero_subtitles_free(hero_subtitles *s);               /* one (not the struct itself) */
HERODEF void hero_subs_list_free(hero_subtitles *list, int n);     /* the entries and the array */

/* ---------------- text normalisation ---------------- */

/* Python's html.unescape on UTF-8 text: numeric references &#NN; / &#xHH; (the ';' is
   optional; Windows-1252 remapping of 0x80..0x9F, 0 -> U+FFFD, surrogates and > U+10FFFF ->
   U+FFFD, noncharacters and C0/C1 controls -> nothing, exactly as Python) and named
   references from this table: the 252 HTML 4 entities + &apos; (+ AMP COPY GT LT QUOT REG),
   with ';', and the 106 legacy names that HTML5 also accepts without ';' including the
   longest-prefix rule ("&ampx" -> "&x", "&notit;" -> "\u00ACit;"). A named reference outside
   that table (one of HTML5's other ~1900 names, e.g. "&NotEqualTilde;") stays as written
   (Python would replace it). *out is HERO_MALLOC'd and NUL-terminated. */
HERODEF int hero_html_unescape(const char *in, size_t len, char **out, size_t *out_len, hero_error *err);

/* Python's str.isupper() on UTF-8 text: 1 when it has at least one upper-case character and
   no lower-case or title-case one (Unicode 14 Lowercase / Uppercase / Lt, as Python 3.11;
   every code point). Invalid UTF-8 bytes count as uncased. */
HERODEF int hero_text_isupper(const char *s, size_t len);

/* Python's str.lower() on UTF-8 text (Unicode 14, every code point, U+0130 -> "i\u0307",
   capital sigma -> final sigma at the end of a word; the word-boundary test treats
   combining marks U+0300..U+036F, apostrophes, '.', ':' and U+00B7 as case-ignorable,
   a subset of Unicode's Case_Ignorable). Invalid bytes are copied. */
HERODEF int hero_text_lower(const char *in, size_t len, char **out, size_t *out_len, hero_error *err);

/* The official text rule: unescape (when `unescape`: subtitles yes, queries no), then, if
   the whole text isupper(), lower(). */
HERODEF int hero_text_normalize(const char *in, size_t len, int unescape, char **out, size_t *out_len,
                                hero_error *err);

/* ---------------- subtitle -> frame alignment ---------------- */

/* Which frames each subtitle row gets (the official unique_sub2frames after the
   max_clip_len cut of SubTokLmdb.compute_sub2frames). */
typedef struct hero_sub_frames {
    int n_rows;          /* subtitle rows kept (rows 0..n_rows-1 = subtitles 0..n_rows-1) */
    int pseudo;          /* 1: the video has no subtitles: rows are empty pseudo-subtitles
                            over consecutive 5-frame windows */
    int T;               /* frames after the cut: min(n_frames, max_frames) */
    int32_t *nframes;    /* [n_rows] */
    int32_t *frames;     /* [sum nframes], per row strictly ascending, each < T */
} hero_sub_frames;

/* The official alignment (prepro_sub.py process_single_vid_sub with float32 times, as numpy
   computes them): frame r covers [r, r+1) in units of frame_len; subtitle i's candidate
   frames are floor(start/fl) .. ceil(end/fl)-1; a subtitle starting at or after
   n_frames*fl gets none; the LAST subtitle, when min(end, n_frames*fl) - start > 16 s, keeps
   only its first 11 candidates. Each frame goes to the candidate subtitle with the highest
   temporal IoU (first on ties; all IoUs 0: subtitle 0). Then the cut: max_frames > 0 and
   n_frames > max_frames: rows are kept in order until the first one with a frame >= the cut
   (that row keeps its frames below it; a row with frames, all cut, is dropped), frames >= cut
   removed. No subtitles (subs NULL or n 0): pseudo-rows over 5-frame windows, same cut.
   n_frames: the video's frames before any cut (>= 1); frame_len > 0. */
HERODEF int hero_subs_align(const hero_subtitles *subs, int n_frames, double frame_len, int max_frames,
                            hero_sub_frames *out, hero_error *err);
HERODEF void hero_sub_frames_free(hero_sub_frames *a);

/* ---------------- video features ---------------- */

#define HERO_FEAT_RESNET 2048    /* default feature widths of the released model */
#define HERO_FEAT_SLOWFAST 2304

typedef struct hero_feats {
    int T;          /* frames kept: min(T_full, max_frames) */
    int T_full;     /* frames the files have (the shorter one of a pair), before the cut */
    int F;          /* floats per frame */
    float *data;    /* [T*F], HERO_MALLOC'd */
} hero_feats;

/* ResNet then SlowFast features of one video, joined per frame (resnet ++ slowfast), cut to
   the shorter of the two and to max_frames (> 0). Each file: .npz with a member "features"
   (or .npy), 2-D [T, dim], f16 / f32 / f64 / bf16; every value must be finite. dim_resnet /
   dim_slowfast: the widths required (2048 / 2304 for the release); errors name the file and
   what was expected. */
HERODEF int hero_feats_read_pair(hero_feats *out, const char *resnet_path, const char *slowfast_path,
                                 int dim_resnet, int dim_slowfast, int max_frames, hero_error *err);
/* Pre-joined features: .npy, or .npz with "features" (or exactly one member), [T, F]. */
HERODEF int hero_feats_read(hero_feats *out, const char *path, int F, int max_frames, hero_error *err);
HERODEF void hero_feats_free(hero_feats *f);

/* ---------------- one video, ready for hero_build_batch ---------------- */

typedef struct hero_media_options {
    double frame_len;      /* 1.5 s (vfeat_interval of the TV / HowTo100M features) */
    int max_frames;        /* 100 (max_clip_len) */
    int max_sub_tokens;    /* 60 (max_txt_len); <= 0: no cut. NOTE: the official inference
                              (eval_vcmr.py: VideoFeatSubTokDataset + video_collate) does not
                              cut subtitles; training does (MLM, VSM). Use 0 for inference
                              parity when a subtitle has more than 60 tokens. */
} hero_media_options;

HERODEF hero_media_options hero_media_options_default(void);

/* A hero_video with its own arrays. */
typedef struct hero_video_data {
    hero_video video;      /* views into the arrays below */
    float *feats;          /* [T*F] */
    int32_t *sub_len, *sub_tokens, *sub_nframes, *sub_frames;
    int pseudo;            /* the video had no subtitles */
    int n_tokens_cut;      /* how many subtitles were cut to max_sub_tokens */
} hero_video_data;

/* Aligns subs (may be NULL: no subtitles) to feats->T_full frames, cuts at o->max_frames,
   normalises (unescape + upper-case rule) and tokenizes each kept subtitle (tok, no special
   tokens, HF RoBERTa semantics), cuts to o->max_sub_tokens. feats->T must equal
   min(T_full, max_frames) (as hero_feats_read* leave it); its data is copied. */
HERODEF int hero_video_prepare(hero_video_data *out, const hero_feats *feats, const hero_subtitles *subs,
                               const hero_tokenizer *tok, const hero_media_options *o, hero_error *err);
HERODEF void hero_video_data_free(hero_video_data *v);

/* ---------------- VCMR ranking (eval_vcmr.py validate_full_vcmr) ---------------- */

typedef struct hero_vcmr_options {
    float q2c_alpha;       /* 20: video score = exp(q2c_alpha * q2video) */
    int max_vcmr_video;    /* 100: moments only from the best this many videos */
    int min_pred_l;        /* 2: a span (st, ed) needs min_pred_l <= ed - st < max_pred_l */
    int max_pred_l;        /* 16 */
} hero_vcmr_options;       /* defaults: config/train-{tvr,how2r,didemo_video_sub}-*.json */

HERODEF hero_vcmr_options hero_vcmr_options_default(void);

typedef struct hero_moment {
    int video;             /* index into the B videos */
    int st, ed;            /* frames; the moment is [st*fl, (ed+1)*fl) seconds */
    float score;           /* softmax(st)[st] * exp(alpha * q2video) * softmax(ed)[ed] */
    float video_score;     /* q2video (max cosine over frames) */
} hero_moment;

/* Ranks moments for ONE query from hero_vcmr_scores' outputs: q2video [B], st / ed [B, L]
   logits (after mask_logits). As the official code: softmax of st and ed over all L
   positions; the max_vcmr_video videos with the highest exp(alpha * q2video) (ties: lower
   index first); every (st, ed) with min_pred_l <= ed - st < max_pred_l scored by the product
   above; sorted descending (ties: video rank, then st, then ed). Writes at most max_out
   moments and returns how many (or a negative HERO_E*). best_per_video != 0: only each
   video's best moment (the official list with repeats of a video removed). A moment with
   score 0 (a video too short for any span) is never returned. */
HERODEF int hero_vcmr_rank(const float *q2video, const float *st, const float *ed, int B, int L,
                           const hero_vcmr_options *o, int best_per_video, hero_moment *out, int max_out,
                           hero_error *err);

#ifdef __cplusplus
}
#endif

#!/usr/bin/env bash
# End-to-end test of examples/retrieve.c with the tiny golden model (tests/golden/tiny, F = 20,
# vocabulary 107): a synthetic video folder (ResNet + SlowFast .npz pairs in f32 / f16, a
# pre-joined .npy, subs.jsonl, an .srt, a video without subtitles) and a tiny byte-level BPE
# vocabulary are written by `test_media --fixture`; retrieve runs twice (the second run must
# take every video from the cache and print the same), then bad inputs must exit 1 with a
# message naming the problem.
#
#   bash tests/test_retrieve.sh [BUILD]      (BUILD default build; builds retrieve and
#                                             test_media there when missing or stale)
# Prints PASS / FAIL lines and last "N passed, M failed"; exit status 1 on any failure.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
. tests/lib.sh

# ---- build (same flags as the README; OpenBLAS when pkg-config knows it) ----
mkdir -p "$BUILD"
CC=${CC:-cc}
BLAS_CFLAGS=""; BLAS_LIBS=""
if pkg-config --exists openblas 2>/dev/null; then
    BLAS_CFLAGS="-DHERO_USE_CBLAS $(pkg-config --cflags openblas)"; BLAS_LIBS=$(pkg-config --libs openblas)
fi
build() { # program source
    local out=$BUILD/$1 src=$2 dep
    local stale=0
    [ -x "$out" ] || stale=1
    for dep in "$src" hero.h; do [ "$dep" -nt "$out" ] && stale=1; done
    if [ "$stale" -eq 1 ]; then
        # shellcheck disable=SC2086
        if ! $CC -std=c99 -O2 -Wall -Wextra -Wpedantic $BLAS_CFLAGS "$src" -o "$out" $BLAS_LIBS -lm; then
            bad "build $1" "compilation failed"; finish
        fi
    fi
}
build retrieve examples/retrieve.c
build test_media tests/test_media.c

T=$(mktemp -d "${TMPDIR:-/tmp}/hero_retrieve.XXXXXX")
trap 'rm -rf "$T"' EXIT
V=$T/videos
mkdir -p "$V/resnet_features" "$V/slowfast_features" "$T/tok"
if ! "$BUILD/test_media" --fixture "$V" "$T/tok"; then bad "fixture" "test_media --fixture failed"; finish; fi

GOLD=tests/golden/tiny
ARGS=(--config "$GOLD/config.json" --model "$GOLD/model.pt" --vocab "$T/tok/vocab.json" --merges "$T/tok/merges.txt" --feat-dims 8,12)
Q=("the door" "A MAN IN THE HALL" "a man in the hall" "wow")
run() { # name, extra args..., then queries via Q; sets out, errtext, rc
    "$BUILD/retrieve" "${ARGS[@]}" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    out=$(cat "$T/out"); errtext=$(cat "$T/err")
}

# ---- first run: encodes every video, writes the cache ----
run --videos "$V" "${Q[@]}"
first=$out
if [ "$rc" -eq 0 ] && grep -q "encoding videos 1..4 of 4" "$T/err" && [ -f "$V/hero_cache.safetensors" ]; then
    ok "first run encodes 4 videos and writes DIR/hero_cache.safetensors"
else
    bad "first run" "rc $rc: $errtext"
fi

# output format: per query a header and up to --top lines
line_re='^  [0-9]+\. vid_[abcd] \[[0-9]+\.[0-9]{2} s, [0-9]+\.[0-9]{2} s\] score [0-9.e+-]+ \(video -?[0-9]\.[0-9]{4}\)$'
n_head=$(printf '%s\n' "$out" | grep -c '^query [1-4]: ')
n_line=$(printf '%s\n' "$out" | grep -Ec "$line_re")
n_all=$(printf '%s\n' "$out" | wc -l)
if [ "$n_head" -eq 4 ] && [ "$n_line" -eq 16 ] && [ "$n_all" -eq 20 ]; then
    ok "output format: 4 queries x 4 videos, 'N. video [st s, ed s] score S (video V)'"
else
    bad "output format" "headers $n_head, moment lines $n_line, lines $n_all:
$out"
fi
# every video once per query, the JSONL-only vid_x never; moments inside the videos, ed - st in [2, 15] frames
badm=$(printf '%s\n' "$out" | grep -E "$line_re" | awk '
    { name = $2; st = substr($3, 2) + 0; ed = $5 + 0;
      T = (name == "vid_a") ? 12 : (name == "vid_b") ? 10 : (name == "vid_c") ? 9 : 16;
      n = (ed - st) / 1.5;
      if (st < 0 || ed > T * 1.5 + 1e-6 || n < 3 - 1e-6 || n > 16 + 1e-6) print }')
per_q=$(printf '%s\n' "$out" | awk '/^query/ { q++ } /^  [0-9]/ { seen[q, $2]++ } END { n = 0; for (k in seen) n++; print n }')
if [ -z "$badm" ] && [ "$per_q" -eq 16 ] && ! printf '%s\n' "$out" | grep -q vid_x; then
    ok "moments lie inside their videos with min_pred_l <= ed - st < max_pred_l; each video once per query"
else
    bad "moments" "bad: $badm, distinct $per_q"
fi
# the query side lower-cases an all-upper-case query (prepro_query.py)
q2=$(printf '%s\n' "$out" | awk '/^query 2:/ { f = 1; next } /^query/ { f = 0 } f')
q3=$(printf '%s\n' "$out" | awk '/^query 3:/ { f = 1; next } /^query/ { f = 0 } f')
# Same ranking, moments and video scores; the moment score may differ in its last printed digit
# (the two queries are different rows of one batched product: rounding can differ by an ulp).
same_rank() { # a b: every field equal but the score, which must agree to 1e-5 relative
    paste -d'|' <(printf '%s\n' "$1") <(printf '%s\n' "$2") | awk -F'|' '
        { na = split($1, a, " "); nb = split($2, b, " ");
          if (na != nb) { bad = 1; next }
          for (i = 1; i <= na; i++) {
              if (i > 1 && a[i - 1] == "score") { d = a[i] - b[i]; if (d < 0) d = -d; m = (a[i] < 0 ? -a[i] : a[i]);
                                        if (d > 1e-5 * (m > 1 ? m : 1)) bad = 1 }
              else if (a[i] != b[i]) bad = 1 } }
        END { exit bad }'
}
if [ -n "$q2" ] && same_rank "$q2" "$q3"; then ok "an all-caps query ranks like its lower-case form"; else bad "all-caps query" "differs:
$q2
---
$q3"; fi

# ---- second run: everything from the cache, same output ----
run --videos "$V" "${Q[@]}"
if [ "$rc" -eq 0 ] && grep -q "cache: all 4 videos from $V/hero_cache.safetensors" "$T/err" && ! grep -q "encoding" "$T/err"; then
    ok "second run takes all 4 videos from the cache (says so)"
else
    bad "second run cache" "rc $rc: $errtext"
fi
if [ "$out" = "$first" ]; then ok "second run prints identical output"; else bad "second run output" "differs"; fi

# ---- --top, --no-cache, a changed subtitle file, an explicit --cache ----
run --videos "$V" --top 2 "the door"
if [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -Ec "$line_re")" -eq 2 ] &&
   [ "$(printf '%s\n' "$out" | sed -n 2,3p | cut -d' ' -f1-8)" = "$(printf '%s\n' "$first" | sed -n 2,3p | cut -d' ' -f1-8)" ]; then
    ok "--top 2 prints the first two (scores may differ in the last digit: one query instead of a batch of 4)"
else
    bad "--top 2" "rc $rc: $out"
fi
run --videos "$V" --no-cache "${Q[@]}"
if [ "$rc" -eq 0 ] && [ "$out" = "$first" ] && grep -q "encoding" "$T/err" && ! grep -q "cache:" "$T/err"; then
    ok "--no-cache re-encodes and prints the same"
else
    bad "--no-cache" "rc $rc: $errtext"
fi
touch -d '2001-02-03 04:05:06' "$V/vid_b.srt"
run --videos "$V" "${Q[@]}"
if [ "$rc" -eq 0 ] && [ "$out" = "$first" ] && grep -q "cache: 0 of 4 videos" "$T/err"; then
    ok "a subtitle file with a new mtime invalidates its batch; same output"
else
    bad "mtime invalidation" "rc $rc: $errtext"
fi
run --videos "$V" --video-batch 1 --cache "$T/c1.safetensors" "${Q[@]}"
run --videos "$V" --video-batch 1 --cache "$T/c1.safetensors" "${Q[@]}"
if [ "$rc" -eq 0 ] && grep -q "cache: all 4 videos from $T/c1.safetensors" "$T/err" &&
   [ "$(printf '%s\n' "$out" | grep -Ec "$line_re")" -eq 16 ]; then
    ok "--video-batch 1 --cache FILE: per-video batches, cached in FILE"
else
    bad "--video-batch 1 --cache" "rc $rc: $errtext"
fi
printf 'not a safetensors file' >"$V/hero_cache.safetensors"
run --videos "$V" "${Q[@]}"
if [ "$rc" -eq 0 ] && [ "$out" = "$first" ] && grep -q "warning: cache .* unreadable" "$T/err"; then
    ok "a corrupt cache file is rebuilt (warning), same output"
else
    bad "corrupt cache" "rc $rc: $errtext"
fi

# ---- errors: exit 1 with a message naming the problem ----
expect_fail() { # name, pattern, args...
    local name=$1 pat=$2
    shift 2
    "$BUILD/retrieve" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$T/err" && [ ! -s "$T/out" ]; then
        ok "error: $name -> exit 1, '$pat'"
    else
        bad "error: $name" "rc $rc, stderr: $(cat "$T/err")"
    fi
}
copy() { rm -rf "$T/bad"; cp -r "$V" "$T/bad"; rm -f "$T/bad/hero_cache.safetensors"; }
expect_fail "missing checkpoint" "nope.pt" --config "$GOLD/config.json" --model "$T/nope.pt" --vocab "$T/tok/vocab.json" \
    --merges "$T/tok/merges.txt" --feat-dims 8,12 --videos "$V" "the door"
expect_fail "missing vocab" "no_vocab.json" --config "$GOLD/config.json" --model "$GOLD/model.pt" --vocab "$T/no_vocab.json" \
    --merges "$T/tok/merges.txt" --feat-dims 8,12 --videos "$V" "the door"
expect_fail "missing video folder" "not a directory" "${ARGS[@]}" --videos "$T/no_such_dir" "the door"
mkdir -p "$T/empty"
expect_fail "folder without features" "no video features" "${ARGS[@]}" --videos "$T/empty" "the door"
copy; printf 'PK\003\004 this is not a zip file at all' >"$T/bad/resnet_features/vid_c.npz"
expect_fail "corrupt npz" "resnet_features/vid_c.npz" "${ARGS[@]}" --videos "$T/bad" "the door"
copy; printf 'garbage' >"$T/bad/slowfast_features/vid_d.npz"
expect_fail "garbage npz" "slowfast_features/vid_d.npz" "${ARGS[@]}" --videos "$T/bad" "the door"
copy; rm "$T/bad/slowfast_features/vid_a.npz"
expect_fail "missing SlowFast file" "slowfast_features/vid_a.npz: missing" "${ARGS[@]}" --videos "$T/bad" "the door"
copy; "$BUILD/test_media" --nan-npy "$T/bad/vid_b.npy" 10 20
expect_fail "NaN features" "vid_b.npy: features\[9\]\[10\] is NaN" "${ARGS[@]}" --videos "$T/bad" "the door"
expect_fail "feature widths" "expected \[T >= 1, 10\]" --config "$GOLD/config.json" --model "$GOLD/model.pt" --vocab "$T/tok/vocab.json" \
    --merges "$T/tok/merges.txt" --feat-dims 10,10 --videos "$V" "the door"
copy; printf 'this is not\nan srt file\n' >"$T/bad/vid_b.srt"
expect_fail "bad SRT" "vid_b.srt:1:" "${ARGS[@]}" --videos "$T/bad" "the door"
copy; printf '{"vid_name": "vid_a", "sub": [{"text": "x", "start": "0", "end": 1}]}\n' >"$T/bad/subs.jsonl"
expect_fail "bad JSONL" "subs.jsonl:1: video \"vid_a\": sub\[0\].start" "${ARGS[@]}" --videos "$T/bad" "the door"
expect_fail "no query" "no QUERY" "${ARGS[@]}" --videos "$V"
expect_fail "unknown option" "unknown option --bogus" "${ARGS[@]}" --videos "$V" --bogus "the door"
expect_fail "bad number" "--top: expected an integer" "${ARGS[@]}" --videos "$V" --top zero "the door"
finish

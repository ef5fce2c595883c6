#!/usr/bin/env bash
# End-to-end test of examples/videoqa.c with the fine-tuned tiny video QA checkpoint
# (tests/golden/tiny-downstream/videoqa.pt, F = 20): the synthetic video folder and tiny BPE
# vocabulary of `test_media --fixture` (as tests/test_retrieve.sh), a question with 5 answers asked
# of every video; checks the output format, moments inside the videos, --video giving the same
# line, the answer invariant under reordering the candidates (each candidate's logit depends only
# on its own rows), and bad inputs refused with a message.
#
#   bash tests/test_videoqa.sh [BUILD]
# Prints PASS / FAIL lines and last "N passed, M failed"; exit status 1 on any failure.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
. tests/lib.sh

mkdir -p "$BUILD"
CC=${CC:-cc}
BLAS_CFLAGS=""; BLAS_LIBS=""
if pkg-config --exists openblas 2>/dev/null; then
    BLAS_CFLAGS="-DHERO_USE_CBLAS $(pkg-config --cflags openblas)"; BLAS_LIBS=$(pkg-config --libs openblas)
fi
build() { # program source
    local out=$BUILD/$1 src=$2 dep stale=0
    [ -x "$out" ] || stale=1
    for dep in "$src" hero.h; do [ "$dep" -nt "$out" ] && stale=1; done
    if [ "$stale" -eq 1 ]; then
        # shellcheck disable=SC2086
        if ! $CC -std=c99 -O2 -Wall -Wextra -Wpedantic $BLAS_CFLAGS "$src" -o "$out" $BLAS_LIBS -lm; then
            bad "build $1" "compilation failed"; finish
        fi
    fi
}
build videoqa examples/videoqa.c
build test_media tests/test_media.c

T=$(mktemp -d "${TMPDIR:-/tmp}/hero_videoqa.XXXXXX")
trap 'rm -rf "$T"' EXIT
V=$T/videos
mkdir -p "$V/resnet_features" "$V/slowfast_features" "$T/tok"
if ! "$BUILD/test_media" --fixture "$V" "$T/tok"; then bad "fixture" "test_media --fixture failed"; finish; fi

D=tests/golden/tiny-downstream
ARGS=(--config "$D/config.json" --model "$D/videoqa.pt" --vocab "$T/tok/vocab.json" --merges "$T/tok/merges.txt" --feat-dims 8,12)
A=(--answer "the door" --answer "in the hall" --answer "wow" --answer "a man" --answer "THE HALL")
run() { # args...; sets out, errtext, rc
    "$BUILD/videoqa" "${ARGS[@]}" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    out=$(cat "$T/out"); errtext=$(cat "$T/err")
}

run --videos "$V" --question "where is the man" "${A[@]}"
all=$out
line_re='^vid_[abcd]: answer [0-4] "[^"]+" \(p 0\.[0-9]{3}\) moment \[[0-9]+\.[0-9]{2} s, [0-9]+\.[0-9]{2} s\]$'
n_line=$(printf '%s\n' "$out" | grep -Ec "$line_re")
if [ "$rc" -eq 0 ] && [ "$n_line" -eq 4 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ]; then
    ok "every video of the folder answered: 'vid: answer a \"text\" (p P) moment [st s, ed s]'"
else
    bad "output" "rc $rc, $n_line lines in the format: $out $errtext"
fi
# moments inside the videos (frames 12, 10, 9, 16 at 1.5 s), st < ed; p >= 1/5
badm=$(printf '%s\n' "$out" | awk '
    { name = $1; sub(":", "", name); st = substr($(NF - 3), 2) + 0; ed = $(NF - 1) + 0; p = $(NF - 5) + 0;
      T = (name == "vid_a") ? 12 : (name == "vid_b") ? 10 : (name == "vid_c") ? 9 : 16;
      if (st < 0 || ed > T * 1.5 + 1e-6 || ed <= st || p < 0.2 - 1e-3) print }')
if [ -z "$badm" ] && [ "$rc" -eq 0 ]; then ok "moments inside their videos, p of the answer >= 1/5"; else bad "moments" "$badm"; fi

run --videos "$V" --video vid_c --question "where is the man" "${A[@]}"
if [ "$rc" -eq 0 ] && [ "$out" = "$(printf '%s\n' "$all" | grep '^vid_c:')" ]; then ok "--video vid_c: the same line"; else bad "--video" "$out / $errtext"; fi

# reversed candidates: the same answer text and p for every video
run --videos "$V" --question "where is the man" --answer "THE HALL" --answer "a man" --answer "wow" --answer "in the hall" --answer "the door"
norm() { sed -E 's/answer [0-9]+ //; s/ moment.*//'; }
if [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | norm)" = "$(printf '%s\n' "$all" | norm)" ]; then
    ok "candidates reversed: the same answers and probabilities"
else
    bad "candidates reversed" "$(printf '%s\n' "$out" | norm) vs $(printf '%s\n' "$all" | norm)"
fi

expect_fail() { # name, needle, args...
    local name=$1 needle=$2; shift 2
    "$BUILD/videoqa" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q -- "$needle" "$T/err"; then ok "$name"; else bad "$name" "rc $rc: $(cat "$T/err")"; fi
}
expect_fail "one answer refused" "at least two --answer" "${ARGS[@]}" --videos "$V" --question "q" --answer "a"
expect_fail "no question refused" "--question is required" "${ARGS[@]}" --videos "$V" "${A[@]}"
expect_fail "a VCMR checkpoint refused" "not a video QA model" --config "$D/config.json" --model "$D/vcmr.pt" --vocab "$T/tok/vocab.json" \
    --merges "$T/tok/merges.txt" --feat-dims 8,12 --videos "$V" --question "q" "${A[@]}"
expect_fail "feature widths not adding up to F refused" "floats per frame" --config "$D/config.json" --model "$D/videoqa.pt" \
    --vocab "$T/tok/vocab.json" --merges "$T/tok/merges.txt" --feat-dims 8,13 --videos "$V" --question "q" "${A[@]}"
expect_fail "an unknown video refused" "no such video" "${ARGS[@]}" --videos "$V" --video vid_z --question "q" "${A[@]}"
expect_fail "a missing folder refused" "not a directory" "${ARGS[@]}" --videos "$T/nope" --question "q" "${A[@]}"
finish

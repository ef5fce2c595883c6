#!/usr/bin/env bash
# The retrieval index (hero_index_*): build/test_index on the retrieve fixture (`test_media
# --fixture`), compared with what build/retrieve prints for the same videos and queries (search
# results equal retrieve's byte for byte; save / load / incremental / hostile files: see
# tests/test_index.c); then the README's two-call program ("Using it": the code block after the
# marker comment) is extracted, compiled and run on a one-file model, so the README cannot rot.
#   bash tests/test_index.sh [BUILD]   (needs BUILD/test_index, retrieve, test_media, hero_convert)
# Prints PASS / FAIL lines, then "N passed, M failed"; exit status 1 on any failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
. tests/lib.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/hero_index.XXXXXX")
trap 'rm -rf "$T"' EXIT
G=tests/golden/tiny
mkdir -p "$T/v/resnet_features" "$T/v/slowfast_features" "$T/tok"
if ! "$BUILD/test_media" --fixture "$T/v" "$T/tok" >/dev/null; then bad "fixture" "test_media --fixture failed"; finish; fi
Q=("the door" "A MAN IN THE HALL" "a man in the hall" "wow")
if ! "$BUILD/retrieve" --config $G/config.json --model $G/model.pt --vocab "$T/tok/vocab.json" --merges "$T/tok/merges.txt" \
    --feat-dims 8,12 --no-cache --videos "$T/v" "${Q[@]}" >"$T/retrieve.txt" 2>"$T/err"; then
    bad "retrieve" "$(cat "$T/err")"; finish
fi
out=$("$BUILD/test_index" $G "$T" "$T/retrieve.txt" 2>&1); rc=$?
printf '%s\n' "$out" | grep -E '^(PASS|FAIL|   )'
p=$(printf '%s\n' "$out" | tail -n 1 | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p')
if [ -n "$p" ]; then pass=$((pass + ${p% *})); fail=$((fail + ${p#* })); else bad "test_index" "no summary (exit $rc): $(printf '%s\n' "$out" | tail -n 3)"; fi
[ "$rc" -ne 0 ] && [ -n "$p" ] && [ "${p#* }" -eq 0 ] && bad "test_index" "exit $rc"

# ---- the README's program ----
awk '/^<!-- tests\/test_index.sh extracts the next code block/ { f = 1; next }
     f == 1 && /^```c$/ { f = 2; next }
     f == 2 && /^```$/ { exit }
     f == 2 { print }' README.md >"$T/search.c"
if [ "$(wc -l <"$T/search.c")" -lt 20 ]; then
    bad "README program" "the code block after the marker was not found in README.md"
else
    CC=${CC:-cc}
    # shellcheck disable=SC2086
    if ! $CC -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -I. "$T/search.c" -o "$T/search" -lm 2>"$T/cc.txt"; then
        bad "README program compiles warning-free (-Wall -Wextra -Wpedantic -Werror)" "$(head -n 20 "$T/cc.txt")"
    else
        ok "README program compiles warning-free (-Wall -Wextra -Wpedantic -Werror)"
        "$BUILD/hero_convert" $G/model.pt "$T/one.safetensors" --config $G/config.json --vocab "$T/tok/vocab.json" \
            --merges "$T/tok/merges.txt" >/dev/null 2>"$T/err" || bad "one-file model for the README program" "$(cat "$T/err")"
        "$T/search" "$T/one.safetensors" "the door" "$T/v/vid_b.npy" "$T/v/vid_b.srt" "$T/v/vid_b.npy" >"$T/out" 2>"$T/err"; rc=$?
        n=$(grep -cE '^[12]\. .*/vid_b\.npy \[[0-9]+\.[0-9]{2} s, [0-9]+\.[0-9]{2} s\] score [0-9.e+-]+$' "$T/out")
        if [ $rc -eq 0 ] && [ "$n" -eq 2 ] && [ "$(wc -l <"$T/out")" -eq 2 ]; then
            ok "README program runs: 2 videos (one with an .srt) indexed, 2 hits printed"
        else
            bad "README program run" "exit $rc, $(cat "$T/out" "$T/err")"
        fi
        "$T/search" "$T/one.safetensors" "the door" "$T/v/missing.npy" >"$T/out" 2>"$T/err"; rc=$?
        if [ $rc -eq 1 ] && grep -q "missing.npy" "$T/err"; then ok "README program: a missing video file -> exit 1 naming it"
        else bad "README program, missing file" "exit $rc, $(cat "$T/err")"; fi
    fi
fi
finish

#!/usr/bin/env bash
# Tests of hero_golden itself (tests/hero_golden.c) on altered copies of tests/golden/tiny:
#   - a folder with a task file, train.safetensors and roberta_init/ removed: "# ... absent"
#     lines, and with --expect the line-count FAIL line and exit 1
#   - a task file whose grad.* tensors are gone (renamed in the safetensors header): its
#     gradients are not compared, a "grad-set - SKIP" line, no FAIL
#   - a VSM file whose in.vids differs from the batch's videos: the in.vids line fails
# usage: tests/test_golden_tool.sh [BUILD]   (BUILD/hero_golden must exist)
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
. tests/lib.sh
G=tests/golden/tiny
GOLDEN=$BUILD/hero_golden
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -x "$GOLDEN" ] || { bad "hero_golden built" "$GOLDEN missing"; finish; }
# full folder: the counts run_tests.sh expects
run_golden() { "$GOLDEN" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }

# 1. files removed
mkdir -p "$TMP/gone"
cp -r $G/. "$TMP/gone/"
rm -r "$TMP/gone/fom.safetensors" "$TMP/gone/train.safetensors" "$TMP/gone/roberta_init"
run_golden --expect 831 --expect-skip 0 "$TMP/gone"
if [ $rc -eq 1 ] && grep -q "^$TMP/gone line-count - FAIL (457 lines checked, expected 831" "$TMP/out" &&
    [ "$(grep -c '^# .* absent, not compared$' "$TMP/out")" -eq 3 ] && tail -n 1 "$TMP/out" | grep -q '^457 passed, 1 failed$'; then
    ok "fom.safetensors, train.safetensors, roberta_init/ removed: 3 absent lines, line-count FAIL, exit 1"
else bad "files removed" "rc $rc: $(grep -v ' OK$' "$TMP/out" | tail -n 5)"; fi
run_golden "$TMP/gone"
if [ $rc -eq 0 ] && [ "$(grep -c ' absent, not compared$' "$TMP/out")" -eq 3 ]; then ok "without --expect: absent files named, exit 0"
else bad "without --expect" "rc $rc"; fi

# the safetensors header (8-byte length + JSON) of $1 with sed expression $2 applied (same length)
patch_header() {
    local n
    n=$(od -An -t u8 -N 8 "$1" | tr -d ' ')
    { head -c $((8 + n)) "$1" | LC_ALL=C sed "$2"; tail -c +$((9 + n)) "$1"; } >"$1.new" && mv "$1.new" "$1"
}

# 2. a task file without gradients
mkdir -p "$TMP/nograd"
cp $G/config.json $G/model.pt $G/vsm.safetensors "$TMP/nograd/"
patch_header "$TMP/nograd/vsm.safetensors" 's/"grad\./"gxad./g'
run_golden "$TMP/nograd"
if [ $rc -eq 0 ] && grep -qx 'vsm grad-set - SKIP (the task file holds no grad.\* tensors: gradients not compared)' "$TMP/out" &&
    ! grep -q '^vsm grad\.' "$TMP/out" && grep -q '^vsm out.loss .* OK$' "$TMP/out"; then
    ok "VSM file without grad.* tensors: outputs compared, grad-set SKIP, no FAIL"
else bad "VSM file without grad.*" "rc $rc: $(grep -v ' OK$' "$TMP/out" | tail -n 5)"; fi

# 3. in.vids that does not match the batch: the stored raw video indices 0 1 2 become 0 2 1
mkdir -p "$TMP/vids"
cp $G/config.json $G/model.pt $G/vsm.safetensors "$TMP/vids/"
f=$TMP/vids/vsm.safetensors
n=$(od -An -t u8 -N 8 "$f" | tr -d ' ')
off=$(head -c $((8 + n)) "$f" | tail -c +9 | grep -o '"in\.vids":{[^}]*}' | sed 's/.*"data_offsets":\[\([0-9]*\),.*/\1/')
if [ -n "$off" ] && [ "$(od -An -t d8 -j $((8 + n + off)) -N 24 "$f" | xargs)" = "0 1 2" ]; then
    printf '\002' | dd of="$f" bs=1 seek=$((8 + n + off + 8)) conv=notrunc status=none
    printf '\001' | dd of="$f" bs=1 seek=$((8 + n + off + 16)) conv=notrunc status=none
fi
run_golden "$TMP/vids"
if [ $rc -eq 1 ] && grep -q '^vsm in.vids [0-9.e+-]* FAIL$' "$TMP/out" && [ "$(grep -c ' FAIL' "$TMP/out")" -eq 1 ]; then
    ok "in.vids 0 2 1 where the batch holds raw videos 0 1 2: that line fails"
else bad "in.vids compared" "rc $rc (offset ${off:-?}): $(grep 'vids\|FAIL' "$TMP/out" | head -n 3)"; fi
finish

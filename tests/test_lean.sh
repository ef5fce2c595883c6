#!/usr/bin/env bash
# Lean inference, files: every file format hero_convert writes (f32, f16, bf16 --lean, q8_0)
# loads into every in-memory format (f32, bf16, f16, q8_0) and passes hero_golden with the
# coarser format's rule (an f32 model from a bf16 / q8_0 file: its weights are checked by
# hero_convert --check; tests/golden/tiny's weights are f16-exact, so f16 -> f32 keeps 1e-4); hero_convert --check (each file equals its source after its rounding; q8_0:
# a q8_0 model from the file equals one from model.pt byte for byte).
# usage: tests/test_lean.sh [BUILD]   Prints PASS / FAIL lines, then "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
. tests/lib.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
G=tests/golden/tiny
for f in f32 f16 bf16 q8_0; do
    lean=; [ $f = bf16 ] && lean=--lean # every tensor in bf16 is not what a bf16 model holds (LayerNorms, biases stay f32)
    out=$("$BUILD/hero_convert" $G/model.pt "$TMP/m_$f.safetensors" --dtype $f $lean --check $G/config.json 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "hero_convert --dtype $f --check: $(printf '%s\n' "$out" | tail -n 1)"
    else bad "hero_convert --dtype $f --check" "rc $rc: $(printf '%s\n' "$out" | tail -n 3)"; continue; fi
    for m in f32 bf16 f16 q8_0; do
        # an f32 (training) model from a rounded file: hero_convert --check compared its weights
        if [ $m = f32 ] && [ $f != f32 ] && [ $f != f16 ]; then continue; fi
        out=$("$BUILD/hero_golden" --model "$TMP/m_$f.safetensors" --dtype $m $G 2>&1); rc=$?
        last=$(printf '%s\n' "$out" | tail -n 1)
        worst=$(printf '%s\n' "$out" | awk '$4 == "OK" && $3 + 0 > w { w = $3 + 0 } END { print w + 0 }')
        case "$last" in
            *" passed, 0 failed") [ $rc -eq 0 ] && ok "file $f -> memory $m: hero_golden $last, worst err $worst" ||
                bad "file $f -> memory $m" "rc $rc" ;;
            *) bad "file $f -> memory $m" "$(printf '%s\n' "$out" | grep -m3 FAIL) / $last" ;;
        esac
    done
done
out=$("$BUILD/test_lean" $G --files "$TMP" 2>&1); rc=$?
printf '%s\n' "$out" | grep -E '^(PASS|FAIL)'
last=$(printf '%s\n' "$out" | tail -n 1)
case "$last" in *" passed, 0 failed") [ $rc -eq 0 ] && ok "mapped files used in place: $last" || bad "mapped files" "rc $rc" ;;
    *) bad "mapped files used in place" "$last" ;; esac
finish

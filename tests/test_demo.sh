#!/usr/bin/env bash
# The demo learns: a short toy pre-training run (build/train_toy) must make every task's loss
# fall, write its CSV and SVG, and retrieve held-out moments better after training than
# before. Also checks that a run stopped half way, saved and resumed writes exactly the
# same losses as the uninterrupted run.
# usage: tests/test_demo.sh [BUILD_DIR]    (default build)
# Prints PASS/FAIL lines and ends with "N passed, M failed"; exit status 1 on any failure.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN="$BUILD/train_toy"
. tests/lib.sh

if [ ! -x "$BIN" ]; then bad "$BIN not built (make $BIN)"; finish; fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hero_demo.XXXXXX") || { bad "mktemp"; finish; }
trap 'rm -rf "$TMP"' EXIT

# small and fast: about 10 s on one core with OpenBLAS (the default demo is 1200 updates of H 64)
ARGS=(--videos 300 --eval 24 --hidden 48 --heads 4 --layers 2 --batch 16 --lr 2e-3 --seed 7 --threads 1)

start=$(date +%s)
"$BIN" "${ARGS[@]}" --steps 500 --out "$TMP/a" > "$TMP/a.log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then ok "train_toy --steps 500 exits 0 (${secs} s)"; else bad "train_toy exit status $rc"; tail -n 20 "$TMP/a.log"; finish; fi

CSV="$TMP/a/losses.csv"
if [ "$(head -n 1 "$CSV" 2>/dev/null)" = "step,task,loss,grad_norm,lr" ] && [ "$(tail -n +2 "$CSV" | wc -l)" -eq 500 ]; then
    ok "losses.csv has the header and one row per update (500)"
else
    bad "losses.csv: bad header or row count"
fi

# each task: mean loss over the last 20% of its updates < mean over the first 20%
for task in mlm mfm-nce fom vsm; do
    line=$(awk -F, -v t="$task" 'NR > 1 && $2 == t { v[n++] = $3 }
        END { if (n < 5) { print "none", n; exit }
              k = int(n * 0.2); if (k < 1) k = 1
              for (i = 0; i < k; i++) { a += v[i]; b += v[n - 1 - i] }
              printf "%s %.4f %.4f %d\n", (b < a ? "yes" : "no"), a / k, b / k, n }' "$CSV")
    set -- $line
    if [ "$1" = "yes" ]; then ok "$task loss falls (first $2 -> last $3, $4 updates)"
    elif [ "$1" = "none" ]; then bad "$task: only $2 updates in the CSV"
    else bad "$task loss falls (first $2 -> last $3, $4 updates)"; fi
done

# retrieval: "before: R@1 x%, moment acc y%" / "after:  R@1 x%, moment acc y%"
b_r1=$(sed -nE 's/^before: +R@1 ([0-9.]+)%, moment acc ([0-9.]+)%.*/\1/p' "$TMP/a.log" | tail -n 1)
b_ma=$(sed -nE 's/^before: +R@1 ([0-9.]+)%, moment acc ([0-9.]+)%.*/\2/p' "$TMP/a.log" | tail -n 1)
a_r1=$(sed -nE 's/^after: +R@1 ([0-9.]+)%, moment acc ([0-9.]+)%.*/\1/p' "$TMP/a.log" | tail -n 1)
a_ma=$(sed -nE 's/^after: +R@1 ([0-9.]+)%, moment acc ([0-9.]+)%.*/\2/p' "$TMP/a.log" | tail -n 1)
if [ -z "$b_r1" ] || [ -z "$a_r1" ]; then
    bad "retrieval lines (before: / after:) missing"
else
    if awk -v a="$a_r1" -v b="$b_r1" 'BEGIN { exit !(a > b) }'; then ok "video R@1 improves (before $b_r1% -> after $a_r1%)"
    else bad "video R@1 improves (before $b_r1% -> after $a_r1%)"; fi
    if awk -v a="$a_ma" -v b="$b_ma" 'BEGIN { exit !(a > b) }'; then ok "moment acc improves (before $b_ma% -> after $a_ma%)"
    else bad "moment acc improves (before $b_ma% -> after $a_ma%)"; fi
fi

SVG="$TMP/a/losses.svg"
if [ -s "$SVG" ] && head -c 5 "$SVG" | grep -q '^<svg' && tail -n 1 "$SVG" | grep -q '^</svg>$' \
   && [ "$(grep -c '<polyline' "$SVG")" -eq 4 ]; then
    ok "losses.svg written (4 panels with curves)"
else
    bad "losses.svg missing or malformed"
fi

# a 60-update run, and the same run stopped at update 30, saved and resumed: identical losses
"$BIN" "${ARGS[@]}" --steps 60 --eval 8 --out "$TMP/c" > "$TMP/c.log" 2>&1 &&
"$BIN" "${ARGS[@]}" --steps 60 --eval 8 --out "$TMP/b" --until 30 --save "$TMP/state.safetensors" > "$TMP/b1.log" 2>&1 &&
"$BIN" "${ARGS[@]}" --steps 60 --eval 8 --out "$TMP/b" --resume "$TMP/state.safetensors" > "$TMP/b2.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then bad "save at 30 + resume: exit status $rc"; tail -n 5 "$TMP/c.log" "$TMP/b1.log" "$TMP/b2.log"
elif [ "$(tail -n +2 "$TMP/b/losses.csv" | wc -l)" -eq 60 ] && cmp -s "$TMP/c/losses.csv" "$TMP/b/losses.csv"; then
    ok "stop at 30, save, resume: losses.csv identical to the uninterrupted 60-update run"
else bad "stop at 30, save, resume: losses.csv differs from the uninterrupted run"; diff "$TMP/c/losses.csv" "$TMP/b/losses.csv" | head -n 6; fi

finish

#!/usr/bin/env bash
# make soak: long training that loses nothing (issue 17 item 5).
#   bash tests/soak.sh [BUILD]    SOAK_STEPS (20000), SOAK_EVERY (1000)
# 1. reference: build/train_toy trains SOAK_STEPS updates in one process; its resident memory
#    (VmRSS) is sampled every 0.5 s: first sample, last, max are printed, and the last must not
#    exceed the first by more than 10% + 8 MB (no growth over the run).
# 2. soak: the same run with --save-every SOAK_EVERY; after each save it is SIGKILLed (a random
#    0-0.4 s later, so sometimes in the middle of the next updates) and resumed from the file,
#    until it finishes.
# The final training state (weights, AdamW moments and steps, schedule, PRNG, data order) and
# the loss log of the two runs must be equal byte for byte. Ends "N passed, N failed".
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
. tests/lib.sh
STEPS=${SOAK_STEPS:-20000}
EVERY=${SOAK_EVERY:-1000}
BIN=$BUILD/train_toy
[ -x "$BIN" ] || { bad "$BIN not built"; finish; }
T=$(mktemp -d "${TMPDIR:-/tmp}/hero_soak.XXXXXX")
trap 'rm -rf "$T"' EXIT
ARGS=(--videos 200 --eval 8 --hidden 32 --heads 4 --layers 1 --batch 8 --lr 1e-3 --seed 11 --threads 1 --steps "$STEPS")
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null; }

# ---- 1. the uninterrupted reference, with its memory ----
t0=$(date +%s)
OPENBLAS_NUM_THREADS=1 "$BIN" "${ARGS[@]}" --out "$T/ref" --save "$T/ref.safetensors" >"$T/ref.log" 2>&1 &
pid=$!
first=""; last=""; max=0; n=0
while kill -0 "$pid" 2>/dev/null; do
    r=$(rss "$pid")
    if [ -n "$r" ]; then
        n=$((n + 1))
        [ "$n" -eq 4 ] && first=$r   # after 2 s: the model, arena and data are allocated
        [ "$n" -ge 4 ] && last=$r
        [ "$r" -gt "$max" ] && max=$r
    fi
    sleep 0.5
done
wait "$pid"; rc=$?
secs=$(( $(date +%s) - t0 ))
if [ $rc -ne 0 ]; then bad "reference run: exit $rc"; tail -n 20 "$T/ref.log"; finish; fi
ok "reference: $STEPS updates in one process (${secs} s)"
if [ -z "$first" ]; then first=$max; last=$max; fi
echo "# RSS of the reference run: first $first kB, last $last kB, max $max kB ($n samples)"
if [ "$last" -le $((first + first / 10 + 8192)) ] && [ "$max" -le $((first + first / 10 + 8192)) ]; then
    ok "resident memory does not grow (first $first kB, last $last kB, max $max kB)"
else
    bad "resident memory grows: first $first kB, last $last kB, max $max kB"
fi

# ---- 2. saved, killed and resumed every SOAK_EVERY updates ----
t0=$(date +%s)
kills=0; resumes=0; st=$T/soak.safetensors
for attempt in $(seq 1 $((STEPS / EVERY + 20))); do
    extra=()
    if [ -f "$st" ]; then extra=(--resume "$st"); resumes=$((resumes + 1)); fi
    before=$(stat -c %Y.%s "$st" 2>/dev/null || echo none)
    OPENBLAS_NUM_THREADS=1 "$BIN" "${ARGS[@]}" --out "$T/soak" --save "$st" --save-every "$EVERY" "${extra[@]}" >>"$T/soak.log" 2>&1 &
    pid=$!
    killed=0
    while kill -0 "$pid" 2>/dev/null; do
        now=$(stat -c %Y.%s "$st" 2>/dev/null || echo none)
        if [ "$now" != "$before" ]; then  # a save finished (rename): kill a moment later
            sleep "0.$((RANDOM % 5))"
            kill -9 "$pid" 2>/dev/null && killed=1
            break
        fi
        sleep 0.05
    done
    wait "$pid" 2>/dev/null; rc=$?
    if [ $killed -eq 1 ] && [ $rc -eq 137 ]; then kills=$((kills + 1)); continue; fi
    if [ $rc -eq 0 ]; then break; fi
    bad "soak run: exit $rc"; tail -n 20 "$T/soak.log"; finish
done
secs=$(( $(date +%s) - t0 ))
if [ $kills -ge $((STEPS / EVERY - 1)) ]; then
    ok "soak: $STEPS updates, $kills SIGKILLs after saves, $resumes resumes (${secs} s)"
else
    bad "soak: only $kills SIGKILLs for $STEPS updates every $EVERY ($resumes resumes)"
fi
if cmp -s "$T/ref.safetensors" "$st"; then
    ok "final training state equals the uninterrupted run's byte for byte ($(stat -c %s "$st") bytes)"
else
    bad "final training states differ: $(cmp "$T/ref.safetensors" "$st" 2>&1 | head -n 1)"
fi
if cmp -s "$T/ref/losses.csv" "$T/soak/losses.csv"; then
    ok "loss log equals the uninterrupted run's ($(($(wc -l <"$T/ref/losses.csv") - 1)) updates)"
else
    bad "loss logs differ: $(cmp "$T/ref/losses.csv" "$T/soak/losses.csv" 2>&1 | head -n 1)"
fi
finish

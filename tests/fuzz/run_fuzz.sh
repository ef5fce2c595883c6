#!/usr/bin/env bash
# Runs the fuzz targets (make fuzz / make fuzz-replay call this).
#   bash tests/fuzz/run_fuzz.sh [--replay-only] BUILD_DIR TARGET...
# For each target: replays tests/fuzz/regressions/<target>/ (every input that once crashed)
# and the seed corpus (through the plain replay program build-fuzz/replay_<target> with
# --replay-only, else through the libFuzzer binary with -runs=0), then (unless --replay-only)
# fuzzes build-fuzz/fuzz_<target> for FUZZ_SECONDS seconds (default 30) with a
# 2 GB RSS / malloc limit (a huge size claimed by a small file is an allocation failure = a
# crash here), a 10 s per-input timeout and leak detection. New corpus entries go to
# BUILD_DIR/corpus/<target> (never into the source tree); a crashing input is saved as
# BUILD_DIR/artifacts/<target>/crash-* (add it to tests/fuzz/regressions/<target>/ once fixed).
# FUZZ_RUNS=N instead runs each campaign to N executions (capped at FUZZ_MAX_SECONDS, default
# 7200 s): `make fuzz FUZZ_RUNS=10000000` is the long campaign the README of tests/fuzz describes.
# Prints one line per target and exits non-zero if anything crashed, leaked or hung.
set -u
cd "$(dirname "$0")/../.."
replay_only=0
if [ "${1:-}" = "--replay-only" ]; then replay_only=1; shift; fi
B=${1:?build dir}; shift
SECONDS_PER=${FUZZ_SECONDS:-30}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

max_len() { # long enough for the seeds' structure, short enough for many runs per second
    case $1 in
        zip|npz|torchzip|legacy|index) echo 16384 ;;
        safetensors|json|vocab) echo 8192 ;;
        jsonl|ann|npy|merges|srt) echo 4096 ;;
        tokenize) echo 1024 ;;
        *) echo 8192 ;;
    esac
}

fail=0
summary=""
for t in "$@"; do
    reg=tests/fuzz/regressions/$t
    seeds=tests/fuzz/corpus/$t
    dirs=()
    [ -d "$reg" ] && dirs+=("$reg")
    [ -d "$seeds" ] && dirs+=("$seeds")
    log=$B/logs/$t.log
    mkdir -p "$B/logs" "$B/corpus/$t" "$B/artifacts/$t"
    # 1. regressions + seeds, each run once: through the plain replay program (--replay-only),
    #    or through the libFuzzer binary itself (-runs=0 executes the given corpus and stops)
    if [ ${#dirs[@]} -gt 0 ]; then
        if [ $replay_only = 1 ]; then rep=("$B/replay_$t" "${dirs[@]}"); else rep=("$B/fuzz_$t" -runs=0 "${dirs[@]}"); fi
        if ! out=$("${rep[@]}" 2>&1); then
            printf '%s\n' "$out" | tail -n 40
            summary+="FAIL $t: replay of ${dirs[*]} crashed"$'\n'
            fail=1
            continue
        fi
        nrep=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) inputs replayed$/\1/p; s/^Done \([0-9]*\) runs.*/\1/p' | tail -n 1)
    else
        nrep=0
    fi
    if [ $replay_only = 1 ]; then
        summary+="PASS $t: $nrep inputs replayed"$'\n'
        continue
    fi
    # 2. a bounded fuzzing campaign
    start=$(date +%s)
    if [ -n "${FUZZ_RUNS:-}" ]; then  # a campaign to a number of executions (-max_total_time: a cap)
        budget=(-runs="$FUZZ_RUNS" -max_total_time="${FUZZ_MAX_SECONDS:-7200}")
    else
        budget=(-max_total_time="$SECONDS_PER")
    fi
    "$B/fuzz_$t" "${budget[@]}" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$B/artifacts/$t/" "$B/corpus/$t" "${dirs[@]}" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written|deadly signal|out-of-memory|timeout' "$log" | head -n 20
        summary+="FAIL $t: exit $rc after ${secs}s (${execs:-?} runs); log $log, input in $B/artifacts/$t/"$'\n'
        fail=1
    else
        summary+="PASS $t: $nrep replayed, ${execs:-?} runs in ${secs}s, $cov"$'\n'
    fi
done
printf '%s' "$summary"
exit $fail

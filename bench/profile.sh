#!/usr/bin/env bash
# Where hero.h's time goes in one bench case: perf over the timed runs only (hero_bench
# enables / disables perf through a control fifo around them), main thread and all threads.
#
#   bash bench/profile.sh [BUILD_DIR] [CONFIG] [CASE] [ITERS]     e.g. build full mlm-step 5
#
# Needs perf (linux-perf) and kernel.perf_event_paranoid <= 2. Same thread settings as run.sh.
set -eu
BUILD=${1:-build}
CFG=${2:-full}
CASE=${3:-mlm-step}
ITERS=${4:-5}
THREADS=${BENCH_THREADS:-2}
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
command -v perf > /dev/null || { echo "profile.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkfifo "$TMP/ctl"
HERO_BENCH_PERF_CTL=$TMP/ctl perf record -q -o "$TMP/perf.data" -F 999 --control "fifo:$TMP/ctl" -D -1 \
    "$BUILD/hero_bench" --config "$CFG" --case "$CASE" --iters "$ITERS" 2>&1 | grep '^CASE'
# the main thread: the sample whose tid equals its pid
PID=$(perf script -i "$TMP/perf.data" -F pid,tid 2>/dev/null | awk -F/ '$1 + 0 == $2 + 0 { print $1 + 0; exit }')
show() {
    perf report -i "$TMP/perf.data" --no-children --sort dso,symbol --stdio "$@" 2>/dev/null |
        grep '%' | grep -v '^#' | head -n "${TOP:-25}" |
        awk '{ pct = $1; dso = $2; $1 = ""; $2 = ""; $3 = ""; sub(/^ +/, ""); sub(/ +- +- *$/, ""); printf "  %7s  %-22s %s\n", pct, dso, $0 }'
}
echo "-- main thread (tid $PID): what the caller waits for"
show --tid "$PID" --percentage relative
echo "-- all threads (the OpenBLAS worker's spinning shows up as sched_yield)"
show

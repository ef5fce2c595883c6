#!/usr/bin/env bash
# hero.h vs the PyTorch reference, case by case (what `make bench` runs).
#
#   bash bench/run.sh [BUILD_DIR] [--cases LIST] [--threads N] [--iters K]
#
#   LIST (or env BENCH_CASES), comma separated:
#     default   = tiny,small,full          (about 3-5 minutes on a quiet 2-core machine)
#     all       = tiny,small,full,full-b32 (full-b32 alone: see bench/RESULTS.md)
#     a config  tiny | small | full | full-b32: its six cases
#     a case    e.g. full-mlm-step, full-b32-vsm-step, small-update
#   --threads N (env BENCH_THREADS, default 2): OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = N,
#     torch.set_num_threads(N), and hero_bench --threads N (hero.h's worker pool and OpenBLAS).
#   --iters K (env BENCH_ITERS): timed runs per case (default per config: tiny 20, small 10,
#     full 5, full-b32 2; warm-up runs: 3, 2, 1, 1). Times are medians.
#   PYTHON (default /usr/bin/python3: Debian's, which has torch).
#   BENCH_B32_VIDEOS / BENCH_B32_FRAMES: the full-b32 batch (default 32 videos of 16 frames).
#   BENCH_OMP_WAIT_POLICY (default PASSIVE, `default` = unset): see below.
#   OPENBLAS_CORETYPE: left as found (unset = OpenBLAS detects the CPU); printed; both sides
#     inherit the same environment. Check the BLAS_ADVICE line.
#
# Each case runs in a fresh process per side (hero_bench / hero_torch.py bench --data), so the
# peak RSS is per case. Both sides read the same batches: hero_bench --dump writes the corpus
# and the random choices, hero_torch.py rebuilds the batch from them (shapes are compared).
# Output: a `RESULT <case> hero=<s> torch=<s> speedup=<torch/hero>` line per case, then a table.
set -u
BUILD=build
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then BUILD=$1; shift; fi
CASES=${BENCH_CASES:-default}
THREADS=${BENCH_THREADS:-2}
ITERS=${BENCH_ITERS:-}
PY=${PYTHON:-/usr/bin/python3}
while [ $# -gt 0 ]; do
    case "$1" in
        --cases) CASES=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --iters) ITERS=$2; shift 2 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
HB=$BUILD/hero_bench
HT=$(dirname "$0")/hero_torch.py
DATA=$BUILD/bench
mkdir -p "$DATA"
LOG=$DATA/log.txt
: > "$LOG"
[ -x "$HB" ] || { echo "run.sh: $HB missing (make $HB)" >&2; exit 1; }

export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
# torch = libgomp threads + Debian's pthread OpenBLAS threads: with libgomp's default active
# spin-wait they fight over the cores (full-mlm-step 5.1 s instead of 1.9 s on 2 cores).
# PASSIVE is torch's best setting here; hero.h does not use OpenMP. BENCH_OMP_WAIT_POLICY=default
# keeps libgomp's default.
OMPW=${BENCH_OMP_WAIT_POLICY:-PASSIVE}
if [ "$OMPW" = default ]; then unset OMP_WAIT_POLICY; else export OMP_WAIT_POLICY=$OMPW; fi
# the full-b32 batch: 32 videos of 16 frames unless BENCH_B32_VIDEOS / BENCH_B32_FRAMES say otherwise
B32ARGS=()
[ -n "${BENCH_B32_VIDEOS:-}" ] && B32ARGS+=(--videos "$BENCH_B32_VIDEOS")
[ -n "${BENCH_B32_FRAMES:-}" ] && B32ARGS+=(--frames "$BENCH_B32_FRAMES")
T_START=$(date +%s)

ALL_CASES="repr-fwd mlm-step mfm-nce-step fom-step vsm-step update"
# expand LIST into "config:case" words, configs in the given order
expand() {
    local tok cfg c out=""
    for tok in $(echo "$1" | tr ',' ' '); do
        case "$tok" in
            default) out="$out $(expand tiny,small,full)" ;;
            all) out="$out $(expand tiny,small,full,full-b32)" ;;
            tiny|small|full) for c in $ALL_CASES; do out="$out $tok:$c"; done ;;
            full-b32|b32) for c in $ALL_CASES; do out="$out b32:$c"; done ;;
            *)
                cfg=""
                case "$tok" in
                    full-b32-*) cfg=b32; c=${tok#full-b32-} ;;
                    full-*) cfg=full; c=${tok#full-} ;;
                    small-*) cfg=small; c=${tok#small-} ;;
                    tiny-*) cfg=tiny; c=${tok#tiny-} ;;
                esac
                if [ -z "$cfg" ] || ! echo " $ALL_CASES " | grep -q " $c "; then
                    echo "run.sh: unknown case '$tok'" >&2; exit 2
                fi
                out="$out $cfg:$c" ;;
        esac
    done
    echo "$out"
}
WORK=$(expand "$CASES") || exit 2

field() { # field NAME LINE
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

echo "== hero.h benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "threads: $THREADS (OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$OMP_NUM_THREADS torch.set_num_threads($THREADS)), OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset: OpenBLAS detects the CPU)}"
"$HB" --info | tee -a "$LOG" | grep -E '^(BLAS |BLAS_ADVICE)'
echo "torch: $("$PY" -c 'import torch; print(torch.__version__)' 2>&1 | tail -n 1)"
PEAK=$("$HB" --threads "$THREADS" --peak --iters 5 | tee -a "$LOG")
echo "$PEAK"
PEAK_GF=$(field gflops "$PEAK")
# hero.h's portable GEMM (what a build without OpenBLAS runs) vs OpenBLAS, side by side
# (BENCH_GEMM_PORTABLE=0 skips it)
if [ "${BENCH_GEMM_PORTABLE:-1}" != 0 ]; then
    "$HB" --threads "$THREADS" --gemm-portable --iters 5 | tee -a "$LOG" | grep '^RESULT'
fi
echo "cases:$WORK"
echo

ROWS=()
FAILS=0
DUMPED=" "
for w in $WORK; do
    cfg=${w%%:*}; c=${w#*:}
    file=$DATA/$cfg.safetensors
    cargs=()
    [ "$cfg" = b32 ] && cargs=(${B32ARGS[@]+"${B32ARGS[@]}"})
    if [ "${DUMPED#* $cfg }" = "$DUMPED" ]; then
        "$HB" --config "$cfg" ${cargs[@]+"${cargs[@]}"} --dump "$file" >> "$LOG" 2>&1 || { echo "run.sh: hero_bench --dump $cfg failed (see $LOG)"; exit 1; }
        DUMPED="$DUMPED$cfg "
    fi
    iargs=()
    [ -n "$ITERS" ] && iargs=(--iters "$ITERS")
    t0=$(date +%s)
    H=$("$HB" --threads "$THREADS" --config "$cfg" ${cargs[@]+"${cargs[@]}"} --case "$c" ${iargs[@]+"${iargs[@]}"} 2>&1 | tee -a "$LOG" | grep '^CASE' | tail -n 1)
    t1=$(date +%s)
    T=$("$PY" "$HT" bench --data "$file" --case "$c" --threads "$THREADS" ${iargs[@]+"${iargs[@]}"} 2>&1 | tee -a "$LOG" | grep '^CASE' | tail -n 1)
    t2=$(date +%s)
    name=$(field name "$H"); [ -n "$name" ] || name=$(field name "$T")
    [ -n "$name" ] || name="$cfg-$c"
    ht=$(field time "$H"); tt=$(field time "$T")
    if [ -z "$ht" ] || [ -z "$tt" ]; then
        echo "RESULT $name hero=${ht:-FAIL} torch=${tt:-FAIL} speedup=-   (see $LOG)"
        FAILS=$((FAILS + 1))
        ROWS+=("$name|${ht:-FAIL}|${tt:-FAIL}|-|-|-|-|-|-|-|-|-|-|-")
        continue
    fi
    sp=$(awk -v h="$ht" -v t="$tt" 'BEGIN { printf "%.2f", t / h }')
    echo "RESULT $name hero=$ht torch=$tt speedup=$sp   (wall: hero $((t1 - t0)) s, torch $((t2 - t1)) s)"
    gf=$(field gflop "$H")
    hg=$(awk -v f="$gf" -v t="$ht" 'BEGIN { if (f > 0) printf "%.1f", f / t; else printf "-" }')
    tg=$(awk -v f="$gf" -v t="$tt" 'BEGIN { if (f > 0) printf "%.1f", f / t; else printf "-" }')
    gs=$(awk -v g="$(field gemm_s "$H")" -v t="$ht" 'BEGIN { if (g > 0) printf "%.0f%%", 100 * g / t; else printf "-" }')
    pk=$(awk -v f="$gf" -v t="$ht" -v p="$PEAK_GF" 'BEGIN { if (f > 0 && p > 0) printf "%.0f%%", 100 * f / t / p; else printf "-" }')
    hs=$(field shape "$H"); ts=$(field shape "$T")
    same=same; [ "$hs" = "$ts" ] || same="DIFFER($ts)"
    hm=$(field min "$H"); tm=$(field min "$T")
    ROWS+=("$name|$ht|$tt|$sp|$hm|$tm|$gf|$hg|$tg|$gs|$pk|$(field maxrss_mb "$H")|$(field maxrss_mb "$T")|$hs $same")
done

echo
echo "sgemm peak (2048^3, $THREADS threads): $PEAK_GF GFLOP/s"
printf '| %-24s | %9s | %9s | %7s | %9s | %9s | %8s | %9s | %10s | %5s | %5s | %8s | %8s | %s |\n' \
    case "hero s" "torch s" speedup "hero min" "torch min" GFLOP "hero GF/s" "torch GF/s" GEMM peak "hero MB" "torch MB" "batch (both sides)"
printf '|%s|\n' "--------------------------|-----------|-----------|---------|-----------|-----------|----------|-----------|------------|-------|-------|----------|----------|------"
for r in ${ROWS[@]+"${ROWS[@]}"}; do
    IFS='|' read -r a b c d e f g h i j k x l m <<< "$r"
    printf '| %-24s | %9s | %9s | %7s | %9s | %9s | %8s | %9s | %10s | %5s | %5s | %8s | %8s | %s |\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h" "$i" "$j" "$k" "$x" "$l" "$m"
done
echo
echo "times: median (min) of the timed runs, seconds."
echo "speedup = torch time / hero time (> 1: hero.h faster). GFLOP = matrix-product work per"
echo "run, counted in hero_bench's cblas_sgemm wrapper; GF/s of both sides = that GFLOP / time."
echo "GEMM = share of hero's time inside cblas_sgemm. peak = hero GF/s / the sgemm peak above (share of"
echo "the sgemm peak over the whole step). MB = peak RSS of the case's process."
echo "total: $(( $(date +%s) - T_START )) s; raw output in $LOG"
[ "$FAILS" -eq 0 ]

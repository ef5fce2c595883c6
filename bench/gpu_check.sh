#!/usr/bin/env bash
# The GPU check: one prepared script for a machine with an NVIDIA GPU, nvcc and PyTorch with CUDA
# (about 4 minutes on an H200; a budget guard skips what would not fit in GPU_CHECK_BUDGET seconds).
#
#   bash bench/gpu_check.sh            (from anywhere; builds into build-cuda/)
#
# 1. nvidia-smi, the toolkit;
# 2. `make cuda` + build-cuda/hero_bench (nvcc, for this GPU's compute capability);
# 3. build-cuda/hero_golden on the GPU against the official numbers (tests/golden/tiny):
#    fp32: every line err <= 1e-4; tf32 and bf16: outputs <= 3e-2, gradients cosine >= 0.99
#    (hero_golden's reduced-precision rules; VSM gradients across a tie of the reference are
#    SKIP lines with the reason);
# 4. hero.h vs PyTorch (bench/hero_torch.py, eager) on the same GPU and the same batches, at the
#    released shapes with the release batch: 32 videos of GPU_CHECK_FRAMES (100) frames, hero
#    bf16 vs torch bf16 autocast; one `RESULT <case> hero=<s> torch=<s> speedup=<torch/hero>`
#    line per case (median of GPU_CHECK_ITERS runs after GPU_CHECK_WARMUP), then the train step of
#    the release recipe (task mixture mlm 2 : mfm-nce 2 : fom 1 : vsm 2, 2 micro-batches per
#    update, then the update) from those times;
# 5. NCCL: `make cuda-mpi`, then build-cuda/train_toy_mpi under mpirun with one rank per GPU (2
#    when there are 2 GPUs, else 1): every collective of GPU memory runs (skipped with the reason
#    when OpenMPI or NCCL is missing or the budget is spent).
# Environment: PYTHON (python3), GPU_CHECK_FRAMES (100), GPU_CHECK_VIDEOS (32), GPU_CHECK_ITERS (5),
# GPU_CHECK_WARMUP (2), GPU_CHECK_CASES (mlm-step mfm-nce-step fom-step vsm-step update repr-fwd),
# GPU_CHECK_PREC (bf16: both sides; tf32 / fp32 also possible), GPU_CHECK_BUDGET (285 s).
# Dry run of the script's plumbing without a GPU (emulated build, CPU torch, tiny dims):
#   make test-cuda-emu build-cuda-emu/hero_bench && GPU_CHECK_DRY=1 GPU_CHECK_BIN=build-cuda-emu \
#   GPU_CHECK_CONFIG=tiny GPU_CHECK_TORCH_DEVICE=cpu GPU_CHECK_PREC=fp32 PYTHON=/usr/bin/python3 bash bench/gpu_check.sh
# Exit status: 0 when the build and every golden line passed and every case ran.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
T0=$(date +%s)
PY=${PYTHON:-python3}
FRAMES=${GPU_CHECK_FRAMES:-100}
VIDEOS=${GPU_CHECK_VIDEOS:-32}
ITERS=${GPU_CHECK_ITERS:-5}
WARMUP=${GPU_CHECK_WARMUP:-2}
PREC=${GPU_CHECK_PREC:-bf16}
BUDGET=${GPU_CHECK_BUDGET:-285}
CASES=${GPU_CHECK_CASES:-mlm-step mfm-nce-step fom-step vsm-step update repr-fwd}
CONFIG=${GPU_CHECK_CONFIG:-b32}
BIN=${GPU_CHECK_BIN:-build-cuda}
TDEV=${GPU_CHECK_TORCH_DEVICE:-cuda}
DRY=${GPU_CHECK_DRY:-0}
OUT=$BIN/gpu_check
FAILS=0
elapsed() { echo $(( $(date +%s) - T0 )); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
mkdir -p "$OUT"

echo "== gpu_check $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
echo "== nvidia-smi"
if [ "$DRY" = 1 ]; then echo "(dry run: no GPU, $BIN programs)";
elif ! nvidia-smi; then echo "gpu_check: nvidia-smi failed: no usable NVIDIA GPU / driver here"; exit 1; fi
NVCC=$(command -v nvcc || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; } || true)
[ -n "$NVCC" ] || { echo "gpu_check: nvcc not found (PATH or /usr/local/cuda/bin)"; exit 1; }
echo "nvcc: $NVCC ($("$NVCC" --version | tail -n 1))"
CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d ' .')
case "$CAP" in ''|*[!0-9]*) CAP=90 ;; esac
ARCH="-gencode arch=compute_$CAP,code=sm_$CAP -gencode arch=compute_$CAP,code=compute_$CAP"
echo "compute capability ${CAP:0:${#CAP}-1}.${CAP: -1}: $ARCH"

echo "== build (make cuda + build-cuda/hero_bench), $(elapsed) s"
if [ "$DRY" = 1 ]; then echo "(dry run: not built)";
elif ! make -j"$(nproc)" NVCC="$NVCC" CUDA_ARCH="$ARCH" cuda build-cuda/hero_bench > "$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log"; echo "gpu_check: build failed (log: $OUT/build.log)"; exit 1
fi
grep -i "warning" "$OUT/build.log" | head -n 5
echo "built in $(elapsed) s"

echo "== hero_golden on the GPU (tests/golden/tiny), $(elapsed) s"
for p in fp32 tf32 bf16; do
    log=$OUT/golden_$p.log
    timeout 120 "$BIN/hero_golden" --device cuda --precision "$p" tests/golden/tiny > "$log" 2>&1
    rc=$?
    grep -v ' OK$\| SKIP (' "$log" | tail -n 25
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    worst_out=$(grep -v 'grad\.\|^#\|SKIP\|passed,' "$log" | grep ' OK$' | sort -k3 -g | tail -n 1)
    worst_grad=$(grep 'grad\.' "$log" | grep -v 'key.bias\|SKIP' | sort -k3 -g | tail -n 1)
    echo "GOLDEN $p: ${last:-no summary (exit $rc)} | worst out: ${worst_out:-?} | worst grad: ${worst_grad:-?}"
    if [ $rc -ne 0 ] || [ -z "$last" ]; then fail "hero_golden --precision $p (log: $log)"; fi
done

echo "== hero.h vs PyTorch on this GPU: config $CONFIG, $VIDEOS videos of $FRAMES frames, $PREC, $(elapsed) s"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
    torch.cuda.get_device_name(0) if torch.cuda.is_available() else "(no GPU)")' ||
    fail "PyTorch with CUDA not importable by $PY"
DATA=$OUT/$CONFIG.safetensors
if ! "$BIN/hero_bench" --config "$CONFIG" --videos "$VIDEOS" --frames "$FRAMES" --dump "$DATA" > "$OUT/dump.log" 2>&1; then
    cat "$OUT/dump.log"; fail "hero_bench --dump"
fi
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
declare -A HT TT
PREFIX=$CONFIG
for c in $CASES; do
    if [ "$(elapsed)" -gt $((BUDGET - 40)) ]; then echo "RESULT $CONFIG-$c SKIPPED (time budget: $(elapsed) s used)"; continue; fi
    H=$(timeout 120 "$BIN/hero_bench" --config "$CONFIG" --videos "$VIDEOS" --frames "$FRAMES" --case "$c" --precision "$PREC" \
        --iters "$ITERS" --warmup "$WARMUP" 2>&1 | tee -a "$OUT/bench.log" | grep '^CASE' | tail -n 1)
    T=$(timeout 150 "$PY" bench/hero_torch.py bench --data "$DATA" --case "$c" --device "$TDEV" --precision "$PREC" \
        --iters "$ITERS" --warmup "$WARMUP" 2>&1 | tee -a "$OUT/bench.log" | grep '^CASE' | tail -n 1)
    ht=$(field time "$H"); tt=$(field time "$T")
    name=$(field name "$H"); [ -n "$name" ] || name=$CONFIG-$c
    if [ -z "$ht" ] || [ -z "$tt" ]; then
        echo "RESULT $name hero=${ht:-FAIL} torch=${tt:-FAIL} speedup=-   (log: $OUT/bench.log)"
        fail "bench case $c"
        continue
    fi
    HT[$c]=$ht; TT[$c]=$tt; PREFIX=${name%-"$c"}
    sp=$(awk -v h="$ht" -v t="$tt" 'BEGIN { printf "%.2f", t / h }')
    hs=$(field shape "$H"); ts=$(field shape "$T"); same=same; [ "$hs" = "$ts" ] || same="DIFFER(torch $ts)"
    echo "RESULT $name hero=$ht torch=$tt speedup=$sp prec=$PREC hero_gpu_mb=$(field gpu_mb "$H") torch_gpu_mb=$(field gpu_mb "$T") hero_loss=$(field loss "$H") torch_loss=$(field loss "$T") batch=$hs ($same)"
done
if [ -n "${HT[mlm-step]:-}" ] && [ -n "${HT[mfm-nce-step]:-}" ] && [ -n "${HT[fom-step]:-}" ] && [ -n "${HT[vsm-step]:-}" ] &&
   [ -n "${HT[update]:-}" ]; then
    step() { awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v u="$5" 'BEGIN { printf "%.6f", 2 * (2*a + 2*b + c + 2*d) / 7 + u }'; }
    hs=$(step "${HT[mlm-step]}" "${HT[mfm-nce-step]}" "${HT[fom-step]}" "${HT[vsm-step]}" "${HT[update]}")
    ts=$(step "${TT[mlm-step]}" "${TT[mfm-nce-step]}" "${TT[fom-step]}" "${TT[vsm-step]}" "${TT[update]}")
    echo "RESULT $PREFIX-train-step hero=$hs torch=$ts speedup=$(awk -v h="$hs" -v t="$ts" 'BEGIN { printf "%.2f", t / h }') prec=$PREC (release recipe: mixture 2:2:1:2, 2 micro-batches + the update; goal >= 2)"
fi
echo "== NCCL (HERO_MPI + HERO_CUDA: make cuda-mpi, build-cuda/train_toy_mpi), $(elapsed) s"
# every collective of GPU memory (ncclBroadcast of the weights, ncclAllReduce of the gradients,
# ncclAllGather of VSM's queries / frames / masks) with one rank per GPU of this machine
NGPU=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
if [ "$DRY" = 1 ]; then echo "(dry run: skipped)";
elif [ "$(elapsed)" -gt $((BUDGET - 30)) ]; then echo "NCCL SKIPPED (time budget: $(elapsed) s used)";
elif ! command -v mpirun >/dev/null 2>&1 || ! command -v mpicc >/dev/null 2>&1; then echo "NCCL SKIPPED (no OpenMPI: apt-get install libopenmpi-dev openmpi-bin)";
elif ! make NVCC="$NVCC" CUDA_ARCH="$ARCH" cuda-mpi > "$OUT/build_mpi.log" 2>&1; then
    tail -n 5 "$OUT/build_mpi.log"; echo "NCCL SKIPPED (make cuda-mpi failed: NCCL missing? log: $OUT/build_mpi.log)"
else
    np=$(( NGPU >= 2 ? 2 : 1 ))
    if OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 mpirun -np "$np" --oversubscribe build-cuda/train_toy_mpi \
        --steps 60 --out "$OUT/toy_mpi" > "$OUT/nccl.log" 2>&1; then
        echo "NCCL: $np rank(s), one GPU each, 60 updates: $(tail -n 2 "$OUT/nccl.log" | tr '\n' ' ')"
    else
        tail -n 15 "$OUT/nccl.log"; fail "build-cuda/train_toy_mpi with $np rank(s) (log: $OUT/nccl.log)"
    fi
fi
echo "== gpu_check done in $(elapsed) s, $FAILS failure(s); logs in $OUT/"
[ "$FAILS" -eq 0 ]

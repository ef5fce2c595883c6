#!/usr/bin/env bash
# Lean inference at the released shapes, per weight format, side by side with PyTorch (make bench-lean):
#   bash bench/lean.sh [BUILD] [DIR]
# DIR (default /tmp/hero-lean): lean_bench --make writes a random released-shape model there
# (config.json + model.safetensors, f32; random weights, NOT the released checkpoint), then
# hero_convert makes bf16 / f16 (--lean: matrices in the format, the rest f32) and q8_0 files.
# Each case runs in its own process on the file of its format (f32: model.safetensors) with
# THREADS threads (default: the online cores; hero_set_threads sets the library's pool and
# OpenBLAS) and prints
#   CASE <case> dtype=<fmt> load_s=<load> s=<median> min=<min> rss_mb=<peak RSS> weights_mb=<weights>
# then the same case in PyTorch (bench/hero_torch.py lean, /usr/bin/python3 or $PYTHON; f32 and
# bf16 autocast; skipped with a note when torch is missing), dtype=torch-f32 / torch-bf16.
# Then QUALITY lines: per format, the outputs of cases repr + query and their VCMR scores vs
# the f32 model's (err = max|x - ref| / max|ref|); TOP5 lines: on a synthetic corpus (20 videos
# x 60 frames, 60 queries), the share of queries whose top-5 videos (VCMR video score) equal
# the f32 run's; and a table: per case and format, median s, speed-up vs hero.h f32, peak MB.
#   CASES="repr query retrieve" (default), ITERS (default 5; retrieve: RETRIEVE_ITERS, default 1),
#   VIDEO_BATCH (default 4: the retrieval encodes its videos in REPR batches of 4), TORCH=0 to leave PyTorch out,
#   QUALITY=0 to leave out the QUALITY / TOP5 runs.
set -u
BUILD=${1:-build}
D=${2:-/tmp/hero-lean}
ITERS=${ITERS:-5}
THREADS=${THREADS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
VB=${VIDEO_BATCH:-4}
PYTHON=${PYTHON:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=$THREADS
# torch's libgomp spin-waits after each parallel region by default and fights OpenBLAS's threads
# for the cores (bench/RESULTS.md, "Torch's threading"): PASSIVE, as bench/run.sh
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$D"
[ -f "$D/model.safetensors" ] || "$BUILD/lean_bench" --make "$D" || exit 1
[ -f "$D/q8_0.safetensors" ] || "$BUILD/hero_convert" "$D/model.safetensors" "$D/q8_0.safetensors" --dtype q8_0 || exit 1
[ -f "$D/bf16.safetensors" ] || "$BUILD/hero_convert" "$D/model.safetensors" "$D/bf16.safetensors" --dtype bf16 --lean || exit 1
[ -f "$D/f16.safetensors" ] || "$BUILD/hero_convert" "$D/model.safetensors" "$D/f16.safetensors" --dtype f16 --lean || exit 1
HAVE_TORCH=0
if [ "${TORCH:-1}" != 0 ]; then
    if "$PYTHON" -c 'import torch' 2> /dev/null; then HAVE_TORCH=1
    else echo "PyTorch: skipped ($PYTHON cannot import torch: apt-get install python3-torch)"; fi
fi
echo "load: $(uptime)"
echo "threads: $THREADS, iterations: $ITERS, retrieval REPR batches of $VB videos"
file() { if [ "$1" = f32 ]; then echo "$D/model.safetensors"; else echo "$D/$1.safetensors"; fi; }
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for case in ${CASES:-repr query retrieve}; do
    it=$ITERS
    [ "$case" = retrieve ] && it=${RETRIEVE_ITERS:-1}
    for d in f32 bf16 f16 q8_0; do
        "$BUILD/lean_bench" --config "$D/config.json" --model "$(file $d)" --dtype $d --case $case --iters "$it" --threads "$THREADS" --video-batch "$VB" | tee -a "$LOG"
    done
    if [ $HAVE_TORCH = 1 ]; then
        for d in f32 bf16; do
            "$PYTHON" "$(dirname "$0")/hero_torch.py" lean --case $case --dtype $d --iters "$it" --threads "$THREADS" --video-batch "$VB" | tee -a "$LOG"
        done
    fi
done
echo "load: $(uptime)"
if [ "${QUALITY:-1}" != 0 ]; then
    "$BUILD/lean_bench" --config "$D/config.json" --model "$(file f32)" --dtype f32 --threads "$THREADS" --quality "$D/quality_f32.bin"
    for d in bf16 f16 q8_0; do
        "$BUILD/lean_bench" --config "$D/config.json" --model "$(file $d)" --dtype $d --threads "$THREADS" --quality "$D/quality_$d.bin" --against "$D/quality_f32.bin"
    done
    "$BUILD/lean_bench" --config "$D/config.json" --model "$(file f32)" --dtype f32 --threads "$THREADS" --top5 "$D/top5_f32.txt"
    for d in bf16 f16 q8_0; do
        "$BUILD/lean_bench" --config "$D/config.json" --model "$(file $d)" --dtype $d --threads "$THREADS" --top5 "$D/top5_$d.txt" --against "$D/top5_f32.txt"
    done
    echo "load: $(uptime)"
fi
echo
echo "| case | format | median s | vs hero.h f32 | peak RSS MB |"
echo "|---|---|---:|---:|---:|"
awk '/^CASE / {
    c = $2; d = ""; s = ""; r = "";
    for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "dtype") d = kv[2]; else if (kv[1] == "s") s = kv[2]; else if (kv[1] == "rss_mb") r = kv[2] }
    n++; C[n] = c; Dt[n] = d; S[n] = s; R[n] = r; if (d == "f32") F[c] = s
} END { for (i = 1; i <= n; i++) printf "| %s | %s | %.3f | %.2fx | %.0f |\n", C[i], Dt[i], S[i], (S[i] > 0 ? F[C[i]] / S[i] : 0), R[i] }' "$LOG"

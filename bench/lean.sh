#!/usr/bin/env bash
# Lean inference at the released shapes, per weight format (make bench-lean):
#   bash bench/lean.sh [BUILD] [DIR]
# DIR (default /tmp/hero-lean): lean_bench --make writes a random released-shape model there
# (config.json + model.safetensors, f32; random weights, NOT the released checkpoint), then
# hero_convert makes bf16 / f16 (--lean: matrices in the format, the rest f32) and q8_0 files.
# Each case runs in its own process on the file of its format (f32: model.safetensors), with
# OPENBLAS_NUM_THREADS (default 1: the format kernels run on one thread) and prints
#   CASE <case> dtype=<fmt> load_s=<load> s=<median> min=<min> rss_mb=<peak RSS> weights_mb=<weights>
# then TOP5 lines: on a synthetic corpus (20 videos x 60 frames, 60 queries), the share of
# queries whose top-5 videos (VCMR video score) equal the f32 run's.
set -u
BUILD=${1:-build}
D=${2:-/tmp/hero-lean}
ITERS=${ITERS:-3}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
mkdir -p "$D"
[ -f "$D/model.safetensors" ] || "$BUILD/lean_bench" --make "$D" || exit 1
[ -f "$D/q8_0.safetensors" ] || "$BUILD/hero_convert" "$D/model.safetensors" "$D/q8_0.safetensors" --dtype q8_0 || exit 1
[ -f "$D/bf16.safetensors" ] || "$BUILD/hero_convert" "$D/model.safetensors" "$D/bf16.safetensors" --dtype bf16 --lean || exit 1
[ -f "$D/f16.safetensors" ] || "$BUILD/hero_convert" "$D/model.safetensors" "$D/f16.safetensors" --dtype f16 --lean || exit 1
echo "load: $(uptime)"
file() { if [ "$1" = f32 ]; then echo "$D/model.safetensors"; else echo "$D/$1.safetensors"; fi; }
for case in ${CASES:-repr query retrieve}; do
    for d in f32 bf16 f16 q8_0; do
        "$BUILD/lean_bench" --config "$D/config.json" --model "$(file $d)" --dtype $d --case $case --iters "$ITERS"
    done
done
"$BUILD/lean_bench" --config "$D/config.json" --model "$(file f32)" --dtype f32 --top5 "$D/top5_f32.txt"
for d in bf16 f16 q8_0; do
    "$BUILD/lean_bench" --config "$D/config.json" --model "$(file $d)" --dtype $d --top5 "$D/top5_$d.txt" --against "$D/top5_f32.txt"
done
echo "load: $(uptime)"

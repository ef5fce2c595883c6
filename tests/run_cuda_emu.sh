#!/usr/bin/env bash
# The HERO_CUDA code path without a GPU: programs built with tests/cuda_emu.h (the CUDA runtime
# and cuBLAS emulated on the CPU; `make test-cuda-emu` builds them into build-cuda-emu/) run the
# golden parity in fp32 / tf32 / bf16, the training tests and retrieval. Every kernel and cuBLAS
# call of hero.h's CUDA section runs; device memory is unreadable by the host between device
# operations (a host dereference of a device pointer faults). Last line: "N passed, N failed".
set -u
BUILD=${1:-build-cuda-emu}
cd "$(dirname "$0")/.."
total_pass=0; total_fail=0
run() { # name, command...
    local name=$1; shift
    echo "== $name"
    local out rc last p f
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v ' OK$\|^PASS \| SKIP (' | tail -n 40
    last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$last" ]; then echo "   (no summary line; exit $rc)"; total_fail=$((total_fail + 1)); return; fi
    p=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/'); f=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}
no_gpu() { # the error a HERO_CUDA program gives on a machine without a GPU
    local out rc
    out=$(HERO_EMU_NO_GPU=1 "$BUILD/hero_golden" tests/golden/tiny 2>&1); rc=$?
    if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "built with HERO_CUDA but there is no usable GPU"; then
        echo "PASS no GPU: $(printf '%s\n' "$out" | grep -m1 'no usable GPU' | sed 's/.*FAIL (//; s/)$//')"; echo "1 passed, 0 failed"
    else
        printf '%s\n' "$out" | tail -n 3; echo "FAIL no GPU: expected a clear error"; echo "0 passed, 1 failed"
    fi
}
run "no GPU: a clear error" no_gpu
run "golden parity on the emulated GPU, fp32 (device memory guarded)" "$BUILD/hero_golden" --device cuda tests/golden/tiny
run "golden parity on the emulated GPU, fp32, fine-tuning tasks" "$BUILD/hero_golden" --device cuda tests/golden/tiny-downstream
run "golden parity on the emulated GPU, tf32" env HERO_EMU_NOPROTECT=1 "$BUILD/hero_golden" --precision tf32 tests/golden/tiny
run "golden parity on the emulated GPU, bf16" env HERO_EMU_NOPROTECT=1 "$BUILD/hero_golden" --precision bf16 tests/golden/tiny
run "training on the emulated GPU: resume bit for bit, non-finite, atomic save" "$BUILD/test_train" tests/golden/tiny
run "retrieval on the emulated GPU" env HERO_EMU_NOPROTECT=1 bash tests/test_retrieve.sh "$BUILD"
run "retrieval index on the emulated GPU (search = retrieve, save / load / incremental, hostile files)" env HERO_EMU_NOPROTECT=1 bash tests/test_index.sh "$BUILD"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

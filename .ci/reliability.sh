#!/usr/bin/env bash
# CI for other platforms and failures (called from .ci/run): installs the cross compilers, qemu-user,
# mingw-w64 and wine64, then
#   make test-cross     aarch64 + armhf builds under qemu-user: golden parity, file formats, fuzz inputs, > 2 GiB files
#   make test-windows   the mingw-w64 build under wine64: the same programs
#   make test-oom       every allocation of nine scenarios failing in turn (ASan + LeakSanitizer)
#   make soak-short     300 toy updates saved, SIGKILLed and resumed every 100 = one uninterrupted run
# Prints each step's time; exits non-zero at the first failure. `bash .ci/reliability.sh KEY` runs
# one step (cross, windows, oom-short, oom-long, soak).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if [ "${HERO_CI_APT:-}" != done ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends build-essential clang gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf \
        libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user mingw-w64 wine64 >/dev/null
fi
[ -z "${HERO_CI_INSTALL_ONLY:-}" ] || exit 0 # .ci/run installs every script's packages first
CI_ONLY=${1:-} # one step: cross, windows, oom-short, oom-long or soak (none: all)
. .ci/step.sh
# the fuzz replays on armhf only (the 32-bit target; aarch64 runs golden parity, the file formats and
# the big-file test; make test-cross alone replays on both)
step cross "make test-cross CROSS_REPLAY=armhf (aarch64, armhf under qemu-user)" make --no-print-directory test-cross CROSS_REPLAY=armhf
step windows "make test-windows (mingw-w64, wine64)" make --no-print-directory test-windows
# every 10th k plus the first and last call of every allocation site (make test-oom alone: every k)
step oom-short "make test-oom OOM_STRIDE=10 (allocation-failure injection: loads, tokenizer, media)" env OOM_STRIDE="${OOM_STRIDE:-10}" \
    OOM_SCENARIOS="load-torch-zip load-torch-legacy load-safetensors tensorfiles-npy-npz tokenizer media" \
    make --no-print-directory test-oom
# the three long scenarios (24,258 / 12,062 / 2,332 allocations): every 100th k plus each site's first and last
step oom-long "make test-oom OOM_STRIDE=100 (training of every task, save + resume, retrieval, the retrieval index)" env OOM_STRIDE="${OOM_STRIDE_LONG:-100}" \
    OOM_SCENARIOS="train-every-task save-resume retrieval index" \
    make --no-print-directory test-oom
# its own build folder: .ci/run runs it beside `make test` (which builds build/)
step soak "make soak-short (300 toy updates, SIGKILL + resume every 100)" make --no-print-directory soak-short BUILD=build-soak

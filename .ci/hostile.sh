#!/usr/bin/env bash
# CI for hostile inputs and failures (called from .ci/run): installs clang with its libFuzzer
# runtime and valgrind, then
#   make fuzz FUZZ_SECONDS=10   every fuzz target: regression inputs + a 10 s campaign each
#   make asan                   the test suite built with ASan + UBSan
#   make valgrind               hero_golden on the golden tiny model under valgrind
#   build/test_crash            checkpoint writes SIGKILLed at random moments
#   make analyze-lib            clang --analyze over hero.h, every function, each configuration
# Prints each step's time; exits non-zero at the first failure. `bash .ci/hostile.sh KEY` runs one
# step (fuzz, asan, valgrind, crash, analyze).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
CI_ONLY=${1:-} # one step: fuzz, asan, valgrind, crash or analyze (none: all)

fuzzer_links() {
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
        clang -x c - -fsanitize=fuzzer,address,undefined -o /dev/null >/dev/null 2>&1
}

if [ "${HERO_CI_APT:-}" != done ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends build-essential pkg-config libopenblas-dev clang valgrind >/dev/null
    if ! fuzzer_links; then
        # libFuzzer + sanitizer runtimes: libclang-rt-<major>-dev (Debian 12, Ubuntu 24.04) or the meta package
        v=$(clang --version | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
        apt-get install -y -qq --no-install-recommends "libclang-rt-$v-dev" >/dev/null 2>&1 ||
            apt-get install -y -qq --no-install-recommends libclang-rt-dev >/dev/null 2>&1 || true
    fi
fi
if ! fuzzer_links; then
    echo "hostile.sh: clang cannot link -fsanitize=fuzzer (install clang's libFuzzer runtime, e.g. libclang-rt-14-dev)" >&2
    exit 1
fi
[ -z "${HERO_CI_INSTALL_ONLY:-}" ] || exit 0 # .ci/run installs every script's packages first

. .ci/step.sh

step fuzz "make fuzz FUZZ_SECONDS=$FUZZ_SECONDS" make --no-print-directory fuzz FUZZ_SECONDS="$FUZZ_SECONDS"
step asan "make asan" make --no-print-directory asan
step valgrind "make valgrind" make --no-print-directory valgrind
step crash "crash safety (build/test_crash)" make --no-print-directory test-crash
step analyze "make analyze-lib" make --no-print-directory analyze-lib

#!/usr/bin/env bash
# make test-oom: writes the small video folder + tokenizer of tests/test_retrieve.sh
# (test_media --fixture) into a temporary directory, then runs BUILD/test_oom on it with
# LeakSanitizer on (OOM_SCENARIOS="name ...": only those). Ends with test_oom's "N passed, N failed"; exit status non-zero on failure.
set -u
B=${1:?build dir}
cd "$(dirname "$0")/.."
T=$(mktemp -d "${TMPDIR:-/tmp}/hero_oom.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/videos/resnet_features" "$T/videos/slowfast_features" "$T/tok"
"$B/test_media" --fixture "$T/videos" "$T/tok" || { echo "test_media --fixture failed"; echo "0 passed, 1 failed"; exit 1; }
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$B/test_oom" "$T" ${OOM_SCENARIOS:-}

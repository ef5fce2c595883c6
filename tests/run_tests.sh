#!/usr/bin/env bash
# Runs every test program, shows its output, and ends with the suite's total:
# "N passed, N failed". Exit status non-zero on any failure. Each test prints its seconds.
# HERO_TEST_SET=gemm runs only the tests that multiply matrices (the rest are marked `run_nogemm`:
# parsers, tokenizer, tools, files): what a second GEMM (make test HERO_BLAS=0) changes.
# HERO_TEST_SET=sanitize (make asan) leaves out the runs marked `run_nosan`: those that repeat
# another one at another thread count (the sanitizers look for memory errors, which one split
# already exercises) and the npm comparison, which builds and runs its own unsanitized binaries.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
total_pass=0; total_fail=0
skipped=0
run() { # name, command...
    local name=$1; shift
    echo "== $name"
    local out rc t0=$SECONDS
    out=$("$@" 2>&1); rc=$?
    echo "   [$((SECONDS - t0)) s]"
    printf '%s\n' "$out" | grep -v ' OK$\|^PASS ' | tail -n 40
    local last p f
    last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$last" ]; then
        echo "   (no summary line; exit $rc)"; total_fail=$((total_fail + 1)); return
    fi
    p=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/'); f=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}
run_nosan() { # nothing for the sanitizers to add (see above): skipped by HERO_TEST_SET=sanitize
    if [ "${HERO_TEST_SET:-}" = sanitize ]; then skipped=$((skipped + 1)); return; fi
    run "$@"
}
run_nogemm() { # a test whose code multiplies no matrices: skipped by HERO_TEST_SET=gemm
    if [ "${HERO_TEST_SET:-}" = gemm ]; then skipped=$((skipped + 1)); return; fi
    run "$@"
}
# the lines each golden folder must give (checked / SKIP): an absent task file, train.safetensors
# or roberta_init/ fails the run (--model: no model_legacy.pt line)
TINY_EXPECT="--expect 831 --expect-skip 0"
run "golden parity (tests/golden/tiny, model.pt + model_legacy.pt), 1 thread" "$BUILD/hero_golden" --threads 1 $TINY_EXPECT tests/golden/tiny
run_nosan "golden parity, 2 threads" "$BUILD/hero_golden" --threads 2 $TINY_EXPECT tests/golden/tiny
run_nosan "golden parity, 4 threads, every threaded loop split (--split-all)" "$BUILD/hero_golden" --threads 4 --split-all $TINY_EXPECT tests/golden/tiny
run "golden parity, 3 threads, every threaded loop split (--split-all)" "$BUILD/hero_golden" --threads 3 --split-all $TINY_EXPECT tests/golden/tiny
run "threads: the worker pool, the portable GEMM at 1-7 threads" "$BUILD/test_threads"
run "golden parity, unzeroed activations poisoned with NaN (HERO_ARENA_POISON)" "$BUILD/hero_golden_poison" --threads 1 $TINY_EXPECT tests/golden/tiny
run "golden parity with the legacy checkpoint" "$BUILD/hero_golden" --model tests/golden/tiny/model_legacy.pt --expect 830 --expect-skip 0 tests/golden/tiny
run_nogemm "hero_golden itself: absent files, task files without gradients, in.vids" bash tests/test_golden_tool.sh "$BUILD"
run "golden, bf16 weights (inference only: outputs and losses err <= 3e-2)" "$BUILD/hero_golden" --dtype bf16 tests/golden/tiny
run "golden, f16 weights (inference only: outputs and losses err <= 3e-2)" "$BUILD/hero_golden" --dtype f16 tests/golden/tiny
run "golden, q8_0 weights (inference only: outputs and losses err <= 4e-2)" "$BUILD/hero_golden" --dtype q8_0 tests/golden/tiny
run "golden, q8_0 weights, portable C kernels (--isa 0)" "$BUILD/hero_golden" --dtype q8_0 --isa 0 tests/golden/tiny
run "lean inference: format kernels on every ISA, inference-only models" "$BUILD/test_lean" tests/golden/tiny
run "lean inference: every file format (hero_convert --dtype) into every in-memory format" bash tests/test_lean.sh "$BUILD"
run "gradient checks (finite differences)" "$BUILD/test_ops" tests/golden/tiny
run_nogemm "file formats (JSON, safetensors, torch.save, npy/npz)" "$BUILD/test_formats"
run_nogemm "batch building (official collate)" "$BUILD/test_batch"
run "training: resume, non-finite, atomic save" "$BUILD/test_train" tests/golden/tiny
run "fine-tuning trainer: VCMR, VR, video QA, VIOLIN, TVC updates, lr_mul, resume bit for bit, bad inputs; VR no-cut batches; items from query files" "$BUILD/test_finetune" tests/golden/tiny-downstream
run_nogemm "tokenizer unit tests" "$BUILD/test_tokenizer_unit"
run "initialisation (random, RoBERTa)" "$BUILD/test_init" tests/golden/tiny
run_nogemm "tools: hero_inspect, hero_convert" bash tests/test_tools.sh "$BUILD"
run_nogemm "media: subtitles, normalisation, alignment, features, ranking" "$BUILD/test_media"
run_nogemm "official retrieval metrics (submission rows, cut, NMS, recall), TVC caption metrics" "$BUILD/test_eval"
# tests/golden/tiny-downstream: tvr_eval (the metric code alone), then the fine-tuning models vcmr, vcmr_hard,
# vr (training step + full evaluation + metrics), videoqa, violin, tvc (training step + greedy decoding)
run "golden parity, official metric code (tvr_eval) and fine-tuning tasks (vcmr, vcmr_hard, vr, videoqa, violin, tvc)" "$BUILD/hero_golden" --threads 1 --expect 1110 --expect-skip 0 tests/golden/tiny-downstream
if [ -x "$BUILD/test_lmdb_import" ] && [ -x "$BUILD/hero_lmdb_import" ]; then
    run_nogemm "LMDB importer: official-layout databases written, imported, every value checked" "$BUILD/test_lmdb_import" "$BUILD/hero_lmdb_import"
else
    echo "== LMDB importer: SKIPPED (built only with liblmdb-dev libmsgpack-dev liblz4-dev)"
fi
run_nogemm "files over 2 GiB and 4 GiB (sparse): 64-bit sizes, refused without allocating" "$BUILD/test_bigfile" "$BUILD"
run_nogemm "checkpoint saves with every write / fsync / close / rename failing in turn" "$BUILD/test_savefail" "$BUILD"
run "retrieve end to end (tiny model, cache, errors)" bash tests/test_retrieve.sh "$BUILD"
run "videoqa end to end (fine-tuned tiny QA model, a video folder, errors)" bash tests/test_videoqa.sh "$BUILD"
run "retrieval index: search = retrieve, save / load / incremental bit for bit, hostile files; the README program" bash tests/test_index.sh "$BUILD"
run_nogemm "one-file models: config + tokenizer in the weights file (hero_convert, retrieve, hero_inspect), hostile metadata" bash tests/test_onefile.sh "$BUILD"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    if [ "${HERO_TEST_SET:-}" = sanitize ]; then skipped=$((skipped + 1))
    else run_nogemm "tokenizer vs gpt-3-encoder (npm)" bash tests/test_tokenizer.sh "$BUILD"; fi
else
    echo "== tokenizer vs gpt-3-encoder: SKIPPED (node/npm not installed)"
fi
if [ -f tests/test_demo.sh ] && [ -x "$BUILD/train_toy" ]; then
    run "demo: losses fall" bash tests/test_demo.sh "$BUILD"
fi
[ "$skipped" -eq 0 ] || echo "(HERO_TEST_SET=$HERO_TEST_SET: $skipped runs left out)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

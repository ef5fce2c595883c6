#!/usr/bin/env bash
# Tests of the command-line tools hero_inspect and hero_convert:
#   - warning-free builds (gcc; clang and g++ when installed)
#   - hero_inspect lists the golden model.pt (torch zip) and model_legacy.pt (legacy pickle)
#     identically, every dtype of a .safetensors, tests/data/*.npy / *.npz, a model config,
#     a tokenizer; truncated / corrupt / empty / missing files give exit 1 and a message on
#     stderr naming the file, never a signal
#   - hero_convert: model.pt -> f32 safetensors loads bit for bit (hero_convert --check) and
#     passes build/hero_golden --model OUT tests/golden/tiny; f16 / bf16 outputs inspect as
#     such and equal the input after rounding; non-HERO files keep names and int dtypes;
#     errors give exit 1 and a message
# usage: tests/test_tools.sh [BUILD]     (BUILD defaults to build). The tools tested are BUILD's (as
# make built them: `make asan` tests its sanitized ones), or, when missing or older than their
# sources, the warning-check builds of this script (in a temporary folder).
# Prints PASS name / FAIL name: why lines, then "N passed, M failed"; exit 1 on any failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CC=${CC:-gcc}
. tests/lib.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
G=tests/golden/tiny
FLAGS="-Wall -Wextra -Wpedantic -Werror"

# ---- builds ----
for t in hero_inspect hero_convert; do
    if $CC -std=c99 -O2 $FLAGS examples/$t.c -o "$TMP/$t" -lm 2>"$TMP/err"; then ok "build $t ($CC)"
    else bad "build $t ($CC)" "$(head -c 600 "$TMP/err")"; finish; fi
    if command -v clang >/dev/null 2>&1; then
        if clang -std=c99 -fsyntax-only $FLAGS examples/$t.c 2>"$TMP/err"; then ok "build $t (clang)"
        else bad "build $t (clang)" "$(head -c 600 "$TMP/err")"; fi
    fi
    if command -v g++ >/dev/null 2>&1; then
        if g++ -x c++ -fsyntax-only $FLAGS examples/$t.c 2>"$TMP/err"; then ok "build $t (g++)"
        else bad "build $t (g++)" "$(head -c 600 "$TMP/err")"; fi
    fi
done
fresh() { [ -x "$1" ] && [ ! "$2" -nt "$1" ] && [ ! hero.h -nt "$1" ]; } # BINARY SOURCE
INSPECT=$BUILD/hero_inspect
CONVERT=$BUILD/hero_convert
fresh "$INSPECT" examples/hero_inspect.c || INSPECT=$TMP/hero_inspect
fresh "$CONVERT" examples/hero_convert.c || CONVERT=$TMP/hero_convert
echo "# testing $INSPECT and $CONVERT"
GOLDEN=$BUILD/hero_golden
if [ ! -x "$GOLDEN" ] || [ tests/hero_golden.c -nt "$GOLDEN" ] || [ hero.h -nt "$GOLDEN" ]; then
    GOLDEN=$TMP/hero_golden
    $CC -std=c99 -O2 tests/hero_golden.c -o "$GOLDEN" -lm 2>"$TMP/err" || { bad "build hero_golden" "$(head -c 600 "$TMP/err")"; finish; }
fi

# run_tool CMD...: output in $TMP/out, stderr in $TMP/err, exit status in $rc
run_tool() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}
has_line() { grep -qxF -- "$1" "$TMP/out"; }

# ---- hero_inspect: torch zip, legacy, safetensors, npy/npz, config, tokenizer ----
run_tool "$INSPECT" $G/model.pt
if [ $rc -eq 0 ] && has_line "v_encoder.f_encoder.embeddings.word_embeddings.weight f16 [112,48]" &&
    has_line "v_encoder.f_encoder.lm_head.decoder.weight f16 [112,48]" && has_line "video_st_predictor.weight f16 [1,1,5]" &&
    has_line "vocab_padded bool True" &&
    grep -q '^summary: format=torch-zip tensors=115 parameters=111960 bytes=223920 .* shared=1$' "$TMP/out" &&
    [ "$(grep -c ' f16 \[' "$TMP/out")" -eq 115 ]; then ok "inspect model.pt (torch zip)"
else bad "inspect model.pt (torch zip)" "rc $rc: $(tail -n 3 "$TMP/out" "$TMP/err")"; fi
grep -v '^summary' "$TMP/out" >"$TMP/zip.txt"
run_tool "$INSPECT" $G/model_legacy.pt
grep -v '^summary' "$TMP/out" >"$TMP/legacy.txt"
if [ $rc -eq 0 ] && cmp -s "$TMP/zip.txt" "$TMP/legacy.txt" && grep -q '^summary: format=torch-legacy tensors=115 ' "$TMP/out"; then
    ok "inspect model_legacy.pt (legacy pickle) lists the same tensors"
else bad "inspect model_legacy.pt" "rc $rc: $(diff "$TMP/zip.txt" "$TMP/legacy.txt" | head -n 5) $(cat "$TMP/err")"; fi

run_tool "$INSPECT" tests/data/dtypes.safetensors
all=1
for l in "model.f32 f32 [4,6]" "model.f16 f16 [4,6]" "model.bf16 bf16 [4,6]" "model.f64 f64 [5]" "model.i64 i64 [3,4]" \
    "model.i32 i32 [3]" "model.i16 i16 [3]" "model.i8 i8 [3]" "model.u8 u8 [3]" "model.bool bool [3]" "model.scalar f32 []" \
    "model.empty f32 [0,3]" "__metadata__.source str make_test_data.py"; do
    has_line "$l" || { all=0; echo "   missing line: $l"; }
done
if [ $rc -eq 0 ] && [ $all -eq 1 ] && grep -q '^summary: format=safetensors tensors=21 ' "$TMP/out"; then ok "inspect .safetensors: every dtype, metadata"
else bad "inspect .safetensors" "rc $rc: $(cat "$TMP/err")"; fi

run_tool "$INSPECT" tests/golden/tiny/roberta_init/expected_after_load.safetensors
if [ $rc -eq 0 ] && has_line "v_encoder.f_encoder.embeddings.word_embeddings.weight f32 [112,48]" &&
    grep -q '^__metadata__.from_checkpoint str .*(.* bytes)$' "$TMP/out"; then ok "inspect golden safetensors (long metadata shortened)"
else bad "inspect golden safetensors" "rc $rc: $(cat "$TMP/err")"; fi

for f in tests/data/*.npy tests/data/*.npz; do
    [ -e "$f" ] || continue
    run_tool "$INSPECT" "$f"
    case "$f" in
    *fortran.npy) # Fortran-order arrays are not supported: a clean error
        if [ $rc -eq 1 ] && grep -q "$f" "$TMP/err"; then ok "inspect $f: unsupported -> exit 1 + message"
        else bad "inspect $f" "rc $rc: $(cat "$TMP/err")"; fi ;;
    *)
        if [ $rc -eq 0 ] && grep -q '^summary: format=np[yz] ' "$TMP/out"; then ok "inspect $f"
        else bad "inspect $f" "rc $rc: $(cat "$TMP/out" "$TMP/err" | tail -n 3)"; fi ;;
    esac
done
run_tool "$INSPECT" tests/data/a.npy
if has_line "- f32 [3,4]"; then ok "inspect .npy: the tensor is named -"; else bad "inspect .npy name" "$(cat "$TMP/out")"; fi
run_tool "$INSPECT" tests/data/c.npz
if has_line "tiny f32 [3]" && has_line "rand u8 [400]" && ! grep -q '\.npy ' "$TMP/out"; then ok "inspect .npz: member names without .npy"
else bad "inspect .npz names" "$(cat "$TMP/out")"; fi

run_tool "$INSPECT" $G/config.json
if [ $rc -eq 0 ] && grep -q '^f_config hidden_size=48 num_attention_heads=4 intermediate_size=96 num_hidden_layers=2 .*vocab_size=107 vocab_padded=112' "$TMP/out" &&
    grep -q '^c_config .*num_hidden_layers=1' "$TMP/out" && grep -q '^hero vfeat_dim=20 max_frm_seq_len=16 ' "$TMP/out"; then
    ok "inspect config.json: the dims hero_config_from_json reads"
else bad "inspect config.json" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi

mkdir -p "$TMP/tok"
printf '{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "b": 5, "ab": 6, "c": 7, "abc": 8, "<mask>": 9}' >"$TMP/tok/vocab.json"
printf '#version: 0.2\na b\nab c\n' >"$TMP/tok/merges.txt"
run_tool "$INSPECT" "$TMP/tok/vocab.json"
if [ $rc -eq 0 ] && has_line "summary: format=tokenizer vocab=10 merges=2" && grep -q '<mask>=9' "$TMP/out"; then ok "inspect vocab.json (+ merges.txt)"
else bad "inspect vocab.json" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi
run_tool "$INSPECT" "$TMP/tok/merges.txt"
if [ $rc -eq 0 ] && has_line "summary: format=tokenizer vocab=10 merges=2"; then ok "inspect merges.txt (+ vocab.json)"
else bad "inspect merges.txt" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi

# ---- hostile files: truncated, corrupt, empty, missing, a directory ----
# expect_fail NAME FILE: exit 1, a message on stderr naming FILE, no signal
expect_fail() {
    run_tool "$INSPECT" "$2"
    if [ $rc -eq 1 ] && grep -qF -- "$2" "$TMP/err"; then ok "$1"
    else bad "$1" "rc $rc (want 1 and a message naming $2): $(head -c 300 "$TMP/err")"; fi
}
for f in $G/model.pt $G/model_legacy.pt tests/data/ref.safetensors tests/data/a.npy tests/data/c.npz tests/data/ckpt_legacy.pt; do
    size=$(wc -c <"$f")
    b=$(basename "$f")
    for n in 0 5 8 20 $((size / 2)) $((size - 1)); do
        head -c $n "$f" >"$TMP/trunc_$n.$b"
        expect_fail "inspect $b truncated to $n bytes" "$TMP/trunc_$n.$b"
    done
done
# corrupt copies: the result may be readable or not, but never a signal, and exit 1 always explains
nsig=0
ncorrupt=0
for f in $G/model.pt $G/model_legacy.pt tests/data/dtypes.safetensors tests/data/c.npz tests/data/s.npz tests/data/ckpt.pt; do
    size=$(wc -c <"$f")
    b=$(basename "$f")
    for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
        cp "$f" "$TMP/c.$b"
        off=$(((k * 7919 + k * k * 104729) % size))
        printf '\377\000\177' | dd of="$TMP/c.$b" bs=1 seek=$off conv=notrunc status=none
        run_tool "$INSPECT" "$TMP/c.$b"
        ncorrupt=$((ncorrupt + 1))
        if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && ! grep -qF "$TMP/c.$b" "$TMP/err"; }; then
            nsig=$((nsig + 1))
            echo "   corrupt $b at $off: rc $rc $(head -c 200 "$TMP/err")"
        fi
    done
done
if [ $nsig -eq 0 ]; then ok "inspect $ncorrupt corrupt copies: no signal, every failure explained"
else bad "inspect corrupt copies" "$nsig of $ncorrupt crashed or failed silently"; fi
: >"$TMP/empty.pt"
expect_fail "inspect an empty file" "$TMP/empty.pt"
expect_fail "inspect a missing file" "$TMP/does_not_exist.pt"
expect_fail "inspect a directory" "$TMP"
# torch files that are not state dicts: listed, then exit 1 naming the root object
legacy_file() { # OUT PICKLE-PAYLOAD-FILE: legacy torch.save file, no storages
    { printf '\200\002\212\012\154\374\234\106\371\040\152\250\120\031\056'
      printf '\200\002M\351\003.'
      printf '\200\002}(X\015\000\000\000little_endian\210u.'
      cat "$2"
      printf '\200\002].'; } >"$1"
}
{ printf '\200\002]('; head -c 100000 /dev/zero | tr '\0' ']'; printf 'e.'; } >"$TMP/lists.pkl"
legacy_file "$TMP/lists.pt" "$TMP/lists.pkl"
run_tool "$INSPECT" "$TMP/lists.pt"
if [ $rc -eq 1 ] && grep -qF "$TMP/lists.pt: not a state dict: the pickled root object is a list of 100000 items" "$TMP/err" &&
    [ "$(grep -c ' list \[\]$' "$TMP/out")" -eq 100000 ]; then ok "inspect a pickle of 100,000 empty lists: listed, exit 1, root named"
else bad "inspect a pickle of 100,000 empty lists" "rc $rc: $(head -c 300 "$TMP/err")"; fi
printf '\200\002K\007.' >"$TMP/int.pkl"
legacy_file "$TMP/int.pt" "$TMP/int.pkl"
run_tool "$INSPECT" "$TMP/int.pt"
if [ $rc -eq 1 ] && grep -qF "root object is an int, not a dict" "$TMP/err" && has_line "- int 7"; then ok "inspect torch.save(7): exit 1, root named"
else bad "inspect torch.save(7)" "rc $rc: $(cat "$TMP/out") $(head -c 300 "$TMP/err")"; fi
printf '{"f_config": {"hidden_size": 48' >"$TMP/bad_config.json"
expect_fail "inspect truncated JSON" "$TMP/bad_config.json"
printf '{"f_config": {"hidden_size": 48}, "c_config": {}, "q_config": {}}' >"$TMP/incomplete_config.json"
expect_fail "inspect a config without the required keys" "$TMP/incomplete_config.json"

# ---- hero_convert ----
# the golden checkpoint -> f32: tensors equal, hero_model_load gives the same weights bit for bit
run_tool "$CONVERT" $G/model.pt "$TMP/m32.safetensors" --check $G/config.json
if [ $rc -eq 0 ] && grep -q '^verify: every tensor' "$TMP/out" && grep -q 'bit for bit' "$TMP/out"; then
    ok "convert model.pt -> f32: hero_model_load gives identical weights"
else bad "convert model.pt -> f32" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi
run_tool "$INSPECT" "$TMP/m32.safetensors"
if [ $rc -eq 0 ] && [ "$(grep -c ' f32 \[' "$TMP/out")" -eq 114 ] && ! grep -q '^v_encoder.f_encoder.lm_head.decoder' "$TMP/out" &&
    grep -q '^__metadata__.tied str v_encoder.f_encoder.lm_head.decoder.weight=v_encoder.f_encoder.embeddings.word_embeddings.weight$' "$TMP/out" &&
    has_line "__metadata__.vocab_padded str True"; then ok "converted f32 file: 114 f32 tensors, tied decoder stored once, metadata"
else bad "converted f32 file" "$(tail -n 5 "$TMP/out")"; fi
# golden parity with the converted file. The tied copy is stored once and declared in the
# metadata ("tied"), which the loader honours: every line must be OK.
run_tool "$GOLDEN" --model "$TMP/m32.safetensors" $G
others=$(grep -v ' OK$' "$TMP/out" | grep -v ' - SKIP$' | grep -v '^[0-9]* passed, 0 failed$')
nok=$(grep -c ' OK$' "$TMP/out")
if [ $rc -eq 0 ] && [ -z "$others" ] && [ "$nok" -gt 100 ]; then
    ok "hero_golden --model converted f32 (tied table stored once): $nok lines OK"
else bad "hero_golden --model converted f32" "rc $rc: $(echo "$others" | head -n 5)"; fi
run_tool "$CONVERT" $G/model.pt "$TMP/m32t.safetensors" --keep-tied --check $G/config.json
run_tool "$GOLDEN" --model "$TMP/m32t.safetensors" $G
others=$(grep -v ' OK$' "$TMP/out" | grep -v ' - SKIP$' | grep -v '^[0-9]* passed, 0 failed$')
if [ $rc -eq 0 ] && [ -z "$others" ]; then ok "hero_golden --model converted f32 --keep-tied: every line OK ($(tail -n 1 "$TMP/out"))"
else bad "hero_golden --model converted --keep-tied" "rc $rc: $(echo "$others" | head -n 5)"; fi
run_tool "$CONVERT" $G/model_legacy.pt "$TMP/ml.safetensors" --check $G/config.json
if [ $rc -eq 0 ] && grep -q 'bit for bit' "$TMP/out"; then ok "convert model_legacy.pt -> f32: identical weights"
else bad "convert model_legacy.pt" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi

# f16 / bf16 outputs
for d in f16 bf16; do
    run_tool "$CONVERT" $G/model.pt "$TMP/m_$d.safetensors" --dtype $d --check $G/config.json
    if [ $rc -eq 0 ] && grep -q '^verify: every tensor .* rounded to the output dtype' "$TMP/out"; then ok "convert model.pt -> $d: values = input rounded to $d"
    else bad "convert -> $d" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi
    run_tool "$INSPECT" "$TMP/m_$d.safetensors"
    if [ $rc -eq 0 ] && [ "$(grep -c " $d \[" "$TMP/out")" -eq 114 ] && has_line "v_encoder.f_encoder.embeddings.word_embeddings.weight $d [112,48]" &&
        grep -q "^summary: format=safetensors tensors=114 parameters=106584 bytes=213168 " "$TMP/out"; then ok "inspect $d output: 114 $d tensors"
    else bad "inspect $d output" "rc $rc: $(tail -n 3 "$TMP/out")"; fi
done
# model.pt holds fp16 weights: the f16 file is lossless, so it passes golden parity too
run_tool "$GOLDEN" --model "$TMP/m_f16.safetensors" $G
others=$(grep -v ' OK$' "$TMP/out" | grep -v '^[0-9]* passed, [0-9]* failed$' | grep -v ' - SKIP$' |
    grep -vxF 'load missing-keys - FAIL (v_encoder.f_encoder.lm_head.decoder.weight)')
if [ -z "$others" ]; then ok "hero_golden --model converted f16 (lossless for fp16 weights)"
else bad "hero_golden --model converted f16" "$(echo "$others" | head -n 3)"; fi

# non-HERO files keep their names and integer dtypes
run_tool "$CONVERT" tests/data/dtypes.safetensors "$TMP/d.safetensors" --dtype bf16 --verify
run_tool "$INSPECT" "$TMP/d.safetensors"
if [ $rc -eq 0 ] && has_line "model.f32 bf16 [4,6]" && has_line "model.f64 bf16 [5]" && has_line "model.i64 i64 [3,4]" &&
    has_line "model.bool bool [3]" && has_line "model.expanded i64 [4,3]" && has_line "model.empty bf16 [0,3]" && has_line "model.scalar bf16 []"; then
    ok "convert a generic file: names kept, floats -> bf16, ints / bool keep their dtype"
else bad "convert generic" "rc $rc: $(cat "$TMP/out" "$TMP/err" | head -n 8)"; fi
run_tool "$CONVERT" tests/data/ckpt.pt "$TMP/ck.safetensors" --verify
if [ $rc -eq 0 ] && grep -q '^verify: every tensor' "$TMP/out"; then ok "convert torch views / expanded / shared storages (ckpt.pt): every tensor equal"
else bad "convert ckpt.pt" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi
run_tool "$CONVERT" tests/data/c.npz "$TMP/c.safetensors" --verify
if [ $rc -eq 0 ] && grep -q '^verify: every tensor' "$TMP/out"; then ok "convert .npz"
else bad "convert .npz" "rc $rc: $(cat "$TMP/out" "$TMP/err")"; fi

# errors
head -c 5000 $G/model.pt >"$TMP/trunc.pt"
run_tool "$CONVERT" "$TMP/trunc.pt" "$TMP/x.safetensors"
if [ $rc -eq 1 ] && grep -qF "$TMP/trunc.pt" "$TMP/err" && [ ! -e "$TMP/x.safetensors" ]; then ok "convert a truncated file: exit 1 + message, no output"
else bad "convert truncated" "rc $rc: $(cat "$TMP/err")"; fi
run_tool "$CONVERT" "$TMP/missing.pt" "$TMP/x.safetensors"
if [ $rc -eq 1 ] && grep -qF "$TMP/missing.pt" "$TMP/err"; then ok "convert a missing file: exit 1 + message"
else bad "convert missing" "rc $rc: $(cat "$TMP/err")"; fi
run_tool "$CONVERT" $G/model.pt "$TMP/no/such/dir/x.safetensors"
if [ $rc -eq 1 ] && grep -qF "$TMP/no/such/dir/x.safetensors" "$TMP/err"; then ok "convert to an unwritable path: exit 1 + message"
else bad "convert unwritable" "rc $rc: $(cat "$TMP/err")"; fi
run_tool "$CONVERT" $G/model.pt "$TMP/x.safetensors" --dtype f8
if [ $rc -eq 2 ] && grep -q 'f8' "$TMP/err"; then ok "convert --dtype f8: usage error"
else bad "convert --dtype f8" "rc $rc: $(cat "$TMP/err")"; fi
finish

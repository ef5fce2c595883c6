#!/usr/bin/env bash
# make test-cross / make test-windows: runs the cross-built programs of BUILD/<arch>/ under
# qemu-user, or those of BUILD/ (the .exe files) under wine64.
#   bash tests/run_cross.sh BUILD ARCH...      (ARCH: aarch64, armhf, windows)
# Per architecture: hero_golden on tests/golden/tiny (model.pt, then model_legacy.pt), the
# file-format tests, the > 2 GiB file test and every fuzz target's regression inputs + seed
# corpus. Ends "N passed, N failed" (one check per program run, hero_golden counted per line).
set -u
cd "$(dirname "$0")/.."
B=${1:?build dir}; shift
FUZZ_TARGETS=${FUZZ_TARGETS:-"zip torchzip legacy safetensors json npy npz vocab merges tokenize srt jsonl"}  # the Makefile passes its list
# LeakSanitizer cannot run under qemu-user (it needs ptrace); ASan / UBSan errors stop the program
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total_pass=0; total_fail=0
for arch in "$@"; do
    case $arch in
        aarch64) q=qemu-aarch64; export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu ;;
        armhf)   q=qemu-arm;     export QEMU_LD_PREFIX=/usr/arm-linux-gnueabihf ;;
        windows) # wine64 headless: its own prefix under BUILD, no display, no debug chatter
            q=$(command -v wine64 || echo /usr/lib/wine/wine64)
            export WINEPREFIX=$PWD/$B/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
            mkdir -p "$WINEPREFIX" ;;
        *) echo "run_cross.sh: unknown architecture $arch"; exit 2 ;;
    esac
    d=$B/$arch; x=
    if [ "$arch" = windows ]; then d=$B; x=.exe; fi
    # a program whose last line is "N passed, N failed": adds its counts
    summary() { # name, command...
        local name=$1 out rc last p f t0
        shift
        t0=$(date +%s)
        out=$("$@" 2>&1); rc=$?
        last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
        if [ -z "$last" ]; then p=0; f=1; else
            p=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/'); f=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/'); fi
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        if [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then
            printf '%s\n' "$out" | grep -v ' OK$\|^PASS ' | tail -n 30
            echo "FAIL $arch $name: ${last:-no summary line} (exit $rc, $(( $(date +%s) - t0 )) s)"
            [ "$f" -eq 0 ] && f=1
        else
            echo "PASS $arch $name: $last ($(( $(date +%s) - t0 )) s)"
        fi
        total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    }
    summary "hero_golden tests/golden/tiny" $q "$d/hero_golden$x" tests/golden/tiny
    summary "hero_golden --model model_legacy.pt" $q "$d/hero_golden$x" --model tests/golden/tiny/model_legacy.pt tests/golden/tiny
    summary "test_formats" $q "$d/test_formats$x"
    summary "test_bigfile (sparse 2.5 GiB and 4 GiB + 17 files)" $q "$d/test_bigfile$x" "$tmp"
    if [ "$arch" != windows ] && [ -n "${CROSS_REPLAY+x}" ] && [[ " $CROSS_REPLAY " != *" $arch "* ]]; then
        echo "SKIP $arch fuzz replays (CROSS_REPLAY=\"$CROSS_REPLAY\")"
        continue
    fi
    for t in $FUZZ_TARGETS; do
        dirs=()
        [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
        [ -d "tests/fuzz/corpus/$t" ] && dirs+=("tests/fuzz/corpus/$t")
        out=$($q "$d/replay_$t$x" "${dirs[@]}" 2>&1); rc=$?
        out=${out//$'\r'/} # wine: the Windows program ends its lines with CR LF
        n=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) inputs replayed$/\1/p' | tail -n 1)
        if [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ]; then
            echo "PASS $arch replay_$t: $n inputs (${dirs[*]})"; total_pass=$((total_pass + 1))
        else
            printf '%s\n' "$out" | tail -n 30
            echo "FAIL $arch replay_$t: exit $rc, ${n:-0} inputs replayed"; total_fail=$((total_fail + 1))
        fi
    done
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

#!/usr/bin/env bash
# hero.h consumed the usual ways, out of tree: `make install PREFIX=...` (hero.h + hero.pc) then a
# program built with `pkg-config --cflags --libs hero`; and with CMake, hero::hero through
# add_subdirectory and through FetchContent. Each program runs one forward pass.
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; printf '%s\n' "$2" | tail -n 15 | sed 's/^/   /'; fail=$((fail + 1)); }

# 1. make install + pkg-config
if out=$(make -s install PREFIX="$T/prefix" 2>&1) && [ -f "$T/prefix/include/hero.h" ] && [ -f "$T/prefix/lib/pkgconfig/hero.pc" ]; then
    ok "make install PREFIX=...: include/hero.h and lib/pkgconfig/hero.pc"
    if cmp -s hero.h "$T/prefix/include/hero.h"; then ok "installed hero.h is the repository's"; else bad "installed hero.h" "differs"; fi
    flags=$(PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig" pkg-config --cflags --libs hero 2>&1)
    if [ $? -eq 0 ] && printf '%s' "$flags" | grep -q -- "-I$T/prefix/include"; then ok "pkg-config hero: $flags"; else bad "pkg-config hero" "$flags"; fi
    cp tests/consumer/consumer.c "$T/"
    if out=$(cd "$T" && ${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Werror consumer.c -o consumer_pc $flags 2>&1) && out=$("$T/consumer_pc" 2>&1); then
        ok "pkg-config consumer builds warning-free and runs: $out"
    else
        bad "pkg-config consumer" "$out"
    fi
else
    bad "make install" "$out"
fi

# 2. CMake: add_subdirectory and FetchContent. FetchContent gets a tarball of the tracked files
# (as a release is fetched), never the checkout directory itself: that holds the build trees,
# which other jobs may be writing while CMake would copy them.
if command -v cmake >/dev/null 2>&1; then
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z | tar --null -T - -czf "$T/hero-src.tar.gz" --transform 's,^,hero/,'
    else
        tar -czf "$T/hero-src.tar.gz" --transform 's,^,hero/,' hero.h CMakeLists.txt LICENSE
    fi
    for via in subdir fetch; do
        B="$T/cmake-$via"
        if out=$(cmake -S tests/consumer -B "$B" -DHERO_DIR="$ROOT" -DHERO_URL="$T/hero-src.tar.gz" -DHERO_VIA=$via -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" 2>&1) &&
           out=$(cmake --build "$B" 2>&1) && out=$("$B/consumer" 2>&1); then
            ok "CMake consumer via $([ $via = subdir ] && echo add_subdirectory || echo FetchContent), hero::hero: $out"
        else
            bad "CMake consumer via $via" "$out"
        fi
    done
else
    echo "SKIP CMake consumers: cmake not installed"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

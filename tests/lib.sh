# Sourced by the tests/*.sh scripts: PASS / FAIL lines and the suite's summary line.
#   ok NAME            PASS NAME
#   bad NAME [WHY]     FAIL NAME: WHY
#   finish             prints "N passed, N failed" and exits non-zero on any failure
pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

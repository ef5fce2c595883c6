# sourced by .ci/hostile.sh and .ci/reliability.sh: step NAME COMMAND... runs the command and prints
# its result, its wall seconds and the CPU seconds (user, sys) of the script's steps so far.
step() {
    local name=$1 t0 rc cpu
    shift
    echo "== $name"
    t0=$(date +%s)
    "$@" && rc=0 || rc=$?
    times >"${TMPDIR:-/tmp}/hero_ci_times.$$" # `times` in this shell: a $(...) would count only its own
    cpu=$(tail -n 1 "${TMPDIR:-/tmp}/hero_ci_times.$$")
    rm -f "${TMPDIR:-/tmp}/hero_ci_times.$$"
    echo "== $name: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $(( $(date +%s) - t0 )) s (CPU of the steps so far, user sys: $cpu)"
    return $rc
}

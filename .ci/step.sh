# sourced by .ci/hostile.sh and .ci/reliability.sh: `step KEY NAME COMMAND...` runs the command and
# prints its result, its wall seconds and the CPU seconds (user, sys) of the script's steps so far.
# A script given a step key (`bash .ci/hostile.sh asan`; CI_ONLY) runs only that step.
step() {
    local key=$1 name=$2 t0 rc cpu
    shift 2
    if [ -n "${CI_ONLY:-}" ] && [ "$CI_ONLY" != "$key" ]; then return 0; fi
    echo "== $name"
    t0=$(date +%s)
    "$@" && rc=0 || rc=$?
    times >"${TMPDIR:-/tmp}/hero_ci_times.$$" # `times` in this shell: a $(...) would count only its own
    cpu=$(tail -n 1 "${TMPDIR:-/tmp}/hero_ci_times.$$")
    rm -f "${TMPDIR:-/tmp}/hero_ci_times.$$"
    echo "== $name: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $(( $(date +%s) - t0 )) s (CPU of the steps so far, user sys: $cpu)"
    return $rc
}

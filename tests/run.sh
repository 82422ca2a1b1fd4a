#!/usr/bin/env bash
# Run every test program under BUILD_DIR/tests, sum what cmocka reports,
# and close with the line CI reads: "N passed, N failed, N skipped".
#
#   tests/run.sh build/asan            all suites
#   tests/run.sh build/asan store      only tests/store/*
#   VALGRIND=1 tests/run.sh build/release
#
# Each program runs from the repository root (tests find ../shared/datasets
# relative to it).  A program that crashes or exits non-zero without a
# cmocka summary counts as one failure.
set -u
build=${1:-build/asan}
only=${2:-}
cd "$(dirname "$0")/.."
export REVOS_BIN=${REVOS_BIN:-$PWD/$build/revos}
export REVOS_TEST_TMP=${REVOS_TEST_TMP:-$(mktemp -d /tmp/revos-tests.XXXXXX)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0 skipped=0
failed_names=()
for t in $(find "$build/tests" -type f -name 'test_*' -perm -u+x | sort); do
    case "$t" in *"/tests/$only"*) ;; *) [ -n "$only" ] && continue ;; esac
    name=${t#"$build/"}
    log="$REVOS_TEST_TMP/$(echo "$name" | tr / _).log"
    start=$(date +%s.%N)
    if [ "${VALGRIND:-0}" = 1 ]; then
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            "$t" >"$log" 2>&1
    else
        "$t" >"$log" 2>&1
    fi
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
    f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
    s=$(grep -E '^\[  SKIPPED \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    printf '%-40s %4d passed %3d failed %3d skipped  %6.1fs\n' "$name" "$p" "$f" "$s" "$secs"
    if [ "$f" -ne 0 ]; then
        failed_names+=("$name")
        sed 's/^/    | /' "$log" | grep -vE '^\s+\| \[ (RUN|      OK) ' | tail -40
    fi
    if [ "$s" -ne 0 ]; then
        grep -E 'SKIP|skip' "$log" | grep -v '^\[  SKIPPED' | sed 's/^/    | /' | head -5
    fi
done
echo
if [ ${#failed_names[@]} -ne 0 ]; then
    echo "failing: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

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
#
# Then the PostgreSQL half: the store, service and api programs run a
# second time with REVOS_TEST_PG_URL set (see tests/support/testutil.h),
# on a throwaway cluster started by scripts/pg-cluster (or on the server
# REVOS_TEST_PG_URL already names), tagged "[pg]" and added to the totals.
# When PostgreSQL is not installed that half says so loudly, and fails the
# run under CI=true.
set -u
build=${1:-build/asan}
only=${2:-}
cd "$(dirname "$0")/.."
export REVOS_BIN=${REVOS_BIN:-$PWD/$build/revos}
export REVOS_TEST_TMP=${REVOS_TEST_TMP:-$(mktemp -d /tmp/revos-tests.XXXXXX)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pg_url=${REVOS_TEST_PG_URL:-}
unset REVOS_TEST_PG_URL # the first half runs on SQLite
# Suites that run on both backends, and programs of those suites that still
# open the SQLite file themselves (none today; such a program is listed here
# and named in the output until it uses the tests/support helpers).
pg_suites="store service api"
pg_pending=""
passed=0 failed=0 skipped=0
failed_names=()

# run_one PROGRAM TAG: run one test program, print its line, add its counts.
run_one() {
    local t=$1 tag=$2 name log start rc secs p f s
    name=${t#"$build/"}
    log="$REVOS_TEST_TMP/${tag:+pg_}$(echo "$name" | tr / _).log"
    start=$(date +%s.%N)
    if [ "${VALGRIND:-0}" = 1 ] && [ "$(head -c2 "$t")" != '#!' ]; then # not the browser test's script
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
    printf '%-40s %4d passed %3d failed %3d skipped  %6.1fs\n' "$tag$name" "$p" "$f" "$s" "$secs"
    if [ "$f" -ne 0 ]; then
        failed_names+=("$tag$name")
        sed 's/^/    | /' "$log" | grep -vE '^\s+\| \[ (RUN|      OK) ' | tail -40
    fi
    if [ "$s" -ne 0 ]; then
        grep -E 'SKIP|skip' "$log" | grep -v '^\[  SKIPPED' | sed 's/^/    | /' | head -5
    fi
}

programs() { find "$@" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort; }
selected() { case "$1" in *"/tests/$only"*) return 0 ;; *) [ -z "$only" ] ;; esac; }

for t in $(programs "$build/tests"); do
    case "$t" in *_pg) continue ;; esac # PostgreSQL-only suites run in the [pg] half
    selected "$t" && run_one "$t" ""
done

# --- the PostgreSQL half -----------------------------------------------------
pg_programs=()
for suite in $pg_suites; do
    for t in $(programs "$build/tests/$suite"); do
        selected "$t" && pg_programs+=("$t")
    done
done
if [ ${#pg_programs[@]} -ne 0 ]; then
    echo
    started=""
    if [ -z "$pg_url" ] && scripts/pg-cluster bindir >/dev/null 2>&1; then
        pg_t0=$(date +%s.%N)
        if pg_url=$(scripts/pg-cluster start); then
            started=$pg_url
            trap 'scripts/pg-cluster stop "$started"' EXIT
            printf '[pg] cluster %s started in %.1fs\n' "$pg_url" \
                "$(echo "$(date +%s.%N) - $pg_t0" | bc)"
        else
            echo "[pg] could not start a PostgreSQL cluster (scripts/pg-cluster start failed)"
            failed=$((failed + 1))
            failed_names+=("[pg]cluster")
        fi
    fi
    if [ -n "$pg_url" ]; then
        for t in "${pg_programs[@]}"; do
            case " $pg_pending " in
            *" ${t#"$build/"} "*)
                printf '%-40s NOT run on PostgreSQL: it opens the SQLite file itself\n' \
                    "[pg]${t#"$build/"}"
                continue ;;
            esac
            REVOS_TEST_PG_URL=$pg_url run_one "$t" "[pg]"
        done
    elif [ -z "$started" ] && ! scripts/pg-cluster bindir >/dev/null 2>&1; then
        echo "!!! PostgreSQL not installed: the PostgreSQL half of the suites did NOT run !!!"
        echo "!!! (apt-get install postgresql, or set REVOS_TEST_PG_URL to a server)       !!!"
        if [ "${CI:-}" = true ]; then
            failed=$((failed + 1))
            failed_names+=("[pg](PostgreSQL not installed)")
        fi
    fi
    if [ -n "$started" ]; then
        scripts/pg-cluster stop "$started"
        trap - EXIT
    fi
fi
echo
if [ ${#failed_names[@]} -ne 0 ]; then
    echo "failing: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

#!/usr/bin/env bash
# Run every benchmark: each bench/bench_*.sh script, in name order.  C
# programs under bench/ are built by `make bench` into BUILD_DIR/bench/ and
# driven by these scripts, which print their figures and the ratio to the
# baseline measured in the same run.  Results go to docs/performance.md by
# hand, with the command that produced them.
set -euo pipefail
build=${1:-build/release}
cd "$(dirname "$0")/.."
export BENCH_BIN_DIR=$PWD/$build/bench
export REVOS_BIN=${REVOS_BIN:-$PWD/$build/revos}
export BENCH_TMP=${BENCH_TMP:-$(mktemp -d /tmp/revos-bench.XXXXXX)}
only=${BENCH:-}
for s in bench/bench_*.sh; do
    [ -n "$only" ] && [[ "$s" != *"$only"* ]] && continue
    echo "== $s"
    bash "$s"
    echo
done

#!/usr/bin/env bash
# The dashboard in Debian's Chromium (tests/web/dashboard.mjs), as one of
# the programs tests/run.sh runs: it prints cmocka's summary lines.
# Installed by the Makefile as BUILD/tests/web/test_dashboard.
#
# Without node, npm or chromium it skips, saying why; under CI=true it
# fails instead, so a machine without them cannot pass for a tested one.
set -u
# tests/run.sh runs programs from the repository; else BUILD/tests/web/../../../..
[ -f tests/web/dashboard.mjs ] || cd "$(dirname "$0")/../../../.."
chromium=${CHROMIUM:-/usr/bin/chromium}
missing=()
command -v node >/dev/null || missing+=(node)
command -v npm >/dev/null || missing+=(npm)
[ -x "$chromium" ] || missing+=("chromium ($chromium)")
if [ ${#missing[@]} -ne 0 ]; then
    echo "[==========] 1 test(s) run."
    if [ "${CI:-}" = true ]; then
        echo "!!! the browser test cannot run: missing ${missing[*]} (run scripts/install-deps) !!!"
        echo "[  FAILED  ] 1 test(s), listed below:"
        echo "[  FAILED  ] dashboard"
        exit 1
    fi
    echo "SKIP: the browser test needs ${missing[*]} (run scripts/install-deps)"
    echo "[  SKIPPED ] 1 test(s), listed below:"
    echo "[  SKIPPED ] dashboard"
    exit 0
fi
if ! scripts/build-web; then
    echo "[  FAILED  ] 1 test(s), listed below:"
    echo "[  FAILED  ] building the dashboard (scripts/build-web)"
    exit 1
fi
exec node tests/web/dashboard.mjs

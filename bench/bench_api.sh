#!/usr/bin/env bash
# bench_api.sh - throughput and latency of `revos serve` against a minimal
# libmicrohttpd server with the same threading (bench/api_baseline.c) that
# answers a fixed JSON body of the same size, measured in the same run.
#
#   GET /api/v1/deals/{id}                         (random id, Lua script)
#   GET /api/v1/deals?filter=amount>=1000&limit=20 (a filtered page, the
#       same each time: after the first, answered from the worker's page
#       cache, src/api/page_cache.c)
#   GET /api/v1/deals?filter=amount>=N&limit=20    (N random in 1000..100000:
#       a different page each time, so nearly every request reads its rows)
#
# each with wrk -c32 (throughput) and -c4 (latency), for `revos serve`
# and for the baseline; prints requests/s, p50, p99 and revos/baseline.
# On a machine of 2 or more cores the servers run on core 0 and wrk on
# core 1 (taskset), so the client does not take CPU from the server it
# measures and p99 is the server's latency, not queueing behind wrk;
# the servers then run one thread each (one core).  Each run also
# reads the server's CPU time (utime + stime from /proc) before and after
# and prints CPU microseconds per request: on a machine shared with other
# work the requests/s of both servers move with the load, while the CPU a
# request costs barely does, so "cpu ratio" (baseline us / revos us) is the
# figure to compare when the load average is high.
#
# Data: `revos gen --deals 20000 --seed 1`; requests carry a read-scope API
# token of the admin (every request is authenticated, as in production).
#
# Environment (from bench/run.sh): BENCH_BIN_DIR, REVOS_BIN, BENCH_TMP.
# Optional: API_BENCH_SECONDS (10), API_BENCH_THREADS (server threads: 1
# when pinned, else 2), API_BENCH_PIN=0 (no pinning).
set -euo pipefail
: "${BENCH_BIN_DIR:?}" "${REVOS_BIN:?}" "${BENCH_TMP:?}"
secs=${API_BENCH_SECONDS:-10}
server_cpu=() client_cpu=() wrk_threads=2
if [ "${API_BENCH_PIN:-1}" != 0 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    server_cpu=(taskset -c 0) client_cpu=(taskset -c 1) wrk_threads=1
fi
threads=${API_BENCH_THREADS:-$([ ${#server_cpu[@]} -gt 0 ] && echo 1 || echo 2)}
dir=$BENCH_TMP/api
mkdir -p "$dir"
db=$dir/api.db
rm -f "$db" "$db-wal" "$db-shm"

for tool in wrk curl; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench_api: '$tool' is not installed (apt-get install $tool); skipped"
        exit 0
    fi
done

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# start_server NAME CMD...: runs CMD, waits for the port its first stderr
# line names ("127.0.0.1:N" or "port N"), and sets PORT.
start_server() {
    local name=$1
    shift
    "$@" 2>"$dir/$name.err" &
    pids+=($!)
    PORT=
    for _ in $(seq 200); do
        PORT=$(head -1 "$dir/$name.err" | grep -oE '(127\.0\.0\.1:|port )[0-9]+' |
            grep -oE '[0-9]+$' || true)
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    echo "bench_api: $name did not start:" >&2
    cat "$dir/$name.err" >&2
    exit 1
}

"$REVOS_BIN" --db "$db" init >/dev/null 2>&1
"$REVOS_BIN" --db "$db" gen --deals 20000 --seed 1 >"$dir/gen.log" 2>&1
data="revos gen --deals 20000 --seed 1"
# the API needs a token: a read-scope one for the admin created by init
token=$("$REVOS_BIN" --db "$db" tokens create --user admin@revos.local --name bench --scope read 2>/dev/null)
auth="Authorization: Bearer $token"

start_server revos "${server_cpu[@]}" "$REVOS_BIN" --db "$db" serve --port 0 --threads "$threads"
revos=http://127.0.0.1:$PORT
revos_pid=${pids[-1]}

maxid=$(curl -sf -H "$auth" "$revos/api/v1/deals?sort=-id&limit=1" | grep -oE '"id":[0-9]+' | head -1 | cut -d: -f2)
list_path="/api/v1/deals?filter=amount%3E%3D1000&limit=20"
record_bytes=$(curl -sf -H "$auth" "$revos/api/v1/deals/$maxid" | wc -c)
list_bytes=$(curl -sf -H "$auth" "$revos$list_path" | wc -c)
list_rows=$(curl -sf -H "$auth" "$revos$list_path" | grep -oE '"external_id":' | wc -l)
if [ "$list_rows" -ne 20 ]; then
    echo "bench_api: the filtered list returned $list_rows rows, want 20" >&2
    exit 1
fi

start_server base_record "${server_cpu[@]}" "$BENCH_BIN_DIR/api_baseline" --port 0 --threads "$threads" \
    --body-size "$record_bytes"
base_record=http://127.0.0.1:$PORT
base_record_pid=${pids[-1]}
start_server base_list "${server_cpu[@]}" "$BENCH_BIN_DIR/api_baseline" --port 0 --threads "$threads" \
    --body-size "$list_bytes"
base_list=http://127.0.0.1:$PORT
base_list_pid=${pids[-1]}

lua=$dir/random_id.lua
cat >"$lua" <<EOF
-- a different deal on every request
math.randomseed(1)
request = function()
  return wrk.format("GET", "/api/v1/deals/" .. math.random(1, $maxid))
end
EOF
lua_list=$dir/random_list.lua
cat >"$lua_list" <<EOF
-- a different filtered page on every request
math.randomseed(2)
request = function()
  return wrk.format("GET", "/api/v1/deals?filter=amount%3E%3D" .. math.random(1000, 100000) .. "&limit=20")
end
EOF

# CPU time of process PID so far, in clock ticks (utime + stime)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_us=$(awk -v t="$(getconf CLK_TCK)" 'BEGIN {print 1000000 / t}')

# wrk_run OUT CONNS URL PID [SCRIPT]: one measurement of the server PID;
# fails on any error.  Appends "cpu_us_per_request N" to OUT.
wrk_run() {
    local out=$1 conns=$2 url=$3 pid=$4 script=${5:-}
    local t0
    t0=$(cpu_ticks "$pid")
    "${client_cpu[@]}" wrk -t"$wrk_threads" -c"$conns" -d"${secs}s" --latency -H "$auth" ${script:+-s "$script"} "$url" >"$out"
    awk -v d="$(($(cpu_ticks "$pid") - t0))" -v us="$tick_us" '/ requests in / {
        printf "cpu_us_per_request %.1f\n", d * us / $1 }' "$out" >>"$out"
    if grep -qE 'Non-2xx|Socket errors' "$out"; then
        echo "bench_api: errors during $url:" >&2
        cat "$out" >&2
        exit 1
    fi
}
req_s() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$1"; }
cpu_us() { awk '/^cpu_us_per_request/ {print $2}' "$1"; }
# latency percentile in ms
pct() {
    awk -v p="$2" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        printf "%.2f", v }' "$1"
}

# warm both (page cache, prepared statements, connections per thread)
wrk -t2 -c8 -d2s -H "$auth" -s "$lua" "$revos" >/dev/null
wrk -t2 -c8 -d2s -H "$auth" "$revos$list_path" >/dev/null
wrk -t2 -c8 -d2s -H "$auth" "$base_record/" >/dev/null

echo "data: $data; $maxid deals; a record is $record_bytes bytes, the list page $list_bytes bytes"
if [ ${#server_cpu[@]} -gt 0 ]; then
    echo "servers: $threads thread(s) each on core 0; wrk -t$wrk_threads -d${secs}s on core 1"
else
    echo "servers: $threads threads each; wrk -t2 -d${secs}s on the same $(nproc) core(s)"
fi
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-48s %5s %9s %8s %8s %7s   %9s %8s %8s %7s   %5s %5s\n' "case" "conns" "revos/s" \
    "p50 ms" "p99 ms" "cpu us" "base/s" "p50 ms" "p99 ms" "cpu us" "ratio" "cpu"
results=()
for conns in 32 4; do
    for what in get list list_new; do
        if [ "$what" = get ]; then
            label="GET /api/v1/deals/{id}"
            wrk_run "$dir/r.txt" "$conns" "$revos" "$revos_pid" "$lua"
            wrk_run "$dir/b.txt" "$conns" "$base_record/" "$base_record_pid"
        elif [ "$what" = list ]; then
            label="GET /api/v1/deals?filter=amount>=1000&limit=20"
            wrk_run "$dir/r.txt" "$conns" "$revos$list_path" "$revos_pid"
            wrk_run "$dir/b.txt" "$conns" "$base_list/" "$base_list_pid"
        else
            label="GET /api/v1/deals?filter=amount>=N&limit=20"
            wrk_run "$dir/r.txt" "$conns" "$revos" "$revos_pid" "$lua_list"
            wrk_run "$dir/b.txt" "$conns" "$base_list/" "$base_list_pid"
        fi
        r=$(req_s "$dir/r.txt") b=$(req_s "$dir/b.txt")
        ratio=$(awk -v r="$r" -v b="$b" 'BEGIN {printf "%.2f", r / b}')
        rc=$(cpu_us "$dir/r.txt") bc=$(cpu_us "$dir/b.txt")
        cratio=$(awk -v r="$rc" -v b="$bc" 'BEGIN {printf "%.2f", (r > 0 ? b / r : 0)}')
        printf '%-48s %5s %9s %8s %8s %7s   %9s %8s %8s %7s   %5s %5s\n' "$label" "$conns" "$r" \
            "$(pct "$dir/r.txt" 50%)" "$(pct "$dir/r.txt" 99%)" "$rc" "$b" "$(pct "$dir/b.txt" 50%)" \
            "$(pct "$dir/b.txt" 99%)" "$bc" "$ratio" "$cratio"
        results+=("$what $conns $ratio $(pct "$dir/r.txt" 99%) $cratio")
    done
done
echo
echo "goal: revos >= 0.50 x baseline requests/s; p99 < 5 ms"
for res in "${results[@]}"; do
    set -- $res
    awk -v w="$1" -v c="$2" -v ratio="$3" -v p99="$4" -v cpu="$5" 'BEGIN {
        printf "  %-8s -c%-3s ratio %s (%s)   p99 %s ms (%s)   cpu ratio %s\n", w, c, ratio,
            (ratio >= 0.5 ? "met" : "not met"), p99, (p99 < 5 ? "met" : "not met"), cpu }'
done

#!/usr/bin/env bash
# Throughput and CPU efficiency of ember-server vs real redis-server, side by side.
#
# For each row (command x pipeline x value size) it runs redis-benchmark against each server in
# turn, interleaved over several rounds, with the server pinned to core 0 and the client to core 1.
# It reports the median throughput ratio (Ember/Redis) and the ratio of requests per second of
# *server CPU time* (the nanosecond run time of every server thread from /proc/PID/task/*/schedstat,
# before and after each run; /proc/PID/stat's 10 ms ticks are too coarse for a pipelined run of a
# fraction of a second): on a 2-core box the client is often the bottleneck, and CPU per request
# shows the server's own efficiency. Pipelined rows send 10x the requests so each run lasts long
# enough to measure.
# Finally it compares used_memory after DEBUG POPULATE 1000000.
#
# Usage: [TESTS="set get"] bench/run.sh [path/to/ember-server] [rounds] [requests]
#        (requests per unpipelined run; pipelined runs send 10x)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

EMBER=${1:-build/ember-server}
ROUNDS=${2:-3}
REQUESTS=${3:-200000}
REDIS=$(command -v redis-server)
BENCH=$(command -v redis-benchmark)
EMBER_PORT=${EMBER_PORT:-17001}
REDIS_PORT=${REDIS_PORT:-17002}
WORK=$(mktemp -d)
TIMEOUT=10
trap 'kill $EPID $RPID 2>/dev/null || true; wait_exit $EPID || true; wait_exit $RPID || true; rm -rf "$WORK"' EXIT

EPID=$(start_pinned_server "$EMBER" $EMBER_PORT --enable-debug-command yes)
RPID=$(start_pinned_server "$REDIS" $REDIS_PORT --enable-debug-command yes)

# One measurement: prints "rps cpu_seconds".
measure() {  # port pid test pipeline size
  local before after rps
  local requests
  requests=$(requests_for "$REQUESTS" "$4")
  before=$(cpu_ns "$2")
  rps=$(taskset -c 1 "$BENCH" -p "$1" -c 50 -n "$requests" -P "$4" -d "$5" -t "$3" -q 2>/dev/null | rps_of)
  after=$(cpu_ns "$2")
  echo "$rps $(echo "($after - $before) / 1000000000" | bc -l)"
}


printf "%-6s %-3s %-5s %12s %12s %8s %10s\n" test P size ember_rps redis_rps thr_ratio cpu_ratio
for test in ${TESTS:-set get incr mset}; do
  for pipe in 1 16; do
    for size in 3 1024; do
      [ "$test" = incr ] && [ "$size" = 1024 ] && continue
      : >"$WORK/e" ; : >"$WORK/r"; : >"$WORK/ratio"; : >"$WORK/cpuratio"
      for _ in $(seq "$ROUNDS"); do
        read -r erps ecpu < <(measure $EMBER_PORT "$EPID" "$test" "$pipe" "$size")
        read -r rrps rcpu < <(measure $REDIS_PORT "$RPID" "$test" "$pipe" "$size")
        echo "$erps" >>"$WORK/e"; echo "$rrps" >>"$WORK/r"
        echo "$erps / $rrps" | bc -l >>"$WORK/ratio"
        # requests per CPU-second: REQUESTS/cpu; the ratio Ember/Redis is rcpu/ecpu.
        echo "$rcpu / ($ecpu + 0.000001)" | bc -l >>"$WORK/cpuratio"
      done
      printf "%-6s %-3s %-5s %12.0f %12.0f %8.2f %10.2f\n" "$test" "$pipe" "$size" \
        "$(median <"$WORK/e")" "$(median <"$WORK/r")" "$(median <"$WORK/ratio")" "$(median <"$WORK/cpuratio")"
    done
  done
done

echo
for port in $EMBER_PORT $REDIS_PORT; do
  redis-cli -p $port flushall >/dev/null
  redis-cli -p $port debug populate 1000000 >/dev/null
done
em=$(redis-cli -p $EMBER_PORT info memory | awk -F: '/^used_memory:/ {print $2+0}')
rm_=$(redis-cli -p $REDIS_PORT info memory | awk -F: '/^used_memory:/ {print $2+0}')
printf "used_memory after DEBUG POPULATE 1000000: ember=%d redis=%d ratio=%.2f\n" "$em" "$rm_" \
  "$(echo "$em / $rm_" | bc -l)"

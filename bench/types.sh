#!/usr/bin/env bash
# Lists, hashes, sets and sorted sets: ember-server vs real redis-server, side by side.
#
# 1. Throughput: redis-benchmark rows for the aggregate types, interleaved over several rounds
#    (server pinned to core 0, client to core 1), median ratio Ember/Redis, at pipeline 1 and 16,
#    and the ratio of the servers' CPU time per request (where the client is the bottleneck both
#    servers run at its speed; the CPU column still tells them apart).
# 2. Memory: for each type, SMALL_KEYS keys of 10 small elements and LARGE_KEYS keys of 1,000,
#    loaded identically into both servers with redis-cli --pipe; reports used_memory above the
#    empty server's and the ratio Ember/Redis. Integer and string set members are separate rows
#    (they take different encodings).
#
# Usage: [ROUNDS=3] [REQUESTS=200000] [SMALL_KEYS=100000] [LARGE_KEYS=100000] [SKIP_MEMORY=1]
#        [SKIP_THROUGHPUT=1] bench/types.sh [path/to/ember-server]
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

EMBER=${1:-build/ember-server}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
SMALL_KEYS=${SMALL_KEYS:-100000}
LARGE_KEYS=${LARGE_KEYS:-100000}
REDIS=$(command -v redis-server)
BENCH=$(command -v redis-benchmark)
EMBER_PORT=$(free_port 17011)
REDIS_PORT=$(free_port $((EMBER_PORT + 1)))
WORK=$(mktemp -d)
TIMEOUT=10
trap 'kill $EPID $RPID 2>/dev/null || true; wait_exit $EPID || true; wait_exit $RPID || true; rm -rf "$WORK"' EXIT

EPID=$(start_pinned_server "$EMBER" "$EMBER_PORT")
RPID=$(start_pinned_server "$REDIS" "$REDIS_PORT")

# Requests per second of redis-benchmark on port $1 at pipeline $2 running the rest of the
# arguments (-t tests or a command).
rps() {  # port pipeline args...
  local port=$1 pipe=$2 requests
  shift 2
  requests=$(requests_for "$REQUESTS" "$pipe")
  taskset -c 1 "$BENCH" -p "$port" -c 50 -n "$requests" -P "$pipe" -q "$@" 2>/dev/null | rps_of
}

# One row's measurement: prints "rps cpu_seconds" of the server (pid $2) on port $1 running
# redis-benchmark test $3. Pops first fill the key they pop from; lrange_N runs what
# redis-benchmark's own test runs after its LPUSH fill (LRANGE mylist 0 N-1), as a command of
# its own so that the fill's CPU stays out of the measurement.
measure() {  # port pid test pipeline
  local port=$1 pid=$2 test=$3 pipe=$4 before after r
  local -a run=(-t "$test")
  case $test in
    rpop|lpop) rps "$port" "$pipe" -t lpush >/dev/null ;;
    spop) rps "$port" "$pipe" -t sadd >/dev/null ;;
    zpopmin) rps "$port" "$pipe" -t zadd >/dev/null ;;
    lrange_*)
      rps "$port" "$pipe" -t lpush >/dev/null
      run=(lrange mylist 0 $((${test#lrange_} - 1)))
      ;;
  esac
  before=$(cpu_ns "$pid")
  r=$(rps "$port" "$pipe" "${run[@]}")
  after=$(cpu_ns "$pid")
  echo "$r $(echo "($after - $before) / 1000000000" | bc -l)"
}

throughput() {
  echo "== throughput (median of $ROUNDS rounds, $REQUESTS requests (x10 pipelined), 50 clients)"
  echo "   cpu_ratio: the server's CPU time per request, Redis's / Ember's (above 1: Ember spends less)"
  printf "%-11s %-3s %12s %12s %8s %10s\n" test P ember_rps redis_rps ratio cpu_ratio
  for test in lpush rpop lpop sadd hset spop zadd zpopmin lrange_100 lrange_600; do
    for pipe in 1 16; do
      : >"$WORK/e"; : >"$WORK/r"; : >"$WORK/ratio"; : >"$WORK/cpuratio"
      for _ in $(seq "$ROUNDS"); do
        for port in $EMBER_PORT $REDIS_PORT; do redis-cli -p "$port" flushall >/dev/null; done
        read -r erps ecpu < <(measure "$EMBER_PORT" "$EPID" "$test" "$pipe")
        read -r rrps rcpu < <(measure "$REDIS_PORT" "$RPID" "$test" "$pipe")
        if [ -z "$erps" ] || [ -z "$rrps" ]; then
          echo "redis-benchmark $test -P $pipe failed (ember: '$erps', redis: '$rrps')" >&2
          exit 1
        fi
        echo "$erps" >>"$WORK/e"; echo "$rrps" >>"$WORK/r"
        echo "$erps / $rrps" | bc -l >>"$WORK/ratio"
        # Both runs send the same requests, so the CPU-per-request ratio is rcpu / ecpu.
        echo "$rcpu / ($ecpu + 0.000001)" | bc -l >>"$WORK/cpuratio"
      done
      printf "%-11s %-3s %12.0f %12.0f %8.2f %10.2f\n" "$test" "$pipe" "$(median <"$WORK/e")" \
        "$(median <"$WORK/r")" "$(median <"$WORK/ratio")" "$(median <"$WORK/cpuratio")"
    done
  done
}

[ -n "${SKIP_THROUGHPUT:-}" ] || throughput

[ -n "${SKIP_MEMORY:-}" ] && exit 0

used_memory() { redis-cli -p "$1" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }

# RESP for KEYS commands "<cmd> <prefix>:<k> <elements...>", each with N elements from awk's
# element generator (string or integer members; hashes and zsets get field/score pairs).
gen() {  # cmd keys n kind
  awk -v cmd="$1" -v keys="$2" -v n="$3" -v kind="$4" 'BEGIN {
    per = (kind == "hash" || kind == "zset") ? 2 : 1
    for (k = 0; k < keys; k++) {
      key = kind ":" k
      printf "*%d\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", 2 + n * per, length(cmd), cmd, length(key), key
      for (i = 0; i < n; i++) {
        if (kind == "int") { e = i * 7 } else { e = "element:" i }
        if (kind == "zset") { s = i * 1.5; printf "$%d\r\n%s\r\n", length(s ""), s }
        printf "$%d\r\n%s\r\n", length(e ""), e
        if (kind == "hash") { v = "value:" i; printf "$%d\r\n%s\r\n", length(v), v }
      }
    }
  }'
}

echo
echo "== used_memory above an empty server (bytes per key)"
printf "%-24s %12s %12s %8s\n" case ember redis ratio
for spec in "list RPUSH" "hash HSET" "set SADD" "int SADD" "zset ZADD"; do
  read -r kind cmd <<<"$spec"
  for n in 10 1000; do
    keys=$SMALL_KEYS
    [ "$n" = 1000 ] && keys=$LARGE_KEYS
    gen "$cmd" "$keys" "$n" "$kind" >"$WORK/load.resp"
    declare -A used=()
    for port in $EMBER_PORT $REDIS_PORT; do
      redis-cli -p "$port" flushall >/dev/null
      base=$(used_memory "$port")
      redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
      used[$port]=$(( $(used_memory "$port") - base ))
    done
    label="$kind x$keys of $n"
    printf "%-24s %12d %12d %8.2f\n" "$label" $((used[$EMBER_PORT] / keys)) \
      $((used[$REDIS_PORT] / keys)) "$(echo "${used[$EMBER_PORT]} / ${used[$REDIS_PORT]}" | bc -l)"
  done
done
rm -f "$WORK/load.resp"

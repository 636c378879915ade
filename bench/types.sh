#!/usr/bin/env bash
# Lists, hashes, sets and sorted sets: ember-server vs real redis-server, side by side.
#
# 1. Throughput: redis-benchmark rows for the aggregate types, interleaved over several rounds
#    (server pinned to core 0, client to core 1), median ratio Ember/Redis, at pipeline 1 and 16.
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

rps() {  # port test pipeline
  local requests
  requests=$(requests_for "$REQUESTS" "$3")
  taskset -c 1 "$BENCH" -p "$1" -c 50 -n "$requests" -P "$3" -t "$2" -q 2>/dev/null |
    tr '\r' '\n' | awk -v t="$2" '
      /requests per second/ {
        name = tolower($0); sub(/[ :(].*/, "", name)   # "LRANGE_100 (first 100 elements): ..."
        v = $0; sub(/^[^:]*: */, "", v); split(v, f, " ")
        if (name == t) { print f[1]; exit }
      }'
}

throughput() {
  echo "== throughput (median of $ROUNDS rounds, $REQUESTS requests (x10 pipelined), 50 clients)"
  printf "%-11s %-3s %12s %12s %8s\n" test P ember_rps redis_rps ratio
  for test in lpush rpop lpop sadd hset spop zadd zpopmin lrange_100 lrange_600; do
    for pipe in 1 16; do
      : >"$WORK/e"; : >"$WORK/r"; : >"$WORK/ratio"
      for _ in $(seq "$ROUNDS"); do
        for port in $EMBER_PORT $REDIS_PORT; do redis-cli -p "$port" flushall >/dev/null; done
        # Pops need something to pop: fill the key redis-benchmark pops from first.
        case $test in
          rpop|lpop) fill="lpush" ;; spop) fill="sadd" ;; zpopmin) fill="zadd" ;; *) fill="" ;;
        esac
        if [ -n "$fill" ]; then
          for port in $EMBER_PORT $REDIS_PORT; do rps "$port" "$fill" "$pipe" >/dev/null; done
        fi
        e=$(rps "$EMBER_PORT" "$test" "$pipe")
        r=$(rps "$REDIS_PORT" "$test" "$pipe")
        echo "$e" >>"$WORK/e"; echo "$r" >>"$WORK/r"; echo "$e / $r" | bc -l >>"$WORK/ratio"
      done
      printf "%-11s %-3s %12.0f %12.0f %8.2f\n" "$test" "$pipe" "$(median <"$WORK/e")" \
        "$(median <"$WORK/r")" "$(median <"$WORK/ratio")"
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

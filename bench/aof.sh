#!/usr/bin/env bash
# AOF of ember-server vs real redis-server, side by side.
#
# For each round, for each appendfsync policy (always, everysec, no) and for each server in turn
# (Ember, then Redis), on a fresh server with appendonly yes, pinned to core 0 (the client on
# core 1), in its own directory on a free port (never 6379):
#   SET throughput: `redis-benchmark -t set -c 50 -r 100000 -n <requests> -P <pipeline> -q`.
# Then, per round and server: DEBUG POPULATE <keys> and a BGREWRITEAOF timed by the script from
# the command until INFO shows the rewrite done (wall time), and the size of the new base.
# Rows are medians over the rounds; the ratio column is the median of per-round Ember/Redis
# ratios. Rounds interleave the servers so drift (other load on the box) hits both alike.
#
# Usage: [PIPELINE=1] [TIMEOUT=300] bench/aof.sh [path/to/ember-server] [rounds] [requests] [keys]
#   defaults: build/ember-server, 3 rounds, 100000 requests, 1000000 keys for the rewrite.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

EMBER=${1:-build/ember-server}
ROUNDS=${2:-3}
REQUESTS=${3:-100000}
KEYS=${4:-1000000}
PIPELINE=${PIPELINE:-1}
REDIS=${REDIS:-/usr/bin/redis-server}
BENCH=$(command -v redis-benchmark)
CLI=$(command -v redis-cli)
TIMEOUT=${TIMEOUT:-300}
WORK=$(mktemp -d)
SPID=

for bin in "$EMBER" "$REDIS"; do
  [ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 1; }
done

trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

EMBER_PORT=$(free_port "${EMBER_PORT:-17021}")
REDIS_PORT=$(free_port "${REDIS_PORT:-$((EMBER_PORT + 1))}")

cli() { timeout "$TIMEOUT" "$CLI" -p "$PORT" "$@"; }
now_ns() { date +%s%N; }
info_field() { cli info persistence | tr -d '\r' | awk -F: -v k="$1" '$1 == k {print $2}'; }
rec() { echo "$3" >>"$WORK/res.$1.$2"; }  # metric server value

start_server() {  # name binary port policy
  DIR="$WORK/$1"
  rm -rf "$DIR"; mkdir -p "$DIR"
  PORT=$3
  taskset -c 0 "$2" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly yes \
    --appendfsync "$4" --enable-debug-command yes --dir "$DIR" --logfile "$DIR/server.log" \
    >/dev/null 2>&1 &
  SPID=$!
  local deadline=$((SECONDS + TIMEOUT))
  until pong "$PORT"; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$SPID" 2>/dev/null; then
      echo "$2 did not answer PONG on port $PORT" >&2; tail -5 "$DIR/server.log" >&2 || true
      exit 1
    fi
    sleep 0.005
  done
}

set_rps() {  # name binary port policy
  start_server "$@"
  local rps
  rps=$(timeout "$TIMEOUT" taskset -c 1 "$BENCH" -p "$PORT" -t set -c 50 -r 100000 -n "$REQUESTS" \
        -P "$PIPELINE" -q 2>/dev/null | rps_of)
  rec "set_rps_$4" "$1" "${rps:-0}"
  stop_server
}

rewrite_time() {  # name binary port
  start_server "$1" "$2" "$3" everysec
  cli debug populate "$KEYS" >/dev/null
  local t0 t1 out deadline=$((SECONDS + TIMEOUT))
  t0=$(now_ns)
  out=$(cli bgrewriteaof)
  [ "$out" = "Background append only file rewriting started" ] || { echo "$1: BGREWRITEAOF replied '$out'" >&2; exit 1; }
  until [ "$(info_field aof_rewrite_in_progress)" = 0 ] && [ "$(info_field aof_rewrites)" = 1 ]; do
    [ $SECONDS -lt $deadline ] || { echo "$1: rewrite still running after ${TIMEOUT}s" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(now_ns)
  [ "$(info_field aof_last_bgrewrite_status)" = ok ] || { echo "$1: rewrite failed" >&2; exit 1; }
  rec rewrite_s "$1" "$(echo "($t1 - $t0) / 1000000000" | bc -l)"
  rec base_MB "$1" "$(echo "$(stat -c %s "$DIR"/appendonlydir/*.2.base.rdb) / 1048576" | bc -l)"
  stop_server
}

POLICIES="always everysec no"
T0=$SECONDS
for round in $(seq "$ROUNDS"); do
  for policy in $POLICIES; do
    set_rps ember "$EMBER" "$EMBER_PORT" "$policy"
    set_rps redis "$REDIS" "$REDIS_PORT" "$policy"
  done
  rewrite_time ember "$EMBER" "$EMBER_PORT"
  rewrite_time redis "$REDIS" "$REDIS_PORT"
  echo "round $round/$ROUNDS done after $((SECONDS - T0))s" >&2
done

echo "rounds=$ROUNDS requests=$REQUESTS pipeline=$PIPELINE keys(rewrite)=$KEYS"
printf "%-20s %12s %12s %8s\n" metric ember redis ratio
for metric in set_rps_always set_rps_everysec set_rps_no rewrite_s base_MB; do
  e="$WORK/res.$metric.ember"; r="$WORK/res.$metric.redis"
  paste -d' ' "$e" "$r" | awk '{print ($2 > 0) ? $1 / $2 : "nan"}' >"$WORK/ratio"
  case $metric in set_rps_*) hint="higher is better"; fmt="%12.0f %12.0f" ;;
                  *) hint="lower is better"; fmt="%12.3f %12.3f" ;; esac
  # shellcheck disable=SC2059
  printf "%-20s $fmt %8.2f  %s\n" "$metric" "$(median <"$e")" "$(median <"$r")" \
    "$(median <"$WORK/ratio")" "$hint"
done

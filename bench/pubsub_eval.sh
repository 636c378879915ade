#!/usr/bin/env bash
# PUBLISH and Lua scripting: ember-server vs real redis-server, side by side.
#
# Rows (each at pipeline 1 and 16, 50 clients, interleaved over ROUNDS rounds, server pinned to
# core 0 and client to core 1, median ratio Ember/Redis):
#   publish_0     PUBLISH to a channel nobody listens to (the command path alone)
#   publish_10    PUBLISH to a channel with 10 subscribers (the fan-out)
#   eval          EVAL of a script doing one SET (script cache hit after the first call)
#   evalsha       EVALSHA of the same script
# Rows a server cannot run (no EVAL yet) print n/a.
#
# Usage: [ROUNDS=3] [REQUESTS=200000] bench/pubsub_eval.sh [path/to/ember-server]
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

EMBER=${1:-build/ember-server}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
REDIS=$(command -v redis-server)
BENCH=$(command -v redis-benchmark)
EMBER_PORT=$(free_port 17021)
REDIS_PORT=$(free_port $((EMBER_PORT + 1)))
WORK=$(mktemp -d)
TIMEOUT=10
SUBSCRIBERS=()
cleanup() {
  kill "${SUBSCRIBERS[@]}" $EPID $RPID 2>/dev/null || true
  wait_exit $EPID || true
  wait_exit $RPID || true
  rm -rf "$WORK"
}
trap cleanup EXIT

EPID=$(start_pinned_server "$EMBER" "$EMBER_PORT")
RPID=$(start_pinned_server "$REDIS" "$REDIS_PORT")

# 10 subscribers per server on the channel the publish_10 row uses, on the client's core.
for port in $EMBER_PORT $REDIS_PORT; do
  for _ in $(seq 10); do
    taskset -c 1 redis-cli -p "$port" subscribe busy >/dev/null 2>&1 &
    SUBSCRIBERS+=($!)
  done
done

SCRIPT="return redis.call('SET', KEYS[1], ARGV[1])"

command_of() {  # row port -> the redis-benchmark command, or nothing when unsupported
  case $1 in
    publish_0) echo "PUBLISH idle hello" ;;
    publish_10) echo "PUBLISH busy hello" ;;
    eval) [ "$(redis-cli -p "$2" eval "$SCRIPT" 1 probe x 2>/dev/null)" = OK ] &&
            printf 'EVAL "%s" 1 key:__rand_int__ value' "$SCRIPT" ;;
    evalsha)
      local sha
      sha=$(redis-cli -p "$2" script load "$SCRIPT" 2>/dev/null) && [ ${#sha} = 40 ] &&
        echo "EVALSHA $sha 1 key:__rand_int__ value" ;;
  esac
}

rps() {  # port pipeline command...
  local port=$1 pipe=$2
  shift 2
  taskset -c 1 "$BENCH" -p "$port" -c 50 -n "$REQUESTS" -P "$pipe" -r 100000 -q "$@" 2>/dev/null | rps_of
}

echo "== throughput (median of $ROUNDS rounds, $REQUESTS requests, 50 clients)"
printf "%-11s %-3s %12s %12s %8s\n" test P ember_rps redis_rps ratio
for row in publish_0 publish_10 eval evalsha; do
  ecmd=$(command_of $row "$EMBER_PORT" || true)
  rcmd=$(command_of $row "$REDIS_PORT" || true)
  for pipe in 1 16; do
    if [ -z "$ecmd" ] || [ -z "$rcmd" ]; then
      printf "%-11s %-3s %12s %12s %8s\n" "$row" "$pipe" n/a n/a n/a
      continue
    fi
    : >"$WORK/e"; : >"$WORK/r"; : >"$WORK/ratio"
    for _ in $(seq "$ROUNDS"); do
      # shellcheck disable=SC2086  # the command is split into its words on purpose
      e=$(eval rps "$EMBER_PORT" "$pipe" $ecmd)
      # shellcheck disable=SC2086
      r=$(eval rps "$REDIS_PORT" "$pipe" $rcmd)
      echo "$e" >>"$WORK/e"; echo "$r" >>"$WORK/r"; echo "$e / $r" | bc -l >>"$WORK/ratio"
    done
    printf "%-11s %-3s %12.0f %12.0f %8.2f\n" "$row" "$pipe" "$(median <"$WORK/e")" \
      "$(median <"$WORK/r")" "$(median <"$WORK/ratio")"
  done
done

#!/usr/bin/env bash
# RDB persistence of ember-server vs real redis-server, side by side.
#
# For each round, for each data set (DEBUG POPULATE <keys>, and DEBUG POPULATE <keys> key 100 for
# 100-byte values), and for each server in turn (Ember, then Redis), on a fresh server pinned to
# core 0 (clients on core 1) with its own directory and a free port (never 6379):
#   1. DEBUG POPULATE, then a foreground SAVE timed by the script (wall time around redis-cli),
#      and the size of dump.rdb;
#   2. SHUTDOWN NOSAVE and a restart on that file: load time from process start until PING answers
#      +PONG (not -LOADING), polled every few ms; also the server's own "DB loaded from disk:
#      X seconds" log line, and used_memory once loaded;
#   3. BGSAVE under a write load: `redis-benchmark -t set -r <keys> -n 200000 -P 16 -q` runs while
#      the save is in progress, then rdb_last_cow_size from INFO persistence once it is done
#      (the child's Private_Dirty at the end of the save, for both servers), plus the SET
#      throughput the parent kept up during the save.
# Rows are medians over the rounds; the ratio column is the median of per-round Ember/Redis ratios.
#
# Keeping the save in progress during the write load: by default the script stops the fork child
# (SIGSTOP) right after BGSAVE and continues it (SIGCONT) when the write load is done, so the whole
# load lands inside the save for both servers whatever the key count. rdb-key-save-delay is not
# usable for this at 1,000,000 keys: its smallest positive value (1 us per key) costs a usleep()
# per key, ~100 us with the default 50 us timer slack on this VM, i.e. ~100 s per save; Redis 7.0
# takes negative values as "sleep 1 us once every N keys", which Ember does not (it ignores
# delay <= 0). SAVE_DELAY=<n> uses CONFIG SET rdb-key-save-delay <n> instead of SIGSTOP (and warns
# if the save ended before the write load did).
#
# Usage: [SAVE_DELAY=n] [WRITES=200000] [TIMEOUT=300] bench/rdb.sh [path/to/ember-server] [keys] [rounds]
#   defaults: build/ember-server, 1000000 keys, 3 rounds (~18 s per round at 1,000,000 keys on a 2-core VM).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

EMBER=${1:-build/ember-server}
KEYS=${2:-1000000}
ROUNDS=${3:-3}
REDIS=${REDIS:-/usr/bin/redis-server}
BENCH=$(command -v redis-benchmark)
CLI=$(command -v redis-cli)
WRITES=${WRITES:-200000}
SAVE_DELAY=${SAVE_DELAY:-}
TIMEOUT=${TIMEOUT:-300}  # bound, in seconds, on every single wait and command
WORK=$(mktemp -d)
SPID=  # the server currently running, if any

for bin in "$EMBER" "$REDIS"; do
  [ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 1; }
done

# On exit: stop server $SPID and its fork child (lib.sh stop_server), remove the work directory.
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM


EMBER_PORT=$(free_port "${EMBER_PORT:-17011}")
REDIS_PORT=$(free_port "${REDIS_PORT:-$((EMBER_PORT + 1))}")


cli() { timeout "$TIMEOUT" "$CLI" -p "$PORT" "$@"; }
now_ns() { date +%s%N; }
secs() { echo "($2 - $1) / 1000000000" | bc -l; }  # start_ns end_ns -> seconds
info_field() { cli info "$1" | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }

# Starts $BIN on $PORT in $DIR (logging to $DIR/server.log), sets SPID, waits for +PONG and sets
# LOAD_S to the seconds from process start to +PONG.
start_server() {
  rm -f "$DIR/server.log"
  local t0 deadline
  t0=$(now_ns)
  taskset -c 0 "$BIN" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --enable-debug-command yes --dir "$DIR" --logfile "$DIR/server.log" >/dev/null 2>&1 &
  SPID=$!
  deadline=$((SECONDS + TIMEOUT))
  until pong "$PORT"; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$SPID" 2>/dev/null; then
      echo "$BIN did not answer PONG on port $PORT; log:" >&2
      tail -5 "$DIR/server.log" >&2 || true
      exit 1
    fi
    sleep 0.002
  done
  LOAD_S=$(secs "$t0" "$(now_ns)")
}

rec() { echo "$3" >>"$WORK/res.$VARIANT.$1.$2"; }  # metric server value

# One server, one data set: appends a value per metric to $WORK/res.<variant>.<metric>.<server>.
measure() {  # server-name binary port populate-args...
  local name=$1 t0 t1 out loaded child rps
  BIN=$2 PORT=$3
  shift 3
  DIR="$WORK/$name"
  rm -rf "$DIR"; mkdir -p "$DIR"

  start_server
  cli debug populate "$@" >/dev/null
  t0=$(now_ns)
  out=$(cli save)
  t1=$(now_ns)
  [ "$out" = OK ] || { echo "$name: SAVE replied '$out'" >&2; exit 1; }
  rec save_s "$name" "$(secs "$t0" "$t1")"
  rec rdb_MB "$name" "$(echo "$(stat -c %s "$DIR/dump.rdb") / 1048576" | bc -l)"
  cli shutdown nosave >/dev/null 2>&1 || true
  wait_exit "$SPID" || { echo "$name did not exit after SHUTDOWN NOSAVE" >&2; exit 1; }
  wait "$SPID" 2>/dev/null || true
  SPID=

  start_server
  rec load_s "$name" "$LOAD_S"
  loaded=$(grep -o 'DB loaded from disk: [0-9.]* seconds' "$DIR/server.log" | tail -1 | awk '{print $5}')
  [ -n "$loaded" ] || { echo "$name: no 'DB loaded from disk' line in its log" >&2; exit 1; }
  rec load_log_s "$name" "$loaded"
  [ "$(cli dbsize)" = "$1" ] || echo "warning: $name has $(cli dbsize) keys after loading, not $1" >&2
  rec mem_loaded_MB "$name" "$(echo "$(info_field memory used_memory) / 1048576" | bc -l)"

  [ -z "$SAVE_DELAY" ] || cli config set rdb-key-save-delay "$SAVE_DELAY" >/dev/null
  out=$(cli bgsave)
  [ "$out" = "Background saving started" ] || { echo "$name: BGSAVE replied '$out'" >&2; exit 1; }
  child=
  for _ in $(seq 500); do
    child=$(pgrep -n -P "$SPID" || true)
    [ -n "$child" ] && break
    sleep 0.002
  done
  [ -n "$child" ] || [ -n "$SAVE_DELAY" ] || { echo "$name: no BGSAVE child found" >&2; exit 1; }
  [ -n "$SAVE_DELAY" ] || kill -STOP "$child" 2>/dev/null || true  # may be done already (tiny data)
  rps=$(timeout "$TIMEOUT" taskset -c 1 "$BENCH" -p "$PORT" -t set -r "$KEYS" -n "$WRITES" -P 16 -q \
        2>/dev/null | rps_of)
  if [ -n "$SAVE_DELAY" ] && [ "$(info_field persistence rdb_bgsave_in_progress)" != 1 ]; then
    echo "warning: $name's BGSAVE ended before the write load did; raise SAVE_DELAY" >&2
  fi
  [ -n "$SAVE_DELAY" ] || kill -CONT "$child" 2>/dev/null || true
  local deadline=$((SECONDS + TIMEOUT))
  while [ "$(info_field persistence rdb_bgsave_in_progress)" != 0 ]; do
    [ $SECONDS -lt $deadline ] || { echo "$name: BGSAVE still running after ${TIMEOUT}s" >&2; exit 1; }
    sleep 0.02
  done
  [ "$(info_field persistence rdb_last_bgsave_status)" = ok ] || { echo "$name: BGSAVE failed" >&2; exit 1; }
  rec cow_MB "$name" "$(echo "$(info_field persistence rdb_last_cow_size) / 1048576" | bc -l)"
  rec set_rps_bgsave "$name" "${rps:-0}"
  stop_server
}


VARIANTS="default 100B"
T0=$SECONDS
for round in $(seq "$ROUNDS"); do
  for VARIANT in $VARIANTS; do
    if [ "$VARIANT" = default ]; then args=("$KEYS"); else args=("$KEYS" key 100); fi
    measure ember "$EMBER" "$EMBER_PORT" "${args[@]}"
    measure redis "$REDIS" "$REDIS_PORT" "${args[@]}"
  done
  echo "round $round/$ROUNDS done after $((SECONDS - T0))s" >&2
done

echo "keys=$KEYS rounds=$ROUNDS writes=$WRITES (SET -P 16 during BGSAVE; child $( \
  [ -n "$SAVE_DELAY" ] && echo "slowed by rdb-key-save-delay $SAVE_DELAY" || echo "paused during the load"))"
printf "%-8s %-15s %12s %12s %8s\n" values metric ember redis ratio
for VARIANT in $VARIANTS; do
  for metric in save_s rdb_MB load_s load_log_s mem_loaded_MB cow_MB set_rps_bgsave; do
    e="$WORK/res.$VARIANT.$metric.ember"; r="$WORK/res.$VARIANT.$metric.redis"
    paste -d' ' "$e" "$r" | awk '{print ($2 > 0) ? $1 / $2 : "nan"}' >"$WORK/ratio"
    case $metric in set_rps_bgsave) hint="higher is better"; fmt="%12.0f %12.0f" ;;
                    *) hint="lower is better"; fmt="%12.3f %12.3f" ;; esac
    # shellcheck disable=SC2059
    printf "%-8s %-15s $fmt %8.2f  %s\n" "$VARIANT" "$metric" "$(median <"$e")" "$(median <"$r")" \
      "$(median <"$WORK/ratio")" "$hint"
  done
done

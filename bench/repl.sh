#!/usr/bin/env bash
# Master-replica replication of ember-server vs real redis-server, side by side.
#
# Each topology is homogeneous (an Ember master with Ember replicas, a Redis master with Redis
# replicas), on loopback, every server started fresh with --save '' --appendonly no
# --enable-debug-command yes --repl-diskless-sync-delay 0 (only a master's value matters), its own
# directory and a free port (never 6379). For each round, for each server kind in turn (Ember,
# then Redis):
#   1. Full sync: DEBUG POPULATE <keys> on a master, then, for repl-diskless-sync yes and no (CONFIG
#      SET on the master), a fresh empty replica is sent REPLICAOF; the time is from just before
#      the REPLICAOF call until the replica's INFO replication shows master_link_status:up and
#      master_sync_in_progress:0 and its DBSIZE equals <keys> (polled every 5 ms). The replica is
#      stopped afterwards, so each sync is a full one.
#   2. Replication lag under a write load, on a new master with one replica attached and in sync:
#      `redis-benchmark -t set -r 100000 -n 300000 -P 16 -q` runs against the master while a
#      separate client samples, every 50 ms, master_repl_offset on the master and then
#      slave_repl_offset on the replica (INFO replication on each); lag = the difference, in bytes
#      (the master is read first, so a sample slightly underestimates and is clamped at 0).
#      Reported: median and max of the samples, the load's SET throughput, and the time from the
#      benchmark's exit until the two offsets are equal (polled every 5 ms, the first poll at once).
#   3. Master throughput, `redis-benchmark -t set -n 300000 -P 16 -q` requests/s, on that master
#      with 0 replicas (before any replica ever attached, so no backlog either), then 1, then 3
#      replicas attached and in sync before each run; rps_3_over_0 is each server's own
#      3-replica/0-replica throughput ratio.
# Rows are medians over the rounds; the ratio column is the median of per-round Ember/Redis ratios.
#
# Pinning, for a 2-core machine: the master alone on core 0, since it is what parts 2-3 load;
# replicas, redis-benchmark, redis-cli, the poller and this script on core 1. So in parts 2 and 3
# the replicas share core 1 with the benchmark client: replica lag, and master throughput with
# replicas, include that contention, for both servers alike.
#
# The timed polling (parts 1 and 2) is a small Python helper written to the temp directory: one
# persistent connection per server, ~0.03 ms of CPU per INFO, where a redis-cli process costs ~7 ms
# and `sleep` ~2.5 ms, on the core the replica runs on. (bash's `read -t` as a fork-free sleep
# proved unreliable here: input lost around timeouts, an abort on SIGTERM.)
#
# Usage: [TIMEOUT=300] [PYTHON=/usr/bin/python3] bench/repl.sh [path/to/ember-server] [keys] [rounds]
#   defaults: build/ember-server, 1000000 keys, 3 rounds (~16 s per round at 1,000,000 keys on an idle 2-core VM).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

EMBER=${1:-build/ember-server}
KEYS=${2:-1000000}
ROUNDS=${3:-3}
REDIS=${REDIS:-/usr/bin/redis-server}
BENCH=$(command -v redis-benchmark)
CLI=$(command -v redis-cli)
PYTHON=${PYTHON:-/usr/bin/python3}  # standard library only
TIMEOUT=${TIMEOUT:-300}  # bound, in seconds, on every single wait and command
REQUESTS=300000
WORK=$(mktemp -d)

for bin in "$EMBER" "$REDIS" "$PYTHON"; do
  [ -x "$bin" ] || { echo "not executable: $bin" >&2; exit 1; }
done

taskset -pc 1 $$ >/dev/null  # this script and everything it starts, unless told otherwise

declare -A PID_OF  # port -> server pid
ORDER=()           # ports of running servers, in start order


# Stops the server on port $1 and its fork children, if any.
stop_node() {
  local port=$1 pid kids kid p rest=()
  pid=${PID_OF[$port]:-}
  [ -n "$pid" ] || return 0
  kids=$(pgrep -P "$pid" 2>/dev/null || true)
  for kid in $kids; do kill -KILL "$kid" 2>/dev/null || true; done
  kill -TERM "$pid" 2>/dev/null || true
  wait_exit "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_exit "$pid" || true; }
  wait "$pid" 2>/dev/null || true
  unset "PID_OF[$port]"
  for p in "${ORDER[@]}"; do [ "$p" = "$port" ] || rest+=("$p"); done
  ORDER=("${rest[@]}")
}

# Stops every server, replicas before their masters (the newest first).
stop_all() {
  while [ ${#ORDER[@]} -gt 0 ]; do stop_node "${ORDER[-1]}"; done
}
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# Four ports per server kind: a master and up to three replicas.
declare -A PORTS
port=${BASE_PORT:-17021}
for name in ember redis; do
  for i in 0 1 2 3; do
    port=$(free_port "$port")
    PORTS[$name.$i]=$port
    port=$((port + 1))
  done
done

cat >"$WORK/poll.py" <<'EOF'
"""Timed polling of servers over persistent connections (see bench/repl.sh).

  sync PORT MASTER KEYS       REPLICAOF 127.0.0.1 MASTER on PORT; prints the seconds until the
                              link is up, no sync in progress and DBSIZE == KEYS.
  insync MASTER PORT...       waits until every replica PORT is up at the master's offset.
  lag MASTER PORT OUT CMD...  runs CMD (stdout to OUT), samples the lag every 50 ms while it runs,
                              then waits for equal offsets; prints "median max catchup_ms samples".
"""
import os, select, socket, subprocess, sys, time

TIMEOUT = float(os.environ["TIMEOUT"])
now = time.monotonic


class Conn:
    def __init__(self, port):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise SystemExit(f"connection to port {self.port} closed")
        self.buf += data

    def cmd(self, *args):
        """The body of a bulk reply, or the whole line of any other reply ('+OK', ':3', '-ERR')."""
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        if line[:1] != b"$":
            return line.decode()
        n = int(line[1:])
        if n < 0:
            return ""
        while len(self.buf) < n + 2:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n + 2:]
        return body.decode()

    def info(self):
        """INFO replication as a dict (empty for an error reply such as -LOADING)."""
        reply = self.cmd("INFO", "replication")
        if reply.startswith("-"):
            return {}
        return dict(line.split(":", 1) for line in reply.split("\r\n") if ":" in line)

    def synced(self):
        """INFO replication if the link is up and no sync is in progress, else None."""
        i = self.info()
        if i.get("master_link_status") == "up" and i.get("master_sync_in_progress") == "0":
            return i
        return None


def deadline_check(deadline, what):
    if now() > deadline:
        raise SystemExit(f"{what}: still waiting after {TIMEOUT:.0f}s")


def sync(port, master, keys):
    r = Conn(port)
    deadline = now() + TIMEOUT
    t0 = now()
    reply = r.cmd("REPLICAOF", "127.0.0.1", master)
    if not reply.startswith("+OK"):
        raise SystemExit(f"REPLICAOF replied {reply!r}")
    while not (r.synced() and r.cmd("DBSIZE") == f":{keys}"):
        deadline_check(deadline, f"full sync of replica {port}")
        time.sleep(0.005)
    print(f"{now() - t0:.6f}")


def insync(master, ports):
    m = Conn(master)
    deadline = now() + TIMEOUT
    for r in map(Conn, ports):
        while True:
            i = r.synced()
            if i and i.get("slave_repl_offset") == m.info().get("master_repl_offset"):
                break
            deadline_check(deadline, f"replica {r.port} in sync")
            time.sleep(0.005)


def lag(master, port, out, cmd):
    m, r = Conn(master), Conn(port)

    def sample():
        mo = int(m.info()["master_repl_offset"])
        return mo, int(r.info()["slave_repl_offset"])

    with open(out, "wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.DEVNULL)
    pidfd = os.pidfd_open(proc.pid)
    samples = []
    next_sample = now()
    deadline = now() + TIMEOUT
    while True:
        if now() >= next_sample:
            mo, ro = sample()
            samples.append(max(0, mo - ro))
            next_sample += 0.05
        if select.select([pidfd], [], [], max(0.0, next_sample - now()))[0]:
            break
        deadline_check(deadline, "the write load")
    t_end = now()
    proc.wait()
    while True:
        mo, ro = sample()
        if mo == ro:
            break
        deadline_check(t_end + TIMEOUT, f"replica {port} catching up")
        time.sleep(0.005)
    catchup_ms = (now() - t_end) * 1000
    s = sorted(samples)
    median = (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2
    print(f"{median:.0f} {s[-1]} {catchup_ms:.3f} {len(s)}")


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "sync":
        sync(int(args[0]), int(args[1]), int(args[2]))
    elif what == "insync":
        insync(int(args[0]), [int(p) for p in args[1:]])
    elif what == "lag":
        lag(int(args[0]), int(args[1]), args[2], args[3:])
    else:
        raise SystemExit(f"unknown: {what}")
EOF
poll() { TIMEOUT=$TIMEOUT "$PYTHON" "$WORK/poll.py" "$@"; }


cli() { timeout "$TIMEOUT" "$CLI" -p "$@"; }

die_with_log() {  # message port...
  local msg=$1 port
  shift
  echo "$msg" >&2
  for port in "$@"; do echo "--- log of port $port:" >&2; tail -8 "$WORK/$port/server.log" >&2 || true; done
  exit 1
}

# Starts binary $1 on port $2 pinned to core $3, in a fresh directory.
start_node() {
  local bin=$1 port=$2 core=$3 dir="$WORK/$2" pid deadline
  rm -rf "$dir"; mkdir -p "$dir"
  taskset -c "$core" "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --enable-debug-command yes --repl-diskless-sync-delay 0 --dir "$dir" \
    --logfile "$dir/server.log" >/dev/null 2>&1 &
  pid=$!
  PID_OF[$port]=$pid
  ORDER+=("$port")
  deadline=$((SECONDS + TIMEOUT))
  until pong "$port"; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$pid" 2>/dev/null; then
      die_with_log "$bin did not answer PONG on port $port" "$port"
    fi
    sleep 0.002
  done
}

# The redis-benchmark SET load against port $1 (extra arguments follow), in BENCH_ARGS.
bench_args() {
  BENCH_ARGS=(timeout "$TIMEOUT" taskset -c 1 "$BENCH" -p "$1" -t set -n "$REQUESTS" -P 16 -q "${@:2}")
}
bench_rps() {
  local rps
  bench_args "$@"
  rps=$("${BENCH_ARGS[@]}" 2>/dev/null | rps_of)
  [ -n "$rps" ] || die_with_log "redis-benchmark against port $1 failed" "$1"
  echo "$rps"
}

rec() { echo "$3" >>"$WORK/res.$1.$2"; }  # metric server value

# Part 1: full-sync times, on a master holding KEYS keys.
full_syncs() {  # name binary
  local name=$1 bin=$2 m=${PORTS[$1.0]} r=${PORTS[$1.1]} mode out
  start_node "$bin" "$m" 0
  cli "$m" debug populate "$KEYS" >/dev/null
  out=$(cli "$m" dbsize)
  [ "$out" = "$KEYS" ] || die_with_log "$name master has $out keys after DEBUG POPULATE, not $KEYS" "$m"
  for mode in yes no; do
    out=$(cli "$m" config set repl-diskless-sync "$mode")
    [ "$out" = OK ] || die_with_log "$name: CONFIG SET repl-diskless-sync $mode replied '$out'" "$m"
    start_node "$bin" "$r" 1
    out=$(poll sync "$r" "$m" "$KEYS") || die_with_log "$name: full sync (diskless $mode) failed" "$r" "$m"
    rec "sync_diskless_$mode" "$name" "$out"
    stop_node "$r"
  done
  stop_node "$m"
}

# Parts 2 and 3: throughput with 0, 1 and 3 replicas, and the lag under load with one.
load_tests() {  # name binary
  local name=$1 bin=$2 m=${PORTS[$1.0]} i rps0 rps3 median max catchup samples
  start_node "$bin" "$m" 0
  rps0=$(bench_rps "$m")
  rec rps_0_replicas "$name" "$rps0"

  start_node "$bin" "${PORTS[$name.1]}" 1
  cli "${PORTS[$name.1]}" replicaof 127.0.0.1 "$m" >/dev/null
  poll insync "$m" "${PORTS[$name.1]}" || die_with_log "$name: replica not in sync" "${PORTS[$name.1]}" "$m"
  rec rps_1_replica "$name" "$(bench_rps "$m")"

  poll insync "$m" "${PORTS[$name.1]}" || die_with_log "$name: replica not in sync" "${PORTS[$name.1]}" "$m"
  bench_args "$m" -r 100000
  read -r median max catchup samples < <(poll lag "$m" "${PORTS[$name.1]}" "$WORK/lag.out" \
    "${BENCH_ARGS[@]}") || die_with_log "$name: lag test failed" "${PORTS[$name.1]}" "$m"
  rec lag_median_B "$name" "$median"
  rec lag_max_B "$name" "$max"
  rec catchup_ms "$name" "$catchup"
  rec lag_samples "$name" "$samples"
  rec rps_lag_load "$name" "$(rps_of <"$WORK/lag.out")"

  for i in 2 3; do
    start_node "$bin" "${PORTS[$name.$i]}" 1
    cli "${PORTS[$name.$i]}" replicaof 127.0.0.1 "$m" >/dev/null
  done
  poll insync "$m" "${PORTS[$name.1]}" "${PORTS[$name.2]}" "${PORTS[$name.3]}" \
    || die_with_log "$name: replicas not in sync" "${PORTS[$name.2]}" "${PORTS[$name.3]}" "$m"
  rps3=$(bench_rps "$m")
  rec rps_3_replicas "$name" "$rps3"
  rec rps_3_over_0 "$name" "$(echo "$rps3 / $rps0" | bc -l)"
  stop_all
}


LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
T0=$SECONDS
for round in $(seq "$ROUNDS"); do
  full_syncs ember "$EMBER"
  full_syncs redis "$REDIS"
  load_tests ember "$EMBER"
  load_tests redis "$REDIS"
  echo "round $round/$ROUNDS done after $((SECONDS - T0))s" >&2
done

echo "keys=$KEYS rounds=$ROUNDS; master on core 0, replicas and clients on core 1;" \
  "loads: SET -P 16 -n $REQUESTS (lag: -r 100000, sampled every 50 ms)"
echo "1-minute load average before/after: $LOAD_BEFORE/$(cut -d' ' -f1 /proc/loadavg)" \
  "(this benchmark alone brings it to ~1-2; more means other work shared the 2 cores)"
printf "%-18s %12s %12s %8s  %s\n" metric ember redis ratio hint
for metric in sync_diskless_yes sync_diskless_no lag_median_B lag_max_B catchup_ms lag_samples \
              rps_lag_load rps_0_replicas rps_1_replica rps_3_replicas rps_3_over_0; do
  e="$WORK/res.$metric.ember"; r="$WORK/res.$metric.redis"
  paste -d' ' "$e" "$r" | awk '{print ($2 > 0) ? $1 / $2 : "nan"}' >"$WORK/ratio"
  case $metric in
    sync_*) hint="seconds, lower is better"; fmt="%12.3f %12.3f" ;;
    lag_samples) hint="samples per round (50 ms apart)"; fmt="%12.0f %12.0f" ;;
    lag_*) hint="bytes behind the master, lower is better"; fmt="%12.0f %12.0f" ;;
    catchup_ms) hint="ms from the load's end to equal offsets, lower is better"; fmt="%12.1f %12.1f" ;;
    rps_3_over_0) hint="3-replica/0-replica throughput, higher is better"; fmt="%12.2f %12.2f" ;;
    rps_lag_load) hint="SET rps of the lag load (1 replica, -r 100000)"; fmt="%12.0f %12.0f" ;;
    *) hint="SET requests/s, higher is better"; fmt="%12.0f %12.0f" ;;
  esac
  # shellcheck disable=SC2059
  printf "%-18s $fmt %8.2f  %s\n" "$metric" "$(median <"$e")" "$(median <"$r")" \
    "$(median <"$WORK/ratio")" "$hint"
done

# Shell helpers shared by the benchmark scripts (sourced; needs $TIMEOUT for wait_exit).

# Waits (bounded by $TIMEOUT seconds) until pid $1 has exited or is a zombie.
wait_exit() {
  local deadline=$((SECONDS + TIMEOUT)) st
  while [ $SECONDS -lt $deadline ]; do
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
    [ "$st" = Z ] && return 0
    sleep 0.01
  done
  return 1
}

# A port nothing listens on (starting from $1, never 6379).
free_port() {
  local p=$1
  while [ "$p" = 6379 ] || (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# Whether the server on port $1 answers PING with +PONG (not -LOADING), within 2 s.
pong() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [ "${reply%$'\r'}" = "+PONG" ]
  ) 2>/dev/null
}

# Requests for one run at pipeline $2 when unpipelined runs send $1: pipelined runs send 10x, so
# they last long enough to measure (a 50 ms run is mostly noise).
requests_for() { if [ "$2" -gt 1 ]; then echo $(($1 * 10)); else echo "$1"; fi; }

# Requests per second from redis-benchmark -q output on stdin: the number just before "requests"
# (a custom command's own text, such as EVAL's, may hold other numbers).
rps_of() {
  tr '\r' '\n' | awk '/requests per second/ {for (i = 1; i < NF; i++) if ($(i + 1) == "requests") {print $i; exit}}'
}

# CPU time (ns) process $1 has used so far, over all its threads.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%.0f\n", ns}'; }

# The median of the numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Starts server binary $1 on port $2 (extra arguments after), pinned to core 0, without
# persistence, its files in $WORK; waits until it answers PING and prints its pid.
start_pinned_server() {
  local binary=$1 port=$2
  shift 2
  taskset -c 0 "$binary" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$WORK" --logfile "$WORK/$port.log" "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    pong "$port" && break
    sleep 0.05
  done
  echo $pid
}

# Stops the server whose pid is in $SPID (and any forked child it left: a BGSAVE or rewrite
# child stopped mid-way), bounded by $TIMEOUT; clears $SPID.
stop_server() {
  [ -n "$SPID" ] || return 0
  local kids pid
  kids=$(pgrep -P "$SPID" 2>/dev/null || true)
  for pid in $kids; do kill -CONT "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
  kill -TERM "$SPID" 2>/dev/null || true
  wait_exit "$SPID" || { kill -KILL "$SPID" 2>/dev/null || true; wait_exit "$SPID" || true; }
  wait "$SPID" 2>/dev/null || true
  SPID=
}

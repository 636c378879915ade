"""Helpers for the master-replica replication suites (tests/integration/test_replication.py,
tests/interop/test_replication_interop.py).

Servers taking part in replication are started with REPL_ARGS (or repl_args(...)):
  --enable-debug-command yes     DEBUG DIGEST compares whole data sets
  --repl-diskless-sync-delay 0   Redis 7.0 defaults to diskless sync with a 5 s delay before the
                                 transfer starts (to gather more replicas): far too slow for tests
  --shutdown-timeout 0           Redis 7.0's SHUTDOWN waits up to 10 s for lagging replicas; a
                                 broken replica must not turn every teardown into a 10 s wait

Every wait is bounded (wait_for / poll with timeouts <= 15 s). Everything talks to 127.0.0.1.

    make_replica(replica, master)           REPLICAOF 127.0.0.1 <master.port>, asserts +OK
    wait_link_up(replica)                   master_link_status:up and master_sync_in_progress:0
    wait_in_sync(master, *replicas)         offsets equal, then DEBUG DIGEST equal
    info_fields(srv, "replication")         INFO section -> dict (in the server's order)
    digest(srv), sync_stats(srv), slave_lines(info), role(srv)
    FakeReplica(master)                     speaks the replica side of the protocol by hand
"""

from __future__ import annotations

import random
import re
import time
from typing import Callable

from .resp import ConnectionClosed, Reply, RespClient, _Incomplete, _parse
from .util import WaitTimeout

DEBUG = ["--enable-debug-command", "yes"]
REPL_ARGS = DEBUG + ["--repl-diskless-sync-delay", "0", "--shutdown-timeout", "0"]

DEFAULT_TIMEOUT = 10.0  # every wait in the suites stays <= 15 s

READONLY = "READONLY You can't write against a read only replica."
MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
ALREADY_CONNECTED = "OK Already connected to specified master"
WAIT_ON_REPLICA = ("ERR WAIT cannot be used with replica instances. Please also note that since "
                   "Redis 4.0 if a replica is configured to be writable (which is not the default) "
                   "writes to replicas are just local and are not propagated.")
NOREPLICAS = "NOREPLICAS Not enough good replicas to write."

REPLID_RE = re.compile(r"^[0-9a-f]{40}$")
SLAVE_LINE_RE = re.compile(
    r"^ip=(?P<ip>[^,]+),port=(?P<port>\d+),state=(?P<state>[a-z_]+),"
    r"offset=(?P<offset>-?\d+),lag=(?P<lag>-?\d+)(,offset_lag=(?P<offset_lag>\d+))?$")


def repl_args(diskless_sync: str | None = None, diskless_load: str | None = None,
              extra: list[str] | tuple = ()) -> list[str]:
    """REPL_ARGS plus the full-sync transport of a master (repl-diskless-sync yes|no) and the
    loading mode of a replica (repl-diskless-load disabled|swapdb|on-empty-db)."""
    args = list(REPL_ARGS)
    if diskless_sync is not None:
        args += ["--repl-diskless-sync", diskless_sync]
    if diskless_load is not None:
        args += ["--repl-diskless-load", diskless_load]
    return args + list(extra)


# --------------------------------------------------------------------------- plain calls

def _conn(srv) -> RespClient:
    c = getattr(srv, "_repl_conn", None)
    if c is None or c.closed or c.port != srv.port:
        c = srv.raw(timeout=DEFAULT_TIMEOUT)
        if srv.password is not None:
            r = c.call("AUTH", srv.password)
            assert r == Reply("simple", "OK"), r
        srv._repl_conn = c
    return c


def call(srv, *args, timeout: float | None = None) -> Reply:
    """One command on a connection kept per server (re-opened after a restart or an error)."""
    c = _conn(srv)
    try:
        return c.call(*args, timeout=timeout)
    except BaseException:
        c.close()
        srv._repl_conn = None
        raise


def parse_info(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, _, v = line.partition(":")
            out[k] = v
    return out


# Ember's additive observability fields (docs/replication.md), printed after all of Redis's.
EMBER_ONLY_FIELDS = ("master_repl_offset_lag", "master_last_applied_seconds_ago",
                     "repl_throttle_active", "repl_throttle_delay_ms", "repl_throttled_writes")


def info_fields(srv, section: str = "replication", ember_fields: bool = False) -> dict[str, str]:
    """INFO <section> as a dict whose keys are in the order the server printed them. Ember's own
    additive fields are left out unless `ember_fields`, so Redis's field lists compare equal."""
    r = call(srv, "INFO", section)
    assert r.kind == "bulk", f"INFO {section} on {srv!r}: {r!r}"
    fields = parse_info(r.value.decode())
    if not ember_fields:
        for name in EMBER_ONLY_FIELDS:
            fields.pop(name, None)
    return fields


def digest(srv) -> str:
    r = call(srv, "DEBUG", "DIGEST")
    assert r.kind in ("simple", "bulk"), f"DEBUG DIGEST on {srv!r}: {r!r}"
    return r.value.decode() if isinstance(r.value, bytes) else r.value


def sync_stats(srv) -> dict[str, int]:
    """sync_full / sync_partial_ok / sync_partial_err from INFO stats (the master's view)."""
    i = info_fields(srv, "stats")
    return {k: int(i[k]) for k in ("sync_full", "sync_partial_ok", "sync_partial_err")}


def slave_lines(info: dict[str, str]) -> list[dict[str, str]]:
    """The slaveN:ip=...,port=...,state=...,offset=...,lag=... lines of INFO replication, parsed
    (asserting their shape), in N order."""
    out = []
    n = 0
    while f"slave{n}" in info:
        m = SLAVE_LINE_RE.match(info[f"slave{n}"])
        assert m, f"slave{n} line has an unexpected shape: {info[f'slave{n}']!r}"
        out.append(m.groupdict())
        n += 1
    assert not any(re.fullmatch(r"slave\d+", k) and int(k[5:]) >= n for k in info), \
        f"slaveN lines are not numbered 0..N-1: {list(info)}"
    return out


def role(srv) -> list:
    """ROLE as plain Python values."""
    r = call(srv, "ROLE")
    assert r.kind == "array", f"ROLE on {srv!r}: {r!r}"
    return r.py()


# --------------------------------------------------------------------------- fail fast

_SUPPORT: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def require_commands(srv, *names: str) -> None:
    """pytest.fail at once (not after a 10 s wait) when `srv` lacks any of the commands."""
    key = (srv.binary, tuple(n.upper() for n in names))
    if key not in _SUPPORT:
        _SUPPORT[key] = srv.missing_commands(*names)
    missing = _SUPPORT[key]
    if missing:
        import pytest
        pytest.fail(f"{srv.name} ({srv.binary}) does not implement {', '.join(missing)}: "
                    "replication is not there yet", pytrace=False)


# The master->replica pairings each data type's replication test covers: Ember alone, and mixed
# with Redis in both directions. Parametrize with them and start the servers with start_pairing.
PAIRINGS = ["ember->ember", "ember->redis", "redis->ember"]


def start_pairing(pairing: str, ember_factory, ref_factory, args=None, needs=()):
    """The (master, replica) of `pairing` ("ember->redis"), started with `args` (REPL_ARGS by
    default); the test is skipped when an Ember side lacks one of the commands in `needs`."""
    make = {"ember": ember_factory, "redis": ref_factory}
    master_kind, replica_kind = pairing.split("->")
    servers = (make[master_kind](args=args or REPL_ARGS), make[replica_kind](args=args or REPL_ARGS))
    for srv in servers:
        if needs and not srv.is_redis:
            srv.skip_unless_commands(*needs)
    return servers


def make_replica(replica, master, command: str = "REPLICAOF") -> Reply:
    """REPLICAOF 127.0.0.1 <master.port> on `replica`; asserts the reply is +OK."""
    require_commands(replica, "REPLICAOF")
    require_commands(master, "PSYNC", "REPLCONF")
    r = call(replica, command, "127.0.0.1", master.port)
    assert r == Reply("simple", "OK"), f"{command} on {replica!r}: {r!r}"
    return r


def poll(fn: Callable[[], tuple[bool, object]], timeout: float, what: str,
          interval: float = 0.01):
    """fn() -> (done, state). Exceptions count as "not yet". On timeout the last state is shown."""
    deadline = time.monotonic() + timeout
    state: object = None
    while True:
        try:
            done, state = fn()
            if done:
                return state
        except AssertionError:
            raise
        except Exception as e:  # noqa: BLE001 - connection refused while restarting, etc.
            state = f"exception: {e!r}"
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {what}; last state: {state!r}")
        time.sleep(interval)


def _link_up(info: dict[str, str]) -> bool:
    return (info.get("role") == "slave" and info.get("master_link_status") == "up"
            and info.get("master_sync_in_progress") == "0")


def _assert_is_replica(replica) -> None:
    i = info_fields(replica)
    assert i.get("role") == "slave", \
        f"{replica!r} is not a replica (INFO replication role:{i.get('role')}); did REPLICAOF / " \
        f"the replicaof directive take effect? {i}"


def wait_link_up(replica, timeout: float = DEFAULT_TIMEOUT) -> dict[str, str]:
    """Until INFO replication shows master_link_status:up and master_sync_in_progress:0."""
    _assert_is_replica(replica)
    return poll(lambda: (lambda i: (_link_up(i), i))(info_fields(replica)), timeout,
                 f"master_link_status:up on {replica!r}")


def wait_link_down(replica, timeout: float = DEFAULT_TIMEOUT) -> dict[str, str]:
    return poll(lambda: (lambda i: (i.get("master_link_status") == "down", i))(info_fields(replica)),
                 timeout, f"master_link_status:down on {replica!r}")


def wait_in_sync(master, *replicas, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Until every replica's link is up and its slave_repl_offset equals the master's
    master_repl_offset (also for chained replicas, whose offsets are their top master's), then
    until DEBUG DIGEST is the same everywhere. Returns the master's offset."""
    for r in replicas:
        _assert_is_replica(r)

    def offsets():
        m_off = int(info_fields(master)["master_repl_offset"])
        state = {"master": m_off}
        ok = True
        for r in replicas:
            i = info_fields(r)
            state[r.name + ":" + str(r.port)] = (i.get("master_link_status"),
                                                 i.get("master_sync_in_progress"),
                                                 i.get("slave_repl_offset"))
            ok = ok and _link_up(i) and int(i["slave_repl_offset"]) == m_off
        return ok, state

    deadline = time.monotonic() + timeout
    poll(offsets, timeout, "replica offsets equal to the master's master_repl_offset")

    def digests():
        m_off = int(info_fields(master)["master_repl_offset"])
        d = [digest(master)] + [digest(r) for r in replicas]
        done = len(set(d)) == 1 and int(info_fields(master)["master_repl_offset"]) == m_off
        return done, {"digests": d, "offsets": offsets()[1]}

    poll(digests, max(1.0, deadline - time.monotonic()), "equal DEBUG DIGEST on master and replicas")
    return int(info_fields(master)["master_repl_offset"])


def wait_online(master, n: int, timeout: float = DEFAULT_TIMEOUT, acked: bool = False) -> dict:
    """Until the master's INFO shows connected_slaves:n and n slave lines with state=online (and,
    with acked=True, offset= equal to master_repl_offset: the replicas' REPLCONF ACKs arrived)."""
    def check():
        i = info_fields(master)
        lines = slave_lines(i)
        ok = i.get("connected_slaves") == str(n) and len(lines) == n and \
            all(s["state"] == "online" for s in lines)
        if acked:
            ok = ok and all(s["offset"] == i["master_repl_offset"] for s in lines)
        return ok, i
    return poll(check, timeout, f"{n} online replicas on {master!r}")


def restart_as_replica(srv, master, timeout: float = DEFAULT_TIMEOUT):
    """Stop `srv` (SHUTDOWN NOSAVE) and start it again on the same port and directory (so it loads
    its dump.rdb), configured with `--replicaof 127.0.0.1 <master.port>` from the start."""
    srv.stop()
    args = list(srv.extra_args)
    if "--replicaof" in args:
        i = args.index("--replicaof")
        del args[i:i + 3]
    srv.extra_args = args + ["--replicaof", "127.0.0.1", str(master.port)]
    srv.fixed_port = srv.port
    srv.start()
    return srv


def restart_same_port(srv):
    """Stop and start again on the same port and directory (loads whatever dump.rdb holds)."""
    srv.stop()
    srv.fixed_port = srv.port
    srv.start()
    return srv


# --------------------------------------------------------------------------- data

def rng_bytes(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


BIG_VALUE = rng_bytes(7, 512 * 1024) + b"m" * (512 * 1024)  # 1 MB, half incompressible


def string_ops(tag: str) -> list[tuple]:
    """String commands over databases 0, 3 and 9 (with a FLUSHDB and a 1 MB value)."""
    t = tag
    return [
        ("SELECT", 0),
        ("SET", f"{t}:s", "hello"),
        ("APPEND", f"{t}:s", " world"),
        ("SET", f"{t}:n", "10"),
        ("INCR", f"{t}:n"),
        ("INCRBY", f"{t}:n", "5"),
        ("DECR", f"{t}:n"),
        ("SET", f"{t}:f", "1.5"),
        ("INCRBYFLOAT", f"{t}:f", "0.25"),
        ("SET", f"{t}:ttl", "t", "EX", "1000"),
        ("SET", f"{t}:pttl", "t", "PX", "2000000"),
        ("SET", f"{t}:exp", "e"),
        ("EXPIRE", f"{t}:exp", "5000"),
        ("SET", f"{t}:persist", "p", "EX", "100"),
        ("PERSIST", f"{t}:persist"),
        ("SET", f"{t}:gone", "x"),
        ("DEL", f"{t}:gone"),
        ("MSET", f"{t}:m1", "a", f"{t}:m2", "b", f"{t}:m3", ""),
        ("SETRANGE", f"{t}:range", "5", "xyz"),
        ("SET", f"{t}:big", BIG_VALUE),
        ("SET", f"{t}:bin", b"\x00\xff\r\n\x00"),
        ("SELECT", 3),
        ("SET", f"{t}:db3", "three"),
        ("INCRBY", f"{t}:db3n", "-7"),
        ("MSET", f"{t}:db3a", "1", f"{t}:db3b", "2"),
        ("DEL", f"{t}:db3b"),
        ("SELECT", 9),
        ("SET", f"{t}:before-flush", "1"),
        ("FLUSHDB",),
        ("SET", f"{t}:db9", "nine"),
        ("APPEND", f"{t}:db9", "!"),
        ("SELECT", 0),
    ]


def expected_string_values(tag: str) -> dict[tuple[int, bytes], bytes | None]:
    """What string_ops(tag) leaves behind (db, key) -> value (None: absent)."""
    t = tag
    return {
        (0, f"{t}:s".encode()): b"hello world",
        (0, f"{t}:n".encode()): b"15",
        (0, f"{t}:f".encode()): b"1.75",
        (0, f"{t}:gone".encode()): None,
        (0, f"{t}:m3".encode()): b"",
        (0, f"{t}:range".encode()): b"\x00" * 5 + b"xyz",
        (0, f"{t}:big".encode()): BIG_VALUE,
        (0, f"{t}:bin".encode()): b"\x00\xff\r\n\x00",
        (3, f"{t}:db3".encode()): b"three",
        (3, f"{t}:db3n".encode()): b"-7",
        (3, f"{t}:db3b".encode()): None,
        (9, f"{t}:before-flush".encode()): None,
        (9, f"{t}:db9".encode()): b"nine!",
    }


def run_commands(srv, cmds, timeout: float = DEFAULT_TIMEOUT) -> list[Reply]:
    """Send `cmds` as one pipeline on a fresh connection; assert that none of them failed."""
    c = srv.raw(timeout=timeout)
    try:
        if srv.password is not None:
            c.call("AUTH", srv.password)
        c.send_pipeline(cmds)
        replies = c.read_replies(len(cmds), timeout=timeout)
    finally:
        c.close()
    errors = [(cmd[:2], r) for cmd, r in zip(cmds, replies) if r.is_error]
    assert not errors, f"write errors on {srv!r}: {errors[:5]}"
    return replies


def check_values(srv, expected: dict[tuple[int, bytes], bytes | None]) -> None:
    c = srv.raw()
    try:
        for (db, key), want in sorted(expected.items()):
            assert c.call("SELECT", db) == Reply("simple", "OK")
            got = c.call("GET", key)
            if want is None:
                assert got.is_null, f"{srv.name} db{db} {key!r} should be absent, is {got!r}"[:300]
            else:
                assert got == Reply("bulk", want), f"{srv.name} db{db} {key!r}: {got!r}"[:300]
    finally:
        c.close()


def mixed_write_load(n: int, seed: int = 1, prefix: str = "load") -> list[tuple]:
    """n write commands of many kinds over databases 0, 1 and 5, none failing (counters and the
    float have keys of their own). TTLs are long: nothing expires while replicas converge."""
    rnd = random.Random(seed)
    cmds: list[tuple] = []
    for i in range(n):
        k = f"{prefix}:{rnd.randrange(300)}"
        x = rnd.random()
        if x < 0.03:
            cmds.append(("SELECT", rnd.choice((0, 0, 1, 5))))
        elif x < 0.30:
            cmds.append(("SET", k, rnd.randbytes(rnd.choice((1, 10, 100, 2000)))))
        elif x < 0.40:
            cmds.append(("SET", f"{prefix}:ctr:{rnd.randrange(20)}", str(rnd.randrange(-1000, 1000))))
        elif x < 0.50:
            cmds.append(("INCRBY", f"{prefix}:ctr:{rnd.randrange(20)}", str(rnd.randrange(-50, 50))))
        elif x < 0.60:
            cmds.append(("APPEND", k, f"+{i}"))
        elif x < 0.66:
            cmds.append(("DEL", k, f"{prefix}:{rnd.randrange(300)}"))
        elif x < 0.72:
            cmds.append(("EXPIRE", k, str(rnd.randrange(1000, 100000))))
        elif x < 0.76:
            cmds.append(("SET", k, f"ttl{i}", "PX", str(rnd.randrange(1_000_000, 9_000_000))))
        elif x < 0.80:
            cmds.append(("PERSIST", k))
        elif x < 0.88:
            cmds.append(("MSET", *[y for j in range(rnd.randrange(1, 6))
                                   for y in (f"{prefix}:{rnd.randrange(300)}", f"m{i}.{j}")]))
        elif x < 0.93:
            cmds.append(("SETRANGE", k, str(rnd.randrange(50)), f"r{i}"))
        elif x < 0.97:
            cmds.append(("GETSET", k, f"gs{i}"))
        else:
            cmds.append(("INCRBYFLOAT", f"{prefix}:float", "0.5"))
    return cmds


# --------------------------------------------------------------------------- wire level

class FakeReplica:
    """The replica side of the replication protocol, driven by hand, to check exactly what a
    master sends: +FULLRESYNC / +CONTINUE, the RDB transfer ($<len> or $EOF:<mark>) and the
    command stream (whose byte count is the replication offset)."""

    def __init__(self, master, timeout: float = DEFAULT_TIMEOUT):
        self.master = master
        self.timeout = timeout
        self.c = RespClient(port=master.port, timeout=timeout)
        master._clients.append(self.c)
        self.offset: int | None = None  # replication offset of the next byte to be read - 1
        self.replid: str | None = None
        self._last_ack = 0.0

    def close(self) -> None:
        self.c.close()

    def call(self, *args) -> Reply:
        return self.c.call(*args)

    def handshake(self, listening_port: int = 12345, capa: tuple[str, ...] = ("eof", "psync2"),
                  password: str | None = None) -> None:
        """PING, [AUTH], REPLCONF listening-port, REPLCONF capa ... (each must succeed)."""
        if password is not None:
            assert self.c.call("AUTH", password) == Reply("simple", "OK")
        r = self.c.call("PING")
        assert r == Reply("simple", "PONG"), r
        r = self.c.call("REPLCONF", "listening-port", listening_port)
        assert r == Reply("simple", "OK"), r
        if capa:
            r = self.c.call("REPLCONF", *[x for cap in capa for x in ("capa", cap)])
            assert r == Reply("simple", "OK"), r

    def _skip_newlines(self, deadline: float) -> None:
        """Masters send bare "\\n" keepalives while the RDB is being prepared."""
        while True:
            self.c.buf = self.c.buf.lstrip(b"\n")
            if self.c.buf:
                return
            self.c._fill(deadline)

    def psync(self, replid: str = "?", offset: int = -1) -> list[str]:
        """Send PSYNC and return the reply line split on spaces (first word without the "+")."""
        self.c.send_command("PSYNC", replid, offset)
        deadline = time.monotonic() + self.timeout
        self._skip_newlines(deadline)
        line = self.c.read_line(max(0.001, deadline - time.monotonic()))
        assert line.startswith(b"+"), f"PSYNC {replid} {offset}: {line!r}"
        words = line[1:-2].decode().split(" ")
        if words[0] == "FULLRESYNC":
            assert len(words) == 3, line
            self.replid, self.offset = words[1], int(words[2])
        elif words[0] == "CONTINUE":
            if len(words) > 1:
                self.replid = words[1]
            self.offset = offset - 1
        return words

    def read_rdb(self) -> tuple[str, bytes]:
        """After +FULLRESYNC: ("bulk", payload) for `$<len>` or ("eof", payload) for
        `$EOF:<40-byte mark>` (payload without the trailing mark)."""
        deadline = time.monotonic() + self.timeout
        self._skip_newlines(deadline)
        hdr = self.c.read_line(max(0.001, deadline - time.monotonic()))
        assert hdr.startswith(b"$"), f"RDB transfer header: {hdr[:80]!r}"
        if hdr.startswith(b"$EOF:"):
            mark = hdr[5:-2]
            assert len(mark) == 40, f"EOF mark must be 40 bytes: {hdr!r}"
            while mark not in self.c.buf:
                self.c._fill(deadline)
            i = self.c.buf.index(mark)
            payload, self.c.buf = self.c.buf[:i], self.c.buf[i + 40:]
            return "eof", payload
        n = int(hdr[1:-2])
        payload = self.c.read_exact(n, max(0.001, deadline - time.monotonic()))
        return "bulk", payload

    def ack(self) -> None:
        self.c.send_command("REPLCONF", "ACK", self.offset)
        self._last_ack = time.monotonic()

    def _take(self, out: list, skip_pings: bool) -> None:
        """Move every complete command in the buffer to `out`, advancing self.offset."""
        while True:
            try:
                r, p = _parse(self.c.buf, 0)
            except _Incomplete:
                return
            self.c.buf = self.c.buf[p:]
            self.offset += p
            assert r.kind == "array", f"replication stream item is not a command: {r!r}"
            cmd = [x.value for x in r.value]
            if skip_pings and cmd and cmd[0].upper() == b"PING":
                continue
            out.append(cmd)

    def pump(self, timeout: float = 0.05, skip_pings: bool = True) -> list[list[bytes]]:
        """The commands that are buffered or arrive within `timeout` (sending REPLCONF ACK every
        100 ms: a master may wait for the first ACK before it streams, as Redis does after a
        diskless transfer)."""
        out: list[list[bytes]] = []
        self._take(out, skip_pings)
        if time.monotonic() - self._last_ack >= 0.1:
            self.ack()
        try:
            self.c._fill(time.monotonic() + timeout)
        except TimeoutError:
            pass
        except ConnectionClosed:
            raise AssertionError("master closed the replication link")
        self._take(out, skip_pings)
        return out

    def read_commands(self, n: int | None = None, until: Callable[[list], bool] | None = None,
                      timeout: float | None = None, skip_pings: bool = True) -> list[list[bytes]]:
        """Read commands from the replication stream until there are n of them (PINGs are not
        counted when skip_pings) or until(commands) is true."""
        assert n is not None or until is not None
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        out: list[list[bytes]] = []
        self._take(out, skip_pings)
        while not ((n is not None and len(out) >= n) or (until is not None and until(out))):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"replication stream: got {out!r}, buffered {self.c.buf[:200]!r}")
            out += self.pump(min(0.1, max(0.001, deadline - time.monotonic())), skip_pings)
        return out

    def catch_up(self, master, timeout: float | None = None) -> int:
        """Read (and drop) the stream until this replica's offset equals the master's
        master_repl_offset; returns the offset."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            self.pump(0.02)
            target = int(info_fields(master)["master_repl_offset"])
            if self.offset == target:
                return self.offset
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"fake replica offset {self.offset} != master_repl_offset {target}")

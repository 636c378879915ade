"""Master-replica replication between two servers under test: REPLICAOF / SLAVEOF, full sync over
both transports (disk `$<len>` and diskless `$EOF:<mark>`) and all replica loading modes, the live
command stream, one master with three replicas, chained replicas, promotion with REPLICAOF NO ONE
and PSYNC2 partial resync, partial resync after a dropped link and after a replica restart, keys
with a TTL on replicas, WAIT, min-replicas-to-write, replica-serve-stale-data, masterauth, the
INFO replication fields and ROLE, and (with a hand-driven replica) the exact bytes a master sends.

Every wait is bounded; servers bind 127.0.0.1 on random free ports. Checked against Redis 7.0.15:
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_replication.py
"""

from __future__ import annotations

import time

import pytest

from harness.replication import (ALREADY_CONNECTED, MASTERDOWN, NOREPLICAS, READONLY, REPLID_RE,
                                  WAIT_ON_REPLICA, FakeReplica, call, check_values, digest,
                                  expected_string_values, info_fields, make_replica,
                                  mixed_write_load, repl_args, require_commands, restart_as_replica,
                                  restart_same_port, role, run_commands, slave_lines, string_ops,
                                  sync_stats, wait_in_sync, wait_link_down, wait_link_up,
                                  wait_online, poll)
from harness.resp import NULLBULK, B, ConnectionClosed, E, I, S
from harness.util import free_port, wait_for

ZERO_ID = "0" * 40

MASTER_INFO_KEYS = [
    "role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2",
    "master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
    "repl_backlog_first_byte_offset", "repl_backlog_histlen"]
REPLICA_INFO_KEYS = [
    "role", "master_host", "master_port", "master_link_status", "master_last_io_seconds_ago",
    "master_sync_in_progress", "slave_read_repl_offset", "slave_repl_offset", "slave_priority",
    "slave_read_only", "replica_announced"] + MASTER_INFO_KEYS[1:]


def start(factory, *extra, diskless_sync=None, diskless_load=None):
    return factory(args=repl_args(diskless_sync, diskless_load, extra))


def keyspace(srv, db: int = 0) -> dict[str, int]:
    """keys= / expires= of one database from INFO keyspace ({} when the db is empty)."""
    line = info_fields(srv, "keyspace").get(f"db{db}")
    if not line:
        return {}
    return {k: int(v) for k, v in (p.split("=") for p in line.split(",")) if k in ("keys", "expires")}


def shutdown_save(srv) -> None:
    """SHUTDOWN SAVE: the RDB is written at exit, so it holds the final replication offset."""
    c = srv.raw()
    c.send_command("SHUTDOWN", "SAVE")
    try:
        r = c.read_reply(10.0)
        raise AssertionError(f"SHUTDOWN SAVE replied {r!r}")
    except ConnectionClosed:
        pass
    wait_for(lambda: not srv.alive(), timeout=10, message="server exited after SHUTDOWN SAVE")
    srv.stop()


# --------------------------------------------------------------------------- journey 1 basics

def test_basic_full_sync_then_live_stream(ember_factory):
    master = start(ember_factory)
    replica = start(ember_factory)
    run_commands(master, string_ops("pre"))
    # the replica's own data is dropped by the full sync
    run_commands(replica, [("SET", "stale", "1"), ("SET", "pre:s", "old"), ("SELECT", 5),
                           ("SET", "stale5", "1")])

    make_replica(replica, master)
    wait_in_sync(master, replica)
    check_values(replica, expected_string_values("pre"))
    assert call(replica, "EXISTS", "stale") == I(0)
    assert keyspace(replica, 5) == {}
    assert 900_000 < call(replica, "PTTL", "pre:ttl").value <= 1_000_000
    assert call(replica, "TTL", "pre:persist") == I(-1)
    assert sync_stats(master)["sync_full"] == 1

    # the live stream: everything written after the attach shows up
    run_commands(master, string_ops("live"))
    wait_in_sync(master, replica)
    check_values(replica, expected_string_values("live"))
    assert call(master, "SET", "one", "more") == S("OK")
    wait_for(lambda: call(replica, "GET", "one") == B("more"), timeout=10, message="live write")

    # the same master again: nothing happens (no new sync)
    assert call(replica, "REPLICAOF", "127.0.0.1", master.port) == S(ALREADY_CONNECTED)
    assert call(replica, "SLAVEOF", "127.0.0.1", master.port) == S(ALREADY_CONNECTED)
    wait_link_up(replica)
    assert sync_stats(master)["sync_full"] == 1
    i = info_fields(replica)
    assert (i["role"], i["master_host"], i["master_port"], i["slave_read_only"]) == \
        ("slave", "127.0.0.1", str(master.port), "1")

    # read-only replica: writes from clients are refused, reads served
    for cmd in [("SET", "x", "1"), ("INCR", "pre:n"), ("DEL", "one"), ("APPEND", "one", "x"),
                ("MSET", "a", "1", "b", "2"), ("EXPIRE", "one", "10"), ("SETEX", "y", "10", "v"),
                ("FLUSHDB",), ("FLUSHALL",)]:
        assert call(replica, *cmd) == E(READONLY), cmd
    assert call(replica, "GET", "one") == B("more")
    assert call(replica, "DBSIZE") == call(master, "DBSIZE")

    # replica-read-only no: local writes are accepted (and stay local)
    assert call(replica, "CONFIG", "SET", "replica-read-only", "no") == S("OK")
    assert info_fields(replica)["slave_read_only"] == "0"
    assert call(replica, "SET", "local", "1") == S("OK")
    assert call(replica, "GET", "local") == B("1")
    assert call(master, "EXISTS", "local") == I(0)


@pytest.mark.parametrize("load", ["disabled", "swapdb", "on-empty-db"])
@pytest.mark.parametrize("sync", ["no", "yes"], ids=["disk", "diskless"])
def test_full_sync_transports_and_load_modes(ember_factory, sync, load):
    master = start(ember_factory, diskless_sync=sync)
    replica = start(ember_factory, diskless_load=load)
    run_commands(master, string_ops("a"))
    run_commands(replica, [("SELECT", 5), ("SET", "replica-only", "x"), ("SELECT", 0),
                           ("SET", "a:s", "old")])
    make_replica(replica, master)
    wait_in_sync(master, replica)
    check_values(replica, expected_string_values("a"))
    assert keyspace(replica, 5) == {}

    # a second full sync onto a replica whose data diverged (on-empty-db: not empty any more)
    assert call(replica, "REPLICAOF", "NO", "ONE") == S("OK")
    run_commands(replica, [("SET", "diverged", "1"), ("SELECT", 3), ("FLUSHDB",)])
    run_commands(master, [("SET", "b", "2"), ("SELECT", 9), ("DEL", "a:db9")])
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(replica, "EXISTS", "diverged") == I(0)
    assert sync_stats(master)["sync_full"] == 2
    expected = expected_string_values("a")
    expected[(9, b"a:db9")] = None
    check_values(replica, expected)


def test_replicaof_argument_errors(ember_factory):
    srv = start(ember_factory)
    require_commands(srv, "REPLICAOF")
    for cmd in [("REPLICAOF", "127.0.0.1", "abc"), ("REPLICAOF", "127.0.0.1", "-1"),
                ("REPLICAOF", "127.0.0.1", "70000"), ("REPLICAOF", "NO", "TWO")]:
        assert call(srv, *cmd) == E("ERR Invalid master port"), cmd
    assert call(srv, "REPLICAOF") == E("ERR wrong number of arguments for 'replicaof' command")
    assert call(srv, "SLAVEOF", "x") == E("ERR wrong number of arguments for 'slaveof' command")
    # NO ONE on a master is a no-op
    assert call(srv, "REPLICAOF", "NO", "ONE") == S("OK")
    assert call(srv, "SLAVEOF", "no", "one") == S("OK")
    assert info_fields(srv)["role"] == "master"


# --------------------------------------------------------------------------- one master, three replicas

def test_one_master_three_replicas(ember_factory):
    master = start(ember_factory)
    r1 = start(ember_factory)
    r2 = start(ember_factory, diskless_load="swapdb")
    r3 = start(ember_factory, "--repl-diskless-load", "on-empty-db")
    run_commands(master, string_ops("pre"))
    make_replica(r1, master)
    make_replica(r2, master, command="SLAVEOF")
    wait_link_up(r1)
    wait_link_up(r2)

    load = mixed_write_load(2000, seed=11)
    run_commands(master, load[:1000])
    make_replica(r3, master)  # attaches (full sync) while the load goes on
    run_commands(master, load[1000:])
    wait_in_sync(master, r1, r2, r3, timeout=15)
    assert call(r3, "DBSIZE") == call(master, "DBSIZE")

    # INFO replication on the master: connected_slaves:3 and one slaveN line per replica
    i = wait_online(master, 3, acked=True)
    assert i["role"] == "master" and i["connected_slaves"] == "3"
    keys = list(i)
    assert keys[:5] == ["role", "connected_slaves", "slave0", "slave1", "slave2"], keys
    assert keys[5] == "master_failover_state", keys
    lines = slave_lines(i)
    assert sorted(int(s["port"]) for s in lines) == sorted([r1.port, r2.port, r3.port])
    for s in lines:
        assert s["ip"] == "127.0.0.1" and s["state"] == "online", s
        assert s["offset"] == i["master_repl_offset"], s
        assert 0 <= int(s["lag"]) <= 10, s

    # ROLE on the master: [master, offset, [[ip, port, offset], ...]] (port and offset as strings)
    m_off = int(i["master_repl_offset"])
    rm = role(master)
    assert rm[0] == b"master" and isinstance(rm[1], int) and rm[1] >= m_off, rm
    assert len(rm) == 3 and len(rm[2]) == 3, rm
    for entry in rm[2]:
        assert len(entry) == 3 and entry[0] == b"127.0.0.1", rm
        assert entry[1].isdigit() and entry[2].isdigit(), rm
        assert int(entry[2]) <= rm[1]
    assert sorted(int(e[1]) for e in rm[2]) == sorted([r1.port, r2.port, r3.port])

    # ROLE on a replica: [slave, master ip, master port, state, offset]
    for r in (r1, r2, r3):
        rr = role(r)
        assert rr[:4] == [b"slave", b"127.0.0.1", master.port, b"connected"], rr
        assert isinstance(rr[4], int) and rr[4] >= m_off, rr
        ri = info_fields(r)
        assert ri["master_replid"] == i["master_replid"]
        assert ri["slave_read_repl_offset"] == ri["slave_repl_offset"] == ri["master_repl_offset"]

    # writes after everything is online reach all three
    run_commands(master, mixed_write_load(200, seed=12, prefix="after"))
    wait_in_sync(master, r1, r2, r3)


# --------------------------------------------------------------------------- journey 2: chains

@pytest.mark.parametrize("order", ["top-down", "bottom-up"])
def test_chained_replicas(ember_factory, order):
    a = start(ember_factory)
    b = start(ember_factory)
    c = start(ember_factory)
    run_commands(a, string_ops("a"))
    if order == "top-down":
        make_replica(b, a)
        wait_link_up(b)
        make_replica(c, b)
    else:
        # B already has a replica (and data of its own) when it starts following A
        run_commands(b, [("SET", "b-only", "1")])
        make_replica(c, b)
        wait_in_sync(b, c)
        assert call(c, "GET", "b-only") == B("1")
        make_replica(b, a)
    wait_in_sync(a, b, c)
    run_commands(a, mixed_write_load(500, seed=3))
    m_off = wait_in_sync(a, b, c)
    assert call(c, "EXISTS", "b-only") == I(0)
    check_values(c, expected_string_values("a"))

    # the sub-replica gets exactly the top master's stream: same replication ID and offsets
    # (read again until one reading of all three agrees: a PING may land between two INFOs)
    def same_offsets():
        ia, ib, ic = info_fields(a), info_fields(b), info_fields(c)
        return (int(ic["slave_repl_offset"]) == int(ib["slave_repl_offset"])
                == int(ia["master_repl_offset"])), (ia, ib, ic)
    ia, ib, ic = poll(same_offsets, 10, "equal offsets along the chain")
    assert ic["master_replid"] == ib["master_replid"] == ia["master_replid"]
    assert int(ib["slave_repl_offset"]) >= m_off
    assert ic["master_port"] == str(b.port) and ib["master_port"] == str(a.port)
    assert ib["role"] == "slave" and ib["connected_slaves"] == "1"
    lines = slave_lines(ib)
    assert int(lines[0]["port"]) == c.port and lines[0]["state"] == "online", lines
    assert ia["connected_slaves"] == "1"
    assert call(b, "SET", "x", "1") == E(READONLY)
    assert call(c, "SET", "x", "1") == E(READONLY)
    assert role(b)[:4] == [b"slave", b"127.0.0.1", a.port, b"connected"]


# --------------------------------------------------------------------------- journey 3: promotion

@pytest.mark.parametrize("topology", ["siblings", "chained"])
def test_promotion_with_partial_resync(ember_factory, topology):
    a = start(ember_factory)
    b = start(ember_factory)
    c = start(ember_factory)
    run_commands(a, string_ops("a"))
    make_replica(b, a)
    if topology == "siblings":   # A -> B, A -> C
        make_replica(c, a)
    else:                        # A -> B -> C
        wait_link_up(b)
        make_replica(c, b)
    run_commands(a, mixed_write_load(300, seed=4))
    old_off = wait_in_sync(a, b, c)
    old_id = info_fields(a)["master_replid"]

    a.kill()  # the master dies
    b_off = int(wait_link_down(b)["master_repl_offset"])
    assert b_off >= old_off  # (a PING from A may have arrived after the sync)
    if topology == "siblings":
        wait_link_down(c)
    before = sync_stats(b)

    assert call(b, "REPLICAOF", "NO", "ONE") == S("OK")
    ib = info_fields(b)
    assert ib["role"] == "master"
    assert REPLID_RE.match(ib["master_replid"]) and ib["master_replid"] != old_id
    assert ib["master_replid2"] == old_id
    assert int(ib["second_repl_offset"]) == b_off + 1
    assert int(ib["master_repl_offset"]) == b_off
    assert call(b, "SET", "promoted", "yes") == S("OK")
    assert call(b, "INCR", "a:n") == I(16)

    if topology == "siblings":
        make_replica(c, b)
    wait_in_sync(b, c)
    after = sync_stats(b)
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1, (before, after)
    assert after["sync_full"] == before["sync_full"], (before, after)
    ic = info_fields(c)
    assert ic["master_replid"] == ib["master_replid"] and ic["master_replid2"] == old_id
    assert ic["master_port"] == str(b.port)
    assert call(c, "GET", "promoted") == B("yes")
    assert call(c, "GET", "a:n") == B("16")


# --------------------------------------------------------------------------- partial resync

@pytest.mark.parametrize("how", [("replica", "master"), ("master", "replica"), ("master", "slave")],
                         ids=["replica-kills-master-link", "master-kills-replica",
                              "master-kills-slave"])
def test_partial_resync_after_link_drop(ember_factory, how):
    master = start(ember_factory)
    replica = start(ember_factory)
    run_commands(master, string_ops("a"))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    before = sync_stats(master)

    side, kind = how
    killer = replica if side == "replica" else master
    assert call(killer, "CLIENT", "KILL", "TYPE", kind) == I(1)
    run_commands(master, mixed_write_load(300, seed=5))  # written while the link is down
    wait_in_sync(master, replica)
    after = sync_stats(master)
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1, (before, after)
    assert after["sync_full"] == before["sync_full"], (before, after)
    assert info_fields(replica)["master_replid"] == info_fields(master)["master_replid"]


@pytest.mark.parametrize("gap", ["within-backlog", "beyond-backlog"])
def test_replica_restart_resyncs_from_its_rdb(ember_factory, gap):
    """A replica's RDB holds the replication ID and offset: restarted (configured with replicaof),
    it continues with a partial resync if the master's backlog still covers the gap."""
    master = start(ember_factory)
    replica = start(ember_factory)
    run_commands(master, string_ops("a"))
    if gap == "beyond-backlog":
        assert call(master, "CONFIG", "SET", "repl-backlog-size", "16384") == S("OK")
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(replica, "SAVE") == S("OK")
    replica.stop()
    before = sync_stats(master)

    if gap == "within-backlog":
        run_commands(master, mixed_write_load(100, seed=6, prefix="gap"))
    else:
        run_commands(master, [("SET", f"gap:{i}", "x" * 1000) for i in range(200)])
    restart_as_replica(replica, master)
    wait_in_sync(master, replica)
    after = sync_stats(master)
    if gap == "within-backlog":
        assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1, (before, after)
        assert after["sync_full"] == before["sync_full"], (before, after)
    else:
        assert after["sync_full"] == before["sync_full"] + 1, (before, after)
        assert after["sync_partial_ok"] == before["sync_partial_ok"], (before, after)
        assert after["sync_partial_err"] == before["sync_partial_err"] + 1, (before, after)
    assert info_fields(replica)["master_replid"] == info_fields(master)["master_replid"]
    check_values(replica, expected_string_values("a"))


# --------------------------------------------------------------------------- expiry on replicas

def test_replica_hides_but_never_expires_keys(ember_factory):
    master = start(ember_factory)
    replica = start(ember_factory)
    make_replica(replica, master)
    wait_link_up(replica)
    assert call(master, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == S("OK")
    assert call(master, "SET", "perm", "1") == S("OK")
    t0 = time.monotonic()
    assert call(master, "SET", "k", "v", "PX", "300") == S("OK")
    wait_in_sync(master, replica)
    if time.monotonic() - t0 < 0.2:
        assert call(replica, "GET", "k") == B("v")
        assert 0 < call(replica, "PTTL", "k").value <= 300
    time.sleep(max(0.0, t0 + 0.6 - time.monotonic()))  # the TTL passes (what is being tested)

    # logically expired on the replica: hidden from reads ...
    assert call(replica, "GET", "k") == NULLBULK
    assert call(replica, "EXISTS", "k") == I(0)
    assert call(replica, "TTL", "k") == I(-2)
    assert call(replica, "PTTL", "k") == I(-2)
    assert call(replica, "TYPE", "k") == S("none")
    assert call(replica, "MGET", "k", "perm").py() == [None, b"1"]
    assert call(replica, "KEYS", "*").py() == [b"perm"]
    assert call(replica, "SCAN", "0").py() == [b"0", [b"perm"]]
    # ... but still stored: replicas never delete keys on their own, the master's DEL does it
    assert call(replica, "DBSIZE") == I(2)
    assert keyspace(replica) == {"keys": 2, "expires": 1}
    assert info_fields(replica, "stats")["expired_keys"] == "0"
    assert call(master, "DBSIZE") == I(2)  # active expiry off, never accessed

    # the master expires it on access and propagates a DEL
    assert call(master, "GET", "k") == NULLBULK
    wait_in_sync(master, replica)
    assert call(replica, "DBSIZE") == I(1)
    assert keyspace(replica) == {"keys": 1, "expires": 0}

    # the master's active expiry also propagates DEL
    assert call(master, "DEBUG", "SET-ACTIVE-EXPIRE", "1") == S("OK")
    assert call(master, "SET", "k2", "v", "PX", "1000") == S("OK")
    wait_for(lambda: call(replica, "DBSIZE") == I(2), timeout=10, message="k2 on the replica")
    wait_for(lambda: call(replica, "DBSIZE") == I(1), timeout=10, message="k2 deleted via the master")
    assert call(master, "DBSIZE") == I(1)
    assert int(info_fields(master, "stats")["expired_keys"]) == 2
    assert info_fields(replica, "stats")["expired_keys"] == "0"
    wait_in_sync(master, replica)


# --------------------------------------------------------------------------- WAIT, min-replicas

def test_wait(ember_factory):
    master = start(ember_factory)
    replica = start(ember_factory)
    lone = start(ember_factory)
    make_replica(replica, master)
    wait_link_up(replica)
    require_commands(master, "WAIT")

    assert call(master, "SET", "k", "v") == S("OK")
    t0 = time.monotonic()
    assert call(master, "WAIT", "1", "5000") == I(1)
    assert time.monotonic() - t0 < 4.0  # answered by the replica's ACK, not by the timeout
    assert call(master, "WAIT", "0", "0") == I(1)
    t0 = time.monotonic()
    assert call(master, "WAIT", "2", "300") == I(1)  # only one replica: waits out the timeout
    assert time.monotonic() - t0 >= 0.25
    assert call(replica, "WAIT", "1", "100") == E(WAIT_ON_REPLICA)

    # no replicas at all
    assert call(lone, "SET", "k", "v") == S("OK")
    t0 = time.monotonic()
    assert call(lone, "WAIT", "1", "200") == I(0)
    assert time.monotonic() - t0 >= 0.15
    assert call(lone, "WAIT", "0", "0") == I(0)

    # replica gone: nothing acknowledges the new write
    replica.kill()
    wait_for(lambda: info_fields(master)["connected_slaves"] == "0", timeout=10,
             message="master noticed the replica left")
    assert call(master, "SET", "k", "v2") == S("OK")
    assert call(master, "WAIT", "1", "200") == I(0)


def test_min_replicas_to_write(ember_factory):
    master = start(ember_factory, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
    replica = start(ember_factory)
    assert call(master, "SET", "k", "v") == E(NOREPLICAS)
    assert call(master, "GET", "k") == NULLBULK
    i = info_fields(master)
    assert list(i)[:3] == ["role", "connected_slaves", "min_slaves_good_slaves"], list(i)
    assert i["min_slaves_good_slaves"] == "0"

    make_replica(replica, master)
    wait_link_up(replica)
    wait_for(lambda: call(master, "SET", "k", "v") == S("OK"), timeout=10,
             message="writes accepted once a good replica is attached")
    assert info_fields(master)["min_slaves_good_slaves"] == "1"
    wait_in_sync(master, replica)

    replica.kill()
    wait_for(lambda: call(master, "SET", "k", "v3") == E(NOREPLICAS), timeout=10,
             message="NOREPLICAS once the replica is gone")


# --------------------------------------------------------------------------- master down

def test_master_down_replica_serves_stale_data_then_resyncs(ember_factory):
    master = start(ember_factory)
    replica = start(ember_factory)
    run_commands(master, string_ops("a"))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    old_id = info_fields(master)["master_replid"]
    shutdown_save(master)  # the master stops (its dump.rdb holds repl ID and offset)

    i = wait_link_down(replica)
    old_off = int(i["master_repl_offset"])  # everything the master sent before it stopped
    assert i["role"] == "slave" and i["master_last_io_seconds_ago"] == "-1"
    assert int(i["master_link_down_since_seconds"]) >= 0
    keys = list(i)
    assert keys.index("master_link_down_since_seconds") == keys.index("slave_repl_offset") + 1, keys
    check_values(replica, expected_string_values("a"))  # replica-serve-stale-data yes (default)
    assert call(replica, "PING") == S("PONG")
    assert call(replica, "SET", "x", "1") == E(READONLY)
    r = role(replica)
    assert r[:3] == [b"slave", b"127.0.0.1", master.port] and r[3] in (b"connect", b"connecting"), r
    assert r[4] == -1, r

    restart_same_port(master)  # comes back with its data; the replica keeps retrying meanwhile
    wait_in_sync(master, replica, timeout=15)
    assert call(master, "SET", "after", "restart") == S("OK")
    wait_in_sync(master, replica)
    assert call(replica, "GET", "after") == B("restart")
    # Redis 7.0: a master restarted from an RDB that holds its replication ID and offset keeps
    # them (as replid2 / second_repl_offset), so its replicas continue with a partial resync.
    im = info_fields(master)
    assert im["master_replid2"] == old_id and int(im["second_repl_offset"]) == old_off + 1, im
    st = sync_stats(master)
    assert st["sync_partial_ok"] == 1 and st["sync_full"] == 0, st


def test_replica_serve_stale_data_no(ember_factory):
    master = start(ember_factory)
    replica = start(ember_factory)
    run_commands(master, [("SET", "a", "1")])
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(replica, "CONFIG", "SET", "replica-serve-stale-data", "no") == S("OK")
    assert call(replica, "GET", "a") == B("1")  # link up: served normally

    master.kill()
    wait_link_down(replica)
    for cmd in [("GET", "a"), ("EXISTS", "a"), ("DBSIZE",), ("KEYS", "*"), ("PING",)]:
        assert call(replica, *cmd) == E(MASTERDOWN), cmd
    assert call(replica, "SET", "a", "2") == E(READONLY)  # the read-only check comes first
    # commands flagged "stale" still work
    assert call(replica, "INFO", "replication").kind == "bulk"
    assert call(replica, "ECHO", "x") == B("x")
    assert call(replica, "CONFIG", "GET", "replica-serve-stale-data").py() == \
        [b"replica-serve-stale-data", b"no"]
    assert role(replica)[0] == b"slave"
    assert call(replica, "SELECT", "1") == S("OK")
    assert call(replica, "SELECT", "0") == S("OK")

    assert call(replica, "CONFIG", "SET", "replica-serve-stale-data", "yes") == S("OK")
    assert call(replica, "GET", "a") == B("1")
    assert call(replica, "PING") == S("PONG")


# --------------------------------------------------------------------------- INFO replication

def test_info_replication_fields(ember_factory):
    master = start(ember_factory)
    replica = start(ember_factory)

    i = info_fields(master)
    assert list(i) == MASTER_INFO_KEYS, list(i)
    assert i["role"] == "master" and i["connected_slaves"] == "0"
    assert i["master_failover_state"] == "no-failover"
    assert REPLID_RE.match(i["master_replid"]) and i["master_replid2"] == ZERO_ID
    assert i["master_repl_offset"] == "0" and i["second_repl_offset"] == "-1"
    assert i["repl_backlog_active"] == "0" and i["repl_backlog_histlen"] == "0"
    assert i["repl_backlog_size"] == "1048576"
    raw = call(master, "INFO", "replication").value
    assert raw.startswith(b"# Replication\r\n") and raw.endswith(b"\r\n")

    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(master, "SET", "k", "v") == S("OK")
    wait_in_sync(master, replica)
    im = wait_online(master, 1, acked=True)
    assert list(im) == MASTER_INFO_KEYS[:2] + ["slave0"] + MASTER_INFO_KEYS[2:], list(im)
    assert im["repl_backlog_active"] == "1"
    off, first, hist = (int(im[k]) for k in ("master_repl_offset", "repl_backlog_first_byte_offset",
                                             "repl_backlog_histlen"))
    assert off > 0 and hist == off - first + 1, im

    ir = info_fields(replica)
    assert list(ir) == REPLICA_INFO_KEYS, list(ir)
    assert ir["role"] == "slave" and ir["master_host"] == "127.0.0.1"
    assert ir["master_port"] == str(master.port) and ir["master_link_status"] == "up"
    assert 0 <= int(ir["master_last_io_seconds_ago"]) <= 10
    assert ir["master_sync_in_progress"] == "0"
    assert ir["slave_read_repl_offset"] == ir["slave_repl_offset"] == im["master_repl_offset"]
    assert (ir["slave_priority"], ir["slave_read_only"], ir["replica_announced"]) == ("100", "1", "1")
    assert ir["connected_slaves"] == "0" and ir["master_failover_state"] == "no-failover"
    assert ir["master_replid"] == im["master_replid"] and ir["master_replid2"] == ZERO_ID
    assert ir["master_repl_offset"] == im["master_repl_offset"] and ir["second_repl_offset"] == "-1"
    assert ir["repl_backlog_active"] == "1"

    # a replica that never reached its master
    lost = start(ember_factory)
    require_commands(lost, "REPLICAOF")
    assert call(lost, "REPLICAOF", "127.0.0.1", free_port()) == S("OK")
    il = info_fields(lost)
    want = REPLICA_INFO_KEYS[:8] + ["master_link_down_since_seconds"] + REPLICA_INFO_KEYS[8:]
    assert list(il) == want, list(il)
    assert il["master_link_status"] == "down" and il["master_last_io_seconds_ago"] == "-1"
    assert il["master_link_down_since_seconds"] == "-1" and il["master_sync_in_progress"] == "0"
    rl = role(lost)
    assert rl[:3] == [b"slave", b"127.0.0.1", int(il["master_port"])], rl
    assert rl[3] in (b"connect", b"connecting") and rl[4] == -1, rl


def test_masterauth(ember_factory):
    master = start(ember_factory, "--requirepass", "s3cret")
    run_commands(master, [("SET", "k", "v")])
    require_commands(master, "PSYNC", "REPLCONF")
    # replicaof + masterauth given at start-up (the config file directives)
    good = ember_factory(args=repl_args(extra=["--masterauth", "s3cret", "--replicaof", "127.0.0.1",
                                               str(master.port)]))
    wait_in_sync(master, good)
    assert call(good, "GET", "k") == B("v")

    # without masterauth the handshake is refused with NOAUTH and the link stays down
    bad = start(ember_factory)
    make_replica(bad, master)
    wait_for(lambda: "errorstat_NOAUTH" in info_fields(master, "errorstats"), timeout=10,
             message="the master refused the unauthenticated replica")
    i = info_fields(bad)
    assert i["master_link_status"] == "down", i
    assert call(bad, "CONFIG", "SET", "masterauth", "s3cret") == S("OK")
    wait_in_sync(master, good, bad, timeout=15)
    assert call(bad, "GET", "k") == B("v")


# --------------------------------------------------------------------------- wire level

@pytest.mark.parametrize("sync,capa,transport", [
    ("no", ("eof", "psync2"), "bulk"),
    ("yes", ("eof", "psync2"), "eof"),
    ("yes", ("psync2",), "bulk"),
], ids=["disk", "diskless", "diskless-without-capa-eof"])
def test_wire_full_sync(ember_factory, sync, capa, transport):
    master = start(ember_factory, diskless_sync=sync)
    run_commands(master, [("SET", "k", "v"), ("SELECT", 2), ("SET", "k2", "v2")])
    require_commands(master, "PSYNC", "REPLCONF")
    fr = FakeReplica(master)
    fr.handshake(listening_port=6999, capa=capa)
    words = fr.psync("?", -1)
    assert words[0] == "FULLRESYNC" and REPLID_RE.match(words[1]) and int(words[2]) >= 0, words
    assert words[1] == info_fields(master)["master_replid"]

    kind, payload = fr.read_rdb()
    assert kind == transport
    assert payload[:5] == b"REDIS" and payload[5:9].isdigit(), payload[:16]
    assert payload[-9] == 0xFF, payload[-16:]  # EOF opcode, then the 8-byte checksum
    # the snapshot is a loadable RDB file with the master's data
    loader = ember_factory(start=False, args=repl_args())
    (loader.dir / "dump.rdb").write_bytes(payload)
    loader.start()
    assert digest(loader) == digest(master)

    assert call(master, "SET", "after", "1") == S("OK")
    assert fr.read_commands(2) == [[b"SELECT", b"0"], [b"SET", b"after", b"1"]]
    fr.catch_up(master)

    def acked():  # the master shows the offset of our REPLCONF ACKs in the slave0 line
        fr.pump(0.02)
        i = info_fields(master)
        lines = slave_lines(i)
        return len(lines) == 1 and lines[0]["offset"] == str(fr.offset), i
    i = poll(acked, 10, "REPLCONF ACK <offset> shown in the slave0 line")
    s = slave_lines(i)[0]
    assert s["ip"] == "127.0.0.1" and s["port"] == "6999" and s["state"] == "online", s
    assert i["connected_slaves"] == "1"
    assert sync_stats(master)["sync_full"] == 1


def test_wire_partial_resync(ember_factory):
    master = start(ember_factory, diskless_sync="no")
    run_commands(master, [("SET", "k", "v")])
    require_commands(master, "PSYNC", "REPLCONF")
    fr = FakeReplica(master)
    fr.handshake()
    assert fr.psync()[0] == "FULLRESYNC"
    fr.read_rdb()
    assert call(master, "SET", "a", "1") == S("OK")
    fr.read_commands(2)
    replid, off = fr.replid, fr.catch_up(master)
    fr.close()
    run_commands(master, [("SET", "b", "2"), ("SELECT", 5), ("SET", "c", "3")])
    before = sync_stats(master)

    fr2 = FakeReplica(master)
    fr2.handshake(capa=("eof", "psync2"))
    assert fr2.psync(replid, off + 1) == ["CONTINUE", replid]
    got = fr2.read_commands(until=lambda cmds: [b"SET", b"c", b"3"] in cmds)
    assert got == [[b"SET", b"b", b"2"], [b"SELECT", b"5"], [b"SET", b"c", b"3"]]
    assert fr2.catch_up(master) == int(info_fields(master)["master_repl_offset"])
    after = sync_stats(master)
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1
    assert after["sync_full"] == before["sync_full"]
    fr2.close()

    # a replica without the psync2 capability gets a bare +CONTINUE
    fr3 = FakeReplica(master)
    fr3.handshake(capa=("eof",))
    assert fr3.psync(replid, off + 1) == ["CONTINUE"]
    assert fr3.read_commands(3)[0] == [b"SET", b"b", b"2"]
    fr3.close()

    # unknown replication ID, or an offset the backlog does not hold: full resync
    m_off = int(info_fields(master)["master_repl_offset"])
    for args in [("f" * 40, off + 1), (replid, m_off + 1000)]:
        frx = FakeReplica(master)
        frx.handshake()
        words = frx.psync(*args)
        assert words[0] == "FULLRESYNC" and words[1] == replid, (args, words)
        frx.close()
    assert sync_stats(master)["sync_partial_err"] == after["sync_partial_err"] + 2


def test_wire_propagated_command_forms(ember_factory):
    """What the stream carries for commands whose effect must not depend on when a replica
    applies them: relative TTLs become absolute (PXAT / PEXPIREAT), INCRBYFLOAT becomes SET ...
    KEEPTTL, expired keys become DEL, no-op writes are not sent, SELECT precedes a db change."""
    master = start(ember_factory, diskless_sync="no")
    require_commands(master, "PSYNC", "REPLCONF")
    fr = FakeReplica(master)
    fr.handshake()
    fr.psync()
    fr.read_rdb()

    t_before = int(time.time() * 1000)
    run_commands(master, [
        ("SET", "a", "1", "EX", "100"),
        ("SET", "b", "1", "PX", "100000"),
        ("SETEX", "c", "100", "v"),
        ("PSETEX", "d", "100000", "v"),
        ("EXPIRE", "a", "200"),
        ("PEXPIRE", "a", "300000"),
        ("EXPIREAT", "a", "4102444800"),
        ("SET", "e", "1.5"),
        ("INCRBYFLOAT", "e", "1"),
        ("GETEX", "b", "EX", "50"),
        ("GETEX", "b", "PERSIST"),
        ("GETDEL", "c"),
        ("SET", "g", "v"),
        ("EXPIRE", "g", "-1"),
        ("DEL", "nonexistent"),
        ("SET", "d", "other", "NX"),
        ("SELECT", 3), ("SET", "q", "1"),
    ])
    t_after = int(time.time() * 1000)
    got = fr.read_commands(until=lambda cmds: [b"SET", b"q", b"1"] in cmds)

    def at(ms_rel):  # an absolute unix time in ms, as the master computed it
        return lambda v: t_before + ms_rel <= int(v) <= t_after + ms_rel
    want = [
        [b"SELECT", b"0"],
        [b"SET", b"a", b"1", b"PXAT", at(100_000)],
        [b"SET", b"b", b"1", b"PXAT", at(100_000)],
        [b"SET", b"c", b"v", b"PXAT", at(100_000)],
        [b"SET", b"d", b"v", b"PXAT", at(100_000)],
        [b"PEXPIREAT", b"a", at(200_000)],
        [b"PEXPIREAT", b"a", at(300_000)],
        [b"PEXPIREAT", b"a", b"4102444800000"],
        [b"SET", b"e", b"1.5"],
        [b"SET", b"e", b"2.5", b"KEEPTTL"],
        [b"PEXPIREAT", b"b", at(50_000)],
        [b"PERSIST", b"b"],
        [b"DEL", b"c"],
        [b"SET", b"g", b"v"],
        [b"DEL", b"g"],
        [b"SELECT", b"3"], [b"SET", b"q", b"1"],
    ]
    assert len(got) == len(want), got

    def match(g, w):
        return len(g) == len(w) and all(
            (x(y) if callable(x) else x == y.upper() if i == 0 else x == y)
            for i, (x, y) in enumerate(zip(w, g)))
    for g, w in zip(got, want):
        assert match(g, w), (g, w, got)

    # a key that expires is deleted with an explicit DEL in the stream
    assert call(master, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == S("OK")
    assert call(master, "SET", "f", "v", "PX", "1") == S("OK")
    time.sleep(0.01)  # let the millisecond TTL pass
    assert call(master, "GET", "f") == NULLBULK
    got = fr.read_commands(until=lambda cmds: any(c[:1] == [b"DEL"] for c in cmds))
    assert len(got) == 3 and got[0] == [b"SELECT", b"0"] and got[1][:4] == [b"SET", b"f", b"v", b"PXAT"], got
    assert got[2] == [b"DEL", b"f"], got


def test_wire_transaction_propagated_as_transaction(ember_factory):
    master = start(ember_factory, diskless_sync="no")
    require_commands(master, "PSYNC", "REPLCONF")
    master.skip_unless_commands("MULTI", "EXEC")
    fr = FakeReplica(master)
    fr.handshake()
    fr.psync()
    fr.read_rdb()
    run_commands(master, [("MULTI",), ("SET", "m1", "1"), ("INCR", "m2"), ("DEL", "nope"), ("EXEC",),
                          ("SET", "after", "1")])
    got = fr.read_commands(until=lambda cmds: [b"SET", b"after", b"1"] in cmds)
    assert got == [[b"SELECT", b"0"], [b"MULTI"], [b"SET", b"m1", b"1"], [b"INCR", b"m2"], [b"EXEC"],
                   [b"SET", b"after", b"1"]], got

"""Replication in mixed topologies: the server under test ("ember", $EMBER_SERVER) and real
Redis 7.0 ("redis") as master, replica, sub-replica and promoted master of each other, over both
full-sync transports, with the live stream, partial resyncs (link drop, replica restart, PSYNC2
after a promotion), expiry, WAIT and masterauth.

Test ids read master>replica(>sub-replica), e.g. "ember>redis" = a Redis replica following a
server-under-test master. Needs a real redis-server (skipped otherwise). Run against Redis itself
to check the tests (then every node is Redis):
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/interop/test_replication_interop.py
"""

from __future__ import annotations

import time

import pytest

from harness.replication import (ALREADY_CONNECTED, READONLY, REPLID_RE, call, check_values,
                                 expected_string_values, info_fields, make_replica,
                                 mixed_write_load, repl_args, require_commands, restart_as_replica,
                                 role, run_commands, slave_lines, string_ops, sync_stats,
                                 wait_in_sync, wait_link_down, wait_link_up, wait_online)
from harness.resp import NULLBULK, B, E, I, S
from harness.util import wait_for

pytestmark = pytest.mark.needs_ref


@pytest.fixture
def node(ember_factory, ref_factory):
    """node("ember"|"redis", *extra_args, diskless_sync=..., diskless_load=...) -> started server."""
    def make(kind, *extra, diskless_sync=None, diskless_load=None):
        factory = {"ember": ember_factory, "redis": ref_factory}[kind]
        return factory(args=repl_args(diskless_sync, diskless_load, extra))
    return make


def chain_id(kinds) -> str:
    return ">".join(kinds)


PAIRS = [("ember", "redis"), ("redis", "ember")]


# --------------------------------------------------------------------------- master <-> replica

@pytest.mark.parametrize("load", ["disabled", "swapdb"])
@pytest.mark.parametrize("sync", ["no", "yes"], ids=["disk", "diskless"])
@pytest.mark.parametrize("kinds", PAIRS, ids=chain_id)
def test_master_replica(node, kinds, sync, load):
    master = node(kinds[0], diskless_sync=sync)
    replica = node(kinds[1], diskless_load=load)
    run_commands(master, string_ops("pre"))
    run_commands(replica, [("SET", "stale", "1"), ("SELECT", 4), ("SET", "stale4", "1")])

    make_replica(replica, master)
    wait_in_sync(master, replica)
    check_values(replica, expected_string_values("pre"))
    assert call(replica, "EXISTS", "stale") == I(0)
    assert 900_000 < call(replica, "PTTL", "pre:ttl").value <= 1_000_000

    # the live stream
    run_commands(master, string_ops("live"))
    run_commands(master, mixed_write_load(500, seed=21))
    m_off = wait_in_sync(master, replica)
    check_values(replica, expected_string_values("live"))
    assert info_fields(replica)["master_replid"] == info_fields(master)["master_replid"]

    assert call(replica, "REPLICAOF", "127.0.0.1", master.port) == S(ALREADY_CONNECTED)
    assert call(replica, "SET", "x", "1") == E(READONLY)
    assert sync_stats(master)["sync_full"] == 1

    i = wait_online(master, 1, acked=True)
    s = slave_lines(i)[0]
    assert (s["ip"], s["port"], s["state"]) == ("127.0.0.1", str(replica.port), "online"), s
    rm = role(master)
    assert rm[0] == b"master" and rm[1] >= m_off, rm
    assert rm[2] == [[b"127.0.0.1", str(replica.port).encode(), rm[2][0][2]]], rm
    rr = role(replica)
    assert rr[:4] == [b"slave", b"127.0.0.1", master.port, b"connected"] and rr[4] >= m_off, rr


@pytest.mark.parametrize("kinds", [("ember", "redis", "redis", "ember"),
                                   ("ember", "ember", "redis", "redis"),
                                   ("redis", "ember", "ember", "redis")], ids=chain_id)
def test_one_master_three_replicas(node, kinds):
    master = node(kinds[0])
    replicas = [node(k) for k in kinds[1:]]
    run_commands(master, string_ops("pre"))
    make_replica(replicas[0], master)
    make_replica(replicas[1], master, command="SLAVEOF")
    wait_link_up(replicas[0])
    wait_link_up(replicas[1])
    load = mixed_write_load(2000, seed=22)
    run_commands(master, load[:1000])
    make_replica(replicas[2], master)  # full sync while the load goes on
    run_commands(master, load[1000:])
    wait_in_sync(master, *replicas, timeout=15)

    i = wait_online(master, 3, acked=True)
    lines = slave_lines(i)
    assert sorted(int(s["port"]) for s in lines) == sorted(r.port for r in replicas)
    assert all(s["ip"] == "127.0.0.1" and s["state"] == "online" for s in lines), lines
    rm = role(master)
    assert sorted(int(e[1]) for e in rm[2]) == sorted(r.port for r in replicas), rm
    for r in replicas:
        check_values(r, expected_string_values("pre"))
        assert role(r)[:4] == [b"slave", b"127.0.0.1", master.port, b"connected"]


@pytest.mark.parametrize("kinds", [("redis", "ember", "redis"), ("ember", "redis", "ember"),
                                   ("ember", "ember", "redis"), ("redis", "redis", "ember")],
                         ids=chain_id)
def test_chained(node, kinds):
    a, b, c = (node(k) for k in kinds)
    run_commands(a, string_ops("a"))
    make_replica(b, a)
    wait_link_up(b)
    make_replica(c, b)
    run_commands(a, mixed_write_load(500, seed=23))
    m_off = wait_in_sync(a, b, c)
    ia, ib, ic = info_fields(a), info_fields(b), info_fields(c)
    assert ic["master_replid"] == ib["master_replid"] == ia["master_replid"]
    assert int(ic["slave_repl_offset"]) == int(ib["slave_repl_offset"]) == m_off
    assert ib["connected_slaves"] == "1" and int(slave_lines(ib)[0]["port"]) == c.port
    check_values(c, expected_string_values("a"))
    # more writes flow down the chain
    assert call(a, "SET", "late", "1") == S("OK")
    wait_in_sync(a, b, c)
    assert call(c, "GET", "late") == B("1")


# --------------------------------------------------------------------------- partial resyncs

@pytest.mark.parametrize("kinds", [("ember", "redis", "ember"), ("redis", "ember", "redis"),
                                   ("ember", "ember", "redis"), ("redis", "redis", "ember")],
                         ids=chain_id)
def test_promotion_partial_resync(node, kinds):
    """A -> B, A -> C; A dies; REPLICAOF NO ONE on B; C follows B with a partial resync."""
    a, b, c = (node(k) for k in kinds)
    run_commands(a, string_ops("a"))
    make_replica(b, a)
    make_replica(c, a)
    run_commands(a, mixed_write_load(300, seed=24))
    old_off = wait_in_sync(a, b, c)
    old_id = info_fields(a)["master_replid"]
    a.kill()
    b_off = int(wait_link_down(b)["master_repl_offset"])
    assert b_off >= old_off  # (a PING from A may have arrived after the sync)
    wait_link_down(c)
    before = sync_stats(b)

    assert call(b, "REPLICAOF", "NO", "ONE") == S("OK")
    ib = info_fields(b)
    assert ib["role"] == "master" and ib["master_replid2"] == old_id
    assert REPLID_RE.match(ib["master_replid"]) and ib["master_replid"] != old_id
    assert int(ib["second_repl_offset"]) == b_off + 1
    assert call(b, "SET", "promoted", "yes") == S("OK")

    make_replica(c, b)
    wait_in_sync(b, c)
    after = sync_stats(b)
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1, (before, after)
    assert after["sync_full"] == before["sync_full"], (before, after)
    assert info_fields(c)["master_replid"] == ib["master_replid"]
    assert call(c, "GET", "promoted") == B("yes")
    check_values(c, expected_string_values("a"))


@pytest.mark.parametrize("kinds", PAIRS, ids=chain_id)
def test_partial_resync_after_link_drop(node, kinds):
    master, replica = node(kinds[0]), node(kinds[1])
    run_commands(master, string_ops("a"))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    before = sync_stats(master)
    assert call(replica, "CLIENT", "KILL", "TYPE", "master") == I(1)
    run_commands(master, mixed_write_load(300, seed=25))
    wait_in_sync(master, replica)
    assert call(master, "CLIENT", "KILL", "TYPE", "replica") == I(1)
    run_commands(master, mixed_write_load(300, seed=26))
    wait_in_sync(master, replica)
    after = sync_stats(master)
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 2, (before, after)
    assert after["sync_full"] == before["sync_full"], (before, after)


@pytest.mark.parametrize("kinds", PAIRS, ids=chain_id)
def test_replica_restart_partial_resync(node, kinds):
    master, replica = node(kinds[0]), node(kinds[1])
    run_commands(master, string_ops("a"))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(replica, "SAVE") == S("OK")
    replica.stop()
    before = sync_stats(master)
    run_commands(master, mixed_write_load(200, seed=27))
    restart_as_replica(replica, master)
    wait_in_sync(master, replica)
    after = sync_stats(master)
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1, (before, after)
    assert after["sync_full"] == before["sync_full"], (before, after)
    check_values(replica, expected_string_values("a"))


# --------------------------------------------------------------------------- expiry, WAIT, auth

@pytest.mark.parametrize("kinds", PAIRS, ids=chain_id)
def test_expiry(node, kinds):
    master, replica = node(kinds[0]), node(kinds[1])
    make_replica(replica, master)
    wait_link_up(replica)
    assert call(master, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == S("OK")
    assert call(master, "SET", "perm", "1") == S("OK")
    t0 = time.monotonic()
    assert call(master, "SET", "k", "v", "PX", "300") == S("OK")
    assert call(master, "SET", "later", "v", "EX", "1000") == S("OK")
    wait_in_sync(master, replica)
    assert 990_000 < call(replica, "PTTL", "later").value <= 1_000_000
    time.sleep(max(0.0, t0 + 0.6 - time.monotonic()))  # the TTL passes (what is being tested)
    assert call(replica, "GET", "k") == NULLBULK
    assert call(replica, "EXISTS", "k") == I(0)
    assert call(replica, "DBSIZE") == I(3)  # hidden, not deleted: only the master's DEL deletes
    assert call(master, "GET", "k") == NULLBULK
    wait_in_sync(master, replica)
    assert call(replica, "DBSIZE") == I(2)
    assert call(master, "DEBUG", "SET-ACTIVE-EXPIRE", "1") == S("OK")
    assert call(master, "PEXPIRE", "later", "200") == I(1)
    wait_for(lambda: call(replica, "DBSIZE") == I(1), timeout=10,
             message="the master's active expiry reached the replica")
    wait_in_sync(master, replica)


# Time stands still in a script: a key given a 1 ms TTL stays alive to its end, where COPY ...
# REPLACE overwrites it. The replica applies the block after the TTL passed on its own clock; the
# stream must still see the key (only the master's DEL removes keys), not add a second one.
COPY_OVER_EXPIRING = """
redis.call('SET', 'src', 'new')
redis.call('SET', 'dst', 'old', 'PX', 1)
local t = redis.call('TIME')
repeat local n = redis.call('TIME') until (n[1] - t[1]) * 1000000 + n[2] - t[2] > 20000
return redis.call('COPY', 'src', 'dst', 'REPLACE')
"""


@pytest.mark.parametrize("kinds", [("ember", "ember"), *PAIRS], ids=chain_id)
def test_stream_overwrites_keys_expired_on_the_replica_clock(node, kinds):
    master, replica = node(kinds[0]), node(kinds[1])
    make_replica(replica, master)
    wait_link_up(replica)
    assert call(master, "EVAL", COPY_OVER_EXPIRING, "0") == I(1)
    wait_in_sync(master, replica)  # DEBUG DIGEST: the same keys, values and expiring keys
    assert call(replica, "DBSIZE") == I(2)
    assert call(replica, "GET", "dst") == B("new")
    assert call(replica, "PTTL", "dst") == I(-1)


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_writable_replica_writes_over_expired_keys(node, kind):
    """replica-read-only no: the replica's own write commands delete the logically expired keys
    they meet (Redis 7.0's lookupKeyWrite on a writable replica), in any database."""
    master, replica = node("ember"), node(kind, "--replica-read-only", "no")
    assert call(master, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == S("OK")
    make_replica(replica, master)
    wait_link_up(replica)
    expiring = {"1": ["b", "copied"], "0": ["copied", "renamed", "restored", "kept"]}
    for db, keys in expiring.items():
        run_commands(master, [("SELECT", db)] + [("SET", k, "old", "PX", "100") for k in keys])
    wait_in_sync(master, replica)
    time.sleep(0.2)  # expired on both clocks; the master deletes nothing until touched
    c = replica.raw()
    for key in ("a", "b", "c"):
        assert c.call("SET", key, key) == S("OK")
    payload = c.call("DUMP", "a").value
    assert c.call("COPY", "a", "copied") == I(1)
    assert c.call("MOVE", "b", "1") == I(1)
    assert c.call("RENAME", "c", "renamed") == S("OK")
    assert c.call("RESTORE", "restored", "0", payload) == S("OK")
    assert c.call("COPY", "a", "copied", "DB", "1") == I(1)
    assert sorted(k.value for k in c.call("KEYS", "*").value) == [b"a", b"copied", b"renamed",
                                                                  b"restored"]
    assert c.call("DBSIZE") == I(5)  # "kept" is hidden, not deleted
    assert c.call("SELECT", "1") == S("OK")
    assert sorted(k.value for k in c.call("KEYS", "*").value) == [b"b", b"copied"]
    assert c.call("DBSIZE") == I(2)


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_writable_replica_expires_the_ttls_its_clients_set(node, kind):
    """Keys a writable replica's clients gave a TTL are deleted by the replica once expired (its
    master never heard of them); keys with a TTL from the master wait for the master's DEL."""
    master, replica = node("ember"), node(kind, "--replica-read-only", "no")
    assert call(master, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == S("OK")
    make_replica(replica, master)
    wait_link_up(replica)
    assert call(master, "SET", "from-master", "v", "PX", "1000") == S("OK")
    assert call(master, "SET", "counter", "1", "PX", "1000") == S("OK")
    wait_in_sync(master, replica)
    c = replica.raw()
    assert c.call("INCR", "counter") == I(2)  # keeps the master's TTL: still the master's key
    assert c.call("SET", "own", "v", "PX", "1000") == S("OK")
    assert c.call("SET", "moved", "v") == S("OK")
    assert c.call("EVAL", "return redis.call('PEXPIRE', KEYS[1], 1000)", "1", "moved") == I(1)
    assert c.call("MOVE", "moved", "3") == I(1)
    assert c.call("SET", "kept", "v", "EX", "1000") == S("OK")
    assert c.call("SET", "persisted", "v", "PX", "1000") == S("OK")
    assert c.call("SET", "persisted", "v2") == S("OK")  # no TTL any more
    assert c.call("DBSIZE") == I(5)
    wait_for(lambda: c.call("DBSIZE") == I(4), timeout=8,
             message="the replica deleted the expired keys its clients wrote")
    # "from-master" and "counter" are hidden, not deleted
    assert sorted(k.value for k in c.call("KEYS", "*").value) == [b"kept", b"persisted"]
    assert c.call("SELECT", "3") == S("OK")
    wait_for(lambda: c.call("DBSIZE") == I(0), timeout=5, message="the key moved to db 3")
    expired = info_fields(replica, "stats")["expired_keys"]
    assert expired == "2", expired


@pytest.mark.parametrize("kinds", PAIRS, ids=chain_id)
def test_wait(node, kinds):
    master, replica = node(kinds[0]), node(kinds[1])
    make_replica(replica, master)
    wait_link_up(replica)
    require_commands(master, "WAIT")
    assert call(master, "SET", "k", "v") == S("OK")
    t0 = time.monotonic()
    assert call(master, "WAIT", "1", "5000") == I(1)  # the replica answers REPLCONF GETACK
    assert time.monotonic() - t0 < 4.0
    t0 = time.monotonic()
    assert call(master, "WAIT", "2", "300") == I(1)
    assert time.monotonic() - t0 >= 0.25


@pytest.mark.parametrize("kinds", PAIRS, ids=chain_id)
def test_masterauth(node, kinds):
    master = node(kinds[0], "--requirepass", "s3cret")
    run_commands(master, [("SET", "k", "v")])
    replica = node(kinds[1], "--masterauth", "s3cret")
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(replica, "GET", "k") == B("v")

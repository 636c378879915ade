"""Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP): the
waiting side. Every test runs against Ember and against real Redis 7.0 (same expectations), so
the behaviour checked here is Redis's: FIFO service, sub-second timeouts, 0 = forever, CLIENT
UNBLOCK, disconnect clean-up, readiness through RENAME/SWAPDB/BLMOVE chains, a wrong type keeps
clients waiting, and what reaches a replica is the served effect (LPOP, ZPOPMIN, LMOVE).
"""

from __future__ import annotations

import time

import pytest

from harness.replication import PAIRINGS, make_replica, poll, start_pairing, wait_in_sync
from harness.resp import A, B, E, I, Reply

NULL_ARRAY = Reply("nullarray", None)


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    server = ember_factory() if request.param == "ember" else ref_factory()
    server.skip_unless_commands("BLPOP", "BLMOVE", "BLMPOP")
    return server


def blocked_clients(srv) -> int:
    info = srv.raw().call("INFO", "clients").value
    text = info.decode() if isinstance(info, bytes) else info
    for line in text.splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    raise AssertionError(text)


def wait_blocked(srv, n: int) -> None:
    poll(lambda: (blocked_clients(srv) == n, None), 5, f"{n} blocked clients")


def block(srv, *command):
    """A new connection that sent `command` and is now blocked in it."""
    before = blocked_clients(srv)
    c = srv.raw()
    c.send_command(*command)
    wait_blocked(srv, before + 1)
    return c


def test_fifo_order(srv):
    waiters = [block(srv, "BLPOP", "k", "5") for _ in range(3)]
    assert srv.raw().call("RPUSH", "k", "a", "b", "c") == I(3)
    for c, value in zip(waiters, (b"a", b"b", b"c")):
        assert c.read_reply(timeout=5) == A(B("k"), B(value))
    assert blocked_clients(srv) == 0
    assert srv.raw().call("EXISTS", "k") == I(0)


def test_first_key_with_data_serves(srv):
    c = block(srv, "BRPOP", "a", "b", "c", "5")
    assert srv.raw().call("RPUSH", "b", "x", "y") == I(2)
    assert c.read_reply(timeout=5) == A(B("b"), B("y"))
    assert srv.raw().call("LRANGE", "b", "0", "-1") == A(B("x"))


def test_subsecond_timeout(srv):
    c = srv.raw()
    start = time.monotonic()
    c.send_command("BLPOP", "k", "0.2")
    assert c.read_reply(timeout=5).is_null
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 2.0, elapsed
    assert blocked_clients(srv) == 0


def test_timeout_reply_shapes(srv):
    srv.skip_unless_commands("BZPOPMIN", "BZMPOP")
    for command in (("BLPOP", "k", "0.05"), ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.05"),
                    ("BRPOPLPUSH", "k", "d", "0.05"), ("BLMPOP", "0.05", "1", "k", "LEFT"),
                    ("BZPOPMIN", "z", "0.05"), ("BZMPOP", "0.05", "1", "z", "MIN")):
        assert srv.raw().call(*command, timeout=5) == NULL_ARRAY, command
    c = srv.raw()
    assert c.call("HELLO", "3").kind == "map"
    assert c.call("BLPOP", "k", "0.05", timeout=5) == Reply("null", None)


def test_zero_blocks_until_served(srv):
    c = block(srv, "BLPOP", "k", "0")
    time.sleep(0.3)
    c.assert_no_data(0.05)
    assert srv.raw().call("LPUSH", "k", "v") == I(1)
    assert c.read_reply(timeout=5) == A(B("k"), B("v"))


def test_client_unblock(srv):
    srv.skip_unless_commands("BZPOPMIN")
    other = srv.raw()
    c = block(srv, "BLPOP", "k", "0")
    cid = int(c_id(srv, c))
    assert other.call("CLIENT", "UNBLOCK", str(cid), "TIMEOUT") == I(1)
    assert c.read_reply(timeout=5) == NULL_ARRAY
    c.send_command("BZPOPMIN", "z", "0")
    wait_blocked(srv, 1)
    assert other.call("CLIENT", "UNBLOCK", str(cid), "ERROR") == I(1)
    assert c.read_reply(timeout=5) == E("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    assert other.call("CLIENT", "UNBLOCK", str(cid)) == I(0)
    assert c.call("PING") == Reply("simple", "PONG")


def c_id(srv, c) -> int:
    # The connection's id, read before it blocks would need a round trip; find it by its flag.
    lines = srv.raw().call("CLIENT", "LIST").value.decode().splitlines()
    ids = [int(l.split()[0][3:]) for l in lines if " flags=b " in l]
    assert len(ids) == 1, lines
    return ids[0]


def test_disconnect_while_blocked(srv):
    c = block(srv, "BLPOP", "k", "0")
    c.close()
    wait_blocked(srv, 0)
    r = srv.raw()
    assert r.call("RPUSH", "k", "v") == I(1)
    assert r.call("LRANGE", "k", "0", "-1") == A(B("v"))


def test_pipeline_waits_behind_blocked_command(srv):
    c = srv.raw()
    c.send_pipeline([("BLPOP", "k", "0"), ("PING",)])
    wait_blocked(srv, 1)
    c.assert_no_data(0.1)
    srv.raw().call("RPUSH", "k", "v")
    assert c.read_replies(2, timeout=5) == [A(B("k"), B("v")), Reply("simple", "PONG")]


def test_rename_and_swapdb_make_keys_ready(srv):
    c = block(srv, "BLPOP", "k", "0")
    r = srv.raw()
    r.call("RPUSH", "tmp", "renamed")
    assert r.call("RENAME", "tmp", "k") == Reply("simple", "OK")
    assert c.read_reply(timeout=5) == A(B("k"), B("renamed"))

    c = block(srv, "BLPOP", "k", "0")
    r.call("SELECT", "1")
    r.call("RPUSH", "k", "swapped")
    assert r.call("SWAPDB", "0", "1") == Reply("simple", "OK")
    assert c.read_reply(timeout=5) == A(B("k"), B("swapped"))


def test_wrong_type_keeps_waiting(srv):
    c = block(srv, "BLPOP", "k", "0")
    r = srv.raw()
    r.call("SET", "k", "string")
    c.assert_no_data(0.2)
    assert blocked_clients(srv) == 1
    r.call("DEL", "k")
    r.call("RPUSH", "k", "v")
    assert c.read_reply(timeout=5) == A(B("k"), B("v"))


def test_blmove_chain(srv):
    mover = block(srv, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    popper = block(srv, "BLPOP", "dst", "0")
    srv.raw().call("RPUSH", "src", "x")
    assert mover.read_reply(timeout=5) == B("x")
    assert popper.read_reply(timeout=5) == A(B("dst"), B("x"))
    assert srv.raw().call("EXISTS", "src", "dst") == I(0)


def test_blmpop_and_sorted_sets(srv):
    srv.skip_unless_commands("BZPOPMAX", "BZMPOP")
    c = block(srv, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
    srv.raw().call("RPUSH", "b", "1", "2", "3")
    assert c.read_reply(timeout=5) == A(B("b"), A(B("3"), B("2")))

    c = block(srv, "BZPOPMAX", "z1", "z2", "0")
    srv.raw().call("ZADD", "z2", "1", "m1", "2", "m2")
    assert c.read_reply(timeout=5) == A(B("z2"), B("m2"), B("2"))

    c = block(srv, "BZMPOP", "0", "1", "z3", "MIN", "COUNT", "5")
    srv.raw().call("ZADD", "z3", "1", "a", "2", "b")
    assert c.read_reply(timeout=5) == A(B("z3"), A(A(B("a"), B("1")), A(B("b"), B("2"))))


def test_counted_once_in_commandstats(srv):
    r = srv.raw()
    r.call("CONFIG", "RESETSTAT")
    c = block(srv, "BLPOP", "k", "0")
    r.call("RPUSH", "k", "v")
    assert c.read_reply(timeout=5) == A(B("k"), B("v"))
    stats = r.call("INFO", "commandstats").value.decode()
    assert "cmdstat_blpop:calls=1," in stats, stats


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_replica_gets_the_served_effects(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory,
                                    needs=("BLPOP", "BZPOPMIN", "BLMOVE"))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    a = block(master, "BLPOP", "l", "0")
    b = block(master, "BLMOVE", "l2", "l3", "LEFT", "RIGHT", "0")
    z = block(master, "BZPOPMIN", "z", "0")
    m = master.raw()
    m.call("RPUSH", "l", "1", "2")
    m.call("RPUSH", "l2", "x", "y")
    m.call("ZADD", "z", "1", "a", "2", "b")
    assert a.read_reply(timeout=5) == A(B("l"), B("1"))
    assert b.read_reply(timeout=5) == B("x")
    assert z.read_reply(timeout=5) == A(B("z"), B("a"), B("1"))
    wait_in_sync(master, replica)
    r = replica.raw()
    assert r.call("LRANGE", "l", "0", "-1") == A(B("2"))
    assert r.call("LRANGE", "l3", "0", "-1") == A(B("x"))
    stats = r.call("INFO", "commandstats").value.decode()
    assert "cmdstat_blpop" not in stats and "cmdstat_bzpopmin" not in stats, stats

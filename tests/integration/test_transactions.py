"""Transactions: MULTI/EXEC/DISCARD/WATCH across clients, the changes that touch a watched key
(another client's write, expiry, eviction, a write from the master on a replica), blocking
commands inside MULTI, clients served when EXEC pushes, and what replicas receive (one
MULTI ... EXEC block). Single-connection behaviour is compared with Redis line by line in
tests/compat/corpus/transactions.txt; here each test runs against Ember and real Redis 7.0.
"""

from __future__ import annotations

import time

import pytest

from harness.replication import (PAIRINGS, FakeReplica, REPL_ARGS, call, make_replica, poll,
                                  run_commands, start_pairing, wait_in_sync)
from harness.resp import A, B, E, I, Reply

OK = Reply("simple", "OK")
QUEUED = Reply("simple", "QUEUED")
NULL_ARRAY = Reply("nullarray", None)


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    server = (ember_factory if request.param == "ember" else ref_factory)(args=REPL_ARGS)
    server.skip_unless_commands("MULTI", "EXEC", "WATCH")
    return server


def exec_after_watch(srv, key, change):
    """WATCH key on one client, run change(other_client), then MULTI/PING/EXEC: the EXEC reply."""
    c = srv.raw()
    assert c.call("WATCH", key) == OK
    change(srv.raw())
    assert c.call("MULTI") == OK
    assert c.call("PING") == QUEUED
    return c.call("EXEC")


def test_other_clients_write_aborts_exec(srv):
    srv.raw().call("SET", "k", "1")
    assert exec_after_watch(srv, "k", lambda o: o.call("SET", "k", "2")) == NULL_ARRAY
    assert exec_after_watch(srv, "k", lambda o: o.call("GET", "k")) == A(Reply("simple", "PONG"))


@pytest.mark.parametrize("change,reply", [
    (["DEL", "present", "k"], I(1)),                           # k missing before and after
    (["UNLINK", "present", "k"], I(1)),
    (["LMPOP", "2", "list", "k", "LEFT"], A(B("list"), A(B("a")))),  # the first non-empty list
    (["SINTERSTORE", "k", "nosuchset"], I(0)),                 # empty result, missing destination
], ids=["del", "unlink", "lmpop", "sinterstore"])
def test_write_that_leaves_watched_key_alone_keeps_exec(srv, change, reply):
    """Only the keys a command changed are signalled, as Redis's signalModifiedKey calls."""
    o = srv.raw()
    o.call("SET", "present", "1")
    o.call("RPUSH", "list", "a", "b")
    if change[0] == "LMPOP":
        o.call("RPUSH", "k", "x")
        srv.skip_unless_commands("LMPOP")

    def change_it(c):
        assert c.call(*change) == reply
    assert exec_after_watch(srv, "k", change_it) == A(Reply("simple", "PONG"))


def test_write_that_changes_watched_key_aborts_exec(srv):
    o = srv.raw()
    o.call("SET", "k", "1")
    assert exec_after_watch(srv, "k", lambda c: c.call("DEL", "missing", "k")) == NULL_ARRAY
    o.call("RPUSH", "k", "x")
    assert exec_after_watch(srv, "k", lambda c: c.call("LMPOP", "2", "nolist", "k", "LEFT")) == \
        NULL_ARRAY


def test_watch_survives_only_until_exec(srv):
    c = srv.raw()
    c.call("WATCH", "k")
    c.call("MULTI")
    c.call("SET", "k", "mine")
    assert c.call("EXEC") == A(OK)
    # After EXEC nothing is watched any more: another write does not affect the next EXEC.
    srv.raw().call("SET", "k", "other")
    c.call("MULTI")
    c.call("GET", "k")
    assert c.call("EXEC") == A(B("other"))


def test_expiry_touches_watched_key(srv):
    o = srv.raw()
    o.call("SET", "e", "1", "PX", "100")
    c = srv.raw()
    assert c.call("WATCH", "e") == OK
    time.sleep(0.25)  # logically expired (and maybe already deleted by the active cycle)
    c.call("MULTI")
    c.call("PING")
    assert c.call("EXEC") == NULL_ARRAY


def test_key_already_expired_when_watched_does_not_abort(srv):
    o = srv.raw()
    assert o.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == OK
    o.call("SET", "e", "1", "PX", "1")
    time.sleep(0.05)
    c = srv.raw()
    c.call("WATCH", "e")
    assert o.call("EXISTS", "e") == I(0)  # the lazy expiry deletes it: no change for WATCH
    c.call("MULTI")
    c.call("PING")
    assert c.call("EXEC") == A(Reply("simple", "PONG"))
    o.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_eviction_touches_watched_key(srv):
    o = srv.raw()
    o.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    for i in range(200):
        o.call("SET", f"key:{i}", "x" * 1000)
    c = srv.raw()
    for i in range(200):
        c.call("WATCH", f"key:{i}")
    used = int(dict(line.split(":", 1) for line in o.call("INFO", "memory").value.decode().split("\r\n")
                    if ":" in line)["used_memory"])
    o.call("CONFIG", "SET", "maxmemory", str(used - 50_000))
    o.call("SET", "trigger", "1")  # evicts before running
    o.call("CONFIG", "SET", "maxmemory", "0")
    c.call("MULTI")
    c.call("PING")
    assert c.call("EXEC") == NULL_ARRAY


def test_flushall_and_swapdb_touch(srv):
    srv.raw().call("SET", "f", "1")
    assert exec_after_watch(srv, "f", lambda o: o.call("FLUSHALL")) == NULL_ARRAY
    # SWAPDB brings a key in: the watched key changes although db 0 never had it.
    def fill_db1_and_swap(o):
        o.call("SELECT", "1")
        o.call("SET", "s", "from-1")
        o.call("SWAPDB", "0", "1")
    assert exec_after_watch(srv, "s", fill_db1_and_swap) == NULL_ARRAY


def test_queued_commands_do_not_run_before_exec(srv):
    c = srv.raw()
    c.call("MULTI")
    assert c.call("INCR", "n") == QUEUED
    assert srv.raw().call("GET", "n") == Reply("nullbulk", None)
    assert c.call("EXEC") == A(I(1))


def test_disconnect_in_multi_discards(srv):
    c = srv.raw()
    c.call("MULTI")
    c.call("SET", "gone", "1")
    c.close()
    time.sleep(0.05)
    assert srv.raw().call("EXISTS", "gone") == I(0)


def test_blocking_pop_inside_multi_does_not_block(srv):
    c = srv.raw()
    c.call("MULTI")
    assert c.call("BLPOP", "nolist", "0") == QUEUED
    assert c.call("BZPOPMIN", "nozset", "0") == QUEUED
    assert c.call("EXEC", timeout=2) == A(NULL_ARRAY, NULL_ARRAY)


def test_exec_push_serves_blocked_client(srv):
    waiter = srv.raw()
    waiter.send_command("BLPOP", "q", "5")
    poll(lambda: (b"blocked_clients:1" in srv.raw().call("INFO", "clients").value, None), 5,
         "one blocked client")
    c = srv.raw()
    c.call("MULTI")
    c.call("RPUSH", "q", "a", "b")
    c.call("LPUSH", "q", "c")
    # The waiter is served after the whole transaction: it sees its final state.
    assert c.call("EXEC") == A(I(2), I(3))
    assert waiter.read_reply(timeout=5) == A(B("q"), B("c"))


def test_client_list_shows_transaction(srv):
    c = srv.raw()
    c.call("MULTI")
    c.call("SET", "a", "12345")
    c.call("GET", "a")
    line = srv.raw().call("CLIENT", "LIST").value.decode()
    mine = [x for x in line.splitlines() if " multi=2 " in x]
    assert len(mine) == 1 and "flags=x" in mine[0], line
    c.call("DISCARD")
    # A watched key touched by another client: "d" (CAS dirty), while watching and in MULTI.
    c.call("CLIENT", "SETNAME", "watcher")
    c.call("WATCH", "w")
    srv.raw().call("SET", "w", "1")
    c.call("MULTI")
    line = srv.raw().call("CLIENT", "LIST").value.decode()
    mine = [x for x in line.splitlines() if " name=watcher " in x]
    assert len(mine) == 1 and "flags=xd " in mine[0], line
    c.call("DISCARD")


def test_exec_counts_in_commandstats(srv):
    o = srv.raw()
    o.call("CONFIG", "RESETSTAT")
    c = srv.raw()
    c.call("MULTI")
    c.call("SET", "a", "1")
    c.call("LPUSH", "a", "x")  # fails at run time: counted on LPUSH, not on EXEC
    c.call("EXEC")
    stats = o.call("INFO", "commandstats").value.decode()
    exec_line = next(x for x in stats.splitlines() if x.startswith("cmdstat_exec:"))
    lpush_line = next(x for x in stats.splitlines() if x.startswith("cmdstat_lpush:"))
    assert "calls=1," in exec_line and "failed_calls=0" in exec_line, exec_line
    assert "failed_calls=1" in lpush_line, lpush_line


def test_readonly_replica_refuses_exec_with_writes(ember_factory, ref_factory):
    for factory in (ember_factory, ref_factory):
        master, replica = factory(args=REPL_ARGS), factory(args=REPL_ARGS)
        replica.skip_unless_commands("MULTI")
        make_replica(replica, master)
        c = replica.raw()
        assert c.call("MULTI") == OK
        r = c.call("SET", "k", "v")
        assert r.kind == "error" and r.value.startswith("READONLY"), r
        assert c.call("EXEC").value.startswith("EXECABORT")


# --- replication ------------------------------------------------------------------------------


def test_stream_wraps_transaction_in_multi_exec(ember_factory):
    master = ember_factory(args=REPL_ARGS)
    master.skip_unless_commands("MULTI")
    fr = FakeReplica(master)
    fr.handshake()
    assert fr.psync()[0] == "FULLRESYNC"
    fr.read_rdb()
    c = master.raw()
    c.call("MULTI")
    c.call("SET", "a", "1")
    c.call("GET", "a")
    c.call("SELECT", "2")
    c.call("INCR", "b")
    c.call("EXEC")
    got = fr.read_commands(until=lambda cmds: [b"EXEC"] in cmds)
    start = got.index([b"MULTI"])
    assert got[start:] == [[b"MULTI"], [b"SET", b"a", b"1"], [b"SELECT", b"2"], [b"INCR", b"b"],
                           [b"EXEC"]], got
    # A transaction with a single write propagates that write alone (Redis 7.0).
    c.call("MULTI")
    c.call("GET", "a")
    c.call("SET", "only", "1")
    c.call("EXEC")
    got = fr.read_commands(until=lambda cmds: [b"SET", b"only", b"1"] in cmds)
    assert [b"MULTI"] not in got, got
    fr.close()


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_transactions_replicate(pairing, ember_factory, ref_factory):
    master, replica = start_pairing(pairing, ember_factory, ref_factory, needs=("MULTI", "EXEC"))
    make_replica(replica, master)
    c = master.raw()
    for i in range(50):
        c.call("MULTI")
        c.call("SET", f"k{i}", str(i))
        c.call("INCRBY", "total", str(i))
        c.call("RPUSH", "log", f"entry{i}")
        c.call("SELECT", str(i % 3))
        c.call("SADD", "set", str(i))
        c.call("SELECT", "0")
        assert len(c.call("EXEC").value) == 6
    wait_in_sync(master, replica)
    assert call(replica, "GET", "total") == B(str(sum(range(50))))


@pytest.mark.parametrize("pairing", ["ember->ember", "redis->ember"])
def test_master_write_touches_watch_on_replica(pairing, ember_factory, ref_factory):
    master, replica = start_pairing(pairing, ember_factory, ref_factory, needs=("WATCH",))
    make_replica(replica, master)
    call(master, "SET", "w", "1")
    wait_in_sync(master, replica)
    c = replica.raw()
    assert c.call("WATCH", "w") == OK
    call(master, "SET", "w", "2")
    wait_in_sync(master, replica)
    c.call("MULTI")
    c.call("GET", "w")
    assert c.call("EXEC") == NULL_ARRAY


def test_replica_applies_master_transaction_atomically(ember_factory):
    """A reader on the replica never sees half of a transaction: it is applied at EXEC."""
    master, replica = ember_factory(args=REPL_ARGS), ember_factory(args=REPL_ARGS)
    replica.skip_unless_commands("MULTI")
    make_replica(replica, master)
    wait_in_sync(master, replica)
    c = master.raw()
    reader = replica.raw()
    for i in range(200):
        c.call("MULTI")
        c.call("SET", "x", str(i))
        c.call("SET", "y", str(i))
        c.call("EXEC")
        x, y = reader.call("MGET", "x", "y").value
        assert x == y, (i, x, y)
    wait_in_sync(master, replica)

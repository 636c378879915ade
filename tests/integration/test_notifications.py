"""Keyspace notifications (notify-keyspace-events): a subscriber on __key*@*__:* receives, for a
scripted series of commands, exactly the messages real Redis 7.0 publishes — same channels,
same events, same order — for KEA, for the class filters (Kl, Eg, ...), for `n` (new keys), for
`x` (expiry, lazy and active) and for `e` (eviction).

Each test runs the same script on the server under test and on a real redis-server and compares
what the two subscribers got. The tests need PSUBSCRIBE on the server under test; check the test
itself against Redis in both roles with
  EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_notifications.py
"""

from __future__ import annotations

import time

import pytest

from harness.replication import REPL_ARGS, make_replica, wait_link_up
from harness.resp import A, B, I, Reply

PATTERN = "__key*@*__:*"
# Published last by every script: once the subscriber has it, it has everything before it.
SENTINEL_CHANNEL = "__keyspace@0__:__sentinel__"


DEBUG = ["--enable-debug-command", "yes"]  # DEBUG SET-ACTIVE-EXPIRE


@pytest.fixture
def pair(ember_factory, ref_factory):
    ember = ember_factory(args=DEBUG)
    ember.skip_unless_commands("PSUBSCRIBE", "PUBLISH")
    return ember, ref_factory(args=DEBUG)


def subscribe(srv):
    sub = srv.raw(timeout=5)
    sub.send_command("PSUBSCRIBE", PATTERN)
    assert sub.read_reply(timeout=5) == A(B("psubscribe"), B(PATTERN), I(1))
    return sub


def as_text(r: Reply) -> str:
    v = r.value
    return v.decode() if isinstance(v, bytes) else str(v)


def collect(sub, timeout: float = 5.0) -> list[tuple[str, str]]:
    """(channel, message) pairs up to the sentinel, which is not included."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        r = sub.read_reply(timeout=max(0.01, deadline - time.monotonic()))
        assert r.kind == "array" and as_text(r.value[0]) == "pmessage", r
        channel, message = as_text(r.value[2]), as_text(r.value[3])
        if channel == SENTINEL_CHANNEL:
            return out
        out.append((channel, message))


def blocked_clients(c) -> int:
    text = as_text(c.call("INFO", "clients"))
    for line in text.splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    raise AssertionError(text)


def wait_blocked(c, n: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while blocked_clients(c) != n:
        assert time.monotonic() < deadline, f"never saw {n} blocked clients"
        time.sleep(0.01)


def run_script(srv, classes: str, script) -> list[tuple[str, str]]:
    """Sets notify-keyspace-events to `classes`, runs script(client, server) and returns what a
    pattern subscriber received."""
    c = srv.raw()
    assert c.call("CONFIG", "SET", "notify-keyspace-events", classes) == Reply("simple", "OK")
    sub = subscribe(srv)
    script(c, srv)
    c.call("PUBLISH", SENTINEL_CHANNEL, "end")
    return collect(sub)


def compare(pair, classes: str, script) -> list[tuple[str, str]]:
    ember, ref = pair
    expected = run_script(ref, classes, script)
    got = run_script(ember, classes, script)
    assert got == expected
    e, r = ember.raw(), ref.raw()
    assert (e.call("CONFIG", "GET", "notify-keyspace-events") ==
            r.call("CONFIG", "GET", "notify-keyspace-events"))
    return expected


# ------------------------------------------------------------------------------------ scripts

def every_family(c, srv):
    """At least one command of each family, with the edge cases that differ in events: nothing
    changed, a container emptied, an expiry in the past, renames, stores that delete."""
    calls = [
        # strings
        ("SET", "s", "v"), ("SET", "s", "w", "EX", "100"), ("SET", "s", "x", "NX"),
        ("SETNX", "s2", "v"), ("SETEX", "s3", "100", "v"), ("PSETEX", "s4", "100000", "v"),
        ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m1", "1", "m3", "3"),
        ("GETSET", "s", "y"), ("APPEND", "s", "z"), ("APPEND", "ap", "new"),
        ("SETRANGE", "s", "1", "Q"), ("SETRANGE", "sr", "3", "x"), ("SETRANGE", "sr2", "3", ""),
        ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "5"), ("DECRBY", "n", "2"),
        ("INCRBYFLOAT", "n", "1.5"), ("INCR", "s"),
        ("GETEX", "m1", "EX", "100"), ("GETEX", "m1", "PERSIST"), ("GETEX", "m1", "PERSIST"),
        ("GETEX", "m2", "PXAT", "1"), ("GETDEL", "m3"), ("GETDEL", "nokey"),
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "0"),
        ("BITFIELD", "bf", "SET", "u8", "0", "200"), ("BITFIELD", "bf", "GET", "u8", "0"),
        ("BITOP", "OR", "bo", "b", "bf"), ("BITOP", "AND", "bo", "nokey"),
        # generic
        ("DEL", "s2", "nokey", "s3"), ("UNLINK", "s4"), ("DEL", "nokey"),
        ("RENAME", "n", "n2"), ("SET", "t", "1"), ("RENAME", "n2", "t"),
        ("RENAMENX", "t", "bf"), ("RENAMENX", "t", "t2"),
        ("EXPIRE", "t2", "100"), ("PEXPIRE", "t2", "200000"), ("EXPIRE", "t2", "100", "NX"),
        ("PERSIST", "t2"), ("PERSIST", "t2"), ("EXPIREAT", "t2", "1"), ("EXPIRE", "nokey", "1"),
        ("SET", "e", "1"), ("EXPIRE", "e", "-5"),
        ("SET", "c", "1"), ("COPY", "c", "c2"), ("COPY", "c", "c2"), ("COPY", "c", "c2", "REPLACE"),
        ("COPY", "c", "c3", "DB", "2"), ("MOVE", "c", "3"), ("MOVE", "nokey", "3"),
        # lists
        ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "nolist", "a"),
        ("RPUSHX", "l", "d"), ("LPOP", "l"), ("RPOP", "l", "1"), ("LSET", "l", "0", "X"),
        ("LINSERT", "l", "BEFORE", "X", "Y"), ("LINSERT", "l", "BEFORE", "nope", "Y"),
        ("LREM", "l", "0", "Y"), ("LREM", "l", "0", "nope"), ("LTRIM", "l", "0", "-1"),
        ("RPUSH", "l", "e", "f"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "l", "l2"), ("LMOVE", "l2", "l2", "LEFT", "LEFT"),
        ("LMPOP", "2", "nolist", "l", "LEFT", "COUNT", "5"), ("BLPOP", "l2", "0.01"),
        ("BRPOP", "l2", "0.01"), ("RPUSH", "l3", "a"),
        ("BLMOVE", "l3", "l4", "LEFT", "LEFT", "0.01"), ("BRPOPLPUSH", "l4", "l5", "0.01"),
        ("BLMPOP", "0.01", "1", "l5", "RIGHT"),
        ("RPUSH", "l6", "a", "b"), ("LTRIM", "l6", "5", "10"),
        # hashes
        ("HSET", "h", "f", "1", "g", "2"), ("HSET", "h", "f", "1"), ("HMSET", "h", "k", "3"),
        ("HSETNX", "h", "f", "x"), ("HSETNX", "h", "n", "x"), ("HINCRBY", "h", "f", "2"),
        ("HINCRBYFLOAT", "h", "g", "0.5"), ("HDEL", "h", "nope"), ("HDEL", "h", "f", "g"),
        ("HDEL", "h", "k", "n"),
        # sets
        ("SADD", "st", "a", "b", "c"), ("SADD", "st", "a"), ("SREM", "st", "a", "nope"),
        ("SREM", "st", "nope"), ("SMOVE", "st", "st2", "b"), ("SMOVE", "st", "st2", "nope"),
        ("SADD", "st3", "x"), ("SMOVE", "st3", "st2", "x"),
        ("SADD", "sp", "1", "2", "3", "4"), ("SPOP", "sp"), ("SPOP", "sp", "2"), ("SPOP", "sp", "0"),
        ("SPOP", "sp", "9"), ("SADD", "sa", "1", "2"), ("SADD", "sb", "2", "3"),
        ("SINTERSTORE", "si", "sa", "sb"), ("SINTERSTORE", "si", "sa", "nokey"),
        ("SUNIONSTORE", "su", "sa", "sb"), ("SDIFFSTORE", "sd", "sa", "sb"),
        ("SDIFFSTORE", "su", "sa", "sa"), ("SREM", "sa", "1", "2"),
        # sorted sets
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"),
        ("ZADD", "z", "5", "a"), ("ZADD", "z", "INCR", "1", "a"), ("ZADD", "z", "XX", "1", "nope"),
        ("ZINCRBY", "z", "1", "b"), ("ZREM", "z", "nope"), ("ZREM", "z", "b"),
        ("ZADD", "zl", "0", "p", "0", "q"), ("ZREMRANGEBYLEX", "zl", "[p", "[p"),
        ("ZREMRANGEBYLEX", "zl", "[x", "[y"), ("ZREMRANGEBYLEX", "zl", "-", "+"),
        ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "1"), ("ZADD", "z2", "1", "a", "2", "b"),
        ("ZMPOP", "2", "nokey", "z2", "MIN"), ("BZPOPMAX", "z2", "0.01"),
        ("BZPOPMIN", "z", "0.01"),
        ("ZADD", "za", "1", "x", "2", "y"), ("ZADD", "zb", "1", "y"),
        ("ZUNIONSTORE", "zu", "2", "za", "zb"), ("ZINTERSTORE", "zi", "2", "za", "zb"),
        ("ZDIFFSTORE", "zd", "2", "za", "zb"), ("ZDIFFSTORE", "zu", "2", "za", "za"),
        ("ZRANGESTORE", "zr", "za", "0", "-1"), ("ZRANGESTORE", "zr", "za", "5", "6"),
        ("BZMPOP", "0.01", "1", "zi", "MAX"), ("ZREMRANGEBYSCORE", "za", "-inf", "+inf"),
        # sort
        ("RPUSH", "so", "3", "1", "2"), ("SORT", "so", "STORE", "so2"), ("SORT", "so"),
        ("SORT", "nokey", "STORE", "so2"),
        # another database
        ("SELECT", "5"), ("SET", "x", "1"), ("LPUSH", "y", "a"), ("DEL", "x", "y"), ("SELECT", "0"),
        # reads and no-op writes generate nothing
        ("GET", "s"), ("LRANGE", "l", "0", "-1"), ("EXISTS", "s"), ("TYPE", "s"),
    ]
    for call in calls:
        c.call(*call)
    # RESTORE: new key, REPLACE, and a TTL already in the past on an existing key.
    payload = c.call("DUMP", "s").value
    assert payload is not None
    c.call("RESTORE", "r1", "0", payload)
    c.call("RESTORE", "r1", "0", payload, "REPLACE")
    c.call("RESTORE", "r1", "1", payload, "REPLACE", "ABSTTL")
    c.call("RESTORE", "r2", "1", payload, "ABSTTL")


def blocked_then_served(c, srv):
    """Clients blocked first, then served by a push: the served pop's events follow the push's."""
    for command, feed in (
            (("BLPOP", "bl", "5"), ("RPUSH", "bl", "a")),
            (("BRPOP", "bl", "5"), ("RPUSH", "bl", "a", "b")),
            (("BLMOVE", "bm", "bm2", "RIGHT", "LEFT", "5"), ("LPUSH", "bm", "x")),
            (("BLMPOP", "5", "1", "bp", "LEFT", "COUNT", "3"), ("RPUSH", "bp", "1", "2")),
            (("BZPOPMIN", "bz", "5"), ("ZADD", "bz", "1", "a")),
            (("BZMPOP", "5", "1", "bz2", "MAX", "COUNT", "2"), ("ZADD", "bz2", "1", "a", "2", "b",
                                                               "3", "c"))):
        waiter = srv.raw()
        before = blocked_clients(c)
        waiter.send_command(*command)
        wait_blocked(c, before + 1)
        c.call(*feed)
        assert waiter.read_reply(timeout=5).kind == "array" or command[0] == "BLMOVE"
        waiter.close()


# ------------------------------------------------------------------------------------ tests

def test_all_classes(pair):
    events = compare(pair, "KEA", every_family)
    channels = {ch for ch, _ in events}
    names = {ch.split(":", 1)[1] for ch in channels if ch.startswith("__keyevent@")}
    # Both kinds of channel, several databases, and every family's events were seen.
    assert "__keyspace@0__:l" in channels and "__keyevent@0__:lpush" in channels
    assert "__keyevent@5__:del" in channels and "__keyevent@2__:copy_to" in channels
    for event in ("set", "setrange", "incrby", "incrbyfloat", "append", "setbit", "expire",
                  "persist", "del", "rename_from", "rename_to", "copy_to", "move_from",
                  "move_to", "restore", "lpush", "rpush", "lpop", "rpop", "lset", "linsert",
                  "lrem", "ltrim", "hset", "hdel", "hincrby", "hincrbyfloat", "sadd", "srem",
                  "spop", "sinterstore", "sunionstore", "sdiffstore", "zadd", "zincr", "zrem",
                  "zremrangebyrank", "zremrangebyscore", "zremrangebylex", "zpopmin", "zpopmax",
                  "zunionstore", "zinterstore", "zdiffstore", "zrangestore", "sortstore"):
        assert event in names, event
    assert not any(ch.endswith(":new") for ch in channels)  # n is not part of A


def edge_cases(c, srv):
    """Errors, no-ops and option combinations: a failed or empty command publishes nothing."""
    calls = [
        ("SET", "k", "v", "EXAT", "1"), ("SET", "k2", "v", "PXAT", "1", "GET"),
        ("SET", "k3", "v", "KEEPTTL"), ("SET", "k3", "w", "EX", "100"), ("SET", "k3", "x", "KEEPTTL"),
        ("SET", "k3", "y", "XX", "GET"), ("SET", "k4", "y", "NX", "GET"), ("SETEX", "k5", "-1", "v"),
        ("MSET", "m", "1", "m", "2"), ("LPUSH", "k3", "a"), ("APPEND", "lst", "x"),
        ("RPUSH", "lst", "a"), ("APPEND", "lst", "x"), ("INCR", "lst"), ("SET", "big", "9223372036854775807"),
        ("INCR", "big"), ("INCRBYFLOAT", "big", "abc"), ("SETRANGE", "lst", "0", "x"),
        ("GETEX", "k3", "EXAT", "1"), ("GETEX", "nokey", "EX", "10"), ("GETDEL", "lst"),
        ("EXPIRE", "m", "100", "GT"), ("EXPIRE", "m", "100", "LT"), ("EXPIRE", "m", "50", "LT"),
        ("EXPIRE", "m", "80", "GT"), ("EXPIRE", "m", "90", "XX"), ("PEXPIREAT", "m", "1"),
        ("EXPIRE", "nokey", "-1"), ("EXPIRE", "big", "abc"),
        ("SADD", "s", "a"), ("SMOVE", "s", "s", "a"), ("SMOVE", "s", "s", "x"),
        ("SMOVE", "s", "big", "a"), ("RPUSH", "l", "a"), ("RPOPLPUSH", "l", "big"),
        ("LMOVE", "l", "l", "RIGHT", "LEFT"), ("LINSERT", "nokey", "BEFORE", "a", "b"),
        ("LTRIM", "nokey", "0", "1"), ("LREM", "nokey", "0", "a"), ("LSET", "nokey", "0", "a"),
        ("ZADD", "z", "INCR", "+inf", "m"), ("ZADD", "z", "INCR", "-inf", "m"),
        ("ZADD", "z", "GT", "CH", "1", "m", "2", "n"), ("ZADD", "z", "LT", "5", "n"),
        ("ZADD", "z", "NX", "9", "n"), ("ZADD", "z", "XX", "CH", "3", "n"), ("ZINCRBY", "z", "0", "n"),
        ("HSET", "h", "f", "1"), ("HINCRBY", "h", "f", "9223372036854775807"),
        ("HINCRBYFLOAT", "h", "f", "abc"), ("HSET", "s", "f", "v"),
        ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "7"),
        ("BITFIELD", "bf", "SET", "u8", "0", "0"), ("SETBIT", "bf2", "100", "0"),
        ("COPY", "s", "s"), ("RENAME", "nokey", "x"), ("MOVE", "s", "0"),
        ("SPOP", "s", "-1"), ("LPOP", "l", "-1"), ("SINTERSTORE", "s", "big"),
        ("DEBUG", "POPULATE", "3", "pop"), ("SORT", "l", "STORE", "sorted"),
    ]
    for call in calls:
        c.call(*call)


def transactions(c, srv):
    """Commands inside MULTI/EXEC publish as they run at EXEC; a blocking one does not block; a
    failed WATCH runs nothing."""
    for call in (("MULTI",), ("SET", "a", "1"), ("LPUSH", "l", "x"), ("RPOP", "l"),
                 ("EXPIRE", "a", "-1"), ("EXEC",),
                 ("MULTI",), ("BLPOP", "nokey", "0"), ("INCR", "a"), ("EXEC",),
                 ("WATCH", "a"), ("SET", "a", "2"), ("MULTI",), ("SET", "a", "3"), ("EXEC",)):
        c.call(*call)


def test_transactions(pair):
    pair[0].skip_unless_commands("MULTI", "EXEC")
    events = compare(pair, "KEAn", transactions)
    assert ("__keyevent@0__:rpop", "l") in events


def test_edge_cases(pair):
    events = compare(pair, "KEAn", edge_cases)
    assert events


def test_blocked_clients_served(pair):
    events = compare(pair, "KEA", blocked_then_served)
    assert ("__keyevent@0__:lpop", "bl") in events


@pytest.mark.parametrize("classes", ["Kl", "Eg", "K$", "Ehz", "Ks", "KEn", "El", "KEAn", "E"])
def test_class_filter(pair, classes):
    events = compare(pair, classes, every_family)
    if classes == "E":
        assert events == []  # a channel kind without classes publishes nothing
    else:
        assert events
    if "K" not in classes:
        assert all(ch.startswith("__keyevent@") for ch, _ in events)
    if "E" not in classes:
        assert all(ch.startswith("__keyspace@") for ch, _ in events)


def new_keys(c, srv):
    """Creations, overwrites, and renames onto an existing key (Redis reports "new" for it)."""
    for call in (("SET", "a", "1"), ("SET", "a", "2"), ("LPUSH", "l", "x"), ("LPUSH", "l", "y"),
                 ("RENAME", "a", "b"), ("SET", "c", "1"), ("RENAME", "b", "c"),
                 ("COPY", "c", "d"), ("MOVE", "d", "4"), ("SADD", "s", "m"),
                 ("SMOVE", "s", "s2", "m"), ("INCR", "i"), ("DEL", "i"), ("INCR", "i"),
                 ("SET", "r", "v"), ("SET", "r2", "v")):
        c.call(*call)
    payload = c.call("DUMP", "r").value
    c.call("RESTORE", "r", "0", payload, "REPLACE")
    c.call("RESTORE", "r3", "0", payload)
    c.call("SADD", "x", "1")
    c.call("SINTERSTORE", "r2", "x", "x")
    c.call("SUNIONSTORE", "nk", "x")
    c.call("ZADD", "z", "1", "m")
    c.call("ZUNIONSTORE", "nz", "1", "z")
    c.call("SORT", "l", "ALPHA", "STORE", "ns")


def expiry(c, srv):
    # Lazy: the key is found expired by a read while active expiry is off.
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    c.call("SET", "lazy", "v", "PX", "20")
    c.call("SET", "lazy2", "v", "PX", "20")
    time.sleep(0.1)
    c.call("GET", "lazy")
    c.call("LPUSH", "lazy2", "x")  # a write on an expired key: "expired" first
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    # Active: nobody touches the key; the expiry cycle finds it.
    c.call("SET", "active", "v", "PX", "30")
    deadline = time.monotonic() + 5
    while c.call("DBSIZE") != I(1):  # only lazy2 left
        assert time.monotonic() < deadline, "active expiry never removed the key"
        time.sleep(0.02)


def stale_destinations(c, srv):
    """*STORE commands onto destinations whose TTL passed but which are still in memory: a
    stored result removes the stale key first ("expired", then "new"); an empty result deletes
    it without looking ("del")."""
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    c.call("SADD", "sa", "1")
    c.call("ZADD", "za", "1", "m")
    c.call("RPUSH", "la", "1")
    c.call("SET", "ba", "x")
    for dst in ("d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12"):
        c.call("SET", dst, "v", "PX", "10")
    time.sleep(0.05)
    for call in (("SINTERSTORE", "d1", "sa", "sa"), ("SINTERSTORE", "d2", "sa", "nokey"),
                 ("SUNIONSTORE", "d3", "sa"), ("SDIFFSTORE", "d4", "sa", "sa"),
                 ("ZUNIONSTORE", "d5", "1", "za"), ("ZINTERSTORE", "d6", "2", "za", "nokey"),
                 ("ZRANGESTORE", "d7", "za", "0", "-1"), ("ZRANGESTORE", "d8", "za", "5", "6"),
                 ("SORT", "la", "STORE", "d9"), ("SORT", "nokey", "STORE", "d10"),
                 ("BITOP", "OR", "d11", "ba"), ("BITOP", "OR", "d12", "nokey")):
        c.call(*call)
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_stale_store_destinations(pair):
    events = compare(pair, "KEA", stale_destinations)
    assert ("__keyevent@0__:expired", "d1") in events
    assert ("__keyevent@0__:del", "d2") in events


def key_misses(c, srv):
    """Reads of missing keys (m): every read lookup reports one, writes never do."""
    c.call("SET", "s", "v")
    c.call("SET", "gone", "v", "PX", "10")
    time.sleep(0.05)
    for i, call in enumerate((("GET", "nokey"), ("GET", "s"), ("MGET", "a", "s", "b"), ("EXISTS", "nokey", "s"),
                 ("TYPE", "nokey"), ("TTL", "nokey"), ("PTTL", "nokey"), ("EXPIRETIME", "nokey"),
                 ("OBJECT", "ENCODING", "nokey"), ("STRLEN", "nokey"), ("GETRANGE", "nokey", "0", "1"),
                 ("LRANGE", "nokey", "0", "-1"), ("LLEN", "nokey"), ("LINDEX", "nokey", "0"),
                 ("HGET", "nokey", "f"), ("HGETALL", "nokey"), ("HLEN", "nokey"),
                 ("SMEMBERS", "nokey"), ("SISMEMBER", "nokey", "m"), ("SCARD", "nokey"),
                 ("SINTER", "nokey", "s2"), ("SUNIONSTORE", "d", "nokey"),
                 ("ZRANGE", "nokey", "0", "-1"), ("ZSCORE", "nokey", "m"), ("ZCARD", "nokey"),
                 ("ZUNIONSTORE", "d", "1", "nokey"), ("BITCOUNT", "nokey"), ("GETBIT", "nokey", "1"),
                 ("BITOP", "OR", "d", "nokey"), ("SORT", "nokey"), ("DUMP", "nokey"),
                 ("COPY", "nokey", "d"), ("GET", "gone"), ("SCAN", "0", "TYPE", "string"),
                 ("SET", "nokey2", "v"), ("LPUSH", "nokey3", "a"), ("DEL", "nokey4"),
                 ("RENAME", "nokey5", "x"), ("EXPIRE", "nokey6", "10"), ("INCR", "nokey7"),
                 ("HMGET", "nokey", "f"), ("HEXISTS", "nokey", "f"), ("HSTRLEN", "nokey", "f"),
                 ("HRANDFIELD", "nokey"), ("HSCAN", "nokey", "0"), ("HKEYS", "nokey"),
                 ("SRANDMEMBER", "nokey"), ("SMISMEMBER", "nokey", "a"), ("SSCAN", "nokey", "0"),
                 ("SINTERCARD", "1", "nokey"), ("SDIFF", "nokey"), ("ZRANK", "nokey", "m"),
                 ("ZCOUNT", "nokey", "0", "1"), ("ZRANGEBYSCORE", "nokey", "0", "1"),
                 ("ZRANDMEMBER", "nokey"), ("ZMSCORE", "nokey", "m"), ("ZSCAN", "nokey", "0"),
                 ("ZINTERCARD", "1", "nokey"), ("ZRANGESTORE", "d", "nokey", "0", "1"),
                 ("ZLEXCOUNT", "nokey", "-", "+"), ("LPOS", "nokey", "a"),
                 ("BITPOS", "nokey", "1"), ("BITFIELD_RO", "nokey", "GET", "u8", "0"),
                 ("BITFIELD", "nokey", "GET", "u8", "0"), ("GETEX", "nokey"), ("GETDEL", "nokey"),
                 ("GETSET", "nokey", "v"), ("SET", "nokey", "v", "GET"), ("LCS", "nokey", "s"),
                 ("SORT_RO", "nokey"), ("TOUCH", "nokey", "s"), ("MOVE", "nokey", "1"),
                 ("SMOVE", "nokey", "x", "m"), ("RPOPLPUSH", "nokey", "x"), ("SPOP", "nokey"),
                 ("ZPOPMIN", "nokey"), ("LPOP", "nokey"), ("HINCRBY", "nokey", "f", "1"),
                 ("APPEND", "nokey", "x"), ("SETRANGE", "nokey", "0", "x"), ("MSETNX", "nokey", "x"),
                 ("SETNX", "nokey", "x"), ("PERSIST", "nokey"), ("GETBIT", "nokey", "0"),
                 ("RESTORE", "nokey", "0", "bad"), ("SRANDMEMBER", "nokey", "2"),
                 ("ZREVRANGE", "nokey", "0", "1"), ("ZREVRANK", "nokey", "m"),
                 ("HVALS", "nokey"), ("OBJECT", "FREQ", "nokey"), ("OBJECT", "IDLETIME", "nokey"))):
        c.call(*(a.replace("nokey", f"nokey{i}") for a in call))


def test_key_misses(pair):
    events = compare(pair, "KEm", key_misses)
    assert ("__keyevent@0__:keymiss", "nokey0") in events


def test_new_key_events(pair):
    events = compare(pair, "KEn", new_keys)
    assert ("__keyevent@0__:new", "a") in events
    assert ("__keyspace@4__:d", "new") in events


def test_expired_lazy_and_active(pair):
    events = compare(pair, "KEx$l", expiry)
    expired = [e for e in events if "expired" in e[0] + e[1]]
    assert expired == [("__keyspace@0__:lazy", "expired"), ("__keyevent@0__:expired", "lazy"),
                       ("__keyspace@0__:lazy2", "expired"), ("__keyevent@0__:expired", "lazy2"),
                       ("__keyspace@0__:active", "expired"), ("__keyevent@0__:expired", "active")]
    # The write on the expired key reports the expiry before its own push.
    i = events.index(("__keyevent@0__:expired", "lazy2"))
    assert events[i + 1] == ("__keyspace@0__:lazy2", "lpush")


def test_evicted(pair):
    """Eviction removes a number of keys that depends on memory accounting, so only the shape is
    compared: every event is "evicted", for keys of the data set, on both servers."""
    results = []
    for srv in pair:
        c = srv.raw()
        c.call("CONFIG", "SET", "notify-keyspace-events", "Ee")
        sub = subscribe(srv)
        for i in range(200):
            c.call("SET", f"key:{i}", "x" * 1000)
        used = int(as_text(c.call("INFO", "memory")).split("used_memory:")[1].split()[0])
        c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
        c.call("CONFIG", "SET", "maxmemory", str(used - 50_000))
        c.call("SET", "trigger", "1")  # eviction runs before a command
        c.call("PUBLISH", SENTINEL_CHANNEL, "end")
        events = collect(sub)
        c.call("CONFIG", "SET", "maxmemory", "0")
        results.append(events)
    for events in results:
        assert events, "nothing was evicted"
        # "trigger" is a key of the data set too: the cron may still be evicting after it is set.
        assert all(ch == "__keyevent@0__:evicted" and (key.startswith("key:") or key == "trigger")
                   for ch, key in events), events


def replica_events(master, replica, classes: str, script) -> list[tuple[str, str]]:
    """What a subscriber on `replica` receives while `script` runs on its master: the events of
    the commands as replicated (SET ... PXAT for SET EX, LPOP for a served BLPOP, ...)."""
    make_replica(replica, master)
    wait_link_up(replica)
    rc = replica.raw()
    rc.call("CONFIG", "SET", "notify-keyspace-events", classes)
    sub = subscribe(replica)
    mc = master.raw()
    script(mc, master)
    mc.call("SET", "__synced__", "1")
    deadline = time.monotonic() + 10
    while rc.call("EXISTS", "__synced__") != I(1):
        assert time.monotonic() < deadline, "the replica never caught up"
        time.sleep(0.02)
    rc.call("PUBLISH", SENTINEL_CHANNEL, "end")
    return [e for e in collect(sub) if "__synced__" not in e[0] + e[1]]


@pytest.mark.parametrize("script", [every_family, new_keys, blocked_then_served])
def test_replica_events(ember_factory, ref_factory, script):
    ember, ember_replica = ember_factory(args=REPL_ARGS), ember_factory(args=REPL_ARGS)
    ember.skip_unless_commands("PSUBSCRIBE", "PUBLISH")
    expected = replica_events(ref_factory(args=REPL_ARGS), ref_factory(args=REPL_ARGS), "KEAn",
                              script)
    assert expected
    assert replica_events(ember, ember_replica, "KEAn", script) == expected


def test_off_by_default_and_config_get(pair):
    for srv in pair:
        c = srv.raw()
        assert c.call("CONFIG", "GET", "notify-keyspace-events") == A(
            B("notify-keyspace-events"), B(""))
        sub = subscribe(srv)
        c.call("SET", "k", "v")
        c.call("DEL", "k")
        c.call("PUBLISH", SENTINEL_CHANNEL, "end")
        assert collect(sub) == []
    ember, ref = pair
    for classes in ("KEA", "AKE", "Kl", "lK", "gE$", "KEAn", "KEn", "Exm"):
        got = []
        for srv in pair:
            c = srv.raw()
            c.call("CONFIG", "SET", "notify-keyspace-events", classes)
            got.append(c.call("CONFIG", "GET", "notify-keyspace-events"))
        assert got[0] == got[1], classes

"""Basic commands through redis-py and the raw client."""

import os

import pytest
import redis

from harness.resp import NULLBULK, B, I, Reply, S


def test_ping_echo(ember):
    r = ember.client()
    assert r.ping() is True
    assert r.echo("hello") == b"hello"
    c = ember.raw()
    assert c.call("PING") == S("PONG")
    assert c.call("PING", "payload") == B("payload")
    assert c.call("ECHO", "") == B("")


def test_set_get(ember):
    r = ember.client(decode_responses=True)
    assert r.set("k", "v") is True
    assert r.get("k") == "v"
    assert r.get("missing") is None
    assert r.set("k", "v2", nx=True) is None
    assert r.set("k", "v2", xx=True) is True
    assert r.get("k") == "v2"
    assert r.delete("k") == 1
    assert r.exists("k") == 0


def test_binary_safe_values(ember):
    r = ember.client()
    value = bytes(range(256)) * 4 + b"\r\n\x00\r\n"
    key = b"k\x00\r\n\xff"
    r.set(key, value)
    assert r.get(key) == value
    assert r.strlen(key) == len(value)


def test_raw_reply_types(ember):
    c = ember.raw()
    assert c.call("SET", "k", "1") == S("OK")
    assert c.call("GET", "k") == B("1")
    assert c.call("GET", "nokey") == NULLBULK
    assert c.call("INCR", "k") == I(2)
    err = c.call("INCR", "nokey-list-xx", "extra")
    assert err == Reply("error", "ERR wrong number of arguments for 'incr' command")
    assert c.call("MGET", "k", "nokey") == Reply("array", (B("2"), NULLBULK))


@pytest.mark.slow
def test_pipeline_10k_redis_py(ember):
    r = ember.client()
    n = 10_000
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(f"key:{i}", i)
    assert all(x is True for x in p.execute())
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.get(f"key:{i}")
    assert p.execute() == [str(i).encode() for i in range(n)]
    assert r.dbsize() == n


def test_pipeline_10k_raw_one_write(ember):
    """10k commands written in a single send(); replies must come back in order."""
    c = ember.raw()
    n = 10_000
    c.send_pipeline([("INCR", "counter")] * n + [("PING",)] * 10)
    replies = c.read_replies(n + 10, timeout=30)
    assert replies[:n] == [I(i) for i in range(1, n + 1)]
    assert replies[n:] == [S("PONG")] * 10


@pytest.mark.slow
def test_large_value_10mb(ember):
    r = ember.client()
    value = os.urandom(1024) * (10 * 1024)  # 10 MiB
    assert r.set("big", value) is True
    assert r.strlen("big") == len(value)
    assert r.get("big") == value
    assert r.getrange("big", len(value) - 5, -1) == value[-5:]
    r.append("big", b"tail")
    assert r.strlen("big") == len(value) + 4


@pytest.mark.slow
def test_large_value_raw_split_writes(ember):
    """A 10 MB bulk string delivered in many small writes."""
    c = ember.raw(timeout=30)
    value = b"x" * (10 * 1024 * 1024)
    payload = b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % len(value) + value + b"\r\n"
    step = 1 << 16
    for i in range(0, len(payload), step):
        c.send_raw(payload[i:i + step])
    assert c.read_reply() == S("OK")
    assert c.call("STRLEN", "big") == I(len(value))
    assert c.call("GET", "big") == B(value)


def test_resp3_hello(ember):
    c = ember.raw()
    hello = c.call("HELLO", "3")
    assert hello.kind == "map"
    fields = {k.value.decode() if k.kind == "bulk" else k.value: v for k, v in hello.value}
    assert fields["proto"] == I(3)
    assert fields["server"].kind == "bulk"
    assert fields["version"].kind == "bulk"
    assert fields["id"].kind == "int"
    assert fields["mode"] == B("standalone")
    assert fields["role"] == B("master")
    assert fields["modules"].kind == "array"
    # RESP3 null and typed replies
    assert c.call("GET", "nokey") == Reply("null", None)
    assert c.call("SET", "f", "1.5") == S("OK")
    assert c.call("INCRBYFLOAT", "f", "1") == B("2.5")
    # back to RESP2
    hello2 = c.call("HELLO", "2")
    assert hello2.kind == "array" and len(hello2.value) == 14
    assert c.call("GET", "nokey") == NULLBULK


def test_resp3_aggregate_types(ember):
    """HGETALL is a map and SMEMBERS a set in RESP3, both flat arrays in RESP2."""
    ember.skip_unless_commands("HSET", "HGETALL", "SADD", "SMEMBERS")
    c = ember.raw()
    assert c.call("HELLO", "3").kind == "map"
    assert c.call("HSET", "h", "a", "1") == I(1)
    assert c.call("HGETALL", "h") == Reply("map", ((B("a"), B("1")),))
    assert c.call("SADD", "s", "m") == I(1)
    assert c.call("SMEMBERS", "s") == Reply("set", (B("m"),))
    assert c.call("HELLO", "2").kind == "array"
    assert c.call("HGETALL", "h") == Reply("array", (B("a"), B("1")))
    assert c.call("SMEMBERS", "s") == Reply("array", (B("m"),))


def test_resp3_redis_py_client(ember):
    r = ember.client(protocol=3, decode_responses=True)  # skipped when redis-py lacks RESP3
    assert r.ping()
    assert r.set("k", "v") is True
    assert r.get("k") == "v"
    assert r.get("nokey") is None


def test_resp3_redis_py_client_hash(ember):
    ember.skip_unless_commands("HSET", "HGETALL")
    r = ember.client(protocol=3, decode_responses=True)  # skipped when redis-py lacks RESP3
    r.hset("h", "a", "1")
    assert r.hgetall("h") == {"a": "1"}


def test_multiple_clients_independent_db(ember):
    a = ember.client()
    b = ember.client(db=1)
    a.set("k", "db0")
    b.set("k", "db1")
    assert a.get("k") == b"db0"
    assert b.get("k") == b"db1"
    assert a.dbsize() == 1 and b.dbsize() == 1


def test_wrongtype_error(ember):
    ember.skip_unless_commands("RPUSH")
    r = ember.client()
    r.rpush("list", "a")
    with pytest.raises(redis.ResponseError) as ei:
        r.get("list")
    assert str(ei.value) == "WRONGTYPE Operation against a key holding the wrong kind of value"

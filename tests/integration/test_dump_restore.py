"""DUMP / RESTORE against a real redis-server (skipped when none is installed).

Short strings and integers must DUMP to exactly Redis's bytes (see also the literal payloads in
tests/compat/corpus/dump_restore.txt). Long compressible strings go through LZF, whose output may
legitimately differ between compressors, so those are checked by cross-RESTORE: Redis's DUMP
must RESTORE into the server under test and the reverse, with equal values and digests.

    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_dump_restore.py
"""

from __future__ import annotations

import random
import time

import pytest

from harness.resp import NULLBULK, B, E, I, S

DEBUG = ["--enable-debug-command", "yes"]
HELLO = b"\x00\x05hello\x0a\x00cr\xdfve4 \x0a"  # Redis 7.0's DUMP of "hello" (RDB version 10)
NOT_LFU = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
           "that when switching between policies at runtime LRU and LFU data will take some time "
           "to adjust.")
IS_LFU = ("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
          "switching between policies at runtime LRU and LFU data will take some time to adjust.")


@pytest.fixture
def pair(ember_factory, ref_factory):
    """(server under test, real redis-server), both with DEBUG enabled. No skip when DUMP or
    RESTORE is missing: that is exactly what these tests must report."""
    return ember_factory(args=DEBUG), ref_factory(args=DEBUG)


class Diff:
    """Send the same commands to both servers and require identical typed replies."""

    def __init__(self, ember, redis_srv):
        self.e, self.r = ember.raw(), redis_srv.raw()

    def __call__(self, *cmd, same: bool = True):
        a, b = self.e.call(*cmd), self.r.call(*cmd)
        if same:
            assert a == b, f"{cmd!r}:\n  ember: {a!r}\n  redis: {b!r}"
        return a, b


def _rng(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


SHORT_VALUES = [
    b"", b"x", b"hello", b"\x00", b"\x00\xff\r\n", b"a" * 20, b"0", b"1", b"-1", b"127", b"-128",
    b"128", b"-129", b"255", b"256", b"32767", b"-32768", b"32768", b"65535", b"2147483647",
    b"-2147483648", b"2147483648", b"-2147483649", b"4294967296", b"9223372036854775807",
    b"-9223372036854775808", b"9223372036854775808", b"0123", b"-0", b"+1", b" 1", b"1 ", b"1.0",
    b"1e3", b"0x10", _rng(5, 20), _rng(6, 64), _rng(7, 300),  # random: LZF cannot shrink these
]


def test_dump_bytes_identical_for_short_and_int_values(pair):
    d = Diff(*pair)
    for i, v in enumerate(SHORT_VALUES):
        d("SET", f"k{i}", v)
        a, b = d("DUMP", f"k{i}")
        assert b.kind == "bulk" and b.value[-10:-8] == b"\x0a\x00"  # RDB version 10, then CRC
    assert d("DUMP", "missing")[1] == NULLBULK


def test_dump_payload_layout(ember):
    c = ember.raw()
    assert c.call("SET", "k", "hello") == S("OK")
    assert c.call("DUMP", "k") == B(HELLO)
    assert c.call("SET", "n", "123") == S("OK")
    assert c.call("DUMP", "n") == B(b"\x00\xc0{\x0a\x00H\xe2S\xe1\x00zg\xb9")
    assert c.call("DUMP", "nosuchkey") == NULLBULK


LONG_VALUES = {
    "lzf:21": b"a" * 21,
    "lzf:text": b"The quick brown fox jumps over the lazy dog. " * 100,
    "lzf:pattern": bytes(range(256)) * 64,
    "lzf:zeros": b"\x00" * 100_000,
    "mixed": _rng(8, 5000) + b"b" * 5000,
    "random:10k": _rng(9, 10_000),
    "random:1mb": _rng(10, 1 << 20),
    "lzf:1mb": b"0123456789abcdef" * 65536,
    "almost": b"ab" * 10 + b"c",  # 21 bytes, only mildly compressible
}


@pytest.mark.parametrize("direction", ["redis-to-ember", "ember-to-redis"])
def test_cross_restore_long_values(pair, direction):
    ember, redis_srv = pair
    src, dst = (redis_srv, ember) if direction == "redis-to-ember" else (ember, redis_srv)
    s, t = src.raw(), dst.raw()
    for k, v in LONG_VALUES.items():
        assert s.call("SET", k, v) == S("OK")
        payload = s.call("DUMP", k)
        assert payload.kind == "bulk", (k, payload)
        if len(v) > 1000 and v.count(v[:16]) > 10:
            assert len(payload.value) < len(v) // 2, f"{k}: DUMP did not compress"
        assert t.call("RESTORE", k, "0", payload.value) == S("OK"), k
        assert t.call("GET", k) == B(v), k
        assert t.call("DEBUG", "DIGEST-VALUE", k) == s.call("DEBUG", "DIGEST-VALUE", k), k
        assert t.call("OBJECT", "ENCODING", k) == s.call("OBJECT", "ENCODING", k), k
        # and the destination's own DUMP round-trips back into the source
        back = t.call("DUMP", k)
        assert s.call("RESTORE", k, "0", back.value, "REPLACE") == S("OK")
        assert s.call("GET", k) == B(v), k


@pytest.mark.parametrize("direction", ["redis-to-ember", "ember-to-redis"])
def test_cross_restore_short_values_with_ttl(pair, direction):
    ember, redis_srv = pair
    src, dst = (redis_srv, ember) if direction == "redis-to-ember" else (ember, redis_srv)
    s, t = src.raw(), dst.raw()
    for i, v in enumerate(SHORT_VALUES):
        assert s.call("SET", f"k{i}", v) == S("OK")
        assert t.call("RESTORE", f"k{i}", "50000", s.call("DUMP", f"k{i}").value) == S("OK")
        assert t.call("GET", f"k{i}") == B(v)
        assert 0 < t.call("PTTL", f"k{i}").value <= 50_000
        assert t.call("OBJECT", "ENCODING", f"k{i}") == s.call("OBJECT", "ENCODING", f"k{i}"), v


def test_restore_ttl_variants(ember):
    c = ember.raw()
    assert c.call("RESTORE", "plain", "0", HELLO) == S("OK")
    assert c.call("TTL", "plain") == I(-1)
    assert c.call("RESTORE", "rel", "100000", HELLO) == S("OK")
    assert 99_000 <= c.call("PTTL", "rel").value <= 100_000
    abs_ms = int(time.time() * 1000) + 200_000
    assert c.call("RESTORE", "abs", str(abs_ms), HELLO, "ABSTTL") == S("OK")
    assert c.call("PEXPIRETIME", "abs") == I(abs_ms)
    # ABSTTL in the past: OK, nothing created; with REPLACE the old key goes away
    assert c.call("RESTORE", "past", "1", HELLO, "ABSTTL") == S("OK")
    assert c.call("EXISTS", "past") == I(0)
    assert c.call("RESTORE", "plain", str(int(time.time() * 1000) - 1000), HELLO, "ABSTTL",
                  "REPLACE") == S("OK")
    assert c.call("EXISTS", "plain") == I(0)
    # a short relative TTL really expires
    assert c.call("RESTORE", "short", "100", HELLO) == S("OK")
    time.sleep(0.25)
    assert c.call("GET", "short") == NULLBULK


def test_restore_busykey_and_replace(ember):
    c = ember.raw()
    assert c.call("SET", "k", "old", "EX", "1000") == S("OK")
    assert c.call("RESTORE", "k", "0", HELLO) == E("BUSYKEY Target key name already exists.")
    assert c.call("GET", "k") == B("old")
    assert c.call("RESTORE", "k", "0", HELLO, "REPLACE") == S("OK")
    assert c.call("GET", "k") == B("hello")
    assert c.call("TTL", "k") == I(-1)


def test_restore_errors(ember):
    c = ember.raw()
    assert c.call("RESTORE", "k", "-1", HELLO) == E("ERR Invalid TTL value, must be >= 0")
    assert c.call("RESTORE", "k", "x", HELLO) == E("ERR value is not an integer or out of range")
    assert c.call("RESTORE", "k", "0", b"garbage") == E("ERR DUMP payload version or checksum are wrong")
    assert c.call("RESTORE", "k", "0", HELLO[:-1] + b"\x0b") == E(
        "ERR DUMP payload version or checksum are wrong")
    assert c.call("RESTORE", "k", "0", HELLO, "IDLETIME", "-1") == E(
        "ERR Invalid IDLETIME value, must be >= 0")
    assert c.call("RESTORE", "k", "0", HELLO, "FREQ", "256") == E(
        "ERR Invalid FREQ value, must be >= 0 and <= 255")
    assert c.call("RESTORE", "k", "0", HELLO, "FREQ", "1", "IDLETIME", "1") == E("ERR syntax error")
    assert c.call("RESTORE", "k", "0", HELLO, "NOPE") == E("ERR syntax error")
    assert c.call("RESTORE", "k", "0") == E("ERR wrong number of arguments for 'restore' command")
    assert c.call("EXISTS", "k") == I(0)


def test_restore_idletime(pair):
    for srv in pair:
        c = srv.raw()
        assert c.call("RESTORE", "k", "0", HELLO, "IDLETIME", "1000") == S("OK")
        assert 1000 <= c.call("OBJECT", "IDLETIME", "k").value <= 1002, srv
        assert c.call("RESTORE", "z", "0", HELLO, "IDLETIME", "0") == S("OK")
        assert c.call("OBJECT", "IDLETIME", "z").value <= 2
        # FREQ is accepted under an LRU policy, but there is no frequency to show
        assert c.call("RESTORE", "f", "0", HELLO, "FREQ", "7") == S("OK")
        assert c.call("OBJECT", "FREQ", "f") == E(NOT_LFU)


def test_restore_freq_under_lfu(ember_factory, ref_factory):
    for srv in (ember_factory(args=["--maxmemory-policy", "allkeys-lfu"]),
                ref_factory(args=["--maxmemory-policy", "allkeys-lfu"])):
        c = srv.raw()
        assert c.call("SET", "probe", "x") == S("OK")
        if c.call("OBJECT", "FREQ", "probe") == E(NOT_LFU):
            pytest.skip(f"{srv.name}: no LFU tracking (OBJECT FREQ under allkeys-lfu) yet")
        for freq in (0, 7, 100, 255):
            assert c.call("RESTORE", f"f{freq}", "0", HELLO, "FREQ", str(freq)) == S("OK")
            assert c.call("OBJECT", "FREQ", f"f{freq}") == I(freq), (srv, freq)
        # IDLETIME is accepted under LFU, but there is no idle time to show
        assert c.call("RESTORE", "i", "0", HELLO, "IDLETIME", "50") == S("OK")
        assert c.call("OBJECT", "IDLETIME", "i") == E(IS_LFU)


def test_restore_then_dump_roundtrip_is_stable(pair):
    """DUMP(RESTORE(DUMP(x))) == DUMP(x) on each server, and equals Redis's for short values."""
    d = Diff(*pair)
    for i, v in enumerate(SHORT_VALUES):
        d("SET", f"src{i}", v)
        a, b = d("DUMP", f"src{i}")
        d("RESTORE", f"dst{i}", "0", b.value)
        d("DUMP", f"dst{i}")
        d("OBJECT", "ENCODING", f"dst{i}")


def test_restore_is_a_write(pair):
    """RESTORE counts as a change (rdb_changes_since_last_save), a BUSYKEY error does not."""
    for srv in pair:
        c = srv.raw()
        def changes():
            text = c.call("INFO", "persistence").value.decode()
            return int(text.split("rdb_changes_since_last_save:")[1].split()[0])
        base = changes()
        assert c.call("RESTORE", "k", "0", HELLO) == S("OK")
        assert changes() == base + 1
        assert c.call("RESTORE", "k", "0", HELLO).is_error
        assert changes() == base + 1


# --------------------------------------------------------------------------- aggregate types

# name: (commands the server under test needs, commands building key "k"); the name ends with
# the encoding Redis 7.0 gives "k" (lists are always quicklists in 7.0)
TYPE_BUILDERS = {
    "list-small-quicklist": (["RPUSH"], [("RPUSH", "k", "a", "1", "-5", "x" * 30)]),
    "list-big-quicklist": (["RPUSH"], [("RPUSH", "k", *[f"element-{i}" * 3 for i in range(2000)])]),
    "set-intset": (["SADD"], [("SADD", "k", *[str(i * 7) for i in range(50)])]),
    "set-hashtable": (["SADD"], [("SADD", "k", *[f"m{i}" for i in range(600)])]),
    "hash-listpack": (["HSET"], [("HSET", "k", "f1", "v1", "f2", "2", "f3", "")]),
    "hash-hashtable": (["HSET"], [("HSET", "k", *[x for i in range(600) for x in (f"f{i}", f"v{i}")])]),
    "zset-listpack": (["ZADD"], [("ZADD", "k", "1", "a", "2.5", "b", "-3", "c")]),
    "zset-skiplist": (["ZADD"], [("ZADD", "k", *[x for i in range(300) for x in (repr(i / 3), f"m{i}")])]),
}


@pytest.mark.parametrize("name", sorted(TYPE_BUILDERS))
def test_cross_restore_aggregate_types(pair, name):
    needs, cmds = TYPE_BUILDERS[name]
    ember, redis_srv = pair
    ember.skip_unless_commands(*needs, "DUMP", "RESTORE")
    e, r = ember.raw(), redis_srv.raw()
    for cmd in cmds:
        assert r.call(*cmd) == e.call(*cmd)
    assert r.call("OBJECT", "ENCODING", "k") == B(name.rsplit("-", 1)[1])
    for src, dst in ((r, e), (e, r)):
        payload = src.call("DUMP", "k")
        assert payload.kind == "bulk"
        assert dst.call("RESTORE", "copy", "0", payload.value) == S("OK"), name
        assert dst.call("DEBUG", "DIGEST-VALUE", "copy") == src.call("DEBUG", "DIGEST-VALUE", "k")
        assert dst.call("OBJECT", "ENCODING", "copy") == src.call("OBJECT", "ENCODING", "k")
        assert dst.call("DEL", "copy") == I(1)

"""RDB files exchanged with real Redis 7.0: what the server under test SAVEs, redis-server loads
(and redis-check-rdb accepts), and what redis-server SAVEs, the server under test loads, with
identical DEBUG DIGEST, per-key DEBUG DIGEST-VALUE, OBJECT ENCODING and TTLs.

Needs a real redis-server (skipped otherwise). Run against Redis itself to check the tests:
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/interop
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time

import pytest

from harness.resp import I, S
from harness.util import random_seeds
from harness.workload import random_workload

DEBUG = ["--enable-debug-command", "yes"]
EXPIRE_AT_MS = 4102444800000  # 2100-01-01


def _b(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode()


def _rng(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


def string_dataset():
    """(db, command) pairs: strings of every RDB encoding, expiries, databases 0, 1 and 15."""
    cmds = []
    for i, v in enumerate(["0", "-1", "127", "-128", "128", "32767", "-32768", "65536",
                           "2147483647", "-2147483648", "2147483648", "9223372036854775807",
                           "-9223372036854775808", "0123", "+1", "-0", "1.5"]):
        cmds.append((0, ("SET", f"int:{i}", v)))
    cmds += [
        (0, ("SET", "empty", "")),
        (0, ("SET", "short", "hello")),
        (0, ("SET", "twenty", "b" * 20)),
        (0, ("SET", "lzf:21", "c" * 21)),
        (0, ("SET", "lzf:text", "all work and no play makes jack a dull boy " * 200)),
        (0, ("SET", "lzf:64k", bytes(range(256)) * 256)),
        (0, ("SET", "random:10k", _rng(1, 10_000))),
        (0, ("SET", "random:100k", _rng(2, 100_000))),
        (0, ("SET", "binary", b"\x00\x01\xff\xfe\r\n\x00")),
        (0, ("SET", b"bin\x00key\xff", "binary key")),
        (0, ("SET", "key:" + "k" * 300, "long key name")),
        (0, ("SET", "ttl:rel", "x", "PX", "500000")),
        (0, ("SET", "ttl:abs", "y")),
        (0, ("PEXPIREAT", "ttl:abs", str(EXPIRE_AT_MS))),
        (0, ("SET", "ttl:int", "12345", "EX", "100000")),
        (0, ("SETRANGE", "setrange", "10", "z")),
        (0, ("APPEND", "appended", "abc")),
        (0, ("INCRBY", "counter", "41")),
        (1, ("SET", "db1", "one")),
        (1, ("SET", "int", "100")),
        (1, ("SET", "ttl", "d1", "PX", "600000")),
        (15, ("SET", "db15", "fifteen")),
        (15, ("SET", "lzf", "q" * 1000)),
        (15, ("SET", "ttl", "d15")),
        (15, ("PEXPIREAT", "ttl", str(EXPIRE_AT_MS + 15))),
    ]
    return cmds


def aggregate_dataset(kind: str):
    big = [f"element:{i:05d}" for i in range(1500)]
    sets = {
        "list": ["RPUSH", "LRANGE"],
        "set": ["SADD", "SMEMBERS"],
        "hash": ["HSET", "HGETALL"],
        "zset": ["ZADD", "ZRANGE"],
    }[kind]
    if kind == "list":
        cmds = [(0, ("RPUSH", "small", "a", "1", "-2", "x" * 50)),
                (0, ("RPUSH", "big", *big)),
                (0, ("RPUSH", "random", *[_rng(i, 40) for i in range(300)])),
                (0, ("RPUSH", "huge-element", "v" * 20_000, "w")),
                (3, ("RPUSH", "ttl", "a")), (3, ("PEXPIREAT", "ttl", str(EXPIRE_AT_MS)))]
    elif kind == "set":
        cmds = [(0, ("SADD", "intset16", *[str(i) for i in range(100)])),
                (0, ("SADD", "intset64", "-5000000000", "1", "5000000000")),
                (0, ("SADD", "small-strings", "a", "b", "c")),
                (0, ("SADD", "big", *big[:700])),
                (0, ("SADD", "many-ints", *[str(i) for i in range(700)])),
                (3, ("SADD", "ttl", "1")), (3, ("PEXPIREAT", "ttl", str(EXPIRE_AT_MS)))]
    elif kind == "hash":
        cmds = [(0, ("HSET", "small", "f", "v", "n", "12", "e", "")),
                (0, ("HSET", "big", *[x for i in range(700) for x in (f"f{i}", f"v{i}")])),
                (0, ("HSET", "long-value", "f", "v" * 200)),
                (3, ("HSET", "ttl", "a", "b")), (3, ("PEXPIREAT", "ttl", str(EXPIRE_AT_MS)))]
    else:
        cmds = [(0, ("ZADD", "small", "1", "a", "-2.5", "b", "1e100", "c", "+inf", "d", "0", "")),
                (0, ("ZADD", "big", *[x for i in range(400) for x in (repr(i / 7), f"m{i}")])),
                (0, ("ZADD", "long-member", "1", "m" * 200)),
                (3, ("ZADD", "ttl", "1", "a")), (3, ("PEXPIREAT", "ttl", str(EXPIRE_AT_MS)))]
    return sets, cmds


def load(c, cmds) -> None:
    """(db, command) pairs, each asserted to succeed; or a callable filling the connection."""
    if callable(cmds):
        return cmds(c)
    for db, cmd in cmds:
        assert c.call("SELECT", db) == S("OK")
        r = c.call(*cmd)
        assert not r.is_error, (cmd[:2], r)
    assert c.call("SELECT", 0) == S("OK")


def snapshot(c) -> dict:
    """Everything that must survive the exchange, per database and key."""
    r = c.call("DEBUG", "DIGEST")
    assert not r.is_error, r
    out = {"digest": r.value, "keys": {}}
    for db in range(16):
        assert c.call("SELECT", db) == S("OK")
        keys = c.call("KEYS", "*")
        for k in sorted(x.value for x in keys.value):
            pttl = c.call("PTTL", k).value
            out["keys"][(db, k)] = {
                "digest": c.call("DEBUG", "DIGEST-VALUE", k),
                "encoding": c.call("OBJECT", "ENCODING", k),
                "type": c.call("TYPE", k),
                "ttl": "none" if pttl == -1 else pttl,
            }
    assert c.call("SELECT", 0) == S("OK")
    return out


def assert_same(got: dict, want: dict, what: str, encodings: bool = True) -> None:
    """Same keys, values (DIGEST-VALUE), types, TTLs (and OBJECT ENCODING, unless comparing with a
    live data set: an APPENDed string is "raw" in memory but "embstr" once reloaded)."""
    assert set(got["keys"]) == set(want["keys"]), what
    fields = ("digest", "encoding", "type") if encodings else ("digest", "type")
    for key, w in want["keys"].items():
        g = got["keys"][key]
        for field in fields:
            assert g[field] == w[field], \
                f"{what}: {key[0]}:{key[1][:40]!r} {field}: {g[field]!r} != {w[field]!r}"
        if w["ttl"] == "none":
            assert g["ttl"] == "none", (what, key)
        else:  # absolute expiry times are stored: the remaining TTLs differ by the time in between
            assert g["ttl"] != "none" and abs(g["ttl"] - w["ttl"]) < 60_000, (what, key, g["ttl"], w["ttl"])
    assert got["digest"] == want["digest"], what


def check_rdb(path) -> None:
    tool = shutil.which("redis-check-rdb")
    if not tool:
        return
    p = subprocess.run([tool, str(path)], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    assert p.returncode == 0 and "RDB looks OK" in out, out[-3000:]


def ember_to_redis(ember_factory, ref_factory, cmds, ember_args=()):
    ember = ember_factory(args=DEBUG + list(ember_args))
    c = ember.raw()
    load(c, cmds)
    live = snapshot(c)
    assert c.call("SAVE") == S("OK")
    ember.stop()
    check_rdb(ember.dir / "dump.rdb")
    # a real redis-server started on the server under test's directory loads its dump.rdb ...
    ref = ref_factory(args=DEBUG + ["--dir", str(ember.dir), "--dbfilename", "dump.rdb"])
    by_redis = snapshot(ref.raw())
    assert_same(by_redis, live, "redis loading the file of the server under test", encodings=False)
    # ... and shows the same encodings as the server under test reloading its own file
    ember.start()
    assert_same(snapshot(ember.raw()), by_redis, "the server under test reloading its own file")
    return by_redis


def redis_to_ember(ember_factory, ref_factory, cmds):
    ref = ref_factory(args=DEBUG)
    c = ref.raw()
    load(c, cmds)
    live = snapshot(c)
    assert c.call("SAVE") == S("OK")
    ref.stop()
    ember = ember_factory(args=DEBUG + ["--dir", str(ref.dir), "--dbfilename", "dump.rdb"])
    by_ember = snapshot(ember.raw())
    assert_same(by_ember, live, "the server under test loading redis's file", encodings=False)
    ref.start()  # redis reloading its own file: the encodings to match
    by_redis = snapshot(ref.raw())
    assert_same(by_ember, by_redis, "the server under test loading redis's file")
    return by_redis


# --------------------------------------------------------------------------- strings

@pytest.mark.parametrize("variant", ["default", "rdbcompression-no", "rdbchecksum-no"])
def test_strings_ember_to_redis(ember_factory, ref_factory, variant):
    args = {"default": [], "rdbcompression-no": ["--rdbcompression", "no"],
            "rdbchecksum-no": ["--rdbchecksum", "no"]}[variant]
    want = ember_to_redis(ember_factory, ref_factory, string_dataset(), args)
    assert set(want["keys"]) == {(db, _b(cmd[1])) for db, cmd in string_dataset()}


def test_strings_redis_to_ember(ember_factory, ref_factory):
    want = redis_to_ember(ember_factory, ref_factory, string_dataset())
    assert set(want["keys"]) == {(db, _b(cmd[1])) for db, cmd in string_dataset()}


def test_strings_full_circle(ember_factory, ref_factory):
    """redis -> server under test -> (SAVE) -> redis: still the same data set."""
    ref = ref_factory(args=DEBUG)
    load(ref.raw(), string_dataset())
    want = snapshot(ref.raw())
    assert ref.raw().call("SAVE") == S("OK")
    ref.stop()
    ember = ember_factory(args=DEBUG + ["--dir", str(ref.dir)])
    assert ember.raw().call("SAVE") == S("OK")
    ember.stop()
    check_rdb(ref.dir / "dump.rdb")
    ref2 = ref_factory(args=DEBUG + ["--dir", str(ref.dir)])
    assert_same(snapshot(ref2.raw()), want, "redis -> ember -> redis", encodings=False)


def test_redis_file_with_expired_key(ember_factory, ref_factory):
    """A key that expired while the file sat on disk is skipped at load by both servers."""
    ref = ref_factory(args=DEBUG)
    c = ref.raw()
    assert c.call("SET", "live", "1") == S("OK")
    assert c.call("SET", "dying", "2", "PX", "200") == S("OK")
    assert c.call("SAVE") == S("OK")
    ref.stop()
    time.sleep(0.3)
    ember = ember_factory(args=DEBUG + ["--dir", str(ref.dir)])
    e = ember.raw()
    assert e.call("DBSIZE") == I(1)
    assert e.call("EXISTS", "dying") == I(0)


# --------------------------------------------------------------------------- aggregate types

@pytest.mark.parametrize("kind", ["list", "set", "hash", "zset"])
@pytest.mark.parametrize("direction", ["ember-to-redis", "redis-to-ember"])
def test_aggregate_types(ember_factory, ref_factory, kind, direction):
    needs, cmds = aggregate_dataset(kind)
    probe = ember_factory()
    probe.skip_unless_commands(*needs)
    probe.stop()
    if direction == "ember-to-redis":
        want = ember_to_redis(ember_factory, ref_factory, cmds)
    else:
        want = redis_to_ember(ember_factory, ref_factory, cmds)
    encodings = {v["encoding"].value.decode() for v in want["keys"].values()}
    expected = {"list": {"quicklist"}, "set": {"intset", "hashtable"},
                "hash": {"listpack", "hashtable"}, "zset": {"listpack", "skiplist"}}[kind]
    assert encodings == expected  # both the small and the large encoding were exercised


# --------------------------------------------------------------------------- random data sets

@pytest.mark.parametrize("direction", ["ember-to-redis", "redis-to-ember"])
@pytest.mark.parametrize("seed", random_seeds([1, 2]))
def test_random_data_sets(ember_factory, ref_factory, direction, seed):
    """What a random workload over every type leaves behind (small and converted encodings, long
    TTLs, two databases) crosses over with the same keys, values, TTLs and encodings."""
    probe = ember_factory()
    probe.skip_unless_commands("LMPOP", "ZMPOP", "SORT", "EVAL", "COPY")
    probe.stop()
    cmds = random_workload(random.Random(seed), 1500, short_ttls=False)
    # Small listpack limits, so that keys convert on the way and both encodings get saved; and
    # keys of each type on either side of them, whatever the random part left.
    limits = [["CONFIG", "SET", "hash-max-listpack-entries", "4"],
              ["CONFIG", "SET", "zset-max-listpack-entries", "4"],
              ["CONFIG", "SET", "set-max-intset-entries", "4"],
              ["CONFIG", "SET", "list-max-listpack-size", "4"]]
    for n in (2, 10):
        items = [str(i) for i in range(n)]
        cmds += [["RPUSH", f"list{n}", *items], ["SADD", f"set{n}", *items],
                 ["HSET", f"hash{n}", *[x for i in items for x in (i, i)]],
                 ["ZADD", f"zset{n}", *[x for i in items for x in (i, i)]]]

    def fill(c):
        c.send_pipeline(limits + cmds)
        c.read_replies(len(limits) + len(cmds), timeout=10)

    if direction == "ember-to-redis":
        want = ember_to_redis(ember_factory, ref_factory, fill)
    else:
        want = redis_to_ember(ember_factory, ref_factory, fill)
    assert len(want["keys"]) > 8

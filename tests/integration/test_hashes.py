"""Hashes across persistence and replication: RDB round trips of both encodings (SAVE + restart,
DEBUG RELOAD), DUMP payloads byte-equal to Redis's, RDB files exchanged with Redis in both
directions, and replication (Ember -> Ember, Ember -> Redis, Redis -> Ember) of a write load
that includes HINCRBYFLOAT (propagated as HSET), all ending with equal DEBUG DIGEST.

    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_hashes.py
"""

from __future__ import annotations

import random
import shutil

import pytest

from harness.replication import (PAIRINGS, call, make_replica, run_commands, start_pairing,
                                 wait_in_sync)
from harness.resp import B, I, S

DEBUG = ["--enable-debug-command", "yes"]
EXPIRE_AT_MS = 4102444800000  # 2100-01-01


def _rng(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


def hash_dataset() -> list[tuple]:
    """Hashes in both encodings: integers of every listpack width, binary and empty strings,
    a value and a field over hash-max-listpack-value, over 512 fields, TTLs, two databases."""
    ints = ["0", "-1", "12", "127", "-4096", "4095", "32767", "-32768", "8388607", "-8388608",
            "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808", "007",
            "+1", "1.5"]
    cmds: list[tuple] = [("SELECT", 0)]
    cmds.append(("HSET", "lp:ints", *[x for i, v in enumerate(ints) for x in (f"f{i}", v)]))
    cmds.append(("HSET", "lp:intfields", *[x for v in ints for x in (v, "v")]))
    cmds.append(("HSET", "lp:bin", b"\x00\xff", b"\r\n\x00", "", "", "e", ""))
    cmds.append(("HSET", "lp:64", "f" * 64, "v" * 64))
    cmds.append(("HSET", "lp:ttl", "a", "1"))
    cmds.append(("PEXPIREAT", "lp:ttl", str(EXPIRE_AT_MS)))
    cmds.append(("HSET", "lp:edited", "a", "1", "b", "2", "c", "3"))
    cmds.append(("HINCRBY", "lp:edited", "a", "1000"))
    cmds.append(("HINCRBYFLOAT", "lp:edited", "b", "0.5"))
    cmds.append(("HDEL", "lp:edited", "c"))
    cmds.append(("HSET", "lp:edited", "a", "a string now"))
    cmds.append(("HSET", "ht:value", "f", "v" * 65, "g", "1"))
    cmds.append(("HSET", "ht:field", "k" * 100, "1"))
    cmds.append(("HSET", "ht:random", "r", _rng(1, 3000), "text", "all work and no play " * 50))
    cmds.append(("HSET", "ht:many", *[x for i in range(600) for x in (f"field:{i}", str(i * 7))]))
    cmds.append(("HDEL", "ht:many", *[f"field:{i}" for i in range(0, 600, 10)]))
    cmds.append(("HSET", "ht:ttl", "f", "x" * 200))
    cmds.append(("EXPIRE", "ht:ttl", "100000"))
    cmds.append(("SELECT", 5))
    cmds.append(("HSET", "db5", "a", "1", "b", "x" * 70))
    cmds.append(("HSET", "db5:small", "a", "1"))
    cmds.append(("SELECT", 0))
    return cmds


def digest(srv) -> bytes:
    r = srv.raw().call("DEBUG", "DIGEST")
    return r.value if isinstance(r.value, bytes) else r.value.encode()


def encodings(srv) -> dict[tuple[int, bytes], bytes]:
    c = srv.raw()
    out = {}
    for db in (0, 5):
        c.call("SELECT", db)
        for key in c.call("KEYS", "*").py():
            out[(db, key)] = c.call("OBJECT", "ENCODING", key).value
    return out


def test_rdb_round_trip_and_reload(ember_factory):
    srv = ember_factory(args=DEBUG)
    srv.skip_unless_commands("HSET", "HINCRBYFLOAT")
    run_commands(srv, hash_dataset())
    before, enc = digest(srv), encodings(srv)
    assert enc[(0, b"lp:ints")] == b"listpack" and enc[(0, b"ht:many")] == b"hashtable"
    assert enc[(0, b"lp:64")] == b"listpack" and enc[(0, b"ht:value")] == b"hashtable"

    assert srv.raw().call("DEBUG", "RELOAD") == S("OK")
    assert digest(srv) == before
    assert encodings(srv) == enc

    assert srv.raw().call("SAVE") == S("OK")
    srv.stop()
    srv.start()
    assert digest(srv) == before
    assert encodings(srv) == enc
    c = srv.raw()
    assert c.call("HGET", "lp:ints", "f12") == B(b"9223372036854775807")
    assert c.call("HLEN", "ht:many") == I(540)
    assert 0 < c.call("PTTL", "lp:ttl").value

    # Loading re-chooses the encoding by the current limits: a hashtable that shrank back under
    # them becomes a listpack, and a listpack over the entry limit becomes a hashtable.
    c.call("HDEL", "ht:value", "f")
    c.call("CONFIG", "SET", "hash-max-listpack-entries", "2")
    assert c.call("DEBUG", "RELOAD") == S("OK")
    assert c.call("OBJECT", "ENCODING", "ht:value") == B(b"listpack")
    assert c.call("OBJECT", "ENCODING", "lp:edited") == B(b"listpack")
    assert c.call("OBJECT", "ENCODING", "lp:ints") == B(b"hashtable")


def test_dump_restore_against_redis(ember_factory, ref_factory):
    ember, redis = ember_factory(args=DEBUG), ref_factory(args=DEBUG)
    ember.skip_unless_commands("HSET", "HINCRBYFLOAT")
    for srv in (ember, redis):
        run_commands(srv, hash_dataset())
    e, r = ember.raw(), redis.raw()
    for key in [b"lp:ints", b"lp:intfields", b"lp:bin", b"lp:64", b"lp:edited", b"lp:ttl"]:
        # Same operations, same listpack bytes: the payloads are identical.
        assert e.call("DUMP", key) == r.call("DUMP", key), key
    for key in [b"ht:value", b"ht:field", b"ht:random", b"ht:many", b"lp:ints"]:
        # Each RESTOREs the other's payload to the same value (hashtable order differs).
        want = r.call("DEBUG", "DIGEST-VALUE", key)
        assert e.call("DEBUG", "DIGEST-VALUE", key) == want, key
        for src, dst in ((e, r), (r, e)):
            payload = src.call("DUMP", key).value
            assert dst.call("RESTORE", b"copy:" + key, 0, payload) == S("OK"), key
            assert dst.call("DEBUG", "DIGEST-VALUE", b"copy:" + key) == want, key
            assert dst.call("OBJECT", "ENCODING", b"copy:" + key) == \
                src.call("OBJECT", "ENCODING", key), key
    # A corrupt payload (bad listpack inside a good checksum cannot be built by hand here, but a
    # cut one can) is refused without harm.
    payload = e.call("DUMP", "lp:ints").value
    assert e.call("RESTORE", "cut", 0, payload[:-12]).kind == "error"
    assert e.call("PING") == S("PONG")


@pytest.mark.parametrize("direction", ["ember>redis", "redis>ember"])
def test_rdb_files_exchanged_with_redis(ember_factory, ref_factory, direction):
    ember, redis = ember_factory(args=DEBUG), ref_factory(args=DEBUG)
    ember.skip_unless_commands("HSET", "HINCRBYFLOAT")
    writer, reader = (ember, redis) if direction == "ember>redis" else (redis, ember)
    run_commands(writer, hash_dataset())
    want, enc = digest(writer), encodings(writer)
    assert writer.raw().call("SAVE") == S("OK")
    reader.stop()
    shutil.copyfile(writer.dir / "dump.rdb", reader.dir / "dump.rdb")
    reader.start()
    assert digest(reader) == want
    assert encodings(reader) == enc


def write_load(seed: int) -> list[tuple]:
    rng = random.Random(seed)
    cmds: list[tuple] = []
    for i in range(400):
        k = f"h{rng.randrange(8)}"
        f = f"f{rng.randrange(20)}"
        op = rng.randrange(8)
        if op == 0:
            cmds.append(("HSET", k, f, rng.choice(["1", "x", "y" * 80, str(i)])))
        elif op == 1:
            cmds.append(("HINCRBYFLOAT", k, f"float{rng.randrange(3)}", rng.choice(["0.1", "-2.5", "1e10"])))
        elif op == 2:
            cmds.append(("HINCRBY", k, f"int{rng.randrange(3)}", str(rng.randrange(-50, 50))))
        elif op == 3:
            cmds.append(("HDEL", k, f, f"f{rng.randrange(20)}"))
        elif op == 4:
            cmds.append(("HSETNX", k, f, str(i)))
        elif op == 5:
            cmds.append(("HMSET", k, f, "m", "f99", str(i)))
        elif op == 6:
            cmds.append(("HRANDFIELD", k, "-3", "WITHVALUES"))
        else:
            cmds.append(("HSET", f"big{rng.randrange(2)}", *[x for j in range(30) for x in (f"{i}:{j}", "v")]))
    return cmds


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_replication(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory,
                                    needs=("HSET", "HINCRBYFLOAT"))
    # Some hashes before the full sync, written with lowered limits on the master; the rest is
    # streamed.
    call(master, "CONFIG", "SET", "hash-max-listpack-entries", "16")
    run_commands(master, hash_dataset() + write_load(1))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    run_commands(master, write_load(2))
    wait_in_sync(master, replica)
    assert call(replica, "HLEN", "ht:many") == I(540)

"""Sets end to end: RDB round trips of both encodings (SAVE + restart, DEBUG RELOAD), DUMP payloads
byte-equal to real Redis 7.0's, RDB files exchanged with Redis, and replication of a set write
load between Ember and Redis in every direction, checked with DEBUG DIGEST (SPOP's randomness
stays on the master: it is propagated as SREM, or as DEL when the whole set goes).

Run against Redis itself to check the tests:
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_sets.py
"""

from __future__ import annotations

import random
import shutil

import pytest

from harness.replication import (PAIRINGS, call, info_fields, make_replica, run_commands,
                                 start_pairing, wait_in_sync)
from harness.resp import I, S

DEBUG = ["--enable-debug-command", "yes"]
SET_COMMANDS = ("SADD", "SREM", "SPOP", "SMOVE", "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE")


def dataset() -> list[tuple]:
    """Sets of every encoding and intset width, binary members, a TTL, and a converted set."""
    rng = random.Random(7)
    return [
        ("SADD", "int16", *[str(i) for i in range(-50, 50)]),
        ("SADD", "int32", "1", "70000", "-70000"),
        ("SADD", "int64", "-9223372036854775808", "9223372036854775807", "0"),
        ("SADD", "one-int", "42"),
        ("SADD", "one-str", "hello"),
        ("SADD", "strings", "a", "", "b" * 300, "\x00\xff\r\n", "12", "-0", "01"),
        ("SADD", "many-ints", *[str(i * 3) for i in range(1000)]),
        ("SADD", "many-strings", *[f"member:{i}" for i in range(2000)]),
        ("SADD", "random", *[rng.randbytes(rng.randint(1, 40)) for _ in range(300)]),
        ("SADD", "converted", "1", "2", "x"),
        ("SREM", "converted", "x"),
        ("SADD", "ttl", "1", "2"),
        ("PEXPIRE", "ttl", "100000000"),
    ]


def encodings(c, keys) -> dict:
    return {k: c.call("OBJECT", "ENCODING", k).value for k in keys}


def digest(c) -> bytes:
    r = c.call("DEBUG", "DIGEST")
    assert not r.is_error, r
    return r.value


KEYS = ["int16", "int32", "int64", "one-int", "one-str", "strings", "many-ints", "many-strings",
        "random", "converted", "ttl"]


def test_rdb_round_trip_every_encoding(ember_factory):
    srv = ember_factory(args=DEBUG)
    srv.skip_unless_commands("SADD")
    c = srv.raw()
    run_commands(srv, dataset())
    want_digest, want_enc = digest(c), encodings(c, KEYS)
    assert want_enc["int64"] == b"intset" and want_enc["converted"] == b"hashtable"
    assert want_enc["many-ints"] == b"hashtable"
    # A hashtable holding only a few integers loads back as an intset, as Redis loads it.
    want_enc["converted"] = b"intset"

    assert c.call("DEBUG", "RELOAD") == S("OK")
    assert digest(c) == want_digest
    assert encodings(c, KEYS) == want_enc

    assert c.call("SAVE") == S("OK")
    srv.stop()
    srv.start()
    c = srv.raw()
    assert digest(c) == want_digest
    assert encodings(c, KEYS) == want_enc
    assert c.call("PTTL", "ttl").value > 0


def test_loading_follows_the_current_intset_limit(ember_factory):
    srv = ember_factory(args=DEBUG)
    srv.skip_unless_commands("SADD")
    c = srv.raw()
    run_commands(srv, [("SADD", "s", *[str(i) for i in range(10)])])
    assert c.call("SAVE") == S("OK")
    srv.stop()
    srv.extra_args += ["--set-max-intset-entries", "5"]
    srv.start()
    c = srv.raw()
    assert c.call("OBJECT", "ENCODING", "s").value == b"hashtable"
    assert c.call("SCARD", "s") == I(10)


@pytest.fixture
def pair(ember_factory, ref_factory):
    ember = ember_factory(args=DEBUG)
    ember.skip_unless_commands(*SET_COMMANDS)
    return ember, ref_factory(args=DEBUG)


def test_dump_matches_redis(pair):
    """Intsets dump byte for byte as Redis does; so does a one-member hashtable. A larger
    hashtable's member order follows the hash function, so there each side restores the other's
    payload to the same value."""
    ember, redis_srv = pair
    e, r = ember.raw(), redis_srv.raw()
    for srv in (ember, redis_srv):
        run_commands(srv, dataset())
    for key in ("int16", "int32", "int64", "one-int", "one-str"):
        assert e.call("DUMP", key) == r.call("DUMP", key), key
    for key in ("strings", "many-ints", "many-strings", "random"):
        for src, dst in ((e, r), (r, e)):
            payload = src.call("DUMP", key).value
            assert dst.call("RESTORE", "copy", "0", payload, "REPLACE") == S("OK")
            assert dst.call("DEBUG", "DIGEST-VALUE", "copy") == src.call("DEBUG", "DIGEST-VALUE",
                                                                         key), key
            assert dst.call("OBJECT", "ENCODING", "copy") == src.call("OBJECT", "ENCODING", key)


def test_rdb_files_exchanged_with_redis(pair):
    ember, redis_srv = pair
    for writer, reader in ((ember, redis_srv), (redis_srv, ember)):
        run_commands(writer, [("FLUSHALL",)] + dataset())
        w = writer.raw()
        want_digest, want_enc = digest(w), encodings(w, KEYS)
        want_enc["converted"] = b"intset"  # few integers: an intset again once loaded
        assert w.call("SAVE") == S("OK")
        reader.stop()
        shutil.copyfile(writer.dir / "dump.rdb", reader.dir / "dump.rdb")
        reader.start()
        r = reader.raw()
        assert digest(r) == want_digest, f"{writer.name} -> {reader.name}"
        assert encodings(r, KEYS) == want_enc


def write_load(seed: int) -> list[tuple]:
    """SADD/SREM/SMOVE/*STORE and SPOP of every strategy (one member, few, most, all)."""
    rng = random.Random(seed)
    cmds = [("SADD", "big", *[f"m{i}" for i in range(300)]),
            ("SADD", "ints", *[str(i) for i in range(200)]),
            ("SADD", "mostly", *[str(i) for i in range(50)]),
            ("SADD", "whole", "a", "b", "1")]
    for _ in range(300):
        k = rng.choice(["big", "ints", "s1", "s2"])
        m = rng.choice([str(rng.randint(0, 300)), f"m{rng.randint(0, 300)}"])
        cmds.append(rng.choice([
            ("SADD", k, m, str(rng.randint(0, 50))),
            ("SREM", k, m),
            ("SPOP", k),
            ("SPOP", k, str(rng.randint(1, 4))),
            ("SMOVE", k, rng.choice(["s1", "s2", "big"]), m),
            ("SINTERSTORE", "inter", k, "big"),
            ("SUNIONSTORE", "union", k, "s1", "s2"),
            ("SDIFFSTORE", "diff", "big", k),
        ]))
    cmds += [("SPOP", "mostly", "45"),   # keeps few: survivors moved to a new set
             ("SPOP", "ints", "3"),      # pops few one by one
             ("SPOP", "whole", "10")]    # everything: DEL
    return cmds


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_replication_of_set_writes(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory, needs=SET_COMMANDS)
    run_commands(master, write_load(1))
    make_replica(replica, master)
    wait_in_sync(master, replica)  # full sync
    run_commands(master, write_load(2))
    wait_in_sync(master, replica)  # the live stream: offsets, then DEBUG DIGEST
    assert call(replica, "EXISTS", "whole") == I(0)
    # SPOP reaches the replica as SREM (and DEL for the whole set), never as SPOP.
    stats = info_fields(replica, "commandstats")
    assert "cmdstat_srem" in stats and "cmdstat_spop" not in stats, stats.keys()
    assert "cmdstat_del" in stats

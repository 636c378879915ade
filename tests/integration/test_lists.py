"""Lists end to end: RDB round trips (SAVE + restart, DEBUG RELOAD) for every node layout, DUMP
payloads byte-equal to Redis 7.0's, RDB files exchanged with a real redis-server, and
replication of a list write load (including the commands propagated as rewrites: BLPOP -> LPOP,
BLMOVE -> LMOVE, BRPOPLPUSH -> RPOPLPUSH, LMPOP/BLMPOP -> LPOP/RPOP key count) between Ember and
Redis in every direction, checked by DEBUG DIGEST.

    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_lists.py
"""

from __future__ import annotations

import random
import shutil

import pytest

from harness.replication import PAIRINGS, digest, make_replica, start_pairing, wait_in_sync
from harness.resp import S

DEBUG = ["--enable-debug-command", "yes"]
LIST_COMMANDS = ("RPUSH", "LPUSH", "LRANGE", "LINSERT", "LSET", "LREM", "LTRIM", "LMPOP", "BLPOP",
                 "BLMOVE", "BRPOPLPUSH", "BLMPOP", "LMOVE", "RPOPLPUSH")

# (list-max-listpack-size, list-compress-depth): the default, small count-limited nodes with
# compression, and the largest nodes.
LAYOUTS = [(-2, 0), (4, 1), (-5, 2)]


def _dataset(layout_tag: str) -> list[tuple]:
    """Commands building lists of every shape: one node, many nodes, integers of every listpack
    width, elements larger than a node, lists edited in the middle."""
    rng = random.Random(7)
    cmds: list[tuple] = [
        ("RPUSH", "small", "a", "b", "c"),
        ("RPUSH", "ints", *[str(v) for v in (0, 1, -1, 127, 128, -4096, 4095, 32767, -32768,
                                              8388607, -8388608, 2147483647, -2147483648,
                                              9223372036854775807, -9223372036854775808)]),
        ("RPUSH", "mixed", "007", "1.5", "", "\x00\xff", "-0", "+1"),
        ("RPUSH", "big", "x" * 9000, "tiny", "y" * 70000),
    ]
    long = [f"{layout_tag}-item-{i}-" + "p" * (i % 17) for i in range(3000)]
    for i in range(0, len(long), 500):
        cmds.append(("RPUSH", "long", *long[i:i + 500]))
    cmds.append(("LPUSH", "long", *[str(rng.randrange(-10**6, 10**6)) for _ in range(300)]))
    cmds += [
        ("LINSERT", "long", "AFTER", f"{layout_tag}-item-1500-" + "p" * (1500 % 17), "inserted"),
        ("LSET", "long", "700", "replaced"),
        ("LREM", "long", "5", f"{layout_tag}-item-10-" + "p" * 10),
        ("LTRIM", "long", "3", "-4"),
        ("RPUSH", "edited", *[str(i) for i in range(200)]),
        ("LINSERT", "edited", "BEFORE", "100", "a-longer-element-in-the-middle"),
        ("LREM", "edited", "0", "7"),
    ]
    return cmds


def _configure(srv, fill: int, depth: int) -> None:
    c = srv.raw()
    assert c.call("CONFIG", "SET", "list-max-listpack-size", str(fill)) == S("OK")
    assert c.call("CONFIG", "SET", "list-compress-depth", str(depth)) == S("OK")


def _run(srv, cmds) -> list:
    c = srv.raw()
    return [c.call(*cmd) for cmd in cmds]


def _contents(srv) -> dict:
    r = srv.client()
    return {k: r.lrange(k, 0, -1) for k in sorted(r.keys("*"))}


@pytest.mark.parametrize("fill,depth", LAYOUTS)
def test_rdb_round_trip_and_reload(ember_factory, fill, depth):
    srv = ember_factory(args=DEBUG)
    srv.skip_unless_commands(*LIST_COMMANDS)
    _configure(srv, fill, depth)
    _run(srv, _dataset("rt"))
    before, contents = digest(srv), _contents(srv)
    assert srv.raw().call("DEBUG", "RELOAD") == S("OK")
    assert digest(srv) == before
    assert srv.raw().call("SAVE") == S("OK")
    srv.stop()
    srv.start()
    assert digest(srv) == before
    assert _contents(srv) == contents
    assert srv.raw().call("OBJECT", "ENCODING", "long").value == b"quicklist"


@pytest.mark.parametrize("fill,depth", LAYOUTS)
def test_dump_equals_redis_and_restores_both_ways(ember_factory, ref_factory, fill, depth):
    ember, redis_srv = ember_factory(args=DEBUG), ref_factory(args=DEBUG)
    ember.skip_unless_commands(*LIST_COMMANDS)
    for srv in (ember, redis_srv):
        _configure(srv, fill, depth)
        _run(srv, _dataset("dump"))
    e, r = ember.raw(), redis_srv.raw()
    keys = sorted(redis_srv.client().keys("*"))
    assert keys == sorted(ember.client().keys("*"))
    for key in keys:
        e_dump, r_dump = e.call("DUMP", key), r.call("DUMP", key)
        assert e_dump == r_dump, key  # same nodes, same bytes
        # and each side's payload restores on the other with the same value
        assert e.call("RESTORE", key + b":from-redis", "0", r_dump.value) == S("OK")
        assert r.call("RESTORE", key + b":from-ember", "0", e_dump.value) == S("OK")
        assert e.call("DEBUG", "DIGEST-VALUE", key + b":from-redis") == \
            r.call("DEBUG", "DIGEST-VALUE", key)
    assert digest(ember) != "0" * 40
    assert e.call("RESTORE", "k", "0", b"\x12\x01\x02\x05bogus\x0a\x00" + b"\x00" * 8).kind == "error"


def test_rdb_files_exchanged_with_redis(ember_factory, ref_factory):
    ember, redis_srv = ember_factory(args=DEBUG), ref_factory(args=DEBUG)
    ember.skip_unless_commands(*LIST_COMMANDS)
    for srv in (ember, redis_srv):
        _configure(srv, 8, 1)
        _run(srv, _dataset("file"))
    want = digest(redis_srv)
    assert digest(ember) == want
    # Ember's file into Redis, and Redis's into Ember
    assert digest(_load_saved_file(ember, ref_factory)) == want
    assert digest(_load_saved_file(redis_srv, ember_factory)) == want


def _load_saved_file(source, factory):
    """SAVE on `source`, then start a server from `factory` on a copy of that file."""
    assert source.raw().call("SAVE") == S("OK")
    target = factory(args=DEBUG)
    target.stop()
    shutil.copyfile(source.dir / "dump.rdb", target.dir / "dump.rdb")
    target.start()
    return target


def _write_load(srv) -> None:
    """List writes including the non-deterministic and rewritten ones (served paths only)."""
    c = srv.raw()
    rng = random.Random(3)
    for i in range(300):
        k = f"q{rng.randrange(6)}"
        other = f"q{rng.randrange(6)}"
        v = rng.choice(["a", "b", "1", "-5", "x" * rng.randrange(1, 300)])
        op = rng.randrange(14)
        # the blocking commands stay on their served paths: `k` is never empty here
        c.call("RPUSH", k, "refill")
        if op < 4:
            c.call(rng.choice(["LPUSH", "RPUSH"]), k, v, f"{v}{i}")
        elif op == 4:
            c.call("LPOP", k, str(rng.randrange(0, 4)))
        elif op == 5:
            c.call("BLPOP", "nokey", k, other, "1")
        elif op == 6:
            c.call("BRPOP", k, "1")
        elif op == 7:
            c.call("BLMOVE", k, other, rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"]),
                   "1")
        elif op == 8:
            c.call("BRPOPLPUSH", k, other, "1")
        elif op == 9:
            c.call("BLMPOP", "1", "2", "nokey", k, rng.choice(["LEFT", "RIGHT"]), "COUNT",
                   str(rng.randrange(1, 5)))
        elif op == 10:
            c.call("LMPOP", "2", k, other, "RIGHT", "COUNT", str(rng.randrange(1, 9)))
        elif op == 11:
            c.call("LINSERT", k, rng.choice(["BEFORE", "AFTER"]), "a", f"ins{i}")
        elif op == 12:
            c.call("LSET", k, str(rng.randrange(-3, 3)), f"set{i}")
        else:
            c.call(rng.choice(["LREM", "LTRIM"]), k, str(rng.randrange(-2, 3)),
                   rng.choice(["a", "-1"]))


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_replication_of_list_writes(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory, needs=LIST_COMMANDS)
    _configure(master, 8, 1)
    _run(master, _dataset("repl")[:6])  # some data for the full sync
    make_replica(replica, master)
    wait_in_sync(master, replica)
    _write_load(master)
    wait_in_sync(master, replica)
    assert digest(master) == digest(replica)
    assert digest(master) != "0" * 40

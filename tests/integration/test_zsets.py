"""Sorted sets end to end: RDB round trips of both encodings (SAVE + restart, DEBUG RELOAD), DUMP
payloads byte-identical to Redis 7.0's and RESTOREd across, RDB files exchanged with Redis in
both directions, a whole ZSCAN of a skiplist, and replication of a zset write load (including
the pops Redis rewrites: ZMPOP, BZPOPMIN, BZMPOP) between Ember and Redis in every pairing.
"""

from __future__ import annotations

import random
import shutil

import pytest

from harness.replication import PAIRINGS, digest, make_replica, start_pairing, wait_in_sync

DEBUG = ["--enable-debug-command", "yes"]
EXPIRE_AT_MS = 4102444800000  # 2100-01-01


def dataset(rng: random.Random) -> list[tuple]:
    """Commands building zsets of both encodings with awkward members and scores."""
    cmds = [
        ("ZADD", "small", "1", "a", "2", "b", "3", "c"),
        ("ZADD", "scores", "-inf", "ninf", "+inf", "pinf", "0", "zero", "-0", "negzero",
         "0.1", "tenth", "1e17", "big", "4611686018427387904", "huge", "-1.5", "neg",
         "1e-310", "subnormal", "12", "123", "3", "-7"),
        ("ZADD", "binary", "1", b"\x00\xff", "2", b"\r\n", "3", ""),
        ("ZADD", "ttl", "1", "x"),
        ("PEXPIREAT", "ttl", str(EXPIRE_AT_MS)),
        ("ZADD", "longmember", "1", "m" * 65, "2", "short"),
    ]
    big = []
    for i in range(300):
        big += [str(rng.choice([i, i / 7, -i, 1e20 + i])), f"member:{i}"]
    cmds.append(("ZADD", "large", *big))
    lex = []
    for i in range(150):
        lex += ["0", f"lex{i:04d}"]
    cmds.append(("ZADD", "lexset", *lex))
    return cmds


def load(srv, cmds):
    c = srv.client()
    for cmd in cmds:
        c.execute_command(*cmd)
    return c


def encodings(c) -> dict:
    return {k: c.object("encoding", k) for k in sorted(c.keys("*"))}


def expected_encodings():
    return {b"binary": b"listpack", b"large": b"skiplist", b"lexset": b"skiplist",
            b"longmember": b"skiplist", b"scores": b"listpack", b"small": b"listpack",
            b"ttl": b"listpack"}


@pytest.fixture
def pair(ember_factory, ref_factory):
    ember = ember_factory(args=DEBUG)
    ember.skip_unless_commands("ZADD", "ZRANGE", "ZMPOP", "BZPOPMIN")
    return ember, ref_factory(args=DEBUG)


def test_rdb_round_trip_and_debug_reload(ember_factory):
    srv = ember_factory(args=DEBUG)
    srv.skip_unless_commands("ZADD")
    c = load(srv, dataset(random.Random(1)))
    before = c.execute_command("DEBUG", "DIGEST")
    assert encodings(c) == expected_encodings()
    assert c.execute_command("DEBUG", "RELOAD") in (True, b"OK")
    assert c.execute_command("DEBUG", "DIGEST") == before
    assert encodings(c) == expected_encodings()
    assert c.save()
    srv.restart()
    c = srv.client()
    assert c.execute_command("DEBUG", "DIGEST") == before
    assert encodings(c) == expected_encodings()
    assert c.pttl("ttl") > 0
    assert c.zrange("large", 0, 2, withscores=True) == sorted(
        c.zrange("large", 0, -1, withscores=True), key=lambda p: (p[1], p[0]))[:3]


def test_rdb_reload_converts_to_current_limits(ember_factory):
    srv = ember_factory(args=DEBUG)
    srv.skip_unless_commands("ZADD")
    c = load(srv, dataset(random.Random(2)))
    before = c.execute_command("DEBUG", "DIGEST")
    # A listpack over the new limit loads as a skiplist; a skiplist that fits loads compact.
    c.config_set("zset-max-listpack-entries", "2")
    c.execute_command("DEBUG", "RELOAD")
    assert c.object("encoding", "small") == b"skiplist"
    c.config_set("zset-max-listpack-entries", "1000")
    c.config_set("zset-max-listpack-value", "100")
    c.execute_command("DEBUG", "RELOAD")
    assert c.object("encoding", "large") == b"listpack"
    assert c.object("encoding", "longmember") == b"listpack"
    assert c.execute_command("DEBUG", "DIGEST") == before


def test_dump_payloads_equal_redis(pair):
    ember, redis = pair
    cmds = dataset(random.Random(3))
    ce, cr = load(ember, cmds), load(redis, cmds)
    assert ce.execute_command("DEBUG", "DIGEST") == cr.execute_command("DEBUG", "DIGEST")
    for key in sorted(cr.keys("*")):
        dump = cr.dump(key)
        assert ce.dump(key) == dump, key
        # Each side restores the other's payload to the same value.
        ce.restore(b"copy:" + key, 0, dump)
        cr.restore(b"copy:" + key, 0, ce.dump(key))
        assert (ce.execute_command("DEBUG", "DIGEST-VALUE", b"copy:" + key) ==
                cr.execute_command("DEBUG", "DIGEST-VALUE", b"copy:" + key))
        assert ce.object("encoding", b"copy:" + key) == cr.object("encoding", key)
    assert ce.execute_command("DEBUG", "DIGEST") == cr.execute_command("DEBUG", "DIGEST")


def test_rdb_files_exchanged_with_redis(ember_factory, ref_factory):
    cmds = dataset(random.Random(4))
    # Ember writes, Redis reads.
    ember = ember_factory(args=DEBUG)
    ember.skip_unless_commands("ZADD")
    ce = load(ember, cmds)
    want = ce.execute_command("DEBUG", "DIGEST")
    assert ce.save()
    redis = ref_factory(args=DEBUG, start=False)
    shutil.copy(ember.dir / "dump.rdb", redis.dir / "dump.rdb")
    redis.start()
    cr = redis.client()
    assert cr.execute_command("DEBUG", "DIGEST") == want
    assert encodings(cr) == expected_encodings()
    # Redis writes, Ember reads.
    cr.zadd("from-redis", {"a": 1.5, "b": 2})
    assert cr.save()
    want = cr.execute_command("DEBUG", "DIGEST")
    ember2 = ember_factory(args=DEBUG, start=False)
    shutil.copy(redis.dir / "dump.rdb", ember2.dir / "dump.rdb")
    ember2.start()
    ce2 = ember2.client()
    assert ce2.execute_command("DEBUG", "DIGEST") == want
    assert encodings(ce2) == {**expected_encodings(), b"from-redis": b"listpack"}


def test_zscan_walks_a_skiplist(ember_factory):
    srv = ember_factory()
    srv.skip_unless_commands("ZSCAN")
    c = srv.client()
    members = {f"m{i}".encode(): float(i) / 4 for i in range(1000)}
    c.zadd("z", members)
    assert c.object("encoding", "z") == b"skiplist"
    seen = {}
    cursor, rounds = 0, 0
    while True:
        cursor, items = c.zscan("z", cursor, count=50)
        seen.update(dict(items))
        rounds += 1
        if cursor == 0:
            break
        assert rounds < 1000
    assert seen == members
    # MATCH filters members; the scores come along.
    _, items = c.zscan("z", 0, match="m99*", count=10000)
    assert dict(items) == {k: v for k, v in members.items() if k.startswith(b"m99")}


def write_load(c, rng: random.Random):
    """Zset writes including the ones Redis replicates rewritten."""
    for i in range(200):
        key = f"z{rng.randrange(4)}"
        op = rng.randrange(10)
        if op < 4:
            c.zadd(key, {f"m{rng.randrange(300)}": rng.choice([rng.random() * 100, 1, -2.5])})
        elif op == 4:
            c.zincrby(key, 1.25, f"m{rng.randrange(300)}")
        elif op == 5:
            c.execute_command("ZMPOP", "2", key, "z9", rng.choice(["MIN", "MAX"]), "COUNT", "3")
        elif op == 6 and c.zcard(key):
            c.execute_command(rng.choice(["BZPOPMIN", "BZPOPMAX"]), key, "0")
        elif op == 7 and c.zcard(key):
            c.execute_command("BZMPOP", "0", "1", key, "MAX", "COUNT", "2")
        elif op == 8:
            c.execute_command("ZUNIONSTORE", "u", "2", key, "z1", "WEIGHTS", "1", "2")
            c.execute_command("ZRANGESTORE", "r", key, "1", "50", "BYSCORE", "LIMIT", "0", "5")
        else:
            c.zremrangebyscore(key, 10, 20)
            c.zpopmin(key, 2)
    c.zadd("big", {f"b{i}": i for i in range(500)})
    c.execute_command("ZADD", "big", "INCR", "3", "b7")


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_replication(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory,
                                    needs=("ZADD", "ZMPOP", "BZMPOP"))
    c = master.client()
    c.zadd("before-sync", {"a": 1, "b": 2})  # carried by the full sync
    make_replica(replica, master)
    write_load(c, random.Random(7))
    wait_in_sync(master, replica)
    assert digest(master) == digest(replica)
    r = replica.client()
    assert r.zrange("big", 0, -1, withscores=True) == c.zrange("big", 0, -1, withscores=True)

"""Seeded random workloads over every data type, replicated: a master (the server under test or
real Redis 7.0) with replicas of both kinds attached before the load (the live stream) and after
it (a full sync of the result), then DEBUG DIGEST equal everywhere.

The workload mixes what replication must get right beyond plain writes: commands whose result is
random (SPOP, scripts writing what SRANDMEMBER chose), effects that differ from the command (pops,
INCRBYFLOAT, SORT ... STORE, expiry of keys with millisecond TTLs during the run, blocking pops
served by later pushes), MULTI/EXEC, scripts, SELECT/MOVE/SWAPDB across databases, and commands
that fail (WRONGTYPE and friends), which must propagate nothing.

Longer soak: EMBER_RANDOM_SEEDS=1-50 (see tests/compat/README.md).
"""

from __future__ import annotations

import random

import pytest

from harness.replication import REPL_ARGS, info_fields, make_replica, wait_in_sync
from harness.util import random_seeds, wait_for

pytestmark = pytest.mark.needs_ref

LISTS, HASHES, SETS, ZSETS, STRINGS = ["l1", "l2", "l3"], ["h1", "h2"], ["s1", "s2", "s3"], \
    ["z1", "z2", "z3"], ["x1", "x2", "x3"]
KEYS = LISTS + HASHES + SETS + ZSETS + STRINGS
VALUES = ["a", "b", "c", "1", "2", "-7", "3.5", "", "longer-value-" + "v" * 20, "10"]
SCORES = ["0", "1", "-2.5", "3", "1e3", "+inf", "-inf"]

SCRIPTS = [
    # Its effect depends on a random choice: replicas must get the chosen value.
    ("local v = redis.call('SRANDMEMBER', KEYS[1]) "
     "if v then redis.call('SET', KEYS[2], v) end return v", 2),
    ("redis.call('INCRBYFLOAT', KEYS[1], '1.25') return redis.call('SPOP', KEYS[2])", 2),
    ("local n = redis.call('RPUSH', KEYS[1], ARGV[1]) "
     "redis.call('ZADD', KEYS[2], n, ARGV[1]) return n", 2),
]


def _command(rng: random.Random) -> list[str]:
    l, l2 = rng.choice(LISTS), rng.choice(LISTS)
    h, s, s2 = rng.choice(HASHES), rng.choice(SETS), rng.choice(SETS)
    z, z2, x = rng.choice(ZSETS), rng.choice(ZSETS), rng.choice(STRINGS)
    k, k2 = rng.choice(KEYS), rng.choice(KEYS)
    v, v2 = rng.choice(VALUES), rng.choice(VALUES)
    choices = [
        lambda: ["RPUSH", l, v, v2], lambda: ["LPUSH", l, v],
        lambda: ["LPOP", l, rng.choice(["1", "2"])], lambda: ["RPOP", l],
        lambda: ["LMOVE", l, l2, "LEFT", "RIGHT"], lambda: ["LTRIM", l, "1", "-2"],
        lambda: ["LREM", l, "0", v], lambda: ["LINSERT", l, "BEFORE", v, v2],
        lambda: ["LSET", l, "0", v], lambda: ["LMPOP", "2", l, l2, "RIGHT", "COUNT", "2"],
        lambda: ["HSET", h, v, v2, v2, v], lambda: ["HDEL", h, v],
        lambda: ["HINCRBY", h, "n", "3"], lambda: ["HINCRBYFLOAT", h, "f", "0.1"],
        lambda: ["HSETNX", h, v, v2],
        lambda: ["SADD", s, v, v2, str(rng.randrange(100))], lambda: ["SREM", s, v],
        lambda: ["SPOP", s], lambda: ["SPOP", s, rng.choice(["2", "5"])],
        lambda: ["SMOVE", s, s2, v], lambda: ["SINTERSTORE", s, s2, rng.choice(SETS)],
        lambda: ["SUNIONSTORE", s, s2, rng.choice(SETS)], lambda: ["SDIFFSTORE", s, s2, s],
        lambda: ["ZADD", z, rng.choice(SCORES), v, rng.choice(SCORES), v2],
        lambda: ["ZINCRBY", z, "1.5", v], lambda: ["ZREM", z, v],
        lambda: ["ZPOPMIN", z], lambda: ["ZPOPMAX", z, "2"],
        lambda: ["ZMPOP", "2", z, z2, "MIN", "COUNT", "2"],
        lambda: ["ZUNIONSTORE", z, "2", z, z2, "WEIGHTS", "1", "2"],
        lambda: ["ZRANGESTORE", z, z2, "0", "2"],
        lambda: ["ZREMRANGEBYSCORE", z, "-inf", "(0"],
        lambda: ["SET", x, v], lambda: ["INCR", x], lambda: ["APPEND", x, v],
        lambda: ["SETRANGE", x, "3", v], lambda: ["GETDEL", x],
        lambda: ["INCRBYFLOAT", x, "2.5"],
        lambda: ["SET", k, v, "PX", str(rng.randrange(1, 40))],
        lambda: ["PEXPIRE", k, str(rng.randrange(1, 40))],
        lambda: ["EXPIRE", k, "1000"], lambda: ["PERSIST", k],
        lambda: ["GETEX", x, "PX", str(rng.randrange(1, 40))],
        lambda: ["DEL", k], lambda: ["UNLINK", k, k2],
        lambda: ["RENAME", k, k2], lambda: ["COPY", k, k2, "REPLACE"],
        lambda: ["MOVE", k, "1"], lambda: ["SORT", rng.choice(LISTS + SETS), "ALPHA", "STORE", l],
        lambda: ["SELECT", rng.choice(["0", "0", "1"])],
        lambda: ["EVAL", *_script(rng)],
    ]
    return rng.choice(choices)()


def _script(rng: random.Random) -> list[str]:
    body, nkeys = rng.choice(SCRIPTS)
    keys = {0: [], 2: [rng.choice(SETS + LISTS), rng.choice(STRINGS + ZSETS)]}[nkeys]
    return [body, str(nkeys), *keys, rng.choice(VALUES)]


def _workload(rng: random.Random, n: int) -> list[list[str]]:
    cmds: list[list[str]] = []
    while len(cmds) < n:
        r = rng.random()
        if r < 0.05:
            cmds += [["MULTI"], *(_command(rng) for _ in range(rng.randint(1, 4))), ["EXEC"]]
        elif r < 0.06:
            cmds.append(["SWAPDB", "0", "1"])
        else:
            cmds.append(_command(rng))
    # SELECT inside MULTI is fine, but leave the connection in db 0 for the blocking phase.
    return cmds + [["SELECT", "0"]]


def _serve_blocked(master, rng: random.Random) -> None:
    """Blocking pops parked on empty keys, then served by pushes: replicas get the pops'
    effects."""
    blocking = [["BLPOP", "bq1", "bq2", "5"], ["BRPOPLPUSH", "bq1", "bdst", "5"],
                ["BLMOVE", "bq2", "bq1", "RIGHT", "LEFT", "5"],
                ["BZPOPMIN", "bz", "5"], ["BLMPOP", "5", "1", "bq2", "LEFT", "COUNT", "3"],
                ["BZMPOP", "5", "1", "bz", "MAX"]]
    waiter, pusher = master.raw(), master.raw()
    for cmd in rng.sample(blocking, 4):
        pusher.call("DEL", "bq1", "bq2", "bz", "bdst")
        waiter.send_pipeline([cmd])
        wait_for(lambda: info_fields(master, "clients")["blocked_clients"] == "1", timeout=5)
        push = ["ZADD", "bz", "1", "m1", "2", "m2"] if cmd[0].startswith("BZ") else \
            ["RPUSH", cmd[1] if cmd[0] != "BLMPOP" else "bq2", "p1", "p2", "p3"]
        assert not pusher.call(*push).is_error
        reply = waiter.read_reply(timeout=5)
        assert not reply.is_error and reply.kind != "null", (cmd, reply)


@pytest.mark.parametrize("master_kind", ["ember", "redis"])
@pytest.mark.parametrize("seed", random_seeds([1, 2]))
def test_random_workload_replicates(ember_factory, ref_factory, master_kind, seed):
    make = {"ember": ember_factory, "redis": ref_factory}
    master = make[master_kind](args=REPL_ARGS)
    early = [ember_factory(args=REPL_ARGS), ref_factory(args=REPL_ARGS)]
    for srv in [master, *early]:
        if not srv.is_redis:
            srv.skip_unless_commands("LMPOP", "ZMPOP", "SORT", "EVAL", "COPY", "BZMPOP")
    for r in early:
        make_replica(r, master)
    wait_in_sync(master, *early)

    rng = random.Random(seed)
    c = master.raw(timeout=10)
    cmds = _workload(rng, 1500)
    c.send_pipeline(cmds)
    replies = c.read_replies(len(cmds), timeout=10)
    # The run must have done real work on every type, failures included.
    assert sum(r.is_error for r in replies) > 0
    _serve_blocked(master, rng)
    wait_in_sync(master, *early)

    late = [ember_factory(args=REPL_ARGS), ref_factory(args=REPL_ARGS)]
    for r in late:
        make_replica(r, master)
    wait_in_sync(master, *early, *late)
    # The run did real work on every type (and left data behind for the full syncs).
    stats = info_fields(master, "commandstats")
    for cmd in ("rpush", "hset", "sadd", "zadd", "spop", "lmpop", "eval", "exec", "sort"):
        calls = dict(kv.split("=") for kv in stats[f"cmdstat_{cmd}"].split(","))
        assert int(calls["calls"]) > int(calls["failed_calls"]), (cmd, calls)
    assert info_fields(master, "keyspace"), "no keys left"

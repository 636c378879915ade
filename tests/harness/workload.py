"""Seeded random workloads over every data type for the randomized replication and persistence
tests (tests/interop/test_random_replication.py, test_rdb_interop.py, tests/integration/test_aof.py,
tests/compat/test_random_mixed.py):
commands whose result is random (SPOP, scripts writing what SRANDMEMBER chose), effects that
differ from the command (pops, INCRBYFLOAT, SORT ... STORE, expiry), MULTI/EXEC, scripts,
SELECT/MOVE/SWAPDB across databases, and commands that fail."""

from __future__ import annotations

import random

LISTS, HASHES, SETS, ZSETS, STRINGS = ["l1", "l2", "l3"], ["h1", "h2"], ["s1", "s2", "s3"], \
    ["z1", "z2", "z3"], ["x1", "x2", "x3"]
KEYS = LISTS + HASHES + SETS + ZSETS + STRINGS
VALUES = ["a", "b", "c", "1", "2", "-7", "3.5", "", "longer-value-" + "v" * 20, "10"]
SCORES = ["0", "1", "-2.5", "3", "1e3", "+inf", "-inf"]

# Scripts of two keys (a list or set, then a string or sorted set) and one argument.
DETERMINISTIC_SCRIPTS = [
    "local n = redis.call('RPUSH', KEYS[1], ARGV[1]) redis.call('ZADD', KEYS[2], n, ARGV[1]) "
    "return n",
    "local t = redis.call('TYPE', KEYS[1]).ok "
    "if t == 'list' then return redis.call('LRANGE', KEYS[1], 0, -1) end "
    "return {t, redis.pcall('INCR', KEYS[2])}",
]
RANDOM_SCRIPTS = [
    # Their effects depend on a random choice: replicas must get the chosen value.
    "local v = redis.call('SRANDMEMBER', KEYS[1]) if v then redis.call('SET', KEYS[2], v) end "
    "return v",
    "redis.call('INCRBYFLOAT', KEYS[1], '1.25') return redis.call('SPOP', KEYS[2])",
]


def _command(rng: random.Random, short_ttls: bool, deterministic: bool) -> list[str]:
    l, l2 = rng.choice(LISTS), rng.choice(LISTS)
    h, s, s2 = rng.choice(HASHES), rng.choice(SETS), rng.choice(SETS)
    z, z2, x = rng.choice(ZSETS), rng.choice(ZSETS), rng.choice(STRINGS)
    k, k2 = rng.choice(KEYS), rng.choice(KEYS)
    v, v2 = rng.choice(VALUES), rng.choice(VALUES)

    def ttl_ms() -> str:  # short ones expire during the run
        return str(rng.randrange(1, 40) if short_ttls else rng.randrange(10**6, 10**8))

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
        lambda: ["SPOP", s] if not deterministic else ["SCARD", s],
        lambda: ["SPOP", s, rng.choice(["2", "5"])] if not deterministic else ["SISMEMBER", s, v],
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
        lambda: ["SET", k, v, "PX", ttl_ms()],
        lambda: ["PEXPIRE", k, ttl_ms()],
        lambda: ["EXPIRE", k, "1000"], lambda: ["PERSIST", k],
        lambda: ["GETEX", x, "PX", ttl_ms()],
        lambda: ["DEL", k], lambda: ["UNLINK", k, k2],
        lambda: ["RENAME", k, k2], lambda: ["COPY", k, k2, "REPLACE"],
        lambda: ["MOVE", k, "1"], lambda: ["SORT", rng.choice(LISTS + SETS), "ALPHA", "STORE", l],
        lambda: ["SELECT", rng.choice(["0", "0", "1"])],
        lambda: ["EVAL", *_script(rng, deterministic)],
    ]
    return rng.choice(choices)()


def _script(rng: random.Random, deterministic: bool) -> list[str]:
    body = rng.choice(DETERMINISTIC_SCRIPTS + ([] if deterministic else RANDOM_SCRIPTS))
    return [body, "2", rng.choice(SETS + LISTS), rng.choice(STRINGS + ZSETS), rng.choice(VALUES)]


def random_workload(rng: random.Random, n: int, short_ttls: bool = True,
                    deterministic: bool = False) -> list[list[str]]:
    """About n commands over every data type, some of them failing (WRONGTYPE and friends),
    with MULTI/EXEC blocks, scripts and moves between databases 0 and 1; ends in database 0.
    With short_ttls, keys get millisecond TTLs and expire during the run. A deterministic
    workload leaves out what picks at random (SPOP, SRANDMEMBER), so that two servers given
    it end up with the same data and give the same replies."""
    cmds: list[list[str]] = []
    while len(cmds) < n:
        r = rng.random()
        if r < 0.05:
            block = [_command(rng, short_ttls, deterministic) for _ in range(rng.randint(1, 4))]
            cmds += [["MULTI"], *block, ["EXEC"]]
        elif r < 0.06:
            cmds.append(["SWAPDB", "0", "1"])
        else:
            cmds.append(_command(rng, short_ttls, deterministic))
    return cmds + [["SELECT", "0"]]

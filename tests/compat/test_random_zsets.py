"""Seeded random workload over the sorted set commands, compared reply-by-reply with real Redis,
then DEBUG DIGEST compared. With lowered zset-max-listpack-* limits the zsets cross between the
listpack and skiplist encodings (both ways through STORE results) during the run."""

import random

import pytest

from harness.corpus import Step, run_corpus
from harness.util import random_seeds

KEYS = ["z1", "z2", "z3", "dst", "str"]
MEMBERS = ["a", "b", "c", "d", "e", "f", "g", "ab", "abc", "", "1", "-2", "10", "x" * 12]
SCORES = ["0", "1", "-1", "2", "2.5", "-3.25", "10", "1e17", "0.1", "+inf", "-inf", "100"]
SCORE_BOUNDS = ["-inf", "+inf", "0", "(0", "1", "(1", "2.5", "(2.5", "10", "(100", "-3"]
LEX_BOUNDS = ["-", "+", "[a", "(a", "[ab", "(c", "[d", "(g", "[", "(1"]
# Lex ranges only on "zl", whose members all score 0: with mixed scores Redis's lex results depend
# on its skiplist's random levels, so not even two Redis servers agree.
RANKS = ["0", "1", "2", "-1", "-2", "5", "-10", "100"]


def _command(rng: random.Random) -> list[str]:
    k = rng.choice(KEYS[:4])
    k2 = rng.choice(KEYS)
    m = rng.choice(MEMBERS)
    s = rng.choice(SCORES)

    def pairs(n):
        out = []
        for _ in range(n):
            out += [rng.choice(SCORES), rng.choice(MEMBERS)]
        return out

    def srange():
        lo, hi = rng.choice(SCORE_BOUNDS), rng.choice(SCORE_BOUNDS)
        return [lo, hi]

    def lrange():
        return [rng.choice(LEX_BOUNDS), rng.choice(LEX_BOUNDS)]

    def limit():
        return ["LIMIT", rng.choice(["0", "1", "-1", "3"]), rng.choice(["-1", "0", "2", "5"])] \
            if rng.random() < 0.4 else []

    flags = rng.choice([[], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["XX", "CH"], ["GT", "CH"],
                        ["LT", "XX"]])
    choices = [
        lambda: ["ZADD", k] + flags + pairs(rng.randint(1, 6)),
        lambda: ["ZADD", k] + pairs(rng.randint(4, 12)),
        lambda: ["ZADD", k, "INCR"] + flags[:1] + [s, m],
        lambda: ["ZINCRBY", k, s, m],
        lambda: ["ZREM", k, m, rng.choice(MEMBERS)],
        lambda: ["ZCARD", k],
        lambda: ["ZSCORE", k, m],
        lambda: ["ZMSCORE", k, m, rng.choice(MEMBERS)],
        lambda: ["ZRANK", k, m],
        lambda: ["ZREVRANK", k, m],
        lambda: ["ZCOUNT", k] + srange(),
        lambda: ["ZLEXCOUNT", "zl"] + lrange(),
        lambda: ["ZRANGE", k, rng.choice(RANKS), rng.choice(RANKS)]
        + rng.choice([[], ["WITHSCORES"], ["REV"], ["REV", "WITHSCORES"]]),
        lambda: ["ZRANGE", k] + srange() + ["BYSCORE"] + limit() + ["WITHSCORES"],
        lambda: ["ZRANGE", k] + srange()[::-1] + ["BYSCORE", "REV"] + limit(),
        lambda: ["ZRANGEBYSCORE", k] + srange() + ["WITHSCORES"] + limit(),
        lambda: ["ZREVRANGEBYSCORE", k] + srange() + limit(),
        lambda: ["ZRANGEBYLEX", "zl"] + lrange() + limit(),
        lambda: ["ZREVRANGEBYLEX", "zl"] + lrange() + limit(),
        lambda: ["ZRANGE", "zl"] + lrange()[::-1] + ["BYLEX", "REV"] + limit(),
        lambda: ["ZADD", "zl", "0", m, "0", rng.choice(MEMBERS)],
        lambda: ["ZREM", "zl", m],
        lambda: ["ZREVRANGE", k, rng.choice(RANKS), rng.choice(RANKS), "WITHSCORES"],
        lambda: ["ZRANGESTORE", "dst", k, rng.choice(RANKS), rng.choice(RANKS)],
        lambda: ["ZRANGESTORE", "dst", k] + srange() + ["BYSCORE"] + limit(),
        lambda: ["ZREMRANGEBYRANK", k, rng.choice(RANKS), rng.choice(RANKS)],
        lambda: ["ZREMRANGEBYSCORE", k] + srange(),
        lambda: ["ZREMRANGEBYLEX", "zl"] + lrange(),
        lambda: ["ZPOPMIN", k] + rng.choice([[], ["2"], ["0"]]),
        lambda: ["ZPOPMAX", k] + rng.choice([[], ["3"]]),
        lambda: ["ZMPOP", "2", k, k2, rng.choice(["MIN", "MAX"]), "COUNT", "2"],
        lambda: ["ZMPOP", "1", k, "MAX"],
        lambda: ["ZRANDMEMBER", k, "100", "WITHSCORES"],
        lambda: ["ZUNIONSTORE", "dst", "2", k, k2, "WEIGHTS", "1", rng.choice(["2", "-1", "0"]),
                 "AGGREGATE", rng.choice(["SUM", "MIN", "MAX"])],
        lambda: ["ZINTERSTORE", "dst", "2", k, k2],
        lambda: ["ZDIFFSTORE", "dst", "2", k, k2],
        lambda: ["ZUNION", "3", k, k2, "z3", "WITHSCORES"],
        lambda: ["ZINTER", "2", k, k2, "AGGREGATE", "MAX", "WITHSCORES"],
        lambda: ["ZDIFF", "2", k, k2, "WITHSCORES"],
        lambda: ["ZINTERCARD", "2", k, k2],
        lambda: ["SET", "str", "v"],
        lambda: ["DEL", k],
    ]
    return rng.choice(choices)()


@pytest.mark.parametrize("limits", ["default", "small"])
@pytest.mark.parametrize("seed", random_seeds([1, 2, 3]))
def test_random_zset_workload(ember, redis_ref, seed, limits):
    ember.skip_unless_commands("ZADD", "ZRANGE", "ZUNIONSTORE", "ZMPOP")
    rng = random.Random(seed)
    steps = []

    def add(args, lineno):
        steps.append(Step(lineno, " ".join(repr(a) for a in args), "cmd",
                          [a.encode("latin-1") for a in args]))

    if limits == "small":
        add(["CONFIG", "SET", "zset-max-listpack-entries", "6"], 0)
        add(["CONFIG", "SET", "zset-max-listpack-value", "8"], 0)
    for i in range(600):
        add(_command(rng), i + 1)
    for key in KEYS[:4] + ["zl"]:
        add(["ZRANGE", key, "0", "-1", "WITHSCORES"], 900)
    add(["DEBUG", "DIGEST"], 1000)
    mismatches = run_corpus(steps, ember, redis_ref, label=f"seed{seed}-{limits}")
    assert not mismatches, f"{len(mismatches)} mismatch(es):\n" + "\n".join(mismatches[:10])

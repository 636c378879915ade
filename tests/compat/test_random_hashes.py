"""Seeded random workload over the hash commands, compared reply-by-reply with real Redis, then
DEBUG DIGEST compared. The listpack limits are lowered so hashes cross into the hashtable
encoding (and OBJECT ENCODING is compared along the way); replies whose order depends on the
hashtable's iteration order are compared sorted, random picks (HRANDFIELD) by shape only."""

import random

import pytest

from harness.corpus import Step, run_corpus
from harness.util import random_seeds
from harness.resp import Reply

DEBUG = ["--enable-debug-command", "yes"]
KEYS = ["h1", "h2", "h3", "s"]
FIELDS = ["a", "b", "c", "d", "e", "f", "g", "1", "-2", "007", "", "long-field-name-over-16"]
VALUES = ["", "0", "1", "-1", "10", "abc", "9223372036854775807", "-9223372036854775808", "3.5",
          "1e3", "a value longer than sixteen bytes", "\x00\xff"]
# Replies of these commands list a hash in its iteration order (hashtable: differs per server).
UNORDERED = {"HKEYS", "HVALS", "HGETALL", "HSCAN"}
RANDOM = {"HRANDFIELD"}


def _command(rng: random.Random) -> list[str]:
    k = rng.choice(KEYS[:3]) if rng.random() < 0.95 else "s"
    f, f2 = rng.choice(FIELDS), rng.choice(FIELDS)
    v = rng.choice(VALUES)
    choices = [
        lambda: ["HSET", k, f, v],
        lambda: ["HSET", k, f, v, f2, rng.choice(VALUES)],
        lambda: ["HMSET", k, f, v],
        lambda: ["HSETNX", k, f, v],
        lambda: ["HGET", k, f],
        lambda: ["HMGET", k, f, f2, "nofield"],
        lambda: ["HDEL", k, f],
        lambda: ["HDEL", k, f, f2, rng.choice(FIELDS)],
        lambda: ["HLEN", k],
        lambda: ["HSTRLEN", k, f],
        lambda: ["HEXISTS", k, f],
        lambda: ["HKEYS", k],
        lambda: ["HVALS", k],
        lambda: ["HGETALL", k],
        lambda: ["HINCRBY", k, f, rng.choice(["1", "-5", "100", "9223372036854775807", "x"])],
        lambda: ["HINCRBYFLOAT", k, f, rng.choice(["0.5", "-1.25", "1e3", "3", "x"])],
        lambda: ["HRANDFIELD", k],
        lambda: ["HRANDFIELD", k, rng.choice(["-3", "1", "2", "5", "100"])],
        lambda: ["HRANDFIELD", k, rng.choice(["-3", "2", "100"]), "WITHVALUES"],
        lambda: ["HSCAN", k, "0", "COUNT", "1000"],
        lambda: ["HSCAN", k, "0", "MATCH", rng.choice(["*", "a*", "[0-9]*", "?"]), "COUNT", "1000"],
        lambda: ["OBJECT", "ENCODING", k],
        lambda: ["DEL", k],
        lambda: ["COPY", k, rng.choice(KEYS[:3]), "REPLACE"],
        lambda: ["SET", "s", v],
    ]
    return rng.choice(choices)()


@pytest.mark.parametrize("seed", random_seeds([1, 2, 3]))
def test_random_hash_workload(ember_factory, ref_factory, seed):
    ember = ember_factory(args=DEBUG)
    ember.skip_unless_commands("HSET", "HRANDFIELD", "HSCAN", "HINCRBYFLOAT")
    redis = ref_factory(args=DEBUG)
    rng = random.Random(seed)
    setup = [["CONFIG", "SET", "hash-max-listpack-entries", "6"],
             ["CONFIG", "SET", "hash-max-listpack-value", "16"]]
    steps = []
    for i, args in enumerate(setup + [_command(rng) for _ in range(800)]):
        # HRANDFIELD picks at random: compare its shape, unless the count (100) covers the whole
        # hash (then it returns every field, in iteration order).
        ignore = args[0] in RANDOM and (len(args) == 2 or args[2] != "100")
        steps.append(Step(i + 1, " ".join(repr(a) for a in args), "cmd",
                          [a.encode("latin-1") for a in args], ignore_value=ignore,
                          sort=args[0] in UNORDERED or args[0] in RANDOM))
    mismatches = run_corpus(steps, ember, redis, label=f"seed{seed}")
    assert not mismatches, f"{len(mismatches)} mismatch(es):\n" + "\n".join(mismatches[:10])

    digests = []
    for srv in (ember, redis):
        r = srv.raw().call("DEBUG", "DIGEST")
        assert r.kind in ("simple", "bulk"), r
        digests.append(r.value)
    assert digests[0] == digests[1]
    assert digests[0] != Reply("simple", "0" * 40).value, "the workload left no data"

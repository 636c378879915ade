"""Seeded random workload over the set commands, compared reply-by-reply with real Redis, then
DEBUG DIGEST. A small set-max-intset-entries makes conversions frequent. Commands whose replies
are random (SPOP, SRANDMEMBER) or follow hash-table order (hashtable SMEMBERS, SSCAN) are
compared by shape, or sorted; SPOP only runs where it takes the whole set, so both data sets stay
identical and the final digests must match."""

import random

import pytest

from harness.corpus import Step, run_corpus
from harness.util import random_seeds
from harness.resp import S

DEBUG = ["--enable-debug-command", "yes"]
KEYS = ["a", "b", "c", "d"]
MEMBERS = ["1", "2", "3", "-7", "100000", "9223372036854775807", "x", "y", "", "01", "z z"]


def _command(rng: random.Random) -> tuple[list[str], bool, bool]:
    """(argv, sort the reply, compare shape only)."""
    k = rng.choice(KEYS)
    ms = [rng.choice(MEMBERS) for _ in range(rng.randint(1, 4))]
    others = [rng.choice(KEYS + ["missing"]) for _ in range(rng.randint(1, 3))]
    choices = [
        (["SADD", k, *ms], False, False),
        (["SADD", k, *ms], False, False),
        (["SREM", k, *ms], False, False),
        (["SCARD", k], False, False),
        (["SISMEMBER", k, ms[0]], False, False),
        (["SMISMEMBER", k, *ms], False, False),
        (["SMEMBERS", k], True, False),
        (["SMOVE", k, rng.choice(KEYS), ms[0]], False, False),
        (["SINTER", k, *others], True, False),
        (["SUNION", k, *others], True, False),
        (["SDIFF", k, *others], True, False),
        (["SINTERCARD", str(1 + len(others)), k, *others, "LIMIT", str(rng.randint(0, 3))],
         False, False),
        (["SINTERSTORE", rng.choice(KEYS), k, *others], False, False),
        (["SUNIONSTORE", rng.choice(KEYS), k, *others], False, False),
        (["SDIFFSTORE", rng.choice(KEYS), k, *others], False, False),
        (["OBJECT", "ENCODING", k], False, False),
        (["SRANDMEMBER", k, str(rng.choice([-5, -1, 1, 3, 20]))], False, True),
        (["SRANDMEMBER", k, "20"], True, False),  # at least the whole set: all members
        (["SPOP", k, "100"], True, False),          # the whole set
        (["SSCAN", k, "0", "COUNT", "100"], True, False),
        (["SET", "str", "v"], False, False),
        (["SADD", "str", ms[0]], False, False),     # WRONGTYPE
        (["SUNION", k, "str"], True, False),        # WRONGTYPE once "str" exists
    ]
    return rng.choice(choices)


@pytest.mark.parametrize("seed", random_seeds([1, 2, 3]))
def test_random_set_workload(ember_factory, ref_factory, seed):
    ember = ember_factory(args=DEBUG)
    redis_ref = ref_factory(args=DEBUG)
    ember.skip_unless_commands("SADD", "SINTERCARD", "SMISMEMBER", "SPOP", "SSCAN")
    for srv in (ember, redis_ref):
        assert srv.raw().call("CONFIG", "SET", "set-max-intset-entries", "4") == S("OK")
    rng = random.Random(seed)
    steps = []
    for i in range(500):
        args, sort, shape_only = _command(rng)
        steps.append(Step(i + 1, " ".join(repr(a) for a in args), "cmd",
                          [a.encode() for a in args], ignore_value=shape_only, sort=sort))
    steps.append(Step(501, "DEBUG DIGEST", "cmd", [b"DEBUG", b"DIGEST"]))
    mismatches = run_corpus(steps, ember, redis_ref, label=f"seed{seed}")
    assert not mismatches, f"{len(mismatches)} mismatch(es):\n" + "\n".join(mismatches[:10])

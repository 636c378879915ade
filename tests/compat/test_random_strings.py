"""Seeded random workload over string/key commands, compared reply-by-reply with real Redis."""

import random

import pytest

from harness.corpus import Step, run_corpus
from harness.util import random_seeds

KEYS = ["a", "b", "c", "n", "bits"]
VALUES = ["", "0", "1", "-1", "10", "abc", "9223372036854775807", "-9223372036854775808",
          "3.5", "hello world", "\x00\xff"]
OFFSETS = ["0", "1", "3", "-1", "-3", "10", "-100", "100"]
# Far-future absolute expiry times (year ~3021) and one in the past (deletes the key). Comparing
# two of them (GT/LT) is deterministic; comparing relative times set a few ms apart on each server
# is not (EXPIRE k 1000 GT succeeds only if a millisecond ticked since the previous EXPIRE k 1000),
# so GT/LT only go with EXPIREAT/PEXPIREAT, and relative EXPIRE only with NX/XX/no flag.
EXPIREAT_SECS = ["33177117400", "33177117420", "33177117440", "1"]
# Commands whose integer reply depends on the clock (TTL rounding): compared within +-1.
TIMING = {"TTL", "EXPIRETIME"}


def _command(rng: random.Random, with_lists: bool) -> list[str]:
    k = rng.choice(KEYS)
    v = rng.choice(VALUES)
    o1, o2 = rng.choice(OFFSETS), rng.choice(OFFSETS)
    choices = [
        lambda: ["SET", k, v],
        lambda: ["SET", k, v, rng.choice(["NX", "XX", "GET", "KEEPTTL"])],
        lambda: ["GET", k],
        lambda: ["APPEND", k, v],
        lambda: ["STRLEN", k],
        lambda: ["INCR", k],
        lambda: ["DECR", k],
        lambda: ["INCRBY", k, rng.choice(["5", "-5", "9223372036854775807", "x"])],
        lambda: ["INCRBYFLOAT", k, rng.choice(["0.5", "-1.25", "1e3", "x"])],
        lambda: ["GETRANGE", k, o1, o2],
        lambda: ["SETRANGE", k, rng.choice(["0", "2", "5"]), v],
        lambda: ["DEL", k, rng.choice(KEYS)],
        lambda: ["EXISTS", k, rng.choice(KEYS)],
        lambda: ["GETDEL", k],
        lambda: ["GETSET", k, v],
        lambda: ["MSET", k, v, rng.choice(KEYS), rng.choice(VALUES)],
        lambda: ["MGET", k, rng.choice(KEYS), "missing"],
        lambda: ["SETNX", k, v],
        lambda: ["MSETNX", k, v, rng.choice(KEYS), v],
        lambda: ["TYPE", k],
        lambda: ["RENAME", k, rng.choice(KEYS)],
        lambda: ["COPY", k, rng.choice(KEYS), "REPLACE"],
        lambda: ["SETBIT", "bits", rng.choice(["0", "7", "13", "100"]), rng.choice(["0", "1"])],
        lambda: ["BITCOUNT", k],
        lambda: ["BITPOS", k, rng.choice(["0", "1"])],
        lambda: ["EXPIRE", k, "1000", rng.choice(["NX", "XX"])],
        lambda: ["EXPIRE", k, "1000"],
        lambda: ["EXPIREAT", k, rng.choice(EXPIREAT_SECS), rng.choice(["NX", "XX", "GT", "LT"])],
        lambda: ["PEXPIREAT", k, rng.choice(EXPIREAT_SECS) + "500", rng.choice(["GT", "LT"])],
        lambda: ["TTL", k],
        lambda: ["EXPIRETIME", k],
        lambda: ["PERSIST", k],
        lambda: ["LCS", k, rng.choice(KEYS)],
        lambda: ["BITOP", rng.choice(["AND", "or", "XOR", "NOT", "nand"]), rng.choice(KEYS), k],
        lambda: ["BITFIELD", rng.choice(KEYS), "OVERFLOW", rng.choice(["WRAP", "sat", "FAIL"]),
                 rng.choice(["SET", "INCRBY"]), rng.choice(["i8", "u8", "i5", "u63", "i64"]),
                 rng.choice(["0", "#1", "13"]),
                 rng.choice(["1", "-1", "100", "-300", "9223372036854775807"])],
    ]
    if with_lists:
        choices.append(lambda: ["RPUSH", k, v])  # creates WRONGTYPE situations
    return rng.choice(choices)()


@pytest.mark.parametrize("with_lists", [False, True], ids=["strings", "with-rpush"])
@pytest.mark.parametrize("seed", random_seeds([1, 2, 3]))
def test_random_string_workload(ember, redis_ref, seed, with_lists):
    # The with-rpush variant adds RPUSH to the mix (WRONGTYPE situations); it is skipped until
    # the server under test has lists.
    if with_lists:
        ember.skip_unless_commands("RPUSH")
    rng = random.Random(seed)
    steps = []
    for i in range(400):
        args = _command(rng, with_lists)
        steps.append(Step(i + 1, " ".join(repr(a) for a in args), "cmd",
                          [a.encode("latin-1") for a in args],
                          tolerance=1 if args[0] in TIMING else 0))
    mismatches = run_corpus(steps, ember, redis_ref, label=f"seed{seed}")
    assert not mismatches, f"{len(mismatches)} mismatch(es):\n" + "\n".join(mismatches[:10])
